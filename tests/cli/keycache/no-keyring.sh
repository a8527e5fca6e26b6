#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# Where the kernel refuses the keyring syscalls (seccomp in a container: simulated with the
# test hook CAIRN_TEST_NO_KEYRING=1, as ENOSYS), the tools derive as before, with one -v line
# saying so, and the pipeline works.
set -euo pipefail
# shellcheck source=../lib.sh
. "$CAIRN_CLI_LIB"
# shellcheck source=_keyring.sh
. "$CAIRN_CASE_DIR/_keyring.sh"

keycache_repo
CAIRN_TEST_NO_KEYRING=1 pipeline off
assert_eq 2 "$(derivations off.diff off.pack)" "derivations without a keyring"
grep -q 'kernel keyring is unavailable (Function not implemented)' off.diff \
  || die "diff did not say the keyring is unavailable: $(cat off.diff)"
[ -z "$(entries)" ] || die "entries were kept: $(entries)"
cairn-restore "$(head -n 1 off.out)" --to "$PWD/out" 2>/dev/null
compare_trees "$src" out
echo "no keyring: each stage derives, the backup restores"
