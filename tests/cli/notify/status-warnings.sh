#!/usr/bin/env bash
# cairn status warnings (issue 19): a slow run ([performance] slow-run, min-throughput), a slow
# push (min-transfer-rate) and a capacity threshold ([capacity] warn) are warnings: status
# names each on stderr and in its table, exits 3, shows them in --json and the textfile, and
# --alert sends each to the policy's *warning* route once (severity warning, its own dedup key),
# nothing on the next run, and one "resolved" when it is over; warnings never escalate.
# The run history is synthetic: four real backups, then their recorded durations set in the
# catalog (the catalog's holder may write it; status only reads what it says).
set -euo pipefail
. "$CAIRN_CLI_LIB"
. "$CAIRN_CASE_DIR/_receivers.sh"
. "$CAIRN_CASE_DIR/../status/_common.sh"

start_receiver http hook
url=http://127.0.0.1:$receiver_port
make_repo
mkdir app
gen_file app/data.bin 1M 3
dest=file://$PWD/dest
for i in 1 2 3 4; do
  echo "$i" >app/n.txt
  backup app --source app --class daily >/dev/null
done
cairn-push "$dest" <pack.out >/dev/null 2>push.err || { cat push.err >&2; die "cairn-push failed"; }

# durations: three earlier runs of 100 s and the newest of 500 s (5x); the push took 100 s
set_history() {  # set_history NEWEST-MS PUSH-MS
  "$CAIRN_PY" - "$CAIRN_CATALOG" "$1" "$2" <<'PY'
import sqlite3, sys
db, newest, push = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
c = sqlite3.connect(db)
ids = [r[0] for r in c.execute(
    "SELECT id FROM run WHERE tool = 'cairn-pack' AND source = 'app' ORDER BY started_ns, id")]
assert len(ids) == 4, ids
c.executemany("UPDATE run SET duration_ms = ? WHERE id = ?",
              [(100000, i) for i in ids[:3]] + [(newest, ids[3])])
n = c.execute("UPDATE run_transfer SET duration_ms = ? WHERE direction = 'push'", (push,)).rowcount
assert n == 1, n
c.commit()
PY
}
set_history 500000 100000

status_policy "[class.daily]
keep-last = 10

[performance]
slow-run = 3
min-transfer-rate = \"1MiB/s\"
min-duration = \"10s\"

[capacity]
warn = \"0.0001%\"

[notify]
critical = [\"$url/crit\"]
warning = [\"$url/warn\"]

[notify.escalation]
after = \"1s\"
targets = [\"$url/esc\"]"

# The table and stderr: one warning line each; exit 3.
expect_exit 3 cairn status
grep -q "^warning: slow run: cairn-pack of 'app' (daily) at .* took 8m20s, 5.0x the median 1m40s of its 3 successful runs before (slow-run 3)$" last.stdout \
  || die "no slow-run line in the table: $(cat last.stdout)"
grep -q "^warning: slow push: cairn-push to '$dest' at .* moved .*/s in 1m40s, below min-transfer-rate 1.0MiB/s$" last.stdout \
  || die "no slow-push line in the table: $(cat last.stdout)"
grep -q "^warning: capacity of the repository: " last.stdout || die "no capacity line: $(cat last.stdout)"
for pattern in "^cairn: warning: app: slow run: cairn-pack of 'app' \(daily\) at " \
  "^cairn: warning: $dest: slow push: cairn-push to " "^cairn: warning: repository: [0-9.]+% used"; do
  expect_stderr "$pattern"
done
expect_stderr "^cairn: warning: 4 items had problems \(named above\)$"
assert_eq 5 "$(wc -l <last.stderr)" "stderr lines (slow run, slow push, two capacity warnings, the count)"
echo "table and stderr: exit 3"

# JSON and the textfile say the same.
status_json --prometheus "$PWD/cairn.prom"
assert_eq 3 "$(cat status.rc)" "exit status of cairn status --json"
"$CAIRN_PY" - status.json cairn.prom <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
run = [r for r in rows if r["schema"] == "cairn.status/1"][0]["last_run"]
assert run["slow"] is True and run["baseline_runs"] == 3, run
assert run["median_duration_seconds"] == 100 and run["duration_seconds"] == 500, run
assert len(run["warnings"]) == 1 and run["warnings"][0].startswith("slow run: "), run
push = [r for r in rows if r["schema"] == "cairn.status.transfer/1"][0]
assert push["slow"] is True and push["warning"].startswith("slow push: "), push
prom = {l.rsplit(" ", 1)[0]: float(l.rsplit(" ", 1)[1]) for l in open(sys.argv[2]) if not l.startswith("#")}
assert prom['cairn_last_run_slow{source="app",class="daily"}'] == 1, prom
assert prom['cairn_last_run_median_duration_seconds{source="app",class="daily"}'] == 100, prom
assert [v for k, v in prom.items() if k.startswith("cairn_destination_last_push_slow{")] == [1], prom
PY
echo "json and textfile: slow"

# Without --alert, each status run is one run alert (tool cairn, exit 3) to the warning route.
received hook "plain status runs" tool action severity

# --alert: each warning once to the warning route, with severity warning; never escalated.
host=$("$CAIRN_PY" -c 'import socket; print(socket.gethostname())')
alert() {  # alert EXIT
  expect_exit "$1" cairn status --alert
  no_notify_errors
  if [ "$1" = 3 ]; then
    expect_stderr "^cairn: warning: 4 items had problems \(named above\)$"
  else
    [ ! -s last.stderr ] || die "cairn status --alert wrote to stderr: $(cat last.stderr)"
  fi
}
alert 3
received hook "warned" action severity objective escalated
for f in $(ls hook/*.body | tail -n 4); do
  json_field "$f" dedup_key | sed "s|$host|HOST|; s|$PWD|PWD|"
done | sort
sleep 1.2  # past the escalation's 1s: objectives would escalate now, warnings do not
alert 3
received hook "again" action severity escalated

# The run is normal again, the push fast, the threshold 100%: one resolved each.
set_history 100000 10
sed -i 's/^warn = .*/warn = "100%"/' policy.toml
alert 0
received hook "over" action severity escalated
for f in $(ls hook/*.body | tail -n 4); do json_field "$f" text | sed "s|$host|HOST|; s|$PWD|PWD|"; done | sort
alert 0
received hook "still over" action
