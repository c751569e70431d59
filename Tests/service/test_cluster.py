"""The cluster on PostgreSQL (issue 13): real `recurrent serve` processes,
API nodes (--role api) and training workers (--role worker), sharing one
database of a real PostgreSQL server (postgres.py), while workers are
killed, stalled with SIGSTOP past their lease, API nodes are killed and the
database server restarts.

What must hold throughout:
- a job is trained by one worker at a time: its checkpointed tick count only
  grows, in the database and as every API node serves it, and a stale
  worker's writes are refused (fenced by the lease generation);
- a dead worker's jobs continue on a live one within the lease time plus a
  few seconds, from their last checkpoint;
- no loss-history point at or before a job's checkpoint is lost, changed or
  doubled, and every model still loads;
- any API node reads what another one wrote, and its controls (pause,
  resume, PATCH, cancel, delete) reach the worker within about a second.

Leases are short (LEASE s) and checkpoints frequent (CHECKPOINT s) so the
file runs in a few minutes; the models are small. CLUSTER_KILLS and
CLUSTER_SEED tune and repeat the random kills.
"""

import itertools
import os
import random
import re
import subprocess
import threading
import time
from collections import Counter
from datetime import datetime, timezone

import requests

from harness import BINARY, HarnessError, PUBLIC, assert_error, free_port, small_model, wait_until

LEASE = 3  # --lease-seconds
CHECKPOINT = 1.0  # --checkpoint-seconds
# "Within the lease time plus a few seconds": a worker looks for expired
# leases now and then, loads the checkpoint and trains on.
RECOVERY_SLACK = 5.0
# Controls from any API node reach the worker "within about a second";
# measured against this bound on a busy 2-core machine.
CONTROL_SECONDS = 3.0
# API nodes answer a model's record from memory until PostgreSQL's
# notification of a change arrives ("within milliseconds"): a change made on
# one node shows on another after that delay, bounded here for a busy machine.
PROPAGATION_SECONDS = 1.0
METRIC_EVERY = 100
KILLS = int(os.environ.get("CLUSTER_KILLS", "10"))


# Open transactions of the cluster's database older than 2 s, and what waits for locks.
TRANSACTIONS = """SELECT pid, state, wait_event_type, round(EXTRACT(EPOCH FROM now() - xact_start)::numeric, 1),
    left(regexp_replace(query, '\\s+', ' ', 'g'), 160)
FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()
    AND (xact_start < now() - interval '2 seconds' OR wait_event_type = 'Lock')"""


def owner(model):
    """The id of the worker that holds the model's lease, or None."""
    worker = model.get("worker") if model else None
    return worker.get("id") if worker else None


def parse_time(text):
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def fetch(node, model_id):
    """GET /api/models/{id} on `node`, or None when it does not answer 200."""
    try:
        reply = node.get(f"/api/models/{model_id}", timeout=5)
    except requests.RequestException:
        return None
    return reply.json() if reply.status_code == 200 else None


def served_metrics(node, model_id):
    """Every loss-history point the API serves for the model, page by page."""
    points, after = [], -1
    while True:
        reply = node.get(f"/api/models/{model_id}/metrics", params={"after_step": after, "limit": 1000}, timeout=10)
        assert reply.status_code == 200, f"metrics of model {model_id}: {reply.status_code} {reply.text[:300]}"
        page = reply.json()
        points += page["metrics"]
        if page.get("next_after_step") is None or not page["metrics"]:
            return points
        after = page["next_after_step"]


def prometheus_value(text, name):
    """The sum of a metric's samples in a Prometheus text page."""
    values = [float(line.split()[-1]) for line in text.splitlines()
              if line.startswith(name) and (line[len(name):len(name) + 1] in (" ", "{"))]
    assert values, f"no {name} in /metrics"
    return sum(values)


