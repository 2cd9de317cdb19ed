/* deploy: see deploy.h. */
#include "deploy.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "backup.h"
#include "catalog.h"
#include "dryrun.h"
#include "seeds.h"
#include "lint/lint.h"
#include "log.h"
#include "rehearse.h"
#include "util/exitcode.h"
#include "util/xalloc.h"
#include "util/banned.h"

void deploy_result_init(struct deploy_result *r)
{
	memset(r, 0, sizeof(*r));
	sb_init(&r->lint_json, 0);
	sb_init(&r->lint_text, 0);
	sb_adds(&r->lint_json, "[]");
}

void deploy_result_release(struct deploy_result *r)
{
	apply_result_release(&r->apply);
	sb_release(&r->lint_json);
	sb_release(&r->lint_text);
	free(r->backup_file);
	free(r->backup_sha256);
	strlist_clear(&r->acknowledged);
	backup_risk_release(&r->risk);
	backup_scope_release(&r->scope);
	memset(r, 0, sizeof(*r));
}

/* Judge a lint report: findings to the result (webhook JSON, log text),
 * EXIT_BLOCKED when any blocks.  `what` names where they come from. */
static int judge(const struct config *cfg, const struct lint_report *rep, const char *what, struct deploy_result *r,
		 struct err *e)
{
	int blocked = lint_report_blocked(rep), i;
	struct strbuf text = STRBUF_INIT;

	if (rep->n) {
		/* the webhook gets one array: this report's findings after earlier ones */
		struct strbuf js = STRBUF_INIT;

		lint_report_json(rep, &js);
		if (r->lint_json.len > 2) {
			sb_setlen(&r->lint_json, r->lint_json.len - 1);
			sb_addc(&r->lint_json, ',');
			sb_add(&r->lint_json, js.buf + 1, js.len - 1);
		} else {
			sb_reset(&r->lint_json);
			sb_add(&r->lint_json, js.buf, js.len);
		}
		sb_release(&js);
	}
	for (i = 0; i < rep->n; i++) {
		if (rep->v[i].acknowledged && !strlist_has(&r->acknowledged, rep->v[i].rule))
			strlist_add(&r->acknowledged, rep->v[i].rule);
		backup_risk_add(&r->risk, rep->v[i].rule, rep->v[i].table);   /* --backup-scope */
	}
	lint_report_text_view(rep, lint_text_view(rep, cfg->verbose, cfg->quiet), &text);
	if (text.len) {
		log_msg(blocked ? LOG_ERROR : LOG_WARN, "lint findings in %s:\n%s", what, text.buf);
		sb_add(&r->lint_text, text.buf, text.len);
	}
	sb_release(&text);
	for (i = 0; i < rep->n && !rep->v[i].acknowledged; i++)
		;
	if (i < rep->n)
		log_info("findings acknowledged by annotations or --allow in %s (recorded in history)", what);
	if (lint_report_forced(rep)) {
		r->forced = 1;
		log_warn("--force: %d blocking finding%s passed; recorded in history",
			 lint_report_forced(rep), lint_report_forced(rep) == 1 ? "" : "s");
	}
	if (blocked) {
		r->lint_blocked = 1;
		err_set(e, EXIT_BLOCKED, "%d risky statement%s blocked; nothing was changed", blocked,
			blocked == 1 ? "" : "s");
		err_hint(e, "fix the migration, or acknowledge a finding with \"-- predeploy:allow RULE reason\" "
			    "above the statement or --allow RULE; protected tables need --force; "
			    "docs/rules.md explains each rule");
		return -1;
	}
	return 0;
}

/* The lint gate: every pending migration and the seeds that will run,
 * catalog-aware (rows and size of the tables findings name), before any
 * backup or write. */
static int lint_gate(struct session *s, const struct migration **pending, int n, const struct seed_set *ss,
		     struct deploy_result *r, struct err *e)
{
	struct lint_opts lo;
	struct lint_report rep = LINT_REPORT_INIT;
	const struct migration **all = xcalloc((size_t)n + (size_t)ss->n + 1, sizeof(*all));
	int i, nall = n, ret = -1;

