// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Guest tier: fault injection, fail-nth style (issue 13).  On a kernel
 * with CONFIG_FAULT_INJECTION (the VM tier's debug kernel: FAILSLAB,
 * FAIL_PAGE_ALLOC), every ioctl, the device's mmap, open and close, and
 * every request command of the netlink family is run with
 * /proc/thread-self/fail-nth = 1, 2, 3, ... -- the n-th slab or page
 * allocation of the call fails -- until a run completes without an
 * injected fault.  Each run must succeed or fail with an errno of an
 * allocation failure (ENOMEM, or what the layer above makes of it), the
 * state must stay consistent (what failed can be undone, what succeeded
 * works), and at the end every buffer and dma-sgl is gone and every
 * provider whole.  kmemleak (every error path frees what it took) and the
 * kernel log scans are the VM tier's.
 *
 * failslab and fail_page_alloc are set up as syzkaller does: sleeping
 * allocations are failed too (ignore-gfp-wait N), order-0 pages too
 * (min-order 0), quietly (verbose 0: a stack dump per injected failure
 * would read as a splat).  Restored at the end.  The allocator's own
 * report of a failed allocation that did not ask for silence (warn_alloc:
 * "vmalloc error:", "page allocation failure:", a stack dump) is expected:
 * the run is wrapped in RIG_EXPECT_ALLOCFAIL markers for the log scan.
 *
 * Kernels without fault injection (the Debian ones): the test says loudly
 * that it does not apply, and passes.
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <linux/p2pbuf.h>

#include "util.h"

#define FAIL_NTH "/proc/thread-self/fail-nth"
#define MAX_NTH 2000 /* a call with more injection points fails the test */
#define KIB 1024UL
#define PAGE 4096UL

static const char edu0[] = "0000:00:03.0";

static struct tu_nl nl;
static char ivshmem[2][RIG_BDF_LEN];

/* The state a step works on: set up before, cleaned up after each run. */
struct st {
	int fd, fd2, sfd, nl;
	uint32_t prov; /* ivshmem0's BAR 2, registered for the whole test */
	uint32_t prov2; /* ivshmem1's, by the steps that need it */
	struct p2pbuf_alloc a[2];
	bool alloced[2];
	void *p;
	uint64_t len;
	int nth_fd;
};

static struct st st;

/* --- fail-nth -------------------------------------------------------------- */

static void nth_set(int n)
{
	char b[16];
	int l = snprintf(b, sizeof(b), "%d", n);

	ck_assert_int_eq(write(st.nth_fd, b, l), l);
}

/* Whether the fault was injected (the counter ran out); disarms it. */
static bool nth_fired(void)
{
	char b[16] = "";
	ssize_t r = pread(st.nth_fd, b, sizeof(b) - 1, 0);

	ck_assert_int_gt(r, 0);
	if (atoi(b) == 0)
		return true;
	nth_set(0);
	return false;
}

/* --- the debugfs knobs of failslab and fail_page_alloc ----------------------- */

struct knob {
	const char *path, *val;
	char old[32];
};

static struct knob knobs[] = {
	{ .path = "/sys/kernel/debug/failslab/ignore-gfp-wait", .val = "N" },
	{ .path = "/sys/kernel/debug/failslab/verbose", .val = "0" },
	{ .path = "/sys/kernel/debug/fail_page_alloc/ignore-gfp-wait",
	  .val = "N" },
	{ .path = "/sys/kernel/debug/fail_page_alloc/ignore-gfp-highmem",
	  .val = "N" },
	{ .path = "/sys/kernel/debug/fail_page_alloc/min-order", .val = "0" },
	{ .path = "/sys/kernel/debug/fail_page_alloc/verbose", .val = "0" },
};

#define NKNOBS (sizeof(knobs) / sizeof(knobs[0]))

static bool in_region;

static void knobs_set(void)
{
	unsigned int i;

	/* The allocator's reports of the failures are expected from here. */
	ck_assert_int_eq(rig_kmsg_write(RIG_EXPECT_ALLOCFAIL_BEGIN), 0);
	in_region = true;

	for (i = 0; i < NKNOBS; i++) {
		FILE *f = fopen(knobs[i].path, "r");

		ck_assert_msg(f, "%s: %s", knobs[i].path, strerror(errno));
		ck_assert(fgets(knobs[i].old, sizeof(knobs[i].old), f));
		fclose(f);
		knobs[i].old[strcspn(knobs[i].old, "\n")] = 0;
		tu_write_file(knobs[i].path, knobs[i].val);
	}
}

