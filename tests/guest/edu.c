// SPDX-License-Identifier: GPL-2.0
/* Test-rig helpers for guest tests; see edu.h. */
#include "edu.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define SYSFS_PCI "/sys/bus/pci/devices"

static int read_hex_file(const char *path, unsigned long *val)
{
	FILE *f = fopen(path, "r");
	int ok;

	if (!f)
		return -errno;
	ok = fscanf(f, "%lx", val) == 1;
	fclose(f);
	return ok ? 0 : -EIO;
}

static int cmp_bdf(const void *a, const void *b)
{
	return strcmp(a, b);
}

int rig_pci_find(unsigned int vendor, unsigned int device,
		 char bdfs[][RIG_BDF_LEN], int max)
{
	DIR *d = opendir(SYSFS_PCI);
	struct dirent *de;
	int n = 0;

	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		char path[PATH_MAX];
		unsigned long v, dv;

		if (de->d_name[0] == '.' || strlen(de->d_name) >= RIG_BDF_LEN)
			continue;
		snprintf(path, sizeof(path), SYSFS_PCI "/%s/vendor",
			 de->d_name);
		if (read_hex_file(path, &v))
			continue;
		snprintf(path, sizeof(path), SYSFS_PCI "/%s/device",
			 de->d_name);
		if (read_hex_file(path, &dv))
			continue;
		if (v != vendor || dv != device)
			continue;
		if (n < max)
			memcpy(bdfs[n], de->d_name, strlen(de->d_name) + 1);
		n++;
	}
	closedir(d);
	qsort(bdfs, n < max ? n : max, RIG_BDF_LEN, cmp_bdf);
	return n;
}

int rig_pci_resource(const char *bdf, int bar, uint64_t *start, uint64_t *size)
{
	char path[PATH_MAX];
	unsigned long long s, e, fl;
	FILE *f;
	int i, ret = -ENOENT;

	snprintf(path, sizeof(path), SYSFS_PCI "/%s/resource", bdf);
	f = fopen(path, "r");
	if (!f)
		return -errno;
	for (i = 0; fscanf(f, "%llx %llx %llx", &s, &e, &fl) == 3; i++) {
		if (i != bar)
			continue;
		if (!s && !e) {
			ret = -ENODEV;
			break;
		}
		*start = s;
		*size = e - s + 1;
		ret = 0;
		break;
	}
	fclose(f);
	return ret;
}

void *rig_pci_map_bar(const char *bdf, int bar, size_t len)
{
	char path[PATH_MAX];
	void *p;
	int fd;

	snprintf(path, sizeof(path), SYSFS_PCI "/%s/resource%d", bdf, bar);
	fd = open(path, O_RDWR | O_SYNC | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	return p == MAP_FAILED ? NULL : p;
}

int rig_pci_set_master(const char *bdf, bool on)
{
	char path[PATH_MAX];
	uint16_t cmd;
	int fd, ret = 0;

	snprintf(path, sizeof(path), SYSFS_PCI "/%s/config", bdf);
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (pread(fd, &cmd, sizeof(cmd), 4) != sizeof(cmd)) {
		ret = -EIO;
		goto out;
	}
	if (on)
		cmd |= 0x6; /* Memory Space | Bus Master */
	else
		cmd &= ~0x4; /* Bus Master off, keep the BAR decoded */
	if (pwrite(fd, &cmd, sizeof(cmd), 4) != sizeof(cmd))
		ret = -EIO;
out:
	close(fd);
	return ret;
}

bool rig_pci_is_below(const char *bdf, const char *bridge_bdf)
{
	char path[PATH_MAX], real[PATH_MAX], pat[RIG_BDF_LEN + 2];
	char *p;

	snprintf(path, sizeof(path), SYSFS_PCI "/%s", bdf);
	if (!realpath(path, real))
		return false;
	snprintf(pat, sizeof(pat), "/%s/", bridge_bdf);
	p = strstr(real, pat);
	return p != NULL;
}

bool rig_pci_has_driver(const char *bdf)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), SYSFS_PCI "/%s/driver", bdf);
	return access(path, F_OK) == 0;
}

int rig_iommu_group(const char *bdf)
{
	char path[PATH_MAX], link[PATH_MAX];
	const char *slash;
	ssize_t n;

	snprintf(path, sizeof(path), SYSFS_PCI "/%s/iommu_group", bdf);
	n = readlink(path, link, sizeof(link) - 1);
	if (n < 0)
		return -errno;
	link[n] = '\0';
	slash = strrchr(link, '/');
	return atoi(slash ? slash + 1 : link);
}

int rig_iommu_group_type(int group, char *buf, size_t len)
{
	char path[PATH_MAX];
	FILE *f;
	int ret = 0;

	snprintf(path, sizeof(path), "/sys/kernel/iommu_groups/%d/type", group);
	f = fopen(path, "r");
	if (!f)
		return -errno;
	if (!fgets(buf, (int)len, f))
		ret = -EIO;
	else
		buf[strcspn(buf, "\n")] = '\0';
	fclose(f);
	return ret;
}

