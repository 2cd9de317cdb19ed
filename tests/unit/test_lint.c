/* Unit tests of src/lint: driver, annotations, exemptions, stats, reports. */
// cases: positions annotations_scope fk_index_later stats_escalate protect_force json_github depth_limit type_memory gate_syntax batch_exempt types_resolved
#include <stdlib.h>

#include "unit.h"
#include "lint/lint.h"
#include "util/strbuf.h"

static struct lint_report run(const char *sql, const struct lint_opts *o)
{
	struct lint_report r = LINT_REPORT_INIT;
	struct err e = ERR_INIT;
	struct lint_opts none = { 0 };

	CHECK_INT(lint_sql(sql, strlen(sql), "m.sql", 10, 0, o ? o : &none, &r, &e), 0);
	return r;
}

static int count_rule(const struct lint_report *r, const char *rule)
{
	int i, n = 0;

	for (i = 0; i < r->n; i++)
		n += !strcmp(r->v[i].rule, rule);
	return n;
}

static void positions(void)
{
	struct lint_report r = run("set lock_timeout = '1s';\n\n  alter table users\n    drop column email;", NULL);

	CHECK_INT(r.n, 1);
	CHECK_STR(r.v[0].rule, "drop_column");
	CHECK_INT(r.v[0].line, 12);     /* section starts at line 10 */
	CHECK_INT(r.v[0].col, 3);
	CHECK_STR(r.v[0].table, "users");
	CHECK(strstr(r.v[0].message, "\"users.email\"") != NULL);
	CHECK_INT(lint_report_blocked(&r), 1);
	lint_report_release(&r);
	lint_report_release(&r);        /* safe twice */
}

static void annotations_scope(void)
{
	struct lint_report r = run("set lock_timeout = '1s';\n"
				   "-- predeploy:allow drop_table, truncate  reason here\n"
				   "drop table a;\ntruncate b;\ndrop table c;", NULL);

	CHECK_INT(r.n, 3);
	CHECK(r.v[0].acknowledged && !r.v[0].blocking);
	CHECK(!r.v[1].acknowledged && r.v[1].blocking);   /* next statement only */
	CHECK(!r.v[2].acknowledged);
	lint_report_release(&r);
	/* section-wide: at the top, then a blank line */
	r = run("-- predeploy:allow drop_table,truncate\n\nset lock_timeout = '1s';\ndrop table a;\ntruncate b;", NULL);
	CHECK_INT(r.n, 2);
	CHECK_INT(lint_report_blocked(&r), 0);
	lint_report_release(&r);
}

static void fk_index_later(void)
{
	struct lint_report r = run("create table c (id bigint primary key, p bigint references p(id), q bigint references q(id));\n"
				   "create index c_p on c (p, id);", NULL);

	CHECK_INT(count_rule(&r, "fk_without_index"), 1);    /* q only */
	CHECK(strstr(r.v[0].message, "\"c.q\"") != NULL);
	lint_report_release(&r);
}

static void stats_escalate(void)
{
	struct lint_opts o = { 0 };
	struct lint_table_stats st[] = { { "users", 5000000, 123456789 } };
	struct lint_report r = run("set lock_timeout = 1000;\ncreate index i on users (name);\ncreate index j on small (x);", NULL);
	struct strlist names = { 0 };

	lint_report_tables(&r, &names);
	CHECK_INT(names.n, 2);
	strlist_clear(&names);
	CHECK_INT(lint_report_blocked(&r), 0);
	o.large_table = 1000000;
	lint_report_apply_stats(&r, &o, st, 1);
	CHECK_INT(r.v[0].severity, LINT_ERROR);
	CHECK(r.v[0].escalated && r.v[0].blocking);
	CHECK_INT(r.v[0].rows, 5000000);
	CHECK_INT(r.v[1].severity, LINT_WARNING);
	CHECK_INT(r.v[1].rows, -1);
	CHECK_INT(lint_report_blocked(&r), 1);
	lint_report_release(&r);
}

