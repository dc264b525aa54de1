"""Run a command in a pseudo-terminal; answer each prompt matching PATTERN with KEYS (in order).

usage: pty-answer.py '[["regex", "keys"], ...]' -- command args...
Prints the transcript; exits with the command's exit code (125 if a prompt never came).
"""
import json
import os
import pty
import re
import select
import sys
import time

script = json.loads(sys.argv[1])
command = sys.argv[sys.argv.index("--") + 1:]
pid, fd = pty.fork()
if pid == 0:
    os.execvp(command[0], command)

transcript, pending, step, status = b"", b"", 0, None
deadline = time.time() + 60
while time.time() < deadline:
    ready, _, _ = select.select([fd], [], [], 0.1)
    if ready:
        try:
            chunk = os.read(fd, 65536)
        except OSError:
            chunk = b""
        if not chunk:
            break
        transcript += chunk
        pending += chunk
        text = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", pending.decode("utf8", "replace"))
        if step < len(script) and re.search(script[step][0], text):
            time.sleep(0.05)
            os.write(fd, script[step][1].encode("utf8"))
            pending, step = b"", step + 1
    done, raw = os.waitpid(pid, os.WNOHANG)
    if done:
        status = raw
        break
if status is None:
    try:
        _, status = os.waitpid(pid, 0)
    except ChildProcessError:
        status = 0
sys.stdout.write(transcript.decode("utf8", "replace"))
if step < len(script):
    sys.stdout.write("\n[pty-answer] no prompt matched: %r\n" % script[step][0])
    sys.exit(125)
sys.exit(os.waitstatus_to_exitcode(status))
