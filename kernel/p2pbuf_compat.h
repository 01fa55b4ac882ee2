/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * p2pbuf_compat.h - the one place where kernel API differences are handled.
 *
 * configure probes each API (config/kernel-*.m4) and records the result as a
 * HAVE_* define in p2pbuf_kconfig.h, which Kbuild force-includes.  This
 * header turns those defines into p2pbuf_-prefixed wrappers so that the .c
 * files never test kernel versions.
 */
#ifndef _P2PBUF_COMPAT_H
#define _P2PBUF_COMPAT_H

#include <linux/compat.h>
#include <linux/dma-buf.h>
#include <linux/dma-mapping.h>
#include <linux/dma-resv.h>
#include <linux/fs.h>
#include <linux/iommu.h>
#include <linux/mm.h>
#include <linux/pci.h>
#include <linux/uaccess.h>
#include <net/genetlink.h>

/* copy_struct_from_user(): 5.4 (f5a1a536fa14). */
#ifdef HAVE_COPY_STRUCT_FROM_USER
#define p2pbuf_copy_struct_from_user copy_struct_from_user
#else
static inline int p2pbuf_copy_struct_from_user(void *dst, size_t ksize,
					       const void __user *src,
					       size_t usize)
{
	size_t size = min(ksize, usize);
	size_t rest = max(ksize, usize) - size;
	size_t i;

	if (usize < ksize) {
		memset(dst + size, 0, rest);
	} else if (usize > ksize) {
		for (i = 0; i < rest; i++) {
			u8 c;

			if (get_user(c, (const u8 __user *)src + size + i))
				return -EFAULT;
			if (c)
				return -E2BIG;
		}
	}
	if (copy_from_user(dst, src, size))
		return -EFAULT;
	return 0;
}
#endif

/* compat_ptr_ioctl(): 5.5 (2952db0fd51b). */
#ifdef HAVE_COMPAT_PTR_IOCTL
#define p2pbuf_compat_ptr_ioctl compat_ptr_ioctl
#elif defined(CONFIG_COMPAT)
static inline long p2pbuf_compat_ptr_ioctl(struct file *file,
					   unsigned int cmd, unsigned long arg)
{
	if (!file->f_op->unlocked_ioctl)
		return -ENOIOCTLCMD;
	return file->f_op->unlocked_ioctl(file, cmd,
					  (unsigned long)compat_ptr(arg));
}
#else
#define p2pbuf_compat_ptr_ioctl NULL
#endif

/* vm_flags_set(): 6.3 (bc292ab00f6c). */
#ifdef HAVE_VM_FLAGS_SET
#define p2pbuf_vm_flags_set vm_flags_set
#else
static inline void p2pbuf_vm_flags_set(struct vm_area_struct *vma,
				       unsigned long flags)
{
	vma->vm_flags |= flags;
}
#endif

/*
 * Huge pfn mappings: a VM_PFNMAP VMA whose ->huge_fault maps 2 MiB with
 * one special PMD.  Needs special huge PMDs (6.12, HAVE_HUGE_PFNMAP:
 * before them GUP-fast took such a PMD for a THP and could pin the RAM
 * behind it) and the order-style ->huge_fault (6.6, HAVE_HUGE_FAULT_ORDER).
 * p2pbuf_huge_fault_op() fills vm_operations_struct.huge_fault: NULL
 * where huge pfn mappings are not supported (also where the member still
 * takes an enum page_entry_size), so mark the handler __maybe_unused.
 * p2pbuf_get_unmapped_area is the file's ->get_unmapped_area: addresses
 * congruent to the mmap offset modulo 2 MiB, so that PMDs fit (used
 * as is, not wrapped: mremap() knows thp_get_unmapped_area as safe).
 */
#if defined(HAVE_HUGE_PFNMAP) && defined(HAVE_HUGE_FAULT_ORDER) && \
	defined(HAVE_THP_GET_UNMAPPED_AREA)
#define P2PBUF_HAVE_HUGE_PFNMAP true
#define p2pbuf_huge_fault_op(fn) (fn)
#define p2pbuf_get_unmapped_area thp_get_unmapped_area

/* The pfn became an unsigned long with the removal of pfn_t (after 6.12). */
#ifdef HAVE_VMF_INSERT_PFN_PMD_ULONG
static inline vm_fault_t p2pbuf_vmf_insert_pfn_pmd(struct vm_fault *vmf,
						   unsigned long pfn,
						   bool write)
{
	return vmf_insert_pfn_pmd(vmf, pfn, write);
}
#else
#include <linux/pfn_t.h>

static inline vm_fault_t p2pbuf_vmf_insert_pfn_pmd(struct vm_fault *vmf,
						   unsigned long pfn,
						   bool write)
{
	return vmf_insert_pfn_pmd(vmf, __pfn_to_pfn_t(pfn, PFN_DEV), write);
}
#endif
#else
#define P2PBUF_HAVE_HUGE_PFNMAP false
#define p2pbuf_huge_fault_op(fn) NULL
#define p2pbuf_get_unmapped_area NULL

