#!/usr/bin/env bash
# `cairn mount DIR` shows the sets read-only through FUSE (cairn(1) MOUNT): every file read
# through the mount matches the source tree (sha256, mode, owner, size, mtime, symlink
# targets), a read at an offset inside a file of many chunks gives the right bytes, writes
# fail with EROFS, ids/, SOURCE/TIME and SOURCE/latest name the same set, and the tool exits
# 0 on `fusermount3 -u` and on SIGTERM (unmounting itself).
set -euo pipefail
. "$CAIRN_CLI_LIB"
. "$CAIRN_CASE_DIR/_mount.sh"
need_fuse

# Chunks of at most 256K: the 3M file spans a dozen or more.
make_repo "$PWD/repo" --chunk-min 64K --chunk-avg 128K --chunk-max 256K
mkdir -p src/sub/deeper
gen_file src/big 3M 7
gen_text src/sub/notes.txt 200
printf x >src/sub/tiny
: >src/empty
ln -s sub/notes.txt src/link
ln -s /no/such/target src/dangling
ln src/big src/big.hard
chmod 0640 src/sub/tiny
chmod 0751 src/sub
chmod 0700 src/sub/deeper
old=$(backup src --source app)
gen_text src/sub/notes.txt 300  # a second, newer set: latest must name it
touch -d '2020-01-02 03:04:05.123456789' src/sub/notes.txt
id=$(backup src --source app)

start_mount mnt
[ -d "mnt/ids/$old" ] || die "mnt/ids lacks the older set"
latest=$(readlink mnt/app/latest)
[ -d "mnt/app/$latest" ] || die "app/latest points at '$latest', which is not there"
[ "$(ls mnt/app | wc -l)" = 3 ] || die "mnt/app should hold two sets and latest: $(ls mnt/app)"

# Each entry: type, permissions, owner, size (not for directories), mtime; content; target.
listing() {  # listing DIR
  (cd "$1" && find . -mindepth 1 | LC_ALL=C sort | while IFS= read -r p; do
    if [ -d "$p" ] && [ ! -L "$p" ]; then
      stat -c '%n %F %a %u %g %.9Y' "$p"
    else
      stat -c '%n %F %a %u %g %s %.9Y' "$p"
    fi
    if [ -L "$p" ]; then readlink "$p"; elif [ -f "$p" ]; then sha256sum <"$p"; fi
  done)
}
listing src >want
listing "mnt/ids/$id" >got.ids
listing mnt/app/latest/ >got.latest
diff want got.ids >&2 || die "the tree under ids/$id differs from the source"
diff want got.latest >&2 || die "the tree under app/latest differs from the source"
grep -q '^./sub/notes.txt regular file 644 [0-9]* [0-9]* [0-9]* 1577934245.123456789$' want \
  || die "the listing lost the sub-second mtime"

# A read at an offset: 700 KB from 1,234,000 on, across several chunks.
a=$(dd if=src/big bs=1000 skip=1234 count=700 status=none | sha256sum)
b=$(dd if="mnt/ids/$id/big" bs=1000 skip=1234 count=700 status=none | sha256sum)
assert_eq "$a" "$b" "700 KB of big read at offset 1234000"

# The older set still has the older notes.
cmp -s src/sub/notes.txt "mnt/ids/$old/sub/notes.txt" && die "ids/$old shows the newer notes"
[ "$(wc -l <"mnt/ids/$old/sub/notes.txt")" = 200 ] || die "ids/$old/sub/notes.txt is not the older file"

# Read-only: writing, creating and removing are refused with EROFS.
expect_exit 2 sh -c "echo more >>mnt/ids/$id/sub/tiny"
expect_stderr "Read-only file system"
expect_exit 1 touch "mnt/ids/$id/new"
expect_stderr "Read-only file system"
expect_exit 1 rm "mnt/ids/$id/big"
expect_stderr "Read-only file system"

stop_mount mnt
assert_eq 0 "$mount_rc" "exit status of cairn mount after fusermount3 -u"
mountpoint -q mnt && die "mnt is still mounted"
grep -q "^cairn: mount: 2 sets at mnt; unmount with 'fusermount3 -u mnt' or Ctrl-C$" mount.stderr \
  || { cat mount.stderr >&2; die "no 'mounted' line on stderr"; }

# SIGTERM: cairn mount unmounts and exits 0.
start_mount mnt
kill -TERM "$mount_pid"
wait_exit "$mount_pid"
assert_eq 0 "$mount_rc" "exit status of cairn mount after SIGTERM"
mountpoint -q mnt && die "mnt is still mounted after SIGTERM"
echo "mount: files, modes, owners, mtimes, symlinks and offsets read back; EROFS; exit 0"
