"""Reported ring size and the pose gate on every dev hand photo (no rendering: detection, gate, placement).

For each photo of ``photos/hands``: the input gate's verdict (``check_input``: accepted, or the refusal's
code, with the ring finger's straightness), then on accepted photos the placement's ring size
(``report["placement"]["ring_size"]``: US size, 90 % interval, ``size_source``, the measured equivalent
diameter at the average hand's scale). Also prints the calibration that :data:`jewelrender.ringsize.SCALE_BIAS`
comes from: the median over measured widths of log(measured diameter / the prior's median diameter).

Targets (issue 14): median reported size in US 5-9.5 with at most one photo at the range's end; curled
fingers, fists and thumbs gestures refused, straight fingers accepted.

Usage::

    .venv/bin/python benchmarks/ring_sizes.py [--photos DIR] [--position P] [--json OUT]
"""

from __future__ import annotations

import argparse
import math
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # this checkout's jewelrender, not an installed one
from common import REPO, data_dir, dump


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--photos", type=Path, default=None)
    ap.add_argument("--position", type=float, default=None, help="ring position (default: place_ring's)")
    ap.add_argument("--json", default=None)
    args = ap.parse_args(argv)

    from jewelrender import ringsize
    from jewelrender.camera import camera_from_photo
    from jewelrender.errors import JewelrenderError
    from jewelrender.landmarks import HandDetector
    from jewelrender.photo import load_photo
    from jewelrender.sites.hand import place_ring
    from jewelrender.quality import check_input

    folder = args.photos or data_dir() / "photos" / "hands"
    rows = []
    with HandDetector() as det:
        for p in sorted(folder.glob("*.*")):
            ph = load_photo(p)
            hands = det.detect(ph)
            row: dict = {"photo": p.name}
            gate = check_input(ph, hands, raise_on_failure=False)
            s = gate.measurements.get("finger_straightness")
            row["straightness"] = None if s is None else round(s, 3)
            if not gate.passed:
                row["verdict"] = gate.code
                rows.append(row)
                print(f"{p.name:32s} refused {gate.code}  straightness {row['straightness']}")
                continue
            try:
                kw = {} if args.position is None else {"position": args.position}
                pl = place_ring(ph, hands[gate.hand_index], camera_from_photo(ph), **kw)
            except JewelrenderError as exc:
                row["verdict"] = exc.code
                rows.append(row)
                print(f"{p.name:32s} refused {exc.code} (placement)")
                continue
            rs = pl.ring_size
            row.update(verdict="accepted", us=rs.us, interval=list(rs.interval), size_source=rs.size_source,
                       measured_diameter_mm=rs.measured_diameter_mm, inner_diameter_mm=round(rs.inner_diameter_mm, 2),
                       metric_scale=pl.details["size"]["metric_scale"])
            rows.append(row)
            md = "-" if rs.measured_diameter_mm is None else f"{rs.measured_diameter_mm:5.2f}"
            print(f"{p.name:32s} US {rs.us:4.1f} [{rs.interval[0]:4.1f}, {rs.interval[1]:4.1f}]  {rs.size_source:24s}"
                  f" measured {md} mm  straightness {row['straightness']}")

    acc = [r for r in rows if r["verdict"] == "accepted"]
    sizes = [r["us"] for r in acc]
    prior_median = float(ringsize.diameter_of_us_size(ringsize.estimate_ring_size(None).details["us_continuous"]))
    logs = [math.log(r["measured_diameter_mm"] / prior_median) for r in acc if r["measured_diameter_mm"]]
    lo, hi = 5.0, 9.5
    summary = {
        "accepted": len(acc), "refused": {r["photo"]: r["verdict"] for r in rows if r["verdict"] != "accepted"},
        "median_us": statistics.median(sizes) if sizes else None,
        "below_5": sum(s < lo for s in sizes), "above_9_5": sum(s > hi for s in sizes),
        "at_range_end": sum(s <= lo or s >= hi for s in sizes),
        "sources": {s: sum(r["size_source"] == s for r in acc) for s in {r["size_source"] for r in acc}},
        "calibration": {"n_measured": len(logs), "median_log_measured_over_prior_median":
                        round(statistics.median(logs), 4) if logs else None,
                        "scale_bias_in_use": ringsize.SCALE_BIAS, "prior_median_mm": round(prior_median, 3)},
    }
    print(f"\naccepted {len(acc)}/{len(rows)}; median US {summary['median_us']}; outside [5, 9.5]: "
          f"{summary['below_5']} below, {summary['above_9_5']} above; at or beyond the ends: {summary['at_range_end']}")
    print(f"calibration: median log(measured / prior median) = {summary['calibration']['median_log_measured_over_prior_median']}"
          f" over {len(logs)} (SCALE_BIAS in use {ringsize.SCALE_BIAS})")
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True,
                                text=True).stdout.strip()
    except OSError:
        commit = None
    dump(args.json, {"date": time.strftime("%Y-%m-%d"), "commit": commit, "summary": summary, "rows": rows})
    return 0


if __name__ == "__main__":
    sys.exit(main())
