"""How good is the lighting recovered from a photo? Measured against real HDRIs.

For each HDRI in ``--hdri-dir``:

1. **Photo.** A real dev photo's hand placement (MediaPipe on
   ``photos/hands/ringtryon_target_left.jpg``, ``place_ring``) gives the proxy
   capsules and the camera. The capsules, given a diffuse skin albedo, are
   rendered by Mitsuba (``llvm_ad_spectral`` / ``cuda_ad_spectral`` through
   ``backend.select()``, path tracer, 32 spp) under the HDRI, with the HDRI itself as the
   visible background, at 1/3 of the photo's resolution. Then a phone's camera
   (``--camera phone``, the default): the skin's subsurface scattering
   (:func:`subsurface`), auto-exposure metering the frame (:func:`frame_exposure`;
   ``--metering skin``: the hand's median luminance at :data:`SKIN_TARGET`, the
   benchmark until 2026-12-03), auto white balance (:func:`awb_gains`) and a tone
   curve with a highlight shoulder (:func:`tone_curve`), to uint8 sRGB: that is the
   "photo" (``--camera raw``: clipped linear, sRGB-encoded). The true environment,
   times the exposure and the white balance's gains, is the reference; the truth's
   rings are compared through the tone curve.
2. **Estimate** from that image alone: ``estimate_lighting(photo, camera,
   placement, method=...)``.
3. **Ring.** A polished 18k yellow-gold court band (measured n, k; 4 mm x 1.8 mm,
   the placement's inner diameter and pose) on the finger proxies is rendered
   at 128 x 128 by a narrow camera at the photo camera's centre looking at the
   ring, under each environment. Compared over the ring's pixels (first hit is
   the band, eroded by one pixel): PSNR of the sRGB-encoded images (clipped to
   [0, 1], i.e. at the photo's exposure) and the mean CIEDE2000.

Frame convention. jewelrender's environment maps are in the camera frame
(``lighting/envmap.py``: top row up = -y, centre column forward = +z, right =
+x). An HDRI file is used *as is* in that layout: its top row is the sky, its
centre column is what the camera looks at, its right half is to the camera's
right. So the true and estimated maps share one frame and no rotation is
needed; the photo, the estimate and the ring renders all use
``EnvMap.to_mitsuba()``.

Also reported: the angular error of the dominant light (the HDRI's brightest
direction, only where it is clearly dominant: at least :data:`KEY_SHARE_MIN`
of the map's power within :data:`KEY_CONE_DEG` of it) against ``photo_fit``'s
``key_direction``; and the relative error of the total power (mean radiance
luminance over the sphere) of each map against the truth.

Baselines: ``uniform`` (grey, level from the skin), ``studio``
(studio_small_03, scaled so its mean radiance equals the uniform baseline's
level) and ``surround`` (photo_fit's photo-only map, before the key-light fit
and the albedo-bounded scale: ``photo_fit._surroundings`` at face value).

Each HDRI is used as stored and turned half a turn (``--turns 0,180``), and the
hand is given three skin albedos (``--skins light,medium,dark``): with the 20 HDRIs
of the data folder 120 rows, ~5 s a row without the rings (``--pieces ""``) and
~60-90 s with them on the shared 2 CPU cores. Every HDRI of the folder is used
(``--hdris`` picks some); the summary breaks the results down per skin and per HDRI
kind (:data:`HDRI_KINDS`). Results and their reading: ``docs/lighting.md``.

Usage::

    python benchmarks/bench_lighting.py [--hdri-dir DIR] [--skins light,medium,dark] [--turns 0,180]
                                        [--spp 64] [--ablate] [--json out.json] [--save DIR]

``--ablate`` also renders the rings under the closed-form map with each of its parts switched off and
with the true albedo (:func:`jewelrender.lighting.photo_fit.ablation_maps`) and under the try-on's own
render map; every row also has the power by region (:func:`region_power`) and each ring's brightness
over the truth's. The script imports the ``jewelrender`` of its own checkout, not an installed one (from a
git worktree, an installed editable package is the main checkout's code).

A benchmark, not a test: it prints a table and (optionally) writes JSON.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # this checkout's jewelrender, not an installed one
from common import data_dir, dump, machine, provenance

#: Diffuse skin albedos (linear sRGB) of the proxy: illustrative light / medium / dark skins (luminance
#: 0.49 / 0.33 / 0.09), chosen to span the range, not measured values.
SKINS = {"light": np.array([0.62, 0.46, 0.37]), "medium": np.array([0.45, 0.30, 0.22]),
         "dark": np.array([0.15, 0.08, 0.055])}
SKIN_TARGET = 0.20                            # median skin luminance of the "photo" (auto-exposure)
PHOTO_SCALE = 1.0 / 3.0                       # of the dev photo's resolution
RING_RES = 128
KEY_CONE_DEG = 20.0
KEY_SHARE_MIN = 0.25
METHODS = ("photo_fit", "refined", "uniform", "studio", "surround")
BASELINES = ("uniform", "studio", "surround")
#: Row figures taken from photo_fit's closed-form estimate (besides the ``photo_fit_*`` ones).
PHOTO_FIT_FIELDS = ("albedo_lum", "albedo_source", "albedo_de", "albedo_monk", "monk", "ita", "key_err_deg",
                    "fit_seconds")
PIECES = ("band", "solitaire")


#: The HDRIs by kind (from ../shared/data/MANIFEST.md's descriptions): the per-kind tables of the summary.
#: An HDRI not listed here is reported as "unknown" (the summary says so; add it).
HDRI_KINDS = {
    "adams_place_bridge": "indoor", "artist_workshop": "indoor", "empty_warehouse_01": "indoor",
    "fireplace": "indoor", "hotel_room": "indoor", "lebombo": "indoor", "royal_esplanade": "indoor",
    "studio_small_03": "studio", "studio_small_08": "studio",
    "blouberg_sunrise_2": "outdoor", "dikhololo_night": "outdoor", "dry_hay_field": "outdoor",
    "evening_meadow": "outdoor", "immenstadter_horn": "outdoor", "kiara_1_dawn": "outdoor",
    "moonless_golf": "outdoor", "portland_landing_pad": "outdoor", "rooitou_park": "outdoor",
    "spruit_sunrise": "outdoor", "studio_garden": "outdoor",
}

#: Skin's diffusion profile as a sum of Gaussians (variance mm^2; weights R, G, B, each channel summing
#: to 1): d'Eon & Luebke (2007), "Advanced Techniques for Realistic Real-Time Skin Rendering", GPU Gems 3,
#: ch. 14, the six-Gaussian fit to a three-layer skin model. Red light diffuses millimetres, blue hardly.
SKIN_DIFFUSION = ((0.0064, (0.233, 0.455, 0.649)), (0.0484, (0.100, 0.336, 0.344)),
                  (0.187, (0.118, 0.198, 0.0)), (0.567, (0.113, 0.007, 0.007)),
                  (1.99, (0.358, 0.004, 0.0)), (7.41, (0.078, 0.0, 0.0)))
#: The phone's tone curve: linear (then the sRGB encoding) up to TONE_KNEE, above it a shoulder
#: ``k + (1 - k) u / (1 + u)``, ``u = (x - k) / (1 - k)`` (slope 1 at the knee): 1.0 reads 0.85, 2.0
#: reads 0.94, 8.0 reads 0.99 (8-bit code 254). The estimator decodes plain sRGB, as it does for every
#: photo: it cannot know a phone's shoulder.
TONE_KNEE = 0.7
#: The phone's auto-exposure: the log-average of the frame's luminance, centre-weighted (a Gaussian of
#: METER_SIGMA of the frame's short side), is put at mid-grey (Reinhard et al. 2002's "key" 0.18). A phone
#: meters the frame (or a face), not a hand: a dark hand comes out dark and the room clips less than when
#: the skin itself is metered to SKIN_TARGET (``--metering skin``, the benchmark until 2026-12-03).
METER_KEY = 0.18
METER_SIGMA = 0.4
#: ... with highlight protection: at most this share of the centre-weighted frame clips (a sun or a lamp
#: smaller than that may; a sky filling the frame behind the hand is kept off the clip, the hand darkens).
METER_CLIP_SHARE = 0.02
#: ... where "clips" means beyond what the tone curve's shoulder still grades (linear 4 reads 0.975, code 252).
METER_WHITE = 4.0
#: The share of the grey-world correction the camera applies (its auto white balance): cameras limit the
#: correction (a frame full of skin is not grey), 1 = full grey world.
AWB_STRENGTH = 0.7


def subsurface(lin: np.ndarray, hand: np.ndarray, mm_per_px: float) -> np.ndarray:
    """``lin`` with the hand's pixels blurred by skin's diffusion profile (:data:`SKIN_DIFFUSION`).

    A screen-space approximation of subsurface scattering (Jimenez et al. 2009): the render of
    diffuse skin is albedo x irradiance, the blur spreads the irradiance as the profile does, per
    channel. Normalised within the hand (the background does not bleed into the skin).
    """
    import cv2

    m = hand.astype(np.float32)
    out = lin.copy()
    acc = np.zeros_like(lin, dtype=np.float64)
    for var, w in SKIN_DIFFUSION:
        sigma = np.sqrt(var) / mm_per_px
        if sigma < 0.3:  # narrower than a pixel: the pixel itself
            b = lin * m[..., None]
            n = m
        else:
            b = cv2.GaussianBlur((lin * m[..., None]).astype(np.float32), (0, 0), sigma)
            n = cv2.GaussianBlur(m, (0, 0), sigma)
        acc += np.asarray(w)[None, None, :] * b / np.maximum(n, 1e-6)[..., None]
    out[hand] = acc[hand]
    return out


def frame_exposure(lin: np.ndarray) -> float:
    """The factor that puts the frame's centre-weighted log-average luminance at :data:`METER_KEY`, lowered
    where that would put more than :data:`METER_CLIP_SHARE` of the (centre-weighted) frame beyond
    :data:`METER_WHITE`."""
    from jewelrender.color import luminance

    h, w = lin.shape[:2]
    yy, xx = np.meshgrid(np.arange(h) - (h - 1) / 2, np.arange(w) - (w - 1) / 2, indexing="ij")
    s = METER_SIGMA * min(h, w)
    wt = np.exp(-(xx ** 2 + yy ** 2) / (2 * s * s)).ravel()
    y = luminance(lin).ravel()
    log_avg = float(np.exp((wt * np.log(y + 1e-4)).sum() / wt.sum()))
    order = np.argsort(y)
    cum = np.cumsum(wt[order]) / wt.sum()
    y_hi = float(y[order][np.searchsorted(cum, 1.0 - METER_CLIP_SHARE)])
    return min(METER_KEY / max(log_avg, 1e-12), METER_WHITE / max(y_hi, 1e-12))


def tone_curve(x: np.ndarray) -> np.ndarray:
    """The phone's highlight shoulder (:data:`TONE_KNEE`), in linear units before the sRGB encoding."""
    k = TONE_KNEE
    x = np.maximum(np.asarray(x, np.float64), 0.0)
    u = np.maximum(x - k, 0.0) / (1.0 - k)
    return np.where(x <= k, x, k + (1.0 - k) * u / (1.0 + u))


