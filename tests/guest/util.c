// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Helpers of the guest programs: the device, buffers, dma-sgls, module
 * parameters, byte patterns, faults, the rig, benchmarks.  See util.h.
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/udmabuf.h>

#include "util.h"

/* --- files and module parameters ----------------------------------------- */

int tu_write_file_try(const char *path, const char *val)
{
	size_t len = strlen(val);
	int fd = open(path, O_WRONLY | O_CLOEXEC), err = 0;

	if (fd < 0)
		return errno;
	if (write(fd, val, len) != (ssize_t)len)
		err = errno ? errno : EIO;
	close(fd);
	return err;
}

void tu_write_file(const char *path, const char *val)
{
	int err = tu_write_file_try(path, val);

	ck_assert_msg(!err, "%s <- '%s': %s", path, val, strerror(err));
}

int tu_set_param_try(const char *name, const char *val)
{
	char path[128];

	snprintf(path, sizeof(path), TU_PARAMS "%s", name);
	return tu_write_file_try(path, val);
}

void tu_set_param(const char *name, const char *val)
{
	char path[128];

	snprintf(path, sizeof(path), TU_PARAMS "%s", name);
	tu_write_file(path, val);
}

/* --- the device and its buffers ------------------------------------------ */

int tu_dev_open(void)
{
	int fd = open(TU_DEV, O_RDWR | O_CLOEXEC);

	ck_assert_msg(fd >= 0, "open %s: %s", TU_DEV, strerror(errno));
	return fd;
}

int tu_alloc_try(int fd, uint32_t prov, uint64_t len, struct p2pbuf_alloc *a)
{
	memset(a, 0, sizeof(*a));
	a->size = sizeof(*a);
	a->length = len;
	a->provider_id = prov;
	return ioctl(fd, P2PBUF_IOC_ALLOC, a) ? errno : 0;
}

void tu_assert_memlock_uncharged(unsigned int uid)
{
	pid_t pid = fork();
	int st;

	ck_assert_int_ge(pid, 0);
	if (!pid) {
		struct rlimit rl = { 4 << 20, 4 << 20 };
		struct p2pbuf_alloc a;
		int fd = open(TU_DEV, O_RDWR | O_CLOEXEC);

		if (fd < 0)
			_exit(3);
		if (setrlimit(RLIMIT_MEMLOCK, &rl) || setgid(uid) ||
		    setuid(uid))
			_exit(2);
		if (tu_alloc_try(fd, 0, 4 << 20, &a))
			_exit(4);
		if (tu_alloc_try(fd, 0, 4096, &a) != EDQUOT)
			_exit(5);
		_exit(0);
	}
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert_msg(WIFEXITED(st) && !WEXITSTATUS(st),
		      "uid %u with RLIMIT_MEMLOCK 4 MiB: status %#x (4: 4 MiB "
		      "refused, so something is still charged; 5: a page more "
		      "accepted)",
		      uid, st);
}

int tu_alloc_map_try(int fd, uint32_t prov, uint64_t len,
		     struct p2pbuf_alloc *a, void **p)
{
	int err = tu_alloc_try(fd, prov, len, a);

	*p = MAP_FAILED;
	if (err)
		return err;
	*p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
		  (off_t)a->mmap_offset);
	return *p == MAP_FAILED ? errno : 0;
}

void *tu_alloc_map(int fd, uint32_t prov, uint64_t len, struct p2pbuf_alloc *a)
{
	void *p;
	int err = tu_alloc_map_try(fd, prov, len, a, &p);

	ck_assert_msg(!err, "%s of %llu bytes from provider %u: %s",
		      a->handle ? "mmap" : "ALLOC", (unsigned long long)len,
		      prov, strerror(err));
	return p;
}

void *tu_alloc_map_adjacent(int fd, uint32_t prov, const uint64_t *len, int n,
			    struct p2pbuf_alloc *a)
{
	uint64_t total = 0, off;
	char *base, *p;
	int i, err;

