/* Unit tests of src/restore_scan: statements, quotes, COPY data, backslash
 * lines, truncation and caps, fed in chunks of every size. */
// cases: guard_refuses comment_ends_at_cr psql_agreement statements_and_comments quotes_and_dollars copy_blocks meta_lines truncated statement_cap chunk_sizes big_copy_row
#include <stdlib.h>

#include "unit.h"
#include "restore_scan.h"
#include "util/exitcode.h"
#include "util/strbuf.h"

struct feed {
	const char *data;
	size_t len, pos, chunk;
};

static ssize_t feed_read(void *ctx, void *buf, size_t cap, struct err *e)
{
	struct feed *f = ctx;
	size_t n = f->len - f->pos;

	(void)e;
	if (n > cap)
		n = cap;
	if (n > f->chunk)
		n = f->chunk;
	memcpy(buf, f->data + f->pos, n);
	f->pos += n;
	return (ssize_t)n;
}

/* Scan everything into a transcript: "S<line>:<text>|", "D:<data>|" (data of
 * one COPY joined), "E|", "M<line>:<text>|"; returns 0 or -1 with e. */
static int scan(const char *in, size_t chunk, size_t cap, struct strbuf *out, struct err *e)
{
	struct feed f = { in, strlen(in), 0, chunk };
	struct rscan *s = rscan_new(feed_read, &f, cap);
	struct rscan_item it;
	int ret = -1, in_data = 0;

	while (rscan_next(s, &it, e) == 0) {
		if (it.kind == RSCAN_EOF) {
			ret = 0;
			break;
		}
		if (it.kind == RSCAN_COPY_DATA) {
			if (!in_data)
				sb_adds(out, "D:");
			in_data = 1;
			sb_add(out, it.text, it.len);
			continue;
		}
		if (in_data)
			sb_adds(out, "|");
		in_data = 0;
		if (it.kind == RSCAN_STATEMENT)
			sb_addf(out, "S%ld%s:", it.line, it.copy ? "c" : "");
		else if (it.kind == RSCAN_META)
			sb_addf(out, "M%ld:", it.line);
		else if (it.kind == RSCAN_COPY_END)
			sb_adds(out, "E");
		sb_add(out, it.text, it.len);
		sb_adds(out, "|");
	}
	rscan_free(s);
	return ret;
}

static void expect_scan(const char *in, const char *want)
{
	size_t chunks[] = { 1, 2, 3, 7, 64, 1 << 20 };
	size_t i;

	for (i = 0; i < sizeof(chunks) / sizeof(chunks[0]); i++) {
		struct strbuf out = STRBUF_INIT;
		struct err e = ERR_INIT;

		CHECK(scan(in, chunks[i], 1 << 20, &out, &e) == 0);
		if (strcmp(out.buf, want))
			fprintf(stderr, "chunk %zu: %s (%s)\n", chunks[i], out.buf, e.msg);
		CHECK_STR(out.buf, want);
		sb_release(&out);
	}
}

static int expect_fail(const char *in, int code, const char *needle)
{
	struct strbuf out = STRBUF_INIT;
	struct err e = ERR_INIT;
	int r = scan(in, 5, 1 << 20, &out, &e);

	CHECK(r < 0);
	CHECK_INT(e.code, code);
	if (!strstr(e.msg, needle))
		fprintf(stderr, "message: %s\n", e.msg);
	CHECK(strstr(e.msg, needle) != NULL);
	sb_release(&out);
	return r;
}

