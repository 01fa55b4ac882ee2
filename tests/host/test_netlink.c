// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Host tests of libp2pbuf's control plane (libp2pbuf/netlink.c,
 * monitor.c) without a kernel: provider, buffer, dma-sgl and event
 * messages, acks, errors and NLMSG_DONE are built here as real netlink
 * messages with libnl, the way the kernel lays them out (as its source
 * says: what the kernel really sends is tested in the VM), and handed to
 * the library's parsers; libnl error codes are translated.
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <linux/netlink.h>
#include <linux/p2pbuf.h>
#include <netlink/genl/genl.h>
#include <netlink/msg.h>

#include "libp2pbuf-private.h"
#include "libp2pbuf.h"
#include "util.h"

#define FAMILY 0x1d /* any genl family id */
#define GIB (1024ULL * 1024 * 1024)

static struct nl_msg *provider_msg(void)
{
	struct nl_msg *msg = nlmsg_alloc();

	ck_assert_ptr_nonnull(msg);
	ck_assert_ptr_nonnull(genlmsg_put(msg, 1234, 7, FAMILY, 0, NLM_F_MULTI,
					  P2PBUF_NL_CMD_PROVIDER_GET,
					  P2PBUF_NL_FAMILY_VERSION));
	return msg;
}

/* The attributes of a pcibar provider, in the kernel's order; skip one. */
static struct nl_msg *pcibar_msg(int skip)
{
	struct nl_msg *msg = provider_msg();

#define PUT(type, fn, val)                                       \
	do {                                                     \
		if ((type) != skip)                              \
			ck_assert_int_eq(fn(msg, type, val), 0); \
	} while (0)
	PUT(P2PBUF_NL_A_PROVIDER_ID, nla_put_u32, 17);
	PUT(P2PBUF_NL_A_PROVIDER_KIND, nla_put_u32,
	    P2PBUF_NL_PROVIDER_KIND_PCIBAR);
	PUT(P2PBUF_NL_A_PROVIDER_SIZE, nla_put_u64, 64ULL << 20);
	PUT(P2PBUF_NL_A_PROVIDER_FREE, nla_put_u64, 60ULL << 20);
	PUT(P2PBUF_NL_A_PROVIDER_BUFFERS, nla_put_u32, 3);
	PUT(P2PBUF_NL_A_PROVIDER_FLAGS, nla_put_u32,
	    P2PBUF_NL_PROVIDER_F_PREFETCHABLE);
	PUT(P2PBUF_NL_A_PROVIDER_NUMA_NODE, nla_put_u32, (uint32_t)-1);
	PUT(P2PBUF_NL_A_PROVIDER_PCI_ADDR, nla_put_string, "0000:00:04.0");
	PUT(P2PBUF_NL_A_PROVIDER_BAR, nla_put_u32, 2);
	PUT(P2PBUF_NL_A_PROVIDER_OFFSET, nla_put_u64, 5 * GIB);
#undef PUT
	return msg;
}

static int parse(struct nl_msg *msg, struct p2pbuf_provider_info *info)
{
	int ret = p2pbuf_nl_parse_provider(nlmsg_hdr(msg), info);

	nlmsg_free(msg);
	return ret;
}

START_TEST(test_parse_pcibar)
{
	struct p2pbuf_provider_info info;

	memset(&info, 0xa5, sizeof(info));
	ck_assert_int_eq(parse(pcibar_msg(-1), &info), 0);
	ck_assert_uint_eq(info.id, 17);
	ck_assert_uint_eq(info.kind, P2PBUF_NL_PROVIDER_KIND_PCIBAR);
	ck_assert_uint_eq(info.size, 64ULL << 20);
	ck_assert_uint_eq(info.free_bytes, 60ULL << 20);
	ck_assert_uint_eq(info.buffers, 3);
	ck_assert_uint_eq(info.flags, P2PBUF_NL_PROVIDER_F_PREFETCHABLE);
	ck_assert_int_eq(info.numa_node, -1);
	ck_assert_str_eq(info.pci_addr, "0000:00:04.0");
	ck_assert_uint_eq(info.bar, 2);
	/* Above 4 GiB: all 64 bits. */
	ck_assert_uint_eq(info.offset, 5 * GIB);
}
END_TEST

START_TEST(test_parse_sysmem)
{
	struct p2pbuf_provider_info info;
	struct nl_msg *msg = provider_msg();

	ck_assert_int_eq(nla_put_u32(msg, P2PBUF_NL_A_PROVIDER_ID, 0), 0);
	ck_assert_int_eq(nla_put_u32(msg, P2PBUF_NL_A_PROVIDER_KIND,
				     P2PBUF_NL_PROVIDER_KIND_SYSMEM),
			 0);
	/* 64-bit values are padded with P2PBUF_NL_A_PAD by the kernel. */
	ck_assert_int_eq(nla_put(msg, P2PBUF_NL_A_PAD, 0, NULL), 0);
	ck_assert_int_eq(nla_put_u64(msg, P2PBUF_NL_A_PROVIDER_SIZE, 8 * GIB),
			 0);
	ck_assert_int_eq(nla_put_u64(msg, P2PBUF_NL_A_PROVIDER_FREE, GIB), 0);
	ck_assert_int_eq(nla_put_u32(msg, P2PBUF_NL_A_PROVIDER_BUFFERS, 0), 0);
	ck_assert_int_eq(nla_put_u32(msg, P2PBUF_NL_A_PROVIDER_FLAGS, 0), 0);
	ck_assert_int_eq(nla_put_u32(msg, P2PBUF_NL_A_PROVIDER_NUMA_NODE, 1),
			 0);
	/* An attribute of a newer kernel: ignored. */
	ck_assert_int_eq(nla_put_u64(msg, P2PBUF_NL_A_MAX + 1, 42), 0);
	memset(&info, 0xa5, sizeof(info));
	ck_assert_int_eq(parse(msg, &info), 0);
	ck_assert_uint_eq(info.id, P2PBUF_PROVIDER_ID_SYSMEM);
	ck_assert_uint_eq(info.kind, P2PBUF_NL_PROVIDER_KIND_SYSMEM);
	ck_assert_uint_eq(info.size, 8 * GIB);
	ck_assert_uint_eq(info.free_bytes, GIB);
	ck_assert_int_eq(info.numa_node, 1);
	/* What sysmem does not have is zero, not left over. */
	ck_assert_str_eq(info.pci_addr, "");
	ck_assert_uint_eq(info.bar, 0);
	ck_assert_uint_eq(info.offset, 0);
}
END_TEST

