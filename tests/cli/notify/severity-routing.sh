#!/usr/bin/env bash
# The policy routes each severity (cairn(7) NOTIFICATIONS, cairn-policy(5)): [notify] targets
# hear of every severity, critical/warning/info of theirs only, and a class's
# [class.NAME.notify] replaces [notify] for that class's runs. Against the real HTTP receiver:
# a success (with --notify-on success) goes to /all and /info only, damage found (exit 4,
# critical) to /all and /crit only, a failing cairn-diff (warning) to /all and /warn only, and
# a failing backup of class db to /db-crit only. Every body carries its severity.
set -euo pipefail
. "$CAIRN_CLI_LIB"
. "$CAIRN_CASE_DIR/_receivers.sh"

start_receiver http hook
url=http://127.0.0.1:$receiver_port
cat >policy.toml <<TOML
[class.daily]
keep-last = 3

[class.db]
keep-last = 3

[class.db.notify]
critical = ["$url/db-crit"]

[notify]
targets = ["$url/all"]
critical = ["$url/crit"]
warning = ["$url/warn"]
info = ["$url/info"]
TOML
export CAIRN_POLICY=$PWD/policy.toml

broken_repo
# A success, sent because --notify-on asks for successes: info.
expect_exit 0 cairn-verify --notify-on success,warning,failure
no_notify_errors
received hook "success" severity

# Damage found: critical.
expect_exit 4 cairn-verify --read-data
expect_stderr '^cairn-verify: error: damage found: '
no_notify_errors
received hook "damage" severity

# cairn-diff, which only compares, fails on a stream that is not one: a warning.
echo 'not a stream' >garbage
expect_exit 1 cairn-diff <garbage
expect_stderr '^cairn-diff: error: '
no_notify_errors
received hook "cairn-diff failure" severity

# A backup of class db that fails (its source is missing) after it opened the catalog: the
# class's own routes, not [notify]'s.
expect_exit 1 cairn backup "$PWD/missing" --source pg --class db
expect_stderr '^cairn: error: '
no_notify_errors
received hook "class db failure" severity
