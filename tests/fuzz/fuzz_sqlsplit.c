/*
 * fuzz_sqlsplit: the statement split of migration sections (sqlsplit.c).
 *
 * Properties: statements lie inside the input, in order, without overlap;
 * a statement starts at neither a blank nor the start of a comment, and
 * its line is where it starts; an error carries EXIT_DATAERR and a line
 * within the input.
 */
#include <string.h>

#include "fuzz.h"
#include "sqlsplit.h"
#include "util/exitcode.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *sql = (const char *)data;
	struct sql_stmt *v = NULL;
	struct err e = ERR_INIT;
	int n = 0, lines = 1;

	for (size_t i = 0; i < size; i++)
		lines += sql[i] == '\n';
	if (sql_split(sql, size, &v, &n, &e) < 0) {
		FUZZ_CHECK(e.code == EXIT_DATAERR && e.msg[0]);
		FUZZ_CHECK(e.line >= 1 && e.line <= lines);
		return 0;
	}
	for (int i = 0, line = 1; i < n; i++) {
		size_t prev = i ? v[i - 1].off + v[i - 1].len : 0;
		FUZZ_CHECK(v[i].off >= prev && v[i].off + v[i].len <= size);
		FUZZ_CHECK(v[i].len > 0);
		FUZZ_CHECK(!memchr(" \t\r\n\f\v", sql[v[i].off], 6));
		FUZZ_CHECK(v[i].len < 2 || memcmp(sql + v[i].off, "--", 2));
		/* count the lines up to this statement's start */
		line = 1;
		for (size_t k = 0; k < v[i].off; k++)
			line += sql[k] == '\n';
		FUZZ_CHECK(v[i].line == line);
	}
	free(v);
	return 0;
}
