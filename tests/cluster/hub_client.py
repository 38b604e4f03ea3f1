"""A Python `websockets` client of the demo's event hub (`wisp serve`'s /ws: JSON {type, data,
id}), for the cluster tests. Every wait is bounded by STEP seconds.
"""
import asyncio
import json

import websockets
from websockets.exceptions import ConnectionClosed, InvalidHandshake

STEP = 10.0


async def wait(aw, what, timeout=STEP):
    try:
        return await asyncio.wait_for(aw, timeout)
    except asyncio.TimeoutError:
        raise AssertionError(f"timed out after {timeout}s waiting for {what}") from None


class Client:
    """One hub client (JSON {type, data, id}) on the demo's /ws, directly or through a balancer
    (then `node` is the node it reached, from the X-Wisp-Node header HAProxy adds)."""

    def __init__(self, ws, name):
        self.ws, self.name = ws, name
        self.node = ws.response_headers.get("X-Wisp-Node")
        self.pushes = asyncio.Queue()  # messages without an id: welcome, new_message, ...
        self.pending = {}  # request id -> future
        self.next_id = 1
        self.reader = asyncio.ensure_future(self._read())

    @classmethod
    async def connect(cls, port, name, node_cookie=None):
        headers = {"Cookie": f"WISPNODE={node_cookie}"} if node_cookie else {}
        ws = await wait(websockets.connect(
            f"ws://127.0.0.1:{port}/ws", extra_headers=headers, open_timeout=STEP,
            close_timeout=STEP, ping_interval=None), f"{name}'s upgrade on port {port}")
        client = cls(ws, name)
        welcome = await client.next_push("welcome")
        if not isinstance(welcome.get("client_id"), str):
            raise AssertionError(f"{name}: a welcome without a client_id: {welcome}")
        return client

    @classmethod
    async def reconnect(cls, balancer_port, name, node_cookie):
        """What a client does after a 1001: try again through the balancer, with a short backoff,
        until a node takes it (bounded by STEP)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + STEP
        while True:
            try:
                return await cls.connect(balancer_port, name, node_cookie)
            except (OSError, InvalidHandshake, ConnectionClosed, AssertionError) as error:
                if loop.time() > deadline:
                    raise AssertionError(f"{name} could not reconnect: {error}") from None
                await asyncio.sleep(0.2)  # a reconnecting client's backoff, not a synchronisation

    async def _read(self):
        try:
            async for text in self.ws:
                message = json.loads(text)
                future = self.pending.pop(message.get("id"), None)
                if future and not future.done():
                    future.set_result(message)
                else:
                    await self.pushes.put(message)
        except ConnectionClosed:
            pass
        for future in self.pending.values():
            if not future.done():
                future.set_exception(AssertionError(f"{self.name}: closed before the answer"))

    async def request(self, kind, data):
        request_id, self.next_id = self.next_id, self.next_id + 1
        future = asyncio.get_running_loop().create_future()
        self.pending[request_id] = future
        await self.ws.send(json.dumps({"type": kind, "data": data, "id": request_id}))
        answer = await wait(future, f"{self.name}'s answer to {kind}")
        if answer.get("type") != "response":
            raise AssertionError(f"{self.name}: {kind} answered {answer}")
        return answer["data"]

    async def next_push(self, kind, match=lambda data: True):
        """The next pushed message of type `kind` whose data matches (others are passed over)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + STEP
        while True:
            left = deadline - loop.time()
            message = await wait(self.pushes.get(), f"{self.name}: a {kind} message", max(left, 0))
            if message.get("type") == kind and match(message.get("data")):
                return message["data"]

    async def chat(self, text):
        return await self.request("chat_message", {"room": "lobby", "message": text})

    async def got_chat(self, text, sender):
        data = await self.next_push("new_message", lambda d: d.get("text") == text)
        if data.get("sender") != sender or data.get("room") != "lobby":
            raise AssertionError(f"{self.name} got {data}, expected {sender}'s in lobby")

    async def enter_lobby(self):
        await self.request("register", {"username": self.name})
        joined = await self.request("join_room", {"room": "lobby"})
        if joined.get("status") != "joined":
            raise AssertionError(f"{self.name}: join_room answered {joined}")

    async def closed(self):
        await wait(self.ws.wait_closed(), f"{self.name}'s connection to close")
        return self.ws.close_code

    async def close(self):
        await self.ws.close()
        await wait(self.reader, f"{self.name}'s reader to end")
