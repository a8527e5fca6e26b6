#!/usr/bin/env bash
# Newest means newest, whatever a writer's clock said (issue 18): sets are ordered by their
# signed seq, then time. A backup taken with the clock a day behind is app@latest, latest,
# the next backup's base, and the one keep-last = 1 keeps; a set from a clock two hours ahead
# stops being latest once a later backup exists, even for a reader whose clock has caught up.
# (NO_FAKE_STAT: libfaketime would shift file times in some stat calls and not in others.)
set -euo pipefail
. "$CAIRN_CLI_LIB"
command -v faketime >/dev/null || skip "faketime is not installed"
! asan_build || skip "an AddressSanitizer build (libfaketime cannot be preloaded ahead of the ASan runtime)"

make_repo
printf '[class.daily]\nkeep-last = 1\n' >policy.toml
mkdir a
skewed() {  # skewed OFFSET: a backup of a/ (source app) made with the clock off by OFFSET
  NO_FAKE_STAT=1 faketime -f "$1" bash -c '. "$CAIRN_CLI_LIB"; backup a --source app --class daily'
}
restored() {  # restored [faketime -f OFFSET] CMD SET: the content of v in SET
  rm -rf out
  "$@" --to "$PWD/out" 2>/dev/null
  cat out/v
}
kept() {  # kept [faketime -f OFFSET]: the sets keep-last = 1 keeps
  "$@" cairn-prune --dry-run --policy policy.toml --json >plan.json
  "$CAIRN_PY" -c '
import json, sys
for l in open("plan.json"):
    r = json.loads(l)
    if r.get("keep") is True and r.get("id"):
        print(r["id"])'
}

printf 'one\n' >a/v
one=$(backup a --source app --class daily)
printf 'behind\n' >a/v
behind=$(skewed -1d)
assert_eq behind "$(restored cairn-restore app@latest)" "app@latest after a set from a day-behind clock"
assert_eq behind "$(restored cairn-restore latest)" "latest after a set from a day-behind clock"
assert_eq "$behind" "$(kept)" "the set keep-last = 1 keeps"
printf 'next\n' >a/v
next=$(backup a --source app --class daily)
assert_eq "$behind" "$(ls_field "$next" parent)" "the next backup's base"
echo "a day-behind clock: the newest set is latest, the base and kept"

printf 'ahead\n' >a/v
ahead=$(skewed +2h)
printf 'after\n' >a/v
after=$(backup a --source app --class daily)
assert_eq after "$(restored faketime -f +2h cairn-restore app@latest)" "app@latest, reader 2h ahead"
assert_eq after "$(restored faketime -f +2h cairn-restore latest)" "latest, reader 2h ahead"
# cairn-prune goes by the storage's clock (and refuses to run on a skewed host clock, see
# tests/cli/prune/clock-skew), so it plans with the set from the future still ahead of it: that
# one is kept "in the future", outside the rules; the rules keep the later backup.
assert_eq "$(printf '%s\n' "$after" "$ahead" | sort)" "$(kept | sort)" "the sets keep-last = 1 keeps"
[ "$ahead" != "$after" ] || die "two sets expected"
echo "a set from a clock 2h ahead: a later backup is latest and kept"
