# Every CLI case that starts a server of its own (start_service NAME PORT, tests/cli/push/
# _remote.sh) uses a port no other case uses: ctest runs cases in parallel, and two on one port
# make one of them fail with "is taken by another process". Silent when all is well; names
# each port used twice and the cases that use it.
set -euo pipefail
. "$CAIRN_CLI_LIB"

cd "$CAIRN_SOURCE_DIR/tests/cli"
dups=$(grep -rHoE '^[^#]*start_service [a-z0-9]+ [0-9]+' --include='*.sh' . |
  awk '{ n = split($0, f, " "); port = f[n]; split($0, w, ":"); print port, w[1] }' |
  sort -k1,1n -k2 | awk '{ c[$1]++; cases[$1] = cases[$1] " " $2 } END { for (p in c) if (c[p] > 1) print p ":" cases[p] }')
[ -z "$dups" ] || die "ports used by more than one CLI case: $dups"