/* What a backup may not contain, each refused with its line. */
static void guard_refuses(void)
{
	static const char *const bad[] = {
		"COMMIT", "commit work", "END", "ROLLBACK", "rollback to savepoint a", "ABORT", "BEGIN",
		"begin transaction isolation level serializable", "START TRANSACTION", "SAVEPOINT a",
		"RELEASE SAVEPOINT a", "release a", "SET TRANSACTION READ ONLY", "set local transaction read only",
		"SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY", "set transaction_read_only = on",
		"PREPARE TRANSACTION 'x'", "COMMIT PREPARED 'x'", "ROLLBACK PREPARED 'x'",
		"COPY t FROM PROGRAM 'touch /tmp/x'", "copy t to program 'x'", "COPY t FROM '/etc/passwd'",
		"COPY (select 1) TO '/tmp/x'", "copy t to stdout", "SELECT lo_import('/etc/passwd')",
		"select pg_catalog.lo_export(1, '/tmp/x')", "SELECT pg_read_file('x')", "select pg_read_binary_file('x')",
		"select * from pg_ls_dir('.')", "select \"pg_read_file\"('x')", "SELECT dblink_exec('x', 'y')",
		"select pg_advisory_unlock_all()", "select pg_terminate_backend(1)", "DO $$ begin null; end $$",
		"CALL p()", "LOAD 'x'", "ALTER SYSTEM SET work_mem = '1MB'", "SET standard_conforming_strings = off",
		"set standard_conforming_strings to 'off'",
		"create table t (a text default pg_catalog.pg_read_file('/etc/passwd'))",
		"CREATE MATERIALIZED VIEW m AS SELECT pg_read_file('/etc/passwd') WITH DATA",
		"ALTER TABLE t ADD CONSTRAINT c CHECK (pg_catalog.lo_import('/x') > 0)",
	};
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct strbuf in = STRBUF_INIT, out = STRBUF_INIT;
		struct err e = ERR_INIT;

		sb_addf(&in, "SET a = 1;\n\n%s;\nselect 1;\n", bad[i]);
		if (scan(in.buf, 7, 1 << 20, &out, &e) == 0 || e.line != 3 || !strstr(e.msg, "refuses"))
			fprintf(stderr, "not refused at line 3: %s (%d: %s)\n", bad[i], e.line, e.msg);
		CHECK(e.code == EXIT_DATAERR && e.line == 3 && strstr(e.msg, "refuses"));
		CHECK(rscan_check_statement(bad[i], strlen(bad[i]), &e) < 0);
		sb_release(&in);
		sb_release(&out);
	}
	/* what pg_dump writes passes */
	expect_scan("SET standard_conforming_strings = on;\nSELECT pg_catalog.set_config('search_path', '', false);\n"
		    "SELECT pg_catalog.setval('public.s', 1, true);\nSET default_transaction_read_only = off;\n"
		    "CREATE FUNCTION public.f() RETURNS void LANGUAGE plpgsql AS $$begin commit; end$$;\n",
		    "S1:SET standard_conforming_strings = on|S2:SELECT pg_catalog.set_config('search_path', '', false)|"
		    "S3:SELECT pg_catalog.setval('public.s', 1, true)|S4:SET default_transaction_read_only = off|"
		    "S5:CREATE FUNCTION public.f() RETURNS void LANGUAGE plpgsql AS $$begin commit; end$$|");
	/* definitions that name such functions run nothing now; other schemas' functions are the database's own */
	expect_scan("CREATE VIEW public.wal AS\n SELECT pg_ls_waldir() AS w;\n"
		    "CREATE FUNCTION public.dblink_helper(a integer) RETURNS integer LANGUAGE sql AS $$select a$$;\n"
		    "DROP FUNCTION IF EXISTS public.pg_read_x(integer);\nSELECT public.lo_import_wrapper(1);\n"
		    "COMMENT ON FUNCTION public.dblink_helper(integer) IS 'x';\n",
		    "S1:CREATE VIEW public.wal AS\n SELECT pg_ls_waldir() AS w|"
		    "S3:CREATE FUNCTION public.dblink_helper(a integer) RETURNS integer LANGUAGE sql AS $$select a$$|"
		    "S4:DROP FUNCTION IF EXISTS public.pg_read_x(integer)|S5:SELECT public.lo_import_wrapper(1)|"
		    "S6:COMMENT ON FUNCTION public.dblink_helper(integer) IS 'x'|");
	expect_fail("select 1;\n\\connect other\n", EXIT_DATAERR, "\"\\connect\"");
	expect_fail("select 1;\n\\! touch /tmp/x\n", EXIT_DATAERR, "\"\\!\"");
}

/* A "--" comment ends at a lone \r too, as in the server's scanner. When it
 * ran on to the next \n, "; COMMIT;" below was comment text to us, the
 * statement went on to "select 2;", and the server, given all of it as one
 * query, would have run the COMMIT: now it is a statement of its own, and
 * refused. Found by tests/fuzz/fuzz_split_diff. */