def awb_gains(lin: np.ndarray) -> np.ndarray:
    """The camera's auto white balance: per-channel gains (green 1) of a partial grey world over the
    frame's unclipped pixels (:data:`AWB_STRENGTH`)."""
    ok = lin.max(axis=-1) < 1.0
    mean = lin[ok].mean(axis=0) if ok.sum() > 100 else lin.reshape(-1, 3).mean(axis=0)
    g = (mean[1] / np.maximum(mean, 1e-9)) ** AWB_STRENGTH
    return g / g[1]


def camera_pipeline(lin: np.ndarray, camera: str):
    """What the camera makes of the exposed linear render: ``(sRGB uint8 photo, AWB gains, curve)``;
    ``curve(x)`` is what the photo decoded as plain sRGB reads for linear ``x`` after the white balance.
    ``camera``: ``"raw"`` (clip and sRGB, the benchmark until 2026-12-03) or ``"phone"`` (auto white
    balance and the tone curve; the skin's subsurface scattering is applied before the exposure)."""
    from jewelrender.color import linear_to_srgb8

    if camera == "raw":
        return linear_to_srgb8(lin), np.ones(3), lambda x: np.clip(x, 0.0, 1.0)
    g = awb_gains(lin)
    return linear_to_srgb8(tone_curve(lin * g)), g, tone_curve


