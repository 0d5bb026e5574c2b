// End-to-end tests in a real browser: Debian's Chromium driven by playwright-core (no browser
// download) against a real `logbook serve` on a temporary database, fed with `logbook send`.
// Run with `npm run e2e` after `cargo build -p logbook-cli` and `npm run build`. Screenshots of the main
// views are saved under target/e2e/.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, writeFileSync, mkdirSync, readFileSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { launchBrowser, logbook, root, samples, startServe } from "./harness.mjs";

const shots = join(root, "target/e2e");
const secret = "purple unicorn";
const WEB_CHAT = "c3e1a7d4-5b28-4f90-8e6a-1d9b2c7f3a05";
const PHONE = "4b7e9d21-c0a3-4e85-96f2-3d1a8c5b0e79";
const CALL_12 = "b231ef28-c861-4f33-8a17-384d95d6ddb5";

let dir, serve, receiverUrl, openUrl, uiBase, browser, context, page;
const consoleErrors = [];
const foreignRequests = [];

async function startServeHere() {
  const started = await startServe(join(dir, "l.db"), join(dir, "secret"));
  ({ receiverUrl, openUrl, uiBase } = started);
  return started.child;
}

function send(...paths) {
  return execFileSync(logbook, ["send", "--url", `${receiverUrl}/`, "--secret-file", join(dir, "secret"), ...paths], {
    encoding: "utf8",
  });
}

/** A body with fresh ids, written to a file, for `logbook send`. */
function bodyFile(name, body) {
  const path = join(dir, name);
  writeFileSync(path, JSON.stringify(body));
  return path;
}

async function shot(name) {
  await page.screenshot({ path: join(shots, `${name}.png`), fullPage: false });
}

async function rowCount() {
  return page.locator('[data-testid="row"]').count();
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), "logbook-e2e-"));
  writeFileSync(join(dir, "secret"), secret);
  mkdirSync(shots, { recursive: true });
  serve = await startServeHere();
  const sent = send(samples);
  assert.equal(sent.split("\n").filter((l) => l.startsWith("200 ")).length, 12, sent);
  browser = await launchBrowser();
  context = await browser.newContext({ acceptDownloads: true, viewport: { width: 1400, height: 900 } });
  page = await context.newPage();
  page.on("console", (m) => m.type() === "error" && consoleErrors.push(m.text()));
  page.on("dialog", (d) => {
    consoleErrors.push(`dialog opened: ${d.message()}`);
    d.dismiss();
  });
  page.on("request", (r) => {
    const host = new URL(r.url()).hostname;
    if (!["127.0.0.1", "localhost"].includes(host) && !r.url().startsWith("data:")) foreignRequests.push(r.url());
  });
  await page.goto(openUrl);
  await page.waitForURL((u) => !u.searchParams.has("token"));
});

after(async () => {
  await browser?.close();
  serve?.kill("SIGTERM");
});

test("a request without the token is refused", async () => {
  const api = await fetch(`${uiBase}/api/events`);
  assert.equal(api.status, 401);
  const pageRes = await fetch(`${uiBase}/`);
  assert.equal(pageRes.status, 401);
  assert.ok(!(await pageRes.text()).includes("log_id"));
  const wrong = await fetch(`${uiBase}/api/events`, { headers: { authorization: "Bearer nope" } });
  assert.equal(wrong.status, 401);
});

test("the live view lists every request", async () => {
  await page.goto(`${uiBase}/#/live`);
  await page.locator('[data-testid="row"]').first().waitFor();
  await page.waitForFunction(() => document.querySelectorAll('[data-testid="row"]').length >= 12);
  // The list is read first; the live stream connects beside it.
  await page.locator('[data-testid="live-badge"][data-state="live"]').waitFor({ timeout: 5_000 });
  await shot("live");
});

test("the browser has no desktop-only controls: no Settings tab, no tunnel button", async () => {
  await page.goto(`${uiBase}/#/status`);
  await page.locator('[data-testid="status-view"] [data-testid="receiver-url"]').waitFor();
  assert.equal(await page.locator('[data-testid="tab-settings"]').count(), 0);
  assert.equal(await page.locator('[data-testid="tunnel-panel"]').count(), 0);
  assert.equal(await page.locator('[data-testid="receiver-problem"]').count(), 0);
  // Reached by its address, Settings says where `logbook serve` takes them, with nothing to press.
  await page.goto(`${uiBase}/#/settings`);
  await page.getByText("logbook serve --help").waitFor();
  assert.equal(await page.locator('[data-testid="settings-view"] button').count(), 0);
});

test("the web chat conversation shows its five turns", async () => {
  await page.goto(`${uiBase}/#/conversations`);
  await page.locator(`[data-testid="row"][data-id="${WEB_CHAT}"]`).click();
  await page.waitForURL((u) => u.hash.startsWith(`#/conversations/${WEB_CHAT}`));
  for (const text of ["Where is my order 58213? I bought it online", "refund", "Can I return opened headphones?",
                      "I want to talk to a person"]) {
    await page.getByText(text, { exact: true }).first().waitFor();
  }
  const turns = await page.locator('[data-testid="turn"]').count();
  assert.equal(turns, 5);
  await shot("conversation");
});

