"""Refinement of the lighting against the photo's skin pixels (an exact, differentiable fit).

After ``photo_fit``'s closed-form fit, the proxy skin's image under the map
(a small crop of the photo camera, diffuse skin, direct light with the
capsules' shadows: what Mitsuba's ``prb`` renders at ``max_depth`` 2) is
matched to the photo's skin pixels by adjusting the lighting with Adam.

That image is linear in the map: pixel ``p`` of channel ``c`` is
``albedo_c * sum_t T[p, t] * L_c[t]`` with the light transport
``T[p, t] = (1/pi) * mean over the pixel of max(0, n.d_t) * V(x, d_t) * w_t``
(normal ``n`` and point ``x`` from the analytic capsules, ``V`` the visibility
of texel ``t``'s direction, ray-tested by Mitsuba against the capsules' meshes
in the active variant, ``w_t`` the texel's solid angle). ``T`` is built once
per call (:func:`light_transport`), and every step of the fit is then two
matrix products in NumPy with analytic gradients: the same objective the
Mitsuba AD renders of the earlier version estimated at 4 spp, without their
Monte Carlo noise, their 24 forward and backward renders, or the switch to the
RGB variant and back. The texels are placed where Mitsuba's ``envmap`` plugin
reads them (rows from pole to pole, bilinear), so the gains correct the map as
the renderer will show it.

Parameters (all in log space, so they stay positive and start at 0):

* ``gain``: a coarse grid (:data:`GRID` = 4 x 8 texels, per channel, bilinear,
  wrapping in longitude) multiplying the environment *without* the key light:
  the low-frequency part of the room;
* ``key``: one gain per channel on the key-light lobe (its intensity and colour);
* ``albedo``: one gain per channel on the skin albedo, shifted after each step so
  that the albedo's luminance stays the closed-form fit's
  (:data:`ALBEDO_LUMINANCE_FIXED`): only its colour is fitted.

Albedo and light trade off exactly (only their product is seen): the albedo's
level is what the closed-form fit's colour prior and face-value albedo decided,
which the skin's pixels cannot; each parameter also carries a weak quadratic
prior towards 0 (no change): the photo decides the product and the shading's
direction dependence.

Loss: mean squared difference of linear values over the skin pixels, divided
by the mean squared photo value (a relative loss, independent of exposure).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from ..errors import InvalidOptionError, RenderError
from .envmap import EnvMap

__all__ = ["DEFAULT_ITERATIONS", "ENV_FIT_HEIGHT", "GRID", "SkinTransport", "light_transport", "refine_lighting",
           "skin_transport"]

DEFAULT_ITERATIONS = 24
GRID = (4, 8)             # coarse gain grid, rows x columns over the sphere
RES = 64                  # long side of the fitted crop, pixels
SUBPIXELS = 2             # normals per pixel side averaged into its shading (the photo's pixel is an area)
LEARNING_RATE = 0.08      # Adam step in log units (8 % per step at most, roughly)
PRIOR_WEIGHT = 0.02       # weight of the quadratic prior on each log gain, relative to the loss
ENV_FIT_HEIGHT = 32       # the map is refined at this height (the gains are resolution-free)
#: The albedo's luminance is the closed-form fit's (its colour prior and the face-value albedo): the
#: photo sees only albedo x light, so the refinement changes the albedo's colour, never its level.
ALBEDO_LUMINANCE_FIXED = True
ADAM_BETAS = (0.9, 0.999)  # drjit's mi.ad.Adam defaults, which the fit used when it ran in Mitsuba AD
ADAM_EPSILON = 1e-8


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
    small = cv2.resize(np.asarray(photo.linear, np.float32), (fw, fh), interpolation=cv2.INTER_AREA)
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


def renderer_texels(height: int, width: int) -> tuple[np.ndarray, np.ndarray]:
    """Directions ``(H*W, 3)`` (camera frame) and integration weights ``(H*W,)`` (sr) of a map's texels
    as Mitsuba's ``envmap`` plugin reads them.

    The plugin interpolates bilinearly with row ``j`` at polar angle ``j / (H - 1) * pi`` (the first
    and last rows on the poles) and column ``i`` at ``u = i / W`` (the seam wraps); a texel's weight
    is the solid angle of its interpolation footprint (rows half-way to their neighbours), so the
    weights sum to 4 pi. Measured: the transport built on these directions matches a 1024 spp
    Mitsuba render of the proxies to 0.1 % in total; half a texel's latitude off (the texel
    centres of :func:`~jewelrender.lighting.envmap.texel_directions`) it is 4 % too bright. Half a
    texel of longitude made no measurable difference there (the seam's wrap column sets ``i / W``).
    """
    theta = np.arange(height) / max(height - 1, 1) * np.pi
    phi = (2.0 * np.arange(width) / width - 1.0) * np.pi
    st = np.sin(theta)[:, None]
    d = np.empty((height, width, 3))
    d[..., 0] = st * np.sin(phi)[None, :]
    d[..., 1] = -np.cos(theta)[:, None]
    d[..., 2] = st * np.cos(phi)[None, :]
    half = 0.5 * np.pi / max(height - 1, 1)
    lo, hi = np.maximum(theta - half, 0.0), np.minimum(theta + half, np.pi)
    w = (np.cos(lo) - np.cos(hi)) * (2.0 * np.pi / width)
    return d.reshape(-1, 3), np.repeat(w, width)


def _proxy_scene(mi, placement):
    """A Mitsuba scene of the capsules' meshes, for ray tests only: the render's own for these proxies
    (:func:`jewelrender.render.ray_test_scene`; built here first, it is not built again there)."""
    from ..render import ray_test_scene
    from ..sites.proxies import capsule_meshes

    caps = placement.proxies
    v, f, _ = capsule_meshes([c.p0 for c in caps], [c.p1 for c in caps], [c.radius for c in caps])
    return ray_test_scene(mi, v, f)


def light_transport(camera, placement, film, crop, mask, height: int, width: int,
                    subpixels: int = SUBPIXELS) -> tuple[np.ndarray, int]:
    """``T (P, H*W)``: the proxy skin's diffuse image at the ``mask`` pixels of ``crop``, per texel of an
    ``(H, W)`` map and per unit albedo (direct light, the capsules' shadows included).

    Each pixel averages the clamped cosine over ``subpixels`` x ``subpixels`` normals of its area (the photo's
    pixel is an area average); the visibility of each texel's direction is ray-tested once, from
    the point the pixel's centre sees, against the capsules' meshes (Mitsuba, the active variant).
    The meshes lie inside the analytic capsules, so a ray leaving a capsule's surface outwards
    never hits its own mesh. Returns ``(T, number of rays tested)``.
    """
    from .. import backend
    from ..sites.proxies import raycast_capsules

    fw, fh = film
    cx0, cy0, cw, ch = crop
    sx, sy = fw / camera.width, fh / camera.height
    py, px = np.divmod(np.flatnonzero(np.asarray(mask).ravel()), cw)
    n_pix = len(px)
    d_tex, w_tex = renderer_texels(height, width)

    # Centres first (the mask was cast there, so they hit), then the sub-pixel grid.
    o = (np.arange(subpixels) + 0.5) / subpixels
    ox, oy = (g.ravel() for g in np.meshgrid(o, o))
    u = np.concatenate([cx0 + px + 0.5, (cx0 + px[:, None] + ox[None, :]).ravel()]) / sx
    v = np.concatenate([cy0 + py + 0.5, (cy0 + py[:, None] + oy[None, :]).ravel()]) / sy
    dirs = camera.ray_directions(np.stack([u, v], axis=1))
    t, nrm, idx = raycast_capsules(np.zeros_like(dirs), dirs, placement.proxies)
    t_c, n_c = t[:n_pix], nrm[:n_pix]
    hit_s = (idx[n_pix:] >= 0).reshape(n_pix, -1)
    n_s = nrm[n_pix:].reshape(n_pix, -1, 3)
    # Mean clamped cosine over the sub-pixels that see skin (the mask is eroded: nearly all do). In place,
    # sub-pixel by sub-pixel in the same order: the same sums as with temporaries, at half the time.
    cos = np.zeros((n_pix, len(d_tex)))
    part = np.empty_like(cos)
    for k in range(n_s.shape[1]):
        np.matmul(n_s[:, k], d_tex.T, out=part)
        np.maximum(part, 0.0, out=part)
        part[~hit_s[:, k]] = 0.0
        cos += part
    cos /= np.maximum(hit_s.sum(axis=1), 1)[:, None]

    # Visibility, only where the light would count.
    ii, jj = np.nonzero(cos > 0.0)
    radius = np.array([c.radius for c in placement.proxies])[np.maximum(idx[:n_pix], 0)]
    origin = dirs[:n_pix] * t_c[:, None] + 1e-4 * radius[:, None] * n_c
    occluded = np.zeros(len(ii), dtype=bool)
    if len(ii):
        backend.select()
        import drjit as dr
        import mitsuba as mi

        from ..render import jit_array

        scene = _proxy_scene(mi, placement)
        # The (pixel, texel) pairs' rays are gathered inside the ray-test kernel, not built in NumPy. The
        # arrays go to Dr.Jit aligned: an unaligned index array's load is another kernel (compiled again).
        og = mi.Point3f(*(jit_array(mi.Float, origin[:, k].astype(np.float32)) for k in range(3)))
        dg = mi.Vector3f(*(jit_array(mi.Float, d_tex[:, k].astype(np.float32)) for k in range(3)))
        ray = mi.Ray3f(dr.gather(mi.Point3f, og, jit_array(mi.UInt32, ii.astype(np.uint32))),
                       dr.gather(mi.Vector3f, dg, jit_array(mi.UInt32, jj.astype(np.uint32))))
        occluded = np.array(scene.ray_test(ray), dtype=bool).reshape(-1)
    cos[ii[occluded], jj[occluded]] = 0.0
    cos *= (w_tex / np.pi)[None, :]
    return cos, int(len(ii))


@dataclass
class SkinTransport:
    """What the refinement needs from the photo and the geometry alone (not from the map), so it can be
    built while the closed-form fit runs: :func:`skin_transport`."""

    height: int                  # rows of the map the transport is for (width 2x)
    film: tuple                  # (width, height) of the whole frame at the fit's resolution
    crop: tuple                  # (x0, y0, width, height) of the fitted crop, in the film's pixels
    mask: np.ndarray             # (crop height, crop width) bool: the skin pixels fitted
    target: np.ndarray           # (P, 3) the photo's linear skin pixels (area-averaged to the film)
    transport: np.ndarray | None  # (P, height * 2 height), see light_transport; None with too few pixels
    rays: int
    seconds: float


def skin_transport(photo, camera, placement, height: int) -> SkinTransport:
    """The photo's skin pixels at the fit's crop and their light transport for an ``(height, 2 height)`` map."""
    from .. import backend
    from .skin import reference_skin

    t0 = time.perf_counter()
    ref = reference_skin(photo, camera, placement)
    film, crop, target, mask = _crop_setup(camera, placement, photo, ref)
    tgt = target.reshape(-1, 3)[mask.ravel()]
    if len(tgt) < 20:
        return SkinTransport(height, film, crop, mask, tgt, None, 0, time.perf_counter() - t0)
    try:
        transport, n_rays = light_transport(camera, placement, film, crop, mask, height, 2 * height)
    except RuntimeError as exc:  # Mitsuba / drjit failures on valid input
        raise RenderError(f"lighting refinement failed: {exc}", details={"variant": backend.current()}) from exc
    return SkinTransport(height, film, crop, mask, tgt, transport, n_rays, time.perf_counter() - t0)


def refine_lighting(photo, camera, placement, env: EnvMap, albedo, *, iterations: int = DEFAULT_ITERATIONS,
                    key_direction=None, key_lobe_deg: float = 5.0, key_part: np.ndarray | None = None,
                    transport: SkinTransport | None = None):
    """Refine ``env`` and ``albedo`` so the proxy skin's image matches the photo's skin pixels.

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
    transport : SkinTransport, optional
        :func:`skin_transport` of the same photo, camera and placement for the fit's map height
        (``min(ENV_FIT_HEIGHT, H)``), when already built; built here otherwise.

    Returns
    -------
    env : EnvMap
        The refined map, same size as ``env``.
    albedo : ndarray, (3,)
    info : dict
        ``loss_before``, ``loss_after`` (exact: the image is computed, not sampled), ``iterations``,
        ``seconds`` (the transport's included, wherever it was built), ``pixels``, ``albedo_gain``,
        ``key_gain``, ``gain_range`` (min, max of the room gain), ``variant`` (the Mitsuba variant of
        the ray tests), ``transport`` (crop, texels, rays, seconds).
    """
    if isinstance(iterations, bool) or not isinstance(iterations, (int, np.integer)) or iterations < 0:
        raise InvalidOptionError(f"refine iterations must be a non-negative integer, got {iterations!r}")
    import cv2

    from .. import backend

    t0 = time.perf_counter()
    albedo = np.asarray(albedo, dtype=np.float64).reshape(3)
    H, W = env.shape
    h = min(ENV_FIT_HEIGHT, H)
    if transport is None:
        transport = skin_transport(photo, camera, placement, h)
    elif transport.height != h:
        raise InvalidOptionError(f"the transport is for a {transport.height}-row map, the fit needs {h}")
    n_pix = len(transport.target)
    if transport.transport is None:
        return env, albedo, {"loss_before": None, "loss_after": None, "iterations": 0, "pixels": n_pix,
                             "seconds": time.perf_counter() - t0 + transport.seconds,
                             "skipped": "too few skin pixels in the crop"}
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
    room_s = cv2.resize(room_full, (2 * h, h), interpolation=cv2.INTER_AREA).astype(np.float64)
    key_s = cv2.resize(key_part, (2 * h, h), interpolation=cv2.INTER_AREA).astype(np.float64)
    # Area-resizing spreads a compact lobe; keep its power.
    key_s *= (EnvMap(key_part).mean_radiance().sum() + 1e-12) / (EnvMap(key_s.astype(np.float32)).mean_radiance().sum() + 1e-12)

    log_gain, log_key, log_alb, loss_before, loss_after = _optimise(
        transport.transport, transport.target, room_s.reshape(-1, 3), key_s.reshape(-1, 3), albedo, h, iterations)

    gain = gain_field(log_gain, H, W)
    new_env = EnvMap((room_full * gain + key_part * np.exp(log_key)[None, None, :]).astype(np.float32))
    new_albedo = np.clip(albedo * np.exp(log_alb), 0.01, 0.95)
    crop = transport.crop
    info = {"loss_before": loss_before, "loss_after": loss_after, "iterations": int(iterations),
            "seconds": time.perf_counter() - t0 + transport.seconds, "pixels": n_pix,
            "albedo_gain": [float(v) for v in np.exp(log_alb)], "key_gain": [float(v) for v in np.exp(log_key)],
            "gain_range": [float(gain.min()), float(gain.max())], "variant": backend.current(),
            "transport": {"crop": [int(crop[2]), int(crop[3])], "texels": [h, 2 * h], "subpixels": SUBPIXELS,
                          "rays": transport.rays, "seconds": transport.seconds}}
    return new_env, new_albedo, info


def _keep_luminance(albedo: np.ndarray, log_gain: np.ndarray) -> np.ndarray:
    """``log_gain`` shifted by a common amount so that ``albedo * exp(log_gain)`` keeps ``albedo``'s luminance."""
    lum = np.array([0.2126, 0.7152, 0.0722])
    return log_gain - np.log(float(lum @ (albedo * np.exp(log_gain))) / max(float(lum @ albedo), 1e-12))


def _optimise(transport, tgt, room, key, albedo, h, iterations):
    """Adam on the log gains against the exact image ``albedo * transport @ map``, with analytic gradients.

    The loss, its priors, the step size and its decay are those of the fit when it ran in Mitsuba AD.
    Returns ``(log_gain (gh, gw, 3), log_key (3,), log_albedo (3,), loss_before, loss_after)``.
    """
    taps, wts = _bilinear_taps(h, 2 * h)
    n_tex, n_cells = room.shape[0], GRID[0] * GRID[1]
    # The bilinear taps as a (texels, cells) matrix: log gain per texel = B @ grid.
    B = np.zeros((n_tex, n_cells))
    for t in range(4):
        np.add.at(B, (np.arange(n_tex), taps[t]), wts[t])
    # Texels no skin pixel sees (below every normal's horizon, or hidden) change nothing: dropped. (The
    # transport is >= 0, so its column maxima say which; np.take gathers the columns ~7x faster than
    # fancy indexing, the same values.)
    seen = np.flatnonzero(transport.max(axis=0) > 0.0)
    transport, room, key, B = np.take(transport, seen, axis=1), room[seen], key[seen], B[seen]
    norm = float(np.mean(tgt ** 2)) + 1e-12
    scale = 2.0 / (tgt.size * norm)
    key_img = transport @ key                       # the key's image per unit key gain (P, 3)
    # The steps' products in single precision (half the memory traffic; the image to ~1e-7).
    t32 = transport.astype(np.float32)

    def image(g, k, a, gain=None):
        """The image, and the room's image and gain per texel (``gain``: ``exp(B @ g)`` when known)."""
        gain = np.exp(B @ g) if gain is None else gain
        room_img = t32 @ (room * gain).astype(np.float32)
        return albedo * np.exp(a) * (room_img + key_img * np.exp(k)), room_img, gain

    def data_loss(img):
        return float(np.mean((img - tgt) ** 2) / norm)

    params = [np.zeros((n_cells, 3)), np.zeros(3), np.zeros(3)]   # grid, key, albedo (log gains)
    m = [np.zeros_like(p) for p in params]
    v = [np.zeros_like(p) for p in params]
    b1, b2 = ADAM_BETAS
    loss_before = data_loss(image(*params)[0])
    for it in range(iterations):
        # Linear decay to a tenth: early steps move, late ones settle.
        lr = LEARNING_RATE * (1.0 - 0.9 * it / max(iterations - 1, 1))
        g, k, a = params
        img, room_img, gain = image(g, k, a)
        r = scale * (img - tgt)                      # d loss / d image
        alb = albedo * np.exp(a)
        grad_a = (r * img).sum(axis=0) + PRIOR_WEIGHT * 2.0 * a / 3.0
        grad_k = (r * alb * key_img * np.exp(k)).sum(axis=0) + PRIOR_WEIGHT * 2.0 * k / 3.0
        d_env = t32.T @ (r * alb).astype(np.float32)  # d loss / d map texel (T, 3)
        grad_g = B.T @ (d_env * room * gain) + PRIOR_WEIGHT * 2.0 * g / g.size
        step = it + 1
        corr = np.sqrt(1.0 - b2 ** step) / (1.0 - b1 ** step)
        for i, grad in enumerate((grad_g, grad_k, grad_a)):
            m[i] = b1 * m[i] + (1.0 - b1) * grad
            v[i] = b2 * v[i] + (1.0 - b2) * grad * grad
            params[i] = params[i] - lr * corr * m[i] / np.sqrt(v[i] + ADAM_EPSILON ** 2)
        if ALBEDO_LUMINANCE_FIXED:
            params[2] = _keep_luminance(albedo, params[2])
    loss_after = data_loss(image(*params)[0]) if iterations else loss_before
    g, k, a = params
    return g.reshape(GRID[0], GRID[1], 3), k, a, loss_before, loss_after
