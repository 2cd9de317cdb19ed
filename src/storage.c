/* storage: see storage.h (the driver-independent part). */
#include "storage.h"

#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "util/exitcode.h"
#include "util/xalloc.h"
#include "util/banned.h"

void storage_free(struct storage *s)
{
	if (s)
		s->ops->free(s);
}

const char *storage_where(const struct storage *s)
{
	return s->where;
}

char *storage_path(const struct storage *s, const char *name)
{
	return xasprintf("%s/%s", s->where, name);
}

int storage_prepare(struct storage *s, int64_t dbsize, struct err *e)
{
	return s->ops->prepare(s, dbsize, e);
}

int storage_exists(struct storage *s, const char *name, struct err *e)
{
	return s->ops->exists(s, name, e);
}

struct storage_w *storage_open_write(struct storage *s, const char *name, struct err *e)
{
	struct storage_w *w = s->ops->open_write(s, name, e);

	if (w)
		w->st = s;
	return w;
}

int storage_write(struct storage_w *w, const void *p, size_t n, struct err *e)
{
	return w->st->ops->write(w, p, n, e);
}

int storage_commit(struct storage_w *w, struct err *e)
{
	return w->st->ops->commit(w, e);
}

void storage_abort(struct storage_w *w)
{
	if (w)
		w->st->ops->abort(w);
}

int storage_put(struct storage *s, const char *name, const void *p, size_t n, struct err *e)
{
	struct storage_w *w = storage_open_write(s, name, e);

	if (!w)
		return -1;
	if (storage_write(w, p, n, e) < 0) {
		storage_abort(w);
		return -1;
	}
	return storage_commit(w, e);
}

struct storage_r *storage_open_read(struct storage *s, const char *name, int64_t *size, struct err *e)
{
	int64_t ignore;
	struct storage_r *r = s->ops->open_read(s, name, size ? size : &ignore, e);

	if (r)
		r->st = s;
	return r;
}

ssize_t storage_read(struct storage_r *r, void *buf, size_t cap, struct err *e)
{
	return r->st->ops->read(r, buf, cap, e);
}

void storage_close_read(struct storage_r *r)
{
	if (r)
		r->st->ops->close_read(r);
}

int storage_get(struct storage *s, const char *name, size_t cap, struct strbuf *sb, struct err *e)
{
	struct storage_r *r = storage_open_read(s, name, NULL, e);
	char buf[8192];
	ssize_t n;

	if (!r)
		return -1;
	while ((n = storage_read(r, buf, sizeof(buf), e)) > 0) {
		if (sb->len + (size_t)n > cap) {
			err_set(e, EXIT_DATAERR, "\"%s/%s\" is larger than %zu bytes", s->where, name, cap);
			n = -1;
			break;
		}
		sb_add(sb, buf, (size_t)n);
	}
	storage_close_read(r);
	return n < 0 ? -1 : 0;
}

int storage_list(struct storage *s, struct storage_objs *out, struct err *e)
{
	out->v = NULL;
	out->n = 0;
	return s->ops->list(s, out, e);
}

void storage_objs_release(struct storage_objs *l)
{
	int i;

	for (i = 0; i < l->n; i++)
		free(l->v[i].name);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

int storage_remove(struct storage *s, const char *name, struct err *e)
{
	return s->ops->remove(s, name, e);
}

int storage_cleanup(struct storage *s, int (*match)(void *ctx, const char *name), void *ctx, struct err *e)
{
	return s->ops->cleanup ? s->ops->cleanup(s, match, ctx, e) : 0;
}

struct storage *storage_open(const char *dest, const struct config *cfg, struct err *e)
{
	if (!strncmp(dest, "s3://", 5))
		return storage_s3_open(dest, cfg, e);
	return storage_posix_open(dest, cfg->backup_dir_insecure_ok, e);
}
