// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libp2pbuf control plane: the "p2pbuf" generic netlink family through
 * libnl-genl-3.
 *
 * A struct p2pbuf_ctl owns one netlink socket whose family id is resolved
 * once, in p2pbuf_ctl_new().  Every request is one message with its own
 * sequence number; replies are matched on it (stale messages of an earlier,
 * abandoned request are skipped) and collected until the ack, the error or
 * NLMSG_DONE.  Errors from the kernel are returned exactly (the errno in
 * struct nlmsgerr, not libnl's translation of it) with the extended-ack
 * message kept for p2pbuf_ctl_last_error(); errors of libnl itself are
 * translated to errnos at this boundary (p2pbuf_nlerr_to_errno()).
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <linux/netlink.h>
#include <linux/p2pbuf.h>
#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>
#include <netlink/msg.h>

#include "libp2pbuf.h"
#include "libp2pbuf-private.h"

#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif

_Static_assert(sizeof(struct p2pbuf_provider_info) == PROVIDER_INFO_SIZE_2,
	       "struct p2pbuf_provider_info is append-only");
_Static_assert(P2PBUF_PCI_ADDR_STRLEN > P2PBUF_NL_PCI_ADDR_LEN,
	       "pci_addr must hold the family's PCI address and a NUL");
_Static_assert(sizeof(struct p2pbuf_buffer_entry) == BUFFER_ENTRY_SIZE_5,
	       "struct p2pbuf_buffer_entry is append-only");
_Static_assert(sizeof(struct p2pbuf_sgl_entry) == SGL_ENTRY_SIZE_8,
	       "struct p2pbuf_sgl_entry is append-only");
_Static_assert(sizeof(struct p2pbuf_export_entry) == EXPORT_ENTRY_SIZE_7,
	       "struct p2pbuf_export_entry changed size");
_Static_assert(sizeof(struct p2pbuf_event) == EVENT_SIZE_7,
	       "struct p2pbuf_event is append-only");

struct p2pbuf_ctl {
	struct nl_sock *sk;
	int family;
	bool has_error_msg;
	char error_msg[256];
};

/* Parses a reply into an element of the library's own (full) layout. */
typedef int (*parse_fn)(struct nlmsghdr *nlh, void *elem);

/* One request in flight: what its replies are collected into. */
struct request {
	struct p2pbuf_ctl *ctl;
	uint32_t seq;
	uint8_t cmd; /* replies carry the request's command */
	bool done; /* ack, error or NLMSG_DONE seen */
	int err; /* 0 or a negative errno */
	/*
	 * Replies, parsed by parse into known bytes and kept as an array of
	 * stride-byte elements (the caller's size); parse NULL: a request
	 * that has no reply but the ack, any other is -EPROTO.
	 */
	parse_fn parse;
	size_t known;
	char *elems;
	size_t stride;
	size_t n;
	size_t cap;
};

int p2pbuf_nlerr_to_errno(int nlerr)
{
	switch (nlerr < 0 ? -nlerr : nlerr) {
	case NLE_SUCCESS:
		return 0;
	case NLE_INTR:
		return -EINTR;
	case NLE_BAD_SOCK:
		return -EBADF;
	case NLE_AGAIN:
		return -EAGAIN;
	case NLE_NOMEM:
		return -ENOMEM;
	case NLE_EXIST:
		return -EEXIST;
	case NLE_INVAL:
		return -EINVAL;
	case NLE_RANGE:
		return -ERANGE;
	case NLE_MSGSIZE:
		return -EMSGSIZE;
	case NLE_OPNOTSUPP:
		return -EOPNOTSUPP;
	case NLE_AF_NOSUPPORT:
		return -EAFNOSUPPORT;
	case NLE_OBJ_NOTFOUND:
		return -ENOENT;
	case NLE_BUSY:
		return -EBUSY;
	case NLE_PROTO_MISMATCH:
		return -EPROTONOSUPPORT;
	case NLE_NOACCESS:
		return -EACCES;
	case NLE_PERM:
		return -EPERM;
	case NLE_NODEV:
		return -ENODEV;
	case NLE_MSG_OVERFLOW:
		return -EOVERFLOW;
	case NLE_NOADDR:
		return -EADDRNOTAVAIL;
	/* The dump changed while it was read: worth retrying. */
	case NLE_DUMP_INTR:
		return -EAGAIN;
	/* Replies the library could not make sense of. */
	case NLE_NOATTR:
	case NLE_MISSING_ATTR:
	case NLE_AF_MISMATCH:
	case NLE_SEQ_MISMATCH:
	case NLE_MSG_TRUNC:
	case NLE_MSG_TOOSHORT:
	case NLE_MSGTYPE_NOSUPPORT:
	case NLE_PARSE_ERR:
	case NLE_ATTRSIZE:
		return -EPROTO;
	default:
		return -EIO;
	}
}

static void clear_error(struct p2pbuf_ctl *ctl)
{
	ctl->has_error_msg = false;
	ctl->error_msg[0] = '\0';
}

static void set_error(struct p2pbuf_ctl *ctl, const char *msg)
{
	size_t len = strnlen(msg, sizeof(ctl->error_msg) - 1);

	memcpy(ctl->error_msg, msg, len);
	ctl->error_msg[len] = '\0';
	ctl->has_error_msg = true;
}

P2PBUF_EXPORT int p2pbuf_ctl_new(struct p2pbuf_ctl **ctlp)
{
	struct p2pbuf_ctl *ctl;
	int one = 1, ret;

	if (!ctlp)
		return -EINVAL;
	ctl = calloc(1, sizeof(*ctl));
	if (!ctl)
		return -ENOMEM;
	ctl->sk = nl_socket_alloc();
	if (!ctl->sk) {
		ret = -ENOMEM;
		goto err_free;
	}
	ret = genl_connect(ctl->sk);
	if (ret < 0) {
		ret = p2pbuf_nlerr_to_errno(ret);
		goto err_sock;
	}
	/* Error messages; acks without a copy of the request. */
	if (setsockopt(nl_socket_get_fd(ctl->sk), SOL_NETLINK, NETLINK_EXT_ACK,
		       &one, sizeof(one)) ||
	    setsockopt(nl_socket_get_fd(ctl->sk), SOL_NETLINK, NETLINK_CAP_ACK,
		       &one, sizeof(one))) {
		ret = -errno;
		goto err_sock;
	}
	/* Size every read by the datagram waiting, however large. */
	nl_socket_enable_msg_peek(ctl->sk);
	ctl->family = genl_ctrl_resolve(ctl->sk, P2PBUF_NL_FAMILY_NAME);
	if (ctl->family < 0) {
		ret = p2pbuf_nlerr_to_errno(ctl->family);
		goto err_sock;
	}
	/* Requests ask for their acks themselves (doit) or get NLMSG_DONE. */
	nl_socket_disable_auto_ack(ctl->sk);
	*ctlp = ctl;
	return 0;

err_sock:
	nl_socket_free(ctl->sk);
err_free:
	free(ctl);
	return ret;
}

P2PBUF_EXPORT void p2pbuf_ctl_free(struct p2pbuf_ctl *ctl)
{
	if (!ctl)
		return;
	nl_socket_free(ctl->sk);
	free(ctl);
}

P2PBUF_EXPORT const char *p2pbuf_ctl_last_error(const struct p2pbuf_ctl *ctl)
{
	if (!ctl || !ctl->has_error_msg)
		return NULL;
	return ctl->error_msg;
}

static int get_u32(struct nlattr **tb, int type, uint32_t *out)
{
	if (!tb[type] || nla_len(tb[type]) != sizeof(uint32_t))
		return -EPROTO;
	*out = nla_get_u32(tb[type]);
	return 0;
}

static int get_u64(struct nlattr **tb, int type, uint64_t *out)
{
	if (!tb[type] || nla_len(tb[type]) != sizeof(uint64_t))
		return -EPROTO;
	*out = nla_get_u64(tb[type]);
	return 0;
}

/*
 * A NUL-terminated string attribute of at most size bytes (NUL included),
 * with no NUL inside, into out; min_len: the fewest bytes it may have.
 */
static int get_string(struct nlattr **tb, int type, char *out, size_t size,
		      int min_len)
{
	const char *data;
	int len;

	if (!tb[type])
		return -EPROTO;
	data = nla_data(tb[type]);
	len = nla_len(tb[type]);
	if (len < min_len || len > (int)size ||
	    memchr(data, '\0', len) != data + len - 1)
		return -EPROTO;
	memcpy(out, data, len);
	return 0;
}

/* The attributes of a p2pbuf message; -EPROTO if it has none or is bad. */
static int parse_attrs(struct nlmsghdr *nlh, struct nlattr **tb)
{
	/* Attributes newer than this library are above the max and ignored. */
	if (!genlmsg_valid_hdr(nlh, 0) ||
	    genlmsg_parse(nlh, 0, tb, P2PBUF_NL_A_MAX, NULL) < 0)
		return -EPROTO;
	return 0;
}

int p2pbuf_nl_parse_provider(struct nlmsghdr *nlh,
			     struct p2pbuf_provider_info *info)
{
	struct nlattr *tb[P2PBUF_NL_A_MAX + 1];
	uint32_t numa_node;

	memset(info, 0, sizeof(*info));
	if (parse_attrs(nlh, tb))
		return -EPROTO;
	if (get_u32(tb, P2PBUF_NL_A_PROVIDER_ID, &info->id) ||
	    get_u32(tb, P2PBUF_NL_A_PROVIDER_KIND, &info->kind) ||
	    get_u64(tb, P2PBUF_NL_A_PROVIDER_SIZE, &info->size) ||
	    get_u64(tb, P2PBUF_NL_A_PROVIDER_FREE, &info->free_bytes) ||
	    get_u32(tb, P2PBUF_NL_A_PROVIDER_BUFFERS, &info->buffers) ||
	    get_u32(tb, P2PBUF_NL_A_PROVIDER_FLAGS, &info->flags) ||
	    get_u32(tb, P2PBUF_NL_A_PROVIDER_NUMA_NODE, &numa_node))
		return -EPROTO;
	info->numa_node = (int32_t)numa_node;
	if (info->kind != P2PBUF_NL_PROVIDER_KIND_PCIBAR &&
	    info->kind != P2PBUF_NL_PROVIDER_KIND_P2PDMA)
		return 0;
	/* A non-empty NUL-terminated string that fits. */
	if (get_u32(tb, P2PBUF_NL_A_PROVIDER_BAR, &info->bar) ||
	    get_u64(tb, P2PBUF_NL_A_PROVIDER_OFFSET, &info->offset) ||
	    get_string(tb, P2PBUF_NL_A_PROVIDER_PCI_ADDR, info->pci_addr,
		       sizeof(info->pci_addr), 2))
		return -EPROTO;
	return 0;
}

/* The creator of a listed object: pid, uid and command name. */
static int get_owner(struct nlattr **tb, uint32_t *pid, uint32_t *uid,
		     char comm[P2PBUF_COMM_STRLEN])
{
	if (get_u32(tb, P2PBUF_NL_A_OWNER_PID, pid) ||
	    get_u32(tb, P2PBUF_NL_A_OWNER_UID, uid) ||
	    get_string(tb, P2PBUF_NL_A_OWNER_COMM, comm, P2PBUF_COMM_STRLEN, 1))
		return -EPROTO;
	return 0;
}

/* P2PBUF_NL_A_REASON, which only revoked objects (and events) carry. */
static int get_reason(struct nlattr **tb, uint32_t *reason)
{
	*reason = 0;
	return tb[P2PBUF_NL_A_REASON] ?
		       get_u32(tb, P2PBUF_NL_A_REASON, reason) :
		       0;
}

int p2pbuf_nl_parse_buffer(struct nlmsghdr *nlh, struct p2pbuf_buffer_entry *e,
			   bool listing)
{
	struct nlattr *tb[P2PBUF_NL_A_MAX + 1];

	memset(e, 0, sizeof(*e));
	if (parse_attrs(nlh, tb) ||
	    get_u32(tb, P2PBUF_NL_A_BUFFER_ID, &e->id) ||
	    get_u32(tb, P2PBUF_NL_A_PROVIDER_ID, &e->provider_id) ||
	    get_u64(tb, P2PBUF_NL_A_BUFFER_SIZE, &e->size) ||
	    get_u64(tb, P2PBUF_NL_A_BUFFER_MAPPED, &e->mapped) ||
	    get_u32(tb, P2PBUF_NL_A_BUFFER_SGLS, &e->sgls) ||
	    get_u32(tb, P2PBUF_NL_A_BUFFER_STATE, &e->state) ||
	    (tb[P2PBUF_NL_A_BUFFER_CACHE_MODE] &&
	     get_u32(tb, P2PBUF_NL_A_BUFFER_CACHE_MODE, &e->cache_mode)) ||
	    get_reason(tb, &e->reason) ||
	    (listing &&
	     get_owner(tb, &e->owner_pid, &e->owner_uid, e->owner_comm)))
		return -EPROTO;
	return 0;
}

/* A P2PBUF_NL_A_SGL_DMABUF nest. */
static int parse_sgl_dmabuf(struct nlattr *nest, struct p2pbuf_sgl_dmabuf *d)
{
	struct nlattr *tb[P2PBUF_NL_DMABUF_A_MAX + 1];
	const char *name;
	int len;

	if (nla_parse_nested(tb, P2PBUF_NL_DMABUF_A_MAX, nest, NULL) ||
	    get_u64(tb, P2PBUF_NL_DMABUF_A_INODE, &d->inode) ||
	    get_u64(tb, P2PBUF_NL_DMABUF_A_OFFSET, &d->offset) ||
	    get_u64(tb, P2PBUF_NL_DMABUF_A_LENGTH, &d->length) ||
	    !tb[P2PBUF_NL_DMABUF_A_EXPORTER])
		return -EPROTO;
	/* Any exporter's name: cut to the room there is. */
	name = nla_data(tb[P2PBUF_NL_DMABUF_A_EXPORTER]);
	len = nla_len(tb[P2PBUF_NL_DMABUF_A_EXPORTER]);
	if (len < 1 || name[len - 1])
		return -EPROTO;
	snprintf(d->exporter, sizeof(d->exporter), "%s", name);
	return 0;
}

int p2pbuf_nl_parse_sgl(struct nlmsghdr *nlh, struct p2pbuf_sgl_entry *e,
			bool listing)
{
	struct nlattr *tb[P2PBUF_NL_A_MAX + 1], *a;
	struct genlmsghdr *ghdr;
	int rem;

	memset(e, 0, sizeof(*e));
	if (parse_attrs(nlh, tb) || get_u32(tb, P2PBUF_NL_A_SGL_ID, &e->id) ||
	    get_string(tb, P2PBUF_NL_A_SGL_TARGET, e->target, sizeof(e->target),
		       2) ||
	    get_u64(tb, P2PBUF_NL_A_SGL_LENGTH, &e->length) ||
	    get_u32(tb, P2PBUF_NL_A_SGL_SEGMENTS, &e->nr_segments) ||
	    get_u32(tb, P2PBUF_NL_A_SGL_MAP_TYPE, &e->map_type) ||
	    get_u32(tb, P2PBUF_NL_A_SGL_STATE, &e->state) ||
	    get_u32(tb, P2PBUF_NL_A_SGL_DIRECTION, &e->direction) ||
	    get_u32(tb, P2PBUF_NL_A_SGL_GENERATION, &e->generation) ||
	    get_reason(tb, &e->reason) ||
	    (listing &&
	     get_owner(tb, &e->owner_pid, &e->owner_uid, e->owner_comm)))
		return -EPROTO;
	/* The buffers it covers: BUFFER_ID repeated, in the kernel's order. */
	ghdr = genlmsg_hdr(nlh);
	nla_for_each_attr(a, genlmsg_attrdata(ghdr, 0),
			  genlmsg_attrlen(ghdr, 0), rem) {
		if (nla_type(a) != P2PBUF_NL_A_BUFFER_ID)
			continue;
		if (nla_len(a) != sizeof(uint32_t) ||
		    e->nr_buffers == UINT32_MAX)
			return -EPROTO;
		if (e->nr_buffers < P2PBUF_SGL_ENTRY_BUFFERS)
			e->buffer_ids[e->nr_buffers] = nla_get_u32(a);
		e->nr_buffers++;
	}
	/* The pieces of dma-bufs: SGL_DMABUF nests, in the range's order. */
	nla_for_each_attr(a, genlmsg_attrdata(ghdr, 0),
			  genlmsg_attrlen(ghdr, 0), rem) {
		if (nla_type(a) != P2PBUF_NL_A_SGL_DMABUF)
			continue;
		if (e->nr_dmabufs == UINT32_MAX)
			return -EPROTO;
		if (e->nr_dmabufs < P2PBUF_SGL_ENTRY_DMABUFS &&
		    parse_sgl_dmabuf(a, &e->dmabufs[e->nr_dmabufs]))
			return -EPROTO;
		e->nr_dmabufs++;
	}
	return 0;
}

int p2pbuf_nl_parse_export(struct nlmsghdr *nlh, struct p2pbuf_export_entry *e,
			   bool listing)
{
	struct nlattr *tb[P2PBUF_NL_A_MAX + 1];

	memset(e, 0, sizeof(*e));
	if (parse_attrs(nlh, tb) ||
	    get_u32(tb, P2PBUF_NL_A_EXPORT_ID, &e->id) ||
	    get_u32(tb, P2PBUF_NL_A_BUFFER_ID, &e->buffer_id) ||
	    get_u32(tb, P2PBUF_NL_A_PROVIDER_ID, &e->provider_id) ||
	    get_u32(tb, P2PBUF_NL_A_EXPORT_STATE, &e->state) ||
	    get_u32(tb, P2PBUF_NL_A_EXPORT_ATTACHMENTS, &e->attachments) ||
	    get_u64(tb, P2PBUF_NL_A_EXPORT_OFFSET, &e->offset) ||
	    get_u64(tb, P2PBUF_NL_A_EXPORT_LENGTH, &e->length) ||
	    get_u64(tb, P2PBUF_NL_A_EXPORT_INODE, &e->inode) ||
	    get_reason(tb, &e->reason) ||
	    (listing &&
	     get_owner(tb, &e->owner_pid, &e->owner_uid, e->owner_comm)))
		return -EPROTO;
	return 0;
}

static void event_from_provider(struct p2pbuf_event *ev,
				const struct p2pbuf_provider_info *p,
				uint32_t sgls)
{
	ev->provider_id = p->id;
	ev->size = p->size;
	ev->sgls = sgls;
	memcpy(ev->device, p->pci_addr, sizeof(p->pci_addr));
}

static void event_from_buffer(struct p2pbuf_event *ev,
			      const struct p2pbuf_buffer_entry *b)
{
	ev->reason = b->reason;
	ev->provider_id = b->provider_id;
	ev->buffer_id = b->id;
	ev->state = b->state;
	ev->size = b->size;
	ev->mapped = b->mapped;
	ev->sgls = b->sgls;
}

static void event_from_sgl(struct p2pbuf_event *ev,
			   const struct p2pbuf_sgl_entry *s)
{
	ev->reason = s->reason;
	ev->sgl_id = s->id;
	ev->state = s->state;
	ev->size = s->length;
	ev->nr_segments = s->nr_segments;
	ev->map_type = s->map_type;
	ev->direction = s->direction;
	ev->generation = s->generation;
	ev->nr_buffers = s->nr_buffers;
	memcpy(ev->buffer_ids, s->buffer_ids, sizeof(s->buffer_ids));
	memcpy(ev->device, s->target, sizeof(s->target));
}

int p2pbuf_nl_parse_event(struct nlmsghdr *nlh, struct p2pbuf_event *ev)
{
	struct nlattr *tb[P2PBUF_NL_A_MAX + 1];
	struct p2pbuf_provider_info prov;
	struct p2pbuf_buffer_entry buf;
	struct p2pbuf_export_entry exp;
	struct p2pbuf_sgl_entry sgl;
	uint32_t sgls = 0;

	memset(ev, 0, sizeof(*ev));
	if (parse_attrs(nlh, tb))
		return -EPROTO;
	switch (genlmsg_hdr(nlh)->cmd) {
	case P2PBUF_NL_CMD_PROVIDER_ADD_NTF:
	case P2PBUF_NL_CMD_PROVIDER_DEL_NTF:
		/* SGLS: from uAPI 1.3 on. */
		if (p2pbuf_nl_parse_provider(nlh, &prov) ||
		    (tb[P2PBUF_NL_A_PROVIDER_SGLS] &&
		     get_u32(tb, P2PBUF_NL_A_PROVIDER_SGLS, &sgls)))
			return -EPROTO;
		event_from_provider(ev, &prov, sgls);
		ev->type = genlmsg_hdr(nlh)->cmd ==
					   P2PBUF_NL_CMD_PROVIDER_ADD_NTF ?
				   P2PBUF_EVENT_PROVIDER_ADD :
				   P2PBUF_EVENT_PROVIDER_DEL;
		return 0;
	case P2PBUF_NL_CMD_BUFFER_NEW_NTF:
	case P2PBUF_NL_CMD_BUFFER_DEL_NTF:
	case P2PBUF_NL_CMD_BUFFER_REVOKE_NTF:
		if (p2pbuf_nl_parse_buffer(nlh, &buf, false))
			return -EPROTO;
		event_from_buffer(ev, &buf);
		ev->type =
			P2PBUF_EVENT_BUFFER_NEW +
			(genlmsg_hdr(nlh)->cmd - P2PBUF_NL_CMD_BUFFER_NEW_NTF);
		break;
	case P2PBUF_NL_CMD_SGL_NEW_NTF:
	case P2PBUF_NL_CMD_SGL_DEL_NTF:
	case P2PBUF_NL_CMD_SGL_REVOKE_NTF:
		if (p2pbuf_nl_parse_sgl(nlh, &sgl, false))
			return -EPROTO;
		event_from_sgl(ev, &sgl);
		ev->type = P2PBUF_EVENT_SGL_NEW +
			   (genlmsg_hdr(nlh)->cmd - P2PBUF_NL_CMD_SGL_NEW_NTF);
		break;
	case P2PBUF_NL_CMD_EXPORT_NEW_NTF:
	case P2PBUF_NL_CMD_EXPORT_REVOKE_NTF:
	case P2PBUF_NL_CMD_EXPORT_DEL_NTF:
		if (p2pbuf_nl_parse_export(nlh, &exp, false))
			return -EPROTO;
		ev->reason = exp.reason;
		ev->export_id = exp.id;
		ev->buffer_id = exp.buffer_id;
		ev->provider_id = exp.provider_id;
		ev->state = exp.state;
		ev->size = exp.length;
		ev->attachments = exp.attachments;
		ev->type =
			P2PBUF_EVENT_EXPORT_NEW +
			(genlmsg_hdr(nlh)->cmd - P2PBUF_NL_CMD_EXPORT_NEW_NTF);
		break;
	case P2PBUF_NL_CMD_DEVICE_GONE_NTF:
		if (get_string(tb, P2PBUF_NL_A_DEVICE, ev->device,
			       sizeof(ev->device), 2) ||
		    get_u32(tb, P2PBUF_NL_A_REASON, &ev->reason))
			return -EPROTO;
		ev->type = P2PBUF_EVENT_DEVICE_GONE;
		return 0;
	default:
		memset(ev, 0, sizeof(*ev));
		return -ENOMSG;
	}
	/* A revocation event says why. */
	if ((ev->type == P2PBUF_EVENT_BUFFER_REVOKE ||
	     ev->type == P2PBUF_EVENT_SGL_REVOKE ||
	     ev->type == P2PBUF_EVENT_EXPORT_REVOKE) &&
	    !ev->reason)
		return -EPROTO;
	return 0;
}

/* Copy src to a caller's dst_size-byte structure, zeroing what is unknown. */
static void copy_sized(void *dst, size_t dst_size, const void *src,
		       size_t src_size)
{
	size_t known = src_size < dst_size ? src_size : dst_size;

	memcpy(dst, src, known);
	memset((char *)dst + known, 0, dst_size - known);
}

void p2pbuf_copy_provider_info(struct p2pbuf_provider_info *dst,
			       size_t dst_size,
			       const struct p2pbuf_provider_info *src)
{
	copy_sized(dst, dst_size, src, sizeof(*src));
}

/*
 * The message of the extended ack that follows the first payload_len
 * bytes of nlh's payload, into msg ("" if there is none).
 */
static void parse_ext_ack(struct nlmsghdr *nlh, size_t payload_len, char *msg,
			  size_t msg_len)
{
	struct nlattr *tb[NLMSGERR_ATTR_MAX + 1];
	size_t datalen = nlmsg_datalen(nlh);
	size_t off = NLMSG_ALIGN(payload_len);

	msg[0] = '\0';
	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS) || off >= datalen)
		return;
	if (nla_parse(tb, NLMSGERR_ATTR_MAX,
		      (struct nlattr *)((char *)nlmsg_data(nlh) + off),
		      datalen - off, NULL) < 0 ||
	    !tb[NLMSGERR_ATTR_MSG])
		return;
	/* nla_strlcpy() stops at the NUL or at the attribute's end. */
	nla_strlcpy(msg, tb[NLMSGERR_ATTR_MSG], msg_len);
}

