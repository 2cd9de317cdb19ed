/* Unit tests for backup_tail_complete: what proves that pg_dump finished. */
// cases: complete_forms incomplete_forms
#include <string.h>

#include "backup.h"
#include "unit.h"

static int done(const char *s)
{
	return backup_tail_complete(s, strlen(s));
}

static void complete_forms(void)
{
	CHECK_INT(done("--\n-- PostgreSQL database dump complete\n--\n\n"), 1);
	CHECK_INT(done("-- PostgreSQL database dump complete\n"), 1);
	CHECK_INT(done("-- PostgreSQL database dump complete"), 1);          /* no final newline */
	CHECK_INT(done("x\n-- PostgreSQL database dump complete\n--\n\n\\unrestrict Ab9xYz\n\n"), 1);
	/* the last completion line counts: an earlier one inside data is harmless */
	CHECK_INT(done("-- PostgreSQL database dump complete\ncopy\n-- PostgreSQL database dump complete\n"), 1);
}

static void incomplete_forms(void)
{
	CHECK_INT(done(""), 0);
	CHECK_INT(done("--\n-- PostgreSQL database dump\n--\n"), 0);
	CHECK_INT(done("-- PostgreSQL database dump compl"), 0);              /* cut short */
	/* statements after the line: the dump went on (or was appended to) */
	CHECK_INT(done("-- PostgreSQL database dump complete\nDROP TABLE users;\n"), 0);
	CHECK_INT(done("-- PostgreSQL database dump complete\n--x\n"), 0);
	CHECK_INT(done("-- PostgreSQL database dump complete\n\\unrestrict\n"), 0);   /* no key */
	CHECK_INT(done("-- PostgreSQL database dump complete\n\\connect other\n"), 0);
	/* not at a line start: quoted inside a value */
	CHECK_INT(done("x-- PostgreSQL database dump complete\n"), 0);
	CHECK_INT(done("'-- PostgreSQL database dump complete\n"), 0);
}

UNIT_CASES(UNIT(complete_forms), UNIT(incomplete_forms))
