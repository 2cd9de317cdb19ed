/*
 * fuzz_restore_scan: the streaming scanner that restore runs a pg_dump
 * plain file through (restore_scan.c).
 *
 * Input: one byte choosing the statement cap (16 bytes to 1 MiB), one
 * choosing the read size, then the dump text.  The scan runs twice, once
 * reading the whole input at a time and once in small pieces; properties:
 * the two produce the same items, COPY data concatenated (the split points
 * of the input must not matter), the same error and line; statements are
 * NUL-terminated and stay under the cap; COPY data only between a COPY ... FROM
 * stdin statement and its end; lines never go back.
 */
#include <string.h>

#include "fuzz.h"
#include "restore_scan.h"
#include "util/sha256.h"
#include "util/strbuf.h"

struct src {
	const uint8_t *p;
	size_t left, piece;
};

static ssize_t rd(void *ctx, void *buf, size_t cap, struct err *e)
{
	struct src *s = ctx;
	size_t n = s->left < cap ? s->left : cap;

	(void)e;
	if (n > s->piece)
		n = s->piece;
	memcpy(buf, s->p, n);
	s->p += n;
	s->left -= n;
	return (ssize_t)n;
}

struct outcome {
	struct strbuf items;    /* kind, line, text of each item, COPY data joined */
	int rc;
	struct err e;
};

static void scan(const uint8_t *data, size_t size, size_t piece, size_t cap, struct outcome *o)
{
	struct src in = { data, size, piece };
	struct rscan *s = rscan_new(rd, &in, cap);
	struct rscan_item it;
	long line = 0;
	int in_copy = 0, pending_copy = 0;

	sb_init(&o->items, 256);
	err_clear(&o->e);
	for (;;) {
		o->rc = rscan_next(s, &it, &o->e);
		if (o->rc < 0) {
			FUZZ_CHECK(o->e.code != 0 && o->e.msg[0]);
			break;
		}
		FUZZ_CHECK(it.line >= line);
		if (it.kind != RSCAN_COPY_DATA)
			line = it.line;
		if (it.kind == RSCAN_EOF)
			break;
		if (it.kind == RSCAN_COPY_DATA) {
			FUZZ_CHECK(in_copy);
			if (!pending_copy)
				sb_addf(&o->items, "D:");
			pending_copy = 1;
			sb_add(&o->items, it.text, it.len);
			continue;
		}
		if (pending_copy)
			sb_addc(&o->items, '\n');
		pending_copy = 0;
		sb_addf(&o->items, "%d@%ld:", (int)it.kind, it.line);
		switch (it.kind) {
		case RSCAN_STATEMENT:
			FUZZ_CHECK(!in_copy);
			FUZZ_CHECK(it.len > 0 && it.len <= cap && it.text[it.len] == '\0');
			in_copy = it.copy;
			break;
		case RSCAN_COPY_END:
			FUZZ_CHECK(in_copy);
			in_copy = 0;
			break;
		case RSCAN_META:
			FUZZ_CHECK(!in_copy && it.len > 0 && it.text[0] == '\\');
			break;
		default:
			FUZZ_CHECK(0);
		}
		sb_add(&o->items, it.text, it.len);
		sb_addc(&o->items, '\n');
	}
	rscan_free(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct outcome whole, pieces;
	size_t cap, piece;

	if (size < 2)
		return 0;
	cap = (size_t)16 << (data[0] % 17);
	piece = 1 + data[1] % 64;
	data += 2;
	size -= 2;
	scan(data, size, size ? size : 1, cap, &whole);
	scan(data, size, piece, cap, &pieces);
	FUZZ_CHECK(whole.rc == pieces.rc);
	FUZZ_CHECK(whole.items.len == pieces.items.len &&
		   !memcmp(whole.items.buf, pieces.items.buf, whole.items.len));
	if (whole.rc < 0) {
		FUZZ_CHECK(whole.e.code == pieces.e.code);
		FUZZ_CHECK(!strcmp(whole.e.msg, pieces.e.msg));
	}
	sb_release(&whole.items);
	sb_release(&pieces.items);
	return 0;
}
