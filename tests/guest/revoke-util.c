// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Helpers of the revocation suites (test_revoke, test_hotplug): the
 * "p2pbuf" netlink family spoken raw (libnl-genl, so the tests do not
 * depend on libp2pbuf's parsing), buffers and dma-sgls through the raw
 * uAPI, and per-thread catching of SIGBUS.  Failures are Check assertions.
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <linux/p2pbuf.h>
#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>
#include <netlink/netlink.h>

#include "revoke-util.h"

struct nl_sock *sk, *ev;
int family;

/* --- raw netlink ------------------------------------------------------- */

void parse(struct nlmsghdr *nlh, struct msg *m)
{
	struct genlmsghdr *g = nlmsg_data(nlh);
	struct nlattr *a;
	int rem;

	memset(m, 0, sizeof(*m));
	m->cmd = g->cmd;
	nla_for_each_attr(a, genlmsg_attrdata(g, 0), genlmsg_attrlen(g, 0),
			  rem) {
		switch (nla_type(a)) {
		case P2PBUF_NL_A_BUFFER_ID:
			m->buffer_id = nla_get_u32(a);
			m->nr_buffer_ids++;
			break;
		case P2PBUF_NL_A_SGL_ID:
			m->sgl_id = nla_get_u32(a);
			break;
		case P2PBUF_NL_A_PROVIDER_ID:
			m->provider_id = nla_get_u32(a);
			break;
		case P2PBUF_NL_A_REASON:
			m->reason = nla_get_u32(a);
			break;
		case P2PBUF_NL_A_BUFFER_STATE:
		case P2PBUF_NL_A_SGL_STATE:
			m->state = nla_get_u32(a);
			break;
		case P2PBUF_NL_A_SGL_GENERATION:
			m->generation = nla_get_u32(a);
			break;
		case P2PBUF_NL_A_OWNER_PID:
			m->owner_pid = nla_get_u32(a);
			m->has_owner = true;
			break;
		case P2PBUF_NL_A_OWNER_COMM:
			nla_strlcpy(m->comm, a, sizeof(m->comm));
			break;
		case P2PBUF_NL_A_BUFFER_SGLS:
			m->sgls = nla_get_u32(a);
			break;
		case P2PBUF_NL_A_BUFFER_SIZE:
			m->size = nla_get_u64(a);
			break;
		case P2PBUF_NL_A_BUFFER_MAPPED:
			m->mapped = nla_get_u64(a);
			break;
		case P2PBUF_NL_A_SGL_TARGET:
			nla_strlcpy(m->target, a, sizeof(m->target));
			break;
		case P2PBUF_NL_A_DEVICE:
			nla_strlcpy(m->device, a, sizeof(m->device));
			break;
		default:
			break;
		}
	}
}

/* Send a request; collect its messages into out[] (dump) or just the ack. */
int request(uint8_t cmd, int flags, void (*put)(struct nl_msg *, void *),
	    void *arg, struct msg *out, int max, int *n)
{
	static char buf[65536] __attribute__((aligned(8)));
	struct nl_msg *msg = nlmsg_alloc();
	uint32_t seq;
	int err = 0;
	bool done = false;

	ck_assert_ptr_nonnull(msg);
	ck_assert_ptr_nonnull(genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ,
					  family, 0, flags, cmd,
					  P2PBUF_NL_FAMILY_VERSION));
	if (put)
		put(msg, arg);
	ck_assert_int_ge(nl_send_auto(sk, msg), 0);
	seq = nlmsg_hdr(msg)->nlmsg_seq;
	nlmsg_free(msg);
	if (n)
		*n = 0;
	while (!done) {
		ssize_t len = recv(nl_socket_get_fd(sk), buf, sizeof(buf), 0);
		struct nlmsghdr *nlh = (struct nlmsghdr *)buf;

		ck_assert_msg(len > 0, "recv: %s", strerror(errno));
		for (; NLMSG_OK(nlh, len); nlh = NLMSG_NEXT(nlh, len)) {
			if (nlh->nlmsg_seq != seq)
				continue;
			if (nlh->nlmsg_type == NLMSG_DONE) {
				done = true;
			} else if (nlh->nlmsg_type == NLMSG_ERROR) {
				err = -((struct nlmsgerr *)NLMSG_DATA(nlh))
					       ->error;
				done = true;
			} else if (out && *n < max) {
				parse(nlh, &out[(*n)++]);
			}
		}
	}
	return err;
}

