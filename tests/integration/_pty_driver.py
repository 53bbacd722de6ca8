#!/usr/bin/python3
"""Drive a program through a real pseudo-terminal, like a user at a terminal would.

usage: _pty_driver.py SCRIPT_JSON -- PROGRAM [ARGS...]

The program runs in a new session with the slave of a fresh pty as its controlling
terminal and as stdin, stdout and stderr. The driver keeps its own slave fd open, so it
can read the terminal's termios at any time, also after the program exited.

SCRIPT_JSON is an object:
  rows, cols   initial window size of the pty (TIOCSWINSZ before the program starts)
  timeout      overall deadline in seconds (default 20); on expiry the program's process
               group is killed with SIGKILL and "error" says what was awaited
  steps        a list of objects, each one of
                 {"expect": REGEX}        read until REGEX matches the output that follows
                                          the previous match (Python re, DOTALL)
                 {"send": TEXT}           write TEXT to the master (what a user types)
                 {"resize": [ROWS, COLS]} TIOCSWINSZ on the master, then SIGWINCH to the
                                          program (as a terminal emulator does)
                 {"termios": LABEL}       record the terminal's termios under LABEL
                 {"signal": NAME}         send signal NAME (e.g. "SIGTERM") to the program
                 {"sleep": SECONDS}       read output for that long
               after the steps the driver waits for the program to exit, reading its output.

Prints one JSON object on stdout:
  output   everything read from the master (decoded as UTF-8 with replacement)
  status   exit status, or -N when killed by signal N, or null when it did not exit
  termios  {"initial": T, LABEL: T..., "final": T} where T is
           {"iflag", "oflag", "cflag", "lflag", "ispeed", "ospeed", "cc": [ints]}
  pid      the program's pid
  error    null, or why the script failed
"""

import fcntl
import json
import os
import re
import select
import signal
import struct
import subprocess
import sys
import termios
import time


def snapshot(fd):
    iflag, oflag, cflag, lflag, ispeed, ospeed, cc = termios.tcgetattr(fd)
    cc = [c if isinstance(c, int) else ord(c) for c in cc]
    return {
        "iflag": iflag,
        "oflag": oflag,
        "cflag": cflag,
        "lflag": lflag,
        "ispeed": ispeed,
        "ospeed": ospeed,
        "cc": cc,
    }


def set_size(fd, rows, cols):
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))


def main():
    sep = sys.argv.index("--")
    script = json.loads(sys.argv[1])
    argv = sys.argv[sep + 1:]
    deadline = time.monotonic() + float(script.get("timeout", 20))

    master, slave = os.openpty()
    set_size(slave, int(script.get("rows", 24)), int(script.get("cols", 80)))
    result = {"output": "", "status": None, "termios": {}, "pid": None, "error": None}
    result["termios"]["initial"] = snapshot(slave)

    def child_setup():
        os.setsid()
        fcntl.ioctl(0, termios.TIOCSCTTY, 0)

    proc = subprocess.Popen(
        argv,
        stdin=slave,
        stdout=slave,
        stderr=slave,
        preexec_fn=child_setup,
        close_fds=True,
    )
    result["pid"] = proc.pid
    raw = bytearray()
    matched_to = 0
    status = None

    def poll_exit():
        nonlocal status
        if status is None:
            code = proc.poll()
            if code is not None:
                status = code
        return status

    def pump(wait):
        """Read what the master has, waiting at most `wait` seconds for the first byte."""
        r, _, _ = select.select([master], [], [], max(0.0, wait))
        if not r:
            return False
        try:
            data = os.read(master, 65536)
        except OSError:
            return False
        raw.extend(data)
        return bool(data)

    try:
        for step in script.get("steps", []):
            if "expect" in step:
                pattern = re.compile(step["expect"].encode(), re.DOTALL)
                while True:
                    m = pattern.search(bytes(raw), matched_to)
                    if m:
                        matched_to = m.end()
                        break
                    left = deadline - time.monotonic()
                    if left <= 0:
                        raise TimeoutError(f"timeout waiting for {step['expect']!r}")
                    if not pump(min(left, 0.05)) and poll_exit() is not None:
                        # drain what is left, then give up if it still does not match
                        while pump(0.05):
                            pass
                        if not pattern.search(bytes(raw), matched_to):
                            raise RuntimeError(
                                f"program exited ({status}) before {step['expect']!r}")
            elif "send" in step:
                os.write(master, step["send"].encode())
            elif "resize" in step:
                rows, cols = step["resize"]
                set_size(master, rows, cols)
                os.kill(proc.pid, signal.SIGWINCH)
            elif "termios" in step:
                result["termios"][step["termios"]] = snapshot(slave)
            elif "signal" in step:
                os.kill(proc.pid, getattr(signal, step["signal"]))
            elif "sleep" in step:
                until = time.monotonic() + float(step["sleep"])
                while time.monotonic() < until:
                    pump(until - time.monotonic())
            else:
                raise ValueError(f"unknown step {step!r}")
        while poll_exit() is None:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("timeout waiting for the program to exit")
            pump(min(left, 0.05))
        while pump(0.05):
            pass
    except Exception as e:  # noqa: BLE001 - reported to the test as JSON
        result["error"] = str(e)
        if poll_exit() is None:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except OSError:
                pass
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass
        while pump(0.05):
            pass
    poll_exit()
    result["status"] = status
    result["termios"]["final"] = snapshot(slave)
    result["output"] = raw.decode("utf-8", "replace")
    json.dump(result, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