	for (i = 0; i < n; i++)
		total += len[i];
	base = mmap(NULL, total, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ck_assert_msg(base != MAP_FAILED, "mmap %llu bytes: %s",
		      (unsigned long long)total, strerror(errno));
	for (i = 0, off = 0; i < n; off += len[i], i++) {
		err = tu_alloc_try(fd, prov, len[i], &a[i]);
		ck_assert_msg(!err, "ALLOC %llu bytes from provider %u: %s",
			      (unsigned long long)len[i], prov, strerror(err));
		p = mmap(base + off, len[i], PROT_READ | PROT_WRITE,
			 MAP_SHARED | MAP_FIXED, fd, (off_t)a[i].mmap_offset);
		ck_assert(p == base + off);
	}
	return base;
}

int tu_free_try(int fd, uint32_t handle)
{
	struct p2pbuf_free f = { .size = sizeof(f), .handle = handle };

	return ioctl(fd, P2PBUF_IOC_FREE, &f) ? errno : 0;
}

void tu_free(int fd, uint32_t handle)
{
	int err = tu_free_try(fd, handle);

	ck_assert_msg(!err, "FREE of handle %u: %s", handle, strerror(err));
}

long tu_minflt(void)
{
	struct rusage ru;

	if (getrusage(RUSAGE_SELF, &ru))
		abort();
	return ru.ru_minflt;
}

long tu_touch_pages(volatile uint64_t *p, uint64_t len)
{
	long f0 = tu_minflt();

	for (uint64_t off = 0; off < len; off += 4096)
		p[off / 8] = off;
	return tu_minflt() - f0;
}

/*
 * Faults are caught per thread: the handler (installed once, process
 * wide) jumps back into the faulting thread's own buffer while that thread
 * is inside tu_touch*(); anywhere else it puts the default action back and
 * returns, so the access faults again and kills the process as it would
 * have without the handler.
 */
static __thread sigjmp_buf fault_jmp;
static __thread volatile sig_atomic_t fault_armed, fault_sig;
static volatile sig_atomic_t fault_handler_set;

static void on_fault(int sig)
{
	if (!fault_armed) {
		signal(sig, SIG_DFL);
		return;
	}
	fault_armed = 0;
	fault_sig = sig;
	siglongjmp(fault_jmp, 1);
}

/* No ck_assert() here: tu_touch*() run in test threads, many times. */
static void catch_faults(void)
{
	struct sigaction sa = { .sa_handler = on_fault };

	if (fault_handler_set)
		return;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGSEGV, &sa, NULL) || sigaction(SIGBUS, &sa, NULL))
		abort();
	fault_handler_set = 1;
}

int tu_touch(const volatile void *p)
{
	catch_faults();
	fault_sig = 0;
	if (!sigsetjmp(fault_jmp, 1)) {
		fault_armed = 1;
		(void)*(const volatile uint8_t *)p;
		fault_armed = 0;
	}
	return fault_sig;
}

int tu_touch_write(volatile void *p)
{
	catch_faults();
	fault_sig = 0;
	if (!sigsetjmp(fault_jmp, 1)) {
		fault_armed = 1;
		*(volatile uint8_t *)p = 1;
		fault_armed = 0;
	}
	return fault_sig;
}

/* --- dma-sgls ------------------------------------------------------------- */

void tu_target_of(const char *bdf, struct p2pbuf_pci_target *t)
{
	unsigned int d, b, s, f;

	ck_assert_msg(sscanf(bdf, "%x:%x:%x.%x", &d, &b, &s, &f) == 4,
		      "'%s' is not a PCI address", bdf);
	memset(t, 0, sizeof(*t));
	t->domain = d;
	t->bus = b;
	t->devfn = s << 3 | f;
}

int tu_map_try(int fd, const void *addr, uint64_t len, const char *bdf,
	       uint32_t dir, uint32_t flags, struct p2pbuf_map *m)
{
	memset(m, 0, sizeof(*m));
	m->size = sizeof(*m);
	m->flags = flags;
	m->addr = (uintptr_t)addr;
	m->length = len;
	m->direction = dir;
	tu_target_of(bdf, &m->target);
	return ioctl(fd, P2PBUF_IOC_MAP, m) ? errno : 0;
}

int tu_map(int fd, const void *addr, uint64_t len, const char *bdf,
	   uint32_t dir, struct p2pbuf_map *m)
{
	struct p2pbuf_map local;
	int err;

	if (!m)
		m = &local;
	err = tu_map_try(fd, addr, len, bdf, dir, 0, m);

	ck_assert_msg(!err, "MAP %llu bytes for %s: %s",
		      (unsigned long long)len, bdf, strerror(err));
	ck_assert_int_ge(m->sgl_fd, 0);
	ck_assert_uint_ge(m->nr_segments, 1);
	return m->sgl_fd;
}

int tu_segments_try(int sfd, struct p2pbuf_segment *segs, uint32_t cap,
		    uint32_t flags, struct p2pbuf_segments *s)
{
	memset(s, 0, sizeof(*s));
	s->size = sizeof(*s);
	s->flags = flags;
	s->segments = (uintptr_t)segs;
	s->capacity = cap;
	return ioctl(sfd, P2PBUF_IOC_SEGMENTS, s) ? errno : 0;
}

uint32_t tu_segments(int sfd, struct p2pbuf_segment *segs, uint32_t cap,
		     struct p2pbuf_segments *s)
{
	int err = tu_segments_try(sfd, segs, cap, 0, s);

	ck_assert_msg(!err, "SEGMENTS: %s", strerror(err));
	return s->nr_segments;
}

