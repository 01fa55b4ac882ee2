dnl struct genl_family.resv_start_op: Linux 6.1, commit 9c5d03d36251
dnl ("genetlink: start to validate reserved header bytes").  Commands from
dnl resv_start_op on get their reserved genl header bytes checked and are
dnl refused attributes when they have no policy.  Older kernels do not
dnl check the reserved bytes; the per-op policies validate either way.
AC_DEFUN([P2PBUF_KERNEL_SRC_GENL_RESV_START_OP], [
	P2PBUF_LINUX_TEST_SRC([genl_resv_start_op], [
#include <net/genetlink.h>
	], [
	static struct genl_family family __attribute__((unused)) = {
		.resv_start_op = 1,
	};
	])
])

AC_DEFUN([P2PBUF_KERNEL_GENL_RESV_START_OP], [
	P2PBUF_LINUX_TEST_RESULT([genl_resv_start_op], [GENL_RESV_START_OP],
		[struct genl_family has resv_start_op (6.1)])
])
