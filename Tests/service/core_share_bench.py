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
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from cluster_bench import corpus, job, readings  # noqa: E402
from harness import Server, wait_until  # noqa: E402


def speeds(node, ids, seconds, warmup):
    """Per job: median, min, max chars/s and the thread counts seen, over `seconds` after `warmup`."""
    seconds_read = readings(node, ids, seconds, warmup)
    figures = {}
    for model_id in ids:
        rates = [models[model_id]["chars_per_sec"] or 0 for models in seconds_read]
        threads = {models[model_id].get("threads") for models in seconds_read} - {None}
        figures[model_id] = {"median": round(statistics.median(rates)), "min": round(min(rates)),
                             "max": round(max(rates)), "threads": sorted(threads)}
    return figures


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
        alone_a = speeds(node, [first], arguments.seconds, arguments.warmup)[first]
        second = node.create(job("B", text, 2))
        shared = speeds(node, [first, second], arguments.seconds, arguments.warmup)
        node.session.post(f"{node.base}/api/models/{first}/pause").raise_for_status()
        wait_until(lambda: node.model(first)["status"] == "paused", 60, "job A to pause")
        alone_b = speeds(node, [second], arguments.seconds, arguments.warmup)[second]
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
