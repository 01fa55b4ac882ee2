// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Guest tier: a bounded, seeded fuzzer of everything userspace can reach
 * (issue 13).  One deterministic random stream (splitmix64 of the seed)
 * drives, one operation at a time:
 *  - ioctls on /dev/p2pbuf files and dma-sgl fds: every command, unknown
 *    and mis-encoded ones, sizes below, at and above the structures (tails
 *    zero or not), random flags, fields and reserved words, bad pointers
 *    and pointers into p2pbuf mappings;
 *  - mmap (shared, private, random offsets, lengths, protections, flags),
 *    munmap, mremap (shrink, grow, move, DONTUNMAP), mprotect, madvise,
 *    reads and writes of the device's mappings (SIGBUS and SIGSEGV caught)
 *    and fork (a child that uses the inherited files);
 *  - well-formed and malformed generic netlink messages to every command
 *    number of the family and beyond (attributes of every type and length,
 *    bad lengths, nested and byte-order bits, wrong versions, dumps);
 * first as root, then in a child as uid 65534 (RLIMIT_MEMLOCK 8 MiB).
 * Every call must succeed or fail with an errno of the documented set;
 * the unprivileged user is refused every administrative command (EPERM).
 * All mappings live inside one reserved arena (a hole is reserved again at
 * once), so nothing the fuzzer does reaches the program's own memory.
 *
 * After the run: every file closed, the buffer and dma-sgl listings empty,
 * every provider with all its space free and no buffer (then removed
 * without force), uid 65534's RLIMIT_MEMLOCK charge back to zero (a child
 * with the limit set to exactly 4 MiB allocates 4 MiB and not a page
 * more).  The VM tier adds the kernel log scans (the dump and the stream),
 * kmemleak on the debug kernel, and the module's unload.
 *
 * Environment: P2PBUF_FUZZ_SEED (default: random, printed),
 * P2PBUF_FUZZ_OPS (operations in all; default FUZZ_OPS, FUZZ_OPS_DEBUG on
 * the debug rig, whose KASAN and lockdep make each far slower).  Replay:
 *   scripts/p2pbuf-vm --kernel '6.12*' -- \
 *	env P2PBUF_FUZZ_SEED=N P2PBUF_FUZZ_OPS=M /tests/test_fuzz
 */
#include "config.h"

#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <linux/p2pbuf.h>

#include "util.h"

/*
 * Default operation counts (root 3/4, uid 65534 1/4).  Measured under TCG
 * on the loaded CI machine: see README ("Fuzzing").
 */
#define FUZZ_OPS 1000000UL
#define FUZZ_OPS_DEBUG 50000UL

#define PAGE 4096UL
#define MIB (1024UL * 1024)
#define ARENA_PAGES 4096 /* 16 MiB of address space */
#define NDEV 4
#define NBUF 64
#define NSGL 32
#define NPROV 8
#define NTARGET 48
#define HOST_CAP (64 * MIB) /* live host RAM the fuzzer allows itself */
#define USER_MEMLOCK (8 * MIB)
#define NOBODY 65534

enum op {
	OP_OPEN,
	OP_CLOSE,
	OP_IOCTL_DEV,
	OP_IOCTL_SGL,
	OP_SGL_MISC,
	OP_MMAP,
	OP_MUNMAP,
	OP_MREMAP,
	OP_MPROTECT,
	OP_MADVISE,
	OP_TOUCH,
	OP_FORK,
	OP_NETLINK,
	NR_OPS
};

static const char *const op_names[NR_OPS] = {
	"open",	 "close",  "ioctl-dev", "ioctl-sgl", "sgl-misc",
	"mmap",	 "munmap", "mremap",	"mprotect",  "madvise",
	"touch", "fork",   "netlink",
};

/* Weights of the operations (per 1000), root and user alike. */
static const int op_weight[NR_OPS] = {
	[OP_OPEN] = 4,	     [OP_CLOSE] = 2,	 [OP_IOCTL_DEV] = 300,
	[OP_IOCTL_SGL] = 90, [OP_SGL_MISC] = 40, [OP_MMAP] = 110,
	[OP_MUNMAP] = 40,    [OP_MREMAP] = 30,	 [OP_MPROTECT] = 40,
	[OP_MADVISE] = 50,   [OP_TOUCH] = 130,	 [OP_FORK] = 1,
	[OP_NETLINK] = 165,
};

struct fbuf {
	bool live;
	int dev; /* index into fz.dev */
	uint32_t handle, prov;
	uint64_t off, len;
};

struct fz {
	uint64_t rng, seed;
	bool root, child;
	unsigned long op, nops;
	int dev[NDEV];
	struct fbuf buf[NBUF];
	int sgl[NSGL];
	uint8_t *arena;
	uint32_t prov[NPROV];
	int nprov;
	uint64_t host_live;
	char target[NTARGET][RIG_BDF_LEN];
	int ntarget;
	char ivshmem[2][RIG_BDF_LEN];
	int nl, family;
	uint32_t nlseq;
	unsigned long ok[NR_OPS], fail[NR_OPS];
	unsigned long err[NR_OPS][136];
};

static struct fz fz;

/* --- the random stream ----------------------------------------------------- */

