// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Guest tier: regression tests of the core (issues 11 and 13), each of a
 * bug that a fuzz or stress campaign found and each failing before its
 * fix:
 *  - the buffer and dma-sgl dumps validated their attributes with a
 *    one-entry policy read as the family's maximum (KASAN out-of-bounds on
 *    the debug kernel, silently accepted attributes elsewhere);
 *  - per-object event order broke under concurrency (an sgl id reused
 *    before its SGL_DEL, events for sgls and buffers never announced, a
 *    refused MAP producing events);
 *  - switching the huge parameter under a live mapping made the fault path
 *    fill 4 KiB entries over a huge one (a WARNING);
 *  - ten dma-sgls of one host page made DMA-API debug warn about
 *    overlapping mappings;
 *  - max_sgl_segments and max_sgls_per_fd were read twice while MAP grew
 *    its arrays (a heap overflow when root lowered them in between);
 *  - a revoked dma-sgl stayed counted in its buffers' and providers'
 *    dma-sgl counts (BUFFER_SGLS, PROVIDER_SGLS) forever (test_fuzz found
 *    it: sysmem reported dma-sgls after everything was closed).
 * The kernel log scan of the VM tier (and KASAN, lockdep, DMA-API debug on
 * the debug kernel) is part of every verdict.
 */
#include "config.h"

#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/p2pbuf.h>
#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>
#include <netlink/netlink.h>

#include "util.h"

/* The test's netlink sockets (its Check fixture opens them). */
static struct tu_nl nl;

#define KIB 1024ULL
#define MIB (1024ULL * 1024)
#define PAGE 4096ULL
#define PTE "/sys/kernel/debug/p2pbuf/pte"

static const char edu0[] = "0000:00:03.0";
static const char iv0[] = "0000:00:04.0";

/* P2PBUF_IOC_MAP: the new fd, or -errno. */
static int try_map(int fd, const void *p, uint64_t len, const char *bdf,
		   uint32_t dir, struct p2pbuf_map *out)
{
	struct p2pbuf_map m;
	int err = tu_map_try(fd, p, len, bdf, dir, 0, &m);

	if (err)
		return -err;
	if (out)
		*out = m;
	return m.sgl_fd;
}

/* --- dump policies ------------------------------------------------------ */

static void put_attr(struct nl_msg *msg, void *arg)
{
	nla_put_u32(msg, *(int *)arg, 1);
}

/* Every attribute type in a BUFFER_GET or SGL_GET dump is refused. */
static void dump_attrs_refused(void)
{
	static const uint8_t cmds[] = { P2PBUF_NL_CMD_BUFFER_GET,
					P2PBUF_NL_CMD_SGL_GET };
	unsigned int c;
	int type;

	for (c = 0; c < sizeof(cmds); c++) {
		ck_assert_int_eq(tu_nl_request(&nl, cmds[c], NLM_F_DUMP, NULL,
					       NULL, NULL, 0, NULL),
				 0);
		for (type = 1; type <= P2PBUF_NL_A_MAX + 4; type++)
			ck_assert_msg(tu_nl_request(&nl, cmds[c], NLM_F_DUMP,
						    put_attr, &type, NULL, 0,
						    NULL) == EINVAL,
				      "cmd %u with attribute %d accepted",
				      cmds[c], type);
	}
}

START_TEST(test_dump_attrs_refused)
{
	pid_t pid;
	int st;

	dump_attrs_refused();
	/* The same as an unprivileged user (the KASAN report had UID 65534). */
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (!pid) {
		if (setgid(65534) || setuid(65534))
			_exit(2);
		tu_nl_fixture_setup(&nl);
		dump_attrs_refused();
		_exit(0);
	}
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert_msg(WIFEXITED(st) && !WEXITSTATUS(st),
		      "as uid 65534: status %#x", st);
}
END_TEST

/* --- event order -------------------------------------------------------- */

/* Events the monitor of test_event_order keeps. */
#define MAX_EVENTS 200000

#define RACE_ROUNDS 3000

struct racer {
	int fd;
	void *p;
	uint64_t len;
	int maps; /* successful MAPs */
	int errors; /* MAPs failing with an unexpected errno */
	int first_error;
	bool replaced; /* the main thread replaces the mapping */
};

