// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * "p2pctl map" and "p2pctl reach": dma-sgls, the DMA addresses of p2pbuf
 * memory for a PCI target, and whether a target reaches a provider.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <linux/p2pbuf.h>

#include "p2pctl-print.h"
#include "p2pctl-util.h"

int p2pctl_parse_dma_dir(const char *s, enum p2pbuf_dma_dir *dir)
{
	static const enum p2pbuf_dma_dir dirs[] = {
		P2PBUF_DMA_TO_DEVICE,
		P2PBUF_DMA_FROM_DEVICE,
		P2PBUF_DMA_BIDIRECTIONAL,
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(dirs); i++) {
		if (!strcmp(s, p2pbuf_dma_dir_name(dirs[i]))) {
			*dir = dirs[i];
			return 0;
		}
	}
	return -EINVAL;
}

/* --- the views --------------------------------------------------------- */

static const struct pr_column segment_cols[] = {
	{ .key = "index", .head = "SEG", .min_width = 3 },
	{ .key = "dma_address", .head = "DMA ADDRESS", .min_width = 18 },
	{ .key = "length", .head = "LENGTH" },
};

/* The segments: a table in text, an array of objects in JSON. */
static void segments_view(struct pr *pr, const char *key,
			  const struct p2pbuf_segment *segs, uint32_t n,
			  bool lengths_only, int indent)
{
	char addr[24];
	uint32_t i;

	pr_open_table(pr, key, segment_cols, ARRAY_SIZE(segment_cols), indent);
	for (i = 0; i < n; i++) {
		pr_open_row(pr);
		pr_u32(pr, PR_TEXT, "index", NULL, i);
		/* Without CAP_SYS_RAWIO there are none to show. */
		if (lengths_only) {
			pr_null(pr, PR_ANY, "dma_address", NULL);
		} else {
			snprintf(addr, sizeof(addr), "0x%016" PRIx64,
				 (uint64_t)segs[i].dma_addr);
			pr_string(pr, PR_ANY, "dma_address", NULL, addr);
		}
		pr_u64(pr, PR_ANY, "length", NULL, segs[i].length);
		pr_close(pr);
	}
	pr_close(pr);
}

int p2pctl_print_segments(FILE *out, const struct p2pbuf_segment *segs,
			  uint32_t n, bool lengths_only, int indent)
{
	struct pr pr;

	pr_init(&pr, out, false, false);
	segments_view(&pr, NULL, segs, n, lengths_only, indent);
	return pr_end(&pr);
}

static void target_str(const struct p2pbuf_pci_target *t,
		       char buf[P2PBUF_PCI_TARGET_STRLEN])
{
	if (p2pbuf_pci_target_format(t, buf, P2PBUF_PCI_TARGET_STRLEN))
		snprintf(buf, P2PBUF_PCI_TARGET_STRLEN, "?");
}

int p2pctl_print_map(FILE *out, const struct p2pctl_map_view *v, bool json)
{
	const char *mode = p2pbuf_cache_mode_name(v->cache_mode);
	char tgt[P2PBUF_PCI_TARGET_STRLEN], b[P2PCTL_NAME_STRLEN];
	struct pr pr;

	target_str(&v->info.target, tgt);
	pr_init(&pr, out, json, false);
	pr_open_fields(&pr, NULL, 15);
	if (v->dmabuf) {
		pr_s32(&pr, PR_ANY, "dmabuf_fd", "dma-buf fd", v->dmabuf_fd);
		pr_string(&pr, PR_ANY, "exporter", "exporter",
			  v->exporter[0] ? v->exporter : "unknown");
		pr_u64(&pr, PR_ANY, "inode", "inode", v->dmabuf_inode);
		pr_size(&pr, PR_ANY, "dmabuf_size", "dma-buf size",
			v->dmabuf_size);
	} else {
		pr_u32(&pr, PR_ANY, "provider", "provider", v->provider);
		pr_size(&pr, PR_ANY, "buffer_size", "buffer size",
			v->buffer_size);
		pr_string(&pr, PR_ANY, "caching", "caching",
			  mode ? mode : "unknown");
	}
	pr_string(&pr, PR_ANY, "target", "target", tgt);
	pr_string(&pr, PR_ANY, "direction", "direction",
		  p2pctl_dir_str(v->info.direction, b));
	pr_string(&pr, PR_ANY, "map_type", "map type",
		  p2pctl_map_type_str(v->info.map_type, b));
	pr_size(&pr, PR_ANY, "offset", "offset", v->offset);
	pr_size(&pr, PR_ANY, "length", "length", v->info.length);
	pr_u32(&pr, PR_TEXT, "segments", "segments", v->nr_segs);
	segments_view(&pr, "segments", v->segs, v->nr_segs, v->lengths_only, 2);
	pr_close(&pr);
	return pr_end(&pr);
}

