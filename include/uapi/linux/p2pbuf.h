/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note OR MIT */
/*
 * p2pbuf: userspace-controlled peer-to-peer DMA buffers.
 *
 * User API of the /dev/p2pbuf misc device.  Shared by the kernel module and
 * libp2pbuf; see p2pbuf(4).
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
#define P2PBUF_UAPI_VERSION_MINOR	0

/* ioctl type; not claimed in Documentation/userspace-api/ioctl/ioctl-number.rst. */
#define P2PBUF_IOC_MAGIC	0xB7

/* Feature bits reported by P2PBUF_IOC_INFO. */
/* The running kernel was built with CONFIG_PCI_P2PDMA. */
#define P2PBUF_FEATURE_PCI_P2PDMA	_BITULL(0)
/* A DMA-remapping IOMMU is present and enabled on at least one PCI device. */
#define P2PBUF_FEATURE_IOMMU		_BITULL(1)

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

enum {
	P2PBUF_CMD_INFO = 0x00,
};

#define P2PBUF_IOC_INFO	_IOWR(P2PBUF_IOC_MAGIC, P2PBUF_CMD_INFO, struct p2pbuf_info)

#endif /* _UAPI_LINUX_P2PBUF_H */
