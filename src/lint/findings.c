/*
 * findings: creating, judging and removing the findings of a report (see
 * lint_int.h for lint_emit*, finding_drop; lint.h for the report-level
 * API).  Whether a finding blocks is decided here, in one place
 * (finding_blocks): protected tables block unless --force, acknowledged
 * findings never do, errors (or warnings with --fail-on warning) do.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lint/lint_int.h"
#include "util/strbuf.h"
#include "util/xalloc.h"
#include "util/banned.h"

static int is_protected(const struct lint_opts *o, const char *rule, const char *table,
			const char *object)
{
	int i;

	if (!o->protect || !o->protect->n)
		return 0;
	for (i = 0; i < o->protect->n; i++) {
		const char *p = o->protect->v[i];

		if (table && table_match(p, table))
			return 1;
		/* DROP SCHEMA s takes every protected "s.t" with it */
		if (!strcmp(rule, "drop_schema") && object && strchr(p, '.') &&
		    !strncasecmp(p, object, strlen(object)) && p[strlen(object)] == '.')
			return 1;
	}
	return 0;
}

static int finding_blocks(const struct lint_finding *f, const struct lint_opts *o, int force)
{
	int would;

	if (f->protected_table)
		would = 1;
	else if (f->acknowledged)
		would = 0;
	else if (!strcmp(f->rule, "syntax_error") && o->server_judges_syntax)
		would = 0;
	else
		would = f->severity == LINT_ERROR || o->fail_on_warning;
	return would && !force;
}

/* blocking and forced, from the finding's state and the options */
static void finding_judge(struct lint_finding *f, const struct lint_opts *o)
{
	f->forced = o->force && finding_blocks(f, o, 0);
	f->blocking = finding_blocks(f, o, o->force);
}

static char *subst(const char *tmpl, const char *object)
{
	struct strbuf sb = STRBUF_INIT;
	const char *p = tmpl, *q;

	while ((q = strstr(p, "{}")) != NULL) {
		sb_add(&sb, p, (size_t)(q - p));
		sb_adds(&sb, object);
		p = q + 2;
	}
	sb_adds(&sb, p);
	return sb_detach(&sb, NULL);
}

static struct lint_finding *add_finding(struct lint_report *r)
{
	struct lint_finding *f;

	if (r->n == r->alloc) {
		r->alloc = r->alloc ? r->alloc * 2 : 16;
		r->v = xrealloc(r->v, sizeof(*r->v) * (size_t)r->alloc);
	}
	f = &r->v[r->n++];
	memset(f, 0, sizeof(*f));
	f->rows = f->bytes = -1;
	return f;
}

static int allowed(const struct lint_ctx *c, const char *rule)
{
	return (c->o->allow && strlist_has(c->o->allow, rule)) || strlist_has(&c->stmt_allow, rule) ||
	       strlist_has(&c->section_allow, rule);
}

/* any_table: the statement can touch any table (a protected one too) */
static int emit(struct lint_ctx *c, int line, int col, const char *rule, const char *table, const char *object,
		const char *msg, int any_table)
{
	const struct lint_rule *lr = lint_rule_find(rule);
	struct lint_finding *f;
	char *quoted = NULL;

	if (!lr)
		xdie("lint: rule missing from the rule table");
	f = add_finding(c->r);
	f->rule = xstrdup(rule);
	f->severity = lr->severity;
	f->file = xstrdup(c->file);
	f->version = xstrdup(c->version);
	f->line = line;
	f->col = col;
	if (msg) {
		f->message = xstrdup(msg);
	} else {
		quoted = xasprintf("\"%s\"", object ? object : table ? table : "");
		f->message = subst(lr->message, quoted);
	}
	f->help = xstrdup(lr->help);
	f->table = table && table[0] ? xstrdup(table) : NULL;
	/* acknowledging change_column_type covers the unverified variant */
	if (!(lr->flags & LR_NOACK))
		f->acknowledged = allowed(c, rule) ||
				  (!strcmp(rule, "change_column_type_unverified") && allowed(c, "change_column_type"));
	if (lr->flags & LR_DESTRUCTIVE)
		f->protected_table = any_table ? c->o->protect && c->o->protect->n
					       : is_protected(c->o, rule, f->table, object);
	if ((lr->flags & LR_NEWOK) && f->table)
		f->batch_new = lint_memory_has_table(c->r, f->table);
	finding_judge(f, c->o);
	free(quoted);
	return c->r->n - 1;
}

int lint_emit_at(struct lint_ctx *c, int line, int col, const char *rule, const char *table,
		 const char *object, const char *msg)
{
	return emit(c, line, col, rule, table, object, msg, 0);
}

int lint_emit_any_table(struct lint_ctx *c, const char *rule, const char *object)
{
	return emit(c, c->line, c->col, rule, NULL, object, NULL, 1);
}

int lint_emit(struct lint_ctx *c, const char *rule, const char *table, const char *object)
{
	return lint_emit_at(c, c->line, c->col, rule, table, object, NULL);
}

int lint_emit_msg(struct lint_ctx *c, const char *rule, const char *table, const char *msg)
{
	return lint_emit_at(c, c->line, c->col, rule, table, NULL, msg);
}

