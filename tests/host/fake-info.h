/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A stand-in for the driver's answer to P2PBUF_IOC_INFO, for testing the
 * library's handshake logic on the host.  Programs using it link
 * libp2pbuf.c directly with -Wl,--wrap=ioctl.  It never stands in for the
 * driver's own behaviour: that is tested in the VM (tests/guest/).
 */
#ifndef FAKE_INFO_H
#define FAKE_INFO_H

#include <stdbool.h>

#include <linux/p2pbuf.h>

struct fake_info {
	bool enabled; /* answer P2PBUF_IOC_INFO on any fd */
	int error; /* fail with this errno instead of answering */
	struct p2pbuf_info reply; /* what the "driver" writes back */
	unsigned int calls; /* P2PBUF_IOC_INFO requests seen */
	bool bad_request; /* a request broke the uAPI input rules */
};

extern struct fake_info fake_info;

/* Enable the fake with a well-formed uAPI 1.0 reply. */
void fake_info_reset(void);

#endif /* FAKE_INFO_H */
