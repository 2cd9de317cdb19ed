/*
 * backup_scope: what a deploy's backup holds (SPEC.md "Backup destinations,
 * scope and encryption", docs/backups.md "Scope").
 *
 *   full     the whole database (pg_dump as always)
 *   at-risk  the schema of everything and the data of only the tables the
 *            pending migrations' findings say can lose data; one pg_dump
 *            run with --exclude-table-data for every other table (a whole
 *            schema as "schema".* when none of its tables is at risk).  No
 *            table at risk: the schema only.
 *   auto     full up to --backup-full-max of pg_database_size, at-risk above
 *
 * The deploy pipeline collects the risk from its lint reports (deploy.c:
 * the findings of the lint gate, the rehearsal's captured SQL and catalog
 * diff), then:
 *
 *   struct backup_risk risk = BACKUP_RISK_INIT;
 *   backup_risk_add(&risk, rule, table);        // for each finding
 *   risk.known = 1;                             // the findings cover the pending migrations
 *   struct backup_scope sc = BACKUP_SCOPE_INIT;
 *   backup_scope_decide(cfg, db, &risk, &sc, &err);  // sc.at_risk, sc.tables, sc.exclude
 *   backup_scope_release(&sc); backup_risk_release(&risk);
 *
 * Careful by construction: a finding whose loss names no table (DROP
 * SCHEMA, DROP OWNED, dynamic SQL), or migrations nobody could read (a
 * tool migrator without SQL files whose rehearsal did not run), make the
 * backup full whatever the scope, and the log says why.
 */
#ifndef PREDEPLOY_BACKUP_SCOPE_H
#define PREDEPLOY_BACKUP_SCOPE_H

#include <stdint.h>

#include "config.h"
#include "db.h"
#include "util/err.h"
#include "util/strlist.h"

struct backup_risk {
	struct strlist tables;       /* as lint names them: "t" or "s.t", folded */
	int known;                   /* findings cover every pending migration */
	char unknown[256];           /* a loss that names no table: why at-risk cannot be used */
};

#define BACKUP_RISK_INIT { { 0 }, 0, "" }

/* 1 when `rule` is a finding that can lose data of `table` (drop_table,
 * drop_column, truncate, change_column_type[_unverified],
 * delete_without_where, update_without_where), 2 when it can lose data of
 * tables it does not name (drop_schema, drop_owned, drop_database,
 * dynamic_sql), 0 otherwise. */
int backup_rule_loses_data(const char *rule);
/* Record one finding (rule, table as the finding names it; may be NULL). */
void backup_risk_add(struct backup_risk *r, const char *rule, const char *table);
void backup_risk_release(struct backup_risk *r);

struct backup_scope {
	int at_risk;                 /* 0: full */
	struct strlist tables;       /* at-risk: tables whose data is dumped, as pg_dump names them
				      * ("public.small", "\"App\".t"); empty: schema only */
	struct strlist exclude;      /* pg_dump arguments "--exclude-table-data=PATTERN" */
	char why[512];               /* for the log */
	char unresolved[128];        /* the first at-risk name the catalog did not know */
};

#define BACKUP_SCOPE_INIT { 0, { 0 }, { 0 }, "", "" }

/* Decide the scope for a deploy's backup: cfg->backup_scope and
 * backup_full_max against pg_database_size, `risk` (NULL: full, as for
 * `predeploy backup` and restore's safety backup), then, for at-risk, the
 * tables resolved in the catalog (with their partitions and inheritance
 * children; a name the catalog does not know makes it full) and the exclusion
 * patterns.  EXIT_BACKUP on a query error. */
int backup_scope_decide(const struct config *cfg, struct db *db, const struct backup_risk *risk,
			struct backup_scope *out, struct err *e);
void backup_scope_release(struct backup_scope *s);

/* pg_dump's argv: base[0..nbase) then, at-risk, the exclusions; NULL
 * terminated, pointing into base and s (free the array only).  s may be
 * NULL (full). */
const char **backup_scope_argv(const struct backup_scope *s, const char *const *base, int nbase);

/* Whether a backup whose sidecar is `sidecar` (JSON text; NULL or without
 * "scope": a full backup) holds what `want` needs: a full backup always;
 * an at-risk one only when `want` is at-risk too and its tables include
 * every table of want. */
int backup_scope_covers(const char *sidecar, const struct backup_scope *want);

/* A sidecar's scope: 1 at-risk (tables filled, as pg_dump names them),
 * 0 full (no "scope" member, or "full"). */
int backup_sidecar_scope(const char *sidecar, struct strlist *tables);

#endif