static const char *reach_reason_str(uint32_t reason,
				    char buf[P2PCTL_NAME_STRLEN])
{
	return p2pctl_name(p2pbuf_reach_reason_name(reason), "reason", reason,
			   buf);
}

int p2pctl_print_reach(FILE *out, const struct p2pbuf_reach_info *r, bool json)
{
	char tgt[P2PBUF_PCI_TARGET_STRLEN], b[P2PCTL_NAME_STRLEN];
	bool ok = r->map_type != 0;
	struct pr pr;

	target_str(&r->target, tgt);
	pr_init(&pr, out, json, false);
	pr_open_fields(&pr, NULL, 15);
	pr_u32(&pr, PR_ANY, "provider", "provider", r->provider_id);
	pr_string(&pr, PR_ANY, "target", "target", tgt);
	pr_bool(&pr, PR_ANY, "reachable", "reachable", ok);
	pr_string(&pr, PR_ANY, "reason", "reason",
		  reach_reason_str(r->reason, b));
	if (ok)
		pr_string(&pr, PR_ANY, "map_type", "map type",
			  p2pctl_map_type_str(r->map_type, b));
	else
		pr_null(&pr, PR_ANY, "map_type", "map type");
	pr_u32(&pr, PR_ANY, "distance", "distance", r->distance);
	pr_close(&pr);
	return pr_end(&pr);
}

/* --- the commands ------------------------------------------------------- */

/* The driver has dma-sgls, or why not (exit status). */
static int need_sgls(const struct p2pctl *p, const struct p2pctl_cmd *cmd,
		     const char *device, struct p2pbuf_ctx *ctx,
		     struct p2pbuf_driver_info *info)
{
	int ret = p2pbuf_ctx_get_info(ctx, info, sizeof(*info));

	if (ret)
		return p2pctl_fail(p, P2PCTL_EXIT_FAILED, "%s: %s: %s",
				   cmd->noun, device, p2pbuf_strerror(ret));
	if (info->features & P2PBUF_FEATURE_DMA_SGL)
		return P2PCTL_EXIT_OK;
	return p2pctl_fail(p, P2PCTL_EXIT_FAILED,
			   "%s: %s: the driver (uAPI %" PRIu32 ".%" PRIu32
			   ") does not support dma-sgls",
			   cmd->noun, device, info->version_major,
			   info->version_minor);
}

/*
 * A request about target failed with err: the message and exit status of
 * "p2pctl CMD", naming the target and the provider where they are the
 * cause.
 */
static int sgl_failed(const struct p2pctl *p, const struct p2pctl_cmd *cmd,
		      int err, const char *tgt, uint32_t prov)
{
	switch (err) {
	case -ENODEV:
		return p2pctl_fail(p, P2PCTL_EXIT_FAILED,
				   "%s: no PCI device %s (or it cannot do DMA)",
				   cmd->noun, tgt);
	case -ENOENT:
		return p2pctl_fail(p, P2PCTL_EXIT_FAILED,
				   "%s: no provider %" PRIu32, cmd->noun, prov);
	case -EPERM:
		return p2pctl_fail(p, P2PCTL_EXIT_PERM, "%s: %s", cmd->noun,
				   p2pbuf_strerror(err));
	default:
		return p2pctl_fail(p, P2PCTL_EXIT_FAILED, "%s: target %s: %s",
				   cmd->noun, tgt, p2pbuf_strerror(err));
	}
}

/*
 * p2pbuf_map() said EXDEV, or EBUSY: say why, as REACH tells it (an EBUSY
 * of a reachable target is the buffer's limit of writable mappings).
 */
