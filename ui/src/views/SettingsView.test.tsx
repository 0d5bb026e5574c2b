import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { act, cleanup, fireEvent, render, screen, within } from "@testing-library/react";
import type { SettingsView as SettingsViewData } from "../api/types/SettingsView";
import type { Settings } from "../api/types/Settings";

const SECRET = "the draft secret <script>alert(1)</script>";

function settings(): Settings {
  return {
    port: 7420,
    endpoints: [
      { id: "default", path: null, mode: "jwt", secret_masked: "••••••••••••••••" },
      { id: "a1b2c3d4", path: "/draft", mode: "header", secret_masked: "••••••" },
    ],
    max_body_bytes: 10 * 1024 * 1024,
    retention: { rejections_kept: 1000, keep_days: null, max_db_mb: 500 },
  };
}

function view(change: Partial<SettingsViewData> = {}): SettingsViewData {
  return {
    settings: settings(),
    receiver: { url: "http://127.0.0.1:7420", read_only: false, problem: null },
    database: "/home/me/.local/share/assistant-logbook/logbook.db",
    config_dir: "/home/me/.config/dev.assistant-logbook.desktop",
    restart_needed: false,
    ...change,
  };
}

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

const { SettingsView, fromDraft, toDraft } = await import("./SettingsView");

beforeEach(() => {
  mocked.api.desktop = desktop;
  for (const f of Object.values(desktop)) f.mockReset();
});
afterEach(cleanup);

async function open(v: SettingsViewData = view()) {
  desktop.settings.mockResolvedValue(v);
  render(<SettingsView />);
  await act(async () => {});
}

/** What save_settings was called with last. */
function savedWith(): Settings {
  const calls = desktop.saveSettings.mock.calls;
  return calls[calls.length - 1][0] as Settings;
}

