// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Guest tier: providers and the "p2pbuf" generic netlink family, against
 * the real module inside the test VM (linked statically).
 *
 * Messages are built with libnl-genl and received with a raw recv() loop,
 * so that the test sees each datagram (a dump must span several), each
 * error's extended ack (message, missing-attribute type) and can send
 * malformed attributes that a library would never produce.
 *
 * Every test starts and must end with sysmem as the only provider (the
 * fixture checks both and removes leftovers so that one failure does not
 * cascade).  Devices are found by vendor:device, not by address.
 */
#include "config.h"

#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/netlink.h>
#include <linux/p2pbuf.h>
#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>
#include <netlink/msg.h>

#include "util.h"

#define SYSFS_PCI "/sys/bus/pci/devices"
#define MODULE_PATH "/p2pbuf.ko"
#define MIB (1024ULL * 1024)
#define IORESOURCE_IO 0x100ULL
#define IORESOURCE_PREFETCH 0x2000ULL
#define MAX_PROVS 256
#define RECV_BUF 65536 /* more than the kernel's largest datagram */
#define SMALL_RECV 4096 /* a dump of 65 providers needs several of these */

/* One provider as the family describes it; -1/absent fields are noted. */
struct prov {
	uint32_t id, kind, bar, buffers, flags;
	int32_t numa_node;
	uint64_t size, free, offset;
	char pci_addr[32];
	bool has_pci;
};

/* The outcome of one request. */
struct reply {
	int err; /* positive errno, 0 on success */
	char ext_msg[256]; /* extack message, "" if none */
	int miss_type; /* NLMSGERR_ATTR_MISS_TYPE, -1 if none */
	int ndgrams; /* datagrams received */
	int nprovs;
	struct prov provs[MAX_PROVS];
};

static struct nl_sock *sk;
static int family;
/* Receive buffer size of xfer_on(); it caps the kernel's dump datagrams. */
static size_t recv_size = RECV_BUF;
static char ivshmem[RIG_BDF_LEN];
static uint64_t bar2_size;

static void nl_open(struct nl_sock **s, int *fam)
{
	int one = 1;

	*s = nl_socket_alloc();
	ck_assert_ptr_nonnull(*s);
	ck_assert_int_eq(genl_connect(*s), 0);
	nl_socket_disable_auto_ack(*s);
	ck_assert_int_eq(setsockopt(nl_socket_get_fd(*s), SOL_NETLINK,
				    NETLINK_EXT_ACK, &one, sizeof(one)),
			 0);
	*fam = genl_ctrl_resolve(*s, P2PBUF_NL_FAMILY_NAME);
	ck_assert_msg(*fam > 0, "family %s: %s", P2PBUF_NL_FAMILY_NAME,
		      nl_geterror(*fam));
}

static struct nl_msg *new_msg(uint8_t cmd, int flags)
{
	struct nl_msg *msg = nlmsg_alloc();

	ck_assert_ptr_nonnull(msg);
	ck_assert_ptr_nonnull(genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ,
					  family, 0, flags, cmd,
					  P2PBUF_NL_FAMILY_VERSION));
	return msg;
}

static void parse_prov(struct nlmsghdr *nlh, struct prov *p)
{
	struct nlattr *tb[P2PBUF_NL_A_MAX + 1];

	ck_assert_int_eq(genlmsg_parse(nlh, 0, tb, P2PBUF_NL_A_MAX, NULL), 0);
	memset(p, 0, sizeof(*p));
	/* Attributes every provider has. */
	ck_assert_ptr_nonnull(tb[P2PBUF_NL_A_PROVIDER_ID]);
	ck_assert_ptr_nonnull(tb[P2PBUF_NL_A_PROVIDER_KIND]);
	ck_assert_ptr_nonnull(tb[P2PBUF_NL_A_PROVIDER_SIZE]);
	ck_assert_ptr_nonnull(tb[P2PBUF_NL_A_PROVIDER_FREE]);
	ck_assert_ptr_nonnull(tb[P2PBUF_NL_A_PROVIDER_BUFFERS]);
	ck_assert_ptr_nonnull(tb[P2PBUF_NL_A_PROVIDER_FLAGS]);
	ck_assert_ptr_nonnull(tb[P2PBUF_NL_A_PROVIDER_NUMA_NODE]);
	p->id = nla_get_u32(tb[P2PBUF_NL_A_PROVIDER_ID]);
	p->kind = nla_get_u32(tb[P2PBUF_NL_A_PROVIDER_KIND]);
	p->size = nla_get_u64(tb[P2PBUF_NL_A_PROVIDER_SIZE]);
	p->free = nla_get_u64(tb[P2PBUF_NL_A_PROVIDER_FREE]);
	p->buffers = nla_get_u32(tb[P2PBUF_NL_A_PROVIDER_BUFFERS]);
	p->flags = nla_get_u32(tb[P2PBUF_NL_A_PROVIDER_FLAGS]);
	p->numa_node = (int32_t)nla_get_u32(tb[P2PBUF_NL_A_PROVIDER_NUMA_NODE]);
	if (tb[P2PBUF_NL_A_PROVIDER_PCI_ADDR]) {
		p->has_pci = true;
		nla_strlcpy(p->pci_addr, tb[P2PBUF_NL_A_PROVIDER_PCI_ADDR],
			    sizeof(p->pci_addr));
		ck_assert_ptr_nonnull(tb[P2PBUF_NL_A_PROVIDER_BAR]);
		ck_assert_ptr_nonnull(tb[P2PBUF_NL_A_PROVIDER_OFFSET]);
		p->bar = nla_get_u32(tb[P2PBUF_NL_A_PROVIDER_BAR]);
		p->offset = nla_get_u64(tb[P2PBUF_NL_A_PROVIDER_OFFSET]);
	}
}