static void knobs_restore(void)
{
	unsigned int i;

	for (i = 0; i < NKNOBS; i++)
		if (knobs[i].old[0])
			tu_write_file(knobs[i].path, knobs[i].old);
	if (in_region)
		rig_kmsg_write(RIG_EXPECT_ALLOCFAIL_END);
	in_region = false;
}

/* --- netlink, raw and non-blocking (an ack may itself fail to be sent) ------ */

struct nlreq {
	uint8_t cmd;
	uint16_t flags;
	int nattrs;
	struct {
		uint16_t type;
		uint8_t len;
		uint8_t data[16];
	} a[6];
};

static void req_u32(struct nlreq *r, uint16_t type, uint32_t v)
{
	r->a[r->nattrs].type = type;
	r->a[r->nattrs].len = 4;
	memcpy(r->a[r->nattrs++].data, &v, 4);
}

static void req_str(struct nlreq *r, uint16_t type, const char *s)
{
	r->a[r->nattrs].type = type;
	r->a[r->nattrs].len = (uint8_t)(strlen(s) + 1);
	memcpy(r->a[r->nattrs++].data, s, strlen(s) + 1);
}

static void req_flag(struct nlreq *r, uint16_t type)
{
	r->a[r->nattrs].type = type;
	r->a[r->nattrs++].len = 0;
}

static int nl_open(void)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	return fd;
}

/*
 * Send r and collect what is queued (generic netlink answers in sendmsg):
 * 0 on a zero ack, -1 with errno set to the ack's error, ENOBUFS if there
 * was no ack (its allocation failed), or send's errno.  *id gets the
 * provider id of a PROVIDER_ADD answer.
 */
static int nl_call(const struct nlreq *r, uint32_t *id, bool inject, int n,
		   bool *fired)
{
	static uint8_t buf[1 << 16] __attribute__((aligned(8)));
	static uint32_t seq;
	uint8_t m[512] __attribute__((aligned(8)));
	struct nlmsghdr *h = (struct nlmsghdr *)m;
	struct genlmsghdr *g = (struct genlmsghdr *)(h + 1);
	size_t len = NLMSG_HDRLEN + GENL_HDRLEN;
	int i, err = ENOBUFS;
	ssize_t got;

	memset(m, 0, sizeof(m));
	for (i = 0; i < r->nattrs; i++) {
		struct nlattr *a = (struct nlattr *)(m + len);

		a->nla_type = r->a[i].type;
		a->nla_len = (uint16_t)(NLA_HDRLEN + r->a[i].len);
		memcpy(a + 1, r->a[i].data, r->a[i].len);
		len += NLA_ALIGN(a->nla_len);
	}
	h->nlmsg_len = (uint32_t)len;
	h->nlmsg_type = (uint16_t)nl.family;
	h->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | r->flags;
	h->nlmsg_seq = ++seq;
	g->cmd = r->cmd;
	g->version = P2PBUF_NL_FAMILY_VERSION;
	if (inject)
		nth_set(n);
	got = send(st.nl, m, len, 0);
	i = errno;
	if (inject)
		*fired = nth_fired();
	if (got < 0) {
		errno = i;
		return -1;
	}
	while ((got = recv(st.nl, buf, sizeof(buf), MSG_DONTWAIT)) > 0) {
		struct nlmsghdr *a = (struct nlmsghdr *)buf;

		for (; NLMSG_OK(a, got); a = NLMSG_NEXT(a, got)) {
			if (a->nlmsg_seq != seq)
				continue;
			if (a->nlmsg_type == NLMSG_ERROR)
				err = -((struct nlmsgerr *)NLMSG_DATA(a))->error;
			else if (a->nlmsg_type == NLMSG_DONE)
				err = 0;
			else if (id && a->nlmsg_type == nl.family) {
				struct tu_nl_msg msg;

				tu_nl_parse(a, &msg);
				*id = msg.provider_id;
			}
		}
	}
	/* A socket error: a dump part or an ack that could not be queued. */
	if (got < 0 && errno != EAGAIN)
		err = errno;
	if (err) {
		errno = err;
		return -1;
	}
	return 0;
}