def _mesh(mi, name, v, f, n, bsdf):
    props = mi.Properties()
    props["bsdf"] = mi.load_dict(bsdf)
    mesh = mi.Mesh(name, len(v), len(f), props=props, has_vertex_normals=n is not None)
    p = mi.traverse(mesh)
    p["vertex_positions"] = mi.Float(np.ascontiguousarray(v, np.float32).ravel())
    p["faces"] = mi.UInt32(np.ascontiguousarray(f, np.uint32).ravel())
    if n is not None:
        p["vertex_normals"] = mi.Float(np.ascontiguousarray(n, np.float32).ravel())
    p.update()
    return mesh


def _proxy_meshes(mi, capsules, albedo):
    from jewelrender.sites.proxies import capsule_mesh

    bsdf = {"type": "diffuse", "reflectance": {"type": "rgb", "value": [float(a) for a in albedo]}}
    return {f"cap{i}": _mesh(mi, f"cap{i}", *capsule_mesh(c.p0, c.p1, c.radius), bsdf) for i, c in enumerate(capsules)}


def load_hdri(path: Path, height: int = 256) -> np.ndarray:
    """An equirectangular HDRI as (height, 2 height, 3) float32 linear radiance (area-averaged)."""
    import cv2
    import mitsuba as mi

    img = np.array(mi.Bitmap(str(path)).convert(mi.Bitmap.PixelFormat.RGB, mi.Struct.Type.Float32, False))
    return cv2.resize(img, (2 * height, height), interpolation=cv2.INTER_AREA).astype(np.float32)


def render_photo(cam, placement, env, albedo, spp: int, seed: int = 0) -> np.ndarray:
    """Linear (H, W, 3) render of the skin proxies under ``env`` with ``env`` as background."""
    import mitsuba as mi

    fov = float(np.degrees(2 * np.arctan(cam.width / (2 * cam.fx))))
    scene = mi.load_dict({
        "type": "scene",
        "integrator": {"type": "path", "max_depth": 4},
        "sensor": {"type": "perspective", "fov": fov, "fov_axis": "x",
                   "to_world": mi.ScalarTransform4f().look_at(origin=[0, 0, 0], target=[0, 0, 1], up=[0, -1, 0]),
                   "film": {"type": "hdrfilm", "width": cam.width, "height": cam.height, "pixel_format": "rgb"},
                   "sampler": {"type": "independent", "sample_count": spp}},
        "env": env.to_mitsuba(),
        **_proxy_meshes(mi, placement.proxies, albedo),
    })
    return np.array(mi.render(scene, seed=seed), dtype=np.float64)


