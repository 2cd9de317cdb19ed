/*
 * crypt_keys: the backup encryption keys (--backup-key-file FILE,
 * PREDEPLOY_BACKUP_KEY_FILE, or the key text itself in PREDEPLOY_BACKUP_KEY;
 * docs/backups.md "Encryption").
 *
 *   struct crypt_keys *k = crypt_keys_load(cfg->backup_key_file, cfg->backup_key, &err);
 *   if (!k && err.code) ...          // EXIT_CONFIG, naming the file and line
 *   // k == NULL and no error: no key configured (backups are not encrypted)
 *   k->v[0]                          // the key new backups are encrypted with
 *   crypt_keys_find(k, id)           // any listed key reads
 *   crypt_keys_free(k);              // wipes them
 *
 * Formats: a file of exactly 32 bytes is one raw key.  Otherwise the text
 * holds one or more keys separated by newlines, commas or blanks, each 64
 * hexadecimal digits or the standard base64 of 32 bytes ('=' padding
 * optional); '#' starts a comment up to the end of its line.  The first key
 * encrypts, every key decrypts (rotation: put the new key first and keep
 * the old ones after it until their backups are gone).  Every key, in the
 * form it was written and as lower-case hex and base64, is registered with
 * the log's redaction as soon as it is read; error messages name the line,
 * never the text.
 *
 * A key's id is HKDF-SHA256(key, salt "", info "predeploy backup key id v1")
 * cut to 8 bytes, shown as 16 hex digits: it tells a wrong key from a
 * damaged file and says which key a backup needs, and reveals nothing of
 * the key.
 */
#ifndef PREDEPLOY_CRYPT_KEYS_H
#define PREDEPLOY_CRYPT_KEYS_H

#include <stddef.h>

#include "util/err.h"

#define CRYPT_KEY_LEN 32
#define CRYPT_KEY_ID_LEN 8
#define CRYPT_KEY_ID_HEX (2 * CRYPT_KEY_ID_LEN + 1)
#define CRYPT_KEYS_MAX 16

struct crypt_key {
	unsigned char key[CRYPT_KEY_LEN];
	unsigned char id[CRYPT_KEY_ID_LEN];
	char idhex[CRYPT_KEY_ID_HEX];
};

struct crypt_keys {
	int n;
	struct crypt_key v[CRYPT_KEYS_MAX];
};

/* From `file` when it is set, else from `text` (PREDEPLOY_BACKUP_KEY);
 * NULL with e->code == 0 when both are NULL.  Errors are EXIT_CONFIG. */
struct crypt_keys *crypt_keys_load(const char *file, const char *text, struct err *e);
/* Parse key text (or a 32-byte raw key when raw is set); `what` names the
 * source in errors ("backup key file \"k\"").  Appends to *out. */
int crypt_keys_parse(const char *text, size_t len, int raw, const char *what, struct crypt_keys *out,
		     struct err *e);
void crypt_keys_free(struct crypt_keys *k);

/* The key with this id, or NULL. */
const struct crypt_key *crypt_keys_find(const struct crypt_keys *k, const unsigned char id[CRYPT_KEY_ID_LEN]);
/* "1a2b..., 3c4d..." of every key, into buf. */
void crypt_keys_ids(const struct crypt_keys *k, char *buf, size_t cap);
/* The id of a key (0, or -1 with EXIT_INTERNAL when OpenSSL fails). */
int crypt_key_id(const unsigned char key[CRYPT_KEY_LEN], unsigned char id[CRYPT_KEY_ID_LEN], struct err *e);

/* HKDF-SHA256 through OpenSSL's EVP_KDF (used by crypt_stream.c too). */
int crypt_hkdf(const unsigned char *key, size_t keylen, const unsigned char *salt, size_t saltlen,
	       const char *info, unsigned char *out, size_t outlen, struct err *e);

#endif