class Cluster:
    """API nodes and workers on one database; each node in a folder of its
    own (its log is NAME/server.log)."""

    def __init__(self, make_node, postgres, database):
        self.make_node = make_node
        self.postgres = postgres
        self.database = database
        self.apis = []
        self.workers = []

    def node(self, name, role, **options):
        return self.make_node(name, database=self.database, role=role, lease_seconds=LEASE,
                              checkpoint_seconds=CHECKPOINT, **options)

    def start(self, apis=2, workers=3, max_jobs=2):
        """Starts the nodes at once (they migrate the empty database
        together, taking turns) and waits until each answers."""
        new_apis = [self.node(f"api{n + 1}", "api") for n in range(len(self.apis), len(self.apis) + apis)]
        new_workers = [self.node(f"worker{n + 1}", "worker", worker_id=f"worker{n + 1}", max_jobs=max_jobs)
                       for n in range(len(self.workers), len(self.workers) + workers)]
        for node in new_apis + new_workers:
            node.start(wait=False)
        for node in new_apis + new_workers:
            node.wait_ready()
        self.apis += new_apis
        self.workers += new_workers
        return self

    @property
    def nodes(self):
        return self.apis + self.workers

    @property
    def api(self):
        """An API node that runs (the first)."""
        for node in self.apis:
            if node.alive() and not node.frozen:
                return node
        raise HarnessError("no API node runs")

    def live_workers(self):
        """Worker id -> node, of the workers that run (not killed, not stopped)."""
        return {node.worker_id: node for node in self.workers if node.alive() and not node.frozen}

    def model(self, model_id):
        return self.api.model(model_id)

    def sql(self, sql):
        return self.postgres.psql(sql, self.database)

    def leases(self):
        """Model id -> (lease owner, lease generation), as the database holds them."""
        return {int(model_id): (lease_owner, int(generation)) for model_id, lease_owner, generation
                in self.sql("SELECT id, lease_owner, lease_generation FROM models")}

    def wait_running(self, model_ids, timeout=30):
        """Waits until every model runs on a live worker; returns id -> model."""
        def all_running():
            live = self.live_workers()
            models = {model_id: fetch(self.api, model_id) for model_id in model_ids}
            if all(model and model["status"] == "running" and owner(model) in live for model in models.values()):
                return models
            return None
        return self.wait(all_running, timeout, f"models {model_ids} to run on live workers", interval=0.1)

    def wait_checkpointed(self, model_ids, above=None, timeout=20):
        """Waits until every model has a checkpoint (beyond `above[id]`
        ticks when given); returns id -> model."""
        above = above or {}

        def checkpointed():
            models = {model_id: fetch(self.api, model_id) for model_id in model_ids}
            if all(model and (model["checkpoint_ticks"] or 0) > above.get(model_id, 0)
                   for model_id, model in models.items()):
                return models
            return None
        return self.wait(checkpointed, timeout, f"models {model_ids} to write a checkpoint", interval=0.1)

    def wait(self, condition, timeout, message, interval=0.05):
        """wait_until, with what the cluster says in the failure."""
        try:
            return wait_until(condition, timeout, message, interval=interval)
        except HarnessError as error:
            raise HarnessError(f"{error}\n{self.diagnosis()}") from None

    def diagnosis(self):
        """What the API, the database and the logs say, for a failure message."""
        lines = []
        try:
            listed = self.api.get("/api/models?limit=1000", timeout=5).json()["models"]
            lines.append("models (id, status, worker, ticks, checkpoint): "
                         f"{[(m['id'], m['status'], owner(m), m['ticks'], m['checkpoint_ticks']) for m in listed]}")
        except (requests.RequestException, ValueError, KeyError, HarnessError) as error:
            lines.append(f"models: {error!r}")
        try:
            leases = self.sql("SELECT id, lease_owner, lease_expires_at < now(), lease_generation FROM models ORDER BY id")
            lines.append(f"leases (id, owner, expired, generation): {leases}")
            lines.append(f"transactions older than 2 s: {self.sql(TRANSACTIONS)}")
        except HarnessError as error:
            lines.append(f"database: {error}")
        for node in self.nodes:
            state = "frozen" if node.frozen else "running" if node.alive() else "dead"
            lines.append(f"--- {node.name} ({state}), log end:\n{node.log()[-1500:]}")
        return "\n".join(lines)

    def history(self):
        """Model id -> (checkpoint ticks or None, [(step, mean loss), ...]) as
        the database holds them now (one statement: one snapshot)."""
        history, checkpoints = {}, {}
        for kind, model_id, number, loss in self.sql(
                "SELECT 'model', id, NULL::bigint, NULL::double precision FROM models "
                "UNION ALL SELECT 'checkpoint', model_id, ticks, NULL FROM checkpoints "
                "UNION ALL (SELECT 'metric', model_id, step, mean_loss FROM metrics ORDER BY model_id, step, id)"):
            if kind == "model":
                history[int(model_id)] = []
            elif kind == "checkpoint":
                checkpoints[int(model_id)] = int(number)
            else:
                history.setdefault(int(model_id), []).append((int(number), float(loss)))
        return {model_id: (checkpoints.get(model_id), sorted(points, key=lambda point: point[0]))
                for model_id, points in history.items()}


