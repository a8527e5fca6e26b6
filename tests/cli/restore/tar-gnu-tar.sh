#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# cairn-restore --tar writes a tar (pax) stream that GNU tar extracts to the original tree:
# contents, types, modes, owners, mtimes, links, xattrs and ACLs (compared without cairn).
set -euo pipefail
# shellcheck source=../lib.sh
. "$CAIRN_CLI_LIB"
is_root || skip "needs root (owners, devices)"
tar --help | grep -- '--acls' >/dev/null || skip "this GNU tar has no --acls/--xattrs"

make_repo
src=$PWD/src
make_tree "$src"
backup "$src" --source tarred >/dev/null

# --special: make_tree has device nodes and setuid/setgid files, carried only when asked
cairn-restore latest --special --tar >out.tar 2>restore.err || { cat restore.err >&2; die "restore --tar failed"; }
[ -s out.tar ] || die "restore --tar wrote nothing"
mkdir x
tar -x -p --numeric-owner --xattrs --xattrs-include='*' --acls -f out.tar -C x 2>tar.err \
  || { cat tar.err >&2; die "GNU tar could not extract the stream"; }
# make_tree has an mtime in 2038, which GNU tar mentions; libarchive's pax writer adds
# LIBARCHIVE.xattr.* records (besides SCHILY.xattr.*) and hdrcharset, which GNU tar does not
# know and says so. Anything else is a complaint.
if grep -Ev "time stamp .* in the future|Ignoring unknown extended header keyword '(LIBARCHIVE\.xattr\.|hdrcharset)" tar.err >tar.complaints; then
  cat tar.complaints >&2
  die "GNU tar complained"
fi
compare_trees --no-mtime --no-xattr --no-acl "$src" x
echo "GNU tar extracts the original tree"

# hard links are links in the tar, not copies
assert_eq "$(stat -c %i x/hard-a)" "$(stat -c %i x/docs/hard-b)" "inode of x/docs/hard-b"
tar -tvf out.tar 2>/dev/null | grep ' link to ' >/dev/null || die "no hard link member in the tar"
echo "hard links kept"

# a partial restore as tar holds only what was asked (a member for the directory leading to
# it, docs, is allowed but not required: tar creates missing parents)
cairn-restore latest docs/deep --special --tar >part.tar 2>/dev/null
tar -tf part.tar | sed 's#^\./##; s#/$##' | grep -v '^\.\?$' | grep -vx docs | LC_ALL=C sort >part.list
printf '%s\n' docs/deep docs/deep/deeper docs/deep/deeper/deepest docs/deep/deeper/deepest/leaf.txt docs/deep/text.txt \
  | LC_ALL=C sort >part.want
diff -u part.want part.list >&2 || die "partial --tar holds other members"
echo "partial tar"

# mtimes to the nanosecond (make_tree sets sub-second ones), as restore --to keeps them
compare_trees --no-xattr --no-acl "$src" x
echo "mtimes"

# xattrs and POSIX ACLs (access and default) survive the tar too
compare_trees "$src" x
echo "xattrs and ACLs"
