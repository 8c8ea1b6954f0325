"""BLAS threads while the lighting is estimated.

The estimate's matrix products are small (thousands of rows, 3 to 2048 columns) and it already keeps
two cores busy with its own threads (``photo_fit`` builds the light transport and the photo's detail
while the closed-form fit runs). OpenBLAS's own worker threads then only compete with them and spin
while they wait: on the project's 2-core machine the estimate took ~25 % more CPU with OpenBLAS's
default threads than with one (0.91-1.02 s against 0.74-0.78 s, medians of 6, a loaded machine).
:func:`blas_threads` sets every OpenBLAS the process has loaded (NumPy, SciPy and OpenCV each bundle one)
to ``n`` threads for a block and restores them after; where there is none, or no ``/proc``, it does
nothing.
"""

from __future__ import annotations

import contextlib
import ctypes
import threading

__all__ = ["blas_threads"]

_lock = threading.Lock()
#: (get, set) function names of OpenBLAS builds: NumPy 1.x's 64-bit interface, SciPy's, a plain build.
_NAMES = (("openblas_get_num_threads64_", "openblas_set_num_threads64_"),
          ("scipy_openblas_get_num_threads64_", "scipy_openblas_set_num_threads64_"),
          ("scipy_openblas_get_num_threads", "scipy_openblas_set_num_threads"),
          ("openblas_get_num_threads", "openblas_set_num_threads"))


_found: list[tuple] | None = None


def _openblas() -> list[tuple]:
    """The loaded OpenBLAS libraries' (get, set) thread functions, found once (``/proc/self/maps`` is long
    in a process with LLVM loaded); SciPy and OpenCV, which bundle their own and which the estimate uses,
    are loaded first so that theirs are among them."""
    global _found
    if _found is None:
        import cv2  # noqa: F401
        import scipy.linalg  # noqa: F401

        _found = _scan()
    return _found


def _scan() -> list[tuple]:
    try:
        with open("/proc/self/maps", encoding="utf-8", errors="replace") as f:
            fields = [line.split() for line in f]
        paths = sorted({x[-1] for x in fields if len(x) >= 6 and x[-1].startswith("/")
                        and "openblas" in x[-1].rsplit("/", 1)[-1].lower()})
    except OSError:
        return []
    found = []
    for path in paths:
        try:
            lib = ctypes.CDLL(path)
        except OSError:
            continue
        for get, put in _NAMES:
            if hasattr(lib, get) and hasattr(lib, put):
                found.append((getattr(lib, get), getattr(lib, put)))
                break
    return found


@contextlib.contextmanager
def blas_threads(n: int = 1):
    """OpenBLAS limited to ``n`` threads inside the block (process-wide while it runs)."""
    with _lock:
        libs = _openblas()
        before = [int(get()) for get, _ in libs]
        for _, put in libs:
            put(int(n))
    try:
        yield
    finally:
        with _lock:
            for (_, put), k in zip(libs, before):
                put(k)
