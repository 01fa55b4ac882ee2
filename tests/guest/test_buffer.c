// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Guest tier: buffers (P2PBUF_IOC_ALLOC/FREE) and the special VMA, against
 * the real module in the test VM, through the raw uAPI.
 *
 * Data checks of device memory go through a second, independent mapping of
 * the same BAR: ivshmem's sysfs resource2.  Every rule of p2pbuf(4)'s
 * "Mapping a buffer" section has a test with its exact errno.  The fixture
 * checks that provider accounting (free bytes, buffer counts) is back to
 * its starting value after each test and removes leftovers.
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/capability.h>
#include <linux/p2pbuf.h>

#include "libp2pbuf.h"
#include "util.h"

#define THP_ENABLED "/sys/kernel/mm/transparent_hugepage/enabled"
#define KIB 1024ULL
#define MIB (1024ULL * 1024)
#define PAGE 4096ULL

static struct p2pbuf_ctl *ctl;
static char ivshmem[RIG_BDF_LEN];
static int kmsg = -1;
static uint64_t bar2_size;

/* ALLOC, which must work and answer as documented. */
static void alloc_ok(int fd, uint32_t prov, uint64_t len,
		     struct p2pbuf_alloc *a)
{
	int err = tu_alloc_try(fd, prov, len, a);

	ck_assert_msg(!err, "alloc %llu from %u: %s", (unsigned long long)len,
		      prov, strerror(err));
	ck_assert_uint_eq(a->size, sizeof(*a));
	ck_assert_uint_eq(a->length, (len + PAGE - 1) & ~(PAGE - 1));
	ck_assert_uint_ne(a->handle, 0);
	ck_assert_uint_eq(a->mmap_offset % PAGE, 0);
}

/* mmap() of a buffer: the mapping or MAP_FAILED with errno set. */
static void *map(int fd, const struct p2pbuf_alloc *a, uint64_t off,
		 uint64_t len, int flags)
{
	return mmap(NULL, len, PROT_READ | PROT_WRITE, flags, fd,
		    (off_t)(a->mmap_offset + off));
}

static void *map_ok(int fd, const struct p2pbuf_alloc *a, uint64_t off,
		    uint64_t len)
{
	void *p = map(fd, a, off, len, MAP_SHARED);

	ck_assert_msg(p != MAP_FAILED, "mmap: %s", strerror(errno));
	return p;
}

static void expect_map_err(int fd, const struct p2pbuf_alloc *a, uint64_t off,
			   uint64_t len, int flags, int err)
{
	void *p = map(fd, a, off, len, flags);

	ck_assert_msg(p == MAP_FAILED, "mmap succeeded, expected %s",
		      strerror(err));
	ck_assert_msg(errno == err, "mmap: %s, expected %s", strerror(errno),
		      strerror(err));
}

static uint64_t pattern(uint64_t seed, uint64_t i)
{
	return (seed * 0x9e3779b97f4a7c15ULL) ^ (i * 0xff51afd7ed558ccdULL) ^ i;
}

static void fill(volatile uint64_t *p, uint64_t len, uint64_t seed)
{
	for (uint64_t i = 0; i < len / 8; i++)
		p[i] = pattern(seed, i);
	__sync_synchronize();
}

/*
 * The data checks compare without ck_assert(), which records its place for
 * every check that passes (a write to Check's channel each time): per word
 * of a buffer, that would make the test's duration depend on the machine.
 */
static void check(const volatile uint64_t *p, uint64_t len, uint64_t seed)
{
	for (uint64_t i = 0; i < len / 8; i++)
		if (p[i] != pattern(seed, i))
			ck_abort_msg("word %llu: %#llx, expected %#llx",
				     (unsigned long long)i,
				     (unsigned long long)p[i],
				     (unsigned long long)pattern(seed, i));
}

static void check_zero(const volatile uint64_t *p, uint64_t len)
{
	for (uint64_t i = 0; i < len / 8; i++)
		if (p[i])
			ck_abort_msg("word %llu not zero: %#llx",
				     (unsigned long long)i,
				     (unsigned long long)p[i]);
}

static void prov_get(uint32_t id, struct p2pbuf_provider_info *info)
{
	int ret = p2pbuf_provider_get(ctl, id, info, sizeof(*info));

	ck_assert_msg(!ret, "provider %u: %s", id, p2pbuf_strerror(ret));
}

/* Register ivshmem BAR2; check it starts empty. */
static uint32_t add_bar2(void)
{
	struct p2pbuf_provider_info info;
	int ret;

	ret = p2pbuf_provider_add(ctl, ivshmem, 2, 0, 0, 0, &info,
				  sizeof(info));
	ck_assert_msg(!ret, "add: %s", p2pbuf_strerror(ret));
	ck_assert_uint_eq(info.free_bytes, bar2_size);
	ck_assert_uint_eq(info.buffers, 0);
	return info.id;
}

static void assert_prov(uint32_t id, uint64_t free_bytes, uint32_t buffers)
{
	struct p2pbuf_provider_info info;

	prov_get(id, &info);
	ck_assert_uint_eq(info.free_bytes, free_bytes);
	ck_assert_uint_eq(info.buffers, buffers);
}

static void assert_buffers(uint32_t id, uint32_t buffers)
{
	struct p2pbuf_provider_info info;

	prov_get(id, &info);
	ck_assert_uint_eq(info.buffers, buffers);
}

static void del_bar2(uint32_t id)
{
	assert_prov(id, bar2_size, 0);
	ck_assert_int_eq(p2pbuf_provider_del(ctl, id, 0), 0);
}

static volatile uint64_t *map_resource2(void)
{
	volatile uint64_t *r = rig_pci_map_bar(ivshmem, 2, bar2_size);

	ck_assert_ptr_nonnull((void *)r);
	return r;
}

/* --- fixture ----------------------------------------------------------- */

static void setup(void)
{
	struct p2pbuf_provider_info *l;

	tu_rig_ivshmem(ivshmem, &bar2_size);
	ck_assert_uint_eq(bar2_size, 64 * MIB);
	kmsg = rig_kmsg_open();
	ck_assert_int_ge(kmsg, 0);
	ck_assert_int_eq(p2pbuf_ctl_new(&ctl), 0);
	/*
	 * A failed test's process is gone, and its buffers with it; remove
	 * the provider it may have left so that failures do not cascade.
	 */
	tu_providers_clear(ctl);
	ck_assert_int_eq(p2pbuf_provider_list(ctl, &l, sizeof(*l)), 1);
	ck_assert_uint_eq(l[0].buffers, 0);
	free(l);
	/*
	 * The module's defaults and the rig's THP policy (Debian's and the
	 * debug kernel's default), whatever a failed test left.
	 */
	tu_set_param("prefault", "Y");
	tu_set_param("huge", "Y");
	if (access(THP_ENABLED, F_OK) == 0)
		tu_write_file(THP_ENABLED, "always");
}

/*
 * No memory-type trouble during the test: x86 PAT complains when a mapping
 * frees a reservation it does not own ("freeing invalid memtype", which
 * leaks the real one) or when types conflict.  scan-log.sh does not flag
 * these, so the suite does.
 */
static void assert_no_pat_errors(void)
{
	static const char *const needles[] = { "x86/PAT", NULL };
	char line[512];

	if (rig_kmsg_wait(kmsg, needles, line, sizeof(line), 0) == 0)
		ck_abort_msg("kernel log: %s", line);
	close(kmsg);
	kmsg = -1;
}

/* Accounting is back to its start: sysmem only, no buffer anywhere. */
static void teardown(void)
{
	assert_no_pat_errors();
	ck_assert_int_eq(tu_providers_release(ctl), 1);
	p2pbuf_ctl_free(ctl);
	ctl = NULL;
}

/* --- allocation -------------------------------------------------------- */

START_TEST(test_info_feature)
{
	struct p2pbuf_info info = { .size = sizeof(info) };
	int fd = tu_dev_open();

	ck_assert_int_eq(ioctl(fd, P2PBUF_IOC_INFO, &info), 0);
	ck_assert(info.features & P2PBUF_FEATURE_BUFFERS);
	ck_assert_uint_ge(info.version_minor, 1);
	close(fd);
}
END_TEST

/* Pattern across the whole buffer, at sizes including non-2 MiB ones. */
static const uint64_t sysmem_sizes[] = {
	1, PAGE, 3 * MIB + 4 * KIB, 2 * MIB, 64 * MIB + 12 * KIB,
};

