#!/usr/bin/env bash
# Small files into directories the restore made (private to the restorer until their own
# metadata is applied at the end) are created under their final name once their chunks
# authenticated, not under a temporary name and renamed (issue 14): counted with strace -c, a
# restore of many small files spends no rename and (as root) no chown per file whose recorded
# owner is the one it was created with, while every owner, mode and time still comes back,
# including a file recorded as root's in a setgid directory of another group (created in that
# group, so chowned back), files of other owners, and a file already in the target (its name
# taken: written under a temporary name and renamed over it, as before).
set -euo pipefail
. "$CAIRN_CLI_LIB"

need_strace
make_repo
for d in 1 2 3; do
  mkdir -p "src/d$d/sub"
  for i in $(seq 1 100); do head -c $((i * 29 + d)) "$CAIRN_SOURCE_DIR/README.md" >"src/d$d/sub/f$i"; done
done
files=300
chmod 0640 src/d1/sub/f1
chmod 0600 src/d1/sub/f2
chmod 0700 src/d3/sub  # private in the target too: a second restore finds its names taken
touch -d '2020-01-02 03:04:05.123456789' src/d2/sub/f3
if is_root; then
  chown 1234:5678 src/d1/sub/f4 src/d2
  chown 0:5678 src/d1/sub/f5
  chown 5678:0 src/d1/sub/f6
  mkdir src/sg
  chown 0:5678 src/sg
  chmod 2750 src/sg
  printf 'root in a setgid dir\n' >src/sg/root-file
  chown 0:0 src/sg/root-file
  printf 'group of the dir\n' >src/sg/group-file
  chown 0:5678 src/sg/group-file
fi
set_id=$(backup src)

calls() { strace_calls "$@"; }

mkdir out
strace -f -c -o restore.strace cairn-restore "$set_id" --to "$PWD/out" -q
compare_trees src out || die "the restore differs from the source"
[ -z "$(find out -name '.cairn-restore-*')" ] || die "temporary files left in the target"
renames=$(($(calls rename restore.strace) + $(calls renameat restore.strace) + $(calls renameat2 restore.strace)))
chowns=$(($(calls fchown restore.strace) + $(calls fchownat restore.strace) + $(calls chown restore.strace)))
opens=$(calls openat restore.strace)
[ "$renames" -le 10 ] || { cat restore.strace >&2; die "cairn-restore: $renames renames for $files files"; }
[ "$chowns" -le 20 ] || { cat restore.strace >&2; die "cairn-restore: $chowns chowns for $files files"; }
[ "$opens" -le $((files + 150)) ] || { cat restore.strace >&2; die "cairn-restore: $opens opens for $files files"; }
echo "small files: no rename, no chown of a file already the owner's, one open each"
if is_root; then
  assert_eq "0:0 0:5678" "$(stat -c %u:%g out/sg/root-file out/sg/group-file | tr '\n' ' ' | sed 's/ $//')" \
    "owners in the setgid directory"
fi

# A second restore over the first: every name is taken, each file is written under a
# temporary name and renamed over it.
printf 'changed\n' >out/d1/sub/f7
printf 'changed\n' >out/d3/sub/f7
strace -f -c -o again.strace cairn-restore "$set_id" --to "$PWD/out" -q
compare_trees src out || die "the restore over the first differs from the source"
[ -z "$(find out -name '.cairn-restore-*')" ] || die "temporary files left in the target"
renames=$(($(calls rename again.strace) + $(calls renameat again.strace) + $(calls renameat2 again.strace)))
[ "$renames" -ge "$files" ] || die "over a full target: $renames renames for $files files"
echo "over a full target: written under temporary names and renamed"
