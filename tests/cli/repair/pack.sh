#!/usr/bin/env bash
# cairn repair, packs: a pack with a flipped byte and no intact copy exits 4 with one line
# naming it and the set that needs it, and changes nothing; --from a destination whose copy is
# damaged too refuses that copy; --mark-lost takes the pack out of the index (-index/..) and
# moves it aside to damaged/packs/ (exit 4 still: a set needs it); a second run changes
# nothing (exit 4); then --from a destination holding an intact copy brings it back
# (+packs/..): verify --read-data passes, every set restores, and the next run does nothing.
set -euo pipefail
. "$CAIRN_CLI_LIB"

make_repo
mkdir a b
gen_file a/one.bin 2M 1
gen_file b/two.bin 1M 2
backup a --source app >/dev/null
(cd "$CAIRN_REPO" && find packs -type f) >packs.app
assert_eq 1 "$(wc -l <packs.app)" "packs of the first backup"
rel=$(cat packs.app)
id=$(basename "$rel")
backup b --source db >/dev/null
app=$(set_ids app)
good=$PWD/good bad=$PWD/bad
cairn-push --all "file://$good" >/dev/null
cairn-push --all "file://$bad" >/dev/null
flip_byte "$bad/$rel" 200
flip_byte "$CAIRN_REPO/$rel" 300

before=$(repo_fingerprint)
expect_exit 4 cairn repair
assert_eq 1 "$(wc -l <last.stderr)" "stderr lines"
grep -q "pack $id cannot be repaired: its content does not match its name; sets ${app:0:12} need it; give --from DEST" last.stderr \
  || die "unexpected message: $(cat last.stderr)"
assert_eq "" "$(cat last.stdout)" "output"
assert_eq "$before" "$(repo_fingerprint)" "the repository after a refused repair"
echo "no copy: exit 4, one line naming the pack and the set, nothing changed"

expect_exit 4 cairn repair --from "file://$bad"
grep -q "the copy at 'file://$bad' does not match its name" last.stderr || die "unexpected message: $(cat last.stderr)"
assert_eq "$before" "$(repo_fingerprint)" "the repository after a damaged copy"
echo "a damaged copy at a destination is refused"

expect_exit 4 cairn repair --mark-lost
grep -q "pack $id cannot be repaired: .* it is recorded as lost" last.stderr || die "unexpected message: $(cat last.stderr)"
# each backup wrote one index file naming its one pack: the file goes, no new one is needed
grep -q '^-index/' last.stdout || die "the index file naming it stays: $(cat last.stdout)"
! grep -q 'packs/' last.stdout || die "a pack line was printed: $(cat last.stdout)"
[ -f "$CAIRN_REPO/damaged/packs/$id" ] || die "the pack was not moved aside"
[ ! -e "$CAIRN_REPO/$rel" ] || die "the pack is still in place"
cairn audit --json | grep -q "recorded packs/${id:0:2}/$id as lost (its content does not match its name)" \
  || die "no audit row for the lost pack"
cairn-restore db@latest --to "$PWD/out-db" 2>/dev/null
cmp b/two.bin out-db/two.bin
echo "--mark-lost: out of the index, moved aside, exit 4; the other set restores"

after=$(repo_fingerprint)
rows=$(cairn audit --json | grep -c '"command":"cairn repair"')
expect_exit 4 cairn repair --mark-lost
expect_stderr "pack $id cannot be repaired: it is not in storage; sets ${app:0:12} need it; it is recorded as lost"
assert_eq "" "$(cat last.stdout)" "a second run's output"
assert_eq "$after" "$(repo_fingerprint)" "the repository after a second run"
assert_eq "$rows" "$(cairn audit --json | grep -c '"command":"cairn repair"')" "audit rows after a second run"
echo "a second run changes nothing"

cairn repair --from "file://$bad" --from "file://$good" >back.out
assert_eq "+$rel" "$(head -n 1 back.out)" "the restored pack's line"
grep -q '^+index/' back.out || die "the pack was not indexed again: $(cat back.out)"
cmp "$good/$rel" "$CAIRN_REPO/$rel"
cairn audit --json | grep -q "restored $rel (it is not in storage) from 'file://$good'" || die "no audit row for the restore"
cairn-verify --read-data >/dev/null
cairn-restore app@latest --to "$PWD/out-app" 2>/dev/null
cmp a/one.bin out-app/one.bin
cairn repair --from "file://$good" >again.out
assert_eq "" "$(cat again.out)" "the run after"
echo "--from an intact copy: restored, verify --read-data passes, the set restores"
