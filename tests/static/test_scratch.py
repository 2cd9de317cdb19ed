#!/usr/bin/env python3
"""The static binary alone in an empty root file system, which is what a
FROM scratch image is: no /etc/passwd, /etc/hosts, /etc/resolv.conf, CA
bundle, shell or pg_dump. Each case copies only $PREDEPLOY_BIN (as /predeploy)
and the migration files into an empty directory and runs it there through
chroot(8), against the run's PostgreSQL on 127.0.0.1. Needs root.

Cases for commands another issue has not built yet in this tree (their
placeholder says "is not built yet") print SKIP with the reason; they become
real checks as soon as the command lands."""
import http.server
import json
import os
import shutil
import subprocess
import sys
import threading

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                "integration"))
from harness import case, main, Env, Result, BIN  # noqa: E402
import pgserver  # noqa: E402

CHROOT = shutil.which("chroot") or shutil.which("chroot", path="/usr/sbin:/sbin") or "chroot"
MIGRATION = "-- migrate:up\ncreate table items(id bigint primary key, name text);\n" \
            "-- migrate:down\ndrop table items;\n"


class Scratch:
    """An empty root with /predeploy and /app/migrations (copied from the
    case's migrations directory)."""

    def __init__(self, t: Env):
        self.t = t
        self.root = t.path("root")
        os.mkdir(self.root)
        shutil.copy2(BIN, os.path.join(self.root, "predeploy"))
        shutil.copytree(t.path("migrations"), os.path.join(self.root, "app", "migrations"))
        assert sorted(os.listdir(self.root)) == ["app", "predeploy"]

    def run(self, *args, env=None, timeout=120):
        # a clean environment: only what a container would be given
        e = {"DATABASE_URL": self.t.url, "PREDEPLOY_MIGRATIONS_DIR": "/app/migrations",
             "PREDEPLOY_LOG_FORMAT": "text"}
        e.update(env or {})
        e = {k: v for k, v in e.items() if v is not None}
        r = subprocess.run([CHROOT, self.root, "/predeploy"] + list(args), env=e,
                           capture_output=True, text=True, timeout=timeout, errors="replace")
        res = Result(list(args), r.returncode, r.stdout, r.stderr)
        self.t.outputs.append(res)
        return res


def not_built(r, cmd):
    if r.code == 70 and ('"%s" is not built yet' % cmd) in r.err:
        print("SKIP %s: not built in this tree yet" % cmd, flush=True)
        return True
    return False


@case
def version_in_scratch(t: Env):
    s = Scratch(t)
    r = s.run("--version")
    t.expect(r, 0)
    lines = r.out.splitlines()
    for want in ("predeploy ", "libpq ", "libpg_query ", "libcurl ", "tls OpenSSL/", "zlib "):
        assert any(line.startswith(want) for line in lines), (want, r)
    r = s.run("help", "exit-codes")
    t.expect(r, 0)


@case
def up_and_status_in_scratch(t: Env):
    t.write("migrations/20240101000000_items.sql", MIGRATION)
    t.write("migrations/20240102000000_more.up.sql", "alter table items add column qty int;\n")
    s = Scratch(t)
    r = s.run("status", "--exit-code")
    t.expect(r, 3)
    r = s.run("up")
    t.expect(r, 0)
    assert t.sql("select string_agg(version, ',' order by version) from predeploy_migrations") \
        == "20240101000000,20240102000000"
    assert t.sql("select count(*) from information_schema.columns where table_name = 'items'") == "3"
    r = s.run("status", "--exit-code", "--format", "json")
    t.expect(r, 0)
    json.loads(r.out)
    r = s.run("history")
    t.expect(r, 0)
    assert "20240102000000" in r.out


@case
def no_user_database_needs_user(t: Env):
    t.write("migrations/1_items.sql", MIGRATION)
    s = Scratch(t)
    # no user in the URL and no PGUSER: libpq would ask /etc/passwd
    url = "postgresql://127.0.0.1:%d/%s" % (t.pg["port"], t.db)
    r = s.run("status", env={"DATABASE_URL": url})
    t.expect(r, 78)
    assert "no database user given" in r.err and "PGUSER" in r.err, r
    r = s.run("up", env={"DATABASE_URL": url, "PGUSER": pgserver.ROLE,
                         "PGPASSWORD": pgserver.PASSWORD})
    t.expect(r, 0)
    assert t.sql("select count(*) from predeploy_migrations") == "1"


