/*
 * check: the up / down / up round trip of every migration; see check.h.
 */
#include "check.h"

#include <stdlib.h>
#include <string.h>

#include "apply.h"
#include "ledger.h"
#include "log.h"
#include "proc.h"
#include "schema_snap.h"
#include "shadow.h"
#include "util/exitcode.h"
#include "util/timeutil.h"
#include "util/xalloc.h"
#include "util/banned.h"

static struct check_problem *add_problem(struct check_item *it, enum check_kind kind, int fatal,
					 const struct err *e)
{
	struct check_problem *p;

	it->p = xrealloc(it->p, sizeof(*it->p) * (size_t)(it->np + 1));
	p = &it->p[it->np++];
	memset(p, 0, sizeof(*p));
	p->kind = kind;
	p->fatal = fatal;
	if (e)
		p->err = *e;
	if (fatal)
		it->status = CHECK_FAILED;
	else if (it->status == CHECK_OK)
		it->status = CHECK_NOTE;
	return p;
}

/* predeploy's engine: one migration through apply.c, up or down. */
struct engine {
	struct db *db;
	struct ledger *l;
	const struct apply_opts *ao;
};

static int engine_run(struct engine *g, const struct migration *m, int up, struct err *e)
{
	const struct migration *list[1] = { m };
	struct apply_result res = APPLY_RESULT_INIT;
	int r = up ? apply_up(g->db, g->l, list, 1, g->ao, &res, e) : apply_down(g->db, g->l, list, 1, g->ao, &res, e);

	apply_result_release(&res);
	return r;
}

static int engine_up(void *ctx, const struct migration *m, struct err *e)
{
	return engine_run(ctx, m, 1, e);
}

static int engine_down(void *ctx, const struct migration *m, struct err *e)
{
	return engine_run(ctx, m, 0, e);
}

/* A snapshot (of the scope) without the tool's tracking table
 * ("<schema>.<table>..." keys: the table, its columns, constraints, index
 * and sequence). */
static int snap(struct db *db, const char *table, struct schema_scope *sc, struct schema_snap *s, struct err *e)
{
	size_t tl = table ? strlen(table) : 0;
	int i, n = 0;

	if (schema_snap_take_scoped(db, sc, s, e) < 0)
		return -1;
	for (i = 0; i < s->n; i++) {
		const char *sp = strchr(s->v[i].key, ' '), *dot = sp ? strchr(sp, '.') : NULL;

		if (tl && dot && !strncmp(dot + 1, table, tl)) {
			free(s->v[i].key);
			free(s->v[i].body);
			continue;
		}
		s->v[n++] = s->v[i];
	}
	s->n = n;
	return 0;
}

/* What the migration's up and down can change (predeploy's SQL files), the
 * same for each of its snapshots; a tool's revisions are code: full. */
static void scope_of(const struct migration *m, int sql_files, struct schema_scope *sc)
{
	if (!sql_files) {
		sc->full = 1;
		sc->why = "a migration tool's revision";
		return;
	}
	schema_scope_add_sql(sc, m->up.sql, m->up.len);
	if (m->down.present)
		schema_scope_add_sql(sc, m->down.sql, m->down.len);
}

/* A stop signal ends the whole check (the caller drops the scratch db). */
static int stopped(struct err *e)
{
	int sig = proc_stop_signal();

	if (!sig)
		return 0;
	err_set(e, 128 + sig, "check stopped by signal %d", sig);
	return 1;
}

/* up, down, compare, up again. Returns 1 when the scratch schema is no
 * longer known and checking must stop, 0 to go on, -1 on an internal error. */
static int check_one(struct db *db, const struct check_runner *run, int allow_missing_down, int sql_files,
		     struct check_item *it, struct err *e)
{
	const struct migration *m = it->m;
	struct schema_snap before = SCHEMA_SNAP_INIT, after = SCHEMA_SNAP_INIT, after_up = SCHEMA_SNAP_INIT;
	struct schema_scope sc = SCHEMA_SCOPE_INIT;
	struct strlist diff = { 0 };
	struct err me = ERR_INIT;
	int ret = -1;