	for (i = 0; i < n; i++)
		all[i] = pending[i];
	for (i = 0; i < ss->n; i++)
		if (ss->v[i].due)
			all[nall++] = &ss->v[i].m;
	lint_opts_from_config(&lo, s->cfg);
	lo.server_judges_syntax = 1;
	if (lint_migrations(all, nall, &lo, &rep, e) == 0) {
		catalog_apply_to_report(&s->db, &lo, &rep);
		ret = judge(s->cfg, &rep, !n ? "seeds" : nall > n ? "pending migrations and seeds" :
			    "pending migrations", r, e);
	}
	lint_report_release(&rep);
	free(all);
	return ret;
}

/* --rehearse: the pending files, run by the engine on a shadow copy first.
 * Their statements were linted as written above; what the rehearsal adds
 * is a failure before production is touched and the catalog diff. */
static int rehearsal_gate(struct session *s, const struct migration **pending, int n, struct deploy_result *r,
			  struct err *e)
{
	struct rehearse_result rr = REHEARSE_RESULT_INIT;
	int ret = -1;

	log_info("rehearsing %d pending migration%s on a shadow copy of the database", n, n == 1 ? "" : "s");
	if (rehearse_sql(s->cfg, &s->db, (const struct migration *const *)pending, n, &rr, e) < 0)
		goto out;
	r->rehearsal_ms = rr.duration_ms;
	if (!rr.ran) {
		log_info("rehearsal skipped: %s; the files were linted as written", rr.why);
		ret = 0;
		goto out;
	}
	r->rehearsed = 1;
	log_info("rehearsal: %d statement%s captured in %.1fs", rr.nstmts, rr.nstmts == 1 ? "" : "s",
		 (double)rr.duration_ms / 1000.0);
	ret = judge(s->cfg, &rr.diff, "the rehearsal's catalog diff", r, e);
out:
	rehearse_result_release(&rr);
	return ret;
}

static int take_backup(struct session *s, const struct deploy_opts *o, const char *version,
		       const struct strlist *pending, struct deploy_result *r, struct err *e)
{
	struct backup_info bi;

	if (backup_scope_decide(s->cfg, &s->db, &r->risk, &r->scope, e) < 0)
		return -1;
	log_info("backup scope: %s", r->scope.why);
	if (backup_for_deploy(s->cfg, &s->db, version, pending, &r->scope, o->progress, &bi, e) < 0)
		return -1;
	r->backup_file = xstrdup(bi.path);
	r->backup_sha256 = xstrdup(bi.sha256);
	r->backup_reused = bi.reused;
	return 0;
}

/* ---- a tool migrator ---- */

static void tool_history(struct session *s, const struct deploy_result *r, int64_t ms, const struct err *fail)
{
	struct history_entry h;
	struct err he = ERR_INIT;
	struct strbuf name = STRBUF_INIT;
	int i;

	sb_addf(&name, "%s: %s -> %s", r->migrator, r->from_version[0] ? r->from_version : "base",
		r->to_version[0] ? r->to_version : "base");
	for (i = 0; i < r->acknowledged.n; i++)
		sb_addf(&name, "%s%s", i ? "," : "; acknowledged: ", r->acknowledged.v[i]);
	memset(&h, 0, sizeof(h));
	h.action = "migrate";
	h.version = r->to_version;
	h.name = name.buf;
	h.outcome = fail ? "failed" : "success";
	h.duration_ms = ms;
	h.backup_file = r->backup_file;
	h.backup_sha256 = r->backup_sha256;
	h.forced = r->forced;
	h.error = fail ? fail->msg : NULL;
	if (ledger_history_add(&s->ledger, &s->db, &h, &he) < 0)
		log_warn("could not record the run in %s: %s", s->ledger.qhistory, he.msg);
	sb_release(&name);
}

/* The tool's pending revisions on a shadow copy: lint what it really sends
 * (its SQL files, when it has them, were linted as written already) and the
 * catalog diff; a failure there stops the deploy before production. */
