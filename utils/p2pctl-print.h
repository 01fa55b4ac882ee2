/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * p2pctl's print layer: a view (what one command shows) is written once,
 * as a sequence of pr_*() calls, and comes out either as text (tables,
 * "label: value" lines, "key=value" words) or as JSON.
 *
 * In the manner of iproute2's json_print.h: every value is printed with
 * one call that names its JSON key and its text label, and says where it
 * goes: PR_ANY (both outputs, the usual case), PR_JSON or PR_TEXT (only
 * where the two forms of a view really differ, such as a null in JSON
 * shown as a sentence in text).  Containers decide the layout:
 *
 *   pr_open_fields()  JSON: an object, one member a line.
 *                     text: "label:  value" lines, the values aligned.
 *   pr_open_words()   JSON: an object on one line.
 *                     text: "value label=value ..." on one line.
 *   pr_open_table()   JSON: an array, one element a line.
 *                     text: a table with a heading; its columns are
 *                     declared once, and pr_open_row() objects fill them
 *                     by JSON key (a cell nobody fills is "-"; a value
 *                     with no column is not shown in text).
 *   pr_open_list()    JSON: an array on one line (of scalars).
 *                     text: nothing; a view says it in its own words.
 *
 * Anything inside a one-line container is on that line too.  Every text
 * value has one spelling: numbers in decimal, sizes human-readable (in
 * bytes with --bytes; always bytes in JSON), booleans "yes"/"no", null
 * "-".  Output errors are the stream's; pr_end() reports what the layer
 * itself could not do (memory for a table).
 */
#ifndef P2PCTL_PRINT_H
#define P2PCTL_PRINT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

/* Where a value goes. */
enum pr_to {
	PR_TEXT = 1,
	PR_JSON = 2,
	PR_ANY = PR_TEXT | PR_JSON,
};

/*
 * A column of a text table (any number of them): the member of each row
 * with this key, under the heading head.
 */
struct pr_column {
	const char *key;
	const char *head;
	int min_width; /* 0, or the least width of the column */
};

#define PR_MAX_DEPTH 6

enum pr_kind { PR_FIELDS, PR_WORDS, PR_TABLE, PR_ROW, PR_LIST };

struct pr_level {
	enum pr_kind kind;
	bool one_line; /* JSON on one line */
	bool silent; /* text: shows nothing (a list, or inside one) */
	int members; /* written so far */
	int width; /* PR_FIELDS: of "label:" and its padding */
	/* PR_TABLE: the columns and the text cells, nrows * ncols */
	const struct pr_column *cols;
	int ncols, indent;
	char **cells;
	size_t nrows, cap;
};

/* One output of a view; on the stack, set up by pr_init(). */
struct pr {
	FILE *out;
	bool json; /* JSON, else text */
	bool bytes; /* text: sizes in bytes, not human-readable */
	int err; /* 0, or -ENOMEM once a table cell could not be kept */
	int depth;
	struct pr_level level[PR_MAX_DEPTH];
};

void pr_init(struct pr *pr, FILE *out, bool json, bool bytes);
/* After the outermost pr_close(): 0, or -ENOMEM (the output is cut). */
int pr_end(struct pr *pr);

/* Containers; key names a member of an object, NULL elsewhere. */
void pr_open_fields(struct pr *pr, const char *key, int label_width);
void pr_open_words(struct pr *pr, const char *key);
void pr_open_table(struct pr *pr, const char *key, const struct pr_column *cols,
		   int ncols, int indent);
void pr_open_row(struct pr *pr);
void pr_open_list(struct pr *pr, const char *key);
void pr_close(struct pr *pr);

/*
 * Values: key is the JSON member name (NULL in a list), label the text
 * one (NULL in words: the value alone; unused in a table row, whose cell
 * is found by key).
 */
void pr_string(struct pr *pr, enum pr_to to, const char *key, const char *label,
	       const char *s);
void pr_u32(struct pr *pr, enum pr_to to, const char *key, const char *label,
	    uint32_t v);
void pr_s32(struct pr *pr, enum pr_to to, const char *key, const char *label,
	    int32_t v);
void pr_u64(struct pr *pr, enum pr_to to, const char *key, const char *label,
	    uint64_t v);
/* A number of bytes: human-readable in text unless pr->bytes. */
void pr_size(struct pr *pr, enum pr_to to, const char *key, const char *label,
	     uint64_t bytes);
void pr_bool(struct pr *pr, enum pr_to to, const char *key, const char *label,
	     bool v);
/* JSON null; "-" in text. */
void pr_null(struct pr *pr, enum pr_to to, const char *key, const char *label);

/* Text only, as it is (a blank line between two tables, say). */
void pr_text(struct pr *pr, const char *s);

#endif /* P2PCTL_PRINT_H */
