"""Shared pieces of the service reliability suite (Tests/service).

Every test starts the real `recurrent serve` binary ($RECURRENT_BINARY, default
.build/debug/recurrent) on a free loopback port with a database in a fresh
temporary folder (harness.py), and kills it and removes the folder even when
the test fails. Figures measured by the tests (fuzz cases, kills
survived, latencies, ...) are printed at the end of the run and written to
artifacts/service-figures.json.
"""

import json
import shutil
import sys
import tempfile
import threading
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from harness import ARTIFACTS, Server  # noqa: E402


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
        for server in servers:
            if server.alive():
                server.process.kill()
                server.process.wait(timeout=10)


@pytest.fixture
def server(make_server):
    """A running server with default options."""
    return make_server().start()


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
