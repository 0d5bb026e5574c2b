// Both transports against the service's command list (`commands.ts`, generated from Rust): every
// command the list gives an HTTP path is fetched at that path by HttpTransport, and every command
// the desktop app has is invoked by that name by TauriTransport. A command added to the list that a
// transport does not call fails here (and `METHODS` fails the typecheck).
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { METHODS } from "./client";
import type { Transport } from "./client";
import { COMMANDS } from "./commands";
import type { CommandName } from "./commands";
import { HttpTransport } from "./http";

const invoked: { cmd: string; args: unknown }[] = [];
vi.mock("@tauri-apps/api/core", () => ({
  invoke: vi.fn(async (cmd: string, args: unknown) => {
    invoked.push({ cmd, args });
    return cmd === "live" ? 1 : null;
  }),
  Channel: class {
    constructor(readonly onmessage?: unknown) {}
  },
}));

/** Calls the method that `METHODS` names for `name`, with arguments it accepts. */
async function callMethod(t: Transport, name: CommandName): Promise<void> {
  const method = METHODS[name];
  const args: Record<string, unknown[]> = {
    events: [{ q: "" }],
    messages: [{ q: "" }],
    conversations: [{ q: "" }],
    calls: [{ q: "" }],
    event: ["e1"],
    conversation: ["s1"],
    call: ["c1"],
    customValues: ["k"],
    customCalls: ["k", null],
    trends: [{ q: "" }],
    forwarding: [[1, 2]],
    exportRows: ["events", "csv", ""],
    "desktop.saveSettings": [{}],
    "desktop.revealSecret": ["id"],
  };
  if (method === "live") {
    const stop = t.live({ lastEventId: 0, lastRejectionId: 0 }, { onBatch: () => undefined, onState: () => undefined });
    await new Promise((r) => setTimeout(r, 0));
    stop();
    return;
  }
  const [owner, fn] = method.startsWith("desktop.")
    ? [t.desktop as unknown as Record<string, (...a: unknown[]) => unknown>, method.slice("desktop.".length)]
    : [t as unknown as Record<string, (...a: unknown[]) => unknown>, method];
  expect(owner, `${name}: ${method}`).toBeDefined();
  await Promise.resolve(owner[fn](...(args[method] ?? []))).catch(() => undefined);
}

const names = Object.keys(COMMANDS) as CommandName[];

describe("the service's command list", () => {
  it("names every command the client calls, and the client calls every one", () => {
    expect(Object.keys(METHODS).sort()).toEqual([...names].sort());
  });

  describe("over HTTP", () => {
    let fetched: string[];
    beforeEach(() => {
      fetched = [];
      vi.stubGlobal(
        "fetch",
        vi.fn(async (url: string) => {
          fetched.push(url);
          return new Response("{}", { status: 200, headers: { "Content-Type": "application/json" } });
        }),
      );
      vi.stubGlobal(
        "EventSource",
        class {
          static CLOSED = 2;
          constructor(url: string) {
            fetched.push(url);
          }
          addEventListener() {}
          close() {}
        },
      );
      vi.spyOn(HTMLAnchorElement.prototype, "click").mockImplementation(function (this: HTMLAnchorElement) {
        fetched.push(this.getAttribute("href") ?? "");
      });
    });
    afterEach(() => {
      vi.unstubAllGlobals();
      vi.restoreAllMocks();
    });

    for (const name of names) {
      const pattern = COMMANDS[name].http;
      if (pattern === null) {
        it(`${name} is desktop only: the browser has no way to call it`, () => {
          expect((new HttpTransport() as Transport).desktop).toBeUndefined();
        });
        continue;
      }
      it(`${name} is fetched at ${pattern}`, async () => {
        await callMethod(new HttpTransport(), name);
        const prefix = pattern.replace(/\{\w+\}.*$/, "");
        expect(fetched.some((url) => new URL(url, "http://x").pathname.startsWith(prefix)), fetched.join(" ")).toBe(true);
      });
    }
  });

  describe("over Tauri IPC", () => {
    beforeEach(() => {
      invoked.length = 0;
    });
    for (const name of names.filter((n) => COMMANDS[n].desktop)) {
      it(`${name} is invoked by its name`, async () => {
        const { TauriTransport } = await import("./tauri");
        const t = new TauriTransport();
        await callMethod(t, name === "stop_live" ? "live" : name);
        expect(invoked.map((c) => c.cmd)).toContain(name);
      });
    }

    it("sends a read command its request as the argument object", async () => {
      const { TauriTransport } = await import("./tauri");
      const t = new TauriTransport();
      await t.events({ q: "kind:x", limit: 5 });
      await t.conversation("s 1");
      await t.customCalls("tier", null, 10);
      expect(invoked).toEqual([
        { cmd: "events", args: { q: "kind:x", cursor: null, limit: 5, facets: undefined } },
        { cmd: "conversation", args: { sessionId: "s 1" } },
        { cmd: "custom_calls", args: { key: "tier", value: null, limit: 10 } },
      ]);
    });
  });
});
