// SPDX-License-Identifier: GPL-2.0-only
/*
 * Sanitizer canary for the VM tier's debug kernel (tests/vm/sanitizer-selftest.sh):
 * a stand-in for p2pbuf.ko (module name "p2pbuf", registers /dev/p2pbuf so
 * that tests/vm/guest-init.sh runs its usual insmod / rmmod / kmemleak /
 * DMA-API checks) that commits ONE deliberate bug, chosen by bug=NAME:
 *   none        nothing (control: the log must stay clean)
 *   leak        16 x kmalloc(256) never freed             -> kmemleak
 *   uaf         read of a freed kmalloc(64) object        -> KASAN
 *   oob         write one past a kmalloc(60) object       -> KASAN
 *   abba        mutex A->B, then B->A                     -> lockdep
 *   atomic      kmalloc(GFP_KERNEL) under a spinlock      -> might_sleep
 *   dma-size    dma_unmap_single() with the wrong size    -> DMA-API debug
 *   dma-leak    dma_map_single() never unmapped           -> guest-init dump
 *   warn        WARN_ON(1)                                -> WARNING
 *   flood       FLOOD_LINES info lines, WARN_ON(1), FLOOD_LINES more: the
 *               WARNING scrolls out of the 4 MiB printk buffer before
 *               the guest dumps it              -> the streamed kernel log
 * The detectors must detect: the self-test fails when one stays silent.
 * Never load this outside the test VM.
 */
#define pr_fmt(fmt) "p2pbuf-canary: " fmt

#include <linux/bug.h>
#include <linux/dma-mapping.h>
#include <linux/fs.h>
#include <linux/kmemleak.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/pci.h>
#include <linux/slab.h>
#include <linux/spinlock.h>

static char *bug = "none";
module_param(bug, charp, 0444);
MODULE_PARM_DESC(bug, "which deliberate bug to commit at load time");

/* 2 x 40000 lines of ~110 bytes: twice the rig's log_buf_len=4M. */
#define FLOOD_LINES 40000

static DEFINE_MUTEX(canary_a);
static DEFINE_MUTEX(canary_b);
static DEFINE_SPINLOCK(canary_spin);

static void canary_dma(bool wrong_size)
{
	/* the rig's edu device: no driver, like the devices p2pbuf maps for */
	struct pci_dev *pdev = pci_get_device(0x1234, 0x11e8, NULL);
	dma_addr_t dma;
	void *buf;

	if (!pdev) {
		pr_err("no edu device (1234:11e8)\n");
		return;
	}
	buf = kmalloc(4096, GFP_KERNEL);
	if (!buf)
		goto out;
	dma = dma_map_single(&pdev->dev, buf, 4096, DMA_TO_DEVICE);
	if (dma_mapping_error(&pdev->dev, dma)) {
		pr_err("dma_map_single failed\n");
		kfree(buf);
		goto out;
	}
	pr_info("mapped 4096 bytes at %pad for %s\n", &dma, pci_name(pdev));
	if (wrong_size) {
		dma_unmap_single(&pdev->dev, dma, 2048, DMA_TO_DEVICE);
		kfree(buf);
	} else {
		kmemleak_not_leak(buf);	/* report the mapping, not the buffer */
	}
out:
	pci_dev_put(pdev);
}

static noinline void canary_bug(void)
{
	int i;

	pr_info("bug=%s\n", bug);
	if (!strcmp(bug, "leak")) {
		for (i = 0; i < 16; i++) {
			void *p = kmalloc(256, GFP_KERNEL);

			/* As KASAN's own tests: keep the bug from the optimizer. */
			OPTIMIZER_HIDE_VAR(p);
		}
	} else if (!strcmp(bug, "uaf")) {
		char *p = kmalloc(64, GFP_KERNEL);

		OPTIMIZER_HIDE_VAR(p);
		kfree(p);
		pr_info("read after free: %d\n", p[8]);
	} else if (!strcmp(bug, "oob")) {
		char *p = kmalloc(60, GFP_KERNEL);

		OPTIMIZER_HIDE_VAR(p);
		p[64] = 1;
		kfree(p);
	} else if (!strcmp(bug, "abba")) {
		mutex_lock(&canary_a);
		mutex_lock(&canary_b);
		mutex_unlock(&canary_b);
		mutex_unlock(&canary_a);
		mutex_lock(&canary_b);
		mutex_lock(&canary_a);
		mutex_unlock(&canary_a);
		mutex_unlock(&canary_b);
	} else if (!strcmp(bug, "atomic")) {
		void *p;

		spin_lock(&canary_spin);
		p = kmalloc(64, GFP_KERNEL);
		spin_unlock(&canary_spin);
		kfree(p);
	} else if (!strcmp(bug, "dma-size")) {
		canary_dma(true);
	} else if (!strcmp(bug, "dma-leak")) {
		canary_dma(false);
	} else if (!strcmp(bug, "warn")) {
		WARN_ON(1);
	} else if (!strcmp(bug, "flood")) {
		for (i = 0; i < FLOOD_LINES; i++)
			pr_info("flood before the warning: line %6d of %d ..........................................\n",
				i, FLOOD_LINES);
		WARN_ON(1);
		for (i = 0; i < FLOOD_LINES; i++)
			pr_info("flood after the warning: line %6d of %d ...........................................\n",
				i, FLOOD_LINES);
	} else if (strcmp(bug, "none")) {
		pr_err("unknown bug=%s\n", bug);
	}
}

static const struct file_operations canary_fops = {
	.owner = THIS_MODULE,
};

static struct miscdevice canary_misc = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "p2pbuf",
	.fops = &canary_fops,
};

static int __init canary_init(void)
{
	canary_bug();
	return misc_register(&canary_misc);
}

static void __exit canary_exit(void)
{
	misc_deregister(&canary_misc);
}

module_init(canary_init);
module_exit(canary_exit);
MODULE_DESCRIPTION("p2pbuf VM tier sanitizer canary (deliberately buggy)");
MODULE_LICENSE("GPL");
