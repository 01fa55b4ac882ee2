// SPDX-License-Identifier: GPL-2.0-only
/*
 * p2pbuf_test_importer.c - a test-only dma-buf importer for the VM tier.
 *
 * Never installed, never part of p2pbuf.ko: the guest tests drive it
 * through /dev/p2pbuf_test_importer (p2pbuf_test_importer.h) to import
 * p2pbuf's dma-buf exports (and VFIO's) for a PCI function of the rig, as
 * a dynamic importer with or without peer2peer, or as a static one.  Its
 * invalidation callback counts and, as RDMA's importer does, unmaps at
 * once; the tests check what the exporter promised from the outside.
 *
 * Locking: a file's slots are under its mutex; an attachment's mapping is
 * under the dma-buf's reservation lock (the invalidation runs under it).
 */

#include <linux/dma-buf.h>
#include <linux/dma-resv.h>
#include <linux/iommu.h>
#include <linux/miscdevice.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/pci.h>
#include <linux/scatterlist.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "p2pbuf_compat.h"
#include "p2pbuf_test_importer.h"

P2PBUF_MODULE_IMPORT_NS_DMA_BUF();

struct ti_att {
	struct dma_buf *dmabuf;
	struct dma_buf_attachment *attach;
	struct pci_dev *pdev;
	u32 flags;
	/* under the reservation lock: */
	struct sg_table *sgt;
	enum dma_data_direction dir;
	u32 invalidations;
	u32 unmapped_in_invalidate;
	u32 live_at_invalidate;
};

struct ti_file {
	struct mutex lock; /* protects @atts */
	struct ti_att *atts[P2PBUF_TI_MAX];
};

/*
 * Whether the first DMA address of @att's mapping translates in its
 * device's IOMMU domain: 1 or 0, or 2 when that cannot be told.
 */
static u32 ti_live(struct ti_att *att)
{
	struct iommu_domain *domain = iommu_get_domain_for_dev(&att->pdev->dev);

	if (!att->sgt || !att->sgt->nents || !domain ||
	    domain->type == IOMMU_DOMAIN_IDENTITY ||
	    !p2pbuf_iommu_domain_is_dma_api(domain))
		return 2;
	return iommu_iova_to_phys(domain, sg_dma_address(att->sgt->sgl)) ? 1 :
									   0;
}

static void ti_invalidate(struct dma_buf_attachment *attach)
{
	struct ti_att *att = attach->importer_priv;

	dma_resv_assert_held(attach->dmabuf->resv);
	att->invalidations++;
	att->live_at_invalidate = ti_live(att);
	if (att->sgt && !(att->flags & P2PBUF_TI_F_NO_UNMAP)) {
		dma_buf_unmap_attachment(attach, att->sgt, att->dir);
		att->sgt = NULL;
		att->unmapped_in_invalidate++;
	}
}

static const struct dma_buf_attach_ops ti_ops_p2p = {
	.allow_peer2peer = true,
	.P2PBUF_ATTACH_OPS_INVALIDATE = ti_invalidate,
};

static const struct dma_buf_attach_ops ti_ops = {
	.allow_peer2peer = false,
	.P2PBUF_ATTACH_OPS_INVALIDATE = ti_invalidate,
};

static void ti_unmap_locked(struct ti_att *att)
{
	dma_resv_assert_held(att->dmabuf->resv);
	if (att->sgt) {
		dma_buf_unmap_attachment(att->attach, att->sgt, att->dir);
		att->sgt = NULL;
	}
}

static void ti_detach(struct ti_att *att)
{
	dma_resv_lock(att->dmabuf->resv, NULL);
	ti_unmap_locked(att);
	dma_resv_unlock(att->dmabuf->resv);
	dma_buf_detach(att->dmabuf, att->attach);
	dma_buf_put(att->dmabuf);
	pci_dev_put(att->pdev);
	kfree(att);
}

static int ti_attach(struct ti_file *tf, struct p2pbuf_ti_attach *a)
{
	struct ti_att *att;
	unsigned int slot;
	int ret;

	if (a->flags & ~(P2PBUF_TI_F_PEER2PEER | P2PBUF_TI_F_STATIC |
			 P2PBUF_TI_F_NO_UNMAP))
		return -EINVAL;
	for (slot = 0; slot < P2PBUF_TI_MAX && tf->atts[slot]; slot++)
		;
	if (slot == P2PBUF_TI_MAX)
		return -ENOSPC;
	att = kzalloc(sizeof(*att), GFP_KERNEL);
	if (!att)
		return -ENOMEM;
	att->flags = a->flags;
	att->pdev = pci_get_domain_bus_and_slot(a->domain, a->bus, a->devfn);
	if (!att->pdev) {
		ret = -ENODEV;
		goto err_free;
	}
	att->dmabuf = dma_buf_get(a->dmabuf_fd);
	if (IS_ERR(att->dmabuf)) {
		ret = PTR_ERR(att->dmabuf);
		goto err_pdev;
	}
	if (a->flags & P2PBUF_TI_F_STATIC)
		att->attach = dma_buf_attach(att->dmabuf, &att->pdev->dev);
	else
		att->attach = dma_buf_dynamic_attach(att->dmabuf,
						     &att->pdev->dev,
						     a->flags & P2PBUF_TI_F_PEER2PEER ?
						     &ti_ops_p2p : &ti_ops, att);
	if (IS_ERR(att->attach)) {
		ret = PTR_ERR(att->attach);
		goto err_put;
	}
	tf->atts[slot] = att;
	a->slot = slot;
	return 0;

err_put:
	dma_buf_put(att->dmabuf);
err_pdev:
	pci_dev_put(att->pdev);
err_free:
	kfree(att);
	return ret;
}

