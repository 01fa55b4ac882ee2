// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * p2pctl: command-line tool for the p2pbuf driver.  Everything but main()
 * lives here so that the host tests can drive it.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <string.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include <linux/p2pbuf.h>

#include "p2pctl-cli.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static int cmd_info(const struct p2pctl *p, const struct p2pctl_cmd *cmd,
		    int argc, char **argv);
static int cmd_help(const struct p2pctl *p, const struct p2pctl_cmd *cmd,
		    int argc, char **argv);
static int cmd_provider_add(const struct p2pctl *p,
			    const struct p2pctl_cmd *cmd, int argc,
			    char **argv);
static int cmd_provider_del(const struct p2pctl *p,
			    const struct p2pctl_cmd *cmd, int argc,
			    char **argv);
static int cmd_provider_list(const struct p2pctl *p,
			     const struct p2pctl_cmd *cmd, int argc,
			     char **argv);
static int cmd_provider_show(const struct p2pctl *p,
			     const struct p2pctl_cmd *cmd, int argc,
			     char **argv);
static int cmd_buffer_alloc(const struct p2pctl *p,
			    const struct p2pctl_cmd *cmd, int argc,
			    char **argv);
static int cmd_buffer_revoke(const struct p2pctl *p,
			     const struct p2pctl_cmd *cmd, int argc,
			     char **argv);
static int cmd_buffer_show(const struct p2pctl *p, const struct p2pctl_cmd *cmd,
			   int argc, char **argv);
static int cmd_map(const struct p2pctl *p, const struct p2pctl_cmd *cmd,
		   int argc, char **argv);
static int cmd_list(const struct p2pctl *p, const struct p2pctl_cmd *cmd,
		    int argc, char **argv);
static int cmd_monitor(const struct p2pctl *p, const struct p2pctl_cmd *cmd,
		       int argc, char **argv);
static int cmd_reach(const struct p2pctl *p, const struct p2pctl_cmd *cmd,
		     int argc, char **argv);
static int cmd_demo(const struct p2pctl *p, const struct p2pctl_cmd *cmd,
		    int argc, char **argv);

/* A new command is one entry here. */
static const struct p2pctl_cmd commands[] = {
	{
		.noun = "info",
		.run = cmd_info,
		.args = "[--json] [--device PATH]",
		.summary =
			"Show the driver's uAPI version, features and limits",
		.options = "  --json         print a JSON object, not a table\n"
			   "  --device PATH  use PATH instead of /dev/p2pbuf\n",
	},
	{
		.noun = "provider",
		.verb = "add",
		.run = cmd_provider_add,
		.args = "PCI-ADDRESS --bar N [--offset SIZE] [--size SIZE] [--allow-host-bridge] [--json] [--bytes]",
		.summary =
			"Register a PCI BAR (or a page-aligned part of it) as a provider",
		.options =
			"  --bar N        BAR index of the device (0-5)\n"
			"  --offset SIZE  start of the range in the BAR (default 0)\n"
			"  --size SIZE    length of the range (default: to the end of the BAR)\n"
			"  --allow-host-bridge\n"
			"                 allow peer-to-peer DMA to this memory through host\n"
			"                 bridges the kernel does not know to forward it\n"
			"  --json         print the new provider as a JSON object\n"
			"  --bytes        print sizes in bytes, not human-readable\n"
			"  PCI-ADDRESS is DDDD:BB:DD.F or BB:DD.F; a SIZE is a number of\n"
			"  bytes (decimal or 0x hexadecimal) with an optional K, M, G or T\n"
			"  suffix (powers of 1024).  Needs CAP_SYS_ADMIN.\n",
	},
	{
		.noun = "provider",
		.verb = "del",
		.run = cmd_provider_del,
		.args = "ID [--force]",
		.summary = "Remove a provider",
		.options =
			"  --force        if buffers use its memory, revoke them (and their\n"
			"                 dma-sgls) instead of refusing; their holders get\n"
			"                 SIGBUS on access, their dma-sgls poll as revoked\n"
			"  Needs CAP_SYS_ADMIN; the sysmem provider (0) cannot be removed.\n",
	},
	{
		.noun = "provider",
		.verb = "list",
		.run = cmd_provider_list,
		.args = "[--json] [--bytes]",
		.summary = "List the providers",
		.options =
			"  --json         print a JSON array of objects, not a table\n"
			"  --bytes        print sizes in bytes, not human-readable\n",
	},
	{
		.noun = "provider",
		.verb = "show",
		.run = cmd_provider_show,
		.args = "ID [--json] [--bytes]",
		.summary = "Show one provider",
		.options =
			"  --json         print a JSON object, not a table\n"
			"  --bytes        print sizes in bytes, not human-readable\n",
	},
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
	{
		.noun = "map",
		.run = cmd_map,
		.args = "--buffer-size SIZE [--provider ID] --target PCI-ADDRESS [--direction DIR] [--offset SIZE] [--length SIZE] [--lengths-only] [--json] [--hold] [--device PATH]",
		.summary =
			"Allocate a buffer, map it for DMA by a PCI device, show the DMA segments",
		.options =
			"  --buffer-size SIZE    bytes to allocate, rounded up to the page size\n"
			"  --provider ID         provider to allocate from (default 0: host RAM)\n"
			"  --target PCI-ADDRESS  the device that will do the DMA\n"
			"  --direction DIR       to-device, from-device or bidirectional (default)\n"
			"  --offset SIZE         start of the mapped range in the buffer (default 0)\n"
			"  --length SIZE         length of the range (default: to the end of the\n"
			"                        buffer); both multiples of the page size\n"
			"  --lengths-only        print segment lengths only (DMA addresses need\n"
			"                        CAP_SYS_RAWIO)\n"
			"  --json                print a JSON object, not a table\n"
			"  --hold                keep the mapping until interrupted, or until\n"
			"                        it is revoked (then exit 1)\n"
			"  --device PATH         use PATH instead of /dev/p2pbuf\n"
			"  PCI-ADDRESS is DDDD:BB:DD.F or BB:DD.F.  The mapping and the buffer\n"
			"  are released when p2pctl exits.\n",
	},
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
	{
		.noun = "list",
		.run = cmd_list,
		.args = "[--json] [--bytes]",
		.summary =
			"List the buffers and dma-sgls of every process, with their owners",
		.options =
			"  --json         print a JSON object, not tables\n"
			"  --bytes        print sizes in bytes, not human-readable\n"
			"  Without CAP_SYS_ADMIN only the objects of your own (effective) uid\n"
			"  are listed.\n",
	},
	{
		.noun = "monitor",
		.run = cmd_monitor,
		.args = "[--json] [--count N] [--timeout SECS]",
		.summary =
			"Print p2pbuf events as they happen, one per line, until interrupted",
		.options =
			"  --json          print each event as a JSON object on one line\n"
			"  --count N       stop after N events\n"
			"  --timeout SECS  stop after SECS seconds (exit 1 if fewer than\n"
			"                  --count events came)\n"
			"  SIGINT and SIGTERM end it with exit status 0.  Lost events (the\n"
			"  socket's buffer overflowed) are reported on standard error.\n",
	},
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
	},
	{
		.noun = "help",
		.run = cmd_help,
		.args = "[COMMAND]",
		.summary = "Show help for p2pctl or for one command",
	},
};

static const char exit_status_help[] =
	"Exit status:\n"
	"  0  success\n"
	"  1  the operation failed\n"
	"  2  usage error\n"
	"  3  the device node or the p2pbuf module is missing, or the device\n"
	"     is not a p2pbuf device\n"
	"  4  the driver's uAPI version is incompatible with libp2pbuf\n"
	"  5  permission denied by the kernel (CAP_SYS_ADMIN for providers and\n"
	"     revocation, CAP_SYS_RAWIO for DMA addresses)\n"
	"  6  the target device cannot reach the provider's memory\n";

__attribute__((format(printf, 3, 4))) static int
fail(const struct p2pctl *p, int status, const char *fmt, ...)
{
	va_list ap;

	fputs("p2pctl: ", p->err);
	va_start(ap, fmt);
	vfprintf(p->err, fmt, ap);
	va_end(ap);
	fputc('\n', p->err);
	return status;
}

static void print_cmd_name(FILE *out, const struct p2pctl_cmd *cmd)
{
	fputs(cmd->noun, out);
	if (cmd->verb)
		fprintf(out, " %s", cmd->verb);
}

