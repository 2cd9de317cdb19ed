/*
 * lint_int: what the parts of src/lint share (not part of the public API).
 *
 * Layers, each calling only the ones below it:
 *
 *   driver.c          lint_migrations/lint_sql: split, parse, call the families
 *     annotate.c      -- predeploy:allow comments between statements
 *     depth.c         nesting estimate before parsing
 *   rules_*.c         one family of rules each; decide *whether* a rule fires
 *   fk.c              foreign-key index coverage
 *   findings.c        lint_emit*, finding_drop, blocking; report-level API
 *   report.c          a report as text, JSON, GitHub annotations
 *   memory.c          what earlier migrations of the run created and declared
 *   rules.c names.c   rule data (severity, message, help, flags); name helpers
 *
 * A family reports through lint_emit(ctx, RULE_ID, table, object); the
 * rule's data lives in rules.c, so the families never decide how a finding
 * reads or whether it blocks.
 */
#ifndef PREDEPLOY_LINT_INT_H
#define PREDEPLOY_LINT_INT_H

#include <pg_query/pg_query.pb-c.h>

#include "lint/lint.h"

/* Estimated parse-tree depth above which a statement is not parsed. */
#define LINT_MAX_DEPTH 1000

/* ---- rules.c ---- */

#define LR_LOCK        1u   /* lock or rewrite risk: --large-table escalates it */
#define LR_DESTRUCTIVE 2u   /* data loss: blocked on protected tables */
#define LR_NOACK       4u   /* cannot be acknowledged (syntax errors) */
#define LR_NEWOK       8u   /* exempt on tables this run creates (their rows are its own) */

struct lint_rule {
	const char *id;
	enum lint_severity severity;
	unsigned flags;
	const char *message;    /* "{}" is replaced by the object's quoted name */
	const char *help;
};

const struct lint_rule *lint_rule_find(const char *id);

/* ---- names.c ---- */

/* A set of names seen in this migration: tables ("schema.t" or "t"),
 * indexes, constraints ("t/conname"), columns ("t.col").  Compared
 * case-insensitively; nameset_clear frees. */
struct nameset {
	char **v;
	int n, alloc;
};

void nameset_add(struct nameset *s, const char *name);
int nameset_has(const struct nameset *s, const char *name);
void nameset_del(struct nameset *s, const char *name);
void nameset_clear(struct nameset *s);
/* Does the set hold table `table` (by table_match)? */
int nameset_has_table(const struct nameset *s, const char *table);
/* "users" matches "public.users" and "users"; "a.users" does not match
 * "b.users". */
int table_match(const char *a, const char *b);
/* "t" of "s.t". */
const char *name_unqualified(const char *name);
/* "schema.rel" or "rel" (lower-cased as the parser already folded it);
 * caller frees. */
char *rv_name(const PgQuery__RangeVar *rv);
/* Last element of a qualified name list (List of String), or "". */
const char *names_last(PgQuery__Node **v, size_t n);
/* "a.b.c" from a List of String; caller frees. */
char *names_join(PgQuery__Node **v, size_t n);
/* Canonical type text: "varchar(20)", "text", "int4", "numeric(10,2)",
 * "int4[]"; caller frees. */
char *type_canon(const PgQuery__TypeName *t);
/* Is changing a column from canonical type old to new_ binary compatible
 * (no rewrite, no scan)?  varchar(n) -> varchar(m >= n), varchar, text;
 * numeric(p,s) -> numeric(q >= p,s), numeric; cidr -> inet; same type. */
int type_change_safe(const char *old, const char *new_);

/* ---- the state of one section (owned by driver.c) ---- */

struct lint_ctx {
	const struct lint_opts *o;
	struct lint_report *r;
	const char *file;
	const char *version;
	int no_transaction;
	int plain_file;             /* MIGRATION_PLAIN: not run by predeploy */

	struct nameset tables;      /* created in this migration */
	struct nameset indexes;
	struct nameset constraints;
	struct nameset columns;
	struct nameset not_valid;   /* constraints added NOT VALID here */
	struct nameset fk_indexed;  /* "t(col,...)" index leading columns here */

