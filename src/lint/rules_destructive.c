/*
 * rules_destructive: statements that lose data or break running code by
 * removing or renaming what it uses: drop_table, drop_schema,
 * drop_database, truncate, rename_table, rename_column,
 * delete_without_where, update_without_where.  (drop_column and
 * drop_constraint are ALTER TABLE commands, see rules_alter.c.)
 */
#include <stdlib.h>
#include <string.h>

#include "lint/lint_int.h"
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
		if (!stmt->delete_stmt->where_clause) {
			table = rv_name(stmt->delete_stmt->relation);
			if (!ctx_table_is_new(c, table))
				lint_emit(c, "delete_without_where", table, NULL);
			free(table);
		}
		break;
	case PG_QUERY__NODE__NODE_UPDATE_STMT:
		if (!stmt->update_stmt->where_clause) {
			table = rv_name(stmt->update_stmt->relation);
			if (!ctx_table_is_new(c, table))
				lint_emit(c, "update_without_where", table, NULL);
			free(table);
		}
		break;
	default:
		break;
	}
}
