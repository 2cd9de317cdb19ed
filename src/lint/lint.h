/*
 * lint: risk analysis of migration SQL (SPEC.md "Risk analysis",
 * docs/rules.md).  Never touches the database: catalog numbers (estimated
 * rows and size of the tables a finding names) come from the caller, see
 * src/catalog.h.
 *
 *   struct lint_opts o;
 *   struct lint_report r = LINT_REPORT_INIT;
 *   lint_opts_from_config(&o, cfg);
 *   if (lint_migrations(pending, n, &o, &r, &err) < 0) ...  // internal failure only
 *   // (or lint_migration(m, ...) per migration, lint_sql(text, ...))
 *   // optional, when a database is at hand (src/catalog.h does both steps):
 *   //   lint_report_tables(&r, &names); catalog_table_stats(db, &names, &st, &err);
 *   //   lint_report_apply_stats(&r, &o, st.v, st.n);
 *   if (lint_report_blocked(&r)) -> exit 10, print lint_report_text(&r, &sb)
 *   lint_report_json(&r, &sb);          // webhook / --format json
 *   lint_report_release(&r);            // safe twice
 *
 * lint_migration() appends the findings of the migration's up section to r
 * (several migrations accumulate in one report).  SQL that libpg_query
 * cannot parse is a `syntax_error` finding at its file:line, never a
 * failure; so is a statement nested too deeply to analyse safely
 * (`statement_too_complex`).  Lint runs on its own thread with a large
 * stack, so hostile input cannot overflow the caller's stack.
 *
 * A finding "blocks" (lint_report_blocked) when it is error-level (or
 * warning-level with fail_on_warning) and not acknowledged by a
 * `-- predeploy:allow` annotation or the allow list, or when it is a
 * destructive operation on a protected table and force is not set
 * (annotations and --allow do not help there; with force it passes and is
 * marked `forced`).  With `server_judges_syntax` (the gate in up/run: the
 * server parses with its own, possibly newer, grammar) syntax_error findings
 * are warnings that never block.
 */
#ifndef PREDEPLOY_LINT_H
#define PREDEPLOY_LINT_H

#include <stdint.h>

#include "config.h"
#include "migration.h"
#include "util/err.h"
#include "util/strbuf.h"

enum lint_severity { LINT_WARNING = 1, LINT_ERROR = 2 };

/* Catalog numbers for one table, keyed by the name as the migration wrote
 * it ("users" or "app.users"; compared case-insensitively). */
struct lint_table_stats {
	const char *name;
	int64_t rows;           /* pg_class.reltuples; -1 unknown (never analysed) */
	int64_t bytes;          /* pg_total_relation_size */
};

struct lint_opts {
	const struct strlist *allow;     /* rule ids acknowledged everywhere; may be NULL */
	const struct strlist *protect;   /* protected tables ("t" or "schema.t"); may be NULL */
	int force;                       /* pass destructive operations on protected tables */
	int fail_on_warning;             /* warnings block too */
	int64_t large_table;             /* rows; 0 = off: lock warnings above it become errors */
	int server_judges_syntax;        /* gate mode: syntax_error never blocks */
};

struct lint_finding {
	char *rule;             /* stable snake_case id, docs/rules.md#<rule> */
	enum lint_severity severity;    /* after --large-table escalation */
	char *file;             /* migration file */
	char *version;          /* migration version, "" for plain files */
	int line, col;          /* 1-based, in `file` */
	char *message;          /* names the lock level and what it blocks, or the loss */
	char *help;             /* the safe alternative */
	char *table;            /* table the finding is about, as written; NULL if none */
	int acknowledged;       /* by annotation or --allow */
	int protected_table;    /* destructive operation on a protected table */
	int forced;             /* protected, passed with --force */
	int escalated;          /* warning turned error by --large-table */
	int blocking;           /* computed by lint_migration / apply_stats */
	int64_t rows;           /* catalog estimate; -1 unknown */
	int64_t bytes;          /* -1 unknown */
	int batch_new;          /* table created by an earlier migration of this run */
	char *column;           /* change_column_type_unverified: the column, */
	char *new_type;         /* and its new type ("varchar(20)"); else NULL */
};

struct lint_memory;

struct lint_report {
	struct lint_finding *v;
	int n;
	int alloc;
	struct lint_memory *mem;    /* what earlier migrations defined (private) */
};

#define LINT_REPORT_INIT { NULL, 0, 0, NULL }

/* Fill o from the configuration (allow, protect, force, fail-on,
 * large-table); everything else zero. */
/* Estimated parse-tree depth of one statement s[0..n) (depth.c), from its
 * tokens: parse nothing deeper than a limit (the parser and the protobuf
 * reader recurse once per level).  Stops counting past 1000. */
int lint_depth_estimate(const char *s, size_t n);