describe("SettingsView", () => {
  it("shows each secret masked until Show asks the app for it", async () => {
    await open();
    const rows = screen.getAllByTestId("endpoint-edit");
    expect(rows).toHaveLength(2);
    const secrets = screen.getAllByTestId("secret-value");
    expect(secrets.map((s) => s.textContent)).toEqual(["••••••••••••••••", "••••••"]);
    expect(document.body.textContent).not.toContain(SECRET);
    expect(desktop.revealSecret).not.toHaveBeenCalled();

    desktop.revealSecret.mockResolvedValue(SECRET);
    fireEvent.click(within(rows[1]).getByTestId("secret-show"));
    await act(async () => {});
    expect(desktop.revealSecret).toHaveBeenCalledWith("a1b2c3d4");
    expect(within(rows[1]).getByTestId("secret-value").textContent).toBe(SECRET);
    // Shown as text: the markup in it is not markup.
    expect(document.querySelector("script")).toBeNull();
    fireEvent.click(within(rows[1]).getByTestId("secret-hide"));
    expect(within(rows[1]).getByTestId("secret-value").textContent).toBe("••••••");
  });

  it("saves the port, a replaced secret, a new endpoint and retention", async () => {
    await open();
    fireEvent.change(screen.getByTestId("settings-port"), { target: { value: "7431" } });
    const rows = screen.getAllByTestId("endpoint-edit");
    fireEvent.change(within(rows[1]).getByTestId("endpoint-new-secret"), { target: { value: "replaced" } });
    fireEvent.click(screen.getByTestId("endpoint-add"));
    const added = screen.getAllByTestId("endpoint-edit")[2];
    expect(within(added).queryByTestId("secret-show")).toBeNull();
    fireEvent.change(within(added).getByTestId("endpoint-path"), { target: { value: " /live " } });
    fireEvent.change(within(added).getByTestId("endpoint-mode"), { target: { value: "none" } });
    fireEvent.change(screen.getByTestId("settings-keep-days"), { target: { value: "30" } });
    fireEvent.change(screen.getByTestId("settings-max-db"), { target: { value: "" } });

    const after = view({ restart_needed: true });
    after.settings.port = 7431;
    desktop.saveSettings.mockResolvedValue(after);
    fireEvent.click(screen.getByTestId("settings-save"));
    await act(async () => {});
    expect(savedWith()).toEqual({
      port: 7431,
      endpoints: [
        { id: "default", path: null, mode: "jwt" },
        { id: "a1b2c3d4", path: "/draft", mode: "header", new_secret: "replaced" },
        { id: "", path: "/live", mode: "none" },
      ],
      max_body_bytes: 10 * 1024 * 1024,
      retention: { rejections_kept: 1000, keep_days: 30, max_db_mb: null },
    });
    expect(screen.getByTestId("settings-saved").textContent).toBe("Saved.");
    expect(screen.getByTestId("restart-needed").textContent).toContain("next launch");
    // The form now shows what was saved (the secret field empty again).
    expect((screen.getByTestId("settings-port") as HTMLInputElement).value).toBe("7431");
    expect(screen.getAllByTestId("endpoint-edit")).toHaveLength(2);
  });

  it("shows the app's refusal as it words it, and keeps the edits", async () => {
    await open();
    fireEvent.change(screen.getAllByTestId("endpoint-path")[1], { target: { value: "draft" } });
    desktop.saveSettings.mockRejectedValue({
      kind: "bad_request",
      message: 'endpoint path "draft" must start with \'/\'',
      span: null,
    });
    fireEvent.click(screen.getByTestId("settings-save"));
    await act(async () => {});
    expect(screen.getByTestId("settings-error").textContent).toBe('endpoint path "draft" must start with \'/\'');
    expect((screen.getAllByTestId("endpoint-path")[1] as HTMLInputElement).value).toBe("draft");
  });

  it("does not send what is not a number", async () => {
    await open();
    fireEvent.change(screen.getByTestId("settings-port"), { target: { value: "74x" } });
    fireEvent.click(screen.getByTestId("settings-save"));
    await act(async () => {});
    expect(desktop.saveSettings).not.toHaveBeenCalled();
    expect(screen.getByTestId("settings-error").textContent).toContain("port");
  });

  it("keeps one endpoint at least", async () => {
    await open();
    const removes = screen.getAllByTestId("endpoint-remove") as HTMLButtonElement[];
    fireEvent.click(removes[1]);
    expect(screen.getAllByTestId("endpoint-edit")).toHaveLength(1);
    expect((screen.getByTestId("endpoint-remove") as HTMLButtonElement).disabled).toBe(true);
  });

  it("offers the free port when the port is taken", async () => {
    await open(
      view({
        receiver: {
          url: null,
          read_only: false,
          problem: { kind: "port_taken", message: "Not receiving: port 7420 is already in use", suggested_port: 7431 },
        },
      }),
    );
    const banner = screen.getByTestId("receiver-problem");
    expect(banner.textContent).toContain("Port 7420 is taken by another program");
    const fixed = view();
    fixed.settings.port = 7431;
    fixed.receiver.url = "http://127.0.0.1:7431";
    desktop.saveSettings.mockResolvedValue(fixed);
    fireEvent.click(within(banner).getByText("Use port 7431 instead"));
    await act(async () => {});
    expect(savedWith()).toEqual({ ...settings(), port: 7431 });
    expect(screen.queryByTestId("receiver-problem")).toBeNull();
    expect(screen.getByTestId("settings-receiver-url").textContent).toBe("http://127.0.0.1:7431");
  });

  it("in a browser says where the settings are instead", async () => {
    mocked.api.desktop = undefined;
    render(<SettingsView />);
    await act(async () => {});
    expect(screen.getByTestId("settings-view").textContent).toContain("logbook serve --help");
    expect(screen.queryByRole("button")).toBeNull();
  });
});

describe("the settings form", () => {
  it("round-trips the settings it was given", () => {
    const s = settings();
    const read = fromDraft(toDraft(s));
    expect(read).toEqual({
      settings: { ...s, endpoints: s.endpoints.map(({ id, path, mode }) => ({ id, path, mode })) },
    });
  });

  it("drops a typed secret when the mode needs none", () => {
    const draft = toDraft(settings());
    draft.endpoints[0] = { ...draft.endpoints[0], mode: "none", newSecret: "x" };
    const read = fromDraft(draft);
    expect("settings" in read && read.settings.endpoints[0]).toEqual({ id: "default", path: null, mode: "none" });
  });
});
