/* help: `predeploy help [TOPIC]`, `CMD --help` and the exit-code table.  A
 * command's options, their defaults and variables are generated from the
 * option table (src/config.c). */
#ifndef PREDEPLOY_HELP_H
#define PREDEPLOY_HELP_H

#include <stdio.h>

/* Print help for a command, "exit-codes", "options", or the overview
 * (topic NULL) to stdout; 0, or 64 for an unknown topic. */
int help_main(const char *topic);
void help_print_overview(FILE *f);
/* "--name=V" as help and completion show it (fits in 64 bytes). */
struct config_option;
const char *help_flag(const struct config_option *o, char *buf, size_t cap);

#endif
