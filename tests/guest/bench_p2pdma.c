// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Guest benchmark of p2pdma buffers (issue "A p2pdma provider, with the
 * kernel's NVMe driver as a real client"), reported, not a timed test.  In
 * one run on the debug rig, median and p99 of ROUNDS rounds each,
 * interleaved:
 *
 *  (a) O_DIRECT read of 64 MiB of the NVMe namespace into a 32 MiB buffer
 *      of the NVMe's own CMB (a p2pdma provider), in two passes of 1 MiB
 *      reads: the controller writes its own memory;
 *  (b) the same reads into 32 MiB of host memory (posix_memalign()).
 *
 * The CMB is 64 MiB and the nvme driver may keep its submission queues
 * there, so the buffer is 32 MiB.  Under QEMU only the ratio means
 * anything: both paths are memcpy()s in QEMU's NVMe model.
 *
 * From build/:  ../scripts/p2pbuf-vm --kernel 'build:*' -- bench_p2pdma
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <linux/p2pbuf.h>

#include "libp2pbuf.h"
#include "util.h"

#define MIB (1024ULL * 1024)
#define BUF_LEN (32 * MIB)
#define READ_LEN (64 * MIB)
#define CHUNK (1 * MIB)
#define ROUNDS 20
#define NVME_DEV "/dev/nvme0n1"

static double t_cmb[ROUNDS], t_host[ROUNDS];

/* READ_LEN bytes from the namespace into buf (BUF_LEN), in ms. */
static double read_into(int bfd, char *buf)
{
	double t0 = tu_now_ms();
	uint64_t off;
	ssize_t n;

	for (off = 0; off < READ_LEN; off += CHUNK) {
		n = pread(bfd, buf + off % BUF_LEN, CHUNK, (off_t)off);
		if (n != (ssize_t)CHUNK)
			tu_die("O_DIRECT read", n < 0 ? errno : EIO);
	}
	return tu_now_ms() - t0;
}

int main(void)
{
	char nvme[1][RIG_BDF_LEN];
	struct p2pbuf_provider_info info;
	struct p2pbuf_alloc a;
	struct p2pbuf_ctl *ctl;
	void *cmb, *host;
	double mc, mh;
	int fd, bfd, ret, i;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (rig_pci_find(RIG_NVME_VENDOR, RIG_NVME_DEVICE, nvme, 1) != 1) {
		printf("bench_p2pdma: n/a: no NVMe controller (the debug rig "
		       "has one)\n");
		return 0;
	}
	fd = open(TU_DEV, O_RDWR | O_CLOEXEC);
	bfd = open(NVME_DEV, O_RDONLY | O_DIRECT | O_CLOEXEC);
	if (fd < 0 || bfd < 0)
		tu_die("open /dev/p2pbuf or " NVME_DEV, errno);
	ret = p2pbuf_ctl_new(&ctl);
	if (ret)
		tu_die("netlink", -ret);
	ret = p2pbuf_provider_add_p2pdma(ctl, nvme[0], 0, &info, sizeof(info));
	if (ret == -EOPNOTSUPP) {
		printf("bench_p2pdma: n/a: this kernel has no p2pdma provider\n");
		return 0;
	}
	if (ret)
		tu_die("provider add --p2pmem", -ret);
	ret = tu_alloc_map_try(fd, info.id, BUF_LEN, &a, &cmb);
	if (ret)
		tu_die("32 MiB p2pdma buffer", ret);
	ret = posix_memalign(&host, 4096, BUF_LEN);
	if (ret)
		tu_die("posix_memalign", ret);
	memset(host, 0, BUF_LEN);
	printf("bench_p2pdma: O_DIRECT read of 64 MiB from %s (%s), "
	       "1 MiB reads into a 32 MiB buffer\n",
	       NVME_DEV, nvme[0]);
	/* Warm both paths once, then interleave. */
	read_into(bfd, cmb);
	read_into(bfd, host);
	for (i = 0; i < ROUNDS; i++) {
		t_cmb[i] = read_into(bfd, cmb);
		t_host[i] = read_into(bfd, host);
	}
	mc = tu_percentile(t_cmb, ROUNDS, 50);
	mh = tu_percentile(t_host, ROUNDS, 50);
	printf("  %-34s median %8.1f ms   p99 %8.1f ms   (%d rounds)\n",
	       "into the CMB (p2pdma buffer)", mc,
	       tu_percentile(t_cmb, ROUNDS, 99), ROUNDS);
	printf("  %-34s median %8.1f ms   p99 %8.1f ms   (%d rounds)\n",
	       "into host memory", mh, tu_percentile(t_host, ROUNDS, 99),
	       ROUNDS);
	printf("  ratio CMB / host (medians): %.2f\n", mc / mh);
	munmap(cmb, BUF_LEN);
	free(host);
	ret = tu_free_try(fd, a.handle);
	if (ret)
		tu_die("free", ret);
	ret = p2pbuf_provider_del(ctl, info.id, 0);
	if (ret)
		tu_die("provider del", -ret);
	p2pbuf_ctl_free(ctl);
	close(bfd);
	close(fd);
	return 0;
}