START_TEST(test_sysmem_pattern)
{
	uint64_t len = sysmem_sizes[_i];
	struct p2pbuf_alloc a;
	volatile uint64_t *p;
	uint64_t mlen;
	int fd = tu_dev_open();

	alloc_ok(fd, P2PBUF_PROVIDER_ID_SYSMEM, len, &a);
	ck_assert_uint_eq(a.cache_mode, P2PBUF_CACHE_WB);
	ck_assert_uint_eq(a.provider_id, P2PBUF_PROVIDER_ID_SYSMEM);
	assert_buffers(P2PBUF_PROVIDER_ID_SYSMEM, 1);
	mlen = a.length;
	p = map_ok(fd, &a, 0, mlen);
	check_zero(p, mlen);
	fill(p, mlen, len);
	check(p, mlen, len);
	/* A second mapping of the same buffer sees the same memory. */
	{
		volatile uint64_t *q = map_ok(fd, &a, 0, mlen);

		check(q, mlen, len);
		munmap((void *)q, mlen);
	}
	ck_assert_int_eq(munmap((void *)p, mlen), 0);
	tu_free(fd, a.handle);
	close(fd);
}
END_TEST

START_TEST(test_alloc_errors)
{
	struct p2pbuf_alloc a;
	uint32_t id;
	int fd = tu_dev_open();

	ck_assert_int_eq(tu_alloc_try(fd, 0, 0, &a), EINVAL);
	ck_assert_int_eq(tu_alloc_try(fd, 0, P2PBUF_BUFFER_MAX_LENGTH + 1, &a),
			 EINVAL);
	ck_assert_int_eq(tu_alloc_try(fd, 0, UINT64_MAX, &a), EINVAL);
	/* Sysmem's free space is the guest's available RAM: 1 TiB is not. */
	ck_assert_int_eq(tu_alloc_try(fd, 0, P2PBUF_BUFFER_MAX_LENGTH, &a),
			 ENOMEM);
	ck_assert_int_eq(tu_alloc_try(fd, 12345, PAGE, &a), ENOENT);

	memset(&a, 0, sizeof(a));
	a.size = sizeof(a);
	a.length = PAGE;
	a.flags = 1;
	ck_assert_int_eq(ioctl(fd, P2PBUF_IOC_ALLOC, &a), -1);
	ck_assert_int_eq(errno, EINVAL);
	a.flags = 0;
	a.reserved0 = 1;
	ck_assert_int_eq(ioctl(fd, P2PBUF_IOC_ALLOC, &a), -1);
	ck_assert_int_eq(errno, EINVAL);
	a.reserved0 = 0;
	a.reserved[1] = 1;
	ck_assert_int_eq(ioctl(fd, P2PBUF_IOC_ALLOC, &a), -1);
	ck_assert_int_eq(errno, EINVAL);
	a.reserved[1] = 0;
	a.size = P2PBUF_ALLOC_SIZE_VER0 - 8;
	ck_assert_int_eq(ioctl(fd, P2PBUF_IOC_ALLOC, &a), -1);
	ck_assert_int_eq(errno, EINVAL);

	/* Over the provider's free space: ENOMEM, and nothing is leaked. */
	id = add_bar2();
	ck_assert_int_eq(tu_alloc_try(fd, id, bar2_size + PAGE, &a), ENOMEM);
	alloc_ok(fd, id, bar2_size - 4 * PAGE, &a);
	ck_assert_uint_eq(a.cache_mode, P2PBUF_CACHE_WC);
	{
		struct p2pbuf_alloc b;

		struct p2pbuf_alloc c;

		ck_assert_int_eq(tu_alloc_try(fd, id, 8 * PAGE, &c), ENOMEM);
		alloc_ok(fd, id, 4 * PAGE, &b);
		assert_prov(id, 0, 2);
		ck_assert_int_eq(tu_alloc_try(fd, id, PAGE, &c), ENOMEM);
		tu_free(fd, b.handle);
	}
	tu_free(fd, a.handle);
	assert_prov(id, bar2_size, 0);
	close(fd);
	del_bar2(id);
}
END_TEST

/* A larger structure with a non-zero unknown tail is E2BIG; zero is fine. */
START_TEST(test_alloc_extensible)
{
	struct {
		struct p2pbuf_alloc a;
		uint64_t tail;
	} big;
	int fd = tu_dev_open();

	memset(&big, 0, sizeof(big));
	big.a.size = sizeof(big);
	big.a.length = PAGE;
	big.tail = 1;
	ck_assert_int_eq(ioctl(fd, P2PBUF_IOC_ALLOC, &big), -1);
	ck_assert_int_eq(errno, E2BIG);
	big.tail = 0;
	ck_assert_int_eq(ioctl(fd, P2PBUF_IOC_ALLOC, &big), 0);
	ck_assert_uint_eq(big.a.size, sizeof(big.a));
	ck_assert_uint_eq(big.a.length, PAGE);
	tu_free(fd, big.a.handle);
	close(fd);
}
END_TEST

START_TEST(test_free_errors)
{
	struct p2pbuf_free f = { .size = sizeof(f) };
	struct p2pbuf_alloc a;
	int fd = tu_dev_open(), fd2 = tu_dev_open();

	alloc_ok(fd, 0, PAGE, &a);
	/* Another file's handle, an unknown one, 0. */
	ck_assert_int_eq(tu_free_try(fd2, a.handle), ENOENT);
	ck_assert_int_eq(tu_free_try(fd, a.handle + 1000), ENOENT);
	ck_assert_int_eq(tu_free_try(fd, 0), ENOENT);
	f.handle = a.handle;
	f.flags = 1;
	ck_assert_int_eq(ioctl(fd, P2PBUF_IOC_FREE, &f), -1);
	ck_assert_int_eq(errno, EINVAL);
	f.flags = 0;
	f.reserved = 1;
	ck_assert_int_eq(ioctl(fd, P2PBUF_IOC_FREE, &f), -1);
	ck_assert_int_eq(errno, EINVAL);
	/* Still there after all that; then the double free. */
	assert_buffers(0, 1);
	tu_free(fd, a.handle);
	ck_assert_int_eq(tu_free_try(fd, a.handle), ENOENT);
	close(fd2);
	close(fd);
}
END_TEST

/* The per-file limit: ENOSPC, and another file is not affected. */
START_TEST(test_limit_per_fd)
{
	struct p2pbuf_info info = { .size = sizeof(info) };
	struct p2pbuf_alloc a;
	uint32_t *h;
	int fd = tu_dev_open(), fd2 = tu_dev_open();

	ck_assert_int_eq(ioctl(fd, P2PBUF_IOC_INFO, &info), 0);
	ck_assert_uint_gt(info.max_buffers_per_fd, 0);
	h = calloc(info.max_buffers_per_fd, sizeof(*h));
	ck_assert_ptr_nonnull(h);
	for (uint32_t i = 0; i < info.max_buffers_per_fd; i++) {
		alloc_ok(fd, 0, PAGE, &a);
		h[i] = a.handle;
	}
	ck_assert_int_eq(tu_alloc_try(fd, 0, PAGE, &a), ENOSPC);
	alloc_ok(fd2, 0, PAGE, &a);
	tu_free(fd2, a.handle);
	tu_free(fd, h[0]);
	alloc_ok(fd, 0, PAGE, &a);
	tu_free(fd, a.handle);
	free(h);
	/* The rest go with the file. */
	close(fd);
	close(fd2);
	assert_buffers(0, 0);
}
END_TEST

/* Drop CAP_IPC_LOCK (effective and permitted) from the calling process. */
static int drop_ipc_lock(void)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct data[2];

	if (syscall(SYS_capget, &hdr, data))
		return -1;
	data[0].effective &= ~(1U << CAP_IPC_LOCK);
	data[0].permitted &= ~(1U << CAP_IPC_LOCK);
	data[0].inheritable &= ~(1U << CAP_IPC_LOCK);
	return syscall(SYS_capset, &hdr, data) ? -1 : 0;
}

/*
 * RLIMIT_MEMLOCK bounds host memory (EDQUOT), unless CAP_IPC_LOCK; device
 * memory is not charged.  Runs in a child that gives up CAP_IPC_LOCK.
 */
