#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# Capacity forecast and cost (issue 19): on a synthetic history (sets dated 20, 10 and 3 days
# ago and one now), cairn status forecasts when the repository and a destination are full at
# the growth rate of the last 30 days, and the figures are what the formula of
# cairn-policy(5) gives from the sets' bytes (cairn ls --json): a quota that fills within
# warn-within makes it warn and exit 3 (table, stderr, JSON, Prometheus), a larger one does
# not; without a quota the repository's file system figures are df's. With prices, the
# monthly cost per source and class is the bytes stored at each place times its price, and
# cairn-prune --dry-run prints what the bytes it frees cost.
set -euo pipefail
# shellcheck source=../lib.sh
. "$CAIRN_CLI_LIB"
# shellcheck source=_common.sh
. "$CAIRN_CASE_DIR/_common.sh"

make_repo
mkdir app db
gen_file app/a.bin 200K 1
aged_backup app app daily $((20 * 86400)) >/dev/null
rm app/a.bin && gen_file app/b.bin 300K 2
aged_backup app app daily $((10 * 86400)) >/dev/null
gen_file db/dump.bin 150K 3
aged_backup db db daily $((3 * 86400)) >/dev/null
rm app/b.bin && gen_file app/c.bin 100K 4
backup app --source app --class daily >/dev/null
dest=file://$PWD/dest
cairn-push --all "$dest" >/dev/null
cairn ls --json >sets.json

# expect KIND [ARGS]: what the formula gives from the sets in sets.json, now:
#   stored       bytes stored of the sets not pruned (all of them here)
#   growth       bytes a day: those of the last 30 days over min(30 days, age of the first)
#   stored-of S  bytes stored of source S's sets
expect() {
  "$CAIRN_PY" - sets.json "$@" <<'PY'
import datetime, json, sys, time
sets = [json.loads(l) for l in open(sys.argv[1])]
kind, args = sys.argv[2], sys.argv[3:]
now = time.time()
def t(s):
    return datetime.datetime.fromisoformat(s["time"].replace("Z", "+00:00")).timestamp()
if kind == "stored":
    print(sum(s["bytes_stored"] for s in sets))
elif kind == "stored-of":
    print(sum(s["bytes_stored"] for s in sets if s["source"] == args[0]))
elif kind == "growth":
    span = min(max(now - min(t(s) for s in sets), 86400), 30 * 86400)
    print(sum(s["bytes_stored"] for s in sets if t(s) >= now - 30 * 86400) / (span / 86400))
PY
}
near() {  # near EXPECTED ACTUAL REL WHAT
  "$CAIRN_PY" -c 'import sys; e, a, r = map(float, sys.argv[1:4]); sys.exit(abs(e - a) > r * max(abs(e), 1))' \
    "$1" "$2" "$3" || die "$4: expected about $1, got $2"
}

stored=$(expect stored)
growth=$(expect growth)
[ "$stored" -gt 700000 ] || die "the sets stored only $stored bytes"
# A quota a week of growth above what is stored: full in 7 days, within 14.
free=$("$CAIRN_PY" -c "print(int($growth * 7))")
quota=$((stored + free))
status_policy "[capacity]
warn-within = \"14d\"
[repository]
quota = \"$quota\""
status_json --prometheus prom.txt
assert_eq 3 "$(cat status.rc)" "exit status with a quota full within 14 days"
assert_eq "quota $quota $stored $free" \
  "$(cap_field repository '"%s %d %d %d" % (r["size_from"], r["size_bytes"], r["used_bytes"], r["free_bytes"])')" \
  "repository size, used and free"
near "$growth" "$(cap_field repository 'r["growth_bytes_per_day"]')" 0.001 "growth per day"
full=$("$CAIRN_PY" -c "print($free / $growth * 86400)")
near "$full" "$(cap_field repository 'r["full_seconds"]')" 0.001 "seconds to full"
assert_eq "warning 1" "$(cap_field repository 'r["status"] + " " + str(len(r["warnings"]))')" "status"
grep -q "^cairn: warning: repository: full in 6d23h\|^cairn: warning: repository: full in 7d " status.err \
  || { cat status.err >&2; die "stderr does not name the repository's forecast"; }
