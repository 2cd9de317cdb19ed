/* Unit tests of src/schema_scope (what a SQL section names, and when its
 * snapshots must be full). */
// cases: names_of_ddl renames_and_moves drops_and_comments calls_ops_and_data_changes full_for_code full_for_other_kinds long_names long_expressions unparsable
#include <stdlib.h>

#include "unit.h"
#include "schema_snap.h"
#include "util/strbuf.h"

static void scope(struct schema_scope *sc, const char *sql)
{
	schema_scope_add_sql(sc, sql, strlen(sql));
}

static void names_of_ddl(void)
{
	struct schema_scope sc = SCHEMA_SCOPE_INIT;

	scope(&sc, "create table s1.orders (id bigint primary key, st mood, cust int references customers(id));\n"
		   "create index orders_st on s1.orders (st);\n"
		   "create view open_orders as select o.id from s1.orders o where o.st = 'open';\n"
		   "alter table items add column price numeric default 0;\n");
	CHECK_INT(sc.full, 0);
	CHECK(strlist_has(&sc.names, "orders"));
	CHECK(strlist_has(&sc.names, "mood"));          /* a type */
	CHECK(strlist_has(&sc.names, "customers"));     /* referenced */
	CHECK(strlist_has(&sc.names, "orders_st"));     /* an index */
	CHECK(strlist_has(&sc.names, "open_orders"));
	CHECK(strlist_has(&sc.names, "items"));
	CHECK(!strlist_has(&sc.names, "open"));         /* literals name nothing */
	CHECK_INT(sc.dml, 0);
	schema_scope_release(&sc);
}

static void renames_and_moves(void)
{
	struct schema_scope sc = SCHEMA_SCOPE_INIT;

	scope(&sc, "alter table t rename to t_old; alter index i1 rename to i2;\n"
		   "alter table x set schema archive; alter type mood rename value 'a' to 'b';\n"
		   "create sequence seq owned by owner_t.id;");
	CHECK_INT(sc.full, 0);
	CHECK(strlist_has(&sc.names, "t") && strlist_has(&sc.names, "t_old"));
	CHECK(strlist_has(&sc.names, "i1") && strlist_has(&sc.names, "i2"));
	CHECK(strlist_has(&sc.names, "x"));
	CHECK(strlist_has(&sc.names, "mood"));
	CHECK(strlist_has(&sc.names, "seq") && strlist_has(&sc.names, "owner_t"));
	schema_scope_release(&sc);
}

static void drops_and_comments(void)
{
	struct schema_scope sc = SCHEMA_SCOPE_INIT;

	scope(&sc, "drop index if exists a_idx; drop table b, c cascade; drop type d; drop trigger tr on e;\n"
		   "comment on column f.g is 'x'; drop view \"Mixed Case\";");
	CHECK_INT(sc.full, 0);
	CHECK(strlist_has(&sc.names, "a_idx") && strlist_has(&sc.names, "b") && strlist_has(&sc.names, "c"));
	CHECK(strlist_has(&sc.names, "d") && strlist_has(&sc.names, "e") && strlist_has(&sc.names, "f"));
	CHECK(strlist_has(&sc.names, "Mixed Case"));
	schema_scope_release(&sc);
}

static void calls_ops_and_data_changes(void)
{
	struct schema_scope sc = SCHEMA_SCOPE_INIT;

	scope(&sc, "update t set v = my_fn(v) ### 2 where pg_catalog.length(name) > 1;\n"
		   "create index t_trgm on t using gin (name my_ops);");
	CHECK_INT(sc.full, 0);
	CHECK(strlist_has(&sc.calls, "my_fn"));
	CHECK(!strlist_has(&sc.calls, "length"));       /* pg_catalog's */
	CHECK(strlist_has(&sc.ops, "###"));
	CHECK(strlist_has(&sc.ops, "my_ops"));          /* an operator class */
	CHECK(!strlist_has(&sc.names, "my_fn"));
	CHECK_INT(sc.dml, 1);
	schema_scope_release(&sc);
}

