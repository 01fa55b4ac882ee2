# Shell helpers shared by tests/vm/vm-tier.sh and scripts/p2pbuf-vm.
# POSIX sh; sourced, not executed.  Callers set VM_DIR (= $srcdir/tests/vm).

vm_die() {
	echo "p2pbuf-vm: error: $*" >&2
	exit 1
}

vm_note() {
	echo "p2pbuf-vm: $*" >&2
}

# vm_kernel_globs FILE: print "glob<TAB>hint" for each kernel line of FILE.
vm_kernel_globs() {
	[ -r "$1" ] || vm_die "kernel list $1 not found"
	sed -e 's/^[[:space:]]*//' -e '/^#/d' -e '/^$/d' "$1" |
		while read -r glob hint; do
			printf '%s\t%s\n' "$glob" "$hint"
		done
}

# Self-built kernels (tests/vm/kernels lines "build:VERSION:SUITE:FRAGMENT")
# live in the kernel cache of scripts/build-debug-kernel.sh.
vm_kernel_cache() {
	echo "${P2PBUF_KERNEL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/p2pbuf/kernels}"
}

# vm_built_dir KVER: print the cache directory of the self-built kernel whose
# release is KVER, among the builds of the fragments that tests/vm/kernels
# names now (builds of other fragments may share the release); false when
# KVER is not such a kernel.
vm_built_dir() {
	_cache=$(vm_kernel_cache)
	# shellcheck disable=SC2013 # specs contain no white space
	for _spec in $(sed -n 's/^[[:space:]]*build:\([^[:space:]]*\).*/\1/p' "$VM_DIR/kernels"); do
		_ver=${_spec%%:*}
		_frag=$VM_DIR/../../${_spec#*:*:}
		[ -f "$_frag" ] || continue
		_key=$(sha256sum <"$_frag" | cut -c1-12)
		for _d in "$_cache/debug-$_ver"-*-"$_key"/; do
			[ -f "${_d}built" ] || continue
			[ "$(cat "${_d}linux/include/config/kernel.release" 2>/dev/null)" = "$1" ] ||
				continue
			echo "${_d%/}"
			return 0
		done
	done
	return 1
}

# vm_kernel_image KVER / vm_kernel_obj KVER: the image to boot and the build
# tree to build modules against (Debian's kernels: /boot, /lib/modules).
vm_kernel_image() {
	if _d=$(vm_built_dir "$1"); then
		echo "$_d/bzImage"
	else
		echo "/boot/vmlinuz-$1"
	fi
}
vm_kernel_obj() {
	if _d=$(vm_built_dir "$1"); then
		echo "$_d/linux"
	else
		echo "/lib/modules/$1/build"
	fi
}

# vm_kernel_is_debug KVER: true for the self-built debug kernel, which gets
# the debug rig (NVMe CMB as p2pmem) and the kmemleak scan.
vm_kernel_is_debug() {
	vm_built_dir "$1" >/dev/null
}

# vm_resolve_kernel GLOB [HINT]: print the newest release R such that
# /boot/vmlinuz-R exists and R matches GLOB.  Dies (naming HINT) when there is
# none or when R has no headers (/lib/modules/R/build).
# GLOB "build:VERSION:SUITE:FRAGMENT" builds (or takes from the cache) a
# kernel with scripts/build-debug-kernel.sh and prints its release.
vm_resolve_kernel() {
	_glob=$1
	_hint=${2:-"install the Debian linux-image-* and linux-headers-* packages for it"}
	case $_glob in
	build:*:*:*)
		_spec=${_glob#build:}
		_ver=${_spec%%:*}
		_spec=${_spec#*:}
		_suite=${_spec%%:*}
		_frag=$VM_DIR/../../${_spec#*:}
		vm_note "self-built kernel $_ver ($(basename "$_frag")): scripts/build-debug-kernel.sh (cached; a cold build takes ~15 min)"
		_d=$(sh "$VM_DIR/../../scripts/build-debug-kernel.sh" "$_ver" "$_suite" "$_frag") ||
			vm_die "building the $_ver debug kernel failed"
		cat "$_d/linux/include/config/kernel.release"
		return 0
		;;
	esac
	_best=$(
		for _img in /boot/vmlinuz-*; do
			[ -e "$_img" ] || continue
			_rel=${_img#/boot/vmlinuz-}
			# shellcheck disable=SC2254 # GLOB is a pattern on purpose
			case $_rel in $_glob) echo "$_rel" ;; esac
		done | sort -V | tail -n 1
	)
	[ -n "$_best" ] ||
		vm_die "no kernel image /boot/vmlinuz-$_glob; to install it: $_hint"
	[ -r "/boot/vmlinuz-$_best" ] ||
		vm_die "/boot/vmlinuz-$_best is not readable by $(id -un)"
	[ -f "/lib/modules/$_best/build/Makefile" ] ||
		vm_die "kernel $_best has no headers (/lib/modules/$_best/build); install linux-headers-$_best; $_hint"
	echo "$_best"
}

# The modules a Debian kernel's guest loads before p2pbuf.ko, in this order
# (each after its dependencies): brd (the RAM disk /dev/ram0, test_buffer's
# O_DIRECT file), and VFIO with its type1 IOMMU backend and vfio-pci
# (test_vfio drives edu as a userspace driver would).
VM_RIG_MODULES="brd vfio_iommu_type1 vfio-pci"

# vm_module_path KVER NAME: the path, below /lib/modules/KVER, of module
# NAME (as modules.dep spells it), or nothing.
vm_module_path() {
	sed -n "s|^\([^:]*/$2\.ko[^:]*\):.*|\1|p" "/lib/modules/$1/modules.dep" |
		head -n 1
}

# vm_rig_modules KVER OUTDIR: print the kernel modules the guest loads before
# p2pbuf.ko (mkinitramfs.sh --rig-module), uncompressed into OUTDIR as
# NN-name.ko so that the guest's /init, which loads them in name order,
# loads every dependency first: $VM_RIG_MODULES of a Debian kernel's
# /lib/modules, with what modules.dep says they need; nothing for the
# self-built debug kernel, which has them built in.  Dies when a Debian
# kernel lacks one: a rig without it would make its tests fail, never skip.
vm_rig_modules() {
	vm_kernel_is_debug "$1" && return 0
	mkdir -p "$2" || return 1
	rm -f "$2"/*.ko
	_seq=10 _done=' '
	for _want in $VM_RIG_MODULES; do
		_rel=$(vm_module_path "$1" "$_want")
		[ -n "$_rel" ] ||
			vm_die "kernel $1 has no $_want module (modules.dep): the rig needs it; reinstall linux-image-$1"
		# modules.dep lists dependencies last-loaded-first.
		_deps=$(sed -n "s|^$_rel: *||p" "/lib/modules/$1/modules.dep")
		_order=
		for _d in $_deps; do
			_order="$_d $_order"
		done
		for _rel in $_order $_rel; do
			case $_done in *" $_rel "*) continue ;; esac
			_done="$_done$_rel "
			_src=/lib/modules/$1/$_rel
			_m=${_rel##*/}
			_m=${_m%%.ko*}
			_dst=$2/$_seq-$_m.ko
			case $_rel in
			*.ko) cp "$_src" "$_dst" ;;
			*.ko.xz) xz -dc "$_src" >"$_dst" ;;
			*.ko.zst) zstd -qdc "$_src" >"$_dst" ;;
			*) false ;;
			esac || vm_die "cannot copy $_src"
			echo "$_dst"
			_seq=$((_seq + 1))
		done
	done
}

