/*
 * backup: see backup.h.
 *
 * The dump is pg_dump's plain format with --clean --if-exists, owners and
 * privileges kept: restored over the database it came from (restore.c also
 * empties the user schemas first), it gives back exactly the backed-up
 * state.  Restoring into another cluster needs the same roles to exist.
 */
#include "backup.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/statvfs.h>

#include "gzstream.h"
#include "log.h"
#include "proc.h"
#include "util/exitcode.h"
#include "util/fsutil.h"
#include "util/strbuf.h"
#include "util/timeutil.h"
#include "util/xalloc.h"
#include "util/banned.h"


#define BACKUP_LEVEL 1              /* see docs/BENCHMARKS.md "Backup and restore" */
#define PIPE_CHUNK (256 * 1024)
#define SIDECAR_CAP (64 * 1024)
#define COMPLETE_LINE "-- PostgreSQL database dump complete"
/* Free space needed: half the database size plus 4 MiB (docs/backups.md). */
#define ESTIMATE_RATIO_DEN 2
#define ESTIMATE_MARGIN (4LL * 1024 * 1024)

static volatile sig_atomic_t abort_has_partial;
static char abort_partial[4096];

void backup_abort(void)
{
	proc_kill_child(SIGKILL);
	if (abort_has_partial)
		unlink(abort_partial);
}

int backup_wanted(const struct config *cfg, int npending)
{
	if (cfg->no_backup || cfg->backup == BACKUP_NEVER)
		return 0;
	if (cfg->backup == BACKUP_ALWAYS)
		return 1;
	return npending > 0;
}

/* ---- pg_dump as a child (proc_spawn) ---- */

/* "not found" gets the hint that says where pg_dump comes from. */
static void pgdump_start_hint(const struct proc_result *r, struct err *e)
{
	if (r->exec_errno == ENOENT)
		err_hint(e, "install the PostgreSQL client tools (pg_dump) matching the server's "
			 "major version, or point --pg-dump / PREDEPLOY_PG_DUMP at one");
}

struct capture {
	struct strbuf *sb;
	size_t cap;
};

static int capture_out(void *arg, const void *buf, size_t n, struct err *e)
{
	struct capture *c = arg;

	(void)e;
	if (c->sb->len < c->cap)
		sb_add(c->sb, buf, n > c->cap - c->sb->len ? c->cap - c->sb->len : n);
	return 0;
}

/* First line of text, trimmed, into out. */
static void first_line(const char *s, char *out, size_t cap)
{
	size_t n;

	while (*s == ' ' || *s == '\n')
		s++;
	n = strcspn(s, "\n");
	if (n >= cap)
		n = cap - 1;
	memcpy(out, s, n);
	out[n] = '\0';
}

/* ---- pg_dump version ---- */

struct pgdump_version {
	char text[128];             /* "15.18 (Debian 15.18-0+deb12u1)" */
	int major_num;              /* 150000, 90600 */
};

static int parse_pg_version(const char *s, struct pgdump_version *v)
{
	const char *p = strstr(s, "(PostgreSQL)");
	int a = 0, b = 0;

	if (!p)
		return -1;
	p += strlen("(PostgreSQL)");
	while (*p == ' ')
		p++;
	first_line(p, v->text, sizeof(v->text));
	if (sscanf(p, "%d.%d", &a, &b) < 1 || a <= 0)
		return -1;
	v->major_num = a >= 10 ? a * 10000 : a * 10000 + b * 100;
	return 0;
}

static void major_text(int major_num, char *buf, size_t cap)
{
	if (major_num >= 100000)
		snprintf(buf, cap, "%d", major_num / 10000);
	else
		snprintf(buf, cap, "%d.%d", major_num / 10000, major_num / 100 % 100);
}

