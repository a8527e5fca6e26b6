#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# Where a passphrase comes from (cairn(7) PASSPHRASES AND KEYS), first found wins:
# CAIRN_PASSPHRASE_FD, the file, CAIRN_PASSPHRASE_COMMAND (the first line of its output),
# then a prompt. A failing, silent or slow command is one stderr line and exit 12 (the slow
# one's process group is killed); a passphrase or key file that others can read gets one
# warning line and the tool goes on (nothing with -q).
set -euo pipefail
# shellcheck source=../lib.sh
. "$CAIRN_CLI_LIB"

make_repo
pass=$CAIRN_PASSPHRASE_FILE
unset CAIRN_PASSPHRASE_FILE
printf '%s\n' "printf '%s\\n' \"\$(cat '$pass')\" second-line-ignored" >cmd.sh
export CAIRN_PASSPHRASE_COMMAND="sh $PWD/cmd.sh"
cairn key list >/dev/null 2>err || die "the command's passphrase did not open: $(cat err)"
[ ! -s err ] || die "stderr with a passphrase command: $(cat err)"
echo "CAIRN_PASSPHRASE_COMMAND: its first line opens"

printf 'wrong\n' >wrong
chmod 600 wrong
CAIRN_PASSPHRASE_COMMAND='exit 1' cairn key list --passphrase-file "$pass" >/dev/null \
  || die "a passphrase file did not come before the command"
CAIRN_PASSPHRASE_FD=3 cairn key list --passphrase-file wrong 3<"$pass" >/dev/null \
  || die "CAIRN_PASSPHRASE_FD did not come before the file"
echo "precedence: FD, file, command"

one_line() {  # one_line CODE PATTERN CMD...
  local code=$1 pattern=$2
  shift 2
  expect_exit "$code" "$@"
  assert_eq 1 "$(wc -l <last.stderr)" "stderr lines of '$*'"
  expect_stderr "$pattern"
}
one_line 12 "^cairn: error: CAIRN_PASSPHRASE_COMMAND failed with exit status 3: no passphrase$" \
  env CAIRN_PASSPHRASE_COMMAND='echo not-this; exit 3' cairn key list
one_line 12 "printed no passphrase" env CAIRN_PASSPHRASE_COMMAND='true' cairn key list
# the command's own stderr is the tool's: sh's "not found", then cairn's one line
expect_exit 12 env CAIRN_PASSPHRASE_COMMAND='/nonexistent/secret-tool' cairn key list
assert_eq 1 "$(grep -c '^cairn: ' last.stderr)" "cairn's lines for a missing command"
expect_stderr "^cairn: error: CAIRN_PASSPHRASE_COMMAND failed with exit status 127: no passphrase$"
echo "a failing or silent command: exit 12, one line"

start=$(date +%s)
one_line 12 "did not finish within 1 seconds" \
  env CAIRN_PASSPHRASE_TIMEOUT=1 CAIRN_PASSPHRASE_COMMAND="sleep 60 & echo \$! >$PWD/bg.pid; wait" \
  cairn key list
[ $(($(date +%s) - start)) -lt 30 ] || die "the timeout took $(($(date +%s) - start)) s"
bg=$(cat bg.pid)
for ((i = 0; i < 100; i++)); do
  { [ -e "/proc/$bg" ] && [ "$(awk '{print $3}' "/proc/$bg/stat" 2>/dev/null)" != Z ]; } || break
  sleep 0.05
done
{ [ -e "/proc/$bg" ] && [ "$(awk '{print $3}' "/proc/$bg/stat" 2>/dev/null)" != Z ]; } \
  && die "the slow command's child $bg still runs"
one_line 2 "CAIRN_PASSPHRASE_TIMEOUT must be" \
  env CAIRN_PASSPHRASE_TIMEOUT=soon CAIRN_PASSPHRASE_COMMAND=true cairn key list
echo "a slow command: killed after CAIRN_PASSPHRASE_TIMEOUT, exit 12"

unset CAIRN_PASSPHRASE_COMMAND
cp "$pass" shared
chmod 644 shared
expect_exit 0 cairn key list --passphrase-file shared
assert_eq 1 "$(wc -l <last.stderr)" "stderr lines with a readable passphrase file"
expect_stderr "^cairn: warning: the passphrase file 'shared' can be read by other users \(mode 0644\): chmod 600 it$"
expect_exit 0 cairn key list -q --passphrase-file shared
[ ! -s last.stderr ] || die "-q printed: $(cat last.stderr)"
chmod 640 shared
expect_exit 0 cairn key list --passphrase-file shared
expect_stderr "can be read by its group \(mode 0640\)"
echo "a readable passphrase file: one warning line, not with -q"
cairn key export --passphrase-file "$pass" --new-passphrase-file "$pass" kf
chmod 604 kf
expect_exit 0 cairn key list --passphrase-file "$pass" --key-file kf
assert_eq 1 "$(wc -l <last.stderr)" "stderr lines with a readable key file"
expect_stderr "^cairn: warning: the key file 'kf' can be read by other users \(mode 0604\): chmod 600 it$"
echo "a readable key file: one warning line"

# no source and no terminal: the usage error, at once
one_line 2 "no passphrase given: .*CAIRN_PASSPHRASE_COMMAND" cairn key list
echo "nothing given, no terminal: exit 2"
