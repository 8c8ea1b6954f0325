"""Optional features' packages, imported on first use with an error that says how to install them.

``import jewelrender`` never pulls FastAPI or Ray; the service and the Ray batch
engine call :func:`require` at the point they need them.
"""

from __future__ import annotations

import importlib
from types import ModuleType

from .errors import MissingDependencyError

__all__ = ["require", "EXTRAS"]

#: Which pip extra brings each optional module.
EXTRAS = {
    "fastapi": "service",
    "uvicorn": "service",
    "python_multipart": "service",
    "prometheus_client": "service",
    "ray": "batch",
}


def require(module: str, purpose: str) -> ModuleType:
    """Import ``module`` or raise :class:`MissingDependencyError` naming the extra to install."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        extra = EXTRAS.get(module.split(".")[0], module)
        raise MissingDependencyError(
            f"{purpose} needs the Python package {module.split('.')[0]!r}, which is not installed: "
            f"pip install 'jewelrender[{extra}]' 'protobuf<5'",
            details={"module": module, "extra": extra, "import_error": str(exc)},
        ) from None
