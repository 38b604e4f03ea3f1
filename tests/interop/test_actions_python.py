"""Service actions across languages: Python (Debian's python3-redis) calls a wisp action, and
answers one that `wisp call` calls, through a real redis-server, speaking the documented format
(docs/service-actions.md) and nothing else.

usage: test_actions_python.py WISP_BIN ACTIONS_PEER_BIN
"""
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import uuid

import redis

WISP, PEER = sys.argv[1], sys.argv[2]
PREFIX = "wisp:"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class RedisServer:
    def __init__(self):
        self.port = free_port()
        self.dir = tempfile.TemporaryDirectory()
        self.process = subprocess.Popen(
            ["redis-server", "--bind", "127.0.0.1", "--port", str(self.port), "--save", "",
             "--appendonly", "no", "--dir", self.dir.name, "--logfile", self.dir.name + "/log"])
        self.url = f"redis://127.0.0.1:{self.port}"
        client = redis.Redis(port=self.port)
        deadline = time.monotonic() + 10
        while True:
            try:
                client.ping()
                return
            except redis.ConnectionError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.02)

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=10)
        self.dir.cleanup()


def call(client, service, action, payload, timeout=5.0):
    """A call as any language makes it: subscribe a reply channel, push the call on the
    service's queue, wait for the answer with the call's id."""
    caller = "py-" + uuid.uuid4().hex
    reply = PREFIX + "reply:" + caller
    pubsub = client.pubsub()
    pubsub.subscribe(reply)
    pubsub.get_message(timeout=timeout)  # the subscription's confirmation
    call_id = caller + ":1"
    deadline_ms = int(time.time() * 1000 + timeout * 1000)
    client.rpush(PREFIX + "svc:" + service, json.dumps(
        {"v": 1, "id": call_id, "action": action, "payload": payload, "reply": reply,
         "deadline": deadline_ms}))
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        message = pubsub.get_message(timeout=end - time.monotonic())
        if message and message["type"] == "message":
            answer = json.loads(message["data"])
            if answer["id"] == call_id:
                pubsub.close()
                return answer
    pubsub.close()
    raise TimeoutError(f"{service}.{action}: no answer")


def serve_once(client, service, handlers, done):
    """Offers `service` the way a wisp node does: take one call off its queue, answer it."""
    taken = client.blpop(PREFIX + "svc:" + service, timeout=10)
    if taken is None:
        done.append("nothing taken")
        return
    request = json.loads(taken[1])
    handler = handlers.get(request["action"])
    if handler is None:
        answer = {"v": 1, "id": request["id"], "ok": False,
                  "error": f"no action {request['action']}"}
    else:
        answer = {"v": 1, "id": request["id"], "ok": True, "result": handler(request["payload"])}
    client.publish(request["reply"], json.dumps(answer))
    done.append(request)


class ActionsAcrossLanguages(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.redis = RedisServer()
        cls.client = redis.Redis(port=cls.redis.port)
        cls.peer = subprocess.Popen([PEER, cls.redis.url, "wisp-svc"], stdin=subprocess.PIPE,
                                    stdout=subprocess.PIPE, text=True)
        line = cls.peer.stdout.readline()  # bounded by the test's CTest timeout
        assert line.strip() == "up", line

    @classmethod
    def tearDownClass(cls):
        cls.peer.stdin.close()
        cls.peer.wait(timeout=10)
        cls.redis.stop()

    def test_python_calls_a_wisp_action(self):
        answer = call(self.client, "wisp-svc", "add", {"a": 2, "b": 40})
        self.assertEqual(answer, {"v": 1, "id": answer["id"], "ok": True, "result": {"sum": 42}})

    def test_a_wisp_action_that_throws_answers_an_error(self):
        answer = call(self.client, "wisp-svc", "fail", {})
        self.assertFalse(answer["ok"])
        self.assertEqual(answer["error"], "failed on purpose")

    def wisp_call(self, *args):
        return subprocess.run([WISP, "call", *args, "--redis", self.redis.url], text=True,
                              capture_output=True, timeout=30)

    def test_wisp_calls_a_python_action(self):
        done = []
        server = threading.Thread(target=serve_once, args=(
            self.client, "py-svc", {"upper": lambda p: {"text": p["text"].upper()}}, done))
        server.start()
        result = self.wisp_call("py-svc", "upper", '{"text": "hello"}', "--timeout", "5")
        server.join()
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(json.loads(result.stdout), {"text": "HELLO"})
        self.assertEqual(done[0]["action"], "upper")
        self.assertGreater(done[0]["deadline"], time.time() * 1000 - 60000)

    def test_wisp_call_reports_a_python_error(self):
        done = []
        server = threading.Thread(target=serve_once, args=(self.client, "py-svc", {}, done))
        server.start()
        result = self.wisp_call("py-svc", "missing", "{}")
        server.join()
        self.assertEqual(result.returncode, 1)
        self.assertIn("no action missing", result.stderr)

    def test_wisp_call_times_out_with_no_service(self):
        result = self.wisp_call("nobody", "x", "{}", "--timeout", "0.3")
        self.assertEqual(result.returncode, 3)
        self.assertIn('no node of service "nobody" answered "x" within 300 ms', result.stderr)

    def test_wisp_call_refuses_bad_json(self):
        result = self.wisp_call("py-svc", "upper", "{oops")
        self.assertEqual(result.returncode, 2)
        self.assertIn("not JSON", result.stderr)


if __name__ == "__main__":
    unittest.main(argv=sys.argv[:1], verbosity=2)
