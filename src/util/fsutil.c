/* fsutil: see fsutil.h. */
#include "util/fsutil.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/exitcode.h"
#include "util/xalloc.h"
#include "util/banned.h"

int fs_read_file(const char *path, size_t cap, struct strbuf *sb, int err_code, struct err *e)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), ret;

	if (fd < 0)
		return err_sys(e, err_code, errno, "could not open \"%s\"", path);
	ret = fs_read_fd(fd, path, cap, sb, err_code, e);
	close(fd);
	return ret;
}

static const char *file_kind(mode_t m)
{
	return S_ISDIR(m) ? "a directory" : S_ISFIFO(m) ? "a FIFO" : S_ISCHR(m) ? "a character device" :
	       S_ISBLK(m) ? "a block device" : S_ISSOCK(m) ? "a socket" : "not a regular file";
}

int fs_read_regular(const char *path, size_t cap, struct strbuf *sb, int err_code, struct err *e)
{
	/* O_NONBLOCK: opening a FIFO without a writer must not hang before the
	 * fstat below refuses it (reading a regular file ignores the flag). */
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK), ret;
	struct stat st;

	if (fd < 0)
		return err_sys(e, err_code, errno, "could not open \"%s\"", path);
	if (fstat(fd, &st) < 0) {
		ret = err_sys(e, err_code, errno, "could not stat \"%s\"", path);
	} else if (!S_ISREG(st.st_mode)) {
		ret = err_set(e, EXIT_DATAERR, "could not read \"%s\": it is %s, not a regular file", path,
			      file_kind(st.st_mode));
	} else {
		ret = fs_read_fd(fd, path, cap, sb, err_code, e);
	}
	close(fd);
	return ret;
}

int fs_read_fd(int fd, const char *path, size_t cap, struct strbuf *sb, int err_code, struct err *e)
{
	struct stat st;
	size_t start = sb->len;
	int ret = -1;

	if (fstat(fd, &st) < 0) {
		err_sys(e, err_code, errno, "could not stat \"%s\"", path);
		goto out;
	}
	if (S_ISDIR(st.st_mode)) {
		err_set(e, err_code, "could not read \"%s\": is a directory", path);
		goto out;
	}
	if (S_ISREG(st.st_mode) && (size_t)st.st_size > cap) {
		err_set(e, EXIT_DATAERR, "file \"%s\" is too large (%lld bytes, the limit is %zu)",
			path, (long long)st.st_size, cap);
		goto out;
	}
	/* Size the buffer to the file (plus room for the EOF probe) so a small
	 * file costs one small allocation, not a 64 KiB one that musl's malloc
	 * maps and unmaps; grow only if the file grew. */
	sb_grow(sb, S_ISREG(st.st_mode) ? (size_t)st.st_size + 1 : 4096);
	for (;;) {
		ssize_t n;

		if (sb->alloc - sb->len - 1 == 0)
			sb_grow(sb, 65536);
		n = read(fd, sb->buf + sb->len, sb->alloc - sb->len - 1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			err_sys(e, err_code, errno, "could not read \"%s\"", path);
			goto out;
		}
		if (n == 0)
			break;
		sb->len += (size_t)n;
		sb->buf[sb->len] = '\0';
		if (sb->len - start > cap) {
			err_set(e, EXIT_DATAERR, "file \"%s\" is too large (the limit is %zu bytes)", path, cap);
			goto out;
		}
	}
	ret = 0;
out:
	if (ret < 0 && sb->alloc)
		sb_setlen(sb, start);
	return ret;
}

void fs_dirname(const char *path, char *buf, size_t cap)
{
	const char *slash = strrchr(path, '/');

	if (!slash) {
		xstrlcpy(buf, ".", cap);
	} else if (slash == path) {
		xstrlcpy(buf, "/", cap);
	} else {
		size_t n = (size_t)(slash - path);
		if (n >= cap)
			n = cap - 1;
		memcpy(buf, path, n);
		buf[n] = '\0';
	}
}

const char *fs_basename(const char *path)
{
	const char *slash = strrchr(path, '/');
	return slash ? slash + 1 : path;
}

int fs_fsync_dir(const char *dir, struct err *e)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		return err_sys(e, EXIT_INTERNAL, errno, "could not open directory \"%s\"", dir);
	if (fsync(fd) < 0 && errno != EINVAL) {
		int saved = errno;
		close(fd);
		return err_sys(e, EXIT_INTERNAL, saved, "could not fsync directory \"%s\"", dir);
	}
	close(fd);
	return 0;
}

int fs_commit_partial(int *fd, const char *partial, const char *path, int err_code, int *renamed,
		      struct err *e)
{
	char dir[4096];
	int f = *fd;

	*fd = -1;
	if (fsync(f) < 0) {
		int saved = errno;
		close(f);
		return err_sys(e, err_code, saved, "could not fsync \"%s\"", partial);
	}
	if (close(f) < 0)
		return err_sys(e, err_code, errno, "could not close \"%s\"", partial);
	if (rename(partial, path) < 0)
		return err_sys(e, err_code, errno, "could not rename \"%s\" to \"%s\"", partial, path);
	*renamed = 1;
	fs_dirname(path, dir, sizeof(dir));
	if (fs_fsync_dir(dir, e) < 0) {
		e->code = err_code;
		return -1;
	}
	return 0;
}

