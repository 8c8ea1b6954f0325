"""The camera's look around the ring: measured on the photo, re-applied to the rendered piece.

A render is cleaner than any photo: no sensor noise, no sharpening halo, no colour
fringing, no JPEG blocks. Judges notice a ring that is cleaner than the finger it
sits on. :func:`measure_look` reads, on the region around the ring,

- the sensor noise per channel as a function of brightness (``sigma^2 = a I + b``
  in 8-bit code values, Immerkær's Laplacian-difference residual binned by the
  local mean);
- the blur of the hand's own edges there (:func:`edge_blur_sigma`
  on the segmented silhouette's edges when there is one);
- the sharpening halo: the overshoot beyond a strong edge's plateaus, as a
  fraction of the edge's contrast;
- lateral chromatic aberration: how far the red and blue edges sit from the green
  one along the radius from the image centre (px, outward positive);
- JPEG compression: the quality from the file's own quantisation tables (IJG
  scaling), and the 8 x 8 blockiness;
- the grain (:func:`measure_grain`): the noise's spatial spectrum per YCbCr channel,
  read in the flattest tiles of the skin after the camera's JPEG. A phone or webcam
  plate's noise is not white per-pixel noise: demosaicing, denoising and 4:2:0 chroma
  make it blotches several pixels wide, in colour more than in brightness.

:func:`apply_look` gives the composited crop the same halo, fringe and noise on
the piece, and re-encodes it with the photo's own quantisation tables, keeping the
result only on and around the piece (the photo elsewhere is untouched).
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

__all__ = ["CameraLook", "Grain", "measure_grain", "grain_noise", "measure_look", "apply_look", "jpeg_quality_from_tables", "noise_profile",
           "halo_overshoot", "lateral_fringe_px", "blockiness", "usm_amount_for", "edge_blur_sigma",
           "applied_fringe_px"]

# IJG's reference luminance table (JPEG standard, Annex K), natural order.
_IJG_LUMA = np.array([
    16, 11, 10, 16, 24, 40, 51, 61, 12, 12, 14, 19, 26, 58, 60, 55, 14, 13, 16, 24, 40, 57, 69, 56,
    14, 17, 22, 29, 51, 87, 80, 62, 18, 22, 37, 56, 68, 109, 103, 77, 24, 35, 55, 64, 81, 104, 113, 92,
    49, 64, 78, 87, 103, 121, 120, 101, 72, 92, 95, 98, 112, 100, 103, 99], float)
_ZIGZAG = np.array([
    0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5, 12, 19, 26, 33, 40, 48, 41, 34, 27, 20, 13, 6, 7, 14,
    21, 28, 35, 42, 49, 56, 57, 50, 43, 36, 29, 22, 15, 23, 30, 37, 44, 51, 58, 59, 52, 45, 38, 31, 39, 46, 53,
    60, 61, 54, 47, 55, 62, 63])
_IMMERKAER = np.array([[1, -2, 1], [-2, 4, -2], [1, -2, 1]], np.float32)
# JPEG's (JFIF, full-range) RGB -> YCbCr, without the chroma offset (noise has none).
_RGB2YCC = np.array([[0.299, 0.587, 0.114], [-0.168736, -0.331264, 0.5], [0.5, -0.418688, -0.081312]], np.float32)
_YCC2RGB = np.linalg.inv(_RGB2YCC).astype(np.float32)


@dataclass(frozen=True)
class Grain:
    """The plate's noise as a texture: its spectrum per JPEG channel, after the camera's compression.

    Attributes
    ----------
    kernels : (3, t, t) float32
        Per channel (Y, Cb, Cr), a filter whose output on unit white noise has the plate's
        noise spectrum and unit variance (the inverse FFT of the amplitude spectrum).
    sigma_ycc : (3,) float
        The noise's standard deviation per channel (8-bit code values): what, made with
        these kernels, measures in flat tiles as the skin's did.
    level : float
        Mean 8-bit luma of those tiles (the noise is rescaled to other levels with the
        signal-dependent profile ``a I + b``).
    n_tiles : int
        Tiles it was read on.
    """

    kernels: np.ndarray
    sigma_ycc: tuple
    level: float
    n_tiles: int

    def to_report(self) -> dict:
        return {"sigma_ycc": [round(float(v), 3) for v in self.sigma_ycc], "level": round(float(self.level), 1),
                "n_tiles": int(self.n_tiles), "tile_px": int(self.kernels.shape[-1]),
                "low_freq_share_ycc": [round(v, 3) for v in _low_share(self.kernels)]}


#: Tile side (px) the grain's spectrum is read on: its blotches are up to a few px wide, and a crop
#: round a 3-4 px band on a small photo is ~100 px, which still gives dozens of half-overlapping tiles.
GRAIN_TILE = 16
#: Of the tiles inside the skin, the share with the least luma variance kept as "flat": skin texture,
#: creases and hair add variance, the noise is everywhere.
GRAIN_FLAT_SHARE = 0.5
GRAIN_MIN_TILES = 4
GRAIN_MAX_TILES = 400


@lru_cache(maxsize=8)
def _plane_basis(t: int) -> np.ndarray:
    """(t * t, 3) orthonormal basis of the planes over a t x t tile."""
    yy, xx = np.mgrid[0:t, 0:t].astype(np.float64)
    A = np.stack([xx.ravel(), yy.ravel(), np.ones(t * t)], 1)
    q = np.linalg.qr(A)[0].astype(np.float32)
    q.setflags(write=False)
    return q


def _plane_residual(tiles: np.ndarray) -> np.ndarray:
    """(n, t, t) tiles minus each one's least-squares plane (illumination gradients are not noise).

    The projection onto the planes through their orthonormal basis (two thin products): the same
    residual as the full (t * t)^2 projection matrix to float rounding, ~20x less work."""
    n, t, _ = tiles.shape
    q = _plane_basis(t)
    flat = tiles.reshape(n, -1)
    return (flat - (flat @ q) @ q.T).reshape(n, t, t)


def _low_share(kernels: np.ndarray, cutoff: float = 0.25) -> list[float]:
    """Per kernel, the share of its power below ``cutoff`` cycles/px (white noise: ~0.2)."""
    t = kernels.shape[-1]
    f = np.fft.fftfreq(t)
    fr = np.hypot(f[:, None], f[None, :])
    out = []
    for k in kernels:
        p = np.abs(np.fft.fft2(np.fft.ifftshift(k))) ** 2
        out.append(float(p[fr < cutoff].sum() / max(p.sum(), 1e-12)))
    return out


def _flat_tiles(ycc: np.ndarray, ok: np.ndarray, tile: int, flat_share: float):
    """Detrended residuals (n, 3, t, t) of the flattest half-overlapping tiles within ``ok``, and their luma."""
    h, w = ycc.shape[:2]
    step = tile // 2
    # The share of ``ok`` in every tile at once, from the integral image.
    ii = np.pad(np.asarray(ok, np.float64).cumsum(0).cumsum(1), ((1, 0), (1, 0)))
    ys = np.arange(0, h - tile + 1, step)[:, None]
    xs = np.arange(0, w - tile + 1, step)[None, :]
    share = (ii[ys + tile, xs + tile] - ii[ys, xs + tile] - ii[ys + tile, xs] + ii[ys, xs]) / float(tile * tile)
    yy, xx = np.nonzero(share >= 0.95)
    picks = list(zip((yy * step).tolist(), (xx * step).tolist()))
    if len(picks) < GRAIN_MIN_TILES:
        return None
    if len(picks) > GRAIN_MAX_TILES:  # evenly over the region: the spectrum is settled long before
        picks = [picks[i] for i in np.linspace(0, len(picks) - 1, GRAIN_MAX_TILES).round().astype(int)]
    tiles = np.stack([ycc[y:y + tile, x:x + tile] for y, x in picks])  # (n, t, t, 3)
    res = np.stack([_plane_residual(tiles[..., c]) for c in range(3)], 1)  # (n, 3, t, t)
    var_y = res[:, 0].reshape(len(picks), -1).var(axis=1)
    keep = np.argsort(var_y)[:max(GRAIN_MIN_TILES, int(round(flat_share * len(picks))))]
    return res[keep], float(tiles[keep, ..., 0].mean())


def grain_spectrum(region8: np.ndarray, where: np.ndarray | None = None, tile: int = GRAIN_TILE,
                   flat_share: float = GRAIN_FLAT_SHARE):
    """Noise power spectra (3, t, t) per YCbCr channel, the per-channel variance, the tiles' luma and count.

    The region is cut in half-overlapping ``tile`` squares; those inside ``where``, not
    clipped, are detrended (a plane per channel) and the flattest ``flat_share`` by luma
    variance kept. Returns None when fewer than :data:`GRAIN_MIN_TILES` remain.
    """
    g = np.asarray(region8, np.float32)
    h, w = g.shape[:2]
    if min(h, w) < tile:
        return None
    ok = np.ones((h, w), bool) if where is None else np.asarray(where, bool)
    ok = ok & (g.min(axis=2) > 3) & (g.max(axis=2) < 252)  # clipped pixels carry no noise
    got = _flat_tiles(g @ _RGB2YCC.T, ok, tile, flat_share)
    if got is None:
        return None
    res, level = got
    win = np.outer(np.hanning(tile + 2)[1:-1], np.hanning(tile + 2)[1:-1]).astype(np.float32)
    psd = (np.abs(np.fft.fft2(res * win, axes=(-2, -1))) ** 2).mean(0) / float((win ** 2).sum())
    var = res.reshape(len(res), 3, -1).var(axis=2).mean(0)
    return psd, var, level, len(res)


def measure_grain(region8: np.ndarray, where: np.ndarray | None = None, tile: int = GRAIN_TILE) -> Grain | None:
    """The grain of an (h, w, 3) uint8 region's flattest skin: see :class:`Grain`."""
    got = grain_spectrum(region8, where, tile)
    if got is None:
        return None
    psd, var, level, n = got
    kernels = []
    for c in range(3):
        amp = np.sqrt(np.maximum(psd[c], 0.0))
        amp[0, 0] = 0.0  # the tiles were detrended: no DC to give
        k = np.fft.fftshift(np.real(np.fft.ifft2(amp))).astype(np.float32)
        k /= max(float(np.sqrt((k ** 2).sum())), 1e-9)
        kernels.append(k)
    kernels = np.stack(kernels)
    # The tiles' plane and the flattest-half choice see less than the whole noise: measure the same way
    # on unit noise of this spectrum, so the noise made is the one that measures as the skin's.
    unit = Grain(kernels=kernels, sigma_ycc=(1.0, 1.0, 1.0), level=level, n_tiles=n)
    sim = _flat_tiles(grain_noise(unit, (128, 128), seed=12345), np.ones((128, 128), bool), tile,
                      GRAIN_FLAT_SHARE)[0]
    seen = np.maximum(sim.reshape(len(sim), 3, -1).var(axis=2).mean(0), 1e-3)
    return Grain(kernels=kernels, sigma_ycc=tuple(float(np.sqrt(v / r)) for v, r in zip(var, seen)),
                 level=level, n_tiles=n)


