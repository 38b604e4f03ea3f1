#!/usr/bin/python3
"""`wisp serve`'s logs on stderr (README "Logs"): the events with their fields in both formats
(JSON lines parsed with json, text lines with a regular expression), the levels (HTTP access lines
at debug only, `off` prints nothing), TLS reloads on SIGHUP, and the broker's state changes while
a real redis-server is stopped and started again.

Each test starts its own `wisp serve` on 127.0.0.1 (port 0) and stops it by PID; every wait is on a
log line, bounded by STEP seconds. Usage: test_logs.py WISP
"""
import asyncio
import json
import os
import queue
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import urllib.error
import urllib.request

import websockets

WISP = sys.argv[1]
STEP = 10  # seconds any one step may take
LISTEN_LINE = re.compile(r"^wisp serve: listening on (\S+):(\d+)$")
# 2026-12-02T16:50:01.123Z info  ws.close: a WebSocket closed code=1000 reason="" by=peer
TEXT_LINE = re.compile(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z) (\w+) +([\w.]+): (.*)$")
TEXT_FIELD = re.compile(r' ([\w]+)=("(?:[^"\\]|\\.)*"|\S*)')


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def parse_text(line):
    """A text line as a dict like a JSON line's (ts, level, event, msg and the fields)."""
    match = TEXT_LINE.match(line)
    assert match, f"not a text log line: {line!r}"
    ts, level, event, rest = match.groups()
    first = TEXT_FIELD.search(rest)
    record = {"ts": ts, "level": level, "event": event,
              "msg": rest[:first.start()] if first else rest}
    for name, value in TEXT_FIELD.findall(rest):
        record[name] = json.loads(value) if value.startswith('"') else value
    return record


