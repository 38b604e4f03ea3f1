"""The event hub examples' scenarios for drive.py: what a client of each example sees, over the
hub's JSON envelope ({"type", "data", "id"}), with Python websockets and urllib; service actions
with `wisp call`."""
import asyncio
import itertools
import json
import re
import urllib.error
import urllib.request

import websockets

TIMEOUT = 10


class Client:
    """One hub connection: requests matched by id, other messages kept until asked for."""

    def __init__(self, ws):
        self.ws = ws
        self.ids = itertools.count(1)
        self.kept = []

    async def receive(self):
        return json.loads(await asyncio.wait_for(self.ws.recv(), TIMEOUT))

    async def next(self, type_, id_=None):
        """The first message of `type_` (with `id_`, if given), earlier ones of other types kept."""
        def wanted(m):
            return m["type"] == type_ and (id_ is None or m.get("id") == id_)
        for i, message in enumerate(self.kept):
            if wanted(message):
                return self.kept.pop(i)
        while not wanted(message := await self.receive()):
            self.kept.append(message)
        return message

    async def send(self, type_, data=None, id_=None):
        message = {"type": type_}
        if data is not None:
            message["data"] = data
        if id_ is not None:
            message["id"] = id_
        await self.ws.send(json.dumps(message))
        return message

    async def request(self, type_, data=None):
        """Sends a request and returns its response's data."""
        id_ = next(self.ids)
        await self.send(type_, data, id_)
        return (await self.next("response", id_))["data"]

    async def error(self, type_, data=None):
        """Sends a request that must fail and returns the error's code."""
        id_ = next(self.ids)
        await self.send(type_, data, id_)
        return (await self.next("error", id_))["data"]["code"]


async def connect(url, path="/ws"):
    return Client(await websockets.connect(url + path))


def http(url, path, body=None):
    """(status, JSON answer) of GET path, or of POST path with `body` as JSON."""
    request = urllib.request.Request(url.replace("ws://", "http://") + path,
                                     data=None if body is None else json.dumps(body).encode(),
                                     method="GET" if body is None else "POST")
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as refused:
        return refused.code, json.loads(refused.read())


async def closed(client):
    await asyncio.wait_for(client.ws.wait_closed(), TIMEOUT)
    return client.ws.close_code, client.ws.close_reason


async def hub_chat(url):
    a, b = await connect(url), await connect(url)
    welcome = (await a.next("welcome"))["data"]
    assert welcome["status"] == "connected" and welcome["client_id"], welcome
    assert await a.request("register", {}) == {"error": "Username is required",
                                               "status": "error"}
    assert await a.request("register", {"username": "ada"}) == {
        "status": "registered", "username": "ada", "available_rooms": []}
    joined = await a.request("join_room", {"room": "lobby"})
    assert (joined["status"], joined["members"], joined["history"]) == ("joined", 1, []), joined
    sent = await a.request("chat_message", {"room": "lobby", "message": "  hello  "})
    assert sent["status"] == "sent" and sent["message_id"].startswith("msg_"), sent
    assert (await b.request("chat_message", {"room": "lobby", "message": "hi"}))["error"] == \
        "Not a member of this room"
    assert (await b.request("chat_message", {"room": "attic", "message": "hi"}))["error"] == \
        "Room does not exist"
    assert (await b.request("register", {"username": "bob"}))["available_rooms"] == ["lobby"]
    joined = await b.request("join_room", {"room": "lobby"})
    assert joined["members"] == 2 and [m["text"] for m in joined["history"]] == ["hello"], joined
    assert joined["history"][0]["sender"] == "ada", joined
    update = await a.next("room_update")
    assert update["data"] == {"user": "bob", "action": "joined", "room": "lobby"}, update
    await b.request("chat_message", {"room": "lobby", "message": "hi ada"})
    said = (await a.next("new_message"))["data"]
    assert (said["sender"], said["text"], said["room"]) == ("bob", "hi ada", "lobby"), said
    status, rooms = http(url, "/api/rooms")
    assert status == 200 and rooms["count"] == 1, rooms
    assert (rooms["rooms"][0]["name"], rooms["rooms"][0]["members"],
            rooms["rooms"][0]["message_count"]) == ("lobby", 2, 2), rooms
    await b.ws.close()
    update = await a.next("room_update")
    assert update["data"] == {"user": "bob", "action": "left", "room": "lobby"}, update
    assert not [m for m in a.kept if m["type"] == "new_message"], a.kept  # not its own
    await a.ws.close()


