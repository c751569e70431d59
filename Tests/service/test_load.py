"""Load with every training slot busy (a short run of scripts/load-test), and
slow clients: connections trickling their requests byte by byte must not
hold back anyone else."""

import os
import socket
import statistics
import time

import pytest
import requests

import load
from harness import small_model

SECONDS = int(os.environ.get("LOAD_SECONDS", "5"))


@pytest.mark.skipif(load.shutil.which("wrk") is None, reason="wrk is not installed (scripts/install-system-packages test)")
def test_status_samples_and_generate_under_load_with_every_slot_busy(make_server, figures):
    server = make_server(max_jobs=2, checkpoint_seconds=2).start()
    results = load.run(server, SECONDS)
    for name, result in results.items():
        figures.record(f"load {name} ({SECONDS} s, 16 connections, every slot busy)", result)
    for name, result in results.items():
        assert result["requests"] > 0, f"{name}: no request completed"
        assert result["errors"] == 0, f"{name}: {result['non2xx']} non-2xx answers, {result['socket_errors']} socket errors"
    assert server.alive()


def latencies(server, path, count, body=None):
    """Sequential requests on fresh connections; their latencies in ms."""
    times = []
    for _ in range(count):
        started = time.monotonic()
        reply = requests.post(server.base + path, json=body, timeout=10) if body is not None \
            else requests.get(server.base + path, timeout=10)
        times.append((time.monotonic() - started) * 1000)
        assert reply.status_code == 200, reply.text
    return times


def p99(values):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]


class Trickler:
    """Many sockets, each sending a complete request one byte at a time."""

    def __init__(self, port, requests_by_socket):
        self.pending = []
        for payload in requests_by_socket:
            sock = socket.create_connection(("127.0.0.1", port), timeout=10)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self.pending.append([sock, payload, 0])

    def step(self):
        """Sends the next byte on every socket that has one left."""
        for entry in self.pending:
            sock, payload, sent = entry
            if sent < len(payload):
                sock.send(payload[sent:sent + 1])
                entry[2] += 1

    @property
    def done(self):
        return all(sent == len(payload) for _, payload, sent in self.pending)

    def close(self):
        for sock, _, _ in self.pending:
            sock.close()


def test_slow_clients_do_not_block_others(make_server, figures):
    # Trickling a whole request takes several seconds: longer than any idle
    # timeout this test means to measure (test_idle_connections.py has those).
    server = make_server(max_jobs=2, checkpoint_seconds=2, extra_args=["--idle-timeout", "120"]).start()
    first = server.create(small_model(name="slow a"))
    server.create(small_model(name="slow b", seed=2))
    server.wait_ticks(first, 100)
    baseline = latencies(server, f"/api/models/{first}", 100)

    host = f"Host: 127.0.0.1:{server.port}\r\n"
    get = (f"GET /api/models/{first} HTTP/1.1\r\n{host}\r\n").encode()
    body = b'{"context":"the ca","top_k":3}'
    post = (f"POST /api/models/{first}/predict HTTP/1.1\r\n{host}Content-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n\r\n").encode() + body
    slow = 150
    trickler = Trickler(server.port, [get if index % 3 else post for index in range(slow)])
    try:
        during = []
        started = time.monotonic()
        while not trickler.done:
            trickler.step()
            # Between trickles, a normal client on its own connection.
            during += latencies(server, f"/api/models/{first}", 2)
            during += latencies(server, f"/api/models/{first}/predict", 1, {"context": "the", "top_k": 3})
            time.sleep(0.02)
        trickle_seconds = time.monotonic() - started
        # Every trickled request, once complete, is answered.
        answered = 0
        for sock, _, _ in trickler.pending:
            sock.settimeout(10)
            head = sock.recv(4096)
            assert head.startswith(b"HTTP/1.1 200"), head[:200]
            answered += 1
    finally:
        trickler.close()
    figures.record("slow clients", {
        "trickling_connections": slow, "trickle_seconds": round(trickle_seconds, 1),
        "normal_requests_during": len(during),
        "p50_ms_before": round(statistics.median(baseline), 2), "p99_ms_before": round(p99(baseline), 2),
        "p50_ms_during": round(statistics.median(during), 2), "p99_ms_during": round(p99(during), 2),
        "max_ms_during": round(max(during), 2), "trickled_requests_answered": answered})
    assert answered == slow
    assert p99(during) < 500, f"p99 {p99(during):.0f} ms with {slow} slow clients (before: {p99(baseline):.0f} ms)"
    assert server.alive()
