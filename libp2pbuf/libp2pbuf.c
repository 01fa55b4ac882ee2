// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libp2pbuf - userspace library for the p2pbuf driver.
 *
 * A context is one open file of /dev/p2pbuf.  p2pbuf_ctx_new() checks once,
 * with P2PBUF_IOC_INFO, that the file is a p2pbuf device speaking a uAPI
 * major version this library knows, and caches what the driver reported.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <linux/p2pbuf.h>

#include "libp2pbuf.h"
#include "libp2pbuf-private.h"

_Static_assert(sizeof(((struct p2pbuf_driver_info *)0)->driver_version) ==
		       P2PBUF_DRIVER_VERSION_LEN,
	       "driver_version must hold the uAPI string");

/*
 * struct p2pbuf_driver_info is append-only and its LIBP2PBUF_1 layout ends
 * with driver_version: the least a caller may pass.
 */
#define DRIVER_INFO_SIZE_1                                     \
	(offsetof(struct p2pbuf_driver_info, driver_version) + \
	 P2PBUF_DRIVER_VERSION_LEN)

struct p2pbuf_ctx {
	int refcount;
	int fd;
	struct p2pbuf_driver_info info;
};

/*
 * Driver uAPI version seen by the last p2pbuf_ctx_new() of this thread that
 * failed with -P2PBUF_E_VERSION, so that p2pbuf_strerror() can name it.
 */
static __thread struct {
	int valid;
	unsigned int major;
	unsigned int minor;
} last_mismatch;

/* Backing store for messages p2pbuf_strerror() has to format. */
static __thread char strerror_buf[128];

