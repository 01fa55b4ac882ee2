// SPDX-License-Identifier: GPL-2.0-only
/*
 * p2pbuf_buffer.c - buffers: P2PBUF_IOC_ALLOC/FREE and the special VMA.
 *
 * A buffer (struct p2pbuf_buffer in p2pbuf.h documents its reference
 * counting and locking) is memory of one provider, named by a handle in
 * the table of the file that allocated it and mapped with mmap() on that
 * file.  The mapping is a "special" VMA: VM_PFNMAP | VM_IO, so
 * get_user_pages() refuses it and its memory never reaches a CPU
 * scatterlist; VM_DONTEXPAND (mremap() cannot grow it), VM_DONTCOPY (a
 * child of fork() does not inherit it; VM_IO also makes madvise(MADV_DOFORK)
 * fail), VM_DONTDUMP (no core dump of device memory).  Each mmap() has a
 * struct p2pbuf_mapping, shared by the VMAs it is later split into (and by
 * the copy an mremap() move makes) through vm_ops->open/close; it holds
 * the buffer, so the memory returns to the provider only when the buffer
 * was freed and its last mapping is gone, and it records the prefault and
 * huge parameters as they were at mmap() time: parameter changes apply to
 * mappings created afterwards.
 *
 * mmap() itself maps nothing: the VMA is not yet in the file's mapping
 * tree while ->mmap runs, so a revocation racing with it could not zap
 * what it mapped.  Page-table entries are written only by the fault
 * handlers, through the kernel's API (vmf_insert_pfn() for 4 KiB entries,
 * vmf_insert_pfn_pmd() for huge ones), under the buffer's revoke_lock, so
 * revocation (which sets the revoked flag under it, then zaps) never
 * leaves an entry behind; a revoked buffer answers SIGBUS.  With the
 * prefault parameter on, the first fault of a mapping inserts all of it
 * (p2pbuf_vma_populate()); where the kernel supports huge pfn mappings
 * and the huge parameter is on, every 2 MiB block whose user and physical
 * addresses are both 2 MiB aligned is left to the huge fault handler,
 * which maps it with one special PMD.  See p2pbuf(4) and the README's
 * performance section.
 *
 * Buffers of a p2pdma provider are the exception: their memory has struct
 * pages, and their mappings carry the pages (VM_MIXEDMAP, vm_insert_page()
 * from the same fault handlers, never huge), so that O_DIRECT I/O can pin
 * them (FOLL_PCI_P2PDMA), as the kernel's own p2pmem/allocate mappings.  A
 * pin keeps its page out of the pool after revocation zapped the mappings
 * (p2pbuf_provider.c).
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/cred.h>
#include <linux/fs.h>
#include <linux/idr.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/sched/signal.h>
#include <linux/sched/user.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <net/netlink.h>

#include "p2pbuf.h"

static unsigned int max_buffers_per_fd = 1024;
module_param(max_buffers_per_fd, uint, 0444);
MODULE_PARM_DESC(max_buffers_per_fd,
		 "Buffers one open file may hold (reported by P2PBUF_IOC_INFO)");

static bool prefault = true;
module_param(prefault, bool, 0644);
MODULE_PARM_DESC(prefault,
		 "Map all of a mapping on its first touch (Y, default) or page by page (N); applies to later mmap()s");

static bool huge = true;
module_param(huge, bool, 0644);
MODULE_PARM_DESC(huge,
		 "Map 2 MiB-aligned blocks with one huge PMD on first touch, where the kernel supports huge pfn mappings (Y, default); applies to later mmap()s");

/* Order of a PMD mapping (2 MiB with 4 KiB pages on x86-64). */
#define P2PBUF_PMD_ORDER	(PMD_SHIFT - PAGE_SHIFT)

/* Pages inserted between two chances to reschedule. */
#define P2PBUF_POPULATE_BATCH	512

/* Global buffer ids: handles and mmap offsets.  Has its own locking. */
static DEFINE_IDA(p2pbuf_buffer_ida);

/*
 * The registry of buffers: id -> buffer, for the admin revoke command and
 * the netlink listings.  Entries hold no reference: a buffer leaves the
 * registry at the start of its release, under this lock, and lookups take
 * a reference with kref_get_unless_zero() under it.  ALLOC reserves its
 * entry before publishing the buffer (reserved entries read as NULL).
 */
static DEFINE_MUTEX(p2pbuf_buffers_lock);
static DEFINE_XARRAY(p2pbuf_buffers);

/**
 * p2pbuf_max_buffers_per_fd() - the max_buffers_per_fd parameter
 *
 * Read-only once the module is loaded.
 *
 * Return: the limit, for P2PBUF_IOC_INFO.
 */
unsigned int p2pbuf_max_buffers_per_fd(void)
{
	return max_buffers_per_fd;
}

/*
 * Charge @pages of host RAM to the calling user's RLIMIT_MEMLOCK, in the
 * per-user counter that io_uring, RDMA, BPF and perf charge pinned memory
 * to (user_struct.locked_vm), so the buffer stays charged after its
 * allocating process is gone.  CAP_IPC_LOCK lifts the limit, as for
 * mlock().  Device memory is not charged: the administrator who registered
 * the provider bounded it.
 */
static int p2pbuf_buffer_charge(struct p2pbuf_buffer *buf)
{
	struct user_struct *user = current_user();
	unsigned long pages = buf->size >> PAGE_SHIFT;
	unsigned long limit, cur, new;

	if (buf->prov->devmem || capable(CAP_IPC_LOCK))
		return 0;
	limit = rlimit(RLIMIT_MEMLOCK) >> PAGE_SHIFT;
	cur = atomic_long_read(&user->locked_vm);
	do {
		new = cur + pages;
		if (new < cur || new > limit)
			return -EDQUOT;
	} while (!atomic_long_try_cmpxchg(&user->locked_vm, &cur, new));
	buf->user = get_uid(user);
	buf->charged = pages;
	return 0;
}

