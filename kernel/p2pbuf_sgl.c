// SPDX-License-Identifier: GPL-2.0-only
/*
 * p2pbuf_sgl.c - dma-sgls: a peer VMA range as DMA addresses for a device.
 *
 * P2PBUF_IOC_MAP takes a range of the caller's address space that p2pbuf
 * mappings cover, resolves it to (buffer, offset) pieces through the VMAs
 * (never through page tables or foreign memory: p2pbuf_vma_buffer()
 * recognises our own VMAs by their vm_ops), decides for each provider
 * whether the target device can reach the memory and how (bus address
 * through a PCIe switch, the DMA API through the host bridge, the DMA API
 * for host memory), maps it and returns a file descriptor: the dma-sgl.
 *
 * The dma-sgl (struct p2pbuf_sgl) holds a reference on every buffer it
 * covers and on the target device, so neither FREE nor munmap() can take
 * memory away from under the device; the release of its file unmaps the
 * DMA and drops them.  Its fd answers P2PBUF_IOC_SEGMENTS (the addresses,
 * CAP_SYS_RAWIO) and P2PBUF_IOC_SYNC.
 *
 * Reachability mirrors drivers/pci/p2pdma.c (calc_map_type_and_dist() and
 * the host bridge allowlist) so that p2pbuf works on kernels built without
 * CONFIG_PCI_P2PDMA (Debian's), and defers to pci_p2pdma_distance() where
 * the kernel has it.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/anon_inodes.h>
#include <linux/capability.h>
#include <linux/dma-mapping.h>
#include <linux/file.h>
#include <linux/idr.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/pci.h>
#include <linux/pci-p2pdma.h>
#include <linux/poll.h>
#include <linux/scatterlist.h>
#include <linux/seq_file.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <net/netlink.h>

#ifdef CONFIG_X86
#include <asm/processor.h>
#endif

#include "p2pbuf.h"

static bool host_bridge_p2p;
module_param(host_bridge_p2p, bool, 0644);
MODULE_PARM_DESC(host_bridge_p2p,
		 "Allow peer-to-peer DMA through any host bridge, even one not known to forward it (default N)");

/*
 * The registry of dma-sgls: id -> sgl, each entry holding a reference.
 * p2pbuf_sgls_lock serialises insertion, removal and the scans of
 * revocation and of the netlink listings; it nests outside &p2pbuf_sgl.lock.
 */
static DEFINE_MUTEX(p2pbuf_sgls_lock);
static DEFINE_XARRAY_ALLOC1(p2pbuf_sgls);

/**
 * struct p2pbuf_sgl_piece - a part of a dma-sgl inside one buffer
 * @buf: the buffer, referenced
 * @off: offset of the part in @buf
 * @len: bytes
 * @map_type: enum p2pbuf_map_type of the part
 * @sgt: host memory: the scatterlist mapped with dma_map_sgtable()
 * @dma: device memory mapped with dma_map_resource(): its address
 * @kind: how it was mapped, so that it is unmapped the same way
 */
struct p2pbuf_sgl_piece {
	struct p2pbuf_buffer *buf;
	u64 off;
	u64 len;
	u32 map_type;
	struct sg_table sgt;
	dma_addr_t dma;
	enum {
		P2PBUF_PIECE_UNMAPPED,
		P2PBUF_PIECE_SGT,
		P2PBUF_PIECE_RESOURCE,
		P2PBUF_PIECE_BUS,
	} kind;
};

/**
 * struct p2pbuf_sgl - a dma-sgl, the object behind a dma-sgl fd
 * @ref: references: the file's, the registry's, and a scan's while it
 *	works on the sgl outside p2pbuf_sgls_lock
 * @lock: protects @state, @reason, @generation, @pieces and @segs after
 *	the sgl was published (revocation empties them)
 * @wq: pollers of the file, woken when the sgl is revoked
 * @state: enum p2pbuf_sgl_state; read without @lock by poll()
 * @reason: enum p2pbuf_nl_revoke_reason once revoked
 * @owner: thread group that made it, referenced
 * @uid: its effective uid
 * @comm: its command name
 * @id: global id, unique while the dma-sgl exists
 * @announced: the SGL_NEW event was sent (so SGL_DEL is sent at release)
 * @pf_file: the /dev/p2pbuf file it was made through, referenced, so that
 *	its &p2pbuf_file.nr_sgls can be decremented at release
 * @target: the device the addresses are for, referenced
 * @dir: the DMA direction of the mapping
 * @udir: the same as enum p2pbuf_dma_dir
 * @map_type: enum p2pbuf_map_type of the whole
 * @length: bytes covered
 * @generation: starts at 1, changes with the state (revocation)
 * @pieces: @nr_pieces parts, in address order
 * @nr_pieces: see @pieces
 * @segs: @nr_segs coalesced DMA segments, in address order
 * @nr_segs: see @segs
 * @buf_ids: ids of the @nr_buf_ids distinct buffers it covers (kept after
 *	revocation, for the listings and events)
 * @nr_buf_ids: see @buf_ids
 *
 * Built completely in P2PBUF_IOC_MAP before it is published in the
 * registry; from then on only revocation changes it, under @lock.
 */
struct p2pbuf_sgl {
	struct kref ref;
	struct mutex lock; /* see above */
	wait_queue_head_t wq;
	u32 state;
	u32 reason;
	struct pid *owner;
	kuid_t uid;
	char comm[TASK_COMM_LEN];
	u32 id;
	bool announced;
	struct file *pf_file;
	struct pci_dev *target;
	enum dma_data_direction dir;
	u32 udir;
	u32 map_type;
	u64 length;
	u32 generation;
	struct p2pbuf_sgl_piece *pieces;
	unsigned int nr_pieces;
	struct p2pbuf_segment *segs;
	unsigned int nr_segs;
	u32 *buf_ids;
	unsigned int nr_buf_ids;
};