/* MAP and close as fast as possible: sgl ids are reused at once. */
static void *map_close(void *arg)
{
	struct racer *r = arg;
	int i, sfd;

	for (i = 0; i < RACE_ROUNDS; i++) {
		sfd = try_map(r->fd, r->p, r->len, edu0,
			      P2PBUF_DMA_BIDIRECTIONAL, NULL);
		if (sfd >= 0) {
			r->maps++;
			close(sfd);
		} else if (sfd != -ENODEV && !(r->replaced && sfd == -EFAULT)) {
			/*
			 * A revoked buffer is -ENODEV; while the main thread
			 * replaces a mapping, its range is briefly unmapped.
			 */
			if (!r->errors++)
				r->first_error = -sfd;
		}
	}
	return NULL;
}

/*
 * Two threads MAP and close dma-sgls of one host buffer (their ids are
 * reused at once), a third MAPs a BAR buffer that the main thread revokes
 * and replaces over and over, and a monitor watches: every object's events
 * are in order, and exactly the successful MAPs were announced.
 */
START_TEST(test_event_order)
{
	struct racer host[2], bar = { 0 };
	pthread_t t[3];
	struct tu_monitor mon;
	struct p2pbuf_alloc a, ba;
	uint32_t prov;
	void *bp;
	int fd = tu_dev_open(), i, news;

	tu_monitor_start(&mon, nl.family, MAX_EVENTS);
	prov = tu_nl_provider_add(&nl, iv0);
	for (i = 0; i < 2; i++) {
		host[i].fd = fd;
		host[i].len = 16 * KIB;
		host[i].maps = host[i].errors = 0;
	}
	host[0].p = tu_alloc_map(fd, 0, 16 * KIB, &a);
	host[1].p = host[0].p;
	bp = tu_alloc_map(fd, prov, 64 * KIB, &ba);
	bar.fd = fd;
	bar.p = bp;
	bar.replaced = true;
	bar.len = 64 * KIB;
	for (i = 0; i < 2; i++)
		ck_assert_int_eq(
			pthread_create(&t[i], NULL, map_close, &host[i]), 0);
	ck_assert_int_eq(pthread_create(&t[2], NULL, map_close, &bar), 0);
	/*
	 * Revoke the BAR buffer under the racer, then give it a new one at
	 * the same address.
	 */
	for (i = 0; i < 200; i++) {
		struct p2pbuf_free f = { .size = sizeof(f) };

		ck_assert_int_eq(tu_nl_request(&nl, P2PBUF_NL_CMD_BUFFER_REVOKE,
					       NLM_F_ACK, tu_nl_put_buffer_id,
					       &ba.handle, NULL, 0, NULL),
				 0);
		f.handle = ba.handle;
		ck_assert_int_eq(ioctl(fd, P2PBUF_IOC_FREE, &f), 0);
		memset(&ba, 0, sizeof(ba));
		ba.size = sizeof(ba);
		ba.length = 64 * KIB;
		ba.provider_id = prov;
		ck_assert_int_eq(ioctl(fd, P2PBUF_IOC_ALLOC, &ba), 0);
		ck_assert(mmap(bp, 64 * KIB, PROT_READ | PROT_WRITE,
			       MAP_SHARED | MAP_FIXED, fd,
			       ba.mmap_offset) == bp);
	}
	for (i = 0; i < 3; i++)
		ck_assert_int_eq(pthread_join(t[i], NULL), 0);
	for (i = 0; i < 2; i++)
		ck_assert_msg(!host[i].errors, "host MAP failed: %s",
			      strerror(host[i].first_error));
	ck_assert_msg(!bar.errors, "BAR MAP failed: %s",
		      strerror(bar.first_error));
	munmap(bp, 64 * KIB);
	munmap(host[0].p, 16 * KIB);
	close(fd);
	ck_assert_int_eq(tu_nl_provider_del(&nl, prov, true), 0);
	tu_monitor_stop(&mon);

	news = tu_event_order(&mon, TU_EV_SGL, NULL);
	ck_assert_int_eq(news, host[0].maps + host[1].maps + bar.maps);
	ck_assert_int_ge(tu_event_order(&mon, TU_EV_BUFFER, NULL), 2 + 200);
	tu_monitor_free(&mon);
}
END_TEST

/* --- the huge parameter ------------------------------------------------- */

/* Page-table entry size of the caller's p2pbuf mapping at p, 0 if none. */
static unsigned long pte_size(const void *p)
{
	char line[128], *s;
	unsigned long size = 0;
	int fd = open(PTE, O_RDONLY);
	ssize_t n;

	ck_assert_msg(fd >= 0, PTE ": %s (the module needs its test hooks)",
		      strerror(errno));
	n = pread(fd, line, sizeof(line) - 1, (off_t)(uintptr_t)p);
	close(fd);
	ck_assert_msg(n > 0, "pread " PTE ": %s", strerror(errno));
	line[n] = 0;
	s = strstr(line, "size=");
	if (s)
		size = strtoul(s + 5, NULL, 10);
	return size;
}

