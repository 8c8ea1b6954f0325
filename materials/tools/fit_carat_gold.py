"""The carat-gold calibration's fit and every figure docs/metals.md quotes about it.

Usage::

    python materials/tools/fit_carat_gold.py [--json OUT.json]

The calibration (``jewelrender.materials.alloy_data``, ``CU_WEIGHT_S``,
``CU_WEIGHT_R0``) multiplies copper's volume fraction in a 55-80 wt% Au-Ag-Cu
gold by ``g = exp(S (r - r0))``, ``r = Cu/(Cu + Ag)`` by weight. This script
evaluates that model for every (S, r0) of the grid below against the seven
standard gold colours 0N-6N (:data:`STANDARD_GOLD_COLOURS`) and prints:

- the grid optimum of the objective (the largest CIEDE2000 over 1N-6N; 0N, the
  one silver-rich 14k point, is reported but not fitted), and the best r0 for
  several S;
- the per-colour errors at the shipped constants, calibrated and plain;
- leave-one-out: refit on five of 1N-6N, predict the sixth;
- the held-out 3N check: 3N is the composition of the ``yellow-gold-18k``
  preset, whose ``reference_lab`` test is otherwise a fit residual.

The model is evaluated here on the whole grid at once (a vectorised copy of
``alloy_data``'s weights); :func:`check_against_library` asserts that it equals
``alloy_data`` at the shipped constants. Not imported by the library; the tests
import :data:`STANDARD_GOLD_COLOURS` and :func:`fit` from here.
"""

from __future__ import annotations

import argparse
import json
import math

import numpy as np

from jewelrender import color, optics
from jewelrender import materials as M

#: The standard gold colours (ISO 8654 designations), composition (wt%) and CIELAB, as tabulated
#: by U. E. Klotz, CIELab_Plotter, literature_data_Github.csv (commit 827ea02e6ff7; cited there as
#: ref. [8], which the stored README does not list), https://github.com/UlrichKlotz/CIELab_Plotter.
#: Transcribed; a secondary table, not the standard itself (docs/metals.md).
STANDARD_GOLD_COLOURS = {
    "0N": ({"Au": 58.5, "Ag": 32.0, "Cu": 9.5}, (93.8, -3.01, 21.38)),
    "1N": ({"Au": 58.5, "Ag": 24.75, "Cu": 16.75}, (92.4, 0.35, 22.24)),
    "2N": ({"Au": 75.0, "Ag": 15.5, "Cu": 9.5}, (91.1, 1.2, 26.64)),
    "3N": ({"Au": 75.0, "Ag": 12.5, "Cu": 12.5}, (90.0, 3.69, 23.61)),
    "4N": ({"Au": 75.0, "Ag": 9.0, "Cu": 16.0}, (88.9, 6.13, 21.23)),
    "5N": ({"Au": 75.0, "Ag": 5.0, "Cu": 20.0}, (87.7, 8.32, 18.58)),
    "6N": ({"Au": 75.0, "Ag": 0.5, "Cu": 24.5}, (86.3, 10.12, 15.57)),
}
FITTED = ("1N", "2N", "3N", "4N", "5N", "6N")
#: The search grid: S in steps of 0.25, r0 in steps of 0.025.
S_GRID = np.round(np.arange(1.0, 8.0001, 0.25), 6)
R0_GRID = np.round(np.arange(0.2, 0.8001, 0.025), 6)
VIS = np.arange(380.0, 781.0, 5.0)


def _lab(comp: dict[str, float], g: np.ndarray) -> np.ndarray:
    """CIELAB (D65/2°) of ``comp`` with copper's volume fraction times each ``g`` (shape (..., 3))."""
    g = np.asarray(g, float)
    vol = {el: w / M.ELEMENTS[el][1] for el, w in comp.items()}
    total = sum(vol.values())
    raw = {el: (v / total) * (g if el == "Cu" else np.ones_like(g)) for el, v in vol.items()}
    wsum = sum(raw.values())
    eps = sum((raw[el] / wsum)[..., None] * optics.nk_to_permittivity(*M.metal_data(el).nk(VIS)) for el in comp)
    n, k = optics.permittivity_to_nk(eps)
    return optics.xyz_to_lab(optics.reflectance_to_xyz(VIS, optics.normal_reflectance_conductor(n, k)))


def _g(comp: dict[str, float], S: np.ndarray, r0: np.ndarray) -> np.ndarray:
    r = comp["Cu"] / (comp["Cu"] + comp["Ag"])
    return np.exp(S * (r - r0))


def errors(S, r0, names=tuple(STANDARD_GOLD_COLOURS)) -> dict[str, np.ndarray]:
    """CIEDE2000 of each named colour for the model with constants (S, r0) (arrays broadcast)."""
    S, r0 = np.broadcast_arrays(np.asarray(S, float), np.asarray(r0, float))
    out = {}
    for name in names:
        comp, ref = STANDARD_GOLD_COLOURS[name]
        out[name] = color.delta_e_2000(_lab(comp, _g(comp, S, r0)), np.array(ref))
    return out


