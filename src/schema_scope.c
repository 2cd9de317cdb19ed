/*
 * schema_scope: what a SQL section can change, read from its parse trees
 * (libpg_query), for check's scoped snapshots; see schema_snap.h.
 *
 * The section is split the way the engine splits it (sqlsplit.h) and each
 * statement parsed alone.  A statement of a kind that only creates,
 * alters, renames or drops relations, indexes, sequences, views, types,
 * policies and rules, or comments, grants, sets, locks, selects or changes
 * rows, is scoped: every name in its tree goes into the scope (the
 * relations it reads as well as those it changes, index names, the new
 * name of a rename, type names, the parts of qualified names; literals and
 * column references are left out), matched later in every user schema;
 * the functions it calls and the operators and operator classes it uses
 * are kept for the first snapshot's probe; a data change is noted
 * (triggers and rules may run).  Any other statement (DO, CALL,
 * functions, triggers, schemas, extensions...), one that does not parse,
 * one nested too deeply, or more names than a scope is worth makes the
 * scope full.  Erring towards describing more is the point: a hole in the
 * scope is a down bug that check would not report.
 */
#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <pg_query.h>
#include <pg_query/pg_query.pb-c.h>

#include "lint/lint.h"
#include "schema_snap.h"
#include "sqlsplit.h"
#include "util/xalloc.h"
#include "util/banned.h"

/* Statements nested deeper than this are not parsed here (the full
 * snapshot is used): parsing runs on the caller's stack, not on lint's
 * worker thread with its large stack. */
#define SCOPE_MAX_DEPTH 100
/* The walk's own bound: a level of the tree is two or three protobuf
 * messages (Node, List, the node). */
#define SCOPE_MAX_WALK (4 * SCOPE_MAX_DEPTH)
/* More names than this and the full snapshot is as cheap. */
#define SCOPE_MAX_NAMES 2000
/* PostgreSQL truncates identifiers to NAMEDATALEN - 1 bytes. */
#define SCOPE_NAME_MAX 63

static void set_full(struct schema_scope *sc, const char *why)
{
	if (sc->full)
		return;
	sc->full = 1;
	free(sc->why_owned);
	sc->why_owned = xstrdup(why);
	sc->why = sc->why_owned;
}

/* An identifier as the catalog stores it: at most 63 bytes, cut at a
 * character boundary. */
static void add_name(struct schema_scope *sc, struct strlist *l, const char *s)
{
	char buf[SCOPE_NAME_MAX + 1];
	size_t n;

	if (!s || !*s)
		return;
	n = strlen(s);
	if (n > SCOPE_NAME_MAX) {
		n = SCOPE_NAME_MAX;
		while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
			n--;
	}
	memcpy(buf, s, n);
	buf[n] = '\0';
	if (strlist_has(l, buf))
		return;
	if (l->n >= SCOPE_MAX_NAMES) {
		set_full(sc, "more names than a scope is worth");
		return;
	}
	strlist_add(l, buf);
}

/* The last part of a qualified name (a List of String), unless it is
 * qualified with pg_catalog (built in). */
static void add_last(struct schema_scope *sc, struct strlist *l, PgQuery__Node **v, size_t n)
{
	if (n == 0 || !v[n - 1] || v[n - 1]->node_case != PG_QUERY__NODE__NODE_STRING)
		return;
	if (n > 1 && v[0] && v[0]->node_case == PG_QUERY__NODE__NODE_STRING && !strcmp(v[0]->string->sval, "pg_catalog"))
		return;
	add_name(sc, l, v[n - 1]->string->sval);
}

struct walker {
	struct schema_scope *sc;
	int depth;
};

