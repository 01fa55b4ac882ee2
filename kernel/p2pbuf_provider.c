// SPDX-License-Identifier: GPL-2.0-only
/*
 * p2pbuf_provider.c - the provider registry and the sysmem, pcibar and
 * p2pdma kinds.
 *
 * A provider is a source of buffer memory (struct p2pbuf_provider in
 * p2pbuf.h documents its fields, reference counting and locking).  The
 * registry maps ids to providers: sysmem is registered at module load with
 * id %P2PBUF_PROVIDER_ID_SYSMEM (0) and cannot be removed; pcibar and p2pdma
 * providers are registered and removed by the administrator through the netlink
 * family (p2pbuf_netlink.c) and get ids from 1 up.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/device.h>
#include <linux/genalloc.h>
#include <linux/io.h>
#include <linux/ioport.h>
#include <linux/sched/signal.h>
#include <linux/sizes.h>
#include <linux/mm.h>
#include <linux/netlink.h>
#include <linux/numa.h>
#include <linux/pci.h>
#include <linux/pci-p2pdma.h>
#include <linux/slab.h>
#include <linux/xarray.h>
#include <net/netlink.h>

#include "p2pbuf.h"

/*
 * The registry: id -> provider.  p2pbuf_providers_lock serialises
 * registration and removal (the overlap check and the insertion are one
 * step) and keeps an entry alive while a reader takes a reference or a
 * dump formats it.  Notifications are sent under it, so listeners see
 * added/removed events in registry order.
 */
static DEFINE_MUTEX(p2pbuf_providers_lock);
static DEFINE_XARRAY_ALLOC(p2pbuf_providers);
static u32 p2pbuf_providers_next = 1;

static void p2pbuf_provider_init(struct p2pbuf_provider *prov,
				 const struct p2pbuf_provider_ops *ops)
{
	kref_init(&prov->ref);
	spin_lock_init(&prov->lock);
	INIT_LIST_HEAD(&prov->buffers);
	INIT_LIST_HEAD(&prov->visited);
	prov->ops = ops;
	prov->numa_node = NUMA_NO_NODE;
}

static void p2pbuf_provider_release(struct kref *ref)
{
	struct p2pbuf_provider *prov =
		container_of(ref, struct p2pbuf_provider, ref);

	prov->ops->release(prov);
}

/**
 * p2pbuf_provider_put() - drop a reference to a provider
 * @prov: the provider; may be NULL
 *
 * The last reference releases the provider (its device reference, its
 * pool).  Process context only (the release may sleep).
 */
void p2pbuf_provider_put(struct p2pbuf_provider *prov)
{
	might_sleep();
	if (prov)
		kref_put(&prov->ref, p2pbuf_provider_release);
}

/**
 * p2pbuf_provider_get() - look up a registered provider by id
 * @id: provider id
 *
 * Return: the provider with a reference the caller must drop with
 * p2pbuf_provider_put(), or NULL if no provider has this id.
 */
struct p2pbuf_provider *p2pbuf_provider_get(u32 id)
{
	struct p2pbuf_provider *prov;

	mutex_lock(&p2pbuf_providers_lock);
	prov = xa_load(&p2pbuf_providers, id);
	if (prov)
		kref_get(&prov->ref);
	mutex_unlock(&p2pbuf_providers_lock);
	return prov;
}

/**
 * p2pbuf_provider_nr_buffers() - number of buffers allocated from @prov
 * @prov: a provider the caller holds a reference to
 *
 * Return: a snapshot of the count.
 */
unsigned int p2pbuf_provider_nr_buffers(struct p2pbuf_provider *prov)
{
	unsigned int n;

	spin_lock(&prov->lock);
	n = prov->nr_buffers;
	spin_unlock(&prov->lock);
	return n;
}

/**
 * p2pbuf_extent_add() - append a chunk to an extent
 * @ext: the extent
 * @phys: CPU physical address of the chunk
 * @len: its length
 *
 * Return: 0 or -ENOMEM (the extent is unchanged then).
 */
int p2pbuf_extent_add(struct p2pbuf_extent *ext, phys_addr_t phys, u64 len)
{
	struct p2pbuf_chunk *chunks;
	unsigned int cap;

	if (ext->nr == ext->cap) {
		cap = ext->cap ? ext->cap * 2 : 16;
		if (cap < ext->cap)
			return -ENOMEM;
		chunks = kvmalloc_array(cap, sizeof(*chunks), GFP_KERNEL);
		if (!chunks)
			return -ENOMEM;
		if (ext->nr)
			memcpy(chunks, ext->chunks, ext->nr * sizeof(*chunks));
		kvfree(ext->chunks);
		ext->chunks = chunks;
		ext->cap = cap;
	}
	ext->chunks[ext->nr].phys = phys;
	ext->chunks[ext->nr].len = len;
	ext->nr++;
	return 0;
}

/**
 * p2pbuf_extent_destroy() - free the chunk array of an emptied extent
 * @ext: the extent; its memory must have been returned already
 */
void p2pbuf_extent_destroy(struct p2pbuf_extent *ext)
{
	kvfree(ext->chunks);
	ext->chunks = NULL;
	ext->nr = 0;
	ext->cap = 0;
}

/**
 * p2pbuf_provider_alloc() - allocate zeroed memory for a buffer
 * @prov: a provider the caller holds a reference to
 * @size: bytes, a non-zero multiple of the page size
 * @ext: an empty extent to fill
 *
 * Counts the buffer in @prov->nr_buffers, so that the provider cannot be
 * removed while the memory is out; p2pbuf_provider_free() undoes both.
 *
 * Return: 0; -ENODEV if the provider was removed meanwhile; -ENOMEM if it
 * has not @size bytes free (or the allocation failed).
 */
