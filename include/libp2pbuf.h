/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libp2pbuf - userspace library for the p2pbuf driver.
 *
 * Every function returns 0 (or a non-negative value where documented) on
 * success and a negative errno on failure; errno itself is not used as the
 * error channel.  Objects are opaque and reference counted.  See
 * libp2pbuf(3).
 */
#ifndef LIBP2PBUF_H
#define LIBP2PBUF_H

#include <stddef.h>
#include <stdint.h>

#include <linux/p2pbuf.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Default device node. */
#define P2PBUF_DEFAULT_DEVICE "/dev/p2pbuf"

/* Library-specific error codes, returned negated like errnos. */
enum p2pbuf_error {
	/* The driver speaks a uAPI major version this library does not know. */
	P2PBUF_E_VERSION = 1000,
	/* The device node exists but is not a p2pbuf device (INFO failed). */
	P2PBUF_E_NOTP2PBUF = 1001,
};

struct p2pbuf_ctx;

/**
 * struct p2pbuf_driver_info - what the driver reported at open time.
 * Append-only.  The caller passes sizeof(struct p2pbuf_driver_info) as it
 * knows it; the library fills what fits and zeroes the bytes it does not
 * know (a caller built against a newer libp2pbuf).  A size smaller than the
 * first layout (up to and including driver_version) gives -EINVAL.
 */
struct p2pbuf_driver_info {
	uint32_t version_major;
	uint32_t version_minor;
	uint64_t features; /* P2PBUF_FEATURE_* from <linux/p2pbuf.h> */
	uint32_t page_size;
	uint32_t max_buffers_per_fd;
	uint32_t max_sgls_per_fd;
	uint32_t max_sgl_segments;
	char driver_version[32]; /* NUL-terminated */
};

/*
 * Context: one open file of the p2pbuf device (devpath NULL means
 * P2PBUF_DEFAULT_DEVICE).  *ctxp is set only on success.  unref returns NULL
 * once the last reference is gone and the file is closed.
 */
int p2pbuf_ctx_new(const char *devpath, struct p2pbuf_ctx **ctxp);
struct p2pbuf_ctx *p2pbuf_ctx_ref(struct p2pbuf_ctx *ctx);
struct p2pbuf_ctx *p2pbuf_ctx_unref(struct p2pbuf_ctx *ctx);
int p2pbuf_ctx_get_fd(const struct p2pbuf_ctx *ctx);
int p2pbuf_ctx_get_info(const struct p2pbuf_ctx *ctx,
			struct p2pbuf_driver_info *info, size_t info_size);

/*
 * Human-readable message for a negative error code returned by libp2pbuf.
 * Thread-safe; the string is valid until the next call in the same thread.
 * For -P2PBUF_E_VERSION it names the driver's uAPI version seen by the last
 * failed p2pbuf_ctx_new() of the calling thread.
 */
const char *p2pbuf_strerror(int err);

/* Names of feature bits, for tools: returns NULL for an unknown bit. */
const char *p2pbuf_feature_name(uint64_t bit);

/* Version of the library itself, "MAJOR.MINOR.PATCH". */
const char *p2pbuf_version(void);

/*
 * Control context (LIBP2PBUF_2): a generic netlink socket bound to the
 * "p2pbuf" family, for the administrative requests (providers).  It does not
 * open the device node, so that listing providers works for callers who may
 * not open /dev/p2pbuf.  Not thread-safe: one thread at a time per context.
 * See libp2pbuf(3) and p2pbuf-netlink(7).
 */
struct p2pbuf_ctl;

int p2pbuf_ctl_new(struct p2pbuf_ctl **ctlp);
void p2pbuf_ctl_free(struct p2pbuf_ctl *ctl);
/*
 * Why the last failed call on ctl failed, as the kernel's extended-ack
 * message (or the library's, for a request it refused itself); NULL if it
 * gave none or the last call succeeded.  Valid until the next call on ctl.
 */
