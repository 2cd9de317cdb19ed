#!/usr/bin/env python3
"""`predeploy check` benchmark for scripts/bench: 200 small migrations with
down sections (cycles of ten per table: create table, add column, add check,
create index, add foreign key, add unique, backfill, comment, create view,
add column with default), each round-tripped by `check` (snapshot, up, down,
snapshot, up) against `up` alone on a fresh database. Medians of BENCH_REPS
runs (default 5), tools interleaved, each run on a fresh database.

Also measured, for the floor of any check without snapshots: `up` again
with nothing pending (connection, tracking tables, lint: the fixed part of
`up`) and `check` of an empty directory (the scratch database created and
dropped). A check runs every migration three times (up, down, up again),
so before any snapshot it costs at least
    check(empty) + 3 * (up - up(nothing pending))."""
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench_engine as be  # noqa: E402
import pgserver  # noqa: E402


def generate(dirpath, n=200):
    os.makedirs(dirpath, exist_ok=True)
    for i in range(n):
        t = "t%02d" % (i // 10)
        k = i % 10
        prev = "t%02d" % (i // 10 - 1)
        up, down = {
            0: ("CREATE TABLE %s (id bigint PRIMARY KEY, name text NOT NULL, ref bigint);" % t,
                "DROP TABLE %s;" % t),
            1: ("ALTER TABLE %s ADD COLUMN email text;" % t, "ALTER TABLE %s DROP COLUMN email;" % t),
            2: ("ALTER TABLE %s ADD CONSTRAINT %s_name_len CHECK (length(name) < 200) NOT VALID;" % (t, t),
                "ALTER TABLE %s DROP CONSTRAINT %s_name_len;" % (t, t)),
            3: ("CREATE INDEX %s_name_idx ON %s (name);" % (t, t), "DROP INDEX %s_name_idx;" % t),
            4: (("ALTER TABLE %s ADD CONSTRAINT %s_ref_fk FOREIGN KEY (ref) REFERENCES %s (id) NOT VALID;"
                 % (t, t, prev)) if i >= 10 else "ALTER TABLE %s ADD COLUMN note text;" % t,
                ("ALTER TABLE %s DROP CONSTRAINT %s_ref_fk;" % (t, t)) if i >= 10
                else "ALTER TABLE %s DROP COLUMN note;" % t),
            5: ("ALTER TABLE %s ADD CONSTRAINT %s_email_key UNIQUE (email);" % (t, t),
                "ALTER TABLE %s DROP CONSTRAINT %s_email_key;" % (t, t)),
            6: ("UPDATE %s SET email = name || '@example.invalid' WHERE email IS NULL;" % t, "SELECT 1;"),
            7: ("COMMENT ON TABLE %s IS 'table %s';" % (t, t), "COMMENT ON TABLE %s IS NULL;" % t),
            8: ("CREATE VIEW %s_v AS SELECT id, name FROM %s;" % (t, t), "DROP VIEW %s_v;" % t),
            9: ("ALTER TABLE %s ADD COLUMN score int NOT NULL DEFAULT 0;" % t,
                "ALTER TABLE %s DROP COLUMN score;" % t),
        }[k]
        with open(os.path.join(dirpath, "%04d_m%d.sql" % (i + 1, i + 1)), "w") as f:
            f.write("-- migrate:up\n%s\n-- migrate:down\n%s\n" % (up, down))


def main():
    reps = int(os.environ.get("BENCH_REPS", "5"))
    work = tempfile.mkdtemp(prefix="predeploy-bench-check-")
    info = pgserver.start()
    try:
        print("PostgreSQL %s, %s, %d cores\n" % (info["version"], os.uname().machine, os.cpu_count()))
        generate(os.path.join(work, "migrations"))
        env = be.clean_env()
        print("### check: 200 small migrations round-tripped (median of %d)\n" % reps)
        print("| build | up (fresh database) | check (up, down, up + snapshots) | check / up "
              "| up, nothing pending | check, no migrations | floor without snapshots |")
        print("|---|---|---|---|---|---|---|")
        empty = os.path.join(work, "empty")
        os.makedirs(os.path.join(empty, "migrations"))
        for label, binary in be.binaries():
            ups, checks, noops, empties = [], [], [], []
            for i in range(reps):
                env["DATABASE_URL"] = be.fresh_db(info, "bench_up")
                ups.append(be.timed([binary, "up", "--quiet"], env, work)[0])
                noops.append(be.timed([binary, "up", "--quiet"], env, work)[0])
                env["DATABASE_URL"] = be.fresh_db(info, "bench_check")
                checks.append(be.timed([binary, "check", "--quiet"], env, work)[0])
                empties.append(be.timed([binary, "check", "--quiet"], env, empty)[0])
            u, c, n, e = be.med(ups), be.med(checks), be.med(noops), be.med(empties)
            floor = e + 3 * (u - n)
            print("| %s | %.0f ms | %.0f ms | %.2f× | %.0f ms | %.0f ms | %.0f ms (%.2f× up) |"
                  % (label, u * 1000, c * 1000, c / u, n * 1000, e * 1000, floor * 1000, floor / u))
        print()
    finally:
        pgserver.stop(info)
        subprocess.run(["rm", "-rf", work])


if __name__ == "__main__":
    main()
