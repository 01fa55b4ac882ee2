// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Guest tier: the provider API of libp2pbuf (p2pbuf_ctl, p2pbuf_provider_*)
 * and "p2pctl provider ..." against the real module in the test VM.  The
 * well-formed requests of test_provider.c, made through the library: exact
 * errnos and the kernel's extack text through p2pbuf_ctl_last_error(); then
 * /bin/p2pctl's output, exit status and error lines.  Malformed requests
 * stay in test_provider.c (raw libnl): the library never sends them.
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/p2pbuf.h>

#include "libp2pbuf.h"
#include "util.h"

#define MIB (1024ULL * 1024)
#define P2PCTL_PATH "/bin/p2pctl"

static struct p2pbuf_ctl *ctl;
static char ivshmem[RIG_BDF_LEN];
static uint64_t bar2_size;

static void assert_err(int ret, int err, const char *msg)
{
	const char *m = p2pbuf_ctl_last_error(ctl);

	ck_assert_msg(ret == -err, "got %d (%s: %s), expected %d (%s)", ret,
		      p2pbuf_strerror(ret), m ? m : "(no message)", -err,
		      p2pbuf_strerror(-err));
	if (msg) {
		ck_assert_ptr_nonnull(m);
		ck_assert_str_eq(m, msg);
	}
}

static int list(struct p2pbuf_provider_info **l)
{
	int n = p2pbuf_provider_list(ctl, l, sizeof(**l));

	ck_assert_msg(n > 0, "list: %s", p2pbuf_strerror(n));
	ck_assert_ptr_null(p2pbuf_ctl_last_error(ctl));
	return n;
}

static void assert_only_sysmem(void)
{
	struct p2pbuf_provider_info *l;

	ck_assert_int_eq(list(&l), 1);
	ck_assert_uint_eq(l[0].id, P2PBUF_PROVIDER_ID_SYSMEM);
	ck_assert_uint_eq(l[0].kind, P2PBUF_NL_PROVIDER_KIND_SYSMEM);
	free(l);
}

static void setup(void)
{
	tu_rig_ivshmem(ivshmem, &bar2_size);
	ck_assert_int_eq(p2pbuf_ctl_new(&ctl), 0);
	assert_only_sysmem();
}

static void teardown(void)
{
	struct p2pbuf_provider_info *l;
	int i, n = list(&l);

	for (i = 0; i < n; i++)
		if (l[i].id != P2PBUF_PROVIDER_ID_SYSMEM)
			ck_assert_int_eq(p2pbuf_provider_del(ctl, l[i].id, 0),
					 0);
	free(l);
	assert_only_sysmem();
	p2pbuf_ctl_free(ctl);
	ctl = NULL;
}

static uint32_t add_ok(uint32_t bar, uint64_t offset, uint64_t size,
		       struct p2pbuf_provider_info *info)
{
	struct p2pbuf_provider_info tmp;
	int ret = p2pbuf_provider_add(ctl, ivshmem, bar, offset, size, 0, &tmp,
				      sizeof(tmp));

	ck_assert_msg(ret == 0, "add: %s: %s", p2pbuf_strerror(ret),
		      p2pbuf_ctl_last_error(ctl));
	ck_assert_ptr_null(p2pbuf_ctl_last_error(ctl));
	if (info)
		*info = tmp;
	return tmp.id;
}

/* --- library ---------------------------------------------------------- */

START_TEST(test_lib_sysmem)
{
	struct p2pbuf_provider_info info;

	ck_assert_int_eq(p2pbuf_provider_get(ctl, P2PBUF_PROVIDER_ID_SYSMEM,
					     &info, sizeof(info)),
			 0);
	ck_assert_uint_eq(info.kind, P2PBUF_NL_PROVIDER_KIND_SYSMEM);
	ck_assert_uint_gt(info.size, 0);
	ck_assert_uint_le(info.free_bytes, info.size);
	ck_assert_str_eq(info.pci_addr, "");
	ck_assert_int_eq(info.numa_node, -1);
}
END_TEST

