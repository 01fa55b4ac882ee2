// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Host tests of libp2pbuf's dma-sgl calls (LIBP2PBUF_4), as far as they are
 * the library's own: PCI target parsing and formatting, the enum names,
 * argument checks, -EOPNOTSUPP on a driver without P2PBUF_FEATURE_DMA_SGL,
 * and the plumbing -- the requests the library builds, which fd they go
 * to, how replies and errors come back, who owns the dma-sgl fd, how
 * p2pbuf_sgl_wait() (LIBP2PBUF_5) polls it.  The
 * replies are scripted here (fake-info.c); what the driver answers is
 * tested in the VM only.
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <linux/p2pbuf.h>

#include "fake-info.h"
#include "libp2pbuf.h"
#include "util.h"

#define FAKE_DEV "/dev/null"

/* Stored in a pointer before a call that must not set it. */
static char untouched_marker;
#define UNTOUCHED ((struct p2pbuf_sgl *)&untouched_marker)

static const struct p2pbuf_pci_target edu = { .bus = 0, .devfn = 3 << 3 };

static struct p2pbuf_ctx *open_fake(uint64_t features)
{
	struct p2pbuf_ctx *ctx;

	fake_info_reset();
	fake_info.reply.features = features;
	ck_assert_int_eq(p2pbuf_ctx_new(FAKE_DEV, &ctx), 0);
	return ctx;
}

/* --- PCI targets -------------------------------------------------------- */

static const struct {
	const char *s;
	uint32_t domain;
	uint8_t bus, devfn;
} good_targets[] = {
	{ "0000:00:04.0", 0, 0, 0x20 },
	{ "00:04.0", 0, 0, 0x20 },
	{ "0001:3A:1f.7", 1, 0x3a, 0xff },
	{ "ffff:ff:1f.7", 0xffff, 0xff, 0xff },
	{ "ABCD:eF:1F.6", 0xabcd, 0xef, 0xfe },
	{ "10000:e0:00.0", 0x10000, 0xe0, 0 }, /* VMD: sysfs prints 5 digits */
	{ "ffffffff:00:00.1", 0xffffffff, 0, 1 },
	{ "00000000:01:02.3", 0, 1, 0x13 },
	{ "ff:00.0", 0, 0xff, 0 },
};

static const char *const bad_targets[] = {
	"",
	"0:00:04.0", /* the domain has 4 to 8 digits */
	"000:00:04.0",
	"000000000:00:04.0",
	"0000:0:04.0", /* bus: exactly 2 */
	"0000:000:04.0",
	"0000:00:4.0", /* device: exactly 2 */
	"0000:00:004.0",
	"0000:00:04.", /* function: exactly 1 */
	"0000:00:04.00",
	"0000:00:04.8", /* function > 7 */
	"0000:00:20.0", /* device > 0x1f */
	"0000:00:ff.0",
	"0000:00:04",
	"00:04",
	"04.0",
	"0000:00.04.0",
	"0000:00:04:0",
	"0000::04.0",
	":00:04.0",
	"0000:00:04.0:0",
	"0000:0000:00:04.0",
	"00:04.0.1",
	" 0000:00:04.0",
	"0000:00:04.0 ",
	"0000:00:04.0\n",
	"0x00:04.0",
	"0000:0x:04.0",
	"+000:00:04.0",
	"-000:00:04.0",
	"g000:00:04.0",
	"0000:00:0g.0",
	"\xc3\xa9"
	"00:00:04.0",
};

START_TEST(test_target_parse_good)
{
	struct p2pbuf_pci_target t;

	memset(&t, 0xa5, sizeof(t));
	ck_assert_msg(p2pbuf_pci_target_parse(good_targets[_i].s, &t) == 0,
		      "'%s' refused", good_targets[_i].s);
	ck_assert_uint_eq(t.domain, good_targets[_i].domain);
	ck_assert_uint_eq(t.bus, good_targets[_i].bus);
	ck_assert_uint_eq(t.devfn, good_targets[_i].devfn);
	ck_assert_uint_eq(t.reserved, 0);
}
END_TEST

START_TEST(test_target_parse_bad)
{
	struct p2pbuf_pci_target t, before;

	memset(&t, 0x5a, sizeof(t));
	before = t;
	ck_assert_msg(p2pbuf_pci_target_parse(bad_targets[_i], &t) == -EINVAL,
		      "'%s' accepted", bad_targets[_i]);
	ck_assert_mem_eq(&t, &before, sizeof(t));
}
END_TEST

START_TEST(test_target_parse_null)
{
	struct p2pbuf_pci_target t;

	ck_assert_int_eq(p2pbuf_pci_target_parse(NULL, &t), -EINVAL);
	ck_assert_int_eq(p2pbuf_pci_target_parse("00:04.0", NULL), -EINVAL);
}
END_TEST

/*
 * Every bus, device and function, both ways, in a few domains: 327680
 * names.  Each is compared without ck_assert(), which records its place
 * for every check that passes (a write to Check's channel each time,
 * seconds of system time on a loaded machine); a mismatch fails the test
 * with the name, as the assertion would.
 */
START_TEST(test_target_roundtrip_all)
{
	static const uint32_t domains[] = { 0, 1, 0xffff, 0x10000, 0xffffffff };
	char s[P2PBUF_PCI_TARGET_STRLEN], want[32];
	struct p2pbuf_pci_target t, u;
	unsigned int d, bus, devfn;
	int ret;

	for (d = 0; d < sizeof(domains) / sizeof(domains[0]); d++) {
		for (bus = 0; bus < 256; bus++) {
			for (devfn = 0; devfn < 256; devfn++) {
				t = (struct p2pbuf_pci_target){
					.domain = domains[d],
					.bus = bus,
					.devfn = devfn,
				};
				ret = p2pbuf_pci_target_format(&t, s,
							       sizeof(s));
				if (ret)
					ck_abort_msg(
						"format %04x:%02x:%02x.%x: %d",
						domains[d], bus, devfn >> 3,
						devfn & 7, ret);
				snprintf(want, sizeof(want),
					 "%04x:%02x:%02x.%x", domains[d], bus,
					 devfn >> 3, devfn & 7);
				if (strcmp(s, want))
					ck_abort_msg(
						"formatted '%s', want '%s'", s,
						want);
				ret = p2pbuf_pci_target_parse(s, &u);
				if (ret || memcmp(&t, &u, sizeof(t)))
					ck_abort_msg(
						"'%s' parsed: %d, %04x:%02x:%02x",
						s, ret, u.domain, u.bus,
						u.devfn);
				if (domains[d])
					continue;
				/* The short form names the same function. */
				ret = p2pbuf_pci_target_parse(s + 5, &u);
				if (ret || memcmp(&t, &u, sizeof(t)))
					ck_abort_msg(
						"'%s' parsed: %d, %04x:%02x:%02x",
						s + 5, ret, u.domain, u.bus,
						u.devfn);
			}
		}
	}
}
END_TEST

