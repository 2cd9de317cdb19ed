/* cmd_backups: `predeploy backups`: the backups in --backup-dir, newest
 * first, numbered from 0 (the numbers `restore --backup N` takes): time,
 * size, schema version, verified, path.  No database connection needed. */
#include <stdio.h>

#include "backup.h"
#include "cmd.h"
#include "log.h"
#include "util/exitcode.h"
#include "util/strbuf.h"
#include "util/banned.h"

static void print_json(const struct backup_list *l)
{
	struct strbuf sb = STRBUF_INIT;
	int i;

	sb_adds(&sb, "[");
	for (i = 0; i < l->n; i++) {
		const struct backup_entry *b = &l->v[i];

		sb_addf(&sb, "%s{\"index\":%d,\"time\":", i ? "," : "", i);
		sb_add_json_str(&sb, b->when);
		sb_adds(&sb, ",\"database\":");
		sb_add_json_str(&sb, b->database);
		sb_adds(&sb, ",\"schema_version\":");
		sb_add_json_str(&sb, b->version);
		sb_addf(&sb, ",\"size\":%lld,\"verified\":%s,\"sha256\":", (long long)b->size,
			b->verified ? "true" : "false");
		sb_add_json_str(&sb, b->sha256);
		sb_adds(&sb, ",\"path\":");
		sb_add_json_str(&sb, b->path);
		sb_adds(&sb, "}");
	}
	sb_adds(&sb, "]\n");
	fwrite(sb.buf, 1, sb.len, stdout);
	sb_release(&sb);
}

CMD(backups)
{
	struct backup_list l = BACKUP_LIST_INIT;
	struct err e = ERR_INIT;
	int i;

	if (args->pos.n)
		return log_error("unexpected argument \"%s\"", args->pos.v[0]), EXIT_USAGE;
	if (backup_list(cfg->backup_dir, NULL, &l, &e) < 0)
		return report_err(&e);
	if (cfg->format == OUT_JSON) {
		print_json(&l);
	} else if (!l.n) {
		log_info("no backups in \"%s\"", cfg->backup_dir);
	} else {
		printf("%-5s %-20s %10s %-16s %-8s %s\n", "INDEX", "TIME", "SIZE", "VERSION", "VERIFIED", "PATH");
		for (i = 0; i < l.n; i++) {
			const struct backup_entry *b = &l.v[i];
			char size[32];

			if (b->size >= 10 * 1000 * 1000)
				snprintf(size, sizeof(size), "%.0f MB", (double)b->size / 1e6);
			else
				snprintf(size, sizeof(size), "%.1f kB", (double)b->size / 1e3);
			printf("%-5d %-20s %10s %-16s %-8s %s\n", i, b->when, size, b->version,
			       b->verified ? "yes" : "no", b->path);
		}
	}
	backup_list_release(&l);
	return 0;
}
