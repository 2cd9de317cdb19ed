/*
 * restore_scan: a streaming scanner for pg_dump's plain format, the part of
 * psql that restoring a dump needs, in flat memory, over the shared lexer
 * (sqllex.h in psql mode), with the guard that decides what a backup may
 * contain.
 *
 *   struct rscan *s = rscan_new(read_fn, ctx, 64 << 20);
 *   struct rscan_item it;
 *   while (rscan_next(s, &it, &err) == 0 && it.kind != RSCAN_EOF) {
 *       RSCAN_STATEMENT  it.text/it.len: one SQL statement, NUL-terminated,
 *                        without its ';' (leading comments dropped);
 *                        it.copy = 1 when it is "COPY ... FROM stdin":
 *                        COPY_DATA items follow
 *       RSCAN_COPY_DATA  a piece of the COPY data (any size, rows may be split
 *                        across pieces: feed them to PQputCopyData as they are)
 *       RSCAN_COPY_END   the "\." line was seen
 *       RSCAN_META       a \restrict or \unrestrict line (it.text without the
 *                        newline)
 *   }
 *   rscan_free(s);
 *
 * The guard (rscan_next fails with EXIT_DATAERR naming the line, before the
 * item is handed out, so a first pass over the whole file refuses it before
 * anything runs) refuses what pg_dump never writes and what could end or
 * change the restore's transaction or reach outside the database:
 *   - transaction control: BEGIN, START TRANSACTION, COMMIT, END, ROLLBACK
 *     (also TO SAVEPOINT and PREPARED), ABORT, SAVEPOINT, RELEASE, PREPARE
 *     TRANSACTION, SET TRANSACTION, SET SESSION CHARACTERISTICS, SET of a
 *     transaction_* setting, SET standard_conforming_strings to anything
 *     but on (the lexer's assumption);
 *   - COPY other than "COPY ... FROM stdin" (TO, FROM PROGRAM, a server file);
 *   - DO, CALL, LOAD, ALTER SYSTEM;
 *   - calls of server file, program, connection or lock functions at the
 *     statement's top level (lo_import, lo_export, pg_read_file and
 *     pg_read_*, pg_ls_*, pg_file_*, pg_stat_file, dblink*, pg_reload_conf,
 *     pg_terminate_backend, pg_cancel_backend, pg_advisory_unlock*, ...);
 *   - every backslash line but \restrict KEY and \unrestrict KEY, and any
 *     backslash line inside a statement.
 * Function bodies are not looked into: they are the database's own code.
 *
 * A statement longer than the cap (the buffer grows on demand up to it)
 * fails with EXIT_DATAERR naming its first line; COPY data never
 * accumulates, so large rows are not capped.  An unterminated quote or
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

/* The guard on one complete statement (see above): 0, or -1 with
 * EXIT_DATAERR and the reason (the caller adds file and line). */
int rscan_check_statement(const char *text, size_t len, struct err *e);

#endif
