#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# A result on stdout that is the terminal the status line is drawn on (cairn-verify's report)
# starts on a line of its own: the status line is erased before each write to stdout, so the
# screen never shows "cairn-verify: 1 items, ... set e621checked 1 sets". script(1) gives both
# a terminal; CAIRN_TEST_PROGRESS_DELAY_MS=0 (test builds) draws the line from the start, and
# the screen is rebuilt from what the terminal got (\r to the line's start, ESC[K erases).
set -euo pipefail
# shellcheck source=../lib.sh
. "$CAIRN_CLI_LIB"

make_repo
mkdir src && gen_file src/a.bin 8M 5
backup src --source app >/dev/null
CAIRN_TEST_PROGRESS_DELAY_MS=0 script -qec "cairn-verify --read-data latest; echo rc=\$?" \
  /dev/null </dev/null >tty.out
grep -q $'\x1b\\[K' tty.out || die "no status line was drawn (nothing to erase): $(cat -v tty.out)"
"$CAIRN_PY" - tty.out <<'PY'
import re, sys
screen = []
for raw in open(sys.argv[1], "rb").read().decode("utf-8", "replace").split("\n"):
    line, col = [], 0
    for tok in re.findall(r"\x1b\[K|\r|[^\r\x1b]|\x1b", raw):
        if tok == "\r":
            col = 0
        elif tok == "\x1b[K":
            del line[col:]
        else:
            line[col:col + 1] = [tok]
            col += 1
    screen.append("".join(line))
report = [l for l in screen if "checked 1 sets" in l]
assert len(report) == 1, screen
assert report[0].startswith("checked 1 sets, "), "the report starts after the status line: %r" % report[0]
assert "rc=0" in screen, screen
print("the report starts on its own line")
PY