START_TEST(test_target_format)
{
	struct p2pbuf_pci_target t = { .domain = 0, .bus = 0, .devfn = 0x20 };
	char s[P2PBUF_PCI_TARGET_STRLEN];

	ck_assert_int_eq(p2pbuf_pci_target_format(&t, s, 13), 0);
	ck_assert_str_eq(s, "0000:00:04.0");
	/* Too small: -ENOSPC and an empty string, never a truncated name. */
	memset(s, 'x', sizeof(s));
	ck_assert_int_eq(p2pbuf_pci_target_format(&t, s, 12), -ENOSPC);
	ck_assert_str_eq(s, "");
	memset(s, 'x', sizeof(s));
	ck_assert_int_eq(p2pbuf_pci_target_format(&t, s, 0), -ENOSPC);
	ck_assert_int_eq(s[0], 'x');
	/* The longest name fits P2PBUF_PCI_TARGET_STRLEN exactly. */
	t = (struct p2pbuf_pci_target){ 0xffffffff, 0xff, 0xff, 0 };
	ck_assert_int_eq(p2pbuf_pci_target_format(&t, s, sizeof(s)), 0);
	ck_assert_str_eq(s, "ffffffff:ff:1f.7");
	ck_assert_uint_eq(strlen(s) + 1, P2PBUF_PCI_TARGET_STRLEN);
	ck_assert_int_eq(p2pbuf_pci_target_format(&t, s, sizeof(s) - 1),
			 -ENOSPC);

	t.reserved = 1;
	ck_assert_int_eq(p2pbuf_pci_target_format(&t, s, sizeof(s)), -EINVAL);
	ck_assert_int_eq(p2pbuf_pci_target_format(NULL, s, sizeof(s)), -EINVAL);
	t.reserved = 0;
	ck_assert_int_eq(p2pbuf_pci_target_format(&t, NULL, sizeof(s)),
			 -EINVAL);
}
END_TEST

/* --- names -------------------------------------------------------------- */

START_TEST(test_names)
{
	uint32_t v;

	ck_assert_str_eq(p2pbuf_map_type_name(P2PBUF_MAP_TYPE_BUS_ADDR),
			 "bus-addr");
	ck_assert_str_eq(p2pbuf_map_type_name(P2PBUF_MAP_TYPE_IOMMU), "iommu");
	ck_assert_str_eq(p2pbuf_map_type_name(P2PBUF_MAP_TYPE_DIRECT),
			 "direct");
	ck_assert_str_eq(p2pbuf_map_type_name(P2PBUF_MAP_TYPE_MIXED), "mixed");

	ck_assert_str_eq(p2pbuf_reach_reason_name(P2PBUF_REACH_HOST_MEMORY),
			 "host-memory");
	ck_assert_str_eq(p2pbuf_reach_reason_name(P2PBUF_REACH_SWITCH),
			 "switch");
	ck_assert_str_eq(
		p2pbuf_reach_reason_name(P2PBUF_REACH_HOST_BRIDGE_ALLOWED),
		"host-bridge-allowed");
	ck_assert_str_eq(
		p2pbuf_reach_reason_name(P2PBUF_REACH_HOST_BRIDGE_ADMIN),
		"host-bridge-admin");
	ck_assert_str_eq(p2pbuf_reach_reason_name(P2PBUF_UNREACH_HOST_BRIDGE),
			 "host-bridge-refused");
	ck_assert_str_eq(p2pbuf_reach_reason_name(P2PBUF_UNREACH_SAME_DEVICE),
			 "same-device");
	ck_assert_str_eq(p2pbuf_reach_reason_name(P2PBUF_UNREACH_DMA_MASK),
			 "dma-mask");
	ck_assert_str_eq(p2pbuf_reach_reason_name(P2PBUF_UNREACH_P2PDMA),
			 "p2pdma");
	ck_assert_str_eq(p2pbuf_reach_reason_name(P2PBUF_UNREACH_USER_DRIVER),
			 "user-driver");

	ck_assert_str_eq(p2pbuf_dma_dir_name(P2PBUF_DMA_TO_DEVICE),
			 "to-device");
	ck_assert_str_eq(p2pbuf_dma_dir_name(P2PBUF_DMA_FROM_DEVICE),
			 "from-device");
	ck_assert_str_eq(p2pbuf_dma_dir_name(P2PBUF_DMA_BIDIRECTIONAL),
			 "bidirectional");

	/* Everything else is unknown: NULL, never a made-up name. */
	for (v = 0; v < 300; v++) {
		if (v < P2PBUF_MAP_TYPE_BUS_ADDR || v > P2PBUF_MAP_TYPE_MIXED)
			ck_assert_ptr_null(p2pbuf_map_type_name(v));
		if ((v < P2PBUF_REACH_HOST_MEMORY ||
		     v > P2PBUF_REACH_HOST_BRIDGE_ADMIN) &&
		    (v < P2PBUF_UNREACH_HOST_BRIDGE ||
		     v > P2PBUF_UNREACH_USER_DRIVER))
			ck_assert_ptr_null(p2pbuf_reach_reason_name(v));
		if (v < P2PBUF_DMA_TO_DEVICE || v > P2PBUF_DMA_BIDIRECTIONAL)
			ck_assert_ptr_null(p2pbuf_dma_dir_name(v));
	}
	ck_assert_ptr_null(p2pbuf_map_type_name(UINT32_MAX));
	ck_assert_ptr_null(p2pbuf_reach_reason_name(UINT32_MAX));
	ck_assert_ptr_null(p2pbuf_dma_dir_name(UINT32_MAX));
	ck_assert_str_eq(p2pbuf_feature_name(P2PBUF_FEATURE_DMA_SGL),
			 "dma_sgl");
}
END_TEST

