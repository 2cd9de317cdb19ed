/* migration: see migration.h. */
#include "migration.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "log.h"
#include "util/exitcode.h"
#include "util/fsutil.h"
#include "util/strbuf.h"
#include "util/utf8.h"
#include "util/xalloc.h"
#include "util/banned.h"

int version_valid(const char *s)
{
	if (!s || !*s)
		return 0;
	for (; *s; s++)
		if (!isdigit((unsigned char)*s))
			return 0;
	return 1;
}

int version_cmp(const char *a, const char *b)
{
	size_t la, lb;

	while (*a == '0' && a[1])
		a++;
	while (*b == '0' && b[1])
		b++;
	la = strlen(a);
	lb = strlen(b);
	if (la != lb)
		return la < lb ? -1 : 1;
	return strcmp(a, b);
}

int migration_find(const struct migration_set *set, const char *version)
{
	int lo = 0, hi = set->n - 1;

	while (lo <= hi) {
		int mid = (lo + hi) / 2, c = version_cmp(set->v[mid].version, version);
		if (!c)
			return mid;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid - 1;
	}
	return -1;
}

static void section_release(struct section *s)
{
	free(s->sql);
	free(s->path);
	memset(s, 0, sizeof(*s));
}

void migration_release(struct migration *m)
{
	if (!m)
		return;
	free(m->version);
	free(m->name);
	section_release(&m->up);
	section_release(&m->down);
	memset(m, 0, sizeof(*m));
}

void migration_set_release(struct migration_set *set)
{
	int i;

	for (i = 0; i < set->n; i++)
		migration_release(&set->v[i]);
	free(set->v);
	set->v = NULL;
	set->n = 0;
}

/* Validate UTF-8 and the absence of NUL; on failure set e with the line. */
static int check_text(const char *path, const char *s, size_t len, struct err *e)
{
	size_t i = 0;
	int line = 1;

	while (i < len) {
		unsigned char c = (unsigned char)s[i];
		size_t need, k;
		unsigned int cp;

		if (c == '\n')
			line++;
		if (c == 0) {
			err_set(e, EXIT_DATAERR, "migration contains a NUL byte");
			err_where(e, path, line);
			return -1;
		}
		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf) { need = 1; cp = c & 0x1f; }
		else if (c >= 0xe0 && c <= 0xef) { need = 2; cp = c & 0x0f; }
		else if (c >= 0xf0 && c <= 0xf4) { need = 3; cp = c & 0x07; }
		else goto bad;
		for (k = 1; k <= need; k++) {
			if (i + k >= len || ((unsigned char)s[i + k] & 0xc0) != 0x80)
				goto bad;
			cp = (cp << 6) | ((unsigned char)s[i + k] & 0x3f);
		}
		if ((need == 2 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
		    (need == 3 && (cp < 0x10000 || cp > 0x10ffff)))
			goto bad;
		i += need + 1;
	}
	return 0;
bad:
	err_set(e, EXIT_DATAERR, "migration is not valid UTF-8 (byte 0x%02x at offset %zu)",
		(unsigned char)s[i], i);
	err_where(e, path, line);
	return -1;
}

/* Is this line a "-- migrate:<what>" marker? Returns pointer past the
 * marker word, or NULL. */
static const char *marker(const char *line, size_t n, const char *what)
{
	const char *p = line, *end = line + n;
	size_t wl = strlen(what);

	if (n < 2 || p[0] != '-' || p[1] != '-')
		return NULL;
	p += 2;
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	if ((size_t)(end - p) < 8 + wl || strncmp(p, "migrate:", 8) || strncmp(p + 8, what, wl))
		return NULL;
	p += 8 + wl;
	if (p < end && !isspace((unsigned char)*p))
		return NULL;
	return p;
}

