"""Load test of `jewelrender serve` on loopback: N concurrent clients for a fixed time.

Starts the service in a subprocess on a free 127.0.0.1 port (no API keys, a
queue of ``--max-queue``), then runs ``--clients`` threads for ``--seconds``; each
submits the same photo with ``Prefer: wait=60``, polls until the job ends, and
on ``429`` sleeps for the ``Retry-After`` it was given (capped at 10 s) before
submitting again. Bounded: loopback only, at most 600 s, and clients stop
submitting at the deadline (jobs still queued then are waited for).

Reported: counts by HTTP status and job status, anything else as errors (the
target is none but 429), end-to-end latency p50/p95 of succeeded jobs (client
submit to job finished, queue wait included), the service's throughput, and the
server's resident memory sampled every 2 s (start after warm-up vs end: flat?).

Usage::

    python benchmarks/bench_service_load.py [--clients 20] [--seconds 120] [--quality preview] [--json out.json]
"""

from __future__ import annotations

import argparse
import datetime
import os
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # this checkout's jewelrender, not an installed one
from common import REPO, data_dir, dump, machine  # noqa: E402


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024.0
    return float("nan")


def _pct(v, q):
    v = sorted(v)
    return v[min(len(v) - 1, int(round(q * (len(v) - 1))))] if v else None


def main(argv=None) -> int:
    import httpx

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--clients", type=int, default=20)
    ap.add_argument("--seconds", type=float, default=120.0)
    ap.add_argument("--quality", default="preview")
    ap.add_argument("--max-queue", type=int, default=4,
                    help="the server's JEWELRENDER_MAX_QUEUE: size it so queue x render time is a wait a "
                         "customer accepts (default 4)")
    ap.add_argument("--piece", default="band-court-2mm-18k-yellow")
    ap.add_argument("--photo", default=None, help="default: photos/hands/ringtryon_assets_7.jpg from the data folder")
    ap.add_argument("--json", default=None)
    a = ap.parse_args(argv)
    if not (1 <= a.clients <= 64 and 1 <= a.seconds <= 600):
        sys.exit("--clients must be 1..64 and --seconds 1..600 (a bounded test)")
    photo = Path(a.photo) if a.photo else data_dir() / "photos" / "hands" / "ringtryon_assets_7.jpg"
    data = photo.read_bytes()

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if k != "JEWELRENDER_API_KEYS"}
    env["JEWELRENDER_MAX_QUEUE"] = str(a.max_queue)
    log = open(Path(os.environ.get("TMPDIR", "/tmp")) / f"jewelrender-load-{port}.log", "w")
    proc = subprocess.Popen([sys.executable, "-m", "jewelrender", "serve", "--port", str(port)], cwd=REPO, env=env,
                            stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        t_start = time.monotonic()
        while not _ready(base):
            if proc.poll() is not None or time.monotonic() - t_start > 180:
                sys.exit("the service did not start")
            time.sleep(0.5)
        # One try-on first, so the figures are the warm service's (its time is reported apart).
        t0 = time.monotonic()
        first = httpx.post(base + "/v1/try-ons", files={"photo": ("p.jpg", data, "image/jpeg")},
                           data={"piece": a.piece, "quality": a.quality}, headers={"Prefer": "wait=300"}, timeout=320)
        job = first.json()
        while job["status"] in ("queued", "running"):  # Prefer: wait is capped by the server's max wait
            time.sleep(0.5)
            job = httpx.get(f"{base}/v1/try-ons/{job['id']}").json()
        first_s = time.monotonic() - t0
        assert job["status"] == "succeeded", job

        http = Counter()
        jobs = Counter()
        errors: list[str] = []
        latencies: list[float] = []
        rss: list[tuple[float, float]] = []
        lock = threading.Lock()
        deadline = time.monotonic() + a.seconds
        stop = threading.Event()

        def sampler():
            while not stop.is_set():
                rss.append((round(time.monotonic() - (deadline - a.seconds), 1), _rss_mb(proc.pid)))
                stop.wait(2.0)

        def client(i):
            with httpx.Client(base_url=base, timeout=120) as c:
                while time.monotonic() < deadline:
                    t = time.monotonic()
                    try:
                        r = c.post("/v1/try-ons", files={"photo": ("p.jpg", data, "image/jpeg")},
                                   data={"piece": a.piece, "quality": a.quality}, headers={"Prefer": "wait=60"})
                        with lock:
                            http[r.status_code] += 1
                        if r.status_code == 429:
                            time.sleep(min(10.0, float(r.headers.get("retry-after", "1"))))
                            continue
                        if r.status_code not in (200, 202):
                            with lock:
                                errors.append(f"HTTP {r.status_code}: {r.text[:200]}")
                            continue
                        job = r.json()
                        end = time.monotonic() + 120 * (a.max_queue + 2)  # the worst queue wait, generously
                        while job["status"] in ("queued", "running") and time.monotonic() < end:
                            time.sleep(0.5)
                            job = c.get(f"/v1/try-ons/{job['id']}").json()
                        with lock:
                            jobs[job["status"]] += 1
                            if job["status"] == "succeeded":
                                latencies.append(time.monotonic() - t)
                            else:
                                errors.append(f"job {job['status']}: {job.get('error')}")
                    except httpx.HTTPError as exc:
                        with lock:
                            errors.append(f"{type(exc).__name__}: {exc}")

        sm = threading.Thread(target=sampler, daemon=True)
        sm.start()
        threads = [threading.Thread(target=client, args=(i,)) for i in range(a.clients)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        stop.set()
        metrics = httpx.get(base + "/metrics").text
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(120)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()
    elapsed = time.monotonic() - (deadline - a.seconds)
    result = {
        "benchmark": "service_load",
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "commit": subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True,
                                 text=True).stdout.strip(),
        "clients": a.clients, "seconds": a.seconds, "max_queue": a.max_queue, "elapsed_s": round(elapsed, 1), "quality": a.quality,
        "piece": a.piece, "photo": photo.name, "first_try_on_s": round(first_s, 2),
        "http": {str(k): v for k, v in sorted(http.items())}, "jobs": dict(jobs), "errors": errors[:20],
        "n_errors": len(errors),
        "latency_s": {"p50": _pct(latencies, 0.5), "p95": _pct(latencies, 0.95), "n": len(latencies),
                      "mean": statistics.fmean(latencies) if latencies else None},
        "throughput_per_min": round(60 * jobs["succeeded"] / elapsed, 2),
        "rss_mb": {"first": rss[0][1] if rss else None, "last": rss[-1][1] if rss else None,
                   "max": max(r for _, r in rss) if rss else None, "samples": rss},
        "loadavg_1min_end": os.getloadavg()[0],
        "machine": machine(),
        "metrics_tail": [m for m in metrics.splitlines() if m.startswith("jewelrender_jobs_total")],
    }
    print(f"{a.clients} clients x {a.seconds:.0f} s: HTTP {result['http']}, jobs {result['jobs']}, "
          f"errors {len(errors)}; latency p50 {result['latency_s']['p50']} s, p95 {result['latency_s']['p95']} s; "
          f"RSS {result['rss_mb']['first']} -> {result['rss_mb']['last']} MiB (max {result['rss_mb']['max']})")
    dump(a.json, result)
    return 0


def _ready(base: str) -> bool:
    import httpx

    try:
        return httpx.get(base + "/readyz", timeout=2).status_code == 200
    except httpx.TransportError:
        return False


if __name__ == "__main__":
    sys.exit(main())
