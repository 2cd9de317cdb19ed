/*
 * fuzz_split_diff: differential check of statement boundaries, predeploy's
 * lexer (sql_split over sqllex) against PostgreSQL's own parser
 * (libpg_query's pg_query_split_with_parser).
 *
 * Only text the parser accepts is compared (anything else is not SQL the
 * server would run).  The parser's statements run from after one ';' to
 * the next, blanks and comments included; the lexer's from the first token
 * to the last.  Properties: the same statements, empty ones aside; each
 * lexer statement starts where the parser's does once blanks and comments
 * are skipped, and ends inside it with only blanks and comments after it.
 */
#include <string.h>

#include <pg_query.h>

#include "fuzz.h"
#include "sqlsplit.h"

/* Skip blanks and comments forward from i (to at most end). */
static size_t skip_fwd(const char *s, size_t i, size_t end)
{
	for (;;) {
		while (i < end && strchr(" \t\r\n\f\v", s[i]))
			i++;
		if (i + 1 < end && s[i] == '-' && s[i + 1] == '-') {
			while (i < end && s[i] != '\n' && s[i] != '\r')   /* the server's end of a comment */
				i++;
			continue;
		}
		if (i + 1 < end && s[i] == '/' && s[i + 1] == '*') {
			int depth = 1;
			i += 2;
			while (i < end && depth) {
				if (i + 1 < end && s[i] == '/' && s[i + 1] == '*')
					depth++, i += 2;
				else if (i + 1 < end && s[i] == '*' && s[i + 1] == '/')
					depth--, i += 2;
				else
					i++;
			}
			continue;
		}
		return i;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *sql;
	PgQuerySplitResult p;
	struct sql_stmt *v = NULL;
	struct err e = ERR_INIT;
	int n = 0, k = 0;

	if (memchr(data, 0, size))
		return 0;
	sql = fuzz_cstr(data, size);
	p = pg_query_split_with_parser(sql);
	if (p.error) {
		pg_query_free_split_result(p);
		free(sql);
		return 0;
	}
	FUZZ_CHECK(sql_split(sql, size, &v, &n, &e) == 0);
	for (int i = 0; i < p.n_stmts; i++) {
		size_t a = (size_t)p.stmts[i]->stmt_location;
		size_t b = a + (size_t)p.stmts[i]->stmt_len;
		size_t pa = skip_fwd(sql, a, b), lend;

		if (pa == b)
			continue;     /* the parser's empty statement */
		if (k >= n) {
			fprintf(stderr, "parser statement %d [%zu,%zu) has no lexer statement\n", i, pa, b);
			FUZZ_CHECK(!"fewer statements than the parser");
		}
		/* same start; the lexer's end inside the parser's statement, only
		 * blanks and comments between them */
		lend = v[k].off + v[k].len;
		if (skip_fwd(sql, v[k].off, lend) != pa || lend > b || skip_fwd(sql, lend, b) != b) {
			fprintf(stderr, "statement %d: parser [%zu,%zu) lexer [%zu,%zu)\n", k, pa, b, v[k].off, lend);
			FUZZ_CHECK(!"statement boundaries differ");
		}
		k++;
	}
	if (k < n) {
		fprintf(stderr, "lexer statement %d [%zu,+%zu) is not in the parser's split\n", k, v[k].off,
			v[k].len);
		FUZZ_CHECK(!"more statements than the parser");
	}
	free(v);
	pg_query_free_split_result(p);
	free(sql);
	return 0;
}