START_TEST(test_memlock_limit)
{
	struct rlimit rl = { .rlim_cur = 1 * MIB, .rlim_max = 1 * MIB };
	struct p2pbuf_alloc a, b, c;
	uint32_t id = add_bar2();
	int fd, status;
	pid_t pid;

	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (!pid) {
		if (drop_ipc_lock() || setrlimit(RLIMIT_MEMLOCK, &rl))
			_exit(10);
		fd = open(TU_DEV, O_RDWR);
		if (fd < 0)
			_exit(11);
		if (tu_alloc_try(fd, 0, 2 * MIB, &a) != EDQUOT)
			_exit(12);
		if (tu_alloc_try(fd, 0, 768 * KIB, &a))
			_exit(13);
		/* 768 KiB + 512 KiB > 1 MiB: the charge adds up. */
		if (tu_alloc_try(fd, 0, 512 * KIB, &b) != EDQUOT)
			_exit(14);
		/* Device memory is not charged. */
		if (tu_alloc_try(fd, id, 8 * MIB, &c))
			_exit(15);
		/* Freeing uncharges. */
		if (tu_free_try(fd, a.handle) ||
		    tu_alloc_try(fd, 0, 512 * KIB, &b))
			_exit(16);
		_exit(0);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		      "child status %#x", status);
	/* The child's exit closed its file: everything is back. */
	del_bar2(id);
}
END_TEST

/* --- device memory: data lands where it should ------------------------ */

START_TEST(test_ivshmem_data)
{
	volatile uint64_t *res = map_resource2(), *p, *q;
	struct p2pbuf_alloc a, b;
	uint32_t id = add_bar2();
	int fd = tu_dev_open();

	/* An empty pool hands out first fit: A at 0, B at 1 MiB. */
	alloc_ok(fd, id, 1 * MIB, &a);
	alloc_ok(fd, id, 1 * MIB, &b);
	assert_prov(id, bar2_size - 2 * MIB, 2);
	p = map_ok(fd, &b, 0, 1 * MIB);
	check_zero(p, 1 * MIB);
	/* p2pbuf -> resource2 */
	fill(p, 1 * MIB, 1);
	check(res + MIB / 8, 1 * MIB, 1);
	/* resource2 -> p2pbuf */
	fill(res + MIB / 8, 1 * MIB, 2);
	check(p, 1 * MIB, 2);
	/* A partial mapping from 64 KiB on maps the buffer from 64 KiB. */
	q = map_ok(fd, &b, 64 * KIB, 128 * KIB);
	fill(q, 128 * KIB, 3);
	check(res + (MIB + 64 * KIB) / 8, 128 * KIB, 3);
	check(p + 64 * KIB / 8, 128 * KIB, 3);
	/* A was not touched. */
	check_zero(res, 1 * MIB);
	munmap((void *)q, 128 * KIB);
	munmap((void *)p, 1 * MIB);
	tu_free(fd, a.handle);
	tu_free(fd, b.handle);
	close(fd);
	munmap((void *)res, bar2_size);
	del_bar2(id);
}
END_TEST

/* A buffer reusing a previous owner's space reads zeros (both kinds). */
START_TEST(test_zeroing)
{
	volatile uint64_t *res = map_resource2(), *p;
	struct p2pbuf_alloc a;
	uint32_t id = add_bar2();
	int fd = tu_dev_open();

	alloc_ok(fd, id, 2 * MIB, &a);
	p = map_ok(fd, &a, 0, 2 * MIB);
	fill(p, 2 * MIB, 7);
	munmap((void *)p, 2 * MIB);
	tu_free(fd, a.handle);
	/* The old data is still in the BAR... */
	check(res, 2 * MIB, 7);
	/* ...until the same space is handed out again. */
	alloc_ok(fd, id, 2 * MIB, &a);
	check_zero(res, 2 * MIB);
	p = map_ok(fd, &a, 0, 2 * MIB);
	check_zero(p, 2 * MIB);
	munmap((void *)p, 2 * MIB);
	tu_free(fd, a.handle);

	/* sysmem: dirty a lot of memory, free it, allocate again. */
	for (int round = 0; round < 2; round++) {
		alloc_ok(fd, 0, 32 * MIB, &a);
		p = map_ok(fd, &a, 0, 32 * MIB);
		check_zero(p, 32 * MIB);
		fill(p, 32 * MIB, 9);
		munmap((void *)p, 32 * MIB);
		tu_free(fd, a.handle);
	}
	close(fd);
	munmap((void *)res, bar2_size);
	del_bar2(id);
}
END_TEST

/* --- the rules of mmap() ----------------------------------------------- */

START_TEST(test_map_private)
{
	struct p2pbuf_alloc a;
	int fd = tu_dev_open();

	alloc_ok(fd, 0, 4 * PAGE, &a);
	expect_map_err(fd, &a, 0, 4 * PAGE, MAP_PRIVATE, EINVAL);
	ck_assert(mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE, fd,
		       (off_t)a.mmap_offset) == MAP_FAILED);
	ck_assert_int_eq(errno, EINVAL);
	tu_free(fd, a.handle);
	close(fd);
}
END_TEST

START_TEST(test_map_range)
{
	struct p2pbuf_alloc a, b;
	int fd = tu_dev_open(), fd2 = tu_dev_open();
	void *p;

	alloc_ok(fd, 0, 4 * PAGE, &a);
	alloc_ok(fd2, 0, 4 * PAGE, &b);
	/* Offset at or past the end. */
	expect_map_err(fd, &a, 4 * PAGE, PAGE, MAP_SHARED, EINVAL);
	expect_map_err(fd, &a, 1ULL << 39, PAGE, MAP_SHARED, EINVAL);
	/* Length beyond the end, from 0 and from inside. */
	expect_map_err(fd, &a, 0, 5 * PAGE, MAP_SHARED, EINVAL);
	expect_map_err(fd, &a, 3 * PAGE, 2 * PAGE, MAP_SHARED, EINVAL);
	/* An offset naming no buffer, and another file's buffer. */
	expect_map_err(fd, &a, -a.mmap_offset, PAGE, MAP_SHARED, EINVAL);
	expect_map_err(fd, &b, 0, PAGE, MAP_SHARED, EINVAL);
	/* The top of the offset space. */
	ck_assert(mmap(NULL, PAGE, PROT_READ, MAP_SHARED, fd,
		       (off_t)0x7ffffffffffff000LL) == MAP_FAILED);
	ck_assert_int_eq(errno, EINVAL);
	/* The exact last page works. */
	p = map_ok(fd, &a, 3 * PAGE, PAGE);
	munmap(p, PAGE);
	/* A freed buffer cannot be mapped again. */
	tu_free(fd, a.handle);
	expect_map_err(fd, &a, 0, PAGE, MAP_SHARED, EINVAL);
	tu_free(fd2, b.handle);
	close(fd2);
	close(fd);
}
END_TEST

START_TEST(test_vma_flags)
{
	struct p2pbuf_alloc a;
	char line[512], want[32];
	bool found = false;
	int fd = tu_dev_open();
	void *p;
	FILE *f;

	alloc_ok(fd, 0, 4 * PAGE, &a);
	p = map_ok(fd, &a, 0, 4 * PAGE);
	snprintf(want, sizeof(want), "%lx-", (unsigned long)p);
	f = fopen("/proc/self/smaps", "r");
	ck_assert_ptr_nonnull(f);
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, want, strlen(want)))
			found = true;
		else if (found && !strncmp(line, "VmFlags:", 8)) {
			ck_assert_msg(strstr(line, " io") &&
					      strstr(line, " pf") &&
					      strstr(line, " dc") &&
					      strstr(line, " de") &&
					      strstr(line, " dd") &&
					      strstr(line, " sh"),
				      "%s", line);
			break;
		}
	}
	fclose(f);
	ck_assert(found);
	/* VM_IO: MADV_DOFORK cannot undo VM_DONTCOPY. */
	ck_assert_int_eq(madvise(p, PAGE, MADV_DOFORK), -1);
	ck_assert_int_eq(errno, EINVAL);
	munmap(p, 4 * PAGE);
	tu_free(fd, a.handle);
	close(fd);
}
END_TEST

