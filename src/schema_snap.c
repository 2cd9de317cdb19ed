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

#define PG_CLASS "'pg_catalog.pg_class'::pg_catalog.regclass::pg_catalog.oid"
#define PG_TYPE "'pg_catalog.pg_type'::pg_catalog.regclass::pg_catalog.oid"
#define PG_PROC "'pg_catalog.pg_proc'::pg_catalog.regclass::pg_catalog.oid"
#define PG_CONSTRAINT "'pg_catalog.pg_constraint'::pg_catalog.regclass::pg_catalog.oid"

/* The user's schemas. */
#define NSP_CTE \
	"nsp AS MATERIALIZED (" \
	"  SELECT n.oid, n.nspname FROM pg_catalog.pg_namespace n WHERE " USER_NSP("n") \
	"  AND " NOT_EXT("pg_namespace", "n.oid") ")"

/* The relations described: every one (REL_IN "TRUE") or those in scope. */
#define REL_CTE(REL_IN) \
	" rel AS MATERIALIZED (" \
	"  SELECT c.oid, c.relname, c.relkind, c.relpersistence, c.relrowsecurity, c.relispartition," \
	"    c.relpartbound, n.nspname, quote_ident(n.nspname) || '.' || quote_ident(c.relname) AS qname" \
	"  FROM pg_catalog.pg_class c JOIN nsp n ON n.oid = c.relnamespace" \
	"  WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f', 'c') AND " NOT_EXT("pg_class", "c.oid") \
	"  AND " REL_IN ")"

/* The description: a row (key, body, object) per object, where object is
 * the OID of a relation ('r'), function ('p') or type ('t') that the row
 * describes as a whole, for a scope to keep describing it (schema_scope).
 * PROC_IN and TYPE_IN choose the functions and types; EXTRA adds rows.
 *
 * User namespaces and relations first (small), everything else joined to
 * them through the catalogs' indexes (attrelid, indrelid, tgrelid,
 * conrelid) rather than by scanning whole system catalogs.  Defaults are
 * joined, not looked up per column: on a scratch database the catalogs
 * were never analysed, and the lookup became a scan of pg_attrdef per
 * column with a default. */