# vm_find_qemu: print the QEMU binary (honours $QEMU) or die.
vm_find_qemu() {
	_q=${QEMU:-qemu-system-x86_64}
	command -v "$_q" >/dev/null 2>&1 ||
		vm_die "QEMU ($_q) not found; install it: apt-get install qemu-system-x86"
	command -v "$_q"
}

# vm_find_busybox: print a static busybox (honours $BUSYBOX) or die.
vm_find_busybox() {
	for _b in ${BUSYBOX:-} /bin/busybox /usr/bin/busybox; do
		[ -x "$_b" ] || continue
		if vm_is_static_elf "$_b"; then
			echo "$_b"
			return 0
		fi
	done
	vm_die "no static busybox found (BUSYBOX=${BUSYBOX:-unset}); install it: apt-get install busybox-static"
}

# vm_is_static_elf FILE: true when FILE is an ELF executable without a
# program interpreter (i.e. statically linked).
vm_is_static_elf() {
	[ "$(head -c 4 "$1" 2>/dev/null | od -An -c | tr -d ' \n')" = '177ELF' ] ||
		return 1
	command -v readelf >/dev/null 2>&1 || return 0
	! readelf -lW "$1" 2>/dev/null | grep -q 'INTERP'
}

# vm_pick_accel QEMU: print kvm or tcg, then optionally why.
# $P2PBUF_VM_ACCEL=kvm|tcg forces it; otherwise KVM when /dev/kvm is usable
# and QEMU starts with it.  (A KVM that starts but cannot run the guest is
# caught later by run-qemu.sh --boot-timeout; callers then fall back to TCG.)
vm_pick_accel() {
	case ${P2PBUF_VM_ACCEL:-auto} in
	kvm | tcg)
		echo "$P2PBUF_VM_ACCEL (forced by P2PBUF_VM_ACCEL)"
		return 0
		;;
	auto) ;;
	*) vm_die "P2PBUF_VM_ACCEL must be kvm, tcg or auto" ;;
	esac
	if [ -d /sys/module/kvm_pvm ]; then
		# PVM (pagetable-based KVM) runs only PVM-enabled guest kernels.
		echo "tcg (KVM here is kvm_pvm, which cannot run the Debian kernels)"
	elif [ -r /dev/kvm ] && [ -w /dev/kvm ] &&
		echo quit | timeout 20 "$1" -machine q35,accel=kvm -display none \
			-nodefaults -monitor stdio -S >/dev/null 2>&1; then
		echo kvm
	else
		echo "tcg (no usable /dev/kvm)"
	fi
}

