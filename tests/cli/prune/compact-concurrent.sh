#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# Issue 16, compaction and a backup at the same time: cairn-prune --max-unused is stopped
# (CAIRN_TEST_PAUSE) after it read every set and chose the packs to rewrite; meanwhile a backup
# commits a set that deduplicates against chunks those packs hold and that no set needed when
# the prune read them. The move record does not list that set, so the old packs stay for it:
# after further prunes (grace 0) the set restores exactly and cairn-verify --read-data passes.
set -euo pipefail
# shellcheck source=../lib.sh
. "$CAIRN_CLI_LIB"
# shellcheck source=_common.sh
. "$(dirname "$0")/_common.sh"

compact_setup 8


# The prune drops d1..d4; their own files are then in no kept set.
CAIRN_TEST_PAUSE=rewrite-before-copy cairn-prune --grace-time 0 --max-unused 10% >paused.out 2>paused.err &
pid=$!
wait_stopped "$pid" paused.err
mkdir w
cp d1/own.bin d1/base/f1 w/
cp d2/own.bin w/own2.bin
(cd "$CAIRN_REPO" && find packs -type f -printf '%f\n' | sort) >packs.before
w=$(made_backup w web adhoc)
# It deduplicated: it needs packs that were there before it ran (its own new pack holds only
# its manifest).
"$CAIRN_PY" - "$CAIRN_CATALOG" "$w" <<'PY' | sort >packs.w
import sqlite3, sys
db = sqlite3.connect("file:" + sys.argv[1] + "?mode=ro", uri=True)
for (p,) in db.execute("SELECT pack_id FROM set_pack WHERE set_id = ?", (sys.argv[2],)):
    print(p)
PY
[ -n "$(comm -12 packs.before packs.w)" ] || die "the backup did not deduplicate against the old packs"
kill -CONT "$pid"
wait "$pid" || die "cairn-prune failed: $(tail -n 1 paused.err)"
grep -q '^+holds/' paused.out || die "no move record: $(cat paused.out)"
restores_equal "$w" w
echo "a backup committed while the compaction was stopped restores"

for run in 1 2 3; do
  mkdir "r$run" && gen_file "r$run/f" 4K "$((50 + run))" && made_backup "r$run" other adhoc >/dev/null
  cairn-prune --grace-time 0 --max-unused 10% >>prune.out 2>>prune.err ||
    die "cairn-prune failed: $(tail -n 1 prune.err)"
done
grep -q '^-packs/' prune.out || die "nothing was swept"
restores_equal "$w" w
verify_clean
check_all_restore
echo "after the sweeps it still restores; verify --read-data passes, every set restores"
