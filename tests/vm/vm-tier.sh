#!/bin/sh
# The VM tier of `make check`: for every kernel of tests/vm/kernels, build
# p2pbuf.ko against that kernel's headers, boot the kernel under QEMU on the
# test rig (tests/vm/run-qemu.sh), run the guest test programs there against
# the real /dev/p2pbuf, and judge the results.  Every kernel but the debug
# kernel is then booted twice more with the IOMMU off and in passthrough
# (run-qemu.sh --iommu off, --iommu pt), each running only the guest tests
# matching P2PBUF_VM_IOMMU_TESTS and judged like the normal boot; each boot
# has its own verdict (PASS:<kver>, PASS:<kver>/iommu=off, .../iommu=pt).
# Every kernel of the list but the debug kernel (see below) is also booted on the
# hotplug rig (run-qemu.sh --rig hotplug --qmp SOCK), running only the guest
# tests matching P2PBUF_VM_HOTPLUG_TESTS, judged like the normal boot
# (verdict PASS:<kver>/hotplug); during that boot a host-side agent
# (qmp_agent) performs the guest's hotplug requests through QMP.
#
# Run from the top build directory with, in the environment:
#   abs_top_srcdir, abs_top_builddir   (as in the Makefiles)
#   VM_GUEST_PROGS   static guest programs, relative to abs_top_builddir
#                    (test_* run as Check suites; p2pctl-static is /bin/p2pctl)
# Optional:
#   QEMU, BUSYBOX            binaries (default: from PATH / busybox-static)
#   P2PBUF_VM_KERNEL=GLOB    test only the kernels of the list matching GLOB
#   P2PBUF_VM_ACCEL=kvm|tcg  force the accelerator (default: KVM if usable)
#   P2PBUF_VM_TIMEOUT=SECS   per-boot limit (default 1200: the fuzzer and
#                            the stress test take minutes under TCG)
#   P2PBUF_VM_TESTS=GLOB     run only the guest tests matching GLOB (normal
#                            boots; all of those must run)
#   P2PBUF_VM_IOMMU_TESTS=GLOB  the guest tests of the IOMMU off/pt boots
#                            (default 'test_[est][gox][lp]*': test_sgl,
#                            test_export and test_topo, the suites whose
#                            answers depend on the IOMMU mode); when no guest test
#                            program matches, those boots are skipped (and
#                            the tier says so)
#   P2PBUF_VM_IOMMU_VARIANTS=0  no IOMMU off/pt boots
#   P2PBUF_VM_HOTPLUG_TESTS=GLOB  the guest tests of the hotplug boots
#                            (default 'test_hotplug*'); when none matches,
#                            those boots are skipped (and the tier says so)
#   P2PBUF_VM_HOTPLUG=0      no hotplug boots
#   P2PBUF_VM_VERBOSE=1      also show the guest console live
#   P2PBUF_FUZZ_SEED=N, P2PBUF_FUZZ_OPS=M  passed to the guest (test_fuzz:
#                            replay a seed, change the operation count)
#   P2PBUF_SKIP_VM=1         skip the tier (says so loudly; for distcheck)
# Fails (exit 1) when a prerequisite is missing, a module does not build,
# the guest does not boot or times out, insmod fails, a guest test fails,
# the module does not unload cleanly, or the guest kernel log shows trouble
# (tests/vm/scan-log.sh): both the guest's dmesg dump at the end and the
# kernel log streamed out as it was printed (run-qemu.sh --klog, kernel.log:
# warnings and worse), which a long run cannot wrap before the scan.  A boot that dies before the module is loaded (no
# P2PBUF-INSMOD marker and nothing of p2pbuf on the console: a boot-time
# panic or oops of a TCG guest starved by host load) is booted once more;
# the tier says so loudly, in the boot's verdict too
# (PASS:<kver>[RETRIED:first-boot-died-before-module]), keeps the first
# boot's logs as *.first-boot.* and shows what its console log scan found.
# A second such death fails the boot.  Everything is kept in tests/vm/out/<kver>/
# (the IOMMU variants in tests/vm/out/<kver>/iommu-off/ and iommu-pt/, the
# hotplug boot in tests/vm/out/<kver>/hotplug/, with the agent's qmp.log).
set -u

: "${abs_top_srcdir:?abs_top_srcdir must be set (run from make check)}"
: "${abs_top_builddir:?abs_top_builddir must be set (run from make check)}"
VM_DIR=$abs_top_srcdir/tests/vm
# shellcheck source=tests/vm/vm-lib.sh
. "$VM_DIR/vm-lib.sh"

