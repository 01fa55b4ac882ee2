// SPDX-License-Identifier: GPL-2.0-only
/*
 * p2pbuf_dma.c - DMA mappings of buffers, one per (device, direction).
 *
 * A buffer's memory is mapped for a device the way p2pbuf_reach() decided:
 * host memory and p2pdma pages through the DMA API as a scatterlist (IOVAs
 * under an IOMMU; for p2pdma pages the DMA API asks p2pdma, which may give
 * bus addresses), device memory through the host bridge with
 * dma_map_phys(DMA_ATTR_MMIO) (dma_map_resource() before 6.18:
 * p2pbuf_dma_map_mmio()), device memory below a common switch by bus
 * address (nothing to map).  The whole
 * buffer is mapped once per (device, direction, map type) and shared by
 * every consumer that needs it (struct p2pbuf_dmamap, reference counted
 * under the buffer's dma_lock): ten dma-sgls of one buffer for one device
 * are one mapping, so MAP costs one mapping per new (buffer, device,
 * direction), and the DMA API never sees the same memory mapped twice for
 * the same device.
 *
 * Different devices (or directions) still map the same memory more than
 * once.  The DMA API allows that for memory the CPU does not write
 * meanwhile; p2pbuf maps with DMA_ATTR_SKIP_CPU_SYNC and does the cache
 * maintenance itself, once, right after mapping and before unmapping (the
 * pattern Documentation/core-api/dma-attributes.rst describes for buffers
 * shared between devices), and bounds the writable mappings of one buffer
 * at P2PBUF_MAX_WRITABLE_MAPS, the number of overlapping mappings of a
 * cache line the DMA API's debugging code accepts (more would be refused
 * by it with a warning): beyond that, -EBUSY.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bsearch.h>
#include <linux/device.h>
#include <linux/dma-mapping.h>
#include <linux/list.h>
#include <linux/mm.h>
#include <linux/scatterlist.h>
#include <linux/sizes.h>
#include <linux/slab.h>

#include "p2pbuf.h"

/*
 * Writable (not DMA_TO_DEVICE) DMA-API mappings of one buffer at a time:
 * kernel/dma/debug.c tracks at most 7 overlaps of a cache line
 * (ACTIVE_CACHELINE_MAX_OVERLAP), i.e. 8 mappings.
 */
#define P2PBUF_MAX_WRITABLE_MAPS	8

/**
 * struct p2pbuf_dmaseg - one DMA segment of a mapping
 * @off: offset in the buffer of its first byte
 * @dma: its DMA address
 * @len: bytes
 */
struct p2pbuf_dmaseg {
	u64 off;
	u64 dma;
	u64 len;
};

/**
 * struct p2pbuf_dmamap - the buffer's memory mapped for one device
 * @node: entry in &p2pbuf_buffer.dmamaps
 * @users: consumers using it; under &p2pbuf_buffer.dma_lock
 * @buf: the buffer (each user holds a reference on it)
 * @dev: the device, referenced
 * @dir: the direction it was mapped for
 * @map_type: enum p2pbuf_map_type
 * @writable: counted in &p2pbuf_buffer.nr_wmaps
 * @nosync: @sgt holds p2pdma pages: device memory, possibly at bus
 *	addresses, which no CPU cache maintenance applies to (the DMA API
 *	skips P2PDMA segments itself where it knows them)
 * @sgt: host memory: the mapped scatterlist (@sgt.sgl NULL otherwise)
 * @resource: device memory through the host bridge: each of @segs was
 *	mapped with p2pbuf_dma_map_mmio()
 * @segs: @nr_segs DMA segments covering the buffer in order
 * @nr_segs: see @segs
 *
 * Immutable once made, but for @users and @node.
 */
struct p2pbuf_dmamap {
	struct list_head node;
	unsigned int users;
	struct p2pbuf_buffer *buf;
	struct device *dev;
	enum dma_data_direction dir;
	u32 map_type;
	bool writable;
	bool nosync;
	struct sg_table sgt;
	bool resource;
	struct p2pbuf_dmaseg *segs;
	unsigned int nr_segs;
};

/*
 * Memory with struct pages (host memory, p2pdma pages): a scatterlist of
 * the buffer's chunks, mapped through the DMA API.  Entries are cut at the
 * device's maximum segment size, which the DMA layer expects of every
 * entry (DMA-API debug checks it) even with no driver bound.
 */
