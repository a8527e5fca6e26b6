#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# Set references: @TIME picks the newest set started at or before TIME, SOURCE@latest and
# latest the newest, a unique id prefix its set; an ambiguous or unknown reference fails with
# one clear error line and restores nothing (set-references.sh: the mistakes it catches).
set -euo pipefail
# shellcheck source=../lib.sh
. "$CAIRN_CLI_LIB"

make_repo
mkdir src
restored() {  # restored REF: the content of version.txt in REF's restore
  rm -rf "$PWD/out"
  cairn-restore "$1" --to "$PWD/out" 2>/dev/null
  cat out/version.txt
}

printf 'one\n' >src/version.txt
set1=$(backup src --source pit)
sleep 1.1
t1=$(date -u +%FT%TZ)
sleep 1.1
printf 'two\n' >src/version.txt
printf 'new in two\n' >src/extra.txt
backup src --source pit >/dev/null
sleep 1.1
t2=$(date -u +%FT%TZ)
sleep 1.1
printf 'three\n' >src/version.txt
set3=$(backup src --source pit)
# 13 more sets of another source: with 17 ids, two share their first hex digit
mkdir filler
for i in $(seq 1 13); do
  printf '%d\n' "$i" >filler/n.txt
  backup filler --source filler >/dev/null
done
# another source, newer than all: `latest` alone means the newest of every source
mkdir other
printf 'other\n' >other/version.txt
sleep 1.1
backup other --source other >/dev/null

assert_eq one "$(restored "@$t1")" "@$t1"
[ ! -e out/extra.txt ] || die "@$t1 restored a file of a later set"
assert_eq one "$(restored "pit@$t1")" "pit@$t1"
assert_eq two "$(restored "@$t2")" "@$t2"
assert_eq two "$(restored "pit@$t2")" "pit@$t2"
echo "@TIME picks the set before TIME"

assert_eq three "$(restored pit@latest)" "pit@latest"
assert_eq three "$(restored "$set3")" "full id of set 3"
assert_eq other "$(restored latest)" "latest"
echo "latest, SOURCE@latest and full ids"

# the shortest prefix of set 1 that no other set shares
all=$(set_ids)
assert_eq 17 "$(printf '%s\n' "$all" | wc -l)" "number of sets"
for n in $(seq 4 64); do
  p=${set1:0:n}
  [ "$(printf '%s\n' "$all" | grep -c "^$p")" = 1 ] && break
done
assert_eq one "$(restored "$p")" "unique prefix $p"
echo "a unique prefix"

# a prefix shared by two sets: a first hex digit (16 digits, 17 sets), too short anyway (an
# ambiguous prefix of 4 digits is tested in tests/unit/catalog: ids cannot be chosen here)
amb=
for d in 0 1 2 3 4 5 6 7 8 9 a b c d e f; do
  [ "$(printf '%s\n' "$all" | grep -c "^$d")" -ge 2 ] && { amb=$d; break; }
done
refuse() {  # refuse REF PATTERN: restore fails (1 or 2) with one error line matching PATTERN
  local rc=0
  rm -rf "$PWD/out"
  cairn-restore "$1" --to "$PWD/out" >ref.out 2>ref.err || rc=$?
  case $rc in 1 | 2) ;; *) cat ref.err >&2; die "restore '$1' exited $rc, expected 1 or 2" ;; esac
  [ "$(wc -l <ref.err)" = 1 ] || { cat ref.err >&2; die "restore '$1': expected one error line"; }
  grep -q '^cairn-restore: error: ' ref.err || { cat ref.err >&2; die "restore '$1': not an error line"; }
  grep -Eqi -- "$2" ref.err || { cat ref.err >&2; die "restore '$1': message does not match '$2'"; }
  [ ! -s ref.out ] || die "restore '$1' wrote to stdout"
  [ -z "$(ls -A out 2>/dev/null)" ] || die "restore '$1' restored something"
}
[ -n "$amb" ] || die "no two of 17 set ids share a first digit?"
refuse "$amb" "at least 4 hex digits"
refuse ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff0000 "no .*set|not found|no match"
refuse nosuchsource@latest "nosuchsource"
refuse "@2001-01-01T00:00:00Z" "2001-01-01"
refuse "@yesterday-ish" "time|yesterday-ish"
echo "ambiguous and unknown references fail"
