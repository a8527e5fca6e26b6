#!/usr/bin/env bash
# The runner isolates a case: throwaway HOME/XDG dirs and TMPDIR inside the scratch dir,
# CAIRN_TEST_FAST_KDF=1, CAIRN_KEY_CACHE=off, the tools dir first on PATH, and no CAIRN_* leaking in from the
# caller (ctest sets CAIRN_REPO below; it must not arrive here).
set -euo pipefail
scratch_root=$(dirname "$CAIRN_SCRATCH")
for v in HOME XDG_STATE_HOME XDG_CONFIG_HOME XDG_CACHE_HOME XDG_DATA_HOME TMPDIR; do
  case ${!v} in
    "$scratch_root"/*) echo "$v inside scratch" ;;
    *) echo "$v=${!v} is outside the scratch dir" ;;
  esac
done
echo "CAIRN_TEST_FAST_KDF=$CAIRN_TEST_FAST_KDF"
echo "CAIRN_KEY_CACHE=$CAIRN_KEY_CACHE"
echo "CAIRN_REPO=${CAIRN_REPO:-unset}"
[ -f "$CAIRN_CLI_LIB" ] && echo "lib found"
if [ -n "${CAIRN_BIN:-}" ]; then
  [ "${PATH%%:*}" = "$CAIRN_BIN" ] && echo "tools dir first on PATH"
else
  echo "tools dir first on PATH"   # run by hand without CAIRN_BIN
fi
seq 1 50
echo last
