"""Gem body colour: Beer-Lambert absorption in the dispersive BSDF, the variety data and
the dispersion data of the gems without a published formula (issue #4).

Colour checks are numpy-only (CIE tables of :mod:`jewelrender.library.optics`); the BSDF is
checked ray by ray (scalar and LLVM) and end to end by rendering a slab under a
backlight, whose transmittance has a closed form per wavelength.
"""

from __future__ import annotations

import math
import re

import numpy as np
import pytest

from _mitsuba import use_variant  # noqa: E402
from jewelrender.library import materials as M
from jewelrender.library import optics
from jewelrender.bsdfs import (
    ABSORPTION_RANGE_NM,
    AIR_IOR,
    MONO_ABSORPTION_NM,
    RGB_ABSORPTION_NM,
    cauchy_index,
    dispersive_dielectric_dict,
    sellmeier_index,
)
from jewelrender.errors import CatalogError, InvalidOptionError


def _hue(lab) -> float:
    return float(np.degrees(np.arctan2(lab[2], lab[1])) % 360.0)


def _in_hue_range(h: float, lo: float, hi: float) -> bool:
    return lo <= h <= hi if lo <= hi else (h >= lo or h <= hi)  # lo > hi wraps through 0


# ---------------------------------------------------------------------------
# Variety colours (numpy)
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("name", M.list_gem_varieties())
def test_variety_colour_matches_its_record_and_target(name):
    v = M.gem_variety(name)
    lab = v.transmitted_lab()
    assert v.lab is not None, "every shipped variety records the CIELAB its bands give"
    np.testing.assert_allclose(lab, v.lab, atol=0.01)
    if v.hue_deg is not None:
        assert _in_hue_range(_hue(lab), *v.hue_deg), (name, _hue(lab), v.hue_deg)
        assert math.hypot(lab[1], lab[2]) > 10.0          # a coloured stone, not a tint
    assert v.gem().name == v.material
    assert np.all(v.sigma_a(M.ABSORPTION_GRID_NM) >= 0)


@pytest.mark.parametrize("name, lo, hi", [
    # the targets, kept here so that widening a file's range cannot hide a drift
    ("ruby", 0.0, 30.0), ("sapphire", 250.0, 290.0), ("emerald", 140.0, 170.0),
    ("amethyst", 290.0, 330.0), ("citrine", 70.0, 90.0),
])
def test_trade_hues(name, lo, hi):
    h = _hue(M.gem_variety(name).transmitted_lab())
    assert lo <= h <= hi, (name, h)


def test_diamond_colour_grades():
    labs = {g: M.gem_variety(f"diamond-{g}").transmitted_lab() for g in "defghij"}
    chroma = [math.hypot(labs[g][1], labs[g][2]) for g in "defghij"]
    assert chroma[0] < 1.0                                  # D: colourless
    assert all(b > a for a, b in zip(chroma, chroma[1:]))   # each grade more coloured
    j = labs["j"]
    assert j[2] > 3.0 and 80.0 <= _hue(j) <= 110.0         # J: clearly yellowish (cape)
    assert all(lab[0] > 99.0 for lab in labs.values())      # near-colourless: hardly darker


def test_beer_lambert_and_longer_paths():
    v = M.gem_variety("sapphire")
    wl = np.arange(380.0, 781.0, 5.0)
    np.testing.assert_allclose(v.transmittance(wl, 8.0), v.transmittance(wl, 4.0) ** 2, rtol=1e-12)
    # a longer path darkens the stone (the extinction of a deep pavilion)
    assert v.transmitted_lab(8.0)[0] < v.transmitted_lab(4.0)[0] - 10.0
    wl_grid, sig = v.absorption()
    np.testing.assert_array_equal(wl_grid, M.ABSORPTION_GRID_NM)
    assert wl_grid[0] == ABSORPTION_RANGE_NM[0] and wl_grid[-1] == ABSORPTION_RANGE_NM[1]
    # the Fe2+-Ti4+ band: the blue stone absorbs most in the yellow-orange
    assert 560.0 <= wl_grid[np.argmax(sig * (wl_grid > 500))] <= 620.0


