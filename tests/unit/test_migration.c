/* Unit tests of src/migration.c and src/sqlsplit.c. */
// cases: split_basic split_quotes split_dollar split_atomic split_unterminated split_comments_only version_order dbmate_sections pair_files bad_files loader_steps
#include <dirent.h>
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

/* Remove the current temporary directory and its files. */
static void rm_tmp(void)
{
	DIR *d;
	struct dirent *de;

	if (!dir[0] || !(d = opendir(dir)))
		return;
	while ((de = readdir(d))) {
		char *p;
		if (de->d_name[0] == '.')
			continue;
		p = xasprintf("%s/%s", dir, de->d_name);
		unlink(p);
		free(p);
	}
	closedir(d);
	rmdir(dir);
	dir[0] = '\0';
}

static void mkdir_tmp(void)
{
	static int registered;

	rm_tmp();
	if (!registered++)
		atexit(rm_tmp);
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

/* The incremental loader: one file per step, then sorted; an error
 * releases what was loaded. */
static void loader_steps(void)
{
	struct migration_loader l;
	struct migration_set set = MIGRATION_SET_INIT;
	struct err e = ERR_INIT;
	int steps = 0, rc;

	mkdir_tmp();
	mk("3_c.sql", "-- migrate:up\nselect 3;\n");
	mk("1_a.sql", "-- migrate:up\nselect 1;\n");
	mk("2_b.sql", "-- migrate:up\nselect 2;\n");
	mk("notes.txt", "not a migration");
	CHECK(migration_loader_open(&l, dir, &e) == 0);
	CHECK(migration_loader_step(&l, &e) == 1);
	steps = 1;
	while ((rc = migration_loader_step(&l, &e)) > 0)
		steps++;
	CHECK_INT(rc, 0);
	CHECK_INT(steps, 3);
	CHECK(migration_loader_step(&l, &e) == 0);
	CHECK(migration_loader_finish(&l, &set, &e) == 0);
	migration_loader_release(&l);
	CHECK_INT(set.n, 3);
	CHECK_STR(set.v[0].version, "1");
	CHECK_STR(set.v[2].version, "3");
	migration_set_release(&set);

	/* finish loads whatever steps did not */
	CHECK(migration_loader_open(&l, dir, &e) == 0);
	CHECK(migration_loader_finish(&l, &set, &e) == 0);
	migration_loader_release(&l);
	CHECK_INT(set.n, 3);
	migration_set_release(&set);

	/* a bad file: step fails with file and line, and the loader is empty */
	mk("4_d.sql", "-- migrate:up\nselect '\xff';\n");
	CHECK(migration_loader_open(&l, dir, &e) == 0);
	while ((rc = migration_loader_step(&l, &e)) > 0)
		;
	CHECK_INT(rc, -1);
	CHECK_INT(e.code, EXIT_DATAERR);
	CHECK(strstr(e.file, "4_d.sql") != NULL);
	CHECK_INT(l.n, 0);
	migration_loader_release(&l);

	/* no directory: EXIT_CONFIG before anything */
	CHECK(migration_loader_open(&l, "/nonexistent/predeploy-migrations", &e) < 0);
	CHECK_INT(e.code, EXIT_CONFIG);
}

UNIT_CASES(UNIT(split_basic), UNIT(split_quotes), UNIT(split_dollar), UNIT(split_atomic),
	   UNIT(split_unterminated), UNIT(split_comments_only), UNIT(version_order),
	   UNIT(dbmate_sections), UNIT(pair_files), UNIT(bad_files), UNIT(loader_steps))
