// SPDX-License-Identifier: GPL-2.0
/*
 * Guest test: "p2pctl topo" and "p2pctl doctor" on the rig, byte for byte.
 *
 * The expected output is computed here from the rig's definition
 * (tests/vm/run-qemu.sh): its PCI functions, their BARs, which of them sit
 * below the PCIe switch, the q35 host bridge (8086:29c0, not on the
 * kernel's p2pdma allowlist), the IOMMU mode the VM tier booted
 * (P2PBUF_VM_IOMMU: on, pt, off) and the rig (P2PBUF_VM_RIG: the debug rig
 * adds an NVMe controller at 00:06.0 and runs a CONFIG_PCI_P2PDMA kernel).
 * It is never taken from what p2pctl prints.  The text is laid out by a
 * table writer of this file (columns as wide as their widest cell, two
 * spaces apart, the last one unpadded), not by p2pctl's print layer.
 *
 * The VM tier runs this program in the IOMMU off and pt boots too
 * (P2PBUF_VM_IOMMU_TESTS).
 */
#define _GNU_SOURCE /* vasprintf */
#include "util.h"

#include <check.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include <linux/p2pbuf.h>

#define P2PCTL "/bin/p2pctl"

/* --- the rig ------------------------------------------------------------- */

struct rig_bar {
	int index;
	const char *size; /* as p2pctl prints sizes */
	const char *kind; /* "32-bit, non-prefetchable", ... */
	bool usable; /* an assigned, page-aligned memory BAR */
};

struct rig_fn {
	const char *name; /* short: the rig has domain 0 only */
	bool bridge; /* class 06: a bridge, not a DMA target */
	bool pci_bridge; /* class 0604: ACS is looked at */
	bool below_switch; /* below the x3130 switch's downstream ports */
	bool debug_only; /* the debug rig's NVMe */
	/* IOMMU group (the functions are numbered in order, a function that
	 * shares its group with an earlier one has -1 here and names it). */
	int group_of; /* -1: a new group; else the index sharing it */
	struct rig_bar bars[3];
};

#define NP "32-bit, non-prefetchable"
#define P64 "64-bit, prefetchable"
#define NP64 "64-bit, non-prefetchable"
#define END                           \
	{                             \
		-1, NULL, NULL, false \
	} /* the end of bars[] */

/*
 * run-qemu.sh's devices and q35's own (host bridge, LPC, AHCI, SMBus), in
 * the order Linux enumerates them (depth first).  Groups (IOMMU on or pt): every function its own, but
 * the multifunction 00:1f.x share one (no ACS), and each xio3130
 * downstream port shares one with its device (no ACS on the port).
 */
static const struct rig_fn rig[] = {
	{ "00:00.0", true, false, false, false, -1, { END } },
	{ "00:03.0",
	  false,
	  false,
	  false,
	  false,
	  -1,
	  { { 0, "1.0 MiB", NP, true }, END } },
	{ "00:04.0",
	  false,
	  false,
	  false,
	  false,
	  -1,
	  { { 0, "256 B", NP, false }, { 2, "64.0 MiB", P64, true }, END } },
	{ "00:05.0",
	  true,
	  true,
	  false,
	  false,
	  -1,
	  { { 0, "4.0 KiB", NP, true }, END } },
	{ "00:06.0",
	  false,
	  false,
	  false,
	  true,
	  -1,
	  { { 0, "16.0 KiB", NP64, true }, { 2, "64.0 MiB", P64, true }, END } },
	{ "00:1f.0", true, false, false, false, -1, { END } },
	{ "00:1f.2",
	  false,
	  false,
	  false,
	  false,
	  5,
	  { { 5, "4.0 KiB", NP, true }, END } },
	{ "00:1f.3", false, false, false, false, 5, { END } },
	{ "01:00.0", true, true, true, false, -1, { END } },
	{ "02:00.0", true, true, true, false, -1, { END } },
	{ "03:00.0",
	  false,
	  false,
	  true,
	  false,
	  9,
	  { { 0, "1.0 MiB", NP, true }, END } },
	{ "02:01.0", true, true, true, false, -1, { END } },
	{ "04:00.0",
	  false,
	  false,
	  true,
	  false,
	  11,
	  { { 0, "256 B", NP, false }, { 2, "64.0 MiB", P64, true }, END } },
};

