#!/usr/bin/env bash
# A file larger than 8 MiB is restored in pieces by several workers at once (issue 14: both
# cores decrypt and decompress it), into one file under a temporary name renamed into place
# when every piece is written: it comes back byte for byte with its metadata, a sparse one
# still sparse. A damaged chunk in one piece leaves no file under its name and no temporary
# file: named, exit 4, the other files restored with --keep-going.
set -euo pipefail
. "$CAIRN_CLI_LIB"

make_repo
mkdir -p src/sub
printf 'small\n' >src/sub/small.txt
gen_file src/sub/a-before.bin 300K 3
truncate -s 40M src/sparse.img
for off in 0 9 21 39; do
  printf 'block at %d MiB' "$off" | dd of=src/sparse.img bs=1 seek=$((off * 1024 * 1024)) conv=notrunc status=none
done
chmod 0640 src/sparse.img
touch -d '2021-05-06 07:08:09.5' src/sparse.img
backup "$PWD/src" --source big >/dev/null
find "$CAIRN_REPO/packs" -type f | sort >packs.before
gen_file src/sub/big.bin 21M 9
chmod 0751 src/sub/big.bin
touch -d '2022-01-02 03:04:05.25' src/sub/big.bin
backup "$PWD/src" --source big >/dev/null

cairn-restore big@latest --to "$PWD/out" -q
compare_trees src out || die "the restore differs from the source"
[ "$(file_blocks out/sparse.img)" -lt $((4 * 1024 * 1024)) ] || die "out/sparse.img is not sparse"
[ -z "$(find out -name '.cairn-restore-*')" ] || die "temporary files left in the target"
echo "large and sparse files restored in pieces, byte for byte, with their metadata"

# The largest pack the second backup wrote holds big.bin's chunks: damage one in its middle.
find "$CAIRN_REPO/packs" -type f | sort >packs.after
pack=$(comm -13 packs.before packs.after | xargs ls -S | head -n 1)
flip_byte "$pack" $(($(stat -c %s "$pack") / 2))

expect_exit 4 cairn-restore big@latest --to "$PWD/damaged" --keep-going
expect_stderr '^cairn-restore: warning: sub/big\.bin: .*does not authenticate'
[ ! -e damaged/sub/big.bin ] || die "damaged/sub/big.bin (damaged) was left under its name"
[ -z "$(find damaged -name '.cairn-restore-*')" ] || die "temporary files left in the target"
cmp src/sub/small.txt damaged/sub/small.txt || die "small.txt was not restored"
cmp src/sparse.img damaged/sparse.img || die "sparse.img was not restored"
echo "--keep-going: a damaged piece leaves nothing under its name, the others restored, exit 4"

expect_exit 4 cairn-restore big@latest --to "$PWD/stopped"
expect_stderr 'sub/big\.bin: .*does not authenticate'
[ ! -e stopped/sub/big.bin ] || die "stopped/sub/big.bin (damaged) was left under its name"
[ -z "$(find stopped -name '.cairn-restore-*')" ] || die "temporary files left in the target"
echo "without --keep-going: the restore stops, nothing left under the damaged file's name"