/* The same without injection, which must work. */
static void nl_must(const struct nlreq *r, uint32_t *id)
{
	ck_assert_msg(nl_call(r, id, false, 0, NULL) == 0,
		      "netlink command %u: %s", r->cmd, strerror(errno));
}

static void add_req(struct nlreq *r, const char *bdf)
{
	memset(r, 0, sizeof(*r));
	r->cmd = P2PBUF_NL_CMD_PROVIDER_ADD;
	req_u32(r, P2PBUF_NL_A_PROVIDER_KIND, P2PBUF_NL_PROVIDER_KIND_PCIBAR);
	req_str(r, P2PBUF_NL_A_PROVIDER_PCI_ADDR, bdf);
	req_u32(r, P2PBUF_NL_A_PROVIDER_BAR, 2);
	req_u32(r, P2PBUF_NL_A_PROVIDER_FLAGS,
		P2PBUF_NL_PROVIDER_F_HOST_BRIDGE_P2P);
}

static void del_req(struct nlreq *r, uint32_t id, bool force)
{
	memset(r, 0, sizeof(*r));
	r->cmd = P2PBUF_NL_CMD_PROVIDER_DEL;
	req_u32(r, P2PBUF_NL_A_PROVIDER_ID, id);
	if (force)
		req_flag(r, P2PBUF_NL_A_FORCE);
}

/* Is provider id registered? */
static bool prov_exists(uint32_t id)
{
	struct tu_nl_msg p[16];
	int n = tu_nl_dump(&nl, P2PBUF_NL_CMD_PROVIDER_GET, p, 16), i;

	for (i = 0; i < n; i++)
		if (p[i].provider_id == id)
			return true;
	return false;
}

/* --- state helpers ------------------------------------------------------------ */

static void alloc(int i, uint32_t prov, uint64_t len)
{
	int err = tu_alloc_try(st.fd, prov, len, &st.a[i]);

	ck_assert_msg(!err, "ALLOC: %s", strerror(err));
	st.alloced[i] = true;
}

static void alloc_map(uint32_t prov)
{
	alloc(0, prov, 64 * KIB);
	st.len = 64 * KIB;
	st.p = mmap(NULL, st.len, PROT_READ | PROT_WRITE, MAP_SHARED, st.fd,
		    (off_t)st.a[0].mmap_offset);
	ck_assert(st.p != MAP_FAILED);
	memset(st.p, 0x5a, st.len);
}

/* Undo whatever a step left: sgl, mappings, buffers, the second provider. */
static void cleanup(void)
{
	int i;

	if (st.sfd >= 0)
		close(st.sfd);
	st.sfd = -1;
	if (st.p && st.p != MAP_FAILED)
		munmap(st.p, st.len);
	st.p = NULL;
	for (i = 0; i < 2; i++)
		if (st.alloced[i]) {
			int err = tu_free_try(st.fd, st.a[i].handle);

			/* A FREE that failed under injection is done now. */
			ck_assert_msg(err == 0 || err == ENOENT, "FREE: %s",
				      strerror(err));
			st.alloced[i] = false;
		}
	if (st.fd2 >= 0)
		close(st.fd2);
	st.fd2 = -1;
	/*
	 * Every provider but sysmem and ivshmem0's: also one whose
	 * PROVIDER_ADD worked but whose answer could not be sent.
	 */
	{
		struct tu_nl_msg p[16];
		int n = tu_nl_dump(&nl, P2PBUF_NL_CMD_PROVIDER_GET, p, 16);

		for (i = 0; i < n; i++)
			if (p[i].provider_id && p[i].provider_id != st.prov) {
				struct nlreq r;

				del_req(&r, p[i].provider_id, true);
				nl_must(&r, NULL);
			}
	}
	st.prov2 = 0;
}

/* --- the steps ------------------------------------------------------------------ */

