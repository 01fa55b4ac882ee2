// SPDX-License-Identifier: GPL-2.0
/*
 * Guest test: the QEMU test rig itself (tests/vm/run-qemu.sh).
 *
 * devices: 2 edu, 2 ivshmem (64 MiB BAR2), the PCIe switch with one edu
 *          and one ivshmem behind it, the IOMMU active and translating for
 *          every edu and ivshmem (separate groups).
 * oracle:  edu driven from userspace tells a right DMA address from a wrong
 *          one: with edu's group in an identity domain a transfer to/from
 *          the ivshmem BAR's bus address moves data (positive control); with
 *          the normal translated domain the same transfer raises a DMAR fault
 *          naming edu and the address, and no data moves.
 */
#include "util.h"

#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define MAXDEV 8
#define XFER 2048 /* < 4096: QEMU 7.2 edu off-by-one */
#define FAULT_WAIT_MS 10000

static int find(unsigned int v, unsigned int d, char bdfs[][RIG_BDF_LEN])
{
	return rig_pci_find(v, d, bdfs, MAXDEV);
}

START_TEST(test_edu_present)
{
	char edu[MAXDEV][RIG_BDF_LEN];
	int n = find(RIG_EDU_VENDOR, RIG_EDU_DEVICE, edu), i;

	ck_assert_msg(n == 2, "expected 2 edu devices (1234:11e8), found %d",
		      n);
	for (i = 0; i < n; i++) {
		uint64_t start, size;

		ck_assert_int_eq(rig_pci_resource(edu[i], 0, &start, &size), 0);
		ck_assert_uint_eq(size, EDU_BAR0_SIZE);
		ck_assert_msg(!rig_pci_has_driver(edu[i]),
			      "%s unexpectedly bound to a driver", edu[i]);
	}
}
END_TEST

START_TEST(test_ivshmem_present)
{
	char iv[MAXDEV][RIG_BDF_LEN];
	int n = find(RIG_IVSHMEM_VENDOR, RIG_IVSHMEM_DEVICE, iv), i;

	ck_assert_msg(n == 2,
		      "expected 2 ivshmem devices (1af4:1110), found %d", n);
	for (i = 0; i < n; i++) {
		uint64_t start, size;

		ck_assert_int_eq(rig_pci_resource(iv[i], 2, &start, &size), 0);
		ck_assert_msg(size == 64ULL << 20, "%s BAR2 is %llu bytes",
			      iv[i], (unsigned long long)size);
	}
}
END_TEST

START_TEST(test_switch_present)
{
	char up[MAXDEV][RIG_BDF_LEN], down[MAXDEV][RIG_BDF_LEN];
	char edu[MAXDEV][RIG_BDF_LEN], iv[MAXDEV][RIG_BDF_LEN];
	int nup = find(0x104c, 0x8232, up), ndown = find(0x104c, 0x8233, down);
	int i, j, edu_below = 0, iv_below = 0;
	int nedu = find(RIG_EDU_VENDOR, RIG_EDU_DEVICE, edu);
	int niv = find(RIG_IVSHMEM_VENDOR, RIG_IVSHMEM_DEVICE, iv);

	ck_assert_msg(nup == 1, "expected 1 x3130 upstream port, found %d",
		      nup);
	ck_assert_msg(ndown == 2,
		      "expected 2 xio3130 downstream ports, found %d", ndown);
	for (i = 0; i < ndown; i++) {
		ck_assert_msg(rig_pci_is_below(down[i], up[0]),
			      "%s not below %s", down[i], up[0]);
		for (j = 0; j < nedu && j < MAXDEV; j++)
			edu_below += rig_pci_is_below(edu[j], down[i]);
		for (j = 0; j < niv && j < MAXDEV; j++)
			iv_below += rig_pci_is_below(iv[j], down[i]);
	}
	ck_assert_msg(edu_below == 1, "%d edu behind the switch, expected 1",
		      edu_below);
	ck_assert_msg(iv_below == 1, "%d ivshmem behind the switch, expected 1",
		      iv_below);
}
END_TEST

