"""Neck try-on speed: warm preview of an 18" cable-chain pendant on a 1600 px portrait.

Target (issue 16): warm preview <= 10 s on 2 CPU cores. "Warm" is a second try-on on the same
``Renderer`` (detectors open, Mitsuba's kernels compiled, meshes cached by the neck's fit): the
photo is passed as a path each time, so detection, the gate, the placement and the lighting run
again; only the drape and the meshes come from the cache (same photo, same fit).

    python benchmarks/bench_neck.py [--photo PATH] [--piece ID] [--repeat 3] [--json OUT]

Prints the stage timings of the cold call and the median of the warm ones, each call's CPU seconds
(``time.process_time``: this process's own work, which others' load does not inflate) and the
machine's load average before it (others' load inflates wall times on a shared machine), and how
many of the crop's pixels were rendered (a necklace renders only its footprint).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # this checkout's jewelrender, not an installed one

from common import data_dir, dump, machine, provenance, summary  # noqa: E402

PHOTO = "photos/necks/compreface_002_A.jpg"  # 1198 x 1600, bare neck and collarbones
PIECE = "solitaire-pendant-half-carat-18k-white"  # an 18k cable chain with a 0.5 ct solitaire


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--photo", default=None)
    ap.add_argument("--piece", default=PIECE)
    ap.add_argument("--length-in", type=float, default=18.0)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--quality", choices=("preview", "final"), default="preview")
    ap.add_argument("--json", default=None)
    a = ap.parse_args(argv)
    from jewelrender import Renderer

    photo = Path(a.photo) if a.photo else data_dir() / PHOTO
    prov = provenance()
    runs = []
    with Renderer() as r:
        for i in range(a.repeat + 1):
            load = os.getloadavg()[0]
            t, c = time.perf_counter(), time.process_time()
            res = r.try_on(photo, a.piece, length_in=a.length_in, quality=a.quality, min_quality=0)
            wall, cpu = time.perf_counter() - t, time.process_time() - c
            rend = res.report["render"]
            runs.append({"wall_s": wall, "cpu_s": cpu, "load_average_1min": load, "timings": res.report["timings"],
                         "backend": res.report["backend"], "crop": rend["crop"],
                         "pixels_rendered": rend.get("pixels_rendered")})
            print(f"{'cold' if i == 0 else 'warm'} {wall:6.2f} s wall {cpu:6.2f} s cpu (load {load:.1f}, "
                  f"{rend.get('pixels_rendered')} px of a {rend['crop'][2]}x{rend['crop'][3]} crop)  "
                  + "  ".join(f"{k} {v:.2f}" for k, v in res.report["timings"].items() if k != "total"), flush=True)
    warm = [x["wall_s"] for x in runs[1:]]
    warm_cpu = [x["cpu_s"] for x in runs[1:]]
    stages = {k: summary([x["timings"][k] for x in runs[1:]])["median"] for k in runs[1]["timings"]}
    out = {"benchmark": "neck", "photo": str(photo.name), "piece": a.piece, "length_in": a.length_in,
           "quality": a.quality, "cold_s": runs[0]["wall_s"], "cold_cpu_s": runs[0]["cpu_s"], "warm_s": summary(warm),
           "warm_cpu_s": summary(warm_cpu), "warm_stage_median_s": stages,
           "target_warm_s": 10.0, "backend": runs[0]["backend"], "runs": runs, "machine": machine(), **prov}
    print(json.dumps({k: out[k] for k in ("cold_s", "warm_s", "warm_cpu_s", "load_average_1min", "commit")}, default=float))
    dump(a.json, out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
