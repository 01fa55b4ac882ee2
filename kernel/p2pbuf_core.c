// SPDX-License-Identifier: GPL-2.0-only
/*
 * p2pbuf_core.c - what every layer of the driver may call: consumer lists
 * and the event hook.
 *
 * A consumer list (struct p2pbuf_consumers) is how a buffer or a target
 * knows who uses it, so that revocation reaches exactly those users, in
 * O(their number), without the buffer or target code knowing what a
 * dma-sgl is: each consumer carries its owner's operations.
 *
 * The event hook is how the lower layers announce changes without calling
 * up into the netlink family: p2pbuf_netlink.c registers it at load.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/compiler.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/sched.h>

#include "p2pbuf.h"

/**
 * p2pbuf_consumers_init() - set up an empty, open consumer list
 * @cs: the list
 */
void p2pbuf_consumers_init(struct p2pbuf_consumers *cs)
{
	mutex_init(&cs->lock);
	INIT_LIST_HEAD(&cs->list);
	cs->closed = false;
}

/**
 * p2pbuf_consumers_destroy() - tear down a consumer list
 * @cs: the list, which must be empty
 */
void p2pbuf_consumers_destroy(struct p2pbuf_consumers *cs)
{
	WARN_ON(!list_empty(&cs->list));
	mutex_destroy(&cs->lock);
}

/**
 * p2pbuf_consumers_add_locked() - add a consumer unless the list is closed
 * @cs: the list, with its lock held
 * @c: a consumer in no list
 *
 * Return: 0, or -ENODEV if the list is closed.
 */
int p2pbuf_consumers_add_locked(struct p2pbuf_consumers *cs,
				struct p2pbuf_consumer *c)
{
	lockdep_assert_held(&cs->lock);
	if (cs->closed)
		return -ENODEV;
	list_add_tail(&c->node, &cs->list);
	return 0;
}

/**
 * p2pbuf_consumers_del() - take a consumer out of a list, if it is in it
 * @cs: the list
 * @c: the consumer; in @cs or in no list
 *
 * Idempotent: revocation may have taken it out already.
 */
void p2pbuf_consumers_del(struct p2pbuf_consumers *cs,
			  struct p2pbuf_consumer *c)
{
	mutex_lock(&cs->lock);
	list_del_init(&c->node);
	mutex_unlock(&cs->lock);
}

/**
 * p2pbuf_consumers_close() - close (or reopen) a list to new consumers
 * @cs: the list
 * @closed: the new state
 */
void p2pbuf_consumers_close(struct p2pbuf_consumers *cs, bool closed)
{
	mutex_lock(&cs->lock);
	cs->closed = closed;
	mutex_unlock(&cs->lock);
}

/**
 * p2pbuf_consumers_revoke() - revoke every consumer in a list
 * @cs: the list
 * @reason: enum p2pbuf_nl_revoke_reason, passed to each revoke operation
 *
 * Takes the consumers out one at a time, each with a reference on its
 * owner, and revokes it with no lock held (revocation sleeps: it takes
 * the owner's lock, wakes pollers, sends events, unmaps DMA).  A consumer
 * whose owner is being freed is only taken out: its release unmaps it.
 * Consumers that join meanwhile (an open list) are revoked too.  O(the
 * consumers); reschedules between them.  Process context.
 *
 * Return: the number of consumers whose revoke operation ran.
 */
unsigned int p2pbuf_consumers_revoke(struct p2pbuf_consumers *cs, u32 reason)
{
	struct p2pbuf_consumer *c;
	unsigned int n = 0;
	bool got;

	might_sleep();
	mutex_lock(&cs->lock);
	cs->revokes++;
	mutex_unlock(&cs->lock);
	for (;;) {
		mutex_lock(&cs->lock);
		c = list_first_entry_or_null(&cs->list, struct p2pbuf_consumer,
					     node);
		if (c) {
			list_del_init(&c->node);
			got = c->ops->get(c);
		}
		mutex_unlock(&cs->lock);
		if (!c)
			return n;
		if (got) {
			c->ops->revoke(c, reason);
			c->ops->put(c);
			n++;
		}
		cond_resched();
	}
}

/* The registered event hook; NULL before the netlink family is up. */
static p2pbuf_event_fn p2pbuf_event_hook;

/**
 * p2pbuf_event_register() - set (or, with NULL, clear) the event hook
 * @fn: called for every event
 *
 * Set once at module load before any object exists, cleared at unload
 * after the last one is gone.
 */
void p2pbuf_event_register(p2pbuf_event_fn fn)
{
	WRITE_ONCE(p2pbuf_event_hook, fn);
}

/**
 * p2pbuf_event() - announce a change of an object
 * @cmd: a P2PBUF_NL_CMD_*_NTF value
 * @obj: the object (see p2pbuf_event_fn)
 *
 * Process context.  Events of one object are sent in the order the
 * callers' locks impose; see the callers.
 */
void p2pbuf_event(u8 cmd, void *obj)
{
	p2pbuf_event_fn fn = READ_ONCE(p2pbuf_event_hook);

	if (fn)
		fn(cmd, obj);
}
