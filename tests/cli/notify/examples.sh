#!/usr/bin/env bash
# The routing examples (examples/policy-pagerduty.toml, examples/policy-slack.toml) pass the
# real parser (cairn policy check) and route as their comments say, with their service URLs
# pointed at the real HTTP and SMTP receivers: three failed runs in a row page PagerDuty each
# time (one dedup key), mail the log mailbox each time and escalate to Opsgenie once; in the
# Slack example a critical alert posts to the critical channel only.
set -euo pipefail
. "$CAIRN_CLI_LIB"
. "$CAIRN_CASE_DIR/_receivers.sh"
need_aiosmtpd

examples=$CAIRN_SOURCE_DIR/examples
for f in policy-pagerduty.toml policy-slack.toml; do
  cairn policy check "$examples/$f" >/dev/null 2>check.err || { cat check.err >&2; die "$f: cairn policy check failed"; }
done
echo "both examples pass cairn policy check"

start_receiver http hook
url=http://127.0.0.1:$receiver_port
start_receiver smtp mail
smtp=smtp://127.0.0.1:$receiver_port
sed -e "s|https://events.pagerduty.com|$url/pd|g" -e "s|https://api.opsgenie.com|$url/og|g" \
    -e "s|smtp://mail.example.org:587|$smtp|g" "$examples/policy-pagerduty.toml" >pagerduty.toml
export CAIRN_PAGERDUTY_KEY=example-routing-key CAIRN_OPSGENIE_KEY=example-api-key

broken_repo
for run in 1 2 3; do
  CAIRN_POLICY=$PWD/pagerduty.toml expect_exit 4 cairn-verify --read-data
  expect_stderr '^cairn-verify: error: damage found: '
  if grep -q 'cannot notify' last.stderr; then die "notifying failed: $(cat last.stderr)"; fi
done
paths() { for f in hook/*.meta.json; do json_field "$f" path; done | sort | uniq -c | awk '{ print $2 " x" $1 }' | tr '\n' ' '; echo; }
echo "pagerduty example, 3 failures: $(paths)"
echo "  dedup keys: $(for f in hook/*.body; do json_field "$f" dedup_key 2>/dev/null || json_field "$f" alias; done | sort -u | wc -l)"
echo "  mail to: $(for f in mail/*.envelope.json; do json_field "$f" rcpt_tos; done | sort | uniq -c | awk '{ print $2 " x" $1 }' | tr '\n' ' ')"

rm -f hook/*.body hook/*.meta.json
sed -e "s|https://hooks.slack.com/services|$url/slack|g" "$examples/policy-slack.toml" >slack.toml
CAIRN_POLICY=$PWD/slack.toml CAIRN_CATALOG=$PWD/other.db expect_exit 4 cairn-verify --read-data
expect_stderr '^cairn-verify: error: damage found: '
if grep -q 'cannot notify' last.stderr; then die "notifying failed: $(cat last.stderr)"; fi
echo "slack example, 1 failure: $(paths)"
echo "  colour: $(json_field "$(ls hook/*.body | head -n 1)" attachments | "$CAIRN_PY" -c 'import json, sys; print(json.load(sys.stdin)[0]["color"])')"