START_TEST(test_mremap)
{
	struct p2pbuf_alloc a;
	volatile uint64_t *p, *q;
	int fd = tu_dev_open();

	alloc_ok(fd, 0, 8 * PAGE, &a);
	p = map_ok(fd, &a, 0, 4 * PAGE);
	fill(p, 4 * PAGE, 5);
	/* Growing, in place or moving: EFAULT (VM_DONTEXPAND). */
	ck_assert(mremap((void *)p, 4 * PAGE, 8 * PAGE, 0) == MAP_FAILED);
	ck_assert_int_eq(errno, EFAULT);
	ck_assert(mremap((void *)p, 4 * PAGE, 8 * PAGE, MREMAP_MAYMOVE) ==
		  MAP_FAILED);
	ck_assert_int_eq(errno, EFAULT);
	/* Moving keeps the data and the reference (checked at teardown). */
	q = mremap((void *)p, 4 * PAGE, 4 * PAGE, MREMAP_MAYMOVE | MREMAP_FIXED,
		   (char *)mmap(NULL, 4 * PAGE, PROT_NONE,
				MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
	ck_assert(q != MAP_FAILED);
	check(q, 4 * PAGE, 5);
	/* Shrinking is fine. */
	ck_assert(mremap((void *)q, 4 * PAGE, 2 * PAGE, 0) == q);
	check(q, 2 * PAGE, 5);
	tu_free(fd, a.handle);
	assert_buffers(0, 1);
	munmap((void *)q, 2 * PAGE);
	assert_buffers(0, 0);
	close(fd);
}
END_TEST

START_TEST(test_fork)
{
	struct p2pbuf_alloc a;
	volatile uint64_t *p;
	int fd = tu_dev_open(), status;
	pid_t pid;

	alloc_ok(fd, 0, 4 * PAGE, &a);
	p = map_ok(fd, &a, 0, 4 * PAGE);
	fill(p, 4 * PAGE, 11);
	ck_assert_int_eq(tu_touch(p), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (!pid)
		_exit(tu_touch(p));
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status));
	ck_assert_int_eq(WEXITSTATUS(status), SIGSEGV);
	/* The parent's mapping is unaffected. */
	check(p, 4 * PAGE, 11);
	munmap((void *)p, 4 * PAGE);
	tu_free(fd, a.handle);
	close(fd);
}
END_TEST

/* Free while mapped: the buffer lives until the last mapping is gone. */
START_TEST(test_free_while_mapped)
{
	volatile uint64_t *res = map_resource2(), *p;
	struct p2pbuf_alloc a;
	uint32_t id = add_bar2();
	int fd = tu_dev_open();

	alloc_ok(fd, id, 4 * MIB, &a);
	p = map_ok(fd, &a, 0, 4 * MIB);
	tu_free(fd, a.handle);
	assert_prov(id, bar2_size - 4 * MIB, 1);
	fill(p, 4 * MIB, 13);
	check(res, 4 * MIB, 13);
	/* The space is not handed out to anyone else meanwhile. */
	{
		struct p2pbuf_alloc b;

		alloc_ok(fd, id, bar2_size - 4 * MIB, &b);
		ck_assert_int_eq(tu_alloc_try(fd, id, PAGE, &a), ENOMEM);
		tu_free(fd, b.handle);
	}
	munmap((void *)p, 4 * MIB);
	assert_prov(id, bar2_size, 0);

	/* Closing the file while mapped: same. */
	alloc_ok(fd, id, 4 * MIB, &a);
	p = map_ok(fd, &a, 0, 4 * MIB);
	close(fd);
	assert_prov(id, bar2_size - 4 * MIB, 1);
	check_zero(p, 4 * MIB);
	munmap((void *)p, 4 * MIB);
	assert_prov(id, bar2_size, 0);
	munmap((void *)res, bar2_size);
	del_bar2(id);
}
END_TEST

/*
 * A provider cannot be removed while memory is out: EBUSY while a buffer
 * exists, and still EBUSY after FREE while a mapping keeps it alive.
 */
START_TEST(test_provider_del_busy)
{
	struct p2pbuf_alloc a;
	uint32_t id = add_bar2();
	int fd = tu_dev_open();
	void *p;

	alloc_ok(fd, id, 4 * MIB, &a);
	ck_assert_int_eq(p2pbuf_provider_del(ctl, id, 0), -EBUSY);
	ck_assert_str_eq(p2pbuf_ctl_last_error(ctl),
			 "provider still has buffers");
	p = map_ok(fd, &a, 0, 4 * MIB);
	tu_free(fd, a.handle);
	ck_assert_int_eq(p2pbuf_provider_del(ctl, id, 0), -EBUSY);
	assert_prov(id, bar2_size - 4 * MIB, 1);
	munmap(p, 4 * MIB);
	close(fd);
	del_bar2(id);
}
END_TEST

/* Partial munmap and mprotect split the VMA; every piece counts. */
START_TEST(test_split)
{
	volatile uint64_t *res = map_resource2(), *p;
	struct p2pbuf_alloc a;
	uint32_t id = add_bar2();
	int fd = tu_dev_open();
	char *c;

	alloc_ok(fd, id, 16 * PAGE, &a);
	p = map_ok(fd, &a, 0, 16 * PAGE);
	c = (char *)p;
	fill(p, 16 * PAGE, 17);
	tu_free(fd, a.handle);
	/* A hole in the middle: two VMAs. */
	ck_assert_int_eq(munmap(c + 4 * PAGE, 2 * PAGE), 0);
	/* A read-only middle of the tail: three pieces there. */
	ck_assert_int_eq(mprotect(c + 8 * PAGE, 2 * PAGE, PROT_READ), 0);
	/* Every piece still maps its own part of the buffer. */
	for (uint64_t w = 0; w < 16 * PAGE / 8; w++) {
		if (w >= 4 * PAGE / 8 && w < 6 * PAGE / 8)
			continue;
		ck_assert_uint_eq(p[w], pattern(17, w));
	}
	check(res, 16 * PAGE, 17);
	assert_prov(id, bar2_size - 16 * PAGE, 1);
	ck_assert_int_eq(munmap(c, 4 * PAGE), 0);
	assert_prov(id, bar2_size - 16 * PAGE, 1);
	ck_assert_int_eq(munmap(c + 10 * PAGE, 6 * PAGE), 0);
	assert_prov(id, bar2_size - 16 * PAGE, 1);
	/* The last two pieces (read-write and read-only) at once. */
	ck_assert_int_eq(munmap(c + 6 * PAGE, 4 * PAGE), 0);
	assert_prov(id, bar2_size, 0);
	close(fd);
	munmap((void *)res, bar2_size);
	del_bar2(id);
}
END_TEST

START_TEST(test_gup_refused)
{
	struct p2pbuf_alloc a;
	char local[PAGE];
	struct iovec liov = { local, sizeof(local) }, riov;
	volatile uint64_t *p;
	int fd = tu_dev_open();

	alloc_ok(fd, 0, 4 * PAGE, &a);
	p = map_ok(fd, &a, 0, 4 * PAGE);
	fill(p, 4 * PAGE, 19);
	riov.iov_base = (void *)p;
	riov.iov_len = PAGE;
	/*
	 * process_vm_readv/writev pin the remote pages: refused (ENOSYS on
	 * a kernel without CONFIG_CROSS_MEMORY_ATTACH, such as the debug
	 * kernel; vmsplice() below checks the refusal everywhere).
	 */
	if (process_vm_readv(getpid(), &liov, 1, &riov, 1, 0) != -1 ||
	    errno != ENOSYS) {
		ck_assert_int_eq(
			process_vm_readv(getpid(), &liov, 1, &riov, 1, 0), -1);
		ck_assert_int_eq(errno, EFAULT);
		ck_assert_int_eq(
			process_vm_writev(getpid(), &liov, 1, &riov, 1, 0), -1);
		ck_assert_int_eq(errno, EFAULT);
	}
	/* vmsplice() of the mapping into a pipe pins it too. */
	{
		int pfd[2];
		struct iovec v = { (void *)p, PAGE };

		ck_assert_int_eq(pipe(pfd), 0);
		ck_assert_int_eq(vmsplice(pfd[1], &v, 1, 0), -1);
		ck_assert_int_eq(errno, EFAULT);
		close(pfd[0]);
		close(pfd[1]);
	}
	/* The data is untouched, and plain CPU access still works. */
	check(p, 4 * PAGE, 19);
	munmap((void *)p, 4 * PAGE);
	tu_free(fd, a.handle);
	close(fd);
}
END_TEST

/*
 * Races on one file: threads allocate, map, free and unmap while others
 * free every handle they can guess (the ids are small) and mmap them.
 * Nothing may crash or leak: accounting is back to zero at the end, and
 * the guest kernel log (KASAN, lockdep on the debug kernel) stays clean.
 */
struct race {
	int fd;
	uint32_t prov;
	volatile int stop;
};

static void *race_owner(void *arg)
{
	struct race *r = arg;
	struct p2pbuf_alloc a;
	void *p;

	while (!r->stop) {
		if (tu_alloc_try(r->fd, r->prov, 8 * PAGE, &a))
			continue;
		p = map(r->fd, &a, 0, 8 * PAGE, MAP_SHARED);
		if (p != MAP_FAILED) {
			((volatile char *)p)[5 * PAGE] = 1;
			munmap((char *)p + 2 * PAGE, 2 * PAGE);
		}
		tu_free_try(r->fd, a.handle);
		/*
		 * Unmap only the two pieces: another thread may have mapped
		 * something in the hole meanwhile.
		 */
		if (p != MAP_FAILED) {
			munmap(p, 2 * PAGE);
			munmap((char *)p + 4 * PAGE, 4 * PAGE);
		}
	}
	return NULL;
}

static void *race_thief(void *arg)
{
	struct race *r = arg;
	struct p2pbuf_alloc a = { 0 };
	unsigned int h = 1;
	void *p;

	while (!r->stop) {
		a.mmap_offset = (uint64_t)h << 40;
		p = map(r->fd, &a, 0, PAGE, MAP_SHARED);
		tu_free_try(r->fd, h);
		if (p != MAP_FAILED) {
			((volatile char *)p)[0] = 2;
			munmap(p, PAGE);
		}
		h = h % 4096 + 1;
	}
	return NULL;
}

START_TEST(test_races)
{
	struct race r = { .fd = tu_dev_open() };
	pthread_t t[4];
	int i;

	r.prov = _i ? add_bar2() : P2PBUF_PROVIDER_ID_SYSMEM;
	for (i = 0; i < 4; i++)
		ck_assert_int_eq(pthread_create(&t[i], NULL,
						i < 2 ? race_owner : race_thief,
						&r),
				 0);
	sleep(2);
	r.stop = 1;
	for (i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	close(r.fd);
	assert_buffers(r.prov, 0);
	if (_i)
		del_bar2(r.prov);
}
END_TEST

/* --- huge mappings, memory types, O_DIRECT ------------------------------ */

#define PTE_FILE "/sys/kernel/debug/p2pbuf/pte"
#define PAT_LIST "/sys/kernel/debug/x86/pat_memtype_list"
#define PTDUMP "/sys/kernel/debug/page_tables/current_kernel"
#define RAMDISK "/dev/ram0"
#define PMD (2 * MIB)

/*
 * Whether this kernel can map a p2pbuf VMA with huge PMDs, decided without
 * asking the driver: x86-64 selects ARCH_SUPPORTS_HUGE_PFNMAP (special
 * huge PMDs, GUP-fast refusing them) from Linux 6.12 on when THP is built
 * in, which /sys/kernel/mm/transparent_hugepage shows.
 */
static bool huge_expected(void)
{
	struct utsname u;
	int major = 0, minor = 0;

	ck_assert_int_eq(uname(&u), 0);
	ck_assert_int_eq(sscanf(u.release, "%d.%d", &major, &minor), 2);
	if (major < 6 || (major == 6 && minor < 12))
		return false;
	return access("/sys/kernel/mm/transparent_hugepage", F_OK) == 0;
}

/* What the driver's debugfs "pte" file says maps addr. */
struct pte {
	bool present;
	uint64_t pfn;
	uint64_t size;
	char cache[32];
};

static struct pte pte_of(const volatile void *addr)
{
	struct pte e = { 0 };
	char line[160];
	ssize_t n;
	int fd;

	fd = open(PTE_FILE, O_RDONLY | O_CLOEXEC);
	ck_assert_msg(fd >= 0, PTE_FILE ": %s", strerror(errno));
	n = pread(fd, line, sizeof(line) - 1, (off_t)(uintptr_t)addr);
	ck_assert_msg(n > 0, PTE_FILE " at %p: %s", addr, strerror(errno));
	close(fd);
	line[n] = 0;
	if (!strcmp(line, "none\n"))
		return e;
	ck_assert_msg(sscanf(line,
			     "pfn=0x%" SCNx64 " size=%" SCNu64 " cache=%31s",
			     &e.pfn, &e.size, e.cache) == 3,
		      "%s", line);
	e.present = true;
	return e;
}

static void assert_pte(const volatile void *addr, uint64_t size,
		       const char *cache)
{
	struct pte e = pte_of(addr);

	ck_assert_msg(e.present, "%p: nothing mapped", addr);
	ck_assert_msg(e.size == size,
		      "%p: entry of %" PRIu64 " bytes, expected %" PRIu64, addr,
		      e.size, size);
	ck_assert_msg(!strcmp(e.cache, cache),
		      "%p: memory type %s, expected %s", addr, e.cache, cache);
}

static void assert_no_pte(const volatile void *addr)
{
	struct pte e = pte_of(addr);

	ck_assert_msg(!e.present, "%p: mapped (%" PRIu64 " bytes)", addr,
		      e.size);
}

/*
 * The kernel's own dump of this process's page tables (CONFIG_PTDUMP_DEBUGFS,
 * the debug kernel): the line covering addr, or false where the kernel has
 * no such file.  Lines read "0x<from>-0x<to>  <size> USR RW PWT PCD PSE PAT
 * GLB NX pmd", a flag blank when clear.
 */
static bool ptdump_line(const volatile void *addr, char *out, size_t len)
{
	unsigned long a = (unsigned long)(uintptr_t)addr, from, to;
	char line[256];
	bool found = false;
	FILE *f;

	f = fopen(PTDUMP, "r");
	if (!f) {
		ck_assert_int_eq(errno, ENOENT);
		return false;
	}
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "0x%lx-0x%lx", &from, &to) == 2 && from <= a &&
		    a < to) {
			snprintf(out, len, "%s", line);
			found = true;
			break;
		}
	}
	fclose(f);
	ck_assert_msg(found, PTDUMP ": no line covers %p", addr);
	return true;
}

