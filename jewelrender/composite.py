"""Stage 6: differential-rendering composite onto the photo (Debevec 1998).

In linear sRGB, over the rendered crop::

    out = photo * S * (1 - alpha) + jewel

``jewel`` and ``alpha`` are the piece's premultiplied radiance and coverage (the
finger already hides the back of the band in the render). ``S`` is the shadow the
piece casts on the skin: the ratio of the proxy's lighting with and without the
piece, smoothed (Monte Carlo noise) and faded out where the pixel is not skin, so
the photo keeps its own skin colour and texture under the shadow.

Then the piece is matched to the camera: blurred to the photo's own sharpness
and given the photo's sensor noise, so it does not look pasted on.
"""

from __future__ import annotations

import numpy as np

from .camera_look import edge_blur_sigma
from .color import linear_to_srgb8, luminance, srgb8_to_linear

__all__ = ["composite", "photo_white8", "roll_off_highlights", "denoise_chroma", "stone_chroma_sigma",
           "smooth_diffuse_stones", "diffuse_smoothing_sigma", "estimate_noise_sigma", "estimate_blur_sigma"]

RENDER_FILTER_SIGMA = 0.5  # the Gaussian reconstruction filter of the film, px
#: A photo whose brightest pixels (99.99th percentile of the max channel) stay below this, though it shows
#: lit skin and walls, comes from a camera that rolls its highlights off (a webcam's video levels: the SHU
#: frames top out at 157-185): a stone in that scene would not be written brighter than the photo's white.
#: Every other dev photo reaches 214-255; there the frame merely held nothing brighter, and a phone writes a
#: specular glint at 255, so nothing is rolled off.
UNCLIPPED_BELOW = 200
#: Where the piece's highlight roll-off starts, as a share of the photo's white (linear).
WHITE_KNEE = 0.6
#: A median cap brings a piece's body (up to GLINT_FROM_MEDIAN x its median) down to it; its glints, GLINT_X_MEDIAN
#: x its median and more, keep their level (between, the scale eases off smoothly): a chain mirroring a small key
#: light shows white sparks whatever its body's level (round 3: a capped chain was dull grey, "no specular at
#: all"). Easing from the median itself made the lit half of a chain glow (the neck sample's key side).
GLINT_FROM_MEDIAN = 2.0
GLINT_X_MEDIAN = 6.0


def photo_white8(photo) -> float | None:
    """The brightest value the camera wrote in this photo (8-bit), or None where it clips at 255."""
    w = float(np.percentile(photo.peak, 99.99))
    return w if w < UNCLIPPED_BELOW else None


def roll_off_highlights(jewel: np.ndarray, white_lin: float, knee: float = WHITE_KNEE) -> np.ndarray:
    """Compress a linear layer's pixels whose brightest channel exceeds ``knee * white_lin`` so none
    passes ``white_lin`` (hue kept: the pixel is scaled)."""
    m = jewel.max(axis=2)
    k = knee * white_lin
    span = max(white_lin - k, 1e-6)
    f = np.where(m > k, k + span * (1.0 - np.exp(-(m - k) / span)), m)
    return (jewel * (f / np.maximum(m, 1e-9))[..., None]).astype(np.float32)


def estimate_noise_sigma(gray8: np.ndarray) -> float:
    """Sensor/JPEG noise of an 8-bit grey image, in 8-bit code values.

    Immerkær (1996), "Fast noise variance estimation": a Laplacian-difference
    kernel cancels smooth image content; the mean absolute response scales to the
    noise standard deviation.
    """
    import cv2

    g = gray8.astype(np.float32)
    if min(g.shape) < 3:
        return 0.0
    k = np.array([[1, -2, 1], [-2, 4, -2], [1, -2, 1]], np.float32)
    r = np.abs(cv2.filter2D(g, -1, k, borderType=cv2.BORDER_REFLECT))[1:-1, 1:-1]
    # Strong edges are image content, not noise: leave out the top 10 %.
    r = r[r <= np.quantile(r, 0.9)]
    return float(np.sqrt(np.pi / 2.0) * r.mean() / 6.0) if r.size else 0.0


def estimate_blur_sigma(gray_lin: np.ndarray) -> float:
    """Gaussian blur (px) of the sharpest edges in a linear grey image (0 when no edge tells).

    See :func:`edge_blur_sigma`; the sharpest 2 % of gradients give the camera's blur.
    """
    s = edge_blur_sigma(gray_lin)
    return 0.0 if s is None else s


