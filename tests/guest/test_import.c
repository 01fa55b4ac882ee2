// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Guest tier: dma-buf imports (P2PBUF_IOC_MAP_DMABUF): dma-bufs of
 * exporters no one here wrote (udmabuf, the dma-heaps system heap) and
 * p2pbuf's own exports, mapped for the rig's edu, with data moved by edu's
 * DMA and checked by the CPU through the exporter's memory.
 *
 * Kernels without a prerequisite say so and skip that part loudly:
 * Debian's 6.1 has neither CONFIG_UDMABUF nor CONFIG_DMABUF_HEAPS (6.12 and
 * the debug kernel have both, built in).  Kernels without
 * CONFIG_DMABUF_MOVE_NOTIFY (Debian's) pin a dynamic exporter before a map,
 * which p2pbuf's BAR exports refuse: there MAP_DMABUF of one fails with
 * EOPNOTSUPP, checked as such (the test importer tells which kind of
 * kernel this is).
 *
 * udmabuf and the system heap map for the importer without splitting at
 * its maximum segment size (edu, driverless, has the PCI core's 64 KiB:
 * the debug kernel's DMA-API debugging warns), so their dma-bufs here are
 * 64 KiB, which no segment can exceed.
 */
#include "config.h"

#include <check.h>
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
#include <unistd.h>

#include <linux/dma-buf.h>
#include <linux/dma-heap.h>
#include <linux/p2pbuf.h>

#include "../vm/importer/p2pbuf_test_importer.h"
#include "util.h"

#define KIB 1024ULL
#define MIB (1024ULL * 1024)
#define PAGE 4096ULL
#define MAX_MSGS 256
#define TI_DEV "/dev/p2pbuf_test_importer"

static char edu0[RIG_BDF_LEN], edu1[RIG_BDF_LEN], iv0[RIG_BDF_LEN];
static struct tu_nl nl;

static void setup(void)
{
	char bdfs[4][RIG_BDF_LEN];

	/* A failed test_target_removed may have left edu1 removed. */
	tu_write_file("/sys/bus/pci/rescan", "1");
	ck_assert_int_eq(rig_pci_find(RIG_EDU_VENDOR, RIG_EDU_DEVICE, bdfs, 4),
			 2);
	strcpy(edu0, bdfs[0]);
	strcpy(edu1, bdfs[1]);
	ck_assert_int_eq(rig_pci_find(RIG_IVSHMEM_VENDOR, RIG_IVSHMEM_DEVICE,
				      bdfs, 4),
			 2);
	strcpy(iv0, bdfs[0]);
	tu_nl_fixture_setup(&nl);
	/* What a failed test may have left lowered. */
	tu_set_param("max_sgl_segments", "65536");
	tu_set_param("max_sgls_per_fd", "1024");
}

static void teardown(void)
{
	tu_nl_fixture_teardown(&nl);
}

/* --- helpers ------------------------------------------------------------ */

static void mapd_init(struct p2pbuf_map_dmabuf *m, int dfd, uint64_t off,
		      uint64_t len, const char *bdf, uint32_t dir)
{
	memset(m, 0, sizeof(*m));
	m->size = sizeof(*m);
	m->dmabuf_fd = dfd;
	m->offset = off;
	m->length = len;
	m->direction = dir;
	tu_target_of(bdf, &m->target);
}

static int mapd_call(int fd, struct p2pbuf_map_dmabuf *m)
{
	return ioctl(fd, P2PBUF_IOC_MAP_DMABUF, m) ? errno : 0;
}

static int mapd_try(int fd, int dfd, uint64_t off, uint64_t len,
		    const char *bdf, struct p2pbuf_map_dmabuf *m)
{
	mapd_init(m, dfd, off, len, bdf, P2PBUF_DMA_BIDIRECTIONAL);
	return mapd_call(fd, m);
}

/* MAP_DMABUF that must work: the dma-sgl's fd. */
static int mapd(int fd, int dfd, uint64_t off, uint64_t len, const char *bdf,
		struct p2pbuf_map_dmabuf *m)
{
	int err = mapd_try(fd, dfd, off, len, bdf, m);

	ck_assert_msg(!err, "MAP_DMABUF: %s", strerror(err));
	ck_assert_int_ge(m->sgl_fd, 0);
	ck_assert_uint_ge(m->nr_segments, 1);
	ck_assert(m->map_type == P2PBUF_MAP_TYPE_IOMMU ||
		  m->map_type == P2PBUF_MAP_TYPE_DIRECT);
	ck_assert_uint_eq(m->reserved0, 0);
	return m->sgl_fd;
}

static int sgl_dump_one(uint32_t id, struct tu_nl_msg *out)
{
	return tu_nl_dump_one(&nl, P2PBUF_NL_CMD_SGL_GET, id, out);
}

static int export_ok(int fd, uint32_t handle, uint64_t off, uint64_t len,
		     uint32_t *id)
{
	struct p2pbuf_export e = { .size = sizeof(e),
				   .handle = handle,
				   .offset = off,
				   .length = len };

	ck_assert_int_eq(ioctl(fd, P2PBUF_IOC_EXPORT, &e), 0);
	if (id)
		*id = e.id;
	return e.dmabuf_fd;
}

/* Whether this kernel maps dynamic exporters without pinning them. */
static bool kernel_notifies(int dfd)
{
	struct p2pbuf_ti_attach a = { .dmabuf_fd = dfd,
				      .flags = P2PBUF_TI_F_PEER2PEER };
	struct p2pbuf_ti_status st = { 0 };
	unsigned int dom, bus, dev, fn;
	int tfd = open(TI_DEV, O_RDWR | O_CLOEXEC);

	ck_assert_msg(tfd >= 0, "%s: %s", TI_DEV, strerror(errno));
	ck_assert_int_eq(sscanf(edu1, "%x:%x:%x.%x", &dom, &bus, &dev, &fn), 4);
	a.domain = dom;
	a.bus = bus;
	a.devfn = dev << 3 | fn;
	ck_assert_int_eq(ioctl(tfd, P2PBUF_TI_ATTACH, &a), 0);
	st.slot = a.slot;
	ck_assert_int_eq(ioctl(tfd, P2PBUF_TI_STATUS, &st), 0);
	close(tfd);
	return st.dynamic_notify;
}

static int export_dump_one(uint32_t id, struct tu_nl_msg *out)
{
	return tu_nl_dump_one(&nl, P2PBUF_NL_CMD_EXPORT_GET, id, out);
}

/*
 * A dma-buf of len bytes to import and the CPU's view of its memory:
 * kind 0 is p2pbuf's own export of a host buffer (everywhere; *handle and
 * *eid name the buffer and the export), kind 1 a udmabuf (*handle and
 * *eid 0). -1 where the kernel has no such exporter (said loudly).
 */
static int dmabuf_of_kind(int kind, int fd, uint64_t len,
			  volatile uint8_t **cpu, uint32_t *handle,
			  uint32_t *eid, const char *test)
{
	struct p2pbuf_alloc a;
	int memfd, dfd;

	*handle = *eid = 0;
	if (kind == 0) {
		*cpu = tu_alloc_map(fd, 0, len, &a);
		*handle = a.handle;
		return export_ok(fd, a.handle, 0, len, eid);
	}
	dfd = tu_udmabuf_new(len, &memfd);
	if (dfd < 0) {
		printf("%s: udmabuf part SKIPPED: no /dev/udmabuf "
		       "(CONFIG_UDMABUF not set in this kernel)\n",
		       test);
		return -1;
	}
	*cpu = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, memfd, 0);
	ck_assert((void *)*cpu != MAP_FAILED);
	close(memfd);
	return dfd;
}

static void dmabuf_of_kind_free(int fd, int dfd, volatile uint8_t *cpu,
				uint64_t len, uint32_t handle)
{
	close(dfd);
	munmap((void *)cpu, len);
	if (handle)
		tu_free(fd, handle);
}

/* --- tests ------------------------------------------------------------- */

START_TEST(test_feature)
{
	struct p2pbuf_info info = { .size = sizeof(info) };
	int fd = tu_dev_open();

	ck_assert_int_eq(ioctl(fd, P2PBUF_IOC_INFO, &info), 0);
	ck_assert_uint_ge(info.version_minor, 6);
	ck_assert(info.features & P2PBUF_FEATURE_DMABUF_IMPORT);
	close(fd);
}
END_TEST

/*
 * udmabuf: the dma-sgl is a normal one (SEGMENTS, fdinfo, listing, events);
 * edu moves bytes at random places, checked through the memfd; closing
 * the dma-buf and memfd fds keeps the mapping until the dma-sgl closes.
 */
START_TEST(test_udmabuf)
{
	static struct tu_nl_msg ev[MAX_MSGS];
	struct p2pbuf_map_dmabuf m;
	struct p2pbuf_segments s;
	uint64_t len = 64 * KIB, off = 16 * KIB, mlen = 32 * KIB;
	int fd = tu_dev_open(), memfd, dfd, sfd, n;
	volatile uint8_t *cpu;
	struct tu_nl_msg d;
	uint32_t id;

	dfd = tu_udmabuf_new(len, &memfd);
	if (dfd < 0) {
		printf("test_udmabuf: SKIPPED: no /dev/udmabuf (CONFIG_UDMABUF "
		       "not set in this kernel)\n");
		close(fd);
		return;
	}
	cpu = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, memfd, 0);
	ck_assert((void *)cpu != MAP_FAILED);
	tu_nl_events(&nl, ev, MAX_MSGS, 100);
	sfd = mapd(fd, dfd, off, mlen, edu0, &m);
	id = tu_sgl_id(sfd);
	ck_assert_uint_gt(id, 0);
	tu_segments(sfd, NULL, 0, &s);
	ck_assert_uint_eq(s.state, P2PBUF_SGL_STATE_MAPPED);
	ck_assert_uint_eq(s.generation, 1);
	ck_assert_uint_eq(s.length, mlen);
	ck_assert_uint_eq(s.nr_segments, m.nr_segments);
	ck_assert_uint_eq(s.direction, P2PBUF_DMA_BIDIRECTIONAL);
	n = tu_nl_events(&nl, ev, MAX_MSGS, 1000);
	ck_assert_int_ge(tu_nl_find_ev(ev, n, P2PBUF_NL_CMD_SGL_NEW_NTF, id),
			 0);
	ck_assert_uint_eq(sgl_dump_one(id, &d), 1);
	ck_assert_uint_eq(d.state, P2PBUF_NL_STATE_LIVE);
	ck_assert_uint_eq(d.nr_buffer_ids, 0);

	/* The dma-sgl holds the dma-buf, which holds the memfd's pages. */
	close(dfd);
	close(memfd);
	tu_edu_roundtrips(edu0, sfd, cpu + off, mlen, 8, 300, NULL);
	close(sfd);
	n = tu_nl_events(&nl, ev, MAX_MSGS, 1000);
	ck_assert_int_ge(tu_nl_find_ev(ev, n, P2PBUF_NL_CMD_SGL_DEL_NTF, id),
			 0);
	ck_assert_uint_eq(sgl_dump_one(id, &d), 0);
	munmap((void *)cpu, len);
	close(fd);
}
END_TEST

