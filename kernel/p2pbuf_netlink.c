// SPDX-License-Identifier: GPL-2.0-only
/*
 * p2pbuf_netlink.c - the "p2pbuf" generic netlink family.
 *
 * The administrative control plane: PROVIDER_ADD, PROVIDER_DEL (both
 * CAP_SYS_ADMIN, GENL_ADMIN_PERM), PROVIDER_GET (anyone; doit by id, dumpit
 * for all) and the "events" multicast group.  The uAPI is in
 * include/uapi/linux/p2pbuf.h, the machine-readable spec in
 * Documentation/netlink/p2pbuf.yaml, the manual in p2pbuf-netlink(7).
 *
 * Every command has its own strict policy: the core rejects unknown
 * attributes, wrong types and lengths and out-of-range values (EINVAL and
 * an extack message) before a handler runs; handlers check what a policy
 * cannot express (required attributes, the PCI address syntax, alignment)
 * and report it through extack too.  The family is not netns-aware:
 * providers are global, the family lives in the initial namespace.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/cred.h>
#include <linux/ctype.h>
#include <linux/kernel.h>
#include <linux/pci.h>
#include <linux/string.h>
#include <net/genetlink.h>
#include <net/netlink.h>

#include "p2pbuf.h"

static const struct nla_policy
p2pbuf_nl_provider_add_policy[P2PBUF_NL_A_PROVIDER_FLAGS + 1] = {
	[P2PBUF_NL_A_PROVIDER_KIND] =
		NLA_POLICY_RANGE(NLA_U32, P2PBUF_NL_PROVIDER_KIND_SYSMEM,
				 P2PBUF_NL_PROVIDER_KIND_MAX),
	[P2PBUF_NL_A_PROVIDER_PCI_ADDR] = { .type = NLA_NUL_STRING,
					    .len = P2PBUF_NL_PCI_ADDR_LEN },
	[P2PBUF_NL_A_PROVIDER_BAR] = NLA_POLICY_MAX(NLA_U32, PCI_STD_RESOURCE_END),
	[P2PBUF_NL_A_PROVIDER_OFFSET] = { .type = NLA_U64 },
	[P2PBUF_NL_A_PROVIDER_SIZE] = NLA_POLICY_MIN(NLA_U64, 1),
	/* Reported, not settable: the free and buffer counts. */
	[P2PBUF_NL_A_PROVIDER_FREE] = { .type = NLA_REJECT },
	[P2PBUF_NL_A_PROVIDER_BUFFERS] = { .type = NLA_REJECT },
	[P2PBUF_NL_A_PROVIDER_FLAGS] = { .type = NLA_U32 },
};

/* Flags PROVIDER_ADD accepts; the others are reported, not requested. */
#define P2PBUF_NL_PROVIDER_F_SETTABLE	P2PBUF_NL_PROVIDER_F_HOST_BRIDGE_P2P

/* GET names a provider by id, and takes nothing else. */
static const struct nla_policy
p2pbuf_nl_provider_id_policy[P2PBUF_NL_A_PROVIDER_ID + 1] = {
	[P2PBUF_NL_A_PROVIDER_ID] = { .type = NLA_U32 },
};

/* DEL: the id, and FORCE to revoke the provider's buffers. */
static const struct nla_policy
p2pbuf_nl_provider_del_policy[P2PBUF_NL_A_FORCE + 1] = {
	[P2PBUF_NL_A_PROVIDER_ID] = { .type = NLA_U32 },
	[P2PBUF_NL_A_FORCE] = { .type = NLA_FLAG },
};

/* BUFFER_REVOKE: a buffer id. */
static const struct nla_policy
p2pbuf_nl_buffer_id_policy[P2PBUF_NL_A_BUFFER_ID + 1] = {
	[P2PBUF_NL_A_BUFFER_ID] = { .type = NLA_U32 },
};

/*
 * The buffer, sgl and export dumps take no attribute.  The policy must cover every
 * attribute type of the family: generic netlink validates a request with
 * the command's maxattr, and a command without one (0) gets the family's,
 * so a shorter policy array would be read past its end.
 */