/*
 * The rig's functions in address order (sysfs order: 02:01.0 before
 * 03:00.0), and enumeration order (depth first: 03:00.0 before 02:01.0)
 * for the IOMMU groups.
 */
static const int addr_order[] = { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 11, 10, 12 };
#define NFNS ((int)(sizeof(rig) / sizeof(rig[0])))

static bool debug_rig(void)
{
	return tu_rig_is("debug");
}

static bool present(const struct rig_fn *f)
{
	return !f->debug_only || debug_rig();
}

static const char *iommu_mode(void)
{
	const char *m = getenv("P2PBUF_VM_IOMMU");

	ck_assert_msg(m, "P2PBUF_VM_IOMMU is not set by the VM tier");
	return m;
}

/* The IOMMU group of rig[i]: enumeration order, shared groups counted once. */
static int group_of(int i)
{
	int j, g = 0;

	if (rig[i].group_of >= 0)
		return group_of(rig[i].group_of);
	for (j = 0; j < i; j++)
		if (present(&rig[j]) && rig[j].group_of < 0)
			g++;
	return g;
}

static int nr_groups(void)
{
	int j, g = 0;

	for (j = 0; j < NFNS; j++)
		if (present(&rig[j]) && rig[j].group_of < 0)
			g++;
	return g;
}

/* --- a table writer --------------------------------------------------------- */

#define MAXCOLS 16
#define MAXROWS 64

struct table {
	int ncols, nrows;
	char *cell[MAXROWS][MAXCOLS];
};

__attribute__((format(printf, 3, 4))) static void cell(struct table *t, int col,
						       const char *fmt, ...)
{
	va_list ap;

	ck_assert_int_lt(col, MAXCOLS);
	ck_assert_int_lt(t->nrows - 1, MAXROWS);
	va_start(ap, fmt);
	ck_assert_int_ge(vasprintf(&t->cell[t->nrows - 1][col], fmt, ap), 0);
	va_end(ap);
	if (col >= t->ncols)
		t->ncols = col + 1;
}

static void row(struct table *t)
{
	ck_assert_int_lt(t->nrows, MAXROWS);
	t->nrows++;
}

static void table_write(FILE *f, struct table *t)
{
	int w[MAXCOLS] = { 0 }, r, c, n;

	for (r = 0; r < t->nrows; r++)
		for (c = 0; c < t->ncols; c++) {
			n = t->cell[r][c] ? strlen(t->cell[r][c]) : 1;
			if (n > w[c])
				w[c] = n;
		}
	for (r = 0; r < t->nrows; r++) {
		for (c = 0; c < t->ncols; c++) {
			const char *s = t->cell[r][c] ? t->cell[r][c] : "-";

			if (c == t->ncols - 1)
				fprintf(f, "%s\n", s);
			else
				fprintf(f, "%-*s  ", w[c], s);
			free(t->cell[r][c]);
		}
	}
}

/* --- running p2pctl ----------------------------------------------------------- */

/* The standard output of "p2pctl ARGS" (its status must be 0). */
static char *p2pctl(const char *args)
{
	char cmd[256], *out = NULL;
	size_t len = 0, n;
	char buf[4096];
	FILE *p;
	int status;
	FILE *m = open_memstream(&out, &len);

	ck_assert_ptr_nonnull(m);
	snprintf(cmd, sizeof(cmd), P2PCTL " %s", args);
	p = popen(cmd, "r");
	ck_assert_msg(p, "%s: %s", cmd, strerror(errno));
	while ((n = fread(buf, 1, sizeof(buf), p)) > 0)
		fwrite(buf, 1, n, m);
	status = pclose(p);
	fclose(m);
	ck_assert_msg(WIFEXITED(status) && !WEXITSTATUS(status),
		      "%s: status 0x%x; output:\n%s", cmd, status, out);
	return out;
}

static void assert_same(const char *what, const char *out, const char *exp)
{
	ck_assert_msg(
		!strcmp(out, exp),
		"%s differs.\n--- expected ---\n%s--- p2pctl printed ---\n%s",
		what, exp, out);
}

/* --- p2pctl topo ---------------------------------------------------------------- */

static const char topo_legend[] =
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