/* --- reachability ------------------------------------------------------- */

/* The bus address of CPU physical address @phys in @prov's BAR. */
static u64 p2pbuf_bus_addr(struct p2pbuf_provider *prov, phys_addr_t phys)
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

/**
 * struct p2pbuf_path - what p2pbuf_reach() found
 * @reason: enum p2pbuf_reach_reason
 * @map_type: enum p2pbuf_map_type, 0 if unreachable
 * @distance: PCI hops, as pci_p2pdma_distance() counts them
 */
struct p2pbuf_path {
	u32 reason;
	u32 map_type;
	u32 distance;
};

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

/*
 * Decide how @target reaches memory of @prov.  On kernels built with
 * CONFIG_PCI_P2PDMA the kernel's own pci_p2pdma_distance() has the last
 * word: p2pbuf's walk must agree with it (a disagreement is reported in
 * the kernel log), and a path it refuses is refused.  The administrator's
 * host bridge permission applies on top, as p2pdma has no such setting.
 */
static void p2pbuf_reach(struct p2pbuf_provider *prov, struct pci_dev *target,
			 struct p2pbuf_path *path)
{
	bool translated = p2pbuf_dev_translated(&target->dev);
	u32 api_type = translated ? P2PBUF_MAP_TYPE_IOMMU :
				    P2PBUF_MAP_TYPE_DIRECT;
	bool below_switch, p2pdma_ok;
	int dist;

	memset(path, 0, sizeof(*path));
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
			pci_warn(prov->pdev,
				 "p2pbuf: reachability of %s disagrees with p2pdma (%d vs reason %u)\n",
				 pci_name(target), dist, path->reason);
		if (dist < 0 && path->map_type) {
			path->reason = P2PBUF_UNREACH_P2PDMA;
			path->map_type = 0;
		}
	}

	if (path->reason == P2PBUF_UNREACH_HOST_BRIDGE &&
	    ((prov->flags & P2PBUF_NL_PROVIDER_F_HOST_BRIDGE_P2P) ||
	     READ_ONCE(host_bridge_p2p))) {
		path->reason = P2PBUF_REACH_HOST_BRIDGE_ADMIN;
		path->map_type = api_type;
	}
}

/*
 * The target named by @t, referenced.  Returns -EINVAL for a non-zero
 * reserved field, -ENODEV if no such PCI function exists.
 */
static int p2pbuf_target_get(const struct p2pbuf_pci_target *t,
			     struct pci_dev **pdevp)
{
	struct pci_dev *pdev;

	if (t->reserved)
		return -EINVAL;
	pdev = pci_get_domain_bus_and_slot(t->domain, t->bus, t->devfn);
	if (!pdev)
		return -ENODEV;
	if (!pdev->dev.dma_mask) {
		pci_dev_put(pdev);
		return -ENODEV;
	}
	*pdevp = pdev;
	return 0;
}

static void p2pbuf_target_fill(struct p2pbuf_pci_target *t,
			       struct pci_dev *pdev)
{
	memset(t, 0, sizeof(*t));
	t->domain = pci_domain_nr(pdev->bus);
	t->bus = pdev->bus->number;
	t->devfn = pdev->devfn;
}

/**
 * p2pbuf_ioctl_reach() - handle %P2PBUF_IOC_REACH
 * @call: the call; its context is the caller's struct p2pbuf_file
 * @arg: kernel copy of struct p2pbuf_reach
 *
 * Return: 0 (also for an unreachable target: @map_type 0 and the reason);
 * -EINVAL for non-zero flags or reserved fields; -ENOENT if no provider
 * has the id; -ENODEV if the target does not exist.
 */
int p2pbuf_ioctl_reach(struct p2pbuf_ioctl_call *call, void *arg)
{
	struct p2pbuf_reach *r = arg;
	struct p2pbuf_provider *prov;
	struct p2pbuf_path path;
	struct pci_dev *target;
	int ret;

	if (r->flags || memchr_inv(r->reserved, 0, sizeof(r->reserved)))
		return -EINVAL;
	ret = p2pbuf_target_get(&r->target, &target);
	if (ret)
		return ret;
	prov = p2pbuf_provider_get(r->provider_id);
	if (!prov) {
		pci_dev_put(target);
		return -ENOENT;
	}
	p2pbuf_reach(prov, target, &path);
	memset(r, 0, sizeof(*r));
	r->provider_id = prov->id;
	r->reason = path.reason;
	r->map_type = path.map_type;
	r->distance = path.distance;
	p2pbuf_target_fill(&r->target, target);
	p2pbuf_provider_put(prov);
	pci_dev_put(target);
	return 0;
}

/* --- building a dma-sgl ------------------------------------------------- */

/*
 * Append the DMA range [@dma, @dma + @len) to the segments, merged with the
 * last one when contiguous, split at @max_seg bytes.
 */
static int p2pbuf_sgl_add_seg(struct p2pbuf_sgl *sgl, unsigned int *cap,
			      u64 dma, u64 len, u64 max_seg)
{
	struct p2pbuf_segment *last, *segs;
	unsigned int ncap;
	u64 n;

	while (len) {
		last = sgl->nr_segs ? &sgl->segs[sgl->nr_segs - 1] : NULL;
		if (last && last->dma_addr + last->length == dma &&
		    last->length < max_seg) {
			n = min(len, max_seg - last->length);
			last->length += n;
			dma += n;
			len -= n;
			continue;
		}
		if (sgl->nr_segs >= p2pbuf_max_sgl_segments())
			return -E2BIG;
		if (sgl->nr_segs == *cap) {
			ncap = min(max(*cap * 2, 16U),
				   p2pbuf_max_sgl_segments());
			segs = kvmalloc_array(ncap, sizeof(*segs), GFP_KERNEL);
			if (!segs)
				return -ENOMEM;
			if (sgl->nr_segs)
				memcpy(segs, sgl->segs,
				       sgl->nr_segs * sizeof(*segs));
			kvfree(sgl->segs);
			sgl->segs = segs;
			*cap = ncap;
		}
		n = min(len, max_seg);
		sgl->segs[sgl->nr_segs].dma_addr = dma;
		sgl->segs[sgl->nr_segs].length = n;
		sgl->nr_segs++;
		dma += n;
		len -= n;
	}
	return 0;
}

