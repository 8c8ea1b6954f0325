"""Tests of the dispersive dielectric BSDF and the hero_path integrator.

The Mitsuba variant is process-global: every test selects the one it needs
(through a fixture) and registers the plugins after it.
"""

from __future__ import annotations

import math
import time

import numpy as np
import pytest

mi = pytest.importorskip("mitsuba")
dr = pytest.importorskip("drjit")

from _mitsuba import use_variant  # noqa: E402
from jewelrender.bsdfs import (  # noqa: E402
    AIR_IOR,
    D_LINE_NM,
    SELLMEIER,
    dispersive_dielectric_dict,
    register,
    sellmeier_index,
    terminate_secondary,
)
from jewelrender.errors import BackendUnavailableError, InvalidOptionError  # noqa: E402

DIAMOND_B, DIAMOND_C = SELLMEIER["diamond"]


def n_diamond(lam_nm: float) -> float:
    return sellmeier_index(lam_nm, DIAMOND_B, DIAMOND_C)




@pytest.fixture
def scalar():
    use_variant("scalar_spectral")


@pytest.fixture
def llvm():
    use_variant("llvm_ad_spectral")


def _scalar_si(theta: float, wavelengths=(589.3, 486.1, 656.3, 550.0), inside: bool = False):
    """Scalar interaction with wi at polar angle theta (rad) in the x-z plane."""
    si = dr.zeros(mi.SurfaceInteraction3f)
    z = -math.cos(theta) if inside else math.cos(theta)
    si.wi = mi.Vector3f(math.sin(theta), 0.0, z)
    si.wavelengths = mi.Spectrum(*wavelengths)
    si.sh_frame = mi.Frame3f(mi.Vector3f(0, 0, 1))
    si.n = mi.Normal3f(0, 0, 1)
    return si


def _diamond(ext_ior: float = AIR_IOR):
    return mi.load_dict(dispersive_dielectric_dict("diamond", ext_ior=ext_ior))


# ---------------------------------------------------------------------------
# Dispersion laws and the scene-dict helper
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("name, n_d, n_f, n_c", [
    # n_D, n_F, n_C as computed in shared optics summary from refractiveindex.info
    ("diamond", 2.4173, 2.4355, 2.4099),
    ("cubic_zirconia", 2.1585, 2.1831, 2.1486),
    ("sapphire", 1.7681, 1.7755, 1.7649),
    ("spinel", 1.7161, 1.7244, 1.7126),
    ("fused_silica", 1.4584, 1.4631, 1.4564),
])
def test_presets_reproduce_published_indices(name, n_d, n_f, n_c):
    b, c = SELLMEIER[name]
    assert sellmeier_index(589.3, b, c) == pytest.approx(n_d, abs=1.5e-4)
    assert sellmeier_index(486.1, b, c) == pytest.approx(n_f, abs=1.5e-4)
    assert sellmeier_index(656.3, b, c) == pytest.approx(n_c, abs=1.5e-4)


def test_dict_helper_validates():
    d = dispersive_dielectric_dict("diamond")
    assert d["type"] == "dispersive_dielectric" and d["ext_ior"] == AIR_IOR
    assert [float(x) for x in d["sellmeier_b"].split()] == list(DIAMOND_B)
    assert dispersive_dielectric_dict(eta=1.5)["eta"] == 1.5
    assert dispersive_dielectric_dict(cauchy=(1.5, 0.004))["cauchy_b"] == 0.004
    with pytest.raises(InvalidOptionError):
        dispersive_dielectric_dict("unobtainium")
    with pytest.raises(InvalidOptionError):
        dispersive_dielectric_dict((1.0, 2.0), (0.01,))        # length mismatch
    with pytest.raises(InvalidOptionError):
        dispersive_dielectric_dict(eta=1.5, cauchy=(1.5, 0.0))  # two laws
    with pytest.raises(InvalidOptionError):
        dispersive_dielectric_dict((1.0,), (0.4,))              # resonance at 632 nm: C in µm²
    with pytest.raises(InvalidOptionError):
        dispersive_dielectric_dict(eta=2.0, ext_ior=0.5)