static int p2pbuf_dmamap_host(struct p2pbuf_dmamap *map)
{
	const struct p2pbuf_extent *ext = &map->buf->ext;
	u64 seg_max = dma_get_max_seg_size(map->dev);
	unsigned int i, nents = 0;
	struct scatterlist *sg;
	phys_addr_t phys;
	u64 n, e;
	int ret;

	seg_max = min_t(u64, round_down(seg_max, PAGE_SIZE), SZ_1G);
	if (!seg_max)
		seg_max = PAGE_SIZE;
	for (i = 0; i < ext->nr; i++)
		nents += DIV_ROUND_UP(ext->chunks[i].len, seg_max);
	ret = sg_alloc_table(&map->sgt, nents, GFP_KERNEL);
	if (ret)
		return ret;
	sg = map->sgt.sgl;
	for (i = 0; i < ext->nr; i++) {
		phys = ext->chunks[i].phys;
		for (n = ext->chunks[i].len; n; n -= e) {
			e = min(n, seg_max);
			sg_set_page(sg, pfn_to_page(PHYS_PFN(phys)), e, 0);
			sg = sg_next(sg);
			phys += e;
		}
	}
	ret = dma_map_sgtable(map->dev, &map->sgt, map->dir,
			      DMA_ATTR_SKIP_CPU_SYNC);
	if (ret) {
		sg_free_table(&map->sgt);
		map->sgt.sgl = NULL;
		/* -EREMOTEIO: p2pdma refused the peer-to-peer path. */
		if (ret == -EREMOTEIO)
			return -EXDEV;
		return ret == -ENOMEM ? -ENOMEM : -EIO;
	}
	/* The cache maintenance the mapping skipped. */
	if (!map->nosync)
		dma_sync_sgtable_for_device(map->dev, &map->sgt, map->dir);
	return 0;
}

/* The DMA segments of a mapped scatterlist, with their buffer offsets. */
static int p2pbuf_dmamap_host_segs(struct p2pbuf_dmamap *map)
{
	struct scatterlist *sg;
	unsigned int i;
	u64 off = 0;

	map->segs = kvmalloc_array(map->sgt.nents, sizeof(*map->segs),
				   GFP_KERNEL);
	if (!map->segs)
		return -ENOMEM;
	for_each_sgtable_dma_sg(&map->sgt, sg, i) {
		map->segs[i].off = off;
		map->segs[i].dma = sg_dma_address(sg);
		map->segs[i].len = sg_dma_len(sg);
		off += sg_dma_len(sg);
	}
	map->nr_segs = map->sgt.nents;
	return 0;
}

/*
 * Device memory without the DMA API's page handling: one segment per chunk
 * (pcibar: one chunk), mapped through the host bridge with
 * p2pbuf_dma_map_mmio(), or at its bus address.
 */
static int p2pbuf_dmamap_devmem(struct p2pbuf_dmamap *map)
{
	const struct p2pbuf_extent *ext = &map->buf->ext;
	struct p2pbuf_dmaseg *seg;
	phys_addr_t phys;
	dma_addr_t dma;
	unsigned int i;
	u64 off = 0;

	map->segs = kvmalloc_array(ext->nr, sizeof(*map->segs), GFP_KERNEL);
	if (!map->segs)
		return -ENOMEM;
	map->resource = map->map_type != P2PBUF_MAP_TYPE_BUS_ADDR;
	for (i = 0; i < ext->nr; i++) {
		phys = ext->chunks[i].phys;
		seg = &map->segs[i];
		if (!map->resource) {
			dma = p2pbuf_bus_addr(map->buf->prov, phys);
			if (dma + ext->chunks[i].len - 1 > dma_get_mask(map->dev))
				return -EXDEV;
		} else {
			dma = p2pbuf_dma_map_mmio(map->dev, phys,
						  ext->chunks[i].len, map->dir,
						  DMA_ATTR_SKIP_CPU_SYNC);
			if (dma_mapping_error(map->dev, dma))
				return -EIO;
		}
		seg->off = off;
		seg->dma = dma;
		seg->len = ext->chunks[i].len;
		off += seg->len;
		/* Counted as mapped only now, for p2pbuf_dmamap_free(). */
		map->nr_segs = i + 1;
	}
	return 0;
}