/* The system heap, where the kernel has one. */
START_TEST(test_heap)
{
	struct dma_heap_allocation_data h = {
		.len = 64 * KIB,
		.fd_flags = O_RDWR | O_CLOEXEC,
	};
	struct p2pbuf_map_dmabuf m;
	int fd, heap, sfd;
	volatile uint8_t *cpu;

	heap = open("/dev/dma_heap/system", O_RDWR | O_CLOEXEC);
	if (heap < 0) {
		ck_assert_int_eq(errno, ENOENT);
		printf("test_heap: SKIPPED: no /dev/dma_heap/system "
		       "(CONFIG_DMABUF_HEAPS_SYSTEM not set in this kernel)\n");
		return;
	}
	ck_assert_int_eq(ioctl(heap, DMA_HEAP_IOCTL_ALLOC, &h), 0);
	close(heap);
	cpu = mmap(NULL, h.len, PROT_READ | PROT_WRITE, MAP_SHARED, (int)h.fd,
		   0);
	ck_assert((void *)cpu != MAP_FAILED);
	fd = tu_dev_open();
	sfd = mapd(fd, (int)h.fd, 0, h.len, edu1, &m);
	tu_edu_roundtrips(edu1, sfd, cpu, h.len, 6, 400, NULL);
	close(sfd);
	munmap((void *)cpu, h.len);
	close((int)h.fd);
	close(fd);
}
END_TEST

