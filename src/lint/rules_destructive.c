/*
 * rules_destructive: statements that lose data or break running code by
 * removing, moving or renaming what it uses: drop_table, drop_schema,
 * drop_database, drop_owned, truncate, rename_table, rename_column,
 * set_schema, delete_without_where, update_without_where (no WHERE, or a
 * WHERE that is always true: `1 = 1`, `true`, `NOT false`, ...).
 * (drop_column and drop_constraint are ALTER TABLE commands, see
 * rules_alter.c.)
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lint/lint_int.h"
#include "util/strbuf.h"
#include "util/xalloc.h"
#include "util/banned.h"

static char *object_name(const PgQuery__Node *obj)
{
	if (!obj)
		return xstrdup("");
	if (obj->node_case == PG_QUERY__NODE__NODE_LIST)
		return names_join(obj->list->items, obj->list->n_items);
	if (obj->node_case == PG_QUERY__NODE__NODE_STRING)
		return xstrdup(obj->string->sval);
	return xstrdup("");
}

/* ---- constant conditions ---- */

enum cval { CV_UNKNOWN, CV_TRUE, CV_FALSE, CV_NULL };

static enum cval cv_not(enum cval v)
{
	return v == CV_TRUE ? CV_FALSE : v == CV_FALSE ? CV_TRUE : v;
}

static enum cval cv_of_text(const char *s)
{
	static const char *const t[] = { "t", "true", "y", "yes", "on", "1", NULL };
	static const char *const f[] = { "f", "false", "n", "no", "off", "0", NULL };
	int i;

	for (i = 0; t[i]; i++)
		if (!strcasecmp(s, t[i]))
			return CV_TRUE;
	for (i = 0; f[i]; i++)
		if (!strcasecmp(s, f[i]))
			return CV_FALSE;
	return CV_UNKNOWN;
}

/* A numeric constant's value; 0 when n is not one. */
static int const_number(const PgQuery__Node *n, double *v)
{
	const PgQuery__AConst *k;

	if (!n || n->node_case != PG_QUERY__NODE__NODE_A_CONST || n->a_const->isnull)
		return 0;
	k = n->a_const;
	if (k->val_case == PG_QUERY__A__CONST__VAL_IVAL)
		*v = k->ival ? k->ival->ival : 0;
	else if (k->val_case == PG_QUERY__A__CONST__VAL_FVAL && k->fval && k->fval->fval)
		*v = strtod(k->fval->fval, NULL);
	else
		return 0;
	return 1;
}

static const char *const_text(const PgQuery__Node *n)
{
	if (!n || n->node_case != PG_QUERY__NODE__NODE_A_CONST || n->a_const->isnull ||
	    n->a_const->val_case != PG_QUERY__A__CONST__VAL_SVAL || !n->a_const->sval)
		return NULL;
	return n->a_const->sval->sval;
}

/* The constant under casts ('1'::int, 2::numeric), or n itself. */
static const PgQuery__Node *uncast(const PgQuery__Node *n)
{
	int k;

	for (k = 0; k < 8 && n && n->node_case == PG_QUERY__NODE__NODE_TYPE_CAST; k++)
		n = n->type_cast->arg;
	return n;
}

/* lhs OP rhs on two numeric or two string constants */
static enum cval cv_compare(const PgQuery__AExpr *x)
{
	const char *op = names_last(x->name, x->n_name), *ls, *rs;
	const PgQuery__Node *lx = uncast(x->lexpr), *rx = uncast(x->rexpr);
	double l, r;
	int c;

	if (const_number(lx, &l) && const_number(rx, &r))
		c = l < r ? -1 : l > r;
	else if ((ls = const_text(lx)) != NULL && (rs = const_text(rx)) != NULL &&
		 (!strcmp(op, "=") || !strcmp(op, "<>") || !strcmp(op, "!=")))
		c = strcmp(ls, rs);     /* order depends on the collation: only (in)equality */
	else
		return CV_UNKNOWN;
	if (!strcmp(op, "="))
		return c == 0 ? CV_TRUE : CV_FALSE;
	if (!strcmp(op, "<>") || !strcmp(op, "!="))
		return c != 0 ? CV_TRUE : CV_FALSE;
	if (!strcmp(op, "<"))
		return c < 0 ? CV_TRUE : CV_FALSE;
	if (!strcmp(op, "<="))
		return c <= 0 ? CV_TRUE : CV_FALSE;
	if (!strcmp(op, ">"))
		return c > 0 ? CV_TRUE : CV_FALSE;
	if (!strcmp(op, ">="))
		return c >= 0 ? CV_TRUE : CV_FALSE;
	return CV_UNKNOWN;
}

static enum cval cv_bool_expr(const PgQuery__BoolExpr *b, int depth);

/* The value of a condition made of constants only (CV_UNKNOWN as soon as
 * it reads a column, calls a function, ...). */
static enum cval cv_eval(const PgQuery__Node *n, int depth)
{
	enum cval v;