grep -q "^cairn: warning: 1 item had problems" status.err || { cat status.err >&2; die "stderr summary"; }
prom_full=$(awk '$1 == "cairn_capacity_full_seconds{target=\"repository\"}" { print $2 }' prom.txt)
near "$full" "$prom_full" 0.001 "cairn_capacity_full_seconds"
grep -qx 'cairn_capacity_warning{target="repository"} 1' prom.txt || die "no cairn_capacity_warning 1"
grep -qx "cairn_capacity_total_bytes{target=\"repository\"} $quota" prom.txt || die "cairn_capacity_total_bytes"
check_exposition prom.txt >/dev/null
rc=0
cairn status --bytes >status.out 2>status.err || rc=$?
assert_eq 3 "$rc" "exit status of the table"
awk '$1 == "repository" { print $2, $3, $4, $5, $NF }' status.out >row
assert_eq "quota $stored $stored $quota warning" "$(cat row)" "the table's repository row"
grep -q "^warning: capacity of the repository: full in .* warn-within 2w\$" status.out \
  || { cat status.out >&2; die "no warning: line"; }
echo "a quota full within warn-within: exit 3, forecast as the formula gives"

# A month of growth left: no warning, exit 0.
free=$("$CAIRN_PY" -c "print(int($growth * 30))")
status_policy "[capacity]
warn-within = \"14d\"
[repository]
quota = \"$((stored + free))\""
status_json
assert_eq 0 "$(cat status.rc)" "exit status with a month left"
[ ! -s status.err ] || { cat status.err >&2; die "stderr without a crossed threshold"; }
near "$("$CAIRN_PY" -c "print($free / $growth * 86400)")" "$(cap_field repository 'r["full_seconds"]')" 0.001 \
  "seconds to full with a month left"
echo "a month left: no warning"

# No quota: the repository's file system, as df shows it (within 5%: other processes write to
# it meanwhile); warn at a share below its use.
read -r size used avail < <(df -B1 --output=size,used,avail "$CAIRN_REPO" | tail -n 1)
pct=$("$CAIRN_PY" -c "print($used * 100 / ($used + $avail))")
status_policy "[repository]
warn = \"100%\""
status_json
assert_eq "filesystem $size" "$(cap_field repository '"%s %d" % (r["size_from"], r["size_bytes"])')" "file system size"
near "$used" "$(cap_field repository 'r["used_bytes"]')" 0.05 "file system used (df)"
near "$pct" "$(cap_field repository 'r["used_ratio"] * 100')" 0.05 "file system use (df)"
if "$CAIRN_PY" -c "import sys; sys.exit($pct < 100)"; then
  assert_eq 3 "$(cat status.rc)" "exit status on a full file system"
else
  assert_eq 0 "$(cat status.rc)" "exit status below warn = 100%"
fi
if "$CAIRN_PY" -c "import sys; sys.exit(not 2 <= $pct < 99)"; then
  status_policy "[repository]
warn = \"$("$CAIRN_PY" -c "print(int($pct) - 1)")%\""
  status_json
  assert_eq 3 "$(cat status.rc)" "exit status above warn"
  grep -q "^cairn: warning: repository: .*% used (.*), warn $("$CAIRN_PY" -c "print(int($pct) - 1)")%\$" status.err \
    || { cat status.err >&2; die "stderr does not name the share used"; }
fi
echo "without a quota: the file system's figures, as df's"

