#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# Issue 16, compaction: cairn-prune --max-unused killed (kill -9) while it copies live chunks
# and again after the new packs and index file, before the move record: every kept set still
# restores, and prune run again (a set later) compacts, sweeps and leaves a repository that
# cairn-verify --read-data passes, with every kept set restoring.
set -euo pipefail
# shellcheck source=../lib.sh
. "$CAIRN_CLI_LIB"
# shellcheck source=_common.sh
. "$(dirname "$0")/_common.sh"

compact_setup 8
cairn-prune --grace-time 0 >/dev/null 2>prune.err


n=0
for point in rewrite-before-copy rewrite-before-record; do
  CAIRN_TEST_PAUSE=$point cairn-prune --grace-time 0 --max-unused 10% >killed.out 2>killed.err &
  pid=$!
  wait_stopped "$pid" killed.err
  kill -9 "$pid"
  wait "$pid" || true
  check_all_restore
  n=$((n + 1))
  mkdir "k$n" && gen_file "k$n/f" 4K "$n" && made_backup "k$n" other adhoc >/dev/null
  echo "killed at $point: every set restores"
done
grep -q '^+packs/' killed.out || die "the second run wrote no pack before it was killed"

for run in 1 2; do
  cairn-prune --grace-time 0 --max-unused 10% >>prune.out 2>>prune.err ||
    die "cairn-prune failed: $(tail -n 1 prune.err)"
  mkdir "r$run" && gen_file "r$run/f" 4K "$((50 + run))" && made_backup "r$run" other adhoc >/dev/null
done
cairn-prune --grace-time 0 >>prune.out 2>>prune.err
grep -q '^+holds/' prune.out || die "no move record after the kills: $(cat prune.out)"
grep -q '^-packs/' prune.out || die "nothing was swept after the kills"
verify_clean
check_all_restore
echo "prune run again compacts and sweeps; verify --read-data passes and every set restores"