def check_history(history, where, kept=None):
    """Every model's loss history up to its checkpoint is whole (a point
    every METRIC_EVERY ticks, each once) and holds every point of `kept`
    (id -> {step: loss}, points seen at or before an earlier checkpoint)
    unchanged. Returns the points at or before each checkpoint."""
    now_kept = {}
    for model_id, (checkpoint, points) in history.items():
        checkpoint = checkpoint or 0
        steps = [step for step, _ in points if step <= checkpoint]
        expected = list(range(METRIC_EVERY, checkpoint + 1, METRIC_EVERY))
        assert steps == expected, \
            f"{where}, model {model_id}: the points up to checkpoint {checkpoint} should be every {METRIC_EVERY} " \
            f"ticks once; missing {sorted(set(expected) - set(steps))[:10]}, " \
            f"doubled {sorted(step for step, count in Counter(steps).items() if count > 1)[:10]}"
        now = {step: loss for step, loss in points if step <= checkpoint}
        for step, loss in (kept or {}).get(model_id, {}).items():
            assert step in now, f"{where}, model {model_id}: point {step} (at or before an earlier checkpoint) is lost"
            assert abs(now[step] - loss) < 1e-9, f"{where}, model {model_id}: point {step} changed from {loss} to {now[step]}"
        now_kept[model_id] = now
    return now_kept


class Watcher:
    """Polls, until finish(), every job's checkpoint tick and lease as the
    database holds them (psql) and as each API node serves them, and notes
    every step back: a checkpoint tick that decreases or vanishes, a lease
    generation that decreases, an owner that changes without a new
    generation (two owners under one fencing number)."""

    def __init__(self, cluster):
        self.cluster = cluster
        self.violations = []
        self.samples = Counter()
        self.checkpoints = {}  # (source, model id) -> last checkpoint ticks
        self.leases = {}  # model id -> (owner, generation)
        self.stop = threading.Event()
        self.threads = [threading.Thread(target=self.watch_database, daemon=True),
                        threading.Thread(target=self.watch_api_nodes, daemon=True)]
        for thread in self.threads:
            thread.start()

    def see(self, source, model_id, ticks):
        key = (source, model_id)
        last = self.checkpoints.get(key)
        if last is not None and (ticks is None or ticks < last):
            self.violations.append(f"{source}: model {model_id}'s checkpoint went from {last} to {ticks} ticks")
        if ticks is not None:
            self.checkpoints[key] = max(ticks, last or 0)

    def watch_database(self):
        while not self.stop.is_set():
            try:
                rows = self.cluster.sql("SELECT m.id, m.lease_owner, m.lease_generation, c.ticks "
                                        "FROM models m LEFT JOIN checkpoints c ON c.model_id = m.id")
            except (HarnessError, subprocess.TimeoutExpired):
                rows = None  # the server is down (or restarting)
            for model_id, lease_owner, generation, ticks in rows or []:
                model_id, generation = int(model_id), int(generation)
                self.see("database", model_id, int(ticks) if ticks is not None else None)
                if model_id in self.leases:
                    last_owner, last_generation = self.leases[model_id]
                    if generation < last_generation:
                        self.violations.append(f"model {model_id}'s lease generation went from {last_generation} "
                                               f"to {generation}")
                    elif lease_owner and last_owner and lease_owner != last_owner and generation == last_generation:
                        self.violations.append(f"model {model_id} changed owner from {last_owner} to {lease_owner} "
                                               f"under one lease generation {generation}")
                self.leases[model_id] = (lease_owner, generation)
            if rows is not None:
                self.samples["database"] += 1
            self.stop.wait(0.2)

    def watch_api_nodes(self):
        session = requests.Session()
        while not self.stop.is_set():
            for node in list(self.cluster.apis):
                if not node.alive() or node.frozen:
                    continue
                try:
                    reply = session.get(node.base + "/api/models?limit=1000", timeout=3)
                    if reply.status_code != 200:
                        continue
                    for model in reply.json()["models"]:
                        self.see(node.name, model["id"], model["checkpoint_ticks"])
                    self.samples[node.name] += 1
                except (requests.RequestException, ValueError, KeyError):
                    pass
            self.stop.wait(0.1)

    def finish(self):
        """Stops polling and asserts that nothing went back."""
        self.stop.set()
        for thread in self.threads:
            thread.join(timeout=35)
        assert self.samples["database"] >= 3, f"the watcher barely saw the database: {dict(self.samples)}"
        assert not self.violations, f"{len(self.violations)} steps back, e.g.: " + "; ".join(self.violations[:8])


def start_jobs(cluster, count):
    """Creates `count` small models on the first API node; returns their ids."""
    return [cluster.apis[0].create(small_model(name=f"job {n}", seed=n + 1)) for n in range(count)]


