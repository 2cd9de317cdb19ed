/* restore_prepare: see restore_prepare.h. */
#include "restore_prepare.h"

#include <stdlib.h>
#include <string.h>

#include "backup_store.h"
#include "restore.h"
#include "storage.h"
#include "lock.h"
#include "log.h"
#include "util/exitcode.h"
#include "util/fsutil.h"
#include "util/json.h"
#include "util/strbuf.h"
#include "util/xalloc.h"
#include "util/banned.h"

/* --file: the SHA-256 its sidecar records, when it has one. */
static int file_source(const char *file, struct restore_source *src, struct err *e)
{
	struct strbuf side = STRBUF_INIT;
	struct err none = ERR_INIT;
	char *name = xasprintf("%s.json", file);
	int ret = 0, have;

	xstrlcpy(src->path, file, sizeof(src->path));
	have = fs_read_file(name, BACKUP_SIDECAR_CAP, &side, EXIT_DATAERR, &none) == 0;
	if (have) {
		xstrlcpy(src->sidecar, side.buf, sizeof(src->sidecar));
		src->at_risk = backup_sidecar_scope(side.buf, NULL);
	}
	if (have &&
	    (json_get(side.buf, "sha256", src->sha256, sizeof(src->sha256), NULL) < 0 ||
	     strlen(src->sha256) != 64)) {
		err_set(e, EXIT_DATAERR, "the sidecar \"%s\" has no valid sha256", name);
		err_hint(e, "move the sidecar away to restore the file unchecked");
		ret = -1;
	} else if (!src->sha256[0]) {
		log_warn("\"%s\" has no sidecar: its SHA-256 cannot be checked against a verified backup's", file);
	}
	sb_release(&side);
	free(name);
	return ret;
}

static void list_databases(const struct backup_list *all, struct strbuf *sb)
{
	int i, j;

	for (i = 0; i < all->n; i++) {
		for (j = 0; j < i && strcmp(all->v[j].database, all->v[i].database); j++)
			;
		if (j == i)
			sb_addf(sb, "%s\"%s\"", sb->len ? ", " : "", all->v[i].database);
	}
}

int restore_pick(const struct config *cfg, const char *target_db, const char *file, long index,
		 const char *from_db, struct restore_source *src, struct err *e)
{
	struct backup_list all = BACKUP_LIST_INIT, mine = BACKUP_LIST_INIT;
	const char *source = from_db ? from_db : target_db;
	const struct backup_entry *b = NULL;
	struct storage *st;
	int i, ret = -1;

	memset(src, 0, sizeof(*src));
	if (file)
		return file_source(file, src, e);
	st = backup_store_open(cfg, e);
	if (!st || backup_list(st, NULL, &all, e) < 0 || backup_list(st, source, &mine, e) < 0)
		goto out;
	if (index >= 0) {
		if (index >= all.n) {
			err_set(e, EXIT_USAGE, "there is no backup number %ld in \"%s\" (%d found)", index,
				storage_where(st), all.n);
			goto out;
		}
		for (i = 0; i < mine.n && !b; i++)
			if (!strcmp(mine.v[i].file, all.v[index].file))
				b = &all.v[index];
		if (!b) {
			err_set(e, EXIT_USAGE, "backup number %ld is of database \"%s\", not of \"%s\"%s", index,
				all.v[index].database, source, from_db ? " (--from-database)" : ", the target");
			err_hint(e, "to restore another database's backup say so: --from-database %s (or --file)",
				 all.v[index].database);
			goto out;
		}
	} else if (mine.n) {
		b = &mine.v[0];
	} else {
		struct strbuf others = STRBUF_INIT;

		list_databases(&all, &others);
		err_set(e, EXIT_USAGE, "there is no backup of database \"%s\" in \"%s\"%s%s", source,
			storage_where(st), others.len ? "; there are backups of " : "", others.buf);
		if (others.len)
			err_hint(e, "restore another database's backup with --from-database NAME or --file PATH");
		sb_release(&others);
		goto out;
	}
	if (!b->verified) {
		err_set(e, EXIT_DATAERR, "backup \"%s\" is not verified (no valid sidecar); restore it with --file if "
			"you must", b->path);
		goto out;
	}
	xstrlcpy(src->path, b->path, sizeof(src->path));
	xstrlcpy(src->sha256, b->sha256, sizeof(src->sha256));
	src->listed = 1;
	xstrlcpy(src->file, b->file, sizeof(src->file));
	for (i = 0; i < all.n; i++)
		if (!strcmp(all.v[i].file, b->file))
			src->position = i;
	xstrlcpy(src->when, b->when, sizeof(src->when));
	xstrlcpy(src->database, b->database, sizeof(src->database));
	xstrlcpy(src->version, b->version, sizeof(src->version));
	src->size = b->size;
	xstrlcpy(src->sidecar, b->sidecar, sizeof(src->sidecar));
	src->at_risk = backup_sidecar_scope(b->sidecar, NULL);
	ret = 0;
out:
	backup_list_release(&all);
	backup_list_release(&mine);
	storage_free(st);
	return ret;
}

static int create_database(struct db *db, const char *name, struct err *e)
{
	char *q = db_ident(db, name, e), *sql;
	int r;

	if (!q)
		return -1;
	sql = xasprintf("CREATE DATABASE %s", q);
	r = db_exec(db, sql, EXIT_INTERNAL, e);

	free(q);
	free(sql);
	if (r == 0)
		log_info("created database \"%s\"", name);
	return r;
}