int p2pbuf_nl_parse_status(struct nlmsghdr *nlh, char *msg, size_t msg_len)
{
	size_t datalen = nlmsg_datalen(nlh);
	struct nlmsgerr e;
	size_t payload;
	int status;

	msg[0] = '\0';
	if (nlh->nlmsg_type == NLMSG_DONE) {
		/* The dump's status, an errno if it failed (4.x+: always). */
		if (datalen < sizeof(status))
			return 0;
		memcpy(&status, nlmsg_data(nlh), sizeof(status));
		if (status > 0)
			return -EPROTO;
		parse_ext_ack(nlh, sizeof(status), msg, msg_len);
		return status;
	}
	if (nlh->nlmsg_type != NLMSG_ERROR || datalen < sizeof(e))
		return -EPROTO;
	memcpy(&e, nlmsg_data(nlh), sizeof(e));
	if (e.error > 0)
		return -EPROTO;
	/* Without NETLINK_CAP_ACK the request follows, whole. */
	payload = sizeof(e);
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED)) {
		if (e.msg.nlmsg_len < sizeof(e.msg) ||
		    e.msg.nlmsg_len - sizeof(e.msg) > datalen - payload)
			return -EPROTO;
		payload += e.msg.nlmsg_len - sizeof(e.msg);
	}
	parse_ext_ack(nlh, payload, msg, msg_len);
	return e.error;
}

