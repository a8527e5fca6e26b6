#!/usr/bin/env bash
# --notify-on selects the outcomes that alert: with "success" a tool that succeeds sends one
# POST to the real HTTP receiver (exit_code 0, "succeeded"), and so do the policy's [notify]
# targets; CAIRN_NOTIFY_ON=success keeps a failure quiet; "warning" alone does not send a
# failure; a bad list is a usage error (exit 2) with one line naming it.
set -euo pipefail
. "$CAIRN_CLI_LIB"
. "$CAIRN_CASE_DIR/_receivers.sh"

start_receiver http hook
broken_repo
url=http://127.0.0.1:$receiver_port
printf '[notify]\ntargets = ["%s/policy"]\n' "$url" >policy.toml

# Success: cairn-verify without --read-data does not look at the flipped byte.
CAIRN_POLICY=$PWD/policy.toml expect_exit 0 cairn-verify --notify-on success,failure \
  --notify "$url/flag"
if grep -q 'cannot notify' last.stderr; then die "notifying failed: $(cat last.stderr)"; fi
echo "after a success: $(find hook -name '*.body' | wc -l) requests"
for f in hook/*.body; do
  echo "  $(json_field "${f%.body}.meta.json" path): exit_code $(json_field "$f" exit_code), status $(json_field "$f" status)"
done
text=$(json_field hook/001.body text)
case $text in
  "[info] cairn-verify succeeded on "*" with exit status 0 (success)") ;;
  *) die "unexpected text: $text" ;;
esac

# A failure (exit 4) with only success selected, from the environment: nothing is sent.
CAIRN_NOTIFY_ON=success expect_exit 4 cairn-verify --read-data --notify "$url/env"
expect_stderr "^cairn-verify: error: damage found"
# Only warnings selected: a failure is not one.
expect_exit 4 cairn-verify --read-data --notify-on warning --notify "$url/warn"
expect_stderr "^cairn-verify: error: damage found"
echo "after two unselected failures: $(find hook -name '*.body' | wc -l) requests"
# The default still sends a failure.
expect_exit 4 cairn-verify --read-data --notify "$url/default"
expect_stderr "^cairn-verify: error: damage found"
echo "after a failure by default: $(find hook -name '*.body' | wc -l) requests"

expect_exit 2 cairn-verify --notify-on success,sometimes
assert_eq "cairn-verify: error: invalid --notify-on 'success,sometimes': each item must be success, warning or failure" \
  "$(cat last.stderr)" "bad --notify-on"
CAIRN_NOTIFY_ON=always expect_exit 2 cairn-verify
assert_eq "cairn-verify: error: CAIRN_NOTIFY_ON: invalid --notify-on 'always': each item must be success, warning or failure" \
  "$(cat last.stderr)" "bad CAIRN_NOTIFY_ON"