uint32_t tu_sgl_id(int sfd)
{
	char path[64], text[1024], *p;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", sfd);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	ck_assert_msg(fd >= 0, "%s: %s", path, strerror(errno));
	n = read(fd, text, sizeof(text) - 1);
	close(fd);
	ck_assert_int_gt(n, 0);
	text[n] = 0;
	p = strstr(text, "p2pbuf-sgl:\t");
	ck_assert_msg(p, "%s has no p2pbuf-sgl line: %s", path, text);
	return strtoul(p + strlen("p2pbuf-sgl:\t"), NULL, 10);
}

uint64_t tu_dma_at(const struct p2pbuf_segment *segs, uint32_t n, uint64_t off,
		   uint64_t *avail)
{
	uint32_t i;

	for (i = 0; i < n; i++) {
		if (off < segs[i].length) {
			*avail = segs[i].length - off;
			return segs[i].dma_addr + off;
		}
		off -= segs[i].length;
	}
	ck_abort_msg("offset beyond the dma-sgl");
	return 0;
}

void tu_sync(int sfd, uint32_t flags)
{
	struct p2pbuf_sync s = { .size = sizeof(s), .flags = flags };

	ck_assert_msg(!ioctl(sfd, P2PBUF_IOC_SYNC, &s), "SYNC %#x: %s", flags,
		      strerror(errno));
}

void tu_edu_copy(const struct edu *e, int sfd,
		 const struct p2pbuf_segment *segs, uint32_t n, uint64_t src,
		 uint64_t dst, uint32_t len)
{
	uint64_t a_src, a_dst, avail;

	a_src = tu_dma_at(segs, n, src, &avail);
	ck_assert_uint_ge(avail, len);
	a_dst = tu_dma_at(segs, n, dst, &avail);
	ck_assert_uint_ge(avail, len);
	tu_sync(sfd, P2PBUF_SYNC_F_FOR_DEVICE);
	ck_assert_int_eq(
		edu_dma(e, a_src, 0, len, EDU_DMA_FROM_RAM, TU_DMA_WAIT_MS), 0);
	ck_assert_int_eq(
		edu_dma(e, a_dst, 0, len, EDU_DMA_TO_RAM, TU_DMA_WAIT_MS), 0);
	tu_sync(sfd, P2PBUF_SYNC_F_FOR_CPU);
}

void tu_edu_roundtrips(const char *bdf, int sfd, volatile uint8_t *cpu,
		       uint64_t len, unsigned int count, uint64_t seed,
		       void (*check)(const volatile uint8_t *cpu, uint64_t src,
				     uint64_t dst, uint32_t n))
{
	static struct p2pbuf_segment segs[TU_EDU_MAX_SEGS];
	const uint64_t page = 4096, xfer = TU_EDU_XFER;
	struct p2pbuf_segments s;
	uint32_t n = tu_segments(sfd, segs, TU_EDU_MAX_SEGS, &s);
	uint64_t src, dst, total = 0;
	struct edu e;
	unsigned int i;

	for (i = 0; i < n; i++)
		total += segs[i].length;
	ck_assert_uint_eq(total, len);
	ck_assert_int_eq(edu_open(&e, bdf), 0);
	srandom((unsigned int)seed);
	for (i = 0; i < count; i++) {
		src = (random() % (len / page)) * page +
		      random() % (page - xfer);
		do
			dst = (random() % (len / page)) * page +
			      random() % (page - xfer);
		while (dst + xfer > src && src + xfer > dst);
		if (!check)
			tu_fill(cpu + src, xfer, seed + i);
		tu_edu_copy(&e, sfd, segs, n, src, dst, xfer);
		if (check)
			check(cpu, src, dst, xfer);
		else
			tu_check_bytes(cpu + dst, xfer, seed + i, 0,
				       "edu through the dma-sgl");
	}
	edu_close(&e);
}

void tu_assert_sgl_revoked(int sfd)
{
	struct pollfd p = { .fd = sfd, .events = POLLIN | POLLPRI };
	struct p2pbuf_sync sy = { .size = sizeof(sy),
				  .flags = P2PBUF_SYNC_F_FOR_CPU };
	struct p2pbuf_segments s;

	ck_assert_int_eq(poll(&p, 1, 1000), 1);
	ck_assert(p.revents & POLLERR);
	ck_assert(p.revents & POLLPRI);
	tu_segments(sfd, NULL, 0, &s);
	ck_assert_uint_eq(s.state, P2PBUF_SGL_STATE_REVOKED);
	ck_assert_uint_eq(s.nr_segments, 0);
	ck_assert_uint_eq(s.generation, 2);
	ck_assert_int_eq(ioctl(sfd, P2PBUF_IOC_SYNC, &sy) ? errno : 0, ENODEV);
}