/*
 * Resolve [@addr, @addr + @len) of the caller's address space to pieces
 * of buffers, each referenced.  Adjacent VMAs of the same buffer at
 * contiguous offsets (the halves of a split) become one piece.
 */
static int p2pbuf_sgl_collect(struct p2pbuf_sgl *sgl, u64 addr, u64 len,
			      unsigned long need)
{
	struct mm_struct *mm = current->mm;
	struct p2pbuf_sgl_piece *p, *pieces;
	struct p2pbuf_buffer *buf;
	struct vm_area_struct *vma;
	unsigned int cap = 0, ncap;
	u64 end = addr + len, voff, off, n;
	int ret = 0;

	if (!mm)
		return -EFAULT;
	mmap_read_lock(mm);
	while (addr < end) {
		vma = find_vma(mm, addr);
		if (!vma || vma->vm_start > addr) {
			ret = -EFAULT;
			break;
		}
		buf = p2pbuf_vma_buffer(vma, &voff);
		if (!buf) {
			ret = -ENXIO;
			break;
		}
		if ((vma->vm_flags & need) != need) {
			ret = -EACCES;
			break;
		}
		n = min_t(u64, end, vma->vm_end) - addr;
		off = voff + (addr - vma->vm_start);
		p = sgl->nr_pieces ? &sgl->pieces[sgl->nr_pieces - 1] : NULL;
		if (p && p->buf == buf && p->off + p->len == off) {
			p->len += n;
			addr += n;
			continue;
		}
		if (sgl->nr_pieces >= p2pbuf_max_sgl_segments()) {
			ret = -E2BIG;
			break;
		}
		if (sgl->nr_pieces == cap) {
			ncap = min(max(cap * 2, 4U), p2pbuf_max_sgl_segments());
			pieces = kvcalloc(ncap, sizeof(*pieces), GFP_KERNEL);
			if (!pieces) {
				ret = -ENOMEM;
				break;
			}
			if (sgl->nr_pieces)
				memcpy(pieces, sgl->pieces,
				       sgl->nr_pieces * sizeof(*pieces));
			kvfree(sgl->pieces);
			sgl->pieces = pieces;
			cap = ncap;
		}
		p = &sgl->pieces[sgl->nr_pieces++];
		p2pbuf_buffer_get(buf);
		p->buf = buf;
		p->off = off;
		p->len = n;
		addr += n;
	}
	mmap_read_unlock(mm);
	return ret;
}

/*
 * Host memory: a scatterlist of the piece's chunks, through the DMA API.
 * Entries are cut at the device's maximum segment size, which the DMA
 * layer expects of every entry (DMA-API debug checks it) even with no
 * driver bound; contiguous DMA ranges are merged again afterwards.
 */
static int p2pbuf_piece_map_host(struct p2pbuf_sgl *sgl,
				 struct p2pbuf_sgl_piece *p)
{
	const struct p2pbuf_extent *ext = &p->buf->ext;
	u64 seg_max = dma_get_max_seg_size(&sgl->target->dev);
	u64 skip, left, n;
	unsigned int i, first = 0, nents = 0;
	struct scatterlist *sg;
	phys_addr_t phys;
	int ret;

	seg_max = min_t(u64, round_down(seg_max, PAGE_SIZE), SZ_1G);
	if (!seg_max)
		seg_max = PAGE_SIZE;
	/* The first chunk of the piece, and the offset in it. */
	skip = p->off;
	while (first < ext->nr && skip >= ext->chunks[first].len)
		skip -= ext->chunks[first++].len;
	left = p->len;
	for (i = first; left && i < ext->nr; i++) {
		n = min(left, ext->chunks[i].len - (i == first ? skip : 0));
		nents += DIV_ROUND_UP(n, seg_max);
		left -= n;
	}
	if (WARN_ON_ONCE(left))
		return -EINVAL;
	ret = sg_alloc_table(&p->sgt, nents, GFP_KERNEL);
	if (ret)
		return ret;
	left = p->len;
	sg = p->sgt.sgl;
	for (i = first; left; i++) {
		phys = ext->chunks[i].phys + (i == first ? skip : 0);
		n = min(left, ext->chunks[i].len - (i == first ? skip : 0));
		left -= n;
		while (n) {
			u64 e = min(n, seg_max);

			sg_set_page(sg, pfn_to_page(PHYS_PFN(phys)), e, 0);
			sg = sg_next(sg);
			phys += e;
			n -= e;
		}
	}
	ret = dma_map_sgtable(&sgl->target->dev, &p->sgt, sgl->dir, 0);
	if (ret) {
		sg_free_table(&p->sgt);
		return ret == -ENOMEM ? -ENOMEM : -EIO;
	}
	p->kind = P2PBUF_PIECE_SGT;
	return 0;
}

static void p2pbuf_piece_unmap(struct p2pbuf_sgl *sgl,
			       struct p2pbuf_sgl_piece *p)
{
	switch (p->kind) {
	case P2PBUF_PIECE_SGT:
		dma_unmap_sgtable(&sgl->target->dev, &p->sgt, sgl->dir, 0);
		sg_free_table(&p->sgt);
		break;
	case P2PBUF_PIECE_RESOURCE:
		dma_unmap_resource(&sgl->target->dev, p->dma, p->len,
				   sgl->dir, 0);
		break;
	default:
		break;
	}
	p->kind = P2PBUF_PIECE_UNMAPPED;
}

/*
 * Map one piece for the target and append its DMA ranges to the segments.
 */
