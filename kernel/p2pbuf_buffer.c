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
 * fail), VM_DONTDUMP (no core dump of device memory).  Every VMA, including
 * the pieces of a split and the copy of an mremap() move, holds a reference
 * on the buffer through vm_ops->open/close, so the memory returns to the
 * provider only when the buffer was freed and its last mapping is gone.
 *
 * Where the kernel supports huge pfn mappings (P2PBUF_HAVE_HUGE_PFNMAP) and
 * the huge parameter is on, every 2 MiB block of the mapping whose user and
 * physical addresses are both 2 MiB aligned is left to the huge fault
 * handler, which maps it with one special PMD on first touch
 * (p2pbuf_vm_huge_fault(); ->get_unmapped_area picks user addresses that
 * allow it).  The rest of the mapping is populated in mmap() with
 * remap_pfn_range() (device memory: never over a whole VMA where x86 PAT
 * cannot split that, see p2pbuf_vma_remap_devmem()), unless the prefault
 * parameter is off, in which case pages are inserted one by one on first
 * touch by the fault handler: see p2pbuf(4) and the README's performance
 * section for why this is the default.  A split of a huge PMD (partial
 * munmap(), mprotect()) just clears it; the pieces fault back in 4 KiB
 * pages.  The fault handlers also answer SIGBUS for an address that is no
 * longer backed (a zapped mapping, which is how revocation will take
 * memory away).
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
		 "Populate a mapping in mmap() (Y, default) or on first touch (N)");

static bool huge = true;
module_param(huge, bool, 0644);
MODULE_PARM_DESC(huge,
		 "Map 2 MiB-aligned blocks with one huge PMD on first touch, where the kernel supports huge pfn mappings (Y, default)");

/* Order of a PMD mapping (2 MiB with 4 KiB pages on x86-64). */
#define P2PBUF_PMD_ORDER	(PMD_SHIFT - PAGE_SHIFT)

/* Huge PMDs are used: the kernel supports them and the parameter is on. */
static bool p2pbuf_huge_enabled(void)
{
	return P2PBUF_HAVE_HUGE_PFNMAP && READ_ONCE(huge);
}

/* Global buffer ids: handles and mmap offsets.  Has its own locking. */
static DEFINE_IDA(p2pbuf_buffer_ida);

/*
 * The registry of buffers: id -> buffer, for revocation, the admin revoke
 * command and the netlink listings.  Entries hold no reference: a buffer
 * leaves the registry at the start of its release, under this lock, and
 * lookups take a reference with kref_get_unless_zero() under it.
 */
static DEFINE_MUTEX(p2pbuf_buffers_lock);
static DEFINE_XARRAY(p2pbuf_buffers);

/**
 * p2pbuf_max_buffers_per_fd() - the max_buffers_per_fd parameter
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
static void p2pbuf_buffer_return(struct p2pbuf_buffer *buf)
{
	if (buf->returned)
		return;
	buf->returned = true;
	p2pbuf_provider_free(buf->prov, &buf->ext);
	p2pbuf_buffer_uncharge(buf);
}

static void p2pbuf_buffer_release(struct kref *ref)
{
	struct p2pbuf_buffer *buf = container_of(ref, struct p2pbuf_buffer,
						 ref);
	bool announce = !buf->returned;

	mutex_lock(&p2pbuf_buffers_lock);
	xa_erase(&p2pbuf_buffers, buf->id);
	mutex_unlock(&p2pbuf_buffers_lock);
	p2pbuf_buffer_return(buf);
	if (announce)
		p2pbuf_nl_notify_buffer(buf, P2PBUF_NL_CMD_BUFFER_DEL_NTF);
	ida_free(&p2pbuf_buffer_ida, buf->id);
	p2pbuf_provider_put(buf->prov);
	put_pid(buf->owner);
	kfree(buf);
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
 * p2pbuf_buffer_revoke() - take a buffer's memory away from everyone
 * @buf: a referenced buffer
 * @reason: enum p2pbuf_nl_revoke_reason
 *
 * In this order: (1) mark it revoked, so no mmap(), fault or MAP uses it
 * any more, and zap every CPU mapping of it in every process (later
 * access gets SIGBUS); (2) revoke every dma-sgl covering it (pollers woken,
 * events sent, then the DMA unmapped); (3) only then return the memory to
 * the provider.  The buffer object itself lives on until its handle is
 * freed and its mappings are gone.  Idempotent; process context.
 */
