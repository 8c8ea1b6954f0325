"""Write the performance tables of docs/performance.md and the figures of README.md from saved results.

Usage::

    python benchmarks/make_docs_tables.py           # rewrite the generated blocks
    python benchmarks/make_docs_tables.py --check   # exit 1 if a doc differs from what the JSON gives

Reads the JSON the benchmarks saved under ``benchmarks/results/<version>/``
(:data:`SOURCES`) and replaces every block between
``<!-- BEGIN generated: NAME ... -->`` and ``<!-- END generated: NAME -->`` in
:data:`DOCS`. Each block names its JSON file, the date it was measured and the
commit. ``tests/test_project.py`` fails when a doc differs from this output, so
a figure cannot go stale silently: rerun the benchmark (``bench_stages.py
--update-docs`` does both steps) or change the JSON, never the doc by hand.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "benchmarks" / "results" / "0.1.0"
SOURCES = {
    "stages": RESULTS / "stages--cpu2-llvm.json",
    "replay": RESULTS / "replay--h100-cuda.json",
    "stones": RESULTS / "replay--h100-cuda-stones.json",
    "match": RESULTS / "match_material--cpu2-llvm.json",
    "lighting": RESULTS / "lighting--cpu2-llvm.json",
    "lighting_cost": RESULTS / "lighting-cost--cpu2-llvm.json",
    "lighting_cost_before": RESULTS / "lighting-cost-7239d12--cpu2-llvm.json",
    "refine_change": RESULTS / "lighting-refine-change--cpu2-llvm.json",
    "lighting_before_albedo": RESULTS / "lighting-514cb4a--cpu2-llvm.json",
    "lighting_phone": RESULTS / "lighting-phone-all--cpu2-llvm.json",
    "lighting_phone_before": RESULTS / "lighting-phone-all-e44f9e7--cpu2-llvm.json",
    "lighting_phone_rings": RESULTS / "lighting-phone-rings--cpu2-llvm.json",
    "lighting_phone_rings_camera": RESULTS / "lighting-phone-rings-camera--cpu2-llvm.json",
    "lighting_phone_ablation": RESULTS / "lighting-phone-ablation--cpu2-llvm.json",
    "lighting_phone_regions": RESULTS / "lighting-phone-regions--cpu2-llvm.json",
    "lighting_albedo_split": RESULTS / "lighting-albedo-split--cpu2-llvm.json",
}
DOCS = (REPO / "docs" / "performance.md", REPO / "README.md", REPO / "docs" / "lookdev.md", REPO / "docs" / "lighting.md")
#: The stages in pipeline order (jewelrender.pipeline's report["timings"]).
STAGES = ("photo", "landmarks", "gate", "placement", "lighting", "scene", "render", "integration", "composite", "score",
          "total")
BLOCK = re.compile(r"(<!-- BEGIN generated: (?P<name>[\w-]+)[^>]*-->\n)(?P<body>.*?)(<!-- END generated: (?P=name) -->)", re.S)


def load(name: str) -> dict:
    """One saved result: ``{"date", "commit", ..., "runs"}`` (older replay files are a bare list of runs)."""
    path = SOURCES[name]
    data = json.loads(path.read_text())
    if isinstance(data, list):
        data = {"runs": data}
    data["file"] = str(path.relative_to(REPO))
    return data


def provenance(d: dict) -> str:
    """Where a figure comes from: the file, the date and the commit (as the benchmark recorded them;
    files saved before it did carry ``saved_in_commit``, read from git log)."""
    when = d.get("date", "date not recorded")
    if "commit" in d:
        commit = f"at commit {d['commit']}"
    elif "saved_in_commit" in d:
        commit = f"saved in commit {d['saved_in_commit']} (date and commit read afterwards from git log)"
    else:
        commit = "commit not recorded"
    load_note = f"; {d['load_note']}" if d.get("load_note") else ""
    return f"`{d['file']}`, measured {when}, {commit}{load_note}"


def _commit(d: dict) -> str:
    return d.get("commit") or d.get("saved_in_commit") or "?"


def _fmt(v: float | None, digits: int = 3) -> str:
    return "—" if v is None else f"{v:.{digits}f}"


def stages_table(d: dict) -> str:
    runs = d["runs"]
    quals = list(runs)
    present = [s for s in STAGES if any(s in runs[q]["warm"] for q in quals)]
    head = "| stage | " + " | ".join(f"{q} cold | {q} cold* | {q} warm" for q in quals) + " |"
    lines = [head, "|---|" + "---:|" * (3 * len(quals))]
    for s in present:
        cells = []
        for q in quals:
            r = runs[q]
            w = r["warm"].get(s)
            cells += [_fmt(r["cold"].get(s)), _fmt(r["cold_cached_kernels"].get(s)),
                      "—" if w is None else f"{w['median']:.3f} ± {w['iqr']:.3f}"]
        if s == "total":
            cells = [f"**{c}**" for c in cells]
            s = "**total**"
        lines.append(f"| {s} | " + " | ".join(cells) + " |")
    missing = [s for s in STAGES if s not in present]
    crop = runs[quals[0]].get("crop")
    text = "\n".join(lines) + "\n\n"
    text += (f"Source: {provenance(d)}. Photo `{Path(d['photo']).name}`, piece `{d['piece']}`, backend "
             f"`{runs[quals[0]]['backend']}`, {d['machine'].get('cpus')} CPUs"
             + (f", crop {crop[2]} × {crop[3]} px" if crop else "") + ". Peak resident memory: "
             + ", ".join(f"{runs[q]['peak_rss_mb']:.0f} MiB ({q})" for q in quals) + ".\n")
    pv = runs.get("preview")
    if pv:
        text += (f"\nAgainst the targets (2-core CPU, solitaire, 1600 px photo): warm preview "
                 f"**{pv['warm']['total']['median']:.1f} s** (target ≤ 8 s), cold first run **{pv['cold']['total']:.1f} s** "
                 f"(target ≤ 60 s), peak memory **{max(r['peak_rss_mb'] for r in runs.values()) / 1024:.1f} GB** "
                 "(target ≤ 3 GB).\n")
    if all("cpu_s" in runs[q] for q in quals):
        text += "\nCPU seconds (`time.process_time`, every thread of the process; other jobs on the machine inflate " \
                "them far less than the wall times above): " + "; ".join(
                    f"{q} try-on warm {runs[q]['cpu_s']['warm']['median']:.2f} (cold {runs[q]['cpu_s']['cold']:.2f}, "
                    f"cold* {runs[q]['cpu_s']['cold_cached_kernels']:.2f})" for q in quals) + ". The lighting estimate " \
                "alone, warm (`estimate_lighting` on the prepared photo, median of the repeats): " + "; ".join(
                    f"{q} **{runs[q]['lighting_alone']['cpu']['median']:.3f} s CPU**, "
                    f"{runs[q]['lighting_alone']['wall']['median']:.3f} s wall" for q in quals) + ".\n"
    if missing:
        text += (f"\nThis run has no {' or '.join(missing)} stage: it predates them, and the total above is what "
                 "the code of that commit did. Rerun `python benchmarks/bench_stages.py --update-docs` on a quiet "
                 "machine for today's figures.\n")
    return text


def _median_over_photos(runs: list[dict], quality: str, piece: str, key: str, part: str = "warm_median") -> float:
    return statistics.median(r[part][key] for r in runs if r["quality"] == quality and r["piece"] == piece)


def gpu_table(d: dict, columns: tuple[tuple[str, str, str], ...]) -> str:
    runs = d["runs"]
    combos = list(dict.fromkeys((r["quality"], r["piece"]) for r in runs))
    photos = sorted({r["photo"].rsplit(".", 1)[0] for r in runs})
    lines = ["| quality | piece | " + " | ".join(c[0] for c in columns) + " |",
             "|---|---|" + "---:|" * len(columns)]
    for q, p in combos:
        lines.append(f"| {q} | {p} | " + " | ".join(f"{_median_over_photos(runs, q, p, k, part):.2f}"
                                                     for _, k, part in columns) + " |")
    return ("\n".join(lines) + f"\n\nMedians over {len(photos)} photos ({', '.join(photos)}), seconds. "
            f"Source: {provenance(d)}.\n")


def gpu_range(*ds: dict) -> dict:
    runs = [r for d in ds for r in d["runs"]]
    out = {}
    for k in ("total", "render", "lighting"):
        v = [r["warm_median"][k] for r in runs]
        out[k] = (min(v), max(v))
    return out


def readme_block(stages: dict, replay: dict, stones: dict) -> str:
    pv = stages["runs"]["preview"]
    g = gpu_range(replay, stones)
    stale = "gate" not in pv["warm"]
    text = (f"Last saved CPU run ({stages['date']}, commit {_commit(stages)}; "
            f"[docs/performance.md](docs/performance.md)): warm preview {pv['warm']['total']['median']:.1f} s "
            f"(lighting {pv['warm']['lighting']['median']:.2f} s), cold {pv['cold']['total']:.1f} s, peak memory "
            f"{max(r['peak_rss_mb'] for r in stages['runs'].values()) / 1024:.1f} GB")
    if stages.get("load_note") and "cpu_s" in pv:
        text += (f" — {stages['load_note']}; CPU seconds, which other jobs inflate far less: "
                 f"{pv['cpu_s']['warm']['median']:.2f} per warm preview try-on, "
                 f"{pv['lighting_alone']['cpu']['median']:.2f} for the lighting estimate")
    text += (" — a run made before the gate and score stages existed (its timings have neither), so today's "
             "try-on takes longer; rerun `python benchmarks/bench_stages.py --update-docs`.\n" if stale else ".\n")
    dates = " and ".join(dict.fromkeys((replay["date"], stones["date"])))
    text += (f"On an NVIDIA H100 (`cuda_ad_spectral`, {dates}) a warm try-on takes "
             f"{g['total'][0]:.2f}–{g['total'][1]:.2f} s, of which the render is {g['render'][0]:.2f}–"
             f"{g['render'][1]:.2f} s and the CPU-side lighting estimate {g['lighting'][0]:.2f}–{g['lighting'][1]:.2f} s"
             f" (every piece, photo and quality of `{Path(replay['file']).name}` and `{Path(stones['file']).name}`; "
             "the slowest render is the moonstone's random walk).\n")
    return text


def match_table(d: dict) -> str:
    """docs/lookdev.md: metal ΔE2000 per product shot before, with the lights alone, and after the fit."""
    has_mean = all("mean_colour_delta_e" in r for r in d["rows"])
    head = "| product shot | catalog piece | start preset | silhouette IoU | ΔE before | lights only | after |"
    rule = "|---|---|---|---:|---:|---:|---:|"
    if has_mean:
        head += " ΔE of the mean colour: before | lights only | after |"
        rule += "---:|---:|---:|"
    lines = [head, rule]
    for r in d["rows"]:
        after = f"**{r['delta_e_after']:.2f}**" if r["delta_e_after"] < r["delta_e_before"] else f"{r['delta_e_after']:.2f}"
        line = (f"| `{r['photo']}` | {r['piece']} | {r['base_metal']} | {r['pose']['silhouette_iou']:.2f} | "
                f"{r['delta_e_before']:.2f} | {r['delta_e_lights_only']:.2f} | {after} |")
        if has_mean:
            m = r["mean_colour_delta_e"]
            line += f" {m['before']:.2f} | {m['lights_only']:.2f} | {m['after']:.2f} |"
        lines.append(line)
    sm, st = d["summary"], d["settings"]
    beats_lights = sum(r["delta_e_after"] < r["delta_e_lights_only"] for r in d["rows"])
    line = (f"| **mean** | | | | **{sm['mean_before']:.2f}** | **{sm['mean_lights_only']:.2f}** | "
            f"**{sm['mean_after']:.2f}** |")
    if has_mean:
        line += "".join(f" **{statistics.mean(r['mean_colour_delta_e'][k] for r in d['rows']):.2f}** |"
                        for k in ("before", "lights_only", "after"))
    lines.append(line)
    wall = [r["wall_s"] for r in d["rows"]]
    return ("\n".join(lines) + f"\n\nThe fit lowers the metal's ΔE2000 on **{sm['lowered']} of {sm['pairs']}** "
            f"paired shots; the full fit (tint, roughness, lights) beats the lights alone on {beats_lights} of "
            f"{sm['pairs']}. Fit at {st['size']} px, {st['iterations']} Adam steps at {st['spp']} spp, evaluated at "
            f"{st['eval_spp']} spp; backend `{d['rows'][0]['backend']}`, {d['machine'].get('cpus')} CPUs shared "
            f"(1-min load {d['load_average_1min']:.1f} at the start): {min(wall):.0f}-{max(wall):.0f} s wall per "
            f"shot for both fits and the pose, {sm['cpu_s_total']:.0f} s CPU in all. Source: {provenance(d)}.\n")


LIGHT_METHODS = ("photo_fit", "refined", "uniform", "studio", "surround")
LIGHT_BASELINES = ("uniform", "studio", "surround")
LIGHT_SHORT = {"photo_fit": "fit", "refined": "refined", "uniform": "uniform", "studio": "studio", "surround": "surround"}


def _med(rows: list[dict], key: str) -> float | None:
    v = [r[key] for r in rows if r.get(key) is not None]
    return statistics.median(v) if v else None


def _pct(v: float | None) -> str:
    return "—" if v is None else f"{v * 100:+.0f} %".replace("-", "−")


def _beats(r: dict, piece: str, m: str) -> bool:
    return all(r[f"{piece}_{m}_de"] < r[f"{piece}_{b}_de"] for b in LIGHT_BASELINES if f"{piece}_{b}_de" in r)


def lighting_breakdown(rows: list[dict], pieces: list[str], skins: list[str]) -> str:
    """Per skin tone and per HDRI kind (indoor / outdoor / studio, with or without a dominant source):
    the refined map's median power error and how many rows are within ±15 %, the key's median error
    where there is one, and the rows where the refined map beats every baseline on each piece.
    Also printed by ``bench_lighting.py``'s summary."""
    sys.path.insert(0, str(REPO / "benchmarks"))
    from bench_lighting import HDRI_KINDS

    def kind(r):
        return r.get("kind") or HDRI_KINDS.get(r["hdri"].split("@")[0], "unknown")

    pieces = [p for p in pieces if rows and f"{p}_refined_de" in rows[0]]
    head = "| " + " | ".join(["rows", "n", "power err fit / refined (median)", "refined within ±15 %",
                               "key error, median (n)"] + [f"{p} refined beats every baseline" for p in pieces]) + " |"
    lines = [head, "|---|---:|---|---|---|" + "---|" * len(pieces)]

    def line(label, sel):
        if not sel:
            return
        keys = [r["key_err_deg"] for r in sel if r.get("key_err_deg") is not None]
        within = sum(abs(r["refined_power_err"]) <= 0.15 for r in sel)
        cells = [str(len(sel)), f"{_pct(_med(sel, 'photo_fit_power_err'))} / {_pct(_med(sel, 'refined_power_err'))}",
                 f"{within}/{len(sel)}", f"{statistics.median(keys):.1f}° ({len(keys)})" if keys else "—"]
        cells += [f"{sum(_beats(r, p, 'refined') for r in sel)}/{len(sel)}" for p in pieces]
        lines.append(f"| {label} | " + " | ".join(cells) + " |")

    for sk in skins:
        line(f"skin: {sk}", [r for r in rows if r["skin"] == sk])
    kinds = sorted({kind(r) for r in rows})
    for k in kinds:
        for dom, word in ((True, "dominant source"), (False, "no dominant source")):
            line(f"{k}, {word}", [r for r in rows if kind(r) == k and (r.get("key_share", 0.0) >= 0.25) == dom])
    for k in kinds:
        for sk in skins:
            line(f"{k}, {sk}", [r for r in rows if kind(r) == k and r["skin"] == sk])
    line("**all**", rows)
    return "\n".join(lines) + "\n"