static void full_for_code(void)
{
	static const char *const full[][2] = {
		{ "do $$ begin execute 'drop table x'; end $$;", "a DO statement" },
		{ "call cleanup();", "a CALL statement" },
		{ "create function f() returns int language sql as 'select 1';", "a CREATE FUNCTION statement" },
		{ "create trigger tr before insert on t for each row execute function f();", "a CREATE TRIG statement" },
		{ "create event trigger e on ddl_command_start execute function f();", "a CREATE EVENT TRIG statement" },
		{ "drop function f();", "a DROP statement" },
		{ "alter schema s rename to s2;", "a RENAME statement" },
	};
	size_t i;

	for (i = 0; i < sizeof(full) / sizeof(full[0]); i++) {
		struct schema_scope sc = SCHEMA_SCOPE_INIT;

		scope(&sc, "alter table t add column c int;");
		scope(&sc, full[i][0]);
		CHECK_INT(sc.full, 1);
		CHECK_STR(sc.why, full[i][1]);
		schema_scope_release(&sc);
	}
}

static void full_for_other_kinds(void)
{
	static const char *const full[] = {
		"create schema s;", "drop schema s cascade;", "create extension pgcrypto;",
		"copy t from stdin;", "alter default privileges grant select on tables to r;", "drop owned by r;",
	};
	size_t i;

	for (i = 0; i < sizeof(full) / sizeof(full[0]); i++) {
		struct schema_scope sc = SCHEMA_SCOPE_INIT;

		scope(&sc, full[i]);
		CHECK_INT(sc.full, 1);
		schema_scope_release(&sc);
	}
}

static void long_names(void)
{
	struct schema_scope sc = SCHEMA_SCOPE_INIT;
	struct strbuf sql = STRBUF_INIT;
	int i;

	/* the server keeps 63 bytes of an identifier, cut at a character */
	sb_adds(&sql, "create table \"");
	for (i = 0; i < 31; i++)
		sb_adds(&sql, "\xc3\xa9");  /* é: 62 bytes */
	sb_adds(&sql, "\xc3\xa9xyz\" (id int);");
	scope(&sc, sql.buf);
	CHECK_INT(sc.full, 0);
	CHECK_INT(sc.names.n > 0, 1);
	for (i = 0; i < sc.names.n; i++)
		CHECK(strlen(sc.names.v[i]) <= 63);
	CHECK_INT((int)strlen(sc.names.v[0]), 62);
	sb_release(&sql);
	schema_scope_release(&sc);
}

static void long_expressions(void)
{
	struct schema_scope sc = SCHEMA_SCOPE_INIT;
	struct strbuf sql = STRBUF_INIT;
	int i;

	/* a chain of 60 operators is 120 levels of protobuf messages: scoped */
	sb_adds(&sql, "update t set label = 'a'");
	for (i = 0; i < 60; i++)
		sb_adds(&sql, " || 'b'");
	scope(&sc, sql.buf);
	CHECK_INT(sc.full, 0);
	CHECK(strlist_has(&sc.names, "t"));
	CHECK(strlist_has(&sc.ops, "||"));
	sb_release(&sql);
	schema_scope_release(&sc);
}

static void unparsable(void)
{
	struct schema_scope sc = SCHEMA_SCOPE_INIT;
	struct strbuf deep = STRBUF_INIT;
	int i;

	scope(&sc, "alter tabel t add column c int;");
	CHECK_INT(sc.full, 1);
	CHECK_STR(sc.why, "a statement that does not parse");
	schema_scope_release(&sc);

	sb_adds(&deep, "select ");
	for (i = 0; i < 500; i++)
		sb_addc(&deep, '(');
	sb_addc(&deep, '1');
	for (i = 0; i < 500; i++)
		sb_addc(&deep, ')');
	scope(&sc, deep.buf);
	CHECK_INT(sc.full, 1);
	CHECK_STR(sc.why, "a statement nested too deeply");
	sb_release(&deep);
	schema_scope_release(&sc);

	scope(&sc, "select 'unterminated");
	CHECK_INT(sc.full, 1);
	schema_scope_release(&sc);
}

UNIT_CASES(UNIT(names_of_ddl), UNIT(renames_and_moves), UNIT(drops_and_comments), UNIT(calls_ops_and_data_changes),
	   UNIT(full_for_code), UNIT(full_for_other_kinds), UNIT(long_names), UNIT(long_expressions), UNIT(unparsable))
