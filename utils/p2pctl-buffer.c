// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * "p2pctl buffer alloc|show|revoke": a buffer of one's own (allocated,
 * mapped, filled and verified through libp2pbuf), and any process's
 * buffer as the netlink family lists it.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <linux/p2pbuf.h>

#include "p2pctl-print.h"
#include "p2pctl-util.h"

/* --- buffer alloc ------------------------------------------------------- */

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void print_rate(FILE *out, const char *what, uint64_t bytes, double ms)
{
	char sz[P2PCTL_SIZE_STRLEN];

	p2pctl_format_size(bytes, sz);
	fprintf(out, "%-15s%s in %.3f ms (%.1f MiB/s)\n", what, sz, ms,
		ms > 0 ? bytes / (1024.0 * 1024.0) / (ms / 1e3) : 0.0);
}

/* Write pattern to every 32-bit word, read it back; 0 or the bad offset + 1. */
static uint64_t fill_verify(const struct p2pctl *p, volatile uint32_t *m,
			    uint64_t size, uint32_t pattern)
{
	uint64_t i, n = size / 4;
	double t0, t1, t2;

	t0 = now_ms();
	for (i = 0; i < n; i++)
		m[i] = pattern;
	__sync_synchronize();
	t1 = now_ms();
	for (i = 0; i < n; i++)
		if (m[i] != pattern)
			return i * 4 + 1;
	t2 = now_ms();
	print_rate(p->out, "fill:", size, t1 - t0);
	print_rate(p->out, "verify:", size, t2 - t1);
	return 0;
}

static int cmd_buffer_alloc(const struct p2pctl *p,
			    const struct p2pctl_cmd *cmd, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "provider", required_argument, NULL, 'P' },
		{ "size", required_argument, NULL, 's' },
		{ "fill", required_argument, NULL, 'f' },
		{ "hold", no_argument, NULL, 'H' },
		{ "device", required_argument, NULL, 'd' },
		{ "offset", required_argument, NULL, 'o' },
		{ "length", required_argument, NULL, 'l' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	const char *device = P2PBUF_DEFAULT_DEVICE, *mode;
	bool has_prov = false, has_size = false, fill = false, hold = false;
	bool export = cmd->verb && !strcmp(cmd->verb, "export");
	uint64_t off = 0, len = 0;
	uint32_t exp_id = 0;
	int dmabuf = -1;
	char sz[P2PCTL_SIZE_STRLEN];
	struct p2pbuf_buffer *buf;
	struct p2pbuf_ctx *ctx;
	uint32_t prov = 0, pattern = 0;
	uint64_t size = 0, bad;
	unsigned long long v;
	void *map = NULL;
	char *end;
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
		case 's':
			ret = p2pctl_size_arg(p, cmd, "size", optarg, &size);
			if (ret)
				return ret;
			has_size = true;
			break;
		case 'f':
			errno = 0;
			v = strtoull(optarg, &end, 0);
			if (!isdigit((unsigned char)optarg[0]) || *end ||
			    errno || v > UINT32_MAX)
				return p2pctl_usage_error(
					p, cmd,
					"invalid pattern '%s' (a 32-bit number)",
					optarg);
			pattern = (uint32_t)v;
			fill = true;
			break;
		case 'H':
			hold = true;
			break;
		case 'd':
			device = optarg;
			break;
		case 'o':
		case 'l':
			if (!export)
				return p2pctl_opt_other(p, cmd, '?', argv);
			ret = p2pctl_size_arg(p, cmd,
					      c == 'o' ? "offset" : "length",
					      optarg, c == 'o' ? &off : &len);
			if (ret)
				return ret;
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
	if (!has_size)
		return p2pctl_usage_error(p, cmd, "missing --size");

	ret = p2pctl_open(p, device, &ctx);
	if (ret)
		return ret;
	ret = p2pbuf_buffer_alloc(ctx, prov, size, 0, &buf);
	p2pbuf_ctx_unref(ctx);
	if (ret)
		return p2pctl_fail(p, P2PCTL_EXIT_FAILED,
				   "buffer alloc: provider %" PRIu32 ": %s",
				   prov, p2pbuf_strerror(ret));
	p2pctl_format_size(p2pbuf_buffer_get_size(buf), sz);
	mode = p2pbuf_cache_mode_name(p2pbuf_buffer_get_cache_mode(buf));
	fprintf(p->out,
		"handle:        %" PRIu32 "\n"
		"provider:      %" PRIu32 "\n"
		"size:          %s\n"
		"caching:       %s\n",
		p2pbuf_buffer_get_handle(buf), p2pbuf_buffer_get_provider(buf),
		sz, mode ? mode : "unknown");
	if (export) {
		ret = p2pbuf_buffer_export(buf, off, len, 0, &dmabuf, &exp_id);
		if (ret) {
			ret = p2pctl_fail(p, P2PCTL_EXIT_FAILED,
					  "buffer export: %s",
					  p2pbuf_strerror(ret));
			goto out_free;
		}
		p2pctl_format_size(
			len ? len : p2pbuf_buffer_get_size(buf) - off, sz);
		fprintf(p->out,
			"export:        %" PRIu32 "\n"
			"dma-buf fd:    %d (in process %ld)\n"
			"exported:      %s from offset %#" PRIx64 "\n",
			exp_id, dmabuf, (long)getpid(), sz, off);
	}
	if (fill || hold) {
		ret = p2pbuf_buffer_mmap(buf, 0, 0, &map);
		if (ret) {
			ret = p2pctl_fail(p, P2PCTL_EXIT_FAILED,
					  "buffer mmap: %s",
					  p2pbuf_strerror(ret));
			goto out_free;
		}
	}
	if (fill) {
		bad = fill_verify(p, map, p2pbuf_buffer_get_size(buf), pattern);
		if (bad) {
			ret = p2pctl_fail(
				p, P2PCTL_EXIT_FAILED,
				"verify: mismatch at offset %#" PRIx64,
				bad - 1);
			goto out_unmap;
		}
	}
	if (hold) {
		fprintf(p->out, "holding the %s until interrupted\n",
			export ? "export" : "buffer");
		fflush(p->out);
		pause();
	}
	ret = P2PCTL_EXIT_OK;
out_unmap:
	if (map)
		p2pbuf_buffer_munmap(buf, map, p2pbuf_buffer_get_size(buf));
out_free:
	if (dmabuf >= 0)
		close(dmabuf);
	p2pbuf_buffer_free(buf);
	return ret;
}

