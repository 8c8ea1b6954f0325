"""Tests of participating media in ``hero_path`` and of the scattering-stone presets.

Real renders at tiny sizes (LLVM variants). References are analytic (white
furnace, Beer-Lambert), independent (Mitsuba's own ``volpath``; an environment
whose radiance is the expected spectrum) or the pre-media integrator itself
(frozen below) for the bit-identity of scenes without media.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

mi = pytest.importorskip("mitsuba")
dr = pytest.importorskip("drjit")

from _mitsuba import use_variant  # noqa: E402
from jewelrender.bsdfs import (
    _mis_weight,
    dispersive_dielectric_dict,
    terminate_secondary,
)
from jewelrender.errors import CatalogError, InvalidOptionError
from jewelrender.library.media import (
    UNIT_SCALE,
    list_medium_stones,
    load_media_file,
    medium_stone,
    medium_stone_data,
)

PRESETS = ["moonstone", "onyx", "opal", "pearl", "turquoise"]




@pytest.fixture
def llvm():
    use_variant("llvm_ad_spectral")


def _render(scene: dict, seed: int = 1) -> np.ndarray:
    return np.array(mi.render(mi.load_dict(scene), seed=seed), dtype=np.float64)


def _sphere_scene(stone: dict, *, emitter=None, integrator="hero_path", spp=64, size=32, max_depth=12):
    """Unit sphere at distance 4 under a 30° field of view."""
    return {
        "type": "scene",
        "integrator": {"type": integrator, "max_depth": max_depth},
        "sensor": {
            "type": "perspective", "fov": 30,
            "to_world": mi.ScalarTransform4f().look_at(origin=[0, 0, 4], target=[0, 0, 0], up=[0, 1, 0]),
            "film": {"type": "hdrfilm", "width": size, "height": size, "rfilter": {"type": "box"}},
            "sampler": {"type": "independent", "sample_count": spp},
        },
        "emitter": emitter or {"type": "constant", "radiance": 1.0},
        "stone": {"type": "sphere", **stone},
    }


def _mask(size: int = 32, frac: float = 0.85) -> np.ndarray:
    ys, xs = (np.mgrid[0:size, 0:size] + 0.5) / size * 2 - 1
    return np.hypot(xs, ys) * math.tan(math.radians(15)) * 4 < frac


def _medium(albedo, sigma_t, g=0.0) -> dict:
    return {"type": "homogeneous", "albedo": albedo, "sigma_t": sigma_t, "phase": {"type": "hg", "g": g}}


# ---------------------------------------------------------------------------
# Energy: white furnace with scattering
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("variant", ["llvm_ad_spectral", "llvm_ad_rgb"])
@pytest.mark.parametrize("ior, g", [(1.0, 0.0), (1.5, 0.7)])
def test_white_furnace_with_scattering(variant, ior, g):
    """A non-absorbing medium returns the uniform environment's radiance.

    Index-matched (ior 1) and a glass boundary with forward scattering; with
    albedo 1 every path eventually leaves, so the sphere vanishes into the
    background (2 % tolerance, no colour cast).
    """
    use_variant(variant)
    stone = {"bsdf": {"type": "dielectric", "int_ior": ior, "ext_ior": 1.0},
             "interior": _medium(1.0, 2.0, g)}
    img = _render(_sphere_scene(stone, spp=64, max_depth=64))
    mean = img[_mask()].mean(axis=0)
    np.testing.assert_allclose(mean, 1.0, atol=0.02)
    assert np.ptp(mean) < 0.02


def test_absorbing_medium_is_darker_and_matches_volpath(llvm):
    """Albedo 0.5 darkens the sphere; Mitsuba's volpath (an independent estimator) agrees."""
    stone = {"bsdf": {"type": "dielectric", "int_ior": 1.5},
             "interior": _medium({"type": "rgb", "value": [0.9, 0.5, 0.2]}, 2.0, 0.3)}
    ours = _render(_sphere_scene(stone, spp=256))
    # volpath counts medium events in max_depth: give it room to finish every walk.
    ref = _render(_sphere_scene(stone, integrator="volpath", spp=256, max_depth=500), seed=2)
    white = _render(_sphere_scene({"bsdf": {"type": "dielectric", "int_ior": 1.5},
                                   "interior": _medium(1.0, 2.0, 0.3)}, spp=64))
    m = _mask()
    assert np.all(ours[m].mean(axis=0) < 0.85 * white[m].mean(axis=0))
    # Colour follows the albedo: red survives best, blue worst.
    r, g, b = ours[m].mean(axis=0)
    assert r > g > b
    np.testing.assert_allclose(ours[m].mean(axis=0), ref[m].mean(axis=0), rtol=0.03)
    blocks = lambda x: x.reshape(4, 8, 4, 8, 3).mean(axis=(1, 3))
    np.testing.assert_allclose(blocks(ours), blocks(ref), rtol=0.1, atol=0.01)


