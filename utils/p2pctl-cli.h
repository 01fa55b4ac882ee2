/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * p2pctl internals, shared with the tests: command dispatch, argument
 * parsing and output formatting, all writing to caller-supplied streams.
 *
 * The files: p2pctl-cli.c dispatches "p2pctl [-j] NOUN [VERB] [OPTIONS]"
 * through the nouns below and prints the help; each noun has its file
 * (p2pctl-info.c, p2pctl-provider.c, p2pctl-buffer.c, p2pctl-map.c for
 * map and reach, p2pctl-events.c for list and monitor, p2pctl-demo.c,
 * p2pctl-topo.c and p2pctl-doctor.c, which read sysfs through p2pctl-pci.h)
 * with its commands, their options and their views, written once for
 * text and JSON through p2pctl-print.h; p2pctl-util.h has what they
 * share.
 */
#ifndef P2PCTL_CLI_H
#define P2PCTL_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "libp2pbuf.h"

/* Exit status of p2pctl; documented in p2pctl(8) and in --help. */
enum p2pctl_exit {
	P2PCTL_EXIT_OK = 0,
	P2PCTL_EXIT_FAILED = 1, /* the operation failed */
	P2PCTL_EXIT_USAGE = 2, /* bad command line */
	P2PCTL_EXIT_NODEV = 3, /* no device node, no module, not p2pbuf */
	P2PCTL_EXIT_VERSION = 4, /* driver uAPI incompatible with libp2pbuf */
	P2PCTL_EXIT_PERM = 5, /* the kernel refused: a capability is missing */
	P2PCTL_EXIT_UNREACHABLE = 6, /* the target cannot reach the memory */
};

/* One run of p2pctl: where it writes and what it consults. */
struct p2pctl {
	FILE *out;
	FILE *err;
	/* Present iff the module is loaded: normally "/sys/module/p2pbuf". */
	const char *sysfs_module;
	/* The PCI devices (demo, topo, doctor); NULL: "/sys/bus/pci/devices". */
	const char *sysfs_pci;
	/*
	 * Where doctor finds /sys/kernel/iommu_groups, /boot/config-RELEASE
	 * and /proc/config.gz: NULL or "" for "/", else a directory standing
	 * for it (a test's fake tree).
	 */
	const char *root;
	/* -j, --json before the command: JSON output wherever there is one. */
	bool json;
};

/*
 * A command is "p2pctl <noun> [<verb>] [options]".  run() gets argv[0] set
 * to the last command word, so getopt_long() sees the options from argv[1].
 */
struct p2pctl_cmd {
	const char *noun;
	const char *verb; /* NULL: the noun alone is the command */
	int (*run)(const struct p2pctl *p, const struct p2pctl_cmd *cmd,
		   int argc, char **argv);
	const char *args; /* synopsis after the command words */
	const char *summary; /* one line for the command list */
	const char *options; /* option help, or NULL */
	bool no_json; /* text output only: "p2pctl -j" refuses it */
};

/*
 * A noun: its commands (one with verb NULL, or one per verb), in the
 * order the help lists them.  Each command file defines its nouns.
 */
struct p2pctl_noun {
	const char *name;
	const char *summary; /* nouns with verbs: what they are about */
	const struct p2pctl_cmd *cmds;
	size_t nr_cmds;
};

extern const struct p2pctl_noun p2pctl_noun_info;
extern const struct p2pctl_noun p2pctl_noun_provider;
extern const struct p2pctl_noun p2pctl_noun_buffer;
extern const struct p2pctl_noun p2pctl_noun_map;
extern const struct p2pctl_noun p2pctl_noun_reach;
extern const struct p2pctl_noun p2pctl_noun_list;
extern const struct p2pctl_noun p2pctl_noun_monitor;
extern const struct p2pctl_noun p2pctl_noun_demo;
extern const struct p2pctl_noun p2pctl_noun_topo;
extern const struct p2pctl_noun p2pctl_noun_doctor;

int p2pctl_main(const struct p2pctl *p, int argc, char **argv);

/*
 * Find the command named by argv[0] (and argv[1] for nouns with verbs) in
 * table; *words is set to the number of command words it took.
 */
const struct p2pctl_cmd *p2pctl_find_cmd(const struct p2pctl_cmd *table,
					 size_t n, int argc, char **argv,
					 int *words);

/* Open device, reporting failures as p2pctl does; returns an exit status. */
int p2pctl_open(const struct p2pctl *p, const char *device,
		struct p2pbuf_ctx **ctxp);

/* Write s as a JSON string literal, quotes included. */
void p2pctl_json_string(FILE *out, const char *s);

/*
 * The views below return 0, or -ENOMEM when a table could not be kept
 * (the output is then incomplete).
 */

/* The output of "p2pctl info": a table, or a JSON object. */
int p2pctl_print_info(FILE *out, const char *device,
		      const struct p2pbuf_driver_info *info, bool json);

/*
 * A size: a decimal or 0x-prefixed hexadecimal number of bytes, optionally
 * followed by K, M, G or T (powers of 1024, either case).  0, -EINVAL if s is
 * not one, -ERANGE if it does not fit in 64 bits.
 */
int p2pctl_parse_size(const char *s, uint64_t *out);

/* Longest output of p2pctl_format_size(), NUL included. */
#define P2PCTL_SIZE_STRLEN 32

/* bytes as "512 B", "4.0 KiB", "64.0 MiB": one decimal, rounded. */
void p2pctl_format_size(uint64_t bytes, char buf[P2PCTL_SIZE_STRLEN]);

