#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# cairn copy --all: three sets (the first tagged at backup and by a tag record, the second
# under a legal hold placed later, the third incremental on the second) go into a repository
# with other keys and other chunking. Both repositories verify with --read-data; every copy
# restores byte and attribute identical to its source set; the target's catalog shows each
# set's time, source, host, class, kind, tags and hold as the source's does, and each copy's
# parent is the copy of its parent. A second run copies nothing and writes nothing.
set -euo pipefail
# shellcheck source=../lib.sh
. "$CAIRN_CLI_LIB"
# shellcheck source=_common.sh
. "$(dirname "$0")/_common.sh"

copy_repos
src=$PWD/src
if is_root; then make_tree "$src"; else make_tree "$src" --no-special; fi
gen_file "$src/data/big.bin" 3M 7
s1=$(backup "$src" --source app --class monthly --tag first)
cairn tag "$s1" +kept >/dev/null
printf 'changed\n' >"$src/docs/changed.txt"
s2=$(backup "$src" --source app --class daily)
cairn hold "$s2" --reason "case 42" >/dev/null
gen_file "$src/data/more.bin" 1M 8
s3=$(backup "$src" --source app --class daily)

cairn copy --all >copy.out 2>copy.err || die "cairn copy failed: $(cat copy.err)"
assert_eq 3 "$(wc -l <copy.out)" "lines printed"
assert_eq "$s1 $s2 $s3" "$(cut -d' ' -f1 copy.out | tr '\n' ' ' | sed 's/ $//')" "sets copied, oldest first"
echo "3 sets copied"

fields=(time source host class kind files bytes_read legal_hold hold_reason tags)
ls_json_fields "${fields[@]}" >source.ls
on_target ls_json_fields "${fields[@]}" >target.ls
diff source.ls target.ls >&2 || die "the target's sets differ from the source's"
grep -c "True case 42" target.ls | grep -x 1 >/dev/null || die "the hold did not come along: $(cat target.ls)"
grep "'first', 'kept'" target.ls >/dev/null || die "the tags did not come along: $(cat target.ls)"
echo "metadata kept"

# each copy's parent is the copy of its parent
on_target ls_json_fields id parent >target.parents
t1=$(sed -n 1p copy.out | cut -d' ' -f2)
t2=$(sed -n 2p copy.out | cut -d' ' -f2)
t3=$(sed -n 3p copy.out | cut -d' ' -f2)
assert_eq "$t2 $t1" "$(sed -n 2p target.parents)" "parent of the second copy"
assert_eq "$t3 $t2" "$(sed -n 3p target.parents)" "parent of the third copy"

cairn-verify --read-data >/dev/null 2>verify-source.err || die "source verify: $(cat verify-source.err)"
on_target cairn-verify --read-data >/dev/null 2>verify-target.err || die "target verify: $(cat verify-target.err)"
echo "both verify"

for i in 1 2 3; do
  s=$(sed -n "${i}p" copy.out | cut -d' ' -f1)
  t=$(sed -n "${i}p" copy.out | cut -d' ' -f2)
  cairn-restore "$s" --special --to "$PWD/from-source-$i"
  on_target cairn-restore "$t" --special --to "$PWD/from-target-$i"
  compare_trees "$PWD/from-source-$i" "$PWD/from-target-$i"
done
compare_trees "$src" "$PWD/from-target-3"
echo "restores identical"

before=$(repo_fingerprint "$CAIRN_TO_REPO")
cairn copy --all >again.out 2>again.err || die "the second copy failed: $(cat again.err)"
diff copy.out again.out >&2 || die "the second run printed other sets"
assert_eq "$before" "$(repo_fingerprint "$CAIRN_TO_REPO")" "the target after a second run"
assert_eq 3 "$(ls "$CAIRN_TO_REPO"/sets | wc -l)" "set objects in the target"
echo "second run copies nothing"
