"""Render backend selection: one Mitsuba variant per process, with an ordered fallback.

Gems need a spectral variant (dispersion), and Python plugins work best with the
JIT variants, so the order is ``cuda_ad_spectral`` (a working NVIDIA GPU) then
``llvm_ad_spectral`` (the CPU through LLVM). The Mitsuba variant is global to the
process: choose it once (:func:`select`), never per request; a web service runs
one variant per worker process.

The CPU variant needs libLLVM >= 16 (drjit 1.5 fails on 14 and 15). drjit looks
for ``libLLVM*.so.*`` itself and may pick an old one when several are installed,
so before drjit is imported we point ``DRJIT_LIBLLVM_PATH`` at the newest one we
find (unless the user set it). ``JEWELRENDER_VARIANT`` forces a variant.
"""

from __future__ import annotations

import glob
import os
import re
import threading

from .errors import BackendUnavailableError

__all__ = ["DEFAULT_VARIANTS", "select", "current", "find_libllvm", "capabilities"]

DEFAULT_VARIANTS: tuple[str, ...] = ("cuda_ad_spectral", "llvm_ad_spectral")
MIN_LLVM = 16

_LLVM_GLOBS = (
    "/usr/lib/x86_64-linux-gnu/libLLVM*.so*",
    "/usr/lib/aarch64-linux-gnu/libLLVM*.so*",
    "/usr/lib/llvm-*/lib/libLLVM*.so*",
    "/usr/lib64/libLLVM*.so*",
    "/usr/local/lib/libLLVM*.so*",
    "/opt/homebrew/opt/llvm/lib/libLLVM.dylib",
)

_lock = threading.Lock()
_selected: str | None = None

LLVM_HINT = (
    "the CPU renderer needs libLLVM >= 16: on Debian/Ubuntu run "
    "'apt-get install -y libllvm19' (or set DRJIT_LIBLLVM_PATH to a libLLVM.so of version 16 or newer)"
)


def _llvm_version_from_name(path: str) -> tuple[int, ...] | None:
    name = os.path.basename(path)
    m = re.search(r"libLLVM-(\d+)", name) or re.search(r"libLLVM\.so\.(\d+)", name)
    if not m:
        m = re.search(r"llvm-(\d+)/", path)
    return (int(m.group(1)),) if m else None


def find_libllvm(min_version: int = MIN_LLVM) -> str | None:
    """Newest installed libLLVM shared library of at least ``min_version``, or None."""
    best: tuple[tuple[int, ...], str] | None = None
    for pattern in _LLVM_GLOBS:
        for path in glob.glob(pattern):
            ver = _llvm_version_from_name(path)
            if ver is None or ver[0] < min_version or not os.path.isfile(path):
                continue
            if best is None or ver > best[0]:
                best = (ver, path)
    return best[1] if best else None


def _prepare_llvm_env() -> None:
    # Must run before drjit initialises its LLVM backend (at import).
    if "DRJIT_LIBLLVM_PATH" in os.environ:
        return
    path = find_libllvm()
    if path:
        os.environ["DRJIT_LIBLLVM_PATH"] = path


def _variant_works(mi, dr, variant: str) -> tuple[bool, str]:
    if variant not in mi.variants():
        return False, f"{variant} is not compiled into this Mitsuba build"
    if variant.startswith("cuda"):
        if not dr.has_backend(dr.JitBackend.CUDA):
            return False, "no CUDA device/driver"
    elif variant.startswith("llvm"):
        if not dr.has_backend(dr.JitBackend.LLVM):
            return False, "LLVM backend inactive (" + LLVM_HINT + ")"
        try:
            ver = tuple(dr.detail.llvm_version())
        except Exception:  # older drjit without the query: trust has_backend
            ver = (MIN_LLVM,)
        if ver[0] < MIN_LLVM:
            return False, f"found libLLVM {'.'.join(map(str, ver))}; " + LLVM_HINT
    return True, ""


def _activate(mi, variant: str) -> None:
    mi.set_variant(variant)
    from . import bsdfs, render  # custom plugins are per variant: register after switching

    bsdfs.register()
    render.register_integrator()


def select(preferred: tuple[str, ...] | list[str] | None = None) -> str:
    """Choose and activate the Mitsuba variant for this process, once.

    Parameters
    ----------
    preferred : sequence of str, optional
        Variants to try in order. Defaults to ``$JEWELRENDER_VARIANT`` when set,
        else :data:`DEFAULT_VARIANTS`.

    Returns
    -------
    str
        The active variant (also in every result's report as ``backend``).

    Raises
    ------
    BackendUnavailableError
        No variant in the list works here; the message says why for each.
    """
    global _selected
    with _lock:
        if _selected is not None and preferred is None:
            import mitsuba as mi

            if mi.variant() != _selected:
                # Someone (a notebook, another library, a test) switched variants:
                # switch back, and re-register our plugins for it.
                _activate(mi, _selected)
            return _selected
        if preferred is None:
            forced = os.environ.get("JEWELRENDER_VARIANT")
            preferred = (forced,) if forced else DEFAULT_VARIANTS
        _prepare_llvm_env()
        import drjit as dr
        import mitsuba as mi

        reasons = {}
        for variant in preferred:
            ok, why = _variant_works(mi, dr, variant)
            if ok:
                try:
                    _activate(mi, variant)
                except (ImportError, AttributeError) as exc:
                    reasons[variant] = f"cannot activate {variant}: {exc}"
                    continue
                _selected = variant
                return variant
            reasons[variant] = why
        raise BackendUnavailableError(
            "no usable render backend: " + "; ".join(f"{k}: {v}" for k, v in reasons.items()),
            details={"tried": list(preferred), "reasons": reasons},
        )


def current() -> str | None:
    """The variant chosen by :func:`select`, or None before the first render."""
    return _selected


def capabilities() -> dict:
    """What this machine offers (for reports and ``jewelrender doctor``-style checks)."""
    _prepare_llvm_env()
    import drjit as dr
    import mitsuba as mi

    info = {
        "mitsuba": mi.__version__,
        "drjit": dr.__version__,
        "cuda": bool(dr.has_backend(dr.JitBackend.CUDA)),
        "llvm": bool(dr.has_backend(dr.JitBackend.LLVM)),
        "libllvm_path": os.environ.get("DRJIT_LIBLLVM_PATH"),
        "selected": _selected,
    }
    try:
        info["llvm_version"] = ".".join(map(str, dr.detail.llvm_version()))
    except Exception:
        info["llvm_version"] = None
    return info
