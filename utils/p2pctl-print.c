// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * p2pctl's print layer (see p2pctl-print.h): one view, two outputs.
 */
#include "config.h"

#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "p2pctl-cli.h"
#include "p2pctl-print.h"

void p2pctl_json_string(FILE *out, const char *s)
{
	const unsigned char *c;

	fputc('"', out);
	for (c = (const unsigned char *)s; *c; c++) {
		switch (*c) {
		case '"':
			fputs("\\\"", out);
			break;
		case '\\':
			fputs("\\\\", out);
			break;
		case '\n':
			fputs("\\n", out);
			break;
		case '\t':
			fputs("\\t", out);
			break;
		default:
			/* Bytes that are not printable ASCII: always valid JSON. */
			if (*c < 0x20 || *c >= 0x7f)
				fprintf(out, "\\u%04x", *c);
			else
				fputc(*c, out);
		}
	}
	fputc('"', out);
}

void pr_init(struct pr *pr, FILE *out, bool json, bool bytes)
{
	memset(pr, 0, sizeof(*pr));
	pr->out = out;
	pr->json = json;
	pr->bytes = bytes;
}

int pr_end(struct pr *pr)
{
	assert(pr->depth == 0);
	return pr->err;
}

static struct pr_level *innermost(struct pr *pr)
{
	return pr->depth ? &pr->level[pr->depth - 1] : NULL;
}

static bool is_array(enum pr_kind kind)
{
	return kind == PR_TABLE || kind == PR_LIST;
}

/* JSON: what comes before a member of the innermost container. */
static void json_member(struct pr *pr, const char *key)
{
	struct pr_level *l = innermost(pr);

	if (!l)
		return;
	if (l->members++)
		fputc(',', pr->out);
	if (!l->one_line)
		fprintf(pr->out, "\n%*s", 2 * pr->depth, "");
	else if (l->members > 1)
		fputc(' ', pr->out);
	/* Members of objects are named, elements of arrays are not. */
	assert(!key == is_array(l->kind));
	if (key) {
		p2pctl_json_string(pr->out, key);
		fputs(": ", pr->out);
	}
}

/* Text: the cell of the current row of a table under the column of key. */
static void table_cell(struct pr *pr, const char *key, const char *v)
{
	struct pr_level *t = &pr->level[pr->depth - 2];
	char **cell;
	int c;

	for (c = 0; c < t->ncols; c++)
		if (key && !strcmp(t->cols[c].key, key))
			break;
	if (c == t->ncols)
		return;
	cell = &t->cells[(t->nrows - 1) * t->ncols + c];
	free(*cell);
	*cell = strdup(v);
	if (!*cell)
		pr->err = -ENOMEM;
}

static void text_value(struct pr *pr, const char *key, const char *label,
		       const char *v)
{
	struct pr_level *l = innermost(pr);
	int n;

	if (!l || l->silent)
		return;
	switch (l->kind) {
	case PR_FIELDS:
		assert(label);
		n = fprintf(pr->out, "%s:", label);
		fprintf(pr->out, "%*s%s\n", n < l->width ? l->width - n : 1, "",
			v);
		break;
	case PR_WORDS:
		if (l->members++)
			fputc(' ', pr->out);
		if (label)
			fprintf(pr->out, "%s=", label);
		fputs(v, pr->out);
		break;
	case PR_ROW:
		table_cell(pr, key, v);
		break;
	default:
		/* A scalar directly in a table or list has no text form. */
		break;
	}
}

/*
 * One value: its text form, and its JSON form, a literal (a number, true,
 * null) or a string to quote.
 */
static void value(struct pr *pr, enum pr_to to, const char *key,
		  const char *label, const char *text, const char *json,
		  bool quote)
{
	if (pr->json) {
		if (!(to & PR_JSON))
			return;
		json_member(pr, key);
		if (quote)
			p2pctl_json_string(pr->out, json);
		else
			fputs(json, pr->out);
	} else if (to & PR_TEXT) {
		text_value(pr, key, label, text);
	}
}

static struct pr_level *push(struct pr *pr, const char *key, enum pr_kind kind,
			     bool one_line)
{
	struct pr_level *parent = innermost(pr), *l;

	assert(pr->depth < PR_MAX_DEPTH);
	if (pr->json) {
		json_member(pr, key);
		fputc(is_array(kind) ? '[' : '{', pr->out);
	}
	l = &pr->level[pr->depth++];
	memset(l, 0, sizeof(*l));
	l->kind = kind;
	l->one_line = one_line || (parent && parent->one_line);
	l->silent = kind == PR_LIST || (parent && parent->silent);
	return l;
}

void pr_open_fields(struct pr *pr, const char *key, int label_width)
{
	push(pr, key, PR_FIELDS, false)->width = label_width;
}

void pr_open_words(struct pr *pr, const char *key)
{
	push(pr, key, PR_WORDS, true);
}

void pr_open_table(struct pr *pr, const char *key, const struct pr_column *cols,
		   int ncols, int indent)
{
	struct pr_level *t = push(pr, key, PR_TABLE, false);

	t->cols = cols;
	t->ncols = ncols;
	t->indent = indent;
}

