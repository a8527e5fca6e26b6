#!/usr/bin/env bash
# A missing index file is damage (exit 4), not a generic failure (exit 1): after an index
# file is deleted from storage, cairn-restore and cairn-verify of the set whose chunks it
# listed exit 4 and name what is missing.
set -euo pipefail
. "$CAIRN_CLI_LIB"

make_repo
mkdir a
gen_file a/data 300K 1
printf 'small\n' >a/v
backup a --source app >/dev/null
n=$(find "$CAIRN_REPO/index" -type f | wc -l)
[ "$n" -ge 1 ] || die "no index file"
find "$CAIRN_REPO/index" -type f -delete

for mode in "--to $PWD/out" "--tar" "--stdout v"; do
  # shellcheck disable=SC2086
  expect_exit 4 cairn-restore app@latest $mode
  grep -q "no index file lists it" last.stderr || die "restore $mode: $(cat last.stderr)"
  grep -q "cairn-verify" last.stderr || die "restore $mode does not name what to do: $(cat last.stderr)"
done
echo "cairn-restore: exit 4, names the missing chunk and the missing index"
expect_exit 4 cairn-verify app@latest
expect_stderr '^cairn-verify: error: damage found: '
grep -q "^missing chunk" last.stdout || die "cairn-verify does not name the missing chunk: $(cat last.stdout)"
echo "cairn-verify: exit 4, names the missing chunk"
