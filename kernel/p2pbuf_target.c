// SPDX-License-Identifier: GPL-2.0-only
/*
 * p2pbuf_target.c - PCI functions as DMA targets: who owns their DMA,
 * whether they are going away, and how they reach a provider's memory.
 *
 * Every PCI function gets a struct p2pbuf_target when it is added (or
 * when the module loads), and loses it when it is removed, so that the
 * removal path allocates nothing and a P2PBUF_IOC_MAP racing with the
 * removal either finds the target closed or is found by the revocation
 * (p2pbuf_revoke.c drives this from its bus notifier).
 *
 * p2pbuf maps memory for a target with the kernel's DMA API, that is in
 * the target's default DMA domain.  That is only right while the kernel
 * owns the target's DMA: a target (or a function of its IOMMU group)
 * bound to a driver that manages DMA itself (vfio-pci and other drivers
 * with driver_managed_dma: VFIO and iommufd take a group's DMA only from
 * such drivers), or a target attached to a domain other than a DMA-API
 * one would see p2pbuf's addresses land in someone else's address space.
 * Such targets are refused (p2pbuf_target_attach(), p2pbuf_reach()), and
 * the notifier revokes what was mapped for them before such a driver
 * probes.
 *
 * Reachability mirrors drivers/pci/p2pdma.c (calc_map_type_and_dist() and
 * the host bridge allowlist) so that p2pbuf works on kernels built without
 * CONFIG_PCI_P2PDMA (Debian's), and defers to pci_p2pdma_distance() where
 * the kernel has it.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/device.h>
#include <linux/dma-mapping.h>
#include <linux/iommu.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/mutex.h>
#include <linux/pci.h>
#include <linux/pci-p2pdma.h>
#include <linux/slab.h>
#include <linux/xarray.h>

#ifdef CONFIG_X86
#include <asm/processor.h>
#endif

#include "p2pbuf.h"

static bool host_bridge_p2p;
module_param(host_bridge_p2p, bool, 0644);
MODULE_PARM_DESC(host_bridge_p2p,
		 "Allow peer-to-peer DMA through any host bridge, even one not known to forward it (default N)");

/**
 * p2pbuf_host_bridge_p2p() - the host_bridge_p2p parameter
 *
 * Read it once per request and pass the value down.
 *
 * Return: its current value.
 */
bool p2pbuf_host_bridge_p2p(void)
{
	return READ_ONCE(host_bridge_p2p);
}

/*
 * The registry of targets: PCI address -> struct p2pbuf_target, holding
 * the registry's reference.  p2pbuf_targets_lock serialises additions,
 * removals and lookups (which take a reference under it).
 */
static DEFINE_MUTEX(p2pbuf_targets_lock);
static DEFINE_XARRAY(p2pbuf_targets);

static unsigned long p2pbuf_target_key(u32 domain, u8 bus, u8 devfn)
{
	return (unsigned long)domain << 16 | bus << 8 | devfn;
}

static unsigned long p2pbuf_pdev_key(struct pci_dev *pdev)
{
	return p2pbuf_target_key(pci_domain_nr(pdev->bus), pdev->bus->number,
				 pdev->devfn);
}

static void p2pbuf_target_free(struct kref *ref)
{
	struct p2pbuf_target *target = container_of(ref, struct p2pbuf_target,
						    ref);

	p2pbuf_consumers_destroy(&target->consumers);
	pci_dev_put(target->pdev);
	kfree(target);
}

/**
 * p2pbuf_target_put() - drop a reference to a target
 * @target: the target; may be NULL
 *
 * Process context (the last put drops a PCI device reference).
 */
void p2pbuf_target_put(struct p2pbuf_target *target)
{
	might_sleep();
	if (target)
		kref_put(&target->ref, p2pbuf_target_free);
}

/**
 * p2pbuf_target_add() - give a PCI function its target object
 * @pdev: a function being added (or present at module load)
 *
 * Nothing happens for a function that has one, or that was removed
 * already (its removal notice came first).
 *
 * Return: 0 or -ENOMEM (the function then cannot be a target).
 */
