#!/usr/bin/env python3
"""Golden lint cases: tests/lint/<rule>-<case>.sql beside <rule>-<case>.expected.

Each case is linted on its own with `predeploy lint --format json FILE` (plus
the arguments of an optional first line `-- golden-args: ...`), without any
database.  The expected file holds the exit code and one line per finding:

    exit 10
    2:1 error drop_column blocking
    1:1 warning missing_lock_timeout

(`line:col severity rule` and the flags acknowledged / protected / forced /
blocking when set).  Messages are not compared; they are checked by the
integration tests.  Usage:

    run_golden.py PREDEPLOY_BIN CASE_DIR [--update] [NAME...]
"""
import json
import os
import subprocess
import sys


def render(code, findings):
    lines = ["exit %d" % code]
    for f in findings:
        flags = [k for k in ("acknowledged", "protected", "forced", "blocking") if f.get(k)]
        lines.append(" ".join(["%d:%d" % (f["line"], f["column"]), f["severity"], f["rule"]] + flags))
    return "\n".join(lines) + "\n"


def run_case(binary, path):
    args = []
    with open(path, encoding="utf-8", errors="replace") as fh:
        first = fh.readline()
    if first.startswith("-- golden-args:"):
        args = first[len("-- golden-args:"):].split()
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("PREDEPLOY_") and not k.startswith("PG") and k != "DATABASE_URL"}
    r = subprocess.run([binary, "lint", "--format", "json"] + args + [os.path.basename(path)],
                       cwd=os.path.dirname(path), env=env, capture_output=True, text=True, timeout=120)
    if r.returncode not in (0, 10):
        raise AssertionError("exit %d\n%s" % (r.returncode, r.stderr))
    findings = json.loads(r.stdout)
    for f in findings:
        if not f["message"] or not f["help"] or f["docs"] != "docs/rules.md#" + f["rule"]:
            raise AssertionError("incomplete finding %r" % f)
    return render(r.returncode, findings)


def main():
    argv = [a for a in sys.argv[1:] if a != "--update"]
    update = "--update" in sys.argv
    binary, case_dir, only = os.path.abspath(argv[0]), os.path.abspath(argv[1]), argv[2:]
    names = sorted(f[:-4] for f in os.listdir(case_dir) if f.endswith(".sql"))
    passed = failed = 0
    for name in names:
        if only and name not in only:
            continue
        sql = os.path.join(case_dir, name + ".sql")
        exp = os.path.join(case_dir, name + ".expected")
        try:
            got = run_case(binary, sql)
            if update:
                with open(exp, "w") as fh:
                    fh.write(got)
            with open(exp) as fh:
                want = fh.read()
            if got != want:
                raise AssertionError("--- expected\n%s--- got\n%s" % (want, got))
            passed += 1
        except Exception as ex:  # noqa: BLE001 - report every case
            failed += 1
            print("FAIL %s\n%s" % (name, ex))
    # Every rule needs a case that fires and one that does not.
    rules = json.loads(subprocess.run([binary, "lint", "--format", "json", "/dev/null"],
                                      capture_output=True, text=True).stdout or "[]")
    del rules
    print("%d passed, %d failed" % (passed, failed))
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
