#!/bin/sh
# sanitizer-selftest.sh - "the detector detects": boot the VM tier's debug
# kernel once per deliberate bug of tests/vm/canary (a stand-in for
# p2pbuf.ko) and check that the rig reports each one: kmemleak, KASAN,
# lockdep, might_sleep, DMA-API debug (wrong unmap size; mapping left after
# rmmod), WARN_ON; a WARN_ON between two floods of info lines that wrap the
# printk buffer, so that the guest's dmesg dump no longer has it (checked:
# else the case proves nothing) and only the kernel log streamed out as it
# was printed (run-qemu.sh --klog) does; and that the control boot
# (bug=none) stays clean.  A
# sanitizer that is configured but blind (as kmemleak was, behind SLUB's
# per-CPU sheaves) makes this fail.
#
# usage: tests/vm/sanitizer-selftest.sh [CASE...]   (default: all cases)
# Environment: P2PBUF_VM_ACCEL=kvm|tcg, QEMU, BUSYBOX (as for vm-tier.sh),
#   P2PBUF_SELFTEST_OUT=DIR  keep the logs there (default: a temporary dir,
#                            kept when a case fails)
# Needs the debug kernel of tests/vm/kernels (built and cached by
# scripts/build-debug-kernel.sh on first use).  ~30 s per case under TCG.
set -u

VM_DIR=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/vm/vm-lib.sh
. "$VM_DIR/vm-lib.sh"

