// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * "p2pctl doctor": what on this machine decides whether peer-to-peer DMA
 * works, one finding a line, each with one line of advice: the module and
 * its parameters, what the kernel was built with (P2PDMA,
 * DMABUF_MOVE_NOTIFY), the IOMMU and each device's domain type, the host
 * bridges and their allowlist verdict (the kernel's, through
 * P2PBUF_IOC_REACH), ACS on the bridges, and the memory BARs (size,
 * prefetchable, resizable).  Everything else is read from sysfs and the
 * config space, below directories a test can replace (struct p2pctl).
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <linux/p2pbuf.h>

#include "p2pctl-pci.h"
#include "p2pctl-print.h"
#include "p2pctl-util.h"

struct finding {
	const char *check;
	char subject[32];
	char status[160];
	char advice[200];
};

struct doctor {
	const struct p2pctl *p;
	const char *device;
	struct p2pbuf_ctx *ctx; /* NULL: the device could not be opened */
	struct p2pbuf_driver_info info;
	struct p2pctl_pci_fn *fns;
	size_t nfns;
	struct finding *f;
	size_t n, cap;
	bool nomem;
};

static const char *root_path(const struct doctor *d, const char *path,
			     char *buf, size_t len)
{
	const char *root = d->p->root;

	if (!root || !*root)
		return path;
	if ((size_t)snprintf(buf, len, "%s%s", root, path) >= len)
		return path; /* too long for a test's tree: never */
	return buf;
}

__attribute__((format(printf, 5, 6))) static void
add(struct doctor *d, const char *check, const char *subject,
    const char *advice, const char *fmt, ...)
{
	struct finding *f, *more;
	va_list ap;

	if (d->n == d->cap) {
		d->cap = d->cap ? 2 * d->cap : 32;
		more = realloc(d->f, d->cap * sizeof(*more));
		if (!more) {
			d->nomem = true;
			return;
		}
		d->f = more;
	}
	f = &d->f[d->n++];
	f->check = check;
	snprintf(f->subject, sizeof(f->subject), "%s", subject);
	snprintf(f->advice, sizeof(f->advice), "%s", advice);
	va_start(ap, fmt);
	vsnprintf(f->status, sizeof(f->status), fmt, ap);
	va_end(ap);
}

/* --- the module --------------------------------------------------------- */

static void check_module(struct doctor *d)
{
	int ret;

	if (access(d->p->sysfs_module, F_OK)) {
		add(d, "module", "p2pbuf",
		    "load it: modprobe p2pbuf (the answers below that need it say unknown)",
		    "not loaded");
		return;
	}
	ret = p2pbuf_ctx_new(d->device, &d->ctx);
	if (!ret)
		ret = p2pbuf_ctx_get_info(d->ctx, &d->info, sizeof(d->info));
	if (ret) {
		p2pbuf_ctx_unref(d->ctx);
		d->ctx = NULL;
		add(d, "module", "p2pbuf",
		    "check the device node (devtmpfs, the udev rule, permissions) or use --device",
		    "loaded; %s: %s", d->device, p2pbuf_strerror(ret));
		return;
	}
	add(d, "module", "p2pbuf", "nothing to do",
	    "loaded, uAPI %" PRIu32 ".%" PRIu32, d->info.version_major,
	    d->info.version_minor);
}

/* The advice about a module parameter and its value. */
static const char *param_advice(const char *name, const char *v)
{
	bool yes = !strcmp(v, "Y");

	if (!strcmp(name, "host_bridge_p2p"))
		return yes ? "every host bridge is allowed: only right if this root complex forwards peer-to-peer traffic" :
			     "default: through a host bridge only where the kernel's allowlist says it works";
	if (!strcmp(name, "prefault"))
		return yes ? "default: a mapping is filled on its first touch" :
			     "mappings fault page by page: slower first touch (p2pbuf(4))";
	if (!strcmp(name, "huge"))
		return yes ? "default: 2 MiB page-table entries where the kernel has huge pfn mappings (6.12+)" :
			     "4 KiB page-table entries only: more faults, more page-table memory";
	if (!strcmp(name, "max_buffers_per_fd"))
		return "buffers per open file; modprobe p2pbuf max_buffers_per_fd=N raises it";
	if (!strcmp(name, "max_sgls_per_fd"))
		return "dma-sgls per open file; raise it in /sys/module/p2pbuf/parameters";
	if (!strcmp(name, "max_sgl_segments"))
		return "segments in one dma-sgl; raise it in /sys/module/p2pbuf/parameters";
	return "see p2pbuf(4)";
}

