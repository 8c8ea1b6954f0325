"""Pipeline stage 1: load the customer's photo into a known, checked form.

:func:`load_photo` turns a file path, the file's bytes or an ``(H, W, 3)``
uint8 array into a :class:`Photo`: 8-bit sRGB pixels, upright (EXIF orientation
applied), opaque, with the few facts later stages need (35 mm-equivalent focal
length for the camera model, what was done to the colours).

What is accepted, and why the checks are where they are:

* **Bundled samples**: the string ``"sample:NAME"`` loads a sample photo shipped
  with the package (:mod:`jewelrender.samples`), so every caller that takes a
  photo path (CLI, Python, services) takes a sample too.
* **Formats**: JPEG, PNG and WebP, identified from the file's first bytes, never
  from its name: phones and messengers routinely produce JPEG data named
  ``.HEIC`` and WebP named ``.jpg``. Everything else (real HEIC/AVIF, GIF, TIFF,
  BMP, text, ...) raises :class:`~jewelrender.errors.UnsupportedFormatError`.
* **Size** is checked from the header, before any pixel is decoded, so a
  decompression bomb (a tiny file claiming 30000 x 30000 pixels) is refused in
  microseconds and never allocated.
* **Truncated or corrupt** files raise
  :class:`~jewelrender.errors.UnreadableImageError`. Pillow's
  ``ImageFile.LOAD_TRUNCATED_IMAGES`` is deliberately left off: a half-grey photo
  would otherwise reach hand detection and produce a confusing failure later.
* **Colour**: embedded ICC profiles that are not sRGB (Display P3 from iPhones
  and recent Androids, Adobe RGB from cameras, CMYK profiles) are converted to
  sRGB with LittleCMS (Pillow's ImageCms, relative colorimetric intent), so that
  every later stage may assume sRGB. Without ImageCms the pixels are kept as
  they are and :attr:`Photo.color_space` names the real profile.
* **Transparency** (RGBA/LA/P with a transparent index) is composited over
  white: transparent images we receive are product-style cut-outs whose
  intended background is a white page, and the renderer needs an opaque plate.
  The blend is done in linear light, which is what partial coverage of a pixel
  physically means.
"""

from __future__ import annotations

import io
import math
import os
import warnings
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, Union

import numpy as np

from .samples import table as samples
from .color import linear_to_srgb8, srgb8_to_linear
from .errors import (
    ImageTooLargeError,
    ImageTooSmallError,
    InvalidOptionError,
    PhotoNotFoundError,
    UnreadableImageError,
    UnsupportedFormatError,
)

__all__ = [
    "Photo",
    "load_photo",
    "ACCEPTED_FORMATS",
    "DEFAULT_MAX_PIXELS",
    "DEFAULT_MIN_SIDE",
    "MAX_FILE_BYTES",
]

PhotoSource = Union[str, "os.PathLike[str]", bytes, bytearray, memoryview, np.ndarray]

#: Container formats load_photo decodes (Pillow format names).
ACCEPTED_FORMATS = ("JPEG", "PNG", "WEBP")
DEFAULT_MAX_PIXELS = 40_000_000
DEFAULT_MIN_SIDE = 32
#: Files above this are refused before being read (a 40 MP 16-bit RGBA PNG
#: stored uncompressed is ~320 MB; real photos are a few MB).
MAX_FILE_BYTES = 512 * 1024 * 1024

_ACCEPTED_TEXT = "JPEG, PNG or WebP"

_TAG_ORIENTATION = 0x0112
_IFD_EXIF = 0x8769
_TAG_FOCAL_35MM = 41989  # FocalLengthIn35mmFilm, mm (short; 0 = unknown)


