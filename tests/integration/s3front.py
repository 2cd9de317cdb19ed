"""A verifying front for s3rver (which checks the access key id but not
SigV4 signatures): every request's signature is recomputed with botocore's
own signer (S3SigV4Auth) from the secret key given here; a mismatch is
answered 403 SignatureDoesNotMatch, a payload whose SHA-256 differs from
x-amz-content-sha256 (unless UNSIGNED-PAYLOAD) 400 XAmzContentSHA256Mismatch.
Good requests are forwarded to s3rver.  Loopback only.

Faults, read from the JSON control file before each request:
  {"deny": 1}                           every request: 403 AccessDenied
  {"status": 500, "match": "partNumber=2", "times": 1}
                                        the first `times` matching requests get `status`
  {"drop": "partNumber=3", "times": 9}  matching requests: read half the body, close
Each request is appended to the log file: "METHOD PATH?QUERY -> STATUS";
a request carrying x-amz-server-side-encryption* or x-amz-storage-class
headers also to LOG.headers: "METHOD PATH?QUERY NAME=VALUE[ signed] ..."
(signed: in the signature's SignedHeaders).

s3rver 3.7.1 implements neither ListMultipartUploads nor
AbortMultipartUpload; the front answers both (after verifying the
signature) from s3rver's own record of unfinished uploads on disk
(DATA/BUCKET/._S3rver_uploads/<UploadId>/key): listing reads it, abort
removes the upload's directory and its parts.

Run with Debian's python3 (python3-botocore):
  /usr/bin/python3 s3front.py PORT UPSTREAM_PORT SECRET CONTROL LOG DATA
"""
import hashlib
import http.client
import http.server
import json
import os
import re
import shutil
import urllib.parse
from xml.sax.saxutils import escape
import socketserver
import sys
import threading

from botocore.auth import S3SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.compat import HTTPHeaders
from botocore.credentials import Credentials

PORT, UPSTREAM, SECRET, CONTROL, LOG, DATA = (int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4],
                                              sys.argv[5], sys.argv[6])
lock = threading.Lock()
hits = {}
AUTH_RE = re.compile(r"AWS4-HMAC-SHA256 Credential=([^/]+)/(\d{8})/([^/]+)/s3/aws4_request, ?"
                     r"SignedHeaders=([^,]+), ?Signature=([0-9a-f]{64})$")


class Signer(S3SigV4Auth):
    """botocore's S3 signer over exactly the headers the client says it
    signed (a server verifies against SignedHeaders; botocore's own
    client-side list leaves out headers such as Expect)."""

    def __init__(self, creds, region, signed):
        super().__init__(creds, "s3", region)
        self.signed = signed

    def headers_to_sign(self, request):
        h = HTTPHeaders()
        for name in self.signed:
            h[name] = request.headers.get(name, "")
        return h


def control():
    try:
        with open(CONTROL) as f:
            return json.load(f)
    except (OSError, ValueError):
        return {}


def log(line):
    with lock, open(LOG, "a") as f:
        f.write(line + "\n")


def uploads_dir(bucket):
    return os.path.join(DATA, bucket, "._S3rver_uploads")


def unfinished(bucket):
    """{upload_id: key} of s3rver's unfinished multipart uploads."""
    out = {}
    d = uploads_dir(bucket)
    for u in sorted(os.listdir(d)) if os.path.isdir(d) else []:
        try:
            with open(os.path.join(d, u, "key")) as f:
                out[u] = f.read()
        except OSError:
            pass
    return out


def multipart_extras(method, path):
    """(status, body) for the two calls s3rver lacks, else None."""
    u = urllib.parse.urlsplit(path)
    q = urllib.parse.parse_qs(u.query, keep_blank_values=True)
    parts = u.path.lstrip("/").split("/", 1)
    bucket = urllib.parse.unquote(parts[0])
    if method == "GET" and (len(parts) == 1 or not parts[1]):
        if "uploads" in q:
            prefix = q.get("prefix", [""])[0]
            items = "".join("<Upload><Key>%s</Key><UploadId>%s</UploadId></Upload>" % (escape(k), u)
                            for u, k in unfinished(bucket).items() if k.startswith(prefix))
            return 200, ("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ListMultipartUploadsResult><Bucket>%s"
                         "</Bucket><IsTruncated>false</IsTruncated>%s</ListMultipartUploadsResult>"
                         % (escape(bucket), items)).encode()
    if method == "DELETE" and len(parts) == 2 and "uploadId" in q:
        uid = q["uploadId"][0]
        if not re.fullmatch(r"[0-9a-f]+", uid) or uid not in unfinished(bucket):
            return 404, error_xml("NoSuchUpload", "The specified upload does not exist")
        shutil.rmtree(os.path.join(uploads_dir(bucket), uid))
        return 204, b""
    return None


