/* restore_scope: see restore_scope.h. */
#include "restore_scope.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "backup_scope.h"
#include "log.h"
#include "util/exitcode.h"
#include "util/strbuf.h"
#include "util/xalloc.h"
#include "util/banned.h"

/* One part of a name as pg_dump writes it ("x" or "\"X y\""), unquoted,
 * appended to sb; returns the end of the part. */
static const char *name_part(const char *p, struct strbuf *sb)
{
	if (*p != '"') {
		while (*p && *p != '.')
			sb_addc(sb, *p++);
		return p;
	}
	for (p++; *p; p++) {
		if (*p == '"' && p[1] == '"')
			sb_addc(sb, *p++);
		else if (*p == '"')
			return p + 1;
		else
			sb_addc(sb, *p);
	}
	return p;
}

static void quoted_add(struct strbuf *out, const char *s)
{
	for (; *s; s++) {
		if (*s == '"')
			sb_addc(out, '"');
		sb_addc(out, *s);
	}
}

/* "public.small" -> "\"small\"", "app.\"T\"" -> "\"app_T\"" */
static char *side_name(const char *table)
{
	struct strbuf nsp = STRBUF_INIT, rel = STRBUF_INIT, out = STRBUF_INIT;
	const char *p = name_part(table, &nsp);

	if (*p == '.')
		name_part(p + 1, &rel);
	sb_addc(&out, '"');
	if (strcmp(nsp.buf ? nsp.buf : "", "public")) {
		quoted_add(&out, nsp.buf ? nsp.buf : "");
		sb_addc(&out, '_');
	}
	quoted_add(&out, rel.buf ? rel.buf : "");
	sb_addc(&out, '"');
	sb_release(&nsp);
	sb_release(&rel);
	return sb_detach(&out, NULL);
}

int restore_scope_setup(struct config *cfg, const struct restore_source *src, int replace, const char *reset_to,
			struct restore_scope *rs, struct restore_opts *o, struct err *e)
{
	char stamp[32];
	time_t now = time(NULL);
	struct tm tm;
	int i;

	o->whole_rows = !src->at_risk;
	if (!src->at_risk) {
		if (replace)
			return err_set(e, EXIT_USAGE, "--replace is for at-risk backups; \"%s\" is a full backup, which "
				       "replaces the whole database without it", src->path);
		return 0;
	}
	if (reset_to)
		return err_set(e, EXIT_USAGE, "--reset-to cannot be used with an at-risk backup: it restores some "
			       "tables' rows, not the schema version");
	backup_sidecar_scope(src->sidecar, &rs->tables);
	if (!rs->tables.n) {
		err_set(e, EXIT_USAGE, "backup \"%s\" is at-risk and schema only (no pending finding put table data at "
			"risk when it was taken): it holds no rows to restore", src->path);
		err_hint(e, "restore a full backup (`predeploy backups` shows each one's scope)");
		return -1;
	}
	rs->on = 1;
	rs->replace = replace;
	gmtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%d_%H%M%S", &tm);
	snprintf(rs->side, sizeof(rs->side), "predeploy_restore_%s", stamp);
	for (i = 0; i < rs->tables.n; i++) {
		char *n = side_name(rs->tables.v[i]);

		strlist_add(&rs->side_names, n);
		free(n);
	}
	{
		struct strbuf list = STRBUF_INIT;

		for (i = 0; i < rs->tables.n; i++)
			sb_addf(&list, "%s%s", i ? ", " : "", rs->tables.v[i]);
		if (replace)
			log_info("\"%s\" is an at-risk backup: it holds the schema and the rows of %s only. --replace: in "
				 "one transaction those tables are emptied (TRUNCATE, refused if another table's "
				 "foreign key points at them) and get the backup's rows; nothing else is touched",
				 src->path, list.buf);
		else
			log_info("\"%s\" is an at-risk backup: it holds the schema and the rows of %s only. They are "
				 "restored into the new schema %s, next to the live tables, which are not touched "
				 "(no safety backup is needed); --replace puts the rows back in place instead",
				 src->path, list.buf, rs->side);
		sb_release(&list);
	}
	rs->saved_no_backup = cfg->no_backup;
	if (!replace)
		cfg->no_backup = 1;
	o->scope = rs;
	return 0;
}

void restore_scope_release(struct config *cfg, struct restore_scope *rs)
{
	if (rs->on)
		cfg->no_backup = rs->saved_no_backup;
	strlist_clear(&rs->tables);
	strlist_clear(&rs->side_names);
	memset(rs, 0, sizeof(*rs));
}

char *restore_scope_begin_sql(const struct restore_scope *rs)
{
	struct strbuf sb = STRBUF_INIT;
	int i;

	if (!rs->replace) {
		sb_addf(&sb, "CREATE SCHEMA %s", rs->side);
		return sb_detach(&sb, NULL);
	}
	sb_adds(&sb, "TRUNCATE ONLY ");
	for (i = 0; i < rs->tables.n; i++)
		sb_addf(&sb, "%s%s", i ? ", " : "", rs->tables.v[i]);
	sb_adds(&sb, " RESTRICT");
	return sb_detach(&sb, NULL);
}