static void p2pbuf_buffer_uncharge(struct p2pbuf_buffer *buf)
{
	if (!buf->user)
		return;
	atomic_long_sub(buf->charged, &buf->user->locked_vm);
	free_uid(buf->user);
	buf->user = NULL;
}

/*
 * Give the memory back to the provider and uncharge the user, once: at
 * revocation or at release, whichever comes first.  The caller excludes
 * the other (revoke_lock for writing, or the last reference).
 */
static void p2pbuf_buffer_give_back(struct p2pbuf_buffer *buf)
{
	if (buf->returned)
		return;
	buf->returned = true;
	if (buf->ext.nr)
		p2pbuf_provider_free(buf->prov, &buf->ext);
	p2pbuf_buffer_uncharge(buf);
}

/*
 * The last reference is gone (or ALLOC failed): undo whatever was done,
 * in reverse.  A published buffer whose memory was not returned by a
 * revocation announces its end here.
 */
static void p2pbuf_buffer_release(struct kref *ref)
{
	struct p2pbuf_buffer *buf = container_of(ref, struct p2pbuf_buffer,
						 ref);
	struct p2pbuf_provider *prov = buf->prov;
	bool announce = buf->published && !buf->returned;

	if (buf->id) {
		mutex_lock(&p2pbuf_buffers_lock);
		xa_erase(&p2pbuf_buffers, buf->id);
		mutex_unlock(&p2pbuf_buffers_lock);
	}
	if (buf->published) {
		spin_lock(&prov->lock);
		list_del(&buf->prov_node);
		spin_unlock(&prov->lock);
	}
	p2pbuf_buffer_give_back(buf);
	if (announce)
		p2pbuf_event(P2PBUF_NL_CMD_BUFFER_DEL_NTF, buf);
	WARN_ON(!list_empty(&buf->dmamaps));
	WARN_ON(!xa_empty(&buf->vmas));
	xa_destroy(&buf->vmas);
	mutex_destroy(&buf->dma_lock);
	p2pbuf_consumers_destroy(&buf->consumers);
	if (buf->id)
		ida_free(&p2pbuf_buffer_ida, buf->id);
	p2pbuf_provider_put(prov);
	put_pid(buf->owner);
	kfree(buf);
}

/**
 * p2pbuf_buffer_get() - take a reference on a buffer
 * @buf: a buffer the caller already holds a reference to (directly, or
 *	through a handle table or a mapping under the appropriate lock)
 */
void p2pbuf_buffer_get(struct p2pbuf_buffer *buf)
{
	kref_get(&buf->ref);
}

/**
 * p2pbuf_buffer_put() - drop a reference on a buffer
 * @buf: the buffer
 *
 * The last reference returns the memory to the provider.  Process context
 * only (it may sleep in the provider's free op).
 */
void p2pbuf_buffer_put(struct p2pbuf_buffer *buf)
{
	might_sleep();
	kref_put(&buf->ref, p2pbuf_buffer_release);
}

/**
 * p2pbuf_buffer_lookup() - find a buffer by its global id
 * @id: the id
 *
 * Return: the buffer with a reference the caller drops with
 * p2pbuf_buffer_put(), or NULL.
 */
struct p2pbuf_buffer *p2pbuf_buffer_lookup(u32 id)
{
	struct p2pbuf_buffer *buf;

	mutex_lock(&p2pbuf_buffers_lock);
	buf = xa_load(&p2pbuf_buffers, id);
	if (buf && !kref_get_unless_zero(&buf->ref))
		buf = NULL;
	mutex_unlock(&p2pbuf_buffers_lock);
	return buf;
}

/**
 * p2pbuf_buffer_revoked() - whether a buffer was revoked
 * @buf: a referenced buffer
 *
 * Return: the revoked flag (a snapshot; see &p2pbuf_buffer.revoke_lock).
 */
bool p2pbuf_buffer_revoked(struct p2pbuf_buffer *buf)
{
	return READ_ONCE(buf->revoked);
}

/**
 * p2pbuf_buffer_attach() - add a consumer (a dma-sgl) of a buffer
 * @buf: a referenced buffer
 * @c: the consumer
 *
 * A revocation either finds @c in the buffer's list or happened before,
 * and then this fails.
 *
 * Return: 0, or -ENODEV if the buffer was revoked.
 */
int p2pbuf_buffer_attach(struct p2pbuf_buffer *buf, struct p2pbuf_consumer *c)
{
	int ret;

	mutex_lock(&buf->consumers.lock);
	ret = p2pbuf_consumers_add_locked(&buf->consumers, c);
	mutex_unlock(&buf->consumers.lock);
	return ret;
}

/**
 * p2pbuf_buffer_detach() - remove a consumer of a buffer
 * @buf: the buffer
 * @c: the consumer, attached or already taken out by revocation
 */
void p2pbuf_buffer_detach(struct p2pbuf_buffer *buf, struct p2pbuf_consumer *c)
{
	p2pbuf_consumers_del(&buf->consumers, c);
}

/**
 * p2pbuf_buffer_mark_revoked() - the first step of revoking a buffer
 * @buf: a referenced buffer
 * @reason: enum p2pbuf_nl_revoke_reason
 *
 * Sets the revoked flag (no fault handler maps the memory any more, no
 * mmap() or MAP takes the buffer) and closes its consumer list.
 *
 * Return: true if this call revoked it; false if it was revoked already,
 * or is not published yet (an ALLOC that will fail).
 */
bool p2pbuf_buffer_mark_revoked(struct p2pbuf_buffer *buf, u32 reason)
{
	bool did;

	down_write(&buf->revoke_lock);
	did = buf->published && !buf->revoked;
	if (did) {
		WRITE_ONCE(buf->revoke_reason, reason);
		/* Pairs with p2pbuf_buffer_fill_nl(): the reason is set first. */
		smp_store_release(&buf->revoked, true);
		p2pbuf_consumers_close(&buf->consumers, true);
	}
	up_write(&buf->revoke_lock);
	return did;
}

