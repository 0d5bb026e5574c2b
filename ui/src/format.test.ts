import { describe, expect, it } from "vitest";
import {
  formatBytes,
  formatConfidence,
  formatCount,
  formatDate,
  formatDateTime,
  formatDuration,
  formatEndReason,
  formatForwarding,
  formatReplays,
  formatMs,
  formatPercent,
  formatTime,
  formatTimestamp,
  formatUnixSeconds,
  jsonText,
  safeHttpUrl,
  sendCommand,
  shellQuote,
  yesNo,
} from "./format";

// Node's modules, loaded by a computed name so the UI's type check needs no Node typings.
type ChildProcess = { execFileSync(file: string, args: string[], options: { cwd: string; encoding: "utf8" }): string };
type Fs = { mkdtempSync(prefix: string): string; readFileSync(path: string, encoding: "utf8"): string; rmSync(path: string, options: { recursive: boolean; force: boolean }): void; existsSync(path: string): boolean };
const nodeModule = (name: string): Promise<unknown> => import(/* @vite-ignore */ name);

describe("sendCommand", () => {
  const nasty = `{"text":"it's a 'quoted' $HOME \`id\` \\n %s %d \\\\ end"}\n<script>alert(1)</script>\n!! $(touch PWNED) ''' "double" \u0001 ünï`;

  it("makes a command real bash runs to write exactly the body, running nothing in it", async () => {
    let cp: ChildProcess;
    let fs: Fs;
    try {
      cp = (await nodeModule("node:child_process")) as ChildProcess;
      fs = (await nodeModule("node:fs")) as Fs;
      cp.execFileSync("bash", ["-c", "true"], { cwd: "/", encoding: "utf8" });
    } catch {
      return; // No Node child processes or no bash here: the parser test in EventDetailView covers the quoting.
    }
    const dir = fs.mkdtempSync("/tmp/logbook-send-");
    try {
      // A stand-in `logbook` records the arguments it was given.
      const script = `logbook() { printf '%s\\n' "$@" > args.txt; }\n${sendCommand("/draft", nasty)}`;
      cp.execFileSync("bash", ["-c", script], { cwd: dir, encoding: "utf8" });
      expect(fs.readFileSync(`${dir}/body.json`, "utf8")).toBe(nasty);
      expect(fs.existsSync(`${dir}/PWNED`)).toBe(false);
      const home = cp.execFileSync("bash", ["-c", "printf %s ~"], { cwd: dir, encoding: "utf8" });
      expect(fs.readFileSync(`${dir}/args.txt`, "utf8").split("\n")).toEqual([
        "send",
        "--url",
        "http://127.0.0.1:7420/draft",
        "--secret-file",
        `${home}/.config/assistant-logbook/webhook-secret`,
        "body.json",
        "",
      ]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("quotes the URL and uses the default secret file", () => {
    const [, send] = sendCommand("/a b'c", "{}").split("\n");
    expect(send).toBe(`logbook send --url 'http://127.0.0.1:7420/a b'\\''c' --secret-file ~/.config/assistant-logbook/webhook-secret body.json`);
  });

  it("shellQuote escapes single quotes as '\\''", () => {
    expect(shellQuote("it's")).toBe(`'it'\\''s'`);
    expect(shellQuote("")).toBe("''");
  });
});

describe("safeHttpUrl", () => {
  it("lets http and https through", () => {
    expect(safeHttpUrl("https://cdn.example.com/a.png")).toBe("https://cdn.example.com/a.png");
    expect(safeHttpUrl(" HTTP://example.com")).toBe("http://example.com/");
  });
  it("refuses every other scheme and relative URLs", () => {
    for (const url of [
      "javascript:alert(1)",
      " JavaScript:alert(1)",
      "\tjavascript:alert(1)",
      "java\nscript:alert(1)",
      "data:image/png;base64,AAAA",
      "vbscript:x",
      "file:///etc/passwd",
      "//evil.example.com/x",
      "/relative",
      "https:evil",
      "",
      null,
    ]) {
      expect(safeHttpUrl(url)).toBeNull();
    }
  });
});

describe("formatMs", () => {
  it("reads as ms, s or min", () => {
    expect(formatMs(286)).toBe("286 ms");
    expect(formatMs(1500)).toBe("1.5 s");
    expect(formatMs(27513)).toBe("27.5 s");
    expect(formatMs(20000)).toBe("20 s");
    expect(formatMs(125000)).toBe("2 min 05 s");
    expect(formatMs(null)).toBe("—");
  });
  it("never rounds up to 1000 ms or 60 s", () => {
    expect(formatMs(850)).toBe("850 ms");
    expect(formatMs(999.4)).toBe("999 ms");
    expect(formatMs(999.6)).toBe("1 s");
    expect(formatMs(1234)).toBe("1.2 s");
    expect(formatMs(59_949)).toBe("59.9 s");
    expect(formatMs(59_960)).toBe("1 min 00 s");
    expect(formatMs(123_000)).toBe("2 min 03 s");
    expect(formatMs(7_500_000)).toBe("125 min 00 s");
  });
  it("keeps the sign and treats non-numbers as unknown", () => {
    expect(formatMs(-1500)).toBe("-1.5 s");
    expect(formatMs(-125_000)).toBe("-2 min 05 s");
    expect(formatMs(0)).toBe("0 ms");
    expect(formatMs(undefined)).toBe("—");
    expect(formatMs(Number.NaN)).toBe("—");
  });
});

describe("list formatting", () => {
  it("formatDuration reads compactly for the Calls list", () => {
    expect(formatDuration(850)).toBe("850 ms");
    expect(formatDuration(12_340)).toBe("12.3 s");
    expect(formatDuration(245_000)).toBe("4m 05s");
    expect(formatDuration(3_720_000)).toBe("1h 02m");
    expect(formatDuration(null)).toBe("");
  });
  it("formatEndReason reads as words", () => {
    expect(formatEndReason("caller_hangup")).toBe("caller hangup");
    expect(formatEndReason(null)).toBe("");
  });
  it("formatCount groups thousands", () => {
    expect(formatCount(12345)).toBe("12,345");
    expect(formatCount(null)).toBe("");
  });
  it("formatBytes is 1,024-based without a trailing .0", () => {
    expect(formatBytes(512)).toBe("512 B");
    expect(formatBytes(1536)).toBe("1.5 KB");
    expect(formatBytes(2048)).toBe("2 KB");
    expect(formatBytes(10 * 1024 * 1024)).toBe("10 MB");
    expect(formatBytes(3.2 * 1024 ** 3)).toBe("3.2 GB");
    expect(formatBytes(5 * 1024 ** 5)).toBe("5120 TB");
    expect(formatBytes(null)).toBe("");
  });
});

describe("times", () => {
  const at = new Date(2026, 2, 10, 15, 30, 2, 123).getTime();
  it("formatDateTime is the local date and time, empty when unknown", () => {
    expect(formatDateTime(at)).toBe("2026-03-10 15:30:02");
    expect(formatDateTime(null)).toBe("");
  });
  it("formatTime shows only the time of day today", () => {
    expect(formatTime(at, new Date(2026, 2, 10, 23, 0))).toBe("15:30:02.123");
    expect(formatTime(at, new Date(2026, 2, 11, 1, 0))).toBe("2026-03-10 15:30:02");
    expect(formatTime(undefined)).toBe("");
  });
  it("formatTimestamp takes milliseconds or ISO text, ms only when not zero", () => {
    expect(formatTimestamp(at)).toBe("2026-03-10 15:30:02.123");
    expect(formatTimestamp(new Date(2026, 2, 10, 15, 30, 2).toISOString())).toBe("2026-03-10 15:30:02");
    expect(formatTimestamp("not a time")).toBe("not a time");
    expect(formatTimestamp(null)).toBe("—");
    expect(formatTimestamp("")).toBe("—");
    expect(formatDate(at)).toBe("2026-03-10");
    expect(formatDate(null)).toBe("—");
  });
  it("formatUnixSeconds reads JWT claims", () => {
    expect(formatUnixSeconds(Math.floor(at / 1000))).toBe("2026-03-10 15:30:02");
    expect(formatUnixSeconds("1700000000")).toBeNull();
  });
});

describe("values", () => {
  it("jsonText quotes strings unless asked for bare strings", () => {
    expect(jsonText("gold")).toBe('"gold"');
    expect(jsonText("gold", true)).toBe("gold");
    expect(jsonText({ a: [1, null] })).toBe('{"a":[1,null]}');
    expect(jsonText(undefined)).toBe("");
  });
  it("passes non-string custom values as JSON (as api.customCalls and the query language take them)", () => {
    expect(jsonText("pay_bill", true)).toBe("pay_bill");
    expect(jsonText(true, true)).toBe("true");
    expect(jsonText(42.5, true)).toBe("42.5");
  });
  it("confidence, percent, yes/no", () => {
    expect(formatConfidence(0.8712)).toBe("0.87");
    expect(formatConfidence(null)).toBe("—");
    expect(formatPercent(12.345)).toBe("12.35 %");
    expect(formatPercent(undefined)).toBe("—");
    expect(yesNo(true)).toBe("yes");
    expect(yesNo(false)).toBe("no");
    expect(yesNo(null)).toBe("—");
  });
});

describe("formatForwarding", () => {
  const now = new Date(2026, 10, 30, 12, 0, 0);
  const at = new Date(2026, 10, 30, 12, 3, 4).getTime();
  it("says delivered, queued, the next retry or gave up, in a word or two", () => {
    expect(formatForwarding(null)).toBeNull();
    expect(formatForwarding({ delivered: 1, pending: 0, gave_up: 0, attempts: 1, next_at: null }, now)).toEqual({
      text: "delivered",
      tone: "delivered",
      title: "Forwarded to 1 downstream, 1 attempt",
    });
    expect(formatForwarding({ delivered: 0, pending: 1, gave_up: 0, attempts: 0, next_at: at }, now)?.text).toBe("queued");
    const retry = formatForwarding({ delivered: 1, pending: 1, gave_up: 0, attempts: 4, next_at: at }, now);
    expect(retry?.text).toBe("retry 12:03:04");
    expect(retry?.tone).toBe("retrying");
    expect(retry?.title).toContain("4 attempts so far (1 of 2 delivered)");
    const gaveUp = formatForwarding({ delivered: 1, pending: 1, gave_up: 1, attempts: 9, next_at: at }, now);
    expect(gaveUp).toMatchObject({ text: "gave up", tone: "gave-up" });
    expect(gaveUp?.title).toBe("Forwarding gave up on 1 of 3 downstreams after 9 attempts (1 of 3 delivered)");
  });
});

describe("formatReplays", () => {
  it("names the event a replay replays, before anything else", () => {
    expect(formatReplays({ replay_of: 42, replays: 3 })?.text).toBe("of #42");
    expect(formatReplays({ replay_of: 42, replays: 0 })?.title).toContain("event 42");
  });
  it("counts the replays sent of an original", () => {
    expect(formatReplays({ replay_of: null, replays: 1 })).toEqual({
      text: "sent 1×",
      title: "Replayed once: the event view lists each replay and its answer",
    });
    expect(formatReplays({ replay_of: null, replays: 1200 })?.text).toBe("sent 1,200×");
  });
  it("says nothing of an event never replayed", () => {
    expect(formatReplays({ replay_of: null, replays: 0 })).toBeNull();
  });
});