static int tool_rehearsal(struct session *s, const struct tool_state *st, struct deploy_result *r, struct err *e)
{
	struct migrator *m = &s->mig;
	struct rehearse_result rr = REHEARSE_RESULT_INIT;
	int64_t tool_ms = 0;
	int ret = -1;

	log_info("rehearsing the %s migrations on a shadow copy of the database", m->ops->name);
	if (rehearse_tool(s->cfg, &s->db, m, st, &rr, &tool_ms, e) < 0) {
		if (e->code == EXIT_MIGRATION)
			err_prefix(e, "the %s migrations failed in the rehearsal", m->ops->name);
		goto out;
	}
	r->rehearsal_ms = rr.duration_ms;
	if (!rr.ran && m->ops->offline_sql) {
		/* Alembic's offline mode shows the SQL without a database */
		struct rehearse_result off = REHEARSE_RESULT_INIT;
		struct err oe = ERR_INIT;

		if (rehearse_tool_offline(s->cfg, &s->db, m, st, &off, &oe) == 0) {
			log_info("rehearsal fell back to %s's offline SQL (%s)", m->ops->name, rr.why);
			r->risk.known = 1;
			ret = judge(s->cfg, &off.lint, "the SQL of the offline mode", r, e);
		} else {
			log_warn("rehearsal skipped: %s; the offline mode failed too: %s", rr.why, oe.msg);
			ret = 0;
		}
		rehearse_result_release(&off);
		goto out;
	}
	if (!rr.ran) {
		log_warn("rehearsal skipped: %s%s", rr.why, m->ops->sql_sources ? "; its SQL files were linted as written"
			 : "; the migrations run unlinted");
		ret = 0;
		goto out;
	}
	r->rehearsed = 1;
	r->risk.known = 1;
	log_info("rehearsal: %s ran in %.1fs on the shadow, %d statement%s captured on %d connection%s, %.1fs in all",
		 m->ops->name, (double)tool_ms / 1000.0, rr.nstmts, rr.nstmts == 1 ? "" : "s", rr.connections,
		 rr.connections == 1 ? "" : "s", (double)rr.duration_ms / 1000.0);
	if (!m->ops->sql_sources && judge(s->cfg, &rr.lint, "the SQL the rehearsal captured", r, e) < 0)
		goto out;
	ret = judge(s->cfg, &rr.diff, "the rehearsal's catalog diff", r, e);
out:
	rehearse_result_release(&rr);
	return ret;
}

static int deploy_tool(struct session *s, const struct deploy_opts *o, const struct seed_set *ss,
		       struct deploy_result *r, struct err *e)
{
	const struct config *cfg = s->cfg;
	struct migrator *m = &s->mig;
	struct tool_state before = TOOL_STATE_INIT, after = TOOL_STATE_INIT;
	struct migrator_run run;
	char verpart[256];
	int i, pending, ret = -1;

