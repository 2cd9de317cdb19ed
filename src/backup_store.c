/* backup_store: see backup_store.h. */
#include "backup_store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "context.h"
#include "log.h"
#include "util/exitcode.h"
#include "util/json.h"
#include "util/strbuf.h"
#include "util/timeutil.h"
#include "util/xalloc.h"
#include "util/banned.h"

#define HASH_CHUNK (256 * 1024)

struct storage *backup_store_open(const struct config *cfg, struct err *e)
{
	return storage_open(cfg->backup_to ? cfg->backup_to : cfg->backup_dir, cfg, e);
}

/* ---- names ---- */

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

/* A version part: digits (sql), or a tool's revision sanitised by
 * mig_sanitize: letters, digits, '-' and '.', never '_'. */
static int version_chars(const char *s, size_t n)
{
	size_t i;

	if (!n)
		return 0;
	for (i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
		      s[i] == '-' || (s[i] == '.' && i)))
			return 0;
	return 1;
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

char *backup_name(const char *db, const char *version, time_t t)
{
	char dbpart[256], verpart[128], stamp[32];

	sanitize(db, dbpart, sizeof(dbpart));
	sanitize(version, verpart, sizeof(verpart));
	for (char *p = verpart; *p; p++)
		if (*p == '_')
			*p = '-';   /* "_" separates the name's parts */
	utc_compact(t, stamp, sizeof(stamp));
	return xasprintf("%s_%s_%s.sql.gz", dbpart, stamp, verpart);
}

