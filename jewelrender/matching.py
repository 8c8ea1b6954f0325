"""Material matching: a metal's colour and roughness, and a studio's lights, fitted to a brand's product photo.

``jewelrender match-material REF.png --piece ID --out preset.toml`` (:func:`match_material`):

1. **The product shot** (:func:`load_product_shot`): the photo is read by :func:`jewelrender.photo.load_photo`
   (a transparent PNG lands on white); the backdrop is the median colour of the border, which must be
   plain; the piece is every pixel that differs from it. The picture is cropped square around the piece
   and reduced to the fit's size (128 px by default).
2. **The pose** (:func:`fit_pose`): the catalog piece's silhouette against the photo's, over a grid of
   view directions; for each, the in-plane turn, scale and shift come from the two masks' moments,
   then the best few are refined locally. Intersection over union decides. Not differentiable and not
   meant to be: a silhouette search is robust where gradients of edges are not.
3. **The fit** (:func:`fit_material`): the piece's metal parts, posed, under a parametrised studio (a
   constant D65 "tent" and eight soft D65 area lights around the piece, each with a learnable intensity),
   rendered by Mitsuba's path-replay AD integrator (``prb``) in the process's AD variant
   (``llvm_ad_spectral`` on a CPU, ``cuda_ad_spectral`` on an NVIDIA GPU, :mod:`jewelrender.backend`).
   Learned with Adam on the squared difference in linear RGB over the *metal region* (the photo's piece
   ∩ the render's metal, minus the stones' silhouettes and strongly coloured pixels no metal has):
   a spectral tint (6 knots, 400-700 nm) multiplying the preset's n, k reflectance, the GGX roughness,
   and the nine radiances.
4. **The preset** (:func:`write_preset`): the base preset's optics with ``tint``/``tint_nm`` and the
   fitted ``roughness``, in the format of ``materials/metals.toml``; ``--metal preset.toml`` (or
   :func:`jewelrender.library.materials.register_metal_presets`) selects it in a try-on.

The tint is normalised so that its largest knot is 1: a photo's exposure is unknown, so only the
colour the photo shows is carried into the preset, never a brightness the studio's lights can
equally explain (the lights absorb the scale).

ΔE2000 (:func:`delta_e_metal`) is the mean over the metal region of the pixelwise CIEDE2000 between
render and photo, both smoothed by a Gaussian of σ = 1 px so that the catalog geometry, which is
never the brand's exact piece, is not scored for every misaligned edge. :func:`delta_e_mean_colour`
compares the region's mean colours instead: the metal's overall colour, blind to where highlights fall.
"""

from __future__ import annotations

import math
import re
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .errors import BackendUnavailableError, InvalidOptionError, ProductNotFoundError

__all__ = ["ProductShot", "Pose", "Studio", "MatchResult", "load_product_shot", "fit_pose", "fit_material",
           "match_material", "write_preset", "preset_text", "nearest_preset", "delta_e_metal", "delta_e_mean_colour", "TINT_NM", "LIGHTS"]

#: Wavelengths (nm) of the fitted tint's knots; Mitsuba interpolates linearly between them.
TINT_NM = (400.0, 460.0, 520.0, 580.0, 640.0, 700.0)

#: The studio: a constant environment ("tent") and soft boxes, in the camera's frame (x right, y up,
#: the camera on +z; the posed piece fills [-1, 1]). name -> (position, half size, initial radiance).
LIGHTS: dict[str, tuple[tuple[float, float, float], float, float]] = {
    "key": ((-3.0, 3.0, 3.5), 1.2, 3.0),
    "fill": ((3.5, 1.0, 3.0), 1.2, 1.6),
    "top": ((0.0, 5.0, 0.5), 1.5, 2.0),
    "rim": ((0.0, 2.5, -4.0), 1.5, 1.4),
    "front": ((0.0, -2.5, 4.5), 1.0, 1.0),
    "floor": ((0.0, -6.0, 0.0), 4.0, 0.5),
    "left": ((-6.0, 0.0, 0.0), 4.0, 0.45),
    "right": ((6.0, 0.0, 0.0), 4.0, 0.55),
}
# (the initial radiances differ on purpose: Mitsuba's loader shares identical spectrum dicts between emitters,
# which would tie two lights' intensities together)
TENT_RADIANCE = 0.4
#: Weight of the squared jumps between neighbouring tint knots in the loss (the image term is ~0.01-0.1).
TINT_SMOOTHNESS = 0.05

_DIST = 10.0      # camera distance (orthographic: only clears the lights)
_STONE_HUE_SAT = 0.35  # a pixel this saturated with a hue no metal has (green-blue-violet) is a stone or enamel


# ---------------------------------------------------------------------------
# The product shot
# ---------------------------------------------------------------------------


@dataclass
class ProductShot:
    """A product photo cropped square around the piece, at the fit's size."""

    srgb: np.ndarray          # (N, N, 3) uint8
    linear: np.ndarray        # (N, N, 3) float32
    mask: np.ndarray          # (N, N) bool: the piece (not the backdrop)
    backdrop: tuple           # the backdrop's sRGB colour (0-255)
    source: str
    metal_like: np.ndarray    # (N, N) bool: piece pixels whose colour a metal can have