/*
 * Cross-check the driver's "pte" answer with the kernel's dump where there
 * is one: the level (pte, or pmd with PSE) and the PWT/PCD/PAT bits that
 * select the memory type (PAT slots as Linux programs them: WB none, WC
 * PWT, UC- PCD).
 */
static void cross_check_ptdump(const volatile void *addr, uint64_t size,
			       const char *cache)
{
	char line[256];
	bool pwt, pcd, pat;

	if (!ptdump_line(addr, line, sizeof(line)))
		return;
	pwt = strstr(line, " PWT ");
	pcd = strstr(line, " PCD ");
	pat = strstr(line, " PAT ");
	if (size == PMD)
		ck_assert_msg(strstr(line, " PSE ") && strstr(line, " pmd\n"),
			      "%s", line);
	else
		ck_assert_msg(strstr(line, " pte\n"), "%s", line);
	ck_assert_msg(!pat, "%s", line);
	if (!strcmp(cache, "write-back"))
		ck_assert_msg(!pwt && !pcd, "%s", line);
	else if (!strcmp(cache, "write-combining"))
		ck_assert_msg(pwt && !pcd, "%s", line);
	else if (!strcmp(cache, "uncached-minus"))
		ck_assert_msg(!pwt && pcd, "%s", line);
	else
		ck_abort_msg("no cross-check for %s", cache);
}

static const char *cache_name(uint32_t mode)
{
	switch (mode) {
	case P2PBUF_CACHE_WB:
		return "write-back";
	case P2PBUF_CACHE_WC:
		return "write-combining";
	default:
		return "uncached-minus";
	}
}

/* check() of a piece: words [first, first + len / 8) of a seed's pattern. */
static void check_part(const volatile uint64_t *p, uint64_t first, uint64_t len,
		       uint64_t seed)
{
	for (uint64_t i = first; i < first + len / 8; i++)
		if (p[i] != pattern(seed, i))
			ck_abort_msg("word %llu: %#llx, expected %#llx",
				     (unsigned long long)i,
				     (unsigned long long)p[i],
				     (unsigned long long)pattern(seed, i));
}

