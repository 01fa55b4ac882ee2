/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * p2pbuf.h - internal declarations of the p2pbuf driver.
 */
#ifndef _P2PBUF_H
#define _P2PBUF_H

#include <linux/kref.h>
#include <linux/mutex.h>
#include <linux/pid.h>
#include <linux/spinlock.h>
#include <linux/types.h>

#include <linux/p2pbuf.h>

#include "p2pbuf_compat.h"

/**
 * struct p2pbuf_file - per-open context of /dev/p2pbuf
 * @owner: thread group that opened the file, for diagnostics and the
 *	object listings; referenced for the lifetime of the file
 * @lock: serialises ioctls that create or destroy objects owned by this
 *	file, and protects the per-file object tables added with them
 *
 * Allocated in open(), freed in release() when the last reference to the
 * struct file is gone; every object created through the file holds what
 * it needs on its own, so release() never waits for userspace.
 */
struct p2pbuf_file {
	struct pid *owner;
	struct mutex lock; /* see above: serialises object changes */
};

struct netlink_ext_ack;
struct p2pbuf_provider;
struct sk_buff;

/**
 * struct p2pbuf_provider_ops - what one kind of provider implements
 * @kind: %P2PBUF_NL_PROVIDER_KIND_* value reported to userspace
 * @name: name of the kind, for messages ("sysmem", "pcibar")
 * @free_bytes: bytes not allocated to buffers.  Called with no lock held;
 *	the value is a snapshot.
 * @fill_nl: add the kind's own attributes (PCI address, BAR, ...) to a
 *	netlink message being built; return -EMSGSIZE when @skb is full.
 *	May be NULL.  Called with no lock held.
 * @release: free everything the provider owns (device references, the
 *	pool, the structure itself).  Called exactly once, in process
 *	context, when the last reference is dropped; no buffer exists then.
 *
 * Callers (the netlink family, and the buffer code of later versions) only
 * use these ops and the generic fields of struct p2pbuf_provider, so a new
 * kind (p2pdma: pci_alloc_p2pmem() on CONFIG_PCI_P2PDMA kernels) is one new
 * ops table and one constructor.  Buffer allocation adds two ops with this
 * contract: alloc(prov, size, extent) carves a page-aligned, physically
 * contiguous range out of the provider (sysmem: high-order pages falling
 * back to smaller orders; pcibar: gen_pool_alloc() on the pool) or fails
 * with -ENOMEM, and free(prov, extent) returns it; both are called with a
 * reference held and with the provider's @lock not held.
 */
struct p2pbuf_provider_ops {
	u32 kind;
	const char *name;
	u64 (*free_bytes)(struct p2pbuf_provider *prov);
	int (*fill_nl)(struct p2pbuf_provider *prov, struct sk_buff *skb);
	void (*release)(struct p2pbuf_provider *prov);
};

/**
 * struct p2pbuf_provider - a source of buffer memory
 * @ref: references: one held by the registry while the provider is
 *	registered, one by every user that looked it up
 *	(p2pbuf_provider_get()), and later one by every buffer allocated
 *	from it.  The last p2pbuf_provider_put() calls @ops->release.
 * @ops: the kind's operations
 * @id: registry id, stable for the provider's life; %P2PBUF_PROVIDER_ID_SYSMEM
 *	is the built-in sysmem provider, registered ids start at 1 and are
 *	allocated cyclically, so a removed id is not reused soon
 * @size: bytes of memory the provider manages
 * @flags: %P2PBUF_NL_PROVIDER_F_* bits
 * @numa_node: NUMA node of the memory, %NUMA_NO_NODE if none
 * @devmem: the provider is device memory at CPU physical addresses
 *	[@phys, @phys + @size), which registrations must not overlap
 * @phys: see @devmem
 * @lock: protects @removed and @nr_buffers, so that buffer creation
 *	(which checks @removed) and removal (which checks @nr_buffers) see
 *	each other
 * @removed: set once when the provider leaves the registry; no buffer is
 *	created from it afterwards
 * @nr_buffers: buffers currently allocated from the provider
 *
 * Everything but @ref, @removed and @nr_buffers is set before the provider
 * is registered and never changes, so it is read without locks by anyone
 * holding a reference.  The registry itself (which ids exist) is protected
 * by a mutex private to p2pbuf_provider.c.
 */
struct p2pbuf_provider {
	struct kref ref;
	const struct p2pbuf_provider_ops *ops;
	u32 id;
	u64 size;
	u32 flags;
	int numa_node;
	bool devmem;
	phys_addr_t phys;
	spinlock_t lock; /* see above: @removed, @nr_buffers */
	bool removed;
	unsigned int nr_buffers;
};

/**
 * struct p2pbuf_pcibar_params - what a pcibar registration names
 * @domain: PCI domain (segment) of the device
 * @bus: bus number
 * @devfn: device and function, PCI_DEVFN()
 * @bar: BAR index, 0..5
 * @offset: start of the range in the BAR; page aligned
 * @size: size of the range; page aligned; 0 means up to the end of the BAR
 */
struct p2pbuf_pcibar_params {
	u32 domain;
	u8 bus;
	u8 devfn;
	u32 bar;
	u64 offset;
	u64 size;
};

/* p2pbuf_provider.c: the registry and the sysmem and pcibar kinds. */
int p2pbuf_providers_init(void);
void p2pbuf_providers_exit(void);
struct p2pbuf_provider *p2pbuf_provider_get(u32 id);
void p2pbuf_provider_put(struct p2pbuf_provider *prov);
unsigned int p2pbuf_provider_nr_buffers(struct p2pbuf_provider *prov);
int p2pbuf_pcibar_add(const struct p2pbuf_pcibar_params *params,
		      struct netlink_ext_ack *extack,
		      struct p2pbuf_provider **provp);
int p2pbuf_provider_del(u32 id, struct netlink_ext_ack *extack);
int p2pbuf_providers_for_each(unsigned long *pos,
			      int (*fn)(struct p2pbuf_provider *prov,
					void *arg),
			      void *arg);

/* p2pbuf_netlink.c: the "p2pbuf" generic netlink family. */
int p2pbuf_nl_init(void);
void p2pbuf_nl_exit(void);
void p2pbuf_nl_notify_provider(struct p2pbuf_provider *prov, u8 cmd);

#endif /* _P2PBUF_H */