def test_gem_optics_resolves_varieties_before_gem_aliases():
    material, variety = M.gem_optics("Ruby")
    assert material is M.gem("corundum") and variety is M.gem_variety("ruby")
    assert M.gem_optics("blue-sapphire")[1] is M.gem_variety("sapphire")
    assert M.gem_optics("corundum") == (M.gem("corundum"), None)
    assert M.gem_optics("peridot")[0] is M.gem("olivine")
    assert M.gem("ruby") is M.gem("corundum")          # the material lookup is unchanged
    with pytest.raises(CatalogError) as ei:
        M.gem_optics("kryptonite")
    assert {"ruby", "diamond", "diamond-j", "corundum"} <= set(ei.value.details["valid"])


GOOD_VARIETIES = """[testred]
label = "Test red"
material = "diamond"
colour = "red"
reference_path_mm = 4.0
citation = "A. Author, J. Test 1, 1 (1999)"
bands = [{centre_nm = 520.0, fwhm_nm = 80.0, peak_per_mm = 1.0, cause = "test"}]
"""


def test_good_tmp_varieties_file(tmp_path):
    p = tmp_path / "varieties.toml"
    p.write_text(GOOD_VARIETIES, encoding="utf-8")
    v = M.load_gem_varieties(p, {"diamond": M.gem("diamond")})["testred"]
    assert v.sigma_a(520.0) == pytest.approx(1.0)
    assert v.sigma_a(560.0) == pytest.approx(0.5)               # FWHM: half maximum at +-40 nm
    assert v.hue_deg is None and v.lab is None


@pytest.mark.parametrize(("edit", "problem"), [
    (lambda s: s.replace('material = "diamond"', 'material = "glass"'), "not a gem file"),
    (lambda s: s.replace("peak_per_mm = 1.0", "peak_per_mm = -1.0"), "peak_per_mm must be >= 0"),
    (lambda s: s.replace("fwhm_nm = 80.0, ", ""), "band 0 must be"),
    (lambda s: s.replace("centre_nm = 520.0", "centre_nm = 52.0"), "centre_nm must lie"),
    (lambda s: s.replace("reference_path_mm = 4.0\n", ""), "lacks 'reference_path_mm'"),
    (lambda s: s.replace("[testred]", "[diamond]"), "is a gem material's name"),
    (lambda s: s.replace("[testred]", '["Test_Red"]'), "lower-case"),
    (lambda s: s + "x_deg = [10.0]\n", "unknown key"),
    (lambda s: s.split("bands =")[0] + "bands = []\n", "non-empty list"),
])
def test_malformed_varieties_file(tmp_path, edit, problem):
    p = tmp_path / "varieties.toml"
    p.write_text(edit(GOOD_VARIETIES), encoding="utf-8")
    with pytest.raises(CatalogError, match=re.escape(problem)):
        M.load_gem_varieties(p, {"diamond": M.gem("diamond")})


# ---------------------------------------------------------------------------
# Dispersion data
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("name, n_d, fire", [
    # Gemmological n_D and n_G - n_B, as cited in each file (GIA Gem Reference Guide;
    # W. Schumann, Gemstones of the World, 2009, pp. 41-42): the Cauchy law is an exact
    # two-point fit, so both must come back.
    ("beryl", 1.582, 0.014), ("topaz", 1.613, 0.014), ("olivine", 1.672, 0.020),
    ("tourmaline", 1.640, 0.017), ("zoisite", 1.692, 0.030), ("pyrope", 1.746, 0.022),
    ("almandine", 1.790, 0.024),
])
def test_two_point_cauchy_fits(name, n_d, fire):
    g = M.gem(name)
    assert g.formula == "cauchy" and g.wavelength_range_nm == (optics.LINE_G, optics.LINE_B)
    assert g.n_d == pytest.approx(n_d, abs=1e-7)
    assert g.dispersion == pytest.approx(fire, abs=1e-7)
    assert "(19" in g.citation or "(20" in g.citation


