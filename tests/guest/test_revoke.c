// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Guest tier: revocation, device removal and the object listings and
 * events of the netlink family, against the real module.
 *
 * Revocation (forced provider removal, the admin BUFFER_REVOKE command,
 * removal of the provider's or the target's PCI device through sysfs, which
 * runs the same kernel path as a hot-unplug) must: zap every CPU mapping
 * (access gets SIGBUS), revoke every dma-sgl (poll reports EPOLLERR |
 * EPOLLPRI, SEGMENTS reports the state and a new generation), tell
 * listeners in order, and return the memory to the provider.  Netlink is
 * spoken raw here (libnl-genl), so the test does not depend on libp2pbuf's
 * parsing.
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/p2pbuf.h>
#include <netlink/genl/genl.h>
#include <netlink/netlink.h>

#include "util.h"

#define KIB 1024ULL
#define MIB (1024ULL * 1024)
#define PAGE 4096ULL
#define MAX_MSGS 256
/* test_races: revoke for at least this long, and at least this often. */
#define RACE_SECONDS 4
#define RACE_MIN_ROUNDS 6

static char edu0[RIG_BDF_LEN] = "0000:00:03.0",
	    iv0[RIG_BDF_LEN] = "0000:00:04.0";
static char edu1[RIG_BDF_LEN] = "0000:03:00.0",
	    iv1[RIG_BDF_LEN] = "0000:04:00.0";

static struct tu_nl nl;

static void setup(void)
{
	tu_nl_fixture_setup(&nl);
}

static void teardown(void)
{
	tu_nl_fixture_teardown(&nl);
}

/* --- tests ------------------------------------------------------------- */

START_TEST(test_feature)
{
	struct p2pbuf_info info = { .size = sizeof(info) };
	int fd = tu_dev_open();

	ck_assert_int_eq(ioctl(fd, P2PBUF_IOC_INFO, &info), 0);
	ck_assert(info.features & P2PBUF_FEATURE_REVOCATION);
	ck_assert_uint_eq(info.version_minor, P2PBUF_UAPI_VERSION_MINOR);
	close(fd);
}
END_TEST

/*
 * PROVIDER_DEL: refused while buffers exist, unless forced; forced, it
 * revokes a mapped buffer with an open dma-sgl, and tells in order.
 */
