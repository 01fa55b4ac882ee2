// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Guest tier: concurrency stress (issue 13).  At the same time:
 *  - WORKERS processes (one of them uid 65534, with files root opened for
 *    it) of THREADS threads each, every thread ITERS rounds of: allocate a
 *    buffer from host RAM or one of two BAR providers, mmap it, write and
 *    read every page, MAP it for edu (or a second buffer with it, adjacent
 *    VMAs), read its segments, sync, poll, close, unmap, free; in half the
 *    rounds also export the buffer as a dma-buf (P2PBUF_IOC_EXPORT) and
 *    import a random range of it for edu (P2PBUF_IOC_MAP_DMABUF: p2pbuf
 *    attaches to its own export), read, sync, poll and close that
 *    dma-sgl and the dma-buf in a random order; in a quarter, where the
 *    kernel has udmabuf, import the thread's own udmabuf -- every step
 *    allowed to fail only with the errno of a revocation, a removed
 *    provider or a limit being changed;
 *  - a chaos process, CHAOS_ROUNDS rounds of: force-remove a BAR provider
 *    and add it again, revoke a random listed buffer (BUFFER_REVOKE),
 *    rewrite a module parameter (huge, prefault, host_bridge_p2p,
 *    max_sgl_segments, max_sgls_per_fd);
 *  - a monitor of the events group watching the whole run.
 * Bounded by operation counts, never by time.  Then: every buffer and
 * dma-sgl gone from the listings, every provider with all its space free
 * (and removable without force), no export left, uid 65534 uncharged,
 * and the events of buffers, dma-sgls (imports included) and exports in
 * per-object order (NEW, at most one REVOKE, one DEL) with every announced
 * object deleted.  The kernel log scans (KASAN, lockdep on the debug
 * kernel), kmemleak and the module's unload are the VM tier's.
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
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
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/p2pbuf.h>
#include <linux/udmabuf.h>
#include <netlink/genl/genl.h>
#include <netlink/netlink.h>

#include "util.h"

#define WORKERS 3
#define THREADS 2
#define ITERS 4000
#define ITERS_DEBUG 200
#define CHAOS_ROUNDS 2500
#define CHAOS_ROUNDS_DEBUG 150
#define MAX_EVENTS 400000
#define PAGE 4096UL
#define NOBODY 65534
#define UDMABUF_LEN (16 * PAGE)

static const char edu0[] = "0000:00:03.0";
static const char edu1[] = "0000:03:00.0";

/* Shared by every process (MAP_SHARED): the BAR providers' current ids. */
struct shared {
	volatile uint32_t prov[2];
	volatile unsigned long ops; /* summed by the workers at their end */
	volatile unsigned long exports, imports; /* the same */
};

static struct shared *sh;
/* A worker process's layout changes (see round_once()). */
static pthread_mutex_t layout_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_barrier_t start;
static struct tu_nl nl;
static char ivshmem[2][RIG_BDF_LEN];

struct worker {
	int fd;
	bool user;
	uint64_t rng;
	int udmabuf; /* a UDMABUF_LEN udmabuf, or -1 */
	unsigned long ops, iters, exports, imports;
	char err[256]; /* the first unexpected result */
};