	if (!n || depth > 200)
		return CV_UNKNOWN;
	switch (n->node_case) {
	case PG_QUERY__NODE__NODE_A_CONST:
		if (n->a_const->isnull)
			return CV_NULL;
		if (n->a_const->val_case == PG_QUERY__A__CONST__VAL_BOOLVAL)
			return n->a_const->boolval && n->a_const->boolval->boolval ? CV_TRUE : CV_FALSE;
		return CV_UNKNOWN;
	case PG_QUERY__NODE__NODE_TYPE_CAST: {
		const PgQuery__TypeCast *tc = n->type_cast;
		const char *type = tc->type_name ? names_last(tc->type_name->names, tc->type_name->n_names) : "";
		double num;

		if (strcmp(type, "bool") && strcmp(type, "boolean"))
			return CV_UNKNOWN;
		if (const_text(tc->arg))
			return cv_of_text(const_text(tc->arg));
		if (const_number(tc->arg, &num))
			return num != 0 ? CV_TRUE : CV_FALSE;
		return cv_eval(tc->arg, depth + 1);
	}
	case PG_QUERY__NODE__NODE_BOOL_EXPR:
		return cv_bool_expr(n->bool_expr, depth);
	case PG_QUERY__NODE__NODE_A_EXPR:
		return n->a_expr->kind == PG_QUERY__A__EXPR__KIND__AEXPR_OP ? cv_compare(n->a_expr) : CV_UNKNOWN;
	case PG_QUERY__NODE__NODE_NULL_TEST:
		/* a constant other than NULL is never NULL */
		v = cv_eval(n->null_test->arg, depth + 1);
		if (v == CV_UNKNOWN && !(n->null_test->arg && n->null_test->arg->node_case == PG_QUERY__NODE__NODE_A_CONST))
			return CV_UNKNOWN;
		return (n->null_test->nulltesttype == PG_QUERY__NULL_TEST_TYPE__IS_NULL) == (v == CV_NULL) ? CV_TRUE
													      : CV_FALSE;
	case PG_QUERY__NODE__NODE_BOOLEAN_TEST:
		v = cv_eval(n->boolean_test->arg, depth + 1);
		if (v == CV_UNKNOWN)
			return CV_UNKNOWN;
		switch (n->boolean_test->booltesttype) {
		case PG_QUERY__BOOL_TEST_TYPE__IS_TRUE: return v == CV_TRUE ? CV_TRUE : CV_FALSE;
		case PG_QUERY__BOOL_TEST_TYPE__IS_NOT_TRUE: return v != CV_TRUE ? CV_TRUE : CV_FALSE;
		case PG_QUERY__BOOL_TEST_TYPE__IS_FALSE: return v == CV_FALSE ? CV_TRUE : CV_FALSE;
		case PG_QUERY__BOOL_TEST_TYPE__IS_NOT_FALSE: return v != CV_FALSE ? CV_TRUE : CV_FALSE;
		case PG_QUERY__BOOL_TEST_TYPE__IS_UNKNOWN: return v == CV_NULL ? CV_TRUE : CV_FALSE;
		case PG_QUERY__BOOL_TEST_TYPE__IS_NOT_UNKNOWN: return v != CV_NULL ? CV_TRUE : CV_FALSE;
		default: return CV_UNKNOWN;
		}
	default:
		return CV_UNKNOWN;
	}
}

static enum cval cv_bool_expr(const PgQuery__BoolExpr *b, int depth)
{
	enum cval v, acc;
	size_t i;

	if (b->boolop == PG_QUERY__BOOL_EXPR_TYPE__NOT_EXPR)
		return b->n_args == 1 ? cv_not(cv_eval(b->args[0], depth + 1)) : CV_UNKNOWN;
	/* AND: false wins, then unknown, then null; OR: true wins likewise */
	acc = b->boolop == PG_QUERY__BOOL_EXPR_TYPE__AND_EXPR ? CV_TRUE : CV_FALSE;
	for (i = 0; i < b->n_args; i++) {
		v = cv_eval(b->args[i], depth + 1);
		if (b->boolop == PG_QUERY__BOOL_EXPR_TYPE__AND_EXPR ? v == CV_FALSE : v == CV_TRUE)
			return v;
		if (v == CV_UNKNOWN || (v == CV_NULL && acc != CV_UNKNOWN))
			acc = v;
	}
	return acc;
}

/* No WHERE, or one that holds for every row. */
static void unbounded(struct lint_ctx *c, const char *rule, const char *verb, const PgQuery__RangeVar *rel,
		      const PgQuery__Node *where)
{
	char *table = rv_name(rel), *msg;

	if (!ctx_table_is_new(c, table)) {
		if (!where) {
			lint_emit(c, rule, table, NULL);
		} else if (cv_eval(where, 0) == CV_TRUE) {
			msg = xasprintf("%s on \"%s\" has a WHERE condition that is always true: it %s every row and "
					"holds row locks on all of them until the migration commits", verb[0] == 'd' ?
					"DELETE" : "UPDATE", table, verb);
			lint_emit_msg(c, rule, table, msg);
			free(msg);
		}
	}
	free(table);
}

