#!/bin/sh
# The whole test suite, from a clean clone on Debian 12 (as root): installs
# the dependencies, builds, lints, runs "make check" (host tier and the QEMU
# VM tier on every kernel in tests/vm/kernels), "make check-install" (the
# Debian packages built, installed with DKMS, booted on the rig and purged;
# make install DESTDIR), "make check-sanitizers" (the
# debug kernel's sanitizers must each catch a deliberate bug) and "make
# check-kernels" (the module against every kernel source of
# scripts/kernel-matrix).  Stops at the first failing stage; the last line
# counts the stages.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
"$top/scripts/build.sh"
cd "$top/build"
passed=0
for stage in lint check check-install check-sanitizers check-kernels; do
	echo "== make $stage =="
	if ! make "$stage"; then
		echo "stages: $passed passed, 1 failed (make $stage)"
		exit 1
	fi
	passed=$((passed + 1))
done
echo "stages: $passed passed, 0 failed"
