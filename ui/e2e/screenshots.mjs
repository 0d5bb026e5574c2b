// Screenshots of every view at 1280 and 1920 px, in the light and the dark theme, into
// docs/screenshots/ (`npm run screenshots`, after `cargo build -p logbook-cli` and `npm run build`).
// The data: 3,000 generated events (`logbook generate`, a fixed seed) plus the samples.
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { VIEWS, generate, launchBrowser, logbook, root, samples, startServe } from "./harness.mjs";

const out = join(root, "docs/screenshots");
mkdirSync(out, { recursive: true });
const dir = mkdtempSync(join(tmpdir(), "logbook-shots-"));
const db = join(dir, "l.db");
writeFileSync(join(dir, "secret"), "purple unicorn");
generate(db, 3_000);
const serve = await startServe(db, join(dir, "secret"));
execFileSync(logbook, ["send", "--url", `${serve.receiverUrl}/`, "--secret-file", join(dir, "secret"), samples]);
const browser = await launchBrowser();
try {
  for (const width of [1280, 1920]) {
    for (const theme of ["light", "dark"]) {
      const context = await browser.newContext({ viewport: { width, height: width === 1920 ? 1080 : 800 }, colorScheme: theme });
      const page = await context.newPage();
      await page.goto(serve.openUrl);
      await page.waitForURL((u) => !u.searchParams.has("token"));
      const shot = async (name) => {
        await page.waitForTimeout(400);
        await page.screenshot({ path: join(out, `browser-${name}-${width}-${theme}.png`) });
      };
      for (const [name, hash, ready] of VIEWS) {
        await page.goto(`${serve.uiBase}/${hash}`);
        await page.locator(ready).first().waitFor();
        await shot(name);
      }
      await page.goto(`${serve.uiBase}/#/live`);
      await page.locator("[data-testid='row']").nth(2).click();
      await page.locator("[data-testid='side-panel'] .json-tree").waitFor();
      await shot("live-request");
      await context.close();
    }
  }
} finally {
  await browser.close();
  serve.child.kill("SIGTERM");
}
console.log(`screenshots in ${out}`);