static int unreachable(const struct p2pctl *p, const struct p2pctl_cmd *cmd,
		       struct p2pbuf_ctx *ctx, uint32_t prov,
		       const struct p2pbuf_pci_target *target, const char *tgt,
		       int err)
{
	struct p2pbuf_reach_info r;
	char b[P2PCTL_NAME_STRLEN];
	int ret = p2pbuf_reach(ctx, prov, target, &r, sizeof(r));

	if (err == -EBUSY && (ret || r.map_type))
		return p2pctl_fail(
			p, P2PCTL_EXIT_FAILED,
			"%s: %s: the buffer already has 8 device-writable DMA"
			" mappings (other targets or directions); close one",
			cmd->noun, tgt);
	if (ret)
		return p2pctl_fail(
			p, P2PCTL_EXIT_UNREACHABLE,
			"%s: %s cannot reach the memory of provider %" PRIu32,
			cmd->noun, tgt, prov);
	if (r.map_type)
		return p2pctl_fail(
			p, P2PCTL_EXIT_UNREACHABLE,
			"%s: %s cannot reach the memory of provider %" PRIu32
			" (refused with EXDEV, although 'p2pctl reach' answers %s)",
			cmd->noun, tgt, prov, reach_reason_str(r.reason, b));
	return p2pctl_fail(
		p, P2PCTL_EXIT_UNREACHABLE,
		"%s: %s cannot reach the memory of provider %" PRIu32 ": %s%s",
		cmd->noun, tgt, prov, reach_reason_str(r.reason, b),
		r.reason == P2PBUF_UNREACH_HOST_BRIDGE ?
			" (a host bridge not known to forward peer-to-peer"
			" traffic; 'p2pctl provider add --allow-host-bridge'"
			" allows it)" :
		r.reason == P2PBUF_UNREACH_USER_DRIVER ?
			" (the target is driven from userspace: it, or a"
			" function of its IOMMU group, is bound to vfio-pci or"
			" another driver that manages DMA itself; map through"
			" that driver)" :
			"");
}

/*
 * The segments of sgl into *segsp (malloc()ed) and *np; an exit status,
 * the failure reported.
 */
static int get_segments(const struct p2pctl *p, const struct p2pctl_cmd *cmd,
			const struct p2pbuf_sgl *sgl, bool lengths_only,
			struct p2pbuf_segment **segsp, uint32_t *np)
{
	uint32_t flags = lengths_only ? P2PBUF_SEGMENTS_F_LENGTHS_ONLY : 0;
	struct p2pbuf_segment *segs = NULL;
	uint32_t n = 0;
	int ret;

	/* The count, then the segments (a dma-sgl never changes). */
	ret = p2pbuf_sgl_segments(sgl, NULL, 0, &n, flags);
	if (!ret) {
		segs = calloc(n ? n : 1, sizeof(*segs));
		ret = segs ? p2pbuf_sgl_segments(sgl, segs, n, &n, flags) :
			     -ENOMEM;
	}
	if (!ret) {
		*segsp = segs;
		*np = n;
		return P2PCTL_EXIT_OK;
	}
	free(segs);
	if (ret == -EPERM)
		return p2pctl_fail(
			p, P2PCTL_EXIT_PERM,
			"%s: reading the DMA addresses: %s (CAP_SYS_RAWIO is needed; --lengths-only does without)",
			cmd->noun, p2pbuf_strerror(ret));
	return p2pctl_fail(p, P2PCTL_EXIT_FAILED,
			   "%s: reading the segments: %s", cmd->noun,
			   p2pbuf_strerror(ret));
}

/*
 * "map --hold": keep the dma-sgl until a signal ends p2pctl, or until the
 * kernel revokes it (an exit status then).
 */
static int hold_sgl(const struct p2pctl *p, const struct p2pctl_cmd *cmd,
		    const struct p2pbuf_sgl *sgl)
{
	int ret;

	fprintf(p->err, "p2pctl: holding the mapping until interrupted\n");
	fflush(p->out);
	do
		ret = p2pbuf_sgl_wait(sgl, -1);
	while (ret == -EINTR);
	/* A driver without revocation: nothing can end it but a signal. */
	if (ret == -EOPNOTSUPP)
		for (;;)
			pause();
	if (ret)
		return p2pctl_fail(p, P2PCTL_EXIT_FAILED, "%s: waiting: %s",
				   cmd->noun, p2pbuf_strerror(ret));
	return p2pctl_fail(
		p, P2PCTL_EXIT_FAILED,
		"%s: the dma-sgl was revoked: its memory or its target went away (see 'p2pctl list')",
		cmd->noun);
}

