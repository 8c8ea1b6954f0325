"""Equirectangular HDR environment maps in the camera frame.

Frame: the camera frame (OpenCV: +x right, +y down in the image, +z forward),
so an environment built from a photo lines up with the photo without a separate
world frame. Layout of the image (H, W, 3), linear sRGB radiance:

- the top row looks *up* in the photo (-y), the bottom row down (+y);
- the centre column looks forward (+z, into the photo), the left/right edges
  look backwards (towards the photographer); moving right in the map turns the
  view towards +x, as in the photo.

Mitsuba's ``envmap`` plugin uses its own convention (+y is the pole, forward is
-z); :data:`ENV_TO_WORLD` (a 180° turn about z, checked by a test) maps it onto ours.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

__all__ = ["EnvMap", "ENV_TO_WORLD", "texel_directions", "direction_to_uv", "fibonacci_sphere"]

#: Mitsuba envmap local frame -> camera frame.
ENV_TO_WORLD = np.diag([-1.0, -1.0, 1.0, 1.0])


def texel_directions(height: int, width: int) -> np.ndarray:
    """Unit directions (camera frame) of texel centres, ``(H, W, 3)`` float64."""
    v = (np.arange(height) + 0.5) / height
    u = (np.arange(width) + 0.5) / width
    theta = v[:, None] * np.pi                 # from "up" (-y)
    phi = (2.0 * u[None, :] - 1.0) * np.pi     # 0 = forward (+z), +pi/2 = right (+x)
    st = np.sin(theta)
    d = np.empty((height, width, 3))
    d[..., 0] = st * np.sin(phi)
    d[..., 1] = -np.cos(theta) * np.ones_like(phi)
    d[..., 2] = st * np.cos(phi)
    return d


def direction_to_uv(d: np.ndarray) -> np.ndarray:
    """Inverse of :func:`texel_directions`: unit directions ``(..., 3)`` -> uv in [0, 1]², ``(..., 2)``."""
    d = np.asarray(d, dtype=np.float64)
    theta = np.arccos(np.clip(-d[..., 1], -1.0, 1.0))
    phi = np.arctan2(d[..., 0], d[..., 2])
    return np.stack([(phi / np.pi + 1.0) * 0.5, theta / np.pi], axis=-1)


def texel_solid_angles(height: int, width: int) -> np.ndarray:
    """Solid angle of each texel, ``(H, 1)`` steradians (constant along a row)."""
    v0 = np.arange(height) / height * np.pi
    v1 = (np.arange(height) + 1) / height * np.pi
    return ((np.cos(v0) - np.cos(v1)) * (2.0 * np.pi / width))[:, None]


def fibonacci_sphere(n: int) -> np.ndarray:
    """``n`` nearly uniform unit directions, ``(n, 3)``."""
    i = np.arange(n) + 0.5
    z = 1.0 - 2.0 * i / n
    r = np.sqrt(np.maximum(0.0, 1.0 - z * z))
    a = np.pi * (3.0 - np.sqrt(5.0)) * i
    return np.stack([r * np.cos(a), z, r * np.sin(a)], axis=-1)


@dataclass
class EnvMap:
    """An HDR environment, linear sRGB radiance, in the camera frame (see module doc).

    Attributes
    ----------
    radiance : ndarray, (H, W, 3) float32
        Linear radiance, in the photo's linear pixel units (a perfect white
        diffuser facing the whole map reads ``irradiance / pi`` in those units).
    """

    radiance: np.ndarray
    meta: dict = field(default_factory=dict)

    def __post_init__(self):
        r = np.asarray(self.radiance, dtype=np.float32)
        if r.ndim != 3 or r.shape[2] != 3 or r.shape[1] != 2 * r.shape[0]:
            raise ValueError(f"EnvMap needs (H, 2H, 3) radiance, got {r.shape}")
        if not np.all(np.isfinite(r)) or r.min() < 0:
            raise ValueError("EnvMap radiance must be finite and non-negative")
        self.radiance = np.ascontiguousarray(r)

    @property
    def shape(self) -> tuple[int, int]:
        return self.radiance.shape[:2]

    def directions(self) -> np.ndarray:
        return texel_directions(*self.shape)

    def solid_angles(self) -> np.ndarray:
        return texel_solid_angles(*self.shape)

    def irradiance(self, normals: np.ndarray) -> np.ndarray:
        """Irradiance (cosine-weighted integral) for unit normals ``(N, 3)`` -> ``(N, 3)``."""
        d = self.directions().reshape(-1, 3)
        w = np.broadcast_to(self.solid_angles(), self.shape).reshape(-1)
        cos = np.maximum(0.0, np.asarray(normals, dtype=np.float64) @ d.T)  # (N, T)
        return (cos * w[None, :]) @ self.radiance.reshape(-1, 3).astype(np.float64)

    def mean_radiance(self) -> np.ndarray:
        w = np.broadcast_to(self.solid_angles(), self.shape)
        return (self.radiance * w[..., None]).sum(axis=(0, 1)) / (4.0 * np.pi)

    def to_mitsuba(self) -> dict:
        """Scene-dict entry for Mitsuba's ``envmap`` plugin (needs an active variant)."""
        import mitsuba as mi

        return {
            "type": "envmap",
            "bitmap": mi.Bitmap(self.radiance),
            "to_world": mi.ScalarTransform4f(ENV_TO_WORLD.tolist()),
        }

    def save(self, path: str | Path) -> None:
        """Write as OpenEXR (``.exr``) or Radiance (``.hdr``), atomically."""
        import os

        import mitsuba as mi

        from .._files import publish, temp_beside
        from ..backend import select

        select()  # mi.Bitmap needs an active variant
        path = Path(path)
        suffix = path.suffix.lower()
        if suffix not in (".exr", ".hdr"):
            raise ValueError("environment maps are written as .exr or .hdr")
        tmp = temp_beside(path, suffix)
        try:
            mi.Bitmap(self.radiance).write(tmp)
            publish(tmp, path)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
