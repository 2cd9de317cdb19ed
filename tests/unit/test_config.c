/* Unit tests of src/config.c (the option table, precedence: flags >
 * PREDEPLOY_* > defaults, *_FILE secrets) and src/util/suggest.c. */
// cases: defaults_from_table env_over_default flag_over_env secret_file list_modes bad_values table_invariants scope_lookup database_configured suggest_typos
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "unit.h"
#include "config.h"
#include "util/exitcode.h"
#include "util/suggest.h"

/* Start from an environment without PREDEPLOY_*, DATABASE_URL or PG*. */
static void clean_env(void)
{
	extern char **environ;
	char name[256];
	int again = 1;

	while (again) {
		char **e;
		again = 0;
		for (e = environ; *e; e++) {
			size_t n = strcspn(*e, "=");
			if (n < sizeof(name) && (!strncmp(*e, "PREDEPLOY_", 10) || !strncmp(*e, "PG", 2) ||
						 !strncmp(*e, "DATABASE_URL=", 13))) {
				memcpy(name, *e, n);
				name[n] = 0;
				unsetenv(name);
				again = 1;
				break;
			}
		}
	}
}

static void defaults_from_table(void)
{
	struct config c;

	config_defaults(&c);
	CHECK_STR(c.dir, "migrations");
	CHECK_STR(c.table, "predeploy_migrations");
	CHECK_STR(c.backup_dir, "backups");
	CHECK_INT(c.backup, BACKUP_AUTO);
	CHECK_INT(c.keep, 10);
	CHECK_INT(c.backup_reuse_ms, 15 * 60 * 1000);
	CHECK_INT(c.lock_wait_ms, 10 * 60 * 1000);
	CHECK_INT(c.lock_timeout_ms, 5000);
	CHECK_INT(c.lock_retries, 3);
	CHECK_INT(c.wait_timeout_ms, 60000);
	CHECK_INT(c.statement_timeout_ms, 0);
	CHECK_STR(c.fail_on, "error");
	CHECK_INT(c.webhook_format, WEBHOOK_JSON);
	CHECK_INT(c.format, OUT_TEXT);
	CHECK(c.database_url == NULL && c.pg_dump == NULL && c.protect.n == 0);
	config_release(&c);
	config_release(&c);     /* safe twice */
}

static void env_over_default(void)
{
	struct config c;
	struct err e = ERR_INIT;

	clean_env();
	setenv("PREDEPLOY_KEEP", "4", 1);
	setenv("PREDEPLOY_LOCK_TIMEOUT", "750ms", 1);
	setenv("PREDEPLOY_BACKUP", "never", 1);
	setenv("PREDEPLOY_FAIL_ON", "warning", 1);
	setenv("DATABASE_URL", "postgres://fallback/x", 1);
	config_defaults(&c);
	CHECK(config_load_env(&c, &e) == 0);
	CHECK_INT(c.keep, 4);
	CHECK_INT(c.lock_timeout_ms, 750);
	CHECK_INT(c.backup, BACKUP_NEVER);
	CHECK_STR(c.fail_on, "warning");
	CHECK_STR(c.database_url, "postgres://fallback/x");
	config_release(&c);
	/* PREDEPLOY_DATABASE_URL wins over DATABASE_URL */
	setenv("PREDEPLOY_DATABASE_URL", "postgres://own/x", 1);
	config_defaults(&c);
	CHECK(config_load_env(&c, &e) == 0);
	CHECK_STR(c.database_url, "postgres://own/x");
	config_release(&c);
}

static void flag_over_env(void)
{
	struct config c;
	struct err e = ERR_INIT;

	clean_env();
	setenv("PREDEPLOY_KEEP", "4", 1);
	config_defaults(&c);
	CHECK(config_load_env(&c, &e) == 0);
	CHECK(config_set_opt(&c, config_option_lookup("keep", CC_RUN), "7", CONFIG_SRC_FLAG, &e) == 0);
	CHECK_INT(c.keep, 7);
	CHECK(config_set(&c, "dir", "db/migrations", CONFIG_SRC_FLAG, &e) == 0);
	CHECK_STR(c.dir, "db/migrations");
	CHECK(config_set(&c, "force", NULL, CONFIG_SRC_FLAG, &e) == 0);    /* bare flag: true */
	CHECK_INT(c.force, 1);
	CHECK(config_set(&c, "force", "false", CONFIG_SRC_FLAG, &e) == 0);
	CHECK_INT(c.force, 0);
	CHECK(config_finish(&c, &e) == 0);
	config_release(&c);
}

