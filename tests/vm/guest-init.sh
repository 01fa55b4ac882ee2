#!/bin/sh
# /init of the p2pbuf test-rig initramfs (busybox sh).
#
# Modes (P2PBUF_VM_MODE in /etc/p2pbuf-vm.conf):
#   check  insmod /p2pbuf.ko, run every /tests/test_* (Check, CK_FORK=yes),
#          rmmod and verify /dev/p2pbuf is gone      (tests/vm/vm-tier.sh)
#   cmd    insmod, run /etc/p2pbuf-vm.cmd            (scripts/p2pbuf-vm -- CMD)
#   shell  insmod, interactive shell on the console  (scripts/p2pbuf-vm)
# (insmod passes P2PBUF_VM_INSMOD_ARGS: tests/vm/sanitizer-selftest.sh)
# Exported to the tests and commands: P2PBUF_VM=1, P2PBUF_VM_ACCEL (kvm|tcg),
# P2PBUF_VM_RIG (standard|debug: run-qemu.sh --rig) and P2PBUF_VM_IOMMU
# (on|off|pt: run-qemu.sh --iommu, what the rig was booted with; default on).
# then dump the kernel log and power off.
#
# Results go to ttyS1 (the kernel never prints there, so lines cannot be cut
# by printk) as marker lines, and are echoed to the console (ttyS0):
#   P2PBUF-BOOT kernel=<release> uptime=<s>
#   P2PBUF-RIGMOD <module> rc=<n>          (each /lib/rig-modules/*.ko)
#   P2PBUF-INSMOD-BEGIN                    (p2pbuf.ko is being loaded: a boot
#                                          that dies after this is not one
#                                          that died before the module)
#   P2PBUF-INSMOD rc=<n> dev=present|missing
#   P2PBUF-TEST-BEGIN <name> ... its output ... P2PBUF-TEST <name> rc=<n>
#   P2PBUF-CMD-BEGIN ... output ... P2PBUF-CMD rc=<n>
#   P2PBUF-RMMOD rc=<n> dev=gone|present module=gone|loaded
#   P2PBUF-KMEMLEAK leaks=<n>|unavailable|blind (...)
#                                          (P2PBUF_VM_KMEMLEAK=1, after rmmod)
#   P2PBUF-DMESG-BEGIN ... dmesg ... P2PBUF-DMESG-END
#   P2PBUF-DONE uptime=<s>

export PATH=/bin HOME=/root
mount -t devtmpfs devtmpfs /dev 2>/dev/null
exec </dev/console >/dev/console 2>&1
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
mount -t tmpfs tmpfs /tmp
cd /tmp || exit 1

P2PBUF_VM_MODE=check
P2PBUF_VM_INSMOD=1
P2PBUF_VM_TESTS='test_*'
P2PBUF_VM_TEST_TIMEOUT=300
P2PBUF_VM_CK_TIMEOUT=60
P2PBUF_VM_ACCEL=unknown
P2PBUF_VM_RIG=standard
P2PBUF_VM_IOMMU=on
P2PBUF_VM_KMEMLEAK=0
P2PBUF_VM_INSMOD_ARGS=''
# shellcheck disable=SC1091
[ -r /etc/p2pbuf-vm.conf ] && . /etc/p2pbuf-vm.conf
export P2PBUF_VM=1 P2PBUF_VM_ACCEL P2PBUF_VM_RIG P2PBUF_VM_IOMMU
# A fuzz run to replay (vm-tier.sh passes them on from its environment).
[ -z "${P2PBUF_FUZZ_SEED:-}" ] || export P2PBUF_FUZZ_SEED
[ -z "${P2PBUF_FUZZ_OPS:-}" ] || export P2PBUF_FUZZ_OPS

RES=/dev/ttyS1
stty -F "$RES" raw -echo 2>/dev/null
exec 3>"$RES" || exec 3>/dev/null

say() {
	echo "$*"
	echo "$*" >&3
}

uptime_s() {
	read -r up _ </proc/uptime
	echo "$up"
}

finish() {
	say "P2PBUF-DMESG-BEGIN"
	dmesg >&3
	echo "P2PBUF-DMESG-END" >&3
	echo "P2PBUF-DMESG-END (dmesg written to the results channel)"
	say "P2PBUF-DONE uptime=$(uptime_s)"
	exec 3>&-
	sync
	poweroff -f
	sleep 10
	echo "p2pbuf-vm: poweroff failed" >&2
	exit 1
}

say "P2PBUF-BOOT kernel=$(uname -r) uptime=$(uptime_s)"

# kmemleak: forget what boot allocated, so that the scan after rmmod reports
# only what the tests and the module leaked.
KML=/sys/kernel/debug/kmemleak
if [ "$P2PBUF_VM_KMEMLEAK" = 1 ] && [ -w $KML ]; then
	echo clear >$KML
fi
# DMA-API debug prints only its first error by default (num_errors=1): one
# early report would hide every later one.  Print them all.
DMAD=/sys/kernel/debug/dma-api
[ -w $DMAD/all_errors ] && echo 1 >$DMAD/all_errors

# What the rig needs of the kernel (mkinitramfs.sh --rig-module): brd's
# /dev/ram0 for test_buffer's O_DIRECT test.  A failure is reported; the
# tests that need the module fail on their own.
for m in /lib/rig-modules/*.ko; do
	[ -f "$m" ] || continue
	insmod "$m"
	rc=$?
	name=${m##*/}
	say "P2PBUF-RIGMOD ${name%.ko} rc=$rc"
done