static int pgdump_check_version(const char *pg_dump, const struct db *db, struct pgdump_version *v,
				struct err *e)
{
	const char *argv[] = { pg_dump, "--version", NULL };
	const char *env[] = { "PGPASSWORD", NULL };
	struct proc_spawn_opts o = PROC_SPAWN_OPTS_INIT;
	struct proc_result r = PROC_RESULT_INIT;
	struct strbuf out = STRBUF_INIT;
	struct capture cap = { &out, 4096 };
	char buf[512], have[32], need[32];
	int server_major, ret = -1;

	o.argv = argv;
	o.env = env;
	o.fail_code = EXIT_BACKUP;
	o.on_stdout = capture_out;
	o.arg = &cap;
	if (proc_spawn(&o, &r, e) < 0) {
		pgdump_start_hint(&r, e);
		goto out;
	}
	if (!r.exited || r.exit_status != 0 || parse_pg_version(out.buf, v) < 0) {
		first_line(out.len ? out.buf : r.tail.buf, buf, sizeof(buf));
		err_set(e, EXIT_BACKUP, "could not determine the version of \"%s\": unexpected output \"%s\"",
			pg_dump, buf);
		goto out;
	}
	server_major = db->server_version >= 100000 ? db->server_version / 10000 * 10000
						     : db->server_version / 100 * 100;
	if (v->major_num < server_major) {
		major_text(server_major, need, sizeof(need));
		major_text(v->major_num, have, sizeof(have));
		err_set(e, EXIT_BACKUP,
			"pg_dump \"%s\" is version %s, older than the server (PostgreSQL %s); a backup needs pg_dump %s or newer",
			pg_dump, v->text, PQparameterStatus(db->conn, "server_version"), need);
		err_hint(e, "install the client tools of PostgreSQL %s or newer (Debian/Ubuntu: "
			 "postgresql-client-%s from the PostgreSQL apt repository; Alpine: postgresql%s-client; "
			 "or the official postgres:%s image's /usr/bin/pg_dump) and put it on PATH or pass --pg-dump",
			 need, need, need, need);
		(void)have;
		goto out;
	}
	ret = 0;
out:
	sb_release(&out);
	proc_result_release(&r);
	return ret;
}

/* ---- naming and listing ---- */

static void sanitize(const char *in, char *out, size_t cap)
{
	size_t i;

	for (i = 0; in[i] && i + 1 < cap; i++) {
		char ch = in[i];
		int ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
			 ch == '-' || ch == '.' || ch == '_';
		out[i] = ok && !(i == 0 && ch == '.') ? ch : '-';
	}
	out[i] = '\0';
}

