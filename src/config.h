/*
 * config: every option of SPEC.md "Configuration" in ONE declarative table
 * (config.c): name, type, field of struct config, default, PREDEPLOY_*
 * variable, the commands that accept it, help text.  The table drives
 * defaults, environment, flag values and their validation here, and the
 * argv parser, `help CMD` and shell completion in entrypoint/.
 *
 *   struct config cfg;
 *   config_defaults(&cfg);                  // the table's defaults
 *   config_load_env(&cfg, &err);            // PREDEPLOY_*, *_FILE, DATABASE_URL
 *   o = config_option_lookup("lock-timeout", CC_UP);      // NULL: not for "up"
 *   config_set_opt(&cfg, o, "3s", CONFIG_SRC_FLAG, &err); // flags win
 *   config_finish(&cfg, &err);              // cross-checks
 *   ...
 *   config_release(&cfg);
 *
 * Invalid values fail with EXIT_CONFIG naming the option and where it came
 * from.  Secrets (database URL, webhook secret) are registered with the log
 * module's redaction as soon as they are read.  Adding an option is one row
 * of the table plus its field here (docs/HACKING.md).
 */
#ifndef PREDEPLOY_CONFIG_H
#define PREDEPLOY_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "util/err.h"
#include "util/strlist.h"

enum backup_policy { BACKUP_AUTO, BACKUP_ALWAYS, BACKUP_NEVER };
enum backup_scope_opt { SCOPE_AUTO, SCOPE_FULL, SCOPE_AT_RISK };
enum output_format { OUT_TEXT, OUT_JSON, OUT_GITHUB };
enum webhook_format { WEBHOOK_JSON, WEBHOOK_SLACK, WEBHOOK_DISCORD };
enum config_source { CONFIG_SRC_DEFAULT, CONFIG_SRC_ENV, CONFIG_SRC_FLAG };

struct crypt_keys;

struct config {
	char *database_url;         /* NULL: libpq's PG* variables; ${VAR} expanded */
	char *dir;
	int dir_set;                /* --dir / PREDEPLOY_MIGRATIONS_DIR given */
	int follow_symlinks;        /* migration files may link outside --dir */

	char *migrator;             /* auto|sql|alembic|mikro-orm|prisma|command */
	char *migrate_cmd;          /* NULL: the migrator's default */
	int64_t migrate_timeout_ms;
	char *pending_cmd;
	struct strlist migrate_env; /* NAME=TEMPLATE */
	char *table;                /* may be schema-qualified: "app.migrations" */

	char *seeds_dir;            /* seeds after the migrations (src/seeds.h) */
	int seeds_dir_set;          /* given: it must exist */
	int seed;                   /* PREDEPLOY_SEED=0: skip seeds */
	char *after_cmd;            /* run once per deploy after migrations and seeds */
	int after_cmd_always;       /* ... on every start */
	int64_t after_cmd_timeout_ms;

	enum backup_policy backup;
	char *backup_dir;
	int backup_dir_insecure_ok;
	char *backup_to;            /* NULL: backup_dir; else a directory or s3://BUCKET/PREFIX */
	int s3_path_style;
	char *s3_sse;               /* NULL, "AES256", "aws:kms" */
	char *s3_sse_kms_key_id;
	char *s3_storage_class;
	int verify_readback;
	char *backup_key_file;      /* --backup-key-file (docs/backups.md "Encryption") */
	char *backup_key;           /* PREDEPLOY_BACKUP_KEY: the keys' text (no flag) */
	struct crypt_keys *backup_keys; /* both parsed (config_load_keys); NULL: not encrypted */
	int keep;
	int64_t backup_reuse_ms;
	enum backup_scope_opt backup_scope; /* src/backup_scope.h */
	int64_t backup_full_max;    /* bytes of pg_database_size: auto is full up to this */
	char *backup_full_max_text; /* as given ("1GB") */
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

