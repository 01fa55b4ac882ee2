// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libp2pbuf dma-sgls (LIBP2PBUF_4): P2PBUF_IOC_MAP and P2PBUF_IOC_REACH on
 * a context's file, P2PBUF_IOC_SEGMENTS and P2PBUF_IOC_SYNC on the dma-sgl
 * file descriptor that MAP returns; PCI target names, and the names of the
 * uAPI's enums.  Waiting for a dma-sgl's revocation (LIBP2PBUF_5) is a
 * poll() of that descriptor.
 *
 * The library refuses what it can judge alone (NULL pointers, flags and
 * directions it does not know, a driver without P2PBUF_FEATURE_DMA_SGL) and
 * passes the rest -- the range, the target, the provider -- to the kernel
 * unchanged: those errors are the kernel's.
 */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <linux/p2pbuf.h>

#include "libp2pbuf.h"
#include "libp2pbuf-private.h"

/* First layouts of the append-only structures (LIBP2PBUF_4). */
#define SGL_INFO_SIZE_4 40
#define REACH_INFO_SIZE_4 24

_Static_assert(sizeof(struct p2pbuf_sgl_info) == SGL_INFO_SIZE_4,
	       "struct p2pbuf_sgl_info is append-only");
_Static_assert(sizeof(struct p2pbuf_reach_info) == REACH_INFO_SIZE_4,
	       "struct p2pbuf_reach_info is append-only");
_Static_assert(sizeof("ffffffff:ff:1f.7") == P2PBUF_PCI_TARGET_STRLEN,
	       "P2PBUF_PCI_TARGET_STRLEN holds the longest target");

struct p2pbuf_sgl {
	struct p2pbuf_ctx *ctx; /* referenced */
	int fd; /* the dma-sgl, owned */
};

static bool has_sgls(const struct p2pbuf_ctx *ctx)
{
	return p2pbuf_ctx_features(ctx) & P2PBUF_FEATURE_DMA_SGL;
}

/* Copy src to a caller's dst_size-byte structure, zeroing what is unknown. */
static void copy_sized(void *dst, size_t dst_size, const void *src,
		       size_t src_size)
{
	size_t known = src_size < dst_size ? src_size : dst_size;

	memcpy(dst, src, known);
	memset((char *)dst + known, 0, dst_size - known);
}

P2PBUF_EXPORT int p2pbuf_map(struct p2pbuf_ctx *ctx, uint64_t addr,
			     uint64_t length,
			     const struct p2pbuf_pci_target *target,
			     enum p2pbuf_dma_dir dir, uint32_t flags,
			     struct p2pbuf_sgl **sglp)
{
	struct p2pbuf_map m = { .size = sizeof(m) };
	struct p2pbuf_sgl *sgl;
	int err;

	if (!ctx || !target || !sglp || (flags & ~P2PBUF_MAP_F_NO_CLOEXEC) ||
	    !p2pbuf_dma_dir_name(dir))
		return -EINVAL;
	if (!has_sgls(ctx))
		return -EOPNOTSUPP;
	sgl = calloc(1, sizeof(*sgl));
	if (!sgl)
		return -ENOMEM;
	m.flags = flags;
	m.addr = addr;
	m.length = length;
	m.target = *target;
	m.direction = dir;
	if (ioctl(p2pbuf_ctx_get_fd(ctx), P2PBUF_IOC_MAP, &m) < 0) {
		err = -errno;
		free(sgl);
		return err;
	}
	if (m.sgl_fd < 0) {
		free(sgl);
		return -EPROTO;
	}
	sgl->ctx = p2pbuf_ctx_ref(ctx);
	sgl->fd = m.sgl_fd;
	*sglp = sgl;
	return 0;
}

P2PBUF_EXPORT int p2pbuf_map_dmabuf(struct p2pbuf_ctx *ctx, int dmabuf_fd,
				    uint64_t offset, uint64_t length,
				    const struct p2pbuf_pci_target *target,
				    enum p2pbuf_dma_dir dir, uint32_t flags,
				    struct p2pbuf_sgl **sglp)
{
	struct p2pbuf_map_dmabuf m = { .size = sizeof(m) };
	struct p2pbuf_sgl *sgl;
	int err;

