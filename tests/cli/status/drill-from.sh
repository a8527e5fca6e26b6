#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# An off-site drill counts (issue 13): cairn-verify --from DEST --drill records its result and
# measured restore time in the local catalog against DEST, and cairn status shows the newest
# drill per destination beside the RTO of the drilled set's class (table and JSON). A drill
# that fails at DEST (a damaged pack there) is recorded as failed: the destination's rto is
# violated and cairn status exits 5 naming it. The local repository's own drill is apart.
set -euo pipefail
# shellcheck source=../lib.sh
. "$CAIRN_CLI_LIB"
# shellcheck source=_common.sh
. "$CAIRN_CASE_DIR/_common.sh"

make_repo
mkdir app
gen_file app/data.bin 1M 3
gen_text app/notes.txt 200
status_policy '[class.daily]
rto = "1h"
verify-every = "7d"'
set=$(backup app --source app --class daily)
dest=file://$PWD/dest
cairn-push --all "$dest" >/dev/null

dest_field() {  # dest_field EXPR: over the cairn.status.destination/1 line of $dest (its
  # cairn.status.transfer/1 line, the push's, names it too)
  "$CAIRN_PY" - status.json "$dest" "$1" <<'PY'
import json, sys
path, dest, expr = sys.argv[1:]
rows = [json.loads(l) for l in open(path)]
hit = [r for r in rows if r.get("destination") == dest and r["schema"] == "cairn.status.destination/1"]
if len(hit) != 1:
    sys.exit("dest_field: %s is listed %d times" % (dest, len(hit)))
print(eval(expr, {"r": hit[0]}))
PY
}
table_cell() {  # table_cell N: column N of the destination's table row
  cairn status 2>/dev/null | awk -v d="$dest" -v n="$1" '$1 == d { print $n }'
}

status_json
assert_eq 0 "$(cat status.rc)" "exit status before any drill"
grep -q 'cairn.status.destination/1' status.json && die "a destination is listed before any drill there"
echo "no drill at the destination: not listed"

cairn-verify --from "$dest" --drill --json latest >verify.json 2>verify.err \
  || { cat verify.err >&2; die "the drill at the destination failed"; }
ms=$(drill_ms verify.json)
status_json
assert_eq 0 "$(cat status.rc)" "exit status after a good drill at the destination"
assert_eq "daily $set app True $ms ok ok" \
  "$(dest_field '"%s %s %s %s %d %s %s" % (r["class"], r["last_drill"]["set"], r["last_drill"]["source"], r["last_drill"]["ok"], round(r["last_drill"]["restore_seconds"] * 1000), r["objectives"]["rto"]["state"], r["objectives"]["verify"]["state"])')" \
  "the destination's drill in status --json"
assert_eq "None" "$(status_field app daily 'r["last_drill"]')" "the local repository's drill"
want="$(restore_cell "$ms")/1h"
assert_eq "daily app@${set:0:12} $want ok" "$(table_cell 2) $(table_cell 3) $(table_cell 5) $(table_cell 7)" \
  "the destination's row in the table"
echo "a drill at the destination: its restore time beside the rto"

# damage every pack at the destination: the drill there fails and is recorded as failed
for p in $(find "${dest#file://}/packs" -type f); do
  flip_byte "$p" $(($(stat -c %s "$p") / 2))
done
rc=0
cairn-verify --from "$dest" --drill latest >verify.out 2>verify.err || rc=$?
assert_eq 4 "$rc" "exit status of a failed drill at the destination"
status_json
assert_eq 5 "$(cat status.rc)" "exit status after a failed drill at the destination"
assert_eq "False None violated" \
  "$(dest_field '"%s %s %s" % (r["last_drill"]["ok"], r["last_drill"]["restore_seconds"], r["objectives"]["rto"]["state"])')" \
  "the failed drill in status --json"
grep -q "rto of destination '$dest'" status.err || { cat status.err >&2; die "stderr does not name the destination's rto"; }
assert_eq "failed/1h violated:rto" "$(table_cell 5) $(table_cell 7)" "the failed drill in the table"
echo "a failed drill at the destination: its rto violated, exit 5"
