import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { act, cleanup, fireEvent, render, screen, within } from "@testing-library/react";
import type { SettingsView as SettingsViewData } from "../api/types/SettingsView";
import type { Settings } from "../api/types/Settings";

const SECRET = "the draft secret <script>alert(1)</script>";

function settings(): Settings {
  return {
    port: 7420,
    endpoints: [
      {
        id: "default",
        path: null,
        mode: "jwt",
        secret_masked: "••••••••••••••••",
        forwards: [
          {
            id: "f0f0f0f0",
            url: "https://logs.example.com/in",
            mode: "jwt",
            headers: [{ name: "X-Team", value: "support" }],
            parallel: 1,
            secret_masked: "••••••••",
          },
        ],
      },
      { id: "a1b2c3d4", path: "/draft", mode: "header", secret_masked: "••••••", forwards: [] },
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
    team_store: { saved: null, showing: null, problem: null },
    ...change,
  };
}

const desktop = vi.hoisted(() => ({
  settings: vi.fn(),
  saveSettings: vi.fn(),
  revealSecret: vi.fn(),
  openTeamStore: vi.fn(),
  closeTeamStore: vi.fn(),
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
  switched.mockReset();
});
afterEach(cleanup);

const switched = vi.fn();

async function open(v: SettingsViewData = view()) {
  desktop.settings.mockResolvedValue(v);
  render(<SettingsView onStoreSwitched={switched} />);
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
        {
          id: "default",
          path: null,
          mode: "jwt",
          forwards: [
            {
              id: "f0f0f0f0",
              url: "https://logs.example.com/in",
              mode: "jwt",
              headers: [{ name: "X-Team", value: "support" }],
              parallel: 1,
            },
          ],
        },
        { id: "a1b2c3d4", path: "/draft", mode: "header", new_secret: "replaced", forwards: [] },
        { id: "", path: "/live", mode: "none", forwards: [] },
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

  it("adds, edits and removes downstreams, their secret masked and sent only when typed", async () => {
    await open();
    const rows = screen.getAllByTestId("endpoint-edit");
    const existing = within(rows[0]).getByTestId("forward-edit");
    expect(within(existing).getByTestId("forward-secret").textContent).toBe("••••••••");
    expect((within(existing).getByTestId("forward-headers") as HTMLTextAreaElement).value).toBe("X-Team: support");
    // Edited: passes Watson's header through (no secret asked for), two at once.
    fireEvent.change(within(existing).getByTestId("forward-mode"), { target: { value: "passthrough" } });
    expect(within(existing).queryByTestId("forward-new-secret")).toBeNull();
    fireEvent.change(within(existing).getByTestId("forward-parallel"), { target: { value: "2" } });
    // Added on /draft: signs with its own secret, with an extra header.
    fireEvent.click(within(rows[1]).getByTestId("forward-add"));
    const added = within(rows[1]).getByTestId("forward-edit");
    fireEvent.change(within(added).getByTestId("forward-url"), { target: { value: " http://127.0.0.1:9000/in " } });
    fireEvent.change(within(added).getByTestId("forward-new-secret"), { target: { value: "its own" } });
    fireEvent.change(within(added).getByTestId("forward-headers"), { target: { value: "X-Env: draft" } });
    desktop.saveSettings.mockResolvedValue(view());
    fireEvent.click(screen.getByTestId("settings-save"));
    await act(async () => {});
    const saved = savedWith();
    expect(saved.endpoints[0].forwards).toEqual([
      { id: "f0f0f0f0", url: "https://logs.example.com/in", mode: "passthrough", headers: [{ name: "X-Team", value: "support" }], parallel: 2 },
    ]);
    expect(saved.endpoints[1].forwards).toEqual([
      { id: "", url: "http://127.0.0.1:9000/in", mode: "jwt", headers: [{ name: "X-Env", value: "draft" }], parallel: 1, new_secret: "its own" },
    ]);
    // Removed.
    fireEvent.click(within(screen.getAllByTestId("endpoint-edit")[0]).getByTestId("forward-remove"));
    fireEvent.click(screen.getByTestId("settings-save"));
    await act(async () => {});
    expect(savedWith().endpoints[0].forwards).toEqual([]);
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

const TEAM_URL = "postgres://alice@db.example.com:5432/logbook?sslmode=require";
const TEAM_PASSWORD = "team pässword <b>";

/** The settings view with the team store saved, and shown or not. */
function teamView(showing: boolean, problem: string | null = null): SettingsViewData {
  return view({
    team_store: {
      saved: { url: TEAM_URL, open: showing || problem !== null, password_masked: "••••••••••••" },
      showing: showing ? "alice@db.example.com:5432/logbook" : null,
      problem,
    },
  });
}

describe("Settings › Team store", () => {
  it("opens a team store with a URL and a password, then reloads the views on it", async () => {
    await open();
    const section = screen.getByTestId("team-store");
    expect(within(section).getByTestId("team-store-local").textContent).toContain("this computer's store");
    expect(within(section).queryByTestId("team-store-close")).toBeNull();
    expect((within(section).getByTestId("team-store-open") as HTMLButtonElement).disabled).toBe(true);
    fireEvent.change(within(section).getByTestId("team-store-url"), { target: { value: ` ${TEAM_URL} ` } });
    const password = within(section).getByTestId("team-store-password") as HTMLInputElement;
    expect(password.type).toBe("password");
    fireEvent.change(password, { target: { value: TEAM_PASSWORD } });
    desktop.openTeamStore.mockResolvedValue(teamView(true));
    fireEvent.click(within(section).getByTestId("team-store-open"));
    await act(async () => {});
    expect(desktop.openTeamStore).toHaveBeenCalledWith({ url: TEAM_URL, password: TEAM_PASSWORD });
    expect(switched).toHaveBeenCalledTimes(1);
    // Shown as the app answers: the store named without its password, the password masked.
    expect(screen.getByTestId("team-store-showing").textContent).toContain(
      "Every view shows the team store PostgreSQL alice@db.example.com:5432/logbook",
    );
    expect(screen.getByTestId("team-store-showing").textContent).toContain(
      "/home/me/.local/share/assistant-logbook/logbook.db",
    );
    expect(screen.getByTestId("team-store-password-masked").textContent).toBe("••••••••••••");
    expect((screen.getByTestId("team-store-password") as HTMLInputElement).value).toBe("");
    expect(document.body.textContent).not.toContain(TEAM_PASSWORD);
    expect(document.querySelector("b")).toBeNull();
  });

  it("keeps the store shown and the form as typed when the app refuses the URL", async () => {
    await open(teamView(true));
    const section = screen.getByTestId("team-store");
    const other = "postgres://bob@elsewhere.example.com/logbook";
    fireEvent.change(within(section).getByTestId("team-store-url"), { target: { value: other } });
    // Another URL: the stored password is not offered for it.
    expect(within(section).queryByTestId("team-store-password-masked")).toBeNull();
    desktop.openTeamStore.mockRejectedValue({
      kind: "bad_request",
      message:
        "The team store was not opened: cannot connect to PostgreSQL at bob@elsewhere.example.com:5432/logbook: error connecting to server. The views still show the store they showed.",
      span: null,
    });
    fireEvent.click(within(section).getByTestId("team-store-open"));
    await act(async () => {});
    expect(desktop.openTeamStore).toHaveBeenCalledWith({ url: other, password: null });
    expect(screen.getByTestId("team-store-error").textContent).toContain(
      "cannot connect to PostgreSQL at bob@elsewhere.example.com:5432/logbook",
    );
    expect(switched).not.toHaveBeenCalled();
    expect(screen.getByTestId("team-store-showing").textContent).toContain("alice@db.example.com");
    expect((screen.getByTestId("team-store-url") as HTMLInputElement).value).toBe(other);
  });

  it("goes back to this computer's store, keeping the team store for next time", async () => {
    await open(teamView(true));
    // The saved URL, with its stored password masked: Open again needs no typing.
    expect((screen.getByTestId("team-store-url") as HTMLInputElement).value).toBe(TEAM_URL);
    expect(screen.getByTestId("team-store-password-masked").textContent).toBe("••••••••••••");
    desktop.closeTeamStore.mockResolvedValue(teamView(false));
    fireEvent.click(screen.getByTestId("team-store-close"));
    await act(async () => {});
    expect(desktop.closeTeamStore).toHaveBeenCalledWith(false);
    expect(switched).toHaveBeenCalledTimes(1);
    expect(screen.getByTestId("team-store-local")).toBeTruthy();
    expect(screen.queryByTestId("team-store-close")).toBeNull();
    // Forgetting a store not shown changes no view: nothing to reload.
    desktop.closeTeamStore.mockResolvedValue(view());
    fireEvent.click(screen.getByTestId("team-store-forget"));
    await act(async () => {});
    expect(desktop.closeTeamStore).toHaveBeenLastCalledWith(true);
    expect(switched).toHaveBeenCalledTimes(1);
    expect(screen.queryByTestId("team-store-forget")).toBeNull();
    expect((screen.getByTestId("team-store-url") as HTMLInputElement).value).toBe("");
  });

  it("says why the team store chosen last time is not shown", async () => {
    const why =
      "The team store could not be opened when the app started: cannot connect to PostgreSQL at alice@db.example.com:5432/logbook: timed out. The views show this computer's store; open the team store again when it can be reached.";
    await open(teamView(false, why));
    expect(screen.getByTestId("team-store-problem").textContent).toBe(why);
    expect(screen.getByTestId("team-store-local")).toBeTruthy();
    desktop.openTeamStore.mockResolvedValue(teamView(true));
    fireEvent.click(screen.getByTestId("team-store-open"));
    await act(async () => {});
    expect(desktop.openTeamStore).toHaveBeenCalledWith({ url: TEAM_URL, password: null });
    expect(switched).toHaveBeenCalledTimes(1);
    expect(screen.queryByTestId("team-store-problem")).toBeNull();
  });
});

describe("the settings form", () => {
  it("round-trips the settings it was given", () => {
    const s = settings();
    const read = fromDraft(toDraft(s));
    expect(read).toEqual({
      settings: {
        ...s,
        endpoints: s.endpoints.map(({ id, path, mode, forwards }) => ({
          id,
          path,
          mode,
          forwards: forwards.map(({ id, url, mode, headers, parallel }) => ({ id, url, mode, headers, parallel })),
        })),
      },
    });
  });

  it("drops a typed secret when the mode needs none", () => {
    const draft = toDraft(settings());
    draft.endpoints[0] = { ...draft.endpoints[0], mode: "none", newSecret: "x" };
    const read = fromDraft(draft);
    expect("settings" in read && read.settings.endpoints[0]).toMatchObject({ id: "default", path: null, mode: "none" });
    expect("settings" in read && read.settings.endpoints[0]).not.toHaveProperty("new_secret");
  });

  it("reads extra headers a line each, and refuses a line that is not Name: value", () => {
    const draft = toDraft(settings());
    draft.endpoints[0].forwards[0].headers = "X-Team: support\n\n  X-Env:  live  \n";
    const read = fromDraft(draft);
    expect("settings" in read && read.settings.endpoints[0].forwards[0].headers).toEqual([
      { name: "X-Team", value: "support" },
      { name: "X-Env", value: "live" },
    ]);
    draft.endpoints[0].forwards[0].headers = "X-Team support";
    expect(fromDraft(draft)).toEqual({
      error: 'Downstream https://logs.example.com/in: header line "X-Team support" must read Name: value.',
    });
    draft.endpoints[0].forwards[0].headers = "";
    draft.endpoints[0].forwards[0].parallel = "four";
    expect(fromDraft(draft)).toHaveProperty("error");
  });
});
