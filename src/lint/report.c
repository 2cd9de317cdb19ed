/*
 * report: lint findings as text (terminal, logs), JSON (--format json and
 * the webhook) and GitHub Actions workflow commands.  Text has three
 * views (lint_text_view): every finding, blocking findings only (--quiet),
 * or blocking findings in full and a per-rule summary line for the rest
 * (large batches).
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "lint/lint_int.h"
#include "util/json.h"
#include "util/banned.h"

static void add_size(struct strbuf *out, int64_t bytes)
{
	static const char *const unit[] = { "bytes", "kB", "MB", "GB", "TB" };
	double v = (double)bytes;
	int u = 0;

	while (v >= 1024 && u < 4) {
		v /= 1024;
		u++;
	}
	if (u == 0)
		sb_addf(out, "%" PRId64 " bytes", bytes);
	else
		sb_addf(out, "%.1f %s", v, unit[u]);
}

static const char *sev_name(enum lint_severity s)
{
	return s == LINT_ERROR ? "error" : "warning";
}

static void text_one(const struct lint_finding *f, struct strbuf *out)
{
	sb_addf(out, "%s:%d:%d  %s  %s  %s\n", f->file, f->line, f->col, sev_name(f->severity),
		f->rule, f->message);
	sb_addf(out, "  help: %s\n", f->help);
	if (f->table && (f->rows >= 0 || f->bytes >= 0)) {
		sb_addf(out, "  table: %s", f->table);
		if (f->rows >= 0)
			sb_addf(out, ", ~%" PRId64 " rows", f->rows);
		if (f->bytes >= 0) {
			sb_adds(out, ", ");
			add_size(out, f->bytes);
		}
		if (f->escalated)
			sb_adds(out, " (above --large-table: warning raised to error)");
		sb_addc(out, '\n');
	}
	if (f->protected_table)
		sb_addf(out, "  protected table: %s\n",
			f->forced ? "passed with --force (recorded)" : "blocked even when acknowledged; only --force passes");
	else if (f->forced)
		sb_adds(out, "  passed with --force (recorded)\n");
	else if (f->acknowledged)
		sb_adds(out, "  acknowledged (predeploy:allow or --allow)\n");
	sb_addf(out, "  docs: docs/rules.md#%s\n", f->rule);
}

void lint_report_text(const struct lint_report *r, struct strbuf *out)
{
	lint_report_text_view(r, LINT_VIEW_ALL, out);
}

enum lint_view lint_text_view(const struct lint_report *r, int verbose, int quiet)
{
	int i, calm = 0;

	if (verbose)
		return LINT_VIEW_ALL;
	if (quiet)
		return LINT_VIEW_BLOCKING;
	for (i = 0; i < r->n; i++)
		calm += !r->v[i].blocking;
	return calm > LINT_SUMMARY_AFTER ? LINT_VIEW_SUMMARY : LINT_VIEW_ALL;
}

/* "  RULE  N warnings  first: FILE:LINE:COL" for every rule with
 * non-blocking findings, in order of first appearance. */
static void summary(const struct lint_report *r, struct strbuf *out)
{
	int i, k, n, total = 0;

	for (i = 0; i < r->n; i++)
		total += !r->v[i].blocking;
	if (!total)
		return;
	sb_addf(out, "%d non-blocking finding%s, one line per rule (--verbose prints each):\n", total,
		total == 1 ? "" : "s");
	for (i = 0; i < r->n; i++) {
		const struct lint_finding *f = &r->v[i];

		if (f->blocking)
			continue;
		for (k = 0; k < i; k++)
			if (!r->v[k].blocking && !strcmp(r->v[k].rule, f->rule))
				break;
		if (k < i)
			continue;       /* counted with its first */
		for (n = 0, k = i; k < r->n; k++)
			n += !r->v[k].blocking && !strcmp(r->v[k].rule, f->rule);
		sb_addf(out, "  %s  %d %s%s  first: %s:%d:%d\n", f->rule, n, sev_name(f->severity),
			n == 1 ? "" : "s", f->file, f->line, f->col);
	}
}

void lint_report_text_view(const struct lint_report *r, enum lint_view view, struct strbuf *out)
{
	int i;

	for (i = 0; i < r->n; i++)
		if (view == LINT_VIEW_ALL || r->v[i].blocking)
			text_one(&r->v[i], out);
	if (view == LINT_VIEW_SUMMARY)
		summary(r, out);
}

void lint_report_json(const struct lint_report *r, struct strbuf *out)
{
	struct json_w j;
	char docs[160];
	int i;

	jw_init(&j, out, 0);
	jw_arr(&j, NULL);
	for (i = 0; i < r->n; i++) {
		const struct lint_finding *f = &r->v[i];

		jw_obj(&j, NULL);
		jw_str(&j, "rule", f->rule);
		jw_str(&j, "severity", sev_name(f->severity));
		jw_str(&j, "file", f->file);
		jw_str(&j, "version", f->version);
		jw_int(&j, "line", f->line);
		jw_int(&j, "column", f->col);
		jw_str(&j, "message", f->message);
		jw_str(&j, "help", f->help);
		jw_str(&j, "table", f->table);
		if (f->rows >= 0)
			jw_int(&j, "rows", (long long)f->rows);
		else
			jw_null(&j, "rows");
		if (f->bytes >= 0)
			jw_int(&j, "bytes", (long long)f->bytes);
		else
			jw_null(&j, "bytes");
		jw_bool(&j, "acknowledged", f->acknowledged);
		jw_bool(&j, "protected", f->protected_table);
		jw_bool(&j, "forced", f->forced);
		jw_bool(&j, "escalated", f->escalated);
		jw_bool(&j, "blocking", f->blocking);
		snprintf(docs, sizeof(docs), "docs/rules.md#%s", f->rule);
		jw_str(&j, "docs", docs);
		jw_end(&j);
	}
	jw_end(&j);
}

void lint_report_github(const struct lint_report *r, struct strbuf *out)
{
	int i;

	for (i = 0; i < r->n; i++) {
		const struct lint_finding *f = &r->v[i];
		const char *level = f->blocking ? "error" : f->acknowledged || f->forced ? "notice" : "warning";
		char title[128];

		snprintf(title, sizeof(title), "predeploy %s", f->rule);
		sb_addf(out, "::%s file=", level);
		sb_add_workflow_escaped(out, f->file, 1);
		sb_addf(out, ",line=%d,col=%d,title=", f->line, f->col);
		sb_add_workflow_escaped(out, title, 1);
		sb_adds(out, "::");
		sb_add_workflow_escaped(out, f->message, 0);
		sb_adds(out, "%0Ahelp: ");
		sb_add_workflow_escaped(out, f->help, 0);
		sb_addc(out, '\n');
	}
}
