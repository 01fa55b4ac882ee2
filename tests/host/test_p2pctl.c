// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Host tests of p2pctl: command dispatch, argument parsing, exit status,
 * error messages and output formats.  The "info" runs that succeed use
 * fake-info.c for the driver's answer; no p2pbuf module is needed.
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fake-info.h"
#include <linux/p2pbuf.h>

#include "p2pctl-cli.h"
#include "p2pctl-print.h"
#include "util.h"

#define MAX_ARGS 16

/* A directory that never exists, and one that always does. */
#define NO_MODULE "/nonexistent/sys/module/p2pbuf"
#define MODULE_LOADED "/"

struct result {
	int status;
	char *out;
	char *err;
};

static struct result res;

/* The PCI devices p2pctl demo sees; NULL: the real ones (never used). */
static const char *sysfs_pci = "/nonexistent/sys/bus/pci/devices";
/* What p2pctl doctor takes for "/" (NULL: "/"; topo_setup() sets it). */
static const char *sysfs_root;

static void free_result(void)
{
	free(res.out);
	free(res.err);
	memset(&res, 0, sizeof(res));
}

/* Run p2pctl with the NULL-terminated arguments; the output goes to res. */
static int run_module(const char *sysfs_module, const char *arg, ...)
{
	char *argv[MAX_ARGS] = { "p2pctl" };
	size_t outlen, errlen;
	struct p2pctl p = { .sysfs_module = sysfs_module,
			    .sysfs_pci = sysfs_pci,
			    .root = sysfs_root };
	int argc = 1;
	va_list ap;

	free_result();
	va_start(ap, arg);
	for (; arg; arg = va_arg(ap, const char *)) {
		ck_assert_int_lt(argc, MAX_ARGS - 1);
		argv[argc++] = (char *)arg;
	}
	va_end(ap);

	p.out = open_memstream(&res.out, &outlen);
	p.err = open_memstream(&res.err, &errlen);
	ck_assert_ptr_nonnull(p.out);
	ck_assert_ptr_nonnull(p.err);
	res.status = p2pctl_main(&p, argc, argv);
	fclose(p.out);
	fclose(p.err);
	return res.status;
}

#define run(...) run_module(NO_MODULE, __VA_ARGS__, (const char *)NULL)

