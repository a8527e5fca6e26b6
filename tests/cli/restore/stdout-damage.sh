#!/usr/bin/env bash
# `cairn-restore --stdout` of a file with a damaged chunk in its middle writes the verified
# prefix (the intact chunks before the damage, byte for byte the file's start) and exits 4
# naming the file, as cairn-restore(1) says (issue 18): the exit status is what says the
# output is incomplete.
set -euo pipefail
. "$CAIRN_CLI_LIB"

# Chunks of at most 256K: the damage lands far after the first chunk.
make_repo "$PWD/repo" --chunk-min 64K --chunk-avg 128K --chunk-max 256K
mkdir a
gen_file a/big 2M 7
# One pack worker: chunks are stored in file order, so the pack's middle is the file's middle
# (with two workers the first chunk could land there and leave no prefix to check).
backup a --source app -- --jobs 1 >/dev/null
pack=$(find "$CAIRN_REPO/packs" -type f)
[ "$(wc -l <<<"$pack")" = 1 ] || die "expected one pack"
flip_byte "$pack" $(($(stat -c %s "$pack") / 2))

expect_exit 4 cairn-restore app@latest --stdout big
expect_stderr "^cairn-restore: error: .*big"
size=$(stat -c %s last.stdout)
[ "$size" -ge 65536 ] && [ "$size" -lt 2097152 ] || die "expected a prefix, got $size bytes"
cmp -n "$size" last.stdout a/big || die "the prefix is not the file's start"
echo "--stdout with a damaged chunk: the verified prefix, then exit 4"
