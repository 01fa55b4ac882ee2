#!/bin/sh
# make lint: checkpatch.pl (from Debian's linux-source package) over the
# kernel code and the uAPI header, clang-format (kernel style, .clang-format)
# over the userspace C.  Exits non-zero on any finding.
set -eu

top=$(cd "${1:-$(dirname "$0")/..}" && pwd)
cache=${XDG_CACHE_HOME:-$HOME/.cache}/p2pbuf/checkpatch
status=0

tarball=$(ls /usr/src/linux-source-*.tar.xz 2>/dev/null | sort -V | tail -n 1)
if [ ! -x "$cache/scripts/checkpatch.pl" ]; then
	if [ -z "$tarball" ]; then
		echo "lint: no /usr/src/linux-source-*.tar.xz: apt-get install linux-source-6.1" >&2
		exit 1
	fi
	mkdir -p "$cache"
	base=$(basename "$tarball" .tar.xz)
	tar -C "$cache" --strip-components=1 -xJf "$tarball" \
		"$base/scripts/checkpatch.pl" "$base/scripts/spelling.txt" \
		"$base/scripts/const_structs.checkpatch"
fi

echo "lint: checkpatch.pl --no-tree (from $(basename "${tarball:-cached}"))"
for f in "$top"/kernel/*.c "$top"/kernel/*.h "$top"/include/uapi/linux/*.h \
	"$top"/tests/vm/canary/*.c "$top"/tests/vm/importer/*.[ch]; do
	if ! out=$(perl "$cache/scripts/checkpatch.pl" --no-tree --quiet \
		--strict --show-types --ignore FILE_PATH_CHANGES,SPDX_LICENSE_TAG \
		-f "$f" 2>&1); then
		printf '%s\n' "$out"
		status=1
	fi
done

if ! command -v clang-format >/dev/null; then
	echo "lint: clang-format not found: apt-get install clang-format" >&2
	exit 1
fi
echo "lint: clang-format --dry-run --Werror ($(clang-format --version))"
# Userspace only: kernel code (tests/vm/canary, tests/vm/importer too) is
# checkpatch's.
files=$(cd "$top" && find libp2pbuf utils tests examples include/libp2pbuf.h -name '*.[ch]' \
	! -path 'tests/vm/canary/*' ! -path 'tests/vm/importer/*' 2>/dev/null | sort)
for f in $files; do
	if ! (cd "$top" && clang-format --dry-run --Werror "$f"); then
		status=1
	fi
done

[ $status -eq 0 ] && echo "lint: clean"
exit $status
