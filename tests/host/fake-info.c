// SPDX-License-Identifier: GPL-2.0-or-later
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <string.h>
#include <sys/ioctl.h>

#include "fake-info.h"

struct fake_info fake_info;

void fake_info_reset(void)
{
	memset(&fake_info, 0, sizeof(fake_info));
	fake_info.enabled = true;
	fake_info.reply = (struct p2pbuf_info){
		.size = P2PBUF_INFO_SIZE_VER0,
		.version_major = P2PBUF_UAPI_VERSION_MAJOR,
		.version_minor = P2PBUF_UAPI_VERSION_MINOR,
		.features = P2PBUF_FEATURE_IOMMU,
		.page_size = 4096,
		.max_buffers_per_fd = 64,
		.max_sgls_per_fd = 16,
		.max_sgl_segments = 512,
		.driver_version = "0.1.0-fake",
	};
}

void fake_info_off(void)
{
	memset(&fake_info, 0, sizeof(fake_info));
}

int __real_ioctl(int fd, unsigned long request, ...);
int __wrap_ioctl(int fd, unsigned long request, ...);

int __wrap_ioctl(int fd, unsigned long request, ...)
{
	struct p2pbuf_info *info;
	va_list ap;
	size_t i;

	va_start(ap, request);
	info = va_arg(ap, struct p2pbuf_info *);
	va_end(ap);

	if (fake_info.enabled && fake_info.other &&
	    _IOC_TYPE(request) == P2PBUF_IOC_MAGIC &&
	    request != P2PBUF_IOC_INFO) {
		fake_info.other_calls++;
		return fake_info.other(fd, request, info);
	}
	if (!fake_info.enabled || request != P2PBUF_IOC_INFO)
		return __real_ioctl(fd, request, info);

	fake_info.calls++;
	if (info->size != sizeof(*info) || info->flags)
		fake_info.bad_request = true;
	for (i = 0; i < sizeof(info->reserved) / sizeof(info->reserved[0]); i++)
		if (info->reserved[i])
			fake_info.bad_request = true;

	if (fake_info.error) {
		errno = fake_info.error;
		return -1;
	}
	*info = fake_info.reply;
	return 0;
}
