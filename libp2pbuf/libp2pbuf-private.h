/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libp2pbuf internals: not installed.
 */
#ifndef LIBP2PBUF_PRIVATE_H
#define LIBP2PBUF_PRIVATE_H

/*
 * The library is built with -fvisibility=hidden; only functions marked
 * P2PBUF_EXPORT and listed in libp2pbuf.sym are part of the ABI.
 */
#define P2PBUF_EXPORT __attribute__((visibility("default")))

#endif /* LIBP2PBUF_PRIVATE_H */
