#!/bin/sh
# Set up a fresh Debian 12 machine (as root), build p2pbuf, boot the QEMU rig
# with the freshly built module and show the whole story: what the driver
# reports, the ivshmem BAR (device memory with no struct page) registered
# as a provider, a buffer of it mapped and filled, then p2pctl demo: edu
# DMAs that buffer peer to peer through a dma-sgl and the bytes are checked.
#
# The steps print one line each; what apt-get, configure, the compiler and
# the linker say goes to build/demo.log (its end is shown if a step fails).
# P2PBUF_SKIP_DEPS=1 skips installing the dependencies.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$top/build"
log=$top/build/demo.log
: >"$log"
nsteps=4

# step N TEXT CMD...: one progress line; CMD's output goes to the log.
step() {
	n=$1 text=$2
	shift 2
	printf '[%s/%s] %s ... ' "$n" "$nsteps" "$text"
	t0=$(date +%s)
	printf '\n=== [%s/%s] %s: %s\n' "$n" "$nsteps" "$text" "$*" >>"$log"
	if "$@" >>"$log" 2>&1; then
		echo "done ($(($(date +%s) - t0)) s)"
		return 0
	fi
	echo "FAILED"
	echo "demo: the last lines of $log:" >&2
	tail -n 40 "$log" >&2
	echo "demo: step $n failed: $text (the whole output is in $log)" >&2
	exit 1
}

echo "p2pbuf demo: build output goes to $log"
if [ "${P2PBUF_SKIP_DEPS:-0}" = 1 ]; then
	echo "[1/$nsteps] Installing the dependencies ... skipped (P2PBUF_SKIP_DEPS=1)"
else
	step 1 "Installing the dependencies (apt-get)" "$top/scripts/install-deps.sh"
fi
step 2 "Building libp2pbuf, p2pctl and the module (configure, make)" \
	env P2PBUF_SKIP_DEPS=1 "$top/scripts/build.sh"
# Static, for the rig's initramfs: glibc's linker warnings about NSS
# functions in libnl's static archive land in the log, not here.
step 3 "Building the rig's programs (static p2pctl, guest test suites)" \
	make -C "$top/build" vm-guest-progs
echo "[4/$nsteps] Booting the QEMU rig: p2pbuf.ko is built for its kernel and loaded, then p2pctl runs there"
echo
cd "$top/build"
"$top/scripts/p2pbuf-vm" -- sh -c '
set -e
say() { printf "\n# %s\n" "$*"; }
say "p2pctl info: what the driver reports"
p2pctl info
say "p2pctl provider add 0000:00:04.0 --bar 2: the ivshmem BAR becomes a provider"
p2pctl provider add 0000:00:04.0 --bar 2
say "p2pctl provider list"
p2pctl provider list
say "p2pctl buffer alloc --provider 1 --size 16M --fill 0x5a5a5a5a: a buffer of that BAR, written and read by the CPU"
p2pctl buffer alloc --provider 1 --size 16M --fill 0x5a5a5a5a
say "p2pctl reach --provider 1 --target 0000:00:03.0: can edu reach it?"
p2pctl reach --provider 1 --target 0000:00:03.0 || true
say "p2pctl provider del 1"
p2pctl provider del 1
say "p2pctl demo: edu copies ivshmem memory by peer-to-peer DMA"
p2pctl demo'
