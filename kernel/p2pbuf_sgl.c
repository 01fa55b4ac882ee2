// SPDX-License-Identifier: GPL-2.0-only
/*
 * p2pbuf_sgl.c - dma-sgls: a peer VMA range as DMA addresses for a device.
 *
 * P2PBUF_IOC_MAP takes a range of the caller's address space, resolves it
 * to pieces through the VMAs (never through page tables): pieces of
 * p2pbuf buffers (p2pbuf_vma_buffer() recognises our own VMAs by their
 * vm_ops) and pieces of dma-bufs (a VMA whose file is a dma-buf's, of an
 * exporter whose mmap keeps the dma-buf's page offset in vm_pgoff:
 * p2pbuf_vma_dmabuf()).  It decides for each buffer whether the target
 * device can reach the memory and how (p2pbuf_reach()), maps it
 * (p2pbuf_dma.c, shared per buffer and device), imports each dma-buf for
 * the target (below) and returns a file descriptor: the dma-sgl.
 *
 * A dma-sgl is a consumer of every buffer it covers and of its target
 * (struct p2pbuf_sgl_att, p2pbuf_sgl.tcons): revoking a buffer or a target
 * reaches it through their consumer lists and p2pbuf_sgl_revoke().  It
 * holds a reference on each buffer, each dma-buf and the target, so
 * neither FREE, munmap() nor close() can take memory away from under the
 * device; the release of its file unmaps the DMA and drops them.  Its fd
 * answers P2PBUF_IOC_SEGMENTS (the addresses, CAP_SYS_RAWIO) and
 * P2PBUF_IOC_SYNC.
 *
 * P2PBUF_IOC_MAP_DMABUF makes the same object of a range of any dma-buf
 * (one import, one piece, no buffer).  For each distinct dma-buf a
 * dma-sgl covers it attaches as a dynamic importer on its target
 * (peer2peer allowed; struct p2pbuf_sgl_imp), maps under the reservation
 * lock and takes the segments from sg_dma_address()/sg_dma_len() only
 * (exporters of device memory give no pages).  An exporter's invalidation
 * revokes the whole dma-sgl (p2pbuf_sgl_invalidate()), for good: a new
 * MAP or MAP_DMABUF maps again.  The mappings of the dma-sgl's other
 * dma-bufs are then given back by a work item (their reservation locks
 * cannot be taken under the invalidating one's).
 *
 * Lock order: mmap_lock (MAP's collection, which only takes references),
 * then, with mmap_lock dropped, a dma-buf's reservation lock, then
 * &p2pbuf_sgl.lock (the exporter calls the invalidation with the former
 * held); never two reservation locks.  The IOMMU group's mutex ranks above
 * the reservation lock, so the target's attachment and the reachability
 * decisions (p2pbuf_target_attach(), p2pbuf_reach()) and
 * dma_buf_dynamic_attach() happen before either lock is taken,
 * dma_buf_detach() after both are dropped.  Dma-sgls covering a dma-buf
 * have a lock class of their own.
 *
 * Events of one dma-sgl are sent under its lock: SGL_NEW when MAP
 * succeeded (after the reply reached userspace, before the fd is
 * installed; a refused MAP sends nothing), at most one SGL_REVOKE, and
 * SGL_DEL when its last fd is closed, before its id can be reused.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/anon_inodes.h>
#include <linux/capability.h>
#include <linux/dma-buf.h>
#include <linux/dma-resv.h>
#include <linux/dma-mapping.h>
#include <linux/file.h>
#include <linux/magic.h>
#include <linux/mm.h>
#include <linux/pci.h>
#include <linux/poll.h>
#include <linux/scatterlist.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/workqueue.h>
#include <linux/xarray.h>
#include <net/netlink.h>

#include "p2pbuf.h"

/*
 * The registry of dma-sgls: id -> sgl, for the listings.  Entries hold no
 * reference: an sgl leaves it when it is freed (so its id is not reused
 * before its SGL_DEL), and readers take a reference with
 * kref_get_unless_zero() under the xarray's lock.
 */
static DEFINE_XARRAY_ALLOC1(p2pbuf_sgls);

/* Gives back the other imports of a dma-sgl an exporter revoked. */
static struct workqueue_struct *p2pbuf_sgl_wq;

/* The lock classes of dma-sgls without and with imports (see above). */
static struct lock_class_key p2pbuf_sgl_map_key, p2pbuf_sgl_import_key;

/**
 * struct p2pbuf_sgl_att - a dma-sgl's use of one buffer
 * @consumer: entry in the buffer's consumer list
 * @sgl: the dma-sgl
 * @buf: the buffer, referenced until the dma-sgl is revoked or freed
 * @buf_id: its id (kept after revocation, for the listings)
 * @path: how the target reaches it, decided before the build's lock
 * @map: the buffer mapped for the target, NULL until mapped
 * @attached: @consumer was added to the buffer's list
 */
struct p2pbuf_sgl_att {
	struct p2pbuf_consumer consumer;
	struct p2pbuf_sgl *sgl;
	struct p2pbuf_buffer *buf;
	u32 buf_id;
	struct p2pbuf_path path;
	struct p2pbuf_dmamap *map;
	bool attached;
};

/**
 * struct p2pbuf_sgl_imp - a dma-sgl's import of one dma-buf
 * @sgl: the dma-sgl (the attachment's importer_priv is this entry)
 * @dmabuf: the dma-buf, referenced until the dma-sgl is freed
 * @ino: inode number of the dma-buf's file (the listings, fdinfo)
 * @attach: the dynamic attachment for the target, NULL until attached;
 *	detached when the dma-sgl is freed
 * @sgt: what the exporter mapped, NULL when not mapped; under the
 *	dma-buf's reservation lock and &p2pbuf_sgl.lock
 */
struct p2pbuf_sgl_imp {
	struct p2pbuf_sgl *sgl;
	struct dma_buf *dmabuf;
	u64 ino;
	struct dma_buf_attachment *attach;
	struct sg_table *sgt;
};

/**
 * struct p2pbuf_sgl_piece - a part of a dma-sgl inside one buffer or
 *	dma-buf
 * @att: index of the buffer's &struct p2pbuf_sgl_att, or with @imp of the
 *	dma-buf's &struct p2pbuf_sgl_imp
 * @imp: the part is in a dma-buf
 * @off: offset of the part in the buffer or dma-buf
 * @len: bytes
 */
struct p2pbuf_sgl_piece {
	unsigned int att;
	bool imp;
	u64 off;
	u64 len;
};

/**
 * struct p2pbuf_sgl - a dma-sgl, the object behind a dma-sgl fd
 * @ref: references: the file's, the one MAP holds while it builds, a
 *	temporary one of each revocation or listing working on it, and the
 *	one of a queued @unmap_work
 * @lock: protects @state, @announced, @dead, @reason, @generation,
 *	@aborted, the mappings of @atts and @imps and @segs.  MAP holds it
 *	while it attaches to and maps the buffers and while it assembles the
 *	segments; a revocation in between marks the build @aborted.
 * @wq: pollers of the file, woken when the sgl is revoked
 * @state: enum p2pbuf_sgl_state once built (0 before); read without @lock
 *	by poll()
 * @announced: SGL_NEW was sent (so SGL_REVOKE and SGL_DEL are sent too)
 * @counted: the buffers of @atts and their providers count the dma-sgl in
 *	their nr_sgls (from a successful build until it is unmapped, whether
 *	by revocation, which sets @state to revoked first, or by the last put)
 * @dead: the last fd was closed; nothing is sent any more
 * @aborted: revoked before its build finished: MAP fails with -ENODEV
 * @reason: enum p2pbuf_nl_revoke_reason once revoked
 * @owner: thread group that made it, referenced
 * @uid: its effective uid
 * @comm: its command name
 * @id: global id, allocated when built, unique until the sgl is freed
 * @pf_file: the /dev/p2pbuf file it was made through, referenced, so that
 *	its &p2pbuf_file.nr_sgls can be decremented at release
 * @target: the device the addresses are for, referenced
 * @tcons: the dma-sgl's entry in @target's consumer list
 * @tattached: @tcons was added to that list
 * @dir: the DMA direction of the mapping
 * @udir: the same as enum p2pbuf_dma_dir
 * @map_type: enum p2pbuf_map_type of the whole
 * @length: bytes covered
 * @generation: starts at 1, changes with the state (revocation)
 * @max_segs: the max_sgl_segments parameter when MAP started
 * @atts: @nr_atts distinct buffers covered, in order of first appearance
 * @nr_atts: see @atts
 * @imps: @nr_imps distinct dma-bufs covered, in order of first
 *	appearance; set before the sgl joins any list, never moves then
 * @nr_imps: see @imps
 * @pieces: @nr_pieces parts, in address order
 * @nr_pieces: see @pieces
 * @segs: the coalesced DMA segments, in address order (limit @max_segs,
 *	each at most the segment size the target's driver declared)
 * @unmap_work: gives back the mappings of @imps after an exporter's
 *	revocation (p2pbuf_sgl_invalidate())
 */
