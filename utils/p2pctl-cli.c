// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * p2pctl: the command line.  "p2pctl [-j] NOUN [VERB] [OPTIONS]" finds the
 * noun in nouns[] and its command in the noun's table, and runs it; the
 * commands live in one file per noun (see p2pctl-cli.h).  Everything but
 * main() is here so that the host tests can drive it.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <string.h>

#include "p2pctl-util.h"

static const struct p2pctl_noun p2pctl_noun_help;

/* A new noun is one line here (and its file); a new verb, a table entry. */
static const struct p2pctl_noun *const nouns[] = {
	&p2pctl_noun_info,    &p2pctl_noun_provider, &p2pctl_noun_buffer,
	&p2pctl_noun_map,     &p2pctl_noun_reach,    &p2pctl_noun_list,
	&p2pctl_noun_monitor, &p2pctl_noun_demo,     &p2pctl_noun_topo,
	&p2pctl_noun_doctor,  &p2pctl_noun_help,
};

static const char exit_status_help[] =
	"Exit status:\n"
	"  0  success\n"
	"  1  the operation failed\n"
	"  2  usage error\n"
	"  3  the device node or the p2pbuf module is missing, or the device\n"
	"     is not a p2pbuf device\n"
	"  4  the driver's uAPI version is incompatible with libp2pbuf\n"
	"  5  permission denied by the kernel (CAP_SYS_ADMIN for providers and\n"
	"     revocation, CAP_SYS_RAWIO for DMA addresses)\n"
	"  6  the target device cannot reach the provider's memory\n";

static void print_usage(FILE *out)
{
	const struct p2pctl_cmd *cmd;
	size_t n, i;

	fputs("Usage: p2pctl [-j | --json] COMMAND [OPTIONS]\n"
	      "       p2pctl --help | --version\n"
	      "\n"
	      "Inspect and control p2pbuf peer-to-peer DMA buffers.\n"
	      "\n"
	      "Options:\n"
	      "  -j, --json     print JSON wherever the command has a JSON form\n"
	      "                 (the command's own --json does the same)\n"
	      "  -h, --help     show this help\n"
	      "  -V, --version  show the versions of p2pctl and libp2pbuf\n"
	      "\n"
	      "Commands:\n",
	      out);
	for (n = 0; n < ARRAY_SIZE(nouns); n++) {
		for (i = 0; i < nouns[n]->nr_cmds; i++) {
			cmd = &nouns[n]->cmds[i];
			fputs("  ", out);
			p2pctl_cmd_name(out, cmd);
			fprintf(out, " %s\n      %s\n", cmd->args,
				cmd->summary);
		}
	}
	fprintf(out,
		"\n%s\nRun 'p2pctl help COMMAND' for the options of a command; "
		"see p2pctl(8).\n",
		exit_status_help);
}

/* The help of a noun with verbs: its verbs. */
static void print_noun_usage(FILE *out, const struct p2pctl_noun *noun)
{
	size_t i;

	fprintf(out, "Usage: p2pctl %s VERB [OPTIONS]\n\n%s.\n\nVerbs:\n",
		noun->name, noun->summary);
	for (i = 0; i < noun->nr_cmds; i++)
		fprintf(out, "  %s %s\n      %s\n", noun->cmds[i].verb,
			noun->cmds[i].args, noun->cmds[i].summary);
	fprintf(out,
		"\nRun 'p2pctl %s VERB --help' for the options of a verb; "
		"see p2pctl(8).\n",
		noun->name);
}

const struct p2pctl_cmd *p2pctl_find_cmd(const struct p2pctl_cmd *table,
					 size_t n, int argc, char **argv,
					 int *words)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (strcmp(table[i].noun, argv[0]))
			continue;
		if (!table[i].verb) {
			*words = 1;
			return &table[i];
		}
		if (argc > 1 && !strcmp(table[i].verb, argv[1])) {
			*words = 2;
			return &table[i];
		}
	}
	return NULL;
}

/*
 * The command that argv starts with: *nounp, and *cmdp and *words (NULL
 * and 1 for a noun with verbs that argv names without a verb, or with an
 * option where the verb goes).  0, or the exit status of the usage error
 * reported.
 */