# case<TAB>what the guest's results or kernel log must show (ERE)
cases='none	^P2PBUF-KMEMLEAK leaks=0$
leak	^P2PBUF-KMEMLEAK leaks=([1-9]|1[0-9])$
uaf	BUG: KASAN: slab-use-after-free in canary_bug
oob	BUG: KASAN: slab-out-of-bounds in canary_bug
abba	WARNING: possible circular locking dependency detected
atomic	BUG: sleeping function called from invalid context
dma-size	DMA-API: .*frees DMA memory with different size
dma-leak	DMA-API: mapping left on a driverless device: pci 0000:00:03.0
warn	WARNING: .*canary_bug
flood	WARNING: .*canary_bug'
tab=$(printf '\t')
# shellcheck disable=SC2046 # one word per case name
[ $# -gt 0 ] || set -- $(echo "$cases" | cut -f1)
for c in "$@"; do
	echo "$cases" | grep -q "^$c$tab" || vm_die "unknown case '$c'"
done

glob=$(vm_kernel_globs "$VM_DIR/kernels" | cut -f1 | grep '^build:' | head -n 1)
[ -n "$glob" ] || vm_die "no self-built (build:...) kernel in $VM_DIR/kernels"
kver=$(vm_resolve_kernel "$glob") || exit 1
image=$(vm_kernel_image "$kver")
kobj=$(vm_kernel_obj "$kver")
qemu=$(vm_find_qemu) || exit 1
busybox=$(vm_find_busybox) || exit 1
accel=$(vm_pick_accel "$qemu")
accel=${accel%% *}
out=${P2PBUF_SELFTEST_OUT:-$(mktemp -d "${TMPDIR:-/tmp}/p2pbuf-sanitizers.XXXXXX")}
mkdir -p "$out/canary" || exit 1
cp "$VM_DIR/canary/canary.c" "$VM_DIR/canary/Kbuild" "$out/canary/"
make -C "$kobj" M="$out/canary" modules >"$out/canary/build.log" 2>&1 || {
	tail -n 20 "$out/canary/build.log"
	vm_die "building the canary module failed (log: $out/canary/build.log)"
}
echo "sanitizer self-test: kernel $kver, accel $accel, logs in $out"

pass=0 fail=0
for c in "$@"; do
	want=$(echo "$cases" | grep "^$c$tab" | cut -f2)
	d=$out/$c
	mkdir -p "$d"
	cat >"$d/guest.conf" <<EOF
P2PBUF_VM_MODE=check
P2PBUF_VM_RIG=debug
P2PBUF_VM_KMEMLEAK=1
P2PBUF_VM_TESTS=none
P2PBUF_VM_ACCEL=$accel
P2PBUF_VM_INSMOD_ARGS='bug=$c'
EOF
	sh "$VM_DIR/mkinitramfs.sh" -o "$d/initramfs.cpio" --busybox "$busybox" \
		--init "$VM_DIR/guest-init.sh" --module "$out/canary/p2pbuf.ko" \
		--conf "$d/guest.conf" >"$d/mkinitramfs.log" 2>&1 ||
		vm_die "mkinitramfs failed (log: $d/mkinitramfs.log)"
	t0=$(date +%s)
	sh "$VM_DIR/run-qemu.sh" --qemu "$qemu" --accel "$accel" --kernel "$image" \
		--rig debug --initrd "$d/initramfs.cpio" --console "$d/console.log" \
		--results "$d/results.log" --klog "$d/kernel.log" --timeout 300 \
		2>"$d/qemu.err"
	qrc=$?
	tr -d '\r' <"$d/results.log" >"$d/results.txt"
	sed -n '/^P2PBUF-DMESG-BEGIN/,/^P2PBUF-DMESG-END/p' "$d/results.txt" >"$d/dmesg.log"
	tr -d '\r' <"$d/kernel.log" >"$d/kernel.txt" 2>/dev/null
	why=
	if [ "$c" = flood ]; then
		# The dump must have lost it (else nothing is proven); the scan
		# of the stream must catch it.
		sh "$VM_DIR/scan-log.sh" "$d/kernel.txt" >"$d/scan.txt"
		src=$?
		hit=$(grep -E -m 1 "$want" "$d/kernel.txt")
		if grep -E -q "$want" "$d/dmesg.log"; then
			why="the flood did not wrap the printk buffer: the dump still has the WARNING"
		fi
		grep -q 'flood after the warning: line  39999' "$d/dmesg.log" ||
			why="${why:+$why; }the dump does not end with the flood"
	else
		sh "$VM_DIR/scan-log.sh" "$d/dmesg.log" >"$d/scan.txt"
		src=$?
		hit=$(grep -E -m 1 "$want" "$d/results.txt")
		# The stream sees what the dump sees (the control boot: clean).
		sh "$VM_DIR/scan-log.sh" "$d/kernel.txt" >"$d/scan-stream.txt"
		[ $? = $src ] || [ "$c" = leak ] ||
			why="the streamed kernel log and the dump disagree (see $d/scan-stream.txt)"
	fi
	ok=1
	[ $qrc = 0 ] && grep -q '^P2PBUF-DONE' "$d/results.txt" || ok=0
	[ -n "$hit" ] || ok=0
	[ -z "$why" ] || ok=0
	# the control boot must be clean, every bug must fail the log scan
	# (kmemleak's findings are judged by vm-tier.sh from the marker line)
	case $c in
	none) [ $src = 0 ] || ok=0 ;;
	leak) ;;
	*) [ $src = 1 ] || ok=0 ;;
	esac
	wall=$(($(date +%s) - t0))
	if [ $ok = 1 ]; then
		pass=$((pass + 1))
		echo "  PASS $c (${wall}s): $(echo "$hit" | sed 's/^\[ *[0-9.]*\] //')"
	else
		fail=$((fail + 1))
		echo "  FAIL $c (${wall}s): QEMU rc=$qrc, scan-log rc=$src, wanted /$want/: ${hit:-not found}${why:+; $why}"
		sed 's/^/      /' "$d/scan.txt" | head -n 5
	fi
done
[ $fail = 0 ] && [ -z "${P2PBUF_SELFTEST_OUT:-}" ] && rm -rf "$out"
echo "sanitizer self-test: $pass passed, $fail failed"
[ $fail = 0 ]