/*
 * What the kernel must answer for a BAR of p and target t, as p2pdma's
 * rules say for this rig.  The functions behind the switch share its
 * upstream port, whose path has no ACS (the xio3130 ports have none): bus
 * addresses.  The root port 00:05.0 is itself the upstream bridge of the
 * devices below it; its ACS capability redirects peer requests once Linux
 * enabled it, which it does when an IOMMU driver asks (IOMMU on or pt):
 * then they cross the host bridge.  Everything else crosses the q35 host
 * bridge, which is not on the allowlist (HB), unless host_bridge_p2p=Y
 * (admin) allows it: then the DMA API maps it, through the IOMMU (on) or
 * untranslated (pt, off).
 */
static const char *expected_cell(const struct rig_fn *p, const struct rig_fn *t,
				 bool admin)
{
	bool iommu = strcmp(iommu_mode(), "off") != 0;

	if (p == t)
		return "X";
	if (p->below_switch && t->below_switch && !p->bridge)
		return "bus-addr";
	if (p->pci_bridge && !p->below_switch && t->below_switch && !iommu)
		return "bus-addr";
	if (!admin)
		return "HB";
	return strcmp(iommu_mode(), "on") ? "direct" : "iommu";
}

static char *expected_topo(bool admin)
{
	struct table t = { 0 };
	const struct rig_fn *p, *tg;
	const struct rig_bar *b;
	char *out = NULL;
	size_t len = 0;
	int i, j, c;
	FILE *f = open_memstream(&out, &len);

	ck_assert_ptr_nonnull(f);
	row(&t);
	cell(&t, 0, "BAR");
	cell(&t, 1, "SIZE");
	for (j = 0, c = 2; j < NFNS; j++) {
		tg = &rig[addr_order[j]];
		if (present(tg) && !tg->bridge)
			cell(&t, c++, "%s", tg->name);
	}
	for (i = 0; i < NFNS; i++) {
		p = &rig[addr_order[i]];
		if (!present(p))
			continue;
		for (b = p->bars; b->index >= 0; b++) {
			if (!b->usable)
				continue;
			row(&t);
			cell(&t, 0, "%s bar%d", p->name, b->index);
			cell(&t, 1, "%s", b->size);
			for (j = 0, c = 2; j < NFNS; j++) {
				tg = &rig[addr_order[j]];
				if (present(tg) && !tg->bridge)
					cell(&t, c++, "%s",
					     expected_cell(p, tg, admin));
			}
		}
	}
	table_write(f, &t);
	fputs("\nNot usable as providers (not an assigned, page-aligned memory BAR): 00:04.0 bar0 04:00.0 bar0\n",
	      f);
	fputs(topo_legend, f);
	fclose(f);
	return out;
}

START_TEST(test_topo_matrix)
{
	char *out = p2pctl("topo"), *exp = expected_topo(false);

	assert_same("p2pctl topo", out, exp);
	free(exp);
	free(out);
}
END_TEST

/* The JSON form: the same answers, with the kernel's reasons. */
START_TEST(test_topo_json)
{
	char *out = p2pctl("-j topo"), *exp;

	/* Row 03:00.0 bar0 against the ivshmem behind the switch. */
	ck_assert_ptr_nonnull(strstr(
		out,
		"{\"target\": \"0000:04:00.0\", \"reachable\": true, \"reason\": \"switch\", \"map_type\": \"bus-addr\", \"distance\": 4}"));
	ck_assert_ptr_nonnull(strstr(
		out,
		"{\"target\": \"0000:00:04.0\", \"reachable\": false, \"reason\": \"host-bridge-refused\", \"map_type\": null, \"distance\": 2}"));
	ck_assert_ptr_nonnull(strstr(
		out,
		"\"unusable\": [{\"device\": \"0000:00:04.0\", \"bar\": 0, \"size\": 256}, {\"device\": \"0000:04:00.0\", \"bar\": 0, \"size\": 256}]\n}\n"));
	exp = p2pctl("topo --json");
	assert_same("p2pctl topo --json", out, exp);
	free(exp);
	free(out);
}
END_TEST

/* --- p2pctl doctor ------------------------------------------------------------- */

static const char *const adv_dma =
	"translated: p2pbuf maps I/O virtual addresses (iommu); bus addresses only below a switch";
static const char *const adv_identity =
	"passthrough: DMA addresses are physical (direct)";