if [ "${P2PBUF_SKIP_VM:-0}" = 1 ]; then
	echo "************************************************************"
	echo "VM tier: SKIPPED because P2PBUF_SKIP_VM=1 -- the driver was NOT tested"
	echo "************************************************************"
	exit 0
fi

start_all=$(date +%s)
out_root=$abs_top_builddir/tests/vm/out
mkdir -p "$out_root" || vm_die "cannot create $out_root"

# --- prerequisites: fail before building anything --------------------------
qemu=$(vm_find_qemu) || exit 1
busybox=$(vm_find_busybox) || exit 1
command -v cpio >/dev/null 2>&1 || vm_die "cpio not found; apt-get install cpio"
command -v timeout >/dev/null 2>&1 || vm_die "timeout (coreutils) not found"
[ -n "${VM_GUEST_PROGS:-}" ] ||
	vm_die "VM_GUEST_PROGS is empty: there would be no guest tests to run"
progs=
for p in $VM_GUEST_PROGS; do
	f=$abs_top_builddir/$p
	[ -f "$f" ] || vm_die "guest program $p not built ($f missing)"
	vm_is_static_elf "$f" ||
		vm_die "guest program $p is not a static executable (link with -all-static)"
	progs="$progs $f"
done

kernels=
tab=$(printf '\t')
list=$(vm_kernel_globs "$VM_DIR/kernels") || exit 1
while IFS=$tab read -r glob hint; do
	if [ -n "${P2PBUF_VM_KERNEL:-}" ]; then
		# shellcheck disable=SC2254
		case $glob in ${P2PBUF_VM_KERNEL}) ;; *) continue ;; esac
	fi
	kver=$(vm_resolve_kernel "$glob" "$hint") || exit 1
	kernels="$kernels $kver"
done <<EOF
$list
EOF
[ -n "$kernels" ] || vm_die "no kernel selected (tests/vm/kernels, P2PBUF_VM_KERNEL=${P2PBUF_VM_KERNEL:-})"

accel_line=$(vm_pick_accel "$qemu")
accel=${accel_line%% *}
timeout_s=${P2PBUF_VM_TIMEOUT:-1200}
case $timeout_s in '' | *[!0-9]*) vm_die "P2PBUF_VM_TIMEOUT must be a number of seconds" ;; esac
# Each guest test program gets less than the whole boot, so that a hung test
# is reported by name and the kernel log still comes back.
if [ "$timeout_s" -gt 120 ]; then
	test_timeout=$((timeout_s - 60))
else
	test_timeout=$((timeout_s * 3 / 4))
fi
# ntests_matching GLOB: how many of the guest test programs the guest runs
# for P2PBUF_VM_TESTS=GLOB (it runs /tests/GLOB, and only test_* are there).
ntests_matching() {
	_n=0
	for _p in $VM_GUEST_PROGS; do
		_p=${_p##*/}
		case $_p in test_*) ;; *) continue ;; esac
		# shellcheck disable=SC2254 # GLOB is a pattern on purpose
		case $_p in $1) _n=$((_n + 1)) ;; esac
	done
	echo "$_n"
}

# optional_boots NAME VALUE GLOB GLOBNAME WHAT: whether the optional boots
# switched by P2PBUF_VM_<NAME>=VALUE (0 or 1) happen: they run the guest
# test programs matching GLOB (P2PBUF_VM_<GLOBNAME>), and are skipped when
# none does.  Sets optional_on (0 or 1) and optional_line, which says so;
# WHAT describes the boots.
optional_boots() {
	case $2 in
	0) optional_on=0 optional_line="disabled (P2PBUF_VM_$1=0)" ;;
	1)
		_n=$(ntests_matching "$3")
		if [ "$_n" = 0 ]; then
			optional_on=0
			optional_line="SKIPPED: no guest test program matches P2PBUF_VM_$4='$3'"
		else
			optional_on=1
			optional_line="$5, running the $_n guest test program(s) matching '$3'"
		fi
		;;
	*) vm_die "P2PBUF_VM_$1 must be 0 or 1" ;;
	esac
}

# The IOMMU variants (off, pt) of every kernel but the debug kernel.
# One glob (the guest runs /tests/GLOB): test_sgl*, test_export*, test_topo*.
iommu_tests=${P2PBUF_VM_IOMMU_TESTS:-test_[est][gox][lp]*}
optional_boots IOMMU_VARIANTS "${P2PBUF_VM_IOMMU_VARIANTS:-1}" "$iommu_tests" \
	IOMMU_TESTS "each kernel but the debug kernel also boots with the IOMMU off and pt"