#define DESCRIBE(PROC_IN, TYPE_IN, EXTRA) \
	"SELECT k, b, o FROM (" \
	/* schemas */ \
	" SELECT 'schema ' || quote_ident(n.nspname) AS k, '' AS b, NULL AS o FROM nsp n" \
	/* tables, views, sequences, foreign and partitioned tables */ \
	" UNION ALL SELECT 'relation ' || c.qname," \
	"   CASE c.relkind WHEN 'r' THEN 'table' WHEN 'p' THEN 'partitioned table' WHEN 'v' THEN 'view'" \
	"     WHEN 'm' THEN 'materialized view' WHEN 'S' THEN 'sequence' WHEN 'f' THEN 'foreign table'" \
	"     ELSE c.relkind::text END" \
	"   || CASE c.relpersistence WHEN 'u' THEN ' unlogged' ELSE '' END" \
	"   || CASE WHEN c.relrowsecurity THEN ' row level security' ELSE '' END" \
	"   || CASE WHEN c.relkind = 'p' THEN ' by ' || pg_catalog.pg_get_partkeydef(c.oid) ELSE '' END" \
	"   || CASE WHEN c.relispartition THEN ' partition ' || pg_catalog.pg_get_expr(c.relpartbound, c.oid)" \
	"        || ' of ' || (SELECT i.inhparent::regclass::text FROM pg_catalog.pg_inherits i WHERE i.inhrelid = c.oid)" \
	"      ELSE '' END" \
	"   || CASE WHEN c.relkind IN ('v', 'm') THEN ' as ' || " SHORT("pg_catalog.pg_get_viewdef(c.oid, true)") " ELSE '' END" \
	"   || COALESCE((SELECT ' ' || s.seqtypid::regtype::text || ' start ' || s.seqstart || ' increment '" \
	"        || s.seqincrement || ' min ' || s.seqmin || ' max ' || s.seqmax || CASE WHEN s.seqcycle THEN ' cycle' ELSE '' END" \
	"        FROM pg_catalog.pg_sequence s WHERE s.seqrelid = c.oid), ''), 'r' || c.oid" \
	"   FROM rel c WHERE c.relkind <> 'c'" \
	/* columns (of composite types too), with their position among the visible ones */ \
	" UNION ALL SELECT 'column ' || c.qname || '.' || quote_ident(a.attname)," \
	"   pg_catalog.format_type(a.atttypid, a.atttypmod)" \
	"   || CASE WHEN a.attnotnull THEN ' not null' ELSE '' END" \
	"   || CASE WHEN a.attidentity <> '' THEN ' identity ' || a.attidentity::text ELSE '' END" \
	"   || CASE WHEN a.attgenerated <> '' THEN ' generated as ' ELSE '' END" \
	"   || CASE WHEN a.atthasdef THEN COALESCE(CASE WHEN a.attgenerated = '' THEN ' default ' ELSE '' END" \
	"        || pg_catalog.pg_get_expr(ad.adbin, ad.adrelid), '') ELSE '' END" \
	"   || CASE WHEN a.attcollation <> 0 AND a.attcollation <> (SELECT t.typcollation FROM pg_catalog.pg_type t WHERE t.oid = a.atttypid)" \
	"        THEN ' collate ' || (SELECT quote_ident(co.collname) FROM pg_catalog.pg_collation co WHERE co.oid = a.attcollation)" \
	"        ELSE '' END" \
	"   || ' position ' || row_number() OVER (PARTITION BY c.oid ORDER BY a.attnum), NULL" \
	"   FROM rel c JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid" \
	"   LEFT JOIN pg_catalog.pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum" \
	"   WHERE a.attnum > 0 AND NOT a.attisdropped AND c.relkind <> 'S'" \
	/* table constraints */ \
	" UNION ALL SELECT 'constraint ' || c.qname || '.' || quote_ident(co.conname)," \
	"   pg_catalog.pg_get_constraintdef(co.oid) || CASE WHEN co.convalidated THEN '' ELSE ' (not validated)' END, NULL" \
	"   FROM rel c JOIN pg_catalog.pg_constraint co ON co.conrelid = c.oid" \
	/* indexes */ \
	" UNION ALL SELECT 'index ' || quote_ident(c.nspname) || '.' || quote_ident(ic.relname)," \
	"   pg_catalog.pg_get_indexdef(i.indexrelid) || CASE WHEN i.indisvalid THEN '' ELSE ' (invalid)' END, NULL" \
	"   FROM rel c JOIN pg_catalog.pg_index i ON i.indrelid = c.oid" \
	"   JOIN pg_catalog.pg_class ic ON ic.oid = i.indexrelid" \
	/* triggers */ \
	" UNION ALL SELECT 'trigger ' || c.qname || '.' || quote_ident(tg.tgname)," \
	"   pg_catalog.pg_get_triggerdef(tg.oid) || CASE tg.tgenabled WHEN 'D' THEN ' (disabled)' ELSE '' END, NULL" \
	"   FROM rel c JOIN pg_catalog.pg_trigger tg ON tg.tgrelid = c.oid WHERE NOT tg.tgisinternal" \
	/* row level security policies and rules */ \
	" UNION ALL SELECT 'policy ' || c.qname || '.' || quote_ident(po.polname)," \
	"   CASE WHEN po.polpermissive THEN 'permissive ' ELSE 'restrictive ' END || po.polcmd::text" \
	"   || ' to ' || COALESCE((SELECT string_agg(CASE WHEN ro = 0 THEN 'public' ELSE ro::regrole::text END, ',' ORDER BY 1)" \
	"        FROM unnest(po.polroles) ro), '')" \
	"   || COALESCE(' using ' || pg_catalog.pg_get_expr(po.polqual, po.polrelid), '')" \
	"   || COALESCE(' with check ' || pg_catalog.pg_get_expr(po.polwithcheck, po.polrelid), ''), NULL" \
	"   FROM rel c JOIN pg_catalog.pg_policy po ON po.polrelid = c.oid" \
	" UNION ALL SELECT 'rule ' || c.qname || '.' || quote_ident(ru.rulename), pg_catalog.pg_get_ruledef(ru.oid), NULL" \
	"   FROM rel c JOIN pg_catalog.pg_rewrite ru ON ru.ev_class = c.oid WHERE ru.rulename <> '_RETURN'" \
	/* functions and procedures (aggregates by signature only) */ \
	" UNION ALL SELECT CASE p.prokind WHEN 'p' THEN 'procedure ' WHEN 'a' THEN 'aggregate ' ELSE 'function ' END" \
	"     || quote_ident(n.nspname) || '.' || quote_ident(p.proname)" \
	"     || '(' || pg_catalog.pg_get_function_identity_arguments(p.oid) || ')'," \
	"   CASE WHEN p.prokind = 'a' THEN '' ELSE " SHORT("pg_catalog.pg_get_functiondef(p.oid)") " END, 'p' || p.oid" \
	"   FROM nsp n JOIN pg_catalog.pg_proc p ON p.pronamespace = n.oid" \
	"   WHERE " NOT_EXT("pg_proc", "p.oid") " AND " PROC_IN \
	/* enums, domains (and their constraints), ranges, composite types */ \
	" UNION ALL SELECT 'type ' || quote_ident(n.nspname) || '.' || quote_ident(t.typname)," \
	"   CASE t.typtype" \
	"     WHEN 'e' THEN 'enum (' || COALESCE((SELECT string_agg(quote_literal(e.enumlabel), ', ' ORDER BY e.enumsortorder)" \
	"          FROM pg_catalog.pg_enum e WHERE e.enumtypid = t.oid), '') || ')'" \
	"     WHEN 'd' THEN 'domain ' || pg_catalog.format_type(t.typbasetype, t.typtypmod)" \
	"          || CASE WHEN t.typnotnull THEN ' not null' ELSE '' END" \
	"          || COALESCE(' default ' || t.typdefault, '')" \
	"     WHEN 'r' THEN 'range of ' || (SELECT r.rngsubtype::regtype::text FROM pg_catalog.pg_range r WHERE r.rngtypid = t.oid)" \
	"     ELSE 'composite' END, 't' || t.oid" \
	"   FROM nsp n JOIN pg_catalog.pg_type t ON t.typnamespace = n.oid" \
	"   WHERE (t.typtype IN ('e', 'd', 'r') OR (t.typtype = 'c' AND" \
	"     EXISTS (SELECT 1 FROM rel c WHERE c.oid = t.typrelid AND c.relkind = 'c')))" \
	"   AND " NOT_EXT("pg_type", "t.oid") " AND " TYPE_IN \
	" UNION ALL SELECT 'constraint ' || quote_ident(n.nspname) || '.' || quote_ident(t.typname) || '.' || quote_ident(co.conname)," \
	"   pg_catalog.pg_get_constraintdef(co.oid) || CASE WHEN co.convalidated THEN '' ELSE ' (not validated)' END, NULL" \
	"   FROM nsp n JOIN pg_catalog.pg_type t ON t.typnamespace = n.oid AND t.typtype = 'd'" \
	"   JOIN pg_catalog.pg_constraint co ON co.contypid = t.oid WHERE " TYPE_IN \
	/* extensions */ \
	" UNION ALL SELECT 'extension ' || quote_ident(x.extname), x.extversion || ' in ' || quote_ident(n.nspname), NULL" \
	"   FROM pg_catalog.pg_extension x JOIN pg_catalog.pg_namespace n ON n.oid = x.extnamespace" \
	"   WHERE x.extname <> 'plpgsql'" \
	EXTRA \
	") s ORDER BY k COLLATE \"C\", b COLLATE \"C\""