/*
 * Huge mappings.  An 8 MiB buffer mapped where mmap() chooses lands 2 MiB
 * aligned, and where the kernel supports huge pfn mappings each of its four
 * 2 MiB blocks is one huge PMD, installed by the first touch: one page
 * fault per block, where 4 KiB pages take one per page (or none when
 * mmap() wrote them).  The page tables say so (debugfs "pte"; on the debug
 * kernel also the kernel's own dump), with the physical address and memory
 * type expected.  Data lands where it should (BAR: seen in resource2).
 * mremap() to another aligned address moves the PMDs.  Splits: munmap() of
 * half a PMD and mprotect() of a piece of another
 * leave every remaining page mapped to its own memory, in 4 KiB pages, the
 * untouched blocks staying huge.  _i: bit 0 BAR (else host RAM), bit 1
 * prefault off.
 */
START_TEST(test_huge)
{
	bool bar = _i & 1, prefault = !(_i & 2), hg = huge_expected();
	uint64_t len = 8 * MIB, npages = len / PAGE, start = 0, size;
	volatile uint64_t *p, *res = NULL;
	struct p2pbuf_alloc a;
	uint32_t prov = P2PBUF_PROVIDER_ID_SYSMEM;
	const char *cache;
	struct pte e, l;
	long faults;
	char *c, *area;
	int fd = tu_dev_open();

	tu_set_param("prefault", tu_yn(prefault));
	tu_set_param("huge", "Y");
	/*
	 * THP policy "madvise": where the kernel applies it to huge pfn
	 * mappings (6.12), the driver's VM_HUGEPAGE must let them through.
	 */
	if (hg)
		tu_write_file(THP_ENABLED, "madvise");
	if (bar) {
		/* Registered first: resource2 then shares its write-combining. */
		prov = add_bar2();
		res = map_resource2();
		ck_assert_int_eq(rig_pci_resource(ivshmem, 2, &start, &size),
				 0);
	}
	alloc_ok(fd, prov, len, &a);
	cache = cache_name(a.cache_mode);
	p = map_ok(fd, &a, 0, len);
	c = (char *)p;
	if (hg)
		ck_assert_msg((uintptr_t)p % PMD == 0, "mmap() gave %p", c);
	/* mmap() maps nothing (revocation needs it so): a touch does. */
	assert_no_pte(p);
	faults = tu_touch_pages(p, len);
	if (hg)
		ck_assert_msg(faults >= 4 && faults < 4 + 8,
			      "%ld page faults for 4 huge PMDs", faults);
	else if (prefault)
		ck_assert_msg(faults < 8, "%ld page faults after prefault",
			      faults);
	else
		ck_assert_msg(faults >= (long)npages &&
				      faults < (long)npages + 8,
			      "%ld page faults for %llu pages", faults,
			      (unsigned long long)npages);
	for (uint64_t off = 0; off < len; off += PMD) {
		e = pte_of(c + off);
		ck_assert(e.present);
		ck_assert_uint_eq(e.size, (hg ? PMD : PAGE));
		ck_assert_str_eq(e.cache, cache);
		if (bar)
			ck_assert_uint_eq(e.pfn, (start + off) / PAGE);
		if (!hg && !bar)
			continue;
		/* 2 MiB of contiguous memory behind the block. */
		if (hg)
			ck_assert_uint_eq(e.pfn % (PMD / PAGE), 0);
		l = pte_of(c + off + PMD - PAGE);
		ck_assert_uint_eq(l.pfn, e.pfn + PMD / PAGE - 1);
	}
	cross_check_ptdump(p, hg ? PMD : PAGE, cache);
	fill(p, len, 21);
	check(p, len, 21);
	if (bar)
		check(res, len, 21);

	/* mremap() to another 2 MiB-aligned place takes the PMDs along. */
	area = mmap(NULL, len + PMD, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1,
		    0);
	ck_assert(area != MAP_FAILED);
	c = (char *)(((uintptr_t)area + PMD - 1) / PMD * PMD);
	ck_assert(mremap((void *)p, len, len, MREMAP_MAYMOVE | MREMAP_FIXED,
			 c) == c);
	if (c > area)
		munmap(area, c - area);
	munmap(c + len, area + len + PMD - (c + len));
	p = (volatile uint64_t *)c;
	assert_pte(c + PMD, hg ? PMD : PAGE, cache);
	check(p, len, 21);

	/* munmap() of the second half of block 0 splits its PMD... */
	ck_assert_int_eq(munmap(c + PMD / 2, PMD / 2), 0);
	if (hg)
		assert_no_pte(p);
	check(p, PMD / 2, 21);
	assert_pte(p, PAGE, cache);
	if (bar)
		ck_assert_uint_eq(pte_of(p).pfn, start / PAGE);
	/* ...and mprotect() of 512 KiB in the middle of block 1 that one. */
	ck_assert_int_eq(mprotect(c + PMD + PMD / 4, PMD / 4, PROT_READ), 0);
	check_part(p, PMD / 8, PMD, 21);
	assert_pte(c + PMD, PAGE, cache);
	assert_pte(c + PMD + PMD / 4, PAGE, cache);
	ck_assert_int_eq(tu_touch_write(p + (PMD + PMD / 4) / 8), SIGSEGV);
	ck_assert_int_eq(tu_touch_write(p + (PMD + PMD / 2) / 8), 0);
	p[(PMD + PMD / 2) / 8] = pattern(21, (PMD + PMD / 2) / 8);
	/* Blocks 2 and 3 are untouched by the splits. */
	assert_pte(c + 2 * PMD, hg ? PMD : PAGE, cache);
	assert_pte(c + 3 * PMD, hg ? PMD : PAGE, cache);
	check_part(p, 0, PMD / 2, 21);
	check_part(p, PMD / 8, len - PMD, 21);
	if (bar)
		check(res, len, 21);
	ck_assert_int_eq(munmap(c, PMD / 2), 0);
	ck_assert_int_eq(munmap(c + PMD, len - PMD), 0);
	tu_free(fd, a.handle);
	close(fd);
	if (bar) {
		munmap((void *)res, bar2_size);
		del_bar2(prov);
	}
}
END_TEST

/*
 * Only whole 2 MiB blocks whose user and physical addresses are both
 * aligned get huge PMDs; the rest of a mapping is written by mmap() in
 * 4 KiB PTEs.  A mapping of [1 MiB, 7 MiB) of a BAR buffer starts at an
 * address congruent to 1 MiB (->get_unmapped_area): 1 MiB of PTEs, two
 * huge blocks, 1 MiB of PTEs.  A MAP_FIXED mapping 4 KiB off the
 * alignment gets PTEs only, and so does any mapping with huge=N.
 */
START_TEST(test_huge_partial)
{
	bool hg = huge_expected();
	volatile uint64_t *res = map_resource2(), *p;
	uint64_t start, size;
	struct p2pbuf_alloc a;
	uint32_t prov;
	long faults;
	char *c, *area;
	int fd = tu_dev_open();

	tu_set_param("prefault", "Y");
	tu_set_param("huge", "Y");
	/* resource2 was mapped first: the provider is uncached-minus. */
	prov = add_bar2();
	ck_assert_int_eq(rig_pci_resource(ivshmem, 2, &start, &size), 0);
	alloc_ok(fd, prov, 8 * MIB, &a);

	p = map_ok(fd, &a, MIB, 6 * MIB);
	c = (char *)p;
	if (hg)
		ck_assert_msg((uintptr_t)c % PMD == MIB, "mmap() gave %p", c);
	/* The first touch maps every 4 KiB part, not the huge blocks. */
	assert_no_pte(c);
	(void)*p;
	assert_pte(c, PAGE, "uncached-minus");
	assert_pte(c + MIB - PAGE, PAGE, "uncached-minus");
	assert_pte(c + 5 * MIB, PAGE, "uncached-minus");
	assert_pte(c + 6 * MIB - PAGE, PAGE, "uncached-minus");
	if (hg) {
		assert_no_pte(c + MIB);
		assert_no_pte(c + 3 * MIB);
	}
	faults = tu_touch_pages(p, 6 * MIB);
	ck_assert_msg(faults < (hg ? 2 + 8 : 8), "%ld page faults", faults);
	if (hg)
		ck_assert_msg(faults >= 2, "%ld page faults", faults);
	assert_pte(c + MIB, hg ? PMD : PAGE, "uncached-minus");
	assert_pte(c + 3 * MIB, hg ? PMD : PAGE, "uncached-minus");
	ck_assert_uint_eq(pte_of(c + MIB).pfn, (start + 2 * MIB) / PAGE);
	fill(p, 6 * MIB, 23);
	check(res + MIB / 8, 6 * MIB, 23);
	munmap(c, 6 * MIB);

	/* 4 KiB off the congruence: no block can be huge. */
	area = mmap(NULL, 8 * MIB, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1,
		    0);
	ck_assert(area != MAP_FAILED);
	c = (char *)(((uintptr_t)area + PMD - 1) / PMD * PMD) + PAGE;
	p = mmap(c, 4 * MIB, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, fd,
		 (off_t)a.mmap_offset);
	ck_assert(p == (void *)c);
	faults = tu_touch_pages(p, 4 * MIB);
	ck_assert_msg(faults < 8, "%ld page faults", faults);
	assert_pte(c + PMD - PAGE, PAGE, "uncached-minus");
	assert_pte(c + 2 * PMD - PAGE, PAGE, "uncached-minus");
	fill(p, 4 * MIB, 25);
	check(res, 4 * MIB, 25);
	munmap(area, 8 * MIB);

	/* huge=N: PTEs by the first touch, even where a PMD would fit. */
	tu_set_param("huge", "N");
	p = map_ok(fd, &a, 0, 4 * MIB);
	assert_no_pte(p);
	faults = tu_touch_pages(p, 4 * MIB);
	assert_pte(p, PAGE, "uncached-minus");
	ck_assert_msg(faults < 8, "%ld page faults", faults);
	assert_pte((char *)p + PMD, PAGE, "uncached-minus");
	munmap((void *)p, 4 * MIB);
	tu_set_param("huge", "Y");

	tu_free(fd, a.handle);
	close(fd);
	munmap((void *)res, bar2_size);
	del_bar2(prov);
}
END_TEST

