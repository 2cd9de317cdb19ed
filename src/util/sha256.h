/*
 * sha256: SHA-256 and HMAC-SHA256, streaming, and base64: OpenSSL's
 * libcrypto behind the small interface the rest of predeploy uses.
 *
 *   struct sha256 h; sha256_init(&h); sha256_update(&h, p, n); ...
 *   sha256_peek(&h, digest);          // the digest so far; h goes on
 *   sha256_final(&h, digest);         // 32 bytes; releases h
 *   sha256_hex(digest, hex);          // 65 bytes incl. NUL
 *
 * A context is released by sha256_final or sha256_release (safe on a
 * released or zeroed one); it cannot be copied by assignment.
 * Migration checksums, backup checksums and webhook signatures use it.
 */
#ifndef PREDEPLOY_SHA256_H
#define PREDEPLOY_SHA256_H

#include <stddef.h>
#include <stdint.h>

#define SHA256_LEN 32
#define SHA256_HEX_LEN 65

struct sha256 {
	struct evp_md_ctx_st *ctx;      /* EVP_MD_CTX */
};

void sha256_init(struct sha256 *h);
void sha256_update(struct sha256 *h, const void *data, size_t len);
void sha256_peek(const struct sha256 *h, unsigned char out[SHA256_LEN]);
void sha256_final(struct sha256 *h, unsigned char out[SHA256_LEN]);
void sha256_release(struct sha256 *h);
void sha256_hex(const unsigned char digest[SHA256_LEN], char out[SHA256_HEX_LEN]);
/* Lowercase hex of n bytes into out (2n + 1 bytes, NUL-terminated). */
void hex_encode(const unsigned char *p, size_t n, char *out);
/* The value of one hex digit (either case), -1 when c is none. */
int hex_digit(char c);
/* One-shot: hex digest of a buffer. */
void sha256_hex_of(const void *data, size_t len, char out[SHA256_HEX_LEN]);
void hmac_sha256(const void *key, size_t keylen, const void *msg, size_t msglen,
		 unsigned char out[SHA256_LEN]);

/* Standard base64 (with padding). out must hold 4*((len+2)/3)+1 bytes. */
size_t base64_encode(const unsigned char *in, size_t len, char *out);
/* Decode standard base64; returns decoded length or -1 on bad input. out
 * must hold 3*(strlen(in)/4)+3 bytes. */
long base64_decode(const char *in, unsigned char *out);

#endif