static void keep_status_msg(struct request *rq)
{
	rq->ctl->has_error_msg = rq->ctl->error_msg[0] != '\0';
}

static int on_seq_check(struct nl_msg *msg, void *arg)
{
	struct request *rq = arg;

	/* Left over from an earlier request that was abandoned: skip. */
	return nlmsg_hdr(msg)->nlmsg_seq == rq->seq ? NL_OK : NL_SKIP;
}

static int on_error(struct sockaddr_nl *nla, struct nlmsgerr *e, void *arg)
{
	struct request *rq = arg;
	/* libnl passes nlmsg_data() of the NLMSG_ERROR message. */
	struct nlmsghdr *nlh = (struct nlmsghdr *)((char *)e - NLMSG_HDRLEN);

	if (nlh->nlmsg_seq != rq->seq)
		return NL_SKIP;
	/* libnl calls this for e->error != 0 only; 0 would be an ack. */
	rq->err = p2pbuf_nl_parse_status(nlh, rq->ctl->error_msg,
					 sizeof(rq->ctl->error_msg));
	if (!rq->err)
		rq->err = -EPROTO;
	keep_status_msg(rq);
	rq->done = true;
	return NL_STOP;
}

static int on_ack(struct nl_msg *msg, void *arg)
{
	struct request *rq = arg;

	rq->done = true;
	return NL_STOP;
}

