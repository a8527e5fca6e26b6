#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# Issue 13, "An interrupted backup resumes": a first backup of 40 MiB of incompressible files,
# killed (kill -9) once about half of its packs exist, is run again. The packs the killed run
# finished lie under packs/ but no index file names them (orphans); the rerun adopts them and
# stores only what is missing (at most 10% more than the bytes not yet in packs/), the set
# restores exactly, cairn-verify --read-data passes, and so does a later prune + verify.
set -euo pipefail
# shellcheck source=../lib.sh
. "$CAIRN_CLI_LIB"
# shellcheck source=../prune/_common.sh
. "$(dirname "$CAIRN_CLI_LIB")/prune/_common.sh"

mkdir src
for i in 1 2 3 4 5 6 7 8 9 10; do gen_file "src/f$i.bin" 4M "$i"; done
total=$(du -sb --apparent-size src | cut -f1)

# throttle RATE: copies stdin to stdout at RATE bytes a second, so the run lasts long enough
# for a kill half-way however fast this machine is.
throttle() {
  "$CAIRN_PY" -c '
import sys, time
rate = int(sys.argv[1])
inp, out = sys.stdin.buffer, sys.stdout.buffer
t0, n = time.monotonic(), 0
try:
    while True:
        b = inp.read1(1 << 16)
        if not b:
            break
        out.write(b)
        out.flush()
        n += len(b)
        ahead = n / rate - (time.monotonic() - t0)
        if ahead > 0:
            time.sleep(ahead)
except BrokenPipeError:
    pass' "$1"
}

packs_bytes() { du -sb --apparent-size repo/packs 2>/dev/null | cut -f1 || echo 0; }

# One attempt: a fresh repository with small packs, a first backup (content streamed inline
# through the throttle) killed once half of the data is in packs/. Fails (1) when the backup
# finished, or got past 90%, first.
attempt() {
  local rate=$1 deadline pack_pid
  rm -rf repo "$CAIRN_CATALOG"* pack.out
  prune_repo
  cairn-snap --inline src --source app 2>snap.err | throttle "$rate" | cairn-pack >pack.out 2>pack.err &
  pack_pid=$!
  deadline=$((SECONDS + 120))
  while [ "$(packs_bytes)" -lt $((total / 2)) ]; do
    kill -0 "$pack_pid" 2>/dev/null || break
    [ "$SECONDS" -lt "$deadline" ] || die "no half of the packs after 120 s"
    sleep 0.05
  done
  kill -9 "$pack_pid" 2>/dev/null || true
  wait "$pack_pid" 2>/dev/null || true
  [ ! -s pack.out ] && [ -z "$(set_ids)" ] || return 1
  # a kill that came late (a busy machine) leaves too little to measure: try again
  [ "$(packs_bytes)" -le $((total * 9 / 10)) ]
}

export CAIRN_CATALOG=$PWD/catalog.db
killed=
for rate in $((16 << 20)) $((4 << 20)) $((1 << 20)); do
  if attempt "$rate"; then killed=1; break; fi
  echo "note: the backup got past 90% before the kill at $rate bytes/s; slower" >&2
done
[ -n "$killed" ] || die "cairn-pack always finished before it could be killed half-way"
in_packs=$(packs_bytes)
remained=$((total - in_packs))
echo "note: total $total, in packs/ before the rerun $in_packs, remained $remained" >&2
[ "$in_packs" -gt 0 ] || die "the killed run left no packs"
echo "killed half-way, nothing committed"

set_id=$(backup src --source app)
stored=$(ls_field "$set_id" bytes_stored)
echo "note: the rerun stored $stored bytes" >&2
[ "$stored" -le $((remained + remained / 10)) ] \
  || die "the rerun stored $stored bytes; only $remained remained (limit: 10% more)"
echo "rerun stores only what remained"
# cairn-pack reports every pack the set needs, the adopted ones too (the killed run reported
# none), so cairn-push copies them
missing=$(cd repo && find packs -type f | sed 's/^/+/' | sort | comm -23 - <(sort ../pack.out))
[ -z "$missing" ] || die "the rerun does not report $(echo "$missing" | wc -l) packs, e.g. ${missing%%$'\n'*}"
echo "rerun reports the adopted packs"

restores_equal "$set_id" src
cairn-verify --read-data >verify.out 2>&1 || { sed 's/^/  | /' verify.out >&2; die "cairn-verify --read-data fails after the rerun"; }
echo "restores exactly, verifies"

prune_policy 1
cairn-prune >prune.out 2>&1 || { sed 's/^/  | /' prune.out >&2; die "cairn-prune fails"; }
cairn-verify --read-data >verify.out 2>&1 || { sed 's/^/  | /' verify.out >&2; die "cairn-verify --read-data fails after prune"; }
restores_equal "$set_id" src
echo "prune keeps it whole"
