// SPDX-License-Identifier: GPL-2.0-only
/*
 * p2pbuf_export.c - buffers exported as dma-bufs (P2PBUF_IOC_EXPORT).
 *
 * An export is a page-aligned range of one buffer behind a dma-buf, so that
 * any dma-buf importer (RDMA, DRM, iommufd, io_uring, ...) can use memory
 * of any p2pbuf provider, with the address p2pbuf computes for the
 * importer's device.  One buffer per dma-buf: a dma-buf has one set of
 * rules (BAR memory: peer-to-peer importers only, never pinned; host
 * memory: any importer, pinnable), and revocation is per buffer.
 *
 * Exporter rules (as VFIO's BAR exporter, 6.19, where they apply):
 *  - attach: BAR memory needs an importer that handles memory without
 *    struct pages (attach->peer2peer), and a PCI importer (the path is a
 *    PCI path); every PCI importer is a consumer of its target, so the
 *    target's removal or a user driver binding to it reaches it;
 *  - map_dma_buf: the decision of P2PBUF_IOC_MAP (p2pbuf_reach(), made at
 *    attach time, outside the reservation lock), the shared DMA mappings of
 *    p2pbuf_dma.c, a page-less sg_table coalesced like MAP's segments and
 *    split at the importer's maximum segment size;
 *  - pin: refused for BAR memory (-EOPNOTSUPP: it can be revoked at any
 *    time, only a dynamic importer can be told); accepted for host memory,
 *    whose revocation then leaves the memory alive until the last such
 *    mapping is gone (struct p2pbuf_buffer.nr_held);
 *  - mmap: the buffer's mapping of p2pbuf_buffer.c (the special VMA; for
 *    p2pdma pages a mapping of the pages), revoked with the buffer;
 *  - begin/end_cpu_access: sync host memory's DMA mappings; no vmap.
 *
 * Revocation (the buffer's: struct p2pbuf_exp.consumer; an importer's
 * target's: struct p2pbuf_exp_att.tcons) takes the reservation lock, marks
 * the export, invalidates every attachment (importers are told and unmap),
 * waits for their fences, announces it, and only then tears down p2pbuf's
 * DMA mappings; later maps fail with -ENODEV.
 *
 * Locking: &p2pbuf_exp.lock keeps the dma-buf alive for revocation (its
 * release clears @dmabuf under it) and ranks above the dma-buf's
 * reservation lock.  Everything the dma-buf ops change is under the
 * reservation lock, which the dma-buf core holds around map and unmap.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/dma-buf.h>
#include <linux/dma-mapping.h>
#include <linux/dma-resv.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/pci.h>
#include <linux/scatterlist.h>
#include <linux/slab.h>
#include <linux/xarray.h>
#include <net/netlink.h>

#include "p2pbuf.h"

P2PBUF_MODULE_IMPORT_NS_DMA_BUF();

/*
 * The registry of exports: id -> export, for the listings.  Entries hold
 * no reference; readers take one with kref_get_unless_zero() under the
 * xarray's lock, and an export leaves it when it is freed.
 */
static DEFINE_XARRAY_ALLOC1(p2pbuf_exports);
/* Ids are allocated cyclically: a monitor does not see one reused soon. */
static u32 p2pbuf_exports_next;

/**
 * struct p2pbuf_exp - a dma-buf export
 * @ref: references: the dma-buf's (dropped by its release), one per
 *	attachment, temporary ones of revocation and listings
 * @lock: protects @dmabuf, @released, @announced and the setting of
 *	@revoked; see the file's comment
 * @dmabuf: the dma-buf, set once made (under @lock)
 * @released: the dma-buf's release ran: @dmabuf must not be used
 * @inode: the dma-buf file's inode, referenced (its mappings are zapped
 *	at revocation, even while the file's last reference is being put)
 * @announced: EXPORT_NEW was sent
 * @consumer: entry in the buffer's consumer list
 * @attached: @consumer was added to it
 * @buf: the buffer, referenced
 * @offset: start of the range in @buf
 * @length: bytes
 * @id: registry id
 * @ino: inode number of the dma-buf's file
 * @owner: thread group that made it, referenced
 * @uid: its effective uid
 * @comm: its command name
 * @revoked: set once, under @lock (and the reservation lock once the
 *	dma-buf exists); read without lock by the listings
 * @reason: enum p2pbuf_nl_revoke_reason once @revoked
 * @maps: live &struct p2pbuf_exp_map, under the reservation lock
 * @nr_atts: attachments (atomic)
 */
