#!/usr/bin/env python3
# cost: 10
# shards: 2
"""Rehearsal (docs/rehearsal.md) with predeploy's own engine as the migrator
(`--rehearse always`): a migration that fails on the shadow copy stops the
deploy with 11 before production or a backup is touched; a column dropped
inside a PL/pgSQL function is caught by the catalog diff and blocked (10);
a rewrite is reported; without CREATEDB it falls back and says so; SIGTERM
mid-rehearsal drops the shadow; the shadow never outlives the run."""
import json
import os
import shutil
import signal

from harness import case, main, Env, shadows_gone
from tool_fixtures import HEAD, MIKRO_FIXTURE, alembic, alembic_project, add_revision, mikro_modules



def base(t: Env):
    t.write("migrations/0001_users.sql",
            "-- migrate:up\ncreate table users(id int primary key, email text, age int);\n"
            "insert into users select g, 'u' || g || '@example.com', g % 90 from generate_series(1, 1000) g;\n")
    r = t.run("up")
    t.expect(r, 0)


def backups(t: Env):
    d = t.path("backups")
    return sorted(f for f in os.listdir(d) if f.endswith(".sql.gz")) if os.path.isdir(d) else []


@case
def failure_on_the_shadow_stops_before_production(t: Env):
    base(t)
    had = backups(t)
    # the copied rows violate the new check: it fails on the shadow
    t.write("migrations/0002_check.sql",
            "-- migrate:up\nalter table users add column score int;\n"
            "alter table users add constraint age_adult check (age >= 18);\n")
    r = t.run("up", "--rehearse", "always", "--backup", "always")
    t.expect(r, 11)
    assert "0002_check.sql" in r.err and "age_adult" in r.err, r
    assert "shadow copy" in r.err, r
    assert t.sql("select count(*) from information_schema.columns where table_name = 'users' "
                 "and column_name = 'score'") == "0"
    assert backups(t) == had, backups(t)
    assert t.sql("select count(*) from predeploy_migrations") == "1"
    shadows_gone(t, r.err)


@case
def column_dropped_inside_a_function_is_caught(t: Env):
    base(t)
    t.write("migrations/0002_fn.sql",
            "-- migrate:up\ncreate function tidy() returns void language plpgsql as $$\n"
            "begin alter table users drop column email; end $$;\n")
    t.expect(t.run("up"), 0)
    t.write("migrations/0003_call.sql", "-- migrate:up\nselect tidy();\n")
    # statically there is nothing to see: one SELECT
    r = t.run("lint", "migrations/0003_call.sql")
    t.expect(r, 0)
    r = t.run("up", "--rehearse", "always")
    t.expect(r, 10)
    assert "drop_column" in r.err and "users.email dropped" in r.err, r
    assert "no statement the migrator sent names it directly" in r.err, r
    assert t.sql("select count(email) from users") == "1000"
    shadows_gone(t, r.err)
    # without the rehearsal the same file would have run
    r = t.run("up", "--rehearse", "never", "--dry-run")
    t.expect(r, 0)


@case
def rewrite_is_a_warning_and_the_run_goes_on(t: Env):
    base(t)
    t.write("migrations/0002_type.sql",
            "-- migrate:up\n-- predeploy:allow change_column_type widening, reviewed\n"
            "alter table users alter column age type bigint;\n")
    r = t.run("up", "--rehearse", "always", "--backup", "never")
    t.expect(r, 0)
    assert "rehearsal:" in r.err and "table_rewrite" in r.err, r
    assert t.sql("select data_type from information_schema.columns where table_name = 'users' "
                 "and column_name = 'age'") == "bigint"


@case
def without_createdb_it_falls_back(t: Env):
    base(t)
    role = "rehearse_low_%d" % os.getpid()
    t.sql("drop role if exists %s" % role, db="postgres")
    t.sql("create role %s login password 'low-pw-Q7' nocreatedb" % role, db="postgres")
    try:
        t.sql("alter database %s owner to %s" % (t.db, role), db="postgres")
        t.sql("alter table users owner to %s; alter table predeploy_migrations owner to %s; "
              "alter table predeploy_migrations_history owner to %s" % (role, role, role))
        t.write("migrations/0002_add.sql", "-- migrate:up\nalter table users add column note text;\n")
        url = "postgresql://%s:low-pw-Q7@127.0.0.1:%d/%s" % (role, t.pg["port"], t.db)
        r = t.run("up", "--rehearse", "always", env={"DATABASE_URL": url})
        t.expect(r, 0)
        assert "rehearsal skipped: no shadow database could be made" in r.err, r
        assert "low-pw-Q7" not in r.err + r.out
        assert t.sql("select count(*) from information_schema.columns where column_name = 'note'") == "1"
    finally:
        t.sql("alter database %s owner to postgres" % t.db, db="postgres")
        t.sql("drop owned by %s cascade" % role)
        t.sql("drop role if exists %s" % role, db="postgres")


