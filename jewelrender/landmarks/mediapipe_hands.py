"""Hand landmarks with MediaPipe Hands (the legacy ``mp.solutions.hands`` graph).

MediaPipe is imported only when a :class:`HandDetector` is created, so that
``import jewelrender`` stays fast.

Handedness
----------
MediaPipe's handedness classifier assumes a *mirrored* (selfie-preview)
image; its documentation tells applications to swap the label for
non-mirrored input. Customer photos are not mirrored, so the label is flipped
here: MediaPipe's ``"Left"`` becomes ``"right"``. Checked on the dev photos:
``ringtryon_target_left.jpg`` (a left hand) comes back ``"Right"``,
``11khands_female_dorsal.jpg`` (a right hand) ``"Left"``, and the left hands
wearing engagement rings in the ``ringtryon_assets_*`` photos ``"Right"``.

Detection retries
-----------------
Photos larger than :data:`MAX_SIDE` on their long side are downscaled first
(the palm detector runs at 192 px and the landmark model at 224 px, so more
pixels only cost time). When nothing is found the detector retries once on a
copy with a 25 % grey border, which helps hands cut off by the frame; the
coordinates are mapped back to the original photo. On the dev photos this
recovers ``bad/interhand_grayscale_clasped.jpg`` and finds nothing spurious.
Retrying on overlapping 2/3-size crops (for small hands) was tried and
dropped: it found no extra hand on the dev photos, but did "find" one in a
face (``ears/earmeasure_1_left.jpg``, score 0.97).

Ordering
--------
Hands are sorted by ``size_px * score`` (landmark bounding-box diagonal in
pixels times confidence), largest and clearest first.
"""

from __future__ import annotations

import contextlib
import threading

import numpy as np

from ..errors import BackendUnavailableError, DetectionError, InvalidOptionError
from .mediapipe_runtime import as_rgb_uint8, filtered_native_stderr, import_mediapipe
from .types import HandLandmarks

__all__ = ["HandDetector", "MAX_SIDE"]

#: Long side (pixels) above which a photo is downscaled before detection.
MAX_SIDE = 1920

def _iou(a: tuple[float, ...], b: tuple[float, ...]) -> float:
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    area = lambda r: max(0.0, r[2] - r[0]) * max(0.0, r[3] - r[1])  # noqa: E731
    union = area(a) + area(b) - inter
    return inter / union if union > 0 else 0.0


def _dedupe(hands: list[HandLandmarks], iou: float = 0.4) -> list[HandLandmarks]:
    """Drop detections whose landmark box overlaps a more confident one's."""
    kept: list[HandLandmarks] = []
    for h in sorted(hands, key=lambda h: -h.score):
        if all(_iou(h.bbox_px, k.bbox_px) < iou for k in kept):
            kept.append(h)
    return kept


def sort_hands(hands: list[HandLandmarks]) -> list[HandLandmarks]:
    """Largest and clearest first: descending ``size_px * score``."""
    return sorted(hands, key=lambda h: -(h.size_px * h.score))