@case
def localhost_needs_hosts_file(t: Env):
    # musl resolves names only through /etc/hosts and DNS: with neither, the
    # docs say to use 127.0.0.1 (or add /etc/hosts); the error names the host
    t.write("migrations/1_items.sql", MIGRATION)
    s = Scratch(t)
    url = t.url.replace("@127.0.0.1:", "@localhost:")
    r = s.run("status", "--wait-timeout", "1s", env={"DATABASE_URL": url})
    assert r.code in (69, 78), r
    assert 'could not translate host name "localhost"' in r.err, r
    os.makedirs(os.path.join(s.root, "etc"))
    with open(os.path.join(s.root, "etc", "hosts"), "w") as f:
        f.write("127.0.0.1 localhost\n")
    r = s.run("status", env={"DATABASE_URL": url})
    t.expect(r, 0)


@case
def run_pipeline_execs_app_in_scratch(t: Env):
    t.write("migrations/1_items.sql", MIGRATION)
    s = Scratch(t)
    # the only program in the image is predeploy itself: exec it as the app
    r = s.run("run", "--backup", "never", "--", "/predeploy", "version")
    t.expect(r, 0)
    assert r.out.startswith("predeploy "), r
    assert t.sql("select count(*) from predeploy_migrations") == "1"


@case
def lint_in_scratch(t: Env):
    t.write("migrations/1_items.sql", MIGRATION)
    t.write("migrations/2_drop.sql", "-- migrate:up\ndrop table items;\n")
    s = Scratch(t)
    r = s.run("lint", "/app/migrations/1_items.sql")
    if not_built(r, "lint"):
        return
    t.expect(r, 0)
    r = s.run("lint", "/app/migrations/2_drop.sql")
    t.expect(r, 10)
    assert "drop_table" in r.out + r.err, r
    # deep nesting parses on lint's threads (musl's default stacks are small)
    with open(os.path.join(s.root, "app", "deep.sql"), "w") as f:
        f.write("select " + "abs(" * 1000 + "1" + ")" * 1000 + ";\n")
    r = s.run("lint", "/app/deep.sql")
    assert r.code in (0, 65), r


class Receiver(http.server.BaseHTTPRequestHandler):
    got = []

    def do_POST(self):
        n = int(self.headers.get("Content-Length", "0"))
        Receiver.got.append((self.path, dict(self.headers), self.rfile.read(n)))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *a):
        pass


@case
def webhook_in_scratch(t: Env):
    src = os.environ.get("PREDEPLOY_SRC", "")
    if not os.path.exists(os.path.join(src, "src", "webhook.c")):
        print("SKIP webhook: src/webhook.c is not in this tree yet", flush=True)
        return
    t.write("migrations/1_items.sql", MIGRATION)
    s = Scratch(t)
    Receiver.got = []
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    th = threading.Thread(target=srv.serve_forever, daemon=True)
    th.start()
    try:
        url = "http://127.0.0.1:%d/hook" % srv.server_address[1]
        r = s.run("run", "--backup", "never", "--webhook", url, "--webhook-required",
                  env={"PREDEPLOY_WEBHOOK_SECRET": "whsec_" + "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"})
        t.expect(r, 0)
    finally:
        srv.shutdown()
        srv.server_close()
    assert len(Receiver.got) == 1, Receiver.got
    path, headers, body = Receiver.got[0]
    assert path == "/hook"
    assert "webhook-signature" in {k.lower() for k in headers}, headers
    assert json.loads(body)["type"], body


@case
def backup_without_pg_dump(t: Env):
    t.write("migrations/1_items.sql", MIGRATION)
    s = Scratch(t)
    r = s.run("backup")
    if not_built(r, "backup"):
        return
    t.expect(r, 14)
    assert "pg_dump" in r.err, r


if __name__ == "__main__":
    if os.geteuid() != 0:
        sys.exit("test_scratch.py needs root (chroot)")
    main()
