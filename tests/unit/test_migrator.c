/* Unit tests of src/migrator (command-line splitting, templates, names) and
 * the Alembic adapter's source reader, on files written here. */
// cases: argv_split_words argv_split_errors env_expand_vars sanitize_ids alembic_reads_sources alembic_rejects_computed_ids
#define _XOPEN_SOURCE 700
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/stat.h>

#include "unit.h"
#include "migrator.h"
#include "util/envexpand.h"
#include "util/exitcode.h"

static void argv_split_words(void)
{
	struct err e = ERR_INIT;
	char **a = argv_split("  npx  mikro-orm 'migration:up' \"a b\" c\\ d e\"f\"g ''", "--migrate-cmd", &e);

	CHECK(a != NULL);
	if (!a)
		return;
	CHECK_STR(a[0], "npx");
	CHECK_STR(a[1], "mikro-orm");
	CHECK_STR(a[2], "migration:up");
	CHECK_STR(a[3], "a b");
	CHECK_STR(a[4], "c d");
	CHECK_STR(a[5], "efg");
	CHECK_STR(a[6], "");
	CHECK(a[7] == NULL);
	argv_free(a);
}

static void argv_split_errors(void)
{
	struct err e = ERR_INIT;

	CHECK(argv_split("alembic 'upgrade", "--migrate-cmd", &e) == NULL);
	CHECK_INT(e.code, EXIT_CONFIG);
	CHECK(strstr(e.msg, "unterminated quote") != NULL);
	CHECK(argv_split("   ", "--migrate-cmd", &e) == NULL);
	CHECK(strstr(e.msg, "empty") != NULL);
}

static void env_expand_vars(void)
{
	struct err e = ERR_INIT;
	char *s;

	setenv("MIG_T_PW", "s3cr%t", 1);
	unsetenv("MIG_T_UNSET");
	s = env_expand("postgres://app:${MIG_T_PW}@db/$HOME", "--database-url", &e);
	CHECK_STR(s, "postgres://app:s3cr%t@db/$HOME");
	free(s);
	CHECK(env_expand("x${MIG_T_UNSET}", "--database-url", &e) == NULL);
	CHECK_INT(e.code, EXIT_CONFIG);
	CHECK(strstr(e.msg, "${MIG_T_UNSET}") != NULL);
	CHECK(env_expand("x${", "--database-url", &e) == NULL);
}

static void sanitize_ids(void)
{
	char b[64];

	mig_sanitize("20260206_exercises_idx", b, sizeof(b));
	CHECK_STR(b, "20260206-exercises-idx");
	mig_sanitize(".a/b c,d", b, sizeof(b));
	CHECK_STR(b, "-a-b-c-d");
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	CHECK(f != NULL);
	if (!f)
		return;
	fputs(text, f);
	fclose(f);
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void remove_tree(char *dir)
{
	CHECK(chdir("/") == 0);
	nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	free(dir);
}

static char *project(void)
{
	char tmpl[] = "/tmp/predeploy-unit-alembic-XXXXXX", *dir = mkdtemp(tmpl);
	char path[512];

	CHECK(dir != NULL);
	dir = strdup(dir);
	CHECK(chdir(dir) == 0);
	write_file("alembic.ini", "[alembic]\n# a comment\nscript_location = %(here)s/db\n"
		   "version_path_separator = os  # Use os.pathsep.\n\n[loggers]\nkeys = root\n");
	mkdir("db", 0700);
	mkdir("db/versions", 0700);
	snprintf(path, sizeof(path), "db/versions/zz_first.py");
	write_file(path, "\"\"\"create users\n\nRevision ID: base_one\n\"\"\"\nrevision = 'base_one'\n"
		   "down_revision = None\nbranch_labels = None\n");
	write_file("db/versions/b.py", "'''add b'''\nfrom typing import Union\nrevision: str = \"b2\"\n"
		   "down_revision: Union[str, None] = 'base_one'\ndepends_on = None\n");
	write_file("db/versions/c.py", "# no docstring\nrevision = \"c3\"\ndown_revision = \"base_one\"\n");
	write_file("db/versions/merge.py", "\"\"\"merge\"\"\"\nrevision = 'm4'\ndown_revision = (\n"
		   "    'b2',  # branch one\n    'c3',\n)\ndepends_on = ('some_label',)\n");
	write_file("db/versions/__init__.py", "x = 1\n");
	return dir;
}

static void alembic_reads_sources(void)
{
	struct config cfg;
	struct migrator m = MIGRATOR_INIT;
	struct err e = ERR_INIT;
	const struct mig_rev **order;
	char *dir = project();
	int n;

	memset(&cfg, 0, sizeof(cfg));
	cfg.migrator = (char *)"alembic";
	CHECK_INT(migrator_open(&m, &cfg, &e), 0);
	if (e.code)
		fprintf(stderr, "%s\n", e.msg);
	CHECK_INT(m.nrevs, 4);
	CHECK_INT(m.nheads, 1);
	if (m.nheads == 1)
		CHECK_STR(m.heads[0], "m4");
	order = calloc((size_t)m.nrevs + 1, sizeof(*order));
	n = mig_topo_order(&m, order);
	CHECK_INT(n, 4);
	if (n == 4) {
		CHECK_STR(order[0]->id, "base_one");
		CHECK_STR(order[0]->name, "create users");
		CHECK_STR(order[1]->id, "b2");
		CHECK_STR(order[1]->name, "add b");
		CHECK_STR(order[2]->id, "c3");
		CHECK_STR(order[3]->id, "m4");
		CHECK_INT(order[3]->ndown, 2);
		CHECK(order[3]->parents[2] == NULL);   /* the branch label is not a revision */
	}
	CHECK(migrator_find_rev(&m, "m4", &e) != NULL);
	CHECK(migrator_find_rev(&m, "nope", &e) == NULL);
	CHECK_INT(e.code, EXIT_USAGE);
	free(order);
	migrator_close(&m);
	remove_tree(dir);
}

static void alembic_rejects_computed_ids(void)
{
	struct config cfg;
	struct migrator m = MIGRATOR_INIT;
	struct err e = ERR_INIT;
	char *dir = project();

	write_file("db/versions/bad.py", "import uuid\nrevision = str(uuid.uuid4())\ndown_revision = 'm4'\n");
	memset(&cfg, 0, sizeof(cfg));
	cfg.migrator = (char *)"alembic";
	CHECK_INT(migrator_open(&m, &cfg, &e), -1);
	CHECK_INT(e.code, EXIT_DATAERR);
	CHECK(strstr(e.file, "bad.py") != NULL);
	CHECK_INT(e.line, 2);
	migrator_close(&m);
	remove_tree(dir);
}

UNIT_CASES(UNIT(argv_split_words), UNIT(argv_split_errors), UNIT(env_expand_vars), UNIT(sanitize_ids),
	   UNIT(alembic_reads_sources), UNIT(alembic_rejects_computed_ids))
