#!/usr/bin/env python3
"""Azure Blob Storage "SharedKey" request signing, python3 standard library only.

An independent reference for cairn's Azure client, and the signer scripts/services/azure.sh
uses to talk to Azurite (which checks SharedKey signatures). As a command it prints the
headers to send, one "Name: value" a line, for `curl -H @FILE`:

    azure_sign.py PUT "$AZURE_BLOB_ENDPOINT/cairn-test/a/b.bin" --content-length 5 \\
        --content-type application/octet-stream -H 'x-ms-blob-type: BlockBlob' >hdr
    curl -X PUT -H @hdr --data-binary @b.bin "$AZURE_BLOB_ENDPOINT/cairn-test/a/b.bin"

Sign exactly what curl sends: --data-binary adds "Content-Type:
application/x-www-form-urlencoded" unless a Content-Type is given, so always pass
--content-type with a body (the printed headers then carry it).

The account and key come from --account/--key or AZURE_STORAGE_ACCOUNT/AZURE_STORAGE_KEY.

The string to sign (service version 2009-09-19 and later):
    VERB, Content-Encoding, Content-Language, Content-Length (empty when 0), Content-MD5,
    Content-Type, Date (empty: x-ms-date is sent instead), If-Modified-Since, If-Match,
    If-None-Match, If-Unmodified-Since, Range       -- each followed by "\\n"
    then every x-ms-* header, name lower-cased, sorted, as "name:value\\n"
    then "/" + account + the URL path exactly as sent
    then, for each query parameter sorted by lower-cased name, "\\nname:v1,v2" with the
    values percent-decoded (and sorted when repeated).
Authorization: SharedKey ACCOUNT:base64(HMAC-SHA256(base64decode(KEY), string-to-sign)).
With the emulator's path-style URLs (http://host:port/ACCOUNT/container/blob) the account
therefore appears twice: "/ACCOUNT/ACCOUNT/container/blob".
"""

import argparse
import base64
import email.utils
import hashlib
import hmac
import os
import sys
from urllib.parse import unquote, urlsplit

API_VERSION = "2021-12-02"
# the standard headers, in string-to-sign order (Date is left empty: x-ms-date is used)
STANDARD = ["content-encoding", "content-language", "content-length", "content-md5",
            "content-type", "date", "if-modified-since", "if-match", "if-none-match",
            "if-unmodified-since", "range"]


def string_to_sign(method, url, headers, account):
    """headers: {lower-case name: value}. Returns the exact text that gets signed."""
    parts = urlsplit(url)
    lines = [method.upper()]
    for name in STANDARD:
        value = headers.get(name, "")
        if name == "content-length" and value == "0":
            value = ""
        lines.append(value)
    text = "\n".join(lines) + "\n"
    for name in sorted(h for h in headers if h.startswith("x-ms-")):
        text += "%s:%s\n" % (name, headers[name].strip())
    text += "/%s%s" % (account, parts.path or "/")
    params = {}
    for piece in parts.query.split("&"):
        if piece:
            name, _, value = piece.partition("=")
            params.setdefault(unquote(name).lower(), []).append(unquote(value))
    for name in sorted(params):
        text += "\n%s:%s" % (name, ",".join(sorted(params[name])))
    return text


def sign(method, url, headers=None, account=None, key=None, now=None):
    """Returns the request's headers (given ones plus x-ms-date, x-ms-version, Authorization)."""
    account = account or os.environ["AZURE_STORAGE_ACCOUNT"]
    key = key or os.environ["AZURE_STORAGE_KEY"]
    out = {k.lower(): v for k, v in (headers or {}).items()}
    out.setdefault("x-ms-date", email.utils.formatdate(now, usegmt=True))
    out.setdefault("x-ms-version", API_VERSION)
    text = string_to_sign(method, url, out, account)
    mac = hmac.new(base64.b64decode(key), text.encode("utf-8"), hashlib.sha256).digest()
    out["authorization"] = "SharedKey %s:%s" % (account, base64.b64encode(mac).decode())
    return out


def main():
    parser = argparse.ArgumentParser(description="print SharedKey-signed headers for curl -H @FILE")
    parser.add_argument("method")
    parser.add_argument("url")
    parser.add_argument("--content-length", type=int, default=0)
    parser.add_argument("--content-type", default="")
    parser.add_argument("-H", "--header", action="append", default=[], metavar="'NAME: VALUE'")
    parser.add_argument("--account")
    parser.add_argument("--key")
    parser.add_argument("--print-string-to-sign", action="store_true",
                        help="print the string to sign on stderr (for debugging a client)")
    args = parser.parse_args()
    headers = {}
    for h in args.header:
        name, sep, value = h.partition(":")
        if not sep:
            parser.error("a header is 'Name: value', got %r" % h)
        headers[name.strip().lower()] = value.strip()
    headers["content-length"] = str(args.content_length)
    if args.content_type:
        headers["content-type"] = args.content_type
    try:
        signed = sign(args.method, args.url, headers, args.account, args.key)
    except KeyError as e:
        parser.error("no %s (set it, or pass --account/--key)" % e)
    if args.print_string_to_sign:
        account = args.account or os.environ["AZURE_STORAGE_ACCOUNT"]
        sys.stderr.write(string_to_sign(args.method, args.url, signed, account) + "\n")
    for name, value in signed.items():
        print("%s: %s" % (name, value))


if __name__ == "__main__":
    main()