struct step {
	const char *name;
	void (*setup)(void);
	/* The call: 0 or -1 with errno; inject says to arm fail-nth = n. */
	int (*call)(bool inject, int n, bool *fired);
	/* After a successful call (not injected or not failed): its result. */
	void (*after)(void);
};

/* Arm, make the syscall expression x, disarm: the common case. */
#define SYSCALL_STEP(name, expr)                         \
	static int name(bool inject, int n, bool *fired) \
	{                                                \
		long r;                                  \
		int e;                                   \
		if (inject)                              \
			nth_set(n);                      \
		r = (expr);                              \
		e = errno;                               \
		if (inject)                              \
			*fired = nth_fired();            \
		errno = e;                               \
		return r < 0 ? -1 : 0;                   \
	}

static struct p2pbuf_info info;
static struct p2pbuf_alloc na;
static struct p2pbuf_free fr;
static struct p2pbuf_map mp;
static struct p2pbuf_reach rc;
static struct p2pbuf_segments sg;
static struct p2pbuf_segment segs[16];
static struct p2pbuf_sync sy;
static int newfd = -1;
static void *newmap = MAP_FAILED;

static void setup_none(void)
{
}

/* open and close of the device */
SYSCALL_STEP(call_open, (newfd = open(TU_DEV, O_RDWR | O_CLOEXEC)))
static void after_open(void)
{
	close(newfd);
	newfd = -1;
}

static void setup_fd2(void)
{
	struct p2pbuf_alloc a;
	void *p;

	st.fd2 = tu_dev_open();
	/* Buffers, a mapping and a dma-sgl to release with the file. */
	ck_assert_int_eq(tu_alloc_try(st.fd2, 0, 64 * KIB, &a), 0);
	ck_assert_int_eq(tu_alloc_try(st.fd2, st.prov, 64 * KIB, &a), 0);
	p = mmap(NULL, 64 * KIB, PROT_READ | PROT_WRITE, MAP_SHARED, st.fd2,
		 (off_t)a.mmap_offset);
	ck_assert(p != MAP_FAILED);
	st.sfd = tu_map(st.fd2, p, 64 * KIB, edu0, P2PBUF_DMA_TO_DEVICE, NULL);
	munmap(p, 64 * KIB);
}

SYSCALL_STEP(call_close_fd2, close(st.fd2))
static void after_close_fd2(void)
{
	st.fd2 = -1;
}

SYSCALL_STEP(call_info, ioctl(st.fd, P2PBUF_IOC_INFO,
			      (memset(&info, 0, sizeof(info)),
			       info.size = sizeof(info), &info)))

static void setup_alloc_host(void)
{
	memset(&na, 0, sizeof(na));
	na.size = sizeof(na);
	na.length = 256 * KIB;
	na.provider_id = 0;
}

static void setup_alloc_huge(void)
{
	setup_alloc_host();
	na.length = 4 << 20;
}

static void setup_alloc_bar(void)
{
	setup_alloc_host();
	na.provider_id = st.prov;
}

SYSCALL_STEP(call_alloc, ioctl(st.fd, P2PBUF_IOC_ALLOC, &na))
static void after_alloc(void)
{
	void *p = mmap(NULL, na.length, PROT_READ | PROT_WRITE, MAP_SHARED,
		       st.fd, (off_t)na.mmap_offset);

	/* The buffer works: mapped, zeroed, writable. */
	ck_assert(p != MAP_FAILED);
	ck_assert_uint_eq(((volatile uint8_t *)p)[na.length - 1], 0);
	((volatile uint8_t *)p)[0] = 1;
	munmap(p, na.length);
	ck_assert_int_eq(tu_free_try(st.fd, na.handle), 0);
}

static void setup_free(void)
{
	alloc(0, 0, 64 * KIB);
	memset(&fr, 0, sizeof(fr));
	fr.size = sizeof(fr);
	fr.handle = st.a[0].handle;
}

SYSCALL_STEP(call_free, ioctl(st.fd, P2PBUF_IOC_FREE, &fr))
static void after_free(void)
{
	st.alloced[0] = false;
}

static void setup_mmap_host(void)
{
	alloc(0, 0, 64 * KIB);
}

static void setup_mmap_bar(void)
{
	alloc(0, st.prov, 4 << 20);
}

