/*
 * memory: what lint remembers across the migrations of one report (see
 * lint_int.h): the last known type of each column ("table.col", table
 * unqualified), so change_column_type can tell a binary-compatible change
 * (varchar(50) -> varchar(200)) from a rewrite when an earlier migration of
 * the same run declared the column.  Owned by lint_report.mem, freed by
 * lint_report_release.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lint/lint_int.h"
#include "util/xalloc.h"
#include "util/banned.h"

struct lint_memory {
	char **key;     /* "table.col" */
	char **type;
	int n, alloc;
	struct nameset tables;  /* created by the run so far */
};

static struct lint_memory *memory_of(struct lint_report *r)
{
	if (!r->mem)
		r->mem = xcalloc(1, sizeof(*r->mem));
	return r->mem;
}

void lint_memory_set_type(struct lint_report *r, const char *table, const char *col,
			  const PgQuery__TypeName *t)
{
	struct lint_memory *m = memory_of(r);
	char *key = xasprintf("%s.%s", name_unqualified(table), col);
	int i;

	for (i = 0; i < m->n; i++)
		if (!strcasecmp(m->key[i], key)) {
			free(m->type[i]);
			m->type[i] = type_canon(t);
			free(key);
			return;
		}
	if (m->n == m->alloc) {
		m->alloc = m->alloc ? m->alloc * 2 : 32;
		m->key = xrealloc(m->key, sizeof(*m->key) * (size_t)m->alloc);
		m->type = xrealloc(m->type, sizeof(*m->type) * (size_t)m->alloc);
	}
	m->key[m->n] = key;
	m->type[m->n] = type_canon(t);
	m->n++;
}

const char *lint_memory_get_type(const struct lint_report *r, const char *table, const char *col)
{
	char *key;
	const char *found = NULL;
	int i;

	if (!r->mem)
		return NULL;
	key = xasprintf("%s.%s", name_unqualified(table), col);
	for (i = r->mem->n - 1; i >= 0 && !found; i--)
		if (!strcasecmp(r->mem->key[i], key))
			found = r->mem->type[i];
	free(key);
	return found;
}

void lint_memory_add_table(struct lint_report *r, const char *table)
{
	nameset_add(&memory_of(r)->tables, table);
}

int lint_memory_has_table(const struct lint_report *r, const char *table)
{
	return r->mem && nameset_has_table(&r->mem->tables, table);
}

void lint_memory_free(struct lint_memory *m)
{
	int i;

	if (!m)
		return;
	nameset_clear(&m->tables);
	for (i = 0; i < m->n; i++) {
		free(m->key[i]);
		free(m->type[i]);
	}
	free(m->key);
	free(m->type);
	free(m);
}
