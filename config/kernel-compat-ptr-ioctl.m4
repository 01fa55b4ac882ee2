dnl compat_ptr_ioctl(): Linux 5.5,
dnl commit 2952db0fd51b ("compat_ioctl: add compat_ptr_ioctl()").
AC_DEFUN([P2PBUF_KERNEL_SRC_COMPAT_PTR_IOCTL], [
	P2PBUF_LINUX_TEST_SRC([compat_ptr_ioctl], [
#include <linux/fs.h>
	], [
	static const struct file_operations fops __attribute__((unused)) = {
		.compat_ioctl = compat_ptr_ioctl,
	};
	])
])

AC_DEFUN([P2PBUF_KERNEL_COMPAT_PTR_IOCTL], [
	P2PBUF_LINUX_TEST_RESULT([compat_ptr_ioctl], [COMPAT_PTR_IOCTL],
		[compat_ptr_ioctl() exists (5.5)])
])
