import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { act, cleanup, fireEvent, render, screen } from "@testing-library/react";
import type { SettingsView } from "../api/types/SettingsView";
import type { Status } from "../api/types/Status";

const desktop = vi.hoisted(() => ({
  settings: vi.fn(),
  saveSettings: vi.fn(),
  revealSecret: vi.fn(),
  tunnelStatus: vi.fn(),
  startTunnel: vi.fn(),
  stopTunnel: vi.fn(),
  pullSettings: vi.fn(),
  startPull: vi.fn(),
}));
const mocked = vi.hoisted(() => ({
  api: { status: vi.fn(), pulls: vi.fn(), live: vi.fn(() => () => undefined), desktop: undefined as unknown },
}));
vi.mock("../api", () => mocked);

const { Forwarding, Projection, StatusView } = await import("./StatusView");
const { LiveFeed } = await import("../liveFeed");

function status(receiverUrl: string | null, team = false, receiverDatabase: string | null = null): Status {
  return {
    version: "0.1.0",
    database: team ? "logbook@db.example.com:5432/logbook" : "/data/logbook.db",
    team,
    receiver_url: receiverUrl,
    receiver_database: receiverDatabase,
    endpoints: [{ path: null, mode: "jwt" }],
    max_body_bytes: 10485760,
    tunnel_commands: receiverUrl ? [`cloudflared tunnel --url ${receiverUrl}`] : [],
    stats: {
      events: 0, messages: 0, conversations: 0, calls: 0, rejections_kept: 0, accepted_total: 0, duplicates_total: 0,
      rejected_total: 0, first_received_at: null, last_received_at: null, last_event_id: null, database_bytes: 4096,
      projection: { projected_through: 0, pending: 0, oldest_pending_at: null, rebuilding_through: null, deriver_version: 2, giving_way_since: null },
      forwarding: [],
      replays_sent: 0,
    },
    last_rejection_id: null,
  } as Status;
}

function settingsView(problem: SettingsView["receiver"]["problem"]): SettingsView {
  return {
    settings: {
      port: 7420,
      endpoints: [{ id: "default", path: null, mode: "jwt", secret_masked: "••••", forwards: [] }],
      max_body_bytes: 10485760,
      retention: { rejections_kept: 1000, keep_days: null, max_db_mb: null },
    },
    receiver: { url: null, read_only: problem?.kind === "read_only", problem },
    database: "/data/logbook.db",
    config_dir: "/config",
    restart_needed: false,
    team_store: { saved: null, showing: null, problem: null },
  };
}

beforeEach(() => {
  for (const f of Object.values(desktop)) f.mockReset();
  desktop.tunnelStatus.mockResolvedValue({ installed: [], install_hint: "Install cloudflared", running: null });
  desktop.pullSettings.mockResolvedValue({ url: "", environment: "", iamUrl: "", apiKeyMasked: null });
  mocked.api.status.mockReset();
  mocked.api.pulls.mockReset();
  mocked.api.pulls.mockResolvedValue([]);
});
afterEach(cleanup);

async function open() {
  render(<StatusView feed={new LiveFeed(mocked.api as never)} />);
  await act(async () => {});
}