variants=$optional_on variants_line=$optional_line
# The hotplug boots: every kernel of the list but the debug kernel.
hotplug_tests=${P2PBUF_VM_HOTPLUG_TESTS:-test_hotplug*}
optional_boots HOTPLUG "${P2PBUF_VM_HOTPLUG:-1}" "$hotplug_tests" \
	HOTPLUG_TESTS "every kernel but the debug kernel also boots on the hotplug rig"
hotplug=$optional_on hotplug_line=$optional_line
if [ "$hotplug" = 1 ]; then
	command -v socat >/dev/null 2>&1 ||
		vm_die "socat not found (the hotplug boot talks QMP with it); apt-get install socat, or P2PBUF_VM_HOTPLUG=0"
fi
echo "VM tier: kernels:$kernels"
echo "VM tier: IOMMU variants: $variants_line"
echo "VM tier: hotplug: $hotplug_line"
echo "VM tier: accelerator: $accel_line; QEMU $qemu; per-boot timeout ${timeout_s}s"

# --- build the module for every kernel (in parallel) -----------------------
src_log=$out_root/src.log
: >"$src_log"
cfgsrc=$(vm_config_srcdir "$abs_top_srcdir" "$out_root" "$src_log") || {
	echo "VM tier: FAIL: could not prepare a source tree to build from; see $src_log"
	tail -n 20 "$src_log"
	exit 1
}
t0=$(date +%s)
for kver in $kernels; do
	d=$out_root/$kver
	mkdir -p "$d"
	rm -f "$d/build.ok"
	(
		: >"$d/build.log"
		vm_build_module "$cfgsrc" "$d" "$kver" "$d/build.log" >"$d/build.ok.tmp" &&
			mv "$d/build.ok.tmp" "$d/build.ok"
	) &
done
wait
fail=0
for kver in $kernels; do
	d=$out_root/$kver
	if [ ! -s "$d/build.ok" ]; then
		echo "VM tier: FAIL: building p2pbuf.ko for $kver failed; log: $d/build.log"
		tail -n 25 "$d/build.log" | sed 's/^/    /'
		fail=1
	fi
done
[ $fail = 0 ] || exit 1
echo "VM tier: modules built for all kernels in $(($(date +%s) - t0))s"

# --- the QMP agent of the hotplug boot -------------------------------------

# qmp_value VALUE: VALUE as a JSON value: a number (decimal, or 0x hex
# converted to decimal, up to 2^64-1), true/false (on/off too), else a string.
qmp_value() {
	case $1 in
	'' | *[!0-9]*) ;;
	*)
		echo "$1"
		return
		;;
	esac
	case $1 in
	0x | 0x*[!0-9a-fA-F]*) ;;
	0x*)
		printf '%u\n' "$1"
		return
		;;
	on | true)
		echo true
		return
		;;
	off | false)
		echo false
		return
		;;
	esac
	printf '"%s"\n' "$1"
}

# qmp_json REQUEST: the QMP command for a request line of the guest,
# "device_del ID" or "device_add DRIVER id=ID bus=BUS [KEY=VALUE ...]";
# false when REQUEST is not one.  Only [A-Za-z0-9._:=-] in words.
qmp_json() {
	case $1 in *[!A-Za-z0-9._:=\ -]*) return 1 ;; esac
	# shellcheck disable=SC2086 # split into words on purpose
	set -- $1
	[ $# -ge 2 ] || return 1
	case $2 in *=*) return 1 ;; esac
	case $1 in
	device_del)
		[ $# = 2 ] || return 1
		printf '{"execute":"device_del","arguments":{"id":"%s"}}\n' "$2"
		;;
	device_add)
		_args="\"driver\":\"$2\""
		_id=0 _bus=0
		shift 2
		for _kv in "$@"; do
			_k=${_kv%%=*} _v=${_kv#*=}
			[ -n "$_k" ] && [ "$_k" != "$_kv" ] || return 1
			case $_k in id) _id=1 ;; bus) _bus=1 ;; esac
			_args="$_args,\"$_k\":$(qmp_value "$_v")"
		done
		[ $_id = 1 ] && [ $_bus = 1 ] || return 1
		printf '{"execute":"device_add","arguments":{%s}}\n' "$_args"
		;;
	*) return 1 ;;
	esac
}

# qmp_send SOCK JSON: run one QMP command (after qmp_capabilities) on the
# unix socket SOCK; print everything QEMU said.  True when both commands
# returned and nothing failed.
qmp_send() {
	_reply=$(printf '%s\n%s\n' '{"execute":"qmp_capabilities"}' "$2" |
		timeout 20 socat -t 5 - "UNIX-CONNECT:$1" 2>&1)
	printf '%s\n' "$_reply"
	[ "$(printf '%s\n' "$_reply" | grep -c '^{"return"')" = 2 ] &&
		! printf '%s\n' "$_reply" | grep -q '^{"error"'
}