def test_jobs_spread_over_the_workers_and_any_api_node_reads_them(make_node, postgres, postgres_database, figures):
    """2 API nodes, 3 workers of 2 slots, 6 jobs: created on one API node,
    read on the other; every job runs, two on each worker, and both nodes
    see its ticks grow."""
    cluster = Cluster(make_node, postgres, postgres_database).start(apis=2, workers=3, max_jobs=2)
    first, second = cluster.apis
    created_at = time.monotonic()
    ids = start_jobs(cluster, 6)
    for model_id in ids:
        on_first, on_second = first.model(model_id), second.model(model_id)
        for field in ("name", "config", "vocabulary", "parameter_count", "learning_rate"):
            assert on_second[field] == on_first[field], f"model {model_id}: {field} differs between the API nodes"
        assert on_second["status"] in ("queued", "running"), on_second

    running = cluster.wait_running(ids, timeout=30)
    figures.record("cluster: seconds until 6 jobs run on 3 workers", round(time.monotonic() - created_at, 2))
    per_worker = Counter(owner(model) for model in running.values())
    assert sorted(per_worker.values()) == [2, 2, 2], f"6 jobs on 3 workers of 2 slots each: {dict(per_worker)}"

    leases = cluster.leases()
    now = datetime.now(timezone.utc)
    for model_id, model in running.items():
        worker = model["worker"]
        assert set(worker) >= {"id", "since", "lease_expires_at"}, worker
        since, expires = parse_time(worker["since"]), parse_time(worker["lease_expires_at"])
        assert since <= now and since < expires, f"model {model_id}: {worker}"
        assert (expires - now).total_seconds() <= LEASE + 1, f"model {model_id}: a lease of {LEASE} s ends at {worker}"
        assert leases[model_id][0] == worker["id"], f"model {model_id}: the database says {leases[model_id]}, the API {worker}"
        assert leases[model_id][1] >= 1, f"model {model_id}: a claim sets a lease generation: {leases[model_id]}"

    # Both API nodes see every job train on, and agree on its status.
    for node in cluster.apis:
        seen = {model_id: node.model(model_id)["ticks"] for model_id in ids}
        for model_id in ids:
            cluster.wait(lambda: node.model(model_id)["ticks"] > seen[model_id] + METRIC_EVERY, 15,
                         f"model {model_id}'s ticks to grow as {node.name} serves them")
            assert node.model(model_id)["status"] == "running"
    # The lease is renewed: it stays in the future while the job trains.
    for model_id in ids:
        model = second.model(model_id)
        assert owner(model) == owner(running[model_id]), f"model {model_id} changed worker without a failure: {model['worker']}"
        assert parse_time(model["worker"]["lease_expires_at"]) > datetime.now(timezone.utc), model["worker"]
    for worker in cluster.workers:
        health = worker.get("/api/health").json()
        assert health["jobs"]["running"] == 2, f"{worker.name}: {health}"
    for api in cluster.apis:
        health = api.get("/api/health").json()
        assert health["jobs"]["running"] == 0, f"an API node trains nothing: {api.name}: {health}"


def busiest_worker(cluster, running):
    """The worker that holds the most of the running jobs, and its jobs."""
    per_worker = Counter(owner(model) for model in running.values())
    worker_id, _ = per_worker.most_common(1)[0]
    return cluster.live_workers()[worker_id], [model_id for model_id, model in running.items() if owner(model) == worker_id]


def wait_moved(cluster, jobs, gone, checkpoints, timeout=40):
    """Waits until each job trains on a live worker other than `gone`, past
    the checkpoint it had (`checkpoints[id]`); returns id -> seconds from
    now until it did."""
    started = time.monotonic()
    moved = {}

    def all_moved():
        live = cluster.live_workers()
        for model_id in jobs:
            if model_id in moved:
                continue
            model = fetch(cluster.api, model_id)
            if model and model["status"] == "running" and owner(model) in live and owner(model) != gone \
                    and model["ticks"] > checkpoints[model_id]:
                moved[model_id] = round(time.monotonic() - started, 2)
        return len(moved) == len(jobs)
    try:
        wait_until(all_moved, timeout, f"the jobs {jobs} of {gone} to train on another worker", interval=0.1)
    except HarnessError as error:
        raise HarnessError(f"{error}; moved: {moved}\n{cluster.diagnosis()}") from None
    return moved


