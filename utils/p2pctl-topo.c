// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * "p2pctl topo": which PCI function reaches which memory BAR, and how, as
 * a matrix in the manner of "nvidia-smi topo -m".  Rows are the memory
 * BARs of the machine (the providers it could have), columns the functions
 * that can master DMA (every function but bridges).  Each answer is the
 * kernel's: P2PBUF_IOC_REACH with P2PBUF_REACH_F_PCI_BAR
 * (p2pbuf_reach_bar()), which applies the same rules as P2PBUF_IOC_MAP to
 * a BAR that is not registered as a provider.  Nothing here reimplements
 * those rules.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <linux/p2pbuf.h>

#include "p2pctl-pci.h"
#include "p2pctl-print.h"
#include "p2pctl-util.h"

/* The answer for one BAR and one target. */
struct cell {
	int err; /* 0, or -errno of the request */
	struct p2pbuf_reach_info r;
};

/* One memory BAR, with its answers, one per target. */
struct row {
	const struct p2pctl_pci_fn *fn;
	unsigned int bar;
	bool usable; /* the kernel takes it as a BAR (no EINVAL) */
	struct cell *cells;
};

struct topo {
	struct p2pctl_pci_fn *fns;
	size_t nfns;
	const struct p2pctl_pci_fn **targets;
	size_t ntargets;
	struct row *rows;
	size_t nrows;
};

static void topo_free(struct topo *t)
{
	size_t i;

	for (i = 0; i < t->nrows; i++)
		free(t->rows[i].cells);
	free(t->rows);
	free(t->targets);
	free(t->fns);
}

/* Rows and columns from the functions; -ENOMEM or 0. */
static int topo_layout(struct topo *t)
{
	size_t i, nrows = 0;
	unsigned int b;

	t->targets = calloc(t->nfns ? t->nfns : 1, sizeof(*t->targets));
	for (i = 0; i < t->nfns; i++)
		for (b = 0; b < P2PCTL_PCI_NR_BARS; b++)
			nrows += p2pctl_pci_is_mem_bar(&t->fns[i].bars[b]);
	t->rows = calloc(nrows ? nrows : 1, sizeof(*t->rows));
	if (!t->targets || !t->rows)
		return -ENOMEM;
	for (i = 0; i < t->nfns; i++) {
		if (!p2pctl_pci_is_bridge(&t->fns[i]))
			t->targets[t->ntargets++] = &t->fns[i];
		for (b = 0; b < P2PCTL_PCI_NR_BARS; b++) {
			if (!p2pctl_pci_is_mem_bar(&t->fns[i].bars[b]))
				continue;
			t->rows[t->nrows].fn = &t->fns[i];
			t->rows[t->nrows].bar = b;
			t->nrows++;
		}
	}
	for (i = 0; i < t->nrows; i++) {
		t->rows[i].cells = calloc(t->ntargets ? t->ntargets : 1,
					  sizeof(struct cell));
		if (!t->rows[i].cells)
			return -ENOMEM;
	}
	return 0;
}

/*
 * Ask the kernel about every pair.  A BAR it refuses with EINVAL (not an
 * assigned, page-aligned memory BAR) is not usable: one question says so.
 * Returns 0, or -EOPNOTSUPP if the driver cannot answer for a BAR.
 */
static int topo_ask(struct topo *t, struct p2pbuf_ctx *ctx)
{
	struct row *row;
	size_t i, j;
	int ret;

	for (i = 0; i < t->nrows; i++) {
		row = &t->rows[i];
		row->usable = true;
		for (j = 0; j < t->ntargets; j++) {
			ret = p2pbuf_reach_bar(ctx, &row->fn->addr, row->bar,
					       &t->targets[j]->addr,
					       &row->cells[j].r,
					       sizeof(row->cells[j].r));
			if (ret == -EOPNOTSUPP)
				return ret;
			if (ret == -EINVAL) {
				row->usable = false;
				break;
			}
			row->cells[j].err = ret;
		}
	}
	return 0;
}

/* The short code of a cell in the text matrix (see the legend). */
static const char *cell_code(const struct cell *c, char buf[P2PCTL_NAME_STRLEN])
{
	if (c->err)
		return "-";
	if (c->r.map_type)
		return p2pctl_map_type_str(c->r.map_type, buf);
	switch (c->r.reason) {
	case P2PBUF_UNREACH_SAME_DEVICE:
		return "X";
	case P2PBUF_UNREACH_HOST_BRIDGE:
		return "HB";
	case P2PBUF_UNREACH_DMA_MASK:
		return "MASK";
	case P2PBUF_UNREACH_P2PDMA:
		return "P2PDMA";
	case P2PBUF_UNREACH_USER_DRIVER:
		return "USER";
	default:
		snprintf(buf, P2PCTL_NAME_STRLEN, "?%" PRIu32, c->r.reason);
		return buf;
	}
}

