/* backup_scope: see backup_scope.h. */
#include "backup_scope.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/exitcode.h"
#include "util/json.h"
#include "util/strbuf.h"
#include "util/xalloc.h"
#include "util/banned.h"

int backup_rule_loses_data(const char *rule)
{
	static const char *const named[] = { "drop_table", "drop_column", "truncate", "change_column_type",
					     "change_column_type_unverified", "delete_without_where",
					     "update_without_where", NULL };
	static const char *const unnamed[] = { "drop_schema", "drop_owned", "drop_database", "dynamic_sql", NULL };
	int i;

	for (i = 0; named[i]; i++)
		if (!strcmp(rule, named[i]))
			return 1;
	for (i = 0; unnamed[i]; i++)
		if (!strcmp(rule, unnamed[i]))
			return 2;
	return 0;
}

void backup_risk_add(struct backup_risk *r, const char *rule, const char *table)
{
	int k = backup_rule_loses_data(rule);

	if (k == 1 && table && *table) {
		if (!strlist_has(&r->tables, table))
			strlist_add(&r->tables, table);
	} else if (k && !r->unknown[0]) {
		snprintf(r->unknown, sizeof(r->unknown), "a %s finding can lose data of tables it does not name", rule);
	}
}

void backup_risk_release(struct backup_risk *r)
{
	strlist_clear(&r->tables);
	memset(r, 0, sizeof(*r));
}

void backup_scope_release(struct backup_scope *s)
{
	strlist_clear(&s->tables);
	strlist_clear(&s->exclude);
	memset(s, 0, sizeof(*s));
}

/*
 * The tables at risk ($1: names as lint writes them, folded, so each part
 * is quoted for to_regclass; "a.b" is looked up both as table b of schema
 * a and as a table named "a.b", and both are kept when both exist; kind
 * 'u': a name neither finds) with their partitions and inheritance
 * children; then, kind 't', those that hold rows, as pg_dump names them
 * (quote_ident, like its fmtId) and, kind 'x', the --exclude-table-data
 * patterns for everything else: "schema".* for a schema with no table at
 * risk, "schema"."table" for the others (inside double quotes a pattern is
 * literal).
 */
static const char scope_sql[] =
	"with recursive given as ("
	"  select n.name, pg_catalog.to_regclass(pg_catalog.quote_ident(n.name)) as whole,"
	"         case when pg_catalog.strpos(n.name, '.') > 0 then pg_catalog.to_regclass("
	"              pg_catalog.quote_ident(pg_catalog.split_part(n.name, '.', 1)) || '.' ||"
	"              pg_catalog.quote_ident(pg_catalog.substr(n.name, pg_catalog.strpos(n.name, '.') + 1)))"
	"         end as split"
	"  from pg_catalog.unnest($1::text[]) as n(name)"
	"), named as ("
	"  select c.oid from given g join pg_catalog.pg_class c on c.oid in (g.whole, g.split)"
	"  where c.relkind in ('r', 'p')"
	"), risk(oid) as ("
	"  select oid from named"
	"  union select i.inhrelid from pg_catalog.pg_inherits i join risk on i.inhparent = risk.oid"
	"), rels as ("
	"  select n.nspname, c.relname, c.relkind, c.oid in (select oid from risk) as at_risk"
	"    from pg_catalog.pg_class c join pg_catalog.pg_namespace n on n.oid = c.relnamespace"
	"   where c.relkind in ('r', 'p', 'm', 'f') and n.nspname <> 'information_schema'"
	"     and n.nspname !~ '^pg_'"
	")"
	" select 't', pg_catalog.quote_ident(nspname) || '.' || pg_catalog.quote_ident(relname)"
	"   from rels where at_risk and relkind = 'r'"
	" union all"
	" select 'x', '\"' || pg_catalog.replace(nspname, '\"', '\"\"') || '\".*'"
	"   from rels group by nspname having not pg_catalog.bool_or(at_risk)"
	" union all"
	" select 'x', '\"' || pg_catalog.replace(r.nspname, '\"', '\"\"') || '\".\"' ||"
	"        pg_catalog.replace(r.relname, '\"', '\"\"') || '\"'"
	"   from rels r where not r.at_risk"
	"    and exists (select 1 from rels q where q.nspname = r.nspname and q.at_risk)"
	" union all"
	" select 'u', name from given where whole is null and split is null"
	" order by 1, 2";

static int resolve(struct db *db, const struct backup_risk *risk, struct backup_scope *out, struct err *e)
{
	struct strbuf arr = STRBUF_INIT;
	const char *params[1];
	PGresult *r;
	int i;

	db_text_array(&arr, (const char *const *)risk->tables.v, risk->tables.n);
	params[0] = arr.buf;
	r = db_query(db, scope_sql, 1, params, EXIT_BACKUP, e);
	sb_release(&arr);
	if (!r) {
		err_prefix(e, "could not list the tables for an at-risk backup");
		return -1;
	}
	for (i = 0; i < PQntuples(r); i++) {
		const char *v = PQgetvalue(r, i, 1);

		if (*PQgetvalue(r, i, 0) == 't') {
			strlist_add(&out->tables, v);
		} else if (*PQgetvalue(r, i, 0) == 'u') {
			if (!out->unresolved[0])
				snprintf(out->unresolved, sizeof(out->unresolved), "%s", v);
		} else {
			char *arg = xasprintf("--exclude-table-data=%s", v);

			strlist_add(&out->exclude, arg);
			free(arg);
		}
	}
	PQclear(r);
	return 0;
}

