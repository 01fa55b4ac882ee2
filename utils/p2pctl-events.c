// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * "p2pctl list" and "p2pctl monitor": what exists (buffers and dma-sgls of
 * every process, like lsof for peer-to-peer memory) and what happens to it
 * (the events of the netlink family, one line each).  The commands' option
 * parsing is in p2pctl-cli.c; the output formats and the monitor's loop
 * are here, written so that the host tests can drive them.
 */
#include "config.h"

#include <errno.h>
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

#include "p2pctl-cli.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

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

/* A name, or "PREFIX-N" for a value this p2pctl does not know. */
static const char *name_or(const char *name, const char *prefix, uint32_t v,
			   char buf[CELL_LEN])
{
	if (name)
		return name;
	snprintf(buf, CELL_LEN, "%s-%" PRIu32, prefix, v);
	return buf;
}

static const char *state_str(uint32_t state, char buf[CELL_LEN])
{
	return name_or(p2pctl_state_name(state), "state", state, buf);
}

static const char *reason_str(uint32_t reason, char buf[CELL_LEN])
{
	return name_or(p2pbuf_revoke_reason_name(reason), "reason", reason,
		       buf);
}

static const char *map_type_str(uint32_t type, char buf[CELL_LEN])
{
	return name_or(p2pbuf_map_type_name(type), "type", type, buf);
}

static const char *dir_str(uint32_t dir, char buf[CELL_LEN])
{
	return name_or(p2pbuf_dma_dir_name(dir), "direction", dir, buf);
}

