// The Trends view end to end: a real `logbook serve` fed with generated traffic (`logbook
// generate --output`, sent with `logbook send`), Debian's Chromium through playwright-core.
// Opens Trends, checks its totals against the traffic sent, clicks a slice of the end-reason chart
// and lands on the calls list filtered to it; takes screenshots in both themes (target/e2e/).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn, execFileSync } from "node:child_process";
import { mkdtempSync, writeFileSync, mkdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { createInterface } from "node:readline";
import { chromium } from "playwright-core";

const root = resolve(import.meta.dirname, "../..");
const logbook = process.env.LOGBOOK_BIN ?? join(root, "target/debug/logbook");
const shots = join(root, "target/e2e");
const secret = "purple unicorn";

let dir, serve, receiverUrl, openUrl, browser, page;
const consoleErrors = [];
/** Every call sent: its start (ms) and end reason, to count those in the view's range. */
const sentCalls = [];
const WEEK_MS = 7 * 24 * 3600 * 1000;

function callsSince(since) {
  const reasons = new Map();
  let n = 0;
  for (const c of sentCalls) {
    if (c.start < since) continue;
    n++;
    reasons.set(c.reason, (reasons.get(c.reason) ?? 0) + 1);
  }
  return { n, reasons };
}
let endReasons = new Map();

before(async () => {
  dir = mkdtempSync(join(tmpdir(), "logbook-e2e-trends-"));
  writeFileSync(join(dir, "secret"), secret);
  mkdirSync(shots, { recursive: true });
  serve = spawn(
    logbook,
    ["serve", "--db", join(dir, "l.db"), "--listen", "127.0.0.1:0", "--ui-listen", "127.0.0.1:0",
     "--secret-file", join(dir, "secret"), "--quiet"],
    { stdio: ["ignore", "pipe", "inherit"] },
  );
  for await (const line of createInterface({ input: serve.stdout })) {
    const endpoint = line.match(/endpoint\s+POST (http:\/\/\S+?)\/ /);
    if (endpoint) receiverUrl = endpoint[1];
    const open = line.match(/open\s+(http:\/\/\S+)/);
    if (open) openUrl = open[1];
    if (line.startsWith("Ctrl-C stops")) break;
  }
  assert.ok(receiverUrl && openUrl, "serve printed its URLs");

  // Two weeks of generated traffic (the last 7 days and the 7 before, to compare), one body per file.
  const ndjson = join(dir, "traffic.ndjson");
  execFileSync(logbook, ["generate", "--output", ndjson, "--events", "1200", "--days", "14", "--seed", "7"]);
  const bodies = join(dir, "bodies");
  mkdirSync(bodies);
  readFileSync(ndjson, "utf8")
    .split("\n")
    .filter((l) => l.trim())
    .forEach((line, i) => {
      const body = JSON.parse(line);
      if (body.event.name === "cdr_logged") {
        sentCalls.push({ start: Date.parse(body.payload.call.start_timestamp), reason: body.payload.call.end_reason });
      }
      writeFileSync(join(bodies, `${String(i).padStart(5, "0")}.json`), line);
    });
  const sent = execFileSync(
    logbook,
    ["send", "--url", `${receiverUrl}/`, "--secret-file", join(dir, "secret"), "--concurrency", "4", bodies],
    { encoding: "utf8" },
  );
  // With concurrency, `send` prints a summary: every request answered 200.
  assert.match(sent, /^status 200: 1200$/m, sent.slice(-500));

  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"],
  });
  const context = await browser.newContext({ viewport: { width: 1400, height: 1000 }, colorScheme: "light" });
  page = await context.newPage();
  page.on("console", (m) => m.type() === "error" && consoleErrors.push(m.text()));
  page.on("pageerror", (e) => consoleErrors.push(String(e)));
  await page.goto(openUrl);
  await page.waitForURL((u) => !u.searchParams.has("token"));
});

after(async () => {
  await browser?.close();
  serve?.kill("SIGTERM");
});

