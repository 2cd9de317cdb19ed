/* pg_query_dump: print what libpg_query makes of each SQL file given, for
 * comparing the static musl build (with static/glibc_shims.c) against the
 * glibc build byte for byte (tests/static/parse_compare.py).
 *
 * For each file: the JSON parse tree (or the error and cursor position), the
 * protobuf parse tree as hex, the fingerprint, the normalized query and the
 * statement split. Everything runs on a thread created with default
 * attributes, so a too-small default thread stack (musl's 128 KiB without
 * -z stack-size) crashes on the deeply nested statements at the end.
 *
 * Usage: pg_query_dump FILE...   (exit 0; 1 when a file cannot be read) */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pg_query.h>

#define MAX_FILE (16 * 1024 * 1024)

static void print_error(const char *what, PgQueryError *err)
{
	printf("%s error: %s (cursor %d)\n", what, err->message, err->cursorpos);
}

static void dump_sql(const char *sql)
{
	PgQueryParseResult pr = pg_query_parse(sql);
	PgQueryProtobufParseResult pb = pg_query_parse_protobuf(sql);
	PgQueryFingerprintResult fp = pg_query_fingerprint(sql);
	PgQueryNormalizeResult nr = pg_query_normalize(sql);
	PgQuerySplitResult sr = pg_query_split_with_parser(sql);
	size_t i;

	if (pr.error)
		print_error("parse", pr.error);
	else
		printf("parse %s\n", pr.parse_tree);
	if (pb.error) {
		print_error("protobuf", pb.error);
	} else {
		printf("protobuf %zu ", (size_t)pb.parse_tree.len);
		for (i = 0; i < pb.parse_tree.len; i++)
			printf("%02x", (unsigned char)pb.parse_tree.data[i]);
		printf("\n");
	}
	if (fp.error)
		print_error("fingerprint", fp.error);
	else
		printf("fingerprint %s\n", fp.fingerprint_str);
	if (nr.error)
		print_error("normalize", nr.error);
	else
		printf("normalize %s\n", nr.normalized_query);
	if (sr.error) {
		print_error("split", sr.error);
	} else {
		for (i = 0; i < (size_t)sr.n_stmts; i++)
			printf("split %d %d\n", sr.stmts[i]->stmt_location, sr.stmts[i]->stmt_len);
	}
	pg_query_free_parse_result(pr);
	pg_query_free_protobuf_parse_result(pb);
	pg_query_free_fingerprint_result(fp);
	pg_query_free_normalize_result(nr);
	pg_query_free_split_result(sr);
}

static char *read_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	size_t n;

	if (!f)
		return NULL;
	buf = malloc(MAX_FILE + 1);
	if (!buf) {
		fclose(f);
		return NULL;
	}
	n = fread(buf, 1, MAX_FILE, f);
	fclose(f);
	buf[n] = '\0';
	return buf;
}

struct job {
	int argc;
	char **argv;
	int rc;
};

/* "SELECT " + n x open + "1" + n x close; NULL when out of memory */
static char *nested(const char *open, const char *close, size_t n)
{
	size_t lo = strlen(open), lc = strlen(close), len = 7 + n * (lo + lc) + 1, i;
	char *sql = malloc(len + 1), *p;

	if (!sql)
		return NULL;
	memcpy(sql, "SELECT ", 7);
	p = sql + 7;
	for (i = 0; i < n; i++, p += lo)
		memcpy(p, open, lo);
	*p++ = '1';
	for (i = 0; i < n; i++, p += lc)
		memcpy(p, close, lc);
	*p = '\0';
	return sql;
}

static void *run(void *arg)
{
	/* deep trees: each level is a few recursive calls in the parser and in
	 * the JSON, protobuf and fingerprint walkers (200 levels already overflow
	 * a 128 KiB stack) */
	static const struct {
		const char *open, *close;
		size_t n;
	} deep[] = { { "abs(", ")", 1000 }, { "(SELECT ", ")", 1000 }, { "1+", "", 3000 } };
	struct job *j = arg;
	size_t i;
	int k;

	for (k = 1; k < j->argc; k++) {
		char *sql = read_file(j->argv[k]);
		const char *base = strrchr(j->argv[k], '/');

		if (!sql) {
			fprintf(stderr, "pg_query_dump: cannot read \"%s\"\n", j->argv[k]);
			j->rc = 1;
			continue;
		}
		printf("== %s\n", base ? base + 1 : j->argv[k]);
		dump_sql(sql);
		free(sql);
	}
	for (i = 0; i < sizeof(deep) / sizeof(deep[0]); i++) {
		char *sql = nested(deep[i].open, deep[i].close, deep[i].n);

		if (!sql) {
			j->rc = 1;
			break;
		}
		printf("== nested %s %zu\n", deep[i].open, deep[i].n);
		dump_sql(sql);
		free(sql);
	}
	/* no pg_query_exit(): libpg_query frees its per-thread context at thread exit */
	return NULL;
}

int main(int argc, char **argv)
{
	struct job j = { argc, argv, 0 };
	pthread_t t;

	if (pthread_create(&t, NULL, run, &j) != 0) {
		fprintf(stderr, "pg_query_dump: cannot create a thread\n");
		return 1;
	}
	pthread_join(t, NULL);
	return j.rc;
}
