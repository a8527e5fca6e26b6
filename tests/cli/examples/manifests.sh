#!/usr/bin/env bash
# Every file under examples/ is checked by what it is, so that none goes stale unnoticed:
# TOML and JSON parse (and a policy passes `cairn policy check`), YAML parses, shell scripts
# pass `bash -n`, systemd units are checked by tests/cli/examples/systemd.sh, crontabs by
# _examples.py. A file of a kind this case does not know fails it: add its check here.
set -euo pipefail
. "$CAIRN_CLI_LIB"
. "$(dirname "${BASH_SOURCE[0]}")/_common.sh"

n=0
while IFS= read -r -d '' f; do
  rel=${f#"$examples"/}
  case $rel in
    *.toml)
      "$CAIRN_PY" "$examples_parser" toml "$f" || die "$rel does not parse"
      if grep -q '^\[class\.' "$f"; then
        cairn policy check "$f" >/dev/null 2>check.err || { cat check.err >&2; die "$rel: cairn policy check failed"; }
      fi ;;
    *.json) "$CAIRN_PY" "$examples_parser" json "$f" || die "$rel does not parse" ;;
    *.yml|*.yaml) "$CAIRN_PY" -c 'import sys, yaml; list(yaml.safe_load_all(open(sys.argv[1])))' "$f" \
                    || die "$rel does not parse" ;;
    *.service|*.timer|*.path|*.env) ;;  # systemd.sh
    *crontab*|crontab/*) "$CAIRN_PY" "$examples_parser" cron "$f" >/dev/null || die "$rel is not a valid crontab" ;;
    *.md|*.txt|*/Containerfile|*.conf|*.sql) ;;
    *)
      if head -n 1 "$f" | grep -q '^#!.*\(bash\|sh\)'; then
        [ -x "$f" ] || die "$rel is a script but not executable"
        bash -n "$f" || die "$rel: bash -n failed"
      elif head -n 1 "$f" | grep -q '^#!.*python3'; then
        "$CAIRN_PY" -c 'import ast, sys; ast.parse(open(sys.argv[1]).read(), sys.argv[1])' "$f" || die "$rel does not compile"
      else
        die "$rel: no check knows this kind of file (add one to tests/cli/examples/manifests.sh)"
      fi ;;
  esac
  n=$((n + 1))
done < <(find "$examples" -type f -print0)
[ "$n" -ge 10 ] || die "only $n example files found"
echo "every example file checked"
