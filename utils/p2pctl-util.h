/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What the command files of p2pctl share: reporting errors the one way
 * p2pctl does, opening the device and the netlink family, and parsing the
 * arguments several commands take.  Everything writes to the streams of
 * the struct p2pctl it is given.
 */
#ifndef P2PCTL_UTIL_H
#define P2PCTL_UTIL_H

#include "p2pctl-cli.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* "p2pctl: MESSAGE" on p->err; returns status. */
__attribute__((format(printf, 3, 4))) int
p2pctl_fail(const struct p2pctl *p, int status, const char *fmt, ...);

/*
 * "p2pctl: [CMD: ]MESSAGE (see 'p2pctl [CMD ]--help')" for a bad command
 * line of cmd (NULL: before the command words); returns P2PCTL_EXIT_USAGE.
 */
__attribute__((format(printf, 3, 4))) int
p2pctl_usage_error(const struct p2pctl *p, const struct p2pctl_cmd *cmd,
		   const char *fmt, ...);

/* Report the getopt_long() error c (':' or '?') for the options of cmd. */
int p2pctl_opt_error(const struct p2pctl *p, const struct p2pctl_cmd *cmd,
		     int c, char **argv);

/*
 * An option getopt_long() returned that a command does not handle itself:
 * 'h' shows the help of cmd (exit status 0), anything else is reported as
 * p2pctl_opt_error() does (2).  Returns the exit status.
 */
int p2pctl_opt_other(const struct p2pctl *p, const struct p2pctl_cmd *cmd,
		     int c, char **argv);

/* After the options: a usage error for the first argument left, or 0. */
int p2pctl_no_more_args(const struct p2pctl *p, const struct p2pctl_cmd *cmd,
			int argc, char **argv);

/*
 * The options of a command that takes only --json, --device PATH and
 * --help (getopt_long() with optstring, ":h" or "+:h"), and no argument:
 * *json and *device are set from them (the caller presets the defaults).
 * Returns -1 to go on, or the exit status to end with (0 after --help, 2
 * for a usage error).
 */
int p2pctl_json_device_args(const struct p2pctl *p,
			    const struct p2pctl_cmd *cmd, const char *optstring,
			    int argc, char **argv, bool *json,
			    const char **device);

/* "noun" or "noun verb". */
void p2pctl_cmd_name(FILE *out, const struct p2pctl_cmd *cmd);

/* The --help of cmd. */
void p2pctl_cmd_usage(FILE *out, const struct p2pctl_cmd *cmd);

/* Open the netlink family, reporting failures; returns an exit status. */
int p2pctl_open_ctl(const struct p2pctl *p, struct p2pbuf_ctl **ctlp);

/*
 * The netlink family could not be opened (err): say why and return the
 * exit status.
 */
int p2pctl_open_ctl_failed(const struct p2pctl *p, int err);

/*
 * A request on ctl failed with err: "p2pctl: WHAT: STRERROR: EXTACK" and
 * the exit status (5 for EPERM).
 */
int p2pctl_request_failed(const struct p2pctl *p, struct p2pbuf_ctl *ctl,
			  int err, const char *what);

/* A decimal number that fits 32 bits, nothing else: 0 or -EINVAL. */
int p2pctl_parse_u32(const char *s, uint32_t *out);

/* --OPT SIZE: 0, or the usage error reported. */
int p2pctl_size_arg(const struct p2pctl *p, const struct p2pctl_cmd *cmd,
		    const char *opt, const char *arg, uint64_t *out);

/* A provider id: 0, or the usage error reported. */
int p2pctl_id_arg(const struct p2pctl *p, const struct p2pctl_cmd *cmd,
		  const char *arg, uint32_t *id);

/* A PCI function, as a target: 0, or the usage error reported. */
int p2pctl_target_arg(const struct p2pctl *p, const struct p2pctl_cmd *cmd,
		      const char *arg, struct p2pbuf_pci_target *t);

/* A PCI address for sysfs and providers (p2pctl_parse_pci_addr()). */
int p2pctl_pci_addr_arg(const struct p2pctl *p, const struct p2pctl_cmd *cmd,
			const char *arg, char out[P2PBUF_PCI_ADDR_STRLEN]);

/* Longest output of p2pctl_name(), NUL included. */
#define P2PCTL_NAME_STRLEN 32

/* A name of libp2pbuf's, or "PREFIX-N" for a value it does not know. */
const char *p2pctl_name(const char *name, const char *prefix, uint32_t v,
			char buf[P2PCTL_NAME_STRLEN]);

/* The names of libp2pbuf, or "PREFIX-N" (type-, direction-, reason-). */
const char *p2pctl_map_type_str(uint32_t type, char buf[P2PCTL_NAME_STRLEN]);
const char *p2pctl_dir_str(uint32_t dir, char buf[P2PCTL_NAME_STRLEN]);
const char *p2pctl_revoke_reason_str(uint32_t reason,
				     char buf[P2PCTL_NAME_STRLEN]);

#endif /* P2PCTL_UTIL_H */
