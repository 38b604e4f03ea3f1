#!/usr/bin/python3
"""The metrics a user reads about are the metrics wisp exports, and the dashboard asks for no other.

Starts `wisp serve --port 0`, opens and closes a WebSocket (so the labelled series exist too), reads
/metrics, and checks: every metric exported is in docs/metrics.md's table with its type and labels,
every metric in the table is exported, and every wisp_* name in the Grafana dashboard's queries is
exported. Usage: test_metrics_docs.py WISP_BINARY REPOSITORY_ROOT
"""
import asyncio
import json
import os
import re
import subprocess
import sys
import unittest
import urllib.request

import websockets

WISP, ROOT = sys.argv[1], sys.argv[2]
LISTEN_LINE = re.compile(r"^wisp serve: listening on (\S+):(\d+)$")
SAMPLE = re.compile(r"^(wisp_[a-z_]+)(\{[^}]*\})? ")


def start_server():
    proc = subprocess.Popen([WISP, "serve", "--host", "127.0.0.1", "--port", "0"],
                            stdout=subprocess.PIPE, text=True)
    for line in proc.stdout:  # the listening line comes first; bounded by the test's timeout
        match = LISTEN_LINE.match(line.strip())
        if match:
            return proc, int(match.group(2))
    raise RuntimeError(f"wisp serve ended without listening (status {proc.wait()})")


def exported(port):
    """{name: (type, labels)} from the exposition: TYPE lines, and the label names of samples."""
    text = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10).read().decode()
    metrics = {}
    for line in text.splitlines():
        if line.startswith("# TYPE "):
            _, _, name, kind = line.split()
            metrics[name] = (kind, set())
        elif (match := SAMPLE.match(line)) and match.group(2):
            labels = re.findall(r'([a-z_]+)="', match.group(2))
            metrics[match.group(1)][1].update(labels)
    return metrics


def documented():
    """{name: (type, labels)} from docs/metrics.md's table rows."""
    rows = {}
    with open(os.path.join(ROOT, "docs", "metrics.md")) as doc:
        for line in doc:
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            if len(cells) == 4 and cells[0].startswith("`wisp_"):
                labels = set(re.findall(r"`([a-z_]+)`", cells[2]))
                rows[cells[0].strip("`")] = (cells[1], labels)
    return rows


def dashboard_metrics():
    with open(os.path.join(ROOT, "deploy", "grafana", "wisp-dashboard.json")) as f:
        dashboard = json.load(f)
    names = set()
    queries = [t["expr"] for p in dashboard["panels"] for t in p["targets"]]
    queries += [v["query"] for v in dashboard["templating"]["list"] if v["type"] == "query"]
    for query in queries:
        names.update(re.findall(r"\bwisp_[a-z_]+", query))
    return names


class MetricsDocs(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.proc, port = start_server()

        async def open_and_close():
            async with websockets.connect(f"ws://127.0.0.1:{port}/echo", open_timeout=10) as ws:
                await ws.send("hi")
                await asyncio.wait_for(ws.recv(), 10)

        asyncio.run(open_and_close())
        cls.exported = exported(port)

    @classmethod
    def tearDownClass(cls):
        cls.proc.terminate()
        cls.proc.wait(timeout=10)

    def test_every_exported_metric_is_documented_with_its_type_and_labels(self):
        docs = documented()
        for name, (kind, labels) in self.exported.items():
            with self.subTest(metric=name):
                self.assertIn(name, docs, "missing from docs/metrics.md")
                self.assertEqual(docs[name][0], kind)
                self.assertTrue(labels <= docs[name][1], f"labels {labels} vs {docs[name][1]}")

    def test_every_documented_metric_is_exported(self):
        self.assertEqual(set(documented()) - set(self.exported), set())

    def test_the_dashboard_queries_only_exported_metrics(self):
        queried = dashboard_metrics()
        self.assertGreater(len(queried), 10)
        self.assertEqual(queried - set(self.exported), set())


if __name__ == "__main__":
    unittest.main(argv=sys.argv[:1], verbosity=2)