/* Every attribute a pcibar provider must have, one missing at a time. */
static const int required[] = {
	P2PBUF_NL_A_PROVIDER_ID,	P2PBUF_NL_A_PROVIDER_KIND,
	P2PBUF_NL_A_PROVIDER_SIZE,	P2PBUF_NL_A_PROVIDER_FREE,
	P2PBUF_NL_A_PROVIDER_BUFFERS,	P2PBUF_NL_A_PROVIDER_FLAGS,
	P2PBUF_NL_A_PROVIDER_NUMA_NODE, P2PBUF_NL_A_PROVIDER_PCI_ADDR,
	P2PBUF_NL_A_PROVIDER_BAR,	P2PBUF_NL_A_PROVIDER_OFFSET,
};

START_TEST(test_parse_missing)
{
	struct p2pbuf_provider_info info;

	ck_assert_int_eq(parse(pcibar_msg(required[_i]), &info), -EPROTO);
}
END_TEST

START_TEST(test_parse_bad_lengths)
{
	struct p2pbuf_provider_info info;
	struct nl_msg *msg;

	/* u64 SIZE as u32: a later attribute of the same type wins in libnl. */
	msg = pcibar_msg(P2PBUF_NL_A_PROVIDER_SIZE);
	ck_assert_int_eq(nla_put_u32(msg, P2PBUF_NL_A_PROVIDER_SIZE, 1), 0);
	ck_assert_int_eq(parse(msg, &info), -EPROTO);
	/* u32 ID as u64. */
	msg = pcibar_msg(P2PBUF_NL_A_PROVIDER_ID);
	ck_assert_int_eq(nla_put_u64(msg, P2PBUF_NL_A_PROVIDER_ID, 1), 0);
	ck_assert_int_eq(parse(msg, &info), -EPROTO);
	/* Address without its NUL. */
	msg = pcibar_msg(P2PBUF_NL_A_PROVIDER_PCI_ADDR);
	ck_assert_int_eq(nla_put(msg, P2PBUF_NL_A_PROVIDER_PCI_ADDR, 12,
				 "0000:00:04.0"),
			 0);
	ck_assert_int_eq(parse(msg, &info), -EPROTO);
	/* Address longer than pci_addr holds. */
	msg = pcibar_msg(P2PBUF_NL_A_PROVIDER_PCI_ADDR);
	ck_assert_int_eq(nla_put_string(msg, P2PBUF_NL_A_PROVIDER_PCI_ADDR,
					"0000:00:04.0:0123"),
			 0);
	ck_assert_int_eq(parse(msg, &info), -EPROTO);
	/* Exactly fits: 15 characters and the NUL. */
	msg = pcibar_msg(P2PBUF_NL_A_PROVIDER_PCI_ADDR);
	ck_assert_int_eq(nla_put_string(msg, P2PBUF_NL_A_PROVIDER_PCI_ADDR,
					"0000:00:04.0:01"),
			 0);
	ck_assert_int_eq(parse(msg, &info), 0);
	ck_assert_str_eq(info.pci_addr, "0000:00:04.0:01");
}
END_TEST

/*
 * NLMSG_ERROR as netlink_ack() builds it: struct nlmsgerr, the request
 * (unless capped), then the extended-ack attributes.
 */
static struct nl_msg *error_msg(int error, bool capped, const char *text)
{
	struct nl_msg *msg = nlmsg_alloc_simple(
		NLMSG_ERROR,
		(capped ? NLM_F_CAPPED : 0) | (text ? NLM_F_ACK_TLVS : 0));
	struct nlmsgerr e = { .error = error };
	/* The request: a header and 8 bytes of attributes. */
	char req[NLMSG_HDRLEN + 8] = { 0 };

	ck_assert_ptr_nonnull(msg);
	e.msg.nlmsg_len = capped ? sizeof(e.msg) : sizeof(req);
	e.msg.nlmsg_seq = 7;
	ck_assert_int_eq(nlmsg_append(msg, &e, sizeof(e), NLMSG_ALIGNTO), 0);
	if (!capped)
		ck_assert_int_eq(nlmsg_append(msg, req + sizeof(e.msg),
					      sizeof(req) - sizeof(e.msg),
					      NLMSG_ALIGNTO),
				 0);
	if (text) {
		ck_assert_int_eq(nla_put_u32(msg, NLMSGERR_ATTR_OFFS, 20), 0);
		ck_assert_int_eq(nla_put_string(msg, NLMSGERR_ATTR_MSG, text),
				 0);
	}
	return msg;
}

static int status(struct nl_msg *msg, char *text, size_t len)
{
	int ret = p2pbuf_nl_parse_status(nlmsg_hdr(msg), text, len);

	nlmsg_free(msg);
	return ret;
}

/* The errnos the family documents, exactly, with their messages. */
static const int errnos[] = { EPERM, EEXIST, ENODEV, EINVAL, ERANGE, ENOENT };

START_TEST(test_error_exact)
{
	char text[64];

	strcpy(text, "stale");
	ck_assert_int_eq(
		status(error_msg(-errnos[_i], true,
				 "range overlaps a registered provider"),
		       text, sizeof(text)),
		-errnos[_i]);
	ck_assert_str_eq(text, "range overlaps a registered provider");

	strcpy(text, "stale");
	ck_assert_int_eq(status(error_msg(-errnos[_i], false, "no PCI device"),
				text, sizeof(text)),
			 -errnos[_i]);
	ck_assert_str_eq(text, "no PCI device");

	strcpy(text, "stale");
	ck_assert_int_eq(status(error_msg(-errnos[_i], false, NULL), text,
				sizeof(text)),
			 -errnos[_i]);
	ck_assert_str_eq(text, "");
}
END_TEST

START_TEST(test_ack_and_done)
{
	struct nl_msg *msg;
	char text[8];
	int st;

	ck_assert_int_eq(status(error_msg(0, true, NULL), text, sizeof(text)),
			 0);
	/* Truncated to the buffer, NUL-terminated. */
	ck_assert_int_eq(status(error_msg(-EINVAL, true, "a long message"),
				text, sizeof(text)),
			 -EINVAL);
	ck_assert_str_eq(text, "a long ");

	/* NLMSG_DONE of a dump: 0, or the errno that ended it. */
	msg = nlmsg_alloc_simple(NLMSG_DONE, NLM_F_MULTI);
	st = 0;
	ck_assert_int_eq(nlmsg_append(msg, &st, sizeof(st), NLMSG_ALIGNTO), 0);
	ck_assert_int_eq(status(msg, text, sizeof(text)), 0);
	msg = nlmsg_alloc_simple(NLMSG_DONE, NLM_F_MULTI | NLM_F_ACK_TLVS);
	st = -EMSGSIZE;
	ck_assert_int_eq(nlmsg_append(msg, &st, sizeof(st), NLMSG_ALIGNTO), 0);
	ck_assert_int_eq(nla_put_string(msg, NLMSGERR_ATTR_MSG, "big"), 0);
	ck_assert_int_eq(status(msg, text, sizeof(text)), -EMSGSIZE);
	ck_assert_str_eq(text, "big");
}
END_TEST