def test_a_killed_workers_jobs_continue_on_the_others(make_node, postgres, postgres_database, figures):
    """SIGKILL a worker that holds jobs: they continue on the other workers
    within the lease time plus a few seconds, from their last checkpoint;
    the other jobs stay where they are; no checkpoint goes back."""
    cluster = Cluster(make_node, postgres, postgres_database).start(apis=2, workers=3, max_jobs=2)
    ids = start_jobs(cluster, 4)  # 6 slots: after one worker dies, 4 are left
    running = cluster.wait_running(ids)
    cluster.wait_checkpointed(ids)
    watcher = Watcher(cluster)
    time.sleep(1.5)  # a checkpoint more under the watcher's eyes

    running = cluster.wait_running(ids)
    victim, jobs = busiest_worker(cluster, running)
    stayed = {model_id: owner(model) for model_id, model in running.items() if model_id not in jobs}
    victim.kill()
    checkpoints = {model_id: cluster.model(model_id)["checkpoint_ticks"] for model_id in jobs}
    moved = wait_moved(cluster, jobs, victim.worker_id, checkpoints)
    slowest = max(moved.values())
    figures.record("cluster: seconds from a worker's SIGKILL until its jobs train elsewhere",
                   {"jobs": len(jobs), "slowest": slowest, "lease_seconds": LEASE})
    assert slowest <= LEASE + RECOVERY_SLACK, \
        f"the jobs of the killed worker took {moved} s to train elsewhere (lease {LEASE} s + {RECOVERY_SLACK} s)"

    # They checkpoint on their new workers and train on.
    cluster.wait_checkpointed(jobs, above=checkpoints)
    for model_id in jobs:
        ticks = cluster.model(model_id)["ticks"]
        cluster.wait(lambda: cluster.model(model_id)["ticks"] > ticks + METRIC_EVERY, 15,
                     f"model {model_id} to train on after it moved")
    for model_id, worker_id in stayed.items():
        assert owner(cluster.model(model_id)) == worker_id, f"model {model_id} of a live worker moved"
    watcher.finish()
    check_history(cluster.history(), "after the kill")


def test_a_worker_stopped_past_its_lease_is_fenced_out(make_node, postgres, postgres_database, figures):
    """SIGSTOP a worker past its lease: its jobs move to the others. After
    SIGCONT its writes are refused (it logs that it lost the lease) and it
    stops those jobs: each has one owner, the one the database names, and
    no checkpoint goes back."""
    cluster = Cluster(make_node, postgres, postgres_database).start(apis=1, workers=3, max_jobs=2)
    ids = start_jobs(cluster, 4)
    running = cluster.wait_running(ids)
    cluster.wait_checkpointed(ids)
    watcher = Watcher(cluster)
    time.sleep(1.5)

    running = cluster.wait_running(ids)
    victim, jobs = busiest_worker(cluster, running)
    victim.freeze()
    frozen_at = time.monotonic()
    try:
        checkpoints = {model_id: cluster.model(model_id)["checkpoint_ticks"] for model_id in jobs}
        moved = wait_moved(cluster, jobs, victim.worker_id, checkpoints)
        figures.record("cluster: seconds from a worker's SIGSTOP until its jobs train elsewhere", max(moved.values()))
        # The new owners checkpoint beyond where the stalled worker left off.
        cluster.wait_checkpointed(jobs, above=checkpoints)
        generations = {model_id: lease for model_id, lease in cluster.leases().items() if model_id in jobs}
        # Not before the lease could run out: the worker renews every third
        # of it, so its last renewal may be up to that much older than the freeze.
        assert time.monotonic() - frozen_at > LEASE - LEASE / 3 - 0.1
    finally:
        victim.thaw()
    thawed_at = time.monotonic()

    # Its next write for each job (checkpoint, metrics, lease renewal) is refused.
    lost = cluster.wait(lambda: victim.log().count("lost its lease") >= len(jobs) and victim.log().count("lost its lease"),
                        LEASE + 10, f"{victim.name} to log that it lost its lease of {len(jobs)} jobs")
    figures.record("cluster: seconds from SIGCONT until the stale worker gave its jobs up",
                   round(time.monotonic() - thawed_at, 2))
    assert victim.alive(), f"the stale worker died:\n{victim.log()[-3000:]}"
    cluster.wait(lambda: victim.get("/api/health").json()["jobs"]["running"] == 0, 10,
                 f"{victim.name} to stop the jobs it lost ({lost} lines say so)")

    # One owner per job, for a while: the API's and the database's, not the stale worker.
    deadline = time.monotonic() + 2 * LEASE
    while time.monotonic() < deadline:
        leases = cluster.leases()
        for model_id in jobs:
            model = cluster.model(model_id)
            assert model["status"] == "running", model
            assert owner(model) == leases[model_id][0] != victim.worker_id, \
                f"model {model_id}: the API says {model['worker']}, the database {leases[model_id]}"
            assert leases[model_id] == generations[model_id], \
                f"model {model_id}'s lease changed hands after the stale worker came back: " \
                f"{generations[model_id]} -> {leases[model_id]}"
        time.sleep(0.3)
    for model_id in jobs:
        ticks = cluster.model(model_id)["ticks"]
        cluster.wait(lambda: cluster.model(model_id)["ticks"] > ticks + METRIC_EVERY, 15, f"model {model_id} to train on")
    watcher.finish()
    check_history(cluster.history(), "after the stale worker came back")