/* "live", "revoked:REASON" (a table cell: no blanks). */
static void state_cell(uint32_t state, uint32_t reason, char buf[CELL_LEN])
{
	char s[CELL_LEN], r[CELL_LEN];

	if (state == P2PBUF_NL_STATE_REVOKED && reason)
		snprintf(buf, CELL_LEN, "%.16s:%.24s", state_str(state, s),
			 reason_str(reason, r));
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

static void ids_json(FILE *out, const uint32_t *ids, uint32_t n)
{
	uint32_t i;

	fputc('[', out);
	for (i = 0; i < n && i < P2PBUF_SGL_ENTRY_BUFFERS; i++)
		fprintf(out, "%s%" PRIu32, i ? ", " : "", ids[i]);
	fputc(']', out);
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

static void size_cell(uint64_t v, bool bytes, char buf[CELL_LEN])
{
	char s[P2PCTL_SIZE_STRLEN];

	if (bytes) {
		snprintf(buf, CELL_LEN, "%" PRIu64, v);
	} else {
		p2pctl_format_size(v, s);
		snprintf(buf, CELL_LEN, "%s", s);
	}
}

/* ", \"reason\": \"NAME\"" or null when there is none. */
static void reason_json(FILE *out, uint32_t reason)
{
	char r[CELL_LEN];

	fputs(", \"reason\": ", out);
	if (reason)
		p2pctl_json_string(out, reason_str(reason, r));
	else
		fputs("null", out);
}

/* --- p2pctl list -------------------------------------------------------- */

#define MAX_COLS 9

struct table {
	int ncols;
	const char *head[MAX_COLS];
	int width[MAX_COLS];
	char (*cells)[MAX_COLS][IDS_LEN];
	int nrows;
};

static int table_init(struct table *t, int nrows)
{
	int c;

	t->cells = calloc(nrows ? nrows : 1, sizeof(*t->cells));
	if (!t->cells)
		return -ENOMEM;
	t->nrows = nrows;
	for (c = 0; c < t->ncols; c++)
		t->width[c] = strlen(t->head[c]);
	return 0;
}

static void table_print(FILE *out, struct table *t)
{
	int r, c;

	for (r = -1; r < t->nrows; r++) {
		for (c = 0; c < t->ncols; c++) {
			const char *cell = r < 0 ? t->head[c] : t->cells[r][c];

			if (r >= 0 && (int)strlen(cell) > t->width[c])
				t->width[c] = strlen(cell);
		}
	}
	for (r = -1; r < t->nrows; r++) {
		for (c = 0; c < t->ncols; c++) {
			const char *cell = r < 0 ? t->head[c] : t->cells[r][c];

			if (c == t->ncols - 1)
				fprintf(out, "%s\n", cell);
			else
				fprintf(out, "%-*s  ", t->width[c], cell);
		}
	}
	free(t->cells);
}

static void print_buffers_table(FILE *out, const struct p2pbuf_buffer_entry *l,
				int n, bool bytes)
{
	struct table t = {
		.ncols = 8,
		.head = { "BUFFER", "PID", "COMMAND", "PROVIDER", "SIZE",
			  "MAPPED", "SGLS", "STATE" },
	};
	int i;

	if (table_init(&t, n)) {
		/* Reported by p2pctl_main() as a write error. */
		fputs("p2pctl: out of memory\n", out);
		return;
	}
	for (i = 0; i < n; i++) {
		char(*row)[IDS_LEN] = t.cells[i];

		snprintf(row[0], IDS_LEN, "%" PRIu32, l[i].id);
		snprintf(row[1], IDS_LEN, "%" PRIu32, l[i].owner_pid);
		comm_cell(l[i].owner_comm, row[2]);
		snprintf(row[3], IDS_LEN, "%" PRIu32, l[i].provider_id);
		size_cell(l[i].size, bytes, row[4]);
		size_cell(l[i].mapped, bytes, row[5]);
		snprintf(row[6], IDS_LEN, "%" PRIu32, l[i].sgls);
		state_cell(l[i].state, l[i].reason, row[7]);
	}
	table_print(out, &t);
}

static void print_sgls_table(FILE *out, const struct p2pbuf_sgl_entry *l, int n,
			     bool bytes)
{
	struct table t = {
		.ncols = 9,
		.head = { "SGL", "PID", "COMMAND", "TARGET", "BUFFERS",
			  "SEGMENTS", "TYPE", "STATE", "LENGTH" },
	};
	char b[CELL_LEN];
	int i;

	if (table_init(&t, n)) {
		fputs("p2pctl: out of memory\n", out);
		return;
	}
	for (i = 0; i < n; i++) {
		char(*row)[IDS_LEN] = t.cells[i];

		snprintf(row[0], IDS_LEN, "%" PRIu32, l[i].id);
		snprintf(row[1], IDS_LEN, "%" PRIu32, l[i].owner_pid);
		comm_cell(l[i].owner_comm, row[2]);
		snprintf(row[3], IDS_LEN, "%s", l[i].target);
		ids_str(l[i].buffer_ids, l[i].nr_buffers, row[4]);
		snprintf(row[5], IDS_LEN, "%" PRIu32, l[i].nr_segments);
		snprintf(row[6], IDS_LEN, "%s", map_type_str(l[i].map_type, b));
		state_cell(l[i].state, l[i].reason, row[7]);
		size_cell(l[i].length, bytes, row[8]);
	}
	table_print(out, &t);
}

static void owner_json(FILE *out, uint32_t pid, uint32_t uid, const char *comm)
{
	fprintf(out,
		", \"pid\": %" PRIu32 ", \"uid\": %" PRIu32 ", \"command\": ",
		pid, uid);
	p2pctl_json_string(out, comm);
}

static void buffer_json(FILE *out, const struct p2pbuf_buffer_entry *e)
{
	char s[CELL_LEN];

	fprintf(out, "{\"id\": %" PRIu32, e->id);
	owner_json(out, e->owner_pid, e->owner_uid, e->owner_comm);
	fprintf(out,
		", \"provider\": %" PRIu32 ", \"size\": %" PRIu64
		", \"mapped\": %" PRIu64 ", \"sgls\": %" PRIu32 ", \"state\": ",
		e->provider_id, e->size, e->mapped, e->sgls);
	p2pctl_json_string(out, state_str(e->state, s));
	reason_json(out, e->reason);
	fputc('}', out);
}

static void sgl_json(FILE *out, const struct p2pbuf_sgl_entry *e)
{
	char s[CELL_LEN];

	fprintf(out, "{\"id\": %" PRIu32, e->id);
	owner_json(out, e->owner_pid, e->owner_uid, e->owner_comm);
	fputs(", \"target\": ", out);
	p2pctl_json_string(out, e->target);
	fputs(", \"buffers\": ", out);
	ids_json(out, e->buffer_ids, e->nr_buffers);
	fprintf(out,
		", \"nr_buffers\": %" PRIu32 ", \"segments\": %" PRIu32
		", \"map_type\": ",
		e->nr_buffers, e->nr_segments);
	p2pctl_json_string(out, map_type_str(e->map_type, s));
	fputs(", \"direction\": ", out);
	p2pctl_json_string(out, dir_str(e->direction, s));
	fprintf(out,
		", \"length\": %" PRIu64 ", \"generation\": %" PRIu32
		", \"state\": ",
		e->length, e->generation);
	p2pctl_json_string(out, state_str(e->state, s));
	reason_json(out, e->reason);
	fputc('}', out);
}

void p2pctl_print_list(FILE *out, const struct p2pbuf_buffer_entry *bufs,
		       int nbufs, const struct p2pbuf_sgl_entry *sgls,
		       int nsgls, bool json, bool bytes)
{
	int i;

	if (!json) {
		print_buffers_table(out, bufs, nbufs, bytes);
		fputc('\n', out);
		print_sgls_table(out, sgls, nsgls, bytes);
		return;
	}
	fputs("{\n  \"buffers\": [", out);
	for (i = 0; i < nbufs; i++) {
		fputs(i ? ",\n    " : "\n    ", out);
		buffer_json(out, &bufs[i]);
	}
	fputs(nbufs ? "\n  ],\n  \"sgls\": [" : "],\n  \"sgls\": [", out);
	for (i = 0; i < nsgls; i++) {
		fputs(i ? ",\n    " : "\n    ", out);
		sgl_json(out, &sgls[i]);
	}
	fputs(nsgls ? "\n  ]\n}\n" : "]\n}\n", out);
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

static bool is_provider_event(uint32_t type)
{
	return type == P2PBUF_EVENT_PROVIDER_ADD ||
	       type == P2PBUF_EVENT_PROVIDER_DEL;
}

static void event_text(FILE *out, const struct p2pbuf_event *ev)
{
	char b1[CELL_LEN], b2[CELL_LEN], ids[IDS_LEN];

	fputs(name_or(p2pctl_event_name(ev->type), "event", ev->type, b1), out);
	if (is_provider_event(ev->type)) {
		fprintf(out, " provider=%" PRIu32 " size=%" PRIu64,
			ev->provider_id, ev->size);
		if (ev->device[0])
			fprintf(out, " device=%s", ev->device);
		fprintf(out, " sgls=%" PRIu32, ev->sgls);
	} else if (is_buffer_event(ev->type)) {
		fprintf(out,
			" buffer=%" PRIu32 " provider=%" PRIu32 " size=%" PRIu64
			" mapped=%" PRIu64 " sgls=%" PRIu32 " state=%s",
			ev->buffer_id, ev->provider_id, ev->size, ev->mapped,
			ev->sgls, state_str(ev->state, b1));
	} else if (is_sgl_event(ev->type)) {
		ids_str(ev->buffer_ids, ev->nr_buffers, ids);
		fprintf(out,
			" sgl=%" PRIu32 " target=%s buffers=%s length=%" PRIu64
			" segments=%" PRIu32 " map-type=%s",
			ev->sgl_id, ev->device, ids, ev->size, ev->nr_segments,
			map_type_str(ev->map_type, b1));
		fprintf(out, " direction=%s generation=%" PRIu32 " state=%s",
			dir_str(ev->direction, b1), ev->generation,
			state_str(ev->state, b2));
	} else if (ev->device[0]) {
		fprintf(out, " device=%s", ev->device);
	}
	if (ev->reason)
		fprintf(out, " reason=%s", reason_str(ev->reason, b1));
	fputc('\n', out);
}

static void event_json(FILE *out, const struct p2pbuf_event *ev)
{
	char b[CELL_LEN];

	fputs("{\"event\": ", out);
	p2pctl_json_string(out, name_or(p2pctl_event_name(ev->type), "event",
					ev->type, b));
	if (is_provider_event(ev->type)) {
		fprintf(out,
			", \"provider\": %" PRIu32 ", \"size\": %" PRIu64
			", \"device\": ",
			ev->provider_id, ev->size);
		if (ev->device[0])
			p2pctl_json_string(out, ev->device);
		else
			fputs("null", out);
		fprintf(out, ", \"sgls\": %" PRIu32, ev->sgls);
	} else if (is_buffer_event(ev->type)) {
		fprintf(out,
			", \"buffer\": %" PRIu32 ", \"provider\": %" PRIu32
			", \"size\": %" PRIu64 ", \"mapped\": %" PRIu64
			", \"sgls\": %" PRIu32 ", \"state\": ",
			ev->buffer_id, ev->provider_id, ev->size, ev->mapped,
			ev->sgls);
		p2pctl_json_string(out, state_str(ev->state, b));
	} else if (is_sgl_event(ev->type)) {
		fprintf(out,
			", \"sgl\": %" PRIu32 ", \"target\": ", ev->sgl_id);
		p2pctl_json_string(out, ev->device);
		fputs(", \"buffers\": ", out);
		ids_json(out, ev->buffer_ids, ev->nr_buffers);
		fprintf(out,
			", \"nr_buffers\": %" PRIu32 ", \"length\": %" PRIu64
			", \"segments\": %" PRIu32 ", \"map_type\": ",
			ev->nr_buffers, ev->size, ev->nr_segments);
		p2pctl_json_string(out, map_type_str(ev->map_type, b));
		fputs(", \"direction\": ", out);
		p2pctl_json_string(out, dir_str(ev->direction, b));
		fprintf(out, ", \"generation\": %" PRIu32 ", \"state\": ",
			ev->generation);
		p2pctl_json_string(out, state_str(ev->state, b));
	} else {
		fputs(", \"device\": ", out);
		if (ev->device[0])
			p2pctl_json_string(out, ev->device);
		else
			fputs("null", out);
	}
	reason_json(out, ev->reason);
	fputs("}\n", out);
}

void p2pctl_print_event(FILE *out, const struct p2pbuf_event *ev, bool json)
{
	if (json)
		event_json(out, ev);
	else
		event_text(out, ev);
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