static void print_usage(FILE *out)
{
	size_t i;

	fputs("Usage: p2pctl [--help | --version] COMMAND [OPTIONS]\n"
	      "\n"
	      "Inspect and control p2pbuf peer-to-peer DMA buffers.\n"
	      "\n"
	      "Commands:\n",
	      out);
	for (i = 0; i < ARRAY_SIZE(commands); i++) {
		fputs("  ", out);
		print_cmd_name(out, &commands[i]);
		fprintf(out, " %s\n      %s\n", commands[i].args,
			commands[i].summary);
	}
	fprintf(out,
		"\n%s\nRun 'p2pctl help COMMAND' for the options of a command; "
		"see p2pctl(8).\n",
		exit_status_help);
}

static void print_cmd_usage(FILE *out, const struct p2pctl_cmd *cmd)
{
	fputs("Usage: p2pctl ", out);
	print_cmd_name(out, cmd);
	fprintf(out,
		" %s\n\n%s.\n\nOptions:\n%s  -h, --help     show this help\n",
		cmd->args, cmd->summary, cmd->options ? cmd->options : "");
}

/*
 * "p2pctl: [CMD: ]MESSAGE (see 'p2pctl [CMD ]--help')" for a bad command line
 * of cmd (NULL: before the command words).
 */
__attribute__((format(printf, 3, 4))) static int
usage_error(const struct p2pctl *p, const struct p2pctl_cmd *cmd,
	    const char *fmt, ...)
{
	va_list ap;

	fputs("p2pctl: ", p->err);
	if (cmd) {
		print_cmd_name(p->err, cmd);
		fputs(": ", p->err);
	}
	va_start(ap, fmt);
	vfprintf(p->err, fmt, ap);
	va_end(ap);
	fputs(" (see 'p2pctl ", p->err);
	if (cmd) {
		print_cmd_name(p->err, cmd);
		fputc(' ', p->err);
	}
	fputs("--help')\n", p->err);
	return P2PCTL_EXIT_USAGE;
}

/* Report the getopt_long() error c for the options of cmd. */
static int opt_error(const struct p2pctl *p, const struct p2pctl_cmd *cmd,
		     int c, char **argv)
{
	const char *arg = argv[optind - 1];

	if (c == ':')
		return usage_error(p, cmd, "option '%s' requires an argument",
				   arg);
	if (!strncmp(arg, "--", 2))
		return usage_error(p, cmd, "invalid option '%s'", arg);
	return usage_error(p, cmd, "invalid option '-%c'", optopt);
}

const struct p2pctl_cmd *p2pctl_find_cmd(const struct p2pctl_cmd *table,
					 size_t n, int argc, char **argv,
					 int *words)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (strcmp(table[i].noun, argv[0]))
			continue;
		if (!table[i].verb) {
			*words = 1;
			return &table[i];
		}
		if (argc > 1 && !strcmp(table[i].verb, argv[1])) {
			*words = 2;
			return &table[i];
		}
	}
	return NULL;
}

static bool noun_exists(const char *noun)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(commands); i++)
		if (!strcmp(commands[i].noun, noun))
			return true;
	return false;
}

static int unknown_cmd(const struct p2pctl *p, char **argv)
{
	if (noun_exists(argv[0]))
		return usage_error(p, NULL, "%s: missing or unknown verb",
				   argv[0]);
	return usage_error(p, NULL, "unknown command '%s'", argv[0]);
}

int p2pctl_open(const struct p2pctl *p, const char *device,
		struct p2pbuf_ctx **ctxp)
{
	int err = p2pbuf_ctx_new(device, ctxp);

	switch (err) {
	case 0:
		return P2PCTL_EXIT_OK;
	case -ENOENT:
	case -ENODEV:
	case -ENXIO:
		if (err == -ENOENT)
			fprintf(p->err, "p2pctl: %s not found", device);
		else
			fprintf(p->err, "p2pctl: %s: %s", device,
				p2pbuf_strerror(err));
		if (access(p->sysfs_module, F_OK) == 0)
			fputs(", but the p2pbuf module is loaded (is devtmpfs mounted? or use --device PATH)\n",
			      p->err);
		else
			fputs(": the p2pbuf module is not loaded (run 'modprobe p2pbuf' or 'insmod kernel/p2pbuf.ko')\n",
			      p->err);
		return P2PCTL_EXIT_NODEV;
	case -P2PBUF_E_NOTP2PBUF:
		return fail(p, P2PCTL_EXIT_NODEV, "%s: not a p2pbuf device",
			    device);
	case -P2PBUF_E_VERSION:
		return fail(p, P2PCTL_EXIT_VERSION, "%s: %s", device,
			    p2pbuf_strerror(err));
	default:
		return fail(p, P2PCTL_EXIT_FAILED, "%s: %s", device,
			    p2pbuf_strerror(err));
	}
}

void p2pctl_json_string(FILE *out, const char *s)
{
	const unsigned char *c;

	fputc('"', out);
	for (c = (const unsigned char *)s; *c; c++) {
		switch (*c) {
		case '"':
			fputs("\\\"", out);
			break;
		case '\\':
			fputs("\\\\", out);
			break;
		case '\n':
			fputs("\\n", out);
			break;
		case '\t':
			fputs("\\t", out);
			break;
		default:
			/* Bytes that are not printable ASCII: always valid JSON. */
			if (*c < 0x20 || *c >= 0x7f)
				fprintf(out, "\\u%04x", *c);
			else
				fputc(*c, out);
		}
	}
	fputc('"', out);
}

static void print_info_json(FILE *out, const char *device,
			    const struct p2pbuf_driver_info *info)
{
	const char *sep = "";
	unsigned int i;

	fputs("{\n  \"device\": ", out);
	p2pctl_json_string(out, device);
	fprintf(out, ",\n  \"uapi_version\": \"%u.%u\",\n", info->version_major,
		info->version_minor);
	fputs("  \"driver_version\": ", out);
	p2pctl_json_string(out, info->driver_version);
	fputs(",\n  \"library_version\": ", out);
	p2pctl_json_string(out, p2pbuf_version());
	fprintf(out, ",\n  \"page_size\": %u,\n  \"features\": [",
		info->page_size);
	for (i = 0; i < 64; i++) {
		const char *name = p2pbuf_feature_name(1ULL << i);

		if ((info->features & (1ULL << i)) && name) {
			fprintf(out, "%s\"%s\"", sep, name);
			sep = ", ";
		}
	}
	fprintf(out,
		"],\n"
		"  \"features_mask\": \"0x%" PRIx64 "\",\n"
		"  \"max_buffers_per_fd\": %u,\n"
		"  \"max_sgls_per_fd\": %u,\n"
		"  \"max_sgl_segments\": %u\n"
		"}\n",
		info->features, info->max_buffers_per_fd, info->max_sgls_per_fd,
		info->max_sgl_segments);
}

static void print_info_table(FILE *out, const char *device,
			     const struct p2pbuf_driver_info *info)
{
	unsigned int i;

	fprintf(out,
		"device:              %s\n"
		"uAPI version:        %u.%u\n"
		"driver version:      %s\n"
		"library version:     %s\n"
		"page size:           %u\n"
		"features:           ",
		device, info->version_major, info->version_minor,
		info->driver_version, p2pbuf_version(), info->page_size);
	if (!info->features)
		fputs(" none", out);
	for (i = 0; i < 64; i++) {
		uint64_t bit = 1ULL << i;
		const char *name = p2pbuf_feature_name(bit);

		if (!(info->features & bit))
			continue;
		if (name)
			fprintf(out, " %s", name);
		else
			fprintf(out, " 0x%" PRIx64, bit);
	}
	fprintf(out,
		"\n"
		"max buffers per fd:  %u\n"
		"max SGLs per fd:     %u\n"
		"max SGL segments:    %u\n",
		info->max_buffers_per_fd, info->max_sgls_per_fd,
		info->max_sgl_segments);
}

void p2pctl_print_info(FILE *out, const char *device,
		       const struct p2pbuf_driver_info *info, bool json)
{
	if (json)
		print_info_json(out, device, info);
	else
		print_info_table(out, device, info);
}