void put_pcibar(struct nl_msg *msg, void *arg)
{
	nla_put_u32(msg, P2PBUF_NL_A_PROVIDER_KIND,
		    P2PBUF_NL_PROVIDER_KIND_PCIBAR);
	nla_put_string(msg, P2PBUF_NL_A_PROVIDER_PCI_ADDR, arg);
	nla_put_u32(msg, P2PBUF_NL_A_PROVIDER_BAR, 2);
	nla_put_u32(msg, P2PBUF_NL_A_PROVIDER_FLAGS,
		    P2PBUF_NL_PROVIDER_F_HOST_BRIDGE_P2P);
}

uint32_t provider_add(const char *bdf)
{
	struct msg m;
	int n;

	ck_assert_int_eq(request(P2PBUF_NL_CMD_PROVIDER_ADD, NLM_F_ACK,
				 put_pcibar, (void *)bdf, &m, 1, &n),
			 0);
	ck_assert_int_eq(n, 1);
	return m.provider_id;
}

void put_del(struct nl_msg *msg, void *arg)
{
	struct del_arg *d = arg;

	nla_put_u32(msg, P2PBUF_NL_A_PROVIDER_ID, d->id);
	if (d->force)
		nla_put_flag(msg, P2PBUF_NL_A_FORCE);
}

int provider_del(uint32_t id, bool force)
{
	struct del_arg d = { id, force };

	return request(P2PBUF_NL_CMD_PROVIDER_DEL, NLM_F_ACK, put_del, &d, NULL,
		       0, NULL);
}

void put_buffer_id(struct nl_msg *msg, void *arg)
{
	nla_put_u32(msg, P2PBUF_NL_A_BUFFER_ID, *(uint32_t *)arg);
}

int dump(uint8_t cmd, struct msg *out, int max)
{
	int n;

	ck_assert_int_eq(request(cmd, NLM_F_DUMP, NULL, NULL, out, max, &n), 0);
	return n;
}

/* Drain the events socket (non-blocking) into out[]; wait up to ms. */
int events(struct msg *out, int max, int ms)
{
	static char buf[65536] __attribute__((aligned(8)));
	struct pollfd p = { .fd = nl_socket_get_fd(ev), .events = POLLIN };
	int n = 0;

	while (poll(&p, 1, ms) == 1) {
		ssize_t len = recv(p.fd, buf, sizeof(buf), MSG_DONTWAIT);
		struct nlmsghdr *nlh = (struct nlmsghdr *)buf;

		ck_assert_msg(len > 0, "events: %s", strerror(errno));
		for (; NLMSG_OK(nlh, len); nlh = NLMSG_NEXT(nlh, len))
			if (nlh->nlmsg_type == family && n < max)
				parse(nlh, &out[n++]);
		ms = 200;
	}
	return n;
}

/* Index of the first event of cmd with the id (sgl or buffer), or -1. */
int find_ev(const struct msg *e, int n, uint8_t cmd, uint32_t id)
{
	int i;

	for (i = 0; i < n; i++) {
		if (e[i].cmd != cmd)
			continue;
		if (!id || e[i].sgl_id == id ||
		    (!e[i].sgl_id && e[i].buffer_id == id))
			return i;
	}
	return -1;
}

/* --- helpers ----------------------------------------------------------- */

int dev_open(void)
{
	int fd = open(DEV, O_RDWR | O_CLOEXEC);

	ck_assert_msg(fd >= 0, "open %s: %s", DEV, strerror(errno));
	return fd;
}

void *alloc_map(int fd, uint32_t prov, uint64_t len, struct p2pbuf_alloc *a)
{
	void *p;

	memset(a, 0, sizeof(*a));
	a->size = sizeof(*a);
	a->length = len;
	a->provider_id = prov;
	ck_assert_msg(!ioctl(fd, P2PBUF_IOC_ALLOC, a), "alloc: %s",
		      strerror(errno));
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
		 a->mmap_offset);
	ck_assert_msg(p != MAP_FAILED, "mmap: %s", strerror(errno));
	return p;
}

int map_sgl(int fd, void *p, uint64_t len, const char *bdf)
{
	struct p2pbuf_map m = { .size = sizeof(m) };
	unsigned int d, b, s, f;

	ck_assert_int_eq(sscanf(bdf, "%x:%x:%x.%x", &d, &b, &s, &f), 4);
	m.addr = (uintptr_t)p;
	m.length = len;
	m.direction = P2PBUF_DMA_BIDIRECTIONAL;
	m.target.domain = d;
	m.target.bus = b;
	m.target.devfn = s << 3 | f;
	ck_assert_msg(!ioctl(fd, P2PBUF_IOC_MAP, &m), "MAP for %s: %s", bdf,
		      strerror(errno));
	return m.sgl_fd;
}

