"""How a service shares the machine's cores among running jobs, measured.

One `recurrent serve` (SQLite, no --job-threads, so jobs share the cores):
job A (an LSTM 2x128 text job) trains alone, then job B starts beside it,
then A is paused and B trains alone. Each phase reads both jobs'
`chars_per_sec` and `threads` once a second after a warm-up. Prints a table
and a JSON line: each job's speed alone and shared, and its share of its
speed alone (with two jobs on two cores, each has half the machine, so a
share of at least 0.5 means neither slowed beyond its share).

Run by scripts/core-share-figures with a release binary.
"""
import argparse
import json
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from cluster_bench import corpus, job  # noqa: E402
from harness import Server, wait_until  # noqa: E402


def readings(node, ids, seconds, warmup):
    """Per job: median, min, max chars/s and the thread counts seen, over `seconds` after `warmup`."""
    time.sleep(warmup)
    rates = {model_id: [] for model_id in ids}
    threads = {model_id: set() for model_id in ids}
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        time.sleep(1)
        for model_id in ids:
            model = node.model(model_id)
            rates[model_id].append(model["chars_per_sec"] or 0)
            threads[model_id].add(model.get("threads"))
    return {model_id: {"median": round(statistics.median(values)), "min": round(min(values)),
                       "max": round(max(values)), "threads": sorted(t for t in threads[model_id] if t is not None)}
            for model_id, values in rates.items()}


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--warmup", type=int, default=8)
    parser.add_argument("--binary", default=None)
    arguments = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="recurrent-core-share-"))
    node = Server(folder / "node", binary=arguments.binary, max_jobs=2, checkpoint_seconds=60)
    node.folder.mkdir(parents=True, exist_ok=True)
    text = corpus()
    try:
        node.start()
        first = node.create(job("A", text, 1))
        wait_until(lambda: node.model(first)["ticks"] > 0, 120, "job A to train")
        alone_a = readings(node, [first], arguments.seconds, arguments.warmup)[first]
        second = node.create(job("B", text, 2))
        wait_until(lambda: node.model(second)["ticks"] > 0, 120, "job B to train")
        shared = readings(node, [first, second], arguments.seconds, arguments.warmup)
        node.session.post(f"{node.base}/api/models/{first}/pause").raise_for_status()
        wait_until(lambda: node.model(first)["status"] == "paused", 60, "job A to pause")
        alone_b = readings(node, [second], arguments.seconds, arguments.warmup)[second]
    finally:
        node.kill()
        shutil.rmtree(folder, ignore_errors=True)
    result = {
        "A": {"alone": alone_a, "shared": shared[first], "share": round(shared[first]["median"] / alone_a["median"], 3)},
        "B": {"alone": alone_b, "shared": shared[second], "share": round(shared[second]["median"] / alone_b["median"], 3)},
    }
    for name, figures in result.items():
        print(f"job {name}: alone {figures['alone']['median']} chars/s on {figures['alone']['threads']} threads; "
              f"beside the other {figures['shared']['median']} on {figures['shared']['threads']} "
              f"(range {figures['shared']['min']}-{figures['shared']['max']}): {figures['share']} of alone")
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