/* --- the feature bit and argument checks -------------------------------- */

START_TEST(test_no_feature)
{
	struct p2pbuf_ctx *ctx = open_fake(P2PBUF_FEATURE_BUFFERS);
	struct p2pbuf_sgl *sgl = UNTOUCHED;
	struct p2pbuf_reach_info r;

	fake_info.other_calls = 0;
	ck_assert_int_eq(p2pbuf_map(ctx, 0x10000, 4096, &edu,
				    P2PBUF_DMA_TO_DEVICE, 0, &sgl),
			 -EOPNOTSUPP);
	ck_assert_ptr_eq(sgl, UNTOUCHED);
	ck_assert_int_eq(p2pbuf_reach(ctx, 0, &edu, &r, sizeof(r)),
			 -EOPNOTSUPP);
	/* Refused by the library: the driver was never asked. */
	ck_assert_uint_eq(fake_info.other_calls, 0);
	ck_assert_uint_eq(fake_info.calls, 1);
	p2pbuf_ctx_unref(ctx);
}
END_TEST

static int never_called(int fd, unsigned long request, void *arg)
{
	ck_abort_msg("ioctl %#lx reached the driver", request);
	return -1;
}

START_TEST(test_map_args)
{
	struct p2pbuf_ctx *ctx = open_fake(P2PBUF_FEATURE_DMA_SGL);
	struct p2pbuf_sgl *sgl = UNTOUCHED;

	fake_info.other = never_called;
	ck_assert_int_eq(p2pbuf_map(NULL, 0x10000, 4096, &edu,
				    P2PBUF_DMA_TO_DEVICE, 0, &sgl),
			 -EINVAL);
	ck_assert_int_eq(p2pbuf_map(ctx, 0x10000, 4096, NULL,
				    P2PBUF_DMA_TO_DEVICE, 0, &sgl),
			 -EINVAL);
	ck_assert_int_eq(p2pbuf_map(ctx, 0x10000, 4096, &edu,
				    P2PBUF_DMA_TO_DEVICE, 0, NULL),
			 -EINVAL);
	ck_assert_int_eq(p2pbuf_map(ctx, 0x10000, 4096, &edu, 0, 0, &sgl),
			 -EINVAL);
	ck_assert_int_eq(p2pbuf_map(ctx, 0x10000, 4096, &edu,
				    (enum p2pbuf_dma_dir)4, 0, &sgl),
			 -EINVAL);
	ck_assert_int_eq(p2pbuf_map(ctx, 0x10000, 4096, &edu,
				    P2PBUF_DMA_TO_DEVICE, 2, &sgl),
			 -EINVAL);
	ck_assert_int_eq(p2pbuf_map(ctx, 0x10000, 4096, &edu,
				    P2PBUF_DMA_TO_DEVICE, 1U << 31, &sgl),
			 -EINVAL);
	ck_assert_ptr_eq(sgl, UNTOUCHED);
	ck_assert_uint_eq(fake_info.other_calls, 0);
	p2pbuf_ctx_unref(ctx);
}
END_TEST

START_TEST(test_reach_args)
{
	struct p2pbuf_ctx *ctx = open_fake(P2PBUF_FEATURE_DMA_SGL);
	struct p2pbuf_reach_info r;

	fake_info.other = never_called;
	ck_assert_int_eq(p2pbuf_reach(NULL, 0, &edu, &r, sizeof(r)), -EINVAL);
	ck_assert_int_eq(p2pbuf_reach(ctx, 0, NULL, &r, sizeof(r)), -EINVAL);
	ck_assert_int_eq(p2pbuf_reach(ctx, 0, &edu, NULL, sizeof(r)), -EINVAL);
	/* Smaller than the first layout. */
	ck_assert_int_eq(p2pbuf_reach(ctx, 0, &edu, &r, sizeof(r) - 1),
			 -EINVAL);
	ck_assert_int_eq(p2pbuf_reach(ctx, 0, &edu, &r, 0), -EINVAL);
	ck_assert_uint_eq(fake_info.other_calls, 0);
	p2pbuf_ctx_unref(ctx);
}
END_TEST

START_TEST(test_null_sgl)
{
	struct p2pbuf_segment seg;
	struct p2pbuf_sgl_info info;
	uint32_t nr = 77;

	p2pbuf_sgl_close(NULL);
	ck_assert_int_eq(p2pbuf_sgl_get_fd(NULL), -EINVAL);
	ck_assert_int_eq(p2pbuf_sgl_info(NULL, &info, sizeof(info)), -EINVAL);
	ck_assert_int_eq(p2pbuf_sgl_segments(NULL, &seg, 1, &nr, 0), -EINVAL);
	ck_assert_int_eq(p2pbuf_sgl_sync(NULL, P2PBUF_SYNC_F_FOR_CPU), -EINVAL);
	ck_assert_uint_eq(nr, 77);
}
END_TEST

/* --- plumbing, against scripted replies --------------------------------- */

/* What the scripted driver saw and answers. */
static struct {
	unsigned long request;
	int fd;
	union {
		struct p2pbuf_map map;
		struct p2pbuf_reach reach;
		struct p2pbuf_segments segs;
		struct p2pbuf_sync sync;
		struct p2pbuf_export exp;
	} req;
	int error; /* fail with this errno */
	int sgl_fd; /* MAP's answer */
	uint32_t nr_segments; /* SEGMENTS' answer */
} drv;