@dataclass(frozen=True, eq=False)
class Photo:
    """A decoded, upright, opaque 8-bit sRGB photo.

    Attributes
    ----------
    srgb : np.ndarray of uint8, shape (H, W, 3)
        sRGB-encoded pixels, row 0 at the top of the upright picture (EXIF
        orientation already applied). Read-only.
    source : str
        File path, ``"sample:NAME"`` for a bundled sample, or ``"<bytes>"`` / ``"<array>"``.
    format : str
        ``"JPEG"``, ``"PNG"``, ``"WEBP"`` (from the bytes, not the file name) or
        ``"ARRAY"``.
    exif_orientation : int
        EXIF orientation 1..8 as found in the file (1 when absent or invalid).
    focal_length_35mm : float or None
        35 mm-equivalent focal length in mm from EXIF ``FocalLengthIn35mmFilm``
        (written by phones); None when absent. ``FocalLength`` alone is not
        converted (see ``_read_exif``). Recorded as found:
        :func:`jewelrender.camera.camera_from_photo` decides whether it is
        plausible.
    color_space : str
        What :attr:`srgb` really is: ``"sRGB"`` (declared sRGB, no profile, or
        converted), or the name of an embedded profile that could not be
        converted.
    icc_converted : bool
        True when an embedded non-sRGB ICC profile was converted to sRGB.
    icc_profile_name : str or None
        Description of the embedded ICC profile, if any.
    notes : tuple of str
        Human-readable remarks on what was done (alpha composited, first frame
        of an animation, CMYK converted, ...), for reports.
    jpeg_qtables : tuple of tuple of int, or None
        The JPEG's quantisation tables (64 values each, as Pillow reads them) when
        the photo is a JPEG: the composite re-encodes the ring with them so it
        carries the photo's own compression (:mod:`jewelrender.camera_look`).
    jpeg_subsampling : int or None
        Pillow's chroma subsampling code of that JPEG (0 = 4:4:4, 1 = 4:2:2, 2 = 4:2:0).
    """

    srgb: np.ndarray
    source: str
    format: str
    exif_orientation: int = 1
    focal_length_35mm: float | None = None
    color_space: str = "sRGB"
    icc_converted: bool = False
    icc_profile_name: str | None = None
    notes: tuple[str, ...] = field(default=())
    jpeg_qtables: tuple | None = None
    jpeg_subsampling: int | None = None

    def __post_init__(self) -> None:
        a = self.srgb
        if not (isinstance(a, np.ndarray) and a.dtype == np.uint8 and a.ndim == 3 and a.shape[2] == 3):
            raise InvalidOptionError(
                "Photo.srgb must be an (H, W, 3) uint8 array",
                details={"type": type(a).__name__, "shape": list(getattr(a, "shape", ()))},
            )
        if a.flags.writeable:
            view = a.view()
            view.setflags(write=False)
            object.__setattr__(self, "srgb", view)

    @property
    def width(self) -> int:
        """Width in pixels (columns) of the upright photo."""
        return int(self.srgb.shape[1])

    @property
    def height(self) -> int:
        """Height in pixels (rows) of the upright photo."""
        return int(self.srgb.shape[0])

    @cached_property
    def linear(self) -> np.ndarray:
        """Linear-sRGB float32 pixels, shape (H, W, 3), in [0, 1]. Read-only, computed once."""
        lin = srgb8_to_linear(self.srgb)
        lin.setflags(write=False)
        return lin

    @cached_property
    def peak(self) -> np.ndarray:
        """Each pixel's brightest channel, uint8 (H, W) (where the camera clipped, the photo's white).
        Read-only, computed once; two elementwise maxima, ~15x faster than ``srgb.max(axis=2)``."""
        s = self.srgb
        peak = np.maximum(np.maximum(s[..., 0], s[..., 1]), s[..., 2])
        peak.setflags(write=False)
        return peak

    def to_report(self) -> dict[str, Any]:
        """JSON-able summary (no pixels)."""
        return {
            "source": self.source,
            "format": self.format,
            "width": self.width,
            "height": self.height,
            "exif_orientation": self.exif_orientation,
            "focal_length_35mm": self.focal_length_35mm,
            "color_space": self.color_space,
            "icc_converted": self.icc_converted,
            "icc_profile_name": self.icc_profile_name,
            "notes": list(self.notes),
        }

    def __repr__(self) -> str:
        return (
            f"Photo({self.width}x{self.height}, format={self.format!r}, source={self.source!r}, "
            f"orientation={self.exif_orientation}, focal_35mm={self.focal_length_35mm}, "
            f"color_space={self.color_space!r})"
        )


# --------------------------------------------------------------------------- API