def grain_noise(grain: Grain, shape, seed: int = 0) -> np.ndarray:
    """(h, w, 3) YCbCr noise with the grain's spectrum and standard deviation per channel (8-bit)."""
    import cv2

    h, w = shape[:2]
    rng = np.random.default_rng(seed)
    out = np.empty((h, w, 3), np.float32)
    for c in range(3):
        white = rng.standard_normal((h, w)).astype(np.float32)
        out[..., c] = cv2.filter2D(white, -1, grain.kernels[c], borderType=cv2.BORDER_REFLECT) * grain.sigma_ycc[c]
    return out


@dataclass(frozen=True)
class CameraLook:
    """What the camera (and its software) did to the photo around the ring.

    Attributes
    ----------
    noise_a, noise_b : tuple of 3 float
        Per channel (R, G, B), noise variance ``a * I + b`` in 8-bit code values
        squared, ``I`` the pixel's 8-bit value.
    blur_sigma_px : float
        Gaussian blur of the hand's edges near the ring.
    halo : float
        Sharpening overshoot beyond an edge, as a fraction of its contrast.
    fringe_px : tuple of 2 float
        Red and blue edges' radial offset from the green one, px (outward positive).
    jpeg_quality : float or None
        IJG-equivalent quality of the file's luminance table; None when not a JPEG.
    blockiness : float
        Mean step across 8-px block borders over the mean step inside blocks (1 = none).
    grain : Grain or None
        The noise's spatial spectrum per YCbCr channel in the flat skin (None: too few
        flat tiles; then the noise is re-applied white, per RGB channel).
    """

    noise_a: tuple
    noise_b: tuple
    blur_sigma_px: float
    halo: float
    fringe_px: tuple
    jpeg_quality: float | None
    blockiness: float
    grain: Grain | None = None

    def noise_sigma(self, level8: float = 128.0) -> np.ndarray:
        """(3,) noise standard deviation at an 8-bit level, code values."""
        a, b = np.asarray(self.noise_a), np.asarray(self.noise_b)
        return np.sqrt(np.maximum(a * level8 + b, 0.0))

    def to_report(self) -> dict:
        return {"noise_sigma_rgb_at_128": [round(float(v), 3) for v in self.noise_sigma(128.0)],
                "noise_sigma_rgb_at_64": [round(float(v), 3) for v in self.noise_sigma(64.0)],
                "noise_a": [round(float(v), 5) for v in self.noise_a],
                "noise_b": [round(float(v), 4) for v in self.noise_b],
                "blur_sigma_px": round(float(self.blur_sigma_px), 3), "halo": round(float(self.halo), 4),
                "fringe_px_rb": [round(float(v), 3) for v in self.fringe_px],
                "jpeg_quality": None if self.jpeg_quality is None else round(float(self.jpeg_quality), 1),
                "blockiness": round(float(self.blockiness), 3),
                "grain": None if self.grain is None else self.grain.to_report()}