static int scripted(int fd, unsigned long request, void *arg)
{
	struct p2pbuf_segment *useg;
	struct p2pbuf_segments *s;
	struct p2pbuf_reach *r;
	struct p2pbuf_map *m;
	uint32_t i;

	drv.request = request;
	drv.fd = fd;
	switch (request) {
	case P2PBUF_IOC_MAP:
		m = arg;
		drv.req.map = *m;
		if (drv.error)
			break;
		m->sgl_fd = drv.sgl_fd;
		m->nr_segments = 3;
		m->map_type = P2PBUF_MAP_TYPE_IOMMU;
		return 0;
	case P2PBUF_IOC_REACH:
		r = arg;
		drv.req.reach = *r;
		if (drv.error)
			break;
		r->reason = P2PBUF_REACH_HOST_BRIDGE_ADMIN;
		r->map_type = P2PBUF_MAP_TYPE_IOMMU;
		r->distance = 4;
		return 0;
	case P2PBUF_IOC_SEGMENTS:
		s = arg;
		drv.req.segs = *s;
		if (drv.error && drv.error != EMSGSIZE)
			break;
		/* Like the kernel: the description even with EMSGSIZE. */
		s->nr_segments = drv.nr_segments;
		s->length = 3 * 4096;
		s->map_type = P2PBUF_MAP_TYPE_IOMMU;
		s->state = P2PBUF_SGL_STATE_MAPPED;
		s->direction = P2PBUF_DMA_FROM_DEVICE;
		s->generation = 1;
		s->target = edu;
		if (drv.error)
			break;
		useg = (struct p2pbuf_segment *)(uintptr_t)s->segments;
		for (i = 0; useg && i < drv.nr_segments && i < s->capacity;
		     i++) {
			useg[i].dma_addr =
				s->flags & P2PBUF_SEGMENTS_F_LENGTHS_ONLY ?
					0 :
					0xfff00000 + i * 0x10000;
			useg[i].length = 4096;
		}
		return 0;
	case P2PBUF_IOC_SYNC:
		drv.req.sync = *(struct p2pbuf_sync *)arg;
		if (drv.error)
			break;
		return 0;
	case P2PBUF_IOC_ALLOC:
		/* A 64 KiB buffer, handle 7 (the error is EXPORT's). */
		((struct p2pbuf_alloc *)arg)->length = 65536;
		((struct p2pbuf_alloc *)arg)->handle = 7;
		((struct p2pbuf_alloc *)arg)->cache_mode = P2PBUF_CACHE_WB;
		return 0;
	case P2PBUF_IOC_EXPORT:
		drv.req.exp = *(struct p2pbuf_export *)arg;
		if (drv.error)
			break;
		((struct p2pbuf_export *)arg)->dmabuf_fd = drv.sgl_fd;
		((struct p2pbuf_export *)arg)->id = 9;
		return 0;
	default:
		ck_abort_msg("unexpected ioctl %#lx", request);
	}
	errno = drv.error;
	return -1;
}

static struct p2pbuf_ctx *scripted_ctx(void)
{
	struct p2pbuf_ctx *ctx = open_fake(P2PBUF_FEATURE_DMA_SGL);

	memset(&drv, 0, sizeof(drv));
	drv.sgl_fd = -1;
	fake_info.other = scripted;
	return ctx;
}

/* A dma-sgl whose fd is a real one, so that its closing can be seen. */
static struct p2pbuf_sgl *scripted_sgl(struct p2pbuf_ctx *ctx)
{
	struct p2pbuf_sgl *sgl;

	drv.sgl_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	ck_assert_int_ge(drv.sgl_fd, 0);
	ck_assert_int_eq(p2pbuf_map(ctx, 0x7f0000000000, 3 * 4096, &edu,
				    P2PBUF_DMA_FROM_DEVICE, 0, &sgl),
			 0);
	return sgl;
}

START_TEST(test_map_request)
{
	struct p2pbuf_ctx *ctx = scripted_ctx();
	struct p2pbuf_pci_target t = { .domain = 0x10000,
				       .bus = 0xe0,
				       .devfn = 0x11 };
	struct p2pbuf_sgl *sgl;
	int fd = open("/dev/null", O_RDONLY);

	ck_assert_int_ge(fd, 0);
	drv.sgl_fd = fd;
	ck_assert_int_eq(p2pbuf_map(ctx, 0x7f0000001000, 8192, &t,
				    P2PBUF_DMA_BIDIRECTIONAL,
				    P2PBUF_MAP_F_NO_CLOEXEC, &sgl),
			 0);
	ck_assert_uint_eq(drv.request, P2PBUF_IOC_MAP);
	ck_assert_int_eq(drv.fd, p2pbuf_ctx_get_fd(ctx));
	ck_assert_uint_eq(drv.req.map.size, sizeof(struct p2pbuf_map));
	ck_assert_uint_eq(drv.req.map.flags, P2PBUF_MAP_F_NO_CLOEXEC);
	ck_assert_uint_eq(drv.req.map.addr, 0x7f0000001000);
	ck_assert_uint_eq(drv.req.map.length, 8192);
	ck_assert_mem_eq(&drv.req.map.target, &t, sizeof(t));
	ck_assert_uint_eq(drv.req.map.direction, P2PBUF_DMA_BIDIRECTIONAL);
	ck_assert_uint_eq(drv.req.map.reserved[0] | drv.req.map.reserved[1], 0);
	ck_assert_int_eq(p2pbuf_sgl_get_fd(sgl), fd);
	p2pbuf_sgl_close(sgl);
	p2pbuf_ctx_unref(ctx);
}
END_TEST

