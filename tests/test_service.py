"""The web service, run for real: `python -m jewelrender serve` in a subprocess on a free loopback port.

One server for the module (start-up and the first render are the cost); three
preview renders in all (the main job, the page's, the one shutdown waits for),
the rest are refusals that stop before rendering. The tests run in file order and
the last one shuts the server down.
"""

from __future__ import annotations

import io
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
import pytest

httpx = pytest.importorskip("httpx")
pytest.importorskip("fastapi", reason="the 'service' extra is not installed (scripts/setup.sh installs it)")

REPO = Path(__file__).resolve().parents[1]
KEY1 = "key-one-0123456789abcdef"
KEY2 = "key-two-0123456789abcdef"
SECRET = "webhook-secret-for-tests"
PIECE = "band-court-2mm-18k-yellow"
RESULT_TTL_S = 40
pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class _Receiver:
    """A real HTTP server that records the webhooks it is sent."""

    def __init__(self):
        self.calls: list[tuple[dict, bytes]] = []
        self.arrived = threading.Condition()
        outer = self

        class H(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                with outer.arrived:
                    outer.calls.append((dict(self.headers), body))
                    outer.arrived.notify_all()
                self.send_response(204)
                self.end_headers()

            def log_message(self, *a):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), H)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/hook"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def wait_for(self, job_id: str, timeout: float = 30.0):
        deadline = time.monotonic() + timeout
        with self.arrived:
            while time.monotonic() < deadline:
                for headers, body in self.calls:
                    if headers.get("Webhook-Id") == job_id:
                        return headers, body
                self.arrived.wait(0.5)
        raise AssertionError(f"no webhook for {job_id} within {timeout} s")