def fit(names=FITTED) -> dict:
    """Grid search minimising the largest CIEDE2000 over ``names``."""
    S, R0 = np.meshgrid(S_GRID, R0_GRID, indexing="ij")
    de = errors(S, R0, names)
    worst = np.max(np.stack(list(de.values())), axis=0)
    i, j = np.unravel_index(np.argmin(worst), worst.shape)
    best_r0_per_s = {float(s): (float(R0_GRID[np.argmin(worst[a])]), float(worst[a].min())) for a, s in enumerate(S_GRID)}
    return {"S": float(S_GRID[i]), "r0": float(R0_GRID[j]), "max_de": float(worst[i, j]),
            "best_r0_per_S": best_r0_per_s, "worst": worst}


def check_against_library() -> float:
    """Largest |ΔLab| between this script's model and ``alloy_data`` at the shipped constants."""
    diff = 0.0
    for comp, _ in STANDARD_GOLD_COLOURS.values():
        lib = optics.conductor_lab(VIS, *M.alloy_data(comp).nk(VIS))[0]
        ours = _lab(comp, _g(comp, M.CU_WEIGHT_S, M.CU_WEIGHT_R0))
        diff = max(diff, float(np.abs(lib - ours).max()))
    return diff


def report() -> dict:
    full = fit()
    shipped = {k: float(v) for k, v in errors(M.CU_WEIGHT_S, M.CU_WEIGHT_R0).items()}
    plain = {k: float(v) for k, v in errors(0.0, 0.0).items()}  # g = 1: the plain mix
    loo = {}
    for held in FITTED:
        f = fit(tuple(n for n in FITTED if n != held))
        loo[held] = {"S": f["S"], "r0": f["r0"], "fit_max_de": f["max_de"],
                     "predicted_de": float(errors(f["S"], f["r0"], (held,))[held])}
    full.pop("worst")
    return {"grid": {"S": [float(S_GRID[0]), float(S_GRID[-1]), 0.25], "r0": [float(R0_GRID[0]), float(R0_GRID[-1]), 0.025]},
            "objective": "max CIEDE2000 over " + ", ".join(FITTED),
            "grid_optimum": full, "shipped": {"S": M.CU_WEIGHT_S, "r0": M.CU_WEIGHT_R0, "de": shipped,
                                              "max_de_fitted": max(shipped[k] for k in FITTED)},
            "plain_mix_de": plain, "leave_one_out": loo, "library_agreement_lab": check_against_library()}


def markdown(rep: dict) -> str:
    """The leave-one-out table of docs/metals.md (the test compares the page with this)."""
    lines = ["| held out | refit S | refit r0 | refit's max ΔE00 (other five) | held-out ΔE00 |",
             "|---|---:|---:|---:|---:|"]
    for k, v in rep["leave_one_out"].items():
        lines.append(f"| {k} | {v['S']:g} | {v['r0']:g} | {v['fit_max_de']:.2f} | **{v['predicted_de']:.2f}** |")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--json", default=None)
    args = ap.parse_args()
    rep = report()
    o = rep["grid_optimum"]
    print(f"grid S {rep['grid']['S']}, r0 {rep['grid']['r0']}; objective {rep['objective']}")
    print(f"grid optimum: S = {o['S']:g}, r0 = {o['r0']:g}, max dE00 {o['max_de']:.2f}")
    print("best r0 per S: " + ", ".join(f"S {s:g}: r0 {r:g} -> {d:.2f}" for s, (r, d) in o["best_r0_per_S"].items()
                                       if s in (3.0, 3.5, 4.0, 4.5, 5.0, 6.0)))
    sh = rep["shipped"]
    print(f"shipped S = {sh['S']:g}, r0 = {sh['r0']:g}: max over 1N-6N {sh['max_de_fitted']:.2f}")
    print("colour  calibrated  plain   g")
    for k, (comp, _) in STANDARD_GOLD_COLOURS.items():
        print(f"{k:6}  {sh['de'][k]:10.2f}  {rep['plain_mix_de'][k]:5.2f}  {float(_g(comp, sh['S'], sh['r0'])):.2f}")
    print("leave-one-out (refit on the other five, predict the held-out one):")
    for k, v in rep["leave_one_out"].items():
        print(f"  {k}: refit S {v['S']:g}, r0 {v['r0']:g} (fit max {v['fit_max_de']:.2f}) -> held-out dE00 {v['predicted_de']:.2f}")
    print(markdown(rep))
    print(f"script model vs alloy_data at the shipped constants: max |dLab| {rep['library_agreement_lab']:.1e}")
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(rep, fh, indent=2)


if __name__ == "__main__":
    main()
