"""Shared pieces of the service reliability suite (Tests/service).

Every test starts the real `recurrent serve` binary ($RECURRENT_BINARY, default
.build/release/recurrent) on a free loopback port with a database in a fresh
temporary folder (harness.py), and kills it and removes the folder even when
the test fails. Figures measured by the tests (fuzz cases, kills
survived, latencies, ...) are printed at the end of the run and written to
artifacts/service-figures.json.
"""

import json
import os
import shutil
import sys
import tempfile
import threading
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from harness import ARTIFACTS, Server  # noqa: E402
from postgres import PostgresServer, installed as postgres_installed  # noqa: E402


@pytest.fixture
def workdir():
    folder = Path(tempfile.mkdtemp(prefix="recurrent-service-"))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def make_server(workdir):
    """Builds servers in the test's folder; every one is stopped at the end."""
    servers = []

    def make(**options):
        server = Server(workdir, **options)
        servers.append(server)
        return server

    try:
        yield make
    finally:
        kill_all(servers)


def kill_all(servers):
    """SIGKILL to every server still running (one stopped with SIGSTOP too)."""
    for server in servers:
        if server.alive():
            server.process.kill()
            server.process.wait(timeout=10)


@pytest.fixture
def server(make_server):
    """A running server with default options."""
    return make_server().start()


@pytest.fixture
def make_node(workdir):
    """Builds servers that share a database (nodes of a cluster), each in a
    folder of its own under the test's (`name`: its log is NAME/server.log);
    every one is killed at the end, also one stopped with SIGSTOP."""
    servers = []

    def make(name, **options):
        folder = workdir / name
        folder.mkdir(exist_ok=True)
        server = Server(folder, **options)
        server.name = name
        servers.append(server)
        return server

    try:
        yield make
    finally:
        kill_all(servers)


# PostgreSQL: one server for the whole run, started by the first test that
# needs it and destroyed at the end, also when tests fail. Debian's
# postgresql 15 is a dependency of the tests (.ci/run installs it), so a
# missing one fails them; RECURRENT_SKIP_POSTGRES=1 skips them instead.

@pytest.fixture(scope="session")
def postgres():
    """The run's PostgreSQL server (postgres.py). Tests that stop it start
    it again before they end."""
    if os.environ.get("RECURRENT_SKIP_POSTGRES") == "1":
        pytest.skip("RECURRENT_SKIP_POSTGRES=1: the tests on PostgreSQL are skipped")
    if not postgres_installed():
        pytest.fail("PostgreSQL 15 is not installed (/usr/lib/postgresql/15/bin/initdb is missing): "
                    "apt-get install -y postgresql, or set RECURRENT_SKIP_POSTGRES=1 to skip these tests",
                    pytrace=False)
    server = PostgresServer()
    try:
        server.start()
        yield server
    finally:
        server.destroy()


@pytest.fixture
def postgres_database(postgres):
    """A fresh, empty database of the run's server, as a URL: one per test."""
    if not postgres.running():
        postgres.start()  # a test that stopped it failed before starting it again
    return postgres.create_database()


# Figures: tests record what they measured; the run prints them at the end.

class Figures:
    def __init__(self):
        self.values = {}
        self.lock = threading.Lock()

    def record(self, name, value):
        with self.lock:
            self.values[name] = value


FIGURES_KEY = pytest.StashKey[Figures]()


def pytest_configure(config):
    config.stash[FIGURES_KEY] = Figures()


@pytest.fixture
def figures(request):
    return request.config.stash[FIGURES_KEY]


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    values = config.stash[FIGURES_KEY].values
    if not values:
        return
    terminalreporter.section("service figures")
    for name, value in values.items():
        terminalreporter.write_line(f"{name}: {json.dumps(value)}")
    try:
        ARTIFACTS.mkdir(exist_ok=True)
        (ARTIFACTS / "service-figures.json").write_text(json.dumps(values, indent=2) + "\n")
    except OSError:
        pass
