#!/usr/bin/env python3
# cost: 4
"""The command line: help, usage errors, configuration errors, wait, and the
password never reaching any output."""
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
                "wait", "backup", "backups", "restore", "version"]:
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
    r = t.run("wait", "--lock-timeout", "5 parsecs")
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
