#!/bin/sh
# Set up a fresh Debian 12 machine (as root), build p2pbuf, boot the QEMU rig
# with the freshly built module and show what the driver reports.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
"$top/scripts/build.sh"
cd "$top/build"
echo "== booting the rig: insmod p2pbuf.ko; p2pctl info =="
"$top/scripts/p2pbuf-vm" -- sh -c 'p2pctl info && p2pctl info --json'
