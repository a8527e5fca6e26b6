#!/usr/bin/env bash
# scripts/quickstart's own logic, with stand-in tools (CAIRN_QUICKSTART_BIN) that copy the
# tree with cp -a: an exact round trip passes; a tool that answers "not implemented yet" is
# named as the step not available yet (exit 1); a restore that changes one byte, or one
# mtime, is caught by the comparison (exit 1). The real tools run in scripts/quickstart.
set -euo pipefail
. "$CAIRN_CLI_LIB"
quickstart=$CAIRN_SOURCE_DIR/scripts/quickstart

mkdir fake
cat >fake/cairn <<'T'
#!/bin/sh
[ "$1 $2" = "init --repo" ] && [ "$4" = --passphrase-file ] && [ -f "$5" ] || { echo "cairn: bad args: $*" >&2; exit 2; }
[ "$(stat -c %a "$5")" = 600 ] || { echo "cairn: passphrase file mode $(stat -c %a "$5")" >&2; exit 1; }
mkdir -p "$3/sets"
T
cat >fake/cairn-snap <<'T'
#!/bin/sh
[ "$2 $3" = "--source quickstart" ] || { echo "cairn-snap: bad args: $*" >&2; exit 2; }
echo "$1"
T
printf '#!/bin/sh\ncat\n' >fake/cairn-diff
cat >fake/cairn-pack <<'T'
#!/bin/sh
read -r dir
[ -n "$CAIRN_REPO" ] && [ -n "$CAIRN_CATALOG" ] && [ -f "$CAIRN_PASSPHRASE_FILE" ] || exit 1
rm -rf "$CAIRN_REPO/sets/latest"
cp -a "$dir" "$CAIRN_REPO/sets/latest"
echo set-0001; echo +packs/0001
T
printf '#!/bin/sh\n[ "$1" = --read-data ]\n' >fake/cairn-verify
cat >fake/cairn-restore <<'T'
#!/bin/sh
[ "$1 $2" = "latest --to" ] || { echo "cairn-restore: bad args: $*" >&2; exit 2; }
cp -a "$CAIRN_REPO/sets/latest" "$3"
[ -z "${BREAK:-}" ] || sh -c "$BREAK" -- "$3"
T
chmod +x fake/*

make_tree src
run_quickstart() {  # run_quickstart LABEL: exit status into $rc, output into LABEL.log
  rc=0
  CAIRN_QUICKSTART_BIN=$PWD/fake CAIRN_QUICKSTART_DIR=$PWD/state-$1 bash "$quickstart" "$PWD/src" >"$1.log" 2>&1 || rc=$?
}

run_quickstart ok
[ "$rc" = 0 ] || { cat ok.log >&2; die "a faithful round trip failed"; }
grep -q 'backup, verify and restore of .* succeeded' ok.log
[ "$(stat -c %a state-ok/passphrase)" = 600 ]
echo "round trip: ok"

run_quickstart again   # a second run reuses the repository
[ "$rc" = 0 ] || { cat again.log >&2; die "a second run failed"; }

printf '#!/bin/sh\necho "cairn-pack: error: not implemented yet" >&2\nexit 1\n' >fake/cairn-pack
run_quickstart missing
[ "$rc" = 1 ] || die "a missing tool gave exit $rc"
grep -q "step 'pack' is not available yet" missing.log || { cat missing.log >&2; die "the missing step is not named"; }
echo "missing tool: named"

pack=$(printf '#!/bin/sh\nread -r dir\nrm -rf "$CAIRN_REPO/sets/latest"; cp -a "$dir" "$CAIRN_REPO/sets/latest"\necho set-2\n')
printf "%s\n" "$pack" >fake/cairn-pack
BREAK='printf x >>"$1/docs/hello.txt"' run_quickstart content
[ "$rc" = 1 ] && grep -q 'content differs' content.log || { cat content.log >&2; die "changed content not caught"; }
BREAK='touch -d 2000-01-01 "$1/docs/deep/text.txt"' run_quickstart mtime
[ "$rc" = 1 ] && grep -q 'metadata differs' mtime.log || { cat mtime.log >&2; die "changed mtime not caught"; }
echo "bad restores: caught"
