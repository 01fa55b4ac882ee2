// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * p2pctl: command-line tool for the p2pbuf driver; see p2pctl(8).
 */
#include "config.h"

#include "p2pctl-cli.h"

int main(int argc, char **argv)
{
	const struct p2pctl p = {
		.out = stdout,
		.err = stderr,
		.sysfs_module = "/sys/module/p2pbuf",
	};

	return p2pctl_main(&p, argc, argv);
}
