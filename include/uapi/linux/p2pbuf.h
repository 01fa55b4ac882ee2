/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note OR MIT */
/*
 * p2pbuf: userspace-controlled peer-to-peer DMA buffers.
 *
 * User API of the /dev/p2pbuf misc device and of the "p2pbuf" generic
 * netlink family.  Shared by the kernel module and libp2pbuf; see p2pbuf(4)
 * and p2pbuf-netlink(7).
 *
 * Rules every ioctl structure follows:
 *  - it starts with "__u32 size; __u32 flags;": size is the number of bytes
 *    the caller passes (sizeof the structure it was built against), flags
 *    must only contain bits defined for that ioctl (EINVAL otherwise);
 *  - fixed-width types only, __aligned_u64 for pointers and addresses, no
 *    implicit padding, and reserved fields that must be zero (EINVAL);
 *  - extensible: the kernel accepts any size from the first published layout
 *    up; a larger structure is accepted only if the bytes the kernel does not
 *    know are zero (E2BIG otherwise), like copy_struct_from_user();
 *  - the command number encodes the current size, but the driver dispatches
 *    on type and number only, so older and newer callers keep working.
 */
#ifndef _UAPI_LINUX_P2PBUF_H
#define _UAPI_LINUX_P2PBUF_H

#include <linux/const.h>
#include <linux/ioctl.h>
#include <linux/types.h>

#define P2PBUF_DEVICE_NAME	"p2pbuf"

/* A change of major version means an incompatible uAPI. */
#define P2PBUF_UAPI_VERSION_MAJOR	1
#define P2PBUF_UAPI_VERSION_MINOR	1

/* ioctl type; not claimed in Documentation/userspace-api/ioctl/ioctl-number.rst. */
#define P2PBUF_IOC_MAGIC	0xB7

/* Feature bits reported by P2PBUF_IOC_INFO. */
/* The running kernel was built with CONFIG_PCI_P2PDMA. */
#define P2PBUF_FEATURE_PCI_P2PDMA	_BITULL(0)
/* A DMA-remapping IOMMU is present and enabled on at least one PCI device. */
#define P2PBUF_FEATURE_IOMMU		_BITULL(1)
/* Buffers: P2PBUF_IOC_ALLOC, P2PBUF_IOC_FREE and mmap() (uAPI 1.1). */
#define P2PBUF_FEATURE_BUFFERS		_BITULL(2)

#define P2PBUF_DRIVER_VERSION_LEN	32

/**
 * struct p2pbuf_info - argument of %P2PBUF_IOC_INFO
 * @size: in: sizeof(struct p2pbuf_info) as the caller knows it, at least
 *	%P2PBUF_INFO_SIZE_VER0; out: number of bytes the kernel wrote
 * @flags: in: must be 0
 * @version_major: out: %P2PBUF_UAPI_VERSION_MAJOR of the driver
 * @version_minor: out: %P2PBUF_UAPI_VERSION_MINOR of the driver
 * @features: out: P2PBUF_FEATURE_* bits
 * @page_size: out: the kernel's PAGE_SIZE; buffer sizes and offsets are
 *	multiples of it
 * @max_buffers_per_fd: out: limit on buffers one open file may hold
 * @max_sgls_per_fd: out: limit on dma-sgls one open file may create
 * @max_sgl_segments: out: limit on segments in one dma-sgl
 * @driver_version: out: NUL-terminated version string of the module
 * @reserved: in: must be 0; out: 0
 *
 * Everything after @flags is output; on input only @reserved is checked.
 * The kernel zeroes every byte it copies back.
 */
struct p2pbuf_info {
	__u32 size;
	__u32 flags;
	__u32 version_major;
	__u32 version_minor;
	__aligned_u64 features;
	__u32 page_size;
	__u32 max_buffers_per_fd;
	__u32 max_sgls_per_fd;
	__u32 max_sgl_segments;
	char driver_version[P2PBUF_DRIVER_VERSION_LEN];
	__aligned_u64 reserved[4];
};

#define P2PBUF_INFO_SIZE_VER0	104

/* Largest buffer P2PBUF_IOC_ALLOC accepts: 1 TiB. */
#define P2PBUF_BUFFER_MAX_LENGTH	_BITULL(40)

/**
 * enum p2pbuf_cache_mode - CPU caching of a buffer's mmap() mapping
 * @P2PBUF_CACHE_WB: write-back (cached): host RAM
 * @P2PBUF_CACHE_WC: write-combining: prefetchable BAR memory
 * @P2PBUF_CACHE_UC: uncached: non-prefetchable BAR memory
 */