/*
 * p2pbuf's own export of host memory, imported back: edu moves data,
 * checked through the buffer's mapping; then BUFFER_REVOKE revokes the
 * export, whose invalidation revokes the import (poll, state, generation,
 * reason; the exporter tells its importers first, so the import's
 * SGL_REVOKE comes before EXPORT_REVOKE, as p2pbuf(4) says).
 */
START_TEST(test_p2pbuf_host)
{
	static struct tu_nl_msg ev[MAX_MSGS];
	struct p2pbuf_map_dmabuf m;
	struct p2pbuf_alloc a;
	volatile uint8_t *p;
	struct tu_nl_msg d;
	uint32_t eid, id;
	int fd = tu_dev_open(), dfd, sfd, n, ie, is;

	p = tu_alloc_map(fd, 0, 2 * MIB, &a);
	dfd = export_ok(fd, a.handle, 0, 2 * MIB, &eid);
	sfd = mapd(fd, dfd, 1 * MIB, 1 * MIB, edu0, &m);
	id = tu_sgl_id(sfd);
	close(dfd);
	tu_edu_roundtrips(edu0, sfd, p + 1 * MIB, 1 * MIB, 6, 500, NULL);

	tu_nl_events(&nl, ev, MAX_MSGS, 100);
	ck_assert_int_eq(tu_nl_buffer_revoke(&nl, a.handle), 0);
	tu_assert_sgl_revoked(sfd);
	n = tu_nl_events(&nl, ev, MAX_MSGS, 1000);
	ie = tu_nl_find_ev(ev, n, P2PBUF_NL_CMD_EXPORT_REVOKE_NTF, eid);
	is = tu_nl_find_ev(ev, n, P2PBUF_NL_CMD_SGL_REVOKE_NTF, id);
	ck_assert_int_ge(is, 0);
	ck_assert_int_gt(ie, is);
	ck_assert_uint_eq(ev[is].reason, P2PBUF_NL_REVOKE_EXPORTER);
	ck_assert_uint_eq(ev[is].generation, 2);
	ck_assert_uint_eq(sgl_dump_one(id, &d), 1);
	ck_assert_uint_eq(d.state, P2PBUF_NL_STATE_REVOKED);
	ck_assert_uint_eq(d.reason, P2PBUF_NL_REVOKE_EXPORTER);
	close(sfd);
	n = tu_nl_events(&nl, ev, MAX_MSGS, 1000);
	ck_assert_int_ge(tu_nl_find_ev(ev, n, P2PBUF_NL_CMD_SGL_DEL_NTF, id),
			 0);
	munmap((void *)p, 2 * MIB);
	tu_free(fd, a.handle);
	close(fd);
}
END_TEST