async def hub_basics(url):
    a = await connect(url)
    welcome = (await a.next("welcome"))["data"]
    assert welcome["status"] == "connected" and "server_time" in welcome, welcome
    a_id = welcome["client_id"]
    b = await connect(url)
    b_id = (await b.next("welcome"))["data"]["client_id"]
    assert (await a.next("broadcast"))["data"] == {"user_count": 2}
    # registration, with a name and without
    assert await a.request("register", {"user": {"username": "ada"}}) == {
        "status": "registered", "username": "ada"}
    assert (await b.next("user_update"))["data"] == {"user": "ada", "action": "joined"}
    assert (await b.request("register", {}))["username"] == "Guest-" + b_id[:8]
    # a reply, and a broadcast to everyone
    assert (await a.request("chat_message", {"sender": "ada", "message": "hi"}))["status"] == \
        "delivered"
    for client in (a, b):
        update = (await client.next("chat_update"))["data"]
        assert (update["sender"], update["message"]) == ("ada", "hi"), update
    pong = await a.request("ping")
    assert pong["pong"] is True and pong["timestamp"] > 0, pong
    # data, or an error in the reply
    assert (await a.request("get_data", {"id": "42"}))["data"] == {"answer": 42}
    assert await a.request("get_data", {"id": "9"}) == {"error": "no record 9", "status": "error"}
    # a message sent from inside the handler comes before its reply
    await a.send("long_operation", None, 100)
    assert await a.receive() == {"type": "response", "data": {"status": "processing"}}
    assert await a.receive() == {"type": "response", "data": {"status": "complete", "result": 42},
                                 "id": 100}
    # a reply finished on a worker thread; the loop answers others meanwhile
    await a.send("slow_square", {"n": 12}, 200)
    assert (await a.request("get_data", {"id": "7"}))["data"] == {"answer": 7}
    assert (await a.next("response", 200))["data"] == {"square": 144}
    # the request's fields
    sent = await a.send("example_message", {"username": "ada"}, 300)
    fields = (await a.next("response", 300))["data"]
    assert fields["client_id"] == a_id and fields["message_type"] == "example_message", fields
    assert fields["data"] == {"username": "ada"} and fields["payload"] == sent, fields
    assert (fields["username"], fields["action"]) == ("ada", "view"), fields
    assert fields["remote_address"].startswith("127.0.0.1:"), fields
    # input validation
    assert (await a.request("update_profile", {"profile": {}}))["error"] == "Name is required"
    assert (await a.request("update_profile", {"profile": {"name": "Ada", "age": "x"}}))[
        "error"] == "Age must be a number"
    updated = await a.request("update_profile", {"profile": {"name": "Ada", "bio": "<b>hi</b>"}})
    assert updated == {"status": "updated",
                       "profile": {"name": "Ada", "bio": "&lt;b&gt;hi&lt;/b&gt;"}}, updated
    # broadcasts and the client list
    assert await a.request("announce", {"message": "maintenance"}) == {"recipients": 2}
    for client in (a, b):
        assert (await client.next("announcement"))["data"]["message"] == "maintenance"
    clients = await a.request("clients", {"client_id": b_id})
    assert clients["count"] == 2 and clients["connected"], clients
    assert sorted(clients["client_ids"]) == sorted([a_id, b_id]), clients
    # errors are envelopes, not dropped connections
    assert await a.error("no_such_type") == "unknown_type"
    await b.ws.close()
    assert (await a.next("broadcast"))["data"] == {"user_count": 1}
    await a.ws.close()