static void walk(struct walker *w, const ProtobufCMessage *m)
{
	const ProtobufCMessageDescriptor *d;
	const char *base = (const char *)m;
	unsigned i;

	if (!m || w->sc->full)
		return;
	if (w->depth >= SCOPE_MAX_WALK) {
		set_full(w->sc, "a statement nested too deeply");
		return;
	}
	w->depth++;
	d = m->descriptor;
	if (d == &pg_query__func_call__descriptor) {
		const PgQuery__FuncCall *f = (const PgQuery__FuncCall *)m;

		add_last(w->sc, &w->sc->calls, f->funcname, f->n_funcname);
	} else if (d == &pg_query__a__expr__descriptor) {
		const PgQuery__AExpr *x = (const PgQuery__AExpr *)m;

		add_last(w->sc, &w->sc->ops, x->name, x->n_name);
	} else if (d == &pg_query__index_elem__descriptor) {
		const PgQuery__IndexElem *x = (const PgQuery__IndexElem *)m;

		add_last(w->sc, &w->sc->ops, x->opclass, x->n_opclass);
	}
	for (i = 0; i < d->n_fields && !w->sc->full; i++) {
		const ProtobufCFieldDescriptor *f = &d->fields[i];

		if ((f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) && *(const uint32_t *)(base + f->quantifier_offset) != f->id)
			continue;
		/* literals and column references name no object; function and
		 * operator names were taken above */
		if (d == &pg_query__a__const__descriptor || d == &pg_query__column_ref__descriptor)
			break;
		if ((d == &pg_query__func_call__descriptor && !strcmp(f->name, "funcname")) ||
		    (d == &pg_query__a__expr__descriptor && !strcmp(f->name, "name")))
			continue;
		if (f->type == PROTOBUF_C_TYPE_STRING && f->label != PROTOBUF_C_LABEL_REPEATED) {
			add_name(w->sc, &w->sc->names, *(char *const *)(base + f->offset));
		} else if (f->type == PROTOBUF_C_TYPE_MESSAGE && f->label == PROTOBUF_C_LABEL_REPEATED) {
			size_t n = *(const size_t *)(base + f->quantifier_offset), k;
			ProtobufCMessage *const *v = *(ProtobufCMessage *const *const *)(base + f->offset);

			for (k = 0; k < n; k++)
				walk(w, v[k]);
		} else if (f->type == PROTOBUF_C_TYPE_MESSAGE) {
			walk(w, *(const ProtobufCMessage *const *)(base + f->offset));
		}
	}
	w->depth--;
}

/* Object kinds whose drop, rename, move or new owner the scope covers. */
static int kind_ok(PgQuery__ObjectType t)
{
	switch (t) {
	case PG_QUERY__OBJECT_TYPE__OBJECT_TABLE:
	case PG_QUERY__OBJECT_TYPE__OBJECT_VIEW:
	case PG_QUERY__OBJECT_TYPE__OBJECT_MATVIEW:
	case PG_QUERY__OBJECT_TYPE__OBJECT_INDEX:
	case PG_QUERY__OBJECT_TYPE__OBJECT_SEQUENCE:
	case PG_QUERY__OBJECT_TYPE__OBJECT_FOREIGN_TABLE:
	case PG_QUERY__OBJECT_TYPE__OBJECT_TYPE:
	case PG_QUERY__OBJECT_TYPE__OBJECT_DOMAIN:
	case PG_QUERY__OBJECT_TYPE__OBJECT_COLUMN:
	case PG_QUERY__OBJECT_TYPE__OBJECT_ATTRIBUTE:
	case PG_QUERY__OBJECT_TYPE__OBJECT_TABCONSTRAINT:
	case PG_QUERY__OBJECT_TYPE__OBJECT_DOMCONSTRAINT:
	case PG_QUERY__OBJECT_TYPE__OBJECT_TRIGGER:
	case PG_QUERY__OBJECT_TYPE__OBJECT_POLICY:
	case PG_QUERY__OBJECT_TYPE__OBJECT_RULE:
		return 1;
	default:
		return 0;
	}
}

/* 1 when the statement is of a kind the scope covers (*dml set for a data
 * change), 0 when it needs the full snapshot. */
