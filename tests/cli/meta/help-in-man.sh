#!/usr/bin/env bash
# Every option a tool offers in --help is documented: cairn-VERB's in man/cairn-VERB.1.scd,
# each `cairn` command's (nested ones too, e.g. `cairn key add`) in man/cairn.1.scd, and the
# common options (the "Common options" group) in man/cairn.7.scd, COMMON OPTIONS. And no page
# calls an option "not implemented" that the tool's --help offers. --help is read at run
# time, so an option added anywhere is checked. Fails with one line per finding.
set -euo pipefail
. "$CAIRN_CLI_LIB"
[ -n "${CAIRN_BIN:-}" ] || die "CAIRN_BIN is not set (the build's bin directory)"
man=$CAIRN_SOURCE_DIR/man

# help_of OUT CMD...: CMD --help into OUT.
help_of() {
  local out=$1
  shift
  "$@" --help >"$out" 2>help.err || die "$* --help failed: $(head -n 1 help.err)"
}

# Writes "PAGE WHAT OPTION" lines (what: the command, for messages) to checks.txt, and the
# commands listed under "Commands:" of a help text.
: >checks.txt
collect() {  # collect HELPFILE WHAT PAGE
  "$CAIRN_PY" - "$@" >>checks.txt <<'PY'
import re, sys
helpfile, what, page = sys.argv[1:4]
group = ""
for line in open(helpfile, encoding="utf-8"):
    line = line.rstrip("\n")
    if re.match(r"^[A-Za-z][A-Za-z ]*:$", line):
        group = line[:-1]
        continue
    m = re.match(r"^\s+(-[A-Za-z0-9],)?(--[a-z0-9][a-z0-9-]*)", line)
    if not m or group == "Commands":
        continue
    opt = m.group(2)
    if opt in ("--help", "--version"):
        continue
    target = "cairn.7" if group == "Common options" else page
    print(target, what.replace(" ", "_"), opt)
PY
}
commands_in() {  # the names listed under "Commands:" in a help text
  awk '/^[A-Za-z][A-Za-z ]*:$/ {on = ($0 == "Commands:"); next} on && /^  [a-z]/ {print $1}' "$1"
}

for verb in snap diff pack push verify restore prune; do
  help_of "cairn-$verb.help" "$CAIRN_BIN/cairn-$verb"
  collect "cairn-$verb.help" "cairn-$verb" "cairn-$verb.1"
done
# The front command and its commands, depth first.
walk() {  # walk WORD...
  local f
  f="cairn${*:+-}$(IFS=-; echo "$*").help"
  help_of "$f" "$CAIRN_BIN/cairn" "$@"
  collect "$f" "cairn${*:+ }$*" "cairn.1"
  local sub
  for sub in $(commands_in "$f"); do
    [ "$sub" = help ] && [ $# = 0 ] && continue  # `cairn help --help` is cairn help's own
    walk "$@" "$sub"
  done
}
walk
[ "$(grep -c . checks.txt)" -gt 50 ] || die "too few options found in the --help texts: $(wc -l <checks.txt)"

missing=0
while read -r page what opt; do
  src=$man/$page.scd
  [ -f "$src" ] || die "no man page $page for ${what//_/ } (man/$page.scd)"
  if ! grep -E -q -- "$opt([^a-z0-9-]|$)" "$src"; then
    echo "${what//_/ } --help offers $opt, but man/$page.scd does not mention it" >&2
    missing=$((missing + 1))
  fi
done <checks.txt

# A paragraph of a page that says "not implemented" about an option the binary offers.
contradictions=$("$CAIRN_PY" - "$man" checks.txt <<'PY'
import re, sys, pathlib
man, checks = sys.argv[1:3]
offered = {}
for line in open(checks):
    page, what, opt = line.split()
    offered.setdefault(page, set()).add(opt)
for page in sorted(offered):
    text = (pathlib.Path(man) / (page + ".scd")).read_text(encoding="utf-8")
    for para in re.split(r"\n\s*\n", text):
        if not re.search(r"not implemented|unimplemented", para, re.I):
            continue
        m = re.search(r"\*(--[a-z0-9][a-z0-9-]*)\*", para)
        if m and m.group(1) in offered[page]:
            print(f"man/{page}.scd calls {m.group(1)} not implemented, but the tool offers it")
PY
)
if [ -n "$contradictions" ]; then
  echo "$contradictions" >&2
  missing=$((missing + $(echo "$contradictions" | wc -l)))
fi
[ "$missing" = 0 ] || die "$missing options are undocumented or contradicted (above)"
exit 0
