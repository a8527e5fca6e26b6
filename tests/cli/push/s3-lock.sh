#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# S3 Object Lock and storage class. s3rver ignores these headers, so the SigV4 proxy logs
# every signed request (CAIRN_S3_HEADER_LOG) and the case reads what cairn-push sent: packs,
# index files and set objects carry x-amz-object-lock-mode (COMPLIANCE, or GOVERNANCE with
# --object-lock-mode), x-amz-object-lock-retain-until-date = now + the class's
# immutable-days, x-amz-storage-class and Content-MD5 (which Object Lock requires); config
# and key slots carry no lock. A class without immutable-days locks nothing. A pack above
# CAIRN_PART_SIZE goes up in parts (the lock headers on the initiating request, Content-MD5
# on every part), and a multipart upload of it left behind earlier is aborted first.
# Skipped unless CAIRN_TEST_REMOTE=1.
set -euo pipefail
# shellcheck source=../lib.sh
. "$CAIRN_CLI_LIB"
# shellcheck source=_remote.sh
. "$CAIRN_CASE_DIR/_remote.sh"
need_services

export CAIRN_S3_HEADER_LOG=$PWD/headers.log
start_service s3 19440
export CAIRN_S3_ENDPOINT=$S3_ENDPOINT
cat >policy.toml <<'TOML'
[class.locked]
keep-daily = 7
immutable-days = 30

[class.plain]
keep-daily = 7
TOML
make_repo
mkdir -p src
gen_file src/big.bin 7M 1
(set -o pipefail && cairn-snap "$PWD/src" --source app --class locked | cairn-pack >pack.out)
pack=$(sed -n "s|^+packs/../||p" pack.out)
[ -n "$pack" ] || die "no pack in $(cat pack.out)"

s3curl() { curl -sS --aws-sigv4 "aws:amz:$S3_REGION:s3" -u "$S3_ACCESS_KEY:$S3_SECRET_KEY" -H 'x-amz-content-sha256: UNSIGNED-PAYLOAD' "$@"; }
key=locked/packs/${pack:0:2}/$pack
uploads() { s3curl "$S3_ENDPOINT/$S3_BUCKET?prefix=${key//\//%2F}&uploads=" | grep -o '<UploadId>[^<]*' | wc -l; }
s3curl -X POST "$S3_ENDPOINT/$S3_BUCKET/$key?uploads=" >/dev/null
assert_eq 1 "$(uploads)" "multipart uploads of the pack before the push"

: >"$CAIRN_S3_HEADER_LOG"
CAIRN_PART_SIZE=5M cairn-push --all --policy policy.toml --storage-class STANDARD_IA "s3://$S3_BUCKET/locked" >/dev/null
assert_eq 0 "$(uploads)" "multipart uploads of the pack after the push"
echo "a multipart upload left behind: aborted"

check_log() {  # check_log MODE DAYS: what the push of the last log sent
  "$CAIRN_PY" - "$CAIRN_S3_HEADER_LOG" "$1" "$2" <<'PY'
import calendar, json, sys, time
log, mode, days = sys.argv[1], sys.argv[2], int(sys.argv[3])
want = time.time() + days * 86400
seen = {"pack": 0, "index": 0, "set": 0, "hold": 0, "part": 0}
def fail(msg):
    sys.exit("error: " + msg)
for line in open(log):
    r = json.loads(line)
    h, path, q = r["headers"], r["path"], r["query"]
    kind = path.split("/")[3] if path.count("/") >= 3 else ""
    body = r["method"] == "PUT" or (r["method"] == "POST" and "uploadId" in q)
    if body and "content-md5" not in h:
        fail("%s %s?%s has no Content-MD5" % (r["method"], path, q))
    upload = (r["method"] == "PUT" and "partNumber" not in q) or (r["method"] == "POST" and q.startswith("uploads"))
    if r["method"] == "PUT" and "partNumber" in q:
        seen["part"] += 1
    if not upload:
        continue
    lock = h.get("x-amz-object-lock-mode")
    # holds/ (administrative records: holds, revocations, the config's signed copy) are
    # content-addressed and locked like the objects they protect
    if kind in ("packs", "index", "sets", "holds"):
        seen[{"packs": "pack", "index": "index", "sets": "set", "holds": "hold"}[kind]] += 1
        if days == 0:
            if lock or "x-amz-object-lock-retain-until-date" in h:
                fail("%s is locked, its class has no immutable-days" % path)
        else:
            if lock != mode:
                fail("%s: lock mode %r, expected %r" % (path, lock, mode))
            until = calendar.timegm(time.strptime(h["x-amz-object-lock-retain-until-date"], "%Y-%m-%dT%H:%M:%SZ"))
            if abs(until - want) > 600:
                fail("%s: retain-until %s is not %d days from now" % (path, h["x-amz-object-lock-retain-until-date"], days))
        if h.get("x-amz-storage-class") != "STANDARD_IA":
            fail("%s: storage class %r" % (path, h.get("x-amz-storage-class")))
    elif lock or "x-amz-storage-class" in h:
        fail("%s carries lock or storage-class headers" % path)
if not (seen["pack"] and seen["index"] and seen["set"]):
    fail("not every kind was uploaded: %r" % seen)
print("parts %d" % seen["part"])
PY
}
parts=$(check_log COMPLIANCE 30)
[ "$parts" != "parts 0" ] || die "the 7 MiB pack did not go up in parts"
echo "compliance: packs, index, set locked for 30 days, storage class, Content-MD5"

gen_file src/more.bin 1M 2
(set -o pipefail && cairn-snap "$PWD/src" --source app --class locked | cairn-diff | cairn-pack >/dev/null)
: >"$CAIRN_S3_HEADER_LOG"
cairn-push --all --policy policy.toml --object-lock-mode governance --storage-class STANDARD_IA \
  "s3://$S3_BUCKET/locked" >/dev/null
check_log GOVERNANCE 30 >/dev/null
echo "governance: the mode asked for"

mkdir -p src2
gen_file src2/c.bin 1M 3
: >"$CAIRN_S3_HEADER_LOG"
(set -o pipefail && cairn-snap "$PWD/src2" --source other --class plain | cairn-pack | \
  CAIRN_POLICY=$PWD/policy.toml cairn-push --storage-class STANDARD_IA "s3://$S3_BUCKET/plain" >/dev/null)
check_log - 0 >/dev/null
echo "a class without immutable-days: no lock"
