"""The code's skin undertone on the dev hand photos against one person's blind reading.

The reading (``benchmarks/undertone_readings.csv``) was written by eye before the code's
undertone existed. For each photo: detection, placement and the lighting estimate without
refinement (the white balance and the skin's median colour do not depend on it), then
:func:`jewelrender.lighting.advice.skin_advice`.

    .venv/bin/python benchmarks/undertone_agreement.py [--json benchmarks/results/0.1.0/undertone.json]
"""

from __future__ import annotations

import argparse
import csv
import sys
import time
from pathlib import Path

sys.path[:0] = [str(Path(__file__).resolve().parent), str(Path(__file__).resolve().parents[1])]
from common import REPO, data_dir, dump  # noqa: E402


def readings() -> dict[str, dict]:
    rows = [r for r in (REPO / "benchmarks" / "undertone_readings.csv").read_text().splitlines()
            if r and not r.startswith("#")]
    return {r["photo"]: r for r in csv.DictReader(rows)}


def main(argv=None) -> int:
    import jewelrender as jr
    from jewelrender.camera import camera_from_photo
    from jewelrender.errors import JewelrenderError
    from jewelrender.landmarks import HandDetector
    from jewelrender.lighting import estimate_lighting
    from jewelrender.lighting.advice import COOL_CHROMA, NEUTRAL_BAND_DEG, WARM_CHROMA, skin_advice
    from jewelrender.sites.hand import place_ring

    ap = argparse.ArgumentParser()
    ap.add_argument("--json", default=None)
    a = ap.parse_args(argv)
    people = readings()
    hands_dir = data_dir() / "photos" / "hands"
    out, t0 = [], time.process_time()
    det = HandDetector()
    for name, r in sorted(people.items()):
        photo = jr.load_photo(hands_dir / name)
        hands = det.detect(photo)
        if not hands:
            out.append({"photo": name, "person": r["undertone"], "code": None, "why": "no hand"})
            continue
        cam = camera_from_photo(photo)
        placement = None
        for finger in ("ring", "middle", "index", "little"):  # any finger's proxies give the skin
            try:
                placement = place_ring(photo, hands[0], cam, finger=finger)
                break
            except JewelrenderError:
                continue
        if placement is None:
            out.append({"photo": name, "person": r["undertone"], "code": None, "why": "no finger placed"})
            continue
        light = estimate_lighting(photo, cam, placement, refine=0)
        adv = skin_advice(light.info)
        adv_raw = skin_advice(dict(light.info, white_balance_rgb=[1.0, 1.0, 1.0]))
        out.append({"photo": name, "person": r["undertone"], "person_depth": r["depth"],
                    "confidence": r["confidence"], "code": adv["undertone"], "code_no_wb": adv_raw["undertone"],
                    "code_hue_rule": ("warm" if adv["hue_offset_deg"] > NEUTRAL_BAND_DEG else "cool"
                                      if adv["hue_offset_deg"] < -NEUTRAL_BAND_DEG else "neutral"),
                    "chroma": adv["chroma"], "chroma_no_wb": adv_raw["chroma"],
                    "depth": adv["depth"], "hue_deg": adv.get("hue_deg"), "hue_offset_deg": adv.get("hue_offset_deg"),
                    "hue_offset_no_wb": adv_raw.get("hue_offset_deg"), "ita_deg": adv.get("ita_deg"),
                    "white_balance_rgb": adv.get("white_balance_rgb"), "lab_balanced": adv.get("lab_balanced"),
                    "lab_raw": adv_raw.get("lab_balanced"),
                    "advice": [m["metal"] for m in adv["metal_advice"]]})
    det.close()
    print(f"{'photo':<30} {'person':<8} {'conf':<5} {'code':<8} {'noWB':<8} {'hueRule':<8} {'depth':<7} {'C*':>5} "
          f"{'hue':>5} {'off':>6} {'offNoWB':>7} {'ITA':>6}  advice")
    for o in out:
        if o["code"] is None:
            print(f"{o['photo']:<30} {o['person']:<8} -- {o.get('why')}")
            continue
        print(f"{o['photo']:<30} {o['person']:<8} {o['confidence']:<5} {o['code']:<8} {o['code_no_wb']:<8} "
              f"{o['code_hue_rule']:<8} {o['depth']:<7} {o['chroma']:5.1f} {o['hue_deg']:5.1f} "
              f"{o['hue_offset_deg']:+6.1f} {o['hue_offset_no_wb']:+7.1f} "
              f"{o['ita_deg']:6.1f}  {','.join(o['advice'][:2])}")
    done = [o for o in out if o["code"] is not None]
    order = {"cool": 0, "neutral": 1, "warm": 2}

    def agree(key, rows):
        exact = sum(o[key] == o["person"] for o in rows)
        near = sum(abs(order[o[key]] - order[o["person"]]) <= 1 for o in rows)
        return exact, near, len(rows)

    summary = {}
    for label, rows in (("all", done), ("high confidence", [o for o in done if o["confidence"] == "high"])):
        for key in ("code", "code_no_wb", "code_hue_rule"):
            e, n, k = agree(key, rows)
            summary[f"{label} / {key}"] = {"exact": e, "within_one": n, "n": k}
            print(f"{label:<16} {key:<11} exact {e}/{k}, within one step {n}/{k}")
    # The chroma thresholds are calibrated on these very readings: leave-one-out says what the
    # calibration is worth on a photo it has not seen (thresholds refitted without that photo).
    def fit(rows):
        xs = sorted({round(o["chroma"], 1) for o in rows})
        best = (-1, 0.0, 0.0)
        for lo in xs:
            for hi in [x for x in xs if x >= lo]:
                s = sum(("cool" if o["chroma"] < lo else "warm" if o["chroma"] > hi else "neutral") == o["person"]
                        for o in rows)
                best = max(best, (s, lo, hi), key=lambda b: b[0])
        return best

    s_all, lo_all, hi_all = fit(done)
    loo = 0
    for i, o in enumerate(done):
        _, lo, hi = fit(done[:i] + done[i + 1:])
        loo += ("cool" if o["chroma"] < lo else "warm" if o["chroma"] > hi else "neutral") == o["person"]
    summary["calibration"] = {"fitted_cool_below": lo_all, "fitted_warm_above": hi_all, "in_sample": s_all,
                              "leave_one_out": loo, "n": len(done), "shipped": [COOL_CHROMA, WARM_CHROMA]}
    print(f"chroma thresholds fitted to all {len(done)}: cool < {lo_all}, warm > {hi_all} ({s_all} agree; shipped "
          f"{COOL_CHROMA} / {WARM_CHROMA}); leave-one-out {loo}/{len(done)}")
    confusion = {p: {c: sum(o["person"] == p and o["code"] == c for o in done) for c in order} for p in order}
    print("confusion (rows: person, columns: code):", confusion)
    print(f"{time.process_time() - t0:.0f} s CPU")
    dump(a.json, {"rows": out, "summary": summary, "confusion": confusion})
    return 0


if __name__ == "__main__":
    sys.exit(main())
