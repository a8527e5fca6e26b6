#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# A tree with every kind of entry goes through snap | diff | pack and restore --to, and comes
# back equal byte for byte and attribute for attribute (checked without cairn: diff -r, a
# find listing of type/mode/owner/size/mtime/links, getfattr and getfacl dumps), with hard
# links still sharing an inode and a sparse file still sparse.
set -euo pipefail
# shellcheck source=../lib.sh
. "$CAIRN_CLI_LIB"
is_root || skip "needs root (chown, devices)"

make_repo
src=$PWD/src
make_tree "$src"

# More than make_tree has: a file bigger than the largest chunk (8 MiB) of mixed content,
# a big sparse file, more modes, owners, ACLs and names.
gen_file big.rand 8M 11
gen_text big.text 60000
gen_file big.rand2 5M 12
cat big.rand big.text big.rand2 >"$src/data/mixed-20m.bin"
head -c 4M /dev/zero >>"$src/data/mixed-20m.bin"
cat big.rand >>"$src/data/mixed-20m.bin"
rm big.rand big.rand2 big.text
[ "$(stat -c %s "$src/data/mixed-20m.bin")" -gt $((16 * 1024 * 1024)) ] || die "mixed file too small"
truncate -s 64M "$src/data/sparse-64m.img"
for off in 0 17 33 63; do
  printf 'block at %d MiB' "$off" | dd of="$src/data/sparse-64m.img" bs=1 seek=$((off * 1024 * 1024)) conv=notrunc status=none
done
printf 'gid\n' >"$src/bin/setgid-file"
chmod 2755 "$src/bin/setgid-file"
mkdir "$src/sticky-dir"
chmod 1755 "$src/sticky-dir"
printf 'other owner\n' >"$src/owned-1234"
chown 1234:5678 "$src/owned-1234"
mkdir "$src/owned-dir"
chown 1234:5678 "$src/owned-dir"
printf 'acl\n' >"$src/acl-nobody"
setfacl -m u:nobody:r "$src/acl-nobody"
setfattr -n user.test -v hello "$src/acl-nobody"
printf 'tab\n' >"$src/tab"$'\t'"name"
printf 'ff fe\n' >"$src/bytes-"$'\xff\xfe'
mkdir "$src/dir-"$'\xff'
printf 'inside\n' >"$src/dir-"$'\xff'"/"$'\x01'"ctl"
printf 'dash\n' >"$src/--double-dash"
long=$(printf 'n%.0s' $(seq 1 255))
printf 'long\n' >"$src/$long"
printf 'emoji\n' >"$src/🦀 ünïcödé"
ln -s "../$long" "$src/docs/link-to-long"
ln -s $'\xff\xfe' "$src/link-non-utf8"
printf 'three\n' >"$src/tri-1"
ln "$src/tri-1" "$src/docs/deep/tri-2"
ln "$src/tri-1" "$src/tri-3"
# parents touched by the additions above get a fixed mtime again
touch -d '2015-05-05 05:05:05.555 UTC' "$src/bin" "$src/docs" "$src/data" "$src/docs/deep"

set_id=$(backup "$src" --source every)
echo "backup committed"
# --special: the tree has device nodes and a setuid file, restored as they were only when asked
cairn-restore "$set_id" --special --to "$PWD/out"
echo "restored"

# The root of the target is the directory --to created; its own mode and mtime are the
# source root's when restored, but `find -mindepth 1` leaves the root out of the listings.
compare_trees "$src" "$PWD/out"
echo "trees equal"

# hard links: one inode per group
for g in "hard-a docs/hard-b" "tri-1 docs/deep/tri-2 tri-3"; do
  # shellcheck disable=SC2086  # a space-separated list
  set -- $g
  first=$(stat -c %i "out/$1")
  for p in "$@"; do
    assert_eq "$first" "$(stat -c %i "out/$p")" "inode of out/$p (hard link of out/$1)"
  done
  assert_eq "$#" "$(stat -c %h "out/$1")" "link count of out/$1"
done
echo "hard links kept"

# spot checks that the comparison above really saw the interesting entries
[ -p out/fifo ] || die "fifo missing"
{ [ -c out/char-dev ] && [ -b out/block-dev ]; } || die "devices missing"
assert_eq "1234:5678" "$(stat -c %u:%g out/owned-1234)" "owner of out/owned-1234"
assert_eq "4750" "$(stat -c %a out/bin/modes)" "mode of out/bin/modes"
assert_eq "2755" "$(stat -c %a out/bin/setgid-file)" "mode of out/bin/setgid-file"
assert_eq "1755" "$(stat -c %a out/sticky-dir)" "mode of out/sticky-dir"
assert_eq "hello" "$(getfattr --only-values -n user.test out/acl-nobody)" "xattr user.test"
getfacl -p out/acl-nobody | grep -x 'user:nobody:r--' >/dev/null || die "ACL u:nobody:r lost"
{ [ -f "out/bytes-"$'\xff\xfe' ] && [ -f "out/tab"$'\t'"name" ] && [ -f "out/$long" ]; } || die "odd names missing"
assert_eq "$(readlink "$src/link-non-utf8")" "$(readlink out/link-non-utf8)" "non-UTF-8 symlink target"
cmp "$src/data/mixed-20m.bin" out/data/mixed-20m.bin
echo "spot checks ok"

# sparse: 64 MiB long, only a few blocks allocated
assert_eq $((64 * 1024 * 1024)) "$(stat -c %s out/data/sparse-64m.img)" "size of the sparse file"
alloc=$(file_blocks out/data/sparse-64m.img)
[ "$alloc" -lt $((4 * 1024 * 1024)) ] || die "restored sparse file has $alloc bytes allocated (not sparse; the source has $(file_blocks "$src/data/sparse-64m.img"))"
echo "sparse file still sparse"
