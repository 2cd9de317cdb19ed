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
#include "util/timeutil.h"
#include "util/banned.h"

static void kv_str(struct strbuf *o, const char *k, const char *v)
{
	sb_addf(o, ",\"%s\":", k);
	sb_add_json_str(o, v && *v ? v : NULL);
}

void report_data_json(const struct report *r, struct strbuf *o)
{
	const struct deploy_result *d = r->result;
	const struct context *c = context_get();
	int i;

	sb_adds(o, "{\"status\":");
	sb_add_json_str(o, r->status);
	sb_addf(o, ",\"exit_code\":%d", r->exit_code);
	kv_str(o, "exit_reason", exitcode_name(r->exit_code));
	kv_str(o, "database", r->database);
	kv_str(o, "database_host", r->db_host);
	kv_str(o, "host", c->host);
	kv_str(o, "commit", c->commit);
	kv_str(o, "predeploy_version", c->version);
	sb_addf(o, ",\"duration_ms\":%lld", (long long)r->duration_ms);
	if (d) {
		kv_str(o, "migrator", d->migrator);
		kv_str(o, "from_version", d->from_version);
		kv_str(o, "to_version", d->to_version);
		sb_addf(o, ",\"pending\":%d,\"applied\":[", d->npending);
		for (i = 0; i < d->apply.ndone; i++) {
			sb_adds(o, i ? ",{\"version\":" : "{\"version\":");
			sb_add_json_str(o, d->apply.done[i].version);
			sb_adds(o, ",\"name\":");
			sb_add_json_str(o, d->apply.done[i].name);
			sb_addf(o, ",\"duration_ms\":%lld}", (long long)d->apply.done[i].duration_ms);
		}
		sb_adds(o, "]");
		if (d->backup_file) {
			sb_adds(o, ",\"backup\":{\"file\":");
			sb_add_json_str(o, d->backup_file);
			sb_adds(o, ",\"sha256\":");
			sb_add_json_str(o, d->backup_sha256);
			sb_addf(o, ",\"reused\":%s}", d->backup_reused ? "true" : "false");
		} else {
			sb_adds(o, ",\"backup\":null");
		}
		sb_adds(o, ",\"lint\":");
		sb_add(o, d->lint_json.buf, d->lint_json.len);
		sb_addf(o, ",\"forced\":%s", d->forced ? "true" : "false");
	}
	if (!d && r->file) {
		sb_adds(o, ",\"backup\":{\"file\":");
		sb_add_json_str(o, r->file);
		kv_str(o, "sha256", r->sha256);
		sb_adds(o, "}");
	}
	if (r->error) {
		const struct err *e = r->error;
		sb_adds(o, ",\"error\":{\"message\":");
		sb_add_json_str(o, e->msg);
		kv_str(o, "detail", e->detail);
		kv_str(o, "hint", e->hint);
		kv_str(o, "sqlstate", e->sqlstate);
		kv_str(o, "file", e->file);
		if (e->line)
			sb_addf(o, ",\"line\":%d", e->line);
		else
			sb_adds(o, ",\"line\":null");
		sb_adds(o, "}");
	} else {
		sb_adds(o, ",\"error\":null");
	}
	sb_adds(o, "}");
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
			sb_addf(o, "; backup %s%s", d->backup_file, d->backup_reused ? " (reused)" : "");
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
