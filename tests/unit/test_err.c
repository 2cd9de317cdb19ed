/* Unit tests of src/util/err: re-wrapping keeps the server's fields. */
// cases: prefix_keeps_fields prefix_truncates
#include "unit.h"
#include "util/err.h"
#include "util/exitcode.h"

static void prefix_keeps_fields(void)
{
	struct err e = ERR_INIT;

	err_set(&e, EXIT_DATAERR, "invalid input syntax for type integer: \"x\"");
	err_detail(&e, "the detail");
	err_hint(&e, "the hint");
	memcpy(e.sqlstate, "22P02", 6);
	err_where(&e, "b.sql.gz", 42);
	err_prefix(&e, "restore failed at line %d of \"%s\"", 42, "b.sql.gz");
	CHECK_STR(e.msg, "restore failed at line 42 of \"b.sql.gz\": invalid input syntax for type integer: \"x\"");
	CHECK_STR(e.detail, "the detail");
	CHECK_STR(e.hint, "the hint");
	CHECK_STR(e.sqlstate, "22P02");
	CHECK_STR(e.file, "b.sql.gz");
	CHECK_INT(e.line, 42);
	CHECK_INT(e.code, EXIT_DATAERR);
}

static void prefix_truncates(void)
{
	struct err e = ERR_INIT;
	char big[2000];

	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	err_set(&e, EXIT_DATAERR, "%s", big);
	err_prefix(&e, "ctx");
	CHECK_INT(strlen(e.msg), sizeof(e.msg) - 1);
	CHECK(!strncmp(e.msg, "ctx: xxx", 8));
	err_set(&e, EXIT_DATAERR, "short");
	err_prefix(&e, "%s", big);
	CHECK_INT(strlen(e.msg), sizeof(e.msg) - 1);
}

UNIT_CASES(UNIT(prefix_keeps_fields), UNIT(prefix_truncates))
