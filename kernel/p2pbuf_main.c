// SPDX-License-Identifier: GPL-2.0-only
/*
 * p2pbuf - userspace-controlled peer-to-peer DMA buffers.
 *
 * This file registers the misc device /dev/p2pbuf and dispatches its ioctls.
 * The ioctl conventions (size and flags first, copy_struct_from_user()
 * extensibility, ENOTTY for unknown commands) are documented in
 * include/uapi/linux/p2pbuf.h and p2pbuf(4).  p2pbuf.h says which file
 * does what, and which may call which.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/fs.h>
#include <linux/iommu.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/pci.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#include "p2pbuf.h"

static unsigned int max_sgls_per_fd = 1024;
module_param(max_sgls_per_fd, uint, 0644);
MODULE_PARM_DESC(max_sgls_per_fd,
		 "dma-sgls one open file may create (reported by P2PBUF_IOC_INFO)");

static unsigned int max_sgl_segments = 65536;
module_param(max_sgl_segments, uint, 0644);
MODULE_PARM_DESC(max_sgl_segments,
		 "Segments in one dma-sgl (reported by P2PBUF_IOC_INFO)");

/**
 * p2pbuf_max_sgls_per_fd() - the max_sgls_per_fd parameter
 *
 * Writable at any time: read it once per request.
 *
 * Return: the limit on dma-sgls made through one open file.
 */
unsigned int p2pbuf_max_sgls_per_fd(void)
{
	return READ_ONCE(max_sgls_per_fd);
}

/**
 * p2pbuf_max_sgl_segments() - the max_sgl_segments parameter
 *
 * Writable at any time: read it once per request.
 *
 * Return: the limit on segments of one dma-sgl.
 */
unsigned int p2pbuf_max_sgl_segments(void)
{
	return READ_ONCE(max_sgl_segments);
}

/* Whether any PCI device's DMA is translated (P2PBUF_FEATURE_IOMMU). */
static bool p2pbuf_iommu_translates(void)
{
	struct pci_dev *pdev = NULL;

	for_each_pci_dev(pdev) {
		if (p2pbuf_dev_translated(&pdev->dev)) {
			pci_dev_put(pdev);
			return true;
		}
	}
	return false;
}

/**
 * p2pbuf_ioctl_info() - handle %P2PBUF_IOC_INFO
 * @call: the call (its context, the caller's file, is not needed)
 * @arg: kernel copy of struct p2pbuf_info; checked input, filled output
 *
 * Reports the uAPI version, feature bits and limits of the driver.
 *
 * Return: 0, or -EINVAL for non-zero flags or reserved fields.
 */
static int p2pbuf_ioctl_info(struct p2pbuf_ioctl_call *call, void *arg)
{
	struct p2pbuf_info *info = arg;

	if (info->flags)
		return -EINVAL;
	if (memchr_inv(info->reserved, 0, sizeof(info->reserved)))
		return -EINVAL;

	memset(info, 0, sizeof(*info));
	info->version_major = P2PBUF_UAPI_VERSION_MAJOR;
	info->version_minor = P2PBUF_UAPI_VERSION_MINOR;
	if (P2PBUF_HAVE_PCI_P2PDMA)
		info->features |= P2PBUF_FEATURE_PCI_P2PDMA;
	if (P2PBUF_HAVE_P2PDMA_PROVIDER)
		info->features |= P2PBUF_FEATURE_P2PDMA_PROVIDER;
	if (p2pbuf_iommu_translates())
		info->features |= P2PBUF_FEATURE_IOMMU;
	info->features |= P2PBUF_FEATURE_BUFFERS | P2PBUF_FEATURE_DMA_SGL |
			  P2PBUF_FEATURE_REVOCATION | P2PBUF_FEATURE_DMABUF_EXPORT |
			  P2PBUF_FEATURE_DMABUF_IMPORT |
			  P2PBUF_FEATURE_MAP_DMABUF_MMAP;
	info->page_size = PAGE_SIZE;
	info->max_buffers_per_fd = p2pbuf_max_buffers_per_fd();
	info->max_sgls_per_fd = p2pbuf_max_sgls_per_fd();
	info->max_sgl_segments = p2pbuf_max_sgl_segments();
	strscpy(info->driver_version, P2PBUF_DRIVER_VERSION,
		sizeof(info->driver_version));
	return 0;
}

#define P2PBUF_IOCTL_OP(_nr, _struct, _min, _out, _fn)			\
	[_nr] = {							\
		.size = sizeof(_struct),				\
		.min_size = (_min),					\
		.copy_out = (_out),					\
		.handler = (_fn),					\
	}

