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
    accepted; STREAMING-* (aws-chunked uploads) is not supported here (501 NotImplemented).
Canonical forms follow S3: the path is decoded once and re-encoded with only A-Z a-z 0-9
- _ . ~ (and /) left as is; query names and values likewise, sorted by name then value,
a parameter without a value signed as "name="; header values trimmed, inner runs of spaces
folded into one.

Usage: s3_sigv4_proxy.py --listen 127.0.0.1:19000 --upstream 127.0.0.1:19001
           --access-key KEY --secret-key SECRET [--region us-east-1] [--tmpdir DIR]
"""

import argparse
import calendar
import hashlib
import hmac
import http.client
import http.server
import re
import socketserver
import sys
import tempfile
import time
import uuid
from urllib.parse import unquote_to_bytes
from xml.sax.saxutils import escape

ALGORITHM = "AWS4-HMAC-SHA256"
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
            if payload_hash.startswith("STREAMING-"):
                raise Refusal(501, "NotImplemented", "aws-chunked uploads (%s) are not supported" % payload_hash)
            presigned = self.check_signature(raw_path, params, payload_hash)
            if not presigned and payload_hash != "UNSIGNED-PAYLOAD" and payload_hash.lower() != body_sha:
                raise Refusal(400, "XAmzContentSHA256Mismatch",
                              "The provided 'x-amz-content-sha256' header does not match what was computed.",
                              ClientComputedContentSHA256=payload_hash, S3ComputedContentSHA256=body_sha)
            kept = [piece for n, _, piece in params if n.decode("utf-8", "replace") not in PRESIGN_PARAMS]
            target = raw_path + ("?" + "&".join(kept) if kept else "")
            self.forward(target, body, size)
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

    def forward(self, target, body, size):
        cfg = self.config
        upstream = http.client.HTTPConnection(cfg.upstream_host, cfg.upstream_port, timeout=600)
        try:
            upstream.putrequest(self.command, target, skip_host=True, skip_accept_encoding=True)
            for name, value in self.headers.items():
                if name.lower() not in NOT_FORWARDED:
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
