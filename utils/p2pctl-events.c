// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * "p2pctl list" and "p2pctl monitor": what exists (buffers and dma-sgls of
 * every process, like lsof for peer-to-peer memory) and what happens to it
 * (the events of the netlink family, one line each).  The views and the
 * monitor's loop are written so that the host tests can drive them.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include <linux/p2pbuf.h>

#include "p2pctl-print.h"
#include "p2pctl-util.h"

/* Longest cell of the tables, NUL included ("revoked:provider-removed"). */
#define CELL_LEN 48

/* Longest list of buffer ids: 8 ids of 10 digits, commas, "+N". */
#define IDS_LEN (P2PBUF_SGL_ENTRY_BUFFERS * 11 + 16)

const char *p2pctl_event_name(uint32_t type)
{
	switch (type) {
	case P2PBUF_EVENT_PROVIDER_ADD:
		return "provider-add";
	case P2PBUF_EVENT_PROVIDER_DEL:
		return "provider-del";
	case P2PBUF_EVENT_BUFFER_NEW:
		return "buffer-new";
	case P2PBUF_EVENT_BUFFER_DEL:
		return "buffer-del";
	case P2PBUF_EVENT_BUFFER_REVOKE:
		return "buffer-revoke";
	case P2PBUF_EVENT_SGL_NEW:
		return "sgl-new";
	case P2PBUF_EVENT_SGL_DEL:
		return "sgl-del";
	case P2PBUF_EVENT_SGL_REVOKE:
		return "sgl-revoke";
	case P2PBUF_EVENT_DEVICE_GONE:
		return "device-gone";
	case P2PBUF_EVENT_EXPORT_NEW:
		return "export-new";
	case P2PBUF_EVENT_EXPORT_REVOKE:
		return "export-revoke";
	case P2PBUF_EVENT_EXPORT_DEL:
		return "export-del";
	default:
		return NULL;
	}
}

const char *p2pctl_state_name(uint32_t state)
{
	switch (state) {
	case P2PBUF_NL_STATE_LIVE:
		return "live";
	case P2PBUF_NL_STATE_REVOKED:
		return "revoked";
	default:
		return NULL;
	}
}

static const char *state_str(uint32_t state, char buf[P2PCTL_NAME_STRLEN])
{
	return p2pctl_name(p2pctl_state_name(state), "state", state, buf);
}

/* "live", "revoked:REASON" (a table cell: no blanks). */
static void state_cell(uint32_t state, uint32_t reason, char buf[CELL_LEN])
{
	char s[P2PCTL_NAME_STRLEN], r[P2PCTL_NAME_STRLEN];

	if (state == P2PBUF_NL_STATE_REVOKED && reason)
		snprintf(buf, CELL_LEN, "%.16s:%.24s", state_str(state, s),
			 p2pctl_revoke_reason_str(reason, r));
	else
		snprintf(buf, CELL_LEN, "%s", state_str(state, s));
}

/* "1,2,3", and ",+N" for the ids an entry does not carry. */
static void ids_str(const uint32_t *ids, uint32_t n, char buf[IDS_LEN])
{
	uint32_t i, shown = n < P2PBUF_SGL_ENTRY_BUFFERS ?
				    n :
				    P2PBUF_SGL_ENTRY_BUFFERS;
	size_t len = 0;

	buf[0] = '\0';
	for (i = 0; i < shown; i++)
		len += snprintf(buf + len, IDS_LEN - len, "%s%" PRIu32,
				i ? "," : "", ids[i]);
	if (n > shown)
		snprintf(buf + len, IDS_LEN - len, "%s+%" PRIu32,
			 shown ? "," : "", n - shown);
	if (!n)
		strcpy(buf, "-");
}

/*
 * The buffer ids of a dma-sgl or an event: the ones it carries as a JSON
 * array, the list with how many more there are in text ("1,2,+3").
 */
