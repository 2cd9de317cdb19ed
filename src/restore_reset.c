/* restore_reset: see restore_reset.h. */
#include "restore_reset.h"

#include <string.h>

#include "log.h"
#include "util/exitcode.h"
#include "util/banned.h"

/* --reset-to V must name a migration file (or be 0). */
static int check_sql_reset_to(const struct config *cfg, const char *v, struct migration_set *files, struct err *e)
{
	if (!version_valid(v))
		return err_set(e, EXIT_USAGE, "--reset-to: invalid version \"%s\": expected digits", v);
	if (migration_load_dir(cfg->dir, files, e) < 0)
		return -1;
	if (strcmp(v, "0") && migration_find(files, v) < 0)
		return err_set(e, EXIT_USAGE, "--reset-to: no migration in \"%s\" has version %s", cfg->dir, v);
	return 0;
}

/* --reset-to with a tool migrator: its tracking table says `rev` (NULL:
 * base).  A revision older than the backup's is allowed, with a warning. */
static int tool_reset(void *arg, struct db *db, struct err *e)
{
	struct restore_reset *t = arg;
	struct tool_state st = TOOL_STATE_INIT;
	int ret;

	/* the dump left search_path empty; the tool's table is where the tool
	 * finds it, on the default search_path */
	if (db_exec(db, "SET LOCAL search_path TO DEFAULT", EXIT_INTERNAL, e) < 0)
		return -1;
	if (t->m->ops->read_state(t->m, db, &st, e) == 0 && t->rev && st.current[0] &&
	    strcmp(st.current, t->rev->id) && t->rev->applied)
		log_warn("--reset-to %s is older than the backup's %s revision %s: the tracking table will say %s "
			 "while the schema is at %s", t->rev->id, t->m->ops->name, st.current, t->rev->id, st.current);
	err_clear(e);
	tool_state_release(&st);
	ret = t->m->ops->reset_to(t->m, db, t->rev, e);
	if (ret == 0)
		log_info("%s: %s now says %s", t->m->ops->name, t->m->ops->tracking_table, t->rev ? t->rev->id : "base");
	return ret;
}

/* The safety backup's name carries the tool's revision. */
static int tool_version(void *arg, struct db *db, char *buf, size_t cap, struct err *e)
{
	struct migrator *m = arg;
	struct tool_state st = TOOL_STATE_INIT;

	if (m->ops->read_state(m, db, &st, e) < 0)
		err_clear(e);   /* a database the tool does not know yet: named "0" */
	mig_sanitize(st.current[0] ? st.current : "0", buf, cap);
	tool_state_release(&st);
	return 0;
}

/* --reset-to REV for a tool: a revision it has (a unique prefix), or base. */
static int check_tool_reset_to(struct migrator *m, const char *v, struct restore_reset *tr, struct err *e)
{
	if (!m->ops->reset_to)
		return err_set(e, EXIT_USAGE, "--reset-to is not available with --migrator %s: it keeps no revisions",
			       m->ops->name);
	tr->m = m;
	if (strcmp(v, "base") && !(tr->rev = migrator_find_rev(m, v, e)))
		return -1;
	return 0;
}

int restore_reset_check(const struct config *cfg, struct migrator *mig, const char *reset_to,
			struct migration_set *files, struct restore_reset *rr, struct err *e)
{
	if (!reset_to)
		return 0;
	if (migrator_is_sql(mig))
		return check_sql_reset_to(cfg, reset_to, files, e);
	return check_tool_reset_to(mig, reset_to, rr, e);
}

void restore_reset_hooks(struct migrator *mig, struct restore_reset *rr, struct restore_opts *o,
			 struct restore_target *t)
{
	if (!migrator_is_sql(mig) && mig->ops->read_state) {
		t->version_of = tool_version;
		t->version_arg = mig;
	}
	if (rr->m) {
		o->reset = tool_reset;
		o->reset_arg = rr;
	}
}