def test_a_postgresql_restart_interrupts_nothing(make_node, postgres, postgres_database, figures):
    """Stop PostgreSQL (pg_ctl stop -m fast) for a few seconds: API nodes
    answer 503 `storage_unavailable`, every node stays up, workers train on;
    once it is back, the API answers again, the jobs checkpoint and train
    on, and nothing stored before is lost."""
    cluster = Cluster(make_node, postgres, postgres_database).start(apis=2, workers=2, max_jobs=2)
    ids = start_jobs(cluster, 3)
    cluster.wait_running(ids)
    cluster.wait_checkpointed(ids)
    watcher = Watcher(cluster)
    time.sleep(1.0)
    before = {model_id: cluster.model(model_id)["checkpoint_ticks"] for model_id in ids}
    kept = check_history(cluster.history(), "before the restart")

    def trained():
        """Ticks the workers trained since they started (/metrics); None
        while a worker's /metrics does not answer 200."""
        total = 0
        for worker in cluster.workers:
            reply = worker.get("/metrics", timeout=5)
            if reply.status_code != 200:
                return None
            total += prometheus_value(reply.text, "recurrent_ticks_total")
        return total

    first = trained()
    time.sleep(1.0)
    trained_before = trained()
    rate = trained_before - first
    postgres.stop("fast")
    stopped_at = time.monotonic()
    worker_metrics = Counter()
    try:
        # Each API node notices and says so in the error envelope.
        for node in cluster.apis:
            cluster.wait(lambda: node.get(f"/api/models/{ids[0]}", timeout=5).status_code == 503, 5,
                         f"{node.name} to answer 503 while PostgreSQL is down")
        noticed = round(time.monotonic() - stopped_at, 2)
        # Then, for about 3 s: reads and writes on both, health of every node.
        answers = Counter()
        probes = itertools.cycle([(node, method, path) for node in cluster.apis for method, path in
                                  (("GET", f"/api/models/{ids[0]}"), ("GET", "/api/models"), ("POST", "/api/models"))])
        while time.monotonic() - stopped_at < 3.0:
            node, method, path = next(probes)
            reply = node.request(method, path, timeout=5, json=small_model(name="while down") if method == "POST" else None)
            assert_error(reply, 503, "storage_unavailable")
            answers[reply.status_code] += 1
            for node in cluster.nodes:
                assert node.alive(), f"{node.name} died while PostgreSQL was down:\n{node.log()[-3000:]}"
            for worker in cluster.workers:
                health = worker.get("/api/health", timeout=5)
                assert health.status_code == 200, f"{worker.name}'s health while PostgreSQL is down: {health.text[:300]}"
        for worker in cluster.workers:
            worker_metrics[worker.get("/metrics", timeout=5).status_code] += 1
    finally:
        postgres.start()
    back_at = time.monotonic()
    down_seconds = back_at - stopped_at
    # The workers trained on meanwhile: their in-process tick counters (read
    # as soon as they answer again) grew by at least 40% of what the same
    # time trains when all is well.
    trained_after = cluster.wait(trained, 20, "the workers' /metrics to answer again")
    trained_while_down = trained_after - trained_before

    for node in cluster.apis:
        cluster.wait(lambda: node.get("/api/models", timeout=5).status_code == 200, 20,
                     f"{node.name} to answer again once PostgreSQL is back")
    answering = round(time.monotonic() - back_at, 2)
    # New checkpoints beyond the old ones, and ticks growing.
    cluster.wait_checkpointed(ids, above=before, timeout=30)
    running = cluster.wait_running(ids)
    for model_id in ids:
        ticks = running[model_id]["ticks"]
        cluster.wait(lambda: cluster.model(model_id)["ticks"] > ticks + METRIC_EVERY, 15, f"model {model_id} to train on")
    figures.record("cluster: PostgreSQL restart", {
        "seconds until API nodes answered 503": noticed, "503 answers": answers[503],
        "seconds down": round(down_seconds, 2), "ticks trained per second before": int(rate),
        "ticks trained from the stop until the workers answered again": int(trained_while_down),
        "worker /metrics answers while down": dict(worker_metrics),
        "seconds until API nodes answered again": answering,
        "seconds until every job checkpointed again": round(time.monotonic() - back_at, 2)})
    assert trained_while_down >= 0.4 * rate * down_seconds, \
        f"the workers trained {trained_while_down} ticks in the {down_seconds:.1f} s PostgreSQL was down, " \
        f"against {rate} per second before"
    for node in cluster.nodes:
        assert node.alive(), f"{node.name} died:\n{node.log()[-3000:]}"
    assert not [model for model in cluster.api.get("/api/models").json()["models"] if model["name"] == "while down"], \
        "a create refused with 503 left a model behind"
    watcher.finish()
    check_history(cluster.history(), "after the restart", kept)