static void protect_force(void)
{
	struct strlist prot = { 0 }, allow = { 0 };
	struct lint_opts o = { 0 };
	struct lint_report r;

	strlist_add(&prot, "app.users");
	strlist_add(&allow, "drop_table");
	o.protect = &prot;
	o.allow = &allow;
	r = run("set lock_timeout = '1s'; drop table app.users; drop table other.users; drop table t;", &o);
	CHECK_INT(r.n, 3);
	CHECK(r.v[0].protected_table && r.v[0].blocking && r.v[0].acknowledged);
	CHECK(!r.v[1].protected_table && !r.v[1].blocking);
	CHECK(!r.v[2].protected_table && !r.v[2].blocking);
	lint_report_release(&r);
	o.force = 1;
	r = run("drop table app.users;", &o);
	CHECK_INT(lint_report_blocked(&r), 0);
	CHECK_INT(lint_report_forced(&r), 1);
	lint_report_release(&r);
	strlist_clear(&prot);
	strlist_clear(&allow);
}

static void json_github(void)
{
	struct lint_report r = run("set lock_timeout = '1s';\ndelete from \"we,ird:\";", NULL);
	struct strbuf sb = STRBUF_INIT;

	lint_report_json(&r, &sb);
	CHECK(sb.buf[0] == '[' && sb.buf[sb.len - 1] == ']');
	CHECK(strstr(sb.buf, "\"rule\":\"delete_without_where\"") != NULL);
	CHECK(strstr(sb.buf, "\"table\":\"we,ird:\"") != NULL);
	CHECK(strstr(sb.buf, "\"rows\":null") != NULL);
	sb_reset(&sb);
	lint_report_github(&r, &sb);
	CHECK(!strncmp(sb.buf, "::error file=m.sql,line=11,col=1,title=predeploy delete_without_where::", 70));
	CHECK(strchr(sb.buf, '\n') == sb.buf + sb.len - 1);   /* one line */
	sb_release(&sb);
	lint_report_release(&r);
	r = run("", NULL);
	lint_report_json(&r, &sb);
	CHECK_STR(sb.buf, "[]");
	sb_release(&sb);
	lint_report_release(&r);
}

static void depth_limit(void)
{
	struct strbuf sb = STRBUF_INIT;
	struct lint_report r;
	int i;

	sb_adds(&sb, "select ");
	for (i = 0; i < 990; i++)
		sb_adds(&sb, "(select ");
	sb_adds(&sb, "1");
	for (i = 0; i < 990; i++)
		sb_adds(&sb, ")");
	r = run(sb.buf, NULL);
	CHECK_INT(r.n, 0);               /* deep but within the limit: parsed */
	lint_report_release(&r);
	sb_reset(&sb);
	sb_adds(&sb, "select 1");
	for (i = 0; i < 2000; i++)
		sb_adds(&sb, " || 'x'");
	sb_adds(&sb, ";\nselect 'a' in ('");
	for (i = 0; i < 5000; i++)
		sb_adds(&sb, "((((");     /* inside a string: not nesting */
	sb_adds(&sb, "');");
	r = run(sb.buf, NULL);
	CHECK_INT(r.n, 1);
	CHECK_STR(r.v[0].rule, "statement_too_complex");
	CHECK_INT(r.v[0].line, 10);
	lint_report_release(&r);
	sb_release(&sb);
}

static void type_memory(void)
{
	struct lint_report r = LINT_REPORT_INIT;
	struct err e = ERR_INIT;
	struct lint_opts o = { 0 };
	const char *m1 = "create table n (id bigint primary key, a varchar(10), b numeric(10,2), c int);";
	const char *m2 = "set lock_timeout = '1s';\nalter table n alter column a type varchar(20);\n"
			 "alter table n alter column b type numeric(12,2);\nalter table n alter column c type bigint;\n"
			 "alter table n alter column a type varchar(5);\nalter table n alter column b type text using b::text;";

	CHECK_INT(lint_sql(m1, strlen(m1), "1.sql", 1, 0, &o, &r, &e), 0);
	CHECK_INT(lint_sql(m2, strlen(m2), "2.sql", 1, 0, &o, &r, &e), 0);
	CHECK_INT(count_rule(&r, "change_column_type"), 3);   /* c, a narrowed, b with USING */
	lint_report_release(&r);
}

