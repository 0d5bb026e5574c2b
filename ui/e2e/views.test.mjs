// Each list keeps its own search and time range; a view without a list is not moved by them; and
// an open tab survives `logbook serve` stopping and starting again, saying what to do meanwhile.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { launchBrowser, logbook, samples, startServe, valueBecomes } from "./harness.mjs";

let dir, db, secret, serve, browser, context, page;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), "logbook-views-"));
  db = join(dir, "l.db");
  secret = join(dir, "secret");
  writeFileSync(secret, "purple unicorn");
  serve = await startServe(db, secret);
  execFileSync(logbook, ["send", "--url", `${serve.receiverUrl}/`, "--secret-file", secret, samples]);
  browser = await launchBrowser();
  context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  page = await context.newPage();
  await page.goto(serve.openUrl);
  await page.waitForURL((u) => !u.searchParams.has("token"));
});

after(async () => {
  await browser?.close();
  serve?.child.kill("SIGTERM");
});

test("each list keeps its own search and range; Custom data is not moved by them", async () => {
  await page.goto(`${serve.uiBase}/#/calls`);
  await page.locator("[data-testid='row']").first().waitFor();
  await page.locator("[data-testid='search']").fill("failed:true");
  await page.locator("[data-testid='search']").press("Enter");
  await page.waitForFunction(() => document.querySelectorAll("[data-testid='row']").length === 1);

  await page.locator("[data-testid='tab-conversations']").click();
  await page.waitForURL((u) => u.hash.startsWith("#/conversations"));
  await page.locator("[data-testid='row']").first().waitFor();
  await valueBecomes(page, "[data-testid='search']", "", "Conversations has its own (empty) search");
  await page.locator("[data-testid='time-range']").selectOption("7d");
  await page.waitForURL((u) => u.hash.startsWith("#/conversations") && u.hash.includes("range=7d"));

  await page.locator("[data-testid='tab-calls']").click();
  await page.waitForURL((u) => u.hash.startsWith("#/calls"));
  await valueBecomes(page, "[data-testid='search']", "failed:true", "Calls keeps its own search");
  await valueBecomes(page, "[data-testid='time-range']", "", "the range chosen on Conversations stays there");

  await page.locator("[data-testid='tab-custom']").click();
  await page.waitForURL((u) => u.hash.startsWith("#/custom"));
  assert.equal(await page.locator("[data-testid='time-range']").isDisabled(), true);
  assert.equal(await page.locator("[data-testid='search']").isDisabled(), true);
});

test("serve stopped: the tab says Logbook is not running; restarted: it says how to sign in, then works again", async () => {
  await page.goto(`${serve.uiBase}/#/live`);
  await page.locator("[data-testid='live-badge'][data-state='live']").waitFor({ timeout: 10_000 });
  const uiPort = new URL(serve.uiBase).port;

  serve.child.kill("SIGTERM");
  await new Promise((r) => serve.child.once("exit", r));
  const banner = page.locator("[data-testid='connection-banner']");
  await page.locator("[data-testid='connection-banner'][data-state='down']").waitFor({ timeout: 15_000 });
  const down = await banner.textContent();
  assert.match(down, /Logbook is not running at http:\/\/127\.0\.0\.1:\d+/);
  assert.match(down, /logbook serve/);
  assert.ok(!down.includes("Failed to fetch") && !down.includes("`"), down);

  serve = await startServe(db, secret, `127.0.0.1:${uiPort}`);
  await page.locator("[data-testid='connection-banner'][data-state='signed_out']").waitFor({ timeout: 15_000 });
  const signedOut = await banner.textContent();
  assert.match(signedOut, new RegExp(`open http://127\\.0\\.0\\.1:${uiPort}/\\?token=…`));
  assert.equal(await page.locator("[data-testid='live-badge']").getAttribute("data-state"), "signed_out");

  // The new address opened in another tab signs the browser in: this tab recovers by itself.
  const other = await context.newPage();
  await other.goto(serve.openUrl);
  await other.waitForURL((u) => !u.searchParams.has("token"));
  await page.locator("[data-testid='live-badge'][data-state='live']").waitFor({ timeout: 15_000 });
  assert.equal(await banner.count(), 0);
  await page.locator("[data-testid='row']").first().waitFor();
  await other.close();
});
