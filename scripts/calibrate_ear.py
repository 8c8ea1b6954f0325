"""Fit the ear lobe's piercing offset (scenes/ear_lobe.toml [fit]) to the hand-measured piercings.

Each measurement is a pixel where a real earring pierces the lobe (or a bare lobe's centre) on a dev
photo (under ``$JEWELRENDER_DATA/photos`` or ``../shared/data/photos`` beside the checkout). Through the
site's own head frame (:func:`jewelrender.sites.ear.head_frame`) a pixel is a linear function of the
offset (out, down, back) in mm from the tragus point, so the offset is one least-squares solve over
all of them; per photo the residual (mm, at the face's scale) and a leave-one-out residual (the
offset fitted without that photo) are printed.

    python scripts/calibrate_ear.py            # print the fit and residuals
    python scripts/calibrate_ear.py --write    # and rewrite [fit] in scenes/ear_lobe.toml
    python scripts/calibrate_ear.py --json out.json
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from benchmarks.common import data_dir  # noqa: E402


def rows(face, frame, side: str):
    """The 2x3 map from an offset (out, down, back) mm to pixels, and the tragus point's pixel."""
    from jewelrender.sites.ear import TRAGUS_POINT

    sgn = 1.0 if side == "left" else -1.0
    A = np.stack([sgn * frame.axes[0, :2], frame.axes[1, :2], frame.axes[2, :2]], axis=1) / frame.mm_per_px
    return A, face.image_px[TRAGUS_POINT[side]]


def measure(data: Path):
    from jewelrender.landmarks import FaceDetector, PoseDetector
    from jewelrender.photo import load_photo
    from jewelrender.sites.ear import head_frame, lobe_measurements

    out = []
    with FaceDetector(max_faces=1) as det, PoseDetector() as pose:
        for m in lobe_measurements():
            ph = load_photo(data / "photos" / m["photo"])
            faces = det.detect(ph)
            if not faces:
                raise SystemExit(f"no face found in {m['photo']}")
            frame = head_frame(faces[0])
            A, t = rows(faces[0], frame, m["side"])
            out.append(dict(m, A=A, t=t, mm_per_px=frame.mm_per_px, yaw_deg=frame.yaw_deg, photo_obj=ph,
                            face=faces[0], frame=frame, person_mask=pose.detect(ph).person_mask))
    return out


def settled_px(m) -> np.ndarray:
    """Where the site puts the piercing (the calibrated point, settled onto the lobe: ``settle_on_lobe``)."""
    from jewelrender.segmentation_hair import hair_model
    from jewelrender.sites.ear import lobe_point_px3d, settle_on_lobe

    hair = hair_model(m["photo_obj"], m["face"], m["person_mask"], m["frame"].mm_per_px)
    p, _ = settle_on_lobe(m["frame"], lobe_point_px3d(m["face"], m["frame"], m["side"]), hair)
    return p[:2]


def solve(ms) -> np.ndarray:
    A = np.concatenate([m["A"] for m in ms])
    b = np.concatenate([np.asarray(m["px"], float) - m["t"] for m in ms])
    return np.linalg.lstsq(A, b, rcond=None)[0]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--write", action="store_true", help="rewrite [fit] in scenes/ear_lobe.toml")
    ap.add_argument("--json", help="write the fit and residuals here")
    args = ap.parse_args(argv)
    ms = measure(data_dir())
    x = solve(ms)
    report = {"fit_mm": {"out": round(float(x[0]), 1), "down": round(float(x[1]), 1), "back": round(float(x[2]), 1)},
              "photos": []}
    for i, m in enumerate(ms):
        pred = m["t"] + m["A"] @ x
        loo = solve(ms[:i] + ms[i + 1:])
        pred_loo = m["t"] + m["A"] @ loo
        err_px = float(np.linalg.norm(pred - m["px"]))
        err_loo = float(np.linalg.norm(pred_loo - m["px"]))
        err_site = float(np.linalg.norm(settled_px(m) - m["px"]))
        report["photos"].append({"photo": m["photo"], "side": m["side"], "earring": m["what"].startswith("earring"),
                                 "site_residual_mm": None if err_site is None else round(err_site * m["mm_per_px"], 1),
                                 "yaw_deg": round(m["yaw_deg"], 1), "mm_per_px": round(m["mm_per_px"], 4),
                                 "residual_px": round(err_px, 1), "residual_mm": round(err_px * m["mm_per_px"], 1),
                                 "leave_one_out_mm": round(err_loo * m["mm_per_px"], 1)})
    for r in report["photos"]:
        site = "" if r["site_residual_mm"] is None else f"  site {r['site_residual_mm']:5.1f} mm"
        print(f"{r['photo']:45s} {r['side']:5s} yaw {r['yaw_deg']:6.1f}  residual {r['residual_mm']:5.1f} mm "
              f"({r['residual_px']:5.1f} px)  leave-one-out {r['leave_one_out_mm']:5.1f} mm{site}"
              f"{'  [earring]' if r['earring'] else ''}")
    mm = np.array([r["residual_mm"] for r in report["photos"]])
    loo = np.array([r["leave_one_out_mm"] for r in report["photos"]])
    report["summary"] = {"rms_mm": round(float(np.sqrt((mm ** 2).mean())), 2), "max_mm": round(float(mm.max()), 2),
                         "loo_rms_mm": round(float(np.sqrt((loo ** 2).mean())), 2),
                         "loo_max_mm": round(float(loo.max()), 2)}
    print("fit (out, down, back) mm:", report["fit_mm"], report["summary"])
    if args.write:
        p = REPO / "scenes" / "ear_lobe.toml"
        text = p.read_text(encoding="utf-8")
        fit = (f"[fit]\nout_mm = {report['fit_mm']['out']}\ndown_mm = {report['fit_mm']['down']}\n"
               f"back_mm = {report['fit_mm']['back']}\n"
               f"# how far a new face's piercing may be from the prediction (leave-one-out RMS, mm)\n"
               f"uncertainty_mm = {round(report['summary']['loo_rms_mm'], 1)}\n")
        p.write_text(re.sub(r"\[fit\]\n(?:.*\n)*", fit, text), encoding="utf-8")
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
