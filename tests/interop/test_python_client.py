#!/usr/bin/python3
"""Interop: the Python `websockets` client (Debian python3-websockets) against `wisp serve`'s /echo.

Usage: /usr/bin/python3 test_python_client.py PATH/TO/wisp [unittest args...]

Every test starts its own `wisp serve --host 127.0.0.1 --port 0`, reads the port from the first
stdout line and stops the server by PID when it is done (also when the test fails). Every wait has
a timeout, so a hung server fails the test instead of hanging the run.
"""

import asyncio
import os
import random
import re
import shutil
import signal
import ssl
import subprocess
import sys
import tempfile
import unittest

import websockets
from websockets.exceptions import ConnectionClosed

WISP = None  # path of the wisp executable, from argv[1]

STEP = 10.0  # seconds any single wait may take
LISTEN_LINE = re.compile(r"^wisp serve: listening on (\S+):(\d+)$")
MIB = 1 << 20


async def wait(aw, what, timeout=STEP):
    try:
        return await asyncio.wait_for(aw, timeout)
    except asyncio.TimeoutError:
        raise AssertionError(f"timed out after {timeout}s waiting for {what}") from None


class Server:
    """A `wisp serve` subprocess on 127.0.0.1 and a port of its choosing."""

    def __init__(self, *extra_args, ssl_context=None):
        self.args = [WISP, "serve", "--host", "127.0.0.1", "--port", "0", *extra_args]
        self.ssl_context = ssl_context  # wss, trusting what this context trusts
        self.proc = None
        self.port = None
        self._drain = None

    async def start(self):
        self.proc = await asyncio.create_subprocess_exec(
            *self.args, stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE
        )
        line = await wait(self.proc.stdout.readline(), "wisp serve's first stdout line")
        text = line.decode("utf-8", "replace").rstrip("\r\n")
        m = LISTEN_LINE.match(text)
        if not m:
            await self.stop()
            raise AssertionError(
                f"first stdout line of {' '.join(self.args)!r} was {text!r}, "
                f"expected 'wisp serve: listening on HOST:PORT' (exit status {self.proc.returncode})"
            )
        self.port = int(m.group(2))
        # Keep reading stdout so the server never blocks on a full pipe.
        self._drain = asyncio.ensure_future(self._drain_stdout())
        return self

    async def _drain_stdout(self):
        while await self.proc.stdout.read(65536):
            pass

    @property
    def url(self):
        scheme = "wss" if self.ssl_context else "ws"
        return f"{scheme}://127.0.0.1:{self.port}/echo"

    def connect(self, **kw):
        opts = dict(open_timeout=STEP, close_timeout=STEP, ping_interval=None, max_size=None)
        if self.ssl_context:
            opts["ssl"] = self.ssl_context
        opts.update(kw)
        return websockets.connect(self.url, **opts)

    async def stop(self):
        """Stops the server by PID: SIGTERM, then SIGKILL if it does not exit in time."""
        if self.proc is None:
            return
        if self.proc.returncode is None:
            try:
                self.proc.send_signal(signal.SIGTERM)
                await asyncio.wait_for(self.proc.wait(), 5)
            except asyncio.TimeoutError:
                self.proc.kill()
                await self.proc.wait()
            except ProcessLookupError:
                pass
        if self._drain is not None:
            try:
                await asyncio.wait_for(self._drain, 2)
            except (asyncio.TimeoutError, asyncio.CancelledError):
                pass


