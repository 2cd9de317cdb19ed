/*
 * shadow_load: pg_dump's plain output streamed into the shadow database in
 * batches; see shadow.h.
 *
 * The native restore (restore.c) sends one statement per round trip,
 * which is right for a backup file of unknown origin (its guard checks
 * every statement) but costs a round trip per CREATE TABLE, index and
 * constraint: thousands for a real schema, and each round trip waits for a
 * scheduler slot on a loaded machine.  Here the text comes straight from
 * pg_dump's pipe, never from a file: the same lexer (sqllex, psql mode)
 * finds the statements, COPY ... FROM stdin data and backslash lines, and
 * the statements between two COPYs go to the server as one simple Query of
 * many statements (up to SHADOW_BATCH bytes), inside one transaction.
 * Backslash lines other than pg_dump's \restrict / \unrestrict, and COPY
 * forms other than FROM stdin, are refused: pg_dump writes neither.
 */
#include "shadow.h"

#include <stdlib.h>
#include <string.h>

#include "sqllex.h"
#include "util/exitcode.h"
#include "util/strbuf.h"
#include "util/xalloc.h"
#include "util/banned.h"

#define SHADOW_BATCH ((size_t)1 << 20)

struct shadow_load {
	struct db *db;
	struct sqllex lx;
	struct strbuf in;               /* pg_dump's output not yet consumed */
	struct strbuf batch;            /* statements for the next Query */
	int in_copy;
	int64_t statements, copy_bytes, queries;
};

static int flush(struct shadow_load *l, struct err *e)
{
	if (!l->batch.len)
		return 0;
	l->queries++;
	if (db_exec(l->db, l->batch.buf, EXIT_INTERNAL, e) < 0)
		return -1;
	sb_reset(&l->batch);
	return 0;
}

static int copy_begin(struct shadow_load *l, const char *sql, size_t len, struct err *e)
{
	char *text = xstrndup(sql, len);
	PGresult *r;
	int ok;

	if (flush(l, e) < 0) {
		free(text);
		return -1;
	}
	r = PQexec(l->db->conn, text);
	free(text);
	ok = PQresultStatus(r) == PGRES_COPY_IN;
	if (!ok)
		db_error_from_result(r, l->db->conn, EXIT_INTERNAL, e);
	PQclear(r);
	l->in_copy = ok;
	return ok ? 0 : -1;
}

static int copy_end(struct shadow_load *l, struct err *e)
{
	PGresult *r;
	int ret = 0;

	l->in_copy = 0;
	if (PQputCopyEnd(l->db->conn, NULL) != 1)
		return err_set(e, EXIT_INTERNAL, "%s", PQerrorMessage(l->db->conn));
	while ((r = PQgetResult(l->db->conn))) {
		if (PQresultStatus(r) != PGRES_COMMAND_OK && ret == 0) {
			db_error_from_result(r, l->db->conn, EXIT_INTERNAL, e);
			ret = -1;
		}
		PQclear(r);
	}
	return ret;
}

static int meta_allowed(const char *s, size_t n)
{
	return (n >= 9 && !strncmp(s, "\\restrict", 9)) || (n >= 11 && !strncmp(s, "\\unrestrict", 11));
}

static int consume(struct shadow_load *l, int eof, struct err *e)
{
	for (;;) {
		struct sqllex_stmt st;
		int r = sqllex_statement(&l->lx, l->in.buf ? l->in.buf : "", l->in.len, eof, &st, e);
		const char *s = l->in.buf + st.off;

		switch (r) {
		case SQLLEX_STATEMENT:
			l->statements++;
			if (st.copy == SQLLEX_COPY_FROM_STDIN) {
				if (copy_begin(l, s, st.len, e) < 0)
					return -1;
			} else if (st.copy != SQLLEX_COPY_NONE) {
				return err_set(e, EXIT_INTERNAL, "pg_dump's output has a COPY that is not FROM stdin "
					       "(line %ld)", st.line);
			} else {
				sb_add(&l->batch, s, st.len);
				sb_adds(&l->batch, ";\n");
				if (l->batch.len >= SHADOW_BATCH && flush(l, e) < 0)
					return -1;
			}
			break;
		case SQLLEX_META:
			if (!meta_allowed(s, st.len))
				return err_set(e, EXIT_INTERNAL, "pg_dump's output has an unexpected psql command "
					       "(line %ld)", st.line);
			break;
		case SQLLEX_COMMENT:
			break;
		case SQLLEX_COPY_DATA:
			l->copy_bytes += (int64_t)st.len;
			if (PQputCopyData(l->db->conn, s, (int)st.len) != 1)
				return err_set(e, EXIT_INTERNAL, "%s", PQerrorMessage(l->db->conn));
			break;
		case SQLLEX_COPY_END:
			if (copy_end(l, e) < 0)
				return -1;
			break;
		case SQLLEX_MORE: {
			size_t keep = sqllex_keep(&l->lx);

			if (keep) {
				memmove(l->in.buf, l->in.buf + keep, l->in.len - keep);
				sb_setlen(&l->in, l->in.len - keep);
				sqllex_shift(&l->lx, keep);
			}
			return 0;
		}
		case SQLLEX_EOF:
			return flush(l, e);
		default:
			return -1;
		}
	}
}

int shadow_load_begin(struct shadow_load **out, struct db *db, struct err *e)
{
	struct shadow_load *l = xcalloc(1, sizeof(*l));

	l->db = db;
	sqllex_init(&l->lx, SQLLEX_PSQL);
	sb_init(&l->in, 0);
	sb_init(&l->batch, 0);
	*out = l;
	return db_exec(db, "BEGIN", EXIT_INTERNAL, e);
}

int shadow_load_feed(void *arg, const void *buf, size_t n, struct err *e)
{
	struct shadow_load *l = arg;

	sb_add(&l->in, buf, n);
	return consume(l, 0, e);
}

int shadow_load_finish(struct shadow_load *l, int64_t *statements, int64_t *copy_bytes, struct err *e)
{
	if (consume(l, 1, e) < 0)
		return -1;
	if (l->in_copy)
		return err_set(e, EXIT_INTERNAL, "pg_dump's output ended inside COPY data");
	if (db_exec(l->db, "COMMIT", EXIT_INTERNAL, e) < 0)
		return -1;
	*statements = l->statements;
	*copy_bytes = l->copy_bytes;
	return 0;
}

void shadow_load_free(struct shadow_load *l)
{
	if (!l)
		return;
	if (l->in_copy)
		PQputCopyEnd(l->db->conn, "cancelled");
	sqllex_release(&l->lx);
	sb_release(&l->in);
	sb_release(&l->batch);
	free(l);
}
