// SPDX-License-Identifier: GPL-2.0-only
/*
 * p2pbuf_debugfs.c - /sys/kernel/debug/p2pbuf/: test hooks, root only
 * (mode 0400), not a stable interface, and only in a module configured
 * with --enable-test-hooks (the VM tier's build; packaged modules never
 * have them).
 *
 * pte: what the page tables hold for an address of the reader's own p2pbuf
 * mappings, read through the kernel's page-table walker (not the driver's
 * intent): pread() with the user address as the file offset returns one
 * line,
 *
 *	pfn=0x<pfn> size=<bytes> cache=<memory type> prot=0x<raw bits>
 *
 * or "none" if nothing maps the address (yet).  size is 4096 for a PTE,
 * 2097152 for a huge PMD; cache is x86 PAT's name of the memory type the
 * entry selects ("write-back", "write-combining", "uncached-minus", ...,
 * as in x86/pat_memtype_list), "unknown" elsewhere.  Errors: EINVAL (the
 * address is not in a p2pbuf mapping of the reader, or the buffer is
 * shorter than the line), EOPNOTSUPP (no walker for modules: 6.10, 6.11).
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/debugfs.h>
#include <linux/fs.h>
#include <linux/kernel.h>
#include <linux/mm.h>
#include <linux/uaccess.h>

#include "p2pbuf.h"

static struct dentry *p2pbuf_debugfs_dir;

#ifdef CONFIG_X86
static const struct {
	enum page_cache_mode pcm;
	const char *name;
} p2pbuf_cache_names[] = {
	/* Without PAT, WC and WT fall back to UC-'s bits: UC- comes first. */
	{ _PAGE_CACHE_MODE_WB, "write-back" },
	{ _PAGE_CACHE_MODE_UC_MINUS, "uncached-minus" },
	{ _PAGE_CACHE_MODE_UC, "uncached" },
	{ _PAGE_CACHE_MODE_WC, "write-combining" },
	{ _PAGE_CACHE_MODE_WT, "write-through" },
	{ _PAGE_CACHE_MODE_WP, "write-protected" },
};

/*
 * The memory type an entry selects: its PWT, PCD and PAT bits (PAT is bit
 * 12 in a huge entry, bit 7 in a PTE) compared with the bits the kernel
 * uses for each type.
 */
static const char *p2pbuf_cache_name(pgprot_t prot, unsigned long size)
{
	unsigned long bits;
	unsigned int i;

	if (size > PAGE_SIZE)
		prot = pgprot_large_2_4k(prot);
	bits = pgprot_val(prot) & _PAGE_CACHE_MASK;
	for (i = 0; i < ARRAY_SIZE(p2pbuf_cache_names); i++)
		if (cachemode2protval(p2pbuf_cache_names[i].pcm) == bits)
			return p2pbuf_cache_names[i].name;
	return "unknown";
}
#else
static const char *p2pbuf_cache_name(pgprot_t prot, unsigned long size)
{
	return "unknown";
}
#endif

/*
 * The page-table entry behind @addr of the caller's own p2pbuf mappings,
 * read through the kernel's page-table walker (not what the driver meant
 * to map): its pfn, protection bits (memory type included, in the layout
 * of an entry of *@size) and size.  Returns -EINVAL if @addr is not in a
 * p2pbuf mapping of the caller, -ENOENT if nothing maps it (yet),
 * -EOPNOTSUPP where the kernel offers modules no walker (6.10, 6.11),
 * -EINTR if killed while waiting for the mmap lock.
 */
static int p2pbuf_vma_pte(unsigned long addr, unsigned long *pfn,
			  pgprot_t *prot, unsigned long *size)
{
	struct mm_struct *mm = current->mm;
	struct vm_area_struct *vma;
	u64 off;
	int ret;

	if (!mm)
		return -EINVAL;
	if (mmap_read_lock_killable(mm))
		return -EINTR;
	vma = find_vma(mm, addr);
	if (!vma || vma->vm_start > addr || !p2pbuf_vma_buffer(vma, &off)) {
		ret = -EINVAL;
	} else {
		ret = p2pbuf_follow_pfnmap(vma, addr, pfn, prot, size);
		if (ret == -EINVAL)
			ret = -ENOENT;
	}
	mmap_read_unlock(mm);
	return ret;
}

static ssize_t p2pbuf_debugfs_pte_read(struct file *file, char __user *ubuf,
				       size_t count, loff_t *ppos)
{
	unsigned long pfn, size;
	pgprot_t prot;
	char line[128];
	int len, ret;

	if (*ppos < 0)
		return -EINVAL;
	ret = p2pbuf_vma_pte(*ppos, &pfn, &prot, &size);
	if (ret && ret != -ENOENT)
		return ret;
	if (ret)
		len = scnprintf(line, sizeof(line), "none\n");
	else
		len = scnprintf(line, sizeof(line),
				"pfn=0x%lx size=%lu cache=%s prot=0x%llx\n",
				pfn, size, p2pbuf_cache_name(prot, size),
				(unsigned long long)pgprot_val(prot));
	if (count < len)
		return -EINVAL;
	if (copy_to_user(ubuf, line, len))
		return -EFAULT;
	return len;
}

static const struct file_operations p2pbuf_debugfs_pte_fops = {
	.owner = THIS_MODULE,
	.read = p2pbuf_debugfs_pte_read,
};

/**
 * p2pbuf_debugfs_init() - create /sys/kernel/debug/p2pbuf/
 *
 * Failures are not fatal (and not reported: debugfs may be disabled); the
 * tests that use a hook fail when it is missing.
 */
void p2pbuf_debugfs_init(void)
{
	p2pbuf_debugfs_dir = debugfs_create_dir(KBUILD_MODNAME, NULL);
	debugfs_create_file("pte", 0400, p2pbuf_debugfs_dir, NULL,
			    &p2pbuf_debugfs_pte_fops);
}

/**
 * p2pbuf_debugfs_exit() - remove /sys/kernel/debug/p2pbuf/
 *
 * Waits for readers still inside a file's operations.
 */
void p2pbuf_debugfs_exit(void)
{
	debugfs_remove_recursive(p2pbuf_debugfs_dir);
}