static void ids_view(struct pr *pr, const char *label, const uint32_t *ids,
		     uint32_t n)
{
	char text[IDS_LEN];
	uint32_t i;

	pr_open_list(pr, "buffers");
	for (i = 0; i < n && i < P2PBUF_SGL_ENTRY_BUFFERS; i++)
		pr_u32(pr, PR_JSON, NULL, NULL, ids[i]);
	pr_close(pr);
	ids_str(ids, n, text);
	pr_string(pr, PR_TEXT, "buffers", label, text);
}

/*
 * A command name as a table cell: bytes that are not printable ASCII
 * (a process may name itself anything) as '?', as ps(1) shows them;
 * "-" if empty.
 */
static void comm_cell(const char *comm, char buf[IDS_LEN])
{
	char *c;

	snprintf(buf, IDS_LEN, "%s", comm[0] ? comm : "-");
	for (c = buf; *c; c++)
		if ((unsigned char)*c < 0x20 || (unsigned char)*c >= 0x7f)
			*c = '?';
}

/* The owner: the command as it is in JSON, made printable in text. */
static void owner_view(struct pr *pr, uint32_t pid, uint32_t uid,
		       const char *comm)
{
	char cell[IDS_LEN];

	pr_u32(pr, PR_ANY, "pid", NULL, pid);
	pr_u32(pr, PR_JSON, "uid", NULL, uid);
	pr_string(pr, PR_JSON, "command", NULL, comm);
	comm_cell(comm, cell);
	pr_string(pr, PR_TEXT, "command", NULL, cell);
}

/* The state as a name, and the reason as one or null; text: one cell. */
static void state_view(struct pr *pr, uint32_t state, uint32_t reason)
{
	char s[P2PCTL_NAME_STRLEN], cell[CELL_LEN];

	pr_string(pr, PR_JSON, "state", NULL, state_str(state, s));
	state_cell(state, reason, cell);
	pr_string(pr, PR_TEXT, "state", NULL, cell);
	if (reason)
		pr_string(pr, PR_JSON, "reason", NULL,
			  p2pctl_revoke_reason_str(reason, s));
	else
		pr_null(pr, PR_JSON, "reason", NULL);
}

/* --- p2pctl list -------------------------------------------------------- */

static const struct pr_column buffer_cols[] = {
	{ .key = "id", .head = "BUFFER" },
	{ .key = "pid", .head = "PID" },
	{ .key = "command", .head = "COMMAND" },
	{ .key = "provider", .head = "PROVIDER" },
	{ .key = "size", .head = "SIZE" },
	{ .key = "mapped", .head = "MAPPED" },
	{ .key = "sgls", .head = "SGLS" },
	{ .key = "state", .head = "STATE" },
};

static const struct pr_column sgl_cols[] = {
	{ .key = "id", .head = "SGL" },
	{ .key = "pid", .head = "PID" },
	{ .key = "command", .head = "COMMAND" },
	{ .key = "target", .head = "TARGET" },
	{ .key = "buffers", .head = "BUFFERS" },
	{ .key = "dmabufs", .head = "DMABUFS" },
	{ .key = "segments", .head = "SEGMENTS" },
	{ .key = "map_type", .head = "TYPE" },
	{ .key = "state", .head = "STATE" },
	{ .key = "length", .head = "LENGTH" },
};

static const struct pr_column export_cols[] = {
	{ .key = "id", .head = "EXPORT" },
	{ .key = "pid", .head = "PID" },
	{ .key = "command", .head = "COMMAND" },
	{ .key = "buffer", .head = "BUFFER" },
	{ .key = "offset", .head = "OFFSET" },
	{ .key = "length", .head = "LENGTH" },
	{ .key = "importers", .head = "IMPORTERS" },
	{ .key = "inode", .head = "INODE" },
	{ .key = "state", .head = "STATE" },
};

static void export_row(struct pr *pr, const struct p2pbuf_export_entry *e)
{
	pr_open_row(pr);
	pr_u32(pr, PR_ANY, "id", NULL, e->id);
	owner_view(pr, e->owner_pid, e->owner_uid, e->owner_comm);
	pr_u32(pr, PR_ANY, "buffer", NULL, e->buffer_id);
	pr_u32(pr, PR_JSON, "provider", NULL, e->provider_id);
	pr_u64(pr, PR_ANY, "offset", NULL, e->offset);
	pr_size(pr, PR_ANY, "length", NULL, e->length);
	pr_u32(pr, PR_ANY, "importers", NULL, e->attachments);
	pr_u64(pr, PR_ANY, "inode", NULL, e->inode);
	state_view(pr, e->state, e->reason);
	pr_close(pr);
}