class ServerTestCase(unittest.IsolatedAsyncioTestCase):
    """Starts a fresh `wisp serve` (with server_args) for every test and stops it afterwards."""

    server_args = ()
    ssl_context = None

    async def asyncSetUp(self):
        self.server = Server(*self.server_args, ssl_context=self.ssl_context)
        # Registered before start() so a server that fails to start is still stopped.
        self.addAsyncCleanup(self.server.stop)
        await self.server.start()
        self.assertNotEqual(self.server.port, 0, "with --port 0 wisp must print the real port")

    def assertSameMessage(self, reply, message, what="the echo"):
        """Same opcode (str is text, bytes is binary) and same content, reported briefly."""
        kind = {str: "text", bytes: "binary"}
        self.assertIs(type(reply), type(message),
                      f"{what} came back as {kind.get(type(reply), type(reply))}, sent as {kind[type(message)]}")
        if reply != message:
            i = next((i for i, (a, b) in enumerate(zip(reply, message)) if a != b), min(len(reply), len(message)))
            self.fail(f"{what} differs: got length {len(reply)}, sent length {len(message)}; "
                      f"first difference at {i}: got {reply[i:i + 16]!r}, sent {message[i:i + 16]!r}")

    async def echo(self, ws, message):
        await wait(ws.send(message), "send")
        reply = await wait(ws.recv(), "the echo")
        self.assertSameMessage(reply, message)
        return reply


class EchoTest(ServerTestCase):
    async def test_text(self):
        async with self.server.connect() as ws:
            await self.echo(ws, "hello, wisp")

    async def test_binary(self):
        async with self.server.connect() as ws:
            await self.echo(ws, bytes(range(256)) * 4)

    async def test_empty_text_and_empty_binary(self):
        async with self.server.connect() as ws:
            await self.echo(ws, "")
            await self.echo(ws, b"")
            await self.echo(ws, "")

    async def test_one_mib_text(self):
        text = "".join(chr(ord("a") + i % 26) for i in range(MIB))
        async with self.server.connect() as ws:
            await self.echo(ws, text)

    async def test_one_mib_binary(self):
        data = os.urandom(MIB)
        async with self.server.connect() as ws:
            await self.echo(ws, data)

    async def test_fragmented_text_comes_back_whole(self):
        async with self.server.connect() as ws:
            await wait(ws.send(["frag", "mented ", "", "téxt ✓"]), "fragmented send")
            self.assertSameMessage(await wait(ws.recv(), "the echo"), "fragmented téxt ✓")

    async def test_fragmented_binary_from_async_iterator_comes_back_whole(self):
        chunks = [os.urandom(1000), os.urandom(70000), b"", os.urandom(5)]

        async def fragments():
            for c in chunks:
                yield c

        async with self.server.connect() as ws:
            await wait(ws.send(fragments()), "fragmented send")
            self.assertSameMessage(await wait(ws.recv(), "the echo"), b"".join(chunks))

    async def test_ping_gets_pong_with_same_payload(self):
        async with self.server.connect() as ws:
            for payload in (b"wisp-ping", b"", bytes(range(125))):
                # The waiter resolves only when a pong carrying this exact payload arrives.
                pong = await wait(ws.ping(payload), "ping")
                await wait(pong, f"pong for ping {payload[:16]!r}")
            await self.echo(ws, "still open after pings")

    async def test_utf8_multibyte_text_intact(self):
        text = "héllo wörld — ½ € 日本語 한국어 Ελληνικά 🎉🚀 𝄞 \u0000 end"
        async with self.server.connect() as ws:
            await self.echo(ws, text)

    async def test_fifty_pipelined_messages_in_order(self):
        messages = [f"message {i}" if i % 2 == 0 else f"binary {i}".encode() for i in range(50)]
        async with self.server.connect() as ws:
            for m in messages:
                await wait(ws.send(m), "send")
            for i, m in enumerate(messages):
                self.assertSameMessage(await wait(ws.recv(), f"echo #{i}"), m, f"echo #{i} (order kept?)")

    async def test_client_close_1000_gets_server_close_1000(self):
        ws = await wait(self.server.connect(), "connect")
        await self.echo(ws, "before close")
        await wait(ws.close(1000, "client done"), "closing handshake")
        self.assertEqual(ws.close_code, 1000, "server must answer a 1000 close with 1000")


class MaxMessageSizeTest(ServerTestCase):
    server_args = ("--max-message-size", "1024")

    async def test_message_above_limit_closes_1009(self):
        async with self.server.connect() as ws:
            await self.echo(ws, b"x" * 1024)  # at the limit: fine
            await wait(ws.send(b"y" * 2000), "send")
            with self.assertRaises(ConnectionClosed) as cm:
                await wait(ws.recv(), "the server's close")
            self.assertIsNotNone(cm.exception.rcvd, "server must send a close frame")
            self.assertEqual(cm.exception.rcvd.code, 1009)
            await wait(ws.wait_closed(), "TCP close")
            self.assertEqual(ws.close_code, 1009)


