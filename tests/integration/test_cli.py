#!/usr/bin/env python3
# cost: 4
"""The command line: help, usage errors, configuration errors, wait, and the
password never reaching any output."""
import os
import shutil
import subprocess

from harness import case, main, Env
import pgserver


@case
def help_and_version(t: Env):
    r = t.run("--help")
    t.expect(r, 0)
    assert "commands:" in r.out
    r = t.run("--version")
    t.expect(r, 0)
    assert r.out.startswith("predeploy ") and "libpq" in r.out and "zlib" in r.out
    r = t.run("help", "exit-codes")
    t.expect(r, 0)
    assert "75" in r.out and "lock_timeout" in r.out
    for cmd in ["run", "up", "down", "status", "history", "current", "new", "stamp", "lint",
                "wait", "backup", "backups", "restore", "version", "completion"]:
        r = t.run(cmd, "--help")
        t.expect(r, 0)
        assert r.out.startswith("usage: predeploy " + cmd), r
        r = t.run("help", cmd)
        t.expect(r, 0)


@case
def usage_errors(t: Env):
    r = t.run("frobnicate")
    t.expect(r, 64)
    assert 'unknown command "frobnicate"' in r.err and "hint:" in r.err
    r = t.run("status", "--no-such-flag")
    t.expect(r, 64)
    assert '"--no-such-flag"' in r.err
    r = t.run()
    t.expect(r, 64)
    r = t.run("help", "nope")
    t.expect(r, 64)
    r = t.run("up", "--", "true")
    t.expect(r, 64)
    for cmd in ["run", "up", "down", "status", "history", "current", "new", "stamp", "lint",
                "wait", "backup", "backups", "restore", "version"]:
        r = t.run(cmd, "--bogus-option")
        t.expect(r, 64)
        assert '"--bogus-option"' in r.err and "predeploy %s --help" % cmd in r.err, r
    # bad arguments
    for argv in (["up", "extra"], ["status", "x"], ["down", "--steps", "0"], ["down", "--steps", "x"],
                 ["down", "--steps", "1", "--target", "2"], ["stamp"], ["stamp", "v1"], ["new"],
                 ["up", "--sql", "--dry-run"], ["history", "--limit", "0"]):
        r = t.run(*argv)
        t.expect(r, 64)


@case
def config_errors(t: Env):
    r = t.run("up", "--lock-timeout", "5 parsecs")
    t.expect(r, 78)
    assert "--lock-timeout" in r.err
    r = t.run("wait", env={"PREDEPLOY_WAIT_TIMEOUT": "soon"})
    t.expect(r, 78)
    assert "PREDEPLOY_WAIT_TIMEOUT" in r.err
    r = t.run("wait", env={"PREDEPLOY_BACKUP": "sometimes"})
    t.expect(r, 78)
    assert "auto|always|never" in r.err
    secret = t.write("secret", "abc\n")
    r = t.run("wait", env={"PREDEPLOY_WEBHOOK_SECRET": "x", "PREDEPLOY_WEBHOOK_SECRET_FILE": secret})
    t.expect(r, 78)
    assert "set only one" in r.err
    r = t.run("wait", env={"PREDEPLOY_DATABASE_URL_FILE": t.path("missing")})
    t.expect(r, 78)
    assert "PREDEPLOY_DATABASE_URL_FILE" in r.err


@case
def did_you_mean(t: Env):
    r = t.run("run", "--databse-url", "postgres://x")
    t.expect(r, 64)
    assert 'unknown option "--databse-url"' in r.err and 'did you mean "--database-url"?' in r.err, r
    r = t.run("--databse-url=postgres://x", "status")
    t.expect(r, 64)
    assert 'did you mean "--database-url"?' in r.err, r
    r = t.run("stauts")
    t.expect(r, 64)
    assert 'unknown command "stauts"' in r.err and 'did you mean "status"?' in r.err, r
    r = t.run("up", "--dry-rn")
    t.expect(r, 64)
    assert 'did you mean "--dry-run"?' in r.err, r