struct p2pbuf_sgl {
	struct kref ref;
	struct mutex lock; /* see above */
	wait_queue_head_t wq;
	u32 state;
	bool announced;
	bool counted;
	bool dead;
	bool aborted;
	u32 reason;
	struct pid *owner;
	kuid_t uid;
	char comm[TASK_COMM_LEN];
	u32 id;
	struct file *pf_file;
	struct p2pbuf_target *target;
	struct p2pbuf_consumer tcons;
	bool tattached;
	enum dma_data_direction dir;
	u32 udir;
	u32 map_type;
	u64 length;
	u32 generation;
	unsigned int max_segs;
	struct p2pbuf_sgl_att *atts;
	unsigned int nr_atts;
	struct p2pbuf_sgl_imp *imps;
	unsigned int nr_imps;
	struct p2pbuf_sgl_piece *pieces;
	unsigned int nr_pieces;
	struct p2pbuf_segs segs;
	struct work_struct unmap_work;
};

/* --- lifetime ----------------------------------------------------------- */

/*
 * Unmap the DMA of the buffers, leave the consumer lists and let go of the
 * buffers; the mappings of the imports are p2pbuf_sgl_unmap_imports()'s.
 * With @sgl->lock held.
 */
static void p2pbuf_sgl_unmap(struct p2pbuf_sgl *sgl)
{
	struct p2pbuf_sgl_att *att;
	unsigned int i;

	lockdep_assert_held(&sgl->lock);
	for (i = 0; i < sgl->nr_atts; i++) {
		att = &sgl->atts[i];
		if (att->map) {
			p2pbuf_dmamap_put(att->map);
			att->map = NULL;
		}
		if (att->attached) {
			p2pbuf_buffer_detach(att->buf, &att->consumer);
			att->attached = false;
		}
	}
	if (sgl->tattached) {
		p2pbuf_target_detach(sgl->target, &sgl->tcons);
		sgl->tattached = false;
	}
	if (sgl->counted) {
		for (i = 0; i < sgl->nr_atts; i++) {
			atomic_dec(&sgl->atts[i].buf->nr_sgls);
			atomic_dec(&sgl->atts[i].buf->prov->nr_sgls);
		}
		sgl->counted = false;
	}
	/* Only now: the last put may return the memory to its provider. */
	for (i = 0; i < sgl->nr_atts; i++) {
		att = &sgl->atts[i];
		if (att->buf) {
			p2pbuf_buffer_put(att->buf);
			att->buf = NULL;
		}
	}
	p2pbuf_segs_free(&sgl->segs);
}

/* Give the exporter's mapping of @imp back; both locks held. */
static void p2pbuf_sgl_unmap_imp(struct p2pbuf_sgl_imp *imp)
{
	dma_resv_assert_held(imp->dmabuf->resv);
	lockdep_assert_held(&imp->sgl->lock);
	if (imp->sgt) {
		dma_buf_unmap_attachment(imp->attach, imp->sgt, imp->sgl->dir);
		imp->sgt = NULL;
	}
}

/*
 * Give back every import's mapping, one reservation lock at a time.  Only
 * after the sgl was revoked, or its build failed, or with the last
 * reference: nothing maps an import again then.
 */
static void p2pbuf_sgl_unmap_imports(struct p2pbuf_sgl *sgl)
{
	struct p2pbuf_sgl_imp *imp;
	unsigned int i;

	for (i = 0; i < sgl->nr_imps; i++) {
		imp = &sgl->imps[i];
		dma_resv_lock(imp->dmabuf->resv, NULL);
		mutex_lock(&sgl->lock);
		p2pbuf_sgl_unmap_imp(imp);
		mutex_unlock(&sgl->lock);
		dma_resv_unlock(imp->dmabuf->resv);
	}
}

static void p2pbuf_sgl_free(struct kref *ref)
{
	struct p2pbuf_sgl *sgl = container_of(ref, struct p2pbuf_sgl, ref);
	struct p2pbuf_sgl_imp *imp;
	unsigned int i;

	if (sgl->id)
		xa_erase(&p2pbuf_sgls, sgl->id);
	/* The invalidations may still run until the detaches. */
	p2pbuf_sgl_unmap_imports(sgl);
	mutex_lock(&sgl->lock);
	p2pbuf_sgl_unmap(sgl);
	mutex_unlock(&sgl->lock);
	for (i = 0; i < sgl->nr_imps; i++) {
		imp = &sgl->imps[i];
		if (imp->attach)
			dma_buf_detach(imp->dmabuf, imp->attach);
		dma_buf_put(imp->dmabuf);
	}
	p2pbuf_target_put(sgl->target);
	put_pid(sgl->owner);
	kvfree(sgl->atts);
	kvfree(sgl->imps);
	kvfree(sgl->pieces);
	mutex_destroy(&sgl->lock);
	kfree(sgl);
}

static void p2pbuf_sgl_put(struct p2pbuf_sgl *sgl)
{
	might_sleep();
	kref_put(&sgl->ref, p2pbuf_sgl_free);
}

/*
 * Revoke @sgl: mark it, wake its pollers and tell listeners, then tear the
 * DMA mappings of its buffers down and let go of them (the caller gives
 * the imports' mappings back).  A dma-sgl whose build has not finished is
 * marked @aborted and unmapped silently (its MAP then fails).  With
 * @sgl->lock held.
 */
static void p2pbuf_sgl_revoke_locked(struct p2pbuf_sgl *sgl, u32 reason)
{
	lockdep_assert_held(&sgl->lock);
	if (!sgl->state) {
		sgl->aborted = true;
		p2pbuf_sgl_unmap(sgl);
	} else if (sgl->state == P2PBUF_SGL_STATE_MAPPED) {
		WRITE_ONCE(sgl->state, P2PBUF_SGL_STATE_REVOKED);
		sgl->reason = reason;
		sgl->generation++;
		if (sgl->announced && !sgl->dead) {
			wake_up_interruptible_poll(&sgl->wq,
						   EPOLLERR | EPOLLPRI);
			p2pbuf_event(P2PBUF_NL_CMD_SGL_REVOKE_NTF, sgl);
		}
		p2pbuf_sgl_unmap(sgl);
	}
}

static void p2pbuf_sgl_revoke(struct p2pbuf_sgl *sgl, u32 reason)
{
	mutex_lock(&sgl->lock);
	p2pbuf_sgl_revoke_locked(sgl, reason);
	mutex_unlock(&sgl->lock);
	p2pbuf_sgl_unmap_imports(sgl);
}

static void p2pbuf_sgl_unmap_work(struct work_struct *work)
{
	struct p2pbuf_sgl *sgl = container_of(work, struct p2pbuf_sgl,
					      unmap_work);

	p2pbuf_sgl_unmap_imports(sgl);
	p2pbuf_sgl_put(sgl);
}

/*
 * The exporter of one of a dma-sgl's dma-bufs invalidates its mappings
 * (it holds that dma-buf's reservation lock): revoke the dma-sgl, which
 * unmaps last, give this import's mapping back now and the others' from
 * the work item.  Runs until dma_buf_detach() returned, so also on a
 * dma-sgl being freed (closed: nothing is sent then, and the free gives
 * every mapping back itself).
 */
static void p2pbuf_sgl_invalidate(struct dma_buf_attachment *attach)
{
	struct p2pbuf_sgl_imp *imp = attach->importer_priv;
	struct p2pbuf_sgl *sgl = imp->sgl;
	bool others = false;
	unsigned int i;

	dma_resv_assert_held(attach->dmabuf->resv);
	mutex_lock(&sgl->lock);
	p2pbuf_sgl_revoke_locked(sgl, P2PBUF_NL_REVOKE_EXPORTER);
	p2pbuf_sgl_unmap_imp(imp);
	for (i = 0; i < sgl->nr_imps; i++)
		others = others || sgl->imps[i].sgt;
	mutex_unlock(&sgl->lock);
	if (others && kref_get_unless_zero(&sgl->ref) &&
	    !queue_work(p2pbuf_sgl_wq, &sgl->unmap_work))
		kref_put(&sgl->ref, p2pbuf_sgl_free); /* not the last one */
}