/* Parse the options after a marker ("transaction:false"). */
static int marker_options(const char *p, const char *end, int *no_tx, const char *path,
			  int line, struct err *e)
{
	while (p < end) {
		const char *w;
		while (p < end && isspace((unsigned char)*p))
			p++;
		w = p;
		while (p < end && !isspace((unsigned char)*p))
			p++;
		if (p == w)
			break;
		if ((size_t)(p - w) == 17 && !strncmp(w, "transaction:false", 17)) {
			*no_tx = 1;
		} else if ((size_t)(p - w) == 16 && !strncmp(w, "transaction:true", 16)) {
			*no_tx = 0;
		} else {
			err_set(e, EXIT_DATAERR, "unknown migration option \"%.*s\" (expected transaction:false)",
				(int)(p - w), w);
			err_where(e, path, line);
			return -1;
		}
	}
	return 0;
}

static int only_blank_or_comment(const char *line, size_t n)
{
	size_t i = 0;

	while (i < n && isspace((unsigned char)line[i]))
		i++;
	return i == n || (n - i >= 2 && line[i] == '-' && line[i + 1] == '-');
}

static void set_section(struct section *s, const char *path, const char *text, size_t len, int line)
{
	s->sql = xstrndup(text, len);
	s->len = len;
	s->line = line;
	s->path = xstrdup(path);
	s->present = 1;
}

/* dbmate format: split at the markers. */
static int parse_dbmate(const char *path, const char *buf, size_t len, struct migration *m,
			struct err *e)
{
	const char *p = buf, *end = buf + len;
	const char *up_start = NULL, *up_end = NULL, *down_start = NULL;
	int line = 1, up_line = 0, down_line = 0;
	int up_no_tx = 0, down_no_tx = 0;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl ? nl : end;
		const char *opt;
		size_t n = (size_t)(le - p);

		if (n && p[n - 1] == '\r')
			n--;
		if ((opt = marker(p, n, "up"))) {
			if (up_start) {
				err_set(e, EXIT_DATAERR, "second \"-- migrate:up\" section");
				err_where(e, path, line);
				return -1;
			}
			if (down_start) {
				err_set(e, EXIT_DATAERR, "\"-- migrate:up\" must come before \"-- migrate:down\"");
				err_where(e, path, line);
				return -1;
			}
			if (marker_options(opt, p + n, &up_no_tx, path, line, e) < 0)
				return -1;
			up_start = nl ? nl + 1 : end;
			up_line = line + 1;
		} else if ((opt = marker(p, n, "down"))) {
			if (down_start) {
				err_set(e, EXIT_DATAERR, "second \"-- migrate:down\" section");
				err_where(e, path, line);
				return -1;
			}
			if (!up_start) {
				err_set(e, EXIT_DATAERR, "\"-- migrate:down\" before any \"-- migrate:up\"");
				err_where(e, path, line);
				return -1;
			}
			if (marker_options(opt, p + n, &down_no_tx, path, line, e) < 0)
				return -1;
			up_end = p;
			down_start = nl ? nl + 1 : end;
			down_line = line + 1;
		} else if (!up_start && !only_blank_or_comment(p, n)) {
			err_set(e, EXIT_DATAERR, "statement before \"-- migrate:up\"");
			err_where(e, path, line);
			err_hint(e, "a migration file starts with a \"-- migrate:up\" line");
			return -1;
		}
		line++;
		p = nl ? nl + 1 : end;
	}
	if (!up_start) {
		err_set(e, EXIT_DATAERR, "no \"-- migrate:up\" section");
		err_where(e, path, 0);
		err_hint(e, "start the file with \"-- migrate:up\"; an optional \"-- migrate:down\" section follows");
		return -1;
	}
	if (!up_end)
		up_end = end;
	set_section(&m->up, path, up_start, (size_t)(up_end - up_start), up_line);
	m->up.no_transaction = up_no_tx;
	if (down_start) {
		set_section(&m->down, path, down_start, (size_t)(end - down_start), down_line);
		m->down.no_transaction = down_no_tx;
	}
	return 0;
}