/* The id of a dma-sgl, from its fdinfo. */
uint32_t sgl_id(int sfd)
{
	char path[64], text[1024], *p;
	int fd;
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", sfd);
	fd = open(path, O_RDONLY);
	ck_assert_int_ge(fd, 0);
	n = read(fd, text, sizeof(text) - 1);
	close(fd);
	ck_assert_int_gt(n, 0);
	text[n] = 0;
	p = strstr(text, "p2pbuf-sgl:\t");
	ck_assert_ptr_nonnull(p);
	return strtoul(p + strlen("p2pbuf-sgl:\t"), NULL, 10);
}

void segments(int sfd, struct p2pbuf_segments *s)
{
	memset(s, 0, sizeof(*s));
	s->size = sizeof(*s);
	ck_assert_int_eq(ioctl(sfd, P2PBUF_IOC_SEGMENTS, s), 0);
}

/*
 * Faults are caught per thread: the handler (installed once, process
 * wide) jumps back into the faulting thread's own buffer.
 */
static __thread sigjmp_buf fault_jmp;
static __thread volatile sig_atomic_t fault_sig;

static void on_fault(int sig)
{
	fault_sig = sig;
	siglongjmp(fault_jmp, 1);
}

void catch_faults(void)
{
	struct sigaction sa = { .sa_handler = on_fault };

	sigemptyset(&sa.sa_mask);
	sigaction(SIGSEGV, &sa, NULL);
	sigaction(SIGBUS, &sa, NULL);
}

/* Read *p: 0 if it worked, else the signal. */
int touch(volatile uint8_t *p)
{
	fault_sig = 0;
	if (!sigsetjmp(fault_jmp, 1))
		(void)*p;
	return fault_sig;
}

/* The dma-sgl polls as revoked and says so; SYNC is refused. */
void assert_sgl_revoked(int sfd)
{
	struct pollfd p = { .fd = sfd, .events = POLLIN | POLLPRI };
	struct p2pbuf_sync sy = { .size = sizeof(sy),
				  .flags = P2PBUF_SYNC_F_FOR_CPU };
	struct p2pbuf_segments s;

	ck_assert_int_eq(poll(&p, 1, 1000), 1);
	ck_assert(p.revents & POLLERR);
	ck_assert(p.revents & POLLPRI);
	segments(sfd, &s);
	ck_assert_uint_eq(s.state, P2PBUF_SGL_STATE_REVOKED);
	ck_assert_uint_eq(s.nr_segments, 0);
	ck_assert_uint_eq(s.generation, 2);
	ck_assert_int_eq(ioctl(sfd, P2PBUF_IOC_SYNC, &sy) ? errno : 0, ENODEV);
}

/*
 * The Check fixture of both suites: the request and events sockets, and
 * no provider left over from a failed test; afterwards, everything went
 * back (no buffer, no sgl, only the sysmem provider).
 */
void fixture_setup(void)
{
	struct msg l[16];
	int grp, n, i;

	catch_faults();
	sk = nl_socket_alloc();
	ck_assert_ptr_nonnull(sk);
	ck_assert_int_eq(genl_connect(sk), 0);
	family = genl_ctrl_resolve(sk, P2PBUF_NL_FAMILY_NAME);
	ck_assert_int_gt(family, 0);
	ev = nl_socket_alloc();
	ck_assert_ptr_nonnull(ev);
	ck_assert_int_eq(genl_connect(ev), 0);
	grp = genl_ctrl_resolve_grp(sk, P2PBUF_NL_FAMILY_NAME,
				    P2PBUF_NL_MCGRP_EVENTS);
	ck_assert_int_ge(grp, 0);
	ck_assert_int_eq(nl_socket_add_membership(ev, grp), 0);
	nl_socket_set_buffer_size(ev, 1 << 20, 0);
	/* Leftovers of a failed test. */
	n = dump(P2PBUF_NL_CMD_PROVIDER_GET, l, 16);
	for (i = 0; i < n; i++)
		if (l[i].provider_id)
			provider_del(l[i].provider_id, true);
}

void fixture_teardown(void)
{
	struct msg l[16];

	/* Everything went back: no buffer, no sgl, only sysmem. */
	ck_assert_int_eq(dump(P2PBUF_NL_CMD_BUFFER_GET, l, 16), 0);
	ck_assert_int_eq(dump(P2PBUF_NL_CMD_SGL_GET, l, 16), 0);
	ck_assert_int_eq(dump(P2PBUF_NL_CMD_PROVIDER_GET, l, 16), 1);
	ck_assert_uint_eq(l[0].provider_id, 0);
	nl_socket_free(ev);
	nl_socket_free(sk);
}
