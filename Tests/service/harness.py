"""The harness of the service suite, without pytest: `recurrent serve` as a
restartable process on a free loopback port, and small HTTP helpers. Used by
the tests (through conftest.py) and by scripts/load-test."""

import os
import signal
import socket
import subprocess
import time
from pathlib import Path

import requests


class HarnessError(AssertionError):
    """A condition the harness waited for did not come."""


ROOT = Path(__file__).resolve().parents[2]
PUBLIC = ROOT / "public"
BINARY = ROOT / os.environ.get("RECURRENT_BINARY", ".build/release/recurrent")
ARTIFACTS = ROOT / "artifacts"

CORPUS = "\n".join([
    "the cat sat on the mat", "a dog ran in the park", "the sun is hot today", "birds sing in the tree",
    "we like to read books", "the rain falls on the roof", "she drinks a cup of tea", "he walks to the shop",
    "my friend plays the drum", "the moon is bright at night",
])


def small_model(**changes):
    """A small, fast LSTM on ten short sentences."""
    body = {"name": "small", "text": CORPUS, "generator": "lstm", "hidden_sizes": [8], "letter_size": 3, "seed": 7}
    body.update(changes)
    return body


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until(condition, timeout, message, interval=0.05):
    """Polls `condition` until it returns something truthy; fails with `message` after `timeout` s."""
    deadline = time.monotonic() + timeout
    last_error = None
    while True:
        try:
            value = condition()
            if value:
                return value
        except (requests.RequestException, OSError, ValueError, KeyError) as error:
            last_error = error
        if time.monotonic() > deadline:
            detail = f" (last error: {last_error!r})" if last_error else ""
            raise HarnessError(f"timed out after {timeout} s: {message}{detail}")
        time.sleep(interval)


def is_database_url(database):
    """Whether `database` names a PostgreSQL database (postgres:// or postgresql://) rather than an SQLite file."""
    return isinstance(database, str) and database.startswith(("postgres://", "postgresql://"))


def rss_bytes(pid):
    """Resident memory of a process, from /proc."""
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise ValueError(f"no VmRSS for {pid}")


