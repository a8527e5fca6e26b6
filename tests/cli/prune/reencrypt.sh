#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# Issue 16, key rotation: cairn-prune --reencrypt rewrites every pack sealed to an older key
# generation (after cairn key rotate), bounded by --max-rewrite (one run rewrites part, the
# next goes on), survives a kill -9 between the new packs and the move record, and, once the
# old packs are swept, the leaked old key (a copy of the old slot) reads no chunk of any set
# while the current key restores every set and cairn-verify --read-data passes.
set -euo pipefail
# shellcheck source=../lib.sh
. "$CAIRN_CLI_LIB"
# shellcheck source=_common.sh
. "$(dirname "$0")/_common.sh"

prune_repo 256K
prune_policy 100 # every set is kept: only re-encryption frees packs
: >made
for i in 1 2 3; do
  mkdir "s$i" && gen_file "s$i/f.bin" 500K "$i" && gen_text "s$i/t.txt" 50
  made_backup "s$i" app adhoc >/dev/null
done
cp "$CAIRN_REPO"/keys/* old.slot # what leaks: the old slot and its passphrase
cairn key rotate >/dev/null 2>&1 || die "cairn key rotate failed"
# gen_packs N: how many packs generation N seals, as cairn key generations counts them
gen_packs() { cairn key generations | awk -v g="$1" '$1 == g { print $5 }'; }
old=$(gen_packs 0)
[ "$old" -ge 6 ] || die "expected several packs under generation 0, got $old"
echo "rotated: the packs of three sets are under generation 0"

# --dry-run says what it would do and changes nothing
cairn-prune --grace-time 0 --reencrypt --dry-run >dry.out 2>/dev/null
grep -q "^compact: would rewrite $old packs .*; $old of them under an older key$" dry.out ||
  die "dry run: $(grep compact dry.out)"
assert_eq "$old" "$(gen_packs 0)" "packs under generation 0 after --dry-run"

# a bounded run rewrites part and says what is left; a kill -9 before the move record loses nothing
cairn-prune -v --grace-time 0 --reencrypt --max-rewrite 600K >run1.out 2>run1.err ||
  die "prune --reencrypt failed: $(tail -n 1 run1.err)"
grep -q 'more packs left to the next run (--max-rewrite)' run1.err || die "run 1: $(grep compact run1.err)"
# the audit log says the packs were re-encrypted (how many, and how many under an older key)
cairn audit | grep -qE " ok +cairn-prune --reencrypt rewrites [1-9][0-9]* packs into [1-9][0-9]* \(holds/[0-9a-f]{64}; [1-9][0-9]* under an older key\)$" ||
  die "no audit row for the rewrite: $(cairn audit | tail -n 3)"
CAIRN_TEST_PAUSE=rewrite-before-record cairn-prune --grace-time 0 --reencrypt >killed.out 2>killed.err &
pid=$!
wait_stopped "$pid" killed.err
kill -9 "$pid"
wait "$pid" || true
check_all_restore
echo "a bounded run, then a run killed before its move record: every set restores"

# runs until nothing is left under generation 0: a backup between runs (the grace rule)
for run in 1 2 3 4 5; do
  [ "$(gen_packs 0)" = 0 ] && break
  mkdir "r$run" && gen_file "r$run/f" 4K "$((40 + run))" && made_backup "r$run" other adhoc >/dev/null
  cairn-prune --grace-time 0 --reencrypt >>prune.out 2>>prune.err || die "prune: $(tail -n 1 prune.err)"
done
assert_eq 0 "$(gen_packs 0)" "packs under generation 0 at the end"
grep -q '^-packs/' prune.out || die "no old pack was swept"
verify_clean
check_all_restore
echo "re-encrypted and swept: no pack under the old key; verify --read-data passes, every set restores"

first=$(head -n 1 made | cut -d' ' -f1)
rc=0
CAIRN_KEY_FILE=$PWD/old.slot cairn-restore "$first" --to "$PWD/leak" 2>leak.err || rc=$?
assert_eq 4 "$rc" "the old key restoring a set written before the rotation"
[ ! -e leak/f.bin ] || die "the old key restored file content"
echo "the leaked old key reads no chunk of the oldest set"