const char *p2pbuf_ctl_last_error(const struct p2pbuf_ctl *ctl);

/* Length of struct p2pbuf_provider_info.pci_addr, NUL included. */
#define P2PBUF_PCI_ADDR_STRLEN 16

/**
 * struct p2pbuf_provider_info - one provider as the kernel describes it.
 * Append-only, used like struct p2pbuf_driver_info: callers pass
 * sizeof(struct p2pbuf_provider_info) as they know it, at least the
 * LIBP2PBUF_2 layout (64 bytes); the library zeroes what it does not know.
 */
struct p2pbuf_provider_info {
	uint32_t id;
	uint32_t kind; /* P2PBUF_NL_PROVIDER_KIND_* from <linux/p2pbuf.h> */
	uint64_t size; /* bytes */
	uint64_t free_bytes; /* bytes not allocated to buffers */
	uint32_t buffers; /* buffers allocated from it */
	uint32_t flags; /* P2PBUF_NL_PROVIDER_F_* from <linux/p2pbuf.h> */
	int32_t numa_node; /* -1: none */
	/* pcibar and p2pdma providers only; 0 and "" for the others */
	uint32_t bar; /* p2pdma: the BAR holding the device's p2pmem */
	uint64_t offset; /* of the range in the BAR (p2pdma: 0) */
	char pci_addr[P2PBUF_PCI_ADDR_STRLEN]; /* "DDDD:BB:DD.F" */
};

/*
 * Register BAR bar of PCI device pci_addr ("DDDD:BB:DD.F") as a provider:
 * the range [offset, offset + size), size 0 meaning up to the end of the
 * BAR.  flags: 0 or P2PBUF_NL_PROVIDER_F_HOST_BRIDGE_P2P (uAPI 1.2 kernels;
 * libp2pbuf with LIBP2PBUF_4).  info (may be NULL) receives the new
 * provider.
 */
int p2pbuf_provider_add(struct p2pbuf_ctl *ctl, const char *pci_addr,
			unsigned int bar, uint64_t offset, uint64_t size,
			unsigned int flags, struct p2pbuf_provider_info *info,
			size_t info_size);
/*
 * Register the peer-to-peer memory that the driver of PCI device pci_addr
 * published (an NVMe controller's CMB...) as a p2pdma provider: buffers
 * are pages of it, which O_DIRECT I/O may target (LIBP2PBUF_9, uAPI 1.7
 * kernels with P2PBUF_FEATURE_P2PDMA_PROVIDER; -EOPNOTSUPP elsewhere).
 * flags: 0 or P2PBUF_NL_PROVIDER_F_HOST_BRIDGE_P2P.  info (may be NULL)
 * receives the new provider.
 */
int p2pbuf_provider_add_p2pdma(struct p2pbuf_ctl *ctl, const char *pci_addr,
			       unsigned int flags,
			       struct p2pbuf_provider_info *info,
			       size_t info_size);
/*
 * p2pbuf_provider_del() flag (LIBP2PBUF_5, uAPI 1.3 kernels): revoke the
 * provider's buffers and their dma-sgls instead of failing with -EBUSY.
 */
#define P2PBUF_PROVIDER_DEL_FORCE (1U << 0)

/* Remove provider id; flags: 0 or P2PBUF_PROVIDER_DEL_FORCE. */
int p2pbuf_provider_del(struct p2pbuf_ctl *ctl, uint32_t id,
			unsigned int flags);
int p2pbuf_provider_get(struct p2pbuf_ctl *ctl, uint32_t id,
			struct p2pbuf_provider_info *info, size_t info_size);
/*
 * All providers, in id order: *listp is set to an array allocated with
 * malloc() (release it with free()) whose elements are info_size bytes
 * apart; returns the number of elements (at least 1: sysmem).
 */
int p2pbuf_provider_list(struct p2pbuf_ctl *ctl,
			 struct p2pbuf_provider_info **listp, size_t info_size);

