"""Examples that need more than a client: examples/feed_relay.cpp (a wisp::Client following an
upstream server this script runs, reconnecting when it goes away), examples/hub_bot.cpp (a
wisp::HubClient on `wisp serve`'s chat, through a restart of the server) and
examples/tls_server.cpp (certificates made here with openssl: wss verified against them, SNI, a
reload on SIGHUP)."""
import asyncio
import json
import signal
import socket
import ssl
import subprocess
import tempfile
import time

import websockets

TIMEOUT = 10


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


async def expect(ws, wanted):
    got = await asyncio.wait_for(ws.recv(), TIMEOUT)
    assert got == wanted, f"expected {wanted!r}, got {got!r}"


async def feed_relay(url, upstream_port):
    subscribed = asyncio.Queue()  # each upstream connection the relay made, once it subscribed

    async def upstream(ws, path=None):
        assert await ws.recv() == "subscribe"
        await subscribed.put(ws)
        await ws.wait_closed()

    async with websockets.serve(upstream, "127.0.0.1", upstream_port):
        async with websockets.connect(url + "/feed") as reader:
            feed = await asyncio.wait_for(subscribed.get(), TIMEOUT)
            await feed.send("tick 1")
            await feed.send(b"\x00\x01binary")
            await expect(reader, "tick 1")
            await expect(reader, b"\x00\x01binary")
            await feed.close(1001, "upstream restarting")  # the relay reconnects by itself
            feed = await asyncio.wait_for(subscribed.get(), TIMEOUT)
            await feed.send("tick 2")
            await expect(reader, "tick 2")  # the same reader: the relay's clients stayed


class WispServe:
    """`wisp serve` on a given loopback port, started and stopped (SIGTERM, by PID) here."""

    def __init__(self, wisp, port):
        self.process = subprocess.Popen([wisp, "serve", "--host", "127.0.0.1", "--port", str(port),
                                         "--log-level", "warn"], stdout=subprocess.PIPE, text=True)
        first = self.process.stdout.readline()
        assert "listening on" in first, f"unexpected first line {first!r}"

    def stop(self):
        self.process.send_signal(signal.SIGTERM)
        assert self.process.wait(TIMEOUT) == 0, "wisp serve did not stop cleanly"


async def chat_user(url, name):
    """A chat user of wisp serve's demo, in the lobby; returns (connection, members there)."""
    ws = await websockets.connect(url)
    await ws.send(json.dumps({"type": "register", "data": {"username": name}, "id": 1}))
    await ws.send(json.dumps({"type": "join_room", "data": {"room": "lobby"}, "id": 2}))
    while (answer := json.loads(await asyncio.wait_for(ws.recv(), TIMEOUT))).get("id") != 2:
        pass
    return ws, answer["data"]["members"]


async def next_of(ws, wanted):
    """The next message for which wanted(message) holds, others skipped."""
    while not wanted(message := json.loads(await asyncio.wait_for(ws.recv(), TIMEOUT))):
        pass
    return message


def bot_joined(message):
    return message["type"] == "room_update" and message["data"]["user"] == "bot" \
        and message["data"]["action"] == "joined"


async def ask_bot(ws, members_when_joined):
    if members_when_joined < 2:  # the bot was not there yet: it joins after this user
        await next_of(ws, bot_joined)
    await ws.send(json.dumps({"type": "chat_message", "data": {"room": "lobby", "message": "!echo hi"}}))
    said = await next_of(ws, lambda m: m["type"] == "new_message")
    assert (said["data"]["sender"], said["data"]["text"]) == ("bot", "hi"), said


def hub_bot(bot_binary, wisp):
    port = free_port()
    url = f"ws://127.0.0.1:{port}/ws"
    server = WispServe(wisp, port)
    bot = subprocess.Popen([bot_binary, url, "lobby"], stdout=subprocess.PIPE, text=True)
    try:
        async def before_and_after_a_restart():
            nonlocal server
            ws, members = await chat_user(url, "ada")
            await ask_bot(ws, members)
            await ws.close()
            server.stop()  # the bot's client reconnects by itself, then registers and joins again
            server = WispServe(wisp, port)
            ws, members = await chat_user(url, "ada")
            await ask_bot(ws, members)
            await ws.close()
        asyncio.run(before_and_after_a_restart())
        bot.send_signal(signal.SIGTERM)
        said = bot.communicate(timeout=TIMEOUT)[0].splitlines()
        assert bot.returncode == 0, f"the bot did not stop cleanly: {said}"
        assert said[:2] == ["connected", "joined lobby"], said
        assert said[2].startswith("connection lost (1001), attempt 1 in "), said
        assert said[-2:] == ["reconnected", "closed: 1001 bot stopping"], said
    finally:
        for process in (bot, server.process):
            if process.poll() is None:
                process.kill()


def make_certificate(directory, name, host):
    cert, key = f"{directory}/{name}.pem", f"{directory}/{name}-key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:prime256v1", "-nodes", "-days", "1", "-subj", f"/CN={host}",
                    "-addext", f"subjectAltName=DNS:{host}", "-keyout", key, "-out", cert],
                   check=True, capture_output=True, timeout=TIMEOUT)
    return cert, key


async def wss_echo(port, host, ca_file):
    """Echoes one message over wss://, verifying the server's certificate against ca_file."""
    context = ssl.create_default_context(cafile=ca_file)
    async with websockets.connect(f"wss://127.0.0.1:{port}/echo", ssl=context,
                                  server_hostname=host, open_timeout=TIMEOUT) as ws:
        await ws.send(f"hello {host}")
        await expect(ws, f"hello {host}")


async def tls_server(url, server, directory, first_cert):
    tls_port = int(server.stdout.readline().split(":")[-1])
    await wss_echo(tls_port, "localhost", first_cert)
    await wss_echo(tls_port, "api.example.test", f"{directory}/sni.pem")  # picked by SNI
    async with websockets.connect(url + "/echo") as plain:  # the plain port beside it
        await plain.send("plain")
        await expect(plain, "plain")
        # A new certificate in the same files, then SIGHUP: new connections get it, the open
        # one goes on.
        renewed, _ = make_certificate(directory, "main", "localhost")
        server.send_signal(signal.SIGHUP)
        deadline = time.monotonic() + TIMEOUT
        while True:
            try:
                await wss_echo(tls_port, "localhost", renewed)
                break
            except ssl.SSLCertVerificationError:  # not reloaded yet: the signal is asynchronous
                assert time.monotonic() < deadline, "SIGHUP did not reload the certificate"
                await asyncio.sleep(0.05)
        await plain.send("still here")
        await expect(plain, "still here")


def run(binary, scenario, run_example, extra):
    if scenario == "hub_bot":
        hub_bot(binary, extra[0])
    elif scenario == "feed_relay":
        port = free_port()
        run_example([binary, "0", f"ws://127.0.0.1:{port}/feed"],
                    lambda url: feed_relay(url, port))
    else:
        with tempfile.TemporaryDirectory() as directory:
            cert, key = make_certificate(directory, "main", "localhost")
            make_certificate(directory, "sni", "api.example.test")
            first = f"{directory}/first.pem"
            subprocess.run(["cp", cert, first], check=True)
            run_example([binary, "0", cert, key, "api.example.test", f"{directory}/sni.pem",
                         f"{directory}/sni-key.pem"],
                        lambda url, server: tls_server(url, server, directory, first),
                        with_server=True)


SCENARIOS = {"feed_relay", "hub_bot", "tls_server"}