static void buffer_row(struct pr *pr, const struct p2pbuf_buffer_entry *e)
{
	pr_open_row(pr);
	pr_u32(pr, PR_ANY, "id", NULL, e->id);
	owner_view(pr, e->owner_pid, e->owner_uid, e->owner_comm);
	pr_u32(pr, PR_ANY, "provider", NULL, e->provider_id);
	pr_size(pr, PR_ANY, "size", NULL, e->size);
	pr_size(pr, PR_ANY, "mapped", NULL, e->mapped);
	pr_u32(pr, PR_ANY, "sgls", NULL, e->sgls);
	state_view(pr, e->state, e->reason);
	pr_close(pr);
}

/*
 * The pieces of dma-bufs of a dma-sgl: in JSON a list of objects, in text
 * "EXPORTER:INODE@OFFSET+LENGTH" each (bytes), comma-separated, "+N" for
 * those the entry does not carry, "-" for none.
 */
static void dmabufs_view(struct pr *pr, const struct p2pbuf_sgl_entry *e)
{
	uint32_t i, shown = e->nr_dmabufs < P2PBUF_SGL_ENTRY_DMABUFS ?
				    e->nr_dmabufs :
				    P2PBUF_SGL_ENTRY_DMABUFS;
	const struct p2pbuf_sgl_dmabuf *d;
	char text[P2PBUF_SGL_ENTRY_DMABUFS * 96 + 16];
	size_t len = 0;

	pr_open_list(pr, "dmabufs");
	for (i = 0; i < shown; i++) {
		d = &e->dmabufs[i];
		pr_open_fields(pr, NULL, 0);
		pr_string(pr, PR_JSON, "exporter", NULL, d->exporter);
		pr_u64(pr, PR_JSON, "inode", NULL, d->inode);
		pr_u64(pr, PR_JSON, "offset", NULL, d->offset);
		pr_u64(pr, PR_JSON, "length", NULL, d->length);
		pr_close(pr);
		len += snprintf(text + len, sizeof(text) - len,
				"%s%s:%" PRIu64 "@%" PRIu64 "+%" PRIu64,
				i ? "," : "", d->exporter, d->inode, d->offset,
				d->length);
	}
	pr_close(pr);
	if (e->nr_dmabufs > shown)
		snprintf(text + len, sizeof(text) - len, ",+%" PRIu32,
			 e->nr_dmabufs - shown);
	if (!e->nr_dmabufs)
		strcpy(text, "-");
	pr_string(pr, PR_TEXT, "dmabufs", NULL, text);
	pr_u32(pr, PR_JSON, "nr_dmabufs", NULL, e->nr_dmabufs);
}

static void sgl_row(struct pr *pr, const struct p2pbuf_sgl_entry *e)
{
	char b[P2PCTL_NAME_STRLEN];

	pr_open_row(pr);
	pr_u32(pr, PR_ANY, "id", NULL, e->id);
	owner_view(pr, e->owner_pid, e->owner_uid, e->owner_comm);
	pr_string(pr, PR_ANY, "target", NULL, e->target);
	ids_view(pr, NULL, e->buffer_ids, e->nr_buffers);
	pr_u32(pr, PR_JSON, "nr_buffers", NULL, e->nr_buffers);
	dmabufs_view(pr, e);
	pr_u32(pr, PR_ANY, "segments", NULL, e->nr_segments);
	pr_string(pr, PR_ANY, "map_type", NULL,
		  p2pctl_map_type_str(e->map_type, b));
	pr_string(pr, PR_ANY, "direction", NULL,
		  p2pctl_dir_str(e->direction, b));
	pr_size(pr, PR_ANY, "length", NULL, e->length);
	pr_u32(pr, PR_ANY, "generation", NULL, e->generation);
	state_view(pr, e->state, e->reason);
	pr_close(pr);
}