def jpeg_quality_from_tables(qtables) -> float | None:
    """IJG-equivalent quality (1-100) of a JPEG's first (luminance) quantisation table.

    Pillow gives the table in zigzag order; IJG scales its reference table by
    ``S = 5000 / Q`` (Q < 50) or ``200 - 2 Q``, in percent, and rounds.
    """
    if not qtables:
        return None
    t = np.asarray(qtables[0], float)
    if t.size != 64:
        return None
    natural = np.empty(64)
    natural[_ZIGZAG] = t
    # Some encoders store the table in natural order; take the reading closer to IJG's shape.
    best = None
    for cand in (natural, t):
        scale = float(np.median(np.clip(cand, 1, None) * 100.0 / _IJG_LUMA))
        err = float(np.mean(np.abs(np.clip(np.round(_IJG_LUMA * scale / 100.0), 1, 255) - cand)))
        if best is None or err < best[0]:
            best = (err, scale)
    scale = best[1]
    q = 5000.0 / scale if scale > 100 else (200.0 - scale) / 2.0
    return float(np.clip(q, 1.0, 100.0))


def noise_profile(region8: np.ndarray, where: np.ndarray | None = None, bins: int = 8):
    """Per-channel noise variance ``a I + b`` (8-bit units) of an (h, w, 3) uint8 region.

    Immerkær's residual (its 3 x 3 kernel cancels planes and is scaled so the
    absolute response of white noise gives sigma) is binned by the local mean; the
    strongest 10 % of gradients are left out as image content. Returns ``(a, b)``,
    each (3,).
    """
    import cv2

    a_out, b_out = np.zeros(3), np.zeros(3)
    if min(region8.shape[:2]) < 8:
        return a_out, b_out
    g = region8.astype(np.float32)
    gray = g.mean(axis=2)
    grad = np.hypot(cv2.Sobel(gray, cv2.CV_32F, 1, 0), cv2.Sobel(gray, cv2.CV_32F, 0, 1))
    ok = grad <= np.quantile(grad, 0.9)
    if where is not None:
        ok &= np.asarray(where, bool)
    ok[:1], ok[-1:], ok[:, :1], ok[:, -1:] = False, False, False, False
    for c in range(3):
        ch = g[..., c]
        r = np.abs(cv2.filter2D(ch, -1, _IMMERKAER, borderType=cv2.BORDER_REFLECT))
        mean = cv2.blur(ch, (5, 5))
        m, rr = mean[ok], r[ok]
        if m.size < 50:
            continue
        edges = np.quantile(m, np.linspace(0, 1, bins + 1))
        xs, ys, ws = [], [], []
        for lo, hi in zip(edges[:-1], edges[1:]):
            sel = (m >= lo) & (m <= hi)
            if sel.sum() < 30:
                continue
            sigma = np.sqrt(np.pi / 2.0) * rr[sel].mean() / 6.0
            xs.append(m[sel].mean()); ys.append(sigma ** 2); ws.append(sel.sum())
        if not xs:
            continue
        xs, ys, ws = np.array(xs), np.array(ys), np.sqrt(np.array(ws, float))
        if len(xs) >= 3 and np.ptp(xs) > 20:
            A = np.stack([xs, np.ones_like(xs)], 1) * ws[:, None]
            (a, b), *_ = np.linalg.lstsq(A, ys * ws, rcond=None)
            if a < 0:  # brighter is not noisier here: a constant fits as well
                a, b = 0.0, float(np.average(ys, weights=ws))
            elif b < 0:
                a, b = float(np.average(ys, weights=ws) / max(np.average(xs, weights=ws), 1e-6)), 0.0
        else:
            a, b = 0.0, float(np.average(ys, weights=ws))
        a_out[c], b_out[c] = a, b
    return a_out, b_out


