/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Test-rig helpers for guest tests: find the rig's PCI devices, drive QEMU's
 * edu device from userspace through sysfs (BAR0 mmap, bus mastering via the
 * config file), switch IOMMU group types, and watch the kernel log.
 *
 * edu (1234:11e8) BAR0 registers: 0x00 ident (0x010000ed), 0x04 liveness
 * (reads back ~written), 0x80 DMA source, 0x88 DMA destination, 0x90 count,
 * 0x98 command (bit 0 start/busy, bit 1 direction: 0 RAM->edu, 1 edu->RAM).
 * Its 4 KiB internal buffer lives at edu address 0x40000 and is reachable
 * ONLY by DMA (QEMU does not expose it through BAR0).  A transfer is done
 * by a timer 100 ms (virtual time) after it is started.  QEMU 7.2 kills the
 * VM when a transfer ends exactly at the end of the buffer: keep
 * buf_off + len <= EDU_DMA_MAX.  When the IOMMU rejects a DMA read, QEMU
 * stores zeros in place of the data.
 */
#ifndef P2PBUF_TESTS_GUEST_EDU_H
#define P2PBUF_TESTS_GUEST_EDU_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RIG_EDU_VENDOR 0x1234
#define RIG_EDU_DEVICE 0x11e8
#define RIG_IVSHMEM_VENDOR 0x1af4
#define RIG_IVSHMEM_DEVICE 0x1110
/*
 * The debug rig's QEMU NVMe controller, whose 64 MiB controller memory
 * buffer the nvme driver registers as p2pmem (CONFIG_PCI_P2PDMA kernels).
 */
#define RIG_NVME_VENDOR 0x1b36
#define RIG_NVME_DEVICE 0x0010
#define RIG_NVME_CMB_SIZE (64ULL << 20)
#define RIG_BDF_LEN 32 /* "0000:00:03.0" */

#define EDU_REG_IDENT 0x00
#define EDU_REG_ALIVE 0x04
#define EDU_REG_DMA_SRC 0x80
#define EDU_REG_DMA_DST 0x88
#define EDU_REG_DMA_CNT 0x90
#define EDU_REG_DMA_CMD 0x98
#define EDU_DMA_CMD_START 0x1
#define EDU_DMA_CMD_TO_RAM 0x2
#define EDU_BUF_ADDR 0x40000ULL
#define EDU_BUF_SIZE 4096
#define EDU_DMA_MAX (EDU_BUF_SIZE - 1) /* QEMU 7.2 off-by-one, see above */
#define EDU_BAR0_SIZE (1024 * 1024)

/* PCI/sysfs helpers.  All return 0 or a negative errno unless noted. */

/* Fill bdfs[0..max) with the BDFs of vendor:device, sorted; return count. */
int rig_pci_find(unsigned int vendor, unsigned int device,
		 char bdfs[][RIG_BDF_LEN], int max);
/* Start and size of BAR bar from /sys/bus/pci/devices/<bdf>/resource. */
int rig_pci_resource(const char *bdf, int bar, uint64_t *start, uint64_t *size);
/* mmap len bytes of resource<bar> (MAP_SHARED, read/write), NULL on error. */
void *rig_pci_map_bar(const char *bdf, int bar, size_t len);
/* Set or clear Memory Space + Bus Master (bits 1|2 of the command reg). */
int rig_pci_set_master(const char *bdf, bool on);
/* True if bdf sits (at any depth) below the bridge/port bridge_bdf. */
bool rig_pci_is_below(const char *bdf, const char *bridge_bdf);
/* True if a driver is bound to bdf. */
bool rig_pci_has_driver(const char *bdf);

/* IOMMU group number of bdf, or a negative errno. */
int rig_iommu_group(const char *bdf);
/* Default-domain type of an IOMMU group ("DMA", "DMA-FQ", "identity"...). */
int rig_iommu_group_type(int group, char *buf, size_t len);
/* Change it (only possible while no driver is bound in the group). */
int rig_iommu_group_set_type(int group, const char *type);

/* The edu device, driven from userspace. */
struct edu {
	char bdf[RIG_BDF_LEN];
	volatile uint8_t *mmio; /* BAR0 */
};

/* Map BAR0, turn bus mastering on, check the ident and liveness regs. */
int edu_open(struct edu *e, const char *bdf);
void edu_close(struct edu *e);
uint32_t edu_read32(const struct edu *e, unsigned int reg);
void edu_write32(const struct edu *e, unsigned int reg, uint32_t val);
uint64_t edu_read64(const struct edu *e, unsigned int reg);
void edu_write64(const struct edu *e, unsigned int reg, uint64_t val);

enum edu_dma_dir {
	EDU_DMA_FROM_RAM = 0, /* bus address -> edu buffer */
	EDU_DMA_TO_RAM = 1, /* edu buffer -> bus address */
};
/*
 * One DMA between bus address addr (an IOVA when the IOMMU translates for
 * edu) and edu's buffer at buf_off; waits up to timeout_ms for completion.
 * Returns 0, -EINVAL (range beyond EDU_DMA_MAX), -EBUSY (a DMA is running)
 * or -ETIMEDOUT.  Completion says nothing about success: a DMA the IOMMU
 * rejects completes too (and leaves a DMAR fault in the kernel log).
 */
int edu_dma(const struct edu *e, uint64_t addr, uint32_t buf_off, uint32_t len,
	    enum edu_dma_dir dir, int timeout_ms);

/* Kernel log (/dev/kmsg). */

/* Open /dev/kmsg for reading, positioned after the current last record. */
int rig_kmsg_open(void);
/*
 * Wait up to timeout_ms for a new record containing every string of
 * needles (NULL-terminated); copy its text to line.  0 or -ETIMEDOUT.
 */
int rig_kmsg_wait(int fd, const char *const needles[], char *line, size_t len,
		  int timeout_ms);
/* Write one line to the kernel log (printf-style). */
int rig_kmsg_write(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Markers that make tests/vm/scan-log.sh tolerate provoked DMAR faults. */
#define RIG_EXPECT_DMAR_BEGIN "P2PBUF-EXPECT-DMAR-BEGIN"
#define RIG_EXPECT_DMAR_END "P2PBUF-EXPECT-DMAR-END"
/*
 * Markers around injected allocation failures (fail-nth): the allocator's
 * own report of a failed allocation without __GFP_NOWARN ("page
 * allocation failure:", "vmalloc error:", with a stack dump) is expected
 * there.
 */
#define RIG_EXPECT_ALLOCFAIL_BEGIN "P2PBUF-EXPECT-ALLOCFAIL-BEGIN"
#define RIG_EXPECT_ALLOCFAIL_END "P2PBUF-EXPECT-ALLOCFAIL-END"

#endif /* P2PBUF_TESTS_GUEST_EDU_H */