/*
 * What the dma-buf fd is: its size (lseek), inode (fstat) and exporter
 * (its fdinfo's exp_name line) into *v; an exit status, the failure
 * reported.
 */
static int dmabuf_describe(const struct p2pctl *p, const struct p2pctl_cmd *cmd,
			   int fd, struct p2pctl_map_view *v)
{
	char path[64], line[128];
	struct stat st;
	off_t end;
	FILE *f;

	end = lseek(fd, 0, SEEK_END);
	if (end < 0 || fstat(fd, &st))
		return p2pctl_fail(p, P2PCTL_EXIT_FAILED,
				   "%s: --dmabuf-fd %d: %s", cmd->noun, fd,
				   strerror(errno));
	lseek(fd, 0, SEEK_SET);
	v->dmabuf = true;
	v->dmabuf_fd = fd;
	v->dmabuf_size = (uint64_t)end;
	v->dmabuf_inode = (uint64_t)st.st_ino;
	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = fopen(path, "re");
	while (f && fgets(line, sizeof(line), f)) {
		if (sscanf(line, "exp_name: %31s", v->exporter) == 1)
			break;
	}
	if (f)
		fclose(f);
	return P2PCTL_EXIT_OK;
}

/*
 * "map --dmabuf-fd FD": import [offset, offset + length) of the dma-buf
 * the caller passed for the target, print the segments, hold if asked.
 */
static int map_dmabuf(const struct p2pctl *p, const struct p2pctl_cmd *cmd,
		      struct p2pbuf_ctx *ctx, struct p2pctl_map_view *v,
		      const struct p2pbuf_pci_target *target, const char *tgt,
		      enum p2pbuf_dma_dir dir, bool has_len, uint64_t length,
		      bool json, bool hold)
{
	struct p2pbuf_segment *segs = NULL;
	struct p2pbuf_sgl *sgl = NULL;
	int ret;

	ret = dmabuf_describe(p, cmd, v->dmabuf_fd, v);
	if (ret)
		return ret;
	if (!has_len)
		length = v->offset < v->dmabuf_size ?
				 v->dmabuf_size - v->offset :
				 0;
	ret = p2pbuf_map_dmabuf(ctx, v->dmabuf_fd, v->offset, length, target,
				dir, 0, &sgl);
	if (ret == -EBADF || ret == -EINVAL || ret == -ERANGE)
		return p2pctl_fail(
			p, P2PCTL_EXIT_FAILED,
			"%s: --dmabuf-fd %d, --offset, --length: %s (an open dma-buf, a range of it, page-aligned)",
			cmd->noun, v->dmabuf_fd, p2pbuf_strerror(ret));
	if (ret)
		return sgl_failed(p, cmd, ret, tgt, 0);
	ret = p2pbuf_sgl_info(sgl, &v->info, sizeof(v->info));
	if (ret) {
		ret = p2pctl_fail(p, P2PCTL_EXIT_FAILED, "%s: %s", cmd->noun,
				  p2pbuf_strerror(ret));
		goto out;
	}
	ret = get_segments(p, cmd, sgl, v->lengths_only, &segs, &v->nr_segs);
	if (ret)
		goto out;
	v->segs = segs;
	if (p2pctl_print_map(p->out, v, json)) {
		ret = p2pctl_fail(p, P2PCTL_EXIT_FAILED, "out of memory");
		goto out;
	}
	ret = hold ? hold_sgl(p, cmd, sgl) : P2PCTL_EXIT_OK;
out:
	free(segs);
	p2pbuf_sgl_close(sgl);
	return ret;
}

