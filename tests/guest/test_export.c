// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Guest tier: dma-buf exports (P2PBUF_IOC_EXPORT), imported for the rig's
 * edu by the test-only importer (tests/vm/importer), with data checked by
 * edu's DMA and the CPU.
 *
 * Kernels without CONFIG_DMABUF_MOVE_NOTIFY (Debian's 6.1 and 6.12) pin a
 * dynamic exporter's memory before every map; BAR memory cannot be pinned
 * (it can be revoked at any time), so there a BAR export can be attached
 * but never mapped: the map fails with EOPNOTSUPP, checked as such.  Host
 * memory works everywhere.  The importer reports which kind of kernel this
 * is (P2PBUF_TI_STATUS.dynamic_notify).
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/dma-buf.h>
#include <linux/p2pbuf.h>

#include "../vm/importer/p2pbuf_test_importer.h"
#include "util.h"

#define KIB 1024ULL
#define MIB (1024ULL * 1024)
#define PAGE 4096ULL
#define XFER 1024U
#define MAX_MSGS 256
#define TI_DEV "/dev/p2pbuf_test_importer"

static enum tu_iommu_mode mode;
static char edu0[RIG_BDF_LEN], edu1[RIG_BDF_LEN], iv0[RIG_BDF_LEN],
	iv1[RIG_BDF_LEN];
static struct tu_nl nl;

static void setup(void)
{
	char bdfs[4][RIG_BDF_LEN];

	mode = tu_iommu_mode();
	ck_assert_int_eq(rig_pci_find(RIG_EDU_VENDOR, RIG_EDU_DEVICE, bdfs, 4),
			 2);
	strcpy(edu0, bdfs[0]);
	strcpy(edu1, bdfs[1]);
	ck_assert_int_eq(rig_pci_find(RIG_IVSHMEM_VENDOR, RIG_IVSHMEM_DEVICE,
				      bdfs, 4),
			 2);
	strcpy(iv0, bdfs[0]);
	strcpy(iv1, bdfs[1]);
	ck_assert_msg(access(TI_DEV, F_OK) == 0,
		      "%s missing: the rig did not load the test importer",
		      TI_DEV);
	tu_nl_fixture_setup(&nl);
}

static void teardown(void)
{
	tu_nl_fixture_teardown(&nl);
}

/* --- helpers ------------------------------------------------------------ */

static void export_init(struct p2pbuf_export *e, uint32_t handle, uint64_t off,
			uint64_t len, uint32_t flags)
{
	memset(e, 0, sizeof(*e));
	e->size = sizeof(*e);
	e->flags = flags;
	e->handle = handle;
	e->offset = off;
	e->length = len;
}

static int export_try(int fd, uint32_t handle, uint64_t off, uint64_t len,
		      uint32_t flags, struct p2pbuf_export *e)
{
	export_init(e, handle, off, len, flags);
	return ioctl(fd, P2PBUF_IOC_EXPORT, e) ? errno : 0;
}

static int export_ok(int fd, uint32_t handle, uint64_t off, uint64_t len,
		     struct p2pbuf_export *e)
{
	int err = export_try(fd, handle, off, len, 0, e);

	ck_assert_msg(!err, "EXPORT: %s", strerror(err));
	ck_assert_int_ge(e->dmabuf_fd, 0);
	ck_assert_uint_gt(e->id, 0);
	return e->dmabuf_fd;
}

static int ti_open(void)
{
	int fd = open(TI_DEV, O_RDWR | O_CLOEXEC);

	ck_assert_msg(fd >= 0, "%s: %s", TI_DEV, strerror(errno));
	return fd;
}

/* Attach dmabuf for the PCI function bdf: 0 and *slot, or the errno. */
static int ti_attach_try(int tfd, int dmabuf, const char *bdf, uint32_t flags,
			 uint32_t *slot)
{
	struct p2pbuf_ti_attach a = { .dmabuf_fd = dmabuf, .flags = flags };
	unsigned int dom, bus, dev, fn;

	ck_assert_int_eq(sscanf(bdf, "%x:%x:%x.%x", &dom, &bus, &dev, &fn), 4);
	a.domain = dom;
	a.bus = bus;
	a.devfn = dev << 3 | fn;
	if (ioctl(tfd, P2PBUF_TI_ATTACH, &a))
		return errno;
	*slot = a.slot;
	return 0;
}

static uint32_t ti_attach(int tfd, int dmabuf, const char *bdf, uint32_t flags)
{
	uint32_t slot = 0;
	int err = ti_attach_try(tfd, dmabuf, bdf, flags, &slot);

	ck_assert_msg(!err, "importer attach for %s: %s", bdf, strerror(err));
	return slot;
}

static int ti_map_try(int tfd, uint32_t slot, struct p2pbuf_ti_map *m)
{
	memset(m, 0, sizeof(*m));
	m->slot = slot;
	m->direction = 0; /* DMA_BIDIRECTIONAL */
	return ioctl(tfd, P2PBUF_TI_MAP, m) ? errno : 0;
}

static void ti_status(int tfd, uint32_t slot, struct p2pbuf_ti_status *st)
{
	memset(st, 0, sizeof(*st));
	st->slot = slot;
	ck_assert_int_eq(ioctl(tfd, P2PBUF_TI_STATUS, st), 0);
}

static int ti_cmd(int tfd, unsigned long cmd, uint32_t slot)
{
	return ioctl(tfd, cmd, &slot) ? errno : 0;
}

/* Whether this kernel maps dynamic exporters without pinning them. */
static bool dynamic_notify(int tfd, uint32_t slot)
{
	struct p2pbuf_ti_status st;

	ti_status(tfd, slot, &st);
	return st.dynamic_notify;
}

/* The importer's segments as p2pbuf_segments, for tu_dma_at(). */
static uint32_t ti_segs(const struct p2pbuf_ti_map *m,
			struct p2pbuf_segment *segs)
{
	uint32_t i;

	ck_assert_uint_ge(m->nr_segs, 1);
	ck_assert_uint_le(m->nr_segs, P2PBUF_TI_MAX_SEGS);
	for (i = 0; i < m->nr_segs; i++) {
		segs[i].dma_addr = m->segs[i].dma_addr;
		segs[i].length = m->segs[i].length;
	}
	return m->nr_segs;
}

/* DMA_BUF_IOCTL_SYNC start or end of CPU access (begin/end_cpu_access). */
static void dmabuf_sync(int dfd, bool start)
{
	struct dma_buf_sync s = {
		.flags = (start ? DMA_BUF_SYNC_START : DMA_BUF_SYNC_END) |
			 DMA_BUF_SYNC_RW,
	};

	ck_assert_int_eq(ioctl(dfd, DMA_BUF_IOCTL_SYNC, &s), 0);
}

/*
 * edu DMAs len bytes between offset off of the export (through the
 * importer's segments, piece by piece where a segment ends) and its buffer.
 */
static void ti_edu_dma(const struct edu *e, const struct p2pbuf_segment *segs,
		       uint32_t n, uint64_t off, uint32_t len,
		       enum edu_dma_dir dir)
{
	uint64_t addr, avail;
	uint32_t done = 0, k;

	while (done < len) {
		addr = tu_dma_at(segs, n, off + done, &avail);
		ck_assert_uint_gt(avail, 0);
		k = avail < len - done ? (uint32_t)avail : len - done;
		ck_assert_int_eq(edu_dma(e, addr, done, k, dir, TU_DMA_WAIT_MS),
				 0);
		done += k;
	}
}

/*
 * edu reads XFER bytes at offset src of the export through the importer's
 * addresses and writes them at offset dst; then the CPU sees them there.
 */
static void ti_edu_copy(const char *bdf, int dfd, const struct p2pbuf_ti_map *m,
			uint64_t src, uint64_t dst)
{
	struct p2pbuf_segment segs[P2PBUF_TI_MAX_SEGS];
	uint32_t n = ti_segs(m, segs);
	struct edu e;

	ck_assert_int_eq(edu_open(&e, bdf), 0);
	dmabuf_sync(dfd, false);
	ti_edu_dma(&e, segs, n, src, XFER, EDU_DMA_FROM_RAM);
	ti_edu_dma(&e, segs, n, dst, XFER, EDU_DMA_TO_RAM);
	dmabuf_sync(dfd, true);
	edu_close(&e);
}

/* p2pbuf's module reference count (/sys/module/p2pbuf/refcnt). */
static int module_refcnt(void)
{
	FILE *f = fopen("/sys/module/p2pbuf/refcnt", "r");
	int n = -1;

	ck_assert_msg(f, "/sys/module/p2pbuf/refcnt: %s", strerror(errno));
	ck_assert_int_eq(fscanf(f, "%d", &n), 1);
	fclose(f);
	return n;
}

static int export_dump_one(uint32_t id, struct tu_nl_msg *out)
{
	return tu_nl_dump_one(&nl, P2PBUF_NL_CMD_EXPORT_GET, id, out);
}

/* --- tests ------------------------------------------------------------- */

START_TEST(test_feature)
{
	struct p2pbuf_info info = { .size = sizeof(info) };
	int fd = tu_dev_open();

	ck_assert_int_eq(ioctl(fd, P2PBUF_IOC_INFO, &info), 0);
	ck_assert(info.features & P2PBUF_FEATURE_DMABUF_EXPORT);
	ck_assert_uint_eq(info.version_minor, P2PBUF_UAPI_VERSION_MINOR);
	close(fd);
}
END_TEST

/* Every errno of EXPORT, and the fd's flags. */
START_TEST(test_errnos)
{
	struct p2pbuf_export e;
	struct p2pbuf_alloc a;
	unsigned char big[sizeof(e) + 8];
	void *p;
	int fd = tu_dev_open(), dfd, fd2;

	p = tu_alloc_map(fd, 0, 64 * KIB, &a);
	ck_assert_int_eq(export_try(fd, a.handle, 0, PAGE, 0x80, &e), EINVAL);
	e.flags = 0;
	e.reserved0 = 1;
	ck_assert_int_eq(ioctl(fd, P2PBUF_IOC_EXPORT, &e) ? errno : 0, EINVAL);
	e.reserved0 = 0;
	e.reserved[0] = 1;
	ck_assert_int_eq(ioctl(fd, P2PBUF_IOC_EXPORT, &e) ? errno : 0, EINVAL);
	e.reserved[0] = 0;
	e.reserved[1] = 1;
	ck_assert_int_eq(ioctl(fd, P2PBUF_IOC_EXPORT, &e) ? errno : 0, EINVAL);
	/* A handle of another /dev/p2pbuf file is none of this one's. */
	fd2 = tu_dev_open();
	ck_assert_int_eq(export_try(fd2, a.handle, 0, PAGE, 0, &e), EINVAL);
	close(fd2);
	ck_assert_int_eq(export_try(fd, a.handle, 0, 0, 0, &e), EINVAL);
	ck_assert_int_eq(export_try(fd, a.handle, 100, PAGE, 0, &e), EINVAL);
	ck_assert_int_eq(export_try(fd, a.handle, 0, 100, 0, &e), EINVAL);
	ck_assert_int_eq(export_try(fd, a.handle, -PAGE, 2 * PAGE, 0, &e),
			 EINVAL);
	ck_assert_int_eq(export_try(fd, a.handle + 1000, 0, PAGE, 0, &e),
			 EINVAL);
	ck_assert_int_eq(export_try(fd, a.handle, 60 * KIB, 8 * KIB, 0, &e),
			 ERANGE);
	ck_assert_int_eq(export_try(fd, a.handle, 64 * KIB, PAGE, 0, &e),
			 ERANGE);
	/* Sizes: below the first layout; larger with non-zero unknown bytes. */
	export_init(&e, a.handle, 0, PAGE, 0);
	e.size = P2PBUF_EXPORT_SIZE_VER0 - 8;
	ck_assert_int_eq(ioctl(fd, P2PBUF_IOC_EXPORT, &e) ? errno : 0, EINVAL);
	memset(big, 0, sizeof(big));
	export_init((struct p2pbuf_export *)big, a.handle, 0, PAGE, 0);
	((struct p2pbuf_export *)big)->size = sizeof(big);
	big[sizeof(e) + 3] = 1;
	ck_assert_int_eq(ioctl(fd, P2PBUF_IOC_EXPORT, big) ? errno : 0, E2BIG);
	big[sizeof(e) + 3] = 0;
	ck_assert_int_eq(ioctl(fd, P2PBUF_IOC_EXPORT, big), 0);
	dfd = ((struct p2pbuf_export *)big)->dmabuf_fd;
	ck_assert_int_eq(fcntl(dfd, F_GETFD), FD_CLOEXEC);
	ck_assert_int_eq(fcntl(dfd, F_GETFL) & O_ACCMODE, O_RDWR);
	close(dfd);
	ck_assert_int_eq(export_try(fd, a.handle, 0, PAGE,
				    P2PBUF_EXPORT_F_NO_CLOEXEC, &e),
			 0);
	ck_assert_int_eq(fcntl(e.dmabuf_fd, F_GETFD), 0);
	close(e.dmabuf_fd);
	/* A revoked buffer cannot be exported. */
	ck_assert_int_eq(tu_nl_buffer_revoke(&nl, a.handle), 0);
	ck_assert_int_eq(export_try(fd, a.handle, 0, PAGE, 0, &e), ENODEV);
	/* A freed one is no handle of this file any more. */
	munmap(p, 64 * KIB);
	tu_free(fd, a.handle);
	ck_assert_int_eq(export_try(fd, a.handle, 0, PAGE, 0, &e), EINVAL);
	close(fd);
}
END_TEST

/*
 * Host memory, exported from an offset, imported for edu (dynamic, no
 * peer2peer needed): page-less entries, edu moves random bytes at random
 * offsets (segment boundaries included), the CPU sees them through the
 * buffer's mapping and the dma-buf's own.  The dma-buf keeps the memory
 * after FREE, munmap() and close of /dev/p2pbuf.
 */
START_TEST(test_host)
{
	struct p2pbuf_ti_status st;
	struct p2pbuf_ti_map *m = calloc(1, sizeof(*m));
	struct p2pbuf_export e;
	struct p2pbuf_alloc a;
	struct tu_nl_msg d;
	volatile uint8_t *p, *q;
	uint64_t len = 1 * MIB, off = 64 * KIB, src, dst;
	int fd = tu_dev_open(), tfd = ti_open(), dfd, i;
	uint32_t slot;

	p = tu_alloc_map(fd, 0, 2 * MIB, &a);
	tu_fill(p, 2 * MIB, 31);
	dfd = export_ok(fd, a.handle, off, len, &e);
	/* The dma-buf outlives the handle, the mapping and the file. */
	munmap((void *)p, 2 * MIB);
	tu_free(fd, a.handle);
	close(fd);

	slot = ti_attach(tfd, dfd, edu0, 0);
	ck_assert_int_eq(ti_map_try(tfd, slot, m), 0);
	ck_assert_uint_eq(m->page_less, 1);
	ti_status(tfd, slot, &st);
	ck_assert_uint_eq(st.mapped, 1);
	ck_assert_uint_eq(st.peer2peer, 0);
	ck_assert_uint_eq(export_dump_one(e.id, &d), 1);
	ck_assert_uint_eq(d.attachments, 1);
	ck_assert_uint_eq(d.buffer_id, a.handle);
	ck_assert_uint_eq(d.length, len);
	ck_assert_uint_eq(d.state, P2PBUF_NL_STATE_LIVE);
	ck_assert(d.has_owner);

	q = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, dfd, 0);
	ck_assert((void *)q != MAP_FAILED);
	tu_check_bytes(q, len, 31, off, "dma-buf mapping");
	srandom(7);
	for (i = 0; i < 8; i++) {
		/* Pieces that straddle 4 KiB (and, for RAM, chunk) borders. */
		src = (random() % (len / PAGE - 1)) * PAGE + PAGE - XFER / 2;
		if (!i) /* across the end of edu's first 64 KiB segment */
			src = 64 * KIB - XFER / 2;
		do
			dst = (random() % (len / PAGE - 1)) * PAGE + PAGE -
			      XFER / 3;
		while (dst + XFER > src && src + XFER > dst);
		tu_fill(q + src, XFER, 100 + i);
		ti_edu_copy(edu0, dfd, m, src, dst);
		tu_check_bytes(q + dst, XFER, 100 + i, 0, "edu through export");
	}
	/* A private mapping is refused. */
	ck_assert_ptr_eq(mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE, dfd, 0),
			 MAP_FAILED);
	ck_assert_int_eq(errno, EINVAL);
	munmap((void *)q, len);
	ck_assert_int_eq(ti_cmd(tfd, P2PBUF_TI_UNMAP, slot), 0);
	ck_assert_int_eq(ti_cmd(tfd, P2PBUF_TI_DETACH, slot), 0);
	ck_assert_uint_eq(export_dump_one(e.id, &d), 1);
	ck_assert_uint_eq(d.attachments, 0);
	close(tfd);
	close(dfd);
	ck_assert_uint_eq(export_dump_one(e.id, &d), 0);
	free(m);
}
END_TEST

