"""Catalog batches: every photo x piece into a folder, locally or on a Ray cluster.

::

    OUT/<photo-stem>__<piece>.png     one per success
    OUT/results.jsonl                 one line per job: photo, piece, status, error_code, score, timings

A rerun skips what is done: successes whose PNG exists, and refusals of the
input (``InputError`` codes, e.g. ``HAND_NOT_FOUND``), which the same photo
would earn again. Crashes and backend failures are retried.

``engine="ray"`` runs :class:`BatchWorker` as Ray *actors*: each holds one warm
:class:`~jewelrender.pipeline.Renderer` for all its jobs (a plain Ray task's
worker would pay the detector and kernel start-up on every call). The driver
reads the photos and writes the results, so workers on other hosts need
jewelrender installed but no shared file system.
"""

from __future__ import annotations

import json
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from .errors import InputError, InvalidOptionError, JewelrenderError

__all__ = ["BatchJob", "BatchWorker", "plan_jobs", "run_batch", "PHOTO_SUFFIXES"]

PHOTO_SUFFIXES = (".jpg", ".jpeg", ".png", ".webp")
RESULTS = "results.jsonl"


@dataclass(frozen=True)
class BatchJob:
    photo: Path
    piece: str

    @property
    def output(self) -> str:
        return f"{self.photo.stem}__{self.piece}.png"


def plan_jobs(photos_dir, pieces, out_dir) -> tuple[list[BatchJob], list[BatchJob]]:
    """(jobs to run, jobs already done) for every photo x piece; checks the inputs first."""
    from .library.catalog import get_piece

    photos_dir, out_dir = Path(photos_dir), Path(out_dir)
    if not photos_dir.is_dir():
        raise InvalidOptionError(f"--photos must be a folder of photos, got {str(photos_dir)!r}")
    photos = sorted(p for p in photos_dir.iterdir() if p.is_file() and p.suffix.lower() in PHOTO_SUFFIXES)
    if not photos:
        raise InvalidOptionError(f"no photos (.jpg, .png, .webp) in {photos_dir}")
    pieces = list(dict.fromkeys(p.strip() for p in pieces if p.strip()))
    if not pieces:
        raise InvalidOptionError("--pieces needs at least one catalog id (see 'jewelrender pieces')")
    for p in pieces:
        get_piece(p)
    stems = [p.stem for p in photos]
    dupes = sorted({s for s in stems if stems.count(s) > 1})
    if dupes:
        raise InvalidOptionError(f"photos share a name stem, so their outputs would collide: {', '.join(dupes)}")
    done = _done(out_dir)
    todo, skipped = [], []
    for photo in photos:
        for piece in pieces:
            job = BatchJob(photo, piece)
            (skipped if done.get((photo.name, piece)) and _still_done(done[(photo.name, piece)], out_dir)
             else todo).append(job)
    return todo, skipped


def _done(out_dir: Path) -> dict:
    """The last record per (photo, piece) in results.jsonl that needs no rerun."""
    path = out_dir / RESULTS
    last: dict = {}
    if path.is_file():
        for line in path.read_text(encoding="utf-8").splitlines():
            try:
                rec = json.loads(line)
                last[(rec["photo"], rec["piece"])] = rec
            except (ValueError, KeyError, TypeError):
                continue  # a line cut short by a killed run: that job runs again
    return {k: r for k, r in last.items() if r.get("status") == "succeeded" or r.get("final")}


def _still_done(rec: dict, out_dir: Path) -> bool:
    return rec.get("status") != "succeeded" or (out_dir / rec.get("output", "")).is_file()


class BatchWorker:
    """One warm Renderer; ``run`` renders one job from the photo's bytes and returns (record, PNG bytes)."""

    def __init__(self, quality: str = "preview", finger: str | None = None):
        from .pipeline import Renderer

        self.renderer = Renderer()
        self.options = {"quality": quality, "finger": finger}
        self.started = time.time()

    def pid(self) -> int:
        return os.getpid()

    def run(self, photo_name: str, data: bytes, piece: str) -> tuple[dict, bytes | None]:
        import io

        from PIL import Image

        t0 = time.perf_counter()
        rec = {"photo": photo_name, "piece": piece, "output": f"{Path(photo_name).stem}__{piece}.png",
               "worker_pid": os.getpid()}
        try:
            res = self.renderer.try_on(data, piece, **self.options)
        except JewelrenderError as exc:
            rec.update(status="failed", error_code=exc.code, error=exc.message, final=isinstance(exc, InputError),
                       score=None, timings={"total": round(time.perf_counter() - t0, 3)})
            return rec, None
        except Exception as exc:  # a library bug: recorded, retried on the next run
            rec.update(status="failed", error_code="INTERNAL_ERROR", error=f"{type(exc).__name__}: {exc}",
                       final=False, score=None, timings={"total": round(time.perf_counter() - t0, 3)})
            return rec, None
        buf = io.BytesIO()
        Image.fromarray(res.image).save(buf, format="PNG")
        rec.update(status="succeeded", error_code=None, error=None, final=True,
                   score=res.report["score"]["score"], ring_size_us=res.report["placement"].get("ring_size_us"),
                   timings=dict(res.report["timings"], total_with_png=round(time.perf_counter() - t0, 3)))
        return rec, buf.getvalue()


