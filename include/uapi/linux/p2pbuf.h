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
#define P2PBUF_UAPI_VERSION_MINOR	7

/* ioctl type; not claimed in Documentation/userspace-api/ioctl/ioctl-number.rst. */
#define P2PBUF_IOC_MAGIC	0xB7

/* Feature bits reported by P2PBUF_IOC_INFO. */
/* The running kernel was built with CONFIG_PCI_P2PDMA. */
#define P2PBUF_FEATURE_PCI_P2PDMA	_BITULL(0)
/* A DMA-remapping IOMMU is present and enabled on at least one PCI device. */
#define P2PBUF_FEATURE_IOMMU		_BITULL(1)
/* Buffers: P2PBUF_IOC_ALLOC, P2PBUF_IOC_FREE and mmap() (uAPI 1.1). */
#define P2PBUF_FEATURE_BUFFERS		_BITULL(2)
/* dma-sgls: P2PBUF_IOC_MAP, P2PBUF_IOC_REACH and the sgl fd (uAPI 1.2). */
#define P2PBUF_FEATURE_DMA_SGL		_BITULL(3)
/*
 * Revocation (uAPI 1.3): buffers and dma-sgls are revoked when their
 * memory or target goes away; a dma-sgl fd polls EPOLLERR | EPOLLPRI once
 * revoked; the netlink family lists buffers and dma-sgls and sends events.
 */
#define P2PBUF_FEATURE_REVOCATION	_BITULL(4)
/* dma-buf export: P2PBUF_IOC_EXPORT and the EXPORT_* netlink commands (uAPI 1.5). */
#define P2PBUF_FEATURE_DMABUF_EXPORT	_BITULL(5)
/* dma-buf import: P2PBUF_IOC_MAP_DMABUF makes a dma-sgl of any dma-buf (uAPI 1.6). */
#define P2PBUF_FEATURE_DMABUF_IMPORT	_BITULL(6)
/*
 * p2pdma providers (uAPI 1.7): buffers of a device's published p2pmem
 * (struct pages), whose mappings O_DIRECT I/O may target.  Set only on
 * kernels with CONFIG_PCI_P2PDMA and FOLL_PCI_P2PDMA (6.2).
 */
#define P2PBUF_FEATURE_P2PDMA_PROVIDER	_BITULL(7)
/*
 * P2PBUF_IOC_MAP also takes shared mmaps of dma-bufs of the exporters
 * p2pbuf(4) lists (udmabuf, the system heap), beside p2pbuf mappings in one
 * range, and dma-sgl listings name those pieces (P2PBUF_NL_A_SGL_DMABUF)
 * (uAPI 1.7).
 */
#define P2PBUF_FEATURE_MAP_DMABUF_MMAP	_BITULL(8)

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

/**
 * struct p2pbuf_pci_target - a PCI function, as in "DDDD:BB:DD.F"
 * @domain: PCI domain (segment)
 * @bus: bus number, 0..255
 * @devfn: device << 3 | function, 0..255
 * @reserved: must be 0
 */
struct p2pbuf_pci_target {
	__u32 domain;
	__u8 bus;
	__u8 devfn;
	__u16 reserved;
};

/**
 * enum p2pbuf_dma_dir - direction of the DMA a dma-sgl is mapped for
 * @P2PBUF_DMA_TO_DEVICE: the target device reads the memory; the mapped
 *	range must be readable in the caller's mappings
 * @P2PBUF_DMA_FROM_DEVICE: the target device writes the memory; the range
 *	must be writable
 * @P2PBUF_DMA_BIDIRECTIONAL: both; the range must be readable and writable
 */
enum p2pbuf_dma_dir {
	P2PBUF_DMA_TO_DEVICE = 1,
	P2PBUF_DMA_FROM_DEVICE = 2,
	P2PBUF_DMA_BIDIRECTIONAL = 3,
};

/**
 * enum p2pbuf_map_type - how the DMA addresses of a dma-sgl were made
 * @P2PBUF_MAP_TYPE_BUS_ADDR: PCI bus addresses of device memory, for a
 *	target that reaches the provider through a common PCIe switch with
 *	no ACS redirection on the path: the transactions never reach the
 *	host bridge or the IOMMU
 * @P2PBUF_MAP_TYPE_IOMMU: I/O virtual addresses: mapped through the DMA
 *	API in the target's IOMMU domain, which translates them
 * @P2PBUF_MAP_TYPE_DIRECT: mapped through the DMA API with no translation
 *	(no IOMMU, or an identity/passthrough domain): the addresses are
 *	physical (or bus) addresses as the target emits them
 * @P2PBUF_MAP_TYPE_MIXED: the range covers buffers mapped in different
 *	ways (e.g. host memory through the IOMMU and device memory by bus
 *	address)
 */