if [ "$P2PBUF_VM_INSMOD" = 1 ]; then
	say "P2PBUF-INSMOD-BEGIN"
	# shellcheck disable=SC2086 # module parameters, split on purpose
	insmod /p2pbuf.ko $P2PBUF_VM_INSMOD_ARGS
	rc=$?
	if [ -e /dev/p2pbuf ]; then dev=present; else dev=missing; fi
	say "P2PBUF-INSMOD rc=$rc dev=$dev"
	if [ $rc != 0 ] || [ $dev != present ]; then
		say "p2pbuf-vm: insmod /p2pbuf.ko failed (rc=$rc, /dev/p2pbuf $dev)"
		finish
	fi
fi

# One guest test program, its output on the results channel.
run_test() {
	name=${1##*/}
	say "P2PBUF-TEST-BEGIN $name"
	{
		CK_FORK=yes CK_VERBOSITY=normal \
			CK_DEFAULT_TIMEOUT=$P2PBUF_VM_CK_TIMEOUT \
			timeout -s KILL "$P2PBUF_VM_TEST_TIMEOUT" "$1" 2>&1 </dev/null
		echo $? >/tmp/rc
	} | tee "$RES"
	read -r rc </tmp/rc
	say "P2PBUF-TEST $name rc=$rc"
}

case $P2PBUF_VM_MODE in
check)
	# test_failnth runs last: an injected allocation failure inside
	# DMA-API debug's own bookkeeping turns that checker off for the rest
	# of the boot ("cacheline tracking ENOMEM"), which must not blind the
	# other suites.
	last=
	for t in /tests/$P2PBUF_VM_TESTS; do
		[ -x "$t" ] || continue
		case ${t##*/} in
		test_failnth) last="$last $t" ;;
		*) run_test "$t" ;;
		esac
	done
	for t in $last; do
		run_test "$t"
	done
	if [ "$P2PBUF_VM_INSMOD" = 1 ]; then
		rmmod p2pbuf
		rc=$?
		if [ -e /dev/p2pbuf ]; then dev=present; else dev=gone; fi
		if grep -q '^p2pbuf ' /proc/modules; then mod=loaded; else mod=gone; fi
		say "P2PBUF-RMMOD rc=$rc dev=$dev module=$mod"
	fi
	# DMA-API debug checks for forgotten unmaps only when a device's
	# driver unbinds; p2pbuf maps for devices it does not drive (edu,
	# ivshmem: no driver), so look for what is still mapped on a PCI
	# device without a driver (dev_driver_string() is then the bus, "pci").
	# Each is reported as a DMA-API line, which scan-log.sh flags; so is a
	# non-zero error count (errors whose report was suppressed).
	dmad_off=N
	[ -r $DMAD/disabled ] && read -r dmad_off <$DMAD/disabled
	if [ "$dmad_off" = Y ]; then
		# Turned off by an injected failure (test_failnth, run last):
		# its bookkeeping is stale from then on.
		echo "p2pbuf-vm: DMA-API debug turned itself off (fail-nth); no leak check of its table" >/dev/kmsg
	elif [ -r $DMAD/dump ]; then
		grep '^pci ' $DMAD/dump | while read -r line; do
			echo "p2pbuf-vm: DMA-API: mapping left on a driverless device: $line" >/dev/kmsg
		done
		read -r n <$DMAD/error_count
		[ "$n" = 0 ] || echo "p2pbuf-vm: DMA-API: error_count=$n" >/dev/kmsg
	fi
	if [ "$P2PBUF_VM_KMEMLEAK" = 1 ]; then
		# kmemleak is blind to any cache with per-CPU sheaves: their
		# object arrays keep stale pointers to objects handed out
		# (tests/vm/debug.config: CONFIG_SLUB_DEBUG_ON turns them off).
		blind=0 eg=
		for f in /sys/kernel/slab/*/sheaf_capacity; do
			[ -r "$f" ] || continue
			read -r c <"$f"
			[ "$c" = 0 ] && continue
			blind=$((blind + 1))
			f=${f%/sheaf_capacity}
			[ $blind -gt 3 ] || eg="$eg ${f##*/}"
		done
		if [ $blind != 0 ]; then
			say "P2PBUF-KMEMLEAK leaks=blind ($blind slab caches have per-CPU sheaves, e.g.$eg)"
		elif [ -w $KML ]; then
			# Whole task stacks are scanned by default, stale parts
			# included, and exited tasks' stacks are recycled: a
			# leaked pointer left there hides the leak.  Nothing of
			# the (unloaded) module may live on a stack by now.
			echo stack=off >$KML
			# Two scans: an object is reported only once it has been
			# unreferenced for a full scan (see kmemleak.rst).
			echo scan >$KML
			sleep 6
			echo scan >$KML
			cat $KML >/tmp/kmemleak
			n=$(grep -c '^unreferenced object' /tmp/kmemleak)
			cat /tmp/kmemleak >&3
			say "P2PBUF-KMEMLEAK leaks=$n"
		else
			say "P2PBUF-KMEMLEAK leaks=unavailable"
		fi
	fi
	;;
cmd)
	say "P2PBUF-CMD-BEGIN"
	{
		sh /etc/p2pbuf-vm.cmd 2>&1 </dev/null
		echo $? >/tmp/rc
	} | tee "$RES"
	read -r rc </tmp/rc
	say "P2PBUF-CMD rc=$rc"
	;;
shell)
	echo
	echo "p2pbuf-vm: guest shell ($(uname -r)); 'exit' powers off, Ctrl-A x kills QEMU"
	[ -e /dev/p2pbuf ] && echo "p2pbuf-vm: /dev/p2pbuf is loaded; try: p2pctl info"
	PS1='p2pbuf-vm:\w# ' setsid cttyhack sh -l
	;;
*)
	say "p2pbuf-vm: unknown mode '$P2PBUF_VM_MODE'"
	;;
esac
finish