int p2pbuf_target_add(struct pci_dev *pdev)
{
	struct p2pbuf_target *target, *old;
	unsigned long key = p2pbuf_pdev_key(pdev);
	int ret = 0;

	target = kzalloc(sizeof(*target), GFP_KERNEL);
	if (!target)
		return -ENOMEM;
	kref_init(&target->ref);
	p2pbuf_consumers_init(&target->consumers);
	target->pdev = pci_dev_get(pdev);

	mutex_lock(&p2pbuf_targets_lock);
	old = xa_load(&p2pbuf_targets, key);
	if (old || !device_is_registered(&pdev->dev)) {
		/* A stale entry of a removed function is impossible. */
		WARN_ON_ONCE(old && old->pdev != pdev);
	} else {
		ret = xa_err(xa_store(&p2pbuf_targets, key, target,
				      GFP_KERNEL));
		if (!ret)
			target = NULL;
	}
	mutex_unlock(&p2pbuf_targets_lock);
	p2pbuf_target_put(target);
	return ret;
}

/**
 * p2pbuf_target_remove() - a PCI function is gone: drop its target object
 * @pdev: the function
 *
 * Its consumers were revoked when the removal began; whoever still holds
 * the object (a dma-sgl not yet closed) keeps it.
 */
void p2pbuf_target_remove(struct pci_dev *pdev)
{
	struct p2pbuf_target *target;

	mutex_lock(&p2pbuf_targets_lock);
	target = xa_load(&p2pbuf_targets, p2pbuf_pdev_key(pdev));
	if (target && target->pdev == pdev)
		xa_erase(&p2pbuf_targets, p2pbuf_pdev_key(pdev));
	else
		target = NULL;
	mutex_unlock(&p2pbuf_targets_lock);
	p2pbuf_target_put(target);
}

/**
 * p2pbuf_target_lookup() - the target object of a PCI function
 * @pdev: the function
 *
 * Return: the target with a reference for the caller, or NULL.
 */
struct p2pbuf_target *p2pbuf_target_lookup(struct pci_dev *pdev)
{
	struct p2pbuf_target *target;

	mutex_lock(&p2pbuf_targets_lock);
	target = xa_load(&p2pbuf_targets, p2pbuf_pdev_key(pdev));
	if (target && target->pdev == pdev)
		kref_get(&target->ref);
	else
		target = NULL;
	mutex_unlock(&p2pbuf_targets_lock);
	return target;
}

/**
 * p2pbuf_target_get() - the target a uAPI structure names
 * @t: the PCI address
 * @targetp: on success, the target with a reference for the caller
 *
 * Return: 0; -EINVAL for a non-zero reserved field; -ENODEV if no such
 * PCI function exists (or is being removed) or it cannot do DMA.
 */
int p2pbuf_target_get(const struct p2pbuf_pci_target *t,
		      struct p2pbuf_target **targetp)
{
	struct p2pbuf_target *target;

	if (t->reserved)
		return -EINVAL;
	mutex_lock(&p2pbuf_targets_lock);
	target = xa_load(&p2pbuf_targets,
			 p2pbuf_target_key(t->domain, t->bus, t->devfn));
	if (target)
		kref_get(&target->ref);
	mutex_unlock(&p2pbuf_targets_lock);
	if (!target)
		return -ENODEV;
	if (!target->pdev->dev.dma_mask) {
		p2pbuf_target_put(target);
		return -ENODEV;
	}
	*targetp = target;
	return 0;
}

/**
 * p2pbuf_target_fill() - the uAPI form of a PCI function's address
 * @t: filled (zeroed first)
 * @pdev: the function
 */
void p2pbuf_target_fill(struct p2pbuf_pci_target *t, struct pci_dev *pdev)
{
	memset(t, 0, sizeof(*t));
	t->domain = pci_domain_nr(pdev->bus);
	t->bus = pdev->bus->number;
	t->devfn = pdev->devfn;
}

/* --- who owns the target's DMA ----------------------------------------- */

/*
 * Whether @dev is a PCI function (not a bridge) bound to a driver that
 * manages DMA itself: vfio-pci and its variants, which hand the group to
 * VFIO or iommufd users, or pci-stub, which reserves a function for that.
 * The PCIe port driver sets driver_managed_dma too (it does no DMA, and
 * must not keep VFIO from a group with a port in it): bridges are not
 * counted.
 */
static bool p2pbuf_dev_user_driver(struct device *dev)
{
	struct device_driver *drv = READ_ONCE(dev->driver);

	return drv && dev_is_pci(dev) && !pci_is_bridge(to_pci_dev(dev)) &&
	       p2pbuf_driver_managed_dma(to_pci_driver(drv));
}

static int p2pbuf_group_dev_user_driver(struct device *dev, void *data)
{
	return p2pbuf_dev_user_driver(dev);
}

