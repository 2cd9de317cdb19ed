/* restore_scan: see restore_scan.h. */
#include "restore_scan.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sqllex.h"
#include "util/exitcode.h"
#include "util/strbuf.h"
#include "util/xalloc.h"
#include "util/banned.h"

#define IN_CAP (256 * 1024)
#define COMPLETE_COMMENT "-- PostgreSQL database dump complete"

struct rscan {
	rscan_read_fn fn;
	void *ctx;
	size_t cap;             /* statement cap */
	char *buf;
	size_t len, alloc, max;
	int eof;
	struct sqllex lx;
	struct strbuf stmt;     /* the NUL-terminated statement handed out */
	int saw_complete;
};

struct rscan *rscan_new(rscan_read_fn fn, void *ctx, size_t stmt_cap)
{
	struct rscan *s = xcalloc(1, sizeof(*s));

	s->fn = fn;
	s->ctx = ctx;
	s->cap = stmt_cap;
	s->alloc = IN_CAP;
	s->max = stmt_cap + IN_CAP;
	s->buf = xmalloc(s->alloc);
	sqllex_init(&s->lx, SQLLEX_PSQL);
	sb_init(&s->stmt, 4096);
	return s;
}

void rscan_free(struct rscan *s)
{
	if (!s)
		return;
	free(s->buf);
	sqllex_release(&s->lx);
	sb_release(&s->stmt);
	free(s);
}

int rscan_saw_complete(const struct rscan *s)
{
	return s->saw_complete;
}

long rscan_line(const struct rscan *s)
{
	return s->lx.line;
}

static int too_long(const struct rscan *s, long line, struct err *e)
{
	if (s->cap >= ((size_t)1 << 20))
		err_set(e, EXIT_DATAERR, "the statement starting at line %ld is longer than %zu MiB", line,
			s->cap >> 20);
	else
		err_set(e, EXIT_DATAERR, "the statement starting at line %ld is longer than %zu bytes", line, s->cap);
	e->line = (int)line;
	return -1;
}

/* Drop what the lexer no longer needs, then read more (growing the buffer
 * up to the cap when the statement in progress fills it). */
static int refill(struct rscan *s, struct err *e)
{
	size_t keep = sqllex_keep(&s->lx);
	ssize_t n;

	if (keep) {
		memmove(s->buf, s->buf + keep, s->len - keep);
		s->len -= keep;
		sqllex_shift(&s->lx, keep);
	}
	if (s->len == s->alloc) {
		if (s->alloc >= s->max)
			return too_long(s, s->lx.in_stmt ? s->lx.sline : s->lx.tline, e);
		s->alloc = s->alloc * 2 < s->max ? s->alloc * 2 : s->max;
		s->buf = xrealloc(s->buf, s->alloc);
	}
	n = s->fn(s->ctx, s->buf + s->len, s->alloc - s->len, e);
	if (n < 0)
		return -1;
	if (n == 0)
		s->eof = 1;
	s->len += (size_t)n;
	return 0;
}

static int truncated(struct err *e, long line, const char *why)
{
	err_set(e, EXIT_DATAERR, "the input ends inside the statement starting at line %ld (the file is "
		"truncated)%s%s", line, why ? ": " : "", why ? why : "");
	e->line = (int)line;
	return -1;
}

/* ---- the guard ---- */

static int word_in(const char *w, const char *const *list)
{
	for (; *list; list++)
		if (!strcmp(w, *list))
			return 1;
	return 0;
}

static int refuse(struct err *e, long line, const char *what, const char *why)
{
	err_set(e, EXIT_DATAERR, "restore refuses %s at line %ld: %s", what, line, why);
	e->line = (int)line;
	err_hint(e, "pg_dump never writes this; the file was edited or is not a pg_dump plain-format dump");
	return -1;
}

static const char *const TX_WORDS[] = {
	"begin", "commit", "end", "rollback", "abort", "savepoint", "release", NULL,
};

/* Functions that reach server files, programs, other connections or
 * session state outside the transaction (exact names, then prefixes). */
static const char *const BAD_CALLS[] = {
	"lo_import", "lo_export", "pg_stat_file", "pg_reload_conf", "pg_rotate_logfile", "pg_terminate_backend",
	"pg_cancel_backend", "pg_promote", "pg_switch_wal", "pg_create_restore_point", "pg_backup_start",
	"pg_backup_stop", "pg_start_backup", "pg_stop_backup", "pg_logdir_ls", "pg_current_logfile",
	"pg_logical_emit_message", "pg_create_physical_replication_slot", "pg_create_logical_replication_slot",
	"pg_drop_replication_slot", "pg_copy_physical_replication_slot", "pg_copy_logical_replication_slot",
	NULL,
};
static const char *const BAD_PREFIXES[] = {
	"pg_read_", "pg_ls_", "pg_file_", "dblink", "pg_advisory_unlock", "pg_replication_origin_", NULL,
};

static int bad_call(const char *name)
{
	const char *const *p;

	if (word_in(name, BAD_CALLS))
		return 1;
	for (p = BAD_PREFIXES; *p; p++)
		if (!strncmp(name, *p, strlen(*p)))
			return 1;
	return 0;
}

