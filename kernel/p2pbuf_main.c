// SPDX-License-Identifier: GPL-2.0-only
/*
 * p2pbuf - userspace-controlled peer-to-peer DMA buffers.
 *
 * This file registers the misc device /dev/p2pbuf and dispatches its ioctls.
 * The ioctl conventions (size and flags first, copy_struct_from_user()
 * extensibility, ENOTTY for unknown commands) are documented in
 * include/uapi/linux/p2pbuf.h and p2pbuf(4).  The provider registry is in
 * p2pbuf_provider.c, the generic netlink family in p2pbuf_netlink.c.
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
module_param(max_sgls_per_fd, uint, 0444);
MODULE_PARM_DESC(max_sgls_per_fd,
		 "dma-sgls one open file may create (reported by P2PBUF_IOC_INFO)");

static unsigned int max_sgl_segments = 65536;
module_param(max_sgl_segments, uint, 0444);
MODULE_PARM_DESC(max_sgl_segments,
		 "Segments in one dma-sgl (reported by P2PBUF_IOC_INFO)");

/*
 * p2pbuf_iommu_translates - whether any PCI device's DMA is translated by an
 * IOMMU: it is attached to a paging domain (DMA API or unmanaged, e.g.
 * VFIO), not to an identity (passthrough) or blocking one.
 */
static bool p2pbuf_iommu_translates(void)
{
	struct pci_dev *pdev = NULL;
	struct iommu_domain *domain;

	for_each_pci_dev(pdev) {
		domain = iommu_get_domain_for_dev(&pdev->dev);
		if (domain && (domain->type & __IOMMU_DOMAIN_PAGING)) {
			pci_dev_put(pdev);
			return true;
		}
	}
	return false;
}

/**
 * p2pbuf_ioctl_info() - handle %P2PBUF_IOC_INFO
 * @pf: the caller's open file
 * @arg: kernel copy of struct p2pbuf_info; checked input, filled output
 *
 * Reports the uAPI version, feature bits and limits of the driver.
 *
 * Return: 0, or -EINVAL for non-zero flags or reserved fields.
 */
static int p2pbuf_ioctl_info(struct p2pbuf_file *pf, void *arg)
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
	if (p2pbuf_iommu_translates())
		info->features |= P2PBUF_FEATURE_IOMMU;
	info->features |= P2PBUF_FEATURE_BUFFERS;
	info->page_size = PAGE_SIZE;
	info->max_buffers_per_fd = p2pbuf_max_buffers_per_fd();
	info->max_sgls_per_fd = max_sgls_per_fd;
	info->max_sgl_segments = max_sgl_segments;
	strscpy(info->driver_version, P2PBUF_DRIVER_VERSION,
		sizeof(info->driver_version));
	return 0;
}

/**
 * struct p2pbuf_ioctl_op - one ioctl command
 * @size: sizeof the argument structure as this driver knows it
 * @min_size: size of the first published layout; smaller is -EINVAL
 * @copy_out: copy the (possibly updated) argument back on success
 * @handler: does the work on a kernel copy of the argument
 */
struct p2pbuf_ioctl_op {
	u32 size;
	u32 min_size;
	bool copy_out;
	int (*handler)(struct p2pbuf_file *pf, void *arg);
};

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
};

/* Large enough for every ioctl argument; grows with the table above. */
union p2pbuf_ioctl_buf {
	struct p2pbuf_info info;
	struct p2pbuf_alloc alloc;
	struct p2pbuf_free free;
};

/*
 * p2pbuf_ioctl - dispatch on the ioctl type and number only: the size
 * encoded in @cmd belongs to the caller's version of the structure, the
 * structure's own size field is authoritative.
 */
static long p2pbuf_ioctl(struct file *file, unsigned int cmd,
			 unsigned long uarg)
{
	struct p2pbuf_file *pf = file->private_data;
	void __user *argp = (void __user *)uarg;
	const struct p2pbuf_ioctl_op *op;
	union p2pbuf_ioctl_buf buf;
	unsigned int nr = _IOC_NR(cmd);
	u32 usize;
	int ret;

	if (_IOC_TYPE(cmd) != P2PBUF_IOC_MAGIC ||
	    _IOC_DIR(cmd) != (_IOC_READ | _IOC_WRITE) ||
	    nr >= ARRAY_SIZE(p2pbuf_ioctl_ops) || !p2pbuf_ioctl_ops[nr].handler)
		return -ENOTTY;
	op = &p2pbuf_ioctl_ops[nr];

	if (get_user(usize, (u32 __user *)argp))
		return -EFAULT;
	if (usize < op->min_size)
		return -EINVAL;
	ret = p2pbuf_copy_struct_from_user(&buf, op->size, argp, usize);
	if (ret)
		return ret;

	ret = op->handler(pf, &buf);
	if (ret || !op->copy_out)
		return ret;

	/* Handlers zero what they return; report what the caller gets. */
	usize = min(usize, op->size);
	*(u32 *)&buf = usize;
	if (copy_to_user(argp, &buf, usize))
		return -EFAULT;
	return 0;
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
	BUILD_BUG_ON(P2PBUF_BUFFER_MAX_LENGTH != 1ULL << P2PBUF_MMAP_ID_SHIFT);

	ret = p2pbuf_providers_init();
	if (ret) {
		pr_err("cannot register the sysmem provider: %d\n", ret);
		return ret;
	}
	ret = misc_register(&p2pbuf_misc);
	if (ret) {
		pr_err("cannot register /dev/%s: %d\n", P2PBUF_DEVICE_NAME, ret);
		goto err_providers;
	}
	ret = p2pbuf_nl_init();
	if (ret) {
		pr_err("cannot register the %s netlink family: %d\n",
		       P2PBUF_NL_FAMILY_NAME, ret);
		goto err_misc;
	}
	p2pbuf_debugfs_init();
	pr_info("version %s, uAPI %u.%u\n", P2PBUF_DRIVER_VERSION,
		P2PBUF_UAPI_VERSION_MAJOR, P2PBUF_UAPI_VERSION_MINOR);
	return 0;

err_misc:
	misc_deregister(&p2pbuf_misc);
err_providers:
	p2pbuf_providers_exit();
	return ret;
}

/*
 * Reverse order of init: after the family is unregistered no request or
 * notification runs, after the misc device is gone no file is open (each
 * holds a module reference), so the providers and their PCI device
 * references can go.
 */
static void __exit p2pbuf_exit(void)
{
	p2pbuf_debugfs_exit();
	p2pbuf_nl_exit();
	misc_deregister(&p2pbuf_misc);
	p2pbuf_buffers_exit();
	p2pbuf_providers_exit();
}

module_init(p2pbuf_init);
module_exit(p2pbuf_exit);

MODULE_DESCRIPTION("Userspace-controlled peer-to-peer DMA buffers");
MODULE_AUTHOR("The p2pbuf developers");
MODULE_LICENSE("GPL");
MODULE_VERSION(P2PBUF_DRIVER_VERSION);