void p2pbuf_buffer_revoke(struct p2pbuf_buffer *buf, u32 reason)
{
	down_write(&buf->revoke_lock);
	if (buf->revoked) {
		up_write(&buf->revoke_lock);
		return;
	}
	WRITE_ONCE(buf->revoke_reason, reason);
	/* Pairs with p2pbuf_buffer_fill_nl(): the reason is set first. */
	smp_store_release(&buf->revoked, true);
	up_write(&buf->revoke_lock);

	unmap_mapping_range(buf->mapping,
			    (loff_t)buf->id << P2PBUF_MMAP_ID_SHIFT, buf->size,
			    1);
	p2pbuf_nl_notify_buffer(buf, P2PBUF_NL_CMD_BUFFER_REVOKE_NTF);
	p2pbuf_sgls_revoke_buffer(buf, reason);

	/* Waits for a MAP that was reading the memory's layout. */
	down_write(&buf->revoke_lock);
	p2pbuf_buffer_return(buf);
	up_write(&buf->revoke_lock);
	p2pbuf_nl_notify_buffer(buf, P2PBUF_NL_CMD_BUFFER_DEL_NTF);
}

/**
 * p2pbuf_buffers_revoke_provider() - revoke every buffer of a provider
 * @prov: a provider that left the registry (no new buffer comes)
 * @reason: enum p2pbuf_nl_revoke_reason
 */
void p2pbuf_buffers_revoke_provider(struct p2pbuf_provider *prov, u32 reason)
{
	struct p2pbuf_buffer *buf;
	unsigned long id = 0;

	for (;;) {
		mutex_lock(&p2pbuf_buffers_lock);
		xa_for_each_start(&p2pbuf_buffers, id, buf, id) {
			if (buf->prov == prov && !READ_ONCE(buf->revoked) &&
			    kref_get_unless_zero(&buf->ref))
				break;
		}
		mutex_unlock(&p2pbuf_buffers_lock);
		if (!buf)
			return;
		p2pbuf_buffer_revoke(buf, reason);
		p2pbuf_buffer_put(buf);
	}
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
	/* Pairs with p2pbuf_buffer_revoke(): a revoked flag has a reason. */
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
	}
	*pos = ret ? id : ULONG_MAX;
	mutex_unlock(&p2pbuf_buffers_lock);
	return ret;
}

/**
 * p2pbuf_buffer_get() - take a reference on a buffer
 * @buf: a buffer the caller already holds a reference to (directly, or
 *	through a handle table or a VMA under the appropriate lock)
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
	kref_put(&buf->ref, p2pbuf_buffer_release);
}

/**
 * p2pbuf_ioctl_alloc() - handle %P2PBUF_IOC_ALLOC
 * @call: the call; its context is the caller's struct p2pbuf_file
 * @arg: kernel copy of struct p2pbuf_alloc; checked input, filled output
 *
 * Allocates @length bytes rounded up to pages from the provider, zeroed,
 * and enters the buffer in the file's handle table.  The handle is
 * published last, when the buffer is complete.
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
		ret = -ENOMEM;
		goto err_put_prov;
	}
	kref_init(&buf->ref);
	init_rwsem(&buf->revoke_lock);
	xa_init(&buf->vmas);
	atomic_set(&buf->nr_sgls, 0);
	buf->owner = get_task_pid(current, PIDTYPE_TGID);
	buf->uid = current_euid();
	get_task_comm(buf->comm, current);
	buf->prov = prov;
	buf->size = PAGE_ALIGN(a->length);
	buf->cache_mode = p2pbuf_provider_cache_mode(prov);
	buf->mapping = pf->mapping;

	mutex_lock(&pf->lock);
	if (pf->nr_buffers >= max_buffers_per_fd) {
		ret = -ENOSPC;
		goto err_unlock;
	}
	ret = p2pbuf_buffer_charge(buf);
	if (ret)
		goto err_unlock;
	ret = ida_alloc_range(&p2pbuf_buffer_ida, 1, P2PBUF_BUFFER_ID_MAX,
			      GFP_KERNEL);
	if (ret < 0) {
		if (ret == -ENOSPC)
			ret = -ENOMEM;
		goto err_uncharge;
	}
	buf->id = ret;
	ret = p2pbuf_provider_alloc(prov, buf->size, &buf->ext);
	if (ret)
		goto err_free_id;
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
	mutex_lock(&p2pbuf_buffers_lock);
	ret = xa_insert(&p2pbuf_buffers, buf->id, buf, GFP_KERNEL);
	mutex_unlock(&p2pbuf_buffers_lock);
	if (ret)
		goto err_free_mem;
	p2pbuf_nl_notify_buffer(buf, P2PBUF_NL_CMD_BUFFER_NEW_NTF);
	ret = xa_insert(&pf->buffers, buf->id, buf, GFP_KERNEL);
	if (ret)
		goto err_unlist;
	pf->nr_buffers++;
	mutex_unlock(&pf->lock);
	return 0;

err_unlist:
	mutex_lock(&p2pbuf_buffers_lock);
	xa_erase(&p2pbuf_buffers, buf->id);
	mutex_unlock(&p2pbuf_buffers_lock);
	p2pbuf_nl_notify_buffer(buf, P2PBUF_NL_CMD_BUFFER_DEL_NTF);
err_free_mem:
	p2pbuf_provider_free(prov, &buf->ext);
err_free_id:
	ida_free(&p2pbuf_buffer_ida, buf->id);
err_uncharge:
	p2pbuf_buffer_uncharge(buf);
err_unlock:
	mutex_unlock(&pf->lock);
	put_pid(buf->owner);
	kfree(buf);
err_put_prov:
	p2pbuf_provider_put(prov);
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
 * freed, or another file's).
 */