static int cmp_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void check_params(struct doctor *d)
{
	char dir[PATH_MAX], path[PATH_MAX + 256], v[64], *names[32], *nl;
	size_t n = 0, i;
	struct dirent *de;
	FILE *f;
	DIR *dd;

	snprintf(dir, sizeof(dir), "%s/parameters", d->p->sysfs_module);
	dd = opendir(dir);
	if (!dd)
		return;
	while ((de = readdir(dd)) && n < ARRAY_SIZE(names))
		if (de->d_name[0] != '.' && (names[n] = strdup(de->d_name)))
			n++;
	closedir(dd);
	qsort(names, n, sizeof(names[0]), cmp_name);
	for (i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		f = fopen(path, "r");
		if (!f || !fgets(v, sizeof(v), f))
			snprintf(v, sizeof(v), "?");
		if (f)
			fclose(f);
		nl = strchr(v, '\n');
		if (nl)
			*nl = '\0';
		add(d, "parameter", names[i], param_advice(names[i], v), "%s",
		    v);
		free(names[i]);
	}
}

/* --- the kernel's configuration ----------------------------------------- */

/*
 * The value of CONFIG_<opt> in the running kernel's config: 'y', 'm',
 * 'n' ("is not set"), '-' (not in a config that was found) or 0 (no
 * config found); *from names the file.
 */
static char kconfig(struct doctor *d, const char *opt, char *from, size_t len)
{
	char path[128], buf[PATH_MAX], cmd[PATH_MAX + 32], line[512];
	char want[80], unset[96];
	struct utsname u;
	char ret = 0;
	FILE *f = NULL;
	bool gz = false;

	snprintf(want, sizeof(want), "CONFIG_%s=", opt);
	snprintf(unset, sizeof(unset), "# CONFIG_%s is not set", opt);
	if (!uname(&u)) {
		snprintf(path, sizeof(path), "/boot/config-%s", u.release);
		f = fopen(root_path(d, path, buf, sizeof(buf)), "r");
		snprintf(from, len, "%s", path);
	}
	if (!f &&
	    !access(root_path(d, "/proc/config.gz", buf, sizeof(buf)), R_OK)) {
		snprintf(cmd, sizeof(cmd), "gzip -dc '%s' 2>/dev/null", buf);
		f = popen(cmd, "r");
		gz = true;
		snprintf(from, len, "/proc/config.gz");
	}
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		ret = '-';
		if (!strncmp(line, want, strlen(want))) {
			ret = line[strlen(want)];
			break;
		}
		if (!strncmp(line, unset, strlen(unset))) {
			ret = 'n';
			break;
		}
	}
	/* A gzip that failed printed nothing: ret is still 0. */
	if (gz)
		pclose(f);
	else
		fclose(f);
	return ret;
}

/* Whether some PCI function has a p2pmem directory (a p2pdma provider). */
static bool any_p2pmem(struct doctor *d)
{
	const char *dir = d->p->sysfs_pci ? d->p->sysfs_pci : P2PCTL_SYSFS_PCI;
	char path[PATH_MAX];
	size_t i;

	for (i = 0; i < d->nfns; i++) {
		snprintf(path, sizeof(path), "%s/%s/p2pmem", dir,
			 d->fns[i].name);
		if (!access(path, F_OK))
			return true;
	}
	return false;
}