static void comment_ends_at_cr(void)
{
	expect_fail("select 1 -- x\r; COMMIT;\nselect 2;\n", EXIT_DATAERR, "refuses");
	expect_scan("select 1 -- x\r; select 2;\n", "S1:select 1 -- x|S1:select 2|");
}

/* Where psql and the old scanners disagreed: one statement each. */
static void psql_agreement(void)
{
	struct strbuf in = STRBUF_INIT, want = STRBUF_INIT;
	int i;

	expect_scan("CREATE FUNCTION public.f(a integer) RETURNS integer\n    LANGUAGE sql\n    BEGIN ATOMIC\n"
		    " SELECT CASE WHEN (a > 0) THEN 1 ELSE 0 END AS \"case\";\n SELECT 2;\nEND;\nselect 3;\n",
		    "S1:CREATE FUNCTION public.f(a integer) RETURNS integer\n    LANGUAGE sql\n    BEGIN ATOMIC\n"
		    " SELECT CASE WHEN (a > 0) THEN 1 ELSE 0 END AS \"case\";\n SELECT 2;\nEND|S7:select 3|");
	expect_scan("CREATE OR REPLACE PROCEDURE p() LANGUAGE sql BEGIN ATOMIC insert into t values (1); END;\n",
		    "S1:CREATE OR REPLACE PROCEDURE p() LANGUAGE sql BEGIN ATOMIC insert into t values (1); END|");
	expect_scan("select \"\"$$;$$;\nselect 2;\n", "S1:select \"\"$$;$$|S2:select 2|");
	expect_scan("select a$$;\n", "S1:select a$$|");
	expect_scan("select (1;2);\n", "S1:select (1;2)|");
	expect_scan("select 1 /* a /* nested; */ still; */;\n", "S1:select 1 /* a /* nested; */ still; */|");
	/* a dollar-quote tag of 200 bytes */
	sb_adds(&want, "$");
	for (i = 0; i < 200; i++)
		sb_addc(&want, 'a' + i % 26);
	sb_adds(&want, "$");
	sb_addf(&in, "select %s x; $b$; %s;\n", want.buf, want.buf);
	sb_reset(&want);
	sb_addf(&want, "S1:%.*s|", (int)(in.len - 2), in.buf);
	expect_scan(in.buf, want.buf);
	/* a trailing '/' or '-' is a statement without ';' */
	expect_fail("select 1;\n/", EXIT_DATAERR, "ends inside the statement starting at line 2");
	expect_fail("select 1;\n-", EXIT_DATAERR, "ends inside the statement starting at line 2");
	sb_release(&in);
	sb_release(&want);
}

static void statements_and_comments(void)
{
	expect_scan("--\n-- head\n--\nSET a = 0;\nselect 1;select 2 -- c;\n;\n/* x; /* nested; */ y; */ select 3;\n",
		    "S4:SET a = 0|S5:select 1|S5:select 2 -- c;|S7:select 3|");
	expect_scan("", "");
	expect_scan("  \n\n-- only a comment\n", "");
	expect_scan("select 1 - 2 / 3;", "S1:select 1 - 2 / 3|");
}

static void quotes_and_dollars(void)
{
	expect_scan("select 'a;b''c\\';\n", "S1:select 'a;b''c\\'|");
	expect_scan("select E'x\\';y', 1;\n", "S1:select E'x\\';y', 1|");
	expect_scan("select \"we;ird\"\"x\";\n", "S1:select \"we;ird\"\"x\"|");
	expect_scan("create function f() returns int as $$ select 1; $$ language sql;\n",
		    "S1:create function f() returns int as $$ select 1; $$ language sql|");
	expect_scan("select $body$ begin perform ';$$'; end $body$;\n",
		    "S1:select $body$ begin perform ';$$'; end $body$|");
	expect_scan("prepare p as select $1;select a$b;\n", "S1:prepare p as select $1|S1:select a$b|");
	expect_scan("select '-- no', '/* no' ;\n", "S1:select '-- no', '/* no'|");
}

