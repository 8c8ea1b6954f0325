"""The try-on page served at ``/``: one self-contained HTML file, no build step, no external assets.

It uses only the public API (``/v1/pieces``, ``POST /v1/try-ons``, the job's
image), so what the page does a shop's own front end can do too.
"""

from __future__ import annotations

__all__ = ["PAGE_HTML"]

PAGE_HTML = r"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>jewelrender try-on</title>
<style>
  :root { color-scheme: dark; --bg:#15161a; --fg:#eceae6; --muted:#9a9890; --accent:#d8b36a; --bad:#ff8a7a; }
  body { margin:0; font:16px/1.4 system-ui, sans-serif; background:var(--bg); color:var(--fg); }
  main { max-width: 960px; margin: 0 auto; padding: 16px; }
  h1 { font-weight:600; font-size:1.4rem; margin: 0 0 12px; }
  section { margin: 14px 0; }
  label.step { display:block; color:var(--muted); margin-bottom:6px; }
  #pieces { display:flex; flex-wrap:wrap; gap:8px; }
  #pieces button { background:#1e2026; border:2px solid transparent; border-radius:10px; padding:4px; width:112px;
                   color:var(--fg); font-size:.72rem; cursor:pointer; }
  #pieces button[aria-pressed="true"] { border-color: var(--accent); }
  #pieces img { width:96px; height:96px; display:block; margin:0 auto 2px; }
  #go { background:var(--accent); color:#111; border:0; border-radius:8px; padding:10px 22px; font-size:1rem; }
  #go:disabled { opacity:.5; }
  #status { color:var(--muted); min-height:1.4em; }
  #error { color:var(--bad); min-height:1.4em; font-weight:600; }
  #compare { position:relative; display:none; max-width:100%; user-select:none; }
  #compare img { display:block; max-width:100%; }
  #after-wrap { position:absolute; inset:0; overflow:hidden; clip-path: inset(0 0 0 50%); }
  #after-wrap img { width:100%; height:100%; }
  #slider { width:100%; }
  #facts { display:flex; gap:24px; font-size:1.1rem; }
  #facts b { color: var(--accent); }
  small { color: var(--muted); }
</style>
</head>
<body>
<main>
<h1>Try a ring on your own hand</h1>
<details id="keybox"><summary>API key</summary>
  <input id="apikey" type="password" placeholder="Bearer key (only if the service asks for one)" size="40">
</details>
<section>
  <label class="step" for="photo">1. A photo of the back of your hand, fingers straight (or take one now)</label>
  <input id="photo" type="file" accept="image/*" capture="environment">
</section>
<section>
  <label class="step">2. Pick a piece <small>(drawings, not renders)</small></label>
  <div id="pieces" role="listbox"></div>
</section>
<section>
  <label class="step" for="quality">3. Quality</label>
  <select id="quality"><option value="preview" selected>preview (a few seconds)</option>
    <option value="final">final (slower, sharper)</option></select>
  <button id="go" disabled>Try it on</button>
</section>
<div id="status" role="status"></div>
<div id="error" role="alert"></div>
<section id="result">
  <div id="compare">
    <img id="before" alt="your photo">
    <div id="after-wrap"><img id="after" alt="your photo with the ring"></div>
  </div>
  <input id="slider" type="range" min="0" max="100" value="50" aria-label="before / after" hidden>
  <div id="facts" hidden>
    <div>Quality score <b id="score"></b></div>
    <div>Ring size <b id="size"></b></div>
  </div>
</section>
</main>
<script>
"use strict";
const $ = (id) => document.getElementById(id);
let piece = null;
const keyInput = $("apikey");
keyInput.value = localStorage.getItem("jewelrender-key") || "";
keyInput.addEventListener("change", () => { localStorage.setItem("jewelrender-key", keyInput.value); loadPieces(); });
// The key input also fires "change" when it loses focus, e.g. on the click that picks a piece; reloading then
// would replace the buttons between that click's mouse-down and mouse-up and lose the choice.
let loadedKey = null, loads = 0;
function auth() { const k = keyInput.value.trim(); return k ? {"Authorization": "Bearer " + k} : {}; }
function status(t) { $("status").textContent = t; }
function fail(t) { $("error").textContent = t; status(""); }
function update() { $("go").disabled = !(piece && $("photo").files.length); }