/**
 * p2pbuf_buffer_zap() - remove every CPU mapping of a buffer
 * @buf: a buffer marked revoked
 *
 * Every mapping of the buffer through /dev/p2pbuf, in every process, is a
 * VMA of the device's file at the buffer's offset; later access faults
 * (SIGBUS).  Mappings of its dma-buf exports are zapped by their export's
 * revocation (p2pbuf_export.c), before the memory is returned.
 */
void p2pbuf_buffer_zap(struct p2pbuf_buffer *buf)
{
	unmap_mapping_range(buf->mapping,
			    (loff_t)buf->id << P2PBUF_MMAP_ID_SHIFT, buf->size,
			    1);
}

/**
 * p2pbuf_buffer_return() - the last step of revoking a buffer
 * @buf: a buffer marked revoked whose consumers were revoked
 *
 * Returns the memory to the provider and announces it (BUFFER_DEL).  The
 * buffer object lives on until its handle and mappings are gone.
 */
void p2pbuf_buffer_return(struct p2pbuf_buffer *buf)
{
	bool held;

	down_write(&buf->revoke_lock);
	WARN_ON(!list_empty(&buf->consumers.list));
	held = atomic_read(&buf->nr_held);
	if (held)
		buf->return_deferred = true;
	else
		p2pbuf_buffer_give_back(buf);
	up_write(&buf->revoke_lock);
	/* Held memory goes back when the last holder lets go. */
	if (!held)
		p2pbuf_event(P2PBUF_NL_CMD_BUFFER_DEL_NTF, buf);
}

/**
 * p2pbuf_buffer_hold() - a dma-buf importer keeps host memory mapped
 * @buf: a host-memory buffer, not revoked yet (the caller's export checked
 *	that under its reservation lock, which revocation takes first)
 *
 * A static or pinning importer cannot be told to stop: until it lets go
 * (p2pbuf_buffer_unhold()), revocation leaves the memory with it.
 */
void p2pbuf_buffer_hold(struct p2pbuf_buffer *buf)
{
	atomic_inc(&buf->nr_held);
}

/**
 * p2pbuf_buffer_unhold() - the end of p2pbuf_buffer_hold()
 * @buf: the buffer
 *
 * The last holder of a revoked buffer returns its memory (and announces
 * it, BUFFER_DEL) here.  Process context; takes the buffer's revoke_lock.
 */
void p2pbuf_buffer_unhold(struct p2pbuf_buffer *buf)
{
	bool give;

	down_write(&buf->revoke_lock);
	give = atomic_dec_and_test(&buf->nr_held) && buf->return_deferred;
	if (give) {
		buf->return_deferred = false;
		p2pbuf_buffer_give_back(buf);
	}
	up_write(&buf->revoke_lock);
	if (give)
		p2pbuf_event(P2PBUF_NL_CMD_BUFFER_DEL_NTF, buf);
}

/**
 * p2pbuf_provider_next_buffer() - a buffer of a provider to revoke
 * @prov: a provider that left the registry (no buffer joins its list)
 *
 * Moves published buffers of @prov, one per call, to the list of visited
 * ones, so that each is returned once: O(buffers) over all calls.
 *
 * Return: the next buffer with a reference for the caller, or NULL when
 * every buffer was visited.
 */
struct p2pbuf_buffer *p2pbuf_provider_next_buffer(struct p2pbuf_provider *prov)
{
	struct p2pbuf_buffer *buf;

	spin_lock(&prov->lock);
	while ((buf = list_first_entry_or_null(&prov->buffers,
					       struct p2pbuf_buffer,
					       prov_node))) {
		list_move_tail(&buf->prov_node, &prov->visited);
		/* A buffer being released is gone anyway. */
		if (kref_get_unless_zero(&buf->ref))
			break;
	}
	spin_unlock(&prov->lock);
	return buf;
}

/*
 * Track @vma in its buffer's list of mappings, for the mapped bytes of the
 * listings.  A statistic: if memory is short the entry is missing and the
 * listing undercounts; nothing else depends on it.
 */
static void p2pbuf_vma_track(struct p2pbuf_buffer *buf,
			     struct vm_area_struct *vma)
{
	xa_store(&buf->vmas, (unsigned long)vma, vma, GFP_KERNEL);
}

/*
 * Bytes of @buf mapped in user address spaces: the sum of its VMAs,
 * tracked in &p2pbuf_buffer.vmas by mmap(), ->open and ->close.  A
 * snapshot: a concurrent split may be half done.
 */
static u64 p2pbuf_buffer_mapped(struct p2pbuf_buffer *buf)
{
	struct vm_area_struct *vma;
	unsigned long idx;
	u64 bytes = 0;

	xa_lock(&buf->vmas);
	xa_for_each(&buf->vmas, idx, vma)
		bytes += READ_ONCE(vma->vm_end) - READ_ONCE(vma->vm_start);
	xa_unlock(&buf->vmas);
	return bytes;
}

/**
 * p2pbuf_buffer_fill_nl() - the netlink attributes describing a buffer
 * @skb: the message being built
 * @buf: the buffer (referenced, or listed under the registry lock)
 * @owner: include who allocated it (listings only, not events)
 *
 * Return: 0 or -EMSGSIZE.
 */