/*
 * BAR memory: importers without peer2peer refused, pinning refused, a
 * static importer refused; a dynamic peer2peer importer maps (where the
 * kernel does not pin dynamic exporters) with MAP's decision: the DMA API
 * through the allowed host bridge (root bus), bus addresses below the
 * switch; edu's DMA moves the data (when QEMU can: see test_sgl), checked
 * through the CPU and sysfs resource2.
 */
START_TEST(test_bar)
{
	struct p2pbuf_ti_map *m = calloc(1, sizeof(*m));
	struct p2pbuf_export e0, e1;
	struct p2pbuf_alloc a0, a1;
	volatile uint8_t *p0, *p1, *r0;
	uint64_t start, size;
	uint32_t prov0 = tu_nl_provider_add(&nl, iv0);
	uint32_t prov1 = tu_nl_provider_add(&nl, iv1), slot, s2, i;
	uint64_t at;
	int fd = tu_dev_open(), tfd = ti_open(), d0, d1, err;

	p0 = tu_alloc_map(fd, prov0, 1 * MIB, &a0);
	p1 = tu_alloc_map(fd, prov1, 1 * MIB, &a1);
	tu_fill(p0, 1 * MIB, 41);
	tu_fill(p1, 1 * MIB, 42);
	d0 = export_ok(fd, a0.handle, 0, 1 * MIB, &e0);
	d1 = export_ok(fd, a1.handle, 0, 1 * MIB, &e1);

	ck_assert_int_eq(ti_attach_try(tfd, d0, edu0, 0, &slot), EOPNOTSUPP);
	ck_assert_int_eq(ti_attach_try(tfd, d0, edu0, P2PBUF_TI_F_STATIC,
				       &slot),
			 EOPNOTSUPP);
	slot = ti_attach(tfd, d0, edu0, P2PBUF_TI_F_PEER2PEER);
	ck_assert_int_eq(ti_cmd(tfd, P2PBUF_TI_PIN, slot), EOPNOTSUPP);
	err = ti_map_try(tfd, slot, m);
	if (!dynamic_notify(tfd, slot)) {
		/* The kernel pins before mapping, which BAR memory refuses. */
		ck_assert_int_eq(err, EOPNOTSUPP);
		printf("test_bar: this kernel pins dynamic exporters before "
		       "mapping (no DMABUF_MOVE_NOTIFY): BAR exports cannot "
		       "be mapped here; refusal checked\n");
		goto out;
	}
	ck_assert_int_eq(err, 0);
	ck_assert_uint_eq(m->page_less, 1);
	if (mode == TU_IOMMU_ON) {
		ck_assert_int_eq(rig_pci_resource(iv0, 2, &start, &size), 0);
		ck_assert_msg(m->segs[0].dma_addr < start ||
				      m->segs[0].dma_addr >= start + size,
			      "a BAR address handed out under the IOMMU");
	}
	ti_edu_copy(edu0, d0, m, 1000, 512 * KIB + 17 * PAGE);
	tu_check_bytes(p0 + 512 * KIB + 17 * PAGE, XFER, 41, 1000,
		       "BAR through export");
	r0 = rig_pci_map_bar(iv0, 2, 1 * MIB);
	ck_assert(r0 != NULL);
	/* The buffer is the first of the provider: at the BAR's start. */
	tu_check_bytes(r0 + 512 * KIB + 17 * PAGE, XFER, 41, 1000,
		       "resource2 after export DMA");
	munmap((void *)r0, 1 * MIB);

	/* Below the switch: bus addresses, as MAP would decide. */
	s2 = ti_attach(tfd, d1, edu1, P2PBUF_TI_F_PEER2PEER);
	ck_assert_int_eq(ti_map_try(tfd, s2, m), 0);
	ck_assert_int_eq(rig_pci_resource(iv1, 2, &start, &size), 0);
	/* Contiguous from the BAR's start, split at edu's segment size. */
	for (i = 0, at = start; i < m->nr_segs; at += m->segs[i++].length)
		ck_assert_uint_eq(m->segs[i].dma_addr, at);
	ck_assert_uint_eq(at, start + 1 * MIB);
	if (mode != TU_IOMMU_ON) {
		ti_edu_copy(edu1, d1, m, 3000, 256 * KIB);
		tu_check_bytes(p1 + 256 * KIB, XFER, 42, 3000,
			       "BAR behind the switch through export");
	}
	ck_assert_int_eq(ti_cmd(tfd, P2PBUF_TI_DETACH, s2), 0);
	/* An unreachable importer: the BAR's own device (EXDEV). */
	s2 = ti_attach(tfd, d1, iv1, P2PBUF_TI_F_PEER2PEER);
	ck_assert_int_eq(ti_map_try(tfd, s2, m), EXDEV);
	ck_assert_int_eq(ti_map_try(tfd, s2, m), EXDEV);
	ck_assert_int_eq(ti_cmd(tfd, P2PBUF_TI_DETACH, s2), 0);
out:
	ck_assert_int_eq(ti_cmd(tfd, P2PBUF_TI_DETACH, slot), 0);
	close(tfd);
	close(d0);
	close(d1);
	munmap((void *)p0, 1 * MIB);
	munmap((void *)p1, 1 * MIB);
	close(fd);
	ck_assert_int_eq(tu_nl_provider_del(&nl, prov0, false), 0);
	ck_assert_int_eq(tu_nl_provider_del(&nl, prov1, false), 0);
	free(m);
}
END_TEST