struct p2pbuf_exp {
	struct kref ref;
	struct mutex lock; /* see above */
	struct dma_buf *dmabuf;
	bool released;
	struct inode *inode;
	bool announced;
	struct p2pbuf_consumer consumer;
	bool attached;
	struct p2pbuf_buffer *buf;
	u64 offset;
	u64 length;
	u32 id;
	u64 ino;
	struct pid *owner;
	kuid_t uid;
	char comm[TASK_COMM_LEN];
	bool revoked;
	u32 reason;
	struct list_head maps;
	atomic_t nr_atts;
};

/**
 * struct p2pbuf_exp_att - an importer's attachment
 * @ref: the attachment's, and a temporary one of its target's revocation
 * @exp: the export, referenced
 * @target: the importer's PCI function, referenced; NULL for a non-PCI
 *	importer of host memory
 * @tcons: entry in @target's consumer list
 * @tattached: @tcons was added to it
 * @path: how the importer reaches the memory, decided at attach time
 * @gone: the target was revoked (removed, or taken by a user driver);
 *	under the reservation lock
 * @pinned: pin count; under the reservation lock
 * @warned: the unreachable path was logged; under the reservation lock
 */
struct p2pbuf_exp_att {
	struct kref ref;
	struct p2pbuf_exp *exp;
	struct p2pbuf_target *target;
	struct p2pbuf_consumer tcons;
	bool tattached;
	struct p2pbuf_path path;
	bool gone;
	unsigned int pinned;
	bool warned;
};

/**
 * struct p2pbuf_exp_map - one map_dma_buf() result
 * @sgt: what the importer got
 * @node: entry in &p2pbuf_exp.maps
 * @att: the attachment
 * @map: p2pbuf's DMA mapping behind @sgt; NULL once revocation tore it
 *	down
 * @held: host memory a static or pinned importer holds: counted in
 *	&p2pbuf_buffer.nr_held, not torn down by revocation
 */
struct p2pbuf_exp_map {
	struct sg_table sgt;
	struct list_head node;
	struct p2pbuf_exp_att *att;
	struct p2pbuf_dmamap *map;
	bool held;
};

static void p2pbuf_exp_free(struct kref *ref)
{
	struct p2pbuf_exp *exp = container_of(ref, struct p2pbuf_exp, ref);

	if (exp->id)
		xa_erase(&p2pbuf_exports, exp->id);
	if (exp->inode)
		iput(exp->inode);
	p2pbuf_buffer_put(exp->buf);
	put_pid(exp->owner);
	mutex_destroy(&exp->lock);
	kfree(exp);
}

static void p2pbuf_exp_put(struct p2pbuf_exp *exp)
{
	kref_put(&exp->ref, p2pbuf_exp_free);
}

/* Tear p2pbuf's DMA mapping behind @m down (the importer was told). */
static void p2pbuf_exp_map_drop(struct p2pbuf_exp_map *m)
{
	if (!m->map)
		return;
	p2pbuf_dmamap_put(m->map);
	m->map = NULL;
	if (m->held)
		p2pbuf_buffer_unhold(m->att->exp->buf);
}

/*
 * Tear down the mappings of @att (or, with NULL, of every attachment)
 * that revocation may take: not those a static or pinning importer holds
 * of host memory.  The importers were told, and their fences waited for.
 * With @exp->lock and the reservation lock held, the dma-buf alive.
 */
static void p2pbuf_exp_drop_maps(struct p2pbuf_exp *exp,
				 struct p2pbuf_exp_att *att)
{
	struct p2pbuf_exp_map *m;

	lockdep_assert_held(&exp->lock);
	dma_resv_assert_held(exp->dmabuf->resv);
	list_for_each_entry(m, &exp->maps, node) {
		if (!m->held && (!att || m->att == att))
			p2pbuf_exp_map_drop(m);
	}
}

/*
 * Tell every dynamic importer its mappings are going (most unmap at once,
 * under the lock), then wait for the DMA they still have in flight (their
 * fences), as VFIO's exporter does.
 */
