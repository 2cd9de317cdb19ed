/*
 * fk: foreign keys and the indexes that cover them, for fk_without_index.
 * Rules record every index (and primary key / unique constraint) of the
 * migration with lint_index_cols and report every foreign key with
 * lint_check_fk; a finding whose columns an index created *later* in the
 * same section covers is dropped again by lint_fk_finish at the end of the
 * section (the driver calls it).
 */
#include <stdlib.h>
#include <string.h>

#include "lint/lint_int.h"
#include "util/strbuf.h"
#include "util/xalloc.h"
#include "util/banned.h"

static char *cols_key(const char *table, PgQuery__Node **cols, size_t n)
{
	struct strbuf sb = STRBUF_INIT;
	size_t i;

	sb_addf(&sb, "%s(", name_unqualified(table));
	for (i = 0; i < n; i++) {
		const PgQuery__Node *c = cols[i];
		const char *name = "";

		if (c && c->node_case == PG_QUERY__NODE__NODE_STRING)
			name = c->string->sval;
		else if (c && c->node_case == PG_QUERY__NODE__NODE_INDEX_ELEM && c->index_elem->name)
			name = c->index_elem->name;
		else
			name = "?";     /* expression: covers nothing after it */
		sb_addf(&sb, "%s%s", i ? "," : "", name);
	}
	sb_addc(&sb, ')');
	return sb_detach(&sb, NULL);
}

void lint_index_cols(struct lint_ctx *c, const char *table, PgQuery__Node **cols, size_t ncols)
{
	size_t k;

	for (k = 1; k <= ncols; k++) {
		char *key = cols_key(table, cols, k);

		nameset_add(&c->fk_indexed, key);
		free(key);
	}
}

void lint_index_col(struct lint_ctx *c, const char *table, const char *col)
{
	PgQuery__String s = PG_QUERY__STRING__INIT;
	PgQuery__Node sn = PG_QUERY__NODE__INIT, *p = &sn;

	s.sval = (char *)(col ? col : "");
	sn.node_case = PG_QUERY__NODE__NODE_STRING;
	sn.string = &s;
	lint_index_cols(c, table, &p, 1);
}

void lint_check_fk(struct lint_ctx *c, const char *table, PgQuery__Node **cols, size_t ncols,
		   const char *object)
{
	char *key;
	int k;

	if (!ncols)
		return;
	key = cols_key(table, cols, ncols);
	if (nameset_has(&c->fk_indexed, key)) {
		free(key);
		return;
	}
	k = lint_emit(c, "fk_without_index", table, object);
	if (c->nfk == c->fk_alloc) {
		c->fk_alloc = c->fk_alloc ? c->fk_alloc * 2 : 8;
		c->fk = xrealloc(c->fk, sizeof(*c->fk) * (size_t)c->fk_alloc);
	}
	c->fk[c->nfk].finding = k;
	c->fk[c->nfk].key = key;
	c->nfk++;
}

void lint_check_fk_col(struct lint_ctx *c, const char *table, const char *col, const char *object)
{
	PgQuery__String s = PG_QUERY__STRING__INIT;
	PgQuery__Node sn = PG_QUERY__NODE__INIT, *p = &sn;

	s.sval = (char *)(col ? col : "");
	sn.node_case = PG_QUERY__NODE__NODE_STRING;
	sn.string = &s;
	lint_check_fk(c, table, &p, 1, object);
}

void lint_fk_finish(struct lint_ctx *c)
{
	int i;

	/* newest first, so the indexes of earlier entries stay valid */
	for (i = c->nfk - 1; i >= 0; i--) {
		if (c->fk[i].finding >= 0 && nameset_has(&c->fk_indexed, c->fk[i].key))
			finding_drop(c->r, c->fk[i].finding);
		free(c->fk[i].key);
	}
	free(c->fk);
	c->fk = NULL;
	c->nfk = c->fk_alloc = 0;
}
