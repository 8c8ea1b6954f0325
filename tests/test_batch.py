"""`jewelrender batch`: a real local Ray cluster renders 2 photos x 1 piece; a rerun skips them all."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from jewelrender.errors import InvalidOptionError, MissingDependencyError, UnknownPieceError

REPO = Path(__file__).resolve().parents[1]
PIECE = "band-court-2mm-18k-yellow"


@pytest.fixture(scope="module")
def photos(data_dir, tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("batch_photos")
    (d / "hand.jpg").symlink_to(data_dir / "photos" / "hands" / "ringtryon_assets_7.jpg")
    (d / "elephants.jpg").symlink_to(data_dir / "photos" / "bad" / "mmpose_ak_elephants_no_human.jpg")
    (d / "notes.txt").write_text("not a photo, and not picked up\n")
    return d


def _cli(*args):
    return subprocess.run([sys.executable, "-m", "jewelrender", "batch", *args], cwd=REPO, capture_output=True,
                          text=True, timeout=600)


@pytest.mark.slow
def test_ray_batch_renders_every_pair_and_a_rerun_skips_them(photos, tmp_path):
    pytest.importorskip("ray", reason="the 'batch' extra is not installed (scripts/setup.sh installs it)")
    from PIL import Image

    out = tmp_path / "out"
    r = _cli("--photos", str(photos), "--pieces", PIECE, "--out", str(out), "--engine", "ray", "--actors", "1")
    assert r.returncode == 0, r.stderr
    summary = json.loads(r.stdout)
    assert summary["engine"] == "ray" and summary["actors"] == 1
    assert (summary["succeeded"], summary["failed"], summary["skipped"]) == (1, 1, 0)
    assert "2/2" in r.stderr  # the progress bar
    recs = {rec["photo"]: rec for rec in map(json.loads, (out / "results.jsonl").read_text().splitlines())}
    ok, refused = recs["hand.jpg"], recs["elephants.jpg"]
    assert ok["status"] == "succeeded" and 0 < ok["score"] <= 1 and ok["timings"]["render"] > 0
    assert refused["status"] == "failed" and refused["error_code"] == "HAND_NOT_FOUND" and refused["final"]
    # One actor (one warm Renderer) took both jobs.
    assert ok["worker_pid"] == refused["worker_pid"]
    img = np.asarray(Image.open(out / f"hand__{PIECE}.png"))
    assert img.shape == (550, 1000, 3)
    assert not (out / f"elephants__{PIECE}.png").exists()
    assert sorted(p.name for p in out.iterdir()) == ["hand__band-court-2mm-18k-yellow.png", "results.jsonl"]

    again = _cli("--photos", str(photos), "--pieces", PIECE, "--out", str(out))
    assert again.returncode == 0, again.stderr
    s2 = json.loads(again.stdout)
    assert (s2["skipped"], s2["succeeded"], s2["failed"], s2["actors"]) == (2, 0, 0, 0)
    assert len((out / "results.jsonl").read_text().splitlines()) == 2


def test_local_batch_records_refusals_and_redoes_a_lost_png(photos, tmp_path):
    from jewelrender.batch import plan_jobs, run_batch

    only_bad = tmp_path / "photos"
    only_bad.mkdir()
    (only_bad / "elephants.jpg").symlink_to((photos / "elephants.jpg").resolve())
    out = tmp_path / "out"
    s = run_batch(only_bad, [PIECE], out)
    assert (s["failed"], s["succeeded"]) == (1, 0)
    assert json.loads((out / "results.jsonl").read_text())["error_code"] == "HAND_NOT_FOUND"
    # A success whose PNG went missing is planned again; a refusal is not.
    (out / "results.jsonl").write_text(json.dumps({"photo": "hand.jpg", "piece": PIECE, "status": "succeeded",
                                                   "output": f"hand__{PIECE}.png"}) + "\n")
    todo, done = plan_jobs(photos, [PIECE], out)
    assert [j.photo.name for j in todo] == ["elephants.jpg", "hand.jpg"] and done == []


def test_batch_refuses_bad_input_with_one_line(photos, tmp_path):
    from jewelrender.batch import run_batch

    with pytest.raises(UnknownPieceError):
        run_batch(photos, ["no-such-ring"], tmp_path / "o")
    with pytest.raises(InvalidOptionError, match="folder of photos"):
        run_batch(tmp_path / "missing", [PIECE], tmp_path / "o")
    with pytest.raises(InvalidOptionError, match="--ray-address needs --engine ray"):
        run_batch(photos, [PIECE], tmp_path / "o", ray_address="127.0.0.1:6379")
    r = _cli("--photos", str(photos), "--pieces", "no-such-ring", "--out", str(tmp_path / "o"))
    assert r.returncode == 2 and r.stderr.startswith("error: UNKNOWN_PIECE: ") and r.stderr.count("\n") == 1
    assert not (tmp_path / "o").exists()


def test_a_missing_extra_says_which_one_to_install():
    from jewelrender.extras import require

    with pytest.raises(MissingDependencyError, match=r"pip install 'jewelrender\[batch\]'"):
        require("ray.no_such_module_here", "--engine ray")
    # The CLI, with FastAPI made unimportable: exit 3 and the extra's name.
    code = ("import sys; sys.modules['fastapi'] = None; from jewelrender.cli import main; "
            "sys.exit(main(['serve', '--port', '8765']))")
    r = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert r.returncode == 3
    assert r.stderr.strip() == ("error: MISSING_DEPENDENCY: the web service needs the Python package 'fastapi', "
                                "which is not installed: pip install 'jewelrender[service]' 'protobuf<5'")