START_TEST(test_error_malformed)
{
	struct nl_msg *msg;
	char text[8];

	/* A positive errno, or a request copy longer than the message. */
	ck_assert_int_eq(status(error_msg(EINVAL, true, NULL), text,
				sizeof(text)),
			 -EPROTO);
	msg = error_msg(-EINVAL, false, NULL);
	((struct nlmsgerr *)nlmsg_data(nlmsg_hdr(msg)))->msg.nlmsg_len = 4096;
	ck_assert_int_eq(status(msg, text, sizeof(text)), -EPROTO);
	/* Shorter than struct nlmsgerr. */
	msg = nlmsg_alloc_simple(NLMSG_ERROR, 0);
	ck_assert_int_eq(nlmsg_append(msg, "\xea\xff\xff\xff", 4, 0), 0);
	ck_assert_int_eq(status(msg, text, sizeof(text)), -EPROTO);
}
END_TEST

START_TEST(test_nlerr_to_errno)
{
	ck_assert_int_eq(p2pbuf_nlerr_to_errno(0), 0);
	/* Both signs: libnl returns negative codes. */
	ck_assert_int_eq(p2pbuf_nlerr_to_errno(-NLE_PERM), -EPERM);
	ck_assert_int_eq(p2pbuf_nlerr_to_errno(NLE_PERM), -EPERM);
	ck_assert_int_eq(p2pbuf_nlerr_to_errno(-NLE_EXIST), -EEXIST);
	ck_assert_int_eq(p2pbuf_nlerr_to_errno(-NLE_NODEV), -ENODEV);
	ck_assert_int_eq(p2pbuf_nlerr_to_errno(-NLE_INVAL), -EINVAL);
	ck_assert_int_eq(p2pbuf_nlerr_to_errno(-NLE_RANGE), -ERANGE);
	ck_assert_int_eq(p2pbuf_nlerr_to_errno(-NLE_OBJ_NOTFOUND), -ENOENT);
	ck_assert_int_eq(p2pbuf_nlerr_to_errno(-NLE_NOMEM), -ENOMEM);
	ck_assert_int_eq(p2pbuf_nlerr_to_errno(-NLE_NOACCESS), -EACCES);
	ck_assert_int_eq(p2pbuf_nlerr_to_errno(-NLE_SEQ_MISMATCH), -EPROTO);
	ck_assert_int_eq(p2pbuf_nlerr_to_errno(-NLE_DUMP_INTR), -EAGAIN);
	ck_assert_int_eq(p2pbuf_nlerr_to_errno(-NLE_FAILURE), -EIO);
	ck_assert_int_eq(p2pbuf_nlerr_to_errno(-1000), -EIO);
}
END_TEST

START_TEST(test_copy_info)
{
	struct p2pbuf_provider_info src = { .id = 3, .size = 4096 };
	unsigned char big[sizeof(src) + 16];
	size_t i;

	strcpy(src.pci_addr, "0000:00:04.0");
	/* A caller built against a newer library: the tail is zeroed. */
	memset(big, 0xa5, sizeof(big));
	p2pbuf_copy_provider_info((struct p2pbuf_provider_info *)big,
				  sizeof(big), &src);
	ck_assert_mem_eq(big, &src, sizeof(src));
	for (i = sizeof(src); i < sizeof(big); i++)
		ck_assert_uint_eq(big[i], 0);
	ck_assert_uint_eq(sizeof(src), PROVIDER_INFO_SIZE_2);
}
END_TEST

/* --- buffers, dma-sgls and events (LIBP2PBUF_5) ------------------------ */

static struct nl_msg *cmd_msg(uint8_t cmd)
{
	struct nl_msg *msg = nlmsg_alloc();

	ck_assert_ptr_nonnull(msg);
	ck_assert_ptr_nonnull(genlmsg_put(msg, 0, 0, FAMILY, 0, 0, cmd,
					  P2PBUF_NL_FAMILY_VERSION));
	return msg;
}

#define PUT(type, fn, val)                                       \
	do {                                                     \
		if ((type) != skip)                              \
			ck_assert_int_eq(fn(msg, type, val), 0); \
	} while (0)

/* Who made an object, as the listings say it. */
static void put_owner(struct nl_msg *msg, int skip)
{
	PUT(P2PBUF_NL_A_OWNER_PID, nla_put_u32, 4242);
	PUT(P2PBUF_NL_A_OWNER_UID, nla_put_u32, 1000);
	PUT(P2PBUF_NL_A_OWNER_COMM, nla_put_string, "bench_sgl");
}

/*
 * A buffer message as the kernel lays it out, one attribute skipped; with
 * the owner (listings) or not (events); revoked with reason if non-zero.
 */
static struct nl_msg *buffer_msg(uint8_t cmd, int skip, bool owner,
				 uint32_t reason)
{
	struct nl_msg *msg = cmd_msg(cmd);

	PUT(P2PBUF_NL_A_BUFFER_ID, nla_put_u32, 31);
	PUT(P2PBUF_NL_A_BUFFER_SIZE, nla_put_u64, 5 * GIB);
	PUT(P2PBUF_NL_A_PROVIDER_ID, nla_put_u32, 7);
	PUT(P2PBUF_NL_A_BUFFER_MAPPED, nla_put_u64, 2 * GIB);
	PUT(P2PBUF_NL_A_BUFFER_SGLS, nla_put_u32, 2);
	PUT(P2PBUF_NL_A_BUFFER_STATE, nla_put_u32,
	    reason ? P2PBUF_NL_STATE_REVOKED : P2PBUF_NL_STATE_LIVE);
	if (reason)
		PUT(P2PBUF_NL_A_REASON, nla_put_u32, reason);
	if (owner)
		put_owner(msg, skip);
	return msg;
}

