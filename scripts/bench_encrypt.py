#!/usr/bin/env python3
"""What backup encryption costs (called by scripts/bench backup).

On a throwaway server, one database of BENCH_ENCRYPT_MB MB of table data
(default 250: text of words and random tokens, bytea half random and half
repetitive, integers; the same mix as scripts/bench-backup), then in ONE
hyperfine run each (so both commands see the same machine load):
  predeploy backup --backup-dir D            vs  the same with --backup-key-file K
  predeploy restore --file X.sql.gz --into R vs  the same with X.sql.gz.enc and K
Both backups into a local directory (so both read the file back to verify
it; the encrypted one decrypts it again).  Prints a Markdown table of wall
time (mean and standard deviation) and user+system CPU time (the
load-independent measure: hyperfine's rusage of predeploy and its children,
pg_dump included), with the load average before and after.

Then, load-independent: valgrind's callgrind counts the instructions of
predeploy's own process (pg_dump and the server are not in it, so the
share is of predeploy's part only) for one backup and one restore, plain
and encrypted, of a smaller database of BENCH_ENCRYPT_CALLGRIND_MB MB.

Environment: BENCH_ENCRYPT_MB (250), BENCH_ENCRYPT_RUNS (5; 0 skips the
hyperfine runs), BENCH_ENCRYPT_RESTORE_RUNS (3), BENCH_ENCRYPT_CALLGRIND_MB
(30; 0 skips callgrind)."""
import re
import json
import os
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))
import pgserver  # noqa: E402

BIN = os.path.join(ROOT, "build", "predeploy")
WORDS = ("deploy migration backup restore customer order invoice payment shipping address "
         "account session token product review rating category inventory warehouse report").split()


