"""Backend-independent hand-landmark types.

The 21-point hand skeleton follows MediaPipe's numbering (which most hand-pose
datasets share): 0 is the wrist, then four points per digit from the base to
the tip, thumb first.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

import numpy as np

__all__ = ["HandLandmark", "FINGERS", "FINGER_NAMES", "HandLandmarks"]


class HandLandmark(IntEnum):
    """Index of each of the 21 hand landmarks (MediaPipe numbering)."""

    WRIST = 0
    THUMB_CMC = 1
    THUMB_MCP = 2
    THUMB_IP = 3
    THUMB_TIP = 4
    INDEX_FINGER_MCP = 5
    INDEX_FINGER_PIP = 6
    INDEX_FINGER_DIP = 7
    INDEX_FINGER_TIP = 8
    MIDDLE_FINGER_MCP = 9
    MIDDLE_FINGER_PIP = 10
    MIDDLE_FINGER_DIP = 11
    MIDDLE_FINGER_TIP = 12
    RING_FINGER_MCP = 13
    RING_FINGER_PIP = 14
    RING_FINGER_DIP = 15
    RING_FINGER_TIP = 16
    PINKY_MCP = 17
    PINKY_PIP = 18
    PINKY_DIP = 19
    PINKY_TIP = 20


#: Landmark indices of each digit, from its base joint to its tip. For the
#: thumb these are CMC, MCP, IP, TIP; for the fingers MCP, PIP, DIP, TIP.
FINGERS: dict[str, tuple[int, int, int, int]] = {
    "thumb": (1, 2, 3, 4),
    "index": (5, 6, 7, 8),
    "middle": (9, 10, 11, 12),
    "ring": (13, 14, 15, 16),
    "little": (17, 18, 19, 20),
}

FINGER_NAMES: tuple[str, ...] = tuple(FINGERS)


@dataclass(frozen=True, eq=False)
class HandLandmarks:
    """One detected hand.

    Attributes
    ----------
    image_px : numpy.ndarray
        (21, 2) float64 continuous pixel coordinates (x = column, y = row) in
        the oriented photo; the top-left corner of the image is (0, 0).
        Points may lie slightly outside the image when a part of the hand is
        cut off by the frame.
    world_m : numpy.ndarray
        (21, 3) float64 metric 3D landmarks in metres, origin at the hand's
        approximate geometric centre, axes parallel to the camera's (x right,
        y down, z away from the camera). Their scale is that of an average
        adult hand: the model cannot see true size.
    handedness : str
        ``"left"`` or ``"right"``: the person's anatomical hand, for a normal
        (non-mirrored) photo.
    score : float
        Handedness/detection confidence in [0, 1].
    """

    image_px: np.ndarray
    world_m: np.ndarray
    handedness: str
    score: float

    def __post_init__(self) -> None:
        image_px = np.asarray(self.image_px, dtype=np.float64)
        world_m = np.asarray(self.world_m, dtype=np.float64)
        if image_px.shape != (21, 2):
            raise ValueError(f"image_px must be (21, 2), got {image_px.shape}")
        if world_m.shape != (21, 3):
            raise ValueError(f"world_m must be (21, 3), got {world_m.shape}")
        if self.handedness not in ("left", "right"):
            raise ValueError(f"handedness must be 'left' or 'right', got {self.handedness!r}")
        image_px.setflags(write=False)
        world_m.setflags(write=False)
        object.__setattr__(self, "image_px", image_px)
        object.__setattr__(self, "world_m", world_m)
        object.__setattr__(self, "score", float(self.score))

    @property
    def bbox_px(self) -> tuple[float, float, float, float]:
        """(x0, y0, x1, y1) bounding box of the landmarks, pixels."""
        lo = self.image_px.min(axis=0)
        hi = self.image_px.max(axis=0)
        return float(lo[0]), float(lo[1]), float(hi[0]), float(hi[1])

    @property
    def size_px(self) -> float:
        """Diagonal of the landmarks' bounding box, pixels: the hand's size in the image."""
        x0, y0, x1, y1 = self.bbox_px
        return float(np.hypot(x1 - x0, y1 - y0))

    def to_report(self) -> dict:
        """JSON-able summary."""
        return {
            "handedness": self.handedness,
            "score": round(self.score, 4),
            "bbox_px": [round(v, 2) for v in self.bbox_px],
            "image_px": np.round(self.image_px, 2).tolist(),
        }