/*
 * p2pbuf's export of BAR memory: where the kernel tells dynamic importers,
 * imported and edu moves data (checked through the buffer's mapping) with
 * the dma-buf's fd already closed; where it pins instead, refused with the
 * exporter's EOPNOTSUPP.
 */
START_TEST(test_p2pbuf_bar)
{
	struct p2pbuf_map_dmabuf m;
	struct p2pbuf_alloc a;
	volatile uint8_t *p;
	uint32_t prov = tu_nl_provider_add(&nl, iv0), eid;
	struct tu_nl_msg d;
	int fd = tu_dev_open(), dfd, sfd, err;

	p = tu_alloc_map(fd, prov, 1 * MIB, &a);
	dfd = export_ok(fd, a.handle, 0, 1 * MIB, &eid);
	err = mapd_try(fd, dfd, 0, 1 * MIB, edu0, &m);
	if (!kernel_notifies(dfd)) {
		ck_assert_int_eq(err, EOPNOTSUPP);
		printf("test_p2pbuf_bar: this kernel pins dynamic exporters "
		       "before mapping: BAR exports cannot be imported here; "
		       "EOPNOTSUPP checked\n");
	} else {
		ck_assert_msg(!err, "MAP_DMABUF of a BAR export: %s",
			      strerror(err));
		sfd = m.sgl_fd;
		/*
		 * The dma-sgl holds the dma-buf: its fd closed, the import
		 * works, and the export goes with the dma-sgl.
		 */
		close(dfd);
		dfd = -1;
		tu_edu_roundtrips(edu0, sfd, p, 1 * MIB, 4, 600, NULL);
		ck_assert_uint_eq(export_dump_one(eid, &d), 1);
		close(sfd);
		ck_assert_uint_eq(export_dump_one(eid, &d), 0);
	}
	if (dfd >= 0)
		close(dfd);
	munmap((void *)p, 1 * MIB);
	tu_free(fd, a.handle);
	ck_assert_int_eq(tu_nl_provider_del(&nl, prov, false), 0);
	close(fd);
}
END_TEST