static int cmd_info(const struct p2pctl *p, const struct p2pctl_cmd *cmd,
		    int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "device", required_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	const char *device = P2PBUF_DEFAULT_DEVICE;
	struct p2pbuf_driver_info info;
	struct p2pbuf_ctx *ctx;
	bool json = false;
	int c, ret;

	optind = 0;
	while ((c = getopt_long(argc, argv, "+:h", opts, NULL)) != -1) {
		switch (c) {
		case 'j':
			json = true;
			break;
		case 'd':
			device = optarg;
			break;
		case 'h':
			print_cmd_usage(p->out, cmd);
			return P2PCTL_EXIT_OK;
		default:
			return opt_error(p, cmd, c, argv);
		}
	}
	if (optind < argc)
		return usage_error(p, cmd, "unexpected argument '%s'",
				   argv[optind]);

	ret = p2pctl_open(p, device, &ctx);
	if (ret)
		return ret;
	ret = p2pbuf_ctx_get_info(ctx, &info, sizeof(info));
	p2pbuf_ctx_unref(ctx);
	if (ret)
		return fail(p, P2PCTL_EXIT_FAILED, "%s: %s", device,
			    p2pbuf_strerror(ret));
	p2pctl_print_info(p->out, device, &info, json);
	return P2PCTL_EXIT_OK;
}

static int cmd_help(const struct p2pctl *p, const struct p2pctl_cmd *cmd,
		    int argc, char **argv)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' }, {}
	};
	const struct p2pctl_cmd *topic;
	int c, words;

	optind = 0;
	while ((c = getopt_long(argc, argv, "+:h", opts, NULL)) != -1) {
		if (c != 'h')
			return opt_error(p, cmd, c, argv);
		print_cmd_usage(p->out, cmd);
		return P2PCTL_EXIT_OK;
	}
	argc -= optind;
	argv += optind;
	if (!argc) {
		print_usage(p->out);
		return P2PCTL_EXIT_OK;
	}
	topic = p2pctl_find_cmd(commands, ARRAY_SIZE(commands), argc, argv,
				&words);
	if (!topic)
		return unknown_cmd(p, argv);
	if (words < argc)
		return usage_error(p, cmd, "unexpected argument '%s'",
				   argv[words]);
	print_cmd_usage(p->out, topic);
	return P2PCTL_EXIT_OK;
}

/* --- providers ---------------------------------------------------------- */

int p2pctl_parse_size(const char *s, uint64_t *out)
{
	static const char suffixes[] = "kmgt";
	unsigned long long v;
	const char *suf;
	char *end;
	int shift;

	/* strtoull() would take leading blanks and signs. */
	if (!isdigit((unsigned char)s[0]))
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 0);
	if (end == s)
		return -EINVAL;
	if (errno == ERANGE)
		return -ERANGE;
	if (!*end) {
		*out = v;
		return 0;
	}
	suf = end[1] ? NULL : strchr(suffixes, tolower((unsigned char)*end));
	if (!suf || !*suf)
		return -EINVAL;
	shift = 10 * (int)(suf - suffixes + 1);
	if (v > UINT64_MAX >> shift)
		return -ERANGE;
	*out = (uint64_t)v << shift;
	return 0;
}

void p2pctl_format_size(uint64_t bytes, char buf[P2PCTL_SIZE_STRLEN])
{
	static const char *const units[] = { "KiB", "MiB", "GiB",
					     "TiB", "PiB", "EiB" };
	unsigned __int128 unit = 1024, tenths;
	size_t i = 0;

	if (bytes < 1024) {
		snprintf(buf, P2PCTL_SIZE_STRLEN, "%" PRIu64 " B", bytes);
		return;
	}
	/* The largest unit that bytes reaches, then round to a tenth. */
	while (i + 1 < ARRAY_SIZE(units) && bytes >= unit * 1024) {
		unit *= 1024;
		i++;
	}
	tenths = ((unsigned __int128)bytes * 10 + unit / 2) / unit;
	/* 1023.96 KiB rounds to 1024.0 KiB: say 1.0 MiB. */
	if (tenths >= 10240 && i + 1 < ARRAY_SIZE(units)) {
		unit *= 1024;
		i++;
		tenths = ((unsigned __int128)bytes * 10 + unit / 2) / unit;
	}
	snprintf(buf, P2PCTL_SIZE_STRLEN, "%" PRIu64 ".%u %s",
		 (uint64_t)(tenths / 10), (unsigned int)(tenths % 10),
		 units[i]);
}

/* A field of 1 to max hexadecimal digits ending at stop; its value. */
static const char *hex_field(const char *s, int max, char stop,
			     unsigned int *val)
{
	int n;

	*val = 0;
	for (n = 0; isxdigit((unsigned char)s[n]); n++) {
		if (n == max)
			return NULL;
		*val = *val * 16 +
		       (isdigit((unsigned char)s[n]) ?
				(unsigned int)(s[n] - '0') :
				(unsigned int)(tolower((unsigned char)s[n]) -
					       'a' + 10));
	}
	if (!n || s[n] != stop)
		return NULL;
	return s + n + (stop ? 1 : 0);
}

int p2pctl_parse_pci_addr(const char *s, char out[P2PBUF_PCI_ADDR_STRLEN])
{
	unsigned int dom = 0, bus, dev, fn;
	const char *c = s;
	int colons = 0;

	for (; *c; c++)
		colons += *c == ':';
	c = s;
	if (colons == 2 && !(c = hex_field(c, 4, ':', &dom)))
		return -EINVAL;
	if (colons < 1 || colons > 2 || !(c = hex_field(c, 2, ':', &bus)) ||
	    !(c = hex_field(c, 2, '.', &dev)) ||
	    !(c = hex_field(c, 1, '\0', &fn)) || dev > 0x1f || fn > 7)
		return -EINVAL;
	snprintf(out, P2PBUF_PCI_ADDR_STRLEN, "%04x:%02x:%02x.%x", dom, bus,
		 dev, fn);
	return 0;
}

const char *p2pctl_provider_kind_name(uint32_t kind)
{
	switch (kind) {
	case P2PBUF_NL_PROVIDER_KIND_SYSMEM:
		return "sysmem";
	case P2PBUF_NL_PROVIDER_KIND_PCIBAR:
		return "pcibar";
	default:
		return NULL;
	}
}

/* The kind's name, or "kind-N" for one this p2pctl does not know. */
static const char *kind_str(uint32_t kind, char buf[16])
{
	const char *name = p2pctl_provider_kind_name(kind);

	if (name)
		return name;
	snprintf(buf, 16, "kind-%" PRIu32, kind);
	return buf;
}

static bool is_pcibar(const struct p2pbuf_provider_info *p)
{
	return p->kind == P2PBUF_NL_PROVIDER_KIND_PCIBAR;
}

static bool prefetchable(const struct p2pbuf_provider_info *p)
{
	return p->flags & P2PBUF_NL_PROVIDER_F_PREFETCHABLE;
}

static bool host_bridge_p2p(const struct p2pbuf_provider_info *p)
{
	return p->flags & P2PBUF_NL_PROVIDER_F_HOST_BRIDGE_P2P;
}

/* One provider as a JSON object; members separated by sep. */
static void print_provider_json(FILE *out, const struct p2pbuf_provider_info *p,
				const char *open, const char *sep,
				const char *close)
{
	char kbuf[16];

	fprintf(out, "%s\"id\": %" PRIu32 "%s\"kind\": ", open, p->id, sep);
	p2pctl_json_string(out, kind_str(p->kind, kbuf));
	fprintf(out, "%s\"pci_address\": ", sep);
	if (is_pcibar(p)) {
		p2pctl_json_string(out, p->pci_addr);
		fprintf(out, "%s\"bar\": %" PRIu32 "%s\"offset\": %" PRIu64,
			sep, p->bar, sep, p->offset);
	} else {
		fprintf(out, "null%s\"bar\": null%s\"offset\": null", sep, sep);
	}
	fprintf(out,
		"%s\"size\": %" PRIu64 "%s\"free\": %" PRIu64
		"%s\"buffers\": %" PRIu32 "%s\"prefetchable\": %s"
		"%s\"numa_node\": %" PRId32 "%s\"host_bridge_p2p\": %s%s",
		sep, p->size, sep, p->free_bytes, sep, p->buffers, sep,
		prefetchable(p) ? "true" : "false", sep, p->numa_node, sep,
		host_bridge_p2p(p) ? "true" : "false", close);
}

static void size_str(uint64_t v, bool bytes, char buf[P2PCTL_SIZE_STRLEN])
{
	if (bytes)
		snprintf(buf, P2PCTL_SIZE_STRLEN, "%" PRIu64, v);
	else
		p2pctl_format_size(v, buf);
}

enum {
	COL_ID,
	COL_KIND,
	COL_PCI,
	COL_BAR,
	COL_OFFSET,
	COL_SIZE,
	COL_FREE,
	COL_BUFFERS,
	COL_PREFETCH,
	COL_NUMA,
	NR_COLS
};