#: The variants of ``bench_lighting.py --ablate`` (photo_fit.ablation_maps), in the table's order, and their labels.
ABLATION_LABELS = {"fit": "closed-form fit, as shipped", "without_key": "without the key lobe",
                   "without_back_gain": "back gain kept at 1", "without_clip_gain": "clipped texels at the clip",
                   "without_photographer": "without the photographer's disc",
                   "given_albedo": "the true albedo in the energy balance (oracle)",
                   "rendered": "what a try-on renders in (refined + photo detail, key at 15°)"}


def ablation_table(rows: list[dict], pieces: list[str], skins: list[str]) -> str:
    """``bench_lighting.py --ablate``: the rings under the closed-form map with each part switched off, against
    the refined map and the face-value room (``surround``): median ΔE00, the piece's median brightness over the
    truth's, and the rows where the variant beats every baseline (per skin)."""
    head = "| map | " + " | ".join(f"{p} ΔE00 (median) | {p} brightness / truth (median) | {p} beats every baseline"
                                     for p in pieces) + " |"
    lines = [head, "|---|" + "---:|---:|---|" * len(pieces)]
    cols = [(f"abl_{v}", label) for v, label in ABLATION_LABELS.items() if rows and f"{pieces[0]}_abl_{v}_de" in rows[0]]
    for col, label in [("refined", "refined (the benchmark's column)")] + cols + [("surround", "`surround` (baseline)")]:
        cells = []
        for p in pieces:
            de = _med(rows, f"{p}_{col}_de")
            ratio = _med(rows, f"{p}_{col}_ratio")
            per = ", ".join(f"{sk} {sum(_beats(r, p, col) for r in rows if r['skin'] == sk)}/"
                            f"{sum(r['skin'] == sk for r in rows)}" for sk in skins)
            total = sum(_beats(r, p, col) for r in rows)
            cells += [_fmt(de, 2), _fmt(ratio, 2), "—" if col == "surround" else f"{total}/{len(rows)} ({per})"]
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def ablation_block(d: dict) -> str:
    """docs/lighting.md: ``bench_lighting.py --ablate`` (see :func:`ablation_table`) with its source."""
    rows, st = d["rows"], d["settings"]
    note = f" ({d['code_note']})" if d.get("code_note") else ""
    return (ablation_table(rows, st["pieces"], list(st["skins"])) + f"\nSource: {provenance(d)}{note}. {len(rows)} rows: "
            f"{len({r['hdri'].split('@')[0] for r in rows})} HDRIs × {len(st['turns'])} turn(s) × {len(st['skins'])} "
            f"skins, camera `{st.get('camera')}`, rings at {st['spp']} (band) / {st['stone_spp']} (solitaire) spp; "
            "baselines `uniform`, `studio`, `surround`.\n")