START_TEST(test_errnos)
{
	struct p2pbuf_map_dmabuf m;
	struct p2pbuf_alloc a;
	int fd = tu_dev_open(), dfd, nfd;
	void *p;

	p = tu_alloc_map(fd, 0, 64 * KIB, &a);
	dfd = export_ok(fd, a.handle, 0, 64 * KIB, NULL);
	/* Not an open fd; not a dma-buf. */
	ck_assert_int_eq(mapd_try(fd, -1, 0, PAGE, edu0, &m), EBADF);
	ck_assert_int_eq(mapd_try(fd, 1000, 0, PAGE, edu0, &m), EBADF);
	nfd = open("/dev/null", O_RDWR | O_CLOEXEC);
	ck_assert_int_eq(mapd_try(fd, nfd, 0, PAGE, edu0, &m), EINVAL);
	ck_assert_int_eq(mapd_try(fd, fd, 0, PAGE, edu0, &m), EINVAL);
	close(nfd);
	/* The range. */
	ck_assert_int_eq(mapd_try(fd, dfd, 0, 0, edu0, &m), EINVAL);
	ck_assert_int_eq(mapd_try(fd, dfd, 1, PAGE, edu0, &m), EINVAL);
	ck_assert_int_eq(mapd_try(fd, dfd, 0, 100, edu0, &m), EINVAL);
	ck_assert_int_eq(mapd_try(fd, dfd, UINT64_MAX & ~(PAGE - 1), 2 * PAGE,
				  edu0, &m),
			 EINVAL);
	ck_assert_int_eq(mapd_try(fd, dfd, 64 * KIB, PAGE, edu0, &m), ERANGE);
	ck_assert_int_eq(mapd_try(fd, dfd, 0, 64 * KIB + PAGE, edu0, &m),
			 ERANGE);
	ck_assert_int_eq(mapd_try(fd, dfd, 60 * KIB, 8 * KIB, edu0, &m),
			 ERANGE);
	/* Flags, direction, reserved fields, size. */
	mapd_init(&m, dfd, 0, PAGE, edu0, P2PBUF_DMA_TO_DEVICE);
	m.flags = 2;
	ck_assert_int_eq(mapd_call(fd, &m), EINVAL);
	mapd_init(&m, dfd, 0, PAGE, edu0, 0);
	ck_assert_int_eq(mapd_call(fd, &m), EINVAL);
	mapd_init(&m, dfd, 0, PAGE, edu0, 4);
	ck_assert_int_eq(mapd_call(fd, &m), EINVAL);
	mapd_init(&m, dfd, 0, PAGE, edu0, P2PBUF_DMA_TO_DEVICE);
	m.reserved0 = 1;
	ck_assert_int_eq(mapd_call(fd, &m), EINVAL);
	mapd_init(&m, dfd, 0, PAGE, edu0, P2PBUF_DMA_TO_DEVICE);
	m.reserved[1] = 1;
	ck_assert_int_eq(mapd_call(fd, &m), EINVAL);
	mapd_init(&m, dfd, 0, PAGE, edu0, P2PBUF_DMA_TO_DEVICE);
	m.size = P2PBUF_MAP_DMABUF_SIZE_VER0 - 8;
	ck_assert_int_eq(mapd_call(fd, &m), EINVAL);
	/* A target that does not exist. */
	mapd_init(&m, dfd, 0, PAGE, edu0, P2PBUF_DMA_TO_DEVICE);
	m.target.bus = 0xfe;
	ck_assert_int_eq(mapd_call(fd, &m), ENODEV);
	/* Each direction works, with NO_CLOEXEC honoured. */
	mapd_init(&m, dfd, 0, PAGE, edu0, P2PBUF_DMA_TO_DEVICE);
	m.flags = P2PBUF_MAP_DMABUF_F_NO_CLOEXEC;
	ck_assert_int_eq(mapd_call(fd, &m), 0);
	ck_assert_int_eq(fcntl(m.sgl_fd, F_GETFD) & FD_CLOEXEC, 0);
	close(m.sgl_fd);
	mapd_init(&m, dfd, 0, PAGE, edu0, P2PBUF_DMA_FROM_DEVICE);
	ck_assert_int_eq(mapd_call(fd, &m), 0);
	ck_assert_int_ne(fcntl(m.sgl_fd, F_GETFD) & FD_CLOEXEC, 0);
	close(m.sgl_fd);
	/* Revoked before the map: the exporter's ENODEV. */
	ck_assert_int_eq(tu_nl_buffer_revoke(&nl, a.handle), 0);
	ck_assert_int_eq(mapd_try(fd, dfd, 0, PAGE, edu0, &m), ENODEV);
	close(dfd);
	munmap(p, 64 * KIB);
	tu_free(fd, a.handle);
	close(fd);
}
END_TEST