class WispCall:
    """seed 000's service actions, called as an operator would: `wisp call SERVICE ACTION JSON`."""

    def __init__(self, wisp, redis_url):
        self.wisp, self.redis_url = wisp, redis_url

    async def __call__(self, action, payload=None):
        """(exit status, JSON answer or the error text) of one call of realtime_service."""
        process = await asyncio.create_subprocess_exec(
            self.wisp, "call", "realtime_service", action, json.dumps(payload or {}),
            "--redis", self.redis_url, "--timeout", str(TIMEOUT),
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        out, err = await asyncio.wait_for(process.communicate(), TIMEOUT + 5)
        if process.returncode == 0:
            return 0, json.loads(out)
        return process.returncode, err.decode().strip()


async def hub_admin(url, call):
    for refused in ("/ws", "/ws?token=forged"):
        client = await connect(url, refused)
        assert await closed(client) == (1008, "invalid or missing token")
    a, b = await connect(url, "/ws?token=secret-ada"), await connect(url, "/ws?token=secret-bob")
    welcome = (await a.next("welcome"))["data"]
    assert re.fullmatch(r"client_127\.0\.0\.1_\d+_\d+", welcome["client_id"]), welcome
    assert (welcome["authenticated"], welcome["user_id"]) == (True, "ada"), welcome
    a_id, b_id = welcome["client_id"], (await b.next("welcome"))["data"]["client_id"]
    status = (await a.next("system_status"))["data"]
    assert status["active_users"] >= 1 and status["memory_kib"] > 0, status
    # send to one client, found by its metadata
    assert await call("notify_user", {"user_id": "bob", "message": "hi bob"}) == (
        0, {"delivered": True, "client_id": b_id})
    assert (await b.next("notification"))["data"]["message"] == "hi bob"
    assert await call("notify_user", {"user_id": "carol"}) == (
        1, "wisp call: User carol not connected")
    # the client list, and a filter on it
    status, listed = await call("get_connected_clients")
    assert status == 0 and listed["count"] == 2, listed
    assert listed["clients"][a_id]["user_id"] == "ada", listed
    assert listed["clients"][b_id]["remote_address"].startswith("127.0.0.1:"), listed
    assert (await call("find_inactive_clients", {"minutes": 30}))[1]["count"] == 0
    assert (await call("find_inactive_clients", {"minutes": 0}))[1]["count"] == 2
    # broadcast to a list, then to all (HTTP)
    assert http(url, "/admin/broadcast", {"type": "note", "data": {"n": 1},
                                          "client_ids": [a_id, "nobody"]})[1] == {"recipients": 1}
    assert (await a.next("note"))["data"] == {"n": 1}
    assert http(url, "/admin/broadcast", {"data": {"n": 2}})[1] == {"recipients": 2}
    for client in (a, b):
        assert (await client.next("broadcast"))["data"] == {"n": 2}
    assert not [m for m in b.kept if m["type"] == "note"], b.kept
    # the rate limit: 60 messages a minute, then errors
    for _ in range(60):
        assert (await a.request("whoami"))["client_id"] == a_id
    assert await a.error("whoami") == "rate_limited"
    # kick, with a notice
    assert await call("kick_client", {}) == (1, "wisp call: No client_id provided")
    assert await call("kick_client", {"client_id": b_id, "reason": "bye bob"}) == (
        0, {"success": True, "client_id": b_id})
    assert (await b.next("disconnect_notice"))["data"]["reason"] == "bye bob"
    assert await closed(b) == (1000, "bye bob")
    # graceful shutdown: the message, then the close, then the process ends (drive.py checks)
    assert await call("shutdown") == (0, {"shutdown_initiated": True})
    assert (await a.next("shutdown"))["data"]["expected_downtime"] == "10 minutes"
    assert (await closed(a))[0] == 1001
    return True  # the server stopped itself


async def hub_blueprints(url):
    a, b = await connect(url), await connect(url)
    for client in (a, b):
        assert (await client.next("welcome"))["data"]["welcome"] is True
        assert await client.request("join_room", {"room": "lobby"}) == {"joined": True,
                                                                         "room": "lobby"}
    assert await a.request("join_room", {"room": "lobby"}) == {"joined": False, "room": "lobby"}
    assert await a.request("send_message", {"room": "lobby", "text": "hi"}) == {"received": True}
    assert (await b.next("message"))["data"] == {"room": "lobby", "text": "hi"}
    await a.ws.close()
    await b.ws.close()


async def hub_team(url):
    a, b, c = await connect(url), await connect(url), await connect(url)
    ids = {}
    for name, client in (("a", a), ("b", b), ("c", c)):
        ids[name] = (await client.next("welcome"))["data"]["client_id"]
        assert await client.request("register", {"name": name}) == {"registered": True}
        assert (await client.request("join", {"room": "team"}))["room"] == "team"
    # Presence: a saw b and c come, with the names they registered; who lists all three.
    for name in ("b", "c"):
        event = (await a.next("presence_join"))["data"]
        assert event == {"room": "team", "client_id": ids[name],
                         "info": {"name": name, "registered": "true"}}, event
    who = await c.request("who", {"room": "team"})
    assert sorted((m["name"], m["client_id"]) for m in who) == sorted(
        (name, id_) for name, id_ in ids.items()), who
    assert await c.request("count", {"room": "team"}) == 3
    # a polls: b and c are asked, each with an ack id to answer under; both answer.
    await a.send("poll", {"room": "team", "question": "pizza?", "seconds": 5}, 100)
    for client, vote in ((b, "yes"), (c, "no")):
        question = await client.next("question")
        assert question["data"] == {"question": "pizza?", "from": ids["a"]}, question
        await client.send("ack", vote, question["ack"])
    result = (await a.next("response", 100))["data"]
    assert result == {"votes": {ids["b"]: "yes", ids["c"]: "no"}, "failed": {},
                      "complete": True}, result
    # c does not answer this time: the poll ends after its second, with b's vote only.
    await a.send("poll", {"room": "team", "question": "again?", "seconds": 1}, 101)
    await b.send("ack", "sure", (await b.next("question"))["ack"])
    await c.next("question")
    result = (await a.next("response", 101))["data"]
    assert result == {"votes": {ids["b"]: "sure"}, "failed": {}, "complete": False}, result
    # a asks b to confirm (a coroutine awaiting b's ack), and hears the answer.
    assert await a.request("ask_confirm", {"client_id": ids["b"], "what": "order"}) == {
        "asked": ids["b"]}
    confirm = await b.next("confirm")
    await b.send("ack", "confirmed!", confirm["ack"])
    assert (await a.next("confirmed"))["data"] == {"from": ids["b"], "ok": True,
                                                   "answer": "confirmed!"}
    await c.ws.close()
    for client in (a, b):
        assert (await client.next("presence_leave"))["data"] == {"room": "team",
                                                                "client_id": ids["c"]}
    assert await a.request("count", {"room": "team"}) == 2
    for client in (a, b):
        await client.ws.close()


SCENARIOS = {"hub_chat": hub_chat, "hub_basics": hub_basics, "hub_blueprints": hub_blueprints,
             "hub_team": hub_team}
# Scenarios of examples offering service actions: drive.py starts a redis-server, passes its url
# to the example, and gives the scenario a WispCall.
WITH_REDIS = {"hub_admin": hub_admin}
