/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A stand-in for the driver's answer to P2PBUF_IOC_INFO, for testing the
 * library's handshake logic on the host, and a hook through which a test
 * sees the other ioctl requests the library builds and scripts their
 * replies (library plumbing: structure sizes, fields, errors passed on).
 * Programs using it link libp2pbuf.c (and sgl.c) directly with
 * -Wl,--wrap=ioctl.  It never stands in for the driver's own behaviour:
 * that is tested in the VM (tests/guest/).
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
	/*
	 * The other p2pbuf ioctls (type P2PBUF_IOC_MAGIC), on any fd: a
	 * test's stand-in that checks the request the library built and
	 * scripts the reply (ioctl()'s result, errno set).  NULL: they go to
	 * the real ioctl().  Counted in other_calls.
	 */
	int (*other)(int fd, unsigned long request, void *arg);
	unsigned int other_calls;
};

extern struct fake_info fake_info;

/* Enable the fake with a well-formed uAPI 1.0 reply. */
void fake_info_reset(void);

/* Turn the fake off: every ioctl() goes to the real one (a fixture). */
void fake_info_off(void);

#endif /* FAKE_INFO_H */
