/* session: see session.h. */
#include "session.h"

#include <string.h>

#include "lock.h"
#include "log.h"
#include "proc.h"
#include "util/exitcode.h"
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

int session_open(struct session *s, const struct config *cfg, int flags, struct err *e)
{
	s->cfg = cfg;
	if (!(flags & SESSION_NO_FILES) && migration_load_dir(cfg->dir, &s->files, e) < 0)
		return -1;
	if (((flags & SESSION_WAIT) ? db_wait(cfg, cfg->wait_timeout_ms, &s->db, e)
				    : db_connect(cfg, &s->db, e)) < 0)
		return -1;
	proc_watch_conn(s->db.conn);
	if (ledger_init(&s->ledger, &s->db, cfg->table, e) < 0)
		return -1;
	if (flags & SESSION_LOCK) {
		if (lock_acquire(&s->db, s->ledger.lock_key, cfg->lock_wait_ms, e) < 0)
			return -1;
		s->locked = 1;
	}
	if ((flags & SESSION_ENSURE) && ledger_ensure(&s->ledger, &s->db, e) < 0)
		return -1;
	return session_refresh(s, e);
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
	ledger_release(&s->ledger);
	proc_watch_conn(NULL);
	db_close(&s->db);
}
