#!/usr/bin/env bash
# tests/meta/check-cli-stderr.py passes CLI cases that pin each refusal's message, and reports
# each case that expects a non-zero exit without looking at stderr: an expect_exit with no
# check of last.stderr before the next one (a check that text is absent, or last.stderr only
# shown in a die message, does not count), and a .exit file with .stderr.ignore.
set -euo pipefail
check=$CAIRN_SOURCE_DIR/tests/meta/check-cli-stderr.py

mkdir -p t/good t/bad
cat >t/good/pinned.sh <<'SH'
expect_exit 0 cairn ls
expect_exit 2 cairn frob
assert_eq "cairn: 'frob' is not a cairn command. See 'cairn help'." "$(cat last.stderr)"
expect_exit 4 cairn-verify --read-data \
  --json
expect_stderr '^cairn-verify: error: damage found'
expect_exit "$code" cairn-push "$@" || die "x"; grep -q "$dest" last.stderr || die "y"
SH
printf 'echo "cairn: warning: x" >&2; exit 3\n' >t/good/exit.sh
printf '3\n' >t/good/exit.exit
printf 'cairn: warning: *\n' >t/good/exit.stderr.glob
printf 'true\n' >t/good/empty.sh
printf '1\n' >t/good/empty.exit
python3 "$check" "$PWD/t" >clean.out || { cat clean.out >&2; exit 1; }
grep -q 'every expected refusal checks stderr' clean.out

cat >t/bad/unpinned.sh <<'SH'
expect_exit 4 cairn-verify
grep -q "damaged pack" last.stdout || die "not named: $(cat last.stderr)"
expect_exit 2 cairn-push --all "sftp://u:pw@h/p"
if grep -q pw last.stderr; then die "echoed"; fi
grep -q -- pw last.stderr && die "echoed"
cairn-push --all x >last.stdout 2>last.stderr || true
  # expect_exit 1 commented out
expect_exit 12 \
  cairn key revoke x
{ cat last.stderr >&2; die "shown only"; }
SH
printf 'false\n' >t/bad/ignored.sh
printf '1\n' >t/bad/ignored.exit
: >t/bad/ignored.stderr.ignore
exec python3 "$check" "$PWD/t"
