#!/usr/bin/env bash
# scripts/services/s3.sh start|stop|restart|env|status
# An S3 endpoint on 127.0.0.1:$CAIRN_S3_PORT (default 19000) that checks SigV4 signatures:
# s3rver (npm, 3.7.1) on port+1, which checks no signature at all, behind our own
# s3_sigv4_proxy.py, which refuses what real S3 would refuse (see its docstring). Path-style
# URLs only: $S3_ENDPOINT/$S3_BUCKET/key. The bucket is created at start.
# What s3rver lacks, so what no test here can check: Object Lock, retention, legal hold,
# versioning, Content-MD5 and If-None-Match on PUT, the minimum part size, S3's multipart
# ETag form; CopyObject of a key holding "+" or "&" answers NoSuchKey (s3rver decodes
# x-amz-copy-source differently). ListMultipartUploads and AbortMultipartUpload, which s3rver
# lacks too, are answered by the proxy from s3rver's store of unfinished uploads (--data-dir).
# Headers s3rver ignores can be checked in the proxy's log of signed requests:
# CAIRN_S3_HEADER_LOG=FILE (JSON Lines: method, path, query, headers).
# Prints: S3_ENDPOINT S3_REGION S3_ACCESS_KEY S3_SECRET_KEY S3_BUCKET S3_DATA_DIR, the
#   same for AWS tools and cairn (AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_DEFAULT_REGION
#   AWS_REGION AWS_ENDPOINT_URL), CAIRN_S3_ENDPOINT (cairn's path-style endpoint) and
#   CAIRN_TEST_S3_URL=s3://<bucket> (turns on the S3 integration tests).
# With curl 7.88: curl --aws-sigv4 "aws:amz:$S3_REGION:s3" -u "$S3_ACCESS_KEY:$S3_SECRET_KEY"
#   -H 'x-amz-content-sha256: UNSIGNED-PAYLOAD' ... (curl adds no x-amz-content-sha256 itself).
# Knobs: CAIRN_S3_PORT, CAIRN_S3_BUCKET (cairn-test), CAIRN_S3_REGION (us-east-1),
#   CAIRN_S3_HEADER_LOG (read at start).
set -euo pipefail
svc_name=s3
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

port=${CAIRN_S3_PORT:-19000}
inner=$((port + 1))
svc_state=$CAIRN_SVC_ROOT/s3-$port
bucket=${CAIRN_S3_BUCKET:-cairn-test}
region=${CAIRN_S3_REGION:-us-east-1}
access_key=cairn-test-key
secret_key=cairn-test-secret
endpoint=http://127.0.0.1:$port

svc_print_env() {
  svc_export S3_ENDPOINT "$endpoint"
  svc_export S3_REGION "$region"
  svc_export S3_ACCESS_KEY "$access_key"
  svc_export S3_SECRET_KEY "$secret_key"
  svc_export S3_BUCKET "$bucket"
  svc_export S3_DATA_DIR "$svc_state/data"
  svc_export AWS_ACCESS_KEY_ID "$access_key"
  svc_export AWS_SECRET_ACCESS_KEY "$secret_key"
  svc_export AWS_DEFAULT_REGION "$region"
  svc_export AWS_REGION "$region"
  svc_export AWS_ENDPOINT_URL "$endpoint"
  svc_export CAIRN_S3_ENDPOINT "$endpoint"
  svc_export CAIRN_TEST_S3_URL "s3://$bucket"
}

signed_curl() {
  curl -sS --aws-sigv4 "aws:amz:$region:s3" -u "$access_key:$secret_key" \
    -H 'x-amz-content-sha256: UNSIGNED-PAYLOAD' "$@"
}

list_buckets_works() { [ "$(signed_curl -o /dev/null -w '%{http_code}' "$endpoint/" 2>/dev/null)" = 200 ]; }

svc_is_running() {
  svc_running "$svc_state/s3rver.pid" && svc_running "$svc_state/proxy.pid" && svc_port_open "$port"
}

svc_do_start() {
  local s3rver py code
  command -v curl >/dev/null 2>&1 || svc_packages curl
  s3rver=$(svc_npm s3rver s3rver@3.7.1 s3rver)
  py=$(svc_python)
  mkdir -p "$svc_state/data" "$svc_state/spool"
  svc_port_free "$inner"
  svc_port_free "$port"
  # s3rver makes ListObjectsV2 continuation tokens with DES, which OpenSSL 3 keeps in its
  # legacy provider: without it, a paged listing answers 500.
  svc_spawn "$svc_state/s3rver.pid" "$svc_state/s3rver.log" \
    env NODE_OPTIONS="--openssl-legacy-provider${NODE_OPTIONS:+ $NODE_OPTIONS}" \
    "$s3rver" --directory "$svc_state/data" --address 127.0.0.1 --port "$inner" --no-vhost-buckets
  svc_spawn "$svc_state/proxy.pid" "$svc_state/proxy.log" \
    "$py" "$svc_here/s3_sigv4_proxy.py" --listen "127.0.0.1:$port" --upstream "127.0.0.1:$inner" \
    --access-key "$access_key" --secret-key "$secret_key" --region "$region" --tmpdir "$svc_state/spool" \
    --data-dir "$svc_state/data" ${CAIRN_S3_HEADER_LOG:+--header-log "$CAIRN_S3_HEADER_LOG"}
  svc_wait 60 "s3rver on :$inner" svc_port_open "$inner"
  svc_wait 30 "signed ListBuckets through the proxy on :$port" list_buckets_works
  code=$(signed_curl -o /dev/null -w '%{http_code}' -X PUT "$endpoint/$bucket")
  case $code in
    200 | 409) ;;
    *) svc_fail "creating bucket '$bucket' answered HTTP $code" ;;
  esac
}

svc_do_stop() {
  svc_kill "$svc_state/proxy.pid"
  svc_kill "$svc_state/s3rver.pid"
}

svc_main "$@"
