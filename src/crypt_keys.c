/* crypt_keys: see crypt_keys.h. */
#include "crypt_keys.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>

#include "log.h"
#include "util/exitcode.h"
#include "util/fsutil.h"
#include "util/sha256.h"
#include "util/strbuf.h"
#include "util/xalloc.h"
#include "util/banned.h"

#define KEY_FILE_CAP (64 * 1024)
#define ID_INFO "predeploy backup key id v1"

int crypt_hkdf(const unsigned char *key, size_t keylen, const unsigned char *salt, size_t saltlen,
	       const char *info, unsigned char *out, size_t outlen, struct err *e)
{
	EVP_KDF *kdf = EVP_KDF_fetch(NULL, "HKDF", NULL);
	EVP_KDF_CTX *ctx = kdf ? EVP_KDF_CTX_new(kdf) : NULL;
	OSSL_PARAM p[5], *q = p;
	int ok;

	*q++ = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, (char *)"SHA256", 0);
	*q++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, (void *)key, keylen);
	if (saltlen)
		*q++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, (void *)salt, saltlen);
	*q++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, (void *)info, strlen(info));
	*q = OSSL_PARAM_construct_end();
	ok = ctx && EVP_KDF_derive(ctx, out, outlen, p) == 1;
	EVP_KDF_CTX_free(ctx);
	EVP_KDF_free(kdf);
	if (!ok)
		return err_set(e, EXIT_INTERNAL, "HKDF-SHA256 failed in OpenSSL");
	return 0;
}

int crypt_key_id(const unsigned char key[CRYPT_KEY_LEN], unsigned char id[CRYPT_KEY_ID_LEN], struct err *e)
{
	return crypt_hkdf(key, CRYPT_KEY_LEN, NULL, 0, ID_INFO, id, CRYPT_KEY_ID_LEN, e);
}

/* A token of 64 hex digits or base64 of exactly 32 bytes (43 characters,
 * or 44 with one '=').  0 on success. */
static int decode(const char *t, size_t n, unsigned char out[CRYPT_KEY_LEN])
{
	char tok[45], back[49];
	unsigned char buf[48];
	size_t i;

	if (n == 2 * CRYPT_KEY_LEN) {
		for (i = 0; i < n && hex_digit(t[i]) >= 0; i++)
			;
		if (i == n) {
			for (i = 0; i < CRYPT_KEY_LEN; i++)
				out[i] = (unsigned char)(hex_digit(t[2 * i]) << 4 | hex_digit(t[2 * i + 1]));
			return 0;
		}
	}
	if (n == 44 && t[43] == '=')
		n = 43;
	if (n != 43)
		return -1;
	memcpy(tok, t, 43);
	tok[43] = '=';
	tok[44] = '\0';
	/* 43 characters carry 258 bits: the last 2 must be zero, which the
	 * encoding of what was decoded shows (canonical form only) */
	if (base64_decode(tok, buf) != CRYPT_KEY_LEN)
		return -1;
	base64_encode(buf, CRYPT_KEY_LEN, back);
	if (memcmp(back, tok, 44))
		return -1;
	memcpy(out, buf, CRYPT_KEY_LEN);
	return 0;
}

/* The key as written, as hex and as base64: never shown in a log line. */
static void redact(const char *t, size_t n, const unsigned char key[CRYPT_KEY_LEN])
{
	char form[2 * CRYPT_KEY_LEN + 1];
	unsigned char b64[48];
	char *tok = xmalloc(n + 1);

	memcpy(tok, t, n);
	tok[n] = '\0';
	log_add_secret(tok);
	OPENSSL_cleanse(tok, n);
	free(tok);
	hex_encode(key, CRYPT_KEY_LEN, form);
	log_add_secret(form);
	OPENSSL_cleanse(form, sizeof(form));
	EVP_EncodeBlock(b64, key, CRYPT_KEY_LEN);
	log_add_secret((char *)b64);
	b64[43] = '\0';             /* unpadded too */
	log_add_secret((char *)b64);
	OPENSSL_cleanse(b64, sizeof(b64));
}

static int add_key(struct crypt_keys *out, const unsigned char key[CRYPT_KEY_LEN], const char *what, long line,
		   struct err *e)
{
	struct crypt_key *k;

