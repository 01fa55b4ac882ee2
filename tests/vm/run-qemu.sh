#!/bin/sh
# Boot the p2pbuf test rig under QEMU.
#
# usage: run-qemu.sh --kernel VMLINUZ --initrd CPIO [options]
#   --accel kvm|tcg        accelerator (default: tcg)
#   --append ARGS          extra guest kernel command line
#   --console FILE         guest console (ttyS0) log; default: stdout
#   --results FILE         results channel (ttyS1) log; default: discard
#   --klog FILE            kernel log stream (ttyS2, a second kernel console:
#                          kernel messages only, as they are printed, so a
#                          log scan sees what later wraps the printk buffer);
#                          default: no such console
#   --timeout SECS         kill QEMU after SECS (exit status 124); 0 = never
#   --interactive          console on this terminal (Ctrl-A x quits QEMU);
#                          with --console also logged to FILE
#   --boot-timeout SECS    with --results: kill QEMU (exit status 125) unless
#                          the guest's init has written P2PBUF-BOOT there
#                          within SECS (catches a KVM that cannot run the guest)
#   --qemu PATH            QEMU binary (default: $QEMU or qemu-system-x86_64)
#   --rig standard|debug|hotplug
#                          debug adds an NVMe controller with a 64 MiB CMB
#                          (00:06.0), which a CONFIG_PCI_P2PDMA kernel
#                          registers as p2pmem (with --nvme-image, its
#                          namespace 1 is that file); hotplug adds two hot-pluggable
#                          root ports with an ivshmem and an edu (below), for
#                          hot-unplug tests driven through --qmp
#   --iommu on|off|pt      the IOMMU (default: on):
#                          on   intel-iommu (intremap=on); guest
#                               intel_iommu=on iommu.strict=1: every DMA-API
#                               device in a translated (DMA) domain
#                          pt   the same plus guest iommu=pt: DMA-API devices
#                               in identity (passthrough) domains, DMA
#                               address = physical address; the IOMMU still
#                               exists (groups, sysfs type switching)
#                          off  no intel-iommu device (no DMAR table, no
#                               interrupt remapping) and no IOMMU options on
#                               the guest command line: no IOMMU groups, DMA
#                               address = physical address
#   --nvme-image FILE      debug rig: raw image backing the NVMe's namespace
#                          (vm_nvme_image in vm-lib.sh writes the pattern the
#                          guest tests expect); without it the NVMe has none
#   --qmp PATH             QMP server on the unix socket PATH (not waited
#                          for), for host-side tests (e.g. hot-unplug)
# Exit status: QEMU's (0 after the guest's poweroff), 124 on timeout, 125 when
# the guest did not reach init in time.
#
# The rig (q35, 2 vCPUs, 2 GiB).  Fixed addresses, so the BDFs below are
# stable (Linux numbers the buses depth first); tests should still find the
# devices by vendor:device (edu 1234:11e8, ivshmem 1af4:1110):
#   (sysbus)   intel-iommu, intremap=on   guest: intel_iommu=on iommu.strict=1
#              (--iommu pt: also iommu=pt; --iommu off: neither)
#   guest command line also: [console=ttyS2] console=ttyS0 panic=-1
#              loglevel=5 printk.time=1 log_buf_len=4M softlockup_panic=1
#              no_timer_check
#              (see below), then --append.  loglevel=5: the consoles print
#              warnings and worse (every splat: WARNING, BUG, KASAN, lockdep,
#              Call Trace...), not the info lines (provider registrations),
#              so that printing keeps up with a flood of those
#   00:03.0    edu0      1234:11e8   dma_mask=~0
#   00:04.0    ivshmem0  1af4:1110   BAR2 = 64 MiB RAM backend shm0
#   00:05.0    pcie-root-port rp0 (chassis 1)           -> bus 01
#   01:00.0      x3130-upstream up0                     -> bus 02
#   02:00.0        xio3130-downstream dp0 (chassis 2, slot 0) -> bus 03
#   03:00.0          edu1      1234:11e8   dma_mask=~0
#   02:01.0        xio3130-downstream dp1 (chassis 2, slot 1) -> bus 04
#   04:00.0          ivshmem1  1af4:1110   BAR2 = 64 MiB RAM backend shm1
#   ttyS0 (0x3f8)  console;  ttyS1 (0x2f8)  results channel (kernel never
#                  prints there, so results do not interleave with printk);
#   ttyS2 (0x3e8)  with --klog: kernel console only (/dev/console is ttyS0,
#                  the last console=, so no userspace output lands there)
# --rig hotplug adds (native PCIe hotplug, pciehp: ACPI PCI hotplug is
# turned off, so that every kernel, the debug kernel without acpiphp too,
# handles the slots the same way; device_del presses the attention button,
# which pciehp acts on after 5 s):
#   00:07.0    pcie-root-port rp1 (chassis 3, slot 7, hotplug) -> bus 05
#   05:00.0      ivshmem2  1af4:1110   BAR2 = 64 MiB RAM backend shm2
#   (no device)            64 MiB RAM backend shm3, for hot-adding ivshmem2
#                          back (device_add ivshmem-plain,id=ivshmem2,
#                          memdev=shm3,bus=rp1): QEMU 7.2 aborts when an
#                          ivshmem is hot-added on a backend that an earlier,
#                          removed one used (qemu_ram_set_idstr: Assertion
#                          `!new_block->idstr[0]' failed: ivshmem's realize
#                          names the backend's RAM block for migration
#                          (vmstate_register_ram), its unrealize does not
#                          unname it)
#   00:08.0    pcie-root-port rp2 (chassis 4, slot 8, hotplug) -> bus 06
#   06:00.0      edu2      1234:11e8   dma_mask=~0
# QEMU 7.2's xio3130 downstream ports have no ACS capability (only AER), so
# Linux redirects no peer traffic and p2pdma's rules (and p2pbuf's) route
# edu1 <-> ivshmem1 below the switch (bus addresses).  QEMU itself routes
# every DMA through the root complex and the IOMMU: with the IOMMU
# translating, a bus address faults.  With the IOMMU on each downstream port
# and the device behind it form one IOMMU group.
set -eu