/*
 * get_user_pages() refuses the mapping for direct I/O too: read() from a
 * file opened O_DIRECT into a p2pbuf mapping fails with EFAULT and leaves
 * the memory alone, and write() from it fails the same way; the same I/O
 * through anonymous memory works (the file really does direct I/O), and so
 * does buffered I/O into the mapping (a CPU copy).  The file is the RAM
 * disk /dev/ram0: tmpfs, the guest's only file system, has no direct I/O
 * path, so the rig loads brd (tests/vm/vm-lib.sh, vm_rig_modules; built
 * into the debug kernel).  Before and after the first touch (huge PMD or
 * not).  _i: 0 host RAM, 1 BAR.
 */
START_TEST(test_odirect)
{
	const uint64_t io = 64 * KIB, len = 4 * MIB;
	volatile uint64_t *p;
	uint64_t *anon, *back;
	struct p2pbuf_alloc a;
	uint32_t prov = _i ? add_bar2() : P2PBUF_PROVIDER_ID_SYSMEM;
	int fd = tu_dev_open(), dfd, bfd;

	dfd = open(RAMDISK, O_RDWR | O_DIRECT | O_CLOEXEC);
	ck_assert_msg(dfd >= 0,
		      "%s with O_DIRECT: %s; the rig has no file that can do "
		      "direct I/O (brd not loaded?)",
		      RAMDISK, strerror(errno));
	ck_assert_int_eq(posix_memalign((void **)&anon, PAGE, io), 0);
	ck_assert_int_eq(posix_memalign((void **)&back, PAGE, io), 0);
	fill(anon, io, 31);
	ck_assert_int_eq(pwrite(dfd, anon, io, 0), (ssize_t)io);
	memset(back, 0, io);
	ck_assert_int_eq(pread(dfd, back, io, 0), (ssize_t)io);
	check(back, io, 31);

	alloc_ok(fd, prov, len, &a);
	p = map_ok(fd, &a, 0, len);
	/* Before the first touch (huge blocks: nothing mapped yet). */
	errno = 0;
	ck_assert_int_eq(pread(dfd, (void *)p, io, 0), -1);
	ck_assert_int_eq(errno, EFAULT);
	check_zero(p, len);
	fill(p, len, 33);
	errno = 0;
	ck_assert_int_eq(pread(dfd, (void *)p, io, 0), -1);
	ck_assert_int_eq(errno, EFAULT);
	errno = 0;
	ck_assert_int_eq(pwrite(dfd, (void *)p, io, io), -1);
	ck_assert_int_eq(errno, EFAULT);
	check(p, len, 33);
	/* The disk was not written either. */
	ck_assert_int_eq(pread(dfd, back, io, io), (ssize_t)io);
	ck_assert_msg(memcmp(back, (void *)p, io),
		      "the failed write reached the disk");

	/* Buffered I/O copies with the CPU: fine. */
	bfd = open(RAMDISK, O_RDONLY | O_CLOEXEC);
	ck_assert_int_ge(bfd, 0);
	ck_assert_int_eq(pread(bfd, (void *)p, io, 0), (ssize_t)io);
	check(p, io, 31);
	check_part(p, io / 8, len - io, 33);
	close(bfd);

	munmap((void *)p, len);
	tu_free(fd, a.handle);
	free(anon);
	free(back);
	close(dfd);
	close(fd);
	if (_i)
		del_bar2(prov);
}
END_TEST

/*
 * Whether x86 PAT's reservation list has [start, end) with the type name.
 */
static bool pat_listed(uint64_t start, uint64_t end, const char *type)
{
	char line[256], want[128];
	bool found = false;
	FILE *f = fopen(PAT_LIST, "r");

	ck_assert_msg(f, PAT_LIST ": %s", strerror(errno));
	snprintf(want, sizeof(want), "[mem 0x%016llx-0x%016llx] %s\n",
		 (unsigned long long)start, (unsigned long long)end, type);
	while (!found && fgets(line, sizeof(line), f))
		found = strstr(line, want);
	fclose(f);
	return found;
}

/*
 * The memory type the page tables select for a mapping (debugfs "pte",
 * which reads the entries back through the kernel's page-table walker, and
 * on the debug kernel the kernel's own dump) is the documented one:
 * write-back for host RAM; write-combining for a prefetchable BAR (ivshmem
 * BAR2), whose provider holds a write-combining reservation in x86 PAT's
 * list while registered (and uncached-minus when the BAR was already mapped
 * so when the provider was registered); uncached-minus for a
 * non-prefetchable BAR (edu's BAR0, from 512 KiB on, where it has no
 * registers: reads give all-ones, writes are dropped).  For huge entries
 * (where the kernel has them), 4 KiB entries written by mmap() (huge=N),
 * and the 4 KiB entries a split leaves to the fault handler.
 * _i % 3: 0 host RAM, 1 ivshmem BAR2, 2 edu BAR0; _i / 3: huge=N.
 */