# ---------------------------------------------------------------------------
# Transmittance of a slab (Beer-Lambert)
# ---------------------------------------------------------------------------

def _slab_scene(medium: dict | None, emitter: dict, thickness: float, spp: int = 64) -> dict:
    """Orthographic view through a 2 x 2 x thickness box (index-matched boundary)."""
    scene = {
        "type": "scene",
        "integrator": {"type": "hero_path", "max_depth": 8},
        "sensor": {
            "type": "orthographic",
            "to_world": mi.ScalarTransform4f().look_at(origin=[0, 0, 5], target=[0, 0, 0], up=[0, 1, 0])
            @ mi.ScalarTransform4f().scale([0.5, 0.5, 1]),
            "film": {"type": "hdrfilm", "width": 16, "height": 16, "rfilter": {"type": "box"}},
            "sampler": {"type": "independent", "sample_count": spp},
        },
        "emitter": emitter,
    }
    if medium is not None:
        scene["slab"] = {"type": "cube", "to_world": mi.ScalarTransform4f().scale([1, 1, thickness / 2]),
                         "bsdf": {"type": "dielectric", "int_ior": 1.0, "ext_ior": 1.0}, "interior": medium}
    return scene


def test_slab_transmittance_beer_lambert(llvm):
    """Unscattered light through a purely absorbing slab: exp(-sigma_t d).

    Grey extinction: every channel exactly exp(-sigma_t d) (binomial noise
    only). Wavelength-dependent extinction: the same as a view of an
    environment whose radiance *is* exp(-sigma_t(λ) d) (times D65), which checks the
    spectral MIS weights of the free-flight sampling against the sensor's
    own spectral integration.
    """
    d, sigma = 0.4, 1.7
    img = _render(_slab_scene(_medium(0.0, sigma), {"type": "constant", "radiance": 1.0}, d, spp=128))
    expected = math.exp(-sigma * d)
    assert expected == pytest.approx(0.5066, abs=1e-4)
    n = 16 * 16 * 128
    tol = 5 * math.sqrt(expected * (1 - expected) / n)
    np.testing.assert_allclose(img.mean(axis=(0, 1)), expected, atol=tol)

    lam = np.arange(360.0, 831.0, 10.0)
    sig_lam = 0.3 + 4.0 * np.exp(-(((lam - 620.0) / 60.0) ** 2))     # absorbs red
    spec = lambda v: {"type": "spectrum", "value": [(float(a), float(b)) for a, b in zip(lam, v)]}
    ours = _render(_slab_scene(_medium(0.0, spec(sig_lam)), {"type": "constant", "radiance": 1.0}, d, spp=256))
    # A float radiance is a D65 illuminant in spectral variants: the reference
    # environment is D65(λ) · exp(-sigma_t(λ) d).
    d65 = np.array(mi.cie_d65(mi.Float(lam)))
    ref = _render(_slab_scene(None, {"type": "constant", "radiance": spec(d65 * np.exp(-sig_lam * d))}, d,
                              spp=256), seed=5)
    mo, mr = ours.mean(axis=(0, 1)), ref.mean(axis=(0, 1))
    assert mr[0] < 0.6 * mr[2]                                   # the reference is strongly coloured
    np.testing.assert_allclose(mo, mr, rtol=0.02, atol=0.003)


