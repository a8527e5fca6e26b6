#!/usr/bin/env bash
# A webhook that cannot be reached (a closed port) or never answers (a server that accepts
# and stays silent, CAIRN_NOTIFY_TIMEOUT=2): one stderr line names the target, with its
# secrets (userinfo, path token, query) redacted; the exit status (4) is the tool's own; and
# the tool ends within the timeout instead of hanging.
set -euo pipefail
. "$CAIRN_CLI_LIB"
. "$CAIRN_CASE_DIR/_receivers.sh"

broken_repo
port=$(closed_port)
expect_exit 4 cairn-verify --read-data \
  --notify "http://hook:s3cretpw@127.0.0.1:$port/services/T1/s3cretToken?key=s3cretKey"
line=$(grep 'cannot notify' last.stderr) || die "the failed notification was not reported: $(cat last.stderr)"
case $line in
  "cairn-verify: cannot notify 'http://***@127.0.0.1:$port/services/***?***': "*) echo "closed port: reported, redacted" ;;
  *) die "unexpected line: $line" ;;
esac
if grep -q s3cret last.stderr; then die "a secret was printed: $(cat last.stderr)"; fi
grep -q '^cairn-verify: error: damage found' last.stderr || die "the tool's own error is missing"

start_receiver blackhole hole
hole=$receiver_port
start=$SECONDS
CAIRN_NOTIFY_TIMEOUT=2 expect_exit 4 cairn-verify --read-data --notify "http://127.0.0.1:$hole/hook"
took=$((SECONDS - start))
[ "$took" -le 8 ] || die "the tool took $took s with a 2 s notify timeout"
grep -q "^cairn-verify: cannot notify 'http://127.0.0.1:$hole/hook': timed out" last.stderr \
  || die "the timeout was not reported: $(cat last.stderr)"
echo "silent server: timed out, exit status kept"

CAIRN_NOTIFY_TIMEOUT=0 expect_exit 2 cairn-verify --notify "http://127.0.0.1:$hole/hook"
assert_eq "cairn-verify: error: CAIRN_NOTIFY_TIMEOUT '0' is not a number of seconds from 1 to 300" \
  "$(cat last.stderr)" "a bad timeout"
expect_exit 2 cairn-verify --notify "htps://typo.example.org/x"
assert_eq "cairn-verify: error: invalid notify target 'htps://typo.example.org/x': it must start with http://, https://, mailto: or exec: (a webhook may have a slack+, pagerduty+, opsgenie+ or json+ prefix)" \
  "$(cat last.stderr)" "a bad target"
echo "a bad target or timeout: usage error before the tool runs"