int p2pbuf_provider_alloc(struct p2pbuf_provider *prov, u64 size,
			  struct p2pbuf_extent *ext)
{
	int ret = 0;

	/* A cheap refusal that spares sysmem an OOM on absurd sizes. */
	if (size > prov->ops->free_bytes(prov))
		return -ENOMEM;

	spin_lock(&prov->lock);
	if (prov->removed)
		ret = -ENODEV;
	else
		prov->nr_buffers++;
	spin_unlock(&prov->lock);
	if (ret)
		return ret;

	ret = prov->ops->alloc(prov, size, ext);
	if (ret) {
		spin_lock(&prov->lock);
		prov->nr_buffers--;
		spin_unlock(&prov->lock);
	}
	return ret;
}

/**
 * p2pbuf_provider_free() - give a buffer's memory back to its provider
 * @prov: the provider the extent came from (referenced by the caller)
 * @ext: what p2pbuf_provider_alloc() filled; emptied and destroyed here
 */
void p2pbuf_provider_free(struct p2pbuf_provider *prov,
			  struct p2pbuf_extent *ext)
{
	prov->ops->free(prov, ext);
	p2pbuf_extent_destroy(ext);
	spin_lock(&prov->lock);
	prov->nr_buffers--;
	spin_unlock(&prov->lock);
}

/**
 * p2pbuf_provider_cache_mode() - CPU caching for mappings of @prov's memory
 * @prov: the provider
 *
 * Return: %P2PBUF_CACHE_WB for host RAM and for p2pdma pages (mapped as
 * the kernel's p2pmem/allocate maps them: with the default protection, the
 * memory type the kernel gave the range when it created the pages
 * applying), %P2PBUF_CACHE_WC for other prefetchable device memory,
 * %P2PBUF_CACHE_UC for the rest.
 */
u32 p2pbuf_provider_cache_mode(struct p2pbuf_provider *prov)
{
	if (!prov->devmem || prov->pages)
		return P2PBUF_CACHE_WB;
	if (prov->flags & P2PBUF_NL_PROVIDER_F_PREFETCHABLE)
		return P2PBUF_CACHE_WC;
	return P2PBUF_CACHE_UC;
}

/**
 * p2pbuf_providers_for_each() - call @fn for registered providers
 * @pos: in: first id to visit; out: id to resume from when @fn failed
 * @fn: called for each provider in id order, with the registry locked (it
 *	must not register or remove providers); a non-zero return stops the
 *	walk and is returned
 * @arg: passed to @fn
 *
 * Used by the netlink dump, which resumes from *@pos in its next message.
 *
 * Return: 0 when every provider from *@pos on was visited, or what @fn
 * returned.
 */
int p2pbuf_providers_for_each(unsigned long *pos,
			      int (*fn)(struct p2pbuf_provider *prov,
					void *arg),
			      void *arg)
{
	struct p2pbuf_provider *prov;
	unsigned long id;
	int ret = 0;

	mutex_lock(&p2pbuf_providers_lock);
	xa_for_each_start(&p2pbuf_providers, id, prov, *pos) {
		ret = fn(prov, arg);
		if (ret)
			break;
	}
	*pos = ret ? id : ULONG_MAX;
	mutex_unlock(&p2pbuf_providers_lock);
	return ret;
}

/* --- sysmem: host RAM -------------------------------------------------- */

static u64 p2pbuf_sysmem_free_bytes(struct p2pbuf_provider *prov)
{
	return (u64)si_mem_available() << PAGE_SHIFT;
}

static void p2pbuf_sysmem_release(struct p2pbuf_provider *prov)
{
	kfree(prov);
}

static void p2pbuf_sysmem_free(struct p2pbuf_provider *prov,
			       struct p2pbuf_extent *ext)
{
	unsigned int i;

	for (i = 0; i < ext->nr; i++)
		__free_pages(pfn_to_page(PHYS_PFN(ext->chunks[i].phys)),
			     get_order(ext->chunks[i].len));
	ext->nr = 0;
}

/*
 * Chunks of at most 2 MiB (order 9 with 4 KiB pages: a PMD on x86-64), the
 * size a huge mapping or an IOMMU superpage can use; larger orders only
 * make the allocation fail more often.
 */
#define P2PBUF_SYSMEM_MAX_ORDER	get_order(SZ_2M)

/*
 * High-order pages first, each order falling back to the next smaller one
 * when the page allocator has none (without retrying hard or warning);
 * order 0 is a plain allocation.  Zeroed by the page allocator and charged
 * to the caller's memory cgroup.  Not compound pages: they are never
 * mapped with struct page semantics (the VMA is VM_PFNMAP).
 */
static int p2pbuf_sysmem_alloc(struct p2pbuf_provider *prov, u64 size,
			       struct p2pbuf_extent *ext)
{
	unsigned int order = P2PBUF_SYSMEM_MAX_ORDER;
	struct page *page;
	gfp_t gfp;
	int ret;

	while (size) {
		while (order && (PAGE_SIZE << order) > size)
			order--;
		if (fatal_signal_pending(current)) {
			ret = -ENOMEM;
			goto err;
		}
		gfp = GFP_HIGHUSER | __GFP_ZERO | __GFP_ACCOUNT;
		if (order)
			gfp |= __GFP_NORETRY | __GFP_NOWARN;
		page = alloc_pages_node(prov->numa_node, gfp, order);
		if (!page) {
			if (order) {
				order--;
				continue;
			}
			ret = -ENOMEM;
			goto err;
		}
		ret = p2pbuf_extent_add(ext, page_to_phys(page),
					PAGE_SIZE << order);
		if (ret) {
			__free_pages(page, order);
			goto err;
		}
		size -= PAGE_SIZE << order;
		cond_resched();
	}
	return 0;

err:
	p2pbuf_sysmem_free(prov, ext);
	p2pbuf_extent_destroy(ext);
	return ret;
}

