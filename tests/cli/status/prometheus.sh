#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# cairn status --prometheus FILE writes a node_exporter textfile atomically (no temporary file
# left beside it, mode 0644, replaced whole on the next run) in valid text exposition format,
# with copies per destination against min-copies; it is written even when status exits 5.
set -euo pipefail
# shellcheck source=../lib.sh
. "$CAIRN_CLI_LIB"
# shellcheck source=_common.sh
. "$CAIRN_CASE_DIR/_common.sh"

make_repo
mkdir app db prom
gen_file app/a.bin 200K 1
gen_text db/dump.sql 300
dest=$PWD/dest
status_policy "[class.daily]
rpo = \"1d\"
rto = \"1h\"
verify-every = \"7d\"
min-copies = 2
destinations = [\"file://$dest\"]"
backup app --source app --class daily >/dev/null
cairn-push "file://$dest" <pack.out >/dev/null 2>push.err || { cat push.err >&2; die "cairn-push failed"; }
backup db --source db --class daily >/dev/null

rc=0
cairn status --prometheus "$PWD/prom/cairn.prom" >status.out 2>status.err || rc=$?
assert_eq 5 "$rc" "exit status (db has one copy of two)"
grep -q "^violated: copies of 'db' (daily): the newest good set has 1 copy, min-copies 2 (not on file://$dest)\$" status.out \
  || { cat status.out >&2; die "no copies violation for db"; }
assert_eq "cairn.prom" "$(ls -A prom)" "files in the textfile directory"
assert_eq 644 "$(stat -c %a prom/cairn.prom)" "mode of the textfile"
check_exposition prom/cairn.prom >typed || die "cairn status --prometheus wrote an invalid file"
for m in cairn_last_success_timestamp_seconds cairn_last_set_age_seconds cairn_rpo_seconds cairn_rto_seconds \
  cairn_last_drill_restore_seconds cairn_last_verify_timestamp_seconds cairn_stored_bytes cairn_dedup_ratio \
  cairn_growth_bytes_per_day cairn_copies cairn_min_copies cairn_objective_violated cairn_runs_total \
  cairn_status_generated_timestamp_seconds cairn_success_ratio; do
  grep -qx "$m" typed || die "no TYPE for $m"
done
value() { awk -v k="$1" '$1 == k { print $2 }' prom/cairn.prom; }
assert_eq 2 "$(value 'cairn_copies{source="app",class="daily"}')" "copies of app"
assert_eq 1 "$(value 'cairn_copies{source="db",class="daily"}')" "copies of db"
assert_eq 2 "$(value 'cairn_min_copies{source="db",class="daily"}')" "min copies of db"
assert_eq 1 "$(value 'cairn_objective_violated{source="db",class="daily",objective="copies"}')" "db copies violated"
assert_eq 0 "$(value 'cairn_objective_violated{source="app",class="daily",objective="copies"}')" "app copies ok"
assert_eq 0 "$(value 'cairn_objective_violated{source="app",class="daily",objective="rpo"}')" "app rpo ok"
assert_eq 86400 "$(value 'cairn_rpo_seconds{source="app",class="daily"}')" "rpo seconds"
assert_eq 2 "$(value 'cairn_runs_total{tool="cairn-pack",result="ok"}')" "pack runs ok"
assert_eq 0 "$(value 'cairn_runs_total{tool="cairn-pack",result="failed"}')" "pack runs failed"
grep -q '^# TYPE cairn_runs_total counter$' prom/cairn.prom || die "cairn_runs_total is not a counter"
if command -v promtool >/dev/null; then
  promtool check metrics <prom/cairn.prom >&2 || die "promtool check metrics refused the file"
fi
echo "valid textfile, written although status exits 5"

# the next run replaces the file whole (a new inode by rename), again with nothing beside it
inode=$(stat -c %i prom/cairn.prom)
first=$(value cairn_status_generated_timestamp_seconds)
sleep 1.1
cairn-push "file://$dest" <pack.out >/dev/null 2>push.err || { cat push.err >&2; die "cairn-push of db failed"; }
cairn status --prometheus "$PWD/prom/cairn.prom" >/dev/null 2>status.err || { cat status.err >&2; die "status failed once db was pushed"; }
[ "$(stat -c %i prom/cairn.prom)" != "$inode" ] || die "the textfile was rewritten in place, not replaced"
assert_eq "cairn.prom" "$(ls -A prom)" "files in the textfile directory after the second run"
"$CAIRN_PY" -c 'import sys; assert float(sys.argv[2]) > float(sys.argv[1]), sys.argv' "$first" \
  "$(value cairn_status_generated_timestamp_seconds)" || die "the generated timestamp did not advance"
assert_eq 2 "$(value 'cairn_copies{source="db",class="daily"}')" "copies of db after its push"
check_exposition prom/cairn.prom >/dev/null || die "the second textfile is invalid"
echo "replaced atomically on the next run"

# a textfile that cannot be written: one error line naming it, exit 1
rc=0
cairn status --prometheus "$PWD/no/such/dir/cairn.prom" >/dev/null 2>status.err || rc=$?
assert_eq 1 "$rc" "exit status when the textfile cannot be written"
grep -q "^cairn: error: .*$PWD/no/such/dir" status.err || { cat status.err >&2; die "the error does not name the directory"; }
echo "an unwritable textfile: exit 1, named"
