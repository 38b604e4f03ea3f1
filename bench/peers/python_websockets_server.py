#!/usr/bin/python3
"""Python `websockets` server for wisp's benchmarks (Debian python3-websockets).

One route per `wisp bench` mode: /fanout publishes every message to every /fanout client (the
sender included); /ws is an event hub answering {"type":"echo","data":..,"id":..} with
{"type":"response","data":..,"id":..}; any other path echoes, text as text and bytes as bytes.
Usage: python_websockets_server.py PORT
"""
import asyncio
import json
import sys

import websockets

fanout = set()


async def hub(ws):
    async for message in ws:
        try:
            request = json.loads(message)
        except ValueError:
            await ws.send(json.dumps({"type": "error", "data": {"code": "invalid_json"}}))
            continue
        if request.get("type") == "echo":
            reply = {"type": "response", "data": request.get("data"), "id": request.get("id")}
        else:
            reply = {"type": "error", "data": {"code": "unknown_type"}, "id": request.get("id")}
        await ws.send(json.dumps(reply))


async def publish(ws):
    fanout.add(ws)
    try:
        async for message in ws:
            websockets.broadcast(fanout, message)
    finally:
        fanout.discard(ws)


async def echo(ws):
    async for message in ws:
        await ws.send(message)


async def route(ws, path=None):  # websockets < 10.1 passes the path; later ones keep it on ws
    path = path if path is not None else ws.path
    if path == "/fanout":
        await publish(ws)
    elif path == "/ws":
        await hub(ws)
    else:
        await echo(ws)


async def main(port):
    async with websockets.serve(route, "127.0.0.1", port, max_size=16 * 1024 * 1024,
                                compression=None):
        print(f"python_websockets_server: listening on 127.0.0.1:{port}", flush=True)
        await asyncio.Future()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 9001))