static const struct nla_policy
p2pbuf_nl_none_policy[P2PBUF_NL_A_MAX + 1] = {
	[0 ... P2PBUF_NL_A_MAX] = { .type = NLA_REJECT },
};

static struct genl_family p2pbuf_nl_family;

/*
 * Whether required attribute @attr is missing; if so, report it with the
 * message @msg (a string literal) and, where supported, its type.
 */
#define p2pbuf_nl_missing(info, attr, msg) ({				\
	struct genl_info *__info = (info);				\
	int __attr = (attr);						\
	bool __missing = !__info->attrs[__attr];			\
									\
	if (__missing) {						\
		NL_SET_ERR_MSG(__info->extack, msg);			\
		p2pbuf_nl_set_err_attr_miss(__info->extack, __attr);	\
	}								\
	__missing;							\
})

/*
 * Parse "DDDD:BB:DD.F" (hex digits, exactly that shape) into @p.
 * The policy has bounded the length; the shape is checked here.
 */
static int p2pbuf_nl_parse_pci_addr(const char *s,
				    struct p2pbuf_pcibar_params *p)
{
	unsigned int domain, bus, dev, fn;
	size_t i;

	if (strlen(s) != P2PBUF_NL_PCI_ADDR_LEN)
		return -EINVAL;
	for (i = 0; i < P2PBUF_NL_PCI_ADDR_LEN; i++) {
		char want = i == 4 || i == 7 ? ':' : i == 10 ? '.' : 0;

		if (want ? s[i] != want : !isxdigit(s[i]))
			return -EINVAL;
	}
	if (sscanf(s, "%4x:%2x:%2x.%1x", &domain, &bus, &dev, &fn) != 4 ||
	    dev > 0x1f || fn > 7)
		return -EINVAL;
	p->domain = domain;
	p->bus = bus;
	p->devfn = PCI_DEVFN(dev, fn);
	return 0;
}

/* Build one provider message (reply, dump entry or event). */
static int p2pbuf_nl_fill_provider(struct sk_buff *skb,
				   struct p2pbuf_provider *prov, u32 portid,
				   u32 seq, int flags, u8 cmd)
{
	void *hdr;

	hdr = genlmsg_put(skb, portid, seq, &p2pbuf_nl_family, flags, cmd);
	if (!hdr)
		return -EMSGSIZE;
	if (nla_put_u32(skb, P2PBUF_NL_A_PROVIDER_ID, prov->id) ||
	    nla_put_u32(skb, P2PBUF_NL_A_PROVIDER_KIND, prov->ops->kind) ||
	    nla_put_u64_64bit(skb, P2PBUF_NL_A_PROVIDER_SIZE, prov->size,
			      P2PBUF_NL_A_PAD) ||
	    nla_put_u64_64bit(skb, P2PBUF_NL_A_PROVIDER_FREE,
			      prov->ops->free_bytes(prov), P2PBUF_NL_A_PAD) ||
	    nla_put_u32(skb, P2PBUF_NL_A_PROVIDER_BUFFERS,
			p2pbuf_provider_nr_buffers(prov)) ||
	    nla_put_u32(skb, P2PBUF_NL_A_PROVIDER_FLAGS, prov->flags) ||
	    nla_put_s32(skb, P2PBUF_NL_A_PROVIDER_NUMA_NODE, prov->numa_node) ||
	    nla_put_u32(skb, P2PBUF_NL_A_PROVIDER_SGLS,
			atomic_read(&prov->nr_sgls)) ||
	    (prov->ops->fill_nl && prov->ops->fill_nl(prov, skb))) {
		genlmsg_cancel(skb, hdr);
		return -EMSGSIZE;
	}
	genlmsg_end(skb, hdr);
	return 0;
}

/* Reply to @info with a description of @prov. */
static int p2pbuf_nl_reply_provider(struct genl_info *info,
				    struct p2pbuf_provider *prov, u8 cmd)
{
	struct sk_buff *msg;
	int ret;

