#!/usr/bin/env python3
"""Engine benchmarks for scripts/bench.

engine: 200 generated migrations of realistic shape applied to a fresh
        database by predeploy, by `psql -1 -f` of the same SQL (the floor) and by
        dbmate; then a no-op `up` with nothing pending (predeploy vs dbmate).
run:    `predeploy run -- /bin/true` with nothing pending vs `dbmate up` then
        /bin/true.
Wall times are medians of repeated runs; peak RSS from /usr/bin/time -f %M.
"""
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))
import pgserver  # noqa: E402

BIN = os.environ.get("PREDEPLOY_BIN", os.path.join(ROOT, "build", "predeploy"))
CACHE = os.path.expanduser("~/.cache/predeploy-bench")


def dbmate_bin():
    npm = os.path.join(CACHE, "npm")
    path = os.path.join(npm, "node_modules", "@dbmate", "linux-x64", "bin", "dbmate")
    if not os.path.exists(path):
        os.makedirs(npm, exist_ok=True)
        subprocess.run(["npm", "install", "--silent", "--prefix", npm, "dbmate"], check=True,
                       stdout=subprocess.DEVNULL)
    return path


def generate(dirpath, n=200, seed=7):
    """Migrations of realistic shape: tables, columns, indexes, constraints,
    backfills, views, functions."""
    rnd = random.Random(seed)
    os.makedirs(dirpath, exist_ok=True)
    tables = []
    sql_all = []
    for i in range(1, n + 1):
        kind = i % 10
        if not tables or kind in (0, 5):
            t = "t%03d" % i
            ref = rnd.choice(tables) if tables else None
            cols = ["id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY", "name text NOT NULL",
                    "created_at timestamptz NOT NULL DEFAULT now()", "status text NOT NULL DEFAULT 'new'"]
            if ref:
                cols.append("%s_id bigint REFERENCES %s (id)" % (ref, ref))
            up = "CREATE TABLE %s (\n    %s\n);\n" % (t, ",\n    ".join(cols))
            if ref:
                up += "CREATE INDEX %s_%s_id_idx ON %s (%s_id);\n" % (t, ref, t, ref)
            up += "INSERT INTO %s (name) SELECT 'row ' || g FROM generate_series(1, 200) g;\n" % t
            tables.append(t)
        elif kind in (1, 6):
            t = rnd.choice(tables)
            up = ("ALTER TABLE %s ADD COLUMN c%d text;\nUPDATE %s SET c%d = name || '-%d' WHERE id %% 3 = 0;\n"
                  % (t, i, t, i, i))
        elif kind in (2, 7):
            t = rnd.choice(tables)
            up = "CREATE INDEX %s_created_%d_idx ON %s (created_at, status);\n" % (t, i, t)
        elif kind == 3:
            t = rnd.choice(tables)
            up = ("ALTER TABLE %s ADD CONSTRAINT %s_name_len_%d CHECK (length(name) < 500) NOT VALID;\n"
                  "ALTER TABLE %s VALIDATE CONSTRAINT %s_name_len_%d;\n" % (t, t, i, t, t, i))
        elif kind == 4:
            t = rnd.choice(tables)
            up = ("CREATE OR REPLACE VIEW v%d AS SELECT id, name, status FROM %s WHERE status = 'new';\n"
                  % (i, t))
        elif kind == 8:
            up = ("CREATE OR REPLACE FUNCTION f%d(x bigint) RETURNS bigint LANGUAGE sql IMMUTABLE AS $$ "
                  "SELECT x * %d $$;\n" % (i, i))
        else:
            t = rnd.choice(tables)
            up = ("UPDATE %s SET status = 'active' WHERE id %% 5 = 0;\nCOMMENT ON TABLE %s IS 'migration %d';\n"
                  % (t, t, i))
        with open(os.path.join(dirpath, "%04d_m%d.sql" % (i, i)), "w") as f:
            f.write("-- migrate:up\n" + up + "\n-- migrate:down\n")
        sql_all.append(up)
    with open(os.path.join(os.path.dirname(dirpath), "all.sql"), "w") as f:
        f.write("".join(sql_all))


