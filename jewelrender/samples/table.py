"""The bundled samples' table (``samples.toml``): names, files, sites, licences and credits.

Kept apart from :func:`jewelrender.samples.load` so that :mod:`jewelrender.photo` can resolve
``"sample:NAME"`` without importing the loader that imports it.
"""

from __future__ import annotations

import builtins

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from ..errors import CatalogError, InvalidOptionError, UnknownSampleError

__all__ = ["Sample", "SAMPLE_PREFIX", "list", "get", "path", "names", "sites", "for_site",
           "licenses_text", "parse_ref", "LICENSES_FILE"]

#: A photo source string starting with this names a bundled sample (``"sample:hand"``).
SAMPLE_PREFIX = "sample:"

_DIR = Path(__file__).resolve().parent
_TABLE = _DIR / "samples.toml"
#: The generated per-file licence summary shipped beside the images.
LICENSES_FILE = _DIR / "LICENSES"

_FIELDS = ("site", "file", "licence", "licence_url", "source", "blob", "credit", "shows", "people")


@dataclass(frozen=True)
class Sample:
    """One bundled sample photo (a row of ``samples.toml``)."""

    name: str
    site: str
    file: str
    licence: str
    licence_url: str
    source: str
    blob: str
    credit: str
    shows: str
    people: str
    default: bool = False

    @property
    def path(self) -> Path:
        """The image file inside the installed package."""
        return _DIR / self.file

    @property
    def ref(self) -> str:
        """The photo source string naming this sample: ``"sample:NAME"``."""
        return SAMPLE_PREFIX + self.name

    @property
    def share_alike(self) -> bool:
        """True when adaptations (try-ons rendered on it) must be shared under the same licence."""
        return "BY-SA" in self.licence

    @property
    def size(self) -> tuple[int, int]:
        """(width, height) in pixels of the upright image, read from the file's header."""
        return _image_size(self.path)

    @property
    def attribution(self) -> str:
        """The line to show with the photo as shipped (byte-identical to its source)."""
        return f"{self.credit}, unmodified."

    def adapted_attribution(self, change: str = "a piece of jewelry rendered into it by jewelrender") -> str:
        """The line to show under a render made from this photo, with the render's own licence.

        A render on a CC BY-SA photo is adapted material: it says what was
        changed and is itself CC BY-SA 4.0.
        """
        line = f"{self.credit}, modified: {change}."
        if self.share_alike:
            line += f" This image is licensed {self.licence} ({self.licence_url})."
        return line

    def to_report(self) -> dict[str, Any]:
        w, h = self.size
        return {"name": self.name, "ref": self.ref, "site": self.site, "default": self.default, "file": self.file,
                "width": w, "height": h, "licence": self.licence, "licence_url": self.licence_url,
                "source": self.source, "attribution": self.attribution, "shows": self.shows, "people": self.people}


@lru_cache(maxsize=1)
def _table() -> dict[str, Sample]:
    try:
        raw = tomllib.loads(_TABLE.read_text(encoding="utf-8"))["samples"]
    except (OSError, KeyError, tomllib.TOMLDecodeError) as e:
        raise CatalogError(f"the bundled sample table {_TABLE} is missing or malformed: {e}") from None
    out: dict[str, Sample] = {}
    for name, row in raw.items():
        missing = [f for f in _FIELDS if not isinstance(row.get(f), str)]
        if missing:
            raise CatalogError(f"sample {name!r} in {_TABLE.name} lacks {', '.join(missing)}")
        out[name] = Sample(name=name, default=bool(row.get("default", False)), **{f: row[f] for f in _FIELDS})
    return out


@lru_cache(maxsize=None)
def _image_size(p: Path) -> tuple[int, int]:
    from PIL import Image

    with Image.open(p) as im:  # the header only; no pixel is decoded
        if im.getexif().get(0x0112, 1) in (5, 6, 7, 8):  # EXIF rotated by 90 degrees: load_photo turns it upright
            return im.height, im.width
        return im.width, im.height


def list() -> builtins.list[Sample]:  # noqa: A001 - the public name the issue asks for: samples.list()
    """Every bundled sample, in table order (the default of each site first)."""
    return builtins.list(_table().values())


def names() -> builtins.list[str]:
    """The valid ``NAME``\\ s of ``sample:NAME``."""
    return builtins.list(_table())


def get(name: str) -> Sample:
    """The sample called ``name``; :class:`UnknownSampleError` (``UNKNOWN_SAMPLE``) lists the valid ones."""
    table = _table()
    if not isinstance(name, str) or name not in table:
        valid = builtins.list(table)
        raise UnknownSampleError(
            f"there is no bundled sample photo called {name!r}; valid: {', '.join(valid)} "
            "(see 'jewelrender samples')",
            details={"name": repr(name) if not isinstance(name, str) else name, "valid": valid},
        )
    return table[name]


def path(name: str) -> Path:
    """The image file of sample ``name``."""
    return get(name).path


def sites() -> builtins.list[str]:
    """Body sites that have a sample, in table order."""
    return builtins.list(dict.fromkeys(s.site for s in _table().values()))


def for_site(site: str) -> Sample:
    """The sample a demo uses for ``site``: the one marked default, else the first listed."""
    rows = [s for s in _table().values() if s.site == site]
    if not rows:
        raise InvalidOptionError(f"no bundled sample photo shows the site {site!r}; sites with samples: "
                                 f"{', '.join(sites())}", details={"site": site, "valid": sites()})
    return next((s for s in rows if s.default), rows[0])


def licenses_text() -> str:
    """The text of the ``LICENSES`` file shipped beside the images, generated from the table."""
    lines = [
        "Licences of the sample photos bundled in jewelrender/samples/",
        "",
        "These image files are NOT under the package's Apache-2.0 licence: each keeps its own licence,",
        "listed below. They are shipped beside the code (aggregation). Each file is a byte-for-byte copy",
        "of a blob in its source repository (`git hash-object FILE` prints the blob id given below).",
        "A try-on rendered on a CC BY-SA 4.0 photo is adapted material: if you publish it, license it",
        "under CC BY-SA 4.0 and show the attribution, saying the photo was modified.",
        "None of these licences grants publicity or privacy rights of the people shown (see 'People').",
        "The evidence for each licence (quoted licence texts, history) is in PROVENANCE.md.",
        "Generated from samples.toml by jewelrender.samples.licenses_text().",
        "",
    ]
    for s in _table().values():
        lines += [
            f"{s.file}  (sample:{s.name}, site {s.site})",
            f"  Licence:     {s.licence} ({s.licence_url})",
            f"  Source:      {s.source}",
            f"  Git blob:    {s.blob}",
            f"  Attribution: {s.attribution}",
            f"  People:      {s.people}",
            "",
        ]
    return "\n".join(lines)


def parse_ref(source: str) -> str | None:
    """``"sample:NAME"`` -> ``NAME``; any other string -> None (load_photo's test at the photo boundary)."""
    return source[len(SAMPLE_PREFIX):] if source.startswith(SAMPLE_PREFIX) else None
