/*
 * fuzz_crypt: the decrypting readers of encrypted backups (crypt_stream.c),
 * and the writer they must agree with.
 *
 * Input: one mode byte, then the bytes.  Mode even: the bytes are a file,
 * decrypted with the fuzz key (32 bytes 0x00..0x1f) by the push decryptor in
 * pieces and by the pull reader in reads, both sized from the mode byte:
 * whatever the bytes, both end the same way (the same plaintext, or a
 * failure with EXIT_DATAERR: the key is configured, so never anything
 * else), and an input without the magic is refused by the decryptor and
 * passed through unchanged by the reader.  Mode odd: the bytes after two
 * more are plaintext, encrypted in 4 KiB chunks and decrypted back equal;
 * then one byte of the sealed file, chosen by those two bytes, is changed,
 * and decrypting must fail with EXIT_DATAERR (no change goes unnoticed).
 */
#include <string.h>

#include "crypt_keys.h"
#include "crypt_stream.h"
#include "fuzz.h"
#include "util/exitcode.h"
#include "util/strbuf.h"

static struct crypt_keys keys;

static void setup(void)
{
	unsigned char raw[32];
	struct err e = ERR_INIT;
	int i;

	if (keys.n)
		return;
	for (i = 0; i < 32; i++)
		raw[i] = (unsigned char)i;
	FUZZ_CHECK(crypt_keys_parse((const char *)raw, 32, 1, "fuzz", &keys, &e) == 0);
}

static int to_sb(void *ctx, const void *p, size_t n, struct err *e)
{
	(void)e;
	sb_add(ctx, p, n);
	return 0;
}

static int push(const uint8_t *p, size_t n, size_t piece, struct strbuf *out, struct err *e)
{
	struct cdec *d = cdec_new(&keys, "fuzz", to_sb, out);
	size_t off;
	int r = 0;

	for (off = 0; off < n && !r; off += piece)
		r = cdec_feed(d, p + off, n - off < piece ? n - off : piece, e);
	if (!r)
		r = cdec_finish(d, e);
	cdec_free(d);
	return r;
}

struct mem {
	const uint8_t *p;
	size_t n, off;
};

static ssize_t mem_read(void *ctx, void *buf, size_t cap, struct err *e)
{
	struct mem *m = ctx;
	size_t k = m->n - m->off < cap ? m->n - m->off : cap;

	(void)e;
	memcpy(buf, m->p + m->off, k);
	m->off += k;
	return (ssize_t)k;
}

static int pull(const uint8_t *p, size_t n, size_t cap, struct strbuf *out, struct err *e)
{
	static unsigned char buf[70000];
	struct mem m = { p, n, 0 };
	struct crd *r = crd_open(&keys, "fuzz", mem_read, &m);
	ssize_t got;

	while ((got = crd_read(r, buf, cap, e)) > 0) {
		FUZZ_CHECK((size_t)got <= cap);
		sb_add(out, buf, (size_t)got);
	}
	crd_free(r);
	return got < 0 ? -1 : 0;
}

static void decode(const uint8_t *p, size_t n, unsigned mode)
{
	struct strbuf a = STRBUF_INIT, b = STRBUF_INIT;
	struct err ea = ERR_INIT, eb = ERR_INIT;
	int ra = push(p, n, 1 + (mode >> 1) * 97, &a, &ea);
	int rb = pull(p, n, 1 + (mode >> 1) * 263, &b, &eb);

	if (ra < 0)
		FUZZ_CHECK(ea.code == EXIT_DATAERR);
	if (!crypt_is_encrypted(p, n)) {
		FUZZ_CHECK(ra < 0);
		FUZZ_CHECK(rb == 0 && b.len == n && !memcmp(b.buf, p, n));
	} else {
		FUZZ_CHECK(ra == rb);
		if (rb < 0)
			FUZZ_CHECK(eb.code == EXIT_DATAERR);
		else
			FUZZ_CHECK(a.len == b.len && !memcmp(a.buf, b.buf, a.len));
	}
	sb_release(&a);
	sb_release(&b);
}

static void roundtrip(const uint8_t *p, size_t n, unsigned mode)
{
	struct strbuf sealed = STRBUF_INIT, out = STRBUF_INIT;
	struct err e = ERR_INIT;
	struct cenc *c;
	size_t at, piece = 1 + (mode >> 1) * 131, off;

	if (n < 2)
		return;
	at = ((size_t)p[0] << 8 | p[1]);
	p += 2;
	n -= 2;
	c = cenc_new_chunk(&keys.v[0], 12, to_sb, &sealed, &e);
	FUZZ_CHECK(c != NULL);
	for (off = 0; off < n; off += piece)
		FUZZ_CHECK(cenc_write(c, p + off, n - off < piece ? n - off : piece, &e) == 0);
	FUZZ_CHECK(cenc_finish(c, &e) == 0);
	cenc_free(c);
	FUZZ_CHECK(push((const uint8_t *)sealed.buf, sealed.len, piece, &out, &e) == 0);
	FUZZ_CHECK(out.len == n && (!n || !memcmp(out.buf, p, n)));
	/* one changed byte anywhere */
	at %= sealed.len;
	sealed.buf[at] ^= (char)(1 + (mode >> 1) % 255);
	sb_reset(&out);
	FUZZ_CHECK(push((const uint8_t *)sealed.buf, sealed.len, piece, &out, &e) < 0);
	FUZZ_CHECK(e.code == EXIT_DATAERR);
	sb_release(&sealed);
	sb_release(&out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!size)
		return 0;
	setup();
	if (data[0] & 1)
		roundtrip(data + 1, size - 1, data[0]);
	else
		decode(data + 1, size - 1, data[0]);
	return 0;
}