static const char *const col_names[NR_COLS] = {
	"ID",	"KIND", "PCI ADDRESS", "BAR",	   "OFFSET",
	"SIZE", "FREE", "BUFFERS",     "PREFETCH", "NUMA",
};

static void table_row(const struct p2pbuf_provider_info *p, bool bytes,
		      char cells[NR_COLS][P2PCTL_SIZE_STRLEN])
{
	char kbuf[16];

	snprintf(cells[COL_ID], P2PCTL_SIZE_STRLEN, "%" PRIu32, p->id);
	snprintf(cells[COL_KIND], P2PCTL_SIZE_STRLEN, "%s",
		 kind_str(p->kind, kbuf));
	if (is_pcibar(p)) {
		snprintf(cells[COL_PCI], P2PCTL_SIZE_STRLEN, "%s", p->pci_addr);
		snprintf(cells[COL_BAR], P2PCTL_SIZE_STRLEN, "%" PRIu32,
			 p->bar);
		size_str(p->offset, bytes, cells[COL_OFFSET]);
	} else {
		strcpy(cells[COL_PCI], "-");
		strcpy(cells[COL_BAR], "-");
		strcpy(cells[COL_OFFSET], "-");
	}
	size_str(p->size, bytes, cells[COL_SIZE]);
	size_str(p->free_bytes, bytes, cells[COL_FREE]);
	snprintf(cells[COL_BUFFERS], P2PCTL_SIZE_STRLEN, "%" PRIu32,
		 p->buffers);
	strcpy(cells[COL_PREFETCH], prefetchable(p) ? "yes" : "no");
	if (p->numa_node < 0)
		strcpy(cells[COL_NUMA], "-");
	else
		snprintf(cells[COL_NUMA], P2PCTL_SIZE_STRLEN, "%" PRId32,
			 p->numa_node);
}

static void print_row(FILE *out, const int width[NR_COLS],
		      const char *const cells[NR_COLS])
{
	int c;

	for (c = 0; c < NR_COLS; c++) {
		if (c == NR_COLS - 1)
			fprintf(out, "%s\n", cells[c]);
		else
			fprintf(out, "%-*s  ", width[c], cells[c]);
	}
}

void p2pctl_print_providers(FILE *out, const struct p2pbuf_provider_info *l,
			    int n, bool json, bool bytes)
{
	char(*cells)[NR_COLS][P2PCTL_SIZE_STRLEN];
	int width[NR_COLS], i, c;
	const char *row[NR_COLS];

	if (json) {
		fputs("[\n", out);
		for (i = 0; i < n; i++)
			print_provider_json(out, &l[i], "  {", ", ",
					    i + 1 < n ? "},\n" : "}\n");
		fputs("]\n", out);
		return;
	}
	cells = calloc(n ? n : 1, sizeof(*cells));
	if (!cells) {
		/* Reported by p2pctl_main() as a write error. */
		fputs("p2pctl: out of memory\n", out);
		return;
	}
	for (c = 0; c < NR_COLS; c++)
		width[c] = strlen(col_names[c]);
	for (i = 0; i < n; i++) {
		table_row(&l[i], bytes, cells[i]);
		for (c = 0; c < NR_COLS; c++)
			if ((int)strlen(cells[i][c]) > width[c])
				width[c] = strlen(cells[i][c]);
	}
	print_row(out, width, col_names);
	for (i = 0; i < n; i++) {
		for (c = 0; c < NR_COLS; c++)
			row[c] = cells[i][c];
		print_row(out, width, row);
	}
	free(cells);
}

void p2pctl_print_provider(FILE *out, const struct p2pbuf_provider_info *p,
			   bool json, bool bytes)
{
	char cells[NR_COLS][P2PCTL_SIZE_STRLEN];

	if (json) {
		print_provider_json(out, p, "{\n  ", ",\n  ", "\n}\n");
		return;
	}
	table_row(p, bytes, cells);
	fprintf(out, "id:            %s\nkind:          %s\n", cells[COL_ID],
		cells[COL_KIND]);
	if (is_pcibar(p))
		fprintf(out,
			"PCI address:   %s\nBAR:           %s\n"
			"offset:        %s\n",
			cells[COL_PCI], cells[COL_BAR], cells[COL_OFFSET]);
	fprintf(out,
		"size:          %s\nfree:          %s\nbuffers:       %s\n"
		"prefetchable:  %s\nNUMA node:     %s\n",
		cells[COL_SIZE], cells[COL_FREE], cells[COL_BUFFERS],
		cells[COL_PREFETCH], cells[COL_NUMA]);
	if (is_pcibar(p))
		fprintf(out, "host bridges:  %s\n",
			host_bridge_p2p(p) ?
				"any (allowed by the administrator)" :
				"known to forward P2P only");
}

/*
 * A netlink socket for the family could not be opened (err): say why, as
 * p2pctl does, and return the exit status.
 */
static int open_ctl_failed(const struct p2pctl *p, int err)
{
	if (err == -ENOENT) {
		if (access(p->sysfs_module, F_OK) == 0)
			return fail(
				p, P2PCTL_EXIT_NODEV,
				"the p2pbuf netlink family is not registered, but the p2pbuf module is loaded");
		return fail(
			p, P2PCTL_EXIT_NODEV,
			"the p2pbuf netlink family is not registered: the p2pbuf module is not loaded (run 'modprobe p2pbuf' or 'insmod kernel/p2pbuf.ko')");
	}
	return fail(p, P2PCTL_EXIT_FAILED, "netlink: %s", p2pbuf_strerror(err));
}

/* Open the control context, reporting failures as p2pctl does. */
static int open_ctl(const struct p2pctl *p, struct p2pbuf_ctl **ctlp)
{
	int err = p2pbuf_ctl_new(ctlp);

	return err ? open_ctl_failed(p, err) : P2PCTL_EXIT_OK;
}

/*
 * A request on ctl failed with err: "p2pctl: WHAT: STRERROR: EXTACK" and the
 * exit status.
 */
static int request_failed(const struct p2pctl *p, struct p2pbuf_ctl *ctl,
			  int err, const char *what)
{
	const char *msg = p2pbuf_ctl_last_error(ctl);
	int status = P2PCTL_EXIT_FAILED;

	if (err == -EPERM) {
		status = P2PCTL_EXIT_PERM;
		if (!msg)
			msg = "CAP_SYS_ADMIN is needed";
	}
	if (err == -EOPNOTSUPP && !msg)
		msg = "the kernel does not know this request (uAPI before 1.3)";
	if (msg)
		return fail(p, status, "%s: %s: %s", what, p2pbuf_strerror(err),
			    msg);
	return fail(p, status, "%s: %s", what, p2pbuf_strerror(err));
}

static int parse_u32(const char *s, uint32_t *out)
{
	unsigned long v;
	char *end;

	if (!isdigit((unsigned char)s[0]))
		return -EINVAL;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (*end || errno || v > UINT32_MAX)
		return -EINVAL;
	*out = v;
	return 0;
}

static int size_arg(const struct p2pctl *p, const struct p2pctl_cmd *cmd,
		    const char *opt, const char *arg, uint64_t *out)
{
	int ret = p2pctl_parse_size(arg, out);

	if (ret == -ERANGE)
		return usage_error(p, cmd, "%s '%s' is too large", opt, arg);
	if (ret)
		return usage_error(
			p, cmd,
			"invalid %s '%s' (a number of bytes with an optional K, M, G or T suffix)",
			opt, arg);
	return 0;
}

/* Options of the provider commands: which ones each takes is in allowed. */
struct provider_opts {
	bool json, bytes, has_bar, allow_host_bridge, force;
	uint32_t bar;
	uint64_t offset, size;
	const char *positional;
};

