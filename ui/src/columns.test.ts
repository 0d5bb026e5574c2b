import { describe, expect, it } from "vitest";
import { layoutColumns, NO_PREFS } from "./columns";
import type { ColumnSpec } from "./columns";

const COLS: ColumnSpec[] = [
  { id: "Start", min: 140, ideal: 150, priority: 1 },
  { id: "Caller", min: 120, ideal: 140, priority: 1 },
  { id: "TTS", min: 60, ideal: 64, priority: 5 },
  { id: "Transfer", min: 92, ideal: 92, priority: 3 },
  { id: "Custom data", min: 160, ideal: 260, grow: 1, priority: 2 },
];
const GAP = 10;
const used = (w: Map<string, number>) => [...w.values()].reduce((a, b) => a + b, 0) + GAP * (w.size - 1);

describe("column layout", () => {
  it("fills the width exactly, the growing column taking what is left", () => {
    const { widths, dropped } = layoutColumns(COLS, 1200, GAP, NO_PREFS);
    expect(dropped).toEqual([]);
    expect(used(widths)).toBe(1200);
    expect(widths.get("Start")).toBe(150);
    expect(widths.get("Custom data")).toBe(1200 - 150 - 140 - 64 - 92 - 4 * GAP);
  });

  it("drops the lowest priority first when even the smallest widths do not fit, never overflowing", () => {
    for (const width of [900, 700, 560, 400, 300]) {
      const { widths, dropped } = layoutColumns(COLS, width, GAP, NO_PREFS);
      expect(used(widths)).toBeLessThanOrEqual(Math.max(width, 140));
      if (width < 600) expect(dropped[0]).toBe("TTS");
      for (const c of COLS) if (widths.has(c.id)) expect(widths.get(c.id)).toBeGreaterThanOrEqual(c.min);
    }
    expect(layoutColumns(COLS, 560, GAP, NO_PREFS).dropped).toEqual(["TTS"]);
    expect(layoutColumns(COLS, 500, GAP, NO_PREFS).dropped).toEqual(["TTS", "Transfer"]);
  });

  it("keeps a width the user set and leaves out what the user hid; order stays the columns'", () => {
    const { widths } = layoutColumns(COLS, 1200, GAP, { widths: { Caller: 300 }, hidden: ["TTS"] });
    expect([...widths.keys()]).toEqual(["Start", "Caller", "Transfer", "Custom data"]);
    expect(widths.get("Caller")).toBe(300);
    expect(used(widths)).toBe(1200);
    // A width below the column's smallest is raised to it.
    expect(layoutColumns(COLS, 1200, GAP, { widths: { Caller: 10 }, hidden: [] }).widths.get("Caller")).toBe(120);
  });
});