/*
 * Buffers (LIBP2PBUF_3): memory of a provider, allocated on a context's
 * file and mapped into the process.  A buffer holds a reference on its
 * context.  p2pbuf_buffer_free() frees the buffer and the object; mappings
 * made with p2pbuf_buffer_mmap() stay valid until p2pbuf_buffer_munmap()
 * (the kernel keeps the memory until the last one is gone).  See
 * p2pbuf_buffer_alloc(3) and the mmap rules in p2pbuf(4).
 */
struct p2pbuf_buffer;

/*
 * Allocate length bytes (rounded up to the page size) of zeroed memory from
 * provider provider_id.  flags must be 0.  *bufp is set only on success.
 * Errors are the kernel's (p2pbuf(4)): -EINVAL, -ENOENT, -ENOMEM, -EDQUOT,
 * -ENOSPC, -ENODEV; -EOPNOTSUPP if the driver has no buffers.
 */
int p2pbuf_buffer_alloc(struct p2pbuf_ctx *ctx, uint32_t provider_id,
			uint64_t length, unsigned int flags,
			struct p2pbuf_buffer **bufp);
/* Free the buffer (the handle) and the object; NULL is a no-op (0). */
int p2pbuf_buffer_free(struct p2pbuf_buffer *buf);
/*
 * Map [offset, offset + length) of the buffer (both page-aligned; length 0
 * means to the end) shared, readable and writable; *addrp receives the
 * address.
 */
int p2pbuf_buffer_mmap(struct p2pbuf_buffer *buf, uint64_t offset,
		       uint64_t length, void **addrp);
/* Unmap what p2pbuf_buffer_mmap() mapped (the same length). */
int p2pbuf_buffer_munmap(struct p2pbuf_buffer *buf, void *addr,
			 uint64_t length);
/* The buffer's size in bytes (a multiple of the page size). */
uint64_t p2pbuf_buffer_get_size(const struct p2pbuf_buffer *buf);
/* The id of the provider it was allocated from. */
uint32_t p2pbuf_buffer_get_provider(const struct p2pbuf_buffer *buf);
/* Its handle on the context's file (for diagnostics). */
uint32_t p2pbuf_buffer_get_handle(const struct p2pbuf_buffer *buf);
/* P2PBUF_CACHE_* from <linux/p2pbuf.h>: how mappings are cached. */
uint32_t p2pbuf_buffer_get_cache_mode(const struct p2pbuf_buffer *buf);
/* "write-back", "write-combining", "uncached"; NULL for an unknown mode. */
const char *p2pbuf_cache_mode_name(uint32_t mode);
/*
 * Export [offset, offset + length) of the buffer (page-aligned; length 0
 * means to the end) as a dma-buf (LIBP2PBUF_7, uAPI 1.5): *fdp receives
 * the dma-buf's file descriptor, which the caller owns (close() it; the
 * memory stays with the dma-buf and its importers after
 * p2pbuf_buffer_free()), and *idp, if not NULL, the export's id in the
 * listings.  flags: P2PBUF_EXPORT_F_NO_CLOEXEC.  -EOPNOTSUPP if the
 * driver cannot export; the kernel's errors (p2pbuf(4)) otherwise.  See
 * p2pbuf_buffer_export(3).
 */
int p2pbuf_buffer_export(struct p2pbuf_buffer *buf, uint64_t offset,
			 uint64_t length, unsigned int flags, int *fdp,
			 uint32_t *idp);

/*
 * dma-sgls (LIBP2PBUF_4): a range of the caller's p2pbuf mappings, mapped
 * for DMA by one PCI function (the target), as a list of DMA addresses.
 * A struct p2pbuf_sgl owns the dma-sgl's file descriptor and holds a
 * reference on its context; the DMA mapping lasts until the last reference
 * to that file is closed.  The calls are thread-safe.  All of them need a
 * driver with P2PBUF_FEATURE_DMA_SGL (uAPI 1.2), -EOPNOTSUPP otherwise.
 * See p2pbuf_map(3) and p2pbuf(4).
 */
