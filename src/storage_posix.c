/*
 * storage_posix: the storage driver for a local directory (see storage.h).
 *
 * A write goes to "<dir>/<name>.partial" (mode 0600, created exclusively,
 * never through a symbolic link, flock'ed while written: fs_create_partial),
 * and commit fsyncs it, renames it to "<dir>/<name>" and fsyncs the
 * directory (fs_commit_partial); abort unlinks the partial file.  The
 * directory is created (0700) by prepare, which also refuses a directory
 * others can write to (unless insecure_ok) and removes the partial files
 * of killed runs.  Listing returns regular files.
 */
#include "storage.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/statvfs.h>

#include "log.h"
#include "util/exitcode.h"
#include "util/fsutil.h"
#include "util/xalloc.h"
#include "util/banned.h"

/* Free space needed: half the database size plus 4 MiB (docs/backups.md). */
#define ESTIMATE_RATIO_DEN 2
#define ESTIMATE_MARGIN (4LL * 1024 * 1024)

struct posix {
	struct storage base;
	char *dir;
	int insecure_ok;
};

struct posix_w {
	struct storage_w base;
	int fd;
	char *partial;
	char *path;
};

struct posix_r {
	struct storage_r base;
	int fd;
	char *path;
};

static const char *dir_of(struct storage *s)
{
	return ((struct posix *)s)->dir;
}

static void log_stale_partial(const char *path)
{
	log_info("removed \"%s\", left by a run that was killed", path);
}

/*
 * In a container, a backup directory predeploy may not write into is nearly
 * always a volume owned by another user than the image's: say which user
 * needs it and how each platform grants it.  "path" is the directory, or
 * the parent it could not be created in.
 */
static int not_writable(const char *path, struct err *e)
{
	if (faccessat(AT_FDCWD, path, W_OK | X_OK, AT_EACCESS) == 0 || (errno != EACCES && errno != EPERM))
		return 0;
	err_hint(e, "\"%s\" must be writable by uid %u (gid %u), the user predeploy runs as: on Kubernetes "
		 "set the pod's securityContext.fsGroup to that gid and use a subdirectory of the volume "
		 "(--backup-dir /backups/predeploy); with Docker, create the directory owned by that user "
		 "in the image before its VOLUME line (a new named volume copies the ownership)",
		 path, (unsigned)geteuid(), (unsigned)getegid());
	return 1;
}

static int posix_prepare(struct storage *s, int64_t dbsize, struct err *e)
{
	const char *dir = dir_of(s);
	struct statvfs vfs;
	int64_t need = dbsize / ESTIMATE_RATIO_DEN + ESTIMATE_MARGIN, avail;

	if (fs_mkdirs(dir, 0700, e) < 0) {
		char *parent = xstrdup(dir), *slash = strrchr(parent, '/');

		if (slash)
			*(slash == parent ? slash + 1 : slash) = '\0';
		not_writable(slash ? parent : ".", e);
		free(parent);
		e->code = EXIT_BACKUP;
		return -1;
	}
	if (not_writable(dir, e)) {
		char hint[sizeof(e->hint)];

		xstrlcpy(hint, e->hint, sizeof(hint));
		err_set(e, EXIT_BACKUP, "cannot write into the backup directory \"%s\": %s", dir, strerror(EACCES));
		err_hint(e, "%s", hint);
		return -1;
	}
	if (!((struct posix *)s)->insecure_ok && fs_check_private_dir(dir, EXIT_BACKUP, e) < 0) {
		err_hint(e, "others could plant files in it: chmod go-w it and own it by the user running "
			 "predeploy, or pass --backup-dir-insecure-ok; on a Kubernetes volume, which fsGroup "
			 "makes group-writable, use a subdirectory (--backup-dir /backups/predeploy): "
			 "predeploy creates it private");
		return -1;
	}
	fs_remove_stale_partials(dir, log_stale_partial);
	if (statvfs(dir, &vfs) < 0)
		return err_sys(e, EXIT_BACKUP, errno, "could not check free space in \"%s\"", dir);
	avail = (int64_t)vfs.f_bavail * (int64_t)vfs.f_frsize;
	if (avail < need) {
		err_set(e, EXIT_BACKUP, "not enough free space in \"%s\" for a backup: %.1f MB free, "
			"about %.1f MB needed (half the database size of %.1f MB plus 4 MB)",
			dir, (double)avail / 1e6, (double)need / 1e6, (double)dbsize / 1e6);
		err_hint(e, "free space, lower --keep, or point --backup-dir at a larger volume");
		return -1;
	}
	return 0;
}

static int posix_exists(struct storage *s, const char *name, struct err *e)
{
	char *path = storage_path(s, name);
	struct stat st;
	int r = stat(path, &st) == 0 ? 1 : 0;

	(void)e;
	free(path);
	return r;
}

static struct storage_w *posix_open_write(struct storage *s, const char *name, struct err *e)
{
	struct posix_w *w = xcalloc(1, sizeof(*w));

