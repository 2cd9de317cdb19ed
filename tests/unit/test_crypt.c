/* Unit tests of src/crypt_stream and src/crypt_keys: round trips in every
 * size around the chunk boundary, the layout, each header field and each
 * chunk's bytes and tag tampered with, truncation at and between chunk
 * boundaries, dropped, repeated and reordered chunks, bytes appended,
 * wrong and missing keys, rotation, and the key file formats. */
// cases: roundtrip layout tamper_header tamper_chunks truncated reordered wrong_key key_formats key_id_vector plain_passthrough
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "unit.h"
#include "crypt_keys.h"
#include "crypt_stream.h"
#include "util/exitcode.h"
#include "util/sha256.h"
#include "util/strbuf.h"

#define SHIFT 12                     /* 4 KiB chunks: many chunks from little data */
#define CHUNK (1u << SHIFT)
#define REC (CHUNK + CRYPT_TAG_LEN)

#define KEY_HEX "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
#define OTHER_HEX "ff0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"

static struct crypt_keys *keys_of(const char *text)
{
	struct crypt_keys *k = calloc(1, sizeof(*k));
	struct err e = ERR_INIT;

	CHECK(crypt_keys_parse(text, strlen(text), 0, "test", k, &e) == 0);
	return k;
}

static unsigned char *payload(size_t n)
{
	unsigned char *p = malloc(n ? n : 1);
	unsigned x = 777;
	size_t i;

	for (i = 0; i < n; i++) {
		x = x * 1103515245u + 12345u;
		p[i] = (unsigned char)(x >> 16);
	}
	return p;
}

static int to_sb(void *ctx, const void *p, size_t n, struct err *e)
{
	(void)e;
	sb_add(ctx, p, n);
	return 0;
}

/* Encrypt data in writes of `step` bytes. */
static void seal(const struct crypt_key *k, const unsigned char *data, size_t n, size_t step, struct strbuf *out)
{
	struct err e = ERR_INIT;
	struct cenc *c = cenc_new_chunk(k, SHIFT, to_sb, out, &e);
	size_t off;

	CHECK(c != NULL);
	for (off = 0; off < n; off += step)
		CHECK(cenc_write(c, data + off, n - off < step ? n - off : step, &e) == 0);
	CHECK(cenc_finish(c, &e) == 0);
	CHECK_INT(cenc_bytes_out(c), out->len);
	cenc_free(c);
}

/* Push-decrypt in pieces of `step`; 0 or -1 with e. */
static int open_push(const struct crypt_keys *k, const void *data, size_t n, size_t step, struct strbuf *out,
		     char sha[SHA256_HEX_LEN], struct err *e)
{
	struct cdec *d = cdec_new(k, "x.sql.gz.enc", to_sb, out);
	const unsigned char *p = data;
	size_t off;
	int r = 0;

	for (off = 0; off < n && !r; off += step)
		r = cdec_feed(d, p + off, n - off < step ? n - off : step, e);
	if (!r)
		r = cdec_finish(d, e);
	if (!r && sha)
		cdec_sha256(d, sha);
	cdec_free(d);
	return r;
}

struct mem {
	const unsigned char *p;
	size_t n, off, piece;
};

static ssize_t mem_read(void *ctx, void *buf, size_t cap, struct err *e)
{
	struct mem *m = ctx;
	size_t k = m->n - m->off;

	(void)e;
	if (k > cap)
		k = cap;
	if (k > m->piece)
		k = m->piece;
	memcpy(buf, m->p + m->off, k);
	m->off += k;
	return (ssize_t)k;
}

/* Pull-read everything through crd, in reads of `cap`. */
static int open_pull(const struct crypt_keys *k, const void *data, size_t n, size_t piece, size_t cap,
		     struct strbuf *out, char sha[SHA256_HEX_LEN], struct err *e)
{
	struct mem m = { data, n, 0, piece };
	struct crd *r = crd_open(k, "x.sql.gz.enc", mem_read, &m);
	unsigned char buf[100000];
	ssize_t got;