struct p2pbuf_sgl;

/*
 * Map [addr, addr + length) of the calling process (page aligned, every
 * page mapped by p2pbuf mmap()s, any buffers) for DMA by target in
 * direction dir.  flags: P2PBUF_MAP_F_NO_CLOEXEC or 0.  *sglp is set only
 * on success.  -EXDEV if the target cannot reach a provider's memory
 * (p2pbuf_reach() says why).
 */
int p2pbuf_map(struct p2pbuf_ctx *ctx, uint64_t addr, uint64_t length,
	       const struct p2pbuf_pci_target *target, enum p2pbuf_dma_dir dir,
	       uint32_t flags, struct p2pbuf_sgl **sglp);
/*
 * Import [offset, offset + length) of any dma-buf (page-aligned; length 0
 * means to the end of the dma-buf) as a dma-sgl for target
 * (P2PBUF_IOC_MAP_DMABUF, LIBP2PBUF_8, uAPI 1.6).  dmabuf_fd stays the
 * caller's (closing it keeps the dma-sgl).  flags:
 * P2PBUF_MAP_DMABUF_F_NO_CLOEXEC.  -EOPNOTSUPP if the driver cannot
 * import; the kernel's errors (p2pbuf(4)) otherwise.  See
 * p2pbuf_map_dmabuf(3).
 */
int p2pbuf_map_dmabuf(struct p2pbuf_ctx *ctx, int dmabuf_fd, uint64_t offset,
		      uint64_t length, const struct p2pbuf_pci_target *target,
		      enum p2pbuf_dma_dir dir, uint32_t flags,
		      struct p2pbuf_sgl **sglp);
/* Close the dma-sgl's fd, drop the context reference; NULL is a no-op. */
void p2pbuf_sgl_close(struct p2pbuf_sgl *sgl);
/* The dma-sgl's file descriptor (owned by sgl); -EINVAL for NULL. */
int p2pbuf_sgl_get_fd(const struct p2pbuf_sgl *sgl);

/**
 * struct p2pbuf_sgl_info - a dma-sgl as the kernel describes it now.
 * Append-only, used like struct p2pbuf_driver_info: callers pass
 * sizeof(struct p2pbuf_sgl_info) as they know it, at least the
 * LIBP2PBUF_4 layout (40 bytes); the library zeroes what it does not know.
 */
struct p2pbuf_sgl_info {
	uint64_t length; /* bytes covered */
	uint32_t nr_segments; /* DMA segments (p2pbuf_sgl_segments()) */
	uint32_t map_type; /* enum p2pbuf_map_type */
	uint32_t state; /* enum p2pbuf_sgl_state */
	uint32_t direction; /* enum p2pbuf_dma_dir */
	uint32_t generation; /* changes with the state; starts at 1 */
	uint32_t reserved; /* 0: keeps the layout free of padding */
	struct p2pbuf_pci_target target; /* the device the addresses are for */
};

int p2pbuf_sgl_info(const struct p2pbuf_sgl *sgl, struct p2pbuf_sgl_info *info,
		    size_t info_size);
/*
 * The segments, into segs[0..capacity); *nr receives their number, also
 * when the call fails with -EMSGSIZE because capacity is too small.  segs
 * may be NULL with capacity 0 to ask only for the number.  flags: 0 or
 * P2PBUF_SEGMENTS_F_LENGTHS_ONLY (dma_addr 0).  DMA addresses need
 * CAP_SYS_RAWIO: -EPERM without it.
 */
int p2pbuf_sgl_segments(const struct p2pbuf_sgl *sgl,
			struct p2pbuf_segment *segs, uint32_t capacity,
			uint32_t *nr, uint32_t flags);
/*
 * Hand the dma-sgl's host memory over: flags is P2PBUF_SYNC_F_FOR_CPU or
 * P2PBUF_SYNC_F_FOR_DEVICE.  A no-op for device memory.
 */
