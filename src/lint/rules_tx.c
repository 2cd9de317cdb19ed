/*
 * rules_tx: how statements sit in their transaction: transaction_control,
 * missing_lock_timeout (plain SQL files only: predeploy sets lock_timeout
 * itself for every migration it runs, see docs/rules.md) and
 * non_idempotent_no_transaction.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lint/lint_int.h"
#include "util/xalloc.h"
#include "util/banned.h"

static const char *tx_word(PgQuery__TransactionStmtKind k)
{
	switch (k) {
	case PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_BEGIN: return "BEGIN";
	case PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_START: return "START TRANSACTION";
	case PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_COMMIT: return "COMMIT";
	case PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_ROLLBACK: return "ROLLBACK";
	case PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_PREPARE: return "PREPARE TRANSACTION";
	case PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_COMMIT_PREPARED: return "COMMIT PREPARED";
	case PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_ROLLBACK_PREPARED: return "ROLLBACK PREPARED";
	default: return NULL;   /* SAVEPOINT and friends are fine */
	}
}

/* SET lock_timeout = <non-zero> */
static void note_set(struct lint_ctx *c, const PgQuery__VariableSetStmt *v)
{
	const PgQuery__Node *a;

	if (!v->name || strcasecmp(v->name, "lock_timeout"))
		return;
	if (v->kind != PG_QUERY__VARIABLE_SET_KIND__VAR_SET_VALUE || v->n_args < 1) {
		c->lock_timeout_set = 0;        /* RESET / DEFAULT: back to none */
		return;
	}
	a = v->args[0];
	c->lock_timeout_set = 1;
	if (a && a->node_case == PG_QUERY__NODE__NODE_A_CONST) {
		const PgQuery__AConst *k = a->a_const;

		if (k->val_case == PG_QUERY__A__CONST__VAL_IVAL && k->ival && k->ival->ival == 0)
			c->lock_timeout_set = 0;
		if (k->val_case == PG_QUERY__A__CONST__VAL_SVAL && k->sval && k->sval->sval &&
		    (!strcmp(k->sval->sval, "0") || !strcasecmp(k->sval->sval, "0ms") ||
		     !strcasecmp(k->sval->sval, "0s")))
			c->lock_timeout_set = 0;
	}
}

/* The table a statement locks in a way that queues other queries, or NULL. */
static char *locking_table(const struct lint_ctx *c, const PgQuery__Node *stmt)
{
	char *t = NULL;

	switch (stmt->node_case) {
	case PG_QUERY__NODE__NODE_ALTER_TABLE_STMT:
		t = rv_name(stmt->alter_table_stmt->relation);
		break;
	case PG_QUERY__NODE__NODE_INDEX_STMT:
		if (!stmt->index_stmt->concurrent)
			t = rv_name(stmt->index_stmt->relation);
		break;
	case PG_QUERY__NODE__NODE_RENAME_STMT:
		if (stmt->rename_stmt->relation)
			t = rv_name(stmt->rename_stmt->relation);
		break;
	case PG_QUERY__NODE__NODE_ALTER_OBJECT_SCHEMA_STMT:
		if (stmt->alter_object_schema_stmt->relation)
			t = rv_name(stmt->alter_object_schema_stmt->relation);
		break;
	case PG_QUERY__NODE__NODE_TRUNCATE_STMT:
		if (stmt->truncate_stmt->n_relations && stmt->truncate_stmt->relations[0] &&
		    stmt->truncate_stmt->relations[0]->node_case == PG_QUERY__NODE__NODE_RANGE_VAR)
			t = rv_name(stmt->truncate_stmt->relations[0]->range_var);
		break;
	case PG_QUERY__NODE__NODE_DROP_STMT: {
		const PgQuery__DropStmt *d = stmt->drop_stmt;

		if ((d->remove_type == PG_QUERY__OBJECT_TYPE__OBJECT_TABLE ||
		     (d->remove_type == PG_QUERY__OBJECT_TYPE__OBJECT_INDEX && !d->concurrent)) &&
		    d->n_objects && d->objects[0] && d->objects[0]->node_case == PG_QUERY__NODE__NODE_LIST)
			t = names_join(d->objects[0]->list->items, d->objects[0]->list->n_items);
		break;
	}
	default:
		break;
	}
	if (t && ctx_table_is_new(c, t)) {
		free(t);
		t = NULL;
	}
	return t;
}

