"""Training faults: a diverging job fails cleanly and alone; deleting a model
while it trains, or while clients stream its events, ends both cleanly."""

import json
import math
import sqlite3
import threading
import time

import requests

from harness import assert_error, small_model, wait_until

TABLES = ["models", "corpora", "checkpoints", "metrics", "samples", "best_weights"]


def rows_of(server, model_id):
    with sqlite3.connect(f"file:{server.database}?mode=ro", uri=True) as db:
        return {table: db.execute(f"SELECT COUNT(*) FROM {table} WHERE {'id' if table == 'models' else 'model_id'} = ?",
                                  (model_id,)).fetchone()[0] for table in TABLES}


def test_divergence_fails_that_job_cleanly_and_leaves_the_others_running(make_server):
    server = make_server(max_jobs=3, checkpoint_seconds=1).start()
    steady = server.create(small_model(name="steady"))
    doomed = server.create(small_model(name="doomed", seed=8))
    born_bad = server.create(small_model(name="born bad", learning_rate=1e30, seed=9))
    server.wait_ticks(doomed, 300)
    checkpoint_before = server.model(doomed)["checkpoint_ticks"]
    reply = server.request("PATCH", f"/api/models/{doomed}", json={"learning_rate": 1e25})
    assert reply.status_code == 200, reply.text

    for model_id in (doomed, born_bad):
        failed = server.wait_status(model_id, "failed", timeout=60)
        assert "diverged" in failed["error"] and "learning rate" in failed["error"], failed["error"]
        # The weights of the last good checkpoint are kept and still generate.
        generated = server.post(f"/api/models/{model_id}/generate", {"count": 2, "max_length": 30, "seed": 1})
        assert generated.status_code == 200, generated.text
        exported = server.get(f"/api/models/{model_id}/export")
        assert exported.status_code == 200, f"a failed model exports its last good weights: {exported.text[:300]}"
        for matrix in exported.json()["model"].values():
            assert all(math.isfinite(value) for value in matrix["w"])
        metrics = server.get(f"/api/models/{model_id}/metrics").json()["metrics"]
        for point in metrics:
            assert all(value is None or isinstance(value, str) or math.isfinite(value) for value in point.values()), point
    assert server.model(doomed)["checkpoint_ticks"] >= checkpoint_before

    # The steady model kept training through both failures.
    ticks = server.model(steady)["ticks"]
    server.wait_ticks(steady, ticks + 200, timeout=30)
    assert server.model(steady)["status"] == "running"

    # A failed model resumes from its last good checkpoint with a sane rate.
    server.request("PATCH", f"/api/models/{doomed}", json={"learning_rate": 0.01})
    resumed = server.post(f"/api/models/{doomed}/resume")
    assert resumed.status_code == 200, resumed.text
    server.wait_ticks(doomed, server.model(doomed)["checkpoint_ticks"] + 100, timeout=30)
    assert server.model(doomed)["status"] == "running"


def test_delete_while_training_stops_the_job_and_removes_every_row(make_server):
    server = make_server(max_jobs=2, checkpoint_seconds=1).start()
    keep = server.create(small_model(name="keep"))
    victim = server.create(small_model(name="victim", corpus="text", batch_size=2, seq_length=8, val_interval=20))
    server.wait_ticks(victim, 200)
    wait_until(lambda: rows_of(server, victim)["metrics"] > 0, 20, "the victim to have loss history")
    started = time.monotonic()
    reply = server.request("DELETE", f"/api/models/{victim}")
    assert reply.status_code == 204, reply.text
    assert time.monotonic() - started < 10, "DELETE waited too long for the training thread"
    assert_error(server.get(f"/api/models/{victim}"), 404, "model_not_found")
    # Nothing of it is left, and no late write of its thread brings rows back.
    time.sleep(1.5)  # longer than a flush interval, to catch a late write
    assert rows_of(server, victim) == {table: 0 for table in TABLES}
    assert server.get("/api/health").json()["jobs"]["running"] == 1
    ticks = server.model(keep)["ticks"]
    server.wait_ticks(keep, ticks + 100)
    assert server.alive()


def read_events(server, model_id, events, errors, opened):
    try:
        with requests.get(f"{server.base}/api/models/{model_id}/events", stream=True, timeout=30) as reply:
            assert reply.status_code == 200
            opened.release()
            for line in reply.iter_lines(decode_unicode=True):
                if line.startswith("event:"):
                    events.append(line.split(":", 1)[1].strip())
    except Exception as error:  # noqa: BLE001 - reported by the test
        errors.append(error)


def test_delete_while_clients_stream_events_ends_every_stream(make_server):
    server = make_server(max_jobs=2, checkpoint_seconds=1).start()
    victim = server.create(small_model(name="streamed"))
    server.wait_ticks(victim, 50)
    clients = 20
    opened = threading.Semaphore(0)
    streams = [([], []) for _ in range(clients)]
    threads = [threading.Thread(target=read_events, args=(server, victim, events, errors, opened), daemon=True)
               for events, errors in streams]
    for thread in threads:
        thread.start()
    for _ in range(clients):
        assert opened.acquire(timeout=20), "an event stream did not open"
    wait_until(lambda: all("progress" in events for events, _ in streams), 20, "every stream to carry progress")

    # Also a generate stream in flight while the model goes away.
    generating = requests.post(f"{server.base}/api/models/{victim}/generate",
                               json={"stream": True, "count": 20, "max_length": 2000}, stream=True, timeout=30)
    assert generating.status_code == 200
    generated_lines = generating.iter_lines()
    assert json.loads(next(generated_lines))["sample"] == 0

    reply = server.request("DELETE", f"/api/models/{victim}")
    assert reply.status_code == 204, reply.text
    for thread in threads:
        thread.join(timeout=10)
    assert not any(thread.is_alive() for thread in threads), "an event stream stayed open after the delete"
    for events, errors in streams:
        assert not errors, f"a stream ended with an error instead of cleanly: {errors[0]!r}"
        assert events[0] == "status"
    # The generate stream finishes (from its own copy of the weights).
    lines = [json.loads(line) for line in generated_lines if line]
    assert lines and lines[-1].get("done") is True, lines[-3:]
    generating.close()
    assert_error(server.get(f"/api/models/{victim}/events"), 404, "model_not_found")
    assert server.get("/api/health").json()["jobs"]["running"] == 0
    assert server.alive()
