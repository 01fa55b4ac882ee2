// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * "p2pctl provider add|del|list|show": the providers of the netlink family
 * (host RAM, and ranges of PCI BARs registered by the administrator).
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <linux/p2pbuf.h>

#include "p2pctl-print.h"
#include "p2pctl-util.h"

const char *p2pctl_provider_kind_name(uint32_t kind)
{
	switch (kind) {
	case P2PBUF_NL_PROVIDER_KIND_SYSMEM:
		return "sysmem";
	case P2PBUF_NL_PROVIDER_KIND_PCIBAR:
		return "pcibar";
	case P2PBUF_NL_PROVIDER_KIND_P2PDMA:
		return "p2pdma";
	default:
		return NULL;
	}
}

/* --- the view: "provider list" rows and "provider show" lines ----------- */

static const struct pr_column provider_cols[] = {
	{ .key = "id", .head = "ID" },
	{ .key = "kind", .head = "KIND" },
	{ .key = "pci_address", .head = "PCI ADDRESS" },
	{ .key = "bar", .head = "BAR" },
	{ .key = "offset", .head = "OFFSET" },
	{ .key = "size", .head = "SIZE" },
	{ .key = "free", .head = "FREE" },
	{ .key = "buffers", .head = "BUFFERS" },
	{ .key = "prefetchable", .head = "PREFETCH" },
	{ .key = "numa_node", .head = "NUMA" },
};

/*
 * One provider, a row of the table or the object of "provider show":
 * the PCI members are null for other kinds (in text, "-" in the table and
 * no line in show), the NUMA node -1 or "-".
 */
static void provider_view(struct pr *pr, const struct p2pbuf_provider_info *p)
{
	const char *kind = p2pctl_provider_kind_name(p->kind);
	bool pcibar = p->kind == P2PBUF_NL_PROVIDER_KIND_PCIBAR ||
		      p->kind == P2PBUF_NL_PROVIDER_KIND_P2PDMA;
	bool any_bridge = p->flags & P2PBUF_NL_PROVIDER_F_HOST_BRIDGE_P2P;
	char kbuf[P2PCTL_NAME_STRLEN];

	pr_u32(pr, PR_ANY, "id", "id", p->id);
	pr_string(pr, PR_ANY, "kind", "kind",
		  p2pctl_name(kind, "kind", p->kind, kbuf));
	if (pcibar) {
		pr_string(pr, PR_ANY, "pci_address", "PCI address",
			  p->pci_addr);
		pr_u32(pr, PR_ANY, "bar", "BAR", p->bar);
		pr_size(pr, PR_ANY, "offset", "offset", p->offset);
	} else {
		pr_null(pr, PR_JSON, "pci_address", NULL);
		pr_null(pr, PR_JSON, "bar", NULL);
		pr_null(pr, PR_JSON, "offset", NULL);
	}
	pr_size(pr, PR_ANY, "size", "size", p->size);
	pr_size(pr, PR_ANY, "free", "free", p->free_bytes);
	pr_u32(pr, PR_ANY, "buffers", "buffers", p->buffers);
	pr_bool(pr, PR_ANY, "prefetchable", "prefetchable",
		p->flags & P2PBUF_NL_PROVIDER_F_PREFETCHABLE);
	pr_s32(pr, PR_JSON, "numa_node", NULL, p->numa_node);
	if (p->numa_node < 0)
		pr_null(pr, PR_TEXT, "numa_node", "NUMA node");
	else
		pr_s32(pr, PR_TEXT, "numa_node", "NUMA node", p->numa_node);
	pr_bool(pr, PR_JSON, "host_bridge_p2p", NULL, any_bridge);
	if (pcibar)
		pr_string(pr, PR_TEXT, "host_bridge_p2p", "host bridges",
			  any_bridge ? "any (allowed by the administrator)" :
				       "known to forward P2P only");
}