/*
 * Revocation of BAR memory by forced provider removal: importers told
 * (the test importer unmaps in its callback), later maps fail with ENODEV,
 * the CPU mapping of the dma-buf gets SIGBUS, the listing and the events
 * say so in order; with the IOMMU on, edu's DMA to the old address no
 * longer reaches the memory.
 */
START_TEST(test_revoke_bar)
{
	static struct tu_nl_msg ev[MAX_MSGS];
	static const char *needles[] = { "DMAR:", "DMA Read", NULL };
	struct p2pbuf_ti_map *m = calloc(1, sizeof(*m));
	struct p2pbuf_ti_status st;
	struct p2pbuf_export e;
	struct p2pbuf_alloc a;
	struct tu_nl_msg d;
	volatile uint8_t *p, *q;
	uint32_t prov = tu_nl_provider_add(&nl, iv0), slot;
	int fd = tu_dev_open(), tfd = ti_open(), dfd, n, i_new, i_rev, i_del;
	bool mapped;
	char line[512];
	struct edu ed;
	uint64_t old;
	int kmsg;

	p = tu_alloc_map(fd, prov, 256 * KIB, &a);
	tu_fill(p, 256 * KIB, 51);
	dfd = export_ok(fd, a.handle, 0, 256 * KIB, &e);
	q = mmap(NULL, 256 * KIB, PROT_READ | PROT_WRITE, MAP_SHARED, dfd, 0);
	ck_assert((void *)q != MAP_FAILED);
	tu_check_bytes(q, 256 * KIB, 51, 0, "dma-buf mapping of the BAR");
	slot = ti_attach(tfd, dfd, edu0, P2PBUF_TI_F_PEER2PEER);
	mapped = dynamic_notify(tfd, slot);
	if (mapped)
		ck_assert_int_eq(ti_map_try(tfd, slot, m), 0);
	old = m->segs[0].dma_addr;

	ck_assert_int_eq(tu_nl_provider_del(&nl, prov, true), 0);
	ti_status(tfd, slot, &st);
	ck_assert_uint_eq(st.invalidations, 1);
	ck_assert_uint_eq(st.unmapped_in_invalidate, mapped ? 1 : 0);
	ck_assert_uint_eq(st.mapped, 0);
	ck_assert_int_eq(ti_map_try(tfd, slot, m),
			 mapped ? ENODEV : EOPNOTSUPP);
	ck_assert_int_eq(tu_touch(q), SIGBUS);
	ck_assert_int_eq(tu_touch(p), SIGBUS);
	ck_assert_uint_eq(export_dump_one(e.id, &d), 1);
	ck_assert_uint_eq(d.state, P2PBUF_NL_STATE_REVOKED);
	ck_assert_uint_eq(d.reason, P2PBUF_NL_REVOKE_PROVIDER_REMOVED);
	/* A new mapping of the revoked export is refused. */
	ck_assert_ptr_eq(mmap(NULL, PAGE, PROT_READ, MAP_SHARED, dfd, 0),
			 MAP_FAILED);
	ck_assert_int_eq(errno, ENODEV);

	if (mapped && mode == TU_IOMMU_ON) {
		/* The old IOVA faults: edu reads zeros, not the BAR. */
		kmsg = rig_kmsg_open();
		ck_assert_int_ge(kmsg, 0);
		ck_assert_int_eq(edu_open(&ed, edu0), 0);
		rig_kmsg_write("%s test_export %s revoked IOVA",
			       RIG_EXPECT_DMAR_BEGIN, edu0);
		ck_assert_int_eq(edu_dma(&ed, old, 0, 64, EDU_DMA_FROM_RAM,
					 TU_DMA_WAIT_MS),
				 0);
		ck_assert_int_eq(rig_kmsg_wait(kmsg, needles, line,
					       sizeof(line), 5000),
				 0);
		rig_kmsg_write("%s test_export %s", RIG_EXPECT_DMAR_END, edu0);
		edu_close(&ed);
		close(kmsg);
	}
	munmap((void *)q, 256 * KIB);
	munmap((void *)p, 256 * KIB);
	ck_assert_int_eq(ti_cmd(tfd, P2PBUF_TI_DETACH, slot), 0);
	close(tfd);
	close(dfd);
	close(fd);

	n = tu_nl_events(&nl, ev, MAX_MSGS, 1000);
	i_new = tu_nl_find_ev(ev, n, P2PBUF_NL_CMD_EXPORT_NEW_NTF, e.id);
	i_rev = tu_nl_find_ev(ev, n, P2PBUF_NL_CMD_EXPORT_REVOKE_NTF, e.id);
	i_del = tu_nl_find_ev(ev, n, P2PBUF_NL_CMD_EXPORT_DEL_NTF, e.id);
	ck_assert_msg(i_new >= 0 && i_rev > i_new && i_del > i_rev,
		      "export events out of order: new %d revoke %d del %d",
		      i_new, i_rev, i_del);
	ck_assert_uint_eq(ev[i_rev].reason, P2PBUF_NL_REVOKE_PROVIDER_REMOVED);
	ck_assert_msg(!ev[i_rev].has_owner, "events carry no owner");
	free(m);
}
END_TEST