def load_product_shot(path, *, size: int = 128) -> ProductShot:
    """Read a product photo, find the piece on its plain backdrop, crop square and reduce to ``size``.

    Raises
    ------
    PhotoError subclasses
        Missing, unreadable or unsupported files (:func:`jewelrender.photo.load_photo`).
    ProductNotFoundError
        The border is not one even colour, or no piece (or only piece) differs from it.
    """
    import cv2

    from .color import srgb8_to_linear
    from .photo import load_photo

    if not 32 <= int(size) <= 1024:
        raise InvalidOptionError(f"size must be 32-1024 px, got {size!r}")
    ph = load_photo(path, min_side=32)
    a = ph.srgb.astype(np.float32)
    h, w = a.shape[:2]
    b = max(2, int(0.02 * min(h, w)))
    border = np.concatenate([a[:b].reshape(-1, 3), a[-b:].reshape(-1, 3), a[:, :b].reshape(-1, 3),
                             a[:, -b:].reshape(-1, 3)])
    bg = np.median(border, axis=0)
    spread = float(np.percentile(np.abs(border - bg).max(axis=1), 90))
    if spread > 24.0:
        raise ProductNotFoundError(
            f"{ph.source}: the photo's border is not a plain backdrop (90 % of its pixels within {spread:.0f} "
            "levels of its median colour; at most 24 allowed); give a product shot on white or one plain colour",
            details={"border_spread": spread})
    diff = np.abs(a - bg).max(axis=2)
    # 30 levels: soft contact shadows and floor reflections on a white sweep stay backdrop; closing then
    # fills the metal's highlights that are as bright as the backdrop
    mask = (diff > 30.0).astype(np.uint8)
    mask = cv2.morphologyEx(mask, cv2.MORPH_OPEN, np.ones((3, 3), np.uint8))
    mask = cv2.morphologyEx(mask, cv2.MORPH_CLOSE, np.ones((5, 5), np.uint8))
    frac = float(mask.mean())
    if not 0.002 <= frac <= 0.85:
        raise ProductNotFoundError(
            f"{ph.source}: no piece stands out from the backdrop ({100 * frac:.2f} % of the pixels differ from "
            "it; 0.2-85 % expected); give a product shot of the piece on a plain backdrop",
            details={"piece_fraction": frac})
    ys, xs = np.nonzero(mask)
    cy, cx = 0.5 * (ys.min() + ys.max()), 0.5 * (xs.min() + xs.max())
    half = 0.5 * max(ys.max() - ys.min(), xs.max() - xs.min()) * 1.12 + 2
    side = int(math.ceil(2 * half))
    y0, x0 = int(round(cy - half)), int(round(cx - half))
    canvas = np.empty((side, side, 3), np.float32)
    canvas[:] = bg
    mcanvas = np.zeros((side, side), np.float32)
    sy0, sx0 = max(0, y0), max(0, x0)
    sy1, sx1 = min(h, y0 + side), min(w, x0 + side)
    canvas[sy0 - y0:sy1 - y0, sx0 - x0:sx1 - x0] = a[sy0:sy1, sx0:sx1]
    mcanvas[sy0 - y0:sy1 - y0, sx0 - x0:sx1 - x0] = mask[sy0:sy1, sx0:sx1]
    n = int(size)
    srgb = np.clip(np.rint(cv2.resize(canvas, (n, n), interpolation=cv2.INTER_AREA)), 0, 255).astype(np.uint8)
    m = cv2.resize(mcanvas, (n, n), interpolation=cv2.INTER_AREA) > 0.5
    hsv = cv2.cvtColor(srgb, cv2.COLOR_RGB2HSV_FULL).astype(np.float32)
    hue, sat = hsv[..., 0] * (360.0 / 256.0), hsv[..., 1] / 255.0
    coloured = (sat > _STONE_HUE_SAT) & (hue > 75.0) & (hue < 320.0)   # greens, blues, violets: never a metal
    return ProductShot(srgb=srgb, linear=srgb8_to_linear(srgb).astype(np.float32), mask=m,
                       backdrop=tuple(float(v) for v in bg), source=ph.source, metal_like=m & ~coloured)


# ---------------------------------------------------------------------------
# The pose: silhouette search
# ---------------------------------------------------------------------------


def _rot(yaw: float, pitch: float, roll: float) -> np.ndarray:
    y, p, r = np.radians([yaw, pitch, roll])
    ry = np.array([[np.cos(y), 0, np.sin(y)], [0, 1, 0], [-np.sin(y), 0, np.cos(y)]])
    rx = np.array([[1, 0, 0], [0, np.cos(p), -np.sin(p)], [0, np.sin(p), np.cos(p)]])
    rz = np.array([[np.cos(r), -np.sin(r), 0], [np.sin(r), np.cos(r), 0], [0, 0, 1]])
    return rz @ rx @ ry


@dataclass
class Pose:
    """Piece frame -> the camera's normalised frame (x right, y up, toward the camera +z; the image spans
    [-1, 1]): ``p = scale * R v + (shift, 0)``."""

    R: np.ndarray
    scale: float
    shift: np.ndarray
    iou: float
    view: tuple = ()   # (yaw, pitch, roll) in degrees, for the report

    def apply(self, v: np.ndarray) -> np.ndarray:
        out = self.scale * (np.asarray(v, np.float64) @ self.R.T)
        out[:, :2] += self.shift
        return out

    def to_report(self) -> dict:
        return {"yaw_pitch_roll_deg": [round(float(x), 1) for x in self.view], "scale": round(self.scale, 4),
                "shift": [round(float(x), 4) for x in self.shift], "silhouette_iou": round(self.iou, 4)}