/* The name a token spells (a word lower-cased, a quoted identifier as is). */
static void tok_name(const char *text, const struct sqltok *t, char *out, size_t cap)
{
	size_t i, n = 0;

	out[0] = '\0';
	if (t->kind == SQLTOK_WORD) {
		for (i = 0; i < t->len && n + 1 < cap; i++) {
			char c = text[t->off + i];

			out[n++] = c >= 'A' && c <= 'Z' ? (char)(c + 32) : c;
		}
	} else if (t->kind == SQLTOK_QIDENT) {
		for (i = 1; i + 1 < t->len && n + 1 < cap; i++) {
			out[n++] = text[t->off + i];
			if (text[t->off + i] == '"')
				i++;
		}
	}
	out[n] = '\0';
}

/* Calls of BAD_CALLS (unqualified or pg_catalog-qualified: pg_dump
 * qualifies every other schema's function, so "public.dblink_x(" is the
 * database's own) when `calls`, and the value of a
 * SET standard_conforming_strings when `set_scs`. */
static int check_tokens(const char *text, size_t len, long line, int calls, int set_scs, struct err *e)
{
	struct sqllex lx;
	struct sqltok t, prev[3];
	char name[128];
	int r, ret = 0, after_name = 0;

	memset(prev, 0, sizeof(prev));
	sqllex_init(&lx, 0);
	while ((r = sqllex_token(&lx, text, len, 1, &t, e)) == SQLLEX_TOKEN) {
		if (t.kind == SQLTOK_SPACE || t.kind == SQLTOK_COMMENT)
			continue;
		if (calls && t.kind == SQLTOK_PUNCT && text[t.off] == '(' &&
		    (prev[0].kind == SQLTOK_WORD || prev[0].kind == SQLTOK_QIDENT)) {
			int other_schema = 0;

			if (prev[1].kind == SQLTOK_PUNCT && text[prev[1].off] == '.') {
				tok_name(text, &prev[2], name, sizeof(name));
				other_schema = strcmp(name, "pg_catalog") != 0;
			}
			tok_name(text, &prev[0], name, sizeof(name));
			if (!other_schema && bad_call(name)) {
				char what[160];

				snprintf(what, sizeof(what), "a call of %s()", name);
				ret = refuse(e, line + t.line - 1, what, "it reads or writes server files, runs programs or "
					     "acts outside the restore's transaction");
				break;
			}
		}
		if (set_scs) {
			/* SET [SESSION|LOCAL] standard_conforming_strings {=|TO} value */
			tok_name(text, &t, name, sizeof(name));
			if (!strcmp(name, "standard_conforming_strings")) {
				after_name = 1;
			} else if (after_name && !(t.kind == SQLTOK_OP && t.len == 1 && text[t.off] == '=') &&
				   strcmp(name, "to")) {
				if (strcmp(name, "on") && !(t.kind == SQLTOK_STRING && t.len == 4 &&
							    !strncmp(text + t.off, "'on'", 4))) {
					ret = refuse(e, line + t.line - 1, "SET standard_conforming_strings other than on",
						     "statements after it would be split differently than the server reads them");
					break;
				}
				after_name = 0;
			}
		}
		prev[2] = prev[1];
		prev[1] = prev[0];
		prev[0] = t;
	}
	sqllex_release(&lx);
	return r < 0 ? -1 : ret;
}

/* Statements that only define or name objects: the functions they mention
 * run later, as the database's own code (like function bodies). */
static int defines_only(const char *w0, const char *w1, const char *w2)
{
	static const char *const kinds[] = {
		"view", "function", "procedure", "aggregate", "trigger", "rule", "policy", "event", "constraint",
		"operator", "cast", NULL,
	};

	if (!strcmp(w0, "comment") || !strcmp(w0, "grant") || !strcmp(w0, "revoke") || !strcmp(w0, "drop") ||
	    !strcmp(w0, "security"))
		return 1;
	if (strcmp(w0, "create") && strcmp(w0, "alter"))
		return 0;
	return (!strcmp(w1, "or") && !strcmp(w2, "replace")) || word_in(w1, kinds);
}

static int guard(const char *text, size_t len, const struct sqllex_stmt *st, long line, struct err *e)
{
	const char *w0 = st->words[0], *w1 = st->words[1], *w2 = st->words[2];
	const char *setting = !strcmp(w1, "session") || !strcmp(w1, "local") ? w2 : w1;
	char what[96];

	snprintf(what, sizeof(what), "\"%s%s%s\"", w0, *w1 ? " " : "", w1);
	if (word_in(w0, TX_WORDS) || (!strcmp(w0, "start") && !strcmp(w1, "transaction")) ||
	    (!strcmp(w0, "prepare") && !strcmp(w1, "transaction")) ||
	    (!strcmp(w0, "set") && (!strcmp(setting, "transaction") || !strncmp(setting, "transaction_", 12) ||
				    (!strcmp(w1, "session") && !strcmp(w2, "characteristics")))))
		return refuse(e, line, what, "transaction control would end or change the transaction the restore runs "
			      "in, so a failure could no longer be rolled back");
	if (!strcmp(w0, "copy") && st->copy != SQLLEX_COPY_FROM_STDIN)
		return refuse(e, line, "a COPY other than COPY ... FROM stdin",
			      "COPY TO, FROM PROGRAM and server files run programs or touch files outside the database");
	if (!strcmp(w0, "do") || !strcmp(w0, "call") || !strcmp(w0, "load") ||
	    (!strcmp(w0, "alter") && !strcmp(w1, "system")))
		return refuse(e, line, what, "it runs code or changes the server outside the dump's objects");
	return check_tokens(text, len, line, !defines_only(w0, w1, w2),
			    !strcmp(w0, "set") && !strcmp(setting, "standard_conforming_strings"), e);
}