def test_register_per_variant_and_plugin_errors(scalar):
    register()  # idempotent
    b = _diamond()
    s = str(b)
    assert "DispersiveDielectric" in s and "2.4172" in s
    params = mi.traverse(b)
    assert params["ext_ior"] == pytest.approx(AIR_IOR)
    assert params["eta_d"] == pytest.approx(n_diamond(D_LINE_NM) / AIR_IOR)
    # Mitsuba wraps exceptions raised inside plugin constructors.
    with pytest.raises(RuntimeError, match="exactly one"):
        mi.load_dict({"type": "dispersive_dielectric", "eta": 1.5, "cauchy_a": 1.5, "cauchy_b": 0.0})
    with pytest.raises(RuntimeError, match="absorption"):
        mi.load_dict({"type": "dispersive_dielectric", "eta": 1.5, "absorption": 0.1})
    b_ = mi.load_dict({"type": "dispersive_dielectric", "sellmeier_b": "0.3306, 4.3356",
                       "sellmeier_c": mi.ScalarVector2f(0.030625, 0.011236)})
    assert "0.3306" in str(b_)
    flags = b.flags()
    for f in (mi.BSDFFlags.DeltaReflection, mi.BSDFFlags.DeltaTransmission,
              mi.BSDFFlags.FrontSide, mi.BSDFFlags.BackSide):
        assert mi.has_flag(flags, f)
    assert b.component_count() == 2
    mi.set_variant("scalar_rgb")
    register()
    assert "DispersiveDielectric" in str(_diamond())
    if "scalar_spectral_polarized" in mi.variants():
        mi.set_variant("scalar_spectral_polarized")
        with pytest.raises(BackendUnavailableError):
            register()


# ---------------------------------------------------------------------------
# Scalar BSDF behaviour
# ---------------------------------------------------------------------------

def test_normal_incidence_reflection_probability(scalar):
    b = _diamond(ext_ior=1.0)
    si = _scalar_si(0.0)
    ctx = mi.BSDFContext()
    m = 2000
    n_refl = 0
    for i in range(m):
        bs, w = b.sample(ctx, si, (i + 0.5) / m, mi.Point2f(0.5, 0.5), True)
        if mi.has_flag(bs.sampled_type, mi.BSDFFlags.DeltaReflection):
            n_refl += 1
            assert bs.wo[2] == pytest.approx(1.0)
    n = n_diamond(589.3)
    f_expected = ((n - 1) / (n + 1)) ** 2
    assert f_expected == pytest.approx(0.172, abs=1e-3)
    assert n_refl / m == pytest.approx(f_expected, abs=1.0 / m)
    # The reported pdf of the reflection lobe is the hero's Fresnel term.
    bs, _ = b.sample(ctx, si, 0.01, mi.Point2f(0.5, 0.5), True)
    assert bs.pdf == pytest.approx(f_expected, rel=1e-5)


def test_snell_law_per_hero_wavelength(scalar):
    b = _diamond()
    ctx = mi.BSDFContext()
    for inside, theta_i in ((False, math.radians(50.0)), (True, math.radians(20.0))):
        angles = []
        for lam in (486.1, 589.3, 656.3):
            si = _scalar_si(theta_i, (lam, 400.0, 500.0, 700.0), inside=inside)
            bs, w = b.sample(ctx, si, 0.9999, mi.Point2f(0.5, 0.5), True)
            assert mi.has_flag(bs.sampled_type, mi.BSDFFlags.DeltaTransmission)
            wo = np.array(bs.wo)
            assert np.linalg.norm(wo) == pytest.approx(1.0, abs=1e-6)
            assert abs(wo[1]) < 1e-7 and wo[0] < 0        # plane of incidence, other side
            assert (wo[2] > 0) == inside                      # crossed the interface
            n = n_diamond(lam)
            ratio = n / AIR_IOR if inside else AIR_IOR / n
            expected = math.asin(math.sin(theta_i) * ratio)
            got = math.acos(abs(float(wo[2])))
            assert got == pytest.approx(expected, abs=1e-4)
            assert bs.eta == pytest.approx(1.0 / ratio, rel=1e-5)
            angles.append(got)
        # Dispersion: blue bends most on the way in, and the directions differ.
        assert min(abs(angles[0] - angles[1]), abs(angles[1] - angles[2])) > 1e-3
        assert (angles[0] < angles[1] < angles[2]) != inside