static const struct dma_buf_attach_ops p2pbuf_sgl_import_ops = {
	.allow_peer2peer = true,
	.P2PBUF_ATTACH_OPS_INVALIDATE = p2pbuf_sgl_invalidate,
};

/* The consumer operations of both kinds of entries of a dma-sgl. */
static struct p2pbuf_sgl *p2pbuf_consumer_sgl(struct p2pbuf_consumer *c);

static bool p2pbuf_sgl_cons_get(struct p2pbuf_consumer *c)
{
	return kref_get_unless_zero(&p2pbuf_consumer_sgl(c)->ref);
}

static void p2pbuf_sgl_cons_put(struct p2pbuf_consumer *c)
{
	p2pbuf_sgl_put(p2pbuf_consumer_sgl(c));
}

static void p2pbuf_sgl_cons_revoke(struct p2pbuf_consumer *c, u32 reason)
{
	p2pbuf_sgl_revoke(p2pbuf_consumer_sgl(c), reason);
}

static const struct p2pbuf_consumer_ops p2pbuf_sgl_buffer_ops = {
	.get = p2pbuf_sgl_cons_get,
	.put = p2pbuf_sgl_cons_put,
	.revoke = p2pbuf_sgl_cons_revoke,
};

static const struct p2pbuf_consumer_ops p2pbuf_sgl_target_ops = {
	.get = p2pbuf_sgl_cons_get,
	.put = p2pbuf_sgl_cons_put,
	.revoke = p2pbuf_sgl_cons_revoke,
};

static struct p2pbuf_sgl *p2pbuf_consumer_sgl(struct p2pbuf_consumer *c)
{
	if (c->ops == &p2pbuf_sgl_target_ops)
		return container_of(c, struct p2pbuf_sgl, tcons);
	return container_of(c, struct p2pbuf_sgl_att, consumer)->sgl;
}

/* --- listings ----------------------------------------------------------- */

/* A piece of a dma-buf, as a P2PBUF_NL_A_SGL_DMABUF nest. */
static int p2pbuf_sgl_fill_dmabuf(struct sk_buff *skb, struct p2pbuf_sgl *sgl,
				  const struct p2pbuf_sgl_piece *p)
{
	const struct p2pbuf_sgl_imp *imp = &sgl->imps[p->att];
	struct nlattr *nest;

	nest = nla_nest_start(skb, P2PBUF_NL_A_SGL_DMABUF);
	if (!nest)
		return -EMSGSIZE;
	if (nla_put_string(skb, P2PBUF_NL_DMABUF_A_EXPORTER,
			   imp->dmabuf->exp_name ?: "") ||
	    nla_put_u64_64bit(skb, P2PBUF_NL_DMABUF_A_INODE, imp->ino,
			      P2PBUF_NL_DMABUF_A_PAD) ||
	    nla_put_u64_64bit(skb, P2PBUF_NL_DMABUF_A_OFFSET, p->off,
			      P2PBUF_NL_DMABUF_A_PAD) ||
	    nla_put_u64_64bit(skb, P2PBUF_NL_DMABUF_A_LENGTH, p->len,
			      P2PBUF_NL_DMABUF_A_PAD)) {
		nla_nest_cancel(skb, nest);
		return -EMSGSIZE;
	}
	nla_nest_end(skb, nest);
	return 0;
}

/**
 * p2pbuf_sgl_fill_nl() - the netlink attributes describing a dma-sgl
 * @skb: the message being built
 * @sgl: the dma-sgl, with its lock held
 * @owner: include who made it (pid, uid, command): listings only, not the
 *	events everybody may receive
 *
 * Return: 0 or -EMSGSIZE.
 */
int p2pbuf_sgl_fill_nl(struct sk_buff *skb, struct p2pbuf_sgl *sgl,
		       bool owner)
{
	bool live = sgl->state == P2PBUF_SGL_STATE_MAPPED;
	unsigned int i;

	lockdep_assert_held(&sgl->lock);
	if (nla_put_u32(skb, P2PBUF_NL_A_SGL_ID, sgl->id) ||
	    nla_put_string(skb, P2PBUF_NL_A_SGL_TARGET,
			   pci_name(sgl->target->pdev)) ||
	    nla_put_u64_64bit(skb, P2PBUF_NL_A_SGL_LENGTH, sgl->length,
			      P2PBUF_NL_A_PAD) ||
	    nla_put_u32(skb, P2PBUF_NL_A_SGL_SEGMENTS, sgl->segs.nr) ||
	    nla_put_u32(skb, P2PBUF_NL_A_SGL_MAP_TYPE, sgl->map_type) ||
	    nla_put_u32(skb, P2PBUF_NL_A_SGL_STATE,
			live ? P2PBUF_NL_STATE_LIVE : P2PBUF_NL_STATE_REVOKED) ||
	    nla_put_u32(skb, P2PBUF_NL_A_SGL_DIRECTION, sgl->udir) ||
	    nla_put_u32(skb, P2PBUF_NL_A_SGL_GENERATION, sgl->generation) ||
	    (owner && nla_put_u32(skb, P2PBUF_NL_A_OWNER_PID,
				  pid_nr(sgl->owner))) ||
	    (owner && nla_put_u32(skb, P2PBUF_NL_A_OWNER_UID,
				  from_kuid_munged(&init_user_ns, sgl->uid))) ||
	    (owner && nla_put_string(skb, P2PBUF_NL_A_OWNER_COMM, sgl->comm)) ||
	    (!live && nla_put_u32(skb, P2PBUF_NL_A_REASON, sgl->reason)))
		return -EMSGSIZE;
	for (i = 0; i < sgl->nr_atts; i++)
		if (nla_put_u32(skb, P2PBUF_NL_A_BUFFER_ID,
				sgl->atts[i].buf_id))
			return -EMSGSIZE;
	for (i = 0; i < sgl->nr_pieces; i++)
		if (sgl->pieces[i].imp &&
		    p2pbuf_sgl_fill_dmabuf(skb, sgl, &sgl->pieces[i]))
			return -EMSGSIZE;
	return 0;
}

/**
 * p2pbuf_sgl_uid() - the effective uid of a dma-sgl's creator
 * @sgl: the dma-sgl
 *
 * Return: the uid, for the visibility rule of the listings.
 */
kuid_t p2pbuf_sgl_uid(struct p2pbuf_sgl *sgl)
{
	return sgl->uid;
}

/**
 * p2pbuf_sgls_for_each() - call @fn for the announced, open dma-sgls
 * @pos: in: first id to visit; out: id to resume from when @fn failed
 * @fn: called in id order with the sgl's lock held (and nothing else); a
 *	non-zero return stops the walk and is returned.  The visibility
 *	rules of the listing are @fn's.
 * @arg: passed to @fn
 *
 * Return: 0 when every sgl from *@pos on was visited, or what @fn returned.
 */
int p2pbuf_sgls_for_each(unsigned long *pos,
			 int (*fn)(struct p2pbuf_sgl *sgl, void *arg),
			 void *arg)
{
	struct p2pbuf_sgl *sgl;
	unsigned long id = *pos;
	int ret = 0;

	for (;;) {
		xa_lock(&p2pbuf_sgls);
		sgl = xa_find(&p2pbuf_sgls, &id, ULONG_MAX, XA_PRESENT);
		while (sgl && !kref_get_unless_zero(&sgl->ref))
			sgl = xa_find_after(&p2pbuf_sgls, &id, ULONG_MAX,
					    XA_PRESENT);
		xa_unlock(&p2pbuf_sgls);
		if (!sgl)
			break;
		mutex_lock(&sgl->lock);
		if (sgl->announced && !sgl->dead)
			ret = fn(sgl, arg);
		mutex_unlock(&sgl->lock);
		p2pbuf_sgl_put(sgl);
		if (ret)
			break;
		id++;
		cond_resched();
	}
	*pos = ret ? id : ULONG_MAX;
	return ret;
}

/* --- building a dma-sgl ------------------------------------------------- */

