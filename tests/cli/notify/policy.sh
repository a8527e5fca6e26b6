#!/usr/bin/env bash
# The policy's [notify] targets (cairn-policy(5)) are alerted when a tool fails: the policy
# named by CAIRN_POLICY for any tool, or by --policy for the tools that take it; together
# with --notify / CAIRN_NOTIFY targets, each target once.
set -euo pipefail
. "$CAIRN_CLI_LIB"
. "$CAIRN_CASE_DIR/_receivers.sh"

broken_repo
start_receiver http hook
port=$receiver_port
cat >policy.toml <<TOML
[class.daily]
keep-last = 3

[notify]
targets = ["http://127.0.0.1:$port/from-policy", "exec:$PWD/hook.sh"]
TOML
printf '#!/bin/sh\necho "$CAIRN_EVENT_TOOL $CAIRN_EVENT_EXIT_CODE" >>"%s/ran"\n' "$PWD" >hook.sh
chmod +x hook.sh

paths() { for f in hook/*.meta.json; do json_field "$f" path; done | sort | tr '\n' ' '; echo; }

CAIRN_POLICY=$PWD/policy.toml expect_exit 4 cairn-verify --read-data \
  --notify "http://127.0.0.1:$port/from-flag" --notify "exec:$PWD/hook.sh"
expect_stderr '^cairn-verify: error: damage found: '
if grep -q 'cannot notify' last.stderr; then die "notifying failed: $(cat last.stderr)"; fi
echo "CAIRN_POLICY and --notify: $(paths)"
echo "exec: $(cat ran)"

rm -f hook/*.body hook/*.meta.json ran
CAIRN_POLICY=$PWD/policy.toml CAIRN_NOTIFY="http://127.0.0.1:$port/from-env" \
  expect_exit 4 cairn-verify --read-data
expect_stderr '^cairn-verify: error: damage found: '
echo "CAIRN_POLICY and CAIRN_NOTIFY: $(paths)"

# cairn-prune --policy FILE: the same file names the targets. It fails here (no repository
# given): a usage error found by the tool is alerted too.
rm -f hook/*.body hook/*.meta.json ran
env -u CAIRN_REPO cairn-prune --policy "$PWD/policy.toml" >prune.out 2>prune.err && die "cairn-prune succeeded"
grep -q '^cairn-prune: error: ' prune.err || die "no error from cairn-prune: $(cat prune.err)"
if grep -q 'cannot notify' prune.err; then die "notifying failed: $(cat prune.err)"; fi
echo "cairn-prune --policy: $(paths)"
echo "exec: $(cat ran)"
echo "tool: $(json_field "$(find hook -name '*.body' | head -n 1)" tool)"

# A policy that is named but broken: one line says so; the exit status is the tool's own.
printf '[notify]\ntargets = ["ftp://nope/"]\n' >bad.toml
CAIRN_POLICY=$PWD/bad.toml expect_exit 4 cairn-verify --read-data
grep -x "cairn-verify: cannot notify the policy's targets: policy '$PWD/bad.toml' line 2: a notify target must start with http://, https://, mailto: or exec: (a webhook may have a slack+, pagerduty+, opsgenie+ or json+ prefix)" \
  last.stderr >/dev/null || die "the broken policy was not reported: $(cat last.stderr)"
echo "broken policy: reported, exit status kept"
