"""The sample photos bundled in the package, ``sample:NAME`` at the photo boundary, and ``jewelrender demo``."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest

from jewelrender import samples
from jewelrender.errors import InputError, UnknownSampleError
from jewelrender.photo import Photo, load_photo

REPO = Path(__file__).resolve().parents[1]
NAMES = ["hand", "hand-2", "hand-3", "wrist", "neck", "ear"]


def run(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "jewelrender", *map(str, args)], capture_output=True, text=True,
                          cwd=cwd, timeout=300, env={**os.environ, "PYTHONPATH": str(REPO)})


def _one_line_error(r, code, folder):
    assert r.returncode == 2, (r.stdout, r.stderr)
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: {code}: "), r.stderr
    assert list(folder.iterdir()) == [], "nothing may be written on error"
    return lines[0]


def test_the_table_lists_every_bundled_file_with_its_site_and_licence():
    rows = samples.list()
    assert [s.name for s in rows] == NAMES
    assert samples.sites() == ["hand", "wrist", "neck", "ear"]
    assert samples.for_site("hand").name == "hand"          # the DEFAULT hand of PROVENANCE.md
    assert samples.path("hand").name == "hand_shu-fingercount_set1-five-22.jpg"
    shipped = {p.name for p in (REPO / "jewelrender" / "samples").glob("*.jpg")}
    assert shipped == {s.file for s in rows}                 # no image without a row, no row without its image
    for s in rows:
        assert s.path.is_file() and s.licence in ("CC BY-SA 4.0", "CC0 1.0"), s
        assert s.attribution.startswith(s.credit) and s.licence_url in s.attribution or s.licence == "CC0 1.0"
    assert samples.get("neck").size == (1152, 1536) and samples.get("ear").size == (800, 533)


def test_files_are_byte_identical_to_their_source_blobs():
    for s in samples.list():
        data = s.path.read_bytes()
        blob = hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()   # what `git hash-object` prints
        assert blob == s.blob, s.name


def test_licenses_file_is_generated_from_the_table_and_agrees_with_the_evidence():
    text = samples.LICENSES_FILE.read_text(encoding="utf-8")
    assert text == samples.licenses_text(), "regenerate: python -c 'from jewelrender import samples; ...'"
    evidence = " ".join((samples.LICENSES_FILE.parent / "PROVENANCE.md").read_text(encoding="utf-8").split())
    for s in samples.list():
        assert s.file in text and s.attribution in text and s.blob in text
        assert s.file in evidence
        assert s.credit in evidence, f"{s.name}: the credit line differs from the one in PROVENANCE.md"
    assert "CC BY-SA 4.0" in samples.get("hand").adapted_attribution() and "modified" in \
        samples.get("hand").adapted_attribution()


def test_load_and_sample_ref_give_the_bundled_photo():
    ph = samples.load("hand")
    assert isinstance(ph, Photo) and (ph.width, ph.height) == (640, 480) and ph.source == "sample:hand"
    same = load_photo("sample:hand")
    direct = load_photo(samples.path("hand"))
    assert np.array_equal(ph.srgb, same.srgb) and np.array_equal(ph.srgb, direct.srgb)
    assert load_photo("sample:wrist").source == "sample:wrist"


def test_unknown_sample_lists_the_names():
    with pytest.raises(UnknownSampleError) as e:
        load_photo("sample:nope")
    assert isinstance(e.value, InputError) and e.value.code == "UNKNOWN_SAMPLE"
    assert all(n in e.value.message for n in NAMES) and e.value.details["valid"] == NAMES
    with pytest.raises(UnknownSampleError):
        samples.path("Hand")          # names are exact


def test_a_file_literally_named_sample_is_reached_as_a_path(tmp_path, monkeypatch):
    from PIL import Image

    Image.new("RGB", (64, 48), (200, 10, 10)).save(tmp_path / "sample:hand", format="PNG")
    monkeypatch.chdir(tmp_path)
    for source in ("./sample:hand", Path("sample:hand"), tmp_path / "sample:hand"):
        ph = load_photo(source)
        assert (ph.width, ph.height) == (64, 48), source
    assert load_photo("sample:hand").width == 640      # the str prefix always means the bundled sample


def test_cli_samples_lists_names_sizes_and_licences():
    r = run("samples", "--json")
    assert r.returncode == 0, r.stderr
    rows = json.loads(r.stdout)
    assert [x["name"] for x in rows] == NAMES
    assert rows[0]["width"] == 640 and rows[0]["height"] == 480 and rows[0]["licence"] == "CC BY-SA 4.0"
    text = run("samples").stdout
    assert "sample:hand" in text and "640x480" in text and "Daniel Stroud" in text


def test_cli_unknown_sample(tmp_path):
    r = run("try-on", "sample:nope", "--piece", "band-court-2mm-18k-yellow", "--out", tmp_path / "o.png")
    line = _one_line_error(r, "UNKNOWN_SAMPLE", tmp_path)
    assert "hand-2" in line and "ear" in line


def test_every_sample_site_has_pieces_and_a_default_piece_worn_there():
    """The four body sites each have a sample photo, catalog pieces and a demo piece worn on that site."""
    from jewelrender.demo import DEFAULT_PIECES, available_sites, body_site, plan
    from jewelrender.library.catalog import get_piece

    have = available_sites()
    assert set(samples.sites()) == {"hand", "wrist", "neck", "ear"} == set(have)
    for site in samples.sites():
        assert body_site(get_piece(DEFAULT_PIECES[site])) == site
        assert plan(site)[1] == DEFAULT_PIECES[site]


def test_demo_refuses_a_piece_of_another_site_and_unknown_sites(tmp_path):
    r = run("demo", "--site", "elbow", "--out", tmp_path / "demo.png")
    _one_line_error(r, "INVALID_OPTION", tmp_path)
    r = run("demo", "--piece", "tiara", "--out", tmp_path / "demo.png")
    _one_line_error(r, "UNKNOWN_PIECE", tmp_path)


@pytest.mark.slow
def test_demo_renders_the_default_piece_on_the_bundled_hand(tmp_path, detector):
    from PIL import Image

    from jewelrender.landmarks import FINGERS

    out, mask = tmp_path / "demo.png", tmp_path / "mask.png"
    r = run("demo", "--out", out, "--mask", mask, "--quality", "preview")
    assert r.returncode == 0, r.stderr
    assert "sample:hand" in r.stdout and samples.get("hand").credit in r.stdout and "CC BY-SA 4.0" in r.stdout
    img = np.asarray(Image.open(out))
    m = np.asarray(Image.open(mask)).astype(np.float64) / 255
    photo = samples.load("hand")
    assert img.shape == photo.srgb.shape
    assert m.max() == 1.0 and m.sum() > 100                    # a ring, not a speck
    # On the hand: the coverage's centre lies on the ring finger's first segment (MCP -> PIP).
    hand = detector.detect(photo)[0]
    mcp, pip = (hand.image_px[i] for i in FINGERS["ring"][:2])
    ys, xs = np.nonzero(m > 0.5)
    c = np.array([xs.mean(), ys.mean()])
    seg = pip - mcp
    t = float(np.clip(np.dot(c - mcp, seg) / np.dot(seg, seg), 0, 1))
    assert np.linalg.norm(c - (mcp + t * seg)) < 0.5 * np.linalg.norm(seg), (c, mcp, pip)
    # The photo is changed where the ring is, and left alone far from it.
    diff = np.abs(img.astype(int) - photo.srgb.astype(int)).sum(axis=2)
    assert diff[m > 0.5].mean() > 20
    far = np.ones_like(m, bool)
    far[max(int(c[1]) - 80, 0):int(c[1]) + 80, max(int(c[0]) - 80, 0):int(c[0]) + 80] = False
    assert diff[far].max() == 0


@pytest.mark.slow
def test_the_wheel_ships_the_samples_and_their_licences(tmp_path):
    r = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
                        "-w", str(tmp_path), str(REPO)], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    (wheel,) = tmp_path.glob("jewelrender-*.whl")
    with zipfile.ZipFile(wheel) as z:
        names = set(z.namelist())
        for s in samples.list():
            assert z.read(f"jewelrender/samples/{s.file}") == s.path.read_bytes()
        assert z.read("jewelrender/samples/LICENSES").decode() == samples.licenses_text()
        assert {"jewelrender/samples/PROVENANCE.md", "jewelrender/samples/samples.toml"} <= names


def test_published_try_ons_exist_and_carry_their_attribution():
    import re

    import ast

    tree = ast.parse((REPO / "docs" / "make_sample_images.py").read_text())
    doc = ast.get_docstring(tree, clean=False)
    literals = [n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str)]
    # Renders come from the bundled samples only: no path into the shared data folder.
    assert not [v for v in literals if v != doc and ("shared" in v or "JEWELRENDER_DATA" in v)]
    index = json.loads((REPO / "docs" / "images" / "samples" / "index.json").read_text())
    for page, rel in ((REPO / "docs" / "samples.md", REPO / "docs"), (REPO / "README.md", REPO)):
        text = page.read_text()
        if page.name == "README.md":
            text = text.split("<!-- samples:begin", 1)[1].split("<!-- samples:end -->", 1)[0]
        images = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", text)
        assert images, page
        for img in images:
            f = rel / img
            assert f.is_file() and f.stat().st_size < 200_000, img
        # every figure (a pair of pictures) has its photo's credit and the render's licence under it
        for row in index:
            if row["stem"] in text:
                after = text.split(f"{row['stem']}_crop.jpg", 1)[1].split("![", 1)[0]
                s = samples.get(row["sample"])
                assert s.adapted_attribution() in after, (page.name, row["stem"])