/* Grow an array of @size-byte entries holding @nr to hold one more. */
static int p2pbuf_grow(void **array, unsigned int nr, unsigned int *cap,
		       unsigned int limit, size_t size)
{
	unsigned int ncap;
	void *a;

	if (nr < *cap)
		return 0;
	ncap = min(max(*cap * 2, 4U), limit);
	if (ncap <= nr)
		return -E2BIG;
	a = kvcalloc(ncap, size, GFP_KERNEL);
	if (!a)
		return -ENOMEM;
	if (nr)
		memcpy(a, *array, nr * size);
	kvfree(*array);
	*array = a;
	*cap = ncap;
	return 0;
}

/*
 * The attachment of @buf: found through @seen (buffer id -> index + 1), or
 * added, with a reference on the buffer.
 */
static int p2pbuf_sgl_att(struct p2pbuf_sgl *sgl, struct xarray *seen,
			  unsigned int *cap, struct p2pbuf_buffer *buf,
			  unsigned int *index)
{
	struct p2pbuf_sgl_att *att;
	void *entry;
	int ret;

	entry = xa_load(seen, buf->id);
	if (entry) {
		*index = xa_to_value(entry) - 1;
		return 0;
	}
	ret = p2pbuf_grow((void **)&sgl->atts, sgl->nr_atts, cap,
			  sgl->max_segs, sizeof(*sgl->atts));
	if (ret)
		return ret;
	ret = xa_err(xa_store(seen, buf->id, xa_mk_value(sgl->nr_atts + 1),
			      GFP_KERNEL));
	if (ret)
		return ret;
	/* Its consumer entry is set up in p2pbuf_sgl_build(): @atts moves. */
	att = &sgl->atts[sgl->nr_atts];
	att->sgl = sgl;
	p2pbuf_buffer_get(buf);
	att->buf = buf;
	att->buf_id = buf->id;
	*index = sgl->nr_atts++;
	return 0;
}

/*
 * The import of @dmabuf: found through @seen (inode number -> index + 1),
 * or added, with a reference on the dma-buf.
 */
static int p2pbuf_sgl_imp(struct p2pbuf_sgl *sgl, struct xarray *seen,
			  unsigned int *cap, struct dma_buf *dmabuf,
			  unsigned int *index)
{
	unsigned long ino = file_inode(dmabuf->file)->i_ino;
	struct p2pbuf_sgl_imp *imp;
	void *entry;
	int ret;

	entry = xa_load(seen, ino);
	if (entry) {
		*index = xa_to_value(entry) - 1;
		return 0;
	}
	ret = p2pbuf_grow((void **)&sgl->imps, sgl->nr_imps, cap,
			  sgl->max_segs, sizeof(*sgl->imps));
	if (ret)
		return ret;
	ret = xa_err(xa_store(seen, ino, xa_mk_value(sgl->nr_imps + 1),
			      GFP_KERNEL));
	if (ret)
		return ret;
	imp = &sgl->imps[sgl->nr_imps];
	imp->sgl = sgl;
	get_dma_buf(dmabuf);
	imp->dmabuf = dmabuf;
	imp->ino = file_inode(dmabuf->file)->i_ino;
	*index = sgl->nr_imps++;
	return 0;
}

/*
 * Whether the mmap of @dmabuf's exporter keeps the dma-buf's page offset
 * in vm_pgoff, as the dma-buf core set it (dma_buf_mmap_internal()), for
 * shared mappings: udmabuf (its fault handler indexes its pages by
 * vmf->pgoff) and the dma-heaps system heap (remap_pfn_range() from page
 * vm_pgoff of its table).  Others may rewrite it (DRM's prime mmap
 * replaces the file and the offset by its GEM object's fake offset), so
 * they are refused.  p2pbuf's own exports are p2pbuf VMAs, resolved
 * before this.  Exporters are told apart by the name they export with,
 * the only identity an exporter exposes to other modules.
 */
static bool p2pbuf_dmabuf_keeps_pgoff(const struct dma_buf *dmabuf)
{
	static const char *const names[] = { "udmabuf", "system" };
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(names); i++)
		if (dmabuf->exp_name && !strcmp(dmabuf->exp_name, names[i]))
			return true;
	return false;
}

/**
 * p2pbuf_vma_dmabuf() - the dma-buf a VMA maps, if it is an mmap of one
 * @vma: any VMA of the caller's mm, with the mmap lock held
 * @offset: on success, the offset in the dma-buf of @vma->vm_start
 *
 * A dma-buf's file lives on the dma-buf filesystem, whose superblock's
 * magic is DMA_BUF_MAGIC, and its private data is the dma-buf; the VMA's
 * file reference keeps it while the mmap lock is held.  Take a reference
 * with get_dma_buf() to keep it.
 *
 * Return: the dma-buf; NULL if @vma is not a mapping of a dma-buf's file;
 * ERR_PTR(-EOPNOTSUPP) if it is a private mapping, or one of an exporter
 * whose mapping offsets p2pbuf cannot trust (p2pbuf_dmabuf_keeps_pgoff()).
 */
static struct dma_buf *p2pbuf_vma_dmabuf(struct vm_area_struct *vma,
					 u64 *offset)
{
	struct file *file = vma->vm_file;
	struct dma_buf *dmabuf;

	if (!file || file_inode(file)->i_sb->s_magic != DMA_BUF_MAGIC)
		return NULL;
	dmabuf = file->private_data;
	if (!(vma->vm_flags & VM_SHARED) || !p2pbuf_dmabuf_keeps_pgoff(dmabuf))
		return ERR_PTR(-EOPNOTSUPP);
	*offset = (u64)vma->vm_pgoff << PAGE_SHIFT;
	return dmabuf;
}

/* The collection's state: what was seen, and the arrays' capacities. */
struct p2pbuf_collect {
	struct xarray bufs;
	struct xarray dmabufs;
	unsigned int acap;
	unsigned int icap;
	unsigned int pcap;
};

/*
 * Append [@off, @off + @n) of buffer @buf or dma-buf @dmabuf (the other
 * NULL) to the pieces: it extends the last piece when it continues it in
 * the same buffer or dma-buf (the halves of a split VMA, or adjacent
 * mappings at contiguous offsets).
 */
static int p2pbuf_sgl_add_piece(struct p2pbuf_sgl *sgl,
				struct p2pbuf_collect *c,
				struct p2pbuf_buffer *buf,
				struct dma_buf *dmabuf, u64 off, u64 n)
{
	struct p2pbuf_sgl_piece *p;
	bool imp = dmabuf;
	unsigned int idx;
	int ret;

	p = sgl->nr_pieces ? &sgl->pieces[sgl->nr_pieces - 1] : NULL;
	if (p && p->imp == imp && p->off + p->len == off &&
	    (imp ? sgl->imps[p->att].dmabuf == dmabuf :
		   sgl->atts[p->att].buf == buf)) {
		p->len += n;
		return 0;
	}
	if (imp)
		ret = p2pbuf_sgl_imp(sgl, &c->dmabufs, &c->icap, dmabuf, &idx);
	else
		ret = p2pbuf_sgl_att(sgl, &c->bufs, &c->acap, buf, &idx);
	if (!ret)
		ret = p2pbuf_grow((void **)&sgl->pieces, sgl->nr_pieces,
				  &c->pcap, sgl->max_segs,
				  sizeof(*sgl->pieces));
	if (ret)
		return ret;
	p = &sgl->pieces[sgl->nr_pieces++];
	p->att = idx;
	p->imp = imp;
	p->off = off;
	p->len = n;
	return 0;
}

/*
 * Resolve [@addr, @addr + @len) of the caller's address space to pieces
 * of buffers and of dma-bufs.  Each distinct buffer gets one attachment
 * and each distinct dma-buf one import, found in O(log n).  Only
 * references are taken under the mmap lock.
 */
