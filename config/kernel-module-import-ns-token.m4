dnl MODULE_IMPORT_NS() takes a bare token before Linux 6.13, a string literal
dnl from 6.13 on, commit cdd30ebb1b9f ("module: Convert symbol namespace to
dnl string literal").  The dma-buf symbols are in namespace DMA_BUF since
dnl 5.16 (commit 16b0314aa746); importing it earlier is harmless.
AC_DEFUN([P2PBUF_KERNEL_SRC_MODULE_IMPORT_NS_TOKEN], [
	P2PBUF_LINUX_TEST_SRC([module_import_ns_token], [
MODULE_IMPORT_NS(DMA_BUF);
	], [
	])
])

AC_DEFUN([P2PBUF_KERNEL_MODULE_IMPORT_NS_TOKEN], [
	P2PBUF_LINUX_TEST_RESULT([module_import_ns_token],
		[MODULE_IMPORT_NS_TOKEN],
		[MODULE_IMPORT_NS() takes a token (before 6.13)])
])
