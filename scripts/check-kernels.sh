#!/bin/sh
# check-kernels.sh - the compile matrix: build p2pbuf.ko with -Werror against
# every kernel listed in scripts/kernel-matrix ("make check-kernels").
#
# Usage: check-kernels.sh [VERSION...]   (default: every kernel in the list)
# Run from a build directory; configure and make run in
# ./check-kernels/<version>/, one fresh directory per kernel.
#
# Kernel trees come from Debian's linux-source-<version> packages, fetched
# with apt-get through a private apt configuration (the machine's own apt
# sources are not touched, nothing is installed) and prepared with
# "make defconfig", scripts/kernel-matrix.config and "make modules_prepare".
# Prepared trees are cached under
#	${XDG_CACHE_HOME:-$HOME/.cache}/p2pbuf/kernels/<version>-<debversion>/
# (the tree in linux/, a "prepared" stamp beside it), so a second run needs
# neither the network nor a kernel build.  A cached tree is used as long as
# one exists for the version; P2PBUF_KERNELS_REFRESH=1 asks apt for the
# newest revision of the suite (and drops the older tree once the newer one
# is prepared).
#
# Environment:
#	P2PBUF_KERNEL_CACHE	cache directory (default above)
#	P2PBUF_KERNELS_REFRESH	1: look for a newer Debian revision
#	P2PBUF_DEBIAN_MIRROR, P2PBUF_DEBIAN_SECURITY_MIRROR
#				archive URLs (default: the ones this machine's
#				apt uses for its own release and its security
#				suite)
#	P2PBUF_JOBS		make -j for preparing trees (default: 2 at most)
#
# Prints one line per kernel and exits non-zero if any kernel failed.
# A missing prerequisite (tool, apt failure) fails loudly: it is never a
# skipped kernel.
set -eu

me=check-kernels
srcdir=$(cd "$(dirname "$0")/.." && pwd)
builddir=$(pwd)
matrix=$srcdir/scripts/kernel-matrix
fragment=$srcdir/scripts/kernel-matrix.config
cache=${P2PBUF_KERNEL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/p2pbuf/kernels}
refresh=${P2PBUF_KERNELS_REFRESH:-0}
ncpu=$(getconf _NPROCESSORS_ONLN 2>/dev/null || echo 1)
jobs=${P2PBUF_JOBS:-$((ncpu < 2 ? ncpu : 2))}

die() {
	echo "$me: ERROR: $*" >&2
	exit 2
}
say() {
	echo "$me: $*" >&2
}
now() {
	date +%s
}

# Prerequisites: fail loudly, never skip.
missing=
for t in apt-get apt-cache dpkg-deb tar xz make gcc flex bison bc perl flock \
	sha256sum; do
	command -v "$t" >/dev/null 2>&1 || missing="$missing $t"
done
for h in /usr/include/gelf.h:libelf-dev /usr/include/openssl/opensslv.h:libssl-dev; do
	[ -f "${h%%:*}" ] || missing="$missing ${h#*:}"
done
[ -z "$missing" ] || die "missing prerequisites:$missing (run scripts/install-deps.sh)"
[ -f "$matrix" ] || die "no kernel list $matrix"
[ -x "$srcdir/configure" ] || die "$srcdir/configure is missing: run ./autogen.sh"
if [ -f "$srcdir/config.status" ] && [ "$srcdir" != "$builddir" ]; then
	die "$srcdir is configured in-tree; configure cannot build elsewhere from it
	(run 'make distclean' there and use a build directory)"
fi
if [ "$srcdir" = "$builddir" ]; then
	die "run from a build directory, not the source directory"
fi

mkdir -p "$cache"
cache=$(cd "$cache" && pwd)
fraghash=$(sha256sum "$fragment" | cut -c1-16)

# Private apt configuration, candidate() and fetch_tree().
. "$srcdir/scripts/kernel-source.sh"

