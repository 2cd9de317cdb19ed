/*
 * restore: native restore of a plain-format backup through libpq, no psql
 * (SPEC.md "Restore").
 *
 *   struct restore_opts o = { .fd = fd, .path = path, .table = cfg->table, ... };
 *   struct restore_checked c;
 *   struct restore_result r;
 *   if (restore_check(&o, &c, &err) < 0) ...      // no database involved
 *   ... restore_prepare() (restore_prepare.h) ...
 *   if (restore_run(&target_db, &o, &c, &r, &err) < 0) ...   // r.unchanged
 *
 * Two passes over the file.  First (restore_check), without a database, the
 * whole file is read (an encrypted one decrypted, every chunk's tag
 * checked: crypt_stream.h), inflated and scanned (restore_scan.h: its guard
 * refuses transaction control, COPY TO/PROGRAM/server files, server file
 * and program functions, backslash commands other than \restrict and
 * \unrestrict), the completion line and \restrict keys are checked and
 * the SHA-256 of the file is computed and compared with
 * o->expect_sha256: any problem fails here, nothing executed.  Then
 * (restore_run) the file is read again and executed in one transaction: first the user
 * schemas are emptied (every schema but pg_catalog, information_schema
 * and pg_*: other schemas are dropped with CASCADE, the contents of
 * "public" - extensions, relations, routines, types - are dropped, the
 * schema itself is kept so its initial privileges stay), then each
 * statement runs through the extended protocol (one command per
 * statement, the server refuses more), COPY data streams through
 * PQputCopyData, and after every statement the connection must still be
 * inside that transaction (PQtransactionStatus) with
 * standard_conforming_strings on; the second read's SHA-256 must equal
 * the first; then --reset-to (ledger_stamp_to) and the history row
 * ("restore"), the transaction id is compared with the one at BEGIN, then
 * COMMIT.  Any failure rolls back; r->unchanged says whether "nothing was
 * committed" is verified.  A server error in the dump or a corrupt,
 * truncated, refused or non-gzip file is EXIT_DATAERR with the dump line
 * (server errors keep SQLSTATE, detail and hint).  Cost: the file is
 * inflated twice (see docs/backups.md).
 *
 * Memory is flat: an input buffer of 256 KiB that grows only as large as
 * the longest statement (capped at RESTORE_STATEMENT_CAP), a copy of that
 * statement, zlib's state (COPY rows are streamed and never capped).
 */
#ifndef PREDEPLOY_RESTORE_H
#define PREDEPLOY_RESTORE_H

#include <stdint.h>

#include "crypt_keys.h"
#include "db.h"
#include "gzstream.h"
#include "migration.h"
#include "progress.h"
#include "util/err.h"
#include "util/sha256.h"
#include "util/strlist.h"

struct restore_scope;

#define RESTORE_STATEMENT_CAP ((size_t)64 << 20)

struct restore_opts {
	int fd;                          /* the backup file, open for reading (caller closes) */
	/* Or, when source is set, the backup's bytes come from source(ctx)
	 * (a storage object: a bucket) and rewind(ctx) starts them again for
	 * the second pass; fd is unused. */
	gz_source_fn source;
	int (*rewind)(void *ctx, struct err *e);
	void *source_ctx;
	const char *path;                /* its name, for messages and history */
	/* keys for an encrypted backup (crypt_stream.h; NULL: none configured);
	 * a file that is not encrypted is read as it is */
	const struct crypt_keys *keys;
	const char *table;               /* --table (tracking table) */
	const char *reset_to;            /* NULL: keep the backup's tracking table */
	const struct migration_set *files; /* needed with reset_to */
	/* a tool migrator's reset (its own tracking table), called inside the
	 * restore's transaction instead of ledger_stamp_to; reset_to is then
	 * only recorded in history */
	int (*reset)(void *arg, struct db *db, struct err *e);
	void *reset_arg;
	const char *pre_backup_file;     /* the backup taken before, for history; may be NULL */
	const char *pre_backup_sha256;
	int forced;
	const struct progress *progress; /* bytes read, rate, ETA; may be NULL */
	int64_t file_size;               /* for the ETA; 0 = unknown */
	const char *expect_sha256;       /* the sidecar's SHA-256; NULL: not checked */
	/* called inside the transaction after the dump ran, before the
	 * history row and COMMIT (copy --anonymize); its error fails the
	 * restore with its own code, nothing committed */
	int (*after_load)(void *arg, struct db *db, struct err *e);
	void *after_load_arg;
	int no_owner;                    /* skip "ALTER ... OWNER TO role" statements */
	const struct strlist *role_map;  /* "OLD=NEW": OWNER TO / GRANT ... TO OLD become NEW */
	/* an at-risk backup (restore_scope.h): instead of emptying the
	 * database, only its listed tables' rows, into a side schema or in
	 * place; NULL: the whole database */
	struct restore_scope *scope;
	/* a backup restored over the whole database: refuse it in the checking
	 * pass when it has fewer COPY blocks than tables (restore_scope_tally);
	 * `restore` sets it, a schema-only copy such as the rehearsal's shadow
	 * does not */
	int whole_rows;
};

struct restore_result {
	int64_t statements;
	int64_t copy_bytes;              /* COPY data sent */
	int64_t raw_bytes;               /* inflated dump size */
	int64_t duration_ms;
	char sha256[65];                 /* of the restored file */
	char version[128];               /* tracking table's version afterwards ("" = none) */
	int unchanged;                   /* on failure: 1 when it is verified that nothing was
					  * committed (the transaction was rolled back or never
					  * begun), 0 when that is not known */
};

struct restore_checked {
	char sha256[SHA256_HEX_LEN];     /* of the file as checked */
};

int restore_check(const struct restore_opts *o, struct restore_checked *c, struct err *e);
/* o->fd is read again from its start; c from a successful restore_check. */
int restore_run(struct db *db, const struct restore_opts *o, const struct restore_checked *c,
		struct restore_result *r, struct err *e);

#endif