class RingView:
    """A piece on the finger, seen by a narrow camera at the photo camera's centre.

    ``piece``: ``"band"`` (a polished 18k yellow-gold court band, 4 x 1.8 mm,
    Mitsuba's ``path`` integrator) or ``"solitaire"`` (``assets.solitaire_ring``:
    a 1 ct round brilliant diamond, ``scene.stone_bsdf_dict("diamond")``, in an
    18k yellow-gold basket on a 2 x 1.7 mm band, jewelrender's ``hero_path``
    integrator for the dispersive stone).
    """

    def __init__(self, placement, albedo, spp: int, piece: str = "band"):
        import cv2
        import mitsuba as mi

        from jewelrender.geometry import assets
        from jewelrender.library import materials
        from jewelrender.sites.proxies import raycast_capsules
        from jewelrender.scene import piece_to_camera, stone_bsdf_dict

        if piece == "band":
            parts = [assets.court_band(placement.inner_diameter_mm, 4.0, 1.8)]
        else:
            parts = assets.solitaire_ring(inner_diameter_mm=placement.inner_diameter_mm)
        M = piece_to_camera(placement.center_cam, placement.axis_cam, placement.up_cam)
        R = M[:3, :3] / np.linalg.norm(M[:3, 0])
        metal = materials.prepare_for_mitsuba(materials.metal_bsdf_dict("yellow-gold-18k"))
        self.parts, verts = {}, []
        for part in parts:
            v = part.vertices.astype(np.float64) @ M[:3, :3].T + M[:3, 3]
            n = None if part.normals is None else part.normals.astype(np.float64) @ R.T
            bsdf = stone_bsdf_dict("diamond") if part.role == "stone" else metal
            self.parts[part.name] = _mesh(mi, part.name, v, part.faces, n, bsdf)
            verts.append(v)
        v = np.concatenate(verts)
        self.integrator = ({"type": "path", "max_depth": 8} if piece == "band"
                           else {"type": "hero_path", "max_depth": 12})
        self.proxies = _proxy_meshes(mi, placement.proxies, albedo)
        c = np.asarray(placement.center_cam, float) if piece == "band" else v.mean(axis=0)
        dist = float(np.linalg.norm(c))
        radius = float(np.linalg.norm(v - c, axis=1).max())
        self.fov = float(np.degrees(2 * np.arctan(1.25 * radius / dist)))
        self.to_world = mi.ScalarTransform4f().look_at(origin=[0, 0, 0], target=c.tolist(), up=[0, -1, 0])
        self.spp = spp

        # Which pixels see the piece first (pixel-centre rays, same pinhole as Mitsuba's sensor).
        fwd = c / dist
        left = np.cross([0.0, -1.0, 0.0], fwd)
        left /= np.linalg.norm(left)
        up = np.cross(fwd, left)
        t = np.tan(np.radians(self.fov) / 2)
        s = ((np.arange(RING_RES) + 0.5) / RING_RES * 2 - 1) * t
        sx, sy = np.meshgrid(s, s)
        d = fwd[None] - sx.reshape(-1, 1) * left[None] + -sy.reshape(-1, 1) * up[None]
        d /= np.linalg.norm(d, axis=1, keepdims=True)
        piece_scene = mi.load_dict({"type": "scene", **self.parts})
        rays = mi.Ray3f(mi.Point3f(np.zeros((3, len(d)), np.float32)), mi.Vector3f(d.T.astype(np.float32)))
        tb = np.array(piece_scene.ray_intersect(rays).t)
        tc, _, _ = raycast_capsules(np.zeros_like(d), d, placement.proxies)
        mask = (np.isfinite(tb) & (tb < tc)).reshape(RING_RES, RING_RES)
        self.mask = cv2.erode(mask.astype(np.uint8), np.ones((3, 3), np.uint8)).astype(bool)

    def render(self, env, seed: int = 1) -> np.ndarray:
        import mitsuba as mi

        scene = mi.load_dict({
            "type": "scene",
            "integrator": self.integrator,
            "sensor": {"type": "perspective", "fov": self.fov, "fov_axis": "x", "to_world": self.to_world,
                       "film": {"type": "hdrfilm", "width": RING_RES, "height": RING_RES, "pixel_format": "rgb"},
                       "sampler": {"type": "independent", "sample_count": self.spp}},
            "env": env.to_mitsuba(),
            **self.parts,
            **self.proxies,
        })
        return np.array(mi.render(scene, seed=seed), dtype=np.float64)


def ring_errors(img, ref, mask) -> tuple[float, float]:
    """(PSNR dB of sRGB-encoded [0,1] values, mean CIEDE2000) over ``mask``."""
    from jewelrender.color import delta_e_2000, linear_to_srgb, rgb_to_lab

    a, b = np.clip(img[mask], 0, 1), np.clip(ref[mask], 0, 1)
    mse = float(np.mean((linear_to_srgb(a) - linear_to_srgb(b)) ** 2))
    psnr = 10 * np.log10(1.0 / max(mse, 1e-12))
    de = float(np.mean(delta_e_2000(rgb_to_lab(a), rgb_to_lab(b))))
    return psnr, de


def ring_brightness(img, ref, mask) -> float:
    """The piece's mean luminance over the truth's (both clipped to [0, 1] as compared): > 1 too bright."""
    from jewelrender.color import luminance

    a, b = np.clip(img[mask], 0, 1), np.clip(ref[mask], 0, 1)
    return float(luminance(a).mean() / max(float(luminance(b).mean()), 1e-12))


#: Regions of the sphere for where a map's power lies: the photo's frame, the rest of the hemisphere the
#: camera faces (beyond the frame: the border continued, a guess), and the hemisphere behind the camera.
REGIONS = ("frame", "beyond_frame", "behind_camera")


def region_power(env, cam) -> dict:
    """The map's power (luminance x solid angle, at 64 x 128) in each of :data:`REGIONS`."""
    import cv2

    from jewelrender.color import luminance
    from jewelrender.lighting.envmap import texel_directions, texel_solid_angles

    d = texel_directions(64, 128)
    P = luminance(cv2.resize(env.radiance, (128, 64), interpolation=cv2.INTER_AREA)) * texel_solid_angles(64, 128)
    z = np.maximum(d[..., 2], 1e-6)
    u, v = cam.fx * d[..., 0] / z + cam.cx, cam.fy * d[..., 1] / z + cam.cy
    frame = (d[..., 2] > 1e-3) & (u >= 0) & (u < cam.width) & (v >= 0) & (v < cam.height)
    masks = {"frame": frame, "beyond_frame": (d[..., 2] >= 0) & ~frame, "behind_camera": d[..., 2] < 0}
    return {k: float(P[m].sum()) for k, m in masks.items()}


