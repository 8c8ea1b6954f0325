"""Differentiable refinement of the lighting with Mitsuba's automatic differentiation.

After ``photo_fit``'s closed-form fit, the proxy skin is rendered under the
estimate (a small crop of the photo camera, ``prb`` integrator, direct light)
and the lighting is optimised with ``mi.ad.Adam`` so that the render matches
the photo's skin pixels.

Parameters (all in log space, so they stay positive and start at 0):

* ``gain``: a coarse grid (:data:`GRID` = 4 x 8 texels, per channel, bilinear,
  wrapping in longitude) multiplying the environment *without* the key light:
  the low-frequency part of the room;
* ``key``: one gain per channel on the key-light lobe (its intensity and colour);
* ``albedo``: one gain per channel on the skin albedo.

Albedo and light trade off exactly (only their product is seen), so each
parameter carries a weak quadratic prior towards 0 (no change): the photo
decides the product and the shading's direction dependence, the closed-form
fit decides the split.

The fit renders in the RGB variant of the active backend (``llvm_ad_rgb`` /
``cuda_ad_rgb``; the final try-on render stays spectral) and restores the
previous variant afterwards.

Loss: mean squared difference of linear values over the skin pixels, divided
by the mean squared photo value (a relative loss, independent of exposure).
"""

from __future__ import annotations

import time

import numpy as np

from ..errors import InvalidOptionError, RenderError
from .envmap import ENV_TO_WORLD, EnvMap

__all__ = ["DEFAULT_ITERATIONS", "GRID", "refine_lighting"]

DEFAULT_ITERATIONS = 24
GRID = (4, 8)             # coarse gain grid, rows x columns over the sphere
RES = 64                  # long side of the rendered crop, pixels
SPP = 4                   # samples per pixel during the fit
EVAL_SPP = 32              # samples per pixel of the before/after loss
LEARNING_RATE = 0.08      # Adam step in log units (8 % per step at most, roughly)
PRIOR_WEIGHT = 0.02       # weight of the quadratic prior on each log gain, relative to the loss
ENV_FIT_HEIGHT = 32       # the map is refined at this height (the gains are resolution-free)


def _rgb_variant(current: str | None) -> str:
    if current and current.startswith("cuda"):
        return "cuda_ad_rgb"
    return "llvm_ad_rgb"


def _bilinear_taps(height: int, width: int, grid=GRID):
    """Indices ``(4, H*W)`` into a ``grid`` of gains and their weights, per texel of an (H, W) map.

    Grid cells are centred like texels; longitude wraps, latitude clamps.
    """
    gh, gw = grid
    v = (np.arange(height) + 0.5) / height * gh - 0.5
    u = (np.arange(width) + 0.5) / width * gw - 0.5
    v0 = np.floor(v).astype(int)
    u0 = np.floor(u).astype(int)
    fv, fu = v - v0, u - u0
    rows = [(np.clip(v0, 0, gh - 1), 1 - fv), (np.clip(v0 + 1, 0, gh - 1), fv)]
    cols = [(u0 % gw, 1 - fu), ((u0 + 1) % gw, fu)]
    idx, wts = [], []
    for r, wr in rows:
        for c, wc in cols:
            idx.append((r[:, None] * gw + c[None, :]).ravel())
            wts.append((wr[:, None] * wc[None, :]).ravel())
    return np.array(idx), np.array(wts)


def gain_field(log_gain: np.ndarray, height: int, width: int) -> np.ndarray:
    """The multiplicative gain ``(H, W, 3)`` of a log-gain grid ``(gh, gw, 3)`` (NumPy, as in the fit)."""
    log_gain = np.asarray(log_gain, dtype=np.float64)
    idx, w = _bilinear_taps(height, width, log_gain.shape[:2])
    flat = log_gain.reshape(-1, 3)
    lg = sum(w[t][:, None] * flat[idx[t]] for t in range(4))
    return np.exp(lg).reshape(height, width, 3)


