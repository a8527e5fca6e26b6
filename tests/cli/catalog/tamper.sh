#!/usr/bin/env bash
# The catalog is a cache, never an authority (cairn-catalog(5)): whoever holds the catalog
# file edits its rows with sqlite3, as an attacker would, to make SOURCE@latest pick an older
# set, another source's set, or a set under another's id. cairn-restore and cairn-verify
# compare the row with the signed set object they open: disagreement is damage (exit 4),
# one line naming both values and 'cairn catalog rebuild', and nothing is restored.
# After the rebuild the right set restores again.
set -euo pipefail
. "$CAIRN_CLI_LIB"

make_repo
mkdir a b
printf 'one\n' >a/v
s1=$(backup a --source app)
sleep 1.1
printf 'two\n' >a/v
s2=$(backup a --source app)
printf 'bee\n' >b/v
sb=$(backup b --source other)
sqlite3 "$CAIRN_CATALOG" ".backup clean.db"

tamper() {  # tamper SQL: the clean catalog, edited
  rm -f "$CAIRN_CATALOG-wal" "$CAIRN_CATALOG-shm"
  cp clean.db "$CAIRN_CATALOG"
  sqlite3 "$CAIRN_CATALOG" "$1"
}
refused() {  # refused WHAT PATTERN: restore and verify exit 4, name both values and the fix
  rm -rf out
  expect_exit 4 cairn-restore app@latest --to "$PWD/out" || die "$1: restore did not exit 4"
  [ "$(wc -l <last.stderr)" = 1 ] || die "$1: restore: expected one line: $(cat last.stderr)"
  grep -Eq -- "$2" last.stderr || die "$1: restore does not name both values: $(cat last.stderr)"
  grep -q "cairn catalog rebuild" last.stderr || die "$1: restore does not name the fix: $(cat last.stderr)"
  [ ! -e out/v ] || die "$1: restore wrote $(cat out/v)"
  expect_exit 4 cairn-verify || die "$1: verify did not exit 4"
  expect_stderr '^cairn-verify: error: damage found: '
  grep -Eq -- "^damaged catalog .*$2" last.stdout || die "$1: verify does not name it: $(cat last.stdout)"
  expect_exit 4 cairn-verify app@latest || die "$1: verify app@latest did not exit 4"
  expect_stderr '^cairn-verify: error: damage found: '
  echo "$1: restore and verify exit 4, both values named"
}

tamper "UPDATE backup_set SET started_ns = started_ns + 60000000000, seq = seq + 5 WHERE id = '$s1'"
refused "older set dated and numbered newer" "time .* in the catalog, .* in the set object"

tamper "UPDATE backup_set SET source = 'app', started_ns = started_ns + 60000000000 WHERE id = '$sb'"
refused "another source's set" "source 'app' in the catalog, 'other' in the set object"

tamper "UPDATE backup_set SET id = '$(printf 'f%.0s' {1..64})' WHERE id = '$s1';
        UPDATE backup_set SET id = '$s1' WHERE id = '$s2';
        UPDATE backup_set SET id = '$s2' WHERE id = '$(printf 'f%.0s' {1..64})';"
refused "ids swapped" "time .* in the catalog, .* in the set object"

tamper "UPDATE backup_set SET seq = 99 WHERE id = '$s2'"
refused "sequence number" "sequence number 99 in the catalog, [0-9]+ in the set object"

tamper "UPDATE backup_set SET host = 'elsewhere' WHERE id = '$s2'"
refused "host" "host 'elsewhere' in the catalog, '[^']*' in the set object"

cairn catalog rebuild >/dev/null 2>&1
rm -rf out
cairn-restore app@latest --to "$PWD/out" 2>/dev/null
assert_eq two "$(cat out/v)" "app@latest after the rebuild"
cairn-verify >/dev/null 2>&1 || die "verify fails after the rebuild"
echo "after cairn catalog rebuild: app@latest is the newest set again, verify 0"