int p2pctl_print_list(FILE *out, const struct p2pbuf_buffer_entry *bufs,
		      int nbufs, const struct p2pbuf_sgl_entry *sgls, int nsgls,
		      const struct p2pbuf_export_entry *exps, int nexps,
		      bool json, bool bytes)
{
	struct pr pr;
	int i;

	pr_init(&pr, out, json, bytes);
	pr_open_fields(&pr, NULL, 0);
	pr_open_table(&pr, "buffers", buffer_cols, ARRAY_SIZE(buffer_cols), 0);
	for (i = 0; i < nbufs; i++)
		buffer_row(&pr, &bufs[i]);
	pr_close(&pr);
	pr_text(&pr, "\n");
	pr_open_table(&pr, "sgls", sgl_cols, ARRAY_SIZE(sgl_cols), 0);
	for (i = 0; i < nsgls; i++)
		sgl_row(&pr, &sgls[i]);
	pr_close(&pr);
	if (nexps >= 0) {
		pr_text(&pr, "\n");
		pr_open_table(&pr, "exports", export_cols,
			      ARRAY_SIZE(export_cols), 0);
		for (i = 0; i < nexps; i++)
			export_row(&pr, &exps[i]);
		pr_close(&pr);
	}
	pr_close(&pr);
	return pr_end(&pr);
}

/* --- p2pctl monitor ----------------------------------------------------- */

static bool is_buffer_event(uint32_t type)
{
	return type == P2PBUF_EVENT_BUFFER_NEW ||
	       type == P2PBUF_EVENT_BUFFER_DEL ||
	       type == P2PBUF_EVENT_BUFFER_REVOKE;
}

static bool is_sgl_event(uint32_t type)
{
	return type == P2PBUF_EVENT_SGL_NEW || type == P2PBUF_EVENT_SGL_DEL ||
	       type == P2PBUF_EVENT_SGL_REVOKE;
}

static bool is_export_event(uint32_t type)
{
	return type == P2PBUF_EVENT_EXPORT_NEW ||
	       type == P2PBUF_EVENT_EXPORT_REVOKE ||
	       type == P2PBUF_EVENT_EXPORT_DEL;
}

static bool is_provider_event(uint32_t type)
{
	return type == P2PBUF_EVENT_PROVIDER_ADD ||
	       type == P2PBUF_EVENT_PROVIDER_DEL;
}

/* A device name, or null (no word in text) when the event has none. */
static void device_view(struct pr *pr, const char *device)
{
	if (device[0])
		pr_string(pr, PR_ANY, "device", "device", device);
	else
		pr_null(pr, PR_JSON, "device", NULL);
}

