// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Guest tier: p2pdma providers (uAPI 1.7).  Buffers of the p2pmem the
 * kernel's nvme driver published for the debug rig's NVMe controller (its
 * 64 MiB CMB), with the NVMe driver and the block layer as a client no one
 * here wrote: O_DIRECT I/O between the namespace and a p2pbuf mapping goes
 * straight from the SSD into the CMB and back, every byte checked by the
 * CPU.  The namespace is the image tests/vm/vm-lib.sh (vm_nvme_image)
 * writes for every boot: VM_NVME_PATTERN and a newline, repeated.
 *
 * Kernels without the provider (no CONFIG_PCI_P2PDMA: Debian's) answer
 * PROVIDER_ADD of the kind with EOPNOTSUPP, checked, and every other test
 * says NOT APPLICABLE on the console.  The debug kernel has it, and the
 * debug rig the NVMe; one without the other fails.
 *
 * edu reaches the CMB only through the q35 host bridge, which p2pdma does
 * not know to forward peer traffic: MAP for edu is refused as
 * pci_p2pdma_distance() refuses it, and works with the administrator's
 * permission (HOST_BRIDGE_P2P), which the edu tests use.
 *
 * test_unbind runs last: it takes the nvme driver away under I/O and binds
 * it again.
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <netlink/genl/genl.h>
#include <linux/p2pbuf.h>

#include "util.h"

#define KIB 1024ULL
#define MIB (1024ULL * 1024)
#define PAGE 4096ULL
#define MAX_MSGS 256
/* tests/vm/vm-lib.sh VM_NVME_PATTERN, with the newline yes(1) adds. */
#define NVME_PATTERN "p2pbuf nvme pattern 0123456789\n"
#define NVME_PATTERN_LEN (sizeof(NVME_PATTERN) - 1)
#define NVME_DEV "/dev/nvme0n1"
#define NVME_IMAGE_SIZE (96 * MIB)
/* Where the write tests write: beyond what the read tests read. */
#define WRITE_OFF (80 * MIB)
#define BUF_LEN (16 * MIB)
#define IO_CHUNK (1 * MIB)
#define NVME_DRIVER "/sys/bus/pci/drivers/nvme"

static char nvme[RIG_BDF_LEN], edu0[RIG_BDF_LEN], iv0[RIG_BDF_LEN];
static bool have_provider;
static struct tu_nl nl;

static void setup(void)
{
	struct p2pbuf_info info = { .size = sizeof(info) };
	char bdfs[4][RIG_BDF_LEN];
	int fd = tu_dev_open();

	ck_assert_int_eq(ioctl(fd, P2PBUF_IOC_INFO, &info), 0);
	close(fd);
	have_provider = info.features & P2PBUF_FEATURE_P2PDMA_PROVIDER;
	ck_assert_int_eq(rig_pci_find(RIG_EDU_VENDOR, RIG_EDU_DEVICE, bdfs, 4),
			 2);
	strcpy(edu0, bdfs[0]);
	ck_assert_int_eq(rig_pci_find(RIG_IVSHMEM_VENDOR, RIG_IVSHMEM_DEVICE,
				      bdfs, 4),
			 2);
	strcpy(iv0, bdfs[0]);
	nvme[0] = '\0';
	/* The debug kernel has the provider: a broken probe must not pass. */
	if (tu_rig_is("debug"))
		ck_assert_msg(
			have_provider,
			"debug rig, but the module reports no p2pdma provider");
	if (have_provider) {
		ck_assert_msg(
			rig_pci_find(RIG_NVME_VENDOR, RIG_NVME_DEVICE, bdfs,
				     4) == 1,
			"the kernel has p2pdma providers but the rig no NVMe (not the debug rig?)");
		strcpy(nvme, bdfs[0]);
	}
	tu_nl_fixture_setup(&nl);
}

static void teardown(void)
{
	tu_nl_fixture_teardown(&nl);
}

static bool applicable(const char *test)
{
	if (!have_provider)
		printf("%s: NOT APPLICABLE: this kernel has no p2pdma provider "
		       "(needs CONFIG_PCI_P2PDMA and Linux 6.2)\n",
		       test);
	return have_provider;
}

/* --- helpers ------------------------------------------------------------ */

struct add_arg {
	const char *bdf;
	uint32_t flags;
	bool with_bar;
	uint32_t bar; /* put_pcibar_bar() */
};

static void put_p2pdma(struct nl_msg *msg, void *arg)
{
	const struct add_arg *a = arg;

	nla_put_u32(msg, P2PBUF_NL_A_PROVIDER_KIND,
		    P2PBUF_NL_PROVIDER_KIND_P2PDMA);
	nla_put_string(msg, P2PBUF_NL_A_PROVIDER_PCI_ADDR, a->bdf);
	if (a->flags)
		nla_put_u32(msg, P2PBUF_NL_A_PROVIDER_FLAGS, a->flags);
	if (a->with_bar)
		nla_put_u32(msg, P2PBUF_NL_A_PROVIDER_BAR, 2);
}

/* PROVIDER_ADD of a p2pdma provider: the errno; the reply into *m. */
static int add_try(const char *bdf, uint32_t flags, bool with_bar,
		   struct tu_nl_msg *m)
{
	struct add_arg a = { .bdf = bdf, .flags = flags, .with_bar = with_bar };
	int n = 0;

	return tu_nl_request(&nl, P2PBUF_NL_CMD_PROVIDER_ADD, NLM_F_ACK,
			     put_p2pdma, &a, m, 1, &n);
}

static void put_pcibar_bar(struct nl_msg *msg, void *arg)
{
	const struct add_arg *a = arg;

	nla_put_u32(msg, P2PBUF_NL_A_PROVIDER_KIND,
		    P2PBUF_NL_PROVIDER_KIND_PCIBAR);
	nla_put_string(msg, P2PBUF_NL_A_PROVIDER_PCI_ADDR, a->bdf);
	nla_put_u32(msg, P2PBUF_NL_A_PROVIDER_BAR, a->bar);
}

/* PROVIDER_ADD of BAR bar of bdf as a pcibar provider: the errno. */
static int add_pcibar_try(const char *bdf, uint32_t bar)
{
	struct add_arg a = { .bdf = bdf, .bar = bar };

	return tu_nl_request(&nl, P2PBUF_NL_CMD_PROVIDER_ADD, NLM_F_ACK,
			     put_pcibar_bar, &a, NULL, 0, NULL);
}

/* The pool's free bytes, as p2pdma's sysfs says. */
static uint64_t p2pmem_available(void)
{
	unsigned long long v = 0;
	char path[128];
	FILE *f;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/p2pmem/available",
		 nvme);
	f = fopen(path, "r");
	ck_assert_msg(f, "%s: %s", path, strerror(errno));
	ck_assert_int_eq(fscanf(f, "%llu", &v), 1);
	fclose(f);
	return v;
}