def fill(info, db, mb):
    words = "array[%s]" % ",".join("'%s'" % w for w in WORDS)
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
      create index on items (account);""" % (words, n))
    pgserver.psql(info, db, "vacuum analyze items")


def hyperfine(cmds, runs, env, out):
    argv = ["hyperfine", "--runs", str(runs), "--warmup", "1", "--export-json", out, "--style", "basic"]
    for name, cmd in cmds:
        argv += ["-n", name, cmd]
    subprocess.run(argv, env=env, check=True, stdout=sys.stderr)
    return json.load(open(out))["results"]


def instructions(argv, env, out):
    r = subprocess.run(["valgrind", "--tool=callgrind", "--callgrind-out-file=" + out] + argv, env=env,
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    if r.returncode:
        raise SystemExit("failed under callgrind: %s\n%s" % (" ".join(argv), r.stderr[-3000:]))
    return int(re.search(r"^summary: (\d+)", open(out).read(), re.M).group(1))


def callgrind(info, work, key, mb):
    """Instructions of predeploy itself: backup and restore, plain and encrypted."""
    db = "bench_enc_cg"
    pgserver.psql(info, "postgres", "CREATE DATABASE %s" % db)
    pgserver.psql(info, "postgres", "CREATE DATABASE %s_r" % db)
    fill(info, db, mb)
    env = dict(os.environ, PGPASSWORD=info["password"], PGHOST="127.0.0.1", PGPORT=str(info["port"]),
               PGUSER=info["role"], PGDATABASE=db)
    env.pop("DATABASE_URL", None)
    rows = []
    files = {}
    for name, extra in (("plain", []), ("encrypted", ["--backup-key-file", key])):
        d = os.path.join(work, "cg-" + name)
        n = instructions([BIN, "backup", "-q", "--backup-dir", d] + extra, env, os.path.join(work, "cg"))
        files[name] = os.path.join(d, [f for f in os.listdir(d) if not f.endswith(".json")][0])
        rows.append(("backup, " + name, n, os.path.getsize(files[name])))
    for name, extra in (("plain", []), ("encrypted", ["--backup-key-file", key])):
        n = instructions([BIN, "restore", "-q", "--force", "--no-backup", "--file", files[name], "--into",
                          db + "_r"] + extra, env, os.path.join(work, "cg"))
        rows.append(("restore, " + name, n, None))
    return rows


def loadavg():
    return "%.2f %.2f %.2f" % os.getloadavg()


def main():
    mb = int(os.environ.get("BENCH_ENCRYPT_MB", "250"))
    runs = int(os.environ.get("BENCH_ENCRYPT_RUNS", "5"))
    rruns = int(os.environ.get("BENCH_ENCRYPT_RESTORE_RUNS", "3"))
    info = pgserver.start(["max_wal_size = 4GB", "checkpoint_timeout = 30min"])
    work = tempfile.mkdtemp(prefix="predeploy-bench-enc-")
    rows = []
    try:
        key = os.path.join(work, "key")
        with open(key, "w") as f:
            f.write(subprocess.run(["openssl", "rand", "-hex", "32"], capture_output=True, text=True,
                                   check=True).stdout)
        os.chmod(key, 0o600)
        cg_mb = int(os.environ.get("BENCH_ENCRYPT_CALLGRIND_MB", "30"))
        cg = callgrind(info, work, key, cg_mb) if cg_mb else []
        if not runs:
            return report(mb, None, rows, cg, cg_mb)
        db = "bench_enc"
        pgserver.psql(info, "postgres", "CREATE DATABASE %s" % db)
        pgserver.psql(info, "postgres", "CREATE DATABASE %s_r" % db)
        fill(info, db, mb)
        size = int(pgserver.psql(info, db, "select pg_database_size(current_database())").strip())
        env = dict(os.environ, PGPASSWORD=info["password"], PGHOST="127.0.0.1", PGPORT=str(info["port"]),
                   PGUSER=info["role"], PGDATABASE=db)
        env.pop("DATABASE_URL", None)
        plain, enc = os.path.join(work, "plain"), os.path.join(work, "enc")
        load0 = loadavg()
        res = hyperfine([("backup", "%s backup -q --keep 2 --backup-dir %s" % (BIN, plain)),
                         ("backup, encrypted", "%s backup -q --keep 2 --backup-dir %s --backup-key-file %s"
                          % (BIN, enc, key))], runs, env, os.path.join(work, "b.json"))
        load1 = loadavg()
        gz = sorted(f for f in os.listdir(plain) if f.endswith(".sql.gz"))[-1]
        ge = sorted(f for f in os.listdir(enc) if f.endswith(".sql.gz.enc"))[-1]
        out_size = {"backup": os.path.getsize(os.path.join(plain, gz)),
                    "backup, encrypted": os.path.getsize(os.path.join(enc, ge))}
        rows += [(r, out_size[r["command"]], load0, load1) for r in res]
        load0 = loadavg()
        res = hyperfine([("restore", "%s restore -q --force --no-backup --file %s --into %s_r"
                          % (BIN, os.path.join(plain, gz), db)),
                         ("restore, encrypted", "%s restore -q --force --no-backup --file %s --into %s_r "
                          "--backup-key-file %s" % (BIN, os.path.join(enc, ge), db, key))],
                        rruns, env, os.path.join(work, "r.json"))
        load1 = loadavg()
        rows += [(r, None, load0, load1) for r in res]
    finally:
        pgserver.stop(info)
        shutil.rmtree(work, ignore_errors=True)
    report(mb, size, rows, cg, cg_mb)


def report(mb, size, rows, cg, cg_mb):
    if not rows:
        print_callgrind(cg, cg_mb)
        return
    print("Database: %d MB of data, %.0f MB on disk; %s CPUs." % (mb, size / 1e6, os.cpu_count()))
    print()
    print("| command | runs | wall s (mean ± sd) | user+sys s | output MB | load avg before / after |")
    print("|---|---|---|---|---|---|")
    base = {}
    for r, out, l0, l1 in rows:
        cpu = r["user"] + r["system"]
        kind = r["command"].split(",")[0]
        if kind not in base:
            base[kind] = (r["mean"], cpu)
            ratio = ""
        else:
            ratio = " (%.3f× wall, %.3f× CPU)" % (r["mean"] / base[kind][0], cpu / base[kind][1])
        print("| %s%s | %d | %.2f ± %.2f | %.2f | %s | %s / %s |" % (
            r["command"], ratio, len(r["times"]), r["mean"], r["stddev"] or 0, cpu,
            "%.1f" % (out / 1e6) if out else "-", l0, l1))
    print_callgrind(cg, cg_mb)


def print_callgrind(cg, mb):
    if not cg:
        return
    print()
    print("callgrind, predeploy's own instructions (%d MB of data; pg_dump and the server not counted):" % mb)
    print()
    print("| command | instructions | ratio | output MB |")
    print("|---|---|---|---|")
    for i, (name, n, out) in enumerate(cg):
        base = cg[i - 1][1] if i % 2 else n
        print("| %s | %s | %.3f× | %s |" % (name, "{:,}".format(n), n / base, "%.1f" % (out / 1e6) if out else "-"))


if __name__ == "__main__":
    main()
