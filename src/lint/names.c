/*
 * names: the names lint compares, and where they come from in the parse
 * tree (see lint_int.h).  A nameset is a small case-insensitive set of
 * strings ("t", "s.t", "t.col", "t/conname"); rv_name, names_last,
 * names_join and type_canon turn libpg_query nodes into those strings.
 * table_match is the one rule for "is this the same table": an unqualified
 * name matches the same name in any schema (lint cannot know the
 * search_path, so it errs on the side of "same").
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lint/lint_int.h"
#include "util/strbuf.h"
#include "util/xalloc.h"
#include "util/banned.h"

void nameset_add(struct nameset *s, const char *name)
{
	if (nameset_has(s, name))
		return;
	if (s->n == s->alloc) {
		s->alloc = s->alloc ? s->alloc * 2 : 8;
		s->v = xrealloc(s->v, sizeof(*s->v) * (size_t)s->alloc);
	}
	s->v[s->n++] = xstrdup(name);
}

int nameset_has(const struct nameset *s, const char *name)
{
	int i;

	for (i = 0; i < s->n; i++)
		if (!strcasecmp(s->v[i], name))
			return 1;
	return 0;
}

void nameset_del(struct nameset *s, const char *name)
{
	int i;

	for (i = 0; i < s->n; i++)
		if (!strcasecmp(s->v[i], name)) {
			free(s->v[i]);
			s->v[i] = s->v[--s->n];
			return;
		}
}

void nameset_clear(struct nameset *s)
{
	int i;

	for (i = 0; i < s->n; i++)
		free(s->v[i]);
	free(s->v);
	memset(s, 0, sizeof(*s));
}

const char *name_unqualified(const char *name)
{
	const char *dot = strrchr(name, '.');

	return dot ? dot + 1 : name;
}

int table_match(const char *a, const char *b)
{
	int qa = strchr(a, '.') != NULL, qb = strchr(b, '.') != NULL;

	if (qa == qb)
		return !strcasecmp(a, b);
	return !strcasecmp(name_unqualified(a), name_unqualified(b));
}

int nameset_has_table(const struct nameset *s, const char *table)
{
	int i;

	for (i = 0; i < s->n; i++)
		if (table_match(s->v[i], table))
			return 1;
	return 0;
}

char *rv_name(const PgQuery__RangeVar *rv)
{
	if (!rv || !rv->relname)
		return xstrdup("");
	if (rv->schemaname && rv->schemaname[0])
		return xasprintf("%s.%s", rv->schemaname, rv->relname);
	return xstrdup(rv->relname);
}

const char *names_last(PgQuery__Node **v, size_t n)
{
	if (n == 0 || !v[n - 1] || v[n - 1]->node_case != PG_QUERY__NODE__NODE_STRING)
		return "";
	return v[n - 1]->string->sval;
}

char *names_join(PgQuery__Node **v, size_t n)
{
	struct strbuf sb = STRBUF_INIT;
	size_t i;

	for (i = 0; i < n; i++) {
		if (!v[i] || v[i]->node_case != PG_QUERY__NODE__NODE_STRING)
			continue;
		if (sb.len)
			sb_addc(&sb, '.');
		sb_adds(&sb, v[i]->string->sval);
	}
	return sb_detach(&sb, NULL);
}

char *type_canon(const PgQuery__TypeName *t)
{
	struct strbuf sb = STRBUF_INIT;
	size_t i;

	sb_adds(&sb, names_last(t->names, t->n_names));
	if (t->n_typmods) {
		sb_addc(&sb, '(');
		for (i = 0; i < t->n_typmods; i++) {
			const PgQuery__Node *m = t->typmods[i];

			if (i)
				sb_addc(&sb, ',');
			if (m && m->node_case == PG_QUERY__NODE__NODE_A_CONST &&
			    m->a_const->val_case == PG_QUERY__A__CONST__VAL_IVAL && m->a_const->ival)
				sb_addf(&sb, "%d", (int)m->a_const->ival->ival);
			else
				sb_addc(&sb, '?');
		}
		sb_addc(&sb, ')');
	}
	for (i = 0; i < t->n_array_bounds; i++)
		sb_adds(&sb, "[]");
	return sb_detach(&sb, NULL);
}

int ctx_table_is_new(const struct lint_ctx *c, const char *table)
{
	return nameset_has_table(&c->tables, table);
}

int type_change_safe(const char *old, const char *new_)
{
	int on, nn;

	if (!strcmp(old, new_))
		return 1;
	if (!strcmp(old, "varchar") || !strncmp(old, "varchar(", 8)) {
		if (!strcmp(new_, "text") || !strcmp(new_, "varchar"))
			return 1;
		if (!strncmp(new_, "varchar(", 8) && !strncmp(old, "varchar(", 8)) {
			on = atoi(old + 8);
			nn = atoi(new_ + 8);
			return nn >= on;
		}
		return 0;
	}
	if (!strcmp(old, "text"))
		return !strcmp(new_, "varchar");
	if (!strncmp(old, "numeric(", 8)) {
		const char *os = strchr(old, ','), *ns = strchr(new_, ',');

		if (!strcmp(new_, "numeric"))
			return 1;
		if (strncmp(new_, "numeric(", 8))
			return 0;
		on = atoi(old + 8);
		nn = atoi(new_ + 8);
		return nn >= on && atoi(os ? os + 1 : "0") == atoi(ns ? ns + 1 : "0");
	}
	if (!strcmp(old, "cidr"))
		return !strcmp(new_, "inet");
	return 0;
}
