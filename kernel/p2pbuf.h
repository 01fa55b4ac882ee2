/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * p2pbuf.h - internal declarations of the p2pbuf driver.
 *
 * Who may call whom (each file calls only the layers below it; nothing
 * below calls up except through the consumer operations and the event
 * hook of p2pbuf_core.c):
 *
 *	p2pbuf_main.c      /dev/p2pbuf, ioctl dispatch, module init, tunables
 *	p2pbuf_netlink.c   the generic netlink family (registers the event hook)
 *	p2pbuf_revoke.c    the order of revocation; device removal and unbind
 *	p2pbuf_sgl.c       dma-sgls (a consumer of buffers and of a target,
 *	                   and an importer of dma-bufs for its target)
 *	p2pbuf_export.c    dma-buf exports (a consumer of a buffer, and their
 *	                   importers of their targets)
 *	p2pbuf_dma.c       DMA mappings of buffers, shared per device
 *	p2pbuf_buffer.c    buffers, their mappings (the special VMA)
 *	p2pbuf_target.c    PCI targets: ownership, removal, reachability
 *	p2pbuf_provider.c  the provider registry and the provider kinds
 *	p2pbuf_core.c      consumer lists and the event hook
 *	p2pbuf_debugfs.c   test hooks (test builds only)
 */
#ifndef _P2PBUF_H
#define _P2PBUF_H

#include <linux/dma-direction.h>
#include <linux/kref.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/pid.h>
#include <linux/rwsem.h>
#include <linux/sched.h>
#include <linux/uidgid.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/xarray.h>

#include <linux/p2pbuf.h>

#include "p2pbuf_compat.h"

struct address_space;
struct device;
struct netlink_ext_ack;
struct p2pbuf_buffer;
struct p2pbuf_consumer;
struct p2pbuf_exp;
struct p2pbuf_ioctl_call;
struct p2pbuf_provider;
struct p2pbuf_sgl;
struct pci_dev;
struct sk_buff;
struct user_struct;
struct vm_area_struct;

/* --- p2pbuf_core.c: consumers and events -------------------------------- */

/**
 * struct p2pbuf_consumer_ops - how revocation reaches a consumer
 * @get: take a reference on the consumer's owner unless it is already
 *	being freed (return false then).  Called with the consumer list's
 *	lock held; must not sleep.
 * @put: drop the reference @get took.  Process context.
 * @revoke: revoke the consumer: tell its user first (state, pollers,
 *	event), then tear its DMA mapping down, and leave every consumer
 *	list.  Called with no p2pbuf lock held; process context, may sleep.
 *	Idempotent.
 */
struct p2pbuf_consumer_ops {
	bool (*get)(struct p2pbuf_consumer *c);
	void (*put)(struct p2pbuf_consumer *c);
	void (*revoke)(struct p2pbuf_consumer *c, u32 reason);
};

/**
 * struct p2pbuf_consumer - one use of a buffer's memory or of a target
 * @node: entry in a &struct p2pbuf_consumers list, under its lock; empty
 *	(list_empty()) when in no list
 * @ops: the owner's operations
 *
 * Embedded in its owner (a dma-sgl has one per buffer it covers and one
 * for its target).  Revocation finds consumers through these lists only,
 * so revoking a buffer or a target costs O(its consumers).
 */
struct p2pbuf_consumer {
	struct list_head node;
	const struct p2pbuf_consumer_ops *ops;
};

/**
 * struct p2pbuf_consumers - the consumers of a buffer or of a target
 * @lock: protects @list and @closed (and what the owner documents)
 * @list: &p2pbuf_consumer.node entries
 * @closed: no consumer may join (the buffer was revoked, the target is
 *	gone); joining fails with -ENODEV
 * @revokes: how many times p2pbuf_consumers_revoke() started on this list;
 *	lets a joiner that must look at state it cannot read under @lock
 *	(p2pbuf_target_attach()) tell whether a revocation ran meanwhile
 */
struct p2pbuf_consumers {
	struct mutex lock; /* see above */
	struct list_head list;
	bool closed;
	unsigned long revokes;
};

void p2pbuf_consumers_init(struct p2pbuf_consumers *cs);
void p2pbuf_consumers_destroy(struct p2pbuf_consumers *cs);
int p2pbuf_consumers_add_locked(struct p2pbuf_consumers *cs,
				struct p2pbuf_consumer *c);