static const struct p2pbuf_provider_ops p2pbuf_sysmem_ops = {
	.kind = P2PBUF_NL_PROVIDER_KIND_SYSMEM,
	.name = "sysmem",
	.free_bytes = p2pbuf_sysmem_free_bytes,
	.release = p2pbuf_sysmem_release,
	.alloc = p2pbuf_sysmem_alloc,
	.free = p2pbuf_sysmem_free,
};

/* --- pcibar: a memory BAR (or part of it) of a PCI device -------------- */

/**
 * struct p2pbuf_pcibar - a pcibar provider
 * @prov: the generic part; @prov.phys is the CPU physical address of the
 *	range, @prov.size its size
 * @pdev: the device, referenced (pci_dev_get()) until release
 * @bar: BAR index
 * @offset: start of the range in the BAR
 * @pool: sub-allocator over [@prov.phys, @prov.phys + @prov.size), in pages;
 *	gen_pool has its own locking
 */
struct p2pbuf_pcibar {
	struct p2pbuf_provider prov;
	struct pci_dev *pdev;
	u32 bar;
	u64 offset;
	struct gen_pool *pool;
};

static struct p2pbuf_pcibar *to_pcibar(struct p2pbuf_provider *prov)
{
	return container_of(prov, struct p2pbuf_pcibar, prov);
}

static u64 p2pbuf_pcibar_free_bytes(struct p2pbuf_provider *prov)
{
	return gen_pool_avail(to_pcibar(prov)->pool);
}

static int p2pbuf_pcibar_fill_nl(struct p2pbuf_provider *prov,
				 struct sk_buff *skb)
{
	struct p2pbuf_pcibar *pb = to_pcibar(prov);

	if (nla_put_string(skb, P2PBUF_NL_A_PROVIDER_PCI_ADDR,
			   pci_name(pb->pdev)) ||
	    nla_put_u32(skb, P2PBUF_NL_A_PROVIDER_BAR, pb->bar) ||
	    nla_put_u64_64bit(skb, P2PBUF_NL_A_PROVIDER_OFFSET, pb->offset,
			      P2PBUF_NL_A_PAD))
		return -EMSGSIZE;
	return 0;
}

static void p2pbuf_pcibar_release(struct p2pbuf_provider *prov)
{
	struct p2pbuf_pcibar *pb = to_pcibar(prov);

	if (prov->flags & P2PBUF_NL_PROVIDER_F_PREFETCHABLE)
		arch_io_free_memtype_wc(prov->phys, prov->size);
	gen_pool_destroy(pb->pool);
	pci_dev_put(pb->pdev);
	kfree(pb);
}

/*
 * Zero device memory through a temporary kernel mapping of the same cache
 * type the user mappings get (BAR memory may hold a previous owner's data:
 * it is never cleared by anyone else).
 */
static int p2pbuf_pcibar_zero(struct p2pbuf_provider *prov, phys_addr_t phys,
			      u64 size)
{
	void __iomem *va;

	if (prov->flags & P2PBUF_NL_PROVIDER_F_PREFETCHABLE)
		va = ioremap_wc(phys, size);
	else
		va = ioremap(phys, size);
	if (!va)
		return -ENOMEM;
	memset_io(va, 0, size);
	/* Posted writes reach the device before anyone maps the buffer. */
	wmb();
	iounmap(va);
	return 0;
}

/*
 * One contiguous range of the pool; 2 MiB aligned when the buffer is that
 * large and such a hole exists (huge mappings and IOMMU superpages need
 * it), else first fit.
 */
static int p2pbuf_pcibar_alloc(struct p2pbuf_provider *prov, u64 size,
			       struct p2pbuf_extent *ext)
{
	struct p2pbuf_pcibar *pb = to_pcibar(prov);
	struct genpool_data_align align = { .align = SZ_2M };
	unsigned long phys = 0;
	int ret;

	if (size > ULONG_MAX)
		return -ENOMEM;
	if (size >= SZ_2M)
		phys = gen_pool_alloc_algo(pb->pool, size,
					   gen_pool_first_fit_align, &align);
	if (!phys)
		phys = gen_pool_alloc(pb->pool, size);
	if (!phys)
		return -ENOMEM;
	ret = p2pbuf_pcibar_zero(prov, phys, size);
	if (ret)
		goto err_free;
	ret = p2pbuf_extent_add(ext, phys, size);
	if (ret)
		goto err_free;
	return 0;

err_free:
	gen_pool_free(pb->pool, phys, size);
	return ret;
}

static void p2pbuf_pcibar_free(struct p2pbuf_provider *prov,
			       struct p2pbuf_extent *ext)
{
	struct p2pbuf_pcibar *pb = to_pcibar(prov);
	unsigned int i;

	for (i = 0; i < ext->nr; i++)
		gen_pool_free(pb->pool, ext->chunks[i].phys, ext->chunks[i].len);
	ext->nr = 0;
}

static const struct p2pbuf_provider_ops p2pbuf_pcibar_ops = {
	.kind = P2PBUF_NL_PROVIDER_KIND_PCIBAR,
	.name = "pcibar",
	.free_bytes = p2pbuf_pcibar_free_bytes,
	.fill_nl = p2pbuf_pcibar_fill_nl,
	.release = p2pbuf_pcibar_release,
	.alloc = p2pbuf_pcibar_alloc,
	.free = p2pbuf_pcibar_free,
};