int p2pbuf_buffer_fill_nl(struct sk_buff *skb, struct p2pbuf_buffer *buf,
			  bool owner)
{
	/* Pairs with p2pbuf_buffer_mark_revoked(): a revoked flag has a reason. */
	bool revoked = smp_load_acquire(&buf->revoked);

	if (nla_put_u32(skb, P2PBUF_NL_A_BUFFER_ID, buf->id) ||
	    nla_put_u64_64bit(skb, P2PBUF_NL_A_BUFFER_SIZE, buf->size,
			      P2PBUF_NL_A_PAD) ||
	    nla_put_u32(skb, P2PBUF_NL_A_PROVIDER_ID, buf->prov->id) ||
	    nla_put_u64_64bit(skb, P2PBUF_NL_A_BUFFER_MAPPED,
			      p2pbuf_buffer_mapped(buf), P2PBUF_NL_A_PAD) ||
	    nla_put_u32(skb, P2PBUF_NL_A_BUFFER_SGLS,
			atomic_read(&buf->nr_sgls)) ||
	    nla_put_u32(skb, P2PBUF_NL_A_BUFFER_CACHE_MODE, buf->cache_mode) ||
	    nla_put_u32(skb, P2PBUF_NL_A_BUFFER_STATE,
			revoked ? P2PBUF_NL_STATE_REVOKED :
				  P2PBUF_NL_STATE_LIVE) ||
	    (revoked && nla_put_u32(skb, P2PBUF_NL_A_REASON,
				    READ_ONCE(buf->revoke_reason))) ||
	    (owner && nla_put_u32(skb, P2PBUF_NL_A_OWNER_PID,
				  pid_nr(buf->owner))) ||
	    (owner && nla_put_u32(skb, P2PBUF_NL_A_OWNER_UID,
				  from_kuid_munged(&init_user_ns, buf->uid))) ||
	    (owner && nla_put_string(skb, P2PBUF_NL_A_OWNER_COMM, buf->comm)))
		return -EMSGSIZE;
	return 0;
}

/**
 * p2pbuf_buffers_for_each() - call @fn for the buffers in the registry
 * @pos: in: first id to visit; out: id to resume from when @fn failed
 * @fn: called in id order with the registry locked; a non-zero return
 *	stops the walk and is returned
 * @arg: passed to @fn
 *
 * Return: 0 when every buffer from *@pos on was visited, or what @fn
 * returned.
 */
int p2pbuf_buffers_for_each(unsigned long *pos,
			    int (*fn)(struct p2pbuf_buffer *buf, void *arg),
			    void *arg)
{
	struct p2pbuf_buffer *buf;
	unsigned long id;
	int ret = 0;

	mutex_lock(&p2pbuf_buffers_lock);
	xa_for_each_start(&p2pbuf_buffers, id, buf, *pos) {
		ret = fn(buf, arg);
		if (ret)
			break;
		cond_resched();
	}
	*pos = ret ? id : ULONG_MAX;
	mutex_unlock(&p2pbuf_buffers_lock);
	return ret;
}

/*
 * Make a complete buffer visible: in its provider's list (unless the
 * provider was removed meanwhile), in the registry (its entry reserved by
 * ALLOC), announced.  Under revoke_lock for writing, so no revocation of
 * it (which starts by taking that lock) can announce anything before
 * BUFFER_NEW.
 */
static int p2pbuf_buffer_publish(struct p2pbuf_buffer *buf)
{
	struct p2pbuf_provider *prov = buf->prov;
	int ret = 0;

	down_write(&buf->revoke_lock);
	spin_lock(&prov->lock);
	if (prov->removed)
		ret = -ENODEV;
	else
		list_add_tail(&buf->prov_node, &prov->buffers);
	spin_unlock(&prov->lock);
	if (!ret) {
		mutex_lock(&p2pbuf_buffers_lock);
		/* Into the reserved entry: no allocation, cannot fail. */
		WARN_ON(xa_err(xa_store(&p2pbuf_buffers, buf->id, buf,
					GFP_KERNEL)));
		mutex_unlock(&p2pbuf_buffers_lock);
		buf->published = true;
		p2pbuf_event(P2PBUF_NL_CMD_BUFFER_NEW_NTF, buf);
	}
	up_write(&buf->revoke_lock);
	return ret;
}

/* Reserve a handle slot of @pf (the count), or -ENOSPC. */
static int p2pbuf_file_reserve(struct p2pbuf_file *pf)
{
	int ret = 0;

	mutex_lock(&pf->lock);
	if (pf->nr_buffers >= max_buffers_per_fd)
		ret = -ENOSPC;
	else
		pf->nr_buffers++;
	mutex_unlock(&pf->lock);
	return ret;
}

static void p2pbuf_file_unreserve(struct p2pbuf_file *pf)
{
	mutex_lock(&pf->lock);
	pf->nr_buffers--;
	mutex_unlock(&pf->lock);
}

/**
 * p2pbuf_ioctl_alloc() - handle %P2PBUF_IOC_ALLOC
 * @call: the call; its context is the caller's struct p2pbuf_file
 * @arg: kernel copy of struct p2pbuf_alloc; checked input, filled output
 *
 * Allocates @length bytes rounded up to pages from the provider, zeroed
 * (with no lock held: that may take long), publishes the buffer and enters
 * it in the file's handle table, whose slot (count and entry) was
 * reserved first so that nothing can fail after the publication.
 *
 * Return: 0; -EINVAL for non-zero flags or reserved fields, a zero length
 * or one above %P2PBUF_BUFFER_MAX_LENGTH; -ENOENT if no provider has the
 * id; -ENOSPC if the file already holds max_buffers_per_fd buffers;
 * -EDQUOT if host memory would exceed the user's RLIMIT_MEMLOCK; -ENOMEM
 * if the provider has not that much free memory (or the kernel has not);
 * -ENODEV if the provider is being removed.
 */