class SharedCompressionTest(ServerTestCase):
    """permessage-deflate with the Python client's default offer; the server's compressed frames
    are counted where the client inflates them, so an uncompressed echo fails the test."""

    server_args = ("--compression", "shared")
    expected_answer = "permessage-deflate; server_no_context_takeover; client_no_context_takeover"

    async def test_negotiated_and_used_both_ways(self):
        from websockets.extensions.permessage_deflate import PerMessageDeflate
        inflated = 0
        original = PerMessageDeflate.decode

        def counting_decode(extension, frame, *args, **kwargs):
            nonlocal inflated
            inflated += frame.rsv1
            return original(extension, frame, *args, **kwargs)

        PerMessageDeflate.decode = counting_decode
        self.addCleanup(setattr, PerMessageDeflate, "decode", original)
        async with self.server.connect(compression="deflate") as ws:
            self.assertEqual(ws.response_headers.get("Sec-WebSocket-Extensions"), self.expected_answer)
            messages = ['{"type":"chat","data":{"text":"%s"}}' % ("hello " * n) for n in (20, 200, 20000)]
            messages += [bytes(range(256)) * 512, "κόσμε " * 30000]
            for message in messages * 2:
                await self.echo(ws, message)
            await wait(ws.send(["frag " * 500, "ment " * 500]), "send")
            self.assertSameMessage(await wait(ws.recv(), "the echo"), "frag " * 500 + "ment " * 500)
        self.assertEqual(inflated, len(messages) * 2 + 1, "every echo must come back compressed")


class DedicatedCompressionTest(SharedCompressionTest):
    server_args = ("--compression", "dedicated")
    expected_answer = "permessage-deflate"


