/* config: see config.h.  The option table is the first thing in this file. */
#include "config.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>

#include "crypt_keys.h"
#include "log.h"
#include "util/exitcode.h"
#include "util/envexpand.h"
#include "util/fsutil.h"
#include "util/timeutil.h"
#include "util/xalloc.h"
#include "util/banned.h"

#define F(x) offsetof(struct config, x)
#define OPT(n, t, f, d, v, c, h) \
	.name = (n), .type = (t), .field = (f), .def = (d), .env = (v), .cmds = (c), .help = (h)

/* PostgreSQL's timeouts are an int of milliseconds. */
#define PG_TIMEOUT_MAX_MS 2147483647LL

/* Which commands use what (CC_* masks). */
#define C_DB      (CC_RUN | CC_UP | CC_DOWN | CC_STATUS | CC_HISTORY | CC_CURRENT | CC_STAMP | \
		   CC_LINT | CC_WAIT | CC_BACKUP | CC_RESTORE | CC_CHECK | CC_ADOPT | CC_COPY)
#define C_FILES   (CC_RUN | CC_UP | CC_DOWN | CC_STATUS | CC_STAMP | CC_LINT | CC_NEW | CC_RESTORE | \
		   CC_CHECK | CC_ADOPT)
#define C_DUMP    (CC_RUN | CC_UP | CC_BACKUP | CC_RESTORE | CC_COPY)
#define C_LOCK    (CC_RUN | CC_UP | CC_DOWN | CC_STAMP | CC_BACKUP | CC_RESTORE | CC_ADOPT | CC_COPY)
#define C_MIGRATE (CC_RUN | CC_UP | CC_DOWN)
#define C_GATE    (CC_RUN | CC_UP | CC_LINT)
#define C_TOOL    (CC_RUN | CC_UP | CC_DOWN | CC_STATUS | CC_HISTORY | CC_CURRENT | CC_STAMP | \
		   CC_LINT | CC_BACKUP | CC_RESTORE | CC_ADOPT)
#define C_PRINT   (CC_UP | CC_STATUS | CC_HISTORY | CC_CURRENT | CC_LINT | CC_BACKUP | CC_BACKUPS | \
		   CC_CHECK)

static int set_database_url(struct config *, const struct config_option *, const char *,
			    enum config_source, struct err *);
static int set_dir(struct config *, const struct config_option *, const char *, enum config_source,
		   struct err *);
static int set_migrate_env(struct config *, const struct config_option *, const char *,
			   enum config_source, struct err *);
static void free_secret(char **p);
static int set_size(struct config *, const struct config_option *, const char *, enum config_source,
		    struct err *);

/*
 * The options.  Columns: name, type, field, default, variable, commands,
 * help; then, by designator, choices (CT_ENUM), flags (OPT_*), min,
 * env_fallback and set.  Rows with OPT_ARG are a command's own arguments:
 * entrypoint/ hands their values to the command (args_get), and their
 * default is only shown.  Help is generated from this table: keep `help`
 * short, without the default (it is printed from `def`).
 */
