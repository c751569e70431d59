"""Storage faults: a full disk under a training service, and a read-only
database file. Requests that need to write answer 503 `storage_unavailable`
in the error envelope (with Retry-After); reads, generation and running jobs
go on; nothing half-written is left; once space is back, the jobs' held-back
loss history and checkpoints land.

The full disk is a small tmpfs mounted for the test (root with
CAP_SYS_ADMIN; skipped elsewhere); the read-only file is one the server,
started as `nobody`, may not write.
"""

import errno
import os
import pwd
import shutil
import sqlite3
import subprocess

import pytest

from harness import assert_error, small_model, wait_until


@pytest.fixture
def small_disk(workdir):
    mount = workdir / "disk"
    mount.mkdir()
    result = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=48m", "tmpfs", str(mount)], capture_output=True, text=True)
    if result.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs for the full-disk test: {result.stderr.strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], capture_output=True)


def fill(folder):
    """Fills the file system of `folder` to the last byte; returns the filler's path."""
    filler = folder / "filler"
    descriptor = os.open(filler, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        for size in (1 << 20, 1 << 12, 1):
            block = b"\0" * size
            while True:
                try:
                    os.write(descriptor, block)
                except OSError as error:
                    assert error.errno == errno.ENOSPC, error
                    break
    finally:
        os.close(descriptor)
    return filler


def storage_error(reply):
    error = assert_error(reply, 503, "storage_unavailable")
    assert reply.headers.get("retry-after"), "a 503 says when to retry"
    assert "storage" in error["message"] or "disk" in error["message"], error["message"]
    return error


def metric_steps(database, model_id):
    with sqlite3.connect(f"file:{database}?mode=ro", uri=True) as db:
        steps = [row[0] for row in db.execute("SELECT step FROM metrics WHERE model_id = ? ORDER BY step", (model_id,))]
        checkpoint = db.execute("SELECT ticks FROM checkpoints WHERE model_id = ?", (model_id,)).fetchone()[0]
        integrity = db.execute("PRAGMA integrity_check").fetchone()[0]
    return steps, checkpoint, integrity


def test_full_disk_answers_503_while_reads_and_jobs_go_on(small_disk, make_server, figures):
    server = make_server(database=small_disk / "db.sqlite", max_jobs=2, checkpoint_seconds=1).start()
    first = server.create(small_model(name="first", hidden_sizes=[16]))
    second = server.create(small_model(name="second", generator="gru", seed=3))
    idle = server.create(small_model(name="idle", start=False))
    server.wait_ticks(first, 300)
    server.wait_ticks(second, 300)
    models_before = len(server.get("/api/models").json()["models"])

    filler = fill(small_disk)
    # The jobs notice at their next flush and say so, and keep training.
    for model_id in (first, second):
        wait_until(lambda: (server.model(model_id)["error"] or "").startswith("checkpoints cannot be saved"), 20,
                   f"model {model_id} to report that its checkpoints cannot be saved")
    stalled = {model_id: server.model(model_id) for model_id in (first, second)}

    # Writes: 503 in the envelope, nothing half-written.
    big = small_model(name="too big", text=("the cat sat on the mat\n" * 400_000), start=False)
    storage_error(server.post("/api/models", big, timeout=60))
    exported = server.get(f"/api/models/{idle}/export").content
    storage_error(server.request("POST", "/api/models/import", data=exported.replace(b'"name"', b'"name":"copy","x"', 1),
                                 headers={"content-type": "application/json"}))
    for path in (f"/api/models/{first}/pause", f"/api/models/{first}/cancel"):
        reply = server.post(path)
        storage_error(reply)
        assert "cannot stop now" in reply.json()["error"]["message"]
    # Small writes may still fit in space SQLite already holds; if not, 503.
    for method, path, body in (("PATCH", f"/api/models/{idle}", {"name": "renamed"}),
                               ("DELETE", f"/api/models/{idle}", None)):
        reply = server.request(method, path, json=body)
        if reply.status_code >= 400:
            storage_error(reply)
    # Reads and generation go on.
    assert server.get("/api/health").status_code == 200
    for model_id in (first, second):
        for path in ("", "/metrics", "/samples", "/export"):
            assert server.get(f"/api/models/{model_id}{path}").status_code == 200, path
        generated = server.post(f"/api/models/{model_id}/generate", {"count": 2, "max_length": 30})
        assert generated.status_code == 200, generated.text
    # The jobs train on through the outage.
    for model_id in (first, second):
        server.wait_ticks(model_id, stalled[model_id]["ticks"] + 500, timeout=30)
        assert server.model(model_id)["status"] == "running"
        assert server.model(model_id)["checkpoint_ticks"] <= stalled[model_id]["ticks"] + 200, \
            "a checkpoint was written onto a full disk?"

    filler.unlink()
    outage_ticks = {model_id: server.model(model_id)["ticks"] for model_id in (first, second)}
    for model_id in (first, second):
        wait_until(lambda: server.model(model_id)["error"] is None, 20, f"model {model_id} to save again")
        wait_until(lambda: server.model(model_id)["checkpoint_ticks"] >= outage_ticks[model_id], 20,
                   f"model {model_id} to checkpoint past the outage")
        steps, checkpoint, integrity = metric_steps(server.database, model_id)
        assert integrity == "ok"
        # Every loss-history point of the outage was kept and written.
        expected = list(range(100, checkpoint + 1, 100))
        assert [step for step in steps if step <= checkpoint] == expected, \
            f"model {model_id}: missing points {sorted(set(expected) - set(steps))[:10]}"
    names = [model["name"] for model in server.get("/api/models").json()["models"]]
    assert "too big" not in names and "copy" not in names, "a refused write left a model behind"
    assert len(names) in (models_before, models_before - 1)  # the idle one may have been deleted
    # Writes work again.
    assert server.post(f"/api/models/{first}/pause").status_code == 200
    assert server.create(small_model(name="after", start=False))
    figures.record("full disk", {"outage_ticks_trained": {str(k): v - stalled[k]["ticks"] for k, v in outage_ticks.items()},
                                 "requests_refused_with_503": "create, import, pause, cancel"})


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to hand the database to another user")
def test_read_only_database_serves_reads_and_refuses_writes(make_server, workdir):
    server = make_server(max_jobs=2, checkpoint_seconds=1).start()
    done = server.create(small_model(name="done", max_ticks=200))
    interrupted = server.create(small_model(name="interrupted", seed=4))
    server.wait_status(done, "succeeded")
    server.wait_ticks(interrupted, 200)
    server.stop()
    # Fold the WAL into the file, so the database is that one file.
    with sqlite3.connect(server.database) as db:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    for suffix in ("-wal", "-shm"):
        try:
            os.unlink(str(server.database) + suffix)
        except FileNotFoundError:
            pass
    with open(server.database, "rb") as file:
        before = file.read()

    nobody = pwd.getpwnam("nobody")
    os.chown(workdir, nobody.pw_uid, nobody.pw_gid)  # the folder: SQLite's -shm and -wal
    os.chmod(server.database, 0o444)
    # The binary and the page from inside the test's folder, which `nobody`
    # can reach wherever the repository lives.
    shutil.copy2(server.binary, workdir / "recurrent")
    shutil.copytree(server.public, workdir / "public")
    server.binary, server.public = workdir / "recurrent", workdir / "public"
    server.user = (nobody.pw_uid, nobody.pw_gid)
    server.start()

    listed = server.get("/api/models").json()["models"]
    assert {model["id"] for model in listed} == {done, interrupted}
    for model_id in (done, interrupted):
        assert server.get(f"/api/models/{model_id}/export").status_code == 200
        assert server.get(f"/api/models/{model_id}/metrics").status_code == 200
        assert server.post(f"/api/models/{model_id}/generate", {"max_length": 20}).status_code == 200
        assert server.post(f"/api/models/{model_id}/predict", {"context": "the"}).status_code == 200
    storage_error(server.post("/api/models", small_model(start=False)))
    storage_error(server.request("PATCH", f"/api/models/{done}", json={"name": "renamed"}))
    storage_error(server.request("DELETE", f"/api/models/{done}"))
    storage_error(server.post(f"/api/models/{interrupted}/cancel"))
    assert server.alive()
    server.stop()
    with open(server.database, "rb") as file:
        assert file.read() == before, "the read-only file changed"
    assert "cannot resume interrupted jobs" in server.log()