static int provider_opts(const struct p2pctl *p, const struct p2pctl_cmd *cmd,
			 int argc, char **argv, const char *allowed,
			 const char *positional, struct provider_opts *o)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "bytes", no_argument, NULL, 'b' },
		{ "bar", required_argument, NULL, 'B' },
		{ "offset", required_argument, NULL, 'o' },
		{ "size", required_argument, NULL, 's' },
		{ "allow-host-bridge", no_argument, NULL, 'A' },
		{ "force", no_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	int c, ret;

	memset(o, 0, sizeof(*o));
	/* Options may follow the positional argument (GNU permutation). */
	optind = 0;
	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		if (c == 'h') {
			print_cmd_usage(p->out, cmd);
			return -1;
		}
		if (c == '?' || c == ':' || !strchr(allowed, c))
			return opt_error(p, cmd, c == ':' ? ':' : '?', argv);
		switch (c) {
		case 'j':
			o->json = true;
			break;
		case 'b':
			o->bytes = true;
			break;
		case 'A':
			o->allow_host_bridge = true;
			break;
		case 'f':
			o->force = true;
			break;
		case 'B':
			if (parse_u32(optarg, &o->bar))
				return usage_error(p, cmd,
						   "invalid BAR index '%s'",
						   optarg);
			o->has_bar = true;
			break;
		case 'o':
			ret = size_arg(p, cmd, "offset", optarg, &o->offset);
			if (ret)
				return ret;
			break;
		case 's':
			ret = size_arg(p, cmd, "size", optarg, &o->size);
			if (ret)
				return ret;
			break;
		}
	}
	if (positional) {
		if (optind == argc)
			return usage_error(p, cmd, "missing %s", positional);
		o->positional = argv[optind++];
	}
	if (optind < argc)
		return usage_error(p, cmd, "unexpected argument '%s'",
				   argv[optind]);
	return 0;
}

/* Run the provider options; -1 from provider_opts() means --help shown. */
#define PROVIDER_OPTS(...)                                     \
	do {                                                   \
		int __r = provider_opts(__VA_ARGS__);          \
		if (__r)                                       \
			return __r < 0 ? P2PCTL_EXIT_OK : __r; \
	} while (0)

static int id_arg(const struct p2pctl *p, const struct p2pctl_cmd *cmd,
		  const char *arg, uint32_t *id)
{
	if (parse_u32(arg, id))
		return usage_error(p, cmd, "invalid provider id '%s'", arg);
	return 0;
}

static int cmd_provider_add(const struct p2pctl *p,
			    const struct p2pctl_cmd *cmd, int argc, char **argv)
{
	char addr[P2PBUF_PCI_ADDR_STRLEN], what[96];
	struct p2pbuf_provider_info info;
	struct provider_opts o;
	struct p2pbuf_ctl *ctl;
	int ret;

	PROVIDER_OPTS(p, cmd, argc, argv, "jbBosA", "PCI address", &o);
	if (p2pctl_parse_pci_addr(o.positional, addr))
		return usage_error(
			p, cmd,
			"invalid PCI address '%s' (expected DDDD:BB:DD.F)",
			o.positional);
	if (!o.has_bar)
		return usage_error(p, cmd, "missing --bar");
	ret = open_ctl(p, &ctl);
	if (ret)
		return ret;
	ret = p2pbuf_provider_add(
		ctl, addr, o.bar, o.offset, o.size,
		o.allow_host_bridge ? P2PBUF_NL_PROVIDER_F_HOST_BRIDGE_P2P : 0,
		&info, sizeof(info));
	if (ret) {
		snprintf(what, sizeof(what), "provider add %s BAR %" PRIu32,
			 addr, o.bar);
		ret = request_failed(p, ctl, ret, what);
	} else {
		p2pctl_print_provider(p->out, &info, o.json, o.bytes);
	}
	p2pbuf_ctl_free(ctl);
	return ret;
}

static int cmd_provider_del(const struct p2pctl *p,
			    const struct p2pctl_cmd *cmd, int argc, char **argv)
{
	struct provider_opts o;
	const char *msg;
	struct p2pbuf_ctl *ctl;
	char what[48];
	uint32_t id;
	int ret;

	PROVIDER_OPTS(p, cmd, argc, argv, "f", "provider id", &o);
	ret = id_arg(p, cmd, o.positional, &id);
	if (ret)
		return ret;
	ret = open_ctl(p, &ctl);
	if (ret)
		return ret;
	ret = p2pbuf_provider_del(ctl, id,
				  o.force ? P2PBUF_PROVIDER_DEL_FORCE : 0);
	if (ret == -EBUSY && !o.force) {
		msg = p2pbuf_ctl_last_error(ctl);
		ret = fail(p, P2PCTL_EXIT_FAILED,
			   "provider del %" PRIu32
			   ": %s%s%s (--force revokes them)",
			   id, p2pbuf_strerror(ret), msg ? ": " : "",
			   msg ? msg : "");
	} else if (ret) {
		snprintf(what, sizeof(what), "provider del %" PRIu32, id);
		ret = request_failed(p, ctl, ret, what);
	}
	p2pbuf_ctl_free(ctl);
	return ret;
}

static int cmd_provider_list(const struct p2pctl *p,
			     const struct p2pctl_cmd *cmd, int argc,
			     char **argv)
{
	struct p2pbuf_provider_info *l;
	struct provider_opts o;
	struct p2pbuf_ctl *ctl;
	int ret, n;

	PROVIDER_OPTS(p, cmd, argc, argv, "jb", NULL, &o);
	ret = open_ctl(p, &ctl);
	if (ret)
		return ret;
	n = p2pbuf_provider_list(ctl, &l, sizeof(*l));
	if (n < 0) {
		ret = request_failed(p, ctl, n, "provider list");
	} else {
		p2pctl_print_providers(p->out, l, n, o.json, o.bytes);
		free(l);
	}
	p2pbuf_ctl_free(ctl);
	return ret;
}

static int cmd_provider_show(const struct p2pctl *p,
			     const struct p2pctl_cmd *cmd, int argc,
			     char **argv)
{
	struct p2pbuf_provider_info info;
	struct provider_opts o;
	struct p2pbuf_ctl *ctl;
	char what[48];
	uint32_t id;
	int ret;

	PROVIDER_OPTS(p, cmd, argc, argv, "jb", "provider id", &o);
	ret = id_arg(p, cmd, o.positional, &id);
	if (ret)
		return ret;
	ret = open_ctl(p, &ctl);
	if (ret)
		return ret;
	ret = p2pbuf_provider_get(ctl, id, &info, sizeof(info));
	if (ret) {
		snprintf(what, sizeof(what), "provider show %" PRIu32, id);
		ret = request_failed(p, ctl, ret, what);
	} else {
		p2pctl_print_provider(p->out, &info, o.json, o.bytes);
	}
	p2pbuf_ctl_free(ctl);
	return ret;
}

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
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	const char *device = P2PBUF_DEFAULT_DEVICE, *mode;
	bool has_prov = false, has_size = false, fill = false, hold = false;
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
			if (parse_u32(optarg, &prov))
				return usage_error(p, cmd,
						   "invalid provider id '%s'",
						   optarg);
			has_prov = true;
			break;
		case 's':
			ret = size_arg(p, cmd, "size", optarg, &size);
			if (ret)
				return ret;
			has_size = true;
			break;
		case 'f':
			errno = 0;
			v = strtoull(optarg, &end, 0);
			if (!isdigit((unsigned char)optarg[0]) || *end ||
			    errno || v > UINT32_MAX)
				return usage_error(
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
		case 'h':
			print_cmd_usage(p->out, cmd);
			return P2PCTL_EXIT_OK;
		default:
			return opt_error(p, cmd, c, argv);
		}
	}
	if (optind < argc)
		return usage_error(p, cmd, "unexpected argument '%s'",
				   argv[optind]);
	if (!has_prov)
		return usage_error(p, cmd, "missing --provider");
	if (!has_size)
		return usage_error(p, cmd, "missing --size");

	ret = p2pctl_open(p, device, &ctx);
	if (ret)
		return ret;
	ret = p2pbuf_buffer_alloc(ctx, prov, size, 0, &buf);
	p2pbuf_ctx_unref(ctx);
	if (ret)
		return fail(p, P2PCTL_EXIT_FAILED,
			    "buffer alloc: provider %" PRIu32 ": %s", prov,
			    p2pbuf_strerror(ret));
	p2pctl_format_size(p2pbuf_buffer_get_size(buf), sz);
	mode = p2pbuf_cache_mode_name(p2pbuf_buffer_get_cache_mode(buf));
	fprintf(p->out,
		"handle:        %" PRIu32 "\n"
		"provider:      %" PRIu32 "\n"
		"size:          %s\n"
		"caching:       %s\n",
		p2pbuf_buffer_get_handle(buf), p2pbuf_buffer_get_provider(buf),
		sz, mode ? mode : "unknown");
	if (fill || hold) {
		ret = p2pbuf_buffer_mmap(buf, 0, 0, &map);
		if (ret) {
			ret = fail(p, P2PCTL_EXIT_FAILED, "buffer mmap: %s",
				   p2pbuf_strerror(ret));
			goto out_free;
		}
	}
	if (fill) {
		bad = fill_verify(p, map, p2pbuf_buffer_get_size(buf), pattern);
		if (bad) {
			ret = fail(p, P2PCTL_EXIT_FAILED,
				   "verify: mismatch at offset %#" PRIx64,
				   bad - 1);
			goto out_unmap;
		}
	}
	if (hold) {
		fprintf(p->out, "holding the buffer until interrupted\n");
		fflush(p->out);
		pause();
	}
	ret = P2PCTL_EXIT_OK;
