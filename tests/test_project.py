"""Project-level promises: the README's two commands, CI, packaging, the public surface."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def _readme_commands():
    text = (REPO / "README.md").read_text()
    section = text.split("## Set-up", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```sh\n(.+?)\n```", section, flags=re.S)


def test_readme_gives_exactly_two_setup_commands():
    cmds = _readme_commands()
    assert len(cmds) == 2, cmds
    main_job, tests = cmds
    # The main job runs on the bundled sample photo, so a first run needs no photo of one's own.
    assert main_job == "bash scripts/setup.sh && .venv/bin/jewelrender demo --out demo.png"
    assert tests.startswith("bash scripts/setup.sh && ") and "pytest" in tests


def test_readme_gives_the_own_photo_command_right_under_the_demo():
    section = (REPO / "README.md").read_text().split("## Set-up", 1)[1].split("\n## ", 1)[0]
    after_demo = section.split("jewelrender demo --out demo.png", 1)[1]
    assert after_demo.index(".venv/bin/jewelrender try-on ") < after_demo.index("pytest")


def test_ci_runs_the_readme_test_command():
    ci = (REPO / ".ci" / "run").read_text().strip().splitlines()
    assert _readme_commands()[1] in ci


def test_ci_fails_when_the_data_folder_is_missing(tmp_path):
    """Under CI=true a data test fails with a clear message when the data is absent; locally it skips."""
    import os

    node = "tests/test_photo.py::test_rgba_hand_photo_is_composited_over_white"
    base = {k: v for k, v in os.environ.items() if k != "CI"} | {"JEWELRENDER_DATA": str(tmp_path)}
    cmd = [sys.executable, "-m", "pytest", "-q", "-rfEs", "-p", "no:cacheprovider", node]
    ci = subprocess.run(cmd, cwd=REPO, env=base | {"CI": "true"}, capture_output=True, text=True)
    assert ci.returncode == 1, ci.stdout + ci.stderr
    assert "data tests must run in CI, not skip" in ci.stdout and str(tmp_path) in ci.stdout, ci.stdout
    local = subprocess.run(cmd, cwd=REPO, env=base, capture_output=True, text=True)
    assert local.returncode == 0 and "1 skipped" in local.stdout, local.stdout + local.stderr


def test_performance_docs_are_what_the_saved_benchmark_results_give():
    """docs/performance.md's tables and README's figures are generated from benchmarks/results/ JSON."""
    sys.path.insert(0, str(REPO / "benchmarks"))
    try:
        import make_docs_tables as gen
    finally:
        sys.path.remove(str(REPO / "benchmarks"))
    generated = gen.blocks()
    for path in gen.DOCS:
        text = path.read_text(encoding="utf-8")
        names = [m.group("name") for m in gen.BLOCK.finditer(text)]
        assert names, f"{path.name}: no generated block"
        assert gen.render(path, generated) == text, f"{path.name} differs from benchmarks/make_docs_tables.py's output"
    # the GPU range in the README covers every saved GPU run, the stones included (renders up to 1.37 s)
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    runs = [r for k in ("replay", "stones") for r in gen.load(k)["runs"]]
    top = max(r["warm_median"]["total"] for r in runs)
    assert f"–{top:.2f} s" in readme and f"–{max(r['warm_median']['render'] for r in runs):.2f} s" in readme


def test_setup_script_is_valid_bash():
    subprocess.run(["bash", "-n", str(REPO / "scripts" / "setup.sh")], check=True)


def test_data_folders_are_packaged_into_the_wheel():
    text = (REPO / "pyproject.toml").read_text()
    assert '"scenes" = "jewelrender/_resources/scenes"' in text
    assert '"materials" = "jewelrender/_resources/materials"' in text
    from jewelrender.resources import resource_path

    assert resource_path("scenes", "catalog.toml").is_file()
    assert resource_path("materials", "metals.toml").is_file()


def test_public_surface_is_small_and_lazy():
    code = ("import sys, jewelrender as jr; "
            "assert 'mitsuba' not in sys.modules and 'mediapipe' not in sys.modules and 'cv2' not in sys.modules; "
            "print(sorted(n for n in dir(jr) if not n.startswith('_')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    names = eval(out)  # a list literal printed by our own code
    assert names == ["Photo", "Renderer", "TryOnResult", "detect_hands", "errors", "estimate_lighting",
                     "get_piece", "list_pieces", "load_photo", "samples", "try_on"]


def test_no_shared_data_file_was_copied_into_the_repository(data_dir):
    shared = data_dir  # skips without the data (fails under CI=true), like every data test
    import hashlib

    digest = lambda p: hashlib.sha256(p.read_bytes()).hexdigest()
    files = [p for p in shared.rglob("*") if p.is_file() and p.stat().st_size > 1024]
    # samples/ is the one folder whose LICENSES.md allows shipping (with attribution), and only as the
    # package's bundled samples (jewelrender/samples/, with their LICENSES).
    shippable = {digest(p) for p in files if p.parent.name == "samples"}
    theirs = {digest(p) for p in files} - shippable
    tracked = subprocess.run(["git", "ls-files"], cwd=REPO, capture_output=True, text=True).stdout.split()
    ours = {t: digest(REPO / t) for t in tracked if (REPO / t).is_file() and (REPO / t).stat().st_size > 1024}
    assert not [t for t, d in ours.items() if d in theirs]
    assert not [t for t, d in ours.items() if d in shippable and not t.startswith("jewelrender/samples/")]