int backup_parse_name(const char *file, char *db, size_t dbcap, char *version, size_t vcap,
		      time_t *t)
{
	static const char suffix[] = ".sql.gz";
	size_t len = strlen(file), sl = sizeof(suffix) - 1, vlen, dblen;
	const char *end, *us, *ts;
	struct tm tm;

	if (len > sl + 4 && !strcmp(file + len - 4, ".enc"))
		len -= 4;
	if (len <= sl || strncmp(file + len - sl, suffix, sl))
		return -1;
	end = file + len - sl;
	for (us = end; us > file && us[-1] != '_'; us--)
		;
	if (us == file)
		return -1;
	vlen = (size_t)(end - us);
	if (!version_chars(us, vlen) || vlen >= vcap)
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

/* ---- listing ---- */

static int entry_cmp(const void *a, const void *b)
{
	const struct backup_entry *x = a, *y = b;

	if (x->time != y->time)
		return x->time < y->time ? 1 : -1;
	return -strcmp(x->file, y->file);
}

static int obj_cmp(const void *a, const void *b)
{
	return strcmp(((const struct storage_obj *)a)->name, ((const struct storage_obj *)b)->name);
}

static const struct storage_obj *obj_find(const struct storage_objs *objs, const char *name)
{
	struct storage_obj key = { (char *)name, 0, 0 };

	return bsearch(&key, objs->v, (size_t)objs->n, sizeof(*objs->v), obj_cmp);
}

/* The sidecar of b: present, parses, names b and matches its size. */
static void read_sidecar(struct storage *st, const struct storage_objs *objs, struct backup_entry *b)
{
	struct strbuf side = STRBUF_INIT;
	struct err ignore = ERR_INIT;
	char sizebuf[32], sha[SHA256_HEX_LEN], fname[1024], *name = xasprintf("%s.json", b->file);

	if (obj_find(objs, name) && storage_get(st, name, BACKUP_SIDECAR_CAP, &side, &ignore) == 0 &&
	    json_get(side.buf, "size", sizebuf, sizeof(sizebuf), NULL) == 0 &&
	    strtoll(sizebuf, NULL, 10) == b->size &&
	    json_get(side.buf, "file", fname, sizeof(fname), NULL) == 0 && !strcmp(fname, b->file) &&
	    json_get(side.buf, "sha256", sha, sizeof(sha), NULL) == 0 && strlen(sha) == 64) {
		b->verified = 1;
		if (json_get(side.buf, "key_id", b->key_id, sizeof(b->key_id), NULL) < 0)
			b->key_id[0] = '\0';
		b->sha256 = xstrdup(sha);
		b->sidecar = sb_detach(&side, NULL);
	}
	sb_release(&side);
	free(name);
}

int backup_list(struct storage *st, const char *database, struct backup_list *out, struct err *e)
{
	struct storage_objs objs = STORAGE_OBJS_INIT;
	char want[256] = "";
	int i, alloc = 0;

	out->v = NULL;
	out->n = 0;
	if (storage_list(st, &objs, e) < 0)
		return -1;
	if (objs.n > 1)
		qsort(objs.v, (size_t)objs.n, sizeof(*objs.v), obj_cmp);
	if (database)
		sanitize(database, want, sizeof(want));
	for (i = 0; i < objs.n; i++) {
		char db[256], version[128];
		struct backup_entry *b;
		time_t t;

		if (backup_parse_name(objs.v[i].name, db, sizeof(db), version, sizeof(version), &t) < 0)
			continue;
		if (database && strcmp(db, want))
			continue;
		if (out->n == alloc) {
			alloc = alloc ? alloc * 2 : 16;
			out->v = xrealloc(out->v, (size_t)alloc * sizeof(*out->v));
		}
		b = &out->v[out->n++];
		memset(b, 0, sizeof(*b));
		b->path = storage_path(st, objs.v[i].name);
		b->file = xstrdup(objs.v[i].name);
		b->database = xstrdup(db);
		b->version = xstrdup(version);
		b->time = t;
		b->size = objs.v[i].size;
		b->encrypted = strlen(b->file) > 4 && !strcmp(b->file + strlen(b->file) - 4, ".enc");
		utc_iso8601(t, b->when, sizeof(b->when));
		read_sidecar(st, &objs, b);
	}
	storage_objs_release(&objs);
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

/* ---- sidecar ---- */

int backup_write_sidecar(struct storage *st, const struct backup_info *bi, const struct backup_meta *m,
			 struct err *e)
{
	struct strbuf sb = STRBUF_INIT;
	struct json_w j;
	char when[32], *name = xasprintf("%s.json", bi->file);
	int i, ret;

	utc_iso8601(m->started, when, sizeof(when));
	jw_init(&j, &sb, JW_PRETTY);
	jw_obj(&j, NULL);
	jw_int(&j, "format", 1);
	jw_str(&j, "file", bi->file);
	jw_str(&j, "database", m->database);
	jw_str(&j, "server_host", m->server_host);
	jw_str(&j, "server_version", m->server_version);
	jw_str(&j, "pg_dump_version", m->pg_dump_version);
	jw_str(&j, "schema_version", m->schema_version);
	jw_arr(&j, "pending_versions");
	for (i = 0; m->pending && i < m->pending->n; i++)
		jw_str(&j, NULL, m->pending->v[i]);
	jw_end(&j);
	jw_str(&j, "scope", m->scope && m->scope->at_risk ? "at-risk" : "full");
	jw_arr(&j, "scope_tables");
	for (i = 0; m->scope && m->scope->at_risk && i < m->scope->tables.n; i++)
		jw_str(&j, NULL, m->scope->tables.v[i]);
	jw_end(&j);
	jw_str(&j, "compression", "gzip");
	if (bi->key_id[0]) {
		/* never the key: its id (crypt_keys.h) */
		jw_str(&j, "encryption", "AES-256-GCM");
		jw_str(&j, "key_id", bi->key_id);
	}
	jw_int(&j, "size", (long long)bi->size);
	jw_int(&j, "raw_size", (long long)bi->raw_size);
	jw_str(&j, "sha256", bi->sha256);
	jw_str(&j, "started_at", when);
	jw_int(&j, "duration_ms", (long long)bi->duration_ms);
	jw_str(&j, "host", context_get()->host);
	jw_str(&j, "predeploy_version", PREDEPLOY_VERSION);
	jw_end(&j);
	sb_addc(&sb, '\n');
	ret = storage_put(st, name, sb.buf, sb.len, e);
	if (ret < 0)
		e->code = EXIT_BACKUP;
	sb_release(&sb);
	free(name);
	return ret;
}

/* ---- reuse and retention ---- */

int backup_hash(struct storage *st, const char *name, char out[SHA256_HEX_LEN], struct err *e)
{
	struct storage_r *r = storage_open_read(st, name, NULL, e);
	unsigned char *buf, digest[SHA256_LEN];
	struct sha256 h;
	ssize_t n;

	if (!r)
		return -1;
	buf = xmalloc(HASH_CHUNK);
	sha256_init(&h);
	while ((n = storage_read(r, buf, HASH_CHUNK, e)) > 0)
		sha256_update(&h, buf, (size_t)n);
	storage_close_read(r);
	free(buf);
	if (n < 0) {
		sha256_release(&h);
		return -1;
	}
	sha256_final(&h, digest);
	sha256_hex(digest, out);
	return 0;
}

int backup_check_hash(struct storage *st, const struct backup_entry *b, struct err *e)
{
	char sha[SHA256_HEX_LEN];

	if (backup_hash(st, b->file, sha, e) < 0)
		return -1;
	return b->sha256 && !strcmp(sha, b->sha256);
}

/* Encrypted as a new backup would be: not at all without keys, else with
 * one of them (a key rotation does not force a new dump). */
static int same_encryption(const struct backup_entry *b, const struct crypt_keys *keys)
{
	int i;

	if (!keys || !keys->n)
		return !b->encrypted;
	for (i = 0; b->encrypted && i < keys->n; i++)
		if (!strcmp(b->key_id, keys->v[i].idhex))
			return 1;
	return 0;
}

int backup_find_reusable(struct storage *st, const char *database, const char *version, int64_t reuse_ms,
			 const struct crypt_keys *keys, struct backup_scope *scope, struct backup_info *out,
			 struct err *e)
{
	struct backup_list l = BACKUP_LIST_INIT;
	struct err ignore = ERR_INIT;
	time_t now = time(NULL);
	int i, found = 0;

	if (reuse_ms <= 0 || backup_list(st, database, &l, &ignore) < 0)
		return 0;
	for (i = 0; i < l.n && !found; i++) {
		const struct backup_entry *b = &l.v[i];
		char raw[32];
		int64_t age_ms = ((int64_t)now - (int64_t)b->time) * 1000;

		if (!b->verified || strcmp(b->version, version) || age_ms < -60000 || age_ms >= reuse_ms ||
		    !same_encryption(b, keys))
			continue;
		if (!backup_scope_covers(b->sidecar, scope)) {
			log_info("not reusing backup \"%s\": its at-risk scope does not hold the data of every table "
				 "the pending migrations put at risk", b->file);
			continue;
		}
		/* "verified" is checked again: the bytes must still be the ones hashed */
		int match = backup_check_hash(st, b, e);

		if (match == 0)
			err_set(e, EXIT_DATAERR, "backup \"%s\" would be reused but its SHA-256 no longer matches its "
				"sidecar: the file changed after it was verified", b->path);
		if (match != 1) {
			err_hint(e, "move it and its .json away (or pass --backup-reuse 0) to take a new backup");
			found = -1;
			break;
		}
		memset(out, 0, sizeof(*out));
		xstrlcpy(out->path, b->path, sizeof(out->path));
		xstrlcpy(out->file, b->file, sizeof(out->file));
		xstrlcpy(out->sha256, b->sha256, sizeof(out->sha256));
		xstrlcpy(out->key_id, b->key_id, sizeof(out->key_id));
		out->size = b->size;
		if (json_get(b->sidecar, "raw_size", raw, sizeof(raw), NULL) == 0)
			out->raw_size = strtoll(raw, NULL, 10);
		out->reused = 1;
		if (scope) {
			/* say what the reused backup holds */
			strlist_clear(&scope->tables);
			strlist_clear(&scope->exclude);
			scope->at_risk = backup_sidecar_scope(b->sidecar, &scope->tables);
		}
		log_info("reusing backup \"%s\" (verified, SHA-256 checked, schema version %s, %llds old, "
			 "--backup-reuse)", b->file, version, (long long)(age_ms / 1000));
		found = 1;
	}
	backup_list_release(&l);
	return found;
}

int backup_retain(struct storage *st, const char *database, const char *keep_file, int keep, int *removed,
		  struct err *e)
{
	struct backup_list l = BACKUP_LIST_INIT;
	int i, kept = 0;

	*removed = 0;
	if (keep <= 0)
		return 0;
	if (backup_list(st, database, &l, e) < 0)
		return -1;
	for (i = 0; i < l.n; i++) {
		struct err rm = ERR_INIT;
		char *side;

		if (!l.v[i].verified)
			continue;
		if (!strcmp(l.v[i].file, keep_file) || kept < keep) {
			kept++;
			continue;
		}
		/* The sidecar first: a half-removed backup is an unverified one. */
		side = xasprintf("%s.json", l.v[i].file);
		if (storage_remove(st, side, &rm) < 0 || storage_remove(st, l.v[i].file, &rm) < 0) {
			log_warn("%s", rm.msg);
		} else {
			(*removed)++;
			log_info("removed old backup \"%s\" (--keep %d)", l.v[i].file, keep);
		}
		free(side);
	}
	backup_list_release(&l);
	return 0;
}