def dominant_light(env) -> tuple[np.ndarray, float]:
    """Brightest direction of a map (camera frame) and the share of its power within KEY_CONE_DEG."""
    import cv2

    from jewelrender.color import luminance
    from jewelrender.lighting.envmap import texel_directions, texel_solid_angles

    small = cv2.resize(env.radiance, (128, 64), interpolation=cv2.INTER_AREA)

    d = texel_directions(64, 128)
    P = luminance(small) * texel_solid_angles(64, 128)
    k = np.unravel_index(np.argmax(luminance(small)), P.shape)
    peak = d[k]
    cone = (d @ peak) > np.cos(np.radians(KEY_CONE_DEG))
    return peak, float(P[cone].sum() / max(P.sum(), 1e-12))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--hdri-dir", type=Path, default=None, help="default: DATA/hdri (../shared/data/hdri)")
    ap.add_argument("--photo", type=Path, default=None, help="the dev hand photo whose placement is used")
    ap.add_argument("--spp", type=int, default=64, help="samples per pixel of the ring renders")
    ap.add_argument("--photo-spp", type=int, default=32)
    ap.add_argument("--stone-spp", type=int, default=64, help="samples per pixel of the solitaire renders")
    ap.add_argument("--pieces", default="band,solitaire", help=f"of {', '.join(PIECES)}")
    ap.add_argument("--refine", type=int, default=24, help="Adam iterations of the 'refined' column")
    ap.add_argument("--turns", default="0,180",
                    help="azimuths (degrees, comma-separated) to turn each HDRI by about the vertical axis: "
                         "0 = as stored, 180 = what was in front of the camera is behind it")
    ap.add_argument("--skins", default="light,medium,dark", help=f"proxy skin albedos, of {', '.join(SKINS)}")
    ap.add_argument("--camera", default="phone", choices=("phone", "raw"),
                    help="phone: skin subsurface scattering, auto white balance and a tone curve on the synthetic "
                         "photo; raw: clipped linear sRGB (the benchmark until 2026-12-03)")
    ap.add_argument("--metering", default="frame", choices=("frame", "skin"),
                    help="auto-exposure: frame = the frame's centre-weighted log-average at mid-grey (a phone); "
                         "skin = the hand's median luminance at SKIN_TARGET (the benchmark until 2026-12-03)")
    ap.add_argument("--composite", default="srgb", choices=("srgb", "camera"),
                    help="how our rings are shown: srgb = as jewelrender composites (plain sRGB, clipped); "
                         "camera = through the phone's tone curve, as the truth's (a composite that knew the curve)")
    ap.add_argument("--hdris", default=None, help="comma-separated HDRI names (stems without _1k) to run, default all")
    ap.add_argument("--json", default=None)
    ap.add_argument("--save", type=Path, default=None,
                    help="write each HDRI's photo, ring renders and maps (sRGB PNG, photo exposure) here")
    ap.add_argument("--summary", type=Path, default=None,
                    help="print the summary of a saved --json run instead of running")
    ap.add_argument("--render-methods", default=",".join(METHODS),
                    help="the maps whose rings are rendered (the truth's always are); with fewer, merge the "
                         "run into a full one with --merge")
    ap.add_argument("--ablate", action="store_true",
                    help="also render the rings under the closed-form map with each of its parts switched off "
                         "(photo_fit.ablation_maps: key lobe, back gain, clip gain, photographer) and with the true "
                         "albedo in its energy balance; row keys {piece}_abl_{variant}_de / _ratio")
    ap.add_argument("--merge", type=Path, nargs=2, default=None, metavar=("BASE", "PARTIAL"),
                    help="BASE's rows with PARTIAL's figures put over them (same rows and settings; the "
                         "other methods' figures must agree), summarised and written to --json")
    args = ap.parse_args(argv)
    if args.merge:
        return _merge(*args.merge, args.json)
    if args.summary:
        import json

        saved = json.loads(args.summary.read_text())
        st = saved["settings"]
        _summary(saved["rows"], st["pieces"], list(st["skins"]), st.get("studio_hdri", "studio_small_03"))
        return 0

    import cv2

    import jewelrender as jr
    from jewelrender import backend
    from jewelrender.camera import Camera
    from jewelrender.color import delta_e_2000, linear_to_srgb8, luminance, rgb_to_lab
    from jewelrender.lighting import EnvMap, estimate_lighting
    from jewelrender.lighting.photo_fit import _surroundings, ablation_maps
    from jewelrender.lighting.skin import monk_index
    from jewelrender.sites.proxies import raycast_capsules

    t_start = time.perf_counter()
    data = data_dir()
    hdri_dir = args.hdri_dir or data / "hdri"
    hdris = sorted(hdri_dir.glob("*.hdr")) + sorted(hdri_dir.glob("*.exr"))
    if args.hdris:
        want = {h.strip() for h in args.hdris.split(",") if h.strip()}
        hdris = [p for p in hdris if _hdri_name(p) in want]
    if not hdris:
        sys.exit(f"no .hdr/.exr in {hdri_dir}")
    variant = backend.select()

    src = jr.load_photo(args.photo or data / "photos" / "hands" / "ringtryon_target_left.jpg")
    with jr.Renderer() as r:  # stages 1-4 of a try-on: the gate's hand, its placement (light unused)
        prep = r.prepare(src, lighting="uniform", refine_lighting=False)
    cam_full, placement = prep.camera, prep.placement
    s = PHOTO_SCALE
    W, H = round(cam_full.width * s), round(cam_full.height * s)
    cam = Camera(W, H, cam_full.fx * W / cam_full.width, cam_full.fy * H / cam_full.height,
                 cam_full.cx * W / cam_full.width, cam_full.cy * H / cam_full.height,
                 cam_full.focal_35mm, "explicit")
    gu, gv = np.meshgrid(np.arange(W) + 0.5, np.arange(H) + 0.5)
    dirs = cam.ray_directions(np.stack([gu.ravel(), gv.ravel()], axis=1))
    _, _, idx = raycast_capsules(np.zeros_like(dirs), dirs, placement.proxies)
    hand = (idx >= 0).reshape(H, W)
    # Millimetres per photo pixel on the hand (for the skin's diffusion profile): the ring's depth.
    mm_per_px = 1000.0 * float(np.asarray(placement.center_cam, float)[2]) / cam.fx
    studio_path = data / "hdri" / "studio_small_03_1k.hdr"
    studio = load_hdri(studio_path, 64) if studio_path.is_file() else None
    studio_name = studio_path.stem.replace("_1k", "")

    turns = [float(t) for t in args.turns.split(",") if t.strip()]
    rows = []
    skins = [s.strip() for s in args.skins.split(",") if s.strip()]
    pieces = [p.strip() for p in args.pieces.split(",") if p.strip()]
    rings = {}
    for skin, path, turn in [(s, p, t) for s in skins for p in hdris for t in turns]:
        t0 = time.perf_counter()
        albedo = SKINS[skin]
        for piece in pieces:
            if (skin, piece) not in rings:
                rings[skin, piece] = RingView(placement, albedo, args.spp if piece == "band" else args.stone_spp,
                                              piece)
        env_raw = load_hdri(path)
        # Turning the world by +turn degrees about the up axis shifts the map's columns right.
        env_raw = EnvMap(np.roll(env_raw, round(turn / 360.0 * env_raw.shape[1]), axis=1))
        lin = render_photo(cam, placement, env_raw, albedo, args.photo_spp)
        if args.camera == "phone":
            lin = subsurface(lin, hand, mm_per_px)
        k = (SKIN_TARGET / max(float(np.median(luminance(lin[hand]))), 1e-12) if args.metering == "skin"
             else frame_exposure(lin))
        srgb8, wb, curve = camera_pipeline(lin * k, args.camera)
        photo = jr.load_photo(srgb8)
        # The truth in the photo's colours: the camera's white balance applies to the whole scene.
        truth = EnvMap((env_raw.radiance * k * wb[None, None, :]).astype(np.float32))

        envs = {}
        t_fit = time.perf_counter()
        lights = {"photo_fit": estimate_lighting(photo, cam, placement, method="photo_fit", refine=0)}
        t_fit = time.perf_counter() - t_fit
        lights["refined"] = estimate_lighting(photo, cam, placement, method="photo_fit", refine=args.refine)
        lights["uniform"] = estimate_lighting(photo, cam, placement, method="uniform")
        for m in ("photo_fit", "refined", "uniform"):
            envs[m] = lights[m].env
        level = float(lights["uniform"].info["radiance"])
        if studio is not None:
            st = EnvMap(studio)
            envs["studio"] = EnvMap(studio * (level / float(luminance(st.mean_radiance()[None])[0])))
        envs["surround"] = EnvMap(_surroundings(photo, cam, placement, 64))

        name = _hdri_name(path) + (f"@{turn:g}" if turn else "")
        row = {"hdri": name, "skin": skin, "kind": HDRI_KINDS.get(name.split("@")[0], "unknown"), "exposure": k,
               "awb_gains": [float(v) for v in wb], "fit_seconds": t_fit,
               "photo_clipped_share": float((srgb8[~hand].max(axis=-1) >= 250).mean())}
        rinfo = lights["refined"].info.get("refine") or {}
        row["refine_seconds"] = rinfo.get("seconds")
        row["refine_loss_before"], row["refine_loss_after"] = rinfo.get("loss_before"), rinfo.get("loss_after")
        P_true = float(luminance(truth.mean_radiance()[None])[0])
        shots = {"photo": photo.linear, "env_truth": truth.radiance}
        for m, e in envs.items():
            shots[f"env_{m}"] = e.radiance
            row[f"{m}_power_err"] = float(luminance(e.mean_radiance()[None])[0]) / P_true - 1.0
        # Where the power is: the truth's share and each fit's power over the truth's, per region.
        reg_true = region_power(truth, cam)
        for k, v in reg_true.items():
            row[f"power_share_{k}"] = v / max(sum(reg_true.values()), 1e-12)
        for m in ("photo_fit", "refined"):
            for k, v in region_power(envs[m], cam).items():
                row[f"{m}_power_ratio_{k}"] = v / max(reg_true[k], 1e-12)
        abl = {}
        if args.ablate:
            abl = ablation_maps(photo, cam, placement, albedo_luminance=float(luminance(albedo[None])[0]))
            # What a try-on renders the piece in: the refined map with the photo's detail, the key re-spread
            # (Lighting.render_env); the benchmark's columns judge the fitted map itself.
            abl["rendered"] = lights["refined"].render_env.radiance
        rendered = [m.strip() for m in args.render_methods.split(",") if m.strip()]
        for piece in pieces:
            ring = rings[skin, piece]
            # The truth's ring as the camera shows it (its tone curve; ours composites with plain sRGB).
            ref = curve(ring.render(truth))
            shots[f"{piece}_truth"] = ref
            for m, e in envs.items():
                if m not in rendered:
                    continue
                img = ring.render(e)
                if args.composite == "camera":
                    img = curve(img)
                shots[f"{piece}_{m}"] = img
                row[f"{piece}_{m}_psnr"], row[f"{piece}_{m}_de"] = ring_errors(img, ref, ring.mask)
                row[f"{piece}_{m}_ratio"] = ring_brightness(img, ref, ring.mask)
            for v, rad in abl.items():
                img = ring.render(EnvMap(rad))
                row[f"{piece}_abl_{v}_de"] = ring_errors(img, ref, ring.mask)[1]
                row[f"{piece}_abl_{v}_ratio"] = ring_brightness(img, ref, ring.mask)
        peak, share = dominant_light(truth)
        row["key_share"] = share
        # Where the true key is: elevation above the camera's horizon and whether it is on the camera's side.
        row["key_true_elev_deg"] = float(np.degrees(np.arcsin(np.clip(-peak[1], -1, 1))))
        row["key_true_front"] = bool(peak[2] < 0)
        if args.save:
            import imageio.v3 as iio

            args.save.mkdir(parents=True, exist_ok=True)
            for tag, im in shots.items():
                im = im if not tag.startswith("env") else cv2.resize(im, (256, 128))
                iio.imwrite(args.save / f"{skin}_{name}_{tag}.png", linear_to_srgb8(im))
        kd = lights["photo_fit"].info.get("key_direction")
        row["key_err_deg"] = (float(np.degrees(np.arccos(np.clip(np.dot(kd, peak), -1, 1))))
                              if kd is not None and share >= KEY_SHARE_MIN else None)
        tone = lights["photo_fit"].info.get("skin_tone", {})
        row["monk"] = tone.get("monk")
        row["albedo_monk"] = tone.get("albedo_monk")
        row["true_monk"] = monk_index(rgb_to_lab(albedo))[0]
        row["ita"] = tone.get("ita_deg")
        row["albedo_lum"] = lights["photo_fit"].info.get("albedo_luminance")
        row["albedo_lum_true"] = float(luminance(albedo[None])[0])
        row["albedo_source"] = lights["photo_fit"].info.get("albedo_source")
        if "albedo_lab" in tone:
            row["albedo_de"] = float(delta_e_2000(np.array(tone["albedo_lab"]), rgb_to_lab(albedo)))
        row["seconds"] = time.perf_counter() - t0
        rows.append(row)
        _print_row(row, pieces, header=len(rows) == 1 or rows[-2]["skin"] != skin)
        if len(rows) == len(hdris) * len(turns) * (skins.index(skin) + 1):
            _print_medians([r for r in rows if r["skin"] == skin], pieces, f"MEDIAN {skin}")

    _summary(rows, pieces, skins, studio_name)
    total = time.perf_counter() - t_start
    print(f"variant {variant}; photo {W}x{H} at {args.photo_spp} spp, rings {RING_RES}x{RING_RES} at {args.spp} "
          f"(band) / {args.stone_spp} (solitaire) spp; {total:.0f} s total")
    dump(args.json, {"rows": rows, "machine": machine(), "seconds": total, **provenance(),
                     "settings": {"render_methods": rendered, "spp": args.spp, "stone_spp": args.stone_spp, "photo_spp": args.photo_spp,
                                  "refine": args.refine, "pieces": pieces, "ablate": bool(args.ablate),
                                  "skins": {k: SKINS[k].tolist() for k in skins},
                                  "skin_target": SKIN_TARGET, "studio_hdri": studio_name, "camera": args.camera,
                                  "metering": args.metering, "composite": args.composite,
                                  "tone_knee": TONE_KNEE, "awb_strength": AWB_STRENGTH,
                                  "key_cone_deg": KEY_CONE_DEG, "key_share_min": KEY_SHARE_MIN, "turns": turns,
                                  "ring_pixels": {f"{k[0]}/{k[1]}": int(v.mask.sum()) for k, v in rings.items()}}})
    return 0


