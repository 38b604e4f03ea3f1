#!/usr/bin/python3
"""Runs `wisp bench` modes briefly against `wisp serve --port 0` (plain and over TLS) and checks
their summaries, and the hub mode's Socket.IO protocol against bench/peers' Socket.IO server
(pinging every 100 ms, so the load's pongs are needed to stay connected).

Usage: test_bench.py path/to/wisp
"""
import json
import os
import re
import subprocess
import sys
import tempfile


# Each mode `wisp serve` has a route for, briefly (hub: its /ws event hub, type echo).
RUNS = [
    ["echo", "--connections", "10"],
    ["echo", "--connections", "4", "--size", "70000", "--binary", "--rate", "2000"],
    ["fanout", "--connections", "20", "--rate", "200"],
    ["connect", "--rate", "200"],
    ["idle", "--connections", "200"],
    ["http", "--connections", "10"],
    ["http", "--connections", "4", "--pipeline", "8"],
    ["hub", "--connections", "10"],
]


# The same over TLS (`--tls`), against `wisp serve` with a certificate made here.
TLS_RUNS = [
    ["echo", "--connections", "4", "--tls"],
    ["http", "--connections", "4", "--pipeline", "4", "--tls"],
]


SOCKETIO_RUN = ["hub", "--protocol", "socketio", "--connections", "10"]
PEERS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "bench", "peers")


def start_server(command):
    server = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    for line in server.stdout:
        found = re.search(r"listening on 127\.0\.0\.1:(\d+)", line)
        if found:
            return server, int(found.group(1))
    server.kill()
    sys.exit(f"{command[0]} did not say where it listens")


def run_against(command, runs, wisp):
    server, port = start_server(command)
    try:
        return [p for args in runs for p in bench(wisp, port, server.pid, *args)]
    finally:
        server.terminate()
        server.wait(timeout=10)


def bench(wisp, port, server_pid, *args):
    command = [wisp, "bench", *args, "--port", str(port), "--pid", str(server_pid),
               "--duration", "1", "--warmup", "0.3", "--json", "--quiet"]
    done = subprocess.run(command, stdout=subprocess.PIPE, text=True, timeout=30)
    summary = json.loads(done.stdout)
    print(" ".join(args), "->", summary)
    problems = []
    if done.returncode != 0:
        problems.append(f"exit status {done.returncode}")
    if summary["errors"] != 0:
        problems.append(f"{summary['errors']} errors")
    if summary["messages"] <= 0 and args[0] != "idle":
        problems.append("no messages")
    if summary["server_cpu_pct"] < 0:
        problems.append("no server CPU for --pid")
    return [f"{' '.join(args)}: {p}" for p in problems]


def main():
    wisp = sys.argv[1]
    serve = [wisp, "serve", "--port", "0"]
    problems = run_against(serve, RUNS, wisp)
    with tempfile.TemporaryDirectory() as tmp:
        cert, key = os.path.join(tmp, "cert.pem"), os.path.join(tmp, "key.pem")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                        "ec_paramgen_curve:prime256v1", "-nodes", "-days", "1", "-subj",
                        "/CN=localhost", "-keyout", key, "-out", cert],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
        problems += run_against(serve + ["--tls-cert", cert, "--tls-key", key], TLS_RUNS, wisp)
    if not os.path.isdir(os.path.join(PEERS, "node_modules", "socket.io")):
        sys.exit("bench/peers/node_modules has no socket.io: run scripts/install-deps")
    problems += run_against(["node", os.path.join(PEERS, "socketio_server.mjs"), "0", "100"],
                            [SOCKETIO_RUN], wisp)
    if problems:
        sys.exit("\n".join(problems))


if __name__ == "__main__":
    main()
