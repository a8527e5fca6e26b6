#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# Issue 19, erasure: cairn erase removes alice's files (a directory, a glob and a hard link to
# one of them) from three sets (a full set and an incremental chain). Each set is rewritten
# under its source, class, kind and snapshot time, the child's parent is its rewritten parent,
# and the old set objects are gone; every set restores exactly the tree it was made from
# without the erased files. cairn-verify --absent lists the matches before and finds none
# after. Then compaction (cairn-prune --max-unused 0%) and the sweep one set later leave no
# pack whose plaintext (every blob decrypted with the full key) holds the erased contents or
# paths, here and at a destination that followed every step through cairn-push, while
# verify --read-data passes and every set still restores.
set -euo pipefail
# shellcheck source=../lib.sh
. "$CAIRN_CLI_LIB"
# shellcheck source=_erase.sh
. "$CAIRN_CASE_DIR/_erase.sh"
command -v cairn-test-tool >/dev/null || skip "cairn-test-tool is not built"

make_repo "$PWD/repo" --chunk-min 64K --chunk-avg 128K --chunk-max 256K --pack-size 256K
erase_tree src
grep_packs() { cairn-test-tool pack-grep "${2:-$CAIRN_REPO}" - "$CAIRN_PASSPHRASE_FILE" "$1"; }
dest=$PWD/dest
push() { cairn-push "$dest" <"$1" >>push.out 2>>push.err || { cat push.err >&2; die "cairn-push <$1 failed"; }; }

s1=$(backup src --source home --class daily -- --full)
cp -a src state1
printf 'bob changed his notes\n' >src/home/bob/notes.txt
gen_file src/records/new.bin 64K 11
s2=$(backup src --source home --class daily)
cp -a src state2
printf 'the records folder, again\n' >src/records/readme.txt
s3=$(backup src --source home --class daily)
cp -a src state3
cairn tag "$s2" +monthly >/dev/null
cairn-push --all "$dest" >/dev/null 2>push.err
for s in 1 2 3; do expected_after_erase "state$s" "expect$s"; done

# Before: verify --absent lists every match (3 sets x 5 entries) and fails.
expect_exit 1 cairn-verify --absent home/alice '*.ssn'
expect_stderr '^cairn-verify: error: 3 of the 3 sets hold 12 paths matching \(listed on stdout\)'
[ "$(wc -l <last.stdout)" = 12 ] || die "verify --absent listed: $(cat last.stdout)"
for where in "$CAIRN_REPO" "$dest"; do
  grep_packs ALICE-SECRET-NOTES "$where" >grep.before || true
  grep -q ' [1-9][0-9]* hold it$' grep.before || die "the packs in $where do not hold the secret before: $(cat grep.before)"
done
echo "before: verify --absent lists 12 matches in 3 sets, the packs hold the secret"

# The source loses alice's data; erase it from the sets.
rm -rf src/home/alice src/home/zlink src/records/1234.ssn
old_sets=$(find repo/sets -type f | sort)
expect_exit 0 cairn erase home/alice '*.ssn'
[ ! -s last.stderr ] || die "erase said on stderr: $(cat last.stderr)"
grep -q '^+holds/' last.stdout || die "erase printed no erasure record: $(cat last.stdout)"
push last.stdout
mapfile -t new < <(set_ids home)
[ "${#new[@]}" = 3 ] || die "after erase, source home has ${#new[@]} sets: ${new[*]}"
for s in "$s1" "$s2" "$s3"; do
  [ -z "$(find repo/sets -name "$s")" ] || die "old set $s is still in the repository"
  grep -qx -- "-sets/$s" last.stdout || die "erase did not print -sets/$s for cairn-push"
done
for n in "${new[@]}"; do grep -qx -- "+sets/$n" last.stdout || die "erase did not print +sets/$n"; done
[ "$(find repo/sets -type f | sort)" != "$old_sets" ] || die "the set objects did not change"
# Same source, class, kind and snapshot time, in the same order; the chain follows.
assert_eq "full incremental incremental" "$(for n in "${new[@]}"; do ls_field "$n" kind; done | xargs)" "kinds"
for n in "${new[@]}"; do assert_eq daily "$(ls_field "$n" class)" "class"; done
assert_eq "${new[0]}" "$(ls_field "${new[1]}" parent)" "the second set's parent"
assert_eq "${new[1]}" "$(ls_field "${new[2]}" parent)" "the third set's parent"
cairn ls --tag monthly --json >tagged.json
grep -q "\"${new[1]}\"" tagged.json || die "the second set lost its tag"
echo "erase: three sets rewritten (same kinds, class, tag), old set objects removed"

expect_exit 0 cairn-verify --absent home/alice '*.ssn'
[ ! -s last.stdout ] || die "verify --absent found: $(cat last.stdout)"
expect_exit 0 cairn-verify
i=0
for n in "${new[@]}"; do i=$((i + 1)); restores_as "$n" "expect$i"; done
cairn audit --json >audit.json
grep -q '"command":"cairn erase: 2 patterns (keyed hashes [0-9a-f]* [0-9a-f]*)","outcome":"ok: 15 entries erased from 3 of 3 sets: ' audit.json \
  || die "no audit row: $(cat audit.json)"
! grep -q 'alice\|ssn' audit.json || die "the audit log names the pattern"
echo "after: verify --absent finds nothing, verify passes, every set restores without the erased files, one audit row"

# Compaction frees the bytes: a prune with --max-unused 0% rewrites the packs, a backup later
# the next sweeps the old ones. Then no pack's plaintext holds the secrets or alice's paths.
printf '[class.daily]\nkeep-last = 10\n' >policy.toml
export CAIRN_POLICY=$PWD/policy.toml
cairn-prune --grace-time 0 --max-unused 0% >prune1.out 2>prune1.err
push prune1.out
s4=$(backup src --source home --class daily)
push pack.out
cairn-prune --grace-time 0 --max-unused 0% >prune2.out 2>prune2.err
push prune2.out
grep -q '^-packs/' prune1.out prune2.out || die "no pack was swept: $(cat prune1.out prune2.out)"
for where in "$CAIRN_REPO" "$dest"; do
  for needle in ALICE-SECRET-NOTES SSN-SECRET-1234 home/alice 1234.ssn; do
    grep_packs "$needle" "$where" >grep.after || die "a pack in $where still holds '$needle': $(cat grep.after)"
  done
  grep -q ' 0 hold it$' grep.after || die "pack-grep: $(cat grep.after)"
done
assert_eq "$(cd repo && find packs sets -type f | sort)" "$(cd dest && find packs sets -type f | sort)" "the destination's packs and sets"
cairn-verify --read-data >verify.out 2>verify.err || { cat verify.out verify.err >&2; die "verify --read-data failed after compaction"; }
i=0
for n in "${new[@]}"; do i=$((i + 1)); restores_as "$n" "expect$i"; done
restores_as "$s4" src
echo "compaction: no pack (here and at the destination, through cairn-push) holds the erased contents or paths; verify --read-data passes, every set restores"