@case
def option_not_for_this_command(t: Env):
    for argv in (["version", "--backup-dir", "x"], ["wait", "--lock-timeout", "5s"],
                 ["backups", "--webhook", "http://127.0.0.1:1/"], ["status", "--steps", "1"],
                 ["--backup-dir=x", "version"], ["new", "--target", "1", "x"]):
        r = t.run(*argv)
        t.expect(r, 64)
        assert "is not accepted by" in r.err, r
    # the same name means different things to different commands
    r = t.run("restore", "--backup", "auto")
    t.expect(r, 64)     # restore --backup N: a number, checked by restore
    r = t.run("up", "--backup", "7")
    t.expect(r, 78)     # up --backup POLICY: auto|always|never
    assert "auto|always|never" in r.err
    # variables are not per command: a PREDEPLOY_* meant for run does not break version
    r = t.run("version", env={"PREDEPLOY_BACKUP_DIR": "x"})
    t.expect(r, 0)


@case
def no_database_is_78_at_once(t: Env):
    nodb = {"DATABASE_URL": None}
    # (before, libpq tried the local socket until --wait-timeout and exited 69)
    for argv in (["run", "--wait-timeout", "60s", "--", "true"], ["wait"], ["status"], ["up"],
                 ["backup"], ["history"]):
        r = t.run(*argv, env=nodb)
        t.expect(r, 78)
        for var in ("--database-url", "DATABASE_URL", "PREDEPLOY_DATABASE_URL", "PGHOST"):
            assert var in r.err, r
    # libpq's own variables count as configured (a wrong port: unreachable, not 78)
    port = pgserver.free_port()
    r = t.run("wait", "--wait-timeout", "1s", env={"DATABASE_URL": None, "PGHOST": "127.0.0.1", "PGPORT": str(port)})
    t.expect(r, 69)
    # commands that need no database still run
    t.expect(t.run("version", env=nodb), 0)
    t.expect(t.run("backups", env=nodb), 0)


@case
def usage_errors_touch_nothing(t: Env):
    # arguments are checked before main opens the session (which would lock
    # and create the tracking tables)
    t.write("migrations/1_a.sql", "-- migrate:up\ncreate table a(id int);\n-- migrate:down\ndrop table a;\n")
    for argv in (["down", "--steps", "x"], ["stamp", "v1"], ["up", "--sql", "--dry-run"], ["status", "x"],
                 ["backup", "x"]):
        t.expect(t.run(*argv), 64)
    assert t.sql("select count(*) from pg_class where relname like 'predeploy_migrations%'") == "0"
    # previews neither lock nor create
    t.expect(t.run("up", "--sql"), 0)
    assert t.sql("select count(*) from pg_class where relname like 'predeploy_migrations%'") == "0"