def _surface_points(meshes) -> np.ndarray:
    # vertices plus six points inside every triangle: dense enough to splat a silhouette at <= 128 px
    pts = []
    w = np.array([[.6, .2, .2], [.2, .6, .2], [.2, .2, .6], [1 / 3, 1 / 3, 1 / 3], [.5, .5, 0], [0, .5, .5], [.5, 0, .5]])
    for m in meshes:
        v = m.vertices.astype(np.float64)
        tri = v[m.faces]                     # (F, 3, 3)
        pts.append(v)
        pts.append(np.einsum("kj,fjc->fkc", w, tri).reshape(-1, 3))
    return np.concatenate(pts)


def _splat(xy: np.ndarray, n: int) -> np.ndarray:
    import cv2

    u = np.floor((xy[:, 0] + 1) * 0.5 * n).astype(np.int64)
    v = np.floor((1 - xy[:, 1]) * 0.5 * n).astype(np.int64)
    ok = (u >= 0) & (u < n) & (v >= 0) & (v < n)
    img = np.zeros(n * n, np.uint8)
    img[v[ok] * n + u[ok]] = 1
    img = img.reshape(n, n)
    return cv2.morphologyEx(img, cv2.MORPH_CLOSE, np.ones((3, 3), np.uint8)).astype(bool)


def _moments(mask: np.ndarray):
    n = mask.shape[0]
    ys, xs = np.nonzero(mask)
    if len(xs) < 5:
        return None
    x = (xs + 0.5) / n * 2 - 1
    y = 1 - (ys + 0.5) / n * 2
    c = np.array([x.mean(), y.mean()])
    dx, dy = x - c[0], y - c[1]
    theta = 0.5 * math.atan2(2 * (dx * dy).mean(), (dx * dx).mean() - (dy * dy).mean())
    return len(xs) * (2.0 / n) ** 2, c, theta


def _iou(a: np.ndarray, b: np.ndarray) -> float:
    u = np.logical_or(a, b).sum()
    return float(np.logical_and(a, b).sum() / u) if u else 0.0


def _sample(img: np.ndarray, xy: np.ndarray) -> float:
    n = img.shape[0]
    u = np.clip(np.floor((xy[:, 0] + 1) * 0.5 * n).astype(np.int64), 0, n - 1)
    v = np.clip(np.floor((1 - xy[:, 1]) * 0.5 * n).astype(np.int64), 0, n - 1)
    return float(img[v, u].mean())


def _align(pts: np.ndarray, R: np.ndarray, target: np.ndarray, tm, n: int, flips=(0.0, 180.0), cue=None):
    """Best similarity (turn about the view axis, scale, shift) of the piece seen through R onto the target.

    ``cue``: (sparkle map, stone points, metal points, weight): the score adds how much more the photo
    sparkles under the posed stones than under the posed metal, which tells a ring's head from its shank
    where the silhouette alone cannot (a band looks the same upside down)."""
    p = pts @ R.T
    xy = p[:, :2]
    c0 = 0.5 * (xy.min(0) + xy.max(0))
    s0 = 0.8 / max(1e-9, float(np.abs(xy - c0).max()))
    m0 = _moments(_splat(s0 * (xy - c0), n))
    if m0 is None:
        return None
    area_r, c_r, th_r = m0
    area_t, c_t, th_t = tm
    s = math.sqrt(area_t / area_r)
    best = None
    for flip in flips:
        phi = th_t - th_r + math.radians(flip)
        rot = np.array([[math.cos(phi), -math.sin(phi)], [math.sin(phi), math.cos(phi)]])
        scale = s * s0
        shift = s * (rot @ (-s0 * c0 - c_r)) + c_t
        xy2 = scale * (xy @ rot.T) + shift
        iou = _iou(_splat(xy2, n), target)
        score = iou
        if cue is not None:
            sparkle, sp, mp, w = cue
            score += w * (_sample(sparkle, scale * ((sp @ R.T)[:, :2] @ rot.T) + shift)
                          - _sample(sparkle, scale * ((mp @ R.T)[:, :2] @ rot.T) + shift))
        if best is None or score > best[0]:
            rz = np.eye(3)
            rz[:2, :2] = rot
            best = (score, rz @ R, scale, shift, math.degrees(phi), iou)
    return best


def _sparkle(shot: "ProductShot") -> np.ndarray:
    """Local contrast of the photo (std of luminance over 5 x 5 px), 0-1 within the piece: facets sparkle."""
    import cv2

    y = shot.linear @ np.array([0.2126, 0.7152, 0.0722], np.float32)
    y = np.sqrt(np.clip(y, 0, 1)).astype(np.float32)
    m1 = cv2.blur(y, (5, 5))
    sd = np.sqrt(np.maximum(cv2.blur(y * y, (5, 5)) - m1 * m1, 0))
    top = float(np.percentile(sd[shot.mask], 99)) if shot.mask.any() else 1.0
    return np.clip(sd / max(top, 1e-6), 0, 1) * shot.mask