SYSCALL_STEP(call_mmap,
	     ((newmap = mmap(NULL, st.a[0].length, PROT_READ | PROT_WRITE,
			     MAP_SHARED, st.fd, (off_t)st.a[0].mmap_offset)) ==
			      MAP_FAILED ?
		      -1 :
		      0))
static void after_mmap(void)
{
	((volatile uint8_t *)newmap)[0] = 1;
	munmap(newmap, st.a[0].length);
	newmap = MAP_FAILED;
}

static void setup_munmap(void)
{
	alloc_map(0);
}

SYSCALL_STEP(call_munmap, munmap(st.p, st.len))
static void after_munmap(void)
{
	st.p = NULL;
}

static void setup_map_common(void *p, uint64_t len)
{
	memset(&mp, 0, sizeof(mp));
	mp.size = sizeof(mp);
	mp.addr = (uintptr_t)p;
	mp.length = len;
	tu_target_of(edu0, &mp.target);
	mp.direction = P2PBUF_DMA_BIDIRECTIONAL;
}

static void setup_map_host(void)
{
	alloc_map(0);
	setup_map_common(st.p, st.len);
}

static void setup_map_bar(void)
{
	alloc_map(st.prov);
	setup_map_common(st.p, st.len);
}

/* Two buffers (host, BAR) side by side: one MAP over both. */
static void setup_map_two(void)
{
	uint8_t *area;

	alloc(0, 0, 64 * KIB);
	alloc(1, st.prov, 64 * KIB);
	st.len = 128 * KIB;
	area = mmap(NULL, st.len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1,
		    0);
	ck_assert(area != MAP_FAILED);
	ck_assert(mmap(area, 64 * KIB, PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_FIXED, st.fd,
		       (off_t)st.a[0].mmap_offset) == area);
	ck_assert(mmap(area + 64 * KIB, 64 * KIB, PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_FIXED, st.fd,
		       (off_t)st.a[1].mmap_offset) == area + 64 * KIB);
	st.p = area;
	setup_map_common(st.p, st.len);
}

SYSCALL_STEP(call_map, ioctl(st.fd, P2PBUF_IOC_MAP, &mp))
static void after_map(void)
{
	struct p2pbuf_segments s;

	st.sfd = mp.sgl_fd;
	memset(&s, 0, sizeof(s));
	s.size = sizeof(s);
	ck_assert_int_eq(ioctl(st.sfd, P2PBUF_IOC_SEGMENTS, &s), 0);
	ck_assert_uint_eq(s.state, P2PBUF_SGL_STATE_MAPPED);
	ck_assert_uint_eq(s.length, st.len);
}

static void setup_sgl(void)
{
	alloc_map(0);
	st.sfd = tu_map(st.fd, st.p, st.len, edu0, P2PBUF_DMA_BIDIRECTIONAL,
			NULL);
	memset(&sg, 0, sizeof(sg));
	sg.size = sizeof(sg);
	sg.segments = (uintptr_t)segs;
	sg.capacity = 16;
	memset(&sy, 0, sizeof(sy));
	sy.size = sizeof(sy);
	sy.flags = P2PBUF_SYNC_F_FOR_DEVICE;
}

SYSCALL_STEP(call_segments, ioctl(st.sfd, P2PBUF_IOC_SEGMENTS, &sg))
SYSCALL_STEP(call_sync, ioctl(st.sfd, P2PBUF_IOC_SYNC, &sy))
SYSCALL_STEP(call_close_sgl, close(st.sfd))
static void after_close_sgl(void)
{
	st.sfd = -1;
}

static void setup_reach(void)
{
	memset(&rc, 0, sizeof(rc));
	rc.size = sizeof(rc);
	rc.provider_id = st.prov;
	tu_target_of(edu0, &rc.target);
}

static void setup_reach_bar(void)
{
	setup_reach();
	rc.provider_id = 0;
	rc.flags = P2PBUF_REACH_F_PCI_BAR;
	tu_target_of(ivshmem[1], &rc.bar_device);
	rc.bar = 2;
}

SYSCALL_STEP(call_reach, ioctl(st.fd, P2PBUF_IOC_REACH, &rc))

/* netlink */
static struct nlreq req;
static uint32_t added;

