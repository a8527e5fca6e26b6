#!/usr/bin/env bash
# scripts/services/selftest.sh [SERVICE...]: starts each service on a spare port (default
# port + 500, in a scratch CAIRN_SVC_ROOT), makes real requests against it (a round trip of
# data, and a wrong credential that must be refused), stops it and checks that its processes
# are gone. Default: postgres redis sftp s3 azure. Ends with "N passed, M failed".
set -uo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
py=/usr/bin/python3
[ -x "$py" ] || py=python3
export CAIRN_SVC_ROOT=${CAIRN_SVC_ROOT:-/tmp/cairn-services-selftest}
export CAIRN_PG_PORT=56432 CAIRN_REDIS_PORT=56879 CAIRN_SFTP_PORT=2722 CAIRN_S3_PORT=19500
export CAIRN_AZURE_PORT=10500
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
passed=0
failed=0

check() {  # check DESCRIPTION CMD...
  local what=$1
  shift
  if "$@" >"$work/out" 2>&1; then
    passed=$((passed + 1))
    echo "ok    $what"
  else
    failed=$((failed + 1))
    echo "FAIL  $what"
    sed 's/^/      | /' "$work/out" | tail -n 15
  fi
}

started() {  # started SERVICE: start it and load its environment
  local e
  e=$(bash "$here/$1.sh" start) || return 1
  eval "$e"
}

stopped_clean() {  # stopped_clean SERVICE PIDFILE...: stop, then none of the pids may live
  local svc=$1 pids=() f pid
  shift
  for f in "$@"; do [ -f "$f" ] && read -r pid _ <"$f" && pids+=("$pid"); done
  [ "${#pids[@]}" -gt 0 ] || { echo "no pid files"; return 1; }
  bash "$here/$svc.sh" stop || return 1
  for pid in "${pids[@]}"; do
    if [ -d "/proc/$pid" ] && ! grep -q '^State:.*Z' "/proc/$pid/status"; then
      echo "pid $pid still runs"
      return 1
    fi
  done
}

head -c 1500000 /dev/urandom >"$work/blob"

t_postgres() {
  check "postgres: start" started postgres || return
  check "postgres: dump and restore a table" bash -c '
    psql -q -v ON_ERROR_STOP=1 -c "drop database if exists st" -c "create database st" &&
    psql -q -v ON_ERROR_STOP=1 -d st -c "create table t(i int, s text)" \
      -c "insert into t select g, md5(g::text) from generate_series(1,5000) g" &&
    pg_dump -Fc -d st -f '"$work"'/st.dump &&
    psql -q -c "drop database st" && pg_restore -C -d postgres '"$work"'/st.dump &&
    [ "$(psql -Atd st -c "select count(*), sum(i) from t")" = "5000|12502500" ]'
  check "postgres: pg_basebackup to a tar stream" bash -c \
    'pg_basebackup -Ft -X fetch -c fast -D - | tar -t | grep -q "^PG_VERSION$"'
  check "postgres: start is idempotent" started postgres
  check "postgres: stop ends it" stopped_clean postgres "$CAIRN_SVC_ROOT/postgres-$CAIRN_PG_PORT/postmaster.pid"
}

t_redis() {
  check "redis: start" started redis || return
  check "redis: set, get, and an RDB backup" bash -c '
    redis-cli -p "$REDIS_PORT" set k v >/dev/null &&
    [ "$(redis-cli -p "$REDIS_PORT" get k)" = v ] &&
    redis-cli -p "$REDIS_PORT" --rdb '"$work"'/dump.rdb >/dev/null 2>&1 && [ -s '"$work"'/dump.rdb ]'
  check "redis: stop ends it" stopped_clean redis "$CAIRN_SVC_ROOT/redis-$CAIRN_REDIS_PORT/redis.pid"
}

t_sftp() {
  check "sftp: start" started sftp || return
  check "sftp: upload and download with the host key pinned" bash -c '
    c=(curl -sS --key "$SFTP_KEY" -u "$SFTP_USER:" --hostpubsha256 "$SFTP_HOST_SHA256")
    "${c[@]}" --ftp-create-dirs -T '"$work"'/blob "$SFTP_URL/a/b/blob" &&
    "${c[@]}" "$SFTP_URL/a/b/blob" | cmp - '"$work"'/blob'
  check "sftp: a wrong host key is refused" bash -c '
    ! curl -sS --key "$SFTP_KEY" -u "$SFTP_USER:" --hostpubsha256 "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" "$SFTP_URL/"'
  check "sftp: stop ends it" stopped_clean sftp "$CAIRN_SVC_ROOT/sftp-$CAIRN_SFTP_PORT/sshd.pid"
}