void p2pbuf_consumers_del(struct p2pbuf_consumers *cs,
			  struct p2pbuf_consumer *c);
void p2pbuf_consumers_close(struct p2pbuf_consumers *cs, bool closed);
unsigned int p2pbuf_consumers_revoke(struct p2pbuf_consumers *cs,
				     u32 reason);

/**
 * struct p2pbuf_device_event - object of %P2PBUF_NL_CMD_DEVICE_GONE_NTF
 * @pdev: the device
 * @reason: enum p2pbuf_nl_revoke_reason
 */
struct p2pbuf_device_event {
	struct pci_dev *pdev;
	u32 reason;
};

/*
 * The event hook: @cmd is a P2PBUF_NL_CMD_*_NTF, @obj the object it
 * describes (struct p2pbuf_provider, p2pbuf_buffer, p2pbuf_sgl or
 * p2pbuf_exp with its lock held, or p2pbuf_device_event).
 */
typedef void (*p2pbuf_event_fn)(u8 cmd, void *obj);

void p2pbuf_event_register(p2pbuf_event_fn fn);
void p2pbuf_event(u8 cmd, void *obj);

/* --- p2pbuf_provider.c: the registry and the provider kinds ------------- */

/**
 * struct p2pbuf_chunk - a physically contiguous piece of a buffer
 * @phys: CPU physical address, page aligned
 * @len: bytes, a multiple of the page size; for sysmem PAGE_SIZE << order
 *	of the allocation the chunk is
 */
struct p2pbuf_chunk {
	phys_addr_t phys;
	u64 len;
};

/**
 * struct p2pbuf_extent - the memory of one buffer, as chunks in buffer order
 * @chunks: @nr chunks (kvmalloc'ed; NULL when @nr is 0)
 * @nr: chunks in use
 * @cap: chunks allocated
 *
 * Filled by the provider's alloc op, emptied by its free op.  pcibar
 * buffers are always one chunk; sysmem buffers are as few chunks of the
 * highest order the page allocator gives.
 */
struct p2pbuf_extent {
	struct p2pbuf_chunk *chunks;
	unsigned int nr;
	unsigned int cap;
};

int p2pbuf_extent_add(struct p2pbuf_extent *ext, phys_addr_t phys, u64 len);
void p2pbuf_extent_destroy(struct p2pbuf_extent *ext);

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
 * @alloc: fill the empty @ext with @size bytes (a multiple of the page
 *	size) of zeroed memory, as page-aligned physically contiguous chunks
 *	(sysmem: high-order pages falling back to smaller orders; pcibar: one
 *	gen_pool range, 2 MiB aligned when it is that large and the pool
 *	allows); on failure @ext is left empty and -ENOMEM returned.  Called
 *	through p2pbuf_provider_alloc(), in process context (it may sleep),
 *	with a reference held and no lock held.
 * @free: return what @alloc put in @ext and empty it.  Same context.
 */
struct p2pbuf_provider_ops {
	u32 kind;
	const char *name;
	u64 (*free_bytes)(struct p2pbuf_provider *prov);
	int (*fill_nl)(struct p2pbuf_provider *prov, struct sk_buff *skb);
	void (*release)(struct p2pbuf_provider *prov);
	int (*alloc)(struct p2pbuf_provider *prov, u64 size,
		     struct p2pbuf_extent *ext);
	void (*free)(struct p2pbuf_provider *prov, struct p2pbuf_extent *ext);
};