class Server:
    """One `recurrent serve` process on a free port; restartable on the same database."""

    def __init__(self, folder, *, database=None, public=PUBLIC, max_jobs=2, checkpoint_seconds=30.0,
                 user=None, extra_args=(), binary=None, role=None, worker_id=None, lease_seconds=None):
        self.folder = Path(folder)
        # A path is an SQLite file; a postgres:// URL stays a string.
        self.database = database if is_database_url(database) else \
            Path(database) if database else self.folder / "db.sqlite"
        # Cluster options, passed only when set: --role all|api|worker,
        # --worker-id (change it before a restart for a new identity),
        # --lease-seconds.
        self.role = role
        self.worker_id = worker_id
        self.lease_seconds = lease_seconds
        self.frozen = False
        self.public = Path(public)
        self.max_jobs = max_jobs
        self.checkpoint_seconds = checkpoint_seconds
        self.user = user  # (uid, gid) to drop to, for read-only file tests
        self.binary = Path(binary) if binary else BINARY
        self.extra_args = list(extra_args)
        self.process = None
        self.port = None
        self.starts = 0
        self.log_path = self.folder / "server.log"
        self.session = requests.Session()

    @property
    def base(self):
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self):
        return self.process.pid

    def start(self, wait=True):
        assert self.process is None or self.process.poll() is not None, "the server is already running"
        if not self.binary.exists():
            raise HarnessError(f"the server binary {self.binary} does not exist: build it with "
                               "`swift build -c release --product recurrent` or set RECURRENT_BINARY")
        self.port = free_port()
        self.starts += 1
        log = open(self.log_path, "ab")
        log.write(f"\n----- start {self.starts} on port {self.port}\n".encode())
        log.flush()
        preexec = None
        if self.user:
            uid, gid = self.user

            def preexec():
                os.setgroups([])
                os.setgid(gid)
                os.setuid(uid)
        self.process = subprocess.Popen(
            [str(self.binary), "serve", "--host", "127.0.0.1", "--port", str(self.port),
             "--database", str(self.database), "--public", str(self.public),
             "--max-jobs", str(self.max_jobs), "--checkpoint-seconds", str(self.checkpoint_seconds),
             *self.cluster_args(), *self.extra_args],
            cwd=self.folder, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            preexec_fn=preexec)
        log.close()
        self.frozen = False
        self.session = requests.Session()
        if wait:
            self.wait_ready()
        return self

    def cluster_args(self):
        arguments = []
        for option, value in (("--role", self.role), ("--worker-id", self.worker_id),
                              ("--lease-seconds", self.lease_seconds)):
            if value is not None:
                arguments += [option, str(value)]
        return arguments

    def wait_ready(self, timeout=60):
        deadline = time.monotonic() + timeout
        while True:
            if self.process.poll() is not None:
                raise HarnessError(f"the server exited with {self.process.returncode}:\n{self.log()[-4000:]}")
            try:
                if requests.get(self.base + "/api/health", timeout=2).json()["status"] == "ok":
                    return
            except (requests.RequestException, ValueError, KeyError):
                pass
            if time.monotonic() > deadline:
                raise HarnessError(f"the server did not answer GET /api/health within {timeout} s:\n{self.log()[-4000:]}")
            time.sleep(0.05)

    def alive(self):
        return self.process is not None and self.process.poll() is None

    def stop(self, timeout=30):
        """SIGTERM (the server checkpoints every job), SIGKILL if it hangs."""
        if not self.alive():
            return None
        self.process.send_signal(signal.SIGTERM)
        if self.frozen:
            self.thaw()  # a stopped process handles SIGTERM only once continued
        try:
            return self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)
            raise HarnessError(f"the server did not stop within {timeout} s of SIGTERM")

    def kill(self):
        """SIGKILL: no chance to checkpoint (also ends a frozen process)."""
        if self.alive():
            self.process.kill()
            self.process.wait(timeout=10)
        self.frozen = False

    def freeze(self):
        """SIGSTOP: the process stalls (no timer, no write, no answer) until thaw()."""
        assert self.alive(), "the server is not running"
        self.process.send_signal(signal.SIGSTOP)
        self.frozen = True

    def thaw(self):
        """SIGCONT after freeze()."""
        if self.alive():
            self.process.send_signal(signal.SIGCONT)
        self.frozen = False

    def log(self):
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""

    # HTTP

    def request(self, method, path, *, timeout=30, **kwargs):
        return self.session.request(method, self.base + path, timeout=timeout, **kwargs)

    def get(self, path, **kwargs):
        return self.request("GET", path, **kwargs)

    def post(self, path, body=None, **kwargs):
        if body is not None:
            kwargs["json"] = body
        return self.request("POST", path, **kwargs)

    def create(self, body, expect=201):
        reply = self.post("/api/models", body)
        assert reply.status_code == expect, f"creating a model answered {reply.status_code}: {reply.text[:500]}"
        return reply.json()["id"]

    def model(self, model_id):
        reply = self.get(f"/api/models/{model_id}")
        assert reply.status_code == 200, f"GET model {model_id}: {reply.status_code} {reply.text[:300]}"
        return reply.json()

    def wait_ticks(self, model_id, ticks, timeout=60):
        return wait_until(lambda: self.model(model_id)["ticks"] >= ticks and self.model(model_id),
                          timeout, f"model {model_id} to reach {ticks} ticks")

    def wait_status(self, model_id, status, timeout=60):
        return wait_until(lambda: self.model(model_id)["status"] == status and self.model(model_id),
                          timeout, f"model {model_id} to become {status}")


def assert_error(reply, status, code=None):
    """`reply` is a `status` answer in the error envelope (with `code` when given)."""
    assert reply.status_code == status, f"expected {status}, got {reply.status_code}: {reply.text[:500]}"
    assert reply.headers.get("content-type", "").startswith("application/json"), reply.headers
    error = reply.json().get("error")
    assert isinstance(error, dict), f"no error envelope: {reply.text[:500]}"
    assert isinstance(error.get("code"), str) and error["code"], f"no error code: {reply.text[:500]}"
    assert isinstance(error.get("message"), str) and error["message"], f"no error message: {reply.text[:500]}"
    if code is not None:
        assert error["code"] == code, f"expected code {code}, got {error['code']}: {error['message']}"
    return error