/* ---- statements ---- */

static void drop_stmt(struct lint_ctx *c, const PgQuery__DropStmt *d)
{
	size_t i;

	for (i = 0; i < d->n_objects; i++) {
		char *name = object_name(d->objects[i]);

		if (d->remove_type == PG_QUERY__OBJECT_TYPE__OBJECT_TABLE) {
			if (!ctx_table_is_new(c, name))
				lint_emit(c, "drop_table", name, NULL);
		} else if (d->remove_type == PG_QUERY__OBJECT_TYPE__OBJECT_SCHEMA) {
			lint_emit(c, "drop_schema", NULL, name);
		}
		free(name);
	}
}

static void rename_stmt(struct lint_ctx *c, const PgQuery__RenameStmt *rs)
{
	char *table = rv_name(rs->relation), *col;

	if (rs->rename_type == PG_QUERY__OBJECT_TYPE__OBJECT_TABLE) {
		if (!ctx_table_is_new(c, table))
			lint_emit(c, "rename_table", table, NULL);
	} else if (rs->rename_type == PG_QUERY__OBJECT_TYPE__OBJECT_COLUMN &&
		   rs->relation_type == PG_QUERY__OBJECT_TYPE__OBJECT_TABLE) {
		col = xasprintf("%s.%s", table, rs->subname ? rs->subname : "");
		if (!ctx_table_is_new(c, table) && !nameset_has(&c->columns, col))
			lint_emit(c, "rename_column", table, col);
		free(col);
	}
	free(table);
}

/* DROP OWNED BY r: every object r owns, whatever its name; lint cannot
 * know which tables, so every protected table counts as touched. */
static void drop_owned(struct lint_ctx *c, const PgQuery__DropOwnedStmt *d)
{
	struct strbuf roles = STRBUF_INIT;
	size_t i;

	for (i = 0; i < d->n_roles; i++) {
		const PgQuery__Node *n = d->roles[i];

		if (roles.len)
			sb_adds(&roles, ", ");
		if (n && n->node_case == PG_QUERY__NODE__NODE_ROLE_SPEC && n->role_spec->rolename)
			sb_adds(&roles, n->role_spec->rolename);
		else
			sb_adds(&roles, n && n->node_case == PG_QUERY__NODE__NODE_ROLE_SPEC ? "CURRENT_USER" : "?");
	}
	lint_emit_any_table(c, "drop_owned", roles.buf);
	sb_release(&roles);
}

static void set_schema(struct lint_ctx *c, const PgQuery__AlterObjectSchemaStmt *a)
{
	char *table, *obj;

	if (a->object_type != PG_QUERY__OBJECT_TYPE__OBJECT_TABLE || !a->relation)
		return;
	table = rv_name(a->relation);
	if (!ctx_table_is_new(c, table)) {
		obj = xasprintf("%s\" to schema \"%s", table, a->newschema ? a->newschema : "");
		lint_emit(c, "set_schema", table, obj);
		free(obj);
	}
	free(table);
}

void rules_destructive(struct lint_ctx *c, const PgQuery__Node *stmt)
{
	char *table;
	size_t i;

	switch (stmt->node_case) {
	case PG_QUERY__NODE__NODE_DROP_STMT:
		drop_stmt(c, stmt->drop_stmt);
		break;
	case PG_QUERY__NODE__NODE_DROPDB_STMT:
		lint_emit(c, "drop_database", NULL, stmt->dropdb_stmt->dbname);
		break;
	case PG_QUERY__NODE__NODE_TRUNCATE_STMT:
		for (i = 0; i < stmt->truncate_stmt->n_relations; i++) {
			const PgQuery__Node *n = stmt->truncate_stmt->relations[i];

			if (!n || n->node_case != PG_QUERY__NODE__NODE_RANGE_VAR)
				continue;
			table = rv_name(n->range_var);
			if (!ctx_table_is_new(c, table))
				lint_emit(c, "truncate", table, NULL);
			free(table);
		}
		break;
	case PG_QUERY__NODE__NODE_RENAME_STMT:
		rename_stmt(c, stmt->rename_stmt);
		break;
	case PG_QUERY__NODE__NODE_DELETE_STMT:
		unbounded(c, "delete_without_where", "deletes", stmt->delete_stmt->relation,
			  stmt->delete_stmt->where_clause);
		break;
	case PG_QUERY__NODE__NODE_UPDATE_STMT:
		unbounded(c, "update_without_where", "overwrites", stmt->update_stmt->relation,
			  stmt->update_stmt->where_clause);
		break;
	case PG_QUERY__NODE__NODE_DROP_OWNED_STMT:
		drop_owned(c, stmt->drop_owned_stmt);
		break;
	case PG_QUERY__NODE__NODE_ALTER_OBJECT_SCHEMA_STMT:
		set_schema(c, stmt->alter_object_schema_stmt);
		break;
	default:
		break;
	}
}