static int has_markers(const char *buf, size_t len)
{
	const char *p = buf, *end = buf + len;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = (size_t)((nl ? nl : end) - p);
		if (marker(p, n, "up"))
			return 1;
		p = nl ? nl + 1 : end;
	}
	return 0;
}

static int first_line_no_tx(const char *buf, size_t len)
{
	const char *nl = memchr(buf, '\n', len);
	size_t n = nl ? (size_t)(nl - buf) : len;
	const char *p = buf, *end = buf + n;

	if (n < 2 || p[0] != '-' || p[1] != '-')
		return 0;
	p += 2;
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	return (size_t)(end - p) >= 24 && !strncmp(p, "predeploy:no-transaction", 24);
}

/* Split "<digits>_<name>.<ext>"; returns 0 and fills version/name/kind
 * (0 = .sql, 1 = .up.sql, 2 = .down.sql) or -1 when it is not a migration. */
static int parse_name(const char *base, char **version, char **name, int *kind)
{
	size_t n = strlen(base), digits = 0, stem;
	const char *rest;

	if (n < 5 || strcmp(base + n - 4, ".sql"))
		return -1;
	while (isdigit((unsigned char)base[digits]))
		digits++;
	if (!digits)
		return -1;
	stem = n - 4;
	*kind = 0;
	if (stem >= 3 && !strncmp(base + stem - 3, ".up", 3)) {
		*kind = 1;
		stem -= 3;
	} else if (stem >= 5 && !strncmp(base + stem - 5, ".down", 5)) {
		*kind = 2;
		stem -= 5;
	}
	if (stem < digits)
		return -1;
	rest = base + digits;
	if (stem > digits && *rest != '_')
		return -1;
	*version = xstrndup(base, digits);
	*name = stem > digits ? xstrndup(rest + 1, stem - digits - 1) : xstrdup("");
	return 0;
}

static int read_capped(const char *path, struct strbuf *sb, struct err *e)
{
	if (fs_read_regular(path, MIGRATION_MAX_BYTES, sb, EXIT_DATAERR, e) < 0) {
		if (e->code == EXIT_DATAERR && !e->file[0])
			err_where(e, path, 0);
		return -1;
	}
	return 0;
}

static int valid_utf8(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strlen(s), k;

	for (; n; p += k, n -= k)
		if (!(k = utf8_seq_len(p, n)))
			return 0;
	return 1;
}

static void finish_checksum(struct migration *m)
{
	sha256_hex_of(m->up.sql, m->up.len, m->checksum);
}

static void set_plain(struct migration *m, const char *path, const char *buf, size_t len)
{
	set_section(&m->up, path, buf, len, 1);
	m->up.no_transaction = first_line_no_tx(buf, len);
}

int migration_load_plain(const char *path, struct migration *m, struct err *e)
{
	struct strbuf sb = STRBUF_INIT;
	int ret = -1;

	memset(m, 0, sizeof(*m));
	if (read_capped(path, &sb, e) < 0 || check_text(path, sb.buf, sb.len, e) < 0)
		goto out;
	m->format = MIGRATION_PLAIN;
	m->version = xstrdup("");
	m->name = xstrdup(fs_basename(path));
	set_plain(m, path, sb.buf, sb.len);
	finish_checksum(m);
	ret = 0;
out:
	sb_release(&sb);
	return ret;
}

int migration_load_file(const char *path, struct migration *m, struct err *e)
{
	struct strbuf sb = STRBUF_INIT;
	int ret = -1;

	memset(m, 0, sizeof(*m));
	if (read_capped(path, &sb, e) == 0)
		ret = migration_parse(path, sb.buf, sb.len, m, e);
	sb_release(&sb);
	return ret;
}

