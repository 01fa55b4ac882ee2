// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * "p2pctl demo": the whole p2pbuf story on the QEMU test rig, step by step.
 *
 * The rig's ivshmem device (1af4:1110) has 64 MiB of memory behind BAR 2;
 * its edu device (1234:11e8) is a DMA engine driven from userspace through
 * sysfs.  The demo registers the BAR as a provider, allocates a buffer from
 * it, writes a pattern through the CPU mapping, maps the buffer for edu
 * (a dma-sgl), has edu copy 4095 bytes from the buffer into its internal
 * memory and back to another page of the buffer by DMA, and verifies the
 * bytes through the CPU mapping.  Every step is printed; so is the verdict.
 *
 * edu (QEMU hw/misc/edu.c) BAR 0: 0x00 ident (0x..0000ed), 0x80 DMA
 * source, 0x88 DMA destination, 0x90 count, 0x98 command (bit 0 start and
 * busy, bit 1 direction: 0 RAM->edu, 1 edu->RAM).  Its 4 KiB buffer is at
 * edu address 0x40000; QEMU 7.2 refuses a transfer that ends exactly at
 * its end, hence 4095 bytes.  QEMU masks DMA addresses with the device's
 * dma_mask property (28 bits by default; the rig sets it to 64).
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <linux/p2pbuf.h>

#include "p2pctl-util.h"

#define SYSFS_PCI "/sys/bus/pci/devices"

#define EDU_VENDOR 0x1234
#define EDU_DEVICE 0x11e8
#define IVSHMEM_VENDOR 0x1af4
#define IVSHMEM_DEVICE 0x1110
#define IVSHMEM_BAR 2

#define EDU_BAR0_SIZE 4096
#define EDU_REG_IDENT 0x00
#define EDU_REG_DMA_SRC 0x80
#define EDU_REG_DMA_DST 0x88
#define EDU_REG_DMA_CNT 0x90
#define EDU_REG_DMA_CMD 0x98
#define EDU_DMA_START 0x1
#define EDU_DMA_TO_RAM 0x2
#define EDU_BUF_ADDR 0x40000ULL
#define EDU_DMA_LEN 4095
#define EDU_DMA_TIMEOUT_MS 20000

#define PCI_COMMAND 0x04
#define PCI_COMMAND_MEMORY 0x2
#define PCI_COMMAND_MASTER 0x4

#define NR_STEPS 9

struct demo {
	const struct p2pctl *p;
	const char *sysfs;
	int step;
	char edu[P2PBUF_PCI_ADDR_STRLEN];
	char ivshmem[P2PBUF_PCI_ADDR_STRLEN];
	struct p2pbuf_pci_target edu_target;
	struct p2pbuf_ctx *ctx;
	uint32_t page_size;
	bool iommu;
	struct p2pbuf_ctl *ctl;
	bool provider_added;
	uint32_t provider;
	struct p2pbuf_buffer *buf;
	volatile uint8_t *map;
	uint64_t size;
	struct p2pbuf_sgl *sgl;
	uint32_t map_type;
	int cfg_fd;
	bool cmd_saved;
	uint16_t saved_cmd;
	volatile uint8_t *mmio;
};

