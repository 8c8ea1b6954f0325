"""A warm worker meeting new photos: what a checkout service sees (every customer's photo is new).

``bench_stages.py``'s *warm* repeats one photo, so its kernels are always compiled. Here one process
keeps one warm ``Renderer`` and tries a piece on several different dev hand photos in turn; for each it
records the wall and CPU seconds and whether the render kernel had to be compiled (Dr.Jit's kernel
history: the LLVM backend time of kernels that were neither in memory nor in the disk cache).

Two passes, each a fresh process:
- *empty cache*: ``~/.drjit`` empty (a new machine), so each new kernel compiles once;
- *cached*: the same photos again in a new process with the disk cache the first pass left (a
  restarted worker, or a worker that has seen photos of these crop sizes before).

Usage::

    python benchmarks/bench_new_photos.py [--piece ID] [--quality preview] [--photos N] [--json OUT]

Run it with its own ``HOME`` on a shared machine (the empty-cache pass moves ``~/.drjit`` aside).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # this checkout's jewelrender, not an installed one
from common import data_dir, dump, kernel_cache_aside, machine, provenance  # noqa: E402

#: Dev hand photos of several shapes and crop sizes (the first one warms up; a refused one is skipped).
PHOTOS = ("palmistry_hand70.jpg", "ringtryon_assets_12.jpg", "ringtryon_assets_16.jpg", "hamer_test1.jpg",
          "11khands_female_dorsal.jpg", "ringtryon_target_left.jpg", "ringtryon_assets_7.jpg",
          "ringtryon_assets_3.jpg", "palmistry_hand1.jpg", "palmistry_hand6.jpg", "ringtryon_assets_4.jpg",
          "ringtryon_assets_5.jpg", "ringtryon_assets_9.jpg", "ringtryon_assets_14.jpg", "hamer_test3.jpg",
          "11khands_female_palmar.jpg")


def _child(photos: list[str], piece: str, quality: str) -> list[dict]:
    import time

    import drjit as dr

    import jewelrender as jr
    from jewelrender.errors import JewelrenderError

    out = []
    with jr.Renderer() as r:
        for ph in photos:
            i = len(out)
            if i == 1:
                dr.set_flag(dr.JitFlag.KernelHistory, True)
            dr.kernel_history()  # clears it
            c, t = time.process_time(), time.perf_counter()
            try:
                res = r.try_on(ph, piece, quality=quality, seed=0)
            except JewelrenderError:
                continue  # refused by the gate: not a render
            wall, cpu = time.perf_counter() - t, time.process_time() - c
            hist = dr.kernel_history() if i else []
            compiled = [k for k in hist if k.get("operation_count") and not k.get("cache_hit")]
            out.append({"photo": Path(ph).name, "crop": res.report["render"]["crop"], "wall_s": round(wall, 3),
                        "cpu_s": round(cpu, 3), "render_s": res.report["timings"]["render"],
                        "first": i == 0, "kernels_compiled": len(compiled),
                        "compile_s": round(sum(k.get("backend_time", 0.0) for k in compiled) / 1000, 3)})
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--piece", default="solitaire-round-1ct-18k-yellow")
    ap.add_argument("--quality", default="preview")
    ap.add_argument("--photos", type=int, default=len(PHOTOS))
    ap.add_argument("--json", default=None)
    ap.add_argument("--child", default=None, help=argparse.SUPPRESS)
    a = ap.parse_args(argv)
    if a.child:
        print(json.dumps(_child(a.child.split(os.pathsep), a.piece, a.quality)))
        return 0
    hands = data_dir() / "photos" / "hands"
    photos = [str(hands / p) for p in PHOTOS[: a.photos]]
    cmd = [sys.executable, __file__, "--piece", a.piece, "--quality", a.quality, "--child", os.pathsep.join(photos)]
    result = {**provenance(), "machine": machine(), "piece": a.piece, "quality": a.quality, "passes": {}}
    with kernel_cache_aside():  # the first pass starts empty, the second inherits what it compiled
        for name in ("empty cache", "cached"):
            out = subprocess.run(cmd, capture_output=True, text=True)
            if out.returncode:
                sys.exit(f"the {name} pass failed:\n{out.stderr[-3000:]}")
            result["passes"][name] = json.loads(out.stdout.strip().splitlines()[-1])
    for name, rows in result["passes"].items():
        print(f"{name}:")
        for r in rows:
            tag = "  (first: warm-up)" if r["first"] else f"  compiled {r['kernels_compiled']} ({r['compile_s']:.2f} s)"
            print(f"  {r['photo']:<30} crop {r['crop'][2]}x{r['crop'][3]:<4} wall {r['wall_s']:6.2f}  "
                  f"CPU {r['cpu_s']:6.2f}  render {r['render_s']:5.2f}{tag}")
        later = [r for r in rows if not r["first"]]
        sizes = {tuple(r["crop"][2:]) for r in rows}
        print(f"  new photos in a warm worker: median wall {statistics.median(r['wall_s'] for r in later):.2f} s, "
              f"CPU {statistics.median(r['cpu_s'] for r in later):.2f} s; "
              f"{sum(r['kernels_compiled'] > 0 for r in later)}/{len(later)} compiled a kernel "
              f"({len(sizes)} crop sizes among {len(rows)} photos)")
    dump(a.json, result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