/* Everything. */
static const char snapshot_sql[] =
	"WITH " NSP_CTE "," REL_CTE("TRUE") DESCRIBE("TRUE", "TRUE", "");

/* Scoped (schema_scope): the objects named by $1 (relation, index and
 * type names, in any user schema), and everything that depends on them as
 * DROP ... CASCADE finds it: their dependents through pg_depend (of a
 * column: those of that column), recursively, and the owner of an
 * internal part (a view of its rule).  Each such object is described
 * through the relation, type or function it belongs to (a foreign key or a
 * trigger: its table).  MEM_EXTRA adds objects by OID. */
#define SCOPE_CTES(MEM_EXTRA) \
	"WITH RECURSIVE " NSP_CTE "," \
	" seed(cls, oid) AS (" \
	"  SELECT " PG_CLASS ", c.oid FROM unnest($1::text[]) x(name)" \
	"  JOIN pg_catalog.pg_class c ON c.relname = x.name JOIN nsp n ON n.oid = c.relnamespace" \
	"  UNION ALL SELECT " PG_TYPE ", t.oid FROM unnest($1::text[]) x(name)" \
	"  JOIN pg_catalog.pg_type t ON t.typname = x.name JOIN nsp n ON n.oid = t.typnamespace)," \
	" dep(cls, oid, sub) AS (" \
	"  SELECT cls, oid, 0 FROM seed" \
	"  UNION SELECT x.cls, x.oid, x.sub FROM dep, LATERAL (" \
	"    SELECT d.classid, d.objid, d.objsubid FROM pg_catalog.pg_depend d" \
	"    WHERE d.refclassid = dep.cls AND d.refobjid = dep.oid AND (dep.sub = 0 OR d.refobjsubid = dep.sub)" \
	"    UNION ALL SELECT d.refclassid, d.refobjid, 0 FROM pg_catalog.pg_depend d" \
	"    WHERE d.classid = dep.cls AND d.objid = dep.oid AND d.deptype = 'i') x(cls, oid, sub))," \
	" mem(cls, oid) AS MATERIALIZED (SELECT cls, oid FROM dep" MEM_EXTRA ")," \
	" srel AS MATERIALIZED (" \
	"  SELECT m.oid FROM mem m WHERE m.cls = " PG_CLASS \
	"  UNION SELECT i.indrelid FROM mem m JOIN pg_catalog.pg_index i ON i.indexrelid = m.oid WHERE m.cls = " PG_CLASS \
	"  UNION SELECT co.conrelid FROM mem m JOIN pg_catalog.pg_constraint co ON co.oid = m.oid WHERE m.cls = " PG_CONSTRAINT \
	"  UNION SELECT ad.adrelid FROM mem m JOIN pg_catalog.pg_attrdef ad ON ad.oid = m.oid" \
	"    WHERE m.cls = 'pg_catalog.pg_attrdef'::pg_catalog.regclass" \
	"  UNION SELECT tg.tgrelid FROM mem m JOIN pg_catalog.pg_trigger tg ON tg.oid = m.oid" \
	"    WHERE m.cls = 'pg_catalog.pg_trigger'::pg_catalog.regclass" \
	"  UNION SELECT po.polrelid FROM mem m JOIN pg_catalog.pg_policy po ON po.oid = m.oid" \
	"    WHERE m.cls = 'pg_catalog.pg_policy'::pg_catalog.regclass" \
	"  UNION SELECT ru.ev_class FROM mem m JOIN pg_catalog.pg_rewrite ru ON ru.oid = m.oid" \
	"    WHERE m.cls = 'pg_catalog.pg_rewrite'::pg_catalog.regclass" \
	"  UNION SELECT t.typrelid FROM mem m JOIN pg_catalog.pg_type t ON t.oid = m.oid" \
	"    WHERE m.cls = " PG_TYPE " AND t.typrelid <> 0)," \
	" styp AS MATERIALIZED (" \
	"  SELECT m.oid FROM mem m WHERE m.cls = " PG_TYPE \
	"  UNION SELECT co.contypid FROM mem m JOIN pg_catalog.pg_constraint co ON co.oid = m.oid" \
	"    WHERE m.cls = " PG_CONSTRAINT " AND co.contypid <> 0)," \
	" sproc AS MATERIALIZED (SELECT m.oid FROM mem m WHERE m.cls = " PG_PROC "),"

