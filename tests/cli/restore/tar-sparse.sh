#!/usr/bin/env bash
# cairn-restore --tar writes a sparse file as a sparse member (GNU sparse 1.0 in pax
# headers): the stream carries only the chunks that are not all zeros, and GNU tar extracts
# the file with its holes (a leading, an inner and a trailing one) and the exact content.
set -euo pipefail
. "$CAIRN_CLI_LIB"
command -v tar >/dev/null || skip "no tar"

make_repo
mkdir src
truncate -s 256M src/sparse.img  # 1G took 20 s of wall time under load
gen_file blk 64K 31
dd if=blk of=src/sparse.img bs=64K seek=800 conv=notrunc status=none  # at 50 MiB
printf 'in the middle' | dd of=src/sparse.img bs=1M seek=200 conv=notrunc status=none
gen_text src/plain.txt 100
[ "$(file_blocks src/sparse.img)" -lt $((4 << 20)) ] || skip "this file system does not keep holes"
backup src --source sparse >/dev/null

cairn-restore sparse@latest --tar >out.tar
size=$(stat -c %s out.tar)
[ "$size" -lt $((64 << 20)) ] || die "the tar stream holds the holes: $size bytes"
echo "the stream leaves the holes out"

mkdir x
tar -xf out.tar -C x
cmp src/sparse.img x/sparse.img
cmp src/plain.txt x/plain.txt
assert_eq "$(stat -c %s src/sparse.img)" "$(stat -c %s x/sparse.img)" "size of the extracted file"
blocks=$(file_blocks x/sparse.img)
[ "$blocks" -lt $((64 << 20)) ] || die "GNU tar wrote the holes: $blocks bytes on disk"
echo "GNU tar extracts it sparse and exact"
