#!/usr/bin/env bash
# lib.sh's compare_trees, which the round-trip cases rely on, accepts an exact copy of a
# make_tree tree (cp -a) and catches every kind of difference a restore could introduce.
set -euo pipefail
. "$CAIRN_CLI_LIB"

make_tree src
[ -f src/data/random-3m.bin ] && [ -L src/link-dangling ] && [ -p src/fifo ]
cp -a src copy
compare_trees src copy

check_detects() {  # check_detects DESCRIPTION COMMAND...: the change must be reported
  rm -rf dst
  cp -a src dst
  "${@:2}"
  if compare_trees src dst 2>/dev/null; then
    die "compare_trees missed: $1"
  fi
  echo "detected: $1"
}
check_detects "changed content" eval 'printf x >>dst/data/small.bin'
check_detects "same size, other bytes" eval 'printf Z | dd of=dst/data/random-3m.bin bs=1 seek=1000 conv=notrunc status=none; touch -r src/data/random-3m.bin dst/data/random-3m.bin'
check_detects "mode" chmod 0640 dst/private
check_detects "mtime" touch -d '2020-01-01' dst/empty
check_detects "sub-second mtime" touch -d '2001-02-03 04:05:06.123456788 UTC' dst/docs/hello.txt
check_detects "directory mtime" touch -d '2020-01-01' dst/docs/deep
check_detects "symlink target" ln -sfn elsewhere dst/link-dangling
check_detects "missing entry" rm dst/docs/deep/deeper/deepest/leaf.txt
check_detects "extra entry" touch dst/extra
check_detects "empty dir gone" rmdir dst/empty-dir
check_detects "hard link split" eval 'rm dst/docs/hard-b; cp -p dst/hard-a dst/docs/hard-b'
check_detects "fifo became a file" eval 'rm dst/fifo; touch -r src/fifo dst/fifo'
check_detects "xattr value" setfattr -n user.cairn.comment -v changed dst/docs/hello.txt
check_detects "xattr removed" setfattr -x user.cairn.dir dst/docs/deep
check_detects "ACL entry" setfacl -m u:4242:rwx dst/docs/hello.txt
check_detects "default ACL" setfacl -k dst/docs/deep/deeper
if is_root; then
  check_detects "owner" chown 1:1 dst/docs/owned-by-4242
  check_detects "device numbers" eval 'rm dst/char-dev; mknod dst/char-dev c 1 5; touch -r src/char-dev dst/char-dev'
fi
compare_trees --no-dir-mtime src copy
rm -rf dst && cp -a src dst && touch -d '2020-01-01' dst/docs/deep
compare_trees --no-dir-mtime src dst
echo "done"
