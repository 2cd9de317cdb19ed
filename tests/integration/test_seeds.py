#!/usr/bin/env python3
# cost: 5
"""After the migrations: seeds (--seeds-dir) and --after-cmd, under the lock,
once per deploy across replicas."""
import json
import os
import signal
import time

from harness import case, main, Env

ROLES = ("create table if not exists seed_log(name text, at timestamptz default clock_timestamp());\n"
         "insert into seed_log(name) values ('roles');\n"
         "insert into roles values ('admin'), ('viewer') on conflict do nothing;\n")


def app(t: Env):
    t.write("migrations/1_roles.sql", "-- migrate:up\ncreate table roles(name text primary key);\n")


def runs(t: Env, name="roles"):
    return int(t.sql("select count(*) from seed_log where name = '%s'" % name))


def start_all(t: Env, n, *args, env=None):
    procs = [t.spawn("run", *args, "--", "sh", "-c", "echo STARTED", env=env) for _ in range(n)]
    outs = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0] * n, [o[1] for o in outs]
    assert all(o[0].strip() == "STARTED" for o in outs)
    return outs


@case
def new_seed_runs_once_across_8_replicas(t: Env):
    app(t)
    t.write("seeds/010_roles.sql", ROLES)
    outs = start_all(t, 8)
    assert runs(t) == 1
    assert t.sql("select string_agg(name, ',' order by name) from roles") == "admin,viewer"
    assert sum("seeded 010_roles.sql" in o[1] for o in outs) == 1
    assert t.sql("select action, name, outcome, checksum is not null from predeploy_migrations_history "
                 "where action = 'seed'") == "seed|010_roles.sql|success|t"
    # unchanged: not run again
    t.expect(t.run("run"), 0)
    assert runs(t) == 1
    # changed: run again, once
    t.write("seeds/010_roles.sql", ROLES + "insert into roles values ('editor') on conflict do nothing;\n")
    r = t.run("status")
    t.expect(r, 0)
    assert "010_roles.sql" in r.out and "changed" in r.out, r
    start_all(t, 4)
    assert runs(t) == 2
    assert t.sql("select count(*) from roles") == "3"
    r = t.run("status", "--format", "json")
    seeds = json.loads(r.out)["seeds"]
    assert [(s["name"], s["state"], s["due"]) for s in seeds] == [("010_roles.sql", "applied", False)], seeds


@case
def seeds_run_in_name_order_after_migrations(t: Env):
    app(t)
    t.write("seeds/b.sql", "insert into seed_order values ('b');\n")
    t.write("seeds/a.sql", "create table seed_order(x text, n serial);\ninsert into seed_order(x) values ('a');\n")
    t.write("seeds/notes.txt", "not a seed")
    r = t.run("status")
    assert "a.sql" in r.out and "pending" in r.out and "notes.txt" not in r.out, r
    t.expect(t.run("up"), 0)
    assert t.sql("select string_agg(x, ',' order by n) from seed_order") == "a,b"


@case
def always_seed_runs_every_deploy(t: Env):
    app(t)
    t.write("seeds/refresh.sql", "-- predeploy:seed always\n" + ROLES.replace("'roles'", "'refresh'"))
    for _ in range(3):
        t.expect(t.run("run"), 0)
    assert runs(t, "refresh") == 3
    r = t.run("status")
    assert "every deploy" in r.out, r


@case
def failing_seed_is_11_rolled_back_app_not_started(t: Env):
    app(t)
    t.write("seeds/1_ok.sql", ROLES)
    t.write("seeds/2_bad.sql", "insert into roles values ('partial');\ninsert into nope values (1);\n")
    r = t.run("run", "--", "sh", "-c", "echo STARTED")
    t.expect(r, 11)
    assert "STARTED" not in r.out
    assert "2_bad.sql:2" in r.err and "nope" in r.err, r
    # the migration and the seed before stay; nothing of the failing seed
    assert t.sql("select count(*) from roles where name = 'partial'") == "0"
    assert runs(t) == 1
    assert t.sql("select outcome from predeploy_migrations_history where name = '2_bad.sql'") == "failed"
    # fixed: the next start runs only the failed one
    t.write("seeds/2_bad.sql", "insert into roles values ('fixed');\n")
    r = t.run("run", "--", "sh", "-c", "echo STARTED")
    t.expect(r, 0)
    assert runs(t) == 1
    assert t.sql("select count(*) from roles where name = 'fixed'") == "1"


@case
def seed_lint_blocks_before_anything_runs(t: Env):
    t.sql("create table roles(name text primary key); insert into roles values ('viewer')")
    t.write("migrations/1_other.sql", "-- migrate:up\ncreate table other(id int);\n")
    t.write("seeds/wipe.sql", "delete from roles;\ninsert into roles values ('admin');\n")
    r = t.run("run", "--", "sh", "-c", "echo STARTED")
    t.expect(r, 10)
    assert "delete_without_where" in r.err and "wipe.sql" in r.err, r
    # the gate ran before the migration: nothing changed
    assert t.sql("select to_regclass('other') is null") == "t"
    assert t.sql("select string_agg(name, ',') from roles") == "viewer"
    t.write("seeds/wipe.sql", "-- predeploy:allow delete_without_where reference table, rebuilt below\n"
            "delete from roles;\ninsert into roles values ('admin');\n")
    t.expect(t.run("run"), 0)
    assert t.sql("select string_agg(name, ',') from roles") == "admin"