static uint64_t rnd(void)
{
	uint64_t z = (fz.rng += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static uint64_t below(uint64_t n)
{
	return n ? rnd() % n : 0;
}

/* True one time in n. */
static bool one_in(uint64_t n)
{
	return !below(n);
}

/* An "interesting" 64-bit value. */
static uint64_t any64(void)
{
	static const uint64_t v[] = { 0,
				      1,
				      2,
				      3,
				      4,
				      7,
				      0x10,
				      0xff,
				      0x100,
				      0xfff,
				      0x1000,
				      0x1001,
				      0x7fffffff,
				      0x80000000,
				      0xffffffff,
				      0x100000000ULL,
				      P2PBUF_BUFFER_MAX_LENGTH,
				      P2PBUF_BUFFER_MAX_LENGTH + 1,
				      0x7fffffffffffffffULL,
				      0x8000000000000000ULL,
				      ~0ULL,
				      ~0ULL - 4095 };

	switch (below(4)) {
	case 0:
		return v[below(sizeof(v) / sizeof(v[0]))];
	case 1:
		return below(64);
	case 2:
		return 1ULL << below(64);
	default:
		return rnd();
	}
}

/* --- failures ------------------------------------------------------------------ */

/*
 * A broken rule: fail the test (Check), or in a forked child of the fuzzer
 * say so and exit 3 (the parent fails on that).
 */
#define violation(...)                                                         \
	do {                                                                   \
		char _m[512];                                                  \
		snprintf(_m, sizeof(_m), __VA_ARGS__);                         \
		if (fz.child) {                                                \
			fprintf(stderr,                                        \
				"fuzz child: %s (seed %" PRIu64 ", op %lu)\n", \
				_m, fz.seed, fz.op);                           \
			_exit(3);                                              \
		}                                                              \
		ck_abort_msg("%s (P2PBUF_FUZZ_SEED=%" PRIu64                   \
			     ", op %lu of %s)",                                \
			     _m, fz.seed, fz.op,                               \
			     fz.root ? "root" : "uid 65534");                  \
	} while (0)

/* Record the result of op: r < 0 with errno e, checked against allowed. */
static void result(enum op op, long r, int e, const int *allowed, int n,
		   const char *what)
{
	int i;

	if (r >= 0) {
		fz.ok[op]++;
		return;
	}
	fz.fail[op]++;
	if (e > 0 && e < 136)
		fz.err[op][e]++;
	for (i = 0; i < n; i++)
		if (allowed[i] == e)
			return;
	violation("%s: unexpected errno %d (%s)", what, e, strerror(e));
}

/*
 * The core mm's answers (munmap, mremap, mprotect, madvise: their errnos
 * vary with the arguments, the VMAs around and the kernel): counted, not
 * judged; the kernel log is the judge.  mmap's are the driver's: judged.
 */
static void count_mm(enum op op, long r, int e)
{
	if (!r || (op == OP_MREMAP && r != -1)) {
		fz.ok[op]++;
		return;
	}
	fz.fail[op]++;
	fz.err[op][e > 0 && e < 136 ? e : 0]++;
}

#define ALLOWED(...)                  \
	(const int[]){ __VA_ARGS__ }, \
		(int)(sizeof((const int[]){ __VA_ARGS__ }) / sizeof(int))

/* Errnos of every ioctl (p2pbuf(4)), and EBADF after a close. */
#define IOCTL_ERRNOS                                                           \
	ALLOWED(EFAULT, EINVAL, E2BIG, ENOTTY, ENOENT, ENOMEM, EDQUOT, ENOSPC, \
		ENODEV, ENXIO, EACCES, EXDEV, EBUSY, EIO, EPERM, EMSGSIZE,     \
		ERANGE, EMFILE, EBADF, EOPNOTSUPP)

/* --- the arena ------------------------------------------------------------------ */

/* Reserve [p, p + len) of the arena again (after an unmap or a move). */
static void reserve(uint8_t *p, uint64_t len)
{
	if (mmap(p, len, PROT_NONE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_NORESERVE, -1,
		 0) != p)
		violation("re-reserving the arena: %s", strerror(errno));
}

/* A page-aligned range of the arena: *len bytes from the returned address. */
static uint8_t *arena_range(uint64_t max_pages, uint64_t *len)
{
	uint64_t pages = 1 + below(max_pages);
	uint64_t first = below(ARENA_PAGES - pages + 1);

	*len = pages * PAGE;
	return fz.arena + first * PAGE;
}

/* --- picking things ---------------------------------------------------------------- */

static int pick_dev(void)
{
	int i, start = (int)below(NDEV);

	for (i = 0; i < NDEV; i++)
		if (fz.dev[(start + i) % NDEV] >= 0)
			return (start + i) % NDEV;
	return -1;
}

static struct fbuf *pick_buf(void)
{
	int i, start = (int)below(NBUF);

	for (i = 0; i < NBUF; i++)
		if (fz.buf[(start + i) % NBUF].live)
			return &fz.buf[(start + i) % NBUF];
	return NULL;
}

static int pick_sgl_slot(void)
{
	int i, start = (int)below(NSGL);

	for (i = 0; i < NSGL; i++)
		if (fz.sgl[(start + i) % NSGL] >= 0)
			return (start + i) % NSGL;
	return -1;
}

static int free_sgl_slot(void)
{
	int i;

	for (i = 0; i < NSGL; i++)
		if (fz.sgl[i] < 0)
			return i;
	return -1;
}

static uint32_t pick_prov(void)
{
	switch (below(8)) {
	case 0:
		return (uint32_t)any64();
	case 1:
	case 2:
		return P2PBUF_PROVIDER_ID_SYSMEM;
	default:
		return fz.nprov ? fz.prov[below(fz.nprov)] : 0;
	}
}

static void pick_target(struct p2pbuf_pci_target *t)
{
	if (fz.ntarget && !one_in(8)) {
		tu_target_of(fz.target[below(fz.ntarget)], t);
	} else {
		t->domain = one_in(2) ? 0 : (uint32_t)any64();
		t->bus = (uint8_t)rnd();
		t->devfn = (uint8_t)rnd();
		t->reserved = 0;
	}
	if (one_in(32))
		t->reserved = (uint16_t)rnd();
}

/* A buffer length: mostly small, sometimes odd, huge or invalid. */
static uint64_t alloc_len(uint32_t prov)
{
	switch (below(16)) {
	case 0:
		return any64();
	case 1:
		return 1 + below(3 * PAGE);
	case 2:
		return (1 + below(4)) * 2 * MIB;
	case 3:
		return prov ? (1 + below(64)) * MIB : (1 + below(8)) * MIB;
	default:
		return (1 + below(16)) * PAGE;
	}
}

/* --- ioctls on the device ------------------------------------------------------------ */

union arg {
	struct p2pbuf_info info;
	struct p2pbuf_alloc alloc;
	struct p2pbuf_free free;
	struct p2pbuf_map map;
	struct p2pbuf_reach reach;
	struct p2pbuf_segments segs;
	struct p2pbuf_sync sync;
	struct p2pbuf_export exp;
	struct p2pbuf_map_dmabuf imp;
	uint8_t raw[512];
};

static struct p2pbuf_segment seg_array[64];

/*
 * The size field: the structure's, its first published one, a random
 * smaller one, a larger one with a zero tail, a larger one with a
 * non-zero tail, or anything.
 */
static uint32_t pick_size(union arg *u, uint32_t full, uint32_t ver0)
{
	uint32_t big;

	switch (below(12)) {
	case 0:
		return ver0;
	case 1:
		return (uint32_t)below(full);
	case 2:
		big = full + 8 * (1 + (uint32_t)below(16));
		return big;
	case 3:
		big = full + 1 + (uint32_t)below(64);
		u->raw[full + below(big - full)] = (uint8_t)(1 + below(255));
		return big;
	case 4:
		return (uint32_t)any64();
	default:
		return full;
	}
}

/* Argument pointers other than the structure. */
static void *odd_pointer(void)
{
	switch (below(5)) {
	case 0:
		return NULL;
	case 1:
		return (void *)1;
	case 2:
		return (void *)(uintptr_t)0xffff888000000000ULL; /* kernel */
	case 3:
		return (void *)(uintptr_t)(~0ULL - 15);
	default: /* a p2pbuf mapping, a reserved hole or anything in between */
		return fz.arena + below(ARENA_PAGES * PAGE - 512);
	}
}

static void fill_alloc(union arg *u)
{
	uint32_t prov = pick_prov();

	u->alloc.length = alloc_len(prov);
	u->alloc.provider_id = prov;
	if (!prov && u->alloc.length <= P2PBUF_BUFFER_MAX_LENGTH &&
	    fz.host_live + u->alloc.length > HOST_CAP && fz.root)
		u->alloc.length = P2PBUF_BUFFER_MAX_LENGTH + 1; /* EINVAL */
	if (one_in(16))
		u->alloc.flags = (uint32_t)any64();
	if (one_in(16))
		u->alloc.reserved[below(2)] = any64();
	if (one_in(16))
		u->alloc.reserved0 = (uint32_t)any64();
	if (one_in(32))
		u->alloc.handle =
			(uint32_t)rnd(); /* output fields are ignored */
}

static void fill_map(union arg *u)
{
	uint64_t len;
	uint8_t *p = arena_range(64, &len);

	u->map.addr = (uintptr_t)p;
	u->map.length = len;
	if (one_in(16))
		u->map.addr = one_in(2) ? u->map.addr + below(PAGE) : any64();
	if (one_in(16))
		u->map.length = any64();
	pick_target(&u->map.target);
	u->map.direction = (uint32_t)below(5);
	if (one_in(16))
		u->map.direction = (uint32_t)any64();
	if (one_in(8))
		u->map.flags = one_in(2) ? P2PBUF_MAP_F_NO_CLOEXEC :
					   (uint32_t)any64();
	if (one_in(32))
		u->map.reserved[below(2)] = any64();
}

static void fill_reach(union arg *u)
{
	u->reach.provider_id = pick_prov();
	pick_target(&u->reach.target);
	if (one_in(4)) {
		u->reach.flags = P2PBUF_REACH_F_PCI_BAR;
		u->reach.provider_id = one_in(4) ? (uint32_t)any64() : 0;
		pick_target(&u->reach.bar_device);
		u->reach.bar = (uint32_t)(one_in(4) ? any64() : below(7));
	} else if (one_in(8)) {
		u->reach.flags = (uint32_t)any64();
	}
	if (one_in(16))
		u->reach.reserved0 = (uint32_t)any64();
	if (one_in(16))
		u->reach.bar = (uint32_t)any64();
}

static void fill_export(union arg *u, int dev)
{
	struct fbuf *b = pick_buf();

	u->exp.handle = b && (b->dev == dev || one_in(4)) ? b->handle :
							    (uint32_t)any64();
	u->exp.offset = one_in(2) ? 0 : below(8) * 4096 + (one_in(8) ? 1 : 0);
	u->exp.length = one_in(8) ?
				any64() :
				(1 + below(8)) * 4096 - (one_in(16) ? 100 : 0);
	if (one_in(8))
		u->exp.flags = (uint32_t)any64();
	else if (one_in(2))
		u->exp.flags = P2PBUF_EXPORT_F_NO_CLOEXEC;
	if (one_in(16))
		u->exp.reserved0 = (uint32_t)any64();
	if (one_in(16))
		u->exp.reserved[below(2)] = any64();
}

/*
 * A new dma-buf: sometimes mapped and touched (the special VMA of its
 * buffer), then closed; an import needs an importer, which the fuzzer has
 * not (test_export does that).
 */
static void use_dmabuf(int dfd, uint64_t len)
{
	volatile uint8_t *p;

	if (len && len <= 32 * 4096 && one_in(2)) {
		p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, dfd, 0);
		if (p != MAP_FAILED) {
			p[below(len)] = (uint8_t)rnd();
			munmap((void *)p, len);
		}
	}
	close(dfd);
}

static void fill_segments(union arg *u)
{
	uint32_t cap = (uint32_t)below(65);

	u->segs.capacity = cap;
	switch (below(6)) {
	case 0:
		u->segs.segments = 0;
		break;
	case 1:
		u->segs.segments = (uintptr_t)odd_pointer();
		u->segs.capacity = (uint32_t)(one_in(2) ? any64() : cap);
		break;
	default:
		u->segs.segments = (uintptr_t)seg_array;
	}
	if (one_in(2) || !fz.root)
		u->segs.flags = P2PBUF_SEGMENTS_F_LENGTHS_ONLY;
	if (one_in(3))
		u->segs.flags = (uint32_t)below(4);
	if (one_in(16))
		u->segs.flags = (uint32_t)any64();
	if (one_in(32))
		u->segs.reserved[below(2)] = any64();
}

static void fill_sync(union arg *u)
{
	u->sync.flags = (uint32_t)below(4);
	if (one_in(8))
		u->sync.flags = (uint32_t)any64();
	if (one_in(16))
		u->sync.reserved = any64();
}

/*
 * One ioctl: cmd nr (enum of the uAPI) with a structure filled for it,
 * on fd; then the bookkeeping of what it created.
 */
static void do_ioctl(enum op op, int fd, int dev)
{
	/* The device's commands first, then the dma-sgl fd's. */
	static const uint8_t nrs[] = {
		P2PBUF_CMD_INFO,       P2PBUF_CMD_ALLOC,    P2PBUF_CMD_FREE,
		P2PBUF_CMD_MAP,	       P2PBUF_CMD_REACH,    P2PBUF_CMD_EXPORT,
		P2PBUF_CMD_MAP_DMABUF, P2PBUF_CMD_SEGMENTS, P2PBUF_CMD_SYNC
	};
	static const uint32_t fulls[] = { sizeof(struct p2pbuf_info),
					  sizeof(struct p2pbuf_alloc),
					  sizeof(struct p2pbuf_free),
					  sizeof(struct p2pbuf_map),
					  sizeof(struct p2pbuf_reach),
					  sizeof(struct p2pbuf_export),
					  sizeof(struct p2pbuf_map_dmabuf),
					  sizeof(struct p2pbuf_segments),
					  sizeof(struct p2pbuf_sync) };
	static const uint32_t ver0s[] = {
		P2PBUF_INFO_SIZE_VER0,	     P2PBUF_ALLOC_SIZE_VER0,
		P2PBUF_FREE_SIZE_VER0,	     P2PBUF_MAP_SIZE_VER0,
		P2PBUF_REACH_SIZE_VER0,	     P2PBUF_EXPORT_SIZE_VER0,
		P2PBUF_MAP_DMABUF_SIZE_VER0, P2PBUF_SEGMENTS_SIZE_VER0,
		P2PBUF_SYNC_SIZE_VER0
	};
	union arg u;
	unsigned int k;
	unsigned long cmd;
	void *arg = &u;
	struct fbuf *b = NULL;
	long r;
	int e;

	memset(&u, 0, sizeof(u));
	/* The sgl fd's commands mostly on an sgl fd, the others on the device. */
	if (op == OP_IOCTL_SGL)
		k = 7 + (unsigned int)below(2);
	else
		k = (unsigned int)below(7);
	if (one_in(10))
		k = (unsigned int)below(9);
	cmd = _IOWR(P2PBUF_IOC_MAGIC, nrs[k], union arg);
	cmd = (cmd & ~((unsigned long)_IOC_SIZEMASK << _IOC_SIZESHIFT)) |
	      ((unsigned long)fulls[k] << _IOC_SIZESHIFT);
	switch (nrs[k]) {
	case P2PBUF_CMD_ALLOC:
		fill_alloc(&u);
		break;
	case P2PBUF_CMD_FREE:
		b = pick_buf();
		u.free.handle = b && (b->dev == dev || one_in(4)) ?
					b->handle :
					(uint32_t)any64();
		if (one_in(16))
			u.free.reserved = (uint32_t)any64();
		if (one_in(16))
			u.free.flags = (uint32_t)any64();
		break;
	case P2PBUF_CMD_MAP:
		fill_map(&u);
		break;
	case P2PBUF_CMD_REACH:
		fill_reach(&u);
		break;
	case P2PBUF_CMD_EXPORT:
		fill_export(&u, dev);
		break;
	case P2PBUF_CMD_MAP_DMABUF:
		/* Whatever fd: not a dma-buf here (test_import has those). */
		u.imp.dmabuf_fd = (int32_t)below(64) - 2;
		u.imp.offset = below(4) * 4096;
		u.imp.length = below(4) * 4096 + (one_in(8) ? 1 : 0);
		u.imp.direction = (uint32_t)below(4);
		pick_target(&u.imp.target);
		if (one_in(8))
			u.imp.flags = (uint32_t)any64();
		break;
	case P2PBUF_CMD_SEGMENTS:
		fill_segments(&u);
		break;
	case P2PBUF_CMD_SYNC:
		fill_sync(&u);
		break;
	default:
		if (one_in(8))
			u.info.reserved[below(4)] = any64();
		if (one_in(8))
			u.info.flags = (uint32_t)any64();
		break;
	}
	u.info.size = pick_size(&u, fulls[k], ver0s[k]);
	/* Mis-encoded commands: other sizes, directions, numbers, types. */
	switch (below(24)) {
	case 0:
		cmd = _IOC(below(4), P2PBUF_IOC_MAGIC, nrs[k], below(512));
		break;
	case 1:
		cmd = _IOC(below(4), P2PBUF_IOC_MAGIC, below(256), below(512));
		break;
	case 2:
		cmd = (unsigned long)rnd() & 0xffffffffUL;
		break;
	case 3:
		cmd = _IOWR(P2PBUF_IOC_MAGIC ^ (1 + below(255)), nrs[k],
			    union arg);
		break;
	}
	/* Those that make fds must land in u: the fuzzer closes them. */
	if (one_in(24) && nrs[k] != P2PBUF_CMD_MAP &&
	    nrs[k] != P2PBUF_CMD_EXPORT && nrs[k] != P2PBUF_CMD_MAP_DMABUF)
		arg = odd_pointer();
	else if (one_in(64))
		arg = one_in(2) ? NULL : (void *)1;
	r = ioctl(fd, cmd, arg);
	e = errno;
	result(op, r, e, IOCTL_ERRNOS, "ioctl");
	if (r < 0 || arg != &u || _IOC_TYPE(cmd) != P2PBUF_IOC_MAGIC)
		return;
	/* The driver dispatches on the number: mis-encoded ones work too. */
	if (_IOC_NR(cmd) == P2PBUF_CMD_ALLOC && dev >= 0) {
		int i;

		for (i = 0; i < NBUF; i++)
			if (!fz.buf[i].live)
				break;
		if (i == NBUF) {
			/* No slot: free it at once. */
			struct p2pbuf_free f = { .size = sizeof(f),
						 .handle = u.alloc.handle };

			if (ioctl(fd, P2PBUF_IOC_FREE, &f))
				violation("FREE of a new buffer: %s",
					  strerror(errno));
			return;
		}
		fz.buf[i] = (struct fbuf){ .live = true,
					   .dev = dev,
					   .handle = u.alloc.handle,
					   .prov = u.alloc.provider_id,
					   .off = u.alloc.mmap_offset,
					   .len = u.alloc.length };
		if (!u.alloc.provider_id)
			fz.host_live += u.alloc.length;
	} else if (_IOC_NR(cmd) == P2PBUF_CMD_FREE && dev >= 0) {
		int i;

		for (i = 0; i < NBUF; i++)
			if (fz.buf[i].live && fz.buf[i].dev == dev &&
			    fz.buf[i].handle == u.free.handle) {
				fz.buf[i].live = false;
				if (!fz.buf[i].prov)
					fz.host_live -= fz.buf[i].len;
			}
	} else if (_IOC_NR(cmd) == P2PBUF_CMD_EXPORT && dev >= 0) {
		use_dmabuf(u.exp.dmabuf_fd, u.exp.length);
	} else if (_IOC_NR(cmd) == P2PBUF_CMD_MAP_DMABUF && dev >= 0) {
		close(u.imp.sgl_fd);
	} else if (_IOC_NR(cmd) == P2PBUF_CMD_MAP && dev >= 0) {
		int slot = free_sgl_slot();

		if (slot < 0) {
			close(u.map.sgl_fd);
			return;
		}
		fz.sgl[slot] = u.map.sgl_fd;
	}
}

static void op_ioctl_dev(void)
{
	int d = pick_dev();

	if (d < 0)
		return;
	do_ioctl(OP_IOCTL_DEV, fz.dev[d], d);
}

static void op_ioctl_sgl(void)
{
	int s = pick_sgl_slot();

	if (s < 0) {
		/* No dma-sgl: the device's own fd, which answers ENOTTY. */
		int d = pick_dev();

		if (d >= 0)
			do_ioctl(OP_IOCTL_SGL, fz.dev[d], d);
		return;
	}
	do_ioctl(OP_IOCTL_SGL, fz.sgl[s], -1);
}

/* close, dup, poll, read, write, fdinfo of a dma-sgl fd. */
static void op_sgl_misc(void)
{
	int s = pick_sgl_slot(), fd, slot;
	char buf[256] = "";
	long r = 0;
	int e = 0;

	if (s < 0)
		return;
	fd = fz.sgl[s];
	switch (below(6)) {
	case 0:
		r = close(fd);
		e = errno;
		fz.sgl[s] = -1;
		break;
	case 1:
		slot = free_sgl_slot();
		if (slot < 0)
			return;
		r = fcntl(fd, F_DUPFD_CLOEXEC, 3);
		e = errno;
		if (r >= 0)
			fz.sgl[slot] = (int)r;
		break;
	case 2: {
		struct pollfd p = { .fd = fd, .events = POLLIN | POLLPRI };

		r = poll(&p, 1, 0);
		e = errno;
		break;
	}
	case 3:
		r = read(fd, buf, sizeof(buf));
		e = errno;
		break;
	case 4:
		r = write(fd, buf, 1 + below(sizeof(buf)));
		e = errno;
		break;
	default: {
		char path[64];
		int f;

		snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
		f = open(path, O_RDONLY | O_CLOEXEC);
		if (f < 0) {
			violation("%s: %s", path, strerror(errno));
			return;
		}
		r = read(f, buf, sizeof(buf));
		e = errno;
		close(f);
		if (r > 0 && !memmem(buf, (size_t)r, "p2pbuf-sgl:", 11))
			violation("fdinfo of a dma-sgl without p2pbuf-sgl:");
	}
	}
	result(OP_SGL_MISC, r, e, ALLOWED(EINVAL, EBADF, EOPNOTSUPP, EPERM),
	       "dma-sgl fd");
}

/* --- files ------------------------------------------------------------------------ */

static void op_open(void)
{
	int i, fd;

	for (i = 0; i < NDEV; i++)
		if (fz.dev[i] < 0)
			break;
	if (i == NDEV)
		return;
	fd = open(TU_DEV,
		  one_in(8) ? O_RDONLY | O_CLOEXEC : O_RDWR | O_CLOEXEC);
	/* The device is root's (0600): a user works on files it was given. */
	if (fz.root)
		result(OP_OPEN, fd, errno, ALLOWED(0), "open");
	else
		result(OP_OPEN, fd < 0 ? -1 : 0, fd < 0 ? errno : 0,
		       ALLOWED(EACCES), "open as uid 65534");
	fz.dev[i] = fd;
}

static void op_close(void)
{
	int d = pick_dev(), i, open = 0;

	for (i = 0; i < NDEV; i++)
		open += fz.dev[i] >= 0;
	/* Keep one: the user cannot open the device again. */
	if (d < 0 || open < 2)
		return;
	result(OP_CLOSE, close(fz.dev[d]), errno, ALLOWED(0), "close");
	fz.dev[d] = -1;
	/* Its buffers are freed; their mappings live on. */
	for (i = 0; i < NBUF; i++)
		if (fz.buf[i].live && fz.buf[i].dev == d) {
			fz.buf[i].live = false;
			if (!fz.buf[i].prov)
				fz.host_live -= fz.buf[i].len;
		}
}

/* --- memory ------------------------------------------------------------------------ */

static int rand_prot(void)
{
	static const int p[] = { PROT_READ | PROT_WRITE,
				 PROT_READ,
				 PROT_WRITE,
				 PROT_NONE,
				 PROT_READ | PROT_EXEC,
				 PROT_READ | PROT_WRITE | PROT_EXEC };

	return one_in(3) ? p[below(6)] : PROT_READ | PROT_WRITE;
}

static void op_mmap(void)
{
	struct fbuf *b = pick_buf();
	int d = b ? b->dev : pick_dev(), flags, fd, prot;
	uint64_t len, off;
	uint8_t *p;
	void *r;

	if (d < 0 || fz.dev[d] < 0)
		return;
	fd = fz.dev[d];
	if (b) {
		uint64_t pages = b->len / PAGE;
		uint64_t first = below(pages + 1);

		off = b->off + first * PAGE;
		len = (1 + below(pages - first + 2)) * PAGE;
		if (len > 256 * PAGE)
			len = 256 * PAGE;
	} else {
		off = below(64) * PAGE;
		len = (1 + below(16)) * PAGE;
	}
	if (one_in(16))
		off = any64() & ~(PAGE - 1);
	if (one_in(32))
		off = any64();
	if (len > ARENA_PAGES * PAGE / 2)
		len = ARENA_PAGES * PAGE / 2;
	p = fz.arena + below(ARENA_PAGES - len / PAGE + 1) * PAGE;
	flags = MAP_SHARED;
	switch (below(16)) {
	case 0:
		flags = MAP_PRIVATE;
		break;
	case 1:
		flags = MAP_SHARED | MAP_POPULATE;
		break;
	case 2:
		flags = MAP_SHARED_VALIDATE |
			(int)(1U << below(21)) /* any known or unknown bit */;
		break;
	case 3:
		flags = MAP_SHARED | MAP_LOCKED | MAP_NORESERVE;
		break;
	}
	if (one_in(16)) {
		int s = pick_sgl_slot();

		if (s >= 0)
			fd = fz.sgl[s]; /* not mappable */
	}
	prot = rand_prot();
	r = mmap(p, len, prot, flags | MAP_FIXED, fd, (off_t)off);
	if (r == MAP_FAILED) {
		int e = errno;
		char what[128];

		snprintf(what, sizeof(what),
			 "mmap(prot %#x, flags %#x, offset %#" PRIx64
			 ", length %#" PRIx64 ")",
			 prot, flags, off, len);
		result(OP_MMAP, -1, e,
		       ALLOWED(EINVAL, ENODEV, EACCES, ENOMEM, EPERM, EAGAIN,
			       EEXIST, EOPNOTSUPP, EOVERFLOW),
		       what);
		/* A fixed mapping that failed may have unmapped the range. */
		reserve(p, len);
		return;
	}
	if (r != p) {
		munmap(r, len);
		violation("MAP_FIXED mmap at %p returned %p", (void *)p, r);
	}
	fz.ok[OP_MMAP]++;
}

static void op_munmap(void)
{
	uint64_t len;
	uint8_t *p = arena_range(64, &len);

	result(OP_MUNMAP, munmap(p, len), errno, ALLOWED(0), "munmap");
	reserve(p, len);
}

static void op_mremap(void)
{
	uint64_t len, dlen, newlen;
	uint8_t *p = arena_range(32, &len), *d;
	void *r;
	int flags;

	newlen = (1 + below(len / PAGE + 4)) * PAGE;
	switch (below(5)) {
	case 0: /* in place: shrink or grow */
		r = mremap(p, len, newlen, 0);
		break;
	case 1: /* anywhere */
		r = mremap(p, len, newlen, MREMAP_MAYMOVE);
		break;
	default: /* into the arena, not overlapping */
		do
			d = arena_range(32, &dlen);
		while (d < p + len && p < d + newlen && !one_in(64));
		if (d + newlen > fz.arena + ARENA_PAGES * PAGE)
			newlen = (uint64_t)(fz.arena + ARENA_PAGES * PAGE - d);
		flags = MREMAP_MAYMOVE | MREMAP_FIXED;
		if (one_in(4))
			flags |= MREMAP_DONTUNMAP;
		r = mremap(p, len, newlen, flags, d);
		if (r == MAP_FAILED)
			reserve(d, newlen); /* may have been unmapped */
		break;
	}
	if (r == MAP_FAILED) {
		count_mm(OP_MREMAP, -1, errno);
		return;
	}
	fz.ok[OP_MREMAP]++;
	if ((uint8_t *)r < fz.arena ||
	    (uint8_t *)r + newlen > fz.arena + ARENA_PAGES * PAGE) {
		/* Moved out of the arena: give it back. */
		munmap(r, newlen);
		reserve(p, len);
	} else if ((uint8_t *)r != p) {
		reserve(p, len); /* the source is a hole now (or kept) */
	} else if (newlen < len) {
		reserve(p + newlen, len - newlen);
	} else if (p + newlen > fz.arena + ARENA_PAGES * PAGE) {
		/* Grown in place past the arena's end. */
		uint8_t *end = fz.arena + ARENA_PAGES * PAGE;

		munmap(end, (uint64_t)(p + newlen - end));
	}
}

static void op_mprotect(void)
{
	uint64_t len;
	uint8_t *p = arena_range(64, &len);

	long r = mprotect(p, len, rand_prot());

	count_mm(OP_MPROTECT, r, errno);
}

static void op_madvise(void)
{
	/*
	 * Every advice number up to MADV_GUARD_REMOVE but MADV_HWPOISON and
	 * MADV_SOFT_OFFLINE (100, 101: they would poison the guest's pages).
	 */
	static const int extra[] = { 102, 103, 104, 1000, -1 };
	uint64_t len;
	uint8_t *p = arena_range(64, &len);
	int advice = one_in(8) ? extra[below(5)] : (int)below(26);

	long r = madvise(p, len, advice);

	count_mm(OP_MADVISE, r, errno);
}

static void op_touch(void)
{
	volatile uint8_t *p =
		fz.arena + below(ARENA_PAGES) * PAGE + below(PAGE);
	int sig = one_in(2) ? tu_touch(p) : tu_touch_write(p);

	if (sig && sig != SIGBUS && sig != SIGSEGV)
		violation("touch: signal %d", sig);
	fz.ok[OP_TOUCH]++;
}

/* --- fork --------------------------------------------------------------------------- */

static void op_fork(void)
{
	pid_t pid;
	int st, i;

	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		result(OP_FORK, -1, errno, ALLOWED(EAGAIN, ENOMEM), "fork");
		return;
	}
	if (!pid) {
		/*
		 * The child: the p2pbuf mappings were not inherited
		 * (VM_DONTCOPY), the files were.  A few ioctls and touches.
		 */
		fz.child = true;
		fz.rng ^= 0x5a5a5a5a;
		for (i = 0; i < 32; i++) {
			switch (below(3)) {
			case 0:
				op_ioctl_dev();
				break;
			case 1:
				op_ioctl_sgl();
				break;
			default:
				op_touch();
			}
		}
		_exit(0);
	}
	if (waitpid(pid, &st, 0) != pid)
		violation("waitpid: %s", strerror(errno));
	if (!WIFEXITED(st) || WEXITSTATUS(st))
		violation("forked child: status %#x", st);
	fz.ok[OP_FORK]++;
}

