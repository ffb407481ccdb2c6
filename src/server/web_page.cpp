#include "server/web_page.hpp"

namespace clipkit::server {

// Plain HTML + script, no framework, no external requests. Results are built with DOM
// calls (textContent), never innerHTML, so file names cannot inject markup.
// The token (when the server has one) comes from the page's fragment, /#token=T, which
// browsers never send to the server; it is kept in sessionStorage and removed from the
// address bar. It only ever travels in the Authorization header: images are fetched with
// it and shown from blob: URLs.
const char* const kWebPage = R"HTML(<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>clipkit search</title>
<style>
  body { font-family: system-ui, sans-serif; margin: 0; background: #f6f6f4; color: #222; }
  header { padding: 16px 24px; background: #fff; border-bottom: 1px solid #ddd; display: flex; gap: 12px; align-items: center; flex-wrap: wrap; }
  h1 { font-size: 18px; margin: 0 12px 0 0; }
  #query { flex: 1; min-width: 240px; font-size: 16px; padding: 8px 10px; border: 1px solid #bbb; border-radius: 6px; }
  button { font-size: 15px; padding: 8px 14px; border-radius: 6px; border: 1px solid #888; background: #fff; cursor: pointer; }
  #drop { border: 2px dashed #aaa; border-radius: 8px; padding: 8px 14px; color: #555; cursor: pointer; }
  #drop.over { background: #e6f0ff; border-color: #36c; }
  #status { padding: 8px 24px; color: #555; font-size: 14px; min-height: 18px; }
  #status.error { color: #b00; }
  #results { display: grid; grid-template-columns: repeat(auto-fill, minmax(180px, 1fr)); gap: 14px; padding: 8px 24px 24px; }
  .hit { background: #fff; border: 1px solid #ddd; border-radius: 8px; overflow: hidden; display: flex; flex-direction: column; }
  .hit img { width: 100%; height: 160px; object-fit: cover; background: #eee; }
  .meta { padding: 6px 8px; font-size: 13px; display: flex; flex-direction: column; gap: 4px; }
  .name { overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
  .score { font-variant-numeric: tabular-nums; color: #333; }
  .more { font-size: 12px; padding: 4px 8px; }
</style>
</head>
<body>
<header>
  <h1>clipkit</h1>
  <form id="form"><input id="query" type="search" placeholder="Describe a picture… (or drop / paste an image)" autofocus></form>
  <button id="go" type="submit" form="form">Search</button>
  <label id="drop">Drop or choose an image<input id="file" type="file" accept="image/*" hidden></label>
</header>
<div id="status"></div>
<div id="results"></div>
<script>
"use strict";
const token = (() => {
  const fromFragment = new URLSearchParams(location.hash.slice(1)).get("token");
  if (fromFragment) {
    sessionStorage.setItem("clipkit-token", fromFragment);
    history.replaceState(null, "", location.pathname + location.search);
  }
  return fromFragment || sessionStorage.getItem("clipkit-token") || "";
})();
const auth = token ? { "Authorization": "Bearer " + token } : {};
let imageUrls = [];
const statusEl = document.getElementById("status");
const resultsEl = document.getElementById("results");
const k = 24;

function setStatus(text, isError) {
  statusEl.textContent = text;
  statusEl.className = isError ? "error" : "";
}

async function call(url, init) {
  const response = await fetch(url, Object.assign({}, init, { headers: Object.assign({}, auth, (init || {}).headers) }));
  const body = await response.json().catch(() => ({ error: { message: "HTTP " + response.status } }));
  if (response.status === 401) throw new Error("This server needs its token: open " + location.origin + "/#token=YOUR_TOKEN");
  if (!response.ok) throw new Error(body.error ? body.error.message : "HTTP " + response.status);
  return body;
}

// With a token, an <img src> could not send it: fetch the bytes with the header instead.
async function loadImage(img, url) {
  if (!token) { img.src = url; return; }
  const response = await fetch(url, { headers: auth });
  if (!response.ok) return;
  const objectUrl = URL.createObjectURL(await response.blob());
  imageUrls.push(objectUrl);
  img.src = objectUrl;
}

function show(body, what) {
  resultsEl.replaceChildren();
  for (const url of imageUrls) URL.revokeObjectURL(url);
  imageUrls = [];
  for (const hit of body.results) {
    const card = document.createElement("div");
    card.className = "hit";
    card.dataset.id = hit.id;
    const img = document.createElement("img");
    img.loading = "lazy";
    img.alt = hit.name;
    loadImage(img, hit.url);
    const meta = document.createElement("div");
    meta.className = "meta";
    const name = document.createElement("span");
    name.className = "name";
    name.textContent = hit.name;
    name.title = hit.path;
    const score = document.createElement("span");
    score.className = "score";
    score.textContent = "#" + hit.rank + " · " + hit.score.toFixed(4);
    const more = document.createElement("button");
    more.className = "more";
    more.textContent = "More like this";
    more.addEventListener("click", () => like(hit.id, hit.name));
    meta.append(name, score, more);
    card.append(img, meta);
    resultsEl.append(card);
  }
  let line = body.results.length + " results for " + what + " (" + body.took_ms.toFixed(1) + " ms)";
  if (body.partial)
    line += " \u2014 PARTIAL: shard(s) " + body.missing.join(", ") + " of " + body.shards + " did not answer";
  setStatus(line);
}

async function run(what, promise) {
  setStatus("Searching " + what + "…");
  try { show(await promise, what); } catch (e) { resultsEl.replaceChildren(); setStatus(e.message, true); }
}

function searchText(text) {
  if (!text.trim()) return;
  run("“" + text + "”", call("/api/search", { method: "POST", headers: { "Content-Type": "application/json" },
                                              body: JSON.stringify({ text: text, k: k }) }));
}
function searchImage(file) {
  run("image " + (file.name || "pasted"), call("/api/search/image?k=" + k, { method: "POST",
      headers: { "Content-Type": file.type || "application/octet-stream" }, body: file }));
}
function like(id, name) {
  run("images like " + name, call("/api/search", { method: "POST", headers: { "Content-Type": "application/json" },
                                                   body: JSON.stringify({ like: id, k: k }) }));
}

document.getElementById("form").addEventListener("submit", (e) => { e.preventDefault(); searchText(document.getElementById("query").value); });
document.getElementById("file").addEventListener("change", (e) => { if (e.target.files[0]) searchImage(e.target.files[0]); });
const drop = document.getElementById("drop");
for (const t of ["dragenter", "dragover"]) document.addEventListener(t, (e) => { e.preventDefault(); drop.classList.add("over"); });
for (const t of ["dragleave", "drop"]) document.addEventListener(t, () => drop.classList.remove("over"));
document.addEventListener("drop", (e) => {
  e.preventDefault();
  const file = [...(e.dataTransfer ? e.dataTransfer.files : [])].find((f) => f.type.startsWith("image/"));
  if (file) searchImage(file);
});
document.addEventListener("paste", (e) => {
  const item = [...(e.clipboardData ? e.clipboardData.items : [])].find((i) => i.type.startsWith("image/"));
  if (item) { e.preventDefault(); searchImage(item.getAsFile()); }
});
call("/api/stats").then((s) => setStatus(s.vectors + " images indexed" + (s.model ? " · " + s.model.description : "")))
  .catch((e) => setStatus(e.message, true));
</script>
</body>
</html>
)HTML";

}  // namespace clipkit::server
