/*
 * restore: native restore of a plain-format backup through libpq, no psql
 * (SPEC.md "Restore").
 *
 *   struct restore_opts o = { .fd = fd, .path = path, .table = cfg->table, ... };
 *   struct restore_result r;
 *   if (restore_run(&target_db, &o, &r, &err) < 0) ...   // database unchanged
 *
 * Everything runs in one transaction on `db`: first the user schemas are
 * emptied (every schema but pg_catalog, information_schema and pg_*: other
 * schemas are dropped with CASCADE, the contents of "public" - extensions,
 * relations, routines, types - are dropped, the schema itself is kept so
 * its initial privileges stay), then the dump's statements run, COPY data
 * streams through PQputCopyData, pg_dump's \restrict / \unrestrict keys are
 * checked (any other backslash line is an error naming the line), the dump
 * must contain pg_dump's completion line, then --reset-to (ledger_stamp_to)
 * and the history row ("restore"), then COMMIT.  Any failure rolls back:
 * the database is exactly as it was.  A server error in the dump or a
 * corrupt, truncated or non-gzip file is EXIT_DATAERR with the dump line.
 *
 * Memory is flat: 256 KiB of input, zlib's state, and one statement buffer
 * that grows only as large as the longest statement, capped at
 * RESTORE_STATEMENT_CAP (COPY rows are streamed and never capped).
 */
#ifndef PREDEPLOY_RESTORE_H
#define PREDEPLOY_RESTORE_H

#include <stdint.h>

#include "db.h"
#include "migration.h"
#include "progress.h"
#include "util/err.h"

#define RESTORE_STATEMENT_CAP ((size_t)64 << 20)

struct restore_opts {
	int fd;                          /* the backup file, open for reading (caller closes) */
	const char *path;                /* its name, for messages and history */
	const char *table;               /* --table (tracking table) */
	const char *reset_to;            /* NULL: keep the backup's tracking table */
	const struct migration_set *files; /* needed with reset_to */
	const char *pre_backup_file;     /* the backup taken before, for history; may be NULL */
	const char *pre_backup_sha256;
	int forced;
	const struct progress *progress; /* bytes read, rate, ETA; may be NULL */
	int64_t file_size;               /* for the ETA; 0 = unknown */
};

struct restore_result {
	int64_t statements;
	int64_t copy_bytes;              /* COPY data sent */
	int64_t raw_bytes;               /* inflated dump size */
	int64_t duration_ms;
	char sha256[65];                 /* of the restored file */
	char version[128];               /* tracking table's version afterwards ("" = none) */
};

int restore_run(struct db *db, const struct restore_opts *o, struct restore_result *r, struct err *e);

#endif
