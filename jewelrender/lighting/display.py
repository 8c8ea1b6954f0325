"""Notebook-friendly pictures of a lighting estimate.

:func:`show` puts the photo next to the environment map (both at the photo's
exposure, sRGB-encoded), with the key light's direction circled and the
camera's forward direction crossed. ``Lighting._repr_png_`` (Jupyter's rich
display) shows the map alone.
"""

from __future__ import annotations

import numpy as np

__all__ = ["env_picture", "show"]

_KEY_COLOUR = (255, 60, 60)
_FORWARD_COLOUR = (60, 200, 255)


def env_picture(lighting, height: int = 256) -> np.ndarray:
    """The map as an sRGB uint8 image ``(height, 2 height, 3)``, key direction marked.

    Exposure: the map's own units (the photo's), so the part the camera sees
    looks like the photo; the key light's lobe clips to white. Layout: top row up,
    centre column forward (+z, into the photo), left/right edges behind the camera.
    """
    import cv2

    from ..color import linear_to_srgb8
    from .envmap import direction_to_uv

    rad = cv2.resize(lighting.env.radiance, (2 * height, height), interpolation=cv2.INTER_AREA)
    img = np.ascontiguousarray(linear_to_srgb8(np.clip(rad, 0.0, 1.0)))
    w = 2 * height
    c = (w // 2, height // 2)
    s = max(3, height // 40)
    cv2.line(img, (c[0] - s, c[1]), (c[0] + s, c[1]), _FORWARD_COLOUR, 1, cv2.LINE_AA)
    cv2.line(img, (c[0], c[1] - s), (c[0], c[1] + s), _FORWARD_COLOUR, 1, cv2.LINE_AA)
    key = lighting.info.get("key_direction")
    if key is not None:
        u, v = direction_to_uv(np.asarray(key, float))
        cv2.circle(img, (int(u * w), int(v * height)), max(5, height // 16), _KEY_COLOUR, 2, cv2.LINE_AA)
    return img


def show(photo, lighting, *, height: int = 256) -> np.ndarray:
    """The photo beside its estimated environment map, one RGB uint8 image.

    Parameters
    ----------
    photo : Photo
        The photo the lighting was estimated from (``photo.srgb``, sRGB uint8).
    lighting : Lighting
        The estimate (camera-frame map at the photo's exposure).
    height : int
        Output height, pixels; the photo keeps its aspect ratio, the map is 2:1.

    Returns
    -------
    ndarray, (height, W, 3) uint8, sRGB
        Photo | map. In the map the red circle is the key light's direction and
        the blue cross is straight ahead of the camera (the photo's centre).
    """
    import cv2

    from ..errors import InvalidOptionError

    if isinstance(height, bool) or not isinstance(height, (int, np.integer)) or height < 16:
        raise InvalidOptionError(f"show: height must be an integer >= 16, got {height!r}")
    src = np.asarray(photo.srgb)
    pw = max(1, round(src.shape[1] * height / src.shape[0]))
    left = cv2.resize(src, (pw, height), interpolation=cv2.INTER_AREA)
    gap = np.full((height, 4, 3), 255, np.uint8)
    return np.concatenate([left, gap, env_picture(lighting, height)], axis=1)