START_TEST(test_force_del)
{
	static struct tu_nl_msg e[MAX_MSGS];
	struct p2pbuf_alloc a;
	volatile uint8_t *p;
	uint32_t prov = tu_nl_provider_add(&nl, iv0), sid;
	int fd = tu_dev_open(), sfd, n, i_new, i_rev, i_del, i_bdel, i_pdel;

	p = tu_alloc_map(fd, prov, 1 * MIB, &a);
	memset((void *)p, 0x5a, 1 * MIB);
	sfd = tu_map(fd, (void *)p, 1 * MIB, edu0, P2PBUF_DMA_BIDIRECTIONAL,
		     NULL);
	sid = tu_sgl_id(sfd);
	ck_assert_int_eq(tu_nl_provider_del(&nl, prov, false), EBUSY);
	ck_assert_int_eq(tu_touch(p), 0);

	ck_assert_int_eq(tu_nl_provider_del(&nl, prov, true), 0);
	/* (1) CPU access: SIGBUS, everywhere in the buffer. */
	ck_assert_int_eq(tu_touch(p), SIGBUS);
	ck_assert_int_eq(tu_touch(p + 1 * MIB - 1), SIGBUS);
	/* (2) the dma-sgl. */
	tu_assert_sgl_revoked(sfd);
	/* The handle is still there until freed; mapping it is refused. */
	ck_assert_ptr_eq(mmap(NULL, PAGE, PROT_READ, MAP_SHARED, fd,
			      a.mmap_offset),
			 MAP_FAILED);
	ck_assert_int_eq(errno, ENODEV);
	close(sfd);
	munmap((void *)p, 1 * MIB);
	tu_free(fd, a.handle);
	close(fd);

	/* Events, in order: created, revoked, closed; provider last. */
	n = tu_nl_events(&nl, e, MAX_MSGS, 1000);
	i_new = tu_nl_find_ev(e, n, P2PBUF_NL_CMD_SGL_NEW_NTF, sid);
	i_rev = tu_nl_find_ev(e, n, P2PBUF_NL_CMD_SGL_REVOKE_NTF, sid);
	i_del = tu_nl_find_ev(e, n, P2PBUF_NL_CMD_SGL_DEL_NTF, sid);
	i_bdel = tu_nl_find_ev(e, n, P2PBUF_NL_CMD_BUFFER_DEL_NTF, a.handle);
	i_pdel = tu_nl_find_ev(e, n, P2PBUF_NL_CMD_PROVIDER_DEL_NTF, 0);
	ck_assert_msg(i_new >= 0 && i_rev > i_new && i_del > i_rev,
		      "sgl events out of order: new %d revoke %d del %d", i_new,
		      i_rev, i_del);
	ck_assert_uint_eq(e[i_rev].reason, P2PBUF_NL_REVOKE_PROVIDER_REMOVED);
	ck_assert_uint_eq(e[i_rev].state, P2PBUF_NL_STATE_REVOKED);
	ck_assert_uint_eq(e[i_rev].buffer_id, a.handle);
	ck_assert_str_eq(e[i_rev].target, edu0);
	ck_assert_msg(!e[i_rev].has_owner, "events carry no owner");
	ck_assert_int_ge(tu_nl_find_ev(e, n, P2PBUF_NL_CMD_BUFFER_REVOKE_NTF,
				       a.handle),
			 0);
	/* Memory returned before the provider is reported gone. */
	ck_assert_msg(i_bdel > i_rev && i_pdel > i_bdel,
		      "buffer del %d, provider del %d, sgl revoke %d", i_bdel,
		      i_pdel, i_rev);

	/* The memory is reusable and reads zeros. */
	prov = tu_nl_provider_add(&nl, iv0);
	fd = tu_dev_open();
	p = tu_alloc_map(fd, prov, 1 * MIB, &a);
	for (size_t i = 0; i < 1 * MIB; i += 4096)
		ck_assert_uint_eq(p[i], 0);
	munmap((void *)p, 1 * MIB);
	close(fd);
	ck_assert_int_eq(tu_nl_provider_del(&nl, prov, false), 0);
}
END_TEST

/* BUFFER_REVOKE: host memory, by the administrator. */
/*
 * More dma-sgls than one revocation pass collects: all are revoked.  Each
 * maps its own page (DMA-API debug flags more than 7 live mappings of one
 * cacheline, a limit for drivers that p2pbuf's users could reach only by
 * mapping the same host memory that often).
 */
START_TEST(test_many_sgls)
{
	struct p2pbuf_alloc a;
	volatile uint8_t *p;
	uint32_t id;
	int fd = tu_dev_open(), sfd[80], i;

	p = tu_alloc_map(fd, 0, 80 * PAGE, &a);
	for (i = 0; i < 80; i++)
		sfd[i] = tu_map(fd, (void *)(p + i * PAGE), PAGE,
				i & 1 ? edu0 : edu1, P2PBUF_DMA_BIDIRECTIONAL,
				NULL);
	id = a.handle;
	ck_assert_int_eq(tu_nl_buffer_revoke(&nl, id), 0);
	for (i = 0; i < 80; i++) {
		tu_assert_sgl_revoked(sfd[i]);
		close(sfd[i]);
	}
	ck_assert_int_eq(tu_touch(p), SIGBUS);
	munmap((void *)p, 80 * PAGE);
	close(fd);
}
END_TEST

START_TEST(test_admin_revoke)
{
	struct p2pbuf_alloc a;
	volatile uint8_t *p;
	uint32_t id;
	int fd = tu_dev_open(), sfd;

	p = tu_alloc_map(fd, 0, 64 * KIB, &a);
	p[0] = 1;
	sfd = tu_map(fd, (void *)p, 64 * KIB, edu0, P2PBUF_DMA_BIDIRECTIONAL,
		     NULL);
	id = a.handle;
	ck_assert_int_eq(tu_nl_buffer_revoke(&nl, id), 0);
	ck_assert_int_eq(tu_touch(p), SIGBUS);
	tu_assert_sgl_revoked(sfd);
	/* Idempotent; an unknown id is ENOENT. */
	ck_assert_int_eq(tu_nl_buffer_revoke(&nl, id), 0);
	id = 0x7fffff;
	ck_assert_int_eq(tu_nl_buffer_revoke(&nl, id), ENOENT);
	close(sfd);
	munmap((void *)p, 64 * KIB);
	close(fd);
}
END_TEST

