#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# A tar stream from cairn-restore never carries a member that escapes its root. A hand-made
# set (manifest stream, content inline) holds a symlink to a directory outside, a file
# below that symlink, and hard links whose link goes through it or is it: --tar leaves those
# members out, names each (exit 3), and keeps the rest; the symlink itself stays (its target
# may point anywhere, as in any tar). GNU tar extracting the stream writes nothing outside.
set -euo pipefail
# shellcheck source=../lib.sh
. "$CAIRN_CLI_LIB"

make_repo
outside=$(mktemp -d /tmp/cairn-outside.XXXXXX)
trap 'rm -rf "$outside"' EXIT
printf 'victim\n' >"$outside/victim"
printf 'evil content\n' >evil.bin
printf 'good content\n' >good.bin
now=$(date +%s%N)
entry() {  # entry PATH-JSON-MEMBER TYPE [EXTRA]
  printf '{%s,"type":"%s","mode":420,"uid":0,"gid":0,"size":0,"mtime_ns":%s,"ctime_ns":%s,"nlink":1%s}' \
    "$1" "$2" "$now" "$now" "${3:-}"
}
file_entry() {  # file_entry STREAM PATH-MEMBER CONTENT
  stream_entry "$1" "$(entry "$2" file ',"inline":true')"
  stream_frames "$1" "$3"
}
stream_begin s.stream escape
stream_entry s.stream "$(entry '"path":"."' dir)"
file_entry s.stream '"path":"a-good"' good.bin
stream_entry s.stream "$(entry '"path":"link"' symlink ",\"target\":\"$outside\"")"
file_entry s.stream '"path":"link/evil"' evil.bin
stream_entry s.stream "$(entry '"path":"link/deeper"' dir)"
stream_entry s.stream "$(entry '"path":"m-hard"' hardlink ',"link":"link/victim"')"
stream_entry s.stream "$(entry '"path":"n-hard"' hardlink ',"link":"link"')"
stream_entry s.stream "$(entry '"path":"o-hard"' hardlink ',"link":"a-good"')"
file_entry s.stream '"path":"z-good"' good.bin
stream_end s.stream
cairn-pack <s.stream >/dev/null 2>pack.err || { cat pack.err >&2; die "cairn-pack refused a stream of valid paths"; }

set +e
cairn-restore escape@latest --tar >out.tar 2>restore.err
rc=$?
set -e
[ "$rc" = 3 ] || { cat restore.err >&2; die "--tar exited $rc, expected 3"; }
for p in link/evil link/deeper m-hard n-hard; do
  grep -q "warning: $p: " restore.err || { cat restore.err >&2; die "'$p' is not named"; }
done
tar -tf out.tar | sed 's#/$##' | LC_ALL=C sort >members
printf '%s\n' ./ a-good link o-hard z-good | sed 's#/$##' | LC_ALL=C sort >want
diff -u want members >&2 || die "the stream holds other members than expected"
echo "members through a symlink, and hard links through or to one, are left out"

mkdir x
tar -x -f out.tar -C x
cmp good.bin x/a-good && cmp good.bin x/z-good && cmp good.bin x/o-hard
[ ! -e "$outside/evil" ] || die "tar -x wrote outside the target"
assert_eq "victim" "$(cat "$outside/victim")" "the file outside"
assert_eq 1 "$(ls "$outside" | wc -l)" "entries outside"
echo "GNU tar writes nothing outside"