/* The NVMe's p2pmem as a provider (flags: HOST_BRIDGE_P2P or 0): its id. */
static uint32_t add(uint32_t flags)
{
	struct tu_nl_msg m;
	int err = add_try(nvme, flags, false, &m);

	ck_assert_msg(!err, "PROVIDER_ADD p2pdma %s: %s", nvme, strerror(err));
	ck_assert_uint_eq(m.prov_kind, P2PBUF_NL_PROVIDER_KIND_P2PDMA);
	return m.provider_id;
}

static int nvme_open(void)
{
	int bfd = open(NVME_DEV, O_RDWR | O_DIRECT | O_CLOEXEC);

	ck_assert_msg(bfd >= 0, "%s: %s", NVME_DEV, strerror(errno));
	return bfd;
}

/* O_DIRECT I/O of len bytes at off, IO_CHUNK at a time: 0 or the errno. */
static int dio(int bfd, bool write, void *p, uint64_t len, uint64_t off)
{
	uint64_t done, n;
	ssize_t r;

	for (done = 0; done < len; done += n) {
		n = len - done < IO_CHUNK ? len - done : IO_CHUNK;
		if (write)
			r = pwrite(bfd, (char *)p + done, n,
				   (off_t)(off + done));
		else
			r = pread(bfd, (char *)p + done, n,
				  (off_t)(off + done));
		if (r < 0)
			return errno;
		ck_assert_int_eq(r, (ssize_t)n);
	}
	return 0;
}