/* --- dma-bufs of other exporters ----------------------------------------- */

int tu_udmabuf_new(uint64_t len, int *memfd)
{
	struct udmabuf_create c = { .flags = UDMABUF_FLAGS_CLOEXEC };
	int dev = open("/dev/udmabuf", O_RDWR | O_CLOEXEC), dfd;

	if (dev < 0) {
		ck_assert_int_eq(errno, ENOENT);
		return -1;
	}
	*memfd =
		memfd_create("p2pbuf-udmabuf", MFD_ALLOW_SEALING | MFD_CLOEXEC);
	ck_assert_int_ge(*memfd, 0);
	ck_assert_int_eq(ftruncate(*memfd, (off_t)len), 0);
	ck_assert_int_eq(fcntl(*memfd, F_ADD_SEALS, F_SEAL_SHRINK), 0);
	c.memfd = (uint32_t)*memfd;
	c.size = len;
	dfd = ioctl(dev, UDMABUF_CREATE, &c);
	ck_assert_msg(dfd >= 0, "UDMABUF_CREATE: %s", strerror(errno));
	close(dev);
	return dfd;
}

/* --- byte patterns -------------------------------------------------------- */

uint8_t tu_pat(uint64_t seed, uint64_t i)
{
	uint64_t x = (i + 1) * 0x9e3779b97f4a7c15ULL ^ seed;

	return (uint8_t)(x >> 29 ^ x >> 7);
}

void tu_fill(volatile uint8_t *p, uint64_t len, uint64_t seed)
{
	uint64_t i;

	for (i = 0; i < len; i++)
		p[i] = tu_pat(seed, i);
}

void tu_check_bytes(const volatile uint8_t *p, uint64_t len, uint64_t seed,
		    uint64_t seed_off, const char *what)
{
	uint64_t i;

	for (i = 0; i < len; i++)
		if (p[i] != tu_pat(seed, seed_off + i))
			ck_abort_msg("%s: byte %llu is %#x, want %#x", what,
				     (unsigned long long)i, p[i],
				     tu_pat(seed, seed_off + i));
}

/* --- the rig -------------------------------------------------------------- */

void tu_rig_ivshmem(char bdf[RIG_BDF_LEN], uint64_t *bar2_size)
{
	char bdfs[4][RIG_BDF_LEN];
	uint64_t start;

	ck_assert_msg(rig_pci_find(RIG_IVSHMEM_VENDOR, RIG_IVSHMEM_DEVICE, bdfs,
				   4) >= 1,
		      "no ivshmem (%04x:%04x) in the rig", RIG_IVSHMEM_VENDOR,
		      RIG_IVSHMEM_DEVICE);
	memcpy(bdf, bdfs[0], RIG_BDF_LEN);
	ck_assert_int_eq(rig_pci_resource(bdf, 2, &start, bar2_size), 0);
}

void tu_pci_remove(const char *bdf)
{
	char path[128];

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/remove", bdf);
	tu_write_file(path, "1");
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s", bdf);
	ck_assert_msg(access(path, F_OK) != 0, "%s is still there", bdf);
}

void tu_pci_rescan(const char *bdf)
{
	char path[128];

	tu_write_file("/sys/bus/pci/rescan", "1");
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s", bdf);
	ck_assert_msg(access(path, F_OK) == 0, "%s did not come back", bdf);
}

enum tu_iommu_mode tu_iommu_mode(void)
{
	const char *m = getenv("P2PBUF_VM_IOMMU");

	if (!m || !strcmp(m, "on"))
		return TU_IOMMU_ON;
	if (!strcmp(m, "off"))
		return TU_IOMMU_OFF;
	if (!strcmp(m, "pt"))
		return TU_IOMMU_PT;
	ck_abort_msg("P2PBUF_VM_IOMMU=%s: want on, off or pt", m);
	return TU_IOMMU_ON;
}

int tu_cmd_output(const char *cmd, char *out, size_t size)
{
	FILE *f = popen(cmd, "r");
	size_t n;

	ck_assert_msg(f, "%s: %s", cmd, strerror(errno));
	n = fread(out, 1, size - 1, f);
	out[n] = 0;
	return pclose(f);
}

bool tu_rig_is(const char *rig)
{
	const char *booted = getenv("P2PBUF_VM_RIG");

	return booted && !strcmp(booted, rig);
}

/* --- benchmarks ----------------------------------------------------------- */

double tu_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

double tu_percentile(double *v, int n, int pct)
{
	long i = (long)n * pct / 100;

	qsort(v, n, sizeof(*v), cmp_double);
	return v[i < n ? i : n - 1];
}

void tu_die(const char *what, int err)
{
	fprintf(stderr, "%s: %s: %s\n", program_invocation_short_name, what,
		strerror(err));
	exit(1);
}