void lint_opts_from_config(struct lint_opts *o, const struct config *cfg);

/* Lint m's up section; findings are appended to r.  Returns -1 only on an
 * internal failure (e.g. the worker thread could not start). */
int lint_migration(const struct migration *m, const struct lint_opts *o, struct lint_report *r,
		   struct err *e);
/* Lint the up sections of n migrations, in order, in one pass (faster
 * than n calls: one worker thread for all).  Same findings as calling
 * lint_migration() on each. */
int lint_migrations(const struct migration *const *v, int n, const struct lint_opts *o,
		    struct lint_report *r, struct err *e);
/* Lint a SQL text as if it were the up section of `file` starting at
 * `line` (tests, `lint` of stdin). */
int lint_sql(const char *sql, size_t len, const char *file, int line, int no_transaction,
	     const struct lint_opts *o, struct lint_report *r, struct err *e);

/* Column type changes whose old type lint could not know
 * (change_column_type_unverified), as parallel lists: tables[i] and
 * columns[i] (caller clears both). */
void lint_report_columns(const struct lint_report *r, struct strlist *tables, struct strlist *columns);
/* The database's canonical type of tables[i].columns[i] is types[i] (NULL:
 * no such column).  Each unverified change it decides is dropped (binary
 * compatible, e.g. varchar(20) -> varchar(40) or text) or becomes a
 * change_column_type error (a rewrite, e.g. shrinking a varchar). */
void lint_report_apply_types(struct lint_report *r, const struct lint_opts *o, const struct strlist *tables,
			     const struct strlist *columns, const char *const *types);

/* A finding that comes from outside the SQL text (the rehearsal's catalog
 * diff): the rule's severity and help, `msg` as its message, acknowledged
 * when o->allow or `allow` (may be NULL) lists the rule, protected-table
 * rules applied. Returns its index, -1 for an unknown rule. */
int lint_report_add(struct lint_report *r, const struct lint_opts *o, const struct strlist *allow, const char *rule,
		    const char *file, const char *version, int line, const char *table, const char *msg);
/* Number of blocking findings (0: the migrations may run). */
int lint_report_blocked(const struct lint_report *r);
/* Number of findings passed because of --force (record it in history). */
int lint_report_forced(const struct lint_report *r);
/* Distinct table names named by findings, for catalog_table_stats(). */
void lint_report_tables(const struct lint_report *r, struct strlist *out);
/* Attach the catalog numbers stats[0..n) (every table of
 * lint_report_tables that exists) to findings and, when o->large_table > 0,
 * turn lock-risk warnings on tables with more rows into errors; recomputes
 * `blocking` using the same opts as lint_migrations (pass them again).
 * Batch exemption: a finding on a table an earlier migration of the same
 * run creates (batch_new) is dropped when the table is not in stats, i.e.
 * the database does not have it: it will be new and hold only the rows the
 * run itself inserts. */
void lint_report_apply_stats(struct lint_report *r, const struct lint_opts *o,
			     const struct lint_table_stats *stats, int nstats);

/* file:line:col  severity  rule  message, then "  help: ..." (and
 * "  table: ~N rows, SIZE" when known).  Empty when no findings. */
void lint_report_text(const struct lint_report *r, struct strbuf *out);
/* Which findings the text shows: every one; the blocking ones only
 * (--quiet); or the blocking ones and, for the rest, one summary line per
 * rule: "  RULE  N warnings  first: FILE:LINE:COL" (more than
 * LINT_SUMMARY_AFTER non-blocking findings, unless --verbose). */
enum lint_view { LINT_VIEW_ALL, LINT_VIEW_BLOCKING, LINT_VIEW_SUMMARY };
#define LINT_SUMMARY_AFTER 20
enum lint_view lint_text_view(const struct lint_report *r, int verbose, int quiet);
void lint_report_text_view(const struct lint_report *r, enum lint_view view, struct strbuf *out);
/* Counts for a closing log line: errors and warnings not acknowledged or
 * forced, and the acknowledged or forced ones. */
void lint_report_count(const struct lint_report *r, int *errors, int *warnings, int *acknowledged);
/* A JSON array of objects: rule, severity, file, version, line, column,
 * message, help, table, rows, bytes, acknowledged, protected, forced,
 * escalated, blocking, docs.  Used by --format json and the webhook. */
void lint_report_json(const struct lint_report *r, struct strbuf *out);
/* GitHub Actions workflow commands: ::error file=F,line=L,col=C,title=RULE::MSG */
void lint_report_github(const struct lint_report *r, struct strbuf *out);
void lint_report_release(struct lint_report *r);

/* Rule metadata, for help texts and annotation checks. */
struct lint_rule_info {
	const char *id;
	enum lint_severity severity;
	const char *summary;
};
const struct lint_rule_info *lint_rules(int *n);
int lint_rule_known(const char *id);

#endif
