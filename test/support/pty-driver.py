"""Run a command in a pseudo-terminal and answer its prompts.

usage: pty-driver.py SCRIPT_JSON -- command args...
SCRIPT_JSON is a list of [regex, keys]: wait until the screen output (since the last answer) matches regex,
then type keys. After the script, if PTY_DRIVER_THEN='[regex, keys]' is set, that answer repeats for any further
prompt (for questions a test does not care about). Prints the whole transcript and exits with the command's exit code.
"""
import json
import os
import pty
import re
import select
import sys
import time

script = json.loads(sys.argv[1])
repeat = json.loads(os.environ["PTY_DRIVER_THEN"]) if os.environ.get("PTY_DRIVER_THEN") else None
command = sys.argv[sys.argv.index("--") + 1:]

pid, fd = pty.fork()
if pid == 0:
    os.execvp(command[0], command)

transcript = b""
pending = b""
deadline = time.time() + 60
step = 0
status = None
while True:
    if time.time() > deadline:
        os.kill(pid, 9)
        sys.stdout.write(transcript.decode("utf8", "replace"))
        sys.stdout.write("\n[pty-driver] timed out waiting for: %r\n" % (script[step][0] if step < len(script) else "exit"))
        sys.exit(124)
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
    if step < len(script):
        text = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", pending.decode("utf8", "replace"))
        if re.search(script[step][0], text):
            time.sleep(0.05)
            os.write(fd, script[step][1].encode("utf8"))
            pending = b""
            step += 1
    elif repeat:
        text = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", pending.decode("utf8", "replace"))
        if re.search(repeat[0], text):
            time.sleep(0.05)
            os.write(fd, repeat[1].encode("utf8"))
            pending = b""
    if status is None:
        done, raw = os.waitpid(pid, os.WNOHANG)
        if done:
            status = raw  # reaped: never wait for it again, but read what it wrote last
    if status is not None and not ready:
        break

if status is None:
    _, status = os.waitpid(pid, 0)
sys.stdout.write(transcript.decode("utf8", "replace"))
if step < len(script):
    sys.stdout.write("\n[pty-driver] exited before prompt: %r\n" % script[step][0])
    sys.exit(125)
sys.exit(os.waitstatus_to_exitcode(status))