/*
 * Check the BAR and the range of @p on @pdev; on success *@start and *@size
 * are the CPU physical range.
 */
static int p2pbuf_pcibar_check(struct pci_dev *pdev,
			       const struct p2pbuf_pcibar_params *p,
			       struct netlink_ext_ack *extack,
			       phys_addr_t *start, u64 *size)
{
	unsigned long flags = pci_resource_flags(pdev, p->bar);
	resource_size_t bar_start = pci_resource_start(pdev, p->bar);
	resource_size_t bar_len = pci_resource_len(pdev, p->bar);

	if (!bar_len) {
		NL_SET_ERR_MSG(extack, "BAR is not implemented by the device");
		return -EINVAL;
	}
	if (flags & IORESOURCE_IO) {
		NL_SET_ERR_MSG(extack, "BAR is an I/O-port BAR, not memory");
		return -EINVAL;
	}
	if (!(flags & IORESOURCE_MEM) || (flags & IORESOURCE_UNSET)) {
		NL_SET_ERR_MSG(extack, "BAR has no memory address assigned");
		return -EINVAL;
	}
	if (!PAGE_ALIGNED(bar_start) || !PAGE_ALIGNED(bar_len)) {
		NL_SET_ERR_MSG(extack, "BAR is not page aligned");
		return -EINVAL;
	}
	if (!PAGE_ALIGNED(p->offset)) {
		NL_SET_ERR_MSG(extack, "offset is not page aligned");
		return -EINVAL;
	}
	if (!PAGE_ALIGNED(p->size)) {
		NL_SET_ERR_MSG(extack, "size is not page aligned");
		return -EINVAL;
	}
	if (p->offset >= bar_len || p->size > bar_len - p->offset) {
		NL_SET_ERR_MSG(extack, "range does not fit in the BAR");
		return -EINVAL;
	}
	*start = bar_start + p->offset;
	*size = p->size ? p->size : bar_len - p->offset;
	return 0;
}

/**
 * p2pbuf_pcibar_describe() - a provider for a PCI BAR, without registering it
 * @dev: the PCI function
 * @bar: the BAR index
 * @prov: filled as a pcibar provider of the whole BAR would be (id 0, no
 *	flags the administrator sets); holds a reference on the device,
 *	which p2pbuf_pcibar_undescribe() drops
 *
 * For the reachability question about memory that is not (yet) a
 * provider (%P2PBUF_REACH_F_PCI_BAR).  Nothing is allocated, reserved or
 * announced.
 *
 * Return: 0; -EINVAL for a non-zero reserved field or a BAR that is not
 * an assigned, page-aligned memory BAR; -ENODEV if no such function.
 */
int p2pbuf_pcibar_describe(const struct p2pbuf_pci_target *dev, u32 bar,
			   struct p2pbuf_provider *prov)
{
	struct p2pbuf_pcibar_params p = { .bar = bar };
	struct pci_dev *pdev;
	phys_addr_t start;
	u64 size;
	int ret;

	if (dev->reserved || bar > PCI_STD_RESOURCE_END)
		return -EINVAL;
	pdev = pci_get_domain_bus_and_slot(dev->domain, dev->bus, dev->devfn);
	if (!pdev)
		return -ENODEV;
	ret = p2pbuf_pcibar_check(pdev, &p, NULL, &start, &size);
	if (ret) {
		pci_dev_put(pdev);
		return ret;
	}
	memset(prov, 0, sizeof(*prov));
	p2pbuf_provider_init(prov, &p2pbuf_pcibar_ops);
	prov->size = size;
	prov->devmem = true;
	prov->phys = start;
	prov->pdev = pdev;
	prov->bar = bar;
	prov->numa_node = dev_to_node(&pdev->dev);
	if (pci_resource_flags(pdev, bar) & IORESOURCE_PREFETCH)
		prov->flags |= P2PBUF_NL_PROVIDER_F_PREFETCHABLE;
	return 0;
}

/**
 * p2pbuf_pcibar_undescribe() - drop what p2pbuf_pcibar_describe() took
 * @prov: the described provider
 */
void p2pbuf_pcibar_undescribe(struct p2pbuf_provider *prov)
{
	pci_dev_put(prov->pdev);
}

/* Whether [start, start + size) overlaps a registered provider's memory. */
static struct p2pbuf_provider *p2pbuf_provider_overlap(phys_addr_t start,
						       u64 size)
{
	struct p2pbuf_provider *prov;
	unsigned long id;

	lockdep_assert_held(&p2pbuf_providers_lock);
	xa_for_each(&p2pbuf_providers, id, prov) {
		if (prov->devmem && start < prov->phys + prov->size &&
		    prov->phys < start + size)
			return prov;
	}
	return NULL;
}

/*
 * Give @prov (device memory: its range must not overlap a registered
 * provider's) an id and put it in the registry, which keeps the initial
 * reference; the caller gets one more.  Sends PROVIDER_ADD_NTF.
 *
 * Return: 0; -EEXIST on overlap; -ENOSPC when the id space is exhausted;
 * -ENOMEM.
 */
static int p2pbuf_provider_register(struct p2pbuf_provider *prov,
				    struct netlink_ext_ack *extack)
{
	int ret;