async function loadPieces() {
  const key = keyInput.value.trim();
  if (key === loadedKey) return;
  const mine = ++loads;  // only the latest request may draw the list
  const r = await fetch("/v1/pieces", {headers: auth()});
  if (mine !== loads) return;
  if (r.status === 401) { $("keybox").open = true; fail("This service needs an API key: enter it above."); return; }
  if (!r.ok) { fail("Could not load the catalog (" + r.status + ")."); return; }
  const list = await r.json();
  if (mine !== loads) return;
  loadedKey = key; fail("");
  const box = $("pieces"), buttons = [];
  for (const p of list) {
    const b = document.createElement("button");
    b.type = "button"; b.dataset.id = p.id; b.title = p.label;
    b.setAttribute("aria-pressed", String(p.id === piece));  // a reload keeps the choice
    const img = document.createElement("img"); img.src = p.thumbnail_url; img.alt = "";
    b.append(img, document.createTextNode(p.label));
    b.addEventListener("click", () => {
      for (const o of box.children) o.setAttribute("aria-pressed", "false");
      b.setAttribute("aria-pressed", "true"); piece = p.id; update();
    });
    buttons.push(b);
  }
  box.replaceChildren(...buttons);  // in one step: never an empty list under the pointer
}

$("photo").addEventListener("change", () => {
  const f = $("photo").files[0];
  if (f) $("before").src = URL.createObjectURL(f);
  $("compare").style.display = "none"; $("facts").hidden = true; $("slider").hidden = true; fail(""); update();
});
$("slider").addEventListener("input", () => {
  $("after-wrap").style.clipPath = "inset(0 0 0 " + $("slider").value + "%)";
});

function refusal(err) {
  // The library's messages already say what to do; prefix what it means for the customer.
  return "We could not use this photo: " + err.message + " (" + err.code + ")";
}

async function tryOn() {
  fail(""); $("go").disabled = true; status("Uploading...");
  const fd = new FormData();
  fd.append("photo", $("photo").files[0]); fd.append("piece", piece); fd.append("quality", $("quality").value);
  let r = await fetch("/v1/try-ons", {method: "POST", body: fd, headers: {...auth(), "Prefer": "wait=25"}});
  let job = await r.json();
  if (!r.ok && r.status !== 202) { update(); return fail(job.error ? refusal(job.error) : "Error " + r.status); }
  while (job.status === "queued" || job.status === "running") {
    status(job.status === "queued" ? "Waiting in line (" + (job.queue_position || 1) + ")..." : "Rendering...");
    await new Promise((ok) => setTimeout(ok, 1000));
    r = await fetch("/v1/try-ons/" + job.id, {headers: auth()}); job = await r.json();
  }
  update();
  if (job.status !== "succeeded") return fail(job.error ? refusal(job.error) : "The try-on was " + job.status + ".");
  status("Downloading the result...");
  const img = await fetch(job.image_url, {headers: auth()});
  $("after").src = URL.createObjectURL(await img.blob());
  await $("after").decode();
  const pl = job.report.placement, sc = job.report.score;
  $("score").textContent = sc.score.toFixed(2);
  $("size").textContent = "US " + pl.ring_size_us + " (" + pl.inner_diameter_mm.toFixed(1) + " mm)";
  $("compare").style.display = "inline-block"; $("facts").hidden = false; $("slider").hidden = false;
  status("Drag the slider to compare before and after.");
  document.body.dataset.state = "done";
}
$("go").addEventListener("click", () => tryOn().catch((e) => { update(); fail("Network error: " + e); }));
loadPieces();
</script>
</body>
</html>
"""
