#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# Device nodes, setuid/setgid bits and file capabilities come back only with --special:
#  - without it, restore --to and --tar skip the device nodes with one warning line that
#    counts them and names --special (exit 3), clear the setuid/setgid bits of files (a
#    directory's setgid bit stays) and leave security.capability out;
#  - with it, all of them are restored (exit 0).
set -euo pipefail
# shellcheck source=../lib.sh
. "$CAIRN_CLI_LIB"
is_root || skip "needs root (device nodes, security.capability)"
command -v setfattr >/dev/null || skip "no setfattr"

make_repo
mkdir -p src/shared
printf 'plain\n' >src/plain
printf 'suid\n' >src/suid && chmod 4755 src/suid
printf 'sgid\n' >src/sgid && chmod 2755 src/sgid
chmod 2775 src/shared
mknod src/null-like c 1 3
mknod src/loop-like b 7 200
mkfifo src/fifo
printf 'cap\n' >src/capable && chmod 0755 src/capable
# cap_net_bind_service, effective (struct vfs_cap_data, revision 2)
setfattr -n security.capability -v 0x0100000200040000000000000000000000000000 src/capable \
  || skip "this filesystem refuses security.capability"
setfattr -n user.note -v kept src/capable
backup "$PWD/src" --source special >/dev/null

mode() { stat -c %a "$1"; }
has_cap() { getfattr --absolute-names -m - -d "$1" >xattrs.txt 2>/dev/null || true; grep -q '^security.capability=' xattrs.txt; }

# --to, default
expect_exit 3 cairn-restore special@latest --to "$PWD/t"
[ "$(grep -c 'warning' last.stderr)" = 2 ] || { cat last.stderr >&2; die "expected the device line and the summary line"; }
grep -q "warning: 2 device nodes were not restored; --special restores them" last.stderr \
  || { cat last.stderr >&2; die "no warning counting the device nodes and naming --special"; }
[ ! -e t/null-like ] && [ ! -e t/loop-like ] || die "a device node was restored without --special"
[ -p t/fifo ] || die "the FIFO was not restored"
assert_eq 755 "$(mode t/suid)" "mode of t/suid"
assert_eq 755 "$(mode t/sgid)" "mode of t/sgid"
assert_eq 2775 "$(mode t/shared)" "mode of the setgid directory t/shared"
! has_cap t/capable || die "security.capability was applied without --special"
assert_eq kept "$(getfattr --only-values -n user.note t/capable)" "user.note of t/capable"
echo "--to: devices skipped, setuid/setgid cleared, capabilities left out"

# --tar, default
set +e
cairn-restore special@latest --tar >default.tar 2>tar.err
rc=$?
set -e
assert_eq 3 "$rc" "exit status of --tar without --special"
grep -q "warning: 2 device nodes were not restored; --special restores them" tar.err || { cat tar.err >&2; die "--tar: no device warning"; }
tar -tvf default.tar >default.list 2>/dev/null
! grep -Eq '^[cb]' default.list || die "--tar carries a device node without --special"
grep -E ' \./suid$| suid$' default.list | grep -q '^-rwxr-xr-x ' || { cat default.list >&2; die "--tar: suid keeps its setuid bit"; }
grep -E ' \./sgid$| sgid$' default.list | grep -q '^-rwxr-xr-x ' || { cat default.list >&2; die "--tar: sgid keeps its setgid bit"; }
! grep -aq 'security.capability' default.tar || die "--tar carries security.capability without --special"
echo "--tar: the same"

# --special
expect_exit 0 cairn-restore special@latest --special --to "$PWD/s"
[ -c s/null-like ] && [ -b s/loop-like ] || die "--special: device nodes not restored"
assert_eq "1:3" "$(stat -c '%t:%T' s/null-like)" "device numbers of s/null-like"
assert_eq 4755 "$(mode s/suid)" "mode of s/suid"
assert_eq 2755 "$(mode s/sgid)" "mode of s/sgid"
has_cap s/capable || die "--special: security.capability not applied"
cairn-restore special@latest --special --tar >special.tar
tar -tvf special.tar >special.list 2>/dev/null
grep -Eq '^c' special.list || die "--special --tar: no character device member"
grep -aq 'security.capability' special.tar || die "--special --tar: no security.capability"
echo "--special restores them all"
