"""The one exception hierarchy of jewelrender.

Every error the library raises on purpose is a :class:`JewelrenderError`. Each
class carries a stable machine-readable ``code`` (what a web service returns and
what the CLI prints as ``error: CODE: message``), a human ``message`` that tells
the customer what to do, and optional structured ``details``.

::

    JewelrenderError                      code
    ├── InputError                        INVALID_INPUT        the caller's input is at fault (HTTP 4xx)
    │   ├── PhotoError                    INVALID_PHOTO
    │   │   ├── PhotoNotFoundError        FILE_NOT_FOUND       path missing or a directory
    │   │   ├── UnreadableImageError      UNREADABLE_IMAGE     empty, truncated or corrupt file
    │   │   ├── UnsupportedFormatError    UNSUPPORTED_FORMAT   not JPEG/PNG/WebP (HEIC, text, ...)
    │   │   ├── ImageTooLargeError        IMAGE_TOO_LARGE      over the pixel limit (decompression bombs)
    │   │   └── ImageTooSmallError        IMAGE_TOO_SMALL      too few pixels to place anything
    │   ├── DetectionError                DETECTION_FAILED
    │   │   ├── HandNotFoundError         HAND_NOT_FOUND       no hand in the photo
    │   │   ├── FingerNotVisibleError     FINGER_NOT_VISIBLE   the requested finger cannot be used
    │   │   ├── WristNotVisibleError      WRIST_NOT_VISIBLE    no wrist with forearm beyond it in the photo
    │   │   ├── WristCoveredError         WRIST_COVERED        a sleeve, cuff or worn watch covers the wrist
    │   │   ├── FaceNotFoundError         FACE_NOT_FOUND       no face in the photo (a neck or ear piece needs one)
    │   │   ├── EarNotVisibleError        EAR_NOT_VISIBLE      the ear asked for is turned away, out of frame or under hair
    │   │   ├── NeckNotVisibleError       NECK_NOT_VISIBLE     the neck or the shoulders are not in the photo
    │   │   └── ProductNotFoundError      PRODUCT_NOT_FOUND    no piece on a plain backdrop in a product photo (match-material)
    │   ├── PhotoQualityError             POOR_PHOTO           readable, but unusable for a try-on (quality gate)
    │   │   ├── PhotoTooDarkError         PHOTO_TOO_DARK       the photo or the hand's skin is too dark
    │   │   ├── PhotoOverexposedError     PHOTO_OVEREXPOSED    the skin is blown out (clipped highlights)
    │   │   ├── PhotoColorCastError       PHOTO_COLOR_CAST     black-and-white, or a strong colour cast on the skin
    │   │   ├── PhotoBlurryError          PHOTO_BLURRY         the hand is out of focus or motion-blurred
    │   │   ├── HandTooSmallError         HAND_TOO_SMALL       the hand is too small in the photo
    │   │   ├── HandCutOffError           HAND_CUT_OFF         the finger's base runs out of the frame
    │   │   ├── TooManyHandsError         TOO_MANY_HANDS       several hands, and the caller asked to refuse that
    │   │   ├── FingerCoveredError        FINGER_COVERED       the finger is not bare skin (glove, sleeve, bandage)
    │   │   ├── FingerCurledError         FINGER_CURLED        the finger is curled (fist, thumbs gesture): a band would float
    │   │   ├── NeckCoveredError          NECK_COVERED         clothes, a scarf or hair cover where a necklace lies
    │   │   └── HeadTurnedError           HEAD_TURNED          the head is turned or tilted past what the neck model handles
    │   ├── LowQualityError               LOW_QUALITY          the rendered try-on scored below min_quality
    │   ├── UnknownPieceError             UNKNOWN_PIECE        no such catalog id
    │   ├── UnknownSampleError            UNKNOWN_SAMPLE       no bundled sample photo of that name ("sample:NAME")
    │   ├── InvalidOptionError            INVALID_OPTION       an option out of range or of a wrong type
    │   └── MeshError                     INVALID_MESH         a user's mesh file is unreadable or cannot be made closed
    │       ├── MeshNotClosedError        MESH_NOT_CLOSED      holes or non-manifold edges that repair cannot close
    │       ├── PartUnassignedError       PART_UNASSIGNED      a whole piece's part has no material (name, glTF, sidecar)
    │       └── PieceNotARingError        PIECE_NOT_A_RING     a whole piece has no band to fit on a finger
    ├── MissingDependencyError            MISSING_DEPENDENCY   an optional extra (gltf, notebooks, service, batch) is missing
    ├── CatalogError                      CATALOG_ERROR        a shipped/user catalog or material file is malformed
    ├── BackendUnavailableError           BACKEND_UNAVAILABLE  no usable Mitsuba variant (libLLVM >= 16 / CUDA)
    └── RenderError                       RENDER_FAILED        the renderer failed on valid input (a bug: report it)

Backend exceptions (Mitsuba ``RuntimeError``, MediaPipe ``ValueError``, Pillow
``OSError``) are translated at the module boundary that calls them and never
leak out raw.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "JewelrenderError",
    "InputError",
    "PhotoError",
    "PhotoNotFoundError",
    "UnreadableImageError",
    "UnsupportedFormatError",
    "ImageTooLargeError",
    "ImageTooSmallError",
    "DetectionError",
    "HandNotFoundError",
    "FingerNotVisibleError",
    "WristNotVisibleError",
    "WristCoveredError",
    "FaceNotFoundError",
    "EarNotVisibleError",
    "NeckNotVisibleError",
    "ProductNotFoundError",
    "PhotoQualityError",
    "PhotoTooDarkError",
    "PhotoOverexposedError",
    "PhotoColorCastError",
    "PhotoBlurryError",
    "HandTooSmallError",
    "HandCutOffError",
    "TooManyHandsError",
    "FingerCoveredError",
    "FingerCurledError",
    "NeckCoveredError",
    "HeadTurnedError",
    "LowQualityError",
    "UnknownPieceError",
    "UnknownSampleError",
    "InvalidOptionError",
    "MeshError",
    "MeshNotClosedError",
    "PartUnassignedError",
    "PieceNotARingError",
    "MissingDependencyError",
    "CatalogError",
    "BackendUnavailableError",
    "RenderError",
]


class JewelrenderError(Exception):
    """Base class of every error jewelrender raises on purpose.

    Parameters
    ----------
    message : str
        What went wrong and, where the customer can act, what to do.
    details : dict, optional
        Structured, JSON-able facts (sizes, names, valid choices).
    """

    code: str = "JEWELRENDER_ERROR"

    def __init__(self, message: str, *, details: dict[str, Any] | None = None):
        super().__init__(message)
        self.message = message
        self.details = dict(details or {})

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form, for reports and web services."""
        return {"code": self.code, "message": self.message, "details": self.details}

    def __str__(self) -> str:
        return self.message


