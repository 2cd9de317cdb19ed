/* Unit tests of src/sqllex: tokens, and statements fed in pieces with the
 * caller dropping consumed bytes (the streaming contract restore uses). */
// cases: token_kinds pieces_and_shift psql_mode_items unterminated_lines
#include <stdlib.h>

#include "unit.h"
#include "sqllex.h"
#include "util/exitcode.h"
#include "util/strbuf.h"

static void token_kinds(void)
{
	const char *sql = "select E'a\\'b', x$y, \"q\"\"i\"$$d$$, $1, 1.5e3 <> -- c\n/* b /* n */ */ (a);";
	static const enum sqltok_kind want[] = {
		SQLTOK_WORD, SQLTOK_SPACE, SQLTOK_STRING, SQLTOK_PUNCT, SQLTOK_SPACE, SQLTOK_WORD, SQLTOK_PUNCT,
		SQLTOK_SPACE, SQLTOK_QIDENT, SQLTOK_DOLLAR, SQLTOK_PUNCT, SQLTOK_SPACE, SQLTOK_PARAM, SQLTOK_PUNCT,
		SQLTOK_SPACE, SQLTOK_NUMBER, SQLTOK_SPACE, SQLTOK_OP, SQLTOK_SPACE, SQLTOK_COMMENT, SQLTOK_SPACE,
		SQLTOK_COMMENT, SQLTOK_SPACE, SQLTOK_PUNCT, SQLTOK_WORD, SQLTOK_PUNCT, SQLTOK_PUNCT,
	};
	struct sqllex lx;
	struct sqltok t;
	struct err e = ERR_INIT;
	size_t n = 0;

	sqllex_init(&lx, 0);
	while (sqllex_token(&lx, sql, strlen(sql), 1, &t, &e) == SQLLEX_TOKEN) {
		CHECK(n < sizeof(want) / sizeof(want[0]));
		if (n < sizeof(want) / sizeof(want[0]) && t.kind != want[n])
			fprintf(stderr, "token %zu \"%.*s\": kind %d, expected %d\n", n, (int)t.len, sql + t.off,
				t.kind, want[n]);
		if (n < sizeof(want) / sizeof(want[0]))
			CHECK_INT(t.kind, want[n]);
		if (t.kind == SQLTOK_COMMENT && sql[t.off] == '/')
			CHECK_INT(t.line, 2);
		n++;
	}
	CHECK_INT(n, sizeof(want) / sizeof(want[0]));
	sqllex_release(&lx);
}

/* Feed `in` a few bytes at a time into a buffer that drops what the lexer
 * no longer needs; collect "<line>:<statement>|". */
static void split_pieces(const char *in, size_t step, struct strbuf *out)
{
	struct sqllex lx;
	struct sqllex_stmt st;
	struct err e = ERR_INIT;
	struct strbuf buf = STRBUF_INIT;
	size_t fed = 0, total = strlen(in);
	int r;

	sqllex_init(&lx, 0);
	for (;;) {
		r = sqllex_statement(&lx, buf.buf, buf.len, fed == total, &st, &e);
		if (r == SQLLEX_STATEMENT) {
			sb_addf(out, "%ld:%.*s|", st.line, (int)st.len, buf.buf + st.off);
			continue;
		}
		if (r != SQLLEX_MORE)
			break;
		{
			size_t keep = sqllex_keep(&lx), n = total - fed < step ? total - fed : step;

			memmove(buf.buf, buf.buf + keep, buf.len - keep);
			sb_setlen(&buf, buf.len - keep);
			sqllex_shift(&lx, keep);
			sb_add(&buf, in + fed, n);
			fed += n;
		}
	}
	CHECK_INT(r, SQLLEX_EOF);
	sqllex_release(&lx);
	sb_release(&buf);
}

static void pieces_and_shift(void)
{
	const char *in = "select 1;\n-- c;\ncreate function f() returns int language plpgsql as $long_tag_$\n"
			 "begin return 1; end $long_tag_$;\nselect E'x\\';'--a\n, 2\n;CREATE PROCEDURE p() "
			 "BEGIN ATOMIC select 1; END;";
	const char *want = "1:select 1|3:create function f() returns int language plpgsql as $long_tag_$\n"
			   "begin return 1; end $long_tag_$|5:select E'x\\';'--a\n, 2|7:CREATE PROCEDURE p() "
			   "BEGIN ATOMIC select 1; END|";
	size_t step;

	for (step = 1; step < 40; step += 3) {
		struct strbuf out = STRBUF_INIT;

		split_pieces(in, step, &out);
		if (strcmp(out.buf, want))
			fprintf(stderr, "step %zu: %s\n", step, out.buf);
		CHECK_STR(out.buf, want);
		sb_release(&out);
	}
}

static void psql_mode_items(void)
{
	const char *in = "\\restrict k\n-- x\nCOPY t (a) FROM stdin WITH (format text);\n1\n\\.\nselect 1 \\g\n";
	struct sqllex lx;
	struct sqllex_stmt st;
	struct err e = ERR_INIT;
	int r, kinds[16], n = 0;

	sqllex_init(&lx, SQLLEX_PSQL);
	while ((r = sqllex_statement(&lx, in, strlen(in), 1, &st, &e)) > SQLLEX_MORE && r != SQLLEX_EOF && n < 16) {
		kinds[n++] = r;
		if (r == SQLLEX_STATEMENT)
			CHECK_INT(st.copy, n == 3 ? SQLLEX_COPY_FROM_STDIN : SQLLEX_COPY_NONE);
		if (r == SQLLEX_STATEMENT && n == 7)
			CHECK_INT(st.terminated, 0);
		if (r == SQLLEX_META && n > 3)
			CHECK_INT(st.inside, 1);
	}
	CHECK_INT(n, 7);      /* "select 1" ends, unterminated, at the end */
	CHECK_INT(kinds[0], SQLLEX_META);
	CHECK_INT(kinds[1], SQLLEX_COMMENT);
	CHECK_INT(kinds[2], SQLLEX_STATEMENT);
	CHECK_INT(kinds[3], SQLLEX_COPY_DATA);
	CHECK_INT(kinds[4], SQLLEX_COPY_END);
	CHECK_INT(kinds[5], SQLLEX_META);
	CHECK_INT(kinds[6], SQLLEX_STATEMENT);
	sqllex_release(&lx);
}

static void unterminated_lines(void)
{
	static const struct { const char *sql, *what; int line; } bad[] = {
		{ "select 1;\n\nselect 'abc\n", "quoted string", 3 },
		{ "select \"a\n", "quoted identifier", 1 },
		{ "\nselect $x$ abc $y$", "dollar-quoted string", 2 },
		{ "select /* /* */ \n", "comment", 1 },
	};
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct sqllex lx;
		struct sqllex_stmt st;
		struct err e = ERR_INIT;
		int r;

		sqllex_init(&lx, 0);
		while ((r = sqllex_statement(&lx, bad[i].sql, strlen(bad[i].sql), 1, &st, &e)) == SQLLEX_STATEMENT)
			;
		CHECK_INT(r, -1);
		CHECK_INT(e.code, EXIT_DATAERR);
		CHECK_INT(e.line, bad[i].line);
		CHECK(strstr(e.msg, bad[i].what) != NULL);
	}
}

UNIT_CASES(UNIT(token_kinds), UNIT(pieces_and_shift), UNIT(psql_mode_items), UNIT(unterminated_lines))
