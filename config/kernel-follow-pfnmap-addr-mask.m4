dnl struct follow_pfnmap_args.addr_mask: Linux 6.15, from Alex
dnl Williamson's 2025 series for vfio DMA mappings of huge pfnmaps ("mm:
dnl Provide address mask in struct follow_pfnmap_args"): says which
dnl address range the entry found covers (PAGE_MASK, PMD_MASK, PUD_MASK).
dnl Before, only the (internal) args.ptep tells a PTE from a huge entry.
AC_DEFUN([P2PBUF_KERNEL_SRC_FOLLOW_PFNMAP_ADDR_MASK], [
	P2PBUF_LINUX_TEST_SRC([follow_pfnmap_addr_mask], [
#include <linux/mm.h>
	], [
	struct follow_pfnmap_args args = { .vma = NULL, .address = 0 };

	(void)args.addr_mask;
	])
])

AC_DEFUN([P2PBUF_KERNEL_FOLLOW_PFNMAP_ADDR_MASK], [
	P2PBUF_LINUX_TEST_RESULT([follow_pfnmap_addr_mask],
		[FOLLOW_PFNMAP_ADDR_MASK],
		[struct follow_pfnmap_args has addr_mask (6.15)])
])