int p2pbuf_sgl_sync(struct p2pbuf_sgl *sgl, uint32_t flags);

/**
 * struct p2pbuf_reach_info - whether and how a target reaches a provider.
 * Append-only, used like struct p2pbuf_sgl_info; first layout 24 bytes.
 */
struct p2pbuf_reach_info {
	uint32_t provider_id;
	uint32_t reason; /* enum p2pbuf_reach_reason */
	/* enum p2pbuf_map_type p2pbuf_map() would use; 0: unreachable */
	uint32_t map_type;
	/* PCI hops between provider and target; 0 for host memory */
	uint32_t distance;
	struct p2pbuf_pci_target target; /* as the kernel names it */
};

/*
 * What p2pbuf_map() would decide for memory of provider_id and target,
 * without mapping anything; an unreachable target is an answer (0, map_type
 * 0 and the reason), not an error.
 */
int p2pbuf_reach(struct p2pbuf_ctx *ctx, uint32_t provider_id,
		 const struct p2pbuf_pci_target *target,
		 struct p2pbuf_reach_info *info, size_t info_size);

/*
 * The same for memory BAR bar (0..5) of the PCI function device, a
 * provider or not (P2PBUF_REACH_F_PCI_BAR, uAPI 1.4; -EOPNOTSUPP before):
 * as for a provider registered there without the host bridge flag
 * (LIBP2PBUF_6).
 */
int p2pbuf_reach_bar(struct p2pbuf_ctx *ctx,
		     const struct p2pbuf_pci_target *device, unsigned int bar,
		     const struct p2pbuf_pci_target *target,
		     struct p2pbuf_reach_info *info, size_t info_size);

/* Longest output of p2pbuf_pci_target_format(), NUL included. */
#define P2PBUF_PCI_TARGET_STRLEN 17

/*
 * "DDDD:BB:DD.F" (the domain 4 to 8 hexadecimal digits, as sysfs names
 * devices) or "BB:DD.F" (domain 0), hexadecimal in either case, device at
 * most 0x1f, function at most 7, nothing else: 0 or -EINVAL.
 */
int p2pbuf_pci_target_parse(const char *s, struct p2pbuf_pci_target *target);
/*
 * target as "dddd:bb:dd.f" (lower case, the domain at least 4 digits) into
 * buf; -EINVAL for a non-zero reserved field, -ENOSPC if len is too small
 * (P2PBUF_PCI_TARGET_STRLEN always suffices).
 */
int p2pbuf_pci_target_format(const struct p2pbuf_pci_target *target, char *buf,
			     size_t len);

/* Short stable names, as p2pctl prints them; NULL for an unknown value. */
/* "bus-addr", "iommu", "direct", "mixed" */
const char *p2pbuf_map_type_name(uint32_t type);
/*
 * "host-memory", "switch", "host-bridge-allowed", "host-bridge-admin",
 * "host-bridge-refused", "same-device", "dma-mask", "p2pdma"
 */
const char *p2pbuf_reach_reason_name(uint32_t reason);
/* "to-device", "from-device", "bidirectional" */
const char *p2pbuf_dma_dir_name(uint32_t dir);

/*
 * Revocation (LIBP2PBUF_5): what exists and what happens to it.  Buffers
 * and dma-sgls are revoked when their memory or their target goes away
 * (p2pbuf(4), "Lifetime and revocation"); the netlink family lists them and
 * sends events.  The listings and the events need a uAPI 1.3 kernel
 * (P2PBUF_FEATURE_REVOCATION): older ones answer -EOPNOTSUPP.  See
 * p2pbuf_buffer_list(3), p2pbuf_monitor_new(3), p2pbuf_sgl_wait(3) and
 * p2pbuf-netlink(7).
 */

/* Room for a PCI device name as the kernel gives it, NUL included. */
#define P2PBUF_DEVICE_STRLEN 24
/* Room for a command name (the kernel's TASK_COMM_LEN), NUL included. */
#define P2PBUF_COMM_STRLEN 16