static void setup_nl_add(void)
{
	add_req(&req, ivshmem[1]);
	added = 0;
}

static int call_nl(bool inject, int n, bool *fired)
{
	return nl_call(&req, &added, inject, n, fired);
}

static void after_nl_add(void)
{
	ck_assert_uint_ne(added, 0);
	st.prov2 = added;
}

static void setup_nl_del(void)
{
	struct nlreq r;

	add_req(&r, ivshmem[1]);
	nl_must(&r, &st.prov2);
	del_req(&req, st.prov2, false);
}

/* Force: with a buffer, a mapping and a dma-sgl to revoke. */
static void setup_nl_del_force(void)
{
	setup_nl_del();
	alloc_map(st.prov2);
	st.sfd =
		tu_map(st.fd, st.p, st.len, edu0, P2PBUF_DMA_FROM_DEVICE, NULL);
	del_req(&req, st.prov2, true);
}

static void after_nl_del(void)
{
	ck_assert(!prov_exists(st.prov2));
	st.prov2 = 0;
}

static void setup_nl_get(void)
{
	memset(&req, 0, sizeof(req));
	req.cmd = P2PBUF_NL_CMD_PROVIDER_GET;
	req_u32(&req, P2PBUF_NL_A_PROVIDER_ID, st.prov);
}

static void setup_nl_dump(uint8_t cmd)
{
	alloc_map(0);
	st.sfd = tu_map(st.fd, st.p, st.len, edu0, P2PBUF_DMA_TO_DEVICE, NULL);
	memset(&req, 0, sizeof(req));
	req.cmd = cmd;
	req.flags = NLM_F_DUMP;
}

static void setup_nl_prov_dump(void)
{
	setup_nl_dump(P2PBUF_NL_CMD_PROVIDER_GET);
}

static void setup_nl_buf_dump(void)
{
	setup_nl_dump(P2PBUF_NL_CMD_BUFFER_GET);
}

static void setup_nl_sgl_dump(void)
{
	setup_nl_dump(P2PBUF_NL_CMD_SGL_GET);
}

static void setup_nl_revoke(void)
{
	alloc_map(st.prov);
	st.sfd = tu_map(st.fd, st.p, st.len, edu0, P2PBUF_DMA_TO_DEVICE, NULL);
	memset(&req, 0, sizeof(req));
	req.cmd = P2PBUF_NL_CMD_BUFFER_REVOKE;
	req_u32(&req, P2PBUF_NL_A_BUFFER_ID, st.a[0].handle);
}

static void after_nl_revoke(void)
{
	tu_assert_sgl_revoked(st.sfd);
	ck_assert_int_eq(tu_touch(st.p), SIGBUS);
}

static const struct step steps[] = {
	{ "open", setup_none, call_open, after_open },
	{ "close (buffers, dma-sgl)", setup_fd2, call_close_fd2,
	  after_close_fd2 },
	{ "INFO", setup_none, call_info, NULL },
	{ "ALLOC host", setup_alloc_host, call_alloc, after_alloc },
	{ "ALLOC host 4 MiB", setup_alloc_huge, call_alloc, after_alloc },
	{ "ALLOC BAR", setup_alloc_bar, call_alloc, after_alloc },
	{ "FREE", setup_free, call_free, after_free },
	{ "mmap host", setup_mmap_host, call_mmap, after_mmap },
	{ "mmap BAR 4 MiB", setup_mmap_bar, call_mmap, after_mmap },
	{ "munmap", setup_munmap, call_munmap, after_munmap },
	{ "MAP host", setup_map_host, call_map, after_map },
	{ "MAP BAR", setup_map_bar, call_map, after_map },
	{ "MAP host+BAR", setup_map_two, call_map, after_map },
	{ "SEGMENTS", setup_sgl, call_segments, NULL },
	{ "SYNC", setup_sgl, call_sync, NULL },
	{ "close dma-sgl", setup_sgl, call_close_sgl, after_close_sgl },
	{ "REACH", setup_reach, call_reach, NULL },
	{ "REACH PCI_BAR", setup_reach_bar, call_reach, NULL },
	{ "PROVIDER_ADD", setup_nl_add, call_nl, after_nl_add },
	{ "PROVIDER_DEL", setup_nl_del, call_nl, after_nl_del },
	{ "PROVIDER_DEL force", setup_nl_del_force, call_nl, after_nl_del },
	{ "PROVIDER_GET", setup_nl_get, call_nl, NULL },
	{ "PROVIDER_GET dump", setup_nl_prov_dump, call_nl, NULL },
	{ "BUFFER_GET dump", setup_nl_buf_dump, call_nl, NULL },
	{ "SGL_GET dump", setup_nl_sgl_dump, call_nl, NULL },
	{ "BUFFER_REVOKE", setup_nl_revoke, call_nl, after_nl_revoke },
};