int restore_into_is_url(const char *into)
{
	return into && (strstr(into, "://") || strchr(into, '='));
}

/* --into URL: another server, or the same one as another role.  Its
 * database is looked up (and created when missing) through the "postgres"
 * database of that server, as the URL's role. */
static int connect_url(const struct config *cfg, const char *url, struct db *out, int *exists, struct err *e)
{
	struct config c = *cfg;
	PQconninfoOption *opts, *o;
	struct strbuf maint = STRBUF_INIT;
	struct db m = DB_INIT;
	char *errmsg = NULL, *dbname = NULL;
	int ret = -1;

	opts = PQconninfoParse(url, &errmsg);
	if (!opts) {
		err_set(e, EXIT_USAGE, "--into: not a valid connection URL or conninfo string");
		PQfreemem(errmsg);
		return -1;
	}
	for (o = opts; o->keyword; o++) {
		if (!o->val || !*o->val)
			continue;
		if (!strcmp(o->keyword, "password"))
			log_add_secret(o->val);
		if (!strcmp(o->keyword, "dbname"))
			dbname = xstrdup(o->val);
		else
			db_conninfo_add(&maint, o->keyword, o->val);
	}
	if (!dbname) {
		err_set(e, EXIT_USAGE, "--into: the URL names no database");
		goto out;
	}
	db_conninfo_add(&maint, "dbname", "postgres");
	c.database_url = maint.buf;
	*exists = 1;
	if (db_connect(&c, &m, e) == 0) {
		const char *params[1] = { dbname };
		PGresult *r = db_query(&m, "select 1 from pg_catalog.pg_database where datname = $1", 1, params,
				       EXIT_INTERNAL, e);

		if (!r)
			goto out;
		*exists = PQntuples(r) > 0;
		PQclear(r);
		if (!*exists && create_database(&m, dbname, e) < 0)
			goto out;
	} else {
		err_clear(e);    /* no access to "postgres": the target must exist */
	}
	c.database_url = (char *)url;
	ret = db_connect(&c, out, e);
out:
	db_close(&m);
	memset(maint.buf, 0, maint.len);
	sb_release(&maint);
	PQconninfoFree(opts);
	free(dbname);
	return ret;
}

int restore_prepare(const struct config *cfg, struct db *db, const char *into, const struct progress *progress,
		    struct restore_target *t, struct err *e)
{
	char cur[128] = "";
	int exists = 1;

	t->db = db;
	if (restore_into_is_url(into)) {
		if (connect_url(cfg, into, &t->other, &exists, e) < 0)
			return -1;
		t->created = !exists;
		t->db = &t->other;
	} else if (into && strcmp(into, db->dbname)) {
		const char *params[1] = { into };
		PGresult *r = db_query(db, "select 1 from pg_catalog.pg_database where datname = $1", 1, params,
				       EXIT_INTERNAL, e);

		if (!r)
			return -1;
		exists = PQntuples(r) > 0;
		PQclear(r);
		if (!exists && create_database(db, into, e) < 0)
			return -1;
		t->created = !exists;
		if (db_connect_other(cfg, db, into, &t->other, e) < 0)
			return -1;
		t->db = &t->other;
	}
	if (ledger_init(&t->l, t->db, cfg->table, e) < 0 || lock_acquire(t->db, t->l.lock_key, cfg->lock_wait_ms, e) < 0)
		return -1;
	if (cfg->no_backup || !exists)
		return 0;
	if (t->version_of ? t->version_of(t->version_arg, t->db, cur, sizeof(cur), e) < 0
			  : ledger_current_version(&t->l, t->db, cur, sizeof(cur), e) < 0)
		return -1;
	return backup_take(cfg, t->db, cur, NULL, progress, &t->pre, e);
}

void restore_target_release(struct restore_target *t)
{
	ledger_release(&t->l);
	db_close(&t->other);
	t->db = NULL;
}

static ssize_t object_read(void *ctx, void *buf, size_t cap, struct err *e)
{
	return storage_read(((struct restore_object *)ctx)->r, buf, cap, e);
}

static int object_rewind(void *ctx, struct err *e)
{
	struct restore_object *ob = ctx;

	storage_close_read(ob->r);
	ob->r = storage_open_read(ob->st, ob->name, NULL, e);
	return ob->r ? 0 : -1;
}

int restore_object_open(const struct config *cfg, const struct restore_source *src, struct restore_object *ob,
			struct restore_opts *o, struct err *e)
{
	int64_t size = 0;

	ob->name = src->file;
	ob->st = backup_store_open(cfg, e);
	if (!ob->st || !(ob->r = storage_open_read(ob->st, ob->name, &size, e)))
		return -1;
	o->fd = -1;
	o->path = src->path;
	o->table = cfg->table;
	o->keys = cfg->backup_keys;
	o->file_size = size;
	o->source = object_read;
	o->rewind = object_rewind;
	o->source_ctx = ob;
	return 0;
}

void restore_object_close(struct restore_object *ob)
{
	storage_close_read(ob->r);
	storage_free(ob->st);
	ob->r = NULL;
	ob->st = NULL;
}