int lint_report_add(struct lint_report *r, const struct lint_opts *o, const struct strlist *allow, const char *rule,
		    const char *file, const char *version, int line, const char *table, const char *msg)
{
	struct lint_ctx c;
	int k;

	if (!lint_rule_find(rule))
		return -1;
	memset(&c, 0, sizeof(c));
	c.o = o;
	c.r = r;
	c.file = file;
	c.version = version ? version : "";
	if (allow)
		for (k = 0; k < allow->n; k++)
			strlist_add(&c.section_allow, allow->v[k]);
	k = emit(&c, line, 0, rule, table, NULL, msg, 0);
	strlist_clear(&c.section_allow);
	return k;
}

static void finding_release(struct lint_finding *f)
{
	free(f->rule);
	free(f->file);
	free(f->version);
	free(f->message);
	free(f->help);
	free(f->table);
	free(f->column);
	free(f->new_type);
}

void finding_drop(struct lint_report *r, int k)
{
	if (k < 0 || k >= r->n)
		return;
	finding_release(&r->v[k]);
	memmove(&r->v[k], &r->v[k + 1], sizeof(r->v[0]) * (size_t)(r->n - k - 1));
	r->n--;
}

/* ---- report-level (lint.h) ---- */

int lint_report_blocked(const struct lint_report *r)
{
	int i, n = 0;

	for (i = 0; i < r->n; i++)
		n += r->v[i].blocking != 0;
	return n;
}

int lint_report_forced(const struct lint_report *r)
{
	int i, n = 0;

	for (i = 0; i < r->n; i++)
		n += r->v[i].forced != 0;
	return n;
}

void lint_report_count(const struct lint_report *r, int *errors, int *warnings, int *acknowledged)
{
	int i;

	*errors = *warnings = *acknowledged = 0;
	for (i = 0; i < r->n; i++) {
		if (r->v[i].acknowledged || r->v[i].forced)
			++*acknowledged;
		else if (r->v[i].severity == LINT_ERROR)
			++*errors;
		else
			++*warnings;
	}
}

void lint_report_tables(const struct lint_report *r, struct strlist *out)
{
	int i;

	for (i = 0; i < r->n; i++)
		if (r->v[i].table && !strlist_has_ci(out, r->v[i].table))
			strlist_add(out, r->v[i].table);
}

void lint_report_apply_stats(struct lint_report *r, const struct lint_opts *o,
			     const struct lint_table_stats *stats, int nstats)
{
	int i, k;

	for (i = r->n - 1; i >= 0; i--) {
		struct lint_finding *f = &r->v[i];
		const struct lint_rule *lr = lint_rule_find(f->rule);

		if (!f->table)
			continue;
		for (k = 0; k < nstats; k++)
			if (stats[k].name && !strcasecmp(stats[k].name, f->table))
				break;
		if (k == nstats && f->batch_new) {
			finding_drop(r, i);     /* the run creates the table */
			continue;
		}
		if (k < nstats) {
			f->rows = stats[k].rows;
			f->bytes = stats[k].bytes;
			if (o->large_table > 0 && lr && (lr->flags & LR_LOCK) &&
			    f->severity == LINT_WARNING && f->rows > o->large_table) {
				f->severity = LINT_ERROR;
				f->escalated = 1;
			}
		}
		finding_judge(f, o);
	}
}

void lint_report_columns(const struct lint_report *r, struct strlist *tables, struct strlist *columns)
{
	int i;

	for (i = 0; i < r->n; i++)
		if (r->v[i].column && r->v[i].table) {
			strlist_add(tables, r->v[i].table);
			strlist_add(columns, r->v[i].column);
		}
}

/* An unverified type change the database showed to be a rewrite. */
static void become_type_change(struct lint_finding *f, const struct lint_opts *o, const char *old)
{
	const struct lint_rule *lr = lint_rule_find("change_column_type");
	char *obj = xasprintf("\"%s.%s\" (%s to %s)", f->table, f->column, old, f->new_type);

	free(f->rule);
	free(f->message);
	free(f->help);
	f->rule = xstrdup(lr->id);
	f->severity = lr->severity;
	f->message = subst(lr->message, obj);
	f->help = xstrdup(lr->help);
	f->acknowledged = f->acknowledged || (o->allow && strlist_has(o->allow, lr->id));
	f->protected_table = is_protected(o, lr->id, f->table, NULL);
	finding_judge(f, o);
	free(f->column);
	free(f->new_type);
	f->column = f->new_type = NULL;         /* decided */
	free(obj);
}

void lint_report_apply_types(struct lint_report *r, const struct lint_opts *o, const struct strlist *tables,
			     const struct strlist *columns, const char *const *types)
{
	int i, k;

	for (i = r->n - 1; i >= 0; i--) {
		struct lint_finding *f = &r->v[i];

		if (!f->column || !f->table)
			continue;
		for (k = 0; k < tables->n && k < columns->n; k++)
			if (types[k] && !strcasecmp(tables->v[k], f->table) && !strcasecmp(columns->v[k], f->column))
				break;
		if (k >= tables->n || k >= columns->n)
			continue;       /* not in the database: stays a warning */
		if (type_change_safe(types[k], f->new_type))
			finding_drop(r, i);
		else
			become_type_change(f, o, types[k]);
	}
}

void lint_report_release(struct lint_report *r)
{
	int i;

	for (i = 0; i < r->n; i++)
		finding_release(&r->v[i]);
	free(r->v);
	lint_memory_free(r->mem);
	memset(r, 0, sizeof(*r));
}
