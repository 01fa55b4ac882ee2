dnl User mappings of p2pdma pages that the block layer may pin: GUP's
dnl FOLL_PCI_P2PDMA, Linux 6.2, commit "mm/gup: Allow FOLL_PCI_P2PDMA" (the
dnl series that added the p2pmem/allocate sysfs mapping).  Before it no
dnl get_user_pages() caller accepts P2PDMA pages, so a p2pdma provider would
dnl give mappings nothing can do I/O to: p2pbuf builds the kind only here,
dnl and only with CONFIG_PCI_P2PDMA (pci_alloc_p2pmem() is a stub without).
AC_DEFUN([P2PBUF_KERNEL_SRC_P2PDMA_USER_PAGES], [
	P2PBUF_LINUX_TEST_SRC([p2pdma_user_pages], [
#include <linux/mm.h>
#include <linux/pci-p2pdma.h>
#ifndef CONFIG_PCI_P2PDMA
#error CONFIG_PCI_P2PDMA is not set
#endif
	], [
	unsigned int gup_flags = FOLL_PCI_P2PDMA;
	void *kaddr = pci_alloc_p2pmem(NULL, PAGE_SIZE);

	(void)gup_flags;
	(void)kaddr;
	])
])

AC_DEFUN([P2PBUF_KERNEL_P2PDMA_USER_PAGES], [
	P2PBUF_LINUX_TEST_RESULT([p2pdma_user_pages], [P2PDMA_USER_PAGES],
		[CONFIG_PCI_P2PDMA with FOLL_PCI_P2PDMA (6.2)])
])
