/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Helpers shared by the guest programs (tests/guest/): the Check suites
 * that run in the test VM against the real /dev/p2pbuf, and the
 * benchmarks.  One header for all of them; link what you use.
 *
 * Naming: every shared helper is tu_<thing>[_<verb>] ("test utility"; the
 * same prefix as tests/host/util.h, which this header includes for
 * tu_run()), so a name without the prefix is always a suite's own.
 *
 *   tu_foo()      asserts (ck_assert): on failure it fails the calling test
 *                 with a message naming the call and the errno.  Call it
 *                 from a test or a checked fixture.
 *   tu_foo_try()  does not assert: returns 0 or the positive errno the
 *                 call failed with (an ioctl's errno, mmap's...), so that a
 *                 test can expect the failure, and a benchmark can report
 *                 it.  A benchmark runs no Check suite, and outside one
 *                 any ck_assert(), even one that passes, ends the program
 *                 ("No messaging setup"): it may call only the _try
 *                 helpers and those marked "no Check".
 *
 * Modules, and what a program must link for them (tests/local.mk):
 *   util.c          every guest program (with edu.c, tests/host/util.c and
 *                   Check): the device, buffers, dma-sgls, module
 *                   parameters, byte patterns, catching SIGBUS/SIGSEGV,
 *                   the rig's ivshmem, time for benchmarks.
 *   util-genl.c     tu_nl_*: the "p2pbuf" netlink family spoken raw (with
 *                   libnl-genl), so that a test does not depend on
 *                   libp2pbuf's parsing; the Check fixture of the
 *                   revocation suites.  Links libnl-genl.
 *   util-lib.c      tu_providers_*: providers through libp2pbuf's
 *                   p2pbuf_ctl.  Links libp2pbuf.
 *   edu.c (edu.h)   rig_* and edu_*: the rig's PCI devices, QEMU's edu DMA
 *                   engine, the kernel log.
 * No helper file exports a variable: state a helper needs is passed in (a
 * struct tu_nl for the netlink sockets), or is private and per thread.
 *
 * Timeouts: the VM is slow (TCG) and shares the host's CPUs; every TCase
 * gets one through tu_tcase(), at least ten times what its slowest test
 * needs on a loaded machine (see TU_VM_TIMEOUT*), never Check's 4-second
 * default or the rig's CK_DEFAULT_TIMEOUT.  A loop that runs for
 * a while on purpose (races) is bounded by time, and an assertion never
 * depends on how much work fit in that time.
 */
#ifndef P2PBUF_TESTS_GUEST_UTIL_H
#define P2PBUF_TESTS_GUEST_UTIL_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include <linux/netlink.h>
#include <linux/p2pbuf.h>

#include "../host/util.h"
#include "edu.h"

#define TU_DEV "/dev/p2pbuf"
#define TU_PARAMS "/sys/module/p2pbuf/parameters/"

/*
 * TCase timeouts (seconds) of the guest suites.  TU_VM_TIMEOUT: tests of
 * up to a few seconds each under TCG (the slowest, the races, run for 2
 * and 4 s on purpose); TU_VM_TIMEOUT_HOTPLUG: two hotplug waits of up to
 * TU_HOTPLUG_WAIT_S each.
 */
#define TU_VM_TIMEOUT 120
#define TU_HOTPLUG_WAIT_S 60 /* pciehp waits 5 s after the attention button */
#define TU_VM_TIMEOUT_HOTPLUG (3 * TU_HOTPLUG_WAIT_S + TU_VM_TIMEOUT)
/* How long an edu transfer may take (it takes 100 ms of virtual time). */
#define TU_DMA_WAIT_MS 10000

/* --- files and module parameters ---------------------------------------- */

/* Write val to the file at path (sysfs): 0 or the errno. */
int tu_write_file_try(const char *path, const char *val);
void tu_write_file(const char *path, const char *val);
/* Set p2pbuf's module parameter name (TU_PARAMS) to val. */
int tu_set_param_try(const char *name, const char *val);
void tu_set_param(const char *name, const char *val);
/* A boolean module parameter's value. */
static inline const char *tu_yn(bool on)
{
	return on ? "Y" : "N";
}

/* --- the device and its buffers ------------------------------------------ */

/* open(TU_DEV, O_RDWR | O_CLOEXEC). */
int tu_dev_open(void);
/* P2PBUF_IOC_ALLOC of len bytes from provider prov into *a (zeroed first). */
int tu_alloc_try(int fd, uint32_t prov, uint64_t len, struct p2pbuf_alloc *a);
/* ALLOC, then mmap() of the whole buffer (shared, read/write) into *p. */
int tu_alloc_map_try(int fd, uint32_t prov, uint64_t len,
		     struct p2pbuf_alloc *a, void **p);