# --- prepared trees -------------------------------------------------------

# cached VERSION: the newest prepared tree of VERSION, if any.
cached() {
	for d in "$cache/$1"-*/; do
		[ -f "${d}prepared" ] && basename "$d"
	done | sort -V | tail -n 1
}

# prepare_tree DIR: defconfig + fragment + modules_prepare in DIR/linux.
prepare_tree() {
	tree=$1/linux
	log=$1/prepare.log
	{
		make -C "$tree" -j"$jobs" defconfig &&
			cat "$fragment" >>"$tree/.config" &&
			make -C "$tree" -j"$jobs" olddefconfig
	} >"$log" 2>&1 || return 1
	# Every option of the fragment must have stuck.
	bad=$(grep -o '^CONFIG_[A-Za-z0-9_]*=[ym]' "$fragment" |
		while read -r opt; do
			grep -qx "$opt" "$tree/.config" || printf ' %s' "$opt"
		done)
	if [ -n "$bad" ]; then
		echo "not set by olddefconfig:$bad" >>"$log"
		return 1
	fi
	make -C "$tree" -j"$jobs" modules_prepare >>"$log" 2>&1 || return 1
	prune_tree "$tree" || return 1
	echo "$fraghash" >"$1/prepared"
}

# matrix_apt_setup: private apt lists for the suites of the matrix (once).
matrix_apt_setup() {
	# shellcheck disable=SC2046 # one word per suite
	apt_setup $(grep -v '^[[:space:]]*#' "$matrix" | awk 'NF >= 2 { print $2 }' | sort -u)
}

# tree_for VERSION SUITE: set dir to the cache directory of a prepared
# tree, fetching and preparing one when needed.
tree_for() {
	v=$1
	suite=$2
	have=$(cached "$v")
	if [ -n "$have" ] && [ "$refresh" != 1 ]; then
		want=$have
	else
		matrix_apt_setup
		debver=$(candidate "$v" "$suite")
		[ -n "$debver" ] || die "linux-source-$v not found in $suite"
		want=$v-$debver
	fi
	dir=$cache/$want
	if [ -f "$dir/prepared" ] && [ "$(cat "$dir/prepared")" != "$fraghash" ]; then
		say "$want: kernel-matrix.config changed since the tree was prepared"
		rm -f "$dir/prepared"
	fi
	if [ ! -f "$dir/prepared" ]; then
		f0=$(now)
		# The private lists may hold another script's suites
		# (build-debug-kernel.sh sets up its own): set up the matrix's.
		matrix_apt_setup
		say "$want: downloading and unpacking linux-source-$v"
		fetch_tree "$v" "${want#"$v"-}" "$dir"
		f1=$(now)
		say "$want: preparing (defconfig, modules_prepare, -j$jobs)"
		prepare_tree "$dir" || {
			tail -n 30 "$dir/prepare.log" >&2
			die "$want: preparing the tree failed (log: $dir/prepare.log)"
		}
		say "$want: fetched in $((f1 - f0)) s, prepared in $(($(now) - f1)) s"
	fi

	# Older revisions of the same version are no longer used.
	for old in "$cache/$v"-*/; do
		[ "$old" = "$dir/" ] || [ ! -d "$old" ] || rm -rf "$old"
	done
}

# --- the matrix -----------------------------------------------------------

