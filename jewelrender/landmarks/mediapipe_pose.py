"""Body-pose landmarks with MediaPipe Pose (the legacy ``mp.solutions.pose`` graph), and its person mask.

Only ``model_complexity=1`` ships inside mediapipe 0.10.21 (0 and 2 would download weights at run
time, which nothing here may do). One person per photo. With ``segmentation=True`` the graph also
returns a person mask (the body, hair and clothes against the background).
"""

from __future__ import annotations

import contextlib
import threading

import numpy as np

from ..errors import BackendUnavailableError, DetectionError, InvalidOptionError
from .face_pose_types import PoseLandmarks
from .mediapipe_face import MAX_SIDE
from .mediapipe_runtime import as_rgb_uint8, filtered_native_stderr, import_mediapipe

__all__ = ["PoseDetector", "PoseResult"]


class PoseResult:
    """What one pose run finds: the body (or None) and, when asked for, the person mask (H, W) in [0, 1]."""

    __slots__ = ("pose", "person_mask")

    def __init__(self, pose: PoseLandmarks | None, person_mask: np.ndarray | None):
        self.pose = pose
        self.person_mask = person_mask


class PoseDetector:
    """Reusable MediaPipe pose detector (a context manager; calls are serialised by a lock)."""

    def __init__(self, *, min_confidence: float = 0.5, segmentation: bool = True):
        try:
            conf = float(min_confidence)
        except (TypeError, ValueError):
            conf = float("nan")
        if not 0.0 <= conf <= 1.0:
            raise InvalidOptionError(f"min_confidence must be a number in [0, 1], got {min_confidence!r}",
                                     details={"min_confidence": repr(min_confidence)})
        self.min_confidence = conf
        self.segmentation = bool(segmentation)
        self._graph = None
        self._lock = threading.Lock()
        self._open()

    def _open(self) -> None:
        mp = import_mediapipe()
        try:
            with filtered_native_stderr():
                self._graph = mp.solutions.pose.Pose(
                    static_image_mode=True, model_complexity=1, enable_segmentation=self.segmentation,
                    min_detection_confidence=self.min_confidence)
                self._graph.process(np.zeros((64, 64, 3), np.uint8))
        except (RuntimeError, ValueError, OSError) as exc:
            raise BackendUnavailableError(f"could not start the MediaPipe pose graph: {exc}") from exc

    def close(self) -> None:
        with self._lock:
            if self._graph is not None:
                with contextlib.suppress(Exception):
                    self._graph.close()
                self._graph = None

    def __enter__(self) -> "PoseDetector":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __del__(self) -> None:
        with contextlib.suppress(Exception):
            self.close()

    def detect(self, photo) -> PoseResult:
        """The body in a Photo (or (H, W, 3) uint8 sRGB array); pixel coordinates and mask of ``photo``."""
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
                raise DetectionError(f"pose detection failed: {exc}") from exc
        pose = None
        if res.pose_landmarks is not None:
            lm = res.pose_landmarks.landmark
            px = np.array([[p.x * w, p.y * h] for p in lm], dtype=np.float64) / scale
            vis = np.clip(np.array([p.visibility for p in lm], dtype=np.float64), 0.0, 1.0)
            wl = res.pose_world_landmarks.landmark if res.pose_world_landmarks is not None else lm
            world = np.array([[p.x, p.y, p.z] for p in wl], dtype=np.float64)
            pose = PoseLandmarks(px, vis, world)
        mask = None
        if self.segmentation and res.segmentation_mask is not None:
            mask = np.asarray(res.segmentation_mask, dtype=np.float32)
            if mask.shape != (H, W):
                mask = cv2.resize(mask, (W, H), interpolation=cv2.INTER_LINEAR)
            mask = np.clip(mask, 0.0, 1.0)
        return PoseResult(pose, mask)