	mutex_lock(&p2pbuf_providers_lock);
	if (p2pbuf_provider_overlap(prov->phys, prov->size)) {
		NL_SET_ERR_MSG(extack,
			       "range overlaps a registered provider");
		ret = -EEXIST;
		goto out;
	}
	ret = xa_alloc_cyclic(&p2pbuf_providers, &prov->id, prov,
			      XA_LIMIT(1, INT_MAX), &p2pbuf_providers_next,
			      GFP_KERNEL);
	if (ret < 0) {
		if (ret == -EBUSY)
			ret = -ENOSPC;
		goto out;
	}
	ret = 0;
	kref_get(&prov->ref);
	p2pbuf_event(P2PBUF_NL_CMD_PROVIDER_ADD_NTF, prov);
out:
	mutex_unlock(&p2pbuf_providers_lock);
	return ret;
}

/**
 * p2pbuf_pcibar_add() - register a PCI BAR range as a provider
 * @p: device, BAR and range
 * @extack: where to report why a request was refused
 * @provp: on success, the new provider with a reference for the caller
 *
 * Pins the device (pci_dev_get()) until the provider is released, and
 * builds a gen_pool over the range for buffer sub-allocation.  Sends a
 * %P2PBUF_NL_CMD_PROVIDER_ADD_NTF event.
 *
 * Return: 0; -ENODEV if there is no such device or it does not respond;
 * -ENXIO if its memory decoding is off;
 * -EINVAL for a BAR that is unimplemented, an I/O-port BAR, unassigned,
 * not page aligned, or a range that is not page aligned or does not fit;
 * -EEXIST if the range overlaps a registered provider; -ENOMEM; -ENOSPC
 * when the id space is exhausted.
 */
int p2pbuf_pcibar_add(const struct p2pbuf_pcibar_params *p,
		      struct netlink_ext_ack *extack,
		      struct p2pbuf_provider **provp)
{
	struct p2pbuf_pcibar *pb;
	u16 cmd;
	struct pci_dev *pdev;
	phys_addr_t start;
	u64 size;
	int ret;

	/* A reference that the provider keeps until it is released. */
	pdev = pci_get_domain_bus_and_slot(p->domain, p->bus, p->devfn);
	if (!pdev) {
		NL_SET_ERR_MSG(extack, "no PCI device at this address");
		return -ENODEV;
	}
	if (!pci_device_is_present(pdev)) {
		NL_SET_ERR_MSG(extack, "PCI device does not respond");
		ret = -ENODEV;
		goto err_put_dev;
	}
	ret = p2pbuf_pcibar_check(pdev, p, extack, &start, &size);
	if (ret)
		goto err_put_dev;
	/*
	 * A device whose memory decoding is off (hot-added with no driver,
	 * or disabled) answers nothing at its BARs: buffers would read zeros
	 * and drop writes.  Whoever owns the device enables it.
	 */
	pci_read_config_word(pdev, PCI_COMMAND, &cmd);
	if (!(cmd & PCI_COMMAND_MEMORY)) {
		NL_SET_ERR_MSG(extack,
			       "memory decoding is off on the device (enable it first)");
		ret = -ENXIO;
		goto err_put_dev;
	}

	pb = kzalloc(sizeof(*pb), GFP_KERNEL);
	if (!pb) {
		ret = -ENOMEM;
		goto err_put_dev;
	}
	p2pbuf_provider_init(&pb->prov, &p2pbuf_pcibar_ops);
	pb->pdev = pdev;
	pb->bar = p->bar;
	pb->prov.pdev = pdev;
	pb->prov.bar = p->bar;
	pb->offset = p->offset;
	pb->prov.size = size;
	pb->prov.devmem = true;
	pb->prov.phys = start;
	pb->prov.numa_node = dev_to_node(&pdev->dev);
	pb->prov.flags = p->flags & P2PBUF_NL_PROVIDER_F_HOST_BRIDGE_P2P;
	if (pci_resource_flags(pdev, p->bar) & IORESOURCE_PREFETCH)
		pb->prov.flags |= P2PBUF_NL_PROVIDER_F_PREFETCHABLE;

	/*
	 * The pool hands out CPU physical addresses; gen_pool keys chunks
	 * by unsigned long, which holds a phys_addr_t on the 64-bit
	 * architectures p2pbuf supports.
	 */
	BUILD_BUG_ON(sizeof(phys_addr_t) > sizeof(unsigned long));
	pb->pool = gen_pool_create(PAGE_SHIFT, pb->prov.numa_node);
	if (!pb->pool) {
		ret = -ENOMEM;
		goto err_free;
	}
	ret = gen_pool_add(pb->pool, start, size, pb->prov.numa_node);
	if (ret)
		goto err_destroy_pool;
	/*
	 * Buffers of prefetchable memory are mapped write-combined.  The
	 * memory type is reserved once for the whole range (on x86: PAT; a
	 * no-op elsewhere), and user mappings are populated page by page
	 * (vmf_insert_pfn()), which takes the reserved type: a per-VMA
	 * reservation (remap_pfn_range() of a whole VMA) is not split-safe
	 * before Linux 6.16, a partial munmap() would leak it.
	 */
	if (pb->prov.flags & P2PBUF_NL_PROVIDER_F_PREFETCHABLE) {
		ret = arch_io_reserve_memtype_wc(start, size);
		if (ret) {
			NL_SET_ERR_MSG(extack,
				       "cannot reserve write-combining for the range");
			goto err_destroy_pool;
		}
	}

	ret = p2pbuf_provider_register(&pb->prov, extack);
	if (ret)
		goto err_memtype;

	pci_info(pdev, "p2pbuf: provider %u: BAR %u [%#llx-%#llx]%s\n",
		 pb->prov.id, pb->bar, (unsigned long long)start,
		 (unsigned long long)(start + size - 1),
		 pb->prov.flags & P2PBUF_NL_PROVIDER_F_PREFETCHABLE ?
		 " prefetchable" : "");
	*provp = &pb->prov;
	return 0;

err_memtype:
	if (pb->prov.flags & P2PBUF_NL_PROVIDER_F_PREFETCHABLE)
		arch_io_free_memtype_wc(start, size);
err_destroy_pool:
	gen_pool_destroy(pb->pool);
err_free:
	kfree(pb);
err_put_dev:
	pci_dev_put(pdev);
	return ret;
}

