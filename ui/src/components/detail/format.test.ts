import { describe, expect, it } from "vitest";
import { customQuery, customValueParam, formatMs, safeHttpUrl, sendCommand, shellQuote } from "./format";

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

describe("customQuery", () => {
  it("writes custom.KEY:VALUE, quoting values with spaces or quotes", () => {
    expect(customQuery("call_reason")).toBe("custom.call_reason:*");
    expect(customQuery("call_reason", "pay_bill")).toBe("custom.call_reason:pay_bill");
    expect(customQuery("note", "pay my bill")).toBe('custom.note:"pay my bill"');
    expect(customQuery("note", 'say "hi" \\ now')).toBe('custom.note:"say \\"hi\\" \\\\ now"');
    expect(customQuery("note", "it's")).toBe(`custom.note:"it's"`);
    expect(customQuery("note", "*")).toBe('custom.note:"*"');
    expect(customQuery("bad key", "x")).toBeNull();
  });
  it("passes non-string values as JSON", () => {
    expect(customValueParam("pay_bill")).toBe("pay_bill");
    expect(customValueParam(true)).toBe("true");
    expect(customValueParam(42.5)).toBe("42.5");
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
});