/*
 * Host memory revoked by the administrator (BUFFER_REVOKE): a dynamic
 * importer is told; a static importer cannot be, so its mapping stays and
 * the memory goes back only when it lets go (BUFFER_DEL then).
 */
START_TEST(test_revoke_host)
{
	static struct tu_nl_msg ev[MAX_MSGS];
	struct p2pbuf_ti_map *m = calloc(1, sizeof(*m));
	struct p2pbuf_ti_status st;
	struct p2pbuf_export e;
	struct p2pbuf_alloc a;
	uint32_t dyn, sta;
	int fd = tu_dev_open(), tfd = ti_open(), dfd, n;
	void *p;

	p = tu_alloc_map(fd, 0, 64 * KIB, &a);
	dfd = export_ok(fd, a.handle, 0, 64 * KIB, &e);
	dyn = ti_attach(tfd, dfd, edu0, 0);
	ck_assert_int_eq(ti_map_try(tfd, dyn, m), 0);
	sta = ti_attach(tfd, dfd, edu1, P2PBUF_TI_F_STATIC);
	ck_assert_int_eq(ti_map_try(tfd, sta, m), 0);
	tu_nl_events(&nl, ev, MAX_MSGS, 200);

	ck_assert_int_eq(tu_nl_buffer_revoke(&nl, a.handle), 0);
	ti_status(tfd, dyn, &st);
	ck_assert_uint_eq(st.invalidations, 1);
	ck_assert_uint_eq(st.mapped, 0);
	ck_assert_int_eq(ti_map_try(tfd, dyn, m), ENODEV);
	ti_status(tfd, sta, &st);
	ck_assert_uint_eq(st.invalidations, 0);
	ck_assert_uint_eq(st.mapped, 1);
	n = tu_nl_events(&nl, ev, MAX_MSGS, 1000);
	ck_assert_int_ge(
		tu_nl_find_ev(ev, n, P2PBUF_NL_CMD_EXPORT_REVOKE_NTF, e.id), 0);
	ck_assert_msg(tu_nl_find_ev(ev, n, P2PBUF_NL_CMD_BUFFER_DEL_NTF,
				    a.handle) < 0,
		      "memory returned while a static importer maps it");
	/* The static importer lets go: now the memory goes back. */
	ck_assert_int_eq(ti_cmd(tfd, P2PBUF_TI_DETACH, sta), 0);
	n = tu_nl_events(&nl, ev, MAX_MSGS, 1000);
	ck_assert_int_ge(tu_nl_find_ev(ev, n, P2PBUF_NL_CMD_BUFFER_DEL_NTF,
				       a.handle),
			 0);
	ck_assert_int_eq(ti_cmd(tfd, P2PBUF_TI_DETACH, dyn), 0);
	munmap(p, 64 * KIB);
	tu_free(fd, a.handle);
	close(dfd);
	close(tfd);
	close(fd);
	free(m);
}
END_TEST