/* p[0..len) holds bytes dev_off.. of the namespace image. */
static void check_pattern(const volatile uint8_t *p, uint64_t len,
			  uint64_t dev_off)
{
	uint64_t i;
	uint8_t want;

	for (i = 0; i < len; i++) {
		want = (uint8_t)NVME_PATTERN[(dev_off + i) % NVME_PATTERN_LEN];
		if (p[i] != want)
			ck_abort_msg(
				"byte %llu of the namespace read %#x at buffer offset %llu, want %#x",
				(unsigned long long)(dev_off + i), p[i],
				(unsigned long long)i, want);
	}
}

static void check_zero(const volatile uint8_t *p, uint64_t len)
{
	uint64_t i;

	for (i = 0; i < len; i++)
		if (p[i])
			ck_abort_msg("new buffer not zeroed at %llu: %#x",
				     (unsigned long long)i, p[i]);
}

/* The provider's entry of a PROVIDER_GET dump. */
static void provider_entry(uint32_t id, struct tu_nl_msg *out)
{
	static struct tu_nl_msg all[MAX_MSGS];
	int n = tu_nl_dump(&nl, P2PBUF_NL_CMD_PROVIDER_GET, all, MAX_MSGS), i;

	for (i = 0; i < n; i++) {
		if (all[i].provider_id == id) {
			*out = all[i];
			return;
		}
	}
	ck_abort_msg("provider %u not in the dump", id);
}

/* A copy edu made of data the SSD put in the buffer: the image's bytes. */
static void check_from_disk(const volatile uint8_t *cpu, uint64_t src,
			    uint64_t dst, uint32_t n)
{
	check_pattern(cpu + dst, n, src);
}

/* --- tests ------------------------------------------------------------- */

START_TEST(test_not_built)
{
	struct tu_nl_msg m;

	if (have_provider)
		return;
	/* Refused as a kind this kernel cannot have, whatever the device. */
	ck_assert_int_eq(add_try(edu0, 0, false, &m), EOPNOTSUPP);
	printf("test_p2pdma: NOT APPLICABLE: no p2pdma provider on this "
	       "kernel; PROVIDER_ADD of the kind answers EOPNOTSUPP (checked)\n");
}
END_TEST

START_TEST(test_provider)
{
	struct tu_nl_msg m, d;
	struct p2pbuf_alloc a;
	uint64_t bar_start, bar_size;
	uint32_t prov;
	int fd;

	if (!applicable("test_provider"))
		return;
	prov = add(0);
	provider_entry(prov, &m);
	ck_assert_uint_eq(m.prov_kind, P2PBUF_NL_PROVIDER_KIND_P2PDMA);
	ck_assert_int_eq(rig_pci_resource(nvme, (int)m.prov_bar, &bar_start,
					  &bar_size),
			 0);
	ck_assert_uint_ge(bar_size, RIG_NVME_CMB_SIZE);
	ck_assert_uint_eq(m.prov_size, bar_size);
	ck_assert_uint_eq(m.prov_free, bar_size);

	/* One registration per device; a pcibar one of its BAR overlaps. */
	ck_assert_int_eq(add_try(nvme, 0, false, &d), EEXIST);
	ck_assert_int_eq(add_pcibar_try(nvme, m.prov_bar), EEXIST);
	ck_assert_int_eq(add_try(nvme, 0, true, &d), EINVAL);
	ck_assert_int_eq(add_try(edu0, 0, false, &d), ENXIO);
	ck_assert_int_eq(add_try("0000:00:1f.7", 0, false, &d), ENODEV);

	fd = tu_dev_open();
	ck_assert_int_eq(tu_alloc_try(fd, prov, 1 * MIB, &a), 0);
	ck_assert_uint_eq(a.cache_mode, P2PBUF_CACHE_WB);
	provider_entry(prov, &m);
	ck_assert_uint_eq(m.prov_free, bar_size - 1 * MIB);
	ck_assert_uint_eq(m.prov_buffers, 1);
	ck_assert_int_eq(tu_nl_provider_del(&nl, prov, false), EBUSY);
	close(fd);
	provider_entry(prov, &m);
	ck_assert_uint_eq(m.prov_free, bar_size);
	ck_assert_uint_eq(m.prov_buffers, 0);
	ck_assert_int_eq(tu_nl_provider_del(&nl, prov, false), 0);
}
END_TEST

