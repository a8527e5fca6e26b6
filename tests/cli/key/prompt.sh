#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# The passphrase prompt, driven through a pseudo-terminal (_pty.py): with nothing else given
# and standard input a terminal, cairn asks on /dev/tty without echo; init and key passwd ask
# twice and refuse two entries that differ (nothing is created or changed); init says that a
# lost passphrase means lost data; Ctrl-C at the prompt exits 130 with the echo back on.
# Without a terminal nothing waits: the usage error (init/twice.sh).
set -euo pipefail
# shellcheck source=../lib.sh
. "$CAIRN_CLI_LIB"
unset CAIRN_PASSPHRASE_FILE CAIRN_PASSPHRASE_FD
export CAIRN_CATALOG=$PWD/cat.db
pty() { "$CAIRN_PY" "$CAIRN_CASE_DIR/_pty.py" "$@"; }
no_secret() {  # no_secret FILE: the typed passphrases never appear on the terminal
  ! grep -q 'tiger lily' "$1" || die "the passphrase was echoed: $(cat "$1")"
}

# init: asked twice, the entries differ: exit 2, no repository
code=0
pty mismatch.out cairn init --repo "$PWD/repo" >echo.out <<'STEPS' || code=$?
expect Passphrase:
send tiger lily one
expect Repeat it:
send tiger lily two
STEPS
assert_eq 2 "$code" "init with two different entries"
grep -q 'the two passphrases typed differ' mismatch.out || die "no mismatch error: $(cat mismatch.out)"
no_secret mismatch.out
[ ! -e repo/config ] || die "init with two different entries made a repository"
echo "init, two different entries: exit 2, nothing made"

pty init.out cairn init --repo "$PWD/repo" >echo.out <<'STEPS'
expect Passphrase:
send tiger lily one
expect Repeat it:
send tiger lily one
STEPS
no_secret init.out
grep -q 'created repository' init.out || die "init did not say it made the repository: $(cat init.out)"
grep -q 'without it .* cannot be read, and nobody can recover it' init.out \
  || die "init did not warn about a lost passphrase: $(cat init.out)"
assert_eq "echo on" "$(cat echo.out)" "the terminal's echo after init"
echo "init, the same entry twice: created, with the lost-passphrase note, no echo"

# any tool: asked once; the passphrase typed opens the repository, a wrong one is exit 12
printf 'tiger lily one\n' >pw
chmod 600 pw
pty list.out cairn key list --repo "$PWD/repo" >echo.out <<'STEPS'
expect Passphrase:
send tiger lily one
STEPS
no_secret list.out
grep -q 'Repeat' list.out && die "key list asked twice"
echo "key list: asked once, opened"
code=0
pty wrong.out cairn key list --repo "$PWD/repo" >echo.out <<'STEPS' || code=$?
expect Passphrase:
send tiger lily three
STEPS
assert_eq 12 "$code" "a wrong passphrase typed"
echo "a wrong passphrase typed: exit 12"

# key passwd: the current one, then the new one twice
code=0
pty passwd-bad.out cairn key passwd --repo "$PWD/repo" >echo.out <<'STEPS' || code=$?
expect Passphrase:
send tiger lily one
expect New passphrase:
send tiger lily four
expect Repeat it:
send tiger lily five
STEPS
assert_eq 2 "$code" "key passwd with two different new entries"
cairn key list --repo "$PWD/repo" --passphrase-file pw >/dev/null || die "the old passphrase no longer opens"
echo "key passwd, two different new entries: exit 2, unchanged"
pty passwd.out cairn key passwd --repo "$PWD/repo" >echo.out <<'STEPS'
expect Passphrase:
send tiger lily one
expect New passphrase:
send tiger lily four
expect Repeat it:
send tiger lily four
STEPS
no_secret passwd.out
printf 'tiger lily four\n' >pw
cairn key list --repo "$PWD/repo" --passphrase-file pw >/dev/null || die "the new passphrase does not open"
echo "key passwd: the new passphrase opens"

# Ctrl-C at the prompt: exit 130, the echo back on
code=0
pty intr.out cairn key list --repo "$PWD/repo" >echo.out <<'STEPS' || code=$?
expect Passphrase:
intr
STEPS
assert_eq 130 "$code" "Ctrl-C at the prompt"
assert_eq "echo on" "$(cat echo.out)" "the terminal's echo after Ctrl-C"
echo "Ctrl-C at the prompt: exit 130, echo on"

# a passphrase file wins over the prompt
pty file.out cairn key list --repo "$PWD/repo" --passphrase-file pw >/dev/null </dev/null
grep -q 'Passphrase:' file.out && die "asked although a passphrase file was given"
echo "a passphrase file: no prompt"
