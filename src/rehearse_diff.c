/*
 * rehearse_diff: the rehearsal's catalog diff, a second signal that does not
 * depend on the migrator's language (see rehearse.h and rehearse_int.h).
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "rehearse_int.h"
#include "util/exitcode.h"
#include "util/xalloc.h"
#include "util/banned.h"

/* ---- the catalog diff: a second, language-independent signal ---- */

/* Table relfilenodes, to see rewrites ("qname relfilenode" per row). */
int rehearse_filenodes(struct db *db, struct strlist *out, struct err *e)
{
	PGresult *r = db_query(db, "SELECT k FROM (SELECT quote_ident(n.nspname) || '.' || quote_ident(c.relname) || ' ' "
			       "|| c.relfilenode AS k FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
			       "WHERE c.relkind IN ('r', 'm') AND n.nspname NOT IN ('pg_catalog', 'information_schema') "
			       "AND n.nspname NOT LIKE 'pg\\_%') s ORDER BY k COLLATE \"C\"", 0, NULL, EXIT_INTERNAL, e);
	int i;

	if (!r)
		return -1;
	for (i = 0; i < PQntuples(r); i++)
		strlist_add(out, PQgetvalue(r, i, 0));
	PQclear(r);
	return 0;
}

/* "relation public.users" -> "public.users"; column keys give the table
 * and the column. */
static void key_parts(const char *key, const char **kind_end, char *table, size_t tcap, char *col, size_t ccap)
{
	const char *sp = strchr(key, ' '), *name = sp ? sp + 1 : key, *last = strrchr(name, '.');

	*kind_end = sp ? sp : key;
	col[0] = '\0';
	if (!strncmp(key, "column ", 7) && last) {
		size_t n = (size_t)(last - name) + 1 < tcap ? (size_t)(last - name) + 1 : tcap;

		xstrlcpy(table, name, n);
		xstrlcpy(col, last + 1, ccap);
	} else {
		xstrlcpy(table, name, tcap);
	}
}

/* The type part of a column body: everything before " not null",
 * " identity", " generated", " default", " collate" or " position". */
static size_t type_len(const char *body)
{
	static const char *const cut[] = { " not null", " identity", " generated", " default", " collate",
					   " position", NULL };
	size_t n = strlen(body);
	int i;

	for (i = 0; cut[i]; i++) {
		const char *p = strstr(body, cut[i]);

		if (p && (size_t)(p - body) < n)
			n = (size_t)(p - body);
	}
	return n;
}

static const char *position_of(const char *body)
{
	const char *p = strstr(body, " position ");

	return p ? p + 10 : "";
}

/* Is there already a finding for rule on this table (the statement that
 * explains it)?  Tables compare without their schema when one side has
 * none. */
static int explained(const struct lint_report *r, const char *rule, const char *qtable)
{
	const char *bare = strrchr(qtable, '.');
	int i;

	bare = bare ? bare + 1 : qtable;
	for (i = 0; i < r->n; i++) {
		const char *t = r->v[i].table;

		if (!t || (strcmp(r->v[i].rule, rule) && !(!strcmp(rule, "change_column_type") &&
							     !strcmp(r->v[i].rule, "change_column_type_unverified"))))
			continue;
		if (!strcasecmp(t, qtable) || !strcasecmp(t, bare) ||
		    (strrchr(t, '.') && !strcasecmp(strrchr(t, '.') + 1, bare)))
			return 1;
	}
	return 0;
}

static void diff_finding(struct rehearse_result *r, const struct lint_opts *o, const struct rehearse_plan *p,
			 const char *rule, const char *table, const char *what)
{
	const struct rehearse_migration *last = p->n ? &p->migrations[p->n - 1] : NULL;
	struct strbuf msg = STRBUF_INIT;

	if (explained(&r->lint, rule, table) || explained(&r->diff, rule, table))
		return;
	if (!strcmp(rule, "table_rewrite"))
		sb_addf(&msg, "the rehearsal saw %s rewritten (a new relfilenode): on the live table the rewrite holds "
			"an ACCESS EXCLUSIVE lock that blocks all reads and writes until it finishes", what);
	else
		sb_addf(&msg, "the rehearsal's catalog shows %s, but no statement the migrator sent names it directly "
			"(DDL inside a function or a DO block?)", what);
	lint_report_add(&r->diff, o, NULL, rule, last ? last->path : "(rehearsal)", last ? last->id : "",
			last && last->line ? last->line : 1, table, msg.buf);
	sb_release(&msg);
}