/* The listings: owner, sizes, mapped bytes, sgls; visibility by uid. */
START_TEST(test_listings)
{
	static struct tu_nl_msg l[16];
	struct p2pbuf_alloc a;
	uint8_t *p;
	int fd = tu_dev_open(), sfd, n, status;
	pid_t pid;

	p = tu_alloc_map(fd, 0, 256 * KIB, &a);
	sfd = tu_map(fd, p, 128 * KIB, edu1, P2PBUF_DMA_BIDIRECTIONAL, NULL);
	n = tu_nl_dump(&nl, P2PBUF_NL_CMD_BUFFER_GET, l, 16);
	ck_assert_int_eq(n, 1);
	ck_assert_uint_eq(l[0].buffer_id, a.handle);
	ck_assert_uint_eq(l[0].owner_pid, getpid());
	ck_assert_str_eq(l[0].comm, "test_revoke");
	ck_assert_uint_eq(l[0].size, 256 * KIB);
	ck_assert_uint_eq(l[0].mapped, 256 * KIB);
	ck_assert_uint_eq(l[0].sgls, 1);
	ck_assert_uint_eq(l[0].state, P2PBUF_NL_STATE_LIVE);
	/* A partial munmap shows. */
	munmap(p + 192 * KIB, 64 * KIB);
	n = tu_nl_dump(&nl, P2PBUF_NL_CMD_BUFFER_GET, l, 16);
	ck_assert_uint_eq(l[0].mapped, 192 * KIB);
	n = tu_nl_dump(&nl, P2PBUF_NL_CMD_SGL_GET, l, 16);
	ck_assert_int_eq(n, 1);
	ck_assert_uint_eq(l[0].sgl_id, tu_sgl_id(sfd));
	ck_assert_str_eq(l[0].target, edu1);
	ck_assert_uint_eq(l[0].buffer_id, a.handle);
	ck_assert_uint_eq(l[0].nr_buffer_ids, 1);
	ck_assert_uint_eq(l[0].generation, 1);
	ck_assert_uint_eq(l[0].owner_pid, getpid());

	/* Another user sees none of root's objects. */
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (!pid) {
		static struct tu_nl_msg c[16];
		struct nl_sock *s2;

		if (setresuid(65534, 65534, 65534))
			_exit(1);
		s2 = nl_socket_alloc();
		if (!s2 || genl_connect(s2))
			_exit(2);
		nl.sk = s2;
		if (tu_nl_dump(&nl, P2PBUF_NL_CMD_BUFFER_GET, c, 16) != 0 ||
		    tu_nl_dump(&nl, P2PBUF_NL_CMD_SGL_GET, c, 16) != 0)
			_exit(3);
		_exit(0);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status));
	ck_assert_int_eq(WEXITSTATUS(status), 0);
	close(sfd);
	munmap(p, 192 * KIB);
	close(fd);
}
END_TEST

/*
 * The provider's device goes away (sysfs remove: the hot-unplug path)
 * with a buffer mapped and a dma-sgl open; then it comes back and is used
 * again.
 */
