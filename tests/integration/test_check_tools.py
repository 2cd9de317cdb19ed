#!/usr/bin/env python3
# cost: 5
"""`predeploy check` with the team's tool: the real Alembic and MikroORM CLIs
take each revision up, down (their own downgrade) and up again on the
scratch database; a downgrade that forgets an index is reported against the
revision's file; Prisma is refused (no downs)."""
import json
import os
import shutil

from harness import case, main, Env
from tool_fixtures import HEAD, MIKRO_FIXTURE, alembic_project, mikro_modules


def alembic_rev(app, rev, down, up_body, down_body):
    path = os.path.join(app, "migrations", "versions", "%s_checked.py" % rev)
    with open(path, "w") as f:
        f.write('"""%s\n\nRevision ID: %s\n"""\nfrom alembic import op\n\n'
                'revision = "%s"\ndown_revision = "%s"\nbranch_labels = None\ndepends_on = None\n\n\n'
                'def upgrade() -> None:\n    %s\n\n\ndef downgrade() -> None:\n    %s\n'
                % (rev, rev, rev, down, up_body, down_body))
    return path


def scratch(t: Env):
    """A scratch database of this test's own for --shadow-database-url: tests
    running at the same time count the server's temporary scratch databases."""
    name = t.db + "_scratch"
    t.sql('drop database if exists "%s"' % name, db="postgres")
    t.sql('create database "%s"' % name, db="postgres")
    return name, t.url.rsplit("/", 1)[0] + "/" + name


@case
def alembic_round_trip_and_a_forgotten_index(t: Env):
    app = alembic_project(t)
    alembic_rev(app, "f1c1ea000001", HEAD, 'op.create_index("users_email_idx", "users", ["email"])',
                'op.drop_index("users_email_idx")')
    name, url = scratch(t)
    # the released history (up to HEAD) goes up unchecked, the new revision round-trips
    r = t.run("check", "--shadow-database-url", url, "--since", HEAD, "--format", "json", cwd=app, timeout=300)
    t.expect(r, 0)
    doc = json.loads(r.out)
    assert "migrator: alembic" in r.err and "alembic upgrade %s" % HEAD in r.err, r
    assert "alembic downgrade f1c1ea000001@-1" in r.err, r
    assert doc["ok"] and doc["checked"] == 1 and doc["applied_without_checking"] == 6, doc
    assert doc["migrations"][0]["version"] == "f1c1ea000001", doc
    # a downgrade that forgets the index its upgrade created
    bad = alembic_rev(app, "f1c1ea000002", "f1c1ea000001",
                      'op.create_index("users_id_email_idx", "users", ["id", "email"])', "pass")
    r = t.run("check", "--shadow-database-url", url, "--migrator", "alembic", "--since", HEAD, cwd=app, timeout=300)
    t.expect(r, 16)
    assert "ok          f1c1ea000001" in r.out, r
    assert "FAILED      f1c1ea000002" in r.out, r
    assert "schema_differs: %s:" % bad in r.out, r
    assert "left behind: index public.users_id_email_idx" in r.out, r
    # and its upgrade fails when run again after that downgrade
    assert "up_after_down_failed: %s" % bad in r.out and "DuplicateTable" in r.out, r
    # alembic_version, created by the first revision, is not a difference; nothing was left behind
    assert "alembic_version" not in r.out, r
    # the configured database was never touched; the scratch one holds the last state
    assert t.sql("select count(*) from pg_tables where schemaname = 'public'") == "0"
    assert t.sql("select version_num from alembic_version", db=name) == "f1c1ea000001"
    t.sql('drop database "%s" with (force)' % name, db="postgres")


@case
def mikro_orm_round_trip(t: Env):
    mods = mikro_modules()
    app = t.path("nest")
    shutil.copytree(MIKRO_FIXTURE, app)
    t.write("nest/db/migrations/Migration20240104000000_email_idx.js",
            "'use strict';\nObject.defineProperty(exports, '__esModule', { value: true });\n"
            "const { Migration } = require('@mikro-orm/migrations');\n\n"
            "class Migration20240104000000_email_idx extends Migration {\n"
            "  async up() {\n    this.addSql('create index \"users_email_idx\" on \"users\" (\"email\");');\n  }\n\n"
            "  async down() {\n    this.addSql('drop index \"users_email_idx\";');\n  }\n}\n"
            "exports.Migration20240104000000_email_idx = Migration20240104000000_email_idx;\n")
    env = {"NODE_PATH": mods, "PATH": os.path.join(mods, ".bin") + os.pathsep + os.environ["PATH"]}
    menv = ["--migrate-env", "DB_HOST={host}", "--migrate-env", "DB_PORT={port}", "--migrate-env", "DB_USER={user}",
            "--migrate-env", "DB_PASSWORD={password}", "--migrate-env", "DB_NAME={dbname}",
            "--migrate-cmd", "mikro-orm migration:up"]
    name, url = scratch(t)
    r = t.run("check", "--shadow-database-url", url, *menv, "--since", "Migration20240103000000_drop_legacy", cwd=app, env=env, timeout=300)
    t.expect(r, 0)
    assert "migrator: mikro-orm" in r.err, r
    assert "mikro-orm migration:up --to Migration20240103000000_drop_legacy" in r.err, r
    assert "mikro-orm migration:down --only Migration20240104000000_email_idx" in r.err, r
    assert "ok          Migration20240104000000_email_idx" in r.out, r
    assert "1 migration checked, 0 failed" in r.out, r
    t.sql('drop database "%s" with (force)' % name, db="postgres")


@case
def prisma_has_no_downs(t: Env):
    t.write("prisma/schema.prisma", "datasource db {\n  provider = \"postgresql\"\n  url = env(\"DATABASE_URL\")\n}\n")
    t.write("prisma/migrations/20240101000000_init/migration.sql", "CREATE TABLE \"User\" (\"id\" SERIAL);\n")
    r = t.run("check", cwd=t.path("."))
    t.expect(r, 64)
    assert "Prisma has no down migrations" in r.err, r
    assert "predeploy_shadow" not in r.err, r


if __name__ == "__main__":
    main()
