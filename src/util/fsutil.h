/*
 * fsutil: reading capped files and writing files atomically.
 *
 * fs_read_file() reads a whole file up to a size cap (every buffer filled
 * from a file has one).  fs_atomic_write() writes `<path>.partial`, fsyncs
 * it, renames it over `path` and fsyncs the directory; the partial file is
 * unlinked on every error path.
 */
#ifndef PREDEPLOY_FSUTIL_H
#define PREDEPLOY_FSUTIL_H

#include <stddef.h>
#include <sys/types.h>

#include "util/err.h"
#include "util/strbuf.h"

/* Read `path` into sb (appending). Fails with EXIT_DATAERR naming the file if
 * it is larger than cap, err_code on I/O errors. */
int fs_read_file(const char *path, size_t cap, struct strbuf *sb, int err_code, struct err *e);
/* The same from an open descriptor (a pipe, standard input) up to EOF;
 * `path` names it in errors.  Does not close fd. */
int fs_read_fd(int fd, const char *path, size_t cap, struct strbuf *sb, int err_code, struct err *e);
/* Finish a file written as `partial` through *fd: fsync, close (*fd becomes
 * -1 whatever happens), rename to `path`, fsync the directory.  *renamed is
 * set once the rename is done, so the caller knows which name to clean up.
 * Errors carry err_code. */
int fs_commit_partial(int *fd, const char *partial, const char *path, int err_code, int *renamed,
		      struct err *e);
int fs_atomic_write(const char *path, const void *data, size_t len, mode_t mode, struct err *e);
/* fsync the directory holding `path` (or `path` itself if it is a directory). */
int fs_fsync_dir(const char *dir, struct err *e);
/* mkdir -p with mode (0700 for new components). */
int fs_mkdirs(const char *dir, mode_t mode, struct err *e);
/* Directory part of path into buf ("." when none). */
void fs_dirname(const char *path, char *buf, size_t cap);
const char *fs_basename(const char *path);

#endif