def _edge_points(gray: np.ndarray, where, n_max=300, quantile=0.97):
    import cv2

    gx = cv2.Sobel(gray, cv2.CV_32F, 1, 0, ksize=3) / 8.0
    gy = cv2.Sobel(gray, cv2.CV_32F, 0, 1, ksize=3) / 8.0
    mag = np.hypot(gx, gy)
    cand = np.ones(gray.shape, bool) if where is None else np.asarray(where, bool).copy()
    m = 8
    cand[:m], cand[-m:], cand[:, :m], cand[:, -m:] = False, False, False, False
    if cand.sum() < 10:
        return None
    thr = max(float(np.quantile(mag[cand], quantile)), 1e-4)
    ys, xs = np.nonzero(cand & (mag >= thr))
    if len(ys) < 5:
        return None
    if len(ys) > n_max:
        pick = np.random.default_rng(0).choice(len(ys), n_max, replace=False)
        ys, xs = ys[pick], xs[pick]
    n = np.stack([gx[ys, xs], gy[ys, xs]], 1) / mag[ys, xs, None]
    return xs.astype(np.float32), ys.astype(np.float32), n.astype(np.float32)


def _profiles(img: np.ndarray, xs, ys, n, offsets):
    """Bilinear samples of ``img`` (h, w[, c]) at each point + offset * normal: (N, K[, c])."""
    import cv2

    mx = (xs[:, None] + offsets[None, :] * n[:, :1]).astype(np.float32)
    my = (ys[:, None] + offsets[None, :] * n[:, 1:]).astype(np.float32)
    return cv2.remap(np.ascontiguousarray(img, dtype=np.float32), mx, my, cv2.INTER_LINEAR,
                     borderMode=cv2.BORDER_REFLECT)


def halo_overshoot(gray8: np.ndarray, where=None) -> float:
    """Median sharpening overshoot of the strongest edges, fraction of their contrast.

    Along each edge's normal the profile is read from -7 to +7 px: the plateaus are
    the means at 5-7 px, the overshoot the excursion beyond them within 1-4 px on
    either side (bright side above its plateau, dark side below its own).
    """
    pts = _edge_points(gray8.astype(np.float32), where)
    if pts is None:
        return 0.0
    xs, ys, n = pts
    off = np.arange(-7, 8, dtype=np.float32)
    p = _profiles(gray8.astype(np.float32), xs, ys, n, off)
    hi = p[:, -3:].mean(1)
    lo = p[:, :3].mean(1)
    contrast = hi - lo
    # A step, not a thin line or texture: the plateaus differ by most of the profile's range.
    ok = (contrast > 12.0) & (contrast >= 0.6 * (p.max(1) - p.min(1)))
    if ok.sum() < 5:
        return 0.0
    over_hi = np.clip(p[:, 8:12].max(1) - hi, 0, None)
    over_lo = np.clip(lo - p[:, 3:7].min(1), 0, None)
    return float(np.median(((over_hi + over_lo) / 2.0 / np.maximum(contrast, 1e-3))[ok]))


