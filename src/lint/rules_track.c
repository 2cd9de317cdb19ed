/*
 * rules_track: what a migration creates, so later statements on those
 * objects are exempt (a table created in this migration is empty and
 * invisible to running code until it commits); the indexes and foreign
 * keys of new tables for fk_without_index (fk.c); column types for the
 * report's memory (memory.c).  Runs after the other families, so a
 * statement is judged by what existed before it.
 */
#include <stdlib.h>
#include <string.h>

#include "lint/lint_int.h"
#include "util/strbuf.h"
#include "util/xalloc.h"
#include "util/banned.h"

static void track_constraint(struct lint_ctx *c, const char *table, const PgQuery__Constraint *k,
			     int added_later)
{
	if (k->conname && k->conname[0]) {
		char *key = xasprintf("%s/%s", table, k->conname);

		nameset_add(&c->constraints, key);
		if (added_later && k->skip_validation)
			nameset_add(&c->not_valid, key);
		free(key);
	}
	if ((k->contype == PG_QUERY__CONSTR_TYPE__CONSTR_PRIMARY ||
	     k->contype == PG_QUERY__CONSTR_TYPE__CONSTR_UNIQUE) && k->n_keys)
		lint_index_cols(c, table, k->keys, k->n_keys);
}

static void track_column(struct lint_ctx *c, const char *table, const PgQuery__ColumnDef *cd, int added)
{
	size_t i;

	if (!cd->colname)
		return;
	if (cd->type_name)
		lint_memory_set_type(c->r, table, cd->colname, cd->type_name);
	if (added) {
		char *key = xasprintf("%s.%s", table, cd->colname);

		nameset_add(&c->columns, key);
		free(key);
	}
	for (i = 0; i < cd->n_constraints; i++) {
		const PgQuery__Node *n = cd->constraints[i];

		if (!n || n->node_case != PG_QUERY__NODE__NODE_CONSTRAINT)
			continue;
		if (n->constraint->contype == PG_QUERY__CONSTR_TYPE__CONSTR_PRIMARY ||
		    n->constraint->contype == PG_QUERY__CONSTR_TYPE__CONSTR_UNIQUE) {
			lint_index_col(c, table, cd->colname);
		}
		if (n->constraint->conname && n->constraint->conname[0]) {
			char *key = xasprintf("%s/%s", table, n->constraint->conname);

			nameset_add(&c->constraints, key);
			free(key);
		}
	}
}

static void track_create(struct lint_ctx *c, const PgQuery__CreateStmt *cs)
{
	char *table = rv_name(cs->relation);
	size_t i;

	nameset_add(&c->tables, table);
	for (i = 0; i < cs->n_table_elts; i++) {
		const PgQuery__Node *n = cs->table_elts[i];

		if (!n)
			continue;
		if (n->node_case == PG_QUERY__NODE__NODE_COLUMN_DEF)
			track_column(c, table, n->column_def, 0);
		else if (n->node_case == PG_QUERY__NODE__NODE_CONSTRAINT)
			track_constraint(c, table, n->constraint, 0);
	}
	free(table);
}

/* fk_without_index for the foreign keys of a new table (its other rules
 * are exempt: the table is new). */
static void create_fks(struct lint_ctx *c, const PgQuery__CreateStmt *cs)
{
	char *table = rv_name(cs->relation);
	size_t i, k;

	for (i = 0; i < cs->n_table_elts; i++) {
		const PgQuery__Node *n = cs->table_elts[i];

		if (n && n->node_case == PG_QUERY__NODE__NODE_CONSTRAINT &&
		    n->constraint->contype == PG_QUERY__CONSTR_TYPE__CONSTR_FOREIGN) {
			const PgQuery__Constraint *f = n->constraint;

			lint_check_fk(c, table, f->fk_attrs, f->n_fk_attrs,
				      f->conname && f->conname[0] ? f->conname : table);
		} else if (n && n->node_case == PG_QUERY__NODE__NODE_COLUMN_DEF) {
			const PgQuery__ColumnDef *cd = n->column_def;

			for (k = 0; k < cd->n_constraints; k++) {
				const PgQuery__Node *cn = cd->constraints[k];
				char *obj;

				if (!cn || cn->node_case != PG_QUERY__NODE__NODE_CONSTRAINT ||
				    cn->constraint->contype != PG_QUERY__CONSTR_TYPE__CONSTR_FOREIGN)
					continue;
				obj = xasprintf("%s.%s", table, cd->colname ? cd->colname : "");
				lint_check_fk_col(c, table, cd->colname, obj);
				free(obj);
			}
		}
	}
	free(table);
}