static int on_finish(struct nl_msg *msg, void *arg)
{
	struct request *rq = arg;
	int status;

	status = p2pbuf_nl_parse_status(nlmsg_hdr(msg), rq->ctl->error_msg,
					sizeof(rq->ctl->error_msg));
	if (status) {
		rq->err = status;
		keep_status_msg(rq);
	}
	rq->done = true;
	return NL_STOP;
}

static int on_valid(struct nl_msg *msg, void *arg)
{
	struct request *rq = arg;
	struct nlmsghdr *nlh = nlmsg_hdr(msg);
	union {
		struct p2pbuf_provider_info provider;
		struct p2pbuf_buffer_entry buffer;
		struct p2pbuf_sgl_entry sgl;
	} elem;
	int ret;

	/* Keep reading to the ack after a bad reply: the socket stays usable. */
	if (rq->err)
		return NL_OK;
	if (!rq->parse || nlh->nlmsg_type != rq->ctl->family ||
	    !genlmsg_valid_hdr(nlh, 0) || genlmsg_hdr(nlh)->cmd != rq->cmd) {
		rq->err = -EPROTO;
		return NL_OK;
	}
	ret = rq->parse(nlh, &elem);
	if (ret) {
		rq->err = ret;
		return NL_OK;
	}
	if (rq->n == rq->cap) {
		size_t cap = rq->cap ? 2 * rq->cap : 8;
		char *p = reallocarray(rq->elems, cap, rq->stride);

		if (!p) {
			rq->err = -ENOMEM;
			return NL_OK;
		}
		rq->elems = p;
		rq->cap = cap;
	}
	copy_sized(rq->elems + rq->n * rq->stride, rq->stride, &elem,
		   rq->known);
	rq->n++;
	return NL_OK;
}

