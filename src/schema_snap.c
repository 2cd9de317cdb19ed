/*
 * schema_snap: one catalog query describing the schema; see schema_snap.h.
 */
#include "schema_snap.h"

#include <stdlib.h>
#include <string.h>

#include "util/exitcode.h"
#include "util/strbuf.h"
#include "util/xalloc.h"
#include "util/banned.h"

/* Long definitions (functions, views) are compared by hash so that a diff
 * line stays readable.  The definition is made once (OFFSET 0 keeps the
 * planner from copying the call into each use). */
#define SHORT(x) "(SELECT CASE WHEN length(d) > 160 THEN 'md5 ' || md5(d) ELSE d END FROM (SELECT " x \
	" AS d OFFSET 0) short)"

/* User schemas, and objects that belong to no extension. */
#define USER_NSP(n) "(" n ".nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast') " \
	"AND " n ".nspname NOT LIKE 'pg\\_temp\\_%' AND " n ".nspname NOT LIKE 'pg\\_toast\\_temp\\_%')"
#define NOT_EXT(cls, oid) "NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d WHERE d.classid = '" cls \
	"'::regclass AND d.objid = " oid " AND d.deptype = 'e')"

/* User namespaces and relations first (small), everything else joined to
 * them through the catalogs' indexes (attrelid, indrelid, tgrelid,
 * conrelid) rather than by scanning whole system catalogs.  Defaults are
 * joined, not looked up per column: on a scratch database the catalogs
 * were never analysed, and the lookup became a scan of pg_attrdef per
 * column with a default. */