static void copy_blocks(void)
{
	expect_scan("COPY public.t (a, b) FROM stdin;\n1\tx\\ty\n2\t\\N\n\\.\nselect 1;\n",
		    "S1c:COPY public.t (a, b) FROM stdin|D:1\tx\\ty\n2\t\\N\n|E|S5:select 1|");
	/* empty COPY, and data lines that look almost like the terminator */
	expect_scan("copy t from stdin;\n\\.\ncopy t from stdin;\n\\.x\n\\\\.\n\\.\n",
		    "S1c:copy t from stdin|E|S3c:copy t from stdin|D:\\.x\n\\\\.\n|E|");
	/* terminator at the very end without a newline */
	expect_scan("copy t from stdin;\na\n\\.", "S1c:copy t from stdin|D:a\n|E|");
	/* a COPY that is not FROM stdin is refused */
	expect_fail("select 1;\ncopy t to stdout;\n", EXIT_DATAERR, "COPY other than");
	/* text after the COPY statement on its line is a framing error */
	expect_fail("copy t from stdin; select 1;\n\\.\n", EXIT_DATAERR, "text after");
}

static void meta_lines(void)
{
	expect_scan("\\restrict abc\nselect 1;\n\\unrestrict abc\n",
		    "M1:\\restrict abc|S2:select 1|M3:\\unrestrict abc|");
	expect_fail("select 1 \\gset\n;", EXIT_DATAERR, "backslash");
}

static void truncated(void)
{
	expect_fail("select 'abc", EXIT_DATAERR, "ends inside the statement");
	expect_fail("select 1", EXIT_DATAERR, "ends inside the statement");
	expect_fail("select $$ x ", EXIT_DATAERR, "ends inside");
	expect_fail("copy t from stdin;\n1\t2\n", EXIT_DATAERR, "ends inside the COPY data");
	expect_fail("copy t from stdin;\n1\t2\n\\", EXIT_DATAERR, "ends inside the COPY data");
}

static void statement_cap(void)
{
	struct strbuf in = STRBUF_INIT, out = STRBUF_INIT;
	struct err e = ERR_INIT;
	int i;

	sb_adds(&in, "select 1;\nselect '");
	for (i = 0; i < 5000; i++)
		sb_adds(&in, "xxxxxxxxxx");
	sb_adds(&in, "';\n");
	CHECK(scan(in.buf, 4096, 10000, &out, &e) < 0);
	CHECK_INT(e.code, EXIT_DATAERR);
	CHECK(strstr(e.msg, "starting at line 2") != NULL);
	sb_release(&in);
	sb_release(&out);
}

static void chunk_sizes(void)
{
	expect_scan("\\restrict k\nSET x = 1;\nCOPY a FROM stdin;\n\\x00\t{1,2}\n\\.\n"
		    "-- PostgreSQL database dump complete\n\\unrestrict k\n",
		    "M1:\\restrict k|S2:SET x = 1|S3c:COPY a FROM stdin|D:\\x00\t{1,2}\n|E|M7:\\unrestrict k|");
}

/* A 3 MB row streams through without hitting a 64 KiB statement cap. */
static void big_copy_row(void)
{
	struct strbuf in = STRBUF_INIT, out = STRBUF_INIT;
	struct err e = ERR_INIT;
	size_t i;

	sb_adds(&in, "copy t from stdin;\n");
	for (i = 0; i < 3000000; i++)
		sb_addc(&in, (char)('a' + i % 26));
	sb_adds(&in, "\n\\.\n-- PostgreSQL database dump complete\n");
	CHECK(scan(in.buf, 1 << 20, 65536, &out, &e) == 0);
	CHECK_INT(out.len, strlen("S1c:copy t from stdin|D:") + 3000001 + strlen("|E|"));
	sb_release(&in);
	sb_release(&out);
}

UNIT_CASES(UNIT(guard_refuses), UNIT(comment_ends_at_cr), UNIT(psql_agreement), UNIT(statements_and_comments), UNIT(quotes_and_dollars), UNIT(copy_blocks), UNIT(meta_lines),
	   UNIT(truncated), UNIT(statement_cap), UNIT(chunk_sizes), UNIT(big_copy_row))
