#!/usr/bin/env python3
"""A reverse proxy that checks AWS Signature Version 4 the way Amazon S3 does, then forwards
the request, without its credentials, to an S3 emulator that checks nothing (s3rver).

Why: s3rver accepts any secret, and anonymous requests. cairn's S3 client must be tested
against a server that refuses a wrong signature, so scripts/services/s3.sh puts this in
front of s3rver. Python 3 standard library only.

What is checked, per request:
  * Authorization: AWS4-HMAC-SHA256 Credential=KEY/DATE/REGION/s3/aws4_request,
    SignedHeaders=..., Signature=...  (header auth), or the X-Amz-* query parameters of a
    presigned URL. Anything else (anonymous, SigV2) is refused: 403 AccessDenied.
  * the access key (403 InvalidAccessKeyId), the credential scope (date, region, service),
    x-amz-date within 15 minutes of now (403 RequestTimeTooSkewed), a presigned URL's expiry.
  * host and every x-amz-* header present must be signed (403 AccessDenied).
  * the signature itself, recomputed from the request as received (403
    SignatureDoesNotMatch; the error carries the CanonicalRequest and StringToSign we used).
  * header auth needs x-amz-content-sha256 (400 InvalidRequest when missing). A hex value
    must equal the SHA-256 of the body (400 XAmzContentSHA256Mismatch); UNSIGNED-PAYLOAD is
    accepted; STREAMING-AWS4-HMAC-SHA256-PAYLOAD (aws-chunked uploads, which minio-go and so
    restic use over plain http) has every chunk's signature checked against the chain seeded
    by the request's signature, and goes on decoded (s3rver would store the framing); other
    STREAMING-* forms are not supported here (501 NotImplemented).
Canonical forms follow S3: the path is decoded once and re-encoded with only A-Z a-z 0-9
- _ . ~ (and /) left as is; query names and values likewise, sorted by name then value,
a parameter without a value signed as "name="; header values trimmed, inner runs of spaces
folded into one.

Optional extras for tests (neither changes what is checked):
  * --header-log FILE: one JSON line per request whose signature passed, with its method,
    path, query and headers (names lower-cased; Authorization and the security token left
    out), so a test can see headers s3rver ignores (Object Lock, storage class, Content-MD5).
  * --data-dir DIR (s3rver's --directory): ListMultipartUploads (GET /bucket?uploads) and
    AbortMultipartUpload (DELETE /bucket/key?uploadId=ID), which s3rver lacks (501 and 405),
    answered here from and on s3rver's own store of unfinished uploads
    (DIR/<bucket>/._S3rver_uploads/<id>/). Only what cairn uses: prefix filtering, one page.

Usage: s3_sigv4_proxy.py --listen 127.0.0.1:19000 --upstream 127.0.0.1:19001
           --access-key KEY --secret-key SECRET [--region us-east-1] [--tmpdir DIR]
           [--header-log FILE] [--data-dir DIR]
"""

import argparse
import calendar
import hashlib
import hmac
import http.client
import http.server
import json
import os
import shutil
import threading
import re
import socketserver
import sys
import tempfile
import time
import uuid
from urllib.parse import unquote_to_bytes
from xml.sax.saxutils import escape

ALGORITHM = "AWS4-HMAC-SHA256"
STREAMING = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"
MAX_SKEW_SECONDS = 15 * 60
MAX_PRESIGN_SECONDS = 7 * 24 * 3600
SAFE_BYTES = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.~")
PRESIGN_PARAMS = ("X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Date", "X-Amz-Expires",
                  "X-Amz-SignedHeaders", "X-Amz-Signature", "X-Amz-Security-Token")
# not forwarded in either direction: connection-level headers, and our credentials
NOT_FORWARDED = frozenset(["connection", "keep-alive", "proxy-connection", "te", "trailer",
                           "transfer-encoding", "upgrade", "expect", "content-length",
                           "authorization", "x-amz-security-token"])
COPY_CHUNK = 1 << 20


