#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# A kept key that does not open its slot (here: replaced by a wrong one) is dropped and the
# KDF runs; the right key is kept again in its place.
set -euo pipefail
# shellcheck source=../lib.sh
. "$CAIRN_CLI_LIB"
# shellcheck source=_keyring.sh
. "$CAIRN_CASE_DIR/_keyring.sh"

keycache_repo
cairn key list -v >/dev/null 2>warm.err
assert_eq 1 "$(derivations warm.err)" "derivations on the first open"
assert_eq 1 "$(cairn-test-keyring corrupt)" "entries corrupted"
cairn key list -v >/dev/null 2>after.err || die "a wrong kept key stopped the open: $(cat after.err)"
grep -q 'does not open it: dropped' after.err || die "no line says the kept key was dropped: $(cat after.err)"
assert_eq 1 "$(derivations after.err)" "derivations after the corruption"
cairn key list -v >/dev/null 2>healed.err
assert_eq 1 "$(hits healed.err)" "keys from the keyring after the corruption"
echo "a wrong kept key is dropped, the KDF runs, the right key is kept"