START_TEST(test_memtype)
{
	int kind = _i % 3;
	bool huge = _i < 3, hg = huge && huge_expected() && kind < 2;
	uint64_t len = kind < 2 ? 4 * MIB : 512 * KIB, start = 0, size;
	const char *type[] = { "write-back", "write-combining",
			       "uncached-minus" };
	const uint32_t mode[] = { P2PBUF_CACHE_WB, P2PBUF_CACHE_WC,
				  P2PBUF_CACHE_UC };
	struct p2pbuf_provider_info info;
	char edu[4][RIG_BDF_LEN];
	volatile uint64_t *p, *res;
	struct p2pbuf_alloc a;
	uint32_t prov = P2PBUF_PROVIDER_ID_SYSMEM;
	int fd = tu_dev_open();
	struct pte e;

	tu_set_param("prefault", "Y");
	tu_set_param("huge", tu_yn(huge));
	if (kind == 1) {
		ck_assert_int_eq(rig_pci_resource(ivshmem, 2, &start, &size),
				 0);
		ck_assert(!pat_listed(start, start + size, "write-combining"));
		prov = add_bar2();
		ck_assert_msg(pat_listed(start, start + size,
					 "write-combining"),
			      "no write-combining reservation in " PAT_LIST);
	} else if (kind == 2) {
		ck_assert_int_ge(rig_pci_find(RIG_EDU_VENDOR, RIG_EDU_DEVICE,
					      edu, 4),
				 1);
		ck_assert_int_eq(rig_pci_resource(edu[0], 0, &start, &size), 0);
		ck_assert_uint_eq(size, EDU_BAR0_SIZE);
		start += EDU_BAR0_SIZE / 2;
		ck_assert_int_eq(p2pbuf_provider_add(ctl, edu[0], 0,
						     EDU_BAR0_SIZE / 2,
						     EDU_BAR0_SIZE / 2, 0,
						     &info, sizeof(info)),
				 0);
		ck_assert_uint_eq(
			info.flags & P2PBUF_NL_PROVIDER_F_PREFETCHABLE, 0);
		prov = info.id;
	}
	alloc_ok(fd, prov, len, &a);
	ck_assert_uint_eq(a.cache_mode, mode[kind]);
	p = map_ok(fd, &a, 0, len);
	tu_touch_pages(p, len);
	e = pte_of(p);
	ck_assert(e.present);
	ck_assert_str_eq(e.cache, type[kind]);
	ck_assert_uint_eq(e.size, (hg ? PMD : PAGE));
	if (kind)
		ck_assert_uint_eq(e.pfn, start / PAGE);
	cross_check_ptdump(p, e.size, type[kind]);
	assert_pte((char *)p + len - PAGE, e.size, type[kind]);
	if (kind == 2) {
		/* Device registers, not memory: all-ones, writes dropped. */
		const volatile uint32_t *w = (const volatile uint32_t *)p;

		for (uint64_t i = 0; i < len / 4; i += PAGE / 4)
			ck_assert_uint_eq(w[i], 0xffffffff);
	}
	/* A split: the first page faults back in alone, same type. */
	ck_assert_int_eq(munmap((char *)p + PAGE, PAGE), 0);
	(void)*p;
	assert_pte(p, PAGE, type[kind]);
	cross_check_ptdump(p, PAGE, type[kind]);
	munmap((void *)p, PAGE);
	munmap((char *)p + 2 * PAGE, len - 2 * PAGE);
	tu_free(fd, a.handle);
	if (kind == 1) {
		del_bar2(prov);
		ck_assert(!pat_listed(start, start + size, "write-combining"));
		/*
		 * The documented exception: with the BAR already mapped
		 * uncached-minus (sysfs resource2) at registration, PAT keeps
		 * that type for the provider and its buffers.
		 */
		res = map_resource2();
		prov = add_bar2();
		alloc_ok(fd, prov, len, &a);
		ck_assert_uint_eq(a.cache_mode, P2PBUF_CACHE_WC);
		p = map_ok(fd, &a, 0, len);
		tu_touch_pages(p, len);
		assert_pte(p, hg ? PMD : PAGE, "uncached-minus");
		munmap((void *)p, len);
		tu_free(fd, a.handle);
		munmap((void *)res, bar2_size);
		del_bar2(prov);
	} else if (kind == 2) {
		ck_assert_int_eq(p2pbuf_provider_del(ctl, prov, 0), 0);
	}
	close(fd);
}
END_TEST

/* --- libp2pbuf and p2pctl ---------------------------------------------- */

START_TEST(test_lib_buffer)
{
	struct p2pbuf_buffer *buf;
	struct p2pbuf_ctx *ctx;
	volatile uint64_t *p;
	void *m;

	ck_assert_int_eq(p2pbuf_ctx_new(NULL, &ctx), 0);
	ck_assert_int_eq(p2pbuf_buffer_alloc(ctx, 0, 0, 0, &buf), -EINVAL);
	ck_assert_int_eq(p2pbuf_buffer_alloc(ctx, 0, PAGE, 1, &buf), -EINVAL);
	ck_assert_int_eq(p2pbuf_buffer_alloc(ctx, 4242, PAGE, 0, &buf),
			 -ENOENT);
	ck_assert_int_eq(p2pbuf_buffer_alloc(ctx, 0, 1 * MIB + 1, 0, &buf), 0);
	/* The buffer holds the context. */
	ck_assert_ptr_nonnull(p2pbuf_ctx_unref(ctx));
	ck_assert_uint_eq(p2pbuf_buffer_get_size(buf), 1 * MIB + PAGE);
	ck_assert_uint_eq(p2pbuf_buffer_get_provider(buf), 0);
	ck_assert_uint_ne(p2pbuf_buffer_get_handle(buf), 0);
	ck_assert_uint_eq(p2pbuf_buffer_get_cache_mode(buf), P2PBUF_CACHE_WB);
	ck_assert_str_eq(p2pbuf_cache_mode_name(P2PBUF_CACHE_WB), "write-back");
	ck_assert_int_eq(p2pbuf_buffer_mmap(buf, 1 * MIB + PAGE, 0, &m),
			 -EINVAL);
	ck_assert_int_eq(p2pbuf_buffer_mmap(buf, 0, 2 * MIB, &m), -EINVAL);
	/* From 4 KiB to the end. */
	ck_assert_int_eq(p2pbuf_buffer_mmap(buf, PAGE, 0, &m), 0);
	p = m;
	check_zero(p, 1 * MIB);
	fill(p, 1 * MIB, 23);
	ck_assert_int_eq(p2pbuf_buffer_free(buf), 0);
	assert_buffers(0, 1);
	check(p, 1 * MIB, 23);
	ck_assert_int_eq(munmap(m, 1 * MIB), 0);
	assert_buffers(0, 0);
}
END_TEST

/* p2pctl buffer alloc --fill writes through the mapping: seen in resource2. */
START_TEST(test_p2pctl_buffer_alloc)
{
	volatile uint32_t *res = (volatile uint32_t *)map_resource2();
	char cmd[256], out[4096];
	uint32_t id = add_bar2();

	snprintf(cmd, sizeof(cmd),
		 "/bin/p2pctl buffer alloc --provider %u --size 3M "
		 "--fill 0xa5c3e1f0 2>&1",
		 id);
	ck_assert_int_eq(tu_cmd_output(cmd, out, sizeof(out)), 0);
	ck_assert_msg(strstr(out, "size:          3.0 MiB\n") &&
			      strstr(out, "caching:       write-combining\n") &&
			      strstr(out, "\nfill:") &&
			      strstr(out, "\nverify:"),
		      "%s", out);
	/* 786432 words: compared without ck_assert(), see check(). */
	for (uint64_t i = 0; i < 3 * MIB / 4; i++)
		if (res[i] != 0xa5c3e1f0)
			ck_abort_msg(
				"word %llu of the BAR: %#x, want 0xa5c3e1f0",
				(unsigned long long)i, res[i]);
	/* The buffer went with p2pctl. */
	assert_prov(id, bar2_size, 0);
	/* Usage errors. */
	ck_assert_int_ne(
		system("/bin/p2pctl buffer alloc --size 1M 2>/dev/null"), 0);
	ck_assert_int_ne(
		system("/bin/p2pctl buffer alloc --provider 0 --size 1M --fill x 2>/dev/null"),
		0);
	munmap((void *)res, bar2_size);
	del_bar2(id);
}
END_TEST

static Suite *buffer_suite(void)
{
	Suite *s = suite_create("buffer");
	TCase *tc;

	tc = tu_tcase(s, "buffer", TU_VM_TIMEOUT, setup, teardown);
	tcase_add_test(tc, test_info_feature);
	tcase_add_loop_test(tc, test_sysmem_pattern, 0,
			    sizeof(sysmem_sizes) / sizeof(sysmem_sizes[0]));
	tcase_add_test(tc, test_alloc_errors);
	tcase_add_test(tc, test_alloc_extensible);
	tcase_add_test(tc, test_free_errors);
	tcase_add_test(tc, test_limit_per_fd);
	tcase_add_test(tc, test_memlock_limit);
	tcase_add_test(tc, test_ivshmem_data);
	tcase_add_test(tc, test_zeroing);
	tcase_add_test(tc, test_map_private);
	tcase_add_test(tc, test_map_range);
	tcase_add_test(tc, test_vma_flags);
	tcase_add_test(tc, test_mremap);
	tcase_add_test(tc, test_fork);
	tcase_add_test(tc, test_free_while_mapped);
	tcase_add_test(tc, test_provider_del_busy);
	tcase_add_test(tc, test_split);
	tcase_add_test(tc, test_gup_refused);
	tcase_add_loop_test(tc, test_races, 0, 2);
	tcase_add_loop_test(tc, test_huge, 0, 4);
	tcase_add_test(tc, test_huge_partial);
	tcase_add_loop_test(tc, test_odirect, 0, 2);
	tcase_add_loop_test(tc, test_memtype, 0, 6);
	tcase_add_test(tc, test_lib_buffer);
	tcase_add_test(tc, test_p2pctl_buffer_alloc);
	return s;
}

int main(void)
{
	return tu_run(buffer_suite());
}
