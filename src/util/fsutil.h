/*
 * fsutil: reading capped files and writing files atomically.
 *
 * fs_read_file() reads a whole file up to a size cap (every buffer filled
 * from a file has one).  fs_atomic_write() writes `<path>.partial`, fsyncs
 * it, renames it over `path` and fsyncs the directory; the partial file is
 * unlinked on every error path.
 *
 * Partial files are created by fs_create_partial(): O_EXCL|O_NOFOLLOW, so a
 * file or symbolic link planted at the predictable name is refused, never
 * written through, and with an exclusive flock held for as long as the
 * descriptor is open.  fs_remove_stale_partials() removes the `*.partial`
 * files of a directory that no live process holds (a run killed with
 * SIGKILL leaves its partial unlocked), so a crash loop does not fill the
 * disk.  fs_check_private_dir() refuses a directory others could plant
 * files in.
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
/* The same for a regular file only: a FIFO, device, socket or directory is
 * refused with EXIT_DATAERR without blocking (input files: migrations). */
int fs_read_regular(const char *path, size_t cap, struct strbuf *sb, int err_code, struct err *e);
/* The same from an open descriptor (a pipe, standard input) up to EOF;
 * `path` names it in errors.  Does not close fd. */
int fs_read_fd(int fd, const char *path, size_t cap, struct strbuf *sb, int err_code, struct err *e);
/* Finish a file written as `partial` through *fd: fsync, close (*fd becomes
 * -1 whatever happens), rename to `path`, fsync the directory.  *renamed is
 * set once the rename is done, so the caller knows which name to clean up.
 * Errors carry err_code. */
int fs_commit_partial(int *fd, const char *partial, const char *path, int err_code, int *renamed,
		      struct err *e);
/* Create `partial` (O_WRONLY|O_CREAT|O_EXCL|O_NOFOLLOW|O_CLOEXEC, mode) and
 * lock it (flock LOCK_EX).  Returns the descriptor, or -1 with err_code
 * (anything already at that name, a symbolic link included, is refused). */
int fs_create_partial(const char *partial, mode_t mode, int err_code, struct err *e);
/* Remove the regular `*.partial` files in dir that nobody holds a lock on
 * (symbolic links and other files are left alone).  Returns how many were
 * removed; each removal is logged through `removed(name)` when not NULL. */
int fs_remove_stale_partials(const char *dir, void (*removed)(const char *path));
/* 0 when dir is a directory owned by us (or root) that neither group nor
 * others may write; else err_code naming the owner or mode. */
int fs_check_private_dir(const char *dir, int err_code, struct err *e);
int fs_atomic_write(const char *path, const void *data, size_t len, mode_t mode, struct err *e);
/* fsync the directory holding `path` (or `path` itself if it is a directory). */
int fs_fsync_dir(const char *dir, struct err *e);
/* mkdir -p with mode (0700 for new components). */
int fs_mkdirs(const char *dir, mode_t mode, struct err *e);
/* Directory part of path into buf ("." when none). */
void fs_dirname(const char *path, char *buf, size_t cap);
/* `path` made absolute against the working directory (not resolved: it may
 * not exist), for messages; truncated to cap. */
const char *fs_absolute(const char *path, char *buf, size_t cap);
const char *fs_basename(const char *path);

#endif