@case
def sigterm_mid_rehearsal_drops_the_shadow(t: Env):
    base(t)
    t.write("migrations/0002_slow.sql", "-- migrate:up\nselect pg_sleep(30.2);\n")
    p = t.spawn("up", "--rehearse", "always", env={"PREDEPLOY_LOCK_TIMEOUT": "60s"})
    # on the shadow, after its copy, on a loaded machine
    t.wait_for_backend("pg_sleep(30.2)", timeout=90, anywhere=True)
    p.send_signal(signal.SIGTERM)
    out, err = p.communicate(timeout=30)
    assert p.returncode == 143, (p.returncode, err)
    shadows_gone(t, err)
    assert t.sql("select count(*) from predeploy_migrations") == "1"


@case
def shadow_loader_refuses_what_pg_dump_never_writes(t: Env):
    """pg_dump's output is loaded many statements per round trip without the
    backup guard; it still refuses psql commands and COPY forms pg_dump does
    not write (a --pg-dump that prints them stands in for a hostile one)."""
    base(t)
    t.write("migrations/0002_add.sql", "-- migrate:up\nalter table users add column note text;\n")
    marker = t.path("ran")
    for body, says in (("\\! touch %s\n" % marker, "unexpected psql command"),
                       ("COPY users TO PROGRAM 'touch %s';\n" % marker, "COPY that is not FROM stdin")):
        t.write("fake_pg_dump", "#!/bin/sh\ncat <<'EOF'\nSET client_encoding = 'UTF8';\n"
                "CREATE TABLE users (id int);\n%sEOF\n" % body)
        os.chmod(t.path("fake_pg_dump"), 0o755)
        r = t.run("up", "--rehearse", "always", "--pg-dump", t.path("fake_pg_dump"))
        t.expect(r, 70)
        assert says in r.err and "could not copy the schema into the shadow database" in r.err, r
        assert not os.path.exists(marker)
        assert t.sql("select count(*) from information_schema.columns where column_name = 'note'") == "0"
        shadows_gone(t, r.err)


@case
def auto_does_not_rehearse_sql_files(t: Env):
    base(t)
    t.write("migrations/0002_add.sql", "-- migrate:up\nalter table users add column note text;\n")
    r = t.run("up")
    t.expect(r, 0)
    assert "rehearsing" not in r.err and "shadow" not in r.err, r
    shadows_gone(t, r.err, expect=False)


def alembic_with_users(t: Env):
    """The fixture project at head, users with 1,000 rows."""
    app = alembic_project(t)
    alembic(t, app, "upgrade", "head")
    t.sql("insert into users (id, email, name) select g, 'u' || g || '@example.com', 'n' || g "
          "from generate_series(1, 1000) g; analyze users")
    return app


def history(t: Env):
    return t.sql("select name || '|' || outcome from predeploy_migrations_history where action = 'migrate' "
                 "order by id")


@case
def alembic_drop_column_blocked_before_anything(t: Env):
    app = alembic_with_users(t)
    path = add_revision(app, "f00dcafe0001", HEAD, '    op.drop_column("users", "email")')
    r = t.run("run", "--migrator", "alembic", "--backup-dir", t.path("backups"), "--", "sh", "-c", "echo APP",
              cwd=app)
    t.expect(r, 10)
    assert "APP" not in r.out, r
    assert "drop_column" in r.err and "f00dcafe0001_rehearsed.py" in r.err, r
    assert "the SQL the rehearsal captured" in r.err, r
    assert "~1000 rows" in r.err or "1000 rows" in r.err or "1.0k" in r.err or "rows" in r.err, r
    assert t.sql("select count(email) from users") == "1000"
    assert t.sql("select version_num from alembic_version") == HEAD
    assert not os.path.isdir(t.path("backups")) or os.listdir(t.path("backups")) == [], os.listdir(t.path("backups"))
    shadows_gone(t, r.err)
    r = t.run("lint", "--format", "json", cwd=app)        # (the static lint of .py files sees nothing)
    assert path.endswith(".py")