static void p2pbuf_exp_notify(struct p2pbuf_exp *exp)
{
	lockdep_assert_held(&exp->lock);
	dma_resv_assert_held(exp->dmabuf->resv);
	p2pbuf_dma_buf_invalidate(exp->dmabuf);
	p2pbuf_dma_resv_wait_all(exp->dmabuf->resv);
}

/*
 * Tell only the dynamic importer of @att (its device is going), then wait
 * for the DMA still in flight.  The dma-buf's other importers keep their
 * mappings: dma_buf_move_notify() would tell them all, and an importer
 * that takes the notice as final (p2pbuf's own MAP_DMABUF) would lose an
 * import for a device that stays.  An attachment is in the dma-buf's
 * list, and alive, while the reservation lock is held.
 */
static void p2pbuf_exp_notify_att(struct p2pbuf_exp *exp,
				  struct p2pbuf_exp_att *att)
{
	struct dma_buf_attachment *attach;

	lockdep_assert_held(&exp->lock);
	dma_resv_assert_held(exp->dmabuf->resv);
	list_for_each_entry(attach, &exp->dmabuf->attachments, node) {
		if (attach->priv == att &&
		    p2pbuf_dma_buf_attach_notified(attach))
			attach->importer_ops->P2PBUF_ATTACH_OPS_INVALIDATE(attach);
	}
	p2pbuf_dma_resv_wait_all(exp->dmabuf->resv);
}

/* --- revocation: the buffer's consumer ---------------------------------- */

static bool p2pbuf_exp_get(struct p2pbuf_consumer *c)
{
	struct p2pbuf_exp *exp = container_of(c, struct p2pbuf_exp, consumer);

	return kref_get_unless_zero(&exp->ref);
}

static void p2pbuf_exp_cput(struct p2pbuf_consumer *c)
{
	p2pbuf_exp_put(container_of(c, struct p2pbuf_exp, consumer));
}

static void p2pbuf_exp_revoke(struct p2pbuf_consumer *c, u32 reason)
{
	struct p2pbuf_exp *exp = container_of(c, struct p2pbuf_exp, consumer);
	struct dma_buf *dmabuf;

	mutex_lock(&exp->lock);
	if (exp->revoked) {
		mutex_unlock(&exp->lock);
		return;
	}
	dmabuf = exp->released ? NULL : exp->dmabuf;
	if (dmabuf)
		dma_resv_lock(dmabuf->resv, NULL);
	WRITE_ONCE(exp->reason, reason);
	/* Pairs with p2pbuf_export_fill_nl(): the reason is set first. */
	smp_store_release(&exp->revoked, true);
	/*
	 * Without the dma-buf (the EXPORT still running, which then fails,
	 * or released) there is no importer and no mapping.
	 */
	if (dmabuf) {
		p2pbuf_exp_notify(exp);
		if (exp->announced)
			p2pbuf_event(P2PBUF_NL_CMD_EXPORT_REVOKE_NTF, exp);
		p2pbuf_exp_drop_maps(exp, NULL);
		dma_resv_unlock(dmabuf->resv);
		/* The fault handlers already refuse: the buffer is revoked. */
		unmap_mapping_range(exp->inode->i_mapping, 0, exp->length, 1);
	}
	mutex_unlock(&exp->lock);
}

static const struct p2pbuf_consumer_ops p2pbuf_exp_buffer_ops = {
	.get = p2pbuf_exp_get,
	.put = p2pbuf_exp_cput,
	.revoke = p2pbuf_exp_revoke,
};

/* --- revocation: an importer's target ----------------------------------- */

static void p2pbuf_exp_att_free(struct kref *ref)
{
	struct p2pbuf_exp_att *att = container_of(ref, struct p2pbuf_exp_att,
						  ref);

	if (att->target)
		p2pbuf_target_put(att->target);
	p2pbuf_exp_put(att->exp);
	kfree(att);
}

static bool p2pbuf_exp_att_get(struct p2pbuf_consumer *c)
{
	struct p2pbuf_exp_att *att = container_of(c, struct p2pbuf_exp_att,
						  tcons);

	return kref_get_unless_zero(&att->ref);
}