void rules_track(struct lint_ctx *c, const PgQuery__Node *stmt)
{
	char *table;
	size_t i;

	switch (stmt->node_case) {
	case PG_QUERY__NODE__NODE_CREATE_STMT:
		track_create(c, stmt->create_stmt);
		create_fks(c, stmt->create_stmt);
		break;
	case PG_QUERY__NODE__NODE_CREATE_TABLE_AS_STMT:
		if (stmt->create_table_as_stmt->into && stmt->create_table_as_stmt->into->rel) {
			table = rv_name(stmt->create_table_as_stmt->into->rel);
			nameset_add(&c->tables, table);
			free(table);
		}
		break;
	case PG_QUERY__NODE__NODE_SELECT_STMT:
		if (stmt->select_stmt->into_clause && stmt->select_stmt->into_clause->rel) {
			table = rv_name(stmt->select_stmt->into_clause->rel);
			nameset_add(&c->tables, table);
			free(table);
		}
		break;
	case PG_QUERY__NODE__NODE_INDEX_STMT:
		table = rv_name(stmt->index_stmt->relation);
		if (stmt->index_stmt->idxname && stmt->index_stmt->idxname[0])
			nameset_add(&c->indexes, stmt->index_stmt->idxname);
		if (!stmt->index_stmt->where_clause)
			lint_index_cols(c, table, stmt->index_stmt->index_params,
					stmt->index_stmt->n_index_params);
		free(table);
		break;
	case PG_QUERY__NODE__NODE_RENAME_STMT:
		if (stmt->rename_stmt->rename_type == PG_QUERY__OBJECT_TYPE__OBJECT_TABLE &&
		    stmt->rename_stmt->newname) {
			table = rv_name(stmt->rename_stmt->relation);
			if (ctx_table_is_new(c, table))
				nameset_add(&c->tables, stmt->rename_stmt->newname);
			else if (lint_memory_has_table(c->r, table))
				lint_memory_add_table(c->r, stmt->rename_stmt->newname);
			free(table);
		}
		break;
	case PG_QUERY__NODE__NODE_ALTER_OBJECT_SCHEMA_STMT: {
		const PgQuery__AlterObjectSchemaStmt *a = stmt->alter_object_schema_stmt;

		if (a->object_type == PG_QUERY__OBJECT_TYPE__OBJECT_TABLE && a->relation && a->relation->relname &&
		    a->newschema) {
			table = rv_name(a->relation);
			if (ctx_table_is_new(c, table) || lint_memory_has_table(c->r, table)) {
				char *moved = xasprintf("%s.%s", a->newschema, a->relation->relname);

				if (ctx_table_is_new(c, table))
					nameset_add(&c->tables, moved);
				else
					lint_memory_add_table(c->r, moved);
				free(moved);
			}
			free(table);
		}
		break;
	}
	case PG_QUERY__NODE__NODE_ALTER_TABLE_STMT:
		table = rv_name(stmt->alter_table_stmt->relation);
		for (i = 0; i < stmt->alter_table_stmt->n_cmds; i++) {
			const PgQuery__Node *n = stmt->alter_table_stmt->cmds[i];
			const PgQuery__AlterTableCmd *cmd;

			if (!n || n->node_case != PG_QUERY__NODE__NODE_ALTER_TABLE_CMD)
				continue;
			cmd = n->alter_table_cmd;
			if (!cmd->def)
				continue;
			if (cmd->subtype == PG_QUERY__ALTER_TABLE_TYPE__AT_AddColumn &&
			    cmd->def->node_case == PG_QUERY__NODE__NODE_COLUMN_DEF)
				track_column(c, table, cmd->def->column_def, 1);
			else if (cmd->subtype == PG_QUERY__ALTER_TABLE_TYPE__AT_AlterColumnType &&
				 cmd->def->node_case == PG_QUERY__NODE__NODE_COLUMN_DEF &&
				 cmd->def->column_def->type_name && cmd->name)
				lint_memory_set_type(c->r, table, cmd->name, cmd->def->column_def->type_name);
			else if (cmd->subtype == PG_QUERY__ALTER_TABLE_TYPE__AT_AddConstraint &&
				 cmd->def->node_case == PG_QUERY__NODE__NODE_CONSTRAINT)
				track_constraint(c, table, cmd->def->constraint, 1);
		}
		free(table);
		break;
	default:
		break;
	}
}
