"""The ring's contact with the skin: a shadow cast from the key light, and the pressed contact line.

The rendered shadow (``lit_with / lit_without`` over the capsules) is the
environment's soft occlusion: a blob all round the band, and only where a capsule
lies. A real band on a lit finger also casts a short, directional shadow on the
skin away from the main light, sharp where the metal touches the skin and softer
further out, and sits in a thin dark line where it presses into the skin.

:func:`contact_shading` builds both in image space from the piece's coverage, the
key light's direction and share of the light (:mod:`jewelrender.lighting`), and the
finger's pixels (:mod:`jewelrender.segmentation`), as a multiplier on the photo.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["KeyInImage", "key_in_image", "contact_shading", "skin_bulge_maps", "BULGE_PX_SHARE"]


@dataclass(frozen=True)
class KeyInImage:
    """The key light as seen at the ring.

    Attributes
    ----------
    toward_px : (2,) unit vector
        Image direction towards the light (the shadow falls the other way).
    slant : float
        ``|k_xy| / |k_z|``: how far a raised edge's shadow reaches per unit of height
        on a surface facing the camera (0 for a light on the lens axis).
    share : float
        The key's share of the light on the skin (0 .. 1).
    """

    toward_px: np.ndarray
    slant: float
    share: float


def key_in_image(camera, center_cam, key_direction, key_share: float) -> KeyInImage | None:
    """Project the key's direction (camera frame, towards the light) at the ring's centre."""
    if key_direction is None:
        return None
    k = np.asarray(key_direction, float)
    if k.shape != (3,) or not np.all(np.isfinite(k)) or np.linalg.norm(k) < 1e-9:
        return None
    k = k / np.linalg.norm(k)
    c = np.asarray(center_cam, float)
    p0 = camera.project(c)
    p1 = camera.project(c + 0.005 * k)
    d = p1 - p0
    n = float(np.hypot(*d))
    if not np.isfinite(n) or n < 1e-9:
        return KeyInImage(np.array([0.0, -1.0]), 0.0, float(np.clip(key_share, 0, 1)))
    slant = float(np.hypot(k[0], k[1]) / max(abs(k[2]), 0.2))
    return KeyInImage(d / n, min(slant, 5.0), float(np.clip(key_share, 0.0, 1.0)))


#: Depth of the contact line where skin meets metal, and the least width (px) of its fall-off. At 0.3 and
#: a third of the band's thickness it was under a pixel on small photos and the judges saw "no contact,
#: no pressure" (issue 14, second blind round); a real band sits in a dark crease a pixel or two wide.
LINE_STRENGTH = 0.45
LINE_MIN_WIDTH_PX = 1.2
#: The skin a snug band presses pushes up beside it: a ridge just outside the crease at both edges, lit on
#: the edge facing the key and shaded on the other (issue 14's third blind round: "no skin bulge at the
#: band's edges"). Relative change of the skin's light at the ridge's slope per unit of the key's share.
BULGE_STRENGTH = 0.35


def contact_shading(alpha: np.ndarray, skin: np.ndarray, key: KeyInImage | None, thickness_px: float, *,
                    cast_strength: float = 0.85, line_strength: float = LINE_STRENGTH,
                    bulge_strength: float = 0.0, blur_px: float = 0.0) -> tuple[np.ndarray, dict]:
    """Multiplier (h, w) for the photo under and around the piece: below 1 in the shadow and the crease,
    up to ``1 + bulge_strength * key.share`` on the lit flank of the pressed skin's ridge.

    Parameters
    ----------
    alpha : (h, w)
        The piece's coverage.
    skin : (h, w) bool or float
        Where the finger (or other skin the shadow can fall on) is.
    key : KeyInImage or None
        None: only the contact line.
    thickness_px : float
        The band's thickness as seen: how high its edge stands off the skin.
    bulge_strength : float
        The pressed skin's ridge (:data:`BULGE_STRENGTH` for a band round a finger; 0, none:
        a pendant lies on the skin).
    blur_px : float
        The camera's blur (Gaussian sigma, px): the crease and the ridge are at least that
        wide, else the piece's own blurred edge covers them.
    """
    import cv2

    a = np.clip(alpha.astype(np.float32), 0.0, 1.0)
    t = max(float(thickness_px), 1.0)
    solid = (a > 0.5).astype(np.uint8)
    info = {"cast_px": 0.0, "cast_depth": 0.0, "line_depth": 0.0}
    if not solid.any():
        return np.ones_like(a), info
    dark = np.zeros_like(a)
    if key is not None and key.share > 0.02 and key.slant > 0.02:
        # The edge stands t off the skin: its shadow reaches t * slant away from the light,
        # its penumbra widening with the distance (sharp at contact).
        reach = float(np.clip(t * key.slant, 1.0, 4.0 * t))
        away = -np.asarray(key.toward_px, np.float32)
        h, w = a.shape
        steps = max(int(np.ceil(reach)), 2)
        acc = np.zeros_like(a)
        for i in range(1, steps + 1):
            s = reach * i / steps
            M = np.float32([[1, 0, away[0] * s], [0, 1, away[1] * s]])
            sh = cv2.warpAffine(a, M, (w, h), flags=cv2.INTER_LINEAR, borderValue=0.0)
            sh = cv2.GaussianBlur(sh, (0, 0), 0.4 + 0.35 * s)
            acc = np.maximum(acc, sh * (1.0 - 0.5 * s / reach))
        dark = acc * cast_strength * key.share
        info["cast_px"] = round(reach, 2)
        info["cast_depth"] = round(float(cast_strength * key.share), 3)
    # Contact line: the skin meets the metal in a crease the room's light barely reaches.
    dist = cv2.distanceTransform(1 - solid, cv2.DIST_L2, 3)
    width = max(0.35 * t, LINE_MIN_WIDTH_PX, float(blur_px))
    line = line_strength * np.exp(-dist / width) * (dist > 0)
    info["line_depth"] = round(float(line_strength), 3)
    info["line_width_px"] = round(width, 2)
    dark = 1.0 - (1.0 - dark) * (1.0 - line)
    ridge = np.zeros_like(a)
    if key is not None and key.share > 0.02 and bulge_strength > 0:
        # The ridge's flank turns outward from the band: its outward normal is the distance's gradient.
        d = cv2.GaussianBlur(dist, (0, 0), 1.0)
        gx, gy = cv2.Sobel(d, cv2.CV_32F, 1, 0, ksize=3), cv2.Sobel(d, cv2.CV_32F, 0, 1, ksize=3)
        facing = (gx * key.toward_px[0] + gy * key.toward_px[1]) / np.maximum(np.hypot(gx, gy), 1e-6)
        ridge = bulge_strength * key.share * facing * np.exp(-((dist - 2.0 * width) / width) ** 2) * (dist > 0)
        info["bulge"] = round(float(bulge_strength * key.share), 3)
    skin_w = cv2.GaussianBlur(np.asarray(skin, np.float32), (0, 0), 0.7)
    mult = (1.0 - np.clip(dark, 0.0, 0.95) * skin_w) * (1.0 + ridge * skin_w)
    return np.clip(mult, 0.0, None).astype(np.float32), info


#: A snug band pushes the soft skin out beside it: the finger's outline bulges either side of the band by
#: this share of the band's thickness (at least BULGE_PX_MIN, at most BULGE_PX_MAX px), peaking one thickness
#: from the band's edge. The shading ridge above (BULGE_STRENGTH) is 9-11 % in linear light and did not
#: read: round four's judges still saw "no skin compression" at the band (issue 14). The outline's shape
#: reads where shading does not.
BULGE_PX_SHARE = 0.35
BULGE_PX_MIN = 0.6
BULGE_PX_MAX = 2.5


def skin_bulge_maps(alpha: np.ndarray, finger: np.ndarray, thickness_px: float, axis, center):
    """``(map_x, map_y, info)`` for ``cv2.remap`` of the photo under the crop: the finger's outline pushed
    outward beside the band (see :data:`BULGE_PX_SHARE`), or None where the band does not meet the outline.

    ``alpha`` is the piece's coverage as composited (after the silhouette's cut), ``finger`` (h, w bool)
    the finger that wears it, ``axis`` the finger's direction in the image and ``center`` (crop px) a
    point on its centre line. Only pixels within a few px of the outline move, outward from the finger
    (the signed distance's gradient), by an amount that rises from 0 at the band's edge to its peak one
    thickness further along the finger and fades over the next two: the skin bulges either side of the
    band, not beyond its end (the band wraps round there), and the band itself is not moved.
    """
    import cv2

    a = np.clip(np.asarray(alpha, np.float32), 0.0, 1.0)
    own = np.asarray(finger, bool)
    solid = a > 0.5
    if not solid.any() or not own.any() or own.all():
        return None
    t = max(float(thickness_px), 1.0)
    amp = float(np.clip(BULGE_PX_SHARE * t, BULGE_PX_MIN, BULGE_PX_MAX))
    w0 = max(t, 1.5)
    own8 = own.astype(np.uint8)
    sd = cv2.distanceTransform(1 - own8, cv2.DIST_L2, 5) - cv2.distanceTransform(own8, cv2.DIST_L2, 5)
    ax = np.asarray(axis, float)
    ax = ax / max(float(np.hypot(*ax)), 1e-9)
    h, w = a.shape
    gy0, gx0 = np.mgrid[0:h, 0:w].astype(np.float32)
    c = np.asarray(center, float)
    along = (gx0 - c[0]) * ax[0] + (gy0 - c[1]) * ax[1]
    across = -(gx0 - c[0]) * ax[1] + (gy0 - c[1]) * ax[0]
    d_along = np.zeros_like(along)
    have = np.zeros_like(along, dtype=bool)
    edge = np.abs(sd) < 2.5
    for side in (across > 0, across <= 0):
        # the band's extent along the finger where it meets the outline on this side
        meet = solid & edge & side
        if meet.sum() < 2:
            continue
        lo, hi = float(along[meet].min()), float(along[meet].max())
        d_along = np.where(side, np.maximum(np.maximum(lo - along, along - hi), 0.0), d_along)
        have |= side
    if not have.any():
        return None
    sds = cv2.GaussianBlur(sd, (0, 0), 1.5)
    gx, gy = cv2.Sobel(sds, cv2.CV_32F, 1, 0, ksize=3), cv2.Sobel(sds, cv2.CV_32F, 0, 1, ksize=3)
    norm = np.maximum(np.hypot(gx, gy), 1e-6)
    # 0 at the band's edge (the skin is held down under it), peak one thickness along, fading by ~4
    x = d_along / w0
    profile = x * np.exp(1.0 - x) * have
    on_outline = np.exp(-(sd / (amp + 1.5)) ** 2)
    disp = (amp * profile * on_outline).astype(np.float32)
    if float(disp.max()) < 0.2:
        return None
    # The pixel at p shows what lay disp further inside: the outline moves out by disp.
    mx = gx0 - disp * gx / norm
    my = gy0 - disp * gy / norm
    return mx.astype(np.float32), my.astype(np.float32), {"bulge_px": round(amp, 2)}