@pytest.mark.parametrize("name, fire", [("quartz", 0.013), ("spinel", 0.020), ("yag", 0.028)])
def test_shipped_formulas_agree_with_gemmological_fire(name, fire):
    """The measured formulas already shipped match the gemmological B-G dispersion tables."""
    assert M.gem(name).dispersion == pytest.approx(fire, abs=0.0015)


@pytest.mark.parametrize("name", M.list_gems())
def test_every_gem_has_a_bsdf_law(name):
    g = M.gem(name)
    law = g.bsdf_law()
    d = dispersive_dielectric_dict(**law)               # validates the law over 360-830 nm
    assert d["type"] == "dispersive_dielectric"
    wl = np.arange(360.0, 831.0, 2.0)
    if "cauchy" in law:
        n = cauchy_index(wl, *law["cauchy"])
    else:
        assert len(law["b"]) <= 3
        n = sellmeier_index(wl, law["b"], law["c"])
    np.testing.assert_allclose(n, g.n(wl), atol=1e-6)


def test_moissanite_rewritten_as_three_sellmeier_terms():
    law = M.gem("moissanite").bsdf_law()
    np.testing.assert_allclose(law["b"], [4.40843, 215.3, 1.16389], rtol=1e-5)
    np.testing.assert_allclose(law["c"], [0.03178, 1.0e4, 0.0])
    wl = np.linspace(400.0, 700.0, 301)
    assert np.max(np.abs(sellmeier_index(wl, law["b"], law["c"]) - M.gem("moissanite").n(wl))) < 5e-7


# ---------------------------------------------------------------------------
# The scene-dict helper
# ---------------------------------------------------------------------------

def test_absorption_dict_units_and_validation():
    wl, sig = np.array([400.0, 700.0]), np.array([1.0, 0.5])     # 1/mm
    mm = dispersive_dielectric_dict(eta=1.7, absorption=(wl, sig), length_unit_m=1e-3)
    m = dispersive_dielectric_dict(eta=1.7, absorption=(wl, sig), length_unit_m=1.0)
    s_mm = np.array(mm["sigma_a"].split(), dtype=float)
    s_m = np.array(m["sigma_a"].split(), dtype=float)
    grid = np.arange(360.0, 831.0, 5.0)
    assert s_mm.size == grid.size and (mm["sigma_a_lambda_min"], mm["sigma_a_lambda_max"]) == (360.0, 830.0)
    np.testing.assert_allclose(s_mm, np.interp(grid, wl, sig), rtol=1e-8)   # ends held
    np.testing.assert_allclose(s_m, 1000.0 * s_mm, rtol=1e-8)               # 1/mm -> 1/m
    assert dispersive_dielectric_dict(eta=1.7, absorption=0.25, length_unit_m=1e-3)["sigma_a"] == "0.25"
    assert "sigma_a" not in dispersive_dielectric_dict(eta=1.7, absorption=(wl, 0 * sig), length_unit_m=1.0)
    for bad in [dict(absorption=(wl, sig)),                                    # no unit
                dict(absorption=(wl, -sig), length_unit_m=1.0),
                dict(absorption=(wl[::-1], sig), length_unit_m=1.0),
                dict(absorption=(wl, sig[:1]), length_unit_m=1.0),
                dict(absorption=(wl, sig), length_unit_m=0.0),
                dict(absorption="red", length_unit_m=1.0)]:
        with pytest.raises(InvalidOptionError):
            dispersive_dielectric_dict(eta=1.7, **bad)
    ruby = M.gem_bsdf_dict("ruby", length_unit_m=1e-3)
    assert ruby["sellmeier_b"] and "sigma_a" in ruby
    assert "sigma_a" not in M.gem_bsdf_dict("diamond", length_unit_m=1.0)


# ---------------------------------------------------------------------------
# The BSDF, ray by ray
# ---------------------------------------------------------------------------

mi = pytest.importorskip("mitsuba")
dr = pytest.importorskip("drjit")

