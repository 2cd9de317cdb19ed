/* crypt_stream: see crypt_stream.h.  No primitive is written here: the
 * cipher, the KDF, the digest and the random bytes are OpenSSL's (EVP). */
#include "crypt_stream.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "util/exitcode.h"
#include "util/strbuf.h"
#include "util/xalloc.h"
#include "util/banned.h"

#define FORMAT_VERSION 1
#define CIPHER_AES256GCM 1
#define SALT_LEN 32
#define NONCE_LEN 12
#define CHECK_LEN 8
#define SHIFT_MIN 12
#define SHIFT_MAX 24
#define DATA_INFO "predeploy backup v1 aes-256-gcm"
#define AAD_LEN (CRYPT_HEADER_LEN + 9)
#define READ_CAP ((1u << CRYPT_CHUNK_SHIFT) + CRYPT_TAG_LEN)

/* header offsets */
enum { H_VERSION = 8, H_CIPHER = 9, H_SHIFT = 10, H_RESERVED = 11, H_KEYID = 12, H_SALT = 20, H_NONCE = 52,
       H_CHECK = 64 };

int crypt_is_encrypted(const void *head, size_t n)
{
	return n >= CRYPT_MAGIC_LEN && !memcmp(head, CRYPT_MAGIC, CRYPT_MAGIC_LEN);
}

static int header_check(const unsigned char *h, unsigned char out[CHECK_LEN], struct err *e)
{
	unsigned char d[EVP_MAX_MD_SIZE];
	unsigned int n = 0;

	if (EVP_Digest(h, H_CHECK, d, &n, EVP_sha256(), NULL) != 1)
		return err_set(e, EXIT_INTERNAL, "SHA-256 failed in OpenSSL");
	memcpy(out, d, CHECK_LEN);
	return 0;
}

/* The hex digest of a running SHA-256 (util/sha256.h), which it releases;
 * "" when it was never started. */
static void digest_hex(struct sha256 *h, char hex[SHA256_HEX_LEN])
{
	unsigned char d[SHA256_LEN];

	hex[0] = '\0';
	if (!h->ctx)
		return;
	sha256_final(h, d);
	sha256_hex(d, hex);
}

/* ---- one chunk, either direction ---- */

struct seal {
	EVP_CIPHER_CTX *ctx;
	unsigned char header[CRYPT_HEADER_LEN];
	uint64_t index;
	size_t chunk;
	int enc;
};

static int seal_init(struct seal *s, const struct crypt_key *k, int enc, struct err *e)
{
	unsigned char dk[32];
	int ok;

	if (crypt_hkdf(k->key, CRYPT_KEY_LEN, s->header + H_SALT, SALT_LEN, DATA_INFO, dk, sizeof(dk), e) < 0)
		return -1;
	s->ctx = EVP_CIPHER_CTX_new();
	ok = s->ctx && EVP_CipherInit_ex(s->ctx, EVP_aes_256_gcm(), NULL, dk, NULL, enc) == 1;
	OPENSSL_cleanse(dk, sizeof(dk));
	if (!ok)
		return err_set(e, EXIT_INTERNAL, "could not set up AES-256-GCM in OpenSSL");
	s->chunk = (size_t)1 << s->header[H_SHIFT];
	s->enc = enc;
	return 0;
}

/* Chunk s->index of n bytes, in -> out.  Encrypting writes the tag;
 * decrypting checks it: 1 when it matches, 0 when not. */