/* p2pbuf_buffer_export(): the request, the defaults, the errors. */
START_TEST(test_export_request)
{
	struct p2pbuf_ctx *ctx = open_fake(P2PBUF_FEATURE_BUFFERS |
					   P2PBUF_FEATURE_DMABUF_EXPORT);
	struct p2pbuf_buffer *buf;
	uint32_t id = 0;
	int fd = -1;

	memset(&drv, 0, sizeof(drv));
	drv.sgl_fd = 42;
	fake_info.other = scripted;
	ck_assert_int_eq(p2pbuf_buffer_alloc(ctx, 0, 65536, 0, &buf), 0);
	ck_assert_int_eq(p2pbuf_buffer_export(buf, 4096, 0,
					      P2PBUF_EXPORT_F_NO_CLOEXEC, &fd,
					      &id),
			 0);
	ck_assert_uint_eq(drv.request, P2PBUF_IOC_EXPORT);
	ck_assert_uint_eq(drv.req.exp.size, sizeof(struct p2pbuf_export));
	ck_assert_uint_eq(drv.req.exp.flags, P2PBUF_EXPORT_F_NO_CLOEXEC);
	ck_assert_uint_eq(drv.req.exp.handle, 7);
	ck_assert_uint_eq(drv.req.exp.offset, 4096);
	/* Length 0: to the end of the buffer. */
	ck_assert_uint_eq(drv.req.exp.length, 65536 - 4096);
	ck_assert_int_eq(fd, 42);
	ck_assert_uint_eq(id, 9);
	ck_assert_int_eq(p2pbuf_buffer_export(buf, 65536, 0, 0, &fd, NULL),
			 -ERANGE);
	ck_assert_int_eq(p2pbuf_buffer_export(buf, 0, 4096, 0x8, &fd, NULL),
			 -EINVAL);
	ck_assert_int_eq(p2pbuf_buffer_export(buf, 0, 4096, 0, NULL, NULL),
			 -EINVAL);
	ck_assert_int_eq(p2pbuf_buffer_export(NULL, 0, 4096, 0, &fd, NULL),
			 -EINVAL);
	drv.error = ENODEV;
	fd = -1;
	ck_assert_int_eq(p2pbuf_buffer_export(buf, 0, 4096, 0, &fd, NULL),
			 -ENODEV);
	ck_assert_int_eq(fd, -1);
	drv.error = 0;
	fake_info.other = NULL;
	p2pbuf_buffer_free(buf);
	p2pbuf_ctx_unref(ctx);
}
END_TEST

/* A driver without P2PBUF_FEATURE_DMABUF_EXPORT is not asked. */
START_TEST(test_export_no_feature)
{
	struct p2pbuf_ctx *ctx = open_fake(P2PBUF_FEATURE_BUFFERS);
	struct p2pbuf_buffer *buf;
	int fd = -1;

	memset(&drv, 0, sizeof(drv));
	fake_info.other = scripted;
	ck_assert_int_eq(p2pbuf_buffer_alloc(ctx, 0, 65536, 0, &buf), 0);
	drv.request = 0;
	ck_assert_int_eq(p2pbuf_buffer_export(buf, 0, 0, 0, &fd, NULL),
			 -EOPNOTSUPP);
	ck_assert_uint_eq(drv.request, 0);
	fake_info.other = NULL;
	p2pbuf_buffer_free(buf);
	p2pbuf_ctx_unref(ctx);
}
END_TEST

START_TEST(test_map_owns_fd_and_ctx)
{
	struct p2pbuf_ctx *ctx = scripted_ctx();
	int ctx_fd = p2pbuf_ctx_get_fd(ctx), sgl_fd;
	struct p2pbuf_sgl *sgl = scripted_sgl(ctx);

	sgl_fd = p2pbuf_sgl_get_fd(sgl);
	ck_assert_int_eq(sgl_fd, drv.sgl_fd);
	/* The dma-sgl keeps the context (and its file) alive. */
	ck_assert_ptr_nonnull(p2pbuf_ctx_unref(ctx));
	ck_assert_int_ne(fcntl(ctx_fd, F_GETFD), -1);
	p2pbuf_sgl_close(sgl);
	ck_assert_int_eq(fcntl(sgl_fd, F_GETFD), -1);
	ck_assert_int_eq(fcntl(ctx_fd, F_GETFD), -1);
}
END_TEST

START_TEST(test_map_error_passes_through)
{
	static const int errs[] = { EXDEV, ENODEV, EFAULT, ENXIO, EACCES,
				    E2BIG, ENOSPC, EIO,	   EMFILE };
	struct p2pbuf_ctx *ctx = scripted_ctx();
	int fd = tu_lowest_free_fd();
	struct p2pbuf_sgl *sgl = UNTOUCHED;
	size_t i;

	for (i = 0; i < sizeof(errs) / sizeof(errs[0]); i++) {
		drv.error = errs[i];
		ck_assert_int_eq(p2pbuf_map(ctx, 0x10000, 4096, &edu,
					    P2PBUF_DMA_TO_DEVICE, 0, &sgl),
				 -errs[i]);
		ck_assert_ptr_eq(sgl, UNTOUCHED);
	}
	ck_assert_int_eq(tu_lowest_free_fd(), fd);
	/* A reply without an fd is not a dma-sgl. */
	drv.error = 0;
	drv.sgl_fd = -1;
	ck_assert_int_eq(p2pbuf_map(ctx, 0x10000, 4096, &edu,
				    P2PBUF_DMA_TO_DEVICE, 0, &sgl),
			 -EPROTO);
	ck_assert_ptr_eq(sgl, UNTOUCHED);
	p2pbuf_ctx_unref(ctx);
}
END_TEST