/*
 * The pool runs out part-way through an allocation that p2pbuf's own count
 * allows (the kernel's p2pmem/allocate holds a page of it, the nvme driver
 * maybe its queues): ENOMEM, and every page taken goes back.
 */
START_TEST(test_pool_exhausted)
{
	struct tu_nl_msg m;
	struct p2pbuf_alloc a;
	uint64_t avail_before, avail;
	char path[128];
	uint32_t prov;
	void *held;
	int fd, afd;

	if (!applicable("test_pool_exhausted"))
		return;
	prov = add(0);
	provider_entry(prov, &m);
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/p2pmem/allocate",
		 nvme);
	afd = open(path, O_RDWR | O_CLOEXEC);
	ck_assert_msg(afd >= 0, "%s: %s", path, strerror(errno));
	held = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, afd, 0);
	ck_assert_ptr_ne(held, MAP_FAILED);
	avail_before = p2pmem_available();
	ck_assert_uint_lt(avail_before, m.prov_free);
	fd = tu_dev_open();
	ck_assert_int_eq(tu_alloc_try(fd, prov, m.prov_free, &a), ENOMEM);
	avail = p2pmem_available();
	ck_assert_uint_eq(avail, avail_before);
	provider_entry(prov, &m);
	ck_assert_uint_eq(m.prov_free, m.prov_size);
	ck_assert_uint_eq(m.prov_buffers, 0);
	/* What the pool has is still all usable. */
	ck_assert_int_eq(tu_alloc_try(fd, prov, avail_before & ~(PAGE - 1), &a),
			 0);
	ck_assert_uint_eq(p2pmem_available(), 0);
	close(fd);
	ck_assert_uint_eq(p2pmem_available(), avail_before);
	munmap(held, PAGE);
	close(afd);
	ck_assert_int_eq(tu_nl_provider_del(&nl, prov, false), 0);
}
END_TEST

/*
 * Like the special VMA, a child of fork() does not inherit the mapping
 * (VM_DONTCOPY).  MADV_DOFORK is refused where the kernel refuses it for
 * VM_MIXEDMAP mappings (7.x: EINVAL); where it is allowed, the child sees
 * the same memory.
 */
START_TEST(test_fork)
{
	struct p2pbuf_alloc a;
	volatile uint8_t *p;
	uint32_t prov;
	pid_t pid;
	int fd, st, dofork;

	if (!applicable("test_fork"))
		return;
	prov = add(0);
	fd = tu_dev_open();
	p = tu_alloc_map(fd, prov, 1 * MIB, &a);
	tu_fill(p, 1 * MIB, 2000);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (!pid)
		_exit(tu_touch(p) == SIGSEGV ? 0 : 1);
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0,
		      "the child of fork() could touch the mapping");
	dofork = madvise((void *)p, 1 * MIB, MADV_DOFORK) ? errno : 0;
	ck_assert_msg(dofork == 0 || dofork == EINVAL, "MADV_DOFORK: %s",
		      strerror(dofork));
	printf("test_fork: MADV_DOFORK %s on this kernel\n",
	       dofork ? "refused (EINVAL)" : "allowed");
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (!pid) {
		unsigned int i;

		if (dofork)
			_exit(tu_touch(p) == SIGSEGV ? 0 : 1);
		for (i = 0; i < 1 * MIB; i++)
			if (p[i] != tu_pat(2000, i))
				_exit(1);
		p[0] = 0x5a;
		_exit(0);
	}
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	if (!dofork)
		ck_assert_uint_eq(p[0], 0x5a);
	munmap((void *)p, 1 * MIB);
	tu_free(fd, a.handle);
	close(fd);
	ck_assert_int_eq(tu_nl_provider_del(&nl, prov, false), 0);
}
END_TEST