def fit_pose(meshes, mask: np.ndarray, *, stones=(), sparkle: np.ndarray | None = None, yaw_step: float = 20.0,
             pitch_step: float = 20.0, cue_weight: float = 0.3) -> Pose:
    """The view of ``meshes`` (metal parts, piece frame) and ``stones`` whose silhouette best covers ``mask``.

    A grid over yaw (0-360°) and pitch (-80-80°); each view is turned, scaled and shifted in the image
    plane by the masks' moments (two turns: the principal axis has no sign); the best four are refined
    by a local search over yaw, pitch and roll in 10° then 4° steps. The score is the silhouettes'
    IoU, plus, when ``sparkle`` (:func:`_sparkle`) and stones are given, ``cue_weight`` x how much more
    the photo sparkles under the stones than under the metal.
    """
    n = int(mask.shape[0])
    mask = np.asarray(mask, bool)
    tm = _moments(mask)
    if tm is None:
        raise ProductNotFoundError("the product shot's piece mask is empty")
    stones = list(stones)
    mpts = _surface_points(meshes)
    pts = np.concatenate([mpts, _surface_points(stones)]) if stones else mpts
    pts = pts[:: max(1, len(pts) // 60000)]
    cue = None
    if stones and sparkle is not None:
        spts = _surface_points(stones)
        cue = (sparkle, spts[:: max(1, len(spts) // 4000)], mpts[:: max(1, len(mpts) // 4000)], float(cue_weight))
    cands = []
    for yaw in np.arange(0.0, 360.0, yaw_step):
        for pitch in np.arange(-80.0, 80.1, pitch_step):
            r = _align(pts, _rot(yaw, pitch, 0.0), mask, tm, n, cue=cue)
            if r is not None:
                cands.append((r[0], yaw, pitch, 0.0))
    cands.sort(key=lambda c: -c[0])
    best = None
    for iou, yaw, pitch, roll in cands[:4]:
        cur = (iou, yaw, pitch, roll)
        for step in (10.0, 4.0):
            improved = True
            while improved:
                improved = False
                for d in ((step, 0, 0), (-step, 0, 0), (0, step, 0), (0, -step, 0), (0, 0, step), (0, 0, -step)):
                    y, p, rr = cur[1] + d[0], float(np.clip(cur[2] + d[1], -90, 90)), cur[3] + d[2]
                    r = _align(pts, _rot(y, p, rr), mask, tm, n, cue=cue)
                    if r is not None and r[0] > cur[0] + 1e-4:
                        cur, improved = (r[0], y, p, rr), True
        if best is None or cur[0] > best[0]:
            best = cur
    iou, yaw, pitch, roll = best
    r = _align(pts, _rot(yaw, pitch, roll), mask, tm, n, cue=cue)
    return Pose(R=r[1], scale=float(r[2]), shift=np.asarray(r[3], np.float64), iou=float(r[5]),
                view=(yaw % 360.0, pitch, (roll + r[4]) % 360.0))


# ---------------------------------------------------------------------------
# The differentiable studio render
# ---------------------------------------------------------------------------


@dataclass
class Studio:
    """The learnable numbers: tint knots (at :data:`TINT_NM`), GGX alpha, tent and light radiances."""

    tint: np.ndarray
    alpha: float
    tent: float
    lights: dict

    @classmethod
    def default(cls, alpha: float) -> "Studio":
        return cls(tint=np.ones(len(TINT_NM)), alpha=float(alpha), tent=TENT_RADIANCE,
                   lights={k: v[2] for k, v in LIGHTS.items()})

    def to_report(self) -> dict:
        return {"tint": [round(float(t), 4) for t in self.tint], "tint_nm": list(TINT_NM),
                "alpha": round(float(self.alpha), 4), "tent": round(float(self.tent), 4),
                "lights": {k: round(float(v), 4) for k, v in self.lights.items()}}


def _ad_variant() -> str:
    from . import backend

    variant = backend.select()
    if "_ad_" not in variant:
        raise BackendUnavailableError(
            f"material matching needs an autodiff render variant (cuda_ad_spectral or llvm_ad_spectral); this "
            f"process uses {variant} (unset JEWELRENDER_VARIANT or set it to an *_ad_* variant)",
            details={"variant": variant})
    return variant


def _merged(meshes, pose: Pose):
    """All parts of one role as one posed mesh (vertices, normals, faces) in the camera frame."""
    vs, ns, fs, off = [], [], [], 0
    for m in meshes:
        v = pose.apply(m.vertices)
        vs.append(v)
        nrm = m.normals if m.normals is not None else None
        ns.append(None if nrm is None else np.asarray(nrm, np.float64) @ pose.R.T)
        fs.append(np.asarray(m.faces, np.int64) + off)
        off += len(v)
    normals = None if any(x is None for x in ns) else np.concatenate(ns)
    return np.concatenate(vs).astype(np.float32), normals, np.concatenate(fs).astype(np.uint32)


def _mi_mesh(mi, name, v, nrm, f, bsdf: dict):
    props = mi.Properties()
    props["bsdf"] = mi.load_dict(bsdf)
    mesh = mi.Mesh(name, len(v), len(f), props=props, has_vertex_normals=nrm is not None)
    params = mi.traverse(mesh)
    params["vertex_positions"] = mi.Float(np.ascontiguousarray(v, np.float32).ravel())
    params["faces"] = mi.UInt32(np.ascontiguousarray(f, np.uint32).ravel())
    if nrm is not None:
        nrm = nrm / np.maximum(np.linalg.norm(nrm, axis=1, keepdims=True), 1e-12)
        params["vertex_normals"] = mi.Float(np.ascontiguousarray(nrm, np.float32).ravel())
    params.update()
    return mesh


def _sensor(mi, n: int, spp: int) -> dict:
    return {"type": "orthographic",
            "to_world": mi.ScalarTransform4f().look_at(origin=[0, 0, _DIST], target=[0, 0, 0], up=[0, 1, 0]),
            "near_clip": 0.1, "far_clip": 3 * _DIST,
            "film": {"type": "hdrfilm", "width": n, "height": n, "pixel_format": "rgb", "rfilter": {"type": "box"}},
            "sampler": {"type": "independent", "sample_count": int(spp)}}


def _tint_dict(tint) -> dict:
    from .library.materials import MITSUBA_SPECTRAL_NM

    wl = [MITSUBA_SPECTRAL_NM[0], *TINT_NM, MITSUBA_SPECTRAL_NM[1]]
    t = [float(tint[0]), *map(float, tint), float(tint[-1])]
    return {"type": "irregular", "wavelengths": ", ".join(f"{x:g}" for x in wl), "values": ", ".join(f"{x:.6g}" for x in t)}


def _scene(mi, metal_mesh, preset, studio: Studio, n: int, spp: int, max_depth: int = 6):
    from .library.materials import metal_bsdf_dict

    bsdf = metal_bsdf_dict(preset, has_texcoords=False, roughness=max(1e-3, float(studio.alpha)))
    bsdf.pop("specular_reflectance", None)
    bsdf = {**bsdf, "type": "roughconductor", "distribution": "ggx", "alpha": max(1e-3, float(studio.alpha)),
            "specular_reflectance": _tint_dict(studio.tint)}
    v, nrm, f = metal_mesh
    d = {"type": "scene", "integrator": {"type": "prb", "max_depth": int(max_depth), "hide_emitters": True},
         "sensor": _sensor(mi, n, spp),
         "tent": {"type": "constant", "radiance": {"type": "d65", "scale": float(studio.tent)}},
         "metal": _mi_mesh(mi, "metal", v, nrm, f, bsdf)}
    for name, (pos, half, _) in LIGHTS.items():
        d[name] = {"type": "rectangle",
                   "to_world": mi.ScalarTransform4f().look_at(origin=list(pos), target=[0, 0, 0], up=[0, 0, 1]
                                                              if abs(pos[0]) + abs(pos[2]) < 1e-6 else [0, 1, 0])
                   @ mi.ScalarTransform4f().scale([half, half, 1.0]),
                   "emitter": {"type": "area", "radiance": {"type": "d65", "scale": float(studio.lights[name])}}}
    return mi.load_dict(d)


def _region(shot: ProductShot, metal_pts_xy: np.ndarray, stone_pts_xy: np.ndarray | None) -> np.ndarray:
    """The metal region: the photo's piece ∩ the posed metal (one pixel in from its edge), minus the stones'
    silhouettes (conservatively, in front or behind) and the coloured pixels no metal has."""
    import cv2

    n = shot.mask.shape[0]
    metal = cv2.erode(_splat(metal_pts_xy, n).astype(np.uint8), np.ones((3, 3), np.uint8)).astype(bool)
    region = metal & shot.mask & shot.metal_like
    if stone_pts_xy is not None and len(stone_pts_xy):
        stones = cv2.dilate(_splat(stone_pts_xy, n).astype(np.uint8), np.ones((3, 3), np.uint8)).astype(bool)
        region &= ~stones
    return region


def delta_e_metal(render_linear: np.ndarray, shot: ProductShot, region: np.ndarray) -> float:
    """Mean CIEDE2000 over ``region`` between a render and the photo (both smoothed, σ = 1 px; linear sRGB)."""
    import cv2

    from .color import delta_e_2000, rgb_to_lab

    def lab(img):
        img = cv2.GaussianBlur(np.clip(np.asarray(img, np.float32), 0, 1), (0, 0), 1.0)
        return rgb_to_lab(img)

    de = delta_e_2000(lab(render_linear), lab(shot.linear))
    return float(de[region].mean())


def delta_e_mean_colour(render_linear: np.ndarray, shot: ProductShot, region: np.ndarray) -> float:
    """CIEDE2000 between the mean linear colours of render and photo over ``region``: the metal's overall
    colour and brightness, blind to where its highlights fall (which the catalog geometry cannot match)."""
    from .color import delta_e_2000, rgb_to_lab

    a = np.clip(np.asarray(render_linear, np.float64)[region], 0, 1).mean(axis=0)
    b = np.asarray(shot.linear, np.float64)[region].mean(axis=0)
    return float(delta_e_2000(rgb_to_lab(a[None]), rgb_to_lab(b[None]))[0])


@dataclass
class MatchResult:
    """What :func:`match_material` found: the pose, the studio and metal before/after, and the pictures."""

    piece: str
    base_metal: str
    shot: ProductShot
    pose: Pose
    region: np.ndarray
    before: Studio
    after: Studio
    render_before: np.ndarray     # linear RGB, metal only, over the photo's backdrop
    render_after: np.ndarray
    delta_e_before: float
    delta_e_after: float
    loss_history: list
    seconds: float
    variant: str
    lights_only: Studio | None = None
    render_lights_only: np.ndarray | None = None
    delta_e_lights_only: float | None = None
    preset_id: str | None = None
    mean_colour_delta_e: dict | None = None   # before / lights_only / after: delta_e_mean_colour of each render

    def to_report(self) -> dict:
        out = {"piece": self.piece, "base_metal": self.base_metal, "photo": self.shot.source,
               "pose": self.pose.to_report(), "metal_pixels": int(self.region.sum()),
               "before": self.before.to_report(), "after": self.after.to_report(),
               "delta_e_before": round(self.delta_e_before, 3), "delta_e_after": round(self.delta_e_after, 3),
               "iterations": len(self.loss_history), "loss_first_last": [round(self.loss_history[0], 6),
                                                                         round(self.loss_history[-1], 6)],
               "seconds": round(self.seconds, 1), "backend": self.variant}
        if self.lights_only is not None:
            out["lights_only"] = self.lights_only.to_report()
            out["delta_e_lights_only"] = round(self.delta_e_lights_only, 3)
        if self.mean_colour_delta_e:
            out["mean_colour_delta_e"] = {k: round(v, 3) for k, v in self.mean_colour_delta_e.items()}
        return out

    def pictures(self) -> np.ndarray:
        """photo | before | (lights only) | after, sRGB uint8, one row."""
        from .color import linear_to_srgb8

        tiles = [self.shot.srgb, linear_to_srgb8(self.render_before)]
        if self.render_lights_only is not None:
            tiles.append(linear_to_srgb8(self.render_lights_only))
        tiles.append(linear_to_srgb8(self.render_after))
        return np.concatenate(tiles, axis=1)


def _over_backdrop(shot: ProductShot, rgb: np.ndarray, metal_cov: np.ndarray) -> np.ndarray:
    from .color import srgb8_to_linear

    bg = srgb8_to_linear(np.array(shot.backdrop, np.float32).round().astype(np.uint8)[None, None])[0, 0]
    out = np.empty_like(rgb)
    out[:] = bg
    out[metal_cov] = rgb[metal_cov]
    return out


def _render(mi, scene, spp: int, seed: int) -> np.ndarray:
    return np.array(mi.render(scene, spp=int(spp), seed=int(seed)), dtype=np.float32)


def _optimise(mi, dr, metal_mesh, preset, start: Studio, shot: ProductShot, region: np.ndarray, *,
              iterations: int, spp: int, lr: float, learn_material: bool, seed: int):
    n = shot.mask.shape[0]
    scene = _scene(mi, metal_mesh, preset, start, n, spp)
    params = mi.traverse(scene)
    k_tint, k_alpha = "metal.bsdf.specular_reflectance.values", "metal.bsdf.alpha.value"
    opt = mi.ad.Adam(lr=lr)
    # the radiances learn in log space: they span orders of magnitude and must stay positive
    opt["log_tent"] = mi.Float(math.log(start.tent))
    for name in LIGHTS:
        opt["log_" + name] = mi.Float(math.log(max(1e-4, start.lights[name])))
    if learn_material:
        opt["tint"] = mi.Float(np.asarray(start.tint, np.float32))
        opt["log_alpha"] = mi.Float(math.log(max(1e-3, start.alpha)))
    target = mi.TensorXf(np.minimum(shot.linear, 1.0))
    w = region.astype(np.float32)
    weight = mi.TensorXf(np.repeat(w[..., None], 3, axis=2) / max(1.0, 3 * w.sum()))
    history = []
    # white lights are D65 (an equal-energy spectrum renders pink in sRGB); a light's learnable number scales
    # its D65 table
    d65 = {"tent.radiance.values": mi.Float(np.array(params["tent.radiance.values"]) / start.tent)}
    for name in LIGHTS:
        key = f"{name}.emitter.radiance.values"
        d65[key] = mi.Float(np.array(params[key]) / start.lights[name])

    def push():
        params["tent.radiance.values"] = d65["tent.radiance.values"] * dr.exp(opt["log_tent"])
        for name in LIGHTS:
            key = f"{name}.emitter.radiance.values"
            params[key] = d65[key] * dr.exp(opt["log_" + name])
        if learn_material:
            t = opt["tint"]
            params[k_tint] = dr.concat([dr.gather(mi.Float, t, 0), t, dr.gather(mi.Float, t, len(TINT_NM) - 1)])
            params[k_alpha] = dr.exp(opt["log_alpha"])
        params.update()

    for it in range(int(iterations)):
        push()
        img = mi.render(scene, params, spp=int(spp), seed=int(seed) + it)
        diff = dr.minimum(img, 1.0) - target
        loss = dr.sum(weight * diff * diff, axis=None)
        if learn_material:  # a tint is a smooth reflectance change: penalise jumps between neighbouring knots
            t = opt["tint"]
            jumps = dr.gather(mi.Float, t, dr.arange(mi.UInt32, 1, len(TINT_NM))) \
                - dr.gather(mi.Float, t, dr.arange(mi.UInt32, 0, len(TINT_NM) - 1))
            loss = loss + TINT_SMOOTHNESS * dr.sum(jumps * jumps)
        dr.backward(loss)
        opt.step()
        for name in list(opt.keys()):
            if name.startswith("log_"):
                lo, hi = (math.log(2e-3), math.log(0.7)) if name == "log_alpha" else (math.log(1e-3), math.log(60.0))
                opt[name] = dr.clip(opt[name], lo, hi)
        if learn_material:
            opt["tint"] = dr.clip(opt["tint"], 0.02, 1.5)
        history.append(float(np.asarray(loss).ravel()[0]))
    st = Studio(tint=np.array(opt["tint"], np.float64) if learn_material else np.asarray(start.tint, np.float64).copy(),
                alpha=float(np.exp(np.array(opt["log_alpha"])[0])) if learn_material else start.alpha,
                tent=float(np.exp(np.array(opt["log_tent"])[0])),
                lights={k: float(np.exp(np.array(opt["log_" + k])[0])) for k in LIGHTS})
    if learn_material:  # exposure belongs to the lights, colour to the tint (module docstring)
        top = float(st.tint.max())
        st.tint = np.clip(st.tint / top, 1e-3, 1.0)
        st.tent *= top
        st.lights = {k: v * top for k, v in st.lights.items()}
    return st, history


def fit_material(piece, shot: ProductShot, *, metal: str | None = None, iterations: int = 40, spp: int = 8,
                 lr: float = 0.08, eval_spp: int = 32, lights_only_baseline: bool = False,
                 seed: int = 0) -> MatchResult:
    """Pose the catalog ``piece`` on the product shot and fit its metal and the studio (module docstring).

    ``metal``: the preset to start from (default: the preset nearest in colour to the photo's metal,
    :func:`nearest_preset`). ``lights_only_baseline``: also fit the lights alone with the preset's own
    colour and roughness, to tell what the colour fit adds (for the benchmark).
    """
    from .library import catalog, materials
    from .lookdev import piece_meshes

    t0 = time.perf_counter()
    if not (1 <= int(iterations) <= 500 and 1 <= int(spp) <= 256 and 1 <= int(eval_spp) <= 1024):
        raise InvalidOptionError(f"iterations must be 1-500, spp 1-256 and eval_spp 1-1024; got "
                                 f"{iterations}, {spp}, {eval_spp}")
    from .cad import is_piece_file

    if is_piece_file(piece):      # a brand's own CAD file of the piece (its materials as for a try-on)
        piece_id = Path(piece).name
    else:
        piece_id = piece if isinstance(piece, str) else getattr(piece, "id", str(piece))
        if isinstance(piece, str):
            catalog.get_piece(piece)   # UnknownPieceError before anything else
    meshes = piece_meshes(piece)
    metal_parts = [m for m in meshes if m.role == "metal"]
    stone_parts = [m for m in meshes if m.role != "metal"]
    if not metal_parts:
        raise InvalidOptionError(f"piece {piece_id!r} has no metal to match")
    pose = fit_pose(metal_parts, shot.mask, stones=stone_parts, sparkle=_sparkle(shot))
    metal_mesh = _merged(metal_parts, pose)
    n = shot.mask.shape[0]
    mpts = pose.apply(_surface_points(metal_parts))[:, :2]
    spts = pose.apply(_surface_points(stone_parts))[:, :2] if stone_parts else None
    region = _region(shot, mpts, spts)
    if region.sum() < 30:
        raise ProductNotFoundError(
            f"{shot.source}: only {int(region.sum())} pixels of metal are left once the catalog piece "
            f"{piece_id!r} is posed on the photo (silhouette IoU {pose.iou:.2f}); is it a photo of that piece?",
            details={"metal_pixels": int(region.sum()), "iou": pose.iou})
    base = metal or nearest_preset(shot, region)
    preset = materials.metal(materials.resolve_metal(base))
    variant = _ad_variant()
    import drjit as dr
    import mitsuba as mi

    cov = _splat(mpts, n)
    start = Studio.default(preset.roughness if preset.roughness > 0 else 0.03)
    if preset.tint is not None:   # starting from a fitted preset: from its tint, not from none
        start.tint = np.interp(TINT_NM, preset.tint[0], preset.tint[1])

    def final(st: Studio) -> tuple[np.ndarray, float]:
        img = _render(mi, _scene(mi, metal_mesh, preset, st, n, eval_spp), eval_spp, seed + 10_000)
        img = _over_backdrop(shot, img, cov)
        return img, delta_e_metal(img, shot, region)

    img0, de0 = final(start)
    lo = lo_img = lo_de = None
    if lights_only_baseline:
        lo, _ = _optimise(mi, dr, metal_mesh, preset, start, shot, region, iterations=iterations, spp=spp, lr=lr,
                          learn_material=False, seed=seed)
        lo_img, lo_de = final(lo)
    after, hist = _optimise(mi, dr, metal_mesh, preset, start, shot, region, iterations=iterations, spp=spp,
                            lr=lr, learn_material=True, seed=seed)
    img1, de1 = final(after)
    mean_de = {"before": delta_e_mean_colour(img0, shot, region), "after": delta_e_mean_colour(img1, shot, region)}
    if lo_img is not None:
        mean_de["lights_only"] = delta_e_mean_colour(lo_img, shot, region)
    return MatchResult(piece=piece_id, base_metal=preset.id, shot=shot, pose=pose, region=region, before=start,
                       after=after, render_before=img0, render_after=img1, delta_e_before=de0, delta_e_after=de1,
                       loss_history=hist, seconds=time.perf_counter() - t0, variant=variant, lights_only=lo,
                       render_lights_only=lo_img, delta_e_lights_only=lo_de, mean_colour_delta_e=mean_de)


def nearest_preset(shot: ProductShot, region: np.ndarray) -> str:
    """The shipped preset nearest in hue and chroma (a*, b*) to the photo's metal region's mean colour,
    taken to one lightness (shading and exposure change lightness, not the metal's chromaticity)."""
    from .color import rgb_to_lab
    from .library import materials

    mean = shot.linear[region].mean(axis=0)
    y = float(mean @ np.array([0.2126, 0.7152, 0.0722]))
    lab = rgb_to_lab((mean * (0.6 / max(y, 1e-6)))[None])[0]   # compared at one lightness: chroma, hue
    shipped = [m for m in materials.list_metals() if materials.metal(m).tint is None]

    def dist(mid):
        ref = materials.metal_lab(mid)
        return (ref["a"] - lab[1]) ** 2 + (ref["b"] - lab[2]) ** 2

    return min(shipped, key=dist)


_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")


def preset_text(result: MatchResult, *, name: str | None = None) -> tuple[str, str]:
    """The fitted metal as a one-preset TOML text (the ``materials/metals.toml`` format) and its id."""
    from .library import materials

    stem = re.sub(r"[^a-z0-9._-]+", "-", Path(result.shot.source).stem.lower()).strip("-") or "photo"
    pid = name if name is not None else f"{result.base_metal}-matched-{stem}"[:64]
    if not isinstance(pid, str) or not _NAME.match(pid):
        raise InvalidOptionError(f"--name must be 1-64 characters of a-z, 0-9, '.', '_' or '-' (starting with a "
                                 f"letter or digit), got {pid!r}", details={"option": "name"})
    if pid in materials.list_metals() and materials.metal(pid).tint is None:
        raise InvalidOptionError(f"--name {pid!r} is a shipped preset; choose another name",
                                 details={"option": "name"})
    base = materials.metal(result.base_metal)
    photo = Path(result.shot.source).name
    lines = [f"# Written by jewelrender match-material from {photo} and the catalog piece {result.piece}.",
             f"[{pid}]", f'label = "{base.label}, matched to {photo}"']
    if base.model == "measured":
        lines.append(f'data = "{_data_stem(base)}"')
    else:
        comp = ", ".join(f"{el} = {w:g}" for el, w in base.composition.items())
        lines.append(f"composition = {{ {comp} }}")
        if base.plating:
            lines.append(f'plating = "{base.plating}"')
    a = result.after
    lines += [f"roughness = {a.alpha:.4f}",
              "tint_nm = [" + ", ".join(f"{w:g}" for w in TINT_NM) + "]",
              "tint = [" + ", ".join(f"{t:.4f}" for t in a.tint) + "]",
              f'note = "Fitted by differentiable rendering to a product photo: the optics of {base.id} times a '
              f'spectral tint (max 1), GGX roughness {a.alpha:.3f}; metal dE2000 {result.delta_e_before:.2f} -> '
              f'{result.delta_e_after:.2f} against the photo (silhouette IoU {result.pose.iou:.2f}). An appearance '
              f'fit, not a measurement: the tint also absorbs the studio light colour."']
    return "\n".join(lines) + "\n", pid


def write_preset(result: MatchResult, out, *, name: str | None = None, preview=None) -> str:
    """Write the fitted metal as a preset file ``out`` (``.toml``) and optionally the pictures
    photo | before | after as ``preview`` (``.png``): both or neither (:func:`jewelrender._files.write_all`);
    the preset is read back by the presets parser before it is published. Returns the preset id."""
    from ._files import write_all
    from .library import materials

    out = Path(out)
    if out.suffix.lower() != ".toml":
        raise InvalidOptionError(f"--out must end in .toml, got {out.name!r}", details={"option": "out"})
    text, pid = preset_text(result, name=name)

    def toml(tmp):
        Path(tmp).write_text(text)
        materials.load_metal_presets(tmp, _metals_dir())

    writes = [(out, toml)]
    if preview is not None:
        import imageio.v3 as iio

        writes.append((Path(preview), lambda tmp: iio.imwrite(tmp, result.pictures(), extension=".png")))
    write_all(writes)
    return pid


def _metals_dir():
    from .resources import resource_path

    return resource_path("materials", "metals")


def _data_stem(preset) -> str:
    src = getattr(preset.data, "source_file", "")
    return Path(src).stem if src else preset.id


def match_material(photo, piece, *, out=None, name: str | None = None, metal: str | None = None,
                   size: int = 128, iterations: int = 40, spp: int = 8, preview=None, seed: int = 0) -> MatchResult:
    """Fit ``piece``'s metal and a studio to a product photo; write the preset to ``out`` (optional) and the
    pictures photo | before | after to ``preview`` (optional PNG). Outputs are checked before any work."""
    from .library import catalog

    if out is not None and Path(out).suffix.lower() != ".toml":
        raise InvalidOptionError(f"--out must end in .toml, got {Path(out).name!r}", details={"option": "out"})
    if preview is not None and Path(preview).suffix.lower() != ".png":
        raise InvalidOptionError("--preview must be a .png file", details={"option": "preview"})
    if name is not None and not _NAME.match(str(name)):
        raise InvalidOptionError(f"--name must be 1-64 characters of a-z, 0-9, '.', '_' or '-', got {name!r}",
                                 details={"option": "name"})
    for path in (out, preview):
        if path is not None and not Path(path).parent.is_dir():
            raise InvalidOptionError(f"output folder does not exist: {Path(path).parent}")
    from .cad import is_piece_file

    if not is_piece_file(piece):
        catalog.get_piece(piece)
    if metal is not None:
        from .library import materials

        metal = materials.resolve_metal(metal)
        if metal not in materials.list_metals():
            raise InvalidOptionError(f"unknown metal {metal!r}; valid: {', '.join(materials.list_metals())}",
                                     details={"option": "metal", "valid": materials.list_metals()})
    shot = load_product_shot(photo, size=size)
    res = fit_material(piece, shot, metal=metal, iterations=iterations, spp=spp, seed=seed)
    if out is not None:
        res.preset_id = write_preset(res, out, name=name, preview=preview)
    elif preview is not None:
        from ._files import write_all
        import imageio.v3 as iio

        write_all([(Path(preview), lambda tmp: iio.imwrite(tmp, res.pictures(), extension=".png"))])
    return res
