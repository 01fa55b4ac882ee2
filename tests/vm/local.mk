# The QEMU test rig (VM tier of make check).  Included from the top-level
# Makefile.am, which must first set  check_PROGRAMS =  and  VM_GUEST_PROGS =
# (automake refuses += on a variable that was never set with =).

# Guest test of the rig itself: devices present, IOMMU active, DMA oracle.
check_PROGRAMS += tests/guest/test_rig
# (guest_util_sources, guest_cflags, guest_ldflags: tests/local.mk)
tests_guest_test_rig_SOURCES = tests/guest/test_rig.c $(guest_util_sources)
tests_guest_test_rig_CFLAGS = $(guest_cflags)
tests_guest_test_rig_LDFLAGS = $(guest_ldflags)
tests_guest_test_rig_LDADD = $(CHECK_STATIC_LIBS)
VM_GUEST_PROGS += tests/guest/test_rig

EXTRA_DIST += \
	tests/vm/kernels \
	tests/vm/vm-lib.sh \
	tests/vm/vm-tier.sh \
	tests/vm/run-qemu.sh \
	tests/vm/mkinitramfs.sh \
	tests/vm/guest-init.sh \
	tests/vm/scan-log.sh \
	scripts/p2pbuf-vm

# make check-vm: only the VM tier (all kernels of tests/vm/kernels).
# P2PBUF_VM_KERNEL=GLOB, P2PBUF_VM_TESTS=GLOB, P2PBUF_VM_IOMMU_TESTS=GLOB,
# P2PBUF_VM_IOMMU_VARIANTS=0, P2PBUF_VM_ACCEL=tcg|kvm, P2PBUF_VM_VERBOSE=1
# narrow or change it (see tests/vm/vm-tier.sh).
check-vm: $(VM_GUEST_PROGS)
	abs_top_srcdir='$(abs_top_srcdir)' abs_top_builddir='$(abs_top_builddir)' \
	VM_GUEST_PROGS='$(VM_GUEST_PROGS)' QEMU='$(QEMU)' BUSYBOX='$(BUSYBOX)' \
	$(SHELL) $(srcdir)/tests/vm/vm-tier.sh

# Used by scripts/p2pbuf-vm: build the guest programs / list them.
vm-guest-progs: $(VM_GUEST_PROGS)
print-vm-guest-progs:
	@echo $(VM_GUEST_PROGS)

clean-vm:
	-rm -rf tests/vm/out

# (.PHONY for these is in the top-level Makefile.am: automake wants one unconditional .PHONY.)

# make check-sanitizers: "the detector detects" -- boots the debug kernel
# once per deliberate bug of tests/vm/canary and requires each sanitizer
# (kmemleak, KASAN, lockdep, might_sleep, DMA-API debug, WARN) to report it.
EXTRA_DIST += tests/vm/importer/Kbuild tests/vm/importer/p2pbuf_test_importer.c \
	tests/vm/importer/p2pbuf_test_importer.h
EXTRA_DIST += tests/vm/sanitizer-selftest.sh tests/vm/canary/canary.c \
	tests/vm/canary/Kbuild
check-sanitizers:
	QEMU='$(QEMU)' BUSYBOX='$(BUSYBOX)' \
	$(SHELL) $(srcdir)/tests/vm/sanitizer-selftest.sh
