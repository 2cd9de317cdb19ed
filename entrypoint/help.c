/* help: see help.h. */
#include "help.h"

#include <string.h>

#include "cmd.h"
#include "config.h"
#include "log.h"
#include "util/strbuf.h"
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
	fprintf(f, "\n'predeploy help COMMAND' for a command and its options, 'predeploy help options'\n"
		   "for every option, 'predeploy help exit-codes' for the exit codes.\n");
}

const char *help_flag(const struct config_option *o, char *buf, size_t cap)
{
	const char *v = "=V";

	switch (o->type) {
	case CT_BOOL: v = ""; break;
	case CT_INT: case CT_INT64: v = "=N"; break;
	case CT_DURATION: v = "=DURATION"; break;
	case CT_LIST: v = "=A,B"; break;
	case CT_ENUM: v = "=X"; break;
	default: break;
	}
	snprintf(buf, cap, "--%s%s", o->name, v);
	return buf;
}

/* One option: flag and help, then its choices, default and variable. */
static void print_option(FILE *f, const struct config_option *o)
{
	char flag[64];
	struct strbuf more = STRBUF_INIT;

	if (o->type == CT_ENUM)
		sb_addf(&more, "one of %s", o->choices);
	if (o->def)
		sb_addf(&more, "%sdefault: %s", more.len ? "; " : "", o->def);
	if (o->env)
		sb_addf(&more, "%senv: %s%s%s", more.len ? "; " : "", o->env,
			o->type == CT_SECRET ? " or " : "", o->type == CT_SECRET ? o->env : "");
	if (o->type == CT_SECRET)
		sb_adds(&more, "_FILE");
	if (o->env_fallback)
		sb_addf(&more, ", else %s", o->env_fallback);
	fprintf(f, "  %-28s %s\n", help_flag(o, flag, sizeof(flag)), o->help);
	if (more.len)
		fprintf(f, "  %-28s   (%s)\n", "", more.buf);
	sb_release(&more);
}

/* The options of the command with bit `cmd`: its own arguments first. */
static void print_command_options(FILE *f, unsigned cmd)
{
	int i, n, pass, any = 0;
	const struct config_option *o = config_options(&n);

	for (pass = 0; pass < 2; pass++) {
		for (i = 0; i < n; i++) {
			if (!(o[i].cmds & cmd) || (!(o[i].flags & OPT_ARG)) != pass)
				continue;
			if (!any++)
				fprintf(f, "\noptions (flag, then choices, default and environment variable):\n");
			print_option(f, &o[i]);
		}
	}
}

static void print_options(FILE *f)
{
	int i, n;
	const struct config_option *o = config_options(&n);

	fprintf(f, "options of every command (flag, then choices, default and environment variable);\n"
		   "'predeploy help COMMAND' shows which ones a command takes:\n");
	for (i = 0; i < n; i++)
		if (!(o[i].flags & OPT_ARG))
			print_option(f, &o[i]);
	fprintf(f, "\nDATABASE_URL and libpq's PG* variables are used when no database URL is set.\n"
		   "Durations: 500ms, 5s, 10m, 1h. Flags override the environment.\n");
}

int help_main(const char *topic)
{
	const struct command *c;
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
	print_command_options(stdout, c->bit);
	printf("\nDurations: 500ms, 5s, 10m, 1h. Flags override the environment.\n");
	return 0;
}
