// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The "p2pbuf" netlink family spoken raw (libnl-genl), so that the tests
 * using it do not depend on libp2pbuf's parsing, and the Check fixture of
 * the revocation suites (test_revoke, test_hotplug).  See util.h.
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <linux/p2pbuf.h>
#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>
#include <netlink/netlink.h>

#include "util.h"

/* A P2PBUF_NL_A_SGL_DMABUF nest: counted, the first one kept. */
static void tu_nl_parse_dmabuf(struct nlattr *nest, struct tu_nl_msg *m)
{
	struct nlattr *tb[P2PBUF_NL_DMABUF_A_MAX + 1];

	ck_assert_int_eq(
		nla_parse_nested(tb, P2PBUF_NL_DMABUF_A_MAX, nest, NULL), 0);
	ck_assert(tb[P2PBUF_NL_DMABUF_A_EXPORTER] &&
		  tb[P2PBUF_NL_DMABUF_A_INODE] &&
		  tb[P2PBUF_NL_DMABUF_A_OFFSET] &&
		  tb[P2PBUF_NL_DMABUF_A_LENGTH]);
	if (!m->nr_dmabufs++) {
		snprintf(m->dmabuf_exporter, sizeof(m->dmabuf_exporter), "%s",
			 nla_get_string(tb[P2PBUF_NL_DMABUF_A_EXPORTER]));
		m->dmabuf_inode = nla_get_u64(tb[P2PBUF_NL_DMABUF_A_INODE]);
		m->dmabuf_offset = nla_get_u64(tb[P2PBUF_NL_DMABUF_A_OFFSET]);
		m->dmabuf_length = nla_get_u64(tb[P2PBUF_NL_DMABUF_A_LENGTH]);
	}
}

void tu_nl_parse(struct nlmsghdr *nlh, struct tu_nl_msg *m)
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
		case P2PBUF_NL_A_EXPORT_ID:
			m->export_id = nla_get_u32(a);
			break;
		case P2PBUF_NL_A_EXPORT_ATTACHMENTS:
			m->attachments = nla_get_u32(a);
			break;
		case P2PBUF_NL_A_EXPORT_LENGTH:
		case P2PBUF_NL_A_SGL_LENGTH:
			m->length = nla_get_u64(a);
			break;
		case P2PBUF_NL_A_SGL_DMABUF:
			tu_nl_parse_dmabuf(a, m);
			break;
		case P2PBUF_NL_A_EXPORT_INODE:
			m->inode = nla_get_u64(a);
			break;
		case P2PBUF_NL_A_PROVIDER_ID:
			m->provider_id = nla_get_u32(a);
			break;
		case P2PBUF_NL_A_PROVIDER_KIND:
			m->prov_kind = nla_get_u32(a);
			break;
		case P2PBUF_NL_A_PROVIDER_BAR:
			m->prov_bar = nla_get_u32(a);
			break;
		case P2PBUF_NL_A_REASON:
			m->reason = nla_get_u32(a);
			break;
		case P2PBUF_NL_A_BUFFER_STATE:
		case P2PBUF_NL_A_SGL_STATE:
		case P2PBUF_NL_A_EXPORT_STATE:
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
		case P2PBUF_NL_A_PROVIDER_SIZE:
			m->prov_size = nla_get_u64(a);
			break;
		case P2PBUF_NL_A_PROVIDER_FREE:
			m->prov_free = nla_get_u64(a);
			break;
		case P2PBUF_NL_A_PROVIDER_BUFFERS:
			m->prov_buffers = nla_get_u32(a);
			break;
		case P2PBUF_NL_A_PROVIDER_SGLS:
			m->prov_sgls = nla_get_u32(a);
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

int tu_nl_request(struct tu_nl *nl, uint8_t cmd, int flags,
		  void (*put)(struct nl_msg *, void *), void *arg,
		  struct tu_nl_msg *out, int max, int *n)
{
	static char buf[65536] __attribute__((aligned(8)));
	struct nl_msg *msg = nlmsg_alloc();
	uint32_t seq;
	int err = 0, got = 0;
	bool done = false;

	ck_assert_ptr_nonnull(msg);
	ck_assert_ptr_nonnull(genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ,
					  nl->family, 0, flags, cmd,
					  P2PBUF_NL_FAMILY_VERSION));
	if (put)
		put(msg, arg);
	ck_assert_int_ge(nl_send_auto(nl->sk, msg), 0);
	seq = nlmsg_hdr(msg)->nlmsg_seq;
	nlmsg_free(msg);
	while (!done) {
		ssize_t len =
			recv(nl_socket_get_fd(nl->sk), buf, sizeof(buf), 0);
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
			} else if (out && got < max) {
				tu_nl_parse(nlh, &out[got++]);
			}
		}
	}
	if (n)
		*n = got;
	return err;
}

