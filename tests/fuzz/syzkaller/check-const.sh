#!/bin/sh
# make check (host tier): the syzkaller description's constants
# (p2pbuf.txt.const) are those of the uAPI header, and every P2PBUF_ name
# p2pbuf.txt uses exists there (else it does not compile).  Regenerate
# with: tests/fuzz/syzkaller/syz-const.sh >tests/fuzz/syzkaller/p2pbuf.txt.const
set -u
here=$(cd "$(dirname "$0")" && pwd)
want=$(sh "$here/syz-const.sh") || {
	echo "check-const: the names of p2pbuf.txt do not compile against the uAPI header"
	exit 1
}
if ! printf '%s\n' "$want" | diff -u "$here/p2pbuf.txt.const" -; then
	echo "check-const: p2pbuf.txt.const is stale; regenerate it with syz-const.sh"
	exit 1
fi
echo "check-const: p2pbuf.txt.const matches include/uapi/linux/p2pbuf.h ($(grep -c ' = ' "$here/p2pbuf.txt.const") constants)"