static uint64_t rnd(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* Record an unexpected errno (the first one), in a thread: no Check here. */
static bool bad(struct worker *w, const char *what, int err, const int *ok,
		int n)
{
	int i;

	for (i = 0; i < n; i++)
		if (ok[i] == err)
			return false;
	if (!w->err[0])
		snprintf(w->err, sizeof(w->err), "%s: %s (%d)", what,
			 strerror(err), err);
	return true;
}

#define OK(...)                       \
	(const int[]){ __VA_ARGS__ }, \
		(int)(sizeof((const int[]){ __VA_ARGS__ }) / sizeof(int))

/*
 * Read a dma-sgl's segments (their lengths must add up to total while it is
 * mapped), sync it and poll it: a revoked one answers too.
 */
static void sgl_use(struct worker *w, int sfd, uint64_t total)
{
	struct p2pbuf_segment segs[64];
	struct p2pbuf_segments s;
	struct p2pbuf_sync y;

	memset(&s, 0, sizeof(s));
	s.size = sizeof(s);
	s.segments = (uintptr_t)segs;
	s.capacity = 64;
	s.flags = w->user ? P2PBUF_SEGMENTS_F_LENGTHS_ONLY : 0;
	w->ops++;
	if (ioctl(sfd, P2PBUF_IOC_SEGMENTS, &s)) {
		bad(w, "SEGMENTS", errno, OK(EMSGSIZE));
	} else if (s.state == P2PBUF_SGL_STATE_MAPPED) {
		uint64_t sum = 0;
		uint32_t k;

		for (k = 0; k < s.nr_segments && k < 64; k++)
			sum += segs[k].length;
		if (sum != total || s.length != total)
			bad(w, "SEGMENTS lengths", EILSEQ, OK(0));
	}
	memset(&y, 0, sizeof(y));
	y.size = sizeof(y);
	y.flags = rnd(&w->rng) % 2 ? P2PBUF_SYNC_F_FOR_CPU :
				     P2PBUF_SYNC_F_FOR_DEVICE;
	w->ops++;
	if (ioctl(sfd, P2PBUF_IOC_SYNC, &y))
		bad(w, "SYNC", errno, OK(ENODEV));
	{
		struct pollfd p = { .fd = sfd, .events = POLLIN | POLLPRI };

		w->ops++;
		if (poll(&p, 1, 0) < 0)
			bad(w, "poll", errno, OK(0));
	}
}

/*
 * MAP_DMABUF of [off, off + len) of dfd for a random edu, used and closed;
 * with close_dfd the dma-buf is closed too, before the dma-sgl half of the
 * time (the dma-sgl holds it).  Refused only as MAP is under the chaos,
 * or by p2pbuf's exporter: revoked (ENODEV), the limits (E2BIG: the
 * exporter honours max_sgl_segments too; ENOSPC), host bridge p2p off for
 * a BAR (EXDEV), a BAR export on a kernel that pins dynamic exporters
 * (EOPNOTSUPP).
 */
static void import_one(struct worker *w, int dfd, uint64_t off, uint64_t len,
		       bool close_dfd)
{
	struct p2pbuf_map_dmabuf m;
	bool dfd_first = close_dfd && rnd(&w->rng) % 2;

	memset(&m, 0, sizeof(m));
	m.size = sizeof(m);
	m.dmabuf_fd = dfd;
	m.offset = off;
	m.length = len;
	m.direction = P2PBUF_DMA_BIDIRECTIONAL;
	tu_target_of(rnd(&w->rng) % 2 ? edu0 : edu1, &m.target);
	w->ops++;
	if (ioctl(w->fd, P2PBUF_IOC_MAP_DMABUF, &m)) {
		bad(w, "MAP_DMABUF", errno,
		    OK(ENODEV, E2BIG, ENOSPC, EXDEV, EOPNOTSUPP));
		if (close_dfd)
			close(dfd);
		return;
	}
	w->imports++;
	if (dfd_first)
		close(dfd);
	sgl_use(w, m.sgl_fd, len);
	close(m.sgl_fd);
	w->ops++;
	if (close_dfd && !dfd_first)
		close(dfd);
}

/* EXPORT of a buffer of len bytes, and an import of a random range of it. */
static void export_import(struct worker *w, uint32_t handle, uint64_t len)
{
	struct p2pbuf_export e;
	uint64_t off, mlen;

	memset(&e, 0, sizeof(e));
	e.size = sizeof(e);
	e.handle = handle;
	e.length = len;
	w->ops++;
	if (ioctl(w->fd, P2PBUF_IOC_EXPORT, &e)) {
		/* Revoked already (BUFFER_REVOKE, its provider removed). */
		bad(w, "EXPORT", errno, OK(ENODEV));
		return;
	}
	w->exports++;
	off = rnd(&w->rng) % (len / PAGE) * PAGE;
	mlen = (1 + rnd(&w->rng) % ((len - off) / PAGE)) * PAGE;
	import_one(w, e.dmabuf_fd, off, mlen, true);
}

/*
 * One round: a buffer (two, a quarter of the time, mapped side by side),
 * its pages written and read, a dma-sgl of it read, synced, polled and
 * closed, everything unmapped and freed.
 */
static void round_once(struct worker *w)
{
	struct p2pbuf_alloc a[2];
	struct p2pbuf_map m;
	uint64_t len[2], total = 0, off;
	uint8_t *area;
	int nbuf = rnd(&w->rng) % 4 ? 1 : 2, i, err, sfd = -1, got = 0;

	for (i = 0; i < nbuf; i++) {
		unsigned int which = (unsigned int)(rnd(&w->rng) % 3);
		uint32_t prov = which ? sh->prov[which - 1] : 0;

		len[i] = (1 + rnd(&w->rng) % 16) * PAGE;
		err = tu_alloc_try(w->fd, prov, len[i], &a[i]);
		w->ops++;
		/* The provider may be gone or going; a BAR may be full. */
		if (err) {
			bad(w, "ALLOC", err, OK(ENOENT, ENODEV, ENOMEM));
			goto out_free;
		}
		got++;
		total += len[i];
	}
	/*
	 * A MAP_FIXED mmap that fails leaves a hole in the reserved range,
	 * which another thread's mmap could take (and our munmap of the
	 * range would then take away from it): the layout changes of a
	 * process are serialized, and a hole is reserved again at once.
	 */
	pthread_mutex_lock(&layout_lock);
	area = mmap(NULL, total, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (area == MAP_FAILED) {
		pthread_mutex_unlock(&layout_lock);
		bad(w, "mmap (reserve)", errno, OK(0));
		goto out_free;
	}
	for (i = 0, off = 0; i < got; off += len[i], i++) {
		w->ops++;
		if (mmap(area + off, len[i], PROT_READ | PROT_WRITE,
			 MAP_SHARED | MAP_FIXED, w->fd,
			 (off_t)a[i].mmap_offset) == MAP_FAILED) {
			/* Revoked already. */
			bad(w, "mmap", errno, OK(ENODEV));
			if (mmap(area + off, len[i], PROT_NONE,
				 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1,
				 0) != area + off)
				bad(w, "mmap (reserve again)", errno, OK(0));
			pthread_mutex_unlock(&layout_lock);
			goto out_unmap;
		}
	}
	pthread_mutex_unlock(&layout_lock);
	/* Every page written and read back (SIGBUS once revoked). */
	for (off = 0; off < total; off += PAGE) {
		int sig = tu_touch_write(area + off);

		if (!sig)
			sig = tu_touch(area + off);
		w->ops += 2;
		if (sig && sig != SIGBUS)
			bad(w, "write", EFAULT, OK(0));
		if (sig)
			break;
	}
	err = tu_map_try(w->fd, area, total, rnd(&w->rng) % 2 ? edu0 : edu1,
			 P2PBUF_DMA_BIDIRECTIONAL, 0, &m);
	w->ops++;
	if (err) {
		/*
		 * Revoked (ENODEV), a provider removed under it (ENODEV,
		 * EFAULT: its mapping zapped is still a mapping), limits
		 * lowered by the chaos (E2BIG, ENOSPC), host bridge p2p
		 * switched off for a BAR (EXDEV).
		 */
		bad(w, "MAP", err, OK(ENODEV, E2BIG, ENOSPC, EXDEV));
		goto out_unmap;
	}
	sfd = m.sgl_fd;
	sgl_use(w, sfd, total);
out_unmap:
	if (sfd >= 0) {
		close(sfd);
		w->ops++;
	}
	if (rnd(&w->rng) % 2)
		export_import(w, a[0].handle, len[0]);
	if (w->udmabuf >= 0 && !(rnd(&w->rng) % 4))
		import_one(w, w->udmabuf, 0, UDMABUF_LEN, false);
	pthread_mutex_lock(&layout_lock);
	munmap(area, total);
	pthread_mutex_unlock(&layout_lock);
	w->ops++;
out_free:
	for (i = 0; i < got; i++) {
		err = tu_free_try(w->fd, a[i].handle);
		w->ops++;
		if (err)
			bad(w, "FREE", err, OK(0));
	}
}

static void *worker_thread(void *arg)
{
	struct worker *w = arg;
	unsigned long i;

	/* All threads exist (their stacks are mapped) before any round. */
	pthread_barrier_wait(&start);
	for (i = 0; i < w->iters; i++)
		round_once(w);
	return NULL;
}

/* A memfd's udmabuf of UDMABUF_LEN bytes, or -1 without /dev/udmabuf. */
static int udmabuf_new(void)
{
	struct udmabuf_create c = { .flags = UDMABUF_FLAGS_CLOEXEC,
				    .size = UDMABUF_LEN };
	int dev = open("/dev/udmabuf", O_RDWR | O_CLOEXEC), memfd, dfd;

	if (dev < 0)
		return -1;
	memfd = memfd_create("stress", MFD_ALLOW_SEALING | MFD_CLOEXEC);
	if (memfd < 0 || ftruncate(memfd, UDMABUF_LEN) ||
	    fcntl(memfd, F_ADD_SEALS, F_SEAL_SHRINK))
		_exit(2);
	c.memfd = (uint32_t)memfd;
	dfd = ioctl(dev, UDMABUF_CREATE, &c);
	if (dfd < 0)
		_exit(2);
	close(memfd);
	close(dev);
	return dfd;
}

/*
 * A worker process: THREADS threads, each on its own file; exit status 0,
 * or 1 after printing the first unexpected result.
 */
static void worker_process(int idx, bool user, unsigned long iters)
{
	struct worker w[THREADS];
	pthread_t t[THREADS];
	unsigned long ops = 0, exports = 0, imports = 0;
	int i, fails = 0;

	for (i = 0; i < THREADS; i++) {
		memset(&w[i], 0, sizeof(w[i]));
		w[i].fd = open(TU_DEV, O_RDWR | O_CLOEXEC);
		if (w[i].fd < 0)
			_exit(2);
		w[i].user = user;
		w[i].iters = iters;
		w[i].udmabuf = udmabuf_new();
		w[i].rng = 0x1234567ULL * (uint64_t)(idx * THREADS + i + 1);
	}
	if (user) {
		struct rlimit rl = { 64 << 20, 64 << 20 };

		if (setrlimit(RLIMIT_MEMLOCK, &rl) || setgid(NOBODY) ||
		    setuid(NOBODY))
			_exit(2);
	}
	if (pthread_barrier_init(&start, NULL, THREADS))
		_exit(2);
	for (i = 0; i < THREADS; i++)
		if (pthread_create(&t[i], NULL, worker_thread, &w[i]))
			_exit(2);
	for (i = 0; i < THREADS; i++) {
		pthread_join(t[i], NULL);
		ops += w[i].ops;
		exports += w[i].exports;
		imports += w[i].imports;
		if (w[i].udmabuf >= 0)
			close(w[i].udmabuf);
		if (w[i].err[0]) {
			printf("stress worker %d.%d%s: %s\n", idx, i,
			       user ? " (uid 65534)" : "", w[i].err);
			fails++;
		}
		close(w[i].fd);
	}
	__atomic_add_fetch(&sh->ops, ops, __ATOMIC_SEQ_CST);
	__atomic_add_fetch(&sh->exports, exports, __ATOMIC_SEQ_CST);
	__atomic_add_fetch(&sh->imports, imports, __ATOMIC_SEQ_CST);
	fflush(stdout);
	_exit(fails ? 1 : 0);
}

/* --- the chaos ---------------------------------------------------------- */

static void chaos_param(uint64_t *rng)
{
	static const char *const segs[] = { "1", "2", "4", "16", "65536" };
	static const char *const sgls[] = { "1", "2", "8", "1024" };

	switch (rnd(rng) % 5) {
	case 0:
		tu_set_param("huge", tu_yn(rnd(rng) % 2));
		break;
	case 1:
		tu_set_param("prefault", tu_yn(rnd(rng) % 2));
		break;
	case 2:
		tu_set_param("host_bridge_p2p", tu_yn(rnd(rng) % 2));
		break;
	case 3:
		tu_set_param("max_sgl_segments", segs[rnd(rng) % 5]);
		break;
	default:
		tu_set_param("max_sgls_per_fd", sgls[rnd(rng) % 4]);
	}
}

/* Revoke a random buffer of the listing: 0 or the errno (it may be gone). */
static void chaos_revoke(uint64_t *rng, unsigned long *revoked)
{
	static struct tu_nl_msg l[256];
	int n = tu_nl_dump(&nl, P2PBUF_NL_CMD_BUFFER_GET, l, 256), err;

	if (!n)
		return;
	err = tu_nl_buffer_revoke(&nl, l[rnd(rng) % n].buffer_id);
	ck_assert_msg(err == 0 || err == ENOENT, "BUFFER_REVOKE: %s",
		      strerror(err));
	*revoked += !err;
}

static void chaos_provider(uint64_t *rng, unsigned long *removed)
{
	unsigned int k = (unsigned int)(rnd(rng) % 2);

	ck_assert_int_eq(tu_nl_provider_del(&nl, sh->prov[k], true), 0);
	sh->prov[k] = tu_nl_provider_add(&nl, ivshmem[k]);
	(*removed)++;
}

/* Reset the parameters the chaos changes. */
static void params_default(void)
{
	tu_set_param("huge", "Y");
	tu_set_param("prefault", "Y");
	tu_set_param("host_bridge_p2p", "N");
	tu_set_param("max_sgl_segments", "65536");
	tu_set_param("max_sgls_per_fd", "1024");
}

START_TEST(test_stress)
{
	bool debug = tu_rig_is("debug");
	unsigned long iters = debug ? ITERS_DEBUG : ITERS;
	unsigned long rounds = debug ? CHAOS_ROUNDS_DEBUG : CHAOS_ROUNDS;
	unsigned long i, revoked = 0, removed = 0, params = 0;
	struct tu_monitor mon;
	struct tu_nl_msg p[16];
	pid_t pids[WORKERS];
	uint64_t rng = 42;
	double t0;
	int st, k, n, left_sgl, left_buf, left_exp, sgls, bufs, exps;
	bool udmabuf = access("/dev/udmabuf", F_OK) == 0;

	ck_assert_int_eq(rig_pci_find(0x1af4, 0x1110, ivshmem, 2), 2);
	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ck_assert(sh != MAP_FAILED);
	params_default();
	tu_monitor_start(&mon, nl.family, MAX_EVENTS);
	for (k = 0; k < 2; k++)
		sh->prov[k] = tu_nl_provider_add(&nl, ivshmem[k]);
	printf("stress: %d processes x %d threads x %lu rounds (one process "
	       "as uid 65534), %lu chaos rounds%s\n",
	       WORKERS, THREADS, iters, rounds,
	       debug ? " -- fewer on the debug kernel" : "");
	fflush(stdout);
	t0 = tu_now_ms();
	for (k = 0; k < WORKERS; k++) {
		pids[k] = fork();
		ck_assert_int_ge(pids[k], 0);
		if (!pids[k])
			worker_process(k, k == WORKERS - 1, iters);
	}
	/* The chaos, in this process (its Check assertions are the test's). */
	for (i = 0; i < rounds; i++) {
		switch (rnd(&rng) % 4) {
		case 0:
			chaos_provider(&rng, &removed);
			break;
		case 1:
			chaos_param(&rng);
			params++;
			break;
		default:
			chaos_revoke(&rng, &revoked);
		}
	}
	for (k = 0; k < WORKERS; k++) {
		ck_assert_int_eq(waitpid(pids[k], &st, 0), pids[k]);
		ck_assert_msg(WIFEXITED(st) && !WEXITSTATUS(st),
			      "worker %d: status %#x (see its output)", k, st);
	}
	printf("stress: %lu worker operations (%lu exports, %lu imports%s), "
	       "%lu chaos rounds (%lu provider removals, %lu revocations, %lu "
	       "parameter changes) in %.1f s\n",
	       sh->ops, sh->exports, sh->imports,
	       udmabuf ? ", udmabuf included" :
			 "; udmabuf part SKIPPED: no /dev/udmabuf",
	       rounds, removed, revoked, params, (tu_now_ms() - t0) / 1000);
	fflush(stdout);
	params_default();

	/* Everything went back. */
	ck_assert_int_eq(tu_nl_dump(&nl, P2PBUF_NL_CMD_BUFFER_GET, p, 16), 0);
	ck_assert_int_eq(tu_nl_dump(&nl, P2PBUF_NL_CMD_SGL_GET, p, 16), 0);
	ck_assert_int_eq(tu_nl_dump(&nl, P2PBUF_NL_CMD_EXPORT_GET, p, 16), 0);
	tu_nl_assert_providers_whole(&nl);
	n = tu_nl_dump(&nl, P2PBUF_NL_CMD_PROVIDER_GET, p, 16);
	ck_assert_int_eq(n, 3);
	for (k = 0; k < n; k++)
		if (p[k].provider_id)
			ck_assert_int_eq(tu_nl_provider_del(
						 &nl, p[k].provider_id, false),
					 0);
	tu_assert_memlock_uncharged(NOBODY);

	tu_monitor_stop(&mon);
	sgls = tu_event_order(&mon, TU_EV_SGL, &left_sgl);
	bufs = tu_event_order(&mon, TU_EV_BUFFER, &left_buf);
	exps = tu_event_order(&mon, TU_EV_EXPORT, &left_exp);
	printf("stress: %d events in order: %d dma-sgls, %d buffers, %d "
	       "exports announced\n",
	       mon.n, sgls, bufs, exps);
	fflush(stdout);
	ck_assert_msg(!left_sgl && !left_buf && !left_exp,
		      "announced and never deleted: %d dma-sgls, %d buffers, "
		      "%d exports",
		      left_sgl, left_buf, left_exp);
	ck_assert_int_gt(sgls, 0);
	/* Every export that worked was announced; some imports worked. */
	ck_assert_int_eq(exps, (int)sh->exports);
	ck_assert_uint_gt(sh->imports, 0);
	tu_monitor_free(&mon);
	munmap(sh, sizeof(*sh));
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

static Suite *stress_suite(void)
{
	Suite *s = suite_create("stress");
	/* Bounded by operations; the limit only catches a hang. */
	TCase *tc = tu_tcase(s, "stress", 1200, setup, teardown);

	tcase_add_test(tc, test_stress);
	return s;
}

int main(void)
{
	return tu_run(stress_suite());
}
