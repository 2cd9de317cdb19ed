/* session: see session.h. */
#include "session.h"

#include <string.h>

#include "adopt.h"
#include "lock.h"
#include "log.h"
#include "proc.h"
#include "shadow.h"
#include "util/exitcode.h"
#include "util/xalloc.h"
#include "util/banned.h"

int session_refresh(struct session *s, struct err *e)
{
	plan_release(&s->plan);
	applied_set_release(&s->applied);
	if (ledger_read(&s->ledger, &s->db, &s->applied, e) < 0)
		return -1;
	plan_build(&s->files, &s->applied, &s->plan);
	return 0;
}

static int load_step(void *arg, struct err *e)
{
	return migration_loader_step(arg, e);
}

int session_open(struct session *s, const struct config *cfg, int flags, struct err *e)
{
	struct migration_loader loader;
	struct db_idle idle = { load_step, &loader, 0, 0 };
	int files, rc;

	s->cfg = cfg;
	if (migrator_open(&s->mig, cfg, e) < 0)
		return -1;
	files = !(flags & SESSION_NO_FILES) && migrator_is_sql(&s->mig);
	if (files && migration_loader_open(&loader, cfg->dir, e) < 0)
		return -1;
	/* The files are read while the connection is set up; their errors
	 * come first whatever happened to the connection. */
	rc = (flags & SESSION_WAIT) ? db_wait_idle(cfg, cfg->wait_timeout_ms, &s->db, files ? &idle : NULL, e)
				    : db_connect_idle(cfg, &s->db, files ? &idle : NULL, e);
	if (files) {
		struct err fe = ERR_INIT;

		if (idle.failed) /* e holds the file's error; the loader is released */
			return -1;
		if (migration_loader_finish(&loader, &s->files, &fe) < 0) {
			migration_loader_release(&loader);
			db_close(&s->db);
			*e = fe;
			return -1;
		}
		migration_loader_release(&loader);
	}
	if (rc < 0)
		return -1;
	proc_watch_conn(s->db.conn);
	if (ledger_init(&s->ledger, &s->db, cfg->table, e) < 0)
		return -1;
	if (flags & SESSION_LOCK) {
		if (lock_acquire(&s->db, s->ledger.lock_key, cfg->lock_wait_ms, e) < 0)
			return -1;
		s->locked = 1;
	}
	/* first run of the SQL engine on a database another tool manages: say so */
	if ((flags & SESSION_ENSURE) && migrator_is_sql(&s->mig) && adopt_check(&s->db, &s->ledger, e) < 0)
		return -1;
	if ((flags & SESSION_ENSURE) && ledger_ensure(&s->ledger, &s->db, e) < 0)
		return -1;
	return session_refresh(s, e);
}

int session_require_sql(const struct session *s, const char *command, struct err *e)
{
	if (migrator_is_sql(&s->mig))
		return 0;
	err_set(e, EXIT_USAGE, "predeploy %s works on predeploy's own migrations, not with --migrator %s", command,
		s->mig.ops->name);
	err_hint(e, "use the tool's own command (alembic downgrade / alembic stamp, for instance), or "
		 "\"predeploy restore --reset-to REV\" to go back to a backup");
	return -1;
}

int session_backup_version(struct session *s, char *buf, size_t cap, struct err *e)
{
	struct tool_state st = TOOL_STATE_INIT;

	if (migrator_is_sql(&s->mig) || !s->mig.ops->read_state) {
		xstrlcpy(buf, s->plan.current, cap);
		return 0;
	}
	if (s->mig.ops->read_state(&s->mig, &s->db, &st, e) < 0) {
		tool_state_release(&st);
		return -1;
	}
	mig_sanitize(st.current[0] ? st.current : "0", buf, cap);
	tool_state_release(&st);
	return 0;
}

void session_unlock(struct session *s)
{
	if (s->locked)
		lock_release(&s->db, s->ledger.lock_key);
	s->locked = 0;
}

void session_close(struct session *s)
{
	/* closing the connection releases the session lock: no round trip */
	s->locked = 0;
	plan_release(&s->plan);
	applied_set_release(&s->applied);
	migration_set_release(&s->files);
	migrator_close(&s->mig);
	ledger_release(&s->ledger);
	proc_watch_conn(NULL);
	db_close(&s->db);
	/* shadow databases dropped in the background (shadow.h) are gone
	 * before the command ends or the app is exec'd */
	shadow_wait_drops();
}
