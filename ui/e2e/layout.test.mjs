// Layout at the widths people use (900, 1280, 1440, 1920), in the light and the dark theme, over a
// store filled by `logbook generate` plus the samples: no row scrolls or spills sideways, no badge
// is cut, the facets open as a drawer on a narrow window, and columns can be hidden and resized.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { contrastProblems } from "./contrast.mjs";
import { VIEWS, generate, launchBrowser, logbook, samples, startServe } from "./harness.mjs";

export const WIDTHS = [900, 1280, 1440, 1920];

let dir, serve, browser;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), "logbook-layout-"));
  const db = join(dir, "l.db");
  writeFileSync(join(dir, "secret"), "purple unicorn");
  generate(db, 3_000);
  serve = await startServe(db, join(dir, "secret"));
  execFileSync(logbook, ["send", "--url", `${serve.receiverUrl}/`, "--secret-file", join(dir, "secret"), samples]);
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  serve?.child.kill("SIGTERM");
});

/** A page at `width` in `theme`, past the token. */
async function openPage(width, theme = "light") {
  const context = await browser.newContext({ viewport: { width, height: 900 }, colorScheme: theme });
  const page = await context.newPage();
  await page.goto(serve.openUrl);
  await page.waitForURL((u) => !u.searchParams.has("token"));
  return page;
}

/** What is wrong with the layout on screen: sideways scrolling, rows spilling, badges cut. */
function layoutProblems() {
  const problems = [];
  const doc = document.documentElement;
  if (doc.scrollWidth > window.innerWidth + 1) problems.push(`the page scrolls sideways (${doc.scrollWidth} px)`);
  for (const list of document.querySelectorAll("[data-testid='list']")) {
    if (list.scrollWidth > list.clientWidth + 1) problems.push(`a list scrolls sideways (${list.scrollWidth} > ${list.clientWidth})`);
    const edge = list.getBoundingClientRect().right;
    for (const row of list.querySelectorAll("[data-testid='row'], .list-head")) {
      for (const cell of row.children) {
        const right = cell.getBoundingClientRect().right;
        if (right > edge + 1) problems.push(`a cell of "${row.textContent.slice(0, 40)}" ends at ${right} past ${edge}`);
      }
    }
  }
  for (const badge of document.querySelectorAll(".badge")) {
    if (!badge.getClientRects().length) continue;
    const b = badge.getBoundingClientRect();
    if (badge.scrollWidth > badge.clientWidth + 1) problems.push(`badge "${badge.textContent}" cuts its text`);
    for (let el = badge.parentElement; el && el !== document.body; el = el.parentElement) {
      if (getComputedStyle(el).overflowX === "visible") continue;
      const a = el.getBoundingClientRect();
      if (b.left < a.left - 1 || b.right > a.right + 1) {
        problems.push(`badge "${badge.textContent}" is cut by .${el.className}`);
        break;
      }
    }
  }
  return problems;
}

for (const width of WIDTHS) {
  test(`at ${width} px no row spills sideways and no badge is cut, in every view`, async () => {
    const page = await openPage(width);
    for (const [name, hash, ready] of VIEWS) {
      await page.goto(`${serve.uiBase}/${hash}`);
      await page.locator(ready).first().waitFor();
      await page.waitForTimeout(150);
      assert.deepEqual(await page.evaluate(layoutProblems), [], `${name} at ${width}`);
    }
    // Live with a request open beside the list.
    await page.goto(`${serve.uiBase}/#/live`);
    await page.locator("[data-testid='row']").first().click();
    await page.locator("[data-testid='side-panel']").waitFor();
    assert.deepEqual(await page.evaluate(layoutProblems), [], `live with its side panel at ${width}`);
    await page.context().close();
  });
}