static const char snapshot_sql[] =
	"WITH nsp AS MATERIALIZED ("
	"  SELECT n.oid, n.nspname FROM pg_catalog.pg_namespace n WHERE " USER_NSP("n")
	"  AND " NOT_EXT("pg_namespace", "n.oid") "),"
	" rel AS MATERIALIZED ("
	"  SELECT c.oid, c.relname, c.relkind, c.relpersistence, c.relrowsecurity, c.relispartition,"
	"    c.relpartbound, n.nspname, quote_ident(n.nspname) || '.' || quote_ident(c.relname) AS qname"
	"  FROM pg_catalog.pg_class c JOIN nsp n ON n.oid = c.relnamespace"
	"  WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f', 'c') AND " NOT_EXT("pg_class", "c.oid") ")"
	"SELECT k, b FROM ("
	/* schemas */
	" SELECT 'schema ' || quote_ident(n.nspname) AS k, '' AS b FROM nsp n"
	/* tables, views, sequences, foreign and partitioned tables */
	" UNION ALL SELECT 'relation ' || c.qname,"
	"   CASE c.relkind WHEN 'r' THEN 'table' WHEN 'p' THEN 'partitioned table' WHEN 'v' THEN 'view'"
	"     WHEN 'm' THEN 'materialized view' WHEN 'S' THEN 'sequence' WHEN 'f' THEN 'foreign table'"
	"     ELSE c.relkind::text END"
	"   || CASE c.relpersistence WHEN 'u' THEN ' unlogged' ELSE '' END"
	"   || CASE WHEN c.relrowsecurity THEN ' row level security' ELSE '' END"
	"   || CASE WHEN c.relkind = 'p' THEN ' by ' || pg_catalog.pg_get_partkeydef(c.oid) ELSE '' END"
	"   || CASE WHEN c.relispartition THEN ' partition ' || pg_catalog.pg_get_expr(c.relpartbound, c.oid)"
	"        || ' of ' || (SELECT i.inhparent::regclass::text FROM pg_catalog.pg_inherits i WHERE i.inhrelid = c.oid)"
	"      ELSE '' END"
	"   || CASE WHEN c.relkind IN ('v', 'm') THEN ' as ' || " SHORT("pg_catalog.pg_get_viewdef(c.oid, true)") " ELSE '' END"
	"   || COALESCE((SELECT ' ' || s.seqtypid::regtype::text || ' start ' || s.seqstart || ' increment '"
	"        || s.seqincrement || ' min ' || s.seqmin || ' max ' || s.seqmax || CASE WHEN s.seqcycle THEN ' cycle' ELSE '' END"
	"        FROM pg_catalog.pg_sequence s WHERE s.seqrelid = c.oid), '')"
	"   FROM rel c WHERE c.relkind <> 'c'"
	/* columns (of composite types too), with their position among the visible ones */
	" UNION ALL SELECT 'column ' || c.qname || '.' || quote_ident(a.attname),"
	"   pg_catalog.format_type(a.atttypid, a.atttypmod)"
	"   || CASE WHEN a.attnotnull THEN ' not null' ELSE '' END"
	"   || CASE WHEN a.attidentity <> '' THEN ' identity ' || a.attidentity::text ELSE '' END"
	"   || CASE WHEN a.attgenerated <> '' THEN ' generated as ' ELSE '' END"
	"   || CASE WHEN a.atthasdef THEN COALESCE(CASE WHEN a.attgenerated = '' THEN ' default ' ELSE '' END"
	"        || pg_catalog.pg_get_expr(ad.adbin, ad.adrelid), '') ELSE '' END"
	"   || CASE WHEN a.attcollation <> 0 AND a.attcollation <> (SELECT t.typcollation FROM pg_catalog.pg_type t WHERE t.oid = a.atttypid)"
	"        THEN ' collate ' || (SELECT quote_ident(co.collname) FROM pg_catalog.pg_collation co WHERE co.oid = a.attcollation)"
	"        ELSE '' END"
	"   || ' position ' || row_number() OVER (PARTITION BY c.oid ORDER BY a.attnum)"
	"   FROM rel c JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid"
	"   LEFT JOIN pg_catalog.pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum"
	"   WHERE a.attnum > 0 AND NOT a.attisdropped AND c.relkind <> 'S'"
	/* table constraints */
	" UNION ALL SELECT 'constraint ' || c.qname || '.' || quote_ident(co.conname),"
	"   pg_catalog.pg_get_constraintdef(co.oid) || CASE WHEN co.convalidated THEN '' ELSE ' (not validated)' END"
	"   FROM rel c JOIN pg_catalog.pg_constraint co ON co.conrelid = c.oid"
	/* indexes */
	" UNION ALL SELECT 'index ' || quote_ident(c.nspname) || '.' || quote_ident(ic.relname),"
	"   pg_catalog.pg_get_indexdef(i.indexrelid) || CASE WHEN i.indisvalid THEN '' ELSE ' (invalid)' END"
	"   FROM rel c JOIN pg_catalog.pg_index i ON i.indrelid = c.oid"
	"   JOIN pg_catalog.pg_class ic ON ic.oid = i.indexrelid"
	/* triggers */
	" UNION ALL SELECT 'trigger ' || c.qname || '.' || quote_ident(tg.tgname),"
	"   pg_catalog.pg_get_triggerdef(tg.oid) || CASE tg.tgenabled WHEN 'D' THEN ' (disabled)' ELSE '' END"
	"   FROM rel c JOIN pg_catalog.pg_trigger tg ON tg.tgrelid = c.oid WHERE NOT tg.tgisinternal"
	/* row level security policies and rules */
	" UNION ALL SELECT 'policy ' || c.qname || '.' || quote_ident(po.polname),"
	"   CASE WHEN po.polpermissive THEN 'permissive ' ELSE 'restrictive ' END || po.polcmd::text"
	"   || ' to ' || COALESCE((SELECT string_agg(CASE WHEN ro = 0 THEN 'public' ELSE ro::regrole::text END, ',' ORDER BY 1)"
	"        FROM unnest(po.polroles) ro), '')"
	"   || COALESCE(' using ' || pg_catalog.pg_get_expr(po.polqual, po.polrelid), '')"
	"   || COALESCE(' with check ' || pg_catalog.pg_get_expr(po.polwithcheck, po.polrelid), '')"
	"   FROM rel c JOIN pg_catalog.pg_policy po ON po.polrelid = c.oid"
	" UNION ALL SELECT 'rule ' || c.qname || '.' || quote_ident(ru.rulename), pg_catalog.pg_get_ruledef(ru.oid)"
	"   FROM rel c JOIN pg_catalog.pg_rewrite ru ON ru.ev_class = c.oid WHERE ru.rulename <> '_RETURN'"
	/* functions and procedures (aggregates by signature only) */
	" UNION ALL SELECT CASE p.prokind WHEN 'p' THEN 'procedure ' WHEN 'a' THEN 'aggregate ' ELSE 'function ' END"
	"     || quote_ident(n.nspname) || '.' || quote_ident(p.proname)"
	"     || '(' || pg_catalog.pg_get_function_identity_arguments(p.oid) || ')',"
	"   CASE WHEN p.prokind = 'a' THEN '' ELSE " SHORT("pg_catalog.pg_get_functiondef(p.oid)") " END"
	"   FROM nsp n JOIN pg_catalog.pg_proc p ON p.pronamespace = n.oid"
	"   WHERE " NOT_EXT("pg_proc", "p.oid")
	/* enums, domains (and their constraints), ranges, composite types */
	" UNION ALL SELECT 'type ' || quote_ident(n.nspname) || '.' || quote_ident(t.typname),"
	"   CASE t.typtype"
	"     WHEN 'e' THEN 'enum (' || COALESCE((SELECT string_agg(quote_literal(e.enumlabel), ', ' ORDER BY e.enumsortorder)"
	"          FROM pg_catalog.pg_enum e WHERE e.enumtypid = t.oid), '') || ')'"
	"     WHEN 'd' THEN 'domain ' || pg_catalog.format_type(t.typbasetype, t.typtypmod)"
	"          || CASE WHEN t.typnotnull THEN ' not null' ELSE '' END"
	"          || COALESCE(' default ' || t.typdefault, '')"
	"     WHEN 'r' THEN 'range of ' || (SELECT r.rngsubtype::regtype::text FROM pg_catalog.pg_range r WHERE r.rngtypid = t.oid)"
	"     ELSE 'composite' END"
	"   FROM nsp n JOIN pg_catalog.pg_type t ON t.typnamespace = n.oid"
	"   WHERE (t.typtype IN ('e', 'd', 'r') OR (t.typtype = 'c' AND"
	"     EXISTS (SELECT 1 FROM rel c WHERE c.oid = t.typrelid AND c.relkind = 'c')))"
	"   AND " NOT_EXT("pg_type", "t.oid")
	" UNION ALL SELECT 'constraint ' || quote_ident(n.nspname) || '.' || quote_ident(t.typname) || '.' || quote_ident(co.conname),"
	"   pg_catalog.pg_get_constraintdef(co.oid) || CASE WHEN co.convalidated THEN '' ELSE ' (not validated)' END"
	"   FROM nsp n JOIN pg_catalog.pg_type t ON t.typnamespace = n.oid AND t.typtype = 'd'"
	"   JOIN pg_catalog.pg_constraint co ON co.contypid = t.oid"
	/* extensions */
	" UNION ALL SELECT 'extension ' || quote_ident(x.extname), x.extversion || ' in ' || quote_ident(n.nspname)"
	"   FROM pg_catalog.pg_extension x JOIN pg_catalog.pg_namespace n ON n.oid = x.extnamespace"
	"   WHERE x.extname <> 'plpgsql'"
	") s ORDER BY k COLLATE \"C\", b COLLATE \"C\"";