void *tu_alloc_map(int fd, uint32_t prov, uint64_t len, struct p2pbuf_alloc *a);
/*
 * n buffers of provider prov, of len[i] bytes each, allocated into a[] and
 * mapped side by side: one range of n VMAs (n pieces for MAP), whose start
 * this returns (munmap() the sum of len[] from there).
 */
void *tu_alloc_map_adjacent(int fd, uint32_t prov, const uint64_t *len, int n,
			    struct p2pbuf_alloc *a);
/* P2PBUF_IOC_FREE of a handle. */
int tu_free_try(int fd, uint32_t handle);
void tu_free(int fd, uint32_t handle);
/* The minor page faults this process took so far (getrusage; no Check). */
long tu_minflt(void);
/*
 * Write one word per 4 KiB page of [p, p + len): the page faults it took
 * (no Check).
 */
long tu_touch_pages(volatile uint64_t *p, uint64_t len);

/*
 * Access to memory that may not be there: 0 if the access worked, else the
 * signal it raised (SIGBUS, SIGSEGV).  Safe in any thread; the handler is
 * installed on first use and acts only inside these calls (any other
 * SIGBUS or SIGSEGV still kills the process, so Check reports it).  No
 * Check.
 */
int tu_touch(const volatile void *p); /* reads a byte */
int tu_touch_write(volatile void *p); /* writes a byte (1) */

/*
 * uid has no host RAM charged to its RLIMIT_MEMLOCK (user_struct's
 * locked_vm, which p2pbuf charges): a child opens the device as root,
 * becomes uid with the limit at exactly 4 MiB, and gets a 4 MiB host
 * buffer and then not one page more (EDQUOT).
 */
void tu_assert_memlock_uncharged(unsigned int uid);

/* --- dma-sgls ------------------------------------------------------------- */

/* A PCI address "DDDD:BB:DD.F" as the uAPI's target. */
void tu_target_of(const char *bdf, struct p2pbuf_pci_target *t);
/* P2PBUF_IOC_MAP of [addr, addr + len) for the device bdf; *m filled. */
int tu_map_try(int fd, const void *addr, uint64_t len, const char *bdf,
	       uint32_t dir, uint32_t flags, struct p2pbuf_map *m);
/* The same with no flags, which must work: the dma-sgl's fd (m may be NULL). */
int tu_map(int fd, const void *addr, uint64_t len, const char *bdf,
	   uint32_t dir, struct p2pbuf_map *m);
/* P2PBUF_IOC_SEGMENTS into segs[cap] (NULL, 0: the description only). */
int tu_segments_try(int sfd, struct p2pbuf_segment *segs, uint32_t cap,
		    uint32_t flags, struct p2pbuf_segments *s);
/* The same, which must work: the number of segments. */
uint32_t tu_segments(int sfd, struct p2pbuf_segment *segs, uint32_t cap,
		     struct p2pbuf_segments *s);
/* The id of a dma-sgl (its fdinfo's "p2pbuf-sgl:" line). */
uint32_t tu_sgl_id(int sfd);
/*
 * The DMA address of byte off of the range segs[n] covers, and in *avail
 * the bytes contiguous from there in its segment.
 */
uint64_t tu_dma_at(const struct p2pbuf_segment *segs, uint32_t n, uint64_t off,
		   uint64_t *avail);
/* P2PBUF_IOC_SYNC (P2PBUF_SYNC_F_FOR_CPU or _FOR_DEVICE), which must work. */
void tu_sync(int sfd, uint32_t flags);
/*
 * The DMA oracle: edu reads len bytes at range offset src through the
 * dma-sgl sfd (segments segs[n]) into its buffer, then writes them to range
 * offset dst; with the syncs around.  Both pieces must lie in one segment.
 */
void tu_edu_copy(const struct edu *e, int sfd,
		 const struct p2pbuf_segment *segs, uint32_t n, uint64_t src,
		 uint64_t dst, uint32_t len);
/*
 * The oracle over a whole dma-sgl: count copies of TU_EDU_XFER bytes by the
 * edu at bdf through the dma-sgl sfd, whose segments (at most
 * TU_EDU_MAX_SEGS) cover exactly cpu[0..len), the same memory as the CPU
 * sees it; each from a pseudo-random place inside one page (seeded by
 * seed) to another that does not overlap it.  check NULL: the CPU fills the
 * source with the pattern of seed + i and checks the destination for it;
 * otherwise the source is left as it is and check(cpu, src, dst, n) judges.
 */
#define TU_EDU_XFER 1024U
#define TU_EDU_MAX_SEGS 4096
void tu_edu_roundtrips(const char *bdf, int sfd, volatile uint8_t *cpu,
		       uint64_t len, unsigned int count, uint64_t seed,
		       void (*check)(const volatile uint8_t *cpu, uint64_t src,
				     uint64_t dst, uint32_t n));