int p2pbuf_ioctl_alloc(struct p2pbuf_ioctl_call *call, void *arg)
{
	struct p2pbuf_file *pf = call->ctx;
	struct p2pbuf_alloc *a = arg;
	struct p2pbuf_buffer *buf;
	struct p2pbuf_provider *prov;
	int ret;

	if (a->flags || a->reserved0 ||
	    memchr_inv(a->reserved, 0, sizeof(a->reserved)))
		return -EINVAL;
	if (!a->length || a->length > P2PBUF_BUFFER_MAX_LENGTH)
		return -EINVAL;

	prov = p2pbuf_provider_get(a->provider_id);
	if (!prov)
		return -ENOENT;
	buf = kzalloc(sizeof(*buf), GFP_KERNEL);
	if (!buf) {
		p2pbuf_provider_put(prov);
		return -ENOMEM;
	}
	/* From here on p2pbuf_buffer_put() undoes what was done. */
	kref_init(&buf->ref);
	init_rwsem(&buf->revoke_lock);
	p2pbuf_consumers_init(&buf->consumers);
	mutex_init(&buf->dma_lock);
	INIT_LIST_HEAD(&buf->dmamaps);
	INIT_LIST_HEAD(&buf->prov_node);
	xa_init(&buf->vmas);
	atomic_set(&buf->nr_sgls, 0);
	atomic_set(&buf->nr_held, 0);
	buf->owner = get_task_pid(current, PIDTYPE_TGID);
	buf->uid = current_euid();
	get_task_comm(buf->comm, current);
	buf->prov = prov;
	buf->size = PAGE_ALIGN(a->length);
	buf->cache_mode = p2pbuf_provider_cache_mode(prov);
	buf->mapping = pf->mapping;

	ret = p2pbuf_file_reserve(pf);
	if (ret)
		goto err_put;
	ret = p2pbuf_buffer_charge(buf);
	if (ret)
		goto err_unreserve;
	ret = ida_alloc_range(&p2pbuf_buffer_ida, 1, P2PBUF_BUFFER_ID_MAX,
			      GFP_KERNEL);
	if (ret < 0) {
		if (ret == -ENOSPC)
			ret = -ENOMEM;
		goto err_unreserve;
	}
	buf->id = ret;
	mutex_lock(&p2pbuf_buffers_lock);
	ret = xa_reserve(&p2pbuf_buffers, buf->id, GFP_KERNEL);
	mutex_unlock(&p2pbuf_buffers_lock);
	if (ret)
		goto err_unreserve;
	ret = xa_reserve(&pf->buffers, buf->id, GFP_KERNEL);
	if (ret)
		goto err_unreserve;
	ret = p2pbuf_provider_alloc(prov, buf->size, &buf->ext);
	if (ret)
		goto err_release_handle;
	/*
	 * Fill the reply first: once the handle is published, another
	 * thread may free it (and with it @buf) before we return.
	 */
	memset(a, 0, sizeof(*a));
	a->length = buf->size;
	a->provider_id = prov->id;
	a->handle = buf->id;
	a->mmap_offset = (u64)buf->id << P2PBUF_MMAP_ID_SHIFT;
	a->cache_mode = buf->cache_mode;
	ret = p2pbuf_buffer_publish(buf);
	if (ret)
		goto err_release_handle;
	mutex_lock(&pf->lock);
	/* Into the reserved entry: no allocation, cannot fail. */
	WARN_ON(xa_err(xa_store(&pf->buffers, buf->id, buf, GFP_KERNEL)));
	mutex_unlock(&pf->lock);
	return 0;

err_release_handle:
	xa_release(&pf->buffers, buf->id);
err_unreserve:
	p2pbuf_file_unreserve(pf);
err_put:
	p2pbuf_buffer_put(buf);
	return ret;
}

/**
 * p2pbuf_ioctl_free() - handle %P2PBUF_IOC_FREE
 * @call: the call; its context is the caller's struct p2pbuf_file
 * @arg: kernel copy of struct p2pbuf_free
 *
 * Removes the handle; the buffer itself lives on while mapped.
 *
 * Return: 0; -EINVAL for non-zero flags or reserved fields; -ENOENT if the
 * handle is not one of this file's buffers (never allocated here, already
 * freed, another file's, or still being allocated).
 */
int p2pbuf_ioctl_free(struct p2pbuf_ioctl_call *call, void *arg)
{
	struct p2pbuf_file *pf = call->ctx;
	struct p2pbuf_free *f = arg;
	struct p2pbuf_buffer *buf;

	if (f->flags || f->reserved)
		return -EINVAL;
	mutex_lock(&pf->lock);
	/* A reserved entry (an ALLOC in progress) reads as NULL. */
	buf = xa_load(&pf->buffers, f->handle);
	if (buf) {
		xa_erase(&pf->buffers, f->handle);
		pf->nr_buffers--;
	}
	mutex_unlock(&pf->lock);
	if (!buf)
		return -ENOENT;
	p2pbuf_buffer_put(buf);
	return 0;
}

/**
 * p2pbuf_file_buffers_init() - set up the handle table of a new file
 * @pf: the file's context
 */
void p2pbuf_file_buffers_init(struct p2pbuf_file *pf)
{
	xa_init(&pf->buffers);
}

/**
 * p2pbuf_file_buffers_release() - drop the handle table's references
 * @pf: the file's context, being released (no ioctl or mmap can run)
 */
void p2pbuf_file_buffers_release(struct p2pbuf_file *pf)
{
	struct p2pbuf_buffer *buf;
	unsigned long id;

	xa_for_each(&pf->buffers, id, buf) {
		xa_erase(&pf->buffers, id);
		p2pbuf_buffer_put(buf);
	}
	pf->nr_buffers = 0;
	xa_destroy(&pf->buffers);
}

/* --- the special VMA ---------------------------------------------------- */

