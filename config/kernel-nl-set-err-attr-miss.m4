dnl NL_SET_ERR_ATTR_MISS(): Linux 6.0, "netlink: add support for ext_ack
dnl missing attributes" (the NLMSGERR_ATTR_MISS_TYPE extack attribute).
dnl Older kernels report a missing attribute by message only.
AC_DEFUN([P2PBUF_KERNEL_SRC_NL_SET_ERR_ATTR_MISS], [
	P2PBUF_LINUX_TEST_SRC([nl_set_err_attr_miss], [
#include <linux/netlink.h>
	], [
	struct netlink_ext_ack *extack = NULL;

	NL_SET_ERR_ATTR_MISS(extack, NULL, 1);
	])
])

AC_DEFUN([P2PBUF_KERNEL_NL_SET_ERR_ATTR_MISS], [
	P2PBUF_LINUX_TEST_RESULT([nl_set_err_attr_miss], [NL_SET_ERR_ATTR_MISS],
		[NL_SET_ERR_ATTR_MISS() exists (6.0)])
])