/* Whether python3's json module accepts text. */
static bool json_valid(const char *text)
{
	FILE *py = popen("python3 -m json.tool >/dev/null 2>&1", "w");
	int status;

	ck_assert_ptr_nonnull(py);
	fputs(text, py);
	status = pclose(py);
	return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

/* Usage errors: exit 2, nothing on stdout, exactly one line on stderr. */
static void expect_usage_error(const char *expected_err)
{
	ck_assert_int_eq(res.status, P2PCTL_EXIT_USAGE);
	ck_assert_str_eq(res.out, "");
	ck_assert_str_eq(res.err, expected_err);
}

START_TEST(test_no_arguments)
{
	run(NULL);
	expect_usage_error("p2pctl: missing command (see 'p2pctl --help')\n");
}
END_TEST

START_TEST(test_help)
{
	char *help;

	ck_assert_int_eq(run("--help"), P2PCTL_EXIT_OK);
	ck_assert_str_eq(res.err, "");
	ck_assert(!strncmp(res.out, "Usage: p2pctl ", 14));
	ck_assert_ptr_nonnull(
		strstr(res.out, "\n  info [--json] [--device PATH]\n"));
	ck_assert_ptr_nonnull(strstr(res.out, "\nExit status:\n"));
	ck_assert_ptr_nonnull(
		strstr(res.out, "\n  4  the driver's uAPI version"));
	help = strdup(res.out);

	ck_assert_int_eq(run("-h"), P2PCTL_EXIT_OK);
	ck_assert_str_eq(res.out, help);
	ck_assert_int_eq(run("help"), P2PCTL_EXIT_OK);
	ck_assert_str_eq(res.out, help);
	ck_assert_str_eq(res.err, "");
	free(help);
}
END_TEST

START_TEST(test_command_help)
{
	static const char info_help[] =
		"Usage: p2pctl info [--json] [--device PATH]\n"
		"\n"
		"Show the driver's uAPI version, features and limits.\n"
		"\n"
		"Options:\n"
		"  --json         print a JSON object, not a table\n"
		"  --device PATH  use PATH instead of /dev/p2pbuf\n"
		"  -h, --help     show this help\n";

	ck_assert_int_eq(run("info", "--help"), P2PCTL_EXIT_OK);
	ck_assert_str_eq(res.out, info_help);
	ck_assert_str_eq(res.err, "");
	ck_assert_int_eq(run("info", "--json", "-h"), P2PCTL_EXIT_OK);
	ck_assert_str_eq(res.out, info_help);
	ck_assert_int_eq(run("help", "info"), P2PCTL_EXIT_OK);
	ck_assert_str_eq(res.out, info_help);
	ck_assert_int_eq(run("help", "--help"), P2PCTL_EXIT_OK);
	ck_assert(!strncmp(res.out, "Usage: p2pctl help [COMMAND]\n", 29));
}
END_TEST

START_TEST(test_version)
{
	ck_assert_int_eq(run("--version"), P2PCTL_EXIT_OK);
	ck_assert_str_eq(res.out, "p2pctl " PACKAGE_VERSION
				  " (libp2pbuf " PACKAGE_VERSION ")\n");
	ck_assert_str_eq(res.err, "");
}
END_TEST

START_TEST(test_usage_errors)
{
	run("-q");
	expect_usage_error(
		"p2pctl: invalid option '-q' (see 'p2pctl --help')\n");
	run("--bogus");
	expect_usage_error(
		"p2pctl: invalid option '--bogus' (see 'p2pctl --help')\n");
	run("frob");
	expect_usage_error(
		"p2pctl: unknown command 'frob' (see 'p2pctl --help')\n");
	run("info", "--bogus");
	expect_usage_error(
		"p2pctl: info: invalid option '--bogus' (see 'p2pctl info --help')\n");
	run("info", "-x");
	expect_usage_error(
		"p2pctl: info: invalid option '-x' (see 'p2pctl info --help')\n");
	run("info", "--json=yes");
	expect_usage_error(
		"p2pctl: info: invalid option '--json=yes' (see 'p2pctl info --help')\n");
	run("info", "--device");
	expect_usage_error(
		"p2pctl: info: option '--device' requires an argument (see 'p2pctl info --help')\n");
	run("info", "extra");
	expect_usage_error(
		"p2pctl: info: unexpected argument 'extra' (see 'p2pctl info --help')\n");
	run("help", "frob");
	expect_usage_error(
		"p2pctl: unknown command 'frob' (see 'p2pctl --help')\n");
	run("help", "info", "extra");
	expect_usage_error(
		"p2pctl: help: unexpected argument 'extra' (see 'p2pctl help --help')\n");
}
END_TEST

START_TEST(test_device_missing_module_not_loaded)
{
	ck_assert_int_eq(run("info", "--device", "/nonexistent/p2pbuf"),
			 P2PCTL_EXIT_NODEV);
	ck_assert_str_eq(res.out, "");
	ck_assert_str_eq(
		res.err,
		"p2pctl: /nonexistent/p2pbuf not found: the p2pbuf module is not loaded (run 'modprobe p2pbuf' or 'insmod kernel/p2pbuf.ko')\n");
}
END_TEST

START_TEST(test_device_missing_module_loaded)
{
	ck_assert_int_eq(run_module(MODULE_LOADED, "info", "--device",
				    "/nonexistent/p2pbuf", (const char *)NULL),
			 P2PCTL_EXIT_NODEV);
	ck_assert_str_eq(
		res.err,
		"p2pctl: /nonexistent/p2pbuf not found, but the p2pbuf module is loaded (is devtmpfs mounted? or use --device PATH)\n");
}
END_TEST

START_TEST(test_not_p2pbuf)
{
	ck_assert_int_eq(run("info", "--device", "/dev/null"),
			 P2PCTL_EXIT_NODEV);
	ck_assert_str_eq(res.out, "");
	ck_assert_str_eq(res.err, "p2pctl: /dev/null: not a p2pbuf device\n");
}
END_TEST

START_TEST(test_open_failed)
{
	ck_assert_int_eq(run("info", "--device", "/"), P2PCTL_EXIT_FAILED);
	ck_assert_str_eq(res.out, "");
	ck_assert_str_eq(res.err, "p2pctl: /: Is a directory\n");
}
END_TEST

START_TEST(test_version_mismatch)
{
	fake_info_reset();
	fake_info.reply.version_major = 2;
	fake_info.reply.version_minor = 1;
	ck_assert_int_eq(run("info", "--device", "/dev/null"),
			 P2PCTL_EXIT_VERSION);
	ck_assert_str_eq(res.out, "");
	ck_assert_str_eq(
		res.err,
		"p2pctl: /dev/null: Driver uAPI 2.1 is incompatible with libp2pbuf uAPI 1.7\n");
}
END_TEST

static const char fake_table[] = "device:              /dev/null\n"
				 "uAPI version:        1.7\n"
				 "driver version:      0.1.0-fake\n"
				 "library version:     " PACKAGE_VERSION "\n"
				 "page size:           4096\n"
				 "features:            iommu\n"
				 "max buffers per fd:  64\n"
				 "max SGLs per fd:     16\n"
				 "max SGL segments:    512\n";

static const char fake_json[] = "{\n"
				"  \"device\": \"/dev/null\",\n"
				"  \"uapi_version\": \"1.7\",\n"
				"  \"driver_version\": \"0.1.0-fake\",\n"
				"  \"library_version\": \"" PACKAGE_VERSION
				"\",\n"
				"  \"page_size\": 4096,\n"
				"  \"features\": [\"iommu\"],\n"
				"  \"features_mask\": \"0x2\",\n"
				"  \"max_buffers_per_fd\": 64,\n"
				"  \"max_sgls_per_fd\": 16,\n"
				"  \"max_sgl_segments\": 512\n"
				"}\n";

START_TEST(test_info_table)
{
	fake_info_reset();
	ck_assert_int_eq(run("info", "--device", "/dev/null"), P2PCTL_EXIT_OK);
	ck_assert_str_eq(res.err, "");
	ck_assert_str_eq(res.out, fake_table);
}
END_TEST

START_TEST(test_info_json)
{
	fake_info_reset();
	ck_assert_int_eq(run("info", "--json", "--device", "/dev/null"),
			 P2PCTL_EXIT_OK);
	ck_assert_str_eq(res.err, "");
	ck_assert_str_eq(res.out, fake_json);
	ck_assert(json_valid(res.out));
}
END_TEST

START_TEST(test_json_validator_rejects)
{
	/* json_valid() is not vacuous. */
	ck_assert(!json_valid("{\"a\": \"\x01\"}"));
	ck_assert(!json_valid("{\"a\": 1,}"));
	ck_assert(json_valid("{\"a\": \"\\u0001\"}"));
}
END_TEST

START_TEST(test_json_string_escapes)
{
	size_t len;
	char *buf;
	FILE *f = open_memstream(&buf, &len);

	p2pctl_json_string(f, "a\"b\\c\nd\te\x01\x1f\x7f\xc3\xa9/");
	fclose(f);
	ck_assert_str_eq(
		buf,
		"\"a\\\"b\\\\c\\nd\\te\\u0001\\u001f\\u007f\\u00c3\\u00a9/\"");
	ck_assert(json_valid(buf));
	free(buf);
}
END_TEST

START_TEST(test_info_hostile_strings)
{
	struct p2pbuf_driver_info info = {
		.version_major = 1,
		.features = P2PBUF_FEATURE_PCI_P2PDMA | P2PBUF_FEATURE_IOMMU |
			    (1ULL << 63),
		.driver_version = "\"}\n\\\x01\xff",
	};
	size_t len;
	char *buf;
	FILE *f = open_memstream(&buf, &len);

	p2pctl_print_info(f, "/dev/\"odd\"\tname", &info, true);
	fclose(f);
	ck_assert(json_valid(buf));
	ck_assert_ptr_nonnull(
		strstr(buf, "  \"features\": [\"pci_p2pdma\", \"iommu\"],\n"
			    "  \"features_mask\": \"0x8000000000000003\",\n"));
	free(buf);
}
END_TEST

START_TEST(test_info_table_features)
{
	struct p2pbuf_driver_info info = { .features = 0 };
	size_t len;
	char *buf;
	FILE *f = open_memstream(&buf, &len);

	p2pctl_print_info(f, "d", &info, false);
	info.features = P2PBUF_FEATURE_PCI_P2PDMA | (1ULL << 40);
	p2pctl_print_info(f, "d", &info, false);
	fclose(f);
	ck_assert_ptr_nonnull(strstr(buf, "\nfeatures:            none\n"));
	ck_assert_ptr_nonnull(strstr(
		buf, "\nfeatures:            pci_p2pdma 0x10000000000\n"));
	free(buf);
}
END_TEST

START_TEST(test_write_error)
{
	struct p2pctl p = { .sysfs_module = NO_MODULE };
	char *argv[] = { "p2pctl", "--version", NULL };
	size_t len;
	char *err;

	p.out = fopen("/dev/full", "w");
	p.err = open_memstream(&err, &len);
	ck_assert_ptr_nonnull(p.out);
	ck_assert_int_eq(p2pctl_main(&p, 2, argv), P2PCTL_EXIT_FAILED);
	fclose(p.out);
	fclose(p.err);
	ck_assert_str_eq(
		err, "p2pctl: cannot write output: No space left on device\n");
	free(err);
}
END_TEST

static int run_nothing(const struct p2pctl *p, const struct p2pctl_cmd *cmd,
		       int argc, char **argv)
{
	return 0;
}

START_TEST(test_find_cmd)
{
	static const struct p2pctl_cmd table[] = {
		{ .noun = "info", .run = run_nothing },
		{ .noun = "buffer", .verb = "create", .run = run_nothing },
		{ .noun = "buffer", .verb = "destroy", .run = run_nothing },
	};
	char *info[] = { "info", "create" };
	char *create[] = { "buffer", "create", "--size" };
	char *destroy[] = { "buffer", "destroy" };
	char *bad_verb[] = { "buffer", "frob" };
	char *no_verb[] = { "buffer" };
	char *unknown[] = { "map", "create" };
	int words = -1;

	ck_assert_ptr_eq(p2pctl_find_cmd(table, 3, 2, info, &words), &table[0]);
	ck_assert_int_eq(words, 1);
	ck_assert_ptr_eq(p2pctl_find_cmd(table, 3, 3, create, &words),
			 &table[1]);
	ck_assert_int_eq(words, 2);
	ck_assert_ptr_eq(p2pctl_find_cmd(table, 3, 2, destroy, &words),
			 &table[2]);
	ck_assert_int_eq(words, 2);
	ck_assert_ptr_null(p2pctl_find_cmd(table, 3, 2, bad_verb, &words));
	ck_assert_ptr_null(p2pctl_find_cmd(table, 3, 1, no_verb, &words));
	ck_assert_ptr_null(p2pctl_find_cmd(table, 3, 2, unknown, &words));
}
END_TEST

static void setup(void)
{
	fake_info_off();
}

/* --- providers: parsing and formatting ---------------------------------- */

START_TEST(test_parse_size)
{
	static const struct {
		const char *s;
		int ret;
		uint64_t v;
	} cases[] = {
		{ "0", 0, 0 },
		{ "4096", 0, 4096 },
		{ "0x1000", 0, 4096 },
		{ "4K", 0, 4096 },
		{ "4k", 0, 4096 },
		{ "64M", 0, 64ULL << 20 },
		{ "2G", 0, 2ULL << 30 },
		{ "3t", 0, 3ULL << 40 },
		{ "0x10M", 0, 16ULL << 20 },
		{ "18446744073709551615", 0, UINT64_MAX },
		{ "16777215T", 0, 16777215ULL << 40 },
		{ "16777216T", -ERANGE, 0 },
		{ "18446744073709551616", -ERANGE, 0 },
		{ "", -EINVAL, 0 },
		{ "K", -EINVAL, 0 },
		{ "-1", -EINVAL, 0 },
		{ "+1", -EINVAL, 0 },
		{ " 1", -EINVAL, 0 },
		{ "1X", -EINVAL, 0 },
		{ "1KB", -EINVAL, 0 },
		{ "1 K", -EINVAL, 0 },
		{ "1.5M", -EINVAL, 0 },
		{ "0x", -EINVAL, 0 },
	};
	uint64_t v = 12345;
	int ret = p2pctl_parse_size(cases[_i].s, &v);

	ck_assert_msg(ret == cases[_i].ret, "'%s': %d", cases[_i].s, ret);
	if (!ret)
		ck_assert_uint_eq(v, cases[_i].v);
}
END_TEST

START_TEST(test_format_size)
{
	static const struct {
		uint64_t v;
		const char *s;
	} cases[] = {
		{ 0, "0 B" },
		{ 1023, "1023 B" },
		{ 1024, "1.0 KiB" },
		{ 1536, "1.5 KiB" },
		{ 64ULL << 20, "64.0 MiB" },
		{ (64ULL << 20) - 4096, "64.0 MiB" },
		{ (1ULL << 20) - 1, "1.0 MiB" }, /* not "1024.0 KiB" */
		{ 8324079616ULL, "7.8 GiB" },
		{ 5ULL << 40, "5.0 TiB" },
		{ UINT64_MAX, "16.0 EiB" },
	};
	char buf[P2PCTL_SIZE_STRLEN];

	p2pctl_format_size(cases[_i].v, buf);
	ck_assert_str_eq(buf, cases[_i].s);
}
END_TEST

/*
 * p2pctl takes PCI addresses as p2pbuf_pci_target_parse(3) does (its own
 * parser, which took "1:2:3.4" and refused 5-digit domains, is gone), and
 * refuses domains above ffff where it needs the provider commands' form.
 */
static const struct {
	const char *s, *canon;
	int ret;
} pci_addr_cases[] = {
	{ "0000:00:04.0", "0000:00:04.0", 0 },
	{ "00:04.0", "0000:00:04.0", 0 },
	{ "0001:3A:1f.7", "0001:3a:1f.7", 0 },
	{ "ffff:ff:1f.7", "ffff:ff:1f.7", 0 },
	{ "00000:00:04.0", "0000:00:04.0", 0 }, /* 4 to 8 digits */
	{ "10000:e0:00.0", NULL, -ERANGE }, /* a VMD domain */
	{ "1:2:3.4", NULL, -EINVAL }, /* bus and device: 2 digits */
	{ "0000:00:4.0", NULL, -EINVAL },
	{ "0000:00:20.0", NULL, -EINVAL }, /* device > 0x1f */
	{ "0000:00:04.8", NULL, -EINVAL }, /* function > 7 */
	{ "0000:000:04.0", NULL, -EINVAL },
	{ "0000:00:04", NULL, -EINVAL },
	{ "0000:00:04.0 ", NULL, -EINVAL },
	{ "0x00:00:04.0", NULL, -EINVAL },
	{ "0000:00:04.0:0", NULL, -EINVAL },
	{ "04.0", NULL, -EINVAL },
	{ "", NULL, -EINVAL },
	{ "0000::04.0", NULL, -EINVAL },
};

START_TEST(test_parse_pci_addr)
{
	char out[P2PBUF_PCI_ADDR_STRLEN];
	struct p2pbuf_pci_target t;
	int ret = p2pctl_parse_pci_addr(pci_addr_cases[_i].s, out);

	ck_assert_msg(ret == pci_addr_cases[_i].ret, "'%s': %d",
		      pci_addr_cases[_i].s, ret);
	if (!ret)
		ck_assert_str_eq(out, pci_addr_cases[_i].canon);
	/* The library agrees: it refuses exactly the malformed ones. */
	ck_assert_int_eq(p2pbuf_pci_target_parse(pci_addr_cases[_i].s, &t),
			 pci_addr_cases[_i].ret == -EINVAL ? -EINVAL : 0);
}
END_TEST

static const struct p2pbuf_provider_info sample[] = {
	{ .id = 0,
	  .kind = P2PBUF_NL_PROVIDER_KIND_SYSMEM,
	  .size = 8324079616ULL,
	  .free_bytes = 8000000000ULL,
	  .numa_node = -1 },
	{ .id = 7,
	  .kind = P2PBUF_NL_PROVIDER_KIND_PCIBAR,
	  .size = 16ULL << 20,
	  .free_bytes = 12ULL << 20,
	  .buffers = 2,
	  .flags = P2PBUF_NL_PROVIDER_F_PREFETCHABLE,
	  .numa_node = 0,
	  .bar = 2,
	  .offset = 4ULL << 20,
	  .pci_addr = "0000:00:04.0" },
	/* A kind of a newer kernel, and hostile text where a string goes. */
	{ .id = 9, .kind = 77, .size = 4096, .pci_addr = "\"\\\n" },
};

static char *capture(void (*fn)(FILE *, bool, bool), bool json, bool bytes)
{
	size_t len;
	char *buf;
	FILE *f = open_memstream(&buf, &len);

	ck_assert_ptr_nonnull(f);
	fn(f, json, bytes);
	fclose(f);
	return buf;
}

static void list_all(FILE *f, bool json, bool bytes)
{
	p2pctl_print_providers(f, sample, 3, json, bytes);
}

static void show_pcibar(FILE *f, bool json, bool bytes)
{
	p2pctl_print_provider(f, &sample[1], json, bytes);
}

static void show_sysmem(FILE *f, bool json, bool bytes)
{
	p2pctl_print_provider(f, &sample[0], json, bytes);
}

START_TEST(test_provider_table)
{
	char *out = capture(list_all, false, false);

	ck_assert_str_eq(
		out,
		"ID  KIND     PCI ADDRESS   BAR  OFFSET   SIZE      FREE      BUFFERS  PREFETCH  NUMA\n"
		"0   sysmem   -             -    -        7.8 GiB   7.5 GiB   0        no        -\n"
		"7   pcibar   0000:00:04.0  2    4.0 MiB  16.0 MiB  12.0 MiB  2        yes       0\n"
		"9   kind-77  -             -    -        4.0 KiB   0 B       0        no        0\n");
	free(out);
	out = capture(list_all, false, true);
	ck_assert_ptr_nonnull(strstr(
		out,
		"7   pcibar   0000:00:04.0  2    4194304  16777216    12582912    2"));
	ck_assert_ptr_nonnull(strstr(out, "8324079616"));
	ck_assert_ptr_null(strstr(out, "MiB"));
	free(out);
}
END_TEST

START_TEST(test_provider_json)
{
	char *out = capture(list_all, true, false);

	ck_assert(json_valid(out));
	ck_assert_ptr_nonnull(strstr(
		out,
		"  {\"id\": 7, \"kind\": \"pcibar\", \"pci_address\": \"0000:00:04.0\", "
		"\"bar\": 2, \"offset\": 4194304, \"size\": 16777216, "
		"\"free\": 12582912, \"buffers\": 2, \"prefetchable\": true, "
		"\"numa_node\": 0, \"host_bridge_p2p\": false},\n"));
	ck_assert_ptr_nonnull(strstr(
		out,
		"\"kind\": \"sysmem\", \"pci_address\": null, \"bar\": null, "
		"\"offset\": null, \"size\": 8324079616,"));
	ck_assert_ptr_nonnull(
		strstr(out, "\"numa_node\": -1, \"host_bridge_p2p\": false}"));
	/* Unknown kinds are named, never a bare number; --bytes is moot. */
	ck_assert_ptr_nonnull(strstr(out, "\"kind\": \"kind-77\""));
	free(out);

	out = capture(show_pcibar, true, false);
	ck_assert(json_valid(out));
	ck_assert_ptr_nonnull(
		strstr(out, "{\n  \"id\": 7,\n  \"kind\": \"pcibar\",\n"));
	free(out);
}
END_TEST

START_TEST(test_provider_show)
{
	char *out = capture(show_pcibar, false, false);

	ck_assert_str_eq(out, "id:            7\n"
			      "kind:          pcibar\n"
			      "PCI address:   0000:00:04.0\n"
			      "BAR:           2\n"
			      "offset:        4.0 MiB\n"
			      "size:          16.0 MiB\n"
			      "free:          12.0 MiB\n"
			      "buffers:       2\n"
			      "prefetchable:  yes\n"
			      "NUMA node:     0\n"
			      "host bridges:  known to forward P2P only\n");
	free(out);
	out = capture(show_sysmem, false, true);
	ck_assert_ptr_null(strstr(out, "PCI address"));
	ck_assert_ptr_null(strstr(out, "host bridges"));
	ck_assert_ptr_nonnull(strstr(out, "size:          8324079616\n"));
	ck_assert_ptr_nonnull(strstr(out, "NUMA node:     -\n"));
	free(out);
}
END_TEST

START_TEST(test_provider_usage)
{
	/* Refused before the kernel is asked: exit 2, one line. */
	ck_assert_int_eq(run("provider", "add", "0000:00:04.0"), 2);
	ck_assert_str_eq(
		res.err,
		"p2pctl: provider add: missing --bar (or --p2pmem) (see 'p2pctl provider add --help')\n");
	ck_assert_int_eq(run("provider", "add", "0000:00:4.0.1", "--bar", "2"),
			 2);
	ck_assert_ptr_nonnull(
		strstr(res.err, "invalid PCI address '0000:00:4.0.1'"));
	ck_assert_int_eq(run("provider", "add", "00:04.0", "--bar", "x"), 2);
	ck_assert_ptr_nonnull(strstr(res.err, "invalid BAR index 'x'"));
	ck_assert_int_eq(run("provider", "add", "00:04.0", "--bar", "2",
			     "--size", "99999999999T"),
			 2);
	ck_assert_ptr_nonnull(
		strstr(res.err, "size '99999999999T' is too large"));
	ck_assert_int_eq(run("provider", "add", "00:04.0", "--bar", "2",
			     "--offset", "1Q"),
			 2);
	ck_assert_ptr_nonnull(strstr(res.err, "invalid offset '1Q'"));
	ck_assert_int_eq(
		run("provider", "add", "00:06.0", "--p2pmem", "--bar", "2"), 2);
	ck_assert_str_eq(
		res.err,
		"p2pctl: provider add: --p2pmem takes no --bar, --offset or --size (see 'p2pctl provider add --help')\n");
	ck_assert_int_eq(run("provider", "add", "--p2pmem", "00:06.0", "--size",
			     "4K"),
			 2);
	ck_assert_ptr_nonnull(strstr(res.err, "--p2pmem takes no --bar"));
	ck_assert_int_eq(run("provider", "del"), 2);
	ck_assert_int_eq(run("provider", "del", "-1"), 2);
	ck_assert_int_eq(run("provider", "del", "4294967296"), 2);
	ck_assert_ptr_nonnull(
		strstr(res.err, "invalid provider id '4294967296'"));
	ck_assert_int_eq(run("provider", "del", "1", "--json"), 2);
	ck_assert_int_eq(run("provider", "show", "1", "2"), 2);
	ck_assert_int_eq(run("provider", "list", "extra"), 2);
	ck_assert_int_eq(run("provider", "list", "--bar", "2"), 2);
	ck_assert_int_eq(run("provider"), 2);
	ck_assert_int_eq(run("provider", "frob"), 2);
	ck_assert_int_eq(run("provider", "list", "--help"), 0);
	ck_assert_ptr_nonnull(strstr(res.out, "Usage: p2pctl provider list"));
	ck_assert_str_eq(res.err, "");
}
END_TEST

START_TEST(test_provider_host_bridge_flag)
{
	struct p2pbuf_provider_info p = sample[1];
	size_t len;
	char *buf;
	FILE *f = open_memstream(&buf, &len);

	p.flags |= P2PBUF_NL_PROVIDER_F_HOST_BRIDGE_P2P;
	p2pctl_print_provider(f, &p, false, false);
	p2pctl_print_provider(f, &p, true, false);
	fclose(f);
	ck_assert_ptr_nonnull(strstr(
		buf, "\nhost bridges:  any (allowed by the administrator)\n"));
	ck_assert_ptr_nonnull(
		strstr(buf, ",\n  \"host_bridge_p2p\": true\n}\n"));
	ck_assert_ptr_nonnull(strstr(buf, "prefetchable:  yes\n"));
	free(buf);

	/* Only "provider add" takes the option. */
	run("provider", "show", "1", "--allow-host-bridge");
	expect_usage_error(
		"p2pctl: provider show: invalid option '--allow-host-bridge' (see 'p2pctl provider show --help')\n");
	ck_assert_int_eq(run("provider", "add", "--help"), 0);
	ck_assert_ptr_nonnull(strstr(res.out, " [--allow-host-bridge] "));
	ck_assert_ptr_nonnull(strstr(res.out, "\n  --allow-host-bridge\n"));
	/* Parsed, then refused for want of the netlink family (no module). */
	ck_assert_int_eq(run("provider", "add", "00:04.0", "--bar", "2",
			     "--allow-host-bridge"),
			 P2PCTL_EXIT_NODEV);
	ck_assert_ptr_nonnull(strstr(res.err, "netlink family"));
}
END_TEST

/* --- map, reach ----------------------------------------------------------- */

START_TEST(test_sgl_help)
{
	static const char *const cmds[] = { "map", "reach", "demo" };
	char prefix[64];
	size_t i;

	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		snprintf(prefix, sizeof(prefix), "Usage: p2pctl %s ", cmds[i]);
		ck_assert_int_eq(run(cmds[i], "--help"), 0);
		ck_assert_str_eq(res.err, "");
		ck_assert_msg(!strncmp(res.out, prefix, strlen(prefix)), "%s",
			      res.out);
		ck_assert_ptr_nonnull(strstr(res.out, "  -h, --help "));
		ck_assert_int_eq(run("help", cmds[i]), 0);
		ck_assert_msg(!strncmp(res.out, prefix, strlen(prefix)), "%s",
			      res.out);
	}
	ck_assert_int_eq(run("map", "-h"), 0);
	ck_assert_ptr_nonnull(strstr(res.out, "--buffer-size SIZE"));
	ck_assert_ptr_nonnull(strstr(res.out, "--lengths-only"));
	ck_assert_ptr_nonnull(strstr(res.out, "--dmabuf-fd FD"));
	ck_assert_ptr_nonnull(
		strstr(res.out, "to-device, from-device or bidirectional"));
	ck_assert_int_eq(run("reach", "--help"), 0);
	ck_assert_ptr_nonnull(strstr(res.out, "Exits with 6 when"));
	ck_assert_int_eq(run("demo", "--help"), 0);
	ck_assert_ptr_nonnull(strstr(res.out, "--edu PCI-ADDRESS"));
	ck_assert_ptr_nonnull(strstr(res.out, "--ivshmem PCI-ADDRESS"));

	/* The command list and the exit statuses know them. */
	ck_assert_int_eq(run("--help"), 0);
	ck_assert_ptr_nonnull(
		strstr(res.out, "\n  map {--buffer-size SIZE [--provider ID] | "
				"--dmabuf-fd FD} "));
	ck_assert_ptr_nonnull(strstr(res.out, "\n  reach --provider ID "));
	ck_assert_ptr_nonnull(strstr(res.out, "\n  demo [--edu "));
	ck_assert_ptr_nonnull(strstr(
		res.out,
		"\n  6  the target device cannot reach the provider's memory\n"));
}
END_TEST

