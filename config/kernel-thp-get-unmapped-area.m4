dnl thp_get_unmapped_area(): Linux 4.9, commit 74d2fad1334d ("thp,
dnl dax: add thp_get_unmapped_area for pmd mappings"), exported for
dnl modules; a file's ->get_unmapped_area that returns addresses congruent
dnl to the file offset modulo 2 MiB, so that huge PMDs fit.  A function
dnl only with CONFIG_TRANSPARENT_HUGEPAGE; otherwise a NULL macro, which
dnl the assignment below would accept, hence the #error.
AC_DEFUN([P2PBUF_KERNEL_SRC_THP_GET_UNMAPPED_AREA], [
	P2PBUF_LINUX_TEST_SRC([thp_get_unmapped_area], [
#include <linux/fs.h>
#include <linux/mm.h>
#ifdef thp_get_unmapped_area
#error thp_get_unmapped_area is a macro: no THP
#endif
	], [
	unsigned long (*fn)(struct file *, unsigned long, unsigned long,
			    unsigned long, unsigned long) =
		thp_get_unmapped_area;

	(void)fn;
	])
])

AC_DEFUN([P2PBUF_KERNEL_THP_GET_UNMAPPED_AREA], [
	P2PBUF_LINUX_TEST_RESULT([thp_get_unmapped_area],
		[THP_GET_UNMAPPED_AREA],
		[thp_get_unmapped_area() exists (4.9, with THP)])
])