START_TEST(test_iommu_active)
{
	char edu[MAXDEV][RIG_BDF_LEN], iv[MAXDEV][RIG_BDF_LEN];
	char type[64], path[128];
	int nedu = find(RIG_EDU_VENDOR, RIG_EDU_DEVICE, edu);
	int niv = find(RIG_IVSHMEM_VENDOR, RIG_IVSHMEM_DEVICE, iv);
	int groups[2 * MAXDEV], ng = 0, i, j;

	ck_assert_msg(access("/sys/class/iommu/dmar0", F_OK) == 0,
		      "no /sys/class/iommu/dmar0: the IOMMU is not active");
	ck_assert_int_eq(nedu, 2);
	ck_assert_int_eq(niv, 2);
	for (i = 0; i < nedu + niv; i++) {
		const char *bdf = i < nedu ? edu[i] : iv[i - nedu];
		int g = rig_iommu_group(bdf);

		ck_assert_msg(g >= 0, "%s is in no IOMMU group", bdf);
		ck_assert_int_eq(rig_iommu_group_type(g, type, sizeof(type)),
				 0);
		ck_assert_msg(!strcmp(type, "DMA") || !strcmp(type, "DMA-FQ"),
			      "%s: IOMMU group %d has type %s, expected DMA",
			      bdf, g, type);
		for (j = 0; j < ng; j++)
			ck_assert_msg(groups[j] != g,
				      "%s shares IOMMU group %d", bdf, g);
		groups[ng++] = g;
		snprintf(path, sizeof(path),
			 "/sys/class/iommu/dmar0/devices/%.*s", RIG_BDF_LEN,
			 bdf);
		ck_assert_msg(access(path, F_OK) == 0, "%s not behind dmar0",
			      bdf);
	}
}
END_TEST

/* The rig pair for the oracle: edu0 (00:03.0-like, a group of its own) and
 * the ivshmem BAR it targets. */
struct oracle {
	struct edu edu;
	int group;
	char iv[RIG_BDF_LEN];
	uint64_t iv_bus; /* BAR2 bus address = CPU physical address on x86 */
	volatile uint8_t *iv_map;
	int kmsg;
};

#define IV_MAP_LEN (64 * 1024)
#define PG(n) ((n)*4096)

static void oracle_setup(struct oracle *o, int which)
{
	char edu[MAXDEV][RIG_BDF_LEN], iv[MAXDEV][RIG_BDF_LEN];
	uint64_t size;
	char type[64];

	ck_assert_int_eq(find(RIG_EDU_VENDOR, RIG_EDU_DEVICE, edu), 2);
	ck_assert_int_eq(find(RIG_IVSHMEM_VENDOR, RIG_IVSHMEM_DEVICE, iv), 2);
	ck_assert_int_eq(edu_open(&o->edu, edu[which]), 0);
	o->group = rig_iommu_group(o->edu.bdf);
	ck_assert_int_ge(o->group, 0);
	ck_assert_int_eq(rig_iommu_group_type(o->group, type, sizeof(type)), 0);
	ck_assert_msg(!strcmp(type, "DMA") || !strcmp(type, "DMA-FQ"),
		      "group %d of %s is %s", o->group, o->edu.bdf, type);
	snprintf(o->iv, sizeof(o->iv), "%s", iv[which]);
	ck_assert_int_eq(rig_pci_resource(o->iv, 2, &o->iv_bus, &size), 0);
	o->iv_map = rig_pci_map_bar(o->iv, 2, IV_MAP_LEN);
	ck_assert_ptr_nonnull((void *)o->iv_map);
	o->kmsg = rig_kmsg_open();
	ck_assert_int_ge(o->kmsg, 0);
}

static void fill(volatile uint8_t *p, uint8_t seed, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		p[i] = (uint8_t)(seed + i * 7);
}

static int same(const volatile uint8_t *p, uint8_t seed, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (p[i] != (uint8_t)(seed + i * 7))
			return 0;
	return 1;
}

static int all_zero(const volatile uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (p[i])
			return 0;
	return 1;
}

/* One DMA the IOMMU must reject; returns whether the matching DMAR fault
 * line was seen (copied to line).  Brackets it with the scanner markers. */