/* A dma-sgl message covering nr_bufs buffers (ids 100, 101, ...). */
static struct nl_msg *sgl_msg(uint8_t cmd, int skip, bool owner,
			      uint32_t reason, unsigned int nr_bufs)
{
	struct nl_msg *msg = cmd_msg(cmd);
	unsigned int i;

	PUT(P2PBUF_NL_A_SGL_ID, nla_put_u32, 12);
	PUT(P2PBUF_NL_A_SGL_TARGET, nla_put_string, "0000:00:03.0");
	PUT(P2PBUF_NL_A_SGL_LENGTH, nla_put_u64, 6 * GIB);
	PUT(P2PBUF_NL_A_SGL_SEGMENTS, nla_put_u32, reason ? 0 : 3);
	PUT(P2PBUF_NL_A_SGL_MAP_TYPE, nla_put_u32, P2PBUF_MAP_TYPE_IOMMU);
	PUT(P2PBUF_NL_A_SGL_STATE, nla_put_u32,
	    reason ? P2PBUF_NL_STATE_REVOKED : P2PBUF_NL_STATE_LIVE);
	PUT(P2PBUF_NL_A_SGL_DIRECTION, nla_put_u32, P2PBUF_DMA_FROM_DEVICE);
	PUT(P2PBUF_NL_A_SGL_GENERATION, nla_put_u32, reason ? 2 : 1);
	if (owner)
		put_owner(msg, skip);
	if (reason)
		PUT(P2PBUF_NL_A_REASON, nla_put_u32, reason);
	for (i = 0; i < nr_bufs; i++)
		PUT(P2PBUF_NL_A_BUFFER_ID, nla_put_u32, 100 + i);
	return msg;
}
#undef PUT

static int parse_buf(struct nl_msg *msg, struct p2pbuf_buffer_entry *e,
		     bool listing)
{
	int ret = p2pbuf_nl_parse_buffer(nlmsg_hdr(msg), e, listing);

	nlmsg_free(msg);
	return ret;
}

static int parse_sgl(struct nl_msg *msg, struct p2pbuf_sgl_entry *e,
		     bool listing)
{
	int ret = p2pbuf_nl_parse_sgl(nlmsg_hdr(msg), e, listing);

	nlmsg_free(msg);
	return ret;
}

static int parse_ev(struct nl_msg *msg, struct p2pbuf_event *ev)
{
	int ret;

	memset(ev, 0xa5, sizeof(*ev));
	ret = p2pbuf_nl_parse_event(nlmsg_hdr(msg), ev);
	nlmsg_free(msg);
	return ret;
}

START_TEST(test_parse_buffer)
{
	struct p2pbuf_buffer_entry e;
	struct nl_msg *msg;

	memset(&e, 0xa5, sizeof(e));
	ck_assert_int_eq(
		parse_buf(buffer_msg(P2PBUF_NL_CMD_BUFFER_GET, -1, true, 0), &e,
			  true),
		0);
	ck_assert_uint_eq(e.id, 31);
	ck_assert_uint_eq(e.provider_id, 7);
	ck_assert_uint_eq(e.size, 5 * GIB);
	ck_assert_uint_eq(e.mapped, 2 * GIB);
	ck_assert_uint_eq(e.sgls, 2);
	ck_assert_uint_eq(e.state, P2PBUF_NL_STATE_LIVE);
	ck_assert_uint_eq(e.reason, 0);
	ck_assert_uint_eq(e.owner_pid, 4242);
	ck_assert_uint_eq(e.owner_uid, 1000);
	ck_assert_str_eq(e.owner_comm, "bench_sgl");
	ck_assert_uint_eq(e.reserved, 0);

	/* Revoked: the reason; an event has no owner, and needs none. */
	memset(&e, 0xa5, sizeof(e));
	ck_assert_int_eq(parse_buf(buffer_msg(P2PBUF_NL_CMD_BUFFER_REVOKE_NTF,
					      -1, false,
					      P2PBUF_NL_REVOKE_DEVICE_REMOVED),
				   &e, false),
			 0);
	ck_assert_uint_eq(e.state, P2PBUF_NL_STATE_REVOKED);
	ck_assert_uint_eq(e.reason, P2PBUF_NL_REVOKE_DEVICE_REMOVED);
	ck_assert_uint_eq(e.owner_pid, 0);
	ck_assert_str_eq(e.owner_comm, "");
	/* ... but a listing does. */
	ck_assert_int_eq(
		parse_buf(buffer_msg(P2PBUF_NL_CMD_BUFFER_GET, -1, false, 0),
			  &e, true),
		-EPROTO);

	/* A newer kernel's attribute is ignored. */
	msg = buffer_msg(P2PBUF_NL_CMD_BUFFER_GET, -1, true, 0);
	ck_assert_int_eq(nla_put_u64(msg, P2PBUF_NL_A_MAX + 1, 42), 0);
	ck_assert_int_eq(parse_buf(msg, &e, true), 0);
	ck_assert_uint_eq(e.id, 31);
}
END_TEST

/* Every attribute of a listed buffer, one missing at a time. */
static const int buffer_required[] = {
	P2PBUF_NL_A_BUFFER_ID,	 P2PBUF_NL_A_BUFFER_SIZE,
	P2PBUF_NL_A_PROVIDER_ID, P2PBUF_NL_A_BUFFER_MAPPED,
	P2PBUF_NL_A_BUFFER_SGLS, P2PBUF_NL_A_BUFFER_STATE,
	P2PBUF_NL_A_OWNER_PID,	 P2PBUF_NL_A_OWNER_UID,
	P2PBUF_NL_A_OWNER_COMM,
};

START_TEST(test_parse_buffer_missing)
{
	struct p2pbuf_buffer_entry e;

	ck_assert_int_eq(parse_buf(buffer_msg(P2PBUF_NL_CMD_BUFFER_GET,
					      buffer_required[_i], true, 0),
				   &e, true),
			 -EPROTO);
}
END_TEST

