import { fireEvent, render, screen, within } from "@testing-library/react";
import { beforeEach, describe, expect, it, vi } from "vitest";
import { api } from "../api";
import type { Period } from "../api/types/Period";
import type { Trends } from "../api/types/Trends";
import { CompareChooser, TrendsView, compareShiftMs, tenthTerms, tooltipIndex, turnsTerms } from "./TrendsView";

vi.mock("../api", () => import("./detail/mockApi"));

const HOUR_MS = 3_600_000;
const START_MS = Date.UTC(2026, 2, 12, 10);
const none = { n: 0, p50: null, p95: null, p99: null };

function period(calls: number): Period {
  return {
    start_ms: START_MS,
    end_ms: START_MS + 2 * HOUR_MS,
    bucket: "hour",
    bucket_ms: HOUR_MS,
    totals: { messages: 4, conversations: 2, calls, failed: 1, transferred: 1, with_warnings: 2, rejected: 0 },
    buckets: [0, 1].map((i) => ({
      start_ms: START_MS + i * HOUR_MS,
      messages: 2,
      conversations: 1,
      calls: i + 1,
      failed: i,
      transferred: i,
      with_warnings: 1,
      rejected: 0,
      end_reasons: [{ value: "caller_hangup", count: 1, other: false }],
      custom: [],
    })),
    latency: [
      {
        name: "assistant_turn_ms",
        label: "Assistant response, per call turn",
        counts: "call turns",
        overall: { n: 4, p50: 300, p95: 700, p99: 700 },
        buckets: [{ n: 2, p50: 300, p95: 500, p99: 500 }, none],
      },
    ],
    end_reasons: [
      { value: "caller_hangup", count: 2, other: false },
      { value: "failed", count: 1, other: false },
    ],
    failure_details: [{ value: "SIP 503", count: 1, other: false }],
    warning_codes: [
      { code: "CWSMR0031W", calls: 1, occurrences: 1, new: false },
      { code: "CWSXX0001E", calls: 1, occurrences: 2, new: true },
    ],
    intents: [
      { intent: "pay_bill", title: null, count: 2, median_confidence: 0.4, low: 1 },
      { intent: "action_24031_intent_11874", title: "Check order status", count: 1, median_confidence: 0.9, low: 0 },
    ],
    actions: [{ value: "Check order status", count: 3, other: false }],
    input_kinds: [{ value: "text", count: 4, other: false }],
    turns_per_conversation: [{ value: "2", count: 2, other: false }],
    intent_confidence: [],
    stt_confidence: [],
    low_confidence: { count: 1, of: 4 },
    barge_in: { count: 0, of: 0 },
    custom: null,
    slowest_turns: [
      { call_event_id: 7, global_session_id: "c2", seq: 0, request_type: "start", assistant_ms: 700, tts_ms: 10, stt_ms: null, start_ts: null, call_start_at: START_MS + HOUR_MS, log_id: null },
      { call_event_id: 5, global_session_id: "c1", seq: 1, request_type: "speech_to_text", assistant_ms: 500, tts_ms: 90, stt_ms: 40, start_ts: null, call_start_at: START_MS, log_id: null },
    ],
  };
}

const trends: Trends = {
  method: "nearest-rank, exact",
  low_confidence: 0.5,
  current: period(3),
  previous: period(1),
  changes: [{ measure: "calls", current: 3, previous: 1, percent: 200, notable: false }],
};

beforeEach(() => {
  vi.mocked(api.trends).mockReset().mockResolvedValue(trends);
  vi.mocked(api.customKeys).mockReset().mockResolvedValue([]);
});

