# Tests.  Included by the top-level Makefile.am.
#
# Host tier (TESTS): Check suites that need no kernel module.  They link
# libp2pbuf.c itself with -Wl,--wrap=ioctl so that tests/host/fake-info.c
# can answer the INFO handshake; the driver is only ever tested in the VM.
#
# Shared helpers (tu_*, see the top of each util.h): tests/host/util.c in
# every Check program of both tiers; tests/guest/util.c (with edu.c) in
# every guest program, util-genl.c where the raw netlink family is spoken,
# util-lib.c where providers go through libp2pbuf.

tests_util_sources = tests/host/util.c tests/host/util.h

host_test_cflags = $(AM_CFLAGS) $(CHECK_CFLAGS) -I$(top_srcdir)/utils
host_test_ldflags = $(AM_LDFLAGS) -Wl,--wrap=ioctl
host_fake_sources = tests/host/fake-info.c tests/host/fake-info.h \
	$(tests_util_sources)

check_PROGRAMS += tests/host/test_lib tests/host/test_p2pctl
TESTS += tests/host/test_lib tests/host/test_p2pctl

tests_host_test_lib_SOURCES = \
	tests/host/test_lib.c \
	$(host_fake_sources) \
	libp2pbuf/libp2pbuf.c
tests_host_test_lib_CFLAGS = $(host_test_cflags)
tests_host_test_lib_LDFLAGS = $(host_test_ldflags)
tests_host_test_lib_LDADD = $(CHECK_LIBS)

tests_host_test_p2pctl_SOURCES = \
	tests/host/test_p2pctl.c \
	$(host_fake_sources) \
	$(p2pctl_cli_sources) \
	libp2pbuf/libp2pbuf.c \
	libp2pbuf/netlink.c \
	libp2pbuf/monitor.c \
	libp2pbuf/sgl.c
tests_host_test_p2pctl_CFLAGS = $(host_test_cflags) $(LIBNL_CFLAGS)
tests_host_test_p2pctl_LDFLAGS = $(host_test_ldflags)
tests_host_test_p2pctl_LDADD = $(LIBNL_LIBS) $(CHECK_LIBS)

# The dma-sgl calls of libp2pbuf (LIBP2PBUF_4): PCI targets, names,
# argument checks and request plumbing against scripted replies.
check_PROGRAMS += tests/host/test_sgl
TESTS += tests/host/test_sgl
tests_host_test_sgl_SOURCES = \
	tests/host/test_sgl.c \
	$(host_fake_sources) \
	libp2pbuf/libp2pbuf.c \
	libp2pbuf/sgl.c
tests_host_test_sgl_CFLAGS = $(host_test_cflags)
tests_host_test_sgl_LDFLAGS = $(host_test_ldflags)
tests_host_test_sgl_LDADD = $(CHECK_LIBS)

# The control plane's message parsing and error translation, on netlink
# messages built in the test (no socket, no kernel): providers, buffers,
# dma-sgls and events.
check_PROGRAMS += tests/host/test_netlink
TESTS += tests/host/test_netlink
tests_host_test_netlink_SOURCES = \
	tests/host/test_netlink.c \
	$(tests_util_sources) \
	libp2pbuf/netlink.c \
	libp2pbuf/monitor.c
tests_host_test_netlink_CFLAGS = $(host_test_cflags) $(LIBNL_CFLAGS) \
	-I$(top_srcdir)/libp2pbuf
tests_host_test_netlink_LDADD = $(LIBNL_LIBS) $(CHECK_LIBS)

# Guest tier: static programs run inside the VM against the real module by
# tests/vm/ (which appends its own programs to VM_GUEST_PROGS).  Suites that
# speak the netlink family raw (libnl) do not link libp2pbuf, so that they
# do not depend on its parsing.
guest_util_sources = tests/guest/util.c tests/guest/util.h \
	tests/guest/edu.c tests/guest/edu.h $(tests_util_sources)
