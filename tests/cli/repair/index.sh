#!/usr/bin/env bash
# cairn repair, index files: one deleted and one with a flipped byte. --dry-run says what it
# would do and changes nothing; the repair writes one index file from the packs' own indexes
# (+index/..), then moves the damaged file aside to damaged/index/ (-index/..); its object
# lines feed cairn-push; the repository verifies --read-data and restores; the audit log names
# each repair; a second run does nothing.
set -euo pipefail
. "$CAIRN_CLI_LIB"

make_repo
mkdir a b
gen_file a/one.bin 2M 1
gen_file b/two.bin 2M 2
backup a --source app >/dev/null
backup b --source db >/dev/null
dest=$PWD/dest
cairn-push --all "file://$dest" >/dev/null
mapfile -t idx < <(ls "$CAIRN_REPO/index")
[ "${#idx[@]}" = 2 ] || die "expected two index files, found ${#idx[@]}"
rm "$CAIRN_REPO/index/${idx[0]}"
flip_byte "$CAIRN_REPO/index/${idx[1]}" 20
expect_exit 4 cairn-verify
expect_stderr "index file '${idx[1]}' is corrupt"
echo "damaged: verify exits 4"

before=$(repo_fingerprint)
cairn repair --dry-run >dry.out
grep -q "^would write an index file for 2 packs" dry.out || die "dry run: $(cat dry.out)"
grep -q "^would move the damaged index/${idx[1]} " dry.out || die "dry run: $(cat dry.out)"
assert_eq "$before" "$(repo_fingerprint)" "the repository after --dry-run"
echo "--dry-run: says what it would do, changes nothing"

(set -o pipefail && cairn repair | tee repair.out | cairn-push "file://$dest" >push.out)
assert_eq 2 "$(wc -l <repair.out)" "object lines"
grep -q '^+index/' repair.out || die "no new index file: $(cat repair.out)"
assert_eq "-index/${idx[1]}" "$(sed -n 2p repair.out)" "the damaged file's line"
[ -f "$CAIRN_REPO/damaged/index/${idx[1]}" ] || die "the damaged index file was not kept aside"
new=$(sed -n 's|^+index/||p' repair.out)
cmp "$CAIRN_REPO/index/$new" "$dest/index/$new" || die "cairn-push did not copy the new index file"
[ ! -e "$dest/index/${idx[1]}" ] || die "cairn-push kept the damaged index file's name"
echo "repair: +index, -index; cairn-push applies them"

cairn-verify --read-data >/dev/null
cairn-verify --from "file://$dest" --read-data >/dev/null
cairn-restore app@latest --to "$PWD/out" 2>/dev/null
cmp a/one.bin out/one.bin
echo "verify --read-data passes (here and at the destination); the set restores"

cairn audit --json >audit.json
grep -c '"command":"cairn repair"' audit.json >n || true
assert_eq 2 "$(cat n)" "audit rows of the repair"
grep -q "wrote index/$new from the trailing indexes of 2 packs" audit.json || die "audit: $(cat audit.json)"
grep -q "moved the damaged index/${idx[1]}" audit.json || die "audit: $(cat audit.json)"
echo "audit: one row per repair"

after=$(repo_fingerprint)
cairn repair >again.out
assert_eq "" "$(cat again.out)" "a second run's output"
assert_eq "$after" "$(repo_fingerprint)" "the repository after a second run"
cairn audit --json | grep -c '"command":"cairn repair"' >n2 || true
assert_eq 2 "$(cat n2)" "audit rows after a second run"
echo "a second run does nothing"
