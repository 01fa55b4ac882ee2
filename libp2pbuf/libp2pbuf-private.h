/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libp2pbuf internals: not installed.
 */
#ifndef LIBP2PBUF_PRIVATE_H
#define LIBP2PBUF_PRIVATE_H

/*
 * The library is built with -fvisibility=hidden; only functions marked
 * P2PBUF_EXPORT and listed in libp2pbuf.sym are part of the ABI.
 */
#define P2PBUF_EXPORT __attribute__((visibility("default")))

#include <stdint.h>

struct p2pbuf_ctx;

/* The P2PBUF_FEATURE_* bits the driver reported when ctx was opened. */
uint64_t p2pbuf_ctx_features(const struct p2pbuf_ctx *ctx);
/* The driver's uAPI minor version (its major is the library's). */
uint32_t p2pbuf_ctx_uapi_minor(const struct p2pbuf_ctx *ctx);

/*
 * Control plane internals (netlink.c), not exported; the host tests call
 * them directly.
 */
#include <stdbool.h>
#include <stddef.h>

struct nlmsghdr;
struct p2pbuf_provider_info;

/* sizeof(struct p2pbuf_provider_info) in LIBP2PBUF_2, its first layout. */
#define PROVIDER_INFO_SIZE_2 64

/* A negative errno for a libnl error code (-NLE_*); 0 for NLE_SUCCESS. */
int p2pbuf_nlerr_to_errno(int nlerr);

/*
 * Parse a provider message (PROVIDER_ADD/GET reply, dump element or event)
 * into *info; -EPROTO if an attribute every provider has is missing or has
 * the wrong length.  Attributes this library does not know are ignored.
 */
int p2pbuf_nl_parse_provider(struct nlmsghdr *nlh,
			     struct p2pbuf_provider_info *info);

/*
 * The status of an NLMSG_ERROR (error or ack) or NLMSG_DONE message: 0 or
 * the negative errno it carries (-EPROTO if malformed), with the message of
 * its extended ack copied to msg ("" if none).
 */
int p2pbuf_nl_parse_status(struct nlmsghdr *nlh, char *msg, size_t msg_len);

/* Copy src to a caller's dst_size-byte structure, zeroing what is unknown. */
void p2pbuf_copy_provider_info(struct p2pbuf_provider_info *dst,
			       size_t dst_size,
			       const struct p2pbuf_provider_info *src);

struct p2pbuf_buffer_entry;
struct p2pbuf_sgl_entry;
struct p2pbuf_event;
struct p2pbuf_export_entry;

/* First layouts of the LIBP2PBUF_5 structures. */
#define BUFFER_ENTRY_SIZE_5 72
#define SGL_ENTRY_SIZE_5 120
#define EVENT_SIZE_5 120
#define EVENT_SIZE_7 128
#define EXPORT_ENTRY_SIZE_7 72
/* struct p2pbuf_sgl_entry with its dma-buf pieces (LIBP2PBUF_9). */
#define SGL_ENTRY_SIZE_8 352

/*
 * Parse a buffer message into *e: a BUFFER_GET dump element (listing
 * true: the OWNER_* attributes are required) or a buffer event (false:
 * they are not looked at).  -EPROTO if an attribute every buffer message
 * has is missing or malformed; unknown attributes are ignored.
 */
int p2pbuf_nl_parse_buffer(struct nlmsghdr *nlh, struct p2pbuf_buffer_entry *e,
			   bool listing);

/* The same for a dma-sgl message (SGL_GET dump element or event). */
int p2pbuf_nl_parse_sgl(struct nlmsghdr *nlh, struct p2pbuf_sgl_entry *e,
			bool listing);

/*
 * Parse a message of the "events" group into *ev: 0, -ENOMSG for a
 * command that is no event this library knows (to be skipped), -EPROTO
 * for a malformed one.  The caller has checked the family id.
 */
int p2pbuf_nl_parse_event(struct nlmsghdr *nlh, struct p2pbuf_event *ev);

/* The same for an export message (EXPORT_GET dump element or event). */
int p2pbuf_nl_parse_export(struct nlmsghdr *nlh, struct p2pbuf_export_entry *e,
			   bool listing);

/*
 * The next event of family in the datagram buf of len bytes, from *off
 * on (advanced past what was read): 0, -EPROTO for a malformed event
 * (consumed), -ENOMSG when the datagram holds no further event.  Messages
 * of other types and unknown notifications are skipped (monitor.c).
 */
int p2pbuf_nl_next_event(const void *buf, size_t len, size_t *off, int family,
			 struct p2pbuf_event *ev);

#endif /* LIBP2PBUF_PRIVATE_H */