int p2pctl_print_providers(FILE *out, const struct p2pbuf_provider_info *l,
			   int n, bool json, bool bytes)
{
	struct pr pr;
	int i;

	pr_init(&pr, out, json, bytes);
	pr_open_table(&pr, NULL, provider_cols, ARRAY_SIZE(provider_cols), 0);
	for (i = 0; i < n; i++) {
		pr_open_row(&pr);
		provider_view(&pr, &l[i]);
		pr_close(&pr);
	}
	pr_close(&pr);
	return pr_end(&pr);
}

int p2pctl_print_provider(FILE *out, const struct p2pbuf_provider_info *p,
			  bool json, bool bytes)
{
	struct pr pr;

	pr_init(&pr, out, json, bytes);
	pr_open_fields(&pr, NULL, 15);
	provider_view(&pr, p);
	pr_close(&pr);
	return pr_end(&pr);
}

/* --- the commands ------------------------------------------------------- */

/* Options of the provider commands: which ones each takes is in allowed. */
struct provider_opts {
	bool json, bytes, has_bar, allow_host_bridge, force, p2pmem;
	uint32_t bar;
	uint64_t offset, size;
	const char *positional;
};

/* 0, -1 when --help was shown, or the exit status of a usage error. */
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
		{ "p2pmem", no_argument, NULL, 'P' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	int c, ret;

	memset(o, 0, sizeof(*o));
	o->json = p->json;
	/* Options may follow the positional argument (GNU permutation). */
	optind = 0;
	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		if (c == 'h') {
			p2pctl_cmd_usage(p->out, cmd);
			return -1;
		}
		if (c == '?' || c == ':' || !strchr(allowed, c))
			return p2pctl_opt_error(p, cmd, c == ':' ? ':' : '?',
						argv);
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
		case 'P':
			o->p2pmem = true;
			break;
		case 'B':
			if (p2pctl_parse_u32(optarg, &o->bar))
				return p2pctl_usage_error(
					p, cmd, "invalid BAR index '%s'",
					optarg);
			o->has_bar = true;
			break;
		case 'o':
			ret = p2pctl_size_arg(p, cmd, "offset", optarg,
					      &o->offset);
			if (ret)
				return ret;
			break;
		case 's':
			ret = p2pctl_size_arg(p, cmd, "size", optarg, &o->size);
			if (ret)
				return ret;
			break;
		}
	}
	if (positional) {
		if (optind == argc)
			return p2pctl_usage_error(p, cmd, "missing %s",
						  positional);
		o->positional = argv[optind++];
	}
	return p2pctl_no_more_args(p, cmd, argc, argv);
}

/* Run the provider options; -1 from provider_opts() means --help shown. */
#define PROVIDER_OPTS(...)                                     \
	do {                                                   \
		int __r = provider_opts(__VA_ARGS__);          \
		if (__r)                                       \
			return __r < 0 ? P2PCTL_EXIT_OK : __r; \
	} while (0)

/* Print one provider, or say that memory ran out; an exit status. */
static int show(const struct p2pctl *p, const struct p2pbuf_provider_info *i,
		const struct provider_opts *o)
{
	if (p2pctl_print_provider(p->out, i, o->json, o->bytes))
		return p2pctl_fail(p, P2PCTL_EXIT_FAILED, "out of memory");
	return P2PCTL_EXIT_OK;
}