/* --- p2pdma: a device's published peer-to-peer memory ------------------ */

/**
 * struct p2pbuf_p2pdma - a p2pdma provider
 * @prov: the generic part; @prov.phys and @prov.size are the BAR that
 *	holds the device's p2pmem (for the overlap check with pcibar
 *	providers and for bus addresses), @prov.pages is set
 * @used: bytes of p2pmem p2pbuf's buffers hold (atomic)
 *
 * The memory is the device's p2pmem pool (pci_p2pdma_add_resource() by its
 * driver), shared with its other users (the driver itself, nvmet, the
 * sysfs p2pmem/allocate file): a buffer takes pages with
 * pci_alloc_p2pmem(), one page each, so that every page carries the one
 * pool reference that p2pdma's page_free callback returns when the page's
 * last reference goes.  The buffer holds one page reference per page; user
 * mappings and pins (O_DIRECT I/O) hold theirs, so a page goes back to the
 * pool only when the last of them is dropped, as for p2pmem/allocate.
 */
struct p2pbuf_p2pdma {
	struct p2pbuf_provider prov;
	atomic64_t used;
};

static struct p2pbuf_p2pdma *to_p2pdma(struct p2pbuf_provider *prov)
{
	return container_of(prov, struct p2pbuf_p2pdma, prov);
}

/* An upper bound: the pool is shared with the device's other users. */
static u64 p2pbuf_p2pdma_free_bytes(struct p2pbuf_provider *prov)
{
	s64 used = atomic64_read(&to_p2pdma(prov)->used);

	return prov->size - min_t(u64, used, prov->size);
}

static int p2pbuf_p2pdma_fill_nl(struct p2pbuf_provider *prov,
				 struct sk_buff *skb)
{
	/* Offset 0: the pool lies somewhere in the BAR, as p2pdma placed it. */
	if (nla_put_string(skb, P2PBUF_NL_A_PROVIDER_PCI_ADDR,
			   pci_name(prov->pdev)) ||
	    nla_put_u32(skb, P2PBUF_NL_A_PROVIDER_BAR, prov->bar) ||
	    nla_put_u64_64bit(skb, P2PBUF_NL_A_PROVIDER_OFFSET, 0,
			      P2PBUF_NL_A_PAD))
		return -EMSGSIZE;
	return 0;
}

static void p2pbuf_p2pdma_release(struct p2pbuf_provider *prov)
{
	pci_dev_put(prov->pdev);
	kfree(to_p2pdma(prov));
}

/*
 * Drop the buffer's reference on each page of @ext: p2pdma's page_free
 * puts a page back in the pool now, or when the last mapping or pin of it
 * goes.
 */
static void p2pbuf_p2pdma_free(struct p2pbuf_provider *prov,
			       struct p2pbuf_extent *ext)
{
	unsigned long pfn, end;
	unsigned int i;
	u64 bytes = 0;

	for (i = 0; i < ext->nr; i++) {
		pfn = PHYS_PFN(ext->chunks[i].phys);
		end = pfn + (ext->chunks[i].len >> PAGE_SHIFT);
		for (; pfn < end; pfn++)
			put_page(pfn_to_page(pfn));
		bytes += ext->chunks[i].len;
		cond_resched();
	}
	ext->nr = 0;
	atomic64_sub(bytes, &to_p2pdma(prov)->used);
}

/*
 * Page by page from the pool; physically adjacent pages make one chunk.
 * The pages are zeroed: p2pmem may hold a previous user's data.  A page
 * outside the registered BAR (a driver that published several) fails the
 * allocation.
 */
static int p2pbuf_p2pdma_alloc(struct p2pbuf_provider *prov, u64 size,
			       struct p2pbuf_extent *ext)
{
	struct p2pbuf_chunk *last;
	struct page *page;
	phys_addr_t phys;
	void *kaddr;
	u64 done;
	int ret;

	atomic64_add(size, &to_p2pdma(prov)->used);
	for (done = 0; done < size; done += PAGE_SIZE) {
		kaddr = pci_alloc_p2pmem(prov->pdev, PAGE_SIZE);
		if (!kaddr) {
			ret = -ENOMEM;
			goto err;
		}
		page = virt_to_page(kaddr);
		p2pbuf_p2pmem_page_own(page);
		phys = page_to_phys(page);
		/*
		 * A driver may publish p2pmem in several BARs; the overlap
		 * check with other providers covers the one registered.
		 */
		if (phys < prov->phys ||
		    phys + PAGE_SIZE > prov->phys + prov->size) {
			put_page(page);
			ret = -ENOMEM;
			goto err;
		}
		memset(kaddr, 0, PAGE_SIZE);
		last = ext->nr ? &ext->chunks[ext->nr - 1] : NULL;
		if (last && last->phys + last->len == phys) {
			last->len += PAGE_SIZE;
		} else {
			ret = p2pbuf_extent_add(ext, phys, PAGE_SIZE);
			if (ret) {
				put_page(page);
				goto err;
			}
		}
		if (!(done & (SZ_1M - 1)))
			cond_resched();
	}
	return 0;

err:
	/* What was taken so far goes back; the rest was never taken. */
	atomic64_sub(size - done, &to_p2pdma(prov)->used);
	p2pbuf_p2pdma_free(prov, ext);
	p2pbuf_extent_destroy(ext);
	return ret;
}

