"""The lighting benchmark's camera: what a phone does to the synthetic photo (no render here)."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def bench():
    sys.path.insert(0, str(REPO / "benchmarks"))
    try:
        import bench_lighting
    finally:
        sys.path.remove(str(REPO / "benchmarks"))
    return bench_lighting


def test_tone_curve_is_srgb_below_the_knee_and_rolls_highlights_off_above_it(bench):
    x = np.linspace(0.0, 64.0, 20001)
    y = bench.tone_curve(x)
    k = bench.TONE_KNEE
    assert np.array_equal(y[x <= k], x[x <= k])
    assert np.all(np.diff(y) > 0) and y.max() < 1.0           # monotonic, never reaches the clip
    # Slope 1 at the knee (no kink in the highlights' gradation), then it flattens.
    eps = 1e-4
    assert abs((bench.tone_curve(k + eps) - bench.tone_curve(k)) / eps - 1.0) < 1e-3
    assert float(bench.tone_curve(2.0)) < 0.95 < float(bench.tone_curve(8.0))


def test_auto_white_balance_removes_part_of_a_colour_cast(bench):
    rng = np.random.default_rng(0)
    grey = rng.uniform(0.05, 0.6, size=(64, 64, 1)) * np.ones(3)
    cast = np.array([0.7, 1.0, 1.4])                         # a blue sky's cast
    g = bench.awb_gains(grey * cast)
    assert g[1] == pytest.approx(1.0)
    balanced = (grey * cast * g).reshape(-1, 3).mean(axis=0)
    before = np.log(cast[2] / cast[0])
    after = np.log(balanced[2] / balanced[0])
    # Partial correction: the camera takes AWB_STRENGTH of the way to grey.
    assert after == pytest.approx((1.0 - bench.AWB_STRENGTH) * before, rel=1e-6)
    # Clipped pixels do not vote (a sensor's saturated pixels have no colour).
    img = grey * cast
    img[:8] = 5.0
    assert np.allclose(bench.awb_gains(img), bench.awb_gains((grey * cast)[8:]), rtol=1e-6)


def test_skin_scatters_red_light_further_than_blue_and_keeps_the_background(bench):
    h, w = 60, 80
    hand = np.zeros((h, w), bool)
    hand[10:50, 10:70] = True
    lin = np.zeros((h, w, 3))
    lin[hand] = 0.05
    lin[10:50, 40:70] = 0.4                                 # a shadow edge across the skin
    lin[~hand] = [0.9, 0.2, 0.1]                            # a coloured background
    out = bench.subsurface(lin, hand, mm_per_px=0.5)
    assert np.array_equal(out[~hand], lin[~hand])           # nothing bleeds out of, or into, the skin
    # Light diffuses into the shadow: red (mm-wide profile) much more than blue (0.1 mm).
    spill = out[30, 36] - lin[30, 36]
    assert spill[0] > 3 * spill[2] > 0
    # Energy is (nearly) kept inside the hand away from its outline.
    inner = np.zeros_like(hand)
    inner[20:40, 20:60] = True
    assert np.allclose(out[inner].sum(axis=0), lin[inner].sum(axis=0), rtol=0.05)
    # Each channel's weights sum to one (d'Eon & Luebke's profile is normalised).
    assert np.allclose(np.sum([wt for _, wt in bench.SKIN_DIFFUSION], axis=0), 1.0, atol=1e-3)


def test_every_hdri_in_the_data_has_a_kind(bench, data_dir):
    names = {bench._hdri_name(p) for p in (data_dir / "hdri").glob("*.*") if p.suffix in (".hdr", ".exr")}
    assert names, "no HDRIs"
    assert names <= set(bench.HDRI_KINDS), sorted(names - set(bench.HDRI_KINDS))


def test_albedo_split_undoes_the_tone_curve(bench):
    # bench_albedo_split reads "what the shoulder costs" through this inverse: it must give back the linear
    # value wherever the 8-bit photo still grades it (up to linear 8, code 254).
    sys.path.insert(0, str(REPO / "benchmarks"))
    try:
        import bench_albedo_split
    finally:
        sys.path.remove(str(REPO / "benchmarks"))
    x = np.linspace(0.0, 8.0, 4001)
    assert np.allclose(bench_albedo_split.untone(bench.tone_curve(x)), x, rtol=1e-9, atol=1e-12)
    # Above the knee the curve compresses: undone, a skin colour on the shoulder gets its saturation back.
    skin = np.array([1.2, 0.8, 0.6])
    toned = bench.tone_curve(skin)
    assert (toned.max() / toned.min()) < (skin.max() / skin.min())
    assert np.allclose(bench_albedo_split.untone(toned), skin)
