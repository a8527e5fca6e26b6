#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# kill -9 cairn-push --all at random points, four times, to a directory and (with
# CAIRN_TEST_REMOTE=1) to S3 with a pack big enough for a multipart upload (CAIRN_PART_SIZE=5M):
# after every kill, whatever is under a final name at the destination is whole (equal to the
# repository's object); a re-run finishes the job: the destination then holds exactly the
# repository's objects (names, sizes, SHA-256), it verifies with --read-data, and S3 lists no
# multipart upload (ListMultipartUploads, answered by the test proxy from s3rver's store,
# which is checked to be empty too). The bytes the final run sent again go to stderr.
set -euo pipefail
# shellcheck source=../lib.sh
. "$CAIRN_CLI_LIB"
# shellcheck source=_remote.sh
. "$CAIRN_CASE_DIR/_remote.sh"

make_repo
i=0
for size in 12M 3M 2M; do
  i=$((i + 1))
  mkdir -p "src$i"
  gen_file "src$i/data.bin" "$size" "$i"
  (set -o pipefail && cairn-snap "$PWD/src$i" --source "src$i" | cairn-pack >/dev/null)
done
tree_sums "$CAIRN_REPO" >repo.sums
total=$(awk '{ n += $2 } END { print n }' repo.sums)

# s3_sums PREFIX: tree_sums of what s3rver stores under PREFIX (its files on disk)
s3_sums() {
  local root=$S3_DATA_DIR/$S3_BUCKET/$1
  [ -d "$root" ] || return 0
  (cd "$root" && find . -name '*._S3rver_object' | sed 's|^\./||; s|\._S3rver_object$||' | LC_ALL=C sort |
    while read -r f; do
      printf '%s %s %s\n' "$f" "$(stat -c %s "$f._S3rver_object")" "$(sha256sum <"$f._S3rver_object" | cut -d' ' -f1)"
    done)
}
sums_of() {  # sums_of URL
  case $1 in
    s3://*) s3_sums "${1#s3://"$S3_BUCKET"/}" ;;
    *) tree_sums "${1#file://}" ;;
  esac
}
# every object under a final name is one of the repository's, whole
check_whole() {  # check_whole URL
  local path size sum
  while read -r path size sum; do
    grep -qxF "$path $size $sum" repo.sums || die "after kill -9: '$path' at $1 is partial or wrong ($size bytes)"
  done < <(sums_of "$1")
}

kill_rounds() {  # kill_rounds URL
  local url=$1 round pid delay
  for round in 1 2 3 4; do
    cairn-push --all --jobs 2 --limit-rate 3M "$url" >/dev/null 2>&1 &
    pid=$!
    delay=$(awk -v r="$RANDOM" 'BEGIN { printf "%.2f", 0.3 + r / 32767 * 4.5 }')
    sleep "$delay"
    kill -9 "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    check_whole "$url"
  done
  if [[ $url == s3://* ]]; then
    echo "before the re-run: $(ls "$S3_DATA_DIR/$S3_BUCKET/._S3rver_uploads" 2>/dev/null | wc -l) unfinished multipart uploads" >&2
  fi
  cairn-push --all -v "$url" >/dev/null 2>final.err || { cat final.err >&2; die "the re-run to $url failed"; }
  sed -n "s|.*: \([0-9]*\) objects sent (\([0-9]*\) bytes), \([0-9]*\) already there.*|re-run to $url: sent \1 objects, \2 of $total bytes; \3 objects already there|p" \
    final.err >&2
  diff -u repo.sums <(sums_of "$url") >&2 || die "$url does not hold exactly the repository's objects"
  cairn-verify --from "$url" --read-data >verify.out 2>&1 || { cat verify.out >&2; die "verify --from $url failed"; }
  [ -z "$(ls "$CAIRN_REPO/tmp" | grep '^push-' || true)" ] || die "staged copies were left in the repository's tmp/"
}

kill_rounds "file://$PWD/dest"
echo "directory: whole objects after every kill -9, identical after the re-run"

if [ "${CAIRN_TEST_REMOTE:-}" = 1 ]; then
  start_service s3 19450
  export CAIRN_S3_ENDPOINT=$S3_ENDPOINT CAIRN_PART_SIZE=5M
  kill_rounds "s3://$S3_BUCKET/k9"
  listed=$(curl -sS --aws-sigv4 "aws:amz:$S3_REGION:s3" -u "$S3_ACCESS_KEY:$S3_SECRET_KEY" \
    -H 'x-amz-content-sha256: UNSIGNED-PAYLOAD' "$S3_ENDPOINT/$S3_BUCKET?prefix=k9%2F&uploads=")
  grep -q '<ListMultipartUploadsResult>' <<<"$listed" || die "ListMultipartUploads: $listed"
  ! grep -q '<Upload>' <<<"$listed" || die "multipart uploads were left: $listed"
  [ -z "$(ls "$S3_DATA_DIR/$S3_BUCKET/._S3rver_uploads" 2>/dev/null)" ] || die "s3rver holds unfinished uploads"
fi
echo "s3: whole objects after every kill -9, identical after the re-run, no multipart upload left"