def load_photo(
    source: PhotoSource,
    *,
    max_pixels: int = DEFAULT_MAX_PIXELS,
    min_side: int = DEFAULT_MIN_SIDE,
) -> Photo:
    """Load and check a photo.

    Parameters
    ----------
    source : str, os.PathLike, bytes, bytearray, memoryview or np.ndarray
        A path to a JPEG/PNG/WebP file; the string ``"sample:NAME"``, naming a
        photo bundled with the package (:mod:`jewelrender.samples`); the bytes of
        such a file; or an ``(H, W, 3)`` uint8 array taken as sRGB, already
        upright. Float arrays are refused: we never guess whether floats are
        linear or encoded. The ``sample:`` rule applies to ``str`` only: a file
        that is really named ``sample:x`` is read when given as ``"./sample:x"``
        or as a :class:`pathlib.Path`.
    max_pixels : int
        Largest accepted width x height, checked from the header before
        decoding.
    min_side : int
        Smallest accepted width and height, in pixels.

    Returns
    -------
    Photo

    Raises
    ------
    UnknownSampleError
        ``"sample:NAME"`` with a NAME that is not bundled (the message lists them).
    PhotoNotFoundError
        The path does not exist or is a directory.
    UnreadableImageError
        Empty, truncated or corrupt data.
    UnsupportedFormatError
        Not JPEG, PNG or WebP (whatever the file's name says).
    ImageTooLargeError
        More than ``max_pixels`` pixels (or a file over :data:`MAX_FILE_BYTES`).
    ImageTooSmallError
        Width or height below ``min_side``.
    InvalidOptionError
        A wrong type of ``source`` or an invalid array, or bad limits.
    """
    max_pixels = _check_positive_int("max_pixels", max_pixels)
    min_side = _check_positive_int("min_side", min_side)

    if isinstance(source, np.ndarray):
        return _photo_from_array(source, max_pixels=max_pixels, min_side=min_side)
    if isinstance(source, (bytes, bytearray, memoryview)):
        data = bytes(source)
        name = "<bytes>"
    elif isinstance(source, str) and samples.parse_ref(source) is not None:
        # "sample:NAME" is a bundled sample photo (UNKNOWN_SAMPLE lists the names);
        # a file literally named so is reached as "./sample:NAME" or a Path.
        sample = samples.get(samples.parse_ref(source))
        data = _read_file(sample.path)
        name = sample.ref
    elif isinstance(source, (str, os.PathLike)):
        path = Path(os.fspath(source))
        data = _read_file(path)
        name = str(path)
    else:
        raise InvalidOptionError(
            "a photo must be given as a file path, the file's bytes or an (H, W, 3) uint8 array; "
            f"got {type(source).__name__}",
            details={"type": type(source).__name__},
        )
    return _decode(data, name, max_pixels=max_pixels, min_side=min_side)


# ------------------------------------------------------------------ input checks