test("at 1280 the caller number is whole and the free-text column takes the room left", async () => {
  const page = await openPage(1280);
  await page.goto(`${serve.uiBase}/#/calls`);
  await page.locator("[data-testid='row']").first().waitFor();
  const cut = await page.evaluate(() => {
    const heads = [...document.querySelectorAll(".list-head [role='columnheader']")].map((h) => h.textContent);
    const caller = heads.indexOf("Caller");
    return [...document.querySelectorAll("[data-testid='row']")]
      .map((r) => r.children[caller])
      .filter((c) => c.scrollWidth > c.clientWidth + 1)
      .map((c) => c.textContent);
  });
  assert.deepEqual(cut, [], "caller numbers cut");
  // Live's summary keeps room beside the side panel.
  await page.goto(`${serve.uiBase}/#/live`);
  await page.locator("[data-testid='row']").first().click();
  await page.locator("[data-testid='side-panel']").waitFor();
  const summary = await page.evaluate(() => {
    const heads = [...document.querySelectorAll(".list-head [role='columnheader']")];
    return heads.find((h) => h.textContent === "Summary").getBoundingClientRect().width;
  });
  assert.ok(summary >= 280, `Summary is ${summary} px wide beside the side panel`);
  await page.context().close();
});

test("at 900 the facets open as a drawer and a click in them filters", async () => {
  const page = await openPage(900);
  await page.goto(`${serve.uiBase}/#/calls`);
  await page.locator("[data-testid='row']").first().waitFor();
  assert.equal(await page.locator("[data-testid='facets']").isVisible(), false);
  await page.locator("[data-testid='facets-toggle']").click();
  await page.locator("[data-testid='facets']").waitFor({ state: "visible" });
  await page.locator("[data-testid='facet-failed-true']").click();
  await page.waitForURL((u) => decodeURIComponent(u.hash).includes("failed:true"));
  await page.locator("[data-testid='facets-close']").click();
  assert.equal(await page.locator("[data-testid='facets']").isVisible(), false);
  await page.context().close();
});

test("a column can be hidden and resized, and stays so after a reload", async () => {
  const page = await openPage(1440);
  await page.goto(`${serve.uiBase}/#/calls`);
  await page.locator("[data-testid='row']").first().waitFor();
  const heads = () => page.locator(".list-head [role='columnheader']").allTextContents();
  assert.ok((await heads()).includes("Warnings"));
  await page.locator("[data-testid='columns-menu']").click();
  await page.locator("[data-testid='column-Warnings']").uncheck();
  assert.ok(!(await heads()).includes("Warnings"));

  const caller = page.locator(".list-head [role='columnheader']", { hasText: "Caller" });
  const before = (await caller.boundingBox()).width;
  const handle = (await page.locator("[data-testid='resize-Caller']").boundingBox());
  await page.mouse.move(handle.x + handle.width / 2, handle.y + handle.height / 2);
  await page.mouse.down();
  await page.mouse.move(handle.x + 80, handle.y + handle.height / 2, { steps: 4 });
  await page.mouse.up();
  const after = (await caller.boundingBox()).width;
  assert.ok(Math.abs(after - before - 80) <= 4, `Caller went from ${before} to ${after} px`);

  await page.reload();
  await page.locator("[data-testid='row']").first().waitFor();
  assert.ok(!(await heads()).includes("Warnings"), "hidden after a reload");
  const reloaded = (await page.locator(".list-head [role='columnheader']", { hasText: "Caller" }).boundingBox()).width;
  assert.ok(Math.abs(reloaded - after) <= 2, `Caller is ${reloaded} px after a reload`);
  assert.deepEqual(await page.evaluate(layoutProblems), []);
  await page.context().close();
});

for (const theme of ["light", "dark"]) {
  test(`every text meets WCAG AA contrast in the ${theme} theme`, async () => {
    const page = await openPage(1280, theme);
    const check = async (name) => {
      await page.waitForTimeout(150);
      assert.deepEqual([...new Set(await page.evaluate(contrastProblems))], [], `${name} in the ${theme} theme`);
    };
    for (const [name, hash, ready] of VIEWS) {
      await page.goto(`${serve.uiBase}/${hash}`);
      await page.locator(ready).first().waitFor();
      await check(name);
    }
    // A selected row and a request's body as a JSON tree, and the search help.
    await page.goto(`${serve.uiBase}/#/live`);
    await page.locator("[data-testid='row']").first().click();
    await page.locator("[data-testid='side-panel'] .json-tree").waitFor();
    await check("live with a request open");
    await page.locator("[data-testid='search-help']").click();
    await check("search help");
    // A pressed facet value.
    await page.goto(`${serve.uiBase}/#/calls?q=${encodeURIComponent("failed:true")}`);
    await page.locator("[data-testid='facet-failed-true'][aria-pressed='true']").waitFor();
    await check("calls with a facet on");
    await page.context().close();
  });
}
