#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# cairn erase killed (kill -9, CAIRN_TEST_KILL_AT=erase-set-written) once the first set is
# rewritten: the catalog lists the rewritten set and the two old ones, all restore, and the
# old object of the rewritten set is still there (verify --absent finds it). Running the same
# erase again finishes the job: the leftover object is removed (its "-sets/" line printed for
# cairn-push), the other two sets are rewritten with the first one's rewrite as their parent
# (an incremental and a differential set), and verify --absent and cairn-verify pass.
set -euo pipefail
# shellcheck source=../lib.sh
. "$CAIRN_CLI_LIB"
# shellcheck source=_erase.sh
. "$CAIRN_CASE_DIR/_erase.sh"

make_repo
erase_tree src
s1=$(backup src --source home -- --full)
s2=$(backup src --source home)
s3=$(backup src --source home -- --differential)
expected_after_erase src expect

CAIRN_TEST_KILL_AT=erase-set-written expect_exit 137 cairn erase home/alice '*.ssn'
[ ! -s last.stderr ] || die "the killed erase said: $(cat last.stderr)"
mapfile -t sets < <(set_ids home)
[ "${#sets[@]}" = 3 ] || die "after the kill home has ${#sets[@]} sets"
first=${sets[0]}
[ "$first" != "$s1" ] || die "the first set was not rewritten before the kill"
assert_eq "$s2 $s3" "${sets[1]} ${sets[2]}" "the sets not yet rewritten"
[ -e "$CAIRN_REPO/sets/$s1" ] || die "the old first set is already gone"
restores_as "$first" expect
restores_as "$s3" src
expect_exit 1 cairn-verify --absent home/alice
expect_stderr '^cairn-verify: error: 3 of the 4 sets hold 9 paths matching'
echo "killed after the first rewrite: the catalog lists it and the two others, all restore"

expect_exit 0 cairn erase home/alice '*.ssn'
for s in "$s1" "$s2" "$s3"; do
  grep -qx -- "-sets/$s" last.stdout || die "the rerun did not print -sets/$s: $(cat last.stdout)"
  [ ! -e "$CAIRN_REPO/sets/$s" ] || die "old set $s is still in the repository"
done
mapfile -t new < <(set_ids home)
assert_eq "$first" "${new[0]}" "the first set"
assert_eq "full incremental differential" "$(for n in "${new[@]}"; do ls_field "$n" kind; done | xargs)" "kinds"
assert_eq "$first" "$(ls_field "${new[1]}" parent)" "the incremental set's parent"
assert_eq "$first" "$(ls_field "${new[2]}" parent)" "the differential set's parent"
expect_exit 0 cairn-verify --absent home/alice '*.ssn'
expect_exit 0 cairn-verify
for n in "${new[@]}"; do restores_as "$n" expect; done
echo "the rerun finishes: the leftover removed, the others rewritten under the new parent, verify passes"
