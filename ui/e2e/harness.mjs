// What the browser suites share: a real `logbook serve` on free ports over a temporary database,
// and Debian's Chromium driven by playwright-core (no browser download).
import assert from "node:assert/strict";
import { spawn, execFileSync } from "node:child_process";
import { join, resolve } from "node:path";
import { createInterface } from "node:readline";
import { chromium } from "playwright-core";

export const root = resolve(import.meta.dirname, "../..");
export const logbook = process.env.LOGBOOK_BIN ?? join(root, "target/debug/logbook");
export const samples = join(root, "tests/samples");

/**
 * Starts `logbook serve` on `db` with a free webhook port and the UI on `uiListen` (a free port unless
 * given), with `extraArgs` after the rest (e.g. `--forward`); resolves when it is listening, with its receiver
 * URL, the one-time URL to open and the UI's origin.
 */
export async function startServe(db, secretFile, uiListen = "127.0.0.1:0", extraArgs = []) {
  const child = spawn(
    logbook,
    ["serve", "--db", db, "--listen", "127.0.0.1:0", "--ui-listen", uiListen, "--secret-file", secretFile, "--quiet", ...extraArgs],
    { stdio: ["ignore", "pipe", "inherit"] },
  );
  let receiverUrl, openUrl;
  const lines = createInterface({ input: child.stdout });
  for await (const line of lines) {
    const endpoint = line.match(/endpoint\s+POST (http:\/\/\S+?)\/ /);
    if (endpoint) receiverUrl = endpoint[1];
    const open = line.match(/open\s+(http:\/\/\S+)/);
    if (open) openUrl = open[1];
    if (line.startsWith("Ctrl-C stops")) break;
  }
  assert.ok(receiverUrl && openUrl, "serve printed its URLs");
  return { child, receiverUrl, openUrl, uiBase: new URL(openUrl).origin };
}

/** Fills `db` with `events` generated events (the same for a seed), as `logbook generate` does. */
export function generate(db, events, seed = 7) {
  execFileSync(logbook, ["generate", "--db", db, "--events", String(events), "--seed", String(seed), "--days", "2"], {
    stdio: ["ignore", "ignore", "inherit"],
  });
}

/**
 * Waits until the form control at `selector` holds `expected` (React renders after the URL changes),
 * and fails with what it held instead when it does not within `timeout` ms.
 */
export async function valueBecomes(page, selector, expected, message, timeout = 5_000) {
  try {
    await page.waitForFunction(
      ([sel, want]) => document.querySelector(sel)?.value === want,
      [selector, expected],
      { timeout },
    );
  } catch {
    assert.equal(await page.locator(selector).inputValue(), expected, message);
  }
}

export function launchBrowser() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-quic",
           "--no-first-run", "--disable-component-update", "--disable-sync"],
  });
}

const CALL_12 = "b231ef28-c861-4f33-8a17-384d95d6ddb5";
const WEB_CHAT = "c3e1a7d4-5b28-4f90-8e6a-1d9b2c7f3a05";

/** Every view, by its address, and what shows it has loaded (over the samples plus generated data). */
export const VIEWS = [
  ["live", "#/live", "[data-testid='row']"],
  ["conversations", "#/conversations", "[data-testid='row']"],
  ["conversations-search", `#/conversations?q=${encodeURIComponent("refund")}`, "[data-testid='hit-snippet'] mark"],
  ["conversation", `#/conversations/${WEB_CHAT}`, "[data-testid='turn']"],
  ["calls", "#/calls", "[data-testid='row']"],
  ["calls-failed", `#/calls?q=${encodeURIComponent("failed:true")}`, "[data-testid='row']"],
  ["call", `#/calls/${CALL_12}`, "[data-testid='latency-chart']"],
  ["custom-data", "#/custom?key=call_reason", "main h2, main h1"],
  ["trends", "#/trends?range=7d", "[data-testid='trends-totals']"],
  ["status", "#/status", "[data-testid='receiver-url']"],
];
