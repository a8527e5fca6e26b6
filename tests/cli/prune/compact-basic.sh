#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# Issue 16, compaction: prune drops half the sets; --max-unused 10% rewrites the live chunks of
# the packs they left part used, then (one set later) the old packs are swept. The repository
# is smaller than a plain prune leaves it, cairn-verify --read-data passes and every kept set
# restores exactly. --dry-run says what it would do and changes nothing.
set -euo pipefail
# shellcheck source=../lib.sh
. "$CAIRN_CLI_LIB"
# shellcheck source=_common.sh
. "$(dirname "$0")/_common.sh"

compact_setup 8

# --dry-run: a plan line for the compaction, nothing changed.
before=$(repo_fingerprint)
cairn-prune --dry-run --max-unused 10% >dry.out
grep -Eq '^compact: would rewrite [1-9][0-9]* packs \([0-9]+ bytes of live chunks\) and free [1-9][0-9]* bytes once they are swept$' dry.out ||
  die "no compaction plan: $(cat dry.out)"
assert_eq "$before" "$(repo_fingerprint)" "the repository after --dry-run"
echo "--dry-run plans a compaction and changes nothing"

# A plain prune first (what today's cairn frees), then the compaction.
cairn-prune --grace-time 0 >prune.out 2>prune.err
mkdir n1 && gen_file n1/x 4K 1 && made_backup n1 other adhoc >/dev/null
cairn-prune --grace-time 0 >>prune.out 2>>prune.err
plain=$(packs_bytes)
cairn-prune -v --grace-time 0 --max-unused 10% --json >compact.out 2>compact.err
grep -q '"op":"+","path":"holds/' compact.out || die "no move record was written: $(cat compact.out)"
"$CAIRN_PY" - compact.out <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
ops = [r["path"].split("/")[0] for r in rows if r["type"] == "object" and r["op"] == "+"]
# upload-safe order: the new packs, their index file, then the move record
assert ops == sorted(ops, key=["packs", "index", "holds"].index), ops
s = [r for r in rows if r["type"] == "summary"][0]
assert s["compact_packs"] > 0 and s["rewrite_bytes"] > 0 and s["compact_free_bytes"] > 0, s
PY
grep -q 'compact: rewrote [1-9]' compact.err || die "no compaction line: $(cat compact.err)"
verify_clean
check_all_restore
echo "compaction: new packs, index file, move record; verify --read-data passes, sets restore"

# One set later the old packs go.
mkdir n2 && gen_file n2/x 4K 2 && made_backup n2 other adhoc >/dev/null
cairn-prune --grace-time 0 --max-unused 10% >sweep.out 2>sweep.err
grep -q '^-packs/' sweep.out || die "the old packs were not swept: $(cat sweep.out)"
after=$(packs_bytes)
[ "$after" -lt "$plain" ] || die "the packs hold $after bytes after compaction, $plain before"
verify_clean
check_all_restore
# Nothing more to do: a second compaction finds no pack worth rewriting.
cairn-prune --grace-time 0 --max-unused 10% >again.out 2>again.err
! grep -q '^+' again.out || die "a second compaction rewrote again: $(cat again.out)"
echo "the old packs are swept: the repository is smaller, verify passes, every set restores"