def test_random_sigkills_of_workers_and_api_nodes_lose_no_history(make_node, postgres, postgres_database, figures):
    """KILLS SIGKILLs of random nodes at random moments, each restarted
    (a restarted worker under a new id, as the default host-pid id would
    be). After every kill the database's loss history up to each checkpoint
    is whole and holds every point it held before; at the end every job
    runs again, the API serves that history, and every model generates and
    exports on every API node."""
    seed = int(os.environ.get("CLUSTER_SEED", str(int(time.time()))))
    print(f"cluster kill test seed: {seed} (CLUSTER_SEED={seed} repeats it)")
    chance = random.Random(seed)
    cluster = Cluster(make_node, postgres, postgres_database).start(apis=2, workers=3, max_jobs=2)
    ids = start_jobs(cluster, 4)
    cluster.wait_running(ids)
    watcher = Watcher(cluster)
    kept = {}
    killed = Counter()
    for round_number in range(1, KILLS + 1):
        where = f"round {round_number} (seed {seed})"
        time.sleep(chance.uniform(0.3, 2.5))
        node = chance.choice(cluster.nodes)
        node.kill()
        killed[node.role] += 1
        kept = check_history(cluster.history(), f"{where}, after killing {node.name}", kept)
        if node.role == "worker":
            node.worker_id = f"{node.name}-{node.starts + 1}"
        node.start()

    finished_at = time.monotonic()
    cluster.wait_running(ids, timeout=LEASE + 30)
    figures.record("cluster: seconds until every job ran again after the last kill",
                   round(time.monotonic() - finished_at, 2))
    watcher.finish()
    kept = check_history(cluster.history(), "at the end", kept)
    for node in cluster.apis:
        for model_id in ids:
            points = {point["step"]: point["mean_loss"] for point in served_metrics(node, model_id)}
            for step, loss in kept[model_id].items():
                assert step in points, f"{node.name} does not serve point {step} of model {model_id}"
                assert abs(points[step] - loss) < 1e-9, f"{node.name} serves point {step} of model {model_id} changed"
            generated = node.post(f"/api/models/{model_id}/generate", {"count": 1, "max_length": 20, "seed": 1})
            assert generated.status_code == 200, f"model {model_id} does not generate on {node.name}: {generated.text[:300]}"
            assert isinstance(generated.json()["samples"][0]["text"], str)
            exported = node.get(f"/api/models/{model_id}/export")
            assert exported.status_code == 200, f"model {model_id} does not export on {node.name}: {exported.text[:300]}"
            assert exported.json()["generator"] == "lstm"
    figures.record("cluster kills survived", {"seed": seed, "kills": KILLS, **dict(killed),
                                              "checkpointed ticks": {model_id: max(kept[model_id], default=0)
                                                                     for model_id in ids}})


def test_controls_from_another_api_node_reach_the_worker(make_node, postgres, postgres_database, figures):
    """A job created on one API node is paused, resumed, changed, cancelled
    and deleted on the other; each reaches the worker within about a
    second."""
    cluster = Cluster(make_node, postgres, postgres_database).start(apis=2, workers=1, max_jobs=2)
    creator, controller = cluster.apis
    worker = cluster.workers[0]
    model_id = creator.create(small_model(name="controlled"))
    other = creator.create(small_model(name="to cancel", seed=2))
    cluster.wait_running([model_id, other])
    latencies, propagation = {}, {}

    def timed(name, condition, message):
        started = time.monotonic()
        value = cluster.wait(condition, 10, message, interval=0.02)
        latencies[name] = round(time.monotonic() - started, 3)
        return value

    def training():
        return worker.get("/api/health").json()["jobs"]["running"]

    def propagated(name, condition, message):
        started = time.monotonic()
        value = cluster.wait(condition, PROPAGATION_SECONDS, message, interval=0.005)
        propagation[name] = round(time.monotonic() - started, 3)
        return value

    # Pause: the worker stops the job, checkpoints it and lets the lease go.
    reply = controller.post(f"/api/models/{model_id}/pause")
    assert reply.status_code == 200, reply.text[:300]
    timed("pause", lambda: training() == 1, "the worker to stop training the paused model")
    paused = cluster.wait(lambda: (model := creator.model(model_id))["status"] == "paused" and model["worker"] is None
                          and model["checkpoint_ticks"] == model["ticks"] and model, 5,
                          "the paused model to be checkpointed and released on the creating node")
    time.sleep(1.0)
    assert creator.model(model_id)["ticks"] == paused["ticks"], "a paused model trains on"
    assert cluster.leases()[model_id][0] is None, "a paused model keeps its lease"

    # Resume: a worker takes it up again.
    reply = controller.post(f"/api/models/{model_id}/resume")
    assert reply.status_code == 200, reply.text[:300]
    timed("resume", lambda: training() == 2, "the worker to train the resumed model")
    cluster.wait(lambda: (model := creator.model(model_id))["status"] == "running"
                 and owner(model) == worker.worker_id and model["ticks"] > paused["ticks"], 10,
                 "the resumed model to train again")

    # PATCH: the learning rate reaches the training (the next loss points carry it).
    reply = controller.request("PATCH", f"/api/models/{model_id}", json={"learning_rate": 0.0123, "name": "renamed"})
    assert reply.status_code == 200, reply.text[:300]
    mine = controller.model(model_id)
    assert mine["learning_rate"] == 0.0123 and mine["name"] == "renamed", "a node does not read its own write at once"
    changed = propagated("patch", lambda: (model := creator.model(model_id))["learning_rate"] == 0.0123
                         and model["name"] == "renamed" and model, "the change to show on the creating node")
    step = changed["ticks"]
    timed("patch learning_rate", lambda: any(point["step"] > step and point["learning_rate"] == 0.0123
                                             for point in creator.get(f"/api/models/{model_id}/metrics",
                                                                      params={"after_step": step}).json()["metrics"]),
          "a loss point trained with the new learning rate")

    # Cancel, on the other job.
    reply = controller.post(f"/api/models/{other}/cancel")
    assert reply.status_code == 200, reply.text[:300]
    timed("cancel", lambda: training() == 1, "the worker to stop training the cancelled model")
    cluster.wait(lambda: (model := creator.model(other))["status"] == "cancelled" and model["worker"] is None, 5,
                 "the cancelled model to be released")
    cancelled = creator.model(other)["ticks"]

    # Delete: gone on both nodes, and the worker stops training it.
    reply = controller.request("DELETE", f"/api/models/{model_id}")
    assert reply.status_code in (200, 204), reply.text[:300]
    assert_error(controller.get(f"/api/models/{model_id}"), 404, "model_not_found")
    propagated("delete", lambda: creator.get(f"/api/models/{model_id}").status_code == 404,
               "the deleted model to be gone on the creating node")
    assert_error(creator.get(f"/api/models/{model_id}"), 404, "model_not_found")
    timed("delete", lambda: training() == 0, "the worker to stop training the deleted model")
    assert cluster.sql(f"SELECT count(*) FROM models WHERE id = {model_id}") == [("0",)]
    assert creator.model(other)["ticks"] == cancelled, "a cancelled model trains on"
    assert worker.alive(), worker.log()[-3000:]
    figures.record("cluster: seconds until a control on another API node reached the worker", latencies)
    figures.record("cluster: seconds until a change on one API node showed on the other", propagation)
    slow = {name: seconds for name, seconds in latencies.items() if seconds > CONTROL_SECONDS}
    assert not slow, f"controls slower than {CONTROL_SECONDS} s: {slow}"