/**
 * struct p2pbuf_provider - a source of buffer memory
 * @ref: references: one held by the registry while the provider is
 *	registered, one by every user that looked it up
 *	(p2pbuf_provider_get()), one by every buffer allocated from it.  The
 *	last p2pbuf_provider_put() calls @ops->release.
 * @ops: the kind's operations
 * @id: registry id, stable for the provider's life; %P2PBUF_PROVIDER_ID_SYSMEM
 *	is the built-in sysmem provider, registered ids start at 1 and are
 *	allocated cyclically, so a removed id is not reused soon
 * @size: bytes of memory the provider manages
 * @flags: %P2PBUF_NL_PROVIDER_F_* bits
 * @numa_node: NUMA node of the memory, %NUMA_NO_NODE if none
 * @devmem: the provider is device memory at CPU physical addresses
 *	[@phys, @phys + @size), which registrations must not overlap
 * @pages: the memory has struct pages (p2pdma): user mappings carry the
 *	pages (pinnable by P2PDMA-aware callers), DMA mappings go through
 *	the DMA API with the pages unless the administrator's host bridge
 *	permission is what makes the path (p2pbuf_dma.c)
 * @phys: see @devmem
 * @pdev: for device memory, the PCI function whose BAR @bar holds it (the
 *	kind's constructor holds the reference); NULL for host memory
 * @bar: see @pdev
 * @lock: protects @removed, @nr_buffers, @buffers and @visited, so that
 *	buffer creation (which checks @removed) and removal (which checks
 *	@nr_buffers, then revokes what is in @buffers) see each other
 * @removed: set once when the provider leaves the registry; no buffer is
 *	created from it afterwards
 * @nr_buffers: allocations currently out (buffers holding its memory)
 * @buffers: published buffers not yet visited by revocation
 *	(&p2pbuf_buffer.prov_node); maintained by p2pbuf_buffer.c
 * @visited: buffers revocation took from @buffers
 * @nr_sgls: live dma-sgls covering the provider's memory (atomic)
 *
 * Everything but @ref, @removed, @nr_buffers and the lists is set before
 * the provider is registered and never changes, so it is read without
 * locks by anyone holding a reference.  The registry itself (which ids
 * exist) is protected by a mutex private to p2pbuf_provider.c.
 */
struct p2pbuf_provider {
	struct kref ref;
	const struct p2pbuf_provider_ops *ops;
	u32 id;
	u64 size;
	u32 flags;
	int numa_node;
	bool devmem;
	bool pages;
	phys_addr_t phys;
	struct pci_dev *pdev;
	u32 bar;
	spinlock_t lock; /* see above */
	bool removed;
	unsigned int nr_buffers;
	struct list_head buffers;
	struct list_head visited;
	atomic_t nr_sgls;
};

/**
 * struct p2pbuf_pcibar_params - what a pcibar registration names
 * @domain: PCI domain (segment) of the device
 * @bus: bus number
 * @devfn: device and function, PCI_DEVFN()
 * @bar: BAR index, 0..5
 * @offset: start of the range in the BAR; page aligned
 * @size: size of the range; page aligned; 0 means up to the end of the BAR
 * @flags: P2PBUF_NL_PROVIDER_F_* bits the administrator asked for
 *	(%P2PBUF_NL_PROVIDER_F_HOST_BRIDGE_P2P)
 *
 * A p2pdma registration (p2pbuf_p2pdma_add()) uses the device and @flags.
 */
struct p2pbuf_pcibar_params {
	u32 domain;
	u8 bus;
	u8 devfn;
	u32 bar;
	u64 offset;
	u64 size;
	u32 flags;
};

int p2pbuf_providers_init(void);
void p2pbuf_providers_exit(void);
struct p2pbuf_provider *p2pbuf_provider_get(u32 id);
void p2pbuf_provider_put(struct p2pbuf_provider *prov);
unsigned int p2pbuf_provider_nr_buffers(struct p2pbuf_provider *prov);
int p2pbuf_provider_alloc(struct p2pbuf_provider *prov, u64 size,
			  struct p2pbuf_extent *ext);
void p2pbuf_provider_free(struct p2pbuf_provider *prov,
			  struct p2pbuf_extent *ext);
u32 p2pbuf_provider_cache_mode(struct p2pbuf_provider *prov);
int p2pbuf_pcibar_add(const struct p2pbuf_pcibar_params *params,
		      struct netlink_ext_ack *extack,
		      struct p2pbuf_provider **provp);
int p2pbuf_pcibar_describe(const struct p2pbuf_pci_target *dev, u32 bar,
			   struct p2pbuf_provider *prov);
void p2pbuf_pcibar_undescribe(struct p2pbuf_provider *prov);
int p2pbuf_p2pdma_add(const struct p2pbuf_pcibar_params *params,
		      struct netlink_ext_ack *extack,
		      struct p2pbuf_provider **provp);
struct p2pbuf_provider *p2pbuf_provider_unregister(u32 id, bool force,
						   struct netlink_ext_ack *extack,
						   int *err);
struct p2pbuf_provider *p2pbuf_provider_unregister_device(struct pci_dev *pdev);
int p2pbuf_providers_for_each(unsigned long *pos,
			      int (*fn)(struct p2pbuf_provider *prov,
					void *arg),
			      void *arg);