out_unmap:
	if (map)
		p2pbuf_buffer_munmap(buf, map, p2pbuf_buffer_get_size(buf));
out_free:
	p2pbuf_buffer_free(buf);
	return ret;
}

static int cmd_buffer_revoke(const struct p2pctl *p,
			     const struct p2pctl_cmd *cmd, int argc,
			     char **argv)
{
	struct provider_opts o;
	struct p2pbuf_ctl *ctl;
	char what[48];
	uint32_t id;
	int ret;

	PROVIDER_OPTS(p, cmd, argc, argv, "", "buffer id", &o);
	if (parse_u32(o.positional, &id))
		return usage_error(p, cmd, "invalid buffer id '%s'",
				   o.positional);
	ret = open_ctl(p, &ctl);
	if (ret)
		return ret;
	ret = p2pbuf_buffer_revoke(ctl, id);
	if (ret) {
		snprintf(what, sizeof(what), "buffer revoke %" PRIu32, id);
		ret = request_failed(p, ctl, ret, what);
	}
	p2pbuf_ctl_free(ctl);
	return ret;
}

static void print_buffer(FILE *out, const struct p2pbuf_buffer_entry *e,
			 bool json, bool bytes)
{
	const char *cache = p2pbuf_cache_mode_name(e->cache_mode);
	const char *reason = p2pbuf_revoke_reason_name(e->reason);
	const char *state = e->state == P2PBUF_NL_STATE_REVOKED ? "revoked" :
								  "live";
	char size[P2PCTL_SIZE_STRLEN], mapped[P2PCTL_SIZE_STRLEN];

	size_str(e->size, bytes, size);
	size_str(e->mapped, bytes, mapped);
	if (json) {
		fprintf(out,
			"{\n  \"id\": %" PRIu32 ",\n  \"provider\": %" PRIu32
			",\n  \"size\": %" PRIu64 ",\n  \"mapped\": %" PRIu64
			",\n  \"sgls\": %" PRIu32 ",\n  \"state\": \"%s\",\n",
			e->id, e->provider_id, e->size, e->mapped, e->sgls,
			state);
		if (e->reason && reason)
			fprintf(out, "  \"reason\": \"%s\",\n", reason);
		fprintf(out, "  \"cache_mode\": ");
		p2pctl_json_string(out, cache ? cache : "unknown");
		fprintf(out,
			",\n  \"pid\": %" PRIu32 ",\n  \"uid\": %" PRIu32
			",\n  \"command\": ",
			e->owner_pid, e->owner_uid);
		p2pctl_json_string(out, e->owner_comm);
		fputs("\n}\n", out);
		return;
	}
	fprintf(out, "buffer:         %" PRIu32 "\n", e->id);
	fprintf(out, "provider:       %" PRIu32 "\n", e->provider_id);
	fprintf(out, "size:           %s\n", size);
	fprintf(out, "mapped:         %s\n", mapped);
	fprintf(out, "dma-sgls:       %" PRIu32 "\n", e->sgls);
	if (e->reason && reason)
		fprintf(out, "state:          %s (%s)\n", state, reason);
	else
		fprintf(out, "state:          %s\n", state);
	fprintf(out, "cpu caching:    %s\n", cache ? cache : "unknown");
	fprintf(out, "owner:          pid %" PRIu32 " (%s), uid %" PRIu32 "\n",
		e->owner_pid, e->owner_comm, e->owner_uid);
}

static int cmd_buffer_show(const struct p2pctl *p, const struct p2pctl_cmd *cmd,
			   int argc, char **argv)
{
	struct p2pbuf_buffer_entry *l = NULL;
	struct provider_opts o;
	struct p2pbuf_ctl *ctl;
	uint32_t id;
	int ret, n, i;

	PROVIDER_OPTS(p, cmd, argc, argv, "jb", "buffer id", &o);
	if (parse_u32(o.positional, &id))
		return usage_error(p, cmd, "invalid buffer id '%s'",
				   o.positional);
	ret = open_ctl(p, &ctl);
	if (ret)
		return ret;
	n = p2pbuf_buffer_list(ctl, &l, sizeof(*l));
	if (n < 0) {
		ret = request_failed(p, ctl, n, "buffer show");
		goto out;
	}
	for (i = 0; i < n && l[i].id != id; i++)
		;
	if (i == n) {
		ret = fail(p, P2PCTL_EXIT_FAILED,
			   "buffer show: no buffer %" PRIu32
			   " (or not yours to see)",
			   id);
		goto out;
	}
	print_buffer(p->out, &l[i], o.json, o.bytes);
	ret = P2PCTL_EXIT_OK;
out:
	free(l);
	p2pbuf_ctl_free(ctl);
	return ret;
}

/* --- list, monitor ------------------------------------------------------ */

static int cmd_list(const struct p2pctl *p, const struct p2pctl_cmd *cmd,
		    int argc, char **argv)
{
	struct p2pbuf_buffer_entry *bufs = NULL;
	struct p2pbuf_sgl_entry *sgls = NULL;
	struct provider_opts o;
	struct p2pbuf_ctl *ctl;
	int ret, nbufs, nsgls = 0;

	PROVIDER_OPTS(p, cmd, argc, argv, "jb", NULL, &o);
	ret = open_ctl(p, &ctl);
	if (ret)
		return ret;
	nbufs = p2pbuf_buffer_list(ctl, &bufs, sizeof(*bufs));
	if (nbufs < 0) {
		ret = request_failed(p, ctl, nbufs, "list: buffers");
		goto out;
	}
	nsgls = p2pbuf_sgl_list(ctl, &sgls, sizeof(*sgls));
	if (nsgls < 0) {
		ret = request_failed(p, ctl, nsgls, "list: dma-sgls");
		goto out;
	}
	p2pctl_print_list(p->out, bufs, nbufs, sgls, nsgls, o.json, o.bytes);
out:
	free(bufs);
	free(sgls);
	p2pbuf_ctl_free(ctl);
	return ret;
}

static int monitor_next(void *arg, struct p2pbuf_event *ev)
{
	return p2pbuf_monitor_next(arg, ev, sizeof(*ev));
}

static int cmd_monitor(const struct p2pctl *p, const struct p2pctl_cmd *cmd,
		       int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "count", required_argument, NULL, 'c' },
		{ "timeout", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	struct p2pctl_monitor_opts o = { .timeout_ms = -1 };
	struct p2pctl_event_source src = { .next = monitor_next };
	struct p2pbuf_monitor *mon;
	uint32_t v;
	int c, ret;

	optind = 0;
	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (c) {
		case 'j':
			o.json = true;
			break;
		case 'c':
			if (parse_u32(optarg, &v) || !v)
				return usage_error(
					p, cmd,
					"invalid count '%s' (a number of events, at least 1)",
					optarg);
			o.count = v;
			break;
		case 't':
			if (parse_u32(optarg, &v))
				return usage_error(
					p, cmd,
					"invalid timeout '%s' (a number of seconds)",
					optarg);
			o.timeout_ms = (int64_t)v * 1000;
			break;
		case 'h':
			print_cmd_usage(p->out, cmd);
			return P2PCTL_EXIT_OK;
		default:
			return opt_error(p, cmd, c, argv);
		}
	}
	if (optind < argc)
		return usage_error(p, cmd, "unexpected argument '%s'",
				   argv[optind]);

	ret = p2pbuf_monitor_new(&mon);
	if (ret == -ENOENT)
		return open_ctl_failed(p, ret);
	if (ret)
		return fail(p, P2PCTL_EXIT_FAILED, "monitor: %s",
			    p2pbuf_strerror(ret));
	src.fd = p2pbuf_monitor_get_fd(mon);
	src.arg = mon;
	ret = p2pctl_monitor_loop(p, &src, &o);
	p2pbuf_monitor_free(mon);
	return ret;
}

/* --- dma-sgls ----------------------------------------------------------- */

int p2pctl_parse_target(const char *s, struct p2pbuf_pci_target *target)
{
	char canon[P2PBUF_PCI_ADDR_STRLEN];

	if (p2pctl_parse_pci_addr(s, canon))
		return -EINVAL;
	return p2pbuf_pci_target_parse(canon, target);
}

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

