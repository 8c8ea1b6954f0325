"""Time each pipeline stage, cold and warm, for preview and final quality.

Methodology (see docs/performance.md):
- *cold* is the first try-on of a fresh process with an empty kernel cache
  (``~/.drjit`` moved aside): MediaPipe graph start, JIT compilation, everything;
- *cold (cached kernels)* is the first try-on of a fresh process whose on-disk
  kernel cache is warm (what a restarted service worker sees);
- *warm* is a repeat try-on in the same process (a service worker's steady state);
  ``--repeat`` warm runs, reported as median and IQR;
- *CPU s*: ``time.process_time`` (all threads of the process) per try-on, and the lighting estimate
  alone (``estimate_lighting`` on the prepared photo, ``--repeat`` times, wall and CPU): on a shared
  machine other jobs inflate wall times several-fold but CPU seconds far less.
Each cold figure is a separate subprocess, so nothing leaks between them.

Usage::

    python benchmarks/bench_stages.py [--photo PATH] [--piece ID] [--repeat 5] [--json out.json]
    python benchmarks/bench_stages.py --update-docs   # save to benchmarks/results and regenerate the docs

``--update-docs`` writes ``benchmarks/results/<version>/stages--cpu2-llvm.json``
(with the date, the commit and the load average at the start) and then runs
``benchmarks/make_docs_tables.py``, which rewrites the tables of
docs/performance.md and the figures of README.md from it. Run it on a quiet
machine; a load average above the core count is recorded and printed in the docs.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # this checkout's jewelrender, not an installed one
from common import data_dir, dump, kernel_cache_aside, machine, peak_rss_mb, provenance, summary  # noqa: E402
from make_docs_tables import SOURCES, STAGES  # noqa: E402  (every stage of report["timings"], gate and score included)


def _one_process(photo: str, piece: str, quality: str, repeat: int) -> dict:
    """Runs inside a child process: one cold try-on, then ``repeat`` warm ones; then, with ``repeat``,
    the lighting estimate alone ``repeat`` times on that photo's prepared inputs.

    Besides the stages' wall times (the report's), CPU seconds (``time.process_time``: every thread of
    this process, so other jobs on a shared machine inflate them far less than wall times) of each
    try-on and of each lighting estimate."""
    import time

    import jewelrender as jr
    from jewelrender.lighting import estimate_lighting

    runs, cpu = [], []
    with jr.Renderer() as r:
        for i in range(1 + repeat):
            c = time.process_time()
            res = r.try_on(photo, piece, quality=quality, seed=i)
            cpu.append(time.process_time() - c)
            runs.append(res.report["timings"])
        backend = res.report["backend"]
        crop = res.report["render"]["crop"]
        light = {"wall": [], "cpu": []}
        if repeat:
            prep = r.prepare(photo, quality=quality)
            for _ in range(repeat):
                c, t = time.process_time(), time.perf_counter()
                estimate_lighting(prep.photo, prep.camera, prep.placement, env_height=prep.lighting.env.shape[0])
                light["wall"].append(time.perf_counter() - t)
                light["cpu"].append(time.process_time() - c)
    return {"cold": runs[0], "warm": runs[1:], "cpu_cold": cpu[0], "cpu_warm": cpu[1:], "lighting_alone": light,
            "backend": backend, "crop": crop, "peak_rss_mb": peak_rss_mb()}


def _child(args, env) -> dict:
    cmd = [sys.executable, __file__, "--child", "--photo", args.photo, "--piece", args.piece,
           "--quality", args._quality, "--repeat", str(args._repeat)]
    out = subprocess.run(cmd, capture_output=True, text=True, env=env, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--photo", default=None, help="default: a 1600 px dev hand photo")
    ap.add_argument("--piece", default="solitaire-round-1ct-18k-yellow")
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--qualities", default="preview,final")
    ap.add_argument("--json", default=None, help="also write the results here")
    ap.add_argument("--update-docs", action="store_true",
                    help="save to benchmarks/results and regenerate docs/performance.md and README.md from it")
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--quality", default="preview", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.photo is None:
        args.photo = str(data_dir() / "photos" / "hands" / "palmistry_hand70.jpg")
    if args.child:
        print(json.dumps(_one_process(args.photo, args.piece, args.quality, args.repeat)))
        return

    results = {**provenance(), "machine": machine(), "photo": args.photo, "piece": args.piece, "runs": {}}
    if results["load_average_1min"] > (os.cpu_count() or 1):
        results["load_note"] = (f"run under load (1-min load average {results['load_average_1min']:.1f} on "
                                f"{os.cpu_count()} cores at the start): wall times are inflated")
    for quality in args.qualities.split(","):
        args._quality = quality
        # cold: an empty kernel cache; cold*: a fresh process with the cache that cold run filled (a restarted
        # worker of the same code). Outside the block, cold* would read whatever older code had cached and
        # compile this code's kernels again (2026-12-03: final cold* 17.1 s against 7.3 s the run before).
        with kernel_cache_aside():
            args._repeat = 0
            cold = _child(args, dict(os.environ))
            args._repeat = args.repeat
            cached = _child(args, dict(os.environ))
        results["runs"][quality] = {"cold": cold["cold"], "cold_cached_kernels": cached["cold"],
                                    "warm": {s: summary([w[s] for w in cached["warm"]]) for s in STAGES},
                                    "cpu_s": {"cold": cold["cpu_cold"], "cold_cached_kernels": cached["cpu_cold"],
                                              "warm": summary(cached["cpu_warm"])},
                                    "lighting_alone": {k: summary(v) for k, v in cached["lighting_alone"].items()},
                                    "backend": cached["backend"], "crop": cached["crop"],
                                    "peak_rss_mb": max(cold["peak_rss_mb"], cached["peak_rss_mb"])}

    print(f"photo {Path(args.photo).name}, piece {args.piece}, backend "
          f"{next(iter(results['runs'].values()))['backend']}, {results['machine'].get('cpus')} CPUs")
    header = f"{'stage':<11}" + "".join(f"{q + ' cold':>14}{q + ' cold*':>14}{q + ' warm':>18}" for q in results["runs"])
    print(header)
    for s in STAGES:
        row = f"{s:<11}"
        for r in results["runs"].values():
            w = r["warm"][s]
            row += f"{r['cold'][s]:>14.3f}{r['cold_cached_kernels'][s]:>14.3f}{w['median']:>10.3f} ±{w['iqr']:<6.3f}"
        print(row)
    for q, r in results["runs"].items():
        la = r["lighting_alone"]
        print(f"{q}: CPU s per try-on cold {r['cpu_s']['cold']:.2f}, cold* {r['cpu_s']['cold_cached_kernels']:.2f}, "
              f"warm {r['cpu_s']['warm']['median']:.2f}; lighting estimate alone, warm: wall "
              f"{la['wall']['median']:.3f} s, CPU {la['cpu']['median']:.3f} s")
    print("peak RSS MiB: " + ", ".join(f"{q} {r['peak_rss_mb']:.0f}" for q, r in results["runs"].items()))
    print("cold = empty kernel cache; cold* = fresh process, cached kernels; warm = median ± IQR of repeats (s)")
    dump(args.json, results)
    if args.update_docs:
        dump(str(SOURCES["stages"]), results)
        import make_docs_tables

        make_docs_tables.main([])


if __name__ == "__main__":
    main()
