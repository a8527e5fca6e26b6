#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# The stages of one pipeline share the terminal's status line: cairn-snap and cairn-diff,
# whose standard output is a pipe, publish their counts; cairn-pack, the last stage on the
# terminal (script(1) gives it one), draws one line holding all three. The input trickles in
# until that line is seen (polled, with a timeout), so the stages live long enough to draw.
set -euo pipefail
# shellcheck source=../lib.sh
. "$CAIRN_CLI_LIB"

make_repo
mkdir -m 700 run && export XDG_RUNTIME_DIR=$PWD/run  # where the stages publish
cat >trickle.py <<'PY'
import os, sys, time
out, deadline = sys.argv[1], time.monotonic() + 120
block = bytes(range(256)) * 256
while time.monotonic() < deadline:
    sys.stdout.buffer.write(block)
    sys.stdout.flush()
    try:
        seen = open(out, "rb").read().replace(b"\r", b"\n").split(b"\n")
    except FileNotFoundError:
        seen = []
    if any(b"snap " in l and b"diff " in l and b"cairn-pack: " in l for l in seen):
        break
    time.sleep(0.05)
PY
script -qec "$CAIRN_PY trickle.py '$PWD/tty.out' | cairn-snap --stdin data.bin | cairn-diff \
  | cairn-pack >'$PWD/pack.out'" /dev/null </dev/null >tty.out
tr '\r' '\n' <tty.out >lines
grep -E '^snap [0-9]+ items [0-9.]+ [KMG]?i?B \| diff [0-9]+ items [0-9.]+ [KMG]?i?B \| cairn-pack: ' lines \
  >/dev/null || die "no line with the three stages: $(cat -v tty.out | tail -c 2000)"
echo "snap | diff | pack: one line"
head -n 1 pack.out | grep -Eq '^[0-9a-f]{64}$' || die "pack: $(cat pack.out)"
[ -z "$(ls run/cairn-progress)" ] || die "stage records left behind: $(ls run/cairn-progress)"
echo "no record left behind"