def aws_quote(raw: bytes, keep_slash: bool) -> str:
    """RFC 3986 percent-encoding as SigV4 wants it (upper-case hex)."""
    out = []
    for byte in raw:
        if byte in SAFE_BYTES or (keep_slash and byte == 0x2F):
            out.append(chr(byte))
        else:
            out.append("%%%02X" % byte)
    return "".join(out)


def split_query(raw_query: str):
    """[(name, value, raw_piece)], names and values percent-decoded once."""
    params = []
    for piece in raw_query.split("&"):
        if piece:
            name, _, value = piece.partition("=")
            params.append((unquote_to_bytes(name), unquote_to_bytes(value), piece))
    return params


def canonical_query(params, leave_out=()):
    pairs = sorted((aws_quote(n, False), aws_quote(v, False))
                   for n, v, _ in params if n.decode("utf-8", "replace") not in leave_out)
    return "&".join("%s=%s" % pair for pair in pairs)


def fold_spaces(value: str) -> str:
    return re.sub(r"\s+", " ", value.strip())


def hmac_sha256(key: bytes, text: str) -> bytes:
    return hmac.new(key, text.encode("utf-8"), hashlib.sha256).digest()


def signing_key(secret: str, day: str, region: str, service: str) -> bytes:
    key = hmac_sha256(("AWS4" + secret).encode("utf-8"), day)
    key = hmac_sha256(key, region)
    key = hmac_sha256(key, service)
    return hmac_sha256(key, "aws4_request")


def parse_amz_date(text: str):
    """Seconds since the epoch for 20240102T030405Z, or None."""
    try:
        return calendar.timegm(time.strptime(text, "%Y%m%dT%H%M%SZ"))
    except (TypeError, ValueError):
        return None


def sign_request(method, raw_path, params, header_values, signed, payload_hash, amz_date,
                 scope, secret, leave_out=()):
    """(canonical request, string to sign, hex signature) for a request as received.
    header_values(name) gives the list of values of a header (None when absent); scope is
    [day, region, service, "aws4_request"]."""
    lines = []
    for name in signed:
        values = header_values(name)
        if values is None:
            raise Refusal(403, "AccessDenied", "signed header '%s' is not in the request" % name)
        lines.append("%s:%s\n" % (name, ",".join(fold_spaces(v) for v in values)))
    canonical_request = "\n".join([
        method,
        aws_quote(unquote_to_bytes(raw_path), True),
        canonical_query(params, leave_out),
        "".join(lines),
        ";".join(signed),
        payload_hash,
    ])
    string_to_sign = "\n".join([
        ALGORITHM, amz_date, "/".join(scope),
        hashlib.sha256(canonical_request.encode("utf-8")).hexdigest(),
    ])
    key = signing_key(secret, scope[0], scope[1], scope[2])
    signature = hmac.new(key, string_to_sign.encode("utf-8"), hashlib.sha256).hexdigest()
    return canonical_request, string_to_sign, signature


class Refusal(Exception):
    """An S3-style error answer."""

    def __init__(self, status, code, message, **details):
        super().__init__(message)
        self.status, self.code, self.message, self.details = status, code, message, details


