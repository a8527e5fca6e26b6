#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# On a terminal (script(1) gives cairn-push a pseudo-terminal), cairn-push draws a progress
# line on stderr: objects and bytes sent, the rate and the object being sent; -q draws none,
# and neither does a push whose stderr is not a terminal.
set -euo pipefail
# shellcheck source=../lib.sh
. "$CAIRN_CLI_LIB"
command -v script >/dev/null || skip "script(1) is not installed"

make_repo
mkdir -p src
gen_file src/a.bin 3M 1
(set -o pipefail && cairn-snap "$PWD/src" --source app | cairn-pack >/dev/null)

script -qec "cairn-push --all --limit-rate 1M '$PWD/dest1' >push1.out" /dev/null >tty.out </dev/null
grep -Eq $'\rcairn-push: [0-9.]+ [KMG]?i?B of [0-9.]+ [KMG]?i?B \\([0-9]+%\\), [0-9]+ of [0-9]+ items, .*/s, 0:0[1-9]' tty.out || die "no progress line on the terminal: $(od -c tty.out | head)"
grep -q 'packs/' tty.out || die "the progress line does not name the object being sent"
[ -s push1.out ] || die "nothing on stdout"
! grep -q 'items' push1.out || die "progress went to stdout"
echo "terminal: a progress line on stderr"

script -qec "cairn-push -q --all --limit-rate 1M '$PWD/dest2' >/dev/null" /dev/null >quiet.out </dev/null
! grep -q 'items' quiet.out || die "-q drew a progress line"
cairn-push --all --limit-rate 2M "$PWD/dest3" >/dev/null 2>notty.err
[ ! -s notty.err ] || die "progress without a terminal: $(cat notty.err)"
echo "-q, or no terminal: none"