enum p2pbuf_cache_mode {
	P2PBUF_CACHE_WB = 1,
	P2PBUF_CACHE_WC = 2,
	P2PBUF_CACHE_UC = 3,
};

/**
 * struct p2pbuf_alloc - argument of %P2PBUF_IOC_ALLOC
 * @size: in: sizeof(struct p2pbuf_alloc) as the caller knows it, at least
 *	%P2PBUF_ALLOC_SIZE_VER0; out: number of bytes the kernel wrote
 * @flags: in: must be 0
 * @length: in: bytes wanted, 1 to %P2PBUF_BUFFER_MAX_LENGTH; out: the
 *	length of the buffer, @length rounded up to a multiple of the page size
 * @provider_id: in: provider to allocate from (%P2PBUF_PROVIDER_ID_SYSMEM
 *	or a registered provider's id)
 * @handle: out: names the buffer in %P2PBUF_IOC_FREE; valid only on the
 *	file descriptor that allocated it
 * @mmap_offset: out: the offset to pass to mmap() on the same file
 *	descriptor to map the buffer; opaque, a multiple of the page size;
 *	@mmap_offset + N maps the buffer from byte N on
 * @cache_mode: out: enum p2pbuf_cache_mode of the buffer's mappings
 * @reserved0: in: must be 0; out: 0
 * @reserved: in: must be 0; out: 0
 *
 * The memory is zeroed before the call returns, whatever the provider.
 */
struct p2pbuf_alloc {
	__u32 size;
	__u32 flags;
	__aligned_u64 length;
	__u32 provider_id;
	__u32 handle;
	__aligned_u64 mmap_offset;
	__u32 cache_mode;
	__u32 reserved0;
	__aligned_u64 reserved[2];
};

#define P2PBUF_ALLOC_SIZE_VER0	56

/**
 * struct p2pbuf_free - argument of %P2PBUF_IOC_FREE
 * @size: in: sizeof(struct p2pbuf_free), at least %P2PBUF_FREE_SIZE_VER0
 * @flags: in: must be 0
 * @handle: in: a handle returned by %P2PBUF_IOC_ALLOC on this file
 * @reserved: in: must be 0
 *
 * The handle is invalid afterwards; the memory goes back to its provider
 * when the last mapping of the buffer is gone too.
 */
struct p2pbuf_free {
	__u32 size;
	__u32 flags;
	__u32 handle;
	__u32 reserved;
};

#define P2PBUF_FREE_SIZE_VER0	16

enum {
	P2PBUF_CMD_INFO = 0x00,
	P2PBUF_CMD_ALLOC = 0x01,
	P2PBUF_CMD_FREE = 0x02,
};

#define P2PBUF_IOC_INFO	_IOWR(P2PBUF_IOC_MAGIC, P2PBUF_CMD_INFO, struct p2pbuf_info)
#define P2PBUF_IOC_ALLOC	_IOWR(P2PBUF_IOC_MAGIC, P2PBUF_CMD_ALLOC, struct p2pbuf_alloc)
#define P2PBUF_IOC_FREE	_IOWR(P2PBUF_IOC_MAGIC, P2PBUF_CMD_FREE, struct p2pbuf_free)

/*
 * Generic netlink family "p2pbuf": the administrative control plane
 * (providers now; buffers, dma-sgls and events later).  See
 * p2pbuf-netlink(7) and Documentation/netlink/p2pbuf.yaml.
 *
 * Rules of the family:
 *  - attributes are validated strictly: unknown attributes, attributes of
 *    the wrong type or length and values out of range are rejected with
 *    EINVAL and an extended-ack message;
 *  - 64-bit values are u64 attributes padded with P2PBUF_NL_A_PAD;
 *  - enums and attributes are append-only; numbers are never reused.
 */
#define P2PBUF_NL_FAMILY_NAME		"p2pbuf"
#define P2PBUF_NL_FAMILY_VERSION	1
#define P2PBUF_NL_MCGRP_EVENTS		"events"

/* Maximum length of P2PBUF_NL_A_PROVIDER_PCI_ADDR, "DDDD:BB:DD.F". */
#define P2PBUF_NL_PCI_ADDR_LEN		12

/* Id of the sysmem provider: always registered, cannot be removed. */
#define P2PBUF_PROVIDER_ID_SYSMEM	0

/**
 * enum p2pbuf_nl_provider_kind - P2PBUF_NL_A_PROVIDER_KIND values
 * @P2PBUF_NL_PROVIDER_KIND_SYSMEM: host RAM (the built-in provider)
 * @P2PBUF_NL_PROVIDER_KIND_PCIBAR: a memory BAR (or a page-aligned part of
 *	it) of a PCI device, memory without struct page
 */
