# Every man page renders without a troff warning: each man/*.scd is turned into troff by
# scdoc and formatted as man(1) shows it on an 80-column terminal (`man --warnings -l`,
# which runs preconv and tbl) and by groff with every warning on (`groff -k -man -ww -z`).
# A warning ("can't break line", "table wider than line width", a bad character or
# request) fails the case, naming the page and the warning. Silent when all is well.
set -euo pipefail
. "$CAIRN_CLI_LIB"

command -v scdoc >/dev/null || skip "scdoc is not installed (apt-get install scdoc)"
command -v groff >/dev/null || skip "groff is not installed (apt-get install groff-base)"
command -v man >/dev/null || skip "man is not installed (apt-get install man-db)"

pages=0
bad=0
for src in "$CAIRN_SOURCE_DIR"/man/*.scd; do
  page=$(basename "$src" .scd)
  scdoc <"$src" >"$page" || die "scdoc failed on man/$page.scd"
  MANWIDTH=80 MAN_KEEP_FORMATTING=1 man --warnings -l "./$page" >/dev/null 2>man.err || true
  groff -k -man -ww -z -Tutf8 "./$page" 2>>man.err || true
  if [ -s man.err ]; then
    sed "s|^|man/$page.scd: |" man.err >&2
    bad=$((bad + 1))
  fi
  pages=$((pages + 1))
done
[ "$pages" -gt 0 ] || die "no man pages found under $CAIRN_SOURCE_DIR/man"
[ "$bad" = 0 ] || die "$bad of $pages man pages have troff warnings (above); fix the .scd source"
exit 0