static const struct p2pbuf_ioctl_op p2pbuf_ioctl_ops[] = {
	P2PBUF_IOCTL_OP(P2PBUF_CMD_INFO, struct p2pbuf_info,
			P2PBUF_INFO_SIZE_VER0, true, p2pbuf_ioctl_info),
	P2PBUF_IOCTL_OP(P2PBUF_CMD_ALLOC, struct p2pbuf_alloc,
			P2PBUF_ALLOC_SIZE_VER0, true, p2pbuf_ioctl_alloc),
	P2PBUF_IOCTL_OP(P2PBUF_CMD_FREE, struct p2pbuf_free,
			P2PBUF_FREE_SIZE_VER0, false, p2pbuf_ioctl_free),
	P2PBUF_IOCTL_OP(P2PBUF_CMD_MAP, struct p2pbuf_map,
			P2PBUF_MAP_SIZE_VER0, true, p2pbuf_ioctl_map),
	P2PBUF_IOCTL_OP(P2PBUF_CMD_REACH, struct p2pbuf_reach,
			P2PBUF_REACH_SIZE_VER0, true, p2pbuf_ioctl_reach),
	P2PBUF_IOCTL_OP(P2PBUF_CMD_EXPORT, struct p2pbuf_export,
			P2PBUF_EXPORT_SIZE_VER0, true, p2pbuf_ioctl_export),
	P2PBUF_IOCTL_OP(P2PBUF_CMD_MAP_DMABUF, struct p2pbuf_map_dmabuf,
			P2PBUF_MAP_DMABUF_SIZE_VER0, true,
			p2pbuf_ioctl_map_dmabuf),
};

/**
 * p2pbuf_ioctl_dispatch() - run one ioctl of a p2pbuf file
 * @ops: the file's commands, indexed by ioctl number
 * @nr_ops: entries in @ops
 * @ctx: the file's object, passed to the handler as &p2pbuf_ioctl_call.ctx
 * @cmd: the ioctl command
 * @uarg: its argument, a user pointer
 *
 * Dispatches on the ioctl type and number only: the size encoded in @cmd
 * belongs to the caller's version of the structure, the structure's own
 * size field is authoritative (copy_struct_from_user() rules).  Copies
 * the reply back (its size field set to what the caller gets), then, for
 * a handler that created a file descriptor, lets the new object commit
 * (become visible) and installs the fd; if the copy or the commit fails,
 * the file is put and its fd released, so a failed call leaves nothing.
 *
 * Return: the handler's result; -ENOTTY for an unknown command; -EINVAL
 * for a size below the command's first layout; -E2BIG for a larger
 * structure with non-zero bytes the driver does not know; -EFAULT; the
 * commit's error.
 */
long p2pbuf_ioctl_dispatch(const struct p2pbuf_ioctl_op *ops,
			   unsigned int nr_ops, void *ctx, unsigned int cmd,
			   unsigned long uarg)
{
	struct p2pbuf_ioctl_call call = { .ctx = ctx, .install_fd = -1 };
	void __user *argp = (void __user *)uarg;
	const struct p2pbuf_ioctl_op *op;
	u64 buf[P2PBUF_IOCTL_ARG_MAX / sizeof(u64)];
	unsigned int nr = _IOC_NR(cmd);
	u32 usize;
	int ret;

	if (_IOC_TYPE(cmd) != P2PBUF_IOC_MAGIC ||
	    _IOC_DIR(cmd) != (_IOC_READ | _IOC_WRITE) ||
	    nr >= nr_ops || !ops[nr].handler)
		return -ENOTTY;
	op = &ops[nr];
	if (WARN_ON_ONCE(op->size > sizeof(buf)))
		return -ENOTTY;

	if (get_user(usize, (u32 __user *)argp))
		return -EFAULT;
	if (usize < op->min_size)
		return -EINVAL;
	ret = p2pbuf_copy_struct_from_user(buf, op->size, argp, usize);
	if (ret)
		return ret;

	ret = op->handler(&call, buf);
	if (!(ret == 0 && op->copy_out) &&
	    !(ret && ret == op->copy_out_err))
		return ret;

	/* Handlers zero what they return; report what the caller gets. */
	usize = min(usize, op->size);
	*(u32 *)buf = usize;
	if (copy_to_user(argp, buf, usize))
		ret = -EFAULT;
	else if (call.install_file && call.commit)
		ret = call.commit(call.install_file);
	if (!call.install_file)
		return ret;
	if (ret) {
		put_unused_fd(call.install_fd);
		fput(call.install_file);
		return ret;
	}
	fd_install(call.install_fd, call.install_file);
	return 0;
}

static long p2pbuf_ioctl(struct file *file, unsigned int cmd,
			 unsigned long uarg)
{
	return p2pbuf_ioctl_dispatch(p2pbuf_ioctl_ops,
				     ARRAY_SIZE(p2pbuf_ioctl_ops),
				     file->private_data, cmd, uarg);
}

static int p2pbuf_open(struct inode *inode, struct file *file)
{
	struct p2pbuf_file *pf;
	int ret;

	ret = nonseekable_open(inode, file);
	if (ret)
		return ret;

	pf = kzalloc(sizeof(*pf), GFP_KERNEL);
	if (!pf)
		return -ENOMEM;
	mutex_init(&pf->lock);
	p2pbuf_file_buffers_init(pf);
	pf->mapping = file->f_mapping;
	pf->file = file;
	atomic_set(&pf->nr_sgls, 0);
	pf->owner = get_task_pid(current, PIDTYPE_TGID);
	file->private_data = pf;
	return 0;
}

