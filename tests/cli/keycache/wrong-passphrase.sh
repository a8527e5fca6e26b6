#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# A key kept in the keyring is bound to the passphrase's source, not to the repository: a
# different passphrase file (wrong content) does not find it and fails as before (exit 12);
# the same file with new content (new size, mtime, ctime) derives again: a wrong passphrase
# fails, the right one written back opens the repository.
set -euo pipefail
# shellcheck source=../lib.sh
. "$CAIRN_CLI_LIB"
# shellcheck source=_keyring.sh
. "$CAIRN_CASE_DIR/_keyring.sh"

keycache_repo
good=$(cat "$CAIRN_PASSPHRASE_FILE")
cairn key list -v >/dev/null 2>warm.err
assert_eq 1 "$(derivations warm.err)" "derivations on the first open"
cairn key list -v >/dev/null 2>again.err
assert_eq 1 "$(hits again.err)" "keys from the keyring on the second open"
echo "right passphrase: kept"

printf 'not the passphrase\n' >other
expect_exit 12 cairn key list -v --passphrase-file other
expect_stderr 'key derived'
expect_stderr "wrong passphrase for repository"
assert_eq 0 "$(hits last.stderr)" "keys from the keyring for another file"
echo "another file: derives and fails"

printf 'not the passphrase either\n' >"$CAIRN_PASSPHRASE_FILE"
touch -m -d @1000000000 "$CAIRN_PASSPHRASE_FILE"
expect_exit 12 cairn key list -v
expect_stderr 'key derived'
assert_eq 0 "$(hits last.stderr)" "keys from the keyring for the rewritten file"
printf '%s\n' "$good" >"$CAIRN_PASSPHRASE_FILE"
touch -m -d @1000000001 "$CAIRN_PASSPHRASE_FILE"
cairn key list -v >/dev/null 2>back.err
assert_eq 1 "$(derivations back.err)" "derivations once the right passphrase is back"
assert_eq 0 "$(hits back.err)" "keys from the keyring once the right passphrase is back"
echo "same file, new content: derives again, fails or opens as the content says"