enum p2pbuf_map_type {
	P2PBUF_MAP_TYPE_BUS_ADDR = 1,
	P2PBUF_MAP_TYPE_IOMMU = 2,
	P2PBUF_MAP_TYPE_DIRECT = 3,
	P2PBUF_MAP_TYPE_MIXED = 4,
};

/**
 * enum p2pbuf_reach_reason - why a target can or cannot reach a provider
 * @P2PBUF_REACH_HOST_MEMORY: host memory: every DMA-capable target
 *	reaches it (through the DMA API)
 * @P2PBUF_REACH_SWITCH: provider and target share an upstream bridge and
 *	no bridge on the path redirects peer traffic (ACS): bus addresses
 * @P2PBUF_REACH_HOST_BRIDGE_ALLOWED: the path goes through a host bridge
 *	known to forward peer-to-peer traffic (the kernel's p2pdma allowlist)
 * @P2PBUF_REACH_HOST_BRIDGE_ADMIN: the path goes through a host bridge not
 *	known to forward peer traffic, and the administrator allowed it (the
 *	provider's %P2PBUF_NL_PROVIDER_F_HOST_BRIDGE_P2P flag or the
 *	host_bridge_p2p module parameter)
 * @P2PBUF_UNREACH_HOST_BRIDGE: the path goes through a host bridge not
 *	known to forward peer traffic, and nobody allowed it
 * @P2PBUF_UNREACH_SAME_DEVICE: the target is the provider's own device;
 *	refused (see p2pbuf(4))
 * @P2PBUF_UNREACH_DMA_MASK: the bus addresses lie above the target's DMA
 *	mask
 * @P2PBUF_UNREACH_P2PDMA: the kernel's p2pdma layer, which manages the
 *	provider's memory, says the target cannot reach it
 * @P2PBUF_UNREACH_USER_DRIVER: the target's DMA is managed by someone else
 *	than the kernel's DMA API (uAPI 1.4): it, or a function of its IOMMU
 *	group, is bound to a driver that manages DMA itself (vfio-pci, which
 *	hands the group to VFIO or iommufd users), or it is attached to a
 *	domain that is not a DMA-API one; map through that driver
 */
enum p2pbuf_reach_reason {
	P2PBUF_REACH_HOST_MEMORY = 1,
	P2PBUF_REACH_SWITCH = 2,
	P2PBUF_REACH_HOST_BRIDGE_ALLOWED = 3,
	P2PBUF_REACH_HOST_BRIDGE_ADMIN = 4,
	P2PBUF_UNREACH_HOST_BRIDGE = 64,
	P2PBUF_UNREACH_SAME_DEVICE = 65,
	P2PBUF_UNREACH_DMA_MASK = 66,
	P2PBUF_UNREACH_P2PDMA = 67,
	P2PBUF_UNREACH_USER_DRIVER = 68,
};

/* P2PBUF_IOC_MAP flags. */
/* Leave the new dma-sgl fd open across execve() (default: O_CLOEXEC). */
#define P2PBUF_MAP_F_NO_CLOEXEC		_BITUL(0)

/**
 * struct p2pbuf_map - argument of %P2PBUF_IOC_MAP
 * @size: in: sizeof(struct p2pbuf_map), at least %P2PBUF_MAP_SIZE_VER0;
 *	out: number of bytes the kernel wrote
 * @flags: in: P2PBUF_MAP_F_* bits
 * @addr: in: start of the range in the caller's address space; page
 *	aligned
 * @length: in: bytes, a non-zero multiple of the page size; every page of
 *	[@addr, @addr + @length) must be mapped by p2pbuf mmap()s of the
 *	caller (any buffers, any /dev/p2pbuf files)
 * @target: in: the PCI function that will do the DMA
 * @direction: in: enum p2pbuf_dma_dir
 * @sgl_fd: out: file descriptor of the new dma-sgl
 * @nr_segments: out: segments of the dma-sgl (%P2PBUF_IOC_SEGMENTS)
 * @map_type: out: enum p2pbuf_map_type
 * @reserved: in: must be 0; out: 0
 *
 * The dma-sgl holds a reference on every buffer it covers and on the
 * target; closing its last file reference unmaps the DMA.
 */
struct p2pbuf_map {
	__u32 size;
	__u32 flags;
	__aligned_u64 addr;
	__aligned_u64 length;
	struct p2pbuf_pci_target target;
	__u32 direction;
	__s32 sgl_fd;
	__u32 nr_segments;
	__u32 map_type;
	__aligned_u64 reserved[2];
};