static int cmd_map(const struct p2pctl *p, const struct p2pctl_cmd *cmd,
		   int argc, char **argv)
{
	static const struct option opts[] = {
		{ "buffer-size", required_argument, NULL, 's' },
		{ "provider", required_argument, NULL, 'P' },
		{ "dmabuf-fd", required_argument, NULL, 'F' },
		{ "target", required_argument, NULL, 't' },
		{ "direction", required_argument, NULL, 'D' },
		{ "offset", required_argument, NULL, 'o' },
		{ "length", required_argument, NULL, 'l' },
		{ "lengths-only", no_argument, NULL, 'L' },
		{ "json", no_argument, NULL, 'j' },
		{ "hold", no_argument, NULL, 'H' },
		{ "device", required_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	const char *device = P2PBUF_DEFAULT_DEVICE;
	bool has_size = false, has_target = false, has_len = false;
	bool has_prov = false, has_fd = false;
	unsigned long fd_arg = 0;
	char *end;
	bool lengths_only = false, json = p->json, hold = false;
	enum p2pbuf_dma_dir dir = P2PBUF_DMA_BIDIRECTIONAL;
	struct p2pctl_map_view v = { .provider = 0 };
	char tgt[P2PBUF_PCI_TARGET_STRLEN];
	struct p2pbuf_segment *segs = NULL;
	uint64_t size = 0, offset = 0, length = 0, rounded;
	struct p2pbuf_pci_target target;
	struct p2pbuf_driver_info info;
	struct p2pbuf_sgl *sgl = NULL;
	struct p2pbuf_buffer *buf;
	struct p2pbuf_ctx *ctx;
	void *map = NULL;
	int c, ret;

	optind = 0;
	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			ret = p2pctl_size_arg(p, cmd, "buffer size", optarg,
					      &size);
			if (ret)
				return ret;
			has_size = true;
			break;
		case 'P':
			ret = p2pctl_id_arg(p, cmd, optarg, &v.provider);
			if (ret)
				return ret;
			has_prov = true;
			break;
		case 'F':
			errno = 0;
			fd_arg = strtoul(optarg, &end, 10);
			if (errno || end == optarg || *end ||
			    !isdigit((unsigned char)optarg[0]) ||
			    fd_arg > INT32_MAX)
				return p2pctl_usage_error(
					p, cmd, "invalid --dmabuf-fd '%s'",
					optarg);
			has_fd = true;
			break;
		case 't':
			ret = p2pctl_target_arg(p, cmd, optarg, &target);
			if (ret)
				return ret;
			has_target = true;
			break;
		case 'D':
			if (p2pctl_parse_dma_dir(optarg, &dir))
				return p2pctl_usage_error(
					p, cmd,
					"invalid direction '%s' (to-device, from-device or bidirectional)",
					optarg);
			break;
		case 'o':
			ret = p2pctl_size_arg(p, cmd, "offset", optarg,
					      &offset);
			if (ret)
				return ret;
			break;
		case 'l':
			ret = p2pctl_size_arg(p, cmd, "length", optarg,
					      &length);
			if (ret)
				return ret;
			has_len = true;
			break;
		case 'L':
			lengths_only = true;
			break;
		case 'j':
			json = true;
			break;
		case 'H':
			hold = true;
			break;
		case 'd':
			device = optarg;
			break;
		default:
			return p2pctl_opt_other(p, cmd, c, argv);
		}
	}
	ret = p2pctl_no_more_args(p, cmd, argc, argv);
	if (ret)
		return ret;
	if (has_fd && (has_size || has_prov))
		return p2pctl_usage_error(
			p, cmd,
			"--dmabuf-fd maps a dma-buf: no --buffer-size, no --provider");
	if (!has_size && !has_fd)
		return p2pctl_usage_error(
			p, cmd, "missing --buffer-size (or --dmabuf-fd)");
	if (!has_target)
		return p2pctl_usage_error(p, cmd, "missing --target");
	if (has_fd) {
		target_str(&target, tgt);
		ret = p2pctl_open(p, device, &ctx);
		if (ret)
			return ret;
		ret = need_sgls(p, cmd, device, ctx, &info);
		if (!ret && !(info.features & P2PBUF_FEATURE_DMABUF_IMPORT))
			ret = p2pctl_fail(p, P2PCTL_EXIT_FAILED,
					  "%s: %s: the driver (uAPI %" PRIu32
					  ".%" PRIu32
					  ") does not import dma-bufs",
					  cmd->noun, device, info.version_major,
					  info.version_minor);
		if (!ret &&
		    (offset % info.page_size || length % info.page_size))
			ret = p2pctl_usage_error(
				p, cmd,
				"--offset and --length must be multiples of the page size (%" PRIu32
				")",
				info.page_size);
		v.dmabuf_fd = (int)fd_arg;
		v.offset = offset;
		v.lengths_only = lengths_only;
		if (!ret)
			ret = map_dmabuf(p, cmd, ctx, &v, &target, tgt, dir,
					 has_len, length, json, hold);
		p2pbuf_ctx_unref(ctx);
		return ret;
	}
	if (!size || size > P2PBUF_BUFFER_MAX_LENGTH)
		return p2pctl_usage_error(
			p, cmd, "the buffer size must be 1 byte to 1T");
	target_str(&target, tgt);

	ret = p2pctl_open(p, device, &ctx);
	if (ret)
		return ret;
	ret = need_sgls(p, cmd, device, ctx, &info);
	if (ret)
		goto out_ctx;
	/* The range, checked here to say which option is wrong. */
	rounded = (size + info.page_size - 1) / info.page_size * info.page_size;
	if (!has_len)
		length = offset < rounded ? rounded - offset : 0;
	if (offset % info.page_size || length % info.page_size) {
		ret = p2pctl_usage_error(
			p, cmd,
			"--offset and --length must be multiples of the page size (%" PRIu32
			")",
			info.page_size);
		goto out_ctx;
	}
	if (offset >= rounded || !length || length > rounded - offset) {
		ret = p2pctl_usage_error(
			p, cmd,
			"the range (--offset, --length) must be a non-empty part of the buffer");
		goto out_ctx;
	}

	ret = p2pbuf_buffer_alloc(ctx, v.provider, size, 0, &buf);
	if (ret == -ENOENT) {
		ret = p2pctl_fail(p, P2PCTL_EXIT_FAILED,
				  "%s: no provider %" PRIu32, cmd->noun,
				  v.provider);
		goto out_ctx;
	}
	if (ret) {
		ret = p2pctl_fail(p, P2PCTL_EXIT_FAILED,
				  "%s: buffer alloc: provider %" PRIu32 ": %s",
				  cmd->noun, v.provider, p2pbuf_strerror(ret));
		goto out_ctx;
	}
	v.buffer_size = p2pbuf_buffer_get_size(buf);
	v.cache_mode = p2pbuf_buffer_get_cache_mode(buf);
	v.offset = offset;
	v.lengths_only = lengths_only;
	ret = p2pbuf_buffer_mmap(buf, 0, 0, &map);
	if (ret) {
		ret = p2pctl_fail(p, P2PCTL_EXIT_FAILED, "%s: buffer mmap: %s",
				  cmd->noun, p2pbuf_strerror(ret));
		map = NULL;
		goto out_free;
	}
	ret = p2pbuf_map(ctx, (uintptr_t)map + offset, length, &target, dir, 0,
			 &sgl);
	if (ret == -EXDEV || ret == -EBUSY) {
		ret = unreachable(p, cmd, ctx, v.provider, &target, tgt, ret);
		goto out_free;
	}
	if (ret) {
		ret = sgl_failed(p, cmd, ret, tgt, v.provider);
		goto out_free;
	}
	ret = p2pbuf_sgl_info(sgl, &v.info, sizeof(v.info));
	if (ret) {
		ret = p2pctl_fail(p, P2PCTL_EXIT_FAILED, "%s: %s", cmd->noun,
				  p2pbuf_strerror(ret));
		goto out_free;
	}
	ret = get_segments(p, cmd, sgl, lengths_only, &segs, &v.nr_segs);
	if (ret)
		goto out_free;
	v.segs = segs;
	if (p2pctl_print_map(p->out, &v, json)) {
		ret = p2pctl_fail(p, P2PCTL_EXIT_FAILED, "out of memory");
		goto out_free;
	}
	if (hold) {
		ret = hold_sgl(p, cmd, sgl);
		goto out_free;
	}
	ret = P2PCTL_EXIT_OK;
out_free:
	free(segs);
	p2pbuf_sgl_close(sgl);
	if (map)
		p2pbuf_buffer_munmap(buf, map, p2pbuf_buffer_get_size(buf));
	p2pbuf_buffer_free(buf);
out_ctx:
	p2pbuf_ctx_unref(ctx);
	return ret;
}

