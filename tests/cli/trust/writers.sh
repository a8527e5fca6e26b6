#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# Separate signing authority (issue 12, item 2): each write-only key file is a writer of its
# own, named by the sets it signs; 'cairn key revoke' refuses what it writes later and keeps
# what it wrote before; a write-only host that re-signs the config (with the only signing key
# it has, its writer key: tests/tools/forge.cpp writes it straight into storage) is refused,
# and once the real config is back every set restores.
set -euo pipefail
# shellcheck source=../lib.sh
. "$CAIRN_CLI_LIB"
command -v cairn-test-tool >/dev/null || skip "cairn-test-tool is not built"

make_repo
admin_pass=$CAIRN_PASSPHRASE_FILE
mkdir -p src
gen_text src/a.txt 200
admin_set=$(backup src --source app)
(umask 077 && printf 'host one\n' >wo.pass)
cairn key export --write-only --new-passphrase-file wo.pass wo.key 2>/dev/null
writer=$(CAIRN_KEY_FILE=$PWD/wo.key CAIRN_PASSPHRASE_FILE=$PWD/wo.pass cairn key writers | awk '/\(current\)/ {print $1}')
[[ $writer =~ ^[0-9a-f]{32}$ ]] || die "cairn key writers --key-file names no current writer: '$writer'"
mine=$(cairn key writers | awk '/\(current\)/ {print $1}')
[ "$writer" != "$mine" ] || die "the write-only key file signs as the admin's writer"

wo() { CAIRN_KEY_FILE=$PWD/wo.key CAIRN_PASSPHRASE_FILE=$PWD/wo.pass "$@"; }
gen_text src/b.txt 100
before=$( (set -o pipefail; wo cairn-snap src --source web | wo cairn-pack) | head -n 1)
[[ $before =~ ^[0-9a-f]{64}$ ]] || die "the write-only backup printed '$before'"
cairn key writers >writers.out
grep -q "^$writer 1 sets" writers.out || { cat writers.out >&2; die "the writer's set is not counted"; }
echo "the write-only key signs as a writer of its own"

# a write-only host re-signs the config (put-only rights can overwrite it): the forgery is
# refused, the signed copy init left among the admin records stands in, so every set still
# restores; verify calls the config damaged (exit 4) and says how to repair it
cp "$CAIRN_REPO/config" config.real
cairn-test-tool resign-config "$CAIRN_REPO" wo.key wo.pass
cmp -s config.real "$CAIRN_REPO/config" && die "the forger did not replace the config"
cairn-restore "$admin_set" --to "$PWD/r1" 2>/dev/null
cmp src/a.txt r1/a.txt
expect_exit 4 cairn-verify
expect_stderr '^cairn-verify: error: damage found: '
grep -q "config" last.stdout || { cat last.stdout >&2; die "verify does not name the config"; }
copy=$(sed -n "s|.*its signed copy '\(holds/[0-9a-f]*\)' was used.*|\1|p" last.stdout | head -n 1)
[ -n "$copy" ] || { cat last.stdout >&2; die "verify does not name the signed copy"; }
cp "$CAIRN_REPO/$copy" "$CAIRN_REPO/config"
cmp config.real "$CAIRN_REPO/config"
expect_exit 0 cairn-verify
echo "a re-signed config is refused; its signed copy stands in, every set restores"

# the write-only key cannot revoke, hold or release
expect_exit 12 wo cairn key revoke "$mine"
expect_stderr '^cairn: error: this key is write-only: only a full key can revoke a writer$'
expect_exit 12 wo cairn hold "$admin_set" --reason x
expect_stderr '^cairn: error: legal holds need a full key: this key is write-only$'

# revoke: the writer's set so far is kept, the key can write no more
cairn key revoke "$writer" --reason "host retired" >revoke.out
grep -q '^+holds/[0-9a-f]\{64\}$' revoke.out || { cat revoke.out >&2; die "revoke printed no record path"; }
grep -q "^$writer .*(revoked)" <(cairn key writers) || die "the writer is not listed as revoked"
rc=0
(set -o pipefail; wo cairn-snap src --source web | wo cairn-pack >/dev/null 2>after.err) || rc=$?
[ "$rc" = 12 ] || { cat after.err >&2; die "a revoked key's backup exited $rc, expected 12"; }
grep -q "revoked" after.err || { cat after.err >&2; die "the refusal does not say revoked"; }
rm -rf r2
cairn-restore "$before" --to "$PWD/r2" 2>/dev/null
cmp src/b.txt r2/b.txt
expect_exit 0 cairn-verify
echo "a revoked writer's earlier set restores; it can write no more"