START_TEST(test_map_usage)
{
	run("map", "--target", "00:03.0");
	expect_usage_error(
		"p2pctl: map: missing --buffer-size (or --dmabuf-fd) (see 'p2pctl map --help')\n");
	/* A dma-buf instead of a buffer: not both. */
	run("map", "--dmabuf-fd", "3", "--buffer-size", "8K", "--target",
	    "00:03.0");
	expect_usage_error(
		"p2pctl: map: --dmabuf-fd maps a dma-buf: no --buffer-size, no --provider (see 'p2pctl map --help')\n");
	run("map", "--dmabuf-fd", "3", "--provider", "1", "--target",
	    "00:03.0");
	expect_usage_error(
		"p2pctl: map: --dmabuf-fd maps a dma-buf: no --buffer-size, no --provider (see 'p2pctl map --help')\n");
	run("map", "--dmabuf-fd", "x", "--target", "00:03.0");
	expect_usage_error(
		"p2pctl: map: invalid --dmabuf-fd 'x' (see 'p2pctl map --help')\n");
	run("map", "--dmabuf-fd", "3");
	expect_usage_error(
		"p2pctl: map: missing --target (see 'p2pctl map --help')\n");
	run("map", "--buffer-size", "8K");
	expect_usage_error(
		"p2pctl: map: missing --target (see 'p2pctl map --help')\n");
	run("map", "--buffer-size", "8K", "--target", "00:03");
	expect_usage_error(
		"p2pctl: map: invalid target '00:03' (expected DDDD:BB:DD.F or BB:DD.F) (see 'p2pctl map --help')\n");
	run("map", "--buffer-size", "8K", "--target", "00:20.0");
	ck_assert_int_eq(res.status, 2);
	run("map", "--buffer-size", "8K", "--target", "00:03.0", "--direction",
	    "sideways");
	expect_usage_error(
		"p2pctl: map: invalid direction 'sideways' (to-device, from-device or bidirectional) (see 'p2pctl map --help')\n");
	run("map", "--buffer-size", "8X", "--target", "00:03.0");
	expect_usage_error(
		"p2pctl: map: invalid buffer size '8X' (a number of bytes with an optional K, M, G or T suffix) (see 'p2pctl map --help')\n");
	run("map", "--buffer-size", "0", "--target", "00:03.0");
	expect_usage_error(
		"p2pctl: map: the buffer size must be 1 byte to 1T (see 'p2pctl map --help')\n");
	run("map", "--buffer-size", "2T", "--target", "00:03.0");
	ck_assert_int_eq(res.status, 2);
	run("map", "--buffer-size", "8K", "--target", "00:03.0", "--provider",
	    "x");
	expect_usage_error(
		"p2pctl: map: invalid provider id 'x' (see 'p2pctl map --help')\n");
	run("map", "--buffer-size", "8K", "--target", "00:03.0", "extra");
	expect_usage_error(
		"p2pctl: map: unexpected argument 'extra' (see 'p2pctl map --help')\n");
	run("map", "--buffer-size", "8K", "--target", "00:03.0", "--bytes");
	expect_usage_error(
		"p2pctl: map: invalid option '--bytes' (see 'p2pctl map --help')\n");
	run("map", "--buffer-size");
	expect_usage_error(
		"p2pctl: map: option '--buffer-size' requires an argument (see 'p2pctl map --help')\n");
}
END_TEST

START_TEST(test_reach_demo_usage)
{
	run("reach", "--target", "00:03.0");
	expect_usage_error(
		"p2pctl: reach: missing --provider (see 'p2pctl reach --help')\n");
	run("reach", "--provider", "1");
	expect_usage_error(
		"p2pctl: reach: missing --target (see 'p2pctl reach --help')\n");
	run("reach", "--provider", "1", "--target", "0000:00:03.0.0");
	ck_assert_int_eq(res.status, 2);
	ck_assert_ptr_nonnull(strstr(res.err, "invalid target"));
	run("reach", "--provider", "-1", "--target", "00:03.0");
	ck_assert_int_eq(res.status, 2);
	run("reach", "--provider", "1", "--target", "00:03.0", "--hold");
	ck_assert_int_eq(res.status, 2);

	run("demo", "--edu", "00:3.0.0");
	expect_usage_error(
		"p2pctl: demo: invalid PCI address '00:3.0.0' (expected DDDD:BB:DD.F or BB:DD.F) (see 'p2pctl demo --help')\n");
	run("demo", "--ivshmem", "");
	ck_assert_int_eq(res.status, 2);
	run("demo", "now");
	expect_usage_error(
		"p2pctl: demo: unexpected argument 'now' (see 'p2pctl demo --help')\n");
	run("demo", "--json");
	ck_assert_int_eq(res.status, 2);
}
END_TEST

START_TEST(test_parse_helpers)
{
	enum p2pbuf_dma_dir dir = 0;

	ck_assert_int_eq(p2pctl_parse_dma_dir("to-device", &dir), 0);
	ck_assert_int_eq(dir, P2PBUF_DMA_TO_DEVICE);
	ck_assert_int_eq(p2pctl_parse_dma_dir("from-device", &dir), 0);
	ck_assert_int_eq(dir, P2PBUF_DMA_FROM_DEVICE);
	ck_assert_int_eq(p2pctl_parse_dma_dir("bidirectional", &dir), 0);
	ck_assert_int_eq(dir, P2PBUF_DMA_BIDIRECTIONAL);
	ck_assert_int_eq(p2pctl_parse_dma_dir("To-Device", &dir), -EINVAL);
	ck_assert_int_eq(p2pctl_parse_dma_dir("", &dir), -EINVAL);
	ck_assert_int_eq(p2pctl_parse_dma_dir("both", &dir), -EINVAL);

	/*
	 * Targets are libp2pbuf's (test_sgl tests its parser): what it
	 * refuses is a usage error, what it takes gets as far as the device.
	 */
	run("reach", "--provider", "1", "--target", "1:2:3.4");
	expect_usage_error(
		"p2pctl: reach: invalid target '1:2:3.4' (expected DDDD:BB:DD.F or BB:DD.F) (see 'p2pctl reach --help')\n");
	run("map", "--buffer-size", "8K", "--target", "0000:00:04.8");
	ck_assert_int_eq(res.status, P2PCTL_EXIT_USAGE);
	ck_assert_int_eq(run("reach", "--provider", "1", "--target",
			     "10000:e0:00.0", "--device",
			     "/nonexistent/p2pbuf"),
			 P2PCTL_EXIT_NODEV);
	ck_assert_int_eq(run("map", "--buffer-size", "8K", "--target",
			     "00:04.0", "--device", "/nonexistent/p2pbuf"),
			 P2PCTL_EXIT_NODEV);
	/* "provider add" needs a domain its netlink attribute can carry. */
	run("provider", "add", "10000:e0:00.0", "--bar", "2");
	expect_usage_error(
		"p2pctl: provider add: PCI address '10000:e0:00.0': a domain above ffff cannot be named here (see 'p2pctl provider add --help')\n");
}
END_TEST

/* A driver without dma-sgls: refused after the handshake, exit 1. */
START_TEST(test_sgl_unsupported)
{
	fake_info_reset();
	fake_info.reply.features = P2PBUF_FEATURE_BUFFERS;
	fake_info.reply.version_minor = 1;
	ck_assert_int_eq(run("map", "--buffer-size", "8K", "--target",
			     "00:03.0", "--device", "/dev/null"),
			 P2PCTL_EXIT_FAILED);
	ck_assert_str_eq(res.out, "");
	ck_assert_str_eq(
		res.err,
		"p2pctl: map: /dev/null: the driver (uAPI 1.1) does not support dma-sgls\n");
	ck_assert_int_eq(run("reach", "--provider", "0", "--target", "00:03.0",
			     "--device", "/dev/null"),
			 P2PCTL_EXIT_FAILED);
	ck_assert_str_eq(
		res.err,
		"p2pctl: reach: /dev/null: the driver (uAPI 1.1) does not support dma-sgls\n");
	/* And the usual exits when there is no driver at all. */
	ck_assert_int_eq(run("map", "--buffer-size", "8K", "--target",
			     "00:03.0", "--device", "/nonexistent/p2pbuf"),
			 P2PCTL_EXIT_NODEV);
	ck_assert_int_eq(run("reach", "--provider", "0", "--target", "00:03.0",
			     "--device", "/dev/null"),
			 P2PCTL_EXIT_FAILED);
}
END_TEST

/* The range is checked against the page size before anything is made. */
START_TEST(test_map_range)
{
	fake_info_reset();
	fake_info.reply.features = P2PBUF_FEATURE_BUFFERS |
				   P2PBUF_FEATURE_DMA_SGL;
	run("map", "--buffer-size", "8K", "--target", "00:03.0", "--offset",
	    "100", "--device", "/dev/null");
	expect_usage_error(
		"p2pctl: map: --offset and --length must be multiples of the page size (4096) (see 'p2pctl map --help')\n");
	run("map", "--buffer-size", "8K", "--target", "00:03.0", "--length",
	    "6K", "--device", "/dev/null");
	ck_assert_int_eq(res.status, 2);
	run("map", "--buffer-size", "8K", "--target", "00:03.0", "--offset",
	    "8K", "--device", "/dev/null");
	expect_usage_error(
		"p2pctl: map: the range (--offset, --length) must be a non-empty part of the buffer (see 'p2pctl map --help')\n");
	run("map", "--buffer-size", "5000", "--target", "00:03.0", "--offset",
	    "4K", "--length", "8K", "--device", "/dev/null");
	ck_assert_int_eq(res.status, 2);
	run("map", "--buffer-size", "8K", "--target", "00:03.0", "--length",
	    "0", "--device", "/dev/null");
	ck_assert_int_eq(res.status, 2);
	ck_assert_uint_eq(fake_info.other_calls, 0);
}
END_TEST

static int alloc_enoent(int fd, unsigned long request, void *arg)
{
	ck_assert_uint_eq(request, P2PBUF_IOC_ALLOC);
	errno = ENOENT;
	return -1;
}

START_TEST(test_map_no_provider)
{
	fake_info_reset();
	fake_info.reply.features = P2PBUF_FEATURE_BUFFERS |
				   P2PBUF_FEATURE_DMA_SGL;
	fake_info.other = alloc_enoent;
	ck_assert_int_eq(run("map", "--buffer-size", "8K", "--provider", "7",
			     "--target", "00:03.0", "--device", "/dev/null"),
			 P2PCTL_EXIT_FAILED);
	ck_assert_str_eq(res.out, "");
	ck_assert_str_eq(res.err, "p2pctl: map: no provider 7\n");
	ck_assert_uint_eq(fake_info.other_calls, 1);
}
END_TEST

static const struct p2pbuf_segment sample_segs[] = {
	{ 0xfffff000, 4096 },
	{ 0x1fe000000, 65536 },
	{ 0xfedcba9876543000, 8192 },
};

static void print_map_sample(FILE *f, bool json, bool lengths_only)
{
	struct p2pctl_map_view v = {
		.provider = 1,
		.buffer_size = 128 << 10,
		.cache_mode = P2PBUF_CACHE_WC,
		.offset = 4096,
		.info = { .length = 77824,
			  .nr_segments = 3,
			  .map_type = P2PBUF_MAP_TYPE_IOMMU,
			  .state = P2PBUF_SGL_STATE_MAPPED,
			  .direction = P2PBUF_DMA_TO_DEVICE,
			  .generation = 1,
			  .target = { .bus = 3, .devfn = 0 } },
		.segs = sample_segs,
		.nr_segs = 3,
		.lengths_only = lengths_only,
	};

	p2pctl_print_map(f, &v, json);
}

START_TEST(test_map_output)
{
	char *out = capture(print_map_sample, false, false);

	ck_assert_str_eq(out, "provider:      1\n"
			      "buffer size:   128.0 KiB\n"
			      "caching:       write-combining\n"
			      "target:        0000:03:00.0\n"
			      "direction:     to-device\n"
			      "map type:      iommu\n"
			      "offset:        4.0 KiB\n"
			      "length:        76.0 KiB\n"
			      "segments:      3\n"
			      "  SEG  DMA ADDRESS         LENGTH\n"
			      "  0    0x00000000fffff000  4096\n"
			      "  1    0x00000001fe000000  65536\n"
			      "  2    0xfedcba9876543000  8192\n");
	free(out);
	out = capture(print_map_sample, false, true);
	ck_assert_ptr_nonnull(
		strstr(out, "\n  1    -                   65536\n"));
	ck_assert_ptr_null(strstr(out, "0x"));
	free(out);

	out = capture(print_map_sample, true, false);
	ck_assert(json_valid(out));
	ck_assert_str_eq(
		out,
		"{\n"
		"  \"provider\": 1,\n"
		"  \"buffer_size\": 131072,\n"
		"  \"caching\": \"write-combining\",\n"
		"  \"target\": \"0000:03:00.0\",\n"
		"  \"direction\": \"to-device\",\n"
		"  \"map_type\": \"iommu\",\n"
		"  \"offset\": 4096,\n"
		"  \"length\": 77824,\n"
		"  \"segments\": [\n"
		"    {\"dma_address\": \"0x00000000fffff000\", \"length\": 4096},\n"
		"    {\"dma_address\": \"0x00000001fe000000\", \"length\": 65536},\n"
		"    {\"dma_address\": \"0xfedcba9876543000\", \"length\": 8192}\n"
		"  ]\n"
		"}\n");
	free(out);
	out = capture(print_map_sample, true, true);
	ck_assert(json_valid(out));
	ck_assert_ptr_nonnull(
		strstr(out, "{\"dma_address\": null, \"length\": 65536},\n"));
	free(out);
}
END_TEST

static void print_map_odd(FILE *f, bool json, bool unused)
{
	/* Values of a newer kernel, and no segments at all. */
	struct p2pctl_map_view v = {
		.cache_mode = 9,
		.info = { .map_type = 17, .direction = 8 },
	};

	p2pctl_print_map(f, &v, json);
}

START_TEST(test_map_output_unknown)
{
	char *out = capture(print_map_odd, true, false);

	ck_assert(json_valid(out));
	ck_assert_ptr_nonnull(strstr(out, "\"caching\": \"unknown\""));
	ck_assert_ptr_nonnull(strstr(out, "\"direction\": \"direction-8\""));
	ck_assert_ptr_nonnull(strstr(out, "\"map_type\": \"type-17\""));
	ck_assert_ptr_nonnull(strstr(out, "\"segments\": []\n}\n"));
	free(out);
	out = capture(print_map_odd, false, false);
	ck_assert_ptr_nonnull(strstr(out, "map type:      type-17\n"));
	ck_assert_ptr_nonnull(strstr(out, "segments:      0\n  SEG  DMA"));
	free(out);
}
END_TEST

static const struct p2pbuf_reach_info reach_ok = {
	.provider_id = 1,
	.reason = P2PBUF_REACH_HOST_BRIDGE_ADMIN,
	.map_type = P2PBUF_MAP_TYPE_IOMMU,
	.distance = 4,
	.target = { .bus = 0, .devfn = 3 << 3 },
};

static const struct p2pbuf_reach_info reach_no = {
	.provider_id = 2,
	.reason = P2PBUF_UNREACH_HOST_BRIDGE,
	.distance = 4,
	.target = { .domain = 1, .bus = 0x3a, .devfn = 0xff },
};

static void print_reach_ok(FILE *f, bool json, bool unused)
{
	p2pctl_print_reach(f, &reach_ok, json);
}

static void print_reach_no(FILE *f, bool json, bool unused)
{
	p2pctl_print_reach(f, &reach_no, json);
}

START_TEST(test_reach_output)
{
	char *out = capture(print_reach_ok, false, false);

	ck_assert_str_eq(out, "provider:      1\n"
			      "target:        0000:00:03.0\n"
			      "reachable:     yes\n"
			      "reason:        host-bridge-admin\n"
			      "map type:      iommu\n"
			      "distance:      4\n");
	free(out);
	out = capture(print_reach_no, false, false);
	ck_assert_str_eq(out, "provider:      2\n"
			      "target:        0001:3a:1f.7\n"
			      "reachable:     no\n"
			      "reason:        host-bridge-refused\n"
			      "map type:      -\n"
			      "distance:      4\n");
	free(out);
	out = capture(print_reach_ok, true, false);
	ck_assert(json_valid(out));
	ck_assert_str_eq(out, "{\n"
			      "  \"provider\": 1,\n"
			      "  \"target\": \"0000:00:03.0\",\n"
			      "  \"reachable\": true,\n"
			      "  \"reason\": \"host-bridge-admin\",\n"
			      "  \"map_type\": \"iommu\",\n"
			      "  \"distance\": 4\n"
			      "}\n");
	free(out);
	out = capture(print_reach_no, true, false);
	ck_assert(json_valid(out));
	ck_assert_ptr_nonnull(strstr(out,
				     "\"reachable\": false,\n"
				     "  \"reason\": \"host-bridge-refused\",\n"
				     "  \"map_type\": null,\n"));
	free(out);
}
END_TEST

/* The answer of a scripted REACH, for p2pctl reach's exit status. */
static struct p2pbuf_reach_info reach_answer;
static int reach_errno;

static int scripted_reach(int fd, unsigned long request, void *arg)
{
	struct p2pbuf_reach *r = arg;

	ck_assert_uint_eq(request, P2PBUF_IOC_REACH);
	if (reach_errno) {
		errno = reach_errno;
		return -1;
	}
	r->reason = reach_answer.reason;
	r->map_type = reach_answer.map_type;
	r->distance = reach_answer.distance;
	return 0;
}

