#!/usr/bin/env bash
# A damaged pack under `cairn mount`: reading the file whose chunk it spoils fails with EIO
# and one warning on stderr naming the file, other files read fine, and after the unmount
# cairn mount exits 4 (damage met), as cairn(1) MOUNT says.
set -euo pipefail
. "$CAIRN_CLI_LIB"
. "$CAIRN_CASE_DIR/_mount.sh"
need_fuse

# One pack; the 2M file fills nearly all of it, so its middle byte is in one of its chunks
# (the manifest's chunks are written last, at the end of the pack).
make_repo "$PWD/repo" --chunk-min 64K --chunk-avg 128K --chunk-max 256K
mkdir src
gen_file src/big 2M 7
gen_text src/small 50
id=$(backup src --source app)
pack=$(find "$CAIRN_REPO/packs" -type f)
[ "$(wc -l <<<"$pack")" = 1 ] || die "expected one pack"
flip_byte "$pack" $(($(stat -c %s "$pack") / 2))

start_mount mnt
expect_exit 1 cat "mnt/ids/$id/big"
expect_stderr "Input/output error"
cmp src/small "mnt/ids/$id/small" || die "small does not read back intact"
cmp src/small mnt/app/latest/small || die "small does not read back through latest"
stop_mount mnt
assert_eq 4 "$mount_rc" "exit status of cairn mount after a damaged read"
grep -q "^cairn: warning: ids/$id/big: .*does not authenticate" mount.stderr \
  || { cat mount.stderr >&2; die "no line naming big"; }
assert_eq 1 "$(grep -c "ids/$id/big:" mount.stderr)" "lines naming big's damage (once, however often read)"
echo "mount: a damaged chunk fails its file's read with EIO, other files read; exit 4"