#define SCOPED_DESCRIBE(EXTRA) \
	REL_CTE("c.oid IN (SELECT oid FROM srel)") \
	DESCRIBE("p.oid IN (SELECT oid FROM sproc)", "t.oid IN (SELECT oid FROM styp)", EXTRA)

/* The first snapshot of a scope, which also probes: the first row may be
 * key '' and why the scope cannot be trusted: a function or operator (or
 * operator class) the SQL uses ($2, $3) being the user's (an exclusion
 * constraint names its operators as plain names: $1 counts too), the user's code
 * running on the objects in scope, a data change ($4) where triggers or
 * rules exist, an enabled event trigger, a cast through the user's
 * function. */
static const char scoped_first_sql[] =
	SCOPE_CTES("")
	" probe(why) AS ("
	"  SELECT 'an enabled event trigger' WHERE EXISTS ("
	"    SELECT 1 FROM pg_catalog.pg_event_trigger WHERE evtenabled <> 'D')"
	"  UNION ALL SELECT 'a call of the user''s function ' || quote_ident(min(p.proname))"
	"    FROM unnest($2::text[]) x(name) JOIN pg_catalog.pg_proc p ON p.proname = x.name"
	"    JOIN nsp n ON n.oid = p.pronamespace WHERE " NOT_EXT("pg_proc", "p.oid") " HAVING count(*) > 0"
	"  UNION ALL SELECT 'the user''s operator ' || min(o.oprname)"
	"    FROM unnest($3::text[] || $1::text[]) x(name) JOIN pg_catalog.pg_operator o ON o.oprname = x.name"
	"    JOIN nsp n ON n.oid = o.oprnamespace WHERE TRUE"
	"    AND " NOT_EXT("pg_operator", "o.oid") " HAVING count(*) > 0"
	"  UNION ALL SELECT 'the user''s operator class ' || quote_ident(min(o.opcname)) FROM pg_catalog.pg_opclass o"
	"    JOIN nsp n ON n.oid = o.opcnamespace WHERE o.opcname = ANY($3::text[])"
	"    AND " NOT_EXT("pg_opclass", "o.oid") " HAVING count(*) > 0"
	"  UNION ALL SELECT 'the user''s function ' || quote_ident(min(p.proname)) || ' runs on an object in scope'"
	"    FROM dep x JOIN pg_catalog.pg_depend d ON d.classid = x.cls AND d.objid = x.oid AND d.refclassid = " PG_PROC
	"    JOIN pg_catalog.pg_proc p ON p.oid = d.refobjid JOIN nsp n ON n.oid = p.pronamespace"
	"    WHERE " NOT_EXT("pg_proc", "p.oid") " HAVING count(*) > 0"
	"  UNION ALL SELECT 'a data change where triggers or rules exist' WHERE $4::boolean AND ("
	"    EXISTS (SELECT 1 FROM pg_catalog.pg_trigger WHERE NOT tgisinternal)"
	"    OR EXISTS (SELECT 1 FROM pg_catalog.pg_rewrite WHERE rulename <> '_RETURN' AND ev_class >= 16384))"
	"  UNION ALL SELECT 'a cast through the user''s function ' || quote_ident(min(p.proname))"
	"    FROM pg_catalog.pg_cast ca JOIN pg_catalog.pg_proc p ON p.oid = ca.castfunc"
	"    JOIN nsp n ON n.oid = p.pronamespace WHERE ca.oid >= 16384 AND " NOT_EXT("pg_proc", "p.oid")
	"    HAVING count(*) > 0),"
	SCOPED_DESCRIBE(" UNION ALL SELECT '', why, NULL FROM probe");