void restore_scope_begin_failed(const struct restore_scope *rs, struct err *e)
{
	if (!rs->replace) {
		err_prefix(e, "could not create the schema %s for the at-risk restore", rs->side);
		return;
	}
	err_prefix(e, "could not empty the at-risk tables for --replace");
	err_hint(e, "revert the migration first (the tables must exist with the backup's columns); when other "
		 "tables' foreign keys point at them, restore without --replace into the side schema and copy "
		 "the rows back with UPDATE ... FROM (docs/backups.md)");
}

/* Which listed table the text at p names (followed by a space), -1: none. */
static int table_at(const struct restore_scope *rs, const char *p, const char *end)
{
	int i;

	for (i = 0; i < rs->tables.n; i++) {
		size_t n = strlen(rs->tables.v[i]);

		if ((size_t)(end - p) > n && !strncmp(p, rs->tables.v[i], n) && (p[n] == ' ' || p[n] == '\n'))
			return i;
	}
	return -1;
}

/* After "CREATE TABLE name ": the column list "( ... )", quotes respected;
 * its length, or 0 when there is none. */
static size_t column_list(const char *p, const char *end)
{
	const char *s = p;
	int depth = 0;
	char q = 0;

	if (s >= end || *s != '(')
		return 0;
	for (; s < end; s++) {
		if (q) {
			if (*s == q)
				q = 0;
		} else if (*s == '\'' || *s == '"') {
			q = *s;
		} else if (*s == '(') {
			depth++;
		} else if (*s == ')' && --depth == 0) {
			return (size_t)(s - p + 1);
		}
	}
	return 0;
}

int restore_scope_statement(struct restore_scope *rs, const char *text, size_t len, char **out)
{
	const char *end = text + len, *p = NULL;
	int i, copy = 0;

	*out = NULL;
	if ((len > 4 && !strncasecmp(text, "SET ", 4)) ||
	    (len > 29 && !strncasecmp(text, "SELECT pg_catalog.set_config(", 29)))
		return 0;
	if (len > 13 && !strncmp(text, "CREATE TABLE ", 13))
		p = text + 13;
	else if (len > 22 && !strncmp(text, "CREATE UNLOGGED TABLE ", 22))
		p = text + 22;
	else if (len > 5 && !strncmp(text, "COPY ", 5))
		p = text + 5, copy = 1;
	if (!p || (i = table_at(rs, p, end)) < 0)
		return 1;
	p += strlen(rs->tables.v[i]);
	while (p < end && (*p == ' ' || *p == '\n'))
		p++;
	if (copy) {
		rs->copied++;
		if (!rs->replace)
			*out = xasprintf("COPY %s.%s %.*s", rs->side, rs->side_names.v[i], (int)(end - p), p);
		return 0;
	}
	if (rs->replace || !column_list(p, end))
		return 1;
	*out = xasprintf("CREATE TABLE %s.%s %.*s", rs->side, rs->side_names.v[i], (int)column_list(p, end), p);
	return 0;
}

int restore_scope_end(const struct restore_scope *rs, const char *path, struct err *e)
{
	if (rs->copied >= rs->tables.n)
		return 0;
	return err_set(e, EXIT_DATAERR, "\"%s\" holds the rows of %d of the %d tables its sidecar lists; nothing "
		       "was restored", path, rs->copied, rs->tables.n);
}

void restore_scope_tally(const char *text, size_t len, int *tables, int *copies)
{
	if (len > 13 && !strncmp(text, "CREATE TABLE ", 13) && !strstr(text, "\nPARTITION BY "))
		(*tables)++;
	else if (len > 5 && !strncmp(text, "COPY ", 5))
		(*copies)++;
}

int restore_scope_check_whole(int tables, int copies, const char *path, struct err *e)
{
	if (copies >= tables)
		return 0;
	err_set(e, EXIT_DATAERR, "\"%s\" creates %d tables but holds the rows of only %d: restoring it over the "
		"whole database would leave the others empty; nothing was executed", path, tables, copies);
	err_hint(e, "an at-risk backup (docs/backups.md \"Scope\") is restored by its scope, which its sidecar "
		 "records: put the .json it came with beside the file");
	return -1;
}

void restore_say_done(const struct restore_scope *rs, const char *path, const char *dbname,
		      const struct restore_result *res, const char *version)
{
	if (!rs || !rs->on) {
		log_info("restored \"%s\" into database \"%s\": %lld statements, %.1f MB of COPY data in %.1fs; "
			 "schema version now %s", path, dbname, (long long)res->statements,
			 (double)res->copy_bytes / 1e6, (double)res->duration_ms / 1000.0, version);
	} else if (rs->replace) {
		log_info("replaced the rows of %d table%s of database \"%s\" with those of \"%s\" (%.1f MB of COPY "
			 "data in %.1fs); nothing else was changed", rs->tables.n, rs->tables.n == 1 ? "" : "s", dbname,
			 path, (double)res->copy_bytes / 1e6, (double)res->duration_ms / 1000.0);
	} else {
		log_info("restored the rows of %d table%s of \"%s\" into schema %s of database \"%s\" (%.1f MB of "
			 "COPY data in %.1fs); the live tables are unchanged: copy what was lost back with UPDATE ... "
			 "FROM %s.%s (docs/backups.md), then DROP SCHEMA %s CASCADE", rs->tables.n,
			 rs->tables.n == 1 ? "" : "s", path, rs->side, dbname, (double)res->copy_bytes / 1e6,
			 (double)res->duration_ms / 1000.0, rs->side, rs->side_names.v[0], rs->side);
	}
}
