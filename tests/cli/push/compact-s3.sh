#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# Issue 16, compaction to a remote copy: `cairn-prune --max-unused 10% | cairn-push URL` to S3
# (scripts/services/s3.sh) carries the new packs, their index file and the move record, and a
# later prune's sweep of the old packs; then cairn-verify --from URL --read-data passes and every
# kept set restores --from URL exactly. Skipped unless CAIRN_TEST_REMOTE=1.
set -euo pipefail
# shellcheck source=../lib.sh
. "$CAIRN_CLI_LIB"
# shellcheck source=_remote.sh
. "$CAIRN_CASE_DIR/_remote.sh"
# shellcheck source=../prune/_common.sh
. "$CAIRN_CASE_DIR/../prune/_common.sh"
need_services

start_service s3 19436
export CAIRN_S3_ENDPOINT=$S3_ENDPOINT
url=s3://$S3_BUCKET/compact
compact_setup 8
cairn-push --all "$url" >/dev/null 2>push.err || die "cairn-push --all failed: $(tail -n 1 push.err)"
(set -o pipefail && cairn-prune --grace-time 0 --max-unused 10% | cairn-push "$url" >/dev/null 2>push.err) ||
  die "prune | push failed: $(tail -n 1 push.err)"
mkdir n1 && gen_file n1/x 4K 1 && made_backup n1 other adhoc >/dev/null
cairn-push --all "$url" >/dev/null 2>push.err || die "cairn-push --all failed: $(tail -n 1 push.err)"
(set -o pipefail && cairn-prune --grace-time 0 --max-unused 10% | cairn-push "$url" >/dev/null 2>push.err) ||
  die "prune | push failed: $(tail -n 1 push.err)"
echo "prune --max-unused | cairn-push: compacted and swept at the destination"
cairn-verify --from "$url" --read-data >verify.out 2>verify.err ||
  { cat verify.out verify.err >&2; die "verify --from --read-data failed"; }
for id in $(set_ids); do
  dir=$(awk -v id="$id" '$1 == id { print $2 }' made)
  rm -rf out
  cairn-restore "$id" --from "$url" --to "$PWD/out" 2>restore.err || { cat restore.err >&2; die "restore --from of $id failed"; }
  compare_trees --no-owner --no-xattr --no-acl "$dir" out
done
echo "verify --from --read-data passes; every kept set restores --from the destination"
