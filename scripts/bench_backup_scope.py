#!/usr/bin/env python3
"""Backup destination and scope benchmark (called by scripts/bench backup,
alone by scripts/bench backup-scope).

On a throwaway server, for each size in BENCH_SCOPE_SIZES (MB of table data
in `items`, default "100,1000"; the generator of scripts/bench-backup) plus
a table `small` of BENCH_SCOPE_SMALL MB (default 10), each command under
/usr/bin/time -v, BENCH_SCOPE_RUNS times (default 2; the best wall time is
reported, RSS is the largest seen):

  (a) where a full backup goes, same database:
      predeploy backup --backup-dir DIR                      (the floor)
      predeploy backup --backup-to s3://... to s3rver on loopback through the
          SigV4-verifying front of the tests (tests/integration/s3front.py:
          botocore recomputes every signature and payload hash, then
          forwards).  Not straight to s3rver: it does not implement
          ListMultipartUploads (GET ?uploads answers 501), which predeploy
          asks before each backup to clean up orphaned uploads; the front
          answers it from s3rver's files.
  (b) what a deploy's backup holds, same pending migration (it drops a
      column of `small`, then fails on purpose so nothing is applied and
      every run starts from the same state; --backup-reuse 0):
      predeploy up --backup-scope full
      predeploy up --backup-scope at-risk   (schema + `small`'s rows)

predeploy's own peak RSS (VmHWM, without its pg_dump child) is sampled
from /proc; "max RSS" is /usr/bin/time's (the largest process of the tree,
usually pg_dump or predeploy); user+sys are the CPU seconds of predeploy
and pg_dump (not the server's, not s3rver's), a measure the load of other
processes on the machine changes much less than wall time.  Prints
Markdown tables."""
import importlib.machinery
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))
import pgserver  # noqa: E402
import s3env  # noqa: E402

BIN = os.environ.get("BENCH_BIN") or os.path.join(ROOT, "build", "predeploy")
bb = importlib.machinery.SourceFileLoader("bench_backup", os.path.join(ROOT, "scripts", "bench-backup")).load_module()

MIGRATION = ("-- migrate:up\n-- predeploy:allow drop_column benchmark\n"
             "alter table small drop column note;\nselect 1/0;  -- fails: nothing is applied\n")


def timed(argv, env, expect_fail=False):
    """(wall s, max RSS kB, predeploy VmHWM kB, user+sys s, stderr)."""
    p = subprocess.Popen(["/usr/bin/time", "-v"] + argv, env=env, stdout=subprocess.DEVNULL,
                         stderr=subprocess.PIPE, text=True)
    hwm = [0]

    def sample():
        while p.poll() is None:
            try:
                for c in open("/proc/%d/task/%d/children" % (p.pid, p.pid)).read().split():
                    for line in open("/proc/%s/status" % c):
                        if line.startswith("VmHWM:"):
                            hwm[0] = max(hwm[0], int(line.split()[1]))
            except OSError:
                pass
            time.sleep(0.02)
    th = threading.Thread(target=sample)
    th.start()
    _, err = p.communicate()
    th.join()
    if (p.returncode != 0) != expect_fail or "verified" not in err:
        raise SystemExit("unexpected result (%d): %s\n%s" % (p.returncode, argv, err[-3000:]))
    wall = re.search(r"Elapsed \(wall clock\) time.*: (?:(\d+):)?(\d+):([\d.]+)", err)
    secs = int(wall.group(1) or 0) * 3600 + int(wall.group(2)) * 60 + float(wall.group(3))
    rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", err).group(1))
    cpu = float(re.search(r"User time \(seconds\): ([\d.]+)", err).group(1)) + \
        float(re.search(r"System time \(seconds\): ([\d.]+)", err).group(1))
    return secs, rss, hwm[0], cpu, err