def regions_table(d: dict) -> str:
    """Where the true map's power lies (the photo's frame, the rest of the hemisphere the camera faces, the
    hemisphere behind the camera) and how much of it the refined map has there, per HDRI kind and skin;
    with the albedo estimate over the truth (the map's level goes as its inverse)."""
    sys.path.insert(0, str(REPO / "benchmarks"))
    from bench_lighting import HDRI_KINDS, REGIONS

    rows, skins = d["rows"], list(d["settings"]["skins"])
    names = {"frame": "frame", "beyond_frame": "beyond the frame", "behind_camera": "behind the camera"}
    lines = ["| rows | n | power err refined (median) | albedo est / true (median) | "
             + " | ".join(f"{names[k]}: refined / truth; missing, of the truth's total" for k in REGIONS) + " |",
             "|---|---:|---|---|" + "---|" * len(REGIONS)]

    def line(label, sel):
        if not sel:
            return
        cells = [str(len(sel)), _pct(_med(sel, "refined_power_err")),
                 f"{statistics.median(r['albedo_lum'] / r['albedo_lum_true'] for r in sel):.2f}"]
        # The region's share of the truth's power times what the map lacks there (negative: too much).
        cells += [f"{_med(sel, f'refined_power_ratio_{k}'):.2f}; "
                  + _pct(statistics.median(r[f"power_share_{k}"] * (1.0 - r[f"refined_power_ratio_{k}"]) for r in sel))
                  for k in REGIONS]
        lines.append(f"| {label} | " + " | ".join(cells) + " |")

    kind = lambda r: r.get("kind") or HDRI_KINDS.get(r["hdri"].split("@")[0], "unknown")
    for k in sorted({kind(r) for r in rows}):
        for sk in skins:
            line(f"{k}, {sk}", [r for r in rows if kind(r) == k and r["skin"] == sk])
    line("**all**", rows)
    return "\n".join(lines) + f"\n\nMedians over the rows. Source: {provenance(d)}.\n"