static void gate_syntax(void)
{
	struct lint_opts o = { 0 };
	struct lint_report r;

	o.server_judges_syntax = 1;
	r = run("alter table t add column x int4 nonsense;", &o);
	CHECK_INT(r.n, 1);
	CHECK_STR(r.v[0].rule, "syntax_error");
	CHECK_INT(lint_report_blocked(&r), 0);
	lint_report_release(&r);
	o.server_judges_syntax = 0;
	r = run("-- predeploy:allow syntax_error\nselec 1;", &o);
	CHECK_INT(count_rule(&r, "unknown_rule"), 1);   /* syntax errors cannot be acknowledged */
	CHECK_INT(lint_report_blocked(&r), 1);
	lint_report_release(&r);
}

static void batch_exempt(void)
{
	struct lint_report r = LINT_REPORT_INIT;
	struct err e = ERR_INIT;
	struct lint_opts o = { 0 };
	struct lint_table_stats absent[] = { { "old", 10, 8192 } }, present[] = { { "n2", 0, 8192 } };
	const char *m1 = "create table n (id bigint primary key, note text);";
	const char *m2 = "set lock_timeout = '1s';\nalter table n rename to n2;\nalter table n2 drop column note;\n"
			 "drop table old;\ncreate index on n2 (id);";

	CHECK_INT(lint_sql(m1, strlen(m1), "1.sql", 1, 0, &o, &r, &e), 0);
	CHECK_INT(lint_sql(m2, strlen(m2), "2.sql", 1, 0, &o, &r, &e), 0);
	CHECK_INT(r.n, 4);              /* without a catalog: nothing is exempt */
	CHECK(r.v[0].batch_new && r.v[1].batch_new && !r.v[2].batch_new && r.v[3].batch_new);
	lint_report_apply_stats(&r, &o, absent, 1);
	CHECK_INT(r.n, 1);              /* n, n2 do not exist: the run creates them */
	CHECK_STR(r.v[0].rule, "drop_table");
	CHECK_INT(r.v[0].rows, 10);
	lint_report_release(&r);
	/* the database has the table: not exempt */
	CHECK_INT(lint_sql(m1, strlen(m1), "1.sql", 1, 0, &o, &r, &e), 0);
	CHECK_INT(lint_sql(m2, strlen(m2), "2.sql", 1, 0, &o, &r, &e), 0);
	lint_report_apply_stats(&r, &o, present, 1);
	CHECK_INT(count_rule(&r, "drop_column"), 1);
	CHECK_INT(count_rule(&r, "rename_table"), 0);   /* n is still absent */
	lint_report_release(&r);
}

static void types_resolved(void)
{
	struct lint_report r = run("alter table t alter column a type varchar(40);\n"
				   "alter table t alter column b type varchar(5);\nalter table t alter column c type text;", NULL);
	struct strlist tables = { 0 }, columns = { 0 };
	const char *types[] = { "varchar(20)", "varchar(10)", NULL };
	struct lint_opts o = { 0 };
	int i;

	CHECK_INT(count_rule(&r, "change_column_type_unverified"), 3);
	CHECK_INT(lint_report_blocked(&r), 0);
	lint_report_columns(&r, &tables, &columns);
	CHECK_INT(tables.n, 3);
	CHECK_STR(columns.v[1], "b");
	lint_report_apply_types(&r, &o, &tables, &columns, types);
	CHECK_INT(count_rule(&r, "change_column_type"), 1);      /* b shrinks */
	CHECK_INT(count_rule(&r, "change_column_type_unverified"), 1);   /* c: no such column */
	for (i = 0; i < r.n && strcmp(r.v[i].rule, "change_column_type"); i++)
		;
	CHECK(i < r.n && strstr(r.v[i].message, "\"t.b\" (varchar(10) to varchar(5))") != NULL);
	CHECK_INT(lint_report_blocked(&r), 1);
	strlist_clear(&tables);
	strlist_clear(&columns);
	lint_report_release(&r);
}

UNIT_CASES(UNIT(positions), UNIT(annotations_scope), UNIT(fk_index_later), UNIT(stats_escalate),
	   UNIT(protect_force), UNIT(json_github), UNIT(depth_limit), UNIT(type_memory), UNIT(gate_syntax),
	   UNIT(batch_exempt), UNIT(types_resolved))
