"""Physics checks of the gem renderer (issue 4, "Prove it"): prism, furnace, brilliance, fire.

Every check uses the real renderer: Mitsuba's ``llvm_ad_spectral`` (or
``cuda_ad_spectral``) through :func:`jewelrender.backend.select`, the
``dispersive_dielectric`` BSDF with each gem's own dispersion law
(:func:`jewelrender.scene.stone_bsdf_dict`), the ``hero_path`` integrator and
round-brilliant meshes from :func:`jewelrender.geometry.assets.round_brilliant`.
Set-ups and measured numbers: ``docs/gems.md``.

Run::

    .venv/bin/python benchmarks/bench_gems.py [--only prism|furnace|brilliance|fire|tracer] [--spp N] [--res PX] [--json OUT.json]

The ``tracer`` part checks brilliance and fire with the independent numpy tracer
(``benchmarks/_gem_trace.py``).

Frames: the stone frame of :func:`round_brilliant` (axis +Y, table up, girdle
plane y = 0), which is also Mitsuba's envmap "up" (+Y), in millimetres.
Colours: linear sRGB as Mitsuba's spectral film writes it.
"""

from __future__ import annotations

import argparse
import itertools
import math
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


#: Mean girdle diameter of the benchmark stones, mm (a 1 ct Tolkowsky round).
DIAMETER_MM = 6.5
#: Viewer distance (eye or camera to the table), mm: a loupe-free look at 25 cm.
VIEW_DISTANCE_MM = 250.0
#: Linear-sRGB luminance weights (Rec. 709).
LUMA = np.array([0.2126, 0.7152, 0.0722])

#: Stones of the fire check, in the order their dispersion should give.
FIRE_STONES = ("moissanite", "cubic-zirconia", "diamond", "corundum", "control-2.417")


# ---------------------------------------------------------------------------
# Materials
# ---------------------------------------------------------------------------

def moissanite_sellmeier() -> tuple[list[float], list[float], float]:
    """Moissanite's formula rewritten exactly(ish) as a 3-term Sellmeier law.

    ``materials/gems/moissanite.toml`` uses refractiveindex.info formula 4,
    ``n² = C1 + C2 / (λ² - C4) + C10 λ²`` (its C3 = 0, C5 = 1, the second
    pole is empty), which the BSDF does not take. Algebraically
    ``C2 / (λ² - C4) = (C2/C4) λ² / (λ² - C4) - C2/C4``, a Sellmeier term plus
    a constant; the constant is a term with C = 0 (as
    :func:`jewelrender.scene.stone_bsdf_dict` does); and ``C10 λ²`` (C10 < 0,
    the infrared pole) is a Sellmeier term with a far resonance,
    ``B λ² / (λ² - C)`` with ``C = 10⁴ µm²`` and ``B = -C10 · C``, exact to
    ``(λ²/C)²`` (< 3e-5 relative in the visible).

    Returns
    -------
    (B, C, max_error)
        B and C (µm²) of the three terms, and the largest |n - n_file| over
        400-700 nm.
    """
    from jewelrender.library import materials
    from jewelrender.bsdfs import sellmeier_index

    g = materials.gem("moissanite")
    c = [float(x) for x in g.coefficients["C"]]
    if not (c[2] == 0 and c[4] == 1 and c[5] == 0 and c[10] == 2):
        raise ValueError("moissanite.toml no longer has the form this rewrite assumes")
    far = 1.0e4
    b = [c[1] / c[3], -c[9] * far, c[0] - 1.0 - c[1] / c[3]]
    cc = [c[3], far, 0.0]
    lam = np.linspace(400.0, 700.0, 301)
    err = float(np.max(np.abs(sellmeier_index(lam, b, cc) - g.n(lam))))
    return b, cc, err


def stone_bsdf(name: str) -> dict:
    """BSDF dict of a benchmark stone: a gem file's name, or ``"control-2.417"``."""
    from jewelrender.bsdfs import dispersive_dielectric_dict
    from jewelrender.scene import stone_bsdf_dict

    if name == "control-2.417":
        return dispersive_dielectric_dict(eta=2.417)
    if name == "moissanite":
        b, c, _ = moissanite_sellmeier()
        return dispersive_dielectric_dict(b, c)
    return stone_bsdf_dict(name)