# qmp_agent SOCK RESULTS LOG MAINPID: until MAINPID exits (or the agent is
# killed), watch RESULTS for the guest's request lines "P2PBUF-QMP REQUEST"
# and perform each once, in order, through QMP on SOCK; append what was
# sent and QEMU's replies to LOG, and one verdict line per request:
# "P2PBUF-QMP-OK REQUEST" or "P2PBUF-QMP-FAILED REQUEST: why".  A device_del
# is done once QEMU has removed the device (after the guest's pciehp
# powered the slot off), so that a device_add of the same id can follow.
qmp_agent() {
	_sock=$1 _res=$2 _log=$3 _main=$4 _done=0
	: >"$_log"
	while kill -0 "$_main" 2>/dev/null; do
		sleep 0.5
		[ -f "$_res" ] || continue
		# Complete lines only: the guest may be writing the last one.
		_reqs=$(head -n "$(wc -l <"$_res")" "$_res" | tr -d '\r' |
			sed -n 's/^P2PBUF-QMP //p')
		_i=0
		while IFS= read -r _req; do
			[ -n "$_req" ] || continue
			_i=$((_i + 1))
			[ $_i -gt $_done ] || continue
			_done=$_i
			echo "--- $(date +%T) request: $_req" >>"$_log"
			if ! _json=$(qmp_json "$_req"); then
				echo "P2PBUF-QMP-FAILED $_req: not a request the agent knows" >>"$_log"
				continue
			fi
			echo "sent: $_json" >>"$_log"
			_ok=1
			_out=$(qmp_send "$_sock" "$_json" 2>&1) || _ok=0
			printf '%s\n' "$_out" >>"$_log"
			if [ $_ok = 0 ]; then
				_why=$(printf '%s\n' "$_out" |
					sed -n 's/.*"desc": *"\([^"]*\)".*/\1/p' | head -n 1)
				echo "P2PBUF-QMP-FAILED $_req: ${_why:-no reply from QEMU}" >>"$_log"
				continue
			fi
			case $_req in
			device_del\ *)
				_get="{\"execute\":\"qom-get\",\"arguments\":{\"path\":\"/machine/peripheral/${_req#device_del }\",\"property\":\"type\"}}"
				_t=0
				while [ $_t -lt 120 ] && qmp_send "$_sock" "$_get" >/dev/null 2>&1; do
					_t=$((_t + 1))
					sleep 0.5
				done
				if [ $_t -ge 120 ]; then
					echo "P2PBUF-QMP-FAILED $_req: QEMU still has the device 60s later (the guest did not power the slot off)" >>"$_log"
					continue
				fi
				echo "QEMU removed the device after ~$((_t / 2))s" >>"$_log"
				;;
			esac
			echo "P2PBUF-QMP-OK $_req" >>"$_log"
		done <<EOF
$_reqs
EOF
	done
}

# --- boot each kernel ------------------------------------------------------
cr=$(printf '\r')
verdicts=
overall=0
# The boots that died before the module was loaded and were retried.
retried=

# died_before_module DIR: true when the boot whose logs are in DIR died (or
# hung) before p2pbuf.ko was loaded: the guest never started to load it (no
# P2PBUF-INSMOD-BEGIN or P2PBUF-INSMOD marker on the results channel) and
# nothing of the module shows on the console (no "[p2pbuf]" frame, no
# "Modules linked in: ... p2pbuf").  Host load does that to TCG guests (a
# boot-time panic or oops, a stall before init); the driver cannot.
died_before_module() {
	! { tr -d "$cr" <"$1/results.log"; } 2>/dev/null | grep -q '^P2PBUF-INSMOD' &&
		! { tr -d "$cr" <"$1/console.log"; } 2>/dev/null |
		grep -Eq '\[p2pbuf\]|Modules linked in:.*p2pbuf|P2PBUF-INSMOD'
}

# first_boot_why DIR QRC: one line on how the first boot ended.
first_boot_why() {
	_panic=$({ tr -d "$cr" <"$1/console.log"; } 2>/dev/null |
		grep -E 'Kernel panic|Oops|BUG:|general protection' | head -n 1)
	case $2 in
	124) _how="hung: killed after ${timeout_s}s" ;;
	0) _how="QEMU exited 0 (the guest rebooted: panic=-1)" ;;
	*) _how="QEMU exited with status $2: $(head -c 200 "$1/qemu.err" 2>/dev/null | tr '\n' ' ')" ;;
	esac
	echo "$_how${_panic:+; console: $_panic}"
}

