"""Physics checks of the gem renderer with the real Mitsuba scenes (issue 4, "Prove it").

The set-ups live in ``benchmarks/bench_gems.py`` (which prints the slower
brilliance and fire checks); ``docs/gems.md`` records the measured numbers.
"""

from __future__ import annotations

import importlib.util
import itertools
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("mitsuba")

_BENCH = Path(__file__).resolve().parents[1] / "benchmarks" / "bench_gems.py"


@pytest.fixture(scope="module")
def bench():
    from jewelrender import backend
    from jewelrender.errors import BackendUnavailableError

    try:
        backend.select()
    except BackendUnavailableError as exc:
        pytest.skip(f"no render backend: {exc}")
    spec = importlib.util.spec_from_file_location("bench_gems", _BENCH)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_moissanite_rewrite_is_exact(bench):
    """The BSDF takes Sellmeier terms; moissanite's formula-4 rewrite must match its file."""
    b, c, err = bench.moissanite_sellmeier()
    assert len(b) == len(c) == 3
    assert err < 1e-6
    from jewelrender.library import materials

    assert materials.gem("moissanite").n(589.3) == pytest.approx(2.6474, abs=2e-4)


@pytest.mark.parametrize("stone", ["diamond", "corundum", "cubic-zirconia", "moissanite"])
def test_prism_follows_snell_per_wavelength(bench, stone):
    """Rays traced by Mitsuba through a prism (ray_intersect + the BSDF's sample at a fixed
    hero wavelength) leave along Snell's direction for n(λ) of the gem file, within 0.1°
    (measured: < 2e-4°), and the F, D, C lines separate in the order of n."""
    r = bench.prism_check(stone)
    lines = r["lines"]
    assert [ln["wavelength_nm"] for ln in lines] == [486.1, 589.3, 656.3]
    for ln in lines:
        assert ln["inside_error_deg"] < 0.1
        assert ln["exit_error_deg"] < 0.1
        assert abs(ln["deviation_deg_mitsuba"] - ln["deviation_deg_snell"]) < 0.1
    dev = [ln["deviation_deg_mitsuba"] for ln in lines]
    # Normal dispersion: blue (F) deviates most; the F-C spread is far above the tolerance.
    assert dev[0] > dev[1] > dev[2]
    assert dev[0] - dev[2] > 0.2


def test_prism_control_does_not_disperse(bench):
    r = bench.prism_check("control-2.417")
    dev = [ln["deviation_deg_mitsuba"] for ln in r["lines"]]
    assert max(dev) - min(dev) < 1e-3
    assert all(ln["exit_error_deg"] < 0.1 for ln in r["lines"])


@pytest.mark.slow
@pytest.mark.parametrize("stone", ["diamond", "moissanite"])
def test_white_furnace_round_brilliant(bench, stone):
    """A clear Tolkowsky brilliant in a uniform environment of radiance 1 renders 1 within 1 %.

    48 x 48 px (~1500 stone pixels) at 512 spp, max depth 256 (trapped
    total-internal-reflection paths are long; a shallow cap would darken the
    stone, which is part of what this checks).
    """
    r = bench.furnace_check(stone, res=48, spp=512, seed=5)
    assert r["pixels"] > 1000
    np.testing.assert_allclose(r["mean_rgb"], 1.0, atol=0.01)
    assert r["mean_luma"] == pytest.approx(1.0, abs=0.005)


@pytest.mark.slow
def test_furnace_detects_energy_loss(bench):
    """The same measurement sees the loss a too-short path cap causes (the check can fail)."""
    mi = bench._mitsuba()
    img, mask = bench.face_up_render(bench.stone_bsdf("diamond"), np.ones((16, 32), np.float32),
                                     res=32, spp=128, seed=5, max_depth=3)
    assert float((img[mask] @ bench.LUMA).mean()) < 0.95
    del mi


@pytest.fixture(scope="module")
def tracer(bench):
    return bench._tracer()


@pytest.mark.parametrize("pavilion", [38.0, 40.75, 43.0])
def test_brilliant_mesh_has_requested_angles(bench, pavilion):
    """Measured facet normals of the mesh: 73 planar facets of a convex solid (57 + 16 girdle
    segments), pavilion mains at the requested angle, bezels at the 34.5 deg crown angle."""
    a = bench.pavilion_facet_angles(pavilion)
    assert a["facets"] == 73
    assert len(a["table"]) == 1 and len(a["girdle"]) == 16
    assert len(a["crown"]) == 32 and len(a["pavilion"]) == 24
    pav = np.array(a["pavilion"])
    # 8 pavilion mains at the set angle; the 16 lower-girdle halves are steeper (by ~1.2 deg)
    assert np.sum(np.abs(pav - pavilion) < 1e-4) == 8
    assert np.all(pav[np.abs(pav - pavilion) > 1e-4] > pavilion + 0.5)
    assert np.sum(np.abs(np.array(a["crown"]) - 34.5) < 1e-4) == 8


