"""HTTP below the level of `requests`: exact paths and bodies of any size,
sent over a plain socket, for requests a well-behaved client would refuse
to make (unnormalised paths, 100 MB bodies, invalid UTF-8)."""

import socket
import threading
import time


class RawResponse:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body

    @property
    def text(self):
        return self.body.decode("utf-8", errors="replace")

    def __repr__(self):
        return f"RawResponse({self.status}, {self.text[:200]!r})"


def read_response(sock, timeout=30):
    """Reads one HTTP/1.1 response (Content-Length or chunked) from `sock`."""
    sock.settimeout(timeout)
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError(f"connection closed before the response head: {data[:200]!r}")
        data += chunk
    head, rest = data.split(b"\r\n\r\n", 1)
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    if "content-length" in headers:
        length = int(headers["content-length"])
        while len(rest) < length:
            chunk = sock.recv(65536)
            if not chunk:
                break
            rest += chunk
        return RawResponse(status, headers, rest[:length])
    if headers.get("transfer-encoding", "").lower() == "chunked":
        body = b""
        while True:
            while b"\r\n" not in rest:
                rest += _recv(sock)
            size_line, rest = rest.split(b"\r\n", 1)
            size = int(size_line.split(b";")[0], 16)
            while len(rest) < size + 2:
                rest += _recv(sock)
            body += rest[:size]
            rest = rest[size + 2:]
            if size == 0:
                return RawResponse(status, headers, body)
    return RawResponse(status, headers, rest)


def _recv(sock):
    chunk = sock.recv(65536)
    if not chunk:
        raise ConnectionError("connection closed inside a chunked body")
    return chunk


def request(port, method, target, body=b"", headers=None, timeout=30):
    """One request with `target` sent byte for byte as given."""
    all_headers = {"Host": f"127.0.0.1:{port}", "Connection": "close"}
    if body or method in ("POST", "PATCH", "PUT"):
        all_headers["Content-Length"] = str(len(body))
        all_headers.setdefault("Content-Type", "application/json")
    all_headers.update(headers or {})
    head = f"{method} ".encode() + (target if isinstance(target, bytes) else target.encode("latin-1")) + b" HTTP/1.1\r\n"
    head += "".join(f"{name}: {value}\r\n" for name, value in all_headers.items()).encode("latin-1") + b"\r\n"
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(head + body)
        return read_response(sock, timeout)


def send_huge_body(port, path, total, *, chunked=False, piece=1 << 20, timeout=60):
    """Streams a `total`-byte JSON-ish body without holding it in memory.

    The body goes out on a thread while this one waits for the answer, since
    a server that answers early stops reading. Returns the response and how
    many body bytes went out before the server answered or closed.
    """
    sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    head = f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\n"
    head += "Transfer-Encoding: chunked\r\n" if chunked else f"Content-Length: {total}\r\n"
    sock.sendall((head + "\r\n").encode())
    sent = [0]
    stop = threading.Event()

    def pump():
        block = b'{"text":"' + b"a" * (piece - 9)
        try:
            while sent[0] < total and not stop.is_set():
                size = min(piece, total - sent[0])
                data = block[:size]
                if chunked:
                    sock.sendall(f"{size:x}\r\n".encode() + data + b"\r\n")
                else:
                    sock.sendall(data)
                sent[0] += size
                block = b"a" * piece
            if chunked and not stop.is_set():
                sock.sendall(b"0\r\n\r\n")
        except OSError:
            pass  # the server answered and closed: expected

    thread = threading.Thread(target=pump, daemon=True)
    started = time.monotonic()
    thread.start()
    try:
        response = read_response(sock, timeout)
    finally:
        stop.set()
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        sock.close()
        thread.join(timeout=10)
    return response, sent[0], time.monotonic() - started