#define P2PBUF_MAP_SIZE_VER0	64

/* P2PBUF_IOC_EXPORT flags. */
/* Leave the new dma-buf fd open across execve() (default: O_CLOEXEC). */
#define P2PBUF_EXPORT_F_NO_CLOEXEC	_BITUL(0)

/**
 * struct p2pbuf_export - argument of %P2PBUF_IOC_EXPORT (uAPI 1.5)
 * @size: in: sizeof(struct p2pbuf_export), at least
 *	%P2PBUF_EXPORT_SIZE_VER0; out: number of bytes the kernel wrote
 * @flags: in: P2PBUF_EXPORT_F_* bits
 * @handle: in: a buffer handle returned by %P2PBUF_IOC_ALLOC on this file
 * @dmabuf_fd: out: file descriptor of the new dma-buf (O_RDWR)
 * @offset: in: start of the exported range in the buffer; page aligned
 * @length: in: bytes, a non-zero multiple of the page size;
 *	[@offset, @offset + @length) must lie inside the buffer
 * @id: out: the export's id in the netlink listings and events
 * @reserved0: in: must be 0; out: 0
 * @reserved: in: must be 0; out: 0
 *
 * The dma-buf holds a reference on the buffer: FREE, munmap() and closing
 * the /dev/p2pbuf file do not take the memory from its importers; the
 * buffer's revocation does, after telling every importer (see p2pbuf(4)).
 */
struct p2pbuf_export {
	__u32 size;
	__u32 flags;
	__u32 handle;
	__s32 dmabuf_fd;
	__aligned_u64 offset;
	__aligned_u64 length;
	__u32 id;
	__u32 reserved0;
	__aligned_u64 reserved[2];
};

#define P2PBUF_EXPORT_SIZE_VER0	56

/* P2PBUF_IOC_MAP_DMABUF flags. */
/* Leave the new dma-sgl fd open across execve() (default: O_CLOEXEC). */
#define P2PBUF_MAP_DMABUF_F_NO_CLOEXEC	_BITUL(0)

/**
 * struct p2pbuf_map_dmabuf - argument of %P2PBUF_IOC_MAP_DMABUF (uAPI 1.6)
 * @size: in: sizeof(struct p2pbuf_map_dmabuf), at least
 *	%P2PBUF_MAP_DMABUF_SIZE_VER0; out: number of bytes the kernel wrote
 * @flags: in: P2PBUF_MAP_DMABUF_F_* bits
 * @dmabuf_fd: in: a dma-buf file descriptor, of any exporter
 * @direction: in: enum p2pbuf_dma_dir
 * @offset: in: start of the range in the dma-buf; page aligned
 * @length: in: bytes, a non-zero multiple of the page size;
 *	[@offset, @offset + @length) must lie inside the dma-buf
 * @target: in: the PCI function that will do the DMA; p2pbuf attaches to
 *	the dma-buf for it, as a dynamic importer that accepts peer-to-peer
 *	memory
 * @sgl_fd: out: file descriptor of the new dma-sgl
 * @nr_segments: out: segments of the dma-sgl (%P2PBUF_IOC_SEGMENTS)
 * @map_type: out: enum p2pbuf_map_type: %P2PBUF_MAP_TYPE_IOMMU when the
 *	target's DMA is translated, %P2PBUF_MAP_TYPE_DIRECT otherwise (the
 *	addresses are the exporter's, mapped for the target)
 * @reserved0: in: must be 0; out: 0
 * @reserved: in: must be 0; out: 0
 *
 * The dma-sgl holds the dma-buf (closing @dmabuf_fd keeps the mapping) and
 * the target; closing its last file reference unmaps and detaches.  The
 * exporter may revoke it at any time (P2PBUF_NL_REVOKE_EXPORTER).
 */
struct p2pbuf_map_dmabuf {
	__u32 size;
	__u32 flags;
	__s32 dmabuf_fd;
	__u32 direction;
	__aligned_u64 offset;
	__aligned_u64 length;
	struct p2pbuf_pci_target target;
	__s32 sgl_fd;
	__u32 nr_segments;
	__u32 map_type;
	__u32 reserved0;
	__aligned_u64 reserved[2];
};

#define P2PBUF_MAP_DMABUF_SIZE_VER0	72

/* P2PBUF_IOC_REACH flags. */
/*
 * Ask about memory BAR @bar of the PCI function @bar_device, registered as
 * a provider or not, instead of @provider_id (which must be 0): as if it
 * were registered without P2PBUF_NL_PROVIDER_F_HOST_BRIDGE_P2P (uAPI 1.4;
 * p2pctl topo).
 */
