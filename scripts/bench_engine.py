#!/usr/bin/env python3
"""Engine benchmarks for scripts/bench.

engine: 200 generated migrations of realistic shape applied to a fresh
        database by predeploy, by `psql -1 -f` of the same SQL (the floor) and by
        dbmate; then a no-op `up` with nothing pending (predeploy vs dbmate);
        then 200 small migrations (bench_check's set: one statement each,
        cycles of ten per table) by `up` against psql with the same
        transactions, and by `up --single-transaction` against `psql -1`, all
        four in one hyperfine run, each run on a fresh database.
run:    `predeploy run -- /bin/true` with nothing pending vs `dbmate up` then
        /bin/true.
Wall times are medians: the 200-migration runs are timed from Python (each
on a fresh database, tools interleaved), the no-op and `run` with hyperfine
(60 runs after 5 warm-ups; the process alone, no harness overhead). Peak RSS
from /usr/bin/time -f %M. Both predeploy builds are measured when
build-static/predeploy exists (scripts/bench builds it); PREDEPLOY_BIN
measures one binary instead.
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


def hyperfine(cmds, env, cwd, runs=60, shell=False, prepare=None):
    """Median wall seconds of each command (a list of argv lists, or shell
    strings with shell=True), measured by hyperfine in one interleaved-free
    run each: warm-ups, then `runs` runs. Without a shell (-N) hyperfine
    times the process itself; with one it subtracts the shell's start-up.
    `prepare` (a shell command) runs before every run, untimed."""
    out = os.path.join(cwd, "hyperfine.json")
    argv = ["hyperfine", "--style", "none", "-w", "5", "-r", str(runs), "--export-json", out]
    if not shell:
        argv.append("-N")
    if prepare:
        argv += ["--prepare", prepare]
    for c in cmds:
        argv.append(c if shell else " ".join(c))
    r = subprocess.run(argv, env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    if r.returncode != 0:
        raise SystemExit("hyperfine failed: %s\n%s" % (" ".join(argv), r.stderr[-2000:]))
    with open(out) as f:
        return [x["median"] for x in json.load(f)["results"]]


def peak_rss(argv, env, cwd, runs=5):
    return max(timed(argv, env, cwd)[1] for _ in range(runs))


def fresh_db(info, name):
    pgserver.psql(info, "postgres", 'DROP DATABASE IF EXISTS "%s" WITH (FORCE)' % name)
    pgserver.psql(info, "postgres", 'CREATE DATABASE "%s"' % name)
    return pgserver.url(info, name)


def med(xs):
    return statistics.median(xs)


def binaries():
    """The predeploy builds to measure: (label, path)."""
    if os.environ.get("PREDEPLOY_BIN"):
        return [("predeploy", os.environ["PREDEPLOY_BIN"])]
    bins = []
    static = os.path.join(ROOT, "build-static", "predeploy")
    if os.path.exists(static):
        bins.append(("predeploy (static release)", static))
    bins.append(("predeploy (dynamic dev build)", os.path.join(ROOT, "build", "predeploy")))
    return bins


def clean_env():
    return {k: v for k, v in os.environ.items()
            if not (k.startswith("PG") or k.startswith("PREDEPLOY") or k == "DATABASE_URL")}


def bench_engine(info, work, reps):
    migdir = os.path.join(work, "db", "migrations")
    generate(migdir)
    # the floor with predeploy's transaction semantics: each migration in its
    # own transaction (psql sends each statement in its own round trip)
    with open(os.path.join(work, "db", "per_tx.sql"), "w") as f:
        for name in sorted(os.listdir(migdir)):
            with open(os.path.join(migdir, name)) as m:
                up = m.read().split("-- migrate:up\n", 1)[1].split("-- migrate:down", 1)[0]
            f.write("BEGIN;\n" + up + "COMMIT;\n")
    dbmate = dbmate_bin()
    psql = os.path.join(info["bindir"], "psql")
    bins = binaries()
    tools = [label for label, _ in bins] + ["psql -1", "psql per-tx", "dbmate"]
    res = {t: [] for t in tools}
    rss = {t: [] for t in tools}
    base = clean_env()
    for rep in range(reps):
        for i, tool in enumerate(tools):
            url = fresh_db(info, "bench_%d" % i)
            env = dict(base, DATABASE_URL=url)
            if i < len(bins):
                # the engine alone: lint gate on, backup off (psql and dbmate
                # take none); the backup is measured by scripts/bench backup
                argv = [bins[i][1], "up", "--dir", migdir, "--quiet", "--backup", "never"]
            elif tool == "psql -1":
                argv = [psql, "-X", "-q", "-1", "-v", "ON_ERROR_STOP=1", "-f", os.path.join(work, "db", "all.sql"), url]
            elif tool == "psql per-tx":
                argv = [psql, "-X", "-q", "-v", "ON_ERROR_STOP=1", "-f", os.path.join(work, "db", "per_tx.sql"), url]
            else:
                argv = [dbmate, "--no-dump-schema", "--migrations-dir", migdir, "up"]
                env["DATABASE_URL"] = url + "?sslmode=disable"
            w, m = timed(argv, env, work)
            res[tool].append(w)
            rss[tool].append(m)
    f, d = med(res["psql -1"]), med(res["dbmate"])
    print("### Engine: 200 migrations on a fresh database (median of %d)\n" % reps)
    print("| tool | wall | vs psql -1 floor | vs dbmate | peak RSS |")
    print("|---|---|---|---|---|")
    for t in tools:
        name = {"psql -1": "psql -1 -f (floor)", "psql per-tx": "psql -f, one transaction per migration",
                "dbmate": "dbmate up"}.get(t, t + " up")
        w = med(res[t])
        print("| %s | %.0f ms | %.2f× | %.2f× | %.1f MB |" % (name, w * 1000, w / f, w / d, max(rss[t]) / 1024))
    print()
    # no-op: everything applied already (the last rep's databases)
    env_d = dict(base, DATABASE_URL=pgserver.url(info, "bench_%d" % tools.index("dbmate")) + "?sslmode=disable")
    dn = hyperfine([[dbmate, "--no-dump-schema", "--migrations-dir", migdir, "up"]], env_d, work)[0]
    d_rss = peak_rss([dbmate, "--no-dump-schema", "--migrations-dir", migdir, "up"], env_d, work)
    print("### Engine: no-op `up`, nothing pending (hyperfine, median of 60)\n")
    print("| tool | wall | vs dbmate | peak RSS |")
    print("|---|---|---|---|")
    for i, (label, path) in enumerate(bins):
        env = dict(base, DATABASE_URL=pgserver.url(info, "bench_%d" % i))
        argv = [path, "up", "--dir", migdir, "--quiet"]
        w = hyperfine([argv], env, work)[0]
        print("| %s up | %.1f ms | %.2f× | %.1f MB |" % (label, w * 1000, w / dn, peak_rss(argv, env, work) / 1024))
    print("| dbmate up | %.1f ms | 1.00× | %.1f MB |" % (dn * 1000, d_rss / 1024))
    print()


def bench_small(info, work, runs):
    """200 small migrations: up vs psql with one transaction per migration,
    up --single-transaction vs psql -1; hyperfine (-N) with a --prepare that
    recreates the database before every run, the four interleaved in one
    invocation. Client user+sys from hyperfine."""
    import bench_check  # noqa: E402  (imports this module)
    d = os.path.join(work, "small")
    migdir = os.path.join(d, "migrations")
    bench_check.generate(migdir)
    ups = []
    for name in sorted(os.listdir(migdir)):
        with open(os.path.join(migdir, name)) as m:
            ups.append(m.read().split("-- migrate:up\n", 1)[1].split("-- migrate:down", 1)[0])
    with open(os.path.join(d, "all.sql"), "w") as f:
        f.write("".join(ups))
    with open(os.path.join(d, "per_tx.sql"), "w") as f:
        f.write("".join("BEGIN;\n" + u + "COMMIT;\n" for u in ups))
    psql = os.path.join(info["bindir"], "psql")
    prep = os.path.join(d, "fresh.sh")
    with open(prep, "w") as f:
        f.write("#!/bin/sh\nexec %s -X -q -h %s -p %d -U postgres -d postgres -c 'DROP DATABASE IF EXISTS "
                "bench_small WITH (FORCE)' -c 'CREATE DATABASE bench_small' >/dev/null 2>&1\n"
                % (psql, info["sockdir"], info["port"]))
    os.chmod(prep, 0o755)
    url = pgserver.url(info, "bench_small")
    label, binary = binaries()[0]
    cmds = [("psql -f, one transaction per migration (floor of up)",
             [psql, "-X", "-q", "-v", "ON_ERROR_STOP=1", "-f", os.path.join(d, "per_tx.sql"), url]),
            ("%s up" % label, [binary, "up", "--database-url", url, "--dir", migdir, "--quiet", "--backup", "never"]),
            ("psql -1 -f (floor of --single-transaction)",
             [psql, "-X", "-q", "-1", "-v", "ON_ERROR_STOP=1", "-f", os.path.join(d, "all.sql"), url]),
            ("%s up --single-transaction" % label, [binary, "up", "--database-url", url, "--dir", migdir, "--quiet",
                                                    "--backup", "never", "--single-transaction"])]
    out = os.path.join(work, "hyperfine-small.json")
    argv = ["hyperfine", "--style", "none", "-N", "-w", "3", "-r", str(runs), "--prepare", prep,
            "--export-json", out] + [" ".join(c) for _, c in cmds]
    r = subprocess.run(argv, env=clean_env(), cwd=work, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    if r.returncode != 0:
        raise SystemExit("hyperfine failed: %s" % r.stderr[-2000:])
    with open(out) as f:
        res = json.load(f)["results"]
    print("### Engine: 200 small migrations on a fresh database (hyperfine, median of %d)\n" % runs)
    print("| tool | wall | vs its floor | client user+sys |")
    print("|---|---|---|---|")
    for i, (name, _) in enumerate(cmds):
        floor = res[i - i % 2]["median"]
        print("| %s | %.0f ms | %.2f× | %.0f ms |" % (name, res[i]["median"] * 1000, res[i]["median"] / floor,
                                                    (res[i]["user"] + res[i]["system"]) * 1000))
    print()


def bench_run(info, work):
    migdir = os.path.join(work, "db", "migrations")
    if not os.path.isdir(migdir):
        generate(migdir)
    dbmate = dbmate_bin()
    base = clean_env()
    url_p = fresh_db(info, "bench_run_p")
    url_d = fresh_db(info, "bench_run_d")
    envp = dict(base, DATABASE_URL=url_p)
    envd = dict(base, DATABASE_URL=url_d + "?sslmode=disable")
    bins = binaries()
    subprocess.run([bins[0][1], "up", "--dir", migdir, "--quiet"], env=envp, check=True, stderr=subprocess.DEVNULL)
    subprocess.run([dbmate, "--no-dump-schema", "--migrations-dir", migdir, "up"], env=envd, check=True,
                   stdout=subprocess.DEVNULL)
    # the same shell-less measurement for both: hyperfine runs `sh -c` for
    # the dbmate chain and subtracts the shell's own start-up
    dn = hyperfine(["%s --no-dump-schema --migrations-dir %s up >/dev/null && /bin/true" % (dbmate, migdir)],
                   envd, work, shell=True)[0]
    print("### `run -- /bin/true` with nothing pending (hyperfine, median of 60)\n")
    print("| tool | wall | vs dbmate | peak RSS |")
    print("|---|---|---|---|")
    for label, path in bins:
        argv = [path, "run", "--dir", migdir, "--quiet", "--backup-dir", os.path.join(work, "backups"),
                "--", "/bin/true"]
        w = hyperfine([argv], envp, work)[0]
        print("| %s run -- /bin/true | %.1f ms | %.2f× | %.1f MB |" % (label, w * 1000, w / dn,
                                                                      peak_rss(argv, envp, work) / 1024))
    print("| dbmate up && /bin/true | %.1f ms | 1.00× | - |" % (dn * 1000))
    print()


def main():
    what = sys.argv[1] if len(sys.argv) > 1 else "engine"
    reps = int(os.environ.get("BENCH_REPS", "7"))
    work = tempfile.mkdtemp(prefix="predeploy-bench-")
    info = pgserver.start()
    try:
        print("PostgreSQL %s, %s, %d cores\n" % (info["version"], os.uname().machine, os.cpu_count()))
        if what == "engine":
            bench_engine(info, work, reps)
            bench_small(info, work, int(os.environ.get("BENCH_SMALL_RUNS", "20")))
        else:
            bench_run(info, work)
    finally:
        pgserver.stop(info)
        subprocess.run(["rm", "-rf", work])


if __name__ == "__main__":
    main()
