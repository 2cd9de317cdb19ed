/*
 * rules_index: indexes and table maintenance: create_index_nonconcurrent,
 * drop_index_nonconcurrent, reindex_nonconcurrent, vacuum_full_or_cluster,
 * and concurrently_in_transaction for every statement PostgreSQL refuses
 * inside a transaction block (CONCURRENTLY forms, VACUUM, CREATE/DROP
 * DATABASE, ALTER SYSTEM).
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lint/lint_int.h"
#include "util/xalloc.h"
#include "util/banned.h"

static int has_option(PgQuery__Node **v, size_t n, const char *name)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (v[i] && v[i]->node_case == PG_QUERY__NODE__NODE_DEF_ELEM && v[i]->def_elem->defname &&
		    !strcasecmp(v[i]->def_elem->defname, name)) {
			const PgQuery__Node *arg = v[i]->def_elem->arg;

			/* VACUUM (FULL false) */
			if (arg && arg->node_case == PG_QUERY__NODE__NODE_BOOLEAN && !arg->boolean->boolval)
				return 0;
			return 1;
		}
	return 0;
}

static void in_tx(struct lint_ctx *c, const char *table, const char *what)
{
	if (!c->no_transaction)
		lint_emit(c, "concurrently_in_transaction", table, what);
}

void rules_index(struct lint_ctx *c, const PgQuery__Node *stmt)
{
	char *table = NULL, *name;
	size_t i;

	switch (stmt->node_case) {
	case PG_QUERY__NODE__NODE_INDEX_STMT: {
		const PgQuery__IndexStmt *ix = stmt->index_stmt;

		table = rv_name(ix->relation);
		if (ix->concurrent)
			in_tx(c, table, "CREATE INDEX CONCURRENTLY");
		else if (!ctx_table_is_new(c, table))
			lint_emit(c, "create_index_nonconcurrent", table, NULL);
		break;
	}
	case PG_QUERY__NODE__NODE_DROP_STMT: {
		const PgQuery__DropStmt *d = stmt->drop_stmt;

		if (d->remove_type != PG_QUERY__OBJECT_TYPE__OBJECT_INDEX)
			break;
		if (d->concurrent) {
			in_tx(c, NULL, "DROP INDEX CONCURRENTLY");
			break;
		}
		for (i = 0; i < d->n_objects; i++) {
			const PgQuery__Node *o = d->objects[i];

			if (!o || o->node_case != PG_QUERY__NODE__NODE_LIST)
				continue;
			name = names_join(o->list->items, o->list->n_items);
			if (!nameset_has(&c->indexes, names_last(o->list->items, o->list->n_items)))
				lint_emit(c, "drop_index_nonconcurrent", NULL, name);
			free(name);
		}
		break;
	}
	case PG_QUERY__NODE__NODE_REINDEX_STMT: {
		const PgQuery__ReindexStmt *rx = stmt->reindex_stmt;

		table = rx->relation ? rv_name(rx->relation) : xstrdup(rx->name ? rx->name : "");
		if (has_option(rx->params, rx->n_params, "concurrently"))
			in_tx(c, NULL, "REINDEX CONCURRENTLY");
		else if (!ctx_table_is_new(c, table))
			lint_emit(c, "reindex_nonconcurrent",
				  rx->kind == PG_QUERY__REINDEX_OBJECT_TYPE__REINDEX_OBJECT_TABLE ? table : NULL,
				  table);
		break;
	}
	case PG_QUERY__NODE__NODE_VACUUM_STMT: {
		const PgQuery__VacuumStmt *v = stmt->vacuum_stmt;

		if (!v->is_vacuumcmd)
			break;          /* ANALYZE runs anywhere */
		in_tx(c, NULL, "VACUUM");
		if (has_option(v->options, v->n_options, "full")) {
			for (i = 0; i < v->n_rels; i++) {
				const PgQuery__Node *r = v->rels[i];

				if (r && r->node_case == PG_QUERY__NODE__NODE_VACUUM_RELATION &&
				    r->vacuum_relation->relation) {
					free(table);
					table = rv_name(r->vacuum_relation->relation);
				}
			}
			name = xasprintf("VACUUM FULL%s%s", table ? " " : "", table ? table : "");
			lint_emit(c, "vacuum_full_or_cluster", table, name);
			free(name);
		}
		break;
	}
	case PG_QUERY__NODE__NODE_CLUSTER_STMT:
		table = stmt->cluster_stmt->relation ? rv_name(stmt->cluster_stmt->relation) : NULL;
		if (!table)
			in_tx(c, NULL, "CLUSTER without a table");
		if (!table || !ctx_table_is_new(c, table)) {
			name = xasprintf("CLUSTER%s%s", table ? " " : "", table ? table : "");
			lint_emit(c, "vacuum_full_or_cluster", table, name);
			free(name);
		}
		break;
	case PG_QUERY__NODE__NODE_CREATEDB_STMT:
		in_tx(c, NULL, "CREATE DATABASE");
		break;
	case PG_QUERY__NODE__NODE_DROPDB_STMT:
		in_tx(c, NULL, "DROP DATABASE");
		break;
	case PG_QUERY__NODE__NODE_ALTER_SYSTEM_STMT:
		in_tx(c, NULL, "ALTER SYSTEM");
		break;
	default:
		break;
	}
	free(table);
}
