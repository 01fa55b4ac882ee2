dnl dma_buf_invalidate_mappings() and dma_buf_attach_ops.invalidate_mappings:
dnl Linux 7.1, commit 95308225e5ba ("dma-buf: Rename dma_buf_move_notify() to
dnl dma_buf_invalidate_mappings()").  Before it: dma_buf_move_notify() and
dnl .move_notify (5.7, commit bb42df4662a4), same semantics.
AC_DEFUN([P2PBUF_KERNEL_SRC_DMA_BUF_INVALIDATE_MAPPINGS], [
	P2PBUF_LINUX_TEST_SRC([dma_buf_invalidate_mappings], [
#include <linux/dma-buf.h>
MODULE_IMPORT_NS("DMA_BUF");
	], [
	struct dma_buf_attach_ops ops = { .invalidate_mappings = NULL };

	(void)ops;
	dma_buf_invalidate_mappings(NULL);
	])
])

AC_DEFUN([P2PBUF_KERNEL_DMA_BUF_INVALIDATE_MAPPINGS], [
	P2PBUF_LINUX_TEST_RESULT([dma_buf_invalidate_mappings],
		[DMA_BUF_INVALIDATE_MAPPINGS],
		[dma_buf_invalidate_mappings() (7.1)])
])
