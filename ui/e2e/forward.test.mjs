// Forwarding in a real browser: `logbook serve --forward` to a downstream started here (on loopback)
// that refuses some events at first. The Live view shows each row's forwarding state (delivered, or
// the next retry) and follows it without a reload as the retries go through; Status lists the
// downstream's outbox. Screenshots in target/e2e/. Run with `npm run e2e` after
// `cargo build -p logbook-cli` and `npm run build`.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { createServer } from "node:http";
import { mkdtempSync, writeFileSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { launchBrowser, logbook, root, samples, startServe } from "./harness.mjs";

const shots = join(root, "target/e2e");
const secret = "purple unicorn";

let dir, downstream, downstreamUrl, serve, browser, page;
/** While true, the downstream answers 503 to every even event id. */
let refuseEven = true;
const received = [];

before(async () => {
  dir = mkdtempSync(join(tmpdir(), "logbook-e2e-forward-"));
  mkdirSync(shots, { recursive: true });
  writeFileSync(join(dir, "secret"), secret);
  downstream = createServer((req, res) => {
    const event = Number(req.headers["x-logbook-event"]);
    req.resume();
    req.on("end", () => {
      received.push({ event, team: req.headers["x-team"] });
      const refuse = refuseEven && event % 2 === 0;
      res.writeHead(refuse ? 503 : 200, { "Content-Type": "text/plain" });
      res.end(refuse ? "busy" : "ok");
    });
  });
  await new Promise((r) => downstream.listen(0, "127.0.0.1", r));
  downstreamUrl = `http://127.0.0.1:${downstream.address().port}/in`;
  serve = await startServe(join(dir, "f.db"), join(dir, "secret"), "127.0.0.1:0", [
    "--forward", `${downstreamUrl}=none`,
    "--forward-header", downstreamUrl, "X-Team: e2e",
    "--forward-parallel", downstreamUrl, "4",
  ]);
  execFileSync(logbook, ["send", "--url", serve.receiverUrl, "--secret-file", join(dir, "secret"), samples], {
    stdio: ["ignore", "ignore", "inherit"],
  });
  browser = await launchBrowser();
  page = await browser.newPage({ viewport: { width: 1400, height: 800 } });
  await page.goto(serve.openUrl);
});

after(async () => {
  await browser?.close();
  serve?.child.kill("SIGTERM");
  downstream?.close();
});

test("each Live row shows its forwarding state and follows it as retries go through", async () => {
  await page.goto(`${serve.uiBase}/#/live`);
  const states = page.locator('[data-testid="row-forwarding"]');
  // Every stored sample is forwarded: odd ids delivered, even ids waiting for their retry.
  await page.waitForFunction(() => {
    const texts = [...document.querySelectorAll('[data-testid="row-forwarding"]')].map((e) => e.textContent);
    return texts.includes("delivered") && texts.some((t) => t.startsWith("retry "));
  });
  const texts = await states.allTextContents();
  const stored = new Set(received.map((r) => r.event)).size;
  assert.equal(texts.length, stored, `a state on each forwarded row: ${texts.join(", ")}`);
  assert.equal(texts.filter((t) => t === "delivered").length, Math.ceil(stored / 2), texts.join(", "));
  assert.equal(texts.filter((t) => /^retry \d\d:\d\d:\d\d$/.test(t)).length, Math.floor(stored / 2), texts.join(", "));
  assert.ok(received.every((r) => r.team === "e2e"), "every delivery carries the extra header");
  await page.screenshot({ path: join(shots, "forward-live-retrying.png") });

  // The downstream takes everything now: the rows turn delivered without a reload.
  refuseEven = false;
  await page.waitForFunction(
    () => [...document.querySelectorAll('[data-testid="row-forwarding"]')].every((e) => e.textContent === "delivered"),
    null,
    { timeout: 20_000 },
  );
  await page.screenshot({ path: join(shots, "forward-live-delivered.png") });

  // The detail lists the attempts of a retried event (the newest has an even id): 503, then 200.
  const newest = Math.max(...received.map((r) => r.event));
  assert.equal(newest % 2, 0);
  await page.locator('[data-testid="row"]').first().click();
  const panel = page.locator('[data-testid="side-panel"] .deliveries');
  await panel.waitFor();
  const detail = await panel.textContent();
  assert.match(detail, /delivered/, detail);
  assert.match(detail, /503[\s\S]*busy[\s\S]*200/, detail);
  await page.screenshot({ path: join(shots, "forward-live-detail.png") });
});

test("Status lists the downstream's outbox", async () => {
  await page.goto(`${serve.uiBase}/#/status`);
  const row = page.locator('[data-testid="forwarding-row"]');
  await row.waitFor();
  const text = await row.textContent();
  const stored = new Set(received.map((r) => r.event)).size;
  assert.equal(text, `${stored} delivered · 0 waiting · 0 given up`);
  assert.ok((await page.locator('[data-testid="forwarding"] dt').textContent()) === downstreamUrl);
  await page.locator('[data-testid="forwarding"]').screenshot({ path: join(shots, "forward-status.png") });
});
