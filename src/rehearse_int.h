/*
 * rehearse_int: what rehearse.c and rehearse_diff.c share (not an API for
 * other modules; see rehearse.h).
 */
#ifndef PREDEPLOY_REHEARSE_INT_H
#define PREDEPLOY_REHEARSE_INT_H

#include "rehearse.h"
#include "schema_snap.h"

/* "schema.table relfilenode" of every user table and matview, sorted. */
int rehearse_filenodes(struct db *db, struct strlist *out, struct err *e);
/* The shadow's catalog before (a, fa) and after (b, fb) the migrator ran:
 * drops, renames, type changes, new NOT NULL and rewrites that no finding
 * in r->lint explains go to r->diff. */
void rehearse_catalog_diff(const struct schema_snap *a, const struct schema_snap *b, const struct strlist *fa,
			   const struct strlist *fb, const struct config *cfg, const struct rehearse_plan *p,
			   struct rehearse_result *r);

#endif