static int cmd_reach(const struct p2pctl *p, const struct p2pctl_cmd *cmd,
		     int argc, char **argv)
{
	static const struct option opts[] = {
		{ "provider", required_argument, NULL, 'P' },
		{ "target", required_argument, NULL, 't' },
		{ "json", no_argument, NULL, 'j' },
		{ "device", required_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	const char *device = P2PBUF_DEFAULT_DEVICE;
	bool has_prov = false, has_target = false, json = p->json;
	char tgt[P2PBUF_PCI_TARGET_STRLEN];
	struct p2pbuf_pci_target target;
	struct p2pbuf_driver_info info;
	struct p2pbuf_reach_info r;
	struct p2pbuf_ctx *ctx;
	uint32_t prov = 0;
	int c, ret;

	optind = 0;
	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (c) {
		case 'P':
			ret = p2pctl_id_arg(p, cmd, optarg, &prov);
			if (ret)
				return ret;
			has_prov = true;
			break;
		case 't':
			ret = p2pctl_target_arg(p, cmd, optarg, &target);
			if (ret)
				return ret;
			has_target = true;
			break;
		case 'j':
			json = true;
			break;
		case 'd':
			device = optarg;
			break;
		default:
			return p2pctl_opt_other(p, cmd, c, argv);
		}
	}
	ret = p2pctl_no_more_args(p, cmd, argc, argv);
	if (ret)
		return ret;
	if (!has_prov)
		return p2pctl_usage_error(p, cmd, "missing --provider");
	if (!has_target)
		return p2pctl_usage_error(p, cmd, "missing --target");
	target_str(&target, tgt);

	ret = p2pctl_open(p, device, &ctx);
	if (ret)
		return ret;
	ret = need_sgls(p, cmd, device, ctx, &info);
	if (!ret)
		ret = p2pbuf_reach(ctx, prov, &target, &r, sizeof(r));
	p2pbuf_ctx_unref(ctx);
	if (ret > 0)
		return ret;
	if (ret)
		return sgl_failed(p, cmd, ret, tgt, prov);
	if (p2pctl_print_reach(p->out, &r, json))
		return p2pctl_fail(p, P2PCTL_EXIT_FAILED, "out of memory");
	return r.map_type ? P2PCTL_EXIT_OK : P2PCTL_EXIT_UNREACHABLE;
}

static const struct p2pctl_cmd map_cmds[] = {
	{
		.noun = "map",
		.run = cmd_map,
		.args = "{--buffer-size SIZE [--provider ID] | --dmabuf-fd FD} --target PCI-ADDRESS [--direction DIR] [--offset SIZE] [--length SIZE] [--lengths-only] [--json] [--hold] [--device PATH]",
		.summary =
			"Allocate a buffer, map it for DMA by a PCI device, show the DMA segments",
		.options =
			"  --buffer-size SIZE    bytes to allocate, rounded up to the page size\n"
			"  --provider ID         provider to allocate from (default 0: host RAM)\n"
			"  --dmabuf-fd FD        instead: import the dma-buf open as FD (passed by\n"
			"                        the program that runs p2pctl) and show its segments\n"
			"  --target PCI-ADDRESS  the device that will do the DMA\n"
			"  --direction DIR       to-device, from-device or bidirectional (default)\n"
			"  --offset SIZE         start of the mapped range in the buffer or dma-buf\n"
			"                        (default 0)\n"
			"  --length SIZE         length of the range (default: to the end of the\n"
			"                        buffer or dma-buf); both multiples of the page size\n"
			"  --lengths-only        print segment lengths only (DMA addresses need\n"
			"                        CAP_SYS_RAWIO)\n"
			"  --json                print a JSON object, not a table\n"
			"  --hold                keep the mapping until interrupted, or until\n"
			"                        it is revoked (then exit 1)\n"
			"  --device PATH         use PATH instead of /dev/p2pbuf\n"
			"  PCI-ADDRESS is DDDD:BB:DD.F or BB:DD.F.  The mapping and the buffer\n"
			"  are released when p2pctl exits.\n",
	},
};

const struct p2pctl_noun p2pctl_noun_map = {
	.name = "map",
	.cmds = map_cmds,
	.nr_cmds = ARRAY_SIZE(map_cmds),
};

static const struct p2pctl_cmd reach_cmds[] = {
	{
		.noun = "reach",
		.run = cmd_reach,
		.args = "--provider ID --target PCI-ADDRESS [--json] [--device PATH]",
		.summary =
			"Tell whether and how a PCI device reaches a provider's memory",
		.options =
			"  --provider ID         the provider (0: host RAM)\n"
			"  --target PCI-ADDRESS  the device that would do the DMA\n"
			"  --json                print a JSON object, not a table\n"
			"  --device PATH         use PATH instead of /dev/p2pbuf\n"
			"  Exits with 6 when the device cannot reach the memory.\n",
	},
};

const struct p2pctl_noun p2pctl_noun_reach = {
	.name = "reach",
	.cmds = reach_cmds,
	.nr_cmds = ARRAY_SIZE(reach_cmds),
};
