/*
 * fuzz_sqllex: the shared SQL lexer (sqllex.c), both layers.
 *
 * Input: one byte of options (bit 0: psql mode; bit 1: std_strings off;
 * the rest: the size of the pieces fed in), then the text.  Properties:
 *   - tokens tile the text: each starts where the last ended, the first
 *     at 0, the last ends at the end; a token's line counts the newlines
 *     before it; an error happens only at the end and names a line;
 *   - statements: the text fed whole and fed in pieces (dropping what
 *     sqllex_keep allows before each append, as restore does) give the same
 *     items at the same offsets, COPY data joined, and the same error;
 *   - a statement lies inside the text and after the previous item.
 */
#include <string.h>

#include "fuzz.h"
#include "sqllex.h"
#include "util/exitcode.h"
#include "util/strbuf.h"

static long lines_before(const char *s, size_t off)
{
	long line = 1;

	for (size_t i = 0; i < off; i++)
		line += s[i] == '\n';
	return line;
}

static void tokens(const char *sql, size_t size, int flags, int std)
{
	struct sqllex lx;
	struct sqltok t;
	struct err e = ERR_INIT;
	size_t at = 0;
	long line = 1;
	int r;

	sqllex_init(&lx, flags);
	lx.std_strings = std;
	while ((r = sqllex_token(&lx, sql, size, 1, &t, &e)) == SQLLEX_TOKEN) {
		FUZZ_CHECK(t.off == at && t.len > 0 && t.off + t.len <= size);
		FUZZ_CHECK(t.line == line);
		for (size_t i = t.off; i < t.off + t.len; i++)
			line += sql[i] == '\n';
		at = t.off + t.len;
	}
	if (r < 0) {
		FUZZ_CHECK(e.code == EXIT_DATAERR && e.msg[0]);
		FUZZ_CHECK(e.line >= 1 && e.line <= lines_before(sql, size));
	} else {
		FUZZ_CHECK(r == SQLLEX_EOF && at == size);
	}
	sqllex_release(&lx);
}

struct items {
	struct strbuf log;
	int rc;
	struct err e;
};

static void record(struct items *o, int r, const struct sqllex_stmt *st, size_t base, const char *buf,
		   int *in_copy_data)
{
	if (r == SQLLEX_COPY_DATA) {
		if (!*in_copy_data)
			sb_adds(&o->log, "D:");
		*in_copy_data = 1;
		sb_add(&o->log, buf + st->off, st->len);
		return;
	}
	if (*in_copy_data)
		sb_addc(&o->log, '\n');
	*in_copy_data = 0;
	sb_addf(&o->log, "%d@%zu+%zu:%ld t%d i%d c%d [%s|%s|%s]\n", r, base + st->off, st->len, st->line,
		st->terminated, st->inside, (int)st->copy, st->words[0], st->words[1], st->words[2]);
}

/* Feed sql in pieces of `piece` bytes (whole when piece >= size). */
static void statements(const char *sql, size_t size, int flags, int std, size_t piece, struct items *o)
{
	struct sqllex lx;
	struct sqllex_stmt st;
	char *buf = malloc(size + 1);
	size_t avail = 0, base = 0, fed = 0, prev_end = 0;
	int in_copy_data = 0;

	FUZZ_CHECK(buf);
	sb_init(&o->log, 256);
	err_clear(&o->e);
	sqllex_init(&lx, flags);
	lx.std_strings = std;
	for (;;) {
		int eof = fed == size;
		int r = sqllex_statement(&lx, buf, avail, eof, &st, &o->e);

		if (r < 0) {
			FUZZ_CHECK(o->e.code == EXIT_DATAERR && o->e.msg[0] && o->e.line >= 1);
			o->rc = -1;
			sb_addf(&o->log, "error at %d: %s\n", o->e.line, o->e.msg);
			break;
		}
		if (r == SQLLEX_EOF) {
			o->rc = 0;
			break;
		}
		if (r == SQLLEX_MORE) {
			size_t keep = sqllex_keep(&lx), n;
			FUZZ_CHECK(!eof);
			FUZZ_CHECK(keep <= avail);
			memmove(buf, buf + keep, avail - keep);
			avail -= keep;
			base += keep;
			sqllex_shift(&lx, keep);
			n = size - fed < piece ? size - fed : piece;
			memcpy(buf + avail, sql + fed, n);
			avail += n;
			fed += n;
			continue;
		}
		FUZZ_CHECK(st.off + st.len <= avail);
		if (r == SQLLEX_STATEMENT) {
			FUZZ_CHECK(base + st.off >= prev_end);
			prev_end = base + st.off + st.len;
		}
		record(o, r, &st, base, buf, &in_copy_data);
	}
	sqllex_release(&lx);
	free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct items whole, pieces;
	int flags, std;
	size_t piece;

	if (size < 1)
		return 0;
	flags = data[0] & 1 ? SQLLEX_PSQL : 0;
	std = !(data[0] & 2);
	piece = 1 + (data[0] >> 2);
	data++;
	size--;
	tokens((const char *)data, size, flags, std);
	statements((const char *)data, size, flags, std, size + 1, &whole);
	statements((const char *)data, size, flags, std, piece, &pieces);
	if (whole.log.len != pieces.log.len || memcmp(whole.log.buf, pieces.log.buf, whole.log.len)) {
		fprintf(stderr, "--- whole\n%s--- in pieces of %zu\n%s", whole.log.buf, piece, pieces.log.buf);
		FUZZ_CHECK(!"whole and piecewise lexing differ");
	}
	sb_release(&whole.log);
	sb_release(&pieces.log);
	return 0;
}