class _Progress:
    """A one-line progress bar on stderr (no dependency; redrawn in place on a terminal)."""

    def __init__(self, total: int, skipped: int, stream=None):
        self.total, self.skipped, self.stream = total, skipped, stream or sys.stderr
        self.done = self.ok = self.failed = 0
        self.t0 = time.monotonic()
        self.draw()

    def update(self, ok: bool) -> None:
        self.done += 1
        self.ok += ok
        self.failed += not ok
        self.draw()

    def draw(self) -> None:
        width = 30
        frac = self.done / self.total if self.total else 1.0
        el = time.monotonic() - self.t0
        eta = el / self.done * (self.total - self.done) if self.done else 0.0
        bar = "#" * int(round(frac * width))
        tty = getattr(self.stream, "isatty", lambda: False)()
        # On a terminal the line is redrawn in place; in a log, one line per job.
        start, end = ("\r", "\n" if self.done == self.total else "") if tty else ("", "\n")
        self.stream.write(f"{start}[{bar:<{width}}] {self.done}/{self.total} ok {self.ok} failed {self.failed} "
                          f"skipped {self.skipped} {el:.0f}s ETA {eta:.0f}s{end}")
        self.stream.flush()


def _publish(out_dir: Path, rec: dict, png: bytes | None, results) -> None:
    if png is not None:
        target = out_dir / rec["output"]
        tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
        tmp.write_bytes(png)
        os.replace(tmp, target)  # never a half-written PNG under the final name
    results.write(json.dumps(rec, sort_keys=True) + "\n")
    results.flush()


def run_batch(photos_dir, pieces, out_dir, *, quality: str = "preview", finger: str | None = None,
              engine: str = "local", ray_address: str | None = None, actors: int | None = None,
              progress_stream=None) -> dict:
    """Render every photo x piece; returns a summary (counts, seconds, engine, actors)."""
    from .library.catalog import QUALITY_NAMES

    if quality not in QUALITY_NAMES:
        raise InvalidOptionError(f"unknown quality {quality!r}; valid: {', '.join(QUALITY_NAMES)}")
    if engine not in ("local", "ray"):
        raise InvalidOptionError(f"--engine must be local or ray, got {engine!r}")
    if actors is not None and actors < 1:
        raise InvalidOptionError(f"--actors must be at least 1, got {actors}")
    if ray_address and engine != "ray":
        raise InvalidOptionError("--ray-address needs --engine ray")
    out_dir = Path(out_dir)
    if not out_dir.parent.is_dir():
        raise InvalidOptionError(f"the folder that would hold --out does not exist: {out_dir.parent}")
    todo, skipped = plan_jobs(photos_dir, pieces, out_dir)
    out_dir.mkdir(exist_ok=True)
    t0 = time.perf_counter()
    bar = _Progress(len(todo), len(skipped), progress_stream)
    counts = {"succeeded": 0, "failed": 0}
    n_actors = 0
    with open(out_dir / RESULTS, "a", encoding="utf-8") as results:
        def take(rec, png):
            _publish(out_dir, rec, png, results)
            counts[rec["status"]] += 1
            bar.update(rec["status"] == "succeeded")

        if todo and engine == "local":
            n_actors = 1
            worker = BatchWorker(quality, finger)
            try:
                for job in todo:
                    take(*worker.run(job.photo.name, job.photo.read_bytes(), job.piece))
            finally:
                worker.renderer.close()
        elif todo:
            n_actors = _run_ray(todo, quality, finger, ray_address, actors, take)
    return {"engine": engine, "actors": n_actors, "jobs": len(todo) + len(skipped), "skipped": len(skipped),
            **counts, "seconds": round(time.perf_counter() - t0, 2), "out": str(out_dir)}


def _run_ray(todo, quality, finger, address, actors, take) -> int:
    from .extras import require

    ray = require("ray", "--engine ray")
    from ray.util import ActorPool

    started_here = not ray.is_initialized()
    if started_here:
        if address:
            ray.init(address=address, log_to_driver=False)
        else:
            n = os.cpu_count() or 1
            # Workers import the same jewelrender as this driver (a checkout, not only an installed wheel).
            pkg_root = str(Path(__file__).resolve().parents[1])
            path = os.pathsep.join(p for p in (pkg_root, os.environ.get("PYTHONPATH")) if p)
            ray.init(num_cpus=max(n, actors or 1), include_dashboard=False, log_to_driver=False,
                     object_store_memory=256 * 1024 * 1024, runtime_env={"env_vars": {"PYTHONPATH": path}})
    try:
        res = ray.cluster_resources()
        gpus, cpus = int(res.get("GPU", 0)), int(res.get("CPU", 1))
        n_actors = actors or (gpus if gpus else max(1, cpus // 2))
        n_actors = min(n_actors, len(todo))
        # One actor per GPU on GPU nodes; on CPUs each actor's Dr.Jit uses every core it is given,
        # so fewer, fatter actors beat one per core.
        actor_cls = ray.remote(num_gpus=1 if gpus else 0, num_cpus=1)(BatchWorker)
        pool = ActorPool([actor_cls.remote(quality, finger) for _ in range(n_actors)])
        jobs = ((j.photo.name, j.photo.read_bytes(), j.piece) for j in todo)
        for rec, png in pool.map_unordered(lambda a, j: a.run.remote(*j), jobs):
            take(rec, png)
        return n_actors
    finally:
        if started_here:
            ray.shutdown()
