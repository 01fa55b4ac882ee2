// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * p2pctl: what the command files share (see p2pctl-util.h), and the
 * parsers and formats the host tests drive (p2pctl-cli.h).
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <linux/p2pbuf.h>

#include "p2pctl-util.h"

int p2pctl_fail(const struct p2pctl *p, int status, const char *fmt, ...)
{
	va_list ap;

	fputs("p2pctl: ", p->err);
	va_start(ap, fmt);
	vfprintf(p->err, fmt, ap);
	va_end(ap);
	fputc('\n', p->err);
	return status;
}

void p2pctl_cmd_name(FILE *out, const struct p2pctl_cmd *cmd)
{
	fputs(cmd->noun, out);
	if (cmd->verb)
		fprintf(out, " %s", cmd->verb);
}

void p2pctl_cmd_usage(FILE *out, const struct p2pctl_cmd *cmd)
{
	fputs("Usage: p2pctl ", out);
	p2pctl_cmd_name(out, cmd);
	fprintf(out,
		" %s\n\n%s.\n\nOptions:\n%s  -h, --help     show this help\n",
		cmd->args, cmd->summary, cmd->options ? cmd->options : "");
}

int p2pctl_usage_error(const struct p2pctl *p, const struct p2pctl_cmd *cmd,
		       const char *fmt, ...)
{
	va_list ap;

	fputs("p2pctl: ", p->err);
	if (cmd) {
		p2pctl_cmd_name(p->err, cmd);
		fputs(": ", p->err);
	}
	va_start(ap, fmt);
	vfprintf(p->err, fmt, ap);
	va_end(ap);
	fputs(" (see 'p2pctl ", p->err);
	if (cmd) {
		p2pctl_cmd_name(p->err, cmd);
		fputc(' ', p->err);
	}
	fputs("--help')\n", p->err);
	return P2PCTL_EXIT_USAGE;
}

int p2pctl_opt_error(const struct p2pctl *p, const struct p2pctl_cmd *cmd,
		     int c, char **argv)
{
	const char *arg = argv[optind - 1];

	if (c == ':')
		return p2pctl_usage_error(
			p, cmd, "option '%s' requires an argument", arg);
	if (!strncmp(arg, "--", 2))
		return p2pctl_usage_error(p, cmd, "invalid option '%s'", arg);
	return p2pctl_usage_error(p, cmd, "invalid option '-%c'", optopt);
}

int p2pctl_opt_other(const struct p2pctl *p, const struct p2pctl_cmd *cmd,
		     int c, char **argv)
{
	if (c != 'h')
		return p2pctl_opt_error(p, cmd, c, argv);
	p2pctl_cmd_usage(p->out, cmd);
	return P2PCTL_EXIT_OK;
}

int p2pctl_no_more_args(const struct p2pctl *p, const struct p2pctl_cmd *cmd,
			int argc, char **argv)
{
	if (optind < argc)
		return p2pctl_usage_error(p, cmd, "unexpected argument '%s'",
					  argv[optind]);
	return 0;
}

int p2pctl_json_device_args(const struct p2pctl *p,
			    const struct p2pctl_cmd *cmd, const char *optstring,
			    int argc, char **argv, bool *json,
			    const char **device)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "device", required_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	int c;

	optind = 0;
	while ((c = getopt_long(argc, argv, optstring, opts, NULL)) != -1) {
		switch (c) {
		case 'j':
			*json = true;
			break;
		case 'd':
			*device = optarg;
			break;
		default:
			return p2pctl_opt_other(p, cmd, c, argv);
		}
	}
	c = p2pctl_no_more_args(p, cmd, argc, argv);
	return c ? c : -1;
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
		return p2pctl_fail(p, P2PCTL_EXIT_NODEV,
				   "%s: not a p2pbuf device", device);
	case -P2PBUF_E_VERSION:
		return p2pctl_fail(p, P2PCTL_EXIT_VERSION, "%s: %s", device,
				   p2pbuf_strerror(err));
	default:
		return p2pctl_fail(p, P2PCTL_EXIT_FAILED, "%s: %s", device,
				   p2pbuf_strerror(err));
	}
}

int p2pctl_open_ctl_failed(const struct p2pctl *p, int err)
{
	if (err == -ENOENT) {
		if (access(p->sysfs_module, F_OK) == 0)
			return p2pctl_fail(
				p, P2PCTL_EXIT_NODEV,
				"the p2pbuf netlink family is not registered, but the p2pbuf module is loaded");
		return p2pctl_fail(
			p, P2PCTL_EXIT_NODEV,
			"the p2pbuf netlink family is not registered: the p2pbuf module is not loaded (run 'modprobe p2pbuf' or 'insmod kernel/p2pbuf.ko')");
	}
	return p2pctl_fail(p, P2PCTL_EXIT_FAILED, "netlink: %s",
			   p2pbuf_strerror(err));
}

