"""Time each pipeline stage, cold and warm, for preview and final quality.

Methodology (see docs/performance.md):
- *cold* is the first try-on of a fresh process with an empty kernel cache
  (``~/.drjit`` moved aside): MediaPipe graph start, JIT compilation, everything;
- *cold (cached kernels)* is the first try-on of a fresh process whose on-disk
  kernel cache is warm (what a restarted service worker sees);
- *warm* is a repeat try-on in the same process (a service worker's steady state);
  ``--repeat`` warm runs, reported as median and IQR.
Each cold figure is a separate subprocess, so nothing leaks between them.

Usage::

    python benchmarks/bench_stages.py [--photo PATH] [--piece ID] [--repeat 5] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import data_dir, dump, machine, peak_rss_mb, summary  # noqa: E402

STAGES = ("photo", "landmarks", "placement", "lighting", "scene", "render", "integration", "composite", "total")


def _one_process(photo: str, piece: str, quality: str, repeat: int) -> dict:
    """Runs inside a child process: one cold try-on, then ``repeat`` warm ones."""
    import jewelrender as jr

    runs = []
    with jr.Renderer() as r:
        for i in range(1 + repeat):
            res = r.try_on(photo, piece, quality=quality, seed=i)
            runs.append(res.report["timings"])
        backend = res.report["backend"]
        crop = res.report["render"]["crop"]
    return {"cold": runs[0], "warm": runs[1:], "backend": backend, "crop": crop, "peak_rss_mb": peak_rss_mb()}


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
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--quality", default="preview", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.photo is None:
        args.photo = str(data_dir() / "photos" / "hands" / "palmistry_hand70.jpg")
    if args.child:
        print(json.dumps(_one_process(args.photo, args.piece, args.quality, args.repeat)))
        return

    results = {"machine": machine(), "photo": args.photo, "piece": args.piece, "runs": {}}
    for quality in args.qualities.split(","):
        args._quality = quality
        cache = Path.home() / ".drjit"
        with tempfile.TemporaryDirectory() as tmp:
            # Cold: the kernel cache moved aside for this one process.
            moved = None
            if cache.exists():
                moved = Path(tmp) / "drjit-cache"
                shutil.move(str(cache), moved)
            try:
                args._repeat = 0
                cold = _child(args, dict(os.environ))
            finally:
                if moved is not None:
                    shutil.rmtree(cache, ignore_errors=True)
                    shutil.move(str(moved), cache)
        args._repeat = args.repeat
        cached = _child(args, dict(os.environ))
        results["runs"][quality] = {"cold": cold["cold"], "cold_cached_kernels": cached["cold"],
                                    "warm": {s: summary([w[s] for w in cached["warm"]]) for s in STAGES},
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
    print("peak RSS MiB: " + ", ".join(f"{q} {r['peak_rss_mb']:.0f}" for q, r in results["runs"].items()))
    print("cold = empty kernel cache; cold* = fresh process, cached kernels; warm = median ± IQR of repeats (s)")
    dump(args.json, results)


if __name__ == "__main__":
    main()