/* The SSD DMAs into the CMB buffer: every byte arrives, in place. */
START_TEST(test_dio_read)
{
	struct p2pbuf_alloc a;
	volatile uint8_t *p;
	uint32_t prov;
	int fd, bfd;

	if (!applicable("test_dio_read"))
		return;
	prov = add(0);
	fd = tu_dev_open();
	/* A previous buffer's bytes do not show through (same pool pages). */
	p = tu_alloc_map(fd, prov, BUF_LEN, &a);
	memset((void *)p, 0xa5, BUF_LEN);
	munmap((void *)p, BUF_LEN);
	tu_free(fd, a.handle);
	p = tu_alloc_map(fd, prov, BUF_LEN, &a);
	check_zero(p, BUF_LEN);
	bfd = nvme_open();
	/* Whole buffer, from a device offset that is not a page boundary. */
	ck_assert_int_eq(dio(bfd, false, (void *)p, BUF_LEN, 3 * MIB + 512), 0);
	check_pattern(p, BUF_LEN, 3 * MIB + 512);
	/* Into the middle of a page, 512-byte aligned as O_DIRECT wants. */
	ck_assert_int_eq(
		dio(bfd, false, (void *)(p + 5 * PAGE + 1536), 96 * KIB, 0), 0);
	check_pattern(p + 5 * PAGE + 1536, 96 * KIB, 0);
	close(bfd);
	munmap((void *)p, BUF_LEN);
	tu_free(fd, a.handle);
	close(fd);
	ck_assert_int_eq(tu_nl_provider_del(&nl, prov, false), 0);
}
END_TEST

/* The SSD DMAs from the CMB buffer; read back into host memory. */
START_TEST(test_dio_write)
{
	const uint64_t len = 4 * MIB;
	struct p2pbuf_alloc a;
	volatile uint8_t *p;
	void *host;
	uint32_t prov;
	int fd, bfd;

	if (!applicable("test_dio_write"))
		return;
	prov = add(0);
	fd = tu_dev_open();
	p = tu_alloc_map(fd, prov, len, &a);
	tu_fill(p, len, 1700);
	bfd = nvme_open();
	ck_assert_int_eq(dio(bfd, true, (void *)p, len, WRITE_OFF), 0);
	ck_assert_int_eq(posix_memalign(&host, PAGE, len), 0);
	memset(host, 0, len);
	ck_assert_int_eq(dio(bfd, false, host, len, WRITE_OFF), 0);
	tu_check_bytes(host, len, 1700, 0, "written from the CMB, read to RAM");
	/* And what was around it is untouched. */
	ck_assert_int_eq(dio(bfd, false, host, 64 * KIB, WRITE_OFF - 64 * KIB),
			 0);
	check_pattern(host, 64 * KIB, WRITE_OFF - 64 * KIB);
	free(host);
	close(bfd);
	munmap((void *)p, len);
	tu_free(fd, a.handle);
	close(fd);
	ck_assert_int_eq(tu_nl_provider_del(&nl, prov, false), 0);
}
END_TEST

/*
 * MAP for edu: refused where p2pdma refuses (q35's host bridge), with the
 * reachability answer saying so; with the administrator's permission edu
 * moves data through the CMB, also data the SSD put there.
 */