static const struct config_option options[] = {
	/* connection and files */
	{ OPT("database-url", CT_SECRET, F(database_url), NULL, "PREDEPLOY_DATABASE_URL", C_DB,
	  "PostgreSQL URI or conninfo (else DATABASE_URL, else PG* variables)"),
	  .env_fallback = "DATABASE_URL", .set = set_database_url },
	{ OPT("dir", CT_STR, F(dir), "migrations", "PREDEPLOY_MIGRATIONS_DIR", C_FILES,
	  "migrations directory"), .set = set_dir },
	/* the team's migration tool (docs/migrators.md) */
	{ OPT("migrator", CT_ENUM, F(migrator), "auto", "PREDEPLOY_MIGRATOR", C_TOOL | CC_CHECK,
	  "migration tool: predeploy's own (sql) or the team's (auto: detect)"),
	  .choices = "auto|sql|alembic|mikro-orm|prisma|command", .flags = OPT_ENUM_STR },
	{ OPT("migrate-cmd", CT_STR, F(migrate_cmd), NULL, "PREDEPLOY_MIGRATE_CMD", CC_RUN | CC_UP | CC_CHECK | CC_LINT,
	  "command that applies pending migrations (split like shell words, no shell)"),
	  .flags = OPT_EMPTY_NULL },
	{ OPT("migrate-timeout", CT_DURATION, F(migrate_timeout_ms), "30m", "PREDEPLOY_MIGRATE_TIMEOUT",
	  CC_RUN | CC_UP | CC_CHECK | CC_LINT, "kill the migrate command after this"), .min = 1 },
	{ OPT("pending-cmd", CT_STR, F(pending_cmd), NULL, "PREDEPLOY_PENDING_CMD", C_TOOL,
	  "--migrator command: exits 0 when up to date, 3 when migrations are pending"),
	  .flags = OPT_EMPTY_NULL },
	{ OPT("migrate-env", CT_LIST, F(migrate_env), NULL, "PREDEPLOY_MIGRATE_ENV", CC_RUN | CC_UP | CC_CHECK | CC_LINT,
	  "NAME=TEMPLATE for the migrate command: {host} {port} {user} {password} {dbname} {url} "
	  "(repeatable; comma-separated in the variable)"), .set = set_migrate_env },
	{ OPT("follow-symlinks", CT_BOOL, F(follow_symlinks), NULL, "PREDEPLOY_FOLLOW_SYMLINKS", C_FILES,
	  "accept migration files that are symbolic links leaving --dir") },
	/* after the migrations (docs/run.md) */
	{ OPT("seeds-dir", CT_STR, F(seeds_dir), "seeds", "PREDEPLOY_SEEDS_DIR", CC_RUN | CC_UP | CC_STATUS,
	  "SQL seeds run after the migrations when new or changed (optional when not given)"),
	  .set = set_dir },
	{ OPT("seed", CT_BOOL, F(seed), "true", "PREDEPLOY_SEED", CC_RUN | CC_UP | CC_STATUS,
	  "run the seeds (PREDEPLOY_SEED=0 skips them)") },
	{ OPT("after-cmd", CT_STR, F(after_cmd), NULL, "PREDEPLOY_AFTER_CMD", CC_RUN | CC_UP,
	  "command run under the lock after migrations and seeds, once per deploy"),
	  .flags = OPT_EMPTY_NULL },
	{ OPT("after-cmd-always", CT_BOOL, F(after_cmd_always), NULL, "PREDEPLOY_AFTER_CMD_ALWAYS",
	  CC_RUN | CC_UP, "run --after-cmd on every start") },
	{ OPT("after-cmd-timeout", CT_DURATION, F(after_cmd_timeout_ms), "30m", "PREDEPLOY_AFTER_CMD_TIMEOUT",
	  CC_RUN | CC_UP, "kill --after-cmd after this"), .min = 1 },
	{ OPT("table", CT_STR, F(table), "predeploy_migrations", "PREDEPLOY_TABLE", C_DB,
	  "tracking table, optionally schema-qualified"), .flags = OPT_NONEMPTY },
	{ OPT("wait-timeout", CT_DURATION, F(wait_timeout_ms), "60s", "PREDEPLOY_WAIT_TIMEOUT",
	  CC_RUN | CC_WAIT | CC_CHECK,
	  "how long to wait for the database") },
	/* backups */
	{ OPT("backup", CT_ENUM, F(backup), "auto", "PREDEPLOY_BACKUP", CC_RUN | CC_UP,
	  "backup policy (auto: only when something is pending)"), .choices = "auto|always|never" },
	{ OPT("backup-dir", CT_STR, F(backup_dir), "backups", "PREDEPLOY_BACKUP_DIR", C_DUMP | CC_BACKUPS,
	  "backup directory") },
	{ OPT("backup-dir-insecure-ok", CT_BOOL, F(backup_dir_insecure_ok), NULL, "PREDEPLOY_BACKUP_DIR_INSECURE_OK",
	  C_DUMP, "write backups into a directory others can write to or own") },
	{ OPT("backup-to", CT_STR, F(backup_to), NULL, "PREDEPLOY_BACKUP_TO", C_DUMP | CC_BACKUPS,
	  "backup destination: a directory or s3://BUCKET/PREFIX (instead of --backup-dir)"),
	  .flags = OPT_EMPTY_NULL },
	{ OPT("s3-path-style", CT_BOOL, F(s3_path_style), NULL, "PREDEPLOY_S3_PATH_STYLE", C_DUMP | CC_BACKUPS,
	  "address the bucket as ENDPOINT/BUCKET/KEY (MinIO, s3rver) instead of BUCKET.ENDPOINT") },
	{ OPT("s3-sse", CT_ENUM, F(s3_sse), NULL, "PREDEPLOY_S3_SSE", C_DUMP,
	  "server-side encryption of backup objects"), .choices = "AES256|aws:kms", .flags = OPT_ENUM_STR },
	{ OPT("s3-sse-kms-key-id", CT_STR, F(s3_sse_kms_key_id), NULL, "PREDEPLOY_S3_SSE_KMS_KEY_ID", C_DUMP,
	  "KMS key for --s3-sse aws:kms"), .flags = OPT_EMPTY_NULL },
	{ OPT("s3-storage-class", CT_STR, F(s3_storage_class), NULL, "PREDEPLOY_S3_STORAGE_CLASS", C_DUMP,
	  "storage class of backup objects (STANDARD_IA, ...)"), .flags = OPT_EMPTY_NULL },
	{ OPT("backup-key-file", CT_STR, F(backup_key_file), NULL, "PREDEPLOY_BACKUP_KEY_FILE",
	  CC_RUN | CC_UP | CC_BACKUP | CC_RESTORE,
	  "encrypt backups (AES-256-GCM) with the first key of FILE; every key in it decrypts "
	  "(or the keys themselves in PREDEPLOY_BACKUP_KEY)"), .flags = OPT_EMPTY_NULL },
	{ OPT("verify-readback", CT_BOOL, F(verify_readback), NULL, "PREDEPLOY_VERIFY_READBACK", C_DUMP,
	  "also read an uploaded backup back from the bucket to verify it") },
	{ OPT("keep", CT_INT, F(keep), "10", "PREDEPLOY_KEEP", C_DUMP,
	  "verified backups to keep"), .min = 1 },
	{ OPT("backup-reuse", CT_DURATION, F(backup_reuse_ms), "15m", "PREDEPLOY_BACKUP_REUSE", CC_RUN | CC_UP,
	  "reuse a verified backup at the same version younger than this") },
	{ OPT("backup-scope", CT_ENUM, F(backup_scope), "auto", "PREDEPLOY_BACKUP_SCOPE", CC_RUN | CC_UP,
	  "what a deploy's backup holds: full, at-risk (schema + data of the tables findings put at risk), "
	  "auto (full up to --backup-full-max)"), .choices = "auto|full|at-risk" },
	{ OPT("backup-full-max", CT_STR, F(backup_full_max_text), "1GB", "PREDEPLOY_BACKUP_FULL_MAX", CC_RUN | CC_UP,
	  "largest database (pg_database_size) that --backup-scope auto backs up in full"), .set = set_size },
	{ OPT("pg-dump", CT_STR, F(pg_dump), NULL, "PREDEPLOY_PG_DUMP", C_DUMP,
	  "pg_dump program (default: pg_dump on PATH)") },
	{ OPT("no-backup", CT_BOOL, F(no_backup), NULL, "PREDEPLOY_NO_BACKUP", CC_RUN | CC_UP | CC_RESTORE | CC_COPY,
	  "take no backup (restore: no safety backup first)") },
	/* locks and timeouts */
	{ OPT("lock-wait", CT_DURATION, F(lock_wait_ms), "10m", "PREDEPLOY_LOCK_WAIT", C_LOCK,
	  "how long to wait for the migration lock") },
	{ OPT("lock-timeout", CT_DURATION, F(lock_timeout_ms), "5s", "PREDEPLOY_LOCK_TIMEOUT", C_MIGRATE | CC_CHECK,
	  "lock_timeout per migration transaction"), .min = 1, .max = PG_TIMEOUT_MAX_MS },
	{ OPT("lock-retries", CT_INT, F(lock_retries), "3", "PREDEPLOY_LOCK_RETRIES", C_MIGRATE | CC_CHECK,
	  "retries after lock_timeout") },
	{ OPT("statement-timeout", CT_DURATION, F(statement_timeout_ms), NULL, "PREDEPLOY_STATEMENT_TIMEOUT",
	  C_MIGRATE | CC_CHECK,
	  "statement_timeout (default: none)"), .max = PG_TIMEOUT_MAX_MS },
	/* the gate */
	{ OPT("protect", CT_LIST, F(protect), NULL, "PREDEPLOY_PROTECTED_TABLES", C_MIGRATE | CC_LINT,
	  "tables no migration may destroy"), .flags = OPT_REPLACE },
	{ OPT("allow", CT_LIST, F(allow), NULL, "PREDEPLOY_ALLOW", C_GATE,
	  "lint rules to accept") },
	{ OPT("force", CT_BOOL, F(force), NULL, "PREDEPLOY_FORCE", C_MIGRATE | CC_LINT | CC_RESTORE,
	  "pass blocked migrations / confirm restore (recorded)") },
	{ OPT("fail-on", CT_ENUM, F(fail_on), "error", "PREDEPLOY_FAIL_ON", C_GATE,
	  "lint severity that blocks"), .choices = "error|warning", .flags = OPT_ENUM_STR },
	{ OPT("large-table", CT_INT64, F(large_table), NULL, "PREDEPLOY_LARGE_TABLE", C_GATE,
	  "rows above which lock warnings block") },
	/* rehearsal and scratch databases (docs/rehearsal.md, docs/check.md) */
	{ OPT("rehearse", CT_ENUM, F(rehearse), "auto", "PREDEPLOY_REHEARSE", CC_RUN | CC_UP,
	  "try pending migrations on a shadow copy first (auto: for tool migrators)"),
	  .choices = "auto|always|never" },
	{ OPT("shadow-database-url", CT_SECRET, F(shadow_database_url), NULL, "PREDEPLOY_SHADOW_DATABASE_URL",
	  CC_RUN | CC_UP | CC_CHECK | CC_LINT,
	  "scratch database for the rehearsal and check, emptied first (default: a temporary database "
	  "on the configured server; needs CREATEDB)") },
	{ OPT("shadow-data-max-rows", CT_INT64, F(shadow_data_max_rows), "10000", "PREDEPLOY_SHADOW_DATA_MAX_ROWS",
	  CC_RUN | CC_UP | CC_LINT, "tables up to this many rows are copied into the shadow with their data") },
	{ OPT("allow-drift", CT_BOOL, F(allow_drift), NULL, "PREDEPLOY_ALLOW_DRIFT", C_MIGRATE,
	  "do not refuse modified or missing migrations") },
	{ OPT("allow-out-of-order", CT_BOOL, F(allow_out_of_order), NULL, "PREDEPLOY_ALLOW_OUT_OF_ORDER",
	  CC_RUN | CC_UP,
	  "apply pending versions older than the newest applied") },
	{ OPT("single-transaction", CT_BOOL, F(single_transaction), NULL, "PREDEPLOY_SINGLE_TRANSACTION",
	  CC_RUN | CC_UP,
	  "apply all pending migrations in one transaction") },
	/* reporting */
	{ OPT("webhook", CT_LIST, F(webhooks), NULL, "PREDEPLOY_WEBHOOK_URL",
	  CC_RUN | CC_RESTORE,
	  "webhook URL (repeatable; comma-separated in the variable)") },
	{ OPT("webhook-secret", CT_SECRET, F(webhook_secret), NULL, "PREDEPLOY_WEBHOOK_SECRET",
	  CC_RUN | CC_RESTORE,
	  "Standard Webhooks signing secret (whsec_...)") },
	{ OPT("webhook-format", CT_ENUM, F(webhook_format), "json", "PREDEPLOY_WEBHOOK_FORMAT",
	  CC_RUN | CC_RESTORE,
	  "webhook payload shape"), .choices = "json|slack|discord" },
	{ OPT("webhook-required", CT_BOOL, F(webhook_required), NULL, "PREDEPLOY_WEBHOOK_REQUIRED",
	  CC_RUN | CC_RESTORE,
	  "fail (15) when the webhook is not delivered") },
	{ OPT("webhook-events", CT_ENUM, F(webhook_events_all), "end", "PREDEPLOY_WEBHOOK_EVENTS", CC_RUN,
	  "also post at start with all"), .choices = "end|all" },
	{ OPT("webhook-ca-file", CT_STR, F(webhook_ca_file), NULL, "PREDEPLOY_WEBHOOK_CA_FILE",
	  CC_RUN | CC_RESTORE,
	  "CA bundle for the webhook's TLS") },
	{ OPT("termination-log", CT_STR, F(termination_log), NULL, "PREDEPLOY_TERMINATION_LOG", CC_RUN,
	  "termination message file (default: /dev/termination-log when it exists)") },
	/* output, every command */
	{ OPT("log-format", CT_ENUM, F(log_json), "text", "PREDEPLOY_LOG_FORMAT", CC_ALL,
	  "log format on stderr"), .choices = "text|json" },
	{ OPT("quiet", CT_BOOL, F(quiet), NULL, "PREDEPLOY_QUIET", CC_ALL,
	  "only warnings and errors (-q)") },
	{ OPT("verbose", CT_BOOL, F(verbose), NULL, "PREDEPLOY_VERBOSE", CC_ALL, "debug logging") },
	{ OPT("format", CT_ENUM, F(format), "text", "PREDEPLOY_FORMAT", C_PRINT,
	  "result format on stdout"), .choices = "text|json|github" },

	/* commands' own arguments */
	{ OPT("target", CT_STR, 0, NULL, NULL, CC_UP,
	  "apply up to and including version V"), .flags = OPT_ARG },
	{ OPT("sql", CT_BOOL, 0, NULL, NULL, CC_UP,
	  "print the SQL that would run (BEGIN/COMMIT, SET LOCAL, tracking rows); change nothing"),
	  .flags = OPT_ARG },
	{ OPT("dry-run", CT_BOOL, 0, NULL, NULL, CC_UP,
	  "rehearse the pending migrations on a shadow copy: locks, rewrites, findings; production untouched"),
	  .flags = OPT_ARG },
	{ OPT("steps", CT_STR, 0, "1", NULL, CC_DOWN,
	  "roll back the newest N applied migrations"), .flags = OPT_ARG },
	{ OPT("target", CT_STR, 0, NULL, NULL, CC_DOWN,
	  "roll back everything applied above version V"), .flags = OPT_ARG },
	{ OPT("sql", CT_BOOL, 0, NULL, NULL, CC_DOWN,
	  "print the SQL that would run; change nothing"), .flags = OPT_ARG },
	{ OPT("exit-code", CT_BOOL, 0, NULL, NULL, CC_STATUS,
	  "exit 3 when migrations are pending, 13 on drift"), .flags = OPT_ARG },
	{ OPT("limit", CT_STR, 0, "100", NULL, CC_HISTORY,
	  "show only the newest N entries"), .flags = OPT_ARG },
	{ OPT("backup", CT_STR, 0, NULL, NULL, CC_RESTORE,
	  "restore backup number N of `predeploy backups` (default: the target database's newest)"),
	  .flags = OPT_ARG },
	{ OPT("file", CT_STR, 0, NULL, NULL, CC_RESTORE,
	  "restore this .sql.gz file"), .flags = OPT_ARG },
	{ OPT("from-database", CT_STR, 0, NULL, NULL, CC_RESTORE,
	  "restore the newest backup of database NAME (another database's backups need it)"), .flags = OPT_ARG },
	{ OPT("reset-to", CT_STR, 0, NULL, NULL, CC_RESTORE,
	  "afterwards set the tracking table to version V"), .flags = OPT_ARG },
	{ OPT("replace", CT_BOOL, 0, NULL, NULL, CC_RESTORE,
	  "at-risk backup: put its tables' rows back in place (default: into a side schema)"), .flags = OPT_ARG },
	{ OPT("since", CT_STR, 0, NULL, NULL, CC_CHECK | CC_LINT,
	  "apply migrations up to V unchecked (released); check (or rehearse and lint) the rest"),
	  .flags = OPT_ARG },
	{ OPT("allow-missing-down", CT_BOOL, 0, NULL, NULL, CC_CHECK,
	  "a migration without a down section is a note, not a failure"), .flags = OPT_ARG },
	{ OPT("into", CT_STR, 0, NULL, NULL, CC_RESTORE,
	  "restore into database DB, or a URL on another server or as another role (created if missing) "
	  "instead of the connected one"), .flags = OPT_ARG },
	{ OPT("into", CT_STR, 0, NULL, NULL, CC_COPY,
	  "the copy's database: a name on the same server or a URL (created if missing; replaced)"),
	  .flags = OPT_ARG },
	{ OPT("anonymize", CT_STR, 0, NULL, NULL, CC_COPY | CC_RESTORE,
	  "run this SQL in the same transaction before commit; -- predeploy:expect N rows checks a query"),
	  .flags = OPT_ARG },
	{ OPT("no-owner", CT_BOOL, 0, NULL, NULL, CC_COPY | CC_RESTORE,
	  "skip the dump's ALTER ... OWNER TO: the connecting role owns everything"), .flags = OPT_ARG },
	{ OPT("role-map", CT_STR, 0, NULL, NULL, CC_COPY | CC_RESTORE,
	  "OLD=NEW[,OLD=NEW]: ownership and grants of role OLD go to NEW"), .flags = OPT_ARG },
};

