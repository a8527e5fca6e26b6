#!/usr/bin/env bash
# A password written inside a destination URL (user:password@ in any scheme) is refused
# with exit 2 before anything runs, and the password is repeated neither on stderr nor in
# the alert: the message names where the secret belongs and shows the URL with "***".
set -euo pipefail
. "$CAIRN_CLI_LIB"

make_repo
cat >hook.sh <<SH
#!/bin/sh
cat >>"$PWD/events.json"
env >>"$PWD/events.env"
SH
chmod +x hook.sh
pw=Pa55-w0rd-in-url-8181
check() {  # check URL WHERE: exit 2, no password anywhere, the redacted URL shown
  local url=$1 where=$2
  rm -f events.json events.env
  expect_exit 2 cairn-push --all --notify "exec:$PWD/hook.sh" "$url"
  [ -s events.json ] || die "no alert for '$where'"
  if grep -q -- "$pw" last.stderr last.stdout events.json events.env; then
    die "the password was echoed for $where: $(grep -h -- "$pw" last.stderr events.json | head -n 2)"
  fi
  grep -q "destination URL carries a password: put it in .* instead" last.stderr ||
    die "unexpected message for $where: $(cat last.stderr)"
  echo "$where: refused, shown as $(grep -o "'[a-z0-9]*://[^']*'" last.stderr | tail -n 1)"
}
check "sftp://backup:$pw@nas.example/backups/app" sftp
check "s3://AKIAEXAMPLE:$pw@dr-east/app" s3
check "azure://acct:$pw@account/container" azure
check "sftp://backup%3A$pw@nas.example/backups" sftp-encoded
check "https://u:$pw@example.org/x" https
# pushed together with a good destination, nothing goes anywhere
mkdir good
expect_exit 2 cairn-push --all "file://$PWD/good" "sftp://u:$pw@h/p"
expect_stderr 'destination URL carries a password: put it in .* instead'
[ -z "$(ls good)" ] || die "a destination was written although another one was refused"
grep -q -- "$pw" last.stderr && die "the password was echoed"
echo "with a good destination: nothing pushed"
# an @ in the path or a user without a password is not a password
# (it then fails on the connection: 12 without an SSH key in the environment, 13 with one, as
# nothing listens on port 1; never 2, the usage refusal of a password)
rc=0
cairn-push --all "sftp://backup@127.0.0.1:1/p@th" --known-hosts /dev/null >last.stdout 2>last.stderr || rc=$?
[ "$rc" = 12 ] || [ "$rc" = 13 ] || { cat last.stderr >&2; die "sftp://backup@127.0.0.1:1/p@th exited $rc, expected 12 or 13"; }
grep -q "carries a password" last.stderr && die "a user name alone was taken for a password"
echo "user without password: not refused as a password"
