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

#ifdef __cplusplus
}
#endif

#endif /* LIBP2PBUF_H */