def _check_positive_int(name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise InvalidOptionError(f"{name} must be a positive integer, got {value!r}", details={name: repr(value)})
    return int(value)


def _check_size(width: int, height: int, *, max_pixels: int, min_side: int, source: str) -> None:
    details = {"width": int(width), "height": int(height), "source": source}
    if width * height > max_pixels:
        raise ImageTooLargeError(
            f"the photo is {width}x{height} pixels ({width * height / 1e6:.1f} MP); the limit is "
            f"{max_pixels / 1e6:.1f} MP. Please send a smaller photo.",
            details={**details, "max_pixels": max_pixels},
        )
    if min(width, height) < min_side:
        raise ImageTooSmallError(
            f"the photo is only {width}x{height} pixels; both sides must be at least {min_side} pixels.",
            details={**details, "min_side": min_side},
        )


def _photo_from_array(a: np.ndarray, *, max_pixels: int, min_side: int) -> Photo:
    if a.dtype != np.uint8 or a.ndim != 3 or a.shape[2] != 3:
        hint = (
            " Float arrays are refused because it is ambiguous whether they hold linear or sRGB-encoded values;"
            " convert to uint8 sRGB (e.g. jewelrender.color.linear_to_srgb8)."
            if a.dtype.kind == "f"
            else ""
        )
        raise InvalidOptionError(
            f"an array photo must be (H, W, 3) uint8 sRGB; got shape {a.shape} dtype {a.dtype}.{hint}",
            details={"shape": list(a.shape), "dtype": str(a.dtype)},
        )
    h, w = a.shape[:2]
    _check_size(w, h, max_pixels=max_pixels, min_side=min_side, source="<array>")
    own = np.array(a, dtype=np.uint8, order="C", copy=True)  # the caller may keep writing to theirs
    own.setflags(write=False)
    return Photo(srgb=own, source="<array>", format="ARRAY")


def _read_file(path: Path) -> bytes:
    try:
        st = path.stat()
    except FileNotFoundError:
        raise PhotoNotFoundError(f"no photo at {str(path)!r}: the file does not exist", details={"path": str(path)}) from None
    except OSError as e:
        raise UnreadableImageError(
            f"cannot access {str(path)!r}: {e.strerror or e}", details={"path": str(path)}
        ) from None
    if path.is_dir():
        raise PhotoNotFoundError(
            f"{str(path)!r} is a directory, not a photo file", details={"path": str(path)}
        )
    if st.st_size > MAX_FILE_BYTES:
        raise ImageTooLargeError(
            f"the file {str(path)!r} is {st.st_size / 2**20:.0f} MiB; files over "
            f"{MAX_FILE_BYTES / 2**20:.0f} MiB are refused",
            details={"path": str(path), "bytes": int(st.st_size)},
        )
    try:
        with open(path, "rb") as f:
            return f.read(MAX_FILE_BYTES + 1)
    except OSError as e:
        raise UnreadableImageError(f"cannot read {str(path)!r}: {e.strerror or e}", details={"path": str(path)}) from None


# ------------------------------------------------------------- format sniffing

_ISOBMFF_BRANDS = {
    b"heic": "HEIC", b"heix": "HEIC", b"hevc": "HEIC", b"hevx": "HEIC", b"heim": "HEIC",
    b"heis": "HEIC", b"mif1": "HEIF", b"msf1": "HEIF", b"avif": "AVIF", b"avis": "AVIF",
    b"crx ": "Canon CR3 raw",
}


def _sniff(head: bytes) -> str:
    """Container format from the first bytes: an accepted name or a description."""
    if head[:2] == b"\xff\xd8":
        return "JPEG"
    if head[:8] == b"\x89PNG\r\n\x1a\n":
        return "PNG"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "WEBP"
    if head[4:8] == b"ftyp":
        brand = head[8:12]
        return _ISOBMFF_BRANDS.get(brand, f"ISO media ({brand.decode('latin-1').strip()!r})")
    for magic, name in (
        (b"GIF87a", "GIF"), (b"GIF89a", "GIF"), (b"II*\x00", "TIFF"), (b"MM\x00*", "TIFF"),
        (b"BM", "BMP"), (b"8BPS", "Photoshop PSD"), (b"%PDF", "PDF"), (b"\x00\x00\x01\x00", "ICO"),
        (b"\xff\x0a", "JPEG XL"), (b"\x00\x00\x00\x0cJXL ", "JPEG XL"), (b"\x00\x00\x00\x0cjP  ", "JPEG 2000"),
        (b"#?RADIANCE", "Radiance HDR"), (b"\x76\x2f\x31\x01", "OpenEXR"), (b"qoif", "QOI"),
    ):
        if head.startswith(magic):
            return name
    if head.lstrip()[:1] == b"<":
        return "text (HTML/XML/SVG)"
    try:
        head.decode("utf-8")
        return "text"
    except UnicodeDecodeError:
        return "unknown data"


# ---------------------------------------------------------------------- decode


def _decode(data: bytes, source: str, *, max_pixels: int, min_side: int) -> Photo:
    from PIL import Image

    if len(data) == 0:
        raise UnreadableImageError(f"the photo {source!r} is empty (0 bytes)", details={"source": source})
    kind = _sniff(data[:32])
    if kind not in ACCEPTED_FORMATS:
        extra = " (on iPhone: Settings > Camera > Formats > Most Compatible)" if kind in ("HEIC", "HEIF") else ""
        raise UnsupportedFormatError(
            f"the photo {source!r} is {kind}, which is not supported; please send a {_ACCEPTED_TEXT} photo{extra}",
            details={"source": source, "detected": kind, "accepted": list(ACCEPTED_FORMATS)},
        )

    if kind == "WEBP":
        from PIL import features

        if not features.check("webp"):
            raise UnsupportedFormatError(
                f"the photo {source!r} is WebP, but this installation's Pillow was built without WebP; "
                "please send a JPEG or PNG photo",
                details={"source": source, "detected": kind, "accepted": ["JPEG", "PNG"]},
            )

    notes: list[str] = []
    # Our own pixel limit replaces Pillow's global one: its warning (over ~89 MP)
    # is dropped and its error (over ~179 MP) translated. Other decoder warnings
    # (corrupt EXIF, odd chunks) become notes instead of leaking to callers.
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            im = Image.open(io.BytesIO(data), formats=[kind])
        except Image.DecompressionBombError as e:
            raise ImageTooLargeError(
                f"the photo {source!r} declares an enormous size and was refused before decoding ({e})",
                details={"source": source, "max_pixels": max_pixels},
            ) from None
        except Exception as e:  # noqa: BLE001 - UnidentifiedImageError, SyntaxError, ...: all "unreadable"
            raise UnreadableImageError(
                f"the photo {source!r} looks like {kind} but its header is corrupt or truncated",
                details={"source": source, "format": kind, "reason": f"{type(e).__name__}: {e}"},
            ) from None

        with im:
            w, h = im.size
            _check_size(w, h, max_pixels=max_pixels, min_side=min_side, source=source)
            if getattr(im, "n_frames", 1) > 1:
                notes.append(f"animated/multi-frame image ({im.n_frames} frames): the first frame is used")
            try:
                im.load()
            except Image.DecompressionBombError as e:
                raise ImageTooLargeError(
                    f"the photo {source!r} was refused as a decompression bomb ({e})",
                    details={"source": source},
                ) from None
            except Exception as e:  # noqa: BLE001 - Pillow raises OSError, SyntaxError, ValueError, zlib.error, ...
                raise UnreadableImageError(
                    f"the photo {source!r} is truncated or corrupt and cannot be decoded; please send it again",
                    details={"source": source, "format": kind, "reason": f"{type(e).__name__}: {e}"},
                ) from None

            orientation, focal35 = _read_exif(im, notes)
            qtables, subsampling = _read_jpeg_tables(im) if kind == "JPEG" else (None, None)
            try:
                im = _apply_orientation(im, orientation)
                icc = im.info.get("icc_profile") or None
                rgb, alpha, color_space, icc_converted, icc_name = _to_srgb8(im, icc, notes)
            except (UnreadableImageError, UnsupportedFormatError):
                raise
            except Exception as e:  # noqa: BLE001 - keep Pillow's errors inside this module
                raise UnreadableImageError(
                    f"the photo {source!r} could not be converted to RGB",
                    details={"source": source, "format": kind, "reason": f"{type(e).__name__}: {e}"},
                ) from None

    for w in caught:
        if not issubclass(w.category, Image.DecompressionBombWarning):
            msg = f"decoder warning: {w.message}"
            if msg not in notes and len(notes) < 20:
                notes.append(msg)
    if alpha is not None:
        if alpha.min() < 255:
            rgb = _composite_over_white(rgb, alpha)
            notes.append("transparency composited over white (linear-light blend)")
    rgb = np.ascontiguousarray(rgb, dtype=np.uint8)
    rgb.setflags(write=False)
    return Photo(
        srgb=rgb,
        source=source,
        format=kind,
        exif_orientation=orientation,
        focal_length_35mm=focal35,
        color_space=color_space,
        icc_converted=icc_converted,
        icc_profile_name=icc_name,
        notes=tuple(notes),
        jpeg_qtables=qtables,
        jpeg_subsampling=subsampling,
    )


def _read_jpeg_tables(im) -> tuple[tuple | None, int | None]:
    try:
        from PIL import JpegImagePlugin

        q = getattr(im, "quantization", None) or {}
        tables = tuple(tuple(int(v) for v in q[k]) for k in sorted(q)) or None
        sub = JpegImagePlugin.get_sampling(im)
        return tables, (int(sub) if sub in (0, 1, 2) else None)
    except Exception:  # noqa: BLE001 - a JPEG without readable tables is still a photo
        return None, None


def _read_exif(im, notes: list[str]) -> tuple[int, float | None]:
    """(orientation 1..8, EXIF FocalLengthIn35mmFilm in mm or None)."""
    try:
        exif = im.getexif()
        orientation = exif.get(_TAG_ORIENTATION, 1)
        sub = dict(exif.get_ifd(_IFD_EXIF))
    except Exception as e:  # noqa: BLE001 - a broken EXIF block must not cost the photo
        notes.append(f"EXIF block unreadable and ignored ({type(e).__name__})")
        return 1, None
    try:
        orientation = int(orientation)
    except (TypeError, ValueError):
        orientation = 1
    if not 1 <= orientation <= 8:
        notes.append(f"invalid EXIF orientation {orientation!r} ignored")
        orientation = 1

    # Only FocalLengthIn35mmFilm is trusted. Deriving it from FocalLength and
    # FocalPlaneX/YResolution is not reliable: editors resize and crop without
    # updating those tags (a Lightroom export of a 5DS R photo in the shared
    # test data gives 900 mm instead of 88 mm), so such photos use the default.
    f = _as_float(sub.get(_TAG_FOCAL_35MM, exif.get(_TAG_FOCAL_35MM)))
    if f is not None and f > 0:  # 0 means "unknown" in EXIF
        return orientation, f
    return orientation, None


def _as_float(v: Any) -> float | None:
    if isinstance(v, tuple) and len(v) == 2:  # raw (num, den) rationals
        v = v[0] / v[1] if v[1] else None
    try:
        f = float(v)
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    return f if math.isfinite(f) else None


def _apply_orientation(im, orientation: int):
    """Make the image upright; the same transposes as PIL.ImageOps.exif_transpose."""
    from PIL import Image

    method = {
        2: Image.Transpose.FLIP_LEFT_RIGHT,
        3: Image.Transpose.ROTATE_180,
        4: Image.Transpose.FLIP_TOP_BOTTOM,
        5: Image.Transpose.TRANSPOSE,
        6: Image.Transpose.ROTATE_270,
        7: Image.Transpose.TRANSVERSE,
        8: Image.Transpose.ROTATE_90,
    }.get(orientation)
    if method is None:
        return im
    out = im.transpose(method)
    out.info = dict(im.info)  # keep the ICC profile and transparency
    return out


def _to_srgb8(im, icc: bytes | None, notes: list[str]):
    """Pixels as (rgb uint8 (H,W,3), alpha uint8 (H,W) or None) in sRGB.

    Returns (rgb, alpha, color_space, icc_converted, icc_profile_name).
    """
    profile, icc_name, icc_space = _open_profile(icc, notes)
    mode = im.mode
    converted = False

    if mode == "CMYK":
        out = _cms_to_srgb(im, profile, "RGB") if (profile is not None and icc_space == "CMYK") else None
        if out is not None:
            converted = True
            notes.append(f"CMYK converted to sRGB with its ICC profile {icc_name!r}")
        else:
            # Pillow's naive formula; good enough for the rare CMYK photo
            # without a profile (Pillow has already undone Adobe's inversion).
            out = im.convert("RGB")
            notes.append("CMYK converted to RGB without a colour profile (approximate colours)")
        return np.asarray(out), None, "sRGB", converted, icc_name

    rgb, alpha = _to_rgb_alpha(im, notes)

    color_space = "sRGB"
    if profile is not None and icc_space == "RGB" and not _is_srgb_name(icc_name):
        from PIL import Image

        out = _cms_to_srgb(Image.fromarray(rgb, "RGB"), profile, "RGB")
        if out is not None:
            rgb = np.asarray(out)
            converted = True
            notes.append(f"colours converted from the embedded profile {icc_name!r} to sRGB")
        else:
            color_space = icc_name or "unknown RGB profile"
            notes.append(f"embedded profile {icc_name!r} could not be applied; colours kept as stored")
    elif profile is not None and icc_space not in ("RGB",) and not _is_srgb_name(icc_name):
        notes.append(f"embedded {icc_space} profile {icc_name!r} not applied to {mode} pixels; sRGB assumed")
    return rgb, alpha, color_space, converted, icc_name


def _is_srgb_name(name: str | None) -> bool:
    # Profiles that call themselves sRGB ("sRGB IEC61966-2.1", "sRGB built-in",
    # ...) are not converted. A misnamed one costs nothing worse than a
    # near-identity conversion, so the test may be a simple one.
    return bool(name) and "srgb" in name.lower()


def _open_profile(icc: bytes | None, notes: list[str]):
    """(ImageCmsProfile or None, description or None, colour space 'RGB'/'CMYK'/'GRAY'/...)."""
    if not icc:
        return None, None, None
    try:
        from PIL import ImageCms
    except ImportError:  # Pillow built without LittleCMS
        notes.append("embedded ICC profile ignored (Pillow has no ImageCms); colours kept as stored, sRGB assumed")
        return None, None, None
    try:
        prof = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        name = (prof.profile.profile_description or "").strip() or None
        space = (prof.profile.xcolor_space or "").strip()
    except Exception:  # noqa: BLE001 - a malformed profile is ignored, not fatal
        notes.append("embedded ICC profile is malformed and was ignored; sRGB assumed")
        return None, None, None
    return prof, name, space


def _cms_to_srgb(im, profile, out_mode: str):
    """Convert a PIL image from ``profile`` to sRGB, or None when LittleCMS refuses."""
    from PIL import ImageCms

    try:
        srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))
        # Relative colorimetric: in-gamut colours stay exact (skin tones), P3
        # colours outside sRGB are clipped; matrix/TRC phone profiles have no
        # perceptual tables anyway.
        return ImageCms.profileToProfile(
            im, profile, srgb, renderingIntent=ImageCms.Intent.RELATIVE_COLORIMETRIC, outputMode=out_mode
        )
    except Exception:  # noqa: BLE001 - PyCMSError, or a mode LittleCMS cannot take
        return None


