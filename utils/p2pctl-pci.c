// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * p2pctl: the PCI functions as sysfs shows them (see p2pctl-pci.h).
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "p2pctl-pci.h"

static const char *pci_dir(const char *dir)
{
	return dir ? dir : P2PCTL_SYSFS_PCI;
}

/* The first line of dir/name/attr into buf, without its newline. */
static int read_line(const char *dir, const char *name, const char *attr,
		     char *buf, size_t len)
{
	char path[PATH_MAX];
	FILE *f;
	char *nl;

	snprintf(path, sizeof(path), "%s/%s/%s", dir, name, attr);
	f = fopen(path, "r");
	if (!f)
		return -errno;
	if (!fgets(buf, len, f)) {
		fclose(f);
		return -EIO;
	}
	fclose(f);
	nl = strchr(buf, '\n');
	if (nl)
		*nl = '\0';
	return 0;
}

static int read_hex(const char *dir, const char *name, const char *attr,
		    uint32_t *val)
{
	char buf[32], *end;
	unsigned long v;
	int ret = read_line(dir, name, attr, buf, sizeof(buf));

	if (ret)
		return ret;
	errno = 0;
	v = strtoul(buf, &end, 16);
	if (errno || end == buf || v > UINT32_MAX)
		return -EIO;
	*val = v;
	return 0;
}

/* src into buf of len bytes, cut to fit. */
static void copy_str(char *buf, size_t len, const char *src)
{
	size_t n = strlen(src);

	if (n >= len)
		n = len - 1;
	memcpy(buf, src, n);
	buf[n] = '\0';
}

/* The last component of the symbolic link dir/name/attr into buf ("" if none). */
static void link_base(const char *dir, const char *name, const char *attr,
		      char *buf, size_t len, bool parent)
{
	char path[PATH_MAX], target[PATH_MAX], *slash;
	ssize_t n;

	buf[0] = '\0';
	snprintf(path, sizeof(path), "%s/%s%s%s", dir, name, attr ? "/" : "",
		 attr ? attr : "");
	n = readlink(path, target, sizeof(target) - 1);
	if (n <= 0)
		return;
	target[n] = '\0';
	slash = strrchr(target, '/');
	if (parent) {
		/* .../0000:00:05.0/0000:01:00.0: the component before. */
		if (!slash)
			return;
		*slash = '\0';
		slash = strrchr(target, '/');
	}
	copy_str(buf, len, slash ? slash + 1 : target);
}

static bool is_pci_name(const char *s, struct p2pbuf_pci_target *t)
{
	char canon[P2PBUF_PCI_ADDR_STRLEN];

	/* sysfs names are canonical: "dddd:bb:dd.f", lower case. */
	if (strlen(s) >= P2PBUF_PCI_ADDR_STRLEN ||
	    p2pbuf_pci_target_parse(s, t) ||
	    p2pbuf_pci_target_format(t, canon, sizeof(canon)))
		return false;
	return !strcmp(canon, s);
}

static void read_resources(const char *dir, struct p2pctl_pci_fn *f)
{
	unsigned long long start, end, flags;
	char path[PATH_MAX];
	FILE *file;
	int i;

	snprintf(path, sizeof(path), "%s/%s/resource", dir, f->name);
	file = fopen(path, "r");
	if (!file)
		return;
	for (i = 0; i < P2PCTL_PCI_NR_BARS; i++) {
		if (fscanf(file, "%llx %llx %llx", &start, &end, &flags) != 3)
			break;
		f->bars[i].start = start;
		f->bars[i].size = end > start ? end - start + 1 : 0;
		f->bars[i].flags = flags;
	}
	fclose(file);
}

static int read_fn(const char *dir, const char *name, struct p2pctl_pci_fn *f)
{
	char parent[64];

	memset(f, 0, sizeof(*f));
	if (!is_pci_name(name, &f->addr))
		return -EINVAL;
	strcpy(f->name, name);
	copy_str(f->short_name, sizeof(f->short_name),
		 f->addr.domain ? name : name + 5);
	if (read_hex(dir, name, "vendor", &f->vendor) ||
	    read_hex(dir, name, "device", &f->device) ||
	    read_hex(dir, name, "class", &f->class))
		return -EIO;
	link_base(dir, name, NULL, parent, sizeof(parent), true);
	if (is_pci_name(parent, &(struct p2pbuf_pci_target){ 0 }))
		strcpy(f->parent, parent);
	link_base(dir, name, "iommu_group", f->iommu_group,
		  sizeof(f->iommu_group), false);
	if (f->iommu_group[0] &&
	    read_line(dir, name, "iommu_group/type", f->iommu_type,
		      sizeof(f->iommu_type)))
		f->iommu_type[0] = '\0';
	read_resources(dir, f);
	return 0;
}

static int cmp_fn(const void *a, const void *b)
{
	const struct p2pctl_pci_fn *x = a, *y = b;

	return strcmp(x->name, y->name);
}

int p2pctl_pci_scan(const char *dir, struct p2pctl_pci_fn **fnsp, size_t *np)
{
	struct p2pctl_pci_fn *fns = NULL, *more;
	size_t n = 0, cap = 0;
	struct dirent *de;
	DIR *d;

	dir = pci_dir(dir);
	d = opendir(dir);
	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		if (n == cap) {
			cap = cap ? 2 * cap : 32;
			more = realloc(fns, cap * sizeof(*fns));
			if (!more) {
				free(fns);
				closedir(d);
				return -ENOMEM;
			}
			fns = more;
		}
		if (!read_fn(dir, de->d_name, &fns[n]))
			n++;
	}
	closedir(d);
	if (n)
		qsort(fns, n, sizeof(*fns), cmp_fn);
	*fnsp = fns;
	*np = n;
	return 0;
}

const struct p2pctl_pci_fn *p2pctl_pci_find(const struct p2pctl_pci_fn *fns,
					    size_t n, const char *name)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!strcmp(fns[i].name, name))
			return &fns[i];
	return NULL;
}

int p2pctl_pci_config(const char *dir, const struct p2pctl_pci_fn *f,
		      uint8_t *buf, size_t len)
{
	char path[PATH_MAX];
	size_t got = 0;
	ssize_t r;
	int fd;

	snprintf(path, sizeof(path), "%s/%s/config", pci_dir(dir), f->name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	while (got < len) {
		r = pread(fd, buf + got, len - got, got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			r = -errno;
			close(fd);
			return r;
		}
		if (!r)
			break;
		got += r;
	}
	close(fd);
	return got;
}

static uint32_t le32(const uint8_t *p)
{
	return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}

int p2pctl_pci_ext_cap(const uint8_t *cfg, size_t len, uint16_t id)
{
	unsigned int pos = 0x100, ttl = (4096 - 0x100) / 8;
	uint32_t hdr;

	/* An unprivileged reader gets the first 64 bytes only. */
	if (len < 0x100)
		return -ENODATA;
	/* Conventional PCI: 256 bytes, no extended space. */
	if (len < 0x104)
		return 0;
	while (ttl-- && pos >= 0x100 && pos + 4 <= len) {
		hdr = le32(cfg + pos);
		/* No extended capabilities: a header of 0 (or all ones). */
		if (!hdr || hdr == 0xffffffff)
			return 0;
		if ((hdr & 0xffff) == id)
			return pos;
		pos = (hdr >> 20) & 0xffc;
	}
	return 0;
}