/*
 * max_sgls_per_fd counts imports with MAP's dma-sgls (ENOSPC); closing one
 * frees a slot.
 */
START_TEST(test_limits)
{
	struct p2pbuf_map_dmabuf m;
	struct p2pbuf_alloc a;
	struct p2pbuf_map mm;
	int fd = tu_dev_open(), dfd, sfd[2], i;
	void *p;

	p = tu_alloc_map(fd, 0, 64 * KIB, &a);
	dfd = export_ok(fd, a.handle, 0, 64 * KIB, NULL);
	tu_set_param("max_sgls_per_fd", "2");
	for (i = 0; i < 2; i++)
		sfd[i] = mapd(fd, dfd, 0, PAGE, edu0, &m);
	ck_assert_int_eq(mapd_try(fd, dfd, 0, PAGE, edu0, &m), ENOSPC);
	ck_assert_int_eq(tu_map_try(fd, p, PAGE, edu0, P2PBUF_DMA_TO_DEVICE, 0,
				    &mm),
			 ENOSPC);
	close(sfd[0]);
	sfd[0] = mapd(fd, dfd, 0, PAGE, edu0, &m);
	close(sfd[0]);
	close(sfd[1]);
	tu_set_param("max_sgls_per_fd", "1024");
	close(dfd);
	munmap(p, 64 * KIB);
	tu_free(fd, a.handle);
	close(fd);
}
END_TEST

/*
 * More segments than max_sgl_segments: E2BIG, and nothing is left of the
 * refused import (no listing, no event, not counted in the file's
 * max_sgls_per_fd, the exporter's attachment gone).  The limit is set
 * from the segments a first import of the range had: one under it
 * refuses, exactly it works.  With the IOMMU the range of either dma-buf
 * is one IOVA-contiguous segment for edu (no driver: no segment limit),
 * so the refusing limit is 0.  udmabuf's map does not look at the limit:
 * p2pbuf's own check refuses; p2pbuf's export honours it in its map too
 * (64 KiB here: its one entry fits whenever the import's segment does),
 * and refuses first with the same errno.
 */
