/*
 * schema_snap: a normalised description of a database's schema, and the
 * difference between two of them (`predeploy check`, docs/check.md).
 *
 *   struct schema_snap a = SCHEMA_SNAP_INIT, b = SCHEMA_SNAP_INIT;
 *   struct strlist diff = { 0 };
 *   if (schema_snap_take(&db, &a, &err) < 0) ...
 *   ... change the schema ...
 *   if (schema_snap_take(&db, &b, &err) < 0) ...
 *   schema_snap_diff(&a, &b, &diff);     // empty when equal
 *   schema_snap_release(&a); ...; strlist_clear(&diff);
 *
 * A snapshot is one catalog query: every object outside the system schemas
 * (and outside extensions) as a key ("column public.users.email") and a
 * body (its type, default, nullability, position...), ordered byte-wise by
 * key.  Names and definitions only, never OIDs, so dropping and recreating
 * an object identically compares equal; data, comments, owners and
 * privileges are not compared.  What is compared is listed in
 * docs/check.md.
 *
 * Diff lines read "missing: KEY (BODY)" (in a, not in b), "left behind:
 * KEY (BODY)" (in b, not in a) and "changed: KEY: BODY_A -> BODY_B".
 */
#ifndef PREDEPLOY_SCHEMA_SNAP_H
#define PREDEPLOY_SCHEMA_SNAP_H

#include "config.h"
#include "db.h"
#include "util/err.h"
#include "util/strlist.h"

struct schema_obj {
	char *key;
	char *body;
};

struct schema_snap {
	struct schema_obj *v;
	int n;
};

#define SCHEMA_SNAP_INIT { NULL, 0 }

int schema_snap_take(struct db *db, struct schema_snap *s, struct err *e);

/*
 * A scoped snapshot describes only what a SQL migration can have changed
 * (`check` takes two per migration; describing the whole schema each time
 * cost it 16-21x `up`).  The rows are those of the full snapshot for the
 * objects in scope, so two snapshots of one scope compare like two full
 * ones.  What the scope holds, and when it is the full snapshot, is in
 * docs/check.md ("Which objects each migration's snapshots describe").
 *
 *   struct schema_scope sc = SCHEMA_SCOPE_INIT;
 *   schema_scope_add_sql(&sc, up_sql, up_len);       // schema_scope.c: names, calls,
 *   schema_scope_add_sql(&sc, down_sql, down_len);   //   or full on any other statement
 *   schema_snap_take_scoped(db, &sc, &before, &e);   // before the up
 *   ... up, down ...
 *   schema_snap_take_scoped(db, &sc, &after, &e);    // the same scope
 *   schema_scope_release(&sc);
 *
 * The scope is name-based, so that objects the up creates are in it too:
 * the relations, indexes and types the SQL names, in every user schema,
 * and all that depends on them through pg_depend (recursively, as DROP
 * ... CASCADE would find it), each described through its relation, type
 * or function.  The first snapshot also probes for code that could change
 * objects outside the scope (a call of the user's function, triggers and
 * rules under a data change, event triggers...): then it and every later
 * snapshot of the scope are full.  The later snapshots describe what the
 * first one did (by OID) plus the scope resolved again.  The first scoped
 * snapshot on a connection sets its plan_cache_mode to force_generic_plan
 * (schema_snap.c says why).
 */
struct schema_scope {
	int full;               /* describe everything */
	const char *why;        /* why full: static text, or why_owned */
	char *why_owned;
	struct strlist names;   /* names of relations, indexes, types (any schema) */
	struct strlist calls;   /* functions the SQL calls, by name */
	struct strlist ops;     /* operators and operator classes it uses */
	int dml;                /* it changes rows (triggers and rules may run) */
	int taken;              /* scoped snapshots taken */
	char *rels, *types, *procs; /* what the first one described: OID array literals */
};

#define SCHEMA_SCOPE_INIT { 0, NULL, NULL, STRLIST_INIT, STRLIST_INIT, STRLIST_INIT, 0, 0, NULL, NULL, NULL }

/* Add one section's statements (schema_scope.c); sets full (and why) for
 * a statement outside the kinds it can scope, one it cannot parse, or more
 * names than a scope is worth. */
void schema_scope_add_sql(struct schema_scope *sc, const char *sql, size_t len);
/* A snapshot of the scope (the full one when sc->full, which the first
 * snapshot's probe may set). */
int schema_snap_take_scoped(struct db *db, struct schema_scope *sc, struct schema_snap *s, struct err *e);
void schema_scope_release(struct schema_scope *sc);
void schema_snap_diff(const struct schema_snap *a, const struct schema_snap *b, struct strlist *out);
void schema_snap_release(struct schema_snap *s);

#endif
