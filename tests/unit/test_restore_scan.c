/* Unit tests of src/restore_scan: statements, quotes, COPY data, backslash
 * lines, truncation and caps, fed in chunks of every size. */
// cases: statements_and_comments quotes_and_dollars copy_blocks meta_lines truncated statement_cap chunk_sizes big_copy_row
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

static void statements_and_comments(void)
{
	expect_scan("--\n-- head\n--\nSET a = 0;\nselect 1;select 2 -- c;\n;\n/* x; /* nested; */ y; */ select 3;\n",
		    "S4:SET a = 0;|S5:select 1;|S5:select 2 -- c;\n;|S7:select 3;|");
	expect_scan("", "");
	expect_scan("  \n\n-- only a comment\n", "");
	expect_scan("select 1 - 2 / 3;", "S1:select 1 - 2 / 3;|");
}

static void quotes_and_dollars(void)
{
	expect_scan("select 'a;b''c\\';\n", "S1:select 'a;b''c\\';|");
	expect_scan("select E'x\\';y', 1;\n", "S1:select E'x\\';y', 1;|");
	expect_scan("select \"we;ird\"\"x\";\n", "S1:select \"we;ird\"\"x\";|");
	expect_scan("create function f() returns int as $$ select 1; $$ language sql;\n",
		    "S1:create function f() returns int as $$ select 1; $$ language sql;|");
	expect_scan("do $body$ begin perform ';$$'; end $body$;\n",
		    "S1:do $body$ begin perform ';$$'; end $body$;|");
	expect_scan("prepare p as select $1;select a$b;\n", "S1:prepare p as select $1;|S1:select a$b;|");
	expect_scan("select '-- no', '/* no' ;\n", "S1:select '-- no', '/* no' ;|");
}

static void copy_blocks(void)
{
	expect_scan("COPY public.t (a, b) FROM stdin;\n1\tx\\ty\n2\t\\N\n\\.\nselect 1;\n",
		    "S1c:COPY public.t (a, b) FROM stdin;|D:1\tx\\ty\n2\t\\N\n|E|S5:select 1;|");
	/* empty COPY, and data lines that look almost like the terminator */
	expect_scan("copy t from stdin;\n\\.\ncopy t from stdin;\n\\.x\n\\\\.\n\\.\n",
		    "S1c:copy t from stdin;|E|S3c:copy t from stdin;|D:\\.x\n\\\\.\n|E|");
	/* terminator at the very end without a newline */
	expect_scan("copy t from stdin;\na\n\\.", "S1c:copy t from stdin;|D:a\n|E|");
	/* a COPY that is not FROM stdin is a plain statement */
	expect_scan("copy t to stdout;\n", "S1:copy t to stdout;|");
}

static void meta_lines(void)
{
	expect_scan("\\restrict abc\nselect 1;\n\\unrestrict abc\n",
		    "M1:\\restrict abc|S2:select 1;|M3:\\unrestrict abc|");
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
		    "M1:\\restrict k|S2:SET x = 1;|S3c:COPY a FROM stdin;|D:\\x00\t{1,2}\n|E|M7:\\unrestrict k|");
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
	CHECK_INT(out.len, strlen("S1c:copy t from stdin;|D:") + 3000001 + strlen("|E|"));
	sb_release(&in);
	sb_release(&out);
}

UNIT_CASES(UNIT(statements_and_comments), UNIT(quotes_and_dollars), UNIT(copy_blocks), UNIT(meta_lines),
	   UNIT(truncated), UNIT(statement_cap), UNIT(chunk_sizes), UNIT(big_copy_row))