	/* fk_without_index findings (index into r->v), dropped at the end of
	 * the section when a later index covers them */
	struct { int finding; char *key; } *fk;
	int nfk, fk_alloc;

	int lock_timeout_set;
	int lock_timeout_reported;

	/* the statement being checked */
	int line, col;
	struct strlist stmt_allow;
	struct strlist section_allow;
};

/* Was the table created earlier in this migration? */
int ctx_table_is_new(const struct lint_ctx *c, const char *table);

/* ---- findings.c ---- */

/* Report a rule at the current statement; returns the finding's index in
 * c->r.  table: the table it is about (NULL if none); object: what "{}" in
 * the message names (defaults to table). */
int lint_emit(struct lint_ctx *c, const char *rule, const char *table, const char *object);
/* Same with an explicit message (syntax errors). */
int lint_emit_msg(struct lint_ctx *c, const char *rule, const char *table, const char *msg);
/* Same at an explicit position; msg NULL: the rule's message. */
int lint_emit_at(struct lint_ctx *c, int line, int col, const char *rule, const char *table,
		 const char *object, const char *msg);
/* A destructive statement that names no table but can reach any (DROP
 * OWNED, dynamic SQL run now): protected whenever a table is protected. */
int lint_emit_any_table(struct lint_ctx *c, const char *rule, const char *object);
/* Remove finding k from r (later findings move down by one). */
void finding_drop(struct lint_report *r, int k);

/* ---- fk.c ---- */

/* Foreign key on table(cols): report fk_without_index unless an index of
 * this migration covers it (checked again at the end of the section). */
void lint_check_fk(struct lint_ctx *c, const char *table, PgQuery__Node **cols, size_t ncols,
		   const char *object);
void lint_check_fk_col(struct lint_ctx *c, const char *table, const char *col, const char *object);
/* Record that an index on table(cols) exists (every leading prefix). */
void lint_index_cols(struct lint_ctx *c, const char *table, PgQuery__Node **cols, size_t ncols);
void lint_index_col(struct lint_ctx *c, const char *table, const char *col);
/* End of section: drop fk_without_index findings a later index covers. */
void lint_fk_finish(struct lint_ctx *c);

/* ---- memory.c: across the migrations of one report ---- */

/* Tables created by an earlier migration of this run (the batch); findings
 * on them are exempt once the catalog confirms they do not exist yet. */
void lint_memory_add_table(struct lint_report *r, const char *table);
int lint_memory_has_table(const struct lint_report *r, const char *table);

void lint_memory_set_type(struct lint_report *r, const char *table, const char *col,
			  const PgQuery__TypeName *t);
/* Canonical "name(typmods)" of the column's last known type, or NULL. */
const char *lint_memory_get_type(const struct lint_report *r, const char *table, const char *col);
void lint_memory_free(struct lint_memory *m);

/* ---- rule families: each looks at one top-level statement ---- */

void rules_destructive(struct lint_ctx *c, const PgQuery__Node *stmt);
void rules_alter(struct lint_ctx *c, const PgQuery__Node *stmt);
void rules_index(struct lint_ctx *c, const PgQuery__Node *stmt);
void rules_types(struct lint_ctx *c, const PgQuery__Node *stmt);
void rules_tx(struct lint_ctx *c, const PgQuery__Node *stmt);
void rules_dynamic(struct lint_ctx *c, const PgQuery__Node *stmt);
/* Called after the families: record what the statement creates. */
void rules_track(struct lint_ctx *c, const PgQuery__Node *stmt);

/* ---- annotate.c, depth.c (used by the driver) ---- */

/* Parse every "-- predeploy:allow RULES [reason]" line in gap[0..n), which
 * starts at line gap_line; top: the gap before the first statement. */
void lint_annotations(struct lint_ctx *c, const char *gap, size_t n, int gap_line, int top);
/* lint_depth_estimate (depth.c) is declared in lint.h: check's scope
 * (schema_scope.c) parses statements too. */

#endif
