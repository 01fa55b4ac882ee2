// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Guest benchmark of dma-buf exports (issue "Export p2pbuf memory as
 * dma-bufs"), reported, not a timed test.  In one run, for edu (00:03.0)
 * as the importing device, median and p99:
 *
 *  (a) attach + map + unmap + detach of a 64 MiB export, through the
 *      test-only importer (tests/vm/importer), of an ivshmem BAR2 buffer
 *      (host bridge allowed for the run; where the kernel maps dynamic
 *      exporters without pinning them), ROUNDS rounds, and of host memory
 *      (everywhere), ROUNDS_HOST rounds;
 *  (b) P2PBUF_IOC_MAP + close() of the same 64 MiB range of the same
 *      buffer (the dma-sgl path), for comparison.
 *
 * VFIO's BAR dma-buf (Linux 6.19+, the debug kernel) cannot be put next to
 * it on this rig: p2pdma refuses peer-to-peer through QEMU's q35 host
 * bridge (not on its allowlist, and VFIO has no override), and below the
 * switch QEMU routes nothing; the run says so instead of printing a figure.
 *
 * From build/:  ../scripts/p2pbuf-vm --kernel 'build:*' -- bench_export
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <linux/p2pbuf.h>

#include "../vm/importer/p2pbuf_test_importer.h"
#include "libp2pbuf.h"
#include "util.h"

#define MIB (1024ULL * 1024)
#define LEN (64 * MIB)
#define ROUNDS 1000
/* Host memory: 16384 IOMMU pages per round under TCG; fewer rounds. */
#define ROUNDS_HOST 100
#define EDU_DOM 0
#define EDU_BUS 0
#define EDU_DEVFN (3 << 3)
#define EDU "0000:00:03.0"

static double t[ROUNDS];
static int rounds;

static void report(const char *what, int n)
{
	double med = tu_percentile(t, n, 50), p99 = tu_percentile(t, n, 99);

	printf("  %-44s median %8.1f us   p99 %8.1f us   (%d rounds)\n", what,
	       med, p99, n);
}

/* (a): attach + map + unmap + detach; 0, or the errno of the first map. */
static int bench_import(int tfd, int dfd, uint32_t flags, const char *what)
{
	struct p2pbuf_ti_attach a = { .dmabuf_fd = dfd,
				      .flags = flags,
				      .domain = EDU_DOM,
				      .bus = EDU_BUS,
				      .devfn = EDU_DEVFN };
	struct p2pbuf_ti_map *m = calloc(1, sizeof(*m));
	double t0;
	int i, err = 0;

	if (!m)
		tu_die("calloc", ENOMEM);
	for (i = 0; i < rounds; i++) {
		t0 = tu_now_ms();
		if (ioctl(tfd, P2PBUF_TI_ATTACH, &a))
			tu_die("importer attach", errno);
		m->slot = a.slot;
		if (ioctl(tfd, P2PBUF_TI_MAP, m)) {
			err = errno;
			ioctl(tfd, P2PBUF_TI_DETACH, &a.slot);
			break;
		}
		if (ioctl(tfd, P2PBUF_TI_UNMAP, &a.slot) ||
		    ioctl(tfd, P2PBUF_TI_DETACH, &a.slot))
			tu_die("importer unmap/detach", errno);
		t[i] = (tu_now_ms() - t0) * 1e3;
	}
	free(m);
	if (err) {
		printf("  %-44s map refused: %s\n", what, strerror(err));
		return err;
	}
	report(what, rounds);
	return 0;
}

/* (b): MAP + close() of the same range (no Check: plain ioctls). */
static void bench_map(int fd, void *p, const char *what)
{
	struct p2pbuf_map m;
	double t0;
	int i;

	for (i = 0; i < rounds; i++) {
		memset(&m, 0, sizeof(m));
		m.size = sizeof(m);
		m.addr = (uintptr_t)p;
		m.length = LEN;
		m.direction = P2PBUF_DMA_BIDIRECTIONAL;
		m.target.domain = EDU_DOM;
		m.target.bus = EDU_BUS;
		m.target.devfn = EDU_DEVFN;
		t0 = tu_now_ms();
		if (ioctl(fd, P2PBUF_IOC_MAP, &m))
			tu_die("MAP", errno);
		close(m.sgl_fd);
		t[i] = (tu_now_ms() - t0) * 1e3;
	}
	report(what, rounds);
}

static void bench_buffer(int fd, int tfd, uint32_t prov, uint32_t flags,
			 const char *name)
{
	struct p2pbuf_export e = { .size = sizeof(e) };
	struct p2pbuf_alloc a;
	char what[96];
	void *p;
	int err = tu_alloc_map_try(fd, prov, LEN, &a, &p);

	if (err)
		tu_die("ALLOC 64 MiB", err);
	e.handle = a.handle;
	e.length = LEN;
	if (ioctl(fd, P2PBUF_IOC_EXPORT, &e))
		tu_die("EXPORT", errno);
	snprintf(what, sizeof(what), "%s: export attach+map+unmap+detach",
		 name);
	bench_import(tfd, e.dmabuf_fd, flags, what);
	snprintf(what, sizeof(what), "%s: MAP + close", name);
	bench_map(fd, p, what);
	close(e.dmabuf_fd);
	munmap(p, LEN);
	tu_free_try(fd, a.handle);
}

int main(void)
{
	struct p2pbuf_provider_info info;
	struct p2pbuf_ctl *ctl;
	int fd, tfd, ret;

	setvbuf(stdout, NULL, _IOLBF, 0);
	fd = open(TU_DEV, O_RDWR | O_CLOEXEC);
	tfd = open("/dev/p2pbuf_test_importer", O_RDWR | O_CLOEXEC);
	if (fd < 0 || tfd < 0)
		tu_die("open /dev/p2pbuf or the test importer", errno);
	printf("bench_export: 64 MiB, importer edu %s\n", EDU);

	ret = p2pbuf_ctl_new(&ctl);
	if (ret)
		tu_die("netlink", -ret);
	ret = p2pbuf_provider_add(ctl, "0000:00:04.0", 2, 0, 0,
				  P2PBUF_NL_PROVIDER_F_HOST_BRIDGE_P2P, &info,
				  sizeof(info));
	if (ret)
		tu_die("provider add", -ret);
	rounds = ROUNDS;
	bench_buffer(fd, tfd, info.id, P2PBUF_TI_F_PEER2PEER, "ivshmem BAR2");
	ret = p2pbuf_provider_del(ctl, info.id, 0);
	if (ret)
		tu_die("provider del", -ret);
	p2pbuf_ctl_free(ctl);
	rounds = ROUNDS_HOST;
	bench_buffer(fd, tfd, P2PBUF_PROVIDER_ID_SYSMEM, 0, "host RAM");
	printf("  VFIO BAR dma-buf: n/a on this rig (p2pdma refuses QEMU's "
	       "q35 host bridge; nothing routes below its switch)\n");
	close(tfd);
	close(fd);
	return 0;
}