def _crop_setup(camera, placement, photo, samples_ref):
    """Film size, crop window, target pixels and mask for a ~RES px render of the hand."""
    import cv2

    from ..sites.proxies import raycast_capsules
    from .skin import skin_like

    pts = camera.project(placement.points_cam)
    pad = 0.15 * float(np.ptp(pts, axis=0).max())
    x0, y0 = np.maximum(pts.min(axis=0) - pad, 0)
    x1, y1 = np.minimum(pts.max(axis=0) + pad, [camera.width, camera.height])
    s = RES / max(x1 - x0, y1 - y0, 1.0)
    fw, fh = max(1, round(camera.width * s)), max(1, round(camera.height * s))
    cx0, cy0 = int(np.floor(x0 * s)), int(np.floor(y0 * s))
    cw = max(1, min(fw - cx0, int(np.ceil(x1 * s)) - cx0))
    ch = max(1, min(fh - cy0, int(np.ceil(y1 * s)) - cy0))
    sx, sy = fw / camera.width, fh / camera.height
    small = cv2.resize(photo.linear.astype(np.float32), (fw, fh), interpolation=cv2.INTER_AREA)
    target = small[cy0:cy0 + ch, cx0:cx0 + cw].astype(np.float64)
    gu, gv = np.meshgrid((np.arange(cx0, cx0 + cw) + 0.5) / sx, (np.arange(cy0, cy0 + ch) + 0.5) / sy)
    uv = np.stack([gu.ravel(), gv.ravel()], axis=1)
    dirs = camera.ray_directions(uv)
    _, _, idx = raycast_capsules(np.zeros_like(dirs), dirs, placement.proxies)
    rgb = target.reshape(-1, 3)
    mask = (idx >= 0) & skin_like(rgb, samples_ref) & (rgb.max(axis=1) < 0.98)  # clipped pixels say nothing
    # Silhouette pixels mix skin and background in the photo but not in the render.
    mask = cv2.erode(mask.reshape(ch, cw).astype(np.uint8), np.ones((3, 3), np.uint8)).astype(bool)
    return (fw, fh), (cx0, cy0, cw, ch), target, mask


def _scene_dict(mi, camera, film, crop, env_np, albedo, placement):
    from ..sites.proxies import capsule_mesh

    fw, fh = film
    cx0, cy0, cw, ch = crop
    sensor = {
        "type": "perspective",
        "fov": float(np.degrees(2.0 * np.arctan(camera.width / (2.0 * camera.fx)))),
        "fov_axis": "x",
        "near_clip": 1e-3,
        "far_clip": 100.0,
        "to_world": mi.ScalarTransform4f().look_at(origin=[0, 0, 0], target=[0, 0, 1], up=[0, -1, 0]),
        "film": {"type": "hdrfilm", "width": fw, "height": fh, "crop_offset_x": cx0, "crop_offset_y": cy0,
                 "crop_width": cw, "crop_height": ch, "pixel_format": "rgb", "rfilter": {"type": "box"}},
        "sampler": {"type": "independent", "sample_count": SPP},
    }
    ox = (camera.cx - camera.width / 2.0) / camera.width
    oy = (camera.cy - camera.height / 2.0) / camera.height
    if abs(ox) > 1e-6 or abs(oy) > 1e-6:
        sensor["principal_point_offset_x"] = ox
        sensor["principal_point_offset_y"] = oy
    verts, faces = [], []
    off = 0
    for c in placement.proxies:
        v, f, _ = capsule_mesh(c.p0, c.p1, c.radius)
        verts.append(v)
        faces.append(f + off)
        off += len(v)
    v = np.concatenate(verts).astype(np.float32)
    f = np.concatenate(faces).astype(np.uint32)
    bsdf = mi.load_dict({"type": "diffuse", "reflectance": {"type": "rgb", "value": [float(a) for a in albedo]}})
    props = mi.Properties()
    props["bsdf"] = bsdf
    mesh = mi.Mesh("skin", len(v), len(f), props=props)
    p = mi.traverse(mesh)
    p["vertex_positions"] = mi.Float(v.ravel())
    p["faces"] = mi.UInt32(f.ravel())
    p.update()
    return {
        "type": "scene",
        # Direct light only: enough for the skin's shading, and each iteration stays cheap.
        "integrator": {"type": "prb", "max_depth": 2},
        "sensor": sensor,
        "env": {"type": "envmap", "bitmap": mi.Bitmap(env_np.astype(np.float32)),
                "to_world": mi.ScalarTransform4f(ENV_TO_WORLD.tolist())},
        "skin": mesh,
    }


def _padding_index(mi, height: int, width: int) -> np.ndarray:
    """Where each element of the envmap plugin's internal (padded) data tensor comes from.

    Mitsuba's ``envmap`` pads its texture (wrap-around columns); writing
    ``data`` directly must reproduce that layout, so it is probed once with a
    map of texel numbers.
    """
    probe = (np.arange(height * width, dtype=np.float32) + 1).reshape(height, width)
    e = mi.load_dict({"type": "envmap", "bitmap": mi.Bitmap(np.repeat(probe[..., None], 3, axis=2))})
    data = np.array(mi.traverse(e)["data"])
    ids = np.rint(data[..., 0]).astype(np.int64) - 1
    if ids.min() < 0 or ids.max() >= height * width:
        raise RenderError("unexpected layout of Mitsuba's envmap data tensor")
    return ids


