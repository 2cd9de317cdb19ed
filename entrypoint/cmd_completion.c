/*
 * cmd_completion: `predeploy completion bash|zsh`: a completion script
 * generated from the command and option tables, so it always offers what
 * this binary accepts: commands, each command's options, the choices of an
 * option like --backup, help topics, files where a value or path is taken.
 * zsh gets the same function through bashcompinit.
 */
#include <stdio.h>
#include <string.h>

#include "cmd.h"
#include "log.h"
#include "util/exitcode.h"
#include "util/strbuf.h"
#include "util/banned.h"

/* The options of command bit `cmd`, space-separated ("--a --b"); takes_value
 * 1: only those that take a value, as a case pattern ("--a|--b"). */
static void option_words(struct strbuf *sb, unsigned cmd, int takes_value)
{
	const struct config_option *o;
	int i, n, first = 1;

	o = config_options(&n);
	for (i = 0; i < n; i++) {
		if (!(o[i].cmds & cmd) || (takes_value && o[i].type == CT_BOOL))
			continue;
		sb_addf(sb, "%s--%s", first ? "" : takes_value ? "|" : " ", o[i].name);
		first = 0;
	}
}

static void print_bash(void)
{
	const struct command *c;
	const struct config_option *o;
	struct strbuf valued = STRBUF_INIT, sb = STRBUF_INIT;
	int i, j, n, no;

	c = command_list(&n);
	o = config_options(&no);
	option_words(&valued, CC_ALL, 1);
	printf("# bash completion for predeploy (predeploy completion bash)\n"
	       "_predeploy() {\n"
	       "\tlocal cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]} cmd= i\n"
	       "\tfor ((i = 1; i < COMP_CWORD; i++)); do\n"
	       "\t\tcase ${COMP_WORDS[i]} in\n"
	       "\t\t--) return ;;\n"
	       "\t\t%s) ((i++)) ;;\n"
	       "\t\t-*) ;;\n"
	       "\t\t*) [[ -z $cmd ]] && cmd=${COMP_WORDS[i]} ;;\n"
	       "\t\tesac\n"
	       "\tdone\n"
	       "\tcase \"$cmd $prev\" in\n", valued.buf);
	for (i = 0; i < no; i++) {
		if (o[i].type != CT_ENUM)
			continue;
		printf("\t\" --%s\"", o[i].name);
		for (j = 0; j < n; j++)
			if (o[i].cmds & c[j].bit)
				printf("|\"%s --%s\"", c[j].name, o[i].name);
		printf(")\n\t\tCOMPREPLY=($(compgen -W \"");
		for (j = 0; o[i].choices[j]; j++)
			putchar(o[i].choices[j] == '|' ? ' ' : o[i].choices[j]);
		printf("\" -- \"$cur\")); return ;;\n");
	}
	printf("\tesac\n"
	       "\tcase $prev in\n"
	       "\t%s) COMPREPLY=($(compgen -f -- \"$cur\")); return ;;\n"
	       "\tesac\n"
	       "\tif [[ $cur == -* ]]; then\n"
	       "\t\tcase $cmd in\n", valued.buf);
	for (j = 0; j < n; j++) {
		sb_reset(&sb);
		option_words(&sb, c[j].bit, 0);
		printf("\t\t%s) COMPREPLY=($(compgen -W \"%s --help\" -- \"$cur\")) ;;\n", c[j].name, sb.buf);
	}
	sb_reset(&sb);
	for (j = 0; j < n; j++)
		sb_addf(&sb, "%s ", c[j].name);
	printf("\t\t*) COMPREPLY=($(compgen -W \"--help --version\" -- \"$cur\")) ;;\n"
	       "\t\tesac\n"
	       "\t\treturn\n"
	       "\tfi\n"
	       "\tcase $cmd in\n"
	       "\t\"\") COMPREPLY=($(compgen -W \"%shelp\" -- \"$cur\")) ;;\n"
	       "\thelp) COMPREPLY=($(compgen -W \"%soptions exit-codes\" -- \"$cur\")) ;;\n"
	       "\tcompletion) COMPREPLY=($(compgen -W \"bash zsh\" -- \"$cur\")) ;;\n"
	       "\tlint) COMPREPLY=($(compgen -f -- \"$cur\")) ;;\n"
	       "\tesac\n"
	       "}\n"
	       "complete -F _predeploy predeploy\n", sb.buf, sb.buf);
	sb_release(&sb);
	sb_release(&valued);
}

CMD(completion)
{
	(void)cfg;
	if (args->pos.n != 1 || (strcmp(args->pos.v[0], "bash") && strcmp(args->pos.v[0], "zsh")))
		return log_error("usage: predeploy completion bash|zsh"), EXIT_USAGE;
	if (!strcmp(args->pos.v[0], "zsh"))
		printf("#compdef predeploy\n"
		       "# zsh completion for predeploy (predeploy completion zsh): the bash function\n"
		       "autoload -U +X bashcompinit && bashcompinit\n");
	print_bash();
	return 0;
}
