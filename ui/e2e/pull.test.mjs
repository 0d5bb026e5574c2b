// The "Pull history" panel in a real browser: `logbook pull` reads the web chat conversation from a
// fake of IBM Cloud IAM and of Watson's v2 logs API (on loopback, started here: nothing leaves the
// machine), then `logbook serve` shows the pull on Status and the pulled conversation as any other.
// Run with `npm run e2e` after `cargo build -p logbook-cli` and `npm run build`.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn, execFile } from "node:child_process";
import { promisify } from "node:util";
import { createServer } from "node:http";
import { mkdtempSync, writeFileSync, mkdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { createInterface } from "node:readline";
import { chromium } from "playwright-core";

const root = resolve(import.meta.dirname, "../..");
const logbook = process.env.LOGBOOK_BIN ?? join(root, "target/debug/logbook");
const samples = join(root, "tests/samples");
const shots = join(root, "target/e2e");
const WEB_CHAT = "c3e1a7d4-5b28-4f90-8e6a-1d9b2c7f3a05";
const API_KEY = "e2e-api-key";
const ENVIRONMENT = "env-draft-7";

let dir, fake, fakeBase, serve, openUrl, uiBase, browser, page;
const consoleErrors = [];

/** The web chat samples' payloads: IBM's Log records, as the logs API returns them. */
function records() {
  return ["01", "02", "03", "04", "05"].map((n) => {
    const file = readFileSync(join(samples, `${n}_${{ "01": "webchat_welcome", "02": "webchat_order_status",
      "03": "webchat_disambiguation", "04": "webchat_conversational_search", "05": "webchat_connect_to_agent" }[n]}.json`));
    return JSON.stringify(JSON.parse(file).payload);
  });
}

/** IAM's token endpoint and the logs API, two logs a page through the cursor. */
function startFake(logs) {
  return new Promise((resolveStarted) => {
    const server = createServer((req, res) => {
      const url = new URL(req.url, "http://x");
      let body = "";
      req.on("data", (c) => (body += c));
      req.on("end", () => {
        res.setHeader("Content-Type", "application/json");
        if (url.pathname === "/identity/token") {
          const form = new URLSearchParams(body);
          if (form.get("apikey") !== API_KEY) {
            res.statusCode = 400;
            return res.end(JSON.stringify({ errorCode: "BXNIM0415E", errorMessage: "Provided API key could not be found." }));
          }
          return res.end(JSON.stringify({ access_token: "tok", expires_in: 3600, expiration: Date.now() / 1000 + 3600 }));
        }
        if (url.pathname !== `/instances/i1/v2/assistants/${ENVIRONMENT}/logs` || req.headers.authorization !== "Bearer tok") {
          res.statusCode = 404;
          return res.end(JSON.stringify({ error: "Resource not found", code: 404 }));
        }
        const start = Number(url.searchParams.get("cursor") ?? 0);
        const end = Math.min(start + 2, logs.length);
        const pagination = end < logs.length ? `{"next_cursor":"${end}","matched":${logs.length}}` : `{"matched":${logs.length}}`;
        res.end(`{"logs":[${logs.slice(start, end).join(",")}],"pagination":${pagination}}`);
      });
    });
    server.listen(0, "127.0.0.1", () => resolveStarted(server));
  });
}

async function startServe() {
  const child = spawn(
    logbook,
    ["serve", "--db", join(dir, "l.db"), "--listen", "127.0.0.1:0", "--ui-listen", "127.0.0.1:0",
     "--secret-file", join(dir, "secret"), "--quiet"],
    { stdio: ["ignore", "pipe", "inherit"] },
  );
  for await (const line of createInterface({ input: child.stdout })) {
    const open = line.match(/open\s+(http:\/\/\S+)/);
    if (open) openUrl = open[1];
    if (line.startsWith("Ctrl-C stops")) break;
  }
  assert.ok(openUrl, "serve printed its URL");
  uiBase = new URL(openUrl).origin;
  return child;
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), "logbook-e2e-pull-"));
  writeFileSync(join(dir, "secret"), "purple unicorn");
  writeFileSync(join(dir, "apikey"), `${API_KEY}\n`, { mode: 0o600 });
  mkdirSync(shots, { recursive: true });
  fake = await startFake(records());
  fakeBase = `http://127.0.0.1:${fake.address().port}`;
  // Not execFileSync: the fake answers from this process's event loop.
  const { stdout: out } = await promisify(execFile)(
    logbook,
    ["pull", "--db", join(dir, "l.db"), "--url", `${fakeBase}/instances/i1`, "--environment", ENVIRONMENT,
     "--apikey-file", join(dir, "apikey"), "--iam-url", `${fakeBase}/identity/token`],
    { encoding: "utf8" },
  );
  assert.match(out, /pulled 5 logs in 3 pages/);
  serve = await startServe();
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"],
  });
  const context = await browser.newContext({ viewport: { width: 1400, height: 1100 } });
  page = await context.newPage();
  page.on("console", (m) => m.type() === "error" && consoleErrors.push(m.text()));
  await page.goto(openUrl);
  await page.waitForURL((u) => !u.searchParams.has("token"));
});

after(async () => {
  await browser?.close();
  serve?.kill("SIGTERM");
  fake?.close();
});

test("Status lists the pull with its counts and the commands to pull again", async () => {
  await page.goto(`${uiBase}/#/status`);
  const row = page.locator('[data-testid="pull-panel"] [data-testid="pull-row"]');
  await row.waitFor();
  assert.equal(await row.count(), 1);
  assert.equal(await row.getAttribute("data-state"), "finished");
  const progress = await row.locator('[data-testid="pull-progress"]').textContent();
  assert.match(progress, /^3 pages · 5 logs · 5 new · 0 already stored/);
  assert.match(await row.textContent(), new RegExp(ENVIRONMENT));
  // The browser's listener only reads: no form, the commands instead.
  assert.equal(await page.locator('[data-testid="pull-form"]').count(), 0);
  const again = await page.locator('[data-testid="pull-panel"] .copy-line code').nth(1).textContent();
  assert.equal(
    again,
    `logbook pull --url ${fakeBase}/instances/i1 --environment ${ENVIRONMENT} --apikey-file ~/.config/assistant-logbook/ibm-apikey --since-last`,
  );
  await page.locator('[data-testid="pull-panel"]').scrollIntoViewIfNeeded();
  await page.locator('[data-testid="pull-panel"]').screenshot({ path: join(shots, "pull-history.png") });
});

test("the pulled conversation reads like a delivered one", async () => {
  await page.goto(`${uiBase}/#/conversations`);
  await page.locator(`[data-testid="row"][data-id="${WEB_CHAT}"]`).click();
  await page.waitForURL((u) => u.hash.startsWith(`#/conversations/${WEB_CHAT}`));
  await page.getByText("Where is my order 58213? I bought it online", { exact: true }).first().waitFor();
  assert.equal(await page.locator('[data-testid="turn"]').count(), 5);
  assert.deepEqual(consoleErrors.filter((e) => !e.includes("favicon")), [], "no errors in the console");
});
