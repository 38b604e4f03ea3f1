"""A Python websockets server for the C++ client's interop tests: prints its port, then serves
until stdin closes. Paths: /echo echoes, /fragmented sends one message in three frames, /ping
pings and reports the pong, /close closes with 4001 "bye". With --tls CERT KEY it speaks wss.
"""
import asyncio
import ssl
import sys

import websockets


async def handler(ws, path):
    if path == "/echo":
        async for message in ws:
            await ws.send(message)
    elif path == "/fragmented":
        await ws.send(iter(["frag", "men", "ted"]))
        await ws.wait_closed()
    elif path == "/ping":
        pong = await ws.ping(b"are you there")
        await asyncio.wait_for(pong, 5)
        await ws.send("pong received")
        await ws.wait_closed()
    elif path == "/close":
        await ws.close(4001, "bye")


async def main():
    context = None
    if len(sys.argv) == 4 and sys.argv[1] == "--tls":
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(sys.argv[2], sys.argv[3])
    async with websockets.serve(handler, "127.0.0.1", 0, ssl=context, max_size=2**21) as server:
        print(server.sockets[0].getsockname()[1], flush=True)
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(None, sys.stdin.read)  # until the test closes our stdin


asyncio.run(main())
