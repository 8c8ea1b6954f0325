"""Try-on jobs: a bounded queue in front of one warm :class:`~jewelrender.pipeline.Renderer`.

Mitsuba's variant and Dr.Jit's state are global to a process, so one worker
thread renders, one job at a time; the HTTP side only validates, enqueues and
reads. Scale out with more processes (or hosts) behind a load balancer, each with
its own queue.

A job's images and report are dropped ``result_ttl_s`` after it finished; its
small record stays until its idempotency key expires, so a late poll says
``expired`` instead of 404. The images wait on disk (:class:`ResultFiles`), not in
the worker's memory.
"""

from __future__ import annotations

import io
import json
import logging
import os
import secrets
import tempfile
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import numpy as np

from ..errors import JewelrenderError
from .errors import ServiceError

__all__ = ["Job", "JobQueue", "ResultFiles", "STATUSES"]

STATUSES = ("queued", "running", "succeeded", "failed", "canceled")
log = logging.getLogger("jewelrender.service")


class ResultFiles:
    """Finished jobs' images, one file each, in ``root`` (``JEWELRENDER_RESULTS_DIR``) or, without one, in
    a private temporary folder removed at shutdown.

    Kept in memory, an hour of results (``result_ttl_s``) at a quiet 2-core worker's ~60 try-ons a minute
    and ~1 MB of PNGs each is ~3.5 GB: the load test's RSS climbed ~0.5 MiB per job. On disk the worker's
    memory stays that of the renderer."""

    def __init__(self, root: str | os.PathLike | None = None):
        self._tmp = None if root else tempfile.TemporaryDirectory(prefix="jewelrender-results-")
        self.root = Path(root) if root else Path(self._tmp.name)
        self.root.mkdir(parents=True, exist_ok=True)

    def _path(self, job_id: str, name: str) -> Path:
        # Job ids are the service's own token_urlsafe strings and names are this module's constants.
        return self.root / f"{job_id}.{name}"

    def write(self, job_id: str, name: str, data: bytes) -> None:
        path = self._path(job_id, name)
        part = path.with_name(path.name + ".part")
        part.write_bytes(data)
        os.replace(part, path)  # a reader sees the whole file or none

    def read(self, job_id: str, name: str) -> bytes | None:
        try:
            return self._path(job_id, name).read_bytes()
        except FileNotFoundError:
            return None

    def drop(self, job_id: str) -> None:
        for path in self.root.glob(f"{job_id}.*"):
            path.unlink(missing_ok=True)

    def close(self) -> None:
        if self._tmp is not None:
            self._tmp.cleanup()


@dataclass
class Job:
    id: str
    owner: str
    piece: str
    options: dict
    photo: Any  # a loaded jewelrender Photo (or a sample: string); dropped once rendered
    webhook_url: str | None = None
    status: str = "queued"
    created_at: float = field(default_factory=time.time)
    started_at: float | None = None
    finished_at: float | None = None
    report: dict | None = None
    error: dict | None = None
    files: ResultFiles | None = field(default=None, repr=False)
    expired: bool = False
    cancel_requested: bool = False
    done: threading.Event = field(default_factory=threading.Event, repr=False)

    @property
    def finished(self) -> bool:
        return self.status in ("succeeded", "failed", "canceled")

    def result(self, name: str) -> bytes | None:
        """A result file (``image.png``, ``mask.png``, ``image.jpg``), None when absent or expired."""
        if self.files is None or self.expired:
            return None
        return self.files.read(self.id, name)

    def keep_result(self, name: str, data: bytes) -> None:
        if self.files is not None and not self.expired:
            self.files.write(self.id, name, data)

    def to_dict(self, queue_position: int | None = None) -> dict:
        ok = self.status == "succeeded" and not self.expired
        d = {
            "id": self.id,
            "status": self.status,
            "piece": self.piece,
            "options": self.options,
            "created_at": _iso(self.created_at),
            "started_at": _iso(self.started_at),
            "finished_at": _iso(self.finished_at),
            "report": self.report,
            "error": self.error,
            "image_url": f"/v1/try-ons/{self.id}/image" if ok else None,
            "mask_url": f"/v1/try-ons/{self.id}/mask" if ok else None,
            "expired": self.expired,
        }
        if queue_position is not None:
            d["queue_position"] = queue_position
        return d