/* The later snapshots of a scope: also the relations, types and functions
 * the first one described ($2, $3, $4: OIDs). */
static const char scoped_next_sql[] =
	SCOPE_CTES(" UNION SELECT " PG_CLASS ", unnest($2::oid[])"
		   " UNION SELECT " PG_TYPE ", unnest($3::oid[])"
		   " UNION SELECT " PG_PROC ", unnest($4::oid[])")
	SCOPED_DESCRIBE("");

/* The queries are planned once per connection: a check takes two
 * snapshots per migration, and planning this union costs as much as
 * running it. */
#define SNAPSHOT_STMT "predeploy_schema_snapshot"
#define SCOPED_FIRST_STMT "predeploy_schema_snapshot_scoped_first"
#define SCOPED_NEXT_STMT "predeploy_schema_snapshot_scoped"
#define SCOPED_NPARAMS 4

static PGresult *failed(PGresult *r, struct db *db, struct err *e)
{
	db_error_from_result(r, db->conn, EXIT_INTERNAL, e);
	PQclear(r);
	return NULL;
}

static PGresult *run_prepared(struct db *db, const char *stmt, const char *sql, int n, const char *const *params,
			      struct err *e)
{
	PGresult *r = PQexecPrepared(db->conn, stmt, n, params, NULL, NULL, 0);
	const char *state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;

	if (r && PQresultStatus(r) == PGRES_TUPLES_OK)
		return r;
	if (!state || strcmp(state, "26000"))      /* anything but "no such prepared statement" */
		return failed(r, db, e);
	PQclear(r);
	if (n > 0) {
		/* With parameters the server plans each of the first executions
		 * for their values and, this union's generic plan looking dearer
		 * on paper, goes on doing so: 7 ms of planning for 2 ms of work.
		 * The scratch connection's statements all take the generic
		 * plan instead (plans change no result). */
		r = PQexec(db->conn, "SET plan_cache_mode = force_generic_plan");
		if (!r || PQresultStatus(r) != PGRES_COMMAND_OK)
			return failed(r, db, e);
		PQclear(r);
	}
	r = PQprepare(db->conn, stmt, sql, n, NULL);
	if (!r || PQresultStatus(r) != PGRES_COMMAND_OK)
		return failed(r, db, e);
	PQclear(r);
	r = PQexecPrepared(db->conn, stmt, n, params, NULL, NULL, 0);
	if (!r || PQresultStatus(r) != PGRES_TUPLES_OK)
		return failed(r, db, e);
	return r;
}

