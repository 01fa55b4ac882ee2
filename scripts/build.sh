#!/bin/sh
# Install the dependencies (Debian 12, as root), regenerate the build system
# and build everything in ./build.  Shared by demo.sh and test.sh.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

if [ "${P2PBUF_SKIP_DEPS:-0}" != 1 ]; then
	"$top/scripts/install-deps.sh"
fi
./autogen.sh >/dev/null
mkdir -p build
cd build
if [ ! -f Makefile ] || [ "$top/configure" -nt config.status ]; then
	../configure --enable-werror "$@"
fi
make -j"$(nproc)"