static void p2pbuf_exp_att_cput(struct p2pbuf_consumer *c)
{
	struct p2pbuf_exp_att *att = container_of(c, struct p2pbuf_exp_att,
						  tcons);

	kref_put(&att->ref, p2pbuf_exp_att_free);
}

/*
 * The importer's device is going away, or a driver that manages DMA itself
 * binds to it or to its IOMMU group: its mappings go (those a static or
 * pinning importer holds of host memory stay until it unmaps: it is
 * still bound, and its driver's removal unmaps them), later maps fail.
 */
static void p2pbuf_exp_att_revoke(struct p2pbuf_consumer *c, u32 reason)
{
	struct p2pbuf_exp_att *att = container_of(c, struct p2pbuf_exp_att,
						  tcons);
	struct p2pbuf_exp *exp = att->exp;

	mutex_lock(&exp->lock);
	if (exp->dmabuf && !exp->released) {
		dma_resv_lock(exp->dmabuf->resv, NULL);
		att->gone = true;
		p2pbuf_exp_notify_att(exp, att);
		p2pbuf_exp_drop_maps(exp, att);
		dma_resv_unlock(exp->dmabuf->resv);
	}
	mutex_unlock(&exp->lock);
}

static const struct p2pbuf_consumer_ops p2pbuf_exp_target_ops = {
	.get = p2pbuf_exp_att_get,
	.put = p2pbuf_exp_att_cput,
	.revoke = p2pbuf_exp_att_revoke,
};

/* --- dma_buf_ops -------------------------------------------------------- */

static int p2pbuf_exp_attach(struct dma_buf *dmabuf,
			     struct dma_buf_attachment *attach)
{
	struct p2pbuf_exp *exp = dmabuf->priv;
	struct p2pbuf_provider *prov = exp->buf->prov;
	struct p2pbuf_exp_att *att;
	struct pci_dev *pdev;
	int ret;

	if (prov->devmem && (!attach->peer2peer || !dev_is_pci(attach->dev)))
		return -EOPNOTSUPP;
	att = kzalloc(sizeof(*att), GFP_KERNEL);
	if (!att)
		return -ENOMEM;
	kref_init(&att->ref);
	kref_get(&exp->ref);
	att->exp = exp;
	INIT_LIST_HEAD(&att->tcons.node);
	att->tcons.ops = &p2pbuf_exp_target_ops;
	if (dev_is_pci(attach->dev)) {
		pdev = to_pci_dev(attach->dev);
		att->target = p2pbuf_target_lookup(pdev);
		ret = -ENODEV;
		if (att->target)
			ret = p2pbuf_target_attach(att->target, &att->tcons);
		if (ret)
			goto err;
		att->tattached = true;
		p2pbuf_reach(prov, pdev, p2pbuf_host_bridge_p2p(), &att->path);
	} else {
		att->path.reason = P2PBUF_REACH_HOST_MEMORY;
		att->path.map_type = p2pbuf_dev_translated(attach->dev) ?
				     P2PBUF_MAP_TYPE_IOMMU :
				     P2PBUF_MAP_TYPE_DIRECT;
	}
	atomic_inc(&exp->nr_atts);
	attach->priv = att;
	return 0;

err:
	kref_put(&att->ref, p2pbuf_exp_att_free);
	return ret;
}

static void p2pbuf_exp_detach(struct dma_buf *dmabuf,
			      struct dma_buf_attachment *attach)
{
	struct p2pbuf_exp_att *att = attach->priv;

	if (att->tattached)
		p2pbuf_target_detach(att->target, &att->tcons);
	atomic_dec(&att->exp->nr_atts);
	kref_put(&att->ref, p2pbuf_exp_att_free);
}

static int p2pbuf_exp_pin(struct dma_buf_attachment *attach)
{
	struct p2pbuf_exp_att *att = attach->priv;
	struct p2pbuf_exp *exp = att->exp;
	struct p2pbuf_exp_map *m;

	dma_resv_assert_held(attach->dmabuf->resv);
	if (exp->buf->prov->devmem)
		return -EOPNOTSUPP;
	if (exp->revoked || att->gone)
		return -ENODEV;
	/* Maps made before the pin are held from now on, too. */
	list_for_each_entry(m, &exp->maps, node) {
		if (m->att == att && m->map && !m->held) {
			m->held = true;
			p2pbuf_buffer_hold(exp->buf);
		}
	}
	att->pinned++;
	return 0;
}