	while ((got = crd_read(r, buf, cap, e)) > 0) {
		CHECK((size_t)got <= cap);
		sb_add(out, buf, (size_t)got);
	}
	if (got == 0 && sha)
		crd_sha256(r, sha);
	crd_free(r);
	return got < 0 ? -1 : 0;
}

static void roundtrip(void)
{
	static const size_t sizes[] = { 0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 3 * CHUNK, 3 * CHUNK + 17, 200000 };
	static const size_t steps[] = { 1, 7, CHUNK, 65536 };
	struct crypt_keys *k = keys_of(KEY_HEX);
	size_t i, j;

	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		unsigned char *data = payload(sizes[i]);

		for (j = 0; j < sizeof(steps) / sizeof(steps[0]); j++) {
			struct strbuf sealed = STRBUF_INIT, a = STRBUF_INIT, b = STRBUF_INIT;
			char sha[SHA256_HEX_LEN], sha_push[SHA256_HEX_LEN], sha_pull[SHA256_HEX_LEN];
			struct err e = ERR_INIT;

			if (steps[j] == 1 && sizes[i] > 20000)
				continue;
			seal(&k->v[0], data, sizes[i], steps[j], &sealed);
			sha256_hex_of(sealed.buf, sealed.len, sha);
			CHECK(open_push(k, sealed.buf, sealed.len, steps[j], &a, sha_push, &e) == 0);
			CHECK_INT(a.len, sizes[i]);
			CHECK(!sizes[i] || !memcmp(a.buf, data, sizes[i]));
			CHECK_STR(sha_push, sha);
			CHECK(open_pull(k, sealed.buf, sealed.len, steps[j], 1000 + j * 30000, &b, sha_pull, &e) == 0);
			CHECK_INT(b.len, sizes[i]);
			CHECK(!sizes[i] || !memcmp(b.buf, data, sizes[i]));
			CHECK_STR(sha_pull, sha);
			sb_release(&sealed);
			sb_release(&a);
			sb_release(&b);
		}
		free(data);
	}
	crypt_keys_free(k);
}

static void layout(void)
{
	struct crypt_keys *k = keys_of(KEY_HEX);
	struct strbuf s1 = STRBUF_INIT, s2 = STRBUF_INIT;
	unsigned char *data = payload(3 * CHUNK + 5);

	seal(&k->v[0], data, 3 * CHUNK + 5, 999, &s1);
	seal(&k->v[0], data, 3 * CHUNK + 5, 999, &s2);
	CHECK_INT(s1.len, CRYPT_HEADER_LEN + 4 * CRYPT_TAG_LEN + 3 * CHUNK + 5);
	CHECK(crypt_is_encrypted(s1.buf, s1.len));
	CHECK(!memcmp(s1.buf, "\x89PDENC\r\n", 8));
	CHECK_INT((unsigned char)s1.buf[8], 1);        /* version */
	CHECK_INT((unsigned char)s1.buf[9], 1);        /* AES-256-GCM */
	CHECK_INT((unsigned char)s1.buf[10], SHIFT);
	CHECK_INT((unsigned char)s1.buf[11], 0);
	CHECK(!memcmp(s1.buf + 12, k->v[0].id, 8));
	/* a fresh salt and nonce base per file: same input, other bytes */
	CHECK(memcmp(s1.buf + 20, s2.buf + 20, 44));
	CHECK(memcmp(s1.buf + CRYPT_HEADER_LEN, s2.buf + CRYPT_HEADER_LEN, 64));
	/* an exact multiple of the chunk: the last full chunk is the final one */
	sb_reset(&s1);
	seal(&k->v[0], data, 2 * CHUNK, 4096, &s1);
	CHECK_INT(s1.len, CRYPT_HEADER_LEN + 2 * REC);
	/* nothing at all: one empty final chunk */
	sb_reset(&s1);
	seal(&k->v[0], data, 0, 1, &s1);
	CHECK_INT(s1.len, CRYPT_HEADER_LEN + CRYPT_TAG_LEN);
	sb_release(&s1);
	sb_release(&s2);
	free(data);
	crypt_keys_free(k);
}