static int ti_map(struct ti_att *att, struct p2pbuf_ti_map *m)
{
	struct scatterlist *sg;
	struct sg_table *sgt;
	unsigned int i;
	int ret = 0;

	if (m->direction > DMA_FROM_DEVICE)
		return -EINVAL;
	dma_resv_lock(att->dmabuf->resv, NULL);
	if (att->sgt) {
		ret = -EBUSY;
		goto out;
	}
	sgt = dma_buf_map_attachment(att->attach, m->direction);
	if (IS_ERR(sgt)) {
		ret = PTR_ERR(sgt);
		goto out;
	}
	att->sgt = sgt;
	att->dir = m->direction;
	m->nr_segs = sgt->nents;
	m->page_less = 1;
	for_each_sgtable_dma_sg(sgt, sg, i) {
		if (i < P2PBUF_TI_MAX_SEGS) {
			m->segs[i].dma_addr = sg_dma_address(sg);
			m->segs[i].length = sg_dma_len(sg);
		}
	}
	for_each_sgtable_sg(sgt, sg, i) {
		if (sg_page(sg))
			m->page_less = 0;
	}
out:
	dma_resv_unlock(att->dmabuf->resv);
	return ret;
}

static struct ti_att *ti_slot(struct ti_file *tf, u32 slot)
{
	return slot < P2PBUF_TI_MAX ? tf->atts[slot] : NULL;
}

/* --- a minimal exporter, unknown to p2pbuf ------------------------------ */

#define TI_EXP_PAGES (P2PBUF_TI_EXPORT_SIZE >> PAGE_SHIFT)

struct ti_exp {
	struct page *pages[TI_EXP_PAGES];
};

static struct sg_table *ti_exp_map(struct dma_buf_attachment *attach,
				   enum dma_data_direction dir)
{
	return ERR_PTR(-EOPNOTSUPP);
}

static void ti_exp_unmap(struct dma_buf_attachment *attach,
			 struct sg_table *sgt, enum dma_data_direction dir)
{
}

static void ti_exp_release_pages(struct ti_exp *e)
{
	unsigned int i;

	for (i = 0; i < TI_EXP_PAGES; i++)
		if (e->pages[i])
			__free_page(e->pages[i]);
	kfree(e);
}

static void ti_exp_release(struct dma_buf *dmabuf)
{
	ti_exp_release_pages(dmabuf->priv);
}

static int ti_exp_mmap(struct dma_buf *dmabuf, struct vm_area_struct *vma)
{
	struct ti_exp *e = dmabuf->priv;

	return vm_map_pages(vma, e->pages, TI_EXP_PAGES);
}

static const struct dma_buf_ops ti_exp_ops = {
	.map_dma_buf = ti_exp_map,
	.unmap_dma_buf = ti_exp_unmap,
	.release = ti_exp_release,
	.mmap = ti_exp_mmap,
};

static long ti_export(void)
{
	DEFINE_DMA_BUF_EXPORT_INFO(exp_info);
	struct dma_buf *dmabuf;
	struct ti_exp *e;
	unsigned int i;
	int fd;

	e = kzalloc(sizeof(*e), GFP_KERNEL);
	if (!e)
		return -ENOMEM;
	for (i = 0; i < TI_EXP_PAGES; i++) {
		e->pages[i] = alloc_page(GFP_KERNEL | __GFP_ZERO);
		if (!e->pages[i]) {
			ti_exp_release_pages(e);
			return -ENOMEM;
		}
	}
	exp_info.ops = &ti_exp_ops;
	exp_info.size = P2PBUF_TI_EXPORT_SIZE;
	exp_info.flags = O_RDWR;
	exp_info.priv = e;
	dmabuf = dma_buf_export(&exp_info);
	if (IS_ERR(dmabuf)) {
		ti_exp_release_pages(e);
		return PTR_ERR(dmabuf);
	}
	fd = dma_buf_fd(dmabuf, O_CLOEXEC);
	if (fd < 0)
		dma_buf_put(dmabuf);
	return fd;
}