	memset(&run, 0, sizeof(run));
	sb_init(&run.tail, 0);
	if (o->target || o->sql_out) {
		err_set(e, EXIT_USAGE, "%s is not available with --migrator %s", o->target ? "--target" : "--sql",
			m->ops->name);
		err_hint(e, "the tool has its own way: alembic upgrade REV --sql, for instance");
		goto out;
	}
	if (m->ops->read_state(m, &s->db, &before, e) < 0)
		goto out;
	xstrlcpy(r->from_version, before.current, sizeof(r->from_version));
	xstrlcpy(r->to_version, before.current, sizeof(r->to_version));
	pending = before.npending > 0 || before.pending_unknown;
	r->npending = before.npending ? before.npending : pending;
	if (o->dry_run) {           /* the rehearsal, reported (dryrun.h) */
		ret = pending ? dryrun_tool(cfg, &s->db, m, &before, o->dry_run_out, e) : 0;
		goto out;
	}
	if ((pending && m->ops->sql_sources && before.npending) || ss->ndue) {
		struct migration_set set = MIGRATION_SET_INIT;
		const struct migration **list = xcalloc((size_t)before.npending + 1, sizeof(*list));
		int rc = 0;

		if (pending && m->ops->sql_sources && before.npending) {
			rc = m->ops->sql_sources(m, before.pending, before.npending, &set, e);
			r->risk.known = !before.pending_unknown;
		}
		for (i = 0; rc == 0 && i < set.n; i++)
			list[i] = &set.v[i];
		if (rc == 0)
			rc = lint_gate(s, list, set.n, ss, r, e);
		free(list);
		migration_set_release(&set);
		if (rc < 0)
			goto out;
	}
	if (pending && rehearse_wanted(cfg, 1, 1) && tool_rehearsal(s, &before, r, e) < 0) {
		if (e->code == EXIT_MIGRATION)
			tool_history(s, r, 0, e);       /* a failed deploy, though production is untouched */
		goto out;
	}
	if (backup_wanted(cfg, pending)) {
		struct strlist ids = { 0 };
		int rc;

		for (i = 0; i < before.npending; i++)
			strlist_add(&ids, before.pending[i]->id);
		mig_sanitize(before.current[0] ? before.current : "0", verpart, sizeof(verpart));
		rc = take_backup(s, o, verpart, &ids, r, e);
		strlist_clear(&ids);
		if (rc < 0)
			goto out;
	}
	if (!pending) {
		ret = 0;
		goto out;
	}
	if (before.npending)
		log_info("%d %s revision%s pending: %s -> %s", before.npending, m->ops->name,
			 before.npending == 1 ? "" : "s", before.current[0] ? before.current : "base", before.target);
	r->migrated = 1;
	if (migrator_run(m, &s->db, &run, e) < 0)
		goto failed;
	r->tool_ms = run.duration_ms;
	if (m->ops->read_state(m, &s->db, &after, e) < 0)
		goto failed;
	xstrlcpy(r->to_version, after.current, sizeof(r->to_version));
	if (after.npending || (after.pending_unknown && cfg->pending_cmd)) {
		err_set(e, EXIT_MIGRATION, "\"%s\" exited 0 but %d %s revision%s still pending%s%s",
			cfg->migrate_cmd ? cfg->migrate_cmd : m->ops->default_cmd, after.npending ? after.npending : 1,
			m->ops->name, after.npending == 1 ? " is" : "s are", after.npending ? ": " : "",
			after.npending ? after.pending[0]->id : "");
		err_hint(e, "check that the command applies every migration (\"head\", not a fixed revision) "
			 "and connects to DATABASE_URL");
		goto failed;
	}
	/* what ran: pending before, applied now */
	r->apply.done = xcalloc((size_t)before.npending + 1, sizeof(*r->apply.done));
	for (i = 0; i < before.npending; i++) {
		struct apply_step *st = &r->apply.done[r->apply.ndone++];

		st->version = xstrdup(before.pending[i]->id);
		st->name = xstrdup(before.pending[i]->name ? before.pending[i]->name : "");
	}
	tool_history(s, r, run.duration_ms, NULL);
	if (before.npending)
		log_info("%s: %s -> %s in %.1fs", m->ops->name, r->from_version[0] ? r->from_version : "base",
			 r->to_version[0] ? r->to_version : "base", (double)run.duration_ms / 1000.0);
	else
		log_info("the migrate command finished in %.1fs", (double)run.duration_ms / 1000.0);
	ret = 0;
	goto out;
failed:
	r->tool_ms = run.duration_ms;
	if (e->code < 128) {
		/* the state it left: Alembic commits per revision */
		struct tool_state now = TOOL_STATE_INIT;
		struct err ignore = ERR_INIT;

		if (m->ops->read_state(m, &s->db, &now, &ignore) == 0)
			xstrlcpy(r->to_version, now.current, sizeof(r->to_version));
		tool_state_release(&now);
	}
	tool_history(s, r, run.duration_ms, e);
out:
	migrator_run_release(&run);
	tool_state_release(&before);
	tool_state_release(&after);
	return ret;
}