static int all_digits(const char *s, size_t n)
{
	size_t i;

	if (!n)
		return 0;
	for (i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return 1;
}

int backup_parse_name(const char *file, char *db, size_t dbcap, char *version, size_t vcap,
		      time_t *t)
{
	static const char suffix[] = ".sql.gz";
	size_t len = strlen(file), sl = sizeof(suffix) - 1, vlen, dblen;
	const char *end, *us, *ts;
	struct tm tm;

	if (len <= sl || strcmp(file + len - sl, suffix))
		return -1;
	end = file + len - sl;
	for (us = end; us > file && us[-1] != '_'; us--)
		;
	if (us == file)
		return -1;
	vlen = (size_t)(end - us);
	if (!all_digits(us, vlen) || vlen >= vcap)
		return -1;
	/* "_" + 16-character stamp before the version's "_" */
	if ((size_t)(us - 1 - file) < 18)
		return -1;
	ts = us - 1 - 16;
	if (ts[-1] != '_' || !all_digits(ts, 8) || ts[8] != 'T' || !all_digits(ts + 9, 6) || ts[15] != 'Z')
		return -1;
	dblen = (size_t)(ts - 1 - file);
	if (!dblen || dblen >= dbcap)
		return -1;
	memset(&tm, 0, sizeof(tm));
	if (sscanf(ts, "%4d%2d%2dT%2d%2d%2dZ", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
		   &tm.tm_min, &tm.tm_sec) != 6)
		return -1;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	memcpy(db, file, dblen);
	db[dblen] = '\0';
	memcpy(version, us, vlen);
	version[vlen] = '\0';
	*t = timegm(&tm);
	return 0;
}

/* A flat JSON object reader, enough for our own sidecars. */
static const char *js_ws(const char *p)
{
	while (*p == ' ' || *p == '\n' || *p == '\t' || *p == '\r')
		p++;
	return p;
}

static const char *js_skip_string(const char *p)
{
	for (p++; *p && *p != '"'; p++)
		if (*p == '\\' && p[1])
			p++;
	return *p == '"' ? p + 1 : NULL;
}

static const char *js_skip_value(const char *p)
{
	int depth = 0;

	p = js_ws(p);
	do {
		if (!*p)
			return NULL;
		if (*p == '"') {
			p = js_skip_string(p);
			if (!p)
				return NULL;
			continue;
		}
		if (*p == '[' || *p == '{')
			depth++;
		else if (*p == ']' || *p == '}')
			depth--;
		else if (!depth && (*p == ',' || *p == ' ' || *p == '\n'))
			break;
		p++;
	} while (depth > 0 || (*p && *p != ',' && *p != '}' && *p != ']' && *p != ' ' && *p != '\n'));
	return depth < 0 ? NULL : p;
}

/* Value of top-level member `key` (strings unescaped for \" and \\ only;
 * numbers as text) into out; 0 when found. */
static int js_get(const char *json, const char *key, char *out, size_t cap)
{
	const char *p = js_ws(json);
	size_t klen = strlen(key);

	if (*p++ != '{')
		return -1;
	for (;;) {
		const char *k, *v, *ve;

		p = js_ws(p);
		if (*p != '"')
			return -1;
		k = p + 1;
		p = js_skip_string(p);
		if (!p)
			return -1;
		p = js_ws(p);
		if (*p++ != ':')
			return -1;
		v = js_ws(p);
		ve = js_skip_value(v);
		if (!ve)
			return -1;
		if ((size_t)(p - k) >= klen + 2 && !strncmp(k, key, klen) && k[klen] == '"') {
			size_t n = 0;

			if (*v == '"') {
				for (v++; v < ve - 1 && n + 1 < cap; v++) {
					if (*v == '\\' && v + 1 < ve - 1)
						v++;
					out[n++] = *v;
				}
			} else {
				for (; v < ve && n + 1 < cap; v++)
					out[n++] = *v;
			}
			out[n] = '\0';
			return 0;
		}
		p = js_ws(ve);
		if (*p == ',') {
			p++;
			continue;
		}
		return -1;
	}
}

static int entry_cmp(const void *a, const void *b)
{
	const struct backup_entry *x = a, *y = b;

	if (x->time != y->time)
		return x->time < y->time ? 1 : -1;
	return -strcmp(x->file, y->file);
}

int backup_list(const char *dir, const char *database, struct backup_list *out, struct err *e)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	char want[256] = "";
	int alloc = 0;

	out->v = NULL;
	out->n = 0;
	if (!d) {
		if (errno == ENOENT)
			return 0;
		return err_sys(e, EXIT_INTERNAL, errno, "could not open the backup directory \"%s\"", dir);
	}
	if (database)
		sanitize(database, want, sizeof(want));
	while ((de = readdir(d))) {
		char db[256], version[128], sizebuf[32], sha[SHA256_HEX_LEN], fname[1024];
		struct backup_entry *b;
		struct strbuf side = STRBUF_INIT;
		struct err ignore = ERR_INIT;
		struct stat st;
		time_t t;
		char *sidepath;

		if (backup_parse_name(de->d_name, db, sizeof(db), version, sizeof(version), &t) < 0)
			continue;
		if (database && strcmp(db, want))
			continue;
		if (out->n == alloc) {
			alloc = alloc ? alloc * 2 : 16;
			out->v = xrealloc(out->v, (size_t)alloc * sizeof(*out->v));
		}
		b = &out->v[out->n];
		memset(b, 0, sizeof(*b));
		b->path = xasprintf("%s/%s", dir, de->d_name);
		if (stat(b->path, &st) < 0 || !S_ISREG(st.st_mode)) {
			free(b->path);
			continue;
		}
		out->n++;
		b->file = xstrdup(de->d_name);
		b->database = xstrdup(db);
		b->version = xstrdup(version);
		b->time = t;
		b->size = (int64_t)st.st_size;
		utc_iso8601(t, b->when, sizeof(b->when));
		sidepath = xasprintf("%s.json", b->path);
		if (fs_read_file(sidepath, SIDECAR_CAP, &side, EXIT_INTERNAL, &ignore) == 0 &&
		    js_get(side.buf, "size", sizebuf, sizeof(sizebuf)) == 0 &&
		    strtoll(sizebuf, NULL, 10) == b->size &&
		    js_get(side.buf, "file", fname, sizeof(fname)) == 0 && !strcmp(fname, b->file) &&
		    js_get(side.buf, "sha256", sha, sizeof(sha)) == 0 && strlen(sha) == 64) {
			b->verified = 1;
			b->sha256 = xstrdup(sha);
			b->sidecar = sb_detach(&side, NULL);
		}
		sb_release(&side);
		free(sidepath);
	}
	closedir(d);
	if (out->n > 1)
		qsort(out->v, (size_t)out->n, sizeof(*out->v), entry_cmp);
	return 0;
}

