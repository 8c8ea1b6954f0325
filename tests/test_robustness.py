"""No input breaks the library: bad files end in a documented error, fast, with nothing written.

``tests/test_photo.py`` covers each file edge case at :func:`load_photo`; here they
go through the whole try-on (the CLI, which also writes files), plus a
property-based fuzz of :func:`load_photo` over mutated real JPEG and PNG bytes,
malformed catalogs, and the :class:`Renderer` under concurrent use.
"""

from __future__ import annotations

import io
import threading
import time

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

import jewelrender as jr
from jewelrender.library import catalog
from jewelrender import cli
from jewelrender.errors import (
    CatalogError,
    HandNotFoundError,
    JewelrenderError,
    PhotoColorCastError,
    UnknownPieceError,
)
from jewelrender.photo import Photo, load_photo

from _imagefiles import encode as _encode, raw_png  # noqa: E402

PIECE = "band-court-2mm-18k-yellow"
SMALL_HAND = "ringtryon_assets_9.jpg"  # 400 x 400, renders in ~2 s at preview


def _bomb_png(width: int = 30000, height: int = 30000) -> bytes:
    return raw_png(width, height, bit_depth=8, color_type=2)


@pytest.fixture(scope="module")
def real_jpeg(data_dir) -> bytes:
    return (data_dir / "photos" / "hands" / SMALL_HAND).read_bytes()


@pytest.fixture(scope="module")
def renderer():
    with jr.Renderer() as r:
        yield r


# ------------------------------------------------ bad files through the whole try-on