def timed(argv, env, cwd):
    """Wall seconds and peak RSS (KiB) of one command."""
    t0 = time.perf_counter()
    r = subprocess.run(["/usr/bin/time", "-f", "%M"] + argv, env=env, cwd=cwd,
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    wall = time.perf_counter() - t0
    if r.returncode != 0:
        raise SystemExit("benchmark command failed: %s\n%s" % (" ".join(argv), r.stderr[-2000:]))
    rss = int(r.stderr.strip().splitlines()[-1])
    return wall, rss


def fresh_db(info, name):
    pgserver.psql(info, "postgres", 'DROP DATABASE IF EXISTS "%s" WITH (FORCE)' % name)
    pgserver.psql(info, "postgres", 'CREATE DATABASE "%s"' % name)
    return pgserver.url(info, name)


def med(xs):
    return statistics.median(xs)


def bench_engine(info, work, reps):
    migdir = os.path.join(work, "db", "migrations")
    generate(migdir)
    dbmate = dbmate_bin()
    psql = os.path.join(info["bindir"], "psql")
    res = {"predeploy": [], "psql": [], "dbmate": []}
    rss = {"predeploy": [], "psql": [], "dbmate": []}
    base = dict(os.environ)
    for k in list(base):
        if k.startswith("PG") or k.startswith("PREDEPLOY") or k == "DATABASE_URL":
            del base[k]
    for rep in range(reps):
        for tool in ("predeploy", "psql", "dbmate"):
            url = fresh_db(info, "bench_%s" % tool)
            env = dict(base, DATABASE_URL=url)
            if tool == "predeploy":
                # the engine alone: lint gate on, backup off (psql and dbmate
                # take none); the backup is measured by scripts/bench backup
                argv = [BIN, "up", "--dir", migdir, "--quiet", "--backup", "never"]
            elif tool == "psql":
                argv = [psql, "-X", "-q", "-1", "-v", "ON_ERROR_STOP=1", "-f", os.path.join(work, "db", "all.sql"), url]
            else:
                argv = [dbmate, "--no-dump-schema", "--migrations-dir", migdir, "up"]
                env["DATABASE_URL"] = url + "?sslmode=disable"
            w, m = timed(argv, env, work)
            res[tool].append(w)
            rss[tool].append(m)
    # no-op: everything applied already (last rep's databases)
    noop = {"predeploy": [], "dbmate": []}
    noop_rss = {"predeploy": [], "dbmate": []}
    for _ in range(30):
        w, m = timed([BIN, "up", "--dir", migdir, "--quiet"], dict(base, DATABASE_URL=pgserver.url(info, "bench_predeploy")), work)
        noop["predeploy"].append(w)
        noop_rss["predeploy"].append(m)
        w, m = timed([dbmate, "--no-dump-schema", "--migrations-dir", migdir, "up"],
                     dict(base, DATABASE_URL=pgserver.url(info, "bench_dbmate") + "?sslmode=disable"), work)
        noop["dbmate"].append(w)
        noop_rss["dbmate"].append(m)
    p, f, d = med(res["predeploy"]), med(res["psql"]), med(res["dbmate"])
    print("### Engine: 200 migrations on a fresh database (median of %d)\n" % reps)
    print("| tool | wall | vs psql floor | vs dbmate | peak RSS |")
    print("|---|---|---|---|---|")
    print("| predeploy up | %.0f ms | %.2f× | %.2f× | %.1f MB |" % (p * 1000, p / f, p / d, max(rss["predeploy"]) / 1024))
    print("| psql -1 -f (floor) | %.0f ms | 1.00× | %.2f× | %.1f MB |" % (f * 1000, f / d, max(rss["psql"]) / 1024))
    print("| dbmate up | %.0f ms | %.2f× | 1.00× | %.1f MB |" % (d * 1000, d / f, max(rss["dbmate"]) / 1024))
    print()
    pn, dn = med(noop["predeploy"]), med(noop["dbmate"])
    print("### Engine: no-op `up`, nothing pending (median of 30)\n")
    print("| tool | wall | vs dbmate | peak RSS |")
    print("|---|---|---|---|")
    print("| predeploy up | %.1f ms | %.2f× | %.1f MB |" % (pn * 1000, pn / dn, max(noop_rss["predeploy"]) / 1024))
    print("| dbmate up | %.1f ms | 1.00× | %.1f MB |" % (dn * 1000, max(noop_rss["dbmate"]) / 1024))
    print()


def bench_run(info, work):
    migdir = os.path.join(work, "db", "migrations")
    if not os.path.isdir(migdir):
        generate(migdir)
    dbmate = dbmate_bin()
    base = {k: v for k, v in os.environ.items()
            if not (k.startswith("PG") or k.startswith("PREDEPLOY") or k == "DATABASE_URL")}
    url_p = fresh_db(info, "bench_run_p")
    url_d = fresh_db(info, "bench_run_d")
    envp = dict(base, DATABASE_URL=url_p)
    envd = dict(base, DATABASE_URL=url_d + "?sslmode=disable")
    subprocess.run([BIN, "up", "--dir", migdir, "--quiet"], env=envp, check=True)
    subprocess.run([dbmate, "--no-dump-schema", "--migrations-dir", migdir, "up"], env=envd, check=True,
                   stdout=subprocess.DEVNULL)
    pw, dw, prss = [], [], []
    for _ in range(30):
        w, m = timed([BIN, "run", "--dir", migdir, "--quiet", "--backup-dir", os.path.join(work, "backups"),
                      "--", "/bin/true"], envp, work)
        pw.append(w)
        prss.append(m)
        t0 = time.perf_counter()
        subprocess.run([dbmate, "--no-dump-schema", "--migrations-dir", migdir, "up"], env=envd, check=True,
                       stdout=subprocess.DEVNULL)
        subprocess.run(["/bin/true"], check=True)
        dw.append(time.perf_counter() - t0)
    p, d = med(pw), med(dw)
    print("### `run -- /bin/true` with nothing pending (median of 30)\n")
    print("| tool | wall | vs dbmate | peak RSS |")
    print("|---|---|---|---|")
    print("| predeploy run -- /bin/true | %.1f ms | %.2f× | %.1f MB |" % (p * 1000, p / d, max(prss) / 1024))
    print("| dbmate up && /bin/true | %.1f ms | 1.00× | - |" % (d * 1000))
    print()


def main():
    what = sys.argv[1] if len(sys.argv) > 1 else "engine"
    reps = int(os.environ.get("BENCH_REPS", "5"))
    work = tempfile.mkdtemp(prefix="predeploy-bench-")
    info = pgserver.start()
    try:
        print("PostgreSQL %s, %s, %d cores\n" % (info["version"], os.uname().machine, os.cpu_count()))
        if what == "engine":
            bench_engine(info, work, reps)
        else:
            bench_run(info, work)
    finally:
        pgserver.stop(info)
        subprocess.run(["rm", "-rf", work])


if __name__ == "__main__":
    main()
