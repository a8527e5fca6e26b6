#!/usr/bin/env bash
# A class's keep-tagged keeps every set carrying one of its tags, beside its other rules:
# with keep-last = 1 the newest set and the tagged oldest one stay, the one between goes.
# A tag removed later no longer keeps its set.
set -euo pipefail
. "$CAIRN_CLI_LIB"

make_repo
mkdir app
echo one >app/f
first=$(backup app --source app --tag before-upgrade)
echo two >app/f
second=$(backup app --source app)
echo three >app/f
third=$(backup app --source app)
cat >policy.toml <<'POL'
[class.daily]
keep-last = 1
keep-tagged = ["before-upgrade", "gold"]
POL
cairn-prune --policy policy.toml >/dev/null 2>&1
assert_eq "$first $third" "$(set_ids | tr '\n' ' ' | sed 's/ $//')" "sets kept"
echo "keep-tagged keeps the tagged set; keep-last the newest"

cairn tag "$first" -before-upgrade >/dev/null
cairn-prune --policy policy.toml >/dev/null 2>&1
assert_eq "$third" "$(set_ids)" "after the tag was removed"
echo "an untagged set is pruned by the next run"