/* The extended ack of an NLMSG_ERROR message. */
static void parse_error(struct nlmsghdr *nlh, struct reply *r)
{
	struct nlmsgerr *e = NLMSG_DATA(nlh);
	struct nlattr *tb[NLMSGERR_ATTR_MAX + 1] = { 0 };
	size_t off;

	r->err = -e->error;
	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS))
		return;
	off = sizeof(*e);
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
		off += e->msg.nlmsg_len - sizeof(e->msg);
	ck_assert_int_eq(nla_parse(tb, NLMSGERR_ATTR_MAX,
				   (struct nlattr *)((char *)e + off),
				   nlmsg_datalen(nlh) - off, NULL),
			 0);
	if (tb[NLMSGERR_ATTR_MSG])
		nla_strlcpy(r->ext_msg, tb[NLMSGERR_ATTR_MSG],
			    sizeof(r->ext_msg));
	if (tb[NLMSGERR_ATTR_MISS_TYPE])
		r->miss_type = nla_get_u32(tb[NLMSGERR_ATTR_MISS_TYPE]);
}

/*
 * Send msg (freed) on s and collect the answer: provider messages until
 * the ack (doit, NLM_F_ACK) or NLMSG_DONE (dump).
 */
static void xfer_on(struct nl_sock *s, struct nl_msg *msg, struct reply *r)
{
	static char buf[RECV_BUF] __attribute__((aligned(8)));
	uint32_t seq;
	bool done = false;

	memset(r, 0, sizeof(*r));
	r->miss_type = -1;
	ck_assert_int_ge(nl_send_auto(s, msg), 0);
	seq = nlmsg_hdr(msg)->nlmsg_seq;
	nlmsg_free(msg);
	while (!done) {
		struct nlmsghdr *nlh = (struct nlmsghdr *)buf;
		struct msghdr mh = { 0 };
		struct iovec iov = { buf, recv_size };
		ssize_t n;

		mh.msg_iov = &iov;
		mh.msg_iovlen = 1;
		n = recvmsg(nl_socket_get_fd(s), &mh, 0);
		ck_assert_msg(n > 0, "recvmsg: %s", strerror(errno));
		ck_assert_msg(!(mh.msg_flags & MSG_TRUNC),
			      "datagram truncated");
		r->ndgrams++;
		for (; NLMSG_OK(nlh, n); nlh = NLMSG_NEXT(nlh, n)) {
			if (nlh->nlmsg_seq != seq)
				continue;
			if (nlh->nlmsg_type == NLMSG_DONE) {
				r->err = -*(int *)NLMSG_DATA(nlh);
				done = true;
			} else if (nlh->nlmsg_type == NLMSG_ERROR) {
				parse_error(nlh, r);
				done = true;
			} else {
				ck_assert_int_eq(nlh->nlmsg_type, family);
				ck_assert_int_lt(r->nprovs, MAX_PROVS);
				parse_prov(nlh, &r->provs[r->nprovs++]);
			}
		}
	}
}

static void xfer(struct nl_msg *msg, struct reply *r)
{
	xfer_on(sk, msg, r);
}

static void put_pcibar(struct nl_msg *msg, const char *bdf, uint32_t bar)
{
	ck_assert_int_eq(nla_put_u32(msg, P2PBUF_NL_A_PROVIDER_KIND,
				     P2PBUF_NL_PROVIDER_KIND_PCIBAR),
			 0);
	ck_assert_int_eq(
		nla_put_string(msg, P2PBUF_NL_A_PROVIDER_PCI_ADDR, bdf), 0);
	ck_assert_int_eq(nla_put_u32(msg, P2PBUF_NL_A_PROVIDER_BAR, bar), 0);
}

/* PROVIDER_ADD of bar of bdf, with offset/size when size != 0. */
static void add(const char *bdf, uint32_t bar, uint64_t offset, uint64_t size,
		struct reply *r)
{
	struct nl_msg *msg = new_msg(P2PBUF_NL_CMD_PROVIDER_ADD, NLM_F_ACK);

	put_pcibar(msg, bdf, bar);
	if (size) {
		ck_assert_int_eq(nla_put_u64(msg, P2PBUF_NL_A_PROVIDER_OFFSET,
					     offset),
				 0);
		ck_assert_int_eq(
			nla_put_u64(msg, P2PBUF_NL_A_PROVIDER_SIZE, size), 0);
	}
	xfer(msg, r);
}

/* Add and expect success: the new provider's id. */
static uint32_t add_ok(const char *bdf, uint32_t bar, uint64_t offset,
		       uint64_t size, struct prov *out)
{
	static struct reply r;

	add(bdf, bar, offset, size, &r);
	ck_assert_msg(r.err == 0, "add %s BAR %u [%llu+%llu]: %s (%s)", bdf,
		      bar, (unsigned long long)offset, (unsigned long long)size,
		      strerror(r.err), r.ext_msg);
	ck_assert_int_eq(r.nprovs, 1);
	if (out)
		*out = r.provs[0];
	return r.provs[0].id;
}

static void id_request(struct nl_sock *s, uint8_t cmd, uint32_t id,
		       struct reply *r)
{
	struct nl_msg *msg = new_msg(cmd, NLM_F_ACK);