def _hdri_name(path: Path) -> str:
    """``adams_place_bridge_1k.hdr`` -> ``adams_place_bridge``; ``hotel_room_1k_blender.exr`` -> ``hotel_room``."""
    return path.stem.replace("_1k_blender", "").replace("_1k", "")


def _merge(base: Path, partial: Path, out: str | None) -> int:
    """A full run's rows with a partial run's figures over them (``--render-methods``: only some maps'
    rings rendered, e.g. after a change that touches one method alone). Every figure both runs have
    for the methods the partial run did not change must agree, or nothing is written."""
    import json

    b, p = (json.loads(path.read_text()) for path in (base, partial))
    keep = ("render_methods", "hdri_dir")
    if {k: v for k, v in b["settings"].items() if k not in keep} != \
            {k: v for k, v in p["settings"].items() if k not in keep}:
        sys.exit("the two runs' settings differ")
    changed = set(p["settings"]["render_methods"])
    # Row figures that come from photo_fit's closed-form estimate without naming a method: the partial
    # run's when it re-rendered that column (a change of the closed-form fit moves them too).
    own = PHOTO_FIT_FIELDS if "photo_fit" in changed else ()
    new = {(r["hdri"], r["skin"]): r for r in p["rows"]}
    if set(new) != {(r["hdri"], r["skin"]) for r in b["rows"]}:
        sys.exit("the two runs have different rows")
    # Mitsuba's LLVM film sums its samples in thread order, so two runs' synthetic photos (and so the
    # estimates from them) agree to rounding, not bit for bit: a figure may differ by 1e-6 relative.
    rows, checked, worst = [], 0, (0.0, "")
    for r in b["rows"]:
        q = new[(r["hdri"], r["skin"])]
        for k, v in q.items():
            same_method = (any(k.startswith(f"{m}_") or f"_{m}_" in k for m in changed) or k.startswith("refine_")
                           or k in own)
            if k in r and not same_method and isinstance(v, float) and not k.endswith("seconds") and k != "seconds":
                rel = abs(v - r[k]) / max(1.0, abs(v))
                if rel > 1e-3:
                    sys.exit(f"{r['hdri']}/{r['skin']}: {k} differs ({r[k]} vs {v}): not the same code for it")
                worst = max(worst, (rel, f"{r['hdri']}/{r['skin']} {k}"))
                checked += 1
        rows.append({**r, **{k: v for k, v in q.items() if k not in r or k in own or any(
            k.startswith(f"{m}_") or f"_{m}_" in k or k.startswith("refine_") for m in changed)}})
    print(f"merged {len(rows)} rows; {checked} figures of the unchanged methods agree between the two runs "
          f"(largest relative difference {worst[0]:.1e}, {worst[1] or '-'})")
    st = b["settings"]
    _summary(rows, st["pieces"], list(st["skins"]), st.get("studio_hdri", "studio_small_03"))
    merged = {**p, "rows": rows, "settings": {**st, "render_methods": list(METHODS)},
              "merged_from": {"base": {"file": base.name, **{k: b.get(k) for k in ("date", "commit", "seconds")}},
                              "agreement": {"figures": checked, "max_relative_difference": worst[0]},
                              "partial": {"file": partial.name, "render_methods": sorted(changed),
                                          **{k: p.get(k) for k in ("date", "commit", "seconds")}}}}
    dump(out, merged)
    return 0


