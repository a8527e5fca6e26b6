#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# The keyring entry: described cairn:<repository id>:<salt>:file:<dev:inode:size:mtime:ctime>
# (nothing computed from the passphrase), view/read/search for the possessor only (perm
# 0b000000), invisible from another session keyring of the same uid, expiring after
# CAIRN_KEY_CACHE seconds; `cairn key forget` drops it at once, and `cairn key passwd`
# drops the entry of the slot it replaces.
set -euo pipefail
# shellcheck source=../lib.sh
. "$CAIRN_CLI_LIB"
# shellcheck source=_keyring.sh
. "$CAIRN_CASE_DIR/_keyring.sh"

keycache_repo
cairn key list >/dev/null
entries >e1
assert_eq 1 "$(wc -l <e1)" "entries"
read -r perm desc <e1
assert_eq 0b000000 "$perm" "permissions of the entry"
[[ $desc =~ ^cairn:[0-9a-f]{64}:[0-9a-f]{32}:file:[0-9a-f]+:[0-9]+:[0-9]+:[0-9]+\.[0-9]{9}:[0-9]+\.[0-9]{9}$ ]] \
  || die "entry described '$desc'"
repo_id=$(cut -d: -f2 <<<"$desc")
grep -aqF -- "\"repo_id\":\"$repo_id\"" "$CAIRN_REPO/config" \
  || die "the description does not start with the repository id: '$desc'"
line=$(grep -F -- "$desc" /proc/keys) || die "no /proc/keys line for '$desc'"
# "1m" at 60 s, then "59s" and down; a loaded CI machine under ASan can take seconds to get here
[[ $(awk '{print $4}' <<<"$line") =~ ^([3-5][0-9]s|1m)$ ]] || die "entry does not expire within 60 s: $line"
echo "described by repository, slot and file; possessor-only; expires"

[ -z "$(cairn-test-keyring session cairn-test-keyring list)" ] || die "another session sees the entry"
cairn-test-keyring session cairn key list -v >/dev/null 2>other.err
assert_eq 1 "$(derivations other.err)" "derivations in another session"
echo "another session of the same uid neither sees nor uses it"

cairn key forget -v 2>forget.err
grep -q '^.*1 key dropped from the kernel keyring' forget.err || die "key forget said: $(cat forget.err)"
[ -z "$(entries)" ] || die "entries left after 'cairn key forget': $(entries)"
echo "cairn key forget drops it"

cairn key list >/dev/null
printf 'a new passphrase\n' >new-pass
cairn key passwd --new-passphrase-file new-pass >/dev/null
[ -z "$(entries)" ] || die "entries left after 'cairn key passwd': $(entries)"
echo "cairn key passwd drops the old slot's entry"

# 5 s, not 1: under ASan on a loaded machine, the exit of `cairn key list` and the start of
# the next command can take longer than a second, and the entry would be gone before it is counted.
CAIRN_KEY_CACHE=5 cairn key list --passphrase-file new-pass >/dev/null
assert_eq 1 "$(entries | wc -l)" "entries with CAIRN_KEY_CACHE=5"
line=$(grep -F -- "cairn:$repo_id:" /proc/keys) || die "no /proc/keys line for the 5 s entry"
[[ $(awk '{print $4}' <<<"$line") =~ ^[1-5]s$ ]] || die "entry does not expire within 5 s: $line"
for _ in $(seq 150); do [ -z "$(entries)" ] && break; sleep 0.1; done
[ -z "$(entries)" ] || die "the entry did not expire after 5 s: $(entries)"
cairn key list -v --passphrase-file new-pass >/dev/null 2>expired.err
assert_eq 1 "$(derivations expired.err)" "derivations after expiry"
echo "expired after CAIRN_KEY_CACHE=5 seconds"