static int p2pbuf_sgl_collect(struct p2pbuf_sgl *sgl, u64 addr, u64 len,
			      unsigned long need)
{
	struct mm_struct *mm = current->mm;
	struct p2pbuf_collect c = { };
	struct p2pbuf_buffer *buf;
	struct vm_area_struct *vma;
	struct dma_buf *dmabuf;
	u64 end = addr + len, voff, off, n;
	int ret = 0;

	if (!mm)
		return -EFAULT;
	xa_init(&c.bufs);
	xa_init(&c.dmabufs);
	mmap_read_lock(mm);
	while (addr < end) {
		vma = find_vma(mm, addr);
		if (!vma || vma->vm_start > addr) {
			ret = -EFAULT;
			break;
		}
		dmabuf = NULL;
		buf = p2pbuf_vma_buffer(vma, &voff);
		if (!buf) {
			dmabuf = p2pbuf_vma_dmabuf(vma, &voff);
			if (IS_ERR(dmabuf)) {
				ret = PTR_ERR(dmabuf);
				break;
			}
			if (!dmabuf) {
				ret = -ENXIO;
				break;
			}
		}
		if ((vma->vm_flags & need) != need) {
			ret = -EACCES;
			break;
		}
		n = min_t(u64, end, vma->vm_end) - addr;
		off = voff + (addr - vma->vm_start);
		/* The dma-buf core checked the VMA against the size at mmap. */
		if (dmabuf && (off > dmabuf->size || n > dmabuf->size - off)) {
			ret = -EFAULT;
			break;
		}
		ret = p2pbuf_sgl_add_piece(sgl, &c, buf, dmabuf, off, n);
		if (ret)
			break;
		addr += n;
		if (fatal_signal_pending(current)) {
			ret = -EINTR;
			break;
		}
	}
	mmap_read_unlock(mm);
	xa_destroy(&c.bufs);
	xa_destroy(&c.dmabufs);
	return ret;
}

/*
 * The segment size limit: what the target's driver declared (dma_parms),
 * or none when no driver is bound: the PCI core's 64 KiB default then
 * describes no real constraint, and a contiguous range stays one segment.
 */
static u64 p2pbuf_target_max_seg(struct pci_dev *target)
{
	if (READ_ONCE(target->dev.driver))
		return dma_get_max_seg_size(&target->dev);
	return U64_MAX;
}

static void p2pbuf_sgl_add_type(struct p2pbuf_sgl *sgl, u32 map_type)
{
	if (!sgl->map_type)
		sgl->map_type = map_type;
	else if (sgl->map_type != map_type)
		sgl->map_type = P2PBUF_MAP_TYPE_MIXED;
}

/*
 * Attach to every buffer and map it for the target, as decided before.
 * With @sgl->lock held: a revocation that finds the sgl in a consumer list
 * waits until this is done, and then finds something to unmap.
 */
static int p2pbuf_sgl_map_buffers(struct p2pbuf_sgl *sgl)
{
	struct pci_dev *pdev = sgl->target->pdev;
	struct p2pbuf_sgl_att *att;
	unsigned int i;
	int ret;

	lockdep_assert_held(&sgl->lock);
	if (sgl->aborted)
		return -ENODEV;
	for (i = 0; i < sgl->nr_atts; i++) {
		att = &sgl->atts[i];
		ret = p2pbuf_buffer_attach(att->buf, &att->consumer);
		if (ret)
			return ret;
		att->attached = true;
		if (!att->path.map_type)
			return att->path.reason == P2PBUF_UNREACH_USER_DRIVER ?
			       -EBUSY : -EXDEV;
		ret = p2pbuf_dmamap_get(att->buf, &pdev->dev, sgl->dir,
					&att->path, &att->map);
		if (ret)
			return ret;
		p2pbuf_sgl_add_type(sgl, att->path.map_type);
	}
	return 0;
}

/* Map one import for the target, under its reservation lock. */
static int p2pbuf_sgl_map_imp(struct p2pbuf_sgl_imp *imp)
{
	struct p2pbuf_sgl *sgl = imp->sgl;
	struct sg_table *sgt;
	int ret;

	ret = dma_resv_lock_interruptible(imp->dmabuf->resv, NULL);
	if (ret)
		return ret;
	mutex_lock(&sgl->lock);
	if (sgl->aborted) {
		ret = -ENODEV;
	} else {
		sgt = dma_buf_map_attachment(imp->attach, sgl->dir);
		if (IS_ERR(sgt))
			ret = PTR_ERR(sgt);
		else
			imp->sgt = sgt;
	}
	mutex_unlock(&sgl->lock);
	dma_resv_unlock(imp->dmabuf->resv);
	return ret;
}

/*
 * Add the DMA segments of [@p->off, @p->off + @p->len) of an import, from
 * the DMA side of the exporter's sg_table.
 */
static int p2pbuf_sgl_imp_segs(struct p2pbuf_sgl *sgl,
			       const struct p2pbuf_sgl_piece *p)
{
	struct sg_table *sgt = sgl->imps[p->att].sgt;
	u64 skip = p->off, left = p->len, dma, len;
	struct scatterlist *sg;
	unsigned int i;
	int ret;

	for_each_sgtable_dma_sg(sgt, sg, i) {
		dma = sg_dma_address(sg);
		len = sg_dma_len(sg);
		if (skip >= len) {
			skip -= len;
			continue;
		}
		dma += skip;
		len = min(len - skip, left);
		skip = 0;
		ret = p2pbuf_segs_add(&sgl->segs, dma, len);
		if (ret)
			return ret;
		left -= len;
		if (!left)
			return 0;
	}
	/* The exporter mapped less than its dma-buf's size. */
	return -EIO;
}

/*
 * Build the dma-sgl: attach to the target, decide how it reaches each
 * buffer and attach to each dma-buf (no lock held: these ask the IOMMU
 * group, or the exporter), then under @sgl->lock attach to and map the
 * buffers, map each import under its reservation lock, and assemble the
 * segments in address order under @sgl->lock.  A revocation in between
 * aborts the build (-ENODEV).  On success the sgl is mapped and
 * registered; on failure the caller unmaps.
 */
static int p2pbuf_sgl_build(struct p2pbuf_sgl *sgl, bool host_bridge_p2p)
{
	struct pci_dev *pdev = sgl->target->pdev;
	struct dma_buf_attachment *attach;
	struct p2pbuf_sgl_piece *p;
	struct p2pbuf_sgl_att *att;
	struct p2pbuf_sgl_imp *imp;
	unsigned int i;
	int ret;

	ret = p2pbuf_target_attach(sgl->target, &sgl->tcons);
	if (ret)
		return ret;
	mutex_lock(&sgl->lock);
	sgl->tattached = true;
	mutex_unlock(&sgl->lock);
	for (i = 0; i < sgl->nr_atts; i++) {
		att = &sgl->atts[i];
		INIT_LIST_HEAD(&att->consumer.node);
		att->consumer.ops = &p2pbuf_sgl_buffer_ops;
		p2pbuf_reach(att->buf->prov, pdev, host_bridge_p2p,
			     &att->path);
	}
	for (i = 0; i < sgl->nr_imps; i++) {
		imp = &sgl->imps[i];
		attach = dma_buf_dynamic_attach(imp->dmabuf, &pdev->dev,
						&p2pbuf_sgl_import_ops, imp);
		if (IS_ERR(attach))
			return PTR_ERR(attach);
		imp->attach = attach;
	}

	mutex_lock(&sgl->lock);
	ret = p2pbuf_sgl_map_buffers(sgl);
	mutex_unlock(&sgl->lock);
	if (ret)
		return ret;
	for (i = 0; i < sgl->nr_imps; i++) {
		ret = p2pbuf_sgl_map_imp(&sgl->imps[i]);
		if (ret)
			return ret;
		p2pbuf_sgl_add_type(sgl, p2pbuf_dev_translated(&pdev->dev) ?
					 P2PBUF_MAP_TYPE_IOMMU :
					 P2PBUF_MAP_TYPE_DIRECT);
	}

	mutex_lock(&sgl->lock);
	ret = sgl->aborted ? -ENODEV : 0;
	sgl->segs.max_seg = p2pbuf_target_max_seg(pdev);
	for (i = 0; !ret && i < sgl->nr_pieces; i++) {
		p = &sgl->pieces[i];
		if (p->imp)
			ret = p2pbuf_sgl_imp_segs(sgl, p);
		else
			ret = p2pbuf_dmamap_ranges(sgl->atts[p->att].map,
						   p->off, p->len,
						   p2pbuf_segs_add,
						   &sgl->segs);
		cond_resched();
	}
	if (!ret)
		ret = xa_alloc(&p2pbuf_sgls, &sgl->id, sgl, xa_limit_31b,
			       GFP_KERNEL);
	if (!ret) {
		/* Counted from here on; p2pbuf_sgl_unmap() uncounts. */
		sgl->state = P2PBUF_SGL_STATE_MAPPED;
		sgl->counted = true;
		for (i = 0; i < sgl->nr_atts; i++) {
			atomic_inc(&sgl->atts[i].buf->nr_sgls);
			atomic_inc(&sgl->atts[i].buf->prov->nr_sgls);
		}
	}
	mutex_unlock(&sgl->lock);
	return ret;
}