/* --- p2pbuf_target.c: PCI targets --------------------------------------- */

/**
 * struct p2pbuf_target - a PCI function as a DMA target
 * @ref: references: the registry's (from the device's addition to its
 *	removal), and one per user (p2pbuf_target_get())
 * @pdev: the function, referenced
 * @consumers: the dma-sgls and dma-buf importers' attachments made for
 *	it; closed from the device's removal on.  Its revocation counter
 *	orders p2pbuf_target_attach()'s ownership check (made outside its
 *	lock) with the bus notifier's revocation.
 *
 * Every PCI function has one from its addition (or the module's load) to
 * its removal, allocated then, so that the removal path allocates
 * nothing.
 */
struct p2pbuf_target {
	struct kref ref;
	struct pci_dev *pdev;
	struct p2pbuf_consumers consumers;
};

/**
 * struct p2pbuf_path - what p2pbuf_reach() found
 * @reason: enum p2pbuf_reach_reason
 * @map_type: enum p2pbuf_map_type, 0 if unreachable
 * @distance: PCI hops, as pci_p2pdma_distance() counts them
 */
struct p2pbuf_path {
	u32 reason;
	u32 map_type;
	u32 distance;
};

int p2pbuf_targets_init(void);
void p2pbuf_targets_exit(void);
int p2pbuf_target_add(struct pci_dev *pdev);
void p2pbuf_target_remove(struct pci_dev *pdev);
struct p2pbuf_target *p2pbuf_target_lookup(struct pci_dev *pdev);
int p2pbuf_target_get(const struct p2pbuf_pci_target *t,
		      struct p2pbuf_target **targetp);
void p2pbuf_target_put(struct p2pbuf_target *target);
void p2pbuf_target_fill(struct p2pbuf_pci_target *t, struct pci_dev *pdev);
int p2pbuf_target_attach(struct p2pbuf_target *target,
			 struct p2pbuf_consumer *c);
void p2pbuf_target_detach(struct p2pbuf_target *target,
			  struct p2pbuf_consumer *c);
bool p2pbuf_target_user_owned(struct pci_dev *pdev);
bool p2pbuf_dev_translated(struct device *dev);
bool p2pbuf_host_bridge_p2p(void);
void p2pbuf_reach(struct p2pbuf_provider *prov, struct pci_dev *target,
		  bool host_bridge_p2p, struct p2pbuf_path *path);
u64 p2pbuf_bus_addr(struct p2pbuf_provider *prov, phys_addr_t phys);

/* --- p2pbuf_buffer.c: buffers and their mappings ------------------------ */

/**
 * struct p2pbuf_file - per-open context of /dev/p2pbuf
 * @owner: thread group that opened the file, for diagnostics and the
 *	object listings; referenced for the lifetime of the file
 * @mapping: the file's address_space (the device inode's); every mapping of
 *	a buffer of this file is in its i_mmap tree at the buffer's offset
 * @lock: protects @buffers and @nr_buffers (held briefly: no allocation
 *	of memory for a buffer, no zeroing, happens under it)
 * @buffers: handle -> struct p2pbuf_buffer; each entry holds a reference
 * @nr_buffers: handles in @buffers plus handles reserved by ALLOCs in
 *	progress, at most the max_buffers_per_fd parameter
 * @file: the struct file (not referenced: @file owns this structure); a
 *	dma-sgl made through it takes a reference, see struct p2pbuf_sgl
 * @nr_sgls: dma-sgls made through this file and not yet released, at most
 *	the max_sgls_per_fd parameter; atomic, no lock
 *
 * Allocated in open(), freed in release() when the last reference to the
 * struct file is gone (a mapping holds one, so release() runs after the
 * last munmap()); every object created through the file holds what it
 * needs on its own, so release() never waits for userspace.
 */
struct p2pbuf_file {
	struct pid *owner;
	struct address_space *mapping;
	struct mutex lock; /* see above */
	struct xarray buffers;
	unsigned int nr_buffers;
	struct file *file;
	atomic_t nr_sgls;
};

