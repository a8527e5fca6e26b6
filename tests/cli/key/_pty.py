"""tests/cli/key/_pty.py: runs a command on a new pseudo-terminal and answers its prompts.

  _pty.py OUT CMD... < SCRIPT
SCRIPT: one step a line, "expect TEXT" (wait until TEXT is in the output, at most 30 s),
"send TEXT" (TEXT and a newline), "intr" (Ctrl-C, as the terminal's VINTR). At the end the
output is drained to EOF. OUT gets what the terminal showed; the exit status is the
command's (128+N for signal N); stdout says "echo on" or "echo off": the terminal's echo
after the command ended.
"""
import os, pty, select, sys, termios, time

out_path, cmd = sys.argv[1], sys.argv[2:]
steps = [line.rstrip("\n").split(" ", 1) for line in sys.stdin if line.strip()]
pid, fd = pty.fork()
if pid == 0:
    os.execvp(cmd[0], cmd)
seen = b""


def read_some(deadline):
    global seen
    r, _, _ = select.select([fd], [], [], max(0.0, deadline - time.monotonic()))
    if not r:
        return False
    try:
        chunk = os.read(fd, 4096)
    except OSError:  # EIO: the child closed the terminal
        return None
    if not chunk:
        return None
    seen += chunk
    return True


for step in steps:
    verb, arg = step[0], (step[1] if len(step) > 1 else "")
    if verb == "expect":
        deadline = time.monotonic() + 30
        while arg.encode() not in seen:
            got = read_some(deadline)
            if got is None or (got is False and time.monotonic() >= deadline):
                open(out_path, "wb").write(seen)
                sys.exit(f"error: '{arg}' never appeared; the terminal showed {seen!r}")
        open(out_path, "wb").write(seen)
    elif verb == "send":
        os.write(fd, arg.encode() + b"\n")
    elif verb == "intr":
        os.write(fd, termios.tcgetattr(fd)[6][termios.VINTR])
    else:
        sys.exit(f"error: unknown step {verb}")
deadline = time.monotonic() + 60
while read_some(deadline) and time.monotonic() < deadline:
    pass
echo = "on" if termios.tcgetattr(fd)[3] & termios.ECHO else "off"
_, status = os.waitpid(pid, 0)
open(out_path, "wb").write(seen)
print(f"echo {echo}")
sys.exit(os.waitstatus_to_exitcode(status) if os.WIFEXITED(status) else 128 + os.WTERMSIG(status))