problem() {
	problems="$problems
    - $*"
}

# boot KVER IOMMU TESTS [hotplug]: build the initramfs for kernel KVER, boot
# it with run-qemu.sh --iommu IOMMU running the guest tests matching the glob
# TESTS, judge the results, print them and add the verdict to $verdicts
# (label KVER for the normal boot, KVER/iommu=IOMMU for a variant,
# KVER/hotplug on the hotplug rig, with the QMP agent running).  Everything
# is kept in $out_root/KVER/ (variants: $out_root/KVER/iommu-IOMMU/,
# $out_root/KVER/hotplug/).
boot() {
	kver=$1 iommu=$2 tests=$3 variant=${4:-}
	ko=$(cat "$out_root/$kver/build.ok")
	if [ "$variant" = hotplug ]; then
		label=$kver/hotplug
		d=$out_root/$kver/hotplug
		mkdir -p "$d"
		echo
		echo "=== VM tier: $kver, hotplug rig (guest tests '$tests') ==="
	elif [ "$iommu" = on ]; then
		label=$kver
		d=$out_root/$kver
		echo
		echo "=== VM tier: $kver ==="
	else
		label=$kver/iommu=$iommu
		d=$out_root/$kver/iommu-$iommu
		mkdir -p "$d"
		echo
		echo "=== VM tier: $kver, IOMMU $iommu (guest tests '$tests') ==="
	fi
	image=$(vm_kernel_image "$kver")
	rig=standard
	debug=0
	if vm_kernel_is_debug "$kver"; then
		rig=debug
		debug=1
		if [ "$variant" = hotplug ]; then
			echo "  debug kernel: kmemleak scan at the end"
		else
			echo "  debug kernel: debug rig (NVMe CMB as p2pmem), kmemleak scan at the end"
		fi
	fi
	[ "$variant" = hotplug ] && rig=hotplug
	expected=$(ntests_matching "$tests")
	[ "$expected" != 0 ] ||
		echo "  note: no guest test program matches '$tests'"
	rigmods=$(vm_rig_modules "$kver" "$d/rig-modules") || {
		echo "VM tier: FAIL: $label: could not prepare the rig's kernel modules"
		overall=1
		verdicts="$verdicts FAIL:$label"
		return
	}
	# The test-only dma-buf importer, loaded after the kernel's modules.
	rigmods="$rigmods $(vm_importer_rig_module "$ko" "$d/rig-modules")"
	rigopts=
	for m in $rigmods; do
		rigopts="$rigopts --rig-module $m"
	done
	cat >"$d/guest.conf" <<EOF
P2PBUF_VM_MODE=check
P2PBUF_VM_RIG=$rig
P2PBUF_VM_IOMMU=$iommu
P2PBUF_VM_KMEMLEAK=$debug
P2PBUF_VM_TESTS='$tests'
P2PBUF_VM_TEST_TIMEOUT=$test_timeout
P2PBUF_VM_CK_TIMEOUT=60
P2PBUF_VM_ACCEL=$accel
EOF
	# A fuzz run to replay (tests/guest/test_fuzz.c), passed to the guest.
	for v in P2PBUF_FUZZ_SEED P2PBUF_FUZZ_OPS; do
		eval "val=\${$v:-}"
		[ -z "$val" ] || echo "$v='$val'" >>"$d/guest.conf"
	done
	# shellcheck disable=SC2086
	sh "$VM_DIR/mkinitramfs.sh" -o "$d/initramfs.cpio" --busybox "$busybox" \
		--init "$VM_DIR/guest-init.sh" --module "$ko" \
		--conf "$d/guest.conf" $rigopts $progs || {
		echo "VM tier: FAIL: $label: could not build the initramfs"
		overall=1
		verdicts="$verdicts FAIL:$label"
		return
	}
	rm -f "$d/console.log" "$d/results.log" "$d/dmesg.log" "$d/qmp.log" \
		"$d/console.scan" "$d/kernel.log" "$d/kernel.scan" "$d"/*.first-boot.*
	attempt=1 first_why=
	while :; do
		t0=$(date +%s)
		if [ "${P2PBUF_VM_VERBOSE:-0}" = 1 ]; then
			: >"$d/console.log"
			tail -f "$d/console.log" &
			tailpid=$!
		fi
		boot_to=0
		[ "$accel" = kvm ] && boot_to=60
		# The hotplug boot: QMP on a short socket path (unix socket
		# paths are limited to 107 bytes), and the agent.
		qmpopts='' agentpid='' qmpdir=''
		if [ "$variant" = hotplug ]; then
			qmpdir=$(mktemp -d "${TMPDIR:-/tmp}/p2pbuf-qmp.XXXXXX") || {
				echo "VM tier: FAIL: $label: mktemp failed"
				overall=1
				verdicts="$verdicts FAIL:$label"
				return
			}
			qmpopts="--qmp $qmpdir/qmp.sock"
			qmp_agent "$qmpdir/qmp.sock" "$d/results.log" "$d/qmp.log" $$ &
			agentpid=$!
		fi
		# The debug rig's NVMe namespace, fresh for every boot.
		nvmeopts=''
		if [ "$rig" = debug ]; then
			vm_nvme_image "$d/nvme.img"
			nvmeopts="--nvme-image $d/nvme.img"
		fi
		# shellcheck disable=SC2086 # $qmpopts: options, split on purpose
		sh "$VM_DIR/run-qemu.sh" --qemu "$qemu" --accel "$accel" \
			--kernel "$image" --rig "$rig" --iommu "$iommu" \
			--initrd "$d/initramfs.cpio" \
			--console "$d/console.log" --results "$d/results.log" \
			--klog "$d/kernel.log" \
			--timeout "$timeout_s" --boot-timeout "$boot_to" \
			$qmpopts $nvmeopts 2>"$d/qemu.err"
		qrc=$?
		rm -f "$d/nvme.img"
		wall=$(($(date +%s) - t0))
		[ "${P2PBUF_VM_VERBOSE:-0}" = 1 ] && kill "$tailpid" 2>/dev/null
		if [ -n "$agentpid" ]; then
			kill "$agentpid" 2>/dev/null
			wait "$agentpid" 2>/dev/null
			rm -rf "$qmpdir"
		fi
		if [ $qrc = 125 ] && [ "$accel" = kvm ]; then
			echo "VM tier: KVM could not boot $kver (no init after 60s); falling back to TCG"
			accel=tcg
			sed -i 's/^P2PBUF_VM_ACCEL=.*/P2PBUF_VM_ACCEL=tcg/' "$d/guest.conf"
			# shellcheck disable=SC2086 # $progs: list of paths
			sh "$VM_DIR/mkinitramfs.sh" -o "$d/initramfs.cpio" --busybox "$busybox" \
				--init "$VM_DIR/guest-init.sh" --module "$ko" \
				--conf "$d/guest.conf" $rigopts $progs || exit 1
			continue
		fi
		# A boot that died before the module was loaded says nothing
		# about the driver: retry it once, keep its logs (*.first-boot.*),
		# and say so here and in the verdict.  Never a second time, and
		# never a boot that got to the module.
		if [ $attempt = 1 ] && died_before_module "$d"; then
			first_why=$(first_boot_why "$d" $qrc)
			kept=
			for f in console.log results.log kernel.log qemu.err qmp.log; do
				[ -f "$d/$f" ] || continue
				mv "$d/$f" "$d/${f%.*}.first-boot.${f##*.}"
				kept="$kept $d/${f%.*}.first-boot.${f##*.}"
			done
			echo "  !!! $label: THE BOOT DIED BEFORE THE MODULE WAS LOADED (no P2PBUF-INSMOD marker): $first_why"
			echo "  !!! its logs:${kept:- none}"
			{ tr -d "$cr" <"$d/console.first-boot.log"; } 2>/dev/null |
				tail -n 15 | sed 's/^/    | /'
			echo "  !!! RETRYING THIS BOOT ONCE"
			attempt=2
			continue
		fi
		break
	done
	res=$d/results.log
	[ -f "$res" ] || : >"$res"
	tr -d "$cr" <"$res" >"$res.tmp" && mv "$res.tmp" "$res"
	problems=

	# The first boot of a retried one: its kernel log is scanned and
	# shown too; it must not show the module (died_before_module), and a
	# second boot that dies before the module as well fails.
	if [ $attempt = 2 ]; then
		echo "  RETRIED: the first boot died before the module was loaded ($first_why)"
		if [ ! -f "$d/console.first-boot.log" ]; then
			echo "  first boot: no console log"
		elif findings=$(sh "$VM_DIR/scan-log.sh" "$d/console.first-boot.log"); then
			echo "  first boot's console log: clean"
		else
			echo "  first boot's console log ($d/console.first-boot.log):"
			printf '%s\n' "$findings" | sed 's/^/  /'
		fi
		if died_before_module "$d"; then
			problem "the boot died before the module was loaded twice (first: $first_why)"
		fi
	fi

	boot_up=$(sed -n 's/^P2PBUF-BOOT .*uptime=\([0-9.]*\).*/\1/p' "$res" | head -n 1)
	done_up=$(sed -n 's/^P2PBUF-DONE uptime=\([0-9.]*\).*/\1/p' "$res" | head -n 1)
	echo "  accel $accel; kernel reached init at ${boot_up:-?}s guest time;" \
		"guest done at ${done_up:-?}s; QEMU wall time ${wall}s"

	case $qrc in
	0) ;;
	124) problem "guest timed out after ${timeout_s}s (killed)" ;;
	125) problem "guest did not reach init" ;;
	*) problem "QEMU exited with status $qrc: $(head -c 300 "$d/qemu.err")" ;;
	esac
	[ -n "$boot_up" ] || problem "guest init never ran (no P2PBUF-BOOT marker)"

	grep '^P2PBUF-RIGMOD ' "$res" | while read -r _ m rc; do
		echo "  rig module $m: ${rc#rc=}"
	done
	if grep '^P2PBUF-RIGMOD ' "$res" | grep -qv ' rc=0$'; then
		problem "a rig module did not load: $(grep '^P2PBUF-RIGMOD ' "$res" | grep -v ' rc=0$' | tr '\n' ' ')"
	fi
	insmod=$(grep '^P2PBUF-INSMOD ' "$res" | head -n 1)
	case $insmod in
	"P2PBUF-INSMOD rc=0 dev=present") echo "  insmod p2pbuf.ko: ok, /dev/p2pbuf present" ;;
	"") [ -n "$boot_up" ] && problem "insmod result missing" ;;
	*) problem "insmod failed: ${insmod#P2PBUF-INSMOD }" ;;
	esac

	# Per test program: its Check summary, failures and exit status.
	ran=0
	# shellcheck disable=SC2013 # test names contain no white space
	for t in $(sed -n 's/^P2PBUF-TEST-BEGIN //p' "$res"); do
		ran=$((ran + 1))
		block=$(awk -v t="$t" '
			$0 == "P2PBUF-TEST-BEGIN " t { on = 1; next }
			on && index($0, "P2PBUF-TEST " t " rc=") == 1 { print; exit }
			on { print }' "$res")
		rc=$(printf '%s\n' "$block" | sed -n "s/^P2PBUF-TEST $t rc=//p")
		summary=$(printf '%s\n' "$block" | grep -E '^[0-9]+%: Checks: ')
		if [ -n "$summary" ]; then
			printf '%s\n' "$summary" | sed "s/^/  $t: /"
		else
			echo "  $t: (no Check summary)"
		fi
		printf '%s\n' "$block" | grep -E ':[FE]:' | sed 's/^/      /'
		case $rc in
		0) ;;
		"") problem "$t did not finish" ;;
		137) problem "$t killed by the guest's per-program timeout" ;;
		*) problem "$t exited with status $rc" ;;
		esac
	done
	if [ -n "$insmod" ] && [ $ran -lt "$expected" ]; then
		if [ "$tests" = 'test_*' ]; then
			problem "only $ran of $expected guest test programs ran"
		else
			problem "only $ran of $expected guest test programs ran (those matching '$tests')"
		fi
	fi

	# The hotplug boot: every request of the guest performed, and fine.
	if [ "$variant" = hotplug ]; then
		nreq=$(grep -c '^P2PBUF-QMP ' "$res")
		nok=$(grep -c '^P2PBUF-QMP-OK ' "$d/qmp.log" 2>/dev/null)
		echo "  QMP agent: ${nok:-0} of $nreq request(s) of the guest performed (log: $d/qmp.log)"
		grep '^P2PBUF-QMP-OK ' "$d/qmp.log" 2>/dev/null | sed 's/^P2PBUF-QMP-OK /    ok: /'
		grep '^P2PBUF-QMP-FAILED ' "$d/qmp.log" 2>/dev/null |
			sed 's/^P2PBUF-QMP-FAILED /    FAILED: /'
		if grep -q '^P2PBUF-QMP-FAILED ' "$d/qmp.log" 2>/dev/null; then
			problem "QMP request(s) failed: $(sed -n 's/^P2PBUF-QMP-FAILED //p' "$d/qmp.log" | tr '\n' ';')"
		elif [ "${nok:-0}" -lt "$nreq" ]; then
			problem "the QMP agent performed only ${nok:-0} of the guest's $nreq request(s)"
		fi
		[ "$nreq" != 0 ] || [ "$ran" = 0 ] ||
			problem "the guest made no QMP request (nothing was hot-unplugged)"
	fi

	rmmod=$(grep '^P2PBUF-RMMOD ' "$res" | head -n 1)
	case $rmmod in
	"P2PBUF-RMMOD rc=0 dev=gone module=gone") echo "  rmmod p2pbuf: ok, /dev/p2pbuf gone" ;;
	"") [ "$insmod" = "P2PBUF-INSMOD rc=0 dev=present" ] && problem "module unload not reached" ;;
	*) problem "module did not unload cleanly: ${rmmod#P2PBUF-RMMOD }" ;;
	esac

	if [ $debug = 1 ]; then
		leak=$(grep '^P2PBUF-KMEMLEAK ' "$res" | head -n 1)
		case $leak in
		"P2PBUF-KMEMLEAK leaks=0") echo "  kmemleak: no leaks" ;;
		"") [ -n "$rmmod" ] && problem "kmemleak scan result missing" ;;
		*) problem "kmemleak: ${leak#P2PBUF-KMEMLEAK } (report in $res)" ;;
		esac
	fi

	# The kernel log: the dmesg dump if the guest got that far, else the console.
	if grep -q '^P2PBUF-DMESG-END' "$res"; then
		sed -n '/^P2PBUF-DMESG-BEGIN/,/^P2PBUF-DMESG-END/p' "$res" |
			sed '1d;$d' >"$d/dmesg.log"
		scanned=$d/dmesg.log
	else
		problem "no kernel log dump from the guest (it died or hung)"
		{ tr -d "$cr" <"$d/console.log"; } >"$d/console.scan" 2>/dev/null
		scanned=$d/console.scan
	fi
	if findings=$(sh "$VM_DIR/scan-log.sh" "$scanned"); then
		echo "  guest kernel log: clean"
	else
		problem "guest kernel log shows trouble ($scanned):
