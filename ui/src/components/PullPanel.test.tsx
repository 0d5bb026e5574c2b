import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { act, cleanup, fireEvent, render, screen } from "@testing-library/react";
import type { PullRow } from "../api/types/PullRow";

const desktop = vi.hoisted(() => ({
  pullSettings: vi.fn(),
  startPull: vi.fn(),
}));
const mocked = vi.hoisted(() => ({ api: { pulls: vi.fn(), desktop: undefined as unknown } }));
vi.mock("../api", () => mocked);

const { PullPanel, pullCommand, pullState } = await import("./PullPanel");

const URL = "https://api.us-south.assistant.watson.cloud.ibm.com/instances/abc";

function pull(change: Partial<PullRow> = {}): PullRow {
  return {
    id: 1,
    url: URL,
    environment: "env-1",
    filter: null,
    after: "2026-11-01T00:00:00.000Z",
    before: null,
    started_at: Date.now() - 60_000,
    updated_at: Date.now() - 50_000,
    finished_at: Date.now() - 50_000,
    cursor: null,
    pages: 3,
    logs: 250,
    stored: 240,
    duplicates: 10,
    newest_request_ts: "2026-11-30T10:00:00.000Z",
    error: null,
    ...change,
  };
}

beforeEach(() => {
  mocked.api.desktop = undefined;
  mocked.api.pulls.mockReset();
  for (const f of Object.values(desktop)) f.mockReset();
});
afterEach(cleanup);

async function open() {
  render(<PullPanel />);
  await act(async () => {});
}

describe("pullState", () => {
  it("tells finished, failed, running and interrupted pulls apart", () => {
    const now = Date.now();
    expect(pullState(pull(), now)).toBe("finished");
    expect(pullState(pull({ finished_at: null, error: "the logs API answered 404" }), now)).toBe("failed");
    expect(pullState(pull({ finished_at: null, updated_at: now - 1_000 }), now)).toBe("running");
    expect(pullState(pull({ finished_at: null, updated_at: now - 3_600_000 }), now)).toBe("interrupted");
  });
});

describe("PullPanel", () => {
  it("lists each pull with its counts and its error, as text", async () => {
    mocked.api.pulls.mockResolvedValue([
      pull({ id: 2, finished_at: null, error: "<b>IAM refused</b>", stored: 0, logs: 0, pages: 0 }),
      pull(),
    ]);
    await open();
    const rows = screen.getAllByTestId("pull-row");
    expect(rows.map((r) => r.dataset.state)).toEqual(["failed", "finished"]);
    expect(rows[1].textContent).toContain("3 pages · 250 logs · 240 new · 10 already stored");
    expect(screen.getByTestId("pull-error").textContent).toBe("<b>IAM refused</b>");
    expect(document.querySelector("b")).toBeNull();
  });

  it("in a browser, gives the commands to run, the second from the last finished pull", async () => {
    mocked.api.pulls.mockResolvedValue([pull()]);
    await open();
    expect(screen.queryByTestId("pull-form")).toBeNull();
    const lines = [...document.querySelectorAll(".copy-line code")].map((c) => c.textContent);
    expect(lines).toEqual([pullCommand(URL, "env-1", "--since 30d"), pullCommand(URL, "env-1", "--since-last")]);
    expect(lines[1]).toContain("--environment env-1");
  });

  it("in the app, starts a pull with a new key, shows it masked, and pulls again since the last pull", async () => {
    mocked.api.desktop = desktop;
    mocked.api.pulls.mockResolvedValue([pull()]);
    desktop.pullSettings.mockResolvedValue({ url: URL, environment: "env-1", iamUrl: "", apiKeyMasked: null });
    desktop.startPull.mockResolvedValue({ url: URL, environment: "env-1", iamUrl: "", apiKeyMasked: "••••••" });
    await open();
    fireEvent.change(screen.getByTestId("pull-key"), { target: { value: "my-key" } });
    fireEvent.change(screen.getByTestId("pull-since"), { target: { value: "7d" } });
    await act(async () => fireEvent.click(screen.getByTestId("pull-start")));
    expect(desktop.startPull).toHaveBeenCalledWith({
      settings: { url: URL, environment: "env-1", iamUrl: "", newApiKey: "my-key" },
      since: "7d",
      sinceLast: false,
      filter: null,
    });
    const key = screen.getByTestId("pull-key") as HTMLInputElement;
    expect(key.value).toBe("");
    expect(key.type).toBe("password");
    expect(key.placeholder).toContain("••••••");

    await act(async () => fireEvent.click(screen.getByTestId("pull-again")));
    expect(desktop.startPull).toHaveBeenLastCalledWith(
      expect.objectContaining({ sinceLast: true, settings: expect.objectContaining({ newApiKey: null }) }),
    );
  });

  it("in the app, shows why a pull did not start", async () => {
    mocked.api.desktop = desktop;
    mocked.api.pulls.mockResolvedValue([]);
    desktop.pullSettings.mockResolvedValue({ url: "", environment: "", iamUrl: "", apiKeyMasked: null });
    desktop.startPull.mockRejectedValue({
      kind: "bad_request",
      message: "IBM Cloud IAM refused the API key (400): Provided API key could not be found.",
    });
    await open();
    expect((screen.getByTestId("pull-again") as HTMLButtonElement).disabled).toBe(true);
    await act(async () => fireEvent.click(screen.getByTestId("pull-start")));
    expect(screen.getByTestId("pull-start-error").textContent).toContain("Provided API key could not be found.");
    expect(screen.getByTestId("pull-none")).toBeTruthy();
  });
});
