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

__all__ = ["KeyInImage", "key_in_image", "contact_shading"]


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
