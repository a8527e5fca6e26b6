#!/usr/bin/env bash
# Escalation across repeated cron runs (cairn(7) NOTIFICATIONS): a repository whose pack is
# damaged makes cairn-verify --read-data fail (exit 4) run after run. Every failure alerts the
# critical route; the escalation targets hear once, at the after-failures'th failure in a
# row, and never again for the same incident. Once the pack is repaired, the first success
# sends one "resolved" (action resolve) to both, the next successes nothing. The dedup key
# is the same in every message. A second incident escalates again.
set -euo pipefail
. "$CAIRN_CLI_LIB"
. "$CAIRN_CASE_DIR/_receivers.sh"

start_receiver http hook
url=http://127.0.0.1:$receiver_port
cat >policy.toml <<TOML
[notify]
critical = ["$url/crit"]

[notify.escalation]
after-failures = 3
targets = ["$url/esc"]
TOML
export CAIRN_POLICY=$PWD/policy.toml

broken_repo
pack=$(find "$CAIRN_REPO/packs" -type f | head -n 1)
flip() { flip_byte "$pack" 1000; }  # broken_repo's own flip, undone or redone

for incident in 1 2; do
  for run in 1 2 3 4; do
    expect_exit 4 cairn-verify --read-data
    expect_stderr '^cairn-verify: error: damage found: '
    no_notify_errors
    received hook "incident $incident, failure $run" action escalated
  done
  flip  # repaired
  for run in 1 2; do
    expect_exit 0 cairn-verify --read-data
    no_notify_errors
    received hook "incident $incident, success $run" action escalated
  done
  flip  # damaged again for the next incident
done

# Every message was about the same thing: one dedup key.
keys=$(for f in hook/*.body; do json_field "$f" dedup_key; done | sort -u)
host=$("$CAIRN_PY" -c 'import socket; print(socket.gethostname())')
assert_eq "cairn/$host/run/cairn-verify" "$keys" "dedup keys"
echo "dedup key: one, cairn/HOST/run/cairn-verify"
esc=$(grep -l '"escalated":true' hook/*.body | head -n 1)
case $(json_field "$esc" text) in
  "[critical] cairn-verify failed 3 times in a row on $host (escalated): damage found: "*) echo "escalation text: names the count" ;;
  *) die "escalation text: $(json_field "$esc" text)" ;;
esac
resolved=$(grep -l '"action":"resolve"' hook/*.body | head -n 1)
assert_eq "[resolved] cairn-verify succeeded on $host after 4 failed runs" "$(json_field "$resolved" text)" "resolved text"
echo "resolved text: names the failures"