def albedo_split_table(d: dict) -> str:
    """docs/lighting.md: ``bench_albedo_split.py``: the albedo step on the phone benchmark taken apart, per skin:
    the saturation the prior reads (true, through the camera with the true light's colour, as estimated), the
    prior and the face value over the true luminance, and the power with a perfectly read prior and with the
    true albedo."""
    rows = d["rows"]

    def spread(sel, key):
        v = sorted(r[key] for r in sel)
        q = lambda f: v[min(len(v) - 1, int(f * (len(v) - 1) + 0.5))]
        return f"{statistics.median(v):.2f} ({q(0.1):.2f}–{q(0.9):.2f})"

    lines = ["| skin | n | saturation: true; through the camera, true light's colour; as estimated (median, 10–90 %) "
             "| prior / true: at the true colour; at the true light's colour; as estimated | face value / true "
             "(where it binds: n, median) | albedo / true | power err: as estimated; prior read at the true light's "
             "colour; at the true colour; the true albedo |",
             "|---|---:|---|---|---|---|---|"]
    for sk in d["settings"]["skins"]:
        sel = [r for r in rows if r["skin"] == sk]
        bind = [r for r in sel if r["face_value_binds"]]
        lines.append(
            f"| {sk} | {len(sel)} | {sel[0]['sat_true']:.2f}; {spread(sel, 'sat_true_light')}; {spread(sel, 'sat_est')} "
            f"| {_med(sel, 'prior_true'):.2f}; {_med(sel, 'prior_true_light'):.2f}; {_med(sel, 'prior'):.2f} "
            f"| {_med(sel, 'face_value'):.2f} ({len(bind)}: {_med(bind, 'face_value'):.2f}) | {_med(sel, 'albedo'):.2f} "
            f"| {_pct(_med(sel, 'power_err'))}; {_pct(_med(sel, 'power_err_prior_at_true_light'))}; "
            f"{_pct(_med(sel, 'power_err_prior_at_true_colour'))}; {_pct(_med(sel, 'power_err_true_albedo'))} |")
    sh = [r for r in rows if r["hand_on_shoulder"] > 0.3]
    moved = [r for r in sh if abs(r["sat_untoned"] - r["sat_est"]) > 0.05]
    awb = statistics.median(abs(r["sat_est"] - r["sat_no_awb"]) for r in rows)
    awb_signed = statistics.median(r["sat_no_awb"] - r["sat_est"] for r in rows)
    return ("\n".join(lines) + f"\n\nThe camera's parts: the hand has over 30 % of its samples on the tone curve's "
            f"shoulder in {len(sh)} of {len(rows)} rows, and undoing the curve moves the saturation read by more than "
            f"0.05 in {len(moved)} of them ({', '.join(sorted({r['skin'] + ' ' + r['hdri'] for r in moved}))}); "
            f"without the camera's white balance the saturation read differs by {awb:.2f} (median of |difference|; "
            f"signed {awb_signed:+.2f}). Medians over the rows. Source: {provenance(d)}"
            + (f" ({d['code_note']})" if d.get("code_note") else "") + ".\n")


