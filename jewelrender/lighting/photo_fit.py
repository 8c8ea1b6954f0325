"""``photo_fit``: the environment recovered from the photo itself.

Three parts, all at the photo's own exposure (linear pixel units):

1. **Surroundings.** The photo with the hand removed (inpainted) is put on the
   sphere at the directions its pixels were seen from (the camera's real field
   of view); beyond the frame its border is continued outwards, blurred, and
   the hemisphere behind the camera mirrors the front one (after Khan et al.
   2006, "Image-based material editing", who stretch the frame over the
   hemisphere instead: ``SURROUND_MAPPING = "fisheye"``). Metal mostly reflects
   what is beside and behind the camera, which no photo shows; a mirrored,
   blurred copy of the visible room keeps its colours and brightness, which is
   what the eye checks in a reflection. Clipped pixels are only known to be at
   least at the clip; they are given their expected radiance from the
   background's bright tail (:func:`_clip_tail_gain`).
2. **Directional light from the skin.** Skin pixels over the proxy capsules give
   (normal, radiance) pairs. For each candidate direction on a sphere we solve
   ``pixel = a * E_front(n) + u * E_back(n) + b * max(0, n.d) / pi``
   (non-negative least squares; front = the room the camera faces, back = its
   mirror behind the camera, whose level is a guess and so a free unknown) and
   keep the direction that explains the shading best, then search finer around
   it: that is where the photo's key light comes from.
3. **Albedo, and the scale split.** The shading only measures albedo x the
   light; the skin the camera sees faces the unseen room, so the split cannot
   come from the shading. The albedo's luminance comes from its colour
   (:func:`jewelrender.lighting.skin.albedo_prior`, fitted to published skin
   colours) combined, by how much of the skin's light the photo measured
   (:func:`combine_albedo`), with the face-value bound ``a`` (the visible room at
   face value, the mirror behind the camera at its guessed level, plus the key
   that best fits that room; the true room is at least as bright: 8-bit photos
   clip windows and lamps and show a quarter of the sphere). With the albedo fixed, the
   deficit of the skin's shading is shared, by non-negative least squares, among
   the clipped photo regions (a gain >= 1, at most :data:`MAX_CLIP_GAIN`), the
   unseen back hemisphere (a gain, prior 1) and the key light.
4. **Key lobe.** The key light becomes a compact lobe (a few degrees wide) in the
   map, so metal highlights and gem sparkle come from where the skin is lit from.
5. **Refinement** (``refine=``): :mod:`jewelrender.lighting.refine` renders the
   proxy skin under the map with Mitsuba AD and adjusts low-order room gains,
   the key's intensity and colour and the albedo to match the photo's skin pixels.

``info`` says what was found: ``key_direction`` (camera frame), its elevation
and azimuth, ``key_irradiance_rgb`` and ``key_colour_rgb``, ``ambient_radiance_rgb``
(mean radiance of the map), ``white_balance_rgb`` (the colour of the light the
visible room casts on the skin, luminance 1; neutral = 1, 1, 1), the albedo
(``skin_albedo_rgb``, ``albedo_luminance``, ``albedo_source``, ``albedo_prior``,
``albedo_face_value``), the gains (``clipped_gain``, ``back_gain``), residuals,
``skin_tone`` and ``refine`` (losses before/after, iterations, seconds; None when off).
"""

from __future__ import annotations

import numpy as np

from ..color import luminance
from ..sites.proxies import raycast_capsules
from .envmap import EnvMap, fibonacci_sphere, texel_directions, texel_solid_angles
from .fastfit import IrradianceKernel, nnls_residuals
from .skin import reference_skin, skin_like, skin_tone

__all__ = ["ABLATIONS", "ablation_maps", "combine_albedo", "estimate_photo_fit", "skin_samples", "photo_detail", "photo_detail_env", "PhotoDetail", "spread_key",
           "KEY_RENDER_DEG"]

#: Luminance of diffuse skin albedo, darkest to lightest: the published skin types' range (physicallybased.info
#: Skin VI 0.056 .. Skin I 0.68; the darkest in-vivo cluster of skin.SKIN_MEASURED_LAB is 0.050).
SKIN_ALBEDO_RANGE = (0.05, 0.70)
#: The face-value albedo's weight never falls below that of a photo measuring this share of the skin's light.
BOUND_MIN_SHARE = 0.05
KEY_LOBE_DEG = 5.0
KEY_FINE_SEARCH = 8192  # directions of the finer key search around the best of the 512 (0 = off)
KEY_FINE_RADIUS_DEG = 10.0  # ... within this angle of it (the 512 lie ~9 deg apart)
#: A face-value albedo above SKIN_ALBEDO_RANGE enters combine_albedo at the range's top (False: as it is).
CAP_FACE_VALUE = True
MAX_CLIP_GAIN = 8.0   # clipped photo regions at most 3 stops above the clip (see estimate_photo_fit)
#: Area sources beyond the frame (:func:`_side_source_split`): how many lobes of their own the energy
#: balance may place where the skin asks for more light than the continued border gives. 0 = off, the
#: shipped estimate: on the phone benchmark they lifted the power but cost the rings (docs/lighting.md,
#: "Lamps and windows beyond the frame as lobes of their own"); kept as a switch to re-measure once the
#: albedo under the phone camera is right (with the true albedo they traded band rows for solitaire rows).
SIDE_SOURCES = 0
SIDE_SOURCE_DEG = 20.0        # their size (the lobe's width, as KEY_LOBE_DEG); 10 and 35 measured no better
SIDE_SOURCE_PRIOR = 0.05      # weight of each source's prior towards 0 (as _scale_split's priors)
#: A source needs this share of the skin samples facing it (its irradiance at least half its peak's): a
#: lobe only the silhouette's last normals see is an extrapolation, not a measurement ...
SIDE_SOURCE_MIN_SUPPORT = 0.05
#: ... and its irradiance is at most this many times the skin's median (pi y / rho).
SIDE_SOURCE_MAX = 4.0


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
    ref = reference_skin(photo, camera, placement)
    keep = skin_like(rgb, ref)
    return {"uv": uv[keep], "rgb": rgb[keep], "normal": nrm[keep], "box": (x0, y0, x1, y1), "reference": ref}


