/* cmd_backups: `predeploy backups`: the backups in --backup-dir, newest
 * first, numbered from 0 (the numbers `restore --backup N` takes): time,
 * size, schema version, verified, encrypted (with which key id), scope (full
 * or at-risk, with its tables on a second line), path.  A backup with a sidecar is read
 * and hashed: one whose SHA-256 no longer matches is shown as MODIFIED
 * (verified false).  No database connection needed. */
#include <stdio.h>
#include <stdlib.h>

#include "backup.h"
#include "cmd.h"
#include "log.h"
#include "util/exitcode.h"
#include "util/json.h"
#include "util/strbuf.h"
#include "util/xalloc.h"
#include "util/banned.h"

/* "scope": "full" | "at-risk" (null when unverified), "tables": [...] */
static void scope_json(struct json_w *j, const struct backup_entry *b)
{
	struct strlist t = { 0 };
	int i, at_risk = backup_sidecar_scope(b->sidecar, &t);

	jw_str(j, "scope", !b->verified ? NULL : at_risk ? "at-risk" : "full");
	jw_arr(j, "tables");
	for (i = 0; i < t.n; i++)
		jw_str(j, NULL, t.v[i]);
	jw_end(j);
	strlist_clear(&t);
}

static void print_json(const struct backup_list *l, const int *modified)
{
	struct strbuf sb = STRBUF_INIT;
	struct json_w j;
	int i;

	jw_init(&j, &sb, 0);
	jw_arr(&j, NULL);
	for (i = 0; i < l->n; i++) {
		const struct backup_entry *b = &l->v[i];

		jw_obj(&j, NULL);
		jw_int(&j, "index", i);
		jw_str(&j, "time", b->when);
		jw_str(&j, "database", b->database);
		jw_str(&j, "schema_version", b->version);
		jw_int(&j, "size", (long long)b->size);
		jw_bool(&j, "verified", b->verified && !modified[i]);
		jw_bool(&j, "modified", modified[i]);
		jw_bool(&j, "encrypted", b->encrypted);
		if (b->key_id[0])
			jw_str(&j, "key_id", b->key_id);
		else
			jw_null(&j, "key_id");
		jw_str(&j, "sha256", b->sha256);
		jw_str(&j, "path", b->path);
		scope_json(&j, b);
		jw_end(&j);
	}
	jw_end(&j);
	sb_addc(&sb, '\n');
	fwrite(sb.buf, 1, sb.len, stdout);
	sb_release(&sb);
}

CMD(backups)
{
	struct backup_list l = BACKUP_LIST_INIT;
	struct storage *st;
	struct err e = ERR_INIT;
	int i, rc, *modified;

	(void)args;
	st = backup_store_open(cfg, &e);
	rc = st ? backup_list(st, NULL, &l, &e) : -1;
	if (rc < 0) {
		storage_free(st);
		return report_err(&e);
	}
	modified = xcalloc((size_t)l.n + 1, sizeof(*modified));
	for (i = 0; i < l.n; i++) {
		struct err he = ERR_INIT;
		int m = l.v[i].verified ? backup_check_hash(st, &l.v[i], &he) : 1;

		if (m < 0)
			log_warn("could not read \"%s\" to check its SHA-256: %s", l.v[i].path, he.msg);
		modified[i] = m == 0;
	}
	if (cfg->format == OUT_JSON) {
		print_json(&l, modified);
	} else if (!l.n) {
		log_info("no backups in \"%s\"", storage_where(st));
	} else {
		printf("%-5s %-20s %10s %-16s %-8s %-16s %-7s %s\n", "INDEX", "TIME", "SIZE", "VERSION", "VERIFIED",
		       "ENCRYPTED", "SCOPE", "PATH");
		for (i = 0; i < l.n; i++) {
			const struct backup_entry *b = &l.v[i];
			struct strlist t = { 0 };
			char size[32];
			int k;

			if (b->size >= 10 * 1000 * 1000)
				snprintf(size, sizeof(size), "%.0f MB", (double)b->size / 1e6);
			else
				snprintf(size, sizeof(size), "%.1f kB", (double)b->size / 1e3);
			printf("%-5d %-20s %10s %-16s %-8s %-16s %-7s %s\n", i, b->when, size, b->version,
			       modified[i] ? "MODIFIED" : b->verified ? "yes" : "no",
			       !b->encrypted ? "no" : b->key_id[0] ? b->key_id : "yes",
			       !b->verified ? "-" : backup_sidecar_scope(b->sidecar, NULL) ? "at-risk" : "full", b->path);
			if (backup_sidecar_scope(b->sidecar, &t) && t.n) {
				printf("      at-risk tables:");
				for (k = 0; k < t.n; k++)
					printf(" %s", t.v[k]);
				printf("\n");
			}
			strlist_clear(&t);
		}
	}
	free(modified);
	backup_list_release(&l);
	storage_free(st);
	return 0;
}