/* Decrypt a modified copy: must fail with `code` and a message holding `want`. */
static void expect_fail(const struct crypt_keys *k, const void *p, size_t n, int code, const char *want)
{
	struct strbuf out = STRBUF_INIT, out2 = STRBUF_INIT;
	struct err e = ERR_INIT, e2 = ERR_INIT;

	CHECK(open_push(k, p, n, 333, &out, NULL, &e) < 0);
	CHECK_INT(e.code, code);
	if (!strstr(e.msg, want)) {
		fprintf(stderr, "message \"%s\" lacks \"%s\"\n", e.msg, want);
		unit_failures++;
	}
	/* and the pull reader agrees (a damaged magic reads as a plain file:
	 * the gzip reader above it refuses that) */
	if (n >= 8 && crypt_is_encrypted(p, n)) {
		CHECK(open_pull(k, p, n, 5000, 4096, &out2, NULL, &e2) < 0);
		CHECK_INT(e2.code, code);
	}
	sb_release(&out);
	sb_release(&out2);
}

static void tamper_header(void)
{
	struct crypt_keys *k = keys_of(KEY_HEX);
	struct strbuf s = STRBUF_INIT;
	unsigned char *data = payload(2 * CHUNK + 100);
	size_t i;

	seal(&k->v[0], data, 2 * CHUNK + 100, 4096, &s);
	for (i = 0; i < CRYPT_HEADER_LEN; i++) {
		unsigned char *c = (unsigned char *)s.buf;

		c[i] ^= 0x04;
		expect_fail(k, c, s.len, EXIT_DATAERR, i < 8 ? "not an encrypted backup" : "header");
		c[i] ^= 0x04;
	}
	/* the header checksum recomputed by someone who changes a field: each
	 * field is still bound to every chunk's tag */
	{
		static const size_t fields[] = { 8, 9, 10, 11, 12, 20, 40, 52, 63 };
		unsigned char *c = (unsigned char *)s.buf;
		unsigned char d[SHA256_LEN];

		for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
			unsigned char save[8];
			struct sha256 h;

			memcpy(save, c + 64, 8);
			c[fields[i]] ^= 0x01;
			sha256_init(&h);
			sha256_update(&h, c, 64);
			sha256_final(&h, d);
			memcpy(c + 64, d, 8);
			expect_fail(k, c, s.len, EXIT_DATAERR,
				    fields[i] == 8 ? "format version" : fields[i] == 9 || fields[i] == 11 ? "unknown cipher" :
				    fields[i] == 12 ? "wrong key" : "failed authentication at chunk 0");
			c[fields[i]] ^= 0x01;
			memcpy(c + 64, save, 8);
		}
	}
	sb_release(&s);
	free(data);
	crypt_keys_free(k);
}

