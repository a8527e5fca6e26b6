#!/usr/bin/env bash
# An exec: alert runs with a minimal environment: PATH, HOME, LANG, LC_ALL, TZ and the
# CAIRN_EVENT_* variables. The caller's cloud credentials (AWS_*, AZURE_*), its other
# CAIRN_* settings and anything else it exports never reach the command.
set -euo pipefail
. "$CAIRN_CLI_LIB"

cat >hook.sh <<SH
#!/bin/sh
env >"$PWD/hook.env"
SH
chmod +x hook.sh
secret=s3cr3t-do-not-leak-4711
export AWS_ACCESS_KEY_ID=AKIAEXAMPLE AWS_SECRET_ACCESS_KEY=$secret AWS_SESSION_TOKEN=$secret
export AZURE_STORAGE_KEY=$secret AZURE_STORAGE_CONNECTION_STRING="AccountKey=$secret"
export CAIRN_SMTP_USER=alerts CAIRN_SMTP_PASSWORD_FILE=$PWD/smtp-password CAIRN_PASSPHRASE_FILE=$PWD/no-such-passphrase-file
export GITHUB_TOKEN=$secret SOME_OTHER_VARIABLE=$secret
export LANG=C.UTF-8
# A tool that fails (its passphrase file is not there: a usage error, exit 2): the alert runs.
expect_exit 2 cairn-verify --repo "$PWD/no-repo" --notify "exec:$PWD/hook.sh"
expect_stderr '^cairn-verify: error: '
[ -f hook.env ] || die "the hook did not run: $(cat last.stderr)"
if grep -q "$secret" hook.env; then
  die "the hook saw a secret of the caller: $(grep "$secret" hook.env | cut -d= -f1 | tr '\n' ' ')"
fi
if grep -v -E '^(PATH|HOME|LANG|LC_ALL|TZ|CAIRN_EVENT_[A-Z_]+|PWD|SHLVL|_|OLDPWD)=' hook.env | grep -q '^[A-Za-z_][A-Za-z0-9_]*='; then
  die "the hook got more than the documented variables: $(grep -v -E '^(PATH|HOME|LANG|LC_ALL|TZ|CAIRN_EVENT_[A-Z_]+|PWD|SHLVL|_|OLDPWD)=' hook.env | cut -d= -f1 | tr '\n' ' ')"
fi
for v in PATH HOME LANG TZ CAIRN_EVENT_TOOL CAIRN_EVENT_EXIT_CODE; do
  grep -q "^$v=" hook.env && echo "$v passed" || echo "$v missing"
done
assert_eq "HOME=$HOME" "$(grep '^HOME=' hook.env)" HOME
assert_eq "PATH=$PATH" "$(grep '^PATH=' hook.env)" PATH
echo "no AWS_*, AZURE_*, other CAIRN_* or other variables"
