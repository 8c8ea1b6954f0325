"""The reference web service: ``jewelrender serve`` (FastAPI + uvicorn, the ``service`` extra).

See docs/service.md for the API. :func:`create_app` builds the ASGI app;
:func:`serve` runs it with uvicorn and one JSON log line per job on stderr.
"""

from __future__ import annotations

__all__ = ["create_app", "serve"]


def create_app(settings=None):
    from .app import create_app as _create

    return _create(settings)


def serve(host: str = "127.0.0.1", port: int = 8000, settings=None) -> None:
    """Run the service until SIGINT/SIGTERM; the running job finishes before the process exits."""
    import logging
    import signal
    import sys

    from ..extras import require

    uvicorn = require("uvicorn", "the web service")
    app = create_app(settings)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(message)s"))
    log = logging.getLogger("jewelrender.service")
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    log.propagate = False
    # Uvicorn re-raises the signal it caught once it has shut down, to the handler that was there before
    # it; a no-op one makes a graceful shutdown exit 0 instead of dying by SIGTERM.
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: None)
    # Open requests (a Prefer: wait) get up to the longest wait to finish after a SIGTERM.
    uvicorn.run(app, host=host, port=port, log_level="warning", access_log=False,
                timeout_graceful_shutdown=int(app.state.settings.max_wait_s) + 5)