START_TEST(test_e2big)
{
	static struct tu_nl_msg ev[MAX_MSGS];
	struct p2pbuf_map_dmabuf m;
	uint64_t len = 64 * KIB;
	volatile uint8_t *cpu;
	struct tu_nl_msg d;
	uint32_t handle, eid, nseg;
	char val[16];
	int fd = tu_dev_open(), dfd, sfd, kind, n, i;

	for (kind = 0; kind < 2; kind++) {
		dfd = dmabuf_of_kind(kind, fd, len, &cpu, &handle, &eid,
				     "test_e2big");
		if (dfd < 0)
			continue;
		sfd = mapd(fd, dfd, 0, len, edu0, &m);
		nseg = m.nr_segments;
		close(sfd);
		tu_nl_events(&nl, ev, MAX_MSGS, 100);

		/* One dma-sgl per file: a refused import must not count. */
		tu_set_param("max_sgls_per_fd", "1");
		snprintf(val, sizeof(val), "%u", nseg - 1);
		tu_set_param("max_sgl_segments", val);
		for (i = 0; i < 3; i++)
			ck_assert_int_eq(mapd_try(fd, dfd, 0, len, edu0, &m),
					 E2BIG);
		n = tu_nl_events(&nl, ev, MAX_MSGS, 300);
		ck_assert_int_lt(
			tu_nl_find_ev(ev, n, P2PBUF_NL_CMD_SGL_NEW_NTF, 0), 0);
		ck_assert_int_eq(tu_nl_dump(&nl, P2PBUF_NL_CMD_SGL_GET, ev,
					    MAX_MSGS),
				 0);
		if (eid) {
			ck_assert_uint_eq(export_dump_one(eid, &d), 1);
			ck_assert_uint_eq(d.attachments, 0);
			ck_assert_uint_eq(d.state, P2PBUF_NL_STATE_LIVE);
		}

		/* Exactly the limit: mapped, and edu moves data through it. */
		snprintf(val, sizeof(val), "%u", nseg);
		tu_set_param("max_sgl_segments", val);
		sfd = mapd(fd, dfd, 0, len, edu0, &m);
		ck_assert_uint_eq(m.nr_segments, nseg);
		tu_edu_roundtrips(edu0, sfd, cpu, len, 2, 700 + kind, NULL);
		close(sfd);
		tu_set_param("max_sgl_segments", "65536");
		tu_set_param("max_sgls_per_fd", "1024");
		dmabuf_of_kind_free(fd, dfd, cpu, len, handle);
	}
	close(fd);
}
END_TEST

/*
 * The import's target goes away (sysfs removal, the hot-unplug path): the
 * import for it is revoked with the target's reason (poll wakes with
 * EPOLLERR | EPOLLPRI, SGL_REVOKE, the listing), an import of the same
 * dma-buf for another target and the dma-buf itself are untouched (edu0
 * still moves data; p2pbuf's export stays live, with no EXPORT_REVOKE);
 * once the target is back the same dma-buf fd imports for it again and
 * edu moves data through it.  For p2pbuf's own export and for a udmabuf.
 */