static void check_kernel(struct doctor *d)
{
	char from[PATH_MAX];
	char c;

	if (d->ctx) {
		bool yes = d->info.features & P2PBUF_FEATURE_PCI_P2PDMA;

		add(d, "kernel", "P2PDMA",
		    yes ? "p2pdma has the last word on every path (p2pbuf(4), Reachability)" :
			  "p2pbuf applies p2pdma's rules itself: nothing to do",
		    "%s (P2PBUF_IOC_INFO)", yes ? "yes" : "no");
	} else if (any_p2pmem(d)) {
		add(d, "kernel", "P2PDMA",
		    "p2pdma has the last word on every path (p2pbuf(4), Reachability)",
		    "yes (a device has p2pmem in sysfs)");
	} else {
		c = kconfig(d, "PCI_P2PDMA", from, sizeof(from));
		if (c == 'y')
			add(d, "kernel", "P2PDMA",
			    "p2pdma has the last word on every path (p2pbuf(4), Reachability)",
			    "yes (%s)", from);
		else if (c)
			add(d, "kernel", "P2PDMA",
			    "p2pbuf applies p2pdma's rules itself: nothing to do",
			    "no (%s)", from);
		else
			add(d, "kernel", "P2PDMA",
			    "load p2pbuf to know (P2PBUF_IOC_INFO); p2pbuf works either way",
			    "unknown");
	}

	if (d->ctx) {
		bool yes = d->info.features & P2PBUF_FEATURE_P2PDMA_PROVIDER;

		add(d, "kernel", "P2PDMA_PROVIDER",
		    yes ? "a device's published p2pmem can be a provider: p2pctl provider add ADDR --p2pmem" :
			  "p2pdma providers (O_DIRECT into device memory) need CONFIG_PCI_P2PDMA and Linux 6.2",
		    "%s (P2PBUF_IOC_INFO)", yes ? "yes" : "no");
	}

	c = kconfig(d, "DMABUF_MOVE_NOTIFY", from, sizeof(from));
	if (c == 'y')
		add(d, "kernel", "DMABUF_MOVE_NOTIFY",
		    "dma-buf importers that support it handle moving exports; p2pbuf does not depend on it",
		    "yes (%s)", from);
	else if (c == 'n')
		add(d, "kernel", "DMABUF_MOVE_NOTIFY",
		    "dma-buf importers pin what they import; p2pbuf does not depend on it",
		    "no (%s)", from);
	else if (c)
		add(d, "kernel", "DMABUF_MOVE_NOTIFY",
		    "kernels that removed the option always notify; p2pbuf does not depend on it",
		    "unknown (not in %s)", from);
	else
		add(d, "kernel", "DMABUF_MOVE_NOTIFY",
		    "no /boot/config-RELEASE or /proc/config.gz to tell; p2pbuf does not depend on it",
		    "unknown");
}

/* --- the IOMMU ----------------------------------------------------------- */

static const char *iommu_advice(const char *type)
{
	if (!strcmp(type, "DMA"))
		return "translated: p2pbuf maps I/O virtual addresses (iommu); bus addresses only below a switch";
	if (!strcmp(type, "DMA-FQ"))
		return "translated, lazy IOTLB flushes: I/O virtual addresses (iommu)";
	if (!strcmp(type, "identity"))
		return "passthrough: DMA addresses are physical (direct)";
	if (!strcmp(type, "blocked") || !strcmp(type, "unmanaged"))
		return "owned by a userspace driver (VFIO, iommufd): p2pbuf refuses it as a target";
	return "an IOMMU domain type p2pctl does not know";
}

static void check_iommu(struct doctor *d)
{
	char buf[PATH_MAX];
	struct dirent *de;
	size_t groups = 0, i;
	const struct p2pctl_pci_fn *f;
	DIR *dd;

	dd = opendir(
		root_path(d, "/sys/kernel/iommu_groups", buf, sizeof(buf)));
	if (dd) {
		while ((de = readdir(dd)))
			groups += de->d_name[0] != '.';
		closedir(dd);
	}
	if (groups)
		add(d, "iommu", "-",
		    "DMA goes through the IOMMU: each device's domain type below says how",
		    "on (%zu groups)", groups);
	else
		add(d, "iommu", "-",
		    "DMA addresses are physical; nothing isolates devices from each other",
		    "off (no IOMMU groups)");
	for (i = 0; i < d->nfns; i++) {
		f = &d->fns[i];
		if (p2pctl_pci_is_bridge(f))
			continue;
		if (!f->iommu_group[0])
			add(d, "iommu", f->short_name,
			    "no IOMMU: DMA addresses are physical (direct)",
			    "no group");
		else
			add(d, "iommu", f->short_name,
			    iommu_advice(f->iommu_type), "%s (group %s)",
			    f->iommu_type[0] ? f->iommu_type : "unknown type",
			    f->iommu_group);
	}
}

/* --- host bridges --------------------------------------------------------- */

static bool crosses_host_bridge(uint32_t reason)
{
	return reason == P2PBUF_REACH_HOST_BRIDGE_ALLOWED ||
	       reason == P2PBUF_REACH_HOST_BRIDGE_ADMIN ||
	       reason == P2PBUF_UNREACH_HOST_BRIDGE;
}