def _iso(t: float | None) -> str | None:
    if t is None:
        return None
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t)) + f".{int((t % 1) * 1000):03d}Z"


def _png(arr: np.ndarray) -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(arr).save(buf, format="PNG", compress_level=3)  # level 3: ~4x faster than 9, a little larger
    return buf.getvalue()


class JobQueue:
    """A bounded FIFO and the worker thread that drains it with a warm Renderer.

    Parameters
    ----------
    settings : Settings
    renderer_factory : callable
        Makes the Renderer (the real one; a parameter so the batch runner and the
        service share this class's shape, not to mock it).
    on_finish : callable(Job), optional
        Called on the worker thread after each job ends (metrics, log, webhook).
    """

    def __init__(self, settings, renderer_factory: Callable | None = None,
                 on_finish: Callable[[Job], None] | None = None, on_start: Callable[[Job], None] | None = None):
        self.settings = settings
        self._factory = renderer_factory
        self._on_finish = on_finish
        self._on_start = on_start
        self.files = ResultFiles(getattr(settings, "results_dir", None))
        self._jobs: dict[str, Job] = {}
        self._pending: deque[Job] = deque()
        self._idem: dict[tuple[str, str], tuple[str, str, float]] = {}
        self._cond = threading.Condition()
        self._closing = False
        self._running: Job | None = None
        self._ready = threading.Event()
        self._warm_error: JewelrenderError | None = None
        self._thread = threading.Thread(target=self._work, name="jewelrender-worker", daemon=True)
        self.renderer = None
        self.mean_run_s = 5.0  # a first guess for Retry-After, replaced by a running mean

    # -- life cycle -----------------------------------------------------------------------------------
    def start(self) -> None:
        self._thread.start()

    @property
    def warming(self) -> bool:
        return not self._ready.is_set()

    @property
    def ready(self) -> bool:
        return self._ready.is_set() and self._warm_error is None and not self._closing

    def close(self, timeout: float | None = None) -> None:
        """Stop taking jobs, cancel those still queued, let the running one finish."""
        with self._cond:
            self._closing = True
            while self._pending:
                job = self._pending.popleft()
                self._finish(job, "canceled", error={"code": "SHUTTING_DOWN",
                                                     "message": "the service is shutting down; submit again"})
            self._cond.notify_all()
        self._thread.join(timeout)
        if self.renderer is not None:
            self.renderer.close()
        self.files.close()

    def _warm(self) -> None:
        from .. import backend
        from ..pipeline import Renderer

        self.renderer = (self._factory or Renderer)()
        self.renderer.detector  # loads MediaPipe's graph now, not on the first customer
        backend.select()
        # Import the render stages' modules (Mitsuba plugins, SciPy) ahead of the first job.
        from .. import composite, lighting, quality, render, scene  # noqa: F401

    # -- the HTTP side ------------------------------------------------------------------------------
    def submit(self, job: Job, idempotency: tuple[str, str] | None = None) -> tuple[Job, bool]:
        """Queue ``job``; returns (the job, created). With an idempotency (key, fingerprint) already
        seen, returns the earlier job instead; the same key with another body is an error."""
        now = time.time()
        with self._cond:
            self._expire(now)
            if idempotency is not None:
                key, fingerprint = idempotency
                seen = self._idem.get((job.owner, key))
                if seen is not None:
                    fp, job_id, _ = seen
                    if fp != fingerprint:
                        raise ServiceError(422, "IDEMPOTENCY_KEY_REUSED",
                                           "this Idempotency-Key was used with a different request in the last "
                                           "24 h; use a new key for a new try-on")
                    return self._jobs[job_id], False
            if self._closing:
                raise ServiceError(503, "SHUTTING_DOWN", "the service is shutting down; retry on another instance",
                                   {"Retry-After": "5"})
            if len(self._pending) >= self.settings.max_queue:
                wait = (len(self._pending) + 1) * self.mean_run_s
                raise ServiceError(429, "QUEUE_FULL",
                                   f"{len(self._pending)} try-ons are waiting; retry in about {wait:.0f} s",
                                   {"Retry-After": str(max(1, int(round(wait))))})
            self._jobs[job.id] = job
            if idempotency is not None:
                self._idem[(job.owner, idempotency[0])] = (idempotency[1], job.id,
                                                           now + self.settings.idempotency_ttl_s)
            self._pending.append(job)
            self._cond.notify_all()
            return job, True

    def get(self, job_id: str, owner: str) -> Job:
        with self._cond:
            self._expire(time.time())
            job = self._jobs.get(job_id)
        # Another key's job is reported exactly like a missing one.
        if job is None or not secrets.compare_digest(job.owner, owner):
            raise ServiceError(404, "NOT_FOUND", f"no try-on {job_id!r} for this API key")
        return job

    def queue_position(self, job: Job) -> int | None:
        with self._cond:
            try:
                return self._pending.index(job) + 1
            except ValueError:
                return None

    def cancel(self, job_id: str, owner: str) -> Job:
        job = self.get(job_id, owner)
        with self._cond:
            if job.status == "queued":
                self._pending.remove(job)
                self._finish(job, "canceled")
            elif job.status == "running":
                # A render cannot be interrupted; its result is thrown away when it ends.
                job.cancel_requested = True
        return job

    @property
    def depth(self) -> int:
        return len(self._pending)

    @property
    def running(self) -> int:
        return 1 if self._running is not None else 0

    def counts(self) -> dict[str, int]:
        with self._cond:
            out = dict.fromkeys(STATUSES, 0)
            for j in self._jobs.values():
                out[j.status] += 1
            return out

    # -- the worker ---------------------------------------------------------------------------------
    def _work(self) -> None:
        try:
            self._warm()
        except JewelrenderError as exc:
            self._warm_error = exc
            log.error(json.dumps({"event": "warm_failed", "error": exc.to_dict()}))
        finally:
            self._ready.set()
        while True:
            with self._cond:
                while not self._pending and not self._closing:
                    self._cond.wait()
                if not self._pending:
                    return  # closing and drained
                job = self._pending.popleft()
                job.status = "running"
                job.started_at = time.time()
                self._running = job
            if self._on_start:
                self._on_start(job)
            self._run(job)
            with self._cond:
                self._running = None

    def _run(self, job: Job) -> None:
        if self._warm_error is not None:
            self._finish(job, "failed", error={"code": self._warm_error.code, "message": self._warm_error.message})
            return
        try:
            res = self.renderer.try_on(job.photo, job.piece, **job.options)
            image_png, mask_png = _png(res.image), _png(np.round(np.clip(res.mask, 0, 1) * 255).astype(np.uint8))
        except JewelrenderError as exc:
            self._finish(job, "failed", error={"code": exc.code, "message": exc.message,
                                                "details": exc.details or None})
            return
        except Exception as exc:  # a bug in the library: the job fails, the worker lives on
            log.exception("try-on %s crashed", job.id)
            self._finish(job, "failed", error={"code": "INTERNAL_ERROR", "message": f"{type(exc).__name__}: {exc}"})
            return
        run_s = time.time() - job.started_at
        self.mean_run_s = 0.8 * self.mean_run_s + 0.2 * run_s
        if job.cancel_requested:
            self._finish(job, "canceled")
            return
        job.files = self.files
        self.files.write(job.id, "image.png", image_png)
        self.files.write(job.id, "mask.png", mask_png)
        job.report = res.report
        self._finish(job, "succeeded")

    def _finish(self, job: Job, status: str, error: dict | None = None) -> None:
        if error is not None:
            error = {k: v for k, v in error.items() if v is not None}
        job.status, job.error = status, error
        job.finished_at = time.time()
        job.photo = None  # the customer's photo is not kept past its job
        job.done.set()
        if self._on_finish:
            try:
                self._on_finish(job)
            except Exception:  # metrics or a webhook must never take the worker down
                log.exception("on_finish failed for %s", job.id)

    def _expire(self, now: float) -> None:
        """Drop results past their time and records past their idempotency window (caller holds the lock)."""
        ttl, keep = self.settings.result_ttl_s, max(self.settings.result_ttl_s, self.settings.idempotency_ttl_s)
        for jid, job in list(self._jobs.items()):
            if job.finished_at is None:
                continue
            age = now - job.finished_at
            if age > keep:
                del self._jobs[jid]
                self.files.drop(jid)
            elif age > ttl and not job.expired:
                job.expired = True
                self.files.drop(jid)
                job.report = None
        for k, (_, jid, until) in list(self._idem.items()):
            if until < now or jid not in self._jobs:
                del self._idem[k]