# ---------------------------------------------------------------------------
# Scenes without media are unchanged
# ---------------------------------------------------------------------------

def _pre_media_class():
    """``hero_path`` as it was before media (frozen copy of its ``sample``)."""

    class PreMediaHeroPath(mi.SamplingIntegrator):
        def __init__(self, props):
            mi.SamplingIntegrator.__init__(self, props)
            self.max_depth = int(props.get("max_depth", 12))
            self.rr_depth = int(props.get("rr_depth", 5))
            self.hide_emitters = bool(props.get("hide_emitters", False))

        @dr.syntax
        def sample(self, scene, sampler, ray, medium=None, active=True):
            import drjit as dr
            import mitsuba as mi

            mis_weight = _mis_weight
            ctx = mi.BSDFContext()
            ray = mi.Ray3f(ray)
            L = mi.Spectrum(0.0)
            beta = mi.Spectrum(1.0)
            eta = mi.Float(1.0)
            depth = mi.UInt32(0)
            hero_only = mi.Bool(False)
            active = mi.Bool(active) & (self.max_depth > 0)
            valid_ray = mi.Bool((not self.hide_emitters) and self.max_depth > 0
                               and scene.environment() is not None)
            prev_si = dr.zeros(mi.SurfaceInteraction3f)
            prev_pdf = mi.Float(1.0)
            prev_delta = mi.Bool(True)
            while dr.hint(active, label="pre_media"):
                si = scene.ray_intersect(ray, ray_flags=mi.RayFlags.All, coherent=(depth == 0), active=active)
                ds = mi.DirectionSample3f(scene, si=si, ref=prev_si)
                em_pdf = scene.pdf_emitter_direction(prev_si, ds, active & ~prev_delta)
                mis = dr.select(prev_delta, 1.0, mis_weight(prev_pdf, em_pdf))
                show = active
                if dr.hint(self.hide_emitters, mode="scalar"):
                    show = active & (depth > 0)
                L += dr.select(show, beta * mis * ds.emitter.eval(si, show), 0.0)
                active_next = active & si.is_valid() & (depth + 1 < self.max_depth)
                bsdf = si.bsdf(ray)
                active_em = active_next & mi.has_flag(bsdf.flags(), mi.BSDFFlags.Smooth)
                ds_em, em_weight = scene.sample_emitter_direction(si, sampler.next_2d(), True, active_em)
                active_em &= ds_em.pdf != 0.0
                wo = si.to_local(ds_em.d)
                bsdf_val, bsdf_pdf = bsdf.eval_pdf(ctx, si, wo, active_em)
                mis_em = dr.select(ds_em.delta, 1.0, mis_weight(ds_em.pdf, bsdf_pdf))
                L += dr.select(active_em, beta * mis_em * bsdf_val * em_weight, 0.0)
                bs, w = bsdf.sample(ctx, si, sampler.next_1d(), sampler.next_2d(), active_next)
                if dr.hint(bool(mi.is_spectral), mode="scalar"):
                    w, hero_only = terminate_secondary(w, bs.sampled_type, hero_only, active_next)
                beta *= w
                eta *= bs.eta
                valid_ray |= active & si.is_valid()
                prev_si = dr.detach(si, True)
                prev_pdf = bs.pdf
                prev_delta = mi.has_flag(bs.sampled_type, mi.BSDFFlags.Delta)
                ray = si.spawn_ray(si.to_world(bs.wo))
                beta_max = dr.max(mi.unpolarized_spectrum(beta))
                active_next &= beta_max != 0.0
                rr_prob = dr.minimum(beta_max * eta * eta, 0.95)
                rr_active = depth >= self.rr_depth
                beta[rr_active] *= dr.rcp(rr_prob)
                active_next &= ~rr_active | (sampler.next_1d() < rr_prob)
                depth[active] += 1
                active = active_next
            return L, valid_ray, []

        def aov_names(self):
            return []

    return PreMediaHeroPath