kernel='' initrd='' accel=tcg append='' console='' results='' klog='' timeout=0 interactive=0
boot_timeout=0 rig=standard iommu=on qmp='' nvme_image=''
qemu=${QEMU:-qemu-system-x86_64}
while [ $# -gt 0 ]; do
	case $1 in
	--kernel) kernel=$2; shift ;;
	--initrd) initrd=$2; shift ;;
	--accel) accel=$2; shift ;;
	--append) append=$2; shift ;;
	--console) console=$2; shift ;;
	--results) results=$2; shift ;;
	--klog) klog=$2; shift ;;
	--timeout) timeout=$2; shift ;;
	--boot-timeout) boot_timeout=$2; shift ;;
	--interactive) interactive=1 ;;
	--qemu) qemu=$2; shift ;;
	--rig) rig=$2; shift ;;
	--iommu) iommu=$2; shift ;;
	--qmp) qmp=$2; shift ;;
	--nvme-image) nvme_image=$2; shift ;;
	*) echo "run-qemu.sh: unknown argument $1" >&2; exit 2 ;;
	esac
	shift
done
[ -r "$kernel" ] || { echo "run-qemu.sh: kernel image '$kernel' not readable" >&2; exit 2; }
[ -r "$initrd" ] || { echo "run-qemu.sh: initramfs '$initrd' not readable" >&2; exit 2; }
command -v "$qemu" >/dev/null 2>&1 ||
	{ echo "run-qemu.sh: $qemu not found; apt-get install qemu-system-x86" >&2; exit 2; }

case $accel in
kvm) accel_opts="-accel kvm -cpu host" ;;
tcg) accel_opts="-accel tcg" ;;
*) echo "run-qemu.sh: --accel must be kvm or tcg" >&2; exit 2 ;;
esac

# kernel-irqchip=split (IOAPIC in QEMU, needed by intremap under KVM) is kept
# without the IOMMU too, so that --iommu changes nothing else; under TCG it
# has no effect.
case $iommu in
on)
	iommu_dev="-device intel-iommu,intremap=on"
	iommu_args="intel_iommu=on iommu.strict=1"
	;;
pt)
	iommu_dev="-device intel-iommu,intremap=on"
	iommu_args="intel_iommu=on iommu=pt iommu.strict=1"
	;;
off)
	iommu_dev=
	iommu_args=
	;;
*) echo "run-qemu.sh: --iommu must be on, off or pt" >&2; exit 2 ;;
esac

# no_timer_check: at boot Linux checks the timer interrupt through the
# IO-APIC by waiting a fixed number of TSC cycles for 4 ticks
# (timer_irq_works()); when host load delays the emulated timer, TCG fails
# it, and with interrupt remapping Linux panics ("timer doesn't work through
# Interrupt-remapped IO-APIC", seen on 6.1 under load).  The rig's timer
# works; the check would only measure the host's speed.
klog_con=
[ -z "$klog" ] || klog_con="console=ttyS2"
cmdline="$klog_con console=ttyS0 panic=-1 $iommu_args loglevel=5 printk.time=1 log_buf_len=4M"
cmdline="$cmdline softlockup_panic=1 no_timer_check $append"

