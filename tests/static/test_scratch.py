#!/usr/bin/env python3
"""The static binary alone in an empty root file system, which is what a
FROM scratch image is: no /etc/passwd, /etc/hosts, /etc/resolv.conf, CA
bundle, shell or pg_dump. Each case copies only $PREDEPLOY_BIN (as /predeploy)
and the migration files into an empty directory and runs it there through
chroot(8), against the run's PostgreSQL on 127.0.0.1. Needs root."""
import json
import os
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                "integration"))
from harness import case, main, Env, Result, BIN  # noqa: E402
import pgserver  # noqa: E402
from receiver import Receiver  # noqa: E402

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
        # no pg_dump in scratch: no backups unless a case asks for one
        e = {"DATABASE_URL": self.t.url, "PREDEPLOY_MIGRATIONS_DIR": "/app/migrations",
             "PREDEPLOY_LOG_FORMAT": "text", "PREDEPLOY_BACKUP": "never"}
        e.update(env or {})
        e = {k: v for k, v in e.items() if v is not None}
        r = subprocess.run([CHROOT, self.root, "/predeploy"] + list(args), env=e,
                           capture_output=True, text=True, timeout=timeout, errors="replace")
        res = Result(list(args), r.returncode, r.stdout, r.stderr)
        self.t.outputs.append(res)
        return res


@case
def version_in_scratch(t: Env):
    s = Scratch(t)
    r = s.run("--version")
    t.expect(r, 0)
    lines = r.out.splitlines()
    for want in ("predeploy ", "libpq ", "libpg_query ", "libcurl ", "tls OpenSSL/", "zlib ", "libdeflate "):
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
    r = s.run("status", env={"DATABASE_URL": url})      # status connects once, no waiting
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
    t.expect(r, 0)
    r = s.run("lint", "/app/migrations/2_drop.sql")
    t.expect(r, 10)
    assert "drop_table" in r.out + r.err, r
    # deep nesting parses on lint's threads (musl's default stacks are small)
    # (900 levels: lint refuses to analyse more than 1000)
    with open(os.path.join(s.root, "app", "deep.sql"), "w") as f:
        f.write("select " + "abs(" * 900 + "1" + ")" * 900 + ";\n")
    r = s.run("lint", "/app/deep.sql")
    t.expect(r, 0)


WHSEC = "whsec_" + "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


@case
def webhook_in_scratch(t: Env):
    t.write("migrations/1_items.sql", MIGRATION)
    s = Scratch(t)
    with Receiver(secret=WHSEC) as rx:
        r = s.run("run", "--webhook", rx.url, "--webhook-required",
                  env={"PREDEPLOY_WEBHOOK_SECRET": WHSEC})
        t.expect(r, 0)
        (req,) = rx.wait_for(1, timeout=10)
    assert req["signature_valid"] is True, req
    assert req["json"]["data"]["status"], req


@case
def webhook_tls_ca_in_scratch(t: Env):
    # no CA bundle in scratch: HTTPS is refused until one is provided, at the
    # default path (/etc/ssl/cert.pem), through SSL_CERT_FILE or --webhook-ca-file
    s = Scratch(t)
    key, crt = t.path("key.pem"), t.path("cert.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-keyout", key, "-out", crt, "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1"],
                   check=True, capture_output=True, timeout=60)
    shutil.copy(crt, os.path.join(s.root, "app", "ca.pem"))
    with Receiver(secret=WHSEC, tls_cert=crt, tls_key=key) as rx:
        assert rx.url.startswith("https://")
        args = ("run", "--webhook", rx.url, "--webhook-required")
        env = {"PREDEPLOY_WEBHOOK_SECRET": WHSEC}
        r = s.run(*args, env=env)
        t.expect(r, 15)
        assert "certificate" in r.err.lower(), r
        assert rx.snapshot() == []
        r = s.run(*args, env=dict(env, SSL_CERT_FILE="/app/ca.pem"))
        t.expect(r, 0)
        r = s.run(*args, "--webhook-ca-file", "/app/ca.pem", env=env)
        t.expect(r, 0)
        os.makedirs(os.path.join(s.root, "etc", "ssl"))
        shutil.copy(crt, os.path.join(s.root, "etc", "ssl", "cert.pem"))
        r = s.run(*args, env=env)
        t.expect(r, 0)
        reqs = rx.wait_for(3, timeout=10)
    assert all(q["signature_valid"] is True for q in reqs), reqs


@case
def backup_without_pg_dump(t: Env):
    t.write("migrations/1_items.sql", MIGRATION)
    s = Scratch(t)
    r = s.run("backup", env={"PREDEPLOY_BACKUP": None})
    t.expect(r, 14)
    assert '"pg_dump"' in r.err and "not found" in r.err, r
    # the default policy backs up before applying: without pg_dump nothing runs
    r = s.run("up", env={"PREDEPLOY_BACKUP": None})
    t.expect(r, 14)
    assert "pg_dump" in r.err, r
    assert t.sql("select to_regclass('items') is null") == "t"
    assert os.listdir(os.path.join(s.root, "app")) == ["migrations"]


@case
def backup_with_bundled_pg_dump(t: Env):
    # the pg_dump image variant: pg_dump and its libraries bundled into the
    # empty root by scripts/bundle-pg-dump (docker/Dockerfile does the same)
    t.write("migrations/1_items.sql", MIGRATION)
    s = Scratch(t)
    src = os.environ.get("PREDEPLOY_SRC", os.path.dirname(os.path.dirname(os.path.dirname(
        os.path.abspath(__file__)))))
    subprocess.run([os.path.join(src, "scripts", "bundle-pg-dump"), s.root,
                    os.path.join(t.pg["bindir"], "pg_dump")], check=True, capture_output=True)
    assert not os.path.exists(os.path.join(s.root, "etc"))
    env = {"PREDEPLOY_BACKUP": None, "PREDEPLOY_BACKUP_DIR": "/app/backups"}
    r = s.run("up", env=env)
    t.expect(r, 0)
    assert t.sql("select count(*) from predeploy_migrations") == "1"
    files = sorted(os.listdir(os.path.join(s.root, "app", "backups")))
    assert len(files) == 2 and files[0].endswith(".sql.gz") and files[1].endswith(".sql.gz.json"), files
    r = s.run("backups", env=env)
    t.expect(r, 0)
    assert files[0] in r.out, r


if __name__ == "__main__":
    if os.geteuid() != 0:
        sys.exit("test_scratch.py needs root (chroot)")
    main()