START_TEST(test_map_edu)
{
	struct p2pbuf_reach r = { .size = sizeof(r) };
	const uint64_t len = 4 * MIB;
	struct p2pbuf_alloc a;
	struct p2pbuf_map m;
	volatile uint8_t *p;
	uint32_t prov;
	int fd, bfd, sfd;

	if (!applicable("test_map_edu"))
		return;
	prov = add(0);
	fd = tu_dev_open();
	p = tu_alloc_map(fd, prov, len, &a);
	ck_assert_int_eq(tu_map_try(fd, (void *)p, len, edu0,
				    P2PBUF_DMA_BIDIRECTIONAL, 0, &m),
			 EXDEV);
	r.provider_id = prov;
	tu_target_of(edu0, &r.target);
	ck_assert_int_eq(ioctl(fd, P2PBUF_IOC_REACH, &r), 0);
	ck_assert_uint_eq(r.map_type, 0);
	/* q35's host bridge: p2pbuf's walk and p2pdma both refuse it. */
	ck_assert_uint_eq(r.reason, P2PBUF_UNREACH_HOST_BRIDGE);
	munmap((void *)p, len);
	tu_free(fd, a.handle);
	ck_assert_int_eq(tu_nl_provider_del(&nl, prov, false), 0);

	prov = add(P2PBUF_NL_PROVIDER_F_HOST_BRIDGE_P2P);
	p = tu_alloc_map(fd, prov, len, &a);
	r.provider_id = prov;
	ck_assert_int_eq(ioctl(fd, P2PBUF_IOC_REACH, &r), 0);
	ck_assert_uint_eq(r.reason, P2PBUF_REACH_HOST_BRIDGE_ADMIN);
	sfd = tu_map(fd, (void *)p, len, edu0, P2PBUF_DMA_BIDIRECTIONAL, NULL);
	tu_edu_roundtrips(edu0, sfd, p, len, 6, 1800, NULL);
	bfd = nvme_open();
	ck_assert_int_eq(dio(bfd, false, (void *)p, len, 0), 0);
	close(bfd);
	tu_edu_roundtrips(edu0, sfd, p, len, 6, 1900, check_from_disk);
	close(sfd);
	munmap((void *)p, len);
	tu_free(fd, a.handle);
	close(fd);
	ck_assert_int_eq(tu_nl_provider_del(&nl, prov, false), 0);
}
END_TEST

/* The special VMAs stay unpinnable: O_DIRECT into them is EFAULT. */
START_TEST(test_special_vma_refused)
{
	struct p2pbuf_alloc a;
	volatile uint8_t *p;
	uint32_t prov;
	int fd, bfd;

	if (!applicable("test_special_vma_refused"))
		return;
	fd = tu_dev_open();
	bfd = nvme_open();
	p = tu_alloc_map(fd, P2PBUF_PROVIDER_ID_SYSMEM, 1 * MIB, &a);
	ck_assert_int_eq(dio(bfd, false, (void *)p, 64 * KIB, 0), EFAULT);
	munmap((void *)p, 1 * MIB);
	tu_free(fd, a.handle);
	prov = tu_nl_provider_add(&nl, iv0);
	p = tu_alloc_map(fd, prov, 1 * MIB, &a);
	ck_assert_int_eq(dio(bfd, false, (void *)p, 64 * KIB, 0), EFAULT);
	ck_assert_int_eq(dio(bfd, true, (void *)p, 64 * KIB, WRITE_OFF),
			 EFAULT);
	munmap((void *)p, 1 * MIB);
	tu_free(fd, a.handle);
	ck_assert_int_eq(tu_nl_provider_del(&nl, prov, false), 0);
	close(bfd);
	close(fd);
}
END_TEST

struct reader {
	volatile uint8_t *p;
	int bfd;
	volatile int reads;
	int err;
};

/*
 * O_DIRECT reads into the buffer until one fails or comes back short (the
 * device went): err is its errno, ENODATA for a short read.
 */
static void *reader_main(void *arg)
{
	struct reader *r = arg;
	unsigned int i;
	ssize_t n;

	r->err = 0;
	for (i = 0; i < 1000000; i++) {
		n = pread(r->bfd, (void *)(r->p + (i % 4) * IO_CHUNK), IO_CHUNK,
			  (off_t)((i % 16) * IO_CHUNK));
		if (n != (ssize_t)IO_CHUNK) {
			/* A short read: the disk went (its size is 0). */
			r->err = n < 0 ? errno : ENODATA;
			break;
		}
		__atomic_add_fetch(&r->reads, 1, __ATOMIC_SEQ_CST);
	}
	return NULL;
}

static bool exists(const char *path)
{
	struct stat st;

	return !stat(path, &st);
}

/*
 * The nvme driver goes while a buffer is mapped, mapped for edu and under
 * O_DIRECT I/O: the buffer and the dma-sgl are revoked (driver unbound)
 * before the driver's p2pmem goes, the unbind completes (p2pdma waits only
 * for the I/O's own pins), the reader's next I/O fails, and nothing leaks
 * (the fixture; kmemleak at the end of the boot).  Then the driver comes
 * back, for whatever runs next.
 */
