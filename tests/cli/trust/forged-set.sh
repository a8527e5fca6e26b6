#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# A host holding only a write-only key cannot read other sources through a set of its own
# (issue 12, item 1). The attacker's program (cairn-test-tool, tests/tools/forge.cpp) writes the
# objects straight into storage, bypassing cairn-pack: it lists every chunk id from the index
# files (index_key is in every key), and signs a set whose one file "stolen" is made of all
# the data chunks of the repository, with made-up possession proofs (zeros, or the chunk id).
# An admin who restores that set gets none of the other source's bytes and exit 4, in every
# restore mode; verify --read-data calls the set damaged (exit 4) and names it; the other
# source's own set still restores.
set -euo pipefail
# shellcheck source=../lib.sh
. "$CAIRN_CLI_LIB"
command -v cairn-test-tool >/dev/null || skip "cairn-test-tool is not built"

make_repo
mkdir -p payroll
for i in 1 2 3; do printf 'SECRET-SALARY-%s %s\n' "$i" "$(head -c 3000 /dev/urandom | base64 -w0)" >"payroll/p$i.txt"; done
gen_file payroll/big.bin 2M 7
good=$(backup payroll --source payroll)

(umask 077 && printf 'write only passphrase\n' >wo.pass)
cairn key export --write-only --new-passphrase-file wo.pass wo.key 2>/dev/null

for proof in zero id; do
  forged=$(cairn-test-tool forge-set "$CAIRN_REPO" wo.key wo.pass stolen-$proof $proof)
  [[ $forged =~ ^[0-9a-f]{64}$ ]] || die "the forger printed '$forged'"
  cairn catalog rebuild >/dev/null 2>&1 || true   # the admin's catalog now lists it
  rm -rf out
  expect_exit 4 cairn-restore "$forged" --to "$PWD/out"
  grep -q "$forged\|possession proof" last.stderr || { cat last.stderr >&2; die "restore does not say why"; }
  if [ -d out ] && grep -rqa 'SECRET-SALARY' out; then die "the forged set ($proof) handed out the other source's bytes"; fi
  rc=0
  cairn-restore "$forged" --tar >out.tar 2>tar.err || rc=$?
  [ "$rc" = 4 ] || { cat tar.err >&2; die "--tar of the forged set exited $rc, expected 4"; }
  if grep -qa 'SECRET-SALARY' out.tar; then die "--tar of the forged set ($proof) carried the other source's bytes"; fi
  rc=0
  cairn-restore "$forged" --stdout stolen >out.bin 2>out.err || rc=$?
  [ "$rc" = 4 ] || { cat out.err >&2; die "--stdout of the forged set exited $rc, expected 4"; }
  if grep -qa 'SECRET-SALARY' out.bin; then die "--stdout of the forged set ($proof) carried the other source's bytes"; fi
  echo "forged set with $proof proofs: exit 4, no bytes"
done

# verify --read-data names the forged sets as damaged, and not the real one
rc=0
cairn-verify --read-data >verify.out 2>verify.err || rc=$?
[ "$rc" = 4 ] || { cat verify.out verify.err >&2; die "verify --read-data exited $rc, expected 4"; }
grep -q "${forged:0:12}" verify.out verify.err || { cat verify.out >&2; die "verify does not name the forged set"; }
grep -q "possession proof" verify.out verify.err || { cat verify.out >&2; die "verify does not say why"; }
echo "verify --read-data: exit 4, names the forged set"

# the real set is untouched
rm -rf back
cairn-restore "$good" --to "$PWD/back" 2>/dev/null
diff -r payroll back >/dev/null || die "the payroll set no longer restores"
# (the forged sets' made-up seq is a chain warning of the repository: exit 3, not damage)
expect_exit 3 cairn-verify --read-data "$good"
expect_stderr '^cairn-verify: warning: '
if grep -q "damaged set $good" last.stdout last.stderr; then die "verify calls the real set damaged"; fi
echo "the real set restores"
