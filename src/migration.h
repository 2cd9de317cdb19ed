/*
 * migration: the migration files on disk.
 *
 * Two formats may share one directory (SPEC.md "Migration files"):
 *   <version>_<name>.sql              dbmate: "-- migrate:up [transaction:false]"
 *                                     and an optional "-- migrate:down" section
 *   <version>_<name>.up.sql / .down.sql   golang-migrate: the whole file is the
 *                                     section; a first line
 *                                     "-- predeploy:no-transaction" runs it
 *                                     outside a transaction
 * <version> is the leading digits, ordered numerically whatever their length.
 *
 *   struct migration_set set = MIGRATION_SET_INIT;
 *   if (migration_load_dir("migrations", &set, &err) < 0) ...  // EXIT_DATAERR, file+line
 *   for (i = 0; i < set.n; i++) use(&set.v[i]);
 *   migration_set_release(&set);
 *
 * The checksum is the SHA-256 of the up section's bytes.  Files are read
 * whole, capped at MIGRATION_MAX_BYTES each, and must be valid UTF-8 without
 * NUL bytes.  Other files in the directory are ignored; a .sql file without a
 * leading version is ignored with a warning.
 */
#ifndef PREDEPLOY_MIGRATION_H
#define PREDEPLOY_MIGRATION_H

#include <dirent.h>
#include <stddef.h>

#include "util/err.h"
#include "util/sha256.h"

#define MIGRATION_MAX_BYTES (64u * 1024 * 1024)

enum migration_format { MIGRATION_DBMATE, MIGRATION_PAIR, MIGRATION_PLAIN };

struct section {
	char *sql;          /* NUL-terminated section text (owned) */
	size_t len;
	int line;           /* 1-based line in `path` where the text starts */
	int no_transaction;
	char *path;         /* file the section came from (owned) */
	int present;
};

struct migration {
	char *version;      /* digits as written */
	char *name;         /* after "<version>_", without .sql/.up.sql */
	enum migration_format format;
	struct section up;
	struct section down;
	char checksum[SHA256_HEX_LEN];
};

struct migration_set {
	struct migration *v;
	int n;
};

#define MIGRATION_SET_INIT { NULL, 0 }

int migration_load_dir(const char *dir, struct migration_set *set, struct err *e);

/*
 * The same, one file at a time, for callers with something to overlap it
 * with (session.c reads the files while the connection is being set up):
 *
 *   struct migration_loader l;
 *   if (migration_loader_open(&l, dir, &err) < 0) ...   // no directory
 *   while ((rc = migration_loader_step(&l, &err)) > 0) ...;   // -1: bad file
 *   if (migration_loader_finish(&l, &set, &err) < 0) ... // loads the rest,
 *   migration_loader_release(&l);                       // sorts, checks
 *
 * step returns 1 after loading a file, 0 when the directory is done, -1 on
 * an error (the loader is then released).  release is safe at any point and
 * after finish.
 */
struct migration_loader {
	const char *dir;
	DIR *d;
	struct migration *v;
	int n, cap;
	char *real_dir;     /* realpath of dir, once a symbolic link needs it */
};

/* A file in the directory that is a symbolic link to somewhere outside it
 * is refused (EXIT_DATAERR) unless this was turned on (--follow-symlinks);
 * links inside the directory (a Kubernetes ConfigMap's ..data) are fine. */
void migration_follow_symlinks(int on);

int migration_loader_open(struct migration_loader *l, const char *dir, struct err *e);
int migration_loader_step(struct migration_loader *l, struct err *e);
int migration_loader_finish(struct migration_loader *l, struct migration_set *set, struct err *e);
void migration_loader_release(struct migration_loader *l);
/* Parse one file by its name's format. A file whose name has no version (a
 * plain .sql for `lint`) becomes MIGRATION_PLAIN with the whole file as its
 * up section, unless it has "-- migrate:" markers. */
int migration_load_file(const char *path, struct migration *m, struct err *e);
/* A whole file as one MIGRATION_PLAIN up section whatever its name (seeds:
 * "001_roles.sql" is not a dbmate migration); version "", name = the file
 * name, checksum = SHA-256 of the file.  Same caps and text checks. */
int migration_load_plain(const char *path, struct migration *m, struct err *e);
/* The same for text already read (standard input for `lint -`); path names
 * it and decides the format. */
int migration_parse(const char *path, const char *buf, size_t len, struct migration *m, struct err *e);
void migration_release(struct migration *m);
void migration_set_release(struct migration_set *set);

/* Compare two versions numerically (leading zeros ignored): <0, 0, >0. */
int version_cmp(const char *a, const char *b);
/* Index of version in set (numeric match), or -1. */
int migration_find(const struct migration_set *set, const char *version);
/* 1 when s is a non-empty string of digits. */
int version_valid(const char *s);

#endif
