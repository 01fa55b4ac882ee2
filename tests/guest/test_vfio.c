// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Guest tier: a target whose DMA belongs to a userspace driver (issue 12).
 *
 * p2pbuf maps for a target through the DMA API, in the target's default
 * DMA domain.  Once VFIO owns the target, its user's domain replaces that
 * one, and an address p2pbuf handed out could point at the VFIO user's
 * memory.  So: binding vfio-pci revokes every dma-sgl made for the target
 * (before any VFIO user can open it), MAP refuses the target with EBUSY
 * and REACH says "user-driver" while vfio-pci is bound, and when the VFIO
 * user maps its own memory at the old IOVA, edu's DMA there touches only
 * that memory.  After vfio-pci lets go, MAP works again.
 *
 * Needs the IOMMU on (VFIO type1), and vfio, vfio_iommu_type1 and vfio-pci
 * (rig modules on the Debian kernels, built in on the debug kernel).
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/p2pbuf.h>
#include <linux/vfio.h>

#include "util.h"

/* The test's netlink sockets (its Check fixture opens them). */
static struct tu_nl nl;

#define KIB 1024ULL
#define PAGE 4096ULL
#define LEN (64 * KIB)
#define XFER 2000
#define DMA_WAIT_MS 10000
#define DMA_API_DUMP "/sys/kernel/debug/dma-api/dump"

static const char edu0[] = "0000:00:03.0";

static void bind_vfio(const char *bdf)
{
	char path[128];

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/driver_override",
		 bdf);
	tu_write_file(path, "vfio-pci");
	tu_write_file("/sys/bus/pci/drivers_probe", bdf);
	snprintf(path, sizeof(path), "/sys/bus/pci/drivers/vfio-pci/%s", bdf);
	ck_assert_msg(access(path, F_OK) == 0, "vfio-pci did not bind %s", bdf);
}

static void unbind_vfio(const char *bdf)
{
	char path[128];

	tu_write_file("/sys/bus/pci/drivers/vfio-pci/unbind", bdf);
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/driver_override",
		 bdf);
	tu_write_file(path, "\n");
	ck_assert(!rig_pci_has_driver(bdf));
}

/*
 * Run /bin/p2pctl with args (stderr to stdout): its exit status, after
 * checking that its output contains what.
 */
static int p2pctl_says(const char *args, const char *what)
{
	char cmd[256], out[4096];
	int st;

	snprintf(cmd, sizeof(cmd), "p2pctl %s 2>&1", args);
	st = tu_cmd_output(cmd, out, sizeof(out));
	ck_assert_msg(strstr(out, what), "p2pctl %s: no '%s' in: %s", args,
		      what, out);
	ck_assert(WIFEXITED(st));
	return WEXITSTATUS(st);
}

/* MAP a range for a target: the fd, or -errno. */
static int try_map(int fd, const void *p, uint64_t len, const char *bdf)
{
	struct p2pbuf_map m = { .size = sizeof(m) };
	unsigned int d, b, s, f;

	ck_assert_int_eq(sscanf(bdf, "%x:%x:%x.%x", &d, &b, &s, &f), 4);
	m.addr = (uintptr_t)p;
	m.length = len;
	m.direction = P2PBUF_DMA_BIDIRECTIONAL;
	m.target.domain = d;
	m.target.bus = b;
	m.target.devfn = s << 3 | f;
	return ioctl(fd, P2PBUF_IOC_MAP, &m) ? -errno : m.sgl_fd;
}

static uint64_t first_dma(int sfd)
{
	struct p2pbuf_segment seg[4];
	struct p2pbuf_segments s = { .size = sizeof(s) };

	s.segments = (uintptr_t)seg;
	s.capacity = 4;
	ck_assert_int_eq(ioctl(sfd, P2PBUF_IOC_SEGMENTS, &s), 0);
	ck_assert_uint_eq(s.nr_segments, 1);
	ck_assert_uint_eq(seg[0].length, LEN);
	return seg[0].dma_addr;
}

static void fill(volatile uint8_t *p, size_t len, uint8_t seed)
{
	size_t i;

	for (i = 0; i < len; i++)
		p[i] = (uint8_t)(seed + i * 7);
}