int p2pctl_open_ctl(const struct p2pctl *p, struct p2pbuf_ctl **ctlp)
{
	int err = p2pbuf_ctl_new(ctlp);

	return err ? p2pctl_open_ctl_failed(p, err) : P2PCTL_EXIT_OK;
}

int p2pctl_request_failed(const struct p2pctl *p, struct p2pbuf_ctl *ctl,
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
		return p2pctl_fail(p, status, "%s: %s: %s", what,
				   p2pbuf_strerror(err), msg);
	return p2pctl_fail(p, status, "%s: %s", what, p2pbuf_strerror(err));
}

/* --- arguments ---------------------------------------------------------- */

int p2pctl_parse_u32(const char *s, uint32_t *out)
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

int p2pctl_parse_pci_addr(const char *s, char out[P2PBUF_PCI_ADDR_STRLEN])
{
	char canon[P2PBUF_PCI_TARGET_STRLEN];
	struct p2pbuf_pci_target t;

	/* libp2pbuf's parser is the only one: p2pctl takes what it takes. */
	if (p2pbuf_pci_target_parse(s, &t))
		return -EINVAL;
	if (t.domain > 0xffff)
		return -ERANGE;
	if (p2pbuf_pci_target_format(&t, canon, sizeof(canon)))
		return -EINVAL;
	memcpy(out, canon, strlen(canon) + 1);
	return 0;
}

int p2pctl_size_arg(const struct p2pctl *p, const struct p2pctl_cmd *cmd,
		    const char *opt, const char *arg, uint64_t *out)
{
	int ret = p2pctl_parse_size(arg, out);

	if (ret == -ERANGE)
		return p2pctl_usage_error(p, cmd, "%s '%s' is too large", opt,
					  arg);
	if (ret)
		return p2pctl_usage_error(
			p, cmd,
			"invalid %s '%s' (a number of bytes with an optional K, M, G or T suffix)",
			opt, arg);
	return 0;
}

int p2pctl_id_arg(const struct p2pctl *p, const struct p2pctl_cmd *cmd,
		  const char *arg, uint32_t *id)
{
	if (p2pctl_parse_u32(arg, id))
		return p2pctl_usage_error(p, cmd, "invalid provider id '%s'",
					  arg);
	return 0;
}

int p2pctl_target_arg(const struct p2pctl *p, const struct p2pctl_cmd *cmd,
		      const char *arg, struct p2pbuf_pci_target *t)
{
	if (p2pbuf_pci_target_parse(arg, t))
		return p2pctl_usage_error(
			p, cmd,
			"invalid target '%s' (expected DDDD:BB:DD.F or BB:DD.F)",
			arg);
	return 0;
}

int p2pctl_pci_addr_arg(const struct p2pctl *p, const struct p2pctl_cmd *cmd,
			const char *arg, char out[P2PBUF_PCI_ADDR_STRLEN])
{
	int ret = p2pctl_parse_pci_addr(arg, out);

	if (ret == -ERANGE)
		return p2pctl_usage_error(
			p, cmd,
			"PCI address '%s': a domain above ffff cannot be named here",
			arg);
	if (ret)
		return p2pctl_usage_error(
			p, cmd,
			"invalid PCI address '%s' (expected DDDD:BB:DD.F or BB:DD.F)",
			arg);
	return 0;
}

/* --- names -------------------------------------------------------------- */

const char *p2pctl_name(const char *name, const char *prefix, uint32_t v,
			char buf[P2PCTL_NAME_STRLEN])
{
	if (name)
		return name;
	snprintf(buf, P2PCTL_NAME_STRLEN, "%s-%" PRIu32, prefix, v);
	return buf;
}

const char *p2pctl_map_type_str(uint32_t type, char buf[P2PCTL_NAME_STRLEN])
{
	return p2pctl_name(p2pbuf_map_type_name(type), "type", type, buf);
}

const char *p2pctl_dir_str(uint32_t dir, char buf[P2PCTL_NAME_STRLEN])
{
	return p2pctl_name(p2pbuf_dma_dir_name(dir), "direction", dir, buf);
}

const char *p2pctl_revoke_reason_str(uint32_t reason,
				     char buf[P2PCTL_NAME_STRLEN])
{
	return p2pctl_name(p2pbuf_revoke_reason_name(reason), "reason", reason,
			   buf);
}
