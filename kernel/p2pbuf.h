/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * p2pbuf.h - internal declarations of the p2pbuf driver.
 */
#ifndef _P2PBUF_H
#define _P2PBUF_H

#include <linux/mutex.h>
#include <linux/pid.h>
#include <linux/types.h>

#include <linux/p2pbuf.h>

#include "p2pbuf_compat.h"

/**
 * struct p2pbuf_file - per-open context of /dev/p2pbuf
 * @owner: thread group that opened the file, for diagnostics and the
 *	object listings; referenced for the lifetime of the file
 * @lock: serialises ioctls that create or destroy objects owned by this
 *	file, and protects the per-file object tables added with them
 *
 * Allocated in open(), freed in release() when the last reference to the
 * struct file is gone; every object created through the file holds what
 * it needs on its own, so release() never waits for userspace.
 */
struct p2pbuf_file {
	struct pid *owner;
	struct mutex lock; /* see above: serialises object changes */
};

#endif /* _P2PBUF_H */