@case
def alembic_drop_column_acknowledged_in_the_source(t: Env):
    app = alembic_with_users(t)
    add_revision(app, "f00dcafe0002", HEAD, '    op.drop_column("users", "email")',
                 comment="predeploy:allow drop_column emails moved to the accounts service")
    r = t.run("run", "--migrator", "alembic", "--backup", "never", cwd=app)
    t.expect(r, 0)
    assert "acknowledged" in r.err, r
    assert t.sql("select count(*) from information_schema.columns where table_name = 'users' "
                 "and column_name = 'email'") == "0"
    h = history(t)
    assert "alembic: %s -> f00dcafe0002" % HEAD in h and "acknowledged: drop_column" in h and "|success" in h, h


@case
def alembic_failure_in_the_rehearsal_is_11_and_production_untouched(t: Env):
    app = alembic_with_users(t)
    t.sql("create view v_names as select name from users")
    add_revision(app, "f00dcafe0003", HEAD, '    op.drop_column("users", "name")',
                 comment="predeploy:allow drop_column names are derived now")
    r = t.run("run", "--migrator", "alembic", "--backup-dir", t.path("backups"), cwd=app)
    t.expect(r, 11)
    assert "failed in the rehearsal" in r.err and "DependentObjectsStillExist" in r.err, r
    assert t.sql("select count(*) from information_schema.columns where table_name = 'users' "
                 "and column_name = 'name'") == "1"
    assert not os.path.isdir(t.path("backups")) or os.listdir(t.path("backups")) == []
    assert "|failed" in history(t), history(t)


@case
def alembic_dry_run_shows_what_it_would_send(t: Env):
    app = alembic_with_users(t)
    add_revision(app, "f00dcafe0005", HEAD, '    op.drop_column("users", "email")')
    r = t.run("up", "--migrator", "alembic", "--dry-run", cwd=app)
    t.expect(r, 0)
    assert "dry run on a shadow copy of the database: 1 pending alembic revision" in r.out, r
    rev = r.out.split("f00dcafe0005 (")[1]
    assert "f00dcafe0005_rehearsed.py): 1 statement" in r.out and "ALTER TABLE users DROP COLUMN email" in rev, r
    assert "drop_column" in r.out and "up would stop here: 1 blocking finding (exit 10)" in r.out, r
    assert t.sql("select count(email) from users") == "1000"
    assert t.sql("select version_num from alembic_version") == HEAD
    assert t.sql("select to_regclass('predeploy_migrations_history') is null") == "t", r     # nothing recorded
    shadows_gone(t, r.err)
    r = t.run("up", "--migrator", "alembic", "--dry-run", "--format", "json", cwd=app)
    t.expect(r, 0)
    doc = json.loads(r.out)
    assert doc["rehearsed"] and doc["blocked"] and doc["production_changed"] is False, doc
    m = [x for x in doc["migrations"] if x["version"] == "f00dcafe0005"][0]
    assert any("DROP COLUMN email" in q for q in m["statements"]), doc
    assert any(f["rule"] == "drop_column" and f["version"] == "f00dcafe0005" for f in doc["findings"]), doc


@case
def alembic_dry_run_failure_is_11(t: Env):
    app = alembic_with_users(t)
    t.sql("create view v_emails as select email from users")
    add_revision(app, "f00dcafe0006", HEAD, '    op.drop_column("users", "email")')
    r = t.run("up", "--migrator", "alembic", "--dry-run", cwd=app)
    t.expect(r, 11)
    assert "failed in the rehearsal" in r.err and "DependentObjectsStillExist" in r.err, r
    assert "failed on the shadow copy" in r.out and "production was not changed" in r.out, r
    assert t.sql("select count(email) from users") == "1000"
    assert t.sql("select version_num from alembic_version") == HEAD
    shadows_gone(t, r.err)


@case
def migrator_that_ignores_database_url(t: Env):
    base(t)
    # a "tool" that always talks to the live database, whatever DATABASE_URL says
    live = t.url
    t.write("tool.sh", "#!/bin/sh\nexec psql -X -q '%s' -c 'create table if not exists made_by_tool(id int)'\n"
            % live.replace("'", ""))
    os.chmod(t.path("tool.sh"), 0o755)
    psql_dir = t.pg["bindir"]
    r = t.run("run", "--migrator", "command", "--migrate-cmd", t.path("tool.sh"), "--backup", "never",
              env={"PATH": psql_dir + ":" + os.environ["PATH"]})
    t.expect(r, 11)
    assert "changed the live database during the rehearsal" in r.err and "made_by_tool" in r.err, r
    assert "DATABASE_URL" in r.err, r


