#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# A restore drill records its measured restore time; cairn status shows it beside the class's
# RTO (table, JSON and Prometheus agree with what cairn-verify --drill measured). Before any
# drill the RTO is unknown, not violated; a drill that fails violates it (exit 5).
set -euo pipefail
# shellcheck source=../lib.sh
. "$CAIRN_CLI_LIB"
# shellcheck source=_common.sh
. "$CAIRN_CASE_DIR/_common.sh"

make_repo
mkdir app
gen_file app/data.bin 2M 3
gen_text app/notes.txt 500
status_policy '[class.daily]
rpo = "1d"
rto = "1h"
verify-every = "7d"'
set=$(backup app --source app --class daily)

status_json
assert_eq 0 "$(cat status.rc)" "exit status before any drill"
assert_eq "unknown None" "$(status_field app daily 'r["objectives"]["rto"]["state"] + " " + str(r["last_drill"])')" "rto before a drill"
assert_eq "-/1h" "$(cairn status | awk '$1 == "app" { print $7 }')" "DRILL/RTO before a drill"
echo "no drill yet: rto unknown, exit 0"

cairn-verify --drill --json "$set" >verify.json 2>verify.err || { cat verify.err >&2; die "the drill failed"; }
ms=$(drill_ms verify.json)
status_json
assert_eq 0 "$(cat status.rc)" "exit status after a good drill"
assert_eq "True $ms ok" "$(status_field app daily '"%s %d %s" % (r["last_drill"]["ok"], round(r["last_drill"]["restore_seconds"] * 1000), r["objectives"]["rto"]["state"])')" "drill in status --json"
assert_eq "ok" "$(status_field app daily 'r["objectives"]["verify"]["state"]')" "verify cadence after the drill"
want="$(restore_cell "$ms")/1h"
assert_eq "$want" "$(cairn status | awk '$1 == "app" { print $7 }')" "DRILL/RTO after the drill"
cairn status --prometheus metrics.prom >/dev/null
grep -q '^cairn_last_drill_restore_seconds{source="app",class="daily"} ' metrics.prom || die "no drill metric"
assert_eq "$ms" "$(awk '/^cairn_last_drill_restore_seconds/ { printf "%d", $2 * 1000 + 0.5 }' metrics.prom)" "drill metric"
assert_eq 3600 "$(awk '/^cairn_rto_seconds/ { print $2 }' metrics.prom)" "rto metric"
echo "drill: restore time beside the rto"

# damage every pack: the next drill fails, and a failed drill violates the RTO
for p in $(find "$CAIRN_REPO/packs" -type f); do
  printf 'XXXX' | dd of="$p" bs=1 seek=100 conv=notrunc status=none
done
rc=0
cairn-verify --drill "$set" >/dev/null 2>&1 || rc=$?
[ "$rc" = 4 ] || die "cairn-verify --drill of a damaged repository exited $rc, expected 4"
status_json
assert_eq 5 "$(cat status.rc)" "exit status after a failed drill"
assert_eq "False violated" "$(status_field app daily '"%s %s" % (r["last_drill"]["ok"], r["objectives"]["rto"]["state"])')" "failed drill"
grep -q "rto of 'app' (daily)" status.err || { cat status.err >&2; die "stderr does not name the rto of app"; }
echo "a failed drill: rto violated, exit 5"