START_TEST(test_parse_buffer_bad)
{
	struct p2pbuf_buffer_entry e;
	struct nl_msg *msg;

	/* SIZE as u32, MAPPED as u32, REASON as u64. */
	msg = buffer_msg(P2PBUF_NL_CMD_BUFFER_GET, P2PBUF_NL_A_BUFFER_SIZE,
			 true, 0);
	ck_assert_int_eq(nla_put_u32(msg, P2PBUF_NL_A_BUFFER_SIZE, 1), 0);
	ck_assert_int_eq(parse_buf(msg, &e, true), -EPROTO);
	msg = buffer_msg(P2PBUF_NL_CMD_BUFFER_GET, P2PBUF_NL_A_BUFFER_MAPPED,
			 true, 0);
	ck_assert_int_eq(nla_put_u32(msg, P2PBUF_NL_A_BUFFER_MAPPED, 1), 0);
	ck_assert_int_eq(parse_buf(msg, &e, true), -EPROTO);
	msg = buffer_msg(P2PBUF_NL_CMD_BUFFER_GET, -1, true, 0);
	ck_assert_int_eq(nla_put_u64(msg, P2PBUF_NL_A_REASON, 1), 0);
	ck_assert_int_eq(parse_buf(msg, &e, true), -EPROTO);
	/* A command name without its NUL, or longer than TASK_COMM_LEN. */
	msg = buffer_msg(P2PBUF_NL_CMD_BUFFER_GET, P2PBUF_NL_A_OWNER_COMM, true,
			 0);
	ck_assert_int_eq(nla_put(msg, P2PBUF_NL_A_OWNER_COMM, 4, "p2pc"), 0);
	ck_assert_int_eq(parse_buf(msg, &e, true), -EPROTO);
	msg = buffer_msg(P2PBUF_NL_CMD_BUFFER_GET, P2PBUF_NL_A_OWNER_COMM, true,
			 0);
	ck_assert_int_eq(nla_put_string(msg, P2PBUF_NL_A_OWNER_COMM,
					"0123456789abcdef"),
			 0);
	ck_assert_int_eq(parse_buf(msg, &e, true), -EPROTO);
	/* 15 characters fit; so does an empty name. */
	msg = buffer_msg(P2PBUF_NL_CMD_BUFFER_GET, P2PBUF_NL_A_OWNER_COMM, true,
			 0);
	ck_assert_int_eq(nla_put_string(msg, P2PBUF_NL_A_OWNER_COMM,
					"0123456789abcde"),
			 0);
	ck_assert_int_eq(parse_buf(msg, &e, true), 0);
	ck_assert_str_eq(e.owner_comm, "0123456789abcde");
	msg = buffer_msg(P2PBUF_NL_CMD_BUFFER_GET, P2PBUF_NL_A_OWNER_COMM, true,
			 0);
	ck_assert_int_eq(nla_put_string(msg, P2PBUF_NL_A_OWNER_COMM, ""), 0);
	ck_assert_int_eq(parse_buf(msg, &e, true), 0);
	ck_assert_str_eq(e.owner_comm, "");
}
END_TEST

START_TEST(test_parse_sgl)
{
	struct p2pbuf_sgl_entry e;
	struct nl_msg *msg;
	unsigned int i;

	memset(&e, 0xa5, sizeof(e));
	ck_assert_int_eq(
		parse_sgl(sgl_msg(P2PBUF_NL_CMD_SGL_GET, -1, true, 0, 3), &e,
			  true),
		0);
	ck_assert_uint_eq(e.id, 12);
	ck_assert_str_eq(e.target, "0000:00:03.0");
	ck_assert_uint_eq(e.length, 6 * GIB);
	ck_assert_uint_eq(e.nr_segments, 3);
	ck_assert_uint_eq(e.map_type, P2PBUF_MAP_TYPE_IOMMU);
	ck_assert_uint_eq(e.state, P2PBUF_NL_STATE_LIVE);
	ck_assert_uint_eq(e.reason, 0);
	ck_assert_uint_eq(e.direction, P2PBUF_DMA_FROM_DEVICE);
	ck_assert_uint_eq(e.generation, 1);
	ck_assert_uint_eq(e.owner_pid, 4242);
	ck_assert_uint_eq(e.owner_uid, 1000);
	ck_assert_str_eq(e.owner_comm, "bench_sgl");
	ck_assert_uint_eq(e.nr_buffers, 3);
	ck_assert_uint_eq(e.buffer_ids[0], 100);
	ck_assert_uint_eq(e.buffer_ids[1], 101);
	ck_assert_uint_eq(e.buffer_ids[2], 102);
	/* What is not carried is zero, not left over. */
	for (i = 3; i < P2PBUF_SGL_ENTRY_BUFFERS; i++)
		ck_assert_uint_eq(e.buffer_ids[i], 0);

	/* More buffers than an entry holds: the first ones and the count. */
	ck_assert_int_eq(parse_sgl(sgl_msg(P2PBUF_NL_CMD_SGL_GET, -1, true,
					   P2PBUF_NL_REVOKE_TARGET_UNBOUND,
					   P2PBUF_SGL_ENTRY_BUFFERS + 3),
				   &e, true),
			 0);
	ck_assert_uint_eq(e.nr_buffers, P2PBUF_SGL_ENTRY_BUFFERS + 3);
	for (i = 0; i < P2PBUF_SGL_ENTRY_BUFFERS; i++)
		ck_assert_uint_eq(e.buffer_ids[i], 100 + i);
	ck_assert_uint_eq(e.state, P2PBUF_NL_STATE_REVOKED);
	ck_assert_uint_eq(e.reason, P2PBUF_NL_REVOKE_TARGET_UNBOUND);
	ck_assert_uint_eq(e.nr_segments, 0);
	ck_assert_uint_eq(e.generation, 2);

	/* A target as sysfs names a VMD domain's device. */
	msg = sgl_msg(P2PBUF_NL_CMD_SGL_GET, P2PBUF_NL_A_SGL_TARGET, true, 0,
		      1);
	ck_assert_int_eq(nla_put_string(msg, P2PBUF_NL_A_SGL_TARGET,
					"10000:e0:00.0"),
			 0);
	ck_assert_int_eq(parse_sgl(msg, &e, true), 0);
	ck_assert_str_eq(e.target, "10000:e0:00.0");
}
END_TEST

static const int sgl_required[] = {
	P2PBUF_NL_A_SGL_ID,	   P2PBUF_NL_A_SGL_TARGET,
	P2PBUF_NL_A_SGL_LENGTH,	   P2PBUF_NL_A_SGL_SEGMENTS,
	P2PBUF_NL_A_SGL_MAP_TYPE,  P2PBUF_NL_A_SGL_STATE,
	P2PBUF_NL_A_SGL_DIRECTION, P2PBUF_NL_A_SGL_GENERATION,
	P2PBUF_NL_A_OWNER_PID,	   P2PBUF_NL_A_OWNER_UID,
	P2PBUF_NL_A_OWNER_COMM,
};

START_TEST(test_parse_sgl_missing)
{
	struct p2pbuf_sgl_entry e;

	ck_assert_int_eq(parse_sgl(sgl_msg(P2PBUF_NL_CMD_SGL_GET,
					   sgl_required[_i], true, 0, 2),
				   &e, true),
			 -EPROTO);
}
END_TEST

