"""Crash safety: SIGKILL at random moments while models train (and while
clients write), KILLS times in a row, restarting each time. After every
kill: PRAGMA integrity_check is ok, no foreign key dangles, no job lost more
than one checkpoint interval of progress, no loss-history point at or before
the last checkpoint is lost or changed; after every restart every model
loads, generates and exports.

The moments come from a seeded random generator; the seed is printed (and
CRASH_SEED repeats a run).
"""

import os
import random
import sqlite3
import threading
import time

import requests

from harness import small_model, wait_until

KILLS = int(os.environ.get("CRASH_KILLS", "10"))
INTERVAL = 1.0  # --checkpoint-seconds
# A checkpoint is taken once INTERVAL has passed and written by the job's
# writer queue a moment later; the figures the test polls lag up to 0.5 s.
SLACK = 0.75
METRIC_EVERY = 100


def database_state(path):
    """What the file holds right after a kill, read with Python's sqlite3."""
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
        integrity = [row[0] for row in db.execute("PRAGMA integrity_check")]
        dangling = db.execute("PRAGMA foreign_key_check").fetchall()
        models = {}
        for model_id, status, ticks in db.execute("SELECT id, status, ticks FROM models"):
            checkpoint = db.execute("SELECT ticks, created_at FROM checkpoints WHERE model_id = ?", (model_id,)).fetchone()
            metrics = db.execute("SELECT step, mean_loss, median_perplexity FROM metrics WHERE model_id = ? ORDER BY step, id",
                                 (model_id,)).fetchall()
            models[model_id] = {"status": status, "ticks": ticks, "checkpoint": checkpoint, "metrics": metrics}
    return integrity, dangling, models


class Observer:
    """Polls every model's ticks until stopped: (time, {id: ticks}) pairs."""

    def __init__(self, server):
        self.server = server
        self.samples = []
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def run(self):
        session = requests.Session()
        while not self.stop.is_set():
            try:
                listed = session.get(self.server.base + "/api/models?limit=1000", timeout=2).json()["models"]
                self.samples.append((time.monotonic(), {model["id"]: (model["ticks"], model["status"]) for model in listed}))
            except (requests.RequestException, ValueError, KeyError):
                pass
            time.sleep(0.05)

    def ticks_at(self, model_id, moment):
        """The ticks observed at or before `moment`, or None."""
        seen = [models[model_id][0] for when, models in self.samples if when <= moment and model_id in models]
        return seen[-1] if seen else None

    def ran_throughout(self, model_id):
        """Whether the model was training in every observation (not one that
        got a slot in the middle of the round)."""
        return bool(self.samples) and all(models.get(model_id, (0, ""))[1] == "running" for _, models in self.samples)

    def finish(self):
        self.stop.set()
        self.thread.join(timeout=5)


class Writer:
    """A client that writes while the server dies: renames, rate changes,
    models created and deleted."""

    def __init__(self, server, model_ids, seed):
        self.server = server
        self.model_ids = model_ids
        self.random = random.Random(seed)
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def run(self):
        session = requests.Session()
        base = self.server.base
        while not self.stop.is_set():
            try:
                model_id = self.random.choice(self.model_ids)
                session.patch(f"{base}/api/models/{model_id}", timeout=2,
                              json={"name": f"renamed {self.random.random():.6f}",
                                    "learning_rate": self.random.choice([0.01, 0.008, 0.012])})
                created = session.post(f"{base}/api/models", timeout=5,
                                       json=small_model(name="scratch", start=False)).json()
                if self.random.random() < 0.7:
                    session.delete(f"{base}/api/models/{created['id']}", timeout=5)
            except (requests.RequestException, ValueError, KeyError):
                pass
            time.sleep(0.02)

    def finish(self):
        self.stop.set()
        self.thread.join(timeout=10)


