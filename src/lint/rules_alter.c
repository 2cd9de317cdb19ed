/*
 * rules_alter: ALTER TABLE commands on tables that existed before this
 * migration: drop_column, drop_constraint, set_not_null, drop_not_null,
 * change_column_type, add_required_column, add_column_volatile_default,
 * add_column_serial_or_stored, add_foreign_key_validating,
 * add_check_validating, validate_in_same_transaction,
 * add_unique_constraint, add_primary_key_existing_table,
 * add_exclusion_constraint, detach_partition_nonconcurrent (and
 * concurrently_in_transaction for DETACH ... CONCURRENTLY), plus
 * fk_without_index for every foreign key (also on new tables).
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lint/lint_int.h"
#include "util/xalloc.h"
#include "util/banned.h"

static const char *const volatile_funcs[] = {
	"clock_timestamp", "timeofday", "random", "random_normal", "gen_random_uuid",
	"gen_random_bytes", "uuid_generate_v1", "uuid_generate_v1mc", "uuid_generate_v4",
	"uuidv4", "uuidv7", "nextval", "setval", "txid_current", "pg_current_xact_id", NULL,
};

static int node_volatile(const PgQuery__Node *n, int depth);

static int list_volatile(PgQuery__Node **v, size_t nv, int depth)
{
	size_t i;

	for (i = 0; i < nv; i++)
		if (node_volatile(v[i], depth + 1))
			return 1;
	return 0;
}

/* Does the expression call a function known to be volatile?  Functions
 * outside the list (user functions) are not known without a database. */
static int node_volatile(const PgQuery__Node *n, int depth)
{
	int i;

	if (!n || depth > 2000)
		return 0;
	switch (n->node_case) {
	case PG_QUERY__NODE__NODE_FUNC_CALL: {
		const char *name = names_last(n->func_call->funcname, n->func_call->n_funcname);

		for (i = 0; volatile_funcs[i]; i++)
			if (!strcasecmp(name, volatile_funcs[i]))
				return 1;
		return list_volatile(n->func_call->args, n->func_call->n_args, depth);
	}
	case PG_QUERY__NODE__NODE_TYPE_CAST:
		return node_volatile(n->type_cast->arg, depth + 1);
	case PG_QUERY__NODE__NODE_A_EXPR:
		return node_volatile(n->a_expr->lexpr, depth + 1) || node_volatile(n->a_expr->rexpr, depth + 1);
	case PG_QUERY__NODE__NODE_BOOL_EXPR:
		return list_volatile(n->bool_expr->args, n->bool_expr->n_args, depth);
	case PG_QUERY__NODE__NODE_COALESCE_EXPR:
		return list_volatile(n->coalesce_expr->args, n->coalesce_expr->n_args, depth);
	case PG_QUERY__NODE__NODE_MIN_MAX_EXPR:
		return list_volatile(n->min_max_expr->args, n->min_max_expr->n_args, depth);
	case PG_QUERY__NODE__NODE_A_ARRAY_EXPR:
		return list_volatile(n->a_array_expr->elements, n->a_array_expr->n_elements, depth);
	case PG_QUERY__NODE__NODE_ROW_EXPR:
		return list_volatile(n->row_expr->args, n->row_expr->n_args, depth);
	case PG_QUERY__NODE__NODE_CASE_EXPR:
		return node_volatile(n->case_expr->arg, depth + 1) ||
		       node_volatile(n->case_expr->defresult, depth + 1) ||
		       list_volatile(n->case_expr->args, n->case_expr->n_args, depth);
	case PG_QUERY__NODE__NODE_CASE_WHEN:
		return node_volatile(n->case_when->expr, depth + 1) ||
		       node_volatile(n->case_when->result, depth + 1);
	case PG_QUERY__NODE__NODE_SUB_LINK:
		return 1;
	default:
		return 0;
	}
}

static int type_is_serial(const PgQuery__TypeName *t)
{
	const char *n = t ? names_last(t->names, t->n_names) : "";

	return !strcmp(n, "serial") || !strcmp(n, "bigserial") || !strcmp(n, "smallserial") ||
	       !strcmp(n, "serial4") || !strcmp(n, "serial8") || !strcmp(n, "serial2");
}

