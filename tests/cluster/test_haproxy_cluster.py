#!/usr/bin/python3
"""Seed 004's architecture end to end: deploy/haproxy's run-cluster (one redis-server, three
`wisp serve --redis` nodes, HAProxy with deploy/haproxy/haproxy.cfg) and Python `websockets`
clients (Debian's) on the demo's /ws event hub, all through the balancer.

Usage: /usr/bin/python3 test_haproxy_cluster.py PATH/TO/wisp [unittest args...]

Which node a client reached is the X-Wisp-Node header HAProxy adds to every answer (the 101
included). Parts that need the nodes to share Redis (a message from one node's client reaching
another node's) run when cluster_ready.py says so. Every wait is bounded (STEP seconds); every
process is started here and stopped by PID.
"""

import asyncio
import importlib.machinery
import importlib.util
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import unittest
import urllib.request

from cluster_ready import cluster_ready
from hub_client import STEP, Client

HERE = os.path.dirname(os.path.abspath(__file__))
RUN_CLUSTER = os.path.join(HERE, "..", "..", "deploy", "haproxy", "run-cluster")
WISP = None  # from argv[1]


def load_run_cluster():
    loader = importlib.machinery.SourceFileLoader("run_cluster", RUN_CLUSTER)
    spec = importlib.util.spec_from_loader("run_cluster", loader)
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


run_cluster = load_run_cluster()


def get(url, cookie=None):
    """GET url: (status, X-Wisp-Node, body)."""
    request = urllib.request.Request(url, headers={"Cookie": cookie} if cookie else {})
    with urllib.request.urlopen(request, timeout=STEP) as response:
        return response.status, response.headers.get("X-Wisp-Node"), response.read()


class ClusterTest(unittest.IsolatedAsyncioTestCase):
    async def asyncSetUp(self):
        self.logs = tempfile.TemporaryDirectory(prefix="wisp-cluster-test-")
        self.cluster = run_cluster.Cluster(WISP, self.logs.name)
        self.clients = []
        try:
            await asyncio.to_thread(self.cluster.start)
        except Exception:
            await asyncio.to_thread(self.cluster.stop)
            raise
        self.across, why = await asyncio.to_thread(cluster_ready, self.cluster.nodes["node1"].port)
        if not self.across:
            print(f"\n{self.id()}: cross-node parts left out: node1's {why}", file=sys.stderr)

    async def asyncTearDown(self):
        for client in self.clients:
            client.reader.cancel()
        await asyncio.to_thread(self.cluster.stop)
        self.logs.cleanup()

    async def client(self, name, node_cookie=None):
        client = await Client.connect(self.cluster.port, name, node_cookie)
        self.clients.append(client)
        return client

    async def test_new_connections_go_to_every_node_and_stay(self):
        first = [await self.client(f"user{i}") for i in range(3)]
        self.assertEqual({c.node for c in first}, set(run_cluster.NODES),
                         "three new WebSockets should land on the three nodes (round robin)")
        for node in run_cluster.NODES:
            sticky = await self.client(f"back-to-{node}", node_cookie=node)
            self.assertEqual(sticky.node, node, "the WISPNODE cookie should pick the node")
        url = f"{self.cluster.url}/healthz"
        nodes = {(await asyncio.to_thread(get, url))[1] for _ in range(3)}
        self.assertEqual(nodes, set(run_cluster.NODES), "HTTP is balanced the same way")
        for _ in range(3):
            status, node, _ = await asyncio.to_thread(get, url, "WISPNODE=node3")
            self.assertEqual((status, node), (200, "node3"), "HTTP sticks by the cookie too")

    async def test_chat_in_one_room_across_nodes_and_a_graceful_stop(self):
        alice = await self.client("alice", "node1")
        dave = await self.client("dave", "node1")
        bob = await self.client("bob", "node2")
        carol = await self.client("carol", "node3")
        self.assertEqual([c.node for c in (alice, dave, bob, carol)],
                         ["node1", "node1", "node2", "node3"])
        for c in (alice, dave, bob, carol):
            await c.enter_lobby()

        await alice.chat("hello from node1")
        await dave.got_chat("hello from node1", "alice")  # the same node: no Redis needed
        if self.across:
            await bob.got_chat("hello from node1", "alice")
            await carol.got_chat("hello from node1", "alice")
            await bob.chat("hello from node2")
            for c in (alice, dave, carol):
                await c.got_chat("hello from node2", "bob")

        # node2 stops gracefully: its clients get 1001 "going away" through the balancer...
        status = await asyncio.to_thread(self.cluster.stop_node, "node2")
        self.assertEqual(await bob.closed(), 1001)
        self.assertEqual(status, 0, "wisp serve should exit 0 after SIGTERM")
        # ... and reconnect through it: their cookie names node2, the balancer sends them on.
        bob = await Client.reconnect(self.cluster.port, "bob", "node2")
        self.clients.append(bob)
        self.assertIn(bob.node, ("node1", "node3"))
        await bob.enter_lobby()
        await bob.chat("bob is back")
        for c in (alice, dave, carol):
            if self.across or c.node == bob.node:
                await c.got_chat("bob is back", "bob")
        await alice.chat("welcome back")
        if self.across or bob.node == "node1":
            await bob.got_chat("welcome back", "alice")

        # The balancer keeps answering, from the live nodes only.
        for _ in range(6):
            status, node, _ = await asyncio.to_thread(get, f"{self.cluster.url}/healthz")
            self.assertEqual(status, 200)
            self.assertIn(node, ("node1", "node3"))


class RunClusterScriptTest(unittest.TestCase):
    """run-cluster as a user runs it: it prints the URL, serves, and Ctrl-C stops all it started."""

    def test_prints_the_url_and_stops_everything_on_ctrl_c(self):
        with tempfile.TemporaryDirectory() as logs:
            script = subprocess.Popen([sys.executable, RUN_CLUSTER, "--wisp", WISP, "--logs", logs],
                                      stdout=subprocess.PIPE, text=True)
            try:
                lines = []
                for line in script.stdout:  # ends at the URL line, or when the script exits
                    lines.append(line)
                    if "Ctrl-C" in line:
                        break
                pids = [int(p) for p in re.findall(r"\(pid (\d+)\)", "".join(lines))]
                url = re.search(r"open (http://\S+)/", "".join(lines))
                self.assertTrue(url, f"no URL in {lines}")
                self.assertEqual(len(pids), 5, "redis, three nodes and haproxy")
                self.assertEqual(get(url.group(1) + "/healthz")[0], 200)
                script.send_signal(signal.SIGINT)
                self.assertEqual(script.wait(timeout=4 * STEP), 0)
            finally:
                if script.poll() is None:
                    script.kill()
                    script.wait()
                script.stdout.close()
            for pid in pids:
                with self.assertRaises(ProcessLookupError, msg=f"pid {pid} still runs"):
                    os.kill(pid, 0)


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit("usage: test_haproxy_cluster.py PATH/TO/wisp [unittest args...]")
    WISP = os.path.abspath(sys.argv.pop(1))
    unittest.main(verbosity=2)
