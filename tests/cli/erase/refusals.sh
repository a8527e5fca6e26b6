#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# Issue 19, erasure refused or rehearsed, each changing nothing (the repository's files are
# byte for byte the same): --dry-run lists what it would erase; a set under legal hold stops
# the erasure and the error names the set and the hold's reason (exit 1); a write-only key is
# refused (exit 12); a pattern that names every path is a usage error. --force-hold then
# rewrites the held set, which keeps its hold; --source leaves other sources alone. A catalog
# rebuilt from the repository alone shows the erasure in its audit log again.
set -euo pipefail
# shellcheck source=../lib.sh
. "$CAIRN_CLI_LIB"
# shellcheck source=_erase.sh
. "$CAIRN_CASE_DIR/_erase.sh"

make_repo
erase_tree src
erase_tree other
s1=$(backup src --source home)
s2=$(backup src --source home)
o1=$(backup other --source other)

before=$(repo_fingerprint)
expect_exit 0 cairn erase --dry-run --source home home/alice
[ "$(wc -l <last.stdout)" = 8 ] || die "--dry-run listed: $(cat last.stdout)"
grep -q "^${s1:0:12} home  *[0-9TZ:-]* home/alice/notes.txt$" last.stdout || die "--dry-run: $(cat last.stdout)"
grep -q "home/zlink$" last.stdout || die "--dry-run does not name the hard link to an erased file"
assert_eq "$before" "$(repo_fingerprint)" "the repository after --dry-run"
echo "--dry-run lists the entries of both sets, changes nothing"

cairn hold "$s2" --reason "litigation 2026-17" >/dev/null
held=$(repo_fingerprint)
expect_exit 1 cairn erase --source home home/alice
expect_stderr "^cairn: error: 1 of the 2 sets holding a match is under legal hold: $s2 \(home [0-9TZ:-]*, held: litigation 2026-17\); nothing was erased"
assert_eq "$held" "$(repo_fingerprint)" "the repository after a refusal"
echo "a held set stops the erasure, named with its reason; nothing changed"

(umask 077 && printf 'write only passphrase\n' >wo.pass)
cairn key export --write-only --new-passphrase-file wo.pass wo.key 2>/dev/null
held=$(repo_fingerprint)  # the exported key file is outside the repository
CAIRN_KEY_FILE=$PWD/wo.key CAIRN_PASSPHRASE_FILE=$PWD/wo.pass expect_exit 12 cairn erase home/alice
expect_stderr '^cairn: error: erasing needs a full key .*: this key is write-only$'
expect_exit 2 cairn erase '/'
expect_stderr "^cairn: error: PATTERN '/' would match every path of a set"
assert_eq "$held" "$(repo_fingerprint)" "the repository after the refusals"
echo "a write-only key and a pattern naming everything are refused; nothing changed"

expect_exit 0 cairn erase --source home --force-hold home/alice
mapfile -t new < <(set_ids home)
[ "${#new[@]}" = 2 ] || die "home has ${#new[@]} sets"
assert_eq True "$(ls_field "${new[1]}" legal_hold)" "the rewritten held set's hold"
assert_eq False "$(ls_field "${new[0]}" legal_hold)" "the other set's hold"
assert_eq "$o1" "$(set_ids other)" "the other source's set"
expect_exit 1 cairn-verify --absent home/alice
expect_stderr '^cairn-verify: error: 1 of the 3 sets hold 3 paths matching \(listed on stdout\): they are not erased$'
[ "$(grep -c "^${o1:0:12} other " last.stdout)" = 3 ] || die "verify --absent home/alice: $(cat last.stdout)"
[ "$(wc -l <last.stdout)" = 3 ] || die "verify --absent home/alice: $(cat last.stdout)"
expect_exit 1 cairn-verify --absent 'bob'
expect_stderr '^cairn-verify: error: 3 of the 3 sets hold 6 paths matching'
[ "$(wc -l <last.stdout)" = 6 ] || die "verify --absent bob: $(cat last.stdout)"
echo "--force-hold rewrites the held set, which stays held; the other source keeps its files"

# A catalog rebuilt without the old one gets the erasure back from its admin-signed record.
rm -f "$CAIRN_CATALOG" "$CAIRN_CATALOG-wal" "$CAIRN_CATALOG-shm"
cairn catalog rebuild >/dev/null 2>rebuild.err || { cat rebuild.err >&2; die "catalog rebuild failed"; }
cairn audit --json >audit.json
grep -q '"command":"cairn erase: 1 patterns (keyed hashes [0-9a-f]*)","outcome":"ok: 8 entries erased from 2 sets: .* (from its erasure record)"' audit.json \
  || die "the rebuilt catalog has no erasure row: $(cat audit.json)"
assert_eq "${new[*]}" "$(set_ids home | xargs)" "the sets of home after the rebuild"
echo "a rebuilt catalog shows the erasure again, from the repository's record"