static void step(struct demo *d, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void step(struct demo *d, const char *fmt, ...)
{
	va_list ap;

	fprintf(d->p->out, "[%d/%d] ", ++d->step, NR_STEPS);
	va_start(ap, fmt);
	vfprintf(d->p->out, fmt, ap);
	va_end(ap);
	fputc('\n', d->p->out);
	fflush(d->p->out);
}

/* A detail of the current step, indented under it. */
static void say(struct demo *d, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void say(struct demo *d, const char *fmt, ...)
{
	va_list ap;

	fputs("      ", d->p->out);
	va_start(ap, fmt);
	vfprintf(d->p->out, fmt, ap);
	va_end(ap);
	fputc('\n', d->p->out);
	fflush(d->p->out);
}

/* "p2pctl: demo: MESSAGE" on stderr; returns status. */
static int demo_fail(struct demo *d, int status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int demo_fail(struct demo *d, int status, const char *fmt, ...)
{
	va_list ap;

	fflush(d->p->out);
	fputs("p2pctl: demo: ", d->p->err);
	va_start(ap, fmt);
	vfprintf(d->p->err, fmt, ap);
	va_end(ap);
	fputc('\n', d->p->err);
	return status;
}

/* --- PCI devices through sysfs ------------------------------------------ */

static int read_hex(struct demo *d, const char *bdf, const char *attr,
		    unsigned long *val)
{
	char path[PATH_MAX];
	FILE *f;
	int ok;

	snprintf(path, sizeof(path), "%s/%s/%s", d->sysfs, bdf, attr);
	f = fopen(path, "r");
	if (!f)
		return -errno;
	ok = fscanf(f, "%lx", val) == 1;
	fclose(f);
	return ok ? 0 : -EIO;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(a, b);
}

/*
 * The first (in sorted order) device vendor:device into bdf; returns how
 * many there are, or a negative errno.
 */
static int pci_find(struct demo *d, unsigned long vendor, unsigned long device,
		    char bdf[P2PBUF_PCI_ADDR_STRLEN])
{
	char first[P2PBUF_PCI_ADDR_STRLEN] = "";
	unsigned long v, dv;
	struct dirent *de;
	int n = 0;
	DIR *dir = opendir(d->sysfs);

	if (!dir)
		return -errno;
	while ((de = readdir(dir))) {
		if (de->d_name[0] == '.' ||
		    strlen(de->d_name) >= P2PBUF_PCI_ADDR_STRLEN)
			continue;
		if (read_hex(d, de->d_name, "vendor", &v) ||
		    read_hex(d, de->d_name, "device", &dv) || v != vendor ||
		    dv != device)
			continue;
		if (!n++ || cmp_str(de->d_name, first) < 0)
			strcpy(first, de->d_name);
	}
	closedir(dir);
	if (n)
		strcpy(bdf, first);
	return n;
}

/* Find vendor:device, or check that the device the user named is one. */
static int pick(struct demo *d, const char *what, const char *opt,
		const char *given, unsigned long vendor, unsigned long device,
		char bdf[P2PBUF_PCI_ADDR_STRLEN])
{
	unsigned long v, dv;
	int n;

	if (given) {
		if (read_hex(d, given, "vendor", &v) ||
		    read_hex(d, given, "device", &dv))
			return demo_fail(d, P2PCTL_EXIT_FAILED,
					 "%s: no such PCI device in %s", given,
					 d->sysfs);
		if (v != vendor || dv != device)
			return demo_fail(
				d, P2PCTL_EXIT_FAILED,
				"%s is %04lx:%04lx, not %s (%04lx:%04lx)",
				given, v, dv, what, vendor, device);
		strcpy(bdf, given);
		say(d, "%-8s %s (%04lx:%04lx, given by %s)", what, bdf, vendor,
		    device, opt);
		return 0;
	}
	n = pci_find(d, vendor, device, bdf);
	if (n < 0)
		return demo_fail(d, P2PCTL_EXIT_FAILED, "%s: %s", d->sysfs,
				 strerror(-n));
	if (!n)
		return demo_fail(
			d, P2PCTL_EXIT_FAILED,
			"no %s device (%04lx:%04lx) in %s: is this the QEMU rig? (or name one with %s)",
			what, vendor, device, d->sysfs, opt);
	say(d, "%-8s %s (%04lx:%04lx)", what, bdf, vendor, device);
	if (n > 1)
		say(d, "         the first of %d; %s picks another", n, opt);
	return 0;
}

/* The PCI command register of bdf, through its sysfs config file. */
static int edu_enable(struct demo *d)
{
	char path[PATH_MAX];
	uint16_t cmd;

	snprintf(path, sizeof(path), "%s/%s/config", d->sysfs, d->edu);
	d->cfg_fd = open(path, O_RDWR | O_CLOEXEC);
	if (d->cfg_fd < 0)
		return demo_fail(d, P2PCTL_EXIT_FAILED, "%s: %s", path,
				 strerror(errno));
	if (pread(d->cfg_fd, &cmd, sizeof(cmd), PCI_COMMAND) != sizeof(cmd))
		return demo_fail(d, P2PCTL_EXIT_FAILED,
				 "%s: cannot read the command register", path);
	d->saved_cmd = cmd;
	d->cmd_saved = true;
	cmd |= PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER;
	if (pwrite(d->cfg_fd, &cmd, sizeof(cmd), PCI_COMMAND) != sizeof(cmd))
		return demo_fail(d, P2PCTL_EXIT_FAILED,
				 "%s: cannot write the command register", path);
	say(d, "PCI command register %#06x -> %#06x (memory space, bus master)",
	    d->saved_cmd, cmd);
	return 0;
}

static int edu_map(struct demo *d)
{
	char path[PATH_MAX];
	uint32_t ident;
	void *p;
	int fd;

	snprintf(path, sizeof(path), "%s/%s/resource0", d->sysfs, d->edu);
	fd = open(path, O_RDWR | O_SYNC | O_CLOEXEC);
	if (fd < 0)
		return demo_fail(d, P2PCTL_EXIT_FAILED, "%s: %s", path,
				 strerror(errno));
	p = mmap(NULL, EDU_BAR0_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
		 0);
	close(fd);
	if (p == MAP_FAILED)
		return demo_fail(d, P2PCTL_EXIT_FAILED, "mmap %s: %s", path,
				 strerror(errno));
	d->mmio = p;
	ident = *(volatile uint32_t *)(d->mmio + EDU_REG_IDENT);
	if ((ident & 0xff) != 0xed)
		return demo_fail(d, P2PCTL_EXIT_FAILED,
				 "%s: ident register reads %#x, not an edu",
				 d->edu, ident);
	say(d, "edu BAR 0 mapped through sysfs; ident %#010x", ident);
	return 0;
}

static uint64_t edu_read64(struct demo *d, unsigned int reg)
{
	return *(volatile uint64_t *)(d->mmio + reg);
}

static void edu_write64(struct demo *d, unsigned int reg, uint64_t v)
{
	*(volatile uint64_t *)(d->mmio + reg) = v;
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

/* One edu transfer; returns 0 or an exit status (reported). */
static int edu_dma(struct demo *d, uint64_t src, uint64_t dst, uint64_t cmd)
{
	long long t0 = now_ms();

	if (edu_read64(d, EDU_REG_DMA_CMD) & EDU_DMA_START)
		return demo_fail(d, P2PCTL_EXIT_FAILED,
				 "edu is busy with another transfer");
	edu_write64(d, EDU_REG_DMA_SRC, src);
	edu_write64(d, EDU_REG_DMA_DST, dst);
	edu_write64(d, EDU_REG_DMA_CNT, EDU_DMA_LEN);
	edu_write64(d, EDU_REG_DMA_CMD, cmd | EDU_DMA_START);
	while (edu_read64(d, EDU_REG_DMA_CMD) & EDU_DMA_START) {
		if (now_ms() - t0 > EDU_DMA_TIMEOUT_MS)
			return demo_fail(
				d, P2PCTL_EXIT_FAILED,
				"edu did not finish the transfer in %d s",
				EDU_DMA_TIMEOUT_MS / 1000);
		usleep(1000);
	}
	say(d, "%#018" PRIx64 " -> %#018" PRIx64 ": %d bytes, done in %lld ms",
	    src, dst, EDU_DMA_LEN, now_ms() - t0);
	return 0;
}

/* The DMA address of [off, off + len) of the dma-sgl, in one segment. */
static int dma_at(const struct p2pbuf_segment *segs, uint32_t n, uint64_t off,
		  uint64_t len, uint64_t *addr)
{
	uint64_t start = 0;
	uint32_t i;

	for (i = 0; i < n; start += segs[i++].length) {
		if (off >= start + segs[i].length)
			continue;
		if (off + len > start + segs[i].length)
			return -ERANGE;
		*addr = segs[i].dma_addr + (off - start);
		return 0;
	}
	return -ERANGE;
}

/* Deterministic for a seed: what the source page holds. */
static uint8_t pattern(uint32_t seed, uint64_t i)
{
	uint32_t x = seed ^ (uint32_t)(i * 2654435761u);

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	return (uint8_t)(x >> 8);
}

#define POISON 0xa5

/* --- the steps ---------------------------------------------------------- */

static int find_devices(struct demo *d, const struct p2pctl_demo_opts *o)
{
	int ret;

	step(d, "Finding the rig's devices in %s", d->sysfs);
	ret = pick(d, "ivshmem", "--ivshmem", o->ivshmem, IVSHMEM_VENDOR,
		   IVSHMEM_DEVICE, d->ivshmem);
	if (!ret)
		ret = pick(d, "edu", "--edu", o->edu, EDU_VENDOR, EDU_DEVICE,
			   d->edu);
	if (!ret && p2pbuf_pci_target_parse(d->edu, &d->edu_target))
		ret = demo_fail(d, P2PCTL_EXIT_FAILED, "%s: bad PCI address",
				d->edu);
	return ret;
}

static int open_driver(struct demo *d, const char *device)
{
	struct p2pbuf_driver_info info;
	int ret;

	step(d, "Opening %s", device);
	ret = p2pctl_open(d->p, device, &d->ctx);
	if (ret)
		return ret;
	ret = p2pbuf_ctx_get_info(d->ctx, &info, sizeof(info));
	if (ret)
		return demo_fail(d, P2PCTL_EXIT_FAILED, "%s: %s", device,
				 p2pbuf_strerror(ret));
	say(d, "driver %s, uAPI %" PRIu32 ".%" PRIu32 ", IOMMU translation %s",
	    info.driver_version, info.version_major, info.version_minor,
	    info.features & P2PBUF_FEATURE_IOMMU ? "on" : "off (or none)");
	if (!(info.features & P2PBUF_FEATURE_DMA_SGL))
		return demo_fail(d, P2PCTL_EXIT_FAILED,
				 "%s: the driver does not support dma-sgls",
				 device);
	d->page_size = info.page_size;
	d->iommu = info.features & P2PBUF_FEATURE_IOMMU;
	return 0;
}

/* What the host bridge of domain:00 is, for the explanation. */
static void say_host_bridge(struct demo *d)
{
	char hb[P2PBUF_PCI_ADDR_STRLEN];
	unsigned long v, dv;

	snprintf(hb, sizeof(hb), "%.4s:00:00.0", d->ivshmem);
	if (read_hex(d, hb, "vendor", &v) || read_hex(d, hb, "device", &dv))
		return;
	say(d, "host bridge %s is %04lx:%04lx", hb, v, dv);
}

static int add_provider(struct demo *d)
{
	struct p2pbuf_provider_info info;
	char sz[P2PCTL_SIZE_STRLEN];
	int ret;

	step(d, "Registering BAR %d of ivshmem %s as a provider", IVSHMEM_BAR,
	     d->ivshmem);
	say(d, "(p2pctl provider add %s --bar %d --allow-host-bridge)",
	    d->ivshmem, IVSHMEM_BAR);
	say(d, "--allow-host-bridge: peer traffic between the rig's devices "
	       "goes through");
	say(d, "its q35 host bridge, which is not on the kernel's list of host "
	       "bridges");
	say(d, "known to forward it, so the administrator must allow it (QEMU "
	       "does).");
	say_host_bridge(d);
	ret = p2pbuf_ctl_new(&d->ctl);
	if (ret)
		return demo_fail(d,
				 ret == -ENOENT ? P2PCTL_EXIT_NODEV :
						  P2PCTL_EXIT_FAILED,
				 "netlink: %s", p2pbuf_strerror(ret));
	ret = p2pbuf_provider_add(d->ctl, d->ivshmem, IVSHMEM_BAR, 0, 0,
				  P2PBUF_NL_PROVIDER_F_HOST_BRIDGE_P2P, &info,
				  sizeof(info));
	if (ret) {
		const char *msg = p2pbuf_ctl_last_error(d->ctl);

		return demo_fail(
			d,
			ret == -EPERM ? P2PCTL_EXIT_PERM : P2PCTL_EXIT_FAILED,
			"provider add %s BAR %d: %s%s%s%s", d->ivshmem,
			IVSHMEM_BAR, p2pbuf_strerror(ret), msg ? ": " : "",
			msg ? msg : "",
			ret == -EEXIST ? " (see 'p2pctl provider list')" : "");
	}
	d->provider = info.id;
	d->provider_added = true;
	p2pctl_format_size(info.size, sz);
	say(d, "provider %" PRIu32 ": %s, %s", info.id, sz,
	    info.flags & P2PBUF_NL_PROVIDER_F_PREFETCHABLE ?
		    "prefetchable" :
		    "not prefetchable");
	return 0;
}

static int ask_reach(struct demo *d)
{
	struct p2pbuf_reach_info r;
	const char *name;
	int ret;

	step(d, "Asking whether edu %s reaches the provider's memory", d->edu);
	say(d, "(p2pctl reach --provider %" PRIu32 " --target %s)", d->provider,
	    d->edu);
	ret = p2pbuf_reach(d->ctx, d->provider, &d->edu_target, &r, sizeof(r));
	if (ret)
		return demo_fail(d, P2PCTL_EXIT_FAILED, "reach: %s",
				 p2pbuf_strerror(ret));
	name = p2pbuf_reach_reason_name(r.reason);
	say(d, "%s: reason %s, map type %s, distance %" PRIu32,
	    r.map_type ? "yes" : "no", name ? name : "unknown",
	    r.map_type && p2pbuf_map_type_name(r.map_type) ?
		    p2pbuf_map_type_name(r.map_type) :
		    "-",
	    r.distance);
	if (!r.map_type)
		return demo_fail(
			d, P2PCTL_EXIT_UNREACHABLE,
			"edu %s cannot reach the memory of provider %" PRIu32,
			d->edu, d->provider);
	if (r.reason == P2PBUF_REACH_HOST_BRIDGE_ADMIN)
		say(d, "through the host bridge, allowed only by "
		       "--allow-host-bridge");
	else if (r.reason == P2PBUF_REACH_HOST_BRIDGE_ALLOWED)
		say(d, "through a host bridge (or CPU) the kernel knows to "
		       "forward peer traffic");
	else if (r.reason == P2PBUF_REACH_SWITCH)
		say(d, "below a common PCIe switch, by bus address");
	return 0;
}

static int alloc_fill(struct demo *d, uint32_t seed)
{
	const char *mode;
	void *map;
	uint64_t i;
	int ret;

	step(d, "Allocating 2 pages from provider %" PRIu32 ", filling them",
	     d->provider);
	ret = p2pbuf_buffer_alloc(d->ctx, d->provider, 2ULL * d->page_size, 0,
				  &d->buf);
	if (ret) {
		d->buf = NULL;
		return demo_fail(d, P2PCTL_EXIT_FAILED, "buffer alloc: %s",
				 p2pbuf_strerror(ret));
	}
	d->size = p2pbuf_buffer_get_size(d->buf);
	ret = p2pbuf_buffer_mmap(d->buf, 0, 0, &map);
	if (ret)
		return demo_fail(d, P2PCTL_EXIT_FAILED, "buffer mmap: %s",
				 p2pbuf_strerror(ret));
	d->map = map;
	mode = p2pbuf_cache_mode_name(p2pbuf_buffer_get_cache_mode(d->buf));
	say(d, "buffer %" PRIu32 ": %" PRIu64 " bytes, mapped %s at %p",
	    p2pbuf_buffer_get_handle(d->buf), d->size, mode ? mode : "?", map);
	for (i = 0; i < d->page_size; i++)
		d->map[i] = pattern(seed, i);
	for (i = d->page_size; i < d->size; i++)
		d->map[i] = POISON;
	/* Out of the write-combining buffers before the device reads. */
	__sync_synchronize();
	say(d, "page 0: pattern (seed %#010" PRIx32 "); page 1: %#04x bytes",
	    seed, POISON);
	return 0;
}

static int map_for_edu(struct demo *d, struct p2pbuf_segment **segsp,
		       uint32_t *np)
{
	struct p2pbuf_sgl_info info;
	struct p2pbuf_segment *segs;
	const char *name;
	uint32_t n = 0;
	int ret;

	step(d, "Mapping the buffer for DMA by edu %s (a dma-sgl)", d->edu);
	ret = p2pbuf_map(d->ctx, (uintptr_t)d->map, d->size, &d->edu_target,
			 P2PBUF_DMA_BIDIRECTIONAL, 0, &d->sgl);
	if (ret) {
		d->sgl = NULL;
		return demo_fail(d,
				 ret == -EXDEV ? P2PCTL_EXIT_UNREACHABLE :
						 P2PCTL_EXIT_FAILED,
				 "map: %s", p2pbuf_strerror(ret));
	}
	ret = p2pbuf_sgl_info(d->sgl, &info, sizeof(info));
	if (!ret)
		ret = p2pbuf_sgl_segments(d->sgl, NULL, 0, &n, 0);
	segs = calloc(n ? n : 1, sizeof(*segs));
	if (!ret && !segs)
		ret = -ENOMEM;
	if (!ret)
		ret = p2pbuf_sgl_segments(d->sgl, segs, n, &n, 0);
	if (ret) {
		free(segs);
		return demo_fail(d,
				 ret == -EPERM ? P2PCTL_EXIT_PERM :
						 P2PCTL_EXIT_FAILED,
				 "segments: %s", p2pbuf_strerror(ret));
	}
	d->map_type = info.map_type;
	name = p2pbuf_map_type_name(info.map_type);
	say(d, "fd %d, map type %s, %" PRIu32 " segment%s:",
	    p2pbuf_sgl_get_fd(d->sgl), name ? name : "unknown", n,
	    n == 1 ? "" : "s");
	p2pctl_print_segments(d->p->out, segs, n, false, 6);
	if (info.map_type == P2PBUF_MAP_TYPE_BUS_ADDR && d->iommu) {
		say(d, "PCI bus addresses: on hardware the switch routes these "
		       "to the BAR itself.");
		say(d, "QEMU sends all DMA up to the root complex, where the "
		       "IOMMU refuses");
		say(d, "them: in the rig this works only with the IOMMU off or "
		       "in passthrough.");
	}
	*segsp = segs;
	*np = n;
	return 0;
}

static int run_dma(struct demo *d, const struct p2pbuf_segment *segs,
		   uint32_t n)
{
	uint64_t src, dst;
	int ret;

	step(d, "edu copies %d bytes: page 0 -> edu memory %#llx -> page 1",
	     EDU_DMA_LEN, EDU_BUF_ADDR);
	if (dma_at(segs, n, 0, EDU_DMA_LEN, &src) ||
	    dma_at(segs, n, d->page_size, EDU_DMA_LEN, &dst))
		return demo_fail(d, P2PCTL_EXIT_FAILED,
				 "a page straddles two DMA segments");
	ret = edu_enable(d);
	if (!ret)
		ret = edu_map(d);
	if (ret)
		return ret;
	ret = p2pbuf_sgl_sync(d->sgl, P2PBUF_SYNC_F_FOR_DEVICE);
	if (ret)
		return demo_fail(d, P2PCTL_EXIT_FAILED, "sync: %s",
				 p2pbuf_strerror(ret));
	ret = edu_dma(d, src, EDU_BUF_ADDR, 0);
	if (!ret)
		ret = edu_dma(d, EDU_BUF_ADDR, dst, EDU_DMA_TO_RAM);
	if (ret)
		return ret;
	ret = p2pbuf_sgl_sync(d->sgl, P2PBUF_SYNC_F_FOR_CPU);
	if (ret)
		return demo_fail(d, P2PCTL_EXIT_FAILED, "sync: %s",
				 p2pbuf_strerror(ret));
	return 0;
}

static int verify(struct demo *d, uint32_t seed)
{
	uint64_t i, bad = 0, first = 0, zeros = 0, poison = 0;
	uint8_t got, want;

	step(d, "Verifying buffer page 1 through the CPU mapping");
	for (i = 0; i <= EDU_DMA_LEN; i++) {
		got = d->map[d->page_size + i];
		/* The byte after the transfer must be untouched. */
		want = i < EDU_DMA_LEN ? pattern(seed, i) : POISON;
		if (got == want)
			continue;
		if (!bad++)
			first = i;
		zeros += !got;
		poison += got == POISON;
	}
	if (!bad) {
		say(d,
		    "all %d bytes match page 0; the byte after them is "
		    "untouched",
		    EDU_DMA_LEN);
		return 0;
	}
	say(d,
	    "%" PRIu64 " of %d bytes differ, the first at offset %" PRIu64
	    ": %#04x, expected %#04x",
	    bad, EDU_DMA_LEN + 1, first, d->map[d->page_size + first],
	    first < EDU_DMA_LEN ? pattern(seed, first) : POISON);
	if (poison == bad)
		say(d,
		    "page 1 still holds its %#04x bytes: edu's writes never "
		    "arrived",
		    POISON);
	else if (zeros == bad)
		say(d, "they read as zeros: edu's reads were refused (QEMU "
		       "then reads zeros)");
	if (poison == bad || zeros == bad)
		say(d, "an IOMMU fault? (the kernel log says: DMAR ... fault)");
	return demo_fail(d, P2PCTL_EXIT_FAILED,
			 "the data edu copied does not match");
}

/* Undo everything, in reverse; a failure here fails the demo too. */
static int cleanup(struct demo *d, int status)
{
	int ret;

	d->step = NR_STEPS - 1;
	step(d, "Cleaning up");
	if (d->mmio)
		munmap((void *)d->mmio, EDU_BAR0_SIZE);
	if (d->cmd_saved) {
		if (pwrite(d->cfg_fd, &d->saved_cmd, sizeof(d->saved_cmd),
			   PCI_COMMAND) != sizeof(d->saved_cmd))
			status = demo_fail(
				d, P2PCTL_EXIT_FAILED,
				"%s: cannot restore the command register",
				d->edu);
		else
			say(d, "edu command register restored to %#06x",
			    d->saved_cmd);
	}
	if (d->cfg_fd >= 0)
		close(d->cfg_fd);
	if (d->sgl) {
		p2pbuf_sgl_close(d->sgl);
		say(d, "dma-sgl closed (the DMA mapping is gone)");
	}
	if (d->map)
		p2pbuf_buffer_munmap(d->buf, (void *)d->map, d->size);
	if (d->buf) {
		ret = p2pbuf_buffer_free(d->buf);
		if (ret)
			status = demo_fail(d, P2PCTL_EXIT_FAILED,
					   "buffer free: %s",
					   p2pbuf_strerror(ret));
		else
			say(d, "buffer unmapped and freed");
	}
	if (d->provider_added) {
		ret = p2pbuf_provider_del(d->ctl, d->provider, 0);
		if (ret)
			status = demo_fail(d, P2PCTL_EXIT_FAILED,
					   "provider del %" PRIu32 ": %s",
					   d->provider, p2pbuf_strerror(ret));
		else
			say(d, "provider %" PRIu32 " removed", d->provider);
	}
	p2pbuf_ctl_free(d->ctl);
	p2pbuf_ctx_unref(d->ctx);
	return status;
}

int p2pctl_demo(const struct p2pctl *p, const struct p2pctl_demo_opts *o)
{
	struct demo d = {
		.p = p,
		.sysfs = p->sysfs_pci ? p->sysfs_pci : SYSFS_PCI,
		.cfg_fd = -1,
	};
	uint32_t seed = (uint32_t)time(NULL) ^ ((uint32_t)getpid() << 16);
	struct p2pbuf_segment *segs = NULL;
	const char *name;
	uint32_t n = 0;
	int ret;

	ret = find_devices(&d, o);
	if (!ret)
		ret = open_driver(&d, o->device);
	if (!ret)
		ret = add_provider(&d);
	if (!ret)
		ret = ask_reach(&d);
	if (!ret)
		ret = alloc_fill(&d, seed);
	if (!ret)
		ret = map_for_edu(&d, &segs, &n);
	if (!ret)
		ret = run_dma(&d, segs, n);
	if (!ret)
		ret = verify(&d, seed);
	free(segs);
	if (d.ctx)
		ret = cleanup(&d, ret);
	name = p2pbuf_map_type_name(d.map_type);
	if (ret) {
		fprintf(p->out, "FAIL: p2pctl demo (exit status %d)\n", ret);
		return ret;
	}
	fprintf(p->out,
		"PASS: edu %s moved %d bytes from ivshmem %s BAR %d and back\n"
		"      by DMA (map type %s), verified through the CPU mapping\n",
		d.edu, EDU_DMA_LEN, d.ivshmem, IVSHMEM_BAR,
		name ? name : "unknown");
	return P2PCTL_EXIT_OK;
}

static int cmd_demo(const struct p2pctl *p, const struct p2pctl_cmd *cmd,
		    int argc, char **argv)
{
	static const struct option opts[] = {
		{ "edu", required_argument, NULL, 'e' },
		{ "ivshmem", required_argument, NULL, 'i' },
		{ "device", required_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	char edu[P2PBUF_PCI_ADDR_STRLEN], ivshmem[P2PBUF_PCI_ADDR_STRLEN];
	struct p2pctl_demo_opts o = { .device = P2PBUF_DEFAULT_DEVICE };
	int c, ret;

	optind = 0;
	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (c) {
		case 'e':
			ret = p2pctl_pci_addr_arg(p, cmd, optarg, edu);
			if (ret)
				return ret;
			o.edu = edu;
			break;
		case 'i':
			ret = p2pctl_pci_addr_arg(p, cmd, optarg, ivshmem);
			if (ret)
				return ret;
			o.ivshmem = ivshmem;
			break;
		case 'd':
			o.device = optarg;
			break;
		default:
			return p2pctl_opt_other(p, cmd, c, argv);
		}
	}
	ret = p2pctl_no_more_args(p, cmd, argc, argv);
	if (ret)
		return ret;
	return p2pctl_demo(p, &o);
}

static const struct p2pctl_cmd demo_cmds[] = {
	{
		.noun = "demo",
		.run = cmd_demo,
		.args = "[--edu PCI-ADDRESS] [--ivshmem PCI-ADDRESS] [--device PATH]",
		.summary =
			"On the QEMU rig: edu copies ivshmem memory by peer-to-peer DMA",
		.options =
			"  --edu PCI-ADDRESS      the edu device (default: the first 1234:11e8)\n"
			"  --ivshmem PCI-ADDRESS  the ivshmem device whose BAR 2 is the memory\n"
			"                         (default: the first 1af4:1110)\n"
			"  --device PATH          use PATH instead of /dev/p2pbuf\n"
			"  Registers the BAR as a provider, allocates a buffer, maps it for edu,\n"
			"  has edu copy 4095 bytes out of it and back by DMA and verifies them\n"
			"  through the CPU mapping; cleans up.  Needs root (CAP_SYS_ADMIN,\n"
			"  CAP_SYS_RAWIO, edu's sysfs files); takes over edu while it runs.\n",
		.no_json = true,
	},
};

const struct p2pctl_noun p2pctl_noun_demo = {
	.name = "demo",
	.cmds = demo_cmds,
	.nr_cmds = ARRAY_SIZE(demo_cmds),
};