TABLE_WL = np.array([360.0, 450.0, 550.0, 650.0, 830.0])
TABLE_SIG = np.array([0.0, 3.0, 0.5, 2.0, 1.0])       # 1/mm, deliberately uneven




def _sigma(lam) -> np.ndarray:
    grid = np.arange(360.0, 831.0, 5.0)
    return np.interp(lam, grid, np.interp(grid, TABLE_WL, TABLE_SIG))


def _pair(**law):
    clear = mi.load_dict(dispersive_dielectric_dict(**law))
    tinted = mi.load_dict(dispersive_dielectric_dict(**law, absorption=(TABLE_WL, TABLE_SIG), length_unit_m=1e-3))
    return clear, tinted


def test_scalar_sample_weight_carries_exp_minus_sigma_t():
    use_variant("scalar_spectral")
    clear, tinted = _pair(b="diamond")
    ctx = mi.BSDFContext()
    lam = (587.3, 431.0, 612.2, 702.5)                  # off the 5 nm grid
    for inside in (True, False):
        for t in (0.7, 1.4):
            for u in (0.01, 0.99):                      # reflection, then transmission
                si = dr.zeros(mi.SurfaceInteraction3f)
                c = math.cos(math.radians(10.0))
                si.wi = mi.Vector3f(math.sin(math.radians(10.0)), 0.0, -c if inside else c)
                si.wavelengths = mi.Spectrum(*lam)
                si.t = t
                bs0, w0 = clear.sample(ctx, si, u, mi.Point2f(0.5, 0.5), True)
                bs1, w1 = tinted.sample(ctx, si, u, mi.Point2f(0.5, 0.5), True)
                assert bs0.sampled_type == bs1.sampled_type and bs0.pdf == bs1.pdf
                np.testing.assert_allclose(np.array(bs1.wo), np.array(bs0.wo))
                w0, w1 = np.array(w0), np.array(w1)
                expected = np.exp(-_sigma(np.array(lam)) * t) if inside else np.ones(4)
                live = w0 != 0                          # non-hero wavelengths of a refraction are 0
                assert live[0]
                np.testing.assert_allclose(w1[live] / w0[live], expected[live], rtol=2e-6)
                assert np.all(w1[~live] == 0)
    # No ray distance (t = inf, e.g. a hand-made interaction): no attenuation.
    si.wi = mi.Vector3f(0.0, 0.0, -1.0)
    si.t = math.inf
    np.testing.assert_array_equal(np.array(tinted.sample(ctx, si, 0.01, mi.Point2f(0.5), True)[1]),
                                  np.array(clear.sample(ctx, si, 0.01, mi.Point2f(0.5), True)[1]))