/* Undo p2pbuf_dmamap_host()/_devmem() and free @map. */
static void p2pbuf_dmamap_free(struct p2pbuf_dmamap *map)
{
	unsigned int i;

	if (map->sgt.sgl) {
		if (map->dir != DMA_TO_DEVICE && !map->nosync)
			dma_sync_sgtable_for_cpu(map->dev, &map->sgt, map->dir);
		dma_unmap_sgtable(map->dev, &map->sgt, map->dir,
				  DMA_ATTR_SKIP_CPU_SYNC);
		sg_free_table(&map->sgt);
	}
	for (i = 0; map->resource && i < map->nr_segs; i++)
		p2pbuf_dma_unmap_mmio(map->dev, map->segs[i].dma,
				      map->segs[i].len, map->dir,
				      DMA_ATTR_SKIP_CPU_SYNC);
	kvfree(map->segs);
	put_device(map->dev);
	kfree(map);
}

/**
 * p2pbuf_dmamap_get() - the buffer's memory mapped for a device
 * @buf: a buffer the caller holds a reference on (and keeps while it uses
 *	the mapping) and is a consumer of, so that the memory stays until
 *	the mapping is put
 * @dev: the device
 * @dir: the DMA direction
 * @path: how @dev reaches the memory (p2pbuf_reach()); its map type must
 *	not be 0
 * @mapp: on success, the mapping; put it with p2pbuf_dmamap_put()
 *
 * Shares the mapping made for the same device, direction and map type.
 * Process context.
 *
 * Return: 0; -EBUSY if the buffer already has P2PBUF_MAX_WRITABLE_MAPS
 * writable DMA-API mappings; -EXDEV if bus addresses lie above the
 * device's DMA mask or p2pdma refused the path of p2pdma pages; -EIO if
 * the DMA layer refused; -ENOMEM.
 */
int p2pbuf_dmamap_get(struct p2pbuf_buffer *buf, struct device *dev,
		      enum dma_data_direction dir,
		      const struct p2pbuf_path *path,
		      struct p2pbuf_dmamap **mapp)
{
	struct p2pbuf_dmamap *map;
	int ret;

	mutex_lock(&buf->dma_lock);
	list_for_each_entry(map, &buf->dmamaps, node) {
		if (map->dev == dev && map->dir == dir &&
		    map->map_type == path->map_type) {
			map->users++;
			goto out;
		}
	}
	map = kzalloc(sizeof(*map), GFP_KERNEL);
	if (!map) {
		ret = -ENOMEM;
		goto err_unlock;
	}
	map->buf = buf;
	map->dev = get_device(dev);
	map->dir = dir;
	map->map_type = path->map_type;
	map->writable = dir != DMA_TO_DEVICE &&
			path->map_type != P2PBUF_MAP_TYPE_BUS_ADDR;
	if (map->writable && buf->nr_wmaps >= P2PBUF_MAX_WRITABLE_MAPS) {
		ret = -EBUSY;
		goto err_free;
	}
	/*
	 * p2pdma pages go through the DMA API, which asks p2pdma how the
	 * device reaches them (bus address or IOMMU), unless p2pdma refused
	 * and only the administrator's host bridge permission allows the
	 * path: then they are device memory like a pcibar provider's.
	 */
	if (buf->prov->devmem &&
	    (!buf->prov->pages ||
	     path->reason == P2PBUF_REACH_HOST_BRIDGE_ADMIN)) {
		ret = p2pbuf_dmamap_devmem(map);
	} else {
		map->nosync = buf->prov->pages;
		ret = p2pbuf_dmamap_host(map);
		if (!ret)
			ret = p2pbuf_dmamap_host_segs(map);
	}
	if (ret)
		goto err_free;
	if (map->writable)
		buf->nr_wmaps++;
	map->users = 1;
	list_add_tail(&map->node, &buf->dmamaps);
out:
	mutex_unlock(&buf->dma_lock);
	*mapp = map;
	return 0;

err_free:
	p2pbuf_dmamap_free(map);
err_unlock:
	mutex_unlock(&buf->dma_lock);
	return ret;
}

/**
 * p2pbuf_dmamap_put() - stop using a mapping
 * @map: the mapping; the last user unmaps it
 *
 * Process context.  The caller still holds its buffer reference.
 */
void p2pbuf_dmamap_put(struct p2pbuf_dmamap *map)
{
	struct p2pbuf_buffer *buf = map->buf;

	might_sleep();
	mutex_lock(&buf->dma_lock);
	if (--map->users) {
		mutex_unlock(&buf->dma_lock);
		return;
	}
	list_del(&map->node);
	if (map->writable)
		buf->nr_wmaps--;
	mutex_unlock(&buf->dma_lock);
	p2pbuf_dmamap_free(map);
}

