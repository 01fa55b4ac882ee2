/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Helpers of the revocation suites (test_revoke, test_hotplug); see
 * revoke-util.c.
 */
#ifndef P2PBUF_TESTS_GUEST_REVOKE_UTIL_H
#define P2PBUF_TESTS_GUEST_REVOKE_UTIL_H

#include <stdbool.h>
#include <stdint.h>

#include <linux/p2pbuf.h>
#include <netlink/genl/genl.h>
#include <netlink/netlink.h>

#define DEV "/dev/p2pbuf"

/* One netlink message of the family, its command and attributes. */
struct msg {
	uint8_t cmd;
	uint32_t buffer_id, sgl_id, provider_id, reason, state, generation;
	uint32_t owner_pid, sgls, nr_buffer_ids;
	uint64_t size, mapped;
	char target[32], device[32], comm[32];
	bool has_owner;
};

struct del_arg {
	uint32_t id;
	bool force;
};

/* The request socket, the events socket, the family id (set by setup). */
extern struct nl_sock *sk, *ev;
extern int family;

void parse(struct nlmsghdr *nlh, struct msg *m);
int request(uint8_t cmd, int flags, void (*put)(struct nl_msg *, void *),
	    void *arg, struct msg *out, int max, int *n);
void put_pcibar(struct nl_msg *msg, void *arg);
uint32_t provider_add(const char *bdf);
void put_del(struct nl_msg *msg, void *arg);
int provider_del(uint32_t id, bool force);
void put_buffer_id(struct nl_msg *msg, void *arg);
int dump(uint8_t cmd, struct msg *out, int max);
int events(struct msg *out, int max, int ms);
int find_ev(const struct msg *e, int n, uint8_t cmd, uint32_t id);
int dev_open(void);
void *alloc_map(int fd, uint32_t prov, uint64_t len, struct p2pbuf_alloc *a);
int map_sgl(int fd, void *p, uint64_t len, const char *bdf);
uint32_t sgl_id(int sfd);
void segments(int sfd, struct p2pbuf_segments *s);
void catch_faults(void);
int touch(volatile uint8_t *p);
void assert_sgl_revoked(int sfd);
void fixture_setup(void);
void fixture_teardown(void);

#endif /* P2PBUF_TESTS_GUEST_REVOKE_UTIL_H */