/* --- netlink -------------------------------------------------------------------------- */

struct nlbuf {
	uint8_t b[1024] __attribute__((aligned(8)));
	size_t len;
};

static void nl_attr(struct nlbuf *m, uint16_t type, const void *data,
		    size_t len)
{
	struct nlattr *a = (struct nlattr *)(m->b + m->len);

	if (m->len + NLA_HDRLEN + NLA_ALIGN(len) > sizeof(m->b))
		return;
	a->nla_type = type;
	a->nla_len = (uint16_t)(NLA_HDRLEN + len);
	memcpy(a + 1, data, len);
	memset((uint8_t *)(a + 1) + len, 0, NLA_ALIGN(len) - len);
	m->len += NLA_HDRLEN + NLA_ALIGN(len);
}

static void nl_u32(struct nlbuf *m, uint16_t type, uint32_t v)
{
	nl_attr(m, type, &v, 4);
}

static void nl_u64(struct nlbuf *m, uint16_t type, uint64_t v)
{
	nl_attr(m, type, &v, 8);
}

static void nl_str(struct nlbuf *m, uint16_t type, const char *s)
{
	nl_attr(m, type, s, strlen(s) + 1);
}

/* A malformed or random attribute. */
static void nl_junk(struct nlbuf *m)
{
	uint8_t data[64];
	uint16_t type =
		(uint16_t)(one_in(4) ? rnd() : below(P2PBUF_NL_A_MAX + 6));
	size_t len = below(one_in(4) ? sizeof(data) : 13), i;
	struct nlattr *a;

	for (i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(one_in(2) ? 0 : rnd());
	if (one_in(8))
		type |= NLA_F_NESTED;
	if (one_in(8))
		type |= NLA_F_NET_BYTEORDER;
	a = (struct nlattr *)(m->b + m->len);
	nl_attr(m, type, data, len);
	if (one_in(16) && (uint8_t *)a < m->b + m->len) /* a lying nla_len */
		a->nla_len = (uint16_t)(one_in(2) ? below(NLA_HDRLEN) :
						    a->nla_len + 1 + below(64));
}

static const char *pci_addr(void)
{
	static const char *const junk[] = { "",
					    "0000:00:04.0x",
					    "0000:00:04",
					    "zzzz:zz:zz.z",
					    "0000:ff:1f.7",
					    "ffff:00:00.0",
					    "0000:00:00.0",
					    "0:0:4.0",
					    "000000:00:04.0000" };

	if (!one_in(4))
		return fz.ivshmem[below(2)];
	return junk[below(sizeof(junk) / sizeof(junk[0]))];
}

/* A request for cmd, well-formed or close to it. */
static void nl_fill(struct nlbuf *m, uint8_t cmd)
{
	int n, i;

	switch (cmd) {
	case P2PBUF_NL_CMD_PROVIDER_ADD:
		if (!one_in(8))
			nl_u32(m, P2PBUF_NL_A_PROVIDER_KIND,
			       one_in(8) ? (uint32_t)below(4) :
					   P2PBUF_NL_PROVIDER_KIND_PCIBAR);
		if (!one_in(8))
			nl_str(m, P2PBUF_NL_A_PROVIDER_PCI_ADDR, pci_addr());
		/*
		 * BAR 2 of an ivshmem (RAM) or a BAR that is not memory or
		 * does not exist; never a register BAR of another device.
		 */
		if (!one_in(8))
			nl_u32(m, P2PBUF_NL_A_PROVIDER_BAR,
			       one_in(4) ? (uint32_t)below(8) : 2);
		if (one_in(2))
			nl_u64(m, P2PBUF_NL_A_PROVIDER_OFFSET,
			       one_in(4) ? any64() : below(64) * MIB / 4);
		if (one_in(2))
			nl_u64(m, P2PBUF_NL_A_PROVIDER_SIZE,
			       one_in(4) ? any64() : (1 + below(16)) * MIB);
		if (one_in(2))
			nl_u32(m, P2PBUF_NL_A_PROVIDER_FLAGS,
			       one_in(4) ?
				       (uint32_t)any64() :
				       P2PBUF_NL_PROVIDER_F_HOST_BRIDGE_P2P);
		break;
	case P2PBUF_NL_CMD_PROVIDER_DEL:
	case P2PBUF_NL_CMD_PROVIDER_GET:
		if (!one_in(8))
			nl_u32(m, P2PBUF_NL_A_PROVIDER_ID, pick_prov());
		if (one_in(2))
			nl_attr(m, P2PBUF_NL_A_FORCE, NULL, 0);
		break;
	case P2PBUF_NL_CMD_BUFFER_REVOKE: {
		struct fbuf *b = pick_buf();

		if (!one_in(8))
			nl_u32(m, P2PBUF_NL_A_BUFFER_ID,
			       b && !one_in(4) ? b->handle : (uint32_t)any64());
		break;
	}
	default:
		break;
	}
	n = one_in(3) ? 1 + (int)below(4) : 0;
	for (i = 0; i < n; i++)
		nl_junk(m);
}

/* The provider id in a PROVIDER_ADD answer, 0 if none. */
static uint32_t nl_reply_provider(const uint8_t *b, ssize_t len, uint32_t seq)
{
	const struct nlmsghdr *h = (const struct nlmsghdr *)b;

	for (; NLMSG_OK(h, len); h = NLMSG_NEXT(h, len)) {
		const struct nlattr *a;
		int rem;

		if (h->nlmsg_seq != seq || h->nlmsg_type != fz.family)
			continue;
		a = (const struct nlattr *)((const uint8_t *)NLMSG_DATA(h) +
					    GENL_HDRLEN);
		rem = (int)h->nlmsg_len - NLMSG_HDRLEN - GENL_HDRLEN;
		for (; rem >= NLA_HDRLEN && a->nla_len >= NLA_HDRLEN &&
		       a->nla_len <= rem;
		     rem -= NLA_ALIGN(a->nla_len),
		     a = (const struct nlattr *)((const uint8_t *)a +
						 NLA_ALIGN(a->nla_len)))
			if ((a->nla_type & NLA_TYPE_MASK) ==
			    P2PBUF_NL_A_PROVIDER_ID)
				return *(const uint32_t *)(a + 1);
	}
	return 0;
}

static void op_netlink(void)
{
	static uint8_t rbuf[1 << 16] __attribute__((aligned(8)));
	struct nlbuf m;
	struct nlmsghdr *h = (struct nlmsghdr *)m.b;
	struct genlmsghdr *g = (struct genlmsghdr *)(h + 1);
	uint8_t cmd =
		(uint8_t)(one_in(16) ? rnd() : below(P2PBUF_NL_CMD_MAX + 3));
	int err = 0, acks = 0, i;
	uint32_t seq = ++fz.nlseq, added = 0;
	ssize_t len, sent;

	memset(&m, 0, sizeof(m));
	m.len = NLMSG_HDRLEN + GENL_HDRLEN;
	h->nlmsg_type = (uint16_t)fz.family;
	h->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	if (one_in(3) || cmd == P2PBUF_NL_CMD_BUFFER_GET ||
	    cmd == P2PBUF_NL_CMD_SGL_GET)
		h->nlmsg_flags |= NLM_F_DUMP;
	if (one_in(16))
		h->nlmsg_flags ^= NLM_F_DUMP;
	if (one_in(32))
		h->nlmsg_flags |= (uint16_t)(rnd() & ~NLM_F_ACK);
	h->nlmsg_seq = seq;
	g->cmd = cmd;
	g->version = one_in(16) ? (uint8_t)rnd() : P2PBUF_NL_FAMILY_VERSION;
	if (one_in(32))
		g->reserved = (uint16_t)rnd();
	nl_fill(&m, cmd);
	h->nlmsg_len = (uint32_t)m.len;
	if (one_in(64)) /* a header that lies about the length */
		h->nlmsg_len = (uint32_t)(one_in(2) ? below(m.len) :
						      m.len + below(64));
	sent = send(fz.nl, m.b, m.len, 0);
	if (sent < 0) {
		result(OP_NETLINK, -1, errno, ALLOWED(EINVAL, EMSGSIZE),
		       "netlink send");
		return;
	}
	/*
	 * Generic netlink handles a request in sendmsg (and a dump's further
	 * parts in recvmsg): everything is queued by now.
	 */
	while ((len = recv(fz.nl, rbuf, sizeof(rbuf), MSG_DONTWAIT)) > 0) {
		struct nlmsghdr *r = (struct nlmsghdr *)rbuf;
		ssize_t l = len;

		if (cmd == P2PBUF_NL_CMD_PROVIDER_ADD && !added)
			added = nl_reply_provider(rbuf, len, seq);
		for (; NLMSG_OK(r, l); r = NLMSG_NEXT(r, l)) {
			if (r->nlmsg_seq != seq)
				continue;
			if (r->nlmsg_type == NLMSG_ERROR) {
				err = -((struct nlmsgerr *)NLMSG_DATA(r))->error;
				acks++;
			} else if (r->nlmsg_type == NLMSG_DONE) {
				acks++;
			}
		}
	}
	if (len < 0 && errno != EAGAIN)
		violation("netlink recv: %s", strerror(errno));
	if (!fz.root && !err && acks &&
	    (cmd == P2PBUF_NL_CMD_PROVIDER_ADD ||
	     cmd == P2PBUF_NL_CMD_PROVIDER_DEL ||
	     cmd == P2PBUF_NL_CMD_BUFFER_REVOKE) &&
	    !(h->nlmsg_flags & NLM_F_DUMP))
		violation("uid 65534: command %u accepted", cmd);
	result(OP_NETLINK, err ? -1 : 0, err,
	       ALLOWED(EINVAL, EPERM, ENOENT, ENODEV, EBUSY, EOPNOTSUPP, EEXIST,
		       ERANGE, ENOMEM, ENOSPC, EMSGSIZE, ENXIO, EACCES, E2BIG,
		       EXDEV),
	       "netlink");
	if (err || !added || fz.nprov == NPROV)
		return;
	for (i = 0; i < fz.nprov; i++)
		if (fz.prov[i] == added)
			return;
	fz.prov[fz.nprov++] = added;
}

/* --- the run ------------------------------------------------------------------------ */

static void step(void)
{
	static int table[1000];
	static bool built;
	int i, j, k = 0;

	if (!built) {
		for (i = 0; i < NR_OPS; i++)
			for (j = 0; j < op_weight[i] && k < 1000; j++)
				table[k++] = i;
		for (; k < 1000; k++)
			table[k] = OP_IOCTL_DEV;
		built = true;
	}
	switch (table[below(1000)]) {
	case OP_OPEN:
		op_open();
		break;
	case OP_CLOSE:
		op_close();
		break;
	case OP_IOCTL_DEV:
		op_ioctl_dev();
		break;
	case OP_IOCTL_SGL:
		op_ioctl_sgl();
		break;
	case OP_SGL_MISC:
		op_sgl_misc();
		break;
	case OP_MMAP:
		op_mmap();
		break;
	case OP_MUNMAP:
		op_munmap();
		break;
	case OP_MREMAP:
		op_mremap();
		break;
	case OP_MPROTECT:
		op_mprotect();
		break;
	case OP_MADVISE:
		op_madvise();
		break;
	case OP_TOUCH:
		op_touch();
		break;
	case OP_FORK:
		op_fork();
		break;
	default:
		op_netlink();
	}
}

/* The PCI functions of the rig: targets, and the ivshmems (BAR 2 is RAM). */
static void find_devices(void)
{
	struct dirent **names;
	int n, i, iv = 0;

	n = scandir("/sys/bus/pci/devices", &names, NULL, alphasort);
	ck_assert_int_gt(n, 0);
	for (i = 0; i < n; i++) {
		const char *d = names[i]->d_name;

		if (d[0] != '.' && fz.ntarget < NTARGET)
			snprintf(fz.target[fz.ntarget++], RIG_BDF_LEN, "%.*s",
				 RIG_BDF_LEN - 1, d);
		free(names[i]);
	}
	free(names);
	iv = rig_pci_find(0x1af4, 0x1110, fz.ivshmem, 2);
	ck_assert_msg(iv == 2, "the rig has %d ivshmem devices, not 2", iv);
}

static int nl_open(void)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);
	int one = 1;

	ck_assert_msg(fd >= 0, "netlink socket: %s", strerror(errno));
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	/* Extended acks, as a real client gets them (more code to reach). */
	setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
	return fd;
}

