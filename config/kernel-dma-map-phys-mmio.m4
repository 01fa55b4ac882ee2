dnl DMA mapping of MMIO by physical address: dma_map_phys()/dma_unmap_phys()
dnl with DMA_ATTR_MMIO, Linux 6.18 (commits "dma-mapping: introduce new DMA
dnl attribute to indicate MMIO memory" and "dma-mapping: export new
dnl dma_*map_phys() interface"), the replacement for dma_map_resource() on
dnl peer-to-peer memory.  Before it p2pbuf keeps dma_map_resource().
AC_DEFUN([P2PBUF_KERNEL_SRC_DMA_MAP_PHYS_MMIO], [
	P2PBUF_LINUX_TEST_SRC([dma_map_phys_mmio], [
#include <linux/dma-mapping.h>
	], [
	dma_addr_t a = dma_map_phys(NULL, 0, PAGE_SIZE, DMA_BIDIRECTIONAL,
				    DMA_ATTR_MMIO);

	dma_unmap_phys(NULL, a, PAGE_SIZE, DMA_BIDIRECTIONAL, DMA_ATTR_MMIO);
	])
])

AC_DEFUN([P2PBUF_KERNEL_DMA_MAP_PHYS_MMIO], [
	P2PBUF_LINUX_TEST_RESULT([dma_map_phys_mmio], [DMA_MAP_PHYS_MMIO],
		[dma_map_phys() with DMA_ATTR_MMIO (6.18)])
])