class InputError(JewelrenderError):
    """The caller's input is at fault; retrying with the same input fails again."""

    code = "INVALID_INPUT"


class PhotoError(InputError):
    code = "INVALID_PHOTO"


class PhotoNotFoundError(PhotoError):
    code = "FILE_NOT_FOUND"


class UnreadableImageError(PhotoError):
    code = "UNREADABLE_IMAGE"


class UnsupportedFormatError(PhotoError):
    code = "UNSUPPORTED_FORMAT"


class ImageTooLargeError(PhotoError):
    code = "IMAGE_TOO_LARGE"


class ImageTooSmallError(PhotoError):
    code = "IMAGE_TOO_SMALL"


class DetectionError(InputError):
    code = "DETECTION_FAILED"


class HandNotFoundError(DetectionError):
    code = "HAND_NOT_FOUND"


class FingerNotVisibleError(DetectionError):
    code = "FINGER_NOT_VISIBLE"


class WristNotVisibleError(DetectionError):
    """A wrist piece was asked for, but the wrist (landmark 0) or the forearm beyond it is not in the photo."""

    code = "WRIST_NOT_VISIBLE"


class WristCoveredError(DetectionError):
    """Something covers the wrist where the piece goes: a sleeve, a cuff, a watch or bracelet already worn."""

    code = "WRIST_COVERED"


class FaceNotFoundError(DetectionError):
    """A neck or ear piece was asked for, but no face was found (both are placed from the face mesh)."""

    code = "FACE_NOT_FOUND"


class EarNotVisibleError(DetectionError):
    """The ear asked for (or every ear) is turned away from the camera, out of the frame or covered by hair."""

    code = "EAR_NOT_VISIBLE"


