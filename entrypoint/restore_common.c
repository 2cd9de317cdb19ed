/* restore_common: what `restore` and `copy` share in entrypoint/: their
 * copy options (--anonymize, --no-owner, --role-map), opening a backup
 * file for the restore, and the closing word on a failed restore
 * (declared in cmd.h). */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "anonymize.h"
#include "cmd.h"
#include "log.h"
#include "restore.h"
#include "util/exitcode.h"
#include "util/banned.h"

int restore_copy_options(const struct cmd_args *args, struct anonymize *an, struct strlist *map,
			 struct restore_opts *o, struct err *e)
{
	const char *file = args_get(args, "anonymize"), *rm = args_get(args, "role-map");
	int i;

	if (rm) {
		strlist_add_csv(map, rm);
		for (i = 0; i < map->n; i++) {
			const char *eq = strchr(map->v[i], '=');

			if (!eq || eq == map->v[i] || !eq[1])
				return err_set(e, EXIT_USAGE, "--role-map: \"%s\" is not OLD=NEW", map->v[i]);
		}
		o->role_map = map;
	}
	o->no_owner = args_has(args, "no-owner");
	if (file) {
		if (anonymize_load(file, an, e) < 0)
			return -1;
		o->after_load = anonymize_run_hook;
		o->after_load_arg = an;
	}
	return 0;
}

int restore_open(const struct config *cfg, const char *path, int err_code, struct restore_opts *o, struct err *e)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0 || fstat(fd, &st) < 0) {
		err_sys(e, err_code, errno, "could not open \"%s\"", path);
		if (fd >= 0)
			close(fd);
		return -1;
	}
	o->fd = fd;
	o->path = path;
	o->table = cfg->table;
	o->keys = cfg->backup_keys;
	o->progress = progress_stderr();
	o->file_size = (int64_t)st.st_size;
	return fd;
}

void restore_say_unchanged(const struct restore_result *res, const char *dbname)
{
	if (res->unchanged)
		log_info("database \"%s\" is unchanged (nothing was committed)", dbname);
	else
		log_error("database \"%s\" may have been changed: check it before using it", dbname);
}