guest_genl_sources = tests/guest/util-genl.c
guest_lib_sources = tests/guest/util-lib.c
guest_cflags = $(AM_CFLAGS) $(CHECK_CFLAGS)
guest_ldflags = $(AM_LDFLAGS) -all-static
# Programs using libp2pbuf; programs speaking netlink raw.
guest_lib_ldadd = libp2pbuf/libp2pbuf.la $(LIBNL_STATIC_LIBS) \
	$(CHECK_STATIC_LIBS)
guest_genl_ldadd = $(LIBNL_STATIC_LIBS) $(CHECK_STATIC_LIBS)

check_PROGRAMS += tests/guest/test_driver
tests_guest_test_driver_SOURCES = \
	tests/guest/test_driver.c \
	$(guest_util_sources) \
	$(p2pctl_cli_sources)
tests_guest_test_driver_CFLAGS = $(guest_cflags) -I$(top_srcdir)/utils
tests_guest_test_driver_LDFLAGS = $(guest_ldflags)
tests_guest_test_driver_LDADD = $(guest_lib_ldadd)

VM_GUEST_PROGS += tests/guest/test_driver utils/p2pctl-static

# Providers and the generic netlink family (raw libnl, to send malformed
# requests and see every datagram and extended ack).
check_PROGRAMS += tests/guest/test_provider
tests_guest_test_provider_SOURCES = \
	tests/guest/test_provider.c \
	$(guest_util_sources)
tests_guest_test_provider_CFLAGS = $(guest_cflags) $(LIBNL_CFLAGS)
tests_guest_test_provider_LDFLAGS = $(guest_ldflags)
tests_guest_test_provider_LDADD = $(guest_genl_ldadd)

VM_GUEST_PROGS += tests/guest/test_provider

# The provider API of libp2pbuf and "p2pctl provider" (well-formed requests,
# through the library and /bin/p2pctl).
check_PROGRAMS += tests/guest/test_provider_lib
tests_guest_test_provider_lib_SOURCES = \
	tests/guest/test_provider_lib.c \
	$(guest_util_sources)
tests_guest_test_provider_lib_CFLAGS = $(guest_cflags)
tests_guest_test_provider_lib_LDFLAGS = $(guest_ldflags)
tests_guest_test_provider_lib_LDADD = $(guest_lib_ldadd)

VM_GUEST_PROGS += tests/guest/test_provider_lib

# Buffers (P2PBUF_IOC_ALLOC/FREE) and the special VMA, through the raw uAPI;
# providers are registered through libp2pbuf.
check_PROGRAMS += tests/guest/test_buffer
tests_guest_test_buffer_SOURCES = \
	tests/guest/test_buffer.c \
	$(guest_util_sources) \
	$(guest_lib_sources)
tests_guest_test_buffer_CFLAGS = $(guest_cflags)
tests_guest_test_buffer_LDFLAGS = $(guest_ldflags)
tests_guest_test_buffer_LDADD = $(guest_lib_ldadd) -lpthread

VM_GUEST_PROGS += tests/guest/test_buffer

# Benchmark of buffers (reported in README, not run by make check):
# scripts/p2pbuf-vm -- bench_buffer.  (Check is linked for util.c; the
# benchmark calls only its helpers that do not use it.)
check_PROGRAMS += tests/guest/bench_buffer
tests_guest_bench_buffer_SOURCES = \
	tests/guest/bench_buffer.c \
	$(guest_util_sources)
tests_guest_bench_buffer_CFLAGS = $(guest_cflags)
tests_guest_bench_buffer_LDFLAGS = $(guest_ldflags)
tests_guest_bench_buffer_LDADD = $(guest_lib_ldadd)

VM_GUEST_PROGS += tests/guest/bench_buffer

# dma-sgls (P2PBUF_IOC_MAP/REACH, the sgl fd) with edu as the DMA oracle.
check_PROGRAMS += tests/guest/test_sgl
tests_guest_test_sgl_SOURCES = \
	tests/guest/test_sgl.c \
	$(guest_util_sources) \
	$(guest_lib_sources)
