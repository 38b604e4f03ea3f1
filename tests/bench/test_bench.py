#!/usr/bin/python3
"""Runs `wisp bench` modes briefly against `wisp serve --port 0` and checks their summaries.

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


def start_server(wisp, *options):
    server = subprocess.Popen([wisp, "serve", "--port", "0", *options], stdout=subprocess.PIPE,
                              text=True)
    for line in server.stdout:
        found = re.search(r"listening on 127\.0\.0\.1:(\d+)", line)
        if found:
            return server, int(found.group(1))
    server.kill()
    sys.exit("wisp serve did not say where it listens")


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


def run_all(wisp, runs, *options):
    server, port = start_server(wisp, *options)
    try:
        return [p for args in runs for p in bench(wisp, port, server.pid, *args)]
    finally:
        server.terminate()
        server.wait(timeout=10)


def main():
    wisp = sys.argv[1]
    problems = run_all(wisp, RUNS)
    with tempfile.TemporaryDirectory() as tmp:
        cert, key = os.path.join(tmp, "cert.pem"), os.path.join(tmp, "key.pem")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                        "ec_paramgen_curve:prime256v1", "-nodes", "-days", "1", "-subj",
                        "/CN=localhost", "-keyout", key, "-out", cert],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
        problems += run_all(wisp, TLS_RUNS, "--tls-cert", cert, "--tls-key", key)
    if problems:
        sys.exit("\n".join(problems))


if __name__ == "__main__":
    main()
