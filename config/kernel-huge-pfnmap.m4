dnl Huge pfn mappings: special PMDs, Linux 6.12, commit 6857be5fecae
dnl ("mm: introduce ARCH_SUPPORTS_HUGE_PFNMAP and special bits to pmd/pud")
dnl and the rest of that series (gup-fast refuses special PMDs, fork and
dnl zap know them, THP orders for PFNMAP VMAs).  Before it a PMD in a
dnl VM_PFNMAP VMA was taken for a THP by GUP-fast, which could pin the
dnl struct page behind a RAM buffer: huge pfn mappings are used only with
dnl it.  pmd_special() has a stub on configurations without the option, so
dnl the probe requires the option too (x86-64 selects it with THP).
AC_DEFUN([P2PBUF_KERNEL_SRC_HUGE_PFNMAP], [
	P2PBUF_LINUX_TEST_SRC([huge_pfnmap], [
#include <linux/mm.h>
#ifndef CONFIG_ARCH_SUPPORTS_PMD_PFNMAP
#error CONFIG_ARCH_SUPPORTS_PMD_PFNMAP is not set
#endif
	], [
	pmd_t pmd = pmd_mkspecial(__pmd(0));

	(void)pmd_special(pmd);
	])
])

AC_DEFUN([P2PBUF_KERNEL_HUGE_PFNMAP], [
	P2PBUF_LINUX_TEST_RESULT([huge_pfnmap], [HUGE_PFNMAP],
		[special huge PMDs, CONFIG_ARCH_SUPPORTS_PMD_PFNMAP (6.12)])
])