#define NOPTIONS ((int)(sizeof(options) / sizeof(options[0])))

const struct config_option *config_options(int *count)
{
	*count = NOPTIONS;
	return options;
}

const struct config_option *config_option_find(const char *name)
{
	int i;

	for (i = 0; i < NOPTIONS; i++)
		if (!strcmp(options[i].name, name))
			return &options[i];
	return NULL;
}

const struct config_option *config_option_lookup(const char *name, unsigned cmd)
{
	int i;

	for (i = 0; i < NOPTIONS; i++)
		if ((options[i].cmds & cmd) && !strcmp(options[i].name, name))
			return &options[i];
	return NULL;
}

void config_defaults(struct config *cfg)
{
	struct err e = ERR_INIT;
	int i;

	memset(cfg, 0, sizeof(*cfg));
	for (i = 0; i < NOPTIONS; i++)
		if (options[i].def && !(options[i].flags & OPT_ARG) &&
		    config_set_opt(cfg, &options[i], options[i].def, CONFIG_SRC_DEFAULT, &e) < 0)
			xdie(e.msg);    /* a bad default in the table: a bug, caught by every test */
}

void config_release(struct config *cfg)
{
	int i;

	for (i = 0; i < NOPTIONS; i++) {
		const struct config_option *o = &options[i];
		char *p = (char *)cfg + o->field;

		if (o->flags & OPT_ARG)
			continue;
		if (o->type == CT_LIST)
			strlist_clear((struct strlist *)(void *)p);
		else if (o->type == CT_STR || o->type == CT_SECRET ||
			 (o->type == CT_ENUM && (o->flags & OPT_ENUM_STR))) {
			free(*(char **)(void *)p);
			*(char **)(void *)p = NULL;
		}
	}
	free_secret(&cfg->backup_key);
	crypt_keys_free(cfg->backup_keys);
	memset(cfg, 0, sizeof(*cfg));
}