def phone_tables(after: dict, before: dict, rings: dict, rings_camera: dict) -> dict[str, str]:
    """docs/lighting.md: the benchmark with the phone camera (every HDRI; power, albedo and key per skin and
    per HDRI kind, the code before and after on the same photos) and its ring renders (the dev HDRIs)."""
    key = lambda r: (r["hdri"], r["skin"])
    prev = {key(r): r for r in before["rows"]}
    rows = [r for r in after["rows"] if key(r) in prev]
    skins = list(after["settings"]["skins"])
    lines = ["| rows | albedo Y before → after (true) | power err refined, before → after | within ±15 %, "
             "before → after | key error, median (n) |", "|---|---|---|---|---|"]
    for label, sel in [(f"{sk} ({sum(r['skin'] == sk for r in rows)})", [r for r in rows if r["skin"] == sk])
                       for sk in skins] + [(f"**all ({len(rows)})**", rows)]:
        old = [prev[key(r)] for r in sel]
        keys = [r["key_err_deg"] for r in sel if r.get("key_err_deg") is not None]
        lines.append(
            f"| {label} | {_med(old, 'albedo_lum'):.2f} → **{_med(sel, 'albedo_lum'):.2f}** "
            f"({_med(sel, 'albedo_lum_true'):.2f}) | {_pct(_med(old, 'refined_power_err'))} → "
            f"**{_pct(_med(sel, 'refined_power_err'))}** | {sum(abs(r['refined_power_err']) <= 0.15 for r in old)} → "
            f"{sum(abs(r['refined_power_err']) <= 0.15 for r in sel)} of {len(sel)} | "
            + (f"{statistics.median(keys):.1f}° ({len(keys)})" if keys else "—") + " |")
    st = after["settings"]
    sides = []
    for label, front in (("on the camera's side", True), ("behind the hand", False)):
        for tag, src in (("before", [prev[key(r)] for r in rows]), ("after", rows)):
            k = [r["key_err_deg"] for r in src if r["key_true_front"] == front and r.get("key_err_deg") is not None]
            if k:
                sides.append(f"{label} {tag} {statistics.median(k):.1f}° (n = {len(k)})")
    change = ("\n".join(lines) + f"\n\nKey light, median error: {'; '.join(sides)}. "
              f"Medians over the rows; the key from the closed-form fit, unchanged by "
              f"the change. {len(rows)} rows: {len({r['hdri'].split('@')[0] for r in rows})} HDRIs × "
              f"{len(st['turns'])} turns × {len(skins)} skins, camera `{st.get('camera')}`, metering "
              f"`{st.get('metering')}`, no ring renders. Before: {provenance(before)}"
              + (f" ({before['code_note']})" if before.get("code_note") else "") + f". After: {provenance(after)}.\n")
    breakdown = (lighting_breakdown(after["rows"], [], skins) + f"\nSource: {provenance(after)}; key errors "
                 "only where the HDRI's brightest 20° cone holds ≥ 25 % of its power.\n")
    rr, rs = rings["rows"], rings["settings"]
    ring_text = (lighting_breakdown(rr, rs["pieces"], list(rs["skins"])) + "\n"
                 + lighting_tables(rings)["lighting-medians"] + f"\nSource: {provenance(rings)}. {len(rr)} rows: "
                 f"{len({r['hdri'].split('@')[0] for r in rr})} HDRIs × {len(rs['turns'])} turn(s) × "
                 f"{len(rs['skins'])} skins, rings at {rs['spp']} (band) / {rs['stone_spp']} (solitaire) spp.\n")
    rc = rings_camera["rows"]
    ring_camera_text = (lighting_breakdown(rc, rs["pieces"], list(rs["skins"])) + "\n"
                        + lighting_tables(rings_camera)["lighting-medians"]
                        + f"\nSource: {provenance(rings_camera)}; the same rows and settings, our rings shown "
                          "through the phone's tone curve (`--composite camera`).\n")
    return {"lighting-phone-change": change, "lighting-phone-kinds": breakdown, "lighting-phone-rings": ring_text,
            "lighting-phone-rings-camera": ring_camera_text}