static int snap_has(const struct schema_snap *s, const char *key)
{
	int i;

	for (i = 0; i < s->n; i++)
		if (!strcmp(s->v[i].key, key))
			return 1;
	return 0;
}

void rehearse_catalog_diff(const struct schema_snap *a, const struct schema_snap *b, const struct strlist *fa,
			 const struct strlist *fb, const struct config *cfg, const struct rehearse_plan *p,
			 struct rehearse_result *r)
{
	struct lint_opts o;
	int i = 0, j = 0;
	char what[768], table[256], col[128], t2[256], c2[128];
	const char *ke;

	lint_opts_from_config(&o, cfg);
	while (i < a->n || j < b->n) {
		int c = i >= a->n ? 1 : j >= b->n ? -1 : strcmp(a->v[i].key, b->v[j].key);

		if (c > 0) {
			j++;
			continue;
		}
		key_parts(a->v[i].key, &ke, table, sizeof(table), col, sizeof(col));
		if (c < 0) {                                    /* gone */
			if (!strncmp(a->v[i].key, "relation ", 9) &&
			    (!strncmp(a->v[i].body, "table", 5) || !strncmp(a->v[i].body, "partitioned table", 17))) {
				snprintf(what, sizeof(what), "table %s dropped", table);
				diff_finding(r, &o, p, "drop_table", table, what);
			} else if (!strncmp(a->v[i].key, "column ", 7)) {
				/* same table, same position, same type, new name: renamed */
				int k, renamed = 0;

				for (k = 0; k < b->n && !renamed; k++) {
					if (strncmp(b->v[k].key, "column ", 7))
						continue;
					key_parts(b->v[k].key, &ke, t2, sizeof(t2), c2, sizeof(c2));
					renamed = !strcmp(t2, table) && strcmp(c2, col) && !snap_has(a, b->v[k].key) &&
						  !strcmp(position_of(b->v[k].body), position_of(a->v[i].body)) &&
						  type_len(a->v[i].body) == type_len(b->v[k].body) &&
						  !strncmp(a->v[i].body, b->v[k].body, type_len(a->v[i].body));
				}
				snprintf(what, sizeof(what), "column %s.%s %s", table, col, renamed ? "renamed" : "dropped");
				/* a dropped table's columns are the drop_table finding's */
				{
					char rel[300];
					int gone = 1;

					snprintf(rel, sizeof(rel), "relation %s", table);
					for (k = 0; k < b->n; k++)
						if (!strcmp(b->v[k].key, rel))
							gone = 0;
					if (!gone)
						diff_finding(r, &o, p, renamed ? "rename_column" : "drop_column", table, what);
				}
			}
			i++;
			continue;
		}
		if (!strncmp(a->v[i].key, "column ", 7)) {      /* in both: changed? */
			const char *x = a->v[i].body, *y = b->v[j].body;
			size_t lx = type_len(x), ly = type_len(y);

			if (lx != ly || strncmp(x, y, lx)) {
				snprintf(what, sizeof(what), "column %s.%s changed from %.*s to %.*s", table, col, (int)lx, x,
					 (int)ly, y);
				diff_finding(r, &o, p, "change_column_type", table, what);
			}
			if (!strstr(x, " not null") && strstr(y, " not null")) {
				snprintf(what, sizeof(what), "column %s.%s made NOT NULL", table, col);
				diff_finding(r, &o, p, "set_not_null", table, what);
			}
		}
		i++;
		j++;
	}
	/* rewrites: same table, new relfilenode */
	for (i = 0; i < fa->n; i++) {
		const char *sp = strrchr(fa->v[i], ' ');

		for (j = 0; sp && j < fb->n; j++) {
			const char *sq = strrchr(fb->v[j], ' ');

			if (sq && sq - fb->v[j] == sp - fa->v[i] && !strncmp(fa->v[i], fb->v[j], (size_t)(sp - fa->v[i]))) {
				if (strcmp(sp, sq)) {
					xstrlcpy(table, fa->v[i], (size_t)(sp - fa->v[i]) + 1 < sizeof(table)
						 ? (size_t)(sp - fa->v[i]) + 1 : sizeof(table));
					snprintf(what, sizeof(what), "\"%s\"", table);
					diff_finding(r, &o, p, "table_rewrite", table, what);
				}
				break;
			}
		}
	}
}

