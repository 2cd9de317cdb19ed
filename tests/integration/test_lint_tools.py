#!/usr/bin/env python3
# cost: 5
"""`lint --migrator TOOL [--since REV]` in CI (docs/rehearsal.md): on a
scratch --shadow-database-url the real Alembic and MikroORM CLIs apply the
released revisions (up to REV) without capture, then the rest run through
the capture relay and the SQL they send is linted; exit codes as lint's (10
blocked), 11 when a revision fails on the scratch database."""
import json
import os
import shutil

from harness import case, main, Env
from tool_fixtures import HEAD, ALL, MIKRO_FIXTURE, alembic_project, add_revision, mikro_modules


def scratch(t: Env):
    """A scratch database of this test's own for --shadow-database-url."""
    name = t.db + "_scratch"
    t.sql('drop database if exists "%s"' % name, db="postgres")
    t.sql('create database "%s"' % name, db="postgres")
    return name, t.url.rsplit("/", 1)[0] + "/" + name


NO_DB = {"DATABASE_URL": None}


@case
def alembic_since_in_ci(t: Env):
    app = alembic_project(t)
    path = add_revision(app, "f00dcafe0101", HEAD, '    op.drop_column("users", "email")')
    name, url = scratch(t)
    t.sql("create table leftover(id int)", db=name)            # emptied first
    r = t.run("lint", "--migrator", "alembic", "--since", HEAD, "--shadow-database-url", url, cwd=app, env=NO_DB,
              timeout=300)
    t.expect(r, 10)
    # the released history went up without capture: only the new revision is linted
    assert "linted 1 migration" in r.err, r
    assert "drop_column" in r.out and path in r.out, r
    assert "f00dcafe0101" in r.out or "f00dcafe0101" in r.err, r
    assert "d4e5f6a7b804" not in r.out, r                         # (that one drops users.legacy_flag)
    # the scratch database holds the whole history; leftover was dropped
    assert t.sql("select version_num from alembic_version", db=name) == "f00dcafe0101"
    assert t.sql("select to_regclass('leftover') is null", db=name) == "t"
    # the same with JSON: the finding names the revision
    r = t.run("lint", "--migrator", "alembic", "--since", HEAD, "--shadow-database-url", url, "--format", "json",
              cwd=app, env=NO_DB, timeout=300)
    t.expect(r, 10)
    doc = json.loads(r.out)
    assert any(f["rule"] == "drop_column" and f["version"] == "f00dcafe0101" for f in doc), doc
    # acknowledged in the revision's source: passes
    add_revision(app, "f00dcafe0101", HEAD, '    op.drop_column("users", "email")',
                 comment="predeploy:allow drop_column the address moved to accounts")
    r = t.run("lint", "--migrator", "alembic", "--since", HEAD, "--shadow-database-url", url, cwd=app, env=NO_DB,
              timeout=300)
    t.expect(r, 0)
    assert "1 acknowledged" in r.err, r
    # without --since the whole history is rehearsed from an empty database: tables
    # created earlier in the same run are exempt, so it passes
    r = t.run("lint", "--migrator", "alembic", "--shadow-database-url", url, cwd=app, env=NO_DB, timeout=300)
    t.expect(r, 0)
    assert "linted %d migrations" % (len(ALL) + 1) in r.err, r
    t.sql('drop database "%s" with (force)' % name, db="postgres")


@case
def alembic_failure_is_11(t: Env):
    app = alembic_project(t)
    add_revision(app, "f00dcafe0102", HEAD, '    op.execute("select no_such_function()")')
    name, url = scratch(t)
    r = t.run("lint", "--migrator", "alembic", "--since", HEAD, "--shadow-database-url", url, cwd=app, env=NO_DB,
              timeout=300)
    t.expect(r, 11)
    assert "failed in the rehearsal" in r.err and "no_such_function" in r.err, r
    t.sql('drop database "%s" with (force)' % name, db="postgres")


@case
def lint_usage_errors(t: Env):
    app = alembic_project(t)
    r = t.run("lint", "--since", HEAD, cwd=app)
    t.expect(r, 64)
    assert "--since needs --migrator" in r.err, r
    r = t.run("lint", "--migrator", "alembic", "--since", HEAD, cwd=app, env=NO_DB)
    t.expect(r, 64)
    assert "needs --shadow-database-url" in r.err, r
    name, url = scratch(t)
    r = t.run("lint", "--migrator", "alembic", "--since", "nosuchrev", "--shadow-database-url", url, cwd=app,
              env=NO_DB)
    t.expect(r, 64)
    t.sql('drop database "%s" with (force)' % name, db="postgres")


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
def mikro_orm_since_in_ci(t: Env):
    mods = mikro_modules()
    app = t.path("nest")
    shutil.copytree(MIKRO_FIXTURE, app)
    with open(os.path.join(app, "db", "migrations", "Migration20240104000000_teams.js"), "w") as f:
        f.write(MIKRO_FK)
    env = {"NODE_PATH": mods, "PATH": os.path.join(mods, ".bin") + os.pathsep + os.environ["PATH"],
           "DATABASE_URL": None}
    menv = ["--migrate-env", "DB_HOST={host}", "--migrate-env", "DB_PORT={port}", "--migrate-env", "DB_USER={user}",
            "--migrate-env", "DB_PASSWORD={password}", "--migrate-env", "DB_NAME={dbname}",
            "--migrate-cmd", "mikro-orm migration:up"]
    name, url = scratch(t)
    r = t.run("lint", "--migrator", "mikro-orm", *menv, "--since", "Migration20240103000000_drop_legacy",
              "--shadow-database-url", url, cwd=app, env=env, timeout=300)
    t.expect(r, 0)
    assert "mikro-orm migration:up --to Migration20240103000000_drop_legacy" in r.err, r
    assert "linted 1 migration" in r.err, r
    assert "add_foreign_key_validating" in r.out and "Migration20240104000000_teams.js" in r.out, r
    # the released drop_legacy (a drop_column) was applied uncaptured: not linted
    assert "drop_column" not in r.out, r
    assert t.sql("select count(*) from mikro_orm_migrations", db=name) == "4"
    # --fail-on warning makes the same finding block
    r = t.run("lint", "--migrator", "mikro-orm", *menv, "--since", "Migration20240103000000_drop_legacy",
              "--shadow-database-url", url, "--fail-on", "warning", cwd=app, env=env, timeout=300)
    t.expect(r, 10)
    t.sql('drop database "%s" with (force)' % name, db="postgres")


if __name__ == "__main__":
    main()