START_TEST(test_lib_add_get_del)
{
	struct p2pbuf_provider_info added, got, *l;
	/* A caller built against a newer library: the tail is zeroed. */
	unsigned char big[sizeof(got) + 8];
	uint32_t id;
	int n, i, found = 0;

	id = add_ok(2, 4 * MIB, 16 * MIB, &added);
	ck_assert_uint_gt(id, P2PBUF_PROVIDER_ID_SYSMEM);
	ck_assert_uint_eq(added.kind, P2PBUF_NL_PROVIDER_KIND_PCIBAR);
	ck_assert_str_eq(added.pci_addr, ivshmem);
	ck_assert_uint_eq(added.bar, 2);
	ck_assert_uint_eq(added.offset, 4 * MIB);
	ck_assert_uint_eq(added.size, 16 * MIB);
	ck_assert_uint_eq(added.free_bytes, 16 * MIB);
	ck_assert_uint_eq(added.buffers, 0);
	ck_assert_uint_eq(added.flags, P2PBUF_NL_PROVIDER_F_PREFETCHABLE);

	memset(big, 0xa5, sizeof(big));
	ck_assert_int_eq(p2pbuf_provider_get(ctl, id,
					     (struct p2pbuf_provider_info *)big,
					     sizeof(big)),
			 0);
	memcpy(&got, big, sizeof(got));
	ck_assert_mem_eq(&got, &added, sizeof(got));
	for (i = sizeof(got); i < (int)sizeof(big); i++)
		ck_assert_uint_eq(big[i], 0);

	n = list(&l);
	ck_assert_int_eq(n, 2);
	for (i = 0; i < n; i++)
		if (l[i].id == id) {
			ck_assert_mem_eq(&l[i], &added, sizeof(added));
			found++;
		}
	free(l);
	ck_assert_int_eq(found, 1);

	/* Size 0: to the end of the BAR; overlapping → EEXIST. */
	assert_err(p2pbuf_provider_add(ctl, ivshmem, 2, 0, 0, 0, NULL, 0),
		   EEXIST, "range overlaps a registered provider");
	ck_assert_int_eq(p2pbuf_provider_del(ctl, id, 0), 0);
	ck_assert_ptr_null(p2pbuf_ctl_last_error(ctl));
	assert_err(p2pbuf_provider_get(ctl, id, &got, sizeof(got)), ENOENT,
		   "no provider with this id");
	assert_err(p2pbuf_provider_del(ctl, id, 0), ENOENT,
		   "no provider with this id");
	/* Whole BAR, without info. */
	ck_assert_int_eq(p2pbuf_provider_add(ctl, ivshmem, 2, 0, 0, 0, NULL, 0),
			 0);
}
END_TEST

START_TEST(test_lib_errors)
{
	struct p2pbuf_provider_info info;

	assert_err(p2pbuf_provider_add(ctl, ivshmem, 0, 0, 0, 0, NULL, 0),
		   EINVAL, "BAR is not page aligned");
	assert_err(p2pbuf_provider_add(ctl, ivshmem, 2, 512, 4096, 0, NULL, 0),
		   EINVAL, "offset is not page aligned");
	assert_err(p2pbuf_provider_add(ctl, ivshmem, 2, bar2_size, 4096, 0,
				       NULL, 0),
		   EINVAL, "range does not fit in the BAR");
	/* Outside the policy's range: ERANGE from the netlink core. */
	assert_err(p2pbuf_provider_add(ctl, ivshmem, 6, 0, 0, 0, NULL, 0),
		   ERANGE, "integer out of range");
	assert_err(p2pbuf_provider_add(ctl, "0000:fe:1f.7", 2, 0, 0, 0, NULL,
				       0),
		   ENODEV, "no PCI device at this address");
	assert_err(p2pbuf_provider_add(ctl, "00:04.0", 2, 0, 0, 0, NULL, 0),
		   EINVAL, "PCI address is not DDDD:BB:DD.F");
	assert_err(p2pbuf_provider_del(ctl, P2PBUF_PROVIDER_ID_SYSMEM, 0),
		   EINVAL, "the sysmem provider cannot be removed");
	/* Refused by the library itself, with its own message. */
	assert_err(p2pbuf_provider_del(ctl, 1, 1U << 31), EINVAL,
		   "unknown flags");
	assert_err(p2pbuf_provider_get(ctl, 0, &info, sizeof(info) - 1), EINVAL,
		   NULL);
	ck_assert_ptr_nonnull(p2pbuf_ctl_last_error(ctl));
	/* A success clears the message. */
	ck_assert_int_eq(p2pbuf_provider_get(ctl, 0, &info, sizeof(info)), 0);
	ck_assert_ptr_null(p2pbuf_ctl_last_error(ctl));
}
END_TEST