def denoise_chroma(jewel: np.ndarray, alpha: np.ndarray, sigma: float = 1.0) -> np.ndarray:
    """Average the colour (not the brightness) of a premultiplied layer over ~sigma px.

    A hero-wavelength path carries one wavelength after it refracts in a stone, so
    at preview sample counts a diamond's pixels are brightly coloured at random
    ("coloured static"). Real fire is coloured flashes larger than a pixel. Each
    pixel keeps its own luminance (sparkle stays where it is) and takes the
    luminance-weighted mean chromaticity of its neighbourhood, so the spectral
    estimate's colour noise averages out while flashes of fire keep their hue.
    """
    y = luminance(jewel).astype(np.float32)
    ratio = jewel / np.maximum(y, 1e-6)[..., None]
    w = y * (alpha > 0)
    out = np.empty_like(jewel)
    for c in range(3):
        out[..., c] = _normalized_blur(ratio[..., c], w, sigma)
    # Where there is no light to weigh by, keep the layer as it was.
    ok = _normalized_blur(np.ones_like(y), w, sigma) > 0
    res = np.where(ok[..., None], out * y[..., None], jewel)
    return np.maximum(res, 0.0).astype(np.float32)


#: Samples per pixel at which the stones' colour noise is averaged over CHROMA_SIGMA alone (the final preset).
STONE_REFERENCE_SPP = 256
CHROMA_SIGMA = 1.0


def stone_chroma_sigma(spp: int) -> float:
    """Radius (px) over which a stone's colour is averaged at ``spp`` samples per pixel.

    A hero-wavelength estimate's colour noise falls as 1/sqrt(samples); averaging
    over a radius r pools ~r^2 pixels. At ``spp`` the radius that leaves the colour
    as noisy as :data:`STONE_REFERENCE_SPP` samples over :data:`CHROMA_SIGMA` is
    ``CHROMA_SIGMA * sqrt(STONE_REFERENCE_SPP / spp)`` (2.7 px at the preview's 36):
    fire finer than that is beyond what the preset's samples can tell from noise.
    """
    return CHROMA_SIGMA * max(1.0, float(np.sqrt(STONE_REFERENCE_SPP / max(int(spp), 1))))


def diffuse_smoothing_sigma(spp: int) -> float:
    """Radius (px) over which a diffuse stone's radiance is averaged at ``spp`` samples per pixel: half
    :func:`stone_chroma_sigma`'s, at least 1 px (1.33 px at the preview's 36, 1 px at the final's 256: at
    0.5 px the camera look's sharpening still made the final's pearls grainy). A 7 mm pearl is ~15 px
    across on a portrait; its window highlight (a few px) survives this, the per-pixel noise not."""
    return max(1.0, 0.5 * stone_chroma_sigma(spp))


def smooth_diffuse_stones(jewel: np.ndarray, alpha: np.ndarray, stone: np.ndarray, sigma: float) -> np.ndarray:
    """Average the radiance of diffuse stones (pearls, turquoise: ``stone`` coverage) over ~sigma px.

    A pearl's body is a smooth diffuse gradient, but at the preview's 36 samples per pixel its path-traced
    radiance is per-pixel noise, which the camera look's sharpening then made into sparkle: each 7 mm pearl
    of the catalog strand read as a faceted diamond (2026-12-03). Only for pieces whose stones are diffuse:
    a gem's sparkle is its facets', not noise. A normalized blur over the stones' coverage alone, so the
    skin or metal beside a pearl does not bleed into it; ``jewel`` is premultiplied by ``alpha``.
    """
    w = np.clip(np.asarray(stone, np.float32), 0.0, 1.0)
    if sigma <= 0 or not np.any(w > 0):
        return jewel
    share = np.clip(w / np.maximum(alpha, 1e-6), 0.0, 1.0)[..., None]
    gem = jewel * share                       # the stones' part, premultiplied by their coverage
    rad = gem / np.maximum(w, 1e-6)[..., None]
    out = np.empty_like(jewel)
    for c in range(3):
        out[..., c] = _normalized_blur(rad[..., c], w, sigma)
    return np.maximum(jewel - gem + out * w[..., None], 0.0).astype(np.float32)


def _denoise_piece(jewel, alpha, stone, sigma, stone_sigma):
    """:func:`denoise_chroma` on the metal over ``sigma`` and on the stones over ``stone_sigma``.

    The two are averaged apart, so a gold prong's colour does not tint the stone beside it.
    """
    if stone_sigma is None or stone_sigma <= sigma or not np.any(stone > 0):
        return denoise_chroma(jewel, alpha, sigma)
    share = np.clip(stone / np.maximum(alpha, 1e-6), 0.0, 1.0)[..., None]
    gem = jewel * share
    return denoise_chroma(jewel - gem, alpha * (1.0 - share[..., 0]), sigma) + denoise_chroma(gem, stone, stone_sigma)