def stone_index(name: str, wavelength_nm) -> np.ndarray:
    """n(λ) of a benchmark stone from the data files (independent of the BSDF code)."""
    from jewelrender.library import materials

    if name == "control-2.417":
        return np.full_like(np.asarray(wavelength_nm, dtype=float), 2.417)
    return materials.gem(name).n(wavelength_nm)


# ---------------------------------------------------------------------------
# Scenes
# ---------------------------------------------------------------------------

def _mitsuba():
    from jewelrender import backend

    backend.select()
    import mitsuba as mi

    return mi


def mesh_from_arrays(mi, name: str, vertices: np.ndarray, faces: np.ndarray, bsdf: dict):
    """A flat-shaded Mitsuba mesh (vertices (N, 3) mm, faces (M, 3) CCW from outside) with a BSDF."""
    props = mi.Properties()
    props["bsdf"] = mi.load_dict(bsdf)
    mesh = mi.Mesh(name, len(vertices), len(faces), props=props, has_vertex_normals=False)
    params = mi.traverse(mesh)
    params["vertex_positions"] = mi.Float(np.ascontiguousarray(vertices, np.float32).ravel())
    params["faces"] = mi.UInt32(np.ascontiguousarray(faces, np.uint32).ravel())
    params.update()
    return mesh


def brilliant(mi, bsdf: dict, pavilion_angle_deg: float = 40.75, diameter_mm: float = DIAMETER_MM):
    """(Mitsuba mesh, MeshPart) of a round brilliant (stone frame, mm), default Tolkowsky."""
    from jewelrender.geometry.assets import round_brilliant

    part = round_brilliant(diameter_mm=diameter_mm, pavilion_angle_deg=pavilion_angle_deg)
    return mesh_from_arrays(mi, "stone", part.vertices, part.faces, bsdf), part


def envmap_from(mi, radiance: np.ndarray) -> dict:
    """An ``envmap`` emitter from an equirectangular (H, W) or (H, W, 3) linear-sRGB array."""
    img = np.asarray(radiance, dtype=np.float32)
    if img.ndim == 2:
        img = np.repeat(img[..., None], 3, axis=2)
    return {"type": "envmap", "bitmap": mi.Bitmap(np.ascontiguousarray(img))}


def envmap_directions(height: int, width: int) -> np.ndarray:
    """World directions (H, W, 3) of the texel centres of Mitsuba's envmap (+Y up).

    Mitsuba's envmap maps a direction d to u = (1 + atan2(d.x, -d.z) / pi) / 2,
    v = acos(d.y) / pi.
    """
    v = (np.arange(height) + 0.5) / height
    u = (np.arange(width) + 0.5) / width
    theta = np.repeat(v[:, None] * math.pi, width, axis=1)
    phi = np.repeat(u[None, :] * 2 * math.pi - math.pi, height, axis=0)
    st = np.sin(theta)
    return np.stack([st * np.sin(phi), np.cos(theta), -st * np.cos(phi)], axis=-1)


def viewer_environment(disc_half_angle_deg: float, height: int = 1024,
                       min_elevation_deg: float = 0.0) -> np.ndarray:
    """ASET/ISEE-style viewer (H, 2H): white (1) upper hemisphere, black below the girdle
    plane, black disc of half-angle ``disc_half_angle_deg`` round +Y (the viewer's head).

    ``min_elevation_deg`` > 0 also blacks out the sky below that elevation (the
    ASET's low-angle "green" zone; 45 keeps only its "red" zone, 45-90 deg).
    """
    d = envmap_directions(height, 2 * height)
    up = d[..., 1]
    env = (up > math.sin(math.radians(min_elevation_deg))).astype(np.float32)
    env[up > math.cos(math.radians(disc_half_angle_deg))] = 0.0
    return env


