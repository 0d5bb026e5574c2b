// Replay with an edit, end to end in the browser: the event view's editor refuses a body that is not
// JSON (saying where), sends the edited body to a downstream the test runs (which verifies the JWT
// with the endpoint's secret), shows and keeps the answer as text; a replay to Logbook's own
// receiver is stored as a new event marked as a replay, and Compare shows the one path edited.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { execFileSync } from "node:child_process";
import { createServer } from "node:http";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { launchBrowser, logbook, samples, startServe } from "./harness.mjs";

const SECRET = "purple unicorn";
let dir, serve, browser, page, downstream, downstreamUrl;
const received = [];

/** Whether `authorization` is an HS256 JWT signed with `secret` (as Watson signs). */
function signedWith(authorization, secret) {
  const [header, claims, signature] = (authorization ?? "").split(".");
  if (!signature) return false;
  const expected = createHmac("sha256", secret).update(`${header}.${claims}`).digest("base64url");
  return expected === signature;
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), "logbook-replay-"));
  const db = join(dir, "r.db");
  const secret = join(dir, "secret");
  writeFileSync(secret, SECRET);
  serve = await startServe(db, secret);
  execFileSync(logbook, ["send", "--url", `${serve.receiverUrl}/`, "--secret-file", secret, samples]);
  downstream = createServer((req, res) => {
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => {
      received.push({ headers: req.headers, body: Buffer.concat(chunks).toString("utf8") });
      res.writeHead(201, { "Content-Type": "text/html", "X-Downstream": "seen" });
      res.end("<b>accepted</b> by the downstream");
    });
  });
  await new Promise((r) => downstream.listen(0, "127.0.0.1", r));
  downstreamUrl = `http://127.0.0.1:${downstream.address().port}/watson-logs`;
  browser = await launchBrowser();
  page = await (await browser.newContext({ viewport: { width: 1280, height: 1000 } })).newPage();
  await page.goto(serve.openUrl);
  await page.waitForURL((u) => !u.searchParams.has("token"));
});

after(async () => {
  await browser?.close();
  serve?.child.kill("SIGTERM");
  downstream?.close();
});

/** The event number of the call record that ended with the caller hanging up. */
async function hangupCallId() {
  const res = await page.request.get(`${serve.uiBase}/api/events?q=${encodeURIComponent("kind:call")}`);
  assert.equal(res.status(), 200);
  for (const row of (await res.json()).items) {
    const e = await (await page.request.get(`${serve.uiBase}/api/events/${row.id}`)).json();
    if (e.body?.payload?.call?.end_reason === "caller_hangup") return e.id;
  }
  throw new Error("no caller_hangup call record");
}

async function openReplay(id, to) {
  await page.goto(`${serve.uiBase}/#/events/${id}`);
  await page.getByRole("button", { name: "Replay…" }).click();
  await page.locator("input[type='url']").fill(to);
}

/** The Live list's column headers. */
function liveHeads() {
  return page.locator(".list-head [role='columnheader']").allTextContents();
}

test("Live leaves out the Forwarded and Replay columns while nothing was forwarded or replayed", async () => {
  await page.goto(`${serve.uiBase}/#/live`);
  await page.locator("[data-testid='row']").first().waitFor();
  // The store's totals have come when the list settles; nothing forwards or replays here yet.
  await page.waitForFunction(() => document.querySelectorAll(".list-head [role='columnheader']").length > 0);
  const heads = await liveHeads();
  assert.ok(!heads.includes("Forwarded") && !heads.includes("Replay"), heads.join(", "));
  assert.ok(heads.includes("Summary"), heads.join(", "));
  await page.screenshot({ path: join(dir, "live-no-replays.png") });
});