int p2pctl_print_event(FILE *out, const struct p2pbuf_event *ev, bool json)
{
	char b[P2PCTL_NAME_STRLEN];
	struct pr pr;

	pr_init(&pr, out, json, false);
	pr_open_words(&pr, NULL);
	pr_string(&pr, PR_ANY, "event", NULL,
		  p2pctl_name(p2pctl_event_name(ev->type), "event", ev->type,
			      b));
	if (is_provider_event(ev->type)) {
		pr_u32(&pr, PR_ANY, "provider", "provider", ev->provider_id);
		pr_u64(&pr, PR_ANY, "size", "size", ev->size);
		device_view(&pr, ev->device);
		pr_u32(&pr, PR_ANY, "sgls", "sgls", ev->sgls);
	} else if (is_buffer_event(ev->type)) {
		pr_u32(&pr, PR_ANY, "buffer", "buffer", ev->buffer_id);
		pr_u32(&pr, PR_ANY, "provider", "provider", ev->provider_id);
		pr_u64(&pr, PR_ANY, "size", "size", ev->size);
		pr_u64(&pr, PR_ANY, "mapped", "mapped", ev->mapped);
		pr_u32(&pr, PR_ANY, "sgls", "sgls", ev->sgls);
		pr_string(&pr, PR_ANY, "state", "state",
			  state_str(ev->state, b));
	} else if (is_sgl_event(ev->type)) {
		pr_u32(&pr, PR_ANY, "sgl", "sgl", ev->sgl_id);
		pr_string(&pr, PR_ANY, "target", "target", ev->device);
		ids_view(&pr, "buffers", ev->buffer_ids, ev->nr_buffers);
		pr_u32(&pr, PR_JSON, "nr_buffers", NULL, ev->nr_buffers);
		pr_u64(&pr, PR_ANY, "length", "length", ev->size);
		pr_u32(&pr, PR_ANY, "segments", "segments", ev->nr_segments);
		pr_string(&pr, PR_ANY, "map_type", "map-type",
			  p2pctl_map_type_str(ev->map_type, b));
		pr_string(&pr, PR_ANY, "direction", "direction",
			  p2pctl_dir_str(ev->direction, b));
		pr_u32(&pr, PR_ANY, "generation", "generation", ev->generation);
		pr_string(&pr, PR_ANY, "state", "state",
			  state_str(ev->state, b));
	} else if (is_export_event(ev->type)) {
		pr_u32(&pr, PR_ANY, "export", "export", ev->export_id);
		pr_u32(&pr, PR_ANY, "buffer", "buffer", ev->buffer_id);
		pr_u32(&pr, PR_ANY, "provider", "provider", ev->provider_id);
		pr_u64(&pr, PR_ANY, "length", "length", ev->size);
		pr_u32(&pr, PR_ANY, "importers", "importers", ev->attachments);
		pr_string(&pr, PR_ANY, "state", "state",
			  state_str(ev->state, b));
	} else {
		device_view(&pr, ev->device);
	}
	if (ev->reason)
		pr_string(&pr, PR_ANY, "reason", "reason",
			  p2pctl_revoke_reason_str(ev->reason, b));
	else
		pr_null(&pr, PR_JSON, "reason", NULL);
	pr_close(&pr);
	return pr_end(&pr);
}