/*
 * Run ops operations from the current state of the stream, on the device
 * files dev[NDEV] (-1: none).
 */
static void fuzz_run(unsigned long ops, const int *dev)
{
	int i;

	fz.arena = mmap(NULL, ARENA_PAGES * PAGE, PROT_NONE,
			MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	ck_assert(fz.arena != MAP_FAILED);
	for (i = 0; i < NDEV; i++)
		fz.dev[i] = dev[i];
	for (i = 0; i < NSGL; i++)
		fz.sgl[i] = -1;
	memset(fz.buf, 0, sizeof(fz.buf));
	fz.nl = nl_open();
	for (fz.op = 0; fz.op < ops; fz.op++)
		step();
	/* Everything goes. */
	for (i = 0; i < NSGL; i++)
		if (fz.sgl[i] >= 0)
			ck_assert_int_eq(close(fz.sgl[i]), 0);
	ck_assert_int_eq(munmap(fz.arena, ARENA_PAGES * PAGE), 0);
	for (i = 0; i < NDEV; i++)
		if (fz.dev[i] >= 0)
			ck_assert_int_eq(close(fz.dev[i]), 0);
	close(fz.nl);
}

static void print_stats(const char *who, double secs)
{
	unsigned long total = 0;
	int i, e;

	for (i = 0; i < NR_OPS; i++)
		total += fz.ok[i] + fz.fail[i];
	printf("fuzz %s: %lu operations in %.1f s (%.0f/s)\n", who, fz.op, secs,
	       fz.op / secs);
	for (i = 0; i < NR_OPS; i++) {
		char errs[512] = "";
		size_t l = 0;

		for (e = 1; e < 136; e++)
			if (fz.err[i][e] && l < sizeof(errs) - 32)
				l += (size_t)snprintf(
					errs + l, sizeof(errs) - l, " %s:%lu",
					strerrorname_np(e) ?
						strerrorname_np(e) :
						"?",
					fz.err[i][e]);
		printf("  %-10s ok %8lu  failed %8lu%s\n", op_names[i],
		       fz.ok[i], fz.fail[i], errs);
	}
	fflush(stdout);
	(void)total;
}

static uint64_t pick_seed(void)
{
	const char *s = getenv("P2PBUF_FUZZ_SEED");
	uint64_t seed;

	if (s && *s)
		return strtoull(s, NULL, 0);
	if (getrandom(&seed, sizeof(seed), 0) != sizeof(seed))
		seed = (uint64_t)time(NULL);
	return seed;
}

static unsigned long pick_ops(void)
{
	const char *s = getenv("P2PBUF_FUZZ_OPS");

	if (s && *s)
		return strtoul(s, NULL, 0);
	return tu_rig_is("debug") ? FUZZ_OPS_DEBUG : FUZZ_OPS;
}

static struct tu_nl nl;

/* No buffer and no dma-sgl is listed (root sees all). */
static void check_listings(void)
{
	struct tu_nl_msg l[16];

	ck_assert_int_eq(tu_nl_dump(&nl, P2PBUF_NL_CMD_BUFFER_GET, l, 16), 0);
	ck_assert_int_eq(tu_nl_dump(&nl, P2PBUF_NL_CMD_SGL_GET, l, 16), 0);
}

START_TEST(test_fuzz)
{
	unsigned long ops = pick_ops(), root_ops, user_ops;
	double t0, t1, t2;
	pid_t pid;
	int st, i, dev[NDEV];

	memset(&fz, 0, sizeof(fz));
	fz.seed = pick_seed();
	fz.rng = fz.seed;
	user_ops = ops / 4;
	root_ops = ops - user_ops;
	printf("fuzz: P2PBUF_FUZZ_SEED=%" PRIu64 " P2PBUF_FUZZ_OPS=%lu "
	       "(%lu as root, %lu as uid 65534)%s\n",
	       fz.seed, ops, root_ops, user_ops,
	       tu_rig_is("debug") ? " -- fewer on the debug kernel" : "");
	fflush(stdout);
	find_devices();
	fz.family = nl.family;
	fz.prov[fz.nprov++] = tu_nl_provider_add(&nl, fz.ivshmem[0]);
	fz.prov[fz.nprov++] = tu_nl_provider_add(&nl, fz.ivshmem[1]);

	fz.root = true;
	t0 = tu_now_ms();
	for (i = 0; i < NDEV; i++)
		dev[i] = i ? -1 : tu_dev_open();
	fuzz_run(root_ops, dev);
	t1 = tu_now_ms();
	print_stats("root", (t1 - t0) / 1000);
	check_listings();
	tu_nl_assert_providers_whole(&nl);

	/* The same as uid 65534, from where the stream is now. */
	fflush(NULL);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (!pid) {
		struct rlimit rl = { USER_MEMLOCK, USER_MEMLOCK };

		/* Files opened by root and handed over (the device is 0600). */
		for (i = 0; i < NDEV; i++)
			dev[i] = open(TU_DEV, O_RDWR | O_CLOEXEC);
		if (setrlimit(RLIMIT_MEMLOCK, &rl) || setgid(NOBODY) ||
		    setuid(NOBODY))
			_exit(2);
		memset(fz.ok, 0, sizeof(fz.ok));
		memset(fz.fail, 0, sizeof(fz.fail));
		memset(fz.err, 0, sizeof(fz.err));
		fz.root = false;
		fz.host_live = 0;
		t1 = tu_now_ms();
		fuzz_run(user_ops, dev);
		print_stats("uid 65534", (tu_now_ms() - t1) / 1000);
		fflush(NULL);
		_exit(0);
	}
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert_msg(WIFEXITED(st) && !WEXITSTATUS(st),
		      "the uid 65534 run: status %#x (P2PBUF_FUZZ_SEED=%" PRIu64
		      ")",
		      st, fz.seed);
	t2 = tu_now_ms();
	printf("fuzz: %lu operations in %.1f s (%.0f/s), seed %" PRIu64 "\n",
	       ops, (t2 - t0) / 1000, ops / ((t2 - t0) / 1000), fz.seed);
	fflush(stdout);

	check_listings();
	tu_nl_assert_providers_whole(&nl);
	tu_assert_memlock_uncharged(NOBODY);
	check_listings();
	/* Every provider the runs left goes without force: nothing holds it. */
	{
		struct tu_nl_msg p[16];
		int n = tu_nl_dump(&nl, P2PBUF_NL_CMD_PROVIDER_GET, p, 16);

		for (i = 0; i < n; i++)
			if (p[i].provider_id)
				ck_assert_int_eq(tu_nl_provider_del(
							 &nl, p[i].provider_id,
							 false),
						 0);
	}
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

static Suite *fuzz_suite(void)
{
	Suite *s = suite_create("fuzz");
	/* Bounded by operations; the limit only catches a hang. */
	TCase *tc = tu_tcase(s, "fuzz", 1800, setup, teardown);

	tcase_add_test(tc, test_fuzz);
	return s;
}

int main(void)
{
	return tu_run(fuzz_suite());
}