class NeckNotVisibleError(DetectionError):
    """A neck piece was asked for, but the neck's base or both shoulders are not in the photo."""

    code = "NECK_NOT_VISIBLE"


class ProductNotFoundError(DetectionError):
    """A product photo (``match-material``) shows no piece that stands out from a plain backdrop: the
    border is not one even colour, or nothing (or everything) differs from it, or no metal is left."""

    code = "PRODUCT_NOT_FOUND"


class PhotoQualityError(InputError):
    """The photo was read and a hand found, but it is not good enough to render on (the quality gate).

    ``details`` holds the gate's report (:meth:`jewelrender.quality.GateReport.to_report`).
    """

    code = "POOR_PHOTO"


class PhotoTooDarkError(PhotoQualityError):
    code = "PHOTO_TOO_DARK"


class PhotoOverexposedError(PhotoQualityError):
    code = "PHOTO_OVEREXPOSED"


class PhotoColorCastError(PhotoQualityError):
    code = "PHOTO_COLOR_CAST"


class PhotoBlurryError(PhotoQualityError):
    code = "PHOTO_BLURRY"


class HandTooSmallError(PhotoQualityError):
    code = "HAND_TOO_SMALL"


class HandCutOffError(PhotoQualityError):
    code = "HAND_CUT_OFF"


class TooManyHandsError(PhotoQualityError):
    code = "TOO_MANY_HANDS"


class FingerCoveredError(PhotoQualityError):
    code = "FINGER_COVERED"


class FingerCurledError(PhotoQualityError):
    """The ring's finger is curled (a fist, a thumbs gesture): its base is hidden and a band would float."""

    code = "FINGER_CURLED"


class NeckCoveredError(PhotoQualityError):
    """The neck and upper chest where a necklace lies are covered (turtleneck, scarf, high collar, hair)."""

    code = "NECK_COVERED"


class HeadTurnedError(PhotoQualityError):
    """The head is turned (yaw) or tilted past the neck model's measured limit."""

    code = "HEAD_TURNED"


class LowQualityError(InputError):
    """The rendered try-on's quality score is below the caller's ``min_quality``.

    An input error: the same photo gives the same score again. ``details`` holds
    the score and its parts (:func:`jewelrender.quality.score_output`).
    """

    code = "LOW_QUALITY"


class UnknownPieceError(InputError):
    code = "UNKNOWN_PIECE"


class UnknownSampleError(InputError):
    """``sample:NAME`` (or :func:`jewelrender.samples.get`) names no bundled sample photo.

    ``details["valid"]`` lists the names (``jewelrender samples``).
    """

    code = "UNKNOWN_SAMPLE"


class InvalidOptionError(InputError):
    code = "INVALID_OPTION"


class MeshError(InputError):
    """A user-supplied mesh (OBJ/PLY/STL/glTF) cannot be read or used.

    Covers missing or empty files, unsupported formats, malformed records and
    degenerate geometry; ``details`` names the file and what was wrong.
    """

    code = "INVALID_MESH"


class MeshNotClosedError(MeshError):
    """The mesh still has boundary or non-manifold edges after repair.

    A refracting stone or a metal part must be a closed surface for the path
    tracer to know inside from outside; ``details`` gives the counts of open
    and non-manifold edges left after welding and hole filling.
    """

    code = "MESH_NOT_CLOSED"


class PartUnassignedError(MeshError):
    """A part of a whole piece (glTF/OBJ/...) has no material the renderer knows.

    ``details`` lists the unassigned parts and the valid material names; the
    message says how to assign them (part or material names, or a sidecar TOML).
    """

    code = "PART_UNASSIGNED"


class PieceNotARingError(MeshError):
    """A whole piece has no metal part that goes round an axis (a band), so it cannot be fitted on a finger."""

    code = "PIECE_NOT_A_RING"


class MissingDependencyError(JewelrenderError):
    """An optional extra is needed (``pip install 'jewelrender[EXTRA]'``); ``details['extra']`` names it."""

    code = "MISSING_DEPENDENCY"


class CatalogError(JewelrenderError):
    code = "CATALOG_ERROR"


class BackendUnavailableError(JewelrenderError):
    code = "BACKEND_UNAVAILABLE"


class RenderError(JewelrenderError):
    code = "RENDER_FAILED"