/**
 * struct p2pbuf_buffer - memory allocated from a provider
 * @ref: references: one held by the owning file's handle table until
 *	%P2PBUF_IOC_FREE or the file's release, one per mmap() (struct
 *	p2pbuf_mapping, shared by the VMAs a mapping is split into), one per
 *	consumer (dma-sgl) covering it.  The last put returns the memory to
 *	the provider, uncharges the user and drops the provider reference; it
 *	runs in process context (ioctl, munmap(), exit, file release).
 * @id: global id, also the handle and the mmap offset (@id <<
 *	%P2PBUF_MMAP_ID_SHIFT); unique while the buffer exists, so the
 *	buffer's mappings are exactly the VMAs of @mapping at that offset
 *	(unmap_mapping_range() on it zaps every CPU mapping of the buffer,
 *	in every process)
 * @size: bytes, a multiple of the page size
 * @prov: the provider, referenced
 * @prov_node: entry in @prov's buffer lists from publication to release,
 *	under &p2pbuf_provider.lock
 * @ext: the memory
 * @cache_mode: enum p2pbuf_cache_mode of its mappings
 * @mapping: address_space of the file the buffer was allocated on
 * @user: user charged for @charged pages of RLIMIT_MEMLOCK (sysmem only),
 *	referenced; NULL if nothing was charged
 * @charged: see @user
 * @nr_sgls: live dma-sgls covering the buffer (atomic)
 * @nr_held: DMA mappings of host memory that dma-buf importers hold and
 *	that revocation cannot take back (static or pinned importers;
 *	p2pbuf_buffer_hold()); while non-zero, revocation leaves the memory
 *	to the last p2pbuf_buffer_unhold() (atomic)
 * @owner: thread group that allocated it, referenced
 * @uid: its effective uid
 * @comm: its command name
 * @revoke_lock: taken for reading by the fault handlers around their check
 *	of @revoked, for writing to publish the buffer, to set @revoked and
 *	to return the memory; so after revocation set it and zapped the
 *	mappings no PTE of the buffer can appear, and no event of the buffer
 *	precedes its BUFFER_NEW
 * @published: the buffer is in the registry and its provider's list and
 *	BUFFER_NEW was sent (under @revoke_lock)
 * @revoked: the buffer was revoked: its memory went back to the provider
 *	(or is going), mappings fault with SIGBUS, MAP refuses it
 * @revoke_reason: enum p2pbuf_nl_revoke_reason once @revoked
 * @returned: the memory went back to the provider (at revocation, or at
 *	release); under @revoke_lock for writing, or with the last reference
 * @return_deferred: revocation left the memory to the last holder
 *	(@nr_held); under @revoke_lock
 * @consumers: the dma-sgls covering it; closed when revoked
 * @dma_lock: protects @dmamaps and @nr_wmaps (p2pbuf_dma.c)
 * @dmamaps: DMA mappings of the memory, one per (device, direction)
 * @nr_wmaps: DMA-API mappings in @dmamaps the device may write through
 * @vmas: the VMAs mapping the buffer (vma pointer -> vma), maintained by
 *	mmap(), ->open and ->close, for the mapped bytes of the listings;
 *	its own (xa) lock
 *
 * All fields but @ref, @nr_sgls, the revocation state and the lists are
 * set before the buffer is published and never change until its release
 * (revocation empties @ext under @revoke_lock), so they are read without
 * locks by anyone holding a reference.
 */
struct p2pbuf_buffer {
	struct kref ref;
	u32 id;
	u64 size;
	struct p2pbuf_provider *prov;
	struct list_head prov_node;
	struct p2pbuf_extent ext;
	u32 cache_mode;
	struct address_space *mapping;
	struct user_struct *user;
	unsigned long charged;
	atomic_t nr_sgls;
	atomic_t nr_held;
	struct pid *owner;
	kuid_t uid;
	char comm[TASK_COMM_LEN];
	struct rw_semaphore revoke_lock; /* see above */
	bool published;
	bool revoked;
	u32 revoke_reason;
	bool returned;
	bool return_deferred;
	struct p2pbuf_consumers consumers;
	struct mutex dma_lock; /* see above */
	struct list_head dmamaps;
	unsigned int nr_wmaps;
	struct xarray vmas;
};

/*
 * mmap offsets are id << P2PBUF_MMAP_ID_SHIFT: the low bits are the byte
 * offset in a buffer of at most P2PBUF_BUFFER_MAX_LENGTH.
 */
