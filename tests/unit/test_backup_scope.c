/* Unit tests of src/backup_scope (which findings put data at risk, reuse
 * coverage from a sidecar) and src/restore_scope (the dump statements an
 * at-risk restore keeps, skips and rewrites into the side schema). */
// cases: risk_rules covers_from_sidecar side_schema_rewrites replace_keeps_copy_only
#include <stdlib.h>
#include <string.h>

#include "unit.h"
#include "backup_scope.h"
#include "restore_scope.h"
#include "util/xalloc.h"

static void risk_rules(void)
{
	struct backup_risk r = BACKUP_RISK_INIT;

	CHECK_INT(backup_rule_loses_data("drop_column"), 1);
	CHECK_INT(backup_rule_loses_data("update_without_where"), 1);
	CHECK_INT(backup_rule_loses_data("drop_schema"), 2);
	CHECK_INT(backup_rule_loses_data("rename_column"), 0);
	CHECK_INT(backup_rule_loses_data("create_index_nonconcurrent"), 0);
	backup_risk_add(&r, "drop_column", "small");
	backup_risk_add(&r, "truncate", "small");
	backup_risk_add(&r, "change_column_type", "app.t");
	backup_risk_add(&r, "add_required_column", "big");
	CHECK_INT(r.tables.n, 2);
	CHECK_STR(r.tables.v[1], "app.t");
	CHECK_STR(r.unknown, "");
	backup_risk_add(&r, "dynamic_sql", NULL);
	CHECK(strstr(r.unknown, "dynamic_sql") != NULL);
	backup_risk_release(&r);
}

static void covers_from_sidecar(void)
{
	struct backup_scope want = BACKUP_SCOPE_INIT;
	const char *full = "{\"scope\": \"full\", \"scope_tables\": []}";
	const char *old = "{\"format\": 1}";
	const char *two = "{\"scope\": \"at-risk\", \"scope_tables\": [\"public.a\", \"\\\"X\\\".b\"]}";
	struct strlist t = { 0 };

	CHECK_INT(backup_scope_covers(full, NULL), 1);
	CHECK_INT(backup_scope_covers(old, NULL), 1);
	CHECK_INT(backup_scope_covers(two, NULL), 0);           /* full wanted */
	want.at_risk = 1;
	CHECK_INT(backup_scope_covers(two, &want), 1);          /* schema only wanted */
	strlist_add(&want.tables, "\"X\".b");
	CHECK_INT(backup_scope_covers(two, &want), 1);
	strlist_add(&want.tables, "public.c");
	CHECK_INT(backup_scope_covers(two, &want), 0);
	CHECK_INT(backup_sidecar_scope(two, &t), 1);
	CHECK_INT(t.n, 2);
	CHECK_STR(t.v[1], "\"X\".b");
	strlist_clear(&t);
	backup_scope_release(&want);
}

static int stmt(struct restore_scope *rs, const char *sql, char **out)
{
	return restore_scope_statement(rs, sql, strlen(sql), out);
}

static void setup(struct restore_scope *rs, int replace)
{
	struct config cfg;
	struct restore_source *src = xcalloc(1, sizeof(*src));
	struct restore_opts o;
	struct err e = ERR_INIT;

	memset(&cfg, 0, sizeof(cfg));
	memset(&o, 0, sizeof(o));
	src->at_risk = 1;
	strcpy(src->path, "b.sql.gz");
	strcpy(src->sidecar, "{\"scope\": \"at-risk\", \"scope_tables\": [\"public.small\", \"\\\"App\\\".\\\"Log \\\"\\\"x\\\"\\\"\\\"\"]}");
	CHECK_INT(restore_scope_setup(&cfg, src, replace, NULL, rs, &o, &e), 0);
	CHECK(o.scope == rs);
	CHECK_INT(cfg.no_backup, !replace);
	free(src);
}

static void side_schema_rewrites(void)
{
	struct restore_scope rs = RESTORE_SCOPE_INIT;
	char *out = NULL, *want;

	setup(&rs, 0);
	CHECK_STR(rs.side_names.v[1], "\"App_Log \"\"x\"\"\"");
	CHECK_INT(stmt(&rs, "SET client_encoding = 'UTF8'", &out), 0);
	CHECK(out == NULL);
	CHECK_INT(stmt(&rs, "CREATE TABLE public.big (\n    id integer\n)", &out), 1);
	CHECK_INT(stmt(&rs, "CREATE TABLE public.smaller (\n    id integer\n)", &out), 1);
	CHECK_INT(stmt(&rs, "ALTER TABLE public.small OWNER TO app", &out), 1);
	CHECK_INT(stmt(&rs, "CREATE TABLE public.small (\n    id integer,\n    note text DEFAULT ')',\n"
		       "    CONSTRAINT c CHECK ((id > 0))\n)\nPARTITION BY RANGE (id)", &out), 0);
	want = xasprintf("CREATE TABLE %s.\"small\" (\n    id integer,\n    note text DEFAULT ')',\n"
			 "    CONSTRAINT c CHECK ((id > 0))\n)", rs.side);
	CHECK_STR(out, want);
	free(out);
	free(want);
	CHECK_INT(stmt(&rs, "COPY \"App\".\"Log \"\"x\"\"\" (id, line) FROM stdin", &out), 0);
	want = xasprintf("COPY %s.\"App_Log \"\"x\"\"\" (id, line) FROM stdin", rs.side);
	CHECK_STR(out, want);
	free(out);
	free(want);
	CHECK_INT(stmt(&rs, "COPY public.big (id) FROM stdin", &out), 1);
	CHECK_INT(rs.copied, 1);
	out = restore_scope_begin_sql(&rs);
	CHECK(!strncmp(out, "CREATE SCHEMA predeploy_restore_", 32));
	free(out);
	{
		struct err e = ERR_INIT;

		CHECK_INT(restore_scope_end(&rs, "b.sql.gz", &e), -1);
		CHECK(strstr(e.msg, "1 of the 2 tables") != NULL);
	}
	restore_scope_release(&(struct config){ 0 }, &rs);
}

static void replace_keeps_copy_only(void)
{
	struct restore_scope rs = RESTORE_SCOPE_INIT;
	char *out = NULL;

	setup(&rs, 1);
	CHECK_INT(stmt(&rs, "CREATE TABLE public.small (\n    id integer\n)", &out), 1);
	CHECK_INT(stmt(&rs, "COPY public.small (id) FROM stdin", &out), 0);
	CHECK(out == NULL);
	out = restore_scope_begin_sql(&rs);
	CHECK_STR(out, "TRUNCATE ONLY public.small, \"App\".\"Log \"\"x\"\"\" RESTRICT");
	free(out);
	restore_scope_release(&(struct config){ 0 }, &rs);
}

UNIT_CASES(UNIT(risk_rules), UNIT(covers_from_sidecar), UNIT(side_schema_rewrites), UNIT(replace_keeps_copy_only))