/*
 * Send msg (consumed) as the request rq and collect its answer.  Returns 0
 * or a negative errno: the kernel's, or one for a failure on this side.
 */
static int transact(struct request *rq, struct nl_msg *msg)
{
	struct nl_cb *cb;
	int ret;

	cb = nl_cb_alloc(NL_CB_DEFAULT);
	if (!cb) {
		nlmsg_free(msg);
		return -ENOMEM;
	}
	nl_cb_set(cb, NL_CB_SEQ_CHECK, NL_CB_CUSTOM, on_seq_check, rq);
	nl_cb_set(cb, NL_CB_VALID, NL_CB_CUSTOM, on_valid, rq);
	nl_cb_set(cb, NL_CB_ACK, NL_CB_CUSTOM, on_ack, rq);
	nl_cb_set(cb, NL_CB_FINISH, NL_CB_CUSTOM, on_finish, rq);
	nl_cb_err(cb, NL_CB_CUSTOM, on_error, rq);

	ret = nl_send_auto(rq->ctl->sk, msg);
	if (ret < 0) {
		ret = p2pbuf_nlerr_to_errno(ret);
		goto out;
	}
	rq->seq = nlmsg_hdr(msg)->nlmsg_seq;
	ret = 0;
	while (!rq->done) {
		int r = nl_recvmsgs(rq->ctl->sk, cb);

		/* on_error() returns NL_STOP, which libnl reports as an error. */
		if (r < 0 && !rq->done) {
			ret = p2pbuf_nlerr_to_errno(r);
			break;
		}
	}
	if (!ret)
		ret = rq->err;
out:
	nlmsg_free(msg);
	nl_cb_put(cb);
	return ret;
}