static int p2pbuf_dmaseg_cmp(const void *key, const void *elt)
{
	u64 off = *(const u64 *)key;
	const struct p2pbuf_dmaseg *s = elt;

	if (off < s->off)
		return -1;
	return off >= s->off + s->len ? 1 : 0;
}

/**
 * p2pbuf_dmamap_ranges() - the DMA addresses of part of a buffer
 * @map: a mapping of the buffer
 * @off: offset in the buffer
 * @len: bytes, with @off + @len inside the buffer
 * @fn: called for each DMA-contiguous range, in order; a non-zero return
 *	stops the walk and is returned
 * @arg: passed to @fn
 *
 * O(log segments + the ranges reported).
 *
 * Return: 0, or what @fn returned.
 */
int p2pbuf_dmamap_ranges(struct p2pbuf_dmamap *map, u64 off, u64 len,
			 int (*fn)(void *arg, u64 dma, u64 len), void *arg)
{
	const struct p2pbuf_dmaseg *s, *end = map->segs + map->nr_segs;
	u64 skip, n;
	int ret;

	s = bsearch(&off, map->segs, map->nr_segs, sizeof(*map->segs),
		    p2pbuf_dmaseg_cmp);
	if (WARN_ON_ONCE(!s))
		return -EINVAL;
	for (skip = off - s->off; len && s < end; s++, skip = 0) {
		n = min(len, s->len - skip);
		ret = fn(arg, s->dma + skip, n);
		if (ret)
			return ret;
		len -= n;
	}
	return WARN_ON_ONCE(len) ? -EINVAL : 0;
}

/**
 * p2pbuf_dmamap_sync() - hand host memory over between CPU and device
 * @map: a mapping
 * @for_cpu: to the CPU (device writes become visible) or to the device
 *
 * A no-op for device memory (p2pdma pages included).
 */
void p2pbuf_dmamap_sync(struct p2pbuf_dmamap *map, bool for_cpu)
{
	if (!map->sgt.sgl || map->nosync)
		return;
	if (for_cpu)
		dma_sync_sgtable_for_cpu(map->dev, &map->sgt, map->dir);
	else
		dma_sync_sgtable_for_device(map->dev, &map->sgt, map->dir);
}

/**
 * p2pbuf_segs_add() - append a DMA range to a list of segments
 * @arg: the struct p2pbuf_segs (a p2pbuf_dmamap_ranges() callback)
 * @dma: first DMA address of the range
 * @len: its length
 *
 * Merged with the last segment when contiguous, split at @max_seg.  The
 * array grows by doubling up to @limit entries.
 *
 * Return: 0; -E2BIG beyond @limit segments; -ENOMEM.
 */
int p2pbuf_segs_add(void *arg, u64 dma, u64 len)
{
	struct p2pbuf_segs *s = arg;
	struct p2pbuf_segment *last, *segs;
	unsigned int ncap;
	u64 n;

	while (len) {
		last = s->nr ? &s->segs[s->nr - 1] : NULL;
		if (last && last->dma_addr + last->length == dma &&
		    last->length < s->max_seg) {
			n = min(len, s->max_seg - last->length);
			last->length += n;
			dma += n;
			len -= n;
			continue;
		}
		if (s->nr >= s->limit)
			return -E2BIG;
		if (s->nr == s->cap) {
			ncap = min(max(s->cap * 2, 16U), s->limit);
			segs = kvmalloc_array(ncap, sizeof(*segs), GFP_KERNEL);
			if (!segs)
				return -ENOMEM;
			if (s->nr)
				memcpy(segs, s->segs, s->nr * sizeof(*segs));
			kvfree(s->segs);
			s->segs = segs;
			s->cap = ncap;
		}
		n = min(len, s->max_seg);
		s->segs[s->nr].dma_addr = dma;
		s->segs[s->nr].length = n;
		s->nr++;
		dma += n;
		len -= n;
	}
	return 0;
}

/**
 * p2pbuf_segs_free() - empty a list of segments
 * @s: the list; its @limit and @max_seg are kept
 */
void p2pbuf_segs_free(struct p2pbuf_segs *s)
{
	kvfree(s->segs);
	s->segs = NULL;
	s->nr = 0;
	s->cap = 0;
}
