"""tests/cli/logs/_check.py FILE [TOOL]: every line of FILE (a tool's stderr with
--log-format json) is one JSON object with the keys of cairn(7) LOGGING first, in order;
prints "level event" for each record, in order, for the case to compare."""
import json
import re
import sys

TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
LEVELS = {"error", "warning", "info", "debug"}
EVENT = re.compile(r"^[a-z][a-z0-9_]*$")

path = sys.argv[1]
tool = sys.argv[2] if len(sys.argv) > 2 else None
data = open(path, "rb").read()
if data and not data.endswith(b"\n"):
    sys.exit(f"{path}: the last line is not whole")
for n, raw in enumerate(data.split(b"\n")[:-1], 1):
    try:
        text = raw.decode("utf-8")  # strict: a JSON log is UTF-8
        rec = json.loads(text)
    except (UnicodeDecodeError, ValueError) as e:
        sys.exit(f"{path}:{n}: not a JSON object: {e}: {raw[:200]!r}")
    if not isinstance(rec, dict):
        sys.exit(f"{path}:{n}: not an object")
    keys = list(rec)
    if keys[:5] != ["time", "tool", "level", "event", "msg"]:
        sys.exit(f"{path}:{n}: keys {keys[:5]}")
    if not TIME.match(rec["time"]):
        sys.exit(f"{path}:{n}: time {rec['time']!r}")
    if tool is not None and rec["tool"] != tool:
        sys.exit(f"{path}:{n}: tool {rec['tool']!r}, expected {tool!r}")
    if rec["level"] not in LEVELS or not EVENT.match(rec["event"]):
        sys.exit(f"{path}:{n}: level {rec['level']!r} event {rec['event']!r}")
    if not isinstance(rec["msg"], str) or not rec["msg"]:
        sys.exit(f"{path}:{n}: empty msg")
    print(rec["level"], rec["event"])
