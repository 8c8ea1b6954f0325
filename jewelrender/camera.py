"""Pinhole camera model of the photo.

Frames and units (shared by all of jewelrender):

* camera frame = OpenCV: origin at the centre of projection, +x right in the
  image, +y down in the image, +z forward into the scene; metres;
* pixel coordinates are continuous: the image's top-left corner is (0, 0) and
  pixel (column i, row j) covers [i, i+1) x [j, j+1), so its centre is
  (i + 0.5, j + 0.5); ``uv = (u, v) = (x / column, y / row)``.

A phone photo carries no calibration, only (sometimes) the EXIF tag
``FocalLengthIn35mmFilm``. The focal length in pixels follows from the
*diagonal* definition of the 35 mm equivalent: a lens of equivalent focal
length f35 sees the same diagonal field of view on the photo as a lens of
focal length f35 on a 36 x 24 mm frame (diagonal 43.27 mm), so::

    f_px = f35 / 43.27 mm * hypot(W, H)

The diagonal definition is the one CIPA DC-008 (EXIF) and phone makers use; it
does not depend on the photo's aspect ratio, so a 4:3 phone photo, a 16:9 crop
of it made by the camera, and a portrait rotation all get the right angle of
view. (A crop made afterwards by the user cannot be detected and makes the
field of view look wider than it is.) Pixels are square (fx = fy) and the
principal point is the image centre: phone lenses are centred to within a few
pixels and the photo cannot tell us better.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from .errors import InvalidOptionError

if TYPE_CHECKING:  # pragma: no cover
    from .photo import Photo

__all__ = [
    "Camera",
    "camera_from_photo",
    "camera_from_size",
    "focal_px_from_35mm",
    "DEFAULT_FOCAL_35MM",
    "MIN_FOCAL_35MM",
    "MAX_FOCAL_35MM",
    "FULL_FRAME_DIAGONAL_MM",
]

#: Used when the photo says nothing: the main ("wide", 1x) camera of current
#: phones is 24-28 mm equivalent (iPhone 11-15: 26 mm, Pixel 6-8: 25-26 mm,
#: Galaxy S2x: 23-26 mm), and try-on photos are taken with it. A wrong guess
#: mostly changes perspective strength, which is mild for a hand at 20-40 cm.
DEFAULT_FOCAL_35MM = 26.0
#: EXIF values outside this range are treated as wrong (ultra-wide fisheyes
#: and long telephotos are not how a hand photo is taken; zero/garbage tags
#: are common) and the default is used instead.
MIN_FOCAL_35MM = 8.0
MAX_FOCAL_35MM = 600.0
#: Diagonal of the 36 x 24 mm full frame, mm.
FULL_FRAME_DIAGONAL_MM = math.hypot(36.0, 24.0)


def focal_px_from_35mm(focal_35mm: float, width: int, height: int) -> float:
    """Focal length in pixels from a 35 mm-equivalent focal length (diagonal definition).

    Parameters
    ----------
    focal_35mm : float
        35 mm-equivalent focal length, mm.
    width, height : int
        Image size, pixels.

    Returns
    -------
    float
        ``focal_35mm / 43.27 * hypot(width, height)``, pixels.
    """
    return float(focal_35mm) / FULL_FRAME_DIAGONAL_MM * math.hypot(width, height)


@dataclass(frozen=True)
class Camera:
    """Pinhole intrinsics of a photo (no distortion).

    Attributes
    ----------
    width, height : int
        Size of the upright photo, pixels.
    fx, fy : float
        Focal lengths, pixels.
    cx, cy : float
        Principal point, continuous pixel coordinates (``W/2, H/2`` is the
        image centre).
    focal_35mm : float
        The 35 mm-equivalent focal length the intrinsics were made from, mm.
    focal_source : str
        Where it came from: ``"exif"``, ``"default"`` or ``"explicit"`` (given
        by the caller).
    """

    width: int
    height: int
    fx: float
    fy: float
    cx: float
    cy: float
    focal_35mm: float
    focal_source: str

    def __post_init__(self) -> None:
        for name in ("width", "height"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 1:
                raise InvalidOptionError(f"Camera.{name} must be a positive integer, got {v!r}")
        for name in ("fx", "fy", "focal_35mm"):
            v = getattr(self, name)
            if not (isinstance(v, (int, float, np.floating, np.integer)) and math.isfinite(v) and v > 0):
                raise InvalidOptionError(f"Camera.{name} must be a positive finite number, got {v!r}")
        for name in ("cx", "cy"):
            v = getattr(self, name)
            if not (isinstance(v, (int, float, np.floating, np.integer)) and math.isfinite(v)):
                raise InvalidOptionError(f"Camera.{name} must be a finite number, got {v!r}")

    # ------------------------------------------------------------ intrinsics

    @property
    def K(self) -> np.ndarray:
        """Intrinsic matrix, (3, 3) float64, mapping camera-frame points to homogeneous pixels."""
        return np.array([[self.fx, 0.0, self.cx], [0.0, self.fy, self.cy], [0.0, 0.0, 1.0]])

    @property
    def fov_x_deg(self) -> float:
        """Horizontal field of view, degrees (edge to edge through the principal point)."""
        return math.degrees(math.atan(self.cx / self.fx) + math.atan((self.width - self.cx) / self.fx))

    @property
    def fov_y_deg(self) -> float:
        """Vertical field of view, degrees."""
        return math.degrees(math.atan(self.cy / self.fy) + math.atan((self.height - self.cy) / self.fy))

    @property
    def fov_diag_deg(self) -> float:
        """Diagonal field of view, degrees (principal point at the centre assumed)."""
        d = math.hypot(self.width / self.fx, self.height / self.fy)
        return math.degrees(2.0 * math.atan(d / 2.0))

    # ------------------------------------------------------------ projection

    def project(self, points_cam) -> np.ndarray:
        """Camera-frame points to continuous pixel coordinates.

        Parameters
        ----------
        points_cam : array_like, shape (N, 3) or (3,)
            Points in the camera frame, metres (any unit works: projection is
            scale-free).

        Returns
        -------
        np.ndarray of float64, shape (N, 2) or (2,)
            ``(u, v)`` pixels. Points with ``z <= 0`` (at or behind the camera)
            give NaN.
        """
        p = np.asarray(points_cam, dtype=np.float64)
        single = p.ndim == 1
        p = np.atleast_2d(p)
        if p.shape[-1] != 3 or p.ndim != 2:
            raise InvalidOptionError(f"project expects points of shape (N, 3), got {np.shape(points_cam)}")
        z = p[:, 2]
        ok = z > 0
        zs = np.where(ok, z, 1.0)
        uv = np.stack([self.fx * p[:, 0] / zs + self.cx, self.fy * p[:, 1] / zs + self.cy], axis=1)
        uv[~ok] = np.nan
        return uv[0] if single else uv

    def backproject(self, uv, depth) -> np.ndarray:
        """Pixels plus depth to camera-frame points.

        Parameters
        ----------
        uv : array_like, shape (N, 2) or (2,)
            Continuous pixel coordinates.
        depth : array_like, shape (N,) or scalar
            z coordinate (distance along the optical axis, not along the ray),
            metres.

        Returns
        -------
        np.ndarray of float64, shape (N, 3) or (3,)
            Points in the camera frame, metres.
        """
        q = np.asarray(uv, dtype=np.float64)
        single = q.ndim == 1
        q = np.atleast_2d(q)
        if q.shape[-1] != 2 or q.ndim != 2:
            raise InvalidOptionError(f"backproject expects pixels of shape (N, 2), got {np.shape(uv)}")
        z = np.broadcast_to(np.asarray(depth, dtype=np.float64), (q.shape[0],))
        x = (q[:, 0] - self.cx) / self.fx * z
        y = (q[:, 1] - self.cy) / self.fy * z
        pts = np.stack([x, y, z], axis=1)
        return pts[0] if single else pts

    def ray_directions(self, uv) -> np.ndarray:
        """Unit direction, camera frame, of the ray through each pixel position.

        Parameters
        ----------
        uv : array_like, shape (N, 2) or (2,)
            Continuous pixel coordinates.

        Returns
        -------
        np.ndarray of float64, shape (N, 3) or (3,)
            Unit vectors with z > 0.
        """
        d = self.backproject(uv, 1.0)
        return d / np.linalg.norm(d, axis=-1, keepdims=True)

    # -------------------------------------------------------------- helpers

    def resized(self, width: int, height: int) -> "Camera":
        """The same camera for the photo resampled to ``width`` x ``height`` pixels.

        Intrinsics scale with the image (continuous convention, so no half-pixel
        offsets); ``focal_35mm`` and ``focal_source`` are unchanged.
        """
        sx = width / self.width
        sy = height / self.height
        return Camera(
            width=int(width),
            height=int(height),
            fx=self.fx * sx,
            fy=self.fy * sy,
            cx=self.cx * sx,
            cy=self.cy * sy,
            focal_35mm=self.focal_35mm,
            focal_source=self.focal_source,
        )

    def to_report(self) -> dict[str, Any]:
        """JSON-able summary."""
        return {
            "width": self.width,
            "height": self.height,
            "fx": self.fx,
            "fy": self.fy,
            "cx": self.cx,
            "cy": self.cy,
            "focal_35mm": self.focal_35mm,
            "focal_source": self.focal_source,
            "fov_x_deg": self.fov_x_deg,
            "fov_y_deg": self.fov_y_deg,
            "fov_diag_deg": self.fov_diag_deg,
        }


def _plausible(f: Any) -> bool:
    return isinstance(f, (int, float, np.floating, np.integer)) and not isinstance(f, bool) and (
        math.isfinite(f) and MIN_FOCAL_35MM <= f <= MAX_FOCAL_35MM
    )


def camera_from_size(width: int, height: int, *, focal_35mm: float | None = None,
                     exif_focal_35mm: float | None = None) -> Camera:
    """Camera for a ``width`` x ``height`` photo.

    Precedence: explicit ``focal_35mm`` > plausible ``exif_focal_35mm`` >
    :data:`DEFAULT_FOCAL_35MM`. An EXIF value outside
    [:data:`MIN_FOCAL_35MM`, :data:`MAX_FOCAL_35MM`] is ignored (source
    ``"default"``); an explicit one outside it is an error.

    Raises
    ------
    InvalidOptionError
        ``focal_35mm`` given but not a number in [8, 600] mm.
    """
    if focal_35mm is not None:
        if not _plausible(focal_35mm):
            raise InvalidOptionError(
                f"focal_35mm must be a 35 mm-equivalent focal length between {MIN_FOCAL_35MM:g} and "
                f"{MAX_FOCAL_35MM:g} mm, got {focal_35mm!r}",
                details={"focal_35mm": repr(focal_35mm), "min": MIN_FOCAL_35MM, "max": MAX_FOCAL_35MM},
            )
        f35, source = float(focal_35mm), "explicit"
    elif exif_focal_35mm is not None and _plausible(exif_focal_35mm):
        f35, source = float(exif_focal_35mm), "exif"
    else:
        f35, source = DEFAULT_FOCAL_35MM, "default"
    f_px = focal_px_from_35mm(f35, width, height)
    return Camera(
        width=int(width),
        height=int(height),
        fx=f_px,
        fy=f_px,
        cx=width / 2.0,
        cy=height / 2.0,
        focal_35mm=f35,
        focal_source=source,
    )


def camera_from_photo(photo: "Photo", *, focal_35mm: float | None = None) -> Camera:
    """Camera for a loaded photo.

    Parameters
    ----------
    photo : Photo
        Its size (upright) and EXIF ``focal_length_35mm`` are used.
    focal_35mm : float, optional
        35 mm-equivalent focal length in mm chosen by the caller; overrides
        EXIF (``focal_source == "explicit"``).

    Returns
    -------
    Camera
        ``focal_source`` is ``"explicit"``, ``"exif"`` or ``"default"`` (no
        EXIF value, or one outside [8, 600] mm).
    """
    return camera_from_size(
        photo.width, photo.height, focal_35mm=focal_35mm, exif_focal_35mm=photo.focal_length_35mm
    )