def refine_lighting(photo, camera, placement, env: EnvMap, albedo, *, iterations: int = DEFAULT_ITERATIONS,
                    key_direction=None, key_lobe_deg: float = 5.0, key_part: np.ndarray | None = None,
                    seed: int = 0):
    """Refine ``env`` and ``albedo`` so the rendered proxy skin matches the photo's skin pixels.

    Parameters
    ----------
    photo : Photo
    camera : Camera
    placement : placement with ``proxies`` and ``points_cam`` (camera frame, metres)
    env : EnvMap
        The starting map (camera frame, linear sRGB, photo units), key light included.
    albedo : array_like, (3,)
        Starting skin albedo, linear sRGB.
    iterations : int
        Adam steps (>= 0; 0 returns the inputs and the loss only).
    key_direction : array_like, (3,), optional
        The key light's direction (camera frame); with ``key_part`` absent, the
        key lobe is separated from the map as the radiance within 3 lobe widths of it.
    key_part : ndarray, (H, W, 3), optional
        The key light's share of ``env`` (same shape).

    Returns
    -------
    env : EnvMap
        The refined map, same size as ``env``.
    albedo : ndarray, (3,)
    info : dict
        ``loss_before``, ``loss_after``, ``iterations``, ``seconds``, ``pixels``,
        ``albedo_gain``, ``key_gain``, ``gain_range`` (min, max of the room gain),
        ``variant`` (the one used for the fit).
    """
    if isinstance(iterations, bool) or not isinstance(iterations, (int, np.integer)) or iterations < 0:
        raise InvalidOptionError(f"refine iterations must be a non-negative integer, got {iterations!r}")
    import cv2

    from .. import backend

    t0 = time.perf_counter()
    albedo = np.asarray(albedo, dtype=np.float64).reshape(3)
    H, W = env.shape
    if key_part is None:
        key_part = np.zeros_like(env.radiance)
        if key_direction is not None:
            d = env.directions()
            near = (d @ np.asarray(key_direction, float)) > np.cos(np.radians(3.0 * key_lobe_deg))
            # Only what stands out of the smooth room counts as key: the room under the lobe stays.
            room = cv2.GaussianBlur(env.radiance, (0, 0), 3.0)
            key_part = np.where(near[..., None], np.maximum(env.radiance - room, 0.0), 0.0).astype(np.float32)
    room_full = np.maximum(env.radiance - key_part, 0.0)

    # The fit runs on a small copy of the map; the gains it finds are applied to the full one.
    h = min(ENV_FIT_HEIGHT, H)
    room_s = cv2.resize(room_full, (2 * h, h), interpolation=cv2.INTER_AREA).astype(np.float64)
    key_s = cv2.resize(key_part, (2 * h, h), interpolation=cv2.INTER_AREA).astype(np.float64)
    # Area-resizing spreads a compact lobe; keep its power.
    key_s *= (EnvMap(key_part).mean_radiance().sum() + 1e-12) / (EnvMap(key_s.astype(np.float32)).mean_radiance().sum() + 1e-12)

    from .skin import reference_skin

    ref = reference_skin(photo, camera, placement)
    film, crop, target, mask = _crop_setup(camera, placement, photo, ref)
    n_pix = int(mask.sum())
    if n_pix < 20:
        return env, albedo, {"loss_before": None, "loss_after": None, "iterations": 0, "pixels": n_pix,
                             "seconds": time.perf_counter() - t0, "skipped": "too few skin pixels in the crop"}

    backend.select()
    import drjit as dr
    import mitsuba as mi

    prev = mi.variant()
    fit_variant = _rgb_variant(prev)
    # The film's and the gradients' scatter-adds sum in thread order; on the CPU one
    # thread keeps the fit, and so the try-on, bit-identical for a seed (the promise
    # of jewelrender.pipeline). CUDA atomics have no such order: GPU fits vary in
    # the last bits.
    threads = dr.thread_count()
    try:
        mi.set_variant(fit_variant)
        if fit_variant.startswith("llvm"):
            dr.set_thread_count(1)
        try:
            out = _optimise(mi, dr, camera, placement, film, crop, target, mask, room_s, key_s, albedo,
                            iterations, seed)
        except RuntimeError as exc:  # Mitsuba / drjit failures on valid input
            raise RenderError(f"lighting refinement failed: {exc}", details={"variant": fit_variant}) from exc
    finally:
        dr.set_thread_count(threads)
        if prev is not None:
            mi.set_variant(prev)
    log_gain, log_key, log_alb, loss_before, loss_after = out

    gain = gain_field(log_gain, H, W)
    new_env = EnvMap((room_full * gain + key_part * np.exp(log_key)[None, None, :]).astype(np.float32))
    new_albedo = np.clip(albedo * np.exp(log_alb), 0.01, 0.95)
    info = {"loss_before": loss_before, "loss_after": loss_after, "iterations": int(iterations),
            "seconds": time.perf_counter() - t0, "pixels": n_pix,
            "albedo_gain": [float(v) for v in np.exp(log_alb)], "key_gain": [float(v) for v in np.exp(log_key)],
            "gain_range": [float(gain.min()), float(gain.max())], "variant": fit_variant,
            "render": {"crop": [int(crop[2]), int(crop[3])], "spp": SPP}}
    return new_env, new_albedo, info