static int cmd_provider_add(const struct p2pctl *p,
			    const struct p2pctl_cmd *cmd, int argc, char **argv)
{
	char addr[P2PBUF_PCI_ADDR_STRLEN], what[96];
	struct p2pbuf_provider_info info;
	struct provider_opts o;
	struct p2pbuf_ctl *ctl;
	unsigned int flags;
	int ret;

	PROVIDER_OPTS(p, cmd, argc, argv, "jbBosAP", "PCI address", &o);
	ret = p2pctl_pci_addr_arg(p, cmd, o.positional, addr);
	if (ret)
		return ret;
	if (o.p2pmem && (o.has_bar || o.offset || o.size))
		return p2pctl_usage_error(
			p, cmd, "--p2pmem takes no --bar, --offset or --size");
	if (!o.p2pmem && !o.has_bar)
		return p2pctl_usage_error(p, cmd,
					  "missing --bar (or --p2pmem)");
	ret = p2pctl_open_ctl(p, &ctl);
	if (ret)
		return ret;
	flags = o.allow_host_bridge ? P2PBUF_NL_PROVIDER_F_HOST_BRIDGE_P2P : 0;
	if (o.p2pmem)
		ret = p2pbuf_provider_add_p2pdma(ctl, addr, flags, &info,
						 sizeof(info));
	else
		ret = p2pbuf_provider_add(ctl, addr, o.bar, o.offset, o.size,
					  flags, &info, sizeof(info));
	if (ret) {
		if (o.p2pmem)
			snprintf(what, sizeof(what), "provider add %s --p2pmem",
				 addr);
		else
			snprintf(what, sizeof(what),
				 "provider add %s BAR %" PRIu32, addr, o.bar);
		ret = p2pctl_request_failed(p, ctl, ret, what);
	} else {
		ret = show(p, &info, &o);
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
	ret = p2pctl_id_arg(p, cmd, o.positional, &id);
	if (ret)
		return ret;
	ret = p2pctl_open_ctl(p, &ctl);
	if (ret)
		return ret;
	ret = p2pbuf_provider_del(ctl, id,
				  o.force ? P2PBUF_PROVIDER_DEL_FORCE : 0);
	if (ret == -EBUSY && !o.force) {
		msg = p2pbuf_ctl_last_error(ctl);
		ret = p2pctl_fail(p, P2PCTL_EXIT_FAILED,
				  "provider del %" PRIu32
				  ": %s%s%s (--force revokes them)",
				  id, p2pbuf_strerror(ret), msg ? ": " : "",
				  msg ? msg : "");
	} else if (ret) {
		snprintf(what, sizeof(what), "provider del %" PRIu32, id);
		ret = p2pctl_request_failed(p, ctl, ret, what);
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
	ret = p2pctl_open_ctl(p, &ctl);
	if (ret)
		return ret;
	n = p2pbuf_provider_list(ctl, &l, sizeof(*l));
	if (n < 0) {
		ret = p2pctl_request_failed(p, ctl, n, "provider list");
	} else {
		if (p2pctl_print_providers(p->out, l, n, o.json, o.bytes))
			ret = p2pctl_fail(p, P2PCTL_EXIT_FAILED,
					  "out of memory");
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
	ret = p2pctl_id_arg(p, cmd, o.positional, &id);
	if (ret)
		return ret;
	ret = p2pctl_open_ctl(p, &ctl);
	if (ret)
		return ret;
	ret = p2pbuf_provider_get(ctl, id, &info, sizeof(info));
	if (ret) {
		snprintf(what, sizeof(what), "provider show %" PRIu32, id);
		ret = p2pctl_request_failed(p, ctl, ret, what);
	} else {
		ret = show(p, &info, &o);
	}
	p2pbuf_ctl_free(ctl);
	return ret;
}

static const struct p2pctl_cmd provider_cmds[] = {
	{
		.noun = "provider",
		.verb = "add",
		.run = cmd_provider_add,
		.args = "PCI-ADDRESS {--bar N [--offset SIZE] [--size SIZE] | --p2pmem} [--allow-host-bridge] [--json] [--bytes]",
		.summary =
			"Register a PCI BAR (or a page-aligned part of it), or a device's p2pmem, as a provider",
		.options =
			"  --bar N        BAR index of the device (0-5)\n"
			"  --offset SIZE  start of the range in the BAR (default 0)\n"
			"  --size SIZE    length of the range (default: to the end of the BAR)\n"
			"  --p2pmem       a p2pdma provider: the peer-to-peer memory the\n"
			"                 device's driver published (an NVMe CMB...); its\n"
			"                 buffers can be the target of O_DIRECT I/O.  Needs a\n"
			"                 kernel with the p2pdma_provider feature\n"
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
};

const struct p2pctl_noun p2pctl_noun_provider = {
	.name = "provider",
	.summary =
		"Providers: the memory buffers are allocated from (host RAM, PCI BARs, p2pmem)",
	.cmds = provider_cmds,
	.nr_cmds = ARRAY_SIZE(provider_cmds),
};
