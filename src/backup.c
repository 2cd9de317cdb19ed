/*
 * backup: see backup.h.
 *
 * The dump is pg_dump's plain format with --clean --if-exists, owners and
 * privileges kept: restored over the database it came from (restore.c also
 * empties the user schemas first), it gives back exactly the backed-up
 * state.  Restoring into another cluster needs the same roles to exist.
 */
#include "backup.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "crypt_stream.h"
#include "gzstream.h"
#include "log.h"
#include "proc.h"
#include "util/exitcode.h"
#include "util/strbuf.h"
#include "util/timeutil.h"
#include "util/xalloc.h"
#include "util/banned.h"

#define BACKUP_LEVEL 1              /* see docs/BENCHMARKS.md "Backup and restore" */
#define PIPE_CHUNK (256 * 1024)
#define COMPLETE_LINE "-- PostgreSQL database dump complete"

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

/* ---- verification ---- */

/* The dump's tail must hold pg_dump's completion line, followed only by
 * comment dashes, blank lines and a \unrestrict line. */
int backup_tail_complete(const char *tail, size_t n)
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

/* The last TAIL_KEEP bytes of the inflated dump. */
#define TAIL_KEEP 512

struct tail {
	char buf[TAIL_KEEP];
	size_t len;
};

static void tail_add(struct tail *t, const unsigned char *p, size_t n)
{
	if (n >= TAIL_KEEP) {
		memcpy(t->buf, p + n - TAIL_KEEP, TAIL_KEEP);
		t->len = TAIL_KEEP;
		return;
	}
	if (t->len + n > TAIL_KEEP) {
		size_t drop = t->len + n - TAIL_KEEP;

		memmove(t->buf, t->buf + drop, t->len - drop);
		t->len -= drop;
	}
	memcpy(t->buf + t->len, p, n);
	t->len += n;
}

static ssize_t obj_read(void *ctx, void *buf, size_t cap, struct err *e)
{
	return storage_read(ctx, buf, cap, e);
}

static ssize_t crd_source(void *ctx, void *buf, size_t cap, struct err *e)
{
	return crd_read(ctx, buf, cap, e);
}

int backup_verify(struct storage *st, const struct crypt_keys *keys, const char *name, int64_t *raw_size,
		  char sha256[SHA256_HEX_LEN], struct err *e)
{
	unsigned char *buf = xmalloc(PIPE_CHUNK);
	struct tail tail = { "", 0 };
	struct gzr *r = NULL;
	struct crd *cr = NULL;
	ssize_t n;
	struct storage_r *in;
	char *path = storage_path(st, name);
	int ret = -1;

	in = storage_open_read(st, name, NULL, e);
	if (!in)
		goto out;
	/* an encrypted backup is decrypted (every tag checked) on the way */
	cr = crd_open(keys, path, obj_read, in);
	r = gzr_open_source(gz_method_find("gzip"), crd_source, cr, e);
	if (!r)
		goto out;
	while ((n = gzr_read(r, buf, PIPE_CHUNK, e)) > 0)
		tail_add(&tail, buf, (size_t)n);
	if (n < 0) {
		e->file[0] = '\0';          /* named here */
		err_prefix(e, "backup \"%s\" failed verification", path);
		goto out;
	}
	if (!backup_tail_complete(tail.buf, tail.len)) {
		err_set(e, EXIT_DATAERR, "backup \"%s\" failed verification: the dump does not end with "
			"pg_dump's completion line", path);
		goto out;
	}
	if (raw_size)
		*raw_size = (int64_t)gzr_counts(r)->raw;
	if (sha256)
		crd_sha256(cr, sha256);
	ret = 0;
out:
	gzr_free(r);
	crd_free(cr);
	storage_close_read(in);
	free(path);
	free(buf);
	return ret;
}

/* ---- taking a backup ---- */

