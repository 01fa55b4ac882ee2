#!/bin/sh
# build-debug-kernel.sh - build the VM tier's debug kernel (issue 7): Debian's
# linux-source-VERSION, "make allnoconfig" plus a config fragment
# (tests/vm/debug.config: the rig's needs, KASAN, lockdep, kmemleak, DMA-API
# debug, fault injection, KUnit, PCI P2PDMA), built with the host's gcc.
#
# Usage: build-debug-kernel.sh VERSION SUITE FRAGMENT
# Prints the cache directory of the built kernel on stdout:
#	DIR/bzImage	the kernel to boot
#	DIR/linux	its build tree, pruned to what module builds need
#	DIR/built	stamp
# The directory is keyed by version, Debian revision and a hash of the
# fragment, so a changed fragment builds a new kernel and an unchanged one
# costs nothing.  Unfinished builds of the version are removed.  Cache: ${XDG_CACHE_HOME:-$HOME/.cache}/p2pbuf/kernels
# (shared with check-kernels.sh), or P2PBUF_KERNEL_CACHE.
set -eu

me=build-debug-kernel
srcdir=$(cd "$(dirname "$0")/.." && pwd)
[ $# -eq 3 ] || {
	echo "usage: $me VERSION SUITE FRAGMENT" >&2
	exit 2
}
version=$1
suite=$2
fragment=$(cd "$(dirname "$3")" && pwd)/$(basename "$3")
cache=${P2PBUF_KERNEL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/p2pbuf/kernels}
ncpu=$(getconf _NPROCESSORS_ONLN 2>/dev/null || echo 1)
jobs=${P2PBUF_JOBS:-$ncpu}

die() {
	echo "$me: ERROR: $*" >&2
	exit 2
}
say() {
	echo "$me: $*" >&2
}

[ -f "$fragment" ] || die "no config fragment $fragment"
for t in apt-get dpkg-deb tar xz make gcc flex bison bc perl flock sha256sum; do
	command -v "$t" >/dev/null 2>&1 || die "$t missing (run scripts/install-deps.sh)"
done
mkdir -p "$cache"
cache=$(cd "$cache" && pwd)
key=$(sha256sum <"$fragment" | cut -c1-12)

. "$srcdir/scripts/kernel-source.sh"

exec 9>"$cache/.lock-debug-$version"
flock 9

# A built kernel for this version and key: done, no network needed.
for d in "$cache/debug-$version"-*-"$key"/; do
	if [ -f "${d}built" ]; then
		echo "${d%/}"
		exit 0
	fi
done

# Leftovers of unfinished builds.  Builds of other fragments stay: another
# branch or work tree may use them (they are 0.5 GB each; remove old ones
# by hand).
for d in "$cache/debug-$version"-*/; do
	[ -d "$d" ] && [ ! -f "${d}built" ] && rm -rf "$d"
done

apt_setup "$suite"
debver=$(candidate "$version" "$suite")
[ -n "$debver" ] || die "linux-source-$version not found in $suite"
dir=$cache/debug-$version-$debver-$key
t0=$(date +%s)
say "downloading linux-source-$version=$debver"
fetch_tree "$version" "$debver" "$dir"
tree=$dir/linux
log=$dir/build.log
say "configuring (allnoconfig + $(basename "$fragment")) and building with -j$jobs; log $log"
{
	make -C "$tree" allnoconfig &&
		"$tree/scripts/kconfig/merge_config.sh" -m -O "$tree" \
			"$tree/.config" "$fragment" &&
		make -C "$tree" olddefconfig
} >"$log" 2>&1 || {
	tail -n 30 "$log" >&2
	die "configuring the debug kernel failed (log: $log)"
}
# Every =y of the fragment must have survived olddefconfig.
bad=$(grep -o '^CONFIG_[A-Za-z0-9_]*=y' "$fragment" |
	while read -r opt; do
		grep -qx "$opt" "$tree/.config" || printf ' %s' "$opt"
	done)
[ -z "$bad" ] || die "not set by olddefconfig (missing dependency?):$bad"

make -C "$tree" -j"$jobs" bzImage modules modules_prepare >>"$log" 2>&1 || {
	tail -n 30 "$log" >&2
	die "building the debug kernel failed (log: $log)"
}
cp "$tree/arch/x86/boot/bzImage" "$dir/bzImage"
# "make modules" wrote Module.symvers: external modules link against it.
[ -s "$tree/Module.symvers" ] || die "no Module.symvers in $tree"

# Keep what an external module build needs (prune_tree, as Debian's
# headers packages do); the objects and images of the kernel itself are
# not needed any more.
(
	cd "$tree"
	find . -name '*.o' ! -path './scripts/*' ! -path './tools/*' -delete
	rm -f vmlinux vmlinux.a vmlinux.unstripped .tmp_vmlinux* \
		arch/x86/boot/compressed/vmlinux*
)
prune_tree "$tree"
touch "$dir/built"
say "built $(cat "$tree/include/config/kernel.release") in $(($(date +%s) - t0)) s"
echo "$dir"
