// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Guest tier: real PCIe hot-unplug, through the QEMU monitor, of a
 * provider's device (ivshmem2) and of a target (edu2), each behind a
 * hot-pluggable root port of the hotplug rig (tests/vm/run-qemu.sh --rig
 * hotplug), with a buffer mapped and a dma-sgl open; then hot-add and use
 * again.  The guarantees are those of a sysfs remove (test_revoke.c): CPU
 * access gets SIGBUS, dma-sgls are revoked and say so, listeners are told,
 * the memory goes back.
 *
 * The guest cannot reach QEMU: it prints request lines
 *	P2PBUF-QMP device_del ID
 *	P2PBUF-QMP device_add DRIVER id=ID bus=BUS [KEY=VALUE ...]
 * to the results channel, where the host-side agent of tests/vm/vm-tier.sh
 * performs each once through QMP; the test then watches sysfs (pciehp acts
 * on device_del's attention button after 5 s).  Outside the hotplug rig
 * (P2PBUF_VM_RIG != hotplug) there is nothing to unplug: the program says
 * so and exits 0.  Netlink is spoken raw (libnl-genl), as in test_revoke.
 */
#include "config.h"

#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <linux/p2pbuf.h>
#include <netlink/genl/genl.h>
#include <netlink/netlink.h>

#include "util.h"

#define KIB 1024ULL
#define MIB (1024ULL * 1024)
#define PAGE 4096ULL
#define MAX_MSGS 256
#define SYSFS_PCI "/sys/bus/pci/devices"
#define XFER 2000 /* bytes per edu transfer, < EDU_DMA_MAX */
#define MAXSEG 64

/*
 * QEMU's names of the hotplug rig's devices (run-qemu.sh --rig hotplug):
 * the guest cannot see them, and the requests must name them.  ivshmem2
 * comes back on the spare backend shm3: QEMU 7.2 aborts when an ivshmem is
 * hot-added on the backend of a removed one (see run-qemu.sh).
 */
#define QEMU_IVSHMEM "ivshmem2"
#define QEMU_IVSHMEM_ADD "ivshmem-plain id=ivshmem2 memdev=shm3 bus=rp1"
#define QEMU_EDU "edu2"
#define QEMU_EDU_ADD "edu id=edu2 bus=rp2 dma_mask=0xffffffffffffffff"

static struct tu_nl nl;

static void setup(void)
{
	tu_nl_fixture_setup(&nl);
}

static void teardown(void)
{
	tu_nl_fixture_teardown(&nl);
}

/* --- the hotplug rig --------------------------------------------------- */

/* True when a hotplug slot (pciehp) is registered for bdf's bus. */
static bool in_hotplug_slot(const char *bdf)
{
	DIR *d = opendir("/sys/bus/pci/slots");
	struct dirent *de;
	bool found = false;

	if (!d)
		return false;
	while (!found && (de = readdir(d))) {
		char path[PATH_MAX], addr[64] = "";
		FILE *f;

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/sys/bus/pci/slots/%s/address",
			 de->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		if (fgets(addr, sizeof(addr), f))
			addr[strcspn(addr, "\n")] = 0;
		fclose(f);
		/* "DDDD:BB:SS" names slot SS of bus BB. */
		found = strlen(addr) == 10 && !strncmp(addr, bdf, 10);
	}
	closedir(d);
	return found;
}

/*
 * The device vendor:device directly below a hot-pluggable root port (a
 * bridge on a root bus whose secondary bus has a hotplug slot): its BDF in
 * bdf and the port's in port.  False if there is none.
 */
static bool find_hotplug(unsigned int vendor, unsigned int device, char *bdf,
			 char *port)
{
	char bdfs[16][RIG_BDF_LEN];
	int n = rig_pci_find(vendor, device, bdfs, 16), i;

	for (i = 0; i < n && i < 16; i++) {
		char path[PATH_MAX], real[PATH_MAX], *slash, *up;

		snprintf(path, sizeof(path), SYSFS_PCI "/%s", bdfs[i]);
		if (!realpath(path, real))
			continue;
		/* .../pci0000:00/<port>/<bdf> */
		slash = strrchr(real, '/');
		if (!slash)
			continue;
		*slash = 0;
		up = strrchr(real, '/');
		if (!up || strlen(up + 1) >= RIG_BDF_LEN)
			continue;
		*up = 0;
		if (strncmp(strrchr(real, '/') + 1, "pci", 3) != 0)
			continue;
		if (!in_hotplug_slot(bdfs[i]))
			continue;
		strcpy(port, up + 1);
		strcpy(bdf, bdfs[i]);
		return true;
	}
	return false;
}

/* The edu on the root bus (edu0, 00:03.0 in every rig). */
static void find_edu0(char *bdf)
{
	char bdfs[8][RIG_BDF_LEN];
	int n = rig_pci_find(RIG_EDU_VENDOR, RIG_EDU_DEVICE, bdfs, 8), i;

	for (i = 0; i < n && i < 8; i++) {
		if (!strncmp(bdfs[i] + 4, ":00:", 4)) {
			strcpy(bdf, bdfs[i]);
			return;
		}
	}
	ck_abort_msg("no edu on the root bus");
}

static double now_s(void)
{
	return tu_now_ms() / 1e3;
}

/* Ask the host to run a QMP command (the results channel is stdout). */
static void qmp(const char *req)
{
	printf("P2PBUF-QMP %s\n", req);
	fflush(stdout);
}

/* Wait for bdf to leave sysfs; fails after TU_HOTPLUG_WAIT_S. */
static void wait_gone(const char *bdf)
{
	char path[128];
	double t0 = now_s();

	snprintf(path, sizeof(path), SYSFS_PCI "/%s", bdf);
	while (access(path, F_OK) == 0) {
		ck_assert_msg(now_s() - t0 < TU_HOTPLUG_WAIT_S,
			      "%s still present %d s after device_del "
			      "(see the host's qmp.log and dmesg)",
			      bdf, TU_HOTPLUG_WAIT_S);
		usleep(100000);
	}
	printf("hotplug: %s gone after %.1f s\n", bdf, now_s() - t0);
	fflush(stdout);
}

/* Wait for vendor:device to come back below port; its BDF into bdf. */
static void wait_back(unsigned int vendor, unsigned int device,
		      const char *port, char *bdf)
{
	char p[RIG_BDF_LEN], res[128];
	double t0 = now_s();

	while (!find_hotplug(vendor, device, bdf, p) || strcmp(p, port)) {
		ck_assert_msg(now_s() - t0 < TU_HOTPLUG_WAIT_S,
			      "%04x:%04x not back below %s %d s after "
			      "device_add (see the host's qmp.log and dmesg)",
			      vendor, device, port, TU_HOTPLUG_WAIT_S);
		usleep(100000);
	}
	/* Its BAR files come a moment after the device itself. */
	snprintf(res, sizeof(res), SYSFS_PCI "/%s/resource0", bdf);
	while (access(res, R_OK | W_OK)) {
		ck_assert_msg(now_s() - t0 < TU_HOTPLUG_WAIT_S,
			      "%s: no %s %d s after device_add", bdf, res,
			      TU_HOTPLUG_WAIT_S);
		usleep(100000);
	}
	printf("hotplug: %s back below %s after %.1f s\n", bdf, port,
	       now_s() - t0);
	fflush(stdout);
}

/* True when bdf decodes its memory BARs (Memory Space of its command reg). */
static bool mem_decoding(const char *bdf)
{
	char path[128];
	uint8_t cmd = 0;
	int fd;

	snprintf(path, sizeof(path), SYSFS_PCI "/%s/config", bdf);
	fd = open(path, O_RDONLY);
	ck_assert_msg(fd >= 0, "%s: %s", path, strerror(errno));
	ck_assert_int_eq(pread(fd, &cmd, 1, 4), 1);
	close(fd);
	return cmd & 0x2;
}

/*
 * A hot-added device decodes no memory until someone enables it: firmware
 * did that for the cold-plugged ones; for a hot-added one without a driver,
 * nobody does.  p2pbuf refuses to register such a BAR (ENXIO: its buffers
 * would read zeros and drop writes); enable it as firmware would (sysfs
 * "enable": pci_enable_device()), then it is accepted.
 */
static void enable_hot_added(const char *bdf)
{
	char path[128];

	if (mem_decoding(bdf))
		return;
	ck_assert_int_eq(tu_nl_request(&nl, P2PBUF_NL_CMD_PROVIDER_ADD,
				       NLM_F_ACK, tu_nl_put_pcibar, (void *)bdf,
				       NULL, 0, NULL),
			 ENXIO);
	printf("hotplug: %s came back with memory decoding off: p2pbuf "
	       "refused it (ENXIO); enabling it through sysfs\n",
	       bdf);
	fflush(stdout);
	snprintf(path, sizeof(path), SYSFS_PCI "/%s/enable", bdf);
	tu_write_file(path, "1");
	ck_assert(mem_decoding(bdf));
}

/* --- DMA through edu ------------------------------------------------------ */

/*
 * edu (bdf) copies XFER bytes of the range the dma-sgl sfd covers from
 * offset src to offset dst; p is the CPU mapping of the range.  Checks the
 * bytes through p.
 */
static void edu_copy_check(const char *bdf, int sfd, volatile uint8_t *p,
			   uint64_t src, uint64_t dst, uint64_t seed)
{
	static struct p2pbuf_segment segs[MAXSEG];
	struct p2pbuf_segments s;
	char what[64];
	uint32_t n;
	struct edu e;

	n = tu_segments(sfd, segs, MAXSEG, &s);
	ck_assert_uint_eq(s.state, P2PBUF_SGL_STATE_MAPPED);
	tu_fill(p + src, XFER, seed);
	ck_assert_int_eq(edu_open(&e, bdf), 0);
	tu_edu_copy(&e, sfd, segs, n, src, dst, XFER);
	edu_close(&e);
	snprintf(what, sizeof(what), "edu %s copy", bdf);
	tu_check_bytes(p + dst, XFER, seed, 0, what);
}

/* --- tests ------------------------------------------------------------- */

/*
 * The provider's device is hot-unplugged with a 2 MiB buffer mapped and a
 * dma-sgl for edu0 open; then hot-added, registered and used again.
 */
START_TEST(test_unplug_provider)
{
	static struct tu_nl_msg e[MAX_MSGS], l[16];
	char iv[RIG_BDF_LEN], port[RIG_BDF_LEN], edu0[RIG_BDF_LEN];
	struct p2pbuf_alloc a;
	volatile uint8_t *p;
	uint32_t prov, sid;
	int fd, sfd, n, i;

	ck_assert_msg(find_hotplug(RIG_IVSHMEM_VENDOR, RIG_IVSHMEM_DEVICE, iv,
				   port),
		      "no ivshmem below a hot-pluggable root port");
	find_edu0(edu0);
	printf("hotplug: ivshmem %s below root port %s; target edu %s\n", iv,
	       port, edu0);
	fflush(stdout);

	prov = tu_nl_provider_add(&nl, iv);
	fd = tu_dev_open();
	p = tu_alloc_map(fd, prov, 2 * MIB, &a);
	memset((void *)p, 0x77, 2 * MIB);
	sfd = tu_map(fd, (void *)p, 2 * MIB, edu0, P2PBUF_DMA_BIDIRECTIONAL,
		     NULL);
	sid = tu_sgl_id(sfd);
	tu_nl_events(&nl, e, MAX_MSGS, 0);

	qmp("device_del " QEMU_IVSHMEM);
	wait_gone(iv);

	/* (1) CPU access: SIGBUS, everywhere in the buffer. */
	ck_assert_int_eq(tu_touch(p), SIGBUS);
	ck_assert_int_eq(tu_touch(p + 2 * MIB - 1), SIGBUS);
	/* (2) the dma-sgl is revoked and says so. */
	tu_assert_sgl_revoked(sfd);
	/* (3) listeners are told. */
	n = tu_nl_events(&nl, e, MAX_MSGS, 1000);
	i = tu_nl_find_ev(e, n, P2PBUF_NL_CMD_SGL_REVOKE_NTF, sid);
	ck_assert_msg(i >= 0, "no SGL_REVOKE_NTF for sgl %u (%d events)", sid,
		      n);
	ck_assert_uint_eq(e[i].reason, P2PBUF_NL_REVOKE_DEVICE_REMOVED);
	ck_assert_uint_eq(e[i].buffer_id, a.handle);
	ck_assert_str_eq(e[i].target, edu0);
	i = tu_nl_find_ev(e, n, P2PBUF_NL_CMD_DEVICE_GONE_NTF, 0);
	ck_assert_msg(i >= 0, "no DEVICE_GONE_NTF");
	ck_assert_str_eq(e[i].device, iv);
	ck_assert_msg(tu_nl_find_ev(e, n, P2PBUF_NL_CMD_PROVIDER_DEL_NTF, 0) >=
			      0,
		      "no PROVIDER_DEL_NTF");
	/* (4) the provider is gone: only sysmem is left. */
	n = tu_nl_dump(&nl, P2PBUF_NL_CMD_PROVIDER_GET, l, 16);
	ck_assert_int_eq(n, 1);
	ck_assert_uint_ne(l[0].provider_id, prov);
	close(sfd);
	munmap((void *)p, 2 * MIB);
	close(fd);

	/* Back again: a new device, registered anew, reads zeros, works. */
	qmp("device_add " QEMU_IVSHMEM_ADD);
	wait_back(RIG_IVSHMEM_VENDOR, RIG_IVSHMEM_DEVICE, port, iv);
	enable_hot_added(iv);
	prov = tu_nl_provider_add(&nl, iv);
	fd = tu_dev_open();
	p = tu_alloc_map(fd, prov, 2 * MIB, &a);
	for (size_t k = 0; k < 2 * MIB; k++)
		if (p[k])
			ck_abort_msg("byte %zu of the new buffer is %#x", k,
				     p[k]);
	sfd = tu_map(fd, (void *)p, 2 * MIB, edu0, P2PBUF_DMA_BIDIRECTIONAL,
		     NULL);
	edu_copy_check(edu0, sfd, p, 4096, 1 * MIB + 8, 11);
	close(sfd);
	munmap((void *)p, 2 * MIB);
	close(fd);
	ck_assert_int_eq(tu_nl_provider_del(&nl, prov, false), 0);
}
END_TEST

/*
 * A target is hot-unplugged: its dma-sgl is revoked, another target's
 * dma-sgl of the same buffer and the CPU mapping are not; hot-added, it is
 * a target again.
 */
START_TEST(test_unplug_target)
{
	static struct tu_nl_msg e[MAX_MSGS];
	char edu[RIG_BDF_LEN], port[RIG_BDF_LEN], edu0[RIG_BDF_LEN];
	struct p2pbuf_segments s;
	struct p2pbuf_alloc a;
	volatile uint8_t *p;
	uint32_t sid, sid0;
	int fd, sfd, sfd0, n, i;

	ck_assert_msg(find_hotplug(RIG_EDU_VENDOR, RIG_EDU_DEVICE, edu, port),
		      "no edu below a hot-pluggable root port");
	find_edu0(edu0);
	printf("hotplug: edu %s below root port %s\n", edu, port);
	fflush(stdout);

	fd = tu_dev_open();
	p = tu_alloc_map(fd, 0, 64 * KIB, &a);
	p[0] = 9;
	sfd = tu_map(fd, (void *)p, 64 * KIB, edu, P2PBUF_DMA_BIDIRECTIONAL,
		     NULL);
	sfd0 = tu_map(fd, (void *)p, 64 * KIB, edu0, P2PBUF_DMA_BIDIRECTIONAL,
		      NULL);
	sid = tu_sgl_id(sfd);
	sid0 = tu_sgl_id(sfd0);
	tu_nl_events(&nl, e, MAX_MSGS, 0);

	qmp("device_del " QEMU_EDU);
	wait_gone(edu);

	tu_assert_sgl_revoked(sfd);
	/* The other target's dma-sgl and the CPU mapping are untouched. */
	tu_segments(sfd0, NULL, 0, &s);
	ck_assert_uint_eq(s.state, P2PBUF_SGL_STATE_MAPPED);
	ck_assert_uint_eq(s.generation, 1);
	ck_assert_int_eq(tu_touch(p), 0);
	ck_assert_uint_eq(p[0], 9);
	n = tu_nl_events(&nl, e, MAX_MSGS, 1000);
	i = tu_nl_find_ev(e, n, P2PBUF_NL_CMD_SGL_REVOKE_NTF, sid);
	ck_assert_msg(i >= 0, "no SGL_REVOKE_NTF for sgl %u (%d events)", sid,
		      n);
	ck_assert_uint_eq(e[i].reason, P2PBUF_NL_REVOKE_TARGET_REMOVED);
	ck_assert_str_eq(e[i].target, edu);
	ck_assert_int_lt(
		tu_nl_find_ev(e, n, P2PBUF_NL_CMD_SGL_REVOKE_NTF, sid0), 0);
	close(sfd);

	qmp("device_add " QEMU_EDU_ADD);
	wait_back(RIG_EDU_VENDOR, RIG_EDU_DEVICE, port, edu);
	/* A target again: map for it and DMA through it. */
	sfd = tu_map(fd, (void *)p, 64 * KIB, edu, P2PBUF_DMA_BIDIRECTIONAL,
		     NULL);
	edu_copy_check(edu, sfd, p, 0, 32 * KIB, 5);
	/* The other dma-sgl still works too. */
	edu_copy_check(edu0, sfd0, p, 8 * KIB, 40 * KIB, 6);
	close(sfd);
	close(sfd0);
	munmap((void *)p, 64 * KIB);
	close(fd);
}
END_TEST

static Suite *hotplug_suite(void)
{
	Suite *s = suite_create("hotplug");
	TCase *tc;

	/* Two hotplug waits of up to TU_HOTPLUG_WAIT_S each, under TCG. */
	tc = tu_tcase(s, "hotplug", TU_VM_TIMEOUT_HOTPLUG, setup, teardown);
	tcase_add_test(tc, test_unplug_provider);
	tcase_add_test(tc, test_unplug_target);
	return s;
}

int main(void)
{
	if (!tu_rig_is("hotplug")) {
		printf("test_hotplug: not the hotplug rig (P2PBUF_VM_RIG=%s): "
		       "nothing to unplug, nothing tested\n",
		       getenv("P2PBUF_VM_RIG") ? getenv("P2PBUF_VM_RIG") :
						 "unset");
		return EXIT_SUCCESS;
	}
	return tu_run(hotplug_suite());
}
