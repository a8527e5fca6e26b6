#!/usr/bin/env bash
# `cairn mount --from DEST` mounts a destination's sets (as cairn-restore --from): they read
# back with no local repository or catalog. A mount point that is not a directory is refused
# with one line (exit 2).
set -euo pipefail
. "$CAIRN_CLI_LIB"
. "$CAIRN_CASE_DIR/_mount.sh"
need_fuse

make_repo "$PWD/repo"
mkdir src
gen_file src/data 300K 3
gen_text src/notes 20
id=$(backup src --source app)
cairn-push "file://$PWD/dest" <pack.out >/dev/null
mv "$CAIRN_REPO" "$PWD/gone"  # the local repository and catalog play no part
rm -f "$CAIRN_CATALOG"

start_mount mnt --from "file://$PWD/dest"
cmp src/data "mnt/ids/$id/data" || die "data does not read back from the destination"
cmp src/notes mnt/app/latest/notes || die "notes does not read back through app/latest"
stop_mount mnt
assert_eq 0 "$mount_rc" "exit status of cairn mount --from after fusermount3 -u"

: >not-a-dir
expect_exit 2 cairn mount not-a-dir --from "file://$PWD/dest"
expect_stderr "^cairn: error: mount point 'not-a-dir' is not a directory: create it first$"
[ "$(wc -l <last.stderr)" = 1 ] || die "expected one line on stderr"
echo "mount --from: a destination's sets read back; a file as mount point: exit 2"
