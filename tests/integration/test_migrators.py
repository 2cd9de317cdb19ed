#!/usr/bin/env python3
# cost: 15
# shards: 2
"""Migrators: the team's own tool inside the pipeline (SPEC.md "Migrators").

Alembic is the real one (Debian's alembic, python3-alembic, python3-psycopg2)
on the project in examples/alembic (made by `alembic init`: a branch, a
merge, free-string ids, annotated assignments, a DROP COLUMN and a SET NOT
NULL).  The `command` migrator runs small scripts written by the tests.
"""
import glob
import os
import shutil
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import BIN, SRC, Env, case, main  # noqa: E402
from receiver import Receiver  # noqa: E402
from tool_fixtures import HEAD, MIKRO_FIXTURE, alembic, alembic_project, mikro_modules  # noqa: E402

def spawn(t: Env, *args, cwd=None):
    return subprocess.Popen([BIN] + list(args), cwd=cwd or t.dir, env=t.env(), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def history_rows(t: Env):
    return t.sql("select action || '|' || coalesce(version,'') || '|' || coalesce(name,'') || '|' || outcome || '|' "
                 "|| coalesce(backup_file, '') from predeploy_migrations_history where action = 'migrate' order by id")


def backups(t: Env):
    return sorted(os.path.basename(p) for p in glob.glob(t.path("backups", "*.sql.gz")))


@case
def alembic_pending_backup_named_with_revision_then_nothing_pending(t: Env):
    app = alembic_project(t)
    alembic(t, app, "upgrade", "a1b2c3d4e5f6")
    t.sql("insert into users (email, name, legacy_flag) values (null, 'ann', true)")
    with Receiver() as rx:
        r = t.run("run", "--migrator", "alembic", "--backup-dir", t.path("backups"), "--webhook", rx.url,
                  "--", "sh", "-c", "echo APP-STARTED", cwd=app)
        t.expect(r, 0)
        body = rx.wait_for(1, timeout=30)[-1]["json"]
    assert "APP-STARTED" in r.out, r
    assert "alembic: " in r.err and "Running upgrade" in r.err, r     # its lines relayed with a prefix
    assert t.sql("select version_num from alembic_version") == HEAD
    assert t.sql("select count(*) from information_schema.columns where table_name = 'users' "
                 "and column_name = 'legacy_flag'") == "0"
    assert t.sql("select is_nullable from information_schema.columns where table_name = 'users' "
                 "and column_name = 'email'") == "NO"
    b = backups(t)
    assert len(b) == 1 and b[0].endswith("_a1b2c3d4e5f6.sql.gz"), b
    data = body["data"]
    assert data["migrator"] == "alembic" and data["from_version"] == "a1b2c3d4e5f6", data
    assert data["to_version"] == HEAD and data["status"] == "succeeded", data
    assert [a["version"] for a in data["applied"]] == ["20260206_exercises_idx", "c0ffee000001", "d4e5f6a7b804",
                                                        HEAD], data
    h = history_rows(t)
    # the fixture's DROP COLUMN and SET NOT NULL carry "# predeploy:allow": the rehearsal records them
    assert h.startswith("migrate|%s|alembic: a1b2c3d4e5f6 -> %s; acknowledged: drop_column,set_not_null|success|"
                        % (HEAD, HEAD)), h
    assert h.endswith(b[0]), h

    # nothing pending: no backup, the tool is not started, the app runs
    r = t.run("run", "--migrator", "alembic", "--backup-dir", t.path("backups"), "--verbose",
              "--", "sh", "-c", "echo APP-AGAIN", cwd=app)
    t.expect(r, 0)
    assert "APP-AGAIN" in r.out and "Running upgrade" not in r.err and "alembic: " not in r.err, r
    assert backups(t) == b
    assert "nothing pending, at %s" % HEAD in r.err, r

    # and one connection: pg_stat_database counts a session when it ends, the
    # psql reading the counter included (after its read), so every read here
    # is counted; wait until predeploy's backend is gone before the last read
    reads = [0]

    def q(sql):
        reads[0] += 1
        return t.sql(sql)
    n0 = int(q("select sessions from pg_stat_database where datname = current_database()"))
    t.expect(t.run("run", "--migrator", "alembic", "--backup-dir", t.path("backups"), "--", "/bin/true", cwd=app), 0)
    deadline = time.time() + 20
    while q("select count(*) from pg_stat_activity where datname = current_database() "
            "and pid <> pg_backend_pid()") != "0" and time.time() < deadline:
        time.sleep(0.05)
    n1 = int(q("select sessions from pg_stat_database where datname = current_database()"))
    assert n1 - n0 - (reads[0] - 1) == 1, "predeploy used %d connections" % (n1 - n0 - (reads[0] - 1))


@case
def alembic_from_empty_database(t: Env):
    app = alembic_project(t)
    r = t.run("run", "--migrator", "alembic", "--backup", "never", cwd=app)
    t.expect(r, 0)
    assert t.sql("select version_num from alembic_version") == HEAD
    assert "6 applied (none -> %s)" % HEAD in r.err, r


@case
def backup_always_with_nothing_pending(t: Env):
    app = alembic_project(t)
    alembic(t, app, "upgrade", "head")
    r = t.run("run", "--migrator", "alembic", "--backup", "always", "--backup-dir", t.path("backups"), cwd=app)
    t.expect(r, 0)
    assert len(backups(t)) == 1 and backups(t)[0].endswith("_%s.sql.gz" % HEAD), backups(t)
    # the sql engine too
    t.write("migrations/001_a.sql", "-- migrate:up\ncreate table a (id int);\n")
    t.expect(t.run("up", "--migrator", "sql", "--backup", "never"), 0)
    r = t.run("run", "--migrator", "sql", "--backup", "always", "--backup-dir", t.path("b2"))
    t.expect(r, 0)
    assert len(glob.glob(t.path("b2", "*_001.sql.gz"))) == 1, r


@case
def tool_fails_exit_11_with_its_lines(t: Env):
    app = alembic_project(t)
    alembic(t, app, "upgrade", "c0ffee000001")
    t.sql("insert into users (email, name) values ('a@b.c', 'ann')")
    # make the DROP COLUMN revision fail: a view depends on the column
    # (without the rehearsal, which would catch it first: test_rehearse.py)
    t.sql("create view v_flags as select legacy_flag from users")
    with Receiver() as rx:
        r = t.run("run", "--migrator", "alembic", "--rehearse", "never", "--backup-dir", t.path("backups"),
                  "--webhook", rx.url,
                  "--termination-log", t.path("term.log"), "--", "sh", "-c", "echo APP-STARTED", cwd=app)
        t.expect(r, 11)
        body = rx.wait_for(1, timeout=30)[-1]["json"]
    assert "APP-STARTED" not in r.out, r
    assert "failed (exit status 1)" in r.err and "DependentObjectsStillExist" in r.err, r
    err = body["data"]["error"]
    assert "failed (exit status 1)" in err["message"] and "DependentObjectsStillExist" in err["detail"], body
    assert body["data"]["status"] == "failed" and body["data"]["exit_code"] == 11, body
    with open(t.path("term.log")) as f:
        term = f.read()
    assert "DependentObjectsStillExist" in term, term
    assert t.sql("select version_num from alembic_version") == "c0ffee000001"
    h = history_rows(t)
    assert "|failed|" in h and "alembic: c0ffee000001 -> c0ffee000001" in h, h
    assert len(backups(t)) == 1


@case
def tool_leaves_revisions_pending_is_11(t: Env):
    app = alembic_project(t)
    r = t.run("run", "--migrator", "alembic", "--backup", "never", "--migrate-cmd", "alembic upgrade initial_snapshot",
              cwd=app)
    t.expect(r, 11)
    assert "still pending" in r.err, r
    assert t.sql("select version_num from alembic_version") == "initial_snapshot"


@case
def timeout_kills_the_tool(t: Env):
    app = alembic_project(t)
    marker = t.path("tool.pid")
    r = t.run("run", "--migrator", "alembic", "--backup", "never", "--migrate-timeout", "1s",
              "--migrate-cmd", "sh -c 'echo $$ > %s; exec sleep 60'" % marker, "--", "sh", "-c", "echo APP", cwd=app)
    t.expect(r, 11)
    assert "timed out after 1s" in r.err and "APP" not in r.out, r
    pid = int(open(marker).read())
    assert not os.path.exists("/proc/%d" % pid) or open("/proc/%d/stat" % pid).read().split(") ")[1][0] in "ZX"


@case
def sigterm_during_the_tool_is_143(t: Env):
    app = alembic_project(t)
    marker = t.path("tool.pid")
    p = spawn(t, "run", "--migrator", "alembic", "--backup", "never",
                "--migrate-cmd", "sh -c 'echo $$ > %s; exec sleep 60'" % marker, "--", "sh", "-c", "echo APP",
                cwd=app)
    deadline = time.time() + 30
    while not (os.path.exists(marker) and open(marker).read().strip()) and time.time() < deadline:
        time.sleep(0.05)
    pid = int(open(marker).read())
    p.send_signal(signal.SIGTERM)
    out, err = p.communicate(timeout=60)
    assert p.returncode == 143, (p.returncode, err)
    assert "APP" not in out
    assert not os.path.exists("/proc/%d" % pid) or open("/proc/%d/stat" % pid).read().split(") ")[1][0] in "ZX"


@case
def eight_replicas_run_the_tool_once(t: Env):
    app = alembic_project(t)
    log = t.path("runs.log")
    # the tool: append a line, then the real alembic
    # (the rehearsal runs it once more, against the shadow copy: counted apart)
    cmd = ("sh -c 'case \"$DATABASE_URL\" in *predeploy_shadow_*) echo shadow >> %s;; *) echo run >> %s;; esac; "
           "exec alembic upgrade head'" % (log, log))
    ps = [spawn(t, "run", "--migrator", "alembic", "--backup", "never", "--migrate-cmd", cmd, "--", "sh", "-c",
                  "echo APP", cwd=app) for _ in range(8)]
    outs = [p.communicate(timeout=120) for p in ps]
    assert all(p.returncode == 0 for p in ps), [(p.returncode, o[1]) for p, o in zip(ps, outs)]
    assert all("APP" in o[0] for o in outs)
    runs = open(log).read().split()
    assert runs.count("run") == 1 and runs.count("shadow") == 1, runs
    assert t.sql("select version_num from alembic_version") == HEAD


@case
def multiple_heads_named(t: Env):
    app = alembic_project(t)
    os.remove(glob.glob(os.path.join(app, "migrations", "versions", "c0ffee000001_*.py"))[0])
    for f in glob.glob(os.path.join(app, "migrations", "versions", "d4e5f6a7b804_*.py")):
        os.remove(f)
    for f in glob.glob(os.path.join(app, "migrations", "versions", "e5f6a7b8c9d0_*.py")):
        os.remove(f)
    r = t.run("run", "--migrator", "alembic", "--backup", "never", cwd=app)
    t.expect(r, 65)
    assert "2 heads" in r.err and "20260206_exercises_idx" in r.err and "a1b2c3d4e5f6" in r.err, r
    assert "alembic merge" in r.err, r
    assert t.sql("select count(*) from pg_tables where tablename = 'alembic_version'") == "0"
    r = t.run("run", "--migrator", "alembic", "--backup", "never", "--migrate-cmd", "alembic upgrade heads", cwd=app)
    t.expect(r, 0)
    assert t.sql("select string_agg(version_num, ',' order by version_num) from alembic_version") == \
        "20260206_exercises_idx,a1b2c3d4e5f6"


@case
def command_migrator_with_and_without_pending_cmd(t: Env):
    t.write("tool.sh", "#!/bin/sh\necho \"url-scheme=${DATABASE_URL%%:*} host=$DB_HOST\"\n"
            "psql \"$DATABASE_URL\" -qc 'create table if not exists c (n int); insert into c values (1)'\n")
    os.chmod(t.path("tool.sh"), 0o755)
    r = t.run("run", "--migrator", "command", "--migrate-cmd", "./tool.sh", "--backup", "never",
              "--migrate-env", "DB_HOST={host}")
    t.expect(r, 0)
    assert "url-scheme=postgresql host=" in r.err, r
    assert t.sql("select count(*) from c") == "1"
    # --pending-cmd exit 0: up to date, the tool does not run
    t.write("pending.sh", "#!/bin/sh\nexit 0\n")
    os.chmod(t.path("pending.sh"), 0o755)
    r = t.run("run", "--migrator", "command", "--migrate-cmd", "./tool.sh", "--pending-cmd", "./pending.sh",
              "--backup", "never")
    t.expect(r, 0)
    assert t.sql("select count(*) from c") == "1"
    # no --migrate-cmd: 78
    r = t.run("run", "--migrator", "command")
    t.expect(r, 78)
    # json logs: one object per relayed line
    t.write("two.sh", "#!/bin/sh\necho 'first \"quoted\" line'\necho second >&2\n")
    os.chmod(t.path("two.sh"), 0o755)
    r = t.run("run", "--migrator", "command", "--migrate-cmd", "./two.sh", "--backup", "never",
              env={"PREDEPLOY_LOG_FORMAT": "json"})
    t.expect(r, 0)
    import json
    msgs = [json.loads(line)["msg"] for line in r.err.splitlines() if line.strip()]
    assert './two.sh: first "quoted" line' in msgs and "./two.sh: second" in msgs, r


@case
def auto_detection_and_ambiguity(t: Env):
    app = alembic_project(t)
    r = t.run("run", "--backup", "never", cwd=app)
    t.expect(r, 0)
    assert "migrator: alembic" in r.err, r
    assert t.sql("select version_num from alembic_version") == HEAD
    os.makedirs(os.path.join(app, "prisma", "migrations"))
    r = t.run("status", cwd=app)
    t.expect(r, 78)
    assert "alembic" in r.err and "prisma" in r.err and "--migrator" in r.err, r


@case
def database_url_references_variables(t: Env):
    app = alembic_project(t)
    url = t.url
    user_pw, rest = url.split("://", 1)[1].split("@", 1)
    pw = user_pw.split(":", 1)[1]
    tmpl = url.replace(":" + pw + "@", ":${APP_DB_PASSWORD}@")
    r = t.run("run", "--migrator", "alembic", "--backup", "never", "--database-url", tmpl, cwd=app,
              env={"APP_DB_PASSWORD": pw, "DATABASE_URL": None})
    t.expect(r, 0)
    r = t.run("run", "--migrator", "alembic", "--database-url", tmpl, cwd=app, env={"DATABASE_URL": None})
    t.expect(r, 78)
    assert "${APP_DB_PASSWORD}" in r.err, r


@case
def status_current_backup_speak_alembic(t: Env):
    app = alembic_project(t)
    alembic(t, app, "upgrade", "20260206_exercises_idx")
    r = t.run("status", "--migrator", "alembic", cwd=app)
    t.expect(r, 0)
    lines = r.out.splitlines()
    assert lines[1].split()[:2] == ["initial_snapshot", "applied"], r
    assert lines[2].split()[:2] == ["20260206_exercises_idx", "applied"], r
    assert [ln.split()[0] for ln in lines[3:7]] == ["a1b2c3d4e5f6", "c0ffee000001", "d4e5f6a7b804", HEAD], r
    assert "current revision 20260206_exercises_idx; 2 applied, 4 pending" in r.out, r
    t.expect(t.run("status", "--migrator", "alembic", "--exit-code", cwd=app), 3)
    r = t.run("status", "--migrator", "alembic", "--format", "json", cwd=app)
    import json
    j = json.loads(r.out)
    assert j["migrator"] == "alembic" and j["current"] == "20260206_exercises_idx" and j["pending"] == 4, j
    r = t.run("current", "--migrator", "alembic", cwd=app)
    t.expect(r, 0)
    assert r.out.strip() == "20260206_exercises_idx", r
    r = t.run("backup", "--migrator", "alembic", "--backup-dir", t.path("backups"), cwd=app)
    t.expect(r, 0)
    assert r.out.strip().endswith("_20260206-exercises-idx.sql.gz"), r
    r = t.run("backups", "--backup-dir", t.path("backups"), cwd=app)
    t.expect(r, 0)
    assert "20260206-exercises-idx" in r.out, r
    r = t.run("down", "--migrator", "alembic", cwd=app)
    t.expect(r, 64)
    assert "alembic downgrade" in r.err, r


@case
def restore_reset_to_alembic_revision(t: Env):
    app = alembic_project(t)
    alembic(t, app, "upgrade", "c0ffee000001")
    t.sql("insert into users (email, name, legacy_flag) values ('a@b.c', 'ann', true)")
    t.expect(t.run("backup", "--migrator", "alembic", "--backup-dir", t.path("backups"), cwd=app), 0)
    t.expect(t.run("run", "--migrator", "alembic", "--backup", "never", cwd=app), 0)
    assert t.sql("select version_num from alembic_version") == HEAD
    before = backups(t)
    # a revision no file defines: refused before the safety backup, nothing changed
    r = t.run("restore", "--migrator", "alembic", "--force", "--backup-dir", t.path("backups"),
              "--reset-to", "no_such_rev", cwd=app)
    t.expect(r, 64)
    assert "no alembic revision \"no_such_rev\"" in r.err and "c0ffee000001" in r.err, r
    assert backups(t) == before
    assert t.sql("select version_num from alembic_version") == HEAD
    # the sql engine's check is syntactic and comes first too
    r = t.run("restore", "--migrator", "sql", "--force", "--backup-dir", t.path("backups"),
              "--reset-to", "d4e5f6a7b804", cwd=app)
    t.expect(r, 64)
    assert backups(t) == before
    # the backup (at c0ffee000001), then the tracking table says initial_snapshot's child
    r = t.run("restore", "--migrator", "alembic", "--force", "--backup-dir", t.path("backups"),
              "--reset-to", "a1b2c3d4e5f6", cwd=app)
    t.expect(r, 0)
    assert "older than the backup's alembic revision c0ffee000001" in r.err, r
    assert t.sql("select version_num from alembic_version") == "a1b2c3d4e5f6"
    assert t.sql("select count(*) from information_schema.columns where table_name = 'users' "
                 "and column_name = 'legacy_flag'") == "1"
    assert t.sql("select name from users") == "ann"
    after = backups(t)
    assert len(after) == 2 and any(b.endswith("_%s.sql.gz" % HEAD) for b in after), after
    # a prefix of a revision id is enough when it is unique
    r = t.run("restore", "--migrator", "alembic", "--force", "--backup-dir", t.path("backups"), "--no-backup",
              "--file", t.path("backups", before[0]), "--reset-to", "c0ff", cwd=app)
    t.expect(r, 0)
    assert t.sql("select version_num from alembic_version") == "c0ffee000001"


@case
def dbmate_database_is_78_then_adopt_and_up(t: Env):
    t.write("migrations/20240101000000_users.sql", "-- migrate:up\ncreate table users (id int);\n"
            "-- migrate:down\ndrop table users;\n")
    t.write("migrations/20240102000000_items.sql", "-- migrate:up\ncreate table items (id int);\n")
    t.write("migrations/20240103000000_more.sql", "-- migrate:up\nalter table items add column n int;\n")
    # what dbmate left: its table, the first two applied
    t.sql("create table schema_migrations (version varchar(128) primary key); "
          "insert into schema_migrations values ('20240101000000'), ('20240102000000'); "
          "create table users (id int); create table items (id int)")
    r = t.run("run", "--backup", "never", "--", "sh", "-c", "echo APP")
    t.expect(r, 78)
    assert "dbmate" in r.err and "schema_migrations" in r.err and "predeploy adopt" in r.err, r
    assert "APP" not in r.out
    assert t.sql("select to_regclass('predeploy_migrations') is null") == "t"
    r = t.run("adopt")
    t.expect(r, 0)
    assert "adopted 2 versions from dbmate" in r.err, r
    assert t.sql("select string_agg(version, ',' order by version) from predeploy_migrations") == \
        "20240101000000,20240102000000"
    assert t.sql("select action || ':' || name from predeploy_migrations_history") == \
        "adopt:adopted 2 versions from dbmate's schema_migrations"
    t.expect(t.run("adopt"), 64)
    r = t.run("up", "--backup", "never")
    t.expect(r, 0)
    assert t.sql("select count(*) from information_schema.columns where table_name = 'items' "
                 "and column_name = 'n'") == "1"
    t.expect(t.run("status", "--exit-code"), 0)


@case
def golang_migrate_dirty_refused_clean_adopted(t: Env):
    t.write("migrations/1_a.up.sql", "create table a (id int);\n")
    t.write("migrations/2_b.up.sql", "create table b (id int);\n")
    t.write("migrations/3_c.up.sql", "create table c (id int);\n")
    t.sql("create table schema_migrations (version bigint not null primary key, dirty boolean not null); "
          "insert into schema_migrations values (2, true); create table a (id int); create table b (id int)")
    r = t.run("up")
    t.expect(r, 78)
    assert "golang-migrate" in r.err, r
    r = t.run("adopt")
    t.expect(r, 11)
    assert "dirty" in r.err and "migrate force" in r.err, r
    assert t.sql("select to_regclass('predeploy_migrations') is null") == "t"
    t.sql("update schema_migrations set dirty = false")
    t.expect(t.run("adopt"), 0)
    assert t.sql("select string_agg(version, ',' order by version) from predeploy_migrations") == "1,2"
    t.expect(t.run("up", "--backup", "never"), 0)
    assert t.sql("select to_regclass('c') is not null") == "t"


@case
def orm_table_with_sql_engine_names_the_migrator(t: Env):
    t.sql("create table alembic_version (version_num varchar(32) primary key); "
          "insert into alembic_version values ('abc')")
    t.write("migrations/001_a.sql", "-- migrate:up\ncreate table a (id int);\n")
    r = t.run("up", "--migrator", "sql")
    t.expect(r, 78)
    assert "Alembic" in r.err and "--migrator alembic" in r.err, r
    assert t.sql("select to_regclass('a') is null") == "t"


@case
def python_files_in_sql_migrations_dir_warn(t: Env):
    t.write("migrations/001_a.sql", "-- migrate:up\ncreate table a (id int);\n")
    t.write("migrations/4f2a_add_users.py", "revision = '4f2a'\n")
    t.write("migrations/env.py", "")
    r = t.run("status")
    t.expect(r, 0)
    assert r.err.count("not read by predeploy's SQL engine") == 1, r
    assert "--migrator alembic" in r.err, r


# A stand-in for `prisma migrate deploy` (Prisma's CLI downloads its engines at
# install time, which this machine cannot): it creates _prisma_migrations with
# the columns Prisma Migrate's engine gives it, applies each pending
# migration.sql in a transaction and records it as Prisma does (checksum =
# SHA-256 of the file, finished_at, applied_steps_count).
PRISMA_DEPLOY = r"""#!/bin/sh
set -e
psql "$DATABASE_URL" -qc "create table if not exists \"_prisma_migrations\" (id varchar(36) primary key not null, checksum varchar(64) not null, finished_at timestamptz, migration_name varchar(255) not null, logs text, rolled_back_at timestamptz, started_at timestamptz not null default now(), applied_steps_count integer not null default 0)"
for d in $(ls prisma/migrations | sort); do
  [ -f "prisma/migrations/$d/migration.sql" ] || continue
  done_=$(psql "$DATABASE_URL" -tAc "select count(*) from \"_prisma_migrations\" where migration_name = '$d' and finished_at is not null and rolled_back_at is null")
  [ "$done_" = 0 ] || continue
  sum=$(sha256sum "prisma/migrations/$d/migration.sql" | cut -d' ' -f1)
  echo "Applying migration \`$d\`"
  psql "$DATABASE_URL" -v ON_ERROR_STOP=1 -q -1 -f "prisma/migrations/$d/migration.sql"
  psql "$DATABASE_URL" -qc "insert into \"_prisma_migrations\" (id, checksum, finished_at, migration_name, applied_steps_count) values (gen_random_uuid()::text, '$sum', now(), '$d', 1)"
done
"""


def prisma_project(t: Env):
    t.write("prisma/schema.prisma", "datasource db {\n  provider = \"postgresql\"\n  url = env(\"DATABASE_URL\")\n}\n")
    t.write("prisma/migrations/migration_lock.toml", "provider = \"postgresql\"\n")
    t.write("prisma/migrations/20240101000000_init/migration.sql",
            "-- CreateTable\nCREATE TABLE \"User\" (\n    \"id\" SERIAL NOT NULL,\n    \"email\" TEXT NOT NULL,\n"
            "    \"legacy\" TEXT,\n    CONSTRAINT \"User_pkey\" PRIMARY KEY (\"id\")\n);\n")
    t.write("prisma/migrations/20240102000000_add_name/migration.sql",
            "-- AlterTable\nALTER TABLE \"User\" ADD COLUMN \"name\" TEXT;\n")
    t.write("deploy.sh", PRISMA_DEPLOY)
    os.chmod(t.path("deploy.sh"), 0o755)


@case
def prisma_state_lint_failed_row_and_reset(t: Env):
    prisma_project(t)
    # auto detects prisma (prisma/migrations); nothing applied yet: 2 pending
    r = t.run("status", "--exit-code")
    t.expect(r, 3)
    assert "migrator: prisma" in r.err and "20240101000000_init" in r.out and "2 pending" in r.out, r
    r = t.run("run", "--migrate-cmd", "./deploy.sh", "--backup-dir", t.path("backups"), "--", "sh", "-c", "echo APP")
    t.expect(r, 0)
    assert "APP" in r.out and "Applying migration" in r.err, r
    assert t.sql("select count(*) from \"_prisma_migrations\" where finished_at is not null") == "2"
    assert backups(t)[0].endswith("_0.sql.gz"), backups(t)
    r = t.run("current")
    assert r.out.strip() == "20240102000000_add_name", r
    # its SQL is linted natively: a DROP COLUMN blocks before any backup
    t.write("prisma/migrations/20240103000000_drop_legacy/migration.sql",
            "-- AlterTable\nALTER TABLE \"User\" DROP COLUMN \"legacy\";\n")
    r = t.run("run", "--migrate-cmd", "./deploy.sh", "--backup-dir", t.path("backups"))
    t.expect(r, 10)
    assert "drop" in r.err.lower() and len(backups(t)) == 1, r
    # a failed row (finished_at and rolled_back_at null) blocks with Prisma's advice
    os.remove(t.path("prisma/migrations/20240103000000_drop_legacy/migration.sql"))
    os.rmdir(t.path("prisma/migrations/20240103000000_drop_legacy"))
    t.write("prisma/migrations/20240104000000_bad/migration.sql", "ALTER TABLE \"User\" ADD COLUMN \"x\" int;\n")
    t.sql("insert into \"_prisma_migrations\" (id, checksum, migration_name, logs, started_at, applied_steps_count) "
          "values ('f00', 'abc', '20240104000000_bad', 'Database error: relation does not exist', now(), 0)")
    r = t.run("run", "--migrate-cmd", "./deploy.sh", "--backup-dir", t.path("backups"))
    t.expect(r, 11)
    assert "prisma migrate resolve --rolled-back 20240104000000_bad" in r.err, r
    assert "relation does not exist" in r.err, r
    # restore --reset-to: the first backup (nothing applied), then the table says init is applied
    r = t.run("restore", "--force", "--backup-dir", t.path("backups"), "--file", t.path("backups", backups(t)[0]),
              "--reset-to", "20240101000000_init")
    t.expect(r, 0)
    assert t.sql("select string_agg(migration_name || ':' || applied_steps_count || ':' || "
                 "(finished_at is not null)::text, ',') from \"_prisma_migrations\"") == \
        "20240101000000_init:1:true", r
    assert t.sql("select checksum from \"_prisma_migrations\"") == \
        subprocess.run(["sha256sum", t.path("prisma/migrations/20240101000000_init/migration.sql")],
                       capture_output=True, text=True).stdout.split()[0]


@case
def mikro_orm_real_cli(t: Env):
    mods = mikro_modules()
    app = t.path("nest")
    shutil.copytree(MIKRO_FIXTURE, app)
    env = {"NODE_PATH": mods, "PATH": os.path.join(mods, ".bin") + os.pathsep + os.environ["PATH"]}
    # the NestJS app reads DB_*; predeploy hands them over (the password only in the environment)
    menv = ["--migrate-env", "DB_HOST={host}", "--migrate-env", "DB_PORT={port}", "--migrate-env", "DB_USER={user}",
            "--migrate-env", "DB_PASSWORD={password}", "--migrate-env", "DB_NAME={dbname}",
            "--migrate-cmd", "mikro-orm migration:up"]
    r = t.run("status", "--exit-code", cwd=app, env=env)
    t.expect(r, 3)
    assert "migrator: mikro-orm" in r.err and "3 pending" in r.out, r
    with Receiver() as rx:
        r = t.run("run", *menv, "--backup-dir", t.path("backups"), "--webhook", rx.url, "--", "sh", "-c", "echo APP",
                  cwd=app, env=env)
        t.expect(r, 0)
        data = rx.wait_for(1, timeout=30)[-1]["json"]["data"]
    assert "APP" in r.out and "Successfully migrated up" in r.err, r
    assert t.sql("select string_agg(name, ',' order by id) from mikro_orm_migrations") == \
        "Migration20240101000000_users,Migration20240102000000,Migration20240103000000_drop_legacy"
    assert data["migrator"] == "mikro-orm" and data["from_version"] is None, data
    assert data["to_version"] == "Migration20240103000000_drop_legacy", data
    assert len(backups(t)) == 1 and backups(t)[0].endswith("_0.sql.gz"), backups(t)
    # nothing pending: Node is not started, no backup
    r = t.run("run", *menv, "--backup-dir", t.path("backups"), "--", "sh", "-c", "echo APP", cwd=app, env=env)
    t.expect(r, 0)
    assert "Successfully migrated" not in r.err and len(backups(t)) == 1, r
    # back to the first backup; the table says the first two ran
    r = t.run("restore", "--force", "--no-backup", "--backup-dir", t.path("backups"),
              "--file", t.path("backups", backups(t)[0]), "--reset-to", "Migration20240102000000", cwd=app, env=env)
    t.expect(r, 0)
    assert t.sql("select string_agg(name, ',' order by id) from mikro_orm_migrations") == \
        "Migration20240101000000_users,Migration20240102000000"
    r = t.run("current", cwd=app, env=env)
    assert r.out.strip() == "Migration20240102000000", r


@case
def tool_output_with_the_url_is_redacted_everywhere(t: Env):
    t.write("leaky.sh", "#!/bin/sh\necho \"connecting to $DATABASE_URL\" >&2\necho \"pw=$PGPASSWORD\"\nexit 2\n")
    os.chmod(t.path("leaky.sh"), 0o755)
    with Receiver() as rx:
        r = t.run("run", "--migrator", "command", "--migrate-cmd", "./leaky.sh", "--backup", "never",
                  "--webhook", rx.url, "--termination-log", t.path("term.log"))
        t.expect(r, 11)
        body = rx.wait_for(1, timeout=30)[-1]["body"]
    assert "connecting to " in r.err and "****" in r.err, r
    pw = t.url.split("://", 1)[1].split("@", 1)[0].split(":", 1)[1]
    from urllib.parse import unquote
    for text in (body, open(t.path("term.log")).read(),
                 t.sql("select coalesce(string_agg(coalesce(error, ''), ' '), '') from predeploy_migrations_history")):
        assert pw not in text and unquote(pw) not in text, text
    assert "connecting to" in body, body


@case
def alembic_over_a_unix_socket(t: Env):
    app = alembic_project(t)
    user_pw = t.url.split("://", 1)[1].split("@", 1)[0]
    url = "postgresql://%s@/%s?host=%s&port=%s" % (user_pw, t.db, t.pg["sockdir"], t.pg["port"])
    r = t.run("run", "--migrator", "alembic", "--backup", "never", cwd=app, env={"DATABASE_URL": url})
    t.expect(r, 0)
    assert t.sql("select version_num from alembic_version") == HEAD


if __name__ == "__main__":
    main()
