#!/usr/bin/env bash
# examples/crontab/cairn, run as cron would run it: every line parses (five valid time fields,
# a user, a command; NAME=VALUE lines become the environment), then each command runs with
# the example's paths pointed at scratch space: the nightly backup copies the set to both
# destinations (each then restores alone), the freshness check and the drill pass, status
# writes the metrics, the weekly prune runs and re-pushes its deletions. Every job that
# succeeds prints nothing at all, on stdout or stderr (cron would mail it).
set -euo pipefail
. "$CAIRN_CLI_LIB"
. "$(dirname "${BASH_SOURCE[0]}")/_common.sh"
# As cron runs it, with the key cache on (run.sh turns it off): the job's commands share slot
# keys through a session keyring of this case's own (where the kernel has one to give).
if [ -z "${CAIRN_KEY_CACHE_CASE:-}" ] && cairn-test-keyring session true 2>/dev/null; then
  CAIRN_KEY_CACHE_CASE=1 CAIRN_KEY_CACHE=60 exec cairn-test-keyring session bash "$0" "$@"
fi

make_repo
src=$PWD/app
mkdir -p "$src/conf"
gen_file "$src/data.bin" 2M 1
gen_text "$src/conf/app.ini" 40
objstore=$(object_store_url crontab)

"$CAIRN_PY" "$examples_parser" cron "$examples/crontab/cairn" >cron.lines
grep -c '^CMD ' cron.lines >/dev/null || die "no command in the crontab"
grep -q '^ENV CAIRN_REPO=' cron.lines || die "the crontab sets no CAIRN_REPO"
export PATH="$examples:$PATH"
export CAIRN_POLICY="$examples/policy.toml"
mapfile -t cmds < <(sed -n 's/^CMD //p' cron.lines | scratch_paths "$src" "$objstore")

run_cmd() {  # run_cmd PATTERN: the crontab command that matches PATTERN, under bash -c
  local c
  for c in "${cmds[@]}"; do
    if grep -q -- "$1" <<<"$c"; then
      local rc=0
      bash -c "$c" >cmd.out 2>cmd.err || rc=$?
      [ "$rc" = 0 ] || { cat cmd.err >&2; die "'$c' exited $rc"; }
      [ ! -s cmd.out ] || die "'$c' succeeded and printed on stdout: $(head -n 3 cmd.out)"
      [ ! -s cmd.err ] || die "'$c' succeeded and printed on stderr: $(head -n 3 cmd.err)"
      return 0
    fi
  done
  die "no crontab command matches '$1'"
}

run_cmd 'cairn-backup'
[ -n "$(cairn ls app)" ] || die "cairn-backup committed no set of source app"
echo "nightly: set committed"
for d in "$objstore" "$PWD/nas"; do
  cairn-restore app@latest --from "$d" --to "$PWD/out-$(basename "$d")" 2>/dev/null \
    || die "restore from '$d' failed"
  compare_trees "$src" "out-$(basename "$d")"
done
echo "nightly: both destinations restore the tree alone"
run_cmd 'cairn-verify -q --max-age'
echo "freshness: ok"
run_cmd 'cairn-verify -q --read-data --drill'
echo "drill: ok"
run_cmd 'cairn status'
grep -q '^cairn_' "$PWD/cairn.prom" || die "status wrote no cairn_ metric"
echo "status: metrics written"
run_cmd 'cairn-prune'
echo "prune: ok"
