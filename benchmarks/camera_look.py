"""The camera's look and the hand segmentation around the ring on every dev hand photo (no render).

For each photo with a hand: landmarks, placement, :func:`jewelrender.segmentation.segment_hand`
and :func:`jewelrender.camera_look.measure_look` over the square a preview render would crop
(3.2 finger widths), with the CPU seconds of each. Prints a table and saves
``benchmarks/results/camera_look_<date>.json``::

    python benchmarks/camera_look.py
"""

from __future__ import annotations

import datetime as _dt
import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from benchmarks.common import REPO, data_dir, machine  # noqa: E402


def main() -> None:
    import cv2

    from jewelrender.camera import camera_from_photo
    from jewelrender.camera_look import measure_look
    from jewelrender.errors import JewelrenderError
    from jewelrender.landmarks import HandDetector
    from jewelrender.photo import load_photo
    from jewelrender.sites.hand import place_ring
    from jewelrender.scene import Crop
    from jewelrender.segmentation import segment_hand

    rows = []
    with HandDetector() as det:
        for p in sorted((data_dir() / "photos" / "hands").glob("*.*")):
            ph = load_photo(p)
            hands = det.detect(ph)
            if not hands:
                continue
            try:
                pl = place_ring(ph, hands[0], camera_from_photo(ph), finger="ring", position=0.35)
            except JewelrenderError as e:
                rows.append({"photo": p.name, "error": e.code})
                continue
            side = int(np.ceil(3.2 * pl.finger_width_px))
            x = int(np.clip(pl.center_px[0] - side / 2, 0, max(ph.width - side, 0)))
            y = int(np.clip(pl.center_px[1] - side / 2, 0, max(ph.height - side, 0)))
            side = min(side, ph.width - x, ph.height - y)
            t = time.process_time()
            seg = segment_hand(ph, hands[0], finger="ring", center_px=pl.center_px,
                               finger_width_px=pl.finger_width_px, radius_px=max(0.75 * side, 2.5 * pl.finger_width_px))
            t_seg = time.process_time() - t
            hand, _ = seg.window(Crop(x, y, side, side))
            edge = cv2.morphologyEx(hand.astype(np.uint8), cv2.MORPH_GRADIENT, np.ones((5, 5), np.uint8)) > 0
            t = time.process_time()
            look = measure_look(ph, x, y, side, side, edges=edge if edge.sum() > 40 else None, skin=hand)
            t_look = time.process_time() - t
            rows.append({"photo": p.name, "format": ph.format, "crop_px": side, **look.to_report(),
                         "segmentation": seg.to_report(), "cpu_s": {"segmentation": round(t_seg, 4),
                                                                    "look": round(t_look, 4)}})
            r = rows[-1]
            print(f"{p.name:32s} q={r['jpeg_quality']!s:>5} noise@128={r['noise_sigma_rgb_at_128']} "
                  f"blur={r['blur_sigma_px']:.2f} halo={r['halo']:.3f} fringe={r['fringe_px_rb']} "
                  f"block={r['blockiness']:.2f} grain={(r['grain'] or {}).get('sigma_ycc')} "
                  f"seg {t_seg:.2f}s look {t_look:.2f}s")
    ok = [r for r in rows if "error" not in r]
    summary = {k: float(np.median([r[k] for r in ok])) for k in ("blur_sigma_px", "halo", "blockiness")}
    summary["noise_sigma_g_at_128_median"] = float(np.median([r["noise_sigma_rgb_at_128"][1] for r in ok]))
    summary["jpeg_quality_median"] = float(np.median([r["jpeg_quality"] for r in ok if r["jpeg_quality"]]))
    grains = [r["grain"] for r in ok if r.get("grain")]
    if grains:
        summary["grain_sigma_ycc_median"] = [float(np.median([g["sigma_ycc"][c] for g in grains])) for c in range(3)]
        summary["grain_low_freq_share_ycc_median"] = [
            float(np.median([g["low_freq_share_ycc"][c] for g in grains])) for c in range(3)]
        summary["grain_measured_on"] = len(grains)
    summary["segmentation_cpu_s_median"] = float(np.median([r["cpu_s"]["segmentation"] for r in ok]))
    summary["look_cpu_s_median"] = float(np.median([r["cpu_s"]["look"] for r in ok]))
    print(json.dumps(summary, indent=1))
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True).stdout.strip()
    out = REPO / "benchmarks" / "results" / f"camera_look_{_dt.date.today().isoformat()}.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps({"date": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
                               "commit": commit, "machine": machine(), "summary": summary, "rows": rows},
                              indent=1) + "\n", encoding="utf-8")
    print(f"saved {out}")


if __name__ == "__main__":
    main()
