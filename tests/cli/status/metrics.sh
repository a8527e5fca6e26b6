#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# Run metrics (issue 19): each run records its duration and what its summary counted, and
# cairn-push and cairn-restore --from what they moved per destination. cairn status shows the
# last pack run per source (DURATION, THROUGHPUT; --json last_run; cairn_last_run_*) and the
# last push to and restore from each destination (its own table; cairn.status.transfer/1;
# cairn_destination_last_*), with the numbers the tools' --summary-json files give. cairn
# backup records its pack run without its --push, and the push as a cairn-push run.
set -euo pipefail
# shellcheck source=../lib.sh
. "$CAIRN_CLI_LIB"
# shellcheck source=_common.sh
. "$CAIRN_CASE_DIR/_common.sh"

make_repo
mkdir app
gen_file app/data.bin 3M 7
gen_text app/notes.txt 500
dest=file://$PWD/dest

(set -o pipefail && cairn-snap app --source app --class daily | cairn-diff \
  | cairn-pack --summary-json "$PWD/pack.json" >pack.out) || die "the backup failed"
cairn-push "$dest" --summary-json "$PWD/push.json" <pack.out >/dev/null 2>push.err \
  || { cat push.err >&2; die "cairn-push failed"; }
cairn-restore latest --from "$dest" --to "$PWD/out" --summary-json "$PWD/restore.json" \
  2>restore.err || { cat restore.err >&2; die "cairn-restore --from failed"; }
compare_trees app out

status_json
assert_eq 0 "$(cat status.rc)" "exit status of cairn status --json"
cairn status --prometheus "$PWD/cairn.prom" >table.out 2>status.err \
  || { cat status.err >&2; die "cairn status --prometheus failed"; }
check_exposition cairn.prom >typed || die "an invalid textfile"

# Every number against the summaries (none is written here), the JSON against the textfile.
"$CAIRN_PY" - status.json cairn.prom pack.json push.json restore.json "$dest" <<'PY'
import json, math, re, sys
status, prom, pack, push, restore, dest = sys.argv[1:]
rows = [json.loads(l) for l in open(status)]
pack, push, restore = (json.load(open(f)) for f in (pack, push, restore))
samples = {}
for line in open(prom):
    if not line.startswith("#"):
        key, value = line.rsplit(" ", 1)
        samples[key] = float(value)
def close(a, b, what):
    assert math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-6), "%s: %r != %r" % (what, a, b)

# the source: cairn-pack's summary
app = [r for r in rows if r["schema"] == "cairn.status/1" and r["source"] == "app"]
assert len(app) == 1, rows
run = app[0]["last_run"]
assert run and run["tool"] == "cairn-pack" and run["exit_code"] == 0, run
assert run["set"] == pack["set"], (run, pack)
assert run["bytes_read"] > 3 * 2**20, run
for k, s in (("files", "entries"), ("bytes_read", "bytes_read"), ("bytes_new", "bytes_new"),
             ("bytes_stored", "bytes_stored")):
    assert run[k] == pack[s], (k, run, pack)
close(run["duration_seconds"], pack["duration_ms"] / 1000, "duration")
assert pack["duration_ms"] > 0, pack
close(run["throughput_bytes_per_second"], pack["bytes_read"] / (pack["duration_ms"] / 1000), "throughput")
ls = '{source="app",class="daily"}'
for metric, value in (("duration_seconds", run["duration_seconds"]), ("files", run["files"]),
                      ("bytes_read", run["bytes_read"]), ("bytes_new", run["bytes_new"]),
                      ("bytes_stored", run["bytes_stored"]),
                      ("throughput_bytes_per_second", run["throughput_bytes_per_second"])):
    close(samples["cairn_last_run_" + metric + ls], value, metric)