static void p2pbuf_exp_unpin(struct dma_buf_attachment *attach)
{
	struct p2pbuf_exp_att *att = attach->priv;

	dma_resv_assert_held(attach->dmabuf->resv);
	if (!WARN_ON_ONCE(!att->pinned))
		att->pinned--;
}

static const char *const p2pbuf_reason_names[] = {
	[P2PBUF_UNREACH_HOST_BRIDGE] = "host bridge not known to forward peer-to-peer",
	[P2PBUF_UNREACH_SAME_DEVICE] = "same device",
	[P2PBUF_UNREACH_DMA_MASK] = "bus address beyond the DMA mask",
	[P2PBUF_UNREACH_P2PDMA] = "pci_p2pdma_distance() refused",
	[P2PBUF_UNREACH_USER_DRIVER] = "DMA managed by a user driver",
};

/* Fill @m->sgt with @segs: page-less entries, DMA addresses only. */
static int p2pbuf_exp_fill_sgt(struct p2pbuf_exp_map *m,
			       const struct p2pbuf_segs *segs)
{
	struct scatterlist *sg;
	unsigned int i;
	int ret;

	ret = sg_alloc_table(&m->sgt, segs->nr, GFP_KERNEL);
	if (ret)
		return ret;
	for_each_sgtable_sg(&m->sgt, sg, i) {
		/* No page: importers of p2pbuf memory use DMA addresses. */
		sg_set_page(sg, NULL, 0, 0);
		sg_dma_address(sg) = segs->segs[i].dma_addr;
		sg_dma_len(sg) = segs->segs[i].length;
	}
	m->sgt.nents = segs->nr;
	return 0;
}

static struct sg_table *p2pbuf_exp_map(struct dma_buf_attachment *attach,
				       enum dma_data_direction dir)
{
	struct p2pbuf_exp_att *att = attach->priv;
	struct p2pbuf_exp *exp = att->exp;
	struct p2pbuf_buffer *buf = exp->buf;
	struct p2pbuf_segs segs = {
		.limit = p2pbuf_max_sgl_segments(),
		.max_seg = dma_get_max_seg_size(attach->dev),
	};
	struct p2pbuf_exp_map *m;
	u32 reason;
	int ret;

	dma_resv_assert_held(attach->dmabuf->resv);
	if (exp->revoked || att->gone)
		return ERR_PTR(-ENODEV);
	if (!att->path.map_type) {
		reason = att->path.reason;
		if (!att->warned)
			dev_info(attach->dev, "p2pbuf: export %u: cannot reach provider %u: %s\n",
				 exp->id, buf->prov->id,
				 reason < ARRAY_SIZE(p2pbuf_reason_names) &&
				 p2pbuf_reason_names[reason] ?
				 p2pbuf_reason_names[reason] : "unreachable");
		att->warned = true;
		return ERR_PTR(att->path.reason == P2PBUF_UNREACH_USER_DRIVER ?
			       -EBUSY : -EXDEV);
	}
	m = kzalloc(sizeof(*m), GFP_KERNEL);
	if (!m)
		return ERR_PTR(-ENOMEM);
	m->att = att;
	ret = p2pbuf_dmamap_get(buf, attach->dev, dir, &att->path, &m->map);
	if (ret)
		goto err_free;
	ret = p2pbuf_dmamap_ranges(m->map, exp->offset, exp->length,
				   p2pbuf_segs_add, &segs);
	if (!ret)
		ret = p2pbuf_exp_fill_sgt(m, &segs);
	p2pbuf_segs_free(&segs);
	if (ret)
		goto err_put;
	m->held = !buf->prov->devmem &&
		  (att->pinned || !p2pbuf_dma_buf_attach_notified(attach));
	if (m->held)
		p2pbuf_buffer_hold(buf);
	list_add_tail(&m->node, &exp->maps);
	return &m->sgt;

err_put:
	p2pbuf_dmamap_put(m->map);
err_free:
	kfree(m);
	return ERR_PTR(ret);
}

static void p2pbuf_exp_unmap(struct dma_buf_attachment *attach,
			     struct sg_table *sgt, enum dma_data_direction dir)
{
	struct p2pbuf_exp_map *m = container_of(sgt, struct p2pbuf_exp_map,
						sgt);