__attribute__((format(printf, 3, 4))) static int
monitor_fail(const struct p2pctl *p, int status, const char *fmt, ...)
{
	va_list ap;

	fputs("p2pctl: monitor: ", p->err);
	va_start(ap, fmt);
	vfprintf(p->err, fmt, ap);
	va_end(ap);
	fputc('\n', p->err);
	return status;
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * Print what is queued; returns -1 when the count is reached, 0 when
 * nothing more is queued, or an exit status (> 0) after a failure.
 */
static int drain(const struct p2pctl *p, const struct p2pctl_event_source *src,
		 const struct p2pctl_monitor_opts *o, uint64_t *seen)
{
	struct p2pbuf_event ev;
	int err;

	for (;;) {
		if (o->count && *seen >= o->count)
			return -1;
		err = src->next(src->arg, &ev);
		switch (err) {
		case 0:
			p2pctl_print_event(p->out, &ev, o->json);
			fflush(p->out);
			(*seen)++;
			break;
		case -EAGAIN:
			return 0;
		case -ENOBUFS:
			monitor_fail(
				p, 0,
				"events were lost (the socket's receive buffer overflowed); 'p2pctl list' shows what exists now");
			break;
		case -EPROTO:
			monitor_fail(p, 0,
				     "an event could not be parsed: skipped");
			break;
		default:
			return monitor_fail(p, P2PCTL_EXIT_FAILED,
					    "reading events: %s",
					    p2pbuf_strerror(err));
		}
	}
}

int p2pctl_monitor_loop(const struct p2pctl *p,
			const struct p2pctl_event_source *src,
			const struct p2pctl_monitor_opts *o)
{
	int64_t deadline = o->timeout_ms >= 0 ? now_ms() + o->timeout_ms : 0;
	struct pollfd fds[2] = {
		{ .fd = src->fd, .events = POLLIN },
		{ .events = POLLIN },
	};
	struct timespec zero = { 0, 0 };
	sigset_t stop, old, ours;
	uint64_t seen = 0;
	int ret, timeout;

	/*
	 * SIGINT and SIGTERM end the loop cleanly: blocked, and read from a
	 * signalfd polled with the events, so none is missed between two
	 * polls.
	 */
	sigemptyset(&stop);
	sigaddset(&stop, SIGINT);
	sigaddset(&stop, SIGTERM);
	if (sigprocmask(SIG_BLOCK, &stop, &old))
		return monitor_fail(p, P2PCTL_EXIT_FAILED, "%s",
				    strerror(errno));
	/* Those the caller had not blocked itself. */
	sigemptyset(&ours);
	if (!sigismember(&old, SIGINT))
		sigaddset(&ours, SIGINT);
	if (!sigismember(&old, SIGTERM))
		sigaddset(&ours, SIGTERM);
	fds[1].fd = signalfd(-1, &stop, SFD_CLOEXEC | SFD_NONBLOCK);
	if (fds[1].fd < 0) {
		ret = monitor_fail(p, P2PCTL_EXIT_FAILED, "signalfd: %s",
				   strerror(errno));
		goto out_mask;
	}
	for (;;) {
		ret = drain(p, src, o, &seen);
		if (ret) {
			/* The count was reached: done. */
			if (ret < 0)
				ret = P2PCTL_EXIT_OK;
			break;
		}
		timeout = -1;
		if (o->timeout_ms >= 0) {
			int64_t left = deadline - now_ms();

			if (left <= 0) {
				ret = P2PCTL_EXIT_OK;
				if (o->count)
					ret = monitor_fail(
						p, P2PCTL_EXIT_FAILED,
						"timed out with %" PRIu64
						" of %" PRIu64 " events",
						seen, o->count);
				break;
			}
			timeout = left > INT_MAX ? INT_MAX : (int)left;
		}
		if (poll(fds, 2, timeout) < 0 && errno != EINTR) {
			ret = monitor_fail(p, P2PCTL_EXIT_FAILED, "poll: %s",
					   strerror(errno));
			break;
		}
		if (fds[1].revents & POLLIN) {
			/* Interrupted: a normal end. */
			ret = P2PCTL_EXIT_OK;
			break;
		}
		/* POLLERR is the overflow, which drain() reports. */
		if (fds[0].revents & POLLNVAL) {
			ret = monitor_fail(p, P2PCTL_EXIT_FAILED,
					   "the event socket is gone");
			break;
		}
	}
	close(fds[1].fd);
out_mask:
	/* A stop signal that came meanwhile was for us: consume it. */
	while (!sigisemptyset(&ours) && sigtimedwait(&ours, NULL, &zero) > 0)
		;
	sigprocmask(SIG_SETMASK, &old, NULL);
	return ret;
}

/* --- the commands ------------------------------------------------------- */

static int cmd_list(const struct p2pctl *p, const struct p2pctl_cmd *cmd,
		    int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "bytes", no_argument, NULL, 'b' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	struct p2pbuf_buffer_entry *bufs = NULL;
	struct p2pbuf_export_entry *exps = NULL;
	struct p2pbuf_sgl_entry *sgls = NULL;
	bool json = p->json, bytes = false;
	struct p2pbuf_ctl *ctl;
	int c, ret, nbufs, nsgls = 0, nexps;

	optind = 0;
	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (c) {
		case 'j':
			json = true;
			break;
		case 'b':
			bytes = true;
			break;
		default:
			return p2pctl_opt_other(p, cmd, c, argv);
		}
	}
	ret = p2pctl_no_more_args(p, cmd, argc, argv);
	if (ret)
		return ret;
	ret = p2pctl_open_ctl(p, &ctl);
	if (ret)
		return ret;
	nbufs = p2pbuf_buffer_list(ctl, &bufs, sizeof(*bufs));
	if (nbufs < 0) {
		ret = p2pctl_request_failed(p, ctl, nbufs, "list: buffers");
		goto out;
	}
	nsgls = p2pbuf_sgl_list(ctl, &sgls, sizeof(*sgls));
	if (nsgls < 0) {
		ret = p2pctl_request_failed(p, ctl, nsgls, "list: dma-sgls");
		goto out;
	}
	/* A driver before uAPI 1.5 has no exports: no table then. */
	nexps = p2pbuf_export_list(ctl, &exps, sizeof(*exps));
	if (nexps < 0 && nexps != -EOPNOTSUPP) {
		ret = p2pctl_request_failed(p, ctl, nexps, "list: exports");
		goto out;
	}
	if (p2pctl_print_list(p->out, bufs, nbufs, sgls, nsgls, exps, nexps,
			      json, bytes))
		ret = p2pctl_fail(p, P2PCTL_EXIT_FAILED, "out of memory");
out:
	free(bufs);
	free(sgls);
	free(exps);
	p2pbuf_ctl_free(ctl);
	return ret;
}