def lighting_tables(d: dict) -> dict[str, str]:
    """docs/lighting.md: the lighting benchmark's medians per skin, win counts, key-light and refinement figures."""
    rows, st = d["rows"], d["settings"]
    pieces, skins = st["pieces"], list(st["skins"])
    studio = st.get("studio_hdri", "studio_small_03")
    head = ("| skin | " + " | ".join(f"{p} {LIGHT_SHORT[m]}" for p in pieces for m in LIGHT_METHODS)
            + " | power err fit / refined | albedo Y est / true | albedo ΔE00 |")
    lines = [head, "|---|" + "---|" * (len(pieces) * len(LIGHT_METHODS) + 3)]
    for label, sel in [(sk, [r for r in rows if r["skin"] == sk]) for sk in skins] + [("**all**", rows)]:
        cells = []
        for p in pieces:
            for m in LIGHT_METHODS:
                de = _fmt(_med(sel, f"{p}_{m}_de"), 1)
                cells.append(f"{_fmt(_med(sel, f'{p}_{m}_psnr'), 1)} / " + (f"**{de}**" if label == "**all**" and m == "refined" else de))
        cells.append(f"{_pct(_med(sel, 'photo_fit_power_err'))} / {_pct(_med(sel, 'refined_power_err'))}")
        cells.append(f"{_fmt(_med(sel, 'albedo_lum'), 2)} / {_fmt(_med(sel, 'albedo_lum_true'), 2)}")
        cells.append(_fmt(_med(sel, "albedo_de"), 1))
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    medians = "\n".join(lines) + "\n"

    names = sorted({r["hdri"].split("@")[0] for r in rows})
    fair = [r for r in rows if not r["hdri"].startswith(studio)]
    wins = ["| | " + " | ".join(pieces) + " |", "|---|" + "---|" * len(pieces)]
    per_hdri, per_row, per_fair = [], [], []
    for p in pieces:
        cell_h, cell_r, cell_f = [], [], []
        for m in ("photo_fit", "refined"):
            won = []
            for h in names:
                sel = [r for r in rows if r["hdri"].split("@")[0] == h]
                med = {k: statistics.median(r[f"{p}_{k}_de"] for r in sel) for k in (m, *LIGHT_BASELINES)}
                if all(med[m] < v for k, v in med.items() if k != m):
                    won.append(h)
            lost = [h for h in names if h not in won]
            cell_h.append(f"{len(won)}/{len(names)}")
            n_r, n_f = sum(_beats(r, p, m) for r in rows), sum(_beats(r, p, m) for r in fair)
            cell_r.append(f"{n_r}/{len(rows)}" + (f" ({n_r / len(rows):.0%})".replace("%", " %") if m == "refined" else ""))
            cell_f.append(f"{n_f}/{len(fair)}" + (f" ({n_f / len(fair):.0%})".replace("%", " %") if m == "refined" else ""))
        per_hdri.append(" / ".join(cell_h) + (f" (not {', '.join(lost)})" if lost else ""))
        per_row.append(" / ".join(cell_r))
        per_fair.append(" / ".join(cell_f))
        per_skin = ", ".join(f"{sk} {sum(_beats(r, p, 'refined') for r in rows if r['skin'] == sk)}/"
                             f"{sum(r['skin'] == sk for r in rows)}" for sk in skins)
        per_row[-1] += f"; refined per skin: {per_skin}"
    wins.append("| per HDRI (median over its turns × skins), fit / refined | " + " | ".join(per_hdri) + " |")
    wins.append(f"| per row, all {len(rows)}, fit / refined | " + " | ".join(per_row) + " |")
    wins.append(f"| per row, without {studio}'s own {len(rows) - len(fair)} rows, fit / refined | "
                + " | ".join(per_fair) + " |")

    key = []
    for label, front in (("on the camera's side", True), ("behind the hand", False)):
        sel = [r["key_err_deg"] for r in rows if r["key_true_front"] == front and r["key_err_deg"] is not None]
        if sel:
            key.append(f"{statistics.median(sel):.0f}° {label} (n = {len(sel)})")
    allk = [r["key_err_deg"] for r in rows if r["key_err_deg"] is not None]
    text = "\n".join(wins) + "\n\n"
    if allk:
        text += (f"Key light (closed-form fit, unchanged by the refinement): {', '.join(key)}, "
                 f"**{statistics.median(allk):.1f}° over all {len(allk)} rows with a clear key**. ")
    ref = [r for r in rows if r.get("refine_loss_before")]
    if ref:
        text += (f"Refinement: loss lower after in {sum(r['refine_loss_after'] < r['refine_loss_before'] for r in ref)}"
                 f"/{len(ref)} rows, median {statistics.median(r['refine_loss_before'] for r in ref):.4f} → "
                 f"{statistics.median(r['refine_loss_after'] for r in ref):.4f}; "
                 f"{statistics.median(r['refine_seconds'] for r in ref):.2f} s per call, closed-form fit "
                 f"{statistics.median(r['fit_seconds'] for r in rows):.2f} s (wall, median).")
    text += f"\n\nSource: {provenance(d)}"
    if "merged_from" in d:
        mf = d["merged_from"]
        text += (f"; the `{'`, `'.join(mf['partial']['render_methods'])}` column's rings rendered by the run of that "
                 f"commit, every other figure from the full run of commit {mf['base'].get('commit') or '?'} "
                 f"(`bench_lighting.py --merge`, which checks that the figures both runs compute agree)")
    text += f". {len(rows)} rows: {len(names)} HDRIs × {len(st['turns'])} turns × {len(skins)} skins.\n"
    return {"lighting-medians": medians, "lighting-wins": text}