int fs_create_partial(const char *partial, mode_t mode, int err_code, struct err *e)
{
	struct stat st, lst;
	int fd = open(partial, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);

	if (fd < 0) {
		int saved = errno;

		if (saved == EEXIST && lstat(partial, &lst) == 0 && S_ISLNK(lst.st_mode))
			return err_set(e, err_code, "refusing to write \"%s\": a symbolic link is in its place",
				       partial);
		return err_sys(e, err_code, saved, "could not create \"%s\"", partial);
	}
	/* Held until the descriptor is closed: fs_remove_stale_partials() in
	 * another process leaves a locked partial alone.  If one of them took
	 * the lock between our open and flock, it also removed the name: the
	 * check below notices. */
	if (flock(fd, LOCK_EX | LOCK_NB) < 0 || fstat(fd, &st) < 0 || lstat(partial, &lst) < 0 ||
	    st.st_ino != lst.st_ino || st.st_dev != lst.st_dev) {
		close(fd);
		return err_set(e, err_code, "could not create \"%s\": removed or locked by another process",
			       partial);
	}
	return fd;
}

static int has_suffix(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n > m && !strcmp(s + n - m, suffix);
}

int fs_remove_stale_partials(const char *dir, void (*removed)(const char *path))
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int n = 0;

	if (!d)
		return 0;
	while ((de = readdir(d))) {
		struct stat st;
		char *path;
		int fd;

		if (!has_suffix(de->d_name, ".partial"))
			continue;
		path = xasprintf("%s/%s", dir, de->d_name);
		fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
		/* Only regular files nobody holds: a writer keeps its lock until it
		 * renames or removes the file. */
		if (fd >= 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
		    flock(fd, LOCK_EX | LOCK_NB) == 0 && unlink(path) == 0) {
			n++;
			if (removed)
				removed(path);
		}
		if (fd >= 0)
			close(fd);
		free(path);
	}
	closedir(d);
	return n;
}

int fs_check_private_dir(const char *dir, int err_code, struct err *e)
{
	struct stat st;

	if (stat(dir, &st) < 0)
		return err_sys(e, err_code, errno, "could not check the directory \"%s\"", dir);
	if (!S_ISDIR(st.st_mode))
		return err_set(e, err_code, "\"%s\" is not a directory", dir);
	if (st.st_uid != geteuid() && st.st_uid != 0) {
		err_set(e, err_code, "refusing the directory \"%s\": it is owned by uid %u, not by us (uid %u)",
			dir, (unsigned)st.st_uid, (unsigned)geteuid());
		return -1;
	}
	if (st.st_mode & (S_IWGRP | S_IWOTH)) {
		err_set(e, err_code, "refusing the directory \"%s\": it is %s-writable (mode %04o)", dir,
			st.st_mode & S_IWOTH ? "world" : "group", (unsigned)(st.st_mode & 07777));
		return -1;
	}
	return 0;
}

int fs_atomic_write(const char *path, const void *data, size_t len, mode_t mode, struct err *e)
{
	char *partial = xasprintf("%s.partial", path);
	const char *p = data;
	int fd = -1, ret = -1, renamed = 0, created = 0;

	fd = fs_create_partial(partial, mode, EXIT_INTERNAL, e);
	if (fd < 0)
		goto out;
	created = 1;
	while (len) {
		ssize_t n = write(fd, p, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			err_sys(e, EXIT_INTERNAL, errno, "could not write \"%s\"", partial);
			goto out;
		}
		p += n;
		len -= (size_t)n;
	}
	if (fs_commit_partial(&fd, partial, path, EXIT_INTERNAL, &renamed, e) < 0)
		goto out;
	ret = 0;
out:
	if (fd >= 0)
		close(fd);
	if (ret < 0 && created && !renamed)
		unlink(partial);
	free(partial);
	return ret;
}

int fs_mkdirs(const char *dir, mode_t mode, struct err *e)
{
	char buf[4096];
	size_t i, n = xstrlcpy(buf, dir, sizeof(buf));

	if (n >= sizeof(buf))
		return err_set(e, EXIT_CONFIG, "directory name too long: \"%s\"", dir);
	for (i = 1; i <= n; i++) {
		if (buf[i] == '/' || buf[i] == '\0') {
			char c = buf[i];
			buf[i] = '\0';
			if (mkdir(buf, mode) < 0 && errno != EEXIST)
				return err_sys(e, EXIT_INTERNAL, errno, "could not create directory \"%s\"", buf);
			buf[i] = c;
		}
	}
	return 0;
}

const char *fs_absolute(const char *path, char *buf, size_t cap)
{
	char cwd[4096];

	if (path[0] == '/' || !getcwd(cwd, sizeof(cwd)))
		snprintf(buf, cap, "%s", path);
	else
		snprintf(buf, cap, "%s/%s", strcmp(cwd, "/") ? cwd : "", path[0] == '.' && path[1] == '/' ? path + 2 : path);
	return buf;
}
