#!/usr/bin/python3
"""Interop: upgrade control seen by the Python `websockets` client (Debian python3-websockets),
against examples/auth_chat.cpp (token middleware, Origin allowlist, a hook that picks the
subprotocol, refuses unknown rooms and asks a worker thread about private rooms).

Usage: /usr/bin/python3 test_upgrade_python.py PATH/TO/example_auth_chat [unittest args...]

Every test starts its own server on 127.0.0.1 and a free port and stops it by PID afterwards.
A rejected upgrade is read with the library's sans-I/O client, which keeps the response body.
"""

import asyncio
import os
import signal
import sys
import unittest

import websockets
from websockets.client import ClientConnection
from websockets.exceptions import InvalidStatus, InvalidStatusCode
from websockets.uri import parse_uri

SERVER = None  # path of the example, from argv[1]
STEP = 10.0  # seconds any single wait may take


async def wait(aw, what):
    try:
        return await asyncio.wait_for(aw, STEP)
    except asyncio.TimeoutError:
        raise AssertionError(f"timed out after {STEP}s waiting for {what}") from None


class UpgradeTest(unittest.IsolatedAsyncioTestCase):
    async def asyncSetUp(self):
        self.proc = await asyncio.create_subprocess_exec(
            SERVER, "0", stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE
        )
        self.addAsyncCleanup(self.stop)
        line = (await wait(self.proc.stdout.readline(), "the listening line")).decode()
        self.assertTrue(line.startswith("listening on "), line)
        self.url = "ws://" + line.split()[-1]
        self.drain = asyncio.ensure_future(self._drain())

    async def _drain(self):
        while await self.proc.stdout.read(65536):
            pass

    async def stop(self):
        if self.proc.returncode is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(self.proc.wait(), 5)
            except asyncio.TimeoutError:
                self.proc.kill()
                await self.proc.wait()
        await asyncio.wait_for(self.drain, 2)

    async def refusal(self, path, **options):
        """The HTTP response to an upgrade the server refuses (status, headers, body)."""
        uri = parse_uri(self.url + path)
        client = ClientConnection(uri, **options)
        reader, writer = await wait(asyncio.open_connection(uri.host, uri.port), "connect")
        try:
            client.send_request(client.connect())
            for data in client.data_to_send():
                writer.write(data)
            while client.handshake_exc is None and not client.events_received():
                data = await wait(reader.read(65536), "the response")
                if data:
                    client.receive_data(data)
                else:
                    client.receive_eof()
        finally:
            writer.close()
        self.assertIsInstance(client.handshake_exc, InvalidStatus, "the upgrade was accepted")
        return client.handshake_exc.response

    async def test_rejections_carry_status_headers_and_body(self):
        missing = await self.refusal("/chat/lobby")
        self.assertEqual(missing.status_code, 401)
        self.assertEqual(missing.headers["WWW-Authenticate"], "Bearer")
        self.assertEqual(missing.body, b"missing token")
        unknown = await self.refusal("/chat/attic?token=t-ada")
        self.assertEqual((unknown.status_code, unknown.body), (404, b"no such room: attic"))
        later = await self.refusal("/chat/staff?token=t-bob")  # decided on a worker thread
        self.assertEqual((later.status_code, later.body), (403, b"bob may not enter staff"))
        hijack = await self.refusal("/chat/lobby?token=t-ada", origin="https://evil.example")
        self.assertEqual((hijack.status_code, hijack.body), (403, b"origin not allowed"))

    async def test_the_usual_client_sees_the_status(self):
        with self.assertRaises(InvalidStatusCode) as refused:
            async with websockets.connect(self.url + "/chat/lobby?token=guess", open_timeout=STEP):
                pass
        self.assertEqual(refused.exception.status_code, 401)

    async def test_subprotocol_negotiation(self):
        cases = [(["chat.v2", "chat.v1"], "chat.v1"), (["chat.v2"], None), (None, None)]
        for offered, agreed in cases:
            async with websockets.connect(
                self.url + "/chat/lobby?token=t-ada", subprotocols=offered, open_timeout=STEP
            ) as ws:
                self.assertEqual(ws.subprotocol, agreed, offered)
                self.assertEqual(await wait(ws.recv(), "the welcome"), "welcome to lobby, ada")


def main():
    global SERVER
    if len(sys.argv) < 2:
        sys.exit("usage: test_upgrade_python.py PATH/TO/example_auth_chat [unittest args...]")
    SERVER = os.path.abspath(sys.argv[1])
    print(f"websockets {websockets.__version__} against {SERVER}", flush=True)
    unittest.main(argv=[sys.argv[0], *sys.argv[2:]], verbosity=2)


if __name__ == "__main__":
    main()
