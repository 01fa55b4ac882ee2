// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Guest tier: the real /dev/p2pbuf, inside the test VM (linked statically).
 * Every test opens the device in its fixture, so a missing device fails
 * every test instead of skipping it.  One error path per test.
 */
#include "config.h"

#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/p2pbuf.h>

#include "libp2pbuf.h"
#include "p2pctl-cli.h"
#include "util.h"

#define DEV P2PBUF_DEFAULT_DEVICE
#define SYSFS_MODULE "/sys/module/p2pbuf"
/* Where the VM puts utils/p2pctl-static; $P2PCTL overrides it. */
#define P2PCTL_DEFAULT "/bin/p2pctl"

#define KNOWN_FEATURES                                                   \
	(P2PBUF_FEATURE_PCI_P2PDMA | P2PBUF_FEATURE_IOMMU |              \
	 P2PBUF_FEATURE_BUFFERS | P2PBUF_FEATURE_DMA_SGL |               \
	 P2PBUF_FEATURE_REVOCATION | P2PBUF_FEATURE_DMABUF_EXPORT |      \
	 P2PBUF_FEATURE_DMABUF_IMPORT | P2PBUF_FEATURE_P2PDMA_PROVIDER | \
	 P2PBUF_FEATURE_MAP_DMABUF_MMAP)
#define NR_RESERVED \
	(sizeof(((struct p2pbuf_info *)0)->reserved) / sizeof(__u64))

_Static_assert(sizeof(struct p2pbuf_info) == P2PBUF_INFO_SIZE_VER0,
	       "this test is written against the first INFO layout");

static int fd = -1;

/* A caller buffer larger than struct p2pbuf_info, to see what is written. */
union info_buf {
	struct p2pbuf_info info;
	unsigned char bytes[256];
};

static void open_dev(void)
{
	fd = tu_dev_open();
}

static void close_dev(void)
{
	if (fd >= 0)
		close(fd);
	fd = -1;
}

/* buf filled with fill, then a valid request of size bytes. */
static void prepare(union info_buf *buf, unsigned char fill, uint32_t size)
{
	memset(buf, fill, sizeof(*buf));
	memset(buf->bytes, 0, size);
	buf->info.size = size;
}

/* ioctl() returning 0 or the errno it failed with. */
static int do_ioctl(int f, unsigned long cmd, void *arg)
{
	return ioctl(f, cmd, arg) ? errno : 0;
}

static void assert_bytes(const unsigned char *p, size_t len, unsigned char c)
{
	size_t i;

	for (i = 0; i < len; i++)
		ck_assert_msg(p[i] == c, "byte %zu is 0x%02x, not 0x%02x", i,
			      p[i], c);
}

/* An ioctl that fails must leave the caller's memory as it was. */
static void expect_error(unsigned long cmd, union info_buf *buf, int err)
{
	union info_buf before = *buf;

	ck_assert_int_eq(do_ioctl(fd, cmd, buf), err);
	ck_assert(!memcmp(&before, buf, sizeof(*buf)));
}

/* Read a sysfs attribute with its newline stripped. */
static void read_attr(const char *path, char *val, size_t len)
{
	FILE *f = fopen(path, "r");

	ck_assert_msg(f, "%s: %s", path, strerror(errno));
	ck_assert_msg(fgets(val, len, f), "%s: empty", path);
	fclose(f);
	val[strcspn(val, "\n")] = '\0';
}

static unsigned long read_param(const char *name)
{
	char path[128], val[32], *end;
	unsigned long v;

	snprintf(path, sizeof(path), SYSFS_MODULE "/parameters/%s", name);
	read_attr(path, val, sizeof(val));
	v = strtoul(val, &end, 10);
	ck_assert_msg(*val && !*end, "%s: '%s' is not a number", path, val);
	return v;
}

START_TEST(test_device_node)
{
	struct stat st;

	ck_assert_int_eq(fstat(fd, &st), 0);
	ck_assert(S_ISCHR(st.st_mode));
	ck_assert_int_eq(stat(DEV, &st), 0);
	ck_assert_uint_eq(st.st_mode & 07777, 0600);
	ck_assert_uint_eq(st.st_uid, 0);
}
END_TEST

