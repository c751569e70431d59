"""Cluster figures on this machine, measured side by side in one run:

1. training speed: the same two text-corpus jobs on one SQLite node
   (--max-jobs 2) and on two PostgreSQL workers (--max-jobs 1 each, an API
   node in front), characters per second summed over both jobs (median and
   range of one-second readings of each job's `chars_per_sec`);
2. `GET /api/models/{id}` on the API node under wrk while every worker
   trains (p50/p99/max);
3. the store's writes per second while the workers train (from
   pg_stat_database: transactions committed), per worker and per job.

Run by scripts/cluster-bench with a release binary; prints a table and a
JSON line. Options: --seconds N (each measurement), --rounds N (the two
layouts alternate, so slow drift of the shared machine hits both).
"""

import argparse
import json
import random
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from harness import CORPUS, Server, wait_until  # noqa: E402
from load import wrk  # noqa: E402
from postgres import PostgresServer  # noqa: E402


def corpus(size=200_000, seed=1):
    """A text of about `size` characters made of the harness's own sentences."""
    random.seed(seed)
    sentences = CORPUS.split("\n")
    parts, length = [], 0
    while length < size:
        sentence = random.choice(sentences)
        parts.append(sentence)
        length += len(sentence) + 2
    return ". ".join(parts)


def job(name, text, seed):
    return {"name": name, "text": text, "corpus": "text", "generator": "lstm", "hidden_sizes": [128, 128],
            "letter_size": 32, "batch_size": 32, "seq_length": 64, "val_fraction": 0.05, "val_interval": 0,
            "optimizer": "adam", "learning_rate": 0.002, "seed": seed}


def readings(api, ids, seconds, warmup):
    """Each of `ids`'s model status, read once a second for `seconds` after
    `warmup`, once every job trains: a list of {id: status} a second."""
    for model_id in ids:
        wait_until(lambda: api.model(model_id)["status"] == "running" and api.model(model_id)["ticks"] > 0, 120,
                   f"model {model_id} to train")
    time.sleep(warmup)
    seconds_read = []
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        time.sleep(1)
        seconds_read.append({model_id: api.model(model_id) for model_id in ids})
    return seconds_read


def measure_speed(api, ids, seconds, warmup):
    """Sum over `ids` of chars/s, read once a second for `seconds` after `warmup`."""
    return [sum(models[model_id]["chars_per_sec"] or 0 for model_id in ids)
            for models in readings(api, ids, seconds, warmup)]


def sqlite_round(folder, binary, text, seconds, warmup):
    node = Server(folder / "sqlite", binary=binary, max_jobs=2, checkpoint_seconds=30)
    node.folder.mkdir(parents=True, exist_ok=True)
    try:
        node.start()
        ids = [node.create(job(f"job {index}", text, index + 1)) for index in range(2)]
        return measure_speed(node, ids, seconds, warmup)
    finally:
        node.kill()


def cluster_round(folder, binary, text, seconds, warmup, postgres, with_load):
    database = postgres.create_database()
    api = Server(folder / "api", binary=binary, database=database, role="api", worker_id="api", max_jobs=1)
    workers = [Server(folder / f"worker{index}", binary=binary, database=database, role="worker",
                      worker_id=f"worker{index}", max_jobs=1, checkpoint_seconds=30) for index in range(2)]
    nodes = [api, *workers]
    for node in nodes:
        node.folder.mkdir(parents=True, exist_ok=True)
    try:
        for node in nodes:
            node.start()
        ids = [api.create(job(f"job {index}", text, index + 1)) for index in range(2)]
        name = database.rsplit("/", 1)[1].split("?")[0]
        # The store's transactions while the two jobs train (the speed
        # readings add two reads a second).
        before, started = commits(postgres, name), time.monotonic()
        speed = measure_speed(api, ids, seconds, warmup)
        writes = (commits(postgres, name) - before) / (time.monotonic() - started)
        owners = {api.model(model_id)["worker"]["id"] for model_id in ids}
        assert len(owners) == 2, f"both jobs went to one worker: {owners}"
        load = wrk(api.base + f"/api/models/{ids[0]}", seconds, connections=16) if with_load else None
        return speed, load, writes
    finally:
        for node in nodes:
            node.kill()


def commits(postgres, database):
    rows = postgres.psql(f"SELECT xact_commit FROM pg_stat_database WHERE datname = '{database}'")
    return int(rows[0][0])


def summary(values):
    return {"median": round(statistics.median(values)), "min": round(min(values)), "max": round(max(values))}


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=int, default=30)
    parser.add_argument("--warmup", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--binary", default=None, help="the recurrent binary (default: harness's)")
    arguments = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="recurrent-cluster-bench-"))
    # Its own folder: the server runs as the postgres user, who cannot enter ours.
    postgres = PostgresServer()
    text = corpus()
    sqlite, cluster, loads, writes = [], [], [], []
    try:
        postgres.start()
        for round_index in range(arguments.rounds):
            sqlite += sqlite_round(folder / f"r{round_index}", arguments.binary, text, arguments.seconds,
                                   arguments.warmup)
            speed, load, rate = cluster_round(folder / f"r{round_index}", arguments.binary, text, arguments.seconds,
                                              arguments.warmup, postgres, with_load=True)
            cluster += speed
            loads.append(load)
            writes.append(rate)
    finally:
        postgres.destroy()
        shutil.rmtree(folder, ignore_errors=True)
    result = {
        "sqlite_one_node_chars_per_sec": summary(sqlite),
        "postgres_two_workers_chars_per_sec": summary(cluster),
        "ratio_of_medians": round(statistics.median(cluster) / statistics.median(sqlite), 3),
        "api_status_under_wrk": loads,
        "store_transactions_per_sec_two_jobs": [round(rate, 1) for rate in writes],
    }
    print(f"two jobs, one SQLite node:      {result['sqlite_one_node_chars_per_sec']} chars/s")
    print(f"two jobs, two PostgreSQL workers: {result['postgres_two_workers_chars_per_sec']} chars/s "
          f"(ratio of medians {result['ratio_of_medians']})")
    for load in loads:
        print(f"GET /api/models/{{id}} on the API node: {load['requests_per_second']} req/s, p50 {load['p50_ms']} ms, "
              f"p99 {load['p99_ms']} ms, max {load['max_ms']} ms, errors {load['errors']}")
    print(f"store transactions per second, two jobs training: {result['store_transactions_per_sec_two_jobs']}")
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
