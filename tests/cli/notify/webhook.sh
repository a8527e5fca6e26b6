#!/usr/bin/env bash
# A failing cairn-verify (a damaged pack, exit 4) with --notify http://...: the local HTTP
# receiver (Python's http.server, _receiver.py) gets one JSON POST whose text names the tool
# and the failure, and the exit status is still 4.
set -euo pipefail
. "$CAIRN_CLI_LIB"
. "$CAIRN_CASE_DIR/_receivers.sh"

broken_repo
start_receiver http hook
port=$receiver_port
expect_exit 4 cairn-verify --read-data --notify "http://127.0.0.1:$port/hook"
grep -q '^cairn-verify: error: damage found' last.stderr || die "no damage error: $(cat last.stderr)"
if grep -q 'cannot notify' last.stderr; then die "notifying failed: $(cat last.stderr)"; fi

echo "requests: $(find hook -name '*.body' | wc -l)"
echo "path: $(json_field hook/001.meta.json path)"
echo "content type: $(json_field hook/001.meta.json content_type)"
for k in schema tool exit_code status; do
  echo "$k: $(json_field hook/001.body "$k")"
done
host=$("$CAIRN_PY" -c 'import socket; print(socket.gethostname())')
assert_eq "$host" "$(json_field hook/001.body host)" "host"
text=$(json_field hook/001.body text)
case $text in
  "[critical] cairn-verify failed on $host with exit status 4 (damage found): damage found: "*) echo "text: names the tool and the failure" ;;
  *) die "unexpected text: $text" ;;
esac
message=$(json_field hook/001.body message)
assert_eq "$(sed -n 's/^cairn-verify: error: //p' last.stderr)" "$message" "message"
[[ $(json_field hook/001.body time) =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$ ]] \
  || die "time is not RFC 3339 UTC"
