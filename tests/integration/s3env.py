"""A real S3-compatible server for the tests: s3rver (npm, installed by
scripts/install-deps into $PREDEPLOY_NPM_CACHE, default ~/.cache/predeploy-npm) on 127.0.0.1 in a
temporary directory, behind s3front.py, which verifies every request's
SigV4 signature with botocore and injects faults on request.  Objects are
read back with an independent client (boto3, Debian's python3-boto3) run by
/usr/bin/python3.

    s3 = S3()                          # starts both; s3.close() stops them
    env = s3.env()                     # AWS_* variables for predeploy
    s3.fault({"status": 500, "match": "partNumber=1", "times": 1})
    s3.client("list")                  # boto3: {"Key": size, ...}
"""
import base64
import json
import os
import shutil
import socket
import subprocess
import tempfile
import time

from pgserver import free_port

HERE = os.path.dirname(os.path.abspath(__file__))
NPM_CACHE = os.environ.get("PREDEPLOY_NPM_CACHE") or os.path.join(
    os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache"), "predeploy-npm")
S3RVER = os.path.join(NPM_CACHE, "s3rver-3.7.1", "node_modules", ".bin", "s3rver")
SYSPY = "/usr/bin/python3"
BUCKET = "predeploy-it"
ACCESS_KEY = "S3RVER"                          # s3rver's account
SECRET_KEY = "predeploy-test-secret-Kx7wq"     # only the front knows it
LEAK_MARK = "Kx7wq"


def wait_port(port, proc, what, timeout=30.0):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            raise AssertionError("%s exited with %s" % (what, proc.returncode))
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise AssertionError("%s did not listen on %d" % (what, port))


def available():
    return os.path.exists(S3RVER) and subprocess.run(
        [SYSPY, "-c", "import botocore, boto3"], capture_output=True).returncode == 0


CLIENT = r'''
import base64, json, sys, boto3
from botocore.config import Config
port, bucket = int(sys.argv[1]), sys.argv[2]
c = boto3.client("s3", endpoint_url="http://127.0.0.1:%d" % port, region_name="us-east-1",
                 aws_access_key_id="S3RVER", aws_secret_access_key="S3RVER",
                 config=Config(s3={"addressing_style": "path"}))
# one request per line ({"op", "args", "input": base64}), one answer per line
for line in sys.stdin:
    req = json.loads(line)
    op, args = req["op"], req["args"]
    try:
        if op == "list":
            out = {}
            for page in c.get_paginator("list_objects_v2").paginate(Bucket=bucket):
                for o in page.get("Contents", []):
                    out[o["Key"]] = o["Size"]
        elif op == "uploads":
            r = c.list_multipart_uploads(Bucket=bucket)
            out = [u["Key"] for u in r.get("Uploads", [])]
        elif op == "get":
            out = base64.b64encode(c.get_object(Bucket=bucket, Key=args[0])["Body"].read()).decode()
        elif op == "put":
            c.put_object(Bucket=bucket, Key=args[0], Body=base64.b64decode(req["input"]))
            out = None
        elif op == "start-upload":
            out = c.create_multipart_upload(Bucket=bucket, Key=args[0])["UploadId"]
        else:
            raise ValueError("unknown op %r" % op)
        ans = {"ok": True, "out": out}
    except Exception as e:
        ans = {"ok": False, "error": "%s: %s" % (type(e).__name__, e)}
    sys.stdout.write(json.dumps(ans) + "\n")
    sys.stdout.flush()
'''


class S3:
    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="predeploy-s3-")
        self.boto = None
        self.data = os.path.join(self.dir, "data")
        os.makedirs(self.data)
        self.control = os.path.join(self.dir, "control.json")
        self.log = os.path.join(self.dir, "requests.log")
        self.fault({})
        open(self.log, "w").close()
        self.s3rver_port, self.port = free_port(), free_port()
        self.s3rver = subprocess.Popen(
            [S3RVER, "-d", self.data, "-a", "127.0.0.1", "-p", str(self.s3rver_port), "--silent",
             "--configure-bucket", BUCKET], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.front = subprocess.Popen(
            [SYSPY, os.path.join(HERE, "s3front.py"), str(self.port), str(self.s3rver_port), SECRET_KEY,
             self.control, self.log, self.data], stdout=subprocess.DEVNULL, stderr=open(os.path.join(self.dir, "front.err"), "w"))
        try:
            wait_port(self.s3rver_port, self.s3rver, "s3rver")
            wait_port(self.port, self.front, "the verifying front")
        except Exception:
            self.close()
            raise

    def env(self, **over):
        e = {"AWS_ACCESS_KEY_ID": ACCESS_KEY, "AWS_SECRET_ACCESS_KEY": SECRET_KEY,
             "AWS_ENDPOINT_URL_S3": "http://127.0.0.1:%d" % self.port, "AWS_REGION": "us-east-1",
             "PREDEPLOY_S3_PATH_STYLE": "1"}
        e.update(over)
        return e

    def url(self, prefix="backups"):
        return "s3://%s/%s" % (BUCKET, prefix)

    def fault(self, spec):
        with open(self.control + ".tmp", "w") as f:
            json.dump(spec, f)
        os.replace(self.control + ".tmp", self.control)

    def requests(self):
        with open(self.log) as f:
            return f.read().splitlines()

    def storage_headers(self):
        """Lines of the front's LOG.headers (server-side encryption and
        storage class headers of each request that had any)."""
        try:
            with open(self.log + ".headers") as f:
                return f.read().splitlines()
        except FileNotFoundError:
            return []

    def uploads(self):
        """Keys of unfinished multipart uploads, from s3rver's own records."""
        d = os.path.join(self.data, BUCKET, "._S3rver_uploads")
        out = []
        for u in sorted(os.listdir(d)) if os.path.isdir(d) else []:
            with open(os.path.join(d, u, "key")) as f:
                out.append(f.read())
        return out

    def client(self, op, *args, input=None):
        """boto3 straight to s3rver (not through the front), in one
        /usr/bin/python3 process kept for this server (importing boto3
        costs more than most requests)."""
        if self.boto is None:
            self.boto = subprocess.Popen([SYSPY, "-c", CLIENT, str(self.s3rver_port), BUCKET],
                                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        req = {"op": op, "args": list(args),
               "input": base64.b64encode(input).decode() if input is not None else None}
        self.boto.stdin.write(json.dumps(req) + "\n")
        self.boto.stdin.flush()
        line = self.boto.stdout.readline()
        if not line:
            raise AssertionError("boto3 %s: the client process ended (exit %s)" % (op, self.boto.wait()))
        ans = json.loads(line)
        if not ans["ok"]:
            raise AssertionError("boto3 %s failed: %s" % (op, ans["error"]))
        return base64.b64decode(ans["out"]) if op == "get" else ans["out"]

    def close(self):
        if self.boto is not None:
            self.boto.stdin.close()
            self.boto.wait(timeout=30)
            self.boto = None
        for p in (self.front, self.s3rver):
            if p and p.poll() is None:
                p.terminate()
                try:
                    p.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait()
        shutil.rmtree(self.dir, ignore_errors=True)