/**
 * p2pbuf_target_user_owned() - whether someone else owns a target's DMA
 * @pdev: the target
 *
 * True when @pdev, or a function in its IOMMU group, is bound to a driver
 * with driver_managed_dma (vfio-pci and the like: the group's DMA may be
 * handed to userspace at any time, and VFIO or iommufd take it only while
 * such a driver is bound), or when @pdev is attached to a domain that is
 * not one of the DMA API's (the user's unmanaged domain, or the blocking
 * domain of a claimed group).  The DMA API's addresses for @pdev would not
 * be what it uses then.
 *
 * Return: see above.
 */
bool p2pbuf_target_user_owned(struct pci_dev *pdev)
{
	struct device *dev = &pdev->dev;
	struct iommu_domain *domain;
	struct iommu_group *group;
	bool owned = p2pbuf_dev_user_driver(dev);

	group = iommu_group_get(dev);
	if (group) {
		owned = owned ||
			iommu_group_for_each_dev(group, NULL,
						 p2pbuf_group_dev_user_driver);
		iommu_group_put(group);
	}
	domain = iommu_get_domain_for_dev(dev);
	if (domain && !p2pbuf_iommu_domain_is_dma_api(domain))
		owned = true;
	return owned;
}

/**
 * p2pbuf_target_attach() - add a consumer of a target
 * @target: the target
 * @c: the consumer (a dma-sgl)
 *
 * Whether the target's DMA is owned by someone else cannot be asked under
 * the consumer list's lock (p2pbuf_target_user_owned() takes the IOMMU
 * group's mutex, which ranks above the locks a page fault takes, and a
 * buffer's revocation takes those before this list's lock).  So it is asked
 * outside, and the answer is used only if no revocation of this list
 * started meanwhile: the bus notifier sets dev->driver, then revokes
 * (p2pbuf_consumers_revoke() counts that under the lock), so either this
 * attachment sees the user driver, or the notifier's revocation finds @c.
 *
 * Return: 0; -ENODEV if the target is being removed; -EBUSY if its DMA is
 * owned by someone else (p2pbuf_target_user_owned()).
 */
int p2pbuf_target_attach(struct p2pbuf_target *target,
			 struct p2pbuf_consumer *c)
{
	struct p2pbuf_consumers *cs = &target->consumers;
	unsigned long revokes;
	bool owned;
	int ret;

	mutex_lock(&cs->lock);
	for (;;) {
		revokes = cs->revokes;
		mutex_unlock(&cs->lock);
		owned = p2pbuf_target_user_owned(target->pdev);
		mutex_lock(&cs->lock);
		if (cs->revokes == revokes)
			break;
	}
	if (!cs->closed && owned)
		ret = -EBUSY;
	else
		ret = p2pbuf_consumers_add_locked(cs, c);
	mutex_unlock(&cs->lock);
	return ret;
}

/**
 * p2pbuf_target_detach() - remove a consumer of a target
 * @target: the target
 * @c: the consumer, attached or already taken out by revocation
 */
void p2pbuf_target_detach(struct p2pbuf_target *target,
			  struct p2pbuf_consumer *c)
{
	p2pbuf_consumers_del(&target->consumers, c);
}

/**
 * p2pbuf_targets_init() - give every present PCI function a target
 *
 * Called after the bus notifier is registered, so that functions added
 * meanwhile are not missed (adding twice is harmless).
 *
 * Return: 0 or -ENOMEM.
 */
int p2pbuf_targets_init(void)
{
	struct pci_dev *pdev = NULL;
	int ret;

	for_each_pci_dev(pdev) {
		ret = p2pbuf_target_add(pdev);
		if (ret) {
			pci_dev_put(pdev);
			p2pbuf_targets_exit();
			return ret;
		}
	}
	return 0;
}

/**
 * p2pbuf_targets_exit() - drop every target object (module unload)
 *
 * No consumer exists any more; the bus notifier is gone.
 */
void p2pbuf_targets_exit(void)
{
	struct p2pbuf_target *target;
	unsigned long key;

	mutex_lock(&p2pbuf_targets_lock);
	xa_for_each(&p2pbuf_targets, key, target) {
		xa_erase(&p2pbuf_targets, key);
		p2pbuf_target_put(target);
	}
	mutex_unlock(&p2pbuf_targets_lock);
	xa_destroy(&p2pbuf_targets);
}

/* --- reachability ------------------------------------------------------- */

