/*
 * rules_dynamic: code lint cannot see into: dynamic_sql, for a DO block or
 * a PL/pgSQL function or procedure whose body runs EXECUTE.  The body is
 * tokenized with the SQL lexer (src/sqllex.h; PL/pgSQL quotes and comments
 * like SQL), so EXECUTE inside a string or a comment does not count.
 *
 * Protected tables (--protect): a DO block runs now and can reach any
 * table, so it is treated as touching every protected table; a function
 * only runs when called, so it counts as touching a protected table whose
 * name appears in its body.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lint/lint_int.h"
#include "sqllex.h"
#include "util/xalloc.h"
#include "util/banned.h"

/* Does `word` appear in text as a whole word (any case)? */
static int word_in(const char *text, const char *word)
{
	size_t n = strlen(word);
	const char *p;

	for (p = text; n && *p; p++) {
		if (strncasecmp(p, word, n))
			continue;
		if ((p > text && (isalnum((unsigned char)p[-1]) || p[-1] == '_')) ||
		    isalnum((unsigned char)p[n]) || p[n] == '_')
			continue;
		return 1;
	}
	return 0;
}

/* Does the PL/pgSQL text run EXECUTE?  A text the lexer refuses counts
 * when it contains the word at all (the safe side). */
static int runs_execute(const char *body)
{
	struct sqllex lx;
	struct sqltok t;
	struct err e = ERR_INIT;
	size_t n = strlen(body);
	int r, found = 0;

	sqllex_init(&lx, 0);
	while (!found && (r = sqllex_token(&lx, body, n, 1, &t, &e)) == SQLLEX_TOKEN)
		found = t.kind == SQLTOK_WORD && t.len == 7 && !strncasecmp(body + t.off, "execute", 7);
	sqllex_release(&lx);
	return found || (r < 0 && word_in(body, "execute"));
}

/* The first protected table whose name the body mentions, or NULL. */
static const char *protected_in(const struct lint_ctx *c, const char *body)
{
	int i;

	for (i = 0; c->o->protect && i < c->o->protect->n; i++)
		if (word_in(body, name_unqualified(c->o->protect->v[i])))
			return c->o->protect->v[i];
	return NULL;
}

/* The "as" and "language" options of DO and CREATE FUNCTION. */
static void body_and_language(PgQuery__Node **opts, size_t n, const char **body, const char **lang)
{
	size_t i;

	for (i = 0; i < n; i++) {
		const PgQuery__DefElem *d;
		const PgQuery__Node *a;

		if (!opts[i] || opts[i]->node_case != PG_QUERY__NODE__NODE_DEF_ELEM)
			continue;
		d = opts[i]->def_elem;
		a = d->arg;
		if (!d->defname || !a)
			continue;
		if (!strcmp(d->defname, "language") && a->node_case == PG_QUERY__NODE__NODE_STRING)
			*lang = a->string->sval;
		else if (!strcmp(d->defname, "as") && a->node_case == PG_QUERY__NODE__NODE_STRING)
			*body = a->string->sval;
		else if (!strcmp(d->defname, "as") && a->node_case == PG_QUERY__NODE__NODE_LIST &&
			 a->list->n_items && a->list->items[0] &&
			 a->list->items[0]->node_case == PG_QUERY__NODE__NODE_STRING)
			*body = a->list->items[0]->string->sval;
	}
}

void rules_dynamic(struct lint_ctx *c, const PgQuery__Node *stmt)
{
	const char *body = NULL, *lang = "plpgsql";

	if (stmt->node_case == PG_QUERY__NODE__NODE_DO_STMT) {
		body_and_language(stmt->do_stmt->args, stmt->do_stmt->n_args, &body, &lang);
		if (body && !strcasecmp(lang, "plpgsql") && runs_execute(body))
			lint_emit_any_table(c, "dynamic_sql", "DO block");
	} else if (stmt->node_case == PG_QUERY__NODE__NODE_CREATE_FUNCTION_STMT) {
		const PgQuery__CreateFunctionStmt *f = stmt->create_function_stmt;
		char *name, *obj;

		lang = "sql";
		body_and_language(f->options, f->n_options, &body, &lang);
		if (!body || strcasecmp(lang, "plpgsql") || !runs_execute(body))
			return;
		name = names_join(f->funcname, f->n_funcname);
		obj = xasprintf("%s %s", f->is_procedure ? "procedure" : "function", name);
		lint_emit(c, "dynamic_sql", protected_in(c, body), obj);
		free(obj);
		free(name);
	}
}
