#!/usr/bin/python3
"""`wisp bench fanout --ports A,B` across two nodes sharing one Redis (a redis-server started
here): against bench/peers' Socket.IO server with @socket.io/redis-adapter (two Node processes),
against two nodes that share nothing (the load must fail: the second node's receivers never get a
message), and against two `wisp serve --redis` nodes once they act as one server.

Usage: /usr/bin/python3 test_cluster_fanout.py PATH/TO/wisp [unittest args...]

The wisp case runs when cluster_ready.py says the nodes act as one server. Figures are never
asserted (bench/run measures): only that every message reached every receiver, in order.
"""
import json
import os
import subprocess
import sys
import unittest

from cluster_processes import STEP, Redis, started, stop
from cluster_ready import cluster_ready

HERE = os.path.dirname(os.path.abspath(__file__))
PEERS = os.path.join(HERE, "..", "..", "bench", "peers")
SOCKETIO_FANOUT = os.path.join(PEERS, "socketio_redis_fanout.mjs")
WISP = None  # from argv[1]


def bench_fanout(ports, pids, *extra):
    command = [WISP, "bench", "fanout", "--ports", ",".join(map(str, ports)), "--pid",
               ",".join(map(str, pids)), "--connections", "20", "--rate", "200", "--duration",
               "1", "--warmup", "0.3", "--json", "--quiet", *extra]
    done = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                          timeout=6 * STEP)
    return done.returncode, json.loads(done.stdout) if done.stdout.strip() else None, done.stderr


class ClusterFanoutTest(unittest.TestCase):
    def setUp(self):
        self.processes = []
        self.redis = Redis()
        self.processes.append(self.redis.process)

    def tearDown(self):
        for process in reversed(self.processes):
            stop(process)

    def start(self, command, pattern):
        process, port, line = started(command, pattern)
        self.processes.append(process)
        return process, port, line

    def socketio_node(self, *redis_url):
        process, port, _ = self.start(["node", SOCKETIO_FANOUT, "0", *redis_url],
                                      r"listening on 127\.0\.0\.1:(\d+)")
        return process, port

    def wisp_node(self, node_id):
        process, port, _ = self.start(
            [WISP, "serve", "--port", "0", "--redis", self.redis.url, "--node-id", node_id],
            r"^wisp serve: listening on 127\.0\.0\.1:(\d+)$")
        return process, port

    def assert_every_message_everywhere(self, result, stderr):
        self.assertIsNotNone(result, stderr)
        self.assertEqual(result["errors"], 0, stderr)
        self.assertEqual(result["servers"], 2)
        self.assertGreater(result["messages"], 0)
        self.assertGreaterEqual(result["server_cpu_pct"], 0, "--pid A,B: both servers' CPU")
        self.assertGreaterEqual(result["redis_cpu_pct"], 0, "--redis-pid: Redis' CPU")

    def test_socketio_nodes_sharing_redis(self):
        nodes = [self.socketio_node(self.redis.url) for _ in range(2)]
        status, result, stderr = bench_fanout([p for _, p in nodes], [n.pid for n, _ in nodes],
                                              "--protocol", "socketio", "--redis-pid",
                                              str(self.redis.process.pid))
        self.assertEqual(status, 0, stderr)
        self.assert_every_message_everywhere(result, stderr)

    def test_nodes_sharing_nothing_fail_the_load(self):
        nodes = [self.socketio_node() for _ in range(2)]
        status, _, stderr = bench_fanout([p for _, p in nodes], [n.pid for n, _ in nodes],
                                         "--protocol", "socketio")
        self.assertEqual(status, 1)
        self.assertIn("not every connection got the first message", stderr)

    def test_wisp_node_listed_twice(self):
        # The wisp side of --ports (priming, the slowest-node window) without a cluster: both
        # "servers" are one node, so every receiver gets every message today.
        node, port = self.wisp_node("node-a")
        status, result, stderr = bench_fanout([port, port], [node.pid], "--redis-pid",
                                              str(self.redis.process.pid))
        self.assertEqual(status, 0, stderr)
        self.assert_every_message_everywhere(result, stderr)

    def test_wisp_serve_names_its_node(self):
        _, _, first = self.start(
            [WISP, "serve", "--port", "0", "--redis", "redis://:secret@127.0.0.1:1", "--node-id",
             "node-a"], r"listening on 127\.0\.0\.1:(\d+)")
        process = self.processes[-1]
        second = process.stdout.readline()
        self.assertRegex(first, r"^wisp serve: listening on 127\.0\.0\.1:\d+$")
        self.assertEqual(second.strip(),
                         "node node-a of the cluster on redis://:***@127.0.0.1:1 (prefix wisp:)")

    def test_wisp_nodes_sharing_redis(self):
        nodes = [self.wisp_node(name) for name in ("node-a", "node-b")]
        ready, why = cluster_ready(nodes[0][1])
        if not ready:
            self.skipTest(f"node-a's {why}")
        status, result, stderr = bench_fanout([p for _, p in nodes], [n.pid for n, _ in nodes],
                                              "--redis-pid", str(self.redis.process.pid))
        self.assertEqual(status, 0, stderr)
        self.assert_every_message_everywhere(result, stderr)


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit("usage: test_cluster_fanout.py PATH/TO/wisp [unittest args...]")
    WISP = os.path.abspath(sys.argv.pop(1))
    unittest.main(verbosity=2)
