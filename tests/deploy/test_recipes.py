#!/usr/bin/env python3
"""The deploy recipes in examples/deploy/ parse and say what docs/deploy.md
says they do: a quick check of their shape, with no container engine.  They
are built and run for real by tests/containers/run.py.

    test_recipes.py PREDEPLOY_BIN SOURCE_DIR
"""
import glob
import json
import os
import re
import subprocess
import sys

try:
    import yaml
except ImportError:
    sys.exit("python3-yaml is missing: run scripts/install-deps")

BIN, SRC = sys.argv[1], sys.argv[2]
D = os.path.join(SRC, "examples", "deploy")
failures = []


def check(cond, what):
    if not cond:
        failures.append(what)


def load(rel):
    with open(os.path.join(D, rel)) as f:
        docs = [d for d in yaml.safe_load_all(f) if d is not None]
    check(len(docs) == 1, "%s: expected one YAML document, got %d" % (rel, len(docs)))
    return docs[0]


def dockerfile(rel):
    """Instructions of a Dockerfile as (KEYWORD, argument) with continuations joined."""
    with open(os.path.join(D, rel)) as f:
        text = re.sub(r"\\\n", " ", f.read())
    out = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            kw, _, arg = line.partition(" ")
            out.append((kw.upper(), arg.strip()))
    return out


def last(instrs, kw):
    found = [a for k, a in instrs if k == kw]
    return found[-1] if found else None


# The exit codes predeploy documents, from the binary itself.
r = subprocess.run([BIN, "help", "exit-codes"], capture_output=True, text=True, timeout=30)
check(r.returncode == 0, "predeploy help exit-codes failed: %r" % r)
CODES = {int(m) for m in re.findall(r"^\s+(\d+)\s", r.stdout, re.M)}
check({10, 11, 13, 65, 75}.issubset(CODES), "exit codes not documented: %r" % CODES)

# Every YAML file parses.
for p in sorted(glob.glob(os.path.join(D, "**", "*.y*ml"), recursive=True)):
    try:
        with open(p) as f:
            check(any(d is not None for d in yaml.safe_load_all(f)), "%s is empty" % p)
    except yaml.YAMLError as e:
        failures.append("%s does not parse: %s" % (p, e))

# Where docker/Dockerfile's images hold the binary (its final stages copy it
# there): the examples must copy it from that path.
with open(os.path.join(SRC, "docker", "Dockerfile")) as f:
    image_paths = set(re.findall(r"^COPY --from=build /out/predeploy (\S+)$", f.read(), re.M))
check(image_paths == {"/predeploy"}, "docker/Dockerfile: the binary's path in the images: %r" % image_paths)
for rel in ("docker/Dockerfile", "dokploy/Dockerfile", "render/Dockerfile"):
    copies = [a.split() for k, a in dockerfile(rel) if k == "COPY" and a.startswith("--from=predeploy ")]
    check(len(copies) == 1 and copies[0][1:] == ["/predeploy", "/usr/local/bin/predeploy"],
          rel + ": COPY --from=predeploy /predeploy /usr/local/bin/predeploy (%r)" % copies)

# Dockerfile: the entrypoint replaces the shell chain, exec form everywhere.
for rel in ("docker/Dockerfile", "dokploy/Dockerfile"):
    ins = dockerfile(rel)
    check(json.loads(last(ins, "ENTRYPOINT")) == ["predeploy", "run", "--"], rel + ": ENTRYPOINT")
    cmd = json.loads(last(ins, "CMD"))
    check(isinstance(cmd, list) and cmd and "&&" not in cmd and cmd[0] != "sh", rel + ": CMD exec form")
hc = last(dockerfile("dokploy/Dockerfile"), "HEALTHCHECK")
check(hc is not None and re.search(r"--start-period=\d+[smh]", hc), "dokploy: HEALTHCHECK --start-period")
check(last(dockerfile("render/Dockerfile"), "ENTRYPOINT") is None,
      "render/Dockerfile must not use predeploy as its entrypoint")