# the destination: one push (cairn-push's bytes sent) and one restore (cairn-restore's)
moved = {r["direction"]: r for r in rows if r["schema"] == "cairn.status.transfer/1"}
assert sorted(moved) == ["push", "restore"], rows
for direction, summary, counted, tool in (("push", push, "bytes_sent", "cairn-push"),
                                          ("restore", restore, "bytes_restored", "cairn-restore")):
    t = moved[direction]
    assert t["destination"] == dest and t["tool"] == tool and t["exit_code"] == 0, t
    assert t["bytes"] == summary[counted] and t["bytes"] > 3 * 2**20, (t, summary)
    # the transfers take part of the run: never longer than it
    assert 0 <= t["duration_seconds"] <= summary["duration_ms"] / 1000, (t, summary)
    if t["duration_seconds"] > 0:
        close(t["rate_bytes_per_second"], t["bytes"] / t["duration_seconds"], direction + " rate")
    else:
        assert t["rate_bytes_per_second"] is None, t
    dl = '{destination="%s"}' % dest
    prefix = "cairn_destination_last_%s_" % direction
    close(samples[prefix + "bytes" + dl], t["bytes"], direction + " bytes")
    close(samples[prefix + "duration_seconds" + dl], t["duration_seconds"], direction + " duration")
    if t["rate_bytes_per_second"] is not None:
        close(samples[prefix + "rate_bytes_per_second" + dl], t["rate_bytes_per_second"], direction + " rate")
    assert prefix + "timestamp_seconds" + dl in samples, direction
PY
echo "status --json and the textfile: the pack run's and the transfers' numbers, as the summaries say"

# The table: the source's DURATION and THROUGHPUT, then one row per direction.
col() {  # col HEADER: the app row's cell under HEADER
  awk -v h="$1" '$1 == "SOURCE" { for (i = 1; i <= NF; i++) if ($i == h) c = i; next } $1 == "app" && c { print $c; exit }' table.out
}
[[ $(col DURATION) =~ ^[0-9.]+(ms|s)$ ]] || die "DURATION: '$(col DURATION)'"
[[ $(col THROUGHPUT) =~ ^[0-9.]+(B|KiB|MiB|GiB)/s$ ]] || die "THROUGHPUT: '$(col THROUGHPUT)'"
grep -Eq "^DIRECTION +DESTINATION +LAST-RUN +BYTES +DURATION +RATE$" table.out || die "no transfer table: $(cat table.out)"
for d in push restore; do
  grep -Eq "^$d +$dest +" table.out || die "no $d row for $dest: $(cat table.out)"
done
echo "the table: DURATION and THROUGHPUT of app, a push and a restore row for the destination"

# cairn backup records its pack run (the numbers of its cairn.backup/1 summary, its duration
# without the push) and its --push as a cairn-push run with the bytes sent to the destination.
gen_file app/more.bin 1M 8
dest2=file://$PWD/dest2
cairn backup app --source app --class daily --push "$dest2" --json >backup.json 2>backup.err \
  || { cat backup.err >&2; die "cairn backup --push failed"; }
status_json
"$CAIRN_PY" - status.json backup.json "$dest2" <<'PY'
import json, sys
status, backup, dest2 = sys.argv[1:]
rows = [json.loads(l) for l in open(status)]
b = json.load(open(backup))
run = [r for r in rows if r.get("source") == "app"][0]["last_run"]
assert run["set"] == b["set"], (run, b)
for k in ("files", "bytes_read", "bytes_new", "bytes_stored"):
    assert run[k] == b[k], (k, run, b)
assert run["duration_seconds"] <= b["duration_ms"] / 1000, (run, b)
t = [r for r in rows if r.get("schema") == "cairn.status.transfer/1" and r["destination"] == dest2]
assert len(t) == 1 and t[0]["direction"] == "push" and t[0]["tool"] == "cairn-push", rows
assert t[0]["bytes"] > 2**20, t
PY
echo "cairn backup --push: its pack run's numbers, and its push to the destination"
