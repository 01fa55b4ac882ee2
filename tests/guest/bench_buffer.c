// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Guest benchmark of buffers and the special VMA (issue "Buffers and the
 * special VMA"), reported, not a timed test.  In one run:
 *
 *  (a) mmap + first touch (one 64-bit write per 4 KiB page) of a 64 MiB
 *      ivshmem BAR2 buffer through p2pbuf, against the same BAR through
 *      sysfs resource2;
 *  (b) alloc + mmap + touch of 256 MiB of host RAM through p2pbuf, against
 *      mmap(MAP_ANONYMOUS | MAP_POPULATE) + touch.
 *
 * Each p2pbuf figure is measured with the prefault module parameter on
 * (populate in mmap()) and off (fault on first touch).  Prints the median
 * of RUNS runs of each and the ratios against the baselines.
 *
 * Usage (from build/): scripts/p2pbuf-vm --kernel '6.1.*' -- bench_buffer
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

#include "edu.h"
#include "libp2pbuf.h"

#define MIB (1024ULL * 1024)
#define PAGE 4096ULL
#define RUNS 7
#define PREFAULT "/sys/module/p2pbuf/parameters/prefault"

static double now_ms(void)
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

static double median(double *v, int n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return v[n / 2];
}

static void die(const char *what, int err)
{
	fprintf(stderr, "bench_buffer: %s: %s\n", what, strerror(err));
	exit(1);
}

static void touch(volatile uint64_t *p, uint64_t len)
{
	for (uint64_t off = 0; off < len; off += PAGE)
		p[off / 8] = off;
}

static void set_prefault(int on)
{
	int fd = open(PREFAULT, O_WRONLY);

	if (fd < 0 || write(fd, on ? "Y" : "N", 1) != 1)
		die(PREFAULT, errno);
	close(fd);
}

/* (a) baseline: sysfs resource2 mmap + touch. */
static double bar_resource2(const char *bdf, uint64_t len)
{
	char path[128];
	double t0, t;
	void *p;
	int fd;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/resource2", bdf);
	fd = open(path, O_RDWR | O_SYNC);
	if (fd < 0)
		die(path, errno);
	t0 = now_ms();
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		die("mmap resource2", errno);
	touch(p, len);
	t = now_ms() - t0;
	munmap(p, len);
	close(fd);
	return t;
}

/* (a) p2pbuf: mmap + touch of an allocated buffer. */
static double bar_p2pbuf(struct p2pbuf_buffer *buf, uint64_t len)
{
	double t0, t;
	void *p;
	int ret;

	t0 = now_ms();
	ret = p2pbuf_buffer_mmap(buf, 0, len, &p);
	if (ret)
		die("p2pbuf_buffer_mmap", -ret);
	touch(p, len);
	t = now_ms() - t0;
	p2pbuf_buffer_munmap(buf, p, len);
	return t;
}

/* (b) baseline: anonymous MAP_POPULATE + touch. */
static double ram_anon(uint64_t len)
{
	double t0, t;
	void *p;

	t0 = now_ms();
	p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (p == MAP_FAILED)
		die("mmap anonymous", errno);
	touch(p, len);
	t = now_ms() - t0;
	munmap(p, len);
	return t;
}

/* (b) p2pbuf: alloc + mmap + touch of sysmem. */
static double ram_p2pbuf(struct p2pbuf_ctx *ctx, uint64_t len)
{
	struct p2pbuf_buffer *buf;
	double t0, t;
	void *p;
	int ret;

	t0 = now_ms();
	ret = p2pbuf_buffer_alloc(ctx, P2PBUF_PROVIDER_ID_SYSMEM, len, 0, &buf);
	if (ret)
		die("p2pbuf_buffer_alloc sysmem", -ret);
	ret = p2pbuf_buffer_mmap(buf, 0, len, &p);
	if (ret)
		die("p2pbuf_buffer_mmap", -ret);
	touch(p, len);
	t = now_ms() - t0;
	p2pbuf_buffer_munmap(buf, p, len);
	p2pbuf_buffer_free(buf);
	return t;
}

int main(void)
{
	double r2[RUNS], pb_pre[RUNS], pb_flt[RUNS];
	double anon[RUNS], sys_pre[RUNS], sys_flt[RUNS];
	double m_r2, m_pre, m_flt, m_anon, m_spre, m_sflt;
	struct p2pbuf_provider_info info;
	char bdfs[4][RIG_BDF_LEN];
	struct p2pbuf_buffer *buf;
	uint64_t bar_len = 64 * MIB, ram_len = 256 * MIB;
	struct p2pbuf_ctl *ctl;
	struct p2pbuf_ctx *ctx;
	int ret, i;

	if (rig_pci_find(RIG_IVSHMEM_VENDOR, RIG_IVSHMEM_DEVICE, bdfs, 4) < 1)
		die("no ivshmem device", ENODEV);
	ret = p2pbuf_ctx_new(NULL, &ctx);
	if (ret)
		die("p2pbuf_ctx_new", -ret);
	ret = p2pbuf_ctl_new(&ctl);
	if (ret)
		die("p2pbuf_ctl_new", -ret);
	ret = p2pbuf_provider_add(ctl, bdfs[0], 2, 0, 0, 0, &info,
				  sizeof(info));
	if (ret)
		die("provider add", -ret);
	ret = p2pbuf_buffer_alloc(ctx, info.id, bar_len, 0, &buf);
	if (ret)
		die("p2pbuf_buffer_alloc BAR", -ret);

	/* Interleaved, so that drift in the VM hits every variant alike. */
	for (i = 0; i < RUNS; i++) {
		r2[i] = bar_resource2(bdfs[0], bar_len);
		set_prefault(1);
		pb_pre[i] = bar_p2pbuf(buf, bar_len);
		set_prefault(0);
		pb_flt[i] = bar_p2pbuf(buf, bar_len);
		anon[i] = ram_anon(ram_len);
		set_prefault(1);
		sys_pre[i] = ram_p2pbuf(ctx, ram_len);
		set_prefault(0);
		sys_flt[i] = ram_p2pbuf(ctx, ram_len);
	}
	set_prefault(1);
	p2pbuf_buffer_free(buf);
	p2pbuf_provider_del(ctl, info.id, 0);
	p2pbuf_ctl_free(ctl);
	p2pbuf_ctx_unref(ctx);

	m_r2 = median(r2, RUNS);
	m_pre = median(pb_pre, RUNS);
	m_flt = median(pb_flt, RUNS);
	m_anon = median(anon, RUNS);
	m_spre = median(sys_pre, RUNS);
	m_sflt = median(sys_flt, RUNS);
	printf("BENCH median of %d runs, ms (ratio to the baseline)\n", RUNS);
	printf("BENCH (a) 64 MiB BAR mmap+touch: resource2 %.2f; "
	       "p2pbuf prefault %.2f (%.2f); p2pbuf fault %.2f (%.2f)\n",
	       m_r2, m_pre, m_pre / m_r2, m_flt, m_flt / m_r2);
	printf("BENCH (b) 256 MiB RAM alloc+mmap+touch: anon populate %.2f; "
	       "p2pbuf prefault %.2f (%.2f); p2pbuf fault %.2f (%.2f)\n",
	       m_anon, m_spre, m_spre / m_anon, m_sflt, m_sflt / m_anon);
	return 0;
}
