// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libp2pbuf event monitor (LIBP2PBUF_5): a netlink socket of its own that
 * has joined the "events" multicast group of the p2pbuf family.
 *
 * The socket is non-blocking and read with recvmsg() directly rather than
 * through libnl's receive loop, so that the errno of the socket reaches
 * the caller exactly: ENOBUFS says that the kernel dropped events because
 * the receive buffer was full, which a listener must learn (libnl would
 * turn it into NLE_NOMEM).  Messages are parsed with libnl; libnl errors
 * of the setup are translated at this boundary (p2pbuf_nlerr_to_errno()).
 * A datagram is kept until each of its messages has been handed out.
 */
#include "config.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <linux/netlink.h>
#include <linux/p2pbuf.h>
#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>
#include <netlink/msg.h>

#include "libp2pbuf.h"
#include "libp2pbuf-private.h"

/* A receive buffer that holds a burst of revocations. */
#define MONITOR_RCVBUF (1024 * 1024)

struct p2pbuf_monitor {
	struct nl_sock *sk;
	int family;
	/* The datagram being handed out: len bytes, the next message at off. */
	char *buf;
	size_t size;
	size_t len;
	size_t off;
};

P2PBUF_EXPORT int p2pbuf_monitor_new(struct p2pbuf_monitor **monp)
{
	struct p2pbuf_monitor *mon;
	int group, ret;

	if (!monp)
		return -EINVAL;
	mon = calloc(1, sizeof(*mon));
	if (!mon)
		return -ENOMEM;
	mon->sk = nl_socket_alloc();
	if (!mon->sk) {
		ret = -ENOMEM;
		goto err_free;
	}
	/* Events carry no sequence numbers to check. */
	nl_socket_disable_seq_check(mon->sk);
	ret = genl_connect(mon->sk);
	if (ret < 0) {
		ret = p2pbuf_nlerr_to_errno(ret);
		goto err_sock;
	}
	mon->family = genl_ctrl_resolve(mon->sk, P2PBUF_NL_FAMILY_NAME);
	if (mon->family < 0) {
		ret = p2pbuf_nlerr_to_errno(mon->family);
		goto err_sock;
	}
	group = genl_ctrl_resolve_grp(mon->sk, P2PBUF_NL_FAMILY_NAME,
				      P2PBUF_NL_MCGRP_EVENTS);
	if (group < 0) {
		ret = p2pbuf_nlerr_to_errno(group);
		goto err_sock;
	}
	ret = nl_socket_add_membership(mon->sk, group);
	if (ret < 0) {
		ret = p2pbuf_nlerr_to_errno(ret);
		goto err_sock;
	}
	/* Best effort: the kernel caps it at net.core.rmem_max. */
	nl_socket_set_buffer_size(mon->sk, MONITOR_RCVBUF, 0);
	ret = nl_socket_set_nonblocking(mon->sk);
	if (ret < 0) {
		ret = p2pbuf_nlerr_to_errno(ret);
		goto err_sock;
	}
	*monp = mon;
	return 0;

err_sock:
	nl_socket_free(mon->sk);
err_free:
	free(mon);
	return ret;
}

P2PBUF_EXPORT void p2pbuf_monitor_free(struct p2pbuf_monitor *mon)
{
	if (!mon)
		return;
	nl_socket_free(mon->sk);
	free(mon->buf);
	free(mon);
}

P2PBUF_EXPORT int p2pbuf_monitor_get_fd(const struct p2pbuf_monitor *mon)
{
	if (!mon)
		return -EINVAL;
	return nl_socket_get_fd(mon->sk);
}

/* Read the next datagram from the kernel into mon->buf; 0 or an errno. */
static int receive(struct p2pbuf_monitor *mon)
{
	int fd = nl_socket_get_fd(mon->sk);
	struct sockaddr_nl from;
	struct iovec iov;
	struct msghdr mh = {
		.msg_name = &from,
		.msg_namelen = sizeof(from),
		.msg_iov = &iov,
		.msg_iovlen = 1,
	};
	ssize_t n;

	for (;;) {
		/* Its size first, however large it is. */
		n = recv(fd, NULL, 0, MSG_PEEK | MSG_TRUNC | MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			/* EAGAIN, ENOBUFS (events were dropped), ... */
			return -errno;
		}
		if ((size_t)n > mon->size) {
			char *p = realloc(mon->buf, n);

			if (!p)
				return -ENOMEM;
			mon->buf = p;
			mon->size = n;
		}
		iov.iov_base = mon->buf;
		iov.iov_len = mon->size;
		mh.msg_namelen = sizeof(from);
		n = recvmsg(fd, &mh, MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		/* Only the kernel speaks for the family. */
		if (mh.msg_namelen != sizeof(from) || from.nl_pid != 0 ||
		    (mh.msg_flags & MSG_TRUNC))
			continue;
		mon->len = n;
		mon->off = 0;
		return 0;
	}
}

int p2pbuf_nl_next_event(const void *buf, size_t len, size_t *off, int family,
			 struct p2pbuf_event *ev)
{
	struct nlmsghdr *nlh;
	int ret;

	while (*off < len) {
		nlh = (struct nlmsghdr *)((const char *)buf + *off);
		if (!nlmsg_ok(nlh, (int)(len - *off))) {
			/* A truncated tail: nothing more in this datagram. */
			*off = len;
			break;
		}
		*off += NLMSG_ALIGN(nlh->nlmsg_len);
		/* NLMSG_NOOP, NLMSG_DONE, ... and other families: not events. */
		if (nlh->nlmsg_type != family)
			continue;
		ret = p2pbuf_nl_parse_event(nlh, ev);
		/* A notification of a newer kernel: skipped. */
		if (ret != -ENOMSG)
			return ret;
	}
	return -ENOMSG;
}

P2PBUF_EXPORT int p2pbuf_monitor_next(struct p2pbuf_monitor *mon,
				      struct p2pbuf_event *ev, size_t ev_size)
{
	struct p2pbuf_event e;
	int ret;

	if (!mon || !ev || ev_size < EVENT_SIZE_5)
		return -EINVAL;
	for (;;) {
		ret = p2pbuf_nl_next_event(mon->buf, mon->len, &mon->off,
					   mon->family, &e);
		if (ret != -ENOMSG)
			break;
		/* This datagram is done: the next one, if any is queued. */
		ret = receive(mon);
		if (ret)
			return ret;
	}
	if (ret)
		return ret;
	/* Callers built against an older, shorter layout get its part. */
	memcpy(ev, &e, ev_size < sizeof(e) ? ev_size : sizeof(e));
	if (ev_size > sizeof(e))
		memset((char *)ev + sizeof(e), 0, ev_size - sizeof(e));
	return 0;
}