START_TEST(test_info)
{
	union info_buf buf;
	struct p2pbuf_info *info = &buf.info;
	size_t len, i;

	/* Output fields are not checked on input: fill them with junk. */
	memset(&buf, 0xa5, sizeof(buf));
	info->size = sizeof(*info);
	info->flags = 0;
	memset(info->reserved, 0, sizeof(info->reserved));

	ck_assert_int_eq(do_ioctl(fd, P2PBUF_IOC_INFO, info), 0);
	ck_assert_uint_eq(info->size, P2PBUF_INFO_SIZE_VER0);
	ck_assert_uint_eq(info->flags, 0);
	ck_assert_uint_eq(info->version_major, P2PBUF_UAPI_VERSION_MAJOR);
	ck_assert_uint_eq(info->version_minor, P2PBUF_UAPI_VERSION_MINOR);
	ck_assert_uint_eq(info->features & ~KNOWN_FEATURES, 0);
	ck_assert_uint_eq(info->page_size, sysconf(_SC_PAGESIZE));

	len = strnlen(info->driver_version, sizeof(info->driver_version));
	ck_assert_uint_gt(len, 0);
	ck_assert_uint_lt(len, sizeof(info->driver_version));
	/* The kernel zeroes every byte it copies back: no stale data. */
	assert_bytes((unsigned char *)info->driver_version + len,
		     sizeof(info->driver_version) - len, 0);
	for (i = 0; i < NR_RESERVED; i++)
		ck_assert_uint_eq(info->reserved[i], 0);
	/* Nothing is written past the caller's size. */
	assert_bytes(buf.bytes + sizeof(*info), sizeof(buf) - sizeof(*info),
		     0xa5);
}
END_TEST

START_TEST(test_info_matches_module)
{
	struct p2pbuf_info info = { .size = sizeof(info) };
	char version[64];

	ck_assert_int_eq(do_ioctl(fd, P2PBUF_IOC_INFO, &info), 0);
	ck_assert_uint_eq(info.max_buffers_per_fd,
			  read_param("max_buffers_per_fd"));
	ck_assert_uint_eq(info.max_sgls_per_fd, read_param("max_sgls_per_fd"));
	ck_assert_uint_eq(info.max_sgl_segments,
			  read_param("max_sgl_segments"));
	read_attr(SYSFS_MODULE "/version", version, sizeof(version));
	ck_assert_str_eq(info.driver_version, version);
}
END_TEST

