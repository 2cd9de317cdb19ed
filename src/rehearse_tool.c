/*
 * rehearse_tool: the rehearsal with the team's migration tool as the
 * migrator (see rehearse.h): `up`, `up --dry-run` and `run` rehearse the
 * revisions pending on the live database (rehearse_tool); `lint --migrator
 * X [--since REV]` rehearses on an emptied --shadow-database-url, after the
 * revisions up to REV went up without capture (rehearse_tool_since).
 */
#include "rehearse.h"

#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "log.h"
#include "lint/lint.h"
#include "migrator.h"
#include "util/exitcode.h"
#include "util/xalloc.h"
#include "util/banned.h"

struct tool_ctx {
	const struct config *cfg;
	struct migrator *m;
	const char *since;
	struct rehearse_migration *v;   /* the rehearsed revisions (since: filled by prepare) */
	int n;
	int64_t ms;
	struct check_tool ct;           /* since: the revisions up to REV went up through it */
	struct migration_set set;
};

static void fill(struct tool_ctx *c, const struct mig_rev *const *revs, int n)
{
	int i;

	free(c->v);
	c->v = xcalloc((size_t)n + 1, sizeof(*c->v));
	for (i = 0; i < n; i++) {
		c->v[i].id = revs[i]->id;
		c->v[i].name = revs[i]->name;
		c->v[i].path = revs[i]->path;
		c->v[i].line = revs[i]->line;
	}
	c->n = n;
}

/* The tool's migrate command, with DATABASE_URL (and --migrate-env) made
 * from the connection through the relay to the shadow. */
static int tool_apply(void *arg, struct db *via, struct err *e)
{
	struct tool_ctx *c = arg;
	struct migrator_run run;
	int rc;

	memset(&run, 0, sizeof(run));
	sb_init(&run.tail, 0);
	rc = migrator_run(c->m, via, &run, e);
	c->ms = run.duration_ms;
	migrator_run_release(&run);
	return rc;
}

/* lint --since: on the emptied scratch database, the revisions up to REV
 * through the tool itself (check_tool.c does the same for check), and the
 * later ones become the plan; without REV every revision is pending. */
static int since_prepare(void *arg, struct db *shadow, struct rehearse_plan *p, struct err *e)
{
	struct tool_ctx *c = arg;
	int nbase = 0;

	if (c->since) {
		if (check_tool_load(&c->ct, c->m, shadow, c->since, &c->set, &nbase, e) < 0)
			return -1;
		fill(c, c->ct.revs, c->set.n);
	} else {
		struct tool_state st = TOOL_STATE_INIT;

		if (c->m->ops->read_state(c->m, shadow, &st, e) < 0) {
			tool_state_release(&st);
			return -1;
		}
		fill(c, (const struct mig_rev *const *)st.pending, st.npending);
		tool_state_release(&st);
	}
	p->migrations = c->v;
	p->n = c->n;
	log_info("rehearsing %d %s revision%s%s%s", c->n, c->m->ops->name, c->n == 1 ? "" : "s",
		 c->since ? " after " : "", c->since ? c->since : "");
	return 0;
}

static void plan_init(struct rehearse_plan *p, struct tool_ctx *c)
{
	memset(p, 0, sizeof(*p));
	p->migrations = c->v;
	p->n = c->n;
	p->tracking_writes = c->m->ops->tracking_writes;
	p->apply = tool_apply;
	p->arg = c;
	p->label = c->m->ops->name;
}

int rehearse_tool(const struct config *cfg, struct db *live, struct migrator *m, const struct tool_state *st,
		  struct rehearse_result *r, int64_t *tool_ms, struct err *e)
{
	struct tool_ctx c;
	struct rehearse_plan p;
	int rc;

	memset(&c, 0, sizeof(c));
	c.cfg = cfg;
	c.m = m;
	fill(&c, (const struct mig_rev *const *)st->pending, st->npending);
	plan_init(&p, &c);
	rc = rehearse_run(cfg, live, &p, r, e);
	if (tool_ms)
		*tool_ms = c.ms;
	free(c.v);
	return rc;
}

int rehearse_tool_offline(const struct config *cfg, struct db *live, struct migrator *m, const struct tool_state *st,
			  struct rehearse_result *r, struct err *e)
{
	struct strbuf sql = STRBUF_INIT;
	struct tool_ctx c;
	struct rehearse_plan p;
	int rc = -1;

	if (!m->ops->offline_sql)
		return err_set(e, EXIT_USAGE, "%s has no offline mode", m->ops->name);
	memset(&c, 0, sizeof(c));
	c.cfg = cfg;
	c.m = m;
	fill(&c, (const struct mig_rev *const *)st->pending, st->npending);
	plan_init(&p, &c);
	if (m->ops->offline_sql(m, live, st, &sql, e) == 0)
		rc = rehearse_offline(cfg, live, &p, sql.buf ? sql.buf : "", r);
	sb_release(&sql);
	free(c.v);
	return rc;
}