	dma_resv_assert_held(attach->dmabuf->resv);
	list_del(&m->node);
	p2pbuf_exp_map_drop(m);
	sg_free_table(&m->sgt);
	kfree(m);
}

/* The last reference to the dma-buf is gone: no attachment is left. */
static void p2pbuf_exp_release(struct dma_buf *dmabuf)
{
	struct p2pbuf_exp *exp = dmabuf->priv;

	mutex_lock(&exp->lock);
	exp->released = true;
	if (exp->announced)
		p2pbuf_event(P2PBUF_NL_CMD_EXPORT_DEL_NTF, exp);
	mutex_unlock(&exp->lock);
	if (exp->attached)
		p2pbuf_buffer_detach(exp->buf, &exp->consumer);
	p2pbuf_exp_put(exp);
}

/* Host memory: make the CPU's view and the importers' agree. */
static int p2pbuf_exp_cpu_access(struct dma_buf *dmabuf, bool for_cpu)
{
	struct p2pbuf_exp *exp = dmabuf->priv;
	struct p2pbuf_exp_map *m;
	int ret;

	if (exp->buf->prov->devmem)
		return 0;
	ret = dma_resv_lock_interruptible(dmabuf->resv, NULL);
	if (ret)
		return ret;
	list_for_each_entry(m, &exp->maps, node) {
		if (m->map)
			p2pbuf_dmamap_sync(m->map, for_cpu);
	}
	dma_resv_unlock(dmabuf->resv);
	return 0;
}

static int p2pbuf_exp_begin_cpu_access(struct dma_buf *dmabuf,
				       enum dma_data_direction dir)
{
	return p2pbuf_exp_cpu_access(dmabuf, true);
}

static int p2pbuf_exp_end_cpu_access(struct dma_buf *dmabuf,
				     enum dma_data_direction dir)
{
	return p2pbuf_exp_cpu_access(dmabuf, false);
}

/*
 * The dma-buf core checked that the VMA lies inside the dma-buf; its page
 * offset counts from the start of the export.  A shared mapping only, as
 * for /dev/p2pbuf.
 */
static int p2pbuf_exp_mmap(struct dma_buf *dmabuf, struct vm_area_struct *vma)
{
	struct p2pbuf_exp *exp = dmabuf->priv;

	if (!(vma->vm_flags & VM_MAYSHARE))
		return -EINVAL;
	return p2pbuf_buffer_mmap(exp->buf, exp->offset, vma);
}

static const struct dma_buf_ops p2pbuf_exp_ops = {
	.attach = p2pbuf_exp_attach,
	.detach = p2pbuf_exp_detach,
	.pin = p2pbuf_exp_pin,
	.unpin = p2pbuf_exp_unpin,
	.map_dma_buf = p2pbuf_exp_map,
	.unmap_dma_buf = p2pbuf_exp_unmap,
	.release = p2pbuf_exp_release,
	.begin_cpu_access = p2pbuf_exp_begin_cpu_access,
	.end_cpu_access = p2pbuf_exp_end_cpu_access,
	.mmap = p2pbuf_exp_mmap,
};

/* --- P2PBUF_IOC_EXPORT --------------------------------------------------- */

/* Called after the reply reached userspace: the export becomes visible. */
static int p2pbuf_exp_commit(struct file *file)
{
	struct dma_buf *dmabuf = file->private_data;
	struct p2pbuf_exp *exp = dmabuf->priv;

	mutex_lock(&exp->lock);
	exp->announced = true;
	p2pbuf_event(P2PBUF_NL_CMD_EXPORT_NEW_NTF, exp);
	if (READ_ONCE(exp->revoked))
		p2pbuf_event(P2PBUF_NL_CMD_EXPORT_REVOKE_NTF, exp);
	mutex_unlock(&exp->lock);
	return 0;
}

static int p2pbuf_export_check(const struct p2pbuf_export *e)
{
	u64 end;

	if (e->flags & ~P2PBUF_EXPORT_F_NO_CLOEXEC || e->reserved0 ||
	    e->reserved[0] || e->reserved[1])
		return -EINVAL;
	if (!e->length || !PAGE_ALIGNED(e->offset) ||
	    !PAGE_ALIGNED(e->length) ||
	    check_add_overflow(e->offset, e->length, &end))
		return -EINVAL;
	return 0;
}