tests_guest_test_sgl_CFLAGS = $(guest_cflags)
tests_guest_test_sgl_LDFLAGS = $(guest_ldflags)
tests_guest_test_sgl_LDADD = $(guest_lib_ldadd)

VM_GUEST_PROGS += tests/guest/test_sgl

# p2pctl topo and p2pctl doctor, byte for byte against the rig's definition
# (runs in the IOMMU off and pt boots too: P2PBUF_VM_IOMMU_TESTS).
check_PROGRAMS += tests/guest/test_topo
tests_guest_test_topo_SOURCES = \
	tests/guest/test_topo.c \
	$(guest_util_sources)
tests_guest_test_topo_CFLAGS = $(guest_cflags)
tests_guest_test_topo_LDFLAGS = $(guest_ldflags)
tests_guest_test_topo_LDADD = $(guest_lib_ldadd)

VM_GUEST_PROGS += tests/guest/test_topo

# Benchmark of dma-sgls (reported in README, not run by make check):
# scripts/p2pbuf-vm [--iommu off] -- bench_sgl
check_PROGRAMS += tests/guest/bench_sgl
tests_guest_bench_sgl_SOURCES = \
	tests/guest/bench_sgl.c \
	$(guest_util_sources)
tests_guest_bench_sgl_CFLAGS = $(guest_cflags)
tests_guest_bench_sgl_LDFLAGS = $(guest_ldflags)
tests_guest_bench_sgl_LDADD = $(guest_lib_ldadd)

VM_GUEST_PROGS += tests/guest/bench_sgl

# Revocation, device removal, listings and events (raw netlink).
check_PROGRAMS += tests/guest/test_revoke
tests_guest_test_revoke_SOURCES = \
	tests/guest/test_revoke.c \
	$(guest_util_sources) \
	$(guest_genl_sources)
tests_guest_test_revoke_CFLAGS = $(guest_cflags) $(LIBNL_CFLAGS)
tests_guest_test_revoke_LDFLAGS = $(guest_ldflags)
tests_guest_test_revoke_LDADD = $(guest_genl_ldadd) -lpthread

VM_GUEST_PROGS += tests/guest/test_revoke

# Real PCIe hot-unplug and hot-add (through QMP, by the host-side agent of
# tests/vm/vm-tier.sh) of a provider's device and of a target; runs in the
# hotplug boot (run-qemu.sh --rig hotplug), says so and exits 0 elsewhere.
check_PROGRAMS += tests/guest/test_hotplug
tests_guest_test_hotplug_SOURCES = \
	tests/guest/test_hotplug.c \
	$(guest_util_sources) \
	$(guest_genl_sources)
tests_guest_test_hotplug_CFLAGS = $(guest_cflags) $(LIBNL_CFLAGS)
tests_guest_test_hotplug_LDFLAGS = $(guest_ldflags)
tests_guest_test_hotplug_LDADD = $(guest_genl_ldadd)

VM_GUEST_PROGS += tests/guest/test_hotplug

# Regression tests of the core (issues 11, 13): dump policies, event order
# under concurrency, parameters applying to later objects, shared DMA
# mappings, tunables rewritten during MAP.
check_PROGRAMS += tests/guest/test_core
tests_guest_test_core_SOURCES = \
	tests/guest/test_core.c \
	$(guest_util_sources) \
	$(guest_genl_sources)
tests_guest_test_core_CFLAGS = $(guest_cflags) $(LIBNL_CFLAGS)
tests_guest_test_core_LDFLAGS = $(guest_ldflags)
tests_guest_test_core_LDADD = $(guest_genl_ldadd) -lpthread

VM_GUEST_PROGS += tests/guest/test_core

# dma-buf exports (issue 14), imported by the test-only importer
# (tests/vm/importer, loaded by the rig).
check_PROGRAMS += tests/guest/test_export
tests_guest_test_export_SOURCES = \
	tests/guest/test_export.c \
	tests/vm/importer/p2pbuf_test_importer.h \
	$(guest_util_sources) \
	$(guest_genl_sources)