/**
 * struct p2pbuf_mapping - one mmap() of a buffer
 * @ref: one reference per VMA: mmap() creates the first, vm_ops->open
 *	(a split, an mremap() move) takes one, vm_ops->close drops one
 * @buf: the buffer, referenced until the last VMA is gone
 * @base: offset in the buffer of page offset 0 of the VMA: 0 for a mapping
 *	of /dev/p2pbuf (whose page offset carries the buffer's), the start of
 *	the exported range for a mapping of a dma-buf export
 * @prefault: the prefault parameter at mmap() time
 * @huge: huge PMDs are used: the kernel supports them and the huge
 *	parameter was on at mmap() time
 *
 * Set in mmap() and never changed, so the fault handlers read it without
 * locks.
 */
struct p2pbuf_mapping {
	struct kref ref;
	struct p2pbuf_buffer *buf;
	u64 base;
	bool prefault;
	bool huge;
};

static void p2pbuf_mapping_free(struct kref *ref)
{
	struct p2pbuf_mapping *m = container_of(ref, struct p2pbuf_mapping,
						ref);

	p2pbuf_buffer_put(m->buf);
	kfree(m);
}

static void p2pbuf_vm_open(struct vm_area_struct *vma)
{
	struct p2pbuf_mapping *m = vma->vm_private_data;

	kref_get(&m->ref);
	p2pbuf_vma_track(m->buf, vma);
}

static void p2pbuf_vm_close(struct vm_area_struct *vma)
{
	struct p2pbuf_mapping *m = vma->vm_private_data;

	xa_erase(&m->buf->vmas, (unsigned long)vma);
	kref_put(&m->ref, p2pbuf_mapping_free);
}

/* Byte offset in the buffer of the first page of @vma, mapping @m. */
static u64 p2pbuf_vma_offset(struct p2pbuf_mapping *m,
			     struct vm_area_struct *vma)
{
	return m->base +
	       ((u64)(vma->vm_pgoff & P2PBUF_MMAP_PGOFF_MASK) << PAGE_SHIFT);
}

/**
 * p2pbuf_buffer_phys() - where byte @off of a buffer is
 * @buf: a buffer the caller holds a reference to
 * @off: offset in the buffer, below its size
 * @len: out: the bytes from there to the end of its chunk (0 if @off is
 *	out of range)
 *
 * Chunks are few (pcibar: one; sysmem: 2 MiB each unless memory is
 * fragmented), a linear walk is fine.
 *
 * Return: the CPU physical address of byte @off.
 */
phys_addr_t p2pbuf_buffer_phys(struct p2pbuf_buffer *buf, u64 off, u64 *len)
{
	const struct p2pbuf_chunk *c = buf->ext.chunks;
	unsigned int i;

	for (i = 0; i < buf->ext.nr; i++) {
		if (off < c[i].len) {
			*len = c[i].len - off;
			return c[i].phys + off;
		}
		off -= c[i].len;
	}
	*len = 0;
	return 0;
}

/*
 * The 2 MiB blocks of [@addr, @addr + @len) (which maps @phys on) that
 * p2pbuf_vm_huge_fault() maps with PMDs: [return value, *@end).  If there
 * are none (huge PMDs not used, user and physical addresses not congruent
 * modulo 2 MiB, or no whole block), both are @addr + @len.
 */
static unsigned long p2pbuf_huge_blocks(struct p2pbuf_mapping *m,
					unsigned long addr, phys_addr_t phys,
					u64 len, unsigned long *end)
{
	unsigned long start = ALIGN(addr, PMD_SIZE);

	*end = ALIGN_DOWN(addr + len, PMD_SIZE);
	if (!m->huge || ((addr ^ phys) & ~PMD_MASK) || start >= *end) {
		*end = addr + len;
		return addr + len;
	}
	return start;
}

/*
 * Map one page of a buffer at @addr: its pfn (special VMA), or for memory
 * with struct pages (p2pdma) the page itself, which the mapping then
 * references and get_user_pages() callers asking for P2PDMA pages may pin.
 * vmf_insert_page() (vm_insert_page()) needs VM_MIXEDMAP set at mmap()
 * time (it sets it itself only under the mmap lock held for writing) and
 * leaves an entry already there alone, as vmf_insert_pfn() does.
 */
static vm_fault_t p2pbuf_vma_insert_one(struct p2pbuf_buffer *buf,
					struct vm_area_struct *vma,
					unsigned long addr, unsigned long pfn)
{
	if (buf->prov->pages)
		return vmf_insert_page(vma, addr, pfn_to_page(pfn));
	return vmf_insert_pfn(vma, addr, pfn);
}

/*
 * Insert [@addr, @end) mapping @phys on, page by page, keeping entries
 * already there (vmf_insert_pfn() leaves them alone).  Stops at the first
 * failure, or when the task is being killed.
 */
static int p2pbuf_vma_insert(struct vm_area_struct *vma, unsigned long addr,
			     unsigned long end, phys_addr_t phys)
{
	struct p2pbuf_mapping *m = vma->vm_private_data;
	unsigned long pfn = PHYS_PFN(phys);
	unsigned int n = 0;
	vm_fault_t ret;

	for (; addr < end; addr += PAGE_SIZE, pfn++) {
		ret = p2pbuf_vma_insert_one(m->buf, vma, addr, pfn);
		if (ret != VM_FAULT_NOPAGE)
			return -EFAULT;
		if (++n % P2PBUF_POPULATE_BATCH == 0) {
			if (fatal_signal_pending(current))
				return -EINTR;
			cond_resched();
		}
	}
	return 0;
}

/*
 * Map all of @vma in the fault that touched it first, chunk by chunk,
 * through the kernel's API: vmf_insert_pfn() takes the memory type the
 * architecture tracks for the memory (on x86, PAT: write-back for RAM,
 * the write-combining the pcibar provider reserved for its range, or
 * uncached-minus); p2pdma pages go in with vmf_insert_page().  The 2 MiB
 * blocks left to the huge fault handler are skipped.  Best effort: what is
 * not mapped faults in later.  Called with revoke_lock held for reading.
 */
