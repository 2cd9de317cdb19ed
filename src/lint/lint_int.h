/*
 * lint_int: what the rule families share (not part of the public API).
 *
 * lint.c walks a section statement by statement and hands each parsed
 * statement to every rule family's check function (rules_*.c).  A family
 * reports through lint_emit(ctx, RULE_ID, table, object); the rule's data
 * (severity, message, help, flags) lives in rules.c, so the families only
 * decide *whether* a rule fires, never how it reads.
 */
#ifndef PREDEPLOY_LINT_INT_H
#define PREDEPLOY_LINT_INT_H

#include <pg_query/pg_query.pb-c.h>

#include "lint/lint.h"

/* Rule flags. */
#define LR_LOCK        1u   /* lock or rewrite risk: --large-table escalates it */
#define LR_DESTRUCTIVE 2u   /* data loss: blocked on protected tables */
#define LR_NOACK       4u   /* cannot be acknowledged (syntax errors) */

struct lint_rule {
	const char *id;
	enum lint_severity severity;
	unsigned flags;
	const char *message;    /* "{}" is replaced by the object's quoted name */
	const char *help;
};

const struct lint_rule *lint_rule_find(const char *id);

/* A name seen in this migration: tables ("schema.t" or "t"), indexes,
 * constraints ("t/conname"), columns ("t.col"). */
struct nameset {
	char **v;
	int n, alloc;
};

/* What lint remembers across the migrations of one report (column types,
 * for binary-compatible type changes), owned by lint_report.priv. */
struct lint_memory;

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

	/* fk_without_index findings, dropped at the end of the section when a
	 * later index covers them */
	struct { int finding; char *key; } *fk;
	int nfk, fk_alloc;

	int lock_timeout_set;
	int lock_timeout_reported;

	/* the statement being checked */
	int line, col;
	struct strlist stmt_allow;
	struct strlist section_allow;
};

/* Report a rule for the current statement.  table: the table it is about
 * (NULL if none); object: what "{}" in the message names (defaults to
 * table). */
void lint_emit(struct lint_ctx *c, const char *rule, const char *table, const char *object);
/* Same with an explicit message (syntax errors). */
void lint_emit_msg(struct lint_ctx *c, const char *rule, const char *table, const char *msg);

void nameset_add(struct nameset *s, const char *name);
int nameset_has(const struct nameset *s, const char *name);
void nameset_clear(struct nameset *s);

/* "schema.rel" or "rel" (lower-cased as the parser already folded it);
 * caller frees. */
char *rv_name(const PgQuery__RangeVar *rv);
/* Was the table created earlier in this migration? */
int ctx_table_is_new(const struct lint_ctx *c, const char *table);
/* Last element of a qualified name list (List of String), or "". */
const char *names_last(PgQuery__Node **v, size_t n);
/* "a.b.c" from a List of String; caller frees. */
char *names_join(PgQuery__Node **v, size_t n);

/* Foreign key on table(cols): report fk_without_index unless an index of
 * this migration covers it (checked again at the end of the section). */
void lint_check_fk(struct lint_ctx *c, const char *table, PgQuery__Node **cols, size_t ncols,
		   const char *object);
/* Record that an index on table(cols) exists (every leading prefix). */
void lint_index_cols(struct lint_ctx *c, const char *table, PgQuery__Node **cols, size_t ncols);
void lint_fk_finish(struct lint_ctx *c);

/* Rule families: each looks at one top-level statement. */
void rules_destructive(struct lint_ctx *c, const PgQuery__Node *stmt);
void rules_alter(struct lint_ctx *c, const PgQuery__Node *stmt);
void rules_index(struct lint_ctx *c, const PgQuery__Node *stmt);
void rules_types(struct lint_ctx *c, const PgQuery__Node *stmt);
void rules_tx(struct lint_ctx *c, const PgQuery__Node *stmt);
/* Called before the families: record what the statement creates. */
void rules_track(struct lint_ctx *c, const PgQuery__Node *stmt);

/* Column type memory (report-wide). */
void lint_memory_set_type(struct lint_report *r, const char *table, const char *col,
			  const PgQuery__TypeName *t);
/* Canonical "name(typmods)" of the column's last known type, or NULL. */
const char *lint_memory_get_type(const struct lint_report *r, const char *table, const char *col);
void lint_memory_free(struct lint_memory *m);
/* Canonical type text: "varchar(20)", "text", "int4", "numeric(10,2)",
 * "int4[]"; caller frees. */
char *type_canon(const PgQuery__TypeName *t);

#endif
