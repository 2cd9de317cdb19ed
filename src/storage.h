/*
 * storage: where backups live, behind one interface (after pgBackRest's
 * storage/posix and storage/s3), so that taking, listing, retention, reuse
 * and restore have one code path whatever the destination.
 *
 *   struct storage *st = storage_open("backups", NULL, &err);  // a directory
 *   struct storage_w *w = storage_open_write(st, "x.sql.gz", &err);
 *   storage_write(w, buf, n, &err); ...
 *   storage_commit(w, &err);        // or storage_abort(w): exactly one of them,
 *                                   // both free w; nothing is visible under
 *                                   // the name until commit succeeds
 *   struct storage_objs objs = STORAGE_OBJS_INIT;
 *   storage_list(st, &objs, &err);  // every object, any name
 *   struct storage_r *r = storage_open_read(st, "x.sql.gz", &size, &err);
 *   while ((n = storage_read(r, buf, cap, &err)) > 0) ...
 *   storage_close_read(r);
 *   storage_remove(st, "x.sql.gz", &err);
 *   storage_free(st);
 *
 * Names are single path components.  storage_path() gives the name as the
 * user sees it ("backups/x.sql.gz").  Errors carry EXIT_BACKUP for writes,
 * EXIT_DATAERR for a missing object on read, EXIT_INTERNAL otherwise.
 */
#ifndef PREDEPLOY_STORAGE_H
#define PREDEPLOY_STORAGE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "util/err.h"
#include "util/strbuf.h"

struct storage;
struct storage_w;
struct storage_r;

struct storage_obj {
	char *name;
	int64_t size;
	time_t mtime;
};

struct storage_objs {
	struct storage_obj *v;
	int n;
};

#define STORAGE_OBJS_INIT { NULL, 0 }

/* A driver: one of these plus its own struct storage / _w / _r. */
struct storage_ops {
	const char *kind;                /* "posix", "s3" */
	/* Before a backup of a database of `dbsize` bytes: create the place,
	 * check there is room (posix: free space for half of it plus 4 MiB). */
	int (*prepare)(struct storage *s, int64_t dbsize, struct err *e);
	int (*exists)(struct storage *s, const char *name, struct err *e);  /* 1, 0, -1 */
	struct storage_w *(*open_write)(struct storage *s, const char *name, struct err *e);
	int (*write)(struct storage_w *w, const void *p, size_t n, struct err *e);
	int (*commit)(struct storage_w *w, struct err *e);
	void (*abort)(struct storage_w *w);
	struct storage_r *(*open_read)(struct storage *s, const char *name, int64_t *size, struct err *e);
	ssize_t (*read)(struct storage_r *r, void *buf, size_t cap, struct err *e);
	void (*close_read)(struct storage_r *r);
	int (*list)(struct storage *s, struct storage_objs *out, struct err *e);
	int (*remove)(struct storage *s, const char *name, struct err *e);
	void (*free)(struct storage *s);
	/* Optional: drop unfinished writes (a killed process's multipart
	 * uploads) of names for which match() says 1. */
	int (*cleanup)(struct storage *s, int (*match)(void *ctx, const char *name), void *ctx,
		       struct err *e);
};

/* The common head of every driver's handle. */
struct storage {
	const struct storage_ops *ops;
	char *where;                     /* "backups", "s3://bucket/prefix" */
};

struct storage_w {
	struct storage *st;
};

struct storage_r {
	struct storage *st;
};

struct config;

/* A directory (created on the first write, mode 0700).  Unless insecure_ok,
 * prepare refuses one that is group/world-writable or owned by another user. */
struct storage *storage_posix_open(const char *dir, int insecure_ok, struct err *e);
/* "s3://BUCKET/PREFIX" with the AWS_* variables and cfg's --s3-* options
 * (storage_s3.c).  EXIT_CONFIG when credentials or the URL are wrong. */
struct storage *storage_s3_open(const char *dest, const struct config *cfg, struct err *e);
/* Either of them, by the form of `dest` (--backup-dir-insecure-ok applies
 * to a directory). */
struct storage *storage_open(const char *dest, const struct config *cfg, struct err *e);

void storage_free(struct storage *s);
const char *storage_where(const struct storage *s);
/* "<where>/<name>"; caller frees. */
char *storage_path(const struct storage *s, const char *name);

int storage_prepare(struct storage *s, int64_t dbsize, struct err *e);
int storage_exists(struct storage *s, const char *name, struct err *e);
struct storage_w *storage_open_write(struct storage *s, const char *name, struct err *e);
int storage_write(struct storage_w *w, const void *p, size_t n, struct err *e);
int storage_commit(struct storage_w *w, struct err *e);
void storage_abort(struct storage_w *w);
/* Write a whole small object (a sidecar). */
int storage_put(struct storage *s, const char *name, const void *p, size_t n, struct err *e);

/* *size (may be NULL) gets the object's size. */
struct storage_r *storage_open_read(struct storage *s, const char *name, int64_t *size, struct err *e);
ssize_t storage_read(struct storage_r *r, void *buf, size_t cap, struct err *e);
void storage_close_read(struct storage_r *r);
/* Read a whole object of at most `cap` bytes into sb (EXIT_DATAERR above). */
int storage_get(struct storage *s, const char *name, size_t cap, struct strbuf *sb, struct err *e);

/* Every object; a place that does not exist yet is an empty list. */
int storage_list(struct storage *s, struct storage_objs *out, struct err *e);
void storage_objs_release(struct storage_objs *l);
int storage_remove(struct storage *s, const char *name, struct err *e);
int storage_cleanup(struct storage *s, int (*match)(void *ctx, const char *name), void *ctx, struct err *e);

#endif