/*
 * The kernel's answer for some memory BAR and target of domain whose path
 * crosses the host bridge: 0 with *r, -ENOENT if no pair does, or
 * -EOPNOTSUPP if the driver cannot answer for a BAR (before uAPI 1.4).
 */
static int host_bridge_reach(struct doctor *d, uint32_t domain,
			     struct p2pbuf_reach_info *r)
{
	const struct p2pctl_pci_fn *f, *t;
	size_t i, j;
	unsigned int b;
	int ret;

	for (i = 0; i < d->nfns; i++) {
		f = &d->fns[i];
		if (f->addr.domain != domain)
			continue;
		for (b = 0; b < P2PCTL_PCI_NR_BARS; b++) {
			if (!p2pctl_pci_is_mem_bar(&f->bars[b]))
				continue;
			for (j = 0; j < d->nfns; j++) {
				t = &d->fns[j];
				if (t == f || t->addr.domain != domain ||
				    p2pctl_pci_is_bridge(t))
					continue;
				ret = p2pbuf_reach_bar(d->ctx, &f->addr, b,
						       &t->addr, r, sizeof(*r));
				if (ret == -EOPNOTSUPP)
					return ret;
				if (ret)
					break; /* an unusable BAR: the next */
				if (crosses_host_bridge(r->reason))
					return 0;
			}
		}
	}
	return -ENOENT;
}

static void check_host_bridges(struct doctor *d)
{
	const struct p2pctl_pci_fn *f;
	struct p2pbuf_reach_info r;
	char id[16];
	size_t i;
	int ret;

	for (i = 0; i < d->nfns; i++) {
		f = &d->fns[i];
		/* Class 0600: a host bridge, on its domain's root bus. */
		if ((f->class >> 8) != 0x0600 || f->parent[0])
			continue;
		snprintf(id, sizeof(id), "%04" PRIx32 ":%04" PRIx32, f->vendor,
			 f->device);
		if (!d->ctx)
			add(d, "host-bridge", f->short_name,
			    "load p2pbuf: the verdict is the kernel's (P2PBUF_IOC_REACH)",
			    "%s, allowlist verdict unknown", id);
		else if ((ret = host_bridge_reach(d, f->addr.domain, &r)) ==
			 -EOPNOTSUPP)
			add(d, "host-bridge", f->short_name,
			    "a uAPI 1.4 driver tells (P2PBUF_IOC_REACH for a BAR)",
			    "%s, allowlist verdict unknown (uAPI %" PRIu32
			    ".%" PRIu32 ")",
			    id, d->info.version_major, d->info.version_minor);
		else if (ret)
			add(d, "host-bridge", f->short_name,
			    "no two devices of this machine talk through it",
			    "%s, allowlist verdict unknown (no path crosses it)",
			    id);
		else if (r.reason == P2PBUF_REACH_HOST_BRIDGE_ALLOWED)
			add(d, "host-bridge", f->short_name,
			    "peer-to-peer through it is allowed (through the IOMMU where one translates)",
			    "%s, on the allowlist (host-bridge-allowed)", id);
		else if (r.reason == P2PBUF_REACH_HOST_BRIDGE_ADMIN)
			add(d, "host-bridge", f->short_name,
			    "set host_bridge_p2p=N to see the allowlist's verdict",
			    "%s, allowed by host_bridge_p2p=Y (host-bridge-admin)",
			    id);
		else
			add(d, "host-bridge", f->short_name,
			    "only if it forwards peer-to-peer traffic: p2pctl provider add --allow-host-bridge",
			    "%s, not on the allowlist (host-bridge-refused)",
			    id);
	}
}

/* --- ACS on the bridges ---------------------------------------------------- */

#define ACS_CAP 4
#define ACS_CTRL 6