static int parse_provider(struct nlmsghdr *nlh, void *elem)
{
	return p2pbuf_nl_parse_provider(nlh, elem);
}

static int parse_buffer_listing(struct nlmsghdr *nlh, void *elem)
{
	return p2pbuf_nl_parse_buffer(nlh, elem, true);
}

static int parse_sgl_listing(struct nlmsghdr *nlh, void *elem)
{
	return p2pbuf_nl_parse_sgl(nlh, elem, true);
}

/*
 * Start request rq for cmd: replies are parsed by parse into known bytes
 * and kept stride bytes apart (parse NULL: none expected).
 */
static int new_request(struct p2pbuf_ctl *ctl, struct request *rq, uint8_t cmd,
		       int flags, parse_fn parse, size_t known, size_t stride,
		       struct nl_msg **msgp)
{
	struct nl_msg *msg;

	memset(rq, 0, sizeof(*rq));
	rq->ctl = ctl;
	rq->cmd = cmd;
	rq->parse = parse;
	rq->known = known;
	rq->stride = stride;
	clear_error(ctl);
	msg = nlmsg_alloc();
	if (!msg)
		return -ENOMEM;
	if (!genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, ctl->family, 0, flags,
			 cmd, P2PBUF_NL_FAMILY_VERSION)) {
		nlmsg_free(msg);
		return -ENOMEM;
	}
	*msgp = msg;
	return 0;
}

/* The one provider a doit request answers with, into info. */
static int one_provider(struct request *rq, struct nl_msg *msg,
			struct p2pbuf_provider_info *info, size_t info_size)
{
	int ret = transact(rq, msg);

	if (!ret && rq->n != 1)
		ret = -EPROTO;
	if (!ret && info)
		p2pbuf_copy_provider_info(
			info, info_size,
			(struct p2pbuf_provider_info *)rq->elems);
	free(rq->elems);
	return ret;
}

static int check_info_size(struct p2pbuf_ctl *ctl, size_t info_size)
{
	if (info_size >= PROVIDER_INFO_SIZE_2)
		return 0;
	set_error(ctl, "info_size is smaller than struct p2pbuf_provider_info");
	return -EINVAL;
}

