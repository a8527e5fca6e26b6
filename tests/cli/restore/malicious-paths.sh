#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# Restore never writes outside its target. Hand-made manifest streams (content inline):
#  - paths with "..", absolute paths and the like are refused by cairn-pack (cairn-manifest(5)
#    PATHS), naming the path; nothing is committed;
#  - valid paths that go through a symlink of the set ("link" -> outside, then "link/evil"),
#    and a hard link to such a path, are refused by cairn-restore, which names them;
#  - a symlink planted in an existing target (target/sub -> outside, target/leaf -> a file
#    outside) is not followed: it is replaced by the set's directory or file.
# Afterwards the outside directories hold exactly what they held before.
set -euo pipefail
# shellcheck source=../lib.sh
. "$CAIRN_CLI_LIB"

make_repo
outside=$(mktemp -d /tmp/cairn-outside.XXXXXX)
outside2=$(mktemp -d /tmp/cairn-outside.XXXXXX)
trap 'chmod -R u+rwX "$outside" "$outside2" 2>/dev/null; rm -rf "$outside" "$outside2"' EXIT
printf 'victim\n' >"$outside2/victim"
chmod 0640 "$outside2/victim"
outside_state() { (cd /tmp && find "$outside" "$outside2" -printf '%p %y %m %s %n %T@\n' | sort; cat "$outside2/victim"); }
outside_state >outside.before
printf 'evil content\n' >evil.bin
printf 'good content\n' >good.bin
now=$(date +%s%N)
entry() {  # entry PATH-JSON-MEMBER TYPE [EXTRA]: one entry line
  printf '{%s,"type":"%s","mode":420,"uid":0,"gid":0,"size":0,"mtime_ns":%s,"ctime_ns":%s,"nlink":1%s}' \
    "$1" "$2" "$now" "$now" "${3:-}"
}
file_entry() {  # file_entry STREAM PATH-MEMBER CONTENT
  stream_entry "$1" "$(entry "$2" file ',"inline":true')"
  stream_frames "$1" "$3"
}
dir_entry() { stream_entry "$1" "$(entry '"path":"."' dir)"; }

# 1. bad paths: cairn-pack refuses them at ingestion
bad_paths=('"path":"../evil"' '"path":"/abs/evil"' '"path":"a/../../evil"' '"path":"a/./b"' '"path":"a//b"'
  '"path":"a/"' '"path":""' '"path":".."' '"path_b64":"Li4vZXZpbA=="' '"path":"a/\u0000b"')
for p in "${bad_paths[@]}"; do
  stream_begin s.stream bad
  dir_entry s.stream
  file_entry s.stream '"path":"good"' good.bin
  file_entry s.stream "$p" evil.bin
  stream_end s.stream
  rc=0
  cairn-pack <s.stream >pack.out 2>pack.err || rc=$?
  [ "$rc" = 1 ] || { cat pack.err >&2; die "cairn-pack accepted {$p} (exit $rc)"; }
  [ "$(wc -l <pack.err)" = 1 ] || { cat pack.err >&2; die "{$p}: expected one error line"; }
  [ ! -s pack.out ] || die "{$p}: cairn-pack printed a set id"
done
# a hard link whose link leaves the set
stream_begin s.stream bad
dir_entry s.stream
file_entry s.stream '"path":"good"' good.bin
stream_entry s.stream "$(entry '"path":"hl"' hardlink ',"link":"../../etc/passwd"')"
stream_end s.stream
expect_exit 1 cairn-pack <s.stream
grep -q 'etc/passwd' last.stderr || { cat last.stderr >&2; die "the hard link's bad link is not named"; }
assert_eq 0 "$(set_ids | wc -l)" "sets after the refused streams"
[ ! -e /abs/evil ] || die "/abs/evil exists"
echo "bad paths refused by cairn-pack"

# 2. valid paths through a symlink of the set: cairn-restore refuses them
attack() {  # attack NAME: packs s.stream (ends it first), restores it into a fresh target
  stream_end s.stream
  cairn-pack <s.stream >pack.out 2>pack.err || { cat pack.err >&2; die "$1: cairn-pack refused a stream of valid paths"; }
  mkdir -p "$PWD/deep/er"
  rm -rf "$PWD/deep/er/target"
  rc=0
  cairn-restore "$(head -n 1 pack.out)" --to "$PWD/deep/er/target" >restore.out 2>restore.err || rc=$?
}
expect_refused() {  # expect_refused NAME PATH: the last restore failed and named PATH
  [ "$rc" != 0 ] || { cat restore.err >&2; die "$1: restore exited 0"; }
  grep -qF -- "$2" restore.err || { cat restore.err >&2; die "$1: restore did not name '$2'"; }
}
stream_begin s.stream sym
dir_entry s.stream
stream_entry s.stream "$(entry '"path":"link"' symlink ",\"target\":\"$outside\"")"
file_entry s.stream '"path":"link/evil"' evil.bin
attack "absolute symlink, then a file below it"
expect_refused "absolute symlink" "link/evil"
assert_eq "$outside" "$(readlink deep/er/target/link)" "the restored symlink itself"