static const char *const p2pbuf_map_type_names[] = {
	[P2PBUF_MAP_TYPE_BUS_ADDR] = "bus-addr",
	[P2PBUF_MAP_TYPE_IOMMU] = "iommu",
	[P2PBUF_MAP_TYPE_DIRECT] = "direct",
	[P2PBUF_MAP_TYPE_MIXED] = "mixed",
};

static const char *const p2pbuf_dir_names[] = {
	[P2PBUF_DMA_TO_DEVICE] = "to-device",
	[P2PBUF_DMA_FROM_DEVICE] = "from-device",
	[P2PBUF_DMA_BIDIRECTIONAL] = "bidirectional",
};

/* --- the dma-sgl file --------------------------------------------------- */

static int p2pbuf_sgl_release(struct inode *inode, struct file *file)
{
	struct p2pbuf_sgl *sgl = file->private_data;
	struct file *pf_file = sgl->pf_file;
	struct p2pbuf_file *pf = pf_file->private_data;

	mutex_lock(&sgl->lock);
	if (sgl->announced)
		p2pbuf_event(P2PBUF_NL_CMD_SGL_DEL_NTF, sgl);
	sgl->dead = true;
	mutex_unlock(&sgl->lock);
	p2pbuf_sgl_put(sgl);
	atomic_dec(&pf->nr_sgls);
	fput(pf_file);
	return 0;
}

/**
 * p2pbuf_ioctl_segments() - handle %P2PBUF_IOC_SEGMENTS on a dma-sgl fd
 * @call: the call; its context is the struct p2pbuf_sgl
 * @arg: kernel copy of struct p2pbuf_segments
 *
 * Return: 0; -EINVAL for unknown flags or non-zero reserved fields; -EPERM
 * when addresses are asked for without CAP_SYS_RAWIO; -EMSGSIZE (the reply
 * is still copied back, with @nr_segments) when @capacity is too small;
 * -EFAULT.
 */
static int p2pbuf_ioctl_segments(struct p2pbuf_ioctl_call *call, void *arg)
{
	struct p2pbuf_segment __user *useg;
	struct p2pbuf_segments *s = arg;
	struct p2pbuf_sgl *sgl = call->ctx;
	struct p2pbuf_segment *copy = NULL;
	u32 flags, capacity, nr;
	unsigned int i;
	bool addrs;
	int ret = 0;

	if (s->flags & ~P2PBUF_SEGMENTS_F_LENGTHS_ONLY ||
	    memchr_inv(s->reserved, 0, sizeof(s->reserved)))
		return -EINVAL;
	flags = s->flags;
	capacity = s->capacity;
	useg = u64_to_user_ptr(s->segments);
	addrs = !(flags & P2PBUF_SEGMENTS_F_LENGTHS_ONLY);
	if (useg && addrs && !capable(CAP_SYS_RAWIO))
		return -EPERM;

	memset(s, 0, sizeof(*s));
	/* A snapshot under the lock; user memory is written without it. */
	mutex_lock(&sgl->lock);
	nr = sgl->segs.nr;
	s->nr_segments = nr;
	s->length = sgl->length;
	s->map_type = sgl->map_type;
	s->state = sgl->state;
	s->direction = sgl->udir;
	s->generation = sgl->generation;
	if (useg && nr && capacity >= nr) {
		copy = kvmalloc_array(nr, sizeof(*copy), GFP_KERNEL);
		if (copy) {
			for (i = 0; i < nr; i++) {
				copy[i].dma_addr =
					addrs ? sgl->segs.segs[i].dma_addr : 0;
				copy[i].length = sgl->segs.segs[i].length;
			}
		}
	}
	mutex_unlock(&sgl->lock);
	p2pbuf_target_fill(&s->target, sgl->target->pdev);
	if (!useg)
		return 0;
	if (capacity < nr)
		return -EMSGSIZE;
	if (nr && !copy)
		return -ENOMEM;
	if (nr && copy_to_user(useg, copy, array_size(nr, sizeof(*copy))))
		ret = -EFAULT;
	kvfree(copy);
	return ret;
}

/**
 * p2pbuf_ioctl_sync() - handle %P2PBUF_IOC_SYNC on a dma-sgl fd
 * @call: the call; its context is the struct p2pbuf_sgl
 * @arg: kernel copy of struct p2pbuf_sync
 *
 * Syncs the host memory of every buffer the dma-sgl covers, as mapped for
 * its target (the whole buffer: the mapping is shared).
 *
 * Return: 0; -EINVAL unless exactly one direction flag is set, or for a
 * non-zero reserved field; -ENODEV if the dma-sgl was revoked.
 */
static int p2pbuf_ioctl_sync(struct p2pbuf_ioctl_call *call, void *arg)
{
	struct p2pbuf_sync *s = arg;
	struct p2pbuf_sgl *sgl = call->ctx;
	unsigned int i;

	if ((s->flags != P2PBUF_SYNC_F_FOR_CPU &&
	     s->flags != P2PBUF_SYNC_F_FOR_DEVICE) || s->reserved)
		return -EINVAL;
	mutex_lock(&sgl->lock);
	if (sgl->state != P2PBUF_SGL_STATE_MAPPED) {
		mutex_unlock(&sgl->lock);
		return -ENODEV;
	}
	for (i = 0; i < sgl->nr_atts; i++)
		p2pbuf_dmamap_sync(sgl->atts[i].map,
				   s->flags == P2PBUF_SYNC_F_FOR_CPU);
	mutex_unlock(&sgl->lock);
	return 0;
}

static const struct p2pbuf_ioctl_op p2pbuf_sgl_ioctl_ops[] = {
	[P2PBUF_CMD_SEGMENTS] = {
		.size = sizeof(struct p2pbuf_segments),
		.min_size = P2PBUF_SEGMENTS_SIZE_VER0,
		.copy_out = true,
		.copy_out_err = -EMSGSIZE,
		.handler = p2pbuf_ioctl_segments,
	},
	[P2PBUF_CMD_SYNC] = {
		.size = sizeof(struct p2pbuf_sync),
		.min_size = P2PBUF_SYNC_SIZE_VER0,
		.handler = p2pbuf_ioctl_sync,
	},
};

static long p2pbuf_sgl_ioctl(struct file *file, unsigned int cmd,
			     unsigned long uarg)
{
	return p2pbuf_ioctl_dispatch(p2pbuf_sgl_ioctl_ops,
				     ARRAY_SIZE(p2pbuf_sgl_ioctl_ops),
				     file->private_data, cmd, uarg);
}

static __poll_t p2pbuf_sgl_poll(struct file *file, poll_table *wait)
{
	struct p2pbuf_sgl *sgl = file->private_data;

	poll_wait(file, &sgl->wq, wait);
	if (READ_ONCE(sgl->state) == P2PBUF_SGL_STATE_REVOKED)
		return EPOLLERR | EPOLLPRI;
	return 0;
}

static void p2pbuf_sgl_show_fdinfo(struct seq_file *m, struct file *file)
{
	struct p2pbuf_sgl *sgl = file->private_data;
	unsigned int i;

	mutex_lock(&sgl->lock);
	seq_printf(m, "p2pbuf-sgl:\t%u\n", sgl->id);
	seq_printf(m, "target:\t%s\n", pci_name(sgl->target->pdev));
	seq_printf(m, "direction:\t%s\n", p2pbuf_dir_names[sgl->udir]);
	seq_printf(m, "map-type:\t%s\n", p2pbuf_map_type_names[sgl->map_type]);
	seq_printf(m, "length:\t%llu\n", sgl->length);
	seq_printf(m, "segments:\t%u\n", sgl->segs.nr);
	seq_printf(m, "buffers:\t%u\n", sgl->nr_atts);
	seq_printf(m, "state:\t%s\n",
		   sgl->state == P2PBUF_SGL_STATE_MAPPED ? "mapped" : "revoked");
	seq_printf(m, "generation:\t%u\n", sgl->generation);
	for (i = 0; i < sgl->nr_imps; i++)
		seq_printf(m, "dmabuf-inode:\t%llu\n", sgl->imps[i].ino);
	mutex_unlock(&sgl->lock);
}

static const struct file_operations p2pbuf_sgl_fops = {
	.owner = THIS_MODULE,
	.release = p2pbuf_sgl_release,
	.unlocked_ioctl = p2pbuf_sgl_ioctl,
	.compat_ioctl = p2pbuf_compat_ptr_ioctl,
	.poll = p2pbuf_sgl_poll,
	.show_fdinfo = p2pbuf_sgl_show_fdinfo,
};

