dnl follow_pfnmap_start()/follow_pfnmap_end(): Linux 6.12, commit
dnl 6da8e9634bb7 ("mm: new follow_pfnmap API"): the pfn and protection of
dnl the entry (PTE or huge PMD/PUD) that maps an address of a VM_IO or
dnl VM_PFNMAP VMA.  It replaced follow_pte() (see FOLLOW_PTE_MM).
AC_DEFUN([P2PBUF_KERNEL_SRC_FOLLOW_PFNMAP], [
	P2PBUF_LINUX_TEST_SRC([follow_pfnmap], [
#include <linux/mm.h>
	], [
	struct follow_pfnmap_args args = { .vma = NULL, .address = 0 };

	if (!follow_pfnmap_start(&args)) {
		(void)args.pfn;
		(void)args.pgprot;
		follow_pfnmap_end(&args);
	}
	])
])

AC_DEFUN([P2PBUF_KERNEL_FOLLOW_PFNMAP], [
	P2PBUF_LINUX_TEST_RESULT([follow_pfnmap], [FOLLOW_PFNMAP],
		[follow_pfnmap_start() exists (6.12)])
])