static const char *const adv_nogroup =
	"no IOMMU: DMA addresses are physical (direct)";

static void line(struct table *t, const char *check, const char *subject,
		 const char *status, const char *advice)
{
	row(t);
	cell(t, 0, "%s", check);
	cell(t, 1, "%s", subject);
	cell(t, 2, "%s", status);
	cell(t, 3, "%s", advice);
}

static char *expected_doctor(void)
{
	const char *mode = iommu_mode();
	bool iommu = strcmp(mode, "off") != 0;
	struct table t = { 0 };
	const struct rig_fn *f;
	const struct rig_bar *b;
	char s[128], subj[32];
	char *out = NULL;
	size_t len = 0;
	int i;
	FILE *o = open_memstream(&out, &len);

	ck_assert_ptr_nonnull(o);
	line(&t, "CHECK", "SUBJECT", "STATUS", "ADVICE");
	snprintf(s, sizeof(s), "loaded, uAPI %d.%d", P2PBUF_UAPI_VERSION_MAJOR,
		 P2PBUF_UAPI_VERSION_MINOR);
	line(&t, "module", "p2pbuf", s, "nothing to do");
	/* The fixture set every writable parameter to its default. */
	line(&t, "parameter", "host_bridge_p2p", "N",
	     "default: through a host bridge only where the kernel's allowlist says it works");
	line(&t, "parameter", "huge", "Y",
	     "default: 2 MiB page-table entries where the kernel has huge pfn mappings (6.12+)");
	line(&t, "parameter", "max_buffers_per_fd", "1024",
	     "buffers per open file; modprobe p2pbuf max_buffers_per_fd=N raises it");
	line(&t, "parameter", "max_sgl_segments", "65536",
	     "segments in one dma-sgl; raise it in /sys/module/p2pbuf/parameters");
	line(&t, "parameter", "max_sgls_per_fd", "1024",
	     "dma-sgls per open file; raise it in /sys/module/p2pbuf/parameters");
	line(&t, "parameter", "prefault", "Y",
	     "default: a mapping is filled on its first touch");
	/* Debian's kernels lack CONFIG_PCI_P2PDMA, the debug kernel has it. */
	if (debug_rig())
		line(&t, "kernel", "P2PDMA", "yes (P2PBUF_IOC_INFO)",
		     "p2pdma has the last word on every path (p2pbuf(4), Reachability)");
	else
		line(&t, "kernel", "P2PDMA", "no (P2PBUF_IOC_INFO)",
		     "p2pbuf applies p2pdma's rules itself: nothing to do");
	if (debug_rig())
		line(&t, "kernel", "P2PDMA_PROVIDER", "yes (P2PBUF_IOC_INFO)",
		     "a device's published p2pmem can be a provider: p2pctl provider add ADDR --p2pmem");
	else
		line(&t, "kernel", "P2PDMA_PROVIDER", "no (P2PBUF_IOC_INFO)",
		     "p2pdma providers (O_DIRECT into device memory) need CONFIG_PCI_P2PDMA and Linux 6.2");
	/* The initramfs has no /boot, neither kernel /proc/config.gz. */
	line(&t, "kernel", "DMABUF_MOVE_NOTIFY", "unknown",
	     "no /boot/config-RELEASE or /proc/config.gz to tell; p2pbuf does not depend on it");
	if (iommu) {
		snprintf(s, sizeof(s), "on (%d groups)", nr_groups());
		line(&t, "iommu", "-", s,
		     "DMA goes through the IOMMU: each device's domain type below says how");
	} else {
		line(&t, "iommu", "-", "off (no IOMMU groups)",
		     "DMA addresses are physical; nothing isolates devices from each other");
	}
	for (i = 0; i < NFNS; i++) {
		f = &rig[addr_order[i]];
		if (!present(f) || f->bridge)
			continue;
		if (!iommu) {
			line(&t, "iommu", f->name, "no group", adv_nogroup);
			continue;
		}
		snprintf(s, sizeof(s), "%s (group %d)",
			 strcmp(mode, "pt") ? "DMA" : "identity",
			 group_of(addr_order[i]));
		line(&t, "iommu", f->name, s,
		     strcmp(mode, "pt") ? adv_dma : adv_identity);
	}
	line(&t, "host-bridge", "00:00.0",
	     "8086:29c0, not on the allowlist (host-bridge-refused)",
	     "only if it forwards peer-to-peer traffic: p2pctl provider add --allow-host-bridge");
	/*
	 * QEMU's pcie-root-port has an ACS capability, which Linux enables
	 * only when an IOMMU driver asks for it; the switch's ports have none.
	 */
	for (i = 0; i < NFNS; i++) {
		f = &rig[addr_order[i]];
		if (!f->pci_bridge)
			continue;
		if (f->below_switch)
			line(&t, "acs", f->name, "no ACS capability",
			     "nothing redirects peer traffic here: devices below it reach each other by bus address");
		else if (iommu)
			line(&t, "acs", f->name, "ACS enabled: SV RR CR UF",
			     "peer requests go up to the root complex: pci=disable_acs_redir= keeps them below (less isolation)");
		else
			line(&t, "acs", f->name, "ACS enabled: none",
			     "no redirection: peer traffic below it stays below it");
	}
	for (i = 0; i < NFNS; i++) {
		f = &rig[addr_order[i]];
		if (!present(f))
			continue;
		for (b = f->bars; b->index >= 0; b++) {
			snprintf(subj, sizeof(subj), "%s bar%d", f->name,
				 b->index);
			snprintf(s, sizeof(s), "%s, %s", b->size, b->kind);
			line(&t, "bar", subj, s,
			     !b->usable ?
				     "cannot be a provider: not an assigned, page-aligned memory BAR" :
			     strstr(b->kind, "non-") ?
				     "a provider of it is mapped uncached for the CPU: slow CPU access, DMA unaffected" :
				     "a provider of it is mapped write-combining for the CPU");
		}
	}
	table_write(o, &t);
	fclose(o);
	return out;
}

