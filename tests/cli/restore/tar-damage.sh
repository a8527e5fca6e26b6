#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# Damage never turns into a tar stream that extracts as if whole, and a forged size never
# makes restore write more than the chunks hold:
#  2. a set whose file declares 2^63 bytes backed by one 6-byte chunk (a hand-made manifest
#     stream marking the file unchanged with that chunk): --tar writes a few KiB and exits 4,
#     tar -x fails; --stdout writes nothing and exits 4; --to leaves no file and exits 4 (the
#     others restored with --keep-going); the same with a declared size below the chunk's;
#  1. one byte flipped in a pack (as anyone with write access to the storage can):
#     `cairn-restore --tar | tar -x` - cairn-restore exits 4 and tar -x fails too (the stream
#     is cut off: no zero padding stands in for the lost bytes, no end-of-archive follows).
set -euo pipefail
# shellcheck source=../lib.sh
. "$CAIRN_CLI_LIB"

make_repo
mkdir -p src/sub
gen_file src/big.bin 3M 11
printf "small\n" >src/sub/small.txt  # big.bin is nearly all of the one pack
printf 'hello\n' >src/a
backup "$PWD/src" --source good >/dev/null

# ---- 2. (first: the repository is still sound) a declared size the chunks do not back
forge() {  # forge SOURCE SIZE: a set of src/ where 'a' (6 bytes, one chunk) declares SIZE
  cairn-snap "$PWD/src" | cairn-diff --against good@latest >diff.stream
  "$CAIRN_PY" - diff.stream forged.stream "$1" "$2" <<'PY'
import hashlib, json, sys
src, dst, source, size = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
lines = open(src, "rb").read().splitlines(keepends=True)
out = []
for line in lines[:-1]:
    o = json.loads(line)
    if "cairn" in o:
        o["set"]["source"] = source
    elif o.get("path") == "a":
        assert o["status"] == "unchanged" and len(o["chunks"]) == 1, o
        o["size"] = size
    out.append((json.dumps(o, separators=(",", ":")) + "\n").encode())
body = b"".join(out)
end = {"end": True, "entries": len(out) - 1, "digest": hashlib.blake2b(body, digest_size=32).hexdigest()}
open(dst, "wb").write(body + (json.dumps(end, separators=(",", ":")) + "\n").encode())
PY
  cairn-pack <forged.stream >/dev/null 2>pack.err || { cat pack.err >&2; die "cairn-pack refused the forged stream"; }
}
for forged in 9223372036854775808 1; do
  forge "forged-$forged" "$forged"
  set +e
  cairn-restore "forged-$forged@latest" --tar 2>restore.err | head -c 4M >forged.tar
  status=("${PIPESTATUS[@]}")
  set -e
  [ "${status[0]}" = 4 ] || { cat restore.err >&2; die "size $forged: --tar exited ${status[0]}, expected 4"; }
  grep -q "'a'" restore.err || { cat restore.err >&2; die "size $forged: --tar did not name 'a'"; }
  [ "$(stat -c %s forged.tar)" -lt 65536 ] || die "size $forged: --tar wrote $(stat -c %s forged.tar) bytes"
  rm -rf y && mkdir y
  ! tar -x -f forged.tar -C y 2>/dev/null || die "size $forged: tar -x took the cut-off stream for whole"
  [ ! -e y/a ] || die "size $forged: a member was written for 'a'"

  set +e
  cairn-restore "forged-$forged@latest" --stdout a 2>restore.err | head -c 4M >stdout.bin
  status=("${PIPESTATUS[@]}")
  set -e
  [ "${status[0]}" = 4 ] || { cat restore.err >&2; die "size $forged: --stdout exited ${status[0]}, expected 4"; }
  [ ! -s stdout.bin ] || die "size $forged: --stdout wrote $(stat -c %s stdout.bin) bytes of a file that does not add up"

  rm -rf t
  expect_exit 4 cairn-restore "forged-$forged@latest" --to "$PWD/t" --keep-going
  grep -q "warning: a: " last.stderr || { cat last.stderr >&2; die "size $forged: --to did not name 'a'"; }
  [ ! -e t/a ] || die "size $forged: --to left t/a"
  cmp src/big.bin t/big.bin || die "size $forged: --keep-going did not restore the rest"
done
echo "a declared size the chunks do not back: exit 4 before any byte of the file"


# ---- 1. a flipped pack byte
cairn-restore good@latest --tar >whole.tar
mkdir whole && tar -x -f whole.tar -C whole && cmp src/big.bin whole/big.bin
pack=$(find "$CAIRN_REPO/packs" -type f -printf '%s %p\n' | sort -n | tail -n 1 | cut -d' ' -f2-)
size=$(stat -c %s "$pack")
"$CAIRN_PY" - "$pack" $((size / 2)) <<'PY'
import sys
path, off = sys.argv[1], int(sys.argv[2])
with open(path, "r+b") as f:
    f.seek(off)
    b = f.read(1)
    f.seek(off)
    f.write(bytes([b[0] ^ 0x55]))
PY
mkdir x
set +e
cairn-restore good@latest --tar 2>restore.err | tar -x -C x 2>tar.err
status=("${PIPESTATUS[@]}")
set -e
[ "${status[0]}" = 4 ] || { cat restore.err >&2; die "cairn-restore --tar of a damaged set exited ${status[0]}, expected 4"; }
[ "${status[1]}" != 0 ] || die "tar -x took the stream of a damaged set for a whole archive"
grep -q 'big.bin' restore.err || { cat restore.err >&2; die "the damaged file is not named"; }
if [ -e x/big.bin ]; then
  ! cmp -s src/big.bin x/big.bin || die "x/big.bin is whole: the damage was not in it"
  [ "$(stat -c %s x/big.bin)" -lt "$(stat -c %s src/big.bin)" ] || die "x/big.bin was padded to its full size"
fi
echo "a flipped pack byte: cairn-restore --tar exits 4 and tar -x fails"