static int stmt_ok(const PgQuery__Node *n, int *dml)
{
	switch (n->node_case) {
	case PG_QUERY__NODE__NODE_CREATE_STMT:
	case PG_QUERY__NODE__NODE_CREATE_TABLE_AS_STMT:
	case PG_QUERY__NODE__NODE_VIEW_STMT:
	case PG_QUERY__NODE__NODE_INDEX_STMT:
	case PG_QUERY__NODE__NODE_CREATE_SEQ_STMT:
	case PG_QUERY__NODE__NODE_ALTER_SEQ_STMT:
	case PG_QUERY__NODE__NODE_ALTER_TABLE_STMT:
	case PG_QUERY__NODE__NODE_COMPOSITE_TYPE_STMT:
	case PG_QUERY__NODE__NODE_CREATE_ENUM_STMT:
	case PG_QUERY__NODE__NODE_ALTER_ENUM_STMT:
	case PG_QUERY__NODE__NODE_CREATE_DOMAIN_STMT:
	case PG_QUERY__NODE__NODE_ALTER_DOMAIN_STMT:
	case PG_QUERY__NODE__NODE_CREATE_POLICY_STMT:
	case PG_QUERY__NODE__NODE_ALTER_POLICY_STMT:
	case PG_QUERY__NODE__NODE_RULE_STMT:
	case PG_QUERY__NODE__NODE_COMMENT_STMT:
	case PG_QUERY__NODE__NODE_GRANT_STMT:
	case PG_QUERY__NODE__NODE_VARIABLE_SET_STMT:
	case PG_QUERY__NODE__NODE_LOCK_STMT:
	case PG_QUERY__NODE__NODE_TRANSACTION_STMT:
		return 1;
	case PG_QUERY__NODE__NODE_SELECT_STMT:
		/* a SELECT ... FOR UPDATE or INTO changes nothing another
		 * statement kind does not; its calls go to the probe */
		return 1;
	case PG_QUERY__NODE__NODE_INSERT_STMT:
	case PG_QUERY__NODE__NODE_UPDATE_STMT:
	case PG_QUERY__NODE__NODE_DELETE_STMT:
	case PG_QUERY__NODE__NODE_MERGE_STMT:
	case PG_QUERY__NODE__NODE_TRUNCATE_STMT:
	case PG_QUERY__NODE__NODE_REFRESH_MAT_VIEW_STMT:
		*dml = 1;
		return 1;
	case PG_QUERY__NODE__NODE_DROP_STMT:
		return kind_ok(n->drop_stmt->remove_type);
	case PG_QUERY__NODE__NODE_RENAME_STMT:
		return kind_ok(n->rename_stmt->rename_type);
	case PG_QUERY__NODE__NODE_ALTER_OBJECT_SCHEMA_STMT:
		return kind_ok(n->alter_object_schema_stmt->object_type);
	case PG_QUERY__NODE__NODE_ALTER_OWNER_STMT:
		return kind_ok(n->alter_owner_stmt->object_type);
	default:
		return 0;
	}
}

/* "a DO statement", "a CREATE FUNCTION statement": the parse tree's name
 * for its kind (do_stmt, create_function_stmt). */
static void full_for(struct schema_scope *sc, const PgQuery__Node *n)
{
	const ProtobufCFieldDescriptor *f =
		protobuf_c_message_descriptor_get_field(&pg_query__node__descriptor, (unsigned)n->node_case);
	const char *name = f ? f->name : "unknown";
	size_t len = strlen(name), i;
	char *kind, *why;

	if (len > 5 && !strcmp(name + len - 5, "_stmt"))
		len -= 5;
	kind = xstrndup(name, len);
	for (i = 0; i < len; i++)
		kind[i] = kind[i] == '_' ? ' ' : (char)toupper((unsigned char)kind[i]);
	why = xasprintf("a %s statement", kind);
	set_full(sc, why);
	free(why);
	free(kind);
}

static void add_stmt(struct schema_scope *sc, const char *text, size_t len)
{
	char *s;
	PgQueryProtobufParseResult pr;
	PgQuery__ParseResult *tree = NULL;
	struct walker w = { sc, 0 };
	size_t i;

	if (lint_depth_estimate(text, len) > SCOPE_MAX_DEPTH) {
		set_full(sc, "a statement nested too deeply");
		return;
	}
	s = xstrndup(text, len);
	pr = pg_query_parse_protobuf(s);
	if (pr.error) {
		set_full(sc, "a statement that does not parse");
		goto out;
	}
	tree = pg_query__parse_result__unpack(NULL, pr.parse_tree.len, (const uint8_t *)pr.parse_tree.data);
	if (!tree) {
		set_full(sc, "a statement that does not parse");
		goto out;
	}
	for (i = 0; i < tree->n_stmts && !sc->full; i++) {
		const PgQuery__Node *n = tree->stmts[i] ? tree->stmts[i]->stmt : NULL;

		if (!n)
			continue;
		if (!stmt_ok(n, &sc->dml)) {
			full_for(sc, n);
			break;
		}
		walk(&w, &n->base);
	}
out:
	if (tree)
		pg_query__parse_result__free_unpacked(tree, NULL);
	pg_query_free_protobuf_parse_result(pr);
	free(s);
}

void schema_scope_add_sql(struct schema_scope *sc, const char *sql, size_t len)
{
	struct sql_stmt *v = NULL;
	struct err e = ERR_INIT;
	int n = 0, i;

	if (sc->full)
		return;
	if (sql_split(sql, len, &v, &n, &e) < 0) {
		set_full(sc, "a section that does not split into statements");
		free(v);
		return;
	}
	for (i = 0; i < n && !sc->full; i++)
		add_stmt(sc, sql + v[i].off, v[i].len);
	free(v);
}
