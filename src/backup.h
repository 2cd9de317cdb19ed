/*
 * backup: verified gzipped plain-format dumps (SPEC.md "Backups").
 *
 * pg_dump --format=plain runs as a child (argv array, no shell; the password
 * only in its environment); its stdout is compressed in-process (gzstream)
 * into <dir>/<db>_<YYYYmmddTHHMMSSZ>_<version>.sql.gz, mode 0600, written
 * as "<file>.partial", fsynced, renamed, directory fsynced.  The file is then
 * read back: it must inflate completely, CRC and length must match and the
 * dump must end with pg_dump's completion line.  The sidecar
 * "<file>.sql.gz.json" is written last; a backup without one is not
 * verified and is never listed as such, reused or counted by retention.
 *
 * In the pipeline (inside the migration lock, after lint):
 *
 *   struct backup_info bi;
 *   if (backup_wanted(cfg, npending)) {
 *       if (backup_for_deploy(cfg, &db, current_version, &pending, &bi, &err) < 0)
 *           return err.code;                  // EXIT_BACKUP; nothing left behind
 *       ... bi.path, bi.sha256, bi.reused -> history, webhook ...
 *   }
 *
 * Signals: backup_for_deploy()/backup_take() register the pg_dump pid with
 * proc_watch_child() while it runs, so proc's SIGTERM/SIGINT handler stops
 * the child; the copy loop then sees proc_stop_signal(), unlinks the partial
 * file and fails with e->code = 128 + signal.  backup_abort() is an
 * additional async-signal-safe last resort for a handler that is about to
 * _exit(): it kills the child and unlinks the partial file (both recorded
 * in static storage before the child starts).
 */
#ifndef PREDEPLOY_BACKUP_H
#define PREDEPLOY_BACKUP_H

#include <stdint.h>
#include <time.h>

#include "config.h"
#include "db.h"
#include "util/err.h"
#include "util/sha256.h"

struct backup_info {
	char path[4096];             /* the .sql.gz file (taken or reused) */
	char sha256[SHA256_HEX_LEN]; /* of the compressed file */
	int64_t size;                /* compressed bytes */
	int64_t raw_size;            /* uncompressed dump bytes */
	int64_t duration_ms;         /* dump + verify; 0 when reused */
	int reused;                  /* 1: a verified backup younger than --backup-reuse */
	int removed;                 /* backups deleted by retention */
};

/* Whether the policy asks for a backup: never with --backup never or
 * --no-backup; always with --backup always; with auto only when npending > 0. */
int backup_wanted(const struct config *cfg, int npending);

/* The pipeline entry: reuse a verified backup of this database at
 * `schema_version` younger than cfg->backup_reuse_ms, else take one
 * (backup_take), then apply retention (cfg->keep).  schema_version "" means
 * nothing applied (file name uses "0").  pending_versions may be NULL.
 * Returns 0, or -1 with e->code = EXIT_BACKUP (or 128+N when stopped by a
 * signal) and no partial file left. */
int backup_for_deploy(const struct config *cfg, struct db *db, const char *schema_version,
		      const struct strlist *pending_versions, struct backup_info *out,
		      struct err *e);

/* Take a new backup now (no reuse), then retention.  `progress`: draw
 * bytes/rate/ETA on stderr (the caller decides; normally isatty(2)). */
int backup_take(const struct config *cfg, struct db *db, const char *schema_version,
		const struct strlist *pending_versions, int progress,
		struct backup_info *out, struct err *e);

/* Check a backup file: inflates completely, CRC/length match, ends with
 * pg_dump's completion line.  Fills raw_size and the file's sha256 (either
 * may be NULL).  EXIT_DATAERR on a bad file. */
int backup_verify(const char *path, int64_t *raw_size, char sha256[SHA256_HEX_LEN],
		  struct err *e);

/* Async-signal-safe: SIGKILL the running pg_dump child (if any) and unlink
 * the partial file (if any).  For handlers that are about to _exit(). */
void backup_abort(void);

/* Listing (`backups`, restore --backup N, reuse, retention). */
struct backup_entry {
	char *path;
	char *file;                  /* base name */
	char *database;              /* from the file name */
	char *version;               /* schema version from the file name */
	time_t time;                 /* from the file name (UTC) */
	char when[32];               /* ISO 8601 UTC */
	int64_t size;                /* bytes on disk */
	int verified;                /* sidecar present, parses, matches size */
	char *sha256;                /* from the sidecar; NULL when unverified */
	char *sidecar;               /* sidecar JSON text; NULL when unverified */
};

struct backup_list {
	struct backup_entry *v;      /* newest first */
	int n;
};

#define BACKUP_LIST_INIT { NULL, 0 }

/* Files in `dir` that follow the naming pattern (for `database`, or every
 * database when NULL), newest first.  A missing directory is an empty list. */
int backup_list(const char *dir, const char *database, struct backup_list *out, struct err *e);
void backup_list_release(struct backup_list *l);

/* Parse "<db>_<YYYYmmddTHHMMSSZ>_<version>.sql.gz"; 0 when it matches. */
int backup_parse_name(const char *file, char *db, size_t dbcap, char *version, size_t vcap,
		      time_t *t);

#endif
