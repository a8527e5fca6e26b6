#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# Two hosts, two repositories that share one key (the second made from a copy of the first's
# config and key slot, as a second host would be set up: the same repository id and keys,
# its own packs and catalog), push --all to one destination at the same time. Object names
# cannot collide: packs, index files and sets are named by the hash of their bytes (and each
# pack holds fresh random nonces), so the two hosts' objects are disjoint; config, its signed copy and key
# slots are the same bytes on both. Afterwards the destination holds the union, each name
# with the content its host wrote, and each host's set restores from it alone. A directory
# destination always; S3 too with CAIRN_TEST_REMOTE=1.
set -euo pipefail
# shellcheck source=../lib.sh
. "$CAIRN_CLI_LIB"
# shellcheck source=_remote.sh
. "$CAIRN_CASE_DIR/_remote.sh"

make_repo "$PWD/hostA"
cat_a=$CAIRN_CATALOG
mkdir -p hostB/packs hostB/index hostB/sets hostB/tmp
cp -p hostA/config hostB/
cp -rp hostA/keys hostA/holds hostB/  # holds/: the config's signed copy
cat_b=$PWD/catalogB.db

backup() {  # backup REPO CATALOG SRC SEED: prints the set id
  mkdir -p "$3"
  gen_file "$3/data.bin" 2M "$4"
  gen_text "$3/notes-$4.txt" 200
  (set -o pipefail && CAIRN_REPO=$1 CAIRN_CATALOG=$2 cairn-snap "$3" --source app | \
    CAIRN_REPO=$1 CAIRN_CATALOG=$2 cairn-pack | head -n 1)
}
set_a=$(backup "$PWD/hostA" "$cat_a" "$PWD/srcA" 1)
set_b=$(backup "$PWD/hostB" "$cat_b" "$PWD/srcB" 2)
[ "$set_a" != "$set_b" ] || die "the two hosts wrote the same set id"
tree_sums hostA >a.sums
tree_sums hostB >b.sums
LC_ALL=C sort -u a.sums b.sums >union.sums
clash=$(cut -d' ' -f1 union.sums | uniq -d)
[ -z "$clash" ] || die "the hosts wrote different objects under one name: $clash"
common=$(LC_ALL=C comm -12 <(cut -d' ' -f1 a.sums) <(cut -d' ' -f1 b.sums) | tr '\n' ' ')
[[ $common =~ ^config\ holds/[0-9a-f]{64}\ keys/[0-9a-f]{32}\ $ ]] \
  || die "expected config, its signed copy and the key slot in common, got: $common"

both_push() {  # both_push URL: the two hosts at once
  CAIRN_REPO=$PWD/hostA CAIRN_CATALOG=$cat_a cairn-push --all --jobs 3 "$1" >pushA.out 2>pushA.err &
  local a=$!
  CAIRN_REPO=$PWD/hostB CAIRN_CATALOG=$cat_b cairn-push --all --jobs 3 "$1" >pushB.out 2>pushB.err &
  local b=$!
  wait "$a" || { cat pushA.err >&2; die "host A's push to $1 failed"; }
  wait "$b" || { cat pushB.err >&2; die "host B's push to $1 failed"; }
}
restore_each() {  # restore_each URL
  rm -rf outA outB
  cairn-restore "$set_a" --from "$1" --to "$PWD/outA" 2>/dev/null || die "host A's set does not restore from $1"
  cairn-restore "$set_b" --from "$1" --to "$PWD/outB" 2>/dev/null || die "host B's set does not restore from $1"
  compare_trees srcA outA
  compare_trees srcB outB
  cairn-verify --from "$1" --read-data >verify.out 2>&1 || { cat verify.out >&2; die "verify --from $1"; }
  grep -q '^checked 2 sets, 2 packs' verify.out || die "verify --from $1: $(cat verify.out)"
}

both_push "file://$PWD/dest"
assert_eq "$(cat union.sums)" "$(tree_sums dest)" "the objects at the shared destination"
restore_each "$PWD/dest"
echo "directory: both hosts' objects, none overwritten; each host's set restores"

if [ "${CAIRN_TEST_REMOTE:-}" = 1 ]; then
  start_service s3 19460
  export CAIRN_S3_ENDPOINT=$S3_ENDPOINT
  both_push "s3://$S3_BUCKET/shared"
  (cd "$S3_DATA_DIR/$S3_BUCKET/shared" && find . -name '*._S3rver_object' | sed 's|^\./||; s|\._S3rver_object$||' |
    LC_ALL=C sort | while read -r f; do
      printf '%s %s %s\n' "$f" "$(stat -c %s "$f._S3rver_object")" "$(sha256sum <"$f._S3rver_object" | cut -d' ' -f1)"
    done) >s3.sums
  diff -u union.sums s3.sums >&2 || die "S3 does not hold both hosts' objects as written"
  restore_each "s3://$S3_BUCKET/shared"
fi
echo "s3: both hosts' objects, none overwritten; each host's set restores"
