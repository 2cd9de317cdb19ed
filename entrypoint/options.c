/*
 * options: argv against the option table (src/config.c) and the command
 * table (main.c); see args_parse in cmd.h.
 *
 * Two passes: the first finds the command, splits "--name=value" /
 * "--name value" (an option takes a value unless its type is CT_BOOL) and
 * rejects names no command knows, offering the nearest one ("did you
 * mean"); the second, once the command is known, checks that the command
 * accepts each option (64 otherwise) and stores the values in order, so the
 * last flag wins and flags override the environment.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "log.h"
#include "util/exitcode.h"
#include "util/suggest.h"
#include "util/xalloc.h"
#include "util/banned.h"

const char *args_get(const struct cmd_args *a, const char *name)
{
	int i;

	for (i = a->names.n - 1; i >= 0; i--)
		if (!strcmp(a->names.v[i], name))
			return a->values.v[i];
	return NULL;
}

int args_has(const struct cmd_args *a, const char *name)
{
	return args_get(a, name) != NULL;
}

int args_none(const struct cmd_args *a)
{
	if (a->pos.n)
		return log_error("unexpected argument \"%s\"", a->pos.v[0]), EXIT_USAGE;
	return 0;
}

void args_release(struct cmd_args *a)
{
	strlist_clear(&a->pos);
	strlist_clear(&a->names);
	strlist_clear(&a->values);
}

static int usage_error(const struct command *c, const char *msg, const char *arg, const char *suggestion)
{
	log_error(msg, arg);
	if (suggestion)
		fprintf(stderr, "hint: did you mean \"%s\"?\n", suggestion);
	else
		fprintf(stderr, "hint: run 'predeploy %s%s--help' for usage\n", c ? c->name : "", c ? " " : "");
	return EXIT_USAGE;
}

/* The option name nearest to `name` among those `c` accepts (all when c is
 * NULL), as "--name" in buf; NULL when none is near. */
static const char *suggest_option(const struct command *c, const char *name, char *buf, size_t cap)
{
	struct suggest s = SUGGEST_INIT(name);
	const struct config_option *o;
	int i, n;

	o = config_options(&n);
	for (i = 0; i < n; i++)
		if (!c || (o[i].cmds & c->bit))
			suggest_offer(&s, o[i].name);
	suggest_offer(&s, "help");
	if (!s.best)
		return NULL;
	snprintf(buf, cap, "--%s", s.best);
	return buf;
}

static const char *suggest_command(const char *word)
{
	struct suggest s = SUGGEST_INIT(word);
	const struct command *c;
	int i, n;

	c = command_list(&n);
	for (i = 0; i < n; i++)
		suggest_offer(&s, c[i].name);
	suggest_offer(&s, "help");
	return s.best;
}

struct flag {
	char *name;
	const char *value;      /* NULL: a flag without value */
};

/* Second pass: every option against the command's rows, in order. */
static int apply_flags(const struct command *c, struct flag *f, int nf, struct config *cfg,
		       struct cmd_args *a)
{
	struct err e = ERR_INIT;
	char sug[80], msg[256];
	int i;

	for (i = 0; i < nf; i++) {
		const struct config_option *o = config_option_lookup(f[i].name, c->bit);

		if (!o) {
			snprintf(msg, sizeof(msg), "option \"--%%s\" is not accepted by \"%s\"", c->name);
			return usage_error(c, msg, f[i].name, suggest_option(c, f[i].name, sug, sizeof(sug)));
		}
		if (o->flags & OPT_ARG) {
			if (o->type == CT_BOOL && f[i].value)
				return usage_error(c, "option \"--%s\" takes no value", f[i].name, NULL);
			strlist_add(&a->names, o->name);
			strlist_add(&a->values, f[i].value ? f[i].value : "");
		} else if (config_set_opt(cfg, o, f[i].value, CONFIG_SRC_FLAG, &e) < 0) {
			return report_err(&e);
		}
	}
	return 0;
}

int args_parse(int argc, char **argv, struct config *cfg, struct cmd_args *a,
	       const struct command **cmd, int *help, const char **topic)
{
	struct flag *f = xcalloc((size_t)argc + 1, sizeof(*f));
	const struct command *c = NULL;
	char sug[80];
	int i, nf = 0, rc = 0;

	*help = 0;
	*topic = NULL;
	for (i = 1; i < argc; i++) {
		const char *arg = argv[i];

		if (!strcmp(arg, "--")) {
			a->exec_argv = argv + i + 1;
			a->exec_argc = argc - i - 1;
			break;
		}
		if (!strcmp(arg, "-h") || !strcmp(arg, "--help")) {
			*help = 1;
		} else if (!strcmp(arg, "--version") && !c) {
			c = command_find("version");
		} else if (!strcmp(arg, "-q")) {
			f[nf].name = xstrdup("quiet");
			f[nf++].value = NULL;
		} else if (!strncmp(arg, "--", 2) && arg[2]) {
			const char *eq = strchr(arg, '=');
			char *name = eq ? xstrndup(arg + 2, (size_t)(eq - arg - 2)) : xstrdup(arg + 2);
			const struct config_option *o = c ? config_option_lookup(name, c->bit) : NULL;

			f[nf].name = name;
			f[nf++].value = eq ? eq + 1 : NULL;
			if (!o)
				o = config_option_find(name);
			if (!o) {
				rc = usage_error(c, "unknown option \"--%s\"", name,
						 suggest_option(c, name, sug, sizeof(sug)));
				goto out;
			}
			if (!eq && o->type != CT_BOOL) {
				if (i + 1 >= argc) {
					rc = usage_error(c, "option \"--%s\" needs a value", name, NULL);
					goto out;
				}
				f[nf - 1].value = argv[++i];
			}
		} else if (arg[0] == '-' && arg[1]) {
			rc = usage_error(c, "unknown option \"%s\"", arg, NULL);
			goto out;
		} else if (!c) {
			if (!strcmp(arg, "help")) {
				*help = 1;
				*topic = i + 1 < argc ? argv[i + 1] : NULL;
				goto out;
			}
			c = command_find(arg);
			if (!c) {
				const char *near = suggest_command(arg);

				log_error("unknown command \"%s\"", arg);
				if (near)
					fprintf(stderr, "hint: did you mean \"%s\"?\n", near);
				else
					fprintf(stderr, "hint: run 'predeploy help' for the list of commands\n");
				rc = EXIT_USAGE;
				goto out;
			}
		} else {
			strlist_add(&a->pos, arg);
		}
	}
	if (*help) {
		*topic = c ? c->name : NULL;
		goto out;
	}
	if (!c)
		goto out;
	if (a->exec_argv && strcmp(c->name, "run")) {
		rc = usage_error(c, "\"--\" and a command to exec are only accepted by \"%s\"", "run", NULL);
		goto out;
	}
	rc = apply_flags(c, f, nf, cfg, a);
out:
	for (i = 0; i < nf; i++)
		free(f[i].name);
	free(f);
	*cmd = c;
	return rc;
}
