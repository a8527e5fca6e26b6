#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# cairn-push --limit-rate RATE holds each destination to RATE bytes a second over all its
# parallel transfers: a push of N bytes takes at least N/RATE seconds (less the token
# bucket's tenth of a second of burst), measured. A directory destination always; S3 (a
# service on its own port, CURLOPT_MAX_SEND_SPEED_LARGE plus the shared bucket) when
# CAIRN_TEST_REMOTE=1.
set -euo pipefail
# shellcheck source=../lib.sh
. "$CAIRN_CLI_LIB"
# shellcheck source=_remote.sh
. "$CAIRN_CASE_DIR/_remote.sh"

make_repo
mkdir -p src1 src2
gen_file src1/a.bin 1600K 1
gen_file src2/b.bin 1600K 2
for s in src1 src2; do
  (set -o pipefail && cairn-snap "$PWD/$s" --source "$s" | cairn-pack >/dev/null)
done
[ "$(find "$CAIRN_REPO/packs" -type f | wc -l)" = 2 ] || die "expected two packs"

rate=1048576
now() { date +%s.%N; }
# timed_push DEST [options]: pushes everything, prints "seconds bytes-sent"
timed_push() {
  local dest=$1 t0 t1 bytes
  shift
  t0=$(now)
  cairn-push --all -v --jobs 4 "$@" "$dest" >/dev/null 2>push.err || { cat push.err >&2; die "push to $dest failed"; }
  t1=$(now)
  bytes=$(sed -n 's/.* objects sent (\([0-9]*\) bytes).*/\1/p' push.err)
  [ -n "$bytes" ] || die "no summary line: $(cat push.err)"
  echo "$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }') $bytes"
}
# check_limited SECONDS BYTES: at least (BYTES - burst) / rate, with 5 % for the clock
check_limited() {
  local least
  least=$(awk -v n="$2" -v r="$rate" 'BEGIN { printf "%.3f", 0.95 * (n - r / 10) / r }')
  [ "$2" -ge 3000000 ] || die "only $2 bytes were sent"
  awk -v s="$1" -v l="$least" 'BEGIN { exit !(s >= l) }' || die "$2 bytes at $rate bytes/s took $1 s, less than $least s"
}

read -r free_secs free_bytes < <(timed_push "$PWD/free")
read -r secs bytes < <(timed_push "file://$PWD/limited" --limit-rate 1M)
check_limited "$secs" "$bytes"
awk -v f="$free_secs" -v s="$secs" 'BEGIN { exit !(f * 2 < s) }' || die "without a limit the push took $free_secs s, with one $secs s"
assert_eq "$(tree_sums free)" "$(tree_sums limited)" "objects at the limited destination"
assert_eq "$free_bytes" "$bytes" "bytes sent with and without the limit"
echo "directory: N bytes at RATE take at least N/RATE seconds"

if [ "${CAIRN_TEST_REMOTE:-}" = 1 ]; then
  start_service s3 19430
  export CAIRN_S3_ENDPOINT=$S3_ENDPOINT
  read -r secs bytes < <(timed_push "s3://$S3_BUCKET/limited" --limit-rate 1M)
  check_limited "$secs" "$bytes"
  [ "$(cairn-push --all "s3://$S3_BUCKET/limited" | wc -l)" = 0 ] || die "objects were missing at S3"
fi
echo "s3: N bytes at RATE take at least N/RATE seconds"
