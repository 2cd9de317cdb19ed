/*
 * restore_scan: a streaming scanner for pg_dump's plain format, the part of
 * psql that restoring a dump needs, in flat memory.
 *
 *   struct rscan *s = rscan_new(read_fn, ctx, 64 << 20);
 *   struct rscan_item it;
 *   while (rscan_next(s, &it, &err) == 0 && it.kind != RSCAN_EOF) {
 *       RSCAN_STATEMENT  it.text/it.len: one SQL statement with its ';'
 *                        (leading comments dropped); it.copy = 1 when it is
 *                        "COPY ... FROM stdin": COPY_DATA items follow
 *       RSCAN_COPY_DATA  a piece of the COPY data (any size, rows may be split
 *                        across pieces: feed them to PQputCopyData as they are)
 *       RSCAN_COPY_END   the "\." line was seen
 *       RSCAN_META       a backslash line (it.text without the newline)
 *   }
 *   rscan_free(s);
 *
 * Statements are split like psql does: ';' outside single quotes (with
 * E'' backslash escapes), double quotes, dollar quotes ($$, $tag$), line
 * comments and nested block comments.  A statement longer than the cap
 * (the buffer grows on demand up to it) fails with EXIT_DATAERR naming its
 * first line; COPY data never accumulates, so large rows are not capped.
 * A backslash outside quotes inside a statement, an unterminated quote or
 * statement at the end, or end of input inside COPY data fail with
 * EXIT_DATAERR and the line.  it.line is the 1-based line where the item
 * starts.  Items point into the scanner's buffers and stay valid until the
 * next call.
 */
#ifndef PREDEPLOY_RESTORE_SCAN_H
#define PREDEPLOY_RESTORE_SCAN_H

#include <stddef.h>
#include <sys/types.h>

#include "util/err.h"

/* Fill buf with up to cap bytes; 0 at end of input, -1 with e set. */
typedef ssize_t (*rscan_read_fn)(void *ctx, void *buf, size_t cap, struct err *e);

enum rscan_kind { RSCAN_EOF, RSCAN_STATEMENT, RSCAN_COPY_DATA, RSCAN_COPY_END, RSCAN_META };

struct rscan_item {
	enum rscan_kind kind;
	const char *text;
	size_t len;
	long line;
	int copy;
};

struct rscan;

struct rscan *rscan_new(rscan_read_fn fn, void *ctx, size_t stmt_cap);
int rscan_next(struct rscan *s, struct rscan_item *it, struct err *e);
/* Whether the comment "-- PostgreSQL database dump complete" was seen. */
int rscan_saw_complete(const struct rscan *s);
long rscan_line(const struct rscan *s);
void rscan_free(struct rscan *s);

#endif