/* PROVIDER_ADD of a pcibar (bar, offset, size) or p2pdma provider. */
static int provider_add(struct p2pbuf_ctl *ctl, uint32_t kind,
			const char *pci_addr, unsigned int bar, uint64_t offset,
			uint64_t size, unsigned int flags,
			struct p2pbuf_provider_info *info, size_t info_size)
{
	bool pcibar = kind == P2PBUF_NL_PROVIDER_KIND_PCIBAR;
	struct request rq;
	struct nl_msg *msg;
	int ret;

	if (!ctl)
		return -EINVAL;
	clear_error(ctl);
	if (!pci_addr) {
		set_error(ctl, "no PCI address");
		return -EINVAL;
	}
	/* Settable flags only: the kernel reports the others. */
	if (flags & ~(unsigned int)P2PBUF_NL_PROVIDER_F_HOST_BRIDGE_P2P) {
		set_error(ctl, "unknown flags");
		return -EINVAL;
	}
	if (info && check_info_size(ctl, info_size))
		return -EINVAL;
	ret = new_request(ctl, &rq, P2PBUF_NL_CMD_PROVIDER_ADD, NLM_F_ACK,
			  parse_provider, sizeof(struct p2pbuf_provider_info),
			  sizeof(struct p2pbuf_provider_info), &msg);
	if (ret)
		return ret;
	/* The kernel validates the address, the BAR and the range. */
	if (nla_put_u32(msg, P2PBUF_NL_A_PROVIDER_KIND, kind) ||
	    nla_put_string(msg, P2PBUF_NL_A_PROVIDER_PCI_ADDR, pci_addr) ||
	    (pcibar && nla_put_u32(msg, P2PBUF_NL_A_PROVIDER_BAR, bar)) ||
	    (pcibar && nla_put_u64(msg, P2PBUF_NL_A_PROVIDER_OFFSET, offset)) ||
	    (size && nla_put_u64(msg, P2PBUF_NL_A_PROVIDER_SIZE, size)) ||
	    /* Only when set: kernels before uAPI 1.2 refuse the attribute. */
	    (flags && nla_put_u32(msg, P2PBUF_NL_A_PROVIDER_FLAGS, flags))) {
		nlmsg_free(msg);
		/* Only an absurdly long address overflows the message. */
		set_error(ctl, "PCI address too long");
		return -EINVAL;
	}
	ret = one_provider(&rq, msg, info, info_size);
	/* Kernels before uAPI 1.7 refuse the kind by the attribute's range. */
	if (ret == -ERANGE && kind == P2PBUF_NL_PROVIDER_KIND_P2PDMA) {
		set_error(ctl, "the kernel has no p2pdma providers (uAPI 1.7)");
		ret = -EOPNOTSUPP;
	}
	return ret;
}

P2PBUF_EXPORT int p2pbuf_provider_add(struct p2pbuf_ctl *ctl,
				      const char *pci_addr, unsigned int bar,
				      uint64_t offset, uint64_t size,
				      unsigned int flags,
				      struct p2pbuf_provider_info *info,
				      size_t info_size)
{
	return provider_add(ctl, P2PBUF_NL_PROVIDER_KIND_PCIBAR, pci_addr, bar,
			    offset, size, flags, info, info_size);
}

P2PBUF_EXPORT int p2pbuf_provider_add_p2pdma(struct p2pbuf_ctl *ctl,
					     const char *pci_addr,
					     unsigned int flags,
					     struct p2pbuf_provider_info *info,
					     size_t info_size)
{
	return provider_add(ctl, P2PBUF_NL_PROVIDER_KIND_P2PDMA, pci_addr, 0, 0,
			    0, flags, info, info_size);
}

/* Send a request whose only answer is the ack: 0 or its errno. */
static int ack_only(struct request *rq, struct nl_msg *msg)
{
	int ret = transact(rq, msg);

	/* on_valid() refused any reply (rq->parse is NULL). */
	free(rq->elems);
	return ret;
}

P2PBUF_EXPORT int p2pbuf_provider_del(struct p2pbuf_ctl *ctl, uint32_t id,
				      unsigned int flags)
{
	struct request rq;
	struct nl_msg *msg;
	int ret;

	if (!ctl)
		return -EINVAL;
	clear_error(ctl);
	if (flags & ~P2PBUF_PROVIDER_DEL_FORCE) {
		set_error(ctl, "unknown flags");
		return -EINVAL;
	}
	ret = new_request(ctl, &rq, P2PBUF_NL_CMD_PROVIDER_DEL, NLM_F_ACK, NULL,
			  0, 0, &msg);
	if (ret)
		return ret;
	/* FORCE only when asked: kernels before uAPI 1.3 refuse it. */
	if (nla_put_u32(msg, P2PBUF_NL_A_PROVIDER_ID, id) ||
	    ((flags & P2PBUF_PROVIDER_DEL_FORCE) &&
	     nla_put_flag(msg, P2PBUF_NL_A_FORCE))) {
		nlmsg_free(msg);
		return -ENOMEM;
	}
	return ack_only(&rq, msg);
}

P2PBUF_EXPORT int p2pbuf_provider_get(struct p2pbuf_ctl *ctl, uint32_t id,
				      struct p2pbuf_provider_info *info,
				      size_t info_size)
{
	struct request rq;
	struct nl_msg *msg;
	int ret;

	if (!ctl)
		return -EINVAL;
	clear_error(ctl);
	if (!info) {
		set_error(ctl, "no info to fill");
		return -EINVAL;
	}
	if (check_info_size(ctl, info_size))
		return -EINVAL;
	ret = new_request(ctl, &rq, P2PBUF_NL_CMD_PROVIDER_GET, NLM_F_ACK,
			  parse_provider, sizeof(struct p2pbuf_provider_info),
			  sizeof(struct p2pbuf_provider_info), &msg);
	if (ret)
		return ret;
	if (nla_put_u32(msg, P2PBUF_NL_A_PROVIDER_ID, id)) {
		nlmsg_free(msg);
		return -ENOMEM;
	}
	return one_provider(&rq, msg, info, info_size);
}