static const struct p2pbuf_provider_ops p2pbuf_p2pdma_ops = {
	.kind = P2PBUF_NL_PROVIDER_KIND_P2PDMA,
	.name = "p2pdma",
	.free_bytes = p2pbuf_p2pdma_free_bytes,
	.fill_nl = p2pbuf_p2pdma_fill_nl,
	.release = p2pbuf_p2pdma_release,
	.alloc = p2pbuf_p2pdma_alloc,
	.free = p2pbuf_p2pdma_free,
};

/*
 * Whether @pdev's driver published its p2pmem (pci_p2pmem_publish()): a
 * driver may register memory it keeps for itself (nvme: a CMB that holds
 * only submission queues).  The published pools are what
 * pci_p2pmem_find_many() looks through; for the device itself as the only
 * client its own pool is the closest (distance 0).
 */
static bool p2pbuf_p2pdma_published(struct pci_dev *pdev)
{
	struct device *client = &pdev->dev;
	struct pci_dev *found = pci_p2pmem_find_many(&client, 1);

	pci_dev_put(found);
	return found == pdev;
}

/*
 * The BAR of @pdev that holds its p2pmem: where a page of it is.  (The
 * pool does not say; one page is taken and given back.)  -ENOMEM if the
 * device has no p2pmem or none free.
 */
static int p2pbuf_p2pdma_find_bar(struct pci_dev *pdev, u32 *bar)
{
	phys_addr_t phys;
	void *kaddr;
	u32 i;

	kaddr = pci_alloc_p2pmem(pdev, PAGE_SIZE);
	if (!kaddr)
		return -ENOMEM;
	phys = virt_to_phys(kaddr);
	pci_free_p2pmem(pdev, kaddr, PAGE_SIZE);
	for (i = 0; i <= PCI_STD_RESOURCE_END; i++) {
		if ((pci_resource_flags(pdev, i) & IORESOURCE_MEM) &&
		    pci_resource_len(pdev, i) &&
		    phys >= pci_resource_start(pdev, i) &&
		    phys <= pci_resource_end(pdev, i)) {
			*bar = i;
			return 0;
		}
	}
	return -ENXIO;
}

/**
 * p2pbuf_p2pdma_add() - register a device's p2pmem as a provider
 * @p: the device (domain, bus, devfn) and @p->flags; the BAR, offset and
 *	size must be 0 (the whole pool is used)
 * @extack: where to report why a request was refused
 * @provp: on success, the new provider with a reference for the caller
 *
 * Holds a reference on the device until the provider is released.  The
 * provider goes when the device loses its driver (the driver's p2pmem goes
 * with it): its buffers are revoked first.  Sends a
 * %P2PBUF_NL_CMD_PROVIDER_ADD_NTF event.
 *
 * Return: 0; -EOPNOTSUPP if the kernel has no p2pdma user mappings
 * (CONFIG_PCI_P2PDMA and FOLL_PCI_P2PDMA, 6.2); -ENODEV if there is no such
 * device; -ENXIO if it has no driver, or its driver published no p2pmem
 * (or none is free: a page is needed to find its BAR); -EEXIST if its BAR
 * overlaps a registered provider; -ENOMEM; -ENOSPC when the id space is
 * exhausted.
 */
int p2pbuf_p2pdma_add(const struct p2pbuf_pcibar_params *p,
		      struct netlink_ext_ack *extack,
		      struct p2pbuf_provider **provp)
{
	struct p2pbuf_p2pdma *pd;
	struct pci_dev *pdev;
	u32 bar = 0;
	int ret;

	if (!P2PBUF_HAVE_P2PDMA_PROVIDER) {
		NL_SET_ERR_MSG(extack,
			       "kernel has no p2pdma user mappings (CONFIG_PCI_P2PDMA, 6.2)");
		return -EOPNOTSUPP;
	}
	pdev = pci_get_domain_bus_and_slot(p->domain, p->bus, p->devfn);
	if (!pdev) {
		NL_SET_ERR_MSG(extack, "no PCI device at this address");
		return -ENODEV;
	}
	/*
	 * The driver's p2pmem lives while it is bound: with the device lock
	 * held no unbind (whose notifier removes the device's providers,
	 * taking the registry lock under this one) can come between the
	 * checks and the registration.
	 */
	device_lock(&pdev->dev);
	if (!pdev->dev.driver) {
		NL_SET_ERR_MSG(extack, "device has no driver (which publishes p2pmem)");
		ret = -ENXIO;
		goto err_unlock;
	}
	ret = p2pbuf_p2pdma_published(pdev) ? 0 : -ENXIO;
	if (ret) {
		NL_SET_ERR_MSG(extack,
			       "device's p2pmem is not published (its driver keeps it)");
		goto err_unlock;
	}
	ret = p2pbuf_p2pdma_find_bar(pdev, &bar);
	if (ret == -ENOMEM)
		NL_SET_ERR_MSG(extack,
			       "device has published no p2pmem, or none is free");
	else if (ret)
		NL_SET_ERR_MSG(extack, "device's p2pmem lies in none of its BARs");
	if (ret) {
		ret = -ENXIO;
		goto err_unlock;
	}
	pd = kzalloc(sizeof(*pd), GFP_KERNEL);
	if (!pd) {
		ret = -ENOMEM;
		goto err_unlock;
	}
	p2pbuf_provider_init(&pd->prov, &p2pbuf_p2pdma_ops);
	atomic64_set(&pd->used, 0);
	pd->prov.pdev = pdev;
	pd->prov.bar = bar;
	pd->prov.devmem = true;
	pd->prov.pages = true;
	pd->prov.phys = pci_resource_start(pdev, bar);
	pd->prov.size = pci_resource_len(pdev, bar);
	pd->prov.numa_node = dev_to_node(&pdev->dev);
	pd->prov.flags = p->flags & P2PBUF_NL_PROVIDER_F_HOST_BRIDGE_P2P;
	if (pci_resource_flags(pdev, bar) & IORESOURCE_PREFETCH)
		pd->prov.flags |= P2PBUF_NL_PROVIDER_F_PREFETCHABLE;

