#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# cairn repair --from an S3 destination (scripts/services/s3.sh): a pack with a flipped byte
# is fetched back from the bucket cairn-push filled, checked and put in place; the repository
# then verifies --read-data and the set restores; an S3 prefix without the pack is named and
# the run exits 4. Skipped unless CAIRN_TEST_REMOTE=1.
set -euo pipefail
. "$CAIRN_CLI_LIB"
# shellcheck source=../push/_remote.sh
. "$CAIRN_SOURCE_DIR/tests/cli/push/_remote.sh"
need_services

start_service s3 19480
export CAIRN_S3_ENDPOINT=$S3_ENDPOINT
url=s3://$S3_BUCKET/repair-test

make_repo
mkdir a
gen_file a/one.bin 2M 1
backup a --source app >/dev/null
cairn-push --all "$url" >/dev/null
rel=$(cd "$CAIRN_REPO" && find packs -type f)
flip_byte "$CAIRN_REPO/$rel" 400

expect_exit 4 cairn repair --from "$url/empty"
grep -q "pack $(basename "$rel") cannot be repaired: its content does not match its name; '$url/empty' has no copy" last.stderr \
  || die "unexpected: $(cat last.stderr)"
echo "a destination without the pack: exit 4, named"

cairn repair --from "$url" >repair.out
assert_eq "+$rel" "$(cat repair.out)" "the repair's output"
cairn-verify --read-data >/dev/null
cairn-restore app@latest --to "$PWD/out" 2>/dev/null
cmp a/one.bin out/one.bin
cairn audit --json | grep -q "restored $rel (its content does not match its name) from '$url'" || die "no audit row"
echo "restored from S3: verify --read-data passes, the set restores"
