/*
 * backup_store: backups as objects in a storage (storage.h): their names,
 * listing, sidecars, retention and reuse.  One code path for a directory
 * and a bucket.
 *
 *   <db>_<YYYYmmddTHHMMSSZ>_<version>.sql.gz        the dump
 *   <db>_<YYYYmmddTHHMMSSZ>_<version>.sql.gz.json   its sidecar, written last:
 *                                                    present = verified
 *   <db>_<YYYYmmddTHHMMSSZ>_<version>.sql.gz.enc    an encrypted one
 *                                                    (crypt_stream.h), and
 *                                                    its .enc.json sidecar
 *
 *   struct backup_list l = BACKUP_LIST_INIT;
 *   backup_list(st, NULL, &l, &err);   // newest first; l.v[i].verified
 *   backup_list_release(&l);
 *
 * Retention and reuse only ever look at names that follow the pattern, so
 * other files in the same place are never touched.
 */
#ifndef PREDEPLOY_BACKUP_STORE_H
#define PREDEPLOY_BACKUP_STORE_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "backup_scope.h"
#include "config.h"
#include "crypt_keys.h"
#include "storage.h"
#include "util/err.h"
#include "util/sha256.h"

#define BACKUP_SIDECAR_CAP (64 * 1024)

struct backup_info {
	char path[4096];             /* the .sql.gz file (taken or reused), as shown */
	char file[1024];             /* its name in the storage */
	char sha256[SHA256_HEX_LEN]; /* of the compressed file */
	int64_t size;                /* compressed bytes */
	int64_t raw_size;            /* uncompressed dump bytes */
	int64_t duration_ms;         /* dump + verify; 0 when reused */
	char key_id[CRYPT_KEY_ID_HEX]; /* encrypted with this key; "" when not encrypted */
	int reused;                  /* 1: a verified backup younger than --backup-reuse */
	int removed;                 /* backups deleted by retention */
};

struct backup_entry {
	char *path;                  /* as shown: "<where>/<file>" */
	char *file;                  /* name in the storage */
	char *database;              /* from the file name */
	char *version;               /* schema version from the file name */
	time_t time;                 /* from the file name (UTC) */
	char when[32];               /* ISO 8601 UTC */
	int64_t size;                /* bytes stored */
	int encrypted;               /* the name ends in .enc */
	char key_id[CRYPT_KEY_ID_HEX]; /* from the sidecar; "" when unknown or not encrypted */
	int verified;                /* sidecar present, parses, matches size */
	char *sha256;                /* from the sidecar; NULL when unverified */
	char *sidecar;               /* sidecar JSON text; NULL when unverified */
};

struct backup_list {
	struct backup_entry *v;      /* newest first */
	int n;
};

#define BACKUP_LIST_INIT { NULL, 0 }

/* The storage the configuration names (--backup-to, else --backup-dir). */
struct storage *backup_store_open(const struct config *cfg, struct err *e);

/* Backups in `st` (for `database`, or every database when NULL), newest
 * first.  A place that does not exist yet is an empty list. */
int backup_list(struct storage *st, const char *database, struct backup_list *out, struct err *e);
void backup_list_release(struct backup_list *l);

/* Parse "<db>_<YYYYmmddTHHMMSSZ>_<version>.sql.gz" (or .sql.gz.enc); 0
 * when it matches. */
int backup_parse_name(const char *file, char *db, size_t dbcap, char *version, size_t vcap,
		      time_t *t);
/* A new backup's name for database `db` at `version` taken at `t`; caller frees. */
char *backup_name(const char *db, const char *version, time_t t);

/* What the sidecar records besides backup_info. */
struct backup_meta {
	const char *database, *server_host, *server_version, *pg_dump_version, *schema_version;
	const struct strlist *pending;   /* may be NULL */
	time_t started;
	const struct backup_scope *scope; /* NULL: full */
};

/* Write "<bi->file>.json" (last: its presence means verified). */
int backup_write_sidecar(struct storage *st, const struct backup_info *bi, const struct backup_meta *m,
			 struct err *e);

/* A verified backup of `database` at `version` younger than reuse_ms and
 * encrypted as a new one would be (keys NULL: not encrypted; else with one
 * of the keys): 1 and *out filled, 0 when there is none (listing errors
 * count as none), -1 with EXIT_DATAERR when the file's SHA-256 no longer matches its
 * sidecar (the file is read completely to hash it).  With `scope` (may
 * be NULL: full wanted) a backup that does not hold as much is passed
 * over (backup_scope_covers); on reuse scope becomes what it holds. */
int backup_find_reusable(struct storage *st, const char *database, const char *version, int64_t reuse_ms,
			 const struct crypt_keys *keys, struct backup_scope *scope, struct backup_info *out,
			 struct err *e);

/* SHA-256 (hex) of object `name`, read completely. */
int backup_hash(struct storage *st, const char *name, char out[SHA256_HEX_LEN], struct err *e);
/* Compare a verified entry's file with its sidecar's SHA-256: 1 match,
 * 0 mismatch, -1 read error. */
int backup_check_hash(struct storage *st, const struct backup_entry *b, struct err *e);

/* Keep the newest `keep` verified backups of `database` (and always
 * `keep_file`); remove the others, sidecar first.  *removed counts them. */
int backup_retain(struct storage *st, const char *database, const char *keep_file, int keep, int *removed,
		  struct err *e);

#endif