/*
 * The DMA direction of enum p2pbuf_dma_dir @udir, and in *@need (if not
 * NULL) the VMA protection a range must have for it.  -EINVAL if unknown.
 */
static int p2pbuf_dma_dir(u32 udir, enum dma_data_direction *dir,
			  unsigned long *need)
{
	unsigned long prot;

	switch (udir) {
	case P2PBUF_DMA_TO_DEVICE:
		prot = VM_READ;
		*dir = DMA_TO_DEVICE;
		break;
	case P2PBUF_DMA_FROM_DEVICE:
		prot = VM_WRITE;
		*dir = DMA_FROM_DEVICE;
		break;
	case P2PBUF_DMA_BIDIRECTIONAL:
		prot = VM_READ | VM_WRITE;
		*dir = DMA_BIDIRECTIONAL;
		break;
	default:
		return -EINVAL;
	}
	if (need)
		*need = prot;
	return 0;
}

static int p2pbuf_map_check(const struct p2pbuf_map *m, unsigned long *need,
			    enum dma_data_direction *dir)
{
	if (m->flags & ~P2PBUF_MAP_F_NO_CLOEXEC ||
	    memchr_inv(m->reserved, 0, sizeof(m->reserved)))
		return -EINVAL;
	if (p2pbuf_dma_dir(m->direction, dir, need))
		return -EINVAL;
	if (!m->length || !PAGE_ALIGNED(m->addr) || !PAGE_ALIGNED(m->length) ||
	    m->addr + m->length < m->addr)
		return -EINVAL;
	return 0;
}

/*
 * A new dma-sgl, not built, of the lock class of dma-sgls without imports
 * (one that gets some is given the other class before its lock is used).
 */
static struct p2pbuf_sgl *p2pbuf_sgl_alloc(u32 udir,
					   enum dma_data_direction dir,
					   u64 length)
{
	struct p2pbuf_sgl *sgl = kzalloc(sizeof(*sgl), GFP_KERNEL);

	if (!sgl)
		return NULL;
	kref_init(&sgl->ref);
	mutex_init(&sgl->lock);
	lockdep_set_class(&sgl->lock, &p2pbuf_sgl_map_key);
	init_waitqueue_head(&sgl->wq);
	INIT_WORK(&sgl->unmap_work, p2pbuf_sgl_unmap_work);
	INIT_LIST_HEAD(&sgl->tcons.node);
	sgl->tcons.ops = &p2pbuf_sgl_target_ops;
	sgl->owner = get_task_pid(current, PIDTYPE_TGID);
	sgl->uid = current_euid();
	get_task_comm(sgl->comm, current);
	sgl->dir = dir;
	sgl->udir = udir;
	sgl->length = length;
	sgl->generation = 1;
	sgl->max_segs = p2pbuf_max_sgl_segments();
	sgl->segs.limit = sgl->max_segs;
	return sgl;
}

/*
 * The dispatcher copied MAP's reply to userspace: make the dma-sgl known
 * (SGL_NEW) unless a revocation came first, in which case MAP fails and
 * nothing was announced.
 */
static int p2pbuf_sgl_commit(struct file *file)
{
	struct p2pbuf_sgl *sgl = file->private_data;
	int ret = 0;

	mutex_lock(&sgl->lock);
	if (sgl->state != P2PBUF_SGL_STATE_MAPPED) {
		ret = -ENODEV;
	} else {
		sgl->announced = true;
		p2pbuf_event(P2PBUF_NL_CMD_SGL_NEW_NTF, sgl);
	}
	mutex_unlock(&sgl->lock);
	return ret;
}

/*
 * Give @sgl its file and a reserved fd (close-on-exec if @cloexec), both
 * left for the dispatcher to install or put; the file's release undoes
 * everything from here on.  Return: the fd, or a negative errno.
 */
static int p2pbuf_sgl_file(struct p2pbuf_sgl *sgl, struct p2pbuf_file *pf,
			   bool cloexec, struct file **filep)
{
	struct file *file;
	int fd;

	fd = get_unused_fd_flags(cloexec ? O_CLOEXEC : 0);
	if (fd < 0)
		return fd;
	file = anon_inode_getfile("[p2pbuf-sgl]", &p2pbuf_sgl_fops, sgl,
				  O_RDWR);
	if (IS_ERR(file)) {
		put_unused_fd(fd);
		return PTR_ERR(file);
	}
	get_file(pf->file);
	sgl->pf_file = pf->file;
	*filep = file;
	return fd;
}

/*
 * Build @sgl (collected, with its target) and hand its file and fd to the
 * dispatcher in @call, or undo everything (the sgl and its count in @pf
 * are then put).  Return: the fd, or a negative errno.
 */
static int p2pbuf_sgl_make(struct p2pbuf_ioctl_call *call,
			   struct p2pbuf_sgl *sgl, struct p2pbuf_file *pf,
			   bool cloexec, bool host_bridge_p2p)
{
	struct file *file;
	int ret, fd;

	fd = p2pbuf_sgl_file(sgl, pf, cloexec, &file);
	if (fd < 0) {
		atomic_dec(&pf->nr_sgls);
		p2pbuf_sgl_put(sgl);
		return fd;
	}
	ret = p2pbuf_sgl_build(sgl, host_bridge_p2p);
	if (ret) {
		/* Nothing was announced; a revocation waiting finds no map. */
		mutex_lock(&sgl->lock);
		p2pbuf_sgl_unmap(sgl);
		sgl->state = 0;
		mutex_unlock(&sgl->lock);
		p2pbuf_sgl_unmap_imports(sgl);
		put_unused_fd(fd);
		fput(file);
		return ret;
	}
	call->install_file = file;
	call->install_fd = fd;
	call->commit = p2pbuf_sgl_commit;
	return fd;
}

/**
 * p2pbuf_ioctl_map() - handle %P2PBUF_IOC_MAP: make a dma-sgl
 * @call: the call; its context is the caller's struct p2pbuf_file.  The
 *	new file and its reserved fd are handed back in @call for the
 *	dispatcher to install after the reply reached userspace.
 * @arg: kernel copy of struct p2pbuf_map
 *
 * The range may cover p2pbuf mappings and shared mappings of dma-bufs
 * (p2pbuf_vma_dmabuf()), imported as MAP_DMABUF does.  The
 * max_sgls_per_fd, max_sgl_segments and host_bridge_p2p parameters are
 * read once, here.
 *
 * Return: 0; -EINVAL for unknown flags, non-zero reserved fields, an
 * unknown direction, a zero, unaligned or wrapping range; -ENODEV if the
 * target does not exist; -ENOSPC if the file already made max_sgls_per_fd
 * dma-sgls; -EFAULT if part of the range is not mapped; -ENXIO if part of
 * it is neither a p2pbuf mapping nor a mapping of a dma-buf;
 * -EOPNOTSUPP if part of it is a private mapping of a dma-buf, or a
 * mapping of a dma-buf whose exporter p2pbuf cannot resolve; -EACCES if a
 * mapping lacks the protection the direction needs; -EBUSY if the
 * target's DMA is managed by a user driver (VFIO), or a buffer has too
 * many writable DMA mappings; -EXDEV if the target cannot reach a
 * provider's memory (%P2PBUF_IOC_REACH says why); -E2BIG for more than
 * max_sgl_segments segments; -EIO if the DMA layer refused, or an
 * exporter mapped less than its dma-buf; what an exporter's attach or map
 * returned; -ENODEV if a buffer, an import or the target was revoked or
 * removed meanwhile; -ENOMEM; -EMFILE; -EINTR if killed.
 */
int p2pbuf_ioctl_map(struct p2pbuf_ioctl_call *call, void *arg)
{
	struct p2pbuf_file *pf = call->ctx;
	struct p2pbuf_map *m = arg;
	enum dma_data_direction dir;
	struct p2pbuf_sgl *sgl;
	unsigned long need;
	bool host_bridge_p2p;
	int ret, fd;

	ret = p2pbuf_map_check(m, &need, &dir);
	if (ret)
		return ret;
	sgl = p2pbuf_sgl_alloc(m->direction, dir, m->length);
	if (!sgl)
		return -ENOMEM;
	host_bridge_p2p = p2pbuf_host_bridge_p2p();
	ret = p2pbuf_target_get(&m->target, &sgl->target);
	if (ret)
		goto err_put;
	if (atomic_inc_return(&pf->nr_sgls) > p2pbuf_max_sgls_per_fd()) {
		ret = -ENOSPC;
		goto err_count;
	}
	ret = p2pbuf_sgl_collect(sgl, m->addr, m->length, need);
	if (ret)
		goto err_count;
	if (sgl->nr_imps)
		lockdep_set_class(&sgl->lock, &p2pbuf_sgl_import_key);

	fd = p2pbuf_sgl_make(call, sgl, pf,
			     !(m->flags & P2PBUF_MAP_F_NO_CLOEXEC),
			     host_bridge_p2p);
	if (fd < 0)
		return fd;
	m->sgl_fd = fd;
	m->nr_segments = sgl->segs.nr;
	m->map_type = sgl->map_type;
	return 0;

err_count:
	atomic_dec(&pf->nr_sgls);
err_put:
	p2pbuf_sgl_put(sgl);
	return ret;
}