static int seal_chunk(struct seal *s, int final, const unsigned char *in, size_t n, unsigned char *out,
		      unsigned char tag[CRYPT_TAG_LEN])
{
	unsigned char iv[NONCE_LEN], aad[AAD_LEN], scratch[32];
	int len, i;

	memcpy(iv, s->header + H_NONCE, NONCE_LEN);
	for (i = 0; i < 8; i++)
		iv[NONCE_LEN - 1 - i] ^= (unsigned char)(s->index >> (8 * i));
	memcpy(aad, s->header, CRYPT_HEADER_LEN);
	for (i = 0; i < 8; i++)
		aad[CRYPT_HEADER_LEN + i] = (unsigned char)(s->index >> (56 - 8 * i));
	aad[CRYPT_HEADER_LEN + 8] = (unsigned char)(final ? 1 : 0);
	if (EVP_CipherInit_ex(s->ctx, NULL, NULL, NULL, iv, s->enc) != 1 ||
	    EVP_CipherUpdate(s->ctx, NULL, &len, aad, (int)sizeof(aad)) != 1 ||
	    (n && EVP_CipherUpdate(s->ctx, out, &len, in, (int)n) != 1))
		return 0;
	if (!s->enc && EVP_CIPHER_CTX_ctrl(s->ctx, EVP_CTRL_AEAD_SET_TAG, CRYPT_TAG_LEN, tag) != 1)
		return 0;
	if (EVP_CipherFinal_ex(s->ctx, scratch, &len) != 1)
		return 0;
	if (s->enc && EVP_CIPHER_CTX_ctrl(s->ctx, EVP_CTRL_AEAD_GET_TAG, CRYPT_TAG_LEN, tag) != 1)
		return 0;
	return 1;
}

/* ---- writing ---- */

struct cenc {
	struct seal s;
	crypt_sink_fn sink;
	void *ctx;
	unsigned char *in, *out;
	size_t have;
	int started, finished;
	uint64_t bytes_out;
};

struct cenc *cenc_new_chunk(const struct crypt_key *key, int shift, crypt_sink_fn sink, void *ctx,
			    struct err *e)
{
	struct cenc *c = xcalloc(1, sizeof(*c));
	unsigned char *h = c->s.header;

	memcpy(h, CRYPT_MAGIC, CRYPT_MAGIC_LEN);
	h[H_VERSION] = FORMAT_VERSION;
	h[H_CIPHER] = CIPHER_AES256GCM;
	h[H_SHIFT] = (unsigned char)shift;
	h[H_RESERVED] = 0;
	memcpy(h + H_KEYID, key->id, CRYPT_KEY_ID_LEN);
	if (shift < SHIFT_MIN || shift > SHIFT_MAX) {
		err_set(e, EXIT_INTERNAL, "chunk size 2^%d is out of range", shift);
		goto fail;
	}
	if (RAND_bytes(h + H_SALT, SALT_LEN + NONCE_LEN) != 1) {
		err_set(e, EXIT_INTERNAL, "could not get random bytes from OpenSSL for the backup's salt");
		goto fail;
	}
	if (header_check(h, h + H_CHECK, e) < 0 || seal_init(&c->s, key, 1, e) < 0)
		goto fail;
	c->sink = sink;
	c->ctx = ctx;
	c->in = xmalloc(c->s.chunk);
	c->out = xmalloc(c->s.chunk + CRYPT_TAG_LEN);
	return c;
fail:
	cenc_free(c);
	return NULL;
}

struct cenc *cenc_new(const struct crypt_key *key, crypt_sink_fn sink, void *ctx, struct err *e)
{
	return cenc_new_chunk(key, CRYPT_CHUNK_SHIFT, sink, ctx, e);
}

static int emit(struct cenc *c, const void *p, size_t n, struct err *e)
{
	c->bytes_out += n;
	return c->sink(c->ctx, p, n, e);
}

static int cenc_seal(struct cenc *c, int final, struct err *e)
{
	size_t n = c->have;

	if (!c->started) {
		c->started = 1;
		if (emit(c, c->s.header, CRYPT_HEADER_LEN, e) < 0)
			return -1;
	}
	if (!seal_chunk(&c->s, final, c->in, n, c->out, c->out + n))
		return err_set(e, EXIT_INTERNAL, "AES-256-GCM encryption failed in OpenSSL");
	c->s.index++;
	c->have = 0;
	return emit(c, c->out, n + CRYPT_TAG_LEN, e);
}

int cenc_write(struct cenc *c, const void *p, size_t n, struct err *e)
{
	const unsigned char *q = p;

	if (c->finished)
		return err_set(e, EXIT_INTERNAL, "cenc_write after cenc_finish");
	while (n) {
		size_t k;

		/* a full chunk is sealed only once more bytes show it is not the last */
		if (c->have == c->s.chunk && cenc_seal(c, 0, e) < 0)
			return -1;
		k = c->s.chunk - c->have < n ? c->s.chunk - c->have : n;
		memcpy(c->in + c->have, q, k);
		c->have += k;
		q += k;
		n -= k;
	}
	return 0;
}

