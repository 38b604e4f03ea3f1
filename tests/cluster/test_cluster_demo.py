#!/usr/bin/python3
"""The demo across nodes: two `wisp serve --redis` nodes sharing one redis-server (started here)
and Python `websockets` clients on each node's /ws event hub. A user on node A and one on node B
chat in one room and see each other in the lists: the join's member count, register's
available_rooms and GET /api/rooms are the cluster's, and the dashboard's $metrics room carries
each node's figures under its node id (the one /healthz names).

Usage: /usr/bin/python3 test_cluster_demo.py PATH/TO/wisp [unittest args...]

Every wait is bounded (STEP seconds); every process is started here and stopped by PID.
"""
import asyncio
import json
import os
import signal
import subprocess
import sys
import time
import unittest
import urllib.request

from cluster_processes import STEP, Redis, started, stop
from hub_client import Client

WISP = None  # from argv[1]


def get_json(port, path):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=STEP) as response:
        return json.loads(response.read())


def rooms_by_name(port):
    return {room["name"]: room for room in get_json(port, "/api/rooms")["rooms"]}


class TwoNodes(unittest.IsolatedAsyncioTestCase):
    """node-a and node-b: `wisp serve --redis` with NODE_OPTIONS, one redis-server."""
    NODE_OPTIONS = []

    async def asyncSetUp(self):
        self.processes, self.clients = [], []
        self.redis = Redis()
        self.processes.append(self.redis.process)
        self.ports, self.nodes = {}, {}
        for node in ("node-a", "node-b"):
            process, port, _ = started(
                [WISP, "serve", "--port", "0", "--redis", self.redis.url, "--node-id", node,
                 *self.NODE_OPTIONS], r"^wisp serve: listening on 127\.0\.0\.1:(\d+)$")
            self.processes.append(process)
            self.ports[node], self.nodes[node] = port, process

    async def asyncTearDown(self):
        for client in self.clients:
            client.reader.cancel()
        for process in reversed(self.processes):
            if process.poll() is None:
                process.send_signal(signal.SIGCONT)  # a frozen node, to hear SIGTERM
            await asyncio.to_thread(stop, process)


