dnl Split-safe memory-type tracking of VM_PFNMAP mappings: Linux 6.16,
dnl commit f8e97613fed2 ("mm: convert VM_PFNMAP tracking to pfnmap_track()
dnl + pfnmap_untrack()").  A remap_pfn_range() of a whole VMA reserves the
dnl memory type (x86 PAT) in a refcounted context that the pieces of a
dnl split share, so partial munmap()/mprotect() are safe.  Before it, the
dnl reservation was tied to the VMA (VM_PAT) and a split freed ranges that
dnl were never reserved.  pfnmap_track() comes with the same series
dnl (commit db44863a4d9d, same release) and is declared on every
dnl architecture from then on, so it names the rework.
AC_DEFUN([P2PBUF_KERNEL_SRC_PFNMAP_TRACK], [
	P2PBUF_LINUX_TEST_SRC([pfnmap_track], [
#include <linux/mm.h>
#include <linux/pgtable.h>
	], [
	int (*track)(unsigned long, unsigned long, pgprot_t *) = pfnmap_track;

	(void)track;
	])
])

AC_DEFUN([P2PBUF_KERNEL_PFNMAP_TRACK], [
	P2PBUF_LINUX_TEST_RESULT([pfnmap_track], [PFNMAP_TRACK],
		[split-safe VM_PFNMAP memtype tracking, pfnmap_track() (6.16)])
])