int cenc_finish(struct cenc *c, struct err *e)
{
	if (c->finished)
		return err_set(e, EXIT_INTERNAL, "cenc_finish twice");
	c->finished = 1;
	return cenc_seal(c, 1, e);
}

uint64_t cenc_bytes_out(const struct cenc *c)
{
	return c->bytes_out;
}

void cenc_free(struct cenc *c)
{
	if (!c)
		return;
	EVP_CIPHER_CTX_free(c->s.ctx);
	if (c->in)
		OPENSSL_cleanse(c->in, c->s.chunk);
	free(c->in);
	free(c->out);
	free(c);
}

/* ---- decrypting pushed bytes ---- */

struct cdec;
static int fail(const struct cdec *d, struct err *e, int code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

struct cdec {
	const struct crypt_keys *keys;
	char *what;
	crypt_sink_fn out;
	void *ctx;
	unsigned char head[CRYPT_HEADER_LEN];
	size_t hlen;
	int ready, failed, hashing;
	struct seal s;
	unsigned char *rec, *plain;
	size_t have, rsize;
	struct sha256 sha;
	char idhex[CRYPT_KEY_ID_HEX];
};

/* The message names the file through e->file (the log prints "FILE: ..."). */
static int fail(const struct cdec *d, struct err *e, int code, const char *fmt, ...)
{
	char msg[sizeof(e->msg)];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	err_set(e, code, "%s", msg);
	if (d->what)
		err_where(e, d->what, 0);
	return -1;
}

static struct cdec *cdec_make(const struct crypt_keys *keys, const char *what, crypt_sink_fn out, void *ctx,
			      int hashing)
{
	struct cdec *d = xcalloc(1, sizeof(*d));

	d->keys = keys;
	d->what = what ? xstrdup(what) : NULL;
	d->out = out;
	d->ctx = ctx;
	d->hashing = hashing;
	if (hashing)
		sha256_init(&d->sha);
	return d;
}

struct cdec *cdec_new(const struct crypt_keys *keys, const char *what, crypt_sink_fn out, void *ctx)
{
	return cdec_make(keys, what, out, ctx, 1);
}

static int parse_header(struct cdec *d, struct err *e)
{
	const unsigned char *h = d->head;
	unsigned char check[CHECK_LEN];
	const struct crypt_key *k;
	char ids[CRYPT_KEYS_MAX * (CRYPT_KEY_ID_HEX + 2)];

	if (!crypt_is_encrypted(h, CRYPT_HEADER_LEN))
		return fail(d, e, EXIT_DATAERR, "not an encrypted backup (it has no encryption header)");
	if (header_check(h, check, e) < 0)
		return -1;
	if (memcmp(check, h + H_CHECK, CHECK_LEN))
		return fail(d, e, EXIT_DATAERR, "the encryption header is damaged (its checksum does not match): "
			    "the file was changed or corrupted");
	if (h[H_VERSION] != FORMAT_VERSION) {
		fail(d, e, EXIT_DATAERR, "the backup is encrypted in format version %d; this predeploy reads "
		     "version %d", h[H_VERSION], FORMAT_VERSION);
		err_hint(e, "restore it with a newer predeploy");
		return -1;
	}
	if (h[H_CIPHER] != CIPHER_AES256GCM || h[H_RESERVED] || h[H_SHIFT] < SHIFT_MIN || h[H_SHIFT] > SHIFT_MAX)
		return fail(d, e, EXIT_DATAERR, "the encryption header names an unknown cipher (%d) or chunk size "
			    "(2^%d)", h[H_CIPHER], h[H_SHIFT]);
	hex_encode(h + H_KEYID, CRYPT_KEY_ID_LEN, d->idhex);
	if (!d->keys || !d->keys->n) {
		fail(d, e, EXIT_CONFIG, "the backup is encrypted (key %s) and no backup key is configured", d->idhex);
		err_hint(e, "give the key it was written with: --backup-key-file FILE, PREDEPLOY_BACKUP_KEY_FILE "
			 "or PREDEPLOY_BACKUP_KEY");
		return -1;
	}
	k = crypt_keys_find(d->keys, h + H_KEYID);
	if (!k) {
		crypt_keys_ids(d->keys, ids, sizeof(ids));
		fail(d, e, EXIT_DATAERR, "wrong key: the backup is encrypted with key %s, which is not one of the "
		     "configured keys (%s)", d->idhex, ids);
		err_hint(e, "list the old key in the key file after the current one: the first key encrypts, "
			 "every key decrypts");
		return -1;
	}
	memcpy(d->s.header, h, CRYPT_HEADER_LEN);
	if (seal_init(&d->s, k, 0, e) < 0)
		return -1;
	d->rsize = d->s.chunk + CRYPT_TAG_LEN;
	d->rec = xmalloc(d->rsize);
	d->plain = xmalloc(d->s.chunk);
	d->ready = 1;
	return 0;
}

/* The record in d->rec (d->have bytes) as chunk d->s.index. */
static int open_record(struct cdec *d, int final, struct err *e)
{
	unsigned long long at = (unsigned long long)CRYPT_HEADER_LEN + d->s.index * d->rsize;
	size_t n;

	if (d->have < CRYPT_TAG_LEN)
		return fail(d, e, EXIT_DATAERR, "the backup is truncated: it ends inside chunk %llu (byte %llu)",
			    (unsigned long long)d->s.index, at + d->have);
	n = d->have - CRYPT_TAG_LEN;
	if (!seal_chunk(&d->s, final, d->rec, n, d->plain, d->rec + n)) {
		if (final && d->have == d->rsize && seal_chunk(&d->s, 0, d->rec, n, d->plain, d->rec + n))
			return fail(d, e, EXIT_DATAERR, "the backup is truncated: it ends after chunk %llu (byte %llu) "
				    "without its final chunk", (unsigned long long)d->s.index, at + d->have);
		return fail(d, e, EXIT_DATAERR, "the backup failed authentication at chunk %llu (bytes %llu to %llu): "
			    "it was changed, damaged or cut short", (unsigned long long)d->s.index, at, at + d->have);
	}
	d->s.index++;
	d->have = 0;
	return n ? d->out(d->ctx, d->plain, n, e) : 0;
}

int cdec_feed(struct cdec *d, const void *p, size_t n, struct err *e)
{
	const unsigned char *q = p;

	if (d->failed)
		return err_set(e, EXIT_INTERNAL, "cdec_feed after a failure");
	if (d->hashing)
		sha256_update(&d->sha, p, n);
	while (n) {
		size_t k;

		if (!d->ready) {
			k = CRYPT_HEADER_LEN - d->hlen < n ? CRYPT_HEADER_LEN - d->hlen : n;
			memcpy(d->head + d->hlen, q, k);
			d->hlen += k;
			q += k;
			n -= k;
			if (d->hlen == CRYPT_HEADER_LEN && parse_header(d, e) < 0)
				goto fail;
			continue;
		}
		/* a full record is opened only once more bytes show it is not the last */
		if (d->have == d->rsize && open_record(d, 0, e) < 0)
			goto fail;
		k = d->rsize - d->have < n ? d->rsize - d->have : n;
		memcpy(d->rec + d->have, q, k);
		d->have += k;
		q += k;
		n -= k;
	}
	return 0;
fail:
	d->failed = 1;
	return -1;
}

int cdec_finish(struct cdec *d, struct err *e)
{
	if (d->failed)
		return err_set(e, EXIT_INTERNAL, "cdec_finish after a failure");
	d->failed = 1;          /* nothing may follow */
	if (!d->ready) {
		if (!d->hlen)
			return fail(d, e, EXIT_DATAERR, "the backup is empty");
		return fail(d, e, EXIT_DATAERR, "the backup is truncated inside its encryption header (%zu of %d "
			    "bytes)", d->hlen, CRYPT_HEADER_LEN);
	}
	return open_record(d, 1, e);
}

void cdec_sha256(struct cdec *d, char hex[SHA256_HEX_LEN])
{
	digest_hex(&d->sha, hex);
}

void cdec_free(struct cdec *d)
{
	if (!d)
		return;
	EVP_CIPHER_CTX_free(d->s.ctx);
	sha256_release(&d->sha);
	free(d->rec);
	free(d->plain);
	free(d->what);
	free(d);
}

/* ---- the pull reader ---- */

struct crd {
	const struct crypt_keys *keys;
	char *what;
	crypt_source_fn src;
	void *ctx;
	int mode;                   /* 0 not known yet, 1 plain, 2 encrypted */
	unsigned char head[CRYPT_MAGIC_LEN];
	size_t hlen, hpos;
	struct cdec *dec;
	struct strbuf out;          /* verified plaintext not handed out yet */
	size_t opos;
	unsigned char *in;
	struct sha256 sha;
	int done;
};

struct crd *crd_open(const struct crypt_keys *keys, const char *what, crypt_source_fn src, void *ctx)
{
	struct crd *r = xcalloc(1, sizeof(*r));

	r->keys = keys;
	r->what = what ? xstrdup(what) : NULL;
	r->src = src;
	r->ctx = ctx;
	sb_init(&r->out, 0);
	sha256_init(&r->sha);
	return r;
}

static ssize_t pull(struct crd *r, void *buf, size_t cap, struct err *e)
{
	ssize_t n = r->src(r->ctx, buf, cap, e);

	if (n > 0)
		sha256_update(&r->sha, buf, (size_t)n);
	return n;
}

static int to_out(void *ctx, const void *p, size_t n, struct err *e)
{
	(void)e;
	sb_add(&((struct crd *)ctx)->out, p, n);
	return 0;
}

/* The first bytes say whether the file is encrypted. */
static int sniff(struct crd *r, struct err *e)
{
	while (r->hlen < CRYPT_MAGIC_LEN) {
		ssize_t n = pull(r, r->head + r->hlen, CRYPT_MAGIC_LEN - r->hlen, e);

		if (n < 0)
			return -1;
		if (n == 0)
			break;
		r->hlen += (size_t)n;
	}
	if (!crypt_is_encrypted(r->head, r->hlen)) {
		r->mode = 1;
		return 0;
	}
	r->mode = 2;
	r->dec = cdec_make(r->keys, r->what, to_out, r, 0);
	r->in = xmalloc(READ_CAP);
	return cdec_feed(r->dec, r->head, r->hlen, e);
}

ssize_t crd_read(struct crd *r, void *buf, size_t cap, struct err *e)
{
	size_t k;

	if (!r->mode && sniff(r, e) < 0)
		return -1;
	if (r->mode == 1) {
		if (r->hpos < r->hlen) {
			k = r->hlen - r->hpos < cap ? r->hlen - r->hpos : cap;
			memcpy(buf, r->head + r->hpos, k);
			r->hpos += k;
			return (ssize_t)k;
		}
		return pull(r, buf, cap, e);
	}
	while (r->opos == r->out.len) {
		ssize_t n;

		if (r->done)
			return 0;
		sb_reset(&r->out);
		r->opos = 0;
		n = pull(r, r->in, READ_CAP, e);
		if (n < 0)
			return -1;
		if (n == 0) {
			r->done = 1;
			if (cdec_finish(r->dec, e) < 0)
				return -1;
		} else if (cdec_feed(r->dec, r->in, (size_t)n, e) < 0) {
			return -1;
		}
	}
	k = r->out.len - r->opos < cap ? r->out.len - r->opos : cap;
	memcpy(buf, r->out.buf + r->opos, k);
	r->opos += k;
	return (ssize_t)k;
}

void crd_sha256(struct crd *r, char hex[SHA256_HEX_LEN])
{
	digest_hex(&r->sha, hex);
}

void crd_free(struct crd *r)
{
	if (!r)
		return;
	cdec_free(r->dec);
	sb_release(&r->out);
	sha256_release(&r->sha);
	free(r->in);
	free(r->what);
	free(r);
}