static inline vm_fault_t p2pbuf_vmf_insert_pfn_pmd(struct vm_fault *vmf,
						   unsigned long pfn,
						   bool write)
{
	return VM_FAULT_FALLBACK;
}
#endif

/**
 * p2pbuf_follow_pfnmap() - read the page-table entry mapping @addr
 * @vma: a VM_IO | VM_PFNMAP VMA; the caller holds its mm's mmap lock
 * @addr: an address inside @vma
 * @pfn: out: the pfn @addr maps to
 * @prot: out: the entry's protection bits, as the entry holds them (for a
 *	huge entry with the architecture's large-page layout)
 * @size: out: bytes the entry maps (PAGE_SIZE, or PMD_SIZE for a huge one)
 *
 * follow_pfnmap_start() (6.12) or follow_pte() of the mm (5.12 to 6.9,
 * which never see huge entries in a p2pbuf VMA); not available on
 * 6.10/6.11, whose follow_pte() takes the VMA.
 *
 * Return: 0; -EINVAL if nothing maps @addr; -EOPNOTSUPP without an API.
 */
static inline int p2pbuf_follow_pfnmap(struct vm_area_struct *vma,
				       unsigned long addr, unsigned long *pfn,
				       pgprot_t *prot, unsigned long *size)
{
#if defined(HAVE_FOLLOW_PFNMAP)
	struct follow_pfnmap_args args = { .vma = vma, .address = addr };
	int ret = follow_pfnmap_start(&args);

	if (ret)
		return ret;
	*pfn = args.pfn;
	*prot = args.pgprot;
#ifdef HAVE_FOLLOW_PFNMAP_ADDR_MASK
	*size = ~args.addr_mask + 1;
#else
	/* Before 6.15 only the internal ptep says "not a PTE". */
	*size = args.ptep ? PAGE_SIZE : PMD_SIZE;
#endif
	follow_pfnmap_end(&args);
	return 0;
#elif defined(HAVE_FOLLOW_PTE_MM)
	spinlock_t *ptl; /* the page table's lock, held by follow_pte() */
	pte_t *ptep, pte;
	int ret = follow_pte(vma->vm_mm, addr, &ptep, &ptl);

	if (ret)
		return ret;
	pte = ptep_get(ptep);
	pte_unmap_unlock(ptep, ptl);
	*pfn = pte_pfn(pte);
	*prot = pte_pgprot(pte);
	*size = PAGE_SIZE;
	return 0;
#else
	return -EOPNOTSUPP;
#endif
}

/* Peer-to-peer DMA core: 4.20 (52916982af48), when CONFIG_PCI_P2PDMA=y. */
#ifdef HAVE_PCI_P2PDMA
#define P2PBUF_HAVE_PCI_P2PDMA true
#else
#define P2PBUF_HAVE_PCI_P2PDMA false
#endif

/*
 * Peer-to-peer memory through the host bridge (or an IOMMU), by CPU
 * physical address: dma_map_phys() with DMA_ATTR_MMIO since 6.18 (no
 * struct page, no cache maintenance), dma_map_resource() before.
 */
static inline dma_addr_t p2pbuf_dma_map_mmio(struct device *dev,
					     phys_addr_t phys, size_t size,
					     enum dma_data_direction dir,
					     unsigned long attrs)
{
#ifdef HAVE_DMA_MAP_PHYS_MMIO
	return dma_map_phys(dev, phys, size, dir, attrs | DMA_ATTR_MMIO);
#else
	return dma_map_resource(dev, phys, size, dir, attrs);
#endif
}

static inline void p2pbuf_dma_unmap_mmio(struct device *dev, dma_addr_t addr,
					 size_t size,
					 enum dma_data_direction dir,
					 unsigned long attrs)
{
#ifdef HAVE_DMA_MAP_PHYS_MMIO
	dma_unmap_phys(dev, addr, size, dir, attrs | DMA_ATTR_MMIO);
#else
	dma_unmap_resource(dev, addr, size, dir, attrs);
#endif
}

/*
 * The p2pdma provider: user mappings of P2PDMA pages that get_user_pages()
 * callers may pin (FOLL_PCI_P2PDMA, 6.2), with CONFIG_PCI_P2PDMA.
 */
#ifdef HAVE_P2PDMA_USER_PAGES
#define P2PBUF_HAVE_P2PDMA_PROVIDER true
#else
#define P2PBUF_HAVE_P2PDMA_PROVIDER false
#endif

/*
 * A page fresh from pci_alloc_p2pmem() becomes the caller's: its reference
 * count is 0 since commit b7e282378773 ("mm/mm_init: move p2pdma page
 * refcount initialisation to p2pdma"; p2pmem_alloc_mmap() sets it to 1)
 * and 1 before it (the count an idle ZONE_DEVICE page kept).  Either way
 * the caller then holds the one reference whose put_page() hands the page
 * back to the pool (p2pdma's page_free).  Decided by the count itself, as
 * the change is not visible to a compile test.
 */
static inline void p2pbuf_p2pmem_page_own(struct page *page)
{
	if (!page_ref_count(page))
		set_page_count(page, 1);
}