	msg = genlmsg_new(NLMSG_DEFAULT_SIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	ret = p2pbuf_nl_fill_provider(msg, prov, info->snd_portid,
				      info->snd_seq, 0, cmd);
	if (ret) {
		nlmsg_free(msg);
		return ret;
	}
	return genlmsg_reply(msg, info);
}

/*
 * Multicast a provider event on "events".  Best effort, like every netlink
 * notification: a listener whose socket buffer is full sees ENOBUFS on its
 * socket.
 */
static void p2pbuf_nl_notify_provider(struct p2pbuf_provider *prov, u8 cmd)
{
	struct sk_buff *msg;

	if (!genl_has_listeners(&p2pbuf_nl_family, &init_net, 0))
		return;
	msg = genlmsg_new(NLMSG_DEFAULT_SIZE, GFP_KERNEL);
	if (!msg)
		return;
	if (p2pbuf_nl_fill_provider(msg, prov, 0, 0, 0, cmd)) {
		nlmsg_free(msg);
		return;
	}
	genlmsg_multicast(&p2pbuf_nl_family, msg, 0, 0, GFP_KERNEL);
}

static int p2pbuf_nl_provider_add(struct sk_buff *skb, struct genl_info *info)
{
	struct p2pbuf_pcibar_params params = {};
	struct p2pbuf_provider *prov;
	struct nlattr **tb = info->attrs;
	u32 kind;
	int ret;

	if (p2pbuf_nl_missing(info, P2PBUF_NL_A_PROVIDER_KIND,
			      "missing provider kind") ||
	    p2pbuf_nl_missing(info, P2PBUF_NL_A_PROVIDER_PCI_ADDR,
			      "missing PCI address"))
		return -EINVAL;
	kind = nla_get_u32(tb[P2PBUF_NL_A_PROVIDER_KIND]);
	if (kind != P2PBUF_NL_PROVIDER_KIND_PCIBAR &&
	    kind != P2PBUF_NL_PROVIDER_KIND_P2PDMA) {
		NL_SET_ERR_MSG_ATTR(info->extack, tb[P2PBUF_NL_A_PROVIDER_KIND],
				    "only pcibar and p2pdma providers can be added");
		return -EINVAL;
	}
	if (kind == P2PBUF_NL_PROVIDER_KIND_PCIBAR &&
	    p2pbuf_nl_missing(info, P2PBUF_NL_A_PROVIDER_BAR,
			      "missing BAR index"))
		return -EINVAL;
	/* A p2pdma provider is the device's whole pool, wherever it is. */
	if (kind == P2PBUF_NL_PROVIDER_KIND_P2PDMA) {
		struct nlattr *extra = tb[P2PBUF_NL_A_PROVIDER_BAR] ?:
				       tb[P2PBUF_NL_A_PROVIDER_OFFSET] ?:
				       tb[P2PBUF_NL_A_PROVIDER_SIZE];

		if (extra) {
			NL_SET_ERR_MSG_ATTR(info->extack, extra,
					    "a p2pdma provider takes no BAR, offset or size");
			return -EINVAL;
		}
	}
	if (p2pbuf_nl_parse_pci_addr(nla_data(tb[P2PBUF_NL_A_PROVIDER_PCI_ADDR]),
				     &params)) {
		NL_SET_ERR_MSG_ATTR(info->extack,
				    tb[P2PBUF_NL_A_PROVIDER_PCI_ADDR],
				    "PCI address is not DDDD:BB:DD.F");
		return -EINVAL;
	}
	if (tb[P2PBUF_NL_A_PROVIDER_BAR])
		params.bar = nla_get_u32(tb[P2PBUF_NL_A_PROVIDER_BAR]);
	if (tb[P2PBUF_NL_A_PROVIDER_OFFSET])
		params.offset = nla_get_u64(tb[P2PBUF_NL_A_PROVIDER_OFFSET]);
	if (tb[P2PBUF_NL_A_PROVIDER_SIZE])
		params.size = nla_get_u64(tb[P2PBUF_NL_A_PROVIDER_SIZE]);
	if (tb[P2PBUF_NL_A_PROVIDER_FLAGS]) {
		params.flags = nla_get_u32(tb[P2PBUF_NL_A_PROVIDER_FLAGS]);
		if (params.flags & ~P2PBUF_NL_PROVIDER_F_SETTABLE) {
			NL_SET_ERR_MSG_ATTR(info->extack,
					    tb[P2PBUF_NL_A_PROVIDER_FLAGS],
					    "only HOST_BRIDGE_P2P can be requested");
			return -EINVAL;
		}
	}

	if (kind == P2PBUF_NL_PROVIDER_KIND_P2PDMA)
		ret = p2pbuf_p2pdma_add(&params, info->extack, &prov);
	else
		ret = p2pbuf_pcibar_add(&params, info->extack, &prov);
	if (ret)
		return ret;
	/*
	 * The provider stays registered even if the reply cannot be sent:
	 * the event and a GET tell the caller its id.
	 */
	ret = p2pbuf_nl_reply_provider(info, prov, P2PBUF_NL_CMD_PROVIDER_ADD);
	p2pbuf_provider_put(prov);
	return ret;
}

static int p2pbuf_nl_provider_del(struct sk_buff *skb, struct genl_info *info)
{
	if (p2pbuf_nl_missing(info, P2PBUF_NL_A_PROVIDER_ID,
			      "missing provider id"))
		return -EINVAL;
	return p2pbuf_revoke_provider(nla_get_u32(info->attrs[P2PBUF_NL_A_PROVIDER_ID]),
				      nla_get_flag(info->attrs[P2PBUF_NL_A_FORCE]),
				      info->extack);
}

static int p2pbuf_nl_provider_get(struct sk_buff *skb, struct genl_info *info)
{
	struct p2pbuf_provider *prov;
	int ret;

	if (p2pbuf_nl_missing(info, P2PBUF_NL_A_PROVIDER_ID,
			      "missing provider id"))
		return -EINVAL;
	prov = p2pbuf_provider_get(nla_get_u32(info->attrs[P2PBUF_NL_A_PROVIDER_ID]));
	if (!prov) {
		NL_SET_ERR_MSG(info->extack, "no provider with this id");
		return -ENOENT;
	}
	ret = p2pbuf_nl_reply_provider(info, prov, P2PBUF_NL_CMD_PROVIDER_GET);
	p2pbuf_provider_put(prov);
	return ret;
}

struct p2pbuf_nl_dump_ctx {
	struct sk_buff *skb;
	struct netlink_callback *cb;
};

static int p2pbuf_nl_dump_one(struct p2pbuf_provider *prov, void *arg)
{
	struct p2pbuf_nl_dump_ctx *ctx = arg;

	return p2pbuf_nl_fill_provider(ctx->skb, prov,
				       NETLINK_CB(ctx->cb->skb).portid,
				       ctx->cb->nlh->nlmsg_seq, NLM_F_MULTI,
				       P2PBUF_NL_CMD_PROVIDER_GET);
}

/*
 * Dump every provider in id order; cb->args[0] is the id to resume from,
 * so providers added or removed between two messages of a dump are seen
 * or not, but the others are seen exactly once.  Attributes of the request
 * are validated by the GET policy and otherwise ignored.
 */
static int p2pbuf_nl_provider_dump(struct sk_buff *skb,
				   struct netlink_callback *cb)
{
	struct p2pbuf_nl_dump_ctx ctx = { .skb = skb, .cb = cb };
	unsigned long pos = cb->args[0];
	int ret;