static long ti_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct ti_file *tf = file->private_data;
	void __user *uarg = (void __user *)arg;
	struct p2pbuf_ti_status st;
	struct p2pbuf_ti_attach a;
	struct p2pbuf_ti_map *m;
	struct ti_att *att;
	struct dma_buf *dmabuf;
	u32 slot;
	s32 fd;
	long ret;

	mutex_lock(&tf->lock);
	switch (cmd) {
	case P2PBUF_TI_ATTACH:
		ret = -EFAULT;
		if (copy_from_user(&a, uarg, sizeof(a)))
			break;
		ret = ti_attach(tf, &a);
		if (!ret && copy_to_user(uarg, &a, sizeof(a)))
			ret = -EFAULT;
		break;
	case P2PBUF_TI_MAP:
		m = kzalloc(sizeof(*m), GFP_KERNEL);
		ret = -ENOMEM;
		if (!m)
			break;
		ret = -EFAULT;
		if (copy_from_user(m, uarg, sizeof(*m))) {
			kfree(m);
			break;
		}
		att = ti_slot(tf, m->slot);
		ret = att ? ti_map(att, m) : -ENOENT;
		if (!ret && copy_to_user(uarg, m, sizeof(*m)))
			ret = -EFAULT;
		kfree(m);
		break;
	case P2PBUF_TI_STATUS:
		ret = -EFAULT;
		if (copy_from_user(&st, uarg, sizeof(st)))
			break;
		att = ti_slot(tf, st.slot);
		ret = -ENOENT;
		if (!att)
			break;
		dma_resv_lock(att->dmabuf->resv, NULL);
		st.mapped = !!att->sgt;
		st.invalidations = att->invalidations;
		st.unmapped_in_invalidate = att->unmapped_in_invalidate;
		st.live_at_invalidate = att->live_at_invalidate;
		st.live_now = ti_live(att);
		dma_resv_unlock(att->dmabuf->resv);
		st.peer2peer = att->attach->peer2peer;
		st.dynamic_notify = P2PBUF_DMA_BUF_NOTIFIES;
		ret = copy_to_user(uarg, &st, sizeof(st)) ? -EFAULT : 0;
		break;
	case P2PBUF_TI_UNMAP:
	case P2PBUF_TI_DETACH:
	case P2PBUF_TI_PIN:
	case P2PBUF_TI_UNPIN:
		ret = -EFAULT;
		if (get_user(slot, (u32 __user *)uarg))
			break;
		att = ti_slot(tf, slot);
		ret = -ENOENT;
		if (!att)
			break;
		ret = 0;
		if (cmd == P2PBUF_TI_DETACH) {
			tf->atts[slot] = NULL;
			ti_detach(att);
			break;
		}
		dma_resv_lock(att->dmabuf->resv, NULL);
		if (cmd == P2PBUF_TI_UNMAP) {
			if (att->sgt)
				ti_unmap_locked(att);
			else
				ret = -ENOENT;
		} else if (cmd == P2PBUF_TI_PIN) {
			ret = dma_buf_pin(att->attach);
		} else {
			dma_buf_unpin(att->attach);
		}
		dma_resv_unlock(att->dmabuf->resv);
		break;
	case P2PBUF_TI_EXPORT:
		ret = ti_export();
		break;
	case P2PBUF_TI_NOTIFY:
		ret = -EFAULT;
		if (get_user(fd, (s32 __user *)uarg))
			break;
		dmabuf = dma_buf_get(fd);
		ret = PTR_ERR_OR_ZERO(dmabuf);
		if (ret)
			break;
		dma_resv_lock(dmabuf->resv, NULL);
		p2pbuf_dma_buf_invalidate(dmabuf);
		dma_resv_unlock(dmabuf->resv);
		dma_buf_put(dmabuf);
		break;
	default:
		ret = -ENOTTY;
	}
	mutex_unlock(&tf->lock);
	return ret;
}

static int ti_open(struct inode *inode, struct file *file)
{
	struct ti_file *tf = kzalloc(sizeof(*tf), GFP_KERNEL);

	if (!tf)
		return -ENOMEM;
	mutex_init(&tf->lock);
	file->private_data = tf;
	return 0;
}

static int ti_release(struct inode *inode, struct file *file)
{
	struct ti_file *tf = file->private_data;
	unsigned int i;

	for (i = 0; i < P2PBUF_TI_MAX; i++)
		if (tf->atts[i])
			ti_detach(tf->atts[i]);
	mutex_destroy(&tf->lock);
	kfree(tf);
	return 0;
}

static const struct file_operations ti_fops = {
	.owner = THIS_MODULE,
	.open = ti_open,
	.release = ti_release,
	.unlocked_ioctl = ti_ioctl,
};

static struct miscdevice ti_misc = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "p2pbuf_test_importer",
	.fops = &ti_fops,
};

module_misc_device(ti_misc);

MODULE_DESCRIPTION("p2pbuf test-only dma-buf importer (VM tier)");
MODULE_LICENSE("GPL");