def _summary(rows, pieces, skins, studio_name):
    """The medians, win counts, key-light errors and refinement figures of a run (also from ``--summary``)."""
    from make_docs_tables import lighting_breakdown

    print("\n" + lighting_breakdown(rows, pieces, skins))
    if len(skins) > 1:
        _print_medians(rows, pieces, "MEDIAN all")
    print()
    for piece in pieces:
        for m in ("photo_fit", "refined"):
            def win(r, piece=piece, m=m):
                return all(r[f"{piece}_{m}_de"] < r[f"{piece}_{b}_de"] for b in BASELINES if f"{piece}_{b}_de" in r)
            per = ", ".join(f"{sk} {sum(win(r) for r in rows if r['skin'] == sk)}/"
                            f"{sum(r['skin'] == sk for r in rows)}" for sk in skins)
            print(f"{piece:9s} {m:9s} beats every baseline on dE00 in {sum(win(r) for r in rows)}/{len(rows)} "
                  f"({per})")
            # On the studio baseline's own HDRI that baseline is the truth up to exposure (an oracle,
            # not a baseline): those rows are also counted without it.
            fair = [r for r in rows if not r["hdri"].startswith(studio_name)]
            if fair and len(fair) < len(rows):
                print(f"{'':9s} {m:9s}   without the studio HDRI's own rows: {sum(win(r) for r in fair)}/{len(fair)} "
                      f"({sum(win(r) for r in fair) / len(fair):.0%})")
    # The issue's unit is the HDRI: per HDRI, the median dE00 over its turns and skins against each baseline's.
    names = sorted({r["hdri"].split("@")[0] for r in rows})
    for piece in pieces:
        for m in ("photo_fit", "refined"):
            won = []
            for h in names:
                sel = [r for r in rows if r["hdri"].split("@")[0] == h]
                med = {k: statistics.median(r[f"{piece}_{k}_de"] for r in sel)
                       for k in (m, *BASELINES) if f"{piece}_{k}_de" in sel[0]}
                if all(med[m] < v for k, v in med.items() if k != m):
                    won.append(h)
            print(f"{piece:9s} {m:9s} beats every baseline on the median dE00 of {len(won)}/{len(names)} HDRIs "
                  f"(not: {', '.join(h for h in names if h not in won) or 'none'})")
    if any(k.startswith(f"{pieces[0]}_abl_") for k in (rows[0] if rows and pieces else {})):
        from make_docs_tables import ablation_table

        print("\n" + ablation_table(rows, pieces, skins))
    for front in (False, True):
        sel = [r for r in rows if r["key_true_front"] == front and r["key_err_deg"] is not None]
        if sel:
            print(f"median key-light error, key {'on the camera side' if front else 'behind the hand'}: "
                  f"{statistics.median(r['key_err_deg'] for r in sel):.0f}° (n={len(sel)})")
    sel = [r["key_err_deg"] for r in rows if r["key_err_deg"] is not None]
    if sel:
        print(f"median key-light error, every row with a clear key: {statistics.median(sel):.0f}° (n={len(sel)})")
    print(f"key light clearly dominant in {sum(r['key_err_deg'] is not None for r in rows)}/{len(rows)}")
    ref_rows = [r for r in rows if r.get("refine_loss_before")]
    if ref_rows:
        print(f"refinement: loss lower after in {sum(r['refine_loss_after'] < r['refine_loss_before'] for r in ref_rows)}"
              f"/{len(ref_rows)}, median {statistics.median(r['refine_loss_before'] for r in ref_rows):.4f} -> "
              f"{statistics.median(r['refine_loss_after'] for r in ref_rows):.4f}; median "
              f"{statistics.median(r['refine_seconds'] for r in ref_rows):.2f} s (closed-form fit "
              f"{statistics.median(r['fit_seconds'] for r in rows):.2f} s)")


