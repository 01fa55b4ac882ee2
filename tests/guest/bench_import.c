// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Guest benchmark of dma-buf imports (issue "Any dma-buf, and any mapping
 * of one, becomes a dma-sgl for any target"), reported, not a timed test.
 * In one run, for edu (00:03.0) as the target, median and p99 of counted
 * rounds, the two variants of a pair interleaved (their order swapped
 * every round):
 *
 *  (a) P2PBUF_IOC_MAP_DMABUF + close() of p2pbuf's own export of a
 *      64 MiB ivshmem BAR2 buffer (host bridge allowed for the run; where
 *      the kernel maps dynamic exporters without pinning them, else the
 *      refusal is printed), next to P2PBUF_IOC_MAP + close() of the same
 *      buffer's mapping, ROUNDS rounds each;
 *  (b) host RAM: MAP_DMABUF + close() of a 64 MiB udmabuf (where the
 *      kernel has /dev/udmabuf) next to MAP + close() of a 64 MiB host
 *      buffer of p2pbuf, ROUNDS_HOST rounds each.
 *
 * VFIO's BAR dma-buf (Linux 6.19+, the debug kernel) cannot be imported
 * for edu on this rig: p2pdma refuses peer-to-peer through QEMU's q35 host
 * bridge (not on its allowlist, and VFIO has no override), and below the
 * switch QEMU routes nothing; the run says so instead of printing a figure.
 *
 * From build/:  ../scripts/p2pbuf-vm --kernel 'build:*' -- bench_import
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
#include <linux/udmabuf.h>

#include "libp2pbuf.h"
#include "util.h"

#define MIB (1024ULL * 1024)
#define LEN (64 * MIB)
#define ROUNDS 1000
/* Host memory: 16384 IOMMU pages per map under TCG; fewer rounds. */
#define ROUNDS_HOST 100
#define EDU_DOM 0
#define EDU_BUS 0
#define EDU_DEVFN (3 << 3)
#define EDU "0000:00:03.0"

static double t_imp[ROUNDS], t_map[ROUNDS];

static void report(const char *what, double *t, int n)
{
	double med = tu_percentile(t, n, 50), p99 = tu_percentile(t, n, 99);

	printf("  %-48s median %8.1f us   p99 %8.1f us   (%d rounds)\n", what,
	       med, p99, n);
}

static void target_edu(struct p2pbuf_pci_target *t)
{
	t->domain = EDU_DOM;
	t->bus = EDU_BUS;
	t->devfn = EDU_DEVFN;
}

/* MAP_DMABUF + close() of all of dfd, timed into *us: 0 or the errno. */
static int import_once(int fd, int dfd, double *us)
{
	struct p2pbuf_map_dmabuf m;
	double t0;

	memset(&m, 0, sizeof(m));
	m.size = sizeof(m);
	m.dmabuf_fd = dfd;
	m.length = LEN;
	m.direction = P2PBUF_DMA_BIDIRECTIONAL;
	target_edu(&m.target);
	t0 = tu_now_ms();
	if (ioctl(fd, P2PBUF_IOC_MAP_DMABUF, &m))
		return errno;
	close(m.sgl_fd);
	*us = (tu_now_ms() - t0) * 1e3;
	return 0;
}

/* MAP + close() of [p, p + LEN), timed into *us. */
static void map_once(int fd, void *p, double *us)
{
	struct p2pbuf_map m;
	double t0;

	memset(&m, 0, sizeof(m));
	m.size = sizeof(m);
	m.addr = (uintptr_t)p;
	m.length = LEN;
	m.direction = P2PBUF_DMA_BIDIRECTIONAL;
	target_edu(&m.target);
	t0 = tu_now_ms();
	if (ioctl(fd, P2PBUF_IOC_MAP, &m))
		tu_die("MAP", errno);
	close(m.sgl_fd);
	*us = (tu_now_ms() - t0) * 1e3;
}

/*
 * rounds rounds of the pair, interleaved; dfd < 0: MAP alone.  Prints
 * both (or the import's refusal).
 */