static int p2pbuf_piece_map(struct p2pbuf_sgl *sgl, struct p2pbuf_sgl_piece *p,
			    unsigned int *cap, u64 max_seg)
{
	struct p2pbuf_provider *prov = p->buf->prov;
	struct device *dev = &sgl->target->dev;
	struct p2pbuf_path path;
	struct scatterlist *sg;
	phys_addr_t phys;
	u64 len, bus;
	unsigned int i;
	int ret;

	p2pbuf_reach(prov, sgl->target, &path);
	if (!path.map_type)
		return -EXDEV;
	p->map_type = path.map_type;

	if (!prov->devmem) {
		ret = p2pbuf_piece_map_host(sgl, p);
		if (ret)
			return ret;
		for_each_sgtable_dma_sg(&p->sgt, sg, i) {
			ret = p2pbuf_sgl_add_seg(sgl, cap, sg_dma_address(sg),
						 sg_dma_len(sg), max_seg);
			if (ret)
				return ret;
		}
		return 0;
	}

	/* pcibar buffers are one physically contiguous chunk. */
	phys = p2pbuf_buffer_phys(p->buf, p->off, &len);
	if (WARN_ON_ONCE(len < p->len))
		return -EINVAL;
	if (path.map_type == P2PBUF_MAP_TYPE_BUS_ADDR) {
		bus = p2pbuf_bus_addr(prov, phys);
		if (bus + p->len - 1 > dma_get_mask(dev))
			return -EXDEV;
		p->kind = P2PBUF_PIECE_BUS;
		return p2pbuf_sgl_add_seg(sgl, cap, bus, p->len, max_seg);
	}
	p->dma = dma_map_resource(dev, phys, p->len, sgl->dir, 0);
	if (dma_mapping_error(dev, p->dma))
		return -EIO;
	p->kind = P2PBUF_PIECE_RESOURCE;
	return p2pbuf_sgl_add_seg(sgl, cap, p->dma, p->len, max_seg);
}

/*
 * The segment size limit: what the target's driver declared (dma_parms),
 * or none when no driver is bound: the PCI core's 64 KiB default then
 * describes no real constraint, and a contiguous range stays one segment.
 */
static u64 p2pbuf_target_max_seg(struct pci_dev *target)
{
	if (target->dev.driver)
		return dma_get_max_seg_size(&target->dev);
	return U64_MAX;
}

/*
 * Whether piece @i is the first of its buffer in @sgl: the per-buffer and
 * per-provider sgl counts count each (sgl, buffer) pair once.
 */
static bool p2pbuf_sgl_first_piece(struct p2pbuf_sgl *sgl, unsigned int i)
{
	unsigned int j;

	for (j = 0; j < i; j++)
		if (sgl->pieces[j].buf == sgl->pieces[i].buf)
			return false;
	return true;
}

/* Unmap the DMA and drop the buffers; the sgl covers nothing afterwards. */
static void p2pbuf_sgl_unmap_all(struct p2pbuf_sgl *sgl)
{
	struct p2pbuf_buffer *buf;
	unsigned int i;

	for (i = 0; i < sgl->nr_pieces; i++)
		p2pbuf_piece_unmap(sgl, &sgl->pieces[i]);
	for (i = 0; i < sgl->nr_pieces; i++) {
		buf = sgl->pieces[i].buf;
		if (sgl->state && p2pbuf_sgl_first_piece(sgl, i)) {
			atomic_dec(&buf->nr_sgls);
			atomic_dec(&buf->prov->nr_sgls);
		}
	}
	/* Only now: the last put may return the memory to its provider. */
	for (i = 0; i < sgl->nr_pieces; i++)
		p2pbuf_buffer_put(sgl->pieces[i].buf);
	kvfree(sgl->pieces);
	sgl->pieces = NULL;
	sgl->nr_pieces = 0;
	kvfree(sgl->segs);
	sgl->segs = NULL;
	sgl->nr_segs = 0;
}

static void p2pbuf_sgl_free(struct kref *ref)
{
	struct p2pbuf_sgl *sgl = container_of(ref, struct p2pbuf_sgl, ref);

	p2pbuf_sgl_unmap_all(sgl);
	pci_dev_put(sgl->target);
	put_pid(sgl->owner);
	kfree(sgl->buf_ids);
	mutex_destroy(&sgl->lock);
	kfree(sgl);
}

static void p2pbuf_sgl_put(struct p2pbuf_sgl *sgl)
{
	kref_put(&sgl->ref, p2pbuf_sgl_free);
}

/*
 * Revoke @sgl: mark it, wake its pollers and tell listeners, then tear the
 * DMA mapping down and let go of its buffers.  Returns whether it was live.
 */
static bool p2pbuf_sgl_revoke(struct p2pbuf_sgl *sgl, u32 reason)
{
	mutex_lock(&sgl->lock);
	if (sgl->state != P2PBUF_SGL_STATE_MAPPED) {
		mutex_unlock(&sgl->lock);
		return false;
	}
	WRITE_ONCE(sgl->state, P2PBUF_SGL_STATE_REVOKED);
	sgl->reason = reason;
	sgl->generation++;
	wake_up_interruptible_poll(&sgl->wq, EPOLLERR | EPOLLPRI);
	p2pbuf_nl_notify_sgl(sgl, P2PBUF_NL_CMD_SGL_REVOKE_NTF);
	p2pbuf_sgl_unmap_all(sgl);
	mutex_unlock(&sgl->lock);
	return true;
}

/* dma-sgls collected per pass of p2pbuf_sgls_revoke(). */
#define P2PBUF_REVOKE_BATCH	32