def lateral_fringe_px(region8: np.ndarray, origin_xy, image_center_xy, where=None) -> tuple[float, float]:
    """Radial offset (px, outward positive) of the red and blue edges from the green one.

    Each channel's edge position along the normal is the centroid of its
    derivative; the offset is projected on the radius from the image centre
    (lateral chromatic aberration is radial) and the median taken.
    """
    gray = region8.astype(np.float32).mean(axis=2)
    pts = _edge_points(gray, where)
    if pts is None:
        return 0.0, 0.0
    xs, ys, n = pts
    off = np.arange(-4, 5, dtype=np.float32)
    prof = _profiles(region8.astype(np.float32), xs, ys, n, off)  # (N, K, 3)
    d = np.abs(np.diff(prof, axis=1))  # (N, K-1, 3)
    mid = (off[:-1] + off[1:]) / 2.0
    cen = (d * mid[None, :, None]).sum(1) / np.maximum(d.sum(1), 1e-6)  # (N, 3)
    rad = np.stack([xs + origin_xy[0] - image_center_xy[0], ys + origin_xy[1] - image_center_xy[1]], 1)
    rn = np.linalg.norm(rad, axis=1, keepdims=True)
    rad = rad / np.maximum(rn, 1e-6)
    proj = (n * rad).sum(1)  # the normal's share of the radial direction
    ok = (np.abs(proj) > 0.5) & (d.sum(1).min(1) > 6.0)
    if ok.sum() < 5:
        return 0.0, 0.0
    r = np.median((cen[ok, 0] - cen[ok, 1]) * proj[ok] / proj[ok] ** 2)
    b = np.median((cen[ok, 2] - cen[ok, 1]) * proj[ok] / proj[ok] ** 2)
    return float(np.clip(r, -2, 2)), float(np.clip(b, -2, 2))


def blockiness(gray8: np.ndarray, x0: int = 0, y0: int = 0) -> float:
    """Mean absolute step across 8-px block borders over the mean step elsewhere (1 = none).

    ``x0, y0`` are the region's origin in the full image, so the grid is the file's.
    """
    g = gray8.astype(np.float32)
    if min(g.shape) < 17:
        return 1.0
    dx = np.abs(np.diff(g, axis=1))
    dy = np.abs(np.diff(g, axis=0))
    cols = (np.arange(dx.shape[1]) + x0) % 8 == 7
    rows = (np.arange(dy.shape[0]) + y0) % 8 == 7
    on = np.concatenate([dx[:, cols].ravel(), dy[rows].ravel()])
    off = np.concatenate([dx[:, ~cols].ravel(), dy[~rows].ravel()])
    return float(on.mean() / max(off.mean(), 1e-6))


def measure_look(photo, x: int, y: int, w: int, h: int, *, edges=None, blur_sigma_px: float | None = None,
                 skin=None) -> CameraLook:
    """Measure the camera's look on the photo's rectangle (x, y, w, h).

    ``edges`` (h, w bool), when given, limits the blur, halo and fringe to those
    pixels (the hand's silhouette near the ring: the edges the ring must match).
    ``skin`` (h, w bool), when given, is where the grain is read (the hand); with too
    few flat tiles there, the whole rectangle.
    """
    import cv2

    from .color import luminance, srgb8_to_linear

    region = np.ascontiguousarray(photo.srgb[y:y + h, x:x + w])
    gray8 = cv2.cvtColor(region, cv2.COLOR_RGB2GRAY)
    a, b = noise_profile(region)
    if blur_sigma_px is None:
        blur = edge_blur_sigma(luminance(srgb8_to_linear(region)), where=edges)
        if blur is None:
            blur = edge_blur_sigma(luminance(srgb8_to_linear(region)))
        blur_sigma_px = 0.0 if blur is None else blur
    halo = halo_overshoot(gray8, edges)
    fr = lateral_fringe_px(region, (x, y), (photo.width / 2.0, photo.height / 2.0), edges)
    q = jpeg_quality_from_tables(getattr(photo, "jpeg_qtables", None))
    grain = measure_grain(region, skin) if skin is not None else None
    if grain is None:
        grain = measure_grain(region)
    return CameraLook(noise_a=tuple(float(v) for v in a), noise_b=tuple(float(v) for v in b),
                      blur_sigma_px=float(blur_sigma_px), halo=halo, fringe_px=fr, jpeg_quality=q,
                      blockiness=blockiness(gray8, x, y), grain=grain)


def usm_amount_for(halo: float, blur_sigma: float, radius: float) -> float:
    """Unsharp-mask amount that gives a blurred step an overshoot of ``halo`` (1-D, solved numerically)."""
    from scipy.ndimage import gaussian_filter1d

    if halo <= 0.005:
        return 0.0
    xs = np.arange(-40, 41, dtype=float)
    step = gaussian_filter1d((xs >= 0).astype(float), max(blur_sigma, 0.5))
    base = gaussian_filter1d(step, radius)
    detail = step - base
    # Beyond 2 the measured overshoot is more likely texture than the camera's sharpening.
    lo, hi = 0.0, 2.0
    for _ in range(30):
        mid = (lo + hi) / 2.0
        y = step + mid * detail
        over = (y.max() - 1.0 + (0.0 - y.min())) / 2.0
        lo, hi = (mid, hi) if over < halo else (lo, mid)
    return (lo + hi) / 2.0