static void tamper_chunks(void)
{
	struct crypt_keys *k = keys_of(KEY_HEX);
	struct strbuf s = STRBUF_INIT;
	unsigned char *data = payload(2 * CHUNK + 100);
	unsigned char *c;
	size_t chunk, at[4];
	char want[64];

	seal(&k->v[0], data, 2 * CHUNK + 100, 4096, &s);
	c = (unsigned char *)s.buf;
	for (chunk = 0; chunk < 3; chunk++) {
		size_t start = CRYPT_HEADER_LEN + chunk * REC, len = chunk < 2 ? REC : 100 + CRYPT_TAG_LEN, i;

		at[0] = start;                           /* first ciphertext byte */
		at[1] = start + (len - CRYPT_TAG_LEN) / 2;
		at[2] = start + len - CRYPT_TAG_LEN;     /* first tag byte */
		at[3] = start + len - 1;                 /* last tag byte */
		snprintf(want, sizeof(want), "failed authentication at chunk %zu", chunk);
		for (i = 0; i < 4; i++) {
			c[at[i]] ^= 0x80;
			expect_fail(k, c, s.len, EXIT_DATAERR, want);
			c[at[i]] ^= 0x80;
		}
	}
	{
		struct strbuf out = STRBUF_INIT;
		struct err e = ERR_INIT;

		CHECK(open_push(k, s.buf, s.len, 1, &out, NULL, &e) == 0);   /* untouched again */
		sb_release(&out);
	}
	sb_release(&s);
	free(data);
	crypt_keys_free(k);
}

static void truncated(void)
{
	struct crypt_keys *k = keys_of(KEY_HEX);
	struct strbuf s = STRBUF_INIT;
	unsigned char *data = payload(3 * CHUNK);
	size_t cut;

	seal(&k->v[0], data, 3 * CHUNK, 4096, &s);
	expect_fail(k, s.buf, 0, EXIT_DATAERR, "is empty");
	expect_fail(k, s.buf, 40, EXIT_DATAERR, "truncated inside its encryption header");
	expect_fail(k, s.buf, CRYPT_HEADER_LEN, EXIT_DATAERR, "truncated");
	/* at a chunk boundary: the chunk is good but not the final one */
	expect_fail(k, s.buf, CRYPT_HEADER_LEN + REC, EXIT_DATAERR, "ends after chunk 0");
	expect_fail(k, s.buf, CRYPT_HEADER_LEN + 2 * REC, EXIT_DATAERR, "ends after chunk 1");
	for (cut = 1; cut < 3 * REC; cut += 997)
		if (cut % REC)
			expect_fail(k, s.buf, CRYPT_HEADER_LEN + cut, EXIT_DATAERR, "chunk");
	expect_fail(k, s.buf, s.len - 1, EXIT_DATAERR, "chunk 2");
	sb_release(&s);
	free(data);
	crypt_keys_free(k);
}

static void reordered(void)
{
	struct crypt_keys *k = keys_of(KEY_HEX);
	struct strbuf s = STRBUF_INIT, t = STRBUF_INIT;
	unsigned char *data = payload(3 * CHUNK + 10);
	const char *h;

	seal(&k->v[0], data, 3 * CHUNK + 10, 4096, &s);
	h = s.buf;
	/* chunks 1 and 0 swapped */
	sb_add(&t, h, CRYPT_HEADER_LEN);
	sb_add(&t, h + CRYPT_HEADER_LEN + REC, REC);
	sb_add(&t, h + CRYPT_HEADER_LEN, REC);
	sb_add(&t, h + CRYPT_HEADER_LEN + 2 * REC, s.len - CRYPT_HEADER_LEN - 2 * REC);
	expect_fail(k, t.buf, t.len, EXIT_DATAERR, "failed authentication at chunk 0");
	/* chunk 1 dropped */
	sb_reset(&t);
	sb_add(&t, h, CRYPT_HEADER_LEN + REC);
	sb_add(&t, h + CRYPT_HEADER_LEN + 2 * REC, s.len - CRYPT_HEADER_LEN - 2 * REC);
	expect_fail(k, t.buf, t.len, EXIT_DATAERR, "failed authentication at chunk 1");
	/* chunk 0 repeated */
	sb_reset(&t);
	sb_add(&t, h, CRYPT_HEADER_LEN + REC);
	sb_add(&t, h + CRYPT_HEADER_LEN, s.len - CRYPT_HEADER_LEN);
	expect_fail(k, t.buf, t.len, EXIT_DATAERR, "failed authentication at chunk 1");
	/* bytes after the final chunk */
	sb_reset(&t);
	sb_add(&t, h, s.len);
	sb_add(&t, "x", 1);
	expect_fail(k, t.buf, t.len, EXIT_DATAERR, "failed authentication at chunk 3");
	/* a chunk of another file with the same key (other salt: other data key) */
	{
		struct strbuf o = STRBUF_INIT;

		seal(&k->v[0], data, 3 * CHUNK + 10, 4096, &o);
		sb_reset(&t);
		sb_add(&t, h, CRYPT_HEADER_LEN + REC);
		sb_add(&t, o.buf + CRYPT_HEADER_LEN + REC, o.len - CRYPT_HEADER_LEN - REC);
		expect_fail(k, t.buf, t.len, EXIT_DATAERR, "failed authentication at chunk 1");
		sb_release(&o);
	}
	sb_release(&s);
	sb_release(&t);
	free(data);
	crypt_keys_free(k);
}