void pr_open_row(struct pr *pr)
{
	struct pr_level *t = innermost(pr), *row;
	size_t i;

	assert(t && t->kind == PR_TABLE);
	row = push(pr, NULL, PR_ROW, true);
	if (pr->json || row->silent)
		return;
	if (t->nrows == t->cap) {
		size_t cap = t->cap ? 2 * t->cap : 16;
		char **cells =
			realloc(t->cells, cap * t->ncols * sizeof(*cells));

		if (!cells) {
			/* Dropped, and said by pr_end(). */
			pr->err = -ENOMEM;
			row->silent = true;
			return;
		}
		t->cells = cells;
		t->cap = cap;
	}
	for (i = 0; i < (size_t)t->ncols; i++)
		t->cells[t->nrows * t->ncols + i] = NULL;
	t->nrows++;
}

void pr_open_list(struct pr *pr, const char *key)
{
	push(pr, key, PR_LIST, true);
}

static void table_print(struct pr *pr, const struct pr_level *t)
{
	int *width, c, w;
	size_t r;

	/* As many columns as the view declared (p2pctl topo: one a device). */
	width = calloc(t->ncols ? t->ncols : 1, sizeof(*width));
	if (!width) {
		pr->err = -ENOMEM;
		return;
	}
	for (c = 0; c < t->ncols; c++) {
		width[c] = strlen(t->cols[c].head);
		if (width[c] < t->cols[c].min_width)
			width[c] = t->cols[c].min_width;
		for (r = 0; r < t->nrows; r++) {
			const char *cell = t->cells[r * t->ncols + c];

			w = cell ? (int)strlen(cell) : 1;
			if (w > width[c])
				width[c] = w;
		}
	}
	/* The heading is row -1; the last column is not padded. */
	for (r = 0; r <= t->nrows; r++) {
		fprintf(pr->out, "%*s", t->indent, "");
		for (c = 0; c < t->ncols; c++) {
			const char *cell =
				!r ? t->cols[c].head :
				     t->cells[(r - 1) * t->ncols + c];

			if (!cell)
				cell = "-";
			if (c == t->ncols - 1)
				fprintf(pr->out, "%s\n", cell);
			else
				fprintf(pr->out, "%-*s  ", width[c], cell);
		}
	}
	free(width);
}

void pr_close(struct pr *pr)
{
	struct pr_level *l = innermost(pr);
	size_t i;

	assert(l);
	if (pr->json) {
		if (!l->one_line && l->members)
			fprintf(pr->out, "\n%*s", 2 * (pr->depth - 1), "");
		fputc(is_array(l->kind) ? ']' : '}', pr->out);
		if (pr->depth == 1)
			fputc('\n', pr->out);
	} else if (!l->silent && l->kind == PR_WORDS) {
		fputc('\n', pr->out);
	} else if (!l->silent && l->kind == PR_TABLE) {
		table_print(pr, l);
	}
	if (l->kind == PR_TABLE) {
		for (i = 0; i < l->nrows * l->ncols; i++)
			free(l->cells[i]);
		free(l->cells);
	}
	pr->depth--;
}

void pr_string(struct pr *pr, enum pr_to to, const char *key, const char *label,
	       const char *s)
{
	value(pr, to, key, label, s, s, true);
}

void pr_u32(struct pr *pr, enum pr_to to, const char *key, const char *label,
	    uint32_t v)
{
	char buf[16];

	snprintf(buf, sizeof(buf), "%" PRIu32, v);
	value(pr, to, key, label, buf, buf, false);
}

void pr_s32(struct pr *pr, enum pr_to to, const char *key, const char *label,
	    int32_t v)
{
	char buf[16];

	snprintf(buf, sizeof(buf), "%" PRId32, v);
	value(pr, to, key, label, buf, buf, false);
}

void pr_u64(struct pr *pr, enum pr_to to, const char *key, const char *label,
	    uint64_t v)
{
	char buf[24];

	snprintf(buf, sizeof(buf), "%" PRIu64, v);
	value(pr, to, key, label, buf, buf, false);
}

void pr_size(struct pr *pr, enum pr_to to, const char *key, const char *label,
	     uint64_t bytes)
{
	char num[24], human[P2PCTL_SIZE_STRLEN];

	snprintf(num, sizeof(num), "%" PRIu64, bytes);
	p2pctl_format_size(bytes, human);
	value(pr, to, key, label, pr->bytes ? num : human, num, false);
}

void pr_bool(struct pr *pr, enum pr_to to, const char *key, const char *label,
	     bool v)
{
	value(pr, to, key, label, v ? "yes" : "no", v ? "true" : "false",
	      false);
}

void pr_null(struct pr *pr, enum pr_to to, const char *key, const char *label)
{
	value(pr, to, key, label, "-", "null", false);
}

void pr_text(struct pr *pr, const char *s)
{
	if (!pr->json)
		fputs(s, pr->out);
}
