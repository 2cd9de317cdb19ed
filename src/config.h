/*
 * config: every option of SPEC.md "Configuration", with its flag name, its
 * PREDEPLOY_* variable, its type and default, in one table.
 *
 *   struct config cfg;
 *   config_defaults(&cfg);
 *   config_load_env(&cfg, &err);            // PREDEPLOY_*, *_FILE, DATABASE_URL
 *   config_set(&cfg, "lock-timeout", "3s", CONFIG_SRC_FLAG, &err);  // flags win
 *   config_finish(&cfg, &err);              // cross-checks
 *   ...
 *   config_release(&cfg);
 *
 * Invalid values fail with EXIT_CONFIG naming the option and where it came
 * from.  Secrets (database URL, webhook secret) are registered with the log
 * module's redaction as soon as they are read.
 */
#ifndef PREDEPLOY_CONFIG_H
#define PREDEPLOY_CONFIG_H

#include <stdint.h>

#include "util/err.h"

enum backup_policy { BACKUP_AUTO, BACKUP_ALWAYS, BACKUP_NEVER };
enum output_format { OUT_TEXT, OUT_JSON, OUT_GITHUB };
enum webhook_format { WEBHOOK_JSON, WEBHOOK_SLACK, WEBHOOK_DISCORD };
enum config_source { CONFIG_SRC_DEFAULT, CONFIG_SRC_ENV, CONFIG_SRC_FLAG };

struct strlist {
	char **v;
	int n;
};

void strlist_add(struct strlist *l, const char *s);
/* Split "a,b, c" on commas (trimming blanks) and add each non-empty part. */
void strlist_add_csv(struct strlist *l, const char *csv);
int strlist_has(const struct strlist *l, const char *s);
int strlist_has_ci(const struct strlist *l, const char *s);
void strlist_clear(struct strlist *l);

struct config {
	char *database_url;         /* NULL: libpq's PG* variables; ${VAR} expanded */
	char *dir;
	int dir_set;                /* --dir / PREDEPLOY_MIGRATIONS_DIR given */

	char *migrator;             /* auto|sql|alembic|mikro-orm|prisma|command */
	char *migrate_cmd;          /* NULL: the migrator's default */
	int64_t migrate_timeout_ms;
	char *pending_cmd;
	struct strlist migrate_env; /* NAME=TEMPLATE */
	char *table;                /* may be schema-qualified: "app.migrations" */

	enum backup_policy backup;
	char *backup_dir;
	int backup_dir_insecure_ok;
	int keep;
	int64_t backup_reuse_ms;
	char *pg_dump;
	int no_backup;

	int64_t lock_wait_ms;
	int64_t lock_timeout_ms;
	int lock_retries;
	int64_t statement_timeout_ms;   /* 0 = none */
	int64_t wait_timeout_ms;

	struct strlist protect;
	struct strlist allow;
	int force;
	char *fail_on;              /* "error" | "warning" */
	int64_t large_table;        /* rows; 0 = off */

	int allow_drift;
	int allow_out_of_order;
	int single_transaction;

	struct strlist webhooks;
	char *webhook_secret;
	enum webhook_format webhook_format;
	int webhook_required;
	int webhook_events_all;
	char *webhook_ca_file;
	char *termination_log;      /* NULL: /dev/termination-log when it exists */

	int log_json;
	int quiet;
	int verbose;
	enum output_format format;
};

/* Option metadata, for the flag parser and help texts. */
enum config_type { CT_STR, CT_SECRET, CT_BOOL, CT_INT, CT_DURATION, CT_LIST, CT_ENUM };

struct config_option {
	const char *name;           /* flag without "--" */
	const char *env;            /* PREDEPLOY_* variable, or NULL */
	enum config_type type;
	const char *choices;        /* CT_ENUM: "a|b|c" */
	const char *help;
};

const struct config_option *config_options(int *count);
const struct config_option *config_option_find(const char *name);

void config_defaults(struct config *cfg);
int config_load_env(struct config *cfg, struct err *e);
/* Set option `name` from a string. For CT_BOOL, value may be NULL (= true). */
int config_set(struct config *cfg, const char *name, const char *value,
	       enum config_source src, struct err *e);
int config_finish(struct config *cfg, struct err *e);
void config_release(struct config *cfg);

/* Read a *_FILE secret: content with trailing newlines stripped, capped at
 * 64 KiB. Caller frees. */
char *config_read_secret_file(const char *path, const char *what, struct err *e);

#endif