def _cases(real_jpeg: bytes) -> dict[str, tuple[bytes | None, str]]:
    frames = [Image.new("RGB", (64, 64), c) for c in ((200, 150, 120), (20, 40, 200))]
    gif = io.BytesIO()
    frames[0].save(gif, "GIF", save_all=True, append_images=frames[1:], duration=100, loop=0)
    return {
        "empty.jpg": (b"", "UNREADABLE_IMAGE"),
        "truncated.jpg": (real_jpeg[: len(real_jpeg) // 2], "UNREADABLE_IMAGE"),
        "photo.heic": (b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + b"\x00" * 200, "UNSUPPORTED_FORMAT"),
        "animated.gif": (gif.getvalue(), "UNSUPPORTED_FORMAT"),
        "dot.png": (_encode(np.full((1, 1, 3), 128, np.uint8), "PNG"), "IMAGE_TOO_SMALL"),
        "bomb.png": (_bomb_png(), "IMAGE_TOO_LARGE"),
        "a_folder.jpg": (None, "FILE_NOT_FOUND"),  # a directory
    }


@pytest.mark.parametrize("name", ["empty.jpg", "truncated.jpg", "photo.heic", "animated.gif", "dot.png", "bomb.png",
                                  "a_folder.jpg"])
def test_bad_file_fails_fast_with_its_code_and_writes_nothing(tmp_path, real_jpeg, capsys, name):
    data, code = _cases(real_jpeg)[name]
    src = tmp_path / "in"
    src.mkdir()
    photo = src / name
    if data is None:
        photo.mkdir()
    else:
        photo.write_bytes(data)
    out = tmp_path / "out"
    out.mkdir()
    rc = cli.main(["try-on", str(photo), "--piece", PIECE, "--out", str(out / "tryon.png"),
                   "--mask", str(out / "mask.png"), "--report", str(out / "report.json")])
    err = capsys.readouterr().err.strip().splitlines()
    assert rc == 2
    assert len(err) == 1 and err[0].startswith(f"error: {code}: "), err
    assert list(out.iterdir()) == []


def test_decodable_variants_render_the_same_pixels(data_dir, renderer, tmp_path):
    """The same upright pixels stored six ways give byte-identical try-ons.

    EXIF orientation 6 (stored rotated), 16-bit PNG, opaque RGBA PNG, lossless
    WebP named .jpg, and PNG all decode to the same upright 8-bit photo, so the
    try-on must not depend on which one was sent.
    """
    upright = load_photo(data_dir / "photos" / "hands" / SMALL_HAND).srgb
    exif = Image.Exif()
    exif[0x0112] = 6  # stored so that displaying it means rotating 90 deg clockwise
    stored6 = np.rot90(upright, k=1)  # counter-clockwise: what a camera held sideways stores
    rgba = np.dstack([upright, np.full(upright.shape[:2], 255, np.uint8)])
    variants = {
        "plain.png": _encode(upright, "PNG"),
        "rotated.png": _encode(np.ascontiguousarray(stored6), "PNG", exif=exif.tobytes()),
        "sixteen.png": _rgb16_png(upright),
        "alpha.png": _encode(Image.fromarray(rgba, "RGBA"), "PNG"),
        "webp_named.jpg": _encode(upright, "WEBP", lossless=True),
    }
    images = {}
    for name, data in variants.items():
        p = tmp_path / name
        p.write_bytes(data)
        ph = load_photo(p)
        np.testing.assert_array_equal(ph.srgb, upright, err_msg=name)
        images[name] = renderer.try_on(p, PIECE, quality="preview").image
    ref = images.pop("plain.png")
    for name, img in images.items():
        assert img.tobytes() == ref.tobytes(), name


def _rgb16_png(rgb8: np.ndarray) -> bytes:
    """A 16-bit-per-channel RGB PNG of an 8-bit image (v -> 257 v), written by hand: Pillow cannot save one."""
    h, w = rgb8.shape[:2]
    rows = b"".join(b"\x00" + (rgb8[y].astype(np.uint16) * 257).astype(">u2").tobytes() for y in range(h))
    return raw_png(w, h, bit_depth=16, color_type=2, rows=rows)


def test_greyscale_and_cmyk_hand_photos_render_or_are_refused_as_documented(data_dir, renderer, tmp_path):
    upright = load_photo(data_dir / "photos" / "hands" / SMALL_HAND).srgb
    grey = tmp_path / "grey.jpg"
    grey.write_bytes(_encode(Image.fromarray(upright).convert("L"), "JPEG", quality=92))
    cmyk = tmp_path / "cmyk.jpg"
    cmyk.write_bytes(_encode(Image.fromarray(upright).convert("CMYK"), "JPEG", quality=92))
    # MediaPipe may not find a hand without colour; with one, the quality gate refuses black-and-white
    for p, allowed in ((grey, (PhotoColorCastError, HandNotFoundError)), (cmyk, ())):
        try:
            res = renderer.try_on(p, PIECE, quality="preview")
        except allowed:
            continue
        assert res.image.shape == upright.shape and res.mask.max() > 0.5


# ------------------------------------------------------------------- fuzzing


def _mutate(data: bytes, ops) -> bytes:
    b = bytearray(data)
    for kind, pos, val, n in ops:
        if not b:
            break
        pos %= len(b)
        if kind == "set":
            b[pos] = val
        elif kind == "xor":
            b[pos] ^= 1 << (val % 8)
        elif kind == "insert":
            b[pos:pos] = bytes([val]) * n
        elif kind == "delete":
            del b[pos:pos + n]
        elif kind == "truncate":
            del b[pos:]
        elif kind == "repeat":
            b[pos:pos] = b[pos:pos + n]
    return bytes(b)


_ops = st.lists(
    st.tuples(st.sampled_from(["set", "xor", "insert", "delete", "truncate", "repeat"]),
              st.integers(0, 1 << 20), st.integers(0, 255), st.integers(1, 64)),
    min_size=1, max_size=6,
)
# Mutations aimed at the headers, where parsers branch the most.
_head_ops = st.lists(
    st.tuples(st.sampled_from(["set", "xor"]), st.integers(0, 600), st.integers(0, 255), st.just(1)),
    min_size=1, max_size=4,
)


def _check_loads_or_refuses(data: bytes) -> None:
    try:
        p = load_photo(data)
    except JewelrenderError:
        return
    assert isinstance(p, Photo) and p.srgb.dtype == np.uint8 and p.srgb.ndim == 3 and p.srgb.shape[2] == 3
    assert p.width >= 32 and p.height >= 32 and p.width * p.height <= 40_000_000


@pytest.fixture(scope="module")
def real_png(data_dir) -> bytes:
    """A real photo's pixels (downscaled to 96 px), as a PNG with a palette-free RGB and a text chunk."""
    im = Image.open(data_dir / "photos" / "hands" / "mediapipe_thumbs_up.png").convert("RGB")
    im.thumbnail((96, 96))
    return _encode(im, "PNG")


_FUZZ = settings(max_examples=120, deadline=3000, derandomize=True, database=None,
                 suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


@_FUZZ
@given(ops=st.one_of(_ops, _head_ops))
def test_fuzz_mutated_jpeg(real_jpeg, ops):
    _check_loads_or_refuses(_mutate(real_jpeg, ops))


@_FUZZ
@given(ops=st.one_of(_ops, _head_ops))
def test_fuzz_mutated_png(real_png, ops):
    _check_loads_or_refuses(_mutate(real_png, ops))


# ------------------------------------------------------------------- catalog


@pytest.mark.parametrize("piece_id", [None, 42, ["band"], {"id": PIECE}, "", "../../etc/passwd", PIECE.upper(),
                                      PIECE + " "])
def test_unknown_piece_ids_of_any_type(piece_id):
    with pytest.raises(UnknownPieceError) as e:
        catalog.get_piece(piece_id)
    assert PIECE in e.value.details["valid"]


def test_catalog_that_is_not_text(tmp_path):
    f = tmp_path / "catalog.toml"
    f.write_bytes(b"\xff\xfe\x00[pieces\x00\x80")
    with pytest.raises(CatalogError):
        catalog.load_catalog(f)


def test_entry_naming_an_unknown_metal_or_gem_fails_clearly(data_dir):
    import dataclasses

    sol = catalog.get_piece("solitaire-round-1ct-18k-yellow")
    photo = data_dir / "photos" / "hands" / SMALL_HAND
    with pytest.raises(CatalogError) as e:
        jr.try_on(photo, dataclasses.replace(sol, metal="unobtainium"))
    assert "unobtainium" in e.value.message and "yellow-gold-18k" in e.value.message
    with pytest.raises(CatalogError) as e:
        jr.try_on(photo, dataclasses.replace(sol, stone=dict(sol.stone, gem="kryptonite")))
    assert "kryptonite" in e.value.message and "diamond" in e.value.message


# ------------------------------------------------------------------- threads


@pytest.mark.slow
def test_renderer_from_two_threads_matches_sequential_and_serialises(data_dir, renderer):
    photos = [data_dir / "photos" / "hands" / n for n in (SMALL_HAND, "ringtryon_assets_4.jpg")]
    seq = [renderer.try_on(p, PIECE, seed=3).image.tobytes() for p in photos]

    results: dict[int, object] = {}
    ends: dict[int, float] = {}
    barrier = threading.Barrier(2)

    def work(i):
        barrier.wait()
        try:
            results[i] = renderer.try_on(photos[i], PIECE, seed=3)
        except Exception as exc:  # noqa: BLE001 - reported below, not lost in the thread
            results[i] = exc
        ends[i] = time.perf_counter()

    threads = [threading.Thread(target=work, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert all(not t.is_alive() for t in threads)
    for i in range(2):
        assert isinstance(results[i], jr.TryOnResult), results[i]
        assert results[i].image.tobytes() == seq[i], f"thread {i} differs from sequential use"
    # Serialised: the second call's own work (timings.total, measured inside the
    # lock) started after the first call had returned.
    first, second = sorted(range(2), key=lambda i: ends[i])
    second_start = ends[second] - results[second].report["timings"]["total"]
    assert second_start >= ends[first] - 0.05, (second_start, ends[first])