static int monitor_next(void *arg, struct p2pbuf_event *ev)
{
	return p2pbuf_monitor_next(arg, ev, sizeof(*ev));
}

static int cmd_monitor(const struct p2pctl *p, const struct p2pctl_cmd *cmd,
		       int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "count", required_argument, NULL, 'c' },
		{ "timeout", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	struct p2pctl_monitor_opts o = { .json = p->json, .timeout_ms = -1 };
	struct p2pctl_event_source src = { .next = monitor_next };
	struct p2pbuf_monitor *mon;
	uint32_t v;
	int c, ret;

	optind = 0;
	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (c) {
		case 'j':
			o.json = true;
			break;
		case 'c':
			if (p2pctl_parse_u32(optarg, &v) || !v)
				return p2pctl_usage_error(
					p, cmd,
					"invalid count '%s' (a number of events, at least 1)",
					optarg);
			o.count = v;
			break;
		case 't':
			if (p2pctl_parse_u32(optarg, &v))
				return p2pctl_usage_error(
					p, cmd,
					"invalid timeout '%s' (a number of seconds)",
					optarg);
			o.timeout_ms = (int64_t)v * 1000;
			break;
		default:
			return p2pctl_opt_other(p, cmd, c, argv);
		}
	}
	ret = p2pctl_no_more_args(p, cmd, argc, argv);
	if (ret)
		return ret;

	ret = p2pbuf_monitor_new(&mon);
	if (ret == -ENOENT)
		return p2pctl_open_ctl_failed(p, ret);
	if (ret)
		return p2pctl_fail(p, P2PCTL_EXIT_FAILED, "monitor: %s",
				   p2pbuf_strerror(ret));
	src.fd = p2pbuf_monitor_get_fd(mon);
	src.arg = mon;
	ret = p2pctl_monitor_loop(p, &src, &o);
	p2pbuf_monitor_free(mon);
	return ret;
}

static const struct p2pctl_cmd list_cmds[] = {
	{
		.noun = "list",
		.run = cmd_list,
		.args = "[--json] [--bytes]",
		.summary =
			"List the buffers, dma-sgls and dma-buf exports of every process, with their owners",
		.options =
			"  --json         print a JSON object, not tables\n"
			"  --bytes        print sizes in bytes, not human-readable\n"
			"  Without CAP_SYS_ADMIN only the objects of your own (effective) uid\n"
			"  are listed.\n",
	},
};

const struct p2pctl_noun p2pctl_noun_list = {
	.name = "list",
	.cmds = list_cmds,
	.nr_cmds = ARRAY_SIZE(list_cmds),
};

static const struct p2pctl_cmd monitor_cmds[] = {
	{
		.noun = "monitor",
		.run = cmd_monitor,
		.args = "[--json] [--count N] [--timeout SECS]",
		.summary =
			"Print p2pbuf events as they happen, one per line, until interrupted",
		.options =
			"  --json          print each event as a JSON object on one line\n"
			"  --count N       stop after N events\n"
			"  --timeout SECS  stop after SECS seconds (exit 1 if fewer than\n"
			"                  --count events came)\n"
			"  SIGINT and SIGTERM end it with exit status 0.  Lost events (the\n"
			"  socket's buffer overflowed) are reported on standard error.\n",
	},
};

const struct p2pctl_noun p2pctl_noun_monitor = {
	.name = "monitor",
	.cmds = monitor_cmds,
	.nr_cmds = ARRAY_SIZE(monitor_cmds),
};