if [ $# -gt 0 ]; then
	want_versions=" $* "
else
	want_versions=
fi

summary=$builddir/check-kernels/summary
mkdir -p "$builddir/check-kernels"
: >"$summary"
failed=0
total0=$(now)

grep -v '^[[:space:]]*#' "$matrix" | awk 'NF >= 2' >"$builddir/check-kernels/list"
[ -s "$builddir/check-kernels/list" ] || die "$matrix lists no kernel"

# build_module B LOG: build kernel/ of the configured directory B; sets
# status and why.  No Module.symvers in a prepared tree: modpost warns
# about unresolved symbols instead of failing (command-line variables reach
# the Kbuild sub-make through MAKEFLAGS).  Any other warning (compiler,
# modpost section mismatch...) fails the kernel.
build_module() {
	status=OK
	why=
	if ! make -C "$1/kernel" KBUILD_MODPOST_WARN=1 >"$1/$2" 2>&1; then
		status=FAIL
		why="build failed: $1/$2"
	elif [ ! -f "$1/kernel/p2pbuf.ko" ]; then
		status=FAIL
		why="no p2pbuf.ko: $1/$2"
	else
		grep -iE 'warning:' "$1/$2" |
			grep -vE 'modpost: "[^"]+" \[[^]]+\] undefined!$|Module\.symvers"? is missing|suppressed [0-9]+ unresolved symbol warnings|Symbol info of vmlinux is missing' \
			>"$1/$2.warnings" || :
		if [ -s "$1/$2.warnings" ]; then
			status=FAIL
			why="warnings: $1/$2.warnings"
		fi
	fi
}

# report LABEL SECONDS HAVE: one summary line.
report() {
	line=$(printf '%-16s %-26s %-4s %4ss  HAVE: %s' "$1" "${dir##*/}" \
		"$status" "$2" "${3:-none}")
	echo "$line" >>"$summary"
	if [ "$status" != OK ]; then
		failed=$((failed + 1))
		echo "$line" >&2
		echo "    $why" >&2
		log=${why##*: }
		[ -f "$log" ] && grep -m 20 -iE 'error|warning' "$log" | sed 's/^/    /' >&2
	fi
	return 0
}

while read -r v suite opts; do
	case $want_versions in
	"" | *" $v "*) ;;
	*) continue ;;
	esac
	t0=$(now)
	# One run at a time may fetch or prepare a given version.
	exec 9>"$cache/.lock-$v"
	flock 9
	tree_for "$v" "$suite"
	t1=$(now)
	[ "$t1" -le "$((t0 + 1))" ] || say "${dir##*/}: tree ready in $((t1 - t0)) s"
	b=$builddir/check-kernels/$v
	rm -rf "$b"
	mkdir -p "$b"
	if (cd "$b" && "$srcdir/configure" --with-config=kernel --enable-werror \
		--with-linux="$dir/linux" >configure.log 2>&1); then
		build_module "$b" build.log
	else
		status=FAIL
		why="configure failed: $b/configure.log"
	fi
	have=$(sed -n 's/^#define HAVE_\([A-Z0-9_]*\) 1$/\1/p' "$b/p2pbuf_kconfig.h" 2>/dev/null |
		tr '\n' ' ')
	report "$v" "$(($(now) - t1))" "${have% }"

	# "fallbacks": build once more with every HAVE_* undefined, so that
	# each fallback of kernel/p2pbuf_compat.h is compiled somewhere.
	case " $opts " in
	*" fallbacks "*)
		if [ -f "$b/p2pbuf_kconfig.h" ]; then
			t2=$(now)
			k=$b/p2pbuf_kconfig.h
			mv "$k" "$k.probed"
			sed 's|^#define HAVE_\([A-Z0-9_]*\) 1$|/* #undef HAVE_\1 (check-kernels: fallbacks) */|' \
				"$k.probed" >"$k"
			make -C "$b/kernel" clean >/dev/null 2>&1 || :
			build_module "$b" build-fallbacks.log
			report "$v fallbacks" "$(($(now) - t2))" ""
		fi
		;;
	esac
	exec 9>&-
done <"$builddir/check-kernels/list"

echo "kernel compile matrix (p2pbuf.ko, -Werror; logs in $builddir/check-kernels):"
cat "$summary"
echo "total $(($(now) - total0)) s; cache $cache"
if [ "$failed" -ne 0 ]; then
	echo "$me: $failed kernel(s) FAILED" >&2
	exit 1
fi
