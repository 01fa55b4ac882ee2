// SPDX-License-Identifier: MIT
/*
 * p2pbuf-example: the smallest complete libp2pbuf program.
 *
 *   p2pbuf-example TARGET [PROVIDER]
 *
 * 1. opens /dev/p2pbuf (p2pbuf_ctx_new: the uAPI version handshake);
 * 2. allocates 64 KiB from provider PROVIDER (default 0, host RAM; see
 *    "p2pctl provider list" for the others, e.g. a PCI BAR) and maps it;
 * 3. maps the buffer for DMA by the PCI function TARGET ("0000:03:00.0"):
 *    the kernel picks bus addresses, the IOMMU or refuses (EXDEV: run
 *    "p2pctl reach --provider PROVIDER --target TARGET" to see why);
 * 4. prints the DMA segments (CAP_SYS_RAWIO, e.g. root, is needed for the
 *    addresses; without it only the lengths are printed);
 * 5. where TARGET is QEMU's edu device (1234:11e8), as on p2pbuf's test
 *    rig, has it copy the buffer's first page into its own memory and
 *    back into the second page by DMA, and checks the bytes.  A real
 *    device would be handed the segments by its own driver or queue.
 *
 * Build it against the installed library (the Makefile beside it does):
 *   cc -o p2pbuf-example p2pbuf-example.c $(pkg-config --cflags --libs libp2pbuf)
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <libp2pbuf.h>

#define BUF_SIZE (64 * 1024)
#define MAX_SEGS 64

/* QEMU's edu device: BAR 0 registers, its 4 KiB memory at 0x40000. */
#define EDU_DMA_SRC 0x80
#define EDU_DMA_DST 0x88
#define EDU_DMA_CNT 0x90
#define EDU_DMA_CMD 0x98 /* bit 0 start/busy, bit 1 edu -> RAM */
#define EDU_MEM 0x40000ULL
#define EDU_LEN 4095 /* QEMU 7.2 refuses a copy ending at its memory's end */

static int sysfs_hex(const char *bdf, const char *attr, unsigned long *val)
{
	char path[256];
	FILE *f;
	int ok;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/%s", bdf, attr);
	f = fopen(path, "r");
	if (!f)
		return -1;
	ok = fscanf(f, "%lx", val) == 1;
	fclose(f);
	return ok ? 0 : -1;
}

/* One edu transfer between a DMA address and edu's memory. */
static int edu_copy(volatile uint64_t *regs, uint64_t src, uint64_t dst,
		    uint64_t to_ram)
{
	int ms;

	regs[EDU_DMA_SRC / 8] = src;
	regs[EDU_DMA_DST / 8] = dst;
	regs[EDU_DMA_CNT / 8] = EDU_LEN;
	regs[EDU_DMA_CMD / 8] = 1 | to_ram;
	for (ms = 0; regs[EDU_DMA_CMD / 8] & 1; ms++) {
		if (ms == 20000)
			return -ETIMEDOUT;
		usleep(1000);
	}
	return 0;
}

/* The DMA address of byte off of the buffer: walk the segments. */
static uint64_t dma_addr_at(const struct p2pbuf_segment *segs, uint32_t n,
			    uint64_t off)
{
	uint32_t i;

	for (i = 0; i < n && off >= segs[i].length; i++)
		off -= segs[i].length;
	return segs[i].dma_addr + off; /* off < BUF_SIZE: i < n */
}

/*
 * Drive edu from userspace (what its driver would do): enable memory
 * decoding and bus mastering, map BAR 0 through sysfs, copy buffer page 0
 * -> edu -> buffer page 1, compare.  Needs root.  (Each page lies in one
 * segment: segments are page-granular.)
 */
static int edu_verify(const char *bdf, const struct p2pbuf_segment *segs,
		      uint32_t n, uint8_t *buf)
{
	char path[256];
	uint16_t cmd;
	void *bar;
	int fd, ret;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/config", bdf);
	fd = open(path, O_RDWR);
	if (fd < 0 || pread(fd, &cmd, 2, 4) != 2)
		goto sysfs_err;
	cmd |= 0x6; /* memory space, bus master */
	if (pwrite(fd, &cmd, 2, 4) != 2)
		goto sysfs_err;
	close(fd);
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/resource0", bdf);
	fd = open(path, O_RDWR | O_SYNC);
	if (fd < 0)
		goto sysfs_err;
	bar = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	if (bar == MAP_FAILED)
		goto sysfs_err;

	memset(buf + 4096, 0, EDU_LEN);
	ret = edu_copy(bar, dma_addr_at(segs, n, 0), EDU_MEM, 0);
	if (!ret)
		ret = edu_copy(bar, EDU_MEM, dma_addr_at(segs, n, 4096), 2);
	munmap(bar, 4096);
	if (ret) {
		fprintf(stderr, "edu: DMA did not complete\n");
		return 1;
	}
	if (memcmp(buf, buf + 4096, EDU_LEN)) {
		printf("DMA check: FAILED, the bytes differ\n");
		return 1;
	}
	printf("DMA check: edu copied %d bytes page 0 -> edu -> page 1, verified\n",
	       EDU_LEN);
	return 0;

sysfs_err:
	perror(path);
	if (fd >= 0)
		close(fd);
	return 1;
}

