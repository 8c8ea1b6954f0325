"""The FastAPI application: routes, access control, errors, metrics.

Validation happens here, before a job is queued (the piece, the options, the
photo's format and size), so a bad request answers at once with a 4xx; what only
the pipeline can find (no hand, a refused photo) ends the job ``failed`` with the
library's code.
"""


import asyncio
import hashlib
import json
import logging
import re
import secrets
import time
from contextlib import asynccontextmanager

from .. import __version__
from ..errors import InvalidOptionError, JewelrenderError
from ..extras import require
from .errors import ServiceError, error_body, http_status
from .jobs import STATUSES, Job, JobQueue
from .settings import Settings

__all__ = ["create_app"]

log = logging.getLogger("jewelrender.service")

#: Form fields beside ``photo``/``piece``/``webhook_url``, with their parsers (unknown fields are refused).
_OPTION_TYPES = {
    "quality": str, "finger": str, "hand": str, "position": float, "side": str, "metal": str, "finish": str,
    "min_quality": float, "refuse_multiple_hands": "bool", "seed": int,
}
_PREFER_WAIT = re.compile(r"(?:^|[,;\s])wait\s*=\s*(\d+(?:\.\d+)?)", re.I)


def _parse_option(name: str, text: str):
    kind = _OPTION_TYPES[name]
    if kind == "bool":
        low = text.strip().lower()
        if low in ("1", "true", "yes", "on"):
            return True
        if low in ("0", "false", "no", "off", ""):
            return False
        raise InvalidOptionError(f"{name} must be true or false, got {text!r}")
    try:
        return kind(text)
    except ValueError:
        raise InvalidOptionError(f"{name} must be a{'n integer' if kind is int else ' number'}, got {text!r}") from None


def _validate(piece_id: str, options: dict) -> None:
    from ..library import materials
    from ..pipeline import check_options

    check_options(piece_id, quality=options.get("quality", "preview"), min_quality=options.get("min_quality"),
                  finger=options.get("finger"), hand=options.get("hand", "auto"), position=options.get("position"),
                  side=options.get("side"))
    if "metal" in options and options["metal"] not in materials.list_metals():
        raise InvalidOptionError(f"unknown metal {options['metal']!r}; valid: {', '.join(materials.list_metals())}")
    if "finish" in options and options["finish"] not in materials.list_finishes():
        raise InvalidOptionError(f"unknown finish {options['finish']!r}; valid: {', '.join(materials.list_finishes())}")


class _Metrics:
    def __init__(self, queue: JobQueue):
        pc = require("prometheus_client", "the service's /metrics")
        self.pc = pc
        self.registry = pc.CollectorRegistry()
        self.jobs = pc.Counter("jewelrender_jobs", "Try-on jobs finished, by final status", ["status"],
                               registry=self.registry)
        self.rejected = pc.Counter("jewelrender_requests_rejected", "Submissions refused before queueing, by code",
                                   ["code"], registry=self.registry)
        buckets = (0.5, 1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64, 128)
        self.run_s = pc.Histogram("jewelrender_job_run_seconds", "Render time of a job (worker busy)",
                                  ["quality"], buckets=buckets, registry=self.registry)
        self.queue_s = pc.Histogram("jewelrender_job_queue_seconds", "Time a job waited in the queue",
                                    buckets=(0,) + buckets, registry=self.registry)
        self.total_s = pc.Histogram("jewelrender_job_latency_seconds", "Submission to finish",
                                    ["quality"], buckets=buckets, registry=self.registry)
        depth = pc.Gauge("jewelrender_queue_depth", "Jobs waiting", registry=self.registry)
        depth.set_function(lambda: queue.depth)
        running = pc.Gauge("jewelrender_jobs_running", "Jobs rendering now", registry=self.registry)
        running.set_function(lambda: queue.running)
        for s in STATUSES:
            self.jobs.labels(s)  # every status shows from the start, at 0

    def finished(self, job: Job) -> None:
        quality = job.options.get("quality", "preview")
        self.jobs.labels(job.status).inc()
        if job.started_at is not None:
            self.queue_s.observe(job.started_at - job.created_at)
            self.run_s.labels(quality).observe(job.finished_at - job.started_at)
        self.total_s.labels(quality).observe(job.finished_at - job.created_at)