@pytest.fixture(scope="module")
def receiver():
    r = _Receiver()
    yield r
    r.httpd.shutdown()


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    port = _free_port()
    log_path = tmp_path_factory.mktemp("service") / "server.log"
    results = tmp_path_factory.mktemp("results")
    env = dict(os.environ, JEWELRENDER_API_KEYS=f"{KEY1},{KEY2}", JEWELRENDER_WEBHOOK_SECRET=SECRET,
               JEWELRENDER_MAX_QUEUE="1", JEWELRENDER_MAX_UPLOAD_BYTES="3000000", JEWELRENDER_MAX_PIXELS="2000000",
               JEWELRENDER_RESULT_TTL_S=str(RESULT_TTL_S), JEWELRENDER_RESULTS_DIR=str(results))
    log = open(log_path, "w")
    proc = subprocess.Popen([sys.executable, "-m", "jewelrender", "serve", "--port", str(port)], cwd=REPO,
                            env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 180
    while True:
        assert proc.poll() is None, f"the server exited: {log_path.read_text()}"
        try:
            if httpx.get(base + "/readyz", timeout=2).status_code == 200:
                break
        except httpx.TransportError:
            pass
        assert time.monotonic() < deadline, "the server did not become ready in 180 s"
        time.sleep(0.5)
    yield {"base": base, "proc": proc, "log": log_path, "port": port, "results": results}
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(120)
        except subprocess.TimeoutExpired:
            proc.kill()
    log.close()


def _h(key=KEY1, **extra):
    return {"Authorization": f"Bearer {key}", **extra}


@pytest.fixture(scope="module")
def photo_bytes(data_dir) -> bytes:
    return (data_dir / "photos" / "hands" / "ringtryon_assets_7.jpg").read_bytes()


def _post(server, photo, key=KEY1, headers=None, **fields):
    """A multipart POST /v1/try-ons; ``photo`` is file bytes, a text field, or None (left out)."""
    parts = [(k, (None, str(v).encode())) for k, v in fields.items()]
    if isinstance(photo, bytes):
        parts.append(("photo", ("hand.jpg", photo, "image/jpeg")))
    elif photo is not None:
        parts.append(("photo", (None, photo.encode())))
    return httpx.post(server["base"] + "/v1/try-ons", files=parts, headers=_h(key, **(headers or {})), timeout=300)


def _wait_status(server, job_id, wanted, key=KEY1, timeout=240):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = httpx.get(f"{server['base']}/v1/try-ons/{job_id}", headers=_h(key), timeout=10).json()
        if job["status"] in wanted:
            return job
        time.sleep(0.2)
    raise AssertionError(f"job {job_id} never reached {wanted}")


def test_settings_are_checked_at_start():
    from jewelrender.errors import InvalidOptionError
    from jewelrender.service.settings import Settings

    s = Settings.from_env({"JEWELRENDER_API_KEYS": f" {KEY1}, ,{KEY2} ", "JEWELRENDER_MAX_QUEUE": "3"})
    assert s.api_keys == (KEY1, KEY2) and s.max_queue == 3 and s.webhook_secret is None
    with pytest.raises(InvalidOptionError, match="at least 16 characters"):
        Settings.from_env({"JEWELRENDER_API_KEYS": "short"})
    with pytest.raises(InvalidOptionError, match="JEWELRENDER_MAX_QUEUE must be at least 1"):
        Settings.from_env({"JEWELRENDER_MAX_QUEUE": "0"})
    with pytest.raises(InvalidOptionError, match="must be a number"):
        Settings.from_env({"JEWELRENDER_RESULT_TTL_S": "an hour"})


def test_health_docs_and_access(server):
    base = server["base"]
    assert httpx.get(base + "/healthz").json()["status"] == "ok"
    assert httpx.get(base + "/readyz").json()["status"] == "ready"
    assert "swagger" in httpx.get(base + "/docs").text.lower()
    spec = httpx.get(base + "/openapi.json").json()
    assert {"/v1/try-ons", "/v1/try-ons/{job_id}", "/v1/pieces"} <= set(spec["paths"])
    r = httpx.get(base + "/v1/pieces")
    assert r.status_code == 401 and r.headers["www-authenticate"] == "Bearer"
    assert r.json()["error"]["code"] == "UNAUTHORIZED"
    assert httpx.get(base + "/v1/pieces", headers=_h("key-three-0123456789abcd")).status_code == 401
    r = httpx.get(base + "/v1/no-such-route", headers=_h())
    assert r.status_code == 404 and r.json()["error"]["code"] == "NOT_FOUND"
    from jewelrender import list_pieces

    got = httpx.get(base + "/v1/pieces", headers=_h(KEY2)).json()
    assert [p["id"] for p in got] == [p.id for p in list_pieces()]
    svg = httpx.get(base + got[0]["thumbnail_url"])
    assert svg.headers["content-type"].startswith("image/svg+xml") and "<svg" in svg.text


def test_bad_requests_are_refused_before_queueing(server, photo_bytes):
    from PIL import Image

    def code(r):
        return r.status_code, r.json()["error"]["code"]

    assert code(_post(server, b"just some text\n", piece=PIECE)) == (415, "UNSUPPORTED_FORMAT")
    assert code(_post(server, photo_bytes[: len(photo_bytes) // 3], piece=PIECE)) == (400, "UNREADABLE_IMAGE")
    assert code(_post(server, photo_bytes, piece="no-such-ring")) == (422, "UNKNOWN_PIECE")
    assert code(_post(server, photo_bytes, piece=PIECE, position="2")) == (422, "INVALID_OPTION")
    assert code(_post(server, photo_bytes, piece=PIECE, quality="ultra")) == (422, "INVALID_OPTION")
    assert code(_post(server, photo_bytes, piece=PIECE, colour="red")) == (422, "INVALID_OPTION")
    assert code(_post(server, photo_bytes, piece=PIECE, webhook_url="ftp://example/x")) == (422, "INVALID_OPTION")
    # A path is not a photo: only uploads and the library's sample: names are accepted as text.
    assert code(_post(server, "/etc/passwd", piece=PIECE)) == (422, "INVALID_OPTION")
    assert code(_post(server, None, piece=PIECE)) == (422, "INVALID_OPTION")
    # An unknown sample name is refused at once by the library's loader, before a job exists.
    r = _post(server, "sample:no-such-sample-here", piece=PIECE)
    assert r.status_code in (400, 422) and r.json()["error"]["code"] != "INTERNAL_ERROR"
    buf = io.BytesIO()
    Image.new("RGB", (2000, 1100)).save(buf, format="PNG")  # 2.2 MP over the 2 MP limit, a small file
    assert code(_post(server, buf.getvalue(), piece=PIECE)) == (413, "IMAGE_TOO_LARGE")
    assert code(_post(server, b"\xff" * 3_100_000, piece=PIECE)) == (413, "UPLOAD_TOO_LARGE")
    r = httpx.post(server["base"] + "/v1/try-ons", json={"piece": PIECE}, headers=_h())
    assert code(r) == (415, "UNSUPPORTED_MEDIA_TYPE")
    chunked = httpx.post(server["base"] + "/v1/try-ons", content=iter([b"--x\r\n"]), headers=_h(
        **{"Content-Type": "multipart/form-data; boundary=x"}))
    assert code(chunked) == (411, "LENGTH_REQUIRED")
    metrics = httpx.get(server["base"] + "/metrics").text
    assert 'jewelrender_jobs_total{status="succeeded"} 0.0' in metrics  # nothing was queued
    assert re.search(r'jewelrender_requests_rejected_total\{code="UNSUPPORTED_FORMAT"\} 1\.0', metrics)


@pytest.fixture(scope="module")
def main_job(server, receiver, photo_bytes):
    """Job A (webhook, idempotency key) rendering; B queued behind it fills the queue; C is refused; B canceled."""
    fields = {"piece": PIECE, "quality": "preview", "webhook_url": receiver.url}
    a = _post(server, photo_bytes, headers={"Idempotency-Key": "order-1"}, **fields)
    a_id = a.json()["id"]
    _wait_status(server, a_id, {"running", "succeeded", "failed"})
    b = _post(server, photo_bytes, piece=PIECE)
    c = _post(server, photo_bytes, piece=PIECE)
    b_canceled = httpx.delete(f"{server['base']}/v1/try-ons/{b.json()['id']}", headers=_h())
    replay = _post(server, photo_bytes, headers={"Idempotency-Key": "order-1", "Prefer": "wait=240"}, **fields)
    other_body = _post(server, photo_bytes, headers={"Idempotency-Key": "order-1"}, piece=PIECE, position="0.5")
    return {"a": a, "b": b, "c": c, "b_canceled": b_canceled, "replay": replay, "other_body": other_body, "id": a_id}


def test_queue_is_bounded_and_cancel_works(main_job):
    assert main_job["a"].status_code == 202 and main_job["a"].headers["location"] == f"/v1/try-ons/{main_job['id']}"
    assert main_job["b"].status_code == 202
    b = main_job["b"].json()
    assert b["status"] == "queued" and b["queue_position"] == 1
    c = main_job["c"]
    assert c.status_code == 429 and c.json()["error"]["code"] == "QUEUE_FULL"
    assert int(c.headers["retry-after"]) >= 1
    assert main_job["b_canceled"].json()["status"] == "canceled"


def test_prefer_wait_and_idempotency_return_the_same_finished_job(server, main_job, photo_bytes):
    r = main_job["replay"]
    assert r.status_code == 200 and r.headers.get("idempotent-replayed") == "true"
    job = r.json()
    assert job["id"] == main_job["id"] and job["status"] == "succeeded", job["error"]
    assert main_job["other_body"].status_code == 422
    assert main_job["other_body"].json()["error"]["code"] == "IDEMPOTENCY_KEY_REUSED"
    # Another key never sees this job, nor can it cancel it.
    assert httpx.get(f"{server['base']}/v1/try-ons/{job['id']}", headers=_h(KEY2)).status_code == 404
    assert httpx.delete(f"{server['base']}/v1/try-ons/{job['id']}", headers=_h(KEY2)).status_code == 404


def test_result_image_mask_and_report(server, main_job, photo_bytes):
    from PIL import Image

    job = main_job["replay"].json()
    rep = job["report"]
    assert 0.0 <= rep["score"]["score"] <= 1.0 and rep["placement"]["ring_size_us"] > 0
    png = httpx.get(server["base"] + job["image_url"], headers=_h())
    assert png.headers["content-type"] == "image/png"
    img = np.asarray(Image.open(io.BytesIO(png.content)))
    photo = np.asarray(Image.open(io.BytesIO(photo_bytes)).convert("RGB"))
    assert img.shape == photo.shape
    jpg = httpx.get(server["base"] + job["image_url"], headers=_h(Accept="image/jpeg"))
    assert jpg.headers["content-type"] == "image/jpeg" and jpg.content[:2] == b"\xff\xd8"
    mask = np.asarray(Image.open(io.BytesIO(httpx.get(server["base"] + job["mask_url"], headers=_h()).content)))
    assert mask.ndim == 2 and mask.max() == 255
    # The images wait on disk in JEWELRENDER_RESULTS_DIR, not in the worker's memory.
    assert (server["results"] / f"{job['id']}.image.png").read_bytes() == png.content
    ring = mask > 128
    # The ring is drawn where the mask says, and the rest of the photo is (JPEG noise aside) untouched.
    assert np.abs(img[ring].astype(int) - photo[ring]).mean() > 20
    assert np.abs(img[mask == 0].astype(int) - photo[mask == 0]).mean() < 1.5


def test_webhook_is_signed_over_id_timestamp_and_body(main_job, receiver):
    from jewelrender.service.webhooks import verify

    headers, body = receiver.wait_for(main_job["id"])
    assert verify(SECRET, headers, body)
    payload = json.loads(body)
    assert payload["type"] == "try_on.succeeded" and payload["data"]["id"] == main_job["id"]
    assert not verify(SECRET, headers, body.replace(b"succeeded", b"failed"))
    assert not verify("another-secret", headers, body)
    assert not verify(SECRET, dict(headers, **{"Webhook-Timestamp": str(int(headers["Webhook-Timestamp"]) - 3600)}),
                      body)


def test_refused_photo_fails_the_job_with_the_library_code(server, data_dir):
    photo = (data_dir / "photos" / "bad" / "mmpose_ak_elephants_no_human.jpg").read_bytes()
    r = _post(server, photo, headers={"Prefer": "wait=120"}, piece=PIECE)
    assert r.status_code == 200
    job = r.json()
    assert job["status"] == "failed" and job["error"]["code"] == "HAND_NOT_FOUND"
    assert "hand" in job["error"]["message"] and job["image_url"] is None
    img = httpx.get(f"{server['base']}/v1/try-ons/{job['id']}/image", headers=_h())
    assert img.status_code == 409 and img.json()["error"]["code"] == "NOT_READY"


def test_metrics_and_one_log_line_per_job(server, main_job):
    text = httpx.get(server["base"] + "/metrics").text
    for status in ("succeeded", "failed", "canceled"):
        assert float(re.search(rf'jewelrender_jobs_total{{status="{status}"}} ([0-9.]+)', text).group(1)) >= 1
    assert 'jewelrender_job_latency_seconds_bucket{le="+Inf",quality="preview"}' in text
    assert "jewelrender_queue_depth 0.0" in text
    assert re.search(r'jewelrender_requests_rejected_total\{code="QUEUE_FULL"\} 1\.0', text)
    lines = [json.loads(x) for x in server["log"].read_text().splitlines() if x.startswith("{")]
    jobs = [x for x in lines if x.get("event") == "try_on"]
    mine = [x for x in jobs if x["id"] == main_job["id"]]
    assert len(mine) == 1 and mine[0]["status"] == "succeeded" and mine[0]["run_s"] > 0
    assert any(x["error_code"] == "HAND_NOT_FOUND" for x in jobs)


CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--no-first-run"]


def test_page_in_a_real_browser(server, data_dir, tmp_path_factory):
    if not Path(CHROMIUM).is_file():
        pytest.skip("Debian's chromium is not installed (scripts/setup.sh installs it)")
    sync_api = pytest.importorskip("playwright.sync_api")
    shots = tmp_path_factory.mktemp("page")
    hand = data_dir / "photos" / "hands" / "ringtryon_assets_7.jpg"
    no_hand = data_dir / "photos" / "bad" / "mmpose_ak_elephants_no_human.jpg"
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)
        try:
            page = browser.new_page(viewport={"width": 1100, "height": 1400})
            catalog_loads = []
            page.on("request", lambda r: catalog_loads.append(r.url) if r.url.endswith("/v1/pieces") else None)
            page.goto(server["base"] + "/")
            page.wait_for_selector("#error:has-text('API key')")  # the service asks for a key
            page.fill("#apikey", KEY1)
            page.dispatch_event("#apikey", "change")
            from jewelrender import list_pieces

            n_pieces = len(list_pieces())
            page.wait_for_function(f"document.querySelectorAll('#pieces button').length === {n_pieces}")
            page.set_input_files("#photo", str(hand))
            page.click(f"#pieces button[data-id='{PIECE}']")  # takes the focus from the key: a second "change"
            # Once without the key (401), once with it; a reload on that blur once raced the click and lost it.
            assert len(catalog_loads) == 2, catalog_loads
            page.wait_for_selector(f"#pieces button[data-id='{PIECE}'][aria-pressed='true']")
            page.click("#go")
            page.wait_for_selector("body[data-state='done']", timeout=240_000)
            score = float(page.text_content("#score"))
            assert 0 < score <= 1
            assert re.fullmatch(r"US \d+(\.\d+)? \(\d+\.\d mm\)", page.text_content("#size"))
            assert page.evaluate("document.getElementById('after').naturalWidth") == 1000
            page.evaluate("s => { s.value = 20; s.dispatchEvent(new Event('input')); }",
                          page.query_selector("#slider"))
            assert "20%" in page.evaluate("document.getElementById('after-wrap').style.clipPath")
            page.screenshot(path=str(shots / "page_result.png"), full_page=True)

            page.set_input_files("#photo", str(no_hand))
            page.click("#go")
            page.wait_for_selector("#error:has-text('HAND_NOT_FOUND')", timeout=120_000)
            assert "no hand found" in page.text_content("#error")
            page.screenshot(path=str(shots / "page_refused.png"), full_page=True)
        finally:
            browser.close()


def test_results_expire(server, main_job):
    deadline = time.monotonic() + RESULT_TTL_S + 30
    while True:
        job = httpx.get(f"{server['base']}/v1/try-ons/{main_job['id']}", headers=_h()).json()
        if job["expired"] or time.monotonic() > deadline:
            break
        time.sleep(1)
    assert job["expired"] and job["status"] == "succeeded" and job["image_url"] is None and job["report"] is None
    r = httpx.get(f"{server['base']}/v1/try-ons/{main_job['id']}/image", headers=_h())
    assert r.status_code == 410 and r.json()["error"]["code"] == "RESULT_EXPIRED"
    assert not list(server["results"].glob(f"{main_job['id']}.*"))  # the files went with the result


def test_graceful_shutdown_finishes_the_running_job(server, receiver, photo_bytes):
    """Last in the module: SIGTERM while a job renders; the job still succeeds (its webhook says so)."""
    r = _post(server, photo_bytes, piece=PIECE, webhook_url=receiver.url)
    job_id = r.json()["id"]
    _wait_status(server, job_id, {"running"})
    server["proc"].send_signal(signal.SIGTERM)
    assert server["proc"].wait(240) == 0
    headers, body = receiver.wait_for(job_id, timeout=5)
    assert json.loads(body)["data"]["status"] == "succeeded"
    lines = [json.loads(x) for x in server["log"].read_text().splitlines() if x.startswith("{")]
    assert [x["status"] for x in lines if x.get("id") == job_id] == ["succeeded"]
