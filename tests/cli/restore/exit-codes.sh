#!/usr/bin/env bash
# Exit codes as cairn(7) has them (issue 18): a chunk whose pack file is gone is damage (exit 4,
# for --to, --tar and --stdout alike; this held already); SOURCE@latest when every set of the source is damaged is
# damage too (4, the line says how many and what to do); a passphrase file that does not exist
# is a usage error (2, one line naming the file).
set -euo pipefail
. "$CAIRN_CLI_LIB"

make_repo
mkdir a
gen_file a/data 300K 1
backup a --source app >/dev/null
id=$(set_ids app)
find "$CAIRN_REPO/packs" -type f -delete

for mode in "--to $PWD/out" "--tar" "--stdout data"; do
  # shellcheck disable=SC2086
  expect_exit 4 cairn-restore "$id" $mode
  expect_stderr "^cairn-restore: (error|warning): "
  grep -q "chunk '[0-9a-f]*'" last.stderr || die "restore $mode does not name the chunk: $(cat last.stderr)"
done
[ ! -e out/data ] || die "a damaged file was written under its final name"
echo "cairn-restore with a pack file gone: exit 4"

expect_exit 4 cairn-verify
expect_stderr '^cairn-verify: error: damage found: '
expect_exit 4 cairn-restore app@latest --to "$PWD/out2"
expect_stderr "^cairn-restore: error: no good backup set matches 'app@latest': 1 damaged set "
expect_exit 4 cairn-restore latest --to "$PWD/out2"
expect_stderr "^cairn-restore: error: no good backup set matches 'latest': 1 damaged set "
echo "app@latest and latest with only damaged sets: exit 4"

for tool in "cairn-restore $id --to $PWD/out3" "cairn-verify"; do
  # shellcheck disable=SC2086
  CAIRN_PASSPHRASE_FILE=$PWD/no-such-file expect_exit 2 $tool
  expect_stderr "^cairn[a-z-]*: error: the passphrase file '$PWD/no-such-file' does not exist: "
  [ "$(wc -l <last.stderr)" = 1 ] || die "$tool: more than one line: $(cat last.stderr)"
done
echo "a passphrase file that does not exist: exit 2, one line"