def create_app(settings: Settings | None = None):
    """Build the ASGI app (``uvicorn.run(create_app())``); the worker starts with the app's lifespan."""
    fastapi = require("fastapi", "the web service")
    require("python_multipart", "the web service's photo uploads")
    from fastapi import Request
    from fastapi.exceptions import RequestValidationError
    from fastapi.responses import HTMLResponse, JSONResponse, Response

    from .page import PAGE_HTML
    from .webhooks import WebhookSender

    settings = settings or Settings.from_env()
    webhooks = WebhookSender(settings.webhook_secret) if settings.webhook_secret else None
    state: dict = {}

    def on_finish(job: Job) -> None:
        state["metrics"].finished(job)
        timings = (job.report or {}).get("timings", {})
        log.info(json.dumps({
            "event": "try_on", "id": job.id, "owner": job.owner[:8], "status": job.status, "piece": job.piece,
            "quality": job.options.get("quality", "preview"),
            "error_code": (job.error or {}).get("code"),
            "queue_s": round((job.started_at or job.finished_at) - job.created_at, 3),
            "run_s": round(job.finished_at - job.started_at, 3) if job.started_at else 0.0,
            "render_s": timings.get("render"), "score": ((job.report or {}).get("score") or {}).get("score"),
        }, sort_keys=True))
        if webhooks is not None and job.webhook_url:
            webhooks.send(job.webhook_url, job.id, {"type": f"try_on.{job.status}", "data": job.to_dict()})

    queue = JobQueue(settings, on_finish=on_finish)
    state["metrics"] = _Metrics(queue)

    @asynccontextmanager
    async def lifespan(app):
        queue.start()
        yield
        # Uvicorn has stopped accepting and drained its open requests; finish the running job.
        await asyncio.to_thread(queue.close)
        if webhooks is not None:
            await asyncio.to_thread(webhooks.close)

    app = fastapi.FastAPI(
        title="jewelrender", version=__version__, lifespan=lifespan,
        description="Physically based jewelry try-on on a customer's photo. See docs/service.md.")
    app.state.queue = queue
    app.state.settings = settings

    # -- errors, one shape -------------------------------------------------------------------------
    @app.exception_handler(ServiceError)
    async def _service_error(request, exc: ServiceError):
        return JSONResponse(error_body(exc.code, exc.message), status_code=exc.status, headers=exc.headers)

    @app.exception_handler(JewelrenderError)
    async def _library_error(request, exc: JewelrenderError):
        state["metrics"].rejected.labels(exc.code).inc()
        return JSONResponse(error_body(exc.code, exc.message, exc.details or None), status_code=http_status(exc))

    from starlette.exceptions import HTTPException as StarletteHTTPException

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request, exc):  # unknown routes, wrong methods, malformed multipart bodies
        codes = {400: "BAD_REQUEST", 404: "NOT_FOUND", 405: "METHOD_NOT_ALLOWED", 413: "UPLOAD_TOO_LARGE"}
        return JSONResponse(error_body(codes.get(exc.status_code, f"HTTP_{exc.status_code}"), str(exc.detail)),
                            status_code=exc.status_code, headers=getattr(exc, "headers", None))

    @app.exception_handler(Exception)
    async def _crash(request, exc):  # a bug: still the one error shape, never a traceback to the client
        log.exception("request %s %s crashed", request.method, request.url.path)
        return JSONResponse(error_body("INTERNAL_ERROR", f"{type(exc).__name__}: {exc}"), status_code=500)

    @app.exception_handler(RequestValidationError)
    async def _validation_error(request, exc):
        msg = "; ".join(f"{'.'.join(str(x) for x in e.get('loc', ()))}: {e.get('msg')}" for e in exc.errors())
        return JSONResponse(error_body("INVALID_OPTION", msg), status_code=422)

    # -- access ------------------------------------------------------------------------------------
    key_hashes = [hashlib.sha256(k.encode()).hexdigest() for k in settings.api_keys]

    def owner_of(request: Request) -> str:
        if not key_hashes:
            return "public"
        auth = request.headers.get("authorization", "")
        scheme, _, token = auth.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise ServiceError(401, "UNAUTHORIZED", "send 'Authorization: Bearer <API key>'",
                               {"WWW-Authenticate": "Bearer"})
        given = hashlib.sha256(token.strip().encode()).hexdigest()
        match = None
        for h in key_hashes:  # every key compared, in constant time, whichever matches
            if secrets.compare_digest(h, given):
                match = h
        if match is None:
            raise ServiceError(401, "UNAUTHORIZED", "unknown API key", {"WWW-Authenticate": "Bearer"})
        return match

    # -- health, catalog, page ---------------------------------------------------------------------
    @app.get("/healthz", tags=["health"])
    async def healthz():
        return {"status": "ok", "version": __version__}

    @app.get("/readyz", tags=["health"])
    async def readyz():
        if not queue.ready:
            return JSONResponse({"status": "warming" if queue.warming else "unavailable",
                                 "queue_depth": queue.depth}, status_code=503)
        return {"status": "ready", "queue_depth": queue.depth, "running": queue.running}

    @app.get("/metrics", tags=["health"])
    async def metrics():
        m = state["metrics"]
        return Response(m.pc.generate_latest(m.registry), media_type=m.pc.CONTENT_TYPE_LATEST)

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    async def page():
        return HTMLResponse(PAGE_HTML)

    @app.get("/pieces/{piece_id}/thumbnail.svg", tags=["catalog"])
    async def thumbnail(piece_id: str):
        from .thumbnails import piece_svg

        return Response(piece_svg(piece_id), media_type="image/svg+xml",
                        headers={"Cache-Control": "public, max-age=86400"})

    @app.get("/v1/pieces", tags=["catalog"])
    async def pieces(request: Request):
        owner_of(request)
        from ..library.catalog import list_pieces

        return [dict(p.to_report(), thumbnail_url=f"/pieces/{p.id}/thumbnail.svg") for p in list_pieces()]

    # -- try-ons ------------------------------------------------------------------------------------
    upload_schema = {"requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {
        "type": "object", "required": ["photo", "piece"],
        "properties": {
            "photo": {"description": "JPEG/PNG/WebP file, or the text sample:NAME", "type": "string",
                      "format": "binary"},
            "piece": {"type": "string", "description": "catalog id (GET /v1/pieces)"},
            "quality": {"type": "string", "enum": ["preview", "final"]},
            "finger": {"type": "string", "enum": ["thumb", "index", "middle", "ring", "little"]},
            "hand": {"type": "string", "enum": ["auto", "left", "right"]},
            "position": {"type": "number", "minimum": 0, "maximum": 1},
            "side": {"type": "string", "enum": ["auto", "left", "right", "both"],
                     "description": "an earring's ear, the subject's own (default auto: every visible ear)"},
            "metal": {"type": "string"}, "finish": {"type": "string"},
            "min_quality": {"type": "number"}, "refuse_multiple_hands": {"type": "boolean"},
            "seed": {"type": "integer"},
            "webhook_url": {"type": "string", "format": "uri"},
        }}}}}}

    @app.post("/v1/try-ons", tags=["try-ons"], status_code=202, openapi_extra=upload_schema,
              responses={200: {"description": "finished within Prefer: wait=N"}, 202: {"description": "queued"}})
    async def create_try_on(request: Request):
        owner = owner_of(request)
        length = request.headers.get("content-length")
        if length is None or not length.isdigit():
            # Without a length the multipart parser would spool an unbounded body to disk first.
            raise ServiceError(411, "LENGTH_REQUIRED", "send the upload with a Content-Length header")
        if int(length) > settings.max_upload_bytes:
            raise ServiceError(413, "UPLOAD_TOO_LARGE",
                               f"the request is {int(length) / 1e6:.1f} MB; the limit is "
                               f"{settings.max_upload_bytes / 1e6:.1f} MB: send a smaller JPEG")
        ctype = request.headers.get("content-type", "")
        if not ctype.startswith("multipart/form-data"):
            raise ServiceError(415, "UNSUPPORTED_MEDIA_TYPE", "send the photo as multipart/form-data")
        form = await request.form(max_files=1, max_fields=20)
        try:
            job, created, wait = await _accept(request, form, owner)
        finally:
            await form.close()
        if wait > 0 and not job.finished:
            deadline = time.monotonic() + wait
            while not job.finished and time.monotonic() < deadline:
                await asyncio.sleep(0.05)
        body = job.to_dict(queue.queue_position(job))
        headers = {"Location": f"/v1/try-ons/{job.id}"}
        if not created:
            headers["Idempotent-Replayed"] = "true"
        return JSONResponse(body, status_code=200 if job.finished else 202, headers=headers)

    async def _accept(request, form, owner):
        from starlette.datastructures import UploadFile

        unknown = set(form.keys()) - set(_OPTION_TYPES) - {"photo", "piece", "webhook_url"}
        if unknown:
            raise InvalidOptionError(f"unknown form field(s): {', '.join(sorted(unknown))}; valid: photo, piece, "
                                     f"webhook_url, {', '.join(_OPTION_TYPES)}")
        piece = form.get("piece")
        if not isinstance(piece, str) or not piece:
            raise InvalidOptionError("the form needs a 'piece' field (a catalog id, see GET /v1/pieces)")
        options = {k: _parse_option(k, form[k]) for k in _OPTION_TYPES if isinstance(form.get(k), str)}
        _validate(piece, options)
        webhook_url = form.get("webhook_url") or None
        if webhook_url is not None:
            if not isinstance(webhook_url, str) or not re.match(r"^https?://[^\s]+$", webhook_url):
                raise InvalidOptionError("webhook_url must be an http(s) URL")
            if webhooks is None:
                raise InvalidOptionError("this service has no webhook secret (JEWELRENDER_WEBHOOK_SECRET); "
                                         "poll GET /v1/try-ons/{id} instead")
        photo_field = form.get("photo")
        digest = hashlib.sha256()
        if isinstance(photo_field, UploadFile):
            source = await photo_field.read(settings.max_upload_bytes + 1)
            if len(source) > settings.max_upload_bytes:
                raise ServiceError(413, "UPLOAD_TOO_LARGE",
                                   f"the photo is over {settings.max_upload_bytes / 1e6:.1f} MB: send a smaller JPEG")
            digest.update(source)
        elif isinstance(photo_field, str) and photo_field.startswith("sample:"):
            # Only the library's bundled samples by name: any other text would be a server-side path.
            source = photo_field
            digest.update(photo_field.encode())
        else:
            raise InvalidOptionError("the form needs a 'photo' file (JPEG, PNG or WebP) or the text sample:NAME")
        from ..photo import load_photo

        # Decoding here refuses a bad photo at once (415/413/400) and spares the worker.
        photo = await asyncio.to_thread(load_photo, source, max_pixels=settings.max_pixels)
        digest.update(json.dumps([piece, options, webhook_url], sort_keys=True).encode())

        wait = 0.0
        m = _PREFER_WAIT.search(request.headers.get("prefer", ""))
        if m:
            wait = min(float(m.group(1)), settings.max_wait_s)
        key = request.headers.get("idempotency-key")
        if key is not None and not (1 <= len(key) <= 255):
            raise InvalidOptionError("Idempotency-Key must be 1 to 255 characters")
        job = Job(id=secrets.token_urlsafe(12), owner=owner, piece=piece, options=options, photo=photo,
                  webhook_url=webhook_url)
        try:
            job, created = queue.submit(job, (key, digest.hexdigest()) if key else None)
        except ServiceError as exc:
            state["metrics"].rejected.labels(exc.code).inc()
            raise
        return job, created, wait

    @app.get("/v1/try-ons/{job_id}", tags=["try-ons"])
    async def get_try_on(job_id: str, request: Request):
        job = queue.get(job_id, owner_of(request))
        return job.to_dict(queue.queue_position(job))

    @app.delete("/v1/try-ons/{job_id}", tags=["try-ons"])
    async def cancel_try_on(job_id: str, request: Request):
        job = queue.cancel(job_id, owner_of(request))
        return job.to_dict()

    def _result(job_id: str, request: Request) -> Job:
        job = queue.get(job_id, owner_of(request))
        if job.expired:
            raise ServiceError(410, "RESULT_EXPIRED", "this try-on's images have expired; submit the photo again")
        if job.status != "succeeded":
            raise ServiceError(409, "NOT_READY", f"the try-on is {job.status}; images exist once it has succeeded")
        return job

    @app.get("/v1/try-ons/{job_id}/image", tags=["try-ons"],
             responses={200: {"content": {"image/png": {}, "image/jpeg": {}}}})
    async def get_image(job_id: str, request: Request):
        job = _result(job_id, request)
        accept = request.headers.get("accept", "")
        if "image/jpeg" in accept and "image/png" not in accept:
            jpeg = job.result("image.jpg")
            if jpeg is None:
                jpeg = await asyncio.to_thread(_to_jpeg, _file(job, "image.png"))
                job.keep_result("image.jpg", jpeg)
            return Response(jpeg, media_type="image/jpeg", headers={"Vary": "Accept"})
        return Response(_file(job, "image.png"), media_type="image/png", headers={"Vary": "Accept"})

    @app.get("/v1/try-ons/{job_id}/mask", tags=["try-ons"], responses={200: {"content": {"image/png": {}}}})
    async def get_mask(job_id: str, request: Request):
        return Response(_file(_result(job_id, request), "mask.png"), media_type="image/png")

    return app


def _file(job: Job, name: str) -> bytes:
    data = job.result(name)
    if data is None:  # expired between the status check and the read
        raise ServiceError(410, "RESULT_EXPIRED", "this try-on's images have expired; submit the photo again")
    return data


def _to_jpeg(png: bytes) -> bytes:
    import io

    from PIL import Image

    buf = io.BytesIO()
    Image.open(io.BytesIO(png)).convert("RGB").save(buf, format="JPEG", quality=92)
    return buf.getvalue()