	/* without a down there is nothing to compare the first snapshot with */
	if (m->down.present) {
		scope_of(m, sql_files, &sc);
		if (snap(db, run->tracking_table, &sc, &before, e) < 0)
			goto out;
		if (sc.full)    /* decided by the SQL, or by the first snapshot's probe */
			log_debug("check %s: full snapshots: %s", m->version, sc.why);
	}
	if (run->up(run->ctx, m, &me) < 0) {
		if (stopped(e))
			goto out;
		add_problem(it, CHECK_UP_FAILED, 1, &me);
		ret = 1;
		goto out;
	}
	if (m->down.present && m->down.no_transaction && snap(db, run->tracking_table, &sc, &after_up, e) < 0)
		goto out;
	if (!m->down.present) {
		err_set(&me, 0, "no down section");
		err_where(&me, m->up.path, 0);
		add_problem(it, CHECK_DOWN_MISSING, !allow_missing_down, &me);
		ret = 0;
		goto out;
	}
	err_clear(&me);
	if (run->down(run->ctx, m, &me) < 0) {
		if (stopped(e))
			goto out;
		/* A transactional down rolled back: the schema is the one after
		 * up, and the next migration can still be checked on it. */
		add_problem(it, CHECK_DOWN_FAILED, 1, &me);
		ret = 0;
		if (m->down.no_transaction) {
			/* Statements before the failing one may have run: go on
			 * only when the schema is still the one after up. */
			if (snap(db, run->tracking_table, &sc, &after, e) < 0) {
				ret = -1;
				goto out;
			}
			schema_snap_diff(&after_up, &after, &diff);
			ret = diff.n ? 1 : 0;
		}
		goto out;
	}
	if (snap(db, run->tracking_table, &sc, &after, e) < 0)
		goto out;
	schema_snap_diff(&before, &after, &diff);
	if (diff.n) {
		struct check_problem *p;

		err_set(&me, 0, "the down section does not restore the schema (%d difference%s)", diff.n,
			diff.n == 1 ? "" : "s");
		err_where(&me, m->down.path, m->down.line);
		p = add_problem(it, CHECK_SCHEMA_DIFFERS, 1, &me);
		p->diff = diff;
		memset(&diff, 0, sizeof(diff));
	}
	err_clear(&me);
	if (run->up(run->ctx, m, &me) < 0) {
		if (stopped(e))
			goto out;
		add_problem(it, CHECK_REUP_FAILED, 1, &me);
		ret = 1;
		goto out;
	}
	ret = 0;
out:
	schema_snap_release(&before);
	schema_snap_release(&after);
	schema_snap_release(&after_up);
	schema_scope_release(&sc);
	strlist_clear(&diff);
	return ret;
}

static void lint_checked(const struct config *cfg, struct check_result *r)
{
	const struct migration **v = xcalloc((size_t)r->n + 1, sizeof(*v));
	struct lint_opts lo;
	struct err e = ERR_INIT;
	int i;

	for (i = 0; i < r->n; i++)
		v[i] = r->items[i].m;
	lint_opts_from_config(&lo, cfg);
	if (lint_migrations(v, r->n, &lo, &r->lint, &e) < 0)
		log_warn("lint could not run: %s", e.msg);
	free(v);
}

/* The migrations after --since into r->items, those up to it into base. */
static int split_since(const struct check_opts *o, const struct migration_set *set, const struct migration **base,
		       struct check_result *r)
{
	int i, nbase = 0;

	r->items = xcalloc((size_t)set->n + 1, sizeof(*r->items));
	for (i = 0; i < set->n; i++) {
		if (o->since && version_cmp(set->v[i].version, o->since) <= 0)
			base[nbase++] = &set->v[i];
		else
			r->items[r->n++].m = &set->v[i];
	}
	return nbase;
}

