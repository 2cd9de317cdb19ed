/*
 * report: lint findings as text (terminal, logs), JSON (--format json and
 * the webhook) and GitHub Actions workflow commands.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "lint/lint_int.h"
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

void lint_report_text(const struct lint_report *r, struct strbuf *out)
{
	int i;

	for (i = 0; i < r->n; i++) {
		const struct lint_finding *f = &r->v[i];

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
}

void lint_report_json(const struct lint_report *r, struct strbuf *out)
{
	int i;

	sb_addc(out, '[');
	for (i = 0; i < r->n; i++) {
		const struct lint_finding *f = &r->v[i];

		if (i)
			sb_addc(out, ',');
		sb_adds(out, "{\"rule\":");
		sb_add_json_str(out, f->rule);
		sb_addf(out, ",\"severity\":\"%s\",\"file\":", sev_name(f->severity));
		sb_add_json_str(out, f->file);
		sb_adds(out, ",\"version\":");
		sb_add_json_str(out, f->version);
		sb_addf(out, ",\"line\":%d,\"column\":%d,\"message\":", f->line, f->col);
		sb_add_json_str(out, f->message);
		sb_adds(out, ",\"help\":");
		sb_add_json_str(out, f->help);
		sb_adds(out, ",\"table\":");
		if (f->table)
			sb_add_json_str(out, f->table);
		else
			sb_adds(out, "null");
		if (f->rows >= 0)
			sb_addf(out, ",\"rows\":%" PRId64, f->rows);
		else
			sb_adds(out, ",\"rows\":null");
		if (f->bytes >= 0)
			sb_addf(out, ",\"bytes\":%" PRId64, f->bytes);
		else
			sb_adds(out, ",\"bytes\":null");
		sb_addf(out, ",\"acknowledged\":%s,\"protected\":%s,\"forced\":%s,\"escalated\":%s,"
			"\"blocking\":%s,\"docs\":\"docs/rules.md#%s\"}",
			f->acknowledged ? "true" : "false", f->protected_table ? "true" : "false",
			f->forced ? "true" : "false", f->escalated ? "true" : "false",
			f->blocking ? "true" : "false", f->rule);
	}
	sb_addc(out, ']');
}

/* Workflow command escaping: data escapes % CR LF, properties also : and , */
static void gh_escape(struct strbuf *out, const char *s, int property)
{
	for (; *s; s++) {
		if (*s == '%')
			sb_adds(out, "%25");
		else if (*s == '\r')
			sb_adds(out, "%0D");
		else if (*s == '\n')
			sb_adds(out, "%0A");
		else if (property && *s == ':')
			sb_adds(out, "%3A");
		else if (property && *s == ',')
			sb_adds(out, "%2C");
		else
			sb_addc(out, *s);
	}
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
		gh_escape(out, f->file, 1);
		sb_addf(out, ",line=%d,col=%d,title=", f->line, f->col);
		gh_escape(out, title, 1);
		sb_adds(out, "::");
		gh_escape(out, f->message, 0);
		sb_adds(out, "%0Ahelp: ");
		gh_escape(out, f->help, 0);
		sb_addc(out, '\n');
	}
}