START_TEST(test_sgl_info)
{
	struct p2pbuf_ctx *ctx = scripted_ctx();
	struct p2pbuf_sgl *sgl = scripted_sgl(ctx);
	struct {
		struct p2pbuf_sgl_info info;
		unsigned char tail[16];
	} newer;
	struct p2pbuf_sgl_info info;
	size_t i;

	drv.nr_segments = 3;
	memset(&info, 0xa5, sizeof(info));
	ck_assert_int_eq(p2pbuf_sgl_info(sgl, &info, sizeof(info)), 0);
	/* On the dma-sgl's fd, without a segment array (no capability). */
	ck_assert_uint_eq(drv.request, P2PBUF_IOC_SEGMENTS);
	ck_assert_int_eq(drv.fd, p2pbuf_sgl_get_fd(sgl));
	ck_assert_uint_eq(drv.req.segs.size, sizeof(struct p2pbuf_segments));
	ck_assert_uint_eq(drv.req.segs.segments, 0);
	ck_assert_uint_eq(drv.req.segs.flags, 0);
	ck_assert_uint_eq(info.length, 3 * 4096);
	ck_assert_uint_eq(info.nr_segments, 3);
	ck_assert_uint_eq(info.map_type, P2PBUF_MAP_TYPE_IOMMU);
	ck_assert_uint_eq(info.state, P2PBUF_SGL_STATE_MAPPED);
	ck_assert_uint_eq(info.direction, P2PBUF_DMA_FROM_DEVICE);
	ck_assert_uint_eq(info.generation, 1);
	ck_assert_uint_eq(info.reserved, 0);
	ck_assert_mem_eq(&info.target, &edu, sizeof(edu));

	ck_assert_int_eq(p2pbuf_sgl_info(sgl, NULL, sizeof(info)), -EINVAL);
	ck_assert_int_eq(p2pbuf_sgl_info(sgl, &info, sizeof(info) - 1),
			 -EINVAL);
	memset(&newer, 0xa5, sizeof(newer));
	ck_assert_int_eq(p2pbuf_sgl_info(sgl, &newer.info, sizeof(newer)), 0);
	ck_assert_uint_eq(newer.info.nr_segments, 3);
	for (i = 0; i < sizeof(newer.tail); i++)
		ck_assert_uint_eq(newer.tail[i], 0);

	drv.error = EBADF;
	ck_assert_int_eq(p2pbuf_sgl_info(sgl, &info, sizeof(info)), -EBADF);
	p2pbuf_sgl_close(sgl);
	p2pbuf_ctx_unref(ctx);
}
END_TEST

START_TEST(test_sgl_segments)
{
	struct p2pbuf_ctx *ctx = scripted_ctx();
	struct p2pbuf_sgl *sgl = scripted_sgl(ctx);
	struct p2pbuf_segment segs[4];
	uint32_t nr = 0;

	drv.nr_segments = 3;
	/* The count alone. */
	ck_assert_int_eq(p2pbuf_sgl_segments(sgl, NULL, 0, &nr, 0), 0);
	ck_assert_uint_eq(nr, 3);
	ck_assert_uint_eq(drv.req.segs.segments, 0);
	ck_assert_uint_eq(drv.req.segs.capacity, 0);

	memset(segs, 0, sizeof(segs));
	ck_assert_int_eq(p2pbuf_sgl_segments(sgl, segs, 4, &nr, 0), 0);
	ck_assert_int_eq(drv.fd, p2pbuf_sgl_get_fd(sgl));
	ck_assert_uint_eq(drv.req.segs.size, sizeof(struct p2pbuf_segments));
	ck_assert_uint_eq(drv.req.segs.segments, (uintptr_t)segs);
	ck_assert_uint_eq(drv.req.segs.capacity, 4);
	ck_assert_uint_eq(drv.req.segs.flags, 0);
	ck_assert_uint_eq(nr, 3);
	ck_assert_uint_eq(segs[2].dma_addr, 0xfff20000);
	ck_assert_uint_eq(segs[2].length, 4096);

	ck_assert_int_eq(p2pbuf_sgl_segments(sgl, segs, 4, &nr,
					     P2PBUF_SEGMENTS_F_LENGTHS_ONLY),
			 0);
	ck_assert_uint_eq(drv.req.segs.flags, P2PBUF_SEGMENTS_F_LENGTHS_ONLY);
	ck_assert_uint_eq(segs[1].dma_addr, 0);

	/* Too small: -EMSGSIZE with the number needed. */
	nr = 0;
	drv.error = EMSGSIZE;
	ck_assert_int_eq(p2pbuf_sgl_segments(sgl, segs, 2, &nr, 0), -EMSGSIZE);
	ck_assert_uint_eq(nr, 3);

	/* Other errors leave *nr alone. */
	nr = 77;
	drv.error = EPERM;
	ck_assert_int_eq(p2pbuf_sgl_segments(sgl, segs, 4, &nr, 0), -EPERM);
	ck_assert_uint_eq(nr, 77);

	/* A reply claiming more than fit is not believed. */
	drv.error = 0;
	drv.nr_segments = 4;
	ck_assert_int_eq(p2pbuf_sgl_segments(sgl, segs, 3, &nr, 0), -EPROTO);
	ck_assert_uint_eq(nr, 77);

	/* Refused by the library. */
	fake_info.other = never_called;
	ck_assert_int_eq(p2pbuf_sgl_segments(sgl, segs, 4, NULL, 0), -EINVAL);
	ck_assert_int_eq(p2pbuf_sgl_segments(sgl, NULL, 4, &nr, 0), -EINVAL);
	ck_assert_int_eq(p2pbuf_sgl_segments(sgl, segs, 4, &nr, 2), -EINVAL);
	ck_assert_int_eq(p2pbuf_sgl_segments(sgl, segs, 4, &nr, 1U << 31),
			 -EINVAL);
	ck_assert_uint_eq(nr, 77);
	p2pbuf_sgl_close(sgl);
	p2pbuf_ctx_unref(ctx);
}
END_TEST

START_TEST(test_sgl_sync)
{
	struct p2pbuf_ctx *ctx = scripted_ctx();
	struct p2pbuf_sgl *sgl = scripted_sgl(ctx);

	ck_assert_int_eq(p2pbuf_sgl_sync(sgl, P2PBUF_SYNC_F_FOR_DEVICE), 0);
	ck_assert_uint_eq(drv.request, P2PBUF_IOC_SYNC);
	ck_assert_int_eq(drv.fd, p2pbuf_sgl_get_fd(sgl));
	ck_assert_uint_eq(drv.req.sync.size, sizeof(struct p2pbuf_sync));
	ck_assert_uint_eq(drv.req.sync.flags, P2PBUF_SYNC_F_FOR_DEVICE);
	ck_assert_uint_eq(drv.req.sync.reserved, 0);
	ck_assert_int_eq(p2pbuf_sgl_sync(sgl, P2PBUF_SYNC_F_FOR_CPU), 0);
	ck_assert_uint_eq(drv.req.sync.flags, P2PBUF_SYNC_F_FOR_CPU);
	drv.error = EINVAL;
	ck_assert_int_eq(p2pbuf_sgl_sync(sgl, P2PBUF_SYNC_F_FOR_CPU), -EINVAL);

	/* Exactly one direction. */
	fake_info.other = never_called;
	ck_assert_int_eq(p2pbuf_sgl_sync(sgl, 0), -EINVAL);
	ck_assert_int_eq(p2pbuf_sgl_sync(sgl, P2PBUF_SYNC_F_FOR_CPU |
						      P2PBUF_SYNC_F_FOR_DEVICE),
			 -EINVAL);
	ck_assert_int_eq(p2pbuf_sgl_sync(sgl, 4), -EINVAL);
	p2pbuf_sgl_close(sgl);
	p2pbuf_ctx_unref(ctx);
}
END_TEST