void backup_list_release(struct backup_list *l)
{
	int i;

	for (i = 0; i < l->n; i++) {
		free(l->v[i].path);
		free(l->v[i].file);
		free(l->v[i].database);
		free(l->v[i].version);
		free(l->v[i].sha256);
		free(l->v[i].sidecar);
	}
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

/* ---- verification ---- */

/* The dump's tail must hold pg_dump's completion line, followed only by
 * comment dashes, blank lines and a \unrestrict line. */
static int tail_complete(const char *tail, size_t n)
{
	const char *p = NULL, *s;
	size_t ml = strlen(COMPLETE_LINE);

	for (s = tail; s + ml <= tail + n; s++)
		if (!memcmp(s, COMPLETE_LINE, ml) && (s == tail || s[-1] == '\n'))
			p = s;
	if (!p)
		return 0;
	p += ml;
	while (p < tail + n) {
		const char *nl = memchr(p, '\n', (size_t)(tail + n - p));
		size_t len = nl ? (size_t)(nl - p) : (size_t)(tail + n - p);

		if (!(len == 0 || (len == 2 && !memcmp(p, "--", 2)) ||
		      (len > 12 && !memcmp(p, "\\unrestrict ", 12))))
			return 0;
		p += len + (nl ? 1 : 0);
	}
	return 1;
}

int backup_verify(const char *path, int64_t *raw_size, char sha256[SHA256_HEX_LEN], struct err *e)
{
	static const size_t TAIL = 512;
	unsigned char *buf = xmalloc(PIPE_CHUNK);
	char tail[1024];
	size_t tlen = 0;
	struct gzr *r = NULL;
	ssize_t n;
	int fd, ret = -1;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		err_sys(e, errno == ENOENT ? EXIT_DATAERR : EXIT_INTERNAL, errno, "could not open \"%s\"", path);
		goto out;
	}
	r = gzr_open(gz_method_find("gzip"), fd, e);
	if (!r)
		goto out;
	while ((n = gzr_read(r, buf, PIPE_CHUNK, e)) > 0) {
		if ((size_t)n >= TAIL) {
			memcpy(tail, buf + n - TAIL, TAIL);
			tlen = TAIL;
		} else {
			if (tlen + (size_t)n > TAIL) {
				size_t drop = tlen + (size_t)n - TAIL;

				memmove(tail, tail + drop, tlen - drop);
				tlen -= drop;
			}
			memcpy(tail + tlen, buf, (size_t)n);
			tlen += (size_t)n;
		}
	}
	if (n < 0) {
		char why[1024];

		xstrlcpy(why, e->msg, sizeof(why));
		err_set(e, e->code, "backup \"%s\" failed verification: %s", path, why);
		goto out;
	}
	if (!tail_complete(tail, tlen)) {
		err_set(e, EXIT_DATAERR, "backup \"%s\" failed verification: the dump does not end with "
			"pg_dump's completion line", path);
		goto out;
	}
	if (raw_size)
		*raw_size = (int64_t)gzr_counts(r)->raw;
	if (sha256)
		gzr_sha256(r, sha256);
	ret = 0;
out:
	gzr_free(r);
	if (fd >= 0)
		close(fd);
	free(buf);
	return ret;
}