/*
 * A PCI address as p2pbuf_pci_target_parse(3) takes it ("DDDD:BB:DD.F" or
 * "BB:DD.F"), into the canonical form that sysfs and the kernel's provider
 * commands use ("dddd:bb:dd.f").  0, -EINVAL if libp2pbuf refuses s,
 * -ERANGE if its domain is above ffff (no such name fits the providers'
 * netlink attribute).
 */
int p2pctl_parse_pci_addr(const char *s, char out[P2PBUF_PCI_ADDR_STRLEN]);

/* "sysmem", "pcibar", or NULL for a kind p2pctl does not know. */
const char *p2pctl_provider_kind_name(uint32_t kind);

/*
 * "p2pctl provider list": a table (sizes human-readable unless bytes), or a
 * JSON array of objects (sizes always in bytes).
 */
int p2pctl_print_providers(FILE *out, const struct p2pbuf_provider_info *l,
			   int n, bool json, bool bytes);

/* "p2pctl provider show": one provider, as "key: value" lines or JSON. */
int p2pctl_print_provider(FILE *out, const struct p2pbuf_provider_info *p,
			  bool json, bool bytes);

/* "p2pctl buffer show": one buffer, as "key: value" lines or JSON. */
int p2pctl_print_buffer(FILE *out, const struct p2pbuf_buffer_entry *e,
			bool json, bool bytes);

/* "to-device", "from-device", "bidirectional": 0 or -EINVAL. */
int p2pctl_parse_dma_dir(const char *s, enum p2pbuf_dma_dir *dir);

/* What "p2pctl map" made, for p2pctl_print_map(). */
struct p2pctl_map_view {
	uint32_t provider;
	uint64_t buffer_size;
	uint32_t cache_mode; /* P2PBUF_CACHE_* */
	uint64_t offset; /* of the mapped range in the buffer */
	struct p2pbuf_sgl_info info;
	const struct p2pbuf_segment *segs;
	uint32_t nr_segs;
	bool lengths_only; /* no DMA addresses were asked for */
	/* "map --dmabuf-fd": the dma-buf instead of provider and buffer */
	bool dmabuf;
	int dmabuf_fd;
	uint64_t dmabuf_size;
	uint64_t dmabuf_inode;
	char exporter[32]; /* its exporter's name, "" if unknown */
};

/*
 * "p2pctl map": "key: value" lines and a segment table, or a JSON object
 * (DMA addresses as "0x..." strings, null with lengths_only).
 */
int p2pctl_print_map(FILE *out, const struct p2pctl_map_view *v, bool json);

/* The segment table alone, as text, indented by indent spaces. */
int p2pctl_print_segments(FILE *out, const struct p2pbuf_segment *segs,
			  uint32_t n, bool lengths_only, int indent);

/* "p2pctl reach": "key: value" lines or a JSON object. */
int p2pctl_print_reach(FILE *out, const struct p2pbuf_reach_info *r, bool json);

/* Options of "p2pctl demo"; NULL BDFs are found through sysfs. */
struct p2pctl_demo_opts {
	const char *device;
	const char *edu; /* canonical "DDDD:BB:DD.F" or NULL */
	const char *ivshmem; /* canonical "DDDD:BB:DD.F" or NULL */
};

/* "p2pctl demo" (p2pctl-demo.c); returns the exit status. */
int p2pctl_demo(const struct p2pctl *p, const struct p2pctl_demo_opts *o);

/* --- p2pctl list, p2pctl monitor (p2pctl-events.c) --- */

/*
 * "provider-add", "buffer-new", "sgl-revoke", "device-gone", ...; NULL for
 * a type p2pctl does not know.
 */
const char *p2pctl_event_name(uint32_t type);

/* "live", "revoked"; NULL for a state p2pctl does not know. */
const char *p2pctl_state_name(uint32_t state);

/*
 * "p2pctl list": a table of the buffers, one of the dma-sgls and one of
 * the dma-buf exports (sizes human-readable unless bytes), or one JSON
 * object with the arrays "buffers", "sgls" and "exports" (sizes in bytes).
 * nexps < 0: the driver has no exports (uAPI before 1.5), no such table.
 */
int p2pctl_print_list(FILE *out, const struct p2pbuf_buffer_entry *bufs,
		      int nbufs, const struct p2pbuf_sgl_entry *sgls, int nsgls,
		      const struct p2pbuf_export_entry *exps, int nexps,
		      bool json, bool bytes);

/*
 * One event as "p2pctl monitor" prints it: "TYPE key=value ..." or a JSON
 * object, on one line.
 */
int p2pctl_print_event(FILE *out, const struct p2pbuf_event *ev, bool json);

/* Where "p2pctl monitor" reads events: a p2pbuf_monitor, or a test's. */
struct p2pctl_event_source {
	int fd; /* polled for POLLIN */
	/* As p2pbuf_monitor_next(): 0, -EAGAIN, -ENOBUFS, -EPROTO, ... */
	int (*next)(void *arg, struct p2pbuf_event *ev);
	void *arg;
};

struct p2pctl_monitor_opts {
	bool json;
	uint64_t count; /* stop after this many events; 0: no limit */
	int64_t timeout_ms; /* stop after this long; negative: no limit */
};

/*
 * The loop of "p2pctl monitor": print events as they come until the count
 * is reached, the time is up or SIGINT or SIGTERM comes (exit status 0;
 * 1 when the time is up before the count).  Lost and unparsable events
 * are reported on p->err.  Returns the exit status.
 */
int p2pctl_monitor_loop(const struct p2pctl *p,
			const struct p2pctl_event_source *src,
			const struct p2pctl_monitor_opts *o);

#endif /* P2PCTL_CLI_H */
