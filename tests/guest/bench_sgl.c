// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Guest benchmark of dma-sgls (issue "The dma-sgl"), reported, not a timed
 * test.  In one run, for edu (00:03.0) as the target:
 *
 *  (a) latency of P2PBUF_IOC_MAP + close() of a 64 KiB host-memory range,
 *      median and p99 over LAT_CALLS calls, next to a no-op ioctl
 *      (P2PBUF_IOC_SYNC on a dma-sgl of device memory, which the driver
 *      documents as a no-op) and next to P2PBUF_IOC_MAP alone;
 *  (b) segment count and map time for 4 KiB ... 64 MiB of one ivshmem BAR2
 *      buffer (peer to peer through the host bridge, allowed for the run)
 *      and for 4 KiB ... 256 MiB of host memory, median of RUNS.
 *
 * Run it once per IOMMU mode to compare (from build/):
 *   ../scripts/p2pbuf-vm --kernel '6.1.*' -- bench_sgl
 *   ../scripts/p2pbuf-vm --kernel '6.1.*' --iommu off -- bench_sgl
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
#include <time.h>
#include <unistd.h>

#include <linux/p2pbuf.h>

#include "libp2pbuf.h"
#include "util.h"

#define KIB 1024ULL
#define MIB (1024ULL * 1024)
#define RUNS 9
#define LAT_CALLS 2000
#define EDU "0000:00:03.0"

static double now_us(void)
{
	return tu_now_ms() * 1e3;
}

static void set_param(const char *val)
{
	int err = tu_set_param_try("host_bridge_p2p", val);

	if (err)
		tu_die(TU_PARAMS "host_bridge_p2p", err);
}

static void *alloc_map(int fd, uint32_t prov, uint64_t len)
{
	struct p2pbuf_alloc a;
	void *p;
	int err = tu_alloc_map_try(fd, prov, len, &a, &p);

	if (err)
		tu_die(a.handle ? "mmap" : "ALLOC", err);
	return p;
}

static int map(int fd, void *addr, uint64_t len, struct p2pbuf_map *m)
{
	memset(m, 0, sizeof(*m));
	m->size = sizeof(*m);
	m->addr = (uintptr_t)addr;
	m->length = len;
	m->direction = P2PBUF_DMA_BIDIRECTIONAL;
	m->target.bus = 0;
	m->target.devfn = 3 << 3;
	if (ioctl(fd, P2PBUF_IOC_MAP, m))
		tu_die("MAP", errno);
	return m->sgl_fd;
}

static const char *type_name(uint32_t t)
{
	switch (t) {
	case P2PBUF_MAP_TYPE_BUS_ADDR:
		return "bus-addr";
	case P2PBUF_MAP_TYPE_IOMMU:
		return "iommu";
	case P2PBUF_MAP_TYPE_DIRECT:
		return "direct";
	default:
		return "mixed";
	}
}

/* Map time (median of RUNS) and segments for sizes 4 KiB .. max of p. */
static void sweep(const char *what, int fd, uint8_t *p, uint64_t max)
{
	struct p2pbuf_map m;
	double t[RUNS], t0;
	uint64_t len;
	int i;

	printf("(b) %s: size, segments, map type, map median us, unmap median us\n",
	       what);
	for (len = 4 * KIB; len <= max; len *= 4) {
		double u[RUNS];

		for (i = 0; i < RUNS; i++) {
			t0 = now_us();
			map(fd, p, len, &m);
			t[i] = now_us() - t0;
			t0 = now_us();
			close(m.sgl_fd);
			u[i] = now_us() - t0;
		}
		printf("    %9llu KiB %6u seg %-9s map %10.1f us  unmap %10.1f us\n",
		       (unsigned long long)(len / KIB), m.nr_segments,
		       type_name(m.map_type), tu_percentile(t, RUNS, 50),
		       tu_percentile(u, RUNS, 50));
	}
}

int main(void)
{
	static double lat[LAT_CALLS], lat_map[LAT_CALLS], nop[LAT_CALLS];
	struct p2pbuf_provider_info info;
	struct p2pbuf_sync sync = { .size = sizeof(sync),
				    .flags = P2PBUF_SYNC_F_FOR_DEVICE };
	struct p2pbuf_info dinfo = { .size = sizeof(dinfo) };
	struct p2pbuf_ctl *ctl;
	struct p2pbuf_map m;
	uint8_t *host, *bar, *small;
	int fd, sfd, i, ret;
	double t0;

	fd = open("/dev/p2pbuf", O_RDWR | O_CLOEXEC);
	if (fd < 0 || ioctl(fd, P2PBUF_IOC_INFO, &dinfo))
		tu_die("/dev/p2pbuf", errno);
	printf("bench_sgl: IOMMU feature bit %s; target edu %s\n",
	       dinfo.features & P2PBUF_FEATURE_IOMMU ? "on" : "off", EDU);
	ret = p2pbuf_ctl_new(&ctl);
	if (ret)
		tu_die("netlink", -ret);
	ret = p2pbuf_provider_add(ctl, "0000:00:04.0", 2, 0, 0, 0, &info,
				  sizeof(info));
	if (ret)
		tu_die("provider add", -ret);
	set_param("Y");

	bar = alloc_map(fd, info.id, 64 * MIB);
	host = alloc_map(fd, P2PBUF_PROVIDER_ID_SYSMEM, 256 * MIB);
	small = alloc_map(fd, P2PBUF_PROVIDER_ID_SYSMEM, 64 * KIB);
	memset(host, 1, 256 * MIB);

	/* (a) */
	sfd = map(fd, bar, 64 * KIB, &m);
	for (i = 0; i < LAT_CALLS; i++) {
		t0 = now_us();
		if (ioctl(sfd, P2PBUF_IOC_SYNC, &sync))
			tu_die("SYNC", errno);
		nop[i] = now_us() - t0;
	}
	close(sfd);
	for (i = 0; i < LAT_CALLS; i++) {
		double t1;

		t0 = now_us();
		map(fd, small, 64 * KIB, &m);
		t1 = now_us();
		close(m.sgl_fd);
		lat[i] = now_us() - t0;
		lat_map[i] = t1 - t0;
	}
	printf("(a) over %d calls: median / p99 us\n", LAT_CALLS);
	printf("    no-op ioctl (SYNC, device memory) %8.2f / %8.2f\n",
	       tu_percentile(nop, LAT_CALLS, 50),
	       tu_percentile(nop, LAT_CALLS, 99));
	printf("    MAP 64 KiB host memory             %8.2f / %8.2f\n",
	       tu_percentile(lat_map, LAT_CALLS, 50),
	       tu_percentile(lat_map, LAT_CALLS, 99));
	printf("    MAP + close 64 KiB host memory     %8.2f / %8.2f\n",
	       tu_percentile(lat, LAT_CALLS, 50),
	       tu_percentile(lat, LAT_CALLS, 99));
	printf("    ratio MAP+close / no-op (median)   %8.1f\n",
	       tu_percentile(lat, LAT_CALLS, 50) /
		       tu_percentile(nop, LAT_CALLS, 50));

	/* (b) */
	sweep("ivshmem BAR2 buffer", fd, bar, 64 * MIB);
	sweep("host memory buffer", fd, host, 256 * MIB);

	munmap(bar, 64 * MIB);
	munmap(host, 256 * MIB);
	munmap(small, 64 * KIB);
	close(fd);
	set_param("N");
	ret = p2pbuf_provider_del(ctl, info.id, 0);
	if (ret)
		tu_die("provider del", -ret);
	p2pbuf_ctl_free(ctl);
	return 0;
}