#define P2PBUF_REACH_F_PCI_BAR		_BITUL(0)

/**
 * struct p2pbuf_reach - argument of %P2PBUF_IOC_REACH
 * @size: in: sizeof(struct p2pbuf_reach), at least %P2PBUF_REACH_SIZE_VER0;
 *	out: number of bytes the kernel wrote
 * @flags: in: P2PBUF_REACH_F_* bits
 * @provider_id: in: a registered provider (0 with %P2PBUF_REACH_F_PCI_BAR);
 *	out: as asked
 * @reason: out: enum p2pbuf_reach_reason
 * @target: in: the PCI function that would do the DMA
 * @map_type: out: the enum p2pbuf_map_type %P2PBUF_IOC_MAP would use for
 *	this provider's memory, 0 if the target cannot reach it
 * @distance: out: PCI hops between provider and target through their
 *	common upstream bridge (p2pdma's distance), or through the host
 *	bridge; 0 for host memory
 * @bar_device: in, with %P2PBUF_REACH_F_PCI_BAR: the function whose BAR is
 *	asked about (must be 0 otherwise); out: as resolved, or 0
 * @bar: in, with %P2PBUF_REACH_F_PCI_BAR: the BAR index, 0..5 (must be 0
 *	otherwise); out: as asked
 * @reserved0: in: must be 0; out: 0
 *
 * Answers, without mapping anything, what %P2PBUF_IOC_MAP would decide for
 * memory of @provider_id (or of the BAR) and @target; a refused path is
 * answered with success, @map_type 0 and the reason.  @bar_device, @bar
 * and @reserved0 took the place of two reserved 64-bit words in uAPI 1.4:
 * the size is unchanged, and a caller of an older uAPI, which passes them
 * zeroed, asks what it always asked.
 */
struct p2pbuf_reach {
	__u32 size;
	__u32 flags;
	__u32 provider_id;
	__u32 reason;
	struct p2pbuf_pci_target target;
	__u32 map_type;
	__u32 distance;
	struct p2pbuf_pci_target bar_device;
	__u32 bar;
	__u32 reserved0;
};

#define P2PBUF_REACH_SIZE_VER0	48

/**
 * struct p2pbuf_segment - one DMA-contiguous piece of a dma-sgl
 * @dma_addr: address the target device uses (0 when addresses were not
 *	asked for)
 * @length: bytes
 */
struct p2pbuf_segment {
	__aligned_u64 dma_addr;
	__aligned_u64 length;
};

/* P2PBUF_IOC_SEGMENTS flags. */
/* Report lengths only; dma_addr is 0 (no CAP_SYS_RAWIO needed). */
#define P2PBUF_SEGMENTS_F_LENGTHS_ONLY	_BITUL(0)

/* enum p2pbuf_sgl_state: P2PBUF_IOC_SEGMENTS state values. */
enum p2pbuf_sgl_state {
	P2PBUF_SGL_STATE_MAPPED = 1,
	P2PBUF_SGL_STATE_REVOKED = 2,
};

/**
 * struct p2pbuf_segments - argument of %P2PBUF_IOC_SEGMENTS, on a dma-sgl fd
 * @size: in: sizeof(struct p2pbuf_segments), at least
 *	%P2PBUF_SEGMENTS_SIZE_VER0; out: number of bytes the kernel wrote
 * @flags: in: P2PBUF_SEGMENTS_F_* bits
 * @segments: in: user pointer to an array of @capacity struct
 *	p2pbuf_segment, or 0 to ask only for the count
 * @capacity: in: entries @segments has room for
 * @nr_segments: out: segments of the dma-sgl; when @capacity is too small
 *	the call fails with EMSGSIZE and still reports this
 * @length: out: bytes the dma-sgl covers
 * @map_type: out: enum p2pbuf_map_type
 * @state: out: enum p2pbuf_sgl_state
 * @direction: out: enum p2pbuf_dma_dir
 * @generation: out: changes whenever the dma-sgl's state does (it starts
 *	at 1)
 * @target: out: the target device
 * @reserved: in: must be 0; out: 0
 *
 * Raw DMA addresses are physical addresses when no IOMMU translates them,
 * so reading them needs CAP_SYS_RAWIO (EPERM otherwise) unless
 * %P2PBUF_SEGMENTS_F_LENGTHS_ONLY is set.
 */
struct p2pbuf_segments {
	__u32 size;
	__u32 flags;
	__aligned_u64 segments;
	__u32 capacity;
	__u32 nr_segments;
	__aligned_u64 length;
	__u32 map_type;
	__u32 state;
	__u32 direction;
	__u32 generation;
	struct p2pbuf_pci_target target;
	__aligned_u64 reserved[2];
};

