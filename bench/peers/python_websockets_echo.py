#!/usr/bin/python3
"""Python `websockets` echo server for wisp's benchmarks (Debian python3-websockets).

Any path; text comes back as text, bytes as bytes. Usage: python_websockets_echo.py PORT
"""
import asyncio
import sys

import websockets


async def echo(ws, *_path):  # websockets < 10.1 passes the path too
    async for message in ws:
        await ws.send(message)


async def main(port):
    async with websockets.serve(echo, "127.0.0.1", port, max_size=16 * 1024 * 1024,
                                compression=None):
        print(f"python_websockets_echo: listening on 127.0.0.1:{port}", flush=True)
        await asyncio.Future()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 9001))
