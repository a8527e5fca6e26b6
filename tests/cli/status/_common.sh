# shellcheck shell=bash
# Helpers for the status/ cases (sourced after lib.sh).
#
#   aged_backup DIR SOURCE CLASS AGE   a backup of DIR whose snapshot time is AGE seconds ago:
#                                      the manifest header's started_ns is rewritten (and the
#                                      trailer's digest recomputed) before cairn-pack; prints
#                                      the set id
#   status_policy TOML                 writes ./policy.toml and exports CAIRN_POLICY
#   status_json [ARGS...]              cairn status --json ARGS into ./status.json (any exit
#                                      status) and its exit status into ./status.rc
#   status_field SOURCE CLASS EXPR     a Python expression over the cairn.status/1 line `r` of
#                                      SOURCE and CLASS in ./status.json, printed
#   cap_field TARGET EXPR              a Python expression over the cairn.status.capacity/1
#                                      line `r` of TARGET in ./status.json, printed
#   drill_ms FILE                      the restore_ms of the one drill, which succeeded, in the
#                                      cairn-verify --json report FILE
#   restore_cell MS                    how the status table shows a restore time of MS ms
#   check_exposition FILE              a strict reader of the Prometheus text format: every
#                                      sample's metric has one TYPE before it, names match
#                                      [a-zA-Z_:][a-zA-Z0-9_:]*, label values are quoted and
#                                      escaped, values parse as floats; prints the metric
#                                      names that have a TYPE, one a line

aged_backup() {  # aged_backup DIR SOURCE CLASS AGE
  cairn-snap "$1" --source "$2" --class "$3" >aged.stream
  "$CAIRN_PY" - aged.stream "$4" <<'PY'
import hashlib, json, sys, time
path, age = sys.argv[1], int(sys.argv[2])
data = open(path, "rb").read()
first = data.index(b"\n") + 1
last = data.rindex(b"\n", 0, len(data) - 1) + 1  # the trailer is the last line
head = json.loads(data[:first])
head["set"]["started_ns"] = time.time_ns() - age * 10**9
body = json.dumps(head, separators=(",", ":")).encode() + b"\n" + data[first:last]
trailer = json.loads(data[last:])
trailer["digest"] = hashlib.blake2b(body, digest_size=32).hexdigest()
open(path, "wb").write(body + json.dumps(trailer, separators=(",", ":")).encode() + b"\n")
PY
  cairn-pack <aged.stream >pack.out 2>aged.err || { cat aged.err >&2; die "cairn-pack of an aged stream failed"; }
  head -n 1 pack.out
}

status_policy() {  # status_policy TOML
  printf '%s\n' "$1" >"$PWD/policy.toml"
  export CAIRN_POLICY=$PWD/policy.toml
}

status_json() {  # status_json [ARGS...]
  local rc=0
  cairn status --json "$@" >status.json 2>status.err || rc=$?
  echo "$rc" >status.rc
}

cap_field() {  # cap_field TARGET EXPR
  "$CAIRN_PY" - status.json "$1" "$2" <<'PY'
import json, sys
path, target, expr = sys.argv[1:]
rows = [json.loads(l) for l in open(path)]
hit = [r for r in rows if r.get("schema") == "cairn.status.capacity/1" and r["target"] == target]
if len(hit) != 1:
    sys.exit("cap_field: %s is listed %d times" % (target, len(hit)))
print(eval(expr, {"r": hit[0]}))
PY
}

status_field() {  # status_field SOURCE CLASS EXPR
  "$CAIRN_PY" - status.json "$1" "$2" "$3" <<'PY'
import json, sys
path, source, cls, expr = sys.argv[1:]
rows = [json.loads(l) for l in open(path)]
hit = [r for r in rows if r.get("source") == source and r.get("class") == cls]
if len(hit) != 1:
    sys.exit("status_field: %s/%s is listed %d times" % (source, cls, len(hit)))
print(eval(expr, {"r": hit[0]}))
PY
}

drill_ms() {  # drill_ms FILE
  "$CAIRN_PY" - "$1" <<'PY'
import json, sys
d = [r for r in map(json.loads, open(sys.argv[1])) if r.get("type") == "drill"]
assert len(d) == 1 and d[0]["ok"], d
print(d[0]["restore_ms"])
PY
}

restore_cell() {  # restore_cell MS
  if [ "$1" -lt 1000 ]; then echo "${1}ms"; else "$CAIRN_PY" -c "print('%.1fs' % ($1 / 1000))"; fi
}

check_exposition() {  # check_exposition FILE
  "$CAIRN_PY" - "$1" <<'PY'
import math, re, sys
name = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
label = r'[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\[\\"n])*"'
help_re = re.compile(r"^# HELP (%s) \S.*$" % name)
type_re = re.compile(r"^# TYPE (%s) (counter|gauge|histogram|summary|untyped)$" % name)
sample_re = re.compile(r"^(%s)(\{%s(?:,%s)*\})? (\S+)(?: -?\d+)?$" % (name, label, label))
typed, seen, errors = {}, set(), []
text = open(sys.argv[1], encoding="utf-8").read()
if not text.endswith("\n"):
    errors.append("the file does not end with a newline")
for n, line in enumerate(text.splitlines(), 1):
    if m := type_re.match(line):
        if m.group(1) in typed:
            errors.append("line %d: a second TYPE for %s" % (n, m.group(1)))
        if m.group(1) in seen:
            errors.append("line %d: TYPE for %s after its samples" % (n, m.group(1)))
        typed[m.group(1)] = m.group(2)
    elif help_re.match(line):
        pass
    elif line.startswith("#") or not line:
        errors.append("line %d: unexpected line %r" % (n, line))
    elif m := sample_re.match(line):
        metric = m.group(1)
        seen.add(metric)
        if metric not in typed:
            errors.append("line %d: sample of %s without a TYPE" % (n, metric))
        try:
            v = float(m.group(3))
        except ValueError:
            errors.append("line %d: value %r is not a float" % (n, m.group(3)))
            continue
        if typed.get(metric) == "counter" and not (v >= 0 and math.isfinite(v)):
            errors.append("line %d: counter %s has value %r" % (n, metric, v))
        if typed.get(metric) == "counter" and not metric.endswith("_total"):
            errors.append("line %d: counter %s does not end in _total" % (n, metric))
    else:
        errors.append("line %d: not a sample: %r" % (n, line))
if errors:
    sys.exit("invalid exposition format:\n  " + "\n  ".join(errors))
print("\n".join(sorted(typed)))
PY
}