	if (out->n == CRYPT_KEYS_MAX)
		return err_set(e, EXIT_CONFIG, "%s, line %ld: more than %d keys", what, line, CRYPT_KEYS_MAX);
	k = &out->v[out->n];
	memcpy(k->key, key, CRYPT_KEY_LEN);
	if (crypt_key_id(k->key, k->id, e) < 0)
		return -1;
	hex_encode(k->id, CRYPT_KEY_ID_LEN, k->idhex);
	out->n++;
	return 0;
}

int crypt_keys_parse(const char *text, size_t len, int raw, const char *what, struct crypt_keys *out,
		     struct err *e)
{
	unsigned char key[CRYPT_KEY_LEN];
	const char *p = text, *end = text + len;
	long line = 1;
	int before = out->n, ret = 0;

	if (raw) {
		redact("", 0, (const unsigned char *)text);
		return add_key(out, (const unsigned char *)text, what, 1, e);
	}
	while (p < end && !ret) {
		const char *t;

		if (*p == '\n') {
			line++;
			p++;
			continue;
		}
		if (*p == ' ' || *p == '\t' || *p == '\r' || *p == ',') {
			p++;
			continue;
		}
		if (*p == '#') {
			while (p < end && *p != '\n')
				p++;
			continue;
		}
		for (t = p; p < end && !strchr(" \t\r\n,#", *p); p++)
			;
		if (decode(t, (size_t)(p - t), key) < 0) {
			/* the token itself is never repeated: it may be a key with a typo */
			err_set(e, EXIT_CONFIG, "%s, line %ld: not a key (expected 64 hexadecimal digits or the "
				"base64 of 32 bytes, %zu characters found)", what, line, (size_t)(p - t));
			err_hint(e, "generate a key with: openssl rand -hex 32");
			ret = -1;
			break;
		}
		redact(t, (size_t)(p - t), key);
		ret = add_key(out, key, what, line, e);
	}
	OPENSSL_cleanse(key, sizeof(key));
	if (!ret && out->n == before)
		ret = err_set(e, EXIT_CONFIG, "%s holds no key", what);
	return ret;
}

struct crypt_keys *crypt_keys_load(const char *file, const char *text, struct err *e)
{
	struct crypt_keys *k;
	struct strbuf sb = STRBUF_INIT;
	char what[600];
	int ret;

	if (!file && (!text || !*text))
		return NULL;
	k = xcalloc(1, sizeof(*k));
	if (file) {
		struct stat st;

		snprintf(what, sizeof(what), "backup key file \"%s\"", file);
		if (fs_read_regular(file, KEY_FILE_CAP, &sb, EXIT_CONFIG, e) < 0) {
			e->code = EXIT_CONFIG;
			err_hint(e, "--backup-key-file / PREDEPLOY_BACKUP_KEY_FILE names a file of keys "
				 "(docs/backups.md \"Encryption\")");
			free(k);
			sb_release(&sb);
			return NULL;
		}
		if (stat(file, &st) == 0 && (st.st_mode & 077))
			log_warn("the backup key file \"%s\" can be read by other users (mode %03o): chmod 600 it",
				 file, (unsigned)(st.st_mode & 0777));
		ret = crypt_keys_parse(sb.buf, sb.len, sb.len == CRYPT_KEY_LEN, what, k, e);
		OPENSSL_cleanse(sb.buf, sb.len);
	} else {
		snprintf(what, sizeof(what), "PREDEPLOY_BACKUP_KEY");
		ret = crypt_keys_parse(text, strlen(text), 0, what, k, e);
	}
	sb_release(&sb);
	if (ret < 0) {
		crypt_keys_free(k);
		return NULL;
	}
	return k;
}

void crypt_keys_free(struct crypt_keys *k)
{
	if (!k)
		return;
	OPENSSL_cleanse(k, sizeof(*k));
	free(k);
}

const struct crypt_key *crypt_keys_find(const struct crypt_keys *k, const unsigned char id[CRYPT_KEY_ID_LEN])
{
	int i;

	for (i = 0; k && i < k->n; i++)
		if (!memcmp(k->v[i].id, id, CRYPT_KEY_ID_LEN))
			return &k->v[i];
	return NULL;
}

void crypt_keys_ids(const struct crypt_keys *k, char *buf, size_t cap)
{
	size_t len = 0;
	int i;

	if (cap)
		buf[0] = '\0';
	for (i = 0; k && i < k->n && len + CRYPT_KEY_ID_HEX + 2 < cap; i++)
		len += (size_t)snprintf(buf + len, cap - len, "%s%s", i ? ", " : "", k->v[i].idhex);
}