tests_guest_test_export_CFLAGS = $(guest_cflags) $(LIBNL_CFLAGS)
tests_guest_test_export_LDFLAGS = $(guest_ldflags)
tests_guest_test_export_LDADD = $(guest_genl_ldadd)

VM_GUEST_PROGS += tests/guest/test_export

# Benchmark of dma-buf exports (reported, not a test):
# scripts/p2pbuf-vm --kernel 'build:*' -- bench_export
check_PROGRAMS += tests/guest/bench_export
tests_guest_bench_export_SOURCES = \
	tests/guest/bench_export.c \
	tests/vm/importer/p2pbuf_test_importer.h \
	$(guest_util_sources)
tests_guest_bench_export_CFLAGS = $(guest_cflags)
tests_guest_bench_export_LDFLAGS = $(guest_ldflags)
tests_guest_bench_export_LDADD = $(guest_lib_ldadd)

VM_GUEST_PROGS += tests/guest/bench_export

# Benchmark of dma-buf imports (reported, not a test):
# scripts/p2pbuf-vm --kernel 'build:*' -- bench_import
check_PROGRAMS += tests/guest/bench_import
tests_guest_bench_import_SOURCES = \
	tests/guest/bench_import.c \
	$(guest_util_sources)
tests_guest_bench_import_CFLAGS = $(guest_cflags)
tests_guest_bench_import_LDFLAGS = $(guest_ldflags)
tests_guest_bench_import_LDADD = $(guest_lib_ldadd)

VM_GUEST_PROGS += tests/guest/bench_import

# dma-buf imports (issue 15): udmabuf, the system heap, p2pbuf's exports.
check_PROGRAMS += tests/guest/test_import
tests_guest_test_import_SOURCES = \
	tests/guest/test_import.c \
	tests/vm/importer/p2pbuf_test_importer.h \
	$(guest_util_sources) \
	$(guest_genl_sources)
tests_guest_test_import_CFLAGS = $(guest_cflags) $(LIBNL_CFLAGS)
tests_guest_test_import_LDFLAGS = $(guest_ldflags)
tests_guest_test_import_LDADD = $(guest_genl_ldadd)

VM_GUEST_PROGS += tests/guest/test_import

# p2pdma providers (issue 17): the debug rig's NVMe CMB, O_DIRECT I/O.
check_PROGRAMS += tests/guest/test_p2pdma
tests_guest_test_p2pdma_SOURCES = \
	tests/guest/test_p2pdma.c \
	$(guest_util_sources) \
	$(guest_genl_sources)
tests_guest_test_p2pdma_CFLAGS = $(guest_cflags) $(LIBNL_CFLAGS)
tests_guest_test_p2pdma_LDFLAGS = $(guest_ldflags)
tests_guest_test_p2pdma_LDADD = $(guest_genl_ldadd) -lpthread

VM_GUEST_PROGS += tests/guest/test_p2pdma

# Benchmark of p2pdma buffers (reported, not a test):
# scripts/p2pbuf-vm --kernel 'build:*' -- bench_p2pdma
check_PROGRAMS += tests/guest/bench_p2pdma
tests_guest_bench_p2pdma_SOURCES = \
	tests/guest/bench_p2pdma.c \
	$(guest_util_sources)
tests_guest_bench_p2pdma_CFLAGS = $(guest_cflags)
tests_guest_bench_p2pdma_LDFLAGS = $(guest_ldflags)
tests_guest_bench_p2pdma_LDADD = $(guest_lib_ldadd)

VM_GUEST_PROGS += tests/guest/bench_p2pdma

# MAP over mappings of dma-bufs (issue 15): udmabuf and system heap mmaps
# alone and beside p2pbuf mappings in one dma-sgl, revocation, refusals.
check_PROGRAMS += tests/guest/test_mapvma
tests_guest_test_mapvma_SOURCES = \
	tests/guest/test_mapvma.c \
	tests/vm/importer/p2pbuf_test_importer.h \
	$(guest_util_sources) \
	$(guest_genl_sources)