/**
 * p2pbuf_sgls_revoke() - revoke every live dma-sgl that @match selects
 * @match: called under p2pbuf_sgls_lock and the sgl's lock with the sgl
 *	and @arg; true to revoke it
 * @arg: for @match
 * @reason: enum p2pbuf_nl_revoke_reason
 *
 * Collects matching sgls in batches (with a reference each) under the
 * registry lock and revokes them outside it, since revocation sleeps and
 * takes other locks; a revoked sgl no longer matches, so the passes end.
 * No allocation, so it cannot fail.  Process context; may sleep.
 *
 * Return: the number of dma-sgls revoked.
 */
unsigned int p2pbuf_sgls_revoke(bool (*match)(struct p2pbuf_sgl *sgl,
					      void *arg),
				void *arg, u32 reason)
{
	struct p2pbuf_sgl *sgl, *victims[P2PBUF_REVOKE_BATCH];
	unsigned int n, i, done = 0;
	unsigned long id, start = 0;
	bool hit;

	do {
		n = 0;
		mutex_lock(&p2pbuf_sgls_lock);
		xa_for_each_start(&p2pbuf_sgls, id, sgl, start) {
			mutex_lock(&sgl->lock);
			hit = sgl->state == P2PBUF_SGL_STATE_MAPPED &&
			      match(sgl, arg);
			mutex_unlock(&sgl->lock);
			if (!hit)
				continue;
			kref_get(&sgl->ref);
			victims[n++] = sgl;
			if (n == P2PBUF_REVOKE_BATCH)
				break;
		}
		mutex_unlock(&p2pbuf_sgls_lock);
		for (i = 0; i < n; i++) {
			start = victims[i]->id + 1;
			done += p2pbuf_sgl_revoke(victims[i], reason);
			p2pbuf_sgl_put(victims[i]);
		}
	} while (n == P2PBUF_REVOKE_BATCH);
	return done;
}

/**
 * p2pbuf_sgl_fill_nl() - the netlink attributes describing a dma-sgl
 * @skb: the message being built
 * @sgl: the dma-sgl, with its lock held
 * @owner: include who made it (pid, uid, command): listings only, not the
 *	events everybody may receive
 *
 * Return: 0 or -EMSGSIZE.
 */
int p2pbuf_sgl_fill_nl(struct sk_buff *skb, struct p2pbuf_sgl *sgl,
		       bool owner)
{
	bool live = sgl->state == P2PBUF_SGL_STATE_MAPPED;
	unsigned int i;

	lockdep_assert_held(&sgl->lock);
	if (nla_put_u32(skb, P2PBUF_NL_A_SGL_ID, sgl->id) ||
	    nla_put_string(skb, P2PBUF_NL_A_SGL_TARGET, pci_name(sgl->target)) ||
	    nla_put_u64_64bit(skb, P2PBUF_NL_A_SGL_LENGTH, sgl->length,
			      P2PBUF_NL_A_PAD) ||
	    nla_put_u32(skb, P2PBUF_NL_A_SGL_SEGMENTS, sgl->nr_segs) ||
	    nla_put_u32(skb, P2PBUF_NL_A_SGL_MAP_TYPE, sgl->map_type) ||
	    nla_put_u32(skb, P2PBUF_NL_A_SGL_STATE,
			live ? P2PBUF_NL_STATE_LIVE : P2PBUF_NL_STATE_REVOKED) ||
	    nla_put_u32(skb, P2PBUF_NL_A_SGL_DIRECTION, sgl->udir) ||
	    nla_put_u32(skb, P2PBUF_NL_A_SGL_GENERATION, sgl->generation) ||
	    (owner && nla_put_u32(skb, P2PBUF_NL_A_OWNER_PID,
				  pid_nr(sgl->owner))) ||
	    (owner && nla_put_u32(skb, P2PBUF_NL_A_OWNER_UID,
				  from_kuid_munged(&init_user_ns, sgl->uid))) ||
	    (owner && nla_put_string(skb, P2PBUF_NL_A_OWNER_COMM, sgl->comm)) ||
	    (!live && nla_put_u32(skb, P2PBUF_NL_A_REASON, sgl->reason)))
		return -EMSGSIZE;
	for (i = 0; i < sgl->nr_buf_ids; i++)
		if (nla_put_u32(skb, P2PBUF_NL_A_BUFFER_ID, sgl->buf_ids[i]))
			return -EMSGSIZE;
	return 0;
}

/**
 * p2pbuf_sgl_uid() - the effective uid of a dma-sgl's creator
 * @sgl: the dma-sgl
 *
 * Return: the uid, for the visibility rule of the listings.
 */
kuid_t p2pbuf_sgl_uid(struct p2pbuf_sgl *sgl)
{
	return sgl->uid;
}

/**
 * p2pbuf_sgls_for_each() - call @fn for the dma-sgls in the registry
 * @pos: in: first id to visit; out: id to resume from when @fn failed
 * @fn: called in id order with the registry and the sgl's lock held; a
 *	non-zero return stops the walk and is returned
 * @arg: passed to @fn
 *
 * Return: 0 when every sgl from *@pos on was visited, or what @fn returned.
 */
int p2pbuf_sgls_for_each(unsigned long *pos,
			 int (*fn)(struct p2pbuf_sgl *sgl, void *arg),
			 void *arg)
{
	struct p2pbuf_sgl *sgl;
	unsigned long id;
	int ret = 0;

	mutex_lock(&p2pbuf_sgls_lock);
	xa_for_each_start(&p2pbuf_sgls, id, sgl, *pos) {
		mutex_lock(&sgl->lock);
		ret = fn(sgl, arg);
		mutex_unlock(&sgl->lock);
		if (ret)
			break;
	}
	*pos = ret ? id : ULONG_MAX;
	mutex_unlock(&p2pbuf_sgls_lock);
	return ret;
}

static bool p2pbuf_sgl_covers(struct p2pbuf_sgl *sgl, void *buf)
{
	unsigned int i;

	for (i = 0; i < sgl->nr_pieces; i++)
		if (sgl->pieces[i].buf == buf)
			return true;
	return false;
}

