/* cmd_new: `predeploy new NAME`: create <dir>/<UTC timestamp>_<name>.sql
 * with empty up and down sections; never overwrites. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cmd.h"
#include "log.h"
#include "util/exitcode.h"
#include "util/fsutil.h"
#include "util/timeutil.h"
#include "util/xalloc.h"
#include "util/banned.h"

static const char template_sql[] =
	"-- migrate:up\n\n\n"
	"-- migrate:down\n\n";

CMD(new)
{
	char version[32], name[128];
	struct err e = ERR_INIT;
	const char *in;
	char *path;
	size_t i, n = 0;
	int fd, rc = 0;

	if (args->pos.n != 1)
		return log_error("usage: predeploy new NAME"), EXIT_USAGE;
	in = args->pos.v[0];
	for (i = 0; in[i] && n < sizeof(name) - 1; i++) {
		unsigned char c = (unsigned char)in[i];
		if (isalnum(c))
			name[n++] = (char)tolower(c);
		else if (n && name[n - 1] != '_')
			name[n++] = '_';
	}
	while (n && name[n - 1] == '_')
		n--;
	name[n] = '\0';
	if (!n)
		return log_error("invalid migration name \"%s\": use letters, digits and underscores", in),
		       EXIT_USAGE;
	if (fs_mkdirs(cfg->dir, 0755, &e) < 0)
		return report_err(&e);
	utc_version(time(NULL), version, sizeof(version));
	path = xasprintf("%s/%s_%s.sql", cfg->dir, version, name);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0) {
		err_sys(&e, EXIT_CONFIG, errno, "could not create \"%s\"", path);
		rc = report_err(&e);
	} else {
		if (write(fd, template_sql, sizeof(template_sql) - 1) != (ssize_t)(sizeof(template_sql) - 1) ||
		    close(fd) < 0) {
			err_sys(&e, EXIT_INTERNAL, errno, "could not write \"%s\"", path);
			unlink(path);
			rc = report_err(&e);
		} else {
			printf("%s\n", path);
		}
	}
	free(path);
	return rc;
}
