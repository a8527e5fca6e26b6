#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# Issue 18, "Clock skew": cairn-prune judges the grace time by the clock of the repository's
# storage (here the file system's), and when this host's clock disagrees with it by more than
# 5 minutes it changes nothing and says so in one line (exit 1). faketime moves the tool's
# clock, not the file system's. Before, a clock 2h ahead swept a pack marked a minute ago
# despite --grace-time 1h.
set -euo pipefail
# shellcheck source=../lib.sh
. "$CAIRN_CLI_LIB"
# shellcheck source=_common.sh
. "$(dirname "$0")/_common.sh"

command -v faketime >/dev/null || skip "faketime is not installed"
! asan_build || skip "an AddressSanitizer build (libfaketime cannot be preloaded ahead of the ASan runtime)"
prune_repo
prune_policy 1
: >made
for i in 1 2; do
  mkdir "d$i" && gen_file "d$i/a.bin" 300K "$i"
  made_backup "d$i" app daily >/dev/null
done
cairn-prune --grace-time 1h >mark.out 2>mark.err  # drops d1's set, marks its packs
mkdir d3 && gen_file d3/a.bin 10K 3 && made_backup d3 web adhoc >/dev/null  # a generation
before=$(repo_fingerprint)

for skew in '+2h' '-1d'; do
  rc=0
  faketime -f "$skew" cairn-prune --grace-time 1h >skew.out 2>skew.err || rc=$?
  assert_eq 1 "$rc" "exit status of cairn-prune with the clock at $skew"
  assert_eq 1 "$(wc -l <skew.err)" "lines on stderr"
  grep -q "this host's clock (.*) and the repository's storage (.*) disagree by .*, more than 5m: nothing was changed" skew.err ||
    die "cairn-prune said: $(cat skew.err)"
  [ ! -s skew.out ] || die "cairn-prune printed: $(cat skew.out)"
  assert_eq "$before" "$(repo_fingerprint)" "the repository after cairn-prune at $skew"
  echo "clock at $skew: refused, nothing changed"
done

# With the clock right the grace time is not over: nothing is swept either.
cairn-prune --grace-time 1h >right.out 2>right.err
if grep -q '^-packs/' right.out; then die "a pack was swept within the grace time"; fi
check_all_restore
echo "clock right: the grace time holds, every set restores"