def face_up_render(bsdf: dict, env: np.ndarray, *, pavilion_angle_deg: float = 40.75, res: int = 64,
                   spp: int = 64, seed: int = 0, max_depth: int = 64,
                   view_distance_mm: float = VIEW_DISTANCE_MM):
    """Render the stone face-up from :data:`VIEW_DISTANCE_MM` above its table.

    Returns
    -------
    image : ndarray (res, res, 3) float32, linear sRGB
    mask : ndarray (res, res) bool
        Pixels whose centre lies inside the girdle's mean circle (the stone's
        face-up outline; the same for every pavilion angle).
    """
    mi = _mitsuba()
    mesh, part = brilliant(mi, bsdf, pavilion_angle_deg)
    half = 0.5 * DIAMETER_MM * 1.02
    top = float(part.vertices[:, 1].max())
    # The field of view covers `half` at the girdle plane.
    fov = 2 * math.degrees(math.atan(half / (top + view_distance_mm)))
    scene = mi.load_dict({
        "type": "scene",
        "integrator": {"type": "hero_path", "max_depth": max_depth, "rr_depth": 16},
        "sensor": {
            "type": "perspective", "fov": fov, "fov_axis": "x",
            "to_world": mi.ScalarTransform4f().look_at(origin=[0, top + view_distance_mm, 0],
                                                      target=[0, 0, 0], up=[0, 0, -1]),
            "film": {"type": "hdrfilm", "width": res, "height": res, "rfilter": {"type": "box"},
                     "pixel_format": "rgb"},
            "sampler": {"type": "independent", "sample_count": spp},
        },
        "env": envmap_from(mi, env),
        "stone": mesh,
    })
    img = np.array(mi.render(scene, seed=seed), dtype=np.float32)[..., :3]
    c = (np.arange(res) + 0.5) / res * 2 - 1
    r = np.hypot(c[None, :], c[:, None]) * half
    return img, r < 0.5 * DIAMETER_MM


# ---------------------------------------------------------------------------
# The checks
# ---------------------------------------------------------------------------

def _snell(d: np.ndarray, n: np.ndarray, eta_ratio: float) -> np.ndarray:
    """Refract unit d at a surface with unit normal n facing the incoming side; eta = n_i / n_t."""
    cos_i = -float(d @ n)
    k = 1 - eta_ratio**2 * (1 - cos_i**2)
    if k < 0:
        raise ValueError("total internal reflection")
    return eta_ratio * d + (eta_ratio * cos_i - math.sqrt(k)) * n


def prism_mesh(apex_deg: float = 30.0, size_mm: float = 10.0):
    """A triangular prism (vertices (6, 3), faces (8, 3)): cross-section in the x-y plane,
    apex at +Y, extruded along z; faces wound outward."""
    h = size_mm
    half = h * math.tan(math.radians(apex_deg) / 2)
    tri = np.array([[0.0, h / 2], [-half, -h / 2], [half, -h / 2]])
    z = size_mm
    v = np.array([[x, y, -z] for x, y in tri] + [[x, y, z] for x, y in tri])
    f = np.array([[0, 2, 1], [3, 4, 5],
                  [0, 1, 4], [0, 4, 3], [1, 2, 5], [1, 5, 4], [2, 0, 3], [2, 3, 5]])
    # orient outward
    centre = v.mean(axis=0)
    for i, (a, b, c) in enumerate(f):
        nrm = np.cross(v[b] - v[a], v[c] - v[a])
        if nrm @ (v[[a, b, c]].mean(axis=0) - centre) < 0:
            f[i] = [a, c, b]
    return v, f