$findings"
	fi
	# The kernel log as it was printed (run-qemu.sh --klog: warnings and
	# worse, streamed out of the guest), which a long run cannot wrap: a
	# splat that scrolled out of the printk buffer before the dump is here.
	# Only the kernel's own lines (printk.time=1 stamps them): the console
	# port also carries what guest programs print (test_rig quotes the
	# DMAR faults it provoked, after the expected-fault region).
	{ tr -d "$cr" <"$d/kernel.log" | grep -E '^\[ *[0-9]+\.[0-9]+\]'; } \
		>"$d/kernel.scan" 2>/dev/null
	if [ ! -s "$d/kernel.scan" ]; then
		problem "the streamed kernel log ($d/kernel.log) is empty or missing"
	elif findings=$(sh "$VM_DIR/scan-log.sh" "$d/kernel.scan"); then
		echo "  streamed kernel log: clean ($(wc -l <"$d/kernel.scan") lines)"
	else
		problem "streamed kernel log shows trouble ($d/kernel.scan):
$findings"
	fi

	tag=
	if [ $attempt = 2 ]; then
		tag='[RETRIED:first-boot-died-before-module]'
		retried="$retried $label"
	fi
	if [ -z "$problems" ]; then
		echo "  PASS $label$tag"
		verdicts="$verdicts PASS:$label$tag"
	else
		echo "  FAIL $label:$problems"
		echo "  guest console log: $d/console.log"
		echo "  results channel:   $res"
		if [ -z "$done_up" ] || [ "$qrc" != 0 ]; then
			echo "  last console lines:"
			{ tr -d "$cr" <"$d/console.log"; } 2>/dev/null | tail -n 15 | sed 's/^/    | /'
		fi
		verdicts="$verdicts FAIL:$label$tag"
		overall=1
	fi
}