START_TEST(test_reach_exit_status)
{
	fake_info_reset();
	fake_info.reply.features = P2PBUF_FEATURE_DMA_SGL;
	fake_info.other = scripted_reach;
	reach_errno = 0;
	reach_answer = reach_ok;
	ck_assert_int_eq(run("reach", "--provider", "1", "--target", "00:03.0",
			     "--device", "/dev/null"),
			 P2PCTL_EXIT_OK);
	ck_assert_str_eq(res.err, "");
	ck_assert_ptr_nonnull(strstr(res.out, "reachable:     yes\n"));
	reach_answer = reach_no;
	ck_assert_int_eq(run("reach", "--provider", "1", "--target", "00:03.0",
			     "--device", "/dev/null", "--json"),
			 P2PCTL_EXIT_UNREACHABLE);
	ck_assert_str_eq(res.err, "");
	ck_assert(json_valid(res.out));
	ck_assert_ptr_nonnull(strstr(res.out, "\"reachable\": false"));

	reach_errno = ENOENT;
	ck_assert_int_eq(run("reach", "--provider", "9", "--target", "00:03.0",
			     "--device", "/dev/null"),
			 P2PCTL_EXIT_FAILED);
	ck_assert_str_eq(res.out, "");
	ck_assert_str_eq(res.err, "p2pctl: reach: no provider 9\n");
	reach_errno = ENODEV;
	ck_assert_int_eq(run("reach", "--provider", "1", "--target", "00:09.0",
			     "--device", "/dev/null"),
			 P2PCTL_EXIT_FAILED);
	ck_assert_str_eq(
		res.err,
		"p2pctl: reach: no PCI device 0000:00:09.0 (or it cannot do DMA)\n");
}
END_TEST

/* --- demo: everything before the driver is asked ------------------------ */

static char sysfs_dir[64];

static void add_pci_dev(const char *bdf, const char *vendor, const char *device)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", sysfs_dir, bdf);
	ck_assert_int_eq(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/%s/vendor", sysfs_dir, bdf);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fprintf(f, "%s\n", vendor);
	fclose(f);
	snprintf(path, sizeof(path), "%s/%s/device", sysfs_dir, bdf);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fprintf(f, "%s\n", device);
	fclose(f);
}

static void sysfs_setup(void)
{
	setup();
	snprintf(sysfs_dir, sizeof(sysfs_dir), "/tmp/test_p2pctl.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(sysfs_dir));
	sysfs_pci = sysfs_dir;
}

static void sysfs_teardown(void)
{
	char cmd[128];

	free_result();
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", sysfs_dir);
	ck_assert_int_eq(system(cmd), 0);
	sysfs_pci = "/nonexistent/sys/bus/pci/devices";
}

static void add_rig(void)
{
	add_pci_dev("0000:00:00.0", "0x8086", "0x29c0");
	add_pci_dev("0000:00:04.0", "0x1af4", "0x1110");
	add_pci_dev("0000:00:03.0", "0x1234", "0x11e8");
	add_pci_dev("0000:04:00.0", "0x1af4", "0x1110");
	add_pci_dev("0000:03:00.0", "0x1234", "0x11e8");
	add_pci_dev("0000:00:1f.0", "0x8086", "0x2918");
}

START_TEST(test_demo_no_rig)
{
	char want[256];

	add_pci_dev("0000:00:00.0", "0x8086", "0x29c0");
	ck_assert_int_eq(run("demo"), P2PCTL_EXIT_FAILED);
	snprintf(
		want, sizeof(want),
		"p2pctl: demo: no ivshmem device (1af4:1110) in %s: is this the QEMU rig? (or name one with --ivshmem)\n",
		sysfs_dir);
	ck_assert_str_eq(res.err, want);
	ck_assert(!strncmp(res.out, "[1/9] Finding the rig's devices in ", 35));
	ck_assert_ptr_nonnull(
		strstr(res.out, "\nFAIL: p2pctl demo (exit status 1)\n"));

	add_pci_dev("0000:00:04.0", "0x1af4", "0x1110");
	ck_assert_int_eq(run("demo"), P2PCTL_EXIT_FAILED);
	ck_assert_ptr_nonnull(strstr(res.err, "no edu device (1234:11e8)"));
	ck_assert_ptr_nonnull(strstr(res.err, "--edu"));
}
END_TEST

START_TEST(test_demo_overrides)
{
	add_rig();
	ck_assert_int_eq(run("demo", "--edu", "00:04.0"), P2PCTL_EXIT_FAILED);
	ck_assert_str_eq(
		res.err,
		"p2pctl: demo: 0000:00:04.0 is 1af4:1110, not edu (1234:11e8)\n");
	ck_assert_int_eq(run("demo", "--ivshmem", "00:09.0"),
			 P2PCTL_EXIT_FAILED);
	ck_assert_ptr_nonnull(strstr(
		res.err, "p2pctl: demo: 0000:00:09.0: no such PCI device in "));
}
END_TEST

START_TEST(test_demo_finds_then_needs_driver)
{
	add_rig();
	/* The first of each, named; then no device node. */
	ck_assert_int_eq(run("demo", "--device", "/nonexistent/p2pbuf"),
			 P2PCTL_EXIT_NODEV);
	ck_assert_ptr_nonnull(strstr(
		res.out,
		"\n      ivshmem  0000:00:04.0 (1af4:1110)\n"
		"               the first of 2; --ivshmem picks another\n"
		"      edu      0000:00:03.0 (1234:11e8)\n"
		"               the first of 2; --edu picks another\n"
		"[2/9] Opening /nonexistent/p2pbuf\n"));
	ck_assert_ptr_nonnull(strstr(res.err, "/nonexistent/p2pbuf not found"));
	ck_assert_ptr_nonnull(
		strstr(res.out, "\nFAIL: p2pctl demo (exit status 3)\n"));

	ck_assert_int_eq(run("demo", "--edu", "03:00.0", "--ivshmem",
			     "0000:04:00.0", "--device", "/nonexistent/p2pbuf"),
			 P2PCTL_EXIT_NODEV);
	ck_assert_ptr_nonnull(strstr(
		res.out,
		"ivshmem  0000:04:00.0 (1af4:1110, given by --ivshmem)\n"
		"      edu      0000:03:00.0 (1234:11e8, given by --edu)\n"));

	/* A driver without dma-sgls stops it before anything is made. */
	fake_info_reset();
	fake_info.reply.features = P2PBUF_FEATURE_BUFFERS;
	ck_assert_int_eq(run("demo", "--device", "/dev/null"),
			 P2PCTL_EXIT_FAILED);
	ck_assert_str_eq(
		res.err,
		"p2pctl: demo: /dev/null: the driver does not support dma-sgls\n");
	ck_assert_ptr_null(strstr(res.out, "[3/9]"));
	ck_assert_uint_eq(fake_info.other_calls, 0);
}
END_TEST

/* --- list, monitor, buffer revoke, provider del --force ----------------- */

START_TEST(test_revocation_help)
{
	static const char *const cmds[][2] = {
		{ "list", NULL },
		{ "monitor", NULL },
		{ "buffer", "revoke" },
		{ "buffer", "show" },
	};
	char prefix[64];
	size_t i;

	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		snprintf(prefix, sizeof(prefix), "Usage: p2pctl %s%s%s ",
			 cmds[i][0], cmds[i][1] ? " " : "",
			 cmds[i][1] ? cmds[i][1] : "");
		if (cmds[i][1])
			run(cmds[i][0], cmds[i][1], "--help");
		else
			run(cmds[i][0], "--help");
		ck_assert_int_eq(res.status, 0);
		ck_assert_str_eq(res.err, "");
		ck_assert_msg(!strncmp(res.out, prefix, strlen(prefix)), "%s",
			      res.out);
		ck_assert_ptr_nonnull(strstr(res.out, "  -h, --help "));
	}
	ck_assert_int_eq(run("monitor", "-h"), 0);
	ck_assert_ptr_nonnull(strstr(res.out, "--count N"));
	ck_assert_ptr_nonnull(strstr(res.out, "--timeout SECS"));
	ck_assert_ptr_nonnull(strstr(res.out, "SIGINT and SIGTERM"));
	ck_assert_int_eq(run("help", "list"), 0);
	ck_assert_ptr_nonnull(strstr(res.out, "--bytes"));
	ck_assert_ptr_nonnull(strstr(res.out, "CAP_SYS_ADMIN"));
	ck_assert_int_eq(run("provider", "del", "--help"), 0);
	ck_assert_ptr_nonnull(
		strstr(res.out, "Usage: p2pctl provider del ID [--force]\n"));
	ck_assert_ptr_nonnull(strstr(res.out, "\n  --force "));

	ck_assert_int_eq(run("--help"), 0);
	ck_assert_ptr_nonnull(strstr(res.out, "\n  list [--json] [--bytes]\n"));
	ck_assert_ptr_nonnull(
		strstr(res.out,
		       "\n  monitor [--json] [--count N] [--timeout SECS]\n"));
	ck_assert_ptr_nonnull(strstr(res.out, "\n  buffer revoke ID\n"));
	ck_assert_ptr_nonnull(
		strstr(res.out, "\n  provider del ID [--force]\n"));
	ck_assert_ptr_nonnull(strstr(res.out,
				     "CAP_SYS_ADMIN for providers and\n"
				     "     revocation, CAP_SYS_RAWIO"));
	ck_assert_int_eq(run("map", "--help"), 0);
	ck_assert_ptr_nonnull(strstr(
		res.out,
		"until\n"
		"                        it is revoked (then exit 1)\n"));
}
END_TEST

START_TEST(test_revocation_usage)
{
	run("list", "extra");
	expect_usage_error(
		"p2pctl: list: unexpected argument 'extra' (see 'p2pctl list --help')\n");
	run("list", "--force");
	expect_usage_error(
		"p2pctl: list: invalid option '--force' (see 'p2pctl list --help')\n");
	run("monitor", "--count", "0");
	expect_usage_error(
		"p2pctl: monitor: invalid count '0' (a number of events, at least 1) (see 'p2pctl monitor --help')\n");
	run("monitor", "--count", "-1");
	expect_usage_error(
		"p2pctl: monitor: invalid count '-1' (a number of events, at least 1) (see 'p2pctl monitor --help')\n");
	run("monitor", "--timeout", "1.5");
	expect_usage_error(
		"p2pctl: monitor: invalid timeout '1.5' (a number of seconds) (see 'p2pctl monitor --help')\n");
	run("monitor", "--timeout");
	expect_usage_error(
		"p2pctl: monitor: option '--timeout' requires an argument (see 'p2pctl monitor --help')\n");
	run("monitor", "--bytes");
	expect_usage_error(
		"p2pctl: monitor: invalid option '--bytes' (see 'p2pctl monitor --help')\n");
	run("monitor", "now");
	expect_usage_error(
		"p2pctl: monitor: unexpected argument 'now' (see 'p2pctl monitor --help')\n");
	run("buffer", "revoke");
	expect_usage_error(
		"p2pctl: buffer revoke: missing buffer id (see 'p2pctl buffer revoke --help')\n");
	run("buffer", "revoke", "4294967296");
	expect_usage_error(
		"p2pctl: buffer revoke: invalid buffer id '4294967296' (see 'p2pctl buffer revoke --help')\n");
	run("buffer", "revoke", "1", "--force");
	expect_usage_error(
		"p2pctl: buffer revoke: invalid option '--force' (see 'p2pctl buffer revoke --help')\n");
	run("buffer", "revoke", "1", "2");
	expect_usage_error(
		"p2pctl: buffer revoke: unexpected argument '2' (see 'p2pctl buffer revoke --help')\n");
	run("buffer", "show");
	expect_usage_error(
		"p2pctl: buffer show: missing buffer id (see 'p2pctl buffer show --help')\n");
	run("buffer", "show", "x1");
	expect_usage_error(
		"p2pctl: buffer show: invalid buffer id 'x1' (see 'p2pctl buffer show --help')\n");
	/* --force is for "provider del" only. */
	run("provider", "show", "1", "--force");
	expect_usage_error(
		"p2pctl: provider show: invalid option '--force' (see 'p2pctl provider show --help')\n");
	run("provider", "add", "00:04.0", "--bar", "2", "--force");
	expect_usage_error(
		"p2pctl: provider add: invalid option '--force' (see 'p2pctl provider add --help')\n");
}
END_TEST

/* Without the module the family is not there: exit 3, one line. */
START_TEST(test_revocation_no_module)
{
	static const char no_family[] =
		"p2pctl: the p2pbuf netlink family is not registered: the p2pbuf module is not loaded (run 'modprobe p2pbuf' or 'insmod kernel/p2pbuf.ko')\n";

	ck_assert_int_eq(run("list"), P2PCTL_EXIT_NODEV);
	ck_assert_str_eq(res.out, "");
	ck_assert_str_eq(res.err, no_family);
	ck_assert_int_eq(run("list", "--json", "--bytes"), P2PCTL_EXIT_NODEV);
	ck_assert_int_eq(run("monitor", "--count", "1", "--timeout", "1"),
			 P2PCTL_EXIT_NODEV);
	ck_assert_str_eq(res.out, "");
	ck_assert_str_eq(res.err, no_family);
	ck_assert_int_eq(run("buffer", "revoke", "3"), P2PCTL_EXIT_NODEV);
	ck_assert_str_eq(res.err, no_family);
	/* Parsed, then refused for want of the family. */
	ck_assert_int_eq(run("provider", "del", "1", "--force"),
			 P2PCTL_EXIT_NODEV);
	ck_assert_int_eq(run("provider", "del", "--force", "1"),
			 P2PCTL_EXIT_NODEV);
	ck_assert_str_eq(res.err, no_family);
}
END_TEST

static const struct p2pbuf_buffer_entry sample_bufs[] = {
	{ .id = 3,
	  .provider_id = 1,
	  .size = 1 << 20,
	  .mapped = 2 << 20,
	  .sgls = 1,
	  .state = P2PBUF_NL_STATE_LIVE,
	  .owner_pid = 812,
	  .owner_uid = 0,
	  .owner_comm = "p2pctl" },
	{ .id = 12,
	  .provider_id = 0,
	  .size = 4096,
	  .state = P2PBUF_NL_STATE_REVOKED,
	  .reason = P2PBUF_NL_REVOKE_PROVIDER_REMOVED,
	  .owner_pid = 99,
	  .owner_uid = 1000,
	  .owner_comm = "a \"b\"\n" },
};

static const struct p2pbuf_sgl_entry sample_sgls[] = {
	{ .id = 2,
	  .state = P2PBUF_NL_STATE_LIVE,
	  .map_type = P2PBUF_MAP_TYPE_IOMMU,
	  .direction = P2PBUF_DMA_BIDIRECTIONAL,
	  .generation = 1,
	  .length = 1 << 20,
	  .nr_segments = 1,
	  .owner_pid = 812,
	  .owner_comm = "p2pctl",
	  .nr_buffers = 1,
	  .target = "0000:00:03.0",
	  .buffer_ids = { 3 },
	  .nr_dmabufs = 1,
	  .dmabufs = { { .inode = 4242,
			 .offset = 16384,
			 .length = 65536,
			 .exporter = "udmabuf" } } },
	{ .id = 5,
	  .state = P2PBUF_NL_STATE_REVOKED,
	  .reason = P2PBUF_NL_REVOKE_TARGET_REMOVED,
	  .map_type = 9,
	  .direction = P2PBUF_DMA_TO_DEVICE,
	  .generation = 2,
	  .length = 40960,
	  .owner_pid = 77,
	  .owner_uid = 1000,
	  .owner_comm = "bench",
	  .nr_buffers = 10,
	  .target = "10000:e0:00.0",
	  .buffer_ids = { 20, 21, 22, 23, 24, 25, 26, 27 } },
};

static const struct p2pbuf_export_entry sample_exps[] = {
	{ .id = 5,
	  .buffer_id = 3,
	  .provider_id = 1,
	  .state = P2PBUF_NL_STATE_LIVE,
	  .attachments = 2,
	  .offset = 65536,
	  .length = 1048576,
	  .inode = 4242,
	  .owner_pid = 812,
	  .owner_uid = 0,
	  .owner_comm = "p2pctl" },
	{ .id = 6,
	  .buffer_id = 4,
	  .provider_id = 2,
	  .state = P2PBUF_NL_STATE_REVOKED,
	  .reason = P2PBUF_NL_REVOKE_DEVICE_REMOVED,
	  .length = 4096,
	  .inode = 4243,
	  .owner_pid = 77,
	  .owner_uid = 1000,
	  .owner_comm = "bench" },
};