class HandDetector:
    """Reusable MediaPipe hand-landmark detector.

    Holds one MediaPipe graph (created on first use); use it as a context
    manager or call :meth:`close`. Calls are serialised with a lock, so one
    detector may be shared between threads (it then runs one image at a time).

    Parameters
    ----------
    max_hands : int
        Most hands to return per photo (1..10).
    min_confidence : float
        MediaPipe's ``min_detection_confidence`` in [0, 1].
    model_complexity : int
        0 (faster, less accurate) or 1.
    retries : bool
        Whether to retry on a padded copy when nothing is found at first.
    """

    def __init__(
        self,
        *,
        max_hands: int = 4,
        min_confidence: float = 0.5,
        model_complexity: int = 1,
        retries: bool = True,
    ):
        if isinstance(max_hands, bool) or not isinstance(max_hands, (int, np.integer)) or not 1 <= max_hands <= 10:
            raise InvalidOptionError(
                f"max_hands must be an integer in 1..10, got {max_hands!r}", details={"max_hands": repr(max_hands)}
            )
        try:
            conf = float(min_confidence)
        except (TypeError, ValueError):
            conf = float("nan")
        if not 0.0 <= conf <= 1.0:
            raise InvalidOptionError(
                f"min_confidence must be a number in [0, 1], got {min_confidence!r}",
                details={"min_confidence": repr(min_confidence)},
            )
        if model_complexity not in (0, 1) or isinstance(model_complexity, bool):
            raise InvalidOptionError(
                f"model_complexity must be 0 or 1, got {model_complexity!r}",
                details={"model_complexity": repr(model_complexity), "valid": [0, 1]},
            )
        self.max_hands = int(max_hands)
        self.min_confidence = conf
        self.model_complexity = int(model_complexity)
        self.retries = bool(retries)
        self._graph = None
        self._lock = threading.Lock()
        self._open()

    # -- lifecycle ---------------------------------------------------------
    def _open(self) -> None:
        mp = import_mediapipe()
        try:
            with filtered_native_stderr():
                self._graph = mp.solutions.hands.Hands(
                    static_image_mode=True,
                    max_num_hands=self.max_hands,
                    min_detection_confidence=self.min_confidence,
                    model_complexity=self.model_complexity,
                )
                # The graph opens its calculators (and logs) on worker threads;
                # one blank frame waits for all of them inside this window.
                self._graph.process(np.zeros((64, 64, 3), np.uint8))
        except (RuntimeError, ValueError, OSError) as exc:
            raise BackendUnavailableError(f"could not start the MediaPipe hand graph: {exc}") from exc

    def close(self) -> None:
        """Release the MediaPipe graph (idempotent; a later detect() reopens it)."""
        with self._lock:
            if self._graph is not None:
                with contextlib.suppress(Exception):
                    self._graph.close()
                self._graph = None

    def __enter__(self) -> "HandDetector":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __del__(self) -> None:  # best effort; close() is the real API
        with contextlib.suppress(Exception):
            self.close()

    # -- detection ---------------------------------------------------------
    def _run(self, rgb: np.ndarray, scale: float, offset: tuple[float, float]) -> list[HandLandmarks]:
        """Run the graph on ``rgb``; map to photo pixels: p = (p_rgb - offset) / scale.

        ``offset`` is where the (downscaled) photo's origin lies in ``rgb``.
        """
        if self._graph is None:
            self._open()
        try:
            with filtered_native_stderr():
                res = self._graph.process(np.ascontiguousarray(rgb))
        except (RuntimeError, ValueError) as exc:
            raise DetectionError(f"hand detection failed: {exc}") from exc
        h, w = rgb.shape[:2]
        out: list[HandLandmarks] = []
        lms = res.multi_hand_landmarks or []
        worlds = res.multi_hand_world_landmarks or []
        labels = res.multi_handedness or []
        for lm, wl, lab in zip(lms, worlds, labels):
            px = np.array([[p.x * w, p.y * h] for p in lm.landmark], dtype=np.float64)
            px = (px - np.asarray(offset)) / scale
            world = np.array([[p.x, p.y, p.z] for p in wl.landmark], dtype=np.float64)
            cls = lab.classification[0]
            # MediaPipe labels assume a mirrored selfie image: flip for normal photos.
            handedness = "right" if cls.label.lower() == "left" else "left"
            out.append(HandLandmarks(px, world, handedness, float(np.clip(cls.score, 0.0, 1.0))))
        return out

    def detect(self, photo) -> list[HandLandmarks]:
        """Detect hands in a photo.

        Parameters
        ----------
        photo : Photo or numpy.ndarray
            A :class:`jewelrender.photo.Photo` (its ``srgb`` is used) or an
            (H, W, 3) uint8 sRGB array, orientation already applied.

        Returns
        -------
        list of HandLandmarks
            Possibly empty, largest/clearest first (see :func:`sort_hands`),
            at most ``max_hands``; pixel coordinates refer to ``photo``.
        """
        import cv2  # lazy

        rgb = as_rgb_uint8(photo)
        H, W = rgb.shape[:2]
        scale = min(1.0, MAX_SIDE / max(H, W))
        if scale < 1.0:
            rgb = cv2.resize(rgb, (max(1, round(W * scale)), max(1, round(H * scale))), interpolation=cv2.INTER_AREA)
        h, w = rgb.shape[:2]
        with self._lock:
            hands = self._run(rgb, scale, (0.0, 0.0))
            if not hands and self.retries:
                pad = int(round(0.25 * max(h, w)))
                padded = cv2.copyMakeBorder(rgb, pad, pad, pad, pad, cv2.BORDER_CONSTANT, value=(128, 128, 128))
                hands = self._run(padded, scale, (pad, pad))
        hands = _dedupe(hands)
        return sort_hands(hands)[: self.max_hands]