def prism_check(stone: str = "diamond", wavelengths=(486.1, 589.3, 656.3), apex_deg: float = 30.0,
                incidence_deg: float = 25.0) -> dict:
    """Trace one ray per wavelength through a prism with Mitsuba; compare with Snell's law.

    The ray enters the left face at ``incidence_deg`` in the prism's principal
    section. Mitsuba finds both hits (``scene.ray_intersect``) and the BSDF's
    ``sample`` (hero wavelength = the test wavelength; ``sample1`` near 1
    selects the transmitted lobe) gives both refracted directions. The
    reference refracts the same ray analytically with the vector form of
    Snell's law at n(λ) from the gem data file, with the face normals of the
    prism's geometry.

    Returns
    -------
    dict: per wavelength the index, Mitsuba's and Snell's exit directions and
    the angle between them (deg), plus the deviation angles (deg).
    """
    mi = _mitsuba()
    import drjit as dr

    from jewelrender.bsdfs import AIR_IOR

    v, f = prism_mesh(apex_deg)
    mesh = mesh_from_arrays(mi, "prism", v, f, stone_bsdf(stone))
    scene = mi.load_dict({"type": "scene", "prism": mesh})
    # Left face: through v0 (apex) and v1; its outward normal in the x-y plane.
    edge = v[1, :2] - v[0, :2]
    n_left = np.array([edge[1], -edge[0], 0.0])
    n_left /= np.linalg.norm(n_left)
    if n_left[0] > 0:
        n_left = -n_left
    edge_r = v[2, :2] - v[0, :2]
    n_right = np.array([-edge_r[1], edge_r[0], 0.0])
    n_right /= np.linalg.norm(n_right)
    if n_right[0] < 0:
        n_right = -n_right
    # Incoming direction at `incidence_deg` to the left face's inward normal, in the section plane.
    a = math.radians(incidence_deg)
    rot = np.array([[math.cos(a), -math.sin(a), 0], [math.sin(a), math.cos(a), 0], [0, 0, 1]])
    d0 = rot @ (-n_left)                               # tilted towards the base (minimum-deviation side)
    target = 0.5 * (v[0] + v[1])
    origin = target - 30.0 * d0
    ctx = mi.BSDFContext()
    out = {"stone": stone, "apex_deg": apex_deg, "incidence_deg": incidence_deg, "lines": []}
    for lam in wavelengths:
        ray = mi.Ray3f(mi.Point3f(*map(float, origin)), mi.Vector3f(*map(float, d0)))
        ray.wavelengths = mi.Spectrum(lam, lam, lam, lam)
        dirs = []
        for _ in range(2):
            si = scene.ray_intersect(ray)
            if not bool(dr.all(si.is_valid())):
                raise RuntimeError("prism ray missed the prism")
            si.wavelengths = mi.Spectrum(lam, lam, lam, lam)
            bsdf = si.bsdf(ray)
            bs, _ = bsdf.sample(ctx, si, 0.999999, mi.Point2f(0.5, 0.5), True)
            if not bool(dr.all(mi.has_flag(bs.sampled_type, mi.BSDFFlags.DeltaTransmission))):
                raise RuntimeError("no transmission sampled")
            wo = si.to_world(bs.wo)
            d = np.array([float(wo.x[0]), float(wo.y[0]), float(wo.z[0])])
            dirs.append(d / np.linalg.norm(d))
            ray = si.spawn_ray(wo)
            ray.wavelengths = mi.Spectrum(lam, lam, lam, lam)
        n = float(stone_index(stone, lam))
        d1 = _snell(d0, n_left, AIR_IOR / n)
        d2 = _snell(d1, -n_right, n / AIR_IOR)
        ang = lambda p, q: math.degrees(math.acos(min(1.0, float(p @ q))))
        out["lines"].append({
            "wavelength_nm": lam, "n": n,
            "inside_error_deg": ang(dirs[0], d1), "exit_error_deg": ang(dirs[1], d2),
            "deviation_deg_mitsuba": ang(d0, dirs[1]), "deviation_deg_snell": ang(d0, d2),
        })
    return out


def furnace_check(stone: str = "diamond", res: int = 32, spp: int = 256, seed: int = 1) -> dict:
    """A clear brilliant in a uniform environment of radiance 1: mean over the stone's pixels."""
    env = np.ones((16, 32), np.float32)
    img, mask = face_up_render(stone_bsdf(stone), env, res=res, spp=spp, seed=seed, max_depth=256)
    px = img[mask]
    return {"stone": stone, "mean_rgb": px.mean(axis=0).tolist(), "mean_luma": float((px @ LUMA).mean()),
            "pixels": int(mask.sum()), "res": res, "spp": spp}


def light_return(pavilion_angle_deg: float, disc_half_angle_deg: float = 20.0, stone: str = "diamond",
                 res: int = 64, spp: int = 64, seed: int = 2, min_elevation_deg: float = 0.0,
                 view_distance_mm: float = VIEW_DISTANCE_MM) -> float:
    """Face-up light return: mean luminance over the stone's outline / the hemisphere's radiance (1)."""
    env = viewer_environment(disc_half_angle_deg, min_elevation_deg=min_elevation_deg)
    img, mask = face_up_render(stone_bsdf(stone), env, pavilion_angle_deg=pavilion_angle_deg, res=res,
                               spp=spp, seed=seed, view_distance_mm=view_distance_mm)
    return float((img[mask] @ LUMA).mean())


