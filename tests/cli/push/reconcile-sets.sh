#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# Issue 18: cairn-push --all reconciles a destination's sets with the repository's. A copy
# left holding a set the repository pruned (its "-sets/" line never reached the destination,
# while the sweep's "-packs/" lines did) fails verification; push --all deletes that set
# there, because the catalog records it as pruned. A set the repository lacks that the
# catalog lists but not as pruned (lost here) is left at the destination, with a warning; one
# it does not know (another host's, sharing the key: push/shared-key.sh) is left quietly.
set -euo pipefail
# shellcheck source=../lib.sh
. "$CAIRN_CLI_LIB"

make_repo
printf '[class.daily]\nkeep-last = 1\n' >policy.toml
export CAIRN_POLICY=$PWD/policy.toml
for i in 1 2 3; do
  mkdir "d$i"
  gen_file "d$i/data.bin" 200K "$i"
  backup "d$i" --source app --class daily >/dev/null
done
dest=$PWD/dest
cairn-push --all "$dest" >/dev/null
dest_sets() { (cd "$dest/sets" && find . -type f | sed 's|^\./||' | LC_ALL=C sort); }
repo_sets() { (cd "$CAIRN_REPO/sets" && find . -type f | sed 's|^\./||' | LC_ALL=C sort); }

# Two prune runs (mark, then sweep after a new set) whose -sets/ lines are lost on the way.
cairn-prune --grace-time 0 2>/dev/null | { grep -v '^-sets/' || true; } | cairn-push "$dest" >/dev/null 2>&1
mkdir d4 && gen_file d4/data.bin 50K 4
backup d4 --source app --class daily >/dev/null
cairn-prune --grace-time 0 2>/dev/null | { grep -v '^-sets/' || true; } | cairn-push "$dest" >/dev/null 2>&1
[ "$(dest_sets | wc -l)" -gt "$(repo_sets | wc -l)" ] || die "the destination holds no stale set"
expect_exit 4 cairn-verify --from "$dest" --read-data
expect_stderr '^cairn-verify: error: damage found: '
echo "a destination with stale sets whose packs are gone fails verification"

cairn-push --all "$dest" >all.out 2>all.err
assert_eq 3 "$(grep -c '^-sets/' all.out)" "stale sets deleted by push --all"
assert_eq "$(repo_sets)" "$(dest_sets)" "the sets at the destination after push --all"
cairn-verify --from "$dest" --read-data >/dev/null 2>verify.err \
  || die "the destination does not verify: $(tail -n 1 verify.err)"
echo "push --all deleted the pruned sets there: the copy verifies"

# Never the other way: a set lost from the repository (not pruned) stays at the destination.
lost=$(repo_sets | head -n 1)
mv "$CAIRN_REPO/sets/$lost" lost.set
expect_exit 3 cairn-push --all "$dest"
expect_stderr "sets/$lost at '$dest': the repository lost this set \(the catalog does not record it as pruned\): left at the destination"
[ -f "$dest/sets/$lost" ] || die "push --all deleted a set the catalog does not know as pruned"
echo "a set the repository lost but did not prune stays at the destination (warning, exit 3)"
