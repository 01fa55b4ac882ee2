dnl PCI peer-to-peer DMA support: pci_p2pdma_distance(), Linux 4.20,
dnl commit 52916982af48 ("PCI/P2PDMA: Support peer-to-peer memory").
dnl The API is declared on every kernel since, but only a kernel built with
dnl CONFIG_PCI_P2PDMA implements it (otherwise it is a stub returning -1),
dnl so the probe requires both the declaration and the option.
AC_DEFUN([P2PBUF_KERNEL_SRC_PCI_P2PDMA], [
	P2PBUF_LINUX_TEST_SRC([pci_p2pdma], [
#include <linux/pci-p2pdma.h>
#ifndef CONFIG_PCI_P2PDMA
#error CONFIG_PCI_P2PDMA is not set
#endif
	], [
	struct pci_dev *provider = NULL;
	struct device *client = NULL;
	int dist;

	dist = pci_p2pdma_distance(provider, client, true);
	(void)dist;
	])
])

AC_DEFUN([P2PBUF_KERNEL_PCI_P2PDMA], [
	P2PBUF_LINUX_TEST_RESULT([pci_p2pdma], [PCI_P2PDMA],
		[CONFIG_PCI_P2PDMA with pci_p2pdma_distance() (4.20)])
])
