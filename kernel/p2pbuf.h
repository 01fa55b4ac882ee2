/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * p2pbuf.h - internal declarations of the p2pbuf driver.
 */
#ifndef _P2PBUF_H
#define _P2PBUF_H

#include <linux/kref.h>
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
struct netlink_ext_ack;
struct p2pbuf_provider;
struct p2pbuf_sgl;
struct pci_dev;
struct sk_buff;
struct user_struct;
struct vm_area_struct;

/**
 * struct p2pbuf_file - per-open context of /dev/p2pbuf
 * @owner: thread group that opened the file, for diagnostics and the
 *	object listings; referenced for the lifetime of the file
 * @mapping: the file's address_space (the device inode's); every mapping of
 *	a buffer of this file is in its i_mmap tree at the buffer's offset
 * @lock: serialises ioctls that create or destroy objects owned by this
 *	file and mmap()'s lookup; protects @buffers and @nr_buffers
 * @buffers: handle -> struct p2pbuf_buffer; each entry holds a reference
 * @nr_buffers: entries in @buffers, at most the max_buffers_per_fd parameter
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
	struct mutex lock; /* see above: serialises object changes */
	struct xarray buffers;
	unsigned int nr_buffers;
	struct file *file;
	atomic_t nr_sgls;
};

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
 * struct p2pbuf_buffer - memory allocated from a provider
 * @ref: references: one held by the owning file's handle table until
 *	%P2PBUF_IOC_FREE or the file's release, one per VMA mapping the
 *	buffer (taken in mmap() and vm_ops->open, which runs for the new VMA
 *	of a split and of an mremap() move, dropped in vm_ops->close), and,
 *	later, one per dma-sgl covering it.  The last put returns the memory
 *	to the provider, uncharges the user and drops the provider reference;
 *	it runs in process context (ioctl, munmap(), exit, file release).
 * @id: global id, also the handle and the mmap offset (@id <<
 *	%P2PBUF_MMAP_ID_SHIFT); unique while the buffer exists, so the
 *	buffer's mappings are exactly the VMAs of @mapping at that offset
 *	(unmap_mapping_range() on it zaps every CPU mapping of the buffer,
 *	in every process, which is what revocation will use)
 * @size: bytes, a multiple of the page size
 * @prov: the provider, referenced
 * @ext: the memory
 * @cache_mode: enum p2pbuf_cache_mode of its mappings
 * @mapping: address_space of the file the buffer was allocated on
 * @user: user charged for @charged pages of RLIMIT_MEMLOCK (sysmem only),
 *	referenced; NULL if nothing was charged
 * @charged: see @user
 * @nr_sgls: live dma-sgls covering the buffer (atomic)
 * @owner: thread group that allocated it, referenced
 * @uid: its effective uid
 * @comm: its command name
 * @revoke_lock: taken for reading by everything that maps the memory into
 *	page tables (mmap(), the fault handlers) around its check of
 *	@revoked, for writing by revocation to set it; so after revocation
 *	set it and zapped the mappings, no PTE of the buffer can appear
 * @revoked: the buffer was revoked: its memory went back to the provider
 *	(or is going), mappings fault with SIGBUS, MAP refuses it
 * @revoke_reason: enum p2pbuf_nl_revoke_reason once @revoked
 * @returned: the memory went back to the provider (at revocation, or at
 *	release); under @revoke_lock for writing, or with the last reference
 * @vmas: the VMAs mapping the buffer (vma pointer -> vma), maintained by
 *	mmap(), ->open and ->close, for the mapped-bytes figure of the
 *	listings; its own (xa) lock
 *
 * All fields but @ref, @nr_sgls, @revoked and @revoke_reason are set before
 * the buffer is published in a handle table and never change until its
 * release (revocation empties @ext under @revoke_lock), so they are read
 * without locks by anyone holding a reference.
 */