static int db_size(struct db *db, int64_t *size, struct err *e)
{
	PGresult *r = db_query(db, "select pg_catalog.pg_database_size(pg_catalog.current_database())",
			       0, NULL, EXIT_BACKUP, e);

	if (!r)
		return -1;
	*size = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
	PQclear(r);
	return 0;
}

static void mb(int64_t n, char *buf, size_t cap)
{
	if (n >= 1000 * 1000)
		snprintf(buf, cap, "%.1f MB", (double)n / 1e6);
	else
		snprintf(buf, cap, "%.1f kB", (double)n / 1e3);
}

int backup_scope_decide(const struct config *cfg, struct db *db, const struct backup_risk *risk,
			struct backup_scope *out, struct err *e)
{
	char have[32] = "", max[32], why[160];
	int64_t size = 0;
	int i;

	memset(out, 0, sizeof(*out));
	if (!risk || cfg->backup_scope == SCOPE_FULL) {
		snprintf(out->why, sizeof(out->why), "full%s", risk ? " (--backup-scope full)" : "");
		return 0;
	}
	mb(cfg->backup_full_max, max, sizeof(max));
	if (cfg->backup_scope == SCOPE_AUTO) {
		if (db_size(db, &size, e) < 0)
			return -1;
		mb(size, have, sizeof(have));
		if (size <= cfg->backup_full_max) {
			snprintf(out->why, sizeof(out->why), "full (database %s, --backup-full-max %s)", have, max);
			return 0;
		}
		snprintf(why, sizeof(why), "database %s above --backup-full-max %s", have, max);
	} else {
		snprintf(why, sizeof(why), "--backup-scope at-risk");
	}
	if (!risk->known || risk->unknown[0]) {
		snprintf(out->why, sizeof(out->why), "full although at-risk was asked (%s): %s", why,
			 risk->unknown[0] ? risk->unknown : "the pending migrations were not read (no SQL files, "
			 "no rehearsal), so the tables they can change are unknown");
		return 0;
	}
	if (resolve(db, risk, out, e) < 0)
		return -1;
	if (out->unresolved[0]) {
		/* a name the catalog does not know (not there, or spelt so that it
		 * cannot be looked up): whose rows it means is unknown, so all */
		snprintf(why, sizeof(why), "%s", out->unresolved);
		backup_scope_release(out);
		snprintf(out->why, sizeof(out->why), "full although at-risk was asked: a finding names table "
			 "\"%s\", which is not in the catalog, so the rows it puts at risk cannot be told apart", why);
		return 0;
	}
	out->at_risk = 1;
	if (!out->tables.n) {
		snprintf(out->why, sizeof(out->why), "at-risk, schema only (%s): no pending finding puts table data "
			 "at risk", why);
		return 0;
	}
	{
		struct strbuf sb = STRBUF_INIT;

		sb_addf(&sb, "at-risk (%s): the schema and the data of %d table%s: ", why, out->tables.n,
			out->tables.n == 1 ? "" : "s");
		for (i = 0; i < out->tables.n; i++)
			sb_addf(&sb, "%s%s", i ? ", " : "", out->tables.v[i]);
		if (sb.len >= sizeof(out->why))
			memcpy(sb.buf + sizeof(out->why) - 4, "...", 4);
		snprintf(out->why, sizeof(out->why), "%s", sb.buf);
		sb_release(&sb);
	}
	return 0;
}

const char **backup_scope_argv(const struct backup_scope *s, const char *const *base, int nbase)
{
	int i, n = s && s->at_risk ? s->exclude.n : 0;
	const char **v = xcalloc((size_t)(nbase + n + 1), sizeof(*v));

	for (i = 0; i < nbase; i++)
		v[i] = base[i];
	for (i = 0; i < n; i++)
		v[nbase + i] = s->exclude.v[i];
	return v;
}

static void add_table(void *ctx, const char *v)
{
	strlist_add(ctx, v);
}

int backup_sidecar_scope(const char *sidecar, struct strlist *tables)
{
	char scope[32];

	if (!sidecar || json_get(sidecar, "scope", scope, sizeof(scope), NULL) < 0 || strcmp(scope, "at-risk"))
		return 0;
	if (tables)
		json_get_array(sidecar, "scope_tables", add_table, tables);
	return 1;
}

int backup_scope_covers(const char *sidecar, const struct backup_scope *want)
{
	struct strlist have = { 0 };
	int i, ok = 1;

	if (!backup_sidecar_scope(sidecar, &have))
		return 1;
	if (!want || !want->at_risk)
		ok = 0;
	for (i = 0; ok && i < want->tables.n; i++)
		ok = strlist_has(&have, want->tables.v[i]);
	strlist_clear(&have);
	return ok;
}