/* nexps < 0: a driver without exports (no table). */
static char *capture_list_exps(int nbufs, int nsgls, int nexps, bool json,
			       bool bytes)
{
	size_t len;
	char *buf;
	FILE *f = open_memstream(&buf, &len);

	ck_assert_ptr_nonnull(f);
	p2pctl_print_list(f, sample_bufs, nbufs, sample_sgls, nsgls,
			  sample_exps, nexps, json, bytes);
	fclose(f);
	return buf;
}

static char *capture_list(int nbufs, int nsgls, bool json, bool bytes)
{
	return capture_list_exps(nbufs, nsgls, -1, json, bytes);
}

/* The exports table: after the other two, revoked ones say why. */
START_TEST(test_list_exports)
{
	char *out = capture_list_exps(0, 0, 2, false, true), *t;

	t = strstr(out, "EXPORT");
	ck_assert_ptr_nonnull(t);
	ck_assert_str_eq(
		t,
		"EXPORT  PID  COMMAND  BUFFER  OFFSET  LENGTH   IMPORTERS  INODE  STATE\n"
		"5       812  p2pctl   3       65536   1048576  2          4242   live\n"
		"6       77   bench    4       0       4096     0          4243   revoked:device-removed\n");
	free(out);
	out = capture_list_exps(0, 0, 1, true, false);
	ck_assert_ptr_nonnull(strstr(out, "\"exports\": [\n"));
	ck_assert_ptr_nonnull(strstr(
		out,
		"{\"id\": 5, \"pid\": 812, \"uid\": 0, "
		"\"command\": \"p2pctl\", \"buffer\": 3, \"provider\": 1, "
		"\"offset\": 65536, \"length\": 1048576, \"importers\": 2, "
		"\"inode\": 4242, \"state\": \"live\", \"reason\": null}"));
	ck_assert(json_valid(out));
	free(out);
}
END_TEST

START_TEST(test_list_table)
{
	char *out = capture_list(2, 2, false, false);

	ck_assert_str_eq(
		out,
		"BUFFER  PID  COMMAND  PROVIDER  SIZE     MAPPED   SGLS  STATE\n"
		"3       812  p2pctl   1         1.0 MiB  2.0 MiB  1     live\n"
		/* Control characters of a command name do not break the table. */
		"12      99   a \"b\"?   0         4.0 KiB  0 B      0     revoked:provider-removed\n"
		"\n"
		"SGL  PID  COMMAND  TARGET         BUFFERS                     DMABUFS                   SEGMENTS  TYPE    STATE                   LENGTH\n"
		"2    812  p2pctl   0000:00:03.0   3                           udmabuf:4242@16384+65536  1         iommu   live                    1.0 MiB\n"
		"5    77   bench    10000:e0:00.0  20,21,22,23,24,25,26,27,+2  -                         0         type-9  revoked:target-removed  40.0 KiB\n");
	free(out);
	out = capture_list(2, 2, false, true);
	ck_assert_ptr_nonnull(strstr(out, "1048576  2097152  1     live\n"));
	ck_assert_ptr_nonnull(strstr(out, "  40960\n"));
	free(out);
	/* Nothing to list: the headers. */
	out = capture_list(0, 0, false, false);
	ck_assert_str_eq(
		out,
		"BUFFER  PID  COMMAND  PROVIDER  SIZE  MAPPED  SGLS  STATE\n"
		"\n"
		"SGL  PID  COMMAND  TARGET  BUFFERS  DMABUFS  SEGMENTS  TYPE  STATE  LENGTH\n");
	free(out);
}
END_TEST

START_TEST(test_list_json)
{
	char *out = capture_list(2, 2, true, false);

	ck_assert(json_valid(out));
	ck_assert_ptr_nonnull(strstr(
		out,
		"{\n  \"buffers\": [\n    {\"id\": 3, \"pid\": 812, \"uid\": 0, "
		"\"command\": \"p2pctl\", \"provider\": 1, \"size\": 1048576, "
		"\"mapped\": 2097152, \"sgls\": 1, \"state\": \"live\", "
		"\"reason\": null},\n"));
	ck_assert_ptr_nonnull(strstr(
		out,
		"\"command\": \"a \\\"b\\\"\\n\", \"provider\": 0, "
		"\"size\": 4096, \"mapped\": 0, \"sgls\": 0, "
		"\"state\": \"revoked\", \"reason\": \"provider-removed\"}\n"
		"  ],\n  \"sgls\": [\n"));
	/* A dma-sgl's pieces of dma-bufs, as objects. */
	ck_assert_ptr_nonnull(strstr(
		out,
		"\"nr_buffers\": 1, \"dmabufs\": [{\"exporter\": \"udmabuf\", "
		"\"inode\": 4242, \"offset\": 16384, \"length\": 65536}], "
		"\"nr_dmabufs\": 1, \"segments\": 1, "));
	ck_assert_ptr_nonnull(strstr(
		out,
		"{\"id\": 5, \"pid\": 77, \"uid\": 1000, \"command\": \"bench\", "
		"\"target\": \"10000:e0:00.0\", "
		"\"buffers\": [20, 21, 22, 23, 24, 25, 26, 27], "
		"\"nr_buffers\": 10, \"dmabufs\": [], \"nr_dmabufs\": 0, "
		"\"segments\": 0, \"map_type\": \"type-9\", "
		"\"direction\": \"to-device\", \"length\": 40960, "
		"\"generation\": 2, \"state\": \"revoked\", "
		"\"reason\": \"target-removed\"}\n  ]\n}\n"));
	free(out);
	out = capture_list(0, 0, true, false);
	ck_assert_str_eq(out, "{\n  \"buffers\": [],\n  \"sgls\": []\n}\n");
	ck_assert(json_valid(out));
	free(out);
	out = capture_list(1, 0, true, true);
	ck_assert(json_valid(out));
	free(out);
}
END_TEST

/* One event of each type, as the library fills them. */
static const struct p2pbuf_event sample_events[] = {
	{ .type = P2PBUF_EVENT_PROVIDER_ADD,
	  .provider_id = 1,
	  .size = 64 << 20,
	  .device = "0000:00:04.0" },
	{ .type = P2PBUF_EVENT_BUFFER_NEW,
	  .provider_id = 1,
	  .buffer_id = 3,
	  .size = 1 << 20,
	  .state = P2PBUF_NL_STATE_LIVE },
	{ .type = P2PBUF_EVENT_SGL_NEW,
	  .sgl_id = 2,
	  .state = P2PBUF_NL_STATE_LIVE,
	  .size = 1 << 20,
	  .nr_segments = 1,
	  .map_type = P2PBUF_MAP_TYPE_IOMMU,
	  .direction = P2PBUF_DMA_BIDIRECTIONAL,
	  .generation = 1,
	  .nr_buffers = 1,
	  .buffer_ids = { 3 },
	  .device = "0000:00:03.0" },
	{ .type = P2PBUF_EVENT_BUFFER_REVOKE,
	  .reason = P2PBUF_NL_REVOKE_PROVIDER_REMOVED,
	  .provider_id = 1,
	  .buffer_id = 3,
	  .size = 1 << 20,
	  .mapped = 1 << 20,
	  .sgls = 1,
	  .state = P2PBUF_NL_STATE_REVOKED },
	{ .type = P2PBUF_EVENT_SGL_REVOKE,
	  .reason = P2PBUF_NL_REVOKE_PROVIDER_REMOVED,
	  .sgl_id = 2,
	  .state = P2PBUF_NL_STATE_REVOKED,
	  .size = 1 << 20,
	  .map_type = P2PBUF_MAP_TYPE_IOMMU,
	  .direction = P2PBUF_DMA_BIDIRECTIONAL,
	  .generation = 2,
	  .nr_buffers = 1,
	  .buffer_ids = { 3 },
	  .device = "0000:00:03.0" },
	{ .type = P2PBUF_EVENT_BUFFER_DEL,
	  .reason = P2PBUF_NL_REVOKE_PROVIDER_REMOVED,
	  .provider_id = 1,
	  .buffer_id = 3,
	  .size = 1 << 20,
	  .state = P2PBUF_NL_STATE_REVOKED },
	{ .type = P2PBUF_EVENT_PROVIDER_DEL,
	  .provider_id = 1,
	  .size = 64 << 20 },
	{ .type = P2PBUF_EVENT_SGL_DEL,
	  .sgl_id = 2,
	  .state = P2PBUF_NL_STATE_REVOKED,
	  .reason = P2PBUF_NL_REVOKE_PROVIDER_REMOVED,
	  .device = "0000:00:03.0",
	  .direction = P2PBUF_DMA_BIDIRECTIONAL,
	  .map_type = P2PBUF_MAP_TYPE_IOMMU,
	  .generation = 2 },
	{ .type = P2PBUF_EVENT_DEVICE_GONE,
	  .reason = P2PBUF_NL_REVOKE_DEVICE_REMOVED,
	  .device = "0000:00:04.0" },
	/* A type of a newer library. */
	{ .type = 42, .device = "0000:00:05.0" },
};

static const char *const sample_text[] = {
	"provider-add provider=1 size=67108864 device=0000:00:04.0 sgls=0\n",
	"buffer-new buffer=3 provider=1 size=1048576 mapped=0 sgls=0 state=live\n",
	"sgl-new sgl=2 target=0000:00:03.0 buffers=3 length=1048576 segments=1 map-type=iommu direction=bidirectional generation=1 state=live\n",
	"buffer-revoke buffer=3 provider=1 size=1048576 mapped=1048576 sgls=1 state=revoked reason=provider-removed\n",
	"sgl-revoke sgl=2 target=0000:00:03.0 buffers=3 length=1048576 segments=0 map-type=iommu direction=bidirectional generation=2 state=revoked reason=provider-removed\n",
	"buffer-del buffer=3 provider=1 size=1048576 mapped=0 sgls=0 state=revoked reason=provider-removed\n",
	"provider-del provider=1 size=67108864 sgls=0\n",
	"sgl-del sgl=2 target=0000:00:03.0 buffers=- length=0 segments=0 map-type=iommu direction=bidirectional generation=2 state=revoked reason=provider-removed\n",
	"device-gone device=0000:00:04.0 reason=device-removed\n",
	"event-42 device=0000:00:05.0\n",
};

static const char *const sample_json[] = {
	"{\"event\": \"provider-add\", \"provider\": 1, \"size\": 67108864, \"device\": \"0000:00:04.0\", \"sgls\": 0, \"reason\": null}\n",
	"{\"event\": \"buffer-new\", \"buffer\": 3, \"provider\": 1, \"size\": 1048576, \"mapped\": 0, \"sgls\": 0, \"state\": \"live\", \"reason\": null}\n",
	"{\"event\": \"sgl-new\", \"sgl\": 2, \"target\": \"0000:00:03.0\", \"buffers\": [3], \"nr_buffers\": 1, \"length\": 1048576, \"segments\": 1, \"map_type\": \"iommu\", \"direction\": \"bidirectional\", \"generation\": 1, \"state\": \"live\", \"reason\": null}\n",
	"{\"event\": \"buffer-revoke\", \"buffer\": 3, \"provider\": 1, \"size\": 1048576, \"mapped\": 1048576, \"sgls\": 1, \"state\": \"revoked\", \"reason\": \"provider-removed\"}\n",
	"{\"event\": \"sgl-revoke\", \"sgl\": 2, \"target\": \"0000:00:03.0\", \"buffers\": [3], \"nr_buffers\": 1, \"length\": 1048576, \"segments\": 0, \"map_type\": \"iommu\", \"direction\": \"bidirectional\", \"generation\": 2, \"state\": \"revoked\", \"reason\": \"provider-removed\"}\n",
	"{\"event\": \"buffer-del\", \"buffer\": 3, \"provider\": 1, \"size\": 1048576, \"mapped\": 0, \"sgls\": 0, \"state\": \"revoked\", \"reason\": \"provider-removed\"}\n",
	"{\"event\": \"provider-del\", \"provider\": 1, \"size\": 67108864, \"device\": null, \"sgls\": 0, \"reason\": null}\n",
	"{\"event\": \"sgl-del\", \"sgl\": 2, \"target\": \"0000:00:03.0\", \"buffers\": [], \"nr_buffers\": 0, \"length\": 0, \"segments\": 0, \"map_type\": \"iommu\", \"direction\": \"bidirectional\", \"generation\": 2, \"state\": \"revoked\", \"reason\": \"provider-removed\"}\n",
	"{\"event\": \"device-gone\", \"device\": \"0000:00:04.0\", \"reason\": \"device-removed\"}\n",
	"{\"event\": \"event-42\", \"device\": \"0000:00:05.0\", \"reason\": null}\n",
};

START_TEST(test_event_output)
{
	size_t len;
	char *buf;
	FILE *f;

	f = open_memstream(&buf, &len);
	p2pctl_print_event(f, &sample_events[_i], false);
	fclose(f);
	ck_assert_str_eq(buf, sample_text[_i]);
	free(buf);
	f = open_memstream(&buf, &len);
	p2pctl_print_event(f, &sample_events[_i], true);
	fclose(f);
	ck_assert_str_eq(buf, sample_json[_i]);
	ck_assert(json_valid(buf));
	free(buf);
}
END_TEST

START_TEST(test_event_names)
{
	static const char *const names[] = {
		NULL,	      "provider-add",  "provider-del", "buffer-new",
		"buffer-del", "buffer-revoke", "sgl-new",      "sgl-del",
		"sgl-revoke", "device-gone",   "export-new",   "export-revoke",
		"export-del",
	};
	uint32_t i;

	ck_assert_ptr_null(p2pctl_event_name(0));
	for (i = 1; i < sizeof(names) / sizeof(names[0]); i++)
		ck_assert_str_eq(p2pctl_event_name(i), names[i]);
	ck_assert_ptr_null(p2pctl_event_name(i));
	ck_assert_str_eq(p2pctl_state_name(P2PBUF_NL_STATE_LIVE), "live");
	ck_assert_str_eq(p2pctl_state_name(P2PBUF_NL_STATE_REVOKED), "revoked");
	ck_assert_ptr_null(p2pctl_state_name(0));
	ck_assert_ptr_null(p2pctl_state_name(3));
}
END_TEST

/*
 * The monitor's loop against a scripted source: a pipe stands for the
 * socket (readable when the script says so), next() plays the script.
 */
static struct {
	int pipe[2];
	const int *script; /* 0: the next sample event; else an errno */
	size_t n, pos, events;
	int raise_at; /* raise(SIGTERM) at this step, -1: never */
} fake;

static int fake_next(void *arg, struct p2pbuf_event *ev)
{
	int step;

	ck_assert_ptr_eq(arg, &fake);
	if ((int)fake.pos == fake.raise_at) {
		fake.raise_at = -1;
		raise(SIGTERM);
	}
	if (fake.pos == fake.n)
		return -EAGAIN;
	step = fake.script[fake.pos++];
	if (step)
		return step;
	*ev = sample_events[fake.events++ %
			    (sizeof(sample_events) / sizeof(sample_events[0]))];
	return 0;
}

static int monitor(const int *script, size_t n, uint64_t count,
		   int64_t timeout_ms, bool json)
{
	struct p2pctl_monitor_opts o = { .json = json,
					 .count = count,
					 .timeout_ms = timeout_ms };
	struct p2pctl_event_source src = { .next = fake_next, .arg = &fake };
	struct p2pctl p = { .sysfs_module = NO_MODULE };
	size_t outlen, errlen;

	free_result();
	fake.script = script;
	fake.n = n;
	fake.pos = 0;
	fake.events = 0;
	src.fd = fake.pipe[0];
	p.out = open_memstream(&res.out, &outlen);
	p.err = open_memstream(&res.err, &errlen);
	res.status = p2pctl_monitor_loop(&p, &src, &o);
	fclose(p.out);
	fclose(p.err);
	return res.status;
}

static void monitor_setup(void)
{
	setup();
	ck_assert_int_eq(pipe2(fake.pipe, O_CLOEXEC), 0);
	fake.raise_at = -1;
}

static void monitor_teardown(void)
{
	free_result();
	close(fake.pipe[0]);
	close(fake.pipe[1]);
}

