"""CPU cost of the lighting estimate on the lighting benchmark's synthetic photos, and a digest of its output.

The photos are ``bench_lighting.py``'s (the dev placement, each HDRI, Lambertian proxies, auto-exposed
on the skin, 8-bit); the ring renders are skipped: when the estimate is byte-identical, so is every
ring figure of that benchmark. Per row: CPU seconds (``time.process_time``, all threads of this
process: fair on a shared machine) of ``estimate_lighting`` without refinement (the closed-form fit)
and with the default refinement, at the preview map size (64 rows), best of ``--repeat``; and a
SHA-256 of the estimate (map bytes, albedo, key direction) so two runs of different code can be
compared row by row (``--compare other.json``).

    .venv/bin/python benchmarks/bench_lighting_cost.py [--skins light,medium,dark]
        [--hdris adams_place_bridge,...] [--turns 0] [--repeat 2] [--json out.json] [--compare before.json]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # this checkout's jewelrender, not an installed one
from bench_lighting import PHOTO_SCALE, SKIN_TARGET, SKINS, load_hdri, render_photo  # noqa: E402
from common import data_dir, dump, machine, provenance  # noqa: E402

#: The eight HDRIs of the saved lighting benchmark (benchmarks/results/0.1.0/lighting--cpu2-llvm.json).
DEV_HDRIS = ("adams_place_bridge", "dikhololo_night", "empty_warehouse_01", "immenstadter_horn", "kiara_1_dawn",
             "lebombo", "rooitou_park", "studio_small_03")


def _digest(light) -> str:
    h = hashlib.sha256(np.ascontiguousarray(light.env.radiance).tobytes())
    h.update(np.asarray(light.skin_albedo, np.float64).tobytes())
    h.update(json.dumps(light.info.get("key_direction")).encode())
    return h.hexdigest()[:16]


def main(argv=None) -> int:
    import jewelrender as jr
    from jewelrender import backend
    from jewelrender.camera import Camera, camera_from_photo
    from jewelrender.color import linear_to_srgb8, luminance
    from jewelrender.landmarks import detect_hands
    from jewelrender.lighting import EnvMap, estimate_lighting
    from jewelrender.sites.hand import place_ring
    from jewelrender.sites.proxies import raycast_capsules

    ap = argparse.ArgumentParser()
    ap.add_argument("--skins", default="light,medium,dark")
    ap.add_argument("--hdris", default=",".join(DEV_HDRIS))
    ap.add_argument("--turns", default="0")
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--json", default=None)
    ap.add_argument("--compare", type=Path, default=None, help="a previous run's JSON: are the estimates identical?")
    ap.add_argument("--diff", type=Path, nargs=2, default=None, metavar=("BEFORE", "AFTER"),
                    help="only compare two saved runs (no estimates)")
    a = ap.parse_args(argv)
    if a.diff:
        return _diff(*a.diff)
    prov = provenance()
    variant = backend.select()
    print(f"jewelrender from {Path(jr.__file__).parent}")
    data = data_dir()
    src = jr.load_photo(data / "photos" / "hands" / "ringtryon_target_left.jpg")
    cam_full = camera_from_photo(src)
    placement = place_ring(src, detect_hands(src)[0], cam_full)
    W, H = round(cam_full.width * PHOTO_SCALE), round(cam_full.height * PHOTO_SCALE)
    cam = Camera(W, H, cam_full.fx * W / cam_full.width, cam_full.fy * H / cam_full.height,
                 cam_full.cx * W / cam_full.width, cam_full.cy * H / cam_full.height, cam_full.focal_35mm, "explicit")
    gu, gv = np.meshgrid(np.arange(W) + 0.5, np.arange(H) + 0.5)
    _, _, idx = raycast_capsules(np.zeros((W * H, 3)), cam.ray_directions(np.stack([gu.ravel(), gv.ravel()], 1)),
                                 placement.proxies)
    hand = (idx >= 0).reshape(H, W)
    rows = []
    for skin in a.skins.split(","):
        for name in a.hdris.split(","):
            path = next((data / "hdri").glob(f"{name}_1k*"))
            for turn in (float(t) for t in a.turns.split(",")):
                env_raw = load_hdri(path)
                env_raw = EnvMap(np.roll(env_raw, round(turn / 360.0 * env_raw.shape[1]), axis=1))
                lin = render_photo(cam, placement, env_raw, SKINS[skin], 32)
                k = SKIN_TARGET / max(float(np.median(luminance(lin[hand]))), 1e-12)
                photo = jr.load_photo(linear_to_srgb8(lin * k))
                row = {"skin": skin, "hdri": name + (f"@{turn:g}" if turn else "")}
                for label, refine in (("fit", 0), ("refined", True)):
                    best = np.inf
                    for _ in range(a.repeat):
                        t = time.process_time()
                        light = estimate_lighting(photo, cam, placement, env_height=64, refine=refine)
                        best = min(best, time.process_time() - t)
                    row[f"cpu_{label}"] = best
                    row[f"digest_{label}"] = _digest(light)
                rows.append(row)
                print(f"{row['skin']:<7} {row['hdri']:<22} fit {row['cpu_fit']:.3f} s  refined "
                      f"{row['cpu_refined']:.3f} s  {row['digest_fit']} {row['digest_refined']}", flush=True)
    med = {k: statistics.median(r[k] for r in rows) for k in ("cpu_fit", "cpu_refined")}
    print(f"median CPU s over {len(rows)} rows: fit {med['cpu_fit']:.3f}, refined {med['cpu_refined']:.3f} "
          f"({variant})")
    out = {**prov, "rows": rows, "median_cpu_s": med, "variant": variant, "machine": machine(),
           "note": "CPU seconds (time.process_time, all threads), best of --repeat, preview map (64 rows)"}
    if a.compare:
        prev = {(r["skin"], r["hdri"]): r for r in json.loads(a.compare.read_text())["rows"]}
        same = {lab: sum(prev[(r["skin"], r["hdri"])][f"digest_{lab}"] == r[f"digest_{lab}"] for r in rows
                         if (r["skin"], r["hdri"]) in prev) for lab in ("fit", "refined")}
        pm = json.loads(a.compare.read_text())["median_cpu_s"]
        out["compared_with"] = {"file": str(a.compare), "identical": same, "n": len(rows), "median_cpu_s": pm}
        print(f"identical estimates to {a.compare.name}: fit {same['fit']}/{len(rows)}, refined "
              f"{same['refined']}/{len(rows)}; its median CPU s: fit {pm['cpu_fit']:.3f}, "
              f"refined {pm['cpu_refined']:.3f}")
    dump(a.json, out)
    return 0


def _diff(before: Path, after: Path) -> int:
    b, c = (json.loads(p.read_text()) for p in (before, after))
    prev = {(r["skin"], r["hdri"]): r for r in b["rows"]}
    rows = [r for r in c["rows"] if (r["skin"], r["hdri"]) in prev]
    print(f"{'skin':<7} {'hdri':<22} {'fit before':>10} {'after':>7} {'refined before':>14} {'after':>7}  "
          "identical fit/refined")
    for r in rows:
        p = prev[(r["skin"], r["hdri"])]
        print(f"{r['skin']:<7} {r['hdri']:<22} {p['cpu_fit']:10.3f} {r['cpu_fit']:7.3f} {p['cpu_refined']:14.3f} "
              f"{r['cpu_refined']:7.3f}  {p['digest_fit'] == r['digest_fit']}/"
              f"{p['digest_refined'] == r['digest_refined']}")
    for k in ("cpu_fit", "cpu_refined"):
        print(f"median {k}: {statistics.median(prev[(r['skin'], r['hdri'])][k] for r in rows):.3f} -> "
              f"{statistics.median(r[k] for r in rows):.3f} s CPU over {len(rows)} rows")
    return 0


if __name__ == "__main__":
    sys.exit(main())
