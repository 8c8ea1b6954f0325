"""jewelrender: physically based jewelry try-on in the customer's own photo.

The public surface is small and loaded lazily, so ``import jewelrender`` is fast
and needs neither Mitsuba nor MediaPipe until a photo is processed::

    import jewelrender as jr
    result = jr.try_on("hand.jpg", "solitaire-round-1ct-18k-yellow")
    result.save("tryon.png")

    with jr.Renderer() as r:          # many photos in one process
        for path in paths:
            r.try_on(path, "band-court-2mm-18k-yellow").save(...)

    jr.samples.load("hand")           # photos bundled with the package ("sample:hand" anywhere a path goes)
"""

from __future__ import annotations

import importlib

__version__ = "0.1.0"

_LAZY = {
    "try_on": ("pipeline", "try_on"),
    "Renderer": ("pipeline", "Renderer"),
    "TryOnResult": ("pipeline", "TryOnResult"),
    "load_photo": ("photo", "load_photo"),
    "Photo": ("photo", "Photo"),
    "list_pieces": ("catalog", "list_pieces"),
    "get_piece": ("catalog", "get_piece"),
    "estimate_lighting": ("lighting", "estimate_lighting"),
    "detect_hands": ("landmarks", "detect_hands"),
    "errors": ("errors", None),
    "samples": ("samples", None),
}

__all__ = ["__version__", *sorted(_LAZY)]


def __getattr__(name):
    try:
        module, attr = _LAZY[name]
    except KeyError:
        raise AttributeError(f"module 'jewelrender' has no attribute {name!r}") from None
    mod = importlib.import_module(f".{module}", __name__)
    value = mod if attr is None else getattr(mod, attr)
    globals()[name] = value
    return value


def __dir__():
    return sorted(__all__)