/*
 * A revoked dma-sgl: polls EPOLLERR | EPOLLPRI, SEGMENTS says revoked, no
 * segments, generation 2, and SYNC is refused (ENODEV).
 */
void tu_assert_sgl_revoked(int sfd);

/* --- dma-bufs of other exporters ----------------------------------------- */

/*
 * A memfd of len bytes (sealed against shrinking) into *memfd and its
 * udmabuf (close-on-exec): the dma-buf's fd, or -1 when the kernel has no
 * /dev/udmabuf (CONFIG_UDMABUF unset: Debian's 6.1), for the caller to
 * say so loudly.
 */
int tu_udmabuf_new(uint64_t len, int *memfd);

/* --- byte patterns -------------------------------------------------------- */

/* Byte i of the pattern of seed. */
uint8_t tu_pat(uint64_t seed, uint64_t i);
/* p[0..len) = bytes 0..len of the pattern of seed. */
void tu_fill(volatile uint8_t *p, uint64_t len, uint64_t seed);
/*
 * p[0..len) holds bytes seed_off.. of the pattern of seed; what names the
 * place in the failure message.
 */
void tu_check_bytes(const volatile uint8_t *p, uint64_t len, uint64_t seed,
		    uint64_t seed_off, const char *what);

/* --- the rig -------------------------------------------------------------- */

/*
 * Remove the PCI function bdf through sysfs (the kernel's hot-unplug path:
 * its driver unbinds, p2pbuf revokes what used it), which must be gone
 * then; rescan the bus, after which bdf must be back.
 */
void tu_pci_remove(const char *bdf);
void tu_pci_rescan(const char *bdf);

/* How the VM tier booted the guest's IOMMU (P2PBUF_VM_IOMMU; unset: on). */
enum tu_iommu_mode { TU_IOMMU_ON, TU_IOMMU_OFF, TU_IOMMU_PT };
enum tu_iommu_mode tu_iommu_mode(void);

/* The first ivshmem (BDF into bdf) and the size of its BAR 2. */
void tu_rig_ivshmem(char bdf[RIG_BDF_LEN], uint64_t *bar2_size);
/*
 * Whether the VM was booted on the rig named rig (standard, debug or
 * hotplug: run-qemu.sh --rig, exported by the guest as P2PBUF_VM_RIG).
 */
bool tu_rig_is(const char *rig);

/*
 * Run cmd with the shell, its standard output into out[size] (NUL-terminated,
 * cut at size - 1 bytes): the status pclose() returns.  A shell that cannot
 * be started fails the test.
 */
int tu_cmd_output(const char *cmd, char *out, size_t size);

/* --- benchmarks (no Check) ------------------------------------------------ */

/* CLOCK_MONOTONIC in milliseconds. */
double tu_now_ms(void);
/* The pct-th percentile of v[n] (sorts v): pct 50 is the median. */
double tu_percentile(double *v, int n, int pct);
/* "<program>: what: strerror(err)" on stderr, exit status 1. */
void tu_die(const char *what, int err) __attribute__((noreturn));

/* --- util-genl.c: the netlink family, raw --------------------------------- */

struct nl_msg;
struct nl_sock;

/* A test's netlink: the request socket, the events socket, the family. */
struct tu_nl {
	struct nl_sock *sk; /* requests */
	struct nl_sock *ev; /* a member of the events group */
	int family;
};

/* One message of the family: its command and attributes (0 if absent). */
struct tu_nl_msg {
	uint8_t cmd;
	uint32_t buffer_id, sgl_id, provider_id, reason, state, generation;
	uint32_t owner_pid, sgls, nr_buffer_ids;
	uint32_t export_id, attachments;
	uint64_t size, mapped, length, inode;
	/* PROVIDER_SIZE, PROVIDER_FREE, PROVIDER_BUFFERS, PROVIDER_SGLS */
	uint64_t prov_size, prov_free;
	uint32_t prov_buffers, prov_sgls;
	/* PROVIDER_KIND, PROVIDER_BAR */
	uint32_t prov_kind, prov_bar;
	char target[32], device[32], comm[32];
	bool has_owner;
	/* SGL_DMABUF nests: how many, and the first one's attributes */
	uint32_t nr_dmabufs;
	char dmabuf_exporter[32];
	uint64_t dmabuf_inode, dmabuf_offset, dmabuf_length;
};

/* One received message of the family, parsed into *m. */
struct nlmsghdr;
void tu_nl_parse(struct nlmsghdr *nlh, struct tu_nl_msg *m);
/*
 * Send request cmd (flags: NLM_F_ACK or NLM_F_DUMP) with the attributes
 * put(msg, arg) adds (put may be NULL); collect up to max of the messages
 * of the answer into out[] (*n of them; out may be NULL).  The errno of the
 * ack, 0 when there is none.
 */
