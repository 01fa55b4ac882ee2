#!/bin/sh
# Scan a guest kernel log for signs of kernel trouble.
#
# usage: scan-log.sh LOGFILE
# Prints each offending line (prefixed with its line number) and exits 1 if
# there is any, 0 if the log is clean, 2 on usage errors.
#
# Flagged: BUG:, WARNING:, Oops, general protection, KASAN, UBSAN, kmemleak
# leak reports, SLUB debug reports ("BUG kmalloc-256 (Not tainted): ...",
# slab_debug / CONFIG_SLUB_DEBUG_ON), DMA-API debug reports,
# Call Trace, lockdep reports, soft/hard lockups, RCU stalls, hung tasks,
# panics, list/refcount corruption, a console that dropped messages (the
# log scanned is then incomplete), and every DMAR/IOMMU fault line except
# those between a "P2PBUF-EXPECT-DMAR-BEGIN" and the next
# "P2PBUF-EXPECT-DMAR-END" line (written to /dev/kmsg by a test that provokes
# a fault on purpose).  An unterminated expected-fault region is an error.
# Likewise between "P2PBUF-EXPECT-ALLOCFAIL-BEGIN" and "...-END" (a test
# injecting allocation failures, fail-nth): the stack dump of the
# allocator's own report of a failed allocation ("page allocation failure:",
# "vmalloc error:") is not flagged, nor DMA-API debug turning itself off
# after an injected failure in its own allocations; every other report
# still is (its own header line: WARNING:, BUG:, KASAN...).
if [ $# != 1 ] || [ ! -r "$1" ]; then
	echo "usage: scan-log.sh LOGFILE" >&2
	exit 2
fi
tr -d '\r' <"$1" | awk '
function flag(why) {
	printf "  line %d: %s: %s\n", NR, why, $0
	bad++
}
/P2PBUF-EXPECT-DMAR-BEGIN/ {
	if (expect) flag("nested expected-DMAR region")
	expect = 1; begin_line = NR; next
}
/P2PBUF-EXPECT-DMAR-END/ {
	if (!expect) flag("expected-DMAR end without begin")
	expect = 0; next
}
/P2PBUF-EXPECT-ALLOCFAIL-BEGIN/ {
	if (afexpect) flag("nested expected-allocation-failure region")
	afexpect = 1; afdump = 0; af_line = NR; next
}
/P2PBUF-EXPECT-ALLOCFAIL-END/ {
	if (!afexpect) flag("expected-allocation-failure end without begin")
	afexpect = 0; afdump = 0; next
}
afexpect && /page allocation failure: |vmalloc error: / { afdump = 1; next }
# An injected failure inside the bookkeeping of DMA-API debug turns it off
# (the guest runs test_failnth last for that reason).
afexpect && /DMA-API: cacheline tracking ENOMEM, dma-debug disabled/ { next }
afexpect && afdump && /Call Trace/ { next }
/DMAR.*[Ff]ault|DMAR-IR:.*[Ff]ault|IOMMU.*fault|[Pp]age request.*fault/ {
	if (!expect) flag("unexpected DMAR fault")
	next
}
/BUG:/                                    { flag("BUG"); next }
/BUG [^ ]+ \([^)]*\): |FIX [^ ]+: /          { flag("slab debug (SLUB redzone/poison/consistency)"); next }
/WARNING:/                                { flag("WARNING"); next }
/Oops/                                    { flag("Oops"); next }
/general protection/                      { flag("general protection fault"); next }
/KASAN/                                   { flag("KASAN"); next }
/UBSAN/                                   { flag("UBSAN"); next }
/kmemleak: .*suspected memory leak|unreferenced object/ { flag("kmemleak"); next }
/DMA-API: / && !/DMA-API: (preallocated [0-9]+ debug entries|debugging enabled by kernel config)/ {
	flag("DMA-API debug"); next
}
/Call Trace/                              { flag("Call Trace"); next }
/possible circular locking|possible recursive locking|inconsistent lock state|possible irq lock inversion|turning off the locking correctness validator|DEBUG_LOCKS_WARN_ON/ {
	flag("lockdep"); next
}
/soft lockup|hard LOCKUP|rcu_sched self-detected stall|rcu: INFO: .* stall/ {
	flag("lockup/stall"); next
}
/INFO: task .* blocked for more than/     { flag("hung task"); next }
/Kernel panic/                            { flag("panic"); next }
/printk messages dropped/                 { flag("kernel log incomplete"); next }
/list_add corruption|list_del corruption|refcount_t: / { flag("corruption"); next }
/double free|use-after-free|slab-out-of-bounds/ { flag("memory corruption"); next }
END {
	if (afexpect) {
		printf "  line %d: expected-allocation-failure region never ended\n", af_line
		bad++
	}
	if (expect) {
		printf "  line %d: expected-DMAR region never ended (P2PBUF-EXPECT-DMAR-END missing)\n", begin_line
		bad++
	}
	exit bad ? 1 : 0
}'