	ck_assert_int_eq(nla_put_u32(msg, P2PBUF_NL_A_PROVIDER_ID, id), 0);
	xfer_on(s, msg, r);
}

static void del_ok(uint32_t id)
{
	static struct reply r;

	id_request(sk, P2PBUF_NL_CMD_PROVIDER_DEL, id, &r);
	ck_assert_msg(r.err == 0, "del %u: %s (%s)", id, strerror(r.err),
		      r.ext_msg);
	ck_assert_int_eq(r.nprovs, 0);
}

static void dump_on(struct nl_sock *s, struct reply *r)
{
	xfer_on(s, new_msg(P2PBUF_NL_CMD_PROVIDER_GET, NLM_F_DUMP), r);
	ck_assert_msg(r->err == 0, "dump: %s", strerror(r->err));
}

static void dump(struct reply *r)
{
	dump_on(sk, r);
}

static void assert_error(const struct reply *r, int err, const char *msg)
{
	ck_assert_msg(r->err == err, "got %d (%s, \"%s\"), expected %d (%s)",
		      r->err, strerror(r->err), r->ext_msg, err, strerror(err));
	ck_assert_int_eq(r->nprovs, 0);
	if (msg)
		ck_assert_str_eq(r->ext_msg, msg);
}

/* --- sysfs helpers ---------------------------------------------------- */

/* Flags column of BAR bar in bdf's sysfs resource file. */
static uint64_t bar_flags(const char *bdf, int bar)
{
	unsigned long long s, e, fl;
	char path[PATH_MAX];
	FILE *f;
	int i;

	snprintf(path, sizeof(path), SYSFS_PCI "/%s/resource", bdf);
	f = fopen(path, "r");
	ck_assert_msg(f, "%s: %s", path, strerror(errno));
	for (i = 0; fscanf(f, "%llx %llx %llx", &s, &e, &fl) == 3; i++)
		if (i == bar)
			break;
	fclose(f);
	ck_assert_int_eq(i, bar);
	return fl;
}

static int numa_node(const char *bdf)
{
	char path[PATH_MAX];
	long long v;
	FILE *f;

	snprintf(path, sizeof(path), SYSFS_PCI "/%s/numa_node", bdf);
	f = fopen(path, "r");
	/* No numa_node attribute without CONFIG_NUMA: NUMA_NO_NODE. */
	if (!f && errno == ENOENT)
		return -1;
	ck_assert_msg(f, "%s: %s", path, strerror(errno));
	ck_assert_int_eq(fscanf(f, "%lld", &v), 1);
	fclose(f);
	return (int)v;
}

static uint64_t mem_total(void)
{
	unsigned long long kib = 0;
	char line[256];
	FILE *f = fopen("/proc/meminfo", "r");

	ck_assert_ptr_nonnull(f);
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "MemTotal: %llu kB", &kib) == 1)
			break;
	fclose(f);
	ck_assert_uint_gt(kib, 0);
	return kib * 1024;
}

/* --- fixture ---------------------------------------------------------- */

static void assert_only_sysmem(const struct reply *r)
{
	ck_assert_int_eq(r->nprovs, 1);
	ck_assert_uint_eq(r->provs[0].id, P2PBUF_PROVIDER_ID_SYSMEM);
	ck_assert_uint_eq(r->provs[0].kind, P2PBUF_NL_PROVIDER_KIND_SYSMEM);
	ck_assert_uint_eq(r->provs[0].buffers, 0);
}

static void setup(void)
{
	static struct reply r;

	tu_rig_ivshmem(ivshmem, &bar2_size);
	ck_assert_uint_eq(bar2_size, 64 * MIB);
	nl_open(&sk, &family);
	dump(&r);
	assert_only_sysmem(&r);
}

/* Accounting returns to its start: sysmem only, nothing allocated. */
static void teardown(void)
{
	static struct reply r;
	int i;

	dump(&r);
	for (i = 0; i < r.nprovs; i++)
		if (r.provs[i].id != P2PBUF_PROVIDER_ID_SYSMEM)
			del_ok(r.provs[i].id);
	assert_only_sysmem(&r);
	nl_socket_free(sk);
	sk = NULL;
}

/* --- tests ------------------------------------------------------------ */

START_TEST(test_sysmem_listed)
{
	static struct reply r;

	/* Both the dump (checked by the fixture) and GET by id. */
	id_request(sk, P2PBUF_NL_CMD_PROVIDER_GET, P2PBUF_PROVIDER_ID_SYSMEM,
		   &r);
	ck_assert_int_eq(r.err, 0);
	ck_assert_int_eq(r.nprovs, 1);
	ck_assert_uint_eq(r.provs[0].id, P2PBUF_PROVIDER_ID_SYSMEM);
	ck_assert_uint_eq(r.provs[0].kind, P2PBUF_NL_PROVIDER_KIND_SYSMEM);
	/* totalram_pages, which is MemTotal. */
	ck_assert_uint_eq(r.provs[0].size, mem_total());
	ck_assert_uint_gt(r.provs[0].free, 0);
	ck_assert_uint_le(r.provs[0].free, r.provs[0].size);
	ck_assert_uint_eq(r.provs[0].flags, 0);
	ck_assert_int_eq(r.provs[0].numa_node, -1);
	ck_assert(!r.provs[0].has_pci);
}
END_TEST

