#!/usr/bin/env python3
"""tests/meta/check-cli-stderr.py [CLI_DIR]: every CLI case that expects a refusal pins it.

Run by ctest as meta:cli-stderr (issue 17: "CLI tests pin refusal messages"). A case under
tests/cli/ expects a non-zero exit in one of two ways, and each must look at stderr:
  - an x.exit file holding a non-zero status: x.stderr.exact or x.stderr.glob must exist
    (with neither, run.sh requires an empty stderr, which pins it too); x.stderr.ignore
    is reported;
  - `expect_exit CODE CMD...` in a script (its helpers, _*.sh, included) with CODE other
    than a literal 0: after it, before the next expect_exit, the script must check what
    last.stderr says (expect_stderr PATTERN from tests/cli/lib.sh, a grep of last.stderr,
    assert_eq on its text, ...); a check that a text is absent, or last.stderr shown only
    in a die message or written by a redirection, does not count.
Prints one line per case that does not, "file:line: what" (file relative to CLI_DIR), and
exits 1 if there is any.
"""
import os
import re
import sys

cli = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "..", "cli")
cli = os.path.normpath(cli)
if not os.path.isdir(cli):
    print(f"check-cli-stderr: no directory {cli}", file=sys.stderr)
    sys.exit(2)

CALL = re.compile(r"(?:^|[\s;&|(!])expect_exit\s+(\"?[^\s\"]+\"?)")
# die "MESSAGE" (the message may hold "$(cat last.stderr)" and other command substitutions)
DIE = re.compile(r"""\bdie\s+(?:"(?:[^"\\$]|\\.|\$\((?:[^()]|\([^()]*\))*\)|\$)*"|'[^']*'|\S+)""")
READS = re.compile(r"last\.stderr|\bexpect_stderr\b")
problems = []


def pins(line):
    """True when LINE checks what last.stderr says: not a negative check (`if grep ...; then
    die`, `grep ... && die`), not last.stderr only shown in a message (`die "...$(cat
    last.stderr)"`, `cat last.stderr >&2`)."""
    if re.search(r"\bif\s+grep\b.*\bthen\s+die\b|\bgrep\b[^|]*&&\s*die\b", line):
        return False
    line = re.sub(r"\bcat last\.stderr\s*>&2|2>>?\s*last\.stderr", "", line)
    line = DIE.sub("", line)
    return bool(READS.search(line))


HEREDOC = re.compile(r"<<-?\s*(['\"]?)([A-Za-z_][A-Za-z0-9_]*)\1")


def logical_lines(text):
    """(first line number, text) per logical line: continuations joined, comments and
    here-document bodies dropped."""
    out, buf, start, until = [], "", 0, None
    for n, raw in enumerate(text.split("\n"), 1):
        if until is not None:
            if raw.strip() == until:
                until = None
            continue
        line = raw if not raw.lstrip().startswith("#") else ""
        h = HEREDOC.search(line)
        if h:
            until = h.group(2)
        if not buf:
            start = n
        if line.endswith("\\"):
            buf += line[:-1] + " "
            continue
        out.append((start, buf + line))
        buf = ""
    if buf:
        out.append((start, buf))
    return out


def check_script(path):
    rel = os.path.relpath(path, cli)
    with open(path, encoding="utf-8", errors="replace") as f:
        lines = logical_lines(f.read())
    calls = []  # (index, line number, code)
    for i, (n, line) in enumerate(lines):
        if re.match(r"\s*expect_exit\s*\(\)", line):
            continue  # the definition (lib.sh)
        m = CALL.search(line)
        if m:
            calls.append((i, n, m.group(1).strip('"')))
    for k, (i, n, code) in enumerate(calls):
        if code == "0":
            continue
        end = calls[k + 1][0] if k + 1 < len(calls) else len(lines)
        # the call's own line counts from after the call (`expect_exit 4 cmd || die "$(cat last.stderr)"`)
        first = CALL.search(lines[i][1]).end()
        text = [lines[i][1][first:]] + [l for _, l in lines[i + 1:end]]
        if not any(pins(l) for l in text):
            problems.append(f"{rel}:{n}: expect_exit {code} and stderr is not checked "
                            "(grep last.stderr or expect_stderr PATTERN)")


def check_exit_file(path):
    rel = os.path.relpath(path, cli)
    with open(path) as f:
        status = f.read().strip()
    if status == "0":
        return
    stem = path[: -len(".exit")]
    stems = [stem] + ([stem[: -len(".sh")]] if stem.endswith(".sh") else [stem + ".sh"])
    kinds = {k for s in stems for k in ("exact", "glob", "ignore") if os.path.isfile(f"{s}.stderr.{k}")}
    if "ignore" in kinds and not kinds & {"exact", "glob"}:
        problems.append(f"{rel}:1: exit {status} and stderr ignored "
                        "(add a .stderr.exact or .stderr.glob)")


for root, dirs, files in os.walk(cli):
    dirs.sort()
    for name in sorted(files):
        path = os.path.join(root, name)
        if name.endswith(".sh") and os.path.relpath(path, cli) not in ("run.sh", "lib.sh"):
            check_script(path)
        elif name.endswith(".exit"):
            check_exit_file(path)

for p in problems:
    print(p)
if problems:
    print(f"{len(problems)} refusal(s) with stderr unchecked", file=sys.stderr)
    sys.exit(1)
print("every expected refusal checks stderr")
