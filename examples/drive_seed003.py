"""Seed 003's examples' scenarios for drive.py: what a client of each coroutine route sees, with
Python websockets."""
import asyncio
import json
import signal

import websockets
from websockets.exceptions import ConnectionClosed, InvalidStatusCode

TIMEOUT = 10


async def recv(ws):
    return await asyncio.wait_for(ws.recv(), TIMEOUT)


async def expect(ws, wanted):
    got = await recv(ws)
    assert got == wanted, f"expected {wanted!r}, got {got!r}"


async def refused(url, status, **options):
    try:
        async with websockets.connect(url, open_timeout=TIMEOUT, **options):
            pass
    except InvalidStatusCode as refusal:
        assert refusal.status_code == status, (url, refusal.status_code)
    else:
        raise AssertionError(f"{url} was accepted, expected {status}")


async def closed_with(ws, code, reason=None):
    await asyncio.wait_for(ws.wait_closed(), TIMEOUT)
    assert ws.close_code == code, (ws.close_code, ws.close_reason)
    if reason is not None:
        assert ws.close_reason == reason, ws.close_reason


async def seed003_basics(url, binary, _server):
    async with websockets.connect(url + "/ws") as ws:
        await ws.send("hello")
        await expect(ws, "Echo: hello")
    async with websockets.connect(url + "/chat", subprotocols=["chat"]) as ws:
        assert ws.subprotocol == "chat" and ws.response_headers["X-Server"] == "wisp"
        await expect(ws, "speaking chat")
    async with websockets.connect(url + "/quit") as ws:
        await ws.send("quit")
        await closed_with(ws, 1000, "User requested disconnect")
    async with websockets.connect(url + "/binary") as ws:
        await ws.send(b"\x01\x02\x03")
        await expect(ws, b"\x03\x02\x01")
    async with websockets.connect(url + "/api") as ws:
        await ws.send(json.dumps({"type": "ping"}))
        assert json.loads(await recv(ws)) == {"type": "pong"}
        await ws.send("{not json")
        assert json.loads(await recv(ws)) == {"error": "Invalid JSON"}
        await ws.send(json.dumps({"type": "message", "content": "still open"}))
        assert json.loads(await recv(ws)) == {"handled": "still open"}
    async with websockets.connect(url + "/notifications") as ws:
        await expect(ws, "Welcome to notifications!")
        assert (await recv(ws)).startswith("Update at ")
    async with websockets.connect(url + "/file-stream", max_size=None) as ws:
        with open(binary, "rb") as f:
            wanted = f.read()
        chunks = []
        try:
            while True:
                chunks.append(await recv(ws))
        except ConnectionClosed:
            pass
        assert all(len(c) == 8192 for c in chunks[:-1]) and b"".join(chunks) == wanted
        assert ws.close_code == 1000
    async with websockets.connect(url + "/data") as ws:
        data = json.loads(await recv(ws))
        assert data["type"] == "user_data" and data["user"]["name"] == "John Doe", data
    await refused(url + "/info/lobby?user=ada", 403)  # no Authorization header
    await refused(url + "/info/lobby", 403, extra_headers={"Authorization": "x"})
    async with websockets.connect(url + "/info/lobby?user=ada",
                                  extra_headers={"Authorization": "x"}) as ws:
        assert json.loads(await recv(ws)) == {"client": "127.0.0.1", "room": "lobby", "user": "ada"}
        await ws.send("a")
        await ws.send("b")
        await expect(ws, "1")
        await expect(ws, "2")
    async with websockets.connect(url + "/errors") as ws:
        await ws.send("x")
        await expect(ws, "Echo: x")
        await ws.send("fail")
        await closed_with(ws, 1011)
    async with websockets.connect(url + "/heartbeat") as ws:
        await ws.send("ping")
        await expect(ws, "pong")
        await expect(ws, "ping")  # silent for one receive timeout
        await closed_with(ws, 1000, "Timeout")  # and for a second one


async def seed003_patterns(url, binary, server):
    await refused(url + "/chat/lobby", 403)
    await refused(url + "/chat/lobby?token=bad", 403)
    async with websockets.connect(url + "/chat/lobby?token=t-ada") as ada:
        async with websockets.connect(url + "/chat/lobby",
                                      extra_headers={"Authorization": "Bearer t-bob"}) as bob:
            joined = json.loads(await recv(ada))
            assert joined["type"] == "user_joined" and joined["user"] == "bob", joined
            await ada.send(json.dumps({"type": "message", "content": "hi bob"}))
            for ws in (ada, bob):
                said = json.loads(await recv(ws))
                assert (said["user"], said["content"]) == ("ada", "hi bob"), said
        left = json.loads(await recv(ada))
        assert left["type"] == "user_left" and left["user"] == "bob", left
    async with websockets.connect(url + "/chat/lobby?token=t-cy") as cy:  # the history
        said = json.loads(await recv(cy))
        assert (said["type"], said["content"]) == ("message", "hi bob"), said

    await refused(url + "/stream/gossip", 403)
    async with websockets.connect(url + "/stream/weather") as ws:
        update = json.loads(await recv(ws))
        assert update["type"] == "weather" and "tick" in update["data"], update
        await ws.send("ping")
        while (message := await recv(ws)) != "pong":
            assert json.loads(message)["type"] == "weather"
        await ws.send("unsubscribe")
        await closed_with(ws, 1000)

    await refused(url + "/mw/echo", 403)
    await refused(url + "/mw/echo?token=bad", 403)
    async with websockets.connect(url + "/mw/echo?token=t-ada") as ws:
        await expect(ws, "through the middleware")
        await refused(url + "/mw/echo?token=t-ada", 429)  # one socket per IP
    async with websockets.connect(url + "/mw/echo?token=t-ada") as ws:  # its slot was freed
        await expect(ws, "through the middleware")

    async with websockets.connect(url + "/pool") as a, websockets.connect(url + "/pool") as b:
        await refused(url + "/pool", 403)  # Server at capacity
        await a.send("x")
        await expect(a, "processed x")
        await b.close()
    async with websockets.connect(url + "/pool") as c:
        await c.send("y")
        await expect(c, "processed y")

    async with websockets.connect(url + "/queued") as ws:
        for i in range(20):
            await ws.send(json.dumps({"n": i}))
        for i in range(20):
            assert json.loads(await recv(ws)) == {"n": i}

    # SIGTERM: the on_shutdown hook stops the streamer and tells its subscribers, before the
    # sockets close with 1001.
    async with websockets.connect(url + "/stream/news") as ws:
        assert json.loads(await recv(ws))["type"] == "news"
        server.send_signal(signal.SIGTERM)
        while (update := json.loads(await recv(ws)))["type"] == "news":
            pass
        assert update == {"type": "stopped"}, update
        await closed_with(ws, 1001)
    return True  # it stopped the example


SCENARIOS = {
    "seed003_basics": seed003_basics,
    "seed003_patterns": seed003_patterns,
}
