#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# Files get exactly the mode the set records whatever the restorer's umask and whether the
# target has a default ACL: a file whose mode the umask leaves alone is created with it (no
# chmod afterwards); any other (a bit the umask masks, a group/other write bit, a default
# ACL in the directory) is created 0600 and chmod'ed once written.
set -euo pipefail
# shellcheck source=../lib.sh
. "$CAIRN_CLI_LIB"

make_repo
modes="0000 0400 0444 0555 0600 0640 0644 0660 0664 0666 0700 0711 0750 0755 0775 0777"
mkdir -p src/d
for m in $modes; do
  printf 'mode %s\n' "$m" >"src/d/f$m"
  chmod "$m" "src/d/f$m"
done
backup "$PWD/src" --source modes >/dev/null

for u in 022 077 000 027; do
  (umask "$u" && cairn-restore modes@latest --to "$PWD/out-$u" 2>/dev/null)
  compare_trees src "out-$u"
done
echo "every mode exact under umask 022, 077, 000 and 027"

if command -v setfacl >/dev/null && mkdir acl && setfacl -d -m u::rwx,g::---,o::--- acl 2>/dev/null; then
  (umask 022 && cairn-restore modes@latest --to "$PWD/acl" 2>/dev/null)
  for m in $modes; do
    got=$(stat -c '%a' "acl/d/f$m")
    [ "$got" = "$(printf '%o' "$((8#$m))")" ] || die "f$m restored under a default ACL has mode $got"
  done
fi
echo "and under a default ACL in the target"
