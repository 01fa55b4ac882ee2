dnl enum dma_resv_usage and dma_resv_wait_timeout(obj, usage, intr, timeout):
dnl Linux 5.19, commit "dma-buf: add enum dma_resv_usage v4".  Before it,
dnl dma_resv_wait_timeout(obj, wait_all, intr, timeout) (5.15, commit
dnl "dma-buf: drop the _rcu postfix on function names v3"), and before that
dnl dma_resv_wait_timeout_rcu() with the same arguments.
AC_DEFUN([P2PBUF_KERNEL_SRC_DMA_RESV_USAGE], [
	P2PBUF_LINUX_TEST_SRC([dma_resv_usage], [
#include <linux/dma-resv.h>
	], [
	dma_resv_wait_timeout(NULL, DMA_RESV_USAGE_BOOKKEEP, false, 1);
	])
	P2PBUF_LINUX_TEST_SRC([dma_resv_wait_timeout], [
#include <linux/dma-resv.h>
	], [
	long (*fn)(struct dma_resv *, bool, bool, unsigned long) =
		dma_resv_wait_timeout;

	(void)fn;
	])
])

AC_DEFUN([P2PBUF_KERNEL_DMA_RESV_USAGE], [
	P2PBUF_LINUX_TEST_RESULT([dma_resv_usage], [DMA_RESV_USAGE],
		[enum dma_resv_usage (5.19)])
	P2PBUF_LINUX_TEST_RESULT([dma_resv_wait_timeout], [DMA_RESV_WAIT_TIMEOUT_BOOL],
		[dma_resv_wait_timeout() with a bool wait_all (5.15 to 5.18)])
])