void tu_nl_put_pcibar(struct nl_msg *msg, void *bdf)
{
	nla_put_u32(msg, P2PBUF_NL_A_PROVIDER_KIND,
		    P2PBUF_NL_PROVIDER_KIND_PCIBAR);
	nla_put_string(msg, P2PBUF_NL_A_PROVIDER_PCI_ADDR, bdf);
	nla_put_u32(msg, P2PBUF_NL_A_PROVIDER_BAR, 2);
	nla_put_u32(msg, P2PBUF_NL_A_PROVIDER_FLAGS,
		    P2PBUF_NL_PROVIDER_F_HOST_BRIDGE_P2P);
}

void tu_nl_put_buffer_id(struct nl_msg *msg, void *id)
{
	nla_put_u32(msg, P2PBUF_NL_A_BUFFER_ID, *(uint32_t *)id);
}

uint32_t tu_nl_provider_add(struct tu_nl *nl, const char *bdf)
{
	struct tu_nl_msg m;
	int n, err;

	err = tu_nl_request(nl, P2PBUF_NL_CMD_PROVIDER_ADD, NLM_F_ACK,
			    tu_nl_put_pcibar, (void *)bdf, &m, 1, &n);
	ck_assert_msg(!err, "PROVIDER_ADD %s: %s", bdf, strerror(err));
	ck_assert_int_eq(n, 1);
	return m.provider_id;
}

struct del_arg {
	uint32_t id;
	bool force;
};

static void put_del(struct nl_msg *msg, void *arg)
{
	struct del_arg *d = arg;

	nla_put_u32(msg, P2PBUF_NL_A_PROVIDER_ID, d->id);
	if (d->force)
		nla_put_flag(msg, P2PBUF_NL_A_FORCE);
}

int tu_nl_provider_del(struct tu_nl *nl, uint32_t id, bool force)
{
	struct del_arg d = { id, force };

	return tu_nl_request(nl, P2PBUF_NL_CMD_PROVIDER_DEL, NLM_F_ACK, put_del,
			     &d, NULL, 0, NULL);
}

int tu_nl_buffer_revoke(struct tu_nl *nl, uint32_t id)
{
	return tu_nl_request(nl, P2PBUF_NL_CMD_BUFFER_REVOKE, NLM_F_ACK,
			     tu_nl_put_buffer_id, &id, NULL, 0, NULL);
}

int tu_nl_dump(struct tu_nl *nl, uint8_t cmd, struct tu_nl_msg *out, int max)
{
	int n, err;

	err = tu_nl_request(nl, cmd, NLM_F_DUMP, NULL, NULL, out, max, &n);
	ck_assert_msg(!err, "dump of command %u: %s", cmd, strerror(err));
	return n;
}

int tu_nl_events(struct tu_nl *nl, struct tu_nl_msg *out, int max, int ms)
{
	static char buf[65536] __attribute__((aligned(8)));
	struct pollfd p = { .fd = nl_socket_get_fd(nl->ev), .events = POLLIN };
	int n = 0;

	while (poll(&p, 1, ms) == 1) {
		ssize_t len = recv(p.fd, buf, sizeof(buf), MSG_DONTWAIT);
		struct nlmsghdr *nlh = (struct nlmsghdr *)buf;

		ck_assert_msg(len > 0, "events: %s", strerror(errno));
		for (; NLMSG_OK(nlh, len); nlh = NLMSG_NEXT(nlh, len))
			if (nlh->nlmsg_type == nl->family && n < max)
				tu_nl_parse(nlh, &out[n++]);
		ms = 200;
	}
	return n;
}

int tu_nl_dump_one(struct tu_nl *nl, uint8_t cmd, uint32_t id,
		   struct tu_nl_msg *out)
{
	static struct tu_nl_msg l[256];
	int n = tu_nl_dump(nl, cmd, l, 256), i;
	uint32_t v;

	for (i = 0; i < n; i++) {
		v = cmd == P2PBUF_NL_CMD_SGL_GET    ? l[i].sgl_id :
		    cmd == P2PBUF_NL_CMD_EXPORT_GET ? l[i].export_id :
						      l[i].buffer_id;
		if (v == id) {
			*out = l[i];
			return 1;
		}
	}
	return 0;
}

