#!/usr/bin/env bash
# A wrong expectation must make a case fail: run run.sh on small cases whose expectation
# files do not match what they do, and check that each is reported as FAIL (exit 1), while
# the matching variants pass, a case exiting 77 is a skip, and --set-exact-output repairs.
set -euo pipefail
run=$CAIRN_SOURCE_DIR/tests/cli/run.sh

mkcase() {  # mkcase NAME SCRIPT-BODY
  printf '#!/usr/bin/env bash\n%s\n' "$2" >"$1.sh"
}
expect_run() {  # expect_run WANT-EXIT CASE
  local got=0
  bash "$run" "$2.sh" >"$2.log" 2>&1 || got=$?
  if [ "$got" != "$1" ]; then
    echo "run.sh on $2: exit $got, expected $1; its output:" >&2
    sed 's/^/  | /' "$2.log" >&2
    exit 1
  fi
  echo "$2: $got"
}

mkcase ok 'echo out; echo err >&2; exit 2'
echo 2 >ok.exit; echo out >ok.stdout.exact; echo 'e*' >ok.stderr.glob
expect_run 0 ok

mkcase wrong-exit 'exit 0'
echo 1 >wrong-exit.exit
expect_run 1 wrong-exit

mkcase crash-unexpected 'exit 4'
expect_run 1 crash-unexpected

mkcase wrong-stdout 'echo hello'
echo goodbye >wrong-stdout.stdout.exact
expect_run 1 wrong-stdout

mkcase stdout-not-empty 'echo unexpected'
expect_run 1 stdout-not-empty

mkcase stderr-not-empty 'echo unexpected >&2'
expect_run 1 stderr-not-empty

mkcase stderr-ignored 'echo anything >&2'
: >stderr-ignored.stderr.ignore
expect_run 0 stderr-ignored

mkcase glob-mismatch 'printf "a\nb\nc\n"'
printf 'a\n...\nd\n' >glob-mismatch.stdout.glob
expect_run 1 glob-mismatch

mkcase glob-extra-line 'printf "a\nb\n"'
printf 'a\n' >glob-extra-line.stdout.glob
expect_run 1 glob-extra-line

mkcase glob-ok 'printf "a\nb\nc\nd\n"'
printf '...\n[b]\n...\nd\n...\n' >glob-ok.stdout.glob
expect_run 0 glob-ok

mkcase exact-missing-newline 'printf "no newline"'
printf 'no newline\n' >exact-missing-newline.stdout.exact
expect_run 1 exact-missing-newline

mkcase skipped 'exit 77'
expect_run 77 skipped

mkcase zstd-style-names 'echo hi; exit 5'
echo 5 >zstd-style-names.sh.exit; echo hi >zstd-style-names.sh.stdout.exact
expect_run 0 zstd-style-names

mkcase two-expectations 'echo hi'
echo hi >two-expectations.stdout.exact; echo 'h*' >two-expectations.stdout.glob
expect_run 2 two-expectations

mkcase update 'echo new output; exit 6'
echo old >update.stdout.exact
expect_run 1 update
bash "$run" --set-exact-output update.sh >update.log 2>&1
expect_run 0 update
[ "$(cat update.exit)" = 6 ]
