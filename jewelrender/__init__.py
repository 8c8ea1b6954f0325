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
import importlib.abc
import importlib.util
import sys

__version__ = "0.1.0"

_LAZY = {
    "try_on": ("pipeline", "try_on"),
    "Renderer": ("pipeline", "Renderer"),
    "TryOnResult": ("pipeline", "TryOnResult"),
    "load_photo": ("photo", "load_photo"),
    "Photo": ("photo", "Photo"),
    "list_pieces": ("library.catalog", "list_pieces"),
    "get_piece": ("library.catalog", "get_piece"),
    "estimate_lighting": ("lighting", "estimate_lighting"),
    "detect_hands": ("landmarks", "detect_hands"),
    "errors": ("errors", None),
    "samples": ("samples", None),
}

__all__ = ["__version__", *sorted(_LAZY)]

#: Modules that moved when the package was arranged by stage, body site and library
#: (docs/architecture.md): the old dotted names still import, as the same module
#: objects, with a DeprecationWarning naming the new one. For code written against
#: the old layout; new code uses the new names.
MOVED_MODULES = {
    "placement": "sites.hand", "proxies": "sites.proxies",
    "catalog": "library.catalog", "materials": "library.materials", "optics": "library.optics",
    "media": "library.media",
    "assets": "geometry.assets", "meshio": "geometry.meshio", "cuts": "geometry.cuts", "mounts": "geometry.mounts",
}


class _MovedModules(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Import ``jewelrender.<old>`` as the module it moved to (see :data:`MOVED_MODULES`)."""

    def find_spec(self, fullname, path=None, target=None):
        pkg, _, leaf = fullname.rpartition(".")
        if pkg != __name__ or leaf not in MOVED_MODULES:
            return None
        return importlib.util.spec_from_loader(fullname, self)

    def create_module(self, spec):
        import warnings

        new = f"{__name__}.{MOVED_MODULES[spec.name.rpartition('.')[2]]}"
        warnings.warn(f"{spec.name} moved to {new}", DeprecationWarning, stacklevel=2)
        module = importlib.import_module(new)
        self._real_spec = module.__spec__  # the import system overwrites it with this alias's spec
        return module

    def exec_module(self, module):
        module.__spec__ = self._real_spec


sys.meta_path.append(_MovedModules())


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