/**
 * p2pbuf_sgls_revoke_buffer() - revoke the dma-sgls covering a buffer
 * @buf: the buffer, referenced by the caller and already marked revoked
 * @reason: enum p2pbuf_nl_revoke_reason
 */
void p2pbuf_sgls_revoke_buffer(struct p2pbuf_buffer *buf, u32 reason)
{
	p2pbuf_sgls_revoke(p2pbuf_sgl_covers, buf, reason);
}

static bool p2pbuf_sgl_targets(struct p2pbuf_sgl *sgl, void *pdev)
{
	return sgl->target == pdev;
}

/**
 * p2pbuf_sgls_revoke_target() - revoke the dma-sgls made for a device
 * @pdev: the target that is going away
 * @reason: enum p2pbuf_nl_revoke_reason
 *
 * Return: the number revoked.
 */
unsigned int p2pbuf_sgls_revoke_target(struct pci_dev *pdev, u32 reason)
{
	return p2pbuf_sgls_revoke(p2pbuf_sgl_targets, pdev, reason);
}

static const char *const p2pbuf_map_type_names[] = {
	[P2PBUF_MAP_TYPE_BUS_ADDR] = "bus-addr",
	[P2PBUF_MAP_TYPE_IOMMU] = "iommu",
	[P2PBUF_MAP_TYPE_DIRECT] = "direct",
	[P2PBUF_MAP_TYPE_MIXED] = "mixed",
};

static const char *const p2pbuf_dir_names[] = {
	[P2PBUF_DMA_TO_DEVICE] = "to-device",
	[P2PBUF_DMA_FROM_DEVICE] = "from-device",
	[P2PBUF_DMA_BIDIRECTIONAL] = "bidirectional",
};

/* --- the dma-sgl file --------------------------------------------------- */

static int p2pbuf_sgl_release(struct inode *inode, struct file *file)
{
	struct p2pbuf_sgl *sgl = file->private_data;
	struct file *pf_file = sgl->pf_file;
	struct p2pbuf_file *pf = pf_file->private_data;
	bool listed;

	mutex_lock(&p2pbuf_sgls_lock);
	listed = sgl->id && xa_erase(&p2pbuf_sgls, sgl->id) == sgl;
	mutex_unlock(&p2pbuf_sgls_lock);
	mutex_lock(&sgl->lock);
	if (sgl->announced)
		p2pbuf_nl_notify_sgl(sgl, P2PBUF_NL_CMD_SGL_DEL_NTF);
	mutex_unlock(&sgl->lock);
	if (listed)
		p2pbuf_sgl_put(sgl); /* the registry's */
	p2pbuf_sgl_put(sgl); /* the file's */
	atomic_dec(&pf->nr_sgls);
	fput(pf_file);
	return 0;
}

/**
 * p2pbuf_ioctl_segments() - handle %P2PBUF_IOC_SEGMENTS on a dma-sgl fd
 * @call: the call; its context is the struct p2pbuf_sgl
 * @arg: kernel copy of struct p2pbuf_segments
 *
 * Return: 0; -EINVAL for unknown flags or non-zero reserved fields; -EPERM
 * when addresses are asked for without CAP_SYS_RAWIO; -EMSGSIZE (the reply
 * is still copied back, with @nr_segments) when @capacity is too small;
 * -EFAULT.
 */
static int p2pbuf_ioctl_segments(struct p2pbuf_ioctl_call *call, void *arg)
{
	struct p2pbuf_segment __user *useg;
	struct p2pbuf_segments *s = arg;
	struct p2pbuf_sgl *sgl = call->ctx;
	struct p2pbuf_segment *copy = NULL;
	u32 flags, capacity, nr;
	unsigned int i;
	bool addrs;
	int ret = 0;

	if (s->flags & ~P2PBUF_SEGMENTS_F_LENGTHS_ONLY ||
	    memchr_inv(s->reserved, 0, sizeof(s->reserved)))
		return -EINVAL;
	flags = s->flags;
	capacity = s->capacity;
	useg = u64_to_user_ptr(s->segments);
	addrs = !(flags & P2PBUF_SEGMENTS_F_LENGTHS_ONLY);
	if (useg && addrs && !capable(CAP_SYS_RAWIO))
		return -EPERM;

	memset(s, 0, sizeof(*s));
	/* A snapshot under the lock; user memory is written without it. */
	mutex_lock(&sgl->lock);
	nr = sgl->nr_segs;
	s->nr_segments = nr;
	s->length = sgl->length;
	s->map_type = sgl->map_type;
	s->state = sgl->state;
	s->direction = sgl->udir;
	s->generation = sgl->generation;
	if (useg && nr && capacity >= nr) {
		copy = kvmalloc_array(nr, sizeof(*copy), GFP_KERNEL);
		if (copy) {
			for (i = 0; i < nr; i++) {
				copy[i].dma_addr =
					addrs ? sgl->segs[i].dma_addr : 0;
				copy[i].length = sgl->segs[i].length;
			}
		}
	}
	mutex_unlock(&sgl->lock);
	p2pbuf_target_fill(&s->target, sgl->target);
	if (!useg)
		return 0;
	if (capacity < nr)
		return -EMSGSIZE;
	if (nr && !copy)
		return -ENOMEM;
	if (nr && copy_to_user(useg, copy, array_size(nr, sizeof(*copy))))
		ret = -EFAULT;
	kvfree(copy);
	return ret;
}

/**
 * p2pbuf_ioctl_sync() - handle %P2PBUF_IOC_SYNC on a dma-sgl fd
 * @call: the call; its context is the struct p2pbuf_sgl
 * @arg: kernel copy of struct p2pbuf_sync
 *
 * Return: 0; -EINVAL unless exactly one direction flag is set, or for a
 * non-zero reserved field; -ENODEV if the dma-sgl was revoked.
 */