int p2pbuf_ioctl_free(struct p2pbuf_ioctl_call *call, void *arg)
{
	struct p2pbuf_file *pf = call->ctx;
	struct p2pbuf_free *f = arg;
	struct p2pbuf_buffer *buf;

	if (f->flags || f->reserved)
		return -EINVAL;
	mutex_lock(&pf->lock);
	buf = xa_erase(&pf->buffers, f->handle);
	if (buf)
		pf->nr_buffers--;
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

/* Track @vma in its buffer's list of mappings (for the mapped bytes). */
static void p2pbuf_vma_track(struct p2pbuf_buffer *buf,
			     struct vm_area_struct *vma)
{
	xa_store(&buf->vmas, (unsigned long)vma, vma,
		 GFP_KERNEL | __GFP_NOFAIL);
}

static void p2pbuf_vm_open(struct vm_area_struct *vma)
{
	struct p2pbuf_buffer *buf = vma->vm_private_data;

	p2pbuf_buffer_get(buf);
	p2pbuf_vma_track(buf, vma);
}

static void p2pbuf_vm_close(struct vm_area_struct *vma)
{
	struct p2pbuf_buffer *buf = vma->vm_private_data;

	xa_erase(&buf->vmas, (unsigned long)vma);
	p2pbuf_buffer_put(buf);
}

/* Byte offset in the buffer of the first page of @vma. */
static u64 p2pbuf_vma_offset(struct vm_area_struct *vma)
{
	return (u64)(vma->vm_pgoff & P2PBUF_MMAP_PGOFF_MASK) << PAGE_SHIFT;
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
	WARN_ON_ONCE(1);
	*len = 0;
	return 0;
}

static int p2pbuf_pte_prot(struct vm_area_struct *vma, unsigned long addr,
			   unsigned long pfn, pgprot_t *prot);
static int p2pbuf_vma_populate(struct p2pbuf_buffer *buf,
			       struct vm_area_struct *vma, pgprot_t prot);

/*
 * The 4 KiB fault handler.  Pages reach page tables only here and in the
 * huge fault handler, both under the buffer's revoke_lock, so revocation
 * (which sets the flag under it, then zaps) cannot leave a mapping behind:
 * a revoked buffer answers SIGBUS.  The touched page is inserted with
 * vmf_insert_pfn(), which takes the memory type x86 PAT has for it; with
 * the prefault parameter on (the default) the rest of the mapping is then
 * filled in the same fault with that protection (see p2pbuf_vma_populate()
 * and the README's performance section), except the 2 MiB blocks left to
 * huge PMDs.  Uncached BAR memory is always inserted page by page.
 */
static vm_fault_t p2pbuf_vm_fault(struct vm_fault *vmf)
{
	struct vm_area_struct *vma = vmf->vma;
	struct p2pbuf_buffer *buf = vma->vm_private_data;
	unsigned long addr = vmf->address & PAGE_MASK;
	vm_fault_t ret;
	phys_addr_t phys;
	pgprot_t prot;
	u64 off, len;

	off = p2pbuf_vma_offset(vma) + (addr - vma->vm_start);
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
	ret = vmf_insert_pfn(vma, addr, PHYS_PFN(phys));
	if (ret != VM_FAULT_NOPAGE || !READ_ONCE(prefault) ||
	    buf->cache_mode == P2PBUF_CACHE_UC)
		goto out;
	if (!p2pbuf_pte_prot(vma, addr, PHYS_PFN(phys), &prot))
		p2pbuf_vma_populate(buf, vma, prot);
out:
	up_read(&buf->revoke_lock);
	return ret;
}

/*
 * ->huge_fault: map the 2 MiB block around the address with one special
 * PMD if the VMA covers the whole block, the buffer memory behind it is one
 * physically contiguous, 2 MiB aligned piece, and the huge parameter is on.
 * Otherwise VM_FAULT_FALLBACK sends the core to p2pbuf_vm_fault() for the
 * page.  The core calls it only for a PMD that maps nothing (never over
 * PTEs already there) or to make a read-only PMD writable.  No lock: the
 * buffer's memory does not change while the VMA holds its reference, and
 * vmf_insert_pfn_pmd() takes the PMD lock (two threads faulting the same
 * block both succeed, the second finds the entry in place).  The memory
 * type is the one x86 PAT has for the pfn, as for vmf_insert_pfn().
 * Under revoke_lock, like p2pbuf_vm_fault(): a revoked buffer answers
 * SIGBUS.
 */
static vm_fault_t __maybe_unused p2pbuf_vm_huge_fault(struct vm_fault *vmf,
						      unsigned int order)
{
	struct vm_area_struct *vma = vmf->vma;
	struct p2pbuf_buffer *buf = vma->vm_private_data;
	unsigned long addr = vmf->address & PMD_MASK;
	phys_addr_t phys;
	u64 off, len;

	vm_fault_t ret;

	if (order != P2PBUF_PMD_ORDER || !p2pbuf_huge_enabled())
		return VM_FAULT_FALLBACK;
	if (addr < vma->vm_start || vma->vm_end - addr < PMD_SIZE)
		return VM_FAULT_FALLBACK;
	off = p2pbuf_vma_offset(vma) + (addr - vma->vm_start);
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
 * held (the VMA holds a reference); take one with p2pbuf_buffer_get() to
 * keep it.
 *
 * Return: the buffer, or NULL if @vma is not a p2pbuf mapping.
 */
struct p2pbuf_buffer *p2pbuf_vma_buffer(struct vm_area_struct *vma,
					u64 *offset)
{
	if (vma->vm_ops != &p2pbuf_vm_ops)
		return NULL;
	*offset = p2pbuf_vma_offset(vma);
	return vma->vm_private_data;
}

/**
 * p2pbuf_vma_pte() - the page-table entry behind an address of the
 *	caller's own p2pbuf mappings
 * @addr: a user address of the calling process
 * @pfn: out: the pfn it maps to
 * @prot: out: the entry's protection bits (memory type included), in the
 *	layout of an entry of @size
 * @size: out: bytes the entry maps: PAGE_SIZE, or PMD_SIZE for a huge PMD
 *
 * For the debugfs "pte" file: reads what the MMU will use, through the
 * kernel's page-table walker, not what the driver meant to map.  Takes the
 * mmap lock for reading.
 *
 * Return: 0; -EINVAL if @addr is not in a p2pbuf mapping of the caller;
 * -ENOENT if nothing maps it (yet); -EOPNOTSUPP if the kernel offers no
 * walker to modules (6.10, 6.11); -EINTR if killed while waiting for the
 * lock.
 */
int p2pbuf_vma_pte(unsigned long addr, unsigned long *pfn, pgprot_t *prot,
		   unsigned long *size)
{
	struct mm_struct *mm = current->mm;
	struct vm_area_struct *vma;
	int ret;

	if (!mm)
		return -EINVAL;
	if (mmap_read_lock_killable(mm))
		return -EINTR;
	vma = find_vma(mm, addr);
	if (!vma || vma->vm_start > addr || vma->vm_ops != &p2pbuf_vm_ops) {
		ret = -EINVAL;
	} else {
		ret = p2pbuf_follow_pfnmap(vma, addr, pfn, prot, size);
		if (ret == -EINVAL)
			ret = -ENOENT;
	}
	mmap_read_unlock(mm);
	return ret;
}

static pgprot_t p2pbuf_buffer_prot(struct p2pbuf_buffer *buf, pgprot_t prot)
{
	switch (buf->cache_mode) {
	case P2PBUF_CACHE_WC:
		return pgprot_writecombine(prot);
	case P2PBUF_CACHE_UC:
		return pgprot_noncached(prot);
	default:
		return prot;
	}
}

struct p2pbuf_pte_fill {
	struct mm_struct *mm;
	unsigned long pfn;
	pgprot_t prot;
	bool found;
};

#ifdef CONFIG_X86
/* Read the protection (memory type included) of the entry of @f->pfn. */
static int p2pbuf_pte_read(pte_t *pte, unsigned long addr, void *data)
{
	struct p2pbuf_pte_fill *f = data;
	pte_t val = ptep_get(pte);

	if (pte_present(val) && pte_pfn(val) == f->pfn) {
		f->prot = pte_pgprot(val);
		f->found = true;
	}
	return 0;
}

/* The protection vmf_insert_pfn() gave the page at @addr (pfn @pfn). */
static int p2pbuf_pte_prot(struct vm_area_struct *vma, unsigned long addr,
			   unsigned long pfn, pgprot_t *prot)
{
	struct p2pbuf_pte_fill f = { .pfn = pfn };
	int ret;

	ret = apply_to_page_range(vma->vm_mm, addr, PAGE_SIZE,
				  p2pbuf_pte_read, &f);
	if (ret || !f.found)
		return -EFAULT;
	*prot = f.prot;
	return 0;
}

/* Write a special entry where there is none; keep what is there. */
static int p2pbuf_pte_fill(pte_t *pte, unsigned long addr, void *data)
{
	struct p2pbuf_pte_fill *f = data;

	if (pte_none(ptep_get(pte)))
		set_pte_at(f->mm, addr, pte,
			   pte_mkspecial(pfn_pte(f->pfn, f->prot)));
	f->pfn++;
	return 0;
}

/* Fill [@addr, @addr + @len) with special entries for @phys on. */
static int p2pbuf_vma_fill(struct vm_area_struct *vma, unsigned long addr,
			   phys_addr_t phys, u64 len, pgprot_t prot)
{
	struct p2pbuf_pte_fill f = {
		.mm = vma->vm_mm,
		.pfn = PHYS_PFN(phys),
		.prot = prot,
	};

	if (!len)
		return 0;
	return apply_to_page_range(vma->vm_mm, addr, len, p2pbuf_pte_fill, &f);
}
#else
/* Elsewhere: no protection read-back; pages are inserted one by one. */
static int p2pbuf_pte_prot(struct vm_area_struct *vma, unsigned long addr,
			   unsigned long pfn, pgprot_t *prot)
{
	return -EOPNOTSUPP;
}

static int p2pbuf_vma_fill(struct vm_area_struct *vma, unsigned long addr,
			   phys_addr_t phys, u64 len, pgprot_t prot)
{
	return -EOPNOTSUPP;
}
#endif

/*
 * The 2 MiB blocks of [@addr, @addr + @len) (which maps @phys on) that
 * p2pbuf_vm_huge_fault() will map with PMDs: [return value, *@end).  If
 * there are none (huge PMDs not used, user and physical addresses not
 * congruent modulo 2 MiB, or no whole block), both are @addr + @len.
 */
static unsigned long p2pbuf_huge_blocks(unsigned long addr, phys_addr_t phys,
					u64 len, unsigned long *end)
{
	unsigned long start = ALIGN(addr, PMD_SIZE);

	*end = ALIGN_DOWN(addr + len, PMD_SIZE);
	if (!p2pbuf_huge_enabled() || ((addr ^ phys) & ~PMD_MASK) ||
	    start >= *end) {
		*end = addr + len;
		return addr + len;
	}
	return start;
}

/*
 * Map all of @vma in the fault that touched it first, chunk by chunk, one
 * page-table pass per piece, with the protection (memory type included)
 * x86 PAT gave the touched page: the whole provider range has one memory
 * type (host RAM write-back; prefetchable BARs the write-combining the
 * provider reserved at registration, or uncached-minus if PAT settled on
 * that).  Entries already present are kept, so concurrent faults are
 * harmless.  No remap_pfn_range() here: it is for mmap() time only (it
 * sets VMA flags, which needs the mmap lock for writing), and mmap() must
 * not map anything: a VMA is not yet in the file's mapping tree then, so
 * a revocation racing with it could not zap what it mapped.  The 2 MiB
 * blocks left to the huge fault handler are skipped.  Best effort: what is
 * not filled faults in later.  Called with revoke_lock held for reading.
 */
static int p2pbuf_vma_populate(struct p2pbuf_buffer *buf,
			       struct vm_area_struct *vma, pgprot_t prot)
{
	unsigned long addr = vma->vm_start, hstart, hend;
	u64 off = p2pbuf_vma_offset(vma);
	phys_addr_t phys;
	u64 len;
	int ret;

	while (addr < vma->vm_end) {
		phys = p2pbuf_buffer_phys(buf, off, &len);
		if (!len)
			return -EINVAL;
		len = min_t(u64, len, vma->vm_end - addr);
		hstart = p2pbuf_huge_blocks(addr, phys, len, &hend);
		ret = p2pbuf_vma_fill(vma, addr, phys, hstart - addr, prot);
		if (!ret)
			ret = p2pbuf_vma_fill(vma, hend, phys + (hend - addr),
					      addr + len - hend, prot);
		if (ret)
			return ret;
		addr += len;
		off += len;
	}
	return 0;
}

/**
 * p2pbuf_mmap() - map (part of) a buffer: the file's ->mmap
 * @file: a /dev/p2pbuf file
 * @vma: the new VMA; vm_pgoff is the buffer's mmap offset plus the offset
 *	of the first page to map, in pages
 *
 * Sets the VMA up; pages are mapped by the fault handlers (the first
 * touch maps the whole VMA with the prefault parameter on).
 *
 * Return: 0; -EINVAL for a private mapping, an offset that names no buffer
 * of this file (or a freed one), or a range that does not lie inside the
 * buffer; -ENODEV if the buffer was revoked.
 */
int p2pbuf_mmap(struct file *file, struct vm_area_struct *vma)
{
	struct p2pbuf_file *pf = file->private_data;
	unsigned long id = vma->vm_pgoff >> P2PBUF_MMAP_PGOFF_SHIFT;
	unsigned long first = vma->vm_pgoff & P2PBUF_MMAP_PGOFF_MASK;
	unsigned long npages = vma_pages(vma);
	unsigned long bpages;
	struct p2pbuf_buffer *buf;
	int ret;

	/* Writes must reach the memory, never a private copy. */
	if (!(vma->vm_flags & VM_MAYSHARE))
		return -EINVAL;

	mutex_lock(&pf->lock);
	buf = xa_load(&pf->buffers, id);
	if (buf)
		p2pbuf_buffer_get(buf);
	mutex_unlock(&pf->lock);
	if (!buf)
		return -EINVAL;

	bpages = buf->size >> PAGE_SHIFT;
	if (first >= bpages || npages > bpages - first) {
		ret = -EINVAL;
		goto err_put;
	}

	p2pbuf_vm_flags_set(vma, VM_PFNMAP | VM_IO | VM_DONTEXPAND |
				 VM_DONTDUMP | VM_DONTCOPY);
	/*
	 * Ask for huge mappings as MADV_HUGEPAGE would: some kernels (6.12
	 * among them) call ->huge_fault only when the THP policy is
	 * "always", or "madvise" and the VMA has VM_HUGEPAGE; newer ones
	 * ignore the policy for huge pfn mappings.
	 */
	if (p2pbuf_huge_enabled())
		p2pbuf_vm_flags_set(vma, VM_HUGEPAGE);
	vma->vm_page_prot = p2pbuf_buffer_prot(buf, vma->vm_page_prot);
	vma->vm_private_data = buf;
	if (p2pbuf_buffer_revoked(buf)) {
		ret = -ENODEV;
		goto err_put;
	}
	p2pbuf_vma_track(buf, vma);
	/* Last: from here on vm_ops->close drops the reference taken above. */
	vma->vm_ops = &p2pbuf_vm_ops;
	return 0;

err_put:
	/* The core does not call ->close for a failed mmap(). */
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
