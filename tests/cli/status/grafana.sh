#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# examples/grafana/cairn-dashboard.json parses (python3 -m json.tool), and every metric its
# panels and variables query is one that cairn status --prometheus writes (a TYPE line in a
# real textfile, from a repository with a policy setting every objective and a drill); every
# run metric (cairn_last_run_*, cairn_destination_last_*) is plotted by some panel.
set -euo pipefail
# shellcheck source=../lib.sh
. "$CAIRN_CLI_LIB"
# shellcheck source=_common.sh
. "$CAIRN_CASE_DIR/_common.sh"

dashboard=$CAIRN_SOURCE_DIR/examples/grafana/cairn-dashboard.json
"$CAIRN_PY" -m json.tool "$dashboard" >/dev/null || die "the dashboard is not valid JSON"

make_repo
mkdir app
gen_text app/notes.txt 100
status_policy '[class.daily]
rpo = "1d"
rto = "1h"
verify-every = "7d"
min-copies = 1'
set=$(backup app --source app --class daily)
cairn-verify --drill "$set" >/dev/null 2>&1 || die "the drill failed"
cairn status --prometheus "$PWD/cairn.prom" >/dev/null 2>status.err || { cat status.err >&2; die "cairn status failed"; }
check_exposition cairn.prom >emitted || die "invalid textfile"

"$CAIRN_PY" - "$dashboard" emitted <<'PY'
import json, re, sys
dash = json.load(open(sys.argv[1]))
emitted = set(open(sys.argv[2]).read().split())
queries = []  # (where, PromQL)
def walk(node, where):
    if isinstance(node, dict):
        for k, v in node.items():
            if k in ("expr", "definition") and isinstance(v, str):
                queries.append((where, v))
            elif k == "query" and isinstance(v, str) and node.get("type") == "query":
                queries.append((where, v))
            else:
                walk(v, where)
    elif isinstance(node, list):
        for x in node:
            walk(x, where)
panels = dash.get("panels") or []
assert dash.get("title") and panels, "no title or no panels"
ids = [p["id"] for p in panels]
assert len(ids) == len(set(ids)), "panel ids repeat: %r" % ids
for p in panels:
    assert p.get("targets"), "panel %r has no query" % p.get("title")
    walk(p, "panel %r" % p["title"])
walk(dash.get("templating", {}), "templating")
assert len(queries) >= len(panels), queries
unknown = []
for where, q in queries:
    names = set(re.findall(r"\bcairn_[a-zA-Z0-9_:]*", q))
    if not names:
        unknown.append("%s: %r queries no cairn metric" % (where, q))
    for n in sorted(names - emitted):
        unknown.append("%s: %s is not written by cairn status" % (where, n))
if unknown:
    sys.exit("\n".join(unknown))
used = set(re.findall(r"\bcairn_[a-zA-Z0-9_:]*", " ".join(q for _, q in queries)))
# The run metrics (duration, bytes, throughput per source; per destination the last push and
# restore): each is plotted by some panel.
run_metrics = sorted(n for n in emitted if re.match(r"cairn_(last_run|destination_last)_", n))
assert len(run_metrics) >= 15, run_metrics
unplotted = [n for n in run_metrics if n not in used]
if unplotted:
    sys.exit("no panel plots " + ", ".join(unplotted))
print("%d queries over %d metrics, all written by cairn status" % (len(queries), len(used)), file=sys.stderr)
PY
echo "the dashboard parses and queries only metrics cairn status writes"
