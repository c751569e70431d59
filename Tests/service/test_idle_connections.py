"""Idle connections (`--idle-timeout`): a connection that sends nothing, or
never finishes its request head, or sits idle after its answer, is closed;
an event stream being written is not; 0 turns the timeout off."""

import socket
import time

from harness import small_model


def connect(server):
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=10)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


def seconds_until_closed(sock, limit, trickle=None):
    """Reads until the server closes the connection; returns how long that took.
    `trickle`, when given, is sent a byte at a time meanwhile."""
    started = time.monotonic()
    sock.settimeout(0.2)
    sent = 0
    while time.monotonic() - started < limit:
        if trickle is not None and sent < len(trickle):
            try:
                sock.send(trickle[sent:sent + 1])
            except (BrokenPipeError, ConnectionResetError):
                return time.monotonic() - started
            sent += 1
        try:
            data = sock.recv(65536)
        except socket.timeout:
            continue
        except ConnectionResetError:
            return time.monotonic() - started
        if data == b"":
            return time.monotonic() - started
    raise AssertionError(f"the connection was still open after {limit} s")


def test_silent_and_unfinished_connections_are_closed(make_server, figures):
    server = make_server(extra_args=["--idle-timeout", "1"]).start()
    silent = connect(server)
    closed_silent = seconds_until_closed(silent, 10)

    # A request line and a header trickled for ever, one byte every 0.2 s:
    # the head is never complete, so the connection is idle all along.
    endless = (b"GET /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: " + b"a" * 1000)
    trickling = connect(server)
    closed_trickling = seconds_until_closed(trickling, 10, trickle=endless)

    # Keep-alive after a complete answer.
    kept = connect(server)
    kept.sendall(f"GET /api/health HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\n\r\n".encode())
    kept.settimeout(10)
    assert kept.recv(65536).startswith(b"HTTP/1.1 200")
    closed_after_answer = seconds_until_closed(kept, 10)

    figures.record("idle connections (--idle-timeout 1)", {
        "silent_closed_after_s": round(closed_silent, 2),
        "trickled_head_closed_after_s": round(closed_trickling, 2),
        "idle_after_answer_closed_after_s": round(closed_after_answer, 2)})
    for label, seconds in [("silent", closed_silent), ("trickled head", closed_trickling),
                           ("idle after answer", closed_after_answer)]:
        assert 0.8 <= seconds <= 4, f"{label}: closed after {seconds:.2f} s"
    # The server still answers everyone else.
    assert server.get("/api/health").status_code == 200


def test_event_streams_outlive_the_idle_timeout(make_server):
    server = make_server(extra_args=["--idle-timeout", "1"]).start()
    model = server.create(small_model(name="streamed"))
    sock = connect(server)
    sock.sendall(f"GET /api/models/{model}/events HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\n"
                 "Accept: text/event-stream\r\n\r\n".encode())
    sock.settimeout(10)
    received = sock.recv(65536)
    assert received.startswith(b"HTTP/1.1 200"), received[:200]
    # Three timeouts later, events still arrive on the same connection.
    time.sleep(3)
    late = b""
    deadline = time.monotonic() + 10
    while b"event:" not in late and time.monotonic() < deadline:
        chunk = sock.recv(65536)
        assert chunk != b"", "the event stream was closed"
        late += chunk
    assert b"event:" in late
    sock.close()


def test_zero_keeps_idle_connections_open(make_server):
    server = make_server(extra_args=["--idle-timeout", "0"]).start()
    sock = connect(server)
    time.sleep(2.5)
    sock.sendall(f"GET /api/health HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\n\r\n".encode())
    sock.settimeout(10)
    assert sock.recv(65536).startswith(b"HTTP/1.1 200")
    sock.close()