/* What the unprivileged child saw. */
struct unpriv {
	int new_err, add_err, del_err, get_err, list_n;
	char add_msg[128];
};

START_TEST(test_lib_unprivileged)
{
	struct unpriv res;
	int pipefd[2], status;
	uint32_t id = add_ok(2, 0, MIB, NULL);
	pid_t pid;

	ck_assert_int_eq(pipe(pipefd), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (!pid) {
		struct p2pbuf_provider_info info, *l;
		struct p2pbuf_ctl *c = NULL;
		const char *m;

		memset(&res, 0, sizeof(res));
		/* Leaving uid 0 drops every capability. */
		if (setgid(65534) || setuid(65534))
			_exit(2);
		res.new_err = p2pbuf_ctl_new(&c);
		if (!res.new_err) {
			res.add_err = p2pbuf_provider_add(c, ivshmem, 2, MIB,
							  MIB, 0, NULL, 0);
			m = p2pbuf_ctl_last_error(c);
			snprintf(res.add_msg, sizeof(res.add_msg), "%s",
				 m ? m : "");
			res.del_err = p2pbuf_provider_del(c, id, 0);
			res.get_err =
				p2pbuf_provider_get(c, id, &info, sizeof(info));
			res.list_n = p2pbuf_provider_list(c, &l, sizeof(*l));
			if (res.list_n > 0)
				free(l);
			p2pbuf_ctl_free(c);
		}
		if (write(pipefd[1], &res, sizeof(res)) != sizeof(res))
			_exit(3);
		_exit(0);
	}
	close(pipefd[1]);
	ck_assert_int_eq(read(pipefd[0], &res, sizeof(res)), sizeof(res));
	close(pipefd[0]);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	ck_assert_int_eq(res.new_err, 0);
	ck_assert_int_eq(res.add_err, -EPERM);
	/* GENL_ADMIN_PERM is checked by the core, which gives no message. */
	ck_assert_str_eq(res.add_msg, "");
	ck_assert_int_eq(res.del_err, -EPERM);
	ck_assert_int_eq(res.get_err, 0);
	ck_assert_int_eq(res.list_n, 2);
}
END_TEST

/* 64 sub-ranges and sysmem: the dump spans several messages. */
START_TEST(test_lib_list_many)
{
	enum { N = 64 };
	struct p2pbuf_provider_info *l;
	uint32_t ids[N];
	int i, n;

	for (i = 0; i < N; i++)
		ids[i] = add_ok(2, i * MIB, MIB, NULL);
	n = list(&l);
	ck_assert_int_eq(n, N + 1);
	ck_assert_uint_eq(l[0].id, P2PBUF_PROVIDER_ID_SYSMEM);
	for (i = 0; i < N; i++) {
		ck_assert_uint_eq(l[i + 1].id, ids[i]);
		ck_assert_uint_eq(l[i + 1].offset, i * MIB);
		ck_assert_uint_eq(l[i + 1].size, MIB);
	}
	free(l);
}
END_TEST

/* --- p2pctl ------------------------------------------------------------ */

struct run {
	int status;
	char out[16384];
	char err[1024];
};

static void slurp(int fd, char *buf, size_t len)
{
	size_t n = 0;
	ssize_t r;

	while (n < len - 1 && (r = read(fd, buf + n, len - 1 - n)) > 0)
		n += r;
	buf[n] = '\0';
	close(fd);
}

/* Run p2pctl with args (NULL-terminated), collecting stdout and stderr. */
static void p2pctl(struct run *r, const char *const *args)
{
	const char *argv[16] = { P2PCTL_PATH };
	int out[2], err[2], st, i;
	pid_t pid;

	for (i = 0; args[i]; i++)
		argv[i + 1] = args[i];
	ck_assert_int_eq(pipe(out), 0);
	ck_assert_int_eq(pipe(err), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (!pid) {
		dup2(out[1], 1);
		dup2(err[1], 2);
		execv(P2PCTL_PATH, (char *const *)argv);
		_exit(127);
	}
	close(out[1]);
	close(err[1]);
	/* Outputs are small: stderr after stdout cannot deadlock. */
	slurp(out[0], r->out, sizeof(r->out));
	slurp(err[0], r->err, sizeof(r->err));
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert(WIFEXITED(st));
	r->status = WEXITSTATUS(st);
}

#define P2PCTL(r, ...) p2pctl(r, (const char *const[]){ __VA_ARGS__, NULL })

/*
 * A minimal JSON syntax checker (RFC 8259 grammar, no semantic checks):
 * returns the end of the value at s, or NULL.
 */
static const char *json_value(const char *s);

static const char *json_ws(const char *s)
{
	while (*s == ' ' || *s == '\n' || *s == '\t' || *s == '\r')
		s++;
	return s;
}

static const char *json_string(const char *s)
{
	if (*s++ != '"')
		return NULL;
	for (; *s != '"'; s++) {
		if ((unsigned char)*s < 0x20)
			return NULL;
		if (*s == '\\') {
			s++;
			if (*s == 'u') {
				int i;

				for (i = 1; i <= 4; i++)
					if (!strchr("0123456789abcdefABCDEF",
						    s[i]) ||
					    !s[i])
						return NULL;
				s += 4;
			} else if (!*s || !strchr("\"\\/bfnrt", *s)) {
				return NULL;
			}
		}
	}
	return s + 1;
}

static const char *json_seq(const char *s, char close, bool members)
{
	s = json_ws(s + 1);
	if (*s == close)
		return s + 1;
	for (;;) {
		if (members) {
			s = json_string(json_ws(s));
			if (!s)
				return NULL;
			s = json_ws(s);
			if (*s++ != ':')
				return NULL;
		}
		s = json_value(s);
		if (!s)
			return NULL;
		s = json_ws(s);
		if (*s == close)
			return s + 1;
		if (*s++ != ',')
			return NULL;
	}
}

static const char *json_value(const char *s)
{
	const char *start;

	s = json_ws(s);
	switch (*s) {
	case '{':
		return json_seq(s, '}', true);
	case '[':
		return json_seq(s, ']', false);
	case '"':
		return json_string(s);
	}
	if (!strncmp(s, "true", 4))
		return s + 4;
	if (!strncmp(s, "false", 5))
		return s + 5;
	if (!strncmp(s, "null", 4))
		return s + 4;
	if (*s == '-')
		s++;
	start = s;
	while (*s >= '0' && *s <= '9')
		s++;
	return s > start ? s : NULL;
}

static void assert_json(const char *text)
{
	const char *end = json_value(text);

	ck_assert_msg(end && !*json_ws(end), "not JSON: %s", text);
}

START_TEST(test_json_checker)
{
	/* The checker itself must refuse what is not JSON. */
	ck_assert_ptr_null(json_value("{\"a\": 1,}"));
	ck_assert_ptr_null(json_value("[1 2]"));
	ck_assert_ptr_null(json_value("{\"a\" 1}"));
	ck_assert_ptr_null(json_value("\"tab\there\""));
	ck_assert_ptr_nonnull(json_value("[{\"a\": -1, \"b\": [true, null]}]"));
}
END_TEST

START_TEST(test_p2pctl_provider)
{
	struct run r;
	char id[16], needle[128];
	unsigned int n;
	const char *p;

	/* add prints the new provider; JSON for scripts. */
	P2PCTL(&r, "provider", "add", ivshmem, "--bar", "2", "--offset", "4M",
	       "--size", "16M", "--json");
	ck_assert_msg(r.status == 0, "status %d: %s", r.status, r.err);
	ck_assert_str_eq(r.err, "");
	assert_json(r.out);
	p = strstr(r.out, "\"id\": ");
	ck_assert_ptr_nonnull(p);
	ck_assert_int_eq(sscanf(p, "\"id\": %u,", &n), 1);
	snprintf(id, sizeof(id), "%u", n);
	ck_assert_ptr_nonnull(strstr(r.out, "\"kind\": \"pcibar\""));
	ck_assert_ptr_nonnull(strstr(r.out, "\"offset\": 4194304,"));
	ck_assert_ptr_nonnull(strstr(r.out, "\"size\": 16777216,"));

	/* list --json: sysmem and the new one, exact bytes. */
	P2PCTL(&r, "provider", "list", "--json");
	ck_assert_int_eq(r.status, 0);
	assert_json(r.out);
	ck_assert_ptr_nonnull(strstr(r.out, "\"id\": 0,"));
	ck_assert_ptr_nonnull(strstr(r.out, "\"kind\": \"sysmem\""));
	snprintf(needle, sizeof(needle), "\"pci_address\": \"%s\"", ivshmem);
	ck_assert_ptr_nonnull(strstr(r.out, needle));
	ck_assert_ptr_nonnull(strstr(r.out, "\"prefetchable\": true"));

	/* The table: human-readable sizes, or exact with --bytes. */
	P2PCTL(&r, "provider", "list");
	ck_assert_int_eq(r.status, 0);
	ck_assert_ptr_nonnull(strstr(r.out, "sysmem"));
	ck_assert_ptr_nonnull(strstr(r.out, ivshmem));
	ck_assert_ptr_nonnull(strstr(r.out, "16.0 MiB"));
	ck_assert_ptr_null(strstr(r.out, "16777216"));
	P2PCTL(&r, "provider", "list", "--bytes");
	ck_assert_int_eq(r.status, 0);
	ck_assert_ptr_nonnull(strstr(r.out, "16777216"));

	P2PCTL(&r, "provider", "show", id, "--json");
	ck_assert_int_eq(r.status, 0);
	assert_json(r.out);
	snprintf(needle, sizeof(needle), "\"id\": %s,", id);
	ck_assert_ptr_nonnull(strstr(r.out, needle));
	ck_assert_ptr_nonnull(strstr(r.out, "\"bar\": 2,"));

	/* Errors: one line with the kernel's message; exit 1. */
	P2PCTL(&r, "provider", "add", ivshmem, "--bar", "2");
	ck_assert_int_eq(r.status, 1);
	ck_assert_ptr_nonnull(
		strstr(r.err, "range overlaps a registered provider"));
	ck_assert_ptr_eq(strchr(r.err, '\n'), r.err + strlen(r.err) - 1);
	P2PCTL(&r, "provider", "add", "0000:fe:1f.7", "--bar", "2");
	ck_assert_int_eq(r.status, 1);
	ck_assert_ptr_nonnull(strstr(r.err, "no PCI device at this address"));
	/* Bad command lines: exit 2, before asking the kernel. */
	P2PCTL(&r, "provider", "add", "0000:00:04", "--bar", "2");
	ck_assert_int_eq(r.status, 2);
	P2PCTL(&r, "provider", "add", ivshmem, "--bar", "2", "--size", "1X");
	ck_assert_int_eq(r.status, 2);

	P2PCTL(&r, "provider", "del", id);
	ck_assert_int_eq(r.status, 0);
	P2PCTL(&r, "provider", "show", id);
	ck_assert_int_eq(r.status, 1);
	ck_assert_ptr_nonnull(strstr(r.err, "no provider with this id"));
	P2PCTL(&r, "provider", "del", "0");
	ck_assert_int_eq(r.status, 1);
	ck_assert_ptr_nonnull(
		strstr(r.err, "the sysmem provider cannot be removed"));
}
END_TEST

START_TEST(test_p2pctl_unprivileged)
{
	int pipefd[2], status;
	struct run r;
	pid_t pid;

	ck_assert_int_eq(pipe(pipefd), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (!pid) {
		if (setgid(65534) || setuid(65534))
			_exit(2);
		P2PCTL(&r, "provider", "add", ivshmem, "--bar", "2");
		if (write(pipefd[1], &r, sizeof(r)) != sizeof(r))
			_exit(3);
		P2PCTL(&r, "provider", "list", "--json");
		if (write(pipefd[1], &r, sizeof(r)) != sizeof(r))
			_exit(3);
		_exit(0);
	}
	close(pipefd[1]);
	ck_assert_int_eq(read(pipefd[0], &r, sizeof(r)), sizeof(r));
	ck_assert_int_eq(r.status, 5);
	ck_assert_ptr_nonnull(strstr(r.err, "CAP_SYS_ADMIN"));
	ck_assert_int_eq(read(pipefd[0], &r, sizeof(r)), sizeof(r));
	ck_assert_int_eq(r.status, 0);
	ck_assert_ptr_nonnull(strstr(r.out, "\"kind\": \"sysmem\""));
	close(pipefd[0]);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}
END_TEST

/*
 * Revocation through the library and p2pctl: an event monitor, a dma-sgl
 * waiting for revocation, p2pctl list showing the objects with the ids the
 * events carry, and p2pctl provider del --force revoking them.
 */
START_TEST(test_lib_revocation)
{
	struct p2pbuf_provider_info info;
	struct p2pbuf_pci_target edu = { .bus = 0, .devfn = 3 << 3 };
	struct p2pbuf_sgl_info si;
	struct p2pbuf_monitor *mon;
	struct p2pbuf_buffer *buf;
	struct p2pbuf_event ev;
	struct p2pbuf_ctx *ctx;
	struct p2pbuf_sgl *sgl;
	bool saw_sgl_revoke = false, saw_buf_revoke = false;
	char idarg[16], sglid[32], *line;
	struct run r;
	void *p;
	int ret, n = 0;

	ck_assert_int_eq(p2pbuf_monitor_new(&mon), 0);
	ck_assert_int_eq(
		p2pbuf_provider_add(ctl, ivshmem, 2, 0, 0,
				    P2PBUF_NL_PROVIDER_F_HOST_BRIDGE_P2P, &info,
				    sizeof(info)),
		0);
	ck_assert_int_eq(p2pbuf_ctx_new(NULL, &ctx), 0);
	ck_assert_int_eq(p2pbuf_buffer_alloc(ctx, info.id, 1 << 20, 0, &buf),
			 0);
	ck_assert_int_eq(p2pbuf_buffer_mmap(buf, 0, 0, &p), 0);
	ck_assert_int_eq(p2pbuf_map(ctx, (uintptr_t)p, 1 << 20, &edu,
				    P2PBUF_DMA_BIDIRECTIONAL, 0, &sgl),
			 0);
	ck_assert_int_eq(p2pbuf_sgl_wait(sgl, 0), -ETIMEDOUT);

	/* p2pctl list shows both, with their ids. */
	P2PCTL(&r, "list", "--json");
	ck_assert_int_eq(r.status, 0);
	assert_json(r.out);
	snprintf(sglid, sizeof(sglid), "\"target\": \"0000:00:03.0\"");
	ck_assert_msg(strstr(r.out, sglid), "%s", r.out);
	P2PCTL(&r, "list");
	ck_assert_int_eq(r.status, 0);
	ck_assert_msg(strstr(r.out, "test_provider_l") ||
			      strstr(r.out, "test_provider_lib"),
		      "%s", r.out);

	/* buffer show says how the BAR buffer is cached. */
	snprintf(idarg, sizeof(idarg), "%u", p2pbuf_buffer_get_handle(buf));
	P2PCTL(&r, "buffer", "show", idarg, "--json");
	ck_assert_msg(r.status == 0, "%s", r.err);
	assert_json(r.out);
	ck_assert_msg(strstr(r.out, "\"cache_mode\": \"write-combining\""),
		      "%s", r.out);
	ck_assert_msg(strstr(r.out, "\"sgls\": 1"), "%s", r.out);
	P2PCTL(&r, "buffer", "show", idarg);
	ck_assert_int_eq(r.status, 0);
	ck_assert_msg(strstr(r.out, "cpu caching:    write-combining"), "%s",
		      r.out);

	snprintf(idarg, sizeof(idarg), "%u", info.id);
	P2PCTL(&r, "provider", "del", idarg);
	ck_assert_int_ne(r.status, 0);
	P2PCTL(&r, "provider", "del", idarg, "--force");
	ck_assert_msg(r.status == 0, "%s", r.err);

	/* The dma-sgl learns it through its fd... */
	ck_assert_int_eq(p2pbuf_sgl_wait(sgl, 5000), 0);
	ck_assert_int_eq(p2pbuf_sgl_info(sgl, &si, sizeof(si)), 0);
	ck_assert_uint_eq(si.state, P2PBUF_SGL_STATE_REVOKED);
	ck_assert_uint_eq(si.generation, 2);
	/* ...and the monitor sees the revocation with the same ids. */
	while (n++ < 200) {
		ret = p2pbuf_monitor_next(mon, &ev, sizeof(ev));
		if (ret == -EAGAIN) {
			struct pollfd pfd = { .fd = p2pbuf_monitor_get_fd(mon),
					      .events = POLLIN };

			if (poll(&pfd, 1, 2000) != 1)
				break;
			continue;
		}
		ck_assert_int_eq(ret, 0);
		if (ev.type == P2PBUF_EVENT_SGL_REVOKE) {
			ck_assert_uint_eq(ev.reason,
					  P2PBUF_NL_REVOKE_PROVIDER_REMOVED);
			ck_assert_uint_eq(ev.buffer_ids[0],
					  p2pbuf_buffer_get_handle(buf));
			ck_assert_str_eq(ev.device, "0000:00:03.0");
			saw_sgl_revoke = true;
		}
		if (ev.type == P2PBUF_EVENT_BUFFER_REVOKE &&
		    ev.buffer_id == p2pbuf_buffer_get_handle(buf))
			saw_buf_revoke = true;
		if (ev.type == P2PBUF_EVENT_PROVIDER_DEL)
			break;
	}
	ck_assert(saw_buf_revoke);
	ck_assert(saw_sgl_revoke);
	P2PCTL(&r, "list");
	ck_assert_int_eq(r.status, 0);
	line = strstr(r.out, "revoked");
	ck_assert_msg(line, "%s", r.out);
	p2pbuf_sgl_close(sgl);
	ck_assert_int_eq(p2pbuf_buffer_munmap(buf, p, 1 << 20), 0);
	ck_assert_int_eq(p2pbuf_buffer_free(buf), 0);
	p2pbuf_ctx_unref(ctx);
	p2pbuf_monitor_free(mon);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("p2pbuf provider API and p2pctl provider");
	TCase *tc;

	tc = tu_tcase(s, "library", TU_VM_TIMEOUT, setup, teardown);
	tcase_add_test(tc, test_lib_sysmem);
	tcase_add_test(tc, test_lib_add_get_del);
	tcase_add_test(tc, test_lib_errors);
	tcase_add_test(tc, test_lib_unprivileged);
	tcase_add_test(tc, test_lib_list_many);

	tc = tu_tcase(s, "p2pctl", TU_VM_TIMEOUT, setup, teardown);
	tcase_add_test(tc, test_json_checker);
	tcase_add_test(tc, test_p2pctl_provider);
	tcase_add_test(tc, test_p2pctl_unprivileged);
	tcase_add_test(tc, test_lib_revocation);
	return s;
}

int main(void)
{
	return tu_run(suite());
}