def _surroundings(photo, camera, placement, height: int, *, parts: bool = False, photographer: bool = True):
    """The photo without the hand, wrapped onto the sphere (linear radiance; see SURROUND_MAPPING).

    Returns the ``(H, 2H, 3)`` map, or with ``parts=True`` a dict of maps that
    sum to it: ``front`` (unclipped photo content, the hemisphere the camera
    faces), ``clipped`` (front texels from photo pixels clipped at 255: their
    true radiance is only known to be at least this) and ``back`` (the
    mirrored, dimmed hemisphere behind the camera, a prior), plus the scalar
    ``clip_tail_gain`` (:func:`_clip_tail_gain`; the ``clipped`` map is at the clip).
    """
    import cv2

    from ..color import srgb8_to_linear

    small_side = 256
    scale = small_side / max(photo.width, photo.height)
    sw, sh = max(8, round(photo.width * scale)), max(8, round(photo.height * scale))
    small = cv2.resize(photo.srgb, (sw, sh), interpolation=cv2.INTER_AREA)
    # Clipped where the full-resolution photo was clipped (area averaging lowers 255s at edges).
    clip = cv2.resize((photo.peak >= 250).astype(np.float32), (sw, sh), interpolation=cv2.INTER_AREA)
    gu, gv = np.meshgrid((np.arange(sw) + 0.5) / scale, (np.arange(sh) + 0.5) / scale)
    uv = np.stack([gu.ravel(), gv.ravel()], axis=1)
    dirs = camera.ray_directions(uv)
    _, _, idx = raycast_capsules(np.zeros_like(dirs), dirs, placement.proxies)
    mask = (idx >= 0).reshape(sh, sw).astype(np.uint8) * 255
    mask = cv2.dilate(mask, np.ones((5, 5), np.uint8))
    if mask.mean() < 0.9 * 255:
        bg = cv2.inpaint(small, mask, 5, cv2.INPAINT_TELEA)
        clip = np.where(mask > 0, 0.0, clip).astype(np.float32)  # the hand is not a light source
    else:
        bg = small  # the hand fills the frame: nothing else to go on
    bg_lin = srgb8_to_linear(bg).astype(np.float32)
    bg_lin = cv2.GaussianBlur(bg_lin, (0, 0), 2.0)
    clip = cv2.GaussianBlur(clip, (0, 0), 2.0)

    d = texel_directions(height, 2 * height)
    if SURROUND_MAPPING == "fisheye":
        dz = np.abs(d[..., 2])  # the hemisphere behind the camera mirrors the one in front
        theta = np.arccos(np.clip(dz, -1, 1))
        phi = np.arctan2(d[..., 1], d[..., 0])
        r = theta / (np.pi / 2) * 0.5 * np.hypot(sw, sh)
        mx = (sw / 2 + r * np.cos(phi)).astype(np.float32)
        my = (sh / 2 + r * np.sin(phi)).astype(np.float32)
        env = cv2.remap(bg_lin, mx, my, interpolation=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)
    else:
        mx, my, w_out = _perspective_lookup(camera, d, scale, sw, sh)
        blur = cv2.GaussianBlur(bg_lin, (0, 0), OUTSIDE_BLUR * max(sw, sh))
        env = (cv2.remap(bg_lin, mx, my, interpolation=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
               * (1.0 - w_out[..., None])
               + cv2.remap(blur, mx, my, interpolation=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
               * w_out[..., None])
    env = np.maximum(env * _unseen_prior(d, photographer=photographer)[..., None], 0.0).astype(np.float32)
    if BACK_SATURATION != 1.0:
        # The room behind the camera has the frame's brightness but not necessarily its
        # colour (a frame full of skin or a wall): its chroma is pulled towards neutral.
        back = d[..., 2] < 0
        y = luminance(env)[..., None]
        env = np.where(back[..., None], y + BACK_SATURATION * (env - y), env).astype(np.float32)
    if not parts:
        return env
    cl = cv2.remap(clip, mx, my, interpolation=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    front = (d[..., 2] >= 0)[..., None]
    cl = np.clip(cl, 0.0, 1.0)[..., None] * front
    return {"front": (env * front * (1.0 - cl)).astype(np.float32),
            "clipped": (env * cl).astype(np.float32),
            "back": (env * ~front).astype(np.float32),
            "clip_tail_gain": _clip_tail_gain(small, mask == 0)}


#: Clipped pixels: the expected true radiance over the clip level comes from the
#: unclipped background's bright tail (see _clip_tail_gain), at most this.
CLIP_TAIL_MAX = 4.0
CLIP_MAJORITY_GAIN = 2.0   # when most of the background is clipped there is no tail to read: one stop


def _clip_tail_gain(srgb_small: np.ndarray, background: np.ndarray) -> float:
    """Expected radiance of clipped background pixels, in units of the clip level.

    An 8-bit photo only says a clipped pixel is at least at the clip. Above a
    threshold, scene radiance is heavy-tailed; with a Pareto tail
    ``P(L > x) ~ x**-alpha`` the fraction of background pixels above half the
    clip and above the clip give ``alpha``, and ``E[L | L > clip] = clip *
    alpha / (alpha - 1)``. Clamped to [1, CLIP_TAIL_MAX]; 1 when nothing is clipped.
    """
    from ..color import srgb8_to_linear

    if not background.any():
        return 1.0
    peak = srgb_small[background].max(axis=1)
    f_clip = float((peak >= 250).mean())
    if f_clip < 0.002:
        return 1.0
    clip_lin = float(srgb8_to_linear(np.array([250], np.uint8))[0])
    half = clip_lin / 2
    f_half = float((srgb8_to_linear(peak) >= half).mean())
    # Most of the background clipped (a white backdrop, a frame exposed for a
    # backlit hand): the fit below would rest on a sliver of unclipped pixels.
    hi = CLIP_MAJORITY_GAIN if f_clip > 0.5 else CLIP_TAIL_MAX
    alpha = np.log(max(f_half, f_clip) / f_clip) / np.log(clip_lin / half)
    if alpha <= 1.0 + 1.0 / (hi - 1.0):
        return hi
    return float(np.clip(alpha / (alpha - 1.0), 1.0, hi))


#: How the photo is wrapped onto the sphere: "perspective" puts each pixel at the
#: direction it was seen from (the camera's real field of view) and continues the
#: frame's border outwards, blurred; "fisheye" stretches the frame over the
#: hemisphere (equidistant), the older mapping.
SURROUND_MAPPING = "perspective"
OUTSIDE_BLUR = 0.08        # of the frame's long side: how soft the continuation beyond the frame is
OUTSIDE_RAMP_DEG = 15.0    # angle beyond the frame over which the continuation goes from sharp to blurred


def _perspective_lookup(camera, d: np.ndarray, scale: float, sw: int, sh: int):
    """Pixel coordinates (small image) for texel directions ``d``, at the camera's real field of view.

    Directions inside the frame land on the pixel that saw them; outside it, on the
    frame's border along the same azimuth about the principal point (the border
    continued outwards). The hemisphere behind the camera mirrors the front one.
    Returns ``(mx, my, w_out)``; ``w_out`` ramps 0 -> 1 over
    :data:`OUTSIDE_RAMP_DEG` beyond the frame (0 inside).
    """
    dm = d.copy()
    dm[..., 2] = np.maximum(np.abs(dm[..., 2]), 1e-6)
    cx, cy = camera.cx * scale, camera.cy * scale
    du = camera.fx * scale * dm[..., 0] / dm[..., 2]
    dv = camera.fy * scale * dm[..., 1] / dm[..., 2]
    # Largest t <= 1 keeping (cx + t du, cy + t dv) inside [0, sw] x [0, sh].
    with np.errstate(divide="ignore", invalid="ignore"):
        tu = np.where(du > 0, (sw - cx) / du, np.where(du < 0, -cx / du, np.inf))
        tv = np.where(dv > 0, (sh - cy) / dv, np.where(dv < 0, -cy / dv, np.inf))
    t = np.minimum(1.0, np.minimum(tu, tv))
    mx = cx + t * du - 0.5
    my = cy + t * dv - 0.5
    # Angle between the direction and the border point it was moved to.
    bx = t * du / (camera.fx * scale)
    by = t * dv / (camera.fy * scale)
    b = np.stack([bx, by, np.ones_like(bx)], axis=-1)
    b /= np.linalg.norm(b, axis=-1, keepdims=True)
    dn = dm / np.linalg.norm(dm, axis=-1, keepdims=True)
    ang = np.degrees(np.arccos(np.clip((b * dn).sum(axis=-1), -1, 1)))
    w_out = np.clip(ang / OUTSIDE_RAMP_DEG, 0.0, 1.0).astype(np.float32)
    return mx.astype(np.float32), my.astype(np.float32), w_out


#: Priors for the part of the room the photo cannot show (see _unseen_prior).
BACK_SATURATION = 0.5      # chroma of the mirrored room behind the camera, relative to the frame's
BEHIND_GAIN = 0.6          # the room behind the photographer, relative to the mirrored front
PHOTOGRAPHER_DEG = 18.0    # angular radius of the photographer + phone seen from the hand
PHOTOGRAPHER_GAIN = 0.12   # they block most of the light from that direction
OVERHEAD_GAIN = 0.35       # indoor light comes from above: +35 % straight up, -35 % straight down


def _unseen_prior(d: np.ndarray, *, photographer: bool = True) -> np.ndarray:
    """Gain over the mirrored surroundings for directions the photo does not show.

    Behind the camera is the photographer holding a phone: a dark silhouette
    straight back along the view axis. That is the dark band every real photo of
    a polished ring shows on the metal facing the lens; without it the metal
    reflects a mirrored copy of the bright subject and looks flat.
    """
    gain = np.where(d[..., 2] < 0, BEHIND_GAIN, 1.0)
    ang = np.degrees(np.arccos(np.clip(-d[..., 2], -1, 1)))     # angle from "towards the camera"
    occl = 1.0 / (1.0 + np.exp((ang - PHOTOGRAPHER_DEG) / 3.0))  # soft-edged disc
    if photographer:
        gain = gain * (1.0 - (1.0 - PHOTOGRAPHER_GAIN) * occl)
    gain = gain * (1.0 + OVERHEAD_GAIN * (-d[..., 1]))
    return gain


def _irradiance_basis(env_small: np.ndarray, normals) -> np.ndarray:
    if isinstance(normals, IrradianceKernel):  # the same numbers, the kernel built once per map size
        return normals.irradiance(env_small)
    h = env_small.shape[0]
    d = texel_directions(h, 2 * h).reshape(-1, 3)
    w = np.broadcast_to(texel_solid_angles(h, 2 * h), (h, 2 * h)).reshape(-1)
    cos = np.maximum(0.0, normals @ d.T)
    return (cos * w) @ env_small.reshape(-1, 3).astype(np.float64)


def _nnls2(A: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, float]:
    from scipy.optimize import nnls

    x, res = nnls(A, y)
    return x, float(res)


def _lum_irradiance(env: np.ndarray, normals) -> np.ndarray:
    """Luminance of the irradiance of a map, per normal, at a coarse 16 x 32 (enough for diffuse light)."""
    import cv2

    return luminance(_irradiance_basis(cv2.resize(env, (32, 16), interpolation=cv2.INTER_AREA), normals))


def _scale_split(y, parts_E, cos_key, rho):
    """Energy balance of the skin's shading with the albedo fixed.

    ``pi y / rho = E_front + (1 + c) E_clipped + u E_back + b cos`` solved for
    ``c, u, b >= 0`` by non-negative least squares, with weak priors c -> 0 (no
    headroom above the clip), u -> 1 (the mirrored room as it is). Returns
    ``(c, u, b, relative residual)``.
    """
    from scipy.optimize import nnls

    t = np.pi * y / rho - parts_E["front"] - parts_E["clipped"]
    A = np.stack([parts_E["clipped"], parts_E["back"], cos_key], axis=1)
    # Priors weigh as much as ~5 % of the data per unknown: they decide only what
    # the skin cannot (a clipped window no skin normal faces, a back room hidden by the key).
    w = 0.05 * np.sqrt(np.maximum((A * A).sum(axis=0), 1e-12))
    A_aug = np.vstack([A, np.diag(w)])
    t_aug = np.concatenate([t, w * np.array([0.0, 1.0, 0.0])])
    x, _ = nnls(A_aug, t_aug)
    res = np.linalg.norm(A @ x - t) / max(float(np.linalg.norm(np.pi * y / rho)), 1e-12)
    return float(x[0]), float(x[1]), float(x[2]), float(res)


def _beyond_frame(camera, d: np.ndarray) -> np.ndarray:
    """Directions ``d`` (..., 3) the photo does not show, on the camera's side of the back hemisphere's
    border: in front of (or level with) the camera but outside its frame."""
    z = d[..., 2]
    zz = np.maximum(z, 1e-6)
    u = camera.fx * d[..., 0] / zz + camera.cx
    v = camera.fy * d[..., 1] / zz + camera.cy
    inside = (z > 1e-3) & (u >= 0) & (u < camera.width) & (v >= 0) & (v < camera.height)
    return (z > -0.2) & ~inside


def _side_source_split(y, parts_E, cos_key, rho, kern, camera, n_sources: int):
    """:func:`_scale_split` with up to ``n_sources`` area sources beyond the frame, each a lobe of its own.

    A lamp, window or softbox beside the frame lights the skin's side normals; the continued border there
    is dark or dim and no gain on it makes a lamp (a gain on the border was tried: the rings got worse).
    Each source is a lobe (:func:`key_lobe`, :data:`SIDE_SOURCE_DEG` wide) whose direction is searched, like
    the key's, over the directions the photo does not show in front of the camera (:func:`_beyond_frame`):
    for every candidate the balance ``pi y / rho = E_front + (1 + c) E_clipped + u E_back + b cos + s E_lobe``
    is solved exactly (fastfit.nnls_residuals, the priors as extra rows, ``s -> 0``), and the candidate
    with the smallest residual is kept; then the next source, the kept ones fixed as columns.
    Returns ``(c, u, b, relative residual, [(direction, irradiance), ...])``.
    """
    t = np.pi * y / rho - parts_E["front"] - parts_E["clipped"]
    A = np.stack([parts_E["clipped"], parts_E["back"], cos_key], axis=1)
    h = 16  # the resolution _lum_irradiance works at (diffuse light)
    d16 = texel_directions(h, 2 * h)
    cands = fibonacci_sphere(512)
    cands = cands[_beyond_frame(camera, cands)]
    lobes = np.stack([key_lobe(d16, c, SIDE_SOURCE_DEG).reshape(-1) for c in cands], axis=1)   # (T, K)
    C = kern.kernel(h) @ lobes                     # (N, K): each lobe's irradiance on the skin per unit E
    support = (C >= 0.5 * C.max(axis=0, keepdims=True).clip(1e-12)).mean(axis=0)
    C, cands = C[:, support >= SIDE_SOURCE_MIN_SUPPORT], cands[support >= SIDE_SOURCE_MIN_SUPPORT]
    if not C.shape[1]:
        n_sources = 0
    w_fixed = 0.05 * np.sqrt(np.maximum((A * A).sum(axis=0), 1e-12))
    target_fixed = w_fixed * np.array([0.0, 1.0, 0.0])
    sources = []
    for _ in range(n_sources):
        m = A.shape[1]
        F = np.vstack([A, np.diag(w_fixed), np.zeros((1, m))])
        w_c = SIDE_SOURCE_PRIOR * np.sqrt(np.maximum((C * C).sum(axis=0), 1e-12))
        Cg = np.vstack([C, np.zeros((m, C.shape[1])), w_c[None, :]])
        yg = np.concatenate([t, target_fixed, [0.0]])
        res, x = nnls_residuals(F, Cg, yg)
        ok = x[:, -1] > 0
        if not ok.any():
            break
        k = int(np.argmin(np.where(ok, res, np.inf)))
        sources.append([cands[k], 0.0])
        A = np.concatenate([A, C[:, k:k + 1]], axis=1)
        w_fixed = np.append(w_fixed, w_c[k])
        target_fixed = np.append(target_fixed, 0.0)
    from scipy.optimize import nnls

    x, _ = nnls(np.vstack([A, np.diag(w_fixed)]), np.concatenate([t, target_fixed]))
    e_max = SIDE_SOURCE_MAX * float(np.median(np.pi * y / rho))
    for j, s in enumerate(sources):
        x[3 + j] = min(x[3 + j], e_max)
        s[1] = float(x[3 + j])
    res = np.linalg.norm(A @ x - t) / max(float(np.linalg.norm(np.pi * y / rho)), 1e-12)
    return float(x[0]), float(x[1]), float(x[2]), float(res), [tuple(s) for s in sources if s[1] > 0]


def combine_albedo(prior_y: float, prior_sigma: float, face_value: float, measured_share: float):
    """The skin albedo's luminance from the colour prior and the face-value albedo: ``(rho, source, weight)``.

    Both are log-normal estimates: the prior with its regression's spread, the face-value albedo
    with the same spread divided by ``measured_share`` -- the share of the skin's light, under the
    face-value hypothesis, that the photo measured (not from clipped texels). Where
    the photo measured all of it the two weigh equally (their geometric mean, as before); where
    the room is clipped the face-value albedo says little and the prior decides. ``face_value``
    stays an upper bound (an 8-bit photo clips windows and lamps and shows a quarter of the
    sphere: the true room is at least as bright as its face value).
    ``weight`` is the face-value albedo's weight in log space (0..1).
    """
    lo, hi = SKIN_ALBEDO_RANGE
    if face_value <= 1e-6:
        rho, source, w = prior_y, "prior (colour) only: the visible surroundings explain too little", 0.0
    else:
        s_bound = prior_sigma / max(measured_share, BOUND_MIN_SHARE)
        w = float(s_bound ** -2 / (prior_sigma ** -2 + s_bound ** -2))
        # A face value above every skin's says light the photo does not show reaches the skin (the room
        # at face value, its mirror behind the camera included, is too dim for even the lightest skin):
        # it counts as the lightest skin's, no more.
        fv = min(face_value, hi) if CAP_FACE_VALUE else face_value
        rho = float(np.exp(w * np.log(fv) + (1.0 - w) * np.log(prior_y)))
        source = f"colour prior and face-value albedo in log space (weights {1 - w:.2f} / {w:.2f})"
        if rho >= face_value:
            rho, source = float(face_value), "visible surroundings at face value (the upper bound)"
    if not lo <= rho <= hi:
        source += f", clamped to [{lo}, {hi}]"
    return float(np.clip(rho, lo, hi)), source, w


def estimate_photo_fit(photo, camera, placement, *, env_height: int = 64, key_lobe_deg: float = KEY_LOBE_DEG,
                       refine: bool | int = False):
    """See the module docstring. Returns ``(EnvMap, info dict)``.

    Parameters
    ----------
    refine : bool or int
        Differentiable refinement (:mod:`jewelrender.lighting.refine`) after the
        closed-form fit: ``True`` = :data:`~jewelrender.lighting.refine.DEFAULT_ITERATIONS`
        Adam steps, an int = that many, ``0``/``False`` = off.
    """
    if not refine:
        env, info, _, _ = _closed_form_fit(photo, camera, placement, env_height, key_lobe_deg)
        return env, info
    from concurrent.futures import ThreadPoolExecutor

    from .refine import DEFAULT_ITERATIONS, ENV_FIT_HEIGHT, refine_lighting, skin_transport

    # The refinement's light transport depends on the photo and the geometry, not on the map, so it
    # is built (Mitsuba's ray tests, on this thread) while the closed-form fit (NumPy and OpenCV,
    # which release the GIL in their large operations) runs on another: both of a 2-core machine's
    # cores work. Each part is deterministic on its own, so the result does not depend on the timing.
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="photo_fit") as pool:
        fit = pool.submit(_closed_form_fit, photo, camera, placement, env_height, key_lobe_deg)
        transport = skin_transport(photo, camera, placement, min(ENV_FIT_HEIGHT, env_height))
        env, info, key_part, skin_rgb = fit.result()
    if key_part is None:  # no fit (too few skin samples): nothing to refine
        return env, info
    iters = DEFAULT_ITERATIONS if refine is True else int(refine)
    albedo = np.asarray(info["skin_albedo_rgb"], dtype=np.float64)
    env, albedo, rinfo = refine_lighting(photo, camera, placement, env, albedo, iterations=iters,
                                         key_part=key_part, transport=transport)
    info["skin_albedo_rgb"] = [float(v) for v in albedo]
    info["ambient_radiance_rgb"] = [float(v) for v in env.mean_radiance()]
    info["skin_tone"] = skin_tone(skin_rgb, albedo)
    info["refine"] = rinfo
    return env, info


#: The parts of the closed-form map that :func:`ablation_maps` switches off, one at a time: the key's lobe,
#: the energy balance's gain on the unseen room behind the camera (kept at 1), its gain on the clipped
#: texels (left at the clip), and the photographer's dark disc behind the camera.
ABLATIONS = ("key", "back_gain", "clip_gain", "photographer")


def ablation_maps(photo, camera, placement, *, env_height: int = 64, albedo_luminance: float | None = None):
    """The closed-form map (``refine=0``) and its variants, for measuring what each part is worth.

    Returns ``{name: (H, 2H, 3) radiance}``: ``"fit"`` (the closed-form estimate as shipped),
    ``"without_<part>"`` for each of :data:`ABLATIONS`, and, when ``albedo_luminance`` is given,
    ``"given_albedo"``: the same fit with that albedo luminance in the energy balance instead of the
    estimated one (a benchmark passes the true albedo: what a perfect albedo/light split would give).
    A diagnostic for ``benchmarks/bench_lighting.py --ablate``; the estimate itself never calls it.
    """
    out = {"fit": _closed_form_fit(photo, camera, placement, env_height, KEY_LOBE_DEG)[0].radiance}
    for part in ABLATIONS:
        out[f"without_{part}"] = _closed_form_fit(photo, camera, placement, env_height, KEY_LOBE_DEG,
                                                  without=part)[0].radiance
    if albedo_luminance is not None:
        out["given_albedo"] = _closed_form_fit(photo, camera, placement, env_height, KEY_LOBE_DEG,
                                               albedo_luminance=albedo_luminance)[0].radiance
    return out


def _closed_form_fit(photo, camera, placement, env_height: int, key_lobe_deg: float, *,
                     without: str | None = None, albedo_luminance: float | None = None):
    """Steps 1-4 of the module docstring: ``(EnvMap, info, key_part, skin rgb)``; ``key_part`` (the key
    lobe's share of the map) is None when there was too little skin to fit. ``without`` (one of
    :data:`ABLATIONS`) and ``albedo_luminance`` (the split's albedo given, not estimated) are for
    :func:`ablation_maps` only."""
    import cv2

    from .skin import albedo_prior

    samples = skin_samples(photo, camera, placement)
    n_skin = len(samples["rgb"])
    parts = _surroundings(photo, camera, placement, env_height, parts=True, photographer=without != "photographer")
    # Clipped pixels at their expected radiance, not at the clip, for the albedo's
    # face-value bound and the energy balance. The key's direction is searched
    # against the photo at face value: a guessed gain on the clipped sky would
    # pull it towards whatever skin faces that sky.
    tail_gain = parts.pop("clip_tail_gain")
    front_face = parts["front"] + parts["clipped"]
    parts["clipped"] = parts["clipped"] * np.float32(tail_gain)
    surround = parts["front"] + parts["clipped"] + parts["back"]
    info: dict = {"method": "photo_fit", "skin_samples": int(n_skin), "env_size": [env_height, 2 * env_height],
                  "skin_reference_rgb": [float(v) for v in samples["reference"]]}

    if n_skin < 30:
        # Too little skin to fit: keep the surroundings at face value.
        env = EnvMap(surround)
        info.update({"fit": "none (too few skin samples)", "key_direction": None,
                     "skin_tone": skin_tone(samples["rgb"])})
        return env, info, None, samples["rgb"]

    rgb, nrm = samples["rgb"], samples["normal"]
    if len(rgb) > 4000:  # plenty for a handful of unknowns; keeps the direction search fast
        pick = np.random.default_rng(0).choice(len(rgb), 4000, replace=False)
        rgb, nrm = rgb[pick], nrm[pick]
    y = luminance(rgb)
    kern = IrradianceKernel(nrm)
    # The room the camera faces (at face value) and the mirrored room behind it,
    # as separate unknowns: the level of the unseen room is a guess, and a fixed
    # ratio makes the key absorb the guess's error (the key tilts towards the
    # camera whenever the skin facing it is brighter than the mirror implies).
    A_face = [_lum_irradiance(front_face, kern) / np.pi,
              _lum_irradiance(parts["back"], kern) / np.pi]
    E_sur = _irradiance_basis(cv2.resize(surround, (32, 16), interpolation=cv2.INTER_AREA), kern)   # (N, 3)
    A_lum = luminance(E_sur) / np.pi

    # 1. Where the key light is: the direction whose clamped cosine, added to the
    #    surroundings' shading, best explains the skin (NNLS over 512 candidates).
    cands = fibonacci_sphere(512)
    cos_all = np.maximum(0.0, nrm @ cands.T) / np.pi      # (N, K)
    A_whole = A_face[0] + A_face[1]

    def res_free(cos_cols):
        # Residual of the free-back-level fit for each candidate's clamped-cosine column (exact NNLS,
        # all candidates at once: fastfit.nnls_residuals).
        return nnls_residuals(np.stack(A_face, axis=1), cos_cols, y)[0]

    res_grid = res_free(cos_all)
    res_fixed = nnls_residuals(A_whole[:, None], cos_all, y)[0]
    k_best = int(np.argmin(res_grid))
    key_dir = cands[k_best]
    if KEY_FINE_SEARCH:
        # The 512 candidates are ~9 degrees apart: search a finer set around the best one.
        fine = fibonacci_sphere(KEY_FINE_SEARCH)
        fine = fine[fine @ key_dir > np.cos(np.radians(KEY_FINE_RADIUS_DEG))]
        res_fine = res_free(np.maximum(0.0, nrm @ fine.T) / np.pi)
        if len(fine) and res_fine.min() < res_grid[k_best]:
            key_dir = fine[int(np.argmin(res_fine))]
    # The face-value bound on the albedo is the albedo under its own hypothesis: the
    # room exactly as the face-value map shows it (the mirror behind the camera at
    # its guessed level) plus the key that best fits *that* room; the clipped
    # regions at their expected radiance (the key's strength is set by the energy
    # balance below).
    k_bound = int(np.argmin(res_fixed))
    (a, _), _ = _nnls2(np.stack([A_lum, cos_all[:, k_bound]], axis=1), y)
    # How much of the face-value hypothesis rests on light the photo does not measure: the skin's
    # light from clipped texels (only known to be at least the clip).
    E_clip_lum = _lum_irradiance(parts["clipped"], kern) / np.pi
    bound_clip_share = float(E_clip_lum.sum() / max(float(A_lum.sum()), 1e-12))
    cos_key = np.maximum(0.0, nrm @ key_dir) / np.pi
    _, res_key = _nnls2(np.stack([A_lum, cos_key], axis=1), y)
    _, res_amb = _nnls2(A_lum[:, None], y)

    # 2. Albedo. Its colour is the skin's over the surroundings' colour (the
    #    illuminant divided out); its luminance cannot come from the shading (the
    #    skin the camera sees faces the unseen room, so albedo x that room's
    #    level is all the photo measures). Prior from the colour (melanin makes
    #    skin darker *and* more saturated: skin.albedo_prior), combined with the
    #    albedo that the visible surroundings at face value imply (``a``), by how
    #    much of the skin's light the photo measured (combine_albedo); ``a`` stays
    #    an upper bound: an 8-bit photo clips windows and lamps and shows only
    #    ~1/4 of the sphere, so the true room is at least as bright as the face-value map.
    white = np.maximum(E_sur.mean(axis=0), 1e-9)
    white = white / float(luminance(white[None])[0])
    chroma_albedo = np.median(rgb, axis=0) / white
    prior = albedo_prior(chroma_albedo)
    # The share of the skin's light the photo measured: all but what came from clipped texels (only
    # known to be at least at the clip). The key's part counts as measured: its strength is fitted to
    # the skin's shading.
    measured = 1.0 - bound_clip_share
    rho, source, bound_weight = combine_albedo(prior["luminance"], prior["sigma_log"], float(a), measured)
    if albedo_luminance is not None:
        rho, source = float(albedo_luminance), "given (ablation_maps)"

    # 3. Scale split: what the albedo leaves unexplained goes to the clipped
    #    regions, the unseen room and the key, by energy balance.
    parts_E = {k: _lum_irradiance(v, kern) for k, v in parts.items()}
    side = []
    if SIDE_SOURCES:
        clip_gain, back_gain, key_E, res_split, side = _side_source_split(
            y, parts_E, np.pi * cos_key, rho, kern, camera, SIDE_SOURCES)
    else:
        clip_gain, back_gain, key_E, res_split = _scale_split(y, parts_E, np.pi * cos_key, rho)
    # A gain beyond MAX_CLIP_GAIN rests on the few skin normals that face the clipped
    # region (the fisheye stretches it over a hemisphere): an extrapolation, not a measurement.
    clip_gain = 1.0 + min(clip_gain, MAX_CLIP_GAIN - 1.0)
    if without == "back_gain":
        back_gain = 1.0
    elif without == "clip_gain":  # clipped texels at the clip, as the photo shows them
        clip_gain = 1.0 / float(tail_gain)
    elif without == "key":
        key_E = 0.0

    # Key colour: that of the brightest surroundings, half-way to neutral (a
    # lamp or window is usually whiter than what it lights).
    ylum = luminance(surround.reshape(-1, 3))
    top = surround.reshape(-1, 3)[ylum >= np.quantile(ylum, 0.98)].mean(axis=0)
    key_col = 0.5 * top / max(float(luminance(top[None])[0]), 1e-9) + 0.5
    key_col = key_col / float(luminance(key_col[None])[0])

    env_sur = parts["front"] + clip_gain * parts["clipped"] + back_gain * parts["back"]
    d = texel_directions(env_height, 2 * env_height)
    lobe = key_lobe(d, key_dir, key_lobe_deg)
    key_part = (lobe[..., None] * (key_E * key_col)[None, None, :]).astype(np.float32)
    env_rad = env_sur + key_part
    for direction, e in side:  # lamps beyond the frame: the key's colour (a lamp is whiter than what it lights)
        env_rad = env_rad + (key_lobe(d, direction, SIDE_SOURCE_DEG)[..., None] * (e * key_col)[None, None, :]).astype(np.float32)

    # Per-channel skin albedo under the final map (for the proxy's BSDF).
    env = EnvMap(env_rad.astype(np.float32))
    E_fin = _irradiance_basis(cv2.resize(env.radiance, (64, 32), interpolation=cv2.INTER_AREA), kern)
    albedo = np.median(np.pi * rgb / np.maximum(E_fin, 1e-9), axis=0)
    albedo = np.clip(albedo, 0.02, 0.95)

    elev = float(np.degrees(np.arcsin(np.clip(-key_dir[1], -1, 1))))
    azim = float(np.degrees(np.arctan2(key_dir[0], -key_dir[2])))
    E_total = float(np.median(luminance(E_fin)))
    info.update({
        "key_direction": [float(v) for v in key_dir],
        "key_elevation_deg": elev,
        "key_azimuth_deg_from_camera": azim,
        "key_irradiance_rgb": [float(v) for v in key_E * key_col],
        "key_colour_rgb": [float(v) for v in key_col],
        "key_share": float(key_E * np.mean(cos_key) * np.pi / max(E_total, 1e-9)),
        "surround_scale": float(back_gain),
        "clipped_gain": float(clip_gain),
        "clip_tail_gain": float(tail_gain),
        "back_gain": float(back_gain),
        "ambient_radiance_rgb": [float(v) for v in env.mean_radiance()],
        "white_balance_rgb": [float(v) for v in white],
        "skin_albedo_rgb": [float(v) for v in albedo],
        "albedo_luminance": rho,
        "albedo_source": source,
        "albedo_prior": prior,
        "albedo_face_value": float(a),
        "albedo_face_value_clip_share": bound_clip_share,
        "albedo_face_value_weight": bound_weight,
        "albedo_measured_share": float(measured),
        "fit_residual_rel": float(res_key / max(np.linalg.norm(y), 1e-12)),
        "fit_residual_rel_without_key": float(res_amb / max(np.linalg.norm(y), 1e-12)),
        "split_residual_rel": res_split,
        "skin_tone": skin_tone(samples["rgb"], albedo),
    })
    if SIDE_SOURCES:
        info["side_sources"] = [{"direction": [float(v) for v in direction], "irradiance": e} for direction, e in side]
    info["refine"] = None
    return env, info, key_part, samples["rgb"]


def key_lobe(d: np.ndarray, key_dir: np.ndarray, lobe_deg: float) -> np.ndarray:
    """A compact lobe around ``key_dir`` on texel directions ``d`` (H, W, 3), normalised to 1 over the sphere.

    Times an irradiance E (at normal incidence) it is the radiance that gives a
    surface facing the key an irradiance of about E.
    """
    h, w = d.shape[:2]
    cosang = np.clip(d @ key_dir, -1, 1)
    sigma = np.radians(lobe_deg)
    lobe = np.exp(-(1 - cosang) / (sigma * sigma))       # ~ Gaussian in angle
    omega = np.broadcast_to(texel_solid_angles(h, w), lobe.shape)
    return lobe / max(float((lobe * omega).sum()), 1e-12)


#: Rows of the map the piece is rendered in (width 2x): the fitted map (64 or 128 rows, ~3 deg a
#: texel) carries the light's energy and direction; the photo's own detail is added at this resolution.
DETAIL_HEIGHT = 256
#: The detail ratio (photo over its low-pass) is kept within these bounds (a clipped highlight or a
#: black pixel must not make a light or a hole of its own).
DETAIL_RATIO_RANGE = (0.2, 5.0)


#: Width of the key light's lobe in the map the piece is rendered in, degrees (the fit's is KEY_LOBE_DEG).
#: The skin's shading measures the key's direction and power, not its size; a 5 deg lobe mirrored in
#: polished metal is a crisp, clipped white spot (the judges' "white hotspot" and "white end caps")
#: that the photo's soft shadows do not show. A window or a lampshade seen from the hand is 10-30 deg.
KEY_RENDER_DEG = 15.0


def spread_key(base: np.ndarray, d: np.ndarray, key_dir, lobe_deg: float) -> np.ndarray:
    """``base`` with the key's compact lobe re-spread to ``lobe_deg``, its energy (per channel) kept."""
    k = np.asarray(key_dir, float)
    if k.shape != (3,) or not np.all(np.isfinite(k)) or np.linalg.norm(k) < 1e-9:
        return base
    k = k / np.linalg.norm(k)
    ang = np.degrees(np.arccos(np.clip(d @ k, -1.0, 1.0)))
    core = ang < 3.0 * KEY_LOBE_DEG
    ring = (ang >= 3.0 * KEY_LOBE_DEG) & (ang < 5.0 * KEY_LOBE_DEG)
    if not core.any() or not ring.any():
        return base
    level = np.median(base[ring], axis=0)
    excess = np.maximum(base - level, 0.0) * core[..., None]
    omega = np.broadcast_to(texel_solid_angles(*d.shape[:2]), d.shape[:2])[..., None]
    energy = (excess * omega).sum(axis=(0, 1))
    return base - excess + key_lobe(d, k, lobe_deg)[..., None] * energy[None, None, :]


#: Behind the camera the room is unseen. It is not a mirror of the photo: mirrored pixel for pixel, a band
#: facing the lens reflected the very skin it covers and read as glass (issue 14, second blind round).
#: It is the fitted level and the background's structure (the hand inpainted away), the photo's colours
#: blurred to room scale (the skin's warmth, no pixel of it), and darker below the horizon: the
#: photographer's body, a lap, a table (a dark reflection along part of a real band).
BACK_COLOUR_BLUR = 0.25    # of the frame's long side: the colour behind the camera is the photo's at room scale
LOWER_BACK_GAIN = 0.45     # the lower back quarter at most this bright relative to the fit
LOWER_BACK_RAMP = 0.35     # d_y over which it darkens (y points down)
#: The room's colour behind the camera is read from the pixels whose chromaticity lies further than this
#: from the skin's (a soft weight), at ROOM_SIDE px; where under ROOM_MIN_SHARE of the frame is such
#: (a frame full of skin), from the whole photo.
ROOM_SKIN_CHROMA = 0.06
ROOM_SIDE = 256
ROOM_MIN_SHARE = 0.05
#: The ring's own pixels (a disc of this many finger widths around its centre) are replaced by the skin
#: around them before anything is mirrored: a grazing reflection sees beside the band, never under it.
RING_FOOTPRINT_WIDTHS = 0.85
#: The photographer as seen *from the ring*: the fit's silhouette is centred on the camera's axis, but a
#: ring off the frame's centre sees the lens (and the person behind it) along its own line of sight. A
#: band facing the camera mirrors exactly that direction; with the silhouette elsewhere it mirrored the
#: bright wall in the skin's colours and read as glass. The torso continues below the head.
TORSO_WIDTH_DEG = 30.0     # half-width of the torso below the head, degrees
#: What gives the back hemisphere its structure: "photo" (mirrored, the ring's footprint filled from the
#: skin around it) or "background" (the hand inpainted away too).
BACK_STRUCTURE = "photo"


def wide_blur(img: np.ndarray, sigma: float) -> np.ndarray:
    """A Gaussian blur of ``sigma`` pixels, computed on a copy shrunk until sigma is 16 px and enlarged
    back: at room scale (sigma 256 px on 1024) a direct blur cost 2.4 s of the warm estimate's 2.5 s, this
    2.5 ms. Shrinking further moves the result (borders, the resampling's own blur): at 16 px it stays
    within 3 % of the direct blur everywhere (median 0.75 %) on a dev photo (tests/test_lighting.py)."""
    import cv2

    f = sigma / 16.0
    if f <= 1.5:
        return cv2.GaussianBlur(img, (0, 0), sigma)
    h, w = img.shape[:2]
    sw, sh = max(4, round(w / f)), max(4, round(h / f))
    small = cv2.resize(img, (sw, sh), interpolation=cv2.INTER_AREA)
    small = cv2.GaussianBlur(small, (0, 0), sigma * sw / w)
    return cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR)


def photographer(d: np.ndarray, toward_camera: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(gain, head)``, each (H, W): the photographer's head around ``toward_camera`` and the torso below it.

    ``gain`` darkens both (:data:`PHOTOGRAPHER_GAIN`); ``head`` (0..1) is where the head and the hands
    holding the phone are. The head is a soft disc of :data:`PHOTOGRAPHER_DEG`; the torso continues
    from it downwards (+y in the camera frame) with :data:`TORSO_WIDTH_DEG` of half-width.
    """
    t = np.asarray(toward_camera, float)
    t = t / np.linalg.norm(t)
    ang = np.degrees(np.arccos(np.clip(d @ t, -1.0, 1.0)))
    head = 1.0 / (1.0 + np.exp((ang - PHOTOGRAPHER_DEG) / 3.0))
    # Torso: directions below the head's centre, within TORSO_WIDTH_DEG of its vertical plane.
    side = np.cross(t, [0.0, 1.0, 0.0])
    side = side / max(np.linalg.norm(side), 1e-9)
    lateral = np.degrees(np.arcsin(np.clip(d @ side, -1.0, 1.0)))
    below = (d[..., 1] > t[1]) & (d @ t > 0.0)
    torso = below / (1.0 + np.exp((np.abs(lateral) - TORSO_WIDTH_DEG) / 4.0))
    occl = np.maximum(head, torso)
    return 1.0 - (1.0 - PHOTOGRAPHER_GAIN) * occl, head


def _without_ring(small: np.ndarray, placement, scale: float) -> np.ndarray:
    """``small`` (uint8, the photo at ``scale``) with the ring's footprint filled from the skin around it."""
    import cv2

    c = getattr(placement, "center_px", None)
    w = getattr(placement, "finger_width_px", None)
    if c is None or w is None or not np.all(np.isfinite(np.asarray(c, float))) or not np.isfinite(w):
        return small
    r = max(2, int(round(RING_FOOTPRINT_WIDTHS * float(w) * scale)))
    cx, cy = (int(round(float(v) * scale)) for v in np.asarray(c, float)[:2])
    h, wd = small.shape[:2]
    if not (-r <= cx < wd + r and -r <= cy < h + r):
        return small
    mask = np.zeros((h, wd), np.uint8)
    cv2.circle(mask, (cx, cy), r, 255, -1)
    # Inpaint a window around the disc only, shrunk until the disc's radius is ~12 px: Telea's cost grows
    # with the area times the radius squared (0.32 s of the warm estimate at full size), and the fill is a
    # smooth patch of skin that the render map samples far coarser anyway.
    m = 2 * r + 4
    x0, y0, x1, y1 = max(0, cx - m), max(0, cy - m), min(wd, cx + m + 1), min(h, cy + m + 1)
    win, win_mask = np.ascontiguousarray(small[y0:y1, x0:x1]), mask[y0:y1, x0:x1]
    k = max(1.0, r / 12.0)
    if k > 1.0:
        size = (max(4, round((x1 - x0) / k)), max(4, round((y1 - y0) / k)))
        filled = cv2.inpaint(cv2.resize(win, size, interpolation=cv2.INTER_AREA),
                             (cv2.resize(win_mask, size, interpolation=cv2.INTER_AREA) > 0).astype(np.uint8) * 255,
                             6, cv2.INPAINT_TELEA)
        filled = cv2.resize(filled, (x1 - x0, y1 - y0), interpolation=cv2.INTER_LINEAR)
    else:
        filled = cv2.inpaint(win, win_mask, max(3, r // 2), cv2.INPAINT_TELEA)
    out = small.copy()
    out[y0:y1, x0:x1] = np.where(win_mask[..., None] > 0, filled, win)
    return out


def _hand_directions(d: np.ndarray, placement) -> np.ndarray:
    """(H, W) bool: texel directions in front of the camera that hit the hand's proxies (dilated a texel)."""
    import cv2

    front_dirs = d[..., 2] > 0
    _, _, idx = raycast_capsules(np.zeros_like(d[front_dirs]), d[front_dirs], placement.proxies)
    hand = np.zeros(d.shape[:2], np.uint8)
    hand[front_dirs] = idx >= 0
    return cv2.dilate(hand, np.ones((3, 3), np.uint8)) > 0


def photo_detail_env(env: EnvMap, photo, camera, placement=None, *, height: int = DETAIL_HEIGHT,
                     key_direction=None, key_render_deg: float = KEY_RENDER_DEG, skin_rgb=None,
                     detail: "PhotoDetail | None" = None) -> EnvMap:
    """The fitted map with the photo's own high-frequency content: what the metal mirrors.

    The fit (:func:`estimate_photo_fit`) is deliberately smooth: a few degrees a texel, the hand
    inpainted away, the hemisphere behind the camera a blurred, desaturated mirror. A polished
    metal mirrors it as one soft gradient, the same on every photo. Here, at ``height`` rows:

    - first the ring's own footprint in the photo is filled from the skin around it
      (:data:`RING_FOOTPRINT_WIDTHS`): nothing below may mirror the pixels the band covers;
    - in front of the camera, where the photo is seen, the fitted radiance is multiplied by the
      photo's detail: the photo *with* the hand, over its low-pass at the fit's resolution, per
      channel (so the fitted energy and key stay, the structure is the photo's). Near a finger's
      outline a grazing reflection continues almost along the camera's ray past the silhouette, so
      it sees what the photo shows just beside the finger: the dark gap, the neighbouring finger;
    - where the camera saw the hand (``placement``'s proxies), the fit has the background
      inpainted; there the map is the photo itself (the skin around the ring, at the fit's level),
      so a grazing reflection at the band's end mirrors the neighbouring finger, not the bright
      backdrop behind it (which made white end caps);
    - behind the camera (the unseen room, see :data:`BACK_COLOUR_BLUR`): the fitted level, the
      structure of the background with the hand inpainted away, mirrored, the photo's colours at
      room scale (a white metal takes the skin's warmth), the lower quarter darker
      (:data:`LOWER_BACK_GAIN`), and the photographer seen from the ring (:func:`photographer`),
      dark, their face and hands in ``skin_rgb`` (the subject's skin, linear);
    - beyond the frame the border's continuation is a guess: no detail is added there;
    - the key's lobe (``key_direction``) is re-spread to ``key_render_deg`` with its energy kept
      (:data:`KEY_RENDER_DEG`).

    ``detail``: :func:`photo_detail` of the same photo, camera, placement and ``height``, when already
    computed (it does not depend on the map).
    """
    detail = detail if detail is not None else photo_detail(photo, camera, placement, height=height)
    return detail.apply(env, key_direction=key_direction, key_render_deg=key_render_deg, skin_rgb=skin_rgb)


class PhotoDetail:
    """The photo-side half of :func:`photo_detail_env` (:func:`photo_detail`): everything but the fitted
    map, so it can be computed before the map exists (``lighting._photo_fit`` does, on a second thread)."""

    def __init__(self, photo, camera, placement, height: int):
        import cv2

        from ..color import srgb8_to_linear

        h = self.height = int(height)
        self.d = d = texel_directions(h, 2 * h)
        side = 1024
        scale = min(1.0, side / max(photo.width, photo.height))
        sw, sh = max(8, round(photo.width * scale)), max(8, round(photo.height * scale))
        small = cv2.resize(photo.srgb, (sw, sh), interpolation=cv2.INTER_AREA) if scale < 1 else photo.srgb
        if placement is not None:
            small = _without_ring(small, placement, scale)
        lin = srgb8_to_linear(small).astype(np.float32)
        mx, my, w_out = _perspective_lookup(camera, d, scale, sw, sh)
        self.pe = cv2.remap(lin, mx, my, interpolation=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
        self.w_out = w_out
        self.hand = None
        if placement is not None and getattr(placement, "proxies", None):
            self.hand = _hand_directions(d, placement)
        # Behind the camera: the structure of the photo with the ring's footprint filled (BACK_STRUCTURE).
        bg_small = _background_only(small, camera, placement, scale) \
            if placement is not None and BACK_STRUCTURE == "background" else small
        self.bg = cv2.remap(srgb8_to_linear(bg_small).astype(np.float32), mx, my, interpolation=cv2.INTER_LINEAR,
                            borderMode=cv2.BORDER_REPLICATE)
        # The photo's colours at room scale (everything seen); :meth:`room_colour` narrows it to the
        # background once the skin's colour is known.
        room = wide_blur(lin, BACK_COLOUR_BLUR * max(sw, sh))
        self.room = cv2.remap(room, mx, my, interpolation=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
        self._lin, self._maps = lin, (mx, my)
        self._rooms: dict[tuple, np.ndarray] = {}
        self.photographer = None
        c = np.asarray(getattr(placement, "center_cam", None) if placement is not None else None, float)
        if c.shape == (3,) and np.all(np.isfinite(c)) and np.linalg.norm(c) > 1e-9:
            self.photographer = photographer(d, -c / np.linalg.norm(c))
        self._by_fit_height: dict[int, tuple] = {}

    def prepare(self, fit_height: int, skin_rgb=None) -> "PhotoDetail":
        """Make now what :meth:`apply` needs of a fitted map ``fit_height`` rows high and of ``skin_rgb`` (both
        kept), so that apply, which waits for the fit, does only the map's part."""
        self._low_pass(int(fit_height))
        self.room_colour(skin_rgb)
        return self

    def room_colour(self, skin_rgb=None) -> np.ndarray:
        """(H, W, 3): the colour of the unseen room behind the camera, per texel (only its chroma is used).

        The room is lit by the light that lights the hand, but it is not made of skin: the photo's pixels
        unlike ``skin_rgb`` (linear; chromaticity further than :data:`ROOM_SKIN_CHROMA` from it), blurred
        at room scale. With all pixels counted, a hand close-up's room was its own skin and a gold band
        mirrored skin-coloured light everywhere: one copper look on every photo (issue 14, round four:
        "a uniform orange rim framing an inner reflective window"). Where less than
        :data:`ROOM_MIN_SHARE` of the frame is unlike the skin, the whole photo's colour, as before.
        """
        import cv2

        skin = np.asarray(skin_rgb if skin_rgb is not None else [], float)
        if skin.shape != (3,) or not np.all(np.isfinite(skin)) or skin.sum() <= 0:
            return self.room
        key = tuple(np.round(skin, 4))
        got = self._rooms.get(key)
        if got is None:
            lin = self._lin
            h, w = lin.shape[:2]
            f = min(1.0, ROOM_SIDE / max(h, w))
            small = cv2.resize(lin, (max(4, round(w * f)), max(4, round(h * f))), interpolation=cv2.INTER_AREA)
            chroma = small / (small.sum(axis=2, keepdims=True) + 1e-6)
            ref = skin / skin.sum()
            dist = np.linalg.norm(chroma - ref[None, None, :], axis=2)
            wgt = (1.0 - np.exp(-((dist / ROOM_SKIN_CHROMA) ** 2))).astype(np.float32)
            got = self.room
            if float(wgt.mean()) >= ROOM_MIN_SHARE:
                sigma = BACK_COLOUR_BLUR * max(small.shape[:2])
                num = wide_blur(small * wgt[..., None], sigma)
                den = wide_blur(wgt, sigma)
                room = num / np.maximum(den, 1e-6)[..., None]
                room = cv2.resize(room.astype(np.float32), (w, h), interpolation=cv2.INTER_LINEAR)
                mx, my = self._maps
                got = cv2.remap(room, mx, my, interpolation=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
            self._rooms[key] = got
        return got

    def _low_pass(self, fit_height: int):
        """The photo's and the background's low-pass at a fitted map's texel size, their detail ratios and
        where the fit's level is read."""
        import cv2

        got = self._by_fit_height.get(fit_height)
        if got is None:
            h, pe, w_out = self.height, self.pe, self.w_out
            # Low-pass at the fitted map's texel size, wrapping round the seam.
            sigma = 0.5 * h / fit_height
            pad = int(np.ceil(3 * sigma)) + 1

            def lowpass(img):
                wrapped = np.concatenate([img[:, -pad:], img, img[:, :pad]], axis=1)
                return cv2.GaussianBlur(wrapped, (0, 0), max(sigma, 0.5))[:, pad:-pad]

            lo = lowpass(pe)
            eps = 1e-4 + 1e-3 * float(np.median(lo))
            inside = (1.0 - w_out)[..., None]
            ratio = 1.0 + inside * (np.clip((pe + eps) / (lo + eps), *DETAIL_RATIO_RANGE) - 1.0)
            bg_ratio = 1.0 + inside * (np.clip((self.bg + eps) / (lowpass(self.bg) + eps), *DETAIL_RATIO_RANGE) - 1.0)
            seen = None
            if self.hand is not None:
                seen = (self.d[..., 2] > 0) & (w_out < 1e-3) & ~self.hand & (pe.max(axis=-1) < 0.9)
            got = self._by_fit_height[fit_height] = (lo, eps, ratio, bg_ratio, inside, seen)
        return got

    def apply(self, env: EnvMap, *, key_direction=None, key_render_deg: float = KEY_RENDER_DEG,
              skin_rgb=None) -> EnvMap:
        """:func:`photo_detail_env` of ``env`` (see there)."""
        import cv2

        h, d, pe = self.height, self.d, self.pe
        base = cv2.resize(env.radiance, (2 * h, h), interpolation=cv2.INTER_LINEAR)
        if key_direction is not None:
            base = spread_key(base, d, key_direction, key_render_deg)
        lo, eps, ratio, bg_ratio, inside, seen = self._low_pass(env.radiance.shape[0])
        out = base * ratio
        if self.hand is not None:
            # The fit's level over what the camera saw at face value (about 1 after the refinement).
            k = float(np.median(luminance(base[seen]) / np.maximum(luminance(lo[seen]), 1e-6))) if seen.sum() > 50 else 1.0
            k = float(np.clip(k, 0.25, 4.0))
            out = np.where(self.hand[..., None], k * pe, out)
        back_out = base * bg_ratio
        y_back = luminance(back_out)[..., None]
        room = self.room_colour(skin_rgb)
        colour = (room + eps) / (luminance(room)[..., None] + eps)
        back_out = y_back * (1.0 + inside * (colour - 1.0))
        # The key reached the hand (the skin's shading measured it): nothing below darkens its lobe.
        k = np.asarray(key_direction if key_direction is not None else [], float)
        keep = np.zeros(d.shape[:2])
        if k.shape == (3,) and np.all(np.isfinite(k)) and np.linalg.norm(k) > 1e-9:
            cos_k = np.clip(d @ (k / np.linalg.norm(k)), -1.0, 1.0)
            keep = np.exp(-(1.0 - cos_k) / np.radians(key_render_deg) ** 2)

        def unblocked(gain):
            return gain + (1.0 - gain) * keep

        lower = np.clip(d[..., 1] / LOWER_BACK_RAMP, 0.0, 1.0)
        back_out = back_out * unblocked(1.0 - (1.0 - LOWER_BACK_GAIN) * lower * lower * (3 - 2 * lower))[..., None]
        if self.photographer is not None:
            gain, head = self.photographer
            back_out = back_out * unblocked(gain)[..., None]
            head = head * (1.0 - keep)
            skin = np.asarray(skin_rgb if skin_rgb is not None else [], float)
            if skin.shape == (3,) and np.all(np.isfinite(skin)) and skin.sum() > 0:
                # The photographer's face and hands are skin: a band facing the lens mirrors them, warm.
                y = luminance(back_out)[..., None]
                tint = y * (skin / max(float(luminance(skin[None])[0]), 1e-9))[None, None, :]
                back_out = back_out + head[..., None] * (tint - back_out)
        out = np.where((d[..., 2] >= 0)[..., None], out, back_out)
        return EnvMap(np.maximum(out, 0.0).astype(np.float32), meta=dict(env.meta, detail_height=h))


def photo_detail(photo, camera, placement=None, *, height: int = DETAIL_HEIGHT) -> PhotoDetail:
    """The photo-side half of :func:`photo_detail_env`, for a map to come (``photo_detail_env(..., detail=)``)."""
    return PhotoDetail(photo, camera, placement, height)


def _background_only(small: np.ndarray, camera, placement, scale: float) -> np.ndarray:
    """``small`` with the hand (the proxies as the camera sees them) inpainted, at <= 256 px for speed."""
    import cv2

    if not getattr(placement, "proxies", None):
        return small
    sh, sw = small.shape[:2]
    f = min(1.0, 256 / max(sw, sh))
    tw, th = max(8, round(sw * f)), max(8, round(sh * f))
    tiny = cv2.resize(small, (tw, th), interpolation=cv2.INTER_AREA)
    gu, gv = np.meshgrid((np.arange(tw) + 0.5) / (f * scale), (np.arange(th) + 0.5) / (f * scale))
    dirs = camera.ray_directions(np.stack([gu.ravel(), gv.ravel()], axis=1))
    _, _, idx = raycast_capsules(np.zeros_like(dirs), dirs, placement.proxies)
    mask = cv2.dilate((idx >= 0).reshape(th, tw).astype(np.uint8) * 255, np.ones((5, 5), np.uint8))
    if mask.mean() >= 0.9 * 255:
        return small
    filled = cv2.inpaint(tiny, mask, 5, cv2.INPAINT_TELEA)
    return cv2.resize(filled, (sw, sh), interpolation=cv2.INTER_LINEAR)