static int provoke_fault(struct oracle *o, uint64_t addr, enum edu_dma_dir dir,
			 char *line, size_t len)
{
	char bdf[24], fault_addr[32];
	const char *needles[] = { "DMAR:", NULL, NULL, NULL, NULL };
	int dma, seen;

	/*
	 * The device is "[00:03.0]" up to 6.x, "[0000:00:03.0]" on 7.x:
	 * match the bus:dev.fn and the closing bracket.
	 */
	snprintf(bdf, sizeof(bdf), "%s]", o->edu.bdf + 5);
	snprintf(fault_addr, sizeof(fault_addr), "fault addr 0x%llx",
		 (unsigned long long)addr);
	needles[1] = dir == EDU_DMA_TO_RAM ? "DMA Write" : "DMA Read";
	needles[2] = bdf;
	needles[3] = fault_addr;

	rig_kmsg_write("%s test_rig %s %s 0x%llx", RIG_EXPECT_DMAR_BEGIN,
		       o->edu.bdf, needles[1], (unsigned long long)addr);
	dma = edu_dma(&o->edu, addr, 0, XFER, dir, TU_DMA_WAIT_MS);
	seen = dma == 0 &&
	       rig_kmsg_wait(o->kmsg, needles, line, len, FAULT_WAIT_MS) == 0;
	rig_kmsg_write("%s test_rig %s", RIG_EXPECT_DMAR_END, o->edu.bdf);
	ck_assert_msg(dma == 0, "edu DMA did not complete: %s", strerror(-dma));
	return seen;
}

/* provoke_fault(), which must see the fault; says what it saw. */
static void expect_fault(struct oracle *o, uint64_t addr, enum edu_dma_dir dir)
{
	char line[512] = "";

	ck_assert_msg(provoke_fault(o, addr, dir, line, sizeof(line)),
		      "no DMAR fault (%s, [%s], 0x%llx) in the kernel log",
		      dir == EDU_DMA_TO_RAM ? "DMA Write" : "DMA Read",
		      o->edu.bdf + 5, (unsigned long long)addr);
	printf("test_rig: %s: observed: %s\n", o->edu.bdf, line);
}

/*
 * edu0, whose IOMMU group can be switched to identity (no driver bound in
 * it).  Pages of the ivshmem0 BAR:  1: pattern B (positive-control source),
 * 2: pattern A (fault target, must stay A),  3: positive-control
 * destination,  4: pattern C (faulting read source),  5: read-back.
 */
START_TEST(test_dma_oracle)
{
	struct oracle o;
	int ret, c_arrived, b_kept, zeroed, positive_ok;

	oracle_setup(&o, 0);
	fill(o.iv_map + PG(1), 0xb0, XFER);
	fill(o.iv_map + PG(2), 0xa0, XFER);
	memset((void *)(o.iv_map + PG(3)), 0, XFER);
	fill(o.iv_map + PG(4), 0xc0, XFER);
	memset((void *)(o.iv_map + PG(5)), 0, XFER);

	/* Positive control: identity domain, bus address = physical. */
	ret = rig_iommu_group_set_type(o.group, "identity");
	ck_assert_msg(ret == 0, "cannot switch IOMMU group %d to identity: %s",
		      o.group, strerror(-ret));
	ret = edu_dma(&o.edu, o.iv_bus + PG(1), 0, XFER, EDU_DMA_FROM_RAM,
		      TU_DMA_WAIT_MS);
	if (!ret)
		ret = edu_dma(&o.edu, o.iv_bus + PG(3), 0, XFER, EDU_DMA_TO_RAM,
			      TU_DMA_WAIT_MS);
	positive_ok = ret == 0 && same(o.iv_map + PG(3), 0xb0, XFER);
	ck_assert_int_eq(rig_iommu_group_set_type(o.group, "DMA"), 0);
	ck_assert_msg(
		positive_ok,
		"positive control failed: edu did not copy ivshmem page 1 "
		"to page 3 through an identity domain (ret %d)",
		ret);

	/* Translated domain: the raw bus address is wrong for edu now. */
	expect_fault(&o, o.iv_bus + PG(2), EDU_DMA_TO_RAM);
	ck_assert_msg(same(o.iv_map + PG(2), 0xa0, XFER),
		      "edu->RAM DMA to a wrong address changed the target");

	expect_fault(&o, o.iv_bus + PG(4), EDU_DMA_FROM_RAM);

	/* What is in edu's buffer now?  Read it back through identity. */
	ck_assert_int_eq(rig_iommu_group_set_type(o.group, "identity"), 0);
	ret = edu_dma(&o.edu, o.iv_bus + PG(5), 0, XFER, EDU_DMA_TO_RAM,
		      TU_DMA_WAIT_MS);
	ck_assert_int_eq(rig_iommu_group_set_type(o.group, "DMA"), 0);
	ck_assert_int_eq(ret, 0);
	c_arrived = same(o.iv_map + PG(5), 0xc0, XFER);
	b_kept = same(o.iv_map + PG(5), 0xb0, XFER);
	zeroed = all_zero(o.iv_map + PG(5), XFER);
	printf("test_rig: %s: edu buffer after the rejected read: %s\n",
	       o.edu.bdf,
	       b_kept ? "untouched" :
	       zeroed ? "zero-filled (QEMU stores zeros for a rejected read)" :
			"changed");
	ck_assert_msg(!c_arrived,
		      "data from a wrong address reached edu's buffer");
	ck_assert_msg(b_kept || zeroed, "edu's buffer holds unexpected data");
	edu_close(&o.edu);
}
END_TEST