START_TEST(test_monitor_count)
{
	static const int script[] = { 0, 0, 0, 0 };
	sigset_t mask;

	/* Stops after --count events, the rest stays queued. */
	ck_assert_int_eq(monitor(script, 4, 2, -1, false), P2PCTL_EXIT_OK);
	ck_assert_str_eq(res.out, "provider-add provider=1 size=67108864 "
				  "device=0000:00:04.0 sgls=0\n"
				  "buffer-new buffer=3 provider=1 size=1048576 "
				  "mapped=0 sgls=0 state=live\n");
	ck_assert_str_eq(res.err, "");
	ck_assert_uint_eq(fake.pos, 2);
	/* JSON lines. */
	ck_assert_int_eq(monitor(script, 4, 4, -1, true), P2PCTL_EXIT_OK);
	ck_assert(!strncmp(res.out, sample_json[0], strlen(sample_json[0])));
	ck_assert_ptr_nonnull(strstr(res.out, "}\n{\"event\": \"sgl-new\""));
	/* The signal mask is the caller's again. */
	ck_assert_int_eq(sigprocmask(SIG_BLOCK, NULL, &mask), 0);
	ck_assert(!sigismember(&mask, SIGTERM));
	ck_assert(!sigismember(&mask, SIGINT));
}
END_TEST

START_TEST(test_monitor_lost_and_bad)
{
	static const int script[] = { 0, -ENOBUFS, -EPROTO, 0, -EIO, 0 };

	/* Lost and unparsable events are said on stderr; it goes on. */
	ck_assert_int_eq(monitor(script, 4, 2, -1, false), P2PCTL_EXIT_OK);
	ck_assert_str_eq(
		res.err,
		"p2pctl: monitor: events were lost (the socket's receive buffer overflowed); 'p2pctl list' shows what exists now\n"
		"p2pctl: monitor: an event could not be parsed: skipped\n");
	ck_assert_ptr_nonnull(strstr(res.out, "\nbuffer-new "));
	/* Any other error ends it. */
	ck_assert_int_eq(monitor(script, 6, 0, -1, false), P2PCTL_EXIT_FAILED);
	ck_assert_ptr_nonnull(strstr(
		res.err,
		"\np2pctl: monitor: reading events: Input/output error\n"));
	ck_assert_uint_eq(fake.pos, 5);
}
END_TEST

START_TEST(test_monitor_timeout)
{
	static const int script[] = { 0 };

	/* Without --count the time being up is a normal end... */
	ck_assert_int_eq(monitor(script, 1, 0, 50, false), P2PCTL_EXIT_OK);
	ck_assert_str_eq(res.err, "");
	ck_assert(!strncmp(res.out, "provider-add ", 13));
	/* ... with it, a failure: fewer events came than were expected. */
	ck_assert_int_eq(monitor(script, 1, 3, 50, false), P2PCTL_EXIT_FAILED);
	ck_assert_str_eq(res.err,
			 "p2pctl: monitor: timed out with 1 of 3 events\n");
	ck_assert_int_eq(monitor(script, 1, 3, 0, false), P2PCTL_EXIT_FAILED);
	/* What is queued is printed even with no time left. */
	ck_assert(!strncmp(res.out, "provider-add ", 13));
}
END_TEST

START_TEST(test_monitor_readable)
{
	static const int script[] = { 0, 0 };

	/* Readable socket, nothing parsed from it: polled again. */
	ck_assert_int_eq(write(fake.pipe[1], "x", 1), 1);
	ck_assert_int_eq(monitor(script, 2, 3, 50, false), P2PCTL_EXIT_FAILED);
	ck_assert_str_eq(res.err,
			 "p2pctl: monitor: timed out with 2 of 3 events\n");
}
END_TEST

START_TEST(test_monitor_signal)
{
	static const int script[] = { 0, 0 };

	/* SIGTERM while it waits: exit 0, what was printed stays. */
	fake.raise_at = 2;
	ck_assert_int_eq(monitor(script, 2, 0, -1, false), P2PCTL_EXIT_OK);
	ck_assert_str_eq(res.err, "");
	ck_assert_ptr_nonnull(strstr(res.out, "\nbuffer-new "));
	/* SIGINT too, and it was consumed: this process is still here. */
	fake.raise_at = 0;
	ck_assert_int_eq(monitor(script, 0, 5, 10000, true), P2PCTL_EXIT_OK);
	ck_assert_str_eq(res.out, "");
}
END_TEST

/* --- help of every noun, -j before the command ------------------------- */

static const char *const all_nouns[] = {
	"info", "provider", "buffer", "map",  "reach",
	"list", "monitor",  "demo",   "help",
};

START_TEST(test_noun_help)
{
	static const char buffer_help[] =
		"Usage: p2pctl buffer VERB [OPTIONS]\n"
		"\n"
		"Buffers: memory of a provider, allocated, exported, shown and revoked.\n"
		"\n"
		"Verbs:\n"
		"  alloc --provider ID --size SIZE [--fill PATTERN] [--hold] [--device PATH]\n"
		"      Allocate a buffer, show it, optionally fill and verify it\n"
		"  export --provider ID --size SIZE [--offset OFF] [--length LEN] [--fill PATTERN] [--hold] [--device PATH]\n"
		"      Allocate a buffer and export it as a dma-buf, for any importer\n"
		"  show ID [--json] [--bytes]\n"
		"      Show one buffer: owner, size, mappings, dma-sgls, caching\n"
		"  revoke ID\n"
		"      Revoke a buffer: take its memory away from whoever holds it\n"
		"\n"
		"Run 'p2pctl buffer VERB --help' for the options of a verb; see p2pctl(8).\n";
	char prefix[64], *help;
	size_t i;

	/* Every noun answers --help, -h and "help NOUN" the same way. */
	for (i = 0; i < sizeof(all_nouns) / sizeof(all_nouns[0]); i++) {
		snprintf(prefix, sizeof(prefix), "Usage: p2pctl %s ",
			 all_nouns[i]);
		ck_assert_msg(run(all_nouns[i], "--help") == 0, "%s: %s",
			      all_nouns[i], res.err);
		ck_assert_str_eq(res.err, "");
		ck_assert_msg(!strncmp(res.out, prefix, strlen(prefix)), "%s",
			      res.out);
		help = strdup(res.out);
		ck_assert_int_eq(run(all_nouns[i], "-h"), 0);
		ck_assert_str_eq(res.out, help);
		if (strcmp(all_nouns[i], "help")) {
			ck_assert_int_eq(run("help", all_nouns[i]), 0);
			ck_assert_str_eq(res.out, help);
		}
		free(help);
	}
	ck_assert_int_eq(run("buffer", "--help"), 0);
	ck_assert_str_eq(res.out, buffer_help);
	ck_assert_int_eq(run("provider", "--help"), 0);
	ck_assert_ptr_nonnull(strstr(res.out, "\n  add PCI-ADDRESS {--bar N "));
	ck_assert_ptr_nonnull(strstr(res.out, "\n  del ID [--force]\n"));
	ck_assert_ptr_nonnull(strstr(res.out, "\n  list [--json] [--bytes]\n"));
	ck_assert_ptr_nonnull(
		strstr(res.out, "\n  show ID [--json] [--bytes]\n"));
	/* A verb's help is still the verb's. */
	ck_assert_int_eq(run("help", "buffer", "show"), 0);
	ck_assert(!strncmp(res.out, "Usage: p2pctl buffer show ID ", 29));

	/* What is wrong with a noun's verb, and where to look. */
	run("buffer");
	expect_usage_error(
		"p2pctl: buffer: missing verb (see 'p2pctl buffer --help')\n");
	run("buffer", "frob");
	expect_usage_error(
		"p2pctl: buffer: unknown verb 'frob' (see 'p2pctl buffer --help')\n");
	run("provider", "--json");
	expect_usage_error(
		"p2pctl: provider: missing verb before '--json' (see 'p2pctl provider --help')\n");
	run("help", "provider", "frob");
	expect_usage_error(
		"p2pctl: provider: unknown verb 'frob' (see 'p2pctl provider --help')\n");
	run("help", "provider", "--json");
	expect_usage_error(
		"p2pctl: help: unexpected argument '--json' (see 'p2pctl help --help')\n");
	run("help", "buffer", "show", "1");
	expect_usage_error(
		"p2pctl: help: unexpected argument '1' (see 'p2pctl help --help')\n");
}
END_TEST

START_TEST(test_global_json)
{
	fake_info_reset();
	/* -j before the command is the command's --json. */
	ck_assert_int_eq(run("-j", "info", "--device", "/dev/null"), 0);
	ck_assert_str_eq(res.err, "");
	ck_assert_str_eq(res.out, fake_json);
	ck_assert_int_eq(run("--json", "info", "--device", "/dev/null"), 0);
	ck_assert_str_eq(res.out, fake_json);
	ck_assert_int_eq(run("-j", "info", "--json", "--device", "/dev/null"),
			 0);
	ck_assert_str_eq(res.out, fake_json);
	ck_assert(json_valid(res.out));
	/* Without it, the table. */
	ck_assert_int_eq(run("info", "--device", "/dev/null"), 0);
	ck_assert_str_eq(res.out, fake_table);

	/* Commands that print only text say so. */
	run("-j", "demo");
	expect_usage_error(
		"p2pctl: demo: has no JSON output (-j) (see 'p2pctl demo --help')\n");
	run("-j", "buffer", "alloc", "--provider", "0", "--size", "4K");
	expect_usage_error(
		"p2pctl: buffer alloc: has no JSON output (-j) (see 'p2pctl buffer alloc --help')\n");
	/* Those that print nothing, or JSON, take it. */
	ck_assert_int_eq(run("-j", "buffer", "revoke", "3"), P2PCTL_EXIT_NODEV);
	ck_assert_int_eq(run("-j", "list"), P2PCTL_EXIT_NODEV);
	ck_assert_int_eq(run("-j", "provider", "del", "1"), P2PCTL_EXIT_NODEV);
	/* It is an option of p2pctl's, before the command only. */
	run("-j");
	expect_usage_error("p2pctl: missing command (see 'p2pctl --help')\n");
	run("info", "-j");
	expect_usage_error(
		"p2pctl: info: invalid option '-j' (see 'p2pctl info --help')\n");
	ck_assert_int_eq(run("--help"), 0);
	ck_assert_ptr_nonnull(strstr(res.out, "\n  -j, --json     "));
}
END_TEST

START_TEST(test_global_json_reach)
{
	char *json;

	fake_info_reset();
	fake_info.reply.features = P2PBUF_FEATURE_DMA_SGL;
	fake_info.other = scripted_reach;
	reach_errno = 0;
	reach_answer = reach_no;
	ck_assert_int_eq(run("reach", "--provider", "1", "--target", "00:03.0",
			     "--device", "/dev/null", "--json"),
			 P2PCTL_EXIT_UNREACHABLE);
	json = strdup(res.out);
	ck_assert_int_eq(run("-j", "reach", "--provider", "1", "--target",
			     "00:03.0", "--device", "/dev/null"),
			 P2PCTL_EXIT_UNREACHABLE);
	ck_assert_str_eq(res.out, json);
	ck_assert_str_eq(res.err, "");
	free(json);
}
END_TEST

/* --- the print layer ---------------------------------------------------- */

static const struct pr_column sample_cols[] = {
	{ .key = "name", .head = "NAME" },
	{ .key = "size", .head = "SIZE", .min_width = 6 },
	{ .key = "ok", .head = "OK" },
};

/* One view of every kind of value and container, written once. */
static void sample_view(FILE *f, bool json, bool bytes)
{
	struct pr pr;

	pr_init(&pr, f, json, bytes);
	pr_open_fields(&pr, NULL, 8);
	pr_string(&pr, PR_ANY, "name", "name", "a \"q\"\t");
	pr_size(&pr, PR_ANY, "size", "size", 1536);
	pr_bool(&pr, PR_ANY, "ok", "ok", true);
	pr_null(&pr, PR_ANY, "none", "none");
	pr_s32(&pr, PR_JSON, "numa", NULL, -1);
	pr_string(&pr, PR_TEXT, "numa", "numa", "(none)");
	/* A list shows nothing in text, even PR_ANY values. */
	pr_open_list(&pr, "ids");
	pr_u32(&pr, PR_ANY, NULL, NULL, 1);
	pr_u64(&pr, PR_ANY, NULL, NULL, 1ULL << 40);
	pr_close(&pr);
	pr_string(&pr, PR_TEXT, "ids", "ids", "1,1099511627776");
	pr_open_table(&pr, "rows", sample_cols, 3, 2);
	pr_open_row(&pr);
	pr_string(&pr, PR_ANY, "name", NULL, "x");
	pr_size(&pr, PR_ANY, "size", NULL, 4096);
	/* No column: JSON only.  No "ok": "-" in the table. */
	pr_u32(&pr, PR_ANY, "hidden", NULL, 7);
	pr_close(&pr);
	pr_open_row(&pr);
	pr_bool(&pr, PR_ANY, "ok", NULL, false);
	pr_size(&pr, PR_ANY, "size", NULL, 0);
	pr_string(&pr, PR_ANY, "name", NULL, "yy");
	pr_close(&pr);
	pr_close(&pr);
	pr_open_table(&pr, "empty", sample_cols, 3, 0);
	pr_close(&pr);
	pr_open_words(&pr, "line");
	pr_string(&pr, PR_ANY, "event", NULL, "ev");
	pr_u32(&pr, PR_ANY, "n", "n", 3);
	pr_open_list(&pr, "l");
	pr_close(&pr);
	pr_null(&pr, PR_JSON, "gone", "gone");
	pr_close(&pr);
	pr_close(&pr);
	ck_assert_int_eq(pr_end(&pr), 0);
}

START_TEST(test_print_layer)
{
	char *out = capture(sample_view, false, false);

	ck_assert_str_eq(out, "name:   a \"q\"\t\n"
			      "size:   1.5 KiB\n"
			      "ok:     yes\n"
			      "none:   -\n"
			      "numa:   (none)\n"
			      "ids:    1,1099511627776\n"
			      "  NAME  SIZE     OK\n"
			      "  x     4.0 KiB  -\n"
			      "  yy    0 B      no\n"
			      "NAME  SIZE    OK\n"
			      "ev n=3\n");
	free(out);
	out = capture(sample_view, false, true);
	ck_assert_ptr_nonnull(strstr(out, "size:   1536\n"));
	ck_assert_ptr_nonnull(strstr(out, "  x     4096    -\n"));
	free(out);

	/* JSON: sizes in bytes whatever --bytes says. */
	out = capture(sample_view, true, true);
	ck_assert_str_eq(
		out, "{\n"
		     "  \"name\": \"a \\\"q\\\"\\t\",\n"
		     "  \"size\": 1536,\n"
		     "  \"ok\": true,\n"
		     "  \"none\": null,\n"
		     "  \"numa\": -1,\n"
		     "  \"ids\": [1, 1099511627776],\n"
		     "  \"rows\": [\n"
		     "    {\"name\": \"x\", \"size\": 4096, \"hidden\": 7},\n"
		     "    {\"ok\": false, \"size\": 0, \"name\": \"yy\"}\n"
		     "  ],\n"
		     "  \"empty\": [],\n"
		     "  \"line\": {\"event\": \"ev\", \"n\": 3, \"l\": [], "
		     "\"gone\": null}\n"
		     "}\n");
	ck_assert(json_valid(out));
	free(out);
}
END_TEST

/*
 * The rows of JSON text as python3 reads them: for each object of the
 * array at path (a Python expression on d), the members keys[] as the
 * tables spell them (null "-", true "yes"), tab-separated, one per line.
 */
static char *json_rows(const char *text, const char *path,
		       const char *const *keys, size_t nkeys)
{
	char file[] = "/tmp/test_p2pctl.json.XXXXXX", cmd[1024], *buf = NULL;
	size_t len = 0, i;
	int fd = mkstemp(file), c;
	FILE *py, *out = open_memstream(&buf, &len);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	snprintf(
		cmd, sizeof(cmd),
		"python3 -c 'import json, sys\n"
		"d = json.load(open(sys.argv[1]))\n"
		"f = lambda v: \"-\" if v is None else "
		"{True: \"yes\", False: \"no\"}.get(v, v) "
		"if isinstance(v, bool) else str(v)\n"
		"for o in %s: print(\"\\t\".join(f(o[k]) for k in sys.argv[2:]))' %s",
		path, file);
	for (i = 0; i < nkeys; i++) {
		strcat(cmd, " ");
		strcat(cmd, keys[i]);
	}
	py = popen(cmd, "r");
	ck_assert_ptr_nonnull(py);
	while ((c = fgetc(py)) != EOF)
		fputc(c, out);
	ck_assert_int_eq(pclose(py), 0);
	fclose(out);
	unlink(file);
	return buf;
}

