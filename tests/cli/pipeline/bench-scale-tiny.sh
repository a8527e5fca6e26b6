#!/usr/bin/env bash
# scripts/bench-scale with tiny numbers (issue 14, "memory as a budget"): 300 files through
# snap | diff | pack twice and a restore, then a repository with a 5,000-chunk synthetic index
# (cairn-test-tool synth-index) under an incremental cairn-pack and cairn-verify: every stage
# within its budget (the script exits 1 otherwise). The real key derivation (64 MiB): a build
# without test hooks ignores CAIRN_TEST_FAST_KDF, and the budgets count what runs. The full run is --files 1000000
# --chunks 10000000.
set -euo pipefail
. "$CAIRN_CLI_LIB"
command -v cairn-test-tool >/dev/null || skip "cairn-test-tool is not built"
[ -x /usr/bin/time ] || skip "GNU time is not installed"
asan_build && skip "AddressSanitizer's shadow memory is not the tools' budget"
out=$(CAIRN_BIN=$(dirname "$(command -v cairn-pack)") \
  CAIRN_HELPER_BIN=$(dirname "$(command -v cairn-test-tool)") \
  "$CAIRN_SOURCE_DIR/scripts/bench-scale" --files 300 --chunks 5000 --work "$PWD/scale")
echo "$out" | grep -c ' ok$'
