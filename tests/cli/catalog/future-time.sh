#!/usr/bin/env bash
# Writer-chosen times are bounded (cairn-catalog(5)): a set whose snapshot time lies more than
# 1h ahead of the reader's clock never becomes latest (SOURCE@latest, latest, cairn-diff's
# base), and freshness (cairn status, cairn-verify --max-age) is judged without it, from the
# earlier of the claimed time and when the catalog first saw a set. The stream is rewritten
# by hand, as a writer can: started_ns in the set line, and the trailer digest recomputed.
set -euo pipefail
. "$CAIRN_CLI_LIB"

retime() {  # retime NS: the manifest stream on stdin, with started_ns set to NS
  "$CAIRN_PY" -c '
import hashlib, re, sys
data = sys.stdin.buffer.read()
head_end = data.index(b"\n") + 1
tail_start = data.rindex(b"\n", 0, len(data) - 1) + 1
head = re.sub(rb"\"started_ns\":-?[0-9]+", b"\"started_ns\":" + sys.argv[1].encode(), data[:head_end])
body = head + data[head_end:tail_start]
digest = hashlib.blake2b(body, digest_size=32).hexdigest().encode()
trailer = re.sub(rb"\"digest\":\"[0-9a-f]+\"", b"\"digest\":\"" + digest + b"\"", data[tail_start:])
sys.stdout.buffer.write(body + trailer)' "$1"
}
pack_at() {  # pack_at NS DIR: a set of source app claiming snapshot time NS; prints its id
  (set -o pipefail && cairn-snap "$2" --source app | retime "$1" | cairn-diff | cairn-pack | head -n 1)
}

make_repo
now=$(date +%s%N)
hour=3600000000000
mkdir a
printf 'old\n' >a/v
old=$(pack_at $((now - 2 * hour)) a)
printf 'future\n' >a/v
future=$(pack_at $((now + 10 * 365 * 24 * hour)) a)
[ "$old" != "$future" ] || die "two sets expected"

rm -rf out
cairn-restore app@latest --to "$PWD/out" 2>/dev/null
assert_eq old "$(cat out/v)" "app@latest"
rm -rf out
cairn-restore latest --to "$PWD/out" 2>/dev/null
assert_eq old "$(cat out/v)" "latest"
echo "SOURCE@latest and latest: the newest set not dated in the future"

printf 'next\n' >a/v
next=$(backup a --source app)
assert_eq "$old" "$(ls_field "$next" parent)" "cairn-diff's base for the next set"
echo "cairn-diff's base: not the future-dated set"
# The honest set just made is fresh again; take it away for the freshness checks.
sqlite3 "$CAIRN_CATALOG" "UPDATE backup_set SET status = 'pruned' WHERE id = '$next'"

expect_exit 5 cairn-verify --max-age 1h
expect_stderr '^cairn-verify: error: 1 source is older than 1h$'
grep -q "app" last.stdout || die "verify --max-age does not name the stale source: $(cat last.stdout)"
echo "cairn-verify --max-age 1h: stale (exit 5)"

printf '[class.daily]\nrpo = "1h"\n' >policy.toml
expect_exit 5 cairn status --policy policy.toml
expect_stderr '^cairn: error: 1 objective violated: '
grep -q "2h" last.stdout || die "status does not judge from the real newest set: $(cat last.stdout)"
echo "cairn status, rpo 1h: violated (exit 5)"

# A set first seen long ago stays old, whatever later time it claims: its age runs from
# first_seen_ns when that is earlier (here: a catalog that saw it 2h ago).
sqlite3 "$CAIRN_CATALOG" "UPDATE backup_set SET status = 'committed', first_seen_ns = $((now - 2 * hour))
                           WHERE id = '$next'"
expect_exit 5 cairn-verify --max-age 1h
expect_stderr '^cairn-verify: error: 1 source is older than 1h$'
echo "a set first seen 2h ago is 2h old, even if it claims a later time"