int migration_parse(const char *path, const char *buf, size_t len, struct migration *m, struct err *e)
{
	char *version = NULL, *name = NULL;
	int kind = 0, ret = -1;

	memset(m, 0, sizeof(*m));
	/* A UTF-8 byte order mark (editors on Windows write one) is not SQL:
	 * drop it, so it is neither sent nor part of the checksum. */
	if (len >= 3 && !memcmp(buf, "\xef\xbb\xbf", 3)) {
		buf += 3;
		len -= 3;
	}
	if (check_text(path, buf, len, e) < 0)
		goto out;
	if (!valid_utf8(fs_basename(path))) {
		/* the name goes into the tracking table, a text column */
		err_set(e, EXIT_DATAERR, "migration file name is not valid UTF-8");
		err_where(e, path, 0);
		goto out;
	}
	if (parse_name(fs_basename(path), &version, &name, &kind) < 0) {
		m->format = MIGRATION_PLAIN;
		m->version = xstrdup("");
		m->name = xstrdup(fs_basename(path));
		if (has_markers(buf, len)) {
			if (parse_dbmate(path, buf, len, m, e) < 0)
				goto out;
		} else {
			set_plain(m, path, buf, len);
		}
	} else {
		m->version = version;
		m->name = name;
		version = name = NULL;
		if (kind == 0) {
			m->format = MIGRATION_DBMATE;
			if (parse_dbmate(path, buf, len, m, e) < 0)
				goto out;
		} else {
			struct section *s = kind == 1 ? &m->up : &m->down;
			m->format = MIGRATION_PAIR;
			set_section(s, path, buf, len, 1);
			s->no_transaction = first_line_no_tx(buf, len);
		}
	}
	finish_checksum(m);
	ret = 0;
out:
	if (ret < 0)
		migration_release(m);
	free(version);
	free(name);
	return ret;
}

static int cmp_migration(const void *a, const void *b)
{
	const struct migration *x = a, *y = b;
	int c = version_cmp(x->version, y->version);

	if (c)
		return c;
	/* keep pair files adjacent: up before down */
	return x->up.present ? -1 : y->up.present ? 1 : 0;
}

static int follow_symlinks;

void migration_follow_symlinks(int on)
{
	follow_symlinks = on;
}

/* A symbolic link must resolve to a file inside the directory. */
static int check_link(struct migration_loader *l, const char *path, struct err *e)
{
	struct stat st;
	char *target;
	size_t n;
	int ok;

	if (follow_symlinks || lstat(path, &st) < 0 || !S_ISLNK(st.st_mode))
		return 0;
	if (!l->real_dir && !(l->real_dir = realpath(l->dir, NULL)))
		return err_sys(e, EXIT_DATAERR, errno, "could not resolve the migrations directory \"%s\"", l->dir);
	target = realpath(path, NULL);
	if (!target)
		return err_sys(e, EXIT_DATAERR, errno, "could not resolve the symbolic link \"%s\"", path);
	n = strlen(l->real_dir);
	ok = !strncmp(target, l->real_dir, n) && (target[n] == '/' || (n == 1 && *target == '/'));
	if (!ok) {
		err_set(e, EXIT_DATAERR, "migration \"%s\" is a symbolic link that leaves the migrations "
			"directory (to \"%s\")", path, target);
		err_hint(e, "copy the file into the directory, or pass --follow-symlinks if the link is intended");
		err_where(e, path, 0);
	}
	free(target);
	return ok ? 0 : -1;
}

int migration_loader_open(struct migration_loader *l, const char *dir, struct err *e)
{
	memset(l, 0, sizeof(*l));
	l->dir = dir;
	l->d = opendir(dir);
	if (!l->d) {
		char abs[4096];
		int saved = errno;

		err_sys(e, saved == ENOENT ? EXIT_CONFIG : EXIT_DATAERR, saved,
			"could not open migrations directory \"%s\"", fs_absolute(dir, abs, sizeof(abs)));
		if (saved == ENOENT)
			err_hint(e, "--dir or PREDEPLOY_MIGRATIONS_DIR names the directory of migration files "
				 "(default: migrations, relative to the working directory)");
		return -1;
	}
	return 0;
}