test("Trends shows the totals of the traffic sent, in both themes", async () => {
  await page.locator('[data-testid="tab-trends"]').click();
  await page.locator('[data-testid="time-range"]').selectOption("7d");
  const calls = page.locator('[data-testid="total-calls"] .trends-total-value');
  await calls.waitFor();
  // Projection comes after the acknowledgement: reload until every call is derived (or give up).
  const inRange = callsSince(Date.now() - WEEK_MS);
  endReasons = inRange.reasons;
  const expected = inRange.n.toLocaleString("en-US");
  for (let i = 0; i < 40 && !(await calls.textContent()).startsWith(expected); i++) {
    await page.waitForTimeout(250);
    await page.reload();
    await calls.waitFor();
  }
  assert.ok((await calls.textContent()).startsWith(expected), `${await calls.textContent()} ≠ ${expected}`);
  await page.locator('[data-testid="trends-compare"]').selectOption("previous");
  await page.locator('[data-testid="trends-custom-key"]').selectOption("call_reason");
  await page.locator('[data-testid="trends-custom"] .recharts-bar-rectangle').first().waitFor();
  await page.locator(".recharts-pie-sector").first().waitFor();
  // The view scrolls inside the app: a window tall enough to show it whole.
  await page.setViewportSize({ width: 1400, height: 2900 });
  await page.waitForTimeout(300);
  await page.screenshot({ path: join(shots, "trends-light.png") });
  await page.emulateMedia({ colorScheme: "dark" });
  await page.screenshot({ path: join(shots, "trends-dark.png") });
  await page.emulateMedia({ colorScheme: "light" });
  await page.setViewportSize({ width: 1400, height: 1000 });

  // Each chart's numbers as a table: the end reasons' table agrees with the bodies sent.
  await page.locator('[data-testid="trends-end-reasons-table-toggle"]').click();
  const cells = await page.locator('[data-testid="trends-end-reasons"] tbody tr').allTextContents();
  for (const [reason, count] of endReasons) {
    const words = reason.replace(/_/g, " ");
    assert.ok(cells.some((row) => row.startsWith(words) && row.slice(words.length).startsWith(String(count))), `${reason}: ${cells}`);
  }
  await page.locator('[data-testid="trends-end-reasons-table-toggle"]').click();
});

test("clicking a slice opens the calls list filtered to it", async () => {
  // A donut slice's bounding box is mostly not the slice: click a point inside its arc, a little
  // in from the outer edge, as a user would.
  const slice = page.locator('[data-testid="trends-end-reasons"] path.recharts-sector').first();
  await slice.waitFor();
  const point = await slice.evaluate((path) => {
    const edge = path.getPointAtLength(path.getTotalLength() / 6);
    const cx = Number(path.getAttribute("cx"));
    const cy = Number(path.getAttribute("cy"));
    const inner = new DOMPoint(edge.x + (cx - edge.x) * 0.15, edge.y + (cy - edge.y) * 0.15);
    const screen = inner.matrixTransform(path.getScreenCTM());
    return { x: screen.x, y: screen.y };
  });
  await page.mouse.click(point.x, point.y);
  await page.waitForURL((u) => u.hash.startsWith("#/calls"));
  const hash = decodeURIComponent(new URL(page.url()).hash);
  const reason = hash.match(/end_reason:(\w+)/)?.[1];
  assert.ok(reason && endReasons.has(reason), hash);
  assert.ok(hash.includes("range=7d"), hash);
  await page.locator('[data-testid="row"]').first().waitFor();
  const rows = await page.locator('[data-testid="row"]').allTextContents();
  assert.ok(rows.length > 0);
  for (const row of rows) assert.ok(row.includes(reason) || row.includes(reason.replace(/_/g, " ")), row);
  assert.equal((await page.locator('[data-testid="search"]').inputValue()).trim(), `end_reason:${reason}`);
});

test("a slowest turn opens its call", async () => {
  await page.goBack();
  await page.locator('[data-testid="slow-turn"] a').first().click();
  await page.waitForURL((u) => /#\/calls\/[^?]+\?turn=\d+/.test(u.hash));
  assert.deepEqual(consoleErrors.filter((e) => !e.includes("favicon")), [], "no errors in the console");
});

test("the distributions open their lists: an input kind, a top action, a confidence tenth, barge-in", async () => {
  const trends = `${new URL(openUrl).origin}/#/trends?range=7d`;
  const clickFirstBar = async (panel) => {
    await page.goto(trends);
    const bar = page.locator(`[data-testid="trends-${panel}"] .recharts-bar-rectangle`).first();
    await bar.waitFor();
    await bar.click();
  };
  const landsOn = async (view, term) => {
    await page.waitForURL((u) => u.hash.startsWith(`#/${view}?`));
    // The list's rows show that the view the URL names has rendered, search box included.
    await page.locator('[data-testid="row"]').first().waitFor();
    const q = (await page.locator('[data-testid="search"]').inputValue()).trim();
    assert.match(q, term);
    assert.ok(decodeURIComponent(new URL(page.url()).hash).includes("range=7d"));
    return q;
  };

  await clickFirstBar("input-kinds");
  await landsOn("conversations", /^input:(text|speech|dtmf)$/);

  await clickFirstBar("actions");
  const action = await landsOn("conversations", /^action:/);
  // The list is the conversations that ran it: its first one shows that action on a turn.
  await page.locator('[data-testid="row"]').first().click();
  await page.locator('[data-testid="turn"]').first().waitFor();
  const title = action.slice("action:".length).replace(/^"|"$/g, "");
  assert.ok((await page.locator('[data-testid="turn-intent"]').allTextContents()).some((t) => t.includes(title)), title);

  await clickFirstBar("stt-confidence");
  await landsOn("conversations", /^confidence\.stt[<>=]/);

  await page.goto(trends);
  await page.locator('[data-testid="trends-barge-in"]').click();
  await landsOn("calls", /^barge_in:true$/);
});