def test_roles(make_node, postgres, postgres_database, workdir):
    """A worker answers only /api/health and /metrics; an API node trains
    nothing; with SQLite only --role all makes sense, the others exit 2
    with one line on stderr."""
    cluster = Cluster(make_node, postgres, postgres_database).start(apis=1, workers=0)
    api = cluster.api
    model_id = api.create(small_model(name="waits for a worker"))
    time.sleep(1.5)
    model = api.model(model_id)
    assert model["status"] == "queued" and model["ticks"] == 0 and model["worker"] is None, \
        f"an API node alone trained: {model}"

    cluster.start(apis=0, workers=1)
    worker = cluster.workers[0]
    health = worker.get("/api/health")
    assert health.status_code == 200 and health.json()["status"] == "ok", health.text[:300]
    metrics = worker.get("/metrics")
    assert metrics.status_code == 200 and "recurrent_ticks_total" in metrics.text, metrics.text[:300]
    for method, path in (("GET", "/api/models"), ("POST", "/api/models"), ("GET", f"/api/models/{model_id}"),
                         ("POST", f"/api/models/{model_id}/pause"), ("GET", "/"), ("GET", "/index.html"),
                         ("GET", "/openapi.json")):
        reply = worker.request(method, path, json={} if method == "POST" else None)
        assert reply.status_code == 404, f"a worker answered {method} {path} with {reply.status_code}: {reply.text[:200]}"
    # The queued job now trains on the worker.
    cluster.wait_running([model_id])

    for arguments, environment in ((["--role", "worker"], {}), (["--role", "api"], {}), ([], {"RECURRENT_ROLE": "worker"})):
        done = subprocess.run(
            [str(BINARY), "serve", "--host", "127.0.0.1", "--port", str(free_port()),
             "--database", str(workdir / "single.sqlite"), "--public", str(PUBLIC), *arguments],
            cwd=workdir, env={**os.environ, **environment}, stdin=subprocess.DEVNULL,
            capture_output=True, text=True, timeout=30)
        lines = done.stderr.strip().splitlines()
        assert done.returncode == 2, f"SQLite with {arguments or environment} exited {done.returncode}: {done.stderr[-1000:]}"
        assert len(lines) == 1 and lines[0].strip(), f"SQLite with {arguments or environment}: stderr {done.stderr!r}"
        assert re.search(r"role|sqlite|postgres", lines[0], re.IGNORECASE), lines[0]
