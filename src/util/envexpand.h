/*
 * envexpand: ${VAR} references in a configuration value (an exec-form
 * ENTRYPOINT has no shell to assemble a URL from its parts).
 *
 *   char *url = env_expand("postgres://app:${DB_PASSWORD}@db/app", "--database-url", &err);
 *
 * Only ${NAME} is expanded ($NAME and $$ stay as written); an unset
 * variable is an error (EXIT_CONFIG) naming it and `what`.  Caller frees.
 */
#ifndef PREDEPLOY_ENVEXPAND_H
#define PREDEPLOY_ENVEXPAND_H

#include "util/err.h"

char *env_expand(const char *s, const char *what, struct err *e);

#endif