static void report(const struct progress *p, const struct gzw *w, int64_t elapsed_ms, int64_t estimate,
		   int final)
{
	struct progress_state s = { "backup", (int64_t)gzw_counts(w)->raw, (int64_t)gzw_counts(w)->packed,
				    estimate, elapsed_ms, final };

	progress_report(p, &s);
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

/* Compressed bytes go to the storage; the tail of pg_dump's output is
 * kept for the completion line.  With a key they are encrypted first
 * (enc), and what is stored is decrypted again as it passes (dec: every
 * tag checked, the SHA-256 of the stored bytes) and must give back the
 * compressed bytes (their SHA-256, plain). */
struct sink {
	struct storage_w *sw;
	struct tail tail;
	struct cenc *enc;
	struct cdec *dec;
	struct sha256 plain;
};

static int plain_feed(void *ctx, const void *p, size_t n, struct err *e)
{
	(void)e;
	sha256_update(&((struct sink *)ctx)->plain, p, n);
	return 0;
}

static int stored_write(void *ctx, const void *p, size_t n, struct err *e)
{
	struct sink *k = ctx;

	if (storage_write(k->sw, p, n, e) < 0)
		return -1;
	if (k->dec && cdec_feed(k->dec, p, n, e) < 0) {
		e->code = EXIT_BACKUP;      /* what we just wrote does not decrypt */
		return -1;
	}
	return 0;
}

static int sink_write(void *ctx, const void *p, size_t n, struct err *e)
{
	struct sink *k = ctx;

	return k->enc ? cenc_write(k->enc, p, n, e) : stored_write(k, p, n, e);
}

/* An encrypted backup: the last chunk sealed, and checked. */
static int sink_seal(struct sink *k, const struct config *cfg, const char *path, struct backup_info *out,
		     struct err *e)
{
	char why[1024];

	if (!k->enc)
		return 0;
	xstrlcpy(out->key_id, cfg->backup_keys->v[0].idhex, sizeof(out->key_id));
	if (cenc_finish(k->enc, e) < 0)
		return -1;
	if (k->dec && cdec_finish(k->dec, e) < 0) {
		xstrlcpy(why, e->msg, sizeof(why));
		return err_set(e, EXIT_BACKUP, "backup \"%s\" failed verification: %s", path, why);
	}
	return 0;
}

/* Verification as the stream passes (before the commit): every gzip
 * member was inflated again and compared with pg_dump's bytes by the
 * writer (gzpar.h), so the file holds exactly what pg_dump wrote; that
 * must end with the completion line.  The SHA-256 is of the bytes stored
 * (encrypted: they decrypted back to the compressed bytes). */
static int verify_stream(struct sink *k, const struct gzw *w, const char *path, struct backup_info *out,
			 struct err *e)
{
	if (!backup_tail_complete(k->tail.buf, k->tail.len))
		return err_set(e, EXIT_BACKUP, "backup \"%s\" failed verification: the dump does not end with "
			       "pg_dump's completion line", path);
	out->raw_size = (int64_t)gzw_counts(w)->raw;
	gzw_sha256(w, out->sha256);
	if (k->dec) {
		char plain[SHA256_HEX_LEN];
		unsigned char d[SHA256_LEN];

		sha256_final(&k->plain, d);
		sha256_hex(d, plain);
		if (strcmp(plain, out->sha256))
			return err_set(e, EXIT_BACKUP, "backup \"%s\" failed verification: the stored bytes do not "
				       "decrypt to the compressed ones", path);
		cdec_sha256(k->dec, out->sha256);   /* of the stored bytes */
	}
	return 0;
}

/* Same database: an unfinished upload of ours that a killed run left. */
static int same_db(void *ctx, const char *name)
{
	char db[256], want[256], version[128];
	time_t t;
	char *probe = backup_name(ctx, "0", 0);
	int r;

	/* the sanitized form of the database name, as in file names */
	r = backup_parse_name(probe, want, sizeof(want), version, sizeof(version), &t);
	free(probe);
	return r == 0 && backup_parse_name(name, db, sizeof(db), version, sizeof(version), &t) == 0 &&
	       !strcmp(db, want);
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
	struct tail *tail;
	const struct progress *progress;
	int64_t estimate, t0, last;
	int failed;                 /* the first error stands: later output is dropped */
};

static int dump_out(void *arg, const void *buf, size_t n, struct err *e)
{
	struct dump_pump *d = arg;

	if (d->failed)
		return -1;
	tail_add(d->tail, buf, n);
	if (gzw_write(d->w, buf, n, e) < 0)
		d->failed = 1;
	return d->failed ? -1 : 0;
}

static int dump_tick(void *arg, struct err *e)
{
	struct dump_pump *d = arg;

	(void)e;
	if (d->progress && now_ms() - d->last >= PROGRESS_INTERVAL_MS) {
		d->last = now_ms();
		report(d->progress, d->w, d->last - d->t0, d->estimate, 0);
	}
	return 0;
}

static int take(struct storage *st, const struct config *cfg, struct db *db, const char *schema_version,
		const struct strlist *pending, const struct backup_scope *scope, const struct progress *progress,
		struct backup_info *out, struct err *e)
{
	const char *pg_dump = cfg->pg_dump && *cfg->pg_dump ? cfg->pg_dump : "pg_dump";
	const char *version = schema_version && *schema_version ? schema_version : "0";
	struct pgdump_version pv;
	struct backup_meta meta;
	struct proc_spawn_opts po = PROC_SPAWN_OPTS_INIT;
	struct proc_result pr = PROC_RESULT_INIT;
	struct dump_pump dp;
	struct sink sink;
	struct gzw *w = NULL;
	char *file = NULL, *path = NULL;
	char *conninfo = NULL, *dbarg = NULL, *pw = NULL, *pwenv = NULL, *svcfile = NULL, *svcenv = NULL;
	const char **argv = NULL;
	int committed = 0, ret = -1;
	int64_t dbsize = 0, t0 = now_ms();
	time_t started;

	memset(out, 0, sizeof(*out));
	memset(&sink, 0, sizeof(sink));
	if (pgdump_check_version(pg_dump, db, &pv, e) < 0)
		goto out;
	if (db_size(db, &dbsize, e) < 0 || storage_prepare(st, dbsize, e) < 0 ||
	    storage_cleanup(st, same_db, db->dbname, e) < 0)
		goto out;

	/* One backup per second and database: wait out a name collision. */
	for (;;) {
		int r;

		started = time(NULL);
		free(file);
		file = backup_name(db->dbname, version, started);
		if (cfg->backup_keys) {
			char *enc = xasprintf("%s" CRYPT_SUFFIX, file);

			free(file);
			file = enc;
		}
		r = storage_exists(st, file, e);
		if (r < 0)
			goto out;
		if (!r)
			break;
		sleep_ms(200);
	}
	path = storage_path(st, file);
	if (strlen(file) >= sizeof(out->file) || strlen(path) >= sizeof(out->path)) {
		err_set(e, EXIT_BACKUP, "backup path \"%s\" is too long", path);
		goto out;
	}
	if (cfg->backup_keys) {
		if (!(sink.enc = cenc_new(&cfg->backup_keys->v[0], stored_write, &sink, e)))
			goto out;
		sha256_init(&sink.plain);
		sink.dec = cdec_new(cfg->backup_keys, path, plain_feed, &sink);
	}
	sink.sw = storage_open_write(st, file, e);
	if (!sink.sw)
		goto out;
	w = gzw_open_sink(gz_method_find("gzip"), sink_write, &sink, BACKUP_LEVEL, e);
	if (!w)
		goto out;

	/* The password through PGPASSWORD, sslpassword through a private
	 * service file: neither in pg_dump's argv (docs/backups.md). */
	svcfile = db_child_service_file(db, e);
	if (!svcfile && e->code) {
		e->code = EXIT_BACKUP;
		goto out;
	}
	conninfo = db_child_conninfo(db, NULL);
	dbarg = xasprintf("--dbname=%s%s", conninfo, svcfile ? " service=" DB_CHILD_SERVICE : "");
	svcenv = svcfile ? xasprintf("PGSERVICEFILE=%s", svcfile) : xstrdup("PGSERVICEFILE");
	pw = db_password(db);
	pwenv = pw ? xasprintf("PGPASSWORD=%s", pw) : xstrdup("PGPASSWORD");
	{
		const char *base[] = { pg_dump, "--format=plain", "--clean", "--if-exists", "--no-password", dbarg };
		const char *env[] = { pwenv, svcenv, NULL };

		argv = backup_scope_argv(scope, base, 6);  /* at-risk: --exclude-table-data=... */

		memset(&dp, 0, sizeof(dp));
		dp.w = w;
		dp.tail = &sink.tail;
		dp.progress = progress;
		dp.estimate = dbsize;
		dp.t0 = t0;
		po.argv = argv;
		po.env = env;
		po.fail_code = EXIT_BACKUP;
		po.on_stdout = dump_out;
		po.on_tick = dump_tick;
		po.arg = &dp;
		log_info("backing up database \"%s\" with pg_dump %s to \"%s\"%s%s%s", db->dbname, pv.text, path,
			 cfg->backup_keys ? ", encrypted with key " : "",
			 cfg->backup_keys ? cfg->backup_keys->v[0].idhex : "",
			 scope && scope->at_risk ? (scope->tables.n ? " (at-risk scope)" : " (at-risk scope: schema only)") : "");
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
	if (gzw_finish(w, e) < 0 || sink_seal(&sink, cfg, path, out, e) < 0)
		goto out;
	if (progress)
		report(progress, w, now_ms() - t0, 0, 1);
	if (verify_stream(&sink, w, path, out, e) < 0)
		goto out;
	{
		struct storage_w *tmp = sink.sw;

		sink.sw = NULL;
		if (storage_commit(tmp, e) < 0)
			goto out;
	}
	committed = 1;

	if (cfg->verify_readback) {
		int64_t raw = 0;
		char sha[SHA256_HEX_LEN];

		if (backup_verify(st, cfg->backup_keys, file, &raw, sha, e) < 0) {
			e->code = EXIT_BACKUP;
			goto out;
		}
		if (raw != out->raw_size || strcmp(sha, out->sha256)) {
			err_set(e, EXIT_BACKUP, "backup \"%s\" failed verification: read back it is not what was "
				"written (SHA-256 %.12s..., written %.12s...)", path, sha, out->sha256);
			goto out;
		}
	}
	if (out->raw_size != (int64_t)gzw_counts(w)->raw) {
		err_set(e, EXIT_BACKUP, "backup \"%s\" failed verification: %lld bytes inflated, %llu written",
			path, (long long)out->raw_size, (unsigned long long)gzw_counts(w)->raw);
		goto out;
	}
	xstrlcpy(out->path, path, sizeof(out->path));
	xstrlcpy(out->file, file, sizeof(out->file));
	out->size = sink.enc ? (int64_t)cenc_bytes_out(sink.enc) : (int64_t)gzw_counts(w)->packed;
	out->duration_ms = now_ms() - t0;
	meta.database = db->dbname;
	meta.server_host = db->host;
	meta.server_version = PQparameterStatus(db->conn, "server_version");
	meta.pg_dump_version = pv.text;
	meta.schema_version = version;
	meta.pending = pending;
	meta.scope = scope;
	meta.started = started;
	if (backup_write_sidecar(st, out, &meta, e) < 0)
		goto out;
	ret = 0;
out:
	gzw_free(w);
	storage_abort(sink.sw);
	cenc_free(sink.enc);
	cdec_free(sink.dec);
	sha256_release(&sink.plain);     /* NULL after a final, or never begun */
	if (ret < 0 && committed) {
		struct err ignore = ERR_INIT;

		storage_remove(st, file, &ignore);
	}
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
	if (svcfile)
		unlink(svcfile);
	free(svcfile);
	free(svcenv);
	free(argv);
	free(conninfo);
	free(dbarg);
	free(file);
	free(path);
	return ret;
}

static int take_and_retain(struct storage *st, const struct config *cfg, struct db *db,
			   const char *schema_version, const struct strlist *pending_versions,
			   const struct backup_scope *scope, const struct progress *progress,
			   struct backup_info *out, struct err *e)
{
	if (take(st, cfg, db, schema_version, pending_versions, scope, progress, out, e) < 0)
		return -1;
	log_info("backup \"%s\" verified: %.1f MB (%.1f MB uncompressed) in %.1fs, sha256 %.12s",
		 out->path, (double)out->size / 1e6, (double)out->raw_size / 1e6,
		 (double)out->duration_ms / 1000.0, out->sha256);
	if (backup_retain(st, db->dbname, out->file, cfg->keep, &out->removed, e) < 0) {
		/* The backup is good; a listing problem only skips retention. */
		log_warn("retention skipped: %s", e->msg);
		err_clear(e);
	}
	return 0;
}

int backup_take(const struct config *cfg, struct db *db, const char *schema_version,
		const struct strlist *pending_versions, const struct progress *progress,
		struct backup_info *out, struct err *e)
{
	struct storage *st = backup_store_open(cfg, e);
	int ret;

	if (!st) {
		memset(out, 0, sizeof(*out));
		return -1;
	}
	ret = take_and_retain(st, cfg, db, schema_version, pending_versions, NULL, progress, out, e);
	storage_free(st);
	return ret;
}

int backup_for_deploy(const struct config *cfg, struct db *db, const char *schema_version,
		      const struct strlist *pending_versions, struct backup_scope *scope,
		      const struct progress *progress, struct backup_info *out, struct err *e)
{
	const char *version = schema_version && *schema_version ? schema_version : "0";
	struct storage *st = backup_store_open(cfg, e);
	int ret = 0;

	memset(out, 0, sizeof(*out));
	if (!st)
		return -1;
	ret = backup_find_reusable(st, db->dbname, version, cfg->backup_reuse_ms, cfg->backup_keys, scope, out, e);
	if (ret == 0)
		ret = take_and_retain(st, cfg, db, schema_version, pending_versions, scope, progress, out, e);
	else if (ret > 0)
		ret = 0;
	storage_free(st);
	return ret;
}