#define P2PBUF_SEGMENTS_SIZE_VER0	72

/* P2PBUF_IOC_SYNC flags: who owns host memory from now on. */
/* The CPU: device writes become visible to it (dma_sync_*_for_cpu). */
#define P2PBUF_SYNC_F_FOR_CPU		_BITUL(0)
/* The device: CPU writes become visible to it (dma_sync_*_for_device). */
#define P2PBUF_SYNC_F_FOR_DEVICE	_BITUL(1)

/**
 * struct p2pbuf_sync - argument of %P2PBUF_IOC_SYNC, on a dma-sgl fd
 * @size: in: sizeof(struct p2pbuf_sync), at least %P2PBUF_SYNC_SIZE_VER0
 * @flags: in: exactly one of P2PBUF_SYNC_F_FOR_CPU, P2PBUF_SYNC_F_FOR_DEVICE
 * @reserved: in: must be 0
 *
 * Hands the host memory of the dma-sgl over between CPU and device; a
 * documented no-op for device memory.
 */
struct p2pbuf_sync {
	__u32 size;
	__u32 flags;
	__aligned_u64 reserved;
};

#define P2PBUF_SYNC_SIZE_VER0	16

enum {
	P2PBUF_CMD_INFO = 0x00,
	P2PBUF_CMD_ALLOC = 0x01,
	P2PBUF_CMD_FREE = 0x02,
	P2PBUF_CMD_MAP = 0x03,
	P2PBUF_CMD_REACH = 0x04,
	P2PBUF_CMD_EXPORT = 0x05,
	P2PBUF_CMD_MAP_DMABUF = 0x06,
	/* Commands of the dma-sgl fd. */
	P2PBUF_CMD_SEGMENTS = 0x40,
	P2PBUF_CMD_SYNC = 0x41,
};

#define P2PBUF_IOC_INFO	_IOWR(P2PBUF_IOC_MAGIC, P2PBUF_CMD_INFO, struct p2pbuf_info)
#define P2PBUF_IOC_ALLOC	_IOWR(P2PBUF_IOC_MAGIC, P2PBUF_CMD_ALLOC, struct p2pbuf_alloc)
#define P2PBUF_IOC_FREE	_IOWR(P2PBUF_IOC_MAGIC, P2PBUF_CMD_FREE, struct p2pbuf_free)
#define P2PBUF_IOC_MAP	_IOWR(P2PBUF_IOC_MAGIC, P2PBUF_CMD_MAP, struct p2pbuf_map)
#define P2PBUF_IOC_REACH	_IOWR(P2PBUF_IOC_MAGIC, P2PBUF_CMD_REACH, struct p2pbuf_reach)
#define P2PBUF_IOC_EXPORT	_IOWR(P2PBUF_IOC_MAGIC, P2PBUF_CMD_EXPORT, struct p2pbuf_export)
#define P2PBUF_IOC_MAP_DMABUF	\
	_IOWR(P2PBUF_IOC_MAGIC, P2PBUF_CMD_MAP_DMABUF, struct p2pbuf_map_dmabuf)
#define P2PBUF_IOC_SEGMENTS	_IOWR(P2PBUF_IOC_MAGIC, P2PBUF_CMD_SEGMENTS, struct p2pbuf_segments)
#define P2PBUF_IOC_SYNC	_IOWR(P2PBUF_IOC_MAGIC, P2PBUF_CMD_SYNC, struct p2pbuf_sync)

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
 * @P2PBUF_NL_PROVIDER_KIND_P2PDMA: the peer-to-peer memory a PCI device's
 *	driver published (pci_p2pdma_add_resource(): an NVMe CMB...), pages
 *	allocated with pci_alloc_p2pmem(); memory with struct page (uAPI 1.7,
 *	%P2PBUF_FEATURE_P2PDMA_PROVIDER)
 */
enum p2pbuf_nl_provider_kind {
	P2PBUF_NL_PROVIDER_KIND_SYSMEM = 1,
	P2PBUF_NL_PROVIDER_KIND_PCIBAR = 2,
	P2PBUF_NL_PROVIDER_KIND_P2PDMA = 3,

	/* private: */
	__P2PBUF_NL_PROVIDER_KIND_MAX,
	P2PBUF_NL_PROVIDER_KIND_MAX = __P2PBUF_NL_PROVIDER_KIND_MAX - 1
};

