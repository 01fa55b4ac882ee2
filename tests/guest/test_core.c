// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Guest tier: regression tests of the core (issues 11 and 13), each of a
 * bug that a fuzz or stress campaign found and each failing before its
 * fix:
 *  - the buffer and dma-sgl dumps validated their attributes with a
 *    one-entry policy read as the family's maximum (KASAN out-of-bounds on
 *    the debug kernel, silently accepted attributes elsewhere).
 * The kernel log scan of the VM tier (and KASAN, lockdep, DMA-API debug on
 * the debug kernel) is part of every verdict.
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/p2pbuf.h>
#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>
#include <netlink/netlink.h>

#include "revoke-util.h"

/* --- dump policies ------------------------------------------------------ */

static void put_attr(struct nl_msg *msg, void *arg)
{
	nla_put_u32(msg, *(int *)arg, 1);
}

/* Every attribute type in a BUFFER_GET or SGL_GET dump is refused. */
static void dump_attrs_refused(void)
{
	static const uint8_t cmds[] = { P2PBUF_NL_CMD_BUFFER_GET,
					P2PBUF_NL_CMD_SGL_GET };
	unsigned int c;
	int type;

	for (c = 0; c < sizeof(cmds); c++) {
		ck_assert_int_eq(request(cmds[c], NLM_F_DUMP, NULL, NULL, NULL,
					 0, NULL),
				 0);
		for (type = 1; type <= P2PBUF_NL_A_MAX + 4; type++)
			ck_assert_msg(request(cmds[c], NLM_F_DUMP, put_attr,
					      &type, NULL, 0, NULL) == EINVAL,
				      "cmd %u with attribute %d accepted",
				      cmds[c], type);
	}
}

START_TEST(test_dump_attrs_refused)
{
	pid_t pid;
	int st;

	dump_attrs_refused();
	/* The same as an unprivileged user (the KASAN report had UID 65534). */
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (!pid) {
		if (setgid(65534) || setuid(65534))
			_exit(2);
		fixture_setup();
		dump_attrs_refused();
		_exit(0);
	}
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert_msg(WIFEXITED(st) && !WEXITSTATUS(st),
		      "as uid 65534: status %#x", st);
}
END_TEST

static Suite *core_suite(void)
{
	Suite *s = suite_create("core");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, fixture_setup, fixture_teardown);
	tcase_set_timeout(tc, 600);
	tcase_add_test(tc, test_dump_attrs_refused);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(core_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