// Rendering a dozen charts in jsdom takes a few seconds on a busy machine.
describe("TrendsView", { timeout: 30_000 }, () => {
  it("asks for the search over its range, shows the totals, and opens the lists they stand for", async () => {
    const navigate = vi.fn();
    render(<TrendsView route={{ view: "trends", q: "channel:Phone", range: "24h" }} navigate={navigate} onQueryError={() => {}} />);
    const calls = await screen.findByTestId("total-calls");
    expect(api.trends).toHaveBeenCalledWith({ q: "channel:Phone after:24h", compare: null, custom: null });
    expect(calls.textContent).toContain("3");
    expect(calls.textContent).toContain("was 1");
    fireEvent.click(screen.getByTestId("total-failed"));
    expect(navigate).toHaveBeenLastCalledWith({ view: "calls", q: "channel:Phone failed:true", range: "24h" });
    fireEvent.click(screen.getByRole("button", { name: "CWSXX0001E" }));
    expect(navigate).toHaveBeenLastCalledWith({ view: "calls", q: "channel:Phone warning:CWSXX0001E", range: "24h" });
    expect(within(screen.getByTestId("trends-warnings")).getAllByText("new")).toHaveLength(1);
    fireEvent.change(screen.getByTestId("trends-compare"), { target: { value: "7d" } });
    expect(navigate).toHaveBeenLastCalledWith({ view: "trends", q: "channel:Phone", range: "24h", compare: "7d" });
    fireEvent.click(screen.getByTestId("trends-barge-in"));
    expect(navigate).toHaveBeenLastCalledWith({ view: "calls", q: "channel:Phone barge_in:true", range: "24h" });
  });

  it("shows each chart's numbers as a table", async () => {
    render(<TrendsView route={{ view: "trends" }} navigate={vi.fn()} onQueryError={() => {}} />);
    fireEvent.click(await screen.findByTestId("trends-latency-table-toggle"));
    const rows = within(screen.getByTestId("trends-latency")).getAllByRole("row");
    expect(rows.map((r) => r.textContent)).toEqual([
      "bucket (UTC)np50 msp95 msp99 msprevious p95 ms",
      "03-12 10:002300500500500",
      "03-12 11:000————",
    ]);
    fireEvent.click(screen.getByTestId("trends-end-reasons-table-toggle"));
    const reasons = within(screen.getByTestId("trends-end-reasons")).getAllByRole("row");
    expect(reasons.map((r) => r.textContent)).toEqual(["end reasoncallsprevious", "caller hangup22", "failed11"]);
    fireEvent.click(screen.getByTestId("trends-intents-table-toggle"));
    const intents = within(screen.getByTestId("trends-intents")).getAllByRole("row");
    expect(intents.map((r) => r.textContent)).toEqual([
      "intentactionmessagesmedian confidencelow confidence",
      "pay_bill20.401",
      "action_24031_intent_11874Check order status10.900",
    ]);
  });

  it("sorts the slowest turns and opens a call at its turn", async () => {
    const navigate = vi.fn();
    render(<TrendsView route={{ view: "trends" }} navigate={navigate} onQueryError={() => {}} />);
    const turns = await screen.findAllByTestId("slow-turn");
    expect(turns.map((t) => t.textContent?.slice(0, 6))).toEqual(["700 ms", "500 ms"]);
    fireEvent.click(screen.getByRole("button", { name: "TTS" }));
    expect(screen.getAllByTestId("slow-turn").map((t) => within(t).getByRole("link").textContent)).toEqual(["c1", "c2"]);
    fireEvent.click(screen.getByRole("link", { name: "c2" }));
    expect(navigate).toHaveBeenLastCalledWith({ view: "call", id: "c2", turn: 0 });
  });
});

describe("tooltipIndex", () => {
  it("reads the bucket of a line-chart click, the first one included", () => {
    expect(tooltipIndex(0)).toBe(0);
    expect(tooltipIndex("0")).toBe(0);
    expect(tooltipIndex("3")).toBe(3);
    expect(tooltipIndex(null)).toBe(null);
    expect(tooltipIndex("")).toBe(null);
    expect(tooltipIndex(-1)).toBe(null);
  });
});

describe("the terms a distribution's bar opens its list with", () => {
  it("bounds a confidence tenth, leaving the ends open", () => {
    expect(tenthTerms("confidence.stt", "0.3-0.4")).toBe("confidence.stt>=0.3 confidence.stt<0.4");
    expect(tenthTerms("confidence.intent", "0.0-0.1")).toBe("confidence.intent<0.1");
    expect(tenthTerms("confidence.intent", "0.9-1.0")).toBe("confidence.intent>=0.9");
    expect(tenthTerms("confidence.intent", "(others)")).toBe(null);
  });

  it("bounds a conversation length bin", () => {
    expect(turnsTerms("3")).toBe("turns=3");
    expect(turnsTerms("6-10")).toBe("turns>=6 turns<=10");
    expect(turnsTerms("21+")).toBe("turns>=21");
    expect(turnsTerms("(none)")).toBe(null);
  });
});

describe("comparing with another range", () => {
  it("reads a named shift", () => {
    expect(compareShiftMs("7d")).toBe(7 * 24 * HOUR_MS);
    expect(compareShiftMs("90m")).toBe(90 * 60_000);
    expect(compareShiftMs("previous")).toBe(null);
  });

  it("turns a chosen start into the shift back, and refuses a start after the range's", () => {
    const onChange = vi.fn();
    render(<CompareChooser compare={undefined} startMs={START_MS} onChange={onChange} />);
    fireEvent.change(screen.getByTestId("trends-compare"), { target: { value: "start" } });
    expect(onChange).not.toHaveBeenCalled();
    const start = screen.getByTestId("trends-compare-start");
    // Three days and two hours before 2026-03-12 10:00 UTC.
    fireEvent.change(start, { target: { value: "2026-03-09T08:00" } });
    expect(onChange).toHaveBeenLastCalledWith(`${(3 * 24 + 2) * 60}m`);
    fireEvent.change(start, { target: { value: "2026-03-13T08:00" } });
    expect(screen.getByRole("alert").textContent).toContain("before this range");
    expect(onChange).toHaveBeenCalledTimes(1);
  });
});