@pytest.mark.parametrize("variant", ["llvm_ad_spectral", "llvm_ad_rgb"])
@pytest.mark.parametrize("hide", [False, True])
def test_scenes_without_media_render_bit_identically(variant, hide):
    """Media support changes no pixel of a scene without media (same seed).

    Diffuse walls with emitter sampling, a dispersive diamond (the x4 hero
    weighting), a stock glass sphere and a rough gold sphere, under an area
    light and an environment.
    """
    use_variant(variant)
    cls = _pre_media_class()
    mi.register_integrator("hero_path_pre_media", lambda props: cls(props))

    def render(integrator):
        d = mi.cornell_box()
        d["integrator"] = {"type": integrator, "max_depth": 10, "hide_emitters": hide}
        # One sample per pixel and a box filter: no two samples add into the same
        # pixel, so the film's (threaded) accumulation cannot reorder float sums.
        d["sensor"]["film"]["width"] = d["sensor"]["film"]["height"] = 64
        d["sensor"]["film"]["rfilter"] = {"type": "box"}
        d["sensor"]["sampler"]["sample_count"] = 1
        d["gem"] = {"type": "sphere", "center": [0.3, -0.6, 0.2], "radius": 0.35,
                    "bsdf": dispersive_dielectric_dict("diamond")}
        d["glass"] = {"type": "sphere", "center": [-0.4, -0.5, -0.2], "radius": 0.3,
                      "bsdf": {"type": "dielectric", "int_ior": 1.5}}
        d["metal"] = {"type": "sphere", "center": [-0.3, 0.4, 0.0], "radius": 0.25,
                      "bsdf": {"type": "roughconductor", "material": "Au", "alpha": 0.1}}
        d["env"] = {"type": "constant", "radiance": 0.2}
        scene = mi.load_dict(d)
        return np.stack([np.array(mi.render(scene, seed=s)) for s in range(4)])

    a, b = render("hero_path_pre_media"), render("hero_path")
    assert a.mean() > 0.05                      # a real image, not an empty one
    np.testing.assert_array_equal(a, b)


# ---------------------------------------------------------------------------
# What hero_path refuses
# ---------------------------------------------------------------------------

def _causes(exc: BaseException) -> str:
    text = []
    while exc is not None:
        text.append(f"{type(exc).__name__}: {exc}")
        exc = exc.__cause__ or exc.__context__
    return " | ".join(text)


def test_rejects_null_boundaries_and_bad_options(llvm):
    stone = {"bsdf": {"type": "null"}, "interior": _medium(0.9, 1.0)}
    with pytest.raises(RuntimeError) as info:
        _render(_sphere_scene(stone, spp=1, size=4))
    assert "null" in _causes(info.value)
    with pytest.raises(RuntimeError, match="max_medium_depth"):
        mi.load_dict({"type": "hero_path", "max_medium_depth": -5})


# ---------------------------------------------------------------------------
# Presets
# ---------------------------------------------------------------------------

def test_preset_data_and_units():
    assert list_medium_stones() == PRESETS
    lam = np.arange(360.0, 831.0, 5.0)
    for name in PRESETS:
        s = medium_stone_data(name)
        assert 1.4 < s.ior < 1.7 and s.ior_source and s.medium_source
        assert np.all(s.sigma_t(lam) > 0) and np.all((s.albedo(lam) >= 0) & (s.albedo(lam) <= 1))
        mm, m = medium_stone(name, unit="mm"), medium_stone(name, unit="m")
        assert mm["interior"]["scale"] == 1.0 and m["interior"]["scale"] == UNIT_SCALE["m"] == 1000.0
        assert mm["bsdf"]["int_ior"] == s.ior
        wl = [p[0] for p in mm["interior"]["sigma_t"]["value"]]
        assert wl[0] <= 360.0 and wl[-1] >= 830.0 and wl == sorted(wl)
        np.testing.assert_allclose([p[1] for p in mm["interior"]["albedo"]["value"]], s.albedo(wl), rtol=1e-12)
    # Moonstone's blue sheen and opal's milkiness: scattering falls with wavelength.
    for name in ("moonstone", "opal"):
        s = medium_stone_data(name)
        assert s.sigma_s(450.0) > 1.5 * s.sigma_s(650.0)
    assert medium_stone_data("onyx").albedo(550.0) < 0.01
    assert medium_stone_data("Pearl").name == "pearl"
    with pytest.raises(CatalogError) as info:
        medium_stone("amber")
    assert info.value.details["valid"] == PRESETS
    with pytest.raises(InvalidOptionError):
        medium_stone("pearl", unit="cm")