START_TEST(test_reach_request)
{
	struct p2pbuf_ctx *ctx = scripted_ctx();
	struct {
		struct p2pbuf_reach_info info;
		unsigned char tail[8];
	} newer;
	struct p2pbuf_reach_info r;
	size_t i;

	memset(&r, 0xa5, sizeof(r));
	ck_assert_int_eq(p2pbuf_reach(ctx, 7, &edu, &r, sizeof(r)), 0);
	ck_assert_uint_eq(drv.request, P2PBUF_IOC_REACH);
	ck_assert_int_eq(drv.fd, p2pbuf_ctx_get_fd(ctx));
	ck_assert_uint_eq(drv.req.reach.size, sizeof(struct p2pbuf_reach));
	ck_assert_uint_eq(drv.req.reach.flags, 0);
	ck_assert_uint_eq(drv.req.reach.provider_id, 7);
	ck_assert_mem_eq(&drv.req.reach.target, &edu, sizeof(edu));
	ck_assert_uint_eq(r.provider_id, 7);
	ck_assert_uint_eq(r.reason, P2PBUF_REACH_HOST_BRIDGE_ADMIN);
	ck_assert_uint_eq(r.map_type, P2PBUF_MAP_TYPE_IOMMU);
	ck_assert_uint_eq(r.distance, 4);
	ck_assert_mem_eq(&r.target, &edu, sizeof(edu));

	memset(&newer, 0xa5, sizeof(newer));
	ck_assert_int_eq(p2pbuf_reach(ctx, 7, &edu, &newer.info, sizeof(newer)),
			 0);
	for (i = 0; i < sizeof(newer.tail); i++)
		ck_assert_uint_eq(newer.tail[i], 0);

	drv.error = ENOENT;
	ck_assert_int_eq(p2pbuf_reach(ctx, 7, &edu, &r, sizeof(r)), -ENOENT);
	p2pbuf_ctx_unref(ctx);
}
END_TEST

/* p2pbuf_reach_bar(): the flag, the BAR and its device, provider id 0. */
START_TEST(test_reach_bar_request)
{
	struct p2pbuf_ctx *ctx = scripted_ctx();
	struct p2pbuf_pci_target iv = { .bus = 4 };
	struct p2pbuf_reach_info r;

	ck_assert_int_eq(p2pbuf_reach_bar(ctx, &iv, 2, &edu, &r, sizeof(r)), 0);
	ck_assert_uint_eq(drv.request, P2PBUF_IOC_REACH);
	ck_assert_uint_eq(drv.req.reach.size, sizeof(struct p2pbuf_reach));
	ck_assert_uint_eq(drv.req.reach.flags, P2PBUF_REACH_F_PCI_BAR);
	ck_assert_uint_eq(drv.req.reach.provider_id, 0);
	ck_assert_mem_eq(&drv.req.reach.bar_device, &iv, sizeof(iv));
	ck_assert_uint_eq(drv.req.reach.bar, 2);
	ck_assert_uint_eq(drv.req.reach.reserved0, 0);
	ck_assert_mem_eq(&drv.req.reach.target, &edu, sizeof(edu));
	ck_assert_uint_eq(r.reason, P2PBUF_REACH_HOST_BRIDGE_ADMIN);
	ck_assert_uint_eq(r.map_type, P2PBUF_MAP_TYPE_IOMMU);
	drv.error = ENODEV;
	ck_assert_int_eq(p2pbuf_reach_bar(ctx, &iv, 2, &edu, &r, sizeof(r)),
			 -ENODEV);
	p2pbuf_ctx_unref(ctx);
}
END_TEST

/* Argument checks, and a driver before uAPI 1.4 is not asked. */
START_TEST(test_reach_bar_args)
{
	struct p2pbuf_ctx *ctx = open_fake(P2PBUF_FEATURE_DMA_SGL);
	struct p2pbuf_pci_target iv = { .bus = 4 };
	struct p2pbuf_reach_info r;

	fake_info.other = never_called;
	ck_assert_int_eq(p2pbuf_reach_bar(NULL, &iv, 2, &edu, &r, sizeof(r)),
			 -EINVAL);
	ck_assert_int_eq(p2pbuf_reach_bar(ctx, NULL, 2, &edu, &r, sizeof(r)),
			 -EINVAL);
	ck_assert_int_eq(p2pbuf_reach_bar(ctx, &iv, 2, NULL, &r, sizeof(r)),
			 -EINVAL);
	ck_assert_int_eq(p2pbuf_reach_bar(ctx, &iv, 2, &edu, NULL, sizeof(r)),
			 -EINVAL);
	ck_assert_int_eq(p2pbuf_reach_bar(ctx, &iv, 6, &edu, &r, sizeof(r)),
			 -EINVAL);
	ck_assert_int_eq(p2pbuf_reach_bar(ctx, &iv, 2, &edu, &r, 0), -EINVAL);
	p2pbuf_ctx_unref(ctx);

	fake_info_reset();
	fake_info.reply.features = P2PBUF_FEATURE_DMA_SGL;
	fake_info.reply.version_minor = 3;
	ck_assert_int_eq(p2pbuf_ctx_new(FAKE_DEV, &ctx), 0);
	fake_info.other = never_called;
	ck_assert_int_eq(p2pbuf_reach_bar(ctx, &iv, 2, &edu, &r, sizeof(r)),
			 -EOPNOTSUPP);
	p2pbuf_ctx_unref(ctx);
}
END_TEST