static void p2pbuf_vma_populate(struct p2pbuf_mapping *m,
				struct vm_area_struct *vma)
{
	struct p2pbuf_buffer *buf = m->buf;
	unsigned long addr = vma->vm_start, hstart, hend;
	u64 off = p2pbuf_vma_offset(m, vma);
	phys_addr_t phys;
	u64 len;

	lockdep_assert_held(&buf->revoke_lock);
	while (addr < vma->vm_end) {
		phys = p2pbuf_buffer_phys(buf, off, &len);
		if (!len)
			return;
		len = min_t(u64, len, vma->vm_end - addr);
		hstart = p2pbuf_huge_blocks(m, addr, phys, len, &hend);
		if (p2pbuf_vma_insert(vma, addr, hstart, phys) ||
		    p2pbuf_vma_insert(vma, hend, addr + len,
				      phys + (hend - addr)))
			return;
		addr += len;
		off += len;
	}
}

/*
 * The 4 KiB fault handler: the touched page, then, with prefault, the
 * rest of the mapping.  Under the buffer's revoke_lock, so revocation
 * (which sets the flag under it, then zaps) cannot leave an entry behind:
 * a revoked buffer answers SIGBUS.
 */
static vm_fault_t p2pbuf_vm_fault(struct vm_fault *vmf)
{
	struct vm_area_struct *vma = vmf->vma;
	struct p2pbuf_mapping *m = vma->vm_private_data;
	struct p2pbuf_buffer *buf = m->buf;
	unsigned long addr = vmf->address & PAGE_MASK;
	vm_fault_t ret;
	phys_addr_t phys;
	u64 off, len;

	off = p2pbuf_vma_offset(m, vma) + (addr - vma->vm_start);
	down_read(&buf->revoke_lock);
	if (buf->revoked || off >= buf->size) {
		ret = VM_FAULT_SIGBUS;
		goto out;
	}
	phys = p2pbuf_buffer_phys(buf, off, &len);
	if (!len) {
		ret = VM_FAULT_SIGBUS;
		goto out;
	}
	ret = p2pbuf_vma_insert_one(buf, vma, addr, PHYS_PFN(phys));
	if (ret == VM_FAULT_NOPAGE && m->prefault)
		p2pbuf_vma_populate(m, vma);
out:
	up_read(&buf->revoke_lock);
	return ret;
}

/*
 * ->huge_fault: map the 2 MiB block around the address with one special
 * PMD if the mapping uses huge PMDs, the VMA covers the whole block and
 * the buffer memory behind it is one physically contiguous, 2 MiB aligned
 * piece.  Otherwise VM_FAULT_FALLBACK sends the core to p2pbuf_vm_fault()
 * for the page.  The core calls it only for a PMD that maps nothing (never
 * over PTEs already there) or to make a read-only PMD writable;
 * vmf_insert_pfn_pmd() takes the PMD lock (two threads faulting the same
 * block both succeed, the second finds the entry in place).  The memory
 * type is the one the architecture tracks for the pfn, as for
 * vmf_insert_pfn().  Under revoke_lock, like p2pbuf_vm_fault().
 */
static vm_fault_t __maybe_unused p2pbuf_vm_huge_fault(struct vm_fault *vmf,
						      unsigned int order)
{
	struct vm_area_struct *vma = vmf->vma;
	struct p2pbuf_mapping *m = vma->vm_private_data;
	struct p2pbuf_buffer *buf = m->buf;
	unsigned long addr = vmf->address & PMD_MASK;
	phys_addr_t phys;
	vm_fault_t ret;
	u64 off, len;

	if (order != P2PBUF_PMD_ORDER || !m->huge)
		return VM_FAULT_FALLBACK;
	if (addr < vma->vm_start || vma->vm_end - addr < PMD_SIZE)
		return VM_FAULT_FALLBACK;
	off = p2pbuf_vma_offset(m, vma) + (addr - vma->vm_start);
	down_read(&buf->revoke_lock);
	if (buf->revoked || off >= buf->size) {
		ret = VM_FAULT_SIGBUS;
		goto out;
	}
	phys = p2pbuf_buffer_phys(buf, off, &len);
	if (len < PMD_SIZE || !IS_ALIGNED(phys, PMD_SIZE))
		ret = VM_FAULT_FALLBACK;
	else
		ret = p2pbuf_vmf_insert_pfn_pmd(vmf, PHYS_PFN(phys),
						vmf->flags & FAULT_FLAG_WRITE);
out:
	up_read(&buf->revoke_lock);
	return ret;
}

static const struct vm_operations_struct p2pbuf_vm_ops = {
	.open = p2pbuf_vm_open,
	.close = p2pbuf_vm_close,
	.fault = p2pbuf_vm_fault,
	.huge_fault = p2pbuf_huge_fault_op(p2pbuf_vm_huge_fault),
};

/**
 * p2pbuf_vma_buffer() - the buffer a VMA maps, if it is a p2pbuf VMA
 * @vma: any VMA of the caller's mm, with the mmap lock held
 * @offset: on success, the offset in the buffer of @vma->vm_start
 *
 * Recognises p2pbuf mappings by their vm_ops, so that a VA range can be
 * resolved to (buffer, offset) without looking at page tables or foreign
 * memory (the dma-sgl code).  The buffer stays valid while the mmap lock is
 * held (the VMA's mapping holds a reference); take one with
 * p2pbuf_buffer_get() to keep it.
 *
 * Return: the buffer, or NULL if @vma is not a p2pbuf mapping.
 */
struct p2pbuf_buffer *p2pbuf_vma_buffer(struct vm_area_struct *vma,
					u64 *offset)
{
	struct p2pbuf_mapping *m;

	if (vma->vm_ops != &p2pbuf_vm_ops)
		return NULL;
	m = vma->vm_private_data;
	*offset = p2pbuf_vma_offset(m, vma);
	return m->buf;
}