@case
def up_sql_is_what_runs(t: Env):
    # `up --sql` prints the statements the engine sends, the tracking and
    # history record included: run through psql, they leave the database
    # exactly as `up` would
    t.write("migrations/1_a.sql", "-- migrate:up\ncreate table a(id int);\n-- migrate:down\ndrop table a;\n")
    t.expect(t.run("up", "--backup", "never"), 0)
    t.write("migrations/2_b.sql", "-- migrate:up transaction:false\ncreate index concurrently ai on a(id);\n"
            "-- migrate:down\ndrop index ai;\n")
    t.write("migrations/3_c.sql", "-- migrate:up\nalter table a add column b text;\n-- migrate:down\n"
            "alter table a drop column b;\n")
    r = t.run("up", "--sql")
    t.expect(r, 0)
    assert "predeploy_migrations_history" in r.out and "'3'" in r.out and "set_config('predeploy.t0'" in r.out, r
    p = subprocess.run([os.path.join(t.pg["bindir"], "psql"), "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h",
                        t.pg["sockdir"], "-p", str(t.pg["port"]), "-U", "postgres", "-d", t.db, "-f", "-"],
                       input=r.out, capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    t.expect(t.run("status", "--exit-code"), 0)
    assert t.sql("select string_agg(version || ':' || action || ':' || outcome, ',' order by id) "
                 "from predeploy_migrations_history") == "1:up:success,2:up:success,3:up:success"
    assert t.sql("select count(*) from predeploy_migrations where duration_ms is not null") == "3"
    r = t.run("down", "--sql", "--steps", "2")
    t.expect(r, 0)
    assert r.out.index("-- down 3") < r.out.index("-- down 2") and "DELETE FROM" in r.out, r


@case
def first_hour_messages(t: Env):
    # a missing migrations directory is named by its absolute path
    r = t.run("status", "--dir", "db/migrations")
    t.expect(r, 78)
    want = os.path.join(os.path.realpath(t.dir), "db/migrations")
    assert 'could not open migrations directory "%s"' % want in r.err and "--dir" in r.err, r
    # before a connection the database's name is unknown: no placeholder name
    port = pgserver.free_port()
    log = t.path("termination-log")
    r = t.run("run", "--wait-timeout", "1s", "--termination-log", log,
              env={"DATABASE_URL": "postgresql://u@127.0.0.1:%d/x" % port})
    t.expect(r, 69)
    with open(log) as f:
        content = f.read()
    assert content.startswith("deploy failed (exit 69)"), content
    assert " on database" not in r.err + content, r


@case
def help_lists_the_commands_options(t: Env):
    r = t.run("help", "run")
    t.expect(r, 0)
    lines = r.out.splitlines()
    i = next(i for i, l in enumerate(lines) if l.strip().startswith("--backup-dir="))
    assert "default: backups" in lines[i + 1] and "PREDEPLOY_BACKUP_DIR" in lines[i + 1], lines[i:i + 2]
    for flag in ("--webhook=", "--backup=X", "--wait-timeout=", "--database-url="):
        assert flag in r.out, flag
    assert "--steps" not in r.out and "--format" not in r.out
    r = t.run("help", "version")
    assert "--backup-dir" not in r.out and "--log-format" in r.out
    r = t.run("down", "--help")
    assert "--steps=V" in r.out and "default: 1" in r.out and "--lock-timeout=" in r.out
    r = t.run("help", "check")
    assert "--since=V" in r.out and "--shadow-database-url=V" in r.out and "--keep" not in r.out


@case
def completion_scripts(t: Env):
    r = t.run("completion", "bash")
    t.expect(r, 0)
    script = t.write("pd.bash", r.out)

    def complete(*words):
        words = ["predeploy"] + list(words)
        prog = ("source %s; COMP_WORDS=(%s); COMP_CWORD=%d; _predeploy; printf '%%s\\n' \"${COMPREPLY[@]}\""
                % (script, " ".join("'%s'" % w for w in words), len(words) - 1))
        p = subprocess.run(["bash", "--norc", "-c", prog], capture_output=True, text=True, cwd=t.dir)
        assert p.returncode == 0, p.stderr
        return sorted(x for x in p.stdout.splitlines() if x)

    assert complete("ru") == ["run"]
    assert complete("st") == ["stamp", "status"]
    assert complete("help", "exit") == ["exit-codes"]
    assert complete("run", "--backup-r") == ["--backup-reuse"]
    assert "--backup-dir" in complete("run", "--backup-d")
    assert complete("run", "--backup", "") == ["always", "auto", "never"]
    assert complete("--dir", "x", "run", "--webhook-f") == ["--webhook-format"]
    assert "--backup-dir" not in complete("version", "--")
    assert {"--backup", "--backup-dir"} <= set(complete("restore", "--ba"))
    assert "auto" not in complete("restore", "--backup", "")
    assert complete("completion", "") == ["bash", "zsh"]
    r = t.run("completion", "zsh")
    t.expect(r, 0)
    assert r.out.startswith("#compdef predeploy") and "_predeploy" in r.out
    if shutil.which("zsh"):
        p = subprocess.run(["zsh", "-n"], input=r.out, capture_output=True, text=True)
        assert p.returncode == 0, p.stderr
    t.expect(t.run("completion", "fish"), 64)


@case
def wait_ok_and_url_file(t: Env):
    r = t.run("wait")
    t.expect(r, 0)
    f = t.write("dburl", t.url + "\n\n")
    r = t.run("wait", "--verbose", env={"DATABASE_URL": None, "PREDEPLOY_DATABASE_URL_FILE": f})
    t.expect(r, 0)


@case
def wait_unreachable_and_bad_password(t: Env):
    port = pgserver.free_port()
    r = t.run("wait", "--wait-timeout", "1s",
              env={"DATABASE_URL": "postgresql://u:%s@127.0.0.1:%d/x" % (pgserver.PASSWORD, port)})
    t.expect(r, 69)
    bad = t.url.replace("TopSecret", "Wrong")
    r = t.run("wait", env={"DATABASE_URL": bad})
    t.expect(r, 77)
    assert "authentication failed" in r.err


if __name__ == "__main__":
    main()