static void wrong_key(void)
{
	struct crypt_keys *k = keys_of(KEY_HEX), *other = keys_of(OTHER_HEX), *both;
	struct strbuf s = STRBUF_INIT, out = STRBUF_INIT;
	struct crypt_keys none = { 0 };
	unsigned char *data = payload(5000);
	struct err e = ERR_INIT;
	char text[200];

	seal(&k->v[0], data, 5000, 4096, &s);
	expect_fail(other, s.buf, s.len, EXIT_DATAERR, "wrong key");
	CHECK(open_push(other, s.buf, s.len, 4096, &out, NULL, &e) < 0);
	CHECK(strstr(e.msg, k->v[0].idhex) && strstr(e.msg, other->v[0].idhex));
	expect_fail(NULL, s.buf, s.len, EXIT_CONFIG, "no backup key is configured");
	expect_fail(&none, s.buf, s.len, EXIT_CONFIG, "no backup key is configured");
	/* rotation: the new key first, the old one after it still reads */
	snprintf(text, sizeof(text), "# new\n%s\n# old\n%s\n", OTHER_HEX, KEY_HEX);
	both = keys_of(text);
	CHECK_INT(both->n, 2);
	sb_reset(&out);
	CHECK(open_push(both, s.buf, s.len, 4096, &out, NULL, &e) == 0);
	CHECK_INT(out.len, 5000);
	sb_release(&s);
	sb_release(&out);
	free(data);
	crypt_keys_free(k);
	crypt_keys_free(other);
	crypt_keys_free(both);
}