describe("StatusView", () => {
  it("in a browser, tells how to start the receiver and has no app panels", async () => {
    mocked.api.desktop = undefined;
    mocked.api.status.mockResolvedValue(status(null));
    await open();
    expect(screen.getByTestId("not-receiving").textContent).toContain("logbook serve");
    expect(screen.queryByTestId("tunnel-panel")).toBeNull();
    expect(screen.queryByTestId("receiver-problem")).toBeNull();
  });

  it("names a team's PostgreSQL store, and offers no pulls, which only a SQLite store keeps", async () => {
    mocked.api.desktop = undefined;
    mocked.api.status.mockResolvedValue(status("http://127.0.0.1:7420", true));
    await open();
    expect(screen.getByTestId("status-database").textContent).toBe("PostgreSQL logbook@db.example.com:5432/logbook");
    expect(screen.queryByText("Pull history")).toBeNull();
    expect(mocked.api.pulls).not.toHaveBeenCalled();
  });

  it("in the app showing a team store, says the receiver stores into this computer's database", async () => {
    mocked.api.desktop = desktop;
    mocked.api.status.mockResolvedValue(status("http://127.0.0.1:7420", true, "/home/me/logbook.db"));
    desktop.settings.mockResolvedValue(settingsView(null));
    await open();
    expect(screen.getByTestId("status-database").textContent).toBe("PostgreSQL logbook@db.example.com:5432/logbook");
    const note = screen.getByTestId("receiver-database").textContent ?? "";
    expect(note).toContain("This page shows the team store PostgreSQL logbook@db.example.com:5432/logbook");
    expect(note).toContain("into this computer's store, /home/me/logbook.db");
    expect(screen.getByTestId("receiver-url").textContent).toBe("http://127.0.0.1:7420");
    expect(screen.getByText("Received by the team store")).toBeTruthy();
    expect(screen.queryByText("Pull history")).toBeNull();
  });

  it("names no other database when the receiver stores into the one shown", async () => {
    mocked.api.desktop = desktop;
    mocked.api.status.mockResolvedValue(status("http://127.0.0.1:7420"));
    desktop.settings.mockResolvedValue(settingsView(null));
    await open();
    expect(screen.queryByTestId("receiver-database")).toBeNull();
    expect(screen.getByText("Received")).toBeTruthy();
  });

  it("on this computer's database, offers the pulls", async () => {
    mocked.api.desktop = undefined;
    mocked.api.status.mockResolvedValue(status("http://127.0.0.1:7420"));
    await open();
    expect(screen.getByTestId("status-database").textContent).toBe("/data/logbook.db");
    expect(screen.getByText("Pull history")).toBeTruthy();
  });

  it("in the app, says another logbook serve receives into the database", async () => {
    mocked.api.desktop = desktop;
    mocked.api.status.mockResolvedValue(status(null));
    desktop.settings.mockResolvedValue(
      settingsView({ kind: "read_only", message: "Not receiving: the database is locked", suggested_port: null }),
    );
    await open();
    expect(screen.getByTestId("receiver-problem").textContent).toContain(
      "logbook serve is already receiving into this database: this window only reads it",
    );
    const wording = screen.getByTestId("not-receiving").textContent ?? "";
    expect(wording).not.toContain("Start the receiver");
    expect(wording).toContain("Settings");
    expect(screen.getByTestId("tunnel-panel")).toBeTruthy();
  });

  it("in the app, switches to the free port when the port is taken", async () => {
    mocked.api.desktop = desktop;
    mocked.api.status.mockResolvedValueOnce(status(null)).mockResolvedValue(status("http://127.0.0.1:7431"));
    desktop.settings.mockResolvedValue(
      settingsView({ kind: "port_taken", message: "Not receiving: port 7420 is in use", suggested_port: 7431 }),
    );
    await open();
    expect(screen.getByTestId("receiver-problem").textContent).toContain("Port 7420 is taken by another program");
    const fixed = settingsView(null);
    fixed.settings.port = 7431;
    fixed.receiver.url = "http://127.0.0.1:7431";
    desktop.saveSettings.mockResolvedValue(fixed);
    fireEvent.click(screen.getByText("Use port 7431 instead"));
    await act(async () => {});
    expect(desktop.saveSettings).toHaveBeenCalledWith({ ...settingsView(null).settings, port: 7431 });
    expect(screen.queryByTestId("receiver-problem")).toBeNull();
    expect(screen.getByTestId("receiver-url").textContent).toBe("http://127.0.0.1:7431");
  });
});

describe("Projection", () => {
  const base = {
    projected_through: 40,
    pending: 0,
    oldest_pending_at: null,
    rebuilding_through: null,
    deriver_version: 2,
    giving_way_since: null,
  };

  it("says every event is derived, with the deriver's version", () => {
    render(<Projection projection={base} />);
    expect(document.body.textContent).toContain("every event (deriver v2)");
  });

  it("says how many events are still to derive and how far behind", () => {
    render(<Projection projection={{ ...base, pending: 3, oldest_pending_at: Date.now() - 1500 }} />);
    expect(document.body.textContent).toMatch(/3 events still to derive · 1\.\d s behind/);
  });

  it("says when projection waits for a burst to be acknowledged, and only then", () => {
    render(<Projection projection={{ ...base, pending: 5000, oldest_pending_at: Date.now() - 3400 }} />);
    expect(screen.queryByTestId("giving-way")).toBeNull();
    cleanup();
    render(
      <Projection
        projection={{ ...base, pending: 5000, oldest_pending_at: Date.now() - 3400, giving_way_since: Date.now() - 2600 }}
      />,
    );
    expect(document.body.textContent).toMatch(
      /5,000 events still to derive · 3\.\d s behind · paused for 2\.\d s while a burst of requests is acknowledged/,
    );
  });

  it("shows a rebuild's progress", () => {
    render(<Projection projection={{ ...base, pending: 960, rebuilding_through: 1000 }} />);
    expect(document.body.textContent).toContain("rebuilding from the stored bodies: 40 of 1,000 events (4%)");
  });
});

describe("Forwarding", () => {
  it("lists each downstream's outbox and says what it gave up, and why", () => {
    render(
      <Forwarding
        outboxes={[
          { target: "https://a.example/in", delivered: 1200, pending: 0, gave_up: 0, oldest_pending_at: null, last_gave_up_at: null, last_gave_up_reason: null },
          {
            target: "/live@https://b.example/in",
            delivered: 5,
            pending: 3,
            gave_up: 2,
            oldest_pending_at: new Date(2026, 10, 30, 9, 0, 0).getTime(),
            last_gave_up_at: new Date(2026, 10, 30, 10, 0, 0).getTime(),
            last_gave_up_reason: "older than the outbox keeps (--forward-max-age): not delivered",
          },
        ]}
      />,
    );
    const rows = screen.getAllByTestId("forwarding-row").map((r) => r.textContent);
    expect(rows).toEqual([
      "1,200 delivered · 0 waiting · 0 given up",
      "5 delivered · 3 waiting (since 2026-11-30 09:00:00) · 2 given up",
    ]);
    expect(screen.getByTestId("forwarding-gave-up").textContent).toBe(
      "/live@https://b.example/in last gave up 2026-11-30 10:00:00: older than the outbox keeps (--forward-max-age): not delivered",
    );
  });
});