for kver in $kernels; do
	boot "$kver" on "${P2PBUF_VM_TESTS:-test_*}"
	# Not on the debug kernel: its pciehp reports a lockdep cycle of its
	# own (pci_rescan_remove_lock vs reset_lock in
	# pciehp_unconfigure_device, no p2pbuf frame) on the first unplug,
	# which fails the log scan and switches lockdep off for the rest of
	# the boot.  The way out is ACPI hotplug in tests/vm/debug.config.
	if [ "$hotplug" = 1 ] && ! vm_kernel_is_debug "$kver"; then
		boot "$kver" on "$hotplug_tests" hotplug
	fi
	[ "$variants" = 1 ] || continue
	vm_kernel_is_debug "$kver" && continue
	for iommu in off pt; do
		boot "$kver" "$iommu" "$iommu_tests"
	done
done

echo
echo "VM tier verdict ($(($(date +%s) - start_all))s):$verdicts"
note=
if [ -n "$retried" ]; then
	echo "VM tier: RETRIED BOOTS:$retried: each died before the module was loaded and was booted again (its first logs: <dir>/*.first-boot.*)"
	note=" (with retried boots:$retried)"
fi
if [ $overall = 0 ]; then
	echo "VM tier: PASS$note"
else
	echo "VM tier: FAIL$note (logs in $out_root/<kernel>/)"
fi
exit $overall