	if (!ctx || !target || !sglp || dmabuf_fd < 0 ||
	    (flags & ~P2PBUF_MAP_DMABUF_F_NO_CLOEXEC) ||
	    !p2pbuf_dma_dir_name(dir))
		return -EINVAL;
	if (!(p2pbuf_ctx_features(ctx) & P2PBUF_FEATURE_DMABUF_IMPORT))
		return -EOPNOTSUPP;
	if (!length) {
		/* The dma-buf's size: lseek(SEEK_END) on a dma-buf fd. */
		off_t end = lseek(dmabuf_fd, 0, SEEK_END);

		if (end < 0)
			return -errno;
		if ((uint64_t)end <= offset)
			return -ERANGE;
		length = (uint64_t)end - offset;
	}
	sgl = calloc(1, sizeof(*sgl));
	if (!sgl)
		return -ENOMEM;
	m.flags = flags;
	m.dmabuf_fd = dmabuf_fd;
	m.direction = dir;
	m.offset = offset;
	m.length = length;
	m.target = *target;
	if (ioctl(p2pbuf_ctx_get_fd(ctx), P2PBUF_IOC_MAP_DMABUF, &m) < 0) {
		err = -errno;
		free(sgl);
		return err;
	}
	if (m.sgl_fd < 0) {
		free(sgl);
		return -EPROTO;
	}
	sgl->ctx = p2pbuf_ctx_ref(ctx);
	sgl->fd = m.sgl_fd;
	*sglp = sgl;
	return 0;
}

P2PBUF_EXPORT void p2pbuf_sgl_close(struct p2pbuf_sgl *sgl)
{
	if (!sgl)
		return;
	/* Linux releases the descriptor even when close() reports an error. */
	close(sgl->fd);
	p2pbuf_ctx_unref(sgl->ctx);
	free(sgl);
}

P2PBUF_EXPORT int p2pbuf_sgl_get_fd(const struct p2pbuf_sgl *sgl)
{
	if (!sgl)
		return -EINVAL;
	return sgl->fd;
}

P2PBUF_EXPORT int p2pbuf_sgl_info(const struct p2pbuf_sgl *sgl,
				  struct p2pbuf_sgl_info *info,
				  size_t info_size)
{
	struct p2pbuf_segments s = { .size = sizeof(s) };
	struct p2pbuf_sgl_info i;

	if (!sgl || !info || info_size < SGL_INFO_SIZE_4)
		return -EINVAL;
	/* No segment array: the description only, which needs no capability. */
	if (ioctl(sgl->fd, P2PBUF_IOC_SEGMENTS, &s) < 0)
		return -errno;
	memset(&i, 0, sizeof(i));
	i.length = s.length;
	i.nr_segments = s.nr_segments;
	i.map_type = s.map_type;
	i.state = s.state;
	i.direction = s.direction;
	i.generation = s.generation;
	i.target = s.target;
	copy_sized(info, info_size, &i, sizeof(i));
	return 0;
}

P2PBUF_EXPORT int p2pbuf_sgl_segments(const struct p2pbuf_sgl *sgl,
				      struct p2pbuf_segment *segs,
				      uint32_t capacity, uint32_t *nr,
				      uint32_t flags)
{
	struct p2pbuf_segments s = { .size = sizeof(s) };
	int err;

	if (!sgl || !nr || (!segs && capacity) ||
	    (flags & ~P2PBUF_SEGMENTS_F_LENGTHS_ONLY))
		return -EINVAL;
	s.flags = flags;
	s.segments = (uintptr_t)segs;
	s.capacity = capacity;
	if (ioctl(sgl->fd, P2PBUF_IOC_SEGMENTS, &s) < 0) {
		err = -errno;
		/* The kernel still reports how many there are. */
		if (err == -EMSGSIZE)
			*nr = s.nr_segments;
		return err;
	}
	if (segs && s.nr_segments > capacity)
		return -EPROTO;
	*nr = s.nr_segments;
	return 0;
}

