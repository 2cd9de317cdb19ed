"""Integration test harness: the real predeploy binary against the run's
throwaway server (started by the ctest fixture, see pgctl.py).

    from harness import case, main, Env

    @case
    def applies_everything(t: Env):
        t.write("migrations/001_a.sql", "-- migrate:up\\ncreate table a(id int);\\n")
        r = t.run("up")
        t.expect(r, 0)
        assert t.sql("select count(*) from a") == "0"

    if __name__ == "__main__":
        main()

Each case gets its own database (dropped afterwards, also on failure), its own
temp working directory, and a DATABASE_URL with a password (the harness checks
that the password never appears in any output).  The file prints one line per
case and "N passed, N failed".  A "# cost: SECONDS" line (the file's measured
run time) lets ctest start the longest files first; a "# shards: N" line
splits a long file into N ctest tests that run side by side (see main()).
"""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pgserver  # noqa: E402

BIN = os.environ.get("PREDEPLOY_BIN", "")
SRC = os.environ.get("PREDEPLOY_SRC", os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
_cases = []
# Grepped for in every output of every case: the test password, and the
# passwords of the leak cases (test_hostile.py): one with a raw '%' that
# libpq quotes when it cannot decode it, the tail of one with an unquoted
# space that libpq quotes as a keyword, and an sslpassword.
# Also a fragment of the S3 secret key of the bucket tests (s3env.SECRET_KEY).
SECRETS = [pgserver.PASSWORD, "Zq8", "Pct%zzSecretOne", "SecretOne", "SpaceSecretTwo", "SslSecretThree",
           "Kx7wq"]


def case(fn):
    _cases.append(fn)
    return fn


def server():
    state = os.path.join(os.environ["PREDEPLOY_IT_STATE"], "pg.json")
    with open(state) as f:
        return json.load(f)


class Result:
    def __init__(self, args, code, out, err):
        self.args, self.code, self.out, self.err = args, code, out, err

    def __repr__(self):
        return "predeploy %s -> %d\n--- stdout\n%s--- stderr\n%s" % (
            " ".join(self.args), self.code, self.out, self.err)


class Env:
    def __init__(self, name):
        self.pg = server()
        self.name = name
        self.db = ("t_%s_%d" % (name, os.getpid()))[:60].lower()
        self.dir = tempfile.mkdtemp(prefix="predeploy-it-")
        self.url = pgserver.url(self.pg, self.db)
        self.outputs = []
        pgserver.psql(self.pg, "postgres", 'DROP DATABASE IF EXISTS "%s" WITH (FORCE)' % self.db)
        pgserver.psql(self.pg, "postgres", 'CREATE DATABASE "%s"' % self.db)
        os.makedirs(self.path("migrations"))

    def close(self):
        pgserver.psql(self.pg, "postgres", 'DROP DATABASE IF EXISTS "%s" WITH (FORCE)' % self.db,
                      check=False)
        shutil.rmtree(self.dir, ignore_errors=True)

    def path(self, *p):
        return os.path.join(self.dir, *p)

    def write(self, rel, content, mode="w"):
        p = self.path(rel)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        with open(p, mode) as f:
            f.write(content)
        return p

    def env(self, extra=None):
        e = {k: v for k, v in os.environ.items()
             if not k.startswith("PREDEPLOY_") and not k.startswith("PG") and k != "DATABASE_URL"}
        e["DATABASE_URL"] = self.url
        e["PREDEPLOY_LOG_FORMAT"] = "text"
        e.update(extra or {})
        return {k: v for k, v in e.items() if v is not None}

    def run(self, *args, env=None, timeout=120, input=None, cwd=None):
        r = subprocess.run([BIN] + list(args), cwd=cwd or self.dir, env=self.env(env),
                           capture_output=True, text=True, timeout=timeout, input=input,
                           errors="replace")
        res = Result(list(args), r.returncode, r.stdout, r.stderr)
        self.outputs.append(res)
        return res

    def spawn(self, *args, env=None, **kw):
        return subprocess.Popen([BIN] + list(args), cwd=self.dir, env=self.env(env),
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kw)

    def sql(self, query, db=None):
        return pgserver.psql(self.pg, db or self.db, query).strip()

    def sql_ok(self, query):
        return pgserver.psql(self.pg, self.db, query, check=False)

    def wait_for_backend(self, fragment, timeout=10.0, anywhere=False):
        """Wait until a predeploy backend in this case's database is running
        a query containing `fragment` (pg_stat_activity); fail after
        `timeout` seconds. Other tests run on the same server at the same
        time: `anywhere` (a backend on a shadow or scratch database) needs a
        fragment no other test uses."""
        where = "" if anywhere else "and datname = current_database() "
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.sql("select count(*) from pg_stat_activity where application_name = 'predeploy' " + where +
                        "and query like '%%' || $q$%s$q$ || '%%' and pid <> pg_backend_pid()" % fragment) != "0":
                return
            time.sleep(0.02)
        raise AssertionError("no predeploy backend ran %r within %.0fs" % (fragment, timeout))

    def hold_lock(self, table, seconds, timeout=20.0, mode="access share"):
        """Another session (psql as the superuser) locks `table` in `mode`
        (default ACCESS SHARE) and keeps the lock for `seconds`; returns that
        process once the lock is granted. The caller waits for or kills it."""
        holder = subprocess.Popen(
            [os.path.join(self.pg["bindir"], "psql"), "-X", "-h", self.pg["sockdir"], "-p", str(self.pg["port"]),
             "-U", "postgres", "-d", self.db, "-c",
             "begin; lock table %s in %s mode; select pg_sleep(%s);" % (table, mode, seconds)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.sql("select count(*) from pg_locks l join pg_class c on c.oid = l.relation "
                        "where c.relname = '%s' and l.granted" % table) != "0":
                return holder
            time.sleep(0.05)
        holder.kill()
        holder.wait()
        raise AssertionError("the lock holder never got its lock on %s" % table)

    def expect(self, r, code):
        if r.code != code:
            raise AssertionError("expected exit %d, got %r" % (code, r))

    def check_no_password(self):
        for r in self.outputs:
            for text in (r.out, r.err):
                for s in SECRETS:
                    if s in text:
                        raise AssertionError("secret %r leaked in output of %r" % (s, r))


def shadows_gone(t: Env, err, expect=True):
    """The shadow databases this run created (named in its log) are gone.
    Other tests run at the same time, so counting all shadows would race."""
    names = set(re.findall(r"predeploy_shadow_[0-9]+_[0-9a-f]+", err))
    assert names or not expect, err
    for n in names:
        assert t.sql("select count(*) from pg_database where datname = '%s'" % n) == "0", n


def main():
    """Run the file's cases (those named on the command line, else all).
    $PREDEPLOY_IT_SHARD "K/N" runs every N-th case from the K-th: ctest
    runs a long file as N tests side by side (a "# shards: N" line in the
    file), so one file's waits do not hold up the pass."""
    only = sys.argv[1:]
    shard, nshards = (int(x) for x in os.environ.get("PREDEPLOY_IT_SHARD", "1/1").split("/"))
    passed = failed = 0
    for i, fn in enumerate(_cases):
        if only and fn.__name__ not in only:
            continue
        if i % nshards != shard - 1:
            continue
        t0 = time.time()
        t = None
        try:
            t = Env(fn.__name__)
            fn(t)
            t.check_no_password()
            passed += 1
            print("PASS %s (%.1fs)" % (fn.__name__, time.time() - t0), flush=True)
        except Exception:
            failed += 1
            print("FAIL %s (%.1fs)" % (fn.__name__, time.time() - t0), flush=True)
            traceback.print_exc()
        finally:
            if t:
                t.close()
    print("%d passed, %d failed" % (passed, failed))
    sys.exit(1 if failed else 0)
