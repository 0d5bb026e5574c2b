import { fireEvent, render, screen } from "@testing-library/react";
import { beforeEach, describe, expect, it, vi } from "vitest";
import { api } from "../../api";
import type { ReplayView } from "../../api/types/ReplayView";
import { ReplayPanel } from "./ReplayPanel";
import { eventAccepted } from "./fixtures/event";

vi.mock("../../api", () => import("./mockApi"));

const answer: ReplayView = {
  id: 1,
  event_id: eventAccepted.id,
  at: 1_700_000_000_000,
  target: "http://127.0.0.1:9/hook",
  signing: "none",
  secret_file: null,
  edits: "edited in the UI",
  body: "{}",
  status: 500,
  error: null,
  response_headers: [["Content-Type", "text/html"]],
  response: "<img src=x onerror=alert(1)>oops",
  latency_ms: 12.4,
};

beforeEach(() => {
  vi.mocked(api.replay).mockReset();
});

describe("ReplayPanel", () => {
  it("keeps Send disabled while the body is not JSON, then sends the edit and shows the answer as text", async () => {
    const { container } = render(<ReplayPanel event={eventAccepted} navigate={vi.fn()} />);
    fireEvent.click(screen.getByRole("button", { name: "Replay…" }));
    const send = screen.getByRole("button", { name: "Send" }) as HTMLButtonElement;
    expect(send.disabled).toBe(true); // no target yet
    fireEvent.change(screen.getByPlaceholderText(/watson-logs/), { target: { value: "http://127.0.0.1:9/hook" } });
    fireEvent.click(screen.getByLabelText(/nothing: no Authorization header/));
    expect(send.disabled).toBe(false);

    const body = screen.getByLabelText("Body to send") as HTMLTextAreaElement;
    fireEvent.change(body, { target: { value: '{\n  "a": }' } });
    expect(send.disabled).toBe(true);
    expect(screen.getByTestId("json-problem").textContent).toContain("line 2, column 8");

    vi.mocked(api.replay).mockResolvedValue(answer);
    fireEvent.change(body, { target: { value: '{"a": 1}' } });
    expect(send.disabled).toBe(false);
    fireEvent.click(send);
    const [shown] = await screen.findAllByTestId("replay-answer");
    expect(screen.getAllByTestId("replay")).toHaveLength(1); // and listed with the event's replays
    expect(api.replay).toHaveBeenCalledWith({ event: eventAccepted.id, to: "http://127.0.0.1:9/hook", signing: "none", body: '{"a": 1}' });
    expect(shown.textContent).toContain("<img src=x onerror=alert(1)>oops");
    expect(container.querySelector("img")).toBeNull();
    expect(shown.textContent).toContain("500");
  });
});