def _fmt(v, spec):
    return "—" if v is None else format(v, spec)


def _print_row(r, pieces, header=False):
    short = {"photo_fit": "fit", "refined": "refined", "uniform": "uniform", "studio": "studio", "surround": "surround"}
    if header:
        print(f"\nskin: {r['skin']} (albedo {SKINS[r['skin']].tolist()}); cells: PSNR dB / mean ΔE00 over the piece")
        print("(F/B: the HDRI's brightest direction is on the camera's side of the hand / behind it)")
        print(f"{'hdri':24s} {'key°':>4s} {'share':>5s} | " + " | ".join(
            " ".join(f"{piece[:4] + ' ' + short[m]:>12s}" for m in METHODS) for piece in pieces)
            + " | power err: fit  refd  unif  surr | albY est/true   albΔE")
    cells = " | ".join(" ".join(f"{_fmt(r.get(f'{p}_{m}_psnr'), '5.1f')}/{_fmt(r.get(f'{p}_{m}_de'), '<6.1f')}"
                                for m in METHODS) for p in pieces)
    pw = " ".join(f"{_fmt(r.get(f'{m}_power_err'), '+5.0%')}" for m in ("photo_fit", "refined", "uniform", "surround"))
    side = "" if r.get("key_true_front") is None else (" F" if r["key_true_front"] else " B")
    print(f"{r['hdri'] + side:24s} {_fmt(r['key_err_deg'], '4.0f')} {r['key_share']:5.2f} | {cells} |"
          f"            {pw} | {_fmt(r.get('albedo_lum'), '5.2f')}/{_fmt(r.get('albedo_lum_true'), '<5.2f')}"
          f"   {_fmt(r.get('albedo_de'), '5.1f')}")


def _print_medians(rows, pieces, label):
    med = lambda key: statistics.median([r[key] for r in rows if r.get(key) is not None]) \
        if any(r.get(key) is not None for r in rows) else None
    r = {k: med(k) for k in rows[0] if isinstance(rows[0][k], (int, float)) and not isinstance(rows[0][k], bool)}
    r["hdri"] = label
    r["key_err_deg"] = med("key_err_deg")
    r["key_true_front"] = None
    print("-" * 40)
    _print_row(r, pieces)


if __name__ == "__main__":
    raise SystemExit(main())