def _to_rgb_alpha(im, notes: list[str]) -> tuple[np.ndarray, np.ndarray | None]:
    """Any Pillow mode -> (uint8 (H,W,3), uint8 (H,W) alpha or None)."""
    mode = im.mode
    info = im.info
    if mode in ("I;16", "I;16L", "I;16B", "I;16N", "I"):
        # 16-bit greyscale PNG. Pillow's own convert("L") clips at 255 (every
        # mid-grey above 1/256 turns white), so scale by 255/65535 = 1/257.
        a = np.asarray(im)
        g = np.clip(np.rint(a.astype(np.float64) / 257.0), 0, 255).astype(np.uint8)
        alpha = None
        t = info.get("transparency")
        if isinstance(t, int):
            alpha = np.where(a == t, 0, 255).astype(np.uint8)
        notes.append("16-bit greyscale reduced to 8 bits")
        return np.repeat(g[..., None], 3, axis=2), alpha
    if mode == "F":
        raise UnsupportedFormatError(
            "32-bit float images are not supported; please send a " + _ACCEPTED_TEXT + " photo",
            details={"mode": mode},
        )
    if mode in ("RGBA", "LA", "PA", "RGBa", "La") or "transparency" in info:
        rgba = np.asarray(im.convert("RGBA"))
        return rgba[..., :3], rgba[..., 3]
    if mode == "L":
        g = np.asarray(im)
        return np.repeat(g[..., None], 3, axis=2), None
    if mode != "RGB":
        im = im.convert("RGB")  # 1, P, YCbCr, LAB, HSV, RGBX
    return np.asarray(im), None


def _composite_over_white(rgb: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    """Straight-alpha over a white background, blended in linear light."""
    a = alpha.astype(np.float32)[..., None] / 255.0
    lin = srgb8_to_linear(rgb) * a + (1.0 - a)
    out = linear_to_srgb8(lin)
    # Opaque pixels stay bit-identical (no round-trip rounding at all).
    opaque = alpha == 255
    out[opaque] = rgb[opaque]
    return out