class FlowControlTest(ServerTestCase):
    """Issue 14's user: ~30 MiB of frames of random sizes written to /echo while the echoes are read
    at the same time, more slowly. The server must stop reading the client instead of dropping
    echoes: every one comes back, in order, byte for byte, and nothing is counted as dropped."""

    async def metrics(self):
        reader, writer = await wait(asyncio.open_connection("127.0.0.1", self.server.port), "connect")
        writer.write(b"GET /metrics HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
        text = (await wait(reader.read(), "the metrics")).decode()
        writer.close()
        return {m.group(1): int(m.group(2)) for m in re.finditer(r"^(wisp_\w+) (\d+)$", text, re.M)}

    async def test_slow_reader_gets_every_echo(self):
        rng = random.Random(14)
        messages, total = [], 0
        while total < 30 * MIB:
            messages.append(rng.randbytes(rng.randint(1, 32 * 1024)))
            total += len(messages[-1])

        async with self.server.connect(max_queue=4) as ws:
            async def write():
                for m in messages:
                    await wait(ws.send(m), "send")

            writer = asyncio.ensure_future(write())
            try:
                for i, m in enumerate(messages):
                    if i % 2 == 0:
                        await asyncio.sleep(0.001)  # the slow reader (not a wait for anything)
                    self.assertSameMessage(await wait(ws.recv(), f"echo #{i} of {len(messages)}"), m,
                                           f"echo #{i}")
                await wait(writer, "the writer")
            finally:
                writer.cancel()
        counts = await self.metrics()
        self.assertEqual(counts["wisp_dropped_total"], 0)
        self.assertGreaterEqual(counts.get("wisp_input_pauses_total", 0), 1, "the server never paused the client")


class ShutdownTest(ServerTestCase):
    async def test_sigint_closes_clients_1001_and_exits_0(self):
        clients = [await wait(self.server.connect(), "connect") for _ in range(3)]
        try:
            for i, ws in enumerate(clients):  # make sure the server holds every connection
                await wait(ws.send(f"hi {i}"), "send")
                self.assertSameMessage(await wait(ws.recv(), "the echo"), f"hi {i}")
            self.server.proc.send_signal(signal.SIGINT)
            for ws in clients:
                await wait(ws.wait_closed(), "the server's close after SIGINT", timeout=5)
                self.assertEqual(ws.close_code, 1001, "SIGINT must close clients with 1001")
            status = await wait(self.server.proc.wait(), "wisp serve to exit after SIGINT", timeout=5)
            self.assertEqual(status, 0, "wisp serve must exit 0 after SIGINT")
        finally:
            for ws in clients:  # never leave a client waiting on a server that is gone
                if ws.transport is not None:
                    ws.transport.abort()


class Pki:
    """A CA and a server certificate for 127.0.0.1 and localhost, made by the openssl command."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="wisp-interop-tls-")
        self.ca = self.path("ca.crt")
        self.run("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                 "-days", "2", "-subj", "/CN=wisp-interop-ca", "-keyout", self.path("ca.key"), "-out", self.ca)
        self.cert, self.key = self.issue("v1"), self.path("v1.key")

    def path(self, name):
        return os.path.join(self.dir, name)

    def run(self, *args):
        subprocess.run(["openssl", *args], check=True, capture_output=True, timeout=STEP)

    def issue(self, name):
        """<name>.crt (common name `name`) and <name>.key; returns the certificate's path."""
        key, csr, ext, crt = (self.path(name + suffix) for suffix in (".key", ".csr", ".ext", ".crt"))
        with open(ext, "w") as f:
            f.write("subjectAltName=IP:127.0.0.1,DNS:localhost\n")
        self.run("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", key)
        self.run("req", "-new", "-key", key, "-subj", f"/CN={name}", "-out", csr)
        self.run("x509", "-req", "-days", "2", "-in", csr, "-CA", self.ca, "-CAkey", self.path("ca.key"),
                 "-CAcreateserial", "-extfile", ext, "-out", crt)
        return crt

    def remove(self):
        shutil.rmtree(self.dir, ignore_errors=True)


def peer_common_name(ws):
    subject = ws.transport.get_extra_info("peercert")["subject"]
    return next(value for rdn in subject for key, value in rdn if key == "commonName")


class TlsTest(ServerTestCase):
    """wss: `wisp serve --tls-cert --tls-key`, the client trusting the test CA only."""

    async def asyncSetUp(self):
        self.pki = Pki()  # per test: the reload test replaces the server's files
        self.addCleanup(self.pki.remove)
        self.server_args = ("--tls-cert", self.pki.cert, "--tls-key", self.pki.key)
        self.ssl_context = ssl.create_default_context(cafile=self.pki.ca)
        await super().asyncSetUp()

    async def test_text_and_binary(self):
        async with self.server.connect() as ws:
            await self.echo(ws, "hello over wss ✓")
            await self.echo(ws, bytes(range(256)) * 4)
            await self.echo(ws, "x" * MIB)

    async def test_sighup_reloads_the_certificate_and_keeps_open_connections(self):
        async with self.server.connect() as before:
            self.assertEqual(peer_common_name(before), "v1")
            v2 = self.pki.issue("v2")
            shutil.copyfile(v2, self.pki.cert)
            shutil.copyfile(self.pki.path("v2.key"), self.pki.key)
            self.server.proc.send_signal(signal.SIGHUP)
            for _ in range(100):  # the signal is handled on a thread of its own: poll
                async with self.server.connect() as after:
                    if peer_common_name(after) == "v2":
                        await self.echo(after, "new certificate")
                        break
                await asyncio.sleep(0.05)
            else:
                self.fail("after SIGHUP new connections still get the old certificate")
            await self.echo(before, "the old connection stays")


def main():
    global WISP
    if len(sys.argv) < 2:
        sys.exit("usage: test_python_client.py PATH/TO/wisp [unittest args...]")
    WISP = os.path.abspath(sys.argv[1])
    if not os.access(WISP, os.X_OK):
        sys.exit(f"not an executable: {WISP}")
    print(f"websockets {websockets.__version__} against {WISP}", flush=True)
    unittest.main(argv=[sys.argv[0], *sys.argv[2:]], verbosity=2)


if __name__ == "__main__":
    main()
