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
		.args = "PCI-ADDRESS --bar N [--offset SIZE] [--size SIZE] [--json] [--bytes]",
		.summary =
			"Register a PCI BAR (or a page-aligned part of it) as a provider",
		.options =
			"  --bar N        BAR index of the device (0-5)\n"
			"  --offset SIZE  start of the range in the BAR (default 0)\n"
			"  --size SIZE    length of the range (default: to the end of the BAR)\n"
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
		.args = "ID",
		.summary = "Remove a provider",
		.options =
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
	"  5  permission denied by the kernel (CAP_SYS_ADMIN is needed)\n";

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
		"%s\"numa_node\": %" PRId32 "%s",
		sep, p->size, sep, p->free_bytes, sep, p->buffers, sep,
		prefetchable(p) ? "true" : "false", sep, p->numa_node, close);
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
}

/* Open the control context, reporting failures as p2pctl does. */
static int open_ctl(const struct p2pctl *p, struct p2pbuf_ctl **ctlp)
{
	int err = p2pbuf_ctl_new(ctlp);

	if (!err)
		return P2PCTL_EXIT_OK;
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
	bool json, bytes, has_bar;
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

	PROVIDER_OPTS(p, cmd, argc, argv, "jbBos", "PCI address", &o);
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
	ret = p2pbuf_provider_add(ctl, addr, o.bar, o.offset, o.size, 0, &info,
				  sizeof(info));
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
	struct p2pbuf_ctl *ctl;
	char what[48];
	uint32_t id;
	int ret;

	PROVIDER_OPTS(p, cmd, argc, argv, "", "provider id", &o);
	ret = id_arg(p, cmd, o.positional, &id);
	if (ret)
		return ret;
	ret = open_ctl(p, &ctl);
	if (ret)
		return ret;
	ret = p2pbuf_provider_del(ctl, id, 0);
	if (ret) {
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