static int p2pbuf_release(struct inode *inode, struct file *file)
{
	struct p2pbuf_file *pf = file->private_data;

	p2pbuf_file_buffers_release(pf);
	put_pid(pf->owner);
	mutex_destroy(&pf->lock);
	kfree(pf);
	return 0;
}

static const struct file_operations p2pbuf_fops = {
	.owner = THIS_MODULE,
	.open = p2pbuf_open,
	.release = p2pbuf_release,
	.unlocked_ioctl = p2pbuf_ioctl,
	.compat_ioctl = p2pbuf_compat_ptr_ioctl,
	.mmap = p2pbuf_mmap,
	.get_unmapped_area = p2pbuf_get_unmapped_area,
};

static struct miscdevice p2pbuf_misc = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = P2PBUF_DEVICE_NAME,
	.fops = &p2pbuf_fops,
};

static int __init p2pbuf_init(void)
{
	int ret;

	/* The uAPI promises a fixed first layout; catch accidental growth. */
	BUILD_BUG_ON(sizeof(struct p2pbuf_info) != P2PBUF_INFO_SIZE_VER0);
	BUILD_BUG_ON(sizeof(struct p2pbuf_alloc) != P2PBUF_ALLOC_SIZE_VER0);
	BUILD_BUG_ON(sizeof(struct p2pbuf_free) != P2PBUF_FREE_SIZE_VER0);
	BUILD_BUG_ON(sizeof(struct p2pbuf_map) != P2PBUF_MAP_SIZE_VER0);
	BUILD_BUG_ON(sizeof(struct p2pbuf_reach) != P2PBUF_REACH_SIZE_VER0);
	BUILD_BUG_ON(sizeof(struct p2pbuf_export) != P2PBUF_EXPORT_SIZE_VER0);
	BUILD_BUG_ON(sizeof(struct p2pbuf_map_dmabuf) !=
		     P2PBUF_MAP_DMABUF_SIZE_VER0);
	BUILD_BUG_ON(sizeof(struct p2pbuf_segments) !=
		     P2PBUF_SEGMENTS_SIZE_VER0);
	BUILD_BUG_ON(sizeof(struct p2pbuf_sync) != P2PBUF_SYNC_SIZE_VER0);
	BUILD_BUG_ON(sizeof(struct p2pbuf_info) > P2PBUF_IOCTL_ARG_MAX);
	BUILD_BUG_ON(P2PBUF_BUFFER_MAX_LENGTH != 1ULL << P2PBUF_MMAP_ID_SHIFT);

	ret = p2pbuf_sgls_init();
	if (ret)
		return ret;
	ret = p2pbuf_providers_init();
	if (ret) {
		pr_err("cannot register the sysmem provider: %d\n", ret);
		goto err_sgls;
	}
	ret = p2pbuf_revoke_init();
	if (ret) {
		pr_err("cannot watch PCI devices: %d\n", ret);
		goto err_providers;
	}
	ret = p2pbuf_nl_init();
	if (ret) {
		pr_err("cannot register the %s netlink family: %d\n",
		       P2PBUF_NL_FAMILY_NAME, ret);
		goto err_revoke;
	}
	ret = misc_register(&p2pbuf_misc);
	if (ret) {
		pr_err("cannot register /dev/%s: %d\n", P2PBUF_DEVICE_NAME, ret);
		goto err_nl;
	}
	p2pbuf_debugfs_init();
	pr_info("version %s, uAPI %u.%u\n", P2PBUF_DRIVER_VERSION,
		P2PBUF_UAPI_VERSION_MAJOR, P2PBUF_UAPI_VERSION_MINOR);
	return 0;

err_nl:
	p2pbuf_nl_exit();
err_revoke:
	p2pbuf_revoke_exit();
err_providers:
	p2pbuf_providers_exit();
err_sgls:
	p2pbuf_sgls_exit();
	return ret;
}

/*
 * Reverse order of init: after the misc device is gone no file is open
 * (each holds a module reference, as does every dma-buf export, so no
 * buffer, dma-sgl or export exists), after
 * the family is unregistered no request or event runs, so the targets
 * and the providers and their PCI device references can go.
 */
static void __exit p2pbuf_exit(void)
{
	p2pbuf_debugfs_exit();
	misc_deregister(&p2pbuf_misc);
	/* The last dma-sgls (work items) still need targets and buffers. */
	p2pbuf_sgls_exit();
	p2pbuf_nl_exit();
	p2pbuf_revoke_exit();
	p2pbuf_exports_exit();
	p2pbuf_buffers_exit();
	p2pbuf_providers_exit();
}

module_init(p2pbuf_init);
module_exit(p2pbuf_exit);

MODULE_DESCRIPTION("Userspace-controlled peer-to-peer DMA buffers");
MODULE_AUTHOR("The p2pbuf developers");
MODULE_LICENSE("GPL");
MODULE_VERSION(P2PBUF_DRIVER_VERSION);