/*
 * p2pbuf_sgl_wait() is a poll() of the dma-sgl fd for POLLPRI (POLLERR
 * always counts).  The fd here is the write end of a pipe: it polls
 * POLLERR once the read end is closed, nothing asked for before -- the
 * plumbing, not the driver's poll, which the VM tests.
 */
START_TEST(test_sgl_wait)
{
	struct p2pbuf_ctx *ctx =
		open_fake(P2PBUF_FEATURE_DMA_SGL | P2PBUF_FEATURE_REVOCATION);
	struct p2pbuf_sgl *sgl;
	int p[2];

	memset(&drv, 0, sizeof(drv));
	fake_info.other = scripted;
	ck_assert_int_eq(pipe2(p, O_CLOEXEC), 0);
	drv.sgl_fd = p[1];
	ck_assert_int_eq(p2pbuf_map(ctx, 0x7f0000000000, 4096, &edu,
				    P2PBUF_DMA_TO_DEVICE, 0, &sgl),
			 0);
	ck_assert_int_eq(p2pbuf_sgl_wait(sgl, 0), -ETIMEDOUT);
	ck_assert_int_eq(p2pbuf_sgl_wait(sgl, 20), -ETIMEDOUT);
	close(p[0]);
	ck_assert_int_eq(p2pbuf_sgl_wait(sgl, 0), 0);
	/* For good: every later wait returns at once. */
	ck_assert_int_eq(p2pbuf_sgl_wait(sgl, -1), 0);
	ck_assert_int_eq(p2pbuf_sgl_wait(sgl, 1000), 0);
	/* No ioctl was needed. */
	ck_assert_uint_eq(fake_info.other_calls, 1);
	p2pbuf_sgl_close(sgl);
	p2pbuf_ctx_unref(ctx);
}
END_TEST

START_TEST(test_sgl_wait_args)
{
	struct p2pbuf_ctx *ctx = open_fake(P2PBUF_FEATURE_DMA_SGL);
	struct p2pbuf_sgl *sgl;
	int p[2];

	ck_assert_int_eq(p2pbuf_sgl_wait(NULL, 0), -EINVAL);
	/* A uAPI 1.2 driver: its dma-sgls never poll, never get revoked. */
	memset(&drv, 0, sizeof(drv));
	fake_info.other = scripted;
	ck_assert_int_eq(pipe2(p, O_CLOEXEC), 0);
	close(p[0]);
	drv.sgl_fd = p[1];
	ck_assert_int_eq(p2pbuf_map(ctx, 0x7f0000000000, 4096, &edu,
				    P2PBUF_DMA_TO_DEVICE, 0, &sgl),
			 0);
	ck_assert_int_eq(p2pbuf_sgl_wait(sgl, -1), -EOPNOTSUPP);
	p2pbuf_sgl_close(sgl);
	p2pbuf_ctx_unref(ctx);

	/* An fd that was closed behind the library's back. */
	ctx = open_fake(P2PBUF_FEATURE_DMA_SGL | P2PBUF_FEATURE_REVOCATION);
	memset(&drv, 0, sizeof(drv));
	fake_info.other = scripted;
	drv.sgl_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	ck_assert_int_ge(drv.sgl_fd, 0);
	ck_assert_int_eq(p2pbuf_map(ctx, 0x7f0000000000, 4096, &edu,
				    P2PBUF_DMA_TO_DEVICE, 0, &sgl),
			 0);
	close(drv.sgl_fd);
	ck_assert_int_eq(p2pbuf_sgl_wait(sgl, 0), -EBADF);
	p2pbuf_sgl_close(sgl);
	p2pbuf_ctx_unref(ctx);
}
END_TEST

static Suite *sgl_suite(void)
{
	Suite *s = suite_create("libp2pbuf dma-sgls");
	TCase *tc;

	tc = tu_tcase(s, "targets", TU_HOST_TIMEOUT, fake_info_off,
		      fake_info_off);
	tcase_add_loop_test(tc, test_target_parse_good, 0,
			    sizeof(good_targets) / sizeof(good_targets[0]));
	tcase_add_loop_test(tc, test_target_parse_bad, 0,
			    sizeof(bad_targets) / sizeof(bad_targets[0]));
	tcase_add_test(tc, test_target_parse_null);
	tcase_add_test(tc, test_target_roundtrip_all);
	tcase_add_test(tc, test_target_format);

	tc = tu_tcase(s, "names", TU_HOST_TIMEOUT, fake_info_off,
		      fake_info_off);
	tcase_add_test(tc, test_names);

	tc = tu_tcase(s, "checks", TU_HOST_TIMEOUT, fake_info_off,
		      fake_info_off);
	tcase_add_test(tc, test_no_feature);
	tcase_add_test(tc, test_map_args);
	tcase_add_test(tc, test_reach_args);
	tcase_add_test(tc, test_reach_bar_args);
	tcase_add_test(tc, test_null_sgl);

	tc = tu_tcase(s, "plumbing", TU_HOST_TIMEOUT, fake_info_off,
		      fake_info_off);
	tcase_add_test(tc, test_map_request);
	tcase_add_test(tc, test_export_request);
	tcase_add_test(tc, test_export_no_feature);
	tcase_add_test(tc, test_map_owns_fd_and_ctx);
	tcase_add_test(tc, test_map_error_passes_through);
	tcase_add_test(tc, test_sgl_info);
	tcase_add_test(tc, test_sgl_segments);
	tcase_add_test(tc, test_sgl_sync);
	tcase_add_test(tc, test_reach_request);
	tcase_add_test(tc, test_reach_bar_request);
	tcase_add_test(tc, test_sgl_wait);
	tcase_add_test(tc, test_sgl_wait_args);
	return s;
}

int main(void)
{
	return tu_run(sgl_suite());
}