/* P2PBUF_NL_A_PROVIDER_FLAGS bits. */
/* The memory is prefetchable (a CPU mapping may be write-combined). */
#define P2PBUF_NL_PROVIDER_F_PREFETCHABLE	_BITUL(0)
/*
 * The administrator allows peer-to-peer DMA to this provider's memory
 * through host bridges that are not known to forward it (settable in
 * PROVIDER_ADD; see P2PBUF_REACH_HOST_BRIDGE_ADMIN).
 */
#define P2PBUF_NL_PROVIDER_F_HOST_BRIDGE_P2P	_BITUL(1)

/**
 * enum p2pbuf_nl_state - P2PBUF_NL_A_BUFFER_STATE, P2PBUF_NL_A_SGL_STATE
 * @P2PBUF_NL_STATE_LIVE: usable
 * @P2PBUF_NL_STATE_REVOKED: revoked: CPU access gets SIGBUS, a dma-sgl
 *	has no DMA mapping any more; waiting for its holders to let go
 */
enum p2pbuf_nl_state {
	P2PBUF_NL_STATE_LIVE = 1,
	P2PBUF_NL_STATE_REVOKED = 2,
};

/**
 * enum p2pbuf_nl_revoke_reason - P2PBUF_NL_A_REASON values
 * @P2PBUF_NL_REVOKE_ADMIN: P2PBUF_NL_CMD_BUFFER_REVOKE
 * @P2PBUF_NL_REVOKE_PROVIDER_REMOVED: PROVIDER_DEL with P2PBUF_NL_A_FORCE
 * @P2PBUF_NL_REVOKE_DEVICE_REMOVED: the provider's device was removed
 *	(hot-unplug, sysfs remove)
 * @P2PBUF_NL_REVOKE_DRIVER_UNBOUND: the provider's device lost its driver
 * @P2PBUF_NL_REVOKE_TARGET_REMOVED: the dma-sgl's target was removed
 * @P2PBUF_NL_REVOKE_TARGET_UNBOUND: the dma-sgl's target lost its driver
 * @P2PBUF_NL_REVOKE_TARGET_USER_DRIVER: a driver that manages DMA itself
 *	(vfio-pci) is binding to the dma-sgl's target or to a function of
 *	its IOMMU group (uAPI 1.4)
 * @P2PBUF_NL_REVOKE_EXPORTER: the exporter of an imported dma-buf
 *	invalidated its mappings (move_notify, invalidate_mappings) (uAPI 1.6)
 */