/* A name of libp2pbuf's, or "PREFIX-N" for a value it does not know. */
static const char *name_str(const char *name, const char *prefix, uint32_t v,
			    char buf[P2PCTL_SIZE_STRLEN])
{
	if (name)
		return name;
	snprintf(buf, P2PCTL_SIZE_STRLEN, "%s-%" PRIu32, prefix, v);
	return buf;
}

static const char *map_type_str(uint32_t type, char buf[P2PCTL_SIZE_STRLEN])
{
	return name_str(p2pbuf_map_type_name(type), "type", type, buf);
}

static const char *reason_str(uint32_t reason, char buf[P2PCTL_SIZE_STRLEN])
{
	return name_str(p2pbuf_reach_reason_name(reason), "reason", reason,
			buf);
}

static const char *dir_str(uint32_t dir, char buf[P2PCTL_SIZE_STRLEN])
{
	return name_str(p2pbuf_dma_dir_name(dir), "direction", dir, buf);
}

static void target_str(const struct p2pbuf_pci_target *t,
		       char buf[P2PBUF_PCI_TARGET_STRLEN])
{
	if (p2pbuf_pci_target_format(t, buf, P2PBUF_PCI_TARGET_STRLEN))
		snprintf(buf, P2PBUF_PCI_TARGET_STRLEN, "?");
}

void p2pctl_print_segments(FILE *out, const struct p2pbuf_segment *segs,
			   uint32_t n, bool lengths_only, int indent)
{
	char idx[16];
	int w;
	uint32_t i;

	w = snprintf(idx, sizeof(idx), "%" PRIu32, n ? n - 1 : 0);
	if (w < 3)
		w = 3;
	fprintf(out, "%*s%-*s  %-18s  %s\n", indent, "", w, "SEG",
		"DMA ADDRESS", "LENGTH");
	for (i = 0; i < n; i++) {
		fprintf(out, "%*s%-*" PRIu32 "  ", indent, "", w, i);
		if (lengths_only)
			fprintf(out, "%-18s", "-");
		else
			fprintf(out, "0x%016" PRIx64,
				(uint64_t)segs[i].dma_addr);
		fprintf(out, "  %" PRIu64 "\n", (uint64_t)segs[i].length);
	}
}

void p2pctl_print_map(FILE *out, const struct p2pctl_map_view *v, bool json)
{
	char tgt[P2PBUF_PCI_TARGET_STRLEN], b1[P2PCTL_SIZE_STRLEN],
		b2[P2PCTL_SIZE_STRLEN], b3[P2PCTL_SIZE_STRLEN];
	const char *mode = p2pbuf_cache_mode_name(v->cache_mode);
	uint32_t i;

	target_str(&v->info.target, tgt);
	if (json) {
		fprintf(out,
			"{\n  \"provider\": %" PRIu32 ",\n"
			"  \"buffer_size\": %" PRIu64 ",\n  \"caching\": ",
			v->provider, v->buffer_size);
		p2pctl_json_string(out, mode ? mode : "unknown");
		fputs(",\n  \"target\": ", out);
		p2pctl_json_string(out, tgt);
		fputs(",\n  \"direction\": ", out);
		p2pctl_json_string(out, dir_str(v->info.direction, b1));
		fputs(",\n  \"map_type\": ", out);
		p2pctl_json_string(out, map_type_str(v->info.map_type, b2));
		fprintf(out,
			",\n  \"offset\": %" PRIu64 ",\n  \"length\": %" PRIu64
			",\n  \"segments\": [",
			v->offset, v->info.length);
		for (i = 0; i < v->nr_segs; i++) {
			fputs(i ? ",\n    " : "\n    ", out);
			if (v->lengths_only)
				fputs("{\"dma_address\": null", out);
			else
				fprintf(out,
					"{\"dma_address\": \"0x%016" PRIx64
					"\"",
					(uint64_t)v->segs[i].dma_addr);
			fprintf(out, ", \"length\": %" PRIu64 "}",
				(uint64_t)v->segs[i].length);
		}
		fputs(v->nr_segs ? "\n  ]\n}\n" : "]\n}\n", out);
		return;
	}
	p2pctl_format_size(v->buffer_size, b1);
	p2pctl_format_size(v->offset, b2);
	p2pctl_format_size(v->info.length, b3);
	fprintf(out,
		"provider:      %" PRIu32 "\n"
		"buffer size:   %s\n"
		"caching:       %s\n"
		"target:        %s\n",
		v->provider, b1, mode ? mode : "unknown", tgt);
	fprintf(out, "direction:     %s\n", dir_str(v->info.direction, b1));
	fprintf(out, "map type:      %s\n", map_type_str(v->info.map_type, b1));
	fprintf(out,
		"offset:        %s\n"
		"length:        %s\n"
		"segments:      %" PRIu32 "\n",
		b2, b3, v->nr_segs);
	p2pctl_print_segments(out, v->segs, v->nr_segs, v->lengths_only, 2);
}

void p2pctl_print_reach(FILE *out, const struct p2pbuf_reach_info *r, bool json)
{
	char tgt[P2PBUF_PCI_TARGET_STRLEN], b1[P2PCTL_SIZE_STRLEN],
		b2[P2PCTL_SIZE_STRLEN];
	bool ok = r->map_type != 0;

	target_str(&r->target, tgt);
	if (json) {
		fprintf(out, "{\n  \"provider\": %" PRIu32 ",\n  \"target\": ",
			r->provider_id);
		p2pctl_json_string(out, tgt);
		fprintf(out, ",\n  \"reachable\": %s,\n  \"reason\": ",
			ok ? "true" : "false");
		p2pctl_json_string(out, reason_str(r->reason, b1));
		fputs(",\n  \"map_type\": ", out);
		if (ok)
			p2pctl_json_string(out, map_type_str(r->map_type, b2));
		else
			fputs("null", out);
		fprintf(out, ",\n  \"distance\": %" PRIu32 "\n}\n",
			r->distance);
		return;
	}
	fprintf(out,
		"provider:      %" PRIu32 "\n"
		"target:        %s\n"
		"reachable:     %s\n"
		"reason:        %s\n"
		"map type:      %s\n"
		"distance:      %" PRIu32 "\n",
		r->provider_id, tgt, ok ? "yes" : "no",
		reason_str(r->reason, b1),
		ok ? map_type_str(r->map_type, b2) : "-", r->distance);
}

static int target_arg(const struct p2pctl *p, const struct p2pctl_cmd *cmd,
		      const char *arg, struct p2pbuf_pci_target *t)
{
	if (p2pctl_parse_target(arg, t))
		return usage_error(
			p, cmd,
			"invalid target '%s' (expected DDDD:BB:DD.F or BB:DD.F)",
			arg);
	return 0;
}

/* The driver has dma-sgls, or why not (exit status). */
static int need_sgls(const struct p2pctl *p, const struct p2pctl_cmd *cmd,
		     const char *device, struct p2pbuf_ctx *ctx,
		     struct p2pbuf_driver_info *info)
{
	int ret = p2pbuf_ctx_get_info(ctx, info, sizeof(*info));

	if (ret)
		return fail(p, P2PCTL_EXIT_FAILED, "%s: %s: %s", cmd->noun,
			    device, p2pbuf_strerror(ret));
	if (info->features & P2PBUF_FEATURE_DMA_SGL)
		return P2PCTL_EXIT_OK;
	return fail(p, P2PCTL_EXIT_FAILED,
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
		return fail(p, P2PCTL_EXIT_FAILED,
			    "%s: no PCI device %s (or it cannot do DMA)",
			    cmd->noun, tgt);
	case -ENOENT:
		return fail(p, P2PCTL_EXIT_FAILED, "%s: no provider %" PRIu32,
			    cmd->noun, prov);
	case -EPERM:
		return fail(p, P2PCTL_EXIT_PERM, "%s: %s", cmd->noun,
			    p2pbuf_strerror(err));
	default:
		return fail(p, P2PCTL_EXIT_FAILED, "%s: target %s: %s",
			    cmd->noun, tgt, p2pbuf_strerror(err));
	}
}