/*
 * The same rows from a text table: the cells under heads[] (each found in
 * the heading line; a cell runs to the next column), tab-separated.
 */
static char *table_rows(const char *table, const char *const *heads,
			size_t nheads)
{
	const char *line = strchr(table, '\n') + 1, *end;
	size_t hlen = line - table - 1, len = 0, i;
	char *buf = NULL;
	FILE *out = open_memstream(&buf, &len);

	for (; *line && *line != '\n'; line = end + 1) {
		end = strchr(line, '\n');
		for (i = 0; i < nheads; i++) {
			const char *h = strstr(table, heads[i]);
			size_t from = h - table, to = from + strlen(heads[i]);

			ck_assert(h && from < hlen);
			/* The next column starts after the blanks. */
			while (to < hlen && table[to] == ' ')
				to++;
			if (to == hlen || line + to > end)
				to = end - line;
			while (to > from && line[to - 1] == ' ')
				to--;
			fprintf(out, "%s%.*s", i ? "\t" : "", (int)(to - from),
				line + from);
		}
		fputc('\n', out);
	}
	fclose(out);
	return buf;
}

/* A view's table and its JSON say the same, column for member. */
static void assert_same_rows(const char *table, const char *json,
			     const char *path, const char *const *heads,
			     const char *const *keys, size_t n)
{
	char *t = table_rows(table, heads, n),
	     *j = json_rows(json, path, keys, n);

	ck_assert_str_eq(t, j);
	ck_assert_ptr_nonnull(strchr(t, '\n'));
	free(t);
	free(j);
}

START_TEST(test_views_agree)
{
	/* Every column but NUMA (-1 is "-") for providers... */
	static const char *const pheads[] = { "ID",   "KIND",	 "PCI ADDRESS",
					      "BAR",  "OFFSET",	 "SIZE",
					      "FREE", "BUFFERS", "PREFETCH" };
	static const char *const pkeys[] = {
		"id",	"kind", "pci_address", "bar",	      "offset",
		"size", "free", "buffers",     "prefetchable"
	};
	/* ... for buffers and dma-sgls all but COMMAND, STATE and BUFFERS
	 * (made printable, state:reason and "1,2,+3" in text). */
	static const char *const bheads[] = { "BUFFER", "PID",	  "PROVIDER",
					      "SIZE",	"MAPPED", "SGLS" };
	static const char *const bkeys[] = { "id",   "pid",    "provider",
					     "size", "mapped", "sgls" };
	static const char *const sheads[] = { "SGL",	  "PID",  "TARGET",
					      "SEGMENTS", "TYPE", "LENGTH" };
	static const char *const skeys[] = { "id",	 "pid",	     "target",
					     "segments", "map_type", "length" };
	char *table = capture(list_all, false, true), *json;

	json = capture(list_all, true, true);
	assert_same_rows(table, json, "d", pheads, pkeys, 9);
	free(table);
	free(json);

	table = capture_list(2, 0, false, true);
	json = capture_list(2, 0, true, true);
	assert_same_rows(table, json, "d[\"buffers\"]", bheads, bkeys, 6);
	free(table);
	free(json);
	table = capture_list(0, 2, false, true);
	json = capture_list(0, 2, true, true);
	/* The dma-sgls table follows the buffers' and a blank line. */
	assert_same_rows(strstr(table, "\n\n") + 2, json, "d[\"sgls\"]", sheads,
			 skeys, 6);
	free(table);
	free(json);
}
END_TEST

/* --- topo and doctor: a fake machine --------------------------------------- */

/*
 * A fake sysfs below a temporary directory (root): sys/bus/pci/devices/BDF
 * links to sys/devices/pci0000:00/[BRIDGE/]BDF, as the kernel's do, with
 * vendor, device, class, resource, config and iommu_group; the module's
 * parameters; a /boot/config of the running release.  REACH answers from
 * fake_reach(): the functions on bus 1 share a switch, everything else
 * crosses a host bridge that reach_hb_reason says how to treat.
 */
/* snprintf() into an array, which must hold it all. */
#define PATHF(buf, ...) \
	ck_assert_int_lt(snprintf(buf, sizeof(buf), __VA_ARGS__), sizeof(buf))

static char topo_root[64], topo_pci[128], topo_module[128];
static uint32_t reach_hb_reason = P2PBUF_UNREACH_HOST_BRIDGE;
static unsigned int reach_calls;

static void put_file(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "w");

	ck_assert_msg(f, "%s: %s", path, strerror(errno));
	ck_assert_uint_eq(fwrite(data, 1, len, f), len);
	fclose(f);
}

static void put_text(const char *dir, const char *name, const char *text)
{
	char path[512];

	PATHF(path, "%s/%s", dir, name);
	put_file(path, text, strlen(text));
}

static void mkdirs(const char *path)
{
	char cmd[600];

	PATHF(cmd, "mkdir -p '%s'", path);
	ck_assert_int_eq(system(cmd), 0);
}

/*
 * A function: parent is "" (root bus) or the bridge above; resource the
 * six BAR lines (NULL: none); group -1 for none; cfg (len bytes) its
 * config space (NULL: 64 zero bytes).
 */
static void fake_fn(const char *bdf, const char *parent, const char *ids,
		    const char *class, const char *resource, int group,
		    const char *type, const uint8_t *cfg, size_t len)
{
	char dev[512], link[512], target[512], grp[256];
	static const uint8_t zero[64];
	char vendor[8], device[8];

	if (parent[0])
		PATHF(dev, "%s/sys/devices/pci0000:00/%s/%s", topo_root, parent,
		      bdf);
	else
		PATHF(dev, "%s/sys/devices/pci0000:00/%s", topo_root, bdf);
	mkdirs(dev);
	PATHF(link, "%s/%s", topo_pci, bdf);
	ck_assert_int_eq(symlink(dev, link), 0);
	PATHF(vendor, "0x%.4s", ids);
	PATHF(device, "0x%.4s", ids + 5);
	put_text(dev, "vendor", vendor);
	put_text(dev, "device", device);
	put_text(dev, "class", class);
	put_text(
		dev, "resource",
		resource ?
			resource :
			"0x0000000000000000 0x0000000000000000 0x0000000000000000\n");
	PATHF(link, "%s/config", dev);
	put_file(link, cfg ? cfg : zero, cfg ? len : sizeof(zero));
	if (group < 0)
		return;
	PATHF(grp, "%s/sys/kernel/iommu_groups/%d", topo_root, group);
	mkdirs(grp);
	put_text(grp, "type", type);
	PATHF(target, "%s/iommu_group", dev);
	ck_assert_int_eq(symlink(grp, target), 0);
}

#define NO_BAR "0x0000000000000000 0x0000000000000000 0x0000000000000000\n"

/* A PCIe config space with the extended capabilities given (id, body). */
static void ext_caps(uint8_t *cfg, const uint16_t *ids, const uint8_t *bodies[],
		     const size_t *lens, int n)
{
	unsigned int pos = 0x100, next;
	int i;

	for (i = 0; i < n; i++) {
		next = i + 1 < n ? pos + 4 + lens[i] : 0;
		next = (next + 3) & ~3u;
		cfg[pos] = ids[i] & 0xff;
		cfg[pos + 1] = ids[i] >> 8;
		/* Bits 16-19 the version (1), 20-31 the next one. */
		cfg[pos + 2] = 1 | (next & 0xf) << 4;
		cfg[pos + 3] = next >> 4;
		memcpy(cfg + pos + 4, bodies[i], lens[i]);
		pos = next;
	}
}

/*
 * The machine: a host bridge, two endpoints on the root bus (00:03.0 with
 * a 1 MiB BAR, 00:04.0 with a 256-byte BAR 0 and a 64 MiB prefetchable
 * 64-bit BAR 2 that ReBAR can grow to 256 MiB), a root port 00:05.0 (ACS:
 * SV RR CR enabled), and below it on bus 1 an endpoint 01:00.0 (a 2 MiB
 * BAR) and an SMBus-like 01:00.1 without memory BARs.
 */