#: Positions of the small source in the fire check: (polar from the table normal, azimuth) in
#: degrees. The brilliant has 8-fold mirror symmetry, so azimuths 0-22.5 deg cover all.
FIRE_LIGHTS = tuple((p, a) for p in (15.0, 30.0, 45.0) for a in (0.0, 7.5, 15.0, 22.5))


def spot_environment_at(polar_deg: float, azimuth_deg: float, radius_deg: float,
                        height: int = 1024) -> np.ndarray:
    """Black sky with one round white source (radiance 1, angular radius ``radius_deg``) at
    ``polar_deg`` from +Y, azimuth measured from +X towards +Z."""
    d = envmap_directions(height, 2 * height)
    p, a = math.radians(polar_deg), math.radians(azimuth_deg)
    axis = np.array([math.sin(p) * math.cos(a), math.cos(p), math.sin(p) * math.sin(a)])
    return (d @ axis > math.cos(math.radians(radius_deg))).astype(np.float32)


def fire_index(stone: str, res: int = 64, spp: int = 64, seed: int = 3, radius_deg: float = 3.0,
               lights=FIRE_LIGHTS) -> dict:
    """Chroma spread across the crown under one small source, pooled over source positions.

    For each source position two independent renders A, B (different seeds);
    per pixel inside the stone's outline the chroma vector c = rgb - Y (1, 1, 1)
    (linear sRGB, Y the Rec. 709 luma). Over all positions and pixels,

        fire = sqrt( Σ c_A · c_B / Σ Y_A Y_B ),

    the RMS colour-to-luminance ratio of the light the crown returns. Because
    A and B are independent, the colour noise of hero-wavelength sampling
    averages out of the product (a grey stone scores 0 in expectation, not a
    positive noise floor); the statistical error is estimated from the spread
    of the per-position terms (delta method on the two sums).
    """
    num_terms, den_terms, lumas = [], [], []
    for k, (polar, azim) in enumerate(lights):
        env = spot_environment_at(polar, azim, radius_deg)
        pair = []
        for s in (0, 1):
            img, mask = face_up_render(stone_bsdf(stone), env, res=res, spp=spp,
                                       seed=seed + 1000 * k + s)
            pair.append(img[mask].astype(np.float64))
        a, b = pair
        ya, yb = a @ LUMA, b @ LUMA
        ca, cb = a - ya[:, None], b - yb[:, None]
        num_terms.append(float(np.sum(ca * cb)))
        den_terms.append(float(np.sum(ya * yb)))
        lumas.append(float(0.5 * (ya.mean() + yb.mean())))
    num, den = np.array(num_terms), np.array(den_terms)
    ratio = num.sum() / den.sum()
    # Delta-method standard error of a ratio of sums over m independent positions.
    m = len(num)
    resid = num - ratio * den
    se_ratio = math.sqrt(m / max(m - 1, 1) * float(np.sum(resid**2))) / den.sum()
    fire = math.sqrt(max(ratio, 0.0))
    se_fire = se_ratio / (2 * fire) if fire > 0 else float("nan")
    return {"stone": stone, "fire": fire, "fire_se": se_fire, "chroma_power": float(ratio),
            "chroma_power_se": se_ratio, "mean_luma": float(np.mean(lumas)), "lights": len(lights),
            "res": res, "spp": spp, "radius_deg": radius_deg}


# ---------------------------------------------------------------------------
# Independent check: the numpy tracer (benchmarks/_gem_trace.py)
# ---------------------------------------------------------------------------

def _tracer():
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import _gem_trace

    return _gem_trace


