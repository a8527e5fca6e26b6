#!/usr/bin/env bash
# cairn-snap --from-command: the input comes from a command's output, and the command's exit
# status decides: a dump that fails half way (here: 2 MiB written, then exit 3) fails the
# snapshot (exit 1, the command named) and cairn-pack commits nothing; a command that
# succeeds gives a set that restores to exactly its output. With --tar - it reads a tar.
set -euo pipefail
. "$CAIRN_CLI_LIB"

make_repo
gen_file dump.bin 2M 11
set +e
cairn-snap --stdin db.dump --source pg --from-command "cat '$PWD/dump.bin'; exit 3" 2>snap.err | cairn-pack 2>pack.err >pack.out
rc=("${PIPESTATUS[@]}")
set -e
assert_eq "1 1" "${rc[*]}" "exit statuses of snap and pack"
grep -q "input command .* failed with exit status 3" snap.err || die "the failing command is not named: $(cat snap.err)"
[ "$(wc -l <snap.err)" = 1 ] || die "more than one line: $(cat snap.err)"
[ -z "$(cairn ls pg --json)" ] || die "a set was committed from a failed dump"
echo "failed command: snapshot fails, nothing committed"

(set -o pipefail; cairn-snap --stdin db.dump --source pg --from-command "cat '$PWD/dump.bin'" | cairn-pack >/dev/null)
cairn-restore pg@latest --stdout db.dump >back.bin
cmp dump.bin back.bin
echo "good command: the set holds its output"

mkdir t && gen_text t/a.txt 10 && gen_file t/b.bin 100K 12
(set -o pipefail; cairn-snap --tar - --source tarred --from-command "tar -C '$PWD/t' -cf - ." | cairn-pack >/dev/null)
cairn-restore tarred@latest --to "$PWD/out" 2>/dev/null
cmp t/b.bin out/b.bin && cmp t/a.txt out/a.txt
echo "--tar -: reads the command's tar"
expect_exit 2 cairn-snap "$PWD/t" --from-command true
grep -q -- "--from-command needs --stdin NAME or --tar -" last.stderr || die "no usage line: $(cat last.stderr)"
echo "without --stdin/--tar -: usage error"