def error_xml(code, msg):
    return ("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>%s</Code><Message>%s</Message>"
            "</Error>" % (code, msg)).encode()


def verify(method, path, headers, body):
    """None when the request is correctly signed, else (status, code, message)."""
    m = AUTH_RE.match(headers.get("authorization", ""))
    if not m:
        return 403, "AccessDenied", "missing or malformed SigV4 Authorization header"
    akid, day, region, signed, sig = m.groups()
    signed_list = signed.split(";")
    for need in ("host", "x-amz-date", "x-amz-content-sha256"):
        if need not in signed_list:
            return 403, "AccessDenied", "%s is not signed" % need
    if "x-amz-security-token" in headers and "x-amz-security-token" not in signed_list:
        return 403, "AccessDenied", "x-amz-security-token is not signed"
    req = AWSRequest(method=method, url="http://%s%s" % (headers["host"], path),
                     headers={h: headers.get(h, "") for h in signed_list}, data=body)
    req.context["timestamp"] = headers.get("x-amz-date", "")
    if req.context["timestamp"][:8] != day:
        return 403, "AccessDenied", "credential scope date differs from x-amz-date"
    for h in signed_list:
        if h not in headers:
            return 403, "AccessDenied", "signed header %s is not in the request" % h
    auth = Signer(Credentials(akid, SECRET), region, signed_list)
    want = auth.signature(auth.string_to_sign(req, auth.canonical_request(req)), req)
    if want != sig:
        sys.stderr.write("mismatch: %s %s\nheaders: %r\ncanonical request:\n%s\n" % (
            method, path, headers, auth.canonical_request(req)))
        sys.stderr.flush()
        return 403, "SignatureDoesNotMatch", "The request signature we calculated does not match"
    h = headers.get("x-amz-content-sha256", "")
    if h != "UNSIGNED-PAYLOAD" and h != hashlib.sha256(body).hexdigest():
        return 400, "XAmzContentSHA256Mismatch", "payload hash differs from x-amz-content-sha256"
    return None


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def reply(self, status, body, headers=(), length=None):
        self.send_response(status)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body) if length is None else length))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)
        log("%s %s -> %d" % (self.command, self.path, status))

    def handle_any(self):
        headers = {k.lower(): v for k, v in self.headers.items()}
        n = int(headers.get("content-length", "0") or 0)
        c = control()
        drop = c.get("drop")
        if drop and drop in self.path and hits.get("drop", 0) < c.get("times", 1):
            hits["drop"] = hits.get("drop", 0) + 1
            self.rfile.read(n // 2)
            log("%s %s -> dropped" % (self.command, self.path))
            self.close_connection = True
            self.connection.shutdown(2)
            return
        body = self.rfile.read(n) if n else b""
        if c.get("deny"):
            return self.reply(403, error_xml("AccessDenied", "Access Denied"))
        st = c.get("status")
        if st and c.get("match", "") in self.path and hits.get("status", 0) < c.get("times", 1):
            hits["status"] = hits.get("status", 0) + 1
            return self.reply(st, error_xml("InternalError" if st >= 500 else "SlowDown", "injected"))
        bad = verify(self.command, self.path, headers, body)
        self.log_storage_headers(headers)
        if bad:
            return self.reply(bad[0], error_xml(bad[1], bad[2]))
        extra = multipart_extras(self.command, self.path)
        if extra:
            return self.reply(extra[0], extra[1])
        up = http.client.HTTPConnection("127.0.0.1", UPSTREAM, timeout=60)
        fwd = {k: v for k, v in self.headers.items() if k.lower() not in ("connection", "expect")}
        up.request(self.command, self.path, body=body if n else None, headers=fwd)
        r = up.getresponse()
        data = r.read()
        hdrs = [(k, v) for k, v in r.getheaders()
                if k.lower() not in ("content-length", "connection", "transfer-encoding")]
        length = r.getheader("content-length") if self.command == "HEAD" else None
        up.close()
        self.reply(r.status, data, hdrs, length)

    def log_storage_headers(self, headers):
        m = AUTH_RE.match(headers.get("authorization", ""))
        signed = m.group(4).split(";") if m else []
        got = ["%s=%s%s" % (k, v, " signed" if k in signed else "") for k, v in sorted(headers.items())
               if k.startswith("x-amz-server-side-encryption") or k == "x-amz-storage-class"]
        if got:
            with lock, open(LOG + ".headers", "a") as f:
                f.write("%s %s %s\n" % (self.command, self.path, " ".join(got)))

    do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = handle_any

    def send_head_body(self):
        pass


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True


if __name__ == "__main__":
    Server(("127.0.0.1", PORT), Handler).serve_forever()