@pytest.mark.parametrize("text, problem", [
    ("[x]\nlabel='x'\n", "lacks"),
    (("[x]\nlabel='x'\nior=1.5\nior_source='s'\ng=0.0\nsigma_s=1.0\nwavelength_nm=[400.0, 830.0]\n"
     "sigma_a=[0.1, 0.1]\nmedium_source='m'\n"), "span"),
    (("[x]\nlabel='x'\nior=1.5\nior_source='s'\ng=1.0\nsigma_s=1.0\nwavelength_nm=[360.0, 830.0]\n"
     "sigma_a=[0.1, 0.1]\nmedium_source='m'\n"), "g = 1.0"),
    (("[x]\nlabel='x'\nior=1.5\nior_source='s'\ng=0.0\nsigma_s=0.0\nwavelength_nm=[360.0, 830.0]\n"
     "sigma_a=[0.0, 0.0]\nmedium_source='m'\n"), "> 0"),
    (("[x]\nlabel='x'\nior=1.5\nior_source='s'\ng=0.0\nsigma_s=1.0\nwavelength_nm=[360.0, 830.0]\n"
     "sigma_a=[0.1, 0.1]\nmedium_source='m'\ncolour='red'\n"), "unknown key"),
    ("[x\n", "TOML"),
])
def test_malformed_media_file(tmp_path, text, problem):
    path = tmp_path / "media.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(CatalogError, match=problem):
        load_media_file(path)


def test_presets_render_in_metres(llvm):
    """Every preset renders finite in a try-on-sized scene (metres), with its character.

    A 4 mm radius sphere seen from 6 cm under a uniform white environment:
    turquoise is blue-green, onyx nearly black (its surface reflection only),
    pearl bright and cream (red >= blue), opal and moonstone bright.
    """
    means = {}
    for name in PRESETS:
        scene = {
            "type": "scene",
            "integrator": {"type": "hero_path", "max_depth": 12},
            "sensor": {
                "type": "perspective", "fov": 8,
                "to_world": mi.ScalarTransform4f().look_at(origin=[0, 0, 0.06], target=[0, 0, 0], up=[0, 1, 0]),
                "film": {"type": "hdrfilm", "width": 16, "height": 16, "rfilter": {"type": "box"}},
                "sampler": {"type": "independent", "sample_count": 32},
            },
            "emitter": {"type": "constant", "radiance": 1.0},
            "stone": {"type": "sphere", "radius": 0.004, **medium_stone(name, unit="m")},
        }
        img = _render(scene)
        assert np.all(np.isfinite(img)), name
        # The sphere's silhouette has radius 0.004 / (0.06 tan 4°) = 0.95 of the half-frame.
        ys, xs = (np.mgrid[0:16, 0:16] + 0.5) / 16 * 2 - 1
        means[name] = img[np.hypot(xs, ys) < 0.75].mean(axis=0)
    r, g, b = means["turquoise"]
    assert g > r and b > r
    assert means["onyx"].max() < 0.15
    assert means["pearl"].mean() > 0.5 and means["pearl"][0] >= means["pearl"][2]
    for name in ("opal", "moonstone"):
        assert means[name].mean() > 0.5