/* Whether a PCI device sits in an IOMMU group with a translating domain. */
static bool pci_dma_translated(void)
{
	DIR *dir = opendir("/sys/bus/pci/devices");
	struct dirent *de;
	bool found = false;

	ck_assert_msg(dir, "/sys/bus/pci/devices: %s", strerror(errno));
	while (!found && (de = readdir(dir))) {
		char path[PATH_MAX], type[32];
		FILE *f;

		snprintf(path, sizeof(path),
			 "/sys/bus/pci/devices/%s/iommu_group/type",
			 de->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		/* "DMA" or "DMA-FQ"; not "identity", "blocked", ... */
		found = fgets(type, sizeof(type), f) &&
			!strncmp(type, "DMA", 3);
		fclose(f);
	}
	closedir(dir);
	return found;
}

START_TEST(test_info_iommu_feature)
{
	struct p2pbuf_info info = { .size = sizeof(info) };

	ck_assert_int_eq(do_ioctl(fd, P2PBUF_IOC_INFO, &info), 0);
	ck_assert_int_eq(!!(info.features & P2PBUF_FEATURE_IOMMU),
			 pci_dma_translated());
}
END_TEST

/*
 * The VM tier's kernels: Debian's (the standard rig) are built without
 * CONFIG_PCI_P2PDMA, the self-built debug kernel (the debug rig) with it;
 * the bit must follow what configure probed for the kernel.
 */
START_TEST(test_info_p2pdma_feature)
{
	struct p2pbuf_info info = { .size = sizeof(info) };
	const char *rig = getenv("P2PBUF_VM_RIG");

	ck_assert_msg(rig, "P2PBUF_VM_RIG is not set by the VM tier");
	ck_assert_int_eq(do_ioctl(fd, P2PBUF_IOC_INFO, &info), 0);
	ck_assert_int_eq(!!(info.features & P2PBUF_FEATURE_PCI_P2PDMA),
			 !strcmp(rig, "debug"));
	/* The debug kernel (7.2) has FOLL_PCI_P2PDMA too; Debian's none. */
	ck_assert_int_eq(!!(info.features & P2PBUF_FEATURE_P2PDMA_PROVIDER),
			 !strcmp(rig, "debug"));
}
END_TEST

START_TEST(test_info_larger_zero_tail)
{
	union info_buf buf;

	prepare(&buf, 0x5a, 160);
	ck_assert_int_eq(do_ioctl(fd, P2PBUF_IOC_INFO, &buf), 0);
	ck_assert_uint_eq(buf.info.size, P2PBUF_INFO_SIZE_VER0);
	ck_assert_uint_eq(buf.info.version_major, P2PBUF_UAPI_VERSION_MAJOR);
	assert_bytes(buf.bytes + P2PBUF_INFO_SIZE_VER0,
		     160 - P2PBUF_INFO_SIZE_VER0, 0);
	assert_bytes(buf.bytes + 160, sizeof(buf) - 160, 0x5a);
}
END_TEST

START_TEST(test_info_larger_nonzero_tail)
{
	union info_buf buf;

	prepare(&buf, 0x5a, 160);
	buf.bytes[P2PBUF_INFO_SIZE_VER0] = 1;
	expect_error(P2PBUF_IOC_INFO, &buf, E2BIG);

	prepare(&buf, 0x5a, 160);
	buf.bytes[159] = 0x80;
	expect_error(P2PBUF_IOC_INFO, &buf, E2BIG);
}
END_TEST

START_TEST(test_info_size_too_small)
{
	union info_buf buf;

	prepare(&buf, 0x5a, P2PBUF_INFO_SIZE_VER0);
	buf.info.size = P2PBUF_INFO_SIZE_VER0 - 1;
	expect_error(P2PBUF_IOC_INFO, &buf, EINVAL);
	buf.info.size = 0;
	expect_error(P2PBUF_IOC_INFO, &buf, EINVAL);
}
END_TEST

START_TEST(test_info_flags_nonzero)
{
	union info_buf buf;

	prepare(&buf, 0x5a, P2PBUF_INFO_SIZE_VER0);
	buf.info.flags = 1;
	expect_error(P2PBUF_IOC_INFO, &buf, EINVAL);
	buf.info.flags = 0x80000000u;
	expect_error(P2PBUF_IOC_INFO, &buf, EINVAL);
}
END_TEST

/* A loop test: _i is the reserved word set. */
START_TEST(test_info_reserved_nonzero)
{
	union info_buf buf;

	prepare(&buf, 0x5a, P2PBUF_INFO_SIZE_VER0);
	buf.info.reserved[_i] = 1ULL << 63;
	expect_error(P2PBUF_IOC_INFO, &buf, EINVAL);
}
END_TEST

START_TEST(test_info_null_arg)
{
	ck_assert_int_eq(do_ioctl(fd, P2PBUF_IOC_INFO, NULL), EFAULT);
}
END_TEST

START_TEST(test_info_readonly_arg)
{
	long page = sysconf(_SC_PAGESIZE);
	struct p2pbuf_info *info;

	info = mmap(NULL, page, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ck_assert_ptr_ne(info, MAP_FAILED);
	info->size = sizeof(*info);
	ck_assert_int_eq(mprotect(info, page, PROT_READ), 0);
	/* The request is valid; writing the answer back faults. */
	ck_assert_int_eq(do_ioctl(fd, P2PBUF_IOC_INFO, info), EFAULT);
	munmap(info, page);
}
END_TEST

START_TEST(test_unknown_nr)
{
	union info_buf buf;

	prepare(&buf, 0x5a, P2PBUF_INFO_SIZE_VER0);
	expect_error(_IOWR(P2PBUF_IOC_MAGIC, 0xff, struct p2pbuf_info), &buf,
		     ENOTTY);
}
END_TEST

START_TEST(test_wrong_type)
{
	union info_buf buf;

	prepare(&buf, 0x5a, P2PBUF_INFO_SIZE_VER0);
	expect_error(_IOWR(P2PBUF_IOC_MAGIC + 1, P2PBUF_CMD_INFO,
			   struct p2pbuf_info),
		     &buf, ENOTTY);
}
END_TEST

START_TEST(test_wrong_direction)
{
	union info_buf buf;

	prepare(&buf, 0x5a, P2PBUF_INFO_SIZE_VER0);
	expect_error(_IOR(P2PBUF_IOC_MAGIC, P2PBUF_CMD_INFO,
			  struct p2pbuf_info),
		     &buf, ENOTTY);
}
END_TEST

START_TEST(test_cmd_size_bits_ignored)
{
	unsigned int cmd_sizes[] = { 8, 160 };
	union info_buf buf;
	size_t i;

	/* Callers built against an older or a newer header. */
	for (i = 0; i < sizeof(cmd_sizes) / sizeof(cmd_sizes[0]); i++) {
		prepare(&buf, 0x5a, 160);
		ck_assert_int_eq(do_ioctl(fd,
					  _IOC(_IOC_READ | _IOC_WRITE,
					       P2PBUF_IOC_MAGIC,
					       P2PBUF_CMD_INFO, cmd_sizes[i]),
					  &buf),
				 0);
		ck_assert_uint_eq(buf.info.size, P2PBUF_INFO_SIZE_VER0);
		ck_assert_uint_eq(buf.info.version_major,
				  P2PBUF_UAPI_VERSION_MAJOR);
	}
}
END_TEST

START_TEST(test_open_twice)
{
	struct p2pbuf_info a = { .size = sizeof(a) };
	struct p2pbuf_info b = { .size = sizeof(b) };
	int fd2 = open(DEV, O_RDWR | O_CLOEXEC);

	ck_assert_int_ge(fd2, 0);
	ck_assert_int_ne(fd2, fd);
	ck_assert_int_eq(do_ioctl(fd, P2PBUF_IOC_INFO, &a), 0);
	/* Closing one open file leaves the other working. */
	close_dev();
	ck_assert_int_eq(do_ioctl(fd2, P2PBUF_IOC_INFO, &b), 0);
	ck_assert(!memcmp(&a, &b, sizeof(a)));
	close(fd2);
}
END_TEST

START_TEST(test_library_handshake)
{
	struct p2pbuf_info raw = { .size = sizeof(raw) };
	struct p2pbuf_driver_info info;
	struct p2pbuf_ctx *a, *b;

	ck_assert_int_eq(do_ioctl(fd, P2PBUF_IOC_INFO, &raw), 0);
	ck_assert_int_eq(p2pbuf_ctx_new(NULL, &a), 0);
	ck_assert_int_eq(p2pbuf_ctx_new(DEV, &b), 0);
	ck_assert_int_ne(p2pbuf_ctx_get_fd(a), p2pbuf_ctx_get_fd(b));

	ck_assert_int_eq(p2pbuf_ctx_get_info(a, &info, sizeof(info)), 0);
	ck_assert_uint_eq(info.version_major, raw.version_major);
	ck_assert_uint_eq(info.version_minor, raw.version_minor);
	ck_assert_uint_eq(info.features, raw.features);
	ck_assert_uint_eq(info.page_size, raw.page_size);
	ck_assert_uint_eq(info.max_buffers_per_fd, raw.max_buffers_per_fd);
	ck_assert_uint_eq(info.max_sgls_per_fd, raw.max_sgls_per_fd);
	ck_assert_uint_eq(info.max_sgl_segments, raw.max_sgl_segments);
	ck_assert_str_eq(info.driver_version, raw.driver_version);

	ck_assert_ptr_null(p2pbuf_ctx_unref(a));
	ck_assert_ptr_null(p2pbuf_ctx_unref(b));
}
END_TEST

/* Run p2pctl with args; its stdout is returned (malloc'ed), *status set. */
static char *run_p2pctl(char *const args[], int *status)
{
	const char *path = getenv("P2PCTL");
	size_t len = 0, cap = 4096;
	char *out = malloc(cap);
	int pipefd[2];
	ssize_t n;
	pid_t pid;

	if (!path)
		path = P2PCTL_DEFAULT;
	ck_assert_ptr_nonnull(out);
	ck_assert_int_eq(pipe(pipefd), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (!pid) {
		dup2(pipefd[1], STDOUT_FILENO);
		close(pipefd[0]);
		close(pipefd[1]);
		execv(path, args);
		_exit(127);
	}
	close(pipefd[1]);
	while ((n = read(pipefd[0], out + len, cap - len - 1)) > 0) {
		len += n;
		if (len + 1 == cap) {
			char *bigger = realloc(out, cap * 2);

			ck_assert_ptr_nonnull(bigger);
			out = bigger;
			cap *= 2;
		}
	}
	ck_assert_int_eq(n, 0);
	close(pipefd[0]);
	out[len] = '\0';
	ck_assert_int_eq(waitpid(pid, status, 0), pid);
	return out;
}

/* What p2pctl must print for the driver's answer, formatted in-process. */
static char *expected_info(bool json)
{
	struct p2pbuf_driver_info info;
	struct p2pbuf_ctx *ctx;
	size_t len;
	char *buf;
	FILE *f;

	ck_assert_int_eq(p2pbuf_ctx_new(NULL, &ctx), 0);
	ck_assert_int_eq(p2pbuf_ctx_get_info(ctx, &info, sizeof(info)), 0);
	p2pbuf_ctx_unref(ctx);
	f = open_memstream(&buf, &len);
	ck_assert_ptr_nonnull(f);
	p2pctl_print_info(f, DEV, &info, json);
	fclose(f);
	return buf;
}

START_TEST(test_p2pctl_info_json)
{
	char *const args[] = { "p2pctl", "info", "--json", NULL };
	char *out, *expected, version[64];
	int status;

	out = run_p2pctl(args, &status);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		      "p2pctl info --json: status 0x%x", status);
	snprintf(version, sizeof(version), "\n  \"uapi_version\": \"%u.%u\",\n",
		 P2PBUF_UAPI_VERSION_MAJOR, P2PBUF_UAPI_VERSION_MINOR);
	ck_assert_ptr_nonnull(strstr(out, version));
	/* Byte for byte the formatter's output, which the host tier checks
	 * with python3 -m json.tool. */
	expected = expected_info(true);
	ck_assert_str_eq(out, expected);
	free(expected);
	free(out);
}
END_TEST

START_TEST(test_p2pctl_info_table)
{
	char *const args[] = { "p2pctl", "info", NULL };
	char *out, *expected;
	int status;

	out = run_p2pctl(args, &status);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		      "p2pctl info: status 0x%x", status);
	expected = expected_info(false);
	ck_assert_str_eq(out, expected);
	free(expected);
	free(out);
}
END_TEST

static Suite *driver_suite(void)
{
	Suite *s = suite_create("p2pbuf driver");
	TCase *tc;

	tc = tu_tcase(s, "info", TU_VM_TIMEOUT, open_dev, close_dev);
	tcase_add_test(tc, test_device_node);
	tcase_add_test(tc, test_info);
	tcase_add_test(tc, test_info_matches_module);
	tcase_add_test(tc, test_info_iommu_feature);
	tcase_add_test(tc, test_info_p2pdma_feature);
	tcase_add_test(tc, test_info_larger_zero_tail);
	tcase_add_test(tc, test_info_larger_nonzero_tail);
	tcase_add_test(tc, test_info_size_too_small);
	tcase_add_test(tc, test_info_flags_nonzero);
	tcase_add_loop_test(tc, test_info_reserved_nonzero, 0, NR_RESERVED);
	tcase_add_test(tc, test_info_null_arg);
	tcase_add_test(tc, test_info_readonly_arg);
	tcase_add_test(tc, test_unknown_nr);
	tcase_add_test(tc, test_wrong_type);
	tcase_add_test(tc, test_wrong_direction);
	tcase_add_test(tc, test_cmd_size_bits_ignored);
	tcase_add_test(tc, test_open_twice);

	tc = tu_tcase(s, "userspace", TU_VM_TIMEOUT, open_dev, close_dev);
	tcase_add_test(tc, test_library_handshake);
	tcase_add_test(tc, test_p2pctl_info_json);
	tcase_add_test(tc, test_p2pctl_info_table);
	return s;
}

int main(void)
{
	return tu_run(driver_suite());
}
