"""Load against a service whose every training slot is busy: wrk on the
status, samples and generate endpoints, requests, errors and p99 of each.

Run by scripts/load-test (60 s per endpoint) and, shortly, by
test_load.py. As a script: python3 Tests/service/load.py --seconds 60.
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from harness import Server, small_model  # noqa: E402

HERE = Path(__file__).resolve().parent
WRK_SCRIPT = HERE / "wrk_summary.lua"


def wrk(url, seconds, *, connections=16, threads=2, method="GET", body=None, timeout="5s"):
    """Runs wrk; returns requests, errors (non-2xx + socket errors), p50/p99/max in ms."""
    if shutil.which("wrk") is None:
        raise RuntimeError("wrk is not installed (apt-get install wrk, or scripts/install-system-packages test)")
    environment = dict(os.environ, WRK_METHOD=method, WRK_BODY=json.dumps(body) if body is not None else "")
    completed = subprocess.run(
        ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", f"--timeout={timeout}", "-s", str(WRK_SCRIPT), url],
        capture_output=True, text=True, env=environment, timeout=seconds + 60)
    line = next((line for line in completed.stdout.splitlines() if line.startswith("WRK_JSON ")), None)
    if completed.returncode != 0 or line is None:
        raise RuntimeError(f"wrk failed ({completed.returncode}): {completed.stdout}\n{completed.stderr}")
    raw = json.loads(line[len("WRK_JSON "):])
    socket_errors = raw["connect"] + raw["read"] + raw["write"] + raw["timeout"]
    return {
        "requests": raw["requests"],
        "errors": raw["non2xx"] + socket_errors,
        "non2xx": raw["non2xx"],
        "socket_errors": socket_errors,
        "requests_per_second": round(raw["requests"] / (raw["duration_us"] / 1e6), 1),
        "p50_ms": round(raw["p50_us"] / 1000, 2),
        "p99_ms": round(raw["p99_us"] / 1000, 2),
        "max_ms": round(raw["max_us"] / 1000, 2),
    }


def fill_every_slot(server):
    """One running model per training slot and one more queued; returns the
    id of a running one (the target of the load)."""
    running = [server.create(small_model(name=f"busy {index}", hidden_sizes=[32, 32], letter_size=8, seed=index))
               for index in range(server.max_jobs)]
    queued = server.create(small_model(name="waiting"))
    for model_id in running:
        server.wait_ticks(model_id, 100)
    jobs = server.get("/api/health").json()["jobs"]
    assert jobs["running"] == server.max_jobs and jobs["queued"] >= 1, f"not every slot is busy: {jobs}"
    assert server.model(queued)["status"] == "queued"
    return running[0]


ENDPOINTS = [
    ("status", "GET", "/api/models/{id}", None),
    ("samples", "GET", "/api/models/{id}/samples?limit=20", None),
    ("generate", "POST", "/api/models/{id}/generate", {"count": 1, "max_length": 40, "temperature": 0.8}),
]


def run(server, seconds, connections=16):
    """The three endpoints in turn, with every slot busy; returns their figures."""
    model_id = fill_every_slot(server)
    results = {}
    for name, method, path, body in ENDPOINTS:
        results[name] = wrk(server.base + path.format(id=model_id), seconds, connections=connections,
                            method=method, body=body)
        results[name]["connections"] = connections
        results[name]["seconds"] = seconds
    jobs = server.get("/api/health").json()["jobs"]
    assert jobs["running"] == server.max_jobs, f"a training slot went idle during the load: {jobs}"
    return results


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=int, default=60, help="per endpoint (default 60)")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--max-jobs", type=int, default=2, help="training slots, all kept busy (default 2)")
    arguments = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="recurrent-load-"))
    server = Server(folder, max_jobs=arguments.max_jobs, checkpoint_seconds=5)
    try:
        server.start()
        results = run(server, arguments.seconds, arguments.connections)
    finally:
        server.kill()
        shutil.rmtree(folder, ignore_errors=True)
    print(f"{'endpoint':10} {'requests':>9} {'req/s':>8} {'errors':>7} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8}")
    for name, figures in results.items():
        print(f"{name:10} {figures['requests']:>9} {figures['requests_per_second']:>8} {figures['errors']:>7} "
              f"{figures['p50_ms']:>8} {figures['p99_ms']:>8} {figures['max_ms']:>8}")
    print(json.dumps(results))
    failed = [name for name, figures in results.items() if figures["errors"] or not figures["requests"]]
    if failed:
        print(f"errors under load: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