static void check(const volatile uint8_t *p, size_t len, uint8_t seed,
		  const char *what)
{
	size_t i;

	for (i = 0; i < len; i++)
		ck_assert_msg(p[i] == (uint8_t)(seed + i * 7),
			      "%s: byte %zu is %#x, want %#x", what, i, p[i],
			      (uint8_t)(seed + i * 7));
}

/* edu copies XFER bytes from iova to iova + 8 KiB. */
static void edu_copy(struct edu *e, uint64_t iova)
{
	ck_assert_int_eq(
		edu_dma(e, iova, 0, XFER, EDU_DMA_FROM_RAM, DMA_WAIT_MS), 0);
	ck_assert_int_eq(edu_dma(e, iova + 8 * KIB, 0, XFER, EDU_DMA_TO_RAM,
				 DMA_WAIT_MS),
			 0);
}

/* Lines of the DMA-API debug dump that name bdf (debug kernel only). */
static int dma_api_mappings(const char *bdf)
{
	char line[512];
	int n = 0;
	FILE *f = fopen(DMA_API_DUMP, "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (strstr(line, bdf))
			n++;
	fclose(f);
	return n;
}

/* A VFIO user of one device: container, group, device, type1 IOMMU. */
struct vfio_user {
	int container, group, device;
};

static void vfio_open(struct vfio_user *v, const char *bdf)
{
	struct vfio_group_status st = { .argsz = sizeof(st) };
	char path[64];
	int grp = rig_iommu_group(bdf);

	ck_assert_int_ge(grp, 0);
	v->container = open("/dev/vfio/vfio", O_RDWR | O_CLOEXEC);
	ck_assert_msg(v->container >= 0, "/dev/vfio/vfio: %s", strerror(errno));
	ck_assert_int_eq(ioctl(v->container, VFIO_GET_API_VERSION),
			 VFIO_API_VERSION);
	ck_assert_int_eq(
		ioctl(v->container, VFIO_CHECK_EXTENSION, VFIO_TYPE1_IOMMU), 1);
	snprintf(path, sizeof(path), "/dev/vfio/%d", grp);
	v->group = open(path, O_RDWR | O_CLOEXEC);
	ck_assert_msg(v->group >= 0, "%s: %s", path, strerror(errno));
	ck_assert_int_eq(ioctl(v->group, VFIO_GROUP_GET_STATUS, &st), 0);
	ck_assert(st.flags & VFIO_GROUP_FLAGS_VIABLE);
	ck_assert_int_eq(
		ioctl(v->group, VFIO_GROUP_SET_CONTAINER, &v->container), 0);
	ck_assert_int_eq(ioctl(v->container, VFIO_SET_IOMMU, VFIO_TYPE1_IOMMU),
			 0);
	v->device = ioctl(v->group, VFIO_GROUP_GET_DEVICE_FD, bdf);
	ck_assert_msg(v->device >= 0, "GET_DEVICE_FD: %s", strerror(errno));
}

static void vfio_map(struct vfio_user *v, void *vaddr, uint64_t iova,
		     uint64_t len)
{
	struct vfio_iommu_type1_dma_map m = {
		.argsz = sizeof(m),
		.flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE,
		.vaddr = (uintptr_t)vaddr,
		.iova = iova,
		.size = len,
	};

	ck_assert_msg(!ioctl(v->container, VFIO_IOMMU_MAP_DMA, &m),
		      "VFIO_IOMMU_MAP_DMA at %#llx: %s",
		      (unsigned long long)iova, strerror(errno));
}

static void vfio_close(struct vfio_user *v)
{
	close(v->device);
	close(v->group);
	close(v->container);
}

START_TEST(test_user_driver)
{
	const char *mode = getenv("P2PBUF_VM_IOMMU");
	struct p2pbuf_reach r = { .size = sizeof(r) };
	struct p2pbuf_segments s;
	struct p2pbuf_alloc a;
	struct vfio_user v;
	struct tu_nl_msg e[64];
	struct edu edu;
	volatile uint8_t *p, *user;
	uint64_t iova;
	uint32_t id;
	int fd = tu_dev_open(), sfd, n, i;

	ck_assert_msg(!mode || !strcmp(mode, "on"),
		      "test_vfio needs the IOMMU on (P2PBUF_VM_IOMMU=%s)",
		      mode);
	ck_assert(!rig_pci_has_driver(edu0));
	ck_assert_int_eq(edu_open(&edu, edu0), 0);

	/* A dma-sgl for edu while no driver owns it: DMA lands. */
	p = tu_alloc_map(fd, 0, LEN, &a);
	fill(p, LEN, 0x21);
	sfd = try_map(fd, (void *)p, LEN, edu0);
	ck_assert_msg(sfd >= 0, "MAP: %s", strerror(-sfd));
	id = tu_sgl_id(sfd);
	iova = first_dma(sfd);
	edu_copy(&edu, iova);
	for (i = 0; i < XFER; i++)
		ck_assert_uint_eq(p[8 * KIB + i], p[i]);
	fill(p, LEN, 0x21);
	tu_nl_events(&nl, e, 64, 200);

	/* vfio-pci binds: the dma-sgl is revoked before anyone opens it. */
	bind_vfio(edu0);
	tu_assert_sgl_revoked(sfd);
	n = tu_nl_events(&nl, e, 64, 1000);
	i = tu_nl_find_ev(e, n, P2PBUF_NL_CMD_SGL_REVOKE_NTF, id);
	ck_assert_msg(i >= 0, "no SGL_REVOKE event");
	ck_assert_uint_eq(e[i].reason, P2PBUF_NL_REVOKE_TARGET_USER_DRIVER);
	if (dma_api_mappings(edu0) >= 0)
		ck_assert_int_eq(dma_api_mappings(edu0), 0);

	/* Refused while vfio-pci is bound, and REACH says why. */
	ck_assert_int_eq(try_map(fd, (void *)p, LEN, edu0), -EBUSY);
	r.provider_id = P2PBUF_PROVIDER_ID_SYSMEM;
	r.target.devfn = 3 << 3;
	ck_assert_int_eq(ioctl(fd, P2PBUF_IOC_REACH, &r), 0);
	ck_assert_uint_eq(r.map_type, 0);
	ck_assert_uint_eq(r.reason, P2PBUF_UNREACH_USER_DRIVER);
	/* p2pctl says it in words, and map says what to do. */
	ck_assert_int_eq(p2pctl_says("reach --provider 0 --target 00:03.0",
				     "user-driver"),
			 6);
	ck_assert_int_eq(p2pctl_says("map --buffer-size 64K --target 00:03.0",
				     "driven from userspace"),
			 6);

	/*
	 * The VFIO user maps its own memory at the IOVA p2pbuf had handed
	 * out: edu's DMA there reads and writes only the user's memory.
	 */
	vfio_open(&v, edu0);
	ck_assert_int_eq(try_map(fd, (void *)p, LEN, edu0), -EBUSY);
	user = mmap(NULL, LEN, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	ck_assert(user != MAP_FAILED);
	fill(user, LEN, 0x77);
	vfio_map(&v, (void *)user, iova, LEN);
	/* Opening the device may have reset it: master again. */
	ck_assert_int_eq(rig_pci_set_master(edu0, true), 0);
	edu_copy(&edu, iova);
	check(user + 8 * KIB, XFER, 0x77, "the VFIO user's memory (written)");
	check(p, LEN, 0x21, "p2pbuf's buffer (untouched)");
	tu_segments(sfd, NULL, 0, &s);
	ck_assert_uint_eq(s.nr_segments, 0);
	vfio_close(&v);
	munmap((void *)user, LEN);
	close(sfd);

	/* vfio-pci lets go: MAP works and DMA lands again. */
	unbind_vfio(edu0);
	ck_assert_int_eq(rig_pci_set_master(edu0, true), 0);
	sfd = try_map(fd, (void *)p, LEN, edu0);
	ck_assert_msg(sfd >= 0, "MAP after unbind: %s", strerror(-sfd));
	edu_copy(&edu, first_dma(sfd));
	check(p + 8 * KIB, XFER, 0x21, "p2pbuf's buffer (written by edu)");
	close(sfd);
	edu_close(&edu);
	munmap((void *)p, LEN);
	close(fd);
}
END_TEST

static void setup(void)
{
	tu_nl_fixture_setup(&nl);
}

static void teardown(void)
{
	tu_nl_fixture_teardown(&nl);
}

static Suite *vfio_suite(void)
{
	Suite *s = suite_create("vfio");
	TCase *tc = tu_tcase(s, "vfio", 300, setup, teardown);

	tcase_add_test(tc, test_user_driver);
	return s;
}

int main(void)
{
	return tu_run(vfio_suite());
}