def _normalized_blur(values, weights, sigma):
    import cv2

    num = cv2.GaussianBlur((values * weights).astype(np.float32), (0, 0), sigma)
    den = cv2.GaussianBlur(weights.astype(np.float32), (0, 0), sigma)
    return np.where(den > 1e-4, num / np.maximum(den, 1e-6), 1.0)


def composite(photo, layers, crop, *, skin_rgb=None, seed: int = 0, match_camera: bool = True,
              chroma_sigma: float = CHROMA_SIGMA, stone_chroma_sigma: float | None = None,
              diffuse_stone_sigma: float = 0.0, shadow_fade_px: float = 0.0, visible=None, contact=None, look=None, photo_maps=None, median_cap=None):
    """Composite rendered layers into the photo.

    Parameters
    ----------
    photo : Photo
    layers : render.RenderLayers
        Linear layers of ``crop``.
    crop : scene.Crop
    skin_rgb : (3,) array, optional
        Linear reference skin colour; shadows fade out on pixels unlike it.
    seed : int
        Seed of the added sensor noise (same inputs and seed, same bytes).
    match_camera : bool
        Blur and noise the piece like the photo.
    chroma_sigma : float
        Radius (px) over which the piece's colour noise is averaged (:func:`denoise_chroma`).
    stone_chroma_sigma : float, optional
        The same for the stones (``layers.stone``), when larger: their colour carries
        the hero-wavelength noise (:func:`stone_chroma_sigma` for a sample count).
        Default: as the metal.
    diffuse_stone_sigma : float
        Radius (px) over which diffuse stones' radiance is averaged (:func:`smooth_diffuse_stones`);
        0 (the default) for gems, whose sparkle is real.
    shadow_fade_px : float
        A sparse render (:func:`jewelrender.scene.footprint`) traces the skin only near the piece: its
        shadow fades out over this many pixels inside that region's edge instead of stopping there; 0, none.
    visible : (h, w) array, optional
        Where in the crop the piece may show (:func:`jewelrender.segmentation.visible_mask`):
        the photo's own finger silhouette cuts the render, which only knows the capsules.
    contact : (h, w) or (h, w, 3) array, optional
        A multiplier on the photo for the piece's contact with the skin
        (:func:`jewelrender.contact.contact_shading`), combined with the rendered shadow
        by taking the darker; where above 1 (the lit ridge of pressed skin) it brightens.
    look : camera_look.CameraLook, optional
        The photo's measured look around the piece: its blur replaces the crop-wide
        estimate, and its halo, fringe, per-channel noise and JPEG tables are re-applied
        (:func:`jewelrender.camera_look.apply_look`) instead of grey noise.
    photo_maps : (map_x, map_y), optional
        A ``cv2.remap`` of the photo under the crop before anything is laid on it: the skin a
        snug band presses out beside it (:func:`jewelrender.contact.skin_bulge_maps`).
    median_cap : float, optional
        The most the piece's median radiance (luminance where it covers at least a third of a pixel)
        may be: above it the piece's body is scaled down to it; its glints (:data:`GLINT_X_MEDIAN` x the
        median and more) keep their level, and between the scale eases off.

    Returns
    -------
    image : ndarray, (H, W, 3) uint8 sRGB
    mask : ndarray, (H, W) float32 in [0, 1], the piece's coverage
    info : dict, what was measured (noise, blur, shadow depth)
    """
    import cv2

    sy, sx = crop.slices
    base8 = photo.srgb[sy, sx]
    if photo_maps is not None:
        base8 = cv2.remap(base8, photo_maps[0], photo_maps[1], interpolation=cv2.INTER_LINEAR,
                          borderMode=cv2.BORDER_REPLICATE)
    base = srgb8_to_linear(base8).astype(np.float32)
    alpha = layers.alpha.astype(np.float32)
    jewel = layers.jewel.astype(np.float32)

    # Shadow: ratio of smoothed sums (noise-robust), only on proxy pixels.
    proxy_w = np.clip(layers.proxy, 0, 1) * (layers.lit_without > 0)
    scale = max(1.0, crop.width / 256.0)
    with_s = _normalized_blur(layers.lit_with, proxy_w, 1.5 * scale)
    without_s = _normalized_blur(layers.lit_without, proxy_w, 1.5 * scale)
    shadow = np.clip(np.where(without_s > 1e-8, with_s / np.maximum(without_s, 1e-12), 1.0), 0.0, 1.0)
    if skin_rgb is not None:
        ref = np.asarray(skin_rgb, np.float32)
        chroma = base / (base.sum(axis=2, keepdims=True) + 1e-6)
        ref_c = ref / (ref.sum() + 1e-6)
        skin_like = np.exp(-((np.linalg.norm(chroma - ref_c, axis=2) / 0.06) ** 2))
    else:
        skin_like = np.ones(alpha.shape, np.float32)
    cover = cv2.GaussianBlur(proxy_w.astype(np.float32), (0, 0), 1.0)
    if shadow_fade_px > 0:
        # A 7 mm pearl standing off the neck's render capsule (2-6 mm inside the skin) shades the capsule
        # past the footprint's shadow reach: cut there, the strand's shadow ended in a hard line, a dark
        # band 10-15 px above it (pearl strand, 2026-12-03).
        traced = ((layers.lit_without > 0) | (alpha > 0)).astype(np.uint8)
        inside = cv2.distanceTransform(traced, cv2.DIST_L2, 3)
        cover = cover * np.clip(inside / float(shadow_fade_px), 0.0, 1.0)
    shadow = 1.0 - (1.0 - shadow) * skin_like * np.clip(cover, 0, 1)

    if contact is not None:
        # The darker of the two shadows; the pressed skin's lit ridge (contact above 1) on top.
        c = np.asarray(contact, np.float32)
        if c.ndim == 3:  # per channel (a fine chain's shade, tinted by the metal that mirrors it)
            shadow = shadow[..., None]
        shadow = np.minimum(shadow, np.minimum(c, 1.0)) * np.maximum(c, 1.0)

    if diffuse_stone_sigma > 0:
        jewel = smooth_diffuse_stones(jewel, alpha, np.asarray(layers.stone, np.float32), diffuse_stone_sigma)
    capped = None
    if median_cap is not None:
        on = alpha > 0.33
        if on.any():
            med = float(np.median(luminance(jewel[on] / alpha[on][:, None])))
            if med > median_cap > 0:
                r = luminance(jewel / np.maximum(alpha, 1e-4)[..., None]) / med
                t = np.clip((r - GLINT_FROM_MEDIAN) / (GLINT_X_MEDIAN - GLINT_FROM_MEDIAN), 0.0, 1.0)
                keep = t * t * (3.0 - 2.0 * t)   # 0 in the body, 1 at a glint: monotone in r
                jewel = jewel * np.power(np.float32(median_cap / med), 1.0 - keep)[..., None].astype(np.float32)
                capped = {"median_before": round(med, 4), "median_cap": round(float(median_cap), 4)}
    jewel = _denoise_piece(jewel, alpha, np.asarray(layers.stone, np.float32), chroma_sigma, stone_chroma_sigma)
    if visible is not None:
        vis = np.clip(np.asarray(visible, np.float32), 0.0, 1.0)
        jewel = jewel * vis[..., None]
        alpha = alpha * vis
    info = {"shadow_min": float(shadow.min()), "noise_sigma_8bit": 0.0, "blur_sigma_px": 0.0}
    if capped is not None:
        info["median_capped"] = capped
    if match_camera:
        gray8 = cv2.cvtColor(base8, cv2.COLOR_RGB2GRAY)
        blur = look.blur_sigma_px if look is not None else estimate_blur_sigma(luminance(base))
        extra = float(np.sqrt(max(blur**2 - RENDER_FILTER_SIGMA**2, 0.0)))
        if extra > 0.15:
            jewel = cv2.GaussianBlur(jewel, (0, 0), extra)
            alpha = cv2.GaussianBlur(alpha, (0, 0), extra)
        info["blur_sigma_px"] = blur
        info["noise_sigma_8bit"] = estimate_noise_sigma(gray8)

    white8 = photo_white8(photo) if match_camera else None
    if white8 is not None:
        jewel = roll_off_highlights(jewel, float(srgb8_to_linear(np.array([round(white8)], np.uint8))[0]))
        info["white_8bit"] = round(white8, 1)
    out = base * (shadow if shadow.ndim == 3 else shadow[..., None]) * (1.0 - alpha[..., None]) + jewel
    out8 = linear_to_srgb8(out)
    sigma = info["noise_sigma_8bit"]
    if match_camera and look is not None:
        from .camera_look import apply_look

        out8, info["look_applied"] = apply_look(photo, out8, crop, alpha, look, seed=seed)
    elif match_camera and sigma > 0.2:
        rng = np.random.default_rng(seed)
        noise = rng.normal(0.0, sigma, size=out8.shape[:2])[..., None] * alpha[..., None]
        out8 = np.clip(out8.astype(np.float32) + noise, 0, 255).round().astype(np.uint8)

    image = photo.srgb.copy()
    image[sy, sx] = out8
    mask = np.zeros((photo.height, photo.width), np.float32)
    mask[sy, sx] = np.clip(alpha, 0.0, 1.0)
    return image, mask, info
