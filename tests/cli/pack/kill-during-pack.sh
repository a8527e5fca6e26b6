#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# kill -9 of cairn-pack at random points while it stores a ~200 MiB tree: after each kill the
# repository verifies, no set was committed half-way, the set committed before still
# restores bit for bit; then the same backup, run again, completes (no unlock, no repair)
# and restores equal.
set -euo pipefail
# shellcheck source=../lib.sh
. "$CAIRN_CLI_LIB"

make_repo
mkdir -p base big/rand big/text big/zero
gen_text base/a.txt 100
gen_file base/b.bin 700K 5
base_set=$(backup base --source base)

for i in 1 2 3 4 5 6 7 8; do gen_file "big/rand/r$i.bin" 16M "$i"; done
seq 1 5000000 >big/text/numbers.txt
seq 1 3 5000000 | sed 's/$/ some words to compress/' >big/text/words.txt
head -c 30M /dev/zero >big/zero/zeros.bin
{ head -c 8M big/rand/r1.bin; head -c 8M big/text/numbers.txt; } >big/mixed.bin
size=$(du -sb --apparent-size big | cut -f1)
[ "$size" -gt $((180 * 1024 * 1024)) ] || die "tree is only $size bytes"

# How long a whole run of the command killed below takes here (into a throwaway repository),
# so that the kills land at 10%..85% of it on a fast machine as on a slow (sanitizer) build.
# The same two stages as below: with diff in between, the probe took twice as long as the
# runs it calibrated, and a loaded machine saw 3 of 5 runs commit before their kill.
(export CAIRN_REPO=$PWD/probe CAIRN_CATALOG=$PWD/probe.db
  cairn init --repo "$CAIRN_REPO" --passphrase-file "$CAIRN_PASSPHRASE_FILE" >/dev/null 2>&1)
t0=$(date +%s%N)
(export CAIRN_REPO=$PWD/probe CAIRN_CATALOG=$PWD/probe.db
  cairn-snap big --source big 2>/dev/null | cairn-pack >/dev/null)
full_ms=$((($(date +%s%N) - t0) / 1000000))
rm -rf probe probe.db*
echo "note: a whole run takes ${full_ms} ms" >&2

mkfifo pipe
killed=0
for pct in 10 25 45 65 85; do
  ms=$((full_ms * pct / 100 + RANDOM % 40))
  delay=$(printf '%d.%03d' $((ms / 1000)) $((ms % 1000)))
  before=$(set_ids big | wc -l)
  cairn-snap big --source big >pipe 2>snap.err &
  snap_pid=$!
  cairn-pack <pipe >pack.out 2>pack.err &
  pack_pid=$!
  sleep "$delay"
  kill -9 "$pack_pid" 2>/dev/null || true
  wait "$pack_pid" || true
  wait "$snap_pid" || true
  # a kill that came after the commit is not a failure (the set must then be whole: checked
  # by verify below and by the restore at the end); before it, no set may be listed
  after=$(set_ids big | wc -l)
  if [ "$after" = "$before" ]; then
    [ ! -s pack.out ] || die "cairn-pack printed a set id, but no set is listed"
    killed=$((killed + 1))
  elif [ "$after" = $((before + 1)) ]; then
    echo "note: cairn-pack committed within ${delay}s" >&2
  else
    die "$((after - before)) new sets after one kill at ${delay}s"
  fi
  rc=0
  cairn-verify >verify.out 2>&1 || rc=$?
  if [ "$rc" != 0 ]; then
    sed 's/^/  | /' verify.out >&2
    die "cairn-verify exited $rc after a kill at ${delay}s"
  fi
  rm -rf out-base
  cairn-restore "$base_set" --to "$PWD/out-base" 2>/dev/null
  compare_trees base out-base
done
[ "$killed" -ge 3 ] || die "cairn-pack was killed before its commit only $killed times of 5"
echo "killed: repository verifies, the earlier set restores"

# the same backup again completes and restores equal
big_set=$(backup big --source big)
cairn-restore "$big_set" --to "$PWD/out-big" 2>/dev/null
compare_trees big out-big
cairn-verify >/dev/null 2>&1 || die "cairn-verify fails at the end"
echo "re-run completes and restores"
