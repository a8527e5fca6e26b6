#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# cairn-prune runs again and again while cairn-pack stores sets that deduplicate against the
# packs of the sets prune drops: no lock is taken, no backup fails, and afterwards every set
# restores bit for bit (a pack is never deleted while a set references it). The grace time
# (2s) is longer than any one of these backups, as --grace-time must be in production. Then
# prune converges: a last run has nothing left to do.
set -euo pipefail
# shellcheck source=../lib.sh
. "$CAIRN_CLI_LIB"
# shellcheck source=_common.sh
. "$(dirname "$0")/_common.sh"

prune_repo
prune_policy 2
: >made
for i in 1 2 3 4; do
  mkdir "d$i"
  gen_file "d$i/data.bin" 1M "$i"
  gen_file "d$i/own.bin" 300K "$((50 + i))"
  made_backup "d$i" app daily >/dev/null
done
echo "4 daily sets"

# The writer: sets of another source (its class is not in the policy: kept) that share the
# content of the daily sets prune drops, one after the other.
(
  for j in 1 2 3 4 5 6; do
    mkdir "w$j"
    cp "d$(( (j - 1) % 2 + 1 ))/data.bin" "w$j/shared.bin"
    gen_file "w$j/own.bin" 200K "$((100 + j))"
    made_backup "w$j" web adhoc >/dev/null
  done
) >writer.out 2>writer.err &
writer=$!

runs=0
while kill -0 "$writer" 2>/dev/null; do
  cairn-prune --grace-time 2s >>prune.out 2>>prune.err || die "cairn-prune failed: $(tail -n 1 prune.err)"
  runs=$((runs + 1))
done
wait "$writer" || { sed 's/^/  | /' writer.err >&2; die "a backup failed while prune ran"; }
[ "$runs" -ge 2 ] || echo "note: prune ran only $runs times during the backups" >&2
echo "backups and prunes ran side by side"

assert_eq 8 "$(set_ids | wc -l)" "sets kept (2 daily, 6 web)"
check_all_restore
echo "every kept set restores"

# Converge (no backup runs now: no grace time needed): a new set is a new generation; then
# nothing is left to do.
mkdir last && gen_file last/x.bin 10K 999 && made_backup last web adhoc >/dev/null
cairn-prune --grace-time 0 >sweep.out
grep -q '^-packs/' prune.out sweep.out || die "no pack was ever swept"
while read -r line; do
  [ ! -e "$CAIRN_REPO/${line#-}" ] || die "'$line' was printed but the file is still there"
done < <(grep -h '^-' prune.out sweep.out)
cairn-prune --grace-time 0 >again.out
[ ! -s again.out ] || die "a second run still changed: $(head -n 3 again.out)"
check_all_restore
echo "converged; every set still restores"