static void add_column(struct lint_ctx *c, const char *table, int isnew, const PgQuery__ColumnDef *cd)
{
	char *obj = xasprintf("%s.%s", table, cd->colname ? cd->colname : "");
	int notnull = cd->is_not_null, has_default = cd->raw_default != NULL, vol = 0, gen = 0;
	size_t i;

	if (cd->raw_default && node_volatile(cd->raw_default, 0))
		vol = 1;
	if ((cd->identity && cd->identity[0]) || (cd->generated && cd->generated[0]) ||
	    type_is_serial(cd->type_name))
		gen = 1;
	for (i = 0; i < cd->n_constraints; i++) {
		const PgQuery__Node *n = cd->constraints[i];
		const PgQuery__Constraint *k;

		if (!n || n->node_case != PG_QUERY__NODE__NODE_CONSTRAINT)
			continue;
		k = n->constraint;
		switch (k->contype) {
		case PG_QUERY__CONSTR_TYPE__CONSTR_NOTNULL:
			notnull = 1;
			break;
		case PG_QUERY__CONSTR_TYPE__CONSTR_DEFAULT:
			has_default = 1;
			if (node_volatile(k->raw_expr, 0))
				vol = 1;
			break;
		case PG_QUERY__CONSTR_TYPE__CONSTR_IDENTITY:
		case PG_QUERY__CONSTR_TYPE__CONSTR_GENERATED:
			gen = 1;
			break;
		case PG_QUERY__CONSTR_TYPE__CONSTR_PRIMARY:
			notnull = 1;
			if (!isnew)
				lint_emit(c, "add_primary_key_existing_table", table, NULL);
			break;
		case PG_QUERY__CONSTR_TYPE__CONSTR_UNIQUE:
			if (!isnew)
				lint_emit(c, "add_unique_constraint", table, obj);
			break;
		case PG_QUERY__CONSTR_TYPE__CONSTR_CHECK:
			if (!isnew)
				lint_emit(c, "add_check_validating", table, k->conname && k->conname[0] ? k->conname : obj);
			break;
		case PG_QUERY__CONSTR_TYPE__CONSTR_FOREIGN:
			if (!isnew)
				lint_emit(c, "add_foreign_key_validating", table, k->conname && k->conname[0] ? k->conname : obj);
			lint_check_fk_col(c, table, cd->colname, k->conname && k->conname[0] ? k->conname : obj);
			break;
		default:
			break;
		}
	}
	if (!isnew) {
		if (notnull && !has_default && !gen)
			lint_emit(c, "add_required_column", table, obj);
		if (vol)
			lint_emit(c, "add_column_volatile_default", table, obj);
		if (gen)
			lint_emit(c, "add_column_serial_or_stored", table, obj);
	}
	free(obj);
}

static void add_constraint(struct lint_ctx *c, const char *table, int isnew, const PgQuery__Constraint *k)
{
	const char *obj = k->conname && k->conname[0] ? k->conname : table;

	switch (k->contype) {
	case PG_QUERY__CONSTR_TYPE__CONSTR_FOREIGN:
		if (!isnew && !k->skip_validation)
			lint_emit(c, "add_foreign_key_validating", table, obj);
		lint_check_fk(c, table, k->fk_attrs, k->n_fk_attrs, obj);
		break;
	case PG_QUERY__CONSTR_TYPE__CONSTR_CHECK:
		if (!isnew && !k->skip_validation)
			lint_emit(c, "add_check_validating", table, obj);
		break;
	case PG_QUERY__CONSTR_TYPE__CONSTR_UNIQUE:
		if (!isnew && !(k->indexname && k->indexname[0]))
			lint_emit(c, "add_unique_constraint", table, obj);
		break;
	case PG_QUERY__CONSTR_TYPE__CONSTR_PRIMARY:
		if (!isnew && !(k->indexname && k->indexname[0]))
			lint_emit(c, "add_primary_key_existing_table", table, NULL);
		break;
	case PG_QUERY__CONSTR_TYPE__CONSTR_EXCLUSION:
		if (!isnew)
			lint_emit(c, "add_exclusion_constraint", table, obj);
		break;
	default:
		break;
	}
}

static void alter_type(struct lint_ctx *c, const char *table, const PgQuery__AlterTableCmd *cmd)
{
	const PgQuery__ColumnDef *cd = cmd->def && cmd->def->node_case == PG_QUERY__NODE__NODE_COLUMN_DEF ?
					       cmd->def->column_def : NULL;
	const char *col = cmd->name ? cmd->name : "";
	char *obj = xasprintf("%s.%s", table, col);
	char *new_ = cd && cd->type_name ? type_canon(cd->type_name) : xstrdup("?");
	const char *old = lint_memory_get_type(c->r, table, col);
	int k;

	if ((cd && cd->raw_default) || (old && !type_change_safe(old, new_))) {
		lint_emit(c, "change_column_type", table, obj);
	} else if (!old) {
		/* decided later by the database's real type, when there is one
		 * (lint_report_apply_types) */
		k = lint_emit(c, "change_column_type_unverified", table, obj);
		c->r->v[k].column = xstrdup(col);
		c->r->v[k].new_type = new_;
		new_ = NULL;
	}
	free(new_);
	free(obj);
}

