// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Host tests of libp2pbuf's own logic: opening, the INFO handshake as the
 * library performs it (against fake-info.c), reference counting, error
 * strings and names.  No p2pbuf module is needed.
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <linux/p2pbuf.h>

#include "fake-info.h"
#include "libp2pbuf.h"
#include "util.h"

/* Any openable file will do: the fake answers INFO on every fd. */
#define FAKE_DEV "/dev/null"

/* Stored in ctx before a call that must not set it. */
static char untouched_marker;
#define UNTOUCHED ((struct p2pbuf_ctx *)&untouched_marker)

static void expect_new_fails(const char *path, int expected)
{
	struct p2pbuf_ctx *ctx = UNTOUCHED;
	int fd = tu_lowest_free_fd();

	ck_assert_int_eq(p2pbuf_ctx_new(path, &ctx), expected);
	ck_assert_ptr_eq(ctx, UNTOUCHED);
	ck_assert_int_eq(tu_lowest_free_fd(), fd);
}

START_TEST(test_new_missing_path)
{
	expect_new_fails("/nonexistent/p2pbuf", -ENOENT);
}
END_TEST

START_TEST(test_new_directory)
{
	expect_new_fails("/", -EISDIR);
}
END_TEST

START_TEST(test_new_dev_null_is_not_p2pbuf)
{
	expect_new_fails("/dev/null", -P2PBUF_E_NOTP2PBUF);
}
END_TEST

START_TEST(test_new_regular_file_is_not_p2pbuf)
{
	char path[] = "/tmp/test_lib.XXXXXX";
	int fd = mkstemp(path);

	ck_assert_int_ge(fd, 0);
	close(fd);
	expect_new_fails(path, -P2PBUF_E_NOTP2PBUF);
	unlink(path);
}
END_TEST

START_TEST(test_new_null_ctxp)
{
	ck_assert_int_eq(p2pbuf_ctx_new(FAKE_DEV, NULL), -EINVAL);
}
END_TEST

START_TEST(test_new_null_path_is_default_device)
{
	struct p2pbuf_ctx *a = NULL, *b = NULL;

	ck_assert_int_eq(p2pbuf_ctx_new(NULL, &a),
			 p2pbuf_ctx_new(P2PBUF_DEFAULT_DEVICE, &b));
	p2pbuf_ctx_unref(a);
	p2pbuf_ctx_unref(b);
}
END_TEST

