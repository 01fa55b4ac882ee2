dnl follow_pte(mm, address, &ptep, &ptl), exported for modules: Linux
dnl 5.12, commit 9fd6dad1261a ("mm: provide a saner PTE walking API for
dnl modules"), backported to 5.4.y and 5.10.y.  6.10 changed the first
dnl argument to the VMA and 6.12 replaced it with follow_pfnmap_start()
dnl (FOLLOW_PFNMAP); only this form is used (5.10 to 6.9).
AC_DEFUN([P2PBUF_KERNEL_SRC_FOLLOW_PTE_MM], [
	P2PBUF_LINUX_TEST_SRC([follow_pte_mm], [
#include <linux/mm.h>
	], [
	struct mm_struct *mm = NULL;
	spinlock_t *ptl;
	pte_t *ptep;

	if (!follow_pte(mm, 0, &ptep, &ptl))
		pte_unmap_unlock(ptep, ptl);
	])
])

AC_DEFUN([P2PBUF_KERNEL_FOLLOW_PTE_MM], [
	P2PBUF_LINUX_TEST_RESULT([follow_pte_mm], [FOLLOW_PTE_MM],
		[follow_pte() takes an mm (5.12 to 6.9)])
])
