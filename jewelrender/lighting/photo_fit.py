"""``photo_fit``: the environment recovered from the photo itself.

Three parts, all at the photo's own exposure (linear pixel units):

1. **Surroundings.** The photo with the hand removed (inpainted) is wrapped onto
   the sphere with an equidistant fisheye mapping, the hemisphere behind the
   camera mirrored from the front one (Khan et al. 2006, "Image-based material
   editing"). Metal mostly reflects what is beside and behind the camera, which
   no photo shows; a mirrored, blurred copy of the visible room keeps its
   colours and brightness, which is what the eye checks in a reflection.
2. **Directional light from the skin.** Skin pixels over the proxy capsules give
   (normal, radiance) pairs. For each candidate direction on a sphere we solve
   ``pixel = a * E_surround(n) + b * max(0, n.d) / pi`` (non-negative least
   squares) and keep the direction that explains the shading best: that is where
   the photo's key light comes from.
3. **Absolute scale.** ``a`` is the skin's albedo times the surroundings' scale.
   Skin albedo is bounded (about 0.12 to 0.7 in luminance), so when the visible
   surroundings are too dark (or bright) to explain the skin, they are rescaled.
   The key light becomes a compact lobe (a few degrees wide) in the map, so metal
   highlights and gem sparkle come from where the skin is lit from.
"""

from __future__ import annotations

import numpy as np

from ..color import luminance
from ..proxies import raycast_capsules
from .envmap import EnvMap, fibonacci_sphere, texel_directions, texel_solid_angles
from .skin import skin_tone

__all__ = ["estimate_photo_fit", "skin_samples"]

SKIN_ALBEDO_RANGE = (0.12, 0.70)  # luminance of diffuse skin albedo, darkest to lightest (approx., Monk 1..10)
KEY_LOBE_DEG = 5.0


def skin_samples(photo, camera, placement, *, max_side: int = 200):
    """Pixels of visible skin over the proxy capsules, with their surface normals.

    Returns
    -------
    dict with ``uv`` (N, 2) pixel coordinates, ``rgb`` (N, 3) linear photo values,
    ``normal`` (N, 3) camera-frame unit normals, and ``hand_mask_box`` (the region
    ray-cast, in pixels) — all from a grid of at most ``max_side`` samples a side
    over the hand's bounding box.
    """
    pts = placement.points_cam
    uv_l = camera.project(pts)
    x0, y0 = np.maximum(uv_l.min(axis=0) - 0.15 * np.ptp(uv_l, axis=0).max(), 0)
    x1, y1 = np.minimum(uv_l.max(axis=0) + 0.15 * np.ptp(uv_l, axis=0).max(), [camera.width, camera.height])
    step = max((x1 - x0), (y1 - y0)) / max_side
    step = max(step, 1.0)
    xs = np.arange(x0 + step / 2, x1, step)
    ys = np.arange(y0 + step / 2, y1, step)
    gu, gv = np.meshgrid(xs, ys)
    uv = np.stack([gu.ravel(), gv.ravel()], axis=1)
    dirs = camera.ray_directions(uv)
    t, nrm, idx = raycast_capsules(np.zeros_like(dirs), dirs, placement.proxies)
    hit = idx >= 0
    uv, nrm = uv[hit], nrm[hit]
    lin = photo.linear
    ix = np.clip(uv[:, 0].astype(int), 0, photo.width - 1)
    iy = np.clip(uv[:, 1].astype(int), 0, photo.height - 1)
    rgb = lin[iy, ix].astype(np.float64)
    ref = _reference_skin(photo, camera, placement)
    keep = _skin_like(rgb, ref)
    return {"uv": uv[keep], "rgb": rgb[keep], "normal": nrm[keep], "box": (x0, y0, x1, y1), "reference": ref}


def _reference_skin(photo, camera, placement) -> np.ndarray:
    """Median linear colour along the finger bones (robust: always on the hand)."""
    uv_l = camera.project(placement.points_cam)
    samples = []
    for a, b in [(5, 6), (9, 10), (13, 14), (17, 18), (6, 7), (10, 11), (14, 15), (0, 9)]:
        for s in np.linspace(0.2, 0.8, 7):
            samples.append(uv_l[a] + s * (uv_l[b] - uv_l[a]))
    samples = np.asarray(samples)
    ix = np.clip(samples[:, 0].astype(int), 0, photo.width - 1)
    iy = np.clip(samples[:, 1].astype(int), 0, photo.height - 1)
    return np.median(photo.linear[iy, ix].astype(np.float64), axis=0)