static const char legend[] =
	"\n"
	"Rows: memory BARs (providers-to-be); columns: functions that can master\n"
	"DMA (all but bridges).  Each answer is the kernel's (P2PBUF_IOC_REACH),\n"
	"for the whole BAR registered as a provider without --allow-host-bridge.\n"
	"  bus-addr  reachable below a common PCIe switch: PCI bus addresses\n"
	"  iommu     reachable through the DMA API: I/O virtual addresses\n"
	"  direct    reachable through the DMA API, untranslated (no IOMMU or\n"
	"            passthrough): physical addresses\n"
	"  X         refused: the BAR's own device (same-device)\n"
	"  HB        refused: the path crosses a host bridge not known to\n"
	"            forward peer-to-peer traffic (host-bridge-refused)\n"
	"  MASK      refused: the BAR lies above the target's DMA mask (dma-mask)\n"
	"  P2PDMA    refused by the kernel's p2pdma layer (p2pdma)\n"
	"  USER      refused: the target is driven from userspace, e.g. by\n"
	"            vfio-pci (user-driver)\n"
	"  -         no answer (the function went away)\n";

static void bar_name(const struct row *row, char *buf, size_t len)
{
	snprintf(buf, len, "%s bar%u", row->fn->short_name, row->bar);
}

static int topo_print(FILE *out, const struct topo *t, bool json)
{
	struct pr_column *cols;
	char b[P2PCTL_NAME_STRLEN], name[64];
	const struct p2pctl_pci_bar *bar;
	const struct row *row;
	const struct cell *c;
	bool first = true;
	struct pr pr;
	size_t i, j;

	cols = calloc(t->ntargets + 2, sizeof(*cols));
	if (!cols)
		return -ENOMEM;
	cols[0] = (struct pr_column){ .key = "bar_name", .head = "BAR" };
	cols[1] = (struct pr_column){ .key = "size", .head = "SIZE" };
	for (j = 0; j < t->ntargets; j++)
		cols[j + 2] = (struct pr_column){
			.key = t->targets[j]->name,
			.head = t->targets[j]->short_name,
		};

	pr_init(&pr, out, json, false);
	pr_open_fields(&pr, NULL, 0);
	pr_open_list(&pr, "targets");
	for (j = 0; j < t->ntargets; j++)
		pr_string(&pr, PR_JSON, NULL, NULL, t->targets[j]->name);
	pr_close(&pr);
	pr_open_table(&pr, "bars", cols, t->ntargets + 2, 0);
	for (i = 0; i < t->nrows; i++) {
		row = &t->rows[i];
		bar = &row->fn->bars[row->bar];
		if (!row->usable)
			continue;
		pr_open_row(&pr);
		bar_name(row, name, sizeof(name));
		pr_string(&pr, PR_TEXT, "bar_name", NULL, name);
		pr_string(&pr, PR_JSON, "device", NULL, row->fn->name);
		pr_u32(&pr, PR_JSON, "bar", NULL, row->bar);
		pr_size(&pr, PR_ANY, "size", NULL, bar->size);
		pr_bool(&pr, PR_JSON, "prefetchable", NULL,
			bar->flags & P2PCTL_IORESOURCE_PREFETCH);
		for (j = 0; j < t->ntargets; j++)
			pr_string(&pr, PR_TEXT, t->targets[j]->name, NULL,
				  cell_code(&row->cells[j], b));
		pr_open_list(&pr, "reach");
		for (j = 0; j < t->ntargets; j++) {
			c = &row->cells[j];
			pr_open_words(&pr, NULL);
			pr_string(&pr, PR_JSON, "target", NULL,
				  t->targets[j]->name);
			if (c->err) {
				pr_string(&pr, PR_JSON, "error", NULL,
					  p2pbuf_strerror(c->err));
				pr_close(&pr);
				continue;
			}
			pr_bool(&pr, PR_JSON, "reachable", NULL,
				c->r.map_type != 0);
			pr_string(&pr, PR_JSON, "reason", NULL,
				  p2pctl_name(
					  p2pbuf_reach_reason_name(c->r.reason),
					  "reason", c->r.reason, b));
			if (c->r.map_type)
				pr_string(&pr, PR_JSON, "map_type", NULL,
					  p2pctl_map_type_str(c->r.map_type,
							      b));
			else
				pr_null(&pr, PR_JSON, "map_type", NULL);
			pr_u32(&pr, PR_JSON, "distance", NULL, c->r.distance);
			pr_close(&pr);
		}
		pr_close(&pr);
		pr_close(&pr);
	}
	pr_close(&pr);

	/* The BARs the kernel would not take as providers. */
	pr_open_list(&pr, "unusable");
	for (i = 0; i < t->nrows; i++) {
		row = &t->rows[i];
		if (row->usable)
			continue;
		pr_open_words(&pr, NULL);
		pr_string(&pr, PR_JSON, "device", NULL, row->fn->name);
		pr_u32(&pr, PR_JSON, "bar", NULL, row->bar);
		pr_size(&pr, PR_JSON, "size", NULL,
			row->fn->bars[row->bar].size);
		pr_close(&pr);
		if (first)
			pr_text(&pr,
				"\nNot usable as providers (not an assigned, "
				"page-aligned memory BAR):");
		first = false;
		bar_name(row, name, sizeof(name));
		pr_text(&pr, " ");
		pr_text(&pr, name);
	}
	pr_close(&pr);
	if (!first)
		pr_text(&pr, "\n");
	pr_text(&pr, legend);
	pr_close(&pr);
	free(cols);
	return pr_end(&pr);
}