/*
 * Switching huge off applies to later mappings: a mapping made with it on
 * keeps mapping 2 MiB blocks with huge entries (none is ever filled with
 * 4 KiB entries over a huge one: that was a WARNING), a mapping made after
 * uses 4 KiB entries only.  On kernels without huge pfn mappings every
 * entry is 4 KiB, and the data must be right either way.
 */
START_TEST(test_huge_param_later_mappings)
{
	struct p2pbuf_alloc a;
	volatile uint8_t *p, *q;
	unsigned long first;
	uint32_t prov = tu_nl_provider_add(&nl, iv0);
	int fd = tu_dev_open();
	uint64_t i;

	tu_set_param("prefault", "Y");
	tu_set_param("huge", "Y");
	p = tu_alloc_map(fd, prov, 8 * MIB, &a);
	p[0] = 0x11; /* block 0 */
	first = pte_size((const void *)p);
	ck_assert_msg(first == 4096 || first == 2 * MIB, "entry size %lu",
		      first);
	tu_set_param("huge", "N");
	for (i = 2 * MIB; i < 8 * MIB; i += PAGE)
		p[i] = (uint8_t)(i >> 12);
	for (i = 2 * MIB; i < 8 * MIB; i += 2 * MIB)
		ck_assert_uint_eq(pte_size((const void *)(p + i)), first);
	for (i = 2 * MIB; i < 8 * MIB; i += PAGE)
		ck_assert_uint_eq(p[i], (uint8_t)(i >> 12));
	ck_assert_uint_eq(p[0], 0x11);
	/* A new mapping of the same buffer: 4 KiB entries. */
	q = mmap(NULL, 4 * MIB, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
		 a.mmap_offset);
	ck_assert(q != MAP_FAILED);
	ck_assert_uint_eq(q[2 * MIB], (uint8_t)((2 * MIB) >> 12));
	ck_assert_uint_eq(pte_size((const void *)(q + 2 * MIB)), 4096);
	tu_set_param("huge", "Y");
	munmap((void *)q, 4 * MIB);
	munmap((void *)p, 8 * MIB);
	close(fd);
	ck_assert_int_eq(tu_nl_provider_del(&nl, prov, true), 0);
}
END_TEST

/* --- overlapping DMA mappings ------------------------------------------- */

/*
 * Ten dma-sgls of one host page, device-writable, for one target: one
 * shared DMA mapping (DMA-API debug counts overlapping mappings of a cache
 * line and warns beyond seven overlaps), so the same addresses.
 */
START_TEST(test_shared_mapping)
{
	struct p2pbuf_segments s;
	struct p2pbuf_segment seg[1], first = { 0 };
	struct p2pbuf_alloc a;
	int fd = tu_dev_open(), sfd[10], i;
	void *p = tu_alloc_map(fd, 0, PAGE, &a);

	for (i = 0; i < 10; i++) {
		sfd[i] = try_map(fd, p, PAGE, edu0, P2PBUF_DMA_FROM_DEVICE,
				 NULL);
		ck_assert_msg(sfd[i] >= 0, "MAP %d: %s", i, strerror(-sfd[i]));
		memset(&s, 0, sizeof(s));
		s.size = sizeof(s);
		s.segments = (uintptr_t)seg;
		s.capacity = 1;
		ck_assert_int_eq(ioctl(sfd[i], P2PBUF_IOC_SEGMENTS, &s), 0);
		ck_assert_uint_eq(s.nr_segments, 1);
		if (!i)
			first = seg[0];
		ck_assert_uint_eq(seg[0].dma_addr, first.dma_addr);
		ck_assert_uint_eq(seg[0].length, PAGE);
	}
	for (i = 0; i < 10; i++)
		close(sfd[i]);
	munmap(p, PAGE);
	close(fd);
}
END_TEST

/* Every PCI function of the rig, sorted. */
static int pci_functions(char bdfs[][RIG_BDF_LEN], int max)
{
	struct dirent **names;
	int n, i, k = 0;

	n = scandir("/sys/bus/pci/devices", &names, NULL, alphasort);
	ck_assert_int_gt(n, 0);
	for (i = 0; i < n; i++) {
		if (names[i]->d_name[0] != '.' && k < max)
			snprintf(bdfs[k++], RIG_BDF_LEN, "%.*s",
				 RIG_BDF_LEN - 1, names[i]->d_name);
		free(names[i]);
	}
	free(names);
	return k;
}

