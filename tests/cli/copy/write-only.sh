#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# Copying needs only write rights on the target: with a write-only key file of the target
# (cairn key export --write-only) two sets are copied, held and tagged as in the source, and a
# rerun with that key skips them (it reads the copy marks in the set headers). With the full
# key the target then verifies with --read-data and the copies restore identical.
set -euo pipefail
# shellcheck source=../lib.sh
. "$CAIRN_CLI_LIB"
# shellcheck source=_common.sh
. "$(dirname "$0")/_common.sh"

copy_repos
on_target cairn key export --write-only --new-passphrase-file "$CAIRN_TO_PASSPHRASE_FILE" \
  "$PWD/wo.key" 2>/dev/null
mkdir src && gen_file src/a.bin 1M 1 && gen_text src/b.txt 2000
s1=$(backup src --source app --tag t1)
cairn hold "$s1" --reason legal >/dev/null
gen_file src/c.bin 300K 2
s2=$(backup src --source app)

cairn copy "$s2" "$s1" --to-key-file "$PWD/wo.key" >copy.out 2>copy.err \
  || die "copy with a write-only key failed: $(cat copy.err)"
assert_eq "$s1 $s2" "$(cut -d' ' -f1 copy.out | tr '\n' ' ' | sed 's/ $//')" "sets copied, oldest first"
echo "copied with a write-only key"
before=$(repo_fingerprint "$CAIRN_TO_REPO")
cairn copy "$s1" "$s2" --to-key-file "$PWD/wo.key" >again.out 2>again.err \
  || die "the rerun failed: $(cat again.err)"
diff copy.out again.out >&2 || die "the rerun printed other sets"
assert_eq "$before" "$(repo_fingerprint "$CAIRN_TO_REPO")" "the target after the rerun"
echo "rerun with a write-only key skips both"

rm -f "$CAIRN_TO_CATALOG"  # the full key's view, from the set objects
on_target ls_json_fields source legal_hold hold_reason tags >target.ls
printf "%s\n" "app True legal ['t1']" "app False  []" >want.ls
diff want.ls target.ls >&2 || die "the target's sets lack their hold or tags"
on_target cairn-verify --read-data >/dev/null 2>verify.err || die "target verify: $(cat verify.err)"
t2=$(sed -n 2p copy.out | cut -d' ' -f2)
on_target cairn-restore "$t2" --to "$PWD/out"
compare_trees --no-dir-mtime src out
echo "target verifies and restores"
