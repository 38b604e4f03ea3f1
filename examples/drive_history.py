"""examples/hub_history.cpp as a client sees it: join_room's history, offsets and epochs in room
messages, and recovery after a dropped connection (recovered, then refused for a wrong epoch)."""
from drive_hub import connect


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


SCENARIOS = {"hub_history": hub_history}
