#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# Issue 16, compaction: a move record written by hand is never believed. One signed with an
# admin key that is not the repository's, and one signed with the right key whose new pack does
# not hold the chunks it names, each: cairn-verify names it (exit 4), cairn-prune warns, exits
# 3 and deletes no pack (the old pack, which a kept set still needs, stays), and every set
# restores. Once the record is removed, prune works again.
set -euo pipefail
# shellcheck source=../lib.sh
. "$CAIRN_CLI_LIB"
# shellcheck source=_common.sh
. "$(dirname "$0")/_common.sh"

compact_setup 6
cairn-prune --grace-time 0 >/dev/null 2>prune.err   # drops d1, d2 (their packs stay: kept sets need them)
# FROM: a pack the first kept set needs; TO: another pack (which holds none of FROM's chunks).
keep=$(set_ids app | sed -n 1p) # sed reads to the end: head could close the pipe under python
mapfile -t packs < <("$CAIRN_PY" - "$CAIRN_CATALOG" "$keep" <<'PY'
import sqlite3, sys
db = sqlite3.connect("file:" + sys.argv[1] + "?mode=ro", uri=True)
for (p,) in db.execute("SELECT pack_id FROM set_pack WHERE set_id = ? ORDER BY pack_id", (sys.argv[2],)):
    print(p)
PY
)
[ "${#packs[@]}" -ge 2 ] || die "set $keep needs ${#packs[@]} packs, the test needs two"
from=${packs[0]} to=${packs[1]}
helper=$CAIRN_HELPER_BIN/cairn-test-tool

for mode in foreign uncovered; do
  record=$("$helper" forge-move "$CAIRN_REPO" - "$CAIRN_PASSPHRASE_FILE" "$mode" "$from" "$to")
  expect_exit 4 cairn-verify
  grep -q "${record#holds/}" last.stdout last.stderr || die "verify does not name the $mode record: $(cat last.stdout last.stderr)"
  for run in 1 2; do
    mkdir "x$mode$run" && gen_file "x$mode$run/f" 4K "$run" && made_backup "x$mode$run" other adhoc >/dev/null
    expect_exit 3 cairn-prune --grace-time 0 --max-unused 10%
    grep -q "move record ${record#holds/}" last.stderr || die "prune does not name the $mode record: $(cat last.stderr)"
    ! grep -q '^[+-]' last.stdout || die "prune changed the repository beside a $mode record: $(cat last.stdout)"
  done
  [ -e "$CAIRN_REPO/packs/${from:0:2}/$from" ] || die "pack $from was swept on a $mode record"
  check_all_restore
  rm "$CAIRN_REPO/$record"
  echo "$mode move record: verify exits 4, prune deletes nothing, every set restores"
done
cairn-prune --grace-time 0 >prune.out 2>prune.err || die "prune fails once the record is gone: $(tail -n 1 prune.err)"
verify_clean
echo "without the record prune works and verify passes"