START_TEST(test_target_removed)
{
	static struct tu_nl_msg ev[MAX_MSGS];
	struct p2pbuf_map_dmabuf m;
	struct p2pbuf_segments s;
	uint64_t len = 64 * KIB;
	volatile uint8_t *cpu;
	struct tu_nl_msg d;
	uint32_t handle, eid, id1;
	int fd = tu_dev_open(), dfd, sfd0, sfd1, kind, n, i;

	for (kind = 0; kind < 2; kind++) {
		dfd = dmabuf_of_kind(kind, fd, len, &cpu, &handle, &eid,
				     "test_target_removed");
		if (dfd < 0)
			continue;
		sfd1 = mapd(fd, dfd, 0, len, edu1, &m);
		id1 = tu_sgl_id(sfd1);
		sfd0 = mapd(fd, dfd, 0, len, edu0, &m);
		if (eid) {
			ck_assert_uint_eq(export_dump_one(eid, &d), 1);
			ck_assert_uint_eq(d.attachments, 2);
		}
		tu_nl_events(&nl, ev, MAX_MSGS, 100);

		tu_pci_remove(edu1);
		tu_assert_sgl_revoked(sfd1);
		n = tu_nl_events(&nl, ev, MAX_MSGS, 1000);
		i = tu_nl_find_ev(ev, n, P2PBUF_NL_CMD_SGL_REVOKE_NTF, id1);
		ck_assert_int_ge(i, 0);
		ck_assert_uint_eq(ev[i].reason,
				  P2PBUF_NL_REVOKE_TARGET_REMOVED);
		ck_assert_uint_eq(ev[i].generation, 2);
		ck_assert_uint_eq(sgl_dump_one(id1, &d), 1);
		ck_assert_uint_eq(d.state, P2PBUF_NL_STATE_REVOKED);
		ck_assert_uint_eq(d.reason, P2PBUF_NL_REVOKE_TARGET_REMOVED);
		/* Only that import: one SGL_REVOKE, the export untouched. */
		ck_assert_int_eq(tu_nl_find_ev(ev + i + 1, n - i - 1,
					       P2PBUF_NL_CMD_SGL_REVOKE_NTF, 0),
				 -1);
		ck_assert_int_lt(tu_nl_find_ev(ev, n,
					       P2PBUF_NL_CMD_EXPORT_REVOKE_NTF,
					       0),
				 0);
		tu_segments(sfd0, NULL, 0, &s);
		ck_assert_uint_eq(s.state, P2PBUF_SGL_STATE_MAPPED);
		ck_assert_uint_eq(s.generation, 1);
		tu_edu_roundtrips(edu0, sfd0, cpu, len, 2, 800 + kind, NULL);
		if (eid) {
			ck_assert_uint_eq(export_dump_one(eid, &d), 1);
			ck_assert_uint_eq(d.state, P2PBUF_NL_STATE_LIVE);
		}
		close(sfd1);
		n = tu_nl_events(&nl, ev, MAX_MSGS, 1000);
		ck_assert_int_ge(tu_nl_find_ev(ev, n, P2PBUF_NL_CMD_SGL_DEL_NTF,
					       id1),
				 0);
		ck_assert_uint_eq(sgl_dump_one(id1, &d), 0);

		/* The target back: the same dma-buf fd imports for it. */
		tu_pci_rescan(edu1);
		sfd1 = mapd(fd, dfd, 0, len, edu1, &m);
		tu_edu_roundtrips(edu1, sfd1, cpu, len, 2, 810 + kind, NULL);
		close(sfd1);
		close(sfd0);
		if (eid) {
			ck_assert_uint_eq(export_dump_one(eid, &d), 1);
			ck_assert_uint_eq(d.attachments, 0);
		}
		dmabuf_of_kind_free(fd, dfd, cpu, len, handle);
	}
	close(fd);
	tu_nl_assert_providers_whole(&nl);
}
END_TEST

static Suite *import_suite(void)
{
	Suite *s = suite_create("import");
	TCase *tc = tu_tcase(s, "import", TU_VM_TIMEOUT, setup, teardown);

	tcase_add_test(tc, test_feature);
	tcase_add_test(tc, test_errnos);
	tcase_add_test(tc, test_udmabuf);
	tcase_add_test(tc, test_heap);
	tcase_add_test(tc, test_p2pbuf_host);
	tcase_add_test(tc, test_p2pbuf_bar);
	tcase_add_test(tc, test_limits);
	tcase_add_test(tc, test_e2big);
	tcase_add_test(tc, test_target_removed);
	return s;
}

int main(void)
{
	return tu_run(import_suite());
}