START_TEST(test_remove_provider_device)
{
	static struct tu_nl_msg e[MAX_MSGS], l[16];
	struct p2pbuf_alloc a;
	volatile uint8_t *p;
	uint32_t prov = tu_nl_provider_add(&nl, iv1);
	int fd = tu_dev_open(), sfd, n, i;

	p = tu_alloc_map(fd, prov, 2 * MIB, &a);
	memset((void *)p, 0x77, 2 * MIB);
	sfd = tu_map(fd, (void *)p, 2 * MIB, edu1, P2PBUF_DMA_BIDIRECTIONAL,
		     NULL);
	tu_nl_events(&nl, e, MAX_MSGS, 0);

	tu_pci_remove(iv1);
	ck_assert_int_eq(tu_touch(p), SIGBUS);
	tu_assert_sgl_revoked(sfd);
	n = tu_nl_events(&nl, e, MAX_MSGS, 1000);
	i = tu_nl_find_ev(e, n, P2PBUF_NL_CMD_SGL_REVOKE_NTF, tu_sgl_id(sfd));
	ck_assert_int_ge(i, 0);
	ck_assert_uint_eq(e[i].reason, P2PBUF_NL_REVOKE_DEVICE_REMOVED);
	i = tu_nl_find_ev(e, n, P2PBUF_NL_CMD_DEVICE_GONE_NTF, 0);
	ck_assert_int_ge(i, 0);
	ck_assert_str_eq(e[i].device, iv1);
	ck_assert_int_ge(tu_nl_find_ev(e, n, P2PBUF_NL_CMD_PROVIDER_DEL_NTF, 0),
			 0);
	ck_assert_int_eq(tu_nl_dump(&nl, P2PBUF_NL_CMD_PROVIDER_GET, l, 16), 1);
	close(sfd);
	munmap((void *)p, 2 * MIB);
	close(fd);

	tu_pci_rescan(iv1);
	prov = tu_nl_provider_add(&nl, iv1);
	fd = tu_dev_open();
	p = tu_alloc_map(fd, prov, 2 * MIB, &a);
	for (size_t k = 0; k < 2 * MIB; k += 4096)
		ck_assert_uint_eq(p[k], 0);
	sfd = tu_map(fd, (void *)p, 2 * MIB, edu1, P2PBUF_DMA_BIDIRECTIONAL,
		     NULL);
	close(sfd);
	munmap((void *)p, 2 * MIB);
	close(fd);
	ck_assert_int_eq(tu_nl_provider_del(&nl, prov, false), 0);
}
END_TEST

/* The target goes away: its dma-sgls are revoked, the buffer lives on. */
START_TEST(test_remove_target_device)
{
	static struct tu_nl_msg e[MAX_MSGS];
	struct p2pbuf_alloc a;
	volatile uint8_t *p;
	int fd = tu_dev_open(), sfd, sfd0, n, i;
	struct p2pbuf_segments s;

	p = tu_alloc_map(fd, 0, 64 * KIB, &a);
	p[0] = 9;
	sfd = tu_map(fd, (void *)p, 64 * KIB, edu1, P2PBUF_DMA_BIDIRECTIONAL,
		     NULL);
	sfd0 = tu_map(fd, (void *)p, 64 * KIB, edu0, P2PBUF_DMA_BIDIRECTIONAL,
		      NULL);
	tu_nl_events(&nl, e, MAX_MSGS, 0);
	tu_pci_remove(edu1);
	tu_assert_sgl_revoked(sfd);
	/* The other target's dma-sgl and the CPU mapping are untouched. */
	tu_segments(sfd0, NULL, 0, &s);
	ck_assert_uint_eq(s.state, P2PBUF_SGL_STATE_MAPPED);
	ck_assert_int_eq(tu_touch(p), 0);
	ck_assert_uint_eq(p[0], 9);
	n = tu_nl_events(&nl, e, MAX_MSGS, 1000);
	i = tu_nl_find_ev(e, n, P2PBUF_NL_CMD_SGL_REVOKE_NTF, tu_sgl_id(sfd));
	ck_assert_int_ge(i, 0);
	ck_assert_uint_eq(e[i].reason, P2PBUF_NL_REVOKE_TARGET_REMOVED);
	close(sfd);
	close(sfd0);
	tu_pci_rescan(edu1);
	/* Usable again once back. */
	sfd = tu_map(fd, (void *)p, 64 * KIB, edu1, P2PBUF_DMA_BIDIRECTIONAL,
		     NULL);
	close(sfd);
	munmap((void *)p, 64 * KIB);
	close(fd);
}
END_TEST