/**
 * struct p2pbuf_buffer_entry - one buffer, as p2pbuf_buffer_list() lists it.
 * Append-only, used like struct p2pbuf_provider_info: callers pass
 * sizeof(struct p2pbuf_buffer_entry) as they know it, at least the
 * LIBP2PBUF_5 layout (72 bytes); the library zeroes what it does not know.
 */
struct p2pbuf_buffer_entry {
	uint32_t id; /* global buffer id, as in the events */
	uint32_t provider_id;
	uint64_t size; /* bytes */
	uint64_t mapped; /* bytes mapped in user address spaces, summed */
	uint32_t sgls; /* live dma-sgls covering it */
	uint32_t state; /* enum p2pbuf_nl_state */
	uint32_t reason; /* enum p2pbuf_nl_revoke_reason if revoked, else 0 */
	uint32_t owner_pid; /* process that allocated it (initial pid ns) */
	uint32_t owner_uid; /* its effective uid (initial user ns) */
	uint32_t reserved; /* 0: keeps the layout free of padding */
	char owner_comm[P2PBUF_COMM_STRLEN]; /* its command name */
	uint32_t cache_mode; /* P2PBUF_CACHE_*, 0 if the driver does not say */
	uint32_t reserved2; /* 0 */
};

/* How many buffer ids a struct p2pbuf_sgl_entry or event carries. */
#define P2PBUF_SGL_ENTRY_BUFFERS 8

/* How many dma-buf pieces a struct p2pbuf_sgl_entry carries. */
#define P2PBUF_SGL_ENTRY_DMABUFS 4
/* Room for an exporter's name and its NUL. */
#define P2PBUF_EXPORTER_STRLEN 32

/**
 * struct p2pbuf_sgl_dmabuf - a piece of a dma-buf a dma-sgl covers
 * (P2PBUF_NL_A_SGL_DMABUF).
 */
struct p2pbuf_sgl_dmabuf {
	uint64_t inode; /* the dma-buf file's inode number (fdinfo, bufinfo) */
	uint64_t offset; /* the piece's start in the dma-buf */
	uint64_t length; /* its bytes */
	char exporter[P2PBUF_EXPORTER_STRLEN]; /* "udmabuf", "system", ... */
};

/**
 * struct p2pbuf_sgl_entry - one dma-sgl, as p2pbuf_sgl_list() lists it.
 * Append-only, like struct p2pbuf_buffer_entry; first layout 120 bytes,
 * 352 with the dma-buf pieces (LIBP2PBUF_9).
 */
struct p2pbuf_sgl_entry {
	uint32_t id; /* global dma-sgl id, as in its fdinfo and the events */
	uint32_t state; /* enum p2pbuf_nl_state */
	uint32_t reason; /* enum p2pbuf_nl_revoke_reason if revoked, else 0 */
	uint32_t map_type; /* enum p2pbuf_map_type */
	uint32_t direction; /* enum p2pbuf_dma_dir */
	uint32_t generation; /* as P2PBUF_IOC_SEGMENTS reports it */
	uint64_t length; /* bytes covered */
	uint32_t nr_segments; /* DMA segments; 0 once revoked */
	uint32_t owner_pid; /* process that made it (initial pid ns) */
	uint32_t owner_uid; /* its effective uid (initial user ns) */
	/* buffers it covers; the first P2PBUF_SGL_ENTRY_BUFFERS in buffer_ids */
	uint32_t nr_buffers;
	char target[P2PBUF_DEVICE_STRLEN]; /* PCI address "DDDD:BB:DD.F" */
	char owner_comm[P2PBUF_COMM_STRLEN]; /* its command name */
	uint32_t buffer_ids[P2PBUF_SGL_ENTRY_BUFFERS];
	/* LIBP2PBUF_9: pieces of dma-bufs, the first P2PBUF_SGL_ENTRY_DMABUFS */
	uint32_t nr_dmabufs;
	uint32_t reserved2; /* 0 */
	struct p2pbuf_sgl_dmabuf dmabufs[P2PBUF_SGL_ENTRY_DMABUFS];
};

