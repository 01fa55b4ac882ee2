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

static void p2pbuf_buffer_release(struct kref *ref)
{
	struct p2pbuf_buffer *buf = container_of(ref, struct p2pbuf_buffer,
						 ref);

	p2pbuf_provider_free(buf->prov, &buf->ext);
	p2pbuf_buffer_uncharge(buf);
	ida_free(&p2pbuf_buffer_ida, buf->id);
	p2pbuf_provider_put(buf->prov);
	kfree(buf);
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
	ret = xa_insert(&pf->buffers, buf->id, buf, GFP_KERNEL);
	if (ret)
		goto err_free_mem;
	pf->nr_buffers++;
	mutex_unlock(&pf->lock);
	return 0;

err_free_mem:
	p2pbuf_provider_free(prov, &buf->ext);
err_free_id:
	ida_free(&p2pbuf_buffer_ida, buf->id);
err_uncharge:
	p2pbuf_buffer_uncharge(buf);
err_unlock:
	mutex_unlock(&pf->lock);
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

static void p2pbuf_vm_open(struct vm_area_struct *vma)
{
	p2pbuf_buffer_get(vma->vm_private_data);
}

static void p2pbuf_vm_close(struct vm_area_struct *vma)
{
	p2pbuf_buffer_put(vma->vm_private_data);
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

/*
 * With prefault off, maps the touched page.  With prefault on, every page
 * outside the blocks left to huge PMDs was mapped in mmap(), and this runs
 * for a page of such a block whose huge fault fell back (or was never
 * tried: THP policy "never" on kernels that apply it), or if something
 * zapped the range (a split of a huge PMD, revocation); the page is mapped
 * again (a revoked buffer will answer SIGBUS here).
 */
static vm_fault_t p2pbuf_vm_fault(struct vm_fault *vmf)
{
	struct vm_area_struct *vma = vmf->vma;
	struct p2pbuf_buffer *buf = vma->vm_private_data;
	u64 off, len;
	phys_addr_t phys;

	off = p2pbuf_vma_offset(vma) +
	      ((u64)(vmf->address - vma->vm_start) & PAGE_MASK);
	if (off >= buf->size)
		return VM_FAULT_SIGBUS;
	phys = p2pbuf_buffer_phys(buf, off, &len);
	if (!len)
		return VM_FAULT_SIGBUS;
	return vmf_insert_pfn(vma, vmf->address & PAGE_MASK, PHYS_PFN(phys));
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
 * Revocation, when it comes, must refuse here as in p2pbuf_vm_fault().
 */
static vm_fault_t __maybe_unused p2pbuf_vm_huge_fault(struct vm_fault *vmf,
						      unsigned int order)
{
	struct vm_area_struct *vma = vmf->vma;
	struct p2pbuf_buffer *buf = vma->vm_private_data;
	unsigned long addr = vmf->address & PMD_MASK;
	phys_addr_t phys;
	u64 off, len;

	if (order != P2PBUF_PMD_ORDER || !p2pbuf_huge_enabled())
		return VM_FAULT_FALLBACK;
	if (addr < vma->vm_start || vma->vm_end - addr < PMD_SIZE)
		return VM_FAULT_FALLBACK;
	off = p2pbuf_vma_offset(vma) + (addr - vma->vm_start);
	if (off >= buf->size)
		return VM_FAULT_SIGBUS;
	phys = p2pbuf_buffer_phys(buf, off, &len);
	if (len < PMD_SIZE || !IS_ALIGNED(phys, PMD_SIZE))
		return VM_FAULT_FALLBACK;
	return p2pbuf_vmf_insert_pfn_pmd(vmf, PHYS_PFN(phys),
					 vmf->flags & FAULT_FLAG_WRITE);
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
};

#ifdef CONFIG_X86
/* Take the protection (memory type included) of an existing entry. */
static int p2pbuf_pte_read(pte_t *pte, unsigned long addr, void *data)
{
	struct p2pbuf_pte_fill *f = data;
	pte_t val = ptep_get(pte);

	if (WARN_ON_ONCE(!pte_present(val) || pte_pfn(val) != f->pfn))
		return -EFAULT;
	f->prot = pte_pgprot(val);
	f->pfn++;
	return 0;
}

static int p2pbuf_pte_fill(pte_t *pte, unsigned long addr, void *data)
{
	struct p2pbuf_pte_fill *f = data;

	if (WARN_ON_ONCE(!pte_none(ptep_get(pte))))
		return -EBUSY;
	set_pte_at(f->mm, addr, pte,
		   pte_mkspecial(pfn_pte(f->pfn++, f->prot)));
	return 0;
}

/*
 * Write-combined BAR memory before Linux 6.16: the first page goes in with
 * vmf_insert_pfn(), which takes the memory type x86 PAT has for it (the
 * provider reserved write-combining for its whole range when it was
 * registered and keeps it while any buffer exists; PAT may have settled
 * on uncached-minus if the BAR was already mapped so, e.g. through sysfs
 * resource2).  The rest gets special entries with that same protection,
 * written in one apply_to_page_range() pass: no per-page lookup, and no
 * per-VMA reservation (VM_PAT), so splits need no care.
 */
static int p2pbuf_vma_fill_wc(struct vm_area_struct *vma, unsigned long addr,
			      phys_addr_t phys, u64 len)
{
	struct p2pbuf_pte_fill fill = {
		.mm = vma->vm_mm,
		.pfn = PHYS_PFN(phys),
	};
	vm_fault_t vmf;
	int ret;

	vmf = vmf_insert_pfn(vma, addr, fill.pfn);
	if (vmf != VM_FAULT_NOPAGE)
		return vmf == VM_FAULT_OOM ? -ENOMEM : -EFAULT;
	ret = apply_to_page_range(vma->vm_mm, addr, PAGE_SIZE,
				  p2pbuf_pte_read, &fill);
	if (ret || len == PAGE_SIZE)
		return ret;
	return apply_to_page_range(vma->vm_mm, addr + PAGE_SIZE,
				   len - PAGE_SIZE, p2pbuf_pte_fill, &fill);
}
#endif

/*
 * Device memory.  A remap_pfn_range() that covers the whole VMA makes x86
 * PAT reserve the memory type for that VMA; before Linux 6.16 (see
 * P2PBUF_HAVE_SPLIT_SAFE_PFNMAP) the reservation was tied to the VMA
 * (VM_PAT) and a split of it (partial munmap(), mprotect()) freed ranges
 * that were never reserved and leaked the real one.  On 6.16+ the whole-VMA
 * remap is split-safe and is used when the range is the whole VMA.
 *
 * Otherwise (before 6.16, or a range that is only part of the VMA because
 * huge blocks are left to p2pbuf_vm_huge_fault()), a remap of only part of
 * a VMA, or vmf_insert_pfn(), reserves nothing and looks the memory type
 * up page by page, which is what makes them slow (~1.3 us per page in the
 * rig, README).  Write-combined memory is filled in one pass
 * (p2pbuf_vma_fill_wc(), the way i915's remap_io_mapping() fills its
 * aperture).  Uncached BAR memory has no provider-wide reservation and
 * keeps the looked-up path: for a whole VMA its first page alone, then a
 * remap of the rest, which is then not the whole VMA.
 */
static int p2pbuf_vma_remap_devmem(struct p2pbuf_buffer *buf,
				   struct vm_area_struct *vma,
				   unsigned long addr, phys_addr_t phys,
				   u64 len)
{
	bool whole = addr == vma->vm_start && addr + len == vma->vm_end;
	vm_fault_t vmf;

	if (P2PBUF_HAVE_SPLIT_SAFE_PFNMAP && whole)
		return remap_pfn_range(vma, addr, PHYS_PFN(phys), len,
				       vma->vm_page_prot);
#ifdef CONFIG_X86
	if (buf->cache_mode == P2PBUF_CACHE_WC)
		return p2pbuf_vma_fill_wc(vma, addr, phys, len);
#endif
	if (whole) {
		vmf = vmf_insert_pfn(vma, addr, PHYS_PFN(phys));
		if (vmf != VM_FAULT_NOPAGE)
			return vmf == VM_FAULT_OOM ? -ENOMEM : -EFAULT;
		addr += PAGE_SIZE;
		phys += PAGE_SIZE;
		len -= PAGE_SIZE;
		if (!len)
			return 0;
	}
	return remap_pfn_range(vma, addr, PHYS_PFN(phys), len,
			       vma->vm_page_prot);
}

/*
 * Map [@addr, @addr + @len) of @vma to @phys on.  Host RAM (write-back,
 * which x86 PAT never reserves, so a split is harmless) goes straight
 * through remap_pfn_range().
 */
static int p2pbuf_vma_map_range(struct p2pbuf_buffer *buf,
				struct vm_area_struct *vma, unsigned long addr,
				phys_addr_t phys, u64 len)
{
	if (!len)
		return 0;
	if (buf->prov->devmem)
		return p2pbuf_vma_remap_devmem(buf, vma, addr, phys, len);
	return remap_pfn_range(vma, addr, PHYS_PFN(phys), len,
			       vma->vm_page_prot);
}

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
 * Map all of @vma now, chunk by chunk, one page-table pass per piece,
 * except the 2 MiB blocks left to the huge fault handler.
 */
static int p2pbuf_vma_populate(struct p2pbuf_buffer *buf,
			       struct vm_area_struct *vma)
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
		ret = p2pbuf_vma_map_range(buf, vma, addr, phys,
					   hstart - addr);
		if (!ret)
			ret = p2pbuf_vma_map_range(buf, vma, hend,
						   phys + (hend - addr),
						   addr + len - hend);
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
 * Return: 0; -EINVAL for a private mapping, an offset that names no buffer
 * of this file (or a freed one), or a range that does not lie inside the
 * buffer; -ENOMEM (or another error of remap_pfn_range()) if populating
 * failed.
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
	if (READ_ONCE(prefault)) {
		ret = p2pbuf_vma_populate(buf, vma);
		if (ret)
			goto err_put;
	}
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
	ida_destroy(&p2pbuf_buffer_ida);
}