def test_sigkill_at_random_moments_loses_at_most_one_checkpoint_interval(make_server, figures):
    seed = int(os.environ.get("CRASH_SEED", str(int(time.time()))))
    print(f"crash test seed: {seed} (CRASH_SEED={seed} repeats it)")
    chance = random.Random(seed)
    server = make_server(max_jobs=2, checkpoint_seconds=INTERVAL).start()
    trained = [
        server.create(small_model(name="lstm sentences", hidden_sizes=[16], seed=1)),
        server.create(small_model(name="gru text", generator="gru", corpus="text", batch_size=4, seq_length=16,
                                  val_interval=50, seed=2)),
        server.create(small_model(name="rnn queued", generator="rnn", seed=3)),
    ]
    # Every model's points and checkpoint as of the previous round.
    previous = {}
    # The most training time a kill cost a job: the kill's time minus that of
    # the job's last checkpoint.
    worst = {"most_seconds_lost": 0.0}
    survived = 0
    for round_number in range(1, KILLS + 1):
        during_startup = round_number in (4, 8)
        if during_startup:
            # Killed again while it opens the database and rewinds the jobs.
            server.kill()
            server.start(wait=False)
            time.sleep(chance.uniform(0.0, 0.3))
            ready_at, observer, writer = None, None, None
        else:
            ready_at = time.monotonic()
            observer = Observer(server)
            writer = Writer(server, trained, seed + round_number)
            time.sleep(chance.uniform(0.2, 3.5))
        before_kill = {}
        if observer:
            for model_id in trained:
                try:
                    before_kill[model_id] = server.get(f"/api/models/{model_id}/metrics", timeout=5).json()["metrics"]
                except (requests.RequestException, ValueError, KeyError):
                    pass
        killed_at, killed_wall = time.monotonic(), time.time()
        server.kill()
        if writer:
            writer.finish()
        if observer:
            observer.finish()

        integrity, dangling, models = database_state(server.database)
        where = f"round {round_number} (seed {seed})"
        assert integrity == ["ok"], f"{where}: integrity_check says {integrity}"
        assert not dangling, f"{where}: dangling foreign keys {dangling}"
        for model_id in trained:
            model = models[model_id]
            checkpoint_ticks, _ = model["checkpoint"]
            steps = [step for step, _, _ in model["metrics"]]
            kept = {step: (loss, perplexity) for step, loss, perplexity in model["metrics"] if step <= checkpoint_ticks}
            # The loss history up to the checkpoint is whole: a point every
            # 100 ticks, each once.
            expected = list(range(METRIC_EVERY, checkpoint_ticks + 1, METRIC_EVERY))
            assert sorted(kept) == expected, \
                f"{where}, model {model_id}: points up to checkpoint {checkpoint_ticks} are {sorted(kept)[:5]}..., " \
                f"missing {sorted(set(expected) - set(kept))[:10]}"
            assert len([step for step in steps if step <= checkpoint_ticks]) == len(expected), \
                f"{where}, model {model_id}: duplicate points {steps}"
            # Points served before the kill, at or before the checkpoint, are unchanged.
            for point in before_kill.get(model_id, []):
                if point["step"] <= checkpoint_ticks:
                    assert point["step"] in kept, f"{where}, model {model_id}: point {point['step']} lost"
                    assert abs(kept[point["step"]][0] - point["mean_loss"]) < 1e-9, \
                        f"{where}, model {model_id}: point {point['step']} changed"
            # A checkpoint never goes back.
            if model_id in previous:
                assert checkpoint_ticks >= previous[model_id], \
                    f"{where}, model {model_id}: checkpoint went back from {previous[model_id]} to {checkpoint_ticks}"
            # At most one checkpoint interval of progress is lost: the
            # checkpoint holds at least the ticks reached INTERVAL (+ slack)
            # before the kill, when the job had been training that long.
            if observer and killed_at - ready_at > INTERVAL + SLACK and observer.ran_throughout(model_id):
                reached = observer.ticks_at(model_id, killed_at - INTERVAL - SLACK)
                if reached is not None and model["status"] == "running":
                    assert checkpoint_ticks >= reached, \
                        f"{where}, model {model_id}: checkpoint at {checkpoint_ticks} ticks but {reached} were " \
                        f"reached {INTERVAL + SLACK} s before the kill"
                if model["status"] == "running":
                    # Training time lost: from the checkpoint's moment to the kill.
                    lost = killed_wall - model["checkpoint"][1]
                    assert lost <= INTERVAL + SLACK, \
                        f"{where}, model {model_id}: the last checkpoint is {lost:.2f} s older than the kill"
                    worst["most_seconds_lost"] = max(worst["most_seconds_lost"], round(lost, 3))
            previous[model_id] = checkpoint_ticks
        survived += 1

        # Restarted, every model (the writer's too) loads, generates and exports.
        server.start()
        listed = server.get("/api/models?limit=1000").json()["models"]
        assert {model["id"] for model in listed} >= set(trained)
        for model in listed:
            generated = server.post(f"/api/models/{model['id']}/generate", {"count": 1, "max_length": 20, "seed": 1})
            assert generated.status_code == 200, f"{where}: model {model['id']} does not generate: {generated.text}"
            assert server.get(f"/api/models/{model['id']}/export").status_code == 200, f"{where}: model {model['id']} does not export"
        for model_id in trained:
            model = server.model(model_id)
            assert model["ticks"] >= models[model_id]["checkpoint"][0], f"{where}: model {model_id} went back"
            assert model["status"] in ("running", "queued"), f"{where}: model {model_id} is {model['status']}: {model['error']}"
        running = wait_until(lambda: server.get("/api/health").json()["jobs"]["running"] == 2, 20,
                             f"{where}: two jobs to train again after the restart")
        assert running

    figures.record("kills survived", survived)
    figures.record("crash test", {"seed": seed, "checkpoint_seconds": INTERVAL, **worst})
    assert survived == KILLS
