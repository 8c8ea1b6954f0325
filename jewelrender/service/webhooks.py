"""Signed webhooks: a POST of the finished job to the caller's ``webhook_url``.

Headers (the scheme of the "Standard Webhooks" draft)::

    Webhook-Id: <job id>
    Webhook-Timestamp: <unix seconds>
    Webhook-Signature: v1=<hex HMAC-SHA256(secret, "<id>.<timestamp>." + body)>

A receiver recomputes the signature with :func:`verify` (constant-time) and
refuses timestamps older than a few minutes (replays).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor

__all__ = ["sign", "verify", "WebhookSender"]

log = logging.getLogger("jewelrender.service")


def sign(secret: str, webhook_id: str, timestamp: int, body: bytes) -> str:
    mac = hmac.new(secret.encode(), f"{webhook_id}.{timestamp}.".encode() + body, hashlib.sha256)
    return "v1=" + mac.hexdigest()


def verify(secret: str, headers, body: bytes, tolerance_s: float = 300.0, now: float | None = None) -> bool:
    """True when ``headers`` carry a valid, fresh signature of ``body``."""
    try:
        wid, ts = headers["Webhook-Id"], int(headers["Webhook-Timestamp"])
        given = headers["Webhook-Signature"]
    except (KeyError, ValueError, TypeError):
        return False
    if abs((time.time() if now is None else now) - ts) > tolerance_s:
        return False
    return hmac.compare_digest(sign(secret, wid, ts, body), given)


class WebhookSender:
    """Delivers on two background threads, three attempts each (1 s, 4 s back-off)."""

    def __init__(self, secret: str, attempts: int = 3, timeout_s: float = 5.0):
        self.secret = secret
        self.attempts = attempts
        self.timeout_s = timeout_s
        self._pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="jewelrender-webhook")

    def send(self, url: str, webhook_id: str, payload: dict) -> None:
        self._pool.submit(self._deliver, url, webhook_id, json.dumps(payload, sort_keys=True).encode())

    def _deliver(self, url: str, webhook_id: str, body: bytes) -> None:
        for attempt in range(self.attempts):
            ts = int(time.time())
            req = urllib.request.Request(url, data=body, method="POST", headers={
                "Content-Type": "application/json", "User-Agent": "jewelrender-webhook",
                "Webhook-Id": webhook_id, "Webhook-Timestamp": str(ts),
                "Webhook-Signature": sign(self.secret, webhook_id, ts, body)})
            try:
                with urllib.request.urlopen(req, timeout=self.timeout_s) as resp:
                    if 200 <= resp.status < 300:
                        return
            except (urllib.error.URLError, OSError) as exc:
                log.warning(json.dumps({"event": "webhook_failed", "id": webhook_id, "attempt": attempt + 1,
                                        "error": str(exc)}))
            time.sleep(4 ** attempt)
        log.error(json.dumps({"event": "webhook_gave_up", "id": webhook_id, "url": url}))

    def close(self) -> None:
        self._pool.shutdown(wait=True)