int p2pctl_topo_scan(const struct p2pctl *p, const char *what,
		     struct p2pctl_pci_fn **fnsp, size_t *np)
{
	const char *dir = p->sysfs_pci ? p->sysfs_pci : P2PCTL_SYSFS_PCI;
	int ret = p2pctl_pci_scan(dir, fnsp, np);

	if (ret)
		return p2pctl_fail(p, P2PCTL_EXIT_FAILED, "%s: %s: %s", what,
				   dir, strerror(-ret));
	return P2PCTL_EXIT_OK;
}

static int cmd_topo(const struct p2pctl *p, const struct p2pctl_cmd *cmd,
		    int argc, char **argv)
{
	const char *device = P2PBUF_DEFAULT_DEVICE;
	struct p2pbuf_driver_info info;
	struct topo t = { 0 };
	bool json = p->json;
	struct p2pbuf_ctx *ctx;
	int ret;

	ret = p2pctl_json_device_args(p, cmd, ":h", argc, argv, &json, &device);
	if (ret >= 0)
		return ret;

	ret = p2pctl_open(p, device, &ctx);
	if (ret)
		return ret;
	ret = p2pbuf_ctx_get_info(ctx, &info, sizeof(info));
	if (ret) {
		ret = p2pctl_fail(p, P2PCTL_EXIT_FAILED, "topo: %s: %s", device,
				  p2pbuf_strerror(ret));
		goto out;
	}
	ret = p2pctl_topo_scan(p, "topo", &t.fns, &t.nfns);
	if (ret)
		goto out;
	if (topo_layout(&t)) {
		ret = p2pctl_fail(p, P2PCTL_EXIT_FAILED, "out of memory");
		goto out;
	}
	if (topo_ask(&t, ctx)) {
		ret = p2pctl_fail(
			p, P2PCTL_EXIT_FAILED,
			"topo: %s: the driver (uAPI %" PRIu32 ".%" PRIu32
			") cannot answer for a BAR that is not a provider (uAPI 1.4 can)",
			device, info.version_major, info.version_minor);
		goto out;
	}
	if (topo_print(p->out, &t, json)) {
		ret = p2pctl_fail(p, P2PCTL_EXIT_FAILED, "out of memory");
		goto out;
	}
	ret = P2PCTL_EXIT_OK;
out:
	topo_free(&t);
	p2pbuf_ctx_unref(ctx);
	return ret;
}

static const struct p2pctl_cmd topo_cmds[] = {
	{
		.noun = "topo",
		.run = cmd_topo,
		.args = "[--json] [--device PATH]",
		.summary =
			"Show which PCI function reaches which memory BAR, and how (a matrix)",
		.options =
			"  --json         print a JSON object, not a matrix\n"
			"  --device PATH  use PATH instead of /dev/p2pbuf\n"
			"  Rows are the memory BARs of the machine, columns the functions that\n"
			"  can master DMA (all but bridges); each cell is the kernel's answer:\n"
			"  a map type (bus-addr, iommu, direct) or why not (X, HB, MASK, P2PDMA,\n"
			"  USER; see the legend).  Exits 0 with the matrix, whatever it shows;\n"
			"  1 if the driver cannot answer for a BAR (before uAPI 1.4).\n",
	},
};

const struct p2pctl_noun p2pctl_noun_topo = {
	.name = "topo",
	.cmds = topo_cmds,
	.nr_cmds = ARRAY_SIZE(topo_cmds),
};