def test_doubling_the_path_squares_the_attenuation_llvm():
    """Vectorised (JIT gather) lookup at random wavelengths and distances."""
    use_variant("llvm_ad_spectral")
    clear, tinted = _pair(eta=1.7)
    rng = np.random.default_rng(5)
    m = 4096
    lam = rng.uniform(360.0, 830.0, size=(4, m))
    t = rng.uniform(0.0, 2.0, size=m)
    ctx = mi.BSDFContext()
    att = {}
    for scale in (1.0, 2.0):
        si = dr.zeros(mi.SurfaceInteraction3f, m)
        si.wi = mi.Vector3f(0.0, 0.3, -math.sqrt(1 - 0.09))
        si.wavelengths = mi.Spectrum(*(mi.Float(x) for x in lam))
        si.t = mi.Float(t * scale)
        u = mi.Float(rng.uniform(size=m))
        _, w0 = clear.sample(ctx, si, u, mi.Point2f(0.5, 0.5), True)
        _, w1 = tinted.sample(ctx, si, u, mi.Point2f(0.5, 0.5), True)
        att[scale] = np.array(w1) / np.array(w0)
        np.testing.assert_allclose(att[scale], np.exp(-_sigma(lam) * t * scale), rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(att[2.0], att[1.0] ** 2, rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("variant, nm", [("scalar_rgb", RGB_ABSORPTION_NM), ("llvm_ad_mono", (MONO_ABSORPTION_NM,))])
def test_rgb_and_mono_take_representative_wavelengths(variant, nm):
    use_variant(variant)
    clear, tinted = _pair(eta=1.7)
    si = dr.zeros(mi.SurfaceInteraction3f)
    si.wi = mi.Vector3f(0.0, 0.0, -1.0)
    si.t = 0.8
    _, w0 = clear.sample(mi.BSDFContext(), si, 0.5, mi.Point2f(0.5, 0.5), True)
    _, w1 = tinted.sample(mi.BSDFContext(), si, 0.5, mi.Point2f(0.5, 0.5), True)
    ratio = (np.array(w1) / np.array(w0)).ravel()
    np.testing.assert_allclose(ratio, np.exp(-_sigma(np.array(nm)) * 0.8), rtol=1e-5)


def test_plugin_validates_sigma_a():
    use_variant("scalar_spectral")
    with pytest.raises(RuntimeError, match="names no unit"):
        mi.load_dict({"type": "dispersive_dielectric", "eta": 1.5, "absorption": 0.1})
    with pytest.raises(RuntimeError, match="sigma_a must be >= 0"):
        mi.load_dict({"type": "dispersive_dielectric", "eta": 1.5, "sigma_a": "0.1 -0.2"})
    with pytest.raises(RuntimeError, match="min < max"):
        mi.load_dict({"type": "dispersive_dielectric", "eta": 1.5, "sigma_a": "0.1 0.2",
                      "sigma_a_lambda_min": 700.0, "sigma_a_lambda_max": 400.0})
    b = mi.load_dict({"type": "dispersive_dielectric", "eta": 1.5, "sigma_a": "0.3"})
    assert "sigma_a" in str(b) and mi.traverse(b)["sigma_a"] == "0.3"


# ---------------------------------------------------------------------------
# End to end: renders (LLVM, hero_path)
# ---------------------------------------------------------------------------

def _slab_render(bsdf: dict, thickness: float, spp: int = 256, res: int = 16) -> np.ndarray:
    """Orthographic view at normal incidence through a slab (cube) onto a backlight."""
    scene = mi.load_dict({
        "type": "scene",
        "integrator": {"type": "hero_path", "max_depth": 64, "rr_depth": 64},
        "sensor": {
            "type": "orthographic",
            "to_world": mi.ScalarTransform4f().look_at(origin=[0, 0, 5], target=[0, 0, 0], up=[0, 1, 0])
            @ mi.ScalarTransform4f().scale([0.5, 0.5, 1.0]),
            "film": {"type": "hdrfilm", "width": res, "height": res, "rfilter": {"type": "box"}},
            "sampler": {"type": "independent", "sample_count": spp},
        },
        "slab": {"type": "cube", "bsdf": bsdf,
                 "to_world": mi.ScalarTransform4f().scale([3.0, 3.0, 0.5 * thickness])},
        "light": {"type": "rectangle", "emitter": {"type": "area", "radiance": 1.0},
                  "to_world": mi.ScalarTransform4f().translate([0, 0, -4]) @ mi.ScalarTransform4f().scale(6.0)},
    })
    return np.array(mi.render(scene, seed=2))[..., :3].reshape(-1, 3)


def _film_rgb_of(f) -> np.ndarray:
    """What the spectral film makes of a white (value 1) emitter seen through transmittance f(λ).

    Spectral Mitsuba turns an emitter's value 1 into the D65 spectrum scaled to
    film RGB (1, 1, 1); the film integral is the quadrature of the unbiasedness
    test in test_bsdfs.
    """
    lam = np.arange(360.0, 830.0, 0.25) + 0.125
    t = optics.cie_tables()
    d65 = np.interp(lam, t.wavelength_nm, t.d65)

    def film(values):
        lam_s = mi.UnpolarizedSpectrum(*(mi.Float(lam),) * 4)
        val_s = mi.UnpolarizedSpectrum(*(mi.Float(values * 0.25),) * 4)
        return np.array(mi.spectrum_to_srgb(val_s, lam_s)).sum(axis=1)

    white = film(d65)
    return film(d65 * f(lam)) / white.mean()


@pytest.mark.slow
def test_backlit_slab_matches_beer_lambert_with_interreflections():
    """Ruby slab, thickness d and 2d: T = (1-R)² a / (1 - R² a²), a = exp(-σ(λ) d), per wavelength."""
    use_variant("llvm_ad_spectral")
    ruby = M.gem_variety("ruby")
    n_law = M.gem("corundum").n
    results = {}
    for d, absorbing in ((2.0, True), (4.0, True), (2.0, False)):
        bsdf = M.gem_bsdf_dict("ruby" if absorbing else "corundum", length_unit_m=1e-3)   # scene in mm
        pixels = _slab_render(bsdf, d)

        def transmittance(lam, d=d, absorbing=absorbing):
            n = n_law(lam) / AIR_IOR
            r = ((n - 1) / (n + 1)) ** 2
            a = np.exp(-ruby.sigma_a(lam) * d) if absorbing else np.ones_like(lam)
            return (1 - r) ** 2 * a / (1 - r * r * a * a)

        ref = _film_rgb_of(transmittance)
        mean = pixels.mean(axis=0)
        sem = pixels.std(axis=0) / math.sqrt(len(pixels))
        assert np.all(np.abs(mean - ref) < 4 * sem + 0.01 * np.abs(ref) + 1e-4), (d, absorbing, mean, ref, sem)
        results[(d, absorbing)] = mean
    # A clear slab passes ~86 % (two surfaces of corundum); ruby is red and darkens with thickness.
    assert results[(2.0, False)] == pytest.approx(_film_rgb_of(lambda lam: np.ones_like(lam)) * 0.86, rel=0.03)
    r2, r4 = results[(2.0, True)], results[(4.0, True)]
    assert r2[0] > 2 * r2[1] and r2[0] > 2 * r2[2]
    assert np.all(r4 < r2)


def _furnace(bsdf: dict) -> np.ndarray:
    scene = mi.load_dict({
        "type": "scene",
        "integrator": {"type": "hero_path", "max_depth": 12},
        "sensor": {
            "type": "perspective", "fov": 30,
            "to_world": mi.ScalarTransform4f().look_at(origin=[0, 0, 4], target=[0, 0, 0], up=[0, 1, 0]),
            "film": {"type": "hdrfilm", "width": 24, "height": 24, "rfilter": {"type": "box"}},
            "sampler": {"type": "independent", "sample_count": 128},
        },
        "emitter": {"type": "constant", "radiance": 1.0},
        "gem": {"type": "sphere", "bsdf": bsdf},
    })
    img = np.array(mi.render(scene, seed=3))[..., :3]
    ys, xs = (np.mgrid[0:24, 0:24] + 0.5) / 24 * 2 - 1
    return img[np.hypot(xs, ys) * math.tan(math.radians(15)) * 4 < 0.85]


@pytest.mark.slow
def test_furnace_negligible_absorption_is_the_clear_stone_and_ruby_is_red():
    use_variant("llvm_ad_spectral")
    clear = _furnace(dispersive_dielectric_dict("diamond"))
    faint = _furnace(dispersive_dielectric_dict("diamond", absorption=1e-9, length_unit_m=1.0))
    # Same random numbers, same paths: only the exp(-σt) ~ 1 - 1e-9 factors differ.
    np.testing.assert_allclose(faint, clear, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(clear.mean(axis=0), 1.0, atol=0.03)
    # A ruby sphere (radius 1 mm in a mm scene) absorbs green and blue, not red.
    ruby = _furnace(M.gem_bsdf_dict("ruby", length_unit_m=1e-3)).mean(axis=0)
    assert ruby[0] < 0.95 and ruby[1] < 0.75 * ruby[0] and ruby[2] < 0.85 * ruby[0]
