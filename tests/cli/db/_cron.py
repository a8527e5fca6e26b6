#!/usr/bin/env python3
"""Reads a crontab file (the /etc/cron.d format: a user field) for tests/cli/db.

  _cron.py FILE    prints "ENV NAME=VALUE" for each environment line and "JOB USER COMMAND"
                   for each job, after checking its five time fields; exits 1 naming a line
                   that is neither (so a typo in an example fails the test that runs it)
"""
import re
import sys

RANGES = [(0, 59), (0, 23), (1, 31), (1, 12), (0, 7)]


def field_ok(text, lo, hi):
    for part in text.split(","):
        base, _, step = part.partition("/")
        if step and not step.isdigit():
            return False
        if base == "*":
            continue
        a, _, b = base.partition("-")
        if not a.isdigit() or (b and not b.isdigit()):
            return False
        if not lo <= int(a) <= hi or (b and not int(a) <= int(b) <= hi):
            return False
    return True


def main(path):
    for n, line in enumerate(open(path), 1):
        line = line.rstrip("\n")
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        m = re.match(r"^([A-Za-z_][A-Za-z0-9_]*)=(.*)$", line)
        if m:
            print("ENV %s=%s" % (m.group(1), m.group(2)))
            continue
        parts = line.split(None, 6)
        if len(parts) < 7 or not all(field_ok(f, *r) for f, r in zip(parts[:5], RANGES)):
            sys.exit("%s:%d: not a crontab line: %s" % (path, n, line))
        print("JOB %s %s" % (parts[5], parts[6]))


if __name__ == "__main__":
    main(sys.argv[1])
