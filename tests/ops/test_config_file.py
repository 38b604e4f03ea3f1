#!/usr/bin/python3
"""`wisp serve --config FILE`: every option of the file takes effect, the command line wins over the
file, and a bad file is refused with its name, the line and the reason.

Each test starts its own `wisp serve` on 127.0.0.1 (port 0 from the file) and stops it; the Redis
options run against a real redis-server on a free loopback port. Usage: test_config_file.py WISP
"""
import asyncio
import json
import os
import re
import shutil
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.request

import websockets
from websockets.exceptions import ConnectionClosed

WISP = sys.argv[1]
STEP = 10  # seconds any one step may take
LISTEN_LINE = re.compile(r"^wisp serve: listening on (\S+):(\d+)$")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Serve:
    """`wisp serve --config FILE [args]`, its port read from its first line."""

    def __init__(self, config, *args):
        self.proc = subprocess.Popen([WISP, "serve", "--config", config, *args],
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        deadline = time.monotonic() + STEP
        for line in self.proc.stdout:
            if match := LISTEN_LINE.match(line.strip()):
                self.host, self.port = match.group(1), int(match.group(2))
                return
            if time.monotonic() > deadline:
                break
        self.stop()
        raise AssertionError(f"wisp serve did not start (status {self.proc.returncode})")

    def get(self, path, scheme="http"):
        context = ssl._create_unverified_context() if scheme == "https" else None
        url = f"{scheme}://127.0.0.1:{self.port}{path}"
        with urllib.request.urlopen(url, timeout=STEP, context=context) as answer:
            return answer.read().decode()

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
        self.proc.wait(timeout=STEP)
        self.proc.stdout.close()


class ConfigFile(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="wisp-config-")
        self.addCleanup(shutil.rmtree, self.dir, ignore_errors=True)

    def file(self, text, name="wisp.conf"):
        path = os.path.join(self.dir, name)
        with open(path, "w") as f:
            f.write(text)
        return path

    def serve(self, text, *args):
        server = Serve(self.file(text), *args)
        self.addCleanup(server.stop)
        return server

    def refused(self, text):
        """The output and status of `wisp serve` refusing the file (it must not start)."""
        path = self.file(text)
        done = subprocess.run([WISP, "serve", "--config", path], capture_output=True, text=True,
                              timeout=STEP)
        self.assertNotEqual(done.returncode, 0)
        return done.stderr + done.stdout

    def test_host_port_and_threads(self):
        server = self.serve("# a comment\n\nhost = 127.0.0.1\nport = 0\nthreads = 3\n")
        self.assertEqual(server.host, "127.0.0.1")
        self.assertEqual(json.loads(server.get("/healthz"))["threads"], 3)

    def test_the_command_line_wins_over_the_file(self):
        server = self.serve("port = 0\nthreads = 3\n", "--threads", "2")
        self.assertEqual(json.loads(server.get("/healthz"))["threads"], 2)

    def test_the_systemd_units_file_is_valid(self):
        shipped = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "deploy",
                               "systemd", "wisp.conf")
        with open(shipped) as f:
            server = self.serve(f.read(), "--host", "127.0.0.1", "--port", "0", "--threads", "1")
        self.assertEqual(json.loads(server.get("/healthz"))["threads"], 1)

    def test_max_message_size(self):
        server = self.serve("port = 0\nmax-message-size = 1000\n")

        async def over_the_limit():
            async with websockets.connect(f"ws://127.0.0.1:{server.port}/echo", open_timeout=STEP,
                                          max_size=None) as ws:
                await ws.send("x" * 1000)
                self.assertEqual(len(await asyncio.wait_for(ws.recv(), STEP)), 1000)
                await ws.send("x" * 1001)
                with self.assertRaises(ConnectionClosed):
                    await asyncio.wait_for(ws.recv(), STEP)
                return ws.close_code

        self.assertEqual(asyncio.run(over_the_limit()), 1009)

    def test_compression_in_quotes(self):
        server = self.serve('port = 0\ncompression = "shared"\n')

        async def negotiated():
            async with websockets.connect(f"ws://127.0.0.1:{server.port}/echo", open_timeout=STEP,
                                          compression="deflate") as ws:
                return ws.response_headers.get("Sec-WebSocket-Extensions", "")

        self.assertIn("permessage-deflate", asyncio.run(negotiated()))

    def test_static_directory(self):
        static = os.path.join(self.dir, "www")
        os.mkdir(static)
        with open(os.path.join(static, "a.txt"), "w") as f:
            f.write("from the file's directory")
        server = self.serve(f"port = 0\nstatic = {static}\n")
        self.assertEqual(server.get("/static/a.txt"), "from the file's directory")

    def test_tls_certificate_key_and_passphrase(self):
        key, plain, cert = (os.path.join(self.dir, n) for n in ("key.pem", "plain.pem", "cert.pem"))
        openssl = lambda *a: subprocess.run(["openssl", *a], check=True, capture_output=True,
                                            timeout=STEP)
        openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1", "-keyout", plain, "-out", cert)
        openssl("pkey", "-in", plain, "-aes256", "-passout", "pass:s3cret", "-out", key)
        server = self.serve(f"port = 0\ntls-cert = {cert}\ntls-key = {key}\n"
                            "tls-passphrase = s3cret\n")
        self.assertEqual(server.get("/hello", scheme="https"), "Hello world!")

    def test_redis_node_id_and_prefix(self):
        redis_port = free_port()
        redis = subprocess.Popen(["redis-server", "--bind", "127.0.0.1", "--port", str(redis_port),
                                  "--save", "", "--appendonly", "no"], stdout=subprocess.DEVNULL)
        self.addCleanup(lambda: (redis.terminate(), redis.wait(timeout=STEP)))
        server = self.serve(f"port = 0\nredis = redis://127.0.0.1:{redis_port}\n"
                            "node-id = from-the-file\nredis-prefix = cfgtest:\n")
        deadline = time.monotonic() + STEP
        while True:  # the node's heartbeat is in Redis under the prefix, by its id
            health = json.loads(server.get("/healthz"))["broker"]
            score = subprocess.run(["redis-cli", "-p", str(redis_port), "ZSCORE", "cfgtest:nodes",
                                    "from-the-file"], capture_output=True, text=True,
                                   timeout=STEP).stdout.strip()
            if health["up"] and score:
                break
            self.assertLess(time.monotonic(), deadline, f"broker {health}, heartbeat {score!r}")
            time.sleep(0.05)
        self.assertEqual((health["kind"], health["node_id"]), ("redis", "from-the-file"))

    def test_log_level_and_format(self):
        server = self.serve("port = 0\nlog-level = debug\nlog-format = json\n")
        self.assertEqual(server.get("/hello"), "Hello world!")
        server.proc.terminate()  # then all it wrote (stderr is on the same pipe), to its end
        out = server.proc.communicate(timeout=STEP)[0]
        records = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
        access = [r for r in records if r["event"] == "http.access"]
        self.assertEqual([(r["level"], r["path"], r["status"]) for r in access],
                         [("debug", "/hello", "200")], out)

    def test_an_unknown_name_is_refused_with_its_line(self):
        out = self.refused("port = 0\nthreds = 2\n")
        self.assertIn("wisp.conf:2: unknown option `threds`", out)

    def test_a_line_without_equals_is_refused_with_its_line(self):
        out = self.refused("port = 0\n\nport 9\n")
        self.assertIn("wisp.conf:3: expected `name = value`, got `port 9`", out)

    def test_a_name_given_twice_is_refused(self):
        out = self.refused("port = 0\nport = 1\n")
        self.assertIn("wisp.conf:2: `port` is already set on line 1", out)

    def test_a_bad_value_is_refused_naming_the_option(self):
        self.assertIn("--port", self.refused("port = 99999\n"))
        self.assertIn("--threads", self.refused("threads = 0\n"))

    def test_a_missing_file_is_refused(self):
        done = subprocess.run([WISP, "serve", "--config", os.path.join(self.dir, "nope.conf")],
                              capture_output=True, text=True, timeout=STEP)
        self.assertNotEqual(done.returncode, 0)
        self.assertIn("nope.conf", done.stderr + done.stdout)


if __name__ == "__main__":
    unittest.main(argv=sys.argv[:1], verbosity=2)