static void secret_file(void)
{
	char path[] = "/tmp/predeploy-unit-secretXXXXXX";
	int fd = mkstemp(path);
	struct config c;
	struct err e = ERR_INIT;

	clean_env();
	CHECK(fd >= 0);
	CHECK(write(fd, "whsec_abc\n\n", 11) == 11);
	close(fd);
	setenv("PREDEPLOY_WEBHOOK_SECRET_FILE", path, 1);
	config_defaults(&c);
	CHECK(config_load_env(&c, &e) == 0);
	CHECK_STR(c.webhook_secret, "whsec_abc");
	config_release(&c);
	setenv("PREDEPLOY_WEBHOOK_SECRET", "x", 1);     /* both: an error */
	config_defaults(&c);
	CHECK(config_load_env(&c, &e) < 0);
	CHECK_INT(e.code, EXIT_CONFIG);
	CHECK(strstr(e.msg, "set only one") != NULL);
	config_release(&c);
	unlink(path);
}

static void list_modes(void)
{
	struct config c;
	struct err e = ERR_INIT;

	config_defaults(&c);
	/* --protect replaces, --webhook and --allow add */
	CHECK(config_set(&c, "protect", "a, b", CONFIG_SRC_ENV, &e) == 0);
	CHECK(config_set(&c, "protect", "c", CONFIG_SRC_FLAG, &e) == 0);
	CHECK_INT(c.protect.n, 1);
	CHECK_STR(c.protect.v[0], "c");
	CHECK(config_set(&c, "webhook", "http://a/,http://b/", CONFIG_SRC_ENV, &e) == 0);
	CHECK(config_set(&c, "webhook", "http://c/", CONFIG_SRC_FLAG, &e) == 0);
	CHECK_INT(c.webhooks.n, 3);
	CHECK(config_set(&c, "allow", "drop_table", CONFIG_SRC_FLAG, &e) == 0);
	CHECK(config_set(&c, "allow", "truncate", CONFIG_SRC_FLAG, &e) == 0);
	CHECK(strlist_has(&c.allow, "drop_table") && strlist_has(&c.allow, "truncate"));
	config_release(&c);
}

static void bad_values(void)
{
	struct config c;
	struct err e = ERR_INIT;

	config_defaults(&c);
	CHECK(config_set(&c, "lock-timeout", "5 parsecs", CONFIG_SRC_FLAG, &e) < 0);
	CHECK_INT(e.code, EXIT_CONFIG);
	CHECK(strstr(e.msg, "--lock-timeout") != NULL);
	CHECK(config_set(&c, "lock-timeout", "0s", CONFIG_SRC_FLAG, &e) < 0);
	CHECK(config_set(&c, "keep", "0", CONFIG_SRC_ENV, &e) < 0);
	CHECK(strstr(e.msg, "PREDEPLOY_KEEP") != NULL);
	CHECK(config_set(&c, "keep", "-3", CONFIG_SRC_FLAG, &e) < 0);
	CHECK(config_set(&c, "keep", "99999999999", CONFIG_SRC_FLAG, &e) < 0);
	CHECK(config_set(&c, "backup", "sometimes", CONFIG_SRC_FLAG, &e) < 0);
	CHECK(strstr(e.msg, "auto|always|never") != NULL);
	CHECK(config_set(&c, "force", "maybe", CONFIG_SRC_FLAG, &e) < 0);
	CHECK(config_set(&c, "table", "", CONFIG_SRC_FLAG, &e) < 0);
	CHECK_INT(e.code, EXIT_CONFIG);
	CHECK(config_set(&c, "no-such-option", "1", CONFIG_SRC_FLAG, &e) < 0);
	CHECK_INT(e.code, EXIT_USAGE);
	CHECK(config_set(&c, "target", "1", CONFIG_SRC_FLAG, &e) < 0);  /* a command argument */
	/* nothing was changed by the failures */
	CHECK_INT(c.keep, 10);
	CHECK_INT(c.lock_timeout_ms, 5000);
	CHECK_STR(c.table, "predeploy_migrations");
	config_set(&c, "quiet", NULL, CONFIG_SRC_FLAG, &e);
	config_set(&c, "verbose", NULL, CONFIG_SRC_FLAG, &e);
	CHECK(config_finish(&c, &e) < 0);
	config_release(&c);
}

