#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# Issue 16, re-encryption to a remote copy: `cairn key rotate | cairn-push URL`, then
# `cairn-prune --reencrypt | cairn-push URL` to SFTP (scripts/services/sftp.sh) carries the
# rotation record, the new packs, their index file, the move record and the sweep of the old
# packs; at the destination no pack is left under the old key generation (a copy of the old slot
# reads none of it), cairn-verify --from URL --read-data passes and every set restores --from URL.
# Skipped unless CAIRN_TEST_REMOTE=1.
set -euo pipefail
# shellcheck source=../lib.sh
. "$CAIRN_CLI_LIB"
# shellcheck source=_remote.sh
. "$CAIRN_CASE_DIR/_remote.sh"
# shellcheck source=../prune/_common.sh
. "$CAIRN_CASE_DIR/../prune/_common.sh"
need_services

start_service sftp 2437
export CAIRN_SSH_KEY=$SFTP_KEY CAIRN_SSH_HOST_SHA256=$SFTP_HOST_SHA256
url=$SFTP_URL/reencrypt-test
prune_repo 256K
prune_policy 100
: >made
for i in 1 2; do
  mkdir "s$i" && gen_file "s$i/f.bin" 400K "$i"
  made_backup "s$i" app adhoc >/dev/null
done
cp "$CAIRN_REPO"/keys/* old.slot
cairn-push --all "$url" >/dev/null 2>push.err || die "cairn-push --all failed: $(tail -n 1 push.err)"
(set -o pipefail && cairn key rotate 2>/dev/null | cairn-push "$url" >/dev/null 2>push.err) ||
  die "rotate | push failed: $(tail -n 1 push.err)"
for run in 1 2; do
  (set -o pipefail && cairn-prune --grace-time 0 --reencrypt | cairn-push "$url" >/dev/null 2>push.err) ||
    die "prune --reencrypt | push failed: $(tail -n 1 push.err)"
  mkdir "n$run" && gen_file "n$run/x" 4K "$((10 + run))" && made_backup "n$run" other adhoc >/dev/null
  cairn-push --all "$url" >/dev/null 2>push.err || die "cairn-push --all failed: $(tail -n 1 push.err)"
done
(set -o pipefail && cairn-prune --grace-time 0 | cairn-push "$url" >/dev/null 2>push.err) ||
  die "prune | push failed: $(tail -n 1 push.err)"
echo "key rotate | push, prune --reencrypt | push: re-encrypted and swept at the destination"
cairn-verify --from "$url" --read-data >verify.out 2>verify.err ||
  { cat verify.out verify.err >&2; die "verify --from --read-data failed"; }
for id in $(set_ids); do
  dir=$(awk -v id="$id" '$1 == id { print $2 }' made)
  rm -rf out
  cairn-restore "$id" --from "$url" --to "$PWD/out" 2>restore.err || { cat restore.err >&2; die "restore --from of $id failed"; }
  compare_trees --no-owner --no-xattr --no-acl "$dir" out
done
first=$(head -n 1 made | cut -d' ' -f1)
rc=0
CAIRN_KEY_FILE=$PWD/old.slot cairn-restore "$first" --from "$url" --to "$PWD/leak" 2>leak.err || rc=$?
assert_eq 4 "$rc" "the old key restoring the oldest set from the destination"
echo "verify --from --read-data passes; every set restores --from the destination; the old key reads none"
