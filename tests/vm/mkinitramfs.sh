#!/bin/sh
# Build the initramfs (uncompressed newc cpio) of the p2pbuf test rig.
#
# usage: mkinitramfs.sh -o OUT.cpio --init INIT [--module KO] [--conf FILE]
#                       [--cmd FILE] [--busybox PATH] [--rig-module KO]...
#                       [--dynamic PROG]... [PROG...]
#   --init FILE     becomes /init (tests/vm/guest-init.sh)
#   --module KO     becomes /p2pbuf.ko
#   --rig-module KO goes to /lib/rig-modules/ (loaded by /init before
#                   p2pbuf.ko: what the rig needs of the kernel, e.g. brd)
#   --conf FILE     becomes /etc/p2pbuf-vm.conf (sourced by /init)
#   --cmd FILE      becomes /etc/p2pbuf-vm.cmd (the command of "cmd" mode)
#   --dynamic PROG  a dynamically linked program of this machine (e.g. the
#                   packaged /usr/bin/p2pctl): goes to /bin/ with the
#                   shared libraries ldd lists, at the same paths
#   PROG            static guest programs: test_* go to /tests/,
#                   p2pctl-static becomes /bin/p2pctl, others go to /bin/.
# Every PROG (and busybox) must be a static ELF executable: the guest has
# no shared libraries but those of --dynamic programs.
set -eu

die() {
	echo "mkinitramfs.sh: error: $*" >&2
	exit 1
}

is_static_elf() {
	[ "$(head -c 4 "$1" 2>/dev/null | od -An -c | tr -d ' \n')" = '177ELF' ] ||
		return 1
	command -v readelf >/dev/null 2>&1 || return 0
	! readelf -lW "$1" 2>/dev/null | grep -q 'INTERP'
}

out='' init='' module='' conf='' cmd='' busybox=${BUSYBOX:-} rigmods='' dynprogs=''
while [ $# -gt 0 ]; do
	case $1 in
	-o) out=$2; shift ;;
	--init) init=$2; shift ;;
	--module) module=$2; shift ;;
	--conf) conf=$2; shift ;;
	--cmd) cmd=$2; shift ;;
	--busybox) busybox=$2; shift ;;
	--rig-module) rigmods="$rigmods $2"; shift ;;
	--dynamic) dynprogs="$dynprogs $2"; shift ;;
	--) shift; break ;;
	-*) die "unknown option $1" ;;
	*) break ;;
	esac
	shift
done
[ -n "$out" ] || die "-o OUT.cpio is required"
[ -r "$init" ] || die "--init '$init' not readable"
command -v cpio >/dev/null 2>&1 || die "cpio not found; apt-get install cpio"
if [ -z "$busybox" ]; then
	for b in /bin/busybox /usr/bin/busybox; do
		[ -x "$b" ] && { busybox=$b; break; }
	done
fi
{ [ -n "$busybox" ] && [ -x "$busybox" ]; } ||
	die "busybox not found; apt-get install busybox-static"
is_static_elf "$busybox" ||
	die "$busybox is not statically linked; apt-get install busybox-static"

stage=$(mktemp -d "${TMPDIR:-/tmp}/p2pbuf-initramfs.XXXXXX")
trap 'rm -rf "$stage"' EXIT INT TERM
mkdir -p "$stage/bin" "$stage/tests" "$stage/etc" "$stage/proc" "$stage/sys" \
	"$stage/dev" "$stage/tmp" "$stage/root" "$stage/usr"
ln -s bin "$stage/sbin"
ln -s ../bin "$stage/usr/bin"
ln -s ../bin "$stage/usr/sbin"
cp "$busybox" "$stage/bin/busybox"
for applet in $("$busybox" --list); do
	[ "$applet" = busybox ] || ln -s busybox "$stage/bin/$applet"
done
cp "$init" "$stage/init"
chmod 755 "$stage/init"
if [ -n "$module" ]; then
	[ -r "$module" ] || die "module '$module' not readable"
	cp "$module" "$stage/p2pbuf.ko"
fi
for m in $rigmods; do
	[ -r "$m" ] || die "rig module '$m' not readable"
	mkdir -p "$stage/lib/rig-modules"
	cp "$m" "$stage/lib/rig-modules/"
done
if [ -n "$conf" ]; then
	cp "$conf" "$stage/etc/p2pbuf-vm.conf"
fi
if [ -n "$cmd" ]; then
	cp "$cmd" "$stage/etc/p2pbuf-vm.cmd"
fi
echo 'root:x:0:0:root:/root:/bin/sh' >"$stage/etc/passwd"
echo 'root:x:0:' >"$stage/etc/group"

for prog in "$@"; do
	[ -f "$prog" ] || die "guest program '$prog' not found (not built?)"
	is_static_elf "$prog" ||
		die "guest program '$prog' is not a static ELF executable (link it with -all-static)"
	name=${prog##*/}
	case $name in
	test_*) dest=tests/$name ;;
	p2pctl-static) dest=bin/p2pctl ;;
	*) dest=bin/$name ;;
	esac
	rm -f "$stage/$dest"
	cp "$prog" "$stage/$dest"
	chmod 755 "$stage/$dest"
done

# Dynamic programs: each library ldd resolves (and the loader) at the path
# ldd names; the guest's loader finds them in its default directories.
for prog in $dynprogs; do
	[ -f "$prog" ] || die "dynamic program '$prog' not found"
	libs=$(ldd "$prog" 2>/dev/null |
		sed -n -e 's|.*=> \(/[^ ]*\) (0x.*|\1|p' -e 's|^[[:space:]]*\(/[^ ]*\) (0x.*|\1|p') ||
		die "ldd $prog failed"
	[ -n "$libs" ] || die "$prog: ldd lists no libraries (not dynamically linked?)"
	for lib in $libs; do
		[ -e "$stage$lib" ] && continue
		mkdir -p "$stage${lib%/*}"
		cp -L "$lib" "$stage$lib" || die "cannot copy $lib (needed by $prog)"
	done
	rm -f "$stage/bin/${prog##*/}"
	cp "$prog" "$stage/bin/${prog##*/}"
	chmod 755 "$stage/bin/${prog##*/}"
done

tmp_out=$out.tmp.$$
(cd "$stage" && find . -mindepth 1 | LC_ALL=C sort |
	cpio --quiet -o -H newc -R 0:0) >"$tmp_out" || {
	rm -f "$tmp_out"
	die "cpio failed"
}
mv -f "$tmp_out" "$out"
