#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# The disaster-recovery day (issue 13): host A (its own HOME, catalog and state) backs up two
# sources into a repository and pushes every set to a local copy. Then host B, with a fresh
# HOME and no catalog, pointed at the same repository: cairn ls lists every set,
# cairn-restore app@latest and cairn-restore app@TIME --from COPY restore exactly what was
# there (compared without cairn), cairn status shows both sources. A set written only to the
# repository is not in the copy: host B reading the copy through --repo says in one line that
# its catalog lists a set the copy lacks.
set -euo pipefail
# shellcheck source=../lib.sh
. "$CAIRN_CLI_LIB"

make_repo
copy=$PWD/copy
mkdir -p hostA/home hostA/state hostB/home hostB/state
export CAIRN_CATALOG=$PWD/hostA/state/catalog.db HOME=$PWD/hostA/home XDG_STATE_HOME=$PWD/hostA/state
mkdir -p app db
gen_file app/a.bin 300K 1
gen_text app/notes.txt 50
gen_file db/dump.sql 200K 2
night() {  # night DIR SOURCE: snap | diff | pack | push; prints the set id
  (set -o pipefail && cairn-snap "$1" --source "$2" | cairn-diff | cairn-pack | tee pack.out \
    | cairn-push "$copy" >/dev/null) || die "the backup of $2 failed"
  head -n 1 pack.out
}
ids=("$(night app app)" "$(night db db)")
cp -a app app.1
sleep 1.1  # snapshot times have seconds in @TIME
between=$(date -u +%Y-%m-%dT%H:%M:%SZ)
sleep 1.1
gen_file app/b.bin 100K 3
printf 'changed\n' >>app/notes.txt
ids+=("$(night app app)")
cp -a app app.2
echo "host A: 3 sets in the repository and in the copy"

# Host B: a fresh HOME, no catalog, the same repository and passphrase.
hostB() { env -u CAIRN_CATALOG HOME="$PWD/hostB/home" XDG_STATE_HOME="$PWD/hostB/state" "$@"; }
hostB cairn ls --json >ls.json
"$CAIRN_PY" -c 'import json,sys; [print(json.loads(l)["id"]) for l in sys.stdin]' <ls.json >ls.ids
printf '%s\n' "${ids[@]}" >want.ids
diff -u want.ids ls.ids >&2 || die "host B's cairn ls does not list every set"
ls hostB/state/cairn/*.db >/dev/null || die "host B has no catalog of its own"
echo "host B: cairn ls lists every set"

hostB cairn-restore app@latest --to "$PWD/out.latest" 2>/dev/null
compare_trees app.2 out.latest
(cd app.2 && find . -type f -print0 | sort -z | xargs -0 sha256sum) >want.sha
(cd out.latest && sha256sum -c --quiet ../want.sha) || die "app@latest: a file's sha256 differs"
echo "host B: app@latest restores exactly"

hostB cairn-restore "app@$between" --from "$copy" --to "$PWD/out.then" 2>/dev/null
compare_trees app.1 out.then
echo "host B: app@TIME --from the copy restores the earlier set exactly"

hostB cairn status >status.out 2>status.err || true  # no policy: nothing is violated, but no exit claim
for src in app db; do
  grep -Eq "(^|[[:space:]])$src([[:space:]]|$)" status.out || die "cairn status does not show source $src: $(cat status.out)"
done
echo "host B: cairn status shows both sources"

# A fourth set only in the repository: the copy lacks it. Host B's catalog (shared by both,
# one repository id) lists it; reading the copy says so in one line, naming the repair.
gen_file app/c.bin 10K 4
fourth=$(backup app --source app)
hostB cairn ls >/dev/null 2>&1
expect_exit 3 hostB cairn ls --repo "$copy"
expect_stderr "disagrees with the repository at '$copy': 1 committed set \\(${fourth:0:12}\\) has no set object there.*cairn catalog rebuild"
[ "$(grep -c disagrees last.stderr)" = 1 ] || die "more than one line about the disagreement"
echo "host B: a set missing from the copy is named in one line"
