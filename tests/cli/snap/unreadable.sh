#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# Files that cannot be read when cairn-pack gets to them. Root reads whatever the permission
# bits say, so as root the case uses what root cannot prevent: a file deleted, grown or
# replaced by a directory between cairn-snap and cairn-pack. cairn-pack names each one on
# stderr, exits 3 (completed with warnings), and commits a set with everything else. As
# another user, a file with mode 000 is tested too.
set -euo pipefail
# shellcheck source=../lib.sh
. "$CAIRN_CLI_LIB"

make_repo
mkdir -p src/d
gen_text src/keep1.txt 50
gen_file src/d/keep2.bin 200K 1
printf 'going away\n' >src/gone.txt
printf 'short\n' >src/grow.txt
printf 'file now\n' >src/replaced
cairn-snap src --source vanish >snap.stream 2>snap.err

rm src/gone.txt
printf 'grown after the snapshot\n' >>src/grow.txt
rm src/replaced
mkdir src/replaced
rc=0
cairn-pack <snap.stream >pack.out 2>pack.err || rc=$?
[ "$rc" = 3 ] || { cat pack.err >&2; die "cairn-pack exited $rc, expected 3 (warnings)"; }
for f in gone.txt grow.txt replaced; do
  grep -q -- "$f" pack.err || { cat pack.err >&2; die "cairn-pack did not name $f"; }
done
set_id=$(head -n 1 pack.out)
[[ $set_id =~ ^[0-9a-f]{64}$ ]] || die "no set id after warnings: '$set_id'"
assert_eq "$set_id" "$(set_ids vanish)" "the set in cairn ls"
echo "pack names each file and exits 3"

cairn-restore "$set_id" --to "$PWD/out" 2>/dev/null
cmp src/keep1.txt out/keep1.txt
cmp src/d/keep2.bin out/d/keep2.bin
[ ! -e out/gone.txt ] || die "the vanished file was restored"
# a file that changed while it was read is stored as read, never half of one and half of another
cmp src/grow.txt out/grow.txt
[ ! -f out/replaced ] || die "the replaced file was restored as a file"
echo "the set holds the other files"

if is_root; then
  echo "mode 000: skipped as root"
else
  printf 'locked\n' >src/locked
  chmod 000 src/locked
  rc=0
  (set -o pipefail && cairn-snap src --source locked | cairn-pack >pack.out 2>pack.err) || rc=$?
  chmod 600 src/locked
  [ "$rc" = 3 ] || { cat pack.err >&2; die "snap | pack of an unreadable file exited $rc, expected 3"; }
  grep -q locked pack.err || die "the unreadable file is not named"
  echo "mode 000: named, exit 3"
fi
