/* report: see report.h. */
#include "report.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "context.h"
#include "log.h"
#include "webhook.h"
#include "util/exitcode.h"
#include "util/json.h"
#include "util/timeutil.h"
#include "util/banned.h"

/* empty strings are "not known": null, as for a missing value */
static void kv_str(struct json_w *j, const char *k, const char *v)
{
	jw_str(j, k, v && *v ? v : NULL);
}

void report_data_json(const struct report *r, struct strbuf *o)
{
	const struct deploy_result *d = r->result;
	const struct context *c = context_get();
	struct json_w j;
	int i;

	jw_init(&j, o, 0);
	jw_obj(&j, NULL);
	jw_str(&j, "status", r->status);
	jw_int(&j, "exit_code", r->exit_code);
	kv_str(&j, "exit_reason", exitcode_name(r->exit_code));
	kv_str(&j, "database", r->database);
	kv_str(&j, "database_host", r->db_host);
	kv_str(&j, "host", c->host);
	kv_str(&j, "commit", c->commit);
	kv_str(&j, "predeploy_version", c->version);
	jw_int(&j, "duration_ms", (long long)r->duration_ms);
	if (d) {
		kv_str(&j, "migrator", d->migrator);
		kv_str(&j, "from_version", d->from_version);
		kv_str(&j, "to_version", d->to_version);
		jw_int(&j, "pending", d->npending);
		jw_arr(&j, "applied");
		for (i = 0; i < d->apply.ndone; i++) {
			jw_obj(&j, NULL);
			jw_str(&j, "version", d->apply.done[i].version);
			jw_str(&j, "name", d->apply.done[i].name);
			jw_int(&j, "duration_ms", (long long)d->apply.done[i].duration_ms);
			jw_end(&j);
		}
		jw_end(&j);
		if (d->backup_file) {
			jw_obj(&j, "backup");
			jw_str(&j, "file", d->backup_file);
			jw_str(&j, "sha256", d->backup_sha256);
			jw_bool(&j, "reused", d->backup_reused);
			jw_str(&j, "scope", d->scope.at_risk ? "at-risk" : "full");
			jw_arr(&j, "tables");
			for (i = 0; d->scope.at_risk && i < d->scope.tables.n; i++)
				jw_str(&j, NULL, d->scope.tables.v[i]);
			jw_end(&j);
			jw_end(&j);
		} else {
			jw_null(&j, "backup");
		}
		jw_raw(&j, "lint", d->lint_json.buf ? d->lint_json.buf : "null");
		jw_bool(&j, "forced", d->forced);
	}
	if (!d && r->file) {
		jw_obj(&j, "backup");
		jw_str(&j, "file", r->file);
		kv_str(&j, "sha256", r->sha256);
		jw_end(&j);
	}
	if (r->error) {
		const struct err *e = r->error;

		jw_obj(&j, "error");
		jw_str(&j, "message", e->msg);
		kv_str(&j, "detail", e->detail);
		kv_str(&j, "hint", e->hint);
		kv_str(&j, "sqlstate", e->sqlstate);
		kv_str(&j, "file", e->file);
		if (e->line)
			jw_int(&j, "line", e->line);
		else
			jw_null(&j, "line");
		jw_end(&j);
	} else {
		jw_null(&j, "error");
	}
	jw_end(&j);
}

void report_summary(const struct report *r, struct strbuf *o)
{
	const struct deploy_result *d = r->result;
	char dur[32];

	duration_format(r->duration_ms, dur, sizeof(dur));
	/* before a connection the database's name is unknown: say nothing rather than guess */
	sb_addf(o, "%s %s%s%s (exit %d)", r->action ? r->action : "deploy", r->status,
		r->database ? " on " : "", r->database ? r->database : "", r->exit_code);
	if (d) {
		if (d->apply.ndone)
			sb_addf(o, ": %d applied (%s -> %s)", d->apply.ndone,
				d->from_version[0] ? d->from_version : "none", d->to_version);
		else if (!d->npending)
			sb_addf(o, ": nothing pending, at %s", d->from_version[0] ? d->from_version : "no version");
		else if (d->tool_ms && !r->error)
			sb_addf(o, ": %s migrate command ran", d->migrator);
		else
			sb_addf(o, ": %d pending, still at %s", d->npending,
				d->from_version[0] ? d->from_version : "no version");
		if (d->backup_file)
			sb_addf(o, "; backup %s%s%s", d->backup_file, d->scope.at_risk ? " (at-risk scope)" : "",
				d->backup_reused ? " (reused)" : "");
	} else if (r->file) {
		sb_addf(o, ": %s", r->file);
	}
	sb_addf(o, " in %s", dur);
	if (r->error) {
		sb_adds(o, "; error: ");
		if (r->error->file[0])
			sb_addf(o, "%s:%d: ", r->error->file, r->error->line);
		sb_adds(o, r->error->msg);
		if (r->error->sqlstate[0])
			sb_addf(o, " (SQLSTATE %s)", r->error->sqlstate);
		/* a migration tool's last lines say why it failed */
		if (d && d->migrator && strcmp(d->migrator, "sql") && r->error->detail[0])
			sb_addf(o, "; output: %s", r->error->detail);
	}
}

int report_deliver(const struct config *cfg, const struct report *r)
{
	struct strbuf summary = STRBUF_INIT, data = STRBUF_INIT, type = STRBUF_INIT;
	struct webhook_msg m;
	struct err e = ERR_INIT;
	int rc = r->exit_code;

	if (!cfg->webhooks.n)
		return rc;
	report_summary(r, &summary);
	report_data_json(r, &data);
	sb_addf(&type, "%s.%s", r->action ? r->action : "deploy", r->exit_code ? "failed" : "succeeded");
	m.type = type.buf;
	m.data_json = data.buf;
	m.summary = summary.buf;
	m.details = NULL;
	if (webhook_deliver(cfg, &m, &e) < 0) {
		log_err(&e);
		if (cfg->webhook_required && rc == 0)
			rc = EXIT_WEBHOOK;
	}
	sb_release(&summary);
	sb_release(&data);
	sb_release(&type);
	return rc;
}
