// SPDX-License-Identifier: GPL-2.0-only
/*
 * p2pbuf_revoke.c - device removal and driver unbind.
 *
 * Device memory can disappear: the provider's device is hot-unplugged,
 * removed through sysfs, or loses its driver (which may reset it).  A PCI
 * bus notifier sees that before the device goes, and p2pbuf revokes what
 * depends on it, in the kernel, before telling userspace:
 *
 *  - a provider device: the provider leaves the registry and every buffer
 *    of it is revoked (CPU mappings zapped: later access gets SIGBUS; its
 *    dma-sgls revoked: pollers woken, event sent, then the DMA unmapped;
 *    then the memory is returned), as PROVIDER_DEL with force does;
 *  - a target device: every dma-sgl made for it is revoked.
 *
 * A device being removed is remembered from BUS_NOTIFY_DEL_DEVICE until
 * BUS_NOTIFY_REMOVED_DEVICE, so that a P2PBUF_IOC_MAP racing with the
 * removal (it took its reference on the device before) notices it after
 * publishing its dma-sgl (p2pbuf_device_gone()).
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/device.h>
#include <linux/mutex.h>
#include <linux/notifier.h>
#include <linux/pci.h>
#include <linux/xarray.h>

#include "p2pbuf.h"

/* Devices between DEL_DEVICE and REMOVED_DEVICE: pci_dev pointer -> 1. */
static DEFINE_XARRAY(p2pbuf_gone_devs);

/**
 * p2pbuf_device_gone() - whether a device is being or has been removed
 * @pdev: a device the caller holds a reference to
 *
 * Return: true from the moment p2pbuf's bus notifier saw its removal.
 */
bool p2pbuf_device_gone(struct pci_dev *pdev)
{
	return xa_load(&p2pbuf_gone_devs, (unsigned long)pdev) ||
	       !device_is_registered(&pdev->dev);
}

static void p2pbuf_device_revoke(struct pci_dev *pdev, bool removed)
{
	unsigned int n;

	n = p2pbuf_providers_revoke_device(pdev, removed ?
				P2PBUF_NL_REVOKE_DEVICE_REMOVED :
				P2PBUF_NL_REVOKE_DRIVER_UNBOUND);
	n += p2pbuf_sgls_revoke_target(pdev, removed ?
				P2PBUF_NL_REVOKE_TARGET_REMOVED :
				P2PBUF_NL_REVOKE_TARGET_UNBOUND);
	if (n)
		p2pbuf_nl_notify_device(pdev, removed ?
					P2PBUF_NL_REVOKE_DEVICE_REMOVED :
					P2PBUF_NL_REVOKE_DRIVER_UNBOUND);
}

static int p2pbuf_pci_notify(struct notifier_block *nb, unsigned long action,
			     void *data)
{
	struct pci_dev *pdev = to_pci_dev(data);

	switch (action) {
	case BUS_NOTIFY_DEL_DEVICE:
		/* Marked first: a racing MAP either is found or sees this. */
		xa_store(&p2pbuf_gone_devs, (unsigned long)pdev, xa_mk_value(1),
			 GFP_KERNEL);
		p2pbuf_device_revoke(pdev, true);
		break;
	case BUS_NOTIFY_REMOVED_DEVICE:
		xa_erase(&p2pbuf_gone_devs, (unsigned long)pdev);
		break;
	case BUS_NOTIFY_UNBIND_DRIVER:
		p2pbuf_device_revoke(pdev, false);
		break;
	default:
		break;
	}
	return NOTIFY_OK;
}

static struct notifier_block p2pbuf_pci_nb = {
	.notifier_call = p2pbuf_pci_notify,
};

/**
 * p2pbuf_revoke_init() - start watching PCI devices
 *
 * Return: 0 or the error of bus_register_notifier().
 */
int p2pbuf_revoke_init(void)
{
	return bus_register_notifier(&pci_bus_type, &p2pbuf_pci_nb);
}

/**
 * p2pbuf_revoke_exit() - stop watching; no buffer or sgl exists any more
 */
void p2pbuf_revoke_exit(void)
{
	bus_unregister_notifier(&pci_bus_type, &p2pbuf_pci_nb);
	xa_destroy(&p2pbuf_gone_devs);
}