def test_total_internal_reflection(scalar):
    b = _diamond()
    theta_c = math.asin(AIR_IOR / n_diamond(400.0))
    theta = math.radians(40.0)
    assert theta > theta_c
    si = _scalar_si(theta, inside=True)
    ctx = mi.BSDFContext()
    for u in np.linspace(0.0, 1.0, 41):
        bs, w = b.sample(ctx, si, float(u), mi.Point2f(0.5, 0.5), True)
        assert mi.has_flag(bs.sampled_type, mi.BSDFFlags.DeltaReflection)
        assert bs.pdf == pytest.approx(1.0)
        np.testing.assert_allclose(np.array(w), 1.0, atol=1e-6)
        np.testing.assert_allclose(np.array(bs.wo), [-math.sin(theta), 0.0, -math.cos(theta)], atol=1e-6)
    # A caller asking for transmission only gets nothing under TIR.
    ctx_t = mi.BSDFContext(mi.TransportMode.Radiance, mi.BSDFFlags.DeltaTransmission)
    _, w = b.sample(ctx_t, si, 0.5, mi.Point2f(0.5, 0.5), True)
    np.testing.assert_allclose(np.array(w), 0.0)


def test_refraction_keeps_only_hero_and_energy_balances(scalar):
    b = _diamond(ext_ior=1.0)
    theta = math.radians(35.0)
    si = _scalar_si(theta)
    lam = np.array(si.wavelengths)
    ctx_imp = mi.BSDFContext(mi.TransportMode.Importance)
    ctx_rad = mi.BSDFContext()
    m = 1000
    sums = {"imp": np.zeros(4), "rad": np.zeros(4)}
    for i in range(m):
        u = (i + 0.5) / m
        for key, ctx in (("imp", ctx_imp), ("rad", ctx_rad)):
            bs, w = b.sample(ctx, si, u, mi.Point2f(0.5, 0.5), True)
            w = np.array(w)
            if mi.has_flag(bs.sampled_type, mi.BSDFFlags.DeltaTransmission):
                assert w[0] > 0 and np.all(w[1:] == 0.0)
            sums[key] += w
    mean_imp, mean_rad = sums["imp"] / m, sums["rad"] / m
    # Hero: reflection + transmission weights average to 1 (no absorption).
    assert mean_imp[0] == pytest.approx(1.0, abs=2.0 / m)
    # Radiance carries the 1/η² solid-angle compression on the way in.
    f0, *_ = mi.fresnel(math.cos(theta), n_diamond(lam[0]))
    assert mean_rad[0] == pytest.approx(f0 + (1 - f0) / n_diamond(lam[0]) ** 2, abs=2.0 / m)
    # Other wavelengths: only their own reflectance survives (via F_k / F_0).
    for k in (1, 2, 3):
        fk, *_ = mi.fresnel(math.cos(theta), n_diamond(lam[k]))
        assert mean_imp[k] == pytest.approx(fk, rel=5e-3)