START_TEST(test_parse_sgl_bad)
{
	struct p2pbuf_sgl_entry e;
	struct nl_msg *msg;

	/* A buffer id that is not a u32. */
	msg = sgl_msg(P2PBUF_NL_CMD_SGL_GET, -1, true, 0, 2);
	ck_assert_int_eq(nla_put_u64(msg, P2PBUF_NL_A_BUFFER_ID, 7), 0);
	ck_assert_int_eq(parse_sgl(msg, &e, true), -EPROTO);
	/* A target longer than the entry holds, or empty. */
	msg = sgl_msg(P2PBUF_NL_CMD_SGL_GET, P2PBUF_NL_A_SGL_TARGET, true, 0,
		      1);
	ck_assert_int_eq(nla_put_string(msg, P2PBUF_NL_A_SGL_TARGET,
					"0000:00:03.0-0123456789a"),
			 0);
	ck_assert_int_eq(parse_sgl(msg, &e, true), -EPROTO);
	msg = sgl_msg(P2PBUF_NL_CMD_SGL_GET, P2PBUF_NL_A_SGL_TARGET, true, 0,
		      1);
	ck_assert_int_eq(nla_put_string(msg, P2PBUF_NL_A_SGL_TARGET, ""), 0);
	ck_assert_int_eq(parse_sgl(msg, &e, true), -EPROTO);
	/* LENGTH as u32. */
	msg = sgl_msg(P2PBUF_NL_CMD_SGL_GET, P2PBUF_NL_A_SGL_LENGTH, true, 0,
		      1);
	ck_assert_int_eq(nla_put_u32(msg, P2PBUF_NL_A_SGL_LENGTH, 4096), 0);
	ck_assert_int_eq(parse_sgl(msg, &e, true), -EPROTO);
	/* Without buffer ids: parsed (the kernel decides what it covers). */
	ck_assert_int_eq(
		parse_sgl(sgl_msg(P2PBUF_NL_CMD_SGL_GET, -1, true, 0, 0), &e,
			  true),
		0);
	ck_assert_uint_eq(e.nr_buffers, 0);
}
END_TEST

/* Each notification and the library's event type for it. */
static const struct {
	uint8_t cmd;
	uint32_t type;
} event_types[] = {
	{ P2PBUF_NL_CMD_BUFFER_NEW_NTF, P2PBUF_EVENT_BUFFER_NEW },
	{ P2PBUF_NL_CMD_BUFFER_DEL_NTF, P2PBUF_EVENT_BUFFER_DEL },
	{ P2PBUF_NL_CMD_BUFFER_REVOKE_NTF, P2PBUF_EVENT_BUFFER_REVOKE },
	{ P2PBUF_NL_CMD_SGL_NEW_NTF, P2PBUF_EVENT_SGL_NEW },
	{ P2PBUF_NL_CMD_SGL_DEL_NTF, P2PBUF_EVENT_SGL_DEL },
	{ P2PBUF_NL_CMD_SGL_REVOKE_NTF, P2PBUF_EVENT_SGL_REVOKE },
};

START_TEST(test_parse_events)
{
	uint8_t cmd = event_types[_i].cmd;
	bool revoke = cmd == P2PBUF_NL_CMD_BUFFER_REVOKE_NTF ||
		      cmd == P2PBUF_NL_CMD_SGL_REVOKE_NTF;
	bool is_sgl = cmd >= P2PBUF_NL_CMD_SGL_NEW_NTF;
	uint32_t reason = revoke ? P2PBUF_NL_REVOKE_PROVIDER_REMOVED : 0;
	struct p2pbuf_event ev;
	unsigned int i;

	ck_assert_int_eq(parse_ev(is_sgl ? sgl_msg(cmd, -1, false, reason, 2) :
					   buffer_msg(cmd, -1, false, reason),
				  &ev),
			 0);
	ck_assert_uint_eq(ev.type, event_types[_i].type);
	ck_assert_uint_eq(ev.reason, reason);
	ck_assert_uint_eq(ev.state, revoke ? P2PBUF_NL_STATE_REVOKED :
					     P2PBUF_NL_STATE_LIVE);
	if (is_sgl) {
		ck_assert_uint_eq(ev.sgl_id, 12);
		ck_assert_uint_eq(ev.size, 6 * GIB);
		ck_assert_str_eq(ev.device, "0000:00:03.0");
		ck_assert_uint_eq(ev.map_type, P2PBUF_MAP_TYPE_IOMMU);
		ck_assert_uint_eq(ev.direction, P2PBUF_DMA_FROM_DEVICE);
		ck_assert_uint_eq(ev.generation, revoke ? 2 : 1);
		ck_assert_uint_eq(ev.nr_segments, revoke ? 0 : 3);
		ck_assert_uint_eq(ev.nr_buffers, 2);
		ck_assert_uint_eq(ev.buffer_ids[0], 100);
		ck_assert_uint_eq(ev.buffer_ids[1], 101);
		ck_assert_uint_eq(ev.buffer_ids[2], 0);
		ck_assert_uint_eq(ev.provider_id, 0);
		ck_assert_uint_eq(ev.buffer_id, 0);
		ck_assert_uint_eq(ev.mapped, 0);
	} else {
		ck_assert_uint_eq(ev.buffer_id, 31);
		ck_assert_uint_eq(ev.provider_id, 7);
		ck_assert_uint_eq(ev.size, 5 * GIB);
		ck_assert_uint_eq(ev.mapped, 2 * GIB);
		ck_assert_uint_eq(ev.sgls, 2);
		ck_assert_uint_eq(ev.sgl_id, 0);
		ck_assert_str_eq(ev.device, "");
		for (i = 0; i < P2PBUF_SGL_ENTRY_BUFFERS; i++)
			ck_assert_uint_eq(ev.buffer_ids[i], 0);
	}
	/* A revocation without its reason is malformed. */
	if (revoke)
		ck_assert_int_eq(
			parse_ev(is_sgl ? sgl_msg(cmd, P2PBUF_NL_A_REASON,
						  false, reason, 1) :
					  buffer_msg(cmd, P2PBUF_NL_A_REASON,
						     false, reason),
				 &ev),
			-EPROTO);
	/* Nor are events parsed without what every such message has. */
	ck_assert_int_eq(parse_ev(is_sgl ?
					  sgl_msg(cmd, P2PBUF_NL_A_SGL_ID,
						  false, reason, 1) :
					  buffer_msg(cmd, P2PBUF_NL_A_BUFFER_ID,
						     false, reason),
				  &ev),
			 -EPROTO);
}
END_TEST

