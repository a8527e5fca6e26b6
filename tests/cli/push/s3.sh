#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# cairn-push to S3 (scripts/services/s3.sh: s3rver behind a SigV4-checking proxy, on a port of
# its own): push, restore --from alone, --all resumes. Skipped unless CAIRN_TEST_REMOTE=1.
set -euo pipefail
# shellcheck source=../lib.sh
. "$CAIRN_CLI_LIB"
# shellcheck source=_remote.sh
. "$CAIRN_CASE_DIR/_remote.sh"
need_services

export CAIRN_S3_PORT=19410 CAIRN_SVC_ROOT=$PWD/services
svc=$CAIRN_SOURCE_DIR/scripts/services/s3.sh
e=$(bash "$svc" start 2>svc.err) || { cat svc.err >&2; die "the S3 service did not start"; }
trap 'bash "$svc" stop >/dev/null 2>&1 || true' EXIT
eval "$e"
export CAIRN_S3_ENDPOINT=$S3_ENDPOINT
remote_roundtrip "s3://$S3_BUCKET/push-test"
