#!/usr/bin/env bash
# examples/systemd: every unit passes `systemd-analyze verify` (any complaint fails the case)
# with its paths pointed at scratch space, every OnCalendar= parses, and the backup service's
# ExecStart runs as systemd would run it (%i = app, the passphrase handed over as a
# credential in %d, the EnvironmentFile applied) and its set restores; the status service
# writes the metrics.
set -euo pipefail
. "$CAIRN_CLI_LIB"
. "$(dirname "${BASH_SOURCE[0]}")/_common.sh"
command -v systemd-analyze >/dev/null || die "systemd-analyze is missing (Debian package systemd)"

make_repo
src=$PWD/srv-app
mkdir -p "$src/conf"
gen_file "$src/data.bin" 1M 4
gen_text "$src/conf/app.ini" 20
mkdir units creds
cp "$CAIRN_PASSPHRASE_FILE" creds/passphrase
for f in "$examples"/systemd/*; do
  scratch_paths "$src" "$PWD/objstore" <"$f" | sed -e "s|/srv/%i|$src|g" >"units/$(basename "$f")"
done
mv units/cairn.env cairn.env
# systemd-analyze runs the commands' binaries through its checks: they must exist by path
sed -i -e "s|^ExecStart=cairn |ExecStart=$(command -v cairn) |" units/*.service
(cd units && systemd-analyze verify --man=no ./cairn-backup@app.service ./cairn-backup@app.timer \
   ./cairn-watch@app.path ./cairn-status.service ./cairn-status.timer) >verify.out 2>&1 \
  || { cat verify.out >&2; die "systemd-analyze verify failed"; }
[ ! -s verify.out ] || { cat verify.out >&2; die "systemd-analyze verify complained"; }
echo "units: verified"
grep -h '^OnCalendar=' units/*.timer | cut -d= -f2- | while read -r cal; do
  systemd-analyze calendar "$cal" >/dev/null || die "OnCalendar='$cal' does not parse"
done
grep -q '^Unit=cairn-backup@%i.service$' units/cairn-watch@.path || die "the path unit starts no backup"
echo "timers: calendars parse"

# ExecStart, as systemd runs it (no shell: the line is split into words)
unit_exec() {  # unit_exec UNIT INSTANCE: prints the ExecStart line with specifiers expanded
  sed -n 's/^ExecStart=//p' "units/$1" | sed -e "s|%i|$2|g" -e "s|%d|$PWD/creds|g"
}
# Each unit in a clean environment, as systemd gives it: no HOME, no CAIRN_* but what the
# unit's EnvironmentFile= and Environment= lines set.
run_unit() {  # run_unit UNIT INSTANCE OUT: the unit's ExecStart with its environment only
  local unit=$1 inst=$2 out=$3
  (
    unset HOME XDG_STATE_HOME CAIRN_REPO CAIRN_CATALOG CAIRN_PASSPHRASE_FILE CAIRN_KEY_FILE CAIRN_POLICY
    set -a; . ./cairn.env; set +a
    eval "$(sed -n 's/^Environment=/export /p' "units/$unit" | sed -e "s|%d|$PWD/creds|g")"
    read -r -a argv <<<"$(unit_exec "$unit" "$inst")"
    "${argv[@]}" >"$out" 2>"$out.err" || { cat "$out.err" >&2; die "$unit failed"; }
  )
}
run_unit cairn-backup@.service app backup.out
run_unit cairn-status.service app status.out
export CAIRN_CATALOG=$PWD/state/catalog.db  # the units' catalog, for the checks below
grep -q 'committed' backup.out || die "the service committed no set"
cairn-restore app@latest --to "$PWD/out" 2>/dev/null
compare_trees "$src" out
for d in $(. ./cairn.env; echo "$CAIRN_DESTINATIONS"); do
  cairn-restore app@latest --from "$d" --to "$PWD/out-$(basename "$d")" 2>/dev/null \
    || die "restore from '$d' failed"
  compare_trees "$src" "out-$(basename "$d")"
done
echo "service: backed up, copied to CAIRN_DESTINATIONS, restores"
grep -q '^cairn_' cairn.prom || die "the status service wrote no metrics"
echo "status service: metrics written"