int rscan_check_statement(const char *text, size_t len, struct err *e)
{
	struct sqllex lx;
	struct sqllex_stmt st;
	int r;

	sqllex_init(&lx, 0);
	while ((r = sqllex_statement(&lx, text, len, 1, &st, e)) == SQLLEX_STATEMENT)
		if (guard(text + st.off, st.len, &st, st.line, e) < 0) {
			r = -1;
			break;
		}
	sqllex_release(&lx);
	return r < 0 ? -1 : 0;
}

static int meta_ok(const char *t, size_t n)
{
	return (n > 10 && !memcmp(t, "\\restrict ", 10)) || (n > 12 && !memcmp(t, "\\unrestrict ", 12));
}

/* ---- items ---- */

int rscan_next(struct rscan *s, struct rscan_item *it, struct err *e)
{
	struct sqllex_stmt st;

	memset(it, 0, sizeof(*it));
	for (;;) {
		int r = sqllex_statement(&s->lx, s->buf, s->len, s->eof, &st, e);

		switch (r) {
		case SQLLEX_MORE:
			if (refill(s, e) < 0)
				return -1;
			continue;
		case SQLLEX_EOF:
			it->kind = RSCAN_EOF;
			it->line = s->lx.line;
			return 0;
		case SQLLEX_COMMENT: {
			size_t n = st.len;

			while (n && s->buf[st.off + n - 1] == '\r')
				n--;
			if (n == strlen(COMPLETE_COMMENT) && !memcmp(s->buf + st.off, COMPLETE_COMMENT, n))
				s->saw_complete = 1;
			continue;
		}
		case SQLLEX_META: {
			const char *t = s->buf + st.off;
			size_t n = st.len, w;
			char name[32];

			while (n && t[n - 1] == '\r')
				n--;
			if (st.inside) {
				err_set(e, EXIT_DATAERR, "unexpected backslash command inside the statement starting at "
					"line %ld (line %ld)", s->lx.sline, st.line);
				e->line = (int)st.line;
				return -1;
			}
			if (!meta_ok(t, n)) {
				for (w = 0; w < n && w + 1 < sizeof(name) && t[w] != ' ' && t[w] != '\t'; w++)
					name[w] = t[w];
				name[w] = '\0';
				err_set(e, EXIT_DATAERR, "unsupported backslash command \"%s\" at line %ld", name, st.line);
				err_hint(e, "restore executes pg_dump's plain format: SQL, COPY data, \\restrict and "
					 "\\unrestrict");
				e->line = (int)st.line;
				return -1;
			}
			it->kind = RSCAN_META;
			it->text = t;
			it->len = n;
			it->line = st.line;
			return 0;
		}
		case SQLLEX_STATEMENT:
			if (!st.terminated)
				return truncated(e, st.line, NULL);
			if (st.len > s->cap)
				return too_long(s, st.line, e);
			if (guard(s->buf + st.off, st.len, &st, st.line, e) < 0)
				return -1;
			sb_reset(&s->stmt);
			sb_add(&s->stmt, s->buf + st.off, st.len);
			it->kind = RSCAN_STATEMENT;
			it->text = s->stmt.buf;
			it->len = s->stmt.len;
			it->line = st.line;
			it->copy = st.copy == SQLLEX_COPY_FROM_STDIN;
			return 0;
		case SQLLEX_COPY_DATA:
			it->kind = RSCAN_COPY_DATA;
			it->text = s->buf + st.off;
			it->len = st.len;
			it->line = st.line;
			return 0;
		case SQLLEX_COPY_END:
			it->kind = RSCAN_COPY_END;
			it->line = st.line;
			return 0;
		default:
			if (s->eof && e->code == EXIT_DATAERR && !s->lx.copy) {
				char msg[sizeof(e->msg)];

				xstrlcpy(msg, e->msg, sizeof(msg));
				return truncated(e, s->lx.in_stmt ? s->lx.sline : s->lx.tline, msg);
			}
			if (e->code == EXIT_DATAERR && s->lx.copy && s->eof) {
				char msg[sizeof(e->msg)];

				xstrlcpy(msg, e->msg, sizeof(msg));
				err_set(e, EXIT_DATAERR, "%s (the file is truncated)", msg);
				e->line = (int)s->lx.line;
			}
			return -1;
		}
	}
}
