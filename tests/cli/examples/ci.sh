#!/usr/bin/env bash
# examples/ci: both CI files parse (every cron schedule valid) and run exactly the example
# script; the script passes on a fresh repository (freshness + structure, then the monthly
# drill), exits 5 when the newest set is older than CAIRN_MAX_AGE, and 4 when a pack is
# damaged.
set -euo pipefail
. "$CAIRN_CLI_LIB"
. "$(dirname "${BASH_SOURCE[0]}")/_common.sh"

for f in github-actions.yml gitlab-ci.yml; do
  "$CAIRN_PY" "$examples_parser" workflow "$examples/ci/$f" >"$f.runs"
  sed -n 's/^RUN //p' "$f.runs" | sort -u >"$f.cmds"
  printf '%s\n' "examples/ci/verify-backups" "examples/ci/verify-backups --drill" | sort >want.cmds
  diff -u want.cmds "$f.cmds" >&2 || die "$f runs other commands than the example script"
done
echo "workflows: parse, run the example script daily and with --drill"

make_repo
mkdir src
gen_file src/a.bin 1M 8
(set -o pipefail; cairn-snap src --source app | cairn-diff | cairn-pack >/dev/null) 2>/dev/null
run_script() { (cd "$CAIRN_SOURCE_DIR" && bash examples/ci/verify-backups "$@"); }
run_script >ci.out 2>ci.err || { cat ci.err >&2; die "verify-backups failed on a fresh repository"; }
run_script --drill >ci.out 2>ci.err || { cat ci.err >&2; die "verify-backups --drill failed"; }
echo "fresh repository: daily and drill pass"
sleep 2
CAIRN_MAX_AGE=1s expect_exit 5 run_script
expect_stderr '^cairn-verify: error: 1 source is older than '
echo "stale source: exit 5"
pack=$(find "$CAIRN_REPO/packs" -type f | head -n 1)
flip_byte "$pack" 200
expect_exit 4 run_script --drill
expect_stderr '^cairn-verify: error: damage found: '
echo "damaged pack: exit 4"