def _skin_like(rgb: np.ndarray, ref: np.ndarray) -> np.ndarray:
    s = rgb.sum(axis=1, keepdims=True) + 1e-6
    chroma = rgb / s
    ref_chroma = ref / (ref.sum() + 1e-6)
    close = np.linalg.norm(chroma - ref_chroma, axis=1) < 0.06
    y = luminance(rgb)
    y_ref = max(float(luminance(ref[None])[0]), 1e-4)
    bright_ok = (y > 0.08 * y_ref) & (y < 6.0 * y_ref)
    keep = close & bright_ok
    if keep.sum() > 50:
        # Drop specular highlights and nail polish: the top 2 % of skin luminance.
        keep &= y <= np.quantile(y[keep], 0.98)
    return keep


def _surroundings(photo, camera, placement, height: int) -> np.ndarray:
    """The photo without the hand, fisheye-wrapped onto the sphere (linear radiance)."""
    import cv2

    from ..color import srgb8_to_linear

    small_side = 256
    scale = small_side / max(photo.width, photo.height)
    sw, sh = max(8, round(photo.width * scale)), max(8, round(photo.height * scale))
    small = cv2.resize(photo.srgb, (sw, sh), interpolation=cv2.INTER_AREA)
    gu, gv = np.meshgrid((np.arange(sw) + 0.5) / scale, (np.arange(sh) + 0.5) / scale)
    uv = np.stack([gu.ravel(), gv.ravel()], axis=1)
    dirs = camera.ray_directions(uv)
    _, _, idx = raycast_capsules(np.zeros_like(dirs), dirs, placement.proxies)
    mask = (idx >= 0).reshape(sh, sw).astype(np.uint8) * 255
    mask = cv2.dilate(mask, np.ones((5, 5), np.uint8))
    if mask.mean() < 0.9 * 255:
        bg = cv2.inpaint(small, mask, 5, cv2.INPAINT_TELEA)
    else:
        bg = small  # the hand fills the frame: nothing else to go on
    bg_lin = srgb8_to_linear(bg).astype(np.float32)
    bg_lin = cv2.GaussianBlur(bg_lin, (0, 0), 2.0)

    d = texel_directions(height, 2 * height)
    dz = np.abs(d[..., 2])  # the hemisphere behind the camera mirrors the one in front
    theta = np.arccos(np.clip(dz, -1, 1))
    phi = np.arctan2(d[..., 1], d[..., 0])
    r = theta / (np.pi / 2) * 0.5 * np.hypot(sw, sh)
    mx = (sw / 2 + r * np.cos(phi)).astype(np.float32)
    my = (sh / 2 + r * np.sin(phi)).astype(np.float32)
    env = cv2.remap(bg_lin, mx, my, interpolation=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)
    return np.maximum(env * _unseen_prior(d)[..., None], 0.0).astype(np.float32)


#: Priors for the part of the room the photo cannot show (see _unseen_prior).
BEHIND_GAIN = 0.6          # the room behind the photographer, relative to the mirrored front
PHOTOGRAPHER_DEG = 18.0    # angular radius of the photographer + phone seen from the hand
PHOTOGRAPHER_GAIN = 0.12   # they block most of the light from that direction
OVERHEAD_GAIN = 0.35       # indoor light comes from above: +35 % straight up, -35 % straight down


def _unseen_prior(d: np.ndarray) -> np.ndarray:
    """Gain over the mirrored surroundings for directions the photo does not show.

    Behind the camera is the photographer holding a phone: a dark silhouette
    straight back along the view axis. That is the dark band every real photo of
    a polished ring shows on the metal facing the lens; without it the metal
    reflects a mirrored copy of the bright subject and looks flat.
    """
    gain = np.where(d[..., 2] < 0, BEHIND_GAIN, 1.0)
    ang = np.degrees(np.arccos(np.clip(-d[..., 2], -1, 1)))     # angle from "towards the camera"
    occl = 1.0 / (1.0 + np.exp((ang - PHOTOGRAPHER_DEG) / 3.0))  # soft-edged disc
    gain = gain * (1.0 - (1.0 - PHOTOGRAPHER_GAIN) * occl)
    gain = gain * (1.0 + OVERHEAD_GAIN * (-d[..., 1]))
    return gain


def _irradiance_basis(env_small: np.ndarray, normals: np.ndarray) -> np.ndarray:
    h = env_small.shape[0]
    d = texel_directions(h, 2 * h).reshape(-1, 3)
    w = np.broadcast_to(texel_solid_angles(h, 2 * h), (h, 2 * h)).reshape(-1)
    cos = np.maximum(0.0, normals @ d.T)
    return (cos * w) @ env_small.reshape(-1, 3).astype(np.float64)


def _nnls2(A: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, float]:
    from scipy.optimize import nnls

    x, res = nnls(A, y)
    return x, float(res)


