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

static void array_literal(const struct strlist *names, struct strbuf *sb)
{
	int i;
	const char *p;

	sb_addc(sb, '{');
	for (i = 0; i < names->n; i++) {
		if (i)
			sb_addc(sb, ',');
		sb_addc(sb, '"');
		for (p = names->v[i]; *p; p++) {
			if (*p == '"' || *p == '\\')
				sb_addc(sb, '\\');
			sb_addc(sb, *p);
		}
		sb_addc(sb, '"');
	}
	sb_addc(sb, '}');
}

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
	array_literal(names, &arr);
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

void catalog_apply_to_report(struct db *db, const struct lint_opts *o, struct lint_report *r)
{
	struct strlist names = { 0 };
	struct catalog_stats st = CATALOG_STATS_INIT;
	struct err e = ERR_INIT;

	lint_report_tables(r, &names);
	if (names.n && catalog_table_stats(db, &names, &st, &e) == 0)
		lint_report_apply_stats(r, o, st.v, st.n);
	else if (names.n)
		log_warn("table sizes unavailable for lint: %s", e.msg);
	catalog_stats_release(&st);
	strlist_clear(&names);
}