P2PBUF_EXPORT int p2pbuf_provider_list(struct p2pbuf_ctl *ctl,
				       struct p2pbuf_provider_info **listp,
				       size_t info_size)
{
	struct request rq;
	struct nl_msg *msg;
	int ret;

	if (!ctl)
		return -EINVAL;
	clear_error(ctl);
	if (!listp) {
		set_error(ctl, "no list pointer");
		return -EINVAL;
	}
	if (check_info_size(ctl, info_size))
		return -EINVAL;
	ret = new_request(ctl, &rq, P2PBUF_NL_CMD_PROVIDER_GET, NLM_F_DUMP,
			  parse_provider, sizeof(struct p2pbuf_provider_info),
			  info_size, &msg);
	if (ret)
		return ret;
	ret = transact(&rq, msg);
	/* sysmem is always there: an empty dump is not an answer. */
	if (!ret && !rq.n)
		ret = -EPROTO;
	if (!ret && rq.n > INT_MAX)
		ret = -EOVERFLOW;
	if (ret) {
		free(rq.elems);
		return ret;
	}
	*listp = (struct p2pbuf_provider_info *)rq.elems;
	return (int)rq.n;
}

/*
 * Dump cmd into *listp (NULL if empty): parse into known bytes, stride
 * entry_size (at least min_size).  The number of elements or an errno.
 */
static int dump_list(struct p2pbuf_ctl *ctl, uint8_t cmd, parse_fn parse,
		     size_t known, size_t min_size, void **listp,
		     size_t entry_size)
{
	struct request rq;
	struct nl_msg *msg;
	int ret;

	if (!ctl)
		return -EINVAL;
	clear_error(ctl);
	if (!listp) {
		set_error(ctl, "no list pointer");
		return -EINVAL;
	}
	if (entry_size < min_size) {
		set_error(ctl, "entry_size is smaller than the first layout");
		return -EINVAL;
	}
	ret = new_request(ctl, &rq, cmd, NLM_F_DUMP, parse, known, entry_size,
			  &msg);
	if (ret)
		return ret;
	ret = transact(&rq, msg);
	if (!ret && rq.n > INT_MAX)
		ret = -EOVERFLOW;
	if (ret) {
		free(rq.elems);
		return ret;
	}
	*listp = rq.elems;
	return (int)rq.n;
}

P2PBUF_EXPORT int p2pbuf_buffer_list(struct p2pbuf_ctl *ctl,
				     struct p2pbuf_buffer_entry **listp,
				     size_t entry_size)
{
	return dump_list(ctl, P2PBUF_NL_CMD_BUFFER_GET, parse_buffer_listing,
			 sizeof(struct p2pbuf_buffer_entry),
			 BUFFER_ENTRY_SIZE_5, (void **)listp, entry_size);
}

P2PBUF_EXPORT int p2pbuf_sgl_list(struct p2pbuf_ctl *ctl,
				  struct p2pbuf_sgl_entry **listp,
				  size_t entry_size)
{
	return dump_list(ctl, P2PBUF_NL_CMD_SGL_GET, parse_sgl_listing,
			 sizeof(struct p2pbuf_sgl_entry), SGL_ENTRY_SIZE_5,
			 (void **)listp, entry_size);
}

static int parse_export_listing(struct nlmsghdr *nlh, void *elem)
{
	return p2pbuf_nl_parse_export(nlh, elem, true);
}

P2PBUF_EXPORT int p2pbuf_export_list(struct p2pbuf_ctl *ctl,
				     struct p2pbuf_export_entry **listp,
				     size_t entry_size)
{
	return dump_list(ctl, P2PBUF_NL_CMD_EXPORT_GET, parse_export_listing,
			 sizeof(struct p2pbuf_export_entry),
			 EXPORT_ENTRY_SIZE_7, (void **)listp, entry_size);
}

P2PBUF_EXPORT int p2pbuf_buffer_revoke(struct p2pbuf_ctl *ctl, uint32_t id)
{
	struct request rq;
	struct nl_msg *msg;
	int ret;

	if (!ctl)
		return -EINVAL;
	ret = new_request(ctl, &rq, P2PBUF_NL_CMD_BUFFER_REVOKE, NLM_F_ACK,
			  NULL, 0, 0, &msg);
	if (ret)
		return ret;
	if (nla_put_u32(msg, P2PBUF_NL_A_BUFFER_ID, id)) {
		nlmsg_free(msg);
		return -ENOMEM;
	}
	return ack_only(&rq, msg);
}

P2PBUF_EXPORT const char *p2pbuf_revoke_reason_name(uint32_t reason)
{
	switch (reason) {
	case P2PBUF_NL_REVOKE_ADMIN:
		return "admin";
	case P2PBUF_NL_REVOKE_PROVIDER_REMOVED:
		return "provider-removed";
	case P2PBUF_NL_REVOKE_DEVICE_REMOVED:
		return "device-removed";
	case P2PBUF_NL_REVOKE_DRIVER_UNBOUND:
		return "driver-unbound";
	case P2PBUF_NL_REVOKE_TARGET_REMOVED:
		return "target-removed";
	case P2PBUF_NL_REVOKE_TARGET_UNBOUND:
		return "target-unbound";
	case P2PBUF_NL_REVOKE_TARGET_USER_DRIVER:
		return "target-user-driver";
	case P2PBUF_NL_REVOKE_EXPORTER:
		return "exporter";
	default:
		return NULL;
	}
}