static int resolve(const struct p2pctl *p, int argc, char **argv,
		   const struct p2pctl_noun **nounp,
		   const struct p2pctl_cmd **cmdp, int *words)
{
	const struct p2pctl_noun *noun = NULL;
	struct p2pctl_cmd noun_cmd;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(nouns) && !noun; i++)
		if (!strcmp(nouns[i]->name, argv[0]))
			noun = nouns[i];
	if (!noun)
		return p2pctl_usage_error(p, NULL, "unknown command '%s'",
					  argv[0]);
	*nounp = noun;
	*cmdp = NULL;
	*words = 1;
	if (!noun->cmds[0].verb) {
		*cmdp = &noun->cmds[0];
		return 0;
	}
	if (argc < 2 || argv[1][0] == '-')
		return 0;
	*cmdp = p2pctl_find_cmd(noun->cmds, noun->nr_cmds, argc, argv, words);
	if (*cmdp)
		return 0;
	/* "p2pctl: NOUN: ... (see 'p2pctl NOUN --help')" */
	noun_cmd = (struct p2pctl_cmd){ .noun = noun->name };
	return p2pctl_usage_error(p, &noun_cmd, "unknown verb '%s'", argv[1]);
}

static int cmd_help(const struct p2pctl *p, const struct p2pctl_cmd *cmd,
		    int argc, char **argv)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' }, {}
	};
	const struct p2pctl_noun *noun;
	const struct p2pctl_cmd *topic;
	int c, words, ret;

	optind = 0;
	while ((c = getopt_long(argc, argv, "+:h", opts, NULL)) != -1) {
		if (c != 'h')
			return p2pctl_opt_error(p, cmd, c, argv);
		p2pctl_cmd_usage(p->out, cmd);
		return P2PCTL_EXIT_OK;
	}
	argc -= optind;
	argv += optind;
	if (!argc) {
		print_usage(p->out);
		return P2PCTL_EXIT_OK;
	}
	ret = resolve(p, argc, argv, &noun, &topic, &words);
	if (ret)
		return ret;
	if (words < argc)
		return p2pctl_usage_error(p, cmd, "unexpected argument '%s'",
					  argv[words]);
	if (topic)
		p2pctl_cmd_usage(p->out, topic);
	else
		print_noun_usage(p->out, noun);
	return P2PCTL_EXIT_OK;
}

static const struct p2pctl_cmd help_cmds[] = {
	{
		.noun = "help",
		.run = cmd_help,
		.args = "[COMMAND]",
		.summary = "Show help for p2pctl or for one command",
	},
};

static const struct p2pctl_noun p2pctl_noun_help = {
	.name = "help",
	.cmds = help_cmds,
	.nr_cmds = ARRAY_SIZE(help_cmds),
};

static bool is_help(const char *arg)
{
	return !strcmp(arg, "-h") || !strcmp(arg, "--help");
}

static int run(const struct p2pctl *p, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{}
	};
	const struct p2pctl_noun *noun;
	const struct p2pctl_cmd *cmd;
	struct p2pctl q = *p;
	struct p2pctl_cmd noun_cmd;
	int c, words, ret;

	/* Reset getopt: p2pctl_main() may run more than once. */
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+:jhV", opts, NULL)) != -1) {
		switch (c) {
		case 'j':
			q.json = true;
			break;
		case 'h':
			print_usage(p->out);
			return P2PCTL_EXIT_OK;
		case 'V':
			fprintf(p->out, "p2pctl %s (libp2pbuf %s)\n",
				PACKAGE_VERSION, p2pbuf_version());
			return P2PCTL_EXIT_OK;
		default:
			return p2pctl_opt_error(p, NULL, c, argv);
		}
	}
	if (optind == argc)
		return p2pctl_usage_error(p, NULL, "missing command");
	argc -= optind;
	argv += optind;

	ret = resolve(p, argc, argv, &noun, &cmd, &words);
	if (ret)
		return ret;
	if (!cmd) {
		/* A noun with verbs, without one: its help, or what is missing. */
		if (argc > 1 && is_help(argv[1])) {
			print_noun_usage(p->out, noun);
			return P2PCTL_EXIT_OK;
		}
		noun_cmd = (struct p2pctl_cmd){ .noun = noun->name };
		if (argc > 1)
			return p2pctl_usage_error(p, &noun_cmd,
						  "missing verb before '%s'",
						  argv[1]);
		return p2pctl_usage_error(p, &noun_cmd, "missing verb");
	}
	if (q.json && cmd->no_json)
		return p2pctl_usage_error(p, cmd, "has no JSON output (-j)");
	return cmd->run(&q, cmd, argc - (words - 1), argv + (words - 1));
}

int p2pctl_main(const struct p2pctl *p, int argc, char **argv)
{
	int ret = run(p, argc, argv);

	if (fflush(p->out) == EOF || ferror(p->out))
		return p2pctl_fail(p, P2PCTL_EXIT_FAILED,
				   "cannot write output: %s", strerror(errno));
	return ret;
}
