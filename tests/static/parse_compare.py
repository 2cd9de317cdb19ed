#!/usr/bin/env python3
"""The static build's libpg_query (Debian's glibc-built libpg_query.a linked
with musl and static/glibc_shims.c) must parse exactly as the glibc build does.

Usage: parse_compare.py MUSL_PG_QUERY_DUMP

Builds tests/static/pg_query_dump.c with the system compiler against glibc and
libpg-query-dev's libpg_query.a, runs both builds on tests/static/sql/*.sql and
tests/lint/*.sql (when there are any) and compares their output byte for byte:
JSON and protobuf parse trees, fingerprints, normalized queries, statement
splits, error messages, and a deeply nested expression parsed on a thread.
Prints "N passed, N failed" like the integration tests."""
import glob
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.dirname(os.path.dirname(HERE))


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: parse_compare.py MUSL_PG_QUERY_DUMP")
    musl = sys.argv[1]
    files = sorted(glob.glob(os.path.join(HERE, "sql", "*.sql")))
    files += sorted(glob.glob(os.path.join(SRC, "tests", "lint", "**", "*.sql"), recursive=True))
    passed = failed = 0
    with tempfile.TemporaryDirectory(prefix="predeploy-parse-") as tmp:
        glibc = os.path.join(tmp, "pg_query_dump")
        subprocess.run(["cc", "-O2", "-std=c11", "-Wall", "-Werror", "-o", glibc,
                        os.path.join(HERE, "pg_query_dump.c"), "-l:libpg_query.a", "-lpthread"],
                       check=True)
        out = {}
        for name, exe in (("glibc", glibc), ("musl", musl)):
            r = subprocess.run([exe] + files, capture_output=True, timeout=300)
            if r.returncode != 0:
                print("FAIL %s build exited %d\n%s" % (name, r.returncode, r.stderr.decode(errors="replace")))
                print("0 passed, 1 failed")
                sys.exit(1)
            out[name] = r.stdout
    # split per file so a difference names its file
    def sections(data):
        res = {}
        for chunk in data.split(b"\n== ")[0:]:
            head, _, body = chunk.partition(b"\n")
            res[head.lstrip(b"= ").decode()] = body
        return res
    g, m = sections(out["glibc"]), sections(out["musl"])
    if len(g) != len(files) + 3 or b"parse {" not in out["glibc"]:
        print("FAIL glibc output has %d sections for %d files" % (len(g), len(files)))
        failed += 1
    for name in g:
        if g[name] == m.get(name):
            passed += 1
            print("PASS %s (%d bytes)" % (name, len(g[name])))
        else:
            failed += 1
            print("FAIL %s: musl output differs" % name)
            gl, ml = g[name].split(b"\n"), m.get(name, b"").split(b"\n")
            for i, (a, b) in enumerate(zip(gl, ml)):
                if a != b:
                    print("  line %d\n  glibc: %r\n  musl:  %r" % (i + 1, a[:300], b[:300]))
                    break
    if out["glibc"] != out["musl"] and not failed:
        failed += 1
        print("FAIL outputs differ outside the per-file sections")
    print("%d passed, %d failed" % (passed, failed))
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