def pavilion_facet_angles(pavilion_angle_deg: float = 40.75, **cut) -> dict:
    """Measured tilts (deg, to the girdle plane) of the brilliant's facets, by kind.

    Facets are merged from the mesh's triangles and classified by where they
    sit (table: tilt 0 on top; girdle: 90; crown / pavilion by the normal's
    sign and tilt), so a mislabelled or wrongly built angle shows up here.
    """
    from jewelrender.geometry.assets import round_brilliant

    gt = _tracer()
    part = round_brilliant(diameter_mm=DIAMETER_MM, pavilion_angle_deg=pavilion_angle_deg, **cut)
    fac = gt.facet_planes(part.vertices, part.faces)
    tilt = fac.tilt_deg()
    up = fac.normals[:, 1]
    out: dict[str, list[float]] = {"table": [], "crown": [], "girdle": [], "pavilion": []}
    for t, u in zip(tilt, up, strict=True):
        if t < 1e-6 and u > 0:
            out["table"].append(float(t))
        elif abs(t - 90) < 1e-6:
            out["girdle"].append(float(t))
        elif u > 0:
            out["crown"].append(float(t))
        else:
            out["pavilion"].append(float(t))
    out["facets"] = len(tilt)
    return out


def tracer_light_return(pavilion_angle_deg: float, disc_half_angle_deg: float = 20.0,
                        min_elevation_deg: float = 0.0, n_stone: float = 2.417,
                        view_distance_mm: float = VIEW_DISTANCE_MM, samples_across: int = 120) -> float:
    """Face-up light return from the numpy tracer, same environment and eye as :func:`light_return`."""
    from jewelrender.geometry.assets import round_brilliant

    gt = _tracer()
    part = round_brilliant(diameter_mm=DIAMETER_MM, pavilion_angle_deg=pavilion_angle_deg)
    env = gt.viewer_env(disc_half_angle_deg, min_elevation_deg)
    return gt.light_return(part.vertices, part.faces, diameter_mm=DIAMETER_MM, n_stone=n_stone,
                           environment=env, view_distance_mm=view_distance_mm,
                           samples_across=samples_across)["light_return"]


def angular_spectrum(pavilion_angle_deg: float, n_stone: float = 2.417, samples_across: int = 120,
                     view_distance_mm: float = VIEW_DISTANCE_MM):
    """Exit directions and weights of all light the face-up eye receives (tracer).

    Returns (directions (J, 3), weights (J,), rays): the light return of any
    direction-only environment ``env`` is ``sum(weights * env(directions)) / rays``.
    """
    from jewelrender.geometry.assets import round_brilliant

    gt = _tracer()
    part = round_brilliant(diameter_mm=DIAMETER_MM, pavilion_angle_deg=pavilion_angle_deg)
    fac = gt.facet_planes(part.vertices, part.faces)
    o, d = gt.face_up_rays(part.vertices, DIAMETER_MM, view_distance_mm, samples_across)
    res = gt.trace_face_up(fac, o, d, n_stone, lambda x: np.zeros(len(x)), record_exits=True)
    return (np.concatenate([e.direction for e in res.exits]),
            np.concatenate([e.weight for e in res.exits]), len(o))


def brilliance_sweep(discs=tuple(float(d) for d in range(41)), elevations=(0.0, 45.0),
                     pavilions=(38.0, 40.75, 43.0), samples_across: int = 120) -> dict:
    """Tracer light return for every (lit-from elevation, head disc, pavilion); one trace per stone."""
    gt = _tracer()
    spectra = {p: angular_spectrum(p, samples_across=samples_across) for p in pavilions}
    out = {}
    for el in elevations:
        for disc in discs:
            env = gt.viewer_env(float(disc), float(el))
            out[(float(el), float(disc))] = {p: float(np.sum(w * env(dd)) / n)
                                             for p, (dd, w, n) in spectra.items()}
    return out


#: Small-source fire set-up of the tracer: source radius (deg), source positions, seed.
FIRE_TRACER = {"radius_deg": 8.0, "sources": 120, "seed": 1, "samples_across": 50, "wavelengths": 15}