/* The rows' keys and bodies into s. */
static void fill(struct schema_snap *s, PGresult *r)
{
	int i;

	schema_snap_release(s);
	s->n = PQntuples(r);
	s->v = xcalloc((size_t)s->n + 1, sizeof(*s->v));
	for (i = 0; i < s->n; i++) {
		s->v[i].key = xstrdup(PQgetvalue(r, i, 0));
		s->v[i].body = xstrdup(PQgetvalue(r, i, 1));
	}
}

int schema_snap_take(struct db *db, struct schema_snap *s, struct err *e)
{
	PGresult *r = run_prepared(db, SNAPSHOT_STMT, snapshot_sql, 0, NULL, e);

	if (!r)
		return -1;
	fill(s, r);
	PQclear(r);
	return 0;
}

/* A text[] literal of the strings, for a parameter. */
static char *array_of(const struct strlist *l)
{
	struct strbuf sb = STRBUF_INIT;

	db_text_array(&sb, (const char *const *)l->v, l->n);
	return sb_detach(&sb, NULL);
}

/* The first snapshot of a scope: the OIDs of the relations, types and
 * functions it described, as array literals for the next ones. */
static void remember(struct schema_scope *sc, PGresult *r)
{
	struct strbuf rel = STRBUF_INIT, typ = STRBUF_INIT, proc = STRBUF_INIT;
	int i;

	for (i = 0; i < PQntuples(r); i++) {
		const char *o = PQgetvalue(r, i, 2);
		struct strbuf *sb = *o == 'r' ? &rel : *o == 't' ? &typ : *o == 'p' ? &proc : NULL;

		if (!sb)
			continue;
		sb_addc(sb, sb->len ? ',' : '{');
		sb_adds(sb, o + 1);
	}
	sb_adds(&rel, rel.len ? "}" : "{}");
	sb_adds(&typ, typ.len ? "}" : "{}");
	sb_adds(&proc, proc.len ? "}" : "{}");
	sc->rels = sb_detach(&rel, NULL);
	sc->types = sb_detach(&typ, NULL);
	sc->procs = sb_detach(&proc, NULL);
}

int schema_snap_take_scoped(struct db *db, struct schema_scope *sc, struct schema_snap *s, struct err *e)
{
	const char *params[SCOPED_NPARAMS];
	char *names = NULL, *calls = NULL, *ops = NULL;
	int first = !sc->taken, ret = -1;
	PGresult *r;

	if (sc->full)
		return schema_snap_take(db, s, e);
	names = array_of(&sc->names);
	params[0] = names;
	if (first) {
		calls = array_of(&sc->calls);
		ops = array_of(&sc->ops);
		params[1] = calls;
		params[2] = ops;
		params[3] = sc->dml ? "t" : "f";
		r = run_prepared(db, SCOPED_FIRST_STMT, scoped_first_sql, SCOPED_NPARAMS, params, e);
	} else {
		params[1] = sc->rels;
		params[2] = sc->types;
		params[3] = sc->procs;
		r = run_prepared(db, SCOPED_NEXT_STMT, scoped_next_sql, SCOPED_NPARAMS, params, e);
	}
	if (!r)
		goto out;
	if (PQntuples(r) > 0 && !*PQgetvalue(r, 0, 0)) {
		/* the probe: this scope cannot be trusted, describe everything */
		sc->full = 1;
		free(sc->why_owned);
		sc->why_owned = xstrdup(PQgetvalue(r, 0, 1));
		sc->why = sc->why_owned;
		PQclear(r);
		ret = schema_snap_take(db, s, e);
		goto out;
	}
	if (first)
		remember(sc, r);
	sc->taken++;
	fill(s, r);
	PQclear(r);
	ret = 0;
out:
	free(names);
	free(calls);
	free(ops);
	return ret;
}

void schema_scope_release(struct schema_scope *sc)
{
	strlist_clear(&sc->names);
	strlist_clear(&sc->calls);
	strlist_clear(&sc->ops);
	free(sc->why_owned);
	free(sc->rels);
	free(sc->types);
	free(sc->procs);
	memset(sc, 0, sizeof(*sc));
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
