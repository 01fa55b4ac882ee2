dnl struct pci_driver.driver_managed_dma: Linux 5.19, commit 512881eacfa7
dnl ("bus: platform,amba,fsl-mc,PCI: Add device DMA ownership management").
dnl A driver that sets it (vfio-pci and its variants) manages the device's
dnl DMA itself: the DMA API's default domain may be replaced by a VFIO or
dnl iommufd user's at any time, so p2pbuf must not map for such a device.
AC_DEFUN([P2PBUF_KERNEL_SRC_DRIVER_MANAGED_DMA], [
	P2PBUF_LINUX_TEST_SRC([driver_managed_dma], [
#include <linux/pci.h>
	], [
	struct pci_driver drv = { .driver_managed_dma = true };

	(void)drv;
	])
])

AC_DEFUN([P2PBUF_KERNEL_DRIVER_MANAGED_DMA], [
	P2PBUF_LINUX_TEST_RESULT([driver_managed_dma], [DRIVER_MANAGED_DMA],
		[struct pci_driver has driver_managed_dma (5.19)])
])
