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
void schema_snap_diff(const struct schema_snap *a, const struct schema_snap *b, struct strlist *out);
void schema_snap_release(struct schema_snap *s);

#endif