/* Every row is well formed: the things a new row can get wrong. */
static void table_invariants(void)
{
	int i, j, n;
	const struct config_option *o = config_options(&n);
	struct config c;
	struct err e = ERR_INIT;

	CHECK(n > 30);
	for (i = 0; i < n; i++) {
		CHECK(o[i].name && o[i].name[0] && o[i].name[0] != '-');
		CHECK(o[i].help && o[i].help[0]);
		CHECK(o[i].cmds != 0);
		CHECK((o[i].type == CT_ENUM) == (o[i].choices != NULL));
		if (o[i].flags & OPT_ARG) {
			CHECK(o[i].env == NULL);
		} else {
			CHECK(o[i].env && !strncmp(o[i].env, "PREDEPLOY_", 10));
			CHECK(o[i].field < sizeof(struct config));
		}
		/* one meaning per name and command */
		for (j = i + 1; j < n; j++)
			if (!strcmp(o[i].name, o[j].name))
				CHECK((o[i].cmds & o[j].cmds) == 0);
		/* a default parses as its own type */
		if (o[i].def && !(o[i].flags & OPT_ARG)) {
			config_defaults(&c);
			CHECK(config_set_opt(&c, &o[i], o[i].def, CONFIG_SRC_FLAG, &e) == 0);
			config_release(&c);
		}
	}
}

static void scope_lookup(void)
{
	const struct config_option *o;

	CHECK(config_option_lookup("backup-dir", CC_VERSION) == NULL);
	CHECK(config_option_lookup("backup-dir", CC_RUN) != NULL);
	CHECK(config_option_lookup("log-format", CC_VERSION) != NULL);
	o = config_option_lookup("backup", CC_RUN);
	CHECK(o && o->type == CT_ENUM);
	o = config_option_lookup("backup", CC_RESTORE);
	CHECK(o && (o->flags & OPT_ARG));
	CHECK(config_option_lookup("steps", CC_UP) == NULL);
	CHECK(config_option_lookup("steps", CC_DOWN) != NULL);
}

static void database_configured(void)
{
	struct config c;

	clean_env();
	config_defaults(&c);
	CHECK(!config_database_configured(&c));
	setenv("PGDATABASE", "app", 1);
	CHECK(config_database_configured(&c));
	unsetenv("PGDATABASE");
	setenv("PGHOST", "", 1);            /* empty is unset */
	CHECK(!config_database_configured(&c));
	c.database_url = strdup("postgres://h/x");
	CHECK(config_database_configured(&c));
	config_release(&c);
}

static void suggest_typos(void)
{
	struct suggest s = SUGGEST_INIT("databse-url");
	struct suggest s2 = SUGGEST_INIT("xyz");
	struct suggest s3 = SUGGEST_INIT("backup-d");

	CHECK_INT(suggest_distance("databse-url", "database-url"), 1);
	CHECK_INT(suggest_distance("stauts", "status"), 1);       /* a swap counts once */
	CHECK_INT(suggest_distance("", "abc"), 3);
	suggest_offer(&s, "dir");
	suggest_offer(&s, "database-url");
	suggest_offer(&s, "table");
	CHECK_STR(s.best, "database-url");
	suggest_offer(&s2, "status");
	suggest_offer(&s2, "run");
	CHECK(s2.best == NULL);
	suggest_offer(&s3, "backup-dir");       /* a prefix */
	CHECK_STR(s3.best, "backup-dir");
}

UNIT_CASES(UNIT(defaults_from_table), UNIT(env_over_default), UNIT(flag_over_env), UNIT(secret_file),
	   UNIT(list_modes), UNIT(bad_values), UNIT(table_invariants), UNIT(scope_lookup),
	   UNIT(database_configured), UNIT(suggest_typos))
