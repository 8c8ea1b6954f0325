"""`jewelrender batch --engine ray`: wall time of the same photos x piece with 1 and with 2 actors.

Each configuration starts a fresh local Ray cluster and fresh actors (so both pay
the same start-up: the cluster, each actor's imports, MediaPipe, the first
kernel compilation) and writes into its own empty folder. Reported per
configuration: wall seconds, jobs per minute, each job's render-stage seconds,
and the 1-minute load average before it started (the machine may be shared).

Usage::

    python benchmarks/bench_batch_ray.py [--photos 4] [--piece ID] [--quality preview] [--json out.json]
"""

from __future__ import annotations

import argparse
import datetime
import io
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # this checkout's jewelrender, not an installed one
from common import REPO, data_dir, dump, machine  # noqa: E402

#: Hand photos that pass the gate (docs/quality.md), small enough for a quick run.
# hagrid_rock_1bed937b (used until 2026-12-02) is now refused by the curled-finger gate (FINGER_CURLED, right):
# a fourth accepted photo keeps every job a render.
PHOTOS = ("ringtryon_assets_7.jpg", "11khands_female_dorsal.jpg", "hamer_test1.jpg", "palmistry_hand70.jpg")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--photos", type=int, default=4)
    ap.add_argument("--piece", default="band-court-2mm-18k-yellow")
    ap.add_argument("--quality", default="preview")
    ap.add_argument("--actors", default="1,2", help="comma-separated actor counts to compare")
    ap.add_argument("--json", default=None)
    a = ap.parse_args(argv)
    sys.path.insert(0, str(REPO))
    from jewelrender.batch import run_batch

    hands = data_dir() / "photos" / "hands"
    runs = []
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "photos"
        src.mkdir()
        for name in PHOTOS[: a.photos]:
            (src / name).symlink_to(hands / name)
        for n in [int(x) for x in a.actors.split(",")]:
            load = os.getloadavg()[0]
            out = Path(tmp) / f"out{n}"
            s = run_batch(src, [a.piece], out, quality=a.quality, engine="ray", actors=n,
                          progress_stream=io.StringIO())
            recs = [json.loads(x) for x in (out / "results.jsonl").read_text().splitlines()]
            runs.append({"actors": n, "wall_s": s["seconds"], "jobs": s["jobs"], "succeeded": s["succeeded"],
                         "jobs_per_min": round(60 * s["jobs"] / s["seconds"], 2), "loadavg_1min_before": load,
                         "render_s": [r["timings"].get("render") for r in recs],
                         "job_total_s": [r["timings"].get("total") for r in recs],
                         "workers": sorted({r["worker_pid"] for r in recs})})
            print(f"{n} actor(s): {s['jobs']} jobs in {s['seconds']:.1f} s ({runs[-1]['jobs_per_min']} jobs/min), "
                  f"load average before {load:.1f}", flush=True)
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True,
                            text=True).stdout.strip()
    payload = {"benchmark": "batch_ray", "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
               "commit": commit, "piece": a.piece, "quality": a.quality, "photos": list(PHOTOS[: a.photos]),
               "machine": machine(), "runs": runs,
               "note": "wall time includes the local cluster's start and each actor's warm-up"}
    dump(a.json, payload)
    return 0


if __name__ == "__main__":
    sys.exit(main())
