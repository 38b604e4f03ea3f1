#!/usr/bin/python3
"""Runs an example server and talks to it with a real client (Python websockets), as CTest's
check that every example works: drive.py EXAMPLE_BINARY SCENARIO. Exits non-zero on failure."""
import asyncio
import signal
import socket
import subprocess
import sys
import tempfile
import time

import websockets

import drive_clients
import drive_history
import drive_hub
import drive_seed003

TIMEOUT = 10


async def expect(ws, wanted):
    got = await asyncio.wait_for(ws.recv(), TIMEOUT)
    assert got == wanted, f"expected {wanted!r}, got {got!r}"


async def echo_server(url):
    async with websockets.connect(url + "/echo") as ws:
        for message in ["hello", b"\x00\xffbinary", "", "κόσμε" * 100]:
            await ws.send(message)
            await expect(ws, message)


async def chat_room(url):
    async with websockets.connect(url + "/chat") as a, websockets.connect(url + "/chat") as b:
        await expect(a, "Welcome to chat room, guest-1!")
        await expect(b, "Welcome to chat room, guest-2!")
        await a.send("/name ada")
        await expect(a, "You are now ada")
        await a.send("hello, room")
        await expect(b, "ada: hello, room")
        await a.send("/quit")
        await asyncio.wait_for(a.wait_closed(), TIMEOUT)
        assert (a.close_code, a.close_reason) == (1000, "bye"), (a.close_code, a.close_reason)
        await expect(b, "ada left after 1 messages")
        await b.send(b"binary is refused")
        await asyncio.wait_for(b.wait_closed(), TIMEOUT)
        assert b.close_code == 1003, b.close_code


async def live_dashboard(url):
    import json
    import urllib.error
    import urllib.request

    def get(path):
        with urllib.request.urlopen(url.replace("ws://", "http://") + path, timeout=TIMEOUT) as r:
            return r.read().decode()

    async with websockets.connect(url + "/dashboard") as ws:
        welcome = json.loads(await asyncio.wait_for(ws.recv(), TIMEOUT))
        assert welcome["type"] == "welcome" and len(welcome["id"]) == 22, welcome
        update = json.loads(await asyncio.wait_for(ws.recv(), TIMEOUT))
        assert update["type"] == "metrics" and update["clients"] == 1, update
        await ws.send(json.dumps({"type": "unsubscribe", "topic": "metrics"}))
        while (reply := json.loads(await asyncio.wait_for(ws.recv(), TIMEOUT)))["type"] == "metrics":
            pass  # updates already on their way before the unsubscribe
        assert reply == {"type": "unsubscribed", "topic": "metrics"}, reply
        await ws.send("not json")
        assert json.loads(await asyncio.wait_for(ws.recv(), TIMEOUT))["type"] == "error"
        stats = json.loads(get("/api/stats"))
        assert stats["clients"] == 1 and stats["subscribers"] == 0, stats
        assert "\nwisp_websockets 1\n" in get("/metrics")
    page_url = url.replace("ws://", "http://") + "/"
    with urllib.request.urlopen(page_url, timeout=TIMEOUT) as r:
        assert r.headers["Content-Type"] == "text/html; charset=utf-8", r.headers
        assert "<title>wisp dashboard</title>" in r.read().decode()
        etag = r.headers["ETag"]
    revalidate = urllib.request.Request(page_url, headers={"If-None-Match": etag})
    try:
        urllib.request.urlopen(revalidate, timeout=TIMEOUT)
        raise AssertionError("a matching If-None-Match must get 304")
    except urllib.error.HTTPError as e:
        assert e.code == 304, e.code


async def auth_chat(url):
    import json
    import urllib.request

    from websockets.exceptions import InvalidStatusCode

    async def refused(path, status, **options):
        try:
            async with websockets.connect(url + path, open_timeout=TIMEOUT, **options):
                pass
        except InvalidStatusCode as refusal:
            assert refusal.status_code == status, (path, refusal.status_code)
        else:
            raise AssertionError(f"{path} was accepted, expected {status}")

    await refused("/chat/lobby", 401)
    await refused("/chat/lobby?token=guess", 401)
    await refused("/chat/lobby?token=t-ada", 403, origin="https://evil.example")
    await refused("/chat/attic?token=t-ada", 404)
    await refused("/chat/staff?token=t-bob", 403)  # decided by the worker thread
    async with websockets.connect(
        url + "/chat/lobby?token=t-ada", subprotocols=["chat.v2", "chat.v1"],
        origin="https://chat.example.com"
    ) as ada, websockets.connect(
        url + "/chat/lobby", extra_headers={"Authorization": "Bearer t-bob"}
    ) as bob:
        assert ada.subprotocol == "chat.v1" and bob.subprotocol is None
        assert ada.response_headers["X-Chat-User"] == "ada"
        await expect(ada, "welcome to lobby, ada")
        await expect(bob, "welcome to lobby, bob")
        await expect(ada, "bob joined")
        await ada.send("hi bob")
        await expect(bob, "ada: hi bob")
        http = url.replace("ws://", "http://") + "/api/rooms/lobby"
        with urllib.request.urlopen(http, timeout=TIMEOUT) as r:
            assert json.loads(r.read()) == {"room": "lobby", "members": 2}
    async with websockets.connect(url + "/chat/staff?token=t-ada") as ada:
        await expect(ada, "welcome to staff, ada")


