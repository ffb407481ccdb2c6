// Loads the clipkit web page in headless chromium, runs a text search, an image search
// (file input) and "more like this", and checks what the page shows against the CLI.
// Then, on a server with --token, the page opened at /#token=T: the token leaves the
// address bar, travels only in the Authorization header, and thumbnails still load.
import { spawn, execFileSync } from "node:child_process";
import { mkdtempSync, mkdirSync, copyFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createRequire } from "node:module";

const [clipkit, shared, chromiumPath, nodeModules] = process.argv.slice(2);
const require = createRequire(join(nodeModules, "noop.js"));
const { chromium } = require("playwright-core");

function check(condition, message) {
  if (!condition) throw new Error("check failed: " + message);
}

const work = mkdtempSync(join(tmpdir(), "clipkit-e2e-"));
const photos = join(work, "photos");
mkdirSync(photos);
for (const name of ["rocket.jpg", "chelsea.png", "astronaut.png", "coffee.png", "camera.png", "logo.png"])
  copyFileSync(join(shared, "data/images", name), join(photos, name));
copyFileSync(join(photos, "rocket.jpg"), join(photos, "rocket2.jpg"));
const db = join(work, "p.clipkit");
const model = ["--model", join(shared, "fixtures/models/tiny_quickgelu/open_clip"),
               "--vocab", join(shared, "data/clip/bpe_simple_vocab_16e6.txt.gz")];
execFileSync(clipkit, ["index", "--db", db, photos, "-q", ...model]);
const cli = (args) => JSON.parse(execFileSync(clipkit, ["search", "--db", db, "--json", "-k", "24", ...args]))
  .results.map((r) => ({ name: r.path.split("/").pop(), score: r.score.toFixed(4) }));

const servers = [];
// Starts `clipkit serve` on a free port; resolves to the port.
function serve(extra) {
  const server = spawn(clipkit, ["serve", "--db", db, "--port", "0", ...extra], { stdio: ["ignore", "inherit", "pipe"] });
  servers.push(server);
  return new Promise((resolve, reject) => {
    let err = "";
    server.stderr.on("data", (chunk) => {
      err += chunk;
      const m = err.match(/http:\/\/127\.0\.0\.1:(\d+)\//);
      if (m) resolve(m[1]);
    });
    server.on("exit", (code) => reject(new Error("clipkit serve exited " + code + ": " + err)));
    setTimeout(() => reject(new Error("clipkit serve did not start: " + err)), 30000);
  });
}
let browser;
let failed = false;
try {
  const port = await serve([]);
  // A fresh profile folder each run (playwright passes it as --user-data-dir).
  browser = await chromium.launchPersistentContext(join(work, "profile"), {
    executablePath: chromiumPath,
    headless: true,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
           "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
  const page = await browser.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(e.message));
  await page.goto(`http://127.0.0.1:${port}/`);
  await page.waitForFunction(() => document.getElementById("status").textContent.includes("images indexed"));
  check((await page.textContent("#status")).startsWith("7 images indexed"), "stats line: " + await page.textContent("#status"));

  const shown = async () => page.$$eval(".hit", (cards) => cards.map((c) => ({
    name: c.querySelector(".name").textContent,
    score: c.querySelector(".score").textContent.split("· ")[1],
    loaded: c.querySelector("img").complete && c.querySelector("img").naturalWidth > 0,
  })));
  const same = (a, b) => JSON.stringify(a.map(({ name, score }) => ({ name, score }))) === JSON.stringify(b);

  // Text search: the grid equals the CLI's ranking and scores.
  await page.fill("#query", "a rocket on the launch pad");
  await page.press("#query", "Enter");
  await page.waitForFunction(() => document.getElementById("status").textContent.includes("results for “a rocket"));
  const text = await shown();
  const textExpected = cli(["a rocket on the launch pad"]);
  check(text.length === 7, "text search shows 7 results, got " + text.length);
  check(same(text, textExpected), "text results " + JSON.stringify(text) + " vs CLI " + JSON.stringify(textExpected));
  await page.waitForFunction(() => [...document.querySelectorAll(".hit img")].every((i) => i.complete && i.naturalWidth > 0));

  // Image search through the file input: the rocket and its copy first, at score 1.
  await page.setInputFiles("#file", join(photos, "rocket.jpg"));
  await page.waitForFunction(() => document.getElementById("status").textContent.includes("results for image rocket.jpg"));
  const image = await shown();
  check(["rocket.jpg", "rocket2.jpg"].every((n) => image.slice(0, 2).some((h) => h.name === n)), "image search top 2: " + JSON.stringify(image));
  check(image[0].score === "1.0000" && image[1].score === "1.0000", "image search scores: " + JSON.stringify(image.slice(0, 2)));
  check(same(image.slice(2), cli(["--image", join(photos, "rocket.jpg")]).slice(2)), "image search order vs CLI");

  // More like this on chelsea.png: itself left out, as the CLI's --like.
  const index = image.findIndex((h) => h.name === "chelsea.png");
  await page.locator(".hit .more").nth(index).click();
  await page.waitForFunction(() => document.getElementById("status").textContent.includes("images like chelsea.png"));
  const like = await shown();
  const likeExpected = cli(["--like", join(photos, "chelsea.png")]);
  check(like.length === 6 && !like.some((h) => h.name === "chelsea.png"), "more like this: " + JSON.stringify(like));
  check(same(like, likeExpected), "more like this vs CLI: " + JSON.stringify(like) + " vs " + JSON.stringify(likeExpected));

  // An error is shown, not thrown.
  await page.fill("#query", "   x");
  await page.setInputFiles("#file", { name: "bad.png", mimeType: "image/png", buffer: Buffer.from("not an image") });
  await page.waitForFunction(() => document.getElementById("status").className === "error");
  check(errors.length === 0, "page errors: " + errors.join("; "));

  // With a token: given in the fragment, kept out of URLs, sent as a header.
  const token = "e2e-s3cret";
  const tokenPort = await serve(["--token", token]);
  const guarded = await browser.newPage();
  guarded.on("pageerror", (e) => errors.push(e.message));
  const requested = [];
  guarded.on("request", (r) => requested.push(r.url()));
  await guarded.goto(`http://127.0.0.1:${tokenPort}/#token=${token}`);
  await guarded.waitForFunction(() => document.getElementById("status").textContent.includes("images indexed"));
  check(!guarded.url().includes(token), "the token left the address bar: " + guarded.url());
  await guarded.fill("#query", "a rocket on the launch pad");
  await guarded.press("#query", "Enter");
  await guarded.waitForFunction(() => document.getElementById("status").textContent.includes("results for “a rocket"));
  await guarded.waitForFunction(() => [...document.querySelectorAll(".hit img")].every((i) => i.complete && i.naturalWidth > 0));
  check((await guarded.$$(".hit img")).length === 7, "token page shows 7 thumbnails");
  check(!requested.some((u) => u.includes(token)), "no request URL carries the token: " + requested.join(" "));
  const inUrl = await guarded.evaluate((t) => fetch("/api/stats?token=" + t).then((r) => r.status), token);
  check(inUrl === 401, "a token in the URL is refused, got HTTP " + inUrl);
  check(errors.length === 0, "page errors: " + errors.join("; "));
  console.log(`e2e: ok — text search (${text.length} results), image search, more like this, error display, token`);
} catch (e) {
  failed = true;
  console.error("e2e: FAILED: " + (e.stack || e));
} finally {
  if (browser) await browser.close();
  for (const server of servers) server.kill("SIGTERM");
  rmSync(work, { recursive: true, force: true });
}
process.exit(failed ? 1 : 0);
