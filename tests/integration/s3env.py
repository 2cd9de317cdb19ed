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
import json, sys, boto3
from botocore.config import Config
port, bucket, op = int(sys.argv[1]), sys.argv[2], sys.argv[3]
c = boto3.client("s3", endpoint_url="http://127.0.0.1:%d" % port, region_name="us-east-1",
                 aws_access_key_id="S3RVER", aws_secret_access_key="S3RVER",
                 config=Config(s3={"addressing_style": "path"}))
if op == "list":
    out = {}
    for page in c.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        for o in page.get("Contents", []):
            out[o["Key"]] = o["Size"]
    print(json.dumps(out))
elif op == "uploads":
    r = c.list_multipart_uploads(Bucket=bucket)
    print(json.dumps([u["Key"] for u in r.get("Uploads", [])]))
elif op == "get":
    sys.stdout.buffer.write(c.get_object(Bucket=bucket, Key=sys.argv[4])["Body"].read())
elif op == "put":
    c.put_object(Bucket=bucket, Key=sys.argv[4], Body=sys.stdin.buffer.read())
elif op == "start-upload":
    print(c.create_multipart_upload(Bucket=bucket, Key=sys.argv[4])["UploadId"])
'''


class S3:
    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="predeploy-s3-")
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
        """boto3 straight to s3rver (not through the front)."""
        r = subprocess.run([SYSPY, "-c", CLIENT, str(self.s3rver_port), BUCKET, op] + list(args),
                           capture_output=True, input=input, timeout=60)
        if r.returncode != 0:
            raise AssertionError("boto3 %s failed: %s" % (op, r.stderr.decode(errors="replace")))
        return r.stdout if op == "get" else json.loads(r.stdout or b"null") if op != "start-upload" \
            else r.stdout.decode().strip()

    def close(self):
        for p in (self.front, self.s3rver):
            if p and p.poll() is None:
                p.terminate()
                try:
                    p.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait()
        shutil.rmtree(self.dir, ignore_errors=True)