tests_guest_test_mapvma_CFLAGS = $(guest_cflags) $(LIBNL_CFLAGS)
tests_guest_test_mapvma_LDFLAGS = $(guest_ldflags)
tests_guest_test_mapvma_LDADD = $(guest_genl_ldadd)

VM_GUEST_PROGS += tests/guest/test_mapvma

# A target whose DMA a userspace driver owns (issue 12): vfio-pci bound to
# edu, a VFIO type1 user mapping its own memory.  Needs the IOMMU on.
check_PROGRAMS += tests/guest/test_vfio
tests_guest_test_vfio_SOURCES = \
	tests/guest/test_vfio.c \
	$(guest_util_sources) \
	$(guest_genl_sources)
tests_guest_test_vfio_CFLAGS = $(guest_cflags) $(LIBNL_CFLAGS)
tests_guest_test_vfio_LDFLAGS = $(guest_ldflags)
tests_guest_test_vfio_LDADD = $(guest_genl_ldadd)

VM_GUEST_PROGS += tests/guest/test_vfio

# The bounded, seeded fuzzer (issue 13): ioctls, memory calls, fork and
# netlink messages, as root and as uid 65534 (P2PBUF_FUZZ_SEED,
# P2PBUF_FUZZ_OPS replay a run).
check_PROGRAMS += tests/guest/test_fuzz
tests_guest_test_fuzz_SOURCES = \
	tests/guest/test_fuzz.c \
	$(guest_util_sources) \
	$(guest_genl_sources)
tests_guest_test_fuzz_CFLAGS = $(guest_cflags) $(LIBNL_CFLAGS)
tests_guest_test_fuzz_LDFLAGS = $(guest_ldflags)
tests_guest_test_fuzz_LDADD = $(guest_genl_ldadd)

VM_GUEST_PROGS += tests/guest/test_fuzz

# The syzkaller description of the device and the netlink family (not run
# here): its constants must be the uAPI header's.
TESTS += tests/fuzz/syzkaller/check-const.sh
EXTRA_DIST += tests/fuzz/syzkaller/p2pbuf.txt \
	tests/fuzz/syzkaller/p2pbuf.txt.const \
	tests/fuzz/syzkaller/syz-const.sh tests/fuzz/syzkaller/check-const.sh

# Concurrency stress (issue 13): workers allocating, mapping, touching and
# MAPping on host RAM and two BARs while providers are force-removed and
# re-added, buffers revoked and parameters changed; a monitor checks the
# per-object event order.
check_PROGRAMS += tests/guest/test_stress
tests_guest_test_stress_SOURCES = \
	tests/guest/test_stress.c \
	$(guest_util_sources) \
	$(guest_genl_sources)
tests_guest_test_stress_CFLAGS = $(guest_cflags) $(LIBNL_CFLAGS)
tests_guest_test_stress_LDFLAGS = $(guest_ldflags)
tests_guest_test_stress_LDADD = $(guest_genl_ldadd) -lpthread

VM_GUEST_PROGS += tests/guest/test_stress

# fail-nth (issue 13): every ioctl, mmap, open/close and netlink command
# with its n-th allocation failed, n = 1, 2, ...; on kernels with fault
# injection (the debug kernel), "not applicable" elsewhere.
check_PROGRAMS += tests/guest/test_failnth
tests_guest_test_failnth_SOURCES = \
	tests/guest/test_failnth.c \
	$(guest_util_sources) \
	$(guest_genl_sources)
tests_guest_test_failnth_CFLAGS = $(guest_cflags) $(LIBNL_CFLAGS)
tests_guest_test_failnth_LDFLAGS = $(guest_ldflags)
tests_guest_test_failnth_LDADD = $(guest_genl_ldadd)

VM_GUEST_PROGS += tests/guest/test_failnth
