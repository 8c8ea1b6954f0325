"""HTTP statuses for errors: the library's typed errors in one table, plus the service's own.

Every error leaves the service as ``{"error": {"code", "message"}}`` (and
``details`` when the library gave some) with the status below.
"""

from __future__ import annotations

from .. import errors as E

__all__ = ["ServiceError", "http_status", "error_body"]

#: Most specific first: the first class an error is an instance of decides its status.
HTTP_STATUS: tuple[tuple[type[E.JewelrenderError], int], ...] = (
    (E.UnsupportedFormatError, 415),
    (E.ImageTooLargeError, 413),
    (E.PhotoError, 400),  # unreadable, too small, not found (a bad sample: name)
    (E.UnknownPieceError, 422),
    (E.InvalidOptionError, 422),
    (E.InputError, 422),  # detection / quality-gate refusals, when met before queueing
    (E.BackendUnavailableError, 503),
    (E.MissingDependencyError, 503),
    (E.JewelrenderError, 500),
)


class ServiceError(Exception):
    """An error of the service itself (auth, queue, lookup), with its HTTP status and headers."""

    def __init__(self, status: int, code: str, message: str, headers: dict | None = None):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = dict(headers or {})


def http_status(exc: E.JewelrenderError) -> int:
    for cls, status in HTTP_STATUS:
        if isinstance(exc, cls):
            return status
    return 500


def error_body(code: str, message: str, details: dict | None = None) -> dict:
    err = {"code": code, "message": message}
    if details:
        err["details"] = details
    return {"error": err}
