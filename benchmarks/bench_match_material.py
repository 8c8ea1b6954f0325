"""Material matching on the dev product shots: metal ΔE2000 before and after the fit (docs/lookdev.md).

For every product shot in ``jewelry_refs`` that can be paired with a catalog piece (``PAIRS``; the
others and why in ``UNPAIRED``), :func:`jewelrender.matching.fit_material` poses the piece, then
reports the mean CIEDE2000 over the metal region between the photo and

* **before**: the nearest shipped preset (in colour) under the default studio;
* **lights only**: the same preset, the studio's intensities fitted (what lighting alone explains);
* **after**: tint, roughness and lights fitted together.

Renders are evaluated at 32 spp with one fixed seed. The photos are not copied anywhere; with
``--pictures DIR`` the rows photo | before | lights only | after are written there for a look (keep
them out of the repository: the shots' licences allow evaluation only).

Usage::

    python benchmarks/bench_match_material.py [--size 128] [--iterations 40] [--spp 8] [--only NAME]
        [--json benchmarks/results/0.1.0/match_material--cpu2-llvm.json] [--pictures /tmp/pairs]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # this checkout's jewelrender, not an installed one
from common import REPO, data_dir, dump, machine, provenance  # noqa: E402

#: photo -> catalog piece whose geometry is nearest (the metal is what the fit decides). Chosen by eye.
PAIRS = {
    "samlora_ring2.jpg": "solitaire-round-1ct-6prong-platinum",      # round solitaire, white metal
    "samlora_ring_test_2.jpg": "halo-round-1ct-18k-white",           # round halo, yellow gold
    "samlora_ring4.jpg": "halo-round-1ct-18k-white",                 # halo with pear side stones, white metal
    "ringtryon_Ring-01.png": "halo-oval-sapphire-1.5ct-18k-white",   # cushion sapphire halo, white metal, face on
    "ringtryon_Ring-03.png": "band-pave-2.5mm-18k-white",            # band with diamond clusters, white metal
    "ringtryon_ring3.png": "halo-round-1ct-18k-white",               # emerald-cut halo on a pavé band
    "ringtryon_ringos.png": "halo-round-1ct-18k-white",              # rose gold, round centre, twisted pavé shank
    "ringtryon_men-ring-03.png": "band-channel-3mm-platinum",        # yellow band, three square stones in a row
    "ringtryon_men-ring-07.png": "band-court-4mm-18k-yellow",        # white band, one flush stone, satin centre
}

#: shots not paired, and why
UNPAIRED = {
    "samlora_ring_test_1.jpg": "two rings side by side (solitaire and band): one silhouette, two pieces",
    "samlora_ring1.jpg": "two three-stone rings in one shot",
    "samlora_ring3.jpg": "two eternity bands in one shot",
    "ringtryon_men-ring-02.png": "two-tone band (yellow and white): one fitted preset cannot be two metals",
    "ringtryon_RFSV015D1F.png": "malachite marquise inlays: no such piece or setting in the catalog",
    "eartryon_*.png (5)": "earrings: the catalog has no earrings",
    "necktryon_*.png (5)": "necklaces and pendants: the catalog has no necklaces",
    "wristtryon_BFCL013D2C.png, wristtryon_BFSV014D2C.png, wristtryon_HalfProduct.png":
        "thin bracelets with a diamond motif or line: the catalog's bangles and cuff are plain",
}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", type=int, default=128)
    ap.add_argument("--iterations", type=int, default=40)
    ap.add_argument("--spp", type=int, default=8)
    ap.add_argument("--only", default=None, help="one photo name from PAIRS")
    ap.add_argument("--json", default=None)
    ap.add_argument("--pictures", default=None, help="folder for photo | before | lights only | after PNGs")
    a = ap.parse_args(argv)
    sys.path.insert(0, str(REPO))
    from jewelrender.matching import fit_material, load_product_shot

    refs = data_dir() / "jewelry_refs"
    prov = provenance()
    rows = []
    cpu0 = time.process_time()
    for photo, piece in PAIRS.items():
        if a.only and photo != a.only:
            continue
        t0, c0 = time.time(), time.process_time()
        shot = load_product_shot(refs / photo, size=a.size)
        res = fit_material(piece, shot, iterations=a.iterations, spp=a.spp, lights_only_baseline=True)
        row = {"photo": photo, **res.to_report(), "wall_s": round(time.time() - t0, 1),
               "cpu_s": round(time.process_time() - c0, 1), "load_average_1min": round(os.getloadavg()[0], 2)}
        row["photo"] = photo
        rows.append(row)
        print(f"{photo:28s} {piece:38s} {row['base_metal']:22s} IoU {res.pose.iou:.2f}  dE before "
              f"{res.delta_e_before:6.2f}  lights only {res.delta_e_lights_only:6.2f}  after {res.delta_e_after:6.2f}"
              f"  ({row['wall_s']:.0f} s wall, {row['cpu_s']:.0f} s CPU)", flush=True)
        if a.pictures:
            import imageio.v3 as iio

            Path(a.pictures).mkdir(parents=True, exist_ok=True)
            iio.imwrite(Path(a.pictures) / (Path(photo).stem + ".png"), res.pictures())
    lowered = sum(r["delta_e_after"] < r["delta_e_before"] for r in rows)
    summary = {"pairs": len(rows), "lowered": lowered,
               "mean_before": round(sum(r["delta_e_before"] for r in rows) / max(1, len(rows)), 3),
               "mean_lights_only": round(sum(r["delta_e_lights_only"] for r in rows) / max(1, len(rows)), 3),
               "mean_after": round(sum(r["delta_e_after"] for r in rows) / max(1, len(rows)), 3),
               "cpu_s_total": round(time.process_time() - cpu0, 1)}
    print(f"lowered on {lowered}/{len(rows)}; mean dE {summary['mean_before']} -> lights only "
          f"{summary['mean_lights_only']} -> after {summary['mean_after']}")
    dump(a.json, {"benchmark": "match_material", **prov, "machine": machine(),
                  "settings": {"size": a.size, "iterations": a.iterations, "spp": a.spp, "eval_spp": 32},
                  "rows": rows, "summary": summary, "unpaired": UNPAIRED})
    return 0


if __name__ == "__main__":
    sys.exit(main())