if [ "$interactive" = 1 ]; then
	if [ -n "$console" ]; then
		con="-chardev stdio,id=con0,mux=on,signal=off,logfile=$console"
	else
		con="-chardev stdio,id=con0,mux=on,signal=off"
	fi
	con="$con -serial chardev:con0 -mon chardev=con0,mode=readline"
elif [ -n "$console" ]; then
	con="-serial file:$console -monitor none"
else
	con="-serial stdio -monitor none"
fi
if [ -n "$results" ]; then
	res="-serial file:$results"
else
	res="-serial null"
fi
klog_opts=
[ -z "$klog" ] || klog_opts="-serial file:$klog"

case $rig in
standard) rig_opts= ;;
debug)
	rig_opts="-device nvme,id=nvme0,serial=p2pbufcmb,cmb_size_mb=64,bus=pcie.0,addr=06.0"
	[ -z "$nvme_image" ] ||
		rig_opts="-drive file=$nvme_image,if=none,id=nvm0,format=raw,cache=writethrough
			${rig_opts},drive=nvm0"
	;;
hotplug)
	rig_opts="-global ICH9-LPC.acpi-pci-hotplug-with-bridge-support=off
		-object memory-backend-ram,id=shm2,size=64M
		-object memory-backend-ram,id=shm3,size=64M
		-device pcie-root-port,id=rp1,bus=pcie.0,addr=07.0,chassis=3,slot=7,hotplug=on
		-device pcie-root-port,id=rp2,bus=pcie.0,addr=08.0,chassis=4,slot=8,hotplug=on
		-device ivshmem-plain,id=ivshmem2,memdev=shm2,bus=rp1,addr=00.0
		-device edu,id=edu2,dma_mask=0xffffffffffffffff,bus=rp2,addr=00.0"
	;;
*) echo "run-qemu.sh: --rig must be standard, debug or hotplug" >&2; exit 2 ;;
esac
qmp_opts=
[ -z "$qmp" ] || qmp_opts="-qmp unix:$qmp,server=on,wait=off"

# Word splitting of the option strings is intended (no spaces in the paths
# we generate; the caller's paths are checked below).
case "$kernel$initrd$console$results$klog$qmp$nvme_image" in
*[[:space:]]*) echo "run-qemu.sh: paths must not contain white space" >&2; exit 2 ;;
esac

# shellcheck disable=SC2086
set -- "$qemu" $accel_opts \
	-machine q35,kernel-irqchip=split -m 2048 -smp 2 \
	-nodefaults -display none -no-reboot \
	$iommu_dev \
	-kernel "$kernel" -initrd "$initrd" -append "$cmdline" \
	$con $res $klog_opts \
	-object memory-backend-ram,id=shm0,size=64M \
	-object memory-backend-ram,id=shm1,size=64M \
	-device edu,id=edu0,dma_mask=0xffffffffffffffff,bus=pcie.0,addr=03.0 \
	-device ivshmem-plain,id=ivshmem0,memdev=shm0,bus=pcie.0,addr=04.0 \
	-device pcie-root-port,id=rp0,bus=pcie.0,addr=05.0,chassis=1,slot=0 \
	-device x3130-upstream,id=up0,bus=rp0,addr=00.0 \
	-device xio3130-downstream,id=dp0,bus=up0,addr=00.0,chassis=2,slot=0 \
	-device xio3130-downstream,id=dp1,bus=up0,addr=01.0,chassis=2,slot=1 \
	-device edu,id=edu1,dma_mask=0xffffffffffffffff,bus=dp0,addr=00.0 \
	-device ivshmem-plain,id=ivshmem1,memdev=shm1,bus=dp1,addr=00.0 \
	$rig_opts $qmp_opts

if [ "$interactive" = 1 ] || [ "$timeout" = 0 ]; then
	exec "$@"
fi
if [ "$boot_timeout" = 0 ] || [ -z "$results" ]; then
	exec timeout -k 10 "$timeout" "$@" </dev/null
fi

# Watch for the guest's first marker while QEMU runs.
: >"$results"
timeout -k 10 "$timeout" "$@" </dev/null &
qpid=$!
waited=0
while ! grep -q P2PBUF-BOOT "$results" 2>/dev/null; do
	if ! kill -0 "$qpid" 2>/dev/null; then
		break
	fi
	if [ "$waited" -ge "$((boot_timeout * 5))" ]; then
		kill "$qpid" 2>/dev/null
		wait "$qpid"
		echo "run-qemu.sh: guest did not reach init within ${boot_timeout}s ($accel)" >&2
		exit 125
	fi
	sleep 0.2
	waited=$((waited + 1))
done
wait "$qpid"
