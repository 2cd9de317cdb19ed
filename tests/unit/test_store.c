/* Unit tests of src/util/json (writer and reader), the backup store's
 * names, and the posix storage driver (write/commit/abort/list/read/remove). */
// cases: json_pretty_sidecar json_compact_nested json_get_cases json_get_array_cases json_malformed name_round_trip name_rejects posix_commit_abort posix_list_read_remove store_list_verified
#include <stdlib.h>
#include <unistd.h>
#include <sys/stat.h>

#include "unit.h"
#include "backup_store.h"
#include "storage.h"
#include "util/json.h"
#include "util/xalloc.h"

static void json_pretty_sidecar(void)
{
	struct strbuf sb = STRBUF_INIT;
	struct json_w j;

	jw_init(&j, &sb, JW_PRETTY);
	jw_obj(&j, NULL);
	jw_int(&j, "format", 1);
	jw_str(&j, "file", "a\"b");
	jw_arr(&j, "pending");
	jw_str(&j, NULL, "1");
	jw_str(&j, NULL, "2");
	jw_end(&j);
	jw_str(&j, "none", NULL);
	jw_end(&j);
	CHECK_STR(sb.buf, "{\n  \"format\": 1,\n  \"file\": \"a\\\"b\",\n  \"pending\": [\"1\", \"2\"],\n"
		  "  \"none\": null\n}");
	sb_release(&sb);
}

static void json_compact_nested(void)
{
	struct strbuf sb = STRBUF_INIT;
	struct json_w j;

	jw_init(&j, &sb, 0);
	jw_obj(&j, NULL);
	jw_obj(&j, "a");
	jw_bool(&j, "t", 1);
	jw_null(&j, "n");
	jw_end(&j);
	jw_arr(&j, "e");
	jw_end(&j);
	jw_raw(&j, "r", "[1,2]");
	jw_end(&j);
	CHECK_STR(sb.buf, "{\"a\":{\"t\":true,\"n\":null},\"e\":[],\"r\":[1,2]}");
	sb_release(&sb);
}

static void json_get_cases(void)
{
	const char *doc = "{ \"a\": {\"x\": [1, \"}\"]}, \"s\": \"q\\\"\\\\\\n\\u00e9\", \"n\": -12,"
			  " \"z\": null, \"b\": true }";
	char out[64];
	int is_str = -1;

	CHECK_INT(json_get(doc, "s", out, sizeof(out), &is_str), 0);
	CHECK_STR(out, "q\"\\\n\xc3\xa9");
	CHECK_INT(is_str, 1);
	CHECK_INT(json_get(doc, "n", out, sizeof(out), &is_str), 0);
	CHECK_STR(out, "-12");
	CHECK_INT(is_str, 0);
	CHECK_INT(json_get(doc, "z", out, sizeof(out), NULL), 0);
	CHECK_STR(out, "");
	CHECK_INT(json_get(doc, "b", out, sizeof(out), NULL), 0);
	CHECK_STR(out, "true");
	CHECK_INT(json_get(doc, "x", out, sizeof(out), NULL), -1);   /* nested only */
	CHECK_INT(json_get(doc, "a", out, sizeof(out), NULL), -1);   /* not a scalar */
	CHECK_INT(json_get(doc, "s", out, 3, NULL), 0);              /* truncated */
	CHECK_STR(out, "q\"");
}

static void collect(void *ctx, const char *v)
{
	struct strbuf *sb = ctx;

	sb_adds(sb, v);
	sb_addc(sb, '|');
}

static void json_get_array_cases(void)
{
	struct strbuf sb = STRBUF_INIT;

	CHECK_INT(json_get_array("{\"t\": [\"a\", \"b,c\", 3], \"u\": 1}", "t", collect, &sb), 3);
	CHECK_STR(sb.buf, "a|b,c|3|");
	CHECK_INT(json_get_array("{\"t\": []}", "t", collect, &sb), 0);
	CHECK_INT(json_get_array("{\"t\": 1}", "t", collect, &sb), -1);
	CHECK_INT(json_get_array("{\"u\": [1]}", "t", collect, &sb), -1);
	sb_release(&sb);
}

