/*
 * rules_types: column type advice, for new and added columns and type
 * changes: json_column, prefer_bigint (key columns only: serial, identity
 * and primary key columns), prefer_text_over_varchar, prefer_timestamptz,
 * prefer_identity.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lint/lint_int.h"
#include "util/xalloc.h"
#include "util/banned.h"

static int is_small_int(const char *n)
{
	return !strcmp(n, "int4") || !strcmp(n, "int2") || !strcmp(n, "serial") ||
	       !strcmp(n, "smallserial") || !strcmp(n, "serial4") || !strcmp(n, "serial2");
}

/* Column `col` of `table` has type t; key: part of a primary key or an
 * identity column. */
static void check_type(struct lint_ctx *c, const char *table, const char *col,
		       const PgQuery__TypeName *t, int key)
{
	const char *n;
	char *obj;

	if (!t)
		return;
	n = names_last(t->names, t->n_names);
	obj = xasprintf("%s.%s", table, col ? col : "");
	if (!strcmp(n, "json"))
		lint_emit(c, "json_column", table, obj);
	else if (!strcmp(n, "varchar") && t->n_typmods)
		lint_emit(c, "prefer_text_over_varchar", table, obj);
	else if (!strcmp(n, "timestamp"))
		lint_emit(c, "prefer_timestamptz", table, obj);
	if (!strcmp(n, "serial") || !strcmp(n, "bigserial") || !strcmp(n, "smallserial") ||
	    !strcmp(n, "serial4") || !strcmp(n, "serial8") || !strcmp(n, "serial2")) {
		lint_emit(c, "prefer_identity", table, obj);
		key = 1;
	}
	if (key && is_small_int(n))
		lint_emit(c, "prefer_bigint", table, obj);
	free(obj);
}

static int column_is_key(const PgQuery__ColumnDef *cd)
{
	size_t i;

	if (cd->identity && cd->identity[0])
		return 1;
	for (i = 0; i < cd->n_constraints; i++) {
		const PgQuery__Node *n = cd->constraints[i];

		if (n && n->node_case == PG_QUERY__NODE__NODE_CONSTRAINT &&
		    (n->constraint->contype == PG_QUERY__CONSTR_TYPE__CONSTR_PRIMARY ||
		     n->constraint->contype == PG_QUERY__CONSTR_TYPE__CONSTR_IDENTITY))
			return 1;
	}
	return 0;
}

static int in_pk(const PgQuery__CreateStmt *cs, const char *col)
{
	size_t i, k;

	for (i = 0; i < cs->n_table_elts; i++) {
		const PgQuery__Node *n = cs->table_elts[i];

		if (!n || n->node_case != PG_QUERY__NODE__NODE_CONSTRAINT ||
		    n->constraint->contype != PG_QUERY__CONSTR_TYPE__CONSTR_PRIMARY)
			continue;
		for (k = 0; k < n->constraint->n_keys; k++) {
			const PgQuery__Node *kn = n->constraint->keys[k];

			if (kn && kn->node_case == PG_QUERY__NODE__NODE_STRING && !strcmp(kn->string->sval, col))
				return 1;
		}
	}
	return 0;
}

void rules_types(struct lint_ctx *c, const PgQuery__Node *stmt)
{
	char *table;
	size_t i;

	if (stmt->node_case == PG_QUERY__NODE__NODE_CREATE_STMT) {
		const PgQuery__CreateStmt *cs = stmt->create_stmt;

		table = rv_name(cs->relation);
		for (i = 0; i < cs->n_table_elts; i++) {
			const PgQuery__Node *n = cs->table_elts[i];

			if (!n || n->node_case != PG_QUERY__NODE__NODE_COLUMN_DEF)
				continue;
			check_type(c, table, n->column_def->colname, n->column_def->type_name,
				   column_is_key(n->column_def) || in_pk(cs, n->column_def->colname));
		}
		free(table);
	} else if (stmt->node_case == PG_QUERY__NODE__NODE_ALTER_TABLE_STMT &&
		   stmt->alter_table_stmt->objtype == PG_QUERY__OBJECT_TYPE__OBJECT_TABLE) {
		const PgQuery__AlterTableStmt *a = stmt->alter_table_stmt;

		table = rv_name(a->relation);
		for (i = 0; i < a->n_cmds; i++) {
			const PgQuery__AlterTableCmd *cmd;
			const PgQuery__ColumnDef *cd;

			if (!a->cmds[i] || a->cmds[i]->node_case != PG_QUERY__NODE__NODE_ALTER_TABLE_CMD)
				continue;
			cmd = a->cmds[i]->alter_table_cmd;
			if (!cmd->def || cmd->def->node_case != PG_QUERY__NODE__NODE_COLUMN_DEF)
				continue;
			cd = cmd->def->column_def;
			if (cmd->subtype == PG_QUERY__ALTER_TABLE_TYPE__AT_AddColumn)
				check_type(c, table, cd->colname, cd->type_name, column_is_key(cd));
			else if (cmd->subtype == PG_QUERY__ALTER_TABLE_TYPE__AT_AlterColumnType)
				check_type(c, table, cmd->name, cd->type_name, 0);
		}
		free(table);
	}
}
