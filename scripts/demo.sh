#!/bin/sh
# Set up a fresh Debian 12 machine (as root), build p2pbuf, boot the QEMU rig
# with the freshly built module and show the whole story: what the driver
# reports, the ivshmem BAR (device memory with no struct page) registered
# as a provider, a buffer of it mapped and filled, then p2pctl demo: edu
# DMAs that buffer peer to peer through a dma-sgl and the bytes are checked.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
"$top/scripts/build.sh"
cd "$top/build"
echo "== booting the rig: insmod p2pbuf.ko, then p2pctl =="
"$top/scripts/p2pbuf-vm" -- sh -c '
set -e
echo "# p2pctl info"; p2pctl info
echo "# p2pctl provider add 0000:00:04.0 --bar 2"; p2pctl provider add 0000:00:04.0 --bar 2
echo "# p2pctl provider list"; p2pctl provider list
echo "# p2pctl buffer alloc --provider 1 --size 16M --fill 0x5a5a5a5a"
p2pctl buffer alloc --provider 1 --size 16M --fill 0x5a5a5a5a
echo "# p2pctl reach --provider 1 --target 0000:00:03.0"
p2pctl reach --provider 1 --target 0000:00:03.0 || true
echo "# p2pctl provider del 1"; p2pctl provider del 1
echo "# p2pctl demo"; p2pctl demo'