/*
 * Importers are told while their mapping still works, and it is torn down
 * after: an importer that keeps its sg_table through the invalidation
 * (P2PBUF_TI_F_NO_UNMAP) sees its first IOVA translate in the callback and
 * not afterwards (IOMMU on, where the kernel tells dynamic importers
 * instead of pinning).  Where it pins, the mapping is held: it stays, and
 * the memory goes back only once the importer unmaps.
 */
START_TEST(test_told_first)
{
	static struct tu_nl_msg ev[MAX_MSGS];
	struct p2pbuf_ti_map *m = calloc(1, sizeof(*m));
	struct p2pbuf_ti_status st;
	struct p2pbuf_export e;
	struct p2pbuf_alloc a;
	uint32_t slot;
	int fd = tu_dev_open(), tfd = ti_open(), dfd, n;
	bool notify;
	void *p;

	p = tu_alloc_map(fd, 0, 64 * KIB, &a);
	dfd = export_ok(fd, a.handle, 0, 64 * KIB, &e);
	slot = ti_attach(tfd, dfd, edu0, P2PBUF_TI_F_NO_UNMAP);
	notify = dynamic_notify(tfd, slot);
	ck_assert_int_eq(ti_map_try(tfd, slot, m), 0);
	ti_status(tfd, slot, &st);
	ck_assert_uint_eq(st.live_now, mode == TU_IOMMU_ON ? 1 : 2);
	tu_nl_events(&nl, ev, MAX_MSGS, 200);

	ck_assert_int_eq(tu_nl_buffer_revoke(&nl, a.handle), 0);
	ti_status(tfd, slot, &st);
	ck_assert_uint_eq(st.invalidations, 1);
	ck_assert_uint_eq(st.mapped, 1);
	if (mode == TU_IOMMU_ON) {
		ck_assert_uint_eq(st.live_at_invalidate, 1);
		ck_assert_uint_eq(st.live_now, notify ? 0 : 1);
	}
	n = tu_nl_events(&nl, ev, MAX_MSGS, 1000);
	ck_assert_int_eq(tu_nl_find_ev(ev, n, P2PBUF_NL_CMD_BUFFER_DEL_NTF,
				       a.handle) >= 0,
			 notify);
	ck_assert_int_eq(ti_cmd(tfd, P2PBUF_TI_UNMAP, slot), 0);
	if (!notify) {
		n = tu_nl_events(&nl, ev, MAX_MSGS, 1000);
		ck_assert_int_ge(tu_nl_find_ev(ev, n,
					       P2PBUF_NL_CMD_BUFFER_DEL_NTF,
					       a.handle),
				 0);
	}
	ck_assert_int_eq(ti_cmd(tfd, P2PBUF_TI_DETACH, slot), 0);
	close(tfd);
	close(dfd);
	munmap(p, 64 * KIB);
	close(fd);
	free(m);
}
END_TEST

