#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# Set references that catch mistakes: the time `cairn ls` shows selects that set when given
# back as SOURCE@TIME (ls shows whole seconds; the set started a fraction later); a date that
# does not exist, a short id prefix, an unknown source ("did you mean", else the list), a
# directory and a bare source name are each refused with one line naming the mistake.
set -euo pipefail
# shellcheck source=../lib.sh
. "$CAIRN_CLI_LIB"

make_repo
mkdir src pgdata
printf 'one\n' >src/v.txt
id=$(backup src --source app)
printf 'pg\n' >pgdata/v.txt
backup pgdata --source postgres >/dev/null

# the time ls shows for the set, given back: that set (not "no backup set matches")
t=$(cairn ls app --json 2>/dev/null | "$CAIRN_PY" -c 'import json,sys; print(json.loads(sys.stdin.readline())["time"])')
[[ $t =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$ ]] || die "ls time '$t'"
cairn-restore "app@$t" --to "$PWD/out" 2>restore.err || { cat restore.err >&2; die "app@$t (as ls shows it) did not restore"; }
assert_eq one "$(cat out/v.txt)" "app@$t"
rm -rf out
minute=${t%:*}
cairn-restore "app@$minute" --to "$PWD/out" 2>/dev/null || die "app@$minute (the minute) did not restore"
rm -rf out
echo "the time ls shows selects the set"

refuse() {  # refuse EXIT REF PATTERN: restore exits EXIT with one error line matching PATTERN
  local rc=0
  rm -rf "$PWD/out"
  cairn-restore "$2" --to "$PWD/out" >ref.out 2>ref.err || rc=$?
  [ "$rc" = "$1" ] || { cat ref.err >&2; die "restore '$2' exited $rc, expected $1"; }
  [ "$(wc -l <ref.err)" = 1 ] || { cat ref.err >&2; die "restore '$2': expected one error line"; }
  grep -q '^cairn-restore: error: ' ref.err || { cat ref.err >&2; die "restore '$2': not an error line"; }
  grep -qF -- "$3" ref.err || { cat ref.err >&2; die "restore '$2': message does not say '$3'"; }
  [ ! -s ref.out ] || die "restore '$2' wrote to stdout"
  [ ! -e out ] || die "restore '$2' created its target"
}
refuse 2 "app@2026-02-31" "2026-02 has no day 31"
refuse 2 "app@2026-02-28T25:00" "25:00:00 is not a time of day"
refuse 2 "@2026-04-31T00:00:00Z" "has no day 31"
echo "dates that do not exist are refused"
refuse 2 "${id:0:3}" "give at least 4 hex digits"
cairn-restore "${id:0:4}" --to "$PWD/out" 2>/dev/null || die "a unique 4-digit prefix did not restore"
rm -rf out
echo "an id prefix needs 4 hex digits"
refuse 1 "postgress@latest" "no source 'postgress' in the catalog: did you mean 'postgres'?"
refuse 1 "ap@$t" "did you mean 'app'?"
refuse 1 "mail@latest" "no source 'mail' in the catalog; the sources are: app, postgres"
echo "an unknown source names the known ones"
refuse 2 "$PWD/src" "'$PWD/src' is a directory; a set is ID"
refuse 2 "src" "'src' is a directory; a set is ID"
refuse 2 "postgres" "its newest set is 'postgres@latest'"
echo "a directory or a source name where a set belongs"
