"""Writing output files so that nothing half-written is ever seen."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def temp_beside(target: Path, suffix: str) -> str:
    """A new temporary file in ``target``'s folder (same filesystem, so renaming is atomic)."""
    fd, tmp = tempfile.mkstemp(prefix=".jewelrender-", suffix=suffix, dir=str(target.parent or "."))
    os.close(fd)
    return tmp


def publish(tmp: str, target: Path) -> None:
    """Give ``tmp`` the permissions a normal new file gets (mkstemp makes 0600) and rename it into place."""
    current = os.umask(0)
    os.umask(current)
    os.chmod(tmp, 0o666 & ~current)
    os.replace(tmp, target)
