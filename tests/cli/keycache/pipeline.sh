#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# One key derivation per pipeline: in snap | diff | pack, diff and pack open the repository
# at the same moment; one derives (Argon2id) and keeps the key in the kernel keyring, the
# other waits on the lock and takes it from there. A second pipeline within CAIRN_KEY_CACHE
# seconds derives nothing; with CAIRN_KEY_CACHE=off (or 0) each stage derives, as before.
# A passphrase from CAIRN_PASSPHRASE_FD (a pipe: nothing names it) is never cached.
set -euo pipefail
# shellcheck source=../lib.sh
. "$CAIRN_CLI_LIB"
# shellcheck source=_keyring.sh
. "$CAIRN_CASE_DIR/_keyring.sh"

keycache_repo
[ -z "$(entries)" ] || die "the new session keyring already holds cairn entries: $(entries)"

pipeline first
assert_eq 1 "$(derivations first.diff first.pack)" "derivations in the first pipeline"
assert_eq 1 "$(hits first.diff first.pack)" "keys from the keyring in the first pipeline"
assert_eq 1 "$(entries | wc -l)" "entries after the first pipeline"
echo "first pipeline: one derivation, the other stage reads the keyring"

gen_text "$src/b.txt" 5
pipeline second
assert_eq 0 "$(derivations second.diff second.pack)" "derivations in the second pipeline"
assert_eq 2 "$(hits second.diff second.pack)" "keys from the keyring in the second pipeline"
echo "second pipeline: no derivation"

for off in off 0; do
  gen_text "$src/c.txt" 7
  CAIRN_KEY_CACHE=$off pipeline "off-$off"
  assert_eq 2 "$(derivations "off-$off".diff "off-$off".pack)" "derivations with CAIRN_KEY_CACHE=$off"
  assert_eq 0 "$(hits "off-$off".diff "off-$off".pack)" "keys from the keyring with CAIRN_KEY_CACHE=$off"
done
echo "CAIRN_KEY_CACHE=off and 0: each stage derives"

pass=$CAIRN_PASSPHRASE_FILE
unset CAIRN_PASSPHRASE_FILE
CAIRN_PASSPHRASE_FD=3 cairn key list -v 3<"$pass" 2>fd.err >/dev/null
assert_eq 1 "$(derivations fd.err)" "derivations with CAIRN_PASSPHRASE_FD"
assert_eq 0 "$(hits fd.err)" "keys from the keyring with CAIRN_PASSPHRASE_FD"
echo "CAIRN_PASSPHRASE_FD: not cached"

export CAIRN_PASSPHRASE_FILE=$pass
expect_exit 2 env CAIRN_KEY_CACHE=forever cairn key list
expect_stderr "CAIRN_KEY_CACHE must be 'off' or a number of seconds.*'forever'"
echo "CAIRN_KEY_CACHE=forever: refused"