struct p2pbuf_buffer {
	struct kref ref;
	u32 id;
	u64 size;
	struct p2pbuf_provider *prov;
	struct p2pbuf_extent ext;
	u32 cache_mode;
	struct address_space *mapping;
	struct user_struct *user;
	unsigned long charged;
	atomic_t nr_sgls;
	struct pid *owner;
	kuid_t uid;
	char comm[TASK_COMM_LEN];
	struct rw_semaphore revoke_lock; /* see above */
	bool revoked;
	u32 revoke_reason;
	bool returned;
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
 * @alloc: fill the empty @ext with @size bytes (a multiple of the page
 *	size) of zeroed memory, as page-aligned physically contiguous chunks
 *	(sysmem: high-order pages falling back to smaller orders; pcibar: one
 *	gen_pool range, 2 MiB aligned when it is that large and the pool
 *	allows); on failure @ext is left empty and -ENOMEM returned.  Called
 *	through p2pbuf_provider_alloc(), in process context (it may sleep),
 *	with a reference held and @lock not held.
 * @free: return what @alloc put in @ext and empty it.  Same context.
 *
 * Callers (the netlink family, the buffer code) only use these ops and the
 * generic fields of struct p2pbuf_provider, so a new kind (p2pdma:
 * pci_alloc_p2pmem() on CONFIG_PCI_P2PDMA kernels) is one new ops table
 * and one constructor.
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
 * @pdev: for device memory, the PCI function whose BAR @bar holds it (the
 *	kind's constructor holds the reference); NULL for host memory
 * @bar: see @pdev
 * @lock: protects @removed and @nr_buffers, so that buffer creation
 *	(which checks @removed) and removal (which checks @nr_buffers) see
 *	each other
 * @removed: set once when the provider leaves the registry; no buffer is
 *	created from it afterwards
 * @nr_buffers: buffers currently allocated from the provider
 * @nr_sgls: live dma-sgls covering the provider's memory (atomic)
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
	struct pci_dev *pdev;
	u32 bar;
	spinlock_t lock; /* see above: @removed, @nr_buffers */
	bool removed;
	unsigned int nr_buffers;
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

/* p2pbuf_provider.c: the registry and the sysmem and pcibar kinds. */
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
int p2pbuf_provider_del(u32 id, bool force, struct netlink_ext_ack *extack);
unsigned int p2pbuf_providers_revoke_device(struct pci_dev *pdev, u32 reason);
int p2pbuf_providers_for_each(unsigned long *pos,
			      int (*fn)(struct p2pbuf_provider *prov,
					void *arg),
			      void *arg);

/**
 * struct p2pbuf_ioctl_call - one ioctl call, as its handler sees it
 * @ctx: the object the file descriptor stands for (struct p2pbuf_file of
 *	/dev/p2pbuf, struct p2pbuf_sgl of a dma-sgl fd)
 * @install_file: set by a handler that creates a file descriptor: the file,
 *	with @install_fd reserved (get_unused_fd_flags()) but not installed.
 *	The dispatcher installs it only after the reply reached userspace,
 *	and otherwise puts both, so a failed copy never leaks an fd.
 * @install_fd: see @install_file
 */
struct p2pbuf_ioctl_call {
	void *ctx;
	struct file *install_file;
	int install_fd;
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
bool p2pbuf_dev_translated(struct device *dev);
unsigned int p2pbuf_max_sgls_per_fd(void);
unsigned int p2pbuf_max_sgl_segments(void);

/* p2pbuf_buffer.c: buffers and their mappings. */
int p2pbuf_ioctl_alloc(struct p2pbuf_ioctl_call *call, void *arg);
int p2pbuf_ioctl_free(struct p2pbuf_ioctl_call *call, void *arg);
int p2pbuf_mmap(struct file *file, struct vm_area_struct *vma);
void p2pbuf_file_buffers_init(struct p2pbuf_file *pf);
void p2pbuf_file_buffers_release(struct p2pbuf_file *pf);
void p2pbuf_buffer_get(struct p2pbuf_buffer *buf);
void p2pbuf_buffer_put(struct p2pbuf_buffer *buf);
phys_addr_t p2pbuf_buffer_phys(struct p2pbuf_buffer *buf, u64 off, u64 *len);
bool p2pbuf_buffer_revoked(struct p2pbuf_buffer *buf);
void p2pbuf_buffer_revoke(struct p2pbuf_buffer *buf, u32 reason);
struct p2pbuf_buffer *p2pbuf_vma_buffer(struct vm_area_struct *vma,
					u64 *offset);
void p2pbuf_buffers_exit(void);
void p2pbuf_buffers_revoke_provider(struct p2pbuf_provider *prov, u32 reason);
int p2pbuf_buffer_fill_nl(struct sk_buff *skb, struct p2pbuf_buffer *buf,
			  bool owner);
int p2pbuf_buffers_for_each(unsigned long *pos,
			    int (*fn)(struct p2pbuf_buffer *buf, void *arg),
			    void *arg);
struct p2pbuf_buffer *p2pbuf_buffer_lookup(u32 id);
unsigned int p2pbuf_max_buffers_per_fd(void);
int p2pbuf_vma_pte(unsigned long addr, unsigned long *pfn, pgprot_t *prot,
		   unsigned long *size);

/* p2pbuf_debugfs.c: /sys/kernel/debug/p2pbuf/ (tests, diagnostics). */
void p2pbuf_debugfs_init(void);
void p2pbuf_debugfs_exit(void);

/* p2pbuf_sgl.c: reachability and dma-sgls. */
int p2pbuf_ioctl_map(struct p2pbuf_ioctl_call *call, void *arg);
int p2pbuf_ioctl_reach(struct p2pbuf_ioctl_call *call, void *arg);
void p2pbuf_sgls_exit(void);
int p2pbuf_sgl_fill_nl(struct sk_buff *skb, struct p2pbuf_sgl *sgl,
		       bool owner);
kuid_t p2pbuf_sgl_uid(struct p2pbuf_sgl *sgl);
int p2pbuf_sgls_for_each(unsigned long *pos,
			 int (*fn)(struct p2pbuf_sgl *sgl, void *arg),
			 void *arg);
unsigned int p2pbuf_sgls_revoke(bool (*match)(struct p2pbuf_sgl *sgl,
					      void *arg),
				void *arg, u32 reason);
void p2pbuf_sgls_revoke_buffer(struct p2pbuf_buffer *buf, u32 reason);
unsigned int p2pbuf_sgls_revoke_target(struct pci_dev *pdev, u32 reason);

/* p2pbuf_revoke.c: device removal and driver unbind. */
bool p2pbuf_device_gone(struct pci_dev *pdev);
int p2pbuf_revoke_init(void);
void p2pbuf_revoke_exit(void);

/* p2pbuf_netlink.c: the "p2pbuf" generic netlink family. */
int p2pbuf_nl_init(void);
void p2pbuf_nl_exit(void);
void p2pbuf_nl_notify_provider(struct p2pbuf_provider *prov, u8 cmd);
void p2pbuf_nl_notify_sgl(struct p2pbuf_sgl *sgl, u8 cmd);
void p2pbuf_nl_notify_buffer(struct p2pbuf_buffer *buf, u8 cmd);
void p2pbuf_nl_notify_device(struct pci_dev *pdev, u32 reason);

#endif /* _P2PBUF_H */
