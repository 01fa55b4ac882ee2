// SPDX-License-Identifier: GPL-2.0-or-later
/* Providers through libp2pbuf's p2pbuf_ctl, for fixtures.  See util.h. */
#include "config.h"

#include <check.h>
#include <stdlib.h>

#include "libp2pbuf.h"
#include "util.h"

void tu_providers_clear(struct p2pbuf_ctl *ctl)
{
	struct p2pbuf_provider_info *l;
	int n, i;

	n = p2pbuf_provider_list(ctl, &l, sizeof(*l));
	if (n <= 0)
		return;
	for (i = 0; i < n; i++)
		if (l[i].id != P2PBUF_PROVIDER_ID_SYSMEM)
			p2pbuf_provider_del(ctl, l[i].id, 0);
	free(l);
}

int tu_providers_release(struct p2pbuf_ctl *ctl)
{
	struct p2pbuf_provider_info *l;
	int n, i;

	n = p2pbuf_provider_list(ctl, &l, sizeof(*l));
	ck_assert_int_ge(n, 1);
	for (i = 0; i < n; i++) {
		ck_assert_msg(l[i].buffers == 0, "provider %u: %u buffers left",
			      l[i].id, l[i].buffers);
		if (l[i].id != P2PBUF_PROVIDER_ID_SYSMEM) {
			ck_assert_uint_eq(l[i].free_bytes, l[i].size);
			p2pbuf_provider_del(ctl, l[i].id, 0);
		}
	}
	free(l);
	return n;
}
