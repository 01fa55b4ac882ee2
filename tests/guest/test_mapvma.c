// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Guest tier: P2PBUF_IOC_MAP over mappings of dma-bufs (issue 15): an
 * mmap() of a udmabuf or of a system heap dma-buf, alone and placed
 * (MAP_FIXED) between p2pbuf mappings of host RAM and of a BAR, becomes
 * one dma-sgl; edu moves random bytes at random offsets through it and the
 * CPU checks them through other mappings of the same memory.  The dma-sgl
 * outlives the dma-buf's fd and the range's mappings; a buffer's revocation
 * and an exporter's invalidation (sent by the test importer, as an
 * exporter that moves its memory does) revoke the whole of it; mappings
 * p2pbuf cannot resolve (private ones, an exporter it does not know: the
 * test importer's own dma-bufs) are refused with their errnos.
 *
 * Debian's 6.1 has neither udmabuf nor the dma-heaps: every test says
 * SKIPPED there.  The dma-bufs are 64 KiB (see test_import.c: udmabuf and
 * the system heap map for the importer without splitting at edu's 64 KiB
 * maximum segment size).
 */
#include "config.h"

#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
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

#include <linux/dma-heap.h>
#include <linux/p2pbuf.h>

#include "../vm/importer/p2pbuf_test_importer.h"
#include "util.h"

#define KIB 1024ULL
#define PAGE 4096ULL
#define DB (64 * KIB) /* each dma-buf and buffer */
#define MAX_MSGS 256
#define TI_DEV "/dev/p2pbuf_test_importer"

static char edu0[RIG_BDF_LEN], iv0[RIG_BDF_LEN];
static struct tu_nl nl;

static void setup(void)
{
	char bdfs[4][RIG_BDF_LEN];

	ck_assert_int_eq(rig_pci_find(RIG_EDU_VENDOR, RIG_EDU_DEVICE, bdfs, 4),
			 2);
	strcpy(edu0, bdfs[0]);
	ck_assert_int_eq(rig_pci_find(RIG_IVSHMEM_VENDOR, RIG_IVSHMEM_DEVICE,
				      bdfs, 4),
			 2);
	strcpy(iv0, bdfs[0]);
	tu_nl_fixture_setup(&nl);
}

static void teardown(void)
{
	tu_nl_fixture_teardown(&nl);
}

/* --- helpers ------------------------------------------------------------ */

static void *map_shared(void *at, uint64_t len, int prot, int fd, off_t off)
{
	void *p =
		mmap(at, len, prot, MAP_SHARED | (at ? MAP_FIXED : 0), fd, off);

	ck_assert_msg(p != MAP_FAILED, "mmap of fd %d: %s", fd,
		      strerror(errno));
	ck_assert(!at || p == at);
	return p;
}

/* An address range of len bytes reserved for MAP_FIXED mappings. */
static uint8_t *reserve(uint64_t len)
{
	void *p =
		mmap(NULL, len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	ck_assert(p != MAP_FAILED);
	return p;
}

/*
 * The CPU's view of [p2pbuf mapping at off0 of fd0][memfd][p2pbuf mapping
 * at off2 of fd2], DB bytes each, side by side (munmap 3 * DB).
 */
static uint8_t *cpu_view(int fd0, uint64_t off0, int memfd, int fd2,
			 uint64_t off2)
{
	uint8_t *w = reserve(3 * DB);

	map_shared(w, DB, PROT_READ | PROT_WRITE, fd0, (off_t)off0);
	map_shared(w + DB, DB, PROT_READ | PROT_WRITE, memfd, 0);
	map_shared(w + 2 * DB, DB, PROT_READ | PROT_WRITE, fd2, (off_t)off2);
	return w;
}

static bool no_udmabuf(int dfd, const char *test)
{
	if (dfd >= 0)
		return false;
	printf("%s: SKIPPED: no /dev/udmabuf (CONFIG_UDMABUF not set in this "
	       "kernel)\n",
	       test);
	return true;
}

static int sgl_dump_one(uint32_t id, struct tu_nl_msg *out)
{
	return tu_nl_dump_one(&nl, P2PBUF_NL_CMD_SGL_GET, id, out);
}

/* The fdinfo of a dma-sgl has a dmabuf-inode line per imported dma-buf. */
static int fdinfo_dmabufs(int sfd)
{
	char path[64], line[256];
	int n = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", sfd);
	f = fopen(path, "r");
	ck_assert(f);
	while (fgets(line, sizeof(line), f))
		n += !strncmp(line, "dmabuf-inode:", 13);
	fclose(f);
	return n;
}

/* The buffer's live dma-sgl count (BUFFER_GET). */
static uint32_t buffer_sgls(uint32_t id)
{
	static struct tu_nl_msg b[MAX_MSGS];
	int n = tu_nl_dump(&nl, P2PBUF_NL_CMD_BUFFER_GET, b, MAX_MSGS), i;

	for (i = 0; i < n; i++)
		if (b[i].buffer_id == id)
			return b[i].sgls;
	ck_abort_msg("buffer %u not listed", id);
	return 0;
}

/* --- tests ------------------------------------------------------------- */

/*
 * A MAP of an mmap() of a udmabuf, whole and from an offset (vm_pgoff):
 * a normal dma-sgl with no buffer; edu's data checked through the memfd;
 * closing the dma-buf fd and the memfd and unmapping the range keep it
 * working until it is closed.
 */
START_TEST(test_udmabuf_vma)
{
	static struct tu_nl_msg ev[MAX_MSGS];
	int fd = tu_dev_open(), memfd, dfd, sfd, sfd2, n;
	volatile uint8_t *cpu;
	struct stat st;
	struct p2pbuf_map m;
	struct tu_nl_msg d;
	uint8_t *r, *r2;
	uint32_t id;

	dfd = tu_udmabuf_new(DB, &memfd);
	if (no_udmabuf(dfd, "test_udmabuf_vma")) {
		close(fd);
		return;
	}
	cpu = map_shared(NULL, DB, PROT_READ | PROT_WRITE, memfd, 0);
	r = map_shared(NULL, DB, PROT_READ | PROT_WRITE, dfd, 0);
	r2 = map_shared(NULL, 32 * KIB, PROT_READ | PROT_WRITE, dfd, 16 * KIB);
	/* The dma-buf's mapping is the memfd's pages. */
	cpu[5] = 0x5a;
	ck_assert_uint_eq(r[5], 0x5a);
	r2[PAGE] = 0xa5;
	ck_assert_uint_eq(cpu[16 * KIB + PAGE], 0xa5);

	tu_nl_events(&nl, ev, MAX_MSGS, 100);
	sfd = tu_map(fd, r, DB, edu0, P2PBUF_DMA_BIDIRECTIONAL, &m);
	ck_assert(m.map_type == P2PBUF_MAP_TYPE_IOMMU ||
		  m.map_type == P2PBUF_MAP_TYPE_DIRECT);
	ck_assert_int_eq(fdinfo_dmabufs(sfd), 1);
	id = tu_sgl_id(sfd);
	n = tu_nl_events(&nl, ev, MAX_MSGS, 1000);
	ck_assert_int_ge(tu_nl_find_ev(ev, n, P2PBUF_NL_CMD_SGL_NEW_NTF, id),
			 0);
	ck_assert_uint_eq(sgl_dump_one(id, &d), 1);
	ck_assert_uint_eq(d.state, P2PBUF_NL_STATE_LIVE);
	ck_assert_uint_eq(d.length, DB);
	ck_assert_uint_eq(d.nr_buffer_ids, 0);
	ck_assert_int_eq(fstat(dfd, &st), 0);
	ck_assert_uint_eq(d.nr_dmabufs, 1);
	ck_assert_str_eq(d.dmabuf_exporter, "udmabuf");
	ck_assert_uint_eq(d.dmabuf_inode, st.st_ino);
	ck_assert_uint_eq(d.dmabuf_offset, 0);
	ck_assert_uint_eq(d.dmabuf_length, DB);
	sfd2 = tu_map(fd, r2 + PAGE, 16 * KIB, edu0, P2PBUF_DMA_BIDIRECTIONAL,
		      NULL);
	ck_assert_uint_eq(sgl_dump_one(tu_sgl_id(sfd2), &d), 1);
	ck_assert_uint_eq(d.nr_dmabufs, 1);
	ck_assert_uint_eq(d.dmabuf_inode, st.st_ino);
	ck_assert_uint_eq(d.dmabuf_offset, 16 * KIB + PAGE);
	ck_assert_uint_eq(d.dmabuf_length, 16 * KIB);

	/* The dma-sgls hold the dma-buf, which holds the memfd's pages. */
	close(dfd);
	close(memfd);
	munmap(r, DB);
	munmap(r2, 32 * KIB);
	tu_edu_roundtrips(edu0, sfd, cpu, DB, 8, 1500, NULL);
	/* r2 + PAGE is the dma-buf's (and the memfd's) byte 16 KiB + PAGE. */
	tu_edu_roundtrips(edu0, sfd2, cpu + 16 * KIB + PAGE, 16 * KIB, 6, 1600,
			  NULL);
	close(sfd2);
	close(sfd);
	n = tu_nl_events(&nl, ev, MAX_MSGS, 1000);
	ck_assert_int_ge(tu_nl_find_ev(ev, n, P2PBUF_NL_CMD_SGL_DEL_NTF, id),
			 0);
	ck_assert_uint_eq(sgl_dump_one(id, &d), 0);
	munmap((void *)cpu, DB);
	close(fd);
}
END_TEST

/*
 * One MAP of [BAR buffer][udmabuf][host buffer], the udmabuf's mapping put
 * between the two p2pbuf mappings with MAP_FIXED: one dma-sgl listing both
 * buffers and importing the dma-buf; edu moves bytes between random places
 * of all three, checked through the range itself, then (range unmapped,
 * dma-buf closed) through other mappings.  BUFFER_REVOKE of the host
 * buffer revokes the whole; closing brings the counters back to zero.
 */
START_TEST(test_mixed)
{
	static struct tu_nl_msg ev[MAX_MSGS];
	uint32_t prov = tu_nl_provider_add(&nl, iv0), id;
	int fd = tu_dev_open(), memfd, dfd, sfd, n, is;
	struct p2pbuf_alloc bar, host;
	volatile uint8_t *cpu;
	struct p2pbuf_map m;
	struct tu_nl_msg d;
	uint8_t *r, *w;

	dfd = tu_udmabuf_new(DB, &memfd);
	if (no_udmabuf(dfd, "test_mixed")) {
		ck_assert_int_eq(tu_nl_provider_del(&nl, prov, false), 0);
		close(fd);
		return;
	}
	cpu = map_shared(NULL, DB, PROT_READ | PROT_WRITE, memfd, 0);
	ck_assert_int_eq(tu_alloc_try(fd, prov, DB, &bar), 0);
	ck_assert_int_eq(tu_alloc_try(fd, 0, DB, &host), 0);
	r = reserve(3 * DB);
	map_shared(r, DB, PROT_READ | PROT_WRITE, fd, (off_t)bar.mmap_offset);
	map_shared(r + DB, DB, PROT_READ | PROT_WRITE, dfd, 0);
	map_shared(r + 2 * DB, DB, PROT_READ | PROT_WRITE, fd,
		   (off_t)host.mmap_offset);

	tu_nl_events(&nl, ev, MAX_MSGS, 100);
	sfd = tu_map(fd, r, 3 * DB, edu0, P2PBUF_DMA_BIDIRECTIONAL, &m);
	ck_assert_uint_ge(m.nr_segments, 1);
	ck_assert_int_eq(fdinfo_dmabufs(sfd), 1);
	id = tu_sgl_id(sfd);
	ck_assert_uint_eq(sgl_dump_one(id, &d), 1);
	ck_assert_uint_eq(d.length, 3 * DB);
	ck_assert_uint_eq(d.nr_buffer_ids, 2);
	ck_assert_uint_eq(d.nr_dmabufs, 1);
	ck_assert_str_eq(d.dmabuf_exporter, "udmabuf");
	ck_assert_uint_eq(d.dmabuf_length, DB);
	ck_assert_uint_eq(buffer_sgls(bar.handle), 1);
	ck_assert_uint_eq(buffer_sgls(host.handle), 1);
	tu_edu_roundtrips(edu0, sfd, r, 3 * DB, 24, 1700, NULL);

	/*
	 * Other mappings of the same memory (the memfd's, not the dma-buf's),
	 * side by side; the range and the fds go.
	 */
	w = cpu_view(fd, bar.mmap_offset, memfd, fd, host.mmap_offset);
	munmap(r, 3 * DB);
	close(dfd);
	close(memfd);
	tu_edu_roundtrips(edu0, sfd, w, 3 * DB, 24, 1800, NULL);

	tu_nl_events(&nl, ev, MAX_MSGS, 100);
	ck_assert_int_eq(tu_nl_buffer_revoke(&nl, host.handle), 0);
	tu_assert_sgl_revoked(sfd);
	n = tu_nl_events(&nl, ev, MAX_MSGS, 1000);
	is = tu_nl_find_ev(ev, n, P2PBUF_NL_CMD_SGL_REVOKE_NTF, id);
	ck_assert_int_ge(is, 0);
	ck_assert_uint_eq(ev[is].reason, P2PBUF_NL_REVOKE_ADMIN);
	ck_assert_uint_eq(buffer_sgls(bar.handle), 0);
	close(sfd);
	n = tu_nl_events(&nl, ev, MAX_MSGS, 1000);
	ck_assert_int_ge(tu_nl_find_ev(ev, n, P2PBUF_NL_CMD_SGL_DEL_NTF, id),
			 0);
	ck_assert_uint_eq(sgl_dump_one(id, &d), 0);
	munmap(w, 3 * DB);
	munmap((void *)cpu, DB);
	tu_free(fd, bar.handle);
	tu_free(fd, host.handle);
	close(fd);
	ck_assert_int_eq(tu_nl_provider_del(&nl, prov, false), 0);
}
END_TEST

/*
 * [host buffer][udmabuf A][udmabuf B] in one MAP; A's exporter side tells
 * its importers that the memory moves: the whole dma-sgl is revoked
 * (poll, state, generation, SGL_REVOKE with reason exporter), B's mapping
 * is given back too; a new MAP of the same range works again.
 */
START_TEST(test_exporter_revoke)
{
	static struct tu_nl_msg ev[MAX_MSGS];
	int fd = tu_dev_open(), memfd[2], dfd[2], sfd, tfd, n, is;
	struct p2pbuf_alloc host;
	struct tu_nl_msg d;
	uint8_t *r, *w;
	uint32_t id;
	int i;

	dfd[0] = tu_udmabuf_new(DB, &memfd[0]);
	if (no_udmabuf(dfd[0], "test_exporter_revoke")) {
		close(fd);
		return;
	}
	dfd[1] = tu_udmabuf_new(DB, &memfd[1]);
	ck_assert_int_ge(dfd[1], 0);
	ck_assert_int_eq(tu_alloc_try(fd, 0, DB, &host), 0);
	r = reserve(3 * DB);
	map_shared(r, DB, PROT_READ | PROT_WRITE, fd, (off_t)host.mmap_offset);
	for (i = 0; i < 2; i++)
		map_shared(r + (i + 1) * DB, DB, PROT_READ | PROT_WRITE, dfd[i],
			   0);
	/* The host buffer's and the memfds' own mappings, side by side. */
	w = reserve(3 * DB);
	map_shared(w, DB, PROT_READ | PROT_WRITE, fd, (off_t)host.mmap_offset);
	for (i = 0; i < 2; i++)
		map_shared(w + (i + 1) * DB, DB, PROT_READ | PROT_WRITE,
			   memfd[i], 0);

	sfd = tu_map(fd, r, 3 * DB, edu0, P2PBUF_DMA_BIDIRECTIONAL, NULL);
	ck_assert_int_eq(fdinfo_dmabufs(sfd), 2);
	id = tu_sgl_id(sfd);
	ck_assert_uint_eq(sgl_dump_one(id, &d), 1);
	ck_assert_uint_eq(d.nr_dmabufs, 2);
	tu_edu_roundtrips(edu0, sfd, w, 3 * DB, 12, 1900, NULL);

	tfd = open(TI_DEV, O_RDWR | O_CLOEXEC);
	ck_assert_msg(tfd >= 0, "%s: %s", TI_DEV, strerror(errno));
	tu_nl_events(&nl, ev, MAX_MSGS, 100);
	ck_assert_int_eq(ioctl(tfd, P2PBUF_TI_NOTIFY, &dfd[0]), 0);
	tu_assert_sgl_revoked(sfd);
	n = tu_nl_events(&nl, ev, MAX_MSGS, 1000);
	is = tu_nl_find_ev(ev, n, P2PBUF_NL_CMD_SGL_REVOKE_NTF, id);
	ck_assert_int_ge(is, 0);
	ck_assert_uint_eq(ev[is].reason, P2PBUF_NL_REVOKE_EXPORTER);
	ck_assert_uint_eq(ev[is].generation, 2);
	ck_assert_uint_eq(sgl_dump_one(id, &d), 1);
	ck_assert_uint_eq(d.state, P2PBUF_NL_STATE_REVOKED);
	ck_assert_uint_eq(d.reason, P2PBUF_NL_REVOKE_EXPORTER);
	ck_assert_uint_eq(buffer_sgls(host.handle), 0);
	/* B's notification reaches a revoked dma-sgl: nothing more happens. */
	ck_assert_int_eq(ioctl(tfd, P2PBUF_TI_NOTIFY, &dfd[1]), 0);
	n = tu_nl_events(&nl, ev, MAX_MSGS, 300);
	ck_assert_int_lt(tu_nl_find_ev(ev, n, P2PBUF_NL_CMD_SGL_REVOKE_NTF, id),
			 0);
	close(sfd);

	/* A revoked dma-sgl is not mapped again; a new MAP is. */
	sfd = tu_map(fd, r, 3 * DB, edu0, P2PBUF_DMA_BIDIRECTIONAL, NULL);
	tu_edu_roundtrips(edu0, sfd, w, 3 * DB, 8, 2000, NULL);
	close(sfd);
	close(tfd);
	munmap(r, 3 * DB);
	munmap(w, 3 * DB);
	for (i = 0; i < 2; i++) {
		close(dfd[i]);
		close(memfd[i]);
	}
	tu_free(fd, host.handle);
	close(fd);
}
END_TEST

/*
 * The system heap's mapping is resolved; a private mapping of it is not
 * (EOPNOTSUPP), nor a shared one of a heap p2pbuf does not know (any other
 * heap this kernel has).
 */
START_TEST(test_heap_vma)
{
	struct dma_heap_allocation_data h = {
		.len = DB,
		.fd_flags = O_RDWR | O_CLOEXEC,
	};
	int fd, heap, sfd, tried = 0;
	struct p2pbuf_map m;
	struct dirent *de;
	char path[300];
	uint8_t *r;
	DIR *dir;

	heap = open("/dev/dma_heap/system", O_RDWR | O_CLOEXEC);
	if (heap < 0) {
		ck_assert_int_eq(errno, ENOENT);
		printf("test_heap_vma: SKIPPED: no /dev/dma_heap/system "
		       "(CONFIG_DMABUF_HEAPS_SYSTEM not set in this kernel)\n");
		return;
	}
	ck_assert_int_eq(ioctl(heap, DMA_HEAP_IOCTL_ALLOC, &h), 0);
	close(heap);
	fd = tu_dev_open();
	r = map_shared(NULL, DB, PROT_READ | PROT_WRITE, (int)h.fd, 0);
	sfd = tu_map(fd, r, DB, edu0, P2PBUF_DMA_BIDIRECTIONAL, &m);
	tu_edu_roundtrips(edu0, sfd, r, DB, 6, 2100, NULL);
	close(sfd);
	munmap(r, DB);

	/* One page privately: the heap accepts it, p2pbuf does not. */
	r = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE, (int)h.fd, 0);
	ck_assert_msg(r != MAP_FAILED, "private mmap: %s", strerror(errno));
	ck_assert_int_eq(tu_map_try(fd, r, PAGE, edu0, P2PBUF_DMA_TO_DEVICE, 0,
				    &m),
			 EOPNOTSUPP);
	munmap(r, PAGE);
	close((int)h.fd);

	dir = opendir("/dev/dma_heap");
	ck_assert(dir);
	while ((de = readdir(dir))) {
		if (de->d_name[0] == '.' || !strcmp(de->d_name, "system"))
			continue;
		snprintf(path, sizeof(path), "/dev/dma_heap/%s", de->d_name);
		heap = open(path, O_RDWR | O_CLOEXEC);
		if (heap < 0 || ioctl(heap, DMA_HEAP_IOCTL_ALLOC, &h)) {
			if (heap >= 0)
				close(heap);
			continue;
		}
		close(heap);
		r = mmap(NULL, DB, PROT_READ | PROT_WRITE, MAP_SHARED,
			 (int)h.fd, 0);
		ck_assert(r != MAP_FAILED);
		ck_assert_int_eq(tu_map_try(fd, r, DB, edu0,
					    P2PBUF_DMA_TO_DEVICE, 0, &m),
				 EOPNOTSUPP);
		printf("test_heap_vma: heap %s refused: EOPNOTSUPP\n",
		       de->d_name);
		munmap(r, DB);
		close((int)h.fd);
		tried++;
	}
	closedir(dir);
	if (!tried)
		printf("test_heap_vma: no heap but \"system\" here: "
		       "test_unknown_exporter checks the refusal of an unknown "
		       "exporter\n");
	close(fd);
}
END_TEST

/*
 * A dma-buf of an exporter p2pbuf does not know (the test importer's):
 * MAP of its mapping is refused (EOPNOTSUPP), alone or after a p2pbuf
 * mapping, shared or private; MAP_DMABUF gets the exporter's own refusal
 * to map (EOPNOTSUPP, passed through).
 */
START_TEST(test_unknown_exporter)
{
	struct p2pbuf_info info = { .size = sizeof(info) };
	int fd = tu_dev_open(), tfd, dfd;
	struct p2pbuf_map_dmabuf md;
	struct p2pbuf_alloc host;
	struct p2pbuf_map m;
	uint8_t *r, *p;

	/* Every kernel: the feature is the driver's, not the kernel's. */
	ck_assert_int_eq(ioctl(fd, P2PBUF_IOC_INFO, &info), 0);
	ck_assert(info.features & P2PBUF_FEATURE_MAP_DMABUF_MMAP);
	tfd = open(TI_DEV, O_RDWR | O_CLOEXEC);
	ck_assert_msg(tfd >= 0, "%s: %s", TI_DEV, strerror(errno));
	dfd = ioctl(tfd, P2PBUF_TI_EXPORT);
	ck_assert_msg(dfd >= 0, "P2PBUF_TI_EXPORT: %s", strerror(errno));
	close(tfd);
	ck_assert_int_eq(tu_alloc_try(fd, 0, DB, &host), 0);
	r = reserve(2 * DB);
	map_shared(r, DB, PROT_READ | PROT_WRITE, fd, (off_t)host.mmap_offset);
	map_shared(r + DB, DB, PROT_READ | PROT_WRITE, dfd, 0);
	r[DB] = 1; /* its mapping works */
	ck_assert_int_eq(tu_map_try(fd, r + DB, DB, edu0, P2PBUF_DMA_TO_DEVICE,
				    0, &m),
			 EOPNOTSUPP);
	ck_assert_int_eq(tu_map_try(fd, r, 2 * DB, edu0, P2PBUF_DMA_TO_DEVICE,
				    0, &m),
			 EOPNOTSUPP);
	p = mmap(NULL, DB, PROT_READ, MAP_PRIVATE, dfd, 0);
	ck_assert(p != MAP_FAILED);
	ck_assert_int_eq(tu_map_try(fd, p, DB, edu0, P2PBUF_DMA_TO_DEVICE, 0,
				    &m),
			 EOPNOTSUPP);
	munmap(p, DB);

	memset(&md, 0, sizeof(md));
	md.size = sizeof(md);
	md.dmabuf_fd = dfd;
	md.length = DB;
	md.direction = P2PBUF_DMA_TO_DEVICE;
	tu_target_of(edu0, &md.target);
	ck_assert_int_eq(ioctl(fd, P2PBUF_IOC_MAP_DMABUF, &md) ? errno : 0,
			 EOPNOTSUPP);
	munmap(r, 2 * DB);
	close(dfd);
	tu_free(fd, host.handle);
	close(fd);
}
END_TEST

/*
 * The errnos of ranges with dma-buf mappings: a hole after one (EFAULT),
 * anonymous memory after one (ENXIO), a read-only one for a device that
 * writes (EACCES), max_sgl_segments (E2BIG); and the same dma-buf mapped
 * twice in a range is one import.
 */
START_TEST(test_errnos)
{
	int fd = tu_dev_open(), memfd, dfd, sfd;
	struct p2pbuf_map m;
	uint8_t *r;

	dfd = tu_udmabuf_new(DB, &memfd);
	if (no_udmabuf(dfd, "test_errnos")) {
		close(fd);
		return;
	}
	r = reserve(3 * DB);
	map_shared(r, DB, PROT_READ | PROT_WRITE, dfd, 0);
	ck_assert_int_eq(munmap(r + DB, DB), 0);
	ck_assert_int_eq(tu_map_try(fd, r, 2 * DB, edu0, P2PBUF_DMA_TO_DEVICE,
				    0, &m),
			 EFAULT);
	ck_assert(mmap(r + DB, DB, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1,
		       0) == r + DB);
	ck_assert_int_eq(tu_map_try(fd, r, 2 * DB, edu0, P2PBUF_DMA_TO_DEVICE,
				    0, &m),
			 ENXIO);
	/* The second half mapped again, read-only, at the same offsets. */
	map_shared(r + DB, DB, PROT_READ, dfd, 0);
	ck_assert_int_eq(tu_map_try(fd, r, 2 * DB, edu0, P2PBUF_DMA_FROM_DEVICE,
				    0, &m),
			 EACCES);
	sfd = tu_map(fd, r, 2 * DB, edu0, P2PBUF_DMA_TO_DEVICE, &m);
	ck_assert_int_eq(fdinfo_dmabufs(sfd), 1);
	close(sfd);
	/* Two pieces at least (64 KiB each, edu's segment limit aside). */
	tu_set_param("max_sgl_segments", "1");
	ck_assert_int_eq(tu_map_try(fd, r, 2 * DB, edu0, P2PBUF_DMA_TO_DEVICE,
				    0, &m),
			 E2BIG);
	tu_set_param("max_sgl_segments", "65536");
	munmap(r, 3 * DB);
	close(dfd);
	close(memfd);
	close(fd);
}
END_TEST

/*
 * "p2pctl map --dmabuf-fd N" run by a program that passes it a udmabuf:
 * the import's segments, whole and a range of it; p2pctl's dma-sgl goes
 * with it.
 */
START_TEST(test_p2pctl_dmabuf_fd)
{
	static struct tu_nl_msg l[MAX_MSGS];
	char cmd[256], out[4096];
	int memfd, dfd, pass, n;
	struct stat st;

	dfd = tu_udmabuf_new(DB, &memfd);
	if (no_udmabuf(dfd, "test_p2pctl_dmabuf_fd"))
		return;
	/* Inherited by p2pctl (the udmabuf's own fd is close-on-exec). */
	pass = fcntl(dfd, F_DUPFD, 10);
	ck_assert_int_ge(pass, 10);
	ck_assert_int_eq(fstat(dfd, &st), 0);

	snprintf(cmd, sizeof(cmd),
		 "/bin/p2pctl map --dmabuf-fd %d --target %s --json", pass,
		 edu0);
	ck_assert_int_eq(tu_cmd_output(cmd, out, sizeof(out)), 0);
	ck_assert_msg(strstr(out, "\"exporter\": \"udmabuf\""), "%s", out);
	ck_assert_msg(strstr(out, "\"dmabuf_size\": 65536"), "%s", out);
	ck_assert_msg(strstr(out, "\"length\": 65536"), "%s", out);
	snprintf(cmd, sizeof(cmd), "\"inode\": %llu",
		 (unsigned long long)st.st_ino);
	ck_assert_msg(strstr(out, cmd), "%s", out);
	ck_assert_msg(strstr(out, "\"dma_address\": \"0x"), "%s", out);

	/* A range, lengths only, as text. */
	snprintf(cmd, sizeof(cmd),
		 "/bin/p2pctl map --dmabuf-fd %d --target %s --offset 16K "
		 "--length 32K --lengths-only",
		 pass, edu0);
	ck_assert_int_eq(tu_cmd_output(cmd, out, sizeof(out)), 0);
	ck_assert_msg(strstr(out, "exporter:"), "%s", out);
	ck_assert_msg(strstr(out, "udmabuf"), "%s", out);
	ck_assert_msg(strstr(out, "offset:"), "%s", out);
	/* An fd that is not a dma-buf: exit status 1, and it says so. */
	snprintf(cmd, sizeof(cmd),
		 "/bin/p2pctl map --dmabuf-fd 0 --target %s </dev/null "
		 ">/dev/null 2>&1",
		 edu0);
	ck_assert_int_eq(WEXITSTATUS(system(cmd)), 1);

	/* Nothing is left of p2pctl's imports. */
	n = tu_nl_dump(&nl, P2PBUF_NL_CMD_SGL_GET, l, MAX_MSGS);
	while (n--)
		ck_assert_uint_ne(l[n].dmabuf_inode, st.st_ino);
	close(pass);
	close(dfd);
	close(memfd);
}
END_TEST

static Suite *mapvma_suite(void)
{
	Suite *s = suite_create("mapvma");
	TCase *tc = tu_tcase(s, "mapvma", TU_VM_TIMEOUT, setup, teardown);

	tcase_add_test(tc, test_udmabuf_vma);
	tcase_add_test(tc, test_mixed);
	tcase_add_test(tc, test_exporter_revoke);
	tcase_add_test(tc, test_heap_vma);
	tcase_add_test(tc, test_unknown_exporter);
	tcase_add_test(tc, test_errnos);
	tcase_add_test(tc, test_p2pctl_dmabuf_fd);
	return s;
}

int main(void)
{
	return tu_run(mapvma_suite());
}