/**
 * p2pbuf_dev_translated() - whether an IOMMU translates a device's DMA
 * @dev: the device
 *
 * Return: true if @dev is attached to a paging domain, false for none,
 * identity (passthrough) or blocking.
 */
bool p2pbuf_dev_translated(struct device *dev)
{
	struct iommu_domain *domain = iommu_get_domain_for_dev(dev);

	return domain && (domain->type & __IOMMU_DOMAIN_PAGING);
}

/**
 * p2pbuf_bus_addr() - the PCI bus address of device memory
 * @prov: a device-memory provider
 * @phys: a CPU physical address in its range
 *
 * Return: the address a peer below the same switch uses for @phys.
 */
u64 p2pbuf_bus_addr(struct p2pbuf_provider *prov, phys_addr_t phys)
{
	return pci_bus_address(prov->pdev, prov->bar) +
	       (phys - pci_resource_start(prov->pdev, prov->bar));
}

/* Whether @pdev redirects peer-to-peer requests upstream (ACS). */
static bool p2pbuf_bridge_has_acs_redir(struct pci_dev *pdev)
{
	int pos = pci_find_ext_capability(pdev, PCI_EXT_CAP_ID_ACS);
	u16 ctrl;

	if (!pos)
		return false;
	if (pci_read_config_word(pdev, pos + PCI_ACS_CTRL, &ctrl))
		return true;
	return ctrl & (PCI_ACS_RR | PCI_ACS_CR | PCI_ACS_EC);
}

/*
 * Host bridges known to forward peer-to-peer transactions between their
 * root ports: the allowlist of drivers/pci/p2pdma.c (Linux 6.1).
 */
static const struct {
	unsigned short vendor;
	unsigned short device;
	bool same_host_bridge;
} p2pbuf_host_bridge_allowlist[] = {
	/* Intel Xeon E5/Core i7 */
	{ PCI_VENDOR_ID_INTEL, 0x3c00, true },
	{ PCI_VENDOR_ID_INTEL, 0x3c01, true },
	/* Intel Xeon E7 v3/Xeon E5 v3/Core i7 */
	{ PCI_VENDOR_ID_INTEL, 0x2f00, true },
	{ PCI_VENDOR_ID_INTEL, 0x2f01, true },
	/* Intel Skylake-E */
	{ PCI_VENDOR_ID_INTEL, 0x2030, false },
	{ PCI_VENDOR_ID_INTEL, 0x2031, false },
	{ PCI_VENDOR_ID_INTEL, 0x2032, false },
	{ PCI_VENDOR_ID_INTEL, 0x2033, false },
	{ PCI_VENDOR_ID_INTEL, 0x2020, false },
	{ PCI_VENDOR_ID_INTEL, 0x09a2, false },
};

/* Any AMD CPU of the Zen family or newer forwards peer traffic (p2pdma). */
static bool p2pbuf_cpu_forwards_p2p(void)
{
#ifdef CONFIG_X86
	return boot_cpu_data.x86_vendor == X86_VENDOR_AMD &&
	       boot_cpu_data.x86 >= 0x17;
#else
	return false;
#endif
}

static bool p2pbuf_host_bridge_allowed(struct pci_dev *a, struct pci_dev *b)
{
	struct pci_host_bridge *ha = pci_find_host_bridge(a->bus);
	struct pci_host_bridge *hb = pci_find_host_bridge(b->bus);
	struct pci_dev *root;
	unsigned int i;
	bool ok = false;

	if (p2pbuf_cpu_forwards_p2p())
		return true;
	root = pci_get_slot(ha->bus, PCI_DEVFN(0, 0));
	if (!root)
		return false;
	for (i = 0; i < ARRAY_SIZE(p2pbuf_host_bridge_allowlist); i++) {
		if (root->vendor != p2pbuf_host_bridge_allowlist[i].vendor ||
		    root->device != p2pbuf_host_bridge_allowlist[i].device)
			continue;
		ok = !p2pbuf_host_bridge_allowlist[i].same_host_bridge ||
		     ha == hb;
		break;
	}
	pci_dev_put(root);
	return ok;
}

/*
 * The PCI part of the decision for device memory of @provider and the
 * target @client, as p2pdma's calc_map_type_and_dist(): find the closest
 * common upstream bridge; with one and no ACS redirection between it and
 * either device, transactions stay below it (bus addresses); otherwise
 * they go through the host bridge.
 */
