/* sha256: see sha256.h.  OpenSSL's libcrypto does the work (EVP, which
 * picks the CPU's SHA extensions or vector code by itself). */
#include "util/sha256.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "util/xalloc.h"
#include "util/banned.h"

void sha256_init(struct sha256 *h)
{
	h->ctx = EVP_MD_CTX_new();
	if (!h->ctx || EVP_DigestInit_ex(h->ctx, EVP_sha256(), NULL) != 1)
		xdie("out of memory (SHA-256)");
}

void sha256_update(struct sha256 *h, const void *data, size_t len)
{
	if (len && EVP_DigestUpdate(h->ctx, data, len) != 1)
		xdie("SHA-256 update failed");
}

void sha256_peek(const struct sha256 *h, unsigned char out[SHA256_LEN])
{
	EVP_MD_CTX *copy = EVP_MD_CTX_new();
	unsigned int n = 0;

	if (!copy || EVP_MD_CTX_copy_ex(copy, h->ctx) != 1 || EVP_DigestFinal_ex(copy, out, &n) != 1)
		xdie("SHA-256 copy failed");
	EVP_MD_CTX_free(copy);
}

void sha256_final(struct sha256 *h, unsigned char out[SHA256_LEN])
{
	unsigned int n = 0;

	if (EVP_DigestFinal_ex(h->ctx, out, &n) != 1)
		xdie("SHA-256 final failed");
	sha256_release(h);
}

void sha256_release(struct sha256 *h)
{
	EVP_MD_CTX_free(h->ctx);
	h->ctx = NULL;
}

void hex_encode(const unsigned char *p, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = digits[p[i] >> 4];
		out[2 * i + 1] = digits[p[i] & 15];
	}
	out[2 * n] = '\0';
}

int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

void sha256_hex(const unsigned char d[SHA256_LEN], char out[SHA256_HEX_LEN])
{
	hex_encode(d, SHA256_LEN, out);
}

void sha256_hex_of(const void *data, size_t len, char out[SHA256_HEX_LEN])
{
	unsigned char d[SHA256_LEN];
	unsigned int n = 0;

	if (EVP_Digest(data, len, d, &n, EVP_sha256(), NULL) != 1)
		xdie("SHA-256 failed");
	sha256_hex(d, out);
}

void hmac_sha256(const void *key, size_t keylen, const void *msg, size_t msglen,
		 unsigned char out[SHA256_LEN])
{
	unsigned int n = 0;
	static const unsigned char empty[1];

	if (!HMAC(EVP_sha256(), keylen ? key : empty, (int)keylen, msglen ? msg : empty, msglen, out, &n))
		xdie("HMAC-SHA256 failed");
}

size_t base64_encode(const unsigned char *in, size_t len, char *out)
{
	return (size_t)EVP_EncodeBlock((unsigned char *)out, in, (int)len);
}

/* Standard alphabet; the padding may be left out (some webhook secrets are
 * written without it), but nothing may follow it. */
long base64_decode(const char *in, unsigned char *out)
{
	size_t len = strlen(in), body = len, i;
	char *padded;
	int n, pad = 0;

	while (body && in[body - 1] == '=')
		body--;
	if (len - body > 2 || body % 4 == 1)
		return -1;
	for (i = 0; i < body; i++)   /* EVP_DecodeBlock skips blanks: we do not */
		if (!strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/", in[i]))
			return -1;
	if (!body)
		return 0;
	padded = xmalloc(body + 4);
	memcpy(padded, in, body);
	for (i = body; i % 4; i++) {
		padded[i] = '=';
		pad++;
	}
	n = EVP_DecodeBlock(out, (const unsigned char *)padded, (int)i);
	free(padded);
	return n < 0 ? -1 : (long)n - pad;
}