@case
def seed_env_off_and_dir_options(t: Env):
    app(t)
    t.write("seeds/roles.sql", ROLES)
    r = t.run("run", env={"PREDEPLOY_SEED": "0"})
    t.expect(r, 0)
    assert "PREDEPLOY_SEED=0" in r.err, r
    assert t.sql("select to_regclass('seed_log') is null") == "t"
    # an explicit directory must exist; the default may be absent
    r = t.run("run", "--seeds-dir", "no-such-dir")
    t.expect(r, 78)
    assert "no-such-dir" in r.err
    t.expect(t.run("run", "--seeds-dir", "seeds"), 0)
    assert runs(t) == 1
    t.write("seeds/bad.sql", "-- predeploy:seed sometimes\nselect 1;\n")
    r = t.run("run")
    t.expect(r, 65)
    assert "bad.sql:1" in r.err and "sometimes" in r.err, r


@case
def seeds_with_a_tool_migrator(t: Env):
    t.write("seeds/roles.sql", "create table if not exists tool_seed(x int);\ninsert into tool_seed values (1);\n")
    t.write("migrate.sh", "#!/bin/sh\necho tool ran\n")
    os.chmod(t.path("migrate.sh"), 0o755)
    for _ in range(2):
        t.expect(t.run("run", "--migrator", "command", "--migrate-cmd", "./migrate.sh"), 0)
    assert t.sql("select count(*) from tool_seed") == "1"


# ---- --after-cmd ----

AFTER = ("#!/bin/sh\n"
         "echo \"populating $1\"\n"
         "psql -X -q -d \"$DATABASE_URL\" -c \"insert into after_log values (default)\"\n")


def after_setup(t: Env):
    app(t)
    t.sql("create table after_log(id serial)")
    t.write("populate.sh", AFTER)
    os.chmod(t.path("populate.sh"), 0o755)


def psql_env(t: Env):
    return {"PATH": t.pg["bindir"] + os.pathsep + os.environ.get("PATH", "")}


@case
def after_cmd_once_per_deploy_across_8_replicas(t: Env):
    after_setup(t)
    outs = start_all(t, 8, "--after-cmd", "./populate.sh roles", env=psql_env(t))
    assert t.sql("select count(*) from after_log") == "1"
    logs = "".join(o[1] for o in outs)
    assert "populate.sh: populating roles" in logs, logs
    assert t.sql("select version, outcome from predeploy_migrations_history where action = 'after-cmd'") == "1|success"
    # a restart at the same version: not again
    t.expect(t.run("run", "--after-cmd", "./populate.sh roles", env=psql_env(t)), 0)
    assert t.sql("select count(*) from after_log") == "1"
    # the next deploy (a new migration): once more
    t.write("migrations/2_more.sql", "-- migrate:up\ncreate table more(id int);\n")
    start_all(t, 4, "--after-cmd", "./populate.sh roles", env=psql_env(t))
    assert t.sql("select count(*) from after_log") == "2"
    # --after-cmd-always: every start
    t.expect(t.run("run", "--after-cmd", "./populate.sh roles", "--after-cmd-always", env=psql_env(t)), 0)
    assert t.sql("select count(*) from after_log") == "3"


@case
def after_cmd_failure_is_11_app_not_started(t: Env):
    after_setup(t)
    t.write("fail.sh", "#!/bin/sh\necho 'cannot populate: no such group' >&2\nexit 3\n")
    os.chmod(t.path("fail.sh"), 0o755)
    r = t.run("run", "--after-cmd", "./fail.sh", "--", "sh", "-c", "echo STARTED")
    t.expect(r, 11)
    assert "STARTED" not in r.out
    assert "cannot populate" in r.err and "exit status 3" in r.err, r
    assert t.sql("select outcome from predeploy_migrations_history where action = 'after-cmd'") == "failed"
    # the migration stays; the next start tries the command again
    r = t.run("run", "--after-cmd", "./populate.sh", "--", "sh", "-c", "echo STARTED", env=psql_env(t))
    t.expect(r, 0)
    assert "STARTED" in r.out
    assert t.sql("select count(*) from after_log") == "1"


@case
def after_cmd_timeout_and_missing_program(t: Env):
    after_setup(t)
    r = t.run("run", "--after-cmd", "sleep 60", "--after-cmd-timeout", "1s", "--", "sh", "-c", "echo STARTED")
    t.expect(r, 11)
    assert "timed out" in r.err and "STARTED" not in r.out, r
    r = t.run("run", "--after-cmd", "./no-such-program", "--", "sh", "-c", "echo STARTED")
    t.expect(r, 11)
    assert "--after-cmd" in r.err, r
    r = t.run("run", "--after-cmd", "'unterminated")
    t.expect(r, 78)


@case
def after_cmd_gets_the_connection_not_in_argv(t: Env):
    after_setup(t)
    t.write("env.sh", "#!/bin/sh\ntest -n \"$DATABASE_URL\" && test -n \"$DB_PASSWORD\" && echo has-connection\n"
            "cat /proc/$$/cmdline | tr '\\0' ' '; echo\n")
    os.chmod(t.path("env.sh"), 0o755)
    r = t.run("run", "--after-cmd", "./env.sh", "--migrate-env", "DB_PASSWORD={password}")
    t.expect(r, 0)
    assert "env.sh: has-connection" in r.err, r


@case
def sigterm_stops_after_cmd(t: Env):
    after_setup(t)
    p = t.spawn("run", "--after-cmd", "sleep 60", "--", "sh", "-c", "echo STARTED")
    deadline = time.time() + 30
    while time.time() < deadline and t.sql("select to_regclass('roles') is null") == "t":
        time.sleep(0.05)
    time.sleep(0.5)
    p.send_signal(signal.SIGTERM)
    out, err = p.communicate(timeout=30)
    assert p.returncode == 128 + signal.SIGTERM, (p.returncode, err)
    assert "STARTED" not in out


if __name__ == "__main__":
    main()
