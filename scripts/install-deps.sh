#!/bin/sh
# Install everything p2pbuf needs to build and to run its test rig on Debian 12.
# Idempotent; run as root.  The 6.12 kernel comes from bookworm-backports.
set -eu

if [ "$(id -u)" != 0 ]; then
	echo "install-deps.sh: must run as root (apt-get)" >&2
	exit 1
fi

export DEBIAN_FRONTEND=noninteractive

bp=/etc/apt/sources.list.d/p2pbuf-bookworm-backports.sources
if ! grep -rqs 'bookworm-backports' /etc/apt/sources.list /etc/apt/sources.list.d/; then
	cat >"$bp" <<'EOS'
Types: deb
URIs: http://deb.debian.org/debian
Suites: bookworm-backports
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOS
fi

apt_retry() {
	n=0
	until "$@"; do
		n=$((n + 1))
		[ $n -ge 3 ] && return 1
		echo "install-deps.sh: retrying: $*" >&2
		sleep 5
	done
}

apt_retry apt-get update -q

# Build tools and userspace dependencies.
apt_retry apt-get install -y -q --no-install-recommends \
	build-essential autoconf automake libtool pkg-config \
	libnl-3-dev libnl-genl-3-dev check \
	bc bison flex libelf-dev libssl-dev dwarves kmod cpio xz-utils \
	busybox-static qemu-system-x86 socat python3 \
	clang-format perl

# Packaging and the install test (make check-install): Debian's tools for
# the packages (debian/), DKMS, bash completion (p2pctl's is tested).
apt_retry apt-get install -y -q --no-install-recommends \
	debhelper dh-dkms dkms dpkg-dev fakeroot lintian bash-completion

# Kernels for the VM tier: bookworm's 6.1 and bookworm-backports' 6.12, side
# by side, each with its headers.  linux-source-6.1 provides checkpatch.pl.
apt_retry apt-get install -y -q --no-install-recommends \
	linux-image-amd64 linux-headers-amd64 linux-source-6.1
# The backports metapackages replace bookworm's: keep the 6.1 kernel that
# they pulled in installed on purpose, so that autoremove leaves it alone.
apt-mark manual $(dpkg-query -W -f '${Package}\n' 'linux-image-6.1.*-amd64' \
	'linux-headers-6.1.*' 2>/dev/null) >/dev/null
apt_retry apt-get install -y -q --no-install-recommends -t bookworm-backports \
	linux-image-amd64 linux-headers-amd64