/* Module unload is refused while a file or a dma-sgl exists. */
START_TEST(test_unload_refused)
{
	struct p2pbuf_alloc a;
	void *p;
	int fd = tu_dev_open(), sfd;

	ck_assert_int_eq(
		syscall(SYS_delete_module, "p2pbuf", O_NONBLOCK) ? errno : 0,
		EWOULDBLOCK);
	p = tu_alloc_map(fd, 0, 64 * KIB, &a);
	sfd = tu_map(fd, p, 64 * KIB, edu0, P2PBUF_DMA_BIDIRECTIONAL, NULL);
	munmap(p, 64 * KIB);
	close(fd);
	/* Only the sgl is left; it keeps the module. */
	ck_assert_int_eq(
		syscall(SYS_delete_module, "p2pbuf", O_NONBLOCK) ? errno : 0,
		EWOULDBLOCK);
	close(sfd);
}
END_TEST

/* --- races ------------------------------------------------------------- */

static volatile bool race_stop;
static uint32_t race_prov;

static void *race_user(void *arg)
{
	int fd = open(TU_DEV, O_RDWR | O_CLOEXEC);

	(void)arg;
	while (!race_stop) {
		struct p2pbuf_alloc a;
		struct p2pbuf_map m = { .size = sizeof(m),
					.length = 64 * KIB,
					.direction = P2PBUF_DMA_TO_DEVICE,
					.target = { .bus = 0,
						    .devfn = 3 << 3 } };
		void *p;

		if (tu_alloc_try(fd, race_prov, 64 * KIB, &a))
			continue;
		p = mmap(NULL, 64 * KIB, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
			 a.mmap_offset);
		if (p != MAP_FAILED) {
			m.addr = (uintptr_t)p;
			if (!ioctl(fd, P2PBUF_IOC_MAP, &m)) {
				tu_touch(p);
				close(m.sgl_fd);
			}
			tu_touch(p);
			munmap(p, 64 * KIB);
		}
		tu_free_try(fd, a.handle);
	}
	close(fd);
	return NULL;
}

/*
 * Revocation (forced provider removal, every 20 ms) while three threads
 * allocate, map, MAP for edu0, touch and free.  For at least RACE_SECONDS
 * and at least RACE_MIN_ROUNDS revocations, whichever takes longer: on a
 * slow machine the race lasts longer, it is never cut short.
 */
START_TEST(test_races)
{
	pthread_t t[3];
	struct timespec t0, now;
	int i, rounds = 0;

	tu_set_param("host_bridge_p2p", "Y");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	race_stop = false;
	race_prov = tu_nl_provider_add(&nl, iv0);
	for (i = 0; i < 3; i++)
		ck_assert_int_eq(pthread_create(&t[i], NULL, race_user, NULL),
				 0);
	do {
		usleep(20000);
		ck_assert_int_eq(tu_nl_provider_del(&nl, race_prov, true), 0);
		race_prov = tu_nl_provider_add(&nl, iv0);
		rounds++;
		clock_gettime(CLOCK_MONOTONIC, &now);
	} while (now.tv_sec - t0.tv_sec < RACE_SECONDS ||
		 rounds < RACE_MIN_ROUNDS);
	race_stop = true;
	for (i = 0; i < 3; i++)
		pthread_join(t[i], NULL);
	ck_assert_int_eq(tu_nl_provider_del(&nl, race_prov, true), 0);
	tu_set_param("host_bridge_p2p", "N");
	ck_assert_int_ge(rounds, RACE_MIN_ROUNDS);
}
END_TEST

static Suite *revoke_suite(void)
{
	Suite *s = suite_create("revoke");
	TCase *tc;

	tc = tu_tcase(s, "revoke", TU_VM_TIMEOUT, setup, teardown);
	tcase_add_test(tc, test_feature);
	tcase_add_test(tc, test_force_del);
	tcase_add_test(tc, test_admin_revoke);
	tcase_add_test(tc, test_many_sgls);
	tcase_add_test(tc, test_listings);
	tcase_add_test(tc, test_remove_provider_device);
	tcase_add_test(tc, test_remove_target_device);
	tcase_add_test(tc, test_unload_refused);
	tcase_add_test(tc, test_races);
	return s;
}

int main(void)
{
	return tu_run(revoke_suite());
}
