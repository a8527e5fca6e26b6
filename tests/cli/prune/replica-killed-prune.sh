#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# Issue 18, replicas hear every deletion: cairn-prune killed (a test hook, kill -9) after it
# unlinked set objects and before it printed their "-sets/..." lines. The rerun prints them
# (they were recorded as pending before the first unlink), so `cairn-prune | cairn-push DEST`
# removes those sets at the destination before a later sweep removes their packs there: the
# copy verifies with --read-data and holds exactly the repository's sets.
set -euo pipefail
# shellcheck source=../lib.sh
. "$CAIRN_CLI_LIB"
# shellcheck source=_common.sh
. "$(dirname "$0")/_common.sh"

prune_repo
prune_policy 1
: >made
for i in 1 2 3; do
  mkdir "d$i"
  gen_file "d$i/data.bin" 300K "$i"
  made_backup "d$i" app daily >/dev/null
done
dest=$PWD/dest
cairn-push --all "$dest" >/dev/null
dest_sets() { (cd "$dest/sets" && find . -type f | sed 's|^\./||' | LC_ALL=C sort); }
repo_sets() { (cd "$CAIRN_REPO/sets" && find . -type f | sed 's|^\./||' | LC_ALL=C sort); }
assert_eq "$(repo_sets)" "$(dest_sets)" "the sets at the destination after push --all"

# Killed between the unlink of the two dropped set objects and the printing of their lines.
rc=0
CAIRN_TEST_KILL_AT=prune-sets-removed cairn-prune --grace-time 0 >killed.out 2>killed.err || rc=$?
assert_eq 137 "$rc" "exit status of the killed cairn-prune"
[ ! -s killed.out ] || die "the killed prune printed: $(head -n 2 killed.out)"
assert_eq 1 "$(repo_sets | wc -l)" "sets left in the repository by the killed prune"
echo "prune killed after unlinking 2 set objects, before printing them"

# The rerun prints them; then a new set and another run sweep the packs, all pushed.
cairn-prune --grace-time 0 >rerun.out 2>rerun.err
assert_eq 2 "$(grep -c '^-sets/' rerun.out)" "-sets/ lines printed by the rerun"
cairn-push "$dest" <rerun.out >push1.out 2>push1.err
mkdir d4 && gen_file d4/data.bin 100K 4
made_backup d4 app daily >/dev/null
cairn-push "$dest" <pack.out >/dev/null 2>&1
cairn-prune --grace-time 0 >sweep.out 2>sweep.err
grep -q '^-packs/' sweep.out || die "the second run swept no pack"
cairn-push "$dest" <sweep.out >push2.out 2>push2.err
echo "rerun printed both -sets/ lines; the sweep's packs went too"

assert_eq "$(repo_sets)" "$(dest_sets)" "the sets at the destination after the pushes"
cairn-verify --from "$dest" --read-data >verify.out 2>verify.err \
  || die "the destination does not verify: $(tail -n 2 verify.err)"
echo "the destination holds the repository's sets and verifies with --read-data"
