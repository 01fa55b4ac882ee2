#!/bin/sh
# make check-install: p2pbuf installed the way users install it, on this
# machine (Debian 12, as root, like CI), then removed without a trace.
#
#  1. build the Debian packages from the distributed sources
#     (dpkg-buildpackage -us -uc -b) and run lintian on them;
#  2. install them (apt-get): DKMS builds p2pbuf.ko for every installed
#     kernel of the rig (tests/vm/kernels: 6.1 and 6.12), the group p2pbuf
#     is created; check the installed files (udev rule, modprobe.d file
#     naming every module parameter, completion, pkg-config);
#  3. build examples/p2pbuf-example out of tree from the installed
#     documentation with pkg-config only;
#  4. boot the QEMU rig once per kernel with the DKMS-built module from
#     /lib/modules/KVER/updates/dkms, the packaged p2pctl and libp2pbuf and
#     the example: p2pctl demo (edu's verified peer-to-peer DMA) and the
#     example on host RAM and on the ivshmem BAR (its own verified DMA);
#  5. purge the packages and check that nothing is left: files, DKMS
#     tree, module, group, udev rule;
#  6. make install DESTDIR=... in the build tree: its file list must be
#     tests/install/expected-files.txt; make uninstall must remove them all.
#
# usage: install-test.sh --srcdir DIR --builddir DIR
# The build directory must be configured with --with-config=all (as
# scripts/build.sh does).  Logs go to BUILDDIR/tests/install/out/.
set -eu

srcdir='' builddir=''
while [ $# -gt 0 ]; do
	case $1 in
	--srcdir) srcdir=$2; shift ;;
	--builddir) builddir=$2; shift ;;
	*) echo "install-test: unknown argument $1" >&2; exit 2 ;;
	esac
	shift
done
srcdir=$(cd "${srcdir:?--srcdir is required}" && pwd)
builddir=$(cd "${builddir:?--builddir is required}" && pwd)
VM_DIR=$srcdir/tests/vm
# shellcheck source=tests/vm/vm-lib.sh
. "$VM_DIR/vm-lib.sh"

out=$builddir/tests/install/out
t_start=$(date +%s)

die() {
	echo "install-test: FAILED: $*" >&2
	exit 1
}
# step TEXT: a progress line with the time since the start.
step() {
	echo "install-test: [$(($(date +%s) - t_start)) s] $*"
}
# run LOG CMD...: CMD's output into LOG; its tail shown if it fails.
run() {
	_log=$1
	shift
	echo "+ $*" >>"$_log"
	if ! "$@" >>"$_log" 2>&1; then
		tail -n 30 "$_log" >&2
		die "$* (log: $_log)"
	fi
}

# --- prerequisites (loud) --------------------------------------------------
[ "$(id -u)" = 0 ] || die "must run as root (it installs packages; CI runs as root)"
[ -r /etc/debian_version ] || die "needs Debian 12 (dpkg, apt, DKMS)"
for c in dpkg-buildpackage dh dkms lintian apt-get fakeroot; do
	command -v $c >/dev/null 2>&1 ||
		die "$c not found: run scripts/install-deps.sh"
done
[ -f /usr/share/bash-completion/bash_completion ] ||
	die "bash-completion not installed: run scripts/install-deps.sh"
grep -q '^P2PBUF_CONFIG = all' "$builddir/Makefile" ||
	die "$builddir is not configured with --with-config=all (scripts/build.sh)"
version=$(sed -n 's/^PACKAGE_VERSION = //p' "$builddir/Makefile")
linux_version=$(sed -n 's/^LINUX_VERSION = //p' "$builddir/Makefile")
pkgs="p2pbuf-dkms libp2pbuf0 libp2pbuf-dev p2pbuf-utils"

# make's variables must not reach DKMS: it runs make to learn the kernel's
# compiler, and "Entering directory" lines from an inherited -w would end up
# in CC.
unset MAKEFLAGS MFLAGS MAKELEVEL MAKEOVERRIDES

# One install test at a time on a machine: it changes the system.
exec 9>/run/lock/p2pbuf-install-test.lock
flock 9

