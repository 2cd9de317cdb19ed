/*
 * check_report: text, JSON and GitHub Actions output of a check_result;
 * see check.h.  Library code: it fills a strbuf, entrypoint/ prints it.
 */
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "util/json.h"
#include "util/banned.h"

static const char *problem_file(const struct check_item *it, const struct check_problem *p)
{
	return p->err.file[0] ? p->err.file : it->m->up.path;
}

void check_report_text(const struct check_result *r, struct strbuf *out)
{
	int i, j, k;

	for (i = 0; i < r->n; i++) {
		const struct check_item *it = &r->items[i];

		sb_addf(out, "%-11s %s %s\n", it->status == CHECK_FAILED ? "FAILED" :
			it->status == CHECK_SKIPPED ? "not checked" : "ok", it->m->version, it->m->name);
		for (j = 0; j < it->np; j++) {
			const struct check_problem *p = &it->p[j];

			if (p->kind == CHECK_NOT_CHECKED)
				continue;
			sb_addf(out, "            %s%s: %s", p->fatal ? "" : "note: ", check_kind_name(p->kind),
				problem_file(it, p));
			if (p->err.line)
				sb_addf(out, ":%d", p->err.line);
			sb_adds(out, ": ");
			if (p->err.sqlstate[0])
				sb_addf(out, "%s: ", p->err.sqlstate);
			sb_addf(out, "%s\n", p->err.msg);
			if (p->err.detail[0])
				sb_addf(out, "              detail: %s\n", p->err.detail);
			for (k = 0; k < p->diff.n; k++)
				sb_addf(out, "              %s\n", p->diff.v[k]);
		}
	}
	if (r->lint.n) {
		sb_adds(out, "\nlint findings:\n");
		lint_report_text(&r->lint, out);
	}
	sb_addf(out, "\n%d migration%s checked, %d failed", r->n, r->n == 1 ? "" : "s", r->nfailed);
	if (r->nbase)
		sb_addf(out, ", %d applied without checking", r->nbase);
	sb_addf(out, " (%.1fs)\n", (double)r->duration_ms / 1000.0);
}

static void json_err(struct json_w *j, const char *key, const char *v)
{
	jw_str(j, key, v[0] ? v : NULL);
}

void check_report_json(const struct check_result *r, struct strbuf *out)
{
	struct json_w j;
	struct strbuf lint = STRBUF_INIT;
	int i, n, k;

	jw_init(&j, out, 0);
	jw_obj(&j, NULL);
	jw_bool(&j, "ok", !r->nfailed);
	jw_int(&j, "checked", r->n);
	jw_int(&j, "failed", r->nfailed);
	jw_int(&j, "applied_without_checking", r->nbase);
	jw_int(&j, "duration_ms", (long long)r->duration_ms);
	jw_arr(&j, "migrations");
	for (i = 0; i < r->n; i++) {
		const struct check_item *it = &r->items[i];

		jw_obj(&j, NULL);
		jw_str(&j, "version", it->m->version);
		jw_str(&j, "name", it->m->name);
		jw_str(&j, "file", it->m->up.path);
		jw_str(&j, "status", it->status == CHECK_FAILED ? "failed" :
				     it->status == CHECK_SKIPPED ? "not_checked" : "ok");
		jw_int(&j, "duration_ms", (long long)it->duration_ms);
		jw_arr(&j, "problems");
		for (n = 0; n < it->np; n++) {
			const struct check_problem *p = &it->p[n];

			jw_obj(&j, NULL);
			jw_str(&j, "kind", check_kind_name(p->kind));
			jw_bool(&j, "fatal", p->fatal);
			json_err(&j, "message", p->err.msg);
			json_err(&j, "file", problem_file(it, p));
			jw_int(&j, "line", p->err.line);
			json_err(&j, "sqlstate", p->err.sqlstate);
			json_err(&j, "detail", p->err.detail);
			json_err(&j, "hint", p->err.hint);
			jw_arr(&j, "diff");
			for (k = 0; k < p->diff.n; k++)
				jw_str(&j, NULL, p->diff.v[k]);
			jw_end(&j);
			jw_end(&j);
		}
		jw_end(&j);
		jw_end(&j);
	}
	jw_end(&j);
	lint_report_json(&r->lint, &lint);
	jw_raw(&j, "lint", lint.buf ? lint.buf : "[]");
	jw_end(&j);
	sb_addc(out, '\n');
	sb_release(&lint);
}

void check_report_github(const struct check_result *r, struct strbuf *out)
{
	int i, j, k;

	for (i = 0; i < r->n; i++) {
		const struct check_item *it = &r->items[i];

		for (j = 0; j < it->np; j++) {
			const struct check_problem *p = &it->p[j];
			char title[96];

			if (p->kind == CHECK_NOT_CHECKED)
				continue;
			snprintf(title, sizeof(title), "predeploy check %s", check_kind_name(p->kind));
			sb_addf(out, "::%s file=", p->fatal ? "error" : "notice");
			sb_add_workflow_escaped(out, problem_file(it, p), 1);
			sb_addf(out, ",line=%d,title=", p->err.line > 0 ? p->err.line : 1);
			sb_add_workflow_escaped(out, title, 1);
			sb_adds(out, "::");
			if (p->err.sqlstate[0]) {
				sb_add_workflow_escaped(out, p->err.sqlstate, 0);
				sb_adds(out, ": ");
			}
			sb_add_workflow_escaped(out, p->err.msg, 0);
			for (k = 0; k < p->diff.n; k++) {
				sb_adds(out, "%0A");
				sb_add_workflow_escaped(out, p->diff.v[k], 0);
			}
			sb_addc(out, '\n');
		}
	}
	lint_report_github(&r->lint, out);
}
