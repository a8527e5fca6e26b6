#!/usr/bin/env bash
# The runner compares exit status, stdout (exact) and stderr (glob) with the files next to
# this case, and gives the case an empty scratch dir as cwd with stdin from /dev/null.
set -euo pipefail
[ -z "$(ls -A .)" ] || { echo "scratch dir is not empty" >&2; exit 1; }
[ "$PWD" = "$CAIRN_SCRATCH" ]
if read -r _; then echo "stdin is not empty" >&2; exit 1; fi
printf 'first line\n\nthird line with  two spaces\n'
echo "a warning on stderr, pid $$" >&2
exit 3
