#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# Which policy cairn status uses: --policy, else CAIRN_POLICY, else /etc/cairn/policy.toml;
# with none of them, it still reports ("no policy", no objectives, exit 0). A named policy
# that is missing or broken is an error (exit 1) as in cairn policy check.
set -euo pipefail
# shellcheck source=../lib.sh
. "$CAIRN_CLI_LIB"
# shellcheck source=_common.sh
. "$CAIRN_CASE_DIR/_common.sh"

[ ! -e /etc/cairn/policy.toml ] || skip "/etc/cairn/policy.toml exists on this machine"
make_repo
mkdir app
gen_text app/notes.txt 50
aged_backup app app daily $((3 * 86400)) >/dev/null

rc=0
cairn status >status.out 2>status.err || rc=$?
assert_eq 0 "$rc" "exit status without a policy"
assert_eq "no policy: '/etc/cairn/policy.toml' does not exist, so no objectives are checked" "$(head -n 1 status.out)" "first line"
grep -q '^app  *daily .* no-policy$' status.out || { cat status.out >&2; die "no no-policy row"; }
assert_eq "0 objectives violated" "$(tail -n 1 status.out)" "summary"
status_json
assert_eq "0 None ok" "$(cat status.rc) $(status_field app daily '"%s %s" % (r["policy"], r["status"])')" "json without a policy"
echo "no policy: reported, exit 0"

printf '[class.daily]\nrpo = "1d"\n' >p.toml
rc=0
cairn status --policy p.toml >/dev/null 2>status.err || rc=$?
assert_eq 5 "$rc" "exit status with --policy"
CAIRN_POLICY=$PWD/p.toml cairn status >/dev/null 2>&1 && die "CAIRN_POLICY was not used"
status_json --policy p.toml
assert_eq "p.toml" "$(status_field app daily 'r["policy"]')" "policy named in json"
echo "--policy and CAIRN_POLICY"

refuses() {  # refuses PATTERN ARGS...: exit 1, one error line matching PATTERN, nothing on stdout
  local pattern=$1 rc=0
  shift
  cairn status "$@" >status.out 2>status.err || rc=$?
  assert_eq 1 "$rc" "exit status of cairn status $*"
  assert_eq 1 "$(wc -l <status.err)" "error lines of cairn status $*"
  grep -Eq "^cairn: error: .*$pattern" status.err || { cat status.err >&2; die "the error does not match '$pattern'"; }
  [ ! -s status.out ] || die "cairn status $* wrote to stdout"
}
refuses "'$PWD/nonexistent.toml'" --policy "$PWD/nonexistent.toml"
printf '[class.daily]\nrpo = "1d"\nkeep-dayly = 3\n' >broken.toml
refuses "broken.toml.* line 3" --policy broken.toml
CAIRN_POLICY=$PWD/broken.toml refuses "broken.toml.* line 3"
echo "a missing or broken policy: exit 1, named"