rm -rf "$out"
mkdir -p "$out"
log=$out/install-test.log
: >"$log"

# A previous run that died half way must not hide anything.
left=$(dpkg-query -W -f '${db:Status-Abbrev} ${Package}\n' $pkgs 2>/dev/null |
	awk '$1 !~ /^u?n/ { printf "%s ", $2 }' || true)
if [ -n "$left" ]; then
	echo "install-test: WARNING: packages left by an earlier run, purging first: $left" >&2
	run "$log" apt-get purge -y -q $left
fi

# Every path p2pbuf may install into, for the before/after comparison.
p2pbuf_files() {
	{
		find /usr /etc /lib /var/lib/dkms -xdev -path /etc/apt -prune -o \
			\( -iname '*p2pbuf*' -o -name p2pctl \) -print 2>/dev/null
		ls -d /lib/modules/*/updates/dkms/p2pbuf.ko* 2>/dev/null
	} | LC_ALL=C sort -u
}
p2pbuf_files >"$out/before.txt"
if [ -s "$out/before.txt" ]; then
	echo "install-test: WARNING: p2pbuf files on the system before the test (a make install?):" >&2
	cat "$out/before.txt" >&2
fi
getent group p2pbuf >/dev/null &&
	die "group p2pbuf exists before the test (make install creates it; groupdel p2pbuf)"

# The rig's Debian kernels (not the self-built debug kernel).
kernels=
for line in $(vm_kernel_globs "$VM_DIR/kernels" | cut -f1); do
	case $line in build:*) continue ;; esac
	kernels="$kernels $(vm_resolve_kernel "$line")"
done
[ -n "$kernels" ] || die "no Debian kernel in $VM_DIR/kernels"

# --- 1. packages ----------------------------------------------------------
step "building the Debian packages (dpkg-buildpackage, log: $out/dpkg-buildpackage.log)"
pkgsrc=$out/pkg/p2pbuf-$version
mkdir -p "$out/pkg"
run "$log" make -C "$builddir" distdir distdir="$pkgsrc"
cp -R "$srcdir/debian" "$pkgsrc/"
(cd "$pkgsrc" && DEB_BUILD_OPTIONS="nocheck noautodbgsym parallel=$(nproc)" \
	dpkg-buildpackage -us -uc -b) >"$out/dpkg-buildpackage.log" 2>&1 || {
	tail -n 30 "$out/dpkg-buildpackage.log" >&2
	die "dpkg-buildpackage (log: $out/dpkg-buildpackage.log)"
}
debs=
for p in $pkgs; do
	f=$(ls "$out"/pkg/${p}_"$version"_*.deb 2>/dev/null | head -n 1)
	[ -n "$f" ] || die "dpkg-buildpackage made no $p package"
	debs="$debs $f"
done

# lintian runs while DKMS builds (each takes a minute or more).
lintian -I --pedantic "$out"/pkg/p2pbuf_"$version"_*.changes >"$out/lintian.txt" 2>&1 &
lintian_pid=$!

# --- 2. install -----------------------------------------------------------
# DKMS builds for the running kernel and the newest one by default; here the
# running kernel is the host's (no headers) and the rig needs both Debian
# kernels: autoinstall_all_kernels asks common.postinst for every kernel.
step "installing the packages (apt-get; DKMS builds p2pbuf.ko for$kernels)"
# shellcheck disable=SC2086
run "$log" env autoinstall_all_kernels=1 apt-get install -y -q \
	--no-install-recommends $debs
for k in $kernels; do
	st=$(dkms status -m p2pbuf -v "$version" -k "$k")
	echo "$st" >>"$log"
	case $st in
	*": installed"*) ;;
	*) die "DKMS did not install p2pbuf/$version for $k: '$st'" ;;
	esac
	ko=$(ls /lib/modules/"$k"/updates/dkms/p2pbuf.ko* 2>/dev/null | head -n 1)
	[ -n "$ko" ] || die "no /lib/modules/$k/updates/dkms/p2pbuf.ko*"
	[ "$(modinfo -k "$k" -F version p2pbuf)" = "$version" ] ||
		die "modinfo -k $k p2pbuf: not version $version (depmod?)"
done
getent group p2pbuf >/dev/null || die "the package did not create group p2pbuf"
rules=/lib/udev/rules.d/60-p2pbuf.rules
grep -q 'KERNEL=="p2pbuf".*GROUP="p2pbuf".*MODE="0660"' "$rules" ||
	die "$rules does not give /dev/p2pbuf to group p2pbuf, mode 0660"
# Every module parameter is in the modprobe.d file.
for p in $(sed -n 's/^module_param(\([a-z_0-9]*\),.*/\1/p' "$srcdir"/kernel/*.c); do
	grep -q "^#options p2pbuf $p=" /etc/modprobe.d/p2pbuf.conf ||
		die "/etc/modprobe.d/p2pbuf.conf does not list module parameter $p"
done
[ "$(pkg-config --modversion libp2pbuf)" = "$version" ] ||
	die "pkg-config --modversion libp2pbuf is not $version"
# Completion: nouns, verbs and options of the installed p2pctl.
comp=$(bash -c '
	. /usr/share/bash-completion/bash_completion
	. /usr/share/bash-completion/completions/p2pctl
	c() {
		COMP_WORDS=("$@") COMP_CWORD=$(($# - 1)) COMP_LINE="$*" COMPREPLY=()
		COMP_POINT=${#COMP_LINE}
		_p2pctl
		echo "${COMPREPLY[*]}"
	}
	c p2pctl prov; c p2pctl provider ""; c p2pctl map --tar; c p2pctl map --target 0000:' 2>&1)
echo "$comp" >>"$log"
printf '%s\n' "$comp" | sed -n 1p | grep -qx provider &&
	printf '%s\n' "$comp" | sed -n 2p | grep -qx 'add del list show' &&
	printf '%s\n' "$comp" | sed -n 3p | grep -qx -- '--target' ||
	die "bash completion of p2pctl: unexpected '$comp'"

step "lintian (log: $out/lintian.txt)"
wait $lintian_pid || true
grep -E '^[EWIPX]: ' "$out/lintian.txt" | cut -d' ' -f1,3 | sort | uniq -c |
	sed 's/^/install-test:   lintian /'
if grep -q '^E: ' "$out/lintian.txt"; then
	grep '^E: ' "$out/lintian.txt" >&2
	die "lintian reports errors"
fi

# --- 3. the example, out of tree -------------------------------------------
step "building the example out of tree with pkg-config only"
ex=$out/example
mkdir -p "$ex"
cp /usr/share/doc/libp2pbuf-dev/examples/* "$ex/"
[ -f "$ex/Makefile" ] || gunzip "$ex/Makefile.gz" 2>/dev/null || true
run "$log" make -C "$ex" CFLAGS="-O2 -Wall -Wextra -Werror"
ldd "$ex/p2pbuf-example" | grep -q '/libp2pbuf\.so\.0 ' ||
	die "p2pbuf-example is not linked with the installed libp2pbuf.so.0"

# --- 4. the rig, once per kernel -------------------------------------------
# In the guest: the module must be the DKMS one (srcversion, no test hooks);
# p2pctl demo ends with edu's DMA verified byte by byte (exit 0); the
# example verifies its own DMA from host RAM and from the ivshmem BAR.
cat >"$out/guest.sh" <<'EOS'
set -e
echo "module srcversion $(cat /sys/module/p2pbuf/srcversion)"
[ ! -e /sys/kernel/debug/p2pbuf ] || { echo "module has test hooks"; exit 1; }
p2pctl --version
p2pctl demo
find_pci() {
	for d in /sys/bus/pci/devices/*; do
		[ "$(cat "$d/vendor"):$(cat "$d/device")" = "$1" ] && { echo "${d##*/}"; return 0; }
	done
	return 1
}
edu=$(find_pci 0x1234:0x11e8)
ivshmem=$(find_pci 0x1af4:0x1110)
p2pbuf-example "$edu" 0
id=$(p2pctl -j provider add "$ivshmem" --bar 2 --allow-host-bridge | sed -n 's/.*"id"[^0-9]*\([0-9][0-9]*\).*/\1/p' | head -n 1)
p2pbuf-example "$edu" "$id"
p2pctl provider del "$id"
echo P2PBUF-INSTALL-GUEST-OK
EOS
for k in $kernels; do
	ko=$(ls /lib/modules/"$k"/updates/dkms/p2pbuf.ko* | head -n 1)
	want=$(modinfo -F srcversion "$ko")
	glog=$out/guest-$k.log
	step "booting $k with $ko, the packaged p2pctl and the example (log: $glog)"
	P2PBUF_VM_TIMEOUT=${P2PBUF_VM_TIMEOUT:-600} \
		sh "$srcdir/scripts/p2pbuf-vm" --kernel "$k" --builddir "$builddir" \
		--out "$out/vm-$k" --module "$ko" --no-guest-progs \
		--dynamic /usr/bin/p2pctl --dynamic "$ex/p2pbuf-example" \
		-- sh -c "$(cat "$out/guest.sh")" >"$glog" 2>&1 || {
		tail -n 40 "$glog" >&2
		die "the guest on $k failed (log: $glog; console: $out/vm-$k/vm-console.log)"
	}
	grep -q "^module srcversion $want\$" "$glog" ||
		die "$k: the guest's module is not the DKMS-built $ko (srcversion $want)"
	n=$(grep -c '^DMA check: .*verified$' "$glog" || true)
	[ "$n" = 2 ] || die "$k: the example verified $n DMAs, not 2 (log: $glog)"
	grep -q '^P2PBUF-INSTALL-GUEST-OK$' "$glog" || die "$k: the guest script did not finish"
	grep -i 'verified' "$glog" | sed "s/^/install-test:   $k: /"
done

# --- 5. purge ---------------------------------------------------------------
step "purging the packages"
# shellcheck disable=SC2086
run "$log" apt-get purge -y -q $pkgs
p2pbuf_files >"$out/after.txt"
if ! diff -u "$out/before.txt" "$out/after.txt" >"$out/purge.diff"; then
	cat "$out/purge.diff" >&2
	die "purge left files behind (+ above)"
fi
for k in $kernels; do
	modinfo -k "$k" p2pbuf >/dev/null 2>&1 &&
		die "modinfo -k $k still finds p2pbuf (modules.dep not updated)"
done
[ -z "$(dkms status -m p2pbuf 2>/dev/null)" ] || die "dkms status still lists p2pbuf"
getent group p2pbuf >/dev/null && die "group p2pbuf left after purge"

# --- 6. make install DESTDIR ------------------------------------------------
step "make install DESTDIR=... against tests/install/expected-files.txt"
dest=$out/destdir
run "$log" make -C "$builddir" install DESTDIR="$dest"
(cd "$dest" && find . ! -type d | sed 's|^\./||' | LC_ALL=C sort) |
	sed -e "s|/$linux_version/|/@KVER@/|" -e 's|/p2pbuf\.ko\.[a-z]*$|/p2pbuf.ko|' \
	>"$out/destdir-files.txt"
sed -e '/^#/d' -e '/^$/d' "$srcdir/tests/install/expected-files.txt" | LC_ALL=C sort \
	>"$out/expected-files.txt"
if ! diff -u "$out/expected-files.txt" "$out/destdir-files.txt" >"$out/destdir.diff"; then
	cat "$out/destdir.diff" >&2
	die "make install DESTDIR: the file list differs from tests/install/expected-files.txt (- expected, + installed)"
fi
run "$log" make -C "$builddir" uninstall DESTDIR="$dest"
left=$(cd "$dest" && find . ! -type d)
[ -z "$left" ] || die "make uninstall DESTDIR left: $left"
getent group p2pbuf >/dev/null && die "make install DESTDIR created group p2pbuf"

step "passed: packages built, installed (DKMS for$kernels), booted, purged clean; DESTDIR install matches $(wc -l <"$out/expected-files.txt") files"