/* p2pbuf_map() said EXDEV: say why, as REACH tells it. */
static int unreachable(const struct p2pctl *p, const struct p2pctl_cmd *cmd,
		       struct p2pbuf_ctx *ctx, uint32_t prov,
		       const struct p2pbuf_pci_target *target, const char *tgt)
{
	struct p2pbuf_reach_info r;
	char b[P2PCTL_SIZE_STRLEN];
	int ret = p2pbuf_reach(ctx, prov, target, &r, sizeof(r));

	if (ret)
		return fail(
			p, P2PCTL_EXIT_UNREACHABLE,
			"%s: %s cannot reach the memory of provider %" PRIu32,
			cmd->noun, tgt, prov);
	if (r.map_type)
		return fail(
			p, P2PCTL_EXIT_UNREACHABLE,
			"%s: %s cannot reach the memory of provider %" PRIu32
			" (refused with EXDEV, although 'p2pctl reach' answers %s)",
			cmd->noun, tgt, prov, reason_str(r.reason, b));
	return fail(
		p, P2PCTL_EXIT_UNREACHABLE,
		"%s: %s cannot reach the memory of provider %" PRIu32 ": %s%s",
		cmd->noun, tgt, prov, reason_str(r.reason, b),
		r.reason == P2PBUF_UNREACH_HOST_BRIDGE ?
			" (a host bridge not known to forward peer-to-peer"
			" traffic; 'p2pctl provider add --allow-host-bridge'"
			" allows it)" :
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
		return fail(
			p, P2PCTL_EXIT_PERM,
			"%s: reading the DMA addresses: %s (CAP_SYS_RAWIO is needed; --lengths-only does without)",
			cmd->noun, p2pbuf_strerror(ret));
	return fail(p, P2PCTL_EXIT_FAILED, "%s: reading the segments: %s",
		    cmd->noun, p2pbuf_strerror(ret));
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
		return fail(p, P2PCTL_EXIT_FAILED, "%s: waiting: %s", cmd->noun,
			    p2pbuf_strerror(ret));
	return fail(
		p, P2PCTL_EXIT_FAILED,
		"%s: the dma-sgl was revoked: its memory or its target went away (see 'p2pctl list')",
		cmd->noun);
}

static int cmd_map(const struct p2pctl *p, const struct p2pctl_cmd *cmd,
		   int argc, char **argv)
{
	static const struct option opts[] = {
		{ "buffer-size", required_argument, NULL, 's' },
		{ "provider", required_argument, NULL, 'P' },
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
	bool lengths_only = false, json = false, hold = false;
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
			ret = size_arg(p, cmd, "buffer size", optarg, &size);
			if (ret)
				return ret;
			has_size = true;
			break;
		case 'P':
			ret = id_arg(p, cmd, optarg, &v.provider);
			if (ret)
				return ret;
			break;
		case 't':
			ret = target_arg(p, cmd, optarg, &target);
			if (ret)
				return ret;
			has_target = true;
			break;
		case 'D':
			if (p2pctl_parse_dma_dir(optarg, &dir))
				return usage_error(
					p, cmd,
					"invalid direction '%s' (to-device, from-device or bidirectional)",
					optarg);
			break;
		case 'o':
			ret = size_arg(p, cmd, "offset", optarg, &offset);
			if (ret)
				return ret;
			break;
		case 'l':
			ret = size_arg(p, cmd, "length", optarg, &length);
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
		case 'h':
			print_cmd_usage(p->out, cmd);
			return P2PCTL_EXIT_OK;
		default:
			return opt_error(p, cmd, c, argv);
		}
	}
	if (optind < argc)
		return usage_error(p, cmd, "unexpected argument '%s'",
				   argv[optind]);
	if (!has_size)
		return usage_error(p, cmd, "missing --buffer-size");
	if (!has_target)
		return usage_error(p, cmd, "missing --target");
	if (!size || size > P2PBUF_BUFFER_MAX_LENGTH)
		return usage_error(p, cmd,
				   "the buffer size must be 1 byte to 1T");
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
		ret = usage_error(
			p, cmd,
			"--offset and --length must be multiples of the page size (%" PRIu32
			")",
			info.page_size);
		goto out_ctx;
	}
	if (offset >= rounded || !length || length > rounded - offset) {
		ret = usage_error(
			p, cmd,
			"the range (--offset, --length) must be a non-empty part of the buffer");
		goto out_ctx;
	}

	ret = p2pbuf_buffer_alloc(ctx, v.provider, size, 0, &buf);
	if (ret == -ENOENT) {
		ret = fail(p, P2PCTL_EXIT_FAILED, "%s: no provider %" PRIu32,
			   cmd->noun, v.provider);
		goto out_ctx;
	}
	if (ret) {
		ret = fail(p, P2PCTL_EXIT_FAILED,
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
		ret = fail(p, P2PCTL_EXIT_FAILED, "%s: buffer mmap: %s",
			   cmd->noun, p2pbuf_strerror(ret));
		map = NULL;
		goto out_free;
	}
	ret = p2pbuf_map(ctx, (uintptr_t)map + offset, length, &target, dir, 0,
			 &sgl);
	if (ret == -EXDEV) {
		ret = unreachable(p, cmd, ctx, v.provider, &target, tgt);
		goto out_free;
	}
	if (ret) {
		ret = sgl_failed(p, cmd, ret, tgt, v.provider);
		goto out_free;
	}
	ret = p2pbuf_sgl_info(sgl, &v.info, sizeof(v.info));
	if (ret) {
		ret = fail(p, P2PCTL_EXIT_FAILED, "%s: %s", cmd->noun,
			   p2pbuf_strerror(ret));
		goto out_free;
	}
	ret = get_segments(p, cmd, sgl, lengths_only, &segs, &v.nr_segs);
	if (ret)
		goto out_free;
	v.segs = segs;
	p2pctl_print_map(p->out, &v, json);
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
	bool has_prov = false, has_target = false, json = false;
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
			ret = id_arg(p, cmd, optarg, &prov);
			if (ret)
				return ret;
			has_prov = true;
			break;
		case 't':
			ret = target_arg(p, cmd, optarg, &target);
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
		case 'h':
			print_cmd_usage(p->out, cmd);
			return P2PCTL_EXIT_OK;
		default:
			return opt_error(p, cmd, c, argv);
		}
	}
	if (optind < argc)
		return usage_error(p, cmd, "unexpected argument '%s'",
				   argv[optind]);
	if (!has_prov)
		return usage_error(p, cmd, "missing --provider");
	if (!has_target)
		return usage_error(p, cmd, "missing --target");
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
	p2pctl_print_reach(p->out, &r, json);
	return r.map_type ? P2PCTL_EXIT_OK : P2PCTL_EXIT_UNREACHABLE;
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
	int c;

	optind = 0;
	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (c) {
		case 'e':
		case 'i':
			if (p2pctl_parse_pci_addr(optarg,
						  c == 'e' ? edu : ivshmem))
				return usage_error(
					p, cmd,
					"invalid PCI address '%s' (expected DDDD:BB:DD.F or BB:DD.F)",
					optarg);
			if (c == 'e')
				o.edu = edu;
			else
				o.ivshmem = ivshmem;
			break;
		case 'd':
			o.device = optarg;
			break;
		case 'h':
			print_cmd_usage(p->out, cmd);
			return P2PCTL_EXIT_OK;
		default:
			return opt_error(p, cmd, c, argv);
		}
	}
	if (optind < argc)
		return usage_error(p, cmd, "unexpected argument '%s'",
				   argv[optind]);
	return p2pctl_demo(p, &o);
}

static int run(const struct p2pctl *p, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{}
	};
	const struct p2pctl_cmd *cmd;
	int c, words;

	/* Reset getopt: p2pctl_main() may run more than once. */
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+:hV", opts, NULL)) != -1) {
		switch (c) {
		case 'h':
			print_usage(p->out);
			return P2PCTL_EXIT_OK;
		case 'V':
			fprintf(p->out, "p2pctl %s (libp2pbuf %s)\n",
				PACKAGE_VERSION, p2pbuf_version());
			return P2PCTL_EXIT_OK;
		default:
			return opt_error(p, NULL, c, argv);
		}
	}
	if (optind == argc)
		return usage_error(p, NULL, "missing command");
	argc -= optind;
	argv += optind;

	cmd = p2pctl_find_cmd(commands, ARRAY_SIZE(commands), argc, argv,
			      &words);
	if (!cmd)
		return unknown_cmd(p, argv);
	return cmd->run(p, cmd, argc - (words - 1), argv + (words - 1));
}

int p2pctl_main(const struct p2pctl *p, int argc, char **argv)
{
	int ret = run(p, argc, argv);

	if (fflush(p->out) == EOF || ferror(p->out))
		return fail(p, P2PCTL_EXIT_FAILED, "cannot write output: %s",
			    strerror(errno));
	return ret;
}