enum p2pbuf_nl_revoke_reason {
	P2PBUF_NL_REVOKE_ADMIN = 1,
	P2PBUF_NL_REVOKE_PROVIDER_REMOVED = 2,
	P2PBUF_NL_REVOKE_DEVICE_REMOVED = 3,
	P2PBUF_NL_REVOKE_DRIVER_UNBOUND = 4,
	P2PBUF_NL_REVOKE_TARGET_REMOVED = 5,
	P2PBUF_NL_REVOKE_TARGET_UNBOUND = 6,
	P2PBUF_NL_REVOKE_TARGET_USER_DRIVER = 7,
	P2PBUF_NL_REVOKE_EXPORTER = 8,
};

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
 * @P2PBUF_NL_A_PROVIDER_SGLS: u32, live dma-sgls covering the provider's
 *	memory
 * @P2PBUF_NL_A_FORCE: flag; PROVIDER_DEL: revoke the provider's buffers
 *	instead of refusing with EBUSY
 * @P2PBUF_NL_A_REASON: u32, enum p2pbuf_nl_revoke_reason
 * @P2PBUF_NL_A_OWNER_PID: u32, thread-group id of the process that created
 *	the object (in the initial pid namespace)
 * @P2PBUF_NL_A_OWNER_UID: u32, its effective uid (initial user namespace)
 * @P2PBUF_NL_A_OWNER_COMM: string, its command name
 * @P2PBUF_NL_A_BUFFER_ID: u32, global buffer id (the handle on its file)
 * @P2PBUF_NL_A_BUFFER_SIZE: u64, bytes
 * @P2PBUF_NL_A_BUFFER_MAPPED: u64, bytes of the buffer mapped in user
 *	address spaces (summed over all mappings)
 * @P2PBUF_NL_A_BUFFER_SGLS: u32, live dma-sgls covering the buffer
 * @P2PBUF_NL_A_BUFFER_STATE: u32, enum p2pbuf_nl_state
 * @P2PBUF_NL_A_SGL_ID: u32, global dma-sgl id (as in its fdinfo)
 * @P2PBUF_NL_A_SGL_TARGET: string, PCI address "DDDD:BB:DD.F" of the target
 * @P2PBUF_NL_A_SGL_LENGTH: u64, bytes covered
 * @P2PBUF_NL_A_SGL_SEGMENTS: u32, segments
 * @P2PBUF_NL_A_SGL_MAP_TYPE: u32, enum p2pbuf_map_type
 * @P2PBUF_NL_A_SGL_STATE: u32, enum p2pbuf_nl_state
 * @P2PBUF_NL_A_SGL_DIRECTION: u32, enum p2pbuf_dma_dir
 * @P2PBUF_NL_A_SGL_GENERATION: u32, as P2PBUF_IOC_SEGMENTS reports it
 * @P2PBUF_NL_A_DEVICE: string, PCI address of a device that went away
 * @P2PBUF_NL_A_BUFFER_CACHE_MODE: u32, enum p2pbuf_cache_mode of the
 *	buffer's CPU mappings
 * @P2PBUF_NL_A_EXPORT_ID: u32, global dma-buf export id (uAPI 1.5)
 * @P2PBUF_NL_A_EXPORT_OFFSET: u64, start of the exported range in the
 *	buffer (P2PBUF_NL_A_BUFFER_ID)
 * @P2PBUF_NL_A_EXPORT_LENGTH: u64, bytes exported
 * @P2PBUF_NL_A_EXPORT_STATE: u32, enum p2pbuf_nl_state
 * @P2PBUF_NL_A_EXPORT_ATTACHMENTS: u32, importers attached
 * @P2PBUF_NL_A_EXPORT_INODE: u64, inode number of the dma-buf file (as in
 *	/proc/PID/fdinfo and /sys/kernel/debug/dma_buf/bufinfo)
 * @P2PBUF_NL_A_SGL_DMABUF: nested (enum p2pbuf_nl_dmabuf_attrs), repeated:
 *	one per piece of a dma-buf the dma-sgl covers, in address order
 *	(P2PBUF_IOC_MAP_DMABUF: one; P2PBUF_IOC_MAP over mappings of
 *	dma-bufs: one per piece), uAPI 1.7
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
	P2PBUF_NL_A_PROVIDER_SGLS,
	P2PBUF_NL_A_FORCE,
	P2PBUF_NL_A_REASON,
	P2PBUF_NL_A_OWNER_PID,
	P2PBUF_NL_A_OWNER_UID,
	P2PBUF_NL_A_OWNER_COMM,
	P2PBUF_NL_A_BUFFER_ID,
	P2PBUF_NL_A_BUFFER_SIZE,
	P2PBUF_NL_A_BUFFER_MAPPED,
	P2PBUF_NL_A_BUFFER_SGLS,
	P2PBUF_NL_A_BUFFER_STATE,
	P2PBUF_NL_A_SGL_ID,
	P2PBUF_NL_A_SGL_TARGET,
	P2PBUF_NL_A_SGL_LENGTH,
	P2PBUF_NL_A_SGL_SEGMENTS,
	P2PBUF_NL_A_SGL_MAP_TYPE,
	P2PBUF_NL_A_SGL_STATE,
	P2PBUF_NL_A_SGL_DIRECTION,
	P2PBUF_NL_A_SGL_GENERATION,
	P2PBUF_NL_A_DEVICE,
	P2PBUF_NL_A_BUFFER_CACHE_MODE,
	P2PBUF_NL_A_EXPORT_ID,
	P2PBUF_NL_A_EXPORT_OFFSET,
	P2PBUF_NL_A_EXPORT_LENGTH,
	P2PBUF_NL_A_EXPORT_STATE,
	P2PBUF_NL_A_EXPORT_ATTACHMENTS,
	P2PBUF_NL_A_EXPORT_INODE,
	P2PBUF_NL_A_SGL_DMABUF,

	/* private: */
	__P2PBUF_NL_A_MAX,
	P2PBUF_NL_A_MAX = __P2PBUF_NL_A_MAX - 1
};

/**
 * enum p2pbuf_nl_dmabuf_attrs - inside P2PBUF_NL_A_SGL_DMABUF
 * @P2PBUF_NL_DMABUF_A_PAD: padding of the u64 attributes
 * @P2PBUF_NL_DMABUF_A_EXPORTER: string, the exporter's name (as in
 *	/sys/kernel/debug/dma_buf/bufinfo: "udmabuf", a heap's name, a
 *	driver's module name; "p2pbuf" for p2pbuf's own exports)
 * @P2PBUF_NL_DMABUF_A_INODE: u64, inode number of the dma-buf's file (as
 *	in /proc/PID/fdinfo and bufinfo)
 * @P2PBUF_NL_DMABUF_A_OFFSET: u64, start of the piece in the dma-buf
 * @P2PBUF_NL_DMABUF_A_LENGTH: u64, bytes of the piece
 */