int check_run(const struct config *cfg, struct db *live, const struct check_opts *o,
	      const struct migration_set *set, struct check_result *r, struct err *e)
{
	struct shadow sh = SHADOW_INIT;
	struct ledger l = LEDGER_INIT;
	struct apply_opts ao;
	struct engine g = { NULL, &l, &ao };
	struct check_tool tool;
	struct check_runner run = { engine_up, engine_down, &g, NULL };
	const struct migration **base = NULL;
	int64_t t0 = now_ms();
	int i, nbase = 0, ret = -1, stop = 0;

	memset(&ao, 0, sizeof(ao));
	memset(&tool, 0, sizeof(tool));
	ao.lock_timeout_ms = cfg->lock_timeout_ms;
	ao.lock_retries = cfg->lock_retries;
	ao.statement_timeout_ms = cfg->statement_timeout_ms;

	base = xcalloc((size_t)set->n + 1, sizeof(*base));
	if (!o->tool) {
		nbase = split_since(o, set, base, r);
		r->nbase = nbase;
		lint_checked(cfg, r);
	}

	if (shadow_open(&sh, cfg, live, o->shadow_url, e) < 0)
		goto out;
	proc_watch_conn(sh.db.conn);    /* a stop signal cancels the running statement */
	g.db = &sh.db;
	if (o->tool) {
		/* The tool's revisions, all pending on the scratch database. */
		if (check_tool_load(&tool, o->tool, &sh.db, o->since, &r->tool_revs, &r->nbase, e) < 0)
			goto out;
		check_tool_runner(&tool, &run);
		r->items = xcalloc((size_t)r->tool_revs.n + 1, sizeof(*r->items));
		for (i = 0; i < r->tool_revs.n; i++)
			r->items[r->n++].m = &r->tool_revs.v[i];
	} else {
		if (ledger_init(&l, &sh.db, cfg->table, e) < 0 || ledger_ensure(&l, &sh.db, e) < 0)
			goto out;
	}
	if (nbase) {
		struct apply_result res = APPLY_RESULT_INIT;
		int rc;

		log_info("applying %d migration%s up to %s without checking", nbase, nbase == 1 ? "" : "s",
			 o->since);
		rc = apply_up(&sh.db, &l, base, nbase, &ao, &res, e);
		apply_result_release(&res);
		if (rc < 0) {
			err_hint(e, "a migration up to --since %s failed on the scratch database", o->since);
			goto out;
		}
	}
	for (i = 0; i < r->n; i++) {
		struct check_item *it = &r->items[i];
		int64_t t = now_ms();
		int rc;

		if (stop) {
			struct err ne = ERR_INIT;

			err_set(&ne, 0, "not checked: an earlier migration left the scratch schema unknown");
			add_problem(it, CHECK_NOT_CHECKED, 0, &ne);
			it->status = CHECK_SKIPPED;
			continue;
		}
		rc = check_one(&sh.db, &run, o->allow_missing_down, !o->tool, it, e);
		it->duration_ms = now_ms() - t;
		if (rc < 0)
			goto out;
		if (it->status == CHECK_FAILED)
			r->nfailed++;
		stop = rc;
	}
	ret = 0;
out:
	proc_watch_conn(NULL);
	check_tool_release(&tool);
	ledger_release(&l);
	shadow_close(&sh, live);
	free(base);
	r->duration_ms = now_ms() - t0;
	return ret;
}

const char *check_kind_name(enum check_kind k)
{
	switch (k) {
	case CHECK_UP_FAILED: return "up_failed";
	case CHECK_DOWN_MISSING: return "down_missing";
	case CHECK_DOWN_FAILED: return "down_failed";
	case CHECK_SCHEMA_DIFFERS: return "schema_differs";
	case CHECK_REUP_FAILED: return "up_after_down_failed";
	case CHECK_NOT_CHECKED: return "not_checked";
	}
	return "unknown";
}

const char *check_status_name(enum check_status s)
{
	switch (s) {
	case CHECK_OK: return "ok";
	case CHECK_NOTE: return "ok";
	case CHECK_FAILED: return "failed";
	case CHECK_SKIPPED: return "not checked";
	}
	return "unknown";
}

void check_result_release(struct check_result *r)
{
	int i, j;

	for (i = 0; i < r->n; i++) {
		for (j = 0; j < r->items[i].np; j++)
			strlist_clear(&r->items[i].p[j].diff);
		free(r->items[i].p);
	}
	free(r->items);
	r->items = NULL;
	r->n = 0;
	lint_report_release(&r->lint);
	migration_set_release(&r->tool_revs);
}
