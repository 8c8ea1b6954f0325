"""The command line, as a user runs it (a real subprocess)."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

PIECE = "solitaire-round-1ct-18k-yellow"


def run(*args, cwd=None):
    import os

    os.umask(0o022)
    return subprocess.run([sys.executable, "-m", "jewelrender", *map(str, args)], capture_output=True, text=True,
                          cwd=cwd, timeout=300)


def test_pieces_lists_the_catalog():
    r = run("pieces")
    assert r.returncode == 0
    assert PIECE in r.stdout and "band-court-2mm-18k-yellow" in r.stdout
    listed = json.loads(run("pieces", "--json").stdout)
    assert {p["site"] for p in listed} == {"ring", "wrist", "neck", "ear"}  # every piece names its body site
    assert {p["id"] for p in listed} >= {PIECE, "band-court-4mm-18k-yellow"}


@pytest.mark.slow
def test_try_on_writes_image_mask_and_report(tmp_path, data_dir):
    from PIL import Image

    photo = data_dir / "photos" / "hands" / "ringtryon_target_left.jpg"
    out, mask, rep = tmp_path / "tryon.png", tmp_path / "mask.png", tmp_path / "report.json"
    r = run("try-on", photo, "--piece", PIECE, "--out", out, "--mask", mask, "--report", rep)
    assert r.returncode == 0, r.stderr
    assert r.stderr.strip() == ""                      # MediaPipe's native logging stays quiet
    img, m = Image.open(out), Image.open(mask)
    src = Image.open(photo)
    assert img.size == src.size and m.size == src.size
    assert m.mode == "L" and np.asarray(m).max() == 255
    report = json.loads(rep.read_text())
    assert report["piece"]["id"] == PIECE and report["placement"]["finger"] == "ring"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mask.png", "report.json", "tryon.png"]  # no temp files left
    assert out.stat().st_mode & 0o044 == 0o044        # readable by others, like any file the user writes (umask 022)


def _assert_one_line_error(r, code, tmp_path):
    assert r.returncode == 2
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1, r.stderr
    assert lines[0].startswith(f"error: {code}: "), lines[0]
    assert list(tmp_path.iterdir()) == [], "nothing may be written on error"


def test_text_file_named_jpg(tmp_path):
    bad = tmp_path.parent / f"{tmp_path.name}_bad.jpg"
    bad.write_text("not an image")
    r = run("try-on", bad, "--piece", PIECE, "--out", tmp_path / "o.png", "--mask", tmp_path / "m.png")
    _assert_one_line_error(r, "UNSUPPORTED_FORMAT", tmp_path)


def test_missing_photo(tmp_path):
    r = run("try-on", tmp_path.parent / "does-not-exist.jpg", "--piece", PIECE, "--out", tmp_path / "o.png")
    _assert_one_line_error(r, "FILE_NOT_FOUND", tmp_path)


def test_unknown_piece(tmp_path, data_dir):
    r = run("try-on", data_dir / "photos" / "hands" / "ringtryon_target_left.jpg", "--piece", "tiara",
            "--out", tmp_path / "o.png")
    _assert_one_line_error(r, "UNKNOWN_PIECE", tmp_path)


@pytest.mark.slow
def test_no_hand(tmp_path, data_dir):
    r = run("try-on", data_dir / "photos" / "bad" / "mmpose_ak_elephants_no_human.jpg", "--piece", PIECE,
            "--out", tmp_path / "o.png", "--report", tmp_path / "r.json")
    _assert_one_line_error(r, "HAND_NOT_FOUND", tmp_path)


@pytest.mark.parametrize("args", [
    ["--position", "1.5"], ["--position", "abc"], ["--finger", "pinkie"], ["--quality", "ultra"], ["--out", "x.gif"],
])
def test_bad_options(tmp_path, data_dir, args):
    cmd = ["try-on", data_dir / "photos" / "hands" / "ringtryon_target_left.jpg", "--piece", PIECE]
    if "--out" not in args:
        cmd += ["--out", tmp_path / "o.png"]
    r = run(*cmd, *args, cwd=tmp_path)
    _assert_one_line_error(r, "INVALID_OPTION", tmp_path)


def test_output_folder_must_exist(tmp_path, data_dir):
    r = run("try-on", data_dir / "photos" / "hands" / "ringtryon_target_left.jpg", "--piece", PIECE,
            "--out", tmp_path / "missing" / "o.png")
    _assert_one_line_error(r, "INVALID_OPTION", tmp_path)


@pytest.mark.slow
def test_lighting_writes_an_hdr_environment(tmp_path, data_dir):
    out = tmp_path / "env.exr"
    r = run("lighting", data_dir / "photos" / "hands" / "ringtryon_target_left.jpg", "--out", out)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["method"] == "photo_fit"

    head = out.read_bytes()[:4]
    assert head == b"\x76\x2f\x31\x01"                       # OpenEXR magic number
    assert out.stat().st_mode & 0o044 == 0o044
    bad = run("lighting", data_dir / "photos" / "hands" / "ringtryon_target_left.jpg", "--out", tmp_path / "e.png")
    assert bad.returncode == 2 and bad.stderr.startswith("error: INVALID_OPTION: ")


@pytest.mark.parametrize("args", [
    ["--piece", "cable-chain-18k-yellow", "--finger", "ring"],
    ["--piece", "cable-chain-18k-yellow", "--length-in", "40"],
    ["--piece", "cable-chain-18k-yellow", "--length-in", "long"],
    ["--piece", PIECE, "--length-in", "18"],
])
def test_neck_options(tmp_path, data_dir, args):
    """A finger or an out-of-range length on a necklace, a length on a ring: one line, nothing written."""
    import os
    from pathlib import Path

    cmd = [sys.executable, "-m", "jewelrender", "try-on", data_dir / "photos" / "necks" / "frl-london_113-03.jpg",
           *args, "--out", tmp_path / "o.png"]
    # this checkout's jewelrender, whatever is installed
    r = subprocess.run(list(map(str, cmd)), capture_output=True, text=True, cwd=tmp_path, timeout=300,
                       env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])})
    _assert_one_line_error(r, "INVALID_OPTION", tmp_path)