/*
 * A driver that manages its device's DMA itself (vfio-pci):
 * pci_driver.driver_managed_dma, 5.19 (512881eacfa7).  Before it VFIO is
 * recognised by its domain only (p2pbuf_iommu_domain_is_dma_api()), once
 * its user attached one.  (iommu_group_dma_owner_claimed() of the same
 * series does not tell a user from the kernel: every bound DMA-API driver
 * counts as an owner.)
 */
static inline bool p2pbuf_driver_managed_dma(struct pci_driver *drv)
{
#ifdef HAVE_DRIVER_MANAGED_DMA
	return drv->driver_managed_dma;
#else
	return false;
#endif
}

/*
 * Whether @domain is one the DMA API maps through: a DMA domain (strict,
 * or with a flush queue, IOMMU_DOMAIN_DMA_FQ since 5.15) or the
 * identity (passthrough) domain.  Unmanaged (VFIO type1, iommufd), blocking
 * and nested domains belong to someone else.
 */
static inline bool p2pbuf_iommu_domain_is_dma_api(struct iommu_domain *domain)
{
	switch (domain->type) {
	case IOMMU_DOMAIN_DMA:
#ifdef IOMMU_DOMAIN_DMA_FQ
	case IOMMU_DOMAIN_DMA_FQ:
#endif
	case IOMMU_DOMAIN_IDENTITY:
		return true;
	default:
		return false;
	}
}

/* genl_family.resv_start_op: 6.1 (9c5d03d36251). */
static inline void p2pbuf_genl_set_resv_start_op(struct genl_family *family,
						 u8 op)
{
#ifdef HAVE_GENL_RESV_START_OP
	family->resv_start_op = op;
#endif
}

/* NL_SET_ERR_ATTR_MISS(): 6.0; before it, the extack message only. */
static inline void p2pbuf_nl_set_err_attr_miss(struct netlink_ext_ack *extack,
					       int type)
{
#ifdef HAVE_NL_SET_ERR_ATTR_MISS
	NL_SET_ERR_ATTR_MISS(extack, NULL, type);
#endif
}

/*
 * Telling dynamic dma-buf importers that their mappings are going away:
 * dma_buf_invalidate_mappings() and the importer's .invalidate_mappings,
 * 7.1 (95308225e5ba); dma_buf_move_notify() and .move_notify before.
 */
#ifdef HAVE_DMA_BUF_INVALIDATE_MAPPINGS
#define p2pbuf_dma_buf_invalidate(dmabuf) dma_buf_invalidate_mappings(dmabuf)
#define P2PBUF_ATTACH_OPS_INVALIDATE invalidate_mappings
/* Dynamic importers are always told, never pinned before a map. */
#define P2PBUF_DMA_BUF_NOTIFIES true
#else
#define p2pbuf_dma_buf_invalidate(dmabuf) dma_buf_move_notify(dmabuf)
#define P2PBUF_ATTACH_OPS_INVALIDATE move_notify
/* Without it the core pins a dynamic exporter before every map. */
#define P2PBUF_DMA_BUF_NOTIFIES IS_ENABLED(CONFIG_DMABUF_MOVE_NOTIFY)
#endif

/*
 * Whether an importer is told when its mappings must go: it has importer
 * operations with the callback (mandatory for dynamic importers before
 * 7.1, optional since; dma_buf_attachment_is_dynamic() is gone in 7.x).
 */
static inline bool
p2pbuf_dma_buf_attach_notified(struct dma_buf_attachment *attach)
{
	return attach->importer_ops &&
	       attach->importer_ops->P2PBUF_ATTACH_OPS_INVALIDATE;
}

/*
 * Wait for every fence of a reservation object (importers' DMA still in
 * flight after they were told): DMA_RESV_USAGE_BOOKKEEP since 5.19, the
 * bool wait_all form in 5.15 to 5.18, dma_resv_wait_timeout_rcu() before.
 */
static inline void p2pbuf_dma_resv_wait_all(struct dma_resv *resv)
{
#if defined(HAVE_DMA_RESV_USAGE)
	dma_resv_wait_timeout(resv, DMA_RESV_USAGE_BOOKKEEP, false,
			      MAX_SCHEDULE_TIMEOUT);
#elif defined(HAVE_DMA_RESV_WAIT_TIMEOUT_BOOL)
	dma_resv_wait_timeout(resv, true, false, MAX_SCHEDULE_TIMEOUT);
#else
	dma_resv_wait_timeout_rcu(resv, true, false, MAX_SCHEDULE_TIMEOUT);
#endif
}

/* MODULE_IMPORT_NS(): a token before 6.13, a string since (cdd30ebb1b9f). */
#ifdef HAVE_MODULE_IMPORT_NS_TOKEN
#define P2PBUF_MODULE_IMPORT_NS_DMA_BUF() MODULE_IMPORT_NS(DMA_BUF)
#else
#define P2PBUF_MODULE_IMPORT_NS_DMA_BUF() MODULE_IMPORT_NS("DMA_BUF")
#endif

#endif /* _P2PBUF_COMPAT_H */