START_TEST(test_parse_provider_device_events)
{
	struct p2pbuf_event ev;
	struct nl_msg *msg;

	/* pcibar_msg() is a provider message; as an event. */
	msg = pcibar_msg(-1);
	genlmsg_hdr(nlmsg_hdr(msg))->cmd = P2PBUF_NL_CMD_PROVIDER_DEL_NTF;
	ck_assert_int_eq(nla_put_u32(msg, P2PBUF_NL_A_PROVIDER_SGLS, 5), 0);
	ck_assert_int_eq(parse_ev(msg, &ev), 0);
	ck_assert_uint_eq(ev.type, P2PBUF_EVENT_PROVIDER_DEL);
	ck_assert_uint_eq(ev.provider_id, 17);
	ck_assert_uint_eq(ev.size, 64ULL << 20);
	ck_assert_uint_eq(ev.sgls, 5);
	ck_assert_str_eq(ev.device, "0000:00:04.0");
	ck_assert_uint_eq(ev.state, 0);
	ck_assert_uint_eq(ev.reason, 0);
	/* A uAPI 1.2 kernel's event has no SGLS. */
	msg = pcibar_msg(-1);
	genlmsg_hdr(nlmsg_hdr(msg))->cmd = P2PBUF_NL_CMD_PROVIDER_ADD_NTF;
	ck_assert_int_eq(parse_ev(msg, &ev), 0);
	ck_assert_uint_eq(ev.type, P2PBUF_EVENT_PROVIDER_ADD);
	ck_assert_uint_eq(ev.sgls, 0);
	msg = pcibar_msg(P2PBUF_NL_A_PROVIDER_BAR);
	genlmsg_hdr(nlmsg_hdr(msg))->cmd = P2PBUF_NL_CMD_PROVIDER_ADD_NTF;
	ck_assert_int_eq(parse_ev(msg, &ev), -EPROTO);

	msg = cmd_msg(P2PBUF_NL_CMD_DEVICE_GONE_NTF);
	ck_assert_int_eq(
		nla_put_string(msg, P2PBUF_NL_A_DEVICE, "0000:00:04.0"), 0);
	ck_assert_int_eq(nla_put_u32(msg, P2PBUF_NL_A_REASON,
				     P2PBUF_NL_REVOKE_DRIVER_UNBOUND),
			 0);
	ck_assert_int_eq(parse_ev(msg, &ev), 0);
	ck_assert_uint_eq(ev.type, P2PBUF_EVENT_DEVICE_GONE);
	ck_assert_str_eq(ev.device, "0000:00:04.0");
	ck_assert_uint_eq(ev.reason, P2PBUF_NL_REVOKE_DRIVER_UNBOUND);
	ck_assert_uint_eq(ev.provider_id, 0);
	ck_assert_uint_eq(ev.size, 0);
	msg = cmd_msg(P2PBUF_NL_CMD_DEVICE_GONE_NTF);
	ck_assert_int_eq(
		nla_put_string(msg, P2PBUF_NL_A_DEVICE, "0000:00:04.0"), 0);
	ck_assert_int_eq(parse_ev(msg, &ev), -EPROTO);

	/* Replies and commands that are no events, or a newer kernel's. */
	ck_assert_int_eq(
		parse_ev(buffer_msg(P2PBUF_NL_CMD_BUFFER_GET, -1, true, 0),
			 &ev),
		-ENOMSG);
	ck_assert_int_eq(parse_ev(cmd_msg(P2PBUF_NL_CMD_PROVIDER_DEL), &ev),
			 -ENOMSG);
	ck_assert_int_eq(parse_ev(cmd_msg(__P2PBUF_NL_CMD_MAX), &ev), -ENOMSG);
	ck_assert_uint_eq(ev.type, 0);
}
END_TEST

/* Append msg (freed) to the datagram d of *len bytes, as the kernel does. */
static void append(char *d, size_t *len, struct nl_msg *msg)
{
	struct nlmsghdr *nlh = nlmsg_hdr(msg);

	ck_assert_uint_le(*len + NLMSG_ALIGN(nlh->nlmsg_len), 8192);
	memcpy(d + *len, nlh, nlh->nlmsg_len);
	*len += NLMSG_ALIGN(nlh->nlmsg_len);
	nlmsg_free(msg);
}

START_TEST(test_next_event)
{
	static char d[8192];
	struct p2pbuf_event ev;
	struct nl_msg *msg;
	size_t len = 0, off = 0;

	/* What is no event of the family is skipped. */
	append(d, &len, nlmsg_alloc_simple(NLMSG_NOOP, 0));
	msg = buffer_msg(P2PBUF_NL_CMD_BUFFER_NEW_NTF, -1, false, 0);
	nlmsg_hdr(msg)->nlmsg_type = FAMILY + 1;
	append(d, &len, msg);
	append(d, &len, cmd_msg(__P2PBUF_NL_CMD_MAX + 3));
	append(d, &len, buffer_msg(P2PBUF_NL_CMD_BUFFER_NEW_NTF, -1, false, 0));
	/* A malformed event is reported and consumed. */
	append(d, &len,
	       buffer_msg(P2PBUF_NL_CMD_BUFFER_NEW_NTF, P2PBUF_NL_A_BUFFER_SIZE,
			  false, 0));
	append(d, &len,
	       sgl_msg(P2PBUF_NL_CMD_SGL_REVOKE_NTF, -1, false,
		       P2PBUF_NL_REVOKE_ADMIN, 1));

	ck_assert_int_eq(p2pbuf_nl_next_event(d, len, &off, FAMILY, &ev), 0);
	ck_assert_uint_eq(ev.type, P2PBUF_EVENT_BUFFER_NEW);
	ck_assert_uint_eq(ev.buffer_id, 31);
	ck_assert_int_eq(p2pbuf_nl_next_event(d, len, &off, FAMILY, &ev),
			 -EPROTO);
	ck_assert_int_eq(p2pbuf_nl_next_event(d, len, &off, FAMILY, &ev), 0);
	ck_assert_uint_eq(ev.type, P2PBUF_EVENT_SGL_REVOKE);
	ck_assert_uint_eq(ev.reason, P2PBUF_NL_REVOKE_ADMIN);
	ck_assert_uint_eq(off, len);
	ck_assert_int_eq(p2pbuf_nl_next_event(d, len, &off, FAMILY, &ev),
			 -ENOMSG);
	ck_assert_int_eq(p2pbuf_nl_next_event(d, 0, &off, FAMILY, &ev),
			 -ENOMSG);

	/* A truncated last message ends the datagram. */
	len = 0;
	off = 0;
	append(d, &len, buffer_msg(P2PBUF_NL_CMD_BUFFER_DEL_NTF, -1, false, 0));
	append(d, &len, buffer_msg(P2PBUF_NL_CMD_BUFFER_NEW_NTF, -1, false, 0));
	len -= 8;
	ck_assert_int_eq(p2pbuf_nl_next_event(d, len, &off, FAMILY, &ev), 0);
	ck_assert_uint_eq(ev.type, P2PBUF_EVENT_BUFFER_DEL);
	ck_assert_int_eq(p2pbuf_nl_next_event(d, len, &off, FAMILY, &ev),
			 -ENOMSG);
	ck_assert_uint_eq(off, len);
}
END_TEST