stream_begin s.stream sym2
dir_entry s.stream
stream_entry s.stream "$(entry '"path":"up"' symlink ',"target":"../.."')"
file_entry s.stream '"path":"up/evil-up"' evil.bin
stream_entry s.stream "$(entry '"path":"dir"' dir)"
stream_entry s.stream "$(entry '"path":"dir/x"' symlink ',"target":"../up"')"
file_entry s.stream '"path":"dir/x/evil-x"' evil.bin
attack "relative symlink up, then files below it"
expect_refused "relative symlink" "up/evil-up"

stream_begin s.stream sym3
dir_entry s.stream
stream_entry s.stream "$(entry '"path":"l2"' symlink ",\"target\":\"$outside2\"")"
file_entry s.stream '"path":"l2/victim"' evil.bin
stream_entry s.stream "$(entry '"path":"hl"' hardlink ',"link":"l2/victim"')"
file_entry s.stream '"path":"zz-good"' good.bin
attack "a hard link to a path through a symlink"
[ "$rc" != 0 ] || { cat restore.err >&2; die "hard link through a symlink: restore exited 0"; }
grep -q 'l2/victim' restore.err || { cat restore.err >&2; die "restore did not name l2/victim"; }
if [ -e deep/er/target/hl ]; then
  [ "$(stat -c %i deep/er/target/hl)" != "$(stat -c %i "$outside2/victim")" ] || die "target/hl is a hard link to a file outside"
fi

# all of them in one set, --keep-going: each bad entry named, the good ones restored
stream_begin s.stream all
dir_entry s.stream
stream_entry s.stream "$(entry '"path":"a-link"' symlink ",\"target\":\"$outside\"")"
file_entry s.stream '"path":"a-link/evil"' evil.bin
file_entry s.stream '"path":"b-good"' good.bin
stream_entry s.stream "$(entry '"path":"c-up"' symlink ',"target":".."')"
file_entry s.stream '"path":"c-up/evil-c"' evil.bin
file_entry s.stream '"path":"d-good"' good.bin
attack "keep-going"
rc2=$rc
rm -rf deep/er/target
rc=0
cairn-restore all@latest --keep-going --to "$PWD/deep/er/target" >restore.out 2>restore.err || rc=$?
[ "$rc" != 0 ] || { cat restore.err >&2; die "--keep-going: restore exited 0"; }
expect_refused "--keep-going" "a-link/evil"
expect_refused "--keep-going" "c-up/evil-c"
cmp good.bin deep/er/target/b-good
cmp good.bin deep/er/target/d-good
[ "$rc2" != 0 ] || die "without --keep-going: restore exited 0"
echo "paths through a symlink of the set refused by cairn-restore"

# 3. a symlink planted in an existing target
mkdir -p src/sub
printf 'sub file\n' >src/sub/file
printf 'top\n' >src/top
printf 'leaf\n' >src/leaf
backup src --source planted >/dev/null
rm -rf target
mkdir target
ln -s "$outside" target/sub
ln -s "$outside2/victim" target/leaf
cairn-restore planted@latest --to "$PWD/target" >restore.out 2>restore.err \
  || { cat restore.err >&2; die "planted symlinks: restore failed"; }
[ -d target/sub ] && [ ! -L target/sub ] || die "the symlink planted at target/sub was not replaced"
[ -f target/leaf ] && [ ! -L target/leaf ] || die "the symlink planted at target/leaf was not replaced"
cmp src/sub/file target/sub/file && cmp src/leaf target/leaf
echo "a symlink planted in the target is not followed"

outside_state >outside.after
diff -u outside.before outside.after >&2 || die "something changed outside the target"
[ -z "$(find "$PWD" -name 'evil*' ! -path "$PWD/evil.bin" -type f)" ] || {
  find "$PWD" -name 'evil*' -type f >&2
  die "evil content was written somewhere"
}
for f in deep/evil-up deep/er/evil-up evil-up ../evil-up; do [ ! -e "$f" ] || die "$f exists: evil-up escaped"; done
cairn-verify >/dev/null 2>&1 || die "cairn-verify fails at the end"
echo "nothing written outside the targets"