static void assert_bar2(const struct prov *p, uint32_t id)
{
	ck_assert_uint_eq(p->id, id);
	ck_assert_uint_eq(p->kind, P2PBUF_NL_PROVIDER_KIND_PCIBAR);
	ck_assert(p->has_pci);
	ck_assert_str_eq(p->pci_addr, ivshmem);
	ck_assert_uint_eq(p->bar, 2);
	ck_assert_uint_eq(p->offset, 0);
	ck_assert_uint_eq(p->size, bar2_size);
	ck_assert_uint_eq(p->free, bar2_size);
	ck_assert_uint_eq(p->buffers, 0);
	/* ivshmem's BAR 2 is prefetchable RAM. */
	ck_assert(bar_flags(ivshmem, 2) & IORESOURCE_PREFETCH);
	ck_assert_uint_eq(p->flags, P2PBUF_NL_PROVIDER_F_PREFETCHABLE);
	ck_assert_int_eq(p->numa_node, numa_node(ivshmem));
}

START_TEST(test_add_bar2)
{
	static struct reply r;
	struct prov added;
	uint32_t id;
	int i, found = 0;

	id = add_ok(ivshmem, 2, 0, 0, &added);
	ck_assert_uint_gt(id, P2PBUF_PROVIDER_ID_SYSMEM);
	assert_bar2(&added, id);

	id_request(sk, P2PBUF_NL_CMD_PROVIDER_GET, id, &r);
	ck_assert_int_eq(r.err, 0);
	ck_assert_int_eq(r.nprovs, 1);
	assert_bar2(&r.provs[0], id);

	dump(&r);
	ck_assert_int_eq(r.nprovs, 2);
	for (i = 0; i < r.nprovs; i++) {
		if (r.provs[i].id == id) {
			assert_bar2(&r.provs[i], id);
			found++;
		}
	}
	ck_assert_int_eq(found, 1);

	del_ok(id);
	id_request(sk, P2PBUF_NL_CMD_PROVIDER_GET, id, &r);
	assert_error(&r, ENOENT, "no provider with this id");
	id_request(sk, P2PBUF_NL_CMD_PROVIDER_DEL, id, &r);
	assert_error(&r, ENOENT, "no provider with this id");
}
END_TEST

/* Explicit whole-BAR range, then sub-ranges that overlap it or each other. */
/* The administrator's host-bridge permission is requested and reported. */
START_TEST(test_add_host_bridge_flag)
{
	struct nl_msg *msg = new_msg(P2PBUF_NL_CMD_PROVIDER_ADD, NLM_F_ACK);
	static struct reply r;

	put_pcibar(msg, ivshmem, 2);
	ck_assert_int_eq(nla_put_u32(msg, P2PBUF_NL_A_PROVIDER_FLAGS,
				     P2PBUF_NL_PROVIDER_F_HOST_BRIDGE_P2P),
			 0);
	xfer(msg, &r);
	ck_assert_msg(r.err == 0, "add: %s (%s)", strerror(r.err), r.ext_msg);
	ck_assert_int_eq(r.nprovs, 1);
	ck_assert_uint_eq(r.provs[0].flags,
			  P2PBUF_NL_PROVIDER_F_PREFETCHABLE |
				  P2PBUF_NL_PROVIDER_F_HOST_BRIDGE_P2P);
	del_ok(r.provs[0].id);
}
END_TEST

START_TEST(test_add_overlap)
{
	static struct reply r;
	uint32_t whole, low;

	whole = add_ok(ivshmem, 2, 0, bar2_size, NULL);
	add(ivshmem, 2, 0, 0, &r);
	assert_error(&r, EEXIST, "range overlaps a registered provider");
	add(ivshmem, 2, bar2_size - 4096, 4096, &r);
	assert_error(&r, EEXIST, "range overlaps a registered provider");
	del_ok(whole);

	low = add_ok(ivshmem, 2, 0, 2 * MIB, NULL);
	/* Overlapping by one page at the end of low. */
	add(ivshmem, 2, 2 * MIB - 4096, 2 * MIB, &r);
	assert_error(&r, EEXIST, "range overlaps a registered provider");
	/* Adjacent is fine. */
	del_ok(add_ok(ivshmem, 2, 2 * MIB, 2 * MIB, NULL));
	del_ok(low);
}
END_TEST

START_TEST(test_add_bar0_unaligned)
{
	static struct reply r;
	uint64_t start, size;

	/* ivshmem's register BAR: 256 bytes, smaller than a page. */
	ck_assert_int_eq(rig_pci_resource(ivshmem, 0, &start, &size), 0);
	ck_assert_uint_eq(size, 256);
	add(ivshmem, 0, 0, 0, &r);
	assert_error(&r, EINVAL, "BAR is not page aligned");
}
END_TEST

/* Find a device with an I/O-port BAR (q35's ICH9 SMBus and SATA have). */
static bool find_io_bar(char *bdf, int *bar)
{
	DIR *dir = opendir(SYSFS_PCI);
	struct dirent *de;
	bool found = false;

	ck_assert_ptr_nonnull(dir);
	while (!found && (de = readdir(dir))) {
		int i;

		if (de->d_name[0] == '.')
			continue;
		for (i = 0; i < 6 && !found; i++) {
			if (bar_flags(de->d_name, i) & IORESOURCE_IO) {
				ck_assert_uint_lt(strlen(de->d_name),
						  RIG_BDF_LEN);
				strcpy(bdf, de->d_name);
				*bar = i;
				found = true;
			}
		}
	}
	closedir(dir);
	return found;
}