START_TEST(test_handshake)
{
	struct p2pbuf_driver_info info;
	struct p2pbuf_ctx *ctx;
	int fd;

	fake_info_reset();
	ck_assert_int_eq(p2pbuf_ctx_new(FAKE_DEV, &ctx), 0);
	ck_assert_uint_eq(fake_info.calls, 1);
	ck_assert(!fake_info.bad_request);

	ck_assert_int_eq(p2pbuf_ctx_get_info(ctx, &info, sizeof(info)), 0);
	ck_assert_uint_eq(info.version_major, P2PBUF_UAPI_VERSION_MAJOR);
	ck_assert_uint_eq(info.version_minor, P2PBUF_UAPI_VERSION_MINOR);
	ck_assert_uint_eq(info.features, P2PBUF_FEATURE_IOMMU);
	ck_assert_uint_eq(info.page_size, 4096);
	ck_assert_uint_eq(info.max_buffers_per_fd, 64);
	ck_assert_uint_eq(info.max_sgls_per_fd, 16);
	ck_assert_uint_eq(info.max_sgl_segments, 512);
	ck_assert_str_eq(info.driver_version, "0.1.0-fake");

	fd = p2pbuf_ctx_get_fd(ctx);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(fcntl(fd, F_GETFL) & O_ACCMODE, O_RDWR);
	ck_assert_int_eq(fcntl(fd, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
	ck_assert_ptr_null(p2pbuf_ctx_unref(ctx));
}
END_TEST

START_TEST(test_handshake_newer_minor)
{
	struct p2pbuf_driver_info info;
	struct p2pbuf_ctx *ctx;

	fake_info_reset();
	fake_info.reply.version_minor = P2PBUF_UAPI_VERSION_MINOR + 7;
	ck_assert_int_eq(p2pbuf_ctx_new(FAKE_DEV, &ctx), 0);
	ck_assert_int_eq(p2pbuf_ctx_get_info(ctx, &info, sizeof(info)), 0);
	ck_assert_uint_eq(info.version_minor, P2PBUF_UAPI_VERSION_MINOR + 7);
	p2pbuf_ctx_unref(ctx);
}
END_TEST

START_TEST(test_info_einval_enotty_mean_not_p2pbuf)
{
	fake_info_reset();
	fake_info.error = EINVAL;
	expect_new_fails(FAKE_DEV, -P2PBUF_E_NOTP2PBUF);
	fake_info.error = ENOTTY;
	expect_new_fails(FAKE_DEV, -P2PBUF_E_NOTP2PBUF);
	ck_assert_uint_eq(fake_info.calls, 2);
}
END_TEST

START_TEST(test_info_other_errno_passes_through)
{
	fake_info_reset();
	fake_info.error = EPERM;
	expect_new_fails(FAKE_DEV, -EPERM);
}
END_TEST

START_TEST(test_version_mismatch)
{
	fake_info_reset();
	fake_info.reply.version_major = P2PBUF_UAPI_VERSION_MAJOR + 1;
	fake_info.reply.version_minor = 3;
	expect_new_fails(FAKE_DEV, -P2PBUF_E_VERSION);
	ck_assert_str_eq(
		p2pbuf_strerror(-P2PBUF_E_VERSION),
		"Driver uAPI 2.3 is incompatible with libp2pbuf uAPI 1.7");

	fake_info.reply.version_major = 0;
	expect_new_fails(FAKE_DEV, -P2PBUF_E_VERSION);
	ck_assert_str_eq(
		p2pbuf_strerror(-P2PBUF_E_VERSION),
		"Driver uAPI 0.3 is incompatible with libp2pbuf uAPI 1.7");
}
END_TEST

static void *version_message_thread(void *arg)
{
	(void)arg;
	return (void *)p2pbuf_strerror(-P2PBUF_E_VERSION);
}

START_TEST(test_version_message_is_per_thread)
{
	pthread_t thread;
	void *msg;

	fake_info_reset();
	fake_info.reply.version_major = P2PBUF_UAPI_VERSION_MAJOR + 1;
	expect_new_fails(FAKE_DEV, -P2PBUF_E_VERSION);

	ck_assert_int_eq(
		pthread_create(&thread, NULL, version_message_thread, NULL), 0);
	ck_assert_int_eq(pthread_join(thread, &msg), 0);
	ck_assert_str_eq(
		msg,
		"Driver uAPI major version is incompatible with libp2pbuf");
}
END_TEST

START_TEST(test_short_reply_is_protocol_error)
{
	fake_info_reset();
	fake_info.reply.size = P2PBUF_INFO_SIZE_VER0 - 8;
	expect_new_fails(FAKE_DEV, -EPROTO);
}
END_TEST

START_TEST(test_unterminated_driver_version)
{
	struct p2pbuf_driver_info info;
	struct p2pbuf_ctx *ctx;

	fake_info_reset();
	memset(fake_info.reply.driver_version, 'x',
	       sizeof(fake_info.reply.driver_version));
	ck_assert_int_eq(p2pbuf_ctx_new(FAKE_DEV, &ctx), 0);
	ck_assert_int_eq(p2pbuf_ctx_get_info(ctx, &info, sizeof(info)), 0);
	ck_assert_uint_eq(strlen(info.driver_version),
			  sizeof(info.driver_version) - 1);
	p2pbuf_ctx_unref(ctx);
}
END_TEST

START_TEST(test_refcount)
{
	struct p2pbuf_ctx *ctx;
	int fd;

	fake_info_reset();
	ck_assert_int_eq(p2pbuf_ctx_new(FAKE_DEV, &ctx), 0);
	fd = p2pbuf_ctx_get_fd(ctx);

	ck_assert_ptr_eq(p2pbuf_ctx_ref(ctx), ctx);
	ck_assert_ptr_eq(p2pbuf_ctx_unref(ctx), ctx);
	ck_assert_int_ne(fcntl(fd, F_GETFD), -1);
	ck_assert_ptr_null(p2pbuf_ctx_unref(ctx));
	ck_assert_int_eq(fcntl(fd, F_GETFD), -1);
	ck_assert_int_eq(errno, EBADF);

	ck_assert_ptr_null(p2pbuf_ctx_ref(NULL));
	ck_assert_ptr_null(p2pbuf_ctx_unref(NULL));
	ck_assert_int_eq(p2pbuf_ctx_get_fd(NULL), -EINVAL);
}
END_TEST

START_TEST(test_get_info_sizes)
{
	/* A caller built against a libp2pbuf whose structure is larger. */
	struct {
		struct p2pbuf_driver_info info;
		unsigned char tail[16];
	} newer;
	struct p2pbuf_driver_info info;
	struct p2pbuf_ctx *ctx;
	size_t first = offsetof(struct p2pbuf_driver_info, driver_version) +
		       sizeof(info.driver_version);
	size_t i;

	fake_info_reset();
	ck_assert_int_eq(p2pbuf_ctx_new(FAKE_DEV, &ctx), 0);

	ck_assert_int_eq(p2pbuf_ctx_get_info(NULL, &info, sizeof(info)),
			 -EINVAL);
	ck_assert_int_eq(p2pbuf_ctx_get_info(ctx, NULL, sizeof(info)), -EINVAL);
	ck_assert_int_eq(p2pbuf_ctx_get_info(ctx, &info, first - 1), -EINVAL);
	ck_assert_int_eq(p2pbuf_ctx_get_info(ctx, &info, first), 0);
	ck_assert_str_eq(info.driver_version, "0.1.0-fake");

	memset(&newer, 0xa5, sizeof(newer));
	ck_assert_int_eq(p2pbuf_ctx_get_info(ctx, &newer.info, sizeof(newer)),
			 0);
	ck_assert_uint_eq(newer.info.max_sgl_segments, 512);
	for (i = 0; i < sizeof(newer.tail); i++)
		ck_assert_uint_eq(newer.tail[i], 0);
	p2pbuf_ctx_unref(ctx);
}
END_TEST

START_TEST(test_strerror)
{
	ck_assert_str_eq(p2pbuf_strerror(-P2PBUF_E_NOTP2PBUF),
			 "Not a p2pbuf device");
	ck_assert_str_eq(p2pbuf_strerror(-ENOENT), "No such file or directory");
	ck_assert_str_eq(p2pbuf_strerror(ENOENT), "No such file or directory");
	ck_assert_str_eq(p2pbuf_strerror(-EPROTO), "Protocol error");
	ck_assert_str_eq(p2pbuf_strerror(0), "Success");
	ck_assert_str_eq(p2pbuf_strerror(-4242), "Unknown error 4242");
	ck_assert_str_eq(p2pbuf_strerror(INT_MIN), "Unknown error 2147483648");
}
END_TEST

static void *unknown_error_thread(void *arg)
{
	const char *msg = p2pbuf_strerror(-4243);

	/* The main thread formats its own message between the two waits. */
	pthread_barrier_wait(arg);
	pthread_barrier_wait(arg);
	return strcmp(msg, "Unknown error 4243") ? NULL : (void *)msg;
}

START_TEST(test_strerror_buffer_is_per_thread)
{
	pthread_barrier_t barrier;
	pthread_t thread;
	const char *msg;
	void *ok;

	ck_assert_int_eq(pthread_barrier_init(&barrier, NULL, 2), 0);
	ck_assert_int_eq(pthread_create(&thread, NULL, unknown_error_thread,
					&barrier),
			 0);
	pthread_barrier_wait(&barrier);
	msg = p2pbuf_strerror(-4244);
	pthread_barrier_wait(&barrier);
	ck_assert_int_eq(pthread_join(thread, &ok), 0);
	ck_assert_ptr_nonnull(ok);
	ck_assert_str_eq(msg, "Unknown error 4244");
	pthread_barrier_destroy(&barrier);
}
END_TEST

START_TEST(test_feature_names)
{
	unsigned int i;

	ck_assert_str_eq(p2pbuf_feature_name(P2PBUF_FEATURE_PCI_P2PDMA),
			 "pci_p2pdma");
	ck_assert_str_eq(p2pbuf_feature_name(P2PBUF_FEATURE_IOMMU), "iommu");
	ck_assert_str_eq(p2pbuf_feature_name(P2PBUF_FEATURE_BUFFERS),
			 "buffers");
	ck_assert_str_eq(p2pbuf_feature_name(P2PBUF_FEATURE_DMA_SGL),
			 "dma_sgl");
	ck_assert_str_eq(p2pbuf_feature_name(P2PBUF_FEATURE_REVOCATION),
			 "revocation");
	ck_assert_str_eq(p2pbuf_feature_name(P2PBUF_FEATURE_DMABUF_EXPORT),
			 "dmabuf_export");
	ck_assert_str_eq(p2pbuf_feature_name(P2PBUF_FEATURE_DMABUF_IMPORT),
			 "dmabuf_import");
	ck_assert_str_eq(p2pbuf_feature_name(P2PBUF_FEATURE_P2PDMA_PROVIDER),
			 "p2pdma_provider");
	ck_assert_str_eq(p2pbuf_feature_name(P2PBUF_FEATURE_MAP_DMABUF_MMAP),
			 "map_dmabuf_mmap");
	ck_assert_ptr_null(p2pbuf_feature_name(0));
	ck_assert_ptr_null(p2pbuf_feature_name(P2PBUF_FEATURE_PCI_P2PDMA |
					       P2PBUF_FEATURE_IOMMU));
	for (i = 9; i < 64; i++)
		ck_assert_ptr_null(p2pbuf_feature_name(1ULL << i));
}
END_TEST

START_TEST(test_version)
{
	ck_assert_str_eq(p2pbuf_version(), PACKAGE_VERSION);
}
END_TEST

static Suite *lib_suite(void)
{
	Suite *s = suite_create("libp2pbuf");
	TCase *tc;

	tc = tu_tcase(s, "open", TU_HOST_TIMEOUT, fake_info_off, NULL);
	tcase_add_test(tc, test_new_missing_path);
	tcase_add_test(tc, test_new_directory);
	tcase_add_test(tc, test_new_dev_null_is_not_p2pbuf);
	tcase_add_test(tc, test_new_regular_file_is_not_p2pbuf);
	tcase_add_test(tc, test_new_null_ctxp);
	tcase_add_test(tc, test_new_null_path_is_default_device);

	tc = tu_tcase(s, "handshake", TU_HOST_TIMEOUT, fake_info_off, NULL);
	tcase_add_test(tc, test_handshake);
	tcase_add_test(tc, test_handshake_newer_minor);
	tcase_add_test(tc, test_info_einval_enotty_mean_not_p2pbuf);
	tcase_add_test(tc, test_info_other_errno_passes_through);
	tcase_add_test(tc, test_version_mismatch);
	tcase_add_test(tc, test_version_message_is_per_thread);
	tcase_add_test(tc, test_short_reply_is_protocol_error);
	tcase_add_test(tc, test_unterminated_driver_version);

	tc = tu_tcase(s, "ctx", TU_HOST_TIMEOUT, fake_info_off, NULL);
	tcase_add_test(tc, test_refcount);
	tcase_add_test(tc, test_get_info_sizes);

	tc = tu_tcase(s, "names", TU_HOST_TIMEOUT, fake_info_off, NULL);
	tcase_add_test(tc, test_strerror);
	tcase_add_test(tc, test_strerror_buffer_is_per_thread);
	tcase_add_test(tc, test_feature_names);
	tcase_add_test(tc, test_version);
	return s;
}

int main(void)
{
	return tu_run(lib_suite());
}