def test_constant_eta_and_rgb_match_stock_dielectric(scalar):
    """Non-dispersive cases must agree with Mitsuba's dielectric exactly."""
    rng = np.random.default_rng(1)

    def compare(ours, stock, wavelengths):
        for mode in (mi.TransportMode.Radiance, mi.TransportMode.Importance):
            for mask in (mi.BSDFFlags.All, mi.BSDFFlags.DeltaReflection, mi.BSDFFlags.DeltaTransmission):
                ctx = mi.BSDFContext(mode, mask)
                for _ in range(40):
                    v = rng.normal(size=3)
                    v /= np.linalg.norm(v)
                    si = dr.zeros(mi.SurfaceInteraction3f)
                    si.wi = mi.Vector3f(*v)
                    si.wavelengths = wavelengths
                    u = float(rng.random())
                    bs1, w1 = ours.sample(ctx, si, u, mi.Point2f(0.5, 0.5), True)
                    bs2, w2 = stock.sample(ctx, si, u, mi.Point2f(0.5, 0.5), True)
                    assert bs1.sampled_type == bs2.sampled_type
                    assert bs1.sampled_component == bs2.sampled_component
                    assert bs1.pdf == pytest.approx(bs2.pdf, rel=1e-5, abs=1e-7)
                    assert bs1.eta == pytest.approx(bs2.eta, rel=1e-5)
                    np.testing.assert_allclose(np.array(bs1.wo), np.array(bs2.wo), atol=1e-5)
                    np.testing.assert_allclose(np.array(w1), np.array(w2), rtol=1e-4, atol=1e-6)

    stock = mi.load_dict({"type": "dielectric", "int_ior": 1.7, "ext_ior": 1.2})
    ours = mi.load_dict(dispersive_dielectric_dict(eta=1.7, ext_ior=1.2))
    compare(ours, stock, mi.Spectrum(500.0, 420.0, 610.0, 700.0))

    # RGB variants freeze the index at the D line.
    mi.set_variant("scalar_rgb")
    register()
    n_d = n_diamond(D_LINE_NM)
    stock = mi.load_dict({"type": "dielectric", "int_ior": n_d, "ext_ior": AIR_IOR})
    compare(_diamond(), stock, dr.zeros(mi.SurfaceInteraction3f).wavelengths)


# ---------------------------------------------------------------------------
# Unbiasedness of the hero-wavelength estimator (vectorised, LLVM)
# ---------------------------------------------------------------------------

def test_spectral_estimator_is_unbiased(llvm):
    """E[film RGB of one interaction] equals the spectral integral.

    The sample goes through the real sensor wavelength sampling, the BSDF and
    :func:`terminate_secondary`, and is converted to RGB the way the film does
    (``spectrum_to_srgb``). The scene behind the interface is radiance A along
    the reflected and B along the refracted direction.
    """
    A, B = 0.3, 1.0
    theta = math.radians(50.0)
    m = 1 << 18
    sensor = mi.load_dict({"type": "perspective"})
    bsdf = _diamond()
    ctx = mi.BSDFContext(mi.TransportMode.Importance)

    sampler = mi.load_dict({"type": "independent"})
    sampler.seed(7, m)
    si = dr.zeros(mi.SurfaceInteraction3f, m)
    si.wi = mi.Vector3f(math.sin(theta), 0.0, math.cos(theta))
    wav, wav_weight = sensor.sample_wavelengths(si, sampler.next_1d())
    si.wavelengths = wav
    bs, w = bsdf.sample(ctx, si, sampler.next_1d(), sampler.next_2d(), True)
    is_t = mi.has_flag(bs.sampled_type, mi.BSDFFlags.DeltaTransmission)
    radiance = dr.select(is_t, B, A)
    w_ts, hero_only = terminate_secondary(w, bs.sampled_type, mi.Bool(False), True)
    rgb = np.array(mi.spectrum_to_srgb(wav_weight * w_ts * radiance, wav))   # (3, m)
    rgb_raw = np.array(mi.spectrum_to_srgb(wav_weight * w * radiance, wav))
    np.testing.assert_array_equal(np.array(hero_only), np.array(is_t))
    w_np = np.array(w)
    assert np.all(w_np[1:, np.array(is_t)] == 0.0)

    # Reference: quadrature of rgb(λ) · (A R(λ) + B T(λ)) over Mitsuba's range.
    lam = np.arange(360.0, 830.0, 0.25) + 0.125
    r_lam, *_ = mi.fresnel(mi.Float(math.cos(theta)), mi.Float(sellmeier_index(lam, DIAMOND_B, DIAMOND_C) / AIR_IOR))
    f = A * np.array(r_lam) + B * (1.0 - np.array(r_lam))
    lam_s = mi.UnpolarizedSpectrum(*(mi.Float(lam),) * 4)
    val_s = mi.UnpolarizedSpectrum(*(mi.Float(f * 0.25),) * 4)
    ref = np.array(mi.spectrum_to_srgb(val_s, lam_s)).sum(axis=1)

    mean = rgb.mean(axis=1)
    sem = rgb.std(axis=1) / math.sqrt(m)
    assert np.all(np.abs(mean - ref) < 4 * sem + 1e-3 * np.abs(ref)), (mean, ref, sem)
    # Without the once-per-path factor the refracted light is far too dark.
    assert np.all(rgb_raw.mean(axis=1) < 0.6 * ref)
    # A second dispersive refraction does not apply the factor again.
    w2, _ = terminate_secondary(w, bs.sampled_type, mi.Bool(True), True)
    np.testing.assert_array_equal(np.array(w2), w_np)


