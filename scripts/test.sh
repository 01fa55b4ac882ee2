#!/bin/sh
# The whole test suite, from a clean clone on Debian 12 (as root): installs
# the dependencies, builds, lints, runs "make check" (host tier and the QEMU
# VM tier on every kernel in tests/vm/kernels), "make check-sanitizers" (the
# debug kernel's sanitizers must each catch a deliberate bug) and "make
# check-kernels" (the module against every kernel source of
# scripts/kernel-matrix).
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
"$top/scripts/build.sh"
cd "$top/build"
make lint
make check
make check-sanitizers
make check-kernels