def lighting_cost_table(d: dict, before: dict) -> str:
    """docs/lighting.md: CPU seconds of the estimate (``bench_lighting_cost.py``), this code against the code
    it changed, run on the same rows."""
    key = lambda r: (r["skin"], r["hdri"])
    prev = {key(r): r for r in before["rows"]}
    rows = [r for r in d["rows"] if key(r) in prev]
    lines = ["| median over the rows, CPU s | before | now |", "|---|---:|---:|"]
    for k, label in (("cpu_fit", "closed-form fit (`refine=0`)"), ("cpu_refined", "with the refinement (the default)")):
        lines.append(f"| {label} | {statistics.median(prev[key(r)][k] for r in rows):.2f} | "
                     f"**{statistics.median(r[k] for r in rows):.2f}** |")
    same = sum(prev[key(r)]["digest_fit"] == r["digest_fit"] for r in rows)
    return ("\n".join(lines) + f"\n\n{len(rows)} rows ({', '.join(sorted({r['skin'] for r in rows}))} skin; "
            f"{', '.join(sorted({r['hdri'] for r in rows}))}). Closed-form estimates byte-identical in {same}/"
            f"{len(rows)} rows (see below). Before: {provenance(before)}. Now: {provenance(d)}.\n")


def refine_change_table(d: dict) -> str:
    """docs/lighting.md: the refined column before and after a change of the refinement, on the rows both runs
    have (``before`` every method, ``after`` the refined column: ``bench_lighting.py --render-methods refined``)."""
    rows = d["rows"]
    pieces = ("band", "solitaire")
    skins = [sk for sk in ("light", "medium", "dark") if any(r["skin"] == sk for r in rows)]
    lines = ["| rows | " + " | ".join(f"{p} ΔE00 before → after | {p} beats every baseline, before → after"
                                      for p in pieces) + " | refined ΔE00 lower after (band, solitaire) |",
             "|---|" + "---|" * (2 * len(pieces) + 1)]

    def wins(sel, p, col):
        return sum(all(r[f"{p}_{col}_de"] < r[f"{p}_{b}_de"] for b in LIGHT_BASELINES) for r in sel)

    for label, sel in [(f"{sk} ({sum(r['skin'] == sk for r in rows)})", [r for r in rows if r["skin"] == sk])
                       for sk in skins] + [(f"**all ({len(rows)})**", rows)]:
        cells = []
        for p in pieces:
            b = statistics.median(r[f"{p}_refined_de"] for r in sel)
            a = statistics.median(r[f"{p}_refined_after_de"] for r in sel)
            cells.append(f"{b:.2f} → {a:.2f}")
            cells.append(f"{wins(sel, p, 'refined')} → {wins(sel, p, 'refined_after')} of {len(sel)}")
        lower = [sum(r[f"{p}_refined_after_de"] < r[f"{p}_refined_de"] for r in sel) for p in pieces]
        same = [sum(r[f"{p}_refined_after_de"] == r[f"{p}_refined_de"] for r in sel) for p in pieces]
        cells.append(", ".join(f"{lo} ({sa} equal)" for lo, sa in zip(lower, same)))
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    pw_b = statistics.median(r["refined_power_err"] for r in rows)
    pw_a = statistics.median(r["refined_after_power_err"] for r in rows)
    return ("\n".join(lines) + f"\n\nMedian power error of the refined map {_pct(pw_b)} → {_pct(pw_a)}. "
            f"{d['note']} Source: {provenance(d)}.\n")


