"""Backend-independent face-mesh and body-pose landmark types (MediaPipe numbering).

Face: MediaPipe Face Mesh's 468 points plus 10 iris points (``refine_landmarks``):
468–472 the subject's right iris (centre, then four on its rim), 473–477 the left.
The mesh has no ear points; :class:`FaceLandmark` names the ones the head sites use.
Pose: MediaPipe Pose's 33 points; "left" is the person's own left.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

import numpy as np

__all__ = ["FaceLandmark", "FaceLandmarks", "PoseLandmark", "PoseLandmarks", "FACE_POINTS", "POSE_POINTS"]

FACE_POINTS = 478
POSE_POINTS = 33


class FaceLandmark(IntEnum):
    """Face-mesh points the head sites use. "Right"/"left" are the subject's own sides."""

    FOREHEAD = 10
    NOSE_TIP = 1
    CHIN = 152
    RIGHT_CHEEK_TRAGUS = 234  # the face outline just in front of the right ear's tragus
    LEFT_CHEEK_TRAGUS = 454
    RIGHT_CHEEK_LOBE = 93  # the outline near the right ear lobe's height
    LEFT_CHEEK_LOBE = 323
    RIGHT_JAW_ANGLE = 132
    LEFT_JAW_ANGLE = 361
    RIGHT_EYE_OUTER = 33
    LEFT_EYE_OUTER = 263
    RIGHT_IRIS_CENTER = 468
    LEFT_IRIS_CENTER = 473


#: Rim points of each iris (two horizontal, two vertical): their spread is the iris diameter.
IRIS_RIMS = {"right": (469, 470, 471, 472), "left": (474, 475, 476, 477)}


class PoseLandmark(IntEnum):
    """MediaPipe Pose's 33 points (the ones the sites use, and the rest by number)."""

    NOSE = 0
    LEFT_EAR = 7
    RIGHT_EAR = 8
    MOUTH_LEFT = 9
    MOUTH_RIGHT = 10
    LEFT_SHOULDER = 11
    RIGHT_SHOULDER = 12
    LEFT_ELBOW = 13
    RIGHT_ELBOW = 14
    LEFT_WRIST = 15
    RIGHT_WRIST = 16
    LEFT_HIP = 23
    RIGHT_HIP = 24


def _frozen(a, shape, name):
    a = np.asarray(a, dtype=np.float64)
    if a.shape != shape:
        raise ValueError(f"{name} must be {shape}, got {a.shape}")
    a.setflags(write=False)
    return a


@dataclass(frozen=True, eq=False)
class FaceLandmarks:
    """One detected face.

    Attributes
    ----------
    image_px : (478, 2) continuous pixel coordinates (x = column, y = row) in the oriented photo.
    depth_px : (478,) MediaPipe's relative depth, in the same pixel units as ``image_px``
        (negative: nearer the camera than the face's centre). Relative only: no metric scale.
    """

    image_px: np.ndarray
    depth_px: np.ndarray

    def __post_init__(self) -> None:
        object.__setattr__(self, "image_px", _frozen(self.image_px, (FACE_POINTS, 2), "image_px"))
        object.__setattr__(self, "depth_px", _frozen(self.depth_px, (FACE_POINTS,), "depth_px"))

    @property
    def points3d_px(self) -> np.ndarray:
        """(478, 3): x, y in pixels and the relative depth, one shape for head-pose fits."""
        return np.column_stack([self.image_px, self.depth_px])

    @property
    def bbox_px(self) -> tuple[float, float, float, float]:
        lo, hi = self.image_px[:468].min(axis=0), self.image_px[:468].max(axis=0)
        return float(lo[0]), float(lo[1]), float(hi[0]), float(hi[1])

    @property
    def size_px(self) -> float:
        """Diagonal of the mesh's bounding box, pixels."""
        x0, y0, x1, y1 = self.bbox_px
        return float(np.hypot(x1 - x0, y1 - y0))

    def iris_diameter_px(self, side: str) -> float:
        """Mean of the ``side`` ("right"/"left", the subject's) iris's horizontal and vertical rim spans."""
        a, b, c, d = IRIS_RIMS[side]
        p = self.image_px
        return float((np.linalg.norm(p[a] - p[c]) + np.linalg.norm(p[b] - p[d])) / 2.0)

    def to_report(self) -> dict:
        return {"bbox_px": [round(v, 2) for v in self.bbox_px],
                "iris_diameter_px": {s: round(self.iris_diameter_px(s), 2) for s in IRIS_RIMS}}


@dataclass(frozen=True, eq=False)
class PoseLandmarks:
    """One detected body (MediaPipe Pose finds one person per photo).

    Attributes
    ----------
    image_px : (33, 2) pixel coordinates in the oriented photo (may lie outside it).
    visibility : (33,) in [0, 1]: the model's belief that the point is in the frame and not hidden.
    world_m : (33, 3) metric 3-D points, origin between the hips, camera-parallel axes (x right,
        y down, z away); an average body's scale (the model cannot see true size).
    """

    image_px: np.ndarray
    visibility: np.ndarray
    world_m: np.ndarray

    def __post_init__(self) -> None:
        object.__setattr__(self, "image_px", _frozen(self.image_px, (POSE_POINTS, 2), "image_px"))
        object.__setattr__(self, "visibility", _frozen(self.visibility, (POSE_POINTS,), "visibility"))
        object.__setattr__(self, "world_m", _frozen(self.world_m, (POSE_POINTS, 3), "world_m"))

    def visible(self, index: int, threshold: float = 0.5) -> bool:
        """Whether point ``index`` is in the frame and unhidden, by the model's own visibility."""
        return bool(self.visibility[int(index)] >= threshold)

    def to_report(self) -> dict:
        return {"image_px": np.round(self.image_px, 2).tolist(),
                "visibility": np.round(self.visibility, 3).tolist()}