	ret = p2pbuf_provider_register(&pd->prov, extack);
	if (ret)
		goto err_free;
	device_unlock(&pdev->dev);
	pci_info(pdev, "p2pbuf: provider %u: p2pmem in BAR %u\n", pd->prov.id,
		 bar);
	*provp = &pd->prov;
	return 0;

err_free:
	kfree(pd);
err_unlock:
	device_unlock(&pdev->dev);
	pci_dev_put(pdev);
	return ret;
}

/*
 * Take @prov out of the registry: no buffer can be allocated from it
 * afterwards.  Unless @force, refuse while it has buffers.  The registry's
 * reference passes to the caller.
 */
static int p2pbuf_provider_take(struct p2pbuf_provider *prov, bool force)
{
	int ret = 0;

	lockdep_assert_held(&p2pbuf_providers_lock);
	spin_lock(&prov->lock);
	if (prov->nr_buffers && !force)
		ret = -EBUSY;
	else
		prov->removed = true;
	spin_unlock(&prov->lock);
	if (!ret)
		xa_erase(&p2pbuf_providers, prov->id);
	return ret;
}

/**
 * p2pbuf_provider_unregister() - take a provider out of the registry
 * @id: provider id
 * @force: take it even if buffers are allocated from it (the caller
 *	revokes them)
 * @extack: where to report why a request was refused
 * @err: on failure, the reason: -ENOENT if no provider has @id; -EINVAL
 *	for the sysmem provider; -EBUSY if buffers are allocated from it and
 *	@force is not set
 *
 * No buffer can be allocated from the provider afterwards.  The caller
 * revokes its buffers (p2pbuf_provider_next_buffer()), sends the removal
 * event and drops the reference (the registry's, passed on).
 *
 * Return: the provider, or NULL and *@err.
 */
struct p2pbuf_provider *p2pbuf_provider_unregister(u32 id, bool force,
						   struct netlink_ext_ack *extack,
						   int *err)
{
	struct p2pbuf_provider *prov;
	int ret;

	mutex_lock(&p2pbuf_providers_lock);
	prov = xa_load(&p2pbuf_providers, id);
	if (!prov) {
		NL_SET_ERR_MSG(extack, "no provider with this id");
		ret = -ENOENT;
	} else if (id == P2PBUF_PROVIDER_ID_SYSMEM) {
		NL_SET_ERR_MSG(extack, "the sysmem provider cannot be removed");
		ret = -EINVAL;
	} else {
		ret = p2pbuf_provider_take(prov, force);
		if (ret)
			NL_SET_ERR_MSG(extack, "provider still has buffers");
	}
	mutex_unlock(&p2pbuf_providers_lock);
	*err = ret;
	return ret ? NULL : prov;
}

/**
 * p2pbuf_provider_unregister_device() - take a provider of a device out
 * @pdev: a PCI device that is going away or losing its driver
 *
 * Like p2pbuf_provider_unregister() with force, for the first registered
 * provider whose memory is on @pdev; call until it returns NULL.
 *
 * Return: the provider with the registry's reference, or NULL if none is
 * left on @pdev.
 */
struct p2pbuf_provider *p2pbuf_provider_unregister_device(struct pci_dev *pdev)
{
	struct p2pbuf_provider *prov;
	unsigned long id;

	mutex_lock(&p2pbuf_providers_lock);
	xa_for_each(&p2pbuf_providers, id, prov) {
		if (prov->pdev == pdev && !p2pbuf_provider_take(prov, true))
			break;
	}
	mutex_unlock(&p2pbuf_providers_lock);
	return prov;
}

/**
 * p2pbuf_providers_init() - register the sysmem provider
 *
 * Return: 0 or a negative errno.
 */
int p2pbuf_providers_init(void)
{
	struct p2pbuf_provider *prov;
	int ret;

	prov = kzalloc(sizeof(*prov), GFP_KERNEL);
	if (!prov)
		return -ENOMEM;
	p2pbuf_provider_init(prov, &p2pbuf_sysmem_ops);
	prov->id = P2PBUF_PROVIDER_ID_SYSMEM;
	prov->size = (u64)totalram_pages() << PAGE_SHIFT;
	ret = xa_insert(&p2pbuf_providers, prov->id, prov, GFP_KERNEL);
	if (ret)
		kfree(prov);
	return ret;
}

/**
 * p2pbuf_providers_exit() - remove every provider, sysmem included
 *
 * Called at module unload after the netlink family is gone (no request and
 * no notification can run) and after the misc device is gone (no buffer
 * can exist: every open file holds a module reference).  Drops the PCI
 * device references.
 */
void p2pbuf_providers_exit(void)
{
	struct p2pbuf_provider *prov;
	unsigned long id;

	mutex_lock(&p2pbuf_providers_lock);
	xa_for_each(&p2pbuf_providers, id, prov) {
		xa_erase(&p2pbuf_providers, id);
		spin_lock(&prov->lock);
		prov->removed = true;
		spin_unlock(&prov->lock);
		p2pbuf_provider_put(prov);
	}
	mutex_unlock(&p2pbuf_providers_lock);
	xa_destroy(&p2pbuf_providers);
}