class Serve:
    """`wisp serve ARGS`, its stderr read line by line on a thread of its own."""

    def __init__(self, *args, parse=json.loads):
        self.parse = parse
        self.proc = subprocess.Popen([WISP, "serve", "--port", "0", *args],
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.lines = queue.Queue()
        self.seen = []
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()
        for line in self.proc.stdout:
            if match := LISTEN_LINE.match(line.strip()):
                self.port = int(match.group(2))
                break
        else:
            raise AssertionError(f"wisp serve did not start (status {self.proc.wait(STEP)})")
        self.drain = threading.Thread(target=self.proc.stdout.read, daemon=True)  # the banner
        self.drain.start()

    def _read(self):
        for line in self.proc.stderr:
            self.lines.put(line.rstrip("\n"))
        self.lines.put(None)

    def wait_for(self, event, **fields):
        """The next record of `event` whose fields include `fields`; the test fails after STEP."""
        deadline = time.monotonic() + STEP
        while True:
            try:
                line = self.lines.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                line = None
            if line is None:
                raise AssertionError(f"no {event} {fields}; lines so far: {self.seen}")
            record = self.parse(line)
            self.seen.append(record)
            if record["event"] == event and all(record.get(k) == v for k, v in fields.items()):
                return record

    def stop(self):
        """SIGTERM, then every line it wrote until it ended."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(timeout=STEP)
        rest = []
        while (line := self.lines.get(timeout=STEP)) is not None:
            rest.append(line)
        self.lines.put(None)
        for thread, pipe in ((self.reader, self.proc.stderr), (self.drain, self.proc.stdout)):
            thread.join(timeout=STEP)
            pipe.close()
        return rest

    def get(self, path):
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.port}{path}",
                                        timeout=STEP) as answer:
                return answer.status
        except urllib.error.HTTPError as error:
            return error.code


async def talk(port, path="/echo", message="hi", close=True):
    """Opens a WebSocket, sends one message, reads the answer, closes with 1000 "done"."""
    async with websockets.connect(f"ws://127.0.0.1:{port}{path}", open_timeout=STEP,
                                  max_size=None) as ws:
        await ws.send(message)
        if close:
            await asyncio.wait_for(ws.recv(), STEP)
            await ws.close(1000, "done")
        else:
            try:
                await asyncio.wait_for(ws.recv(), STEP)
            except websockets.ConnectionClosed:
                pass


def refused_upgrade(port, path):
    async def attempt():
        try:
            async with websockets.connect(f"ws://127.0.0.1:{port}{path}", open_timeout=STEP):
                pass
        except websockets.InvalidStatusCode as error:
            return error.status_code
    return asyncio.run(attempt())


class Logs(unittest.TestCase):
    def serve(self, *args, parse=json.loads):
        server = Serve(*args, parse=parse)
        self.addCleanup(server.stop)
        return server

    def check_events(self, server):
        """The events of one session, with their fields: whichever the format, the same."""
        listen = server.wait_for("server.listen")
        self.assertEqual((listen["level"], listen["host"], listen["port"], listen["tls"]),
                         ("info", "127.0.0.1", str(server.port), "off"))
        server.wait_for("server.start", threads="1")
        asyncio.run(talk(server.port))
        opened = server.wait_for("ws.open", path="/echo")
        self.assertRegex(opened["peer"], r"^127\.0\.0\.1:\d+$")
        closed = server.wait_for("ws.close", route="/echo", code="1000")
        self.assertEqual((closed["reason"], closed["by"]), ("done", "peer"))
        self.assertRegex(closed["duration_ms"], r"^\d+$")
        # A message over --max-message-size: the server closes with 1009.
        asyncio.run(talk(server.port, message="x" * 2048, close=False))
        too_big = server.wait_for("ws.close", code="1009")
        self.assertEqual(too_big["by"], "server")
        self.assertEqual(refused_upgrade(server.port, "/nowhere"), 404)
        refused = server.wait_for("upgrade.refused", status="404", path="/nowhere")
        self.assertIn("Not Found", refused["reason"])
        self.assertEqual(server.get("/hello"), 200)  # no access line at info: none is seen below
        rest = [server.parse(line) for line in server.stop()]
        self.assertEqual([r["event"] for r in rest], ["server.stop"])
        self.assertNotIn("http.access", [r["event"] for r in server.seen + rest])
        for record in server.seen + rest:
            self.assertRegex(record["ts"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
            self.assertTrue(record["msg"])

    def test_json_lines_carry_each_event_and_its_fields(self):
        self.check_events(self.serve("--log-format", "json", "--max-message-size", "1024"))

    def test_text_lines_carry_the_same(self):
        self.check_events(self.serve("--max-message-size", "1024", parse=parse_text))

    def test_access_lines_at_debug(self):
        server = self.serve("--log-level", "debug", "--log-format", "json")
        self.assertEqual(server.get("/hello"), 200)
        access = server.wait_for("http.access", path="/hello")
        self.assertEqual((access["level"], access["method"], access["status"], access["bytes"]),
                         ("debug", "GET", "200", "12"))
        self.assertRegex(access["us"], r"^\d+$")
        self.assertEqual(server.get("/missing"), 404)
        server.wait_for("http.access", path="/missing", status="404")

    def test_warn_leaves_out_info_and_off_prints_nothing(self):
        for level in ("warn", "off"):
            with self.subTest(level=level):
                server = self.serve("--log-level", level)
                asyncio.run(talk(server.port))
                self.assertEqual(refused_upgrade(server.port, "/nowhere"), 404)
                self.assertEqual(server.stop(), [])  # all of stderr, to the process's end

    def test_tls_reload_on_sighup_ok_and_failed(self):
        folder = tempfile.mkdtemp(prefix="wisp-logs-")
        self.addCleanup(shutil.rmtree, folder, ignore_errors=True)
        key, cert = os.path.join(folder, "key.pem"), os.path.join(folder, "cert.pem")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                        "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2", "-subj",
                        "/CN=127.0.0.1", "-keyout", key, "-out", cert],
                       check=True, capture_output=True, timeout=STEP)
        server = self.serve("--log-format", "json", "--tls-cert", cert, "--tls-key", key)
        server.wait_for("server.listen", tls="on")
        server.proc.send_signal(signal.SIGHUP)
        self.assertEqual(server.wait_for("tls.reload")["level"], "info")
        with open(cert, "w") as f:
            f.write("not a certificate\n")
        server.proc.send_signal(signal.SIGHUP)
        failed = server.wait_for("tls.reload_failed")
        self.assertEqual(failed["level"], "error")
        self.assertIn(cert, failed["error"])

    def test_broker_state_changes_while_redis_stops_and_starts(self):
        port = free_port()

        def start_redis():
            redis = subprocess.Popen(["redis-server", "--bind", "127.0.0.1", "--port", str(port),
                                      "--save", "", "--appendonly", "no"],
                                     stdout=subprocess.DEVNULL)
            self.addCleanup(lambda: (redis.poll() is None and redis.terminate(),
                                     redis.wait(timeout=STEP)))
            return redis

        redis = start_redis()
        server = self.serve("--log-format", "json", "--redis", f"redis://127.0.0.1:{port}",
                            "--node-id", "logs-node", "--heartbeat", "200", "--node-timeout",
                            "1000")
        server.wait_for("broker.up", node="logs-node")  # retried while redis-server starts
        redis.terminate()
        redis.wait(timeout=STEP)
        lost = server.wait_for("redis.lost", redis=f"127.0.0.1:{port}")
        self.assertEqual(lost["level"], "warn")
        self.assertEqual(server.wait_for("broker.down", node="logs-node")["level"], "warn")
        retry = server.wait_for("redis.retry", redis=f"127.0.0.1:{port}")
        self.assertRegex(retry["delay_ms"], r"^\d+$")
        start_redis()
        server.wait_for("broker.up", node="logs-node")


if __name__ == "__main__":
    unittest.main(argv=sys.argv[:1], verbosity=2)
