/* help: see help.h. */
#include "help.h"

#include <string.h>

#include "cmd.h"
#include "config.h"
#include "log.h"
#include "util/exitcode.h"
#include "util/banned.h"

static const struct { int code; const char *meaning; } exit_codes[] = {
	{ 0, "success (after exec, the app's own status is what the orchestrator sees)" },
	{ 3, "status --exit-code: migrations are pending" },
	{ 10, "a risky migration was blocked; nothing changed" },
	{ 11, "a migration failed and was rolled back; the database is at the last good version" },
	{ 12, "a non-transactional migration failed part-way; manual attention needed" },
	{ 13, "drift: an applied migration was modified or removed, or one is out of order" },
	{ 14, "backup failed; nothing changed" },
	{ 15, "the webhook could not be delivered and --webhook-required was set" },
	{ 16, "check: at least one migration does not round-trip (down missing, failing, or not restoring the schema)" },
	{ 64, "usage error" },
	{ 65, "bad input file (unparsable migration, corrupt backup)" },
	{ 69, "database unreachable within --wait-timeout" },
	{ 70, "internal error" },
	{ 75, "migration lock or lock_timeout retries exhausted; retry later" },
	{ 77, "authentication or permission refused" },
	{ 78, "configuration error" },
	{ 126, "run: the app could not be executed (permission)" },
	{ 127, "run: the app was not found" },
	{ 128, "+N: stopped by signal N after cleaning up (143 = SIGTERM, 130 = SIGINT)" },
};

void help_print_overview(FILE *f)
{
	int i, n;
	const struct command *c = command_list(&n);

	fprintf(f, "usage: predeploy [OPTIONS] COMMAND [ARGS] [-- CMD ARGS...]\n\n"
		   "Runs before a PostgreSQL app on every deploy: waits for the database, backs\n"
		   "it up, lints and applies pending migrations under a lock, reports, then\n"
		   "execs the app.\n\ncommands:\n");
	for (i = 0; i < n; i++)
		fprintf(f, "  %-10s %s\n", c[i].name, c[i].summary);
	fprintf(f, "\n'predeploy help COMMAND' for a command, 'predeploy help options' for every\n"
		   "option, 'predeploy help exit-codes' for the exit codes.\n");
}

static void print_options(FILE *f)
{
	int i, n;
	const struct config_option *o = config_options(&n);

	fprintf(f, "global options (flag, environment variable):\n");
	for (i = 0; i < n; i++) {
		char flag[64];
		snprintf(flag, sizeof(flag), "--%s%s", o[i].name,
			 o[i].type == CT_BOOL ? "" : o[i].type == CT_ENUM ? "=X" : "=V");
		fprintf(f, "  %-26s %s\n  %-26s   %s%s%s\n", flag, o[i].help, "", o[i].env ? o[i].env : "",
			o[i].type == CT_SECRET ? " (or " : "", o[i].type == CT_SECRET ? "*_FILE)" : "");
	}
	fprintf(f, "\nDATABASE_URL and libpq's PG* variables are used when no database URL is set.\n"
		   "Durations: 500ms, 5s, 10m, 1h. Flags override the environment.\n");
}

int help_main(const char *topic)
{
	const struct command *c;
	const struct cmd_opt *o;
	size_t i;

	if (!topic) {
		help_print_overview(stdout);
		return 0;
	}
	if (!strcmp(topic, "exit-codes")) {
		printf("exit codes:\n");
		for (i = 0; i < sizeof(exit_codes) / sizeof(exit_codes[0]); i++)
			printf("  %-4d %s\n", exit_codes[i].code, exit_codes[i].meaning);
		return 0;
	}
	if (!strcmp(topic, "options")) {
		print_options(stdout);
		return 0;
	}
	c = command_find(topic);
	if (!c) {
		log_error("no help for \"%s\"", topic);
		fprintf(stderr, "hint: run 'predeploy help' for the list of commands\n");
		return EXIT_USAGE;
	}
	printf("usage: predeploy %s\n\n%s\n", c->usage, c->summary);
	if (c->help)
		printf("\n%s\n", c->help);
	if (c->opts && c->opts[0].name) {
		printf("\noptions:\n");
		for (o = c->opts; o->name; o++) {
			char flag[64];
			snprintf(flag, sizeof(flag), "--%s%s", o->name, o->has_value ? " V" : "");
			printf("  %-22s %s\n", flag, o->help);
		}
	}
	printf("\nGlobal options (database, timeouts, logging): 'predeploy help options'.\n");
	return 0;
}