int tu_nl_find_ev(const struct tu_nl_msg *e, int n, uint8_t cmd, uint32_t id)
{
	int i;

	for (i = 0; i < n; i++) {
		if (e[i].cmd != cmd)
			continue;
		if (id && e[i].export_id) {
			if (e[i].export_id == id)
				return i;
			continue;
		}
		if (!id || e[i].sgl_id == id ||
		    (!e[i].sgl_id && e[i].buffer_id == id))
			return i;
	}
	return -1;
}

void tu_nl_assert_providers_whole(struct tu_nl *nl)
{
	struct tu_nl_msg p[16];
	int n = tu_nl_dump(nl, P2PBUF_NL_CMD_PROVIDER_GET, p, 16), i;

	for (i = 0; i < n; i++) {
		ck_assert_msg(p[i].prov_buffers == 0 && p[i].prov_sgls == 0,
			      "provider %u: %u buffers, %u dma-sgls left",
			      p[i].provider_id, p[i].prov_buffers,
			      p[i].prov_sgls);
		if (p[i].provider_id)
			ck_assert_msg(p[i].prov_free == p[i].prov_size,
				      "provider %u: %llu of %llu bytes free",
				      p[i].provider_id,
				      (unsigned long long)p[i].prov_free,
				      (unsigned long long)p[i].prov_size);
	}
}

void tu_nl_fixture_setup(struct tu_nl *nl)
{
	struct tu_nl_msg l[16];
	int grp, n, i;

	nl->sk = nl_socket_alloc();
	ck_assert_ptr_nonnull(nl->sk);
	ck_assert_int_eq(genl_connect(nl->sk), 0);
	nl->family = genl_ctrl_resolve(nl->sk, P2PBUF_NL_FAMILY_NAME);
	ck_assert_int_gt(nl->family, 0);
	nl->ev = nl_socket_alloc();
	ck_assert_ptr_nonnull(nl->ev);
	ck_assert_int_eq(genl_connect(nl->ev), 0);
	grp = genl_ctrl_resolve_grp(nl->sk, P2PBUF_NL_FAMILY_NAME,
				    P2PBUF_NL_MCGRP_EVENTS);
	ck_assert_int_ge(grp, 0);
	ck_assert_int_eq(nl_socket_add_membership(nl->ev, grp), 0);
	nl_socket_set_buffer_size(nl->ev, 1 << 20, 0);
	/* Leftovers of a failed test. */
	n = tu_nl_dump(nl, P2PBUF_NL_CMD_PROVIDER_GET, l, 16);
	for (i = 0; i < n; i++)
		if (l[i].provider_id)
			tu_nl_provider_del(nl, l[i].provider_id, true);
}

void tu_nl_fixture_teardown(struct tu_nl *nl)
{
	struct tu_nl_msg l[16];

	/* Everything went back: no buffer, no sgl, only sysmem. */
	ck_assert_int_eq(tu_nl_dump(nl, P2PBUF_NL_CMD_BUFFER_GET, l, 16), 0);
	ck_assert_int_eq(tu_nl_dump(nl, P2PBUF_NL_CMD_SGL_GET, l, 16), 0);
	ck_assert_int_eq(tu_nl_dump(nl, P2PBUF_NL_CMD_EXPORT_GET, l, 16), 0);
	ck_assert_int_eq(tu_nl_dump(nl, P2PBUF_NL_CMD_PROVIDER_GET, l, 16), 1);
	ck_assert_uint_eq(l[0].provider_id, 0);
	nl_socket_free(nl->ev);
	nl_socket_free(nl->sk);
	nl->ev = nl->sk = NULL;
}

/* --- the events monitor ------------------------------------------------- */

static void *monitor_run(void *arg)
{
	static char buf[1 << 16] __attribute__((aligned(8)));
	struct tu_monitor *mon = arg;
	int fd = nl_socket_get_fd(mon->sk);
	struct pollfd p = { .fd = fd, .events = POLLIN };

	for (;;) {
		ssize_t len;
		struct nlmsghdr *nlh = (struct nlmsghdr *)buf;

		if (poll(&p, 1, 100) != 1) {
			if (mon->stop)
				return NULL;
			continue;
		}
		len = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (len < 0 && errno == ENOBUFS) {
			mon->overflow++;
			continue;
		}
		if (len <= 0)
			continue;
		for (; NLMSG_OK(nlh, len); nlh = NLMSG_NEXT(nlh, len))
			if (nlh->nlmsg_type == mon->family && mon->n < mon->max)
				tu_nl_parse(nlh, &mon->ev[mon->n++]);
	}
}