#define P2PBUF_MMAP_ID_SHIFT	40
#define P2PBUF_MMAP_PGOFF_SHIFT	(P2PBUF_MMAP_ID_SHIFT - PAGE_SHIFT)
#define P2PBUF_MMAP_PGOFF_MASK	((1UL << P2PBUF_MMAP_PGOFF_SHIFT) - 1)
/* Ids fit in the 63-bit positive loff_t once shifted. */
#define P2PBUF_BUFFER_ID_MAX	((1U << (63 - P2PBUF_MMAP_ID_SHIFT)) - 1)

int p2pbuf_ioctl_alloc(struct p2pbuf_ioctl_call *call, void *arg);
int p2pbuf_ioctl_free(struct p2pbuf_ioctl_call *call, void *arg);
int p2pbuf_mmap(struct file *file, struct vm_area_struct *vma);
int p2pbuf_buffer_mmap(struct p2pbuf_buffer *buf, u64 base,
		       struct vm_area_struct *vma);
struct p2pbuf_buffer *p2pbuf_file_buffer(struct p2pbuf_file *pf, u32 handle);
void p2pbuf_file_buffers_init(struct p2pbuf_file *pf);
void p2pbuf_file_buffers_release(struct p2pbuf_file *pf);
void p2pbuf_buffer_get(struct p2pbuf_buffer *buf);
void p2pbuf_buffer_put(struct p2pbuf_buffer *buf);
phys_addr_t p2pbuf_buffer_phys(struct p2pbuf_buffer *buf, u64 off, u64 *len);
bool p2pbuf_buffer_revoked(struct p2pbuf_buffer *buf);
int p2pbuf_buffer_attach(struct p2pbuf_buffer *buf, struct p2pbuf_consumer *c);
void p2pbuf_buffer_detach(struct p2pbuf_buffer *buf,
			  struct p2pbuf_consumer *c);
bool p2pbuf_buffer_mark_revoked(struct p2pbuf_buffer *buf, u32 reason);
void p2pbuf_buffer_zap(struct p2pbuf_buffer *buf);
void p2pbuf_buffer_return(struct p2pbuf_buffer *buf);
void p2pbuf_buffer_hold(struct p2pbuf_buffer *buf);
void p2pbuf_buffer_unhold(struct p2pbuf_buffer *buf);
struct p2pbuf_buffer *p2pbuf_provider_next_buffer(struct p2pbuf_provider *prov);
struct p2pbuf_buffer *p2pbuf_vma_buffer(struct vm_area_struct *vma,
					u64 *offset);
void p2pbuf_buffers_exit(void);
int p2pbuf_buffer_fill_nl(struct sk_buff *skb, struct p2pbuf_buffer *buf,
			  bool owner);
int p2pbuf_buffers_for_each(unsigned long *pos,
			    int (*fn)(struct p2pbuf_buffer *buf, void *arg),
			    void *arg);
struct p2pbuf_buffer *p2pbuf_buffer_lookup(u32 id);
unsigned int p2pbuf_max_buffers_per_fd(void);

/* --- p2pbuf_dma.c: DMA mappings of buffers ------------------------------ */

struct p2pbuf_dmamap;

int p2pbuf_dmamap_get(struct p2pbuf_buffer *buf, struct device *dev,
		      enum dma_data_direction dir,
		      const struct p2pbuf_path *path,
		      struct p2pbuf_dmamap **mapp);
void p2pbuf_dmamap_put(struct p2pbuf_dmamap *map);
int p2pbuf_dmamap_ranges(struct p2pbuf_dmamap *map, u64 off, u64 len,
			 int (*fn)(void *arg, u64 dma, u64 len), void *arg);
void p2pbuf_dmamap_sync(struct p2pbuf_dmamap *map, bool for_cpu);

/**
 * struct p2pbuf_segs - coalesced DMA segments being built
 * @segs: @nr segments (kvmalloc'ed), room for @cap
 * @nr: see @segs
 * @cap: see @segs
 * @limit: most segments allowed
 * @max_seg: largest segment, as the device's driver declared it
 */
struct p2pbuf_segs {
	struct p2pbuf_segment *segs;
	unsigned int nr;
	unsigned int cap;
	unsigned int limit;
	u64 max_seg;
};

int p2pbuf_segs_add(void *arg, u64 dma, u64 len);
void p2pbuf_segs_free(struct p2pbuf_segs *s);

/* --- p2pbuf_sgl.c: dma-sgls --------------------------------------------- */

