dnl copy_struct_from_user(): Linux 5.4,
dnl commit f5a1a536fa14 ("lib: introduce copy_struct_from_user() helper").
dnl Older kernels (and enterprise kernels without the backport) get the
dnl fallback in kernel/p2pbuf_compat.h.
AC_DEFUN([P2PBUF_KERNEL_SRC_COPY_STRUCT_FROM_USER], [
	P2PBUF_LINUX_TEST_SRC([copy_struct_from_user], [
#include <linux/uaccess.h>
	], [
	u64 dst = 0;
	int ret;

	ret = copy_struct_from_user(&dst, sizeof(dst), NULL, 4);
	(void)ret;
	])
])

AC_DEFUN([P2PBUF_KERNEL_COPY_STRUCT_FROM_USER], [
	P2PBUF_LINUX_TEST_RESULT([copy_struct_from_user], [COPY_STRUCT_FROM_USER],
		[copy_struct_from_user() exists (5.4)])
])