static void json_malformed(void)
{
	char out[16];

	CHECK_INT(json_get("", "a", out, sizeof(out), NULL), -1);
	CHECK_INT(json_get("[1]", "a", out, sizeof(out), NULL), -1);
	CHECK_INT(json_get("{\"a\" 1}", "a", out, sizeof(out), NULL), -1);
	CHECK_INT(json_get("{\"b\": [1, 2, \"a\": 1}", "a", out, sizeof(out), NULL), -1);
	CHECK_INT(json_get("{\"a\": \"unterminated}", "a", out, sizeof(out), NULL), -1);
	CHECK_INT(json_get("{\"a\": \"bad \\x escape\"}", "a", out, sizeof(out), NULL), -1);
	CHECK_INT(json_get("{\"a\": }", "a", out, sizeof(out), NULL), -1);
}

static void name_round_trip(void)
{
	char *n = backup_name("my db/x", "20240101", (time_t)1700000000);
	char db[64], ver[64];
	time_t t;

	CHECK_STR(n, "my-db-x_20231114T221320Z_20240101.sql.gz");
	CHECK_INT(backup_parse_name(n, db, sizeof(db), ver, sizeof(ver), &t), 0);
	CHECK_STR(db, "my-db-x");
	CHECK_STR(ver, "20240101");
	CHECK_INT(t, 1700000000);
	free(n);
}

static void name_rejects(void)
{
	char db[64], ver[64];
	time_t t;

	CHECK_INT(backup_parse_name("app_20231114T221320Z_3.sql.gz.json", db, sizeof(db), ver, sizeof(ver), &t), -1);
	CHECK_INT(backup_parse_name("app_20231114T221320Z_3.sql.gz.partial", db, sizeof(db), ver, sizeof(ver), &t), -1);
	CHECK_INT(backup_parse_name("app_20231114X221320Z_3.sql.gz", db, sizeof(db), ver, sizeof(ver), &t), -1);
	CHECK_INT(backup_parse_name("_20231114T221320Z_3.sql.gz", db, sizeof(db), ver, sizeof(ver), &t), -1);
	CHECK_INT(backup_parse_name("app_20231114T221320Z_v 3.sql.gz", db, sizeof(db), ver, sizeof(ver), &t), -1);
	CHECK_INT(backup_parse_name("app_20231114T221320Z_.v3.sql.gz", db, sizeof(db), ver, sizeof(ver), &t), -1);
	/* a tool's revision, sanitised (docs/migrators.md) */
	CHECK_INT(backup_parse_name("app_20231114T221320Z_2026-exercises-idx.sql.gz", db, sizeof(db), ver, sizeof(ver),
				    &t), 0);
	CHECK_STR(ver, "2026-exercises-idx");
	CHECK_INT(backup_parse_name("app_20231114T221320Z_3.sql.gz", db, 3, ver, sizeof(ver), &t), -1);
}

static char *tmpdir(void)
{
	char tmpl[] = "/tmp/predeploy-unit-XXXXXX";
	char *d = mkdtemp(tmpl);

	return d ? xstrdup(d) : NULL;
}

static void rmtree(const char *dir)
{
	struct storage *st = storage_posix_open(dir, 0, NULL);
	struct storage_objs l = STORAGE_OBJS_INIT;
	struct err e = ERR_INIT;
	int i;

	if (storage_list(st, &l, &e) == 0)
		for (i = 0; i < l.n; i++)
			storage_remove(st, l.v[i].name, &e);
	storage_objs_release(&l);
	storage_free(st);
	rmdir(dir);
}

static void posix_commit_abort(void)
{
	char *dir = tmpdir(), *p;
	struct storage *st = storage_posix_open(dir, 0, NULL);
	struct storage_w *w;
	struct err e = ERR_INIT;
	struct stat sb;

	CHECK_INT(storage_prepare(st, 0, &e), 0);
	w = storage_open_write(st, "a", &e);
	CHECK(w != NULL);
	CHECK_INT(storage_write(w, "hello", 5, &e), 0);
	CHECK_INT(storage_exists(st, "a", &e), 0);   /* not visible before commit */
	CHECK_INT(storage_commit(w, &e), 0);
	CHECK_INT(storage_exists(st, "a", &e), 1);
	p = storage_path(st, "a");
	CHECK_INT(stat(p, &sb), 0);
	CHECK_INT(sb.st_mode & 0777, 0600);
	free(p);
	w = storage_open_write(st, "b", &e);
	CHECK_INT(storage_write(w, "x", 1, &e), 0);
	storage_abort(w);
	CHECK_INT(storage_exists(st, "b", &e), 0);
	p = storage_path(st, "b.partial");
	CHECK(stat(p, &sb) < 0);
	free(p);
	storage_free(st);
	rmtree(dir);
	free(dir);
}