	ret = p2pbuf_providers_for_each(&pos, p2pbuf_nl_dump_one, &ctx);
	cb->args[0] = pos;
	/* A full message is not an error unless nothing fitted at all. */
	if (ret == -EMSGSIZE && skb->len)
		return skb->len;
	return ret ? ret : skb->len;
}

/* --- buffers and dma-sgls ----------------------------------------------- */

/*
 * Who may see an object in a listing: CAP_SYS_ADMIN (of the socket's
 * opener) sees all, others what their effective uid created (the reading
 * process's: dumps run in the context of the reader).
 */
static bool p2pbuf_nl_visible(struct netlink_callback *cb, kuid_t owner)
{
	return netlink_capable(cb->skb, CAP_SYS_ADMIN) ||
	       uid_eq(owner, current_euid());
}

static int p2pbuf_nl_dump_buffer(struct p2pbuf_buffer *buf, void *arg)
{
	struct p2pbuf_nl_dump_ctx *ctx = arg;
	void *hdr;

	if (!p2pbuf_nl_visible(ctx->cb, buf->uid))
		return 0;
	hdr = genlmsg_put(ctx->skb, NETLINK_CB(ctx->cb->skb).portid,
			  ctx->cb->nlh->nlmsg_seq, &p2pbuf_nl_family,
			  NLM_F_MULTI, P2PBUF_NL_CMD_BUFFER_GET);
	if (!hdr)
		return -EMSGSIZE;
	if (p2pbuf_buffer_fill_nl(ctx->skb, buf, true)) {
		genlmsg_cancel(ctx->skb, hdr);
		return -EMSGSIZE;
	}
	genlmsg_end(ctx->skb, hdr);
	return 0;
}

static int p2pbuf_nl_dump_sgl(struct p2pbuf_sgl *sgl, void *arg)
{
	struct p2pbuf_nl_dump_ctx *ctx = arg;
	void *hdr;

	if (!p2pbuf_nl_visible(ctx->cb, p2pbuf_sgl_uid(sgl)))
		return 0;
	hdr = genlmsg_put(ctx->skb, NETLINK_CB(ctx->cb->skb).portid,
			  ctx->cb->nlh->nlmsg_seq, &p2pbuf_nl_family,
			  NLM_F_MULTI, P2PBUF_NL_CMD_SGL_GET);
	if (!hdr)
		return -EMSGSIZE;
	if (p2pbuf_sgl_fill_nl(ctx->skb, sgl, true)) {
		genlmsg_cancel(ctx->skb, hdr);
		return -EMSGSIZE;
	}
	genlmsg_end(ctx->skb, hdr);
	return 0;
}

static int p2pbuf_nl_dump_export(struct p2pbuf_exp *exp, void *arg)
{
	struct p2pbuf_nl_dump_ctx *ctx = arg;
	void *hdr;

	if (!p2pbuf_nl_visible(ctx->cb, p2pbuf_export_uid(exp)))
		return 0;
	hdr = genlmsg_put(ctx->skb, NETLINK_CB(ctx->cb->skb).portid,
			  ctx->cb->nlh->nlmsg_seq, &p2pbuf_nl_family,
			  NLM_F_MULTI, P2PBUF_NL_CMD_EXPORT_GET);
	if (!hdr)
		return -EMSGSIZE;
	if (p2pbuf_export_fill_nl(ctx->skb, exp, true)) {
		genlmsg_cancel(ctx->skb, hdr);
		return -EMSGSIZE;
	}
	genlmsg_end(ctx->skb, hdr);
	return 0;
}

static int p2pbuf_nl_dump_end(struct sk_buff *skb, int ret)
{
	if (ret == -EMSGSIZE && skb->len)
		return skb->len;
	return ret ? ret : skb->len;
}

static int p2pbuf_nl_buffer_dump(struct sk_buff *skb,
				 struct netlink_callback *cb)
{
	struct p2pbuf_nl_dump_ctx ctx = { .skb = skb, .cb = cb };
	unsigned long pos = cb->args[0];
	int ret;

