// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * p2pctl: command-line tool for the p2pbuf driver.  Everything but main()
 * lives here so that the host tests can drive it.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <string.h>
#include <unistd.h>

#include "p2pctl-cli.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static int cmd_info(const struct p2pctl *p, const struct p2pctl_cmd *cmd,
		    int argc, char **argv);
static int cmd_help(const struct p2pctl *p, const struct p2pctl_cmd *cmd,
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
	"  4  the driver's uAPI version is incompatible with libp2pbuf\n";

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