int rig_iommu_group_set_type(int group, const char *type)
{
	char path[PATH_MAX];
	int fd, ret = 0;
	size_t n = strlen(type);

	snprintf(path, sizeof(path), "/sys/kernel/iommu_groups/%d/type", group);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (write(fd, type, n) != (ssize_t)n)
		ret = -errno;
	close(fd);
	return ret;
}

uint32_t edu_read32(const struct edu *e, unsigned int reg)
{
	return *(volatile uint32_t *)(e->mmio + reg);
}

void edu_write32(const struct edu *e, unsigned int reg, uint32_t val)
{
	*(volatile uint32_t *)(e->mmio + reg) = val;
}

uint64_t edu_read64(const struct edu *e, unsigned int reg)
{
	return *(volatile uint64_t *)(e->mmio + reg);
}

void edu_write64(const struct edu *e, unsigned int reg, uint64_t val)
{
	*(volatile uint64_t *)(e->mmio + reg) = val;
}

int edu_open(struct edu *e, const char *bdf)
{
	int ret;

	memset(e, 0, sizeof(*e));
	snprintf(e->bdf, sizeof(e->bdf), "%s", bdf);
	e->mmio = rig_pci_map_bar(bdf, 0, EDU_BAR0_SIZE);
	if (!e->mmio)
		return -errno ? -errno : -EIO;
	ret = rig_pci_set_master(bdf, true);
	if (ret)
		goto fail;
	if ((edu_read32(e, EDU_REG_IDENT) & 0xff) != 0xed) {
		ret = -ENODEV;
		goto fail;
	}
	edu_write32(e, EDU_REG_ALIVE, 0x12345678);
	if (edu_read32(e, EDU_REG_ALIVE) != ~0x12345678U) {
		ret = -EIO;
		goto fail;
	}
	return 0;
fail:
	munmap((void *)e->mmio, EDU_BAR0_SIZE);
	e->mmio = NULL;
	return ret;
}

void edu_close(struct edu *e)
{
	if (e->mmio) {
		rig_pci_set_master(e->bdf, false);
		munmap((void *)e->mmio, EDU_BAR0_SIZE);
		e->mmio = NULL;
	}
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

int edu_dma(const struct edu *e, uint64_t addr, uint32_t buf_off, uint32_t len,
	    enum edu_dma_dir dir, int timeout_ms)
{
	long long deadline = now_ms() + timeout_ms;
	uint64_t cmd = EDU_DMA_CMD_START;

	if (!len || buf_off > EDU_DMA_MAX || len > EDU_DMA_MAX - buf_off)
		return -EINVAL;
	if (edu_read64(e, EDU_REG_DMA_CMD) & EDU_DMA_CMD_START)
		return -EBUSY;
	if (dir == EDU_DMA_TO_RAM) {
		edu_write64(e, EDU_REG_DMA_SRC, EDU_BUF_ADDR + buf_off);
		edu_write64(e, EDU_REG_DMA_DST, addr);
		cmd |= EDU_DMA_CMD_TO_RAM;
	} else {
		edu_write64(e, EDU_REG_DMA_SRC, addr);
		edu_write64(e, EDU_REG_DMA_DST, EDU_BUF_ADDR + buf_off);
	}
	edu_write64(e, EDU_REG_DMA_CNT, len);
	edu_write64(e, EDU_REG_DMA_CMD, cmd);
	while (edu_read64(e, EDU_REG_DMA_CMD) & EDU_DMA_CMD_START) {
		if (now_ms() > deadline)
			return -ETIMEDOUT;
		usleep(5000);
	}
	return 0;
}

int rig_kmsg_open(void)
{
	int fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	lseek(fd, 0, SEEK_END);
	return fd;
}

int rig_kmsg_wait(int fd, const char *const needles[], char *line, size_t len,
		  int timeout_ms)
{
	long long deadline = now_ms() + timeout_ms;
	char rec[8192];

	for (;;) {
		ssize_t n = read(fd, rec, sizeof(rec) - 1);
		const char *text;
		int i;

		if (n < 0) {
			if (errno == EPIPE) /* records overwritten; go on */
				continue;
			if (errno != EAGAIN && errno != EINTR)
				return -errno;
			if (now_ms() > deadline)
				return -ETIMEDOUT;
			usleep(20000);
			continue;
		}
		rec[n] = '\0';
		/* "prio,seq,usec,flags;text\n[ KEY=value\n...]" */
		text = strchr(rec, ';');
		text = text ? text + 1 : rec;
		rec[strcspn(rec, "\n")] = '\0';
		for (i = 0; needles[i]; i++)
			if (!strstr(text, needles[i]))
				break;
		if (!needles[i]) {
			if (line && len)
				snprintf(line, len, "%s", text);
			return 0;
		}
	}
}

int rig_kmsg_write(const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	int fd, n, ret = 0;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf) - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -EINVAL;
	if ((size_t)n > sizeof(buf) - 2)
		n = sizeof(buf) - 2;
	if (!n || buf[n - 1] != '\n')
		buf[n++] = '\n';
	fd = open("/dev/kmsg", O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (write(fd, buf, n) != n)
		ret = -errno;
	close(fd);
	return ret;
}