#: Of the fringe measured on the skin's edges, the share re-applied to the piece, and its cap (px). Skin
#: is not a sharp edge: red light scatters further under it than green and blue, so its red edge sits
#: apart from the green one without any lens in the way, and the measured "fringe" overstates the
#: lens's (0.48 px red on ``11khands_female_palmar``, where the ring's pink/cyan edges were a judged cue).
#: (At 0.5 the blue shift on ``ringtryon_target_left``, 0.18 px, fell under apply_look's 0.1 px threshold
#: and the ring there measured 1.6x the photo's noise in test_realism; why the fringe step changes the
#: noise that survives is not understood yet.)
FRINGE_SHARE = 0.6
FRINGE_MAX_PX = 0.3


def applied_fringe_px(fringe_px) -> tuple[float, float]:
    """The red and blue radial shifts (px) re-applied to the piece for a measured ``fringe_px``."""
    fr, fb = (float(np.clip(FRINGE_SHARE * float(v), -FRINGE_MAX_PX, FRINGE_MAX_PX)) for v in fringe_px)
    return fr, fb


def apply_look(photo, out8: np.ndarray, crop, alpha: np.ndarray, look: CameraLook, *, seed: int = 0,
               halo_radius_px: float = 1.0) -> tuple[np.ndarray, dict]:
    """Give the composited crop ``out8`` (uint8 sRGB) the photo's halo, fringe, noise and JPEG, on the piece.

    Everything is confined to the piece and a few pixels around it (``alpha``
    dilated), so the photo's own pixels elsewhere are not touched twice.
    Returns the new crop and what was applied.
    """
    import cv2

    applied = {}
    a = np.clip(alpha.astype(np.float32), 0.0, 1.0)
    # The neighbourhood that sharpening and compression smear the piece into.
    near = cv2.dilate((a > 0.01).astype(np.uint8), np.ones((3, 3), np.uint8), iterations=4).astype(np.float32)
    near = cv2.GaussianBlur(near, (0, 0), 1.5)
    near = np.maximum(near, a)
    img = out8.astype(np.float32)
    # The photo's own pixels around the piece were sharpened and fringed by its camera already:
    # only what the piece changed gets the look, else the photo's edges there get it twice.
    sy, sx = crop.slices
    base = photo.srgb[sy, sx].astype(np.float32)

    # Under the piece the photo's pixels are gone: there the piece itself is sharpened, not its difference
    # from the skin it covers (that put an inverted, sharpened copy of the skin's texture on the metal).
    own = (1.0 - a)[..., None]
    amount = usm_amount_for(look.halo, look.blur_sigma_px, halo_radius_px)
    if amount > 0.01:
        detail = (img - cv2.GaussianBlur(img, (0, 0), halo_radius_px)
                  - own * (base - cv2.GaussianBlur(base, (0, 0), halo_radius_px)))
        img = img + amount * detail * near[..., None]
    applied["usm_amount"] = round(float(amount), 3)

    fr, fb = applied_fringe_px(look.fringe_px)
    if max(abs(fr), abs(fb)) > 0.1:
        h, w = a.shape
        yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
        rx = xx + crop.x - photo.width / 2.0
        ry = yy + crop.y - photo.height / 2.0
        rn = np.maximum(np.hypot(rx, ry), 1e-3)
        for c, s in ((0, fr), (2, fb)):
            if abs(s) > 0.1:
                # Sampling from further in moves the channel's edges outward by s.
                mx, my = xx - s * rx / rn, yy - s * ry / rn
                moved = [cv2.remap(np.ascontiguousarray(v[..., c]), mx, my, cv2.INTER_LINEAR,
                                   borderMode=cv2.BORDER_REFLECT) - v[..., c] for v in (img, base)]
                img[..., c] = img[..., c] + (moved[0] - own[..., 0] * moved[1]) * near
    applied["fringe_px_rb"] = [round(float(fr), 3), round(float(fb), 3)]

    tables = getattr(photo, "jpeg_qtables", None)
    subsampling = getattr(photo, "jpeg_subsampling", None)
    # Re-encoded: every whole block (MCU, on the file's grid) the composite changed anything in, the shadow
    # and the contact included; the rest keeps the photo's own blocks. A soft blend round the piece left
    # blocks that were neither (the fourth blind round: "blocks around the ring break the 8 x 8 grid").
    changed = (near > 0.01) | np.any(out8 != photo.srgb[sy, sx], axis=2)
    recode = _whole_blocks(changed, crop, subsampling)
    job = (photo, crop, tables, subsampling, recode)
    if look.grain is not None:
        img8 = _apply_grain(img, a, job, look, seed, applied)
    else:
        img8 = _apply_white_noise(img, a, job, look, seed, applied)
    if tables:
        applied["jpeg"] = "re-encoded with the photo's own quantisation tables"
    return img8, applied