class ClusterDemoTest(TwoNodes):
    async def client(self, name, node):
        client = await Client.connect(self.ports[node], name)
        self.clients.append(client)
        return client

    async def until_rooms(self, node, expected, what):
        """GET /api/rooms on `node` until expected(rooms) holds: a count that changes when another
        node's client leaves has no event to await here (bounded by STEP)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + STEP
        while True:
            rooms = await asyncio.to_thread(rooms_by_name, self.ports[node])
            if expected(rooms):
                return rooms
            if loop.time() > deadline:
                raise AssertionError(f"{node}'s /api/rooms never showed {what}: {rooms}")
            await asyncio.sleep(0.05)

    async def test_each_node_names_its_broker_and_node(self):
        for node, port in self.ports.items():
            broker = (await asyncio.to_thread(get_json, port, "/healthz"))["broker"]
            self.assertEqual((broker["kind"], broker["up"], broker["node_id"]),
                             ("redis", True, node))

    async def test_users_on_two_nodes_chat_in_one_room_and_see_each_other(self):
        alice = await self.client("alice", "node-a")
        bob = await self.client("bob", "node-b")
        await alice.request("register", {"username": "alice"})
        joined = await alice.request("join_room", {"room": "lobby"})
        self.assertEqual(joined["members"], 1)
        await bob.request("register", {"username": "bob"})
        joined = await bob.request("join_room", {"room": "lobby"})
        self.assertEqual(joined["members"], 2, "the join's count is the cluster's")
        arrival = await alice.next_push("room_update", lambda d: d.get("user") == "bob")
        self.assertEqual(arrival, {"user": "bob", "action": "joined", "room": "lobby"})

        await alice.chat("hello from node-a")
        await bob.got_chat("hello from node-a", "alice")
        await bob.chat("hello from node-b")
        await alice.got_chat("hello from node-b", "bob")

        # A room only node-a has members in: node-b lists it, and offers it to a new user there.
        await alice.request("join_room", {"room": "attic"})
        for node in self.ports:
            rooms = await asyncio.to_thread(rooms_by_name, self.ports[node])
            self.assertEqual(sorted(rooms), ["attic", "lobby"], f"{node}: the rooms of both nodes")
            self.assertEqual(rooms["lobby"]["members"], 2, f"{node}: lobby's members on both")
            self.assertEqual(rooms["attic"]["members"], 1, node)
        self.assertIsNone(rooms["attic"]["created_at"], "node-b has no history of attic")
        carol = await self.client("carol", "node-b")
        registered = await carol.request("register", {"username": "carol"})
        self.assertEqual(registered["available_rooms"], ["attic", "lobby"])

        # bob leaves (his node goes on): node-a's list loses him, and alice hears of it.
        await bob.close()
        departure = await alice.next_push("room_update", lambda d: d.get("user") == "bob")
        self.assertEqual(departure["action"], "left")
        await self.until_rooms("node-a", lambda r: r["lobby"]["members"] == 1, "lobby with 1")

    async def test_the_dashboard_shows_every_node_by_its_id(self):
        watcher = await self.client("watcher", "node-a")
        await self.client("other", "node-b")
        joined = await watcher.request("join", {"room": "$metrics"})
        self.assertEqual(joined["room"], "$metrics")
        own = await watcher.next_push(
            "metrics", lambda d: d.get("node") == "node-a" and d.get("cluster_clients") == 2)
        self.assertEqual(own["hub_clients"], 1, "node-a's own clients")
        other = await watcher.next_push("metrics", lambda d: d.get("node") == "node-b")
        self.assertEqual(other["hub_clients"], 1, "node-b's own clients")
        self.assertEqual(other["cluster_clients"], 2)


class NodeTimeoutTest(TwoNodes):
    """--heartbeat and --node-timeout: a node frozen (SIGSTOP: its connections stay open, so only
    its silence tells) is reaped by the other from Redis' node set (docs/redis-wire-format.md)
    within the timeout and a beat; with the defaults (15 s) this would outlast STEP."""
    NODE_OPTIONS = ["--heartbeat", "200", "--node-timeout", "1000"]

    def nodes_in_redis(self):
        import redis  # Debian's python3-redis
        with redis.Redis(host="127.0.0.1", port=self.redis.port, socket_timeout=STEP) as r:
            return {name.decode() for name in r.zrange("wisp:nodes", 0, -1)}

    def until_nodes(self, expected):
        deadline = time.monotonic() + STEP
        while (nodes := self.nodes_in_redis()) != expected:
            if time.monotonic() > deadline:
                raise AssertionError(f"Redis' node set stayed {nodes}, expected {expected}")
            time.sleep(0.05)  # Redis has no event to await for a key's change here

    async def test_a_silent_node_is_reaped_within_the_node_timeout(self):
        await asyncio.to_thread(self.until_nodes, {"node-a", "node-b"})
        self.nodes["node-b"].send_signal(signal.SIGSTOP)
        await asyncio.to_thread(self.until_nodes, {"node-a"})
        self.nodes["node-b"].send_signal(signal.SIGCONT)
        await asyncio.to_thread(self.until_nodes, {"node-a", "node-b"})  # it beats again



class ServeOptionsTest(unittest.TestCase):
    """The options as `wisp serve` checks and documents them (no Redis needed: it never starts)."""

    def test_the_heartbeat_must_be_shorter_than_the_timeout(self):
        done = subprocess.run(
            [WISP, "serve", "--port", "0", "--redis", "redis://127.0.0.1:1", "--heartbeat", "2000",
             "--node-timeout", "1000"], capture_output=True, text=True, timeout=STEP)
        self.assertNotEqual(done.returncode, 0)
        self.assertIn("--heartbeat: must be shorter than --node-timeout (1000 ms)", done.stderr)

    def test_serve_help_documents_them(self):
        done = subprocess.run([WISP, "serve", "--help"], capture_output=True, text=True,
                              timeout=STEP)
        self.assertRegex(done.stdout, r"--heartbeat UINT.*=5000")
        self.assertRegex(done.stdout, r"--node-timeout UINT.*=15000")


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit("usage: test_cluster_demo.py PATH/TO/wisp [unittest args...]")
    WISP = os.path.abspath(sys.argv.pop(1))
    unittest.main(verbosity=2)