/*
 * Different targets cannot share: a host buffer takes at most eight
 * device-writable DMA-API mappings at a time (EBUSY for the ninth), as
 * many as DMA-API debug accepts; read-only ones do not count, and closing
 * one makes room.
 */
START_TEST(test_writable_map_limit)
{
	char bdfs[64][RIG_BDF_LEN];
	struct p2pbuf_alloc a;
	int fd = tu_dev_open(), sfd[64], n, i, ok = 0, busy = -1, ro;
	void *p = tu_alloc_map(fd, 0, PAGE, &a);

	n = pci_functions(bdfs, 64);
	for (i = 0; i < n; i++) {
		sfd[i] = try_map(fd, p, PAGE, bdfs[i], P2PBUF_DMA_FROM_DEVICE,
				 NULL);
		if (sfd[i] >= 0) {
			ok++;
		} else if (sfd[i] == -EBUSY) {
			busy = i;
			break;
		}
	}
	ck_assert_msg(ok == 8 && busy >= 0, "%d writable mappings, then %s", ok,
		      busy >= 0 ? "EBUSY" : "no refusal");
	/* Read-only mappings of the same page are not limited. */
	ro = try_map(fd, p, PAGE, bdfs[busy], P2PBUF_DMA_TO_DEVICE, NULL);
	ck_assert_msg(ro >= 0, "TO_DEVICE MAP: %s", strerror(-ro));
	close(ro);
	/* Room again once one goes. */
	for (i = 0; i < busy; i++)
		if (sfd[i] >= 0) {
			close(sfd[i]);
			sfd[i] = -1;
			break;
		}
	sfd[busy] =
		try_map(fd, p, PAGE, bdfs[busy], P2PBUF_DMA_FROM_DEVICE, NULL);
	ck_assert_msg(sfd[busy] >= 0, "MAP after a close: %s",
		      strerror(-sfd[busy]));
	for (i = 0; i <= busy; i++)
		if (sfd[i] >= 0)
			close(sfd[i]);
	munmap(p, PAGE);
	close(fd);
}
END_TEST

/* --- tunables read once -------------------------------------------------- */

#define PIECES 1024 /* VMAs, alternating between two buffers */
#define TUNABLE_ROUNDS 40

/*
 * A child rewrites max_sgl_segments and max_sgls_per_fd as fast as it can
 * while the parent makes dma-sgls of PIECES alternating VMAs (so MAP grows
 * its piece and segment arrays many times): every MAP succeeds or fails
 * with E2BIG or ENOSPC, consistently, and nothing in the kernel log (KASAN
 * on the debug kernel) complains.
 */
START_TEST(test_tunables_rewritten)
{
	static const char *const segs[] = {
		"1", "2", "3", "5", "17", "64", "100", "511", "1024", "65536"
	};
	static const char *const sgls[] = { "1", "2", "4", "1024" };
	struct p2pbuf_alloc a, b;
	struct p2pbuf_map m;
	int fd = tu_dev_open(), i, sfd, ok = 0, big = 0, full = 0;
	uint8_t *area;
	pid_t pid;

	munmap(tu_alloc_map(fd, 0, PIECES / 2 * PAGE, &a), PIECES / 2 * PAGE);
	munmap(tu_alloc_map(fd, 0, PIECES / 2 * PAGE, &b), PIECES / 2 * PAGE);
	area = mmap(NULL, PIECES * PAGE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS,
		    -1, 0);
	ck_assert(area != MAP_FAILED);
	for (i = 0; i < PIECES; i++) {
		const struct p2pbuf_alloc *x = i % 2 ? &b : &a;

		ck_assert(mmap(area + i * PAGE, PAGE, PROT_READ | PROT_WRITE,
			       MAP_SHARED | MAP_FIXED, fd,
			       x->mmap_offset + i / 2 * PAGE) ==
			  area + i * PAGE);
	}
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (!pid) {
		for (i = 0;; i++) {
			char path[128];
			FILE *f;

			snprintf(path, sizeof(path), TU_PARAMS "%s",
				 i % 2 ? "max_sgls_per_fd" :
					 "max_sgl_segments");
			f = fopen(path, "w");
			if (!f)
				_exit(1);
			fputs(i % 2 ? sgls[i / 2 % 4] : segs[i / 2 % 10], f);
			fclose(f);
		}
	}
	for (i = 0; i < TUNABLE_ROUNDS; i++) {
		sfd = try_map(fd, area, PIECES * PAGE, edu0,
			      P2PBUF_DMA_BIDIRECTIONAL, &m);
		if (sfd >= 0) {
			ck_assert_uint_le(m.nr_segments, PIECES);
			ok++;
			close(sfd);
		} else if (sfd == -E2BIG) {
			big++;
		} else {
			ck_assert_msg(sfd == -ENOSPC, "MAP: %s",
				      strerror(-sfd));
			full++;
		}
	}
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	tu_set_param("max_sgl_segments", "65536");
	tu_set_param("max_sgls_per_fd", "1024");
	/* And the full limit maps it for sure. */
	sfd = try_map(fd, area, PIECES * PAGE, edu0, P2PBUF_DMA_BIDIRECTIONAL,
		      &m);
	ck_assert_msg(sfd >= 0, "MAP: %s", strerror(-sfd));
	ck_assert_uint_eq(m.nr_segments, PIECES);
	close(sfd);
	printf("tunables rewritten: %d mapped, %d E2BIG, %d ENOSPC\n", ok, big,
	       full);
	munmap(area, PIECES * PAGE);
	close(fd);
}
END_TEST

