"""A throwaway PostgreSQL 15 server for the service suite, without pytest:
`initdb` in a fresh temporary folder, `pg_ctl start` on a free port of
127.0.0.1 (its socket in the same folder), trust authentication for the
`postgres` user. The Python twin of Tests/RecurrentPostgresTests/
PostgresServer.swift: as root (initdb refuses root) every server command
runs as the `postgres` user through `runuser`. `destroy()` stops the server
and removes the folder.

Commands write their output to a file, never to a pipe: the server that
`pg_ctl start` leaves running inherits the pipe and would keep a reader
waiting for its end.
"""

import csv
import io
import os
import shutil
import signal
import subprocess
import tempfile
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit

from harness import HarnessError, free_port

# Where Debian's `postgresql` package puts the server's programs.
BINARIES = Path("/usr/lib/postgresql/15/bin")
# `psql` prints NULL as this, so a NULL and an empty text differ.
NULL = "\\N"


def installed():
    return os.access(BINARIES / "initdb", os.X_OK)


class PostgresServer:
    """One PostgreSQL cluster in its own folder, on one port for its whole life."""

    def __init__(self, folder=None):
        self.folder = Path(folder) if folder else Path(tempfile.mkdtemp(prefix="recurrent-pg-"))
        self.port = free_port()
        self.data = self.folder / "data"
        self.log_path = self.folder / "server.log"
        self.databases = []

    # Server

    def start(self):
        """Creates the cluster on first use, then starts the server (again) on its port."""
        if not installed():
            raise HarnessError(f"PostgreSQL 15 is not installed ({BINARIES}/initdb is missing): "
                               "apt-get install -y postgresql")
        if not (self.data / "PG_VERSION").exists():
            self.folder.mkdir(parents=True, exist_ok=True)
            if os.getuid() == 0:
                shutil.chown(self.folder, "postgres", "postgres")
            self.as_server_user("initdb", "-D", self.data, "-A", "trust", "-U", "postgres", "-E", "UTF8", "--no-sync")
        self.as_server_user("pg_ctl", "-D", self.data, "-l", self.log_path, "-w", "-t", "60", "-o",
                            f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c fsync=off", "start")
        return self

    def stop(self, mode="fast"):
        """Stops the server; `mode` is pg_ctl's: smart, fast or immediate."""
        self.as_server_user("pg_ctl", "-D", self.data, "-m", mode, "-w", "-t", "60", "stop")

    def restart(self, mode="fast", down_seconds=0.0):
        """Stops the server, waits `down_seconds`, starts it again on the same port."""
        self.stop(mode)
        time.sleep(down_seconds)
        self.start()

    def running(self):
        """Whether the server answers (pg_ctl status)."""
        return self.as_server_user("pg_ctl", "-D", self.data, "status", check=False).returncode == 0

    def destroy(self):
        """Stops the server if it runs (immediate; SIGKILL to the postmaster
        if pg_ctl cannot) and removes the folder."""
        pid_file = self.data / "postmaster.pid"
        if pid_file.exists():
            try:
                self.stop("immediate")
            except HarnessError:
                try:
                    os.kill(int(pid_file.read_text().split()[0]), signal.SIGKILL)
                except (OSError, ValueError, IndexError):
                    pass
        shutil.rmtree(self.folder, ignore_errors=True)

    # Databases

    def url(self, database):
        return f"postgres://postgres@127.0.0.1:{self.port}/{database}?sslmode=disable"

    def create_database(self):
        """Creates an empty database; returns its URL."""
        name = "test_" + uuid.uuid4().hex[:12]
        self.as_server_user("createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", name)
        self.databases.append(name)
        return self.url(name)

    def psql(self, sql, database="postgres", timeout=30):
        """Runs `sql` with psql in `database` (a name or a URL of this server);
        returns the rows as tuples of strings, None for NULL."""
        if "://" in database:
            database = urlsplit(database).path.lstrip("/")
        with tempfile.TemporaryFile() as output:
            done = subprocess.run(
                ["psql", "-X", "-q", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "-d", database,
                 "-v", "ON_ERROR_STOP=1", "--csv", "-t", "-P", f"null={NULL}", "-c", sql],
                stdin=subprocess.DEVNULL, stdout=output, stderr=subprocess.STDOUT, timeout=timeout)
            output.seek(0)
            text = output.read().decode(errors="replace")
        if done.returncode != 0:
            raise HarnessError(f"psql failed ({done.returncode}) on {sql!r}: {text}")
        return [tuple(None if value == NULL else value for value in row) for row in csv.reader(io.StringIO(text))]

    # Processes

    def as_server_user(self, program, *arguments, check=True):
        command = [str(BINARIES / program), *map(str, arguments)]
        if os.getuid() == 0:
            command = ["/usr/sbin/runuser", "-u", "postgres", "--", *command]
        with tempfile.TemporaryFile() as output:
            done = subprocess.run(command, stdin=subprocess.DEVNULL, stdout=output, stderr=subprocess.STDOUT,
                                  timeout=120)
            output.seek(0)
            text = output.read().decode(errors="replace")
        if check and done.returncode != 0:
            raise HarnessError(f"{' '.join(command)} failed with {done.returncode}: {text}")
        return done
