# Every tool answers --help (usage on stdout, exit 0) and --version ("NAME VERSION", the same
# version everywhere), refuses an unknown option with exit 2 and one error line, and
# `cairn VERB` runs cairn-VERB. Silent when all is well.
set -euo pipefail
. "$CAIRN_CLI_LIB"

[ -n "${CAIRN_BIN:-}" ] || die "CAIRN_BIN is not set (the build's bin directory)"
tools="cairn cairn-snap cairn-diff cairn-pack cairn-push cairn-verify cairn-restore cairn-prune"
for t in $tools; do
  [ -x "$CAIRN_BIN/$t" ] || die "$CAIRN_BIN/$t is missing or not executable"
done

version=
for t in $tools; do
  exe=$CAIRN_BIN/$t

  expect_exit 0 "$exe" --help || die "$t --help did not exit 0"
  grep -q "^Usage: $t " last.stdout || die "$t --help: no 'Usage: $t' line on stdout"
  [ ! -s last.stderr ] || die "$t --help wrote to stderr: $(head -n 1 last.stderr)"

  expect_exit 0 "$exe" --version || die "$t --version did not exit 0"
  line=$(cat last.stdout)
  [[ $line =~ ^$t\ ([0-9]+\.[0-9]+\.[0-9]+)$ ]] || die "$t --version printed '$line'"
  v=${BASH_REMATCH[1]}
  [ -z "$version" ] || [ "$v" = "$version" ] || die "$t is version $v, cairn is $version"
  version=$v

  expect_exit 2 "$exe" --no-such-option || die "$t --no-such-option did not exit 2"
  [ ! -s last.stdout ] || die "$t --no-such-option wrote to stdout"
  errors=$(grep -c "^$t: error: " last.stderr || true)
  [ "$errors" = 1 ] || die "$t --no-such-option: expected one '$t: error:' line, got $errors"
  grep -q -- "--no-such-option" last.stderr || die "$t: the error does not name the option"
done

# `cairn VERB` runs cairn-VERB with the remaining arguments (and common options before it).
for verb in snap diff pack push verify restore prune; do
  expect_exit 0 "$CAIRN_BIN/cairn-$verb" --help
  mv last.stdout direct.stdout
  expect_exit 0 "$CAIRN_BIN/cairn" "$verb" --help || die "cairn $verb --help did not exit 0"
  cmp -s direct.stdout last.stdout || die "cairn $verb --help differs from cairn-$verb --help"
done
expect_exit 0 "$CAIRN_BIN/cairn" -q snap --version
assert_eq "cairn-snap $version" "$(cat last.stdout)" "cairn -q snap --version"
expect_exit 2 "$CAIRN_BIN/cairn" snap --no-such-option
grep -q "^cairn-snap: error: " last.stderr || die "cairn snap: the error is not cairn-snap's"

# An unknown verb is a usage error naming it; `cairn help VERB` shows the tool's manual.
expect_exit 2 "$CAIRN_BIN/cairn" frob
assert_eq "cairn: 'frob' is not a cairn command. See 'cairn help'." "$(cat last.stderr)" \
  "cairn frob"
expect_exit 0 "$CAIRN_BIN/cairn" help snap || die "cairn help snap did not exit 0"
grep -q -i "cairn-snap" last.stdout || die "cairn help snap: nothing about cairn-snap on stdout"
expect_exit 2 "$CAIRN_BIN/cairn" help frob
assert_eq "cairn: error: 'frob' is not a cairn command; see 'cairn help'" "$(cat last.stderr)" "cairn help frob"
expect_exit 0 "$CAIRN_BIN/cairn" help init
grep -q "^Usage: cairn init" last.stdout || die "cairn help init: no usage of 'cairn init'"
exit 0
