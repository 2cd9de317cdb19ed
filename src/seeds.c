/* seeds: see seeds.h. */
#include "seeds.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "log.h"
#include "util/exitcode.h"
#include "util/xalloc.h"
#include "util/banned.h"

#define SEEDS_MAX 10000

const char *seed_state_name(enum seed_state s)
{
	return s == SEED_APPLIED ? "applied" : s == SEED_CHANGED ? "changed" : "pending";
}

void seed_set_release(struct seed_set *ss)
{
	int i;

	for (i = 0; i < ss->n; i++) {
		migration_release(&ss->v[i].m);
		free(ss->v[i].applied_at);
	}
	free(ss->v);
	free(ss->dir);
	memset(ss, 0, sizeof(*ss));
}

/* "-- predeploy:seed always" on a line of its own; any other value of the
 * directive is a mistake worth stopping for. */
static int read_directive(struct seed *s, struct err *e)
{
	const char *p = s->m.up.sql, *end = p + s->m.up.len;
	int line = 1;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p)), *q = p;
		const char *eol = nl ? nl : end;

		while (q < eol && (*q == ' ' || *q == '\t'))
			q++;
		if (eol - q >= 2 && q[0] == '-' && q[1] == '-') {
			q += 2;
			while (q < eol && (*q == ' ' || *q == '\t'))
				q++;
			if (eol - q >= 14 && !strncmp(q, "predeploy:seed", 14)) {
				const char *v = q + 14;
				size_t n;

				while (v < eol && (*v == ' ' || *v == '\t'))
					v++;
				n = (size_t)(eol - v);
				while (n && (v[n - 1] == ' ' || v[n - 1] == '\t' || v[n - 1] == '\r'))
					n--;
				if (n != 6 || strncmp(v, "always", 6)) {
					err_set(e, EXIT_DATAERR, "unknown seed directive \"%.*s\": expected "
						"\"-- predeploy:seed always\"", (int)(eol - q > 80 ? 80 : eol - q), q);
					err_where(e, s->m.up.path, line);
					return -1;
				}
				s->always = 1;
			}
		}
		p = nl ? nl + 1 : end;
		line++;
	}
	return 0;
}

static int cmp_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int seeds_load(const struct config *cfg, struct seed_set *ss, struct err *e)
{
	struct strlist names = { 0 };
	struct dirent *de;
	struct stat st;
	DIR *d;
	int i, ret = -1;

	memset(ss, 0, sizeof(*ss));
	if (!cfg->seed)
		return 0;
	d = opendir(cfg->seeds_dir);
	if (!d) {
		if (errno == ENOENT && !cfg->seeds_dir_set)
			return 0;
		return err_set(e, errno == ENOENT ? EXIT_CONFIG : EXIT_DATAERR, "could not open the seeds "
			       "directory \"%s\": %s", cfg->seeds_dir, strerror(errno));
	}
	while ((de = readdir(d))) {
		size_t n = strlen(de->d_name);

		if (de->d_name[0] == '.' || n < 5 || strcmp(de->d_name + n - 4, ".sql"))
			continue;
		if (names.n >= SEEDS_MAX) {
			err_set(e, EXIT_DATAERR, "more than %d seeds in \"%s\"", SEEDS_MAX, cfg->seeds_dir);
			goto out;
		}
		strlist_add(&names, de->d_name);
	}
	qsort(names.v, (size_t)names.n, sizeof(*names.v), cmp_name);
	ss->dir = xstrdup(cfg->seeds_dir);
	ss->v = xcalloc((size_t)names.n + 1, sizeof(*ss->v));
	for (i = 0; i < names.n; i++) {
		struct seed *s = &ss->v[ss->n];
		char *path = xasprintf("%s/%s", cfg->seeds_dir, names.v[i]);
		int rc = 0;

		if (stat(path, &st) == 0 && S_ISREG(st.st_mode)) {
			rc = migration_load_plain(path, &s->m, e);
			if (rc == 0) {
				ss->n++;
				rc = read_directive(s, e);
			}
		}
		free(path);
		if (rc < 0)
			goto out;
	}
	ret = 0;
out:
	closedir(d);
	strlist_clear(&names);
	if (ret < 0)
		seed_set_release(ss);
	return ret;
}

int seeds_read_state(struct seed_set *ss, struct ledger *l, struct db *db, struct err *e)
{
	PGresult *r = NULL;
	char *sql;
	int i, j, exists = 0;

	ss->ndue = 0;
	if (ss->n) {
		const char *params[1] = { l->qhistory };

		r = db_query(db, "SELECT pg_catalog.to_regclass($1) IS NOT NULL", 1, params, EXIT_INTERNAL, e);
		if (!r)
			return -1;
		exists = !strcmp(PQgetvalue(r, 0, 0), "t");
		PQclear(r);
		r = NULL;
	}
	if (exists) {
		sql = xasprintf("SELECT DISTINCT ON (name) name, checksum, to_char(at AT TIME ZONE 'UTC', "
				"'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') FROM %s WHERE action = 'seed' AND outcome = "
				"'success' ORDER BY name, id DESC", l->qhistory);
		r = db_query(db, sql, 0, NULL, EXIT_INTERNAL, e);
		free(sql);
		if (!r)
			return -1;
	}
	for (i = 0; i < ss->n; i++) {
		struct seed *s = &ss->v[i];

		s->state = SEED_NEW;
		for (j = 0; r && j < PQntuples(r); j++) {
			if (strcmp(PQgetvalue(r, j, 0), s->m.name))
				continue;
			s->state = strcmp(PQgetvalue(r, j, 1), s->m.checksum) ? SEED_CHANGED : SEED_APPLIED;
			free(s->applied_at);
			s->applied_at = xstrdup(PQgetvalue(r, j, 2));
		}
		s->due = s->always || s->state != SEED_APPLIED;
		ss->ndue += s->due;
	}
	PQclear(r);
	return 0;
}

int seeds_run(struct seed_set *ss, struct db *db, struct ledger *l, const struct apply_opts *o, int *nrun,
	      struct err *e)
{
	int i;

	*nrun = 0;
	for (i = 0; i < ss->n; i++) {
		struct seed *s = &ss->v[i];
		int64_t ms = 0;

		if (!s->due)
			continue;
		if (apply_seed(db, l, &s->m, o, &ms, e) < 0) {
			if (e->code == EXIT_MIGRATION)
				err_hint(e, "the seed's transaction was rolled back; the migrations before it "
					    "stay applied; fix the seed and deploy again");
			return -1;
		}
		log_info("seeded %s (%s, %lld ms)", s->m.name, s->always ? "always" :
			 s->state == SEED_NEW ? "new" : "changed", (long long)ms);
		(*nrun)++;
	}
	return 0;
}
