#!/usr/bin/env python3
"""Parses the examples' manifests strictly so that none can go stale (tests/cli/examples).

  _examples.py cron FILE        a /etc/cron.d file: every line is a comment, NAME=VALUE, or
                                five valid time fields, a user and a command. Prints
                                "ENV NAME=VALUE" and "CMD COMMAND" lines, in file order.
  _examples.py cronjob FILE     a Kubernetes batch/v1 CronJob: checks the fields a CronJob
                                needs (and the ones a backup job must have: Forbid, a deadline)
                                and prints the container's command + args as one shell line.
  _examples.py workflow FILE    a GitHub Actions or GitLab CI file: parses, checks every cron
                                schedule, prints every "run:"/"script:" line as "RUN LINE".
  _examples.py toml FILE        parses TOML (tomllib). _examples.py json FILE parses JSON.
Exits 1 with "FILE: line N: why" (or "FILE: why") on anything wrong.
"""
import json
import re
import shlex
import sys
import tomllib

FIELDS = [("minute", 0, 59), ("hour", 0, 23), ("day of month", 1, 31), ("month", 1, 12),
          ("day of week", 0, 7)]


def fail(msg):
    print(msg, file=sys.stderr)
    sys.exit(1)


def check_cron_field(text, name, lo, hi):
    for part in text.split(","):
        m = re.fullmatch(r"(\*|(\d+)(?:-(\d+))?)(?:/(\d+))?", part)
        if not m:
            return f"{name} field '{text}' is not a cron field"
        if m.group(2) is not None:
            a = int(m.group(2))
            b = int(m.group(3)) if m.group(3) is not None else a
            if not (lo <= a <= hi and lo <= b <= hi and a <= b):
                return f"{name} field '{text}' is out of range {lo}-{hi}"
        if m.group(4) is not None and int(m.group(4)) == 0:
            return f"{name} field '{text}' has a step of 0"
    return None


def check_schedule(expr):
    fields = expr.split()
    if len(fields) != 5:
        return f"schedule '{expr}' does not have five fields"
    for value, (name, lo, hi) in zip(fields, FIELDS):
        why = check_cron_field(value, name, lo, hi)
        if why:
            return why
    return None


def cron(path):
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            line = line.rstrip("\n")
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            m = re.fullmatch(r"([A-Za-z_][A-Za-z0-9_]*)=(.*)", line)
            if m:
                print(f"ENV {m.group(1)}={m.group(2)}")
                continue
            parts = line.split(None, 6)
            if len(parts) < 7:
                fail(f"{path}: line {n}: expected 5 time fields, a user and a command")
            why = check_schedule(" ".join(parts[:5]))
            if why:
                fail(f"{path}: line {n}: {why}")
            if not re.fullmatch(r"[a-z_][a-z0-9_-]*", parts[5]):
                fail(f"{path}: line {n}: '{parts[5]}' is not a user name")
            if "%" in parts[6]:
                fail(f"{path}: line {n}: an unescaped % ends a cron command")
            print(f"CMD {parts[6]}")


def load_yaml(path):
    import yaml  # python3-yaml
    with open(path, encoding="utf-8") as f:
        try:
            return list(yaml.safe_load_all(f))
        except yaml.YAMLError as e:
            fail(f"{path}: {e}")


def need(obj, dotted, path):
    cur = obj
    for key in dotted.split("."):
        if not isinstance(cur, dict) or key not in cur:
            fail(f"{path}: missing {dotted}")
        cur = cur[key]
    return cur


def cronjob(path):
    docs = [d for d in load_yaml(path) if d is not None]
    if len(docs) != 1:
        fail(f"{path}: expected one document, found {len(docs)}")
    d = docs[0]
    if d.get("apiVersion") != "batch/v1" or d.get("kind") != "CronJob":
        fail(f"{path}: not a batch/v1 CronJob")
    need(d, "metadata.name", path)
    why = check_schedule(need(d, "spec.schedule", path))
    if why:
        fail(f"{path}: {why}")
    if d["spec"].get("concurrencyPolicy") != "Forbid":
        fail(f"{path}: concurrencyPolicy must be Forbid (two backups of one source at once)")
    job = need(d, "spec.jobTemplate.spec", path)
    if not isinstance(job.get("activeDeadlineSeconds"), int):
        fail(f"{path}: a backup job needs activeDeadlineSeconds (a job must never hang)")
    pod = need(job, "template.spec", path)
    if pod.get("restartPolicy") not in ("Never", "OnFailure"):
        fail(f"{path}: a Job's restartPolicy must be Never or OnFailure")
    containers = pod.get("containers") or []
    if len(containers) != 1:
        fail(f"{path}: expected one container")
    c = containers[0]
    for key in ("name", "image", "command"):
        if key not in c:
            fail(f"{path}: container lacks {key}")
    volumes = {v["name"] for v in pod.get("volumes", [])}
    for m in c.get("volumeMounts", []):
        if m["name"] not in volumes:
            fail(f"{path}: volumeMount '{m['name']}' has no volume")
    for e in c.get("env", []):
        if "value" not in e and "valueFrom" not in e:
            fail(f"{path}: env {e.get('name')} has no value")
        if re.search(r"SECRET|PASSPHRASE$|TOKEN|KEY$", e["name"]) and "value" in e:
            fail(f"{path}: secret {e['name']} written in the manifest: use a Secret")
    env = " ".join(f"{e['name']}={shlex.quote(e['value'])}" for e in c.get("env", [])
                   if "value" in e)
    print("ENV " + env)
    print("CMD " + shlex.join(list(c["command"]) + list(c.get("args", []))))


def workflow(path):
    docs = load_yaml(path)
    if len(docs) != 1 or not isinstance(docs[0], dict):
        fail(f"{path}: expected one YAML mapping")
    d = docs[0]
    lines = []

    def walk(node):
        if isinstance(node, dict):
            for k, v in node.items():
                if k == "cron":
                    why = check_schedule(v)
                    if why:
                        fail(f"{path}: {why}")
                if k == "run" and isinstance(v, str):
                    lines.append(v)
                elif k == "script" and isinstance(v, list):
                    lines.extend(v)
                else:
                    walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)
    walk(d)
    if not lines:
        fail(f"{path}: no run/script step")
    for line in lines:
        print("RUN " + line.strip())


def main():
    if len(sys.argv) != 3:
        fail(__doc__)
    kind, path = sys.argv[1], sys.argv[2]
    if kind == "cron":
        cron(path)
    elif kind == "cronjob":
        cronjob(path)
    elif kind == "workflow":
        workflow(path)
    elif kind == "toml":
        with open(path, "rb") as f:
            try:
                tomllib.load(f)
            except tomllib.TOMLDecodeError as e:
                fail(f"{path}: {e}")
    elif kind == "json":
        with open(path, encoding="utf-8") as f:
            try:
                json.load(f)
            except json.JSONDecodeError as e:
                fail(f"{path}: {e}")
    else:
        fail(__doc__)


main()
