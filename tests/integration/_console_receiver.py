#!/usr/bin/python3
"""Receive a container's console over a --console-socket, like runc's contrib recvtty.

usage: _console_receiver.py SOCKET_PATH SCRIPT_JSON

Binds and listens on an AF_UNIX SOCK_STREAM socket at SOCKET_PATH, prints "ready" on a
line of its own, accepts one connection and receives one message with SCM_RIGHTS (the
pty master). Then it talks to the container through the master following the script:

SCRIPT_JSON is an object:
  timeout  overall deadline in seconds (default 20)
  steps    a list of objects, each one of
             {"expect": REGEX}        read the master until REGEX matches the output that
                                      follows the previous match (Python re, DOTALL)
             {"send": TEXT}           write TEXT to the master
             {"resize": [ROWS, COLS]} TIOCSWINSZ on the master
             {"sleep": SECONDS}       read output for that long
             {"eof": true}            read until the master reports EOF/EIO (every slave fd
                                      was closed: the container's processes are gone)
After the steps the master is closed (the container's terminal gets a hangup).

Prints one JSON object on a second line:
  message  the bytes sent with the fd, decoded as UTF-8 (runc sends the pty's name)
  fds      how many fds came with the message
  fdlink   readlink of the received fd in /proc/self/fd
  rdev     [major, minor] of the received fd, or null when it is not a device
  ptn      the pts number of the pty (TIOCGPTN), or null
  winsize  [rows, cols] of the pty when it was received
  output   everything read from the master
  error    null, or why the script failed
"""

import array
import fcntl
import json
import os
import re
import select
import socket
import stat
import struct
import sys
import termios
import time

TIOCGPTN = 0x80045430


def main():
    path = sys.argv[1]
    script = json.loads(sys.argv[2])
    deadline = time.monotonic() + float(script.get("timeout", 20))
    result = {
        "message": None,
        "fds": 0,
        "fdlink": None,
        "rdev": None,
        "ptn": None,
        "winsize": None,
        "output": "",
        "error": None,
    }
    raw = bytearray()
    master = None
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        server.bind(path)
        server.listen(1)
        sys.stdout.write("ready\n")
        sys.stdout.flush()
        server.settimeout(max(0.1, deadline - time.monotonic()))
        try:
            conn, _ = server.accept()
        except socket.timeout:
            raise TimeoutError("timeout waiting for a connection") from None
        with conn:
            conn.settimeout(max(0.1, deadline - time.monotonic()))
            msg, fds, _, _ = socket.recv_fds(conn, 4096, 16)
        result["message"] = msg.decode("utf-8", "replace")
        result["fds"] = len(fds)
        if not fds:
            raise RuntimeError("no fd came with the message")
        master = fds[0]
        for extra in fds[1:]:
            os.close(extra)
        result["fdlink"] = os.readlink(f"/proc/self/fd/{master}")
        st = os.fstat(master)
        if stat.S_ISCHR(st.st_mode):
            result["rdev"] = [os.major(st.st_rdev), os.minor(st.st_rdev)]
        try:
            buf = array.array("i", [0])
            fcntl.ioctl(master, TIOCGPTN, buf, True)
            result["ptn"] = buf[0]
        except OSError:
            pass
        rows, cols, _, _ = struct.unpack(
            "HHHH", fcntl.ioctl(master, termios.TIOCGWINSZ, b"\0" * 8))
        result["winsize"] = [rows, cols]

        eof = False

        def pump(wait):
            nonlocal eof
            if eof:
                return False
            r, _, _ = select.select([master], [], [], max(0.0, wait))
            if not r:
                return False
            try:
                data = os.read(master, 65536)
            except OSError:  # EIO: no slave is open any more
                data = b""
            if not data:
                eof = True
                return False
            raw.extend(data)
            return True

        matched_to = 0
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
                    if eof:
                        raise RuntimeError(f"EOF before {step['expect']!r}")
                    pump(min(left, 0.05))
            elif "send" in step:
                os.write(master, step["send"].encode())
            elif "resize" in step:
                fcntl.ioctl(master, termios.TIOCSWINSZ,
                            struct.pack("HHHH", step["resize"][0], step["resize"][1], 0, 0))
            elif "sleep" in step:
                until = time.monotonic() + float(step["sleep"])
                while time.monotonic() < until and not eof:
                    pump(until - time.monotonic())
            elif "eof" in step:
                while not eof:
                    left = deadline - time.monotonic()
                    if left <= 0:
                        raise TimeoutError("timeout waiting for EOF on the master")
                    pump(min(left, 0.05))
            else:
                raise ValueError(f"unknown step {step!r}")
    except Exception as e:  # noqa: BLE001 - reported to the test as JSON
        result["error"] = str(e)
    finally:
        server.close()
        try:
            os.unlink(path)
        except OSError:
            pass
    result["output"] = raw.decode("utf-8", "replace")
    if master is not None:
        os.close(master)
    json.dump(result, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
