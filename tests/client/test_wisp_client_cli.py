#!/usr/bin/python3
"""`wisp client URL` against Python websockets servers run by this test on 127.0.0.1.

Usage: /usr/bin/python3 test_wisp_client_cli.py PATH/TO/wisp [unittest args...]

Each test starts a server on a free port in a thread of its own (stopped at the end), runs
`wisp client` with stdin and stdout on pipes, writes lines and reads the lines it prints, each
read bounded by STEP seconds; the process is killed by PID if it outlives the test.
"""

import asyncio
import json
import select
import subprocess
import sys
import threading
import unittest

import websockets

WISP = None
STEP = 10.0


class ServerThread:
    """An asyncio server on its own thread: websockets.serve(handler) or a raw TCP handler."""

    def __init__(self, handler, raw=False, **options):
        self.loop = asyncio.new_event_loop()
        self.ready = threading.Event()
        self.thread = threading.Thread(target=self._run, args=(handler, raw, options), daemon=True)
        self.thread.start()
        if not self.ready.wait(STEP):
            raise AssertionError("the test server did not start")

    def _run(self, handler, raw, options):
        asyncio.set_event_loop(self.loop)
        if raw:
            server = self.loop.run_until_complete(asyncio.start_server(handler, "127.0.0.1", 0))
        else:
            server = self.loop.run_until_complete(
                websockets.serve(handler, "127.0.0.1", 0, **options))
        self.port = server.sockets[0].getsockname()[1]
        self.server = server
        self.ready.set()
        self.loop.run_forever()
        server.close()
        self.loop.run_until_complete(server.wait_closed())

    def stop(self):
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(STEP)


class Cli:
    """`wisp client ARGS...` with pipes; killed by PID at the end if still running."""

    def __init__(self, *args):
        self.proc = subprocess.Popen([WISP, "client", *args], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE)

    def send(self, line):
        self.proc.stdin.write(line.encode() + b"\n")
        self.proc.stdin.flush()

    def line(self):
        ready, _, _ = select.select([self.proc.stdout], [], [], STEP)
        if not ready:
            raise AssertionError("wisp client printed nothing within the timeout")
        return self.proc.stdout.readline().decode().rstrip("\n")

    def finish(self, end_stdin=True):
        """Ends stdin (unless told not to: the server ends the session); returns (exit status,
        stderr)."""
        try:
            if end_stdin:
                self.proc.stdin.close()
        except BrokenPipeError:
            pass
        try:
            status = self.proc.wait(STEP)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise AssertionError("wisp client did not exit")
        return status, self.proc.stderr.read().decode()


async def echo(ws, path):
    async for message in ws:
        await ws.send(message if isinstance(message, str) else "binary:" + message.decode())


class WispClientCli(unittest.TestCase):
    def serve(self, handler, **options):
        server = ServerThread(handler, **options)
        self.addCleanup(server.stop)
        return f"ws://127.0.0.1:{server.port}"

    def test_lines_go_out_and_messages_come_back(self):
        url = self.serve(echo)
        cli = Cli(url + "/echo")
        cli.send("hello")
        self.assertEqual(cli.line(), "hello")
        cli.send("second line")
        self.assertEqual(cli.line(), "second line")
        self.assertEqual(cli.finish()[0], 0)

    def test_binary_lines(self):
        cli = Cli(self.serve(echo) + "/", "--binary")
        cli.send("raw")
        self.assertEqual(cli.line(), "binary:raw")
        self.assertEqual(cli.finish()[0], 0)

    def test_hub_lines_become_envelopes(self):
        cli = Cli(self.serve(echo) + "/ws", "--hub")
        cli.send('chat_message {"room": "lobby"}')
        self.assertEqual(json.loads(cli.line()), {"type": "chat_message", "data": {"room": "lobby"}})
        cli.send("ping")
        self.assertEqual(json.loads(cli.line()), {"type": "ping"})
        cli.send("chat_message {not json")
        status, err = cli.finish()
        self.assertEqual(status, 2)
        self.assertIn("not `type json`", err)

    def test_headers_and_subprotocols_are_offered(self):
        async def show(ws, path):
            await ws.send(f"{ws.request_headers.get('Authorization')} {ws.subprotocol}")
            await ws.wait_closed()

        url = self.serve(show, subprotocols=["chat.v2"])
        cli = Cli(url + "/", "--header", "Authorization: Bearer t", "--subprotocol", "chat.v1",
                  "--subprotocol", "chat.v2")
        self.assertEqual(cli.line(), "Bearer t chat.v2")
        self.assertEqual(cli.finish()[0], 0)

    def test_a_refused_handshake_prints_status_and_body(self):
        async def refuse(reader, writer):
            await reader.readuntil(b"\r\n\r\n")
            writer.write(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 8\r\n\r\ngo away!")
            await writer.drain()
            writer.close()

        server = ServerThread(refuse, raw=True)
        self.addCleanup(server.stop)
        cli = Cli(f"ws://127.0.0.1:{server.port}/")
        status, err = cli.finish(end_stdin=False)
        self.assertEqual(status, 1)
        self.assertIn("handshake refused: 403 Forbidden", err)
        self.assertIn("go away!", err)

    def test_a_close_with_an_error_code_exits_3(self):
        async def fail(ws, path):
            await ws.close(4001, "no thanks")

        cli = Cli(self.serve(fail) + "/")
        status, err = cli.finish(end_stdin=False)
        self.assertEqual(status, 3)
        self.assertIn("4001 no thanks", err)

    def test_a_bad_url_exits_2(self):
        status, err = Cli("http://127.0.0.1:1/").finish()
        self.assertEqual(status, 2)
        self.assertIn("ws:// or wss://", err)


if __name__ == "__main__":
    WISP = sys.argv.pop(1)
    unittest.main()