# Prices: the repository at 1000 and the destination at 3000 a GiB-month.
status_policy "[class.daily]
keep-last = 1
[repository]
price-gb-month = 1000
[destination.\"$dest\"]
price-gb-month = 3000"
status_json --prometheus prom.txt
assert_eq 0 "$(cat status.rc)" "exit status with prices and no thresholds"
for src in app db; do
  bytes=$(expect stored-of "$src")
  want=$("$CAIRN_PY" -c "print($bytes / 2**30 * (1000 + 3000))")
  near "$want" "$(status_field "$src" daily 'r["cost_monthly"]')" 1e-9 "monthly cost of $src"
  prom=$(awk -v m="cairn_cost_monthly{source=\"$src\",class=\"daily\"}" '$1 == m { print $2 }' prom.txt)
  near "$want" "$prom" 1e-9 "cairn_cost_monthly of $src"
  cairn status | awk -v s="$src" 'f && $1 == s { print $3 } $NF == "COST/MONTH" && $1 == "SOURCE" { f = 1 }' >cell
  assert_eq "$("$CAIRN_PY" -c "print('%.2f' % $want)")" "$(cat cell)" "the cost table's cell of $src"
done
assert_eq "$stored" "$(cap_field "$dest" 'r["stored_bytes"]')" "bytes stored at the destination"
echo "monthly cost per source and class: bytes x price at each place"

# cairn-prune --dry-run: keep-last = 1 drops app's two older sets; the line prices the bytes
# the sweep frees (its total line) at both places, as the dropped sets were pushed there.
cairn-prune --dry-run >plan.txt
freed=$(sed -n 's/^total: .*; frees \([0-9]*\) bytes in .*/\1/p' plan.txt)
[ "$freed" -gt 0 ] || { cat plan.txt >&2; die "the plan frees nothing"; }
line=$("$CAIRN_PY" -c "
b = $freed; r, d = b / 2**30 * 1000, b / 2**30 * 3000
print('cost: frees %d bytes, %.2f a month (repository %.2f, $dest %.2f)' % (b, r + d, r, d))")
assert_eq "$line" "$(grep '^cost:' plan.txt)" "the cost line"
cairn-prune --dry-run --json | tail -n 1 >summary.json
near "$("$CAIRN_PY" -c "print($freed / 2**30 * 4000)")" \
  "$("$CAIRN_PY" -c 'import json; print(json.load(open("summary.json"))["free_cost_monthly"])')" 1e-9 \
  "free_cost_monthly"
echo "cairn-prune --dry-run: the cost it frees"

# Request prices at the repository: its uploads are the packs its sets of the window first
# needed (every pack here: the first set is 20 days old), in a 30-day month; a restore reads
# every pack once. The groups' costs add up to the places'.
status_policy "[repository]
price-put-1000 = 500
price-get-1000 = 700
price-gb-out = 90
[destination.\"$dest\"]
price-gb-month = 3000"
status_json --prometheus prom.txt
assert_eq 0 "$(cat status.rc)" "exit status with request prices"
packs=$(find "$CAIRN_REPO/packs" -type f -name '[0-9a-f]*' | wc -l)
[ "$packs" -gt 0 ] || die "no packs in the repository"
assert_eq "$packs" "$(cap_field repository 'r["objects"]')" "packs the repository's sets need"
span=$("$CAIRN_PY" - sets.json <<'PY'
import datetime, json, sys, time
t = [datetime.datetime.fromisoformat(json.loads(l)["time"].replace("Z", "+00:00")).timestamp() for l in open(sys.argv[1])]
print(min(max(time.time() - min(t), 86400), 30 * 86400) / 86400)
PY
)
near "$("$CAIRN_PY" -c "print($packs / $span * 30)")" "$(cap_field repository 'r["puts_per_month"]')" 0.001 "uploads a month"
near "$("$CAIRN_PY" -c "print($packs / $span * 30 / 1000 * 500)")" "$(cap_field repository 'r["cost_monthly"]')" 0.001 \
  "the repository's monthly cost"
want=$("$CAIRN_PY" -c "print($stored / 2**30 * 90 + $packs / 1000 * 700)")
near "$want" "$(cap_field repository 'r["restore_cost"]')" 1e-9 "the repository's restore cost"
near "$want" "$(awk '$1 == "cairn_restore_cost{target=\"repository\"}" { print $2 }' prom.txt)" 1e-9 "cairn_restore_cost"
places=$("$CAIRN_PY" -c 'import json, sys; print(sum(r.get("cost_monthly") or 0 for r in map(json.loads, open("status.json")) if r["schema"] == "cairn.status.capacity/1"))')
groups=$("$CAIRN_PY" -c 'import json, sys; print(sum(r["cost_monthly"] for r in map(json.loads, open("status.json")) if r["schema"] == "cairn.status/1"))')
near "$places" "$groups" 1e-9 "the groups' costs against the places'"
echo "request prices: uploads a month and the cost of reading everything back"
