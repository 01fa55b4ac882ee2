# kernel-source.sh - sourced by check-kernels.sh and build-debug-kernel.sh:
# fetch Debian's linux-source-VERSION packages, and prune prepared trees, through a private apt
# configuration under $cache/apt (the machine's own apt sources are not
# touched, nothing is installed).
#
# The sourcing script sets: cache (absolute), jobs, and die()/say().
# P2PBUF_DEBIAN_MIRROR and P2PBUF_DEBIAN_SECURITY_MIRROR override the archive
# URLs (default: those this machine's apt uses for its release and its
# security suite).
# shellcheck shell=sh disable=SC2154

aptdir=$cache/apt
aptopts="-o Dir::Etc::SourceList=$aptdir/sources.list
	-o Dir::Etc::SourceParts=/dev/null
	-o Dir::State::Lists=$aptdir/lists
	-o Dir::Cache=$aptdir/cache
	-o Dir::Cache::pkgcache= -o Dir::Cache::srcpkgcache=
	-o Acquire::Languages=none
	-o APT::Get::List-Cleanup=true
	-o APT::Sandbox::User=root"
keyring=/usr/share/keyrings/debian-archive-keyring.gpg
apt_ready=

# mirror_of SUITE: the archive URL this machine's apt uses for SUITE.
mirror_of() {
	apt-cache policy 2>/dev/null |
		awk -v s="$1/main" '$3 == s { print $2; exit }'
}

# apt_setup SUITE...: private apt lists for these suites (once per run).
# (POSIX sh has no local variables: the loop must not reuse a caller's name.)
apt_setup() {
	[ -z "$apt_ready" ] || return 0
	[ -f "$keyring" ] || die "$keyring missing (apt-get install debian-archive-keyring)"
	host=$(sed -n 's/^VERSION_CODENAME=//p' /etc/os-release)
	main=${P2PBUF_DEBIAN_MIRROR:-$(mirror_of "$host")}
	sec=${P2PBUF_DEBIAN_SECURITY_MIRROR:-$(mirror_of "$host-security")}
	[ -n "$main" ] || die "no Debian archive URL for '$host' in apt-cache policy;
	run apt-get update or set P2PBUF_DEBIAN_MIRROR"
	[ -n "$sec" ] || die "no Debian security archive URL for '$host-security';
	run apt-get update or set P2PBUF_DEBIAN_SECURITY_MIRROR"
	mkdir -p "$aptdir/lists/partial" "$aptdir/cache/archives/partial"
	: >"$aptdir/sources.list.tmp"
	for _suite in "$@"; do
		case $_suite in
		*-security) url=$sec ;;
		*) url=$main ;;
		esac
		echo "deb [signed-by=$keyring] $url $_suite main" \
			>>"$aptdir/sources.list.tmp"
	done
	mv "$aptdir/sources.list.tmp" "$aptdir/sources.list"
	say "apt-get update (private lists in $aptdir)"
	# shellcheck disable=SC2086
	if ! apt-get $aptopts -q update >"$aptdir/update.log" 2>&1 ||
		grep -q '^[WE]:' "$aptdir/update.log"; then
		cat "$aptdir/update.log" >&2
		die "apt-get update of the private kernel sources failed"
	fi
	apt_ready=1
}

# candidate VERSION SUITE: newest Debian revision of linux-source-VERSION
# in SUITE.
candidate() {
	# shellcheck disable=SC2086
	apt-cache $aptopts madison "linux-source-$1" |
		awk -F' *[|] *' -v s="$2/main" '{ split($3, a, " ") }
			a[2] == s { print $2 }' | sort -V | tail -n 1
}

# fetch_tree VERSION DEBVERSION DIR: download and unpack linux-source.
fetch_tree() {
	dl=$aptdir/download
	rm -rf "$dl" "$3"
	mkdir -p "$dl" "$3/linux"
	# shellcheck disable=SC2086
	(cd "$dl" && apt-get $aptopts -q download "linux-source-$1=$2") \
		>"$3/download.log" 2>&1 || {
		cat "$3/download.log" >&2
		die "apt-get download linux-source-$1=$2 failed"
	}
	deb=$(ls "$dl"/linux-source-"$1"_*.deb)
	dpkg-deb --fsys-tarfile "$deb" |
		tar -xOf - "./usr/src/linux-source-$1.tar.xz" |
		xz -dc -T"$jobs" | tar -xf - -C "$3/linux" --strip-components=1 ||
		die "unpacking $deb failed"
	rm -rf "$dl"
}

# prune_tree TREE: keep what an external module build needs, as Debian's
# linux-headers packages do: the top level, include/, arch/x86/, scripts/
# and tools/ (objtool) whole, and only the Makefiles and Kconfig files of
# the rest (the sources are not reachable through the include path).
# About 1.5 GB of a 7.2 tree goes; a pruned tree cannot be prepared again,
# so a changed kernel-matrix.config fetches a fresh one.
prune_tree() {
	(
		cd "$1" || exit 1
		rm -rf Documentation
		for d in arch/*/; do
			[ "$d" = arch/x86/ ] || rm -rf "$d"
		done
		for d in */; do
			case $d in
			include/ | arch/ | scripts/ | tools/) continue ;;
			esac
			find "$d" -type f ! -name 'Makefile*' ! -name 'Kbuild*' \
				! -name 'Kconfig*' -delete
		done
		find . -depth -type d -empty -delete
	)
}