def fire_tracer(stones=FIRE_STONES, radius_deg: float = FIRE_TRACER["radius_deg"],
                sources: int = FIRE_TRACER["sources"], seed: int = FIRE_TRACER["seed"],
                samples_across: int = FIRE_TRACER["samples_across"],
                wavelengths: int = FIRE_TRACER["wavelengths"]) -> dict:
    """Fire of each stone from the numpy tracer (Tolkowsky cut, face-up eye at 250 mm).

    Two metrics:

    ``spread_deg``
        Angular dispersion of the light the crown returns: the weighted mean
        angle between the exit directions of the Fraunhofer G (430.8 nm) and
        B (686.7 nm) lines for the same eye ray and facet path (upward exits
        only). Deterministic; no light model.
    ``chroma``
        Σ|c| / ΣY over the eye rays and over ``sources`` positions of one
        white source of angular radius ``radius_deg`` (black sky), uniform in
        solid angle at 10-60° from the table normal; per position every eye
        ray's spectrum (``wavelengths`` samples, 400-700 nm) is turned into
        linear sRGB relative to the source's own colour, c = rgb - Y(1, 1, 1).
        ``chroma_se``: delta-method standard error over the positions.

    Returns
    -------
    dict: per stone the two metrics and ``terms`` (S, 4) per position
    (Σ|c|², ΣY², Σ|c|, ΣY) for paired comparisons.
    """
    from jewelrender.geometry.assets import round_brilliant

    gt = _tracer()
    part = round_brilliant(diameter_mm=DIAMETER_MM)
    fac = gt.facet_planes(part.vertices, part.faces)
    o, d = gt.face_up_rays(part.vertices, DIAMETER_MM, VIEW_DISTANCE_MM, samples_across)
    edges = np.linspace(400.0, 700.0, wavelengths + 1)
    lam = 0.5 * (edges[1:] + edges[:-1])
    src = gt.hemisphere_sources(sources, seed)
    out = {}
    for stone in stones:
        def law(wl, s=stone):
            return stone_index(s, wl)

        gb = gt.trace_spectral(fac, o, d, [430.8, 686.7], law)
        spread = gt.exit_spread(gb)
        tr = gt.trace_spectral(fac, o, d, lam, law)
        terms = gt.spot_chroma_terms(tr, src, radius_deg)
        chroma, se = gt.ratio_of_sums(terms[:, 2], terms[:, 3])
        disp = float(stone_index(stone, 430.8) - stone_index(stone, 686.7))
        out[stone] = {"n_G_minus_n_B": disp, "spread_deg": spread["mean_deg"], "chroma": chroma,
                      "chroma_se": se, "mean_luma": float(terms[:, 3].sum() / (len(src) * tr.rays)),
                      "terms": terms}
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--spp", type=int, default=64)
    ap.add_argument("--res", type=int, default=64)
    ap.add_argument("--only", choices=["prism", "furnace", "brilliance", "fire", "tracer"], action="append")
    ap.add_argument("--json", default=None)
    args = ap.parse_args(argv)
    todo = args.only or ["prism", "furnace", "brilliance", "fire", "tracer"]
    results: dict = {}
    if "prism" in todo:
        results["prism"] = []
        for stone in ("diamond", "corundum", "cubic-zirconia", "moissanite"):
            r = prism_check(stone)
            results["prism"].append(r)
            for line in r["lines"]:
                print(f"prism {stone:15s} {line['wavelength_nm']:6.1f} nm n={line['n']:.5f} "
                      f"deviation {line['deviation_deg_mitsuba']:.4f} deg (Snell {line['deviation_deg_snell']:.4f}) "
                      f"error {line['exit_error_deg']:.2e} deg")
        b, c, err = moissanite_sellmeier()
        print(f"moissanite as Sellmeier: B={b}, C={c}; max |dn| over 400-700 nm = {err:.2e}")
    if "furnace" in todo:
        t0 = time.perf_counter()
        results["furnace"] = r = furnace_check()
        print(f"furnace diamond brilliant: mean rgb {np.round(r['mean_rgb'], 4)}, luma {r['mean_luma']:.4f} "
              f"({time.perf_counter() - t0:.1f} s)")
    if "brilliance" in todo:
        results["brilliance"] = []
        # (lit from elevation, dark disc half-angle, viewer distance mm)
        setups = [(0.0, d, VIEW_DISTANCE_MM) for d in (0.0, 10.0, 15.0, 20.0, 25.0, 30.0)]
        setups += [(45.0, d, VIEW_DISTANCE_MM) for d in (10.0, 20.0)]
        setups += [(0.0, 20.0, 100.0)]
        for elev, disc, dist in setups:
            row = {"min_elevation_deg": elev, "disc_half_angle_deg": disc, "view_distance_mm": dist}
            t0 = time.perf_counter()
            for pav in (38.0, 40.75, 43.0):
                row[f"pavilion_{pav}"] = light_return(pav, disc, res=args.res, spp=args.spp,
                                                      min_elevation_deg=elev, view_distance_mm=dist)
            t, deep, shallow = row["pavilion_40.75"], row["pavilion_43.0"], row["pavilion_38.0"]
            row["tolkowsky_over_43"], row["tolkowsky_over_38"] = t / deep, t / shallow
            results["brilliance"].append(row)
            print(f"brilliance lit>{elev:4.1f} deg disc {disc:4.1f} deg view {dist:5.0f} mm: "
                  f"38 deg {shallow:.4f}  40.75 deg {t:.4f}  43 deg {deep:.4f}  "
                  f"T/43 {t / deep:.3f}  T/38 {t / shallow:.3f} ({time.perf_counter() - t0:.1f} s)")
    if "fire" in todo:
        results["fire"] = {}
        for stone in FIRE_STONES:
            t0 = time.perf_counter()
            r = fire_index(stone, res=args.res, spp=args.spp)
            results["fire"][stone] = r
            lam = np.array([430.8, 686.7])
            disp = float(np.diff(stone_index(stone, lam))[0]) * -1
            print(f"fire {stone:15s} n_G-n_B={disp:.4f}: fire {r['fire']:.4f} +- {r['fire_se']:.4f} "
                  f"(chroma power {r['chroma_power']:.5f} +- {r['chroma_power_se']:.5f}) luma {r['mean_luma']:.4f} "
                  f"({time.perf_counter() - t0:.1f} s)")
    if "tracer" in todo:
        results["tracer"] = tres = {}
        for pav in (38.0, 40.75, 43.0):
            a = pavilion_facet_angles(pav)
            tres[f"angles_{pav}"] = a
            print(f"mesh pavilion {pav}: {a['facets']} facets; crown tilts {sorted(set(np.round(a['crown'], 3)))}; "
                  f"pavilion tilts {sorted(set(np.round(a['pavilion'], 3)))}")
        t0 = time.perf_counter()
        sweep = brilliance_sweep()
        tres["brilliance"] = {f"{el}/{disc}": v for (el, disc), v in sweep.items()}
        for (el, disc), v in sweep.items():
            if disc % 2 == 0 or disc in (15.0, 25.0):
                print(f"tracer lit>{el:4.1f} disc {disc:4.1f}: 38 {v[38.0]:.4f} T {v[40.75]:.4f} 43 {v[43.0]:.4f} "
                      f"T/43 {v[40.75] / v[43.0]:.3f} T/38 {v[40.75] / v[38.0]:.3f}")
        for el in (0.0, 45.0):
            for lo, hi in ((10, 25), (15, 25), (5, 30)):
                m = {p: np.mean([sweep[(el, float(d))][p] for d in range(lo, hi + 1)]) for p in (38.0, 40.75, 43.0)}
                print(f"tracer lit>{el:4.1f} mean over disc {lo}-{hi}: T/43 {m[40.75] / m[43.0]:.3f} "
                      f"T/38 {m[40.75] / m[38.0]:.3f}")
        print(f"(brilliance sweep {time.perf_counter() - t0:.1f} s)")
        t0 = time.perf_counter()
        fire = fire_tracer()
        gt = _tracer()
        for stone, r in fire.items():
            print(f"tracer fire {stone:15s} n_G-n_B {r['n_G_minus_n_B']:.4f}: spread {r['spread_deg']:.4f} deg, "
                  f"chroma {r['chroma']:.4f} +- {r['chroma_se']:.4f} (luma {r['mean_luma']:.2e})")
        for a, b in itertools.pairwise(FIRE_STONES):
            ta, tb = fire[a]["terms"], fire[b]["terms"]
            dlt, se = gt.paired_ratio_difference(ta[:, 2], ta[:, 3], tb[:, 2], tb[:, 3])
            print(f"tracer fire chroma {a} - {b}: {dlt:.4f} +- {se:.4f} ({dlt / se if se else float('inf'):.1f} SE)")
        print(f"(fire tracer {time.perf_counter() - t0:.1f} s)")
        tres["fire"] = {k: {kk: vv for kk, vv in v.items() if kk != "terms"} for k, v in fire.items()}
    if args.json:
        import json

        Path(args.json).write_text(json.dumps(results, indent=2, default=float) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
