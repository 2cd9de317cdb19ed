/*
 * check_tool: `predeploy check` with the team's migration tool (Alembic,
 * MikroORM) instead of predeploy's SQL files; see check.h.
 *
 * The revisions are the ones the tool would run on the empty scratch
 * database, in its order (the adapter's read_state).  Each becomes a
 * `struct migration` (version = revision id, name, file = its source) so
 * that check.c and the report treat them like SQL files.  One revision goes
 * up or down through the tool itself, with DATABASE_URL (and --migrate-env)
 * pointing at the scratch database:
 *
 *   alembic    up: alembic upgrade REV      down: alembic downgrade REV@-1
 *              (a merge revision: alembic downgrade FIRST_PARENT)
 *              --since V first: alembic upgrade V
 *   mikro-orm  up: migration:up --only NAME  down: migration:down --only NAME
 *              --since V first: migration:up --to V
 *
 * The tool's command is its default (`alembic`, `npx mikro-orm`), or what
 * --migrate-cmd runs before its subcommand (`poetry run alembic upgrade
 * head` -> `poetry run alembic`).  Prisma has no down migrations and
 * `command` knows no revisions: both are refused (EXIT_USAGE).
 */
#include "check.h"

#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "migrator.h"
#include "util/exitcode.h"
#include "util/xalloc.h"
#include "util/banned.h"

struct tool_cmds {
	const char *name;
	const char *prog;            /* default command */
	const char *sub;             /* the subcommand word --migrate-cmd has after the command */
};

static const struct tool_cmds tools[] = {
	{ "alembic", "alembic", "upgrade" },
	{ "mikro-orm", "npx mikro-orm", "migration:up" },
};

static int is_alembic(const struct check_tool *t)
{
	return !strcmp(t->m->ops->name, "alembic");
}

/* The words of --migrate-cmd before the subcommand, or the default. */
static char *tool_prog(const struct migrator *m, const struct tool_cmds *tc, struct err *e)
{
	const char *c = m->cfg->migrate_cmd, *p;
	size_t sl = strlen(tc->sub);

	if (!c)
		return xstrdup(tc->prog);
	for (p = strstr(c, tc->sub); p; p = strstr(p + 1, tc->sub))
		if (p > c && p[-1] == ' ' && (p[sl] == ' ' || p[sl] == '\0'))
			return xstrndup(c, (size_t)(p - 1 - c));
	err_set(e, EXIT_CONFIG, "--migrate-cmd \"%s\" has no \"%s\": check cannot tell how to run %s", c, tc->sub,
		tc->name);
	err_hint(e, "check runs the tool's own up and down commands; give --migrate-cmd as \"<command> %s ...\"",
		 tc->sub);
	return NULL;
}

static int run(struct check_tool *t, const char *args, const char *path, struct err *e)
{
	struct migrator_run res;
	char *cmd = xasprintf("%s %s", t->prog, args);
	int rc = migrator_run_cmd(t->m, t->db, cmd, "--migrator", t->m->cfg->migrate_timeout_ms, &res, e);

	migrator_run_release(&res);
	free(cmd);
	if (rc < 0 && path && e->code < 128 && !e->file[0])
		err_where(e, path, 0);
	return rc;
}

static const struct mig_rev *rev_of(struct check_tool *t, const struct migration *m)
{
	return t->revs[m - t->first];
}

static int tool_up(void *ctx, const struct migration *m, struct err *e)
{
	struct check_tool *t = ctx;
	const struct mig_rev *r = rev_of(t, m);
	char *args = xasprintf(is_alembic(t) ? "upgrade %s" : "migration:up --only %s", r->id);
	int rc = run(t, args, r->path, e);

	free(args);
	return rc;
}

static int tool_down(void *ctx, const struct migration *m, struct err *e)
{
	struct check_tool *t = ctx;
	const struct mig_rev *r = rev_of(t, m);
	char *args;
	int rc;

	if (!is_alembic(t))
		args = xasprintf("migration:down --only %s", r->id);
	else if (r->ndown >= 2)     /* a merge: "REV@-1" is ambiguous, its first parent is not */
		args = xasprintf("downgrade %s", r->parents[0]);
	else
		args = xasprintf("downgrade %s@-1", r->id);
	rc = run(t, args, r->path, e);
	free(args);
	return rc;
}

static const struct tool_cmds *tool_cmds_of(const struct migrator *m)
{
	size_t i;

	for (i = 0; i < sizeof(tools) / sizeof(tools[0]); i++)
		if (!strcmp(tools[i].name, m->ops->name))
			return &tools[i];
	return NULL;
}

int check_tool_supported(const struct migrator *m, struct err *e)
{
	if (tool_cmds_of(m))
		return 0;
	return err_set(e, EXIT_USAGE, "check cannot round-trip --migrator %s: %s", m->ops->name,
		       !strcmp(m->ops->name, "prisma") ? "Prisma has no down migrations" : "it has no down command");
}

int check_tool_load(struct check_tool *t, struct migrator *m, struct db *db, const char *since,
		    struct migration_set *out, int *nbase, struct err *e)
{
	struct tool_state st = TOOL_STATE_INIT;
	const struct tool_cmds *tc = tool_cmds_of(m);
	int i, from = 0, ret = -1;

	if (check_tool_supported(m, e) < 0)
		return -1;
	t->m = m;
	t->db = db;
	if (!(t->prog = tool_prog(m, tc, e)))
		return -1;
	if (m->ops->read_state(m, db, &st, e) < 0)
		goto out;
	if (since) {
		const struct mig_rev *sr = migrator_find_rev(m, since, e);

		if (!sr)
			goto out;
		for (from = 0; from < st.npending && st.pending[from] != sr; from++)
			;
		if (from == st.npending) {
			err_set(e, EXIT_USAGE, "--since %s is not a revision %s runs", since, m->ops->name);
			goto out;
		}
		from++;
		log_info("applying %d revision%s up to %s without checking", from, from == 1 ? "" : "s", sr->id);
		{
			char *args = xasprintf(is_alembic(t) ? "upgrade %s" : "migration:up --to %s", sr->id);
			int rc = run(t, args, NULL, e);

			free(args);
			if (rc < 0) {
				err_hint(e, "a revision up to --since %s failed on the scratch database", sr->id);
				goto out;
			}
		}
	}
	*nbase = from;
	out->n = st.npending - from;
	out->v = xcalloc((size_t)out->n + 1, sizeof(*out->v));
	t->revs = xcalloc((size_t)out->n + 1, sizeof(*t->revs));
	t->first = out->v;
	for (i = 0; i < out->n; i++) {
		const struct mig_rev *r = st.pending[from + i];
		struct migration *mg = &out->v[i];

		t->revs[i] = r;
		mg->version = xstrdup(r->id);
		mg->name = xstrdup(r->name ? r->name : "");
		mg->up.path = xstrdup(r->path);
		mg->up.line = r->line;
		mg->up.present = 1;
		mg->down.path = xstrdup(r->path);
		mg->down.present = 1;
		/* The tool may have run part of a failing down: compare with the
		 * schema after up before going on (check.c). */
		mg->down.no_transaction = 1;
	}
	ret = 0;
out:
	tool_state_release(&st);
	return ret;
}

void check_tool_runner(struct check_tool *t, struct check_runner *r)
{
	r->up = tool_up;
	r->down = tool_down;
	r->ctx = t;
	r->tracking_table = t->m->ops->tracking_table;
}

void check_tool_release(struct check_tool *t)
{
	free(t->revs);
	free(t->prog);
	memset(t, 0, sizeof(*t));
}