/*
 * Sysfs removal of the provider's device with an attached export: the
 * importer is told, the export is revoked with DEVICE_REMOVED.
 */
START_TEST(test_revoke_remove)
{
	struct p2pbuf_ti_status st;
	struct p2pbuf_export e;
	struct p2pbuf_alloc a;
	struct tu_nl_msg d;
	uint32_t prov = tu_nl_provider_add(&nl, iv1), slot;
	int fd = tu_dev_open(), tfd = ti_open(), dfd;
	void *p;

	p = tu_alloc_map(fd, prov, 64 * KIB, &a);
	dfd = export_ok(fd, a.handle, 0, 64 * KIB, &e);
	slot = ti_attach(tfd, dfd, edu1, P2PBUF_TI_F_PEER2PEER);
	tu_pci_remove(iv1);
	ti_status(tfd, slot, &st);
	ck_assert_uint_eq(st.invalidations, 1);
	ck_assert_uint_eq(export_dump_one(e.id, &d), 1);
	ck_assert_uint_eq(d.state, P2PBUF_NL_STATE_REVOKED);
	ck_assert_uint_eq(d.reason, P2PBUF_NL_REVOKE_DEVICE_REMOVED);
	ck_assert_int_eq(ti_cmd(tfd, P2PBUF_TI_DETACH, slot), 0);
	close(tfd);
	close(dfd);
	munmap(p, 64 * KIB);
	close(fd);
	tu_pci_rescan(iv1);
}
END_TEST