def _apply_white_noise(img, a, job, look, seed, applied):
    """White noise per RGB channel and pixel level (no grain measured), raised to survive the JPEG."""
    import cv2

    tables = job[2]
    level = np.clip(img, 0, 255)
    var = np.asarray(look.noise_a, np.float32) * level + np.asarray(look.noise_b, np.float32)
    sigma = np.sqrt(np.maximum(var, 0.0))
    white = np.random.default_rng(seed).standard_normal(img.shape).astype(np.float32)

    def finish(gain):
        out = np.clip(np.round(img + white * sigma * gain * a[..., None]), 0, 255).astype(np.uint8)
        return _jpeg_roundtrip(out, *job) if tables else out

    gain = 1.0
    inner = cv2.erode((a > 0.5).astype(np.uint8), np.ones((5, 5), np.uint8)) > 0
    if tables and float(sigma.max()) > 0.2 and inner.sum() > 50:
        # The photo's noise was measured after its compression, which removes most fine noise:
        # find the noise that, compressed the same way, measures as the photo's does.
        target = float(sigma[inner].mean())
        # What survives grows steeply once the noise clears the quantiser's dead zone: bisect.
        lo, hi = 1.0, 8.0
        if _masked_noise(finish(lo), inner) >= target:
            hi = lo
        for _ in range(7):
            if hi - lo < 0.1:
                break
            mid = 0.5 * (lo + hi)
            lo, hi = (mid, hi) if _masked_noise(finish(mid), inner) < target else (lo, mid)
        gain = hi
        applied["noise_gain_for_jpeg"] = round(gain, 3)
    img8 = finish(gain) if float(sigma.max()) > 0.2 else (
        _jpeg_roundtrip(np.clip(np.round(img), 0, 255).astype(np.uint8), *job)
        if tables else np.clip(np.round(img), 0, 255).astype(np.uint8))
    return img8


#: Bounds of the per-channel gain that makes the grain survive the re-encode as the photo's did.
GRAIN_GAIN = (0.5, 2.5)


def _apply_grain(img, a, job, look, seed, applied):
    """The plate's grain (spectrum per YCbCr channel) on the piece, then the photo's JPEG.

    The grain was measured after the camera's compression; the re-encode removes part of
    it again, so each channel's gain is bisected (JPEG codes Y, Cb, Cr apart: one encode
    per step serves all three) until what survives on the piece has the photo's variance.
    """
    import cv2

    tables = job[2]
    grain = look.grain
    noise = grain_noise(grain, img.shape, seed)
    # Brighter (or darker) metal than the skin the grain was read on: the profile a I + b rescales it.
    ag, bg = float(look.noise_a[1]), float(look.noise_b[1])
    ref = ag * grain.level + bg
    luma = img @ _RGB2YCC[0]
    if ag > 0 and ref > 1e-3:
        scale = np.sqrt(np.clip((ag * np.clip(luma, 0, 255) + bg) / ref, 1 / 16, 6.25)).astype(np.float32)
    else:
        scale = np.ones(a.shape, np.float32)
    weight = (scale * a)[..., None]

    def finish(gains):
        out = img + ((noise * np.asarray(gains, np.float32)) @ _YCC2RGB.T) * weight
        out = np.clip(np.round(out), 0, 255).astype(np.uint8)
        return _jpeg_roundtrip(out, *job) if tables else out

    gains = np.ones(3)
    # On a piece a few pixels thin the re-encode's 2 x 2 chroma averages its noise with the skin beside it,
    # and the bisection would pump the chroma up (Cb x 3.6 on a 3 px band on a webcam frame: coloured
    # blotches): there the grain goes on as measured, having survived one such encode already.
    inner = cv2.erode((a > 0.5).astype(np.uint8), np.ones((5, 5), np.uint8)) > 0
    if tables and inner.sum() >= 50:
        clean = finish(np.zeros(3)).astype(np.float32) @ _RGB2YCC.T
        target = np.asarray(grain.sigma_ycc, float) ** 2 * float(np.mean(scale[inner] ** 2))
        lo, hi = np.full(3, GRAIN_GAIN[0]), np.full(3, GRAIN_GAIN[1])
        for _ in range(7):
            mid = 0.5 * (lo + hi)
            got = ((finish(mid).astype(np.float32) @ _RGB2YCC.T) - clean)[inner].var(axis=0)
            low = got < target
            lo, hi = np.where(low, mid, lo), np.where(low, hi, mid)
        gains = 0.5 * (lo + hi)
        applied["grain_gain_ycc"] = [round(float(v), 3) for v in gains]
    applied["grain_sigma_ycc"] = [round(float(v), 3) for v in grain.sigma_ycc]
    return finish(gains)


def _masked_noise(img8: np.ndarray, where: np.ndarray) -> float:
    """Immerkær's noise sigma (8-bit) of an image's green channel over ``where`` (top 10 % left out)."""
    import cv2

    r = np.abs(cv2.filter2D(img8[..., 1].astype(np.float32), -1, _IMMERKAER, borderType=cv2.BORDER_REFLECT))[where]
    r = r[r <= np.quantile(r, 0.9)]
    return float(np.sqrt(np.pi / 2.0) * r.mean() / 6.0) if r.size else 0.0


def _mcu(subsampling) -> int:
    """The side (px) of the file's coding unit: 8 for 4:4:4, 16 when chroma is subsampled (or unknown)."""
    return 8 if subsampling == 0 else 16