	ret = p2pbuf_buffers_for_each(&pos, p2pbuf_nl_dump_buffer, &ctx);
	cb->args[0] = pos;
	return p2pbuf_nl_dump_end(skb, ret);
}

static int p2pbuf_nl_sgl_dump(struct sk_buff *skb, struct netlink_callback *cb)
{
	struct p2pbuf_nl_dump_ctx ctx = { .skb = skb, .cb = cb };
	unsigned long pos = cb->args[0];
	int ret;

	ret = p2pbuf_sgls_for_each(&pos, p2pbuf_nl_dump_sgl, &ctx);
	cb->args[0] = pos;
	return p2pbuf_nl_dump_end(skb, ret);
}

static int p2pbuf_nl_export_dump(struct sk_buff *skb,
				 struct netlink_callback *cb)
{
	struct p2pbuf_nl_dump_ctx ctx = { .skb = skb, .cb = cb };
	unsigned long pos = cb->args[0];
	int ret;

	ret = p2pbuf_exports_for_each(&pos, p2pbuf_nl_dump_export, &ctx);
	cb->args[0] = pos;
	return p2pbuf_nl_dump_end(skb, ret);
}

static int p2pbuf_nl_buffer_revoke(struct sk_buff *skb, struct genl_info *info)
{
	struct p2pbuf_buffer *buf;

	if (p2pbuf_nl_missing(info, P2PBUF_NL_A_BUFFER_ID,
			      "missing buffer id"))
		return -EINVAL;
	buf = p2pbuf_buffer_lookup(nla_get_u32(info->attrs[P2PBUF_NL_A_BUFFER_ID]));
	if (!buf) {
		NL_SET_ERR_MSG(info->extack, "no buffer with this id");
		return -ENOENT;
	}
	p2pbuf_revoke_buffer(buf, P2PBUF_NL_REVOKE_ADMIN);
	p2pbuf_buffer_put(buf);
	return 0;
}

/* Multicast a message built by @fill on "events", if anyone listens. */
static void p2pbuf_nl_event(u8 cmd, int (*fill)(struct sk_buff *skb,
						void *arg),
			    void *arg)
{
	struct sk_buff *msg;
	void *hdr;

	if (!genl_has_listeners(&p2pbuf_nl_family, &init_net, 0))
		return;
	msg = genlmsg_new(NLMSG_DEFAULT_SIZE, GFP_KERNEL);
	if (!msg)
		return;
	hdr = genlmsg_put(msg, 0, 0, &p2pbuf_nl_family, 0, cmd);
	if (!hdr || fill(msg, arg)) {
		nlmsg_free(msg);
		return;
	}
	genlmsg_end(msg, hdr);
	genlmsg_multicast(&p2pbuf_nl_family, msg, 0, 0, GFP_KERNEL);
}

static int p2pbuf_nl_event_sgl(struct sk_buff *skb, void *arg)
{
	return p2pbuf_sgl_fill_nl(skb, arg, false);
}

static int p2pbuf_nl_event_export(struct sk_buff *skb, void *arg)
{
	return p2pbuf_export_fill_nl(skb, arg, false);
}

static int p2pbuf_nl_event_buffer(struct sk_buff *skb, void *arg)
{
	return p2pbuf_buffer_fill_nl(skb, arg, false);
}

static int p2pbuf_nl_event_device(struct sk_buff *skb, void *arg)
{
	struct p2pbuf_device_event *ev = arg;

	if (nla_put_string(skb, P2PBUF_NL_A_DEVICE, pci_name(ev->pdev)) ||
	    nla_put_u32(skb, P2PBUF_NL_A_REASON, ev->reason))
		return -EMSGSIZE;
	return 0;
}

/*
 * The event hook (p2pbuf_event()): multicast @cmd about @obj on "events".
 * Events carry ids, sizes and states, never who owns the object (the
 * listings, filtered by uid, do).
 */
static void p2pbuf_nl_event_hook(u8 cmd, void *obj)
{
	switch (cmd) {
	case P2PBUF_NL_CMD_PROVIDER_ADD_NTF:
	case P2PBUF_NL_CMD_PROVIDER_DEL_NTF:
		p2pbuf_nl_notify_provider(obj, cmd);
		break;
	case P2PBUF_NL_CMD_BUFFER_NEW_NTF:
	case P2PBUF_NL_CMD_BUFFER_DEL_NTF:
	case P2PBUF_NL_CMD_BUFFER_REVOKE_NTF:
		p2pbuf_nl_event(cmd, p2pbuf_nl_event_buffer, obj);
		break;
	case P2PBUF_NL_CMD_SGL_NEW_NTF:
	case P2PBUF_NL_CMD_SGL_DEL_NTF:
	case P2PBUF_NL_CMD_SGL_REVOKE_NTF:
		p2pbuf_nl_event(cmd, p2pbuf_nl_event_sgl, obj);
		break;
	case P2PBUF_NL_CMD_EXPORT_NEW_NTF:
	case P2PBUF_NL_CMD_EXPORT_REVOKE_NTF:
	case P2PBUF_NL_CMD_EXPORT_DEL_NTF:
		p2pbuf_nl_event(cmd, p2pbuf_nl_event_export, obj);
		break;
	case P2PBUF_NL_CMD_DEVICE_GONE_NTF:
		p2pbuf_nl_event(cmd, p2pbuf_nl_event_device, obj);
		break;
	default:
		WARN_ON_ONCE(1);
	}
}

static const struct genl_ops p2pbuf_nl_ops[] = {
	{
		.cmd = P2PBUF_NL_CMD_PROVIDER_ADD,
		.flags = GENL_ADMIN_PERM,
		.policy = p2pbuf_nl_provider_add_policy,
		.maxattr = P2PBUF_NL_A_PROVIDER_FLAGS,
		.doit = p2pbuf_nl_provider_add,
	},
	{
		.cmd = P2PBUF_NL_CMD_PROVIDER_DEL,
		.flags = GENL_ADMIN_PERM,
		.policy = p2pbuf_nl_provider_del_policy,
		.maxattr = P2PBUF_NL_A_FORCE,
		.doit = p2pbuf_nl_provider_del,
	},
	{
		.cmd = P2PBUF_NL_CMD_PROVIDER_GET,
		.policy = p2pbuf_nl_provider_id_policy,
		.maxattr = P2PBUF_NL_A_PROVIDER_ID,
		.doit = p2pbuf_nl_provider_get,
		.dumpit = p2pbuf_nl_provider_dump,
	},
	{
		.cmd = P2PBUF_NL_CMD_BUFFER_GET,
		.policy = p2pbuf_nl_none_policy,
		.maxattr = P2PBUF_NL_A_MAX,
		.dumpit = p2pbuf_nl_buffer_dump,
	},
	{
		.cmd = P2PBUF_NL_CMD_SGL_GET,
		.policy = p2pbuf_nl_none_policy,
		.maxattr = P2PBUF_NL_A_MAX,
		.dumpit = p2pbuf_nl_sgl_dump,
	},
	{
		.cmd = P2PBUF_NL_CMD_EXPORT_GET,
		.policy = p2pbuf_nl_none_policy,
		.maxattr = P2PBUF_NL_A_MAX,
		.dumpit = p2pbuf_nl_export_dump,
	},
	{
		.cmd = P2PBUF_NL_CMD_BUFFER_REVOKE,
		.flags = GENL_ADMIN_PERM,
		.policy = p2pbuf_nl_buffer_id_policy,
		.maxattr = P2PBUF_NL_A_BUFFER_ID,
		.doit = p2pbuf_nl_buffer_revoke,
	},
};

static const struct genl_multicast_group p2pbuf_nl_mcgrps[] = {
	{ .name = P2PBUF_NL_MCGRP_EVENTS },
};

static struct genl_family p2pbuf_nl_family = {
	.name = P2PBUF_NL_FAMILY_NAME,
	.version = P2PBUF_NL_FAMILY_VERSION,
	.maxattr = P2PBUF_NL_A_MAX,
	.netnsok = false,
	/* Handlers lock what they touch (the provider registry). */
	.parallel_ops = true,
	.module = THIS_MODULE,
	.ops = p2pbuf_nl_ops,
	.n_ops = ARRAY_SIZE(p2pbuf_nl_ops),
	.mcgrps = p2pbuf_nl_mcgrps,
	.n_mcgrps = ARRAY_SIZE(p2pbuf_nl_mcgrps),
};

/**
 * p2pbuf_nl_init() - register the generic netlink family
 *
 * Registers the event hook once the family exists.
 *
 * Return: 0 or a negative errno from genl_register_family().
 */
int p2pbuf_nl_init(void)
{
	/* Reserved header bytes must be zero for every command. */
	int ret;

	p2pbuf_genl_set_resv_start_op(&p2pbuf_nl_family,
				      P2PBUF_NL_CMD_PROVIDER_ADD);
	ret = genl_register_family(&p2pbuf_nl_family);
	if (!ret)
		p2pbuf_event_register(p2pbuf_nl_event_hook);
	return ret;
}

/**
 * p2pbuf_nl_exit() - unregister the family
 *
 * Waits for running requests and dumps; none can start afterwards.
 */
void p2pbuf_nl_exit(void)
{
	p2pbuf_event_register(NULL);
	genl_unregister_family(&p2pbuf_nl_family);
}