/* What an injected allocation failure may turn into. */
static bool injected_errno(int e)
{
	return e == ENOMEM || e == ENOBUFS || e == EFAULT || e == EAGAIN ||
	       e == EIO || e == EMSGSIZE;
}

START_TEST(test_failnth)
{
	unsigned int s;
	unsigned long total = 0;

	if (access(FAIL_NTH, F_OK)) {
		printf("fail-nth: NOT APPLICABLE on this kernel: no %s "
		       "(CONFIG_FAULT_INJECTION is off); the debug kernel "
		       "runs it\n",
		       FAIL_NTH);
		fflush(stdout);
		return;
	}
	ck_assert_int_eq(rig_pci_find(0x1af4, 0x1110, ivshmem, 2), 2);
	memset(&st, 0, sizeof(st));
	st.sfd = st.fd2 = -1;
	st.fd = tu_dev_open();
	st.nl = nl_open();
	st.prov = tu_nl_provider_add(&nl, ivshmem[0]);
	st.nth_fd = open(FAIL_NTH, O_RDWR | O_CLOEXEC);
	ck_assert_int_ge(st.nth_fd, 0);
	knobs_set();
	for (s = 0; s < sizeof(steps) / sizeof(steps[0]); s++) {
		const struct step *t = &steps[s];
		int n, failed = 0, ok = 0, r, e;
		char errs[128] = "";

		for (n = 1; n <= MAX_NTH; n++) {
			bool fired = false;

			t->setup();
			r = t->call(true, n, &fired);
			e = errno;
			if (!fired) {
				/* No fault left to inject: it must work. */
				ck_assert_msg(r == 0,
					      "%s, no fault injected: %s",
					      t->name, strerror(e));
				if (t->after)
					t->after();
				cleanup();
				break;
			}
			if (r == 0) {
				ok++; /* an allocation with a fallback */
				if (t->after)
					t->after();
			} else {
				ck_assert_msg(injected_errno(e),
					      "%s with fail-nth %d: %s (%d)",
					      t->name, n, strerror(e), e);
				failed++;
				if (!strstr(errs, strerrorname_np(e)) &&
				    strlen(errs) < sizeof(errs) - 16) {
					strcat(errs, " ");
					strcat(errs, strerrorname_np(e));
				}
			}
			cleanup();
		}
		ck_assert_msg(n <= MAX_NTH, "%s: still injecting after %d",
			      t->name, MAX_NTH);
		printf("fail-nth: %-26s %3d injection points: %3d failed (%s), "
		       "%3d succeeded anyway\n",
		       t->name, n - 1, failed, errs[0] ? errs + 1 : "-", ok);
		total += (unsigned long)n - 1;
	}
	knobs_restore();
	printf("fail-nth: %zu calls, %lu injected faults\n",
	       sizeof(steps) / sizeof(steps[0]), total);
	fflush(stdout);
	close(st.nth_fd);
	close(st.nl);
	close(st.fd);
	tu_nl_assert_providers_whole(&nl);
	ck_assert_int_eq(tu_nl_provider_del(&nl, st.prov, false), 0);
}
END_TEST

static void setup(void)
{
	tu_nl_fixture_setup(&nl);
}

static void teardown(void)
{
	knobs_restore();
	tu_nl_fixture_teardown(&nl);
}

static Suite *failnth_suite(void)
{
	Suite *s = suite_create("failnth");
	TCase *tc = tu_tcase(s, "failnth", 1200, setup, teardown);

	tcase_add_test(tc, test_failnth);
	return s;
}

int main(void)
{
	return tu_run(failnth_suite());
}