def _whole_blocks(changed: np.ndarray, crop, subsampling) -> np.ndarray:
    """(h, w) float 0/1: the whole coding units, on the file's grid, that hold a ``changed`` pixel."""
    n = _mcu(subsampling)
    ox, oy = (crop.x % n, crop.y % n) if crop is not None else (0, 0)
    h, w = changed.shape
    H, W = int(np.ceil((h + oy) / n)), int(np.ceil((w + ox) / n))
    pad = np.zeros((H * n, W * n), bool)
    pad[oy:oy + h, ox:ox + w] = changed
    hit = pad.reshape(H, n, W, n).any(axis=(1, 3))
    return np.repeat(np.repeat(hit, n, 0), n, 1)[oy:oy + h, ox:ox + w].astype(np.float32)


def _jpeg_roundtrip(img8, photo, crop, tables, subsampling, keep):
    """Encode the crop on the file's grid with its own tables, the photo's own pixels round it; the result
    where ``keep``, the crop as it was elsewhere."""
    from PIL import Image

    # Pad to the file's block grid, so the blocks fall where the photo's fell, with the photo's pixels
    # (the blocks on the crop's border are then coded as the photo's were).
    n = 16
    px, py = (crop.x % n, crop.y % n) if crop is not None else (0, 0)
    h, w = img8.shape[:2]
    H = int(np.ceil((h + py) / n) * n)
    W = int(np.ceil((w + px) / n) * n)
    canvas = np.pad(img8, ((py, H - h - py), (px, W - w - px), (0, 0)), mode="edge")
    if crop is not None and photo is not None:
        X0, Y0 = crop.x - px, crop.y - py
        ys0, ys1 = max(Y0, 0), min(Y0 + H, photo.height)
        xs0, xs1 = max(X0, 0), min(X0 + W, photo.width)
        canvas[ys0 - Y0:ys1 - Y0, xs0 - X0:xs1 - X0] = np.asarray(photo.srgb)[ys0:ys1, xs0:xs1]
        canvas[py:py + h, px:px + w] = img8
    buf = io.BytesIO()
    kw = {"qtables": [list(t) for t in tables]}
    if subsampling is not None:
        kw["subsampling"] = int(subsampling)
    Image.fromarray(canvas).save(buf, format="JPEG", **kw)
    dec = np.asarray(Image.open(io.BytesIO(buf.getvalue())).convert("RGB"))[py:py + h, px:px + w]
    m = keep[..., None]
    return np.clip(np.round(img8 * (1.0 - m) + dec.astype(np.float32) * m), 0, 255).astype(np.uint8)


def edge_blur_sigma(gray_lin: np.ndarray, where: np.ndarray | None = None, quantile: float = 0.98,
                    max_sigma: float = 4.0) -> float | None:
    """Gaussian blur (px) of the strongest edges of a linear grey image, or of a region of it.

    A step of contrast C blurred by a Gaussian of sigma s has a peak gradient of
    C / (s * sqrt(2 pi)); the contrast is read 3 px either side along the gradient
    at the edges above the ``quantile`` of gradient magnitude (among the ``where``
    pixels when given). None when fewer than 5 edges are strong enough to tell.
    """
    import cv2

    g = gray_lin.astype(np.float32)
    if min(g.shape) < 9:
        return None
    gx = cv2.Sobel(g, cv2.CV_32F, 1, 0, ksize=3) / 8.0
    gy = cv2.Sobel(g, cv2.CV_32F, 0, 1, ksize=3) / 8.0
    mag = np.hypot(gx, gy)
    if where is None:
        mag[:4], mag[-4:], mag[:, :4], mag[:, -4:] = 0, 0, 0, 0
        thr = np.quantile(mag, quantile)
        ys, xs = np.nonzero(mag >= max(thr, 1e-4))
        if len(ys) < 10:
            return None
    else:
        cand = np.asarray(where, bool).copy()
        cand[:4], cand[-4:], cand[:, :4], cand[:, -4:] = False, False, False, False
        if cand.sum() < 10:
            return None
        thr = np.quantile(mag[cand], quantile)
        ys, xs = np.nonzero(cand & (mag >= max(thr, 1e-4)))
    if len(ys) > 400:
        pick = np.random.default_rng(0).choice(len(ys), 400, replace=False)
        ys, xs = ys[pick], xs[pick]
    sig = []
    h, w = g.shape
    for y, x in zip(ys, xs):
        n = np.array([gx[y, x], gy[y, x]]) / mag[y, x]
        pa = np.round([x + 3 * n[0], y + 3 * n[1]]).astype(int)
        pb = np.round([x - 3 * n[0], y - 3 * n[1]]).astype(int)
        if not (0 <= pa[0] < w and 0 <= pa[1] < h and 0 <= pb[0] < w and 0 <= pb[1] < h):
            continue
        contrast = abs(float(g[pa[1], pa[0]] - g[pb[1], pb[0]]))
        if contrast < 0.02:
            continue
        sig.append(contrast / (np.sqrt(2 * np.pi) * mag[y, x]))
    return float(np.clip(np.median(sig), 0.0, max_sigma)) if len(sig) >= 5 else None