static void default_params(void)
{
	tu_set_param("host_bridge_p2p", "N");
	tu_set_param("huge", "Y");
	tu_set_param("prefault", "Y");
	tu_set_param("max_sgls_per_fd", "1024");
	tu_set_param("max_sgl_segments", "65536");
}

START_TEST(test_doctor)
{
	char *out = p2pctl("doctor"), *exp = expected_doctor();

	assert_same("p2pctl doctor", out, exp);
	free(exp);
	free(out);
}
END_TEST

START_TEST(test_doctor_json)
{
	char *out = p2pctl("doctor --json");

	ck_assert_ptr_nonnull(strstr(
		out,
		"\n  {\"check\": \"host-bridge\", \"subject\": \"00:00.0\", \"status\": \"8086:29c0, not on the allowlist (host-bridge-refused)\", \"advice\": \"only if it forwards peer-to-peer traffic: p2pctl provider add --allow-host-bridge\"},\n"));
	ck_assert_int_eq(out[0], '[');
	ck_assert_str_eq(out + strlen(out) - 4, "}\n]\n");
	free(out);
}
END_TEST

/* host_bridge_p2p=Y: the verdict says the administrator allowed it. */
START_TEST(test_doctor_host_bridge_admin)
{
	char *out, *exp;

	tu_set_param("host_bridge_p2p", "Y");
	out = p2pctl("doctor");
	default_params();
	ck_assert_ptr_nonnull(strstr(
		out,
		"8086:29c0, allowed by host_bridge_p2p=Y (host-bridge-admin)"));
	free(out);
	/*
	 * The parameter applies to every provider, so to topo's questions
	 * too: the host bridge is crossed, through the DMA API.
	 */
	tu_set_param("host_bridge_p2p", "Y");
	out = p2pctl("topo");
	default_params();
	exp = expected_topo(true);
	assert_same("p2pctl topo with host_bridge_p2p=Y", out, exp);
	free(exp);
	free(out);
}
END_TEST

static Suite *topo_suite(void)
{
	Suite *s = suite_create("topo");
	TCase *tc;

	tc = tu_tcase(s, "topo", TU_VM_TIMEOUT, default_params, default_params);
	tcase_add_test(tc, test_topo_matrix);
	tcase_add_test(tc, test_topo_json);
	tcase_add_test(tc, test_doctor);
	tcase_add_test(tc, test_doctor_json);
	tcase_add_test(tc, test_doctor_host_bridge_admin);
	return s;
}

int main(void)
{
	return tu_run(topo_suite());
}
