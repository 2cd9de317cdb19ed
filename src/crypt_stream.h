/*
 * crypt_stream: authenticated encryption of a backup stream, AES-256-GCM
 * through OpenSSL EVP in independent chunks (docs/backups.md "Encryption"
 * has the format).  It sits after gzip: pg_dump -> gzip -> cenc -> storage.
 *
 *   header (72 bytes)
 *     0  8  magic "\x89PDENC\r\n"
 *     8  1  format version (1)
 *     9  1  cipher (1: AES-256-GCM, data key by HKDF-SHA256)
 *    10  1  log2 of the plaintext chunk size (16: 64 KiB; 12..24 accepted)
 *    11  1  reserved, 0
 *    12  8  key id (crypt_keys.h)
 *    20 32  salt: data key = HKDF-SHA256(key, salt, "predeploy backup v1 aes-256-gcm")
 *    52 12  nonce base
 *    64  8  the first 8 bytes of SHA-256(bytes 0..63): a damaged header is
 *           told apart from a wrong key
 *   then records: chunk i sealed = ciphertext || 16-byte tag, where every
 *   chunk but the last holds exactly the chunk size of plaintext and the
 *   last holds 0..chunk size; nonce = nonce base XOR i (big-endian, last 8
 *   bytes); AAD = the 72 header bytes || i (8 bytes big-endian) || final
 *   flag (1 byte).  So a changed byte anywhere, a dropped, repeated or
 *   reordered chunk, a cut at any place and bytes appended after the end
 *   all fail a tag.
 *
 * Writing (backup.c):
 *   struct cenc *c = cenc_new(&keys->v[0], sink, ctx, &err);
 *   cenc_write(c, gz, n, &err); ...
 *   cenc_finish(c, &err);           // seals the final chunk
 *   cenc_free(c);
 *
 * Decrypting pushed bytes (the in-stream check of what was stored):
 *   struct cdec *d = cdec_new(keys, "s3://b/x.sql.gz.enc", out, ctx);
 *   cdec_feed(d, sealed, n, &err); ... cdec_finish(d, &err);
 *   cdec_sha256(d, hex);            // SHA-256 of every sealed byte fed
 * out() is only ever given plaintext whose tag was verified.
 *
 * Reading (restore, verification): a pull reader that also takes files
 * that are not encrypted (they are passed through unchanged), so callers
 * have one path:
 *   struct crd *r = crd_open(keys, path, source, ctx);
 *   while ((n = crd_read(r, buf, cap, &err)) > 0) ...
 *   crd_sha256(r, hex);             // of the stored bytes read
 *   crd_free(r);
 *
 * Errors: EXIT_DATAERR for a damaged, truncated or extended file and for
 * a key id that no configured key has ("wrong key", with both ids);
 * EXIT_CONFIG for an encrypted file when no key is configured at all;
 * EXIT_INTERNAL when OpenSSL fails.  Memory: two chunks per stream.
 */
#ifndef PREDEPLOY_CRYPT_STREAM_H
#define PREDEPLOY_CRYPT_STREAM_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "crypt_keys.h"
#include "util/err.h"
#include "util/sha256.h"

#define CRYPT_MAGIC "\x89PDENC\r\n"
#define CRYPT_MAGIC_LEN 8
#define CRYPT_HEADER_LEN 72
#define CRYPT_TAG_LEN 16
#define CRYPT_CHUNK_SHIFT 16          /* 64 KiB of plaintext per chunk */
#define CRYPT_SUFFIX ".enc"

typedef int (*crypt_sink_fn)(void *ctx, const void *p, size_t n, struct err *e);
typedef ssize_t (*crypt_source_fn)(void *ctx, void *buf, size_t cap, struct err *e);

/* Whether these first bytes (n >= CRYPT_MAGIC_LEN) start an encrypted file. */
int crypt_is_encrypted(const void *head, size_t n);

struct cenc;
struct cenc *cenc_new(const struct crypt_key *key, crypt_sink_fn sink, void *ctx, struct err *e);
/* Same with another chunk size (tests; 12..24). */
struct cenc *cenc_new_chunk(const struct crypt_key *key, int shift, crypt_sink_fn sink, void *ctx,
			    struct err *e);
int cenc_write(struct cenc *c, const void *p, size_t n, struct err *e);
int cenc_finish(struct cenc *c, struct err *e);
uint64_t cenc_bytes_out(const struct cenc *c);
void cenc_free(struct cenc *c);

struct cdec;
/* `what` (may be NULL; copied) names the file in errors, as their e->file. */
struct cdec *cdec_new(const struct crypt_keys *keys, const char *what, crypt_sink_fn out, void *ctx);
int cdec_feed(struct cdec *d, const void *p, size_t n, struct err *e);
int cdec_finish(struct cdec *d, struct err *e);
void cdec_sha256(struct cdec *d, char hex[SHA256_HEX_LEN]);
void cdec_free(struct cdec *d);

struct crd;
struct crd *crd_open(const struct crypt_keys *keys, const char *what, crypt_source_fn src, void *ctx);
ssize_t crd_read(struct crd *r, void *buf, size_t cap, struct err *e);
void crd_sha256(struct crd *r, char hex[SHA256_HEX_LEN]);
void crd_free(struct crd *r);

#endif
