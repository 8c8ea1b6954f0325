"""Writing output files so that nothing half-written is ever seen."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path

from .errors import InvalidOptionError


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


def write_all(writes: Sequence[tuple[Path, Callable[[str], None]]]) -> None:
    """Write every ``(target, write)`` pair (``write(tmp_path)`` fills a temporary file) or none.

    Each file is written to a temporary name in its folder and renamed into place
    only after all of them were written, so a failure leaves nothing half-written.
    Raises :class:`InvalidOptionError` for a missing output folder, before writing.
    """
    for target, _ in writes:
        if not target.parent.is_dir():
            raise InvalidOptionError(f"output folder does not exist: {target.parent}")
    temps = []
    try:
        for target, write in writes:
            tmp = temp_beside(target, target.suffix.lower() or ".png")
            temps.append((tmp, target))
            write(tmp)
        for tmp, target in temps:
            publish(tmp, target)
        temps = []
    finally:
        for tmp, _ in temps:
            if os.path.exists(tmp):
                os.unlink(tmp)