P2PBUF_EXPORT int p2pbuf_sgl_sync(struct p2pbuf_sgl *sgl, uint32_t flags)
{
	struct p2pbuf_sync s = { .size = sizeof(s) };

	if (!sgl || (flags != P2PBUF_SYNC_F_FOR_CPU &&
		     flags != P2PBUF_SYNC_F_FOR_DEVICE))
		return -EINVAL;
	s.flags = flags;
	return ioctl(sgl->fd, P2PBUF_IOC_SYNC, &s) < 0 ? -errno : 0;
}

P2PBUF_EXPORT int p2pbuf_sgl_wait(const struct p2pbuf_sgl *sgl, int timeout_ms)
{
	struct pollfd pfd;
	int n;

	if (!sgl)
		return -EINVAL;
	/* Before uAPI 1.3 a dma-sgl fd does not poll: it is never revoked. */
	if (!(p2pbuf_ctx_features(sgl->ctx) & P2PBUF_FEATURE_REVOCATION))
		return -EOPNOTSUPP;
	pfd.fd = sgl->fd;
	pfd.events = POLLPRI;
	pfd.revents = 0;
	n = poll(&pfd, 1, timeout_ms < 0 ? -1 : timeout_ms);
	if (n < 0)
		return -errno;
	if (!n)
		return -ETIMEDOUT;
	if (pfd.revents & POLLNVAL)
		return -EBADF;
	/* The driver reports EPOLLERR | EPOLLPRI once, and for good. */
	if (pfd.revents & (POLLPRI | POLLERR))
		return 0;
	return -EPROTO;
}

/* P2PBUF_IOC_REACH of r (its size set here), into the caller's info. */
static int reach(struct p2pbuf_ctx *ctx, struct p2pbuf_reach *r,
		 struct p2pbuf_reach_info *info, size_t info_size)
{
	struct p2pbuf_reach_info i;

	r->size = sizeof(*r);
	if (ioctl(p2pbuf_ctx_get_fd(ctx), P2PBUF_IOC_REACH, r) < 0)
		return -errno;
	memset(&i, 0, sizeof(i));
	i.provider_id = r->provider_id;
	i.reason = r->reason;
	i.map_type = r->map_type;
	i.distance = r->distance;
	i.target = r->target;
	copy_sized(info, info_size, &i, sizeof(i));
	return 0;
}

P2PBUF_EXPORT int p2pbuf_reach(struct p2pbuf_ctx *ctx, uint32_t provider_id,
			       const struct p2pbuf_pci_target *target,
			       struct p2pbuf_reach_info *info, size_t info_size)
{
	struct p2pbuf_reach r = { .provider_id = provider_id };

	if (!ctx || !target || !info || info_size < REACH_INFO_SIZE_4)
		return -EINVAL;
	if (!has_sgls(ctx))
		return -EOPNOTSUPP;
	r.target = *target;
	return reach(ctx, &r, info, info_size);
}

P2PBUF_EXPORT int
p2pbuf_reach_bar(struct p2pbuf_ctx *ctx, const struct p2pbuf_pci_target *device,
		 unsigned int bar, const struct p2pbuf_pci_target *target,
		 struct p2pbuf_reach_info *info, size_t info_size)
{
	struct p2pbuf_reach r = { .flags = P2PBUF_REACH_F_PCI_BAR };

	if (!ctx || !device || !target || !info ||
	    info_size < REACH_INFO_SIZE_4 || bar > 5)
		return -EINVAL;
	/* P2PBUF_REACH_F_PCI_BAR: uAPI 1.4. */
	if (!has_sgls(ctx) || p2pbuf_ctx_uapi_minor(ctx) < 4)
		return -EOPNOTSUPP;
	r.bar_device = *device;
	r.bar = bar;
	r.target = *target;
	return reach(ctx, &r, info, info_size);
}

/* --- PCI targets -------------------------------------------------------- */

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * A field of min to max hexadecimal digits at s, followed by stop; its
 * value into *val.  Returns what follows stop (stop itself if it is the
 * NUL), or NULL if s does not start with such a field.
 */