/**
 * p2pbuf_ioctl_export() - handle %P2PBUF_IOC_EXPORT
 * @call: the call; its context is the caller's struct p2pbuf_file
 * @arg: kernel copy of struct p2pbuf_export
 *
 * Return: 0; -EINVAL for unknown flags, non-zero reserved fields, a zero
 * or unaligned range, or a handle that names no buffer of this file;
 * -ERANGE if the range does not lie inside the buffer; -ENODEV if the
 * buffer was revoked; -ENOMEM; -EMFILE; the dma-buf core's errors.
 */
int p2pbuf_ioctl_export(struct p2pbuf_ioctl_call *call, void *arg)
{
	DEFINE_DMA_BUF_EXPORT_INFO(info);
	struct p2pbuf_file *pf = call->ctx;
	struct p2pbuf_export *e = arg;
	struct p2pbuf_buffer *buf;
	struct p2pbuf_exp *exp;
	struct dma_buf *dmabuf;
	int ret, fd;

	ret = p2pbuf_export_check(e);
	if (ret)
		return ret;
	buf = p2pbuf_file_buffer(pf, e->handle);
	if (!buf)
		return -EINVAL;
	if (e->offset >= buf->size || e->length > buf->size - e->offset) {
		p2pbuf_buffer_put(buf);
		return -ERANGE;
	}
	exp = kzalloc(sizeof(*exp), GFP_KERNEL);
	if (!exp) {
		p2pbuf_buffer_put(buf);
		return -ENOMEM;
	}
	kref_init(&exp->ref);
	mutex_init(&exp->lock);
	INIT_LIST_HEAD(&exp->maps);
	INIT_LIST_HEAD(&exp->consumer.node);
	exp->consumer.ops = &p2pbuf_exp_buffer_ops;
	exp->buf = buf;
	exp->offset = e->offset;
	exp->length = e->length;
	exp->owner = get_task_pid(current, PIDTYPE_TGID);
	exp->uid = current_euid();
	get_task_comm(exp->comm, current);
	atomic_set(&exp->nr_atts, 0);

	ret = p2pbuf_buffer_attach(buf, &exp->consumer);
	if (ret)
		goto err_put;
	exp->attached = true;

	info.exp_name = "p2pbuf";
	info.owner = THIS_MODULE;
	info.ops = &p2pbuf_exp_ops;
	info.size = e->length;
	info.flags = O_RDWR;
	info.priv = exp;
	dmabuf = dma_buf_export(&info);
	if (IS_ERR(dmabuf)) {
		ret = PTR_ERR(dmabuf);
		goto err_detach;
	}
	/* From here on the dma-buf's release undoes everything. */
	exp->inode = file_inode(dmabuf->file);
	ihold(exp->inode);
	exp->ino = exp->inode->i_ino;
	mutex_lock(&exp->lock);
	exp->dmabuf = dmabuf;
	/* A revocation that came meanwhile found no dma-buf: refuse. */
	ret = exp->revoked ? -ENODEV : 0;
	mutex_unlock(&exp->lock);
	if (!ret)
		ret = xa_alloc_cyclic(&p2pbuf_exports, &exp->id, exp,
				      xa_limit_31b, &p2pbuf_exports_next,
				      GFP_KERNEL);
	fd = ret < 0 ? ret : get_unused_fd_flags(e->flags &
						 P2PBUF_EXPORT_F_NO_CLOEXEC ?
						 0 : O_CLOEXEC);
	if (fd < 0) {
		dma_buf_put(dmabuf);
		return fd;
	}
	call->install_file = dmabuf->file;
	call->install_fd = fd;
	call->commit = p2pbuf_exp_commit;
	e->dmabuf_fd = fd;
	e->id = exp->id;
	e->reserved0 = 0;
	return 0;

err_detach:
	p2pbuf_buffer_detach(buf, &exp->consumer);
err_put:
	p2pbuf_exp_put(exp);
	return ret;
}

/* --- listings ------------------------------------------------------------ */

/**
 * p2pbuf_export_fill_nl() - describe an export in a netlink message
 * @skb: the message
 * @exp: the export, with its lock held
 * @owner: add who made it (listings; events carry no owner)
 *
 * Return: 0 or -EMSGSIZE.
 */
