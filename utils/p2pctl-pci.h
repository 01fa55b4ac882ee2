/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The PCI functions of the machine as sysfs shows them, for "p2pctl topo"
 * and "p2pctl doctor": addresses, classes, memory BARs (the resource
 * file), the IOMMU group and its domain type, the upstream bridge, and
 * the extended capabilities of the config space.  Everything is read
 * below a directory the caller names (normally /sys/bus/pci/devices), so
 * that the host tests can build a fake tree.
 */
#ifndef P2PCTL_PCI_H
#define P2PCTL_PCI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "libp2pbuf.h"

#define P2PCTL_SYSFS_PCI "/sys/bus/pci/devices"

/* The standard BARs, 0..5. */
#define P2PCTL_PCI_NR_BARS 6

/* One standard BAR, from a line of the resource file. */
struct p2pctl_pci_bar {
	uint64_t start, size; /* size 0: not implemented */
	uint64_t flags; /* the kernel's IORESOURCE_* bits */
};

/* The IORESOURCE_* bits the resource file shows (include/linux/ioport.h). */
#define P2PCTL_IORESOURCE_IO 0x00000100ULL
#define P2PCTL_IORESOURCE_MEM 0x00000200ULL
#define P2PCTL_IORESOURCE_PREFETCH 0x00002000ULL
#define P2PCTL_IORESOURCE_MEM_64 0x00100000ULL
#define P2PCTL_IORESOURCE_UNSET 0x20000000ULL

struct p2pctl_pci_fn {
	char name[P2PBUF_PCI_ADDR_STRLEN]; /* "dddd:bb:dd.f" */
	char short_name[P2PBUF_PCI_ADDR_STRLEN]; /* "bb:dd.f" in domain 0 */
	struct p2pbuf_pci_target addr;
	uint32_t vendor, device, class; /* class: 0xCCSSPP */
	/* The bridge above it ("" on a root bus): its upstream port. */
	char parent[P2PBUF_PCI_ADDR_STRLEN];
	/* The IOMMU group ("" without one) and its domain type ("" unknown). */
	char iommu_group[16];
	char iommu_type[24];
	struct p2pctl_pci_bar bars[P2PCTL_PCI_NR_BARS];
};

/* A bridge (class 06): never a DMA target in p2pctl's views. */
static inline bool p2pctl_pci_is_bridge(const struct p2pctl_pci_fn *f)
{
	return (f->class >> 16) == 0x06;
}

/* A memory BAR that has a size (assigned or not). */
static inline bool p2pctl_pci_is_mem_bar(const struct p2pctl_pci_bar *b)
{
	return b->size && (b->flags & P2PCTL_IORESOURCE_MEM);
}

/*
 * Every function below dir (P2PCTL_SYSFS_PCI if NULL), sorted by address:
 * *fnsp (free()) and *np.  0, or -errno of the directory (a function that
 * cannot be read completely is left out).
 */
int p2pctl_pci_scan(const char *dir, struct p2pctl_pci_fn **fnsp, size_t *np);

/* The function named name in fns, or NULL. */
const struct p2pctl_pci_fn *p2pctl_pci_find(const struct p2pctl_pci_fn *fns,
					    size_t n, const char *name);

/*
 * The config space of f (up to 4096 bytes) into buf: the number of bytes
 * read (64 for an unprivileged reader on most kernels, 256 or 4096 for
 * root), or -errno.
 */
int p2pctl_pci_config(const char *dir, const struct p2pctl_pci_fn *f,
		      uint8_t *buf, size_t len);

/*
 * The offset of the PCI Express extended capability id in the config
 * space cfg of len bytes, 0 if it has none (or no extended space: 256
 * bytes), -ENODATA if len is less than 256 (an unprivileged read).
 */
int p2pctl_pci_ext_cap(const uint8_t *cfg, size_t len, uint16_t id);

struct p2pctl;

/*
 * p2pctl_pci_scan() of p->sysfs_pci for the command what, reporting a
 * failure; an exit status.
 */
int p2pctl_topo_scan(const struct p2pctl *p, const char *what,
		     struct p2pctl_pci_fn **fnsp, size_t *np);

#define P2PCTL_PCI_EXT_CAP_ACS 0x000d
#define P2PCTL_PCI_EXT_CAP_REBAR 0x0015

#endif /* P2PCTL_PCI_H */
