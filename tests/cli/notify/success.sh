#!/usr/bin/env bash
# A tool that succeeds sends nothing: not to --notify targets, not to CAIRN_NOTIFY, not to
# the policy's [notify] targets (nor does it read the policy for them).
set -euo pipefail
. "$CAIRN_CLI_LIB"
. "$CAIRN_CASE_DIR/_receivers.sh"

make_repo
mkdir -p src
gen_text src/notes.txt 20
backup src --source app >/dev/null
start_receiver http hook
port=$receiver_port
printf '#!/bin/sh\ntouch "%s/ran"\n' "$PWD" >hook.sh
chmod +x hook.sh
cat >policy.toml <<TOML
[notify]
targets = ["http://127.0.0.1:$port/policy", "exec:$PWD/hook.sh"]
TOML
expect_exit 0 cairn-verify --read-data --notify "http://127.0.0.1:$port/flag" --notify "exec:$PWD/hook.sh"
CAIRN_NOTIFY="http://127.0.0.1:$port/env" CAIRN_POLICY=$PWD/policy.toml expect_exit 0 cairn-verify
[ ! -s last.stderr ] || die "stderr: $(cat last.stderr)"
echo "requests: $(find hook -name '*.body' | wc -l)"
[ ! -e ran ] || die "the exec: target ran"
echo "commands run: 0"
