dnl vmf_insert_pfn_pmd(vmf, unsigned long pfn, write): the removal of
dnl pfn_t (Alistair Popple's "mm: remove pfn_t type" series, 2025, after
dnl 6.12).  Before it (4.14 to the 6.1x kernels) the pfn was a pfn_t, built
dnl with __pfn_to_pfn_t(pfn, PFN_DEV) for device memory as vfio-pci does.
AC_DEFUN([P2PBUF_KERNEL_SRC_VMF_INSERT_PFN_PMD_ULONG], [
	P2PBUF_LINUX_TEST_SRC([vmf_insert_pfn_pmd_ulong], [
#include <linux/mm.h>
	], [
	vm_fault_t (*fn)(struct vm_fault *, unsigned long, bool) =
		vmf_insert_pfn_pmd;

	(void)fn;
	])
])

AC_DEFUN([P2PBUF_KERNEL_VMF_INSERT_PFN_PMD_ULONG], [
	P2PBUF_LINUX_TEST_RESULT([vmf_insert_pfn_pmd_ulong],
		[VMF_INSERT_PFN_PMD_ULONG],
		[vmf_insert_pfn_pmd() takes an unsigned long pfn (pfn_t removal)])
])
