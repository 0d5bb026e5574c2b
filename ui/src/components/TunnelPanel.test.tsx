import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { act, cleanup, fireEvent, render, screen } from "@testing-library/react";
import type { TunnelStatus } from "../api/types/TunnelStatus";

const desktop = vi.hoisted(() => ({
  settings: vi.fn(),
  saveSettings: vi.fn(),
  revealSecret: vi.fn(),
  tunnelStatus: vi.fn(),
  startTunnel: vi.fn(),
  stopTunnel: vi.fn(),
}));
const mocked = vi.hoisted(() => ({ api: { desktop: undefined as unknown } }));
vi.mock("../api", () => mocked);

const { TunnelPanel } = await import("./TunnelPanel");

const PUBLIC = "https://sea-deck-organisms-sf.trycloudflare.com";

function status(change: Partial<TunnelStatus> = {}): TunnelStatus {
  return { installed: ["cloudflared"], install_hint: null, running: null, ...change };
}

const running: TunnelStatus = status({
  running: {
    tool: "cloudflared",
    public_url: PUBLIC,
    webhook_urls: [`${PUBLIC}/`, `${PUBLIC}/draft`],
    local_url: "http://127.0.0.1:7420",
  },
});

beforeEach(() => {
  mocked.api.desktop = desktop;
  for (const f of Object.values(desktop)) f.mockReset();
});
afterEach(cleanup);

async function open(s: TunnelStatus) {
  desktop.tunnelStatus.mockResolvedValue(s);
  render(<TunnelPanel />);
  await act(async () => {});
}

describe("TunnelPanel", () => {
  it("starts the installed tool and shows the URLs to paste into Watson, then stops it", async () => {
    await open(status());
    expect(screen.queryByTestId("tunnel-tool")).toBeNull();
    let started: (s: TunnelStatus) => void = () => undefined;
    desktop.startTunnel.mockReturnValue(new Promise((resolve) => (started = resolve)));
    fireEvent.click(screen.getByTestId("tunnel-start"));
    expect(desktop.startTunnel).toHaveBeenCalledWith("cloudflared");
    expect(screen.getByTestId("tunnel-start").textContent).toBe("Starting cloudflared…");
    expect((screen.getByTestId("tunnel-start") as HTMLButtonElement).disabled).toBe(true);
    await act(async () => started(running));

    expect(screen.getByTestId("tunnel-public-url").textContent).toBe(PUBLIC);
    const copies = screen.getAllByTestId("copy-webhook-url");
    expect(copies).toHaveLength(2);
    const lines = copies.map((b) => b.parentElement?.querySelector("code")?.textContent);
    expect(lines).toEqual([`${PUBLIC}/`, `${PUBLIC}/draft`]);

    desktop.stopTunnel.mockResolvedValue(status());
    fireEvent.click(screen.getByTestId("tunnel-stop"));
    await act(async () => {});
    expect(desktop.stopTunnel).toHaveBeenCalled();
    expect(screen.queryByTestId("tunnel-public-url")).toBeNull();
    expect(screen.getByTestId("tunnel-start")).toBeTruthy();
  });

  it("lets the user choose when both tools are installed", async () => {
    await open(status({ installed: ["cloudflared", "ngrok"] }));
    fireEvent.change(screen.getByTestId("tunnel-tool"), { target: { value: "ngrok" } });
    desktop.startTunnel.mockResolvedValue(running);
    fireEvent.click(screen.getByTestId("tunnel-start"));
    await act(async () => {});
    expect(desktop.startTunnel).toHaveBeenCalledWith("ngrok");
  });

  it("shows a tunnel already running when it opens", async () => {
    await open(running);
    expect(screen.getAllByTestId("copy-webhook-url")).toHaveLength(2);
    expect(screen.queryByTestId("tunnel-start")).toBeNull();
  });

  it("says how to install one when neither is installed, with no button", async () => {
    await open(status({ installed: [], install_hint: "Neither cloudflared nor ngrok is installed. Install cloudflared" }));
    expect(screen.getByTestId("tunnel-install-hint").textContent).toContain("Install cloudflared");
    expect(screen.queryByRole("button")).toBeNull();
  });

  it("shows why a tunnel did not start", async () => {
    await open(status());
    desktop.startTunnel.mockRejectedValue({
      kind: "tunnel_failed",
      message: "cloudflared stopped before giving a public URL:\nERR failed to dial",
      span: null,
    });
    fireEvent.click(screen.getByTestId("tunnel-start"));
    await act(async () => {});
    expect(screen.getByTestId("tunnel-error").textContent).toContain("ERR failed to dial");
    expect((screen.getByTestId("tunnel-start") as HTMLButtonElement).disabled).toBe(false);
  });

  it("is not there in a browser", async () => {
    mocked.api.desktop = undefined;
    const { container } = render(<TunnelPanel />);
    await act(async () => {});
    expect(container.textContent).toBe("");
  });
});