static int p2pbuf_ioctl_sync(struct p2pbuf_ioctl_call *call, void *arg)
{
	struct p2pbuf_sync *s = arg;
	struct p2pbuf_sgl *sgl = call->ctx;
	struct p2pbuf_sgl_piece *p;
	unsigned int i;

	if ((s->flags != P2PBUF_SYNC_F_FOR_CPU &&
	     s->flags != P2PBUF_SYNC_F_FOR_DEVICE) || s->reserved)
		return -EINVAL;
	mutex_lock(&sgl->lock);
	if (sgl->state != P2PBUF_SGL_STATE_MAPPED) {
		mutex_unlock(&sgl->lock);
		return -ENODEV;
	}
	for (i = 0; i < sgl->nr_pieces; i++) {
		p = &sgl->pieces[i];
		if (p->kind != P2PBUF_PIECE_SGT)
			continue;
		if (s->flags == P2PBUF_SYNC_F_FOR_CPU)
			dma_sync_sgtable_for_cpu(&sgl->target->dev, &p->sgt,
						 sgl->dir);
		else
			dma_sync_sgtable_for_device(&sgl->target->dev, &p->sgt,
						    sgl->dir);
	}
	mutex_unlock(&sgl->lock);
	return 0;
}

static const struct p2pbuf_ioctl_op p2pbuf_sgl_ioctl_ops[] = {
	[P2PBUF_CMD_SEGMENTS] = {
		.size = sizeof(struct p2pbuf_segments),
		.min_size = P2PBUF_SEGMENTS_SIZE_VER0,
		.copy_out = true,
		.copy_out_err = -EMSGSIZE,
		.handler = p2pbuf_ioctl_segments,
	},
	[P2PBUF_CMD_SYNC] = {
		.size = sizeof(struct p2pbuf_sync),
		.min_size = P2PBUF_SYNC_SIZE_VER0,
		.handler = p2pbuf_ioctl_sync,
	},
};

static long p2pbuf_sgl_ioctl(struct file *file, unsigned int cmd,
			     unsigned long uarg)
{
	return p2pbuf_ioctl_dispatch(p2pbuf_sgl_ioctl_ops,
				     ARRAY_SIZE(p2pbuf_sgl_ioctl_ops),
				     file->private_data, cmd, uarg);
}

static __poll_t p2pbuf_sgl_poll(struct file *file, poll_table *wait)
{
	struct p2pbuf_sgl *sgl = file->private_data;

	poll_wait(file, &sgl->wq, wait);
	if (READ_ONCE(sgl->state) == P2PBUF_SGL_STATE_REVOKED)
		return EPOLLERR | EPOLLPRI;
	return 0;
}

static void p2pbuf_sgl_show_fdinfo(struct seq_file *m, struct file *file)
{
	struct p2pbuf_sgl *sgl = file->private_data;

	mutex_lock(&sgl->lock);
	seq_printf(m, "p2pbuf-sgl:\t%u\n", sgl->id);
	seq_printf(m, "target:\t%s\n", pci_name(sgl->target));
	seq_printf(m, "direction:\t%s\n", p2pbuf_dir_names[sgl->udir]);
	seq_printf(m, "map-type:\t%s\n", p2pbuf_map_type_names[sgl->map_type]);
	seq_printf(m, "length:\t%llu\n", sgl->length);
	seq_printf(m, "segments:\t%u\n", sgl->nr_segs);
	seq_printf(m, "buffers:\t%u\n", sgl->nr_pieces);
	seq_printf(m, "state:\t%s\n",
		   sgl->state == P2PBUF_SGL_STATE_MAPPED ? "mapped" : "revoked");
	seq_printf(m, "generation:\t%u\n", sgl->generation);
	mutex_unlock(&sgl->lock);
}

static const struct file_operations p2pbuf_sgl_fops = {
	.owner = THIS_MODULE,
	.release = p2pbuf_sgl_release,
	.unlocked_ioctl = p2pbuf_sgl_ioctl,
	.compat_ioctl = p2pbuf_compat_ptr_ioctl,
	.poll = p2pbuf_sgl_poll,
	.show_fdinfo = p2pbuf_sgl_show_fdinfo,
};

static int p2pbuf_map_check(const struct p2pbuf_map *m, unsigned long *need,
			    enum dma_data_direction *dir)
{
	if (m->flags & ~P2PBUF_MAP_F_NO_CLOEXEC ||
	    memchr_inv(m->reserved, 0, sizeof(m->reserved)))
		return -EINVAL;
	switch (m->direction) {
	case P2PBUF_DMA_TO_DEVICE:
		*need = VM_READ;
		*dir = DMA_TO_DEVICE;
		break;
	case P2PBUF_DMA_FROM_DEVICE:
		*need = VM_WRITE;
		*dir = DMA_FROM_DEVICE;
		break;
	case P2PBUF_DMA_BIDIRECTIONAL:
		*need = VM_READ | VM_WRITE;
		*dir = DMA_BIDIRECTIONAL;
		break;
	default:
		return -EINVAL;
	}
	if (!m->length || !PAGE_ALIGNED(m->addr) || !PAGE_ALIGNED(m->length) ||
	    m->addr + m->length < m->addr)
		return -EINVAL;
	return 0;
}

/**
 * p2pbuf_ioctl_map() - handle %P2PBUF_IOC_MAP: make a dma-sgl
 * @call: the call; its context is the caller's struct p2pbuf_file.  The
 *	new file and its reserved fd are handed back in @call for the
 *	dispatcher to install after the reply reached userspace.
 * @arg: kernel copy of struct p2pbuf_map
 *
 * Return: 0; -EINVAL for unknown flags, non-zero reserved fields, an
 * unknown direction, a zero, unaligned or wrapping range; -ENODEV if the
 * target does not exist; -ENOSPC if the file already made max_sgls_per_fd
 * dma-sgls; -EFAULT if part of the range is not mapped; -ENXIO if part of
 * it is not a p2pbuf mapping; -EACCES if a mapping lacks the protection
 * the direction needs; -EXDEV if the target cannot reach a provider's
 * memory (%P2PBUF_IOC_REACH says why); -E2BIG for more than
 * max_sgl_segments segments; -EIO if the DMA layer refused; -ENODEV if a
 * buffer or the target was revoked or removed meanwhile; -ENOMEM; -EMFILE.
 */