enum p2pbuf_nl_dmabuf_attrs {
	P2PBUF_NL_DMABUF_A_UNSPEC,
	P2PBUF_NL_DMABUF_A_PAD,
	P2PBUF_NL_DMABUF_A_EXPORTER,
	P2PBUF_NL_DMABUF_A_INODE,
	P2PBUF_NL_DMABUF_A_OFFSET,
	P2PBUF_NL_DMABUF_A_LENGTH,

	/* private: */
	__P2PBUF_NL_DMABUF_A_MAX,
	P2PBUF_NL_DMABUF_A_MAX = __P2PBUF_NL_DMABUF_A_MAX - 1
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
 * @P2PBUF_NL_CMD_BUFFER_GET: describe buffers (dump; CAP_SYS_ADMIN sees
 *	all, others those their euid created)
 * @P2PBUF_NL_CMD_SGL_GET: describe dma-sgls (dump; same visibility); a
 *	message lists the ids of the buffers it covers as repeated
 *	P2PBUF_NL_A_BUFFER_ID attributes
 * @P2PBUF_NL_CMD_BUFFER_REVOKE: revoke buffer P2PBUF_NL_A_BUFFER_ID now
 *	(CAP_SYS_ADMIN)
 * @P2PBUF_NL_CMD_BUFFER_NEW_NTF: event: a buffer was allocated
 * @P2PBUF_NL_CMD_BUFFER_DEL_NTF: event: a buffer's memory went back to its
 *	provider (freed and unmapped, or revoked)
 * @P2PBUF_NL_CMD_BUFFER_REVOKE_NTF: event: a buffer was revoked, with
 *	P2PBUF_NL_A_REASON
 * @P2PBUF_NL_CMD_SGL_NEW_NTF: event: a dma-sgl was created
 * @P2PBUF_NL_CMD_SGL_DEL_NTF: event: a dma-sgl's last fd was closed
 * @P2PBUF_NL_CMD_SGL_REVOKE_NTF: event: a dma-sgl was revoked, with
 *	P2PBUF_NL_A_REASON; sent after its pollers were woken and before its
 *	DMA mapping is torn down
 * @P2PBUF_NL_CMD_DEVICE_GONE_NTF: event: a provider or target device was
 *	removed or lost its driver (P2PBUF_NL_A_DEVICE, P2PBUF_NL_A_REASON)
 * @P2PBUF_NL_CMD_EXPORT_GET: describe dma-buf exports (dump; same
 *	visibility as BUFFER_GET; uAPI 1.5)
 * @P2PBUF_NL_CMD_EXPORT_NEW_NTF: event: a dma-buf was exported
 * @P2PBUF_NL_CMD_EXPORT_REVOKE_NTF: event: an export was revoked, with
 *	P2PBUF_NL_A_REASON; sent after its importers were told and before
 *	its DMA mappings are torn down
 * @P2PBUF_NL_CMD_EXPORT_DEL_NTF: event: a dma-buf's last reference was
 *	dropped
 */
enum p2pbuf_nl_cmds {
	P2PBUF_NL_CMD_UNSPEC,
	P2PBUF_NL_CMD_PROVIDER_ADD,
	P2PBUF_NL_CMD_PROVIDER_DEL,
	P2PBUF_NL_CMD_PROVIDER_GET,
	P2PBUF_NL_CMD_PROVIDER_ADD_NTF,
	P2PBUF_NL_CMD_PROVIDER_DEL_NTF,
	P2PBUF_NL_CMD_BUFFER_GET,
	P2PBUF_NL_CMD_SGL_GET,
	P2PBUF_NL_CMD_BUFFER_REVOKE,
	P2PBUF_NL_CMD_BUFFER_NEW_NTF,
	P2PBUF_NL_CMD_BUFFER_DEL_NTF,
	P2PBUF_NL_CMD_BUFFER_REVOKE_NTF,
	P2PBUF_NL_CMD_SGL_NEW_NTF,
	P2PBUF_NL_CMD_SGL_DEL_NTF,
	P2PBUF_NL_CMD_SGL_REVOKE_NTF,
	P2PBUF_NL_CMD_DEVICE_GONE_NTF,
	P2PBUF_NL_CMD_EXPORT_GET,
	P2PBUF_NL_CMD_EXPORT_NEW_NTF,
	P2PBUF_NL_CMD_EXPORT_REVOKE_NTF,
	P2PBUF_NL_CMD_EXPORT_DEL_NTF,

	/* private: */
	__P2PBUF_NL_CMD_MAX,
	P2PBUF_NL_CMD_MAX = __P2PBUF_NL_CMD_MAX - 1
};

#endif /* _UAPI_LINUX_P2PBUF_H */
