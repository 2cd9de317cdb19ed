/* Unit tests of src/migration.c and src/sqlsplit.c. */
// cases: split_basic split_quotes split_dollar split_atomic split_unterminated split_comments_only version_order dbmate_sections pair_files bad_files
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "unit.h"
#include "migration.h"
#include "sqlsplit.h"
#include "util/exitcode.h"
#include "util/xalloc.h"

static int count(const char *sql, struct sql_stmt **v)
{
	int n = -1;
	struct err e = ERR_INIT;

	if (sql_split(sql, strlen(sql), v, &n, &e) < 0)
		return -1;
	return n;
}

static void split_basic(void)
{
	struct sql_stmt *v;
	const char *sql = "create table a(id int);\n\n  insert into a values (1) ;\nselect 1";

	CHECK_INT(count(sql, &v), 3);
	CHECK_INT(v[0].line, 1);
	CHECK_INT(v[1].line, 3);
	CHECK(!strncmp(sql + v[1].off, "insert into a values (1)", v[1].len));
	CHECK_INT(v[1].len, strlen("insert into a values (1)"));
	CHECK_INT(v[2].line, 4);
	free(v);
}

static void split_quotes(void)
{
	struct sql_stmt *v;

	CHECK_INT(count("select 'a;b''c'; select \"x;y\"; select E'\\';'; select 2", &v), 4);
	free(v);
}

static void split_dollar(void)
{
	struct sql_stmt *v;
	const char *sql = "create function f() returns int as $body$ begin; return 1; end $body$ language plpgsql;\n"
			  "select $1, $$a;b$$;";
	CHECK_INT(count(sql, &v), 2);
	CHECK_INT(v[1].line, 2);
	free(v);
}

static void split_atomic(void)
{
	struct sql_stmt *v;
	const char *sql = "CREATE FUNCTION f(a int) RETURNS int LANGUAGE sql BEGIN ATOMIC\n"
			  " SELECT CASE WHEN a > 0 THEN 1 ELSE 0 END;\n SELECT 2;\nEND;\nselect 3;";
	CHECK_INT(count(sql, &v), 2);
	free(v);
}

static void split_unterminated(void)
{
	struct sql_stmt *v = NULL;
	int n;
	struct err e = ERR_INIT;
	const char *sql = "select 1;\n\ncreate function f() as $$ begin\n";

	CHECK(sql_split(sql, strlen(sql), &v, &n, &e) < 0);
	CHECK_INT(e.code, EXIT_DATAERR);
	CHECK_INT(e.line, 3);
	CHECK(strstr(e.msg, "dollar") != NULL);
	CHECK(sql_split("select 'abc", 11, &v, &n, &e) < 0);
	CHECK(sql_split("select /* /* */", 15, &v, &n, &e) < 0);
}

static void split_comments_only(void)
{
	struct sql_stmt *v = NULL;

	CHECK_INT(count("-- nothing here\n/* nor here */\n;\n", &v), 0);
	free(v);
}

static void version_order(void)
{
	CHECK(version_cmp("9", "10") < 0);
	CHECK(version_cmp("0010", "10") == 0);
	CHECK(version_cmp("20240101000000", "3") > 0);
	CHECK(version_valid("123") && !version_valid("12a") && !version_valid(""));
}

static char dir[64];

static void mk(const char *name, const char *content)
{
	char *p = xasprintf("%s/%s", dir, name);
	FILE *f = fopen(p, "w");
	fputs(content, f);
	fclose(f);
	free(p);
}

static void mkdir_tmp(void)
{
	snprintf(dir, sizeof(dir), "/tmp/predeploy-mig-XXXXXX");
	CHECK(mkdtemp(dir) != NULL);
}

static void dbmate_sections(void)
{
	struct migration m;
	struct err e = ERR_INIT;
	char *p;

	mkdir_tmp();
	mk("001_a.sql", "-- a comment\n-- migrate:up transaction:false\ncreate index concurrently i on t(a);\n"
			"-- migrate:down\ndrop index i;\n");
	p = xasprintf("%s/001_a.sql", dir);
	CHECK(migration_load_file(p, &m, &e) == 0);
	CHECK_STR(m.version, "001");
	CHECK_STR(m.name, "a");
	CHECK(m.up.no_transaction);
	CHECK_INT(m.up.line, 3);
	CHECK_STR(m.up.sql, "create index concurrently i on t(a);\n");
	CHECK_INT(m.down.line, 5);
	CHECK_STR(m.down.sql, "drop index i;\n");
	CHECK(!m.down.no_transaction);
	migration_release(&m);
	free(p);
}

static void pair_files(void)
{
	struct migration_set set = MIGRATION_SET_INIT;
	struct err e = ERR_INIT;

	mkdir_tmp();
	mk("10_b.up.sql", "-- predeploy:no-transaction\ncreate index concurrently x on t(a);\n");
	mk("10_b.down.sql", "drop index x;\n");
	mk("9_a.sql", "-- migrate:up\ncreate table t(a int);\n");
	mk("README.md", "not a migration");
	CHECK(migration_load_dir(dir, &set, &e) == 0);
	CHECK_INT(set.n, 2);
	CHECK_STR(set.v[0].version, "9");
	CHECK_STR(set.v[1].version, "10");
	CHECK(set.v[1].up.no_transaction);
	CHECK(set.v[1].down.present);
	CHECK_INT(migration_find(&set, "0010"), 1);
	migration_set_release(&set);
}

static void bad_files(void)
{
	struct migration_set set = MIGRATION_SET_INIT;
	struct err e = ERR_INIT;

	mkdir_tmp();
	mk("1_a.sql", "create table t(a int);\n-- migrate:up\n");
	CHECK(migration_load_dir(dir, &set, &e) < 0);
	CHECK_INT(e.code, EXIT_DATAERR);
	CHECK_INT(e.line, 1);
	CHECK(strstr(e.file, "1_a.sql") != NULL);

	mkdir_tmp();
	mk("1_a.sql", "");
	CHECK(migration_load_dir(dir, &set, &e) < 0);
	CHECK(strstr(e.msg, "no \"-- migrate:up\"") != NULL);

	mkdir_tmp();
	mk("1_a.sql", "-- migrate:up\nselect 1;\n");
	mk("01_b.sql", "-- migrate:up\nselect 2;\n");
	CHECK(migration_load_dir(dir, &set, &e) < 0);
	CHECK(strstr(e.msg, "duplicate migration version") != NULL);

	mkdir_tmp();
	mk("1_a.sql", "-- migrate:up\nselect '\xff\xfe';\n");
	CHECK(migration_load_dir(dir, &set, &e) < 0);
	CHECK(strstr(e.msg, "UTF-8") != NULL);
	CHECK_INT(e.line, 2);
}

UNIT_CASES(UNIT(split_basic), UNIT(split_quotes), UNIT(split_dollar), UNIT(split_atomic),
	   UNIT(split_unterminated), UNIT(split_comments_only), UNIT(version_order),
	   UNIT(dbmate_sections), UNIT(pair_files), UNIT(bad_files))