enum p2pbuf_nl_provider_kind {
	P2PBUF_NL_PROVIDER_KIND_SYSMEM = 1,
	P2PBUF_NL_PROVIDER_KIND_PCIBAR = 2,

	/* private: */
	__P2PBUF_NL_PROVIDER_KIND_MAX,
	P2PBUF_NL_PROVIDER_KIND_MAX = __P2PBUF_NL_PROVIDER_KIND_MAX - 1
};

/* P2PBUF_NL_A_PROVIDER_FLAGS bits. */
/* The memory is prefetchable (a CPU mapping may be write-combined). */
#define P2PBUF_NL_PROVIDER_F_PREFETCHABLE	_BITUL(0)

/**
 * enum p2pbuf_nl_attrs - attributes of the p2pbuf family
 * @P2PBUF_NL_A_PAD: padding for 64-bit attributes
 * @P2PBUF_NL_A_PROVIDER_ID: u32, provider id
 * @P2PBUF_NL_A_PROVIDER_KIND: u32, enum p2pbuf_nl_provider_kind
 * @P2PBUF_NL_A_PROVIDER_PCI_ADDR: string, PCI address "DDDD:BB:DD.F"
 * @P2PBUF_NL_A_PROVIDER_BAR: u32, BAR index 0..5
 * @P2PBUF_NL_A_PROVIDER_OFFSET: u64, offset of the range in the BAR
 * @P2PBUF_NL_A_PROVIDER_SIZE: u64, size of the range in bytes
 * @P2PBUF_NL_A_PROVIDER_FREE: u64, bytes not allocated to buffers
 * @P2PBUF_NL_A_PROVIDER_BUFFERS: u32, buffers allocated from the provider
 * @P2PBUF_NL_A_PROVIDER_FLAGS: u32, P2PBUF_NL_PROVIDER_F_* bits
 * @P2PBUF_NL_A_PROVIDER_NUMA_NODE: s32, NUMA node of the memory, -1 if none
 */
enum p2pbuf_nl_attrs {
	P2PBUF_NL_A_UNSPEC,
	P2PBUF_NL_A_PAD,
	P2PBUF_NL_A_PROVIDER_ID,
	P2PBUF_NL_A_PROVIDER_KIND,
	P2PBUF_NL_A_PROVIDER_PCI_ADDR,
	P2PBUF_NL_A_PROVIDER_BAR,
	P2PBUF_NL_A_PROVIDER_OFFSET,
	P2PBUF_NL_A_PROVIDER_SIZE,
	P2PBUF_NL_A_PROVIDER_FREE,
	P2PBUF_NL_A_PROVIDER_BUFFERS,
	P2PBUF_NL_A_PROVIDER_FLAGS,
	P2PBUF_NL_A_PROVIDER_NUMA_NODE,

	/* private: */
	__P2PBUF_NL_A_MAX,
	P2PBUF_NL_A_MAX = __P2PBUF_NL_A_MAX - 1
};

/**
 * enum p2pbuf_nl_cmds - commands of the p2pbuf family
 * @P2PBUF_NL_CMD_PROVIDER_ADD: register a provider (CAP_SYS_ADMIN); the
 *	reply is a PROVIDER_ADD message describing it
 * @P2PBUF_NL_CMD_PROVIDER_DEL: remove the provider P2PBUF_NL_A_PROVIDER_ID
 *	(CAP_SYS_ADMIN)
 * @P2PBUF_NL_CMD_PROVIDER_GET: describe one provider (doit, by id) or all
 *	of them (dump)
 * @P2PBUF_NL_CMD_PROVIDER_ADD_NTF: multicast on "events": a provider was
 *	registered
 * @P2PBUF_NL_CMD_PROVIDER_DEL_NTF: multicast on "events": a provider was
 *	removed
 */
enum p2pbuf_nl_cmds {
	P2PBUF_NL_CMD_UNSPEC,
	P2PBUF_NL_CMD_PROVIDER_ADD,
	P2PBUF_NL_CMD_PROVIDER_DEL,
	P2PBUF_NL_CMD_PROVIDER_GET,
	P2PBUF_NL_CMD_PROVIDER_ADD_NTF,
	P2PBUF_NL_CMD_PROVIDER_DEL_NTF,

	/* private: */
	__P2PBUF_NL_CMD_MAX,
	P2PBUF_NL_CMD_MAX = __P2PBUF_NL_CMD_MAX - 1
};

#endif /* _UAPI_LINUX_P2PBUF_H */