START_TEST(test_revoke_reason_names)
{
	static const char *const names[] = {
		[P2PBUF_NL_REVOKE_ADMIN] = "admin",
		[P2PBUF_NL_REVOKE_PROVIDER_REMOVED] = "provider-removed",
		[P2PBUF_NL_REVOKE_DEVICE_REMOVED] = "device-removed",
		[P2PBUF_NL_REVOKE_DRIVER_UNBOUND] = "driver-unbound",
		[P2PBUF_NL_REVOKE_TARGET_REMOVED] = "target-removed",
		[P2PBUF_NL_REVOKE_TARGET_UNBOUND] = "target-unbound",
		[P2PBUF_NL_REVOKE_TARGET_USER_DRIVER] = "target-user-driver",
		[P2PBUF_NL_REVOKE_EXPORTER] = "exporter",
	};
	uint32_t i;

	for (i = 1; i < sizeof(names) / sizeof(names[0]); i++)
		ck_assert_str_eq(p2pbuf_revoke_reason_name(i), names[i]);
	ck_assert_ptr_null(p2pbuf_revoke_reason_name(0));
	ck_assert_ptr_null(p2pbuf_revoke_reason_name(i));
	ck_assert_ptr_null(p2pbuf_revoke_reason_name(UINT32_MAX));
}
END_TEST

START_TEST(test_null_args_5)
{
	struct p2pbuf_buffer_entry *bl = NULL;
	struct p2pbuf_sgl_entry *sl = NULL;
	struct p2pbuf_event ev;

	ck_assert_int_eq(p2pbuf_buffer_list(NULL, &bl, sizeof(*bl)), -EINVAL);
	ck_assert_int_eq(p2pbuf_sgl_list(NULL, &sl, sizeof(*sl)), -EINVAL);
	ck_assert_int_eq(p2pbuf_buffer_revoke(NULL, 1), -EINVAL);
	ck_assert_int_eq(p2pbuf_provider_del(NULL, 1,
					     P2PBUF_PROVIDER_DEL_FORCE),
			 -EINVAL);
	ck_assert_int_eq(p2pbuf_monitor_new(NULL), -EINVAL);
	ck_assert_int_eq(p2pbuf_monitor_get_fd(NULL), -EINVAL);
	ck_assert_int_eq(p2pbuf_monitor_next(NULL, &ev, sizeof(ev)), -EINVAL);
	p2pbuf_monitor_free(NULL);
	ck_assert_ptr_null(bl);
	ck_assert_ptr_null(sl);
	/* The first layouts, which callers may pass forever. */
	ck_assert_uint_eq(sizeof(struct p2pbuf_buffer_entry),
			  BUFFER_ENTRY_SIZE_5);
	/* LIBP2PBUF_9 appended the dma-buf pieces (callers may pass 120). */
	ck_assert_uint_eq(sizeof(struct p2pbuf_sgl_entry), SGL_ENTRY_SIZE_8);
	/* LIBP2PBUF_7 appended the export fields (callers may pass 120). */
	ck_assert_uint_eq(sizeof(struct p2pbuf_event), EVENT_SIZE_7);
	ck_assert_uint_eq(sizeof(struct p2pbuf_export_entry),
			  EXPORT_ENTRY_SIZE_7);
}
END_TEST

START_TEST(test_null_args_7)
{
	struct p2pbuf_export_entry *el = NULL;

	ck_assert_int_eq(p2pbuf_export_list(NULL, &el, sizeof(*el)), -EINVAL);
	ck_assert_ptr_null(el);
}
END_TEST

static Suite *netlink_suite(void)
{
	Suite *s = suite_create("libp2pbuf netlink");
	TCase *tc;

	tc = tu_tcase(s, "parse", TU_HOST_TIMEOUT, NULL, NULL);
	tcase_add_test(tc, test_parse_pcibar);
	tcase_add_test(tc, test_parse_sysmem);
	tcase_add_loop_test(tc, test_parse_missing, 0,
			    sizeof(required) / sizeof(required[0]));
	tcase_add_test(tc, test_parse_bad_lengths);
	tcase_add_loop_test(tc, test_error_exact, 0,
			    sizeof(errnos) / sizeof(errnos[0]));
	tcase_add_test(tc, test_ack_and_done);
	tcase_add_test(tc, test_error_malformed);
	tcase_add_test(tc, test_nlerr_to_errno);
	tcase_add_test(tc, test_copy_info);

	tc = tu_tcase(s, "revocation", TU_HOST_TIMEOUT, NULL, NULL);
	tcase_add_test(tc, test_parse_buffer);
	tcase_add_loop_test(tc, test_parse_buffer_missing, 0,
			    sizeof(buffer_required) /
				    sizeof(buffer_required[0]));
	tcase_add_test(tc, test_parse_buffer_bad);
	tcase_add_test(tc, test_parse_sgl);
	tcase_add_loop_test(tc, test_parse_sgl_missing, 0,
			    sizeof(sgl_required) / sizeof(sgl_required[0]));
	tcase_add_test(tc, test_parse_sgl_bad);
	tcase_add_loop_test(tc, test_parse_events, 0,
			    sizeof(event_types) / sizeof(event_types[0]));
	tcase_add_test(tc, test_parse_provider_device_events);
	tcase_add_test(tc, test_next_event);
	tcase_add_test(tc, test_revoke_reason_names);
	tcase_add_test(tc, test_null_args_5);
	tcase_add_test(tc, test_null_args_7);
	return s;
}

int main(void)
{
	return tu_run(netlink_suite());
}