/* --- dma-sgl counts after a revocation --------------------------------- */

/* The PROVIDER_SGLS of provider id. */
static uint32_t prov_sgls(uint32_t id)
{
	struct tu_nl_msg p[16];
	int n = tu_nl_dump(&nl, P2PBUF_NL_CMD_PROVIDER_GET, p, 16), i;

	for (i = 0; i < n; i++)
		if (p[i].provider_id == id)
			return p[i].prov_sgls;
	ck_abort_msg("provider %u not listed", id);
	return 0;
}

/* The BUFFER_SGLS of buffer id. */
static uint32_t buf_sgls(uint32_t id)
{
	struct tu_nl_msg b[16];
	int n = tu_nl_dump(&nl, P2PBUF_NL_CMD_BUFFER_GET, b, 16), i;

	for (i = 0; i < n; i++)
		if (b[i].buffer_id == id)
			return b[i].sgls;
	ck_abort_msg("buffer %u not listed", id);
	return 0;
}

/*
 * A revoked dma-sgl no longer covers its buffers: their counts and their
 * providers' go down at the revocation (host RAM and a BAR), and stay down
 * when it is closed.
 */
START_TEST(test_revoked_sgl_uncounted)
{
	struct p2pbuf_alloc a[2];
	uint32_t prov = tu_nl_provider_add(&nl, iv0), provs[2] = { 0, prov };
	int fd = tu_dev_open(), sfd[2], i;
	void *p[2];

	for (i = 0; i < 2; i++) {
		p[i] = tu_alloc_map(fd, provs[i], 64 * KIB, &a[i]);
		sfd[i] = try_map(fd, p[i], 64 * KIB, edu0,
				 P2PBUF_DMA_BIDIRECTIONAL, NULL);
		ck_assert_msg(sfd[i] >= 0, "MAP: %s", strerror(-sfd[i]));
		ck_assert_uint_eq(prov_sgls(provs[i]), 1);
		ck_assert_uint_eq(buf_sgls(a[i].handle), 1);
	}
	for (i = 0; i < 2; i++) {
		ck_assert_int_eq(tu_nl_buffer_revoke(&nl, a[i].handle), 0);
		tu_assert_sgl_revoked(sfd[i]);
		ck_assert_uint_eq(prov_sgls(provs[i]), 0);
		ck_assert_uint_eq(buf_sgls(a[i].handle), 0);
	}
	for (i = 0; i < 2; i++) {
		close(sfd[i]);
		munmap(p[i], 64 * KIB);
		ck_assert_uint_eq(prov_sgls(provs[i]), 0);
	}
	close(fd);
	ck_assert_int_eq(tu_nl_provider_del(&nl, prov, false), 0);
}
END_TEST

static void setup(void)
{
	tu_nl_fixture_setup(&nl);
}

static void teardown(void)
{
	tu_nl_fixture_teardown(&nl);
}

static Suite *core_suite(void)
{
	Suite *s = suite_create("core");
	TCase *tc = tu_tcase(s, "core", 600, setup, teardown);

	tcase_add_test(tc, test_dump_attrs_refused);
	tcase_add_test(tc, test_event_order);
	tcase_add_test(tc, test_huge_param_later_mappings);
	tcase_add_test(tc, test_shared_mapping);
	tcase_add_test(tc, test_writable_map_limit);
	tcase_add_test(tc, test_tunables_rewritten);
	tcase_add_test(tc, test_revoked_sgl_uncounted);
	return s;
}

int main(void)
{
	return tu_run(core_suite());
}
