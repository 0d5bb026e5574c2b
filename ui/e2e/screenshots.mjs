// Screenshots of every view at 1280 and 1920 px, in the light and the dark theme, into
// docs/screenshots/ (`npm run screenshots`, after `cargo build -p logbook-cli` and `npm run build`).
// The data: 3,000 generated events (`logbook generate`, a fixed seed) plus the samples, which
// `serve` forwards to a local downstream (so an event shows its Forwarded panel).
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { VIEWS, generate, launchBrowser, logbook, root, samples, startServe } from "./harness.mjs";

const out = join(root, "docs/screenshots");
mkdirSync(out, { recursive: true });
const dir = mkdtempSync(join(tmpdir(), "logbook-shots-"));
const db = join(dir, "l.db");
writeFileSync(join(dir, "secret"), "purple unicorn");
generate(db, 3_000);
// A downstream that takes every delivery.
const downstream = createServer((req, res) => {
  req.resume();
  req.on("end", () => res.writeHead(200, { "content-type": "text/plain" }).end("stored"));
});
await new Promise((r) => downstream.listen(0, "127.0.0.1", r));
const forward = `http://127.0.0.1:${downstream.address().port}/watson=none`;
const serve = await startServe(db, join(dir, "secret"), "127.0.0.1:0", ["--forward", forward]);
execFileSync(logbook, ["send", "--url", `${serve.receiverUrl}/`, "--secret-file", join(dir, "secret"), samples]);

/** Views beyond the ones every layout test visits: Trends compared, a custom-data filter. */
const MORE = [
  ["trends-compare", "#/trends?range=7d&compare=previous", "[data-testid='trends-totals']"],
  ["calls-custom-data", `#/calls?q=${encodeURIComponent("custom.call_reason:pay_bill")}`, "[data-testid='row']"],
];

const browser = await launchBrowser();
try {
  for (const width of [1280, 1920]) {
    for (const theme of ["light", "dark"]) {
      const context = await browser.newContext({ viewport: { width, height: width === 1920 ? 1080 : 800 }, colorScheme: theme });
      const page = await context.newPage();
      await page.goto(serve.openUrl);
      await page.waitForURL((u) => !u.searchParams.has("token"));
      const shot = async (name) => {
        await page.waitForTimeout(600);
        await page.screenshot({ path: join(out, `browser-${name}-${width}-${theme}.png`) });
      };
      for (const [name, hash, ready] of [...VIEWS, ...MORE]) {
        await page.goto(`${serve.uiBase}/${hash}`);
        await page.locator(ready).first().waitFor();
        await shot(name);
      }
      // A sample's request beside the list, then on its own page, with where it was forwarded.
      await page.goto(`${serve.uiBase}/#/live`);
      await page.locator("[data-testid='row']").nth(2).click();
      await page.locator("[data-testid='side-panel'] .json-tree").waitFor();
      await shot("live-request");
      const id = new URL(page.url()).hash.match(/selected=(\d+)/)?.[1];
      if (id) {
        await page.goto(`${serve.uiBase}/#/events/${id}`);
        await page.locator(".deliveries").waitFor({ timeout: 15_000 });
        await shot("event");
        // Its Replay panel, open on the body to edit.
        await page.getByRole("button", { name: "Replay…" }).click();
        await page.getByLabel("Body to send").waitFor();
        await shot("event-replay");
      }
      // Two call records compared.
      const calls = await (await page.request.get(`${serve.uiBase}/api/events?q=${encodeURIComponent("kind:call")}`)).json();
      const [left, right] = calls.items.map((r) => r.id);
      await page.goto(`${serve.uiBase}/#/compare?left=${left}&right=${right}`);
      await page.locator("[data-testid='change']").first().waitFor();
      await shot("compare");
      await context.close();
    }
  }
} finally {
  await browser.close();
  serve.child.kill("SIGTERM");
  downstream.close();
}
console.log(`screenshots in ${out}`);
