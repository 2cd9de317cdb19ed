/*
 * sqlsplit: split a SQL script into statements, the way psql does, without
 * parsing it (the lexing is sqllex.h's: quotes, E'' escapes, dollar quotes
 * of any tag, comments, parentheses, BEGIN ATOMIC ... END bodies).
 * Backslash lines are not special here (migrations go to the server as
 * SQL, not through psql).
 *
 *   struct sql_stmt *v; int n;
 *   if (sql_split(text, len, &v, &n, &err) < 0) ...   // err->line: where the
 *   for (i = 0; i < n; i++) use(text + v[i].off, v[i].len, v[i].line);
 *   free(v);
 *
 * Statements that hold only blanks and comments are dropped, so a section of
 * comments is zero statements.  Offsets start at the statement's first
 * token (leading comments skipped) and the length stops before the ';' and
 * trailing blanks; `line` is 1-based within `text`.  A last statement
 * without ';' counts.
 * Unterminated quotes, dollar quotes or comments fail with EXIT_DATAERR and
 * the line where they began.
 */
#ifndef PREDEPLOY_SQLSPLIT_H
#define PREDEPLOY_SQLSPLIT_H

#include <stddef.h>

#include "util/err.h"

struct sql_stmt {
	size_t off;
	size_t len;     /* without the terminating semicolon */
	int line;
};

int sql_split(const char *sql, size_t len, struct sql_stmt **out, int *n, struct err *e);

#endif