/*
 * The fd travels: a forked child (fd inherited) and another process (over
 * SCM_RIGHTS) map the dma-buf and see the bytes; p2pbuf.ko cannot be
 * unloaded while an export exists, even with /dev/p2pbuf closed; the
 * export is in dma-buf's own debugfs listing as "p2pbuf".
 */
START_TEST(test_fd_passing)
{
	char cbuf[CMSG_SPACE(sizeof(int))], byte = 0, line[512];
	struct msghdr msg = { 0 };
	struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
	struct cmsghdr *cm;
	struct p2pbuf_export e;
	struct p2pbuf_alloc a;
	volatile uint8_t *p;
	int fd = tu_dev_open(), dfd, sv[2], st, rfd;
	char ino[32];
	struct tu_nl_msg d;
	bool found = false;
	int refs = 0;
	pid_t pid;
	FILE *f;

	p = tu_alloc_map(fd, 0, 64 * KIB, &a);
	tu_fill(p, 64 * KIB, 61);
	dfd = export_ok(fd, a.handle, 0, 64 * KIB, &e);
	munmap((void *)p, 64 * KIB);
	close(fd);
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);

	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (!pid) {
		/* Receives the fd over the socket, maps it, checks a byte. */
		volatile uint8_t *q;

		msg.msg_iov = &iov;
		msg.msg_iovlen = 1;
		msg.msg_control = cbuf;
		msg.msg_controllen = sizeof(cbuf);
		close(dfd);
		if (recvmsg(sv[1], &msg, 0) != 1)
			_exit(2);
		cm = CMSG_FIRSTHDR(&msg);
		if (!cm || cm->cmsg_type != SCM_RIGHTS)
			_exit(3);
		memcpy(&rfd, CMSG_DATA(cm), sizeof(rfd));
		q = mmap(NULL, 64 * KIB, PROT_READ, MAP_SHARED, rfd, 0);
		if (q == MAP_FAILED)
			_exit(4);
		_exit(q[12345] == tu_pat(61, 12345) ? 0 : 5);
	}
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = cbuf;
	msg.msg_controllen = sizeof(cbuf);
	cm = CMSG_FIRSTHDR(&msg);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &dfd, sizeof(int));
	ck_assert_int_eq(sendmsg(sv[0], &msg, 0), 1);
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0,
		      "SCM_RIGHTS receiver: status %#x", st);
	close(sv[0]);
	close(sv[1]);

	/* Only the dma-buf holds the module now. */
	ck_assert_int_eq(
		syscall(SYS_delete_module, "p2pbuf", O_NONBLOCK) ? errno : 0,
		EWOULDBLOCK);
	refs = module_refcnt();
	ck_assert_int_ge(refs, 1);

	/* Listed by dma-buf with our exporter name and its inode. */
	ck_assert_uint_eq(export_dump_one(e.id, &d), 1);
	snprintf(ino, sizeof(ino), "%llu", (unsigned long long)d.inode);
	f = fopen("/sys/kernel/debug/dma_buf/bufinfo", "r");
	ck_assert_msg(f, "dma-buf debugfs: %s", strerror(errno));
	while (fgets(line, sizeof(line), f))
		found |= strstr(line, "p2pbuf") && strstr(line, ino);
	fclose(f);
	ck_assert_msg(found, "no p2pbuf export of inode %s in bufinfo", ino);
	close(dfd);
	/* The dma-buf's module reference went with it. */
	ck_assert_int_eq(module_refcnt(), refs - 1);
}
END_TEST

static Suite *export_suite(void)
{
	Suite *s = suite_create("export");
	TCase *tc = tu_tcase(s, "export", TU_VM_TIMEOUT, setup, teardown);

	tcase_add_test(tc, test_feature);
	tcase_add_test(tc, test_errnos);
	tcase_add_test(tc, test_host);
	tcase_add_test(tc, test_bar);
	tcase_add_test(tc, test_revoke_bar);
	tcase_add_test(tc, test_revoke_host);
	tcase_add_test(tc, test_told_first);
	tcase_add_test(tc, test_revoke_remove);
	tcase_add_test(tc, test_fd_passing);
	return s;
}

int main(void)
{
	return tu_run(export_suite());
}