START_TEST(test_add_io_bar)
{
	static struct reply r;
	char bdf[RIG_BDF_LEN];
	int bar;

	ck_assert_msg(find_io_bar(bdf, &bar), "the rig has no I/O-port BAR");
	add(bdf, bar, 0, 0, &r);
	assert_error(&r, EINVAL, "BAR is an I/O-port BAR, not memory");
}
END_TEST

START_TEST(test_add_unimplemented_bar)
{
	static struct reply r;

	/* ivshmem-plain implements BARs 0 and 2 only. */
	ck_assert_uint_eq(bar_flags(ivshmem, 4), 0);
	add(ivshmem, 4, 0, 0, &r);
	assert_error(&r, EINVAL, "BAR is not implemented by the device");
}
END_TEST

START_TEST(test_add_range_checks)
{
	static struct reply r;

	add(ivshmem, 2, 4096 + 512, 4096, &r);
	assert_error(&r, EINVAL, "offset is not page aligned");
	add(ivshmem, 2, 0, 4096 + 512, &r);
	assert_error(&r, EINVAL, "size is not page aligned");
	add(ivshmem, 2, bar2_size, 4096, &r);
	assert_error(&r, EINVAL, "range does not fit in the BAR");
	add(ivshmem, 2, bar2_size - 4096, 8192, &r);
	assert_error(&r, EINVAL, "range does not fit in the BAR");
	/* offset + size wraps around: must not pass the check. */
	add(ivshmem, 2, 4096, 0xfffffffffffff000ULL, &r);
	assert_error(&r, EINVAL, "range does not fit in the BAR");
}
END_TEST

START_TEST(test_add_nodev)
{
	static struct reply r;
	struct stat st;

	ck_assert_int_eq(stat(SYSFS_PCI "/0000:fe:1f.7", &st), -1);
	add("0000:fe:1f.7", 2, 0, 0, &r);
	assert_error(&r, ENODEV, "no PCI device at this address");
	ck_assert_int_eq(stat(SYSFS_PCI "/0001:00:04.0", &st), -1);
	add("0001:00:04.0", 2, 0, 0, &r);
	assert_error(&r, ENODEV, "no PCI device at this address");
}
END_TEST

START_TEST(test_del_sysmem)
{
	static struct reply r;

	id_request(sk, P2PBUF_NL_CMD_PROVIDER_DEL, P2PBUF_PROVIDER_ID_SYSMEM,
		   &r);
	assert_error(&r, EINVAL, "the sysmem provider cannot be removed");
}
END_TEST

/* Results of the unprivileged child, sent through a pipe. */
struct unpriv_result {
	int add_err, del_err, get_err, dump_err;
	int get_nprovs, dump_nprovs;
	int euid, has_cap;
};

static void unprivileged_child(int wfd, uint32_t id)
{
	static struct reply r;
	struct unpriv_result res = { 0 };
	struct nl_sock *s;
	struct nl_msg *msg;
	int fam;

	/* Leaving uid 0 clears the effective, permitted capabilities. */
	if (setgid(65534) || setuid(65534))
		_exit(2);
	res.euid = geteuid();
	nl_open(&s, &fam);
	msg = new_msg(P2PBUF_NL_CMD_PROVIDER_ADD, NLM_F_ACK);
	put_pcibar(msg, ivshmem, 2);
	xfer_on(s, msg, &r);
	res.add_err = r.err;
	id_request(s, P2PBUF_NL_CMD_PROVIDER_DEL, id, &r);
	res.del_err = r.err;
	id_request(s, P2PBUF_NL_CMD_PROVIDER_GET, id, &r);
	res.get_err = r.err;
	res.get_nprovs = r.nprovs;
	xfer_on(s, new_msg(P2PBUF_NL_CMD_PROVIDER_GET, NLM_F_DUMP), &r);
	res.dump_err = r.err;
	res.dump_nprovs = r.nprovs;
	nl_socket_free(s);
	if (write(wfd, &res, sizeof(res)) != sizeof(res))
		_exit(3);
	_exit(0);
}

