// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * "p2pctl info": what the driver reports through P2PBUF_IOC_INFO.
 */
#include "config.h"

#include <getopt.h>
#include <inttypes.h>
#include <string.h>

#include <linux/p2pbuf.h>

#include "p2pctl-print.h"
#include "p2pctl-util.h"

/* Every feature bit set, by name or in hexadecimal; "none". */
static void features_text(uint64_t features, char *buf, size_t len)
{
	size_t n = 0;
	unsigned int i;

	buf[0] = '\0';
	for (i = 0; i < 64 && n < len; i++) {
		uint64_t bit = 1ULL << i;
		const char *name = p2pbuf_feature_name(bit);

		if (!(features & bit))
			continue;
		if (name)
			n += snprintf(buf + n, len - n, "%s%s", n ? " " : "",
				      name);
		else
			n += snprintf(buf + n, len - n, "%s0x%" PRIx64,
				      n ? " " : "", bit);
	}
	if (!features)
		snprintf(buf, len, "none");
}

int p2pctl_print_info(FILE *out, const char *device,
		      const struct p2pbuf_driver_info *info, bool json)
{
	/* 64 bits of "0x8000000000000000 " at most. */
	char ver[24], mask[24], features[64 * 20];
	struct pr pr;
	unsigned int i;

	pr_init(&pr, out, json, false);
	pr_open_fields(&pr, NULL, 21);
	pr_string(&pr, PR_ANY, "device", "device", device);
	snprintf(ver, sizeof(ver), "%u.%u", info->version_major,
		 info->version_minor);
	pr_string(&pr, PR_ANY, "uapi_version", "uAPI version", ver);
	pr_string(&pr, PR_ANY, "driver_version", "driver version",
		  info->driver_version);
	pr_string(&pr, PR_ANY, "library_version", "library version",
		  p2pbuf_version());
	pr_u32(&pr, PR_ANY, "page_size", "page size", info->page_size);
	/* JSON: the names this library knows, and the whole mask. */
	pr_open_list(&pr, "features");
	for (i = 0; i < 64; i++) {
		const char *name = p2pbuf_feature_name(1ULL << i);

		if ((info->features & (1ULL << i)) && name)
			pr_string(&pr, PR_JSON, NULL, NULL, name);
	}
	pr_close(&pr);
	features_text(info->features, features, sizeof(features));
	pr_string(&pr, PR_TEXT, "features", "features", features);
	snprintf(mask, sizeof(mask), "0x%" PRIx64, info->features);
	pr_string(&pr, PR_JSON, "features_mask", NULL, mask);
	pr_u32(&pr, PR_ANY, "max_buffers_per_fd", "max buffers per fd",
	       info->max_buffers_per_fd);
	pr_u32(&pr, PR_ANY, "max_sgls_per_fd", "max SGLs per fd",
	       info->max_sgls_per_fd);
	pr_u32(&pr, PR_ANY, "max_sgl_segments", "max SGL segments",
	       info->max_sgl_segments);
	pr_close(&pr);
	return pr_end(&pr);
}

static int cmd_info(const struct p2pctl *p, const struct p2pctl_cmd *cmd,
		    int argc, char **argv)
{
	const char *device = P2PBUF_DEFAULT_DEVICE;
	struct p2pbuf_driver_info info;
	struct p2pbuf_ctx *ctx;
	bool json = p->json;
	int ret;

	ret = p2pctl_json_device_args(p, cmd, "+:h", argc, argv, &json,
				      &device);
	if (ret >= 0)
		return ret;

	ret = p2pctl_open(p, device, &ctx);
	if (ret)
		return ret;
	ret = p2pbuf_ctx_get_info(ctx, &info, sizeof(info));
	p2pbuf_ctx_unref(ctx);
	if (ret)
		return p2pctl_fail(p, P2PCTL_EXIT_FAILED, "%s: %s", device,
				   p2pbuf_strerror(ret));
	if (p2pctl_print_info(p->out, device, &info, json))
		return p2pctl_fail(p, P2PCTL_EXIT_FAILED, "out of memory");
	return P2PCTL_EXIT_OK;
}

static const struct p2pctl_cmd info_cmds[] = {
	{
		.noun = "info",
		.run = cmd_info,
		.args = "[--json] [--device PATH]",
		.summary =
			"Show the driver's uAPI version, features and limits",
		.options = "  --json         print a JSON object, not a table\n"
			   "  --device PATH  use PATH instead of /dev/p2pbuf\n",
	},
};

const struct p2pctl_noun p2pctl_noun_info = {
	.name = "info",
	.cmds = info_cmds,
	.nr_cmds = ARRAY_SIZE(info_cmds),
};