int p2pbuf_ioctl_map(struct p2pbuf_ioctl_call *call, void *arg);
int p2pbuf_ioctl_map_dmabuf(struct p2pbuf_ioctl_call *call, void *arg);
int p2pbuf_ioctl_reach(struct p2pbuf_ioctl_call *call, void *arg);
int p2pbuf_sgls_init(void);
void p2pbuf_sgls_exit(void);
int p2pbuf_sgl_fill_nl(struct sk_buff *skb, struct p2pbuf_sgl *sgl,
		       bool owner);
kuid_t p2pbuf_sgl_uid(struct p2pbuf_sgl *sgl);
int p2pbuf_sgls_for_each(unsigned long *pos,
			 int (*fn)(struct p2pbuf_sgl *sgl, void *arg),
			 void *arg);

/* --- p2pbuf_export.c: dma-buf exports --------------------------------- */

int p2pbuf_ioctl_export(struct p2pbuf_ioctl_call *call, void *arg);
int p2pbuf_export_fill_nl(struct sk_buff *skb, struct p2pbuf_exp *exp,
			  bool owner);
kuid_t p2pbuf_export_uid(struct p2pbuf_exp *exp);
int p2pbuf_exports_for_each(unsigned long *pos,
			    int (*fn)(struct p2pbuf_exp *exp, void *arg),
			    void *arg);
void p2pbuf_exports_exit(void);

/* --- p2pbuf_revoke.c: revocation ---------------------------------------- */

void p2pbuf_revoke_buffer(struct p2pbuf_buffer *buf, u32 reason);
int p2pbuf_revoke_provider(u32 id, bool force, struct netlink_ext_ack *extack);
int p2pbuf_revoke_init(void);
void p2pbuf_revoke_exit(void);

/* --- p2pbuf_main.c: the device, ioctl dispatch, tunables ---------------- */

/**
 * struct p2pbuf_ioctl_call - one ioctl call, as its handler sees it
 * @ctx: the object the file descriptor stands for (struct p2pbuf_file of
 *	/dev/p2pbuf, struct p2pbuf_sgl of a dma-sgl fd)
 * @install_file: set by a handler that creates a file descriptor: the file,
 *	with @install_fd reserved (get_unused_fd_flags()) but not installed.
 *	The dispatcher installs it only after the reply reached userspace
 *	and @commit agreed, and otherwise puts both, so a failed call never
 *	leaks an fd nor leaves an object behind.
 * @install_fd: see @install_file
 * @commit: with @install_file: called after the reply reached userspace,
 *	before the fd is installed; the object becomes visible (events) here.
 *	An error fails the call (the file is put).  May be NULL.
 */
struct p2pbuf_ioctl_call {
	void *ctx;
	struct file *install_file;
	int install_fd;
	int (*commit)(struct file *file);
};

/**
 * struct p2pbuf_ioctl_op - one ioctl command
 * @size: sizeof the argument structure as this driver knows it
 * @min_size: size of the first published layout; smaller is -EINVAL
 * @copy_out: copy the (possibly updated) argument back on success
 * @copy_out_err: an error after which the argument is copied back too
 *	(-EMSGSIZE: the needed count), or 0
 * @handler: does the work on a kernel copy of the argument
 */
struct p2pbuf_ioctl_op {
	u32 size;
	u32 min_size;
	bool copy_out;
	int copy_out_err;
	int (*handler)(struct p2pbuf_ioctl_call *call, void *arg);
};

/* Largest ioctl argument; p2pbuf_ioctl_dispatch() copies into this much. */
#define P2PBUF_IOCTL_ARG_MAX	128

long p2pbuf_ioctl_dispatch(const struct p2pbuf_ioctl_op *ops,
			   unsigned int nr_ops, void *ctx, unsigned int cmd,
			   unsigned long uarg);
unsigned int p2pbuf_max_sgls_per_fd(void);
unsigned int p2pbuf_max_sgl_segments(void);

/* --- p2pbuf_netlink.c: the "p2pbuf" generic netlink family -------------- */

int p2pbuf_nl_init(void);
void p2pbuf_nl_exit(void);

/* --- p2pbuf_debugfs.c: test hooks, only in test builds ------------------ */

#ifdef P2PBUF_TEST_HOOKS
void p2pbuf_debugfs_init(void);
void p2pbuf_debugfs_exit(void);
#else
static inline void p2pbuf_debugfs_init(void)
{
}

static inline void p2pbuf_debugfs_exit(void)
{
}
#endif

#endif /* _P2PBUF_H */