START_TEST(test_unbind)
{
	static struct tu_nl_msg e[MAX_MSGS];
	char path[128];
	struct p2pbuf_alloc a;
	struct reader rd = { 0 };
	pthread_t th;
	uint32_t prov, buf_id;
	int fd, sfd, n, i, i_brev, i_srev, i_pdel;

	if (!applicable("test_unbind"))
		return;
	prov = add(P2PBUF_NL_PROVIDER_F_HOST_BRIDGE_P2P);
	fd = tu_dev_open();
	rd.p = tu_alloc_map(fd, prov, 4 * IO_CHUNK, &a);
	buf_id = a.handle;
	sfd = tu_map(fd, (void *)rd.p, 4 * IO_CHUNK, edu0,
		     P2PBUF_DMA_BIDIRECTIONAL, NULL);
	rd.bfd = nvme_open();
	tu_nl_events(&nl, e, MAX_MSGS, 0);
	ck_assert_int_eq(pthread_create(&th, NULL, reader_main, &rd), 0);
	for (i = 0; i < 600 && __atomic_load_n(&rd.reads, __ATOMIC_SEQ_CST) < 2;
	     i++)
		usleep(100 * 1000);
	ck_assert_msg(rd.reads >= 2, "the reader did no I/O (%s)",
		      strerror(rd.err));

	tu_write_file(NVME_DRIVER "/unbind", nvme);
	ck_assert(!rig_pci_has_driver(nvme));
	ck_assert_int_eq(pthread_join(th, NULL), 0);
	ck_assert_msg(rd.err == EFAULT || rd.err == EIO || rd.err == ENODEV ||
			      rd.err == ENXIO || rd.err == ENODATA,
		      "the reader's I/O after the unbind: %s",
		      strerror(rd.err));
	close(rd.bfd);
	/* Revoked: the CPU mapping and the dma-sgl. */
	ck_assert_int_eq(tu_touch(rd.p), SIGBUS);
	tu_assert_sgl_revoked(sfd);
	n = tu_nl_events(&nl, e, MAX_MSGS, 1000);
	i_brev = tu_nl_find_ev(e, n, P2PBUF_NL_CMD_BUFFER_REVOKE_NTF, buf_id);
	i_srev = tu_nl_find_ev(e, n, P2PBUF_NL_CMD_SGL_REVOKE_NTF, 0);
	i_pdel = tu_nl_find_ev(e, n, P2PBUF_NL_CMD_PROVIDER_DEL_NTF, 0);
	ck_assert_msg(
		i_brev >= 0 && i_srev >= 0 && i_pdel > i_brev,
		"events: buffer revoke %d, sgl revoke %d, provider del %d",
		i_brev, i_srev, i_pdel);
	ck_assert_uint_eq(e[i_brev].reason, P2PBUF_NL_REVOKE_DRIVER_UNBOUND);
	close(sfd);
	munmap((void *)rd.p, 4 * IO_CHUNK);
	tu_free(fd, a.handle);
	close(fd);

	/* No driver, no p2pmem: nothing to register. */
	ck_assert_int_eq(add_try(nvme, 0, false, &e[0]), ENXIO);

	/* Back: the driver, its p2pmem and the namespace. */
	tu_write_file(NVME_DRIVER "/bind", nvme);
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/p2pmem/size",
		 nvme);
	for (i = 0; i < 300 && !(exists(path) && exists(NVME_DEV)); i++)
		usleep(100 * 1000);
	ck_assert_msg(exists(path) && exists(NVME_DEV),
		      "the nvme driver did not come back (%s, %s)", path,
		      NVME_DEV);
}
END_TEST

static Suite *p2pdma_suite(void)
{
	Suite *s = suite_create("p2pdma");
	TCase *tc = tu_tcase(s, "p2pdma", TU_VM_TIMEOUT, setup, teardown);

	tcase_add_test(tc, test_not_built);
	tcase_add_test(tc, test_provider);
	tcase_add_test(tc, test_pool_exhausted);
	tcase_add_test(tc, test_fork);
	tcase_add_test(tc, test_dio_read);
	tcase_add_test(tc, test_dio_write);
	tcase_add_test(tc, test_map_edu);
	tcase_add_test(tc, test_special_vma_refused);
	tcase_add_test(tc, test_unbind);
	return s;
}

int main(void)
{
	return tu_run(p2pdma_suite());
}