def albedo_change_table(before: dict, after: dict) -> str:
    """docs/lighting.md: the albedo/light split before and after a change of it, per skin, on the same rows
    (the power error is the issue's target, the rings' wins the check that nothing got worse)."""
    key = lambda r: (r["hdri"], r["skin"])
    prev = {key(r): r for r in before["rows"]}
    rows = [r for r in after["rows"] if key(r) in prev]
    skins = [sk for sk in ("light", "medium", "dark") if any(r["skin"] == sk for r in rows)]
    pieces = [p for p in ("band", "solitaire") if f"{p}_refined_de" in rows[0]]
    lines = ["| rows | albedo Y before → after (true) | power err fit, before → after | power err refined, "
             "before → after | " + " | ".join(f"{p} refined ΔE00, before → after | {p} refined beats every "
                                             f"baseline, before → after" for p in pieces) + " |",
             "|---|---|---|---|" + "---|" * (2 * len(pieces))]
    for label, sel in [(f"{sk} ({sum(r['skin'] == sk for r in rows)})", [r for r in rows if r["skin"] == sk])
                       for sk in skins] + [(f"**all ({len(rows)})**", rows)]:
        old = [prev[key(r)] for r in sel]
        cells = [f"{_med(old, 'albedo_lum'):.2f} → **{_med(sel, 'albedo_lum'):.2f}** ({_med(sel, 'albedo_lum_true'):.2f})",
                 f"{_pct(_med(old, 'photo_fit_power_err'))} → {_pct(_med(sel, 'photo_fit_power_err'))}",
                 f"{_pct(_med(old, 'refined_power_err'))} → **{_pct(_med(sel, 'refined_power_err'))}**"]
        for p in pieces:
            cells.append(f"{_med(old, f'{p}_refined_de'):.2f} → {_med(sel, f'{p}_refined_de'):.2f}")
            cells.append(f"{sum(_beats(r, p, 'refined') for r in old)} → {sum(_beats(r, p, 'refined') for r in sel)}"
                         f" of {len(sel)}")
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    return ("\n".join(lines) + f"\n\nMedians over the rows. Before: {provenance(before)}. After: {provenance(after)}.\n")


def blocks() -> dict[str, str]:
    st, rp, sn = load("stages"), load("replay"), load("stones")
    return {
        "match-material": match_table(load("match")),
        "cpu-stages": stages_table(st),
        "gpu-pieces": gpu_table(rp, (("lighting", "lighting", "warm_median"), ("render", "render", "warm_median"),
                                     ("total warm", "total", "warm_median"), ("first try-on (cold)", "total", "cold"))),
        "gpu-stones": gpu_table(sn, (("lighting", "lighting", "warm_median"), ("render", "render", "warm_median"),
                                     ("total warm", "total", "warm_median"))),
        "readme-performance": readme_block(st, rp, sn),
        **lighting_tables(load("lighting")),
        "lighting-cost": lighting_cost_table(load("lighting_cost"), load("lighting_cost_before")),
        "lighting-refine-change": refine_change_table(load("refine_change")),
        "lighting-albedo-change": albedo_change_table(load("lighting_before_albedo"), load("lighting")),
        **phone_tables(load("lighting_phone"), load("lighting_phone_before"), load("lighting_phone_rings"),
                       load("lighting_phone_rings_camera")),
        "lighting-phone-ablation": ablation_block(load("lighting_phone_ablation")),
        "lighting-phone-regions": regions_table(load("lighting_phone_regions")),
        "lighting-albedo-split": albedo_split_table(load("lighting_albedo_split")),
    }


def render(path: Path, generated: dict[str, str]) -> str:
    """The file's text with every generated block replaced."""
    def sub(m: re.Match) -> str:
        if m.group("name") not in generated:
            raise KeyError(f"{path}: unknown generated block {m.group('name')!r}")
        return m.group(1) + generated[m.group("name")] + m.group(4)

    return BLOCK.sub(sub, path.read_text(encoding="utf-8"))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--check", action="store_true", help="change nothing; exit 1 if a doc is out of date")
    args = ap.parse_args(argv)
    generated = blocks()
    stale = []
    for path in DOCS:
        new = render(path, generated)
        if new != path.read_text(encoding="utf-8"):
            stale.append(str(path.relative_to(REPO)))
            if not args.check:
                path.write_text(new, encoding="utf-8")
    if args.check and stale:
        print("out of date (run python benchmarks/make_docs_tables.py): " + ", ".join(stale), file=sys.stderr)
        return 1
    print(("rewrote " + ", ".join(stale)) if stale else "docs match the saved results")
    return 0


if __name__ == "__main__":
    sys.exit(main())