def test_tracer_conserves_energy_and_sees_tir(bench, tracer):
    """The numpy tracer returns a uniform sky's radiance (no absorption) and, with the
    stone's index set to 1.0003, lets face-up light straight through (no TIR)."""
    from jewelrender.geometry.assets import round_brilliant

    part = round_brilliant(diameter_mm=6.5)

    def ones(d):
        return np.ones(len(d))

    r = tracer.light_return(part.vertices, part.faces, diameter_mm=6.5, environment=ones, samples_across=60)
    assert r["light_return"] == pytest.approx(1.0, abs=1e-4)
    # Near-index-matched stone: light comes from straight below -> black under a sky-only env.
    sky = tracer.viewer_env(0.0, 0.0)
    assert tracer.light_return(part.vertices, part.faces, diameter_mm=6.5, n_stone=1.0003,
                               environment=sky, samples_across=60)["light_return"] < 0.02
    assert tracer.light_return(part.vertices, part.faces, diameter_mm=6.5, n_stone=2.417,
                               environment=sky, samples_across=60)["light_return"] > 0.8


def test_uniform_hemisphere_deep_pavilion_is_not_darker(bench):
    """The issue's literal set-up (uniform white 0-90 deg hemisphere, dark head disc) does NOT
    give Tolkowsky a 15 % lead over the 43 deg pavilion for any head size: the 43 deg stone
    returns more light for every disc of 10-40 deg (docs/gems.md, section 3). Pinned so that a
    change to the mesh or tracer that flips this is noticed."""
    sweep = bench.brilliance_sweep(discs=(0.0, 5.0, 10.0, 15.0, 20.0, 25.0, 30.0, 35.0),
                                   elevations=(0.0,), samples_across=80)
    for (_, disc), v in sweep.items():
        assert v[40.75] < 1.15 * v[43.0], disc
        if disc >= 10.0:
            assert v[43.0] > v[40.75], disc


@pytest.mark.slow
def test_brilliance_aset_bright_zone(bench):
    """Face-up light return in the ASET-like viewer: sky lit from 45-90 deg elevation (the
    ASET's bright "red" zone), 20 deg dark disc round the viewer, viewer at 250 mm.

    Mitsuba (diamond, dispersive) and the independent numpy tracer (n = 2.417) agree within
    0.02 for all three stones (measured: within 0.01). In this set-up Tolkowsky beats the
    43 deg pavilion by 33-39 % and the 38 deg pavilion by 16-18 % (tracer 1.384 / 1.181,
    Mitsuba 1.335 / 1.159). The 15 % over 38 deg is asserted on the deterministic tracer; the
    noisier render is held to 12 %. The lead is specific to this head size: docs/gems.md.
    """
    r = {p: bench.light_return(p, 20.0, res=48, spp=64, seed=2, min_elevation_deg=45.0)
         for p in (38.0, 40.75, 43.0)}
    t = {p: bench.tracer_light_return(p, 20.0, min_elevation_deg=45.0, samples_across=100)
         for p in (38.0, 40.75, 43.0)}
    for p, value in r.items():
        assert value == pytest.approx(t[p], abs=0.02), p
    assert 0.3 < r[40.75] < 1.0
    assert r[40.75] >= 1.15 * r[43.0]
    assert r[40.75] >= 1.12 * r[38.0]
    assert t[40.75] >= 1.15 * t[43.0]
    assert t[40.75] >= 1.15 * t[38.0]


def test_fire_exit_spread_orders_by_dispersion(bench, tracer):
    """Angular dispersion of the light a Tolkowsky crown returns (G vs B line exit directions
    along the same facet path, numpy tracer): moissanite > CZ > diamond > sapphire > control,
    each step by >= 20 % (measured 3.01, 1.55, 1.21, 0.59, 0.00 deg), control exactly grey."""
    from jewelrender.geometry.assets import round_brilliant

    part = round_brilliant(diameter_mm=6.5)
    fac = tracer.facet_planes(part.vertices, part.faces)
    o, d = tracer.face_up_rays(part.vertices, 6.5, 250.0, 60)
    spread = {}
    for stone in bench.FIRE_STONES:
        tr = tracer.trace_spectral(fac, o, d, [430.8, 686.7], lambda wl, s=stone: bench.stone_index(s, wl))
        sp = tracer.exit_spread(tr)
        assert sp["paired_fraction"] > 0.6
        spread[stone] = sp["mean_deg"]
    vals = [spread[s] for s in bench.FIRE_STONES]
    for hi, lo in itertools.pairwise(vals[:-1]):
        assert hi > 1.2 * lo
    assert vals[-2] > 0.3
    assert vals[-1] < 1e-4


@pytest.mark.slow
def test_fire_chroma_small_source(bench, tracer):
    """Chroma of the face-up image under one 8 deg-radius white source, pooled over 120
    source positions (numpy tracer, 15 wavelengths). Asserted only where the paired gap
    exceeds 3 standard errors over the positions (measured: moissanite - CZ 5.3 SE,
    CZ - diamond 5.5 SE, sapphire - control 13 SE); diamond vs sapphire is NOT resolved by
    this metric (0.5 SE) and is left to the exit-spread test."""
    fire = bench.fire_tracer()
    order = list(bench.FIRE_STONES)
    for a, b in [(order[0], order[1]), (order[1], order[2]), (order[3], order[4])]:
        ta, tb = fire[a]["terms"], fire[b]["terms"]
        diff, se = tracer.paired_ratio_difference(ta[:, 2], ta[:, 3], tb[:, 2], tb[:, 3])
        assert diff > 3 * se, (a, b, diff, se)
    assert fire["control-2.417"]["chroma"] < 1e-9