# Render: the pre-deploy command, no disk on that service, no backup to lose.
rd = load("render/render.yaml")
svc = [s for s in rd["services"] if s.get("preDeployCommand")]
check(len(svc) == 1 and svc[0]["preDeployCommand"] == "predeploy run", "render: preDeployCommand")
check(svc and "disk" not in svc[0], "render: the pre-deploy instance has no disk")
env = {e["key"]: e for e in svc[0]["envVars"]} if svc else {}
check(env.get("PREDEPLOY_BACKUP_TO", {}).get("value", "").startswith("s3://"),
      "render: backups to object storage (no disk)")
check(env.get("AWS_SECRET_ACCESS_KEY", {}).get("sync") is False, "render: the S3 secret is not in the file")
check("fromDatabase" in env.get("DATABASE_URL", {}), "render: DATABASE_URL from the database")

# Kubernetes init container: predeploy without "--", the app alone after it.
dep = load("kubernetes/init-container.yaml")
check(dep["kind"] == "Deployment", "k8s init: a Deployment")
pod = dep["spec"]["template"]["spec"]
init = pod["initContainers"][0]
check(init["command"] == ["predeploy", "run"], "k8s init: command")
check("predeploy" not in json.dumps(pod["containers"][0].get("command", [])), "k8s init: app runs alone")

# Kubernetes Job: podFailurePolicy on predeploy's exit codes.
job = load("kubernetes/migrate-job.yaml")
check(job["kind"] == "Job", "k8s job: a Job")
spec = job["spec"]
check(spec["template"]["spec"]["restartPolicy"] == "Never", "k8s job: restartPolicy Never")
names = {c["name"] for c in spec["template"]["spec"]["containers"]}
fail, count = set(), set()
for rule in spec["podFailurePolicy"]["rules"]:
    oc = rule.get("onExitCodes")
    if not oc:
        continue
    vals = oc["values"]
    check(vals == sorted(set(vals)), "k8s job: exit code values sorted and unique")
    check(oc["operator"] == "In" and oc.get("containerName") in names, "k8s job: rule container")
    check(set(vals) <= CODES, "k8s job: undocumented exit codes %r" % (set(vals) - CODES))
    (fail if rule["action"] == "FailJob" else count).update(vals)
check({10, 11, 13, 65} <= fail, "k8s job: FailJob on 10, 11, 13, 65")
check(75 not in fail and 75 in count, "k8s job: 75 is retried")
check(69 not in fail, "k8s job: an unreachable database is retried")

# Dokploy / Swarm: start-first update, rollback on failure, bounded restarts.
st = load("dokploy/docker-compose.yml")["services"]["app"]
check(st["deploy"]["update_config"]["failure_action"] == "rollback", "dokploy: rollback")
check(st["deploy"]["update_config"]["order"] == "start-first", "dokploy: start-first")
check("start_period" in st["healthcheck"], "dokploy: healthcheck start_period")
check(st["deploy"]["restart_policy"].get("max_attempts"), "dokploy: bounded restarts")

# Compose: postgres with a healthcheck, the app waits for it.
cp = load("compose/docker-compose.yml")["services"]
check(cp["db"]["image"].startswith("postgres"), "compose: a postgres service")
check("pg_isready" in json.dumps(cp["db"]["healthcheck"]["test"]), "compose: db healthcheck")
check(cp["app"]["depends_on"]["db"]["condition"] == "service_healthy", "compose: waits for db")
check(cp["app"].get("restart") != "always", "compose: no endless restart loop")

# docs/deploy.md names every recipe.
with open(os.path.join(SRC, "docs", "deploy.md")) as f:
    doc = f.read()
for p in sorted(glob.glob(os.path.join(D, "*", "*"))):
    rel = os.path.relpath(p, SRC)
    check(rel in doc, "docs/deploy.md does not mention " + rel)

for f in failures:
    print("FAIL " + f)
print("%d checks failed" % len(failures))
sys.exit(1 if failures else 0)