START_TEST(test_unprivileged)
{
	struct unpriv_result res;
	int pipefd[2], status;
	uint32_t id;
	pid_t pid;

	id = add_ok(ivshmem, 2, 0, 0, NULL);
	ck_assert_int_eq(pipe(pipefd), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (!pid) {
		close(pipefd[0]);
		unprivileged_child(pipefd[1], id);
	}
	close(pipefd[1]);
	ck_assert_int_eq(read(pipefd[0], &res, sizeof(res)), sizeof(res));
	close(pipefd[0]);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	ck_assert_int_eq(res.euid, 65534);
	ck_assert_int_eq(res.add_err, EPERM);
	ck_assert_int_eq(res.del_err, EPERM);
	ck_assert_int_eq(res.get_err, 0);
	ck_assert_int_eq(res.get_nprovs, 1);
	ck_assert_int_eq(res.dump_err, 0);
	ck_assert_int_eq(res.dump_nprovs, 2);
	/* The refused DEL did not remove it. */
	del_ok(id);
}
END_TEST

/* --- malformed requests: one per loop iteration ------------------------ */

struct malformed {
	const char *what;
	int err; /* EINVAL; ERANGE for a value outside the policy's range */
	uint8_t cmd;
	void (*build)(struct nl_msg *msg);
	const char *msg; /* exact extack message, NULL: any non-empty one */
	int miss_type; /* expected missing attribute, 0 if none */
};

static void m_bar_range(struct nl_msg *msg)
{
	put_pcibar(msg, ivshmem, 6);
}

/* The kind and ivshmem's address, for the builders that vary the rest. */
static void put_kind_ivshmem(struct nl_msg *msg, uint32_t kind)
{
	nla_put_u32(msg, P2PBUF_NL_A_PROVIDER_KIND, kind);
	nla_put_string(msg, P2PBUF_NL_A_PROVIDER_PCI_ADDR, ivshmem);
}

static void m_bar_u16(struct nl_msg *msg)
{
	put_kind_ivshmem(msg, P2PBUF_NL_PROVIDER_KIND_PCIBAR);
	nla_put_u16(msg, P2PBUF_NL_A_PROVIDER_BAR, 2);
}

static void m_kind_range(struct nl_msg *msg)
{
	put_kind_ivshmem(msg, 0);
	nla_put_u32(msg, P2PBUF_NL_A_PROVIDER_BAR, 2);
}

static void m_kind_sysmem(struct nl_msg *msg)
{
	put_kind_ivshmem(msg, P2PBUF_NL_PROVIDER_KIND_SYSMEM);
	nla_put_u32(msg, P2PBUF_NL_A_PROVIDER_BAR, 2);
}

static void m_addr_short(struct nl_msg *msg)
{
	put_pcibar(msg, ivshmem + 5, 2);
}

static void m_addr_0x(struct nl_msg *msg)
{
	put_pcibar(msg, "0x00:00:04.0", 2);
}

static void m_addr_bad_slot(struct nl_msg *msg)
{
	put_pcibar(msg, "0000:00:20.0", 2);
}

static void m_addr_long(struct nl_msg *msg)
{
	put_pcibar(msg, "00000:00:04.0", 2);
}

static void m_addr_no_nul(struct nl_msg *msg)
{
	nla_put_u32(msg, P2PBUF_NL_A_PROVIDER_KIND,
		    P2PBUF_NL_PROVIDER_KIND_PCIBAR);
	nla_put(msg, P2PBUF_NL_A_PROVIDER_PCI_ADDR, 12, ivshmem);
	nla_put_u32(msg, P2PBUF_NL_A_PROVIDER_BAR, 2);
}

static void m_missing_bar(struct nl_msg *msg)
{
	put_kind_ivshmem(msg, P2PBUF_NL_PROVIDER_KIND_PCIBAR);
}

static void m_output_attr_valid(struct nl_msg *msg)
{
	put_pcibar(msg, ivshmem, 2);
	nla_put_u64(msg, P2PBUF_NL_A_PROVIDER_FREE, 0);
}

static void m_output_buffers(struct nl_msg *msg)
{
	put_pcibar(msg, ivshmem, 2);
	nla_put_u32(msg, P2PBUF_NL_A_PROVIDER_BUFFERS, 0);
}

static void m_flags_prefetchable(struct nl_msg *msg)
{
	put_pcibar(msg, ivshmem, 2);
	nla_put_u32(msg, P2PBUF_NL_A_PROVIDER_FLAGS,
		    P2PBUF_NL_PROVIDER_F_PREFETCHABLE |
			    P2PBUF_NL_PROVIDER_F_HOST_BRIDGE_P2P);
}

static void m_unknown_attr(struct nl_msg *msg)
{
	put_pcibar(msg, ivshmem, 2);
	nla_put_u32(msg, P2PBUF_NL_A_MAX + 1, 0);
}

static void m_size_zero(struct nl_msg *msg)
{
	put_pcibar(msg, ivshmem, 2);
	nla_put_u64(msg, P2PBUF_NL_A_PROVIDER_SIZE, 0);
}

static void m_del_no_id(struct nl_msg *msg)
{
	(void)msg;
}

static void m_del_extra(struct nl_msg *msg)
{
	nla_put_u32(msg, P2PBUF_NL_A_PROVIDER_ID, 1);
	nla_put_u32(msg, P2PBUF_NL_A_PROVIDER_BAR, 2);
}

static void m_get_id_u8(struct nl_msg *msg)
{
	nla_put_u8(msg, P2PBUF_NL_A_PROVIDER_ID, 0);
}

static const struct malformed malformed[] = {
	{ "BAR out of range", ERANGE, P2PBUF_NL_CMD_PROVIDER_ADD, m_bar_range,
	  "integer out of range", 0 },
	{ "BAR as u16", EINVAL, P2PBUF_NL_CMD_PROVIDER_ADD, m_bar_u16, NULL,
	  0 },
	{ "kind 0", ERANGE, P2PBUF_NL_CMD_PROVIDER_ADD, m_kind_range,
	  "integer out of range", 0 },
	{ "kind sysmem", EINVAL, P2PBUF_NL_CMD_PROVIDER_ADD, m_kind_sysmem,
	  "only pcibar and p2pdma providers can be added", 0 },
	{ "address without domain", EINVAL, P2PBUF_NL_CMD_PROVIDER_ADD,
	  m_addr_short, "PCI address is not DDDD:BB:DD.F", 0 },
	{ "address 0x", EINVAL, P2PBUF_NL_CMD_PROVIDER_ADD, m_addr_0x,
	  "PCI address is not DDDD:BB:DD.F", 0 },
	{ "address slot 0x20", EINVAL, P2PBUF_NL_CMD_PROVIDER_ADD,
	  m_addr_bad_slot, "PCI address is not DDDD:BB:DD.F", 0 },
	{ "address too long", EINVAL, P2PBUF_NL_CMD_PROVIDER_ADD, m_addr_long,
	  NULL, 0 },
	{ "address not NUL-terminated", EINVAL, P2PBUF_NL_CMD_PROVIDER_ADD,
	  m_addr_no_nul, NULL, 0 },
	{ "missing BAR", EINVAL, P2PBUF_NL_CMD_PROVIDER_ADD, m_missing_bar,
	  "missing BAR index", P2PBUF_NL_A_PROVIDER_BAR },
	{ "output attribute FREE", EINVAL, P2PBUF_NL_CMD_PROVIDER_ADD,
	  m_output_attr_valid, NULL, 0 },
	{ "output attribute BUFFERS", EINVAL, P2PBUF_NL_CMD_PROVIDER_ADD,
	  m_output_buffers, NULL, 0 },
	{ "flag PREFETCHABLE requested", EINVAL, P2PBUF_NL_CMD_PROVIDER_ADD,
	  m_flags_prefetchable, "only HOST_BRIDGE_P2P can be requested", 0 },
	{ "unknown attribute", EINVAL, P2PBUF_NL_CMD_PROVIDER_ADD,
	  m_unknown_attr, NULL, 0 },
	{ "size 0", ERANGE, P2PBUF_NL_CMD_PROVIDER_ADD, m_size_zero,
	  "integer out of range", 0 },
	{ "DEL without id", EINVAL, P2PBUF_NL_CMD_PROVIDER_DEL, m_del_no_id,
	  "missing provider id", P2PBUF_NL_A_PROVIDER_ID },
	{ "DEL with a BAR", EINVAL, P2PBUF_NL_CMD_PROVIDER_DEL, m_del_extra,
	  NULL, 0 },
	{ "GET id as u8", EINVAL, P2PBUF_NL_CMD_PROVIDER_GET, m_get_id_u8, NULL,
	  0 },
};

#define NR_MALFORMED ((int)(sizeof(malformed) / sizeof(malformed[0])))

/* Whether the running kernel reports missing attributes by type (6.0+). */
static bool kernel_reports_miss_type(void)
{
	static struct reply r;

	xfer(new_msg(P2PBUF_NL_CMD_PROVIDER_GET, NLM_F_ACK), &r);
	ck_assert_int_eq(r.err, EINVAL);
	ck_assert_str_eq(r.ext_msg, "missing provider id");
	return r.miss_type == P2PBUF_NL_A_PROVIDER_ID;
}

START_TEST(test_malformed)
{
	const struct malformed *m = &malformed[_i];
	static struct reply r;
	struct nl_msg *msg;
	bool miss = kernel_reports_miss_type();

	msg = new_msg(m->cmd, NLM_F_ACK);
	m->build(msg);
	xfer(msg, &r);
	ck_assert_msg(r.err == m->err, "%s: got %d (%s), expected %d", m->what,
		      r.err, r.ext_msg, m->err);
	ck_assert_int_eq(r.nprovs, 0);
	ck_assert_msg(r.ext_msg[0], "%s: no extack message", m->what);
	if (m->msg)
		ck_assert_str_eq(r.ext_msg, m->msg);
	if (m->miss_type && miss)
		ck_assert_int_eq(r.miss_type, m->miss_type);
}
END_TEST

/* 64 sub-ranges and sysmem, dumped across several datagrams. */
START_TEST(test_dump_many)
{
	enum { N = 64 };
	static struct reply r;
	uint32_t ids[N];
	bool seen[N] = { false };
	int i, j;

	struct nl_sock *small;

	for (i = 0; i < N; i++)
		ids[i] = add_ok(ivshmem, 2, i * MIB, MIB, NULL);
	/*
	 * A socket that never received with a large buffer: the kernel sizes
	 * dump datagrams by the largest receive buffer seen, and
	 * genl_ctrl_resolve() uses a large one.
	 */
	small = nl_socket_alloc();
	ck_assert_ptr_nonnull(small);
	ck_assert_int_eq(genl_connect(small), 0);
	nl_socket_disable_auto_ack(small);
	recv_size = SMALL_RECV;
	dump_on(small, &r);
	recv_size = RECV_BUF;
	nl_socket_free(small);
	ck_assert_int_eq(r.nprovs, N + 1);
	/* SMALL_RECV bytes cannot hold 65 provider messages. */
	ck_assert_int_ge(r.ndgrams, 3);
	for (i = 0; i < r.nprovs; i++) {
		if (r.provs[i].id == P2PBUF_PROVIDER_ID_SYSMEM)
			continue;
		for (j = 0; j < N && ids[j] != r.provs[i].id; j++)
			;
		ck_assert_int_lt(j, N);
		ck_assert(!seen[j]);
		seen[j] = true;
		ck_assert_uint_eq(r.provs[i].offset, j * MIB);
		ck_assert_uint_eq(r.provs[i].size, MIB);
		ck_assert_uint_eq(r.provs[i].free, MIB);
		/* In id order. */
		if (i)
			ck_assert_uint_gt(r.provs[i].id, r.provs[i - 1].id);
	}
	for (i = 0; i < N; i++)
		del_ok(ids[i]);
}
END_TEST

/* Receive one event from s within a second. */
static void recv_event(struct nl_sock *s, struct nlmsghdr **out, char *buf,
		       size_t len)
{
	struct pollfd pfd = { .fd = nl_socket_get_fd(s), .events = POLLIN };
	ssize_t n;

	ck_assert_int_eq(poll(&pfd, 1, 1000), 1);
	n = recv(pfd.fd, buf, len, 0);
	ck_assert_int_gt(n, 0);
	*out = (struct nlmsghdr *)buf;
	ck_assert(NLMSG_OK(*out, n));
}

START_TEST(test_events)
{
	static char buf[RECV_BUF] __attribute__((aligned(8)));
	struct genlmsghdr *gh;
	struct nlmsghdr *nlh;
	struct nl_sock *ev;
	struct prov p;
	int fam, grp;
	uint32_t id;

	nl_open(&ev, &fam);
	grp = genl_ctrl_resolve_grp(ev, P2PBUF_NL_FAMILY_NAME,
				    P2PBUF_NL_MCGRP_EVENTS);
	ck_assert_int_gt(grp, 0);
	ck_assert_int_eq(nl_socket_add_membership(ev, grp), 0);

	id = add_ok(ivshmem, 2, 0, 0, NULL);
	recv_event(ev, &nlh, buf, sizeof(buf));
	ck_assert_int_eq(nlh->nlmsg_type, family);
	gh = nlmsg_data(nlh);
	ck_assert_int_eq(gh->cmd, P2PBUF_NL_CMD_PROVIDER_ADD_NTF);
	parse_prov(nlh, &p);
	assert_bar2(&p, id);

	del_ok(id);
	recv_event(ev, &nlh, buf, sizeof(buf));
	gh = nlmsg_data(nlh);
	ck_assert_int_eq(gh->cmd, P2PBUF_NL_CMD_PROVIDER_DEL_NTF);
	parse_prov(nlh, &p);
	ck_assert_uint_eq(p.id, id);

	/* Refused requests send nothing. */
	del_ok(add_ok(ivshmem, 2, 0, MIB, NULL));
	recv_event(ev, &nlh, buf, sizeof(buf));
	recv_event(ev, &nlh, buf, sizeof(buf));
	{
		static struct reply r;
		struct pollfd pfd = { .fd = nl_socket_get_fd(ev),
				      .events = POLLIN };

		add(ivshmem, 0, 0, 0, &r);
		ck_assert_int_eq(r.err, EINVAL);
		ck_assert_int_eq(poll(&pfd, 1, 100), 0);
	}
	nl_socket_free(ev);
}
END_TEST

static int run(const char *const argv[])
{
	int status;
	pid_t pid = fork();

	ck_assert_int_ge(pid, 0);
	if (!pid) {
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* Write a pattern through resource2 and read it back. */
static void assert_bar2_usable(const char *bdf)
{
	volatile uint32_t *p = rig_pci_map_bar(bdf, 2, 4096);
	int i;

	ck_assert_ptr_nonnull((void *)p);
	for (i = 0; i < 1024; i++)
		p[i] = 0x5a5a0000u + i;
	for (i = 0; i < 1024; i++)
		ck_assert_uint_eq(p[i], 0x5a5a0000u + i);
	munmap((void *)p, 4096);
}

/*
 * rmmod with providers registered (one device pinned twice, another once)
 * must succeed and drop the PCI references: the kernel log stays clean (the
 * rig scans it), the devices stay usable, and the reloaded module starts
 * from sysmem alone and registers the same ranges again.
 */
START_TEST(test_unload_with_providers)
{
	const char *const rmmod[] = { "/bin/rmmod", "p2pbuf", NULL };
	const char *const insmod[] = { "/bin/insmod", MODULE_PATH, NULL };
	static struct reply r;
	char bdfs[4][RIG_BDF_LEN];
	int n, i;

	n = rig_pci_find(RIG_IVSHMEM_VENDOR, RIG_IVSHMEM_DEVICE, bdfs, 4);
	ck_assert_int_ge(n, 2);
	for (i = 0; i < n; i++)
		add_ok(bdfs[i], 2, 0, MIB, NULL);
	add_ok(bdfs[0], 2, MIB, MIB, NULL);
	nl_socket_free(sk);
	sk = NULL;

	ck_assert_int_eq(run(rmmod), 0);
	ck_assert_int_eq(access("/dev/p2pbuf", F_OK), -1);
	for (i = 0; i < n; i++)
		assert_bar2_usable(bdfs[i]);
	ck_assert_int_eq(run(insmod), 0);
	ck_assert_int_eq(access("/dev/p2pbuf", F_OK), 0);

	/* A new family id; the fixture's teardown uses this socket. */
	nl_open(&sk, &family);
	dump(&r);
	assert_only_sysmem(&r);
	for (i = 0; i < n; i++)
		del_ok(add_ok(bdfs[i], 2, 0, 0, NULL));
}
END_TEST

static Suite *provider_suite(void)
{
	Suite *s = suite_create("p2pbuf providers");
	TCase *tc;

	tc = tu_tcase(s, "providers", TU_VM_TIMEOUT, setup, teardown);
	tcase_add_test(tc, test_sysmem_listed);
	tcase_add_test(tc, test_add_bar2);
	tcase_add_test(tc, test_add_host_bridge_flag);
	tcase_add_test(tc, test_add_overlap);
	tcase_add_test(tc, test_add_bar0_unaligned);
	tcase_add_test(tc, test_add_io_bar);
	tcase_add_test(tc, test_add_unimplemented_bar);
	tcase_add_test(tc, test_add_range_checks);
	tcase_add_test(tc, test_add_nodev);
	tcase_add_test(tc, test_del_sysmem);
	tcase_add_test(tc, test_unprivileged);
	tcase_add_loop_test(tc, test_malformed, 0, NR_MALFORMED);
	tcase_add_test(tc, test_dump_many);
	tcase_add_test(tc, test_events);
	tcase_add_test(tc, test_unload_with_providers);
	return s;
}

int main(void)
{
	return tu_run(provider_suite());
}