/* ---- taking a backup ---- */

static void progress_draw(int64_t raw, int64_t packed, int64_t elapsed_ms, int64_t estimate, int final)
{
	double secs = elapsed_ms > 0 ? (double)elapsed_ms / 1000.0 : 0.001;
	double rate = (double)raw / secs;
	char eta[32] = "";

	if (!final && estimate > raw && rate > 0)
		snprintf(eta, sizeof(eta), ", ETA ~%.0fs", (double)(estimate - raw) / rate);
	fprintf(stderr, "\rbackup: %.1f MB dumped, %.1f MB written, %.1f MB/s%s   %s",
		(double)raw / 1e6, (double)packed / 1e6, rate / 1e6, eta, final ? "\n" : "");
	fflush(stderr);
}

static int db_size(struct db *db, int64_t *size, struct err *e)
{
	PGresult *r = db_query(db, "select pg_catalog.pg_database_size(pg_catalog.current_database())",
			       0, NULL, EXIT_BACKUP, e);

	if (!r)
		return -1;
	*size = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
	PQclear(r);
	return 0;
}

static int check_space(const char *dir, int64_t dbsize, struct err *e)
{
	struct statvfs vfs;
	int64_t need = dbsize / ESTIMATE_RATIO_DEN + ESTIMATE_MARGIN, avail;

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

static void json_kv_str(struct strbuf *sb, const char *k, const char *v, int comma)
{
	sb_addf(sb, "  \"%s\": ", k);
	if (v)
		sb_add_json_str(sb, v);
	else
		sb_adds(sb, "null");
	sb_adds(sb, comma ? ",\n" : "\n");
}

static int write_sidecar(const char *path, const char *file, struct db *db, const char *pgdump_version,
			 const char *schema_version, const struct strlist *pending,
			 const struct backup_info *bi, time_t started, struct err *e)
{
	struct strbuf sb = STRBUF_INIT;
	char host[256] = "", when[32], *sidepath = xasprintf("%s.json", path);
	int i, ret;

	if (gethostname(host, sizeof(host) - 1) < 0)
		host[0] = '\0';
	utc_iso8601(started, when, sizeof(when));
	sb_adds(&sb, "{\n  \"format\": 1,\n");
	json_kv_str(&sb, "file", file, 1);
	json_kv_str(&sb, "database", db->dbname, 1);
	json_kv_str(&sb, "server_host", db->host, 1);
	json_kv_str(&sb, "server_version", PQparameterStatus(db->conn, "server_version"), 1);
	json_kv_str(&sb, "pg_dump_version", pgdump_version, 1);
	json_kv_str(&sb, "schema_version", schema_version, 1);
	sb_adds(&sb, "  \"pending_versions\": [");
	for (i = 0; pending && i < pending->n; i++) {
		if (i)
			sb_adds(&sb, ", ");
		sb_add_json_str(&sb, pending->v[i]);
	}
	sb_adds(&sb, "],\n");
	json_kv_str(&sb, "compression", "gzip", 1);
	sb_addf(&sb, "  \"size\": %lld,\n  \"raw_size\": %lld,\n", (long long)bi->size,
		(long long)bi->raw_size);
	json_kv_str(&sb, "sha256", bi->sha256, 1);
	json_kv_str(&sb, "started_at", when, 1);
	sb_addf(&sb, "  \"duration_ms\": %lld,\n", (long long)bi->duration_ms);
	json_kv_str(&sb, "host", host, 1);
	json_kv_str(&sb, "predeploy_version", PREDEPLOY_VERSION, 0);
	sb_adds(&sb, "}\n");
	ret = fs_atomic_write(sidepath, sb.buf, sb.len, 0600, e);
	if (ret < 0)
		e->code = EXIT_BACKUP;
	sb_release(&sb);
	free(sidepath);
	return ret;
}

static int retention(const struct config *cfg, const char *dbname, const char *keep_path, int *removed,
		     struct err *e)
{
	struct backup_list l = BACKUP_LIST_INIT;
	int i, kept = 0;

	*removed = 0;
	if (cfg->keep <= 0)
		return 0;
	if (backup_list(cfg->backup_dir, dbname, &l, e) < 0)
		return -1;
	for (i = 0; i < l.n; i++) {
		char *side;

		if (!l.v[i].verified)
			continue;
		if (!strcmp(l.v[i].path, keep_path) || kept < cfg->keep) {
			kept++;
			continue;
		}
		/* The sidecar first: a half-removed backup is an unverified one. */
		side = xasprintf("%s.json", l.v[i].path);
		if (unlink(side) < 0 && errno != ENOENT)
			log_warn("could not remove \"%s\": %s", side, strerror(errno));
		else if (unlink(l.v[i].path) < 0)
			log_warn("could not remove \"%s\": %s", l.v[i].path, strerror(errno));
		else {
			(*removed)++;
			log_info("removed old backup \"%s\" (--keep %d)", l.v[i].file, cfg->keep);
		}
		free(side);
	}
	backup_list_release(&l);
	return 0;
}

static int stopped(struct err *e)
{
	int sig = proc_stop_signal();

	if (!sig)
		return 0;
	err_set(e, 128 + sig, "backup stopped by signal %d", sig);
	return 1;
}

/* pg_dump's stdout goes into the compressor; the tick draws progress. */
struct dump_pump {
	struct gzw *w;
	int progress;
	int64_t estimate, t0, last;
};

static int dump_out(void *arg, const void *buf, size_t n, struct err *e)
{
	struct dump_pump *d = arg;

	return gzw_write(d->w, buf, n, e);
}

static int dump_tick(void *arg, struct err *e)
{
	struct dump_pump *d = arg;

	(void)e;
	if (d->progress && now_ms() - d->last >= 250) {
		d->last = now_ms();
		progress_draw((int64_t)gzw_counts(d->w)->raw, (int64_t)gzw_counts(d->w)->packed,
			      d->last - d->t0, d->estimate, 0);
	}
	return 0;
}

static int take(const struct config *cfg, struct db *db, const char *schema_version,
		const struct strlist *pending, int progress, struct backup_info *out, struct err *e)
{
	const char *pg_dump = cfg->pg_dump && *cfg->pg_dump ? cfg->pg_dump : "pg_dump";
	const char *version = schema_version && *schema_version ? schema_version : "0";
	struct pgdump_version pv;
	struct proc_spawn_opts po = PROC_SPAWN_OPTS_INIT;
	struct proc_result pr = PROC_RESULT_INIT;
	struct dump_pump dp;
	struct gzw *w = NULL;
	char dbpart[256], verpart[128], stamp[32], *file = NULL, *path = NULL, *partial = NULL;
	char *conninfo = NULL, *dbarg = NULL, *pw = NULL, *pwenv = NULL;
	int fd = -1, renamed = 0, ret = -1;
	int64_t dbsize = 0, t0 = now_ms();
	time_t started;

	memset(out, 0, sizeof(*out));
	if (pgdump_check_version(pg_dump, db, &pv, e) < 0)
		goto out;
	if (fs_mkdirs(cfg->backup_dir, 0700, e) < 0) {
		e->code = EXIT_BACKUP;
		goto out;
	}
	if (db_size(db, &dbsize, e) < 0 || check_space(cfg->backup_dir, dbsize, e) < 0)
		goto out;

	sanitize(db->dbname, dbpart, sizeof(dbpart));
	sanitize(version, verpart, sizeof(verpart));
	/* One backup per second and database: wait out a name collision. */
	for (;;) {
		struct stat st;

		started = time(NULL);
		utc_compact(started, stamp, sizeof(stamp));
		free(file);
		free(path);
		file = xasprintf("%s_%s_%s.sql.gz", dbpart, stamp, verpart);
		path = xasprintf("%s/%s", cfg->backup_dir, file);
		if (stat(path, &st) < 0)
			break;
		sleep_ms(200);
	}
	partial = xasprintf("%s.partial", path);
	if (strlen(partial) >= sizeof(abort_partial)) {
		err_set(e, EXIT_BACKUP, "backup path \"%s\" is too long", partial);
		goto out;
	}
	xstrlcpy(abort_partial, partial, sizeof(abort_partial));
	fd = open(partial, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) {
		err_sys(e, EXIT_BACKUP, errno, "could not create \"%s\"", partial);
		goto out;
	}
	abort_has_partial = 1;
	w = gzw_open(gz_method_find("gzip"), fd, BACKUP_LEVEL, e);
	if (!w)
		goto out;

	conninfo = db_child_conninfo(db, NULL);
	dbarg = xasprintf("--dbname=%s", conninfo);
	pw = db_password(db);
	pwenv = pw ? xasprintf("PGPASSWORD=%s", pw) : xstrdup("PGPASSWORD");
	{
		const char *argv[] = { pg_dump, "--format=plain", "--clean", "--if-exists",
				       "--no-password", dbarg, NULL };
		const char *env[] = { pwenv, NULL };

		memset(&dp, 0, sizeof(dp));
		dp.w = w;
		dp.progress = progress;
		dp.estimate = dbsize;
		dp.t0 = t0;
		po.argv = argv;
		po.env = env;
		po.fail_code = EXIT_BACKUP;
		po.on_stdout = dump_out;
		po.on_tick = dump_tick;
		po.arg = &dp;
		log_info("backing up database \"%s\" with pg_dump %s to \"%s\"", db->dbname, pv.text, path);
		if (proc_spawn(&po, &pr, e) < 0) {
			pgdump_start_hint(&pr, e);
			if (e->code > 128)
				err_set(e, e->code, "backup stopped by signal %d", e->code - 128);
			goto out;
		}
	}
	if (stopped(e))
		goto out;
	if (!pr.exited || pr.exit_status != 0) {
		char line[512];

		first_line(pr.tail.buf, line, sizeof(line));
		if (pr.termsig)
			err_set(e, EXIT_BACKUP, "pg_dump was killed by signal %d", pr.termsig);
		else
			err_set(e, EXIT_BACKUP, "pg_dump failed (exit status %d): %s", pr.exit_status,
				*line ? line : "no message");
		if (pr.tail.len)
			err_detail(e, "%s", pr.tail.buf);
		goto out;
	}
	if (gzw_finish(w, e) < 0)
		goto out;
	if (progress)
		progress_draw((int64_t)gzw_counts(w)->raw, (int64_t)gzw_counts(w)->packed, now_ms() - t0, 0, 1);
	if (fs_commit_partial(&fd, partial, path, EXIT_BACKUP, &renamed, e) < 0) {
		if (renamed)
			abort_has_partial = 0;
		goto out;
	}
	abort_has_partial = 0;

	if (backup_verify(path, &out->raw_size, out->sha256, e) < 0) {
		e->code = EXIT_BACKUP;
		goto out;
	}
	if (out->raw_size != (int64_t)gzw_counts(w)->raw) {
		err_set(e, EXIT_BACKUP, "backup \"%s\" failed verification: %lld bytes inflated, %llu written",
			path, (long long)out->raw_size, (unsigned long long)gzw_counts(w)->raw);
		goto out;
	}
	xstrlcpy(out->path, path, sizeof(out->path));
	out->size = (int64_t)gzw_counts(w)->packed;
	out->duration_ms = now_ms() - t0;
	if (write_sidecar(path, file, db, pv.text, version, pending, out, started, e) < 0)
		goto out;
	ret = 0;
out:
	gzw_free(w);
	if (fd >= 0)
		close(fd);
	if (ret < 0 && partial && abort_has_partial)
		unlink(partial);
	abort_has_partial = 0;
	if (ret < 0 && renamed)
		unlink(path);
	if (ret < 0)
		memset(out, 0, sizeof(*out));
	if (pw) {
		memset(pw, 0, strlen(pw));
		free(pw);
	}
	if (pwenv) {
		memset(pwenv, 0, strlen(pwenv));
		free(pwenv);
	}
	proc_result_release(&pr);
	free(conninfo);
	free(dbarg);
	free(file);
	free(path);
	free(partial);
	return ret;
}

int backup_take(const struct config *cfg, struct db *db, const char *schema_version,
		const struct strlist *pending_versions, int progress,
		struct backup_info *out, struct err *e)
{
	if (take(cfg, db, schema_version, pending_versions, progress, out, e) < 0)
		return -1;
	log_info("backup \"%s\" verified: %.1f MB (%.1f MB uncompressed) in %.1fs, sha256 %.12s",
		 out->path, (double)out->size / 1e6, (double)out->raw_size / 1e6,
		 (double)out->duration_ms / 1000.0, out->sha256);
	if (retention(cfg, db->dbname, out->path, &out->removed, e) < 0) {
		/* The backup is good; a listing problem only skips retention. */
		log_warn("retention skipped: %s", e->msg);
		err_clear(e);
	}
	return 0;
}

int backup_for_deploy(const struct config *cfg, struct db *db, const char *schema_version,
		      const struct strlist *pending_versions, struct backup_info *out,
		      struct err *e)
{
	const char *version = schema_version && *schema_version ? schema_version : "0";
	struct backup_list l = BACKUP_LIST_INIT;
	time_t now = time(NULL);
	int i;

	memset(out, 0, sizeof(*out));
	if (cfg->backup_reuse_ms > 0 && backup_list(cfg->backup_dir, db->dbname, &l, e) == 0) {
		for (i = 0; i < l.n; i++) {
			const struct backup_entry *b = &l.v[i];
			char raw[32] = "0";
			int64_t age_ms = ((int64_t)now - (int64_t)b->time) * 1000;

			if (!b->verified || strcmp(b->version, version) || age_ms < -60000 ||
			    age_ms >= cfg->backup_reuse_ms)
				continue;
			xstrlcpy(out->path, b->path, sizeof(out->path));
			xstrlcpy(out->sha256, b->sha256, sizeof(out->sha256));
			out->size = b->size;
			if (js_get(b->sidecar, "raw_size", raw, sizeof(raw)) == 0)
				out->raw_size = strtoll(raw, NULL, 10);
			out->reused = 1;
			log_info("reusing backup \"%s\" (verified, schema version %s, %llds old, "
				 "--backup-reuse)", b->file, version, (long long)(age_ms / 1000));
			break;
		}
	}
	err_clear(e);
	backup_list_release(&l);
	if (out->reused)
		return 0;
	return backup_take(cfg, db, schema_version, pending_versions, isatty(2), out, e);
}
