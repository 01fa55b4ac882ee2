// SPDX-License-Identifier: GPL-2.0-only
/*
 * p2pbuf_revoke.c - revocation: the order of p2pbuf(4)'s "Lifetime and
 * revocation", written once, and what starts it from the device side.
 *
 * Revoking a buffer (p2pbuf_revoke_buffer()), always in this order:
 *
 *  1. mark it revoked: no fault handler maps it any more, no mmap() or MAP
 *     takes it, its consumer list is closed;
 *  2. zap every CPU mapping of it, in every process (later access gets
 *     SIGBUS), and announce BUFFER_REVOKE;
 *  3. tell every consumer (dma-sgls: state, generation, pollers woken,
 *     SGL_REVOKE) and only then let each tear its DMA mapping down;
 *  4. return the memory to the provider, and announce BUFFER_DEL.
 *
 * Triggers: the admin's BUFFER_REVOKE, PROVIDER_DEL with force, and a PCI
 * bus notifier that sees a provider's device removed or unbound.  The
 * notifier also revokes the consumers of a target that is removed or
 * unbound, and of every target sharing an IOMMU group with a device a
 * user driver (driver_managed_dma: vfio-pci) is binding to, before that
 * driver probes: from then on the group's DMA may be handed to userspace
 * and the DMA API's addresses would land in someone else's domain.  It
 * also creates and drops the per-function target objects
 * (p2pbuf_target.c), so that the removal path allocates nothing.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/device.h>
#include <linux/iommu.h>
#include <linux/notifier.h>
#include <linux/pci.h>
#include <linux/sched.h>

#include "p2pbuf.h"

/**
 * p2pbuf_revoke_buffer() - take a buffer's memory away from everyone
 * @buf: a referenced buffer
 * @reason: enum p2pbuf_nl_revoke_reason
 *
 * The buffer object itself lives on until its handle is freed and its
 * mappings are gone.  Idempotent; process context.  O(its consumers).
 */
void p2pbuf_revoke_buffer(struct p2pbuf_buffer *buf, u32 reason)
{
	if (!p2pbuf_buffer_mark_revoked(buf, reason))
		return;
	p2pbuf_buffer_zap(buf);
	p2pbuf_event(P2PBUF_NL_CMD_BUFFER_REVOKE_NTF, buf);
	p2pbuf_consumers_revoke(&buf->consumers, reason);
	p2pbuf_buffer_return(buf);
}

/* Revoke every buffer of @prov (out of the registry), then let it go. */
static void p2pbuf_revoke_provider_buffers(struct p2pbuf_provider *prov,
					   u32 reason)
{
	struct p2pbuf_buffer *buf;

	while ((buf = p2pbuf_provider_next_buffer(prov))) {
		p2pbuf_revoke_buffer(buf, reason);
		p2pbuf_buffer_put(buf);
		cond_resched();
	}
	p2pbuf_event(P2PBUF_NL_CMD_PROVIDER_DEL_NTF, prov);
	p2pbuf_provider_put(prov);
}

/**
 * p2pbuf_revoke_provider() - remove a provider from the registry
 * @id: provider id
 * @force: revoke the provider's buffers (and their dma-sgls) instead of
 *	refusing
 * @extack: where to report why a request was refused
 *
 * The provider is released when its last reference is dropped.  Sends the
 * revocation events, then a %P2PBUF_NL_CMD_PROVIDER_DEL_NTF event.
 *
 * Return: 0; -ENOENT if no provider has @id; -EINVAL for the sysmem
 * provider; -EBUSY if buffers are allocated from the provider and @force
 * is not set.
 */
int p2pbuf_revoke_provider(u32 id, bool force, struct netlink_ext_ack *extack)
{
	struct p2pbuf_provider *prov;
	int ret;

	prov = p2pbuf_provider_unregister(id, force, extack, &ret);
	if (!prov)
		return ret;
	p2pbuf_revoke_provider_buffers(prov, P2PBUF_NL_REVOKE_PROVIDER_REMOVED);
	return 0;
}

/*
 * Revoke the consumers of the target @pdev; with @gone, first close it to
 * new ones for good (the device is being removed).
 */