test("call 12's turn links through to message 07", async () => {
  await page.goto(`${uiBase}/#/calls/${CALL_12}`);
  await page.locator('[data-testid="latency-chart"]').waitFor();
  await shot("call");
  await page.locator('.call-turn .message-link').nth(1).click();
  await page.waitForURL((u) => u.hash.startsWith(`#/conversations/${PHONE}`) && u.hash.includes("turn=2"));
  await page.getByText("i'd like to pay my bill").first().waitFor();
});

test("filtering calls on custom data finds the one call", async () => {
  await page.goto(`${uiBase}/#/calls?q=${encodeURIComponent("custom.account_verified:true")}`);
  await page.locator(`[data-testid="row"]`).first().waitFor();
  assert.equal(await rowCount(), 1);
  await shot("calls-custom-data");
  await page.goto(`${uiBase}/#/custom?key=account_verified`);
  await page.getByText("account_verified").first().waitFor();
  await shot("custom-data");
});

test("exporting calls as CSV downloads the rows", async () => {
  await page.goto(`${uiBase}/#/calls`);
  await page.locator('[data-testid="row"]').first().waitFor();
  await page.locator('[data-testid="export"]').click();
  await page.locator('[data-testid="export-kind-calls"]').click();
  await page.locator('[data-testid="export-format-csv"]').click();
  const [download] = await Promise.all([page.waitForEvent("download"), page.locator('[data-testid="export-run"]').click()]);
  const path = join(dir, "calls.csv");
  await download.saveAs(path);
  const lines = readFileSync(path, "utf8").trim().split("\n");
  assert.equal(lines.length, 4, lines.join("\n"));
  assert.ok(lines[0].startsWith("event_id,global_session_id"));
  assert.ok(lines.some((l) => l.includes(CALL_12) && l.includes("pay_bill")));
});

test("a new event appears live, and a reload loses nothing", async () => {
  await page.goto(`${uiBase}/#/live`);
  await page.waitForFunction(() => document.querySelectorAll('[data-testid="row"]').length >= 12);
  const before = await rowCount();
  const body = JSON.parse(readFileSync(join(samples, "01_webchat_welcome.json"), "utf8"));
  body.payload.log_id = "e2e-live-0001";
  body.payload.request.input.text = "hello from the live test";
  send(bodyFile("live.json", body));
  await page.getByText("hello from the live test").first().waitFor({ timeout: 10_000 });
  assert.equal(await rowCount(), before + 1);
  await page.reload();
  await page.getByText("hello from the live test").first().waitFor();
  assert.ok((await rowCount()) >= before + 1);
});

test("injected markup and script in payloads run nothing and load nothing", async () => {
  const attack = "<script>window.__pwned=1</script><img src=http://evil.example/x.png onerror=window.__pwned=2>";
  const body = JSON.parse(readFileSync(join(samples, "02_webchat_order_status.json"), "utf8"));
  body.payload.log_id = "e2e-xss-0001";
  body.payload.session_id = "e2e-xss-session";
  body.payload.request.input.text = attack;
  body.payload.response.output.generic = [
    { response_type: "text", text: attack },
    { response_type: "image", source: "javascript:window.__pwned=3", title: attack },
    { response_type: "option", title: attack, options: [{ label: attack, value: { input: { text: attack } } }] },
    { response_type: attack, [attack]: attack },
    { response_type: "iframe", source: "http://evil.example/frame", title: attack },
  ];
  body.payload.response.context.skills = { [attack]: { skill_variables: { [attack]: attack } } };
  send(bodyFile("xss-message.json", body));
  const call = JSON.parse(readFileSync(join(samples, "12_cdr_custom_data_warnings.json"), "utf8"));
  call.payload.global_session_id = "e2e-xss-call";
  call.payload.injected_custom_data = { [attack]: attack };
  call.payload.warnings_and_errors = [{ code: attack, message: attack }];
  call.payload.session_initiation_protocol.headers.from_uri = `sip:${attack}@x`;
  send(bodyFile("xss-call.json", call));

  const views = ["#/live", "#/conversations", "#/conversations/e2e-xss-session", "#/calls", "#/calls/e2e-xss-call",
                 `#/custom?key=${encodeURIComponent(attack)}`, "#/status"];
  for (const hash of views) {
    await page.goto(`${uiBase}/${hash}`);
    // Each view has loaded once its heading or list is there; then give any injected code its chance.
    await page.locator("main h1, main h2, [data-testid='row'], [data-testid='empty'], .panel").first().waitFor();
    await page.waitForTimeout(300);
  }
  await page.goto(`${uiBase}/#/live`);
  await page.locator('[data-testid="row"]').first().click();
  await page.locator('[data-testid="side-panel"]').waitFor();
  await page.waitForTimeout(300);
  await shot("injection");
  assert.equal(await page.evaluate(() => window.__pwned ?? 0), 0, "no injected script ran");
  const injectedImages = await page.evaluate(() =>
    [...document.querySelectorAll("img, iframe, script[src*='evil']")].filter((e) => String(e.src).includes("evil")).length);
  assert.equal(injectedImages, 0);
  assert.deepEqual(foreignRequests, [], "no request left the machine");
  assert.deepEqual(consoleErrors.filter((e) => !e.includes("favicon")), [], "no errors in the console");
});

test("screenshots were taken of the main views", () => {
  const taken = readdirSync(shots);
  for (const name of ["live", "conversation", "call", "calls-custom-data", "custom-data"]) {
    assert.ok(taken.includes(`${name}.png`), name);
  }
});