test("a replay edited in the browser reaches the downstream signed with the endpoint's secret, and its answer is kept", async () => {
  const id = await hangupCallId();
  await openReplay(id, downstreamUrl);
  const body = page.getByLabel("Body to send");
  const send = page.getByRole("button", { name: "Send", exact: true });
  const original = await body.inputValue();
  assert.ok(original.includes('"end_reason": "caller_hangup"'));

  // Not JSON: Send is disabled and the page says where.
  await body.fill(original.replace('"end_reason": "caller_hangup"', '"end_reason": '));
  await page.locator("[data-testid='json-problem']").waitFor();
  const where = original.split("\n").findIndex((l) => l.includes('"end_reason"')) + 1;
  assert.match(await page.locator("[data-testid='json-problem']").textContent(), new RegExp(`line ${where}, column \\d+`));
  assert.equal(await send.isDisabled(), true);
  assert.equal(received.length, 0);

  await body.fill(original.replace('"end_reason": "caller_hangup"', '"end_reason": "failed"'));
  assert.equal(await page.locator("[data-testid='json-problem']").count(), 0);
  await send.click();
  const answer = page.locator("[data-testid='replay-answer']").first();
  await answer.waitFor();
  const shown = await answer.textContent();
  assert.match(shown, /201/);
  assert.match(shown, /x-downstream/i);
  assert.ok(shown.includes("<b>accepted</b> by the downstream"), `the answer is shown as text: ${shown}`);
  assert.equal(await answer.locator("b").count(), 0, "the answer's markup is not rendered");

  assert.equal(received.length, 1);
  const got = received[0];
  assert.ok(signedWith(got.headers.authorization, SECRET), "the JWT verifies with the endpoint's secret");
  assert.ok(!signedWith(got.headers.authorization, "another secret"));
  assert.equal(got.headers["x-logbook-replay-of"], String(id));
  assert.equal(JSON.parse(got.body).payload.call.end_reason, "failed");

  // Kept: after a reload the event lists the replay with its answer and the edited body.
  await page.reload();
  const kept = page.locator("[data-testid='replay']");
  await kept.first().waitFor();
  assert.equal(await kept.count(), 1);
  const summary = await kept.first().locator("summary").textContent();
  assert.ok(summary.includes(downstreamUrl) && summary.includes("201") && summary.includes("edited"), summary);
});

test("a replay to Logbook's own receiver is stored as a marked event, and Compare shows the one path edited", async () => {
  const id = await hangupCallId();
  await openReplay(id, `${serve.receiverUrl}/`);
  const body = page.getByLabel("Body to send");
  const original = await body.inputValue();
  await body.fill(original.replace('"end_reason": "caller_hangup"', '"end_reason": "failed"'));
  await page.getByRole("button", { name: "Send", exact: true }).click();
  const answer = page.locator("[data-testid='replay-answer']").first();
  await answer.waitFor();
  const stored = JSON.parse(await answer.locator("pre").textContent());
  assert.equal(stored.status, "stored", "a replay is never a duplicate of its original");

  await page.goto(`${serve.uiBase}/#/events/${stored.id}`);
  await page.getByRole("link", { name: "Compare with original" }).click();
  await page.waitForURL((u) => u.hash.startsWith("#/compare"));
  await page.locator("[data-testid='change']").first().waitFor();
  assert.equal(await page.locator("[data-testid='change']").count(), 1);
  const row = await page.locator("[data-testid='change']").textContent();
  assert.ok(row.includes("payload.call.end_reason") && row.includes('"caller_hangup"') && row.includes('"failed"'), row);
  await page.screenshot({ path: join(dir, "compare.png"), fullPage: true });
  await page.goto(`${serve.uiBase}/#/events/${id}`);
  await page.getByRole("button", { name: "Replay…" }).click();
  await page.screenshot({ path: join(dir, "replay.png"), fullPage: true });

  // Live shows both sides: the stored replay names its original, the original counts its replays
  // (one to the downstream in the test before, one here).
  await page.setViewportSize({ width: 1920, height: 1000 });
  await page.goto(`${serve.uiBase}/#/live`);
  const notes = page.locator("[data-testid='row-replay']");
  await page.waitForFunction(() => document.querySelectorAll("[data-testid='row-replay']").length >= 2);
  const texts = await notes.allTextContents();
  assert.ok(texts.includes(`of #${id}`), texts.join(", "));
  assert.ok(texts.includes("sent 2×"), texts.join(", "));
  const heads = await liveHeads();
  assert.ok(heads.includes("Replay"), heads.join(", "));
  assert.ok(!heads.includes("Forwarded"), `nothing was forwarded: ${heads.join(", ")}`);
  await page.screenshot({ path: join(dir, "live-replays.png") });
  console.log(`screenshots in ${dir}`);
});