static void bench_pair(int fd, int dfd, void *p, int rounds,
		       const char *imp_what, const char *map_what)
{
	int i, err = dfd < 0 ? ENOENT : 0;

	for (i = 0; i < rounds; i++) {
		if (i % 2)
			map_once(fd, p, &t_map[i]);
		if (!err) {
			err = import_once(fd, dfd, &t_imp[i]);
			if (err)
				printf("  %-48s refused: %s\n", imp_what,
				       strerror(err));
		}
		if (!(i % 2))
			map_once(fd, p, &t_map[i]);
	}
	if (!err)
		report(imp_what, t_imp, rounds);
	report(map_what, t_map, rounds);
}

/* A 64 MiB memfd's udmabuf, or -1 (said why). */
static int udmabuf_64m(void)
{
	struct udmabuf_create c = { .flags = UDMABUF_FLAGS_CLOEXEC,
				    .size = LEN };
	int dev = open("/dev/udmabuf", O_RDWR | O_CLOEXEC), memfd, dfd;

	if (dev < 0) {
		printf("  host RAM: udmabuf: n/a: /dev/udmabuf: %s "
		       "(CONFIG_UDMABUF not set in this kernel)\n",
		       strerror(errno));
		return -1;
	}
	memfd = memfd_create("bench-import", MFD_ALLOW_SEALING | MFD_CLOEXEC);
	if (memfd < 0 || ftruncate(memfd, LEN) ||
	    fcntl(memfd, F_ADD_SEALS, F_SEAL_SHRINK))
		tu_die("memfd", errno);
	c.memfd = (uint32_t)memfd;
	dfd = ioctl(dev, UDMABUF_CREATE, &c);
	if (dfd < 0)
		tu_die("UDMABUF_CREATE", errno);
	close(memfd);
	close(dev);
	return dfd;
}

int main(void)
{
	struct p2pbuf_export e = { .size = sizeof(e), .length = LEN };
	struct p2pbuf_provider_info info;
	struct p2pbuf_ctl *ctl;
	struct p2pbuf_alloc a;
	int fd, dfd, ret;
	void *p;

	setvbuf(stdout, NULL, _IOLBF, 0);
	fd = open(TU_DEV, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		tu_die("open " TU_DEV, errno);
	printf("bench_import: 64 MiB, target edu %s, pairs interleaved\n", EDU);

	ret = p2pbuf_ctl_new(&ctl);
	if (ret)
		tu_die("netlink", -ret);
	ret = p2pbuf_provider_add(ctl, "0000:00:04.0", 2, 0, 0,
				  P2PBUF_NL_PROVIDER_F_HOST_BRIDGE_P2P, &info,
				  sizeof(info));
	if (ret)
		tu_die("provider add", -ret);
	ret = tu_alloc_map_try(fd, info.id, LEN, &a, &p);
	if (ret)
		tu_die("ALLOC 64 MiB of BAR", ret);
	e.handle = a.handle;
	if (ioctl(fd, P2PBUF_IOC_EXPORT, &e))
		tu_die("EXPORT", errno);
	bench_pair(fd, e.dmabuf_fd, p, ROUNDS,
		   "ivshmem BAR2: MAP_DMABUF of its export + close",
		   "ivshmem BAR2: MAP + close");
	close(e.dmabuf_fd);
	munmap(p, LEN);
	tu_free_try(fd, a.handle);
	ret = p2pbuf_provider_del(ctl, info.id, 0);
	if (ret)
		tu_die("provider del", -ret);
	p2pbuf_ctl_free(ctl);

	ret = tu_alloc_map_try(fd, P2PBUF_PROVIDER_ID_SYSMEM, LEN, &a, &p);
	if (ret)
		tu_die("ALLOC 64 MiB of host RAM", ret);
	dfd = udmabuf_64m();
	bench_pair(fd, dfd, p, ROUNDS_HOST,
		   "host RAM: MAP_DMABUF of a udmabuf + close",
		   "host RAM: MAP of a p2pbuf buffer + close");
	if (dfd >= 0)
		close(dfd);
	munmap(p, LEN);
	tu_free_try(fd, a.handle);
	printf("  VFIO BAR dma-buf: n/a on this rig (p2pdma refuses QEMU's "
	       "q35 host bridge; nothing routes below its switch)\n");
	close(fd);
	return 0;
}