t_s3() {
  check "s3: the proxy's signer matches AWS's published example" "$py" -c '
import sys; sys.path.insert(0, sys.argv[1]); import s3_sigv4_proxy as p
empty = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
h = {"host": ["examplebucket.s3.amazonaws.com"], "range": ["bytes=0-9"],
     "x-amz-content-sha256": [empty], "x-amz-date": ["20130524T000000Z"]}
sig = p.sign_request("GET", "/test.txt", [], h.get, ["host", "range", "x-amz-content-sha256", "x-amz-date"],
                     empty, "20130524T000000Z", ["20130524", "us-east-1", "s3", "aws4_request"],
                     "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")[2]
assert sig == "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41", sig' "$here"
  check "s3: start" started s3 || return
  s3curl() { curl -sS --aws-sigv4 "aws:amz:$S3_REGION:s3" -u "$S3_ACCESS_KEY:${secret:-$S3_SECRET_KEY}" "$@"; }
  export -f s3curl
  check "s3: PUT (hashed payload), GET, ranged GET, listing" bash -c '
    u="$S3_ENDPOINT/$S3_BUCKET/dir/a%20b.bin"
    s3curl -f -H "x-amz-content-sha256: $(sha256sum <'"$work"'/blob | cut -c1-64)" -T '"$work"'/blob "$u" &&
    s3curl -f -H "x-amz-content-sha256: UNSIGNED-PAYLOAD" "$u" | cmp - '"$work"'/blob &&
    [ "$(s3curl -f -H "x-amz-content-sha256: UNSIGNED-PAYLOAD" -r 5-9 "$u" | wc -c)" = 5 ] &&
    s3curl -f -H "x-amz-content-sha256: UNSIGNED-PAYLOAD" "$S3_ENDPOINT/$S3_BUCKET?list-type=2&prefix=dir%2F" | grep -q "<Key>dir/a b.bin</Key>"'
  check "s3: a wrong secret is refused (403 SignatureDoesNotMatch)" bash -c '
    secret=wrong s3curl -H "x-amz-content-sha256: UNSIGNED-PAYLOAD" "$S3_ENDPOINT/$S3_BUCKET/dir/a%20b.bin" | grep -q SignatureDoesNotMatch'
  check "s3: a wrong payload hash is refused" bash -c '
    s3curl -H "x-amz-content-sha256: $(echo x | sha256sum | cut -c1-64)" -T '"$work"'/blob "$S3_ENDPOINT/$S3_BUCKET/x" | grep -q XAmzContentSHA256Mismatch'
  check "s3: an anonymous request is refused" bash -c '
    [ "$(curl -sS -o /dev/null -w "%{http_code}" "$S3_ENDPOINT/$S3_BUCKET/dir/a%20b.bin")" = 403 ]'
  check "s3: stop ends both processes" stopped_clean s3 \
    "$CAIRN_SVC_ROOT/s3-$CAIRN_S3_PORT/s3rver.pid" "$CAIRN_SVC_ROOT/s3-$CAIRN_S3_PORT/proxy.pid"
}

t_azure() {
  check "azure: start" started azure || return
  check "azure: PUT a block blob, GET it back, list it" bash -c '
    sign() { "'"$py"'" "'"$here"'/azure_sign.py" "$@" >'"$work"'/hdr; }
    u="$AZURE_BLOB_ENDPOINT/$AZURE_CONTAINER/dir/b.bin"
    sign PUT "$u" --content-length "$(stat -c %s '"$work"'/blob)" --content-type application/octet-stream \
      -H "x-ms-blob-type: BlockBlob" &&
    [ "$(curl -sS -X PUT -H @'"$work"'/hdr --data-binary @'"$work"'/blob -o /dev/null -w "%{http_code}" "$u")" = 201 ] &&
    sign GET "$u" && curl -sS -f -H @'"$work"'/hdr "$u" | cmp - '"$work"'/blob &&
    l="$AZURE_BLOB_ENDPOINT/$AZURE_CONTAINER?restype=container&comp=list&prefix=dir%2F" &&
    sign GET "$l" && curl -sS -f -H @'"$work"'/hdr "$l" | grep -q "<Name>dir/b.bin</Name>"'
  check "azure: a wrong key is refused (403)" bash -c '
    "'"$py"'" "'"$here"'/azure_sign.py" GET "$AZURE_BLOB_ENDPOINT/$AZURE_CONTAINER/dir/b.bin" \
      --key "$(head -c 64 /dev/urandom | base64 -w0)" >'"$work"'/hdr &&
    [ "$(curl -sS -H @'"$work"'/hdr -o /dev/null -w "%{http_code}" "$AZURE_BLOB_ENDPOINT/$AZURE_CONTAINER/dir/b.bin")" = 403 ]'
  check "azure: stop ends it" stopped_clean azure "$CAIRN_SVC_ROOT/azure-$CAIRN_AZURE_PORT/azurite.pid"
}

services=("$@")
[ "${#services[@]}" -gt 0 ] || services=(postgres redis sftp s3 azure)
for s in "${services[@]}"; do
  declare -F "t_$s" >/dev/null || { echo "unknown service '$s'" >&2; exit 2; }
  "t_$s"
  bash "$here/$s.sh" stop >/dev/null 2>&1   # also after a failed check
done
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
