"""Corpora uploaded on their own (POST /api/corpora), against the real binary:
an upload cut off halfway and a SIGKILL in the middle of one leave no corpus
behind (no row, no file, no chunk), on SQLite and on PostgreSQL; a chunked
body past the limit gets 413 after at most about the limit.
"""

import select
import socket
import time

import pytest

from harness import wait_until

PIECE = 1 << 20


def start_upload(port, total, *, chunked=False):
    """Opens an upload of `total` bytes of text and returns the socket and a
    function sending the next `count` bytes."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=30)
    head = f"POST /api/corpora HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: text/plain\r\n"
    head += "Transfer-Encoding: chunked\r\n" if chunked else f"Content-Length: {total}\r\n"
    sock.sendall((head + "\r\n").encode())
    line = b"the quick brown fox jumps over the lazy dog \xf0\x9f\xa6\x8a\n"  # ASCII and an emoji

    def send(count):
        data = (line * (count // len(line) + 1))[:count]
        sock.sendall(f"{len(data):x}\r\n".encode() + data + b"\r\n" if chunked else data)

    return sock, send


def stored_corpora(server):
    reply = server.get("/api/corpora")
    assert reply.status_code == 200, reply.text
    return reply.json()["corpora"]


def corpus_files(server):
    folder = server.database.parent / (server.database.stem + "-corpora") if not isinstance(server.database, str) else None
    return sorted(path.name for path in folder.iterdir()) if folder and folder.exists() else []


@pytest.fixture(params=["sqlite", "postgres"])
def kind(request):
    return request.param


@pytest.fixture
def database(kind, request):
    return request.getfixturevalue("postgres_database") if kind == "postgres" else None


def test_cut_upload_leaves_nothing(make_server, database, kind, request):
    server = make_server(database=database).start()
    sock, send = start_upload(server.port, 20 * PIECE)
    for _ in range(8):
        send(PIECE)
    # Until the body ends nothing is visible.
    assert stored_corpora(server) == []
    sock.close()  # cut off at 8 of 20 MiB
    wait_until(lambda: corpus_files(server) == [], 10, "the cut upload's file was not removed")
    time.sleep(0.5)
    assert stored_corpora(server) == []
    if kind == "postgres":
        wait_until(lambda: server_rows(request, database) == (0, 0), 10, "the cut upload's rows were not rolled back")
    # The service goes on: a whole upload afterwards is stored.
    reply = server.session.post(server.base + "/api/corpora", data=b"a whole text\n" * 1000,
                                headers={"content-type": "text/plain"}, timeout=30)
    assert reply.status_code == 201, reply.text
    assert [corpus["id"] for corpus in stored_corpora(server)] == [reply.json()["id"]]


def server_rows(request, url):
    """(corpus rows, chunk rows) of the PostgreSQL database at `url`, as committed."""
    postgres = request.getfixturevalue("postgres")
    rows = postgres.psql("SELECT (SELECT COUNT(*) FROM uploaded_corpora), (SELECT COUNT(*) FROM corpus_chunks)",
                         database=url)
    return int(rows[0][0]), int(rows[0][1])


def test_sigkill_during_upload_leaves_nothing(make_server, database, kind, request):
    server = make_server(database=database).start()
    sock, send = start_upload(server.port, 64 * PIECE, chunked=True)
    for _ in range(16):
        send(PIECE)
    time.sleep(0.3)
    if kind == "sqlite":
        wait_until(lambda: any(name.endswith(".partial") for name in corpus_files(server)), 10,
                   "the upload's unfinished file did not appear")
    server.kill()
    sock.close()
    server.start()
    assert stored_corpora(server) == []
    assert corpus_files(server) == [], "the start removed the unfinished file"
    if kind == "postgres":
        assert server_rows(request, database) == (0, 0)


def test_chunked_upload_past_the_limit_is_413(make_server, figures):
    limit = 4 * PIECE
    server = make_server(extra_args=["--max-upload-bytes", str(limit)]).start()
    sock, send = start_upload(server.port, 0, chunked=True)
    sent = 0
    # Paced (at most a quarter MiB every 5 ms) and stopping as soon as the
    # answer is readable, so the count measures when the service answered,
    # not how far loopback buffers (up to 32 MiB here) let a sender run ahead
    # of a server that two busy cores delay.
    try:
        while sent < 64 * PIECE:
            readable, _, _ = select.select([sock], [], [], 0.005)
            if readable:
                break
            send(PIECE // 4)
            sent += PIECE // 4
    except OSError:
        pass
    from rawhttp import read_response
    response = read_response(sock, 30)
    sock.close()
    assert response.status == 413, response
    assert b"corpus_too_large" in response.body
    # The answer came once the limit was passed, not after the whole body.
    assert sent <= limit + 8 * PIECE, f"{sent} bytes sent before the 413"
    figures.record("corpus upload: bytes sent before the 413 (limit 4 MiB)", sent)
    assert stored_corpora(server) == [] and corpus_files(server) == []
