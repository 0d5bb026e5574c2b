import { afterEach, describe, expect, it, vi } from "vitest";
import { cleanup, render } from "@testing-library/react";
import type { CallRow } from "../api/types/CallRow";
import { facetTerm } from "../query";

vi.mock("../api", () => ({ api: {} }));
const { failureCell } = await import("./CallsView");

function call(failure_occurred: boolean | null, failure_details: string | null): CallRow {
  return {
    event_id: 1, global_session_id: "g", start_ts: null, start_at: 0, caller: null, callee: null,
    primary_phone_number: null, duration_ms: null, end_reason: "failed", failure_occurred, failure_details,
    transfer_occurred: null, max_assistant_ms: null, max_tts_ms: null, max_stt_ms: null, setup_ms: null,
    warning_count: 0, turn_count: 0, endpoint: "/", custom_data: {},
  };
}

afterEach(cleanup);

describe("the calls list's failure column", () => {
  it("says why a call failed, in Watson's words, as text", () => {
    const cause = "Media negotiation failed: <b>no common codec</b>";
    const { container } = render(<>{failureCell(call(true, cause))}</>);
    expect(container.textContent).toBe(cause);
    expect(container.querySelector("b")).toBeNull();
  });

  it("marks a failure without a cause, and says no for a call that did not fail", () => {
    expect(render(<>{failureCell(call(true, null))}</>).container.textContent).toBe("failed");
    cleanup();
    expect(render(<>{failureCell(call(false, null))}</>).container.textContent).toBe("no");
  });

  it("a failure-reason facet value becomes a quoted failure: term", () => {
    expect(facetTerm("failure", "Media negotiation failed: no common codec in SDP offer")).toBe(
      'failure:"Media negotiation failed: no common codec in SDP offer"',
    );
  });
});
