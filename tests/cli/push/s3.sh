#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# cairn-push to S3 (scripts/services/s3.sh: s3rver behind a SigV4-checking proxy, on a port of
# its own): push, then without the local repository and catalog restore --from, verify --from
# and catalog rebuild --repo; --all resumes. Refusals: a wrong secret (exit 12), a missing
# bucket and an unreachable endpoint (exit 13), each one stderr line naming the destination,
# nothing recorded as pushed. Skipped unless CAIRN_TEST_REMOTE=1.
set -euo pipefail
# shellcheck source=../lib.sh
. "$CAIRN_CLI_LIB"
# shellcheck source=_remote.sh
. "$CAIRN_CASE_DIR/_remote.sh"
need_services

start_service s3 19410
export CAIRN_S3_ENDPOINT=$S3_ENDPOINT
url=s3://$S3_BUCKET/push-test
remote_roundtrip "$url"

expect_refused 12 "$url/x" env AWS_SECRET_ACCESS_KEY=wrong-secret cairn-push --all "$url/x"
grep -q 'HTTP 403' last.stderr || die "a wrong secret: $(cat last.stderr)"
echo "wrong secret: exit 12, one line"
expect_refused 13 s3://cairn-missing-bucket/p cairn-push --all s3://cairn-missing-bucket/p
grep -q 'NoSuchBucket' last.stderr || die "a missing bucket: $(cat last.stderr)"
echo "missing bucket: exit 13, one line"
expect_refused 13 "$url/y" cairn-push --all --endpoint http://127.0.0.1:1 "$url/y"
echo "unreachable endpoint: exit 13, one line"