static bool p2pbuf_pci_path(struct pci_dev *provider, struct pci_dev *client,
			    u32 *distance)
{
	struct pci_dev *a, *b;
	unsigned int dist_a = 0, dist_b, acs = 0;

	for (a = provider; a; a = pci_upstream_bridge(a), dist_a++) {
		if (p2pbuf_bridge_has_acs_redir(a))
			acs++;
		dist_b = 0;
		for (b = client; b; b = pci_upstream_bridge(b), dist_b++) {
			if (a == b)
				goto common;
		}
	}
	/* No common bridge: up to the root complex and across. */
	dist_b = 0;
	for (b = client; b; b = pci_upstream_bridge(b))
		dist_b++;
	*distance = dist_a + dist_b;
	return false;

common:
	/* As p2pdma: the common bridge's own ACS counts (walked above). */
	for (b = client; b != a; b = pci_upstream_bridge(b)) {
		if (p2pbuf_bridge_has_acs_redir(b))
			acs++;
	}
	*distance = dist_a + dist_b;
	return !acs;
}

/**
 * p2pbuf_reach() - decide how a target reaches a provider's memory
 * @prov: the provider
 * @target: the PCI function that would do the DMA
 * @host_bridge_p2p: the host_bridge_p2p parameter, read once by the caller
 * @path: the decision
 *
 * A target whose DMA someone else owns reaches nothing
 * (%P2PBUF_UNREACH_USER_DRIVER).  On kernels built with CONFIG_PCI_P2PDMA
 * the kernel's own pci_p2pdma_distance() has the last word: p2pbuf's walk
 * must agree with it (a disagreement is reported in the kernel log), and
 * a path it refuses is refused.  The administrator's host bridge
 * permission applies on top, as p2pdma has no such setting.
 */
void p2pbuf_reach(struct p2pbuf_provider *prov, struct pci_dev *target,
		  bool host_bridge_p2p, struct p2pbuf_path *path)
{
	bool translated = p2pbuf_dev_translated(&target->dev);
	u32 api_type = translated ? P2PBUF_MAP_TYPE_IOMMU :
				    P2PBUF_MAP_TYPE_DIRECT;
	bool below_switch, p2pdma_ok;
	int dist;

	memset(path, 0, sizeof(*path));
	if (p2pbuf_target_user_owned(target)) {
		path->reason = P2PBUF_UNREACH_USER_DRIVER;
		return;
	}
	if (!prov->pdev) {
		path->reason = P2PBUF_REACH_HOST_MEMORY;
		path->map_type = api_type;
		return;
	}
	if (prov->pdev == target) {
		path->reason = P2PBUF_UNREACH_SAME_DEVICE;
		return;
	}
	below_switch = p2pbuf_pci_path(prov->pdev, target, &path->distance);
	if (below_switch &&
	    p2pbuf_bus_addr(prov, prov->phys + prov->size - 1) >
		    dma_get_mask(&target->dev)) {
		/* Bus addresses bypass the IOMMU: the mask must cover them. */
		path->reason = P2PBUF_UNREACH_DMA_MASK;
	} else if (below_switch) {
		path->reason = P2PBUF_REACH_SWITCH;
		path->map_type = P2PBUF_MAP_TYPE_BUS_ADDR;
	} else if (p2pbuf_host_bridge_allowed(prov->pdev, target)) {
		path->reason = P2PBUF_REACH_HOST_BRIDGE_ALLOWED;
		path->map_type = api_type;
	} else {
		path->reason = P2PBUF_UNREACH_HOST_BRIDGE;
	}

	if (P2PBUF_HAVE_PCI_P2PDMA) {
		dist = pci_p2pdma_distance(prov->pdev, &target->dev, false);
		p2pdma_ok = dist >= 0;
		if (p2pdma_ok != !!path->map_type)
			dev_warn_ratelimited(&prov->pdev->dev,
					     "p2pbuf: reachability of %s disagrees with p2pdma (%d vs reason %u)\n",
					     pci_name(target), dist, path->reason);
		if (dist < 0 && path->map_type) {
			path->reason = P2PBUF_UNREACH_P2PDMA;
			path->map_type = 0;
		}
	}

	if (path->reason == P2PBUF_UNREACH_HOST_BRIDGE &&
	    ((prov->flags & P2PBUF_NL_PROVIDER_F_HOST_BRIDGE_P2P) ||
	     host_bridge_p2p)) {
		path->reason = P2PBUF_REACH_HOST_BRIDGE_ADMIN;
		path->map_type = api_type;
	}
}
