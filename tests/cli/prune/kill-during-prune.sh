#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# kill -9 of cairn-prune at random points: after each kill every set the catalog still lists
# restores bit for bit and a new backup works; running prune again (with a new set in
# between, a new generation) converges to the same result as a run that was never killed:
# the same sets kept, every dropped set's objects gone, and nothing left to do.
set -euo pipefail
# shellcheck source=../lib.sh
. "$CAIRN_CLI_LIB"
# shellcheck source=_common.sh
. "$(dirname "$0")/_common.sh"

prune_repo
prune_policy 3
: >made
for i in $(seq 1 12); do
  mkdir "d$i"
  gen_file "d$i/data.bin" 300K "$i"
  gen_text "d$i/notes.txt" 200
  made_backup "d$i" app daily >/dev/null
done
expected=$(set_ids app | tail -n 3)
echo "12 daily sets"

killed=0
for delay in 0.01 0.03 0.06 0.1 0.15 0.2 0.$((RANDOM % 10)); do
  cairn-prune --grace-time 0 >>prune.out 2>>prune.err &
  pid=$!
  sleep "$delay"
  if kill -9 "$pid" 2>/dev/null; then killed=$((killed + 1)); fi
  wait "$pid" || true
  check_all_restore
  mkdir "n$delay" && gen_file "n$delay/x.bin" 20K "$RANDOM"
  made_backup "n$delay" web adhoc >/dev/null
done
echo "after each kill every listed set restores and backups go on"
[ "$killed" -ge 1 ] || echo "note: cairn-prune always finished before the kill" >&2

for run in 1 2 3; do
  cairn-prune --grace-time 0 >>prune.out 2>>prune.err || die "cairn-prune failed: $(tail -n 1 prune.err)"
  mkdir "r$run" && gen_file "r$run/x.bin" 20K "$((500 + run))"
  made_backup "r$run" web adhoc >/dev/null
done
cairn-prune --grace-time 0 >>prune.out
cairn-prune --grace-time 0 >last.out
[ ! -s last.out ] || die "prune has not converged: $(head -n 3 last.out)"
assert_eq "$expected" "$(set_ids app)" "the daily sets kept"
for i in $(seq 1 9); do
  id=$(awk -v d="d$i" '$2 == d { print $1 }' made)
  [ ! -e "$CAIRN_REPO/sets/$id" ] || die "dropped set d$i is still in the repository"
done
check_all_restore
# Every pack left is one a set needs: the dropped sets' data is gone.
packs=$(find "$CAIRN_REPO/packs" -type f | wc -l)
needed=$(for id in $(set_ids); do "$CAIRN_PY" - "$CAIRN_CATALOG" "$id" <<'PY'
import sqlite3, sys
db = sqlite3.connect("file:" + sys.argv[1] + "?mode=ro", uri=True)
for (p,) in db.execute("SELECT pack_id FROM set_pack WHERE set_id = ?", (sys.argv[2],)):
    print(p)
PY
done | sort -u | wc -l)
assert_eq "$needed" "$packs" "packs in the repository (every one needed by a kept set)"
echo "converged: the same sets kept, every dropped set's packs gone, nothing left to do"