static pgprot_t p2pbuf_buffer_prot(struct p2pbuf_buffer *buf, pgprot_t prot)
{
	switch (buf->cache_mode) {
	case P2PBUF_CACHE_WC:
		/* x86: write-combining (PAT); arm64: Normal-NC. */
		return pgprot_writecombine(prot);
	case P2PBUF_CACHE_UC:
		/* x86: uncached-minus; arm64: Device-nGnRE. */
		return pgprot_device(prot);
	default:
		return prot;
	}
}

/**
 * p2pbuf_buffer_mmap() - set a VMA up as a mapping of a buffer
 * @buf: the buffer, referenced by the caller; the mapping takes its own
 *	reference on success
 * @base: offset in the buffer of the VMA's page offset 0 (see struct
 *	p2pbuf_mapping); the caller checked that the VMA lies inside the
 *	buffer
 * @vma: the new VMA, shared
 *
 * Records the prefault and huge parameters; pages are mapped by the fault
 * handlers, under the buffer's revoke_lock.  Used by mmap() of /dev/p2pbuf
 * and of dma-buf exports (p2pbuf_export.c).
 *
 * Return: 0; -ENODEV if the buffer was revoked; -ENOMEM.
 */
int p2pbuf_buffer_mmap(struct p2pbuf_buffer *buf, u64 base,
		       struct vm_area_struct *vma)
{
	struct p2pbuf_mapping *m;

	if (p2pbuf_buffer_revoked(buf))
		return -ENODEV;
	m = kzalloc(sizeof(*m), GFP_KERNEL);
	if (!m)
		return -ENOMEM;
	kref_init(&m->ref);
	p2pbuf_buffer_get(buf);
	m->buf = buf;
	m->base = base;
	m->prefault = READ_ONCE(prefault);
	m->huge = P2PBUF_HAVE_HUGE_PFNMAP && READ_ONCE(huge) &&
		  !buf->prov->pages;

	/*
	 * Memory with struct pages (p2pdma) is mapped with its pages
	 * (VM_MIXEDMAP, no VM_IO) so that O_DIRECT I/O can pin them, as the
	 * kernel's p2pmem/allocate mappings; everything else is a special
	 * VMA that get_user_pages() refuses.
	 */
	if (buf->prov->pages)
		p2pbuf_vm_flags_set(vma, VM_MIXEDMAP | VM_DONTEXPAND |
					 VM_DONTDUMP | VM_DONTCOPY);
	else
		p2pbuf_vm_flags_set(vma, VM_PFNMAP | VM_IO | VM_DONTEXPAND |
					 VM_DONTDUMP | VM_DONTCOPY);
	/*
	 * Ask for huge mappings as MADV_HUGEPAGE would: some kernels (6.12
	 * among them) call ->huge_fault only when the THP policy is
	 * "always", or "madvise" and the VMA has VM_HUGEPAGE; newer ones
	 * ignore the policy for huge pfn mappings.
	 */
	if (m->huge)
		p2pbuf_vm_flags_set(vma, VM_HUGEPAGE);
	vma->vm_page_prot = p2pbuf_buffer_prot(buf, vma->vm_page_prot);
	vma->vm_private_data = m;
	p2pbuf_vma_track(buf, vma);
	/* Last: from here on vm_ops->close drops the mapping (and @buf). */
	vma->vm_ops = &p2pbuf_vm_ops;
	return 0;
}

/**
 * p2pbuf_file_buffer() - a buffer of a /dev/p2pbuf file, by handle
 * @pf: the file
 * @handle: a handle ALLOC returned on it
 *
 * Return: the buffer with a reference taken, or NULL if @handle names no
 * buffer of @pf (never allocated there, or freed).
 */
struct p2pbuf_buffer *p2pbuf_file_buffer(struct p2pbuf_file *pf, u32 handle)
{
	struct p2pbuf_buffer *buf;

	mutex_lock(&pf->lock);
	buf = xa_load(&pf->buffers, handle);
	if (buf)
		p2pbuf_buffer_get(buf);
	mutex_unlock(&pf->lock);
	return buf;
}

/**
 * p2pbuf_mmap() - map (part of) a buffer: the file's ->mmap
 * @file: a /dev/p2pbuf file
 * @vma: the new VMA; vm_pgoff is the buffer's mmap offset plus the offset
 *	of the first page to map, in pages
 *
 * Return: 0; -EINVAL for a private mapping, an offset that names no buffer
 * of this file (or a freed one), or a range that does not lie inside the
 * buffer; -ENODEV if the buffer was revoked; -ENOMEM.
 */
int p2pbuf_mmap(struct file *file, struct vm_area_struct *vma)
{
	struct p2pbuf_file *pf = file->private_data;
	unsigned long id = vma->vm_pgoff >> P2PBUF_MMAP_PGOFF_SHIFT;
	unsigned long first = vma->vm_pgoff & P2PBUF_MMAP_PGOFF_MASK;
	unsigned long npages = vma_pages(vma);
	struct p2pbuf_buffer *buf;
	unsigned long bpages;
	int ret = -EINVAL;

	/* Writes must reach the memory, never a private copy. */
	if (!(vma->vm_flags & VM_MAYSHARE))
		return -EINVAL;
	if (id > U32_MAX)
		return -EINVAL;
	buf = p2pbuf_file_buffer(pf, id);
	if (!buf)
		return -EINVAL;
	bpages = buf->size >> PAGE_SHIFT;
	if (first < bpages && npages <= bpages - first)
		ret = p2pbuf_buffer_mmap(buf, 0, vma);
	p2pbuf_buffer_put(buf);
	return ret;
}

/**
 * p2pbuf_buffers_exit() - module unload: no buffer exists any more
 */
void p2pbuf_buffers_exit(void)
{
	WARN_ON(!xa_empty(&p2pbuf_buffers));
	xa_destroy(&p2pbuf_buffers);
	ida_destroy(&p2pbuf_buffer_ida);
}