	enum rehearse_policy { REHEARSE_AUTO, REHEARSE_ALWAYS, REHEARSE_NEVER } rehearse;
	char *shadow_database_url;  /* NULL: a temporary database on the server */
	int64_t shadow_data_max_rows;

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

/* The commands, as bits of an option's `cmds` mask (entrypoint's command
 * table gives each command its bit). */
enum config_cmd {
	CC_RUN = 1u << 0, CC_UP = 1u << 1, CC_DOWN = 1u << 2, CC_STATUS = 1u << 3,
	CC_HISTORY = 1u << 4, CC_CURRENT = 1u << 5, CC_NEW = 1u << 6, CC_STAMP = 1u << 7,
	CC_LINT = 1u << 8, CC_WAIT = 1u << 9, CC_BACKUP = 1u << 10, CC_BACKUPS = 1u << 11,
	CC_RESTORE = 1u << 12, CC_VERSION = 1u << 13, CC_COMPLETION = 1u << 14, CC_CHECK = 1u << 15,
	CC_ADOPT = 1u << 16, CC_COPY = 1u << 17,
};
#define CC_ALL 0xffffffffu

/* Value types.  Storage by type: CT_STR, CT_SECRET: char * (an empty secret
 * is NULL); CT_BOOL: int; CT_INT: int; CT_INT64: int64_t; CT_DURATION:
 * int64_t milliseconds; CT_LIST: struct strlist (values are comma-split);
 * CT_ENUM: the int index of the value in `choices` ("auto|always|never"),
 * or the char * value itself with OPT_ENUM_STR. */
enum config_type { CT_STR, CT_SECRET, CT_BOOL, CT_INT, CT_INT64, CT_DURATION, CT_LIST, CT_ENUM };

/* Row flags. */
#define OPT_ARG      (1u << 0)  /* a command's own argument (up --target): no config
                                   field; entrypoint keeps its value for the command */
#define OPT_NONEMPTY (1u << 1)  /* an empty value is a configuration error */
#define OPT_REPLACE  (1u << 2)  /* CT_LIST: each value replaces the list (else appends) */
#define OPT_ENUM_STR (1u << 3)  /* CT_ENUM kept as a string */
#define OPT_EMPTY_NULL (1u << 4) /* CT_STR: an empty value is NULL (secrets always are) */

struct config_option;
typedef int (*config_setter)(struct config *cfg, const struct config_option *o,
			     const char *value, enum config_source src, struct err *e);

struct config_option {
	const char *name;           /* flag without "--" */
	enum config_type type;
	size_t field;               /* offsetof(struct config, x); unused with OPT_ARG or set */
	const char *def;            /* default, as text: applied and shown by help; NULL: none */
	const char *env;            /* PREDEPLOY_* variable, or NULL */
	unsigned cmds;              /* CC_* of the commands that accept it */
	const char *help;
	/* optional, by designator: */
	const char *choices;        /* CT_ENUM: "a|b|c" */
	unsigned flags;             /* OPT_* */
	int64_t min;                /* CT_INT, CT_INT64, CT_DURATION: lowest value (default 0) */
	int64_t max;                /* CT_DURATION: highest value (0: DURATION_MAX_MS) */
	const char *env_fallback;   /* read when `env` is unset (DATABASE_URL) */
	config_setter set;          /* instead of storing at `field` (after type checks) */
};

const struct config_option *config_options(int *count);
/* The first row named `name`, whatever its commands (NULL: no such option). */
const struct config_option *config_option_find(const char *name);
/* The row named `name` that command `cmd` (a CC_* bit) accepts, or NULL. */
const struct config_option *config_option_lookup(const char *name, unsigned cmd);

void config_defaults(struct config *cfg);
int config_load_env(struct config *cfg, struct err *e);
/* Set option `o` from a string; for CT_BOOL, value may be NULL (= true).
 * Not for OPT_ARG rows. */
int config_set_opt(struct config *cfg, const struct config_option *o, const char *value,
		   enum config_source src, struct err *e);
/* config_set_opt of the option named `name` (any command's). */
int config_set(struct config *cfg, const char *name, const char *value,
	       enum config_source src, struct err *e);
int config_finish(struct config *cfg, struct err *e);
/* Parse the backup keys (--backup-key-file, else PREDEPLOY_BACKUP_KEY)
 * into cfg->backup_keys, for the commands that take --backup-key-file:
 * EXIT_CONFIG naming the file and line when they are bad. */
int config_load_keys(struct config *cfg, struct err *e);
void config_release(struct config *cfg);

/* A database is configured: a URL from a flag or variable, or one of libpq's
 * connection variables (PGHOST, PGHOSTADDR, PGPORT, PGDATABASE, PGUSER,
 * PGSERVICE). */
int config_database_configured(const struct config *cfg);
/* The variables config_database_configured looks at, for messages. */
#define CONFIG_DATABASE_VARIABLES \
	"--database-url, PREDEPLOY_DATABASE_URL, DATABASE_URL or PGHOST/PGDATABASE/PGSERVICE"

/* Read a *_FILE secret: content with trailing newlines stripped, capped at
 * 64 KiB. Caller frees. */
char *config_read_secret_file(const char *path, const char *what, struct err *e);

#endif