class ProxyHandler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "cairn-sigv4-proxy"
    config = None  # argparse.Namespace, set in main()

    # every method S3 knows goes through the same path
    def do_GET(self):
        self.handle_s3()

    do_PUT = do_POST = do_DELETE = do_HEAD = do_OPTIONS = do_GET

    def log_message(self, fmt, *args):
        sys.stderr.write("%s %s\n" % (time.strftime("%H:%M:%S"), fmt % args))

    # ---- request body ------------------------------------------------------------------
    def read_body(self):
        """The body, spooled (memory, then a temp file), and its SHA-256 hex digest."""
        spool = tempfile.SpooledTemporaryFile(max_size=8 << 20, dir=self.config.tmpdir)
        digest = hashlib.sha256()

        def take(n):
            while n > 0:
                block = self.rfile.read(min(n, COPY_CHUNK))
                if not block:
                    raise Refusal(400, "IncompleteBody", "the request body ended early")
                digest.update(block)
                spool.write(block)
                n -= len(block)

        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            while True:
                size_line = self.rfile.readline(1024)
                try:
                    size = int(size_line.split(b";")[0].strip(), 16)
                except ValueError:
                    raise Refusal(400, "InvalidRequest", "bad chunk size line in the request body")
                if size == 0:
                    while self.rfile.readline(8192).strip():  # trailer fields, then CRLF
                        pass
                    break
                take(size)
                self.rfile.readline(8)
        else:
            length = self.headers.get("Content-Length")
            if length:
                try:
                    take(int(length))
                except ValueError:
                    raise Refusal(400, "InvalidRequest", "bad Content-Length")
        size = spool.tell()
        spool.seek(0)
        return spool, size, digest.hexdigest()

    # ---- SigV4 -------------------------------------------------------------------------
    def check_signature(self, raw_path, params, payload_hash):
        cfg = self.config
        auth = self.headers.get("Authorization")
        query_names = {n.decode("utf-8", "replace"): v.decode("utf-8", "replace") for n, v, _ in params}
        presigned = "X-Amz-Signature" in query_names
        if auth:
            if not auth.startswith(ALGORITHM + " "):
                raise Refusal(400, "InvalidArgument", "only %s authorization is supported" % ALGORITHM)
            fields = {}
            for part in auth[len(ALGORITHM):].split(","):
                key, _, value = part.strip().partition("=")
                fields[key] = value
            credential = fields.get("Credential", "")
            signed = fields.get("SignedHeaders", "")
            given = fields.get("Signature", "")
            amz_date = self.headers.get("x-amz-date", "")
            if not payload_hash:
                raise Refusal(400, "InvalidRequest",
                              "Missing required header for this request: x-amz-content-sha256")
            leave_out = ()
        elif presigned:
            if query_names.get("X-Amz-Algorithm") != ALGORITHM:
                raise Refusal(400, "AuthorizationQueryParametersError",
                              "X-Amz-Algorithm must be %s" % ALGORITHM)
            credential = query_names.get("X-Amz-Credential", "")
            signed = query_names.get("X-Amz-SignedHeaders", "")
            given = query_names.get("X-Amz-Signature", "")
            amz_date = query_names.get("X-Amz-Date", "")
            payload_hash = query_names.get("X-Amz-Content-Sha256", "UNSIGNED-PAYLOAD")
            leave_out = ("X-Amz-Signature",)
        else:
            raise Refusal(403, "AccessDenied", "Access Denied (anonymous requests are refused)")

        scope = credential.split("/")
        if len(scope) != 5:
            raise Refusal(400, "AuthorizationHeaderMalformed", "malformed credential '%s'" % credential)
        access_key, day, region, service, terminator = scope
        if access_key != cfg.access_key:
            raise Refusal(403, "InvalidAccessKeyId",
                          "The AWS Access Key Id you provided does not exist in our records.")
        when = parse_amz_date(amz_date)
        if when is None:
            raise Refusal(403, "AccessDenied", "missing or malformed x-amz-date")
        if day != amz_date[:8] or region != cfg.region or service != "s3" or terminator != "aws4_request":
            raise Refusal(400, "AuthorizationHeaderMalformed",
                          "credential scope '%s' does not match %s/%s/s3/aws4_request"
                          % ("/".join(scope[1:]), amz_date[:8], cfg.region))
        now = time.time()
        if presigned:
            try:
                expires = int(query_names.get("X-Amz-Expires", ""))
            except ValueError:
                raise Refusal(400, "AuthorizationQueryParametersError", "X-Amz-Expires must be a number")
            if not 0 < expires <= MAX_PRESIGN_SECONDS:
                raise Refusal(400, "AuthorizationQueryParametersError", "X-Amz-Expires out of range")
            if now > when + expires:
                raise Refusal(403, "AccessDenied", "Request has expired")
            if when - now > MAX_SKEW_SECONDS:
                raise Refusal(403, "AccessDenied", "Request is not valid yet")
        elif abs(now - when) > MAX_SKEW_SECONDS:
            raise Refusal(403, "RequestTimeTooSkewed",
                          "The difference between the request time and the current time is too large.")

        signed_list = [h for h in signed.split(";") if h]
        if "host" not in signed_list:
            raise Refusal(403, "AccessDenied", "the host header must be signed")
        unsigned = sorted(k.lower() for k in self.headers.keys()
                          if k.lower().startswith("x-amz-") and k.lower() not in signed_list)
        if unsigned:
            raise Refusal(403, "AccessDenied",
                          "There were headers present in the request which were not signed",
                          HeadersNotSigned=", ".join(unsigned))

        self.signature_state = (given.lower(), amz_date, scope[1:])
        canonical_request, string_to_sign, expected = sign_request(
            self.command, raw_path, params, self.headers.get_all, signed_list, payload_hash,
            amz_date, scope[1:], cfg.secret_key, leave_out)
        if not hmac.compare_digest(expected, given.lower()):
            raise Refusal(403, "SignatureDoesNotMatch",
                          "The request signature we calculated does not match the signature you "
                          "provided. Check your key and signing method.",
                          AWSAccessKeyId=access_key, StringToSign=string_to_sign,
                          CanonicalRequest=canonical_request)
        return presigned

    # ---- the request ---------------------------------------------------------------------
    def handle_s3(self):
        body = None
        try:
            raw_path, _, raw_query = self.path.partition("?")
            params = split_query(raw_query)
            body, size, body_sha = self.read_body()
            payload_hash = self.headers.get("x-amz-content-sha256", "")
            streaming = payload_hash == STREAMING
            if payload_hash.startswith("STREAMING-") and not streaming:
                raise Refusal(501, "NotImplemented", "aws-chunked uploads (%s) are not supported" % payload_hash)
            presigned = self.check_signature(raw_path, params, payload_hash)
            replace = {}
            if streaming:
                decoded, size = self.decode_aws_chunked(body)
                body.close()
                body = decoded
                replace = {"x-amz-content-sha256": "UNSIGNED-PAYLOAD", "x-amz-decoded-content-length": None}
                encoding = [e.strip() for e in self.headers.get("Content-Encoding", "").split(",")
                            if e.strip() and e.strip() != "aws-chunked"]
                replace["content-encoding"] = ", ".join(encoding) or None
            elif not presigned and payload_hash != "UNSIGNED-PAYLOAD" and payload_hash.lower() != body_sha:
                raise Refusal(400, "XAmzContentSHA256Mismatch",
                              "The provided 'x-amz-content-sha256' header does not match what was computed.",
                              ClientComputedContentSHA256=payload_hash, S3ComputedContentSHA256=body_sha)
            kept = [piece for n, _, piece in params if n.decode("utf-8", "replace") not in PRESIGN_PARAMS]
            self.log_headers(raw_path, kept)
            if self.config.data_dir and self.emulate(raw_path, params):
                return
            target = raw_path + ("?" + "&".join(kept) if kept else "")
            self.forward(target, body, size, replace)
        except Refusal as refusal:
            self.refuse(refusal)
        except (ConnectionError, OSError, http.client.HTTPException) as e:
            self.log_message("upstream or client error: %s", e)
            try:
                self.refuse(Refusal(502, "ServiceUnavailable", "upstream failed: %s" % e))
            except OSError:
                self.close_connection = True
        finally:
            if body is not None:
                body.close()

    # ---- test extras ---------------------------------------------------------------------
    log_lock = threading.Lock()

    def log_headers(self, raw_path, kept):
        if not self.config.header_log:
            return
        headers = {}
        for name, value in self.headers.items():
            if name.lower() not in ("authorization", "x-amz-security-token"):
                headers[name.lower()] = value
        record = {"method": self.command, "path": unquote_to_bytes(raw_path).decode("utf-8", "replace"),
                  "query": "&".join(kept), "headers": headers}
        with self.log_lock, open(self.config.header_log, "a", encoding="utf-8") as f:
            f.write(json.dumps(record, sort_keys=True) + "\n")

    def emulate(self, raw_path, params):
        """ListMultipartUploads and AbortMultipartUpload on s3rver's store; True when answered."""
        names = {n.decode("utf-8", "replace"): v.decode("utf-8", "replace") for n, v, _ in params}
        path = unquote_to_bytes(raw_path).decode("utf-8", "replace").lstrip("/")
        bucket, _, key = path.partition("/")
        uploads = os.path.join(self.config.data_dir, bucket, "._S3rver_uploads")
        if self.command == "GET" and not key and "uploads" in names:
            prefix = names.get("prefix", "")
            items = []
            for upload_id in sorted(os.listdir(uploads)) if os.path.isdir(uploads) else []:
                try:
                    with open(os.path.join(uploads, upload_id, "key"), encoding="utf-8") as f:
                        name = f.read()
                    when = os.path.getmtime(os.path.join(uploads, upload_id, "key"))
                except OSError:
                    continue
                if name.startswith(prefix):
                    items.append("<Upload><Key>%s</Key><UploadId>%s</UploadId><Initiated>%s</Initiated></Upload>"
                                 % (escape(name), escape(upload_id),
                                    time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(when))))
            xml = ('<?xml version="1.0" encoding="UTF-8"?>\n<ListMultipartUploadsResult>'
                   "<Bucket>%s</Bucket><Prefix>%s</Prefix><IsTruncated>false</IsTruncated>%s"
                   "</ListMultipartUploadsResult>" % (escape(bucket), escape(prefix), "".join(items))).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/xml")
            self.send_header("Content-Length", str(len(xml)))
            self.end_headers()
            self.wfile.write(xml)
            return True
        if self.command == "DELETE" and key and "uploadId" in names:
            upload_id = names["uploadId"]
            folder = os.path.join(uploads, upload_id)
            try:
                with open(os.path.join(folder, "key"), encoding="utf-8") as f:
                    found = f.read() == key
            except OSError:
                found = False
            if not found or "/" in upload_id or upload_id in ("", ".", ".."):
                raise Refusal(404, "NoSuchUpload", "The specified multipart upload does not exist.")
            shutil.rmtree(folder, ignore_errors=True)
            self.send_response(204)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return True
        return False

    def decode_aws_chunked(self, spool):
        """The payload of an aws-chunked body, each chunk's signature checked; (spool, size)."""
        seed, amz_date, scope = self.signature_state
        key = signing_key(self.config.secret_key, scope[0], scope[1], scope[2])
        empty = hashlib.sha256(b"").hexdigest()
        out = tempfile.SpooledTemporaryFile(max_size=8 << 20, dir=self.config.tmpdir)
        previous, size = seed, 0
        while True:
            line = spool.readline(4096)
            head, _, given = line.strip().partition(b";chunk-signature=")
            try:
                n = int(head, 16)
            except ValueError:
                raise Refusal(400, "IncompleteBody", "malformed aws-chunked body")
            data = spool.read(n)
            if len(data) != n:
                raise Refusal(400, "IncompleteBody", "the aws-chunked body ended early")
            string_to_sign = "\n".join(["AWS4-HMAC-SHA256-PAYLOAD", amz_date, "/".join(scope), previous, empty,
                                        hashlib.sha256(data).hexdigest()])
            expected = hmac.new(key, string_to_sign.encode("utf-8"), hashlib.sha256).hexdigest()
            if not hmac.compare_digest(expected, given.decode("ascii", "replace").lower()):
                raise Refusal(403, "SignatureDoesNotMatch", "a chunk signature of the aws-chunked body does not match")
            previous = expected
            out.write(data)
            size += n
            spool.readline(8)  # the CRLF after the chunk
            if n == 0:
                break
        declared = self.headers.get("x-amz-decoded-content-length")
        if declared is not None and declared.strip() != str(size):
            raise Refusal(400, "IncompleteBody", "x-amz-decoded-content-length does not match the chunks")
        out.seek(0)
        return out, size

    def forward(self, target, body, size, replace=None):
        cfg = self.config
        replace = replace or {}
        upstream = http.client.HTTPConnection(cfg.upstream_host, cfg.upstream_port, timeout=600)
        try:
            upstream.putrequest(self.command, target, skip_host=True, skip_accept_encoding=True)
            for name, value in self.headers.items():
                if name.lower() not in NOT_FORWARDED and name.lower() not in replace:
                    upstream.putheader(name, value)
            for name, value in replace.items():
                if value is not None:
                    upstream.putheader(name, value)
            if size or self.command in ("PUT", "POST"):
                upstream.putheader("Content-Length", str(size))
            upstream.endheaders()
            while True:
                block = body.read(COPY_CHUNK)
                if not block:
                    break
                upstream.send(block)
            answer = upstream.getresponse()
            length = answer.getheader("Content-Length")
            no_body = self.command == "HEAD" or answer.status in (204, 304) or 100 <= answer.status < 200
            payload = None
            if not no_body and length is None:
                payload = answer.read()  # small (XML) answers without a length
            self.send_response(answer.status, answer.reason)
            for name, value in answer.getheaders():
                if name.lower() not in NOT_FORWARDED:
                    self.send_header(name, value)
            if no_body:
                if length is not None:
                    self.send_header("Content-Length", length)
            elif payload is not None:
                self.send_header("Content-Length", str(len(payload)))
            else:
                self.send_header("Content-Length", length)
            self.end_headers()
            if payload is not None:
                self.wfile.write(payload)
            elif not no_body:
                remaining = int(length)
                while remaining > 0:
                    block = answer.read(min(remaining, COPY_CHUNK))
                    if not block:
                        self.close_connection = True
                        break
                    self.wfile.write(block)
                    remaining -= len(block)
        finally:
            upstream.close()

    def refuse(self, refusal):
        extra = "".join("<%s>%s</%s>" % (k, escape(str(v)), k) for k, v in refusal.details.items())
        xml = ('<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>%s</Code><Message>%s</Message>%s'
               "<RequestId>%s</RequestId></Error>" % (refusal.code, escape(refusal.message), extra,
                                                      uuid.uuid4().hex[:16].upper())).encode("utf-8")
        self.log_message("refused %s %s: %s %s", self.command, self.path, refusal.status, refusal.code)
        self.send_response(refusal.status)
        self.send_header("Content-Type", "application/xml")
        self.send_header("Content-Length", "0" if self.command == "HEAD" else str(len(xml)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(xml)


class ProxyServer(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 64


def host_port(text):
    host, _, port = text.rpartition(":")
    return host or "127.0.0.1", int(port)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--listen", required=True, help="HOST:PORT to serve")
    parser.add_argument("--upstream", required=True, help="HOST:PORT of the S3 emulator")
    parser.add_argument("--access-key", required=True)
    parser.add_argument("--secret-key", required=True)
    parser.add_argument("--region", default="us-east-1")
    parser.add_argument("--tmpdir", default=None, help="where large request bodies are spooled")
    parser.add_argument("--header-log", default=None, help="append each signed request's headers (JSON Lines)")
    parser.add_argument("--data-dir", default=None,
                        help="s3rver's --directory: answer ListMultipartUploads and AbortMultipartUpload")
    cfg = parser.parse_args()
    cfg.upstream_host, cfg.upstream_port = host_port(cfg.upstream)
    ProxyHandler.config = cfg
    server = ProxyServer(host_port(cfg.listen), ProxyHandler)
    sys.stderr.write("sigv4 proxy on %s -> %s (region %s)\n" % (cfg.listen, cfg.upstream, cfg.region))
    sys.stderr.flush()
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