static const char *src_name(enum config_source src, const struct config_option *o, char *buf, size_t cap)
{
	if (src == CONFIG_SRC_ENV && o->env)
		snprintf(buf, cap, "%s", o->env);
	else if (src == CONFIG_SRC_DEFAULT)
		snprintf(buf, cap, "the default of --%s", o->name);
	else
		snprintf(buf, cap, "--%s", o->name);
	return buf;
}

static int parse_bool(const char *v, int *out)
{
	if (!v || !strcasecmp(v, "1") || !strcasecmp(v, "true") || !strcasecmp(v, "yes") ||
	    !strcasecmp(v, "on")) {
		*out = 1;
		return 0;
	}
	if (!*v || !strcasecmp(v, "0") || !strcasecmp(v, "false") || !strcasecmp(v, "no") ||
	    !strcasecmp(v, "off")) {
		*out = 0;
		return 0;
	}
	return -1;
}

static int parse_int(const char *v, int64_t *out)
{
	char *end;
	long long n;

	errno = 0;
	n = strtoll(v, &end, 10);
	if (errno || end == v || *end || n < 0)
		return -1;
	*out = n;
	return 0;
}

static int enum_index(const char *choices, const char *v)
{
	const char *p = choices;
	int i = 0;
	size_t n = strlen(v);

	while (*p) {
		size_t len = strcspn(p, "|");
		if (len == n && !strncmp(p, v, n))
			return i;
		p += len;
		if (*p)
			p++;
		i++;
	}
	return -1;
}

