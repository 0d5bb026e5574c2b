// A free-text search shows where each row matched (the words marked), and opening a conversation
// from such a row opens it at the matching turn, highlighted and in view.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { generate, launchBrowser, logbook, samples, startServe } from "./harness.mjs";

let serve, browser, page;

before(async () => {
  const dir = mkdtempSync(join(tmpdir(), "logbook-hits-"));
  const db = join(dir, "l.db");
  const secret = join(dir, "secret");
  writeFileSync(secret, "purple unicorn");
  generate(db, 400);
  serve = await startServe(db, secret);
  execFileSync(logbook, ["send", "--url", `${serve.receiverUrl}/`, "--secret-file", secret, samples]);
  browser = await launchBrowser();
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  page = await context.newPage();
  await page.goto(serve.openUrl);
  await page.waitForURL((u) => !u.searchParams.has("token"));
});

after(async () => {
  await browser?.close();
  serve?.child.kill("SIGTERM");
});

test("a searched word is marked in its row; the conversation opens at the matching turn", async () => {
  await page.goto(`${serve.uiBase}/#/conversations`);
  await page.locator("[data-testid='row']").first().waitFor();
  await page.locator("[data-testid='search']").fill("RESTOCKING fee");
  await page.locator("[data-testid='search']").press("Enter");
  const snippet = page.locator("[data-testid='row'] [data-testid='hit-snippet']").first();
  await snippet.waitFor();
  const marked = (await snippet.locator("mark").allTextContents()).map((t) => t.toLowerCase());
  assert.deepEqual(marked, ["restocking", "fee"]);
  const row = page.locator("[data-testid='row']").filter({ has: page.locator("mark") }).first();
  // What the toolbar above the list shows (the count once it is known, a "new requests arrived"
  // notice) can move the rows between Playwright's position check and its mouse click, which then
  // lands beside the row (it failed so once in CI): the click is dispatched on this row's element,
  // to the same handler.
  await row.dispatchEvent("click");
  await page.waitForURL((u) => u.hash.startsWith("#/conversations/") && u.hash.includes("turn="));
  const turn = new URL(page.url()).hash.match(/turn=(\d+)/)[1];
  const highlighted = page.locator("[data-testid='turn'][aria-current='true']");
  await highlighted.waitFor();
  assert.match(await highlighted.locator(".turn-number").textContent(), new RegExp(`#${turn}\\b`));
  assert.match((await highlighted.textContent()).toLowerCase(), /restocking fee/);
  // In view: the highlighted turn is inside the window.
  await page.waitForFunction(() => {
    const r = document.querySelector("[data-testid='turn'][aria-current='true']").getBoundingClientRect();
    return r.bottom > 0 && r.top < window.innerHeight;
  });
  await page.screenshot({ path: join(tmpdir(), "logbook-hit-turn.png") });
});
