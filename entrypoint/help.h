/* help: `predeploy help [TOPIC]`, `CMD --help` and the exit-code table. */
#ifndef PREDEPLOY_HELP_H
#define PREDEPLOY_HELP_H

#include <stdio.h>

struct command;
const struct command *command_find(const char *name);
const struct command *command_list(int *n);

/* Print help for a command, "exit-codes", "options", or the overview
 * (topic NULL) to stdout; 0, or 64 for an unknown topic. */
int help_main(const char *topic);
void help_print_overview(FILE *f);

#endif