static void set_str(char **dst, const char *v)
{
	free(*dst);
	*dst = v ? xstrdup(v) : NULL;
}

int config_set_opt(struct config *cfg, const struct config_option *o, const char *value,
		   enum config_source src, struct err *e)
{
	char where[160];
	char *p = (char *)cfg + o->field;
	int64_t n = 0;
	int b = 0, idx = -1;

	if (o->flags & OPT_ARG)
		return err_set(e, EXIT_INTERNAL, "option \"--%s\" is a command argument", o->name);
	if (o->type != CT_BOOL && !value)
		return err_set(e, EXIT_USAGE, "option \"--%s\" needs a value", o->name);
	src_name(src, o, where, sizeof(where));
	if ((o->flags & OPT_NONEMPTY) && value && !*value)
		return err_set(e, EXIT_CONFIG, "%s must not be empty", where);

	switch (o->type) {
	case CT_BOOL:
		if (parse_bool(value, &b) < 0)
			return err_set(e, EXIT_CONFIG, "invalid value \"%s\" for %s: expected true or false",
				       value, where);
		break;
	case CT_INT:
	case CT_INT64:
		if (parse_int(value, &n) < 0 || (o->type == CT_INT && n > 0x7fffffff))
			return err_set(e, EXIT_CONFIG, "invalid value \"%s\" for %s: expected a number",
				       value, where);
		break;
	case CT_DURATION:
		idx = duration_parse(value, &n);
		if (idx == -2)
			return err_set(e, EXIT_CONFIG, "invalid value \"%s\" for %s: too long (100 years at most)",
				       value, where);
		if (idx < 0)
			return err_set(e, EXIT_CONFIG,
				       "invalid value \"%s\" for %s: expected a duration like 500ms, 5s, 10m, 1h",
				       value, where);
		break;
	case CT_ENUM:
		idx = enum_index(o->choices, value);
		if (idx < 0)
			return err_set(e, EXIT_CONFIG, "invalid value \"%s\" for %s: expected one of %s",
				       value, where, o->choices);
		break;
	case CT_SECRET:
		log_add_secret(value);
		break;
	default:
		break;
	}
	if ((o->type == CT_INT || o->type == CT_INT64 || o->type == CT_DURATION) && n < o->min)
		return err_set(e, EXIT_CONFIG, "invalid value \"%s\" for %s: must be at least %lld%s", value,
			       where, (long long)o->min, o->type == CT_DURATION ? "ms" : "");
	if (o->type == CT_DURATION && o->max && n > o->max)
		return err_set(e, EXIT_CONFIG, "invalid value \"%s\" for %s: at most %lldms%s", value, where,
			       (long long)o->max, o->max == PG_TIMEOUT_MAX_MS ? ", PostgreSQL's limit" : "");
	if (o->set)
		return o->set(cfg, o, value, src, e);

