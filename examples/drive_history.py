"""examples/hub_history.cpp and examples/topic_history.cpp as a client sees them: history,
offsets and epochs in room (topic) messages, and recovery after a dropped connection (recovered,
then refused for a wrong epoch)."""
import asyncio
import json
import urllib.request

import websockets

from drive_hub import connect

TIMEOUT = 10


async def hub_history(url):
    a, b = await connect(url), await connect(url)
    joined = await a.request("join_room", {"room": "lobby"})
    assert (joined["offset"], joined["history"]) == (0, []), joined
    epoch = joined["epoch"]
    await b.request("join_room", {"room": "lobby"})
    for n in range(1, 4):
        await b.request("chat_message", {"room": "lobby", "message": f"m{n}"})
        said = await a.next("new_message")
        assert (said["data"]["text"], said["offset"], said["epoch"]) == (f"m{n}", n, epoch), said
    await a.ws.close()  # gone: what follows is missed
    for n in range(4, 7):
        await b.request("chat_message", {"room": "lobby", "message": f"m{n}"})

    back = await connect(url)
    await back.send("join_room", {"room": "lobby", "since": {"offset": 3, "epoch": epoch}}, 1)
    missed = [await back.next("new_message") for _ in range(3)]
    assert [(m["offset"], m["data"]["text"]) for m in missed] == [(4, "m4"), (5, "m5"), (6, "m6")]
    answer = (await back.next("response", 1))["data"]
    assert (answer["recovered"], answer["offset"], answer["epoch"]) == (True, 6, epoch), answer
    assert [m["data"]["text"] for m in answer["history"]] == [f"m{n}" for n in range(1, 7)]

    late = await connect(url)
    refused = await late.request("join_room",
                                 {"room": "lobby", "since": {"offset": 3, "epoch": "gone"}})
    assert (refused["recovered"], refused["reason"]) == (False, "epoch changed"), refused
    stats = await late.request("history_stats")
    assert (stats["messages"], stats["recovered"], stats["recovery_refused"]) == (6, 1, 1), stats
    for client in (b, back, late):
        await client.ws.close()


async def next_json(ws):
    return json.loads(await asyncio.wait_for(ws.recv(), TIMEOUT))


async def topic_history(url):
    first = await websockets.connect(url + "/news")
    start = await next_json(first)
    assert (start["type"], start["recovered"], start["reason"], start["offset"]) == (
        "subscribed", False, "", 0), start
    epoch = start["epoch"]
    poster = await websockets.connect(url + "/news")
    await next_json(poster)
    for n in range(1, 4):
        await poster.send(f"post:m{n}")
        news = await next_json(first)
        assert (news["type"], news["offset"], news["epoch"], news["text"]) == (
            "news", n, epoch, f"m{n}"), news
    await first.close()  # gone: what follows is missed
    for n in range(4, 7):
        await poster.send(f"post:m{n}")
    while (await next_json(poster))["offset"] < 6:  # the poster is subscribed: all have been kept
        pass

    back = await websockets.connect(f"{url}/news?epoch={epoch}&offset=3")
    missed = [await next_json(back) for _ in range(3)]
    assert [(m["offset"], m["text"]) for m in missed] == [(4, "m4"), (5, "m5"), (6, "m6")], missed
    answer = await next_json(back)
    assert (answer["type"], answer["recovered"], answer["offset"]) == ("subscribed", True, 6), answer

    late = await websockets.connect(f"{url}/news?epoch=gone&offset=3")
    refused = await next_json(late)
    assert (refused["recovered"], refused["reason"]) == (False, "epoch changed"), refused
    http = url.replace("ws://", "http://")
    with urllib.request.urlopen(http + "/news", timeout=TIMEOUT) as response:
        kept = json.loads(response.read())
    assert [m["text"] for m in kept["messages"]] == [f"m{n}" for n in range(1, 7)], kept
    with urllib.request.urlopen(http + "/metrics", timeout=TIMEOUT) as response:
        metrics = response.read().decode()
    assert "\nwisp_topic_history_recovered_total 1\n" in metrics, metrics
    for client in (poster, back, late):
        await client.close()


SCENARIOS = {"hub_history": hub_history, "topic_history": topic_history}
