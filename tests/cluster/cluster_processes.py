"""Processes for the cluster tests: a redis-server on a free loopback port, and servers whose
first line names their port; each stopped by PID. Every wait is bounded by STEP seconds.
"""
import re
import socket
import subprocess
import tempfile
import time

STEP = 10.0


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def stop(process):
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=STEP)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    if process.stdout:
        process.stdout.close()


def started(command, port_pattern):
    """A server whose stdout's first line says its port: (process, port, that line)."""
    with tempfile.TemporaryFile("w+") as errors:
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=errors, text=True)
        line = process.stdout.readline()  # a server that cannot start exits: readline ends
        found = re.search(port_pattern, line)
        if not found:
            stop(process)
            errors.seek(0)
            raise AssertionError(f"{command}: first line {line!r}, stderr {errors.read()!r}")
    return process, int(found.group(1)), line


class Redis:
    def __init__(self):
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}"
        self.process = subprocess.Popen(
            ["redis-server", "--bind", "127.0.0.1", "--port", str(self.port), "--save", "",
             "--appendonly", "no"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + STEP
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                if time.monotonic() > deadline or self.process.poll() is not None:
                    stop(self.process)
                    raise AssertionError("redis-server did not start") from None
                time.sleep(0.05)  # polling a port that has no event to wait on
