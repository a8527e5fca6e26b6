#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# cairn status: one row per source and class against the policy's RPO; exit 0 while every
# objective holds; a source whose newest set is older than its RPO makes it exit 5, naming
# the source on stderr and in a "violated:" line; a failed cairn-pack counts against the
# success rate; a class the policy does not name is reported with a warning, not violated.
set -euo pipefail
# shellcheck source=../lib.sh
. "$CAIRN_CLI_LIB"
# shellcheck source=_common.sh
. "$CAIRN_CASE_DIR/_common.sh"

make_repo
mkdir web db old
gen_file web/a.bin 300K 1
gen_text db/dump.sql 200
gen_text old/notes.txt 20
status_policy '[class.daily]
rpo = "1d"
[class.hourly]
rpo = "2h"'

backup web --source web --class daily >/dev/null
backup db --source db --class hourly >/dev/null
rc=0
cairn status >status.out 2>status.err || rc=$?
assert_eq 0 "$rc" "exit status with fresh sources"
[ ! -s status.err ] || { cat status.err >&2; die "cairn status wrote to stderr"; }
header=$(head -n 1 status.out)
for col in SOURCE CLASS LAST-SET AGE/RPO RATE VERIFIED/EVERY DRILL/RTO STORED DEDUP GROWTH/DAY COPIES STATUS; do
  printf '%s\n' "$header" | grep -qw -- "$col" || die "the header has no $col column: $header"
done
assert_eq 4 "$(wc -l <status.out)" "lines (header, 2 rows, summary)"
awk 'NR == 2 || NR == 3 { print $1, $2, $NF }' status.out >rows
printf '%s\n' "db hourly ok" "web daily ok" | diff -u - rows >&2 || die "rows"
awk 'NR == 3 { print $4, $5 }' status.out | grep -Eq '^[0-9]+s/1d 100%$' || die "web: AGE/RPO and RATE: $(sed -n 3p status.out)"
assert_eq "0 objectives violated" "$(tail -n 1 status.out)" "summary line"
echo "fresh sources: exit 0, one ok row each"

# a pack that fails after reading the header (no trailer) is a failed run of web/daily
cairn-snap web --source web --class daily | head -n -1 >cut.stream
if cairn-pack <cut.stream >/dev/null 2>&1; then die "cairn-pack accepted a stream without its trailer"; fi
status_json
assert_eq 0 "$(cat status.rc)" "exit status after a failed pack"
assert_eq "1 1 0.5" "$(status_field web daily '"%d %d %s" % (r["runs_30d"]["ok"], r["runs_30d"]["failed"], r["success_rate"])')" "web runs"
assert_eq "1 None" "$(status_field db hourly '"%d %s" % (r["runs_30d"]["ok"], r["runs_30d"]["failed"] or None)')" "db runs"
cairn status | awk '$1 == "web" { print $5 }' | grep -qx '50%' || die "the table does not show web's 50% success rate"
echo "a failed pack halves the success rate"

# a source whose newest set is two days old: RPO of one day violated
aged_backup old old daily $((2 * 86400)) >/dev/null
rc=0
cairn status >status.out 2>status.err || rc=$?
assert_eq 5 "$rc" "exit status with a stale source"
grep -q "^old  *daily .* violated:rpo\$" status.out || { cat status.out >&2; die "no violated row for old"; }
grep -q "^violated: rpo of 'old' (daily): newest good set is 2d old, rpo 1d\$" status.out \
  || { cat status.out >&2; die "no violated: line naming old"; }
assert_eq "1 objective violated" "$(tail -n 1 status.out)" "summary line"
assert_eq "cairn: error: 1 objective violated: rpo of 'old' (daily)" "$(cat status.err)" "stderr"
status_json
assert_eq 5 "$(cat status.rc)" "exit status of --json with a stale source"
assert_eq "violated ok" "$(status_field old daily 'r["objectives"]["rpo"]["state"] + " " + r["objectives"]["rto"]["state"].replace("unset", "ok")')" "old objectives"
assert_eq "ok" "$(status_field web daily 'r["objectives"]["rpo"]["state"]')" "web rpo"
echo "a stale source: exit 5, named"

# a new backup of it clears the violation
backup old --source old --class daily >/dev/null
cairn status >status.out 2>status.err || die "cairn status still fails after a fresh backup of old"
echo "a fresh backup clears it"

# a class the policy does not name: a warning, no objectives, exit 0
backup db --source db --class weekly >/dev/null
rc=0
cairn status >status.out 2>status.err || rc=$?
assert_eq 0 "$rc" "exit status with a class not in the policy"
grep -q "^db  *weekly .* no-class\$" status.out || { cat status.out >&2; die "no no-class row"; }
grep -q "^warning: class 'weekly' of source 'db' is not in policy '$CAIRN_POLICY': no objectives checked\$" status.out \
  || { cat status.out >&2; die "no warning line"; }
echo "a class outside the policy: a warning"