	switch (o->type) {
	case CT_STR:
		set_str((char **)(void *)p, *value || !(o->flags & OPT_EMPTY_NULL) ? value : NULL);
		break;
	case CT_SECRET:
		set_str((char **)(void *)p, *value ? value : NULL);
		break;
	case CT_BOOL:
		*(int *)(void *)p = b;
		break;
	case CT_INT:
		*(int *)(void *)p = (int)n;
		break;
	case CT_INT64:
	case CT_DURATION:
		*(int64_t *)(void *)p = n;
		break;
	case CT_LIST:
		if (o->flags & OPT_REPLACE)
			strlist_clear((struct strlist *)(void *)p);
		strlist_add_csv((struct strlist *)(void *)p, value);
		break;
	case CT_ENUM:
		if (o->flags & OPT_ENUM_STR)
			set_str((char **)(void *)p, value);
		else
			*(int *)(void *)p = idx;
		break;
	}
	return 0;
}

int config_set(struct config *cfg, const char *name, const char *value,
	       enum config_source src, struct err *e)
{
	const struct config_option *o = config_option_find(name);

	if (!o || (o->flags & OPT_ARG))
		return err_set(e, EXIT_USAGE, "unknown option \"--%s\"", name);
	return config_set_opt(cfg, o, value, src, e);
}