/*
 * The buffers and the dma-sgls the caller may see (all of them with
 * CAP_SYS_ADMIN, otherwise those its effective uid created), in id order:
 * *listp is set to an array allocated with malloc() (release it with
 * free(); NULL when there is none) whose elements are entry_size bytes
 * apart; returns the number of elements.
 */
int p2pbuf_buffer_list(struct p2pbuf_ctl *ctl,
		       struct p2pbuf_buffer_entry **listp, size_t entry_size);
int p2pbuf_sgl_list(struct p2pbuf_ctl *ctl, struct p2pbuf_sgl_entry **listp,
		    size_t entry_size);
/**
 * struct p2pbuf_export_entry - one dma-buf export, as p2pbuf_export_list()
 * lists it (LIBP2PBUF_7).  Append-only, like struct p2pbuf_buffer_entry;
 * first layout 72 bytes.
 */
struct p2pbuf_export_entry {
	uint32_t id; /* global export id, as in the events */
	uint32_t buffer_id; /* the buffer it exports */
	uint32_t provider_id;
	uint32_t state; /* enum p2pbuf_nl_state */
	uint32_t reason; /* enum p2pbuf_nl_revoke_reason if revoked, else 0 */
	uint32_t attachments; /* importers attached */
	uint64_t offset; /* the range of the buffer it exports */
	uint64_t length;
	uint64_t inode; /* the dma-buf file's inode (fdinfo, debugfs) */
	uint32_t owner_pid; /* process that exported it (initial pid ns) */
	uint32_t owner_uid; /* its effective uid (initial user ns) */
	char owner_comm[P2PBUF_COMM_STRLEN]; /* its command name */
};

/* The exports the caller may see, as p2pbuf_buffer_list() (LIBP2PBUF_7). */
int p2pbuf_export_list(struct p2pbuf_ctl *ctl,
		       struct p2pbuf_export_entry **listp, size_t entry_size);

/*
 * Revoke buffer id now (CAP_SYS_ADMIN): its mappings are zapped, its
 * dma-sgls revoked, its memory returned to the provider.
 */
int p2pbuf_buffer_revoke(struct p2pbuf_ctl *ctl, uint32_t id);

/* What a struct p2pbuf_event reports: the family's notifications. */
enum p2pbuf_event_type {
	P2PBUF_EVENT_PROVIDER_ADD = 1, /* P2PBUF_NL_CMD_PROVIDER_ADD_NTF */
	P2PBUF_EVENT_PROVIDER_DEL = 2, /* P2PBUF_NL_CMD_PROVIDER_DEL_NTF */
	P2PBUF_EVENT_BUFFER_NEW = 3, /* P2PBUF_NL_CMD_BUFFER_NEW_NTF */
	P2PBUF_EVENT_BUFFER_DEL = 4, /* P2PBUF_NL_CMD_BUFFER_DEL_NTF */
	P2PBUF_EVENT_BUFFER_REVOKE = 5, /* P2PBUF_NL_CMD_BUFFER_REVOKE_NTF */
	P2PBUF_EVENT_SGL_NEW = 6, /* P2PBUF_NL_CMD_SGL_NEW_NTF */
	P2PBUF_EVENT_SGL_DEL = 7, /* P2PBUF_NL_CMD_SGL_DEL_NTF */
	P2PBUF_EVENT_SGL_REVOKE = 8, /* P2PBUF_NL_CMD_SGL_REVOKE_NTF */
	P2PBUF_EVENT_DEVICE_GONE = 9, /* P2PBUF_NL_CMD_DEVICE_GONE_NTF */
	P2PBUF_EVENT_EXPORT_NEW = 10, /* P2PBUF_NL_CMD_EXPORT_NEW_NTF */
	P2PBUF_EVENT_EXPORT_REVOKE = 11, /* P2PBUF_NL_CMD_EXPORT_REVOKE_NTF */
	P2PBUF_EVENT_EXPORT_DEL = 12, /* P2PBUF_NL_CMD_EXPORT_DEL_NTF */
};

