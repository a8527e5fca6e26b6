#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# cairn-diff in a pipe walks the input and the base set side by side (both in path order):
# its peak memory does not grow with the number of files. 10,000 and 100,000 unchanged
# entries (symlinks: nothing to read) differ by far less than the ~40 MB that holding the
# base in memory took.
set -euo pipefail
# shellcheck source=../lib.sh
. "$CAIRN_CLI_LIB"
# AddressSanitizer's quarantine keeps freed memory: its peak grows with what was freed.
asan_build && skip "peak memory is not meaningful under AddressSanitizer"

make_repo

# stream SOURCE N: a manifest stream of N symlinks in 100 directories, in path order.
stream() {
  "$CAIRN_PY" - "$1" "$2" <<'PY'
import hashlib, json, sys
source, n = sys.argv[1], int(sys.argv[2])
out = sys.stdout.buffer
h = hashlib.blake2b(digest_size=32)
def put(b):
    h.update(b)
    out.write(b)
def line(o):
    return (json.dumps(o, separators=(",", ":")) + "\n").encode()
put(line({"cairn": "manifest", "version": [1, 0], "set": {"source": source, "host": "h",
     "class": "daily", "started_ns": 1000, "roots": ["/nonexistent"]}}))
common = {"mode": 493, "uid": 0, "gid": 0, "size": 0, "mtime_ns": 1, "ctime_ns": 1}
put(line({"path": ".", "type": "dir", **common}))
per = n // 100
count = 1
for d in range(100):
    put(line({"path": "d%03d" % d, "type": "dir", **common}))
    count += 1
    for f in range(per - 1):
        put(line({"path": "d%03d/l%06d" % (d, f), "type": "symlink", **common,
                  "target": "target-of-symlink-%06d" % f}))
        count += 1
out.write(b'{"end":true,"entries":%d,"digest":"%s"}\n' % (count, h.hexdigest().encode()))
PY
}

# peak KSTREAM: cairn-diff < STREAM; prints its peak RSS in KiB and checks every entry unchanged.
peak() {
  "$CAIRN_PY" - "$1" <<'PY'
import resource, subprocess, sys
with open(sys.argv[1], "rb") as i, open(sys.argv[1] + ".marked", "wb") as o:
    subprocess.run(["cairn-diff"], stdin=i, stdout=o, stderr=subprocess.DEVNULL, check=True)
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
PY
  local total changed
  total=$(grep -c '"status":' "$1.marked")
  changed=$(grep -c '"status":"\(added\|modified\|deleted\)"' "$1.marked" || true)
  [ "$total" -gt 0 ] && [ "$changed" = 0 ] || die "$1: $changed of $total entries marked changed"
}

stream small 10000 >small.stream
stream big 100000 >big.stream
for s in small big; do
  cairn-pack <$s.stream >/dev/null 2>pack.err || { cat pack.err >&2; die "cairn-pack <$s.stream failed"; }
done
small=$(peak small.stream)
big=$(peak big.stream)
echo "cairn-diff peak RSS: ${small} KiB at 10k entries, ${big} KiB at 100k" >&2
[ $((big - small)) -lt 8192 ] \
  || die "cairn-diff peak RSS grows with the files: ${small} KiB at 10k entries, ${big} KiB at 100k"
echo "peak RSS flat from 10k to 100k entries"
