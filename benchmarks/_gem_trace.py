"""An independent single-wavelength ray tracer for convex faceted stones (numpy only).

Used by ``benchmarks/bench_gems.py`` and ``tests/test_gem_physics.py`` to check
the Mitsuba renders of the round brilliant (issue 4's brilliance and fire
checks) with code that shares nothing with the renderer except the mesh.

Why it can be deterministic: a faceted brilliant is a *convex* polyhedron
(checked by :func:`facet_planes`). Light that leaves a convex solid can never
hit it again, and light reflected off its outside never enters. So a ray from
the eye splits at each interface into one part that leaves for the
environment for good and one part that stays inside; following the staying
part with its Fresnel weight gives the *expected* radiance of the ray exactly
(one path, no tree, no sampling noise), until the remaining weight falls
below ``tol``.

Frames and units: the stone frame of :func:`jewelrender.geometry.assets.round_brilliant`
(axis +Y, table up, girdle mid-plane y = 0), millimetres; directions are unit
3-vectors in that frame. The environment is a function of direction only (at
infinity), as Mitsuba's ``envmap``.

Physics: unpolarised Fresnel reflectance (mean of the s and p intensities),
Snell refraction, total internal reflection, no absorption. Radiance inside
the stone is n² times the outside radiance, and the factor cancels for every
path that enters and leaves, so it is left out.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

#: Index of the surrounding air (Mitsuba's ``dielectric`` default, as the BSDF uses).
AIR_IOR = 1.000277

Environment = Callable[[np.ndarray], np.ndarray]

_HASH_MOD = (1 << 31) - 1  # path * 131 stays far inside int64


# ---------------------------------------------------------------------------
# Geometry
# ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Facets:
    """The planes of a convex polyhedron: ``normals · x <= offsets`` inside.

    Attributes
    ----------
    normals : ndarray (F, 3)
        Unit outward normals, stone frame.
    offsets : ndarray (F,)
        Plane offsets, mm.
    centroids : ndarray (F, 3)
        Mean of each facet's triangle centroids (area-weighted), mm.
    areas : ndarray (F,)
        Facet areas, mm².
    """

    normals: np.ndarray
    offsets: np.ndarray
    centroids: np.ndarray
    areas: np.ndarray

    def tilt_deg(self) -> np.ndarray:
        """Angle (deg) of each facet to the girdle plane (0 = table or culet, 90 = girdle band)."""
        return np.degrees(np.arccos(np.clip(np.abs(self.normals[:, 1]), 0.0, 1.0)))


def facet_planes(vertices: np.ndarray, faces: np.ndarray, *, tol: float = 1e-6) -> Facets:
    """Merge a closed triangle mesh's coplanar triangles into facets and check convexity.

    Parameters
    ----------
    vertices : ndarray (V, 3)
        mm, stone frame.
    faces : ndarray (M, 3)
        Triangles wound counter-clockwise seen from outside.
    tol : float
        Relative tolerance (of the stone's size) for coplanarity and convexity.

    Returns
    -------
    Facets

    Raises
    ------
    ValueError
        If the solid is not convex (a vertex lies outside a facet's plane),
        since the tracer's one-path argument needs convexity.
    """
    v = np.asarray(vertices, dtype=np.float64)
    f = np.asarray(faces, dtype=np.int64)
    size = float(np.ptp(v, axis=0).max())
    a, b, c = v[f[:, 0]], v[f[:, 1]], v[f[:, 2]]
    cr = np.cross(b - a, c - a)
    area2 = np.linalg.norm(cr, axis=1)
    keep = area2 > (tol * size) ** 2
    n = cr[keep] / area2[keep, None]
    d = np.einsum("ij,ij->i", n, a[keep])
    cen = (a + b + c)[keep] / 3.0
    ar = 0.5 * area2[keep]
    groups: list[list[int]] = []
    for i in range(len(n)):
        for g in groups:
            j = g[0]
            if np.dot(n[i], n[j]) > 1 - 1e-9 and abs(d[i] - d[j]) < tol * size:
                g.append(i)
                break
        else:
            groups.append([i])
    normals = np.array([n[g].mean(axis=0) for g in groups])
    normals /= np.linalg.norm(normals, axis=1, keepdims=True)
    offsets = np.array([np.average(d[g], weights=ar[g]) for g in groups])
    areas = np.array([ar[g].sum() for g in groups])
    centroids = np.array([np.average(cen[g], axis=0, weights=ar[g]) for g in groups])
    outside = v @ normals.T - offsets[None, :]
    if outside.max() > 10 * tol * size:
        raise ValueError(f"mesh is not convex (a vertex lies {outside.max():.3g} mm outside a facet)")
    return Facets(normals, offsets, centroids, areas)


# ---------------------------------------------------------------------------
# Optics
# ---------------------------------------------------------------------------

def fresnel_unpolarised(cos_i: np.ndarray, eta: float | np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Unpolarised Fresnel reflectance and cos of the refraction angle.

    Parameters
    ----------
    cos_i : ndarray
        |cos| of the incidence angle (>= 0).
    eta : float or ndarray
        n_incident / n_transmitted.

    Returns
    -------
    (R, cos_t) : ndarrays; R = 1 and cos_t = 0 under total internal reflection.
    """
    sin2_t = eta**2 * (1.0 - cos_i**2)
    tir = sin2_t >= 1.0
    cos_t = np.sqrt(np.clip(1.0 - sin2_t, 0.0, 1.0))
    rs = (eta * cos_i - cos_t) / (eta * cos_i + cos_t)
    rp = (cos_i - eta * cos_t) / (cos_i + eta * cos_t)
    r = np.where(tir, 1.0, 0.5 * (rs**2 + rp**2))
    return r, np.where(tir, 0.0, cos_t)


def _refract(d: np.ndarray, n: np.ndarray, cos_i: np.ndarray, cos_t: np.ndarray, eta) -> np.ndarray:
    """Refract unit directions d (K, 3) through unit normals n (K, 3) facing the incoming side
    (d·n = -cos_i < 0); eta = n_i / n_t (scalar or (K,))."""
    eta = np.broadcast_to(np.asarray(eta, dtype=np.float64), cos_i.shape)
    return eta[:, None] * d + (eta * cos_i - cos_t)[:, None] * n


# ---------------------------------------------------------------------------
# Tracing
# ---------------------------------------------------------------------------

@dataclass
class ExitEvents:
    """Light leaving the stone at one bounce (bounce 0 = the external reflection).

    Attributes
    ----------
    ray : ndarray (J,) int
        Index of the eye ray the events belong to.
    direction : ndarray (J, 3)
        Direction towards the environment the light comes from (stone frame).
    weight : ndarray (J,)
        Fraction of the eye ray's importance that leaves here.
    bounce : int
        Number of internal reflections before this exit (0 also for the
        external reflection; ``path`` tells them apart).
    path : ndarray (J,) int64
        Hash of the sequence of facets the ray has met, exit facet included,
        so that two wavelengths' events can be paired only when their light
        took the same facet path.
    """

    ray: np.ndarray
    direction: np.ndarray
    weight: np.ndarray
    bounce: int
    path: np.ndarray


@dataclass
class TraceResult:
    """Per-ray outcome of :func:`trace_face_up`.

    Attributes
    ----------
    radiance : ndarray (K,)
        Expected radiance along each eye ray (environment radiance units).
    hit : ndarray (K,) bool
        Whether the eye ray hit the stone (others see the environment directly).
    lost : ndarray (K,)
        Weight still inside when tracing stopped (an upper bound on the error).
    exits : list of ExitEvents, or None
        Every exit event (one entry per bounce) when ``record_exits`` was set.
    """

    radiance: np.ndarray
    hit: np.ndarray
    lost: np.ndarray
    exits: list | None = None


def trace_face_up(facets: Facets, origins: np.ndarray, directions: np.ndarray, n_stone,
                  environment: Environment, *, tol: float = 1e-5, max_bounces: int = 400,
                  n_outside: float = AIR_IOR, record_exits: bool = False) -> TraceResult:
    """Trace eye rays into a convex stone and return their expected radiance.

    Parameters
    ----------
    facets : Facets
        From :func:`facet_planes`.
    origins, directions : ndarray (K, 3)
        Eye rays (mm; unit directions), stone frame, starting outside the stone.
    n_stone : float or ndarray (K,)
        Absolute index of the stone for each ray (one wavelength per ray).
    environment : callable
        ``environment(dirs (J, 3)) -> radiance (J,)``; dirs are the directions
        *towards* the environment (where the light comes from).
    tol : float
        Stop following a ray once the weight left inside is below this.
    max_bounces : int
        Hard cap on internal reflections.
    n_outside : float
        Index of the surrounding medium.
    record_exits : bool
        Keep every exit event (for angular-spread metrics).

    Returns
    -------
    TraceResult
    """
    o = np.asarray(origins, dtype=np.float64)
    d = np.asarray(directions, dtype=np.float64)
    k = len(o)
    n_st = np.broadcast_to(np.asarray(n_stone, dtype=np.float64), (k,)).copy()
    N, D = facets.normals, facets.offsets
    radiance = np.zeros(k)
    lost = np.zeros(k)
    exits: list | None = [] if record_exits else None

    # Entry: the slab method on the convex polyhedron.
    dn = d @ N.T                                   # (K, F)
    dist = D[None, :] - o @ N.T                    # >= 0 where o is inside plane f
    with np.errstate(divide="ignore", invalid="ignore"):
        t = dist / dn
    t_in = np.where(dn < 0, t, -np.inf).max(axis=1)
    t_out = np.where(dn > 0, t, np.inf).min(axis=1)
    parallel_out = ((dn == 0) & (dist < 0)).any(axis=1)
    hit = (t_in <= t_out) & (t_in > 0) & ~parallel_out
    miss = ~hit
    if miss.any():
        radiance[miss] = environment(d[miss])
    idx = np.nonzero(hit)[0]
    if idx.size == 0:
        return TraceResult(radiance, hit, lost, exits)
    face = np.where(dn[idx] < 0, t[idx], -np.inf).argmax(axis=1)
    p = o[idx] + t_in[idx, None] * d[idx]
    dd = d[idx]
    nrm = N[face]
    cos_i = -np.einsum("ij,ij->i", dd, nrm)
    eta_in = n_outside / n_st[idx]
    r, cos_t = fresnel_unpolarised(cos_i, eta_in)
    refl = dd + 2 * cos_i[:, None] * nrm
    radiance[idx] += r * environment(refl)
    path = face.astype(np.int64) + 1
    if exits is not None:
        exits.append(ExitEvents(idx.copy(), refl, r, 0, -path))
    w = 1.0 - r
    dd = _refract(dd, nrm, cos_i, cos_t, eta_in)
    dd /= np.linalg.norm(dd, axis=1, keepdims=True)
    eta_out = n_st[idx] / n_outside

    for bounce in range(max_bounces):
        if idx.size == 0:
            break
        dn = dd @ N.T
        with np.errstate(divide="ignore", invalid="ignore"):
            t = (D[None, :] - np.einsum("ij,fj->if", p, N)) / dn
        t = np.where(dn > 1e-12, t, np.inf)
        face = t.argmin(axis=1)
        tt = np.maximum(t[np.arange(idx.size), face], 0.0)
        p = p + tt[:, None] * dd
        nrm = N[face]
        path = (path * 131 + face + 1) % _HASH_MOD
        cos_i = np.einsum("ij,ij->i", dd, nrm)        # > 0: leaving through the facet
        r, cos_t = fresnel_unpolarised(cos_i, eta_out)
        out_w = w * (1.0 - r)
        leaving = out_w > 0
        if leaving.any():
            tdir = _refract(dd[leaving], -nrm[leaving], cos_i[leaving], cos_t[leaving], eta_out[leaving])
            tdir /= np.linalg.norm(tdir, axis=1, keepdims=True)
            radiance[idx[leaving]] += out_w[leaving] * environment(tdir)
            if exits is not None:
                exits.append(ExitEvents(idx[leaving].copy(), tdir, out_w[leaving], bounce,
                                        path[leaving].copy()))
        w = w * r
        dd = dd - 2 * cos_i[:, None] * nrm
        dd /= np.linalg.norm(dd, axis=1, keepdims=True)
        # Push the point a hair inside so the next plane test starts cleanly.
        p = p - 1e-9 * nrm
        alive = w > tol
        if not alive.all():
            lost[idx[~alive]] += w[~alive]
            idx, p, dd, w, eta_out = idx[alive], p[alive], dd[alive], w[alive], eta_out[alive]
            path = path[alive]
    if idx.size:
        lost[idx] += w
    return TraceResult(radiance, hit, lost, exits)


# ---------------------------------------------------------------------------
# Viewing geometry and environments
# ---------------------------------------------------------------------------

def face_up_rays(vertices: np.ndarray, diameter_mm: float, view_distance_mm: float,
                 samples_across: int = 160) -> tuple[np.ndarray, np.ndarray]:
    """Eye rays of a pinhole eye on the axis, ``view_distance_mm`` above the table, aimed at a
    square grid of points of the girdle plane (y = 0) inside the girdle's mean circle.

    This is the limit of Mitsuba's ``face_up_render`` + outline mask at infinite
    resolution (the mask keeps pixels whose centre lies inside the same circle).

    Returns
    -------
    origins, directions : ndarray (K, 3)
    """
    top = float(np.asarray(vertices)[:, 1].max())
    eye = np.array([0.0, top + view_distance_mm, 0.0])
    r = 0.5 * diameter_mm
    c = ((np.arange(samples_across) + 0.5) / samples_across * 2 - 1) * r
    x, z = np.meshgrid(c, c, indexing="xy")
    keep = np.hypot(x, z) < r
    target = np.stack([x[keep], np.zeros(keep.sum()), z[keep]], axis=1)
    dirs = target - eye
    dirs /= np.linalg.norm(dirs, axis=1, keepdims=True)
    return np.repeat(eye[None], len(dirs), axis=0), dirs


def viewer_env(disc_half_angle_deg: float = 0.0, min_elevation_deg: float = 0.0,
               max_elevation_deg: float = 90.0) -> Environment:
    """White (1) sky between two elevations, a black disc of half-angle ``disc_half_angle_deg``
    round +Y (the viewer's head), black below the girdle plane. Same definition as
    ``bench_gems.viewer_environment`` (but evaluated exactly, not from a texture)."""
    s_lo = math.sin(math.radians(min_elevation_deg))
    s_hi = math.sin(math.radians(max_elevation_deg))
    c_disc = math.cos(math.radians(disc_half_angle_deg))

    def env(dirs: np.ndarray) -> np.ndarray:
        y = dirs[:, 1]
        lit = (y > s_lo) & (y <= s_hi + 1e-12)
        if disc_half_angle_deg > 0:
            lit &= y <= c_disc
        return lit.astype(np.float64)

    return env


def light_return(vertices, faces, *, diameter_mm: float, n_stone: float = 2.417,
                 environment: Environment, view_distance_mm: float = 250.0,
                 samples_across: int = 160) -> dict:
    """Face-up light return of a stone mesh: mean radiance over the girdle circle's rays.

    Returns
    -------
    dict with ``light_return`` (mean radiance / sky radiance 1), ``lost``
    (mean weight left when tracing stopped), ``rays``.
    """
    fac = facet_planes(vertices, faces)
    o, d = face_up_rays(vertices, diameter_mm, view_distance_mm, samples_across)
    res = trace_face_up(fac, o, d, n_stone, environment)
    return {"light_return": float(res.radiance.mean()), "lost": float(res.lost.mean()),
            "rays": len(o), "hit_fraction": float(res.hit.mean())}


# ---------------------------------------------------------------------------
# Colour (for the fire checks)
# ---------------------------------------------------------------------------

#: Linear XYZ -> linear sRGB (Rec. 709 primaries, D65), IEC 61966-2-1.
XYZ_TO_SRGB = np.array([[3.2406, -1.5372, -0.4986],
                        [-0.9689, 1.8758, 0.0415],
                        [0.0557, -0.2040, 1.0570]])
#: Rec. 709 luma weights of linear sRGB.
LUMA = np.array([0.2126, 0.7152, 0.0722])


def _g(x, mu, s1, s2):
    s = np.where(x < mu, s1, s2)
    return np.exp(-0.5 * ((x - mu) / s) ** 2)


def cie1931_xyz(wavelength_nm) -> np.ndarray:
    """CIE 1931 2° colour-matching functions, (N,) nm -> (N, 3).

    The multi-lobe Gaussian fit of Wyman, Sloan & Shirley, "Simple analytic
    approximations to the CIE XYZ color matching functions", JCGT 2(2), 2013
    (their eq. 2): within a few % of the tabulated functions, plenty for a
    chroma metric whose non-dispersive control is normalised to zero.
    """
    x = np.asarray(wavelength_nm, dtype=np.float64)
    xb = 1.056 * _g(x, 599.8, 37.9, 31.0) + 0.362 * _g(x, 442.0, 16.0, 26.7) - 0.065 * _g(x, 501.1, 20.4, 26.2)
    yb = 0.821 * _g(x, 568.8, 46.9, 40.5) + 0.286 * _g(x, 530.9, 16.3, 31.1)
    zb = 1.217 * _g(x, 437.0, 11.8, 36.0) + 0.681 * _g(x, 459.0, 26.0, 13.8)
    return np.stack([xb, yb, zb], axis=-1)


# ---------------------------------------------------------------------------
# Spectral tracing and the fire metrics
# ---------------------------------------------------------------------------

@dataclass
class SpectralTrace:
    """Exit events of the same eye rays traced at several wavelengths.

    Attributes
    ----------
    wavelengths_nm : ndarray (L,)
    n : ndarray (L,)
        Stone index at each wavelength.
    rays : int
        Number of eye rays (K).
    events : list of dict
        Per wavelength: ``ray`` (J,), ``direction`` (J, 3), ``weight`` (J,),
        ``bounce`` (J,), ``path`` (J,), all bounces concatenated.
    """

    wavelengths_nm: np.ndarray
    n: np.ndarray
    rays: int
    events: list


def trace_spectral(facets: Facets, origins: np.ndarray, directions: np.ndarray, wavelengths_nm,
                   index_of: Callable[[np.ndarray], np.ndarray], *, tol: float = 1e-4) -> SpectralTrace:
    """Trace the same eye rays once per wavelength and keep every exit event.

    ``index_of(wavelengths_nm) -> n`` is the stone's dispersion law.
    """
    lam = np.asarray(wavelengths_nm, dtype=np.float64)
    n = np.asarray(index_of(lam), dtype=np.float64)
    events = []
    for nl in n:
        res = trace_face_up(facets, origins, directions, float(nl), lambda x: np.zeros(len(x)),
                            tol=tol, record_exits=True)
        ev = res.exits
        events.append({
            "ray": np.concatenate([e.ray for e in ev]),
            "direction": np.concatenate([e.direction for e in ev]),
            "weight": np.concatenate([e.weight for e in ev]),
            "bounce": np.concatenate([np.full(len(e.ray), e.bounce) for e in ev]),
            "path": np.concatenate([e.path for e in ev]),
        })
    return SpectralTrace(lam, n, len(origins), events)


def spot_chroma_terms(tr: SpectralTrace, sources: np.ndarray, radius_deg: float) -> np.ndarray:
    """Chroma and luminance sums of the face-up image under one small source at a time.

    The source is a disc of angular radius ``radius_deg`` and equal-energy
    spectral radiance 1 round each unit direction of ``sources`` (S, 3);
    the sky is black. Each eye ray's spectrum is converted to XYZ (CIE 1931,
    :func:`cie1931_xyz`) and to linear sRGB, divided channel-wise by the
    source's own sRGB (so a grey, non-dispersive stone is exactly (k, k, k)),
    and split into luminance Y (Rec. 709) and the chroma vector
    c = rgb - Y (1, 1, 1).

    Returns
    -------
    ndarray (S, 4)
        Per source: Σ|c|², Σ Y², Σ|c| and Σ Y over the eye rays.
    """
    cmf = cie1931_xyz(tr.wavelengths_nm)                          # (L, 3)
    white = (cmf.sum(axis=0) @ XYZ_TO_SRGB.T)                     # source's own rgb
    cos_r = math.cos(math.radians(radius_deg))
    out = np.zeros((len(sources), 4))
    for si, s in enumerate(np.asarray(sources, dtype=np.float64)):
        spec = np.zeros((tr.rays, len(tr.wavelengths_nm)))
        for li, ev in enumerate(tr.events):
            lit = ev["direction"] @ s > cos_r
            if lit.any():
                spec[:, li] = np.bincount(ev["ray"][lit], weights=ev["weight"][lit], minlength=tr.rays)
        rgb = (spec @ cmf) @ XYZ_TO_SRGB.T / white
        y = rgb @ LUMA
        c = rgb - y[:, None]
        out[si] = (float(np.sum(c * c)), float(np.sum(y * y)),
                   float(np.sum(np.linalg.norm(c, axis=1))), float(np.sum(y)))
    return out


def ratio_of_sums(num: np.ndarray, den: np.ndarray) -> tuple[float, float]:
    """Σnum / Σden over independent units and its delta-method standard error."""
    num, den = np.asarray(num, float), np.asarray(den, float)
    m = len(num)
    r = num.sum() / den.sum()
    resid = num - r * den
    se = math.sqrt(m / max(m - 1, 1) * float(np.sum(resid**2))) / den.sum()
    return float(r), float(se)


def exit_spread(tr: SpectralTrace, i: int = 0, j: int = -1, *, upward_only: bool = True) -> dict:
    """Angular spread between the exit directions of two wavelengths of the same light paths.

    Events of wavelengths ``i`` and ``j`` are paired when they belong to the
    same eye ray, bounce and facet path (so the light took the same route
    and only Snell's law at the two indices separates it); the external
    reflection (no refraction) is left out. The spread is the angle between
    the paired exit directions, averaged with the light's weight (mean of the
    two), over exits into the upper hemisphere when ``upward_only``.

    Returns
    -------
    dict: ``mean_deg`` (weighted mean angle), ``weight`` (paired light per
    eye ray), ``paired_fraction`` (of the internal light at wavelength i).
    """
    a, b = tr.events[i], tr.events[j]
    ka = (a["ray"].astype(np.int64) * 100003 + a["bounce"]) * 4 + 1
    kb = (b["ray"].astype(np.int64) * 100003 + b["bounce"]) * 4 + 1
    internal_a = a["path"] > 0
    internal_b = b["path"] > 0
    ia = np.nonzero(internal_a)[0]
    ib = np.nonzero(internal_b)[0]
    _, pa, pb = np.intersect1d(ka[ia], kb[ib], assume_unique=True, return_indices=True)
    pa, pb = ia[pa], ib[pb]
    same = a["path"][pa] == b["path"][pb]
    pa, pb = pa[same], pb[same]
    da, db = a["direction"][pa], b["direction"][pb]
    w = 0.5 * (a["weight"][pa] + b["weight"][pb])
    if upward_only:
        up = (da[:, 1] > 0) & (db[:, 1] > 0)
        da, db, w = da[up], db[up], w[up]
    ang = np.degrees(np.arccos(np.clip(np.einsum("ij,ij->i", da, db), -1.0, 1.0)))
    tot_a = float(a["weight"][internal_a].sum())
    return {"mean_deg": float(np.sum(w * ang) / max(w.sum(), 1e-300)),
            "weight": float(w.sum() / tr.rays),
            "paired_fraction": float(w.sum() / max(tot_a, 1e-300))}


def paired_ratio_difference(num_a, den_a, num_b, den_b) -> tuple[float, float]:
    """Σnum_a/Σden_a − Σnum_b/Σden_b over the *same* units (light positions) and its
    delta-method standard error, which uses the pairing (shared positions cancel)."""
    num_a, den_a, num_b, den_b = (np.asarray(x, float) for x in (num_a, den_a, num_b, den_b))
    m = len(num_a)
    ra, rb = num_a.sum() / den_a.sum(), num_b.sum() / den_b.sum()
    infl = (num_a - ra * den_a) / den_a.sum() - (num_b - rb * den_b) / den_b.sum()
    se = math.sqrt(m / max(m - 1, 1) * float(np.sum(infl**2)))
    return float(ra - rb), float(se)


def hemisphere_sources(count: int, seed: int, polar_min_deg: float = 10.0,
                       polar_max_deg: float = 60.0) -> np.ndarray:
    """``count`` unit directions (S, 3) uniform in solid angle over a polar band round +Y."""
    rng = np.random.default_rng(seed)
    u = rng.uniform(math.cos(math.radians(polar_max_deg)), math.cos(math.radians(polar_min_deg)), count)
    ph = rng.uniform(0.0, 2 * math.pi, count)
    st = np.sqrt(1 - u**2)
    return np.stack([st * np.cos(ph), u, st * np.sin(ph)], axis=1)