void tu_monitor_start(struct tu_monitor *mon, int family, int max)
{
	int grp, size = 32 << 20;

	memset(mon, 0, sizeof(*mon));
	mon->family = family;
	mon->max = max;
	mon->ev = calloc(max, sizeof(*mon->ev));
	ck_assert_ptr_nonnull(mon->ev);
	mon->sk = nl_socket_alloc();
	ck_assert_ptr_nonnull(mon->sk);
	ck_assert_int_eq(genl_connect(mon->sk), 0);
	grp = genl_ctrl_resolve_grp(mon->sk, P2PBUF_NL_FAMILY_NAME,
				    P2PBUF_NL_MCGRP_EVENTS);
	ck_assert_int_ge(grp, 0);
	ck_assert_int_eq(nl_socket_add_membership(mon->sk, grp), 0);
	/* Root may go above rmem_max. */
	ck_assert_int_eq(setsockopt(nl_socket_get_fd(mon->sk), SOL_SOCKET,
				    SO_RCVBUFFORCE, &size, sizeof(size)),
			 0);
	ck_assert_int_eq(pthread_create(&mon->thread, NULL, monitor_run, mon),
			 0);
}

void tu_monitor_stop(struct tu_monitor *mon)
{
	mon->stop = 1;
	ck_assert_int_eq(pthread_join(mon->thread, NULL), 0);
	nl_socket_free(mon->sk);
	mon->sk = NULL;
	ck_assert_msg(!mon->overflow, "the monitor overflowed %d times",
		      mon->overflow);
	ck_assert_int_lt(mon->n, mon->max);
}

void tu_monitor_free(struct tu_monitor *mon)
{
	free(mon->ev);
	mon->ev = NULL;
}

enum obj_state { GONE, LIVE, REVOKED };

static const char *const tu_ev_names[] = {
	[TU_EV_BUFFER] = "buffer",
	[TU_EV_SGL] = "sgl",
	[TU_EV_EXPORT] = "export",
};

int tu_event_order(const struct tu_monitor *mon, enum tu_ev_kind kind,
		   int *left)
{
	static const uint8_t cmds[][3] = {
		[TU_EV_BUFFER] = { P2PBUF_NL_CMD_BUFFER_NEW_NTF,
				   P2PBUF_NL_CMD_BUFFER_REVOKE_NTF,
				   P2PBUF_NL_CMD_BUFFER_DEL_NTF },
		[TU_EV_SGL] = { P2PBUF_NL_CMD_SGL_NEW_NTF,
				P2PBUF_NL_CMD_SGL_REVOKE_NTF,
				P2PBUF_NL_CMD_SGL_DEL_NTF },
		[TU_EV_EXPORT] = { P2PBUF_NL_CMD_EXPORT_NEW_NTF,
				   P2PBUF_NL_CMD_EXPORT_REVOKE_NTF,
				   P2PBUF_NL_CMD_EXPORT_DEL_NTF },
	};
	const uint8_t new_cmd = cmds[kind][0], rev_cmd = cmds[kind][1],
		      del_cmd = cmds[kind][2];
	const char *name = tu_ev_names[kind];
	static uint8_t state[1 << 20];
	int i, news = 0, live = 0;

	memset(state, GONE, sizeof(state));
	for (i = 0; i < mon->n; i++) {
		const struct tu_nl_msg *e = &mon->ev[i];
		uint32_t id = kind == TU_EV_SGL	   ? e->sgl_id :
			      kind == TU_EV_EXPORT ? e->export_id :
						     e->buffer_id;

		if (e->cmd != new_cmd && e->cmd != rev_cmd && e->cmd != del_cmd)
			continue;
		ck_assert_uint_lt(id, sizeof(state));
		if (e->cmd == new_cmd) {
			ck_assert_msg(state[id] == GONE,
				      "event %d: %s NEW of live id %u", i, name,
				      id);
			state[id] = LIVE;
			news++;
			live++;
		} else if (e->cmd == rev_cmd) {
			ck_assert_msg(
				state[id] == LIVE,
				"event %d: %s REVOKE of id %u in state %d", i,
				name, id, state[id]);
			state[id] = REVOKED;
		} else {
			ck_assert_msg(
				state[id] != GONE,
				"event %d: %s DEL of id %u never announced", i,
				name, id);
			state[id] = GONE;
			live--;
		}
	}
	if (left)
		*left = live;
	return news;
}
