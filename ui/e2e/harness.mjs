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
 * given); resolves when it is listening, with its receiver
 * URL, the one-time URL to open and the UI's origin.
 */
export async function startServe(db, secretFile, uiListen = "127.0.0.1:0") {
  const child = spawn(
    logbook,
    ["serve", "--db", db, "--listen", "127.0.0.1:0", "--ui-listen", uiListen, "--secret-file", secretFile, "--quiet"],
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

export function launchBrowser() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-quic",
           "--no-first-run", "--disable-component-update", "--disable-sync"],
  });
}
