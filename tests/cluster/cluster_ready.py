"""Whether wisp nodes sharing one Redis act as one server yet: the one switch of tests/cluster.

Until the Redis broker is merged, `wisp serve --redis` accepts the options and runs as one
process; the tests' cross-node parts need it done. They run when a node's /healthz names a "redis"
broker ("broker": "redis", or "broker": {"kind": "redis", ...}); WISP_CLUSTER_READY=1 forces them
whatever /healthz says, WISP_CLUSTER_READY=0 leaves them out.
"""
import json
import os
import urllib.request


def broker_kind(port, timeout=10.0):
    """The broker kind the node on 127.0.0.1:port names in /healthz (None if it names none)."""
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=timeout) as health:
        broker = json.loads(health.read()).get("broker")
    return broker.get("kind") if isinstance(broker, dict) else broker


def cluster_ready(port):
    """(ready, why): whether the cross-node parts run against the node on `port`, and why not."""
    flag = os.environ.get("WISP_CLUSTER_READY")
    if flag in ("0", "1"):
        return flag == "1", f"WISP_CLUSTER_READY={flag}"
    kind = broker_kind(port)
    return kind == "redis", f"/healthz names broker {kind!r}, not 'redis' (WISP_CLUSTER_READY=1 forces it)"