/* --- buffer show, buffer revoke ----------------------------------------- */

int p2pctl_print_buffer(FILE *out, const struct p2pbuf_buffer_entry *e,
			bool json, bool bytes)
{
	const char *cache = p2pbuf_cache_mode_name(e->cache_mode);
	const char *reason = p2pbuf_revoke_reason_name(e->reason);
	const char *state = e->state == P2PBUF_NL_STATE_REVOKED ? "revoked" :
								  "live";
	char text[64];
	struct pr pr;

	pr_init(&pr, out, json, bytes);
	pr_open_fields(&pr, NULL, 16);
	pr_u32(&pr, PR_ANY, "id", "buffer", e->id);
	pr_u32(&pr, PR_ANY, "provider", "provider", e->provider_id);
	pr_size(&pr, PR_ANY, "size", "size", e->size);
	pr_size(&pr, PR_ANY, "mapped", "mapped", e->mapped);
	pr_u32(&pr, PR_ANY, "sgls", "dma-sgls", e->sgls);
	/* Text: "revoked (REASON)"; JSON: a reason member if there is one. */
	pr_string(&pr, PR_JSON, "state", NULL, state);
	if (e->reason && reason) {
		pr_string(&pr, PR_JSON, "reason", NULL, reason);
		snprintf(text, sizeof(text), "%s (%s)", state, reason);
		pr_string(&pr, PR_TEXT, "state", "state", text);
	} else {
		pr_string(&pr, PR_TEXT, "state", "state", state);
	}
	pr_string(&pr, PR_ANY, "cache_mode", "cpu caching",
		  cache ? cache : "unknown");
	/* Text: one "owner" line for the three. */
	pr_u32(&pr, PR_JSON, "pid", NULL, e->owner_pid);
	pr_u32(&pr, PR_JSON, "uid", NULL, e->owner_uid);
	pr_string(&pr, PR_JSON, "command", NULL, e->owner_comm);
	snprintf(text, sizeof(text), "pid %" PRIu32 " (%s), uid %" PRIu32,
		 e->owner_pid, e->owner_comm, e->owner_uid);
	pr_string(&pr, PR_TEXT, "owner", "owner", text);
	pr_close(&pr);
	return pr_end(&pr);
}

/* "ID [--json] [--bytes]" of show and "ID" of revoke. */
static int buffer_id_opts(const struct p2pctl *p, const struct p2pctl_cmd *cmd,
			  int argc, char **argv, bool views, uint32_t *id,
			  bool *json, bool *bytes)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "bytes", no_argument, NULL, 'b' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	int c;

	*json = p->json;
	*bytes = false;
	/* Options may follow the id (GNU permutation). */
	optind = 0;
	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		if (c == 'h') {
			p2pctl_cmd_usage(p->out, cmd);
			return -1;
		}
		if (c == 'j' && views)
			*json = true;
		else if (c == 'b' && views)
			*bytes = true;
		else
			return p2pctl_opt_error(p, cmd, c == ':' ? ':' : '?',
						argv);
	}
	if (optind == argc)
		return p2pctl_usage_error(p, cmd, "missing buffer id");
	if (p2pctl_parse_u32(argv[optind], id))
		return p2pctl_usage_error(p, cmd, "invalid buffer id '%s'",
					  argv[optind]);
	optind++;
	return p2pctl_no_more_args(p, cmd, argc, argv);
}