int main(int argc, char **argv)
{
	struct p2pbuf_segment segs[MAX_SEGS];
	struct p2pbuf_pci_target target;
	struct p2pbuf_buffer *buffer;
	struct p2pbuf_ctx *ctx;
	struct p2pbuf_sgl *sgl;
	uint32_t provider = 0, flags = 0, n, i;
	unsigned long vendor = 0, device = 0;
	uint8_t *map;
	void *addr;
	int ret, status = 1;

	if (argc < 2 || argc > 3 || p2pbuf_pci_target_parse(argv[1], &target)) {
		fprintf(stderr, "usage: %s TARGET-PCI-ADDRESS [PROVIDER-ID]\n",
			argv[0]);
		return 2;
	}
	if (argc == 3)
		provider = (uint32_t)strtoul(argv[2], NULL, 0);

	/* Every call returns 0 or a negative errno; p2pbuf_strerror() says it. */
	ret = p2pbuf_ctx_new(NULL, &ctx); /* NULL: /dev/p2pbuf */
	if (ret) {
		fprintf(stderr, "/dev/p2pbuf: %s\n", p2pbuf_strerror(ret));
		return 1;
	}
	ret = p2pbuf_buffer_alloc(ctx, provider, BUF_SIZE, 0, &buffer);
	if (ret) {
		fprintf(stderr, "alloc from provider %" PRIu32 ": %s\n",
			provider, p2pbuf_strerror(ret));
		goto out_ctx;
	}
	ret = p2pbuf_buffer_mmap(buffer, 0, 0, &addr);
	if (ret) {
		fprintf(stderr, "mmap: %s\n", p2pbuf_strerror(ret));
		goto out_buf;
	}
	map = addr;
	for (i = 0; i < 4096; i++) /* a pattern in page 0 */
		map[i] = (uint8_t)(i * 7 + 3);
	printf("buffer: %u KiB from provider %" PRIu32 ", %s, at %p\n",
	       BUF_SIZE / 1024, provider,
	       p2pbuf_cache_mode_name(p2pbuf_buffer_get_cache_mode(buffer)),
	       addr);

	/* The mapping (any p2pbuf mappings, in fact) for the target's DMA. */
	ret = p2pbuf_map(ctx, (uintptr_t)addr, BUF_SIZE, &target,
			 P2PBUF_DMA_BIDIRECTIONAL, 0, &sgl);
	if (ret) {
		fprintf(stderr, "map for %s: %s%s\n", argv[1],
			p2pbuf_strerror(ret),
			ret == -EXDEV ? " (p2pctl reach tells why)" : "");
		goto out_unmap;
	}
	ret = p2pbuf_sgl_segments(sgl, segs, MAX_SEGS, &n, 0);
	if (ret == -EPERM) { /* no CAP_SYS_RAWIO: lengths only */
		flags = P2PBUF_SEGMENTS_F_LENGTHS_ONLY;
		ret = p2pbuf_sgl_segments(sgl, segs, MAX_SEGS, &n, flags);
	}
	if (ret) {
		fprintf(stderr, "segments: %s\n", p2pbuf_strerror(ret));
		goto out_sgl;
	}
	printf("dma-sgl for %s: %" PRIu32 " segment(s)\n", argv[1], n);
	for (i = 0; i < n; i++)
		printf("  %#018" PRIx64 " +%" PRIu64 "\n",
		       (uint64_t)segs[i].dma_addr, (uint64_t)segs[i].length);

	status = 0;
	sysfs_hex(argv[1], "vendor", &vendor);
	sysfs_hex(argv[1], "device", &device);
	if (vendor == 0x1234 && device == 0x11e8) {
		if (flags)
			fprintf(stderr, "DMA check: needs CAP_SYS_RAWIO\n");
		else
			status = edu_verify(argv[1], segs, n, map);
	} else {
		printf("DMA check: skipped (%s is not QEMU's edu)\n", argv[1]);
	}

out_sgl:
	p2pbuf_sgl_close(sgl); /* the DMA mapping goes with its last fd */
out_unmap:
	p2pbuf_buffer_munmap(buffer, addr, BUF_SIZE);
out_buf:
	p2pbuf_buffer_free(buffer);
out_ctx:
	p2pbuf_ctx_unref(ctx);
	return status;
}
