// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Host tests of libp2pbuf's control plane (libp2pbuf/netlink.c) without a
 * kernel: provider messages, acks, errors and NLMSG_DONE are built here as
 * real netlink messages with libnl, the way the kernel lays them out, and
 * handed to the library's parsers; libnl error codes are translated.
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

static Suite *netlink_suite(void)
{
	Suite *s = suite_create("libp2pbuf netlink");
	TCase *tc = tcase_create("parse");

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
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(netlink_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