static int cmd_buffer_revoke(const struct p2pctl *p,
			     const struct p2pctl_cmd *cmd, int argc,
			     char **argv)
{
	struct p2pbuf_ctl *ctl;
	bool json, bytes;
	char what[48];
	uint32_t id;
	int ret;

	ret = buffer_id_opts(p, cmd, argc, argv, false, &id, &json, &bytes);
	if (ret)
		return ret < 0 ? P2PCTL_EXIT_OK : ret;
	ret = p2pctl_open_ctl(p, &ctl);
	if (ret)
		return ret;
	ret = p2pbuf_buffer_revoke(ctl, id);
	if (ret) {
		snprintf(what, sizeof(what), "buffer revoke %" PRIu32, id);
		ret = p2pctl_request_failed(p, ctl, ret, what);
	}
	p2pbuf_ctl_free(ctl);
	return ret;
}

static int cmd_buffer_show(const struct p2pctl *p, const struct p2pctl_cmd *cmd,
			   int argc, char **argv)
{
	struct p2pbuf_buffer_entry *l = NULL;
	struct p2pbuf_ctl *ctl;
	bool json, bytes;
	uint32_t id;
	int ret, n, i;

	ret = buffer_id_opts(p, cmd, argc, argv, true, &id, &json, &bytes);
	if (ret)
		return ret < 0 ? P2PCTL_EXIT_OK : ret;
	ret = p2pctl_open_ctl(p, &ctl);
	if (ret)
		return ret;
	n = p2pbuf_buffer_list(ctl, &l, sizeof(*l));
	if (n < 0) {
		ret = p2pctl_request_failed(p, ctl, n, "buffer show");
		goto out;
	}
	for (i = 0; i < n && l[i].id != id; i++)
		;
	if (i == n) {
		ret = p2pctl_fail(p, P2PCTL_EXIT_FAILED,
				  "buffer show: no buffer %" PRIu32
				  " (or not yours to see)",
				  id);
		goto out;
	}
	ret = P2PCTL_EXIT_OK;
	if (p2pctl_print_buffer(p->out, &l[i], json, bytes))
		ret = p2pctl_fail(p, P2PCTL_EXIT_FAILED, "out of memory");
out:
	free(l);
	p2pbuf_ctl_free(ctl);
	return ret;
}

static const struct p2pctl_cmd buffer_cmds[] = {
	{
		.noun = "buffer",
		.verb = "alloc",
		.run = cmd_buffer_alloc,
		.args = "--provider ID --size SIZE [--fill PATTERN] [--hold] [--device PATH]",
		.summary =
			"Allocate a buffer, show it, optionally fill and verify it",
		.options =
			"  --provider ID    provider to allocate from (0: host RAM)\n"
			"  --size SIZE      bytes, rounded up to the page size\n"
			"  --fill PATTERN   write the 32-bit PATTERN to every word through the\n"
			"                   mapping, read it back, report both bandwidths\n"
			"  --hold           keep the buffer (and its mapping) until interrupted\n"
			"  --device PATH    use PATH instead of /dev/p2pbuf\n"
			"  The buffer is freed when p2pctl exits.\n",
		.no_json = true,
	},
	{
		.noun = "buffer",
		.verb = "export",
		.run = cmd_buffer_alloc,
		.args = "--provider ID --size SIZE [--offset OFF] [--length LEN] [--fill PATTERN] [--hold] [--device PATH]",
		.summary =
			"Allocate a buffer and export it as a dma-buf, for any importer",
		.options =
			"  --provider ID    provider to allocate from (0: host RAM)\n"
			"  --size SIZE      bytes, rounded up to the page size\n"
			"  --offset OFF     start of the exported range (page-aligned; 0)\n"
			"  --length LEN     bytes exported (page-aligned; 0: to the end)\n"
			"  --fill PATTERN   as for 'buffer alloc'\n"
			"  --hold           keep the export until interrupted: importers find\n"
			"                   it in 'p2pctl list' and /proc/PID/fd\n"
			"  --device PATH    use PATH instead of /dev/p2pbuf\n"
			"  The dma-buf is closed when p2pctl exits (importers keep it).\n",
		.no_json = true,
	},
	{
		.noun = "buffer",
		.verb = "show",
		.run = cmd_buffer_show,
		.args = "ID [--json] [--bytes]",
		.summary =
			"Show one buffer: owner, size, mappings, dma-sgls, caching",
		.options =
			"  ID is a buffer id of 'p2pctl list' (CAP_SYS_ADMIN sees every\n"
			"  buffer, other users the buffers they allocated).\n"
			"  --json         print a JSON object, not a table\n"
			"  --bytes        print sizes in bytes, not human-readable\n",
	},
	{
		.noun = "buffer",
		.verb = "revoke",
		.run = cmd_buffer_revoke,
		.args = "ID",
		.summary =
			"Revoke a buffer: take its memory away from whoever holds it",
		.options =
			"  ID is a buffer id of 'p2pctl list'.  Its mappings are zapped (access\n"
			"  gets SIGBUS), its dma-sgls revoked, its memory returned to the\n"
			"  provider.  Needs CAP_SYS_ADMIN.\n",
	},
};

const struct p2pctl_noun p2pctl_noun_buffer = {
	.name = "buffer",
	.summary =
		"Buffers: memory of a provider, allocated, exported, shown and revoked",
	.cmds = buffer_cmds,
	.nr_cmds = ARRAY_SIZE(buffer_cmds),
};