static void check_acs(struct doctor *d)
{
	static const char *const bits[] = { "SV", "TB", "RR", "CR",
					    "UF", "EC", "DT" };
	const char *dir = d->p->sysfs_pci;
	const struct p2pctl_pci_fn *f;
	uint8_t cfg[4096];
	char on[40];
	uint16_t ctrl;
	size_t i, b;
	int len, pos;

	for (i = 0; i < d->nfns; i++) {
		f = &d->fns[i];
		/* PCI-to-PCI bridges: root ports, switch ports. */
		if ((f->class >> 8) != 0x0604)
			continue;
		len = p2pctl_pci_config(dir, f, cfg, sizeof(cfg));
		if (len < 0) {
			add(d, "acs", f->short_name,
			    "run as root to read the config space",
			    "unknown (%s)", strerror(-len));
			continue;
		}
		pos = p2pctl_pci_ext_cap(cfg, len, P2PCTL_PCI_EXT_CAP_ACS);
		if (pos < 0) {
			add(d, "acs", f->short_name,
			    "run as root: the extended config space is root's",
			    "unknown (%d bytes of config space readable)", len);
			continue;
		}
		if (!pos) {
			add(d, "acs", f->short_name,
			    "nothing redirects peer traffic here: devices below it reach each other by bus address",
			    "no ACS capability");
			continue;
		}
		ctrl = cfg[pos + ACS_CTRL] | cfg[pos + ACS_CTRL + 1] << 8;
		on[0] = '\0';
		for (b = 0; b < ARRAY_SIZE(bits); b++) {
			if (!(ctrl & (1u << b)))
				continue;
			strcat(on, " ");
			strcat(on, bits[b]);
		}
		if (ctrl & 0x2c) /* RR, CR, EC: redirected or blocked */
			add(d, "acs", f->short_name,
			    "peer requests go up to the root complex: pci=disable_acs_redir= keeps them below (less isolation)",
			    "ACS enabled:%s", on);
		else
			add(d, "acs", f->short_name,
			    "no redirection: peer traffic below it stays below it",
			    "ACS enabled:%s", on[0] ? on : " none");
	}
}

/* --- memory BARs ----------------------------------------------------------- */

/* ReBAR: the sizes BAR bar of f supports (a bit per power of 2 from 1 MiB). */
static uint64_t rebar_sizes(const uint8_t *cfg, int len, int pos,
			    unsigned int bar)
{
	unsigned int n, i, off;
	uint32_t cap, ctrl;

	if (pos <= 0 || pos + 12 > len)
		return 0;
	ctrl = cfg[pos + 8] | cfg[pos + 9] << 8;
	n = (ctrl >> 5) & 7;
	for (i = 0; i < n && i < 6; i++) {
		off = pos + 4 + 8 * i;
		if (off + 8 > (unsigned int)len)
			return 0;
		cap = cfg[off] | cfg[off + 1] << 8 | cfg[off + 2] << 16 |
		      (uint32_t)cfg[off + 3] << 24;
		ctrl = cfg[off + 4] | cfg[off + 5] << 8;
		if ((ctrl & 7) == bar)
			return cap >> 4; /* bit 0: 1 MiB */
	}
	return 0;
}

static void check_bars(struct doctor *d)
{
	const char *dir = d->p->sysfs_pci ? d->p->sysfs_pci : P2PCTL_SYSFS_PCI;
	char size[P2PCTL_SIZE_STRLEN], max[P2PCTL_SIZE_STRLEN];
	char subject[32], advice[200], extra[64];
	uint64_t page = sysconf(_SC_PAGESIZE), sizes;
	const struct p2pctl_pci_bar *bar;
	const struct p2pctl_pci_fn *f;
	uint8_t cfg[4096];
	unsigned int b, top;
	int len, pos;
	size_t i;

	for (i = 0; i < d->nfns; i++) {
		f = &d->fns[i];
		len = -1;
		pos = 0;
		for (b = 0; b < P2PCTL_PCI_NR_BARS; b++) {
			bar = &f->bars[b];
			if (!p2pctl_pci_is_mem_bar(bar))
				continue;
			if (len < 0) {
				len = p2pctl_pci_config(dir, f, cfg,
							sizeof(cfg));
				pos = len < 0 ?
					      0 :
					      p2pctl_pci_ext_cap(
						      cfg, len,
						      P2PCTL_PCI_EXT_CAP_REBAR);
			}
			snprintf(subject, sizeof(subject), "%s bar%u",
				 f->short_name, b);
			p2pctl_format_size(bar->size, size);
			extra[0] = '\0';
			sizes = rebar_sizes(cfg, len, pos, b);
			if (sizes) {
				for (top = 63; !(sizes >> top); top--)
					;
				p2pctl_format_size((uint64_t)1 << (20 + top),
						   max);
				snprintf(extra, sizeof(extra),
					 ", resizable up to %s", max);
			} else if (pos < 0) {
				snprintf(extra, sizeof(extra),
					 ", resizable unknown");
			}
			if ((bar->flags & P2PCTL_IORESOURCE_UNSET) ||
			    bar->start % page || bar->size % page)
				snprintf(
					advice, sizeof(advice),
					"cannot be a provider: not an assigned, page-aligned memory BAR");
			else if (sizes &&
				 ((uint64_t)1 << (20 + top)) > bar->size)
				snprintf(
					advice, sizeof(advice),
					"can grow: echo SIZE > /sys/bus/pci/devices/%s/resource%u_resize (no driver bound)",
					f->name, b);
			else if (bar->flags & P2PCTL_IORESOURCE_PREFETCH)
				snprintf(
					advice, sizeof(advice),
					"a provider of it is mapped write-combining for the CPU");
			else
				snprintf(
					advice, sizeof(advice),
					"a provider of it is mapped uncached for the CPU: slow CPU access, DMA unaffected");
			add(d, "bar", subject, advice, "%s, %s-bit, %s%s", size,
			    bar->flags & P2PCTL_IORESOURCE_MEM_64 ? "64" : "32",
			    bar->flags & P2PCTL_IORESOURCE_PREFETCH ?
				    "prefetchable" :
				    "non-prefetchable",
			    extra);
		}
	}
}

