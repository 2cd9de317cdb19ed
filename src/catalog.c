/* catalog: see catalog.h. */
#include "catalog.h"

#include "log.h"

#include <stdlib.h>
#include <string.h>

#include "util/exitcode.h"
#include "util/strbuf.h"
#include "util/xalloc.h"
#include "util/banned.h"

/* Names are "t" or "s.t" as the parser folded them; quote each part so
 * to_regclass does not fold them again. */
static const char stats_sql[] =
	"select n.name, c.reltuples::float8, pg_catalog.pg_total_relation_size(c.oid)"
	"  from pg_catalog.unnest($1::text[]) with ordinality as n(name, i)"
	"  join pg_catalog.pg_class c on c.oid = pg_catalog.to_regclass("
	"       case when pg_catalog.strpos(n.name, '.') > 0"
	"            then pg_catalog.quote_ident(pg_catalog.split_part(n.name, '.', 1)) || '.' ||"
	"                 pg_catalog.quote_ident(pg_catalog.split_part(n.name, '.', 2))"
	"            else pg_catalog.quote_ident(n.name) end)"
	" order by n.i";

/* The canonical type (as lint's type_canon writes it: "varchar(20)",
 * "numeric(10,2)", "int4[]") of each table.column, in input order; NULL
 * where there is no such column. */
static const char types_sql[] =
	"select n.i, coalesce(et.typname, t.typname) ||"
	"       case when a.atttypmod < 0 then ''"
	"            when coalesce(et.typname, t.typname) in ('varchar', 'bpchar')"
	"            then '(' || (a.atttypmod - 4) || ')'"
	"            when coalesce(et.typname, t.typname) = 'numeric'"
	"            then '(' || ((a.atttypmod - 4) >> 16) || ',' || ((a.atttypmod - 4) & 65535) || ')'"
	"            else '' end ||"
	"       case when et.oid is not null then '[]' else '' end"
	"  from rows from (pg_catalog.unnest($1::text[]), pg_catalog.unnest($2::text[]))"
	"       with ordinality as n(tbl, col, i)"
	"  join pg_catalog.pg_attribute a on a.attrelid = pg_catalog.to_regclass("
	"       case when pg_catalog.strpos(n.tbl, '.') > 0"
	"            then pg_catalog.quote_ident(pg_catalog.split_part(n.tbl, '.', 1)) || '.' ||"
	"                 pg_catalog.quote_ident(pg_catalog.split_part(n.tbl, '.', 2))"
	"            else pg_catalog.quote_ident(n.tbl) end)"
	"   and a.attname = n.col and a.attnum > 0 and not a.attisdropped"
	"  join pg_catalog.pg_type t on t.oid = a.atttypid"
	"  left join pg_catalog.pg_type et on t.typcategory = 'A' and et.oid = t.typelem"
	" order by n.i";

int catalog_table_stats(struct db *db, const struct strlist *names, struct catalog_stats *out,
			struct err *e)
{
	struct strbuf arr = STRBUF_INIT;
	const char *params[1];
	PGresult *r = NULL;
	int i, n, ret = -1;

	catalog_stats_release(out);
	if (!names->n)
		return 0;
	db_text_array(&arr, (const char *const *)names->v, names->n);
	params[0] = arr.buf;
	r = db_query(db, stats_sql, 1, params, EXIT_INTERNAL, e);
	if (!r) {
		err_detail(e, "while reading table sizes for lint");
		goto out;
	}
	n = PQntuples(r);
	out->v = xcalloc((size_t)(n ? n : 1), sizeof(*out->v));
	for (i = 0; i < n; i++) {
		double rows = strtod(PQgetvalue(r, i, 1), NULL);

		out->v[i].name = xstrdup(PQgetvalue(r, i, 0));
		out->v[i].rows = rows < 0 ? -1 : (int64_t)(rows + 0.5);
		out->v[i].bytes = PQgetisnull(r, i, 2) ? -1 : strtoll(PQgetvalue(r, i, 2), NULL, 10);
	}
	out->n = n;
	ret = 0;
out:
	PQclear(r);
	sb_release(&arr);
	return ret;
}

void catalog_stats_release(struct catalog_stats *s)
{
	int i;

	for (i = 0; i < s->n; i++)
		free((char *)s->v[i].name);
	free(s->v);
	s->v = NULL;
	s->n = 0;
}

/* Decide the unverified type changes with the real column types. */
static int apply_types(struct db *db, const struct lint_opts *o, struct lint_report *r, struct err *e)
{
	struct strlist tables = { 0 }, columns = { 0 };
	struct strbuf ta = STRBUF_INIT, ca = STRBUF_INIT;
	const char *params[2], **types = NULL;
	PGresult *res = NULL;
	int i, k, ret = -1;

	lint_report_columns(r, &tables, &columns);
	if (!tables.n)
		return 0;
	db_text_array(&ta, (const char *const *)tables.v, tables.n);
	db_text_array(&ca, (const char *const *)columns.v, columns.n);
	params[0] = ta.buf;
	params[1] = ca.buf;
	res = db_query(db, types_sql, 2, params, EXIT_INTERNAL, e);
	if (!res)
		goto out;
	types = xcalloc((size_t)tables.n, sizeof(*types));
	for (i = 0; i < PQntuples(res); i++) {
		k = atoi(PQgetvalue(res, i, 0)) - 1;
		if (k >= 0 && k < tables.n && !PQgetisnull(res, i, 1))
			types[k] = PQgetvalue(res, i, 1);
	}
	lint_report_apply_types(r, o, &tables, &columns, types);
	ret = 0;
out:
	free(types);
	PQclear(res);
	sb_release(&ta);
	sb_release(&ca);
	strlist_clear(&tables);
	strlist_clear(&columns);
	return ret;
}

void catalog_apply_to_report(struct db *db, const struct lint_opts *o, struct lint_report *r)
{
	struct strlist names = { 0 };
	struct catalog_stats st = CATALOG_STATS_INIT;
	struct err e = ERR_INIT;

	if (apply_types(db, o, r, &e) < 0) {
		log_warn("column types unavailable for lint: %s", e.msg);
		err_clear(&e);
	}
	lint_report_tables(r, &names);
	if (names.n && catalog_table_stats(db, &names, &st, &e) == 0)
		lint_report_apply_stats(r, o, st.v, st.n);
	else if (names.n)
		log_warn("table sizes unavailable for lint: %s", e.msg);
	catalog_stats_release(&st);
	strlist_clear(&names);
}