# ---------------------------------------------------------------------------
# Renders (LLVM)
# ---------------------------------------------------------------------------

def _furnace_scene(bsdf: dict, integrator: str = "hero_path", spp: int = 256):
    return mi.load_dict({
        "type": "scene",
        "integrator": {"type": integrator, "max_depth": 12},
        "sensor": {
            "type": "perspective", "fov": 30,
            "to_world": mi.ScalarTransform4f().look_at(origin=[0, 0, 4], target=[0, 0, 0], up=[0, 1, 0]),
            "film": {"type": "hdrfilm", "width": 32, "height": 32, "rfilter": {"type": "box"}},
            "sampler": {"type": "independent", "sample_count": spp},
        },
        "emitter": {"type": "constant", "radiance": 1.0},
        "gem": {"type": "sphere", "bsdf": bsdf},
    })


def _sphere_mask(size: int = 32) -> np.ndarray:
    # Unit sphere at distance 4 under a 30° field of view; keep well inside the rim.
    ys, xs = (np.mgrid[0:size, 0:size] + 0.5) / size * 2 - 1
    return np.hypot(xs, ys) * math.tan(math.radians(15)) * 4 < 0.85


@pytest.mark.slow
@pytest.mark.parametrize("preset", ["diamond", "cubic_zirconia"])
def test_white_furnace(llvm, preset):
    """A clear dispersive sphere in a uniform white environment renders white."""
    scene = _furnace_scene(dispersive_dielectric_dict(preset))
    t0 = time.perf_counter()
    img = np.array(mi.render(scene, seed=3))
    elapsed = time.perf_counter() - t0
    print(f"furnace {preset}: 32x32 @ 256 spp in {elapsed:.2f} s")
    inside = img[_sphere_mask()]
    mean = inside.mean(axis=0)
    np.testing.assert_allclose(mean, 1.0, atol=0.02)
    assert np.ptp(mean) < 0.02                         # no colour cast
    # Stock `path` cannot apply the once-per-path factor: refracted light is lost.
    img_stock = np.array(mi.render(_furnace_scene(dispersive_dielectric_dict(preset), "path", 32), seed=3))
    assert img_stock[_sphere_mask()].mean() < 0.8


@pytest.mark.slow
def test_hero_path_matches_path_without_dispersion(llvm):
    """On a scene with diffuse, emitter sampling and a stock glass sphere,
    ``hero_path`` is the same estimator as Mitsuba's ``path``."""
    images = []
    for integrator in ("path", "hero_path"):
        d = mi.cornell_box()
        d["integrator"] = {"type": integrator, "max_depth": 8}
        d["sensor"]["film"]["width"] = d["sensor"]["film"]["height"] = 24
        d["sensor"]["sampler"]["sample_count"] = 128
        d["glass"] = {"type": "sphere", "center": [0.3, -0.6, 0.2], "radius": 0.35,
                      "bsdf": {"type": "dielectric", "int_ior": 1.5}}
        d["env"] = {"type": "constant", "radiance": 0.2}
        images.append(np.array(mi.render(mi.load_dict(d), seed=11)))
    a, b = images
    np.testing.assert_allclose(a.mean(axis=(0, 1)), b.mean(axis=(0, 1)), rtol=0.01)
    blocks = lambda x: x.reshape(4, 6, 4, 6, 3).mean(axis=(1, 3))  # noqa: E731
    np.testing.assert_allclose(blocks(a), blocks(b), rtol=0.05, atol=0.005)
