#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# A rotation record planted by someone who can write the storage (here: a well-formed record
# of a repository of their own, so its box_pk is a key they hold) must not make anyone seal to
# it: cairn key generations names it as refused, a write-only key and the full key keep
# sealing to the real generation (the full key restores what they wrote), and cairn-verify
# reports the record as damage (exit 4). A record signed with a writer key: the unit test
# "a rotation record planted by the storage or signed with a writer key is refused".
set -euo pipefail
# shellcheck source=../lib.sh
. "$CAIRN_CLI_LIB"

CAIRN_CATALOG=$PWD/attacker.db make_repo "$PWD/attacker"
cairn key rotate --catalog "$PWD/attacker.db" >/dev/null 2>&1
planted=$(grep -l CAIRNKR1 attacker/holds/*)
unset CAIRN_CATALOG
make_repo "$PWD/repo"
mkdir -p src
gen_file src/a.bin 200K 1
(umask 077 && printf 'write only passphrase\n' >wo.pass)
cairn key export --write-only --new-passphrase-file wo.pass wo.key 2>/dev/null
cp "$planted" repo/holds/
name=$(basename "$planted")

cairn key generations >gens.out
assert_eq 1 "$(grep -c '^[0-9]' gens.out)" "generations with a planted record"
grep -q "^refused holds/$name: .*admin key" gens.out || die "the planted record is not named: $(cat gens.out)"
echo "planted record refused"

(set -o pipefail && CAIRN_KEY_FILE=$PWD/wo.key CAIRN_PASSPHRASE_FILE=$PWD/wo.pass \
  cairn-snap src --source wo | CAIRN_KEY_FILE=$PWD/wo.key CAIRN_PASSPHRASE_FILE=$PWD/wo.pass \
  cairn-pack >wo.out 2>wo.err) || { cat wo.err >&2; die "the write-only backup failed"; }
set_full=$(backup src --source app)
cairn-restore "$(head -n 1 wo.out)" --to "$PWD/back1" 2>/dev/null
cairn-restore "$set_full" --to "$PWD/back2" 2>/dev/null
compare_trees src back1
compare_trees src back2
cairn key generations | grep '^0 ' | sed 's/^0 [0-9a-f]* .* config /0 config /'
echo "new data is sealed to the real key"

rc=0
cairn-verify >verify.out 2>&1 || rc=$?
assert_eq 4 "$rc" "verify with a planted rotation record"
grep -q "$name" verify.out || die "verify does not name the record: $(cat verify.out)"
echo "verify reports it"
