"""Face-mesh landmarks with MediaPipe Face Mesh (the legacy ``mp.solutions.face_mesh`` graph).

478 points per face with ``refine_landmarks`` (the 10 iris points give a metric scale: a human
iris is about 11.7 mm across). Photos larger than :data:`MAX_SIDE` are downscaled first (the
mesh model runs at 192 px). Faces come back largest first.
"""

from __future__ import annotations

import contextlib
import threading

import numpy as np

from ..errors import BackendUnavailableError, DetectionError, InvalidOptionError
from .face_pose_types import FaceLandmarks
from .mediapipe_runtime import as_rgb_uint8, filtered_native_stderr, import_mediapipe

__all__ = ["FaceDetector", "MAX_SIDE"]

MAX_SIDE = 1920


def _confidence(value, name: str) -> float:
    try:
        v = float(value)
    except (TypeError, ValueError):
        v = float("nan")
    if not 0.0 <= v <= 1.0:
        raise InvalidOptionError(f"{name} must be a number in [0, 1], got {value!r}", details={name: repr(value)})
    return v


class FaceDetector:
    """Reusable MediaPipe face-mesh detector (a context manager; calls are serialised by a lock).

    Parameters
    ----------
    max_faces : int, 1..10
    min_confidence : float, MediaPipe's ``min_detection_confidence``
    """

    def __init__(self, *, max_faces: int = 2, min_confidence: float = 0.5):
        if isinstance(max_faces, bool) or not isinstance(max_faces, (int, np.integer)) or not 1 <= max_faces <= 10:
            raise InvalidOptionError(f"max_faces must be an integer in 1..10, got {max_faces!r}",
                                     details={"max_faces": repr(max_faces)})
        self.max_faces = int(max_faces)
        self.min_confidence = _confidence(min_confidence, "min_confidence")
        self._graph = None
        self._lock = threading.Lock()
        self._open()

    def _open(self) -> None:
        mp = import_mediapipe()
        try:
            with filtered_native_stderr():
                self._graph = mp.solutions.face_mesh.FaceMesh(
                    static_image_mode=True, max_num_faces=self.max_faces, refine_landmarks=True,
                    min_detection_confidence=self.min_confidence)
                self._graph.process(np.zeros((64, 64, 3), np.uint8))  # open the calculators inside the filter
        except (RuntimeError, ValueError, OSError) as exc:
            raise BackendUnavailableError(f"could not start the MediaPipe face-mesh graph: {exc}") from exc

    def close(self) -> None:
        with self._lock:
            if self._graph is not None:
                with contextlib.suppress(Exception):
                    self._graph.close()
                self._graph = None

    def __enter__(self) -> "FaceDetector":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __del__(self) -> None:
        with contextlib.suppress(Exception):
            self.close()

    def detect(self, photo) -> list[FaceLandmarks]:
        """Faces in a Photo (or (H, W, 3) uint8 sRGB array), largest first; pixel coordinates of ``photo``."""
        import cv2

        rgb = as_rgb_uint8(photo)
        H, W = rgb.shape[:2]
        scale = min(1.0, MAX_SIDE / max(H, W))
        if scale < 1.0:
            rgb = cv2.resize(rgb, (max(1, round(W * scale)), max(1, round(H * scale))), interpolation=cv2.INTER_AREA)
        h, w = rgb.shape[:2]
        with self._lock:
            if self._graph is None:
                self._open()
            try:
                with filtered_native_stderr():
                    res = self._graph.process(np.ascontiguousarray(rgb))
            except (RuntimeError, ValueError) as exc:
                raise DetectionError(f"face detection failed: {exc}") from exc
        faces = []
        for lm in res.multi_face_landmarks or []:
            arr = np.array([[p.x, p.y, p.z] for p in lm.landmark], dtype=np.float64)
            # MediaPipe's z uses the x scale (normalised by the image width).
            px = arr[:, :2] * [w, h] / scale
            faces.append(FaceLandmarks(px, arr[:, 2] * w / scale))
        return sorted(faces, key=lambda f: -f.size_px)
