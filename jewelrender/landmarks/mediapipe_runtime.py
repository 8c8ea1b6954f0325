"""What every MediaPipe detector shares: the lazy import, the photo's pixels, and quiet native logs."""

from __future__ import annotations

import contextlib
import os
import re
import sys
import tempfile
import threading
from typing import Iterator

import numpy as np

from ..errors import BackendUnavailableError, InvalidOptionError

__all__ = ["as_rgb_uint8", "filtered_native_stderr", "import_mediapipe"]


def import_mediapipe():
    """The ``mediapipe`` module (imported lazily: ~1 s), or a BackendUnavailableError that says what to install."""
    try:
        import mediapipe as mp
    except ImportError as exc:  # pragma: no cover - mediapipe is a hard dependency
        raise BackendUnavailableError(
            f"MediaPipe is not installed or failed to import ({exc}); install mediapipe==0.10.21"
        ) from exc
    return mp


# Native log lines MediaPipe/TFLite/absl print on every graph start; anything
# else written to stderr while MediaPipe runs is passed through.
_NOISE = re.compile(
    r"Created TensorFlow Lite XNNPACK delegate"
    r"|All log messages before absl::InitializeLog"
    r"|inference_feedback_manager\.cc"
    r"|landmark_projection_calculator\.cc"
    r"|gl_context(_egl)?\.cc"
)

# fd 2 is process-wide: serialise the redirection across detectors/threads.
_STDERR_LOCK = threading.Lock()


def _flush_c_stdio() -> None:
    """fflush(NULL): TFLite writes some lines through a buffered C stream."""
    with contextlib.suppress(Exception):
        import ctypes

        ctypes.CDLL(None).fflush(None)


@contextlib.contextmanager
def filtered_native_stderr() -> Iterator[None]:
    """Capture what native code writes to fd 2, drop known noise, re-emit the rest."""
    with _STDERR_LOCK:
        try:
            sys.stderr.flush()
            saved = os.dup(2)
        except (OSError, ValueError):  # no usable fd 2 (embedded interpreters)
            yield
            return
        with tempfile.TemporaryFile() as tmp:
            os.dup2(tmp.fileno(), 2)
            try:
                yield
            finally:
                _flush_c_stdio()
                os.dup2(saved, 2)
                os.close(saved)
                tmp.seek(0)
                text = tmp.read().decode("utf-8", "replace")
                kept = [ln for ln in text.splitlines() if ln.strip() and not _NOISE.search(ln)]
                if kept:
                    sys.stderr.write("\n".join(kept) + "\n")


def as_rgb_uint8(photo) -> np.ndarray:
    """The (H, W, 3) uint8 sRGB array of a Photo (or of an array)."""
    arr = getattr(photo, "srgb", photo)
    arr = np.asarray(arr)
    if arr.ndim != 3 or arr.shape[2] != 3 or arr.dtype != np.uint8:
        raise InvalidOptionError(
            f"expected an (H, W, 3) uint8 sRGB image, got shape {arr.shape} dtype {arr.dtype}",
            details={"shape": list(arr.shape), "dtype": str(arr.dtype)},
        )
    return arr