static unsigned int p2pbuf_revoke_target(struct pci_dev *pdev, u32 reason,
					 bool gone)
{
	struct p2pbuf_target *target = p2pbuf_target_lookup(pdev);
	unsigned int n;

	if (!target)
		return 0;
	if (gone)
		p2pbuf_consumers_close(&target->consumers, true);
	n = p2pbuf_consumers_revoke(&target->consumers, reason);
	p2pbuf_target_put(target);
	return n;
}

/*
 * A driver that manages DMA itself is binding to @pdev: revoke what was
 * mapped for any function of its IOMMU group (or for @pdev alone, when it
 * has none).  Their attachments now fail with -EBUSY.  Walks the PCI
 * functions rather than the group, whose lock must not be held while
 * revoking; this happens only when such a driver binds.
 */
static void p2pbuf_revoke_user_driver(struct pci_dev *pdev)
{
	struct iommu_group *group = iommu_group_get(&pdev->dev);
	struct iommu_group *other_group;
	struct pci_dev *other = NULL;

	if (!group) {
		p2pbuf_revoke_target(pdev, P2PBUF_NL_REVOKE_TARGET_USER_DRIVER,
				     false);
		return;
	}
	for_each_pci_dev(other) {
		other_group = iommu_group_get(&other->dev);
		if (other_group == group)
			p2pbuf_revoke_target(other,
					     P2PBUF_NL_REVOKE_TARGET_USER_DRIVER,
					     false);
		iommu_group_put(other_group);
	}
	iommu_group_put(group);
}

/* @pdev is being removed or unbound: its providers and its consumers. */
static void p2pbuf_revoke_device(struct pci_dev *pdev, bool removed)
{
	struct p2pbuf_device_event ev = {
		.pdev = pdev,
		.reason = removed ? P2PBUF_NL_REVOKE_DEVICE_REMOVED :
				    P2PBUF_NL_REVOKE_DRIVER_UNBOUND,
	};
	struct p2pbuf_provider *prov;
	unsigned int n = 0;

	while ((prov = p2pbuf_provider_unregister_device(pdev))) {
		p2pbuf_revoke_provider_buffers(prov, ev.reason);
		n++;
	}
	n += p2pbuf_revoke_target(pdev, removed ?
				  P2PBUF_NL_REVOKE_TARGET_REMOVED :
				  P2PBUF_NL_REVOKE_TARGET_UNBOUND, removed);
	if (n)
		p2pbuf_event(P2PBUF_NL_CMD_DEVICE_GONE_NTF, &ev);
}

static int p2pbuf_pci_notify(struct notifier_block *nb, unsigned long action,
			     void *data)
{
	struct device *dev = data;
	struct pci_dev *pdev = to_pci_dev(dev);

	switch (action) {
	case BUS_NOTIFY_ADD_DEVICE:
		if (p2pbuf_target_add(pdev))
			pci_warn(pdev, "p2pbuf: out of memory: cannot be a DMA target\n");
		break;
	case BUS_NOTIFY_DEL_DEVICE:
		p2pbuf_revoke_device(pdev, true);
		break;
	case BUS_NOTIFY_REMOVED_DEVICE:
		p2pbuf_target_remove(pdev);
		break;
	case BUS_NOTIFY_BIND_DRIVER:
		/* dev->driver is set: p2pbuf_target_attach() sees it too. */
		if (p2pbuf_target_user_owned(pdev))
			p2pbuf_revoke_user_driver(pdev);
		break;
	case BUS_NOTIFY_UNBIND_DRIVER:
		p2pbuf_revoke_device(pdev, false);
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
 * Registers the bus notifier, then gives every present function its
 * target object (functions added meanwhile get theirs from the notifier).
 *
 * Return: 0, the error of bus_register_notifier(), or -ENOMEM.
 */
int p2pbuf_revoke_init(void)
{
	int ret;

	ret = bus_register_notifier(&pci_bus_type, &p2pbuf_pci_nb);
	if (ret)
		return ret;
	ret = p2pbuf_targets_init();
	if (ret)
		bus_unregister_notifier(&pci_bus_type, &p2pbuf_pci_nb);
	return ret;
}

/**
 * p2pbuf_revoke_exit() - stop watching; no buffer or sgl exists any more
 */
void p2pbuf_revoke_exit(void)
{
	bus_unregister_notifier(&pci_bus_type, &p2pbuf_pci_nb);
	p2pbuf_targets_exit();
}