@case
def alembic_offline_fallback_without_createdb(t: Env):
    app = alembic_with_users(t)
    role = "rehearse_alembic_%d" % os.getpid()
    t.sql("drop role if exists %s" % role, db="postgres")
    t.sql("create role %s login password 'low-pw-A9' nocreatedb" % role, db="postgres")
    try:
        t.sql("alter database %s owner to %s" % (t.db, role), db="postgres")
        t.sql("alter schema public owner to %s; reassign owned by predeploy_test to %s" % (role, role))
        add_revision(app, "f00dcafe0004", HEAD, '    op.drop_column("users", "email")')
        url = "postgresql://%s:low-pw-A9@127.0.0.1:%d/%s" % (role, t.pg["port"], t.db)
        r = t.run("run", "--migrator", "alembic", "--backup", "never", cwd=app, env={"DATABASE_URL": url})
        t.expect(r, 10)
        assert "fell back to alembic's offline SQL" in r.err and "no shadow database could be made" in r.err, r
        assert "drop_column" in r.err and "f00dcafe0004_rehearsed.py" in r.err, r
        assert "low-pw-A9" not in r.err + r.out
        assert t.sql("select count(email) from users") == "1000"
        assert t.sql("select version_num from alembic_version") == HEAD
    finally:
        t.sql("alter database %s owner to postgres" % t.db, db="postgres")
        t.sql("reassign owned by %s to postgres; drop owned by %s cascade" % (role, role))
        t.sql("drop role if exists %s" % role, db="postgres")


MIKRO_FK = """'use strict';
Object.defineProperty(exports, '__esModule', { value: true });
exports.Migration20240104000000_teams = void 0;
const { Migration } = require('@mikro-orm/migrations');

class Migration20240104000000_teams extends Migration {
  async up() {
    this.addSql('create table "teams" ("id" serial primary key, "name" text);');
    this.addSql('alter table "users" add column "team_id" int null;');
    this.addSql('alter table "users" add constraint "users_team_fk" foreign key ("team_id") references "teams" ("id");');
  }
}
exports.Migration20240104000000_teams = Migration20240104000000_teams;
"""


@case
def mikro_orm_foreign_key_on_a_large_table(t: Env):
    mods = mikro_modules()
    app = t.path("nest")
    shutil.copytree(MIKRO_FIXTURE, app)
    env = {"NODE_PATH": mods, "PATH": os.path.join(mods, ".bin") + os.pathsep + os.environ["PATH"]}
    menv = ["--migrator", "mikro-orm", "--migrate-cmd", "mikro-orm migration:up", "--backup", "never",
            "--migrate-env", "DB_HOST={host}", "--migrate-env", "DB_PORT={port}", "--migrate-env", "DB_USER={user}",
            "--migrate-env", "DB_PASSWORD={password}", "--migrate-env", "DB_NAME={dbname}"]
    t.expect(t.run("run", *menv, cwd=app, env=env), 0)
    t.sql("insert into users (email) select 'u' || g || '@example.com' from generate_series(1, 20000) g; "
          "analyze users")
    with open(os.path.join(app, "db", "migrations", "Migration20240104000000_teams.js"), "w") as f:
        f.write(MIKRO_FK)
    # a warning with the live table's row count; applied
    r = t.run("run", *menv, "--rehearse", "always", "--large-table", "1000000", cwd=app, env=env)
    t.expect(r, 0)
    assert "add_foreign_key_validating" in r.err and "20000 rows" in r.err, r
    assert "Migration20240104000000_teams.js" in r.err, r
    # the same migration on a table above --large-table: blocked, nothing changed
    t.sql("alter table users drop constraint users_team_fk; alter table users drop column team_id; drop table teams; "
          "delete from mikro_orm_migrations where name like 'Migration20240104000000%'")
    r = t.run("run", *menv, "--large-table", "1000", cwd=app, env=env)
    t.expect(r, 10)
    assert "add_foreign_key_validating" in r.err and "20000 rows" in r.err, r
    assert t.sql("select count(*) from information_schema.columns where column_name = 'team_id'") == "0"


if __name__ == "__main__":
    main()
