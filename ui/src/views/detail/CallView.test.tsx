import { fireEvent, render, screen, within } from "@testing-library/react";
import { beforeEach, describe, expect, it, vi } from "vitest";
import { api, ClientError } from "../../api";
import type { Call } from "../../api/types/Call";
import { CallView } from "./CallView";
import { callFailedTransfer, callPayBill } from "./fixtures/call";

vi.mock("../../api", () => import("./mockApi"));

async function renderCall(c: Call, turn?: number) {
  vi.mocked(api.call).mockResolvedValue(c);
  const navigate = vi.fn();
  const view = render(<CallView id={c.global_session_id ?? String(c.event_id)} turn={turn} navigate={navigate} />);
  const turns = await screen.findAllByTestId("call-turn");
  return { ...view, navigate, turns };
}

beforeEach(() => {
  vi.mocked(api.call).mockReset();
});

describe("CallView", () => {
  it("shows three turns, the orphans, the chart, and links a turn's message to its conversation turn", async () => {
    const { turns, navigate } = await renderCall(callFailedTransfer);
    expect(api.call).toHaveBeenCalledWith("b5db1650-98ef-42b4-83cc-96c9c5feb721");
    expect(turns).toHaveLength(3);
    expect(screen.getByTestId("latency-chart")).toBeTruthy();

    expect(within(turns[0]).getByText("no message logged for this turn (log_id e4c15586-f052-44e2-8a05-f068840fbf61)")).toBeTruthy();
    expect(within(turns[2]).getByText("no message logged for this turn (log_id 55eda798-3e9c-478f-9fd6-7ef2d7cc1f35)")).toBeTruthy();

    const link = within(turns[1]).getByRole("link", { name: /#2/ });
    expect(link.textContent).toContain("“agent ”");
    expect(link.textContent).toContain("One moment while I transfer you to an agent. …");
    expect(link.getAttribute("href")).toBe("#/conversations/f0c2a8e6-7b41-4d93-a5e7-2b9d6c4f1a38?turn=2");
    fireEvent.click(link);
    expect(navigate).toHaveBeenCalledWith({ view: "conversation", id: "f0c2a8e6-7b41-4d93-a5e7-2b9d6c4f1a38", turn: 2 });
  });

  it("shows each turn's request type with its meaning, responses as cdr → wa chips, barge-in and STT", async () => {
    const { turns } = await renderCall(callFailedTransfer);
    const request = within(turns[2]).getByText("transfer_failed");
    expect(request.getAttribute("title")).toBe("the call transfer failed");
    expect(within(turns[1]).getByText("text_to_speech → text")).toBeTruthy();
    expect(within(turns[1]).getByText("transfer → connect_to_agent")).toBeTruthy();
    expect(within(turns[2]).getByText("hangup → end_session")).toBeTruthy();
    expect(within(turns[0]).getByText("barge-in")).toBeTruthy();
    expect(within(turns[1]).getByText(/STT 1\.3 s, confidence 0\.78/)).toBeTruthy();
    expect(within(turns[1]).getByText("+8.6 s")).toBeTruthy();
  });

  it("shows the header facts, failure, SIP, warnings and the custom data mismatch", async () => {
    await renderCall(callFailedTransfer);
    expect(screen.getByText("+18885550173")).toBeTruthy();
    expect(screen.getByText("20.5 s")).toBeTruthy();
    const reason = screen.getByText("failed", { selector: ".badge[title]" });
    expect(reason.getAttribute("title")).toBe("as sent: failed");
    expect(screen.getByText(/SIP REFER rejected with 503/)).toBeTruthy();
    expect(screen.getByText("9a4e0b7c15d24f38@203.0.113.24")).toBeTruthy();
    expect(screen.getByText("CWSMR0031W")).toBeTruthy();
    expect(screen.getByText(/Text to Speech underflow/)).toBeTruthy();
    expect(screen.getByText(/RTCP was off/)).toBeTruthy();
    expect(screen.getByText(/differs from the messages' cdr_custom_data/)).toBeTruthy();
    expect(screen.getByRole("link", { name: "Open conversation" }).getAttribute("href")).toBe(
      "#/conversations/f0c2a8e6-7b41-4d93-a5e7-2b9d6c4f1a38",
    );
  });

  it("shows RTP per stream, the final custom data and its merge, and a match", async () => {
    await renderCall(callPayBill);
    expect(screen.getByText("0.21 %")).toBeTruthy();
    expect(screen.getByText("IBM Voice Gateway/1.0.7.0")).toBeTruthy();
    expect(screen.getByText(/matches the messages' cdr_custom_data/)).toBeTruthy();
    expect(screen.getByRole("link", { name: "call_reason" }).getAttribute("href")).toBe("#/custom?key=call_reason");
    expect(screen.getByText("How it was merged, turn by turn (3 steps)")).toBeTruthy();
    expect(screen.getByText('call_reason="unknown"')).toBeTruthy();
    expect(screen.getByText('after: ivr_menu="main", call_reason="pay_bill", account_verified=true, payment_amount=42.5')).toBeTruthy();
  });

  it("highlights the turn it was opened at", async () => {
    const { turns } = await renderCall(callPayBill, 2);
    expect(turns.map((t) => t.getAttribute("aria-current"))).toEqual([null, null, "true"]);
  });

  it("says in a sentence when there is no such call", async () => {
    vi.mocked(api.call).mockRejectedValue(new ClientError({ kind: "not_found", message: "not found: call nope", span: null }));
    render(<CallView id="nope" navigate={vi.fn()} />);
    expect((await screen.findByRole("alert")).textContent).toContain("No call with global session id nope.");
  });
});