/* --- importing a dma-buf ------------------------------------------------- */

static int p2pbuf_map_dmabuf_check(const struct p2pbuf_map_dmabuf *m,
				   enum dma_data_direction *dir)
{
	u64 end;

	if (m->flags & ~P2PBUF_MAP_DMABUF_F_NO_CLOEXEC || m->reserved0 ||
	    memchr_inv(m->reserved, 0, sizeof(m->reserved)))
		return -EINVAL;
	if (p2pbuf_dma_dir(m->direction, dir, NULL))
		return -EINVAL;
	if (!m->length || !PAGE_ALIGNED(m->offset) ||
	    !PAGE_ALIGNED(m->length) ||
	    check_add_overflow(m->offset, m->length, &end))
		return -EINVAL;
	return 0;
}

/**
 * p2pbuf_ioctl_map_dmabuf() - handle %P2PBUF_IOC_MAP_DMABUF: import a
 *	dma-buf as a dma-sgl
 * @call: the call; its context is the caller's struct p2pbuf_file.  The
 *	new file and its reserved fd are handed back in @call, as for MAP.
 * @arg: kernel copy of struct p2pbuf_map_dmabuf
 *
 * Return: 0; -EINVAL for unknown flags, non-zero reserved fields, an
 * unknown direction, a zero, unaligned or wrapping range, or an fd that is
 * not a dma-buf; -EBADF for an fd that is not open; -ERANGE if the range
 * does not lie inside the dma-buf; -ENODEV if the target does not exist,
 * or the import was revoked (target or exporter) before it was mapped;
 * -ENOSPC if the file already made max_sgls_per_fd dma-sgls; -EBUSY if the
 * target's DMA is managed by a user driver; -E2BIG for more than
 * max_sgl_segments segments; -EIO if the exporter mapped less than the
 * range; what the exporter's attach or map returned (p2pbuf's own: -EXDEV
 * or -EBUSY for an unreachable target, -EOPNOTSUPP for device memory where
 * the dma-buf core pins before mapping); -ENOMEM; -EMFILE; -EINTR.
 */
int p2pbuf_ioctl_map_dmabuf(struct p2pbuf_ioctl_call *call, void *arg)
{
	struct p2pbuf_file *pf = call->ctx;
	struct p2pbuf_map_dmabuf *m = arg;
	struct p2pbuf_collect c = { };
	enum dma_data_direction dir;
	struct dma_buf *dmabuf;
	struct p2pbuf_sgl *sgl;
	int ret, fd;

	ret = p2pbuf_map_dmabuf_check(m, &dir);
	if (ret)
		return ret;
	dmabuf = dma_buf_get(m->dmabuf_fd);
	if (IS_ERR(dmabuf))
		return PTR_ERR(dmabuf);
	if (m->offset >= dmabuf->size ||
	    m->length > dmabuf->size - m->offset) {
		dma_buf_put(dmabuf);
		return -ERANGE;
	}
	sgl = p2pbuf_sgl_alloc(m->direction, dir, m->length);
	if (!sgl) {
		dma_buf_put(dmabuf);
		return -ENOMEM;
	}
	lockdep_set_class(&sgl->lock, &p2pbuf_sgl_import_key);
	/* One import (its own reference), one piece. */
	xa_init(&c.bufs);
	xa_init(&c.dmabufs);
	ret = p2pbuf_sgl_add_piece(sgl, &c, NULL, dmabuf, m->offset,
				   m->length);
	xa_destroy(&c.dmabufs);
	dma_buf_put(dmabuf);
	if (ret)
		goto err_put;
	ret = p2pbuf_target_get(&m->target, &sgl->target);
	if (ret)
		goto err_put;
	if (atomic_inc_return(&pf->nr_sgls) > p2pbuf_max_sgls_per_fd()) {
		ret = -ENOSPC;
		goto err_count;
	}
	fd = p2pbuf_sgl_make(call, sgl, pf,
			     !(m->flags & P2PBUF_MAP_DMABUF_F_NO_CLOEXEC),
			     false);
	if (fd < 0)
		return fd;
	m->sgl_fd = fd;
	m->nr_segments = sgl->segs.nr;
	m->map_type = sgl->map_type;
	m->reserved0 = 0;
	return 0;

err_count:
	atomic_dec(&pf->nr_sgls);
err_put:
	p2pbuf_sgl_put(sgl);
	return ret;
}

/**
 * p2pbuf_ioctl_reach() - handle %P2PBUF_IOC_REACH
 * @call: the call; its context is the caller's struct p2pbuf_file
 * @arg: kernel copy of struct p2pbuf_reach
 *
 * Return: 0 (also for an unreachable target: @map_type 0 and the reason);
 * -EINVAL for unknown flags, non-zero reserved fields, BAR fields without
 * %P2PBUF_REACH_F_PCI_BAR, a provider id with it, or a BAR that is not an
 * assigned memory BAR; -ENOENT if no provider has the id; -ENODEV if the
 * target or the BAR's function does not exist.
 */
int p2pbuf_ioctl_reach(struct p2pbuf_ioctl_call *call, void *arg)
{
	static const struct p2pbuf_pci_target none;
	struct p2pbuf_reach *r = arg;
	struct p2pbuf_provider *prov, described;
	struct p2pbuf_target *target;
	struct p2pbuf_path path;
	bool by_bar = r->flags & P2PBUF_REACH_F_PCI_BAR;
	int ret;

	if (r->flags & ~P2PBUF_REACH_F_PCI_BAR || r->reserved0)
		return -EINVAL;
	if (by_bar ? r->provider_id :
		     r->bar || memcmp(&r->bar_device, &none, sizeof(none)))
		return -EINVAL;
	ret = p2pbuf_target_get(&r->target, &target);
	if (ret)
		return ret;
	if (by_bar) {
		ret = p2pbuf_pcibar_describe(&r->bar_device, r->bar,
					     &described);
		prov = ret ? NULL : &described;
	} else {
		prov = p2pbuf_provider_get(r->provider_id);
		ret = prov ? 0 : -ENOENT;
	}
	if (ret) {
		p2pbuf_target_put(target);
		return ret;
	}
	p2pbuf_reach(prov, target->pdev, p2pbuf_host_bridge_p2p(), &path);
	memset(r, 0, sizeof(*r));
	r->flags = by_bar ? P2PBUF_REACH_F_PCI_BAR : 0;
	r->provider_id = prov->id;
	r->reason = path.reason;
	r->map_type = path.map_type;
	r->distance = path.distance;
	p2pbuf_target_fill(&r->target, target->pdev);
	if (by_bar) {
		p2pbuf_target_fill(&r->bar_device, prov->pdev);
		r->bar = prov->bar;
		p2pbuf_pcibar_undescribe(prov);
	} else {
		p2pbuf_provider_put(prov);
	}
	p2pbuf_target_put(target);
	return 0;
}

/**
 * p2pbuf_sgls_init() - module load
 *
 * Return: 0 or -ENOMEM.
 */
int p2pbuf_sgls_init(void)
{
	p2pbuf_sgl_wq = alloc_workqueue("p2pbuf_sgl", WQ_UNBOUND, 0);
	return p2pbuf_sgl_wq ? 0 : -ENOMEM;
}

/**
 * p2pbuf_sgls_exit() - module unload: no dma-sgl file is open any more;
 *	the dma-sgls revoked by an exporter may still wait for their work
 */
void p2pbuf_sgls_exit(void)
{
	/* Runs what is queued: the work items' references go. */
	destroy_workqueue(p2pbuf_sgl_wq);
	WARN_ON(!xa_empty(&p2pbuf_sgls));
	xa_destroy(&p2pbuf_sgls);
}