static void posix_list_read_remove(void)
{
	char *dir = tmpdir();
	struct storage *st = storage_posix_open(dir, 0, NULL);
	struct storage_objs l = STORAGE_OBJS_INIT;
	struct strbuf sb = STRBUF_INIT;
	struct err e = ERR_INIT;
	struct storage *missing = storage_posix_open("/nonexistent/predeploy-unit", 0, NULL);

	CHECK_INT(storage_put(st, "one", "12345", 5, &e), 0);
	CHECK_INT(storage_list(st, &l, &e), 0);
	CHECK_INT(l.n, 1);
	CHECK_STR(l.v[0].name, "one");
	CHECK_INT(l.v[0].size, 5);
	storage_objs_release(&l);
	CHECK_INT(storage_get(st, "one", 16, &sb, &e), 0);
	CHECK_STR(sb.buf, "12345");
	sb_reset(&sb);
	CHECK_INT(storage_get(st, "one", 4, &sb, &e), -1);      /* over the cap */
	CHECK(storage_open_read(st, "two", NULL, &e) == NULL);
	CHECK_INT(e.code, 65);
	CHECK_INT(storage_remove(st, "one", &e), 0);
	CHECK_INT(storage_remove(st, "one", &e), 0);             /* already gone */
	CHECK_INT(storage_list(missing, &l, &e), 0);
	CHECK_INT(l.n, 0);
	storage_free(missing);
	sb_release(&sb);
	storage_free(st);
	rmtree(dir);
	free(dir);
}

static void store_list_verified(void)
{
	char *dir = tmpdir();
	struct storage *st = storage_posix_open(dir, 0, NULL);
	struct backup_list l = BACKUP_LIST_INIT;
	struct backup_meta m = { "app", "h", "16", "16", "3", NULL, 1700000000, NULL };
	struct backup_info bi;
	struct err e = ERR_INIT;
	int removed;

	memset(&bi, 0, sizeof(bi));
	xstrlcpy(bi.file, "app_20231114T221320Z_3.sql.gz", sizeof(bi.file));
	memset(bi.sha256, 'a', 64);
	bi.size = 4;
	CHECK_INT(storage_put(st, bi.file, "gzip", 4, &e), 0);
	CHECK_INT(backup_write_sidecar(st, &bi, &m, &e), 0);
	CHECK_INT(storage_put(st, "app_20231114T221321Z_3.sql.gz", "xx", 2, &e), 0);   /* no sidecar */
	CHECK_INT(storage_put(st, "notes.txt", "x", 1, &e), 0);
	CHECK_INT(backup_list(st, "app", &l, &e), 0);
	CHECK_INT(l.n, 2);
	CHECK_STR(l.v[0].file, "app_20231114T221321Z_3.sql.gz");
	CHECK_INT(l.v[0].verified, 0);
	CHECK_INT(l.v[1].verified, 1);
	CHECK_STR(l.v[1].sha256, bi.sha256);
	backup_list_release(&l);
	/* keep 0 keeps everything; keep 1 keeps the one verified backup */
	CHECK_INT(backup_retain(st, "app", "", 1, &removed, &e), 0);
	CHECK_INT(removed, 0);
	CHECK_INT(storage_exists(st, "notes.txt", &e), 1);
	storage_free(st);
	rmtree(dir);
	free(dir);
}

UNIT_CASES(UNIT(json_pretty_sidecar), UNIT(json_compact_nested), UNIT(json_get_cases),
	   UNIT(json_get_array_cases), UNIT(json_malformed), UNIT(name_round_trip), UNIT(name_rejects),
	   UNIT(posix_commit_abort), UNIT(posix_list_read_remove), UNIT(store_list_verified))