# vm_config_srcdir SRCDIR OUTROOT LOG: print the source tree to configure the
# per-kernel builds from: SRCDIR itself, or, when SRCDIR is configured in place
# (automake refuses VPATH builds from such a tree), a pristine copy of it in
# OUTROOT/src made by `make distdir`.
vm_config_srcdir() {
	if [ -f "$1/config.status" ]; then
		vm_make_pristine_src "$1" "$2/src" "$3" || return 1
		(cd "$2/src" && pwd)
	else
		echo "$1"
	fi
}

# vm_build_module CFGSRC OUTDIR KVER LOG: build p2pbuf.ko, with its test
# hooks, against KVER's headers in OUTDIR/build (CFGSRC/configure
# --with-config=kernel --enable-test-hooks, then make -C kernel); print the
# path of the module.  Reconfigures only when
# configure changed or the build was configured for another kernel tree.
vm_build_module() {
	_src=$1 _out=$2 _kver=$3 _log=$4
	_bld=$_out/build
	_kobj=$(vm_kernel_obj "$_kver")
	mkdir -p "$_bld" || return 1
	# shellcheck disable=SC3013 # -nt: dash, bash and busybox have it
	if [ ! -f "$_bld/config.status" ] ||
		[ "$_src/configure" -nt "$_bld/config.status" ] ||
		! grep -q -e "--with-linux-obj=$_kobj" "$_bld/config.status" ||
		! grep -q -e "--enable-test-hooks" "$_bld/config.status"; then
		echo "+ $_src/configure --with-config=kernel --with-linux-obj=$_kobj --enable-test-hooks" >>"$_log"
		(cd "$_bld" && "$_src/configure" --with-config=kernel \
			--with-linux-obj="$_kobj" --enable-test-hooks) >>"$_log" 2>&1 || return 1
	fi
	echo "+ make -C $_bld/kernel" >>"$_log"
	make -C "$_bld/kernel" >>"$_log" 2>&1 || return 1
	[ -f "$_bld/kernel/p2pbuf.ko" ] || {
		echo "make -C kernel did not produce kernel/p2pbuf.ko" >>"$_log"
		return 1
	}
	vm_build_importer "$_src" "$_bld" "$_kobj" "$_log" || return 1
	echo "$_bld/kernel/p2pbuf.ko"
}

