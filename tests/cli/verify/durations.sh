#!/usr/bin/env bash
# One duration grammar (cairn(7)): --max-age takes what the policy and --grace-time take,
# compound durations included (1d12h); a bad one is one stderr line and exit 2.
set -euo pipefail
. "$CAIRN_CLI_LIB"

make_repo
mkdir data
gen_file data/f 64K 1
backup data --source app >/dev/null
for d in 1d12h 90m 2w 1w2d3h4m5s; do
  expect_exit 0 cairn-verify --all --max-age "$d"
  echo "--max-age $d: exit 0"
done
for d in 1y 0s 1.5d; do
  expect_exit 2 cairn-verify --all --max-age "$d"
  assert_eq 1 "$(wc -l <last.stderr)" "stderr lines for --max-age $d"
  expect_stderr "'$d'"
  echo "--max-age $d: exit 2, one line"
done
printf '[class.default]\nkeep-daily = 7\nrpo = "1d12h"\n' >policy.toml
expect_exit 0 cairn-prune --dry-run --policy policy.toml --grace-time 1d12h
echo "--grace-time 1d12h: exit 0"
cairn-snap data --source app | cairn-diff | cairn-pack >pack.out
for d in 2m 1h30m 45; do
  expect_exit 0 cairn-push -q --stall-timeout "$d" dest <pack.out
  echo "--stall-timeout $d: exit 0"
done
for d in 0 2x 2d; do
  expect_exit 2 cairn-push --stall-timeout "$d" dest <pack.out
  assert_eq 1 "$(wc -l <last.stderr)" "stderr lines for --stall-timeout $d"
  expect_stderr "$d"
  echo "--stall-timeout $d: exit 2, one line"
done