def estimate_photo_fit(photo, camera, placement, *, env_height: int = 64, key_lobe_deg: float = KEY_LOBE_DEG):
    """See the module docstring. Returns ``(EnvMap, info dict)``."""
    import cv2

    samples = skin_samples(photo, camera, placement)
    n_skin = len(samples["rgb"])
    surround = _surroundings(photo, camera, placement, env_height)
    info: dict = {"method": "photo_fit", "skin_samples": int(n_skin), "env_size": [env_height, 2 * env_height],
                  "skin_reference_rgb": [float(v) for v in samples["reference"]]}

    if n_skin < 30:
        # Too little skin to fit: keep the surroundings at face value.
        env = EnvMap(surround)
        info.update({"fit": "none (too few skin samples)", "key_direction": None,
                     "skin_tone": skin_tone(samples["rgb"])})
        return env, info

    rgb, nrm = samples["rgb"], samples["normal"]
    if len(rgb) > 4000:  # plenty for a handful of unknowns; keeps the direction search fast
        pick = np.random.default_rng(0).choice(len(rgb), 4000, replace=False)
        rgb, nrm = rgb[pick], nrm[pick]
    y = luminance(rgb)
    small = cv2.resize(surround, (32, 16), interpolation=cv2.INTER_AREA)
    E_sur = _irradiance_basis(small, nrm)               # (N, 3)
    A_lum = luminance(E_sur) / np.pi

    cands = fibonacci_sphere(512)
    cos_all = np.maximum(0.0, nrm @ cands.T) / np.pi      # (N, K)
    best = (np.inf, None, None)
    for k in range(len(cands)):
        M = np.stack([A_lum, cos_all[:, k]], axis=1)
        x, res = _nnls2(M, y)
        if res < best[0]:
            best = (res, k, x)
    res_key, k_best, (a, b) = best
    _, res_amb = _nnls2(A_lum[:, None], y)
    key_dir = cands[k_best]

    lo, hi = SKIN_ALBEDO_RANGE
    if a > 1e-6:
        rho = float(np.clip(a, lo, hi))
        surround_scale = a / rho
    else:
        rho = 0.35
        surround_scale = 0.05 * float(np.mean(y)) * np.pi / max(float(np.mean(A_lum)), 1e-9) / rho
    key_E = b / rho  # irradiance (luminance) at normal incidence from the key light

    # Key colour: that of the brightest surroundings, half-way to neutral (a
    # lamp or window is usually whiter than what it lights).
    ylum = luminance(surround.reshape(-1, 3))
    top = surround.reshape(-1, 3)[ylum >= np.quantile(ylum, 0.98)].mean(axis=0)
    key_col = 0.5 * top / max(float(luminance(top[None])[0]), 1e-9) + 0.5
    key_col = key_col / float(luminance(key_col[None])[0])

    env_rad = surround * surround_scale
    d = texel_directions(env_height, 2 * env_height)
    cosang = np.clip(d @ key_dir, -1, 1)
    sigma = np.radians(key_lobe_deg)
    lobe = np.exp(-(1 - cosang) / (sigma * sigma))       # ~ Gaussian in angle
    omega = np.broadcast_to(texel_solid_angles(env_height, 2 * env_height), lobe.shape)
    lobe /= max(float((lobe * omega).sum()), 1e-12)      # integrates to 1 sr^-1 * sr
    env_rad = env_rad + lobe[..., None] * (key_E * key_col)[None, None, :]

    # Per-channel skin albedo under the final map (for the proxy's BSDF).
    env = EnvMap(env_rad.astype(np.float32))
    E_fin = _irradiance_basis(cv2.resize(env.radiance, (64, 32), interpolation=cv2.INTER_AREA), nrm)
    albedo = np.median(np.pi * rgb / np.maximum(E_fin, 1e-9), axis=0)
    albedo = np.clip(albedo, 0.02, 0.95)

    elev = float(np.degrees(np.arcsin(np.clip(-key_dir[1], -1, 1))))
    azim = float(np.degrees(np.arctan2(key_dir[0], -key_dir[2])))
    info.update({
        "key_direction": [float(v) for v in key_dir],
        "key_elevation_deg": elev,
        "key_azimuth_deg_from_camera": azim,
        "key_irradiance_rgb": [float(v) for v in key_E * key_col],
        "key_share": float(b * np.mean(cos_all[:, k_best]) / max(float(np.mean(y)), 1e-9)),
        "surround_scale": float(surround_scale),
        "ambient_radiance_rgb": [float(v) for v in env.mean_radiance()],
        "skin_albedo_rgb": [float(v) for v in albedo],
        "fit_residual_rel": float(res_key / max(np.linalg.norm(y), 1e-12)),
        "fit_residual_rel_without_key": float(res_amb / max(np.linalg.norm(y), 1e-12)),
        "skin_tone": skin_tone(samples["rgb"], albedo),
    })
    return env, info