/**
 * struct p2pbuf_event - one event of the "events" group.  Which fields
 * are set depends on type (p2pbuf_monitor_next(3)); the others are 0 or
 * "".  Events never say who owns an object.  Append-only, used like
 * struct p2pbuf_buffer_entry; first layout 120 bytes.
 */
struct p2pbuf_event {
	uint32_t type; /* enum p2pbuf_event_type */
	uint32_t reason; /* enum p2pbuf_nl_revoke_reason, or 0 */
	uint32_t provider_id; /* provider and buffer events */
	uint32_t buffer_id; /* buffer events */
	uint32_t sgl_id; /* dma-sgl events */
	uint32_t state; /* enum p2pbuf_nl_state: buffer and dma-sgl events */
	/* bytes: the provider's size, the buffer's size, the sgl's length */
	uint64_t size;
	uint64_t mapped; /* buffer events: bytes mapped */
	uint32_t sgls; /* provider and buffer events: live dma-sgls */
	uint32_t nr_segments; /* dma-sgl events */
	uint32_t map_type; /* dma-sgl events: enum p2pbuf_map_type */
	uint32_t direction; /* dma-sgl events: enum p2pbuf_dma_dir */
	uint32_t generation; /* dma-sgl events */
	uint32_t nr_buffers; /* dma-sgl events: buffers it covers */
	uint32_t buffer_ids[P2PBUF_SGL_ENTRY_BUFFERS]; /* the first of them */
	/*
	 * PCI address: the device that went away (DEVICE_GONE), the target
	 * (dma-sgl events), a pcibar provider's device (provider events)
	 */
	char device[P2PBUF_DEVICE_STRLEN];
	/* LIBP2PBUF_7: export events (buffer_id, provider_id, state and size
	 * are set too) */
	uint32_t export_id;
	uint32_t attachments; /* importers attached */
};

/*
 * An event listener: its own netlink socket, a member of the "events"
 * group, non-blocking.  Any user may listen.  Not thread-safe.
 */
struct p2pbuf_monitor;

int p2pbuf_monitor_new(struct p2pbuf_monitor **monp);
void p2pbuf_monitor_free(struct p2pbuf_monitor *mon);
/* The socket, to poll for POLLIN in an event loop; -EINVAL for NULL. */
int p2pbuf_monitor_get_fd(const struct p2pbuf_monitor *mon);
/*
 * The next event into *ev, without blocking: 0, -EAGAIN when none is
 * queued, -ENOBUFS (once) when the socket overflowed and events were lost
 * (list again to resynchronise; the next call goes on with what is
 * queued), -EPROTO for an event that could not be parsed (skipped).
 */
int p2pbuf_monitor_next(struct p2pbuf_monitor *mon, struct p2pbuf_event *ev,
			size_t ev_size);

/*
 * Wait until the dma-sgl is revoked: 0 once it is (also if it already
 * was), -ETIMEDOUT after timeout_ms milliseconds (negative: no limit),
 * -EINTR if a signal came first; -EOPNOTSUPP if the driver has no
 * revocation (P2PBUF_FEATURE_REVOCATION).  In an event loop, poll
 * p2pbuf_sgl_get_fd() instead: POLLPRI or POLLERR means revoked.
 */
int p2pbuf_sgl_wait(const struct p2pbuf_sgl *sgl, int timeout_ms);

/*
 * "admin", "provider-removed", "device-removed", "driver-unbound",
 * "target-removed", "target-unbound"; NULL for an unknown value.
 */
const char *p2pbuf_revoke_reason_name(uint32_t reason);

#ifdef __cplusplus
}
#endif

#endif /* LIBP2PBUF_H */