/* Short name of a non-idempotent statement in a no-transaction section. */
static const char *non_idempotent(const PgQuery__Node *stmt)
{
	size_t i;

	switch (stmt->node_case) {
	case PG_QUERY__NODE__NODE_INDEX_STMT:
		return stmt->index_stmt->if_not_exists ? NULL : "CREATE INDEX";
	case PG_QUERY__NODE__NODE_CREATE_STMT:
		return stmt->create_stmt->if_not_exists ? NULL : "CREATE TABLE";
	case PG_QUERY__NODE__NODE_CREATE_TABLE_AS_STMT:
		return stmt->create_table_as_stmt->if_not_exists ? NULL : "CREATE TABLE AS";
	case PG_QUERY__NODE__NODE_CREATE_SEQ_STMT:
		return stmt->create_seq_stmt->if_not_exists ? NULL : "CREATE SEQUENCE";
	case PG_QUERY__NODE__NODE_CREATE_SCHEMA_STMT:
		return stmt->create_schema_stmt->if_not_exists ? NULL : "CREATE SCHEMA";
	case PG_QUERY__NODE__NODE_CREATE_EXTENSION_STMT:
		return stmt->create_extension_stmt->if_not_exists ? NULL : "CREATE EXTENSION";
	case PG_QUERY__NODE__NODE_DROP_STMT:
		return stmt->drop_stmt->missing_ok ? NULL : "DROP";
	case PG_QUERY__NODE__NODE_RENAME_STMT:
		return "RENAME";
	case PG_QUERY__NODE__NODE_ALTER_TABLE_STMT:
		for (i = 0; i < stmt->alter_table_stmt->n_cmds; i++) {
			const PgQuery__Node *n = stmt->alter_table_stmt->cmds[i];
			const PgQuery__AlterTableCmd *cmd;

			if (!n || n->node_case != PG_QUERY__NODE__NODE_ALTER_TABLE_CMD)
				continue;
			cmd = n->alter_table_cmd;
			if (cmd->subtype == PG_QUERY__ALTER_TABLE_TYPE__AT_AddColumn && !cmd->missing_ok)
				return "ADD COLUMN";
			if (cmd->subtype == PG_QUERY__ALTER_TABLE_TYPE__AT_DropColumn && !cmd->missing_ok)
				return "DROP COLUMN";
			if (cmd->subtype == PG_QUERY__ALTER_TABLE_TYPE__AT_DropConstraint && !cmd->missing_ok)
				return "DROP CONSTRAINT";
		}
		return NULL;
	default:
		return NULL;
	}
}

void rules_tx(struct lint_ctx *c, const PgQuery__Node *stmt)
{
	const char *w;
	char *t;

	if (stmt->node_case == PG_QUERY__NODE__NODE_TRANSACTION_STMT) {
		w = tx_word(stmt->transaction_stmt->kind);
		if (w && !c->no_transaction)
			lint_emit(c, "transaction_control", NULL, w);
		return;
	}
	if (stmt->node_case == PG_QUERY__NODE__NODE_VARIABLE_SET_STMT) {
		note_set(c, stmt->variable_set_stmt);
		return;
	}
	if (c->plain_file && !c->lock_timeout_set && !c->lock_timeout_reported) {
		t = locking_table(c, stmt);
		if (t) {
			lint_emit(c, "missing_lock_timeout", t, NULL);
			c->lock_timeout_reported = 1;
			free(t);
		}
	}
	if (c->no_transaction && (w = non_idempotent(stmt)) != NULL)
		lint_emit(c, "non_idempotent_no_transaction", NULL, w);
}