int migration_loader_step(struct migration_loader *l, struct err *e)
{
	struct dirent *de;

	if (!l->d)
		return 0;
	while ((de = readdir(l->d))) {
		char *version = NULL, *name = NULL, *path;
		int kind, rc;

		if (de->d_name[0] == '.')
			continue;
		if (parse_name(de->d_name, &version, &name, &kind) < 0) {
			size_t len = strlen(de->d_name);
			if (len > 4 && !strcmp(de->d_name + len - 4, ".sql"))
				log_warn("ignoring \"%s/%s\": its name does not start with a version (digits)",
					 l->dir, de->d_name);
			continue;
		}
		free(version);
		free(name);
		if (l->n == l->cap) {
			l->cap = l->cap ? l->cap * 2 : 64;
			l->v = xrealloc(l->v, sizeof(*l->v) * (size_t)l->cap);
		}
		path = xasprintf("%s/%s", l->dir, de->d_name);
		rc = check_link(l, path, e);
		if (rc == 0)
			rc = migration_load_file(path, &l->v[l->n], e);
		free(path);
		if (rc < 0) {
			migration_loader_release(l);
			return -1;
		}
		l->n++;
		return 1;
	}
	closedir(l->d);
	l->d = NULL;
	return 0;
}

int migration_loader_finish(struct migration_loader *l, struct migration_set *set, struct err *e)
{
	struct migration *v;
	int n, i, out_n = 0, rc;

	while ((rc = migration_loader_step(l, e)) > 0)
		;
	if (rc < 0)
		return -1;
	v = l->v;
	n = l->n;
	l->v = NULL;
	l->n = l->cap = 0;
	if (n)
		qsort(v, (size_t)n, sizeof(*v), cmp_migration);

	/* Merge .up.sql/.down.sql pairs; reject duplicates. */
	for (i = 0; i < n; i++) {
		struct migration *m = &v[i];
		if (out_n > 0 && !version_cmp(v[out_n - 1].version, m->version)) {
			struct migration *prev = &v[out_n - 1];
			if (prev->format == MIGRATION_PAIR && m->format == MIGRATION_PAIR &&
			    prev->up.present && !prev->down.present && m->down.present && !m->up.present &&
			    !strcmp(prev->name, m->name)) {
				prev->down = m->down;
				memset(&m->down, 0, sizeof(m->down));
				migration_release(m);
				continue;
			}
			err_set(e, EXIT_DATAERR, "duplicate migration version %s: \"%s\" and \"%s\"",
				m->version, fs_basename(prev->up.present ? prev->up.path : prev->down.path),
				fs_basename(m->up.present ? m->up.path : m->down.path));
			err_where(e, m->up.present ? m->up.path : m->down.path, 0);
			for (; i < n; i++)
				migration_release(&v[i]);
			n = out_n;
			goto fail;
		}
		if (i != out_n)
			v[out_n] = *m;
		out_n++;
	}
	n = out_n;
	for (i = 0; i < n; i++) {
		if (!v[i].up.present) {
			err_set(e, EXIT_DATAERR, "migration %s has a down file but no up file", v[i].version);
			err_where(e, v[i].down.path, 0);
			goto fail;
		}
	}
	set->v = v;
	set->n = n;
	return 0;
fail:
	for (i = 0; i < n; i++)
		migration_release(&v[i]);
	free(v);
	return -1;
}

void migration_loader_release(struct migration_loader *l)
{
	int i;

	for (i = 0; i < l->n; i++)
		migration_release(&l->v[i]);
	free(l->v);
	free(l->real_dir);
	if (l->d)
		closedir(l->d);
	memset(l, 0, sizeof(*l));
}

int migration_load_dir(const char *dir, struct migration_set *set, struct err *e)
{
	struct migration_loader l;
	int rc;

	if (migration_loader_open(&l, dir, e) < 0)
		return -1;
	rc = migration_loader_finish(&l, set, e);
	migration_loader_release(&l);
	return rc;
}
