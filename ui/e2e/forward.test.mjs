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

test("the desktop app's Settings edit an endpoint's downstreams, secrets masked", async () => {
  // The built UI with a stand-in for the desktop app's IPC (what `invoke` reaches inside the app).
  // The same page (it holds the launch token), reloaded with the stand-in in place: the last test.
  const desktopPage = page;
  await desktopPage.setViewportSize({ width: 1280, height: 1000 });
  await desktopPage.addInitScript(() => {
    const view = {
      settings: {
        port: 7420,
        endpoints: [
          {
            id: "default", path: null, mode: "jwt", secret_masked: "••••••••••••••••",
            forwards: [{
              id: "f0f0f0f0", url: "https://logs.example.com/watson", mode: "jwt",
              headers: [{ name: "X-Team", value: "support" }], parallel: 1, secret_masked: "••••••••••",
            }],
          },
        ],
        max_body_bytes: 10485760,
        retention: { rejections_kept: 1000, keep_days: null, max_db_mb: null },
      },
      receiver: { url: "http://127.0.0.1:7420", read_only: false, problem: null },
      database: "/home/me/.local/share/assistant-logbook/logbook.db",
      config_dir: "/home/me/.config/dev.assistant-logbook.desktop",
      restart_needed: false,
      team_store: { saved: null, showing: null, problem: null },
    };
    window.__saved = [];
    window.__TAURI_INTERNALS__ = {
      transformCallback: () => 1,
      invoke: async (cmd, args) => {
        if (cmd === "get_settings") return view;
        if (cmd === "save_settings") {
          window.__saved.push(args.settings);
          return view;
        }
        throw { kind: "internal", message: `${cmd}: not in this test` };
      },
    };
  });
  await desktopPage.goto(`${serve.uiBase}/#/settings`);
  await desktopPage.reload();
  const forward = desktopPage.locator('[data-testid="forward-edit"]');
  await forward.waitFor();
  assert.equal(await forward.locator('[data-testid="forward-secret"]').textContent(), "••••••••••");
  await forward.locator('[data-testid="forward-mode"]').selectOption("passthrough");
  await forward.locator('[data-testid="forward-parallel"]').fill("4");
  await desktopPage.locator('[data-testid="forward-add"]').click();
  const added = desktopPage.locator('[data-testid="forward-edit"]').nth(1);
  await added.locator('[data-testid="forward-url"]').fill("http://127.0.0.1:9000/in");
  await added.locator('[data-testid="forward-new-secret"]').fill("its own secret");
  assert.equal(await added.locator('[data-testid="forward-new-secret"]').getAttribute("type"), "password");
  await added.locator('[data-testid="forward-headers"]').fill("X-Env: draft");
  await desktopPage.locator('[data-testid="endpoint-edit"]').screenshot({ path: join(shots, "forward-settings.png") });
  await desktopPage.locator('[data-testid="settings-save"]').click();
  await desktopPage.locator('[data-testid="settings-saved"]').waitFor();
  const saved = await desktopPage.evaluate(() => window.__saved);
  assert.deepEqual(saved[0].endpoints[0].forwards, [
    { id: "f0f0f0f0", url: "https://logs.example.com/watson", mode: "passthrough", headers: [{ name: "X-Team", value: "support" }], parallel: 4 },
    { id: "", url: "http://127.0.0.1:9000/in", mode: "jwt", headers: [{ name: "X-Env", value: "draft" }], parallel: 1, new_secret: "its own secret" },
  ]);
});