static void topo_setup(void)
{
	static const uint8_t acs[] = { 0x1f, 0x00, 0x0d, 0x00 }; /* cap, ctrl */
	/* ReBAR: BAR 2, 1 resizable BAR, now 64 MiB (6), sizes 1M..256M. */
	static const uint8_t rebar[] = { 0xf0, 0x1f, 0x00, 0x00,
					 0x22, 0x06, 0x00, 0x00 };
	const uint8_t *acs_body[] = { acs }, *rebar_body[] = { rebar };
	static const uint16_t acs_id[] = { 0x000d }, rebar_id[] = { 0x0015 };
	static const size_t acs_len[] = { 4 }, rebar_len[] = { 8 };
	static uint8_t rp_cfg[4096], iv_cfg[4096];
	char path[512], boot[128];
	struct utsname u;

	setup();
	PATHF(topo_root, "/tmp/test_topo.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(topo_root));
	PATHF(topo_pci, "%s/sys/bus/pci/devices", topo_root);
	mkdirs(topo_pci);
	PATHF(topo_module, "%s/sys/module/p2pbuf", topo_root);
	PATHF(path, "%s/parameters", topo_module);
	mkdirs(path);
	put_text(path, "host_bridge_p2p", "N\n");
	put_text(path, "max_sgls_per_fd", "1024\n");
	memset(rp_cfg, 0, sizeof(rp_cfg));
	ext_caps(rp_cfg, acs_id, acs_body, acs_len, 1);
	memset(iv_cfg, 0, sizeof(iv_cfg));
	ext_caps(iv_cfg, rebar_id, rebar_body, rebar_len, 1);

	fake_fn("0000:00:00.0", "", "8086:29c0", "0x060000\n", NULL, 0, "DMA\n",
		NULL, 0);
	fake_fn("0000:00:03.0", "", "1234:11e8", "0x00ff00\n",
		"0x00000000fea00000 0x00000000feafffff 0x0000000000040200\n", 1,
		"DMA\n", NULL, 0);
	fake_fn("0000:00:04.0", "", "1af4:1110", "0x050000\n",
		"0x00000000feb00000 0x00000000feb000ff 0x0000000000040200\n" NO_BAR
		"0x00000000f8000000 0x00000000fbffffff 0x000000000014220c\n",
		2, "identity\n", iv_cfg, sizeof(iv_cfg));
	fake_fn("0000:00:05.0", "", "1b36:000c", "0x060400\n", NULL, 3, "DMA\n",
		rp_cfg, sizeof(rp_cfg));
	fake_fn("0000:01:00.0", "0000:00:05.0", "1234:11e8", "0x00ff00\n",
		"0x00000000fe800000 0x00000000fe9fffff 0x0000000000040200\n", 4,
		"DMA-FQ\n", NULL, 0);
	fake_fn("0000:01:00.1", "0000:00:05.0", "8086:2930", "0x0c0500\n", NULL,
		4, "DMA-FQ\n", NULL, 0);
	ck_assert_int_eq(uname(&u), 0);
	PATHF(path, "%s/boot", topo_root);
	mkdirs(path);
	PATHF(boot, "config-%s", u.release);
	put_text(
		path, boot,
		"CONFIG_PCI=y\n# CONFIG_PCI_P2PDMA is not set\nCONFIG_DMABUF_MOVE_NOTIFY=y\n");
	sysfs_pci = topo_pci;
	sysfs_root = topo_root;
	reach_hb_reason = P2PBUF_UNREACH_HOST_BRIDGE;
	reach_calls = 0;
}

static void topo_teardown(void)
{
	char cmd[128];

	free_result();
	PATHF(cmd, "rm -rf '%s'", topo_root);
	ck_assert_int_eq(system(cmd), 0);
	sysfs_pci = "/nonexistent/sys/bus/pci/devices";
	sysfs_root = NULL;
}

/* A uAPI 1.4 driver that answers REACH as the fake machine's topology says. */
static int fake_reach(int fd, unsigned long request, void *arg)
{
	struct p2pbuf_reach *r = arg;

	(void)fd;
	ck_assert_uint_eq(request, P2PBUF_IOC_REACH);
	ck_assert_uint_eq(r->flags, P2PBUF_REACH_F_PCI_BAR);
	ck_assert_uint_eq(r->provider_id, 0);
	reach_calls++;
	/* The kernel's EINVAL: 00:04.0's BAR 0 is 256 bytes. */
	if (r->bar_device.devfn == 0x20 && r->bar == 0) {
		errno = EINVAL;
		return -1;
	}
	if (r->bar_device.bus == r->target.bus &&
	    r->bar_device.devfn == r->target.devfn) {
		r->reason = P2PBUF_UNREACH_SAME_DEVICE;
		r->map_type = 0;
		r->distance = 0;
	} else if (r->bar_device.bus == 1 && r->target.bus == 1) {
		r->reason = P2PBUF_REACH_SWITCH;
		r->map_type = P2PBUF_MAP_TYPE_BUS_ADDR;
		r->distance = 2;
	} else {
		r->reason = reach_hb_reason;
		r->map_type = reach_hb_reason == P2PBUF_UNREACH_HOST_BRIDGE ?
				      0 :
				      P2PBUF_MAP_TYPE_IOMMU;
		r->distance = 4;
	}
	return 0;
}

static void fake_driver_1_4(void)
{
	fake_info_reset();
	fake_info.reply.version_minor = 4;
	fake_info.reply.features = P2PBUF_FEATURE_BUFFERS |
				   P2PBUF_FEATURE_DMA_SGL |
				   P2PBUF_FEATURE_REVOCATION;
	fake_info.other = fake_reach;
}

static const char topo_expected[] =
	"BAR           SIZE      00:03.0  00:04.0  01:00.0  01:00.1\n"
	"00:03.0 bar0  1.0 MiB   X        HB       HB       HB\n"
	"00:04.0 bar2  64.0 MiB  HB       X        HB       HB\n"
	"01:00.0 bar0  2.0 MiB   HB       HB       X        bus-addr\n"
	"\n"
	"Not usable as providers (not an assigned, page-aligned memory BAR): 00:04.0 bar0\n"
	"\n"
	"Rows: memory BARs (providers-to-be); columns: functions that can master\n";

START_TEST(test_topo_matrix)
{
	fake_driver_1_4();
	ck_assert_int_eq(run("topo", "--device", "/dev/null"), P2PCTL_EXIT_OK);
	ck_assert_str_eq(res.err, "");
	ck_assert_msg(!strncmp(res.out, topo_expected, strlen(topo_expected)),
		      "got:\n%s", res.out);
	ck_assert_ptr_nonnull(strstr(
		res.out,
		"\n  HB        refused: the path crosses a host bridge not known to\n"));
	/* 4 memory BARs; 00:04.0's BAR 0 is given up after one question. */
	ck_assert_uint_eq(reach_calls, 3 * 4 + 1);
}
END_TEST

START_TEST(test_topo_json)
{
	fake_driver_1_4();
	reach_hb_reason = P2PBUF_REACH_HOST_BRIDGE_ALLOWED;
	ck_assert_int_eq(run("-j", "topo", "--device", "/dev/null"),
			 P2PCTL_EXIT_OK);
	ck_assert_str_eq(res.err, "");
	ck_assert(json_valid(res.out));
	ck_assert_ptr_nonnull(strstr(
		res.out,
		"{\n  \"targets\": [\"0000:00:03.0\", \"0000:00:04.0\", \"0000:01:00.0\", \"0000:01:00.1\"],\n  \"bars\": [\n"));
	ck_assert_ptr_nonnull(strstr(
		res.out,
		"    {\"device\": \"0000:00:04.0\", \"bar\": 2, \"size\": 67108864, \"prefetchable\": true, \"reach\": [{\"target\": \"0000:00:03.0\", \"reachable\": true, \"reason\": \"host-bridge-allowed\", \"map_type\": \"iommu\", \"distance\": 4}, "));
	ck_assert_ptr_nonnull(strstr(
		res.out,
		"{\"target\": \"0000:01:00.1\", \"reachable\": true, \"reason\": \"switch\", \"map_type\": \"bus-addr\", \"distance\": 2}]}\n"));
	ck_assert_ptr_nonnull(strstr(
		res.out,
		"  \"unusable\": [{\"device\": \"0000:00:04.0\", \"bar\": 0, \"size\": 256}]\n}\n"));
	/* Legend and matrix are text only. */
	ck_assert_ptr_null(strstr(res.out, "Legend"));
	ck_assert_ptr_null(strstr(res.out, "HB"));
}
END_TEST

START_TEST(test_topo_errors)
{
	/* A uAPI 1.3 driver cannot answer for a BAR. */
	fake_driver_1_4();
	fake_info.reply.version_minor = 3;
	ck_assert_int_eq(run("topo", "--device", "/dev/null"),
			 P2PCTL_EXIT_FAILED);
	ck_assert_str_eq(res.out, "");
	ck_assert_str_eq(
		res.err,
		"p2pctl: topo: /dev/null: the driver (uAPI 1.3) cannot answer for a BAR that is not a provider (uAPI 1.4 can)\n");
	ck_assert_uint_eq(reach_calls, 0);
	/* No sysfs. */
	fake_driver_1_4();
	sysfs_pci = "/nonexistent/sys/bus/pci/devices";
	ck_assert_int_eq(run("topo", "--device", "/dev/null"),
			 P2PCTL_EXIT_FAILED);
	ck_assert_str_eq(
		res.err,
		"p2pctl: topo: /nonexistent/sys/bus/pci/devices: No such file or directory\n");
	/* No module. */
	ck_assert_int_eq(run("topo", "--device", "/nonexistent/p2pbuf"),
			 P2PCTL_EXIT_NODEV);
	/* Usage. */
	run("topo", "extra");
	expect_usage_error(
		"p2pctl: topo: unexpected argument 'extra' (see 'p2pctl topo --help')\n");
	run("doctor", "--bogus");
	expect_usage_error(
		"p2pctl: doctor: invalid option '--bogus' (see 'p2pctl doctor --help')\n");
	ck_assert_int_eq(run("topo", "--help"), P2PCTL_EXIT_OK);
	ck_assert_ptr_nonnull(strstr(
		res.out, "Usage: p2pctl topo [--json] [--device PATH]\n"));
	ck_assert_int_eq(run("doctor", "--help"), P2PCTL_EXIT_OK);
	ck_assert_ptr_nonnull(strstr(
		res.out, "Usage: p2pctl doctor [--json] [--device PATH]\n"));
}
END_TEST

/* Without the module: what sysfs, the config space and /boot tell. */
static const char doctor_no_module[] =
	"CHECK        SUBJECT             STATUS                                                     ADVICE\n"
	"module       p2pbuf              not loaded                                                 load it: modprobe p2pbuf (the answers below that need it say unknown)\n"
	"kernel       P2PDMA              no (/boot/config-RELEASE)                                  p2pbuf applies p2pdma's rules itself: nothing to do\n"
	"kernel       DMABUF_MOVE_NOTIFY  yes (/boot/config-RELEASE)                                 dma-buf importers that support it handle moving exports; p2pbuf does not depend on it\n"
	"iommu        -                   on (5 groups)                                              DMA goes through the IOMMU: each device's domain type below says how\n"
	"iommu        00:03.0             DMA (group 1)                                              translated: p2pbuf maps I/O virtual addresses (iommu); bus addresses only below a switch\n"
	"iommu        00:04.0             identity (group 2)                                         passthrough: DMA addresses are physical (direct)\n"
	"iommu        01:00.0             DMA-FQ (group 4)                                           translated, lazy IOTLB flushes: I/O virtual addresses (iommu)\n"
	"iommu        01:00.1             DMA-FQ (group 4)                                           translated, lazy IOTLB flushes: I/O virtual addresses (iommu)\n"
	"host-bridge  00:00.0             8086:29c0, allowlist verdict unknown                       load p2pbuf: the verdict is the kernel's (P2PBUF_IOC_REACH)\n"
	"acs          00:05.0             ACS enabled: SV RR CR                                      peer requests go up to the root complex: pci=disable_acs_redir= keeps them below (less isolation)\n"
	"bar          00:03.0 bar0        1.0 MiB, 32-bit, non-prefetchable, resizable unknown       a provider of it is mapped uncached for the CPU: slow CPU access, DMA unaffected\n"
	"bar          00:04.0 bar0        256 B, 32-bit, non-prefetchable                            cannot be a provider: not an assigned, page-aligned memory BAR\n"
	"bar          00:04.0 bar2        64.0 MiB, 64-bit, prefetchable, resizable up to 256.0 MiB  can grow: echo SIZE > /sys/bus/pci/devices/0000:00:04.0/resource2_resize (no driver bound)\n"
	"bar          01:00.0 bar0        2.0 MiB, 32-bit, non-prefetchable, resizable unknown       a provider of it is mapped uncached for the CPU: slow CPU access, DMA unaffected\n";

/*
 * s with every "/boot/config-RELEASE)" made the running release's, the
 * padding after it shortened by as much (the column keeps its width).
 */
static char *with_release(const char *s)
{
	struct utsname u;
	char *out = NULL;
	size_t len = 0, grow, i;
	const char *p, *at;
	FILE *f = open_memstream(&out, &len);

	ck_assert_int_eq(uname(&u), 0);
	grow = strlen(u.release) - strlen("RELEASE");
	for (p = s; (at = strstr(p, "RELEASE)")); p = at + 8 + grow) {
		fwrite(p, 1, at - p, f);
		fprintf(f, "%s)", u.release);
		for (i = 0; i < grow; i++)
			ck_assert_int_eq(at[8 + i], ' ');
	}
	fputs(p, f);
	fclose(f);
	return out;
}

START_TEST(test_doctor_no_module)
{
	struct utsname u;
	char path[256];
	char *exp;

	fake_info_off();
	/* The release fits the STATUS column the BARs make wide. */
	ck_assert_int_eq(uname(&u), 0);
	ck_assert_int_le(strlen(u.release), 57 - strlen("yes (/boot/config-)"));
	ck_assert_int_ge(strlen(u.release), strlen("RELEASE"));
	ck_assert_int_eq(run_module(NO_MODULE, "doctor", (const char *)NULL),
			 P2PCTL_EXIT_OK);
	ck_assert_str_eq(res.err, "");
	exp = with_release(doctor_no_module);
	ck_assert_str_eq(res.out, exp);
	free(exp);
	/* Without a config: unknown, and said so. */
	PATHF(path, "rm -r '%s/boot'", topo_root);
	ck_assert_int_eq(system(path), 0);
	ck_assert_int_eq(run_module(NO_MODULE, "doctor", (const char *)NULL),
			 P2PCTL_EXIT_OK);
	ck_assert_ptr_nonnull(strstr(
		res.out,
		"\nkernel       P2PDMA              unknown                                                    load p2pbuf to know (P2PBUF_IOC_INFO); p2pbuf works either way\n"
		"kernel       DMABUF_MOVE_NOTIFY  unknown                                                    no /boot/config-RELEASE or /proc/config.gz to tell; p2pbuf does not depend on it\n"));
}
END_TEST

/* With the driver: the module, its parameters, the allowlist verdict. */
START_TEST(test_doctor_driver)
{
	fake_driver_1_4();
	ck_assert_int_eq(run_module(topo_module, "doctor", "--device",
				    "/dev/null", (const char *)NULL),
			 P2PCTL_EXIT_OK);
	ck_assert_str_eq(res.err, "");
	ck_assert_ptr_nonnull(strstr(
		res.out,
		"\nmodule       p2pbuf              loaded, uAPI 1.4   "));
	ck_assert_ptr_nonnull(strstr(
		res.out,
		"\nparameter    host_bridge_p2p     N                                                          default: through a host bridge only where the kernel's allowlist says it works\n"
		"parameter    max_sgls_per_fd     1024                                                       dma-sgls per open file; raise it in /sys/module/p2pbuf/parameters\n"
		"kernel       P2PDMA              no (P2PBUF_IOC_INFO)  "));
	ck_assert_ptr_nonnull(strstr(
		res.out,
		"\nhost-bridge  00:00.0             8086:29c0, not on the allowlist (host-bridge-refused)      only if it forwards peer-to-peer traffic: p2pctl provider add --allow-host-bridge\n"));

	reach_hb_reason = P2PBUF_REACH_HOST_BRIDGE_ALLOWED;
	fake_info.reply.features |= P2PBUF_FEATURE_PCI_P2PDMA;
	ck_assert_int_eq(run_module(topo_module, "-j", "doctor", "--device",
				    "/dev/null", (const char *)NULL),
			 P2PCTL_EXIT_OK);
	ck_assert(json_valid(res.out));
	ck_assert_ptr_nonnull(strstr(
		res.out,
		"\n  {\"check\": \"kernel\", \"subject\": \"P2PDMA\", \"status\": \"yes (P2PBUF_IOC_INFO)\", \"advice\": \"p2pdma has the last word on every path (p2pbuf(4), Reachability)\"},\n"));
	ck_assert_ptr_nonnull(strstr(
		res.out,
		"\"status\": \"8086:29c0, on the allowlist (host-bridge-allowed)\""));

	reach_hb_reason = P2PBUF_REACH_HOST_BRIDGE_ADMIN;
	ck_assert_int_eq(run_module(topo_module, "doctor", "--device",
				    "/dev/null", (const char *)NULL),
			 P2PCTL_EXIT_OK);
	ck_assert_ptr_nonnull(strstr(
		res.out,
		"8086:29c0, allowed by host_bridge_p2p=Y (host-bridge-admin)"));

	/* A uAPI 1.3 driver cannot say. */
	fake_info.reply.version_minor = 3;
	ck_assert_int_eq(run_module(topo_module, "doctor", "--device",
				    "/dev/null", (const char *)NULL),
			 P2PCTL_EXIT_OK);
	ck_assert_ptr_nonnull(strstr(
		res.out, "8086:29c0, allowlist verdict unknown (uAPI 1.3)"));

	/* The module is there but its device is not. */
	ck_assert_int_eq(run_module(topo_module, "doctor", "--device",
				    "/nonexistent/p2pbuf", (const char *)NULL),
			 P2PCTL_EXIT_OK);
	ck_assert_ptr_nonnull(strstr(
		res.out,
		"\nmodule       p2pbuf              loaded; /nonexistent/p2pbuf: "));
	ck_assert_ptr_nonnull(
		strstr(res.out, "8086:29c0, allowlist verdict unknown"));
}
END_TEST

static Suite *p2pctl_suite(void)
{
	Suite *s = suite_create("p2pctl");
	TCase *tc;

	tc = tcase_create("usage");
	tcase_set_timeout(tc, TU_HOST_TIMEOUT);
	tcase_add_checked_fixture(tc, setup, free_result);
	tcase_add_test(tc, test_no_arguments);
	tcase_add_test(tc, test_help);
	tcase_add_test(tc, test_command_help);
	tcase_add_test(tc, test_version);
	tcase_add_test(tc, test_usage_errors);
	tcase_add_test(tc, test_find_cmd);
	tcase_add_test(tc, test_write_error);
	suite_add_tcase(s, tc);

	tc = tcase_create("open");
	tcase_set_timeout(tc, TU_HOST_TIMEOUT);
	tcase_add_checked_fixture(tc, setup, free_result);
	tcase_add_test(tc, test_device_missing_module_not_loaded);
	tcase_add_test(tc, test_device_missing_module_loaded);
	tcase_add_test(tc, test_not_p2pbuf);
	tcase_add_test(tc, test_open_failed);
	tcase_add_test(tc, test_version_mismatch);
	suite_add_tcase(s, tc);

	tc = tcase_create("output");
	tcase_set_timeout(tc, TU_HOST_TIMEOUT_EXEC);
	tcase_add_checked_fixture(tc, setup, free_result);
	tcase_add_test(tc, test_info_table);
	tcase_add_test(tc, test_info_json);
	tcase_add_test(tc, test_json_validator_rejects);
	tcase_add_test(tc, test_json_string_escapes);
	tcase_add_test(tc, test_info_hostile_strings);
	tcase_add_test(tc, test_info_table_features);
	suite_add_tcase(s, tc);

	tc = tcase_create("provider");
	tcase_set_timeout(tc, TU_HOST_TIMEOUT_EXEC);
	tcase_add_checked_fixture(tc, setup, free_result);
	tcase_add_loop_test(tc, test_parse_size, 0, 23);
	tcase_add_loop_test(tc, test_format_size, 0, 10);
	tcase_add_loop_test(tc, test_parse_pci_addr, 0,
			    sizeof(pci_addr_cases) / sizeof(pci_addr_cases[0]));
	tcase_add_test(tc, test_provider_table);
	tcase_add_test(tc, test_provider_json);
	tcase_add_test(tc, test_provider_show);
	tcase_add_test(tc, test_provider_usage);
	tcase_add_test(tc, test_provider_host_bridge_flag);
	suite_add_tcase(s, tc);

	tc = tcase_create("sgl");
	tcase_set_timeout(tc, TU_HOST_TIMEOUT_EXEC);
	tcase_add_checked_fixture(tc, setup, free_result);
	tcase_add_test(tc, test_sgl_help);
	tcase_add_test(tc, test_map_usage);
	tcase_add_test(tc, test_reach_demo_usage);
	tcase_add_test(tc, test_parse_helpers);
	tcase_add_test(tc, test_sgl_unsupported);
	tcase_add_test(tc, test_map_range);
	tcase_add_test(tc, test_map_no_provider);
	tcase_add_test(tc, test_map_output);
	tcase_add_test(tc, test_map_output_unknown);
	tcase_add_test(tc, test_reach_output);
	tcase_add_test(tc, test_reach_exit_status);
	suite_add_tcase(s, tc);

	tc = tcase_create("revocation");
	tcase_set_timeout(tc, TU_HOST_TIMEOUT_EXEC);
	tcase_add_checked_fixture(tc, setup, free_result);
	tcase_add_test(tc, test_revocation_help);
	tcase_add_test(tc, test_revocation_usage);
	tcase_add_test(tc, test_revocation_no_module);
	tcase_add_test(tc, test_list_table);
	tcase_add_test(tc, test_list_exports);
	tcase_add_test(tc, test_list_json);
	tcase_add_loop_test(tc, test_event_output, 0,
			    sizeof(sample_events) / sizeof(sample_events[0]));
	tcase_add_test(tc, test_event_names);
	suite_add_tcase(s, tc);

	tc = tcase_create("monitor");
	tcase_set_timeout(tc, TU_HOST_TIMEOUT);
	tcase_add_checked_fixture(tc, monitor_setup, monitor_teardown);
	tcase_add_test(tc, test_monitor_count);
	tcase_add_test(tc, test_monitor_lost_and_bad);
	tcase_add_test(tc, test_monitor_timeout);
	tcase_add_test(tc, test_monitor_readable);
	tcase_add_test(tc, test_monitor_signal);
	suite_add_tcase(s, tc);

	/* python3 checks the JSON: slow to start on a busy machine. */
	tc = tcase_create("print");
	tcase_add_checked_fixture(tc, setup, free_result);
	tcase_set_timeout(tc, TU_HOST_TIMEOUT_EXEC);
	tcase_add_test(tc, test_noun_help);
	tcase_add_test(tc, test_global_json);
	tcase_add_test(tc, test_global_json_reach);
	tcase_add_test(tc, test_print_layer);
	tcase_add_test(tc, test_views_agree);
	suite_add_tcase(s, tc);

	tc = tcase_create("demo");
	tcase_set_timeout(tc, TU_HOST_TIMEOUT);
	tcase_add_checked_fixture(tc, sysfs_setup, sysfs_teardown);
	tcase_add_test(tc, test_demo_no_rig);
	tcase_add_test(tc, test_demo_overrides);
	tcase_add_test(tc, test_demo_finds_then_needs_driver);
	suite_add_tcase(s, tc);

	/* python3 checks the JSON: slow to start on a busy machine. */
	tc = tcase_create("topo");
	tcase_set_timeout(tc, TU_HOST_TIMEOUT_EXEC);
	tcase_add_checked_fixture(tc, topo_setup, topo_teardown);
	tcase_add_test(tc, test_topo_matrix);
	tcase_add_test(tc, test_topo_json);
	tcase_add_test(tc, test_topo_errors);
	tcase_add_test(tc, test_doctor_no_module);
	tcase_add_test(tc, test_doctor_driver);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_run(p2pctl_suite());
}