static void apply_opts_from_config(struct apply_opts *ao, const struct config *cfg, const struct deploy_result *r)
{
	memset(ao, 0, sizeof(*ao));
	ao->lock_timeout_ms = cfg->lock_timeout_ms;
	ao->lock_retries = cfg->lock_retries;
	ao->statement_timeout_ms = cfg->statement_timeout_ms;
	ao->single_transaction = cfg->single_transaction;
	ao->backup_file = r->backup_file;
	ao->backup_sha256 = r->backup_sha256;
	ao->forced = r->forced;
}

static int deploy_sql(struct session *s, const struct deploy_opts *o, const struct seed_set *ss,
		      struct deploy_result *r, struct err *e)
{
	const struct config *cfg = s->cfg;
	const struct migration **pending = NULL;
	struct apply_opts ao;
	int64_t run_id = 0;
	int n, applied, ret = -1;

	xstrlcpy(r->from_version, s->plan.current, sizeof(r->from_version));
	xstrlcpy(r->to_version, s->plan.current, sizeof(r->to_version));
	if (plan_check_drift(&s->plan, cfg->allow_drift, cfg->allow_out_of_order, e) < 0)
		return -1;
	n = plan_pending(&s->plan, o->target, cfg->allow_out_of_order, &pending, e);
	if (n < 0)
		return -1;
	r->npending = n;
	r->risk.known = 1;          /* every pending file goes through the lint gate */
	if (n == 0) {
		if (ss->ndue && lint_gate(s, NULL, 0, ss, r, e) < 0)
			goto out;
		/* --backup always means always, also with nothing to apply */
		if (!o->sql_out && !o->dry_run && backup_wanted(cfg, 0) &&
		    take_backup(s, o, s->plan.current, NULL, r, e) < 0)
			goto out;
		ret = 0;
		goto out;
	}

	if (!o->sql_out && lint_gate(s, pending, n, ss, r, e) < 0) {
		if (!o->dry_run || e->code != EXIT_BLOCKED)
			goto out;
		/* a dry run still traces what lint would block */
		log_warn("%s (tracing anyway: --dry-run changes nothing)", e->msg);
		err_clear(e);
	}
	if (!o->sql_out && !o->dry_run && rehearse_wanted(cfg, 0, n) && rehearsal_gate(s, pending, n, r, e) < 0)
		goto out;
	if (o->dry_run) {
		ret = dryrun_sql(cfg, &s->db, pending, n, o->dry_run_out, e);
		goto out;
	}

	if (!o->sql_out && backup_wanted(cfg, n)) {
		struct strlist versions = { 0 };
		int i, rc;

		for (i = 0; i < n; i++)
			strlist_add(&versions, pending[i]->version);
		rc = take_backup(s, o, s->plan.current, &versions, r, e);
		strlist_clear(&versions);
		if (rc < 0)
			goto out;
	}

	apply_opts_from_config(&ao, cfg, r);
	ao.sql_out = o->sql_out;
	r->migrated = !o->sql_out;
	/* on record before anything is sent: a kill -9 mid-pipeline shows up
	 * in history as an interrupted run (docs/migrations.md) */
	if (!o->sql_out && (ledger_mark_interrupted(&s->ledger, &s->db, e) < 0 ||
			    ledger_run_begin(&s->ledger, &s->db, pending[0]->version, pending[n - 1]->version, n,
					     &run_id, e) < 0))
		goto out;
	applied = apply_up(&s->db, &s->ledger, pending, n, &ao, &r->apply, e);
	ledger_run_end(&s->ledger, &s->db, run_id);
	if (applied < 0)
		goto out;
	if (!o->sql_out && r->apply.ndone)
		xstrlcpy(r->to_version, r->apply.done[r->apply.ndone - 1].version, sizeof(r->to_version));
	ret = 0;
out:
	free(pending);
	return ret;
}
/* ---- after the migrations ---- */

static int seeds_prepare(struct session *s, struct seed_set *ss, struct err *e)
{
	const struct config *cfg = s->cfg;

	if (!cfg->seed) {
		struct stat st;

		if (stat(cfg->seeds_dir, &st) == 0)
			log_info("PREDEPLOY_SEED=0: the seeds in \"%s\" are skipped", cfg->seeds_dir);
		return 0;
	}
	if (seeds_load(cfg, ss, e) < 0 || seeds_read_state(ss, &s->ledger, &s->db, e) < 0)
		return -1;
	return 0;
}

