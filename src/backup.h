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
 *       if (backup_for_deploy(cfg, &db, current_version, &pending, progress, &bi, &err) < 0)
 *           return err.code;                  // EXIT_BACKUP; nothing left behind
 *       ... bi.path, bi.sha256, bi.reused -> history, webhook ...
 *   }
 *
 * The file is written through the storage interface (storage.h: a
 * directory today) and named, listed, kept and reused by backup_store.h.
 * Progress goes to the caller's callback (progress.h).
 *
 * Signals: backup_for_deploy()/backup_take() register the pg_dump pid with
 * proc_watch_child() while it runs, so proc's SIGTERM/SIGINT handler stops
 * the child; the copy loop then sees proc_stop_signal(), aborts the write
 * (the partial file is removed) and fails with e->code = 128 + signal.
 */
#ifndef PREDEPLOY_BACKUP_H
#define PREDEPLOY_BACKUP_H

#include <stdint.h>

#include "backup_scope.h"
#include "backup_store.h"
#include "config.h"
#include "db.h"
#include "progress.h"
#include "storage.h"
#include "util/err.h"
#include "util/sha256.h"

/* Whether the policy asks for a backup: never with --backup never or
 * --no-backup; always with --backup always; with auto only when npending > 0. */
int backup_wanted(const struct config *cfg, int npending);

/* The pipeline entry: reuse a verified backup of this database at
 * `schema_version` younger than cfg->backup_reuse_ms, else take one
 * (backup_take), then apply retention (cfg->keep).  schema_version "" means
 * nothing applied (file name uses "0").  pending_versions and progress may
 * be NULL.  The reused file is hashed again and must match its sidecar.
 * Returns 0, or -1 with e->code = EXIT_BACKUP (or 128+N when stopped by a
 * signal) and nothing left behind, or EXIT_DATAERR when the backup it
 * would reuse no longer matches its sidecar's SHA-256.  `scope` (from
 * backup_scope_decide; NULL: full) says what the dump holds; a backup is
 * reused only when it holds as much (backup_scope_covers), and then scope
 * is set to what the reused backup holds. */
int backup_for_deploy(const struct config *cfg, struct db *db, const char *schema_version,
		      const struct strlist *pending_versions, struct backup_scope *scope,
		      const struct progress *progress, struct backup_info *out, struct err *e);

/* Take a new backup now (no reuse), then retention. */
int backup_take(const struct config *cfg, struct db *db, const char *schema_version,
		const struct strlist *pending_versions, const struct progress *progress,
		struct backup_info *out, struct err *e);

/* Check backup `name` in `st` (decrypted with `keys` when it is encrypted:
 * every chunk's tag): inflates completely, CRC/length match, ends
 * with pg_dump's completion line.  Fills raw_size and the object's sha256
 * (either may be NULL).  EXIT_DATAERR on a bad backup. */
int backup_verify(struct storage *st, const struct crypt_keys *keys, const char *name, int64_t *raw_size,
		  char sha256[SHA256_HEX_LEN], struct err *e);

/* Whether `tail` (the last bytes of an inflated plain dump) proves pg_dump
 * finished: its "-- PostgreSQL database dump complete" line at a line start,
 * followed only by blank lines, "--" lines and a "\unrestrict KEY" line
 * (pg_dump 15.14+ ends with one).  1 when complete, 0 when not. */
int backup_tail_complete(const char *tail, size_t n);

#endif