int rehearse_tool_since(const struct config *cfg, struct db *live, struct migrator *m, const char *since,
			struct rehearse_result *r, int *npending, struct err *e)
{
	struct tool_ctx c;
	struct rehearse_plan p;
	int rc;

	if (!cfg->shadow_database_url)
		return err_set(e, EXIT_USAGE, "lint --migrator %s needs --shadow-database-url: a scratch database its "
			       "revisions are rehearsed on", m->ops->name);
	if (since && check_tool_supported(m, e) < 0) {
		err_set(e, EXIT_USAGE, "lint --since is not available with --migrator %s (it cannot migrate to a "
			"given revision)", m->ops->name);
		return -1;
	}
	memset(&c, 0, sizeof(c));
	c.cfg = cfg;
	c.m = m;
	c.since = since;
	plan_init(&p, &c);
	p.prepare = since_prepare;
	rc = rehearse_run(cfg, live, &p, r, e);
	*npending = c.n;
	free(c.v);
	check_tool_release(&c.ct);
	migration_set_release(&c.set);
	return rc;
}

/* ---- lint --migrator X [--since REV] ---- */

int rehearse_lint_wanted(const struct config *cfg)
{
	return cfg->migrator && strcmp(cfg->migrator, "auto") && strcmp(cfg->migrator, "sql");
}

/* Append src's findings to dst (src is left empty). */
static void take(struct lint_report *dst, struct lint_report *src)
{
	if (!src->n)
		return;
	dst->v = xrealloc(dst->v, sizeof(*dst->v) * (size_t)(dst->n + src->n + 1));
	memcpy(dst->v + dst->n, src->v, sizeof(*src->v) * (size_t)src->n);
	dst->n += src->n;
	dst->alloc = dst->n + 1;
	free(src->v);
	src->v = NULL;
	src->n = src->alloc = 0;
}

int rehearse_lint(const struct config *cfg, const char *since, struct lint_report *out, int *count, struct err *e)
{
	struct migrator m = MIGRATOR_INIT;
	struct tool_state st = TOOL_STATE_INIT;
	struct rehearse_result rr = REHEARSE_RESULT_INIT;
	struct db live = DB_INIT;
	struct err ce = ERR_INIT;
	int have_live = 0, ret = -1;

	if (migrator_open(&m, cfg, e) < 0)
		goto out;
	if (config_database_configured(cfg)) {
		have_live = db_connect(cfg, &live, &ce) == 0;
		if (!have_live && !cfg->shadow_database_url) {
			*e = ce;
			goto out;
		}
		if (!have_live)
			log_warn("no catalog numbers: %s", ce.msg);
	}
	if (since || !have_live) {
		/* CI: a scratch database from nothing (up to --since without capture) */
		if (rehearse_tool_since(cfg, have_live ? &live : NULL, &m, since, &rr, count, e) < 0)
			goto out;
	} else {
		/* the revisions pending on the configured database, as up would */
		if (m.ops->read_state(&m, &live, &st, e) < 0)
			goto out;
		*count = st.npending;
		if (!st.npending && !st.pending_unknown) {
			log_info("no %s revision is pending", m.ops->name);
			ret = 0;
			goto out;
		}
		if (rehearse_tool(cfg, &live, &m, &st, &rr, NULL, e) < 0)
			goto out;
		if (!rr.ran && m.ops->offline_sql) {
			log_info("rehearsal fell back to %s's offline SQL (%s)", m.ops->name, rr.why);
			rehearse_result_release(&rr);
			if (rehearse_tool_offline(cfg, &live, &m, &st, &rr, e) < 0)
				goto out;
			take(out, &rr.lint);
			ret = 0;
			goto out;
		}
	}
	if (!rr.ran) {
		err_set(e, EXIT_CONFIG, "the %s revisions could not be rehearsed: %s", m.ops->name, rr.why);
		goto out;
	}
	log_info("rehearsal: %d statement%s captured on %d connection%s in %.1fs", rr.nstmts,
		 rr.nstmts == 1 ? "" : "s", rr.connections, rr.connections == 1 ? "" : "s",
		 (double)rr.duration_ms / 1000.0);
	take(out, &rr.lint);
	take(out, &rr.diff);
	ret = 0;
out:
	if (ret < 0 && e->code == EXIT_MIGRATION)
		err_prefix(e, "the %s migrations failed in the rehearsal", m.ops ? m.ops->name : "");
	rehearse_result_release(&rr);
	tool_state_release(&st);
	db_close(&live);
	migrator_close(&m);
	return ret;
}