/* --- the view ------------------------------------------------------------- */

static const struct pr_column doctor_cols[] = {
	{ .key = "check", .head = "CHECK" },
	{ .key = "subject", .head = "SUBJECT" },
	{ .key = "status", .head = "STATUS" },
	{ .key = "advice", .head = "ADVICE" },
};

static int doctor_print(FILE *out, const struct doctor *d, bool json)
{
	struct pr pr;
	size_t i;

	pr_init(&pr, out, json, false);
	pr_open_table(&pr, NULL, doctor_cols, ARRAY_SIZE(doctor_cols), 0);
	for (i = 0; i < d->n; i++) {
		pr_open_row(&pr);
		pr_string(&pr, PR_ANY, "check", NULL, d->f[i].check);
		pr_string(&pr, PR_ANY, "subject", NULL, d->f[i].subject);
		pr_string(&pr, PR_ANY, "status", NULL, d->f[i].status);
		pr_string(&pr, PR_ANY, "advice", NULL, d->f[i].advice);
		pr_close(&pr);
	}
	pr_close(&pr);
	return pr_end(&pr);
}

static int cmd_doctor(const struct p2pctl *p, const struct p2pctl_cmd *cmd,
		      int argc, char **argv)
{
	struct doctor d = { .p = p, .device = P2PBUF_DEFAULT_DEVICE };
	bool json = p->json;
	int ret;

	ret = p2pctl_json_device_args(p, cmd, ":h", argc, argv, &json,
				      &d.device);
	if (ret >= 0)
		return ret;
	ret = p2pctl_topo_scan(p, "doctor", &d.fns, &d.nfns);
	if (ret)
		return ret;
	check_module(&d);
	check_params(&d);
	check_kernel(&d);
	check_iommu(&d);
	check_host_bridges(&d);
	check_acs(&d);
	check_bars(&d);
	if (d.nomem || doctor_print(p->out, &d, json))
		ret = p2pctl_fail(p, P2PCTL_EXIT_FAILED, "out of memory");
	p2pbuf_ctx_unref(d.ctx);
	free(d.f);
	free(d.fns);
	return ret;
}

static const struct p2pctl_cmd doctor_cmds[] = {
	{
		.noun = "doctor",
		.run = cmd_doctor,
		.args = "[--json] [--device PATH]",
		.summary =
			"Check what decides peer-to-peer DMA here, with one line of advice each",
		.options =
			"  --json         print a JSON array, not a table\n"
			"  --device PATH  use PATH instead of /dev/p2pbuf\n"
			"  Checks the module and its parameters, the kernel's P2PDMA and\n"
			"  DMABUF_MOVE_NOTIFY, the IOMMU and each device's domain type, the host\n"
			"  bridges' allowlist verdict (the kernel's), ACS on the bridges and the\n"
			"  memory BARs.  Run it as root: the extended config space (ACS,\n"
			"  resizable BARs) is root's.  Exits 0 when it could check, whatever it\n"
			"  found.\n",
	},
};

const struct p2pctl_noun p2pctl_noun_doctor = {
	.name = "doctor",
	.cmds = doctor_cmds,
	.nr_cmds = ARRAY_SIZE(doctor_cmds),
};