def _optimise(mi, dr, camera, placement, film, crop, target, mask, room_s, key_s, albedo, iterations, seed):
    h, w = room_s.shape[:2]
    scene = mi.load_dict(_scene_dict(mi, camera, film, crop, room_s + key_s, albedo, placement))
    params = mi.traverse(scene)
    pad = _padding_index(mi, h, w)
    pad_idx = mi.UInt32((pad.reshape(-1, 1) * 3 + np.arange(3)[None, :]).ravel().astype(np.uint32))
    data_shape = tuple(params["env.data"].shape)
    if data_shape[:2] != pad.shape or data_shape[2] != 3:
        raise RenderError(f"unexpected envmap data shape {data_shape}")

    taps, wts = _bilinear_taps(h, w)
    taps_c = [mi.UInt32((taps[t][:, None] * 3 + np.arange(3)[None, :]).ravel().astype(np.uint32)) for t in range(4)]
    wts_c = [mi.Float(np.repeat(wts[t], 3).astype(np.float32)) for t in range(4)]
    room = mi.Float(room_s.astype(np.float32).ravel())
    key = mi.Float(key_s.astype(np.float32).ravel())
    alb0 = mi.Color3f(*[float(a) for a in albedo])

    m = mask.ravel()
    tgt = target.reshape(-1, 3)[m]
    norm = float(np.mean(tgt ** 2)) + 1e-12
    sel = mi.UInt32((np.flatnonzero(m)[:, None] * 3 + np.arange(3)[None, :]).ravel().astype(np.uint32))
    tgt_dr = mi.Float(tgt.astype(np.float32).ravel())
    n_grid = GRID[0] * GRID[1] * 3

    opt = mi.ad.Adam(lr=LEARNING_RATE)
    opt["g"] = mi.Float(np.zeros(n_grid, np.float32))
    opt["k"] = mi.Color3f(0.0)
    opt["a"] = mi.Color3f(0.0)

    def apply():
        lg = wts_c[0] * dr.gather(mi.Float, opt["g"], taps_c[0])
        for t in range(1, 4):
            lg += wts_c[t] * dr.gather(mi.Float, opt["g"], taps_c[t])
        kg = dr.exp(opt["k"])
        k_flat = key * dr.gather(mi.Float, dr.ravel(kg), mi.UInt32(np.tile(np.arange(3), h * w).astype(np.uint32)))
        flat = room * dr.exp(lg) + k_flat
        params["env.data"] = mi.TensorXf(dr.gather(mi.Float, flat, pad_idx), data_shape)
        params["skin.bsdf.reflectance.value"] = alb0 * dr.exp(opt["a"])
        params.update()

    def data_loss(img):
        pix = dr.gather(mi.Float, img.array, sel)
        return dr.mean(dr.square(pix - tgt_dr)) / norm

    def prior():
        return PRIOR_WEIGHT * (dr.mean(dr.square(opt["g"])) + dr.mean(dr.square(dr.ravel(opt["k"])))
                               + dr.mean(dr.square(dr.ravel(opt["a"]))))

    def evaluate():
        # Fixed seed and 4x the samples: before and after are compared on equal terms.
        with dr.suspend_grad():
            apply()
            img = mi.render(scene, params, seed=10_000 + seed, spp=EVAL_SPP)
            return float(data_loss(img)[0])

    loss_before = evaluate()
    for it in range(iterations):
        # Linear decay to a tenth: early steps move, late ones average out the Monte Carlo noise.
        opt.set_learning_rate(LEARNING_RATE * (1.0 - 0.9 * it / max(iterations - 1, 1)))
        apply()
        img = mi.render(scene, params, seed=seed + it, spp=SPP)
        loss = data_loss(img) + prior()
        dr.backward(loss)
        opt.step()
    loss_after = evaluate() if iterations else loss_before
    log_gain = np.array(opt["g"]).reshape(GRID[0], GRID[1], 3)
    log_key = np.array(opt["k"]).reshape(-1)[:3] if iterations else np.zeros(3)
    log_alb = np.array(opt["a"]).reshape(-1)[:3] if iterations else np.zeros(3)
    return log_gain, np.asarray(log_key, float), np.asarray(log_alb, float), loss_before, loss_after