int p2pbuf_export_fill_nl(struct sk_buff *skb, struct p2pbuf_exp *exp,
			  bool owner)
{
	/* Pairs with p2pbuf_exp_revoke(): the reason is set first. */
	bool revoked = smp_load_acquire(&exp->revoked);

	lockdep_assert_held(&exp->lock);
	if (nla_put_u32(skb, P2PBUF_NL_A_EXPORT_ID, exp->id) ||
	    nla_put_u32(skb, P2PBUF_NL_A_BUFFER_ID, exp->buf->id) ||
	    nla_put_u64_64bit(skb, P2PBUF_NL_A_EXPORT_OFFSET, exp->offset,
			      P2PBUF_NL_A_PAD) ||
	    nla_put_u64_64bit(skb, P2PBUF_NL_A_EXPORT_LENGTH, exp->length,
			      P2PBUF_NL_A_PAD) ||
	    nla_put_u32(skb, P2PBUF_NL_A_PROVIDER_ID, exp->buf->prov->id) ||
	    nla_put_u32(skb, P2PBUF_NL_A_EXPORT_STATE,
			revoked ? P2PBUF_NL_STATE_REVOKED :
				  P2PBUF_NL_STATE_LIVE) ||
	    nla_put_u32(skb, P2PBUF_NL_A_EXPORT_ATTACHMENTS,
			atomic_read(&exp->nr_atts)) ||
	    nla_put_u64_64bit(skb, P2PBUF_NL_A_EXPORT_INODE, exp->ino,
			      P2PBUF_NL_A_PAD))
		return -EMSGSIZE;
	if (revoked &&
	    nla_put_u32(skb, P2PBUF_NL_A_REASON, READ_ONCE(exp->reason)))
		return -EMSGSIZE;
	if (!owner)
		return 0;
	if (nla_put_u32(skb, P2PBUF_NL_A_OWNER_PID, pid_nr(exp->owner)) ||
	    nla_put_u32(skb, P2PBUF_NL_A_OWNER_UID,
			from_kuid_munged(&init_user_ns, exp->uid)) ||
	    nla_put_string(skb, P2PBUF_NL_A_OWNER_COMM, exp->comm))
		return -EMSGSIZE;
	return 0;
}

/**
 * p2pbuf_export_uid() - who made an export (listings' visibility)
 * @exp: the export
 *
 * Return: the effective uid of its maker.
 */
kuid_t p2pbuf_export_uid(struct p2pbuf_exp *exp)
{
	return exp->uid;
}

/**
 * p2pbuf_exports_for_each() - call @fn on exports from id *@pos on
 * @pos: in: first id to visit; out: where to resume
 * @fn: called for announced, unreleased exports with the export's lock
 *	held; a non-zero return stops the walk (*@pos then names that
 *	export, to be visited again)
 * @arg: passed to @fn
 *
 * Return: 0, or what @fn returned.
 */
int p2pbuf_exports_for_each(unsigned long *pos,
			    int (*fn)(struct p2pbuf_exp *exp, void *arg),
			    void *arg)
{
	struct p2pbuf_exp *exp;
	unsigned long id = *pos;
	int ret = 0;

	for (;;) {
		xa_lock(&p2pbuf_exports);
		exp = xa_find(&p2pbuf_exports, &id, ULONG_MAX, XA_PRESENT);
		while (exp && !kref_get_unless_zero(&exp->ref))
			exp = xa_find_after(&p2pbuf_exports, &id, ULONG_MAX,
					    XA_PRESENT);
		xa_unlock(&p2pbuf_exports);
		if (!exp)
			break;
		mutex_lock(&exp->lock);
		if (exp->announced && !exp->released)
			ret = fn(exp, arg);
		mutex_unlock(&exp->lock);
		p2pbuf_exp_put(exp);
		if (ret)
			break;
		id++;
		cond_resched();
	}
	*pos = ret ? id : ULONG_MAX;
	return ret;
}

/**
 * p2pbuf_exports_exit() - module unload: no export exists any more
 */
void p2pbuf_exports_exit(void)
{
	WARN_ON(!xa_empty(&p2pbuf_exports));
	xa_destroy(&p2pbuf_exports);
}