/* ${VAR} references are expanded (an exec-form ENTRYPOINT has no shell);
 * the result is a secret too. */
static int set_database_url(struct config *cfg, const struct config_option *o, const char *value,
			    enum config_source src, struct err *e)
{
	char where[160];
	char *url = strstr(value, "${") ? env_expand(value, src_name(src, o, where, sizeof(where)), e)
					 : xstrdup(value);

	if (!url)
		return -1;
	log_add_secret(url);
	log_add_conninfo_secrets(url);
	set_str(&cfg->database_url, *url ? url : NULL);
	free(url);
	return 0;
}

/* dir_set: given by the user (a migrator's own default folder otherwise). */
/* --dir and --seeds-dir: remember whether the directory was asked for. */
static int set_dir(struct config *cfg, const struct config_option *o, const char *value,
		   enum config_source src, struct err *e)
{
	(void)e;
	int seeds = o->field == F(seeds_dir);

	set_str(seeds ? &cfg->seeds_dir : &cfg->dir, value);
	if (src != CONFIG_SRC_DEFAULT)
		*(seeds ? &cfg->seeds_dir_set : &cfg->dir_set) = 1;
	return 0;
}

/* A size: bytes, or a number with kB, MB, GB or TB (1024-based, as
 * PostgreSQL's own settings; any case, a space allowed).  The text stays in
 * the option's field, the bytes go to backup_full_max. */
static int set_size(struct config *cfg, const struct config_option *o, const char *value,
		    enum config_source src, struct err *e)
{
	static const char *const units[] = { "b", "kb", "mb", "gb", "tb" };
	char *end = NULL, where[160];
	unsigned long long n;
	int i;

	errno = 0;
	n = strtoull(value, &end, 10);
	while (end && *end == ' ')
		end++;
	for (i = 0; end && end != value && i < 5; i++)
		if (!strcasecmp(end, units[i]) || (i == 0 && !*end))
			break;
	if (!end || end == value || *value == '-' || errno || i == 5 || n > (1ULL << 62) >> (10 * i)) {
		return err_set(e, EXIT_CONFIG, "invalid value \"%s\" for %s: expected a size like 500MB, 1GB, 1kB "
			       "or a number of bytes", value, src_name(src, o, where, sizeof(where)));
	}
	set_str(&cfg->backup_full_max_text, value);
	cfg->backup_full_max = (int64_t)(n << (10 * i));
	return 0;
}

/* A flag is one NAME=TEMPLATE (a template may contain commas); the variable
 * is a comma-separated list.  Every entry must be NAME=... */
static int set_migrate_env(struct config *cfg, const struct config_option *o, const char *value,
			   enum config_source src, struct err *e)
{
	char where[160];
	int i;