static void alter_cmd(struct lint_ctx *c, const char *table, int isnew, const PgQuery__AlterTableCmd *cmd)
{
	char *key;

	switch (cmd->subtype) {
	case PG_QUERY__ALTER_TABLE_TYPE__AT_AddColumn:
	case PG_QUERY__ALTER_TABLE_TYPE__AT_AddColumnRecurse:
		if (cmd->def && cmd->def->node_case == PG_QUERY__NODE__NODE_COLUMN_DEF)
			add_column(c, table, isnew, cmd->def->column_def);
		break;
	case PG_QUERY__ALTER_TABLE_TYPE__AT_DropColumn:
	case PG_QUERY__ALTER_TABLE_TYPE__AT_DropColumnRecurse:
		key = xasprintf("%s.%s", table, cmd->name ? cmd->name : "");
		if (!isnew && !nameset_has(&c->columns, key))
			lint_emit(c, "drop_column", table, key);
		free(key);
		break;
	case PG_QUERY__ALTER_TABLE_TYPE__AT_SetNotNull:
		key = xasprintf("%s.%s", table, cmd->name ? cmd->name : "");
		if (!isnew)
			lint_emit(c, "set_not_null", table, key);
		free(key);
		break;
	case PG_QUERY__ALTER_TABLE_TYPE__AT_DropNotNull:
		key = xasprintf("%s.%s", table, cmd->name ? cmd->name : "");
		if (!isnew && !nameset_has(&c->columns, key))
			lint_emit(c, "drop_not_null", table, key);
		free(key);
		break;
	case PG_QUERY__ALTER_TABLE_TYPE__AT_AlterColumnType:
		if (!isnew)
			alter_type(c, table, cmd);
		break;
	case PG_QUERY__ALTER_TABLE_TYPE__AT_AddConstraint:
	case PG_QUERY__ALTER_TABLE_TYPE__AT_AddConstraintRecurse:
		if (cmd->def && cmd->def->node_case == PG_QUERY__NODE__NODE_CONSTRAINT)
			add_constraint(c, table, isnew, cmd->def->constraint);
		break;
	case PG_QUERY__ALTER_TABLE_TYPE__AT_ValidateConstraint:
	case PG_QUERY__ALTER_TABLE_TYPE__AT_ValidateConstraintRecurse:
		key = xasprintf("%s/%s", table, cmd->name ? cmd->name : "");
		if (!c->no_transaction && nameset_has(&c->not_valid, key))
			lint_emit(c, "validate_in_same_transaction", table, cmd->name);
		free(key);
		break;
	case PG_QUERY__ALTER_TABLE_TYPE__AT_DropConstraint:
	case PG_QUERY__ALTER_TABLE_TYPE__AT_DropConstraintRecurse:
		key = xasprintf("%s/%s", table, cmd->name ? cmd->name : "");
		if (!isnew && !nameset_has(&c->constraints, key))
			lint_emit(c, "drop_constraint", table, cmd->name);
		free(key);
		break;
	case PG_QUERY__ALTER_TABLE_TYPE__AT_DetachPartition:
		if (cmd->def && cmd->def->node_case == PG_QUERY__NODE__NODE_PARTITION_CMD) {
			const PgQuery__PartitionCmd *pc = cmd->def->partition_cmd;
			char *part = rv_name(pc->name);

			if (pc->concurrent && !c->no_transaction)
				lint_emit(c, "concurrently_in_transaction", table, "DETACH PARTITION ... CONCURRENTLY");
			else if (!pc->concurrent && !isnew)
				lint_emit(c, "detach_partition_nonconcurrent", table, part);
			free(part);
		}
		break;
	default:
		break;
	}
}

void rules_alter(struct lint_ctx *c, const PgQuery__Node *stmt)
{
	const PgQuery__AlterTableStmt *a;
	char *table;
	int isnew;
	size_t i;

	if (stmt->node_case != PG_QUERY__NODE__NODE_ALTER_TABLE_STMT)
		return;
	a = stmt->alter_table_stmt;
	if (a->objtype != PG_QUERY__OBJECT_TYPE__OBJECT_TABLE)
		return;
	table = rv_name(a->relation);
	isnew = ctx_table_is_new(c, table);
	for (i = 0; i < a->n_cmds; i++)
		if (a->cmds[i] && a->cmds[i]->node_case == PG_QUERY__NODE__NODE_ALTER_TABLE_CMD)
			alter_cmd(c, table, isnew, a->cmds[i]->alter_table_cmd);
	free(table);
}