/* --after-cmd: once per deploy.  It runs when this start migrated
 * something, or when history has no successful run of the same command
 * text at the version the database is at now (a replica that finds nothing
 * pending, or the restart after a success); always with
 * --after-cmd-always.  A failure leaves a "failed" row, so the next start
 * tries again. */
static int after_cmd(struct session *s, struct deploy_result *r, struct err *e)
{
	const struct config *cfg = s->cfg;
	struct migrator_run run;
	struct history_entry h;
	struct err he = ERR_INIT;
	char sum[SHA256_HEX_LEN];
	int rc;

	if (!cfg->after_cmd)
		return 0;
	sha256_hex_of(cfg->after_cmd, strlen(cfg->after_cmd), sum);
	if (!cfg->after_cmd_always && !r->migrated) {
		const char *params[2] = { r->to_version, sum };
		char *sql = xasprintf("SELECT 1 FROM %s WHERE action = 'after-cmd' AND outcome = 'success' "
				      "AND coalesce(version, '') = $1 AND checksum = $2 LIMIT 1", s->ledger.qhistory);
		PGresult *res = db_query(&s->db, sql, 2, params, EXIT_INTERNAL, e);
		int done = res && PQntuples(res) > 0;

		free(sql);
		PQclear(res);
		if (!res)
			return -1;
		if (done) {
			log_info("--after-cmd already ran at version %s; not run again (--after-cmd-always runs "
				 "it on every start)", r->to_version[0] ? r->to_version : "(none)");
			return 0;
		}
	}
	memset(&run, 0, sizeof(run));
	rc = migrator_run_cmd(&s->mig, &s->db, cfg->after_cmd, "--after-cmd", cfg->after_cmd_timeout_ms, &run, e);
	memset(&h, 0, sizeof(h));
	h.action = "after-cmd";
	h.version = r->to_version;
	h.name = cfg->after_cmd;
	h.checksum = sum;
	h.outcome = rc < 0 ? "failed" : "success";
	h.duration_ms = run.duration_ms;
	h.error = rc < 0 ? e->msg : NULL;
	if (ledger_history_add(&s->ledger, &s->db, &h, &he) < 0) {
		if (rc == 0) {
			/* unrecorded, it would run again on every start */
			*e = he;
			rc = -1;
		} else {
			log_warn("could not record --after-cmd in %s: %s", s->ledger.qhistory, he.msg);
		}
	}
	if (rc < 0 && e->code == EXIT_MIGRATION)
		err_hint(e, "the migrations and seeds stay applied and the app was not started; the next "
			    "start runs --after-cmd again");
	if (rc == 0) {
		r->after_cmd_ran = 1;
		log_info("--after-cmd finished in %.1fs", (double)run.duration_ms / 1000.0);
	}
	migrator_run_release(&run);
	return rc;
}

int deploy_up(struct session *s, const struct deploy_opts *o, struct deploy_result *r, struct err *e)
{
	struct seed_set ss = SEED_SET_INIT;
	int post = !o->sql_out && !o->dry_run, ret = -1;

	r->migrator = s->mig.ops ? s->mig.ops->name : "sql";
	if (post && seeds_prepare(s, &ss, e) < 0)
		return -1;
	if (s->mig.ops && !migrator_is_sql(&s->mig))
		ret = deploy_tool(s, o, &ss, r, e);
	else
		ret = deploy_sql(s, o, &ss, r, e);
	if (ret == 0 && post && ss.ndue) {
		struct apply_opts ao;

		apply_opts_from_config(&ao, s->cfg, r);
		ret = seeds_run(&ss, &s->db, &s->ledger, &ao, &r->nseeds, e);
	}
	if (ret == 0 && post)
		ret = after_cmd(s, r, e);
	seed_set_release(&ss);
	return ret;
}