def make_db(info, db, mb, small_mb):
    pgserver.psql(info, "postgres", "CREATE DATABASE %s" % db)
    words = "array[%s]" % ",".join("'%s'" % w for w in bb.WORDS)
    n = mb * 1024 * 1024 // 1400
    pgserver.psql(info, db, """
      create table items (id bigint primary key, account int, qty int, note text, blob bytea, at timestamptz);
      insert into items
      select g, (random()*100000)::int, (random()*50)::int,
             (select string_agg(CASE WHEN random() < 0.7 THEN (%s)[1 + (random()*19)::int]
                                     ELSE md5(random()::text) END, ' ')
                from generate_series(1, 40 + (g %% 3)) w),
             CASE WHEN g %% 2 = 0 THEN decode(repeat(md5((g %% 100)::text), 16), 'hex')
                  ELSE decode(md5(random()::text) || md5(random()::text) || md5(random()::text) ||
                              md5(random()::text), 'hex') END,
             now() - g * interval '1 second'
      from generate_series(1, %d) g;
      create index on items (account);
      create table small (id int primary key, note text, at timestamptz);
      insert into small select g, md5(g::text) || ' ' || repeat(md5((g %% 97)::text), 2), now()
        from generate_series(1, %d) g;""" % (words, n, small_mb * 1024 * 1024 // 150))
    pgserver.psql(info, db, "vacuum analyze")
    return int(pgserver.psql(info, db, "select pg_database_size(current_database())").strip())


def main():
    if not os.path.exists("/usr/bin/time"):
        subprocess.run([os.path.join(ROOT, "scripts", "install-deps"), "time"], check=True)
    if not s3env.available():
        raise SystemExit("s3rver or python3-botocore/boto3 missing: run scripts/install-deps")
    sizes = [int(s) for s in os.environ.get("BENCH_SCOPE_SIZES", "100,1000").split(",")]
    small_mb = int(os.environ.get("BENCH_SCOPE_SMALL", "10"))
    runs = int(os.environ.get("BENCH_SCOPE_RUNS", "2"))
    info = pgserver.start(["max_wal_size = 4GB", "checkpoint_timeout = 30min"])
    s3 = s3env.S3()
    work = tempfile.mkdtemp(prefix="predeploy-bench-scope-")
    rows, load = [], []
    try:
        for mb in sizes:
            db = "scope_%d" % mb
            size = make_db(info, db, mb, small_mb)
            small = int(pgserver.psql(info, db, "select pg_total_relation_size('small')").strip())
            mig = os.path.join(work, "mig%d" % mb)
            os.makedirs(mig)
            with open(os.path.join(mig, "1_drop.sql"), "w") as f:
                f.write(MIGRATION)
            env = dict(os.environ, PGPASSWORD=info["password"], PGHOST="127.0.0.1", PGPORT=str(info["port"]),
                       PGUSER=info["role"], PGDATABASE=db, PREDEPLOY_LOG_FORMAT="text")
            env.pop("DATABASE_URL", None)
            front = dict(env, **s3.env())
            bdir = os.path.join(work, "b%d" % mb)
            cases = [
                ("backup to a directory", [BIN, "backup", "--backup-dir", bdir, "--keep", "1"], env, False),
                ("backup to s3rver via the verifying front",
                 [BIN, "backup", "--backup-to", s3.url("f%d" % mb), "--keep", "1"], front, False),
                ("up --backup-scope full", [BIN, "up", "--dir", mig, "--backup-dir", bdir, "--keep", "1",
                                            "--backup-reuse", "0", "--backup-scope", "full"], env, True),
                ("up --backup-scope at-risk", [BIN, "up", "--dir", mig, "--backup-dir", bdir, "--keep", "1",
                                               "--backup-reuse", "0", "--backup-scope", "at-risk"], env, True),
            ]
            for name, argv, e, fail in cases:
                best = None
                for _ in range(runs):
                    load.append(os.getloadavg()[0])
                    w, rss, hwm, cpu, err = timed(argv, e, fail)
                    if "at-risk" in name:
                        assert "at-risk (--backup-scope at-risk)" in err and "public.small" in err, err
                    best = (w, rss, hwm, cpu) if not best else (min(best[0], w), max(best[1], rss),
                                                              max(best[2], hwm), min(best[3], cpu))
                rows.append((mb, size, small, name) + best)
            shutil.rmtree(bdir, ignore_errors=True)
            pgserver.psql(info, "postgres", "DROP DATABASE %s" % db)
    finally:
        s3.close()
        pgserver.stop(info)
        shutil.rmtree(work, ignore_errors=True)
    print("load average (1 min) during the runs: %.1f to %.1f on %d cores" % (min(load), max(load), os.cpu_count()))
    print()
    print("| data | db size | command | best wall s | ratio | user+sys s | max RSS kB | predeploy VmHWM kB |")
    print("|---|---|---|---|---|---|---|---|")
    for mb, size, small, name, w, rss, hwm, cpu in rows:
        base = [r for r in rows if r[0] == mb and r[3] == ("backup to a directory" if name.startswith("backup")
                                                            else "up --backup-scope full")][0][4]
        print("| %d MB | %.0f MB | %s | %.2f | %.3f | %.2f | %d | %d |" % (mb, size / 1e6, name, w, w / base, cpu,
                                                                        rss, hwm))
    print()
    print("`small` (the table at risk): %.1f MB with its index" % (rows[0][2] / 1e6))


if __name__ == "__main__":
    main()