/* edu1 behind the switch (its group holds the bound downstream port, so it
 * cannot go identity): the rejected write must fault and move nothing. */
START_TEST(test_dma_oracle_switch)
{
	struct oracle o;

	oracle_setup(&o, 1);
	fill(o.iv_map + PG(2), 0xa0, XFER);
	expect_fault(&o, o.iv_bus + PG(2), EDU_DMA_TO_RAM);
	ck_assert_msg(same(o.iv_map + PG(2), 0xa0, XFER),
		      "edu->RAM DMA to a wrong address changed the target");
	edu_close(&o.edu);
}
END_TEST

/*
 * The debug rig (P2PBUF_VM_RIG=debug, the self-built CONFIG_PCI_P2PDMA
 * kernel) adds a QEMU NVMe controller (RIG_NVME_*) with a 64 MiB controller
 * memory buffer, which the nvme driver registers as p2pmem.
 */

START_TEST(test_nvme_cmb_p2pmem)
{
	char nvme[MAXDEV][RIG_BDF_LEN], path[128];
	unsigned long long size = 0;
	FILE *f;
	int n = find(RIG_NVME_VENDOR, RIG_NVME_DEVICE, nvme);

	ck_assert_msg(n == 1,
		      "expected 1 NVMe controller (1b36:0010), found %d", n);
	ck_assert_msg(rig_pci_has_driver(nvme[0]), "%s has no driver bound",
		      nvme[0]);
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/p2pmem/size",
		 nvme[0]);
	f = fopen(path, "r");
	ck_assert_msg(f, "%s: %s (CMB not registered as p2pmem)", path,
		      strerror(errno));
	ck_assert_int_eq(fscanf(f, "%llu", &size), 1);
	fclose(f);
	ck_assert_msg(size == RIG_NVME_CMB_SIZE, "p2pmem size %llu, want %llu",
		      size, RIG_NVME_CMB_SIZE);
}
END_TEST

static Suite *rig_suite(void)
{
	Suite *s = suite_create("rig");
	TCase *tc;

	tc = tu_tcase(s, "devices", TU_VM_TIMEOUT, NULL, NULL);
	tcase_add_test(tc, test_edu_present);
	tcase_add_test(tc, test_ivshmem_present);
	tcase_add_test(tc, test_switch_present);
	tcase_add_test(tc, test_iommu_active);
	if (tu_rig_is("debug"))
		tcase_add_test(tc, test_nvme_cmb_p2pmem);

	tc = tu_tcase(s, "dma_oracle", TU_VM_TIMEOUT, NULL, NULL);
	tcase_add_test(tc, test_dma_oracle);
	tcase_add_test(tc, test_dma_oracle_switch);
	return s;
}

int main(void)
{
	return tu_run(rig_suite());
}