int tu_nl_request(struct tu_nl *nl, uint8_t cmd, int flags,
		  void (*put)(struct nl_msg *, void *), void *arg,
		  struct tu_nl_msg *out, int max, int *n);
/* Attribute builders for tu_nl_request(). */
void tu_nl_put_pcibar(struct nl_msg *msg, void *bdf); /* BAR 2, host bridge */
void tu_nl_put_buffer_id(struct nl_msg *msg, void *id); /* uint32_t * */
/* PROVIDER_ADD of BAR 2 of bdf (host bridge allowed): must work; its id. */
uint32_t tu_nl_provider_add(struct tu_nl *nl, const char *bdf);
/* PROVIDER_DEL (force: FORCE flag): the errno. */
int tu_nl_provider_del(struct tu_nl *nl, uint32_t id, bool force);
/* BUFFER_REVOKE of buffer id: the errno. */
int tu_nl_buffer_revoke(struct tu_nl *nl, uint32_t id);
/*
 * A dump of cmd (PROVIDER_GET, BUFFER_GET, SGL_GET, EXPORT_GET): must work;
 * the count.
 */
int tu_nl_dump(struct tu_nl *nl, uint8_t cmd, struct tu_nl_msg *out, int max);
/*
 * The entry of a dump of cmd (SGL_GET: by sgl_id, EXPORT_GET: by
 * export_id, BUFFER_GET: by buffer_id) whose id is id, into *out: 1, or 0
 * when there is none.
 */
int tu_nl_dump_one(struct tu_nl *nl, uint8_t cmd, uint32_t id,
		   struct tu_nl_msg *out);
/*
 * The events received so far (up to max, into out[]), waiting up to ms for
 * the first and then until none comes for 200 ms: their count.
 */
int tu_nl_events(struct tu_nl *nl, struct tu_nl_msg *out, int max, int ms);
/*
 * Index of the first event cmd about dma-sgl, export or buffer id (0: any),
 * or -1.
 */
int tu_nl_find_ev(const struct tu_nl_msg *e, int n, uint8_t cmd, uint32_t id);
/*
 * Every provider has no buffer and no dma-sgl left, and every device
 * provider all its space free.
 */
void tu_nl_assert_providers_whole(struct tu_nl *nl);
/*
 * The Check fixture of the revocation suites (wrap them in void(void)
 * functions over a static struct tu_nl): setup opens the sockets and
 * removes the providers a failed test left; teardown checks that
 * everything went back (no buffer, no dma-sgl, only sysmem) and closes.
 */
void tu_nl_fixture_setup(struct tu_nl *nl);
void tu_nl_fixture_teardown(struct tu_nl *nl);

/*
 * A monitor of the events group: a thread drains it into ev[max] while a
 * test runs, so that the socket never overflows (the socket's buffer is
 * 32 MiB, root's SO_RCVBUFFORCE; an overflow would make the order check
 * meaningless, and fails tu_monitor_stop()).
 */
struct tu_monitor {
	struct nl_sock *sk;
	int family;
	struct tu_nl_msg *ev;
	int n, max;
	int overflow;
	volatile int stop;
	pthread_t thread;
};

/* Join the events group of the family (tu_nl.family) and start draining. */
void tu_monitor_start(struct tu_monitor *mon, int family, int max);
/*
 * Stop (every event is queued by then: they are sent synchronously) and
 * assert that nothing overflowed and fewer than max events came.
 */
void tu_monitor_stop(struct tu_monitor *mon);
void tu_monitor_free(struct tu_monitor *mon);
/* The kinds of objects whose events tu_event_order() checks. */
enum tu_ev_kind { TU_EV_BUFFER, TU_EV_SGL, TU_EV_EXPORT };
/*
 * Assert the per-object order of the buffer, dma-sgl or dma-buf export
 * events the monitor saw: NEW, at most one REVOKE, one DEL; nothing before
 * NEW or after DEL (until a NEW of a new object with that id).  Returns
 * the NEW events; *left (if not NULL) gets the objects announced and never
 * deleted.
 */
int tu_event_order(const struct tu_monitor *mon, enum tu_ev_kind kind,
		   int *left);

/* --- util-lib.c: providers through libp2pbuf ------------------------------ */

struct p2pbuf_ctl;

/* Remove every provider but sysmem (what a failed test may have left). */
void tu_providers_clear(struct p2pbuf_ctl *ctl);
/*
 * At the end of a test: no provider has a buffer left and every device
 * provider has all its space free; remove them.  The number of providers
 * there were, sysmem included.
 */
int tu_providers_release(struct p2pbuf_ctl *ctl);

#endif /* P2PBUF_TESTS_GUEST_UTIL_H */