# The debug rig's NVMe namespace (run-qemu.sh --nvme-image): 96 MiB of the
# line "p2pbuf nvme pattern 0123456789" repeated (31 bytes with its newline,
# so neighbouring pages and sectors start differently), which
# tests/guest/test_p2pdma.c reads back.  Written fresh for every boot: the
# tests write to it.
VM_NVME_PATTERN='p2pbuf nvme pattern 0123456789'

# vm_nvme_image FILE: (re)write the debug rig's namespace image.
vm_nvme_image() {
	yes "$VM_NVME_PATTERN" | head -c $((96 * 1024 * 1024)) >"$1"
}

# vm_importer_rig_module KO OUTDIR: copy the test importer built beside
# module KO (vm_build_importer) into OUTDIR as 99-p2pbuf_test_importer.ko,
# loaded after the kernel's rig modules, and print its path; nothing when
# there is none.
vm_importer_rig_module() {
	_imp=${1%/kernel/p2pbuf.ko}/importer/p2pbuf_test_importer.ko
	[ -f "$_imp" ] || return 0
	mkdir -p "$2" || return 1
	cp "$_imp" "$2/99-p2pbuf_test_importer.ko" || return 1
	echo "$2/99-p2pbuf_test_importer.ko"
}

# vm_build_importer SRC BLD KOBJ LOG: build the test-only dma-buf importer
# (tests/vm/importer) into BLD/importer against the kernel tree KOBJ, with
# the probes of BLD/p2pbuf_kconfig.h.  The guest loads it as a rig module.
vm_build_importer() {
	_isrc=$1/tests/vm/importer _ibld=$2/importer
	mkdir -p "$_ibld" || return 1
	for _f in Kbuild p2pbuf_test_importer.c p2pbuf_test_importer.h; do
		cmp -s "$_isrc/$_f" "$_ibld/$_f" || cp "$_isrc/$_f" "$_ibld/$_f" || return 1
	done
	echo "+ make -C $3 M=$_ibld modules (test importer)" >>"$4"
	make -C "$3" M="$_ibld" P2PBUF_SRC="$1" \
		P2PBUF_KCONFIG_H="$2/p2pbuf_kconfig.h" modules >>"$4" 2>&1 || return 1
	[ -f "$_ibld/p2pbuf_test_importer.ko" ]
}

# vm_make_pristine_src SRCDIR DEST LOG: refresh DEST as an unconfigured copy
# of the distributed sources (make distdir in SRCDIR, which is configured in
# place).  distdir copies with cp -p, so timestamps are kept and the builds
# configured from DEST stay incremental.
vm_make_pristine_src() {
	mkdir -p "$2" || return 1
	_pd=$(cd "$2" && pwd) || return 1
	echo "p2pbuf-vm: $1 is configured in place; building from a copy made by make distdir ($_pd)" >>"$3"
	make -C "$1" distdir distdir="$_pd" >>"$3" 2>&1
}

# vm_shquote ARG...: print ARGs as one POSIX-shell-quoted command line.
vm_shquote() {
	_q=
	for _a in "$@"; do
		_q="$_q '$(printf '%s' "$_a" | sed "s/'/'\\\\''/g")'"
	done
	printf '%s\n' "${_q# }"
}