static const char *hex_field(const char *s, int min, int max, char stop,
			     uint32_t *val)
{
	int n, d;

	*val = 0;
	for (n = 0; (d = hex_digit(s[n])) >= 0; n++) {
		if (n == max)
			return NULL;
		*val = *val * 16 + (uint32_t)d;
	}
	if (n < min || s[n] != stop)
		return NULL;
	return stop ? s + n + 1 : s + n;
}

P2PBUF_EXPORT int p2pbuf_pci_target_parse(const char *s,
					  struct p2pbuf_pci_target *target)
{
	uint32_t domain = 0, bus, dev, fn;
	const char *colon;

	if (!s || !target)
		return -EINVAL;
	/* Two colons: a domain first; sysfs prints it with at least 4 digits. */
	colon = strchr(s, ':');
	if (colon && strchr(colon + 1, ':') &&
	    !(s = hex_field(s, 4, 8, ':', &domain)))
		return -EINVAL;
	if (!(s = hex_field(s, 2, 2, ':', &bus)) ||
	    !(s = hex_field(s, 2, 2, '.', &dev)) ||
	    !hex_field(s, 1, 1, '\0', &fn) || dev > 0x1f || fn > 7)
		return -EINVAL;
	memset(target, 0, sizeof(*target));
	target->domain = domain;
	target->bus = (uint8_t)bus;
	target->devfn = (uint8_t)(dev << 3 | fn);
	return 0;
}

P2PBUF_EXPORT int
p2pbuf_pci_target_format(const struct p2pbuf_pci_target *target, char *buf,
			 size_t len)
{
	char s[P2PBUF_PCI_TARGET_STRLEN];
	int n;

	if (!target || !buf || target->reserved)
		return -EINVAL;
	n = snprintf(s, sizeof(s), "%04x:%02x:%02x.%x",
		     (unsigned int)target->domain, (unsigned int)target->bus,
		     (unsigned int)target->devfn >> 3,
		     (unsigned int)target->devfn & 7);
	if (n < 0 || (size_t)n >= len) {
		if (len)
			buf[0] = '\0';
		return -ENOSPC;
	}
	memcpy(buf, s, (size_t)n + 1);
	return 0;
}

/* --- names -------------------------------------------------------------- */

P2PBUF_EXPORT const char *p2pbuf_map_type_name(uint32_t type)
{
	switch (type) {
	case P2PBUF_MAP_TYPE_BUS_ADDR:
		return "bus-addr";
	case P2PBUF_MAP_TYPE_IOMMU:
		return "iommu";
	case P2PBUF_MAP_TYPE_DIRECT:
		return "direct";
	case P2PBUF_MAP_TYPE_MIXED:
		return "mixed";
	default:
		return NULL;
	}
}

P2PBUF_EXPORT const char *p2pbuf_reach_reason_name(uint32_t reason)
{
	switch (reason) {
	case P2PBUF_REACH_HOST_MEMORY:
		return "host-memory";
	case P2PBUF_REACH_SWITCH:
		return "switch";
	case P2PBUF_REACH_HOST_BRIDGE_ALLOWED:
		return "host-bridge-allowed";
	case P2PBUF_REACH_HOST_BRIDGE_ADMIN:
		return "host-bridge-admin";
	case P2PBUF_UNREACH_HOST_BRIDGE:
		return "host-bridge-refused";
	case P2PBUF_UNREACH_SAME_DEVICE:
		return "same-device";
	case P2PBUF_UNREACH_DMA_MASK:
		return "dma-mask";
	case P2PBUF_UNREACH_P2PDMA:
		return "p2pdma";
	case P2PBUF_UNREACH_USER_DRIVER:
		return "user-driver";
	default:
		return NULL;
	}
}

P2PBUF_EXPORT const char *p2pbuf_dma_dir_name(uint32_t dir)
{
	switch (dir) {
	case P2PBUF_DMA_TO_DEVICE:
		return "to-device";
	case P2PBUF_DMA_FROM_DEVICE:
		return "from-device";
	case P2PBUF_DMA_BIDIRECTIONAL:
		return "bidirectional";
	default:
		return NULL;
	}
}