P2PBUF_EXPORT int p2pbuf_ctx_new(const char *devpath, struct p2pbuf_ctx **ctxp)
{
	struct p2pbuf_info raw = { .size = sizeof(raw) };
	struct p2pbuf_ctx *ctx;
	int fd, err;

	if (!ctxp)
		return -EINVAL;
	if (!devpath)
		devpath = P2PBUF_DEFAULT_DEVICE;

	fd = open(devpath, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -errno;

	if (ioctl(fd, P2PBUF_IOC_INFO, &raw) < 0) {
		/* Not our ioctl: ENOTTY from most files, EINVAL from some. */
		if (errno == ENOTTY || errno == EINVAL)
			err = -P2PBUF_E_NOTP2PBUF;
		else
			err = -errno;
		goto err_close;
	}
	if (raw.version_major != P2PBUF_UAPI_VERSION_MAJOR) {
		last_mismatch.valid = 1;
		last_mismatch.major = raw.version_major;
		last_mismatch.minor = raw.version_minor;
		err = -P2PBUF_E_VERSION;
		goto err_close;
	}
	/* A driver of this major version writes at least the first layout. */
	if (raw.size < P2PBUF_INFO_SIZE_VER0) {
		err = -EPROTO;
		goto err_close;
	}

	ctx = calloc(1, sizeof(*ctx));
	if (!ctx) {
		err = -ENOMEM;
		goto err_close;
	}
	ctx->refcount = 1;
	ctx->fd = fd;
	ctx->info.version_major = raw.version_major;
	ctx->info.version_minor = raw.version_minor;
	ctx->info.features = raw.features;
	ctx->info.page_size = raw.page_size;
	ctx->info.max_buffers_per_fd = raw.max_buffers_per_fd;
	ctx->info.max_sgls_per_fd = raw.max_sgls_per_fd;
	ctx->info.max_sgl_segments = raw.max_sgl_segments;
	memcpy(ctx->info.driver_version, raw.driver_version,
	       sizeof(ctx->info.driver_version));
	ctx->info.driver_version[sizeof(ctx->info.driver_version) - 1] = '\0';

	*ctxp = ctx;
	return 0;

err_close:
	close(fd);
	return err;
}

P2PBUF_EXPORT struct p2pbuf_ctx *p2pbuf_ctx_ref(struct p2pbuf_ctx *ctx)
{
	if (ctx)
		__atomic_add_fetch(&ctx->refcount, 1, __ATOMIC_RELAXED);
	return ctx;
}

P2PBUF_EXPORT struct p2pbuf_ctx *p2pbuf_ctx_unref(struct p2pbuf_ctx *ctx)
{
	if (!ctx)
		return NULL;
	if (__atomic_sub_fetch(&ctx->refcount, 1, __ATOMIC_ACQ_REL) > 0)
		return ctx;
	close(ctx->fd);
	free(ctx);
	return NULL;
}

P2PBUF_EXPORT int p2pbuf_ctx_get_fd(const struct p2pbuf_ctx *ctx)
{
	if (!ctx)
		return -EINVAL;
	return ctx->fd;
}

uint64_t p2pbuf_ctx_features(const struct p2pbuf_ctx *ctx)
{
	return ctx->info.features;
}

uint32_t p2pbuf_ctx_uapi_minor(const struct p2pbuf_ctx *ctx)
{
	return ctx->info.version_minor;
}

P2PBUF_EXPORT int p2pbuf_ctx_get_info(const struct p2pbuf_ctx *ctx,
				      struct p2pbuf_driver_info *info,
				      size_t info_size)
{
	size_t known = sizeof(*info);

	if (!ctx || !info || info_size < DRIVER_INFO_SIZE_1)
		return -EINVAL;
	if (info_size < known)
		known = info_size;
	memcpy(info, &ctx->info, known);
	/* A caller built against a newer libp2pbuf: zero what we cannot fill. */
	memset((char *)info + known, 0, info_size - known);
	return 0;
}

static const char *version_message(void)
{
	if (!last_mismatch.valid)
		return "Driver uAPI major version is incompatible with libp2pbuf";
	snprintf(strerror_buf, sizeof(strerror_buf),
		 "Driver uAPI %u.%u is incompatible with libp2pbuf uAPI %d.%d",
		 last_mismatch.major, last_mismatch.minor,
		 P2PBUF_UAPI_VERSION_MAJOR, P2PBUF_UAPI_VERSION_MINOR);
	return strerror_buf;
}

P2PBUF_EXPORT const char *p2pbuf_strerror(int err)
{
	unsigned int code = err < 0 ? -(unsigned int)err : (unsigned int)err;
	const char *msg;

	switch (code) {
	case P2PBUF_E_VERSION:
		return version_message();
	case P2PBUF_E_NOTP2PBUF:
		return "Not a p2pbuf device";
	}
	if (code <= INT_MAX) {
		msg = strerrordesc_np((int)code);
		if (msg)
			return msg;
	}
	snprintf(strerror_buf, sizeof(strerror_buf), "Unknown error %u", code);
	return strerror_buf;
}

P2PBUF_EXPORT const char *p2pbuf_feature_name(uint64_t bit)
{
	switch (bit) {
	case P2PBUF_FEATURE_PCI_P2PDMA:
		return "pci_p2pdma";
	case P2PBUF_FEATURE_IOMMU:
		return "iommu";
	case P2PBUF_FEATURE_BUFFERS:
		return "buffers";
	case P2PBUF_FEATURE_DMA_SGL:
		return "dma_sgl";
	case P2PBUF_FEATURE_REVOCATION:
		return "revocation";
	case P2PBUF_FEATURE_DMABUF_EXPORT:
		return "dmabuf_export";
	case P2PBUF_FEATURE_DMABUF_IMPORT:
		return "dmabuf_import";
	case P2PBUF_FEATURE_P2PDMA_PROVIDER:
		return "p2pdma_provider";
	case P2PBUF_FEATURE_MAP_DMABUF_MMAP:
		return "map_dmabuf_mmap";
	default:
		return NULL;
	}
}

P2PBUF_EXPORT const char *p2pbuf_version(void)
{
	return PACKAGE_VERSION;
}

struct p2pbuf_buffer {
	struct p2pbuf_ctx *ctx; /* referenced */
	uint64_t size;
	uint64_t mmap_offset;
	uint32_t handle;
	uint32_t provider_id;
	uint32_t cache_mode;
};

P2PBUF_EXPORT int p2pbuf_buffer_alloc(struct p2pbuf_ctx *ctx,
				      uint32_t provider_id, uint64_t length,
				      unsigned int flags,
				      struct p2pbuf_buffer **bufp)
{
	struct p2pbuf_alloc a = { .size = sizeof(a) };
	struct p2pbuf_buffer *buf;
	int err;

	if (!ctx || !bufp || flags)
		return -EINVAL;
	if (!(ctx->info.features & P2PBUF_FEATURE_BUFFERS))
		return -EOPNOTSUPP;
	buf = calloc(1, sizeof(*buf));
	if (!buf)
		return -ENOMEM;
	a.length = length;
	a.provider_id = provider_id;
	if (ioctl(ctx->fd, P2PBUF_IOC_ALLOC, &a) < 0) {
		err = -errno;
		free(buf);
		return err;
	}
	buf->ctx = p2pbuf_ctx_ref(ctx);
	buf->size = a.length;
	buf->mmap_offset = a.mmap_offset;
	buf->handle = a.handle;
	buf->provider_id = a.provider_id;
	buf->cache_mode = a.cache_mode;
	*bufp = buf;
	return 0;
}

P2PBUF_EXPORT int p2pbuf_buffer_free(struct p2pbuf_buffer *buf)
{
	struct p2pbuf_free f = { .size = sizeof(f) };
	int err = 0;

	if (!buf)
		return 0;
	f.handle = buf->handle;
	if (ioctl(buf->ctx->fd, P2PBUF_IOC_FREE, &f) < 0)
		err = -errno;
	p2pbuf_ctx_unref(buf->ctx);
	free(buf);
	return err;
}

P2PBUF_EXPORT int p2pbuf_buffer_mmap(struct p2pbuf_buffer *buf, uint64_t offset,
				     uint64_t length, void **addrp)
{
	void *p;

	if (!buf || !addrp || offset >= buf->size ||
	    length > buf->size - offset)
		return -EINVAL;
	if (!length)
		length = buf->size - offset;
	if (length > SIZE_MAX)
		return -ENOMEM;
	p = mmap(NULL, (size_t)length, PROT_READ | PROT_WRITE, MAP_SHARED,
		 buf->ctx->fd, (off_t)(buf->mmap_offset + offset));
	if (p == MAP_FAILED)
		return -errno;
	*addrp = p;
	return 0;
}

P2PBUF_EXPORT int p2pbuf_buffer_munmap(struct p2pbuf_buffer *buf, void *addr,
				       uint64_t length)
{
	if (!buf || !addr || !length || length > SIZE_MAX)
		return -EINVAL;
	return munmap(addr, (size_t)length) ? -errno : 0;
}

P2PBUF_EXPORT uint64_t p2pbuf_buffer_get_size(const struct p2pbuf_buffer *buf)
{
	return buf ? buf->size : 0;
}

P2PBUF_EXPORT uint32_t
p2pbuf_buffer_get_provider(const struct p2pbuf_buffer *buf)
{
	return buf ? buf->provider_id : 0;
}

P2PBUF_EXPORT uint32_t p2pbuf_buffer_get_handle(const struct p2pbuf_buffer *buf)
{
	return buf ? buf->handle : 0;
}

P2PBUF_EXPORT uint32_t
p2pbuf_buffer_get_cache_mode(const struct p2pbuf_buffer *buf)
{
	return buf ? buf->cache_mode : 0;
}

P2PBUF_EXPORT int p2pbuf_buffer_export(struct p2pbuf_buffer *buf,
				       uint64_t offset, uint64_t length,
				       unsigned int flags, int *fdp,
				       uint32_t *idp)
{
	struct p2pbuf_export e = { .size = sizeof(e) };

	if (!buf || !fdp || (flags & ~P2PBUF_EXPORT_F_NO_CLOEXEC))
		return -EINVAL;
	if (!(p2pbuf_ctx_features(buf->ctx) & P2PBUF_FEATURE_DMABUF_EXPORT))
		return -EOPNOTSUPP;
	if (!length) {
		if (offset >= buf->size)
			return -ERANGE;
		length = buf->size - offset;
	}
	e.flags = flags;
	e.handle = buf->handle;
	e.offset = offset;
	e.length = length;
	if (ioctl(p2pbuf_ctx_get_fd(buf->ctx), P2PBUF_IOC_EXPORT, &e) < 0)
		return -errno;
	if (e.dmabuf_fd < 0)
		return -EPROTO;
	*fdp = e.dmabuf_fd;
	if (idp)
		*idp = e.id;
	return 0;
}

P2PBUF_EXPORT const char *p2pbuf_cache_mode_name(uint32_t mode)
{
	switch (mode) {
	case P2PBUF_CACHE_WB:
		return "write-back";
	case P2PBUF_CACHE_WC:
		return "write-combining";
	case P2PBUF_CACHE_UC:
		return "uncached";
	default:
		return NULL;
	}
}
