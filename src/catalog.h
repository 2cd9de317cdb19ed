/*
 * catalog: what the database knows about tables a migration touches, for
 * catalog-aware lint (estimated rows and size; see src/lint/lint.h).
 *
 *   struct catalog_stats st = CATALOG_STATS_INIT;
 *   if (catalog_table_stats(&db, &names, &st, &err) < 0) ...
 *   lint_report_apply_stats(&report, &o, st.v, st.n);
 *   catalog_stats_release(&st);              // safe twice
 *
 * Names are resolved as the migration would resolve them (to_regclass with
 * the session's search_path).  Tables that do not exist (yet) are left out.
 * rows is pg_class.reltuples rounded (-1 when never analysed/vacuumed),
 * bytes pg_total_relation_size.  One query, read-only.
 */
#ifndef PREDEPLOY_CATALOG_H
#define PREDEPLOY_CATALOG_H

#include "config.h"
#include "db.h"
#include "lint/lint.h"
#include "util/err.h"

struct catalog_stats {
	struct lint_table_stats *v;     /* names owned by the struct */
	int n;
};

#define CATALOG_STATS_INIT { NULL, 0 }

int catalog_table_stats(struct db *db, const struct strlist *names, struct catalog_stats *out,
			struct err *e);
void catalog_stats_release(struct catalog_stats *s);
/* Decide the type changes lint could not (lint_report_apply_types with the
 * columns' real types), then fetch the numbers of every table r's findings
 * name and apply them (lint_report_apply_stats: sizes, --large-table, the
 * batch exemption).  A failure is only a warning in the log: lint works
 * without the catalog. */
void catalog_apply_to_report(struct db *db, const struct lint_opts *o, struct lint_report *r);

#endif