static void key_formats(void)
{
	/* the same key as hex, upper-case hex, base64 with and without '=' */
	static const char *const forms[] = {
		"000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
		"  000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F\r\n",
		"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=",
		"# a comment\n\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8\n",
	};
	struct crypt_keys k, *ref = keys_of(KEY_HEX);
	struct err e = ERR_INIT;
	unsigned char raw[32];
	size_t i;

	for (i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
		memset(&k, 0, sizeof(k));
		CHECK(crypt_keys_parse(forms[i], strlen(forms[i]), 0, "test", &k, &e) == 0);
		CHECK_INT(k.n, 1);
		CHECK(!memcmp(k.v[0].key, ref->v[0].key, 32));
	}
	for (i = 0; i < 32; i++)
		raw[i] = (unsigned char)i;
	memset(&k, 0, sizeof(k));
	CHECK(crypt_keys_parse((const char *)raw, 32, 1, "test", &k, &e) == 0);
	CHECK_STR(k.v[0].idhex, ref->v[0].idhex);
	/* several, comma- or line-separated */
	memset(&k, 0, sizeof(k));
	CHECK(crypt_keys_parse(KEY_HEX "," OTHER_HEX, 129, 0, "test", &k, &e) == 0);
	CHECK_INT(k.n, 2);
	/* bad ones: line named, the text never repeated */
	memset(&k, 0, sizeof(k));
	CHECK(crypt_keys_parse("# c\n" KEY_HEX "\nsecretpassword123\n", 4 + 65 + 18, 0, "backup key file \"k\"", &k,
			       &e) < 0);
	CHECK_INT(e.code, EXIT_CONFIG);
	CHECK(strstr(e.msg, "line 3") && strstr(e.msg, "backup key file \"k\"") && !strstr(e.msg, "secretpassword"));
	memset(&k, 0, sizeof(k));
	CHECK(crypt_keys_parse(KEY_HEX "0", 65, 0, "t", &k, &e) < 0);        /* 65 hex digits */
	memset(&k, 0, sizeof(k));
	CHECK(crypt_keys_parse("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh9=", 44, 0, "t", &k, &e) < 0);  /* not canonical */
	memset(&k, 0, sizeof(k));
	CHECK(crypt_keys_parse("# only a comment\n", 17, 0, "t", &k, &e) < 0);
	CHECK(strstr(e.msg, "holds no key") != NULL);
	/* the loader: a file, PREDEPLOY_BACKUP_KEY's text, or nothing */
	{
		char path[] = "/tmp/predeploy-key-XXXXXX";
		int fd = mkstemp(path);
		struct crypt_keys *l;

		CHECK(fd >= 0 && write(fd, raw, 32) == 32);
		close(fd);
		l = crypt_keys_load(path, "ignored: the file wins", &e);
		CHECK(l && l->n == 1 && !strcmp(l->v[0].idhex, ref->v[0].idhex));
		crypt_keys_free(l);
		unlink(path);
		err_clear(&e);
		CHECK(crypt_keys_load(path, NULL, &e) == NULL);
		CHECK_INT(e.code, EXIT_CONFIG);
		CHECK(strstr(e.msg, path) != NULL);
		err_clear(&e);
		CHECK(crypt_keys_load(NULL, NULL, &e) == NULL);
		CHECK_INT(e.code, 0);
		l = crypt_keys_load(NULL, OTHER_HEX, &e);
		CHECK(l && l->n == 1);
		crypt_keys_free(l);
	}
	crypt_keys_free(ref);
}

/* The id is HKDF-SHA256(key, "", "predeploy backup key id v1")[0..8], as
 * `openssl kdf -keylen 8 -kdfopt digest:SHA256 -kdfopt hexkey:<key>
 * -kdfopt info:"predeploy backup key id v1" HKDF` prints it (docs/backups.md). */
static void key_id_vector(void)
{
	struct crypt_keys *k = keys_of(KEY_HEX);

	CHECK_STR(k->v[0].idhex, "824337d62fa335d2");
	crypt_keys_free(k);
}

static void plain_passthrough(void)
{
	unsigned char *data = payload(300000);
	struct strbuf out = STRBUF_INIT;
	struct crypt_keys *k = keys_of(KEY_HEX);
	struct err e = ERR_INIT;
	char sha[SHA256_HEX_LEN], want[SHA256_HEX_LEN];

	data[0] = 0x1f;
	data[1] = 0x8b;
	sha256_hex_of(data, 300000, want);
	CHECK(open_pull(k, data, 300000, 3, 70000, &out, sha, &e) == 0);   /* 3-byte reads: the sniff waits for 8 */
	CHECK_INT(out.len, 300000);
	CHECK(!memcmp(out.buf, data, 300000));
	CHECK_STR(sha, want);
	sb_reset(&out);
	CHECK(open_pull(NULL, data, 5, 5, 100, &out, sha, &e) == 0);          /* shorter than the magic */
	CHECK_INT(out.len, 5);
	sb_release(&out);
	free(data);
	crypt_keys_free(k);
}

UNIT_CASES(UNIT(roundtrip), UNIT(layout), UNIT(tamper_header), UNIT(tamper_chunks), UNIT(truncated),
	   UNIT(reordered), UNIT(wrong_key), UNIT(key_formats), UNIT(key_id_vector), UNIT(plain_passthrough))
