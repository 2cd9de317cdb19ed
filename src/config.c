/* config: see config.h. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "log.h"
#include "util/envexpand.h"
#include "util/exitcode.h"
#include "util/fsutil.h"
#include "util/timeutil.h"
#include "util/xalloc.h"
#include "util/banned.h"

static const struct config_option options[] = {
	{ "database-url", "PREDEPLOY_DATABASE_URL", CT_SECRET, NULL,
	  "PostgreSQL URI or conninfo (else DATABASE_URL, else PG* variables)" },
	{ "dir", "PREDEPLOY_MIGRATIONS_DIR", CT_STR, NULL, "migrations directory (migrations)" },
	{ "migrator", "PREDEPLOY_MIGRATOR", CT_ENUM, "auto|sql|alembic|mikro-orm|prisma|command",
	  "migration tool: predeploy's own (sql) or the team's (auto)" },
	{ "migrate-cmd", "PREDEPLOY_MIGRATE_CMD", CT_STR, NULL,
	  "command that applies pending migrations (split like shell words, no shell)" },
	{ "migrate-timeout", "PREDEPLOY_MIGRATE_TIMEOUT", CT_DURATION, NULL, "kill the migrate command after this (30m)" },
	{ "pending-cmd", "PREDEPLOY_PENDING_CMD", CT_STR, NULL,
	  "--migrator command: exits 0 when up to date, 3 when migrations are pending" },
	{ "migrate-env", "PREDEPLOY_MIGRATE_ENV", CT_LIST, NULL,
	  "NAME=TEMPLATE for the migrate command: {host} {port} {user} {password} {dbname} {url} (repeatable)" },
	{ "table", "PREDEPLOY_TABLE", CT_STR, NULL,
	  "tracking table, optionally schema-qualified (predeploy_migrations)" },
	{ "backup", "PREDEPLOY_BACKUP", CT_ENUM, "auto|always|never", "backup policy (auto)" },
	{ "backup-dir", "PREDEPLOY_BACKUP_DIR", CT_STR, NULL, "backup directory (backups)" },
	{ "backup-dir-insecure-ok", "PREDEPLOY_BACKUP_DIR_INSECURE_OK", CT_BOOL, NULL,
	  "write backups into a directory others can write to or own" },
	{ "keep", "PREDEPLOY_KEEP", CT_INT, NULL, "verified backups to keep (10)" },
	{ "backup-reuse", "PREDEPLOY_BACKUP_REUSE", CT_DURATION, NULL,
	  "reuse a verified backup at the same version younger than this (15m)" },
	{ "pg-dump", "PREDEPLOY_PG_DUMP", CT_STR, NULL, "pg_dump program (pg_dump on PATH)" },
	{ "no-backup", "PREDEPLOY_NO_BACKUP", CT_BOOL, NULL, "restore: skip the safety backup" },
	{ "lock-wait", "PREDEPLOY_LOCK_WAIT", CT_DURATION, NULL, "how long to wait for the migration lock (10m)" },
	{ "lock-timeout", "PREDEPLOY_LOCK_TIMEOUT", CT_DURATION, NULL, "lock_timeout per migration transaction (5s)" },
	{ "lock-retries", "PREDEPLOY_LOCK_RETRIES", CT_INT, NULL, "retries after lock_timeout (3)" },
	{ "statement-timeout", "PREDEPLOY_STATEMENT_TIMEOUT", CT_DURATION, NULL, "statement_timeout (none)" },
	{ "wait-timeout", "PREDEPLOY_WAIT_TIMEOUT", CT_DURATION, NULL, "how long to wait for the database (60s)" },
	{ "protect", "PREDEPLOY_PROTECTED_TABLES", CT_LIST, NULL, "tables no migration may destroy" },
	{ "allow", "PREDEPLOY_ALLOW", CT_LIST, NULL, "lint rules to accept" },
	{ "force", "PREDEPLOY_FORCE", CT_BOOL, NULL, "pass blocked migrations / confirm restore (recorded)" },
	{ "fail-on", "PREDEPLOY_FAIL_ON", CT_ENUM, "error|warning", "lint severity that blocks (error)" },
	{ "large-table", "PREDEPLOY_LARGE_TABLE", CT_INT, NULL, "rows above which lock warnings block" },
	{ "allow-drift", "PREDEPLOY_ALLOW_DRIFT", CT_BOOL, NULL, "do not refuse modified or missing migrations" },
	{ "allow-out-of-order", "PREDEPLOY_ALLOW_OUT_OF_ORDER", CT_BOOL, NULL, "apply pending versions older than the newest applied" },
	{ "single-transaction", "PREDEPLOY_SINGLE_TRANSACTION", CT_BOOL, NULL, "apply all pending migrations in one transaction" },
	{ "webhook", "PREDEPLOY_WEBHOOK_URL", CT_LIST, NULL, "webhook URL (repeatable; comma-separated in the variable)" },
	{ "webhook-secret", "PREDEPLOY_WEBHOOK_SECRET", CT_SECRET, NULL, "Standard Webhooks signing secret (whsec_...)" },
	{ "webhook-format", "PREDEPLOY_WEBHOOK_FORMAT", CT_ENUM, "json|slack|discord", "webhook payload shape (json)" },
	{ "webhook-required", "PREDEPLOY_WEBHOOK_REQUIRED", CT_BOOL, NULL, "fail (15) when the webhook is not delivered" },
	{ "webhook-events", "PREDEPLOY_WEBHOOK_EVENTS", CT_ENUM, "end|all", "also post at start with all (end)" },
	{ "webhook-ca-file", "PREDEPLOY_WEBHOOK_CA_FILE", CT_STR, NULL, "CA bundle for the webhook's TLS" },
	{ "termination-log", "PREDEPLOY_TERMINATION_LOG", CT_STR, NULL, "termination message file (/dev/termination-log)" },
	{ "log-format", "PREDEPLOY_LOG_FORMAT", CT_ENUM, "text|json", "log format on stderr (text)" },
	{ "quiet", "PREDEPLOY_QUIET", CT_BOOL, NULL, "only warnings and errors" },
	{ "verbose", "PREDEPLOY_VERBOSE", CT_BOOL, NULL, "debug logging" },
	{ "format", "PREDEPLOY_FORMAT", CT_ENUM, "text|json|github", "result format on stdout (text)" },
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

void strlist_add(struct strlist *l, const char *s)
{
	l->v = xrealloc(l->v, sizeof(char *) * (size_t)(l->n + 2));
	l->v[l->n++] = xstrdup(s);
	l->v[l->n] = NULL;
}

void strlist_add_csv(struct strlist *l, const char *csv)
{
	const char *p = csv;

	while (*p) {
		const char *end = p + strcspn(p, ",");
		const char *a = p, *b = end;
		while (a < b && isspace((unsigned char)*a))
			a++;
		while (b > a && isspace((unsigned char)b[-1]))
			b--;
		if (b > a) {
			char *s = xstrndup(a, (size_t)(b - a));
			strlist_add(l, s);
			free(s);
		}
		p = *end ? end + 1 : end;
	}
}

int strlist_has(const struct strlist *l, const char *s)
{
	int i;
	for (i = 0; i < l->n; i++)
		if (!strcmp(l->v[i], s))
			return 1;
	return 0;
}

int strlist_has_ci(const struct strlist *l, const char *s)
{
	int i;
	for (i = 0; i < l->n; i++)
		if (!strcasecmp(l->v[i], s))
			return 1;
	return 0;
}

void strlist_clear(struct strlist *l)
{
	int i;
	for (i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

static void set_str(char **dst, const char *v)
{
	free(*dst);
	*dst = v ? xstrdup(v) : NULL;
}

void config_defaults(struct config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->dir = xstrdup("migrations");
	cfg->migrator = xstrdup("auto");
	cfg->migrate_timeout_ms = 30 * 60 * 1000;
	cfg->table = xstrdup("predeploy_migrations");
	cfg->backup = BACKUP_AUTO;
	cfg->backup_dir = xstrdup("backups");
	cfg->keep = 10;
	cfg->backup_reuse_ms = 15 * 60 * 1000;
	cfg->lock_wait_ms = 10 * 60 * 1000;
	cfg->lock_timeout_ms = 5000;
	cfg->lock_retries = 3;
	cfg->wait_timeout_ms = 60 * 1000;
	cfg->fail_on = xstrdup("error");
}

void config_release(struct config *cfg)
{
	free(cfg->database_url);
	free(cfg->dir);
	free(cfg->migrator);
	free(cfg->migrate_cmd);
	free(cfg->pending_cmd);
	strlist_clear(&cfg->migrate_env);
	free(cfg->table);
	free(cfg->backup_dir);
	free(cfg->pg_dump);
	free(cfg->fail_on);
	free(cfg->webhook_secret);
	free(cfg->webhook_ca_file);
	free(cfg->termination_log);
	strlist_clear(&cfg->protect);
	strlist_clear(&cfg->allow);
	strlist_clear(&cfg->webhooks);
	memset(cfg, 0, sizeof(*cfg));
}

static const char *src_name(enum config_source src, const struct config_option *o)
{
	static char buf[128];

	if (src == CONFIG_SRC_ENV && o->env) {
		snprintf(buf, sizeof(buf), "%s", o->env);
		return buf;
	}
	snprintf(buf, sizeof(buf), "--%s", o->name);
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

int config_set(struct config *cfg, const char *name, const char *value,
	       enum config_source src, struct err *e)
{
	const struct config_option *o = config_option_find(name);
	int64_t n = 0, ms = 0;
	int b = 0, idx = -1;

	if (!o)
		return err_set(e, EXIT_USAGE, "unknown option \"--%s\"", name);
	if (o->type != CT_BOOL && !value)
		return err_set(e, EXIT_USAGE, "option \"--%s\" needs a value", name);

	switch (o->type) {
	case CT_BOOL:
		if (parse_bool(value, &b) < 0)
			return err_set(e, EXIT_CONFIG, "invalid value \"%s\" for %s: expected true or false",
				       value, src_name(src, o));
		break;
	case CT_INT:
		if (parse_int(value, &n) < 0 || n > INT32_MAX)
			return err_set(e, EXIT_CONFIG, "invalid value \"%s\" for %s: expected a whole number >= 0",
				       value, src_name(src, o));
		break;
	case CT_DURATION:
		if (duration_parse(value, &ms) < 0)
			return err_set(e, EXIT_CONFIG,
				       "invalid duration \"%s\" for %s: use forms like 500ms, 5s, 10m, 1h",
				       value, src_name(src, o));
		break;
	case CT_ENUM:
		idx = enum_index(o->choices, value);
		if (idx < 0)
			return err_set(e, EXIT_CONFIG, "invalid value \"%s\" for %s: expected one of %s",
				       value, src_name(src, o), o->choices);
		break;
	case CT_SECRET:
		log_add_secret(value);
		break;
	default:
		break;
	}

	if (!strcmp(name, "database-url")) {
		char *url = strstr(value, "${") ? env_expand(value, src_name(src, o), e) : xstrdup(value);

		if (!url)
			return -1;
		log_add_secret(url);
		set_str(&cfg->database_url, *url ? url : NULL);
		free(url);
	} else if (!strcmp(name, "dir")) {
		set_str(&cfg->dir, value);
		cfg->dir_set = 1;
	} else if (!strcmp(name, "migrator")) {
		set_str(&cfg->migrator, value);
	} else if (!strcmp(name, "migrate-cmd")) {
		set_str(&cfg->migrate_cmd, *value ? value : NULL);
	} else if (!strcmp(name, "migrate-timeout")) {
		if (ms <= 0)
			return err_set(e, EXIT_CONFIG, "invalid value \"%s\" for %s: must be more than 0",
				       value, src_name(src, o));
		cfg->migrate_timeout_ms = ms;
	} else if (!strcmp(name, "pending-cmd")) {
		set_str(&cfg->pending_cmd, *value ? value : NULL);
	} else if (!strcmp(name, "migrate-env")) {
		if (src == CONFIG_SRC_ENV)
			strlist_add_csv(&cfg->migrate_env, value);
		else
			strlist_add(&cfg->migrate_env, value);
		for (idx = 0; idx < cfg->migrate_env.n; idx++) {
			const char *t = cfg->migrate_env.v[idx];
			size_t nl = strcspn(t, "=");

			if (!t[nl] || !nl || t[strspn(t, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_")] != '=')
				return err_set(e, EXIT_CONFIG, "invalid value \"%s\" for %s: expected NAME=TEMPLATE, "
					       "such as DB_HOST={host}", t, src_name(src, o));
		}
	} else if (!strcmp(name, "table")) {
		if (!*value)
			return err_set(e, EXIT_CONFIG, "%s must not be empty", src_name(src, o));
		set_str(&cfg->table, value);
	} else if (!strcmp(name, "backup")) {
		cfg->backup = (enum backup_policy)idx;
	} else if (!strcmp(name, "backup-dir")) {
		set_str(&cfg->backup_dir, value);
	} else if (!strcmp(name, "backup-dir-insecure-ok")) {
		cfg->backup_dir_insecure_ok = b;
	} else if (!strcmp(name, "keep")) {
		if (n < 1)
			return err_set(e, EXIT_CONFIG, "invalid value \"%s\" for %s: keep at least 1 backup",
				       value, src_name(src, o));
		cfg->keep = (int)n;
	} else if (!strcmp(name, "backup-reuse")) {
		cfg->backup_reuse_ms = ms;
	} else if (!strcmp(name, "pg-dump")) {
		set_str(&cfg->pg_dump, value);
	} else if (!strcmp(name, "no-backup")) {
		cfg->no_backup = b;
	} else if (!strcmp(name, "lock-wait")) {
		cfg->lock_wait_ms = ms;
	} else if (!strcmp(name, "lock-timeout")) {
		if (ms <= 0)
			return err_set(e, EXIT_CONFIG, "invalid value \"%s\" for %s: must be more than 0",
				       value, src_name(src, o));
		cfg->lock_timeout_ms = ms;
	} else if (!strcmp(name, "lock-retries")) {
		cfg->lock_retries = (int)n;
	} else if (!strcmp(name, "statement-timeout")) {
		cfg->statement_timeout_ms = ms;
	} else if (!strcmp(name, "wait-timeout")) {
		cfg->wait_timeout_ms = ms;
	} else if (!strcmp(name, "protect")) {
		strlist_clear(&cfg->protect);
		strlist_add_csv(&cfg->protect, value);
	} else if (!strcmp(name, "allow")) {
		if (src == CONFIG_SRC_ENV)
			strlist_clear(&cfg->allow);
		strlist_add_csv(&cfg->allow, value);
	} else if (!strcmp(name, "force")) {
		cfg->force = b;
	} else if (!strcmp(name, "fail-on")) {
		set_str(&cfg->fail_on, value);
	} else if (!strcmp(name, "large-table")) {
		cfg->large_table = n;
	} else if (!strcmp(name, "allow-drift")) {
		cfg->allow_drift = b;
	} else if (!strcmp(name, "allow-out-of-order")) {
		cfg->allow_out_of_order = b;
	} else if (!strcmp(name, "single-transaction")) {
		cfg->single_transaction = b;
	} else if (!strcmp(name, "webhook")) {
		strlist_add_csv(&cfg->webhooks, value);
	} else if (!strcmp(name, "webhook-secret")) {
		set_str(&cfg->webhook_secret, *value ? value : NULL);
	} else if (!strcmp(name, "webhook-format")) {
		cfg->webhook_format = (enum webhook_format)idx;
	} else if (!strcmp(name, "webhook-required")) {
		cfg->webhook_required = b;
	} else if (!strcmp(name, "webhook-events")) {
		cfg->webhook_events_all = idx == 1;
	} else if (!strcmp(name, "webhook-ca-file")) {
		set_str(&cfg->webhook_ca_file, value);
	} else if (!strcmp(name, "termination-log")) {
		set_str(&cfg->termination_log, value);
	} else if (!strcmp(name, "log-format")) {
		cfg->log_json = idx == 1;
	} else if (!strcmp(name, "quiet")) {
		cfg->quiet = b;
	} else if (!strcmp(name, "verbose")) {
		cfg->verbose = b;
	} else if (!strcmp(name, "format")) {
		cfg->format = (enum output_format)idx;
	}
	return 0;
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
			if (r == 0 && !strcmp(o->name, "database-url")) {
				r = env_secret("DATABASE_URL", &secret, e);
				if (r < 0)
					return -1;
			}
			if (r == 1) {
				r = config_set(cfg, o->name, secret, CONFIG_SRC_ENV, e);
				free(secret);
				secret = NULL;
				if (r < 0)
					return -1;
			}
			continue;
		}
		v = getenv(o->env);
		if (!v || (!*v && o->type != CT_BOOL && o->type != CT_STR && o->type != CT_LIST))
			continue;
		if (config_set(cfg, o->name, v, CONFIG_SRC_ENV, e) < 0)
			return -1;
	}
	/* PGPASSWORD is a secret too, whoever set it. */
	log_add_secret(getenv("PGPASSWORD"));
	return 0;
}

int config_finish(struct config *cfg, struct err *e)
{
	if (cfg->quiet && cfg->verbose)
		return err_set(e, EXIT_CONFIG, "--quiet and --verbose cannot be used together");
	if (!cfg->dir || !*cfg->dir)
		return err_set(e, EXIT_CONFIG, "--dir must not be empty");
	if (!cfg->backup_dir || !*cfg->backup_dir)
		return err_set(e, EXIT_CONFIG, "--backup-dir must not be empty");
	return 0;
}