	if (src == CONFIG_SRC_ENV)
		strlist_add_csv(&cfg->migrate_env, value);
	else
		strlist_add(&cfg->migrate_env, value);
	for (i = 0; i < cfg->migrate_env.n; i++) {
		const char *t = cfg->migrate_env.v[i];
		size_t nl = strcspn(t, "=");

		if (!t[nl] || !nl ||
		    t[strspn(t, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_")] != '=')
			return err_set(e, EXIT_CONFIG, "invalid value \"%s\" for %s: expected NAME=TEMPLATE, "
				       "such as DB_HOST={host}", t, src_name(src, o, where, sizeof(where)));
	}
	return 0;
}

int config_database_configured(const struct config *cfg)
{
	static const char *const vars[] = { "PGHOST", "PGHOSTADDR", "PGPORT", "PGDATABASE", "PGUSER",
					     "PGSERVICE" };
	size_t i;

	if (cfg->database_url)
		return 1;
	for (i = 0; i < sizeof(vars) / sizeof(vars[0]); i++)
		if (getenv(vars[i]) && *getenv(vars[i]))
			return 1;
	return 0;
}

static void free_secret(char **p)
{
	if (*p) {
		OPENSSL_cleanse(*p, strlen(*p));
		free(*p);
		*p = NULL;
	}
}

char *config_read_secret_file(const char *path, const char *what, struct err *e)
{
	struct strbuf sb = STRBUF_INIT;

	if (fs_read_file(path, 64 * 1024, &sb, EXIT_CONFIG, e) < 0) {
		char msg[sizeof(e->msg)];
		xstrlcpy(msg, e->msg, sizeof(msg));
		err_set(e, EXIT_CONFIG, "%s: %s", what, msg);
		sb_release(&sb);
		return NULL;
	}
	sb_trim_trailing_newlines(&sb);
	return sb_detach(&sb, NULL);
}

/* VAR and VAR_FILE: both set is an error; returns 1 when a value was found. */
static int env_secret(const char *var, char **out, struct err *e)
{
	char filevar[128];
	const char *v = getenv(var), *f;

	snprintf(filevar, sizeof(filevar), "%s_FILE", var);
	f = getenv(filevar);
	if (v && *v && f && *f)
		return err_set(e, EXIT_CONFIG, "both %s and %s are set; set only one", var, filevar);
	if (f && *f) {
		*out = config_read_secret_file(f, filevar, e);
		return *out ? 1 : -1;
	}
	if (v && *v) {
		*out = xstrdup(v);
		return 1;
	}
	return 0;
}

/* PREDEPLOY_BACKUP_KEY holds the backup keys themselves: an environment
 * variable only, never a flag (argv is visible to every user).  The keys
 * are parsed where they are used (crypt_keys.h); the text is a secret now,
 * and it leaves the environment, so that no child (pg_dump, the migration
 * tool, the app `run` starts) inherits it. */
static int backup_key_env(struct config *cfg, struct err *e)
{
	const char *v = getenv("PREDEPLOY_BACKUP_KEY"), *f = getenv("PREDEPLOY_BACKUP_KEY_FILE");

	if (!v || !*v)
		return 0;
	log_add_secret(v);
	if (f && *f)
		return err_set(e, EXIT_CONFIG, "both PREDEPLOY_BACKUP_KEY and PREDEPLOY_BACKUP_KEY_FILE are set; "
			       "set only one");
	free_secret(&cfg->backup_key);
	cfg->backup_key = xstrdup(v);
	unsetenv("PREDEPLOY_BACKUP_KEY");
	return 0;
}

int config_load_env(struct config *cfg, struct err *e)
{
	int i, r;
	char *secret = NULL;

	for (i = 0; i < NOPTIONS; i++) {
		const struct config_option *o = &options[i];
		const char *v;

		if (!o->env)
			continue;
		if (o->type == CT_SECRET) {
			r = env_secret(o->env, &secret, e);
			if (r < 0)
				return -1;
			if (r == 0 && o->env_fallback) {
				r = env_secret(o->env_fallback, &secret, e);
				if (r < 0)
					return -1;
			}
			if (r == 1) {
				r = config_set_opt(cfg, o, secret, CONFIG_SRC_ENV, e);
				free(secret);
				secret = NULL;
				if (r < 0)
					return -1;
			}
			continue;
		}
		v = getenv(o->env);
		if (!v && o->env_fallback)
			v = getenv(o->env_fallback);
		if (!v || (!*v && o->type != CT_BOOL && o->type != CT_STR && o->type != CT_LIST))
			continue;
		if (config_set_opt(cfg, o, v, CONFIG_SRC_ENV, e) < 0)
			return -1;
	}
	/* PGPASSWORD is a secret too, whoever set it. */
	log_add_secret(getenv("PGPASSWORD"));
	return backup_key_env(cfg, e);
}

int config_load_keys(struct config *cfg, struct err *e)
{
	crypt_keys_free(cfg->backup_keys);
	cfg->backup_keys = crypt_keys_load(cfg->backup_key_file, cfg->backup_key, e);
	return cfg->backup_keys || !e->code ? 0 : -1;
}

int config_finish(struct config *cfg, struct err *e)
{
	if (cfg->quiet && cfg->verbose)
		return err_set(e, EXIT_CONFIG, "--quiet and --verbose cannot be used together");
	if (!cfg->dir || !*cfg->dir)
		return err_set(e, EXIT_CONFIG, "--dir must not be empty");
	if (!cfg->backup_dir || !*cfg->backup_dir)
		return err_set(e, EXIT_CONFIG, "--backup-dir must not be empty");
	if (cfg->s3_sse_kms_key_id && (!cfg->s3_sse || strcmp(cfg->s3_sse, "aws:kms")))
		return err_set(e, EXIT_CONFIG, "--s3-sse-kms-key-id needs --s3-sse aws:kms");
	return 0;
}
