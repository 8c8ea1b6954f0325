"""Stage 2 of the pipeline: landmarks in the photo (hands: 21 points; faces: 478; bodies: 33).

Backends sit behind :class:`HandDetector`-like classes registered in
:data:`LANDMARK_METHODS` (name -> class with ``detect(photo)`` and ``close()``),
so another model can slot in without touching the rest of the pipeline.
"""

from __future__ import annotations

from ..errors import InvalidOptionError
from .face_pose_types import FaceLandmark, FaceLandmarks, PoseLandmark, PoseLandmarks
from .mediapipe_face import FaceDetector
from .mediapipe_hands import HandDetector, sort_hands
from .mediapipe_pose import PoseDetector, PoseResult
from .types import FINGER_NAMES, FINGERS, HandLandmark, HandLandmarks

__all__ = [
    "HandLandmark",
    "HandLandmarks",
    "FINGERS",
    "FINGER_NAMES",
    "HandDetector",
    "FaceDetector",
    "FaceLandmark",
    "FaceLandmarks",
    "PoseDetector",
    "PoseLandmark",
    "PoseLandmarks",
    "PoseResult",
    "LANDMARK_METHODS",
    "detect_hands",
    "make_detector",
    "sort_hands",
]

#: Landmark backends by name.
LANDMARK_METHODS: dict[str, type] = {"mediapipe": HandDetector}


def make_detector(method: str = "mediapipe", **options):
    """Create a reusable detector of the named backend.

    Raises
    ------
    InvalidOptionError
        Unknown method name (the message lists the valid ones) or bad options.
    """
    cls = LANDMARK_METHODS.get(method) if isinstance(method, str) else None
    if cls is None:
        valid = sorted(LANDMARK_METHODS)
        raise InvalidOptionError(
            f"unknown landmark method {method!r}; valid: {', '.join(valid)}",
            details={"method": repr(method), "valid": valid},
        )
    try:
        return cls(**options)
    except TypeError as exc:  # unknown keyword
        raise InvalidOptionError(f"bad option for landmark method {method!r}: {exc}") from exc


def detect_hands(photo, *, method: str = "mediapipe", **options) -> list[HandLandmarks]:
    """One-shot detection: create a detector, run it on ``photo``, close it.

    Parameters
    ----------
    photo : Photo or numpy.ndarray
        Oriented photo (``.srgb`` (H, W, 3) uint8 sRGB) or such an array.
    method : str
        A key of :data:`LANDMARK_METHODS`.
    **options
        Passed to the backend's constructor (e.g. ``max_hands``,
        ``min_confidence``, ``model_complexity``).

    Returns
    -------
    list of HandLandmarks
        Empty when no hand was found; largest/clearest first.
    """
    with make_detector(method, **options) as det:
        return det.detect(photo)
