/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note OR MIT */
/*
 * p2pbuf_test_importer: a test-only dma-buf importer (never installed,
 * never part of p2pbuf.ko), modelled on iommufd's selftest mock.  The
 * guest tests give it a dma-buf fd and a PCI function; it attaches as that
 * device's importer, maps, hands the DMA addresses back, counts the
 * exporter's invalidations (and unmaps in them, as RDMA's importer does),
 * unmaps and detaches.  Device: /dev/p2pbuf_test_importer; each open file
 * holds up to P2PBUF_TI_MAX attachments, detached when it is closed.
 */
#ifndef _P2PBUF_TEST_IMPORTER_H
#define _P2PBUF_TEST_IMPORTER_H

#include <linux/const.h>
#include <linux/ioctl.h>
#include <linux/types.h>

#define P2PBUF_TI_MAX		16
#define P2PBUF_TI_MAX_SEGS	64

/* attach flags */
#define P2PBUF_TI_F_PEER2PEER	_BITUL(0)	/* importer_ops.allow_peer2peer */
#define P2PBUF_TI_F_STATIC	_BITUL(1)	/* dma_buf_attach(): no invalidation */
#define P2PBUF_TI_F_NO_UNMAP	_BITUL(2)	/* invalidation: count, do not unmap */

struct p2pbuf_ti_attach {
	__s32 dmabuf_fd;	/* in */
	__u32 flags;		/* in: P2PBUF_TI_F_* */
	__u32 domain;		/* in: the importing PCI function */
	__u32 bus;
	__u32 devfn;
	__u32 slot;		/* out: names the attachment */
};

struct p2pbuf_ti_seg {
	__u64 dma_addr;
	__u64 length;
};

struct p2pbuf_ti_map {
	__u32 slot;		/* in */
	__u32 direction;	/* in: enum dma_data_direction (0 bidi, 1 to dev, 2 from dev) */
	__u32 nr_segs;		/* out: entries of the sg_table */
	__u32 page_less;	/* out: 1 if no entry has a struct page */
	struct p2pbuf_ti_seg segs[P2PBUF_TI_MAX_SEGS];	/* out: the first ones */
};

struct p2pbuf_ti_status {
	__u32 slot;		/* in */
	__u32 mapped;		/* out: the attachment holds a mapping */
	__u32 invalidations;	/* out: invalidate/move_notify calls seen */
	__u32 unmapped_in_invalidate; /* out: mappings it dropped in them */
	__u32 peer2peer;	/* out: attach->peer2peer */
	/*
	 * out: the kernel tells dynamic importers (CONFIG_DMABUF_MOVE_NOTIFY,
	 * or 7.1+) instead of pinning before every map
	 */
	__u32 dynamic_notify;
	/*
	 * out: whether the first DMA address of the mapping still translated
	 * in the device's IOMMU domain when the invalidation came (1), did
	 * not (0), or cannot be told (2: no translating domain, no mapping);
	 * and the same now (with P2PBUF_TI_F_NO_UNMAP the importer keeps its
	 * sg_table after the invalidation)
	 */
	__u32 live_at_invalidate;
	__u32 live_now;
};

#define P2PBUF_TI_MAGIC		0xB8
#define P2PBUF_TI_ATTACH	_IOWR(P2PBUF_TI_MAGIC, 0, struct p2pbuf_ti_attach)
#define P2PBUF_TI_MAP		_IOWR(P2PBUF_TI_MAGIC, 1, struct p2pbuf_ti_map)
#define P2PBUF_TI_UNMAP		_IOW(P2PBUF_TI_MAGIC, 2, __u32)
#define P2PBUF_TI_DETACH	_IOW(P2PBUF_TI_MAGIC, 3, __u32)
#define P2PBUF_TI_STATUS	_IOWR(P2PBUF_TI_MAGIC, 4, struct p2pbuf_ti_status)
#define P2PBUF_TI_PIN		_IOW(P2PBUF_TI_MAGIC, 5, __u32)
#define P2PBUF_TI_UNPIN		_IOW(P2PBUF_TI_MAGIC, 6, __u32)
/*
 * The argument is a dma-buf fd (of any exporter): under its reservation
 * lock, tell its dynamic importers that its memory moves, as an exporter
 * does (dma_buf_move_notify(), dma_buf_invalidate_mappings() from 7.1).
 * For exporters that never move their memory (udmabuf, the heaps).
 */
#define P2PBUF_TI_NOTIFY	_IOW(P2PBUF_TI_MAGIC, 7, __s32)
/*
 * Returns the fd (close-on-exec) of a new dma-buf of P2PBUF_TI_EXPORT_SIZE
 * zeroed bytes exported by this module (exporter name
 * "p2pbuf_test_importer"): an exporter p2pbuf does not know, whose mmap
 * works (shared or private) and whose map for a device is refused
 * (EOPNOTSUPP).
 */
#define P2PBUF_TI_EXPORT	_IO(P2PBUF_TI_MAGIC, 8)
#define P2PBUF_TI_EXPORT_SIZE	65536

#endif /* _P2PBUF_TEST_IMPORTER_H */
