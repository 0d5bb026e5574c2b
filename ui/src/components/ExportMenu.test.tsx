import { afterEach, describe, expect, it, vi } from "vitest";
import { act, cleanup, fireEvent, render, screen } from "@testing-library/react";
import type { ExportProgress } from "../api/types/ExportProgress";

const mocked = vi.hoisted(() => ({ api: { exportRows: vi.fn() } }));
vi.mock("../api", () => mocked);

const { ExportMenu } = await import("./ExportMenu");

afterEach(cleanup);

describe("ExportMenu", () => {
  it("shows the rows written while the app exports, then where it saved them", async () => {
    let report: (p: ExportProgress) => void = () => undefined;
    let finish: (r: { rows: number; path: string }) => void = () => undefined;
    mocked.api.exportRows.mockImplementation(
      (_k: unknown, _f: unknown, _q: unknown, onProgress: (p: ExportProgress) => void) => {
        report = onProgress;
        return new Promise((resolve) => (finish = resolve));
      },
    );
    render(<ExportMenu defaultKind="calls" query="" routeKey="#/calls" />);
    fireEvent.click(screen.getByTestId("export"));
    fireEvent.click(screen.getByTestId("export-run"));
    expect(mocked.api.exportRows).toHaveBeenCalledWith("calls", "csv", "", expect.any(Function));
    expect(screen.queryByTestId("export-progress")).toBeNull();
    await act(async () => report({ rows: 12_000, done: false }));
    expect(screen.getByTestId("export-progress").textContent).toBe("12,000 rows…");
    await act(async () => finish({ rows: 12_345, path: "/tmp/calls.csv" }));
    expect(screen.queryByTestId("export-progress")).toBeNull();
    expect(screen.getByRole("status").textContent).toBe("Saved 12,345 rows to /tmp/calls.csv");
  });

  it("closes when the route changes", () => {
    const { rerender } = render(<ExportMenu defaultKind="calls" query="" routeKey="#/calls" />);
    fireEvent.click(screen.getByTestId("export"));
    expect(screen.getByTestId("export-menu")).toBeTruthy();
    rerender(<ExportMenu defaultKind="calls" query="" routeKey="#/calls/17" />);
    expect(screen.queryByTestId("export-menu")).toBeNull();
  });
});