async def log_sink(url):
    import json
    import urllib.request

    from websockets.exceptions import InvalidStatusCode

    async with websockets.connect(url + "/echo") as ws:
        await ws.send("hello")
        await expect(ws, "hello")
        await ws.close(1000, "bye")
    try:
        async with websockets.connect(url + "/nowhere"):
            raise AssertionError("/nowhere was accepted")
    except InvalidStatusCode as refused:
        assert refused.status_code == 404, refused.status_code
    http = url.replace("ws://", "http://")
    events = {}
    for _ in range(2):  # the close is logged by the time the next request is read; a second
        with urllib.request.urlopen(http + "/logs", timeout=TIMEOUT) as r:  # read shows /logs
            records = json.loads(r.read())
        events = {record["event"]: record for record in records}
    assert events["app.start"]["logs"] == "/logs", records
    assert events["ws.open"]["path"] == "/echo", records
    closed = events["ws.close"]
    assert (closed["code"], closed["reason"], closed["by"]) == ("1000", "bye", "peer"), closed
    assert events["upgrade.refused"]["status"] == "404", records
    access = events["http.access"]
    assert (access["level"], access["path"], access["status"]) == ("debug", "/logs", "200"), access


SCENARIOS = {
    "echo_server": echo_server,
    "log_sink": log_sink,
    "chat_room": chat_room,
    "live_dashboard": live_dashboard,
    "auth_chat": auth_chat,
    **drive_hub.SCENARIOS,
    **drive_history.SCENARIOS,
    **drive_seed003.SCENARIOS,
}


class RedisServer:
    """A redis-server of the example's own, on a free loopback port, stopped by its PID."""

    def __init__(self):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.dir = tempfile.TemporaryDirectory()
        self.process = subprocess.Popen(
            ["redis-server", "--bind", "127.0.0.1", "--port", str(self.port), "--save", "",
             "--appendonly", "no", "--dir", self.dir.name, "--logfile", self.dir.name + "/log"])
        self.url = f"redis://127.0.0.1:{self.port}"
        deadline = time.monotonic() + TIMEOUT
        while not self.answers():
            assert time.monotonic() < deadline, "redis-server did not start"
            time.sleep(0.02)

    def answers(self):
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1) as s:
                s.sendall(b"PING\r\n")
                return s.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def stop(self):
        self.process.terminate()
        self.process.wait(TIMEOUT)
        self.dir.cleanup()


def run_example(command, scenario, with_server=False):
    """Runs `scenario(url)` (with_server: `scenario(url, server)`, the example's Popen, for a
    scenario that stops it itself) against the example; it returns whether it stopped it."""
    server = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    try:
        first = server.stdout.readline()
        assert first.startswith("listening on "), f"unexpected first line {first!r}"
        url = "ws://" + first.split()[-1]
        arguments = (url, server) if with_server else (url,)
        stopped_itself = asyncio.run(scenario(*arguments))  # e.g. a shutdown request
        if not stopped_itself:
            server.send_signal(signal.SIGTERM)
        assert server.wait(TIMEOUT) == 0, "the example did not stop cleanly"
    finally:
        if server.poll() is None:
            server.kill()


def main():
    """drive.py EXAMPLE_BINARY SCENARIO [WISP_BINARY] (the last for WITH_REDIS scenarios and hub_bot)."""
    binary, scenario = sys.argv[1], sys.argv[2]
    if scenario in drive_hub.WITH_REDIS:
        redis = RedisServer()
        try:
            call = drive_hub.WispCall(sys.argv[3], redis.url)
            run_example([binary, "0", redis.url],
                        lambda url: drive_hub.WITH_REDIS[scenario](url, call))
        finally:
            redis.stop()
    elif scenario in drive_clients.SCENARIOS:
        drive_clients.run(binary, scenario, run_example, sys.argv[3:])
    elif scenario in drive_seed003.SCENARIOS:
        # Seed 003's scenarios also read the example's binary (its file streaming streams it).
        run_example([binary, "0"], lambda url, server: SCENARIOS[scenario](url, binary, server),
                    with_server=True)
    else:
        run_example([binary, "0"], SCENARIOS[scenario])
    print(f"{scenario}: ok")


if __name__ == "__main__":
    main()