/* The query is planned once per connection: a check takes two snapshots
 * per migration, and planning this union costs as much as running it. */
#define SNAPSHOT_STMT "predeploy_schema_snapshot"

static PGresult *failed(PGresult *r, struct db *db, struct err *e)
{
	db_error_from_result(r, db->conn, EXIT_INTERNAL, e);
	PQclear(r);
	return NULL;
}

static PGresult *run_snapshot(struct db *db, struct err *e)
{
	PGresult *r = PQexecPrepared(db->conn, SNAPSHOT_STMT, 0, NULL, NULL, NULL, 0);
	const char *state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;

	if (r && PQresultStatus(r) == PGRES_TUPLES_OK)
		return r;
	if (!state || strcmp(state, "26000"))      /* anything but "no such prepared statement" */
		return failed(r, db, e);
	PQclear(r);
	r = PQprepare(db->conn, SNAPSHOT_STMT, snapshot_sql, 0, NULL);
	if (!r || PQresultStatus(r) != PGRES_COMMAND_OK)
		return failed(r, db, e);
	PQclear(r);
	r = PQexecPrepared(db->conn, SNAPSHOT_STMT, 0, NULL, NULL, NULL, 0);
	if (!r || PQresultStatus(r) != PGRES_TUPLES_OK)
		return failed(r, db, e);
	return r;
}

int schema_snap_take(struct db *db, struct schema_snap *s, struct err *e)
{
	PGresult *r = run_snapshot(db, e);
	int i;

	if (!r)
		return -1;
	schema_snap_release(s);
	s->n = PQntuples(r);
	s->v = xcalloc((size_t)s->n + 1, sizeof(*s->v));
	for (i = 0; i < s->n; i++) {
		s->v[i].key = xstrdup(PQgetvalue(r, i, 0));
		s->v[i].body = xstrdup(PQgetvalue(r, i, 1));
	}
	PQclear(r);
	return 0;
}

static void add_line(struct strlist *out, const char *what, const struct schema_obj *o)
{
	struct strbuf sb = STRBUF_INIT;

	sb_addf(&sb, "%s: %s", what, o->key);
	if (*o->body)
		sb_addf(&sb, " (%s)", o->body);
	strlist_add(out, sb.buf);
	sb_release(&sb);
}

void schema_snap_diff(const struct schema_snap *a, const struct schema_snap *b, struct strlist *out)
{
	int i = 0, j = 0;

	while (i < a->n || j < b->n) {
		int c = i >= a->n ? 1 : j >= b->n ? -1 : strcmp(a->v[i].key, b->v[j].key);

		if (c < 0) {
			add_line(out, "missing", &a->v[i++]);
		} else if (c > 0) {
			add_line(out, "left behind", &b->v[j++]);
		} else {
			if (strcmp(a->v[i].body, b->v[j].body)) {
				struct strbuf sb = STRBUF_INIT;

				sb_addf(&sb, "changed: %s: %s -> %s", a->v[i].key, a->v[i].body, b->v[j].body);
				strlist_add(out, sb.buf);
				sb_release(&sb);
			}
			i++;
			j++;
		}
	}
}

void schema_snap_release(struct schema_snap *s)
{
	int i;

	for (i = 0; i < s->n; i++) {
		free(s->v[i].key);
		free(s->v[i].body);
	}
	free(s->v);
	s->v = NULL;
	s->n = 0;
}