	w->path = storage_path(s, name);
	w->partial = xasprintf("%s.partial", w->path);
	w->fd = fs_create_partial(w->partial, 0600, EXIT_BACKUP, e);
	if (w->fd < 0) {
		free(w->path);
		free(w->partial);
		free(w);
		return NULL;
	}
	return &w->base;
}

static int posix_write(struct storage_w *sw, const void *data, size_t n, struct err *e)
{
	struct posix_w *w = (struct posix_w *)sw;
	const unsigned char *p = data;

	while (n) {
		ssize_t k = write(w->fd, p, n);

		if (k < 0) {
			if (errno == EINTR)
				continue;
			return err_sys(e, errno == ENOSPC || errno == EDQUOT ? EXIT_BACKUP : EXIT_INTERNAL,
				       errno, "could not write the backup file");
		}
		p += k;
		n -= (size_t)k;
	}
	return 0;
}

static void posix_w_free(struct posix_w *w)
{
	if (w->fd >= 0)
		close(w->fd);
	free(w->path);
	free(w->partial);
	free(w);
}

static int posix_commit(struct storage_w *sw, struct err *e)
{
	struct posix_w *w = (struct posix_w *)sw;
	int renamed = 0, ret;

	ret = fs_commit_partial(&w->fd, w->partial, w->path, EXIT_BACKUP, &renamed, e);
	if (ret < 0)
		unlink(renamed ? w->path : w->partial);
	posix_w_free(w);
	return ret;
}

static void posix_abort(struct storage_w *sw)
{
	struct posix_w *w = (struct posix_w *)sw;

	unlink(w->partial);
	posix_w_free(w);
}

static struct storage_r *posix_open_read(struct storage *s, const char *name, int64_t *size, struct err *e)
{
	struct posix_r *r = xcalloc(1, sizeof(*r));
	struct stat st;

	r->path = storage_path(s, name);
	r->fd = open(r->path, O_RDONLY | O_CLOEXEC);
	if (r->fd < 0 || fstat(r->fd, &st) < 0) {
		err_sys(e, errno == ENOENT ? EXIT_DATAERR : EXIT_INTERNAL, errno, "could not open \"%s\"", r->path);
		if (r->fd >= 0)
			close(r->fd);
		free(r->path);
		free(r);
		return NULL;
	}
	*size = (int64_t)st.st_size;
	return &r->base;
}

static ssize_t posix_read(struct storage_r *sr, void *buf, size_t cap, struct err *e)
{
	struct posix_r *r = (struct posix_r *)sr;

	for (;;) {
		ssize_t n = read(r->fd, buf, cap);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			err_sys(e, EXIT_INTERNAL, errno, "could not read \"%s\"", r->path);
		return n;
	}
}

static void posix_close_read(struct storage_r *sr)
{
	struct posix_r *r = (struct posix_r *)sr;

	close(r->fd);
	free(r->path);
	free(r);
}

static int posix_list(struct storage *s, struct storage_objs *out, struct err *e)
{
	const char *dir = dir_of(s);
	DIR *d = opendir(dir);
	struct dirent *de;
	int alloc = 0;

	if (!d) {
		if (errno == ENOENT)
			return 0;
		return err_sys(e, EXIT_INTERNAL, errno, "could not open the backup directory \"%s\"", dir);
	}
	while ((de = readdir(d))) {
		char *path;
		struct stat st;

		if (de->d_name[0] == '.')
			continue;
		path = storage_path(s, de->d_name);
		if (stat(path, &st) < 0 || !S_ISREG(st.st_mode)) {
			free(path);
			continue;
		}
		free(path);
		if (out->n == alloc) {
			alloc = alloc ? alloc * 2 : 16;
			out->v = xrealloc(out->v, (size_t)alloc * sizeof(*out->v));
		}
		out->v[out->n].name = xstrdup(de->d_name);
		out->v[out->n].size = (int64_t)st.st_size;
		out->v[out->n].mtime = st.st_mtime;
		out->n++;
	}
	closedir(d);
	return 0;
}

static int posix_remove(struct storage *s, const char *name, struct err *e)
{
	char *path = storage_path(s, name);
	int ret = 0;

	if (unlink(path) < 0 && errno != ENOENT)
		ret = err_sys(e, EXIT_INTERNAL, errno, "could not remove \"%s\"", path);
	free(path);
	return ret;
}

static void posix_free(struct storage *s)
{
	struct posix *p = (struct posix *)s;

	free(p->dir);
	free(p);
}

static const struct storage_ops posix_ops = {
	"posix", posix_prepare, posix_exists, posix_open_write, posix_write, posix_commit, posix_abort,
	posix_open_read, posix_read, posix_close_read, posix_list, posix_remove, posix_free, NULL,
};

struct storage *storage_posix_open(const char *dir, int insecure_ok, struct err *e)
{
	struct posix *p = xcalloc(1, sizeof(*p));

	(void)e;
	p->base.ops = &posix_ops;
	p->dir = xstrdup(dir);
	p->insecure_ok = insecure_ok;
	p->base.where = p->dir;
	return &p->base;
}