int p2pbuf_ioctl_map(struct p2pbuf_ioctl_call *call, void *arg)
{
	struct p2pbuf_file *pf = call->ctx;
	struct p2pbuf_map *m = arg;
	enum dma_data_direction dir;
	struct p2pbuf_sgl *sgl;
	unsigned int cap = 0, i;
	unsigned long need;
	struct file *file;
	u64 max_seg;
	int ret, fd;

	ret = p2pbuf_map_check(m, &need, &dir);
	if (ret)
		return ret;
	sgl = kzalloc(sizeof(*sgl), GFP_KERNEL);
	if (!sgl)
		return -ENOMEM;
	kref_init(&sgl->ref);
	mutex_init(&sgl->lock);
	init_waitqueue_head(&sgl->wq);
	sgl->owner = get_task_pid(current, PIDTYPE_TGID);
	sgl->uid = current_euid();
	get_task_comm(sgl->comm, current);
	sgl->dir = dir;
	sgl->udir = m->direction;
	sgl->length = m->length;
	sgl->generation = 1;
	ret = p2pbuf_target_get(&m->target, &sgl->target);
	if (ret)
		goto err_put;
	if (atomic_inc_return(&pf->nr_sgls) > p2pbuf_max_sgls_per_fd()) {
		ret = -ENOSPC;
		goto err_count;
	}
	ret = p2pbuf_sgl_collect(sgl, m->addr, m->length, need);
	if (ret)
		goto err_count;
	max_seg = p2pbuf_target_max_seg(sgl->target);
	for (i = 0; i < sgl->nr_pieces; i++) {
		struct p2pbuf_buffer *buf = sgl->pieces[i].buf;

		/* Revocation returns the memory only after this. */
		down_read(&buf->revoke_lock);
		if (buf->revoked)
			ret = -ENODEV;
		else
			ret = p2pbuf_piece_map(sgl, &sgl->pieces[i], &cap,
					       max_seg);
		up_read(&buf->revoke_lock);
		if (ret)
			goto err_count;
		if (!sgl->map_type)
			sgl->map_type = sgl->pieces[i].map_type;
		else if (sgl->map_type != sgl->pieces[i].map_type)
			sgl->map_type = P2PBUF_MAP_TYPE_MIXED;
	}
	sgl->buf_ids = kcalloc(sgl->nr_pieces, sizeof(u32), GFP_KERNEL);
	if (!sgl->buf_ids) {
		ret = -ENOMEM;
		goto err_count;
	}
	/* Counted from here on; p2pbuf_sgl_unmap_all() uncounts. */
	sgl->state = P2PBUF_SGL_STATE_MAPPED;
	for (i = 0; i < sgl->nr_pieces; i++) {
		if (p2pbuf_sgl_first_piece(sgl, i)) {
			sgl->buf_ids[sgl->nr_buf_ids++] =
				sgl->pieces[i].buf->id;
			atomic_inc(&sgl->pieces[i].buf->nr_sgls);
			atomic_inc(&sgl->pieces[i].buf->prov->nr_sgls);
		}
	}

	fd = get_unused_fd_flags(m->flags & P2PBUF_MAP_F_NO_CLOEXEC ?
				 0 : O_CLOEXEC);
	if (fd < 0) {
		ret = fd;
		goto err_count;
	}
	get_file(pf->file);
	sgl->pf_file = pf->file;
	file = anon_inode_getfile("[p2pbuf-sgl]", &p2pbuf_sgl_fops, sgl,
				  O_RDWR);
	if (IS_ERR(file)) {
		ret = PTR_ERR(file);
		fput(sgl->pf_file);
		put_unused_fd(fd);
		goto err_count;
	}
	/*
	 * From here on the file's release undoes everything (the count, the
	 * registry entry if any, the references).  Publish, then check that
	 * nothing was revoked meanwhile: a revocation marks its buffers or
	 * device first and scans the registry after, so it either finds the
	 * sgl or the sgl sees its mark.
	 */
	mutex_lock(&p2pbuf_sgls_lock);
	ret = xa_alloc(&p2pbuf_sgls, &sgl->id, sgl, xa_limit_31b, GFP_KERNEL);
	if (!ret)
		kref_get(&sgl->ref);
	mutex_unlock(&p2pbuf_sgls_lock);
	if (!ret && p2pbuf_device_gone(sgl->target))
		ret = -ENODEV;
	for (i = 0; !ret && i < sgl->nr_pieces; i++)
		if (p2pbuf_buffer_revoked(sgl->pieces[i].buf))
			ret = -ENODEV;
	if (ret) {
		put_unused_fd(fd);
		fput(file);
		return ret;
	}
	mutex_lock(&sgl->lock);
	sgl->announced = true;
	p2pbuf_nl_notify_sgl(sgl, P2PBUF_NL_CMD_SGL_NEW_NTF);
	mutex_unlock(&sgl->lock);
	call->install_file = file;
	call->install_fd = fd;

	m->sgl_fd = fd;
	m->nr_segments = sgl->nr_segs;
	m->map_type = sgl->map_type;
	return 0;

err_count:
	atomic_dec(&pf->nr_sgls);
err_put:
	p2pbuf_sgl_put(sgl);
	return ret;
}

/**
 * p2pbuf_sgls_exit() - module unload: no dma-sgl exists any more
 */
void p2pbuf_sgls_exit(void)
{
	WARN_ON(!xa_empty(&p2pbuf_sgls));
	xa_destroy(&p2pbuf_sgls);
}
