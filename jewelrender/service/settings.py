"""The service's settings, read once from the environment at start-up and checked there."""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from ..errors import InvalidOptionError

__all__ = ["Settings"]


@dataclass(frozen=True)
class Settings:
    """What an operator can tune; every field has an environment variable (see :meth:`from_env`).

    Attributes
    ----------
    api_keys : tuple of str
        Accepted bearer keys; empty means the service is open (a demo on loopback).
    webhook_secret : str or None
        HMAC-SHA256 key for webhook signatures; without one, ``webhook_url`` is refused.
    max_queue : int
        Jobs waiting (not counting the running one) before submissions get 429.
    max_upload_bytes : int
        Largest accepted request body (the photo and the form), checked before reading it.
    max_pixels : int
        Largest accepted photo, width x height, checked from the image header.
    result_ttl_s : float
        How long a finished job's images and report are kept.
    idempotency_ttl_s : float
        How long an ``Idempotency-Key`` maps to its job (24 h).
    max_wait_s : float
        Cap on ``Prefer: wait=N``.
    results_dir : str or None
        Where finished jobs' images wait until ``result_ttl_s`` (a private temporary folder when None).
    """

    api_keys: tuple[str, ...] = ()
    webhook_secret: str | None = None
    max_queue: int = 16
    max_upload_bytes: int = 15_000_000
    max_pixels: int = 24_000_000
    result_ttl_s: float = 3600.0
    idempotency_ttl_s: float = 24 * 3600.0
    max_wait_s: float = 60.0
    results_dir: str | None = None
    env: dict = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_env(cls, environ=None) -> "Settings":
        """``JEWELRENDER_API_KEYS`` (comma-separated), ``JEWELRENDER_WEBHOOK_SECRET``,
        ``JEWELRENDER_MAX_QUEUE``, ``JEWELRENDER_MAX_UPLOAD_BYTES``, ``JEWELRENDER_MAX_PIXELS``,
        ``JEWELRENDER_RESULT_TTL_S``, ``JEWELRENDER_IDEMPOTENCY_TTL_S``, ``JEWELRENDER_MAX_WAIT_S``,
        ``JEWELRENDER_RESULTS_DIR``."""
        env = os.environ if environ is None else environ
        keys = tuple(k.strip() for k in env.get("JEWELRENDER_API_KEYS", "").split(",") if k.strip())
        for k in keys:
            if len(k) < 16:
                raise InvalidOptionError("every key in JEWELRENDER_API_KEYS must be at least 16 characters "
                                         "(use e.g. 'python -c \"import secrets; print(secrets.token_urlsafe(24))\"')")
        return cls(
            api_keys=keys,
            webhook_secret=env.get("JEWELRENDER_WEBHOOK_SECRET") or None,
            max_queue=_number(env, "JEWELRENDER_MAX_QUEUE", cls.max_queue, int, 1),
            max_upload_bytes=_number(env, "JEWELRENDER_MAX_UPLOAD_BYTES", cls.max_upload_bytes, int, 1024),
            max_pixels=_number(env, "JEWELRENDER_MAX_PIXELS", cls.max_pixels, int, 10_000),
            result_ttl_s=_number(env, "JEWELRENDER_RESULT_TTL_S", cls.result_ttl_s, float, 1.0),
            idempotency_ttl_s=_number(env, "JEWELRENDER_IDEMPOTENCY_TTL_S", cls.idempotency_ttl_s, float, 1.0),
            max_wait_s=_number(env, "JEWELRENDER_MAX_WAIT_S", cls.max_wait_s, float, 0.0),
            results_dir=env.get("JEWELRENDER_RESULTS_DIR") or None,
        )


def _number(env, name, default, kind, minimum):
    text = env.get(name)
    if text is None or text == "":
        return default
    try:
        value = kind(text)
    except ValueError:
        raise InvalidOptionError(f"{name} must be a{'n integer' if kind is int else ' number'}, got {text!r}") from None
    if value < minimum:
        raise InvalidOptionError(f"{name} must be at least {minimum}, got {text!r}")
    return value
